/*
 * test_surface_e2e.c: the travel-time surface (issue 9, engine/surface.c,
 * /results/<set>/surface_time_min) through am_run.
 *
 *  - a network written here (five two-way roads with fixed times, two
 *    facilities at road ends) under a 40 x 30 raster of 0.002 degree
 *    cells with a few populated cells: every cell's value against a
 *    serial oracle (plain Dijkstra written here, and the walking leg and
 *    link rule of geo/snap.h: the foot on the nearest road, walk
 *    nearbyint(d / (5 km/h) * 10) ds, the road's time split at the foot);
 *    cells farther than the snap distance are fill, the others minutes;
 *    the populated cells equal nearest_time_min bit for bit; a short
 *    max_time_min leaves -1 beyond it and the same values within;
 *    1, 2 and 3 threads give the same bytes, and so do strips snapped
 *    in pieces of 1 and 3 rows (am_surface_set_strip_cells, the cap that
 *    keeps a very wide raster's scratch small); GDAL reads the raster
 *    georeferenced like the population;
 *  - the Comoros demo with the surface on: populated cells equal
 *    nearest_time_min wherever that is a time, and the cell counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <hdf5.h>
#include <ogr_srs_api.h>

#include "engine/internal.h"
#include "geo/geodesic.h"
#include <accessim.h>

#define TMP_DIR_TAG "surface"
#include "tmp_dir.h"

/* ---- the synthetic network ----------------------------------------- */

#define NX 40
#define NY 30
#define CELL 0.002
#define TOP 0.06
#define SNAP_M 600.0
#define WALK_KMH 5.0

/* Road ends (graph nodes): E0 - J1 - J2 - F1 along lat 0.0301, J1 - F2
 * north, J2 - T2 south. */
enum { E0, J1, J2, F1, F2, T2, N_NODES };
static const double node_lon[N_NODES] = {0.0051, 0.0201, 0.0501,
                                         0.0751, 0.0201, 0.0501};
static const double node_lat[N_NODES] = {0.0301, 0.0301, 0.0301,
                                         0.0301, 0.0501, 0.0101};
#define N_ROADS 5
static const int road_a[N_ROADS] = {E0, J1, J2, J1, J2};
static const int road_b[N_ROADS] = {J1, J2, F1, F2, T2};
static const double road_min[N_ROADS] = {3.0, 4.0, 2.0, 5.0, 1.5};

/* Populated cells (col, row) and their people. */
#define N_POP 6
static const int pop_col[N_POP] = {3, 10, 15, 24, 37, 38};
static const int pop_row[N_POP] = {14, 15, 5, 20, 14, 28};
static const float pop_val[N_POP] = {10, 20, 30, 40, 50, 60};

static void write_inputs(void)
{
    char path[512], text[4096];
    size_t k = 0;
    k += (size_t)snprintf(text + k, sizeof text - k,
                          "{\"type\": \"FeatureCollection\", \"features\": [");
    for (int r = 0; r < N_ROADS; r++)
        k += (size_t)snprintf(
            text + k, sizeof text - k,
            "%s{\"type\": \"Feature\", \"properties\": {\"minutes\": %g}, "
            "\"geometry\": {\"type\": \"LineString\", \"coordinates\": "
            "[[%.4f, %.4f], [%.4f, %.4f]]}}",
            r ? ",\n" : "\n", road_min[r], node_lon[road_a[r]],
            node_lat[road_a[r]], node_lon[road_b[r]], node_lat[road_b[r]]);
    snprintf(text + k, sizeof text - k, "]}\n");
    snprintf(path, sizeof path, "%s/roads.geojson", tmp_dir);
    write_text(path, text);
    snprintf(text, sizeof text,
             "{\"type\": \"FeatureCollection\", \"features\": [\n"
             "{\"type\": \"Feature\", \"properties\": {\"name\": \"F1\"}, "
             "\"geometry\": {\"type\": \"Point\", \"coordinates\": [%.4f, "
             "%.4f]}},\n"
             "{\"type\": \"Feature\", \"properties\": {\"name\": \"F2\"}, "
             "\"geometry\": {\"type\": \"Point\", \"coordinates\": [%.4f, "
             "%.4f]}}]}\n",
             node_lon[F1], node_lat[F1], node_lon[F2], node_lat[F2]);
    snprintf(path, sizeof path, "%s/fac.geojson", tmp_dir);
    write_text(path, text);

    snprintf(path, sizeof path, "%s/pop.tif", tmp_dir);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    assert_non_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, NX, NY, 1, GDT_Float32, NULL);
    assert_non_null(ds);
    double gt[6] = {0.0, CELL, 0, TOP, 0, -CELL};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    GDALSetSpatialRef(ds, srs);
    OSRDestroySpatialReference(srs);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, -1.0);
    static float v[NX * NY];
    for (int i = 0; i < NX * NY; i++)
        v[i] = -1.0f;
    for (int i = 0; i < N_POP; i++)
        v[pop_row[i] * NX + pop_col[i]] = pop_val[i];
    assert_int_equal(GDALRasterIO(band, GF_Write, 0, 0, NX, NY, v, NX, NY,
                                  GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(ds);
}

/* The scenario with `surface` as given ("" for none). */
static void write_scenario(const char *name, const char *surface)
{
    char path[512], text[2048];
    snprintf(text, sizeof text,
             "roads:\n"
             "  path: roads.geojson\n"
             "  time_field: minutes\n"
             "  time_unit: minutes\n"
             "population: {path: pop.tif}\n"
             "snap: {max_distance_m: %g, walk_speed_kmh: %g, components: "
             "all}\n"
             "facilities: {name: health, path: fac.geojson, "
             "default_capacity: 1}\n"
             "cutoffs_min: [5, 10]\n"
             "%s",
             SNAP_M, WALK_KMH, surface);
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    write_text(path, text);
}

/* What the last run's summary said of its first set's surface. */
static am_set_summary last_set;
static int last_has_phase;
static char last_line[512];

/* Runs scenario `name` on `threads` threads into out. */
static void run(const char *name, int threads, const char *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    am_scenario *s = NULL;
    am_error e;
    if (am_scenario_read_file(path, &s, &e) != AM_OK)
        fail_msg("%s: line %ld: %s", e.file, e.line, e.msg);
    am_run_options opt = am_run_options_default();
    opt.threads = threads;
    opt.output_path = out;
    am_run_summary *sum = NULL;
    if (am_run(s, &opt, &sum, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    last_set = sum->sets[0];
    last_has_phase = 0;
    for (int p = 0; p < sum->n_phases; p++)
        last_has_phase += strcmp(sum->phases[p].name, "surface") == 0;
    /* the printed summary's surface line */
    last_line[0] = '\0';
    FILE *f = tmpfile();
    assert_non_null(f);
    am_run_summary_write(sum, f);
    rewind(f);
    char line[512];
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, "surface:") != NULL)
            snprintf(last_line, sizeof last_line, "%s", line);
    fclose(f);
    am_run_summary_destroy(sum);
    am_scenario_destroy(s);
}

/* A float32 [ny][nx] dataset of file `out` (caller frees). */
static float *read_raster(const char *out, const char *name, int64_t n)
{
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_npoints(sp), n);
    float *v = malloc((size_t)n * sizeof *v);
    assert_non_null(v);
    assert_true(
        H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return v;
}

static int64_t read_attr_int(const char *out, const char *obj, const char *name)
{
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    int64_t v = -1;
    assert_true(H5Aread(a, H5T_NATIVE_INT64, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    return v;
}

/* Plain Dijkstra (O(n^2), six nodes) from the facilities' nodes, both
 * at road ends (walk 0): node -> nearest facility, deciseconds. */
static void oracle_nodes(double *dist)
{
    int done[N_NODES] = {0};
    for (int v = 0; v < N_NODES; v++)
        dist[v] = INFINITY;
    dist[F1] = dist[F2] = 0.0;
    for (int it = 0; it < N_NODES; it++) {
        int u = -1;
        for (int v = 0; v < N_NODES; v++)
            if (!done[v] && (u < 0 || dist[v] < dist[u]))
                u = v;
        done[u] = 1;
        for (int r = 0; r < N_ROADS; r++) {
            const double t = road_min[r] * 600.0;
            if (road_a[r] == u && dist[u] + t < dist[road_b[r]])
                dist[road_b[r]] = dist[u] + t;
            if (road_b[r] == u && dist[u] + t < dist[road_a[r]])
                dist[road_a[r]] = dist[u] + t;
        }
    }
}

/*
 * Cell (col, row): its snap distance (the nearest road's foot, geodesic)
 * into *d_m and its time to the nearest facility in deciseconds (the
 * links' rule of geo/snap.h). Every road runs along a parallel or a
 * meridian, so the foot of the perpendicular is at the centre's longitude
 * (or latitude), clamped to the road.
 */
static double oracle_cell(const double *node_ds, int col, int row, double *d_m)
{
    const double lon = (col + 0.5) * CELL, lat = TOP - (row + 0.5) * CELL;
    double best_d = INFINITY, best_t = INFINITY;
    for (int r = 0; r < N_ROADS; r++) {
        const int a = road_a[r], b = road_b[r];
        double f, flon, flat;
        if (node_lat[a] == node_lat[b]) { /* along a parallel */
            f = (lon - node_lon[a]) / (node_lon[b] - node_lon[a]);
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            flon = node_lon[a] + f * (node_lon[b] - node_lon[a]);
            flat = node_lat[a];
        } else { /* along a meridian */
            f = (lat - node_lat[a]) / (node_lat[b] - node_lat[a]);
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            flon = node_lon[a];
            flat = node_lat[a] + f * (node_lat[b] - node_lat[a]);
        }
        const double d = am_geodesic_distance_m(lon, lat, flon, flat);
        if (d >= best_d)
            continue;
        best_d = d;
        const double walk = nearbyint(d / (WALK_KMH / 3.6) * 10.0);
        const double t = road_min[r] * 600.0;
        const double ta = walk + nearbyint(f * t) + node_ds[a];
        const double tb = walk + nearbyint((1 - f) * t) + node_ds[b];
        best_t = ta < tb ? ta : tb;
    }
    *d_m = best_d;
    return best_t;
}

static void test_synthetic(void **state)
{
    (void)state;
    char out[3][512], out_short[512];
    write_inputs();
    write_scenario("s.yaml", "surface: true\n");
    write_scenario("short.yaml", "surface: {max_time_min: 5}\n");
    for (int t = 0; t < 3; t++) {
        snprintf(out[t], sizeof out[t], "%s/out%d.h5", tmp_dir, t + 1);
        run("s.yaml", t + 1, out[t]);
    }
    /* the summary: the counts, the phase, one line */
    assert_true(last_set.surface_max_min == 1440.0);
    assert_int_equal(last_set.surface_cells, NX * NY);
    assert_true(last_set.surface_within > 0 &&
                last_set.surface_reached == last_set.surface_within);
    assert_int_equal(last_has_phase, 1);
    char want[256];
    snprintf(want, sizeof want,
             "    surface: %lld of 1,200 raster cells within the snap distance "
             "of a road, %lld with a facility within 1440 min (",
             (long long)last_set.surface_within,
             (long long)last_set.surface_within);
    assert_non_null(strstr(last_line, want));
    snprintf(out_short, sizeof out_short, "%s/short.h5", tmp_dir);
    run("short.yaml", 2, out_short);
    assert_true(last_set.surface_max_min == 5.0);
    assert_true(last_set.surface_reached < last_set.surface_within);
    /* without the key: no surface, no phase, no line */
    char out_none[512];
    write_scenario("none.yaml", "");
    snprintf(out_none, sizeof out_none, "%s/none.h5", tmp_dir);
    run("none.yaml", 2, out_none);
    assert_true(last_set.surface_max_min == 0.0);
    assert_int_equal(last_has_phase, 0);
    assert_true(last_line[0] == '\0');
    hid_t hf = H5Fopen(out_none, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(hf >= 0);
    assert_int_equal(
        H5Lexists(hf, "/results/health/surface_time_min", H5P_DEFAULT), 0);
    H5Fclose(hf);

    const int64_t n = NX * NY;
    const char *ds = "/results/health/surface_time_min";
    float *sf[3];
    for (int t = 0; t < 3; t++)
        sf[t] = read_raster(out[t], ds, n);
    /* 1, 2 and 3 threads: the same bytes */
    assert_memory_equal(sf[0], sf[1], (size_t)n * sizeof(float));
    assert_memory_equal(sf[0], sf[2], (size_t)n * sizeof(float));
    /* strips snapped in pieces of 1 row (a cap below one row) and of 3
       rows: the same bytes and counts as whole strips of 64 rows */
    const int64_t caps[2] = {1, 3 * NX + NX / 2};
    for (int k = 0; k < 2; k++) {
        char out_piece[512];
        snprintf(out_piece, sizeof out_piece, "%s/piece%d.h5", tmp_dir, k);
        am_surface_set_strip_cells(caps[k]);
        run("s.yaml", 2, out_piece);
        am_surface_set_strip_cells(0);
        float *pc = read_raster(out_piece, ds, n);
        assert_memory_equal(sf[0], pc, (size_t)n * sizeof(float));
        assert_int_equal(read_attr_int(out_piece, ds, "cells_within_snap"),
                         read_attr_int(out[0], ds, "cells_within_snap"));
        free(pc);
    }
    float *near = read_raster(out[0], "/results/health/nearest_time_min", n);
    float *pop = read_raster(out[0], "/population", n);
    float *shrt = read_raster(out_short, ds, n);

    double node_ds[N_NODES];
    oracle_nodes(node_ds);
    int64_t within = 0, checked = 0, skipped = 0, beyond = 0, over5 = 0;
    for (int row = 0; row < NY; row++)
        for (int col = 0; col < NX; col++) {
            const int64_t i = (int64_t)row * NX + col;
            double d_m;
            const double t_ds = oracle_cell(node_ds, col, row, &d_m);
            const float v = sf[0][i];
            if (fabs(d_m - SNAP_M) < 0.005 * SNAP_M) { /* a near tie */
                skipped++;
                within += v != -9999.0f;
                continue;
            }
            if (d_m > SNAP_M) {
                if (v != -9999.0f)
                    fail_msg("cell (%d, %d) %.1f m from a road: %g, not "
                             "fill",
                             col, row, d_m, v);
                assert_true(shrt[i] == -9999.0f);
                beyond++;
                continue;
            }
            within++;
            checked++;
            /* every cell reaches a facility: the network is connected */
            const double got_ds = nearbyint((double)v * 600.0);
            if (!(v >= 0.0f) || fabs(got_ds - t_ds) > 1.0)
                fail_msg("cell (%d, %d): %g min, the oracle %g min", col, row,
                         v, t_ds / 600.0);
            /* max_time_min 5: -1 beyond 5 min, the same value within */
            if (got_ds > 3000.0 + 1.0) {
                assert_true(shrt[i] == -1.0f);
                over5++;
            } else if (got_ds <= 3000.0 - 1.0) {
                assert_true(shrt[i] == v);
            }
        }
    assert_true(checked > 300 && beyond > 300 && over5 > 50);
    assert_true(skipped < 20);
    assert_int_equal(read_attr_int(out[0], ds, "cells_within_snap"), within);
    assert_int_equal(read_attr_int(out[0], ds, "cells_reached"), within);
    assert_true(read_attr_int(out_short, ds, "cells_reached") <
                read_attr_int(out_short, ds, "cells_within_snap"));

    /* the populated cells: the surface is nearest_time_min, bit for bit
       (the far cell (38, 28) is off the network: fill, and -1 there) */
    int populated = 0;
    for (int64_t i = 0; i < n; i++) {
        if (pop[i] == -9999.0f)
            continue;
        populated++;
        if (near[i] >= 0.0f)
            assert_memory_equal(&near[i], &sf[0][i], sizeof(float));
        else
            assert_true(near[i] == -1.0f && sf[0][i] == -9999.0f);
    }
    assert_int_equal(populated, N_POP);
    assert_true(sf[0][28 * NX + 38] == -9999.0f);

    /* georeferenced as the population raster (GDAL's netCDF driver) */
    char name[1024];
    snprintf(name, sizeof name, "NETCDF:\"%s\":%s", out[0], ds);
    GDALDatasetH g = GDALOpen(name, GA_ReadOnly);
    if (g == NULL)
        fail_msg("GDAL cannot open %s", name);
    double gt[6];
    assert_int_equal(GDALGetGeoTransform(g, gt), CE_None);
    const double gt_want[6] = {0.0, CELL, 0, TOP, 0, -CELL};
    for (int k = 0; k < 6; k++)
        assert_true(fabs(gt[k] - gt_want[k]) < 1e-12);
    assert_int_equal(GDALGetRasterXSize(g), NX);
    assert_int_equal(GDALGetRasterYSize(g), NY);
    int has = 0;
    assert_true(GDALGetRasterNoDataValue(GDALGetRasterBand(g, 1), &has) ==
                    -9999.0 &&
                has);
    OGRSpatialReferenceH srs = GDALGetSpatialRef(g);
    assert_non_null(srs);
    const char *auth = OSRGetAuthorityCode(srs, NULL);
    assert_true(auth != NULL && strcmp(auth, "4326") == 0);
    float px = 0;
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(g, 1), GF_Read, 10, 15, 1,
                                  1, &px, 1, 1, GDT_Float32, 0, 0),
                     CE_None);
    assert_true(px == sf[0][15 * NX + 10]);
    GDALClose(g);

    for (int t = 0; t < 3; t++)
        free(sf[t]);
    free(near);
    free(pop);
    free(shrt);
}

/* ---- the Comoros demo ------------------------------------------------ */

static void test_comoros(void **state)
{
    (void)state;
    char path[512], out[512], cmd[2048];
    /* the demo's scenario with the surface on, its inputs where they are */
    snprintf(path, sizeof path, "%s/comoros.yaml", tmp_dir);
    snprintf(cmd, sizeof cmd,
             "sed -e 's#path: #path: %s/comoros/#' "
             "%s/comoros/comoros.yaml > '%s' && printf 'surface: true\\n' "
             ">> '%s'",
             AM_DEMO_DATA, AM_DEMO_DATA, path, path);
    assert_int_equal(system(cmd), 0);
    snprintf(out, sizeof out, "%s/comoros.h5", tmp_dir);
    run("comoros.yaml", 2, out);
    const int64_t n = 1576 * 1270;
    const char *ds = "/results/hospitals_clinics/surface_time_min";
    float *sf = read_raster(out, ds, n);
    float *near =
        read_raster(out, "/results/hospitals_clinics/nearest_time_min", n);
    int64_t same = 0, within = 0, reached = 0;
    for (int64_t i = 0; i < n; i++) {
        within += sf[i] != -9999.0f;
        reached += sf[i] >= 0.0f;
        if (near[i] >= 0.0f) { /* a time within the largest cutoff */
            if (memcmp(&near[i], &sf[i], sizeof(float)) != 0)
                fail_msg("cell %lld: nearest_time_min %g, surface %g",
                         (long long)i, near[i], sf[i]);
            same++;
        } else if (near[i] == -1.0f) { /* beyond 60 min, or off network */
            assert_true(sf[i] == -9999.0f || sf[i] == -1.0f || sf[i] > 60.0f);
        }
    }
    assert_true(same > 100000);
    assert_int_equal(read_attr_int(out, ds, "cells_within_snap"), within);
    assert_int_equal(read_attr_int(out, ds, "cells_reached"), reached);
    assert_true(within > same && within < n);
    free(sf);
    free(near);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_comoros),
    };
    GDALAllRegister(); /* the test writes and reads rasters through GDAL */
    return cmocka_run_group_tests(tests, setup, teardown);
}
