/*
 * test_bho.c: matrix scenarios end to end (issue 9, "Matrix input") on
 * Ipea's Belo Horizonte data (data/bho, MIT (c) Ipea):
 *  - the 5-hex oracle: the accessibility package's own expected values
 *    (data/bho/expected_5hex.csv) for 2SFCA and BFCA with a binary
 *    45-minute catchment, supply = jobs, demand = population, computed on
 *    the sub-matrix restricted to those 5 hexes (tests/data/bho_5hex,
 *    extracted from data/bho with the awk lines in its SOURCE.md),
 *    compared to 4 decimal places;
 *  - the whole matrix (748,437 pairs) with the shipped scenario: the same
 *    CSV, byte for byte, on 1 and 2 threads; one row per demand zone in
 *    the demand table's order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <accessim.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "common/units.h"
#include "inputs/matrix.h"
#include "kernels/decay.h"
#include "kernels/demand.h"
#include "kernels/fca.h"

#define TMP_DIR_TAG "bho"
#include "tmp_dir.h"

/* The whole of a small file (caller frees). */
static char *slurp(const char *path, size_t *len)
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
    if (len != NULL)
        *len = (size_t)n;
    return b;
}

/* Runs scenario text (paths relative to base) into out on threads;
 * *keep (may be NULL) gets the summary, owned by the caller. */
static void run_text_sum(const char *text, const char *base, const char *out,
                         int threads, am_matrix_summary **keep)
{
    am_scenario *s = NULL;
    am_error err;
    if (am_scenario_read_string(text, "test.yaml", base, &s, &err) != AM_OK)
        fail_msg("scenario: %s", err.msg);
    am_run_options opt = am_run_options_default();
    opt.output_path = out;
    opt.threads = threads;
    am_matrix_summary *sum = NULL;
    if (am_matrix_run(s, &opt, &sum, &err) != AM_OK)
        fail_msg("run: %s: line %ld: %s", err.file, err.line, err.msg);
    assert_int_equal(sum->threads, threads);
    if (keep != NULL)
        *keep = sum;
    else
        am_matrix_summary_destroy(sum);
    am_scenario_destroy(s);
}

/* The value of column `col` in the row of zone `id` of a result CSV. */
static double csv_value(const char *csv, const char *id, const char *col)
{
    const char *nl = strchr(csv, '\n');
    assert_non_null(nl);
    int k = -1, i = 0;
    for (const char *p = csv; p < nl; i++) {
        const char *e = p;
        while (e < nl && *e != ',')
            e++;
        if ((size_t)(e - p) == strlen(col) && strncmp(p, col, e - p) == 0)
            k = i;
        p = e + 1;
    }
    assert_true(k >= 1);
    char key[64];
    snprintf(key, sizeof key, "\n%s,", id);
    const char *row = strstr(csv, key);
    assert_non_null(row);
    row += strlen(key);
    for (i = 1; i < k; i++)
        row = strchr(row, ',') + 1;
    return strtod(row, NULL);
}

static const char *hex5_scenario =
    "matrix: {path: travel_matrix_5hex.csv}\n"
    "demand: {path: land_use_5hex.csv, field: population}\n"
    "supply: {path: land_use_5hex.csv, field: jobs}\n"
    "measures:\n"
    "  - {name: 2sfca, type: 2sfca, threshold_min: 45}\n"
    "  - {name: bfca, type: bfca, threshold_min: 45}\n"
    "  - {name: gravity, type: gravity, decay: {type: exponential, beta: "
    "0.1}}\n"
    "  - {name: spav, type: spav, threshold_min: 45}\n"
    "  - {name: near2, type: nearest_n, n: 2, threshold_min: 45}\n";

static void test_5hex_oracle(void **state)
{
    (void)state;
    char out[512];
    snprintf(out, sizeof out, "%s/5hex.csv", tmp_dir);
    am_matrix_summary *sum = NULL;
    run_text_sum(hex5_scenario, AM_TEST_DATA "/bho_5hex", out, 1, &sum);
    char *csv = slurp(out, NULL);
    char *expected = slurp(AM_DEMO_DATA "/bho/expected_5hex.csv", NULL);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(expected, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char method[16], decay[32], id[32];
        double want;
        if (sscanf(line, "%15[^,],%31[^,],%*[^,],%*[^,],%31[^,],%lf", method,
                   decay, id, &want) != 4)
            continue; /* the header */
        assert_string_equal(decay, "binary_45");
        double got = csv_value(csv, id, method);
        if (fabs(round(got * 1e4) / 1e4 - want) > 1e-9)
            fail_msg("%s %s: %.6f, Ipea's oracle %.4f", method, id, got, want);
        checked++;
    }
    assert_int_equal(checked, 10);
    /* a smooth decay without cutoff is not truncated in a matrix scenario
       (60 min, the default largest cutoff, would keep only the first
       term): jobs of 57b, 597, 5b3, 5cf at 60, 70, 68 and 64 min */
    double g =
        82 * exp(-6.0) + 308 * exp(-7.0) + 100 * exp(-6.8) + 109 * exp(-6.4);
    double got = csv_value(csv, "89a88cd909bffff", "gravity");
    assert_true(fabs(got - g) <= 1e-12 * g);
    /* spav with alpha 1 per person is 2SFCA (V_i = P_i A_i), written as
       <name>_per_person next to V_i; NaN for a zone without people */
    const char *ids[4] = {"89a88cdb57bffff", "89a88cdb597ffff",
                          "89a88cdb5b3ffff", "89a88cdb5cfffff"};
    for (int i = 0; i < 4; i++) {
        double a = csv_value(csv, ids[i], "2sfca");
        double v = csv_value(csv, ids[i], "spav_per_person");
        assert_true(fabs(v - a) <= 1e-12 * a);
    }
    assert_true(isnan(csv_value(csv, "89a88cd909bffff", "spav_per_person")));
    /* the 2nd nearest destination: 13 min (597 <-> 5b3); Inf when fewer
       than 2 are within 45 min */
    assert_true(csv_value(csv, "89a88cdb597ffff", "near2") == 13.0);
    assert_true(isinf(csv_value(csv, "89a88cdb57bffff", "near2")));

    /* issue 9, diagnostics by hand. Within 45 min 57b reaches itself,
       597 and 5b3 reach four zones, 5cf three (not 5b3, 49 min); 909, the
       zone without people, only itself: its supply is not counted.
       sum D = 852 + 4 (394 + 1969) + 3 2189 = 16871 over 5404 people;
       supply with demand 82 + 308 + 100 + 109 = 599 = sum P A. */
    const am_measure_diagnostics *d = &sum->diagnostics[0];
    assert_int_equal(d->identity, 1);
    assert_true(fabs(d->sum_pa - 599.0) <= 1e-12 * 599.0);
    assert_true(d->sum_supply_demand == 599.0);
    assert_true(d->relative_difference <= d->tolerance);
    assert_true(d->pop_reached == 5404.0);
    assert_true(d->sum_demand == 16871.0);
    assert_true(d->demand_inflation == 16871.0 / 5404.0);
    assert_int_equal(d->facilities_no_demand, 1);
    d = &sum->diagnostics[1]; /* bfca: each person counted once */
    assert_int_equal(d->identity, 1);
    assert_true(fabs(d->sum_demand - 5404.0) <= 1e-12 * 5404.0);
    assert_true(fabs(d->bfca_sum_supply - 599.0) <= 1e-12 * 599.0);
    assert_int_equal(sum->diagnostics[2].identity, 0); /* gravity */
    assert_int_equal(sum->diagnostics[3].identity, 1); /* spav */
    assert_true(fabs(sum->diagnostics[3].sum_pa - 599.0) <= 1e-12 * 599.0);
    /* near2's mean leaves out 57b (one destination within 45 min):
       (394 13 + 1969 13 + 2189 43) / (394 + 1969 + 2189) */
    assert_int_equal(sum->mean_excluded[4], 1);
    assert_true(fabs(sum->measure_mean[4] - 124846.0 / 4552.0) <= 1e-12 * 30);
    assert_int_equal(sum->mean_excluded[0], 0);
    /* the printed summary says so */
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    assert_non_null(mf);
    am_matrix_summary_write(sum, mf);
    fclose(mf);
    assert_non_null(strstr(text, "(1 zone reaching fewer than n "
                                 "destinations left out)"));
    assert_non_null(strstr(text, "diagnostics  identities checked and "
                                 "holding for 3 of 5 measures"));
    assert_non_null(strstr(text, "demand counted (sum D_j / demand within "
                                 "reach): 2sfca 3.12, bfca 1"));
    free(text);
    am_matrix_summary_destroy(sum);
    free(csv);
    free(expected);
}

/*
 * The same oracle through the kernels directly, for every method it has
 * (2SFCA and BFCA): the matrix read into catchments, one cell per origin
 * zone on its own node at offset 0, a 45-minute step, as am_matrix_run
 * maps it.
 */
static void test_5hex_oracle_kernels(void **state)
{
    (void)state;
    const char *zpath = AM_TEST_DATA "/bho_5hex/land_use_5hex.csv";
    am_zone_table *dem = NULL, *sup = NULL;
    am_catchments *cat = NULL;
    am_demand *d = NULL;
    am_fca_pairs *pairs = NULL;
    am_error err;
    assert_int_equal(
        am_zone_table_read(zpath, "id", "population", "demand", &dem, &err),
        AM_OK);
    assert_int_equal(
        am_zone_table_read(zpath, "id", "jobs", "supply", &sup, &err), AM_OK);
    am_matrix_options mo = {.path =
                                AM_TEST_DATA "/bho_5hex/travel_matrix_5hex.csv",
                            .from_field = "from_id",
                            .to_field = "to_id",
                            .time_field = "travel_time",
                            .origins = dem,
                            .origins_path = zpath,
                            .destinations = sup,
                            .destinations_path = zpath};
    assert_int_equal(am_matrix_read(&mo, &cat, NULL, &err), AM_OK);
    int32_t n = am_zone_table_count(dem);
    assert_int_equal(n, 5);
    int32_t node[10];
    uint32_t off[10] = {0};
    for (int32_t i = 0; i < n; i++) {
        node[2 * i] = i;
        node[2 * i + 1] = -1;
    }
    assert_int_equal(
        am_demand_build(n, n, node, off, am_zone_table_values(dem), &d, &err),
        AM_OK);
    assert_int_equal(am_fca_pairs_build(cat, d, cat->limit_ds, 1, &pairs, &err),
                     AM_OK);
    am_decay step = {.type = AM_DECAY_STEP, .cutoff_min = 45};
    uint32_t lim = am_minutes_to_ds(45);
    double *w = malloc((lim + 1) * sizeof *w);
    assert_non_null(w);
    am_decay_table(&step, lim, w);
    char *expected = slurp(AM_DEMO_DATA "/bho/expected_5hex.csv", NULL);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(expected, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char method[16], id[32];
        double want;
        if (sscanf(line, "%15[^,],%*[^,],%*[^,],%*[^,],%31[^,],%lf", method, id,
                   &want) != 3)
            continue;
        am_fca_measure m = {.w = w, .limit_ds = lim, .alpha = 1, .nth = 1};
        m.method = strcmp(method, "bfca") == 0 ? AM_FCA_BFCA : AM_FCA_2SFCA;
        double value[5];
        am_fca_out out = {.cell_value = value};
        assert_int_equal(am_fca_measure_run(&m, pairs,
                                            am_zone_table_values(sup), 1, &out,
                                            &err),
                         AM_OK);
        int32_t i = am_zone_table_find(dem, id);
        assert_true(i >= 0);
        if (fabs(round(value[i] * 1e4) / 1e4 - want) > 1e-9)
            fail_msg("%s %s: %.6f, Ipea's oracle %.4f", method, id, value[i],
                     want);
        checked++;
    }
    assert_int_equal(checked, 10);
    free(expected);
    free(w);
    am_fca_pairs_free(pairs);
    am_demand_destroy(d);
    am_catchments_destroy(cat);
    am_zone_table_destroy(dem);
    am_zone_table_destroy(sup);
}

static void test_bho_threads(void **state)
{
    (void)state;
    char *text = slurp(AM_DEMO_DATA "/bho/bho.yaml", NULL);
    char out1[512], out2[512];
    snprintf(out1, sizeof out1, "%s/bho1.csv", tmp_dir);
    snprintf(out2, sizeof out2, "%s/bho2.csv", tmp_dir);
    am_matrix_summary *s1 = NULL, *s2 = NULL;
    run_text_sum(text, AM_DEMO_DATA "/bho", out1, 1, &s1);
    run_text_sum(text, AM_DEMO_DATA "/bho", out2, 2, &s2);
    /* issue 9: the identities hold on the whole matrix (2SFCA x 5, BFCA
       x 2; not cumulative and gravity), the same bits on 1 and 2 threads;
       every person reaches a destination, so BFCA's demand is the whole
       demand table */
    assert_int_equal(s1->n_measures, 9);
    assert_memory_equal(s1->diagnostics, s2->diagnostics,
                        9 * sizeof *s1->diagnostics);
    for (int k = 0; k < 9; k++) {
        const am_measure_diagnostics *d = &s1->diagnostics[k];
        assert_int_equal(d->identity, k < 7);
        if (k < 7) {
            assert_true(d->relative_difference <= d->tolerance);
            assert_true(d->sum_supply_demand <= s1->supply_total);
            assert_true(d->sum_supply_demand > 0.9 * s1->supply_total);
        }
    }
    for (int k = 5; k < 7; k++)
        assert_true(fabs(s1->diagnostics[k].sum_demand - s1->demand_total) <=
                    1e-9 * s1->demand_total);
    am_matrix_summary_destroy(s1);
    am_matrix_summary_destroy(s2);
    size_t n1 = 0, n2 = 0;
    char *a = slurp(out1, &n1), *b = slurp(out2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    /* one row per demand zone, in the demand table's order */
    char *zones = slurp(AM_DEMO_DATA "/bho/land_use_data.csv", NULL);
    int rows = 0;
    const char *p = strchr(a, '\n') + 1, *q = strchr(zones, '\n') + 1;
    for (; *p != '\0' && *q != '\0'; rows++) {
        assert_memory_equal(p, q, 15); /* the H3 ids */
        p = strchr(p, '\n') + 1;
        q = strchr(q, '\n') + 1;
    }
    assert_int_equal(rows, 898);
    free(a);
    free(b);
    free(zones);
    free(text);
}

/* A matrix scenario built in code: the same rules as the file's; am_run
 * refuses it (am_matrix_run runs it). */
static void test_api_scenario(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error err;
    assert_int_equal(am_scenario_create(&s), AM_OK);
    s->matrix_path = am_strdup("m.csv");
    s->demand_path = am_strdup("z.csv");
    s->demand_field = am_strdup("population");
    s->supply_path = am_strdup("z.csv");
    assert_int_equal(am_scenario_finalize(s, &err), AM_ERR_SCENARIO);
    assert_non_null(strstr(err.msg, "missing required key 'supply.field'"));
    s->supply_field = am_strdup("jobs");
    s->roads_path = am_strdup("roads.pbf");
    assert_int_equal(am_scenario_finalize(s, &err), AM_ERR_SCENARIO);
    assert_non_null(strstr(err.msg, "'roads' and 'matrix' both given"));
    am_free(s->roads_path);
    s->roads_path = NULL;
    assert_int_equal(am_scenario_finalize(s, &err), AM_OK);
    assert_true(am_scenario_is_matrix(s));
    assert_string_equal(s->matrix_from_field, "from_id");
    assert_string_equal(s->matrix_time_unit, "minutes");
    assert_string_equal(s->demand_id_field, "id");
    assert_string_equal(s->output_path, "scenario.csv");
    am_run_summary *sum = NULL;
    assert_int_equal(am_run(s, NULL, &sum, &err), AM_ERR_USAGE);
    assert_non_null(strstr(err.msg, "am_matrix_run"));
    am_scenario_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_5hex_oracle),
        cmocka_unit_test(test_5hex_oracle_kernels),
        cmocka_unit_test(test_bho_threads),
        cmocka_unit_test(test_api_scenario),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
