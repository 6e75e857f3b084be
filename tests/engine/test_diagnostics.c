/*
 * test_diagnostics.c: the identity checks of engine/diagnostics.h on hand
 * computed cases, and the check itself fed deliberately broken sums (not
 * a broken kernel): a failure is AM_ERR_INTERNAL naming the set, the
 * measure, both sums and the tolerance.
 *
 * The hand case (2SFCA with a step, Luo & Wang 2003): cells 0, 1, 2 with
 * P = 100, 300, 50; facilities 0 (S = 10, reached by cells 0 and 1), 1
 * (S = 4, reached by cell 1), 2 (S = 7, reached by nobody). D = 400, 300,
 * 0; R = 0.025, 1/75, NaN; A_0 = 0.025, A_1 = 0.025 + 1/75, A_2 = 0 (cell 2
 * reaches nothing). sum P A = 2.5 + 7.5 + 4 = 14 = S_0 + S_1; demand
 * counted 700 / 400 = 1.75 times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "engine/diagnostics.h"

static const double pop[3] = {100, 300, 50};
static const double supply[3] = {10, 4, 7};
static const uint8_t flag[3] = {AM_FCA_CELL_OK, AM_FCA_CELL_OK,
                                AM_FCA_CELL_NONE};

static am_diag_input hand_case(const double *access, const double *dem,
                               const double *ratio)
{
    am_diag_input in = {"hc", "2sfca_30min", AM_FCA_2SFCA, 1,      3,   3,
                        pop,  access,        flag,         supply, dem, ratio,
                        1,    50.0};
    return in;
}

static void test_check_function(void **state)
{
    (void)state;
    am_error e;
    double rel = -1;
    am_error_clear(&e);
    /* equal, and equal within rounding */
    assert_int_equal(
        am_diag_identity_check("s", "m", "x = y", 148.0, 148.0, 1e-9, &rel, &e),
        AM_OK);
    assert_true(rel == 0.0);
    assert_int_equal(am_diag_identity_check("s", "m", "x = y",
                                            148.0 * (1 + 4e-16), 148.0, 1e-9,
                                            &rel, &e),
                     AM_OK);
    assert_true(rel > 0 && rel < 1e-15);
    assert_int_equal(
        am_diag_identity_check("s", "m", "x = y", 0.0, 0.0, 1e-9, &rel, &e),
        AM_OK);
    /* broken: one facility's supply of 148 left out */
    assert_int_equal(am_diag_identity_check("hc", "2sfca_30min",
                                            "sum_i P_i A_i = sum S_j", 147.0,
                                            148.0, 1e-9, &rel, &e),
                     AM_ERR_INTERNAL);
    assert_true(fabs(rel - 1.0 / 148.0) < 1e-15);
    assert_non_null(strstr(e.msg, "set 'hc'"));
    assert_non_null(strstr(e.msg, "measure '2sfca_30min'"));
    assert_non_null(strstr(e.msg, "sum_i P_i A_i = sum S_j"));
    assert_non_null(strstr(e.msg, "147 against 148"));
    assert_non_null(strstr(e.msg, "tolerance 1e-09"));
    /* just beyond the tolerance fails, a NaN sum fails */
    assert_int_equal(
        am_diag_identity_check("s", "m", "x", 1.0 + 3e-9, 1.0, 1e-9, NULL, &e),
        AM_ERR_INTERNAL);
    assert_int_equal(
        am_diag_identity_check("s", "m", "x", NAN, 1.0, 1e-9, NULL, &e),
        AM_ERR_INTERNAL);
}

static void test_tolerance(void **state)
{
    (void)state;
    assert_true(am_diag_tolerance(0) == AM_DIAG_REL_TOL);
    assert_true(am_diag_tolerance(1000) == AM_DIAG_REL_TOL);
    /* beyond about 1.1 million terms it grows with them */
    assert_true(am_diag_tolerance(100000000) > 8e-8);
    assert_true(am_diag_tolerance(100000000) < 1e-7);
}

static void test_hand_case_holds(void **state)
{
    (void)state;
    const double access[3] = {0.025, 0.025 + 1.0 / 75.0, 0.0};
    const double dem[3] = {400, 300, 0};
    const double ratio[3] = {0.025, 4.0 / 300.0, NAN};
    am_diag_input in = hand_case(access, dem, ratio);
    am_measure_diagnostics d;
    am_error e;
    am_error_clear(&e);
    assert_int_equal(am_diag_measure(&in, &d, &e), AM_OK);
    assert_int_equal(d.identity, 1);
    assert_true(fabs(d.sum_pa - 14.0) < 1e-12);
    assert_true(d.sum_supply_demand == 14.0);
    assert_true(fabs(d.supply_kept - 1.0) < 1e-12);
    assert_true(d.relative_difference <= d.tolerance);
    assert_true(d.sum_demand == 700.0);
    assert_true(d.pop_reached == 400.0);
    assert_true(d.demand_inflation == 1.75);
    assert_true(d.pop_no_reach == 50.0);
    assert_int_equal(d.facilities_no_demand, 1);
    assert_true(isnan(d.bfca_sum_access));
}

/* The same case with a cell's access doubled (a facility counted twice):
 * the run would stop. */
static void test_hand_case_broken(void **state)
{
    (void)state;
    const double access[3] = {0.05, 0.025 + 1.0 / 75.0, 0.0};
    const double dem[3] = {400, 300, 0};
    const double ratio[3] = {0.025, 4.0 / 300.0, NAN};
    am_diag_input in = hand_case(access, dem, ratio);
    am_measure_diagnostics d;
    am_error e;
    am_error_clear(&e);
    assert_int_equal(am_diag_measure(&in, &d, &e), AM_ERR_INTERNAL);
    assert_non_null(strstr(e.msg, "set 'hc', measure '2sfca_30min'"));
    assert_non_null(strstr(e.msg, "identity sum_i P_i A_i")); /* 16.5 */
    assert_non_null(strstr(e.msg, "against 14 ("));           /* sum S */
    assert_true(fabs(d.relative_difference - 2.5 / 16.5) < 1e-12);
    /* M2SFCA has no identity: the same sums are only reported */
    in.method = AM_FCA_M2SFCA;
    in.supply_identity = 0;
    assert_int_equal(am_diag_measure(&in, &d, &e), AM_OK);
    assert_int_equal(d.identity, 0);
    assert_true(fabs(d.supply_kept - 16.5 / 14.0) < 1e-12);
    assert_true(isnan(d.relative_difference));
}

/*
 * Balanced FCA (Paez, Higgins & Vivona 2019), step, same reach: T = 1, 2,
 * 0; D_0 = 100 + 300 / 2 = 250, D_1 = 150 (sum 400 = the population
 * within reach); C_0 = 2, C_1 = 1; R_0 = 10 / 250 = 0.04, R_1 = 4 / 150;
 * A_0 = R_0 / 2 = 0.02, A_1 = R_0 / 2 + R_1; sum A = R_0 + R_1.
 */
static void test_bfca(void **state)
{
    (void)state;
    const double R1 = 4.0 / 150.0;
    double access[3] = {0.02, 0.02 + R1, 0.0};
    const double dem[3] = {250, 150, 0};
    const double ratio[3] = {0.04, R1, NAN};
    am_diag_input in = hand_case(access, dem, ratio);
    in.method = AM_FCA_BFCA;
    in.supply_identity = 0;
    am_measure_diagnostics d;
    am_error e;
    am_error_clear(&e);
    assert_int_equal(am_diag_measure(&in, &d, &e), AM_OK);
    assert_int_equal(d.identity, 1);
    assert_true(d.demand_inflation == 1.0);
    assert_true(fabs(d.bfca_sum_access - (0.04 + R1)) < 1e-15);
    assert_true(fabs(d.bfca_sum_supply - 14.0) < 1e-12);
    /* A_i is a share of R_j, not per person: no supply kept to report */
    assert_true(isnan(d.supply_kept));
    assert_false(isnan(d.sum_pa));
    /* broken: the demand counts a person twice */
    const double dem2[3] = {250, 300, 0};
    const double ratio2[3] = {0.04, 4.0 / 300.0, NAN};
    in.demand = dem2;
    in.ratio = ratio2;
    assert_int_equal(am_diag_measure(&in, &d, &e), AM_ERR_INTERNAL);
    assert_non_null(strstr(e.msg, "sum_j D_j = population within reach"));
    assert_non_null(strstr(e.msg, "550 against 400"));
    /* broken level of service */
    in.demand = dem;
    in.ratio = ratio;
    access[1] = 0.02;
    assert_int_equal(am_diag_measure(&in, &d, &e), AM_ERR_INTERNAL);
    assert_non_null(strstr(e.msg, "sum_i A_i = sum_{j: D_j > 0} R_j"));
}

/* Measures without supply: only the reach figures. */
static void test_gravity(void **state)
{
    (void)state;
    const double access[3] = {5, 6, 0};
    am_diag_input in = hand_case(access, NULL, NULL);
    in.method = AM_FCA_GRAVITY;
    in.supply_identity = 0;
    in.fac_no_demand = -1;
    am_measure_diagnostics d;
    am_error e;
    assert_int_equal(am_diag_measure(&in, &d, &e), AM_OK);
    assert_int_equal(d.identity, 0);
    assert_true(isnan(d.sum_pa) && isnan(d.demand_inflation));
    assert_true(d.pop_reached == 400.0);
    assert_int_equal(d.facilities_no_demand, -1);
}

/* Snap distances: lower weighted quantiles by hand. */
static void test_snap(void **state)
{
    (void)state;
    const double dist[6] = {10, NAN, 2000, 30, 500, 1500};
    const double w[6] = {1, 100, 1, 5, 2, 1};
    am_snap_diagnostics s;
    am_error e;
    am_error_clear(&e);
    assert_int_equal(am_diag_snap(6, dist, w, 2, &s, &e), AM_OK);
    /* sorted: 10 (1), 30 (5), 500 (2), 1500 (1), 2000 (1); W = 10;
     * cumulative 1, 6, 8, 9, 10: median (5) 30, p90 (9) 1500, p99 2000 */
    assert_int_equal(s.n, 5);
    assert_true(s.weight == 10.0);
    assert_true(s.median_m == 30.0);
    assert_true(s.p90_m == 1500.0);
    assert_true(s.p99_m == 2000.0);
    assert_true(s.max_m == 2000.0);
    assert_int_equal(s.beyond_n, 2);
    assert_true(s.beyond_weight == 2.0);
    /* unweighted (facilities): median of 10, 30, 500, 1500, 2000 */
    assert_int_equal(am_diag_snap(6, dist, NULL, 1, &s, &e), AM_OK);
    assert_true(s.median_m == 500.0);
    assert_true(s.weight == 5.0);
    /* nothing on the network */
    const double off[2] = {NAN, NAN};
    assert_int_equal(am_diag_snap(2, off, NULL, 1, &s, &e), AM_OK);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.median_m) && isnan(s.max_m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_function),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_hand_case_holds),
        cmocka_unit_test(test_hand_case_broken),
        cmocka_unit_test(test_bfca),
        cmocka_unit_test(test_gravity),
        cmocka_unit_test(test_snap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
