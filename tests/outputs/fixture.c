/*
 * fixture.c: the small results file of fixture.h (the intended layout of
 * docs/hdf5-layout.md, with fixed metadata so that dumps are stable).
 */
#include "fixture.h"

#include <stddef.h>

#include "fixture_wkt.h"

void fixture_grid(fixture_crs which, am_grid *grid, const char **wkt)
{
    static const double gts[3][6] = {
        {24.5, 0.25, 0, 61.0, 0, -0.5},
        {25490000, 250, 0, 6675000, 0, -250},
        {500000, 100, 0, 8000000, 0, -100},
    };
    static const char *const wkts[3] = {FIXTURE_WKT_4326, FIXTURE_WKT_3879,
                                        FIXTURE_WKT_32738};
    grid->nx = FIXTURE_NX;
    grid->ny = FIXTURE_NY;
    for (int i = 0; i < 6; i++)
        grid->gt[i] = gts[which][i];
    *wkt = wkts[which];
}

float fixture_population(int cell)
{
    return cell == FIXTURE_NODATA_CELL ? FIXTURE_FILL_F32 : (float)cell;
}

float fixture_time(int cell)
{
    if (cell == FIXTURE_NODATA_CELL)
        return FIXTURE_FILL_F32;
    return cell == FIXTURE_UNREACHABLE_CELL ? -1.0f : 0.5f * (float)cell;
}

int32_t fixture_facility(int cell)
{
    if (cell == FIXTURE_NODATA_CELL)
        return FIXTURE_FILL_I32;
    return cell == FIXTURE_UNREACHABLE_CELL ? -1 : cell % 3;
}

float fixture_access(int cell)
{
    return cell == FIXTURE_NODATA_CELL ? FIXTURE_FILL_F32 : 0.25f * (float)cell;
}

#define TRY(call)                                                              \
    do {                                                                       \
        rc = (call);                                                           \
        if (rc != AM_OK)                                                       \
            goto cleanup;                                                      \
    } while (0)

am_status fixture_write(const char *path, fixture_crs which, am_error *err)
{
    enum { N = FIXTURE_NX * FIXTURE_NY };
    am_status rc = AM_OK;
    am_h5 *h = NULL;
    am_grid grid;
    const char *wkt = NULL;
    float pop[N], time[N], access[N];
    int32_t facility[N];
    for (int i = 0; i < N; i++) {
        pop[i] = fixture_population(i);
        time[i] = fixture_time(i);
        facility[i] = fixture_facility(i);
        access[i] = fixture_access(i);
    }
    fixture_grid(which, &grid, &wkt);

    TRY(am_h5_create(path, &h, err));
    TRY(am_h5_attr_string(h, "/", "title", "accessim results: fixture", err));
    TRY(am_h5_attr_string(h, "/", "accessim_version", "0.1.0", err));
    TRY(am_h5_attr_string(h, "/", "created_utc", "2000-01-01T00:00:00Z", err));
    TRY(am_h5_attr_string(h, "/", "scenario_name", "Hämeenlinna test", err));
    TRY(am_h5_attr_int64(h, "/", "threads", 4, err));
    TRY(am_h5_attr_double(h, "/", "snap_max_m", 500.0, err));
    static const double cutoffs[3] = {10, 20, 30};
    TRY(am_h5_attr_double_array(h, "/", "cutoffs_min", 3, cutoffs, err));
    TRY(am_h5_attr_int64(h, "/", "population_size_bytes", 12345, err));

    TRY(am_h5_set_grid(h, &grid, wkt, err));
    const am_h5_raster_info ipop = {"population", "1"};
    TRY(am_h5_write_raster_f32(h, "/population", pop, FIXTURE_FILL_F32, &ipop,
                               err));
    TRY(am_h5_make_group(h, "/network", err));
    TRY(am_h5_attr_int64(h, "/network", "nodes", 1234, err));

    TRY(am_h5_make_group(h, "/results/health", err));
    const am_h5_raster_info itime = {"travel time to the nearest facility",
                                     "minutes"};
    TRY(am_h5_write_raster_f32(h, "/results/health/nearest_time_min", time,
                               FIXTURE_FILL_F32, &itime, err));
    TRY(am_h5_attr_double(h, "/results/health/nearest_time_min",
                          "unreachable_value", -1.0, err));
    const am_h5_raster_info ifac = {"row of the nearest facility", "1"};
    TRY(am_h5_write_raster_i32(h, "/results/health/nearest_facility", facility,
                               FIXTURE_FILL_I32, &ifac, err));
    const am_h5_raster_info iacc = {"2SFCA accessibility, 30 min",
                                    "facility capacity per person"};
    TRY(am_h5_write_raster_f32(h, "/results/health/accessibility_2sfca_30min",
                               access, FIXTURE_FILL_F32, &iacc, err));
    TRY(am_h5_attr_string(h, "/results/health/accessibility_2sfca_30min",
                          "measure", "2sfca", err));
    TRY(am_h5_attr_double(h, "/results/health/accessibility_2sfca_30min",
                          "threshold_min", 30.0, err));

    static const int32_t index[3] = {0, 1, 2};
    static const char *const names[3] = {"Keskussairaala", "Älvsjö hälsa",
                                         NULL};
    static const double capacity[3] = {12.5, 3, 0};
    static const int64_t node[3] = {10, 20, -1};
    const am_h5_column fac[4] = {
        {"index", AM_H5_COL_INT32, index, NULL, "row index"},
        {"name", AM_H5_COL_STRING, names, NULL, "facility name"},
        {"capacity", AM_H5_COL_DOUBLE, capacity, "doctors", NULL},
        {"node", AM_H5_COL_INT64, node, NULL, "snapped network node"},
    };
    TRY(am_h5_write_table(h, "/results/health/facilities", 3, 4, fac, err));
    static const double cut[3] = {10, 20, 30};
    static const double cov_pop[3] = {100, 150, 180};
    static const double pct[3] = {50, 75, 90};
    const am_h5_column cov[3] = {
        {"cutoff_min", AM_H5_COL_DOUBLE, cut, "minutes", NULL},
        {"population", AM_H5_COL_DOUBLE, cov_pop, "1", NULL},
        {"percent", AM_H5_COL_DOUBLE, pct, "percent", NULL},
    };
    TRY(am_h5_write_table(h, "/results/health/coverage", 3, 3, cov, err));
    rc = am_h5_commit(h, err);
    h = NULL;
cleanup:
    am_h5_abort(h);
    return rc;
}

am_status fixture_write_sparse(const char *path, am_error *err)
{
    am_status rc = AM_OK;
    am_h5 *h = NULL;
    am_grid grid;
    const char *wkt = NULL;
    fixture_grid(FIXTURE_UTM38S, &grid, &wkt);
    grid.nx = FIXTURE_SPARSE_NX;
    grid.ny = FIXTURE_SPARSE_NY;
    static const int64_t cells[2] = {
        0, (int64_t)FIXTURE_SPARSE_NX * FIXTURE_SPARSE_NY - 1};
    static const float times[2] = {1.5f, 2.5f};
    static const int32_t facilities[2] = {7, 9};
    const am_h5_raster_info ti = {"travel time", "minutes"};
    const am_h5_raster_info fi = {"facility", "1"};
    TRY(am_h5_create(path, &h, err));
    TRY(am_h5_set_grid(h, &grid, wkt, err));
    TRY(am_h5_write_raster_sparse_f32(h, "/sparse/time", 2, cells, times,
                                      FIXTURE_FILL_F32, &ti, err));
    TRY(am_h5_write_raster_sparse_i32(h, "/sparse/facility", 2, cells,
                                      facilities, FIXTURE_FILL_I32, &fi, err));
    rc = am_h5_commit(h, err);
    h = NULL;
cleanup:
    am_h5_abort(h);
    return rc;
}
