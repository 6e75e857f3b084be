/*
 * fuzz_matrix_csv: the CSV tables a user hands over as they are: the zone
 * tables and the origin-destination travel-time matrix (inputs/matrix.c,
 * the project's own CSV reader, plain or gzip) and a facility table with
 * lon/lat columns (inputs/facilities.c over GDAL's CSV driver: our
 * checks of ids, capacities and coordinates).
 *
 * Input: up to three files separated by a line "%%": the zone table
 * (columns id, population, jobs: the demand and supply tables, as the Belo
 * Horizonte demo reads one file twice), the matrix (from_id, to_id,
 * travel_time) and the facility table (lon, lat, and id, name, amenity,
 * beds when its header names them). A missing part repeats the first;
 * the facility table is read only when the input has all three parts
 * (GDAL's open and a PROJ context take most of a run's time).
 * Each goes to a file of the per-process scratch folder (the readers take
 * paths). The input's length chooses minutes or seconds and a pair cap,
 * so that both paths are reached. Refusals must carry a message; a matrix
 * that is read must satisfy what matrix.h promises (every time within
 * the limit, pairs = the catchments' entries).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "inputs/facilities.h"
#include "inputs/matrix.h"
#include "kernels/catchment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next part of data[*at .. size-1], up to a line "%%". */
static void part(const uint8_t *data, size_t size, size_t *at,
                 const uint8_t **p, size_t *n)
{
    *p = data + *at;
    for (size_t i = *at; i + 3 <= size; i++)
        if ((i == 0 || data[i - 1] == '\n') &&
            memcmp(data + i, "%%\n", 3) == 0) {
            *n = i - *at;
            *at = i + 3;
            return;
        }
    *n = size - *at;
    *at = size;
}

/* Whether the first line of data[0 .. n-1] holds `name` as a word. */
static int header_has(const uint8_t *data, size_t n, const char *name)
{
    size_t len = strlen(name), end = 0;
    while (end < n && data[end] != '\n')
        end++;
    for (size_t i = 0; i + len <= end; i++)
        if (memcmp(data + i, name, len) == 0 &&
            (i == 0 || data[i - 1] == ',') &&
            (i + len == end || data[i + len] == ',' || data[i + len] == '\r'))
            return 1;
    return 0;
}

static void zones_and_matrix(const char *zpath, const char *mpath, size_t size)
{
    am_error err;
    am_zone_table *demand = NULL, *supply = NULL;
    am_catchments *c = NULL;
    am_error_clear(&err);
    am_status rc =
        am_zone_table_read(zpath, "id", "population", "demand", &demand, &err);
    fuzz_check_error(rc, &err);
    if (rc == AM_OK) {
        int32_t n = am_zone_table_count(demand);
        for (int32_t i = 0; i < n; i++)
            if (am_zone_table_find(demand, am_zone_table_id(demand, i)) < 0 ||
                !(am_zone_table_values(demand)[i] >= 0.0))
                abort();
    }
    am_error_clear(&err);
    rc = am_zone_table_read(zpath, "id", "jobs", "supply", &supply, &err);
    fuzz_check_error(rc, &err);
    if (demand != NULL && supply != NULL) {
        am_matrix_options o = {
            .path = mpath,
            .from_field = "from_id",
            .to_field = "to_id",
            .time_field = "travel_time",
            .time_in_seconds = (int)(size & 1),
            .origins = demand,
            .origins_path = zpath,
            .destinations = supply,
            .destinations_path = zpath,
            .min_limit_ds = (size & 2) ? 36000 : 0,
            .max_pairs = (size & 4) ? 3 : 0,
        };
        am_matrix_info info;
        am_error_clear(&err);
        rc = am_matrix_read(&o, &c, &info, &err);
        fuzz_check_error(rc, &err);
        if (rc == AM_OK &&
            (info.max_time_ds > (uint32_t)(AM_MATRIX_MAX_MIN * 600.0) ||
             info.origins_used > am_zone_table_count(demand) ||
             info.destinations_used > am_zone_table_count(supply) ||
             info.pairs < 1)) {
            fprintf(stderr, "fuzz_matrix_csv: matrix info out of range\n");
            abort();
        }
    }
    am_catchments_destroy(c);
    am_zone_table_destroy(demand);
    am_zone_table_destroy(supply);
}

static void facilities(const char *fpath, const uint8_t *data, size_t n)
{
    static const am_facility_class_capacity classes[] = {{"hospital", 5.0},
                                                         {"clinic", 1.0}};
    am_facility_options o = {
        .path = fpath,
        .id_field = header_has(data, n, "id") ? "id" : NULL,
        .name_field = header_has(data, n, "name") ? "name" : NULL,
        .class_field = header_has(data, n, "amenity") ? "amenity" : NULL,
        .capacity_field = header_has(data, n, "beds") ? "beds" : NULL,
        .x_field = "lon",
        .y_field = "lat",
        .class_capacity = classes,
        .n_class_capacity = 2,
        .default_capacity = 1.0,
    };
    am_error err;
    am_facility_set *f = NULL;
    am_error_clear(&err);
    am_status rc = am_facilities_probe(&o, &err);
    fuzz_check_error(rc, &err);
    am_error_clear(&err);
    rc = am_facilities_load(&o, &f, &err);
    fuzz_check_error(rc, &err);
    if (rc == AM_OK) {
        for (int32_t i = 0; i < f->n; i++)
            if (!(f->capacity[i] >= 0.0) || !(f->lon[i] >= -180.0) ||
                !(f->lon[i] <= 180.0) || !(f->lat[i] >= -90.0) ||
                !(f->lat[i] <= 90.0) || f->id[i] == NULL) {
                fprintf(stderr,
                        "fuzz_matrix_csv: facility %d out of range "
                        "(%g, %g, capacity %g)\n",
                        (int)i, f->lon[i], f->lat[i], f->capacity[i]);
                abort();
            }
    }
    am_facility_set_destroy(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p[3];
    size_t n[3], at = 0;
    int k = 0;
    while (k < 3 && (k == 0 || at < size)) {
        part(data, size, &at, &p[k], &n[k]);
        k++;
    }
    for (int i = k; i < 3; i++) { /* a missing part repeats the first */
        p[i] = p[0];
        n[i] = n[0];
    }
    const uint8_t *z = p[0], *m = p[1], *f = p[2];
    size_t zn = n[0], mn = n[1], fn = n[2];
    char zpath[600], mpath[600], fpath[600];
    fuzz_write_file("zones.csv", z, zn, zpath, sizeof zpath);
    fuzz_write_file("matrix.csv", m, mn, mpath, sizeof mpath);
    fuzz_write_file("facilities.csv", f, fn, fpath, sizeof fpath);
    zones_and_matrix(zpath, mpath, size);
    if (k == 3) /* GDAL and PROJ cost most of a run: only when asked */
        facilities(fpath, f, fn);
    unlink(zpath);
    unlink(mpath);
    unlink(fpath);
    return 0;
}
