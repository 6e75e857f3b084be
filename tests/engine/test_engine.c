/*
 * test_engine.c: the library API (engine/accessim.h) as a program uses it,
 * on the bundled Comoros data:
 *  - a scenario built in code, with two facility sets and two measures,
 *    runs into one file: each set gets its group, each measure its raster
 *    and table columns; D_j grows with the threshold (a catchment at 15 min
 *    is inside the one at 30 min) and the summary agrees with the file;
 *  - progress reports every phase in order, fractions within [0, 1];
 *  - a progress callback that says stop cancels the run with
 *    AM_ERR_CANCELLED and leaves neither the output nor a temporary file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "common/strutil.h"
#include <accessim.h>

#define DEMO AM_DEMO_DATA "/comoros"

static char tmp_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/accessim-engine-XXXXXX");
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int count_files(void)
{
    int n = 0;
    DIR *d = opendir(tmp_dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.' || strstr(e->d_name, ".tmp-") != NULL;
    if (d != NULL)
        closedir(d);
    return n;
}

/* Two sets (hospitals, clinics) and two measures (2SFCA at 15 and 30). */
static am_scenario *demo_scenario(void)
{
    am_scenario *s = NULL;
    am_error err;
    assert_int_equal(am_scenario_create(&s), AM_OK);
    s->name = am_strdup("api");
    s->roads_path = am_strdup(DEMO "/comores-latest.osm.pbf");
    s->population_path = am_strdup(DEMO "/com_ppp_2020_UNadj.tif");
    s->facility_sets = calloc(2, sizeof *s->facility_sets);
    assert_non_null(s->facility_sets);
    s->n_facility_sets = 2;
    const char *names[2] = {"hospitals", "clinics"};
    const char *wheres[2] = {"amenity = 'hospital'", "amenity = 'clinic'"};
    for (int k = 0; k < 2; k++) {
        am_facility_source *f = &s->facility_sets[k];
        f->name = am_strdup(names[k]);
        f->path = am_strdup(DEMO "/health.gpkg");
        f->where = am_strdup(wheres[k]);
        f->default_capacity = k == 0 ? 5.0 : 1.0;
    }
    s->measures = calloc(2, sizeof *s->measures);
    assert_non_null(s->measures);
    s->n_measures = 2;
    s->measures[0].type = AM_MEASURE_TYPE_2SFCA;
    s->measures[0].threshold_min = 15;
    s->measures[1].type = AM_MEASURE_TYPE_2SFCA;
    s->measures[1].threshold_min = 30;
    am_error_clear(&err);
    am_status rc = am_scenario_finalize(s, &err);
    if (rc != AM_OK)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, AM_OK);
    return s;
}

/* Records the phases seen; cancels when `stop_at` is reached. */
typedef struct progress_log {
    char labels[16][32];
    int n;
    int bad_fraction;
    const char *stop_at;
} progress_log;

static int log_progress(double fraction, const char *message, void *user)
{
    progress_log *l = user;
    if (!(fraction >= 0.0 && fraction <= 1.0))
        l->bad_fraction = 1;
    if (message != NULL &&
        (l->n == 0 || strcmp(l->labels[l->n - 1], message) != 0) && l->n < 16)
        snprintf(l->labels[l->n++], sizeof l->labels[0], "%s", message);
    return !(l->stop_at != NULL && message != NULL &&
             strcmp(message, l->stop_at) == 0);
}

static double *read_column(hid_t f, const char *path, hsize_t *n)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0)
        fprintf(stderr, "missing %s\n", path);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    *n = (hsize_t)H5Sget_simple_extent_npoints(sp);
    double *v = malloc(sizeof *v * (*n + 1));
    assert_true(
        H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    return v;
}

static void test_two_sets_two_measures(void **state)
{
    (void)state;
    am_scenario *s = demo_scenario();
    char out[512];
    snprintf(out, sizeof out, "%s/api.h5", tmp_dir);
    progress_log log;
    memset(&log, 0, sizeof log);
    am_run_options opt = am_run_options_default();
    opt.output_path = out;
    opt.threads = 2;
    opt.progress = log_progress;
    opt.progress_user = &log;
    am_run_summary *sum = NULL;
    am_error err;
    am_status rc = am_run(s, &opt, &sum, &err);
    if (rc != AM_OK)
        fprintf(stderr, "%s: %s\n", err.file, err.msg);
    assert_int_equal(rc, AM_OK);
    assert_non_null(sum);

    /* phases, in order */
    const char *expected[] = {"reading roads",      "building graph",
                              "reading population", "snapping population",
                              "reading facilities", "computing catchments",
                              "computing measures", "writing output"};
    int k = 0;
    for (int i = 0; i < log.n && k < 8; i++)
        if (strcmp(log.labels[i], expected[k]) == 0)
            k++;
    assert_int_equal(k, 8);
    assert_false(log.bad_fraction);

    /* the summary: two sets, 28 hospitals and 8 clinics */
    assert_int_equal(sum->n_sets, 2);
    assert_int_equal(sum->sets[0].n_facilities, 28);
    assert_int_equal(sum->sets[1].n_facilities, 8);
    assert_int_equal(sum->n_measures, 2);
    assert_string_equal(sum->measure_names[0], "2sfca_15min");
    assert_string_equal(sum->measure_names[1], "2sfca_30min");

    /* the file: both groups, both measures; D_j(15) <= D_j(30) */
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    const char *groups[2] = {"/results/hospitals", "/results/clinics"};
    for (int g = 0; g < 2; g++) {
        char p15[256], p30[256], pc[256];
        snprintf(p15, sizeof p15,
                 "%s/facilities/catchment_population_2sfca_15min", groups[g]);
        snprintf(p30, sizeof p30,
                 "%s/facilities/catchment_population_2sfca_30min", groups[g]);
        snprintf(pc, sizeof pc, "%s/coverage/population", groups[g]);
        hsize_t n15, n30, nc;
        double *d15 = read_column(f, p15, &n15);
        double *d30 = read_column(f, p30, &n30);
        double *cov = read_column(f, pc, &nc);
        assert_int_equal(n15, (hsize_t)sum->sets[g].n_facilities);
        assert_int_equal(n15, n30);
        int grew = 0;
        for (hsize_t j = 0; j < n15; j++) {
            assert_true(d15[j] <= d30[j]);
            grew += d15[j] < d30[j];
        }
        assert_true(grew > 0);
        /* the summary reports the file's coverage */
        assert_int_equal(nc, 3);
        for (hsize_t c = 0; c < nc; c++)
            assert_true(fabs(cov[c] - sum->sets[g].pop_within[c]) <=
                        1e-9 * cov[c]);
        free(d15);
        free(d30);
        free(cov);
        char r15[256];
        snprintf(r15, sizeof r15, "%s/2sfca_15min", groups[g]);
        assert_true(H5Lexists(f, r15, H5P_DEFAULT) > 0);
    }
    H5Fclose(f);
    am_run_summary_destroy(sum);
    am_scenario_destroy(s);
}

static void test_cancel_leaves_nothing(void **state)
{
    (void)state;
    const char *stops[] = {"computing catchments", "writing output"};
    for (int i = 0; i < 2; i++) {
        am_scenario *s = demo_scenario();
        char out[512];
        snprintf(out, sizeof out, "%s/cancelled.h5", tmp_dir);
        progress_log log;
        memset(&log, 0, sizeof log);
        log.stop_at = stops[i];
        am_run_options opt = am_run_options_default();
        opt.output_path = out;
        opt.progress = log_progress;
        opt.progress_user = &log;
        am_run_summary *sum = (am_run_summary *)&log; /* must become NULL */
        am_error err;
        assert_int_equal(am_run(s, &opt, &sum, &err), AM_ERR_CANCELLED);
        assert_int_equal(err.code, AM_ERR_CANCELLED);
        assert_null(sum);
        assert_int_equal(count_files(), 0);
        am_scenario_destroy(s);
    }
}

static void test_null_arguments(void **state)
{
    (void)state;
    am_error err;
    assert_int_equal(am_run(NULL, NULL, NULL, &err), AM_ERR_USAGE);
    am_run_summary_destroy(NULL);
    am_scenario_destroy(NULL);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_sets_two_measures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test(test_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
