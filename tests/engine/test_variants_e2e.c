/*
 * test_variants_e2e.c: scenario ensembles (issue 12; docs/scenario.md
 * "Variants") on the Comoros demo, against oracles computed here from
 * the file's own datasets:
 *  - a variant that overrides nothing equals the baseline exactly (nearest
 *    time, 2SFCA raster, coverage table);
 *  - a demand growth of 2 doubles every coverage population exactly and
 *    halves every 2SFCA value exactly (R_j = S_j / (2 D_j)), the nearest
 *    times unchanged;
 *  - roads at half speed never bring a cell nearer (the network rebuilt);
 *  - the distribution's min, p50 and max per cell are the smallest, middle
 *    and largest of the variants' own rasters (unreached: +inf), and the
 *    coverage distribution's min and max the variants' own extremes;
 *  - the units table lists the units in run order with distinct
 *    fingerprints;
 *  - the variants' datasets and the distribution are the same bytes at 1
 *    and 3 threads (thread_counts.h's reference and uneven split).
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

#include <hdf5.h>

#include <accessim.h>

#define DEMO AM_DEMO_DATA "/comoros"

#define TMP_DIR_TAG "variants"
#include "h5_read.h"
#include "tmp_dir.h"

static const char *const units[] = {"same", "double", "slow", "product_0",
                                    "product_1"};
#define N_UNITS 5

static double *must_read(hid_t f, const char *path, size_t *n)
{
    double *v = read_num_opt(f, path, n);
    if (v == NULL)
        fail_msg("missing %s", path);
    return v;
}

static void run_ensemble(const char *out, int threads)
{
    char path[512], text[4096];
    snprintf(path, sizeof path, "%s/ens.yaml", tmp_dir);
    snprintf(text, sizeof text,
             "name: ens\n"
             "roads: {path: %s/comores-latest.osm.pbf}\n"
             "population: {path: %s/com_ppp_2020_UNadj.tif}\n"
             "facilities:\n"
             "  - name: hc\n"
             "    path: %s/health.gpkg\n"
             "    where: \"amenity IN ('hospital', 'clinic')\"\n"
             "cutoffs_min: [15, 30, 60]\n"
             "measures: [{type: 2sfca, threshold_min: 30}]\n"
             "variants:\n"
             "  list:\n"
             "    - name: same\n"
             "    - {name: double, population_multiplier: 2}\n"
             "    - {name: slow, speed_multiplier: 0.5}\n"
             "  product:\n"
             "    threshold_min: [20, 40]\n",
             DEMO, DEMO, DEMO);
    write_text(path, text);
    am_scenario *s = NULL;
    am_run_summary *sum = NULL;
    am_error e;
    am_error_clear(&e);
    if (am_scenario_read_file(path, &s, &e) != AM_OK)
        fail_msg("line %ld: %s", e.line, e.msg);
    assert_int_equal(s->n_variants, N_UNITS);
    am_run_options opt = am_run_options_default();
    opt.output_path = out;
    opt.threads = threads;
    opt.no_cache = 1;
    if (am_run(s, &opt, &sum, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    assert_int_equal(sum->n_variants, N_UNITS);
    for (int i = 0; i < N_UNITS; i++) {
        assert_string_equal(sum->variants[i].name, units[i]);
        assert_int_equal(sum->variants[i].id, i);
        assert_int_equal(sum->variants[i].reused_model, i != 2);
    }
    am_run_summary_destroy(sum);
    am_scenario_destroy(s);
}

/* -1 (unreached) as +inf, for ordering. */
static double minutes(double v)
{
    return v == -1.0 ? INFINITY : v;
}

static void check_oracles(hid_t f)
{
    size_t n = 0, m = 0;
    char p[256];
    double *base_t = must_read(f, "/results/hc/nearest_time_min", &n);
    double *base_a = must_read(f, "/results/hc/2sfca_30min", &m);
    double *base_c = must_read(f, "/results/hc/coverage/population", &m);
    assert_int_equal(m, 3);
    double *t[N_UNITS], *c[N_UNITS];
    for (int i = 0; i < N_UNITS; i++) {
        snprintf(p, sizeof p, "/variants/%s/results/hc/nearest_time_min",
                 units[i]);
        t[i] = must_read(f, p, &m);
        assert_int_equal(m, n);
        snprintf(p, sizeof p, "/variants/%s/results/hc/coverage/population",
                 units[i]);
        c[i] = must_read(f, p, &m);
        assert_int_equal(m, 3);
    }
    /* same: the baseline, exactly */
    assert_memory_equal(t[0], base_t, n * sizeof *base_t);
    assert_memory_equal(c[0], base_c, 3 * sizeof *base_c);
    double *same_a = must_read(f, "/variants/same/results/hc/2sfca_30min", &m);
    assert_memory_equal(same_a, base_a, n * sizeof *base_a);
    /* double: twice the people within, half the access, same times */
    double *dbl_a = must_read(f, "/variants/double/results/hc/2sfca_30min", &m);
    assert_memory_equal(t[1], base_t, n * sizeof *base_t);
    for (int k = 0; k < 3; k++)
        assert_true(c[1][k] == 2.0 * base_c[k]);
    size_t halved = 0;
    for (size_t i = 0; i < n; i++) {
        if (base_a[i] == -9999.0 || isnan(base_a[i])) {
            assert_true(dbl_a[i] == base_a[i] || isnan(dbl_a[i]));
            continue;
        }
        if (dbl_a[i] != 0.5 * base_a[i])
            fail_msg("cell %zu: 2sfca %.9g with demand x2, baseline %.9g", i,
                     dbl_a[i], base_a[i]);
        halved += base_a[i] > 0;
    }
    assert_true(halved > 1000);
    /* slow: never nearer, and at least some cells farther */
    size_t farther = 0;
    for (size_t i = 0; i < n; i++) {
        if (base_t[i] == -9999.0) {
            assert_true(t[2][i] == -9999.0);
            continue;
        }
        assert_true(minutes(t[2][i]) >= minutes(base_t[i]));
        farther += minutes(t[2][i]) > minutes(base_t[i]);
    }
    assert_true(farther > 1000);
    /* the distribution per cell: min, p50 (3rd of 5), max */
    double *dmin =
        must_read(f, "/variants/distribution/hc/nearest_time_min_min", &m);
    double *dp50 =
        must_read(f, "/variants/distribution/hc/nearest_time_min_p50", &m);
    double *dmax =
        must_read(f, "/variants/distribution/hc/nearest_time_min_max", &m);
    for (size_t i = 0; i < n; i++) {
        if (base_t[i] == -9999.0) {
            assert_true(dmin[i] == -9999.0 && dmax[i] == -9999.0);
            continue;
        }
        double v[N_UNITS];
        for (int u = 0; u < N_UNITS; u++) { /* insertion sort */
            double x = minutes(t[u][i]);
            int y = u;
            while (y > 0 && v[y - 1] > x) {
                v[y] = v[y - 1];
                y--;
            }
            v[y] = x;
        }
        if (minutes(dmin[i]) != v[0] || minutes(dp50[i]) != v[2] ||
            minutes(dmax[i]) != v[N_UNITS - 1])
            fail_msg("cell %zu: distribution %g %g %g, variants %g .. %g", i,
                     dmin[i], dp50[i], dmax[i], v[0], v[N_UNITS - 1]);
    }
    /* the coverage distribution: the variants' own extremes */
    double *cmin = must_read(
        f, "/variants/distribution/hc/coverage/population_within_min", &m);
    double *cmax = must_read(
        f, "/variants/distribution/hc/coverage/population_within_max", &m);
    assert_int_equal(m, 3);
    for (int k = 0; k < 3; k++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int u = 0; u < N_UNITS; u++) {
            lo = c[u][k] < lo ? c[u][k] : lo;
            hi = c[u][k] > hi ? c[u][k] : hi;
        }
        assert_true(cmin[k] == lo);
        assert_true(cmax[k] == hi);
    }
    /* the units in run order */
    double *ids = must_read(f, "/variants/units/id", &m);
    assert_int_equal(m, N_UNITS);
    for (int u = 0; u < N_UNITS; u++)
        assert_true(ids[u] == u);
    free(ids);
    free(cmin);
    free(cmax);
    free(dmin);
    free(dp50);
    free(dmax);
    free(dbl_a);
    free(same_a);
    for (int i = 0; i < N_UNITS; i++) {
        free(t[i]);
        free(c[i]);
    }
    free(base_t);
    free(base_a);
    free(base_c);
}

/* The fingerprints: 64 hex digits each, all different. */
static void check_fingerprints(hid_t f)
{
    char fp[N_UNITS][65];
    for (int u = 0; u < N_UNITS; u++) {
        char g[128];
        snprintf(g, sizeof g, "/variants/%s", units[u]);
        hid_t a =
            H5Aopen_by_name(f, g, "fingerprint", H5P_DEFAULT, H5P_DEFAULT);
        assert_true(a >= 0);
        hid_t ty = H5Aget_type(a);
        char *s = NULL;
        if (H5Tis_variable_str(ty) > 0) {
            assert_true(H5Aread(a, ty, &s) >= 0);
            snprintf(fp[u], sizeof fp[u], "%s", s);
            H5free_memory(s);
        } else {
            char buf[128] = {0};
            assert_true(H5Tget_size(ty) < sizeof buf);
            assert_true(H5Aread(a, ty, buf) >= 0);
            snprintf(fp[u], sizeof fp[u], "%s", buf);
        }
        H5Tclose(ty);
        H5Aclose(a);
        assert_int_equal(strlen(fp[u]), 64);
        for (int v = 0; v < u; v++)
            assert_string_not_equal(fp[u], fp[v]);
    }
}

static void test_demo_ensemble(void **state)
{
    (void)state;
    char out1[300], out3[300];
    snprintf(out1, sizeof out1, "%s/t1.h5", tmp_dir);
    snprintf(out3, sizeof out3, "%s/t3.h5", tmp_dir);
    run_ensemble(out1, 1);
    run_ensemble(out3, 3);
    hid_t f1 = H5Fopen(out1, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t f3 = H5Fopen(out3, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f1 >= 0 && f3 >= 0);
    check_oracles(f1);
    check_fingerprints(f1);
    /* the same bytes at 1 and 3 threads */
    static const char *const stems[] = {"nearest_time_min", "2sfca_30min"};
    static const char *const stats[] = {"min", "p10", "p50", "p90", "max"};
    char p[256];
    for (int u = 0; u < N_UNITS; u++)
        for (int k = 0; k < 2; k++) {
            snprintf(p, sizeof p, "/variants/%s/results/hc/%s", units[u],
                     stems[k]);
            assert_same_dataset(f1, f3, p, "1 and 3 threads");
        }
    for (int k = 0; k < 2; k++)
        for (int q = 0; q < 5; q++) {
            snprintf(p, sizeof p, "/variants/distribution/hc/%s_%s", stems[k],
                     stats[q]);
            assert_same_dataset(f1, f3, p, "1 and 3 threads");
        }
    H5Fclose(f1);
    H5Fclose(f3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_ensemble),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
