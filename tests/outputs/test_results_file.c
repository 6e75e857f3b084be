/*
 * test_results_file.c: the results file's layout (outputs/results_file.h)
 * from a hand-made description: a 3 x 2 grid with three populated cells,
 * one set of two sites, one measure and two cutoffs. Read back with the
 * plain HDF5 API: the encodings (fill, unreachable, minutes from
 * deciseconds), the tables' columns and the coverage percentages, the
 * provenance attributes written only when given, and the refusals of a bad
 * description and of a cancelled write (nothing left behind).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "common/units.h"
#include "fixture_wkt.h"
#include "outputs/results_file.h"

/* ---- the description -------------------------------------------------- */

typedef struct desc {
    am_grid grid;
    int64_t cell[3];
    double pop[3];
    double cutoffs[2];
    double pop_within[2];
    char *id[2], *name[2], *klass[2];
    double capacity[2], lon[2], lat[2], snap_m[2];
    int32_t node[4]; /* links: site j's 2 j + k */
    uint32_t offset_ds[4];
    uint32_t nearest_ds[3];
    int32_t nearest[3];
    double access[3], demand[2], ratio[2];
    am_rf_measure measure;
    am_rf_set set;
    am_rf_file file;
    char dir[1024], out[1100];
} desc;

static int setup(void **state)
{
    desc *d = calloc(1, sizeof *d);
    if (d == NULL)
        return -1;
    snprintf(d->dir, sizeof d->dir, "%s/test_results_file.XXXXXX",
             AM_BINARY_DIR);
    if (mkdtemp(d->dir) == NULL) {
        free(d);
        return -1;
    }
    snprintf(d->out, sizeof d->out, "%s/out.h5", d->dir);
    d->grid = (am_grid){3, 2, {43.0, 0.01, 0.0, -11.0, 0.0, -0.01}};
    /* cells (col 0, row 0), (2, 0), (1, 1); the others are empty */
    int64_t cell[3] = {0, 2, 4};
    double pop[3] = {10, 20, 30};
    memcpy(d->cell, cell, sizeof cell);
    memcpy(d->pop, pop, sizeof pop);
    d->cutoffs[0] = 15;
    d->cutoffs[1] = 30;
    d->pop_within[0] = 10;
    d->pop_within[1] = 30;
    static char *ids[2] = {"a", "b"}, *names[2] = {"A", NULL},
                *klasses[2] = {"hospital", "clinic"};
    memcpy(d->id, ids, sizeof ids);
    memcpy(d->name, names, sizeof names);
    memcpy(d->klass, klasses, sizeof klasses);
    d->capacity[0] = 5;
    d->capacity[1] = 1;
    d->lon[0] = 43.001;
    d->lon[1] = 43.02;
    d->lat[0] = -11.001;
    d->lat[1] = -11.015;
    d->snap_m[0] = 12.5;
    d->snap_m[1] = NAN;
    d->node[0] = 7; /* site 0: reached from node 7 (90 s) and 8 (3 min) */
    d->node[1] = 8;
    d->node[2] = -1; /* site 1: off the network */
    d->node[3] = -1;
    d->offset_ds[0] = 900;
    d->offset_ds[1] = 1800;
    d->offset_ds[2] = d->offset_ds[3] = AM_TIME_INF;
    /* 9000 ds = 15 min, 60 ds = 0.1 min; the third cell reaches nothing */
    d->nearest_ds[0] = 9000;
    d->nearest_ds[1] = 60;
    d->nearest_ds[2] = AM_TIME_INF;
    d->nearest[0] = 0;
    d->nearest[1] = 0;
    d->nearest[2] = -1;
    d->access[0] = 0.25;
    d->access[1] = 0.25;
    d->access[2] = 0;
    d->demand[0] = 20;
    d->demand[1] = 0;
    d->ratio[0] = 0.25;
    d->ratio[1] = 0;

    d->measure = (am_rf_measure){.name = "2sfca_30min",
                                 .type = "2sfca",
                                 .long_name = "2SFCA accessibility",
                                 .units = "capacity per person",
                                 .threshold_min = 30,
                                 .reference = "Luo and Wang 2003",
                                 .access = d->access,
                                 .demand = d->demand,
                                 .ratio = d->ratio};
    am_rf_set *s = &d->set;
    s->name = "health";
    s->where = NULL;
    s->facilities = (am_rf_input){NULL, 0, NULL}; /* sites given as arrays */
    s->n_sites = 2;
    s->id = d->id;
    s->site_name = d->name;
    s->klass = d->klass;
    s->capacity = d->capacity;
    s->lon = d->lon;
    s->lat = d->lat;
    s->snap_distance_m = d->snap_m;
    s->link_node = d->node;
    s->link_offset_ds = d->offset_ds;
    s->nearest_ds = d->nearest_ds;
    s->nearest = d->nearest;
    s->n_measures = 1;
    s->measures = &d->measure;
    s->n_cutoffs = 2;
    s->cutoffs_min = d->cutoffs;
    s->pop_within = d->pop_within;

    am_rf_file *f = &d->file;
    f->run.version = "9.9.9";
    f->run.created_utc = "2000-01-01T00:00:00Z";
    f->run.scenario_name = "test";
    f->run.threads = 1;
    f->run.snap_max_m = 500;
    f->run.walk_speed_kmh = 5;
    f->run.n_cutoffs = 2;
    f->run.cutoffs_min = d->cutoffs;
    f->run.metric_frame = "+proj=aeqd";
    f->run.roads = (am_rf_input){"roads.gpkg", 123, "ab"};
    f->run.population = (am_rf_input){"pop.tif", 456, "cd"};
    f->network = (am_rf_network){.nodes = 10,
                                 .arcs = 20,
                                 .features_read = 3,
                                 .features_routable = 2,
                                 .routable_km = 1.5,
                                 .speeds = "profile car",
                                 .oneway_field = ""};
    f->population = (am_rf_population){&d->grid, FIXTURE_WKT_4326,
                                       3,        d->cell,
                                       d->pop,   60,
                                       1,        2,
                                       3,        4.5,
                                       6,        0.01,
                                       2.5,      1,
                                       7,        {0, 0, 0, 0, 0, 0}};
    f->n_sets = 1;
    f->sets = &d->set;
    *state = d;
    return 0;
}

/* Removes out.h5 and the directory; fails if anything else is left. */
static int teardown(void **state)
{
    desc *d = *state;
    unlink(d->out);
    int rc = rmdir(d->dir);
    if (rc != 0)
        fprintf(stderr, "directory not empty: %s\n", d->dir);
    free(d);
    return rc == 0 ? 0 : -1;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void read_all(hid_t f, const char *path, hid_t type, void *buf)
{
    hid_t ds = H5Dopen2(f, path, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Dclose(ds);
}

static int has_attr(hid_t f, const char *obj, const char *name)
{
    return H5Aexists_by_name(f, obj, name, H5P_DEFAULT) > 0;
}

/* ---- tests ------------------------------------------------------------ */

static int exists_in(hid_t f, const char *path)
{
    return H5Lexists(f, path, H5P_DEFAULT) > 0;
}

static void test_layout(void **state)
{
    desc *d = *state;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_rf_write(d->out, &d->file, NULL, NULL, &err), AM_OK);
    hid_t f = H5Fopen(d->out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);

    /* population: values at the cells, fill elsewhere */
    float pop[6];
    read_all(f, "/population", H5T_NATIVE_FLOAT, pop);
    const float want_pop[6] = {10,          AM_FILL_F32, 20,
                               AM_FILL_F32, 30,          AM_FILL_F32};
    assert_memory_equal(pop, want_pop, sizeof pop);

    /* nearest: minutes from deciseconds, unreachable and fill values */
    float t[6];
    int32_t k[6];
    read_all(f, "/results/health/nearest_time_min", H5T_NATIVE_FLOAT, t);
    read_all(f, "/results/health/nearest_facility", H5T_NATIVE_INT32, k);
    assert_true(t[0] == 15.0f && fabsf(t[2] - 0.1f) < 1e-6f);
    assert_true(t[4] == AM_UNREACHED_MIN && t[1] == AM_FILL_F32);
    assert_int_equal(k[0], 0);
    assert_int_equal(k[2], 0);
    assert_int_equal(k[4], AM_UNREACHED_I32);
    assert_int_equal(k[5], AM_FILL_I32);

    /* the measure raster and its columns */
    float a[6];
    read_all(f, "/results/health/2sfca_30min", H5T_NATIVE_FLOAT, a);
    assert_true(a[0] == 0.25f && a[4] == 0.0f && a[3] == AM_FILL_F32);
    assert_true(has_attr(f, "/results/health/2sfca_30min", "threshold_min"));
    assert_true(has_attr(f, "/results/health/2sfca_30min", "reference"));
    double dj[2], rj[2];
    read_all(f, "/results/health/facilities/catchment_population_2sfca_30min",
             H5T_NATIVE_DOUBLE, dj);
    read_all(f, "/results/health/facilities/ratio_2sfca_30min",
             H5T_NATIVE_DOUBLE, rj);
    assert_true(dj[0] == 20 && dj[1] == 0 && rj[0] == 0.25 && rj[1] == 0);
    int32_t index[2], node0[2], node1[2];
    double lt0[2], lt1[2];
    read_all(f, "/results/health/facilities/index", H5T_NATIVE_INT32, index);
    read_all(f, "/results/health/facilities/node_0", H5T_NATIVE_INT32, node0);
    read_all(f, "/results/health/facilities/node_1", H5T_NATIVE_INT32, node1);
    read_all(f, "/results/health/facilities/link_time_0_min", H5T_NATIVE_DOUBLE,
             lt0);
    read_all(f, "/results/health/facilities/link_time_1_min", H5T_NATIVE_DOUBLE,
             lt1);
    assert_true(index[0] == 0 && index[1] == 1);
    assert_true(node0[0] == 7 && node1[0] == 8);
    assert_true(node0[1] == -1 && node1[1] == -1);
    assert_true(lt0[0] == 1.5 && lt1[0] == 3.0);
    assert_true(isnan(lt0[1]) && isnan(lt1[1]));

    /* coverage: percent of the population's total (60) */
    double pct[2];
    read_all(f, "/results/health/coverage/percent", H5T_NATIVE_DOUBLE, pct);
    assert_true(fabs(pct[0] - 100.0 * 10 / 60) < 1e-12);
    assert_true(fabs(pct[1] - 50.0) < 1e-12);

    /* provenance: given inputs only; no facilities fingerprint for sites
       given as arrays, no scenario fingerprint without a scenario file */
    assert_true(has_attr(f, "/", "roads_sha256"));
    assert_true(has_attr(f, "/", "population_size_bytes"));
    assert_false(has_attr(f, "/", "scenario_path"));
    assert_false(has_attr(f, "/results/health", "facilities_path"));
    assert_true(has_attr(f, "/results/health", "where"));
    assert_true(has_attr(f, "/network", "routable_km"));
    assert_true(has_attr(f, "/population", "off_network_cells"));
    /* how the band was read: scale, offset and mask, as given */
    double scale = 0, offset = 0;
    long long masked = 0;
    hid_t at = H5Aopen_by_name(f, "/population", "source_scale", H5P_DEFAULT,
                               H5P_DEFAULT);
    assert_true(at >= 0 && H5Aread(at, H5T_NATIVE_DOUBLE, &scale) >= 0);
    H5Aclose(at);
    at = H5Aopen_by_name(f, "/population", "source_offset", H5P_DEFAULT,
                         H5P_DEFAULT);
    assert_true(at >= 0 && H5Aread(at, H5T_NATIVE_DOUBLE, &offset) >= 0);
    H5Aclose(at);
    at = H5Aopen_by_name(f, "/population", "source_masked", H5P_DEFAULT,
                         H5P_DEFAULT);
    assert_true(at >= 0 && H5Aread(at, H5T_NATIVE_LLONG, &masked) >= 0);
    H5Aclose(at);
    assert_true(scale == 0.01 && offset == 2.5 && masked == 1);
    long long masked_cells = 0;
    at = H5Aopen_by_name(f, "/population", "masked_cells", H5P_DEFAULT,
                         H5P_DEFAULT);
    assert_true(at >= 0 && H5Aread(at, H5T_NATIVE_LLONG, &masked_cells) >= 0);
    H5Aclose(at);
    assert_true(masked_cells == 7);
    H5Fclose(f);
}

/* issue 9: a ratio measure with its reach flags and attributes, and a
 * measure without a ratio (no facility columns) whose values are minutes
 * (+inf written as the unreachable value). */
static void test_measure_kinds(void **state)
{
    desc *d = *state;
    am_error err;
    am_error_clear(&err);
    const uint8_t flag[3] = {0, 2, 1};
    const double minutes[3] = {12.5, INFINITY, INFINITY};
    am_rf_measure ms[2];
    ms[0] = d->measure;
    ms[0].formula = "A_i = sum_j R_j f(t_ij)";
    ms[0].decay = "exponential";
    ms[0].decay_formula = "f(t) = exp(-beta t)";
    ms[0].decay_parameters = "exponential beta 0.1 per min, cutoff 30 min";
    ms[0].decay_truncated = 1;
    ms[0].flag = flag;
    ms[0].fac_no_demand = 1;
    ms[0].per_person = 1;
    ms[1] = (am_rf_measure){.name = "nearest3_60min",
                            .type = "nearest_n",
                            .long_name = "travel time to the n-th nearest",
                            .units = "minutes",
                            .threshold_min = 60,
                            .reference = "",
                            .access = minutes,
                            .decay = "step",
                            .nth = 3,
                            .unreached_minutes = 1,
                            .flag = flag};
    d->set.measures = ms;
    d->set.n_measures = 2;
    am_status rc = am_rf_write(d->out, &d->file, NULL, NULL, &err);
    d->set.measures = &d->measure;
    d->set.n_measures = 1;
    assert_int_equal(rc, AM_OK);
    hid_t f = H5Fopen(d->out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    /* reach/<measure>: the flags at the cells, the fill elsewhere */
    int32_t r[6];
    read_all(f, "/results/health/reach/2sfca_30min", H5T_NATIVE_INT32, r);
    const int32_t want_r[6] = {0, AM_FILL_I32, 2, AM_FILL_I32, 1, AM_FILL_I32};
    assert_memory_equal(r, want_r, sizeof r);
    assert_true(exists_in(f, "/results/health/reach/nearest3_60min"));
    /* per_person/<measure>: value / population (spav's v_i) */
    float v[6];
    read_all(f, "/results/health/per_person/2sfca_30min", H5T_NATIVE_FLOAT, v);
    assert_true(v[0] == (float)(d->access[0] / d->pop[0]) &&
                v[2] == (float)(d->access[1] / d->pop[1]) &&
                v[4] == (float)(d->access[2] / d->pop[2]) &&
                v[1] == AM_FILL_F32);
    assert_false(exists_in(f, "/results/health/per_person/nearest3_60min"));
    const char *attrs[] = {"formula",         "decay",
                           "decay_formula",   "decay_parameters",
                           "decay_truncated", "facilities_no_demand",
                           "measure",         "threshold_min",
                           "reference",       NULL};
    for (int i = 0; attrs[i] != NULL; i++)
        assert_true(has_attr(f, "/results/health/2sfca_30min", attrs[i]));
    assert_false(has_attr(f, "/results/health/2sfca_30min", "n"));
    assert_true(has_attr(f, "/results/health/nearest3_60min", "n"));
    assert_true(
        has_attr(f, "/results/health/nearest3_60min", "unreachable_value"));
    /* minutes, -1 where fewer than n facilities are within reach */
    float t[6];
    read_all(f, "/results/health/nearest3_60min", H5T_NATIVE_FLOAT, t);
    assert_true(t[0] == 12.5f && t[2] == AM_UNREACHED_MIN &&
                t[4] == AM_UNREACHED_MIN && t[1] == AM_FILL_F32);
    /* no ratio: no facility columns for it, the ratio measure's as before */
    assert_false(exists_in(
        f, "/results/health/facilities/catchment_population_nearest3_60min"));
    assert_false(
        exists_in(f, "/results/health/facilities/ratio_nearest3_60min"));
    assert_true(exists_in(f, "/results/health/facilities/ratio_2sfca_30min"));
    H5Fclose(f);
}

static void test_fingerprints(void **state)
{
    desc *d = *state;
    d->file.run.scenario = (am_rf_input){"s.yaml", 1, "ef"};
    d->set.facilities = (am_rf_input){"f.gpkg", 2, "01"};
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_rf_write(d->out, &d->file, NULL, NULL, &err), AM_OK);
    hid_t f = H5Fopen(d->out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(has_attr(f, "/", "scenario_sha256"));
    assert_true(has_attr(f, "/results/health", "facilities_size_bytes"));
    H5Fclose(f);
}

/* Refused before anything is created. */
static void expect_invalid(desc *d)
{
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_rf_write(d->out, &d->file, NULL, NULL, &err),
                     AM_ERR_INVALID);
    assert_false(exists(d->out));
}

static void test_bad_descriptions(void **state)
{
    desc *d = *state;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_rf_write(d->out, NULL, NULL, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_rf_write(NULL, &d->file, NULL, NULL, &err),
                     AM_ERR_INVALID);

    char long_name[AM_RF_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    d->set.name = long_name;
    expect_invalid(d);
    d->set.name = "health";

    d->measure.access = NULL;
    expect_invalid(d);
    d->measure.access = d->access;

    d->set.nearest = NULL;
    expect_invalid(d);
    d->set.nearest = d->nearest;

    d->file.population.grid = NULL;
    expect_invalid(d);
}

/* issue 10: a selection's map layers, painted cells only, streamed */
static void test_selection_maps(void **state)
{
    desc *d = *state;
    static const int64_t cell[3] = {1, 4, 5};
    static const int32_t item[3] = {0, 1, 1};
    static const double v[2] = {1.5, 2.5}, w[2] = {NAN, 3};
    static const int64_t cand[2] = {7, 9};
    am_rf_sel_map maps[3] = {{"v", "a value", "persons", v, NULL},
                             {"w", "NaN is nodata", NULL, w, NULL},
                             {"candidate", "row", "1", NULL, cand}};
    am_rf_attr attr = {"model", AM_RF_COL_STRING, 0, 0, "mclp"};
    am_rf_selection sel = {.name = "s",
                           .n_attrs = 1,
                           .attrs = &attr,
                           .n_map_cells = 3,
                           .map_cell = cell,
                           .map_item = item,
                           .n_items = 2,
                           .n_maps = 3,
                           .maps = maps};
    d->file.n_selections = 1;
    d->file.selections = &sel;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_rf_write(d->out, &d->file, NULL, NULL, &err), AM_OK);
    hid_t f = H5Fopen(d->out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    float fv[6], fw[6];
    int32_t ic[6];
    read_all(f, "/selection/s/maps/v", H5T_NATIVE_FLOAT, fv);
    read_all(f, "/selection/s/maps/w", H5T_NATIVE_FLOAT, fw);
    read_all(f, "/selection/s/maps/candidate", H5T_NATIVE_INT32, ic);
    const float wv[6] = {-9999, 1.5f, -9999, -9999, 2.5f, 2.5f};
    const float ww[6] = {-9999, -9999, -9999, -9999, 3, 3};
    const int32_t wc[6] = {-2, 7, -2, -2, 9, 9};
    assert_memory_equal(fv, wv, sizeof fv);
    assert_memory_equal(fw, ww, sizeof fw);
    assert_memory_equal(ic, wc, sizeof ic);
    assert_true(has_attr(f, "/selection/s/maps/v", "grid_mapping"));
    assert_true(has_attr(f, "/selection/s/maps/v", "_FillValue"));
    H5Fclose(f);
    unlink(d->out);

    /* refused before anything is written: cells out of order, an item
       out of range, a cell beyond the grid */
    static const int64_t unordered[3] = {4, 1, 5};
    sel.map_cell = unordered;
    expect_invalid(d);
    sel.map_cell = cell;
    static const int32_t bad_item[3] = {0, 2, 1};
    sel.map_item = bad_item;
    expect_invalid(d);
    sel.map_item = item;
    static const int64_t beyond[3] = {1, 4, 6};
    sel.map_cell = beyond;
    expect_invalid(d);
    d->file.n_selections = 0;
}

static int stop_at_half(double fraction, const char *message, void *user)
{
    (void)message;
    double *last = user;
    assert_true(fraction >= *last && fraction <= 1.0);
    *last = fraction;
    return fraction < 0.5;
}

/* The progress covers the whole file; a 0 stops it and leaves no file. */
static void test_cancel(void **state)
{
    desc *d = *state;
    double last = 0;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_rf_write(d->out, &d->file, stop_at_half, &last, &err),
                     AM_ERR_CANCELLED);
    assert_true(last >= 0.5 && last < 1.0);
    assert_false(exists(d->out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_measure_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fingerprints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_descriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selection_maps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
