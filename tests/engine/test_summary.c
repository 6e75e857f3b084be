/*
 * test_summary.c: the printed summaries' shared wording (engine/summary.h)
 * on summaries built here by hand: a nearest_n measure whose mean is NaN
 * (no one reaches n) says so instead of "mean nan", and one with a mean
 * says how many were left out of it, in the network run's summary and in
 * the matrix run's alike; the matrix summary's capacity_coverage lines;
 * balanced FCA read as a share of the level of service, not per person.
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

#include "engine/summary.h"
#include <accessim.h>

/* What f printed (caller frees). */
static char *printed(FILE *f, char **text)
{
    fclose(f);
    return *text;
}

static void test_nth_note(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(am_summary_nth_note(f, NAN, 1234.0, 0), 0);
    fputc('|', f);
    assert_int_equal(am_summary_nth_note(f, NAN, 3, 1), 0);
    fputc('|', f);
    assert_int_equal(am_summary_nth_note(f, 12.5, 1234567.0, 0), 1);
    fputc('|', f);
    assert_int_equal(am_summary_nth_note(f, 12.5, 1, 1), 1);
    fputc('|', f);
    assert_int_equal(am_summary_nth_note(f, 12.5, 2, 1), 1);
    fputc('|', f);
    assert_int_equal(am_summary_nth_note(f, 12.5, 0, 0), 1); /* nothing */
    assert_string_equal(
        printed(f, &text),
        "no one reaches n facilities within the measure's reach|"
        "no zone reaches n destinations within the measure's reach|"
        "1,234,567 people reaching fewer than n facilities left out|"
        "1 zone reaching fewer than n destinations left out|"
        "2 zones reaching fewer than n destinations left out|");
    free(text);
}

/* A network summary of one set and two nearest_n measures: n3 reached by
 * no one, n2 by some (250 people left out). */
static void test_run_summary_nth(void **state)
{
    (void)state;
    double cut = 30.0, within = 600.0;
    double mean[2] = {NAN, 14.25}, median[2] = {NAN, 12.0};
    double left[2] = {800.0, 250.0};
    char n3[] = "n3", n2[] = "n2";
    char *names[2] = {n3, n2};
    am_measure_type types[2] = {AM_MEASURE_TYPE_NEAREST_N,
                                AM_MEASURE_TYPE_NEAREST_N};
    am_set_summary set;
    memset(&set, 0, sizeof set);
    set.name = "health";
    set.pop_within = &within;
    set.access_mean = mean;
    set.access_median = median;
    set.mean_left_out = left;
    am_run_summary r;
    memset(&r, 0, sizeof r);
    r.scenario_name = "s";
    r.output_path = "out.h5";
    r.pop_total = 1000.0;
    r.n_cutoffs = 1;
    r.cutoffs_min = &cut;
    r.n_sets = 1;
    r.sets = &set;
    r.n_measures = 2;
    r.measure_names = names;
    r.measure_types = types;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    am_run_summary_write(&r, f);
    printed(f, &text);
    if (strstr(text,
               "    n3: travel time to the n-th nearest facility: no one "
               "reaches n facilities within the measure's reach\n") == NULL)
        fail_msg("n3 not as expected in:\n%s", text);
    if (strstr(text, "    n2: travel time to the n-th nearest facility, "
                     "population-weighted mean 14.25, median 12 (minutes, "
                     "over the people who reach n facilities; 250 people "
                     "reaching fewer than n facilities left out)\n") == NULL)
        fail_msg("n2 not as expected in:\n%s", text);
    assert_null(strstr(text, "nan"));
    free(text);
}

/* The matrix summary: a nearest_n measure no zone reaches n with, one
 * leaving one zone out, and a measure with no value at all. */
static void test_matrix_summary_nth(void **state)
{
    (void)state;
    char a[] = "near5", b[] = "near2", c[] = "cum";
    char *names[3] = {a, b, c};
    double mean[3] = {NAN, 27.5, NAN};
    int32_t none[3] = {0, 0, 4}, dest[3] = {-1, -1, -1}, excl[3] = {4, 1, 0};
    char decays[3][AM_MATRIX_DECAY_TEXT] = {"nearest_n: step, cutoff 45 min",
                                            "nearest_n: step, cutoff 45 min",
                                            "cumulative: step, cutoff 30 min"};
    am_matrix_summary r;
    memset(&r, 0, sizeof r);
    r.scenario_name = "m";
    r.output_path = "out.csv";
    r.n_measures = 3;
    r.measure_names = names;
    r.measure_mean = mean;
    r.zones_none = none;
    r.dest_no_demand = dest;
    r.measure_decays = decays;
    r.mean_excluded = excl;
    am_measure_type types[3] = {AM_MEASURE_TYPE_NEAREST_N,
                                AM_MEASURE_TYPE_NEAREST_N,
                                AM_MEASURE_TYPE_CUMULATIVE};
    r.measure_types = types;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    am_matrix_summary_write(&r, f);
    printed(f, &text);
    if (strstr(text, "near5 (nearest_n: step, cutoff 45 min): no zone "
                     "reaches n destinations within the measure's reach; "
                     "0 zones reach fewer than n destinations\n") == NULL)
        fail_msg("near5 not as expected in:\n%s", text);
    if (strstr(text, "near2 (nearest_n: step, cutoff 45 min): mean 27.5 "
                     "(population-weighted) over the zones with a finite "
                     "value (1 zone reaching fewer than n destinations left "
                     "out); 0 zones reach fewer than n destinations\n") == NULL)
        fail_msg("near2 not as expected in:\n%s", text);
    assert_non_null(strstr(text, "cum (cumulative: step, cutoff 30 min): no "
                                 "zone with demand has a value; 4 zones "
                                 "reach nothing\n"));
    assert_null(strstr(text, "  coverage ")); /* no capacity_coverage */
    free(text);

    /* capacity_coverage (issue 9): a line per such measure, the fixed
       point that did not converge said so */
    double served[3] = {NAN, 600.0, 1000.0}, beyond[3] = {NAN, 300.0, 0.0};
    double nonein[3] = {NAN, 100.0, 0.0}, resid[3] = {NAN, 0.25, NAN};
    int32_t iter[3] = {-1, 1000, 0}, conv[3] = {-1, 0, 1};
    r.cov_served = served;
    r.cov_beyond = beyond;
    r.cov_none = nonein;
    r.cov_iterations = iter;
    r.cov_residual = resid;
    r.cov_converged = conv;
    r.demand_total = 1000.0;
    f = open_memstream(&text, &len);
    assert_non_null(f);
    am_matrix_summary_write(&r, f);
    printed(f, &text);
    if (strstr(text, "  coverage     near2: served 600 (60.0 %), within "
                     "reach beyond capacity 300 (30.0 %), not within reach "
                     "100 (10.0 %); fixed point: NOT converged after 1000 "
                     "rounds (residual 0.25)\n") == NULL)
        fail_msg("near2's coverage not as expected in:\n%s", text);
    assert_non_null(strstr(text, "  coverage     cum: served 1,000 (100.0 "
                                 "%), within reach beyond capacity 0 (0.0 "
                                 "%), not within reach 0 (0.0 %); "
                                 "proportional allocation (one pass)\n"));
    assert_null(strstr(text, "coverage     near5"));
    free(text);
}

/* Balanced FCA (Paez, Higgins & Vivona 2019): its value is a cell's share
 * of the facilities' level of service, not capacity per person: the run
 * summary says so, without per-10,000 figures, and never prints a supply
 * kept for it (even from diagnostics that held one); 2SFCA keeps its
 * wording and M2SFCA its supply kept. The matrix summary says the same of
 * a zone. */
static void test_bfca_words(void **state)
{
    (void)state;
    double cut = 30.0, within = 600.0;
    double mean[3] = {1.7e-4, 6.8e-8, 1.5e-4},
           median[3] = {1.1e-4, 3.1e-8, 1.0e-4};
    char n0[] = "two", n1[] = "bal", n2[] = "mod";
    char *names[3] = {n0, n1, n2};
    am_measure_type types[3] = {AM_MEASURE_TYPE_2SFCA, AM_MEASURE_TYPE_BFCA,
                                AM_MEASURE_TYPE_M2SFCA};
    am_measure_diagnostics diag[3];
    memset(diag, 0, sizeof diag);
    for (int m = 0; m < 3; m++) {
        diag[m].relative_difference = diag[m].tolerance = NAN;
        diag[m].demand_inflation = NAN;
    }
    diag[0].identity = 1;
    diag[0].supply_kept = 1.0;
    diag[1].supply_kept = 0.0004; /* as before: must not be printed */
    diag[2].supply_kept = 0.75;
    am_set_summary set;
    memset(&set, 0, sizeof set);
    set.name = "health";
    set.pop_within = &within;
    set.access_mean = mean;
    set.access_median = median;
    set.diagnostics = diag;
    am_run_summary r;
    memset(&r, 0, sizeof r);
    r.scenario_name = "s";
    r.output_path = "out.h5";
    r.pop_total = 1000.0;
    r.n_cutoffs = 1;
    r.cutoffs_min = &cut;
    r.n_sets = 1;
    r.sets = &set;
    r.n_measures = 3;
    r.measure_names = names;
    r.measure_types = types;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    am_run_summary_write(&r, f);
    printed(f, &text);
    if (strstr(text, "    bal: a cell's share of the facilities' level of "
                     "service (balanced FCA: sum over cells = sum_j R_j; "
                     "not per person: compare cells of one grid, or sum "
                     "over zones), population-weighted mean 6.8e-08, "
                     "median 3.1e-08\n") == NULL)
        fail_msg("bal not as expected in:\n%s", text);
    assert_null(strstr(text, "bal: capacity per person"));
    if (strstr(text, "    two: capacity per person, population-weighted "
                     "mean 0.00017 (= capacity within reach of someone / "
                     "population), median 0.00011; per 10,000 people") == NULL)
        fail_msg("two not as expected in:\n%s", text);
    if (strstr(text, "supply kept (sum P_i A_i / supply with demand in "
                     "reach): mod 75.0 %\n") == NULL)
        fail_msg("supply kept not as expected in:\n%s", text);
    free(text);

    /* the matrix summary */
    int32_t none[3] = {0, 0, 0}, dest[3] = {0, 0, 0};
    char decays[3][AM_MATRIX_DECAY_TEXT] = {"2sfca: step, cutoff 45 min",
                                            "bfca: step, cutoff 45 min",
                                            "m2sfca: step, cutoff 45 min"};
    am_matrix_summary mr;
    memset(&mr, 0, sizeof mr);
    mr.scenario_name = "m";
    mr.output_path = "out.csv";
    mr.n_measures = 3;
    mr.measure_names = names;
    mr.measure_mean = mean;
    mr.zones_none = none;
    mr.dest_no_demand = dest;
    mr.measure_decays = decays;
    mr.measure_types = types;
    f = open_memstream(&text, &len);
    assert_non_null(f);
    am_matrix_summary_write(&mr, f);
    printed(f, &text);
    if (strstr(text, "bal (bfca: step, cutoff 45 min): mean 6.8e-08 "
                     "(population-weighted; a zone's share of the "
                     "destinations' level of service (balanced FCA: sum over "
                     "zones = sum_j R_j; not per person)); 0 zones reach "
                     "nothing") == NULL)
        fail_msg("matrix bal not as expected in:\n%s", text);
    if (strstr(text, "two (2sfca: step, cutoff 45 min): mean 0.00017 "
                     "(population-weighted); 0 zones") == NULL)
        fail_msg("matrix two not as expected in:\n%s", text);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nth_note),
        cmocka_unit_test(test_run_summary_nth),
        cmocka_unit_test(test_matrix_summary_nth),
        cmocka_unit_test(test_bfca_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
