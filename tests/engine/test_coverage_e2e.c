/*
 * test_coverage_e2e.c: capacity_coverage (issue 9, docs/coverage.md)
 * through the engine on the Comoros demo data:
 *  - both allocations and a smooth decay in one run, 1, 2, 3 and 8
 *    threads byte-identical (shares, flags, the split per cell and per
 *    facility);
 *  - conservation: served + beyond capacity + not within reach + off
 *    network = the population, per cell and in total; what the cells are
 *    served is what the facilities serve (sum_j min(D_j, k S_j));
 *    allocated demand = population within reach (no double counting);
 *  - reach flags the same as 2SFCA's with the same threshold;
 *  - order independence: the same facilities given in reverse order (as
 *    points) give byte-identical per-cell results, per facility reversed;
 *  - am_run: the summary's four totals add up to the population;
 *  - a matrix scenario (Belo Horizonte): the split of the demand (served,
 *    beyond capacity, not within reach) adding up to it, the allocation's
 *    rounds, one summary line per measure, no warning; the share served per
 * zone in [0, 1], exactly 1 with capacity to spare, 1 and 2 threads
 *    byte-identical.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <accessim.h>

#define DEMO AM_DEMO_DATA "/comoros"

#define TMP_DIR_TAG "coverage"
#include "thread_counts.h"
#include "tmp_dir.h"

/* 36 facilities, capacity 148 in all. k = 5000 persons per unit: 740,000
 * persons of capacity for 685,118 within 30 min, some facilities full and
 * some with room; k = 1000 (cov_exp): every facility full. */
#define N_MEASURES 4
static const char *const yaml =
    "roads: {path: " DEMO "/comores-latest.osm.pbf, profile: car}\n"
    "population: {path: " DEMO "/com_ppp_2020_UNadj.tif}\n"
    "snap: {max_distance_m: 5000, walk_speed_kmh: 5}\n"
    "facilities:\n"
    "  - name: hc\n"
    "    path: " DEMO "/health.gpkg\n"
    "    where: \"amenity IN ('hospital', 'clinic')\"\n"
    "    class_field: amenity\n"
    "    capacity_by_class: {hospital: 5, clinic: 1}\n"
    "cutoffs_min: [15, 30, 60]\n"
    "measures:\n"
    "  - {type: 2sfca, threshold_min: 30}\n"
    "  - {name: cov_prop, type: capacity_coverage, threshold_min: 30,\n"
    "     persons_per_capacity: 5000, allocation: proportional}\n"
    "  - {name: cov_fp, type: capacity_coverage, threshold_min: 30,\n"
    "     persons_per_capacity: 5000, allocation: fixed_point}\n"
    "  - {name: cov_exp, type: capacity_coverage,\n"
    "     decay: {type: exponential, beta: 0.1, cutoff_min: 60},\n"
    "     persons_per_capacity: 1000}\n";

typedef struct built {
    am_scenario *s;
    am_model *m;
    am_sites *f;
} built;

static void build(const char *path, built *b)
{
    am_error e;
    memset(b, 0, sizeof *b);
    am_error_clear(&e);
    if (am_scenario_read_file(path, &b->s, &e) != AM_OK)
        fail_msg("%s: line %ld: %s", e.file, e.line, e.msg);
    am_model_options mo = am_model_options_default();
    mo.threads = 2;
    if (am_model_create(b->s, &mo, &b->m, &e) != AM_OK ||
        am_model_build(b->m, &e) != AM_OK ||
        am_sites_from_scenario(b->m, 0, &b->f, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
}

static am_results *compute(const am_model *m, const am_sites *f, int threads)
{
    am_error e;
    am_results *r = NULL;
    if (am_results_compute(m, f, threads, &r, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    return r;
}

static void same_split(const am_capacity_coverage *a,
                       const am_capacity_coverage *b, int32_t n)
{
    const size_t sz = (size_t)n * sizeof(double);
    assert_memory_equal(a->served, b->served, sz);
    assert_memory_equal(a->beyond, b->beyond, sz);
    assert_memory_equal(a->none, b->none, sz);
    assert_memory_equal(&a->total_served, &b->total_served, sizeof(double));
    assert_memory_equal(&a->total_beyond, &b->total_beyond, sizeof(double));
    assert_memory_equal(&a->total_none, &b->total_none, sizeof(double));
    assert_memory_equal(&a->total_off, &b->total_off, sizeof(double));
    assert_int_equal(a->iterations, b->iterations);
}

static void test_comoros(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/coverage.yaml", tmp_dir);
    write_text(path, yaml);
    built b;
    build(path, &b);
    const int32_t n = am_model_cell_count(b.m), nf = am_sites_count(b.f);
    const double *pop = am_model_cell_population(b.m);
    const double *cap = am_sites_capacity(b.f);
    am_results *r[AM_TEST_N_THREADS];
    for (int t = 0; t < AM_TEST_N_THREADS; t++)
        r[t] = compute(b.m, b.f, am_test_threads[t]);
    am_capacity_coverage cv[AM_TEST_N_THREADS];
    double pop_total = 0.0;
    for (int32_t i = 0; i < n; i++)
        pop_total += pop[i];
    assert_int_equal(am_results_capacity_coverage(r[0], 0, &cv[0]), 0);
    for (int k = 1; k < N_MEASURES; k++) {
        for (int t = 0; t < AM_TEST_N_THREADS; t++)
            assert_int_equal(am_results_capacity_coverage(r[t], k, &cv[t]), 1);
        /* threads: byte-identical */
        for (int t = 1; t < AM_TEST_N_THREADS; t++) {
            const int nt = am_test_threads[t];
            same_split(&cv[0], &cv[t], n);
            assert_same_at_threads(am_results_access(r[t], k),
                                   am_results_access(r[0], k),
                                   (size_t)n * sizeof(double), nt);
            assert_same_at_threads(am_results_reach(r[t], k),
                                   am_results_reach(r[0], k), (size_t)n, nt);
            assert_same_at_threads(cv[t].site_demand, cv[0].site_demand,
                                   (size_t)nf * sizeof(double), nt);
            assert_same_at_threads(cv[t].site_utilisation,
                                   cv[0].site_utilisation,
                                   (size_t)nf * sizeof(double), nt);
        }
        const am_capacity_coverage *c = &cv[0];
        const double kk = k == 3 ? 1000.0 : 5000.0;
        assert_true(c->persons_per_capacity == kk);
        assert_int_equal(c->allocation, k == 1 ? AM_ALLOCATION_PROPORTIONAL
                                               : AM_ALLOCATION_FIXED_POINT);
        assert_int_equal(c->converged, 1);
        if (k == 1)
            assert_int_equal(c->iterations, 0);
        else
            assert_true(c->iterations >= 2);
        /* conservation, per cell and in total */
        const double *share = am_results_access(r[0], k);
        const uint8_t *reach = am_results_reach(r[0], k);
        double served = 0, within = 0, off = 0, none = 0;
        for (int32_t i = 0; i < n; i++) {
            const double sum = c->served[i] + c->beyond[i] + c->none[i];
            if (reach[i] == AM_RESULTS_REACH_OFF) {
                assert_true(sum == 0.0 && share[i] == 0.0);
                off += pop[i];
                continue;
            }
            if (fabs(sum - pop[i]) > 1e-12 * pop[i])
                fail_msg("cell %d: %.17g + %.17g + %.17g != %.17g", i,
                         c->served[i], c->beyond[i], c->none[i], pop[i]);
            assert_true(share[i] >= 0.0 && share[i] <= 1.0);
            if (reach[i] == AM_RESULTS_REACH_NONE)
                assert_true(c->none[i] == pop[i] && share[i] == 0.0);
            else
                within += pop[i];
            none += c->none[i];
            served += c->served[i];
        }
        const double four =
            c->total_served + c->total_beyond + c->total_none + c->total_off;
        if (fabs(four - pop_total) > 1e-9 * pop_total)
            fail_msg("measure %d: the four totals add to %.17g, population "
                     "%.17g",
                     k, four, pop_total);
        assert_true(fabs(served - c->total_served) <= 1e-9 * pop_total);
        assert_true(fabs(off - c->total_off) <= 1e-9 * pop_total);
        assert_true(fabs(none - c->total_none) <= 1e-9 * pop_total);
        /* facilities: served what the cells got; demand = pop in reach
           (every person within reach allocated once) */
        double fs = 0, fd = 0, fe = 0;
        int full = 0;
        for (int32_t j = 0; j < nf; j++) {
            const double K = kk * cap[j];
            fs += c->site_served[j];
            fd += c->site_demand[j];
            fe += c->site_excess[j];
            assert_true(c->site_served[j] <= K * (1 + 1e-12));
            full += c->site_excess[j] > 0.0;
        }
        assert_true(fabs(fs - c->total_served) <= 1e-9 * pop_total);
        assert_true(fabs(fd - within) <= 1e-9 * pop_total);
        assert_true(fabs(fe - c->total_beyond) <= 1e-9 * pop_total);
        /* the cases the measure is for: some facilities full, some with
           room (k = 5000); all full, serving all their capacity (1000) */
        if (k == 3) {
            assert_int_equal(full, nf);
            assert_true(fabs(c->total_served - 148000.0) <= 1e-9 * 148000.0);
        } else {
            assert_true(full > 0 && full < nf);
        }
        assert_true(c->total_served > 0.1 * pop_total);
        assert_true(c->total_beyond > 0.1 * pop_total);
    }
    /* the same reach as 2SFCA with a step at 30 min */
    assert_memory_equal(am_results_reach(r[0], 0), am_results_reach(r[0], 1),
                        (size_t)n);
    assert_memory_equal(am_results_reach(r[0], 0), am_results_reach(r[0], 2),
                        (size_t)n);

    /* order independence: the facilities reversed, as points */
    const double *lon = NULL, *lat = NULL;
    am_sites_lonlat(b.f, &lon, &lat);
    double *rlon = malloc((size_t)nf * sizeof *rlon);
    double *rlat = malloc((size_t)nf * sizeof *rlat);
    double *rcap = malloc((size_t)nf * sizeof *rcap);
    assert_true(rlon && rlat && rcap);
    for (int32_t j = 0; j < nf; j++) {
        rlon[j] = lon[nf - 1 - j];
        rlat[j] = lat[nf - 1 - j];
        rcap[j] = cap[nf - 1 - j];
    }
    am_sites *rf = NULL;
    am_error e;
    am_error_clear(&e);
    if (am_sites_from_points(b.m, "hc", nf, rlon, rlat, rcap, &rf, &e) != AM_OK)
        fail_msg("%s", e.msg);
    am_results *rr = compute(b.m, rf, 2);
    for (int k = 1; k < N_MEASURES; k++) {
        am_capacity_coverage a, c;
        assert_int_equal(am_results_capacity_coverage(r[0], k, &a), 1);
        assert_int_equal(am_results_capacity_coverage(rr, k, &c), 1);
        same_split(&a, &c, n);
        assert_memory_equal(am_results_access(r[0], k),
                            am_results_access(rr, k),
                            (size_t)n * sizeof(double));
        for (int32_t j = 0; j < nf; j++) {
            assert_memory_equal(&c.site_demand[j], &a.site_demand[nf - 1 - j],
                                sizeof(double));
            assert_memory_equal(&c.site_served[j], &a.site_served[nf - 1 - j],
                                sizeof(double));
        }
    }
    am_results_destroy(rr);
    am_sites_destroy(rf);
    free(rlon);
    free(rlat);
    free(rcap);
    for (int t = 0; t < AM_TEST_N_THREADS; t++)
        am_results_destroy(r[t]);
    am_sites_destroy(b.f);
    am_model_destroy(b.m);
    am_scenario_destroy(b.s);
}

/* The whole run: the summary's totals add up to the population. */
static void test_run_summary(void **state)
{
    (void)state;
    char path[512], out[512];
    snprintf(path, sizeof path, "%s/coverage.yaml", tmp_dir);
    snprintf(out, sizeof out, "%s/coverage.h5", tmp_dir);
    write_text(path, yaml);
    am_scenario *s = NULL;
    am_error e;
    am_error_clear(&e);
    if (am_scenario_read_file(path, &s, &e) != AM_OK)
        fail_msg("%s", e.msg);
    am_run_options opt = am_run_options_default();
    opt.output_path = out;
    am_run_summary *sum = NULL;
    if (am_run(s, &opt, &sum, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    const am_set_summary *ss = &sum->sets[0];
    assert_non_null(ss->cov_served);
    assert_true(isnan(ss->cov_served[0]));
    assert_int_equal(ss->cov_iterations[0], -1);
    for (int k = 1; k < N_MEASURES; k++) {
        const double four = ss->cov_served[k] + ss->cov_beyond[k] +
                            ss->cov_none[k] + ss->cov_off[k];
        if (fabs(four - sum->pop_total) > 1e-9 * sum->pop_total)
            fail_msg("measure %d: %.17g != population %.17g", k, four,
                     sum->pop_total);
        assert_int_equal(ss->cov_converged[k], 1);
    }
    /* the printed summary names the split */
    char txt[512];
    snprintf(txt, sizeof txt, "%s/summary.txt", tmp_dir);
    FILE *f = fopen(txt, "w");
    assert_non_null(f);
    am_run_summary_write(sum, f);
    fclose(f);
    f = fopen(txt, "r");
    assert_non_null(f);
    char line[1024];
    int seen = 0;
    while (fgets(line, sizeof line, f) != NULL)
        seen += strstr(line, "within reach beyond capacity") != NULL;
    fclose(f);
    assert_int_equal(seen, 3);
    am_run_summary_destroy(sum);
    am_scenario_destroy(s);
}

/* ---- matrix scenarios ---------------------------------------------------- */

static const char *const bho_yaml =
    "name: bhocov\n"
    "matrix: {path: travel_matrix.csv.gz}\n"
    "demand: {path: land_use_data.csv, field: population}\n"
    "supply: {path: land_use_data.csv, field: jobs}\n"
    "measures:\n"
    "  - {name: cov_p, type: capacity_coverage, threshold_min: 30,\n"
    "     allocation: proportional}\n"
    "  - {name: cov_f, type: capacity_coverage, threshold_min: 30}\n"
    "  - {name: cov_big, type: capacity_coverage, threshold_min: 30,\n"
    "     persons_per_capacity: 1e9}\n";

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

static void count_warning(const char *message, void *user)
{
    (void)message;
    (*(int *)user)++;
}

static void run_matrix(const char *out, int threads)
{
    int n_warnings = 0;
    am_scenario *s = NULL;
    am_error err;
    am_error_clear(&err);
    if (am_scenario_read_string(bho_yaml, "bhocov.yaml", AM_DEMO_DATA "/bho",
                                &s, &err) != AM_OK)
        fail_msg("scenario: %s", err.msg);
    am_run_options opt = am_run_options_default();
    opt.output_path = out;
    opt.threads = threads;
    opt.warning = count_warning;
    opt.warning_user = &n_warnings;
    am_matrix_summary *sum = NULL;
    if (am_matrix_run(s, &opt, &sum, &err) != AM_OK)
        fail_msg("run: %s: line %ld: %s", err.file, err.line, err.msg);
    assert_int_equal(sum->n_measures, 3);
    /* issue 9: the split of the demand adds up to it, the allocation's
       end, and one summary line per measure */
    for (int k = 0; k < 3; k++) {
        const double three =
            sum->cov_served[k] + sum->cov_beyond[k] + sum->cov_none[k];
        if (fabs(three - sum->demand_total) > 1e-9 * sum->demand_total)
            fail_msg("measure %d: %.17g != demand %.17g", k, three,
                     sum->demand_total);
        assert_true(sum->cov_served[k] > 0 && sum->cov_none[k] >= 0);
        assert_int_equal(sum->cov_converged[k], 1);
    }
    assert_int_equal(sum->cov_iterations[0], 0); /* proportional */
    assert_true(sum->cov_iterations[1] >= 2);
    assert_true(sum->cov_residual[1] < 1e-9);
    assert_true(sum->cov_beyond[0] > 0 && sum->cov_beyond[1] > 0);
    /* capacity to spare: everyone within reach served */
    assert_true(sum->cov_beyond[2] == 0.0);
    assert_true(sum->cov_none[2] == sum->cov_none[1]);
    assert_int_equal(n_warnings, 0);
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    assert_non_null(mf);
    am_matrix_summary_write(sum, mf);
    fclose(mf);
    int lines = 0;
    for (const char *p = text; (p = strstr(p, "  coverage     ")) != NULL; p++)
        lines++;
    assert_int_equal(lines, 3);
    assert_non_null(strstr(text, "  coverage     cov_p: served "));
    assert_non_null(strstr(text, "; proportional allocation (one pass)\n"));
    char want[128];
    snprintf(want, sizeof want, "; fixed point: converged after %d rounds",
             (int)sum->cov_iterations[1]);
    assert_non_null(strstr(text, want));
    free(text);
    am_matrix_summary_destroy(sum);
    am_scenario_destroy(s);
}

static void test_matrix(void **state)
{
    (void)state;
    char o1[512], o2[512];
    snprintf(o1, sizeof o1, "%s/bho1.csv", tmp_dir);
    snprintf(o2, sizeof o2, "%s/bho2.csv", tmp_dir);
    run_matrix(o1, 1);
    run_matrix(o2, 2);
    char *a = slurp(o1), *b = slurp(o2);
    assert_string_equal(a, b);
    assert_true(strncmp(a, "id,cov_p,cov_f,cov_big\n", 23) == 0);
    int rows = 0, full = 0, some = 0;
    for (char *line = strchr(a, '\n') + 1; *line != '\0';) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        char *c = strchr(line, ',');
        assert_non_null(c);
        double v[3];
        assert_int_equal(sscanf(c + 1, "%lf,%lf,%lf", &v[0], &v[1], &v[2]), 3);
        for (int q = 0; q < 3; q++)
            assert_true(v[q] >= 0.0 && v[q] <= 1.0);
        /* capacity to spare: everyone within reach served, exactly */
        assert_true(v[2] == 1.0 || v[2] == 0.0);
        full += v[2] == 1.0;
        some += v[0] > 0.0 && v[0] < 1.0;
        rows++;
        line = nl + 1;
    }
    assert_int_equal(rows, 898);
    assert_true(full > 800 && some > 100);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comoros),
        cmocka_unit_test(test_run_summary),
        cmocka_unit_test(test_matrix),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
