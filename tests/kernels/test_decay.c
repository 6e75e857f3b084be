/*
 * test_decay.c: the decay functions of kernels/decay.h.
 *
 * (a) values at hand-computed points (each derived in a comment);
 * (b) inclusive boundaries on the decisecond grid (a step at 30 min keeps
 *     18000 ds, drops 18001);
 * (c) monotone non-increasing over the table for every decreasing type;
 * (d) the table is am_decay_eval at t / 600, bit for bit;
 * (e) am_decay_check names the wrong parameter.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/units.h"
#include "kernels/decay.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define assert_double_near(a, b, tol)                                          \
    do {                                                                       \
        const double a_ = (a), b_ = (b);                                       \
        if (!(fabs(a_ - b_) <= (tol))) {                                       \
            print_error("%s = %.17g, expected %.17g (tolerance %g)\n", #a, a_, \
                        b_, (double)(tol));                                    \
            fail();                                                            \
        }                                                                      \
    } while (0)

static am_decay mk(am_decay_type type)
{
    am_decay d;
    memset(&d, 0, sizeof d);
    d.type = type;
    return d;
}

static am_decay luo_qi_zones(void)
{
    am_decay d = mk(AM_DECAY_ZONES);
    d.n_zones = 3;
    d.zone_upper_min[0] = 10;
    d.zone_upper_min[1] = 20;
    d.zone_upper_min[2] = 30;
    d.zone_weight[0] = 1.0;
    d.zone_weight[1] = 0.68;
    d.zone_weight[2] = 0.22;
    return d;
}

/* Every type with typical parameters. */
static int all_decays(am_decay *out)
{
    int n = 0;
    out[n] = mk(AM_DECAY_STEP);
    out[n++].cutoff_min = 30;
    out[n++] = luo_qi_zones();
    out[n] = mk(AM_DECAY_DAI_GAUSSIAN);
    out[n++].cutoff_min = 30;
    out[n] = mk(AM_DECAY_GAUSSIAN);
    out[n++].sigma_min = 12.5;
    out[n] = mk(AM_DECAY_GAUSSIAN);
    out[n].sigma_min = 12.5;
    out[n++].cutoff_min = 25;
    out[n] = mk(AM_DECAY_EXPONENTIAL);
    out[n++].beta = 0.1;
    out[n] = mk(AM_DECAY_EXPONENTIAL);
    out[n].beta = 0.1;
    out[n++].cutoff_min = 45;
    out[n] = mk(AM_DECAY_POWER);
    out[n].beta = 1.5;
    out[n++].t_min = 2;
    out[n] = mk(AM_DECAY_LINEAR);
    out[n++].cutoff_min = 60;
    out[n] = mk(AM_DECAY_LOGISTIC);
    out[n].t_half_min = 20;
    out[n++].sd_min = 6;
    return n;
}

/* (a) hand-computed values. */
static void test_values(void **state)
{
    (void)state;
    am_decay d = mk(AM_DECAY_STEP);
    d.cutoff_min = 30;
    assert_true(am_decay_eval(&d, 0) == 1.0);
    assert_true(am_decay_eval(&d, 29.99) == 1.0);
    assert_true(am_decay_eval(&d, 30) == 1.0);
    assert_true(am_decay_eval(&d, 31) == 0.0);

    /* Luo & Qi: (0,10] 1, (10,20] 0.68, (20,30] 0.22, t = 0 in zone 1. */
    d = luo_qi_zones();
    assert_true(am_decay_eval(&d, 0) == 1.0);
    assert_true(am_decay_eval(&d, 10) == 1.0);
    assert_true(am_decay_eval(&d, 10.01) == 0.68);
    assert_true(am_decay_eval(&d, 20) == 0.68);
    assert_true(am_decay_eval(&d, 25) == 0.22);
    assert_true(am_decay_eval(&d, 30) == 0.22);
    assert_true(am_decay_eval(&d, 30.01) == 0.0);

    /* Dai, T = 30: t = 0 -> 1; t = 15: x = 1/2, (e^-1/8 - e^-1/2) /
     * (1 - e^-1/2) = (0.8824969 - 0.6065307) / 0.3934693 = 0.7013666;
     * t = 30 -> 0; beyond -> 0. */
    d = mk(AM_DECAY_DAI_GAUSSIAN);
    d.cutoff_min = 30;
    assert_double_near(am_decay_eval(&d, 0), 1.0, 1e-15);
    assert_double_near(am_decay_eval(&d, 15), 0.70136657, 1e-8);
    assert_true(am_decay_eval(&d, 30) == 0.0);
    assert_true(am_decay_eval(&d, 40) == 0.0);

    /* Plain Gaussian, sigma 10: t = 10 -> e^-1/2 = 0.60653066; t = 20 ->
     * e^-2 = 0.13533528. No cutoff: positive far out. */
    d = mk(AM_DECAY_GAUSSIAN);
    d.sigma_min = 10;
    assert_double_near(am_decay_eval(&d, 10), 0.60653066, 1e-8);
    assert_double_near(am_decay_eval(&d, 20), 0.13533528, 1e-8);
    assert_true(am_decay_eval(&d, 60) > 0.0);

    /* Exponential beta 0.1: t = 10 -> e^-1 = 0.36787944; t = 0 -> 1;
     * with cutoff 45: t = 45 -> e^-4.5 = 0.011108997, t = 45.01 -> 0. */
    d = mk(AM_DECAY_EXPONENTIAL);
    d.beta = 0.1;
    assert_true(am_decay_eval(&d, 0) == 1.0);
    assert_double_near(am_decay_eval(&d, 10), 0.36787944, 1e-8);
    d.cutoff_min = 45;
    assert_double_near(am_decay_eval(&d, 45), 0.011108997, 1e-9);
    assert_true(am_decay_eval(&d, 45.01) == 0.0);

    /* Power beta 2, t_min 5: t = 0 .. 5 -> 5^-2 = 0.04; t = 10 -> 0.01. */
    d = mk(AM_DECAY_POWER);
    d.beta = 2;
    d.t_min = 5;
    assert_double_near(am_decay_eval(&d, 0), 0.04, 1e-15);
    assert_double_near(am_decay_eval(&d, 5), 0.04, 1e-15);
    assert_double_near(am_decay_eval(&d, 10), 0.01, 1e-15);

    /* Linear T = 60: t = 15 -> 0.75, t = 60 -> 0, t = 0 -> 1. */
    d = mk(AM_DECAY_LINEAR);
    d.cutoff_min = 60;
    assert_true(am_decay_eval(&d, 0) == 1.0);
    assert_double_near(am_decay_eval(&d, 15), 0.75, 1e-15);
    assert_true(am_decay_eval(&d, 60) == 0.0);

    /* Logistic t_half 20, sd 6: t = 20 -> 1/2; t = 20 + 6 sqrt(3)/pi
     * (= 23.30797) -> 1 / (1 + e) = 0.26894142. */
    d = mk(AM_DECAY_LOGISTIC);
    d.t_half_min = 20;
    d.sd_min = 6;
    assert_double_near(am_decay_eval(&d, 20), 0.5, 1e-15);
    assert_double_near(am_decay_eval(&d, 20 + 6 * sqrt(3.0) / M_PI), 0.26894142,
                       1e-8);
    assert_true(am_decay_eval(&d, 0) > 0.99);
}

/* (b) inclusive boundaries on the grid: the table at 30 min keeps
 * 18000 ds, drops 18001; zones at 10/20 min switch after 6000/12000. */
static void test_boundaries(void **state)
{
    (void)state;
    double w[18100];
    am_decay d = mk(AM_DECAY_STEP);
    d.cutoff_min = 30;
    am_decay_table(&d, 18099, w);
    for (uint32_t t = 0; t <= 18000; t++)
        assert_true(w[t] == 1.0);
    for (uint32_t t = 18001; t <= 18099; t++)
        assert_true(w[t] == 0.0);
    /* The cutoff is rounded to the nearest decisecond, as today's
     * threshold (am_minutes_to_ds): 0.0009 min = 0.54 ds -> 1 ds. */
    d.cutoff_min = 0.0009;
    am_decay_table(&d, 3, w);
    assert_true(w[0] == 1.0 && w[1] == 1.0 && w[2] == 0.0);
    assert_true(am_minutes_to_ds(30.0) == 18000u);

    d = luo_qi_zones();
    am_decay_table(&d, 18099, w);
    assert_true(w[6000] == 1.0 && w[6001] == 0.68);
    assert_true(w[12000] == 0.68 && w[12001] == 0.22);
    assert_true(w[18000] == 0.22 && w[18001] == 0.0);

    /* An exponential truncated at 45 min: positive to 27000, 0 after. */
    d = mk(AM_DECAY_EXPONENTIAL);
    d.beta = 0.1;
    d.cutoff_min = 45;
    double *big = malloc(27002 * sizeof *big);
    assert_non_null(big);
    am_decay_table(&d, 27001, big);
    assert_true(big[27000] > 0.0 && big[27001] == 0.0);
    free(big);
}

/* (c) monotone non-increasing, values in [0, 1] (power: t_min >= 1, so
 * <= 1 too), and (d) the table equals eval at t / 600 bit for bit. */
static void test_table_monotone_eval(void **state)
{
    (void)state;
    am_decay ds[16];
    const int n = all_decays(ds);
    const uint32_t limit = 36000; /* 60 min */
    double *w = malloc((limit + 1) * sizeof *w);
    assert_non_null(w);
    for (int k = 0; k < n; k++) {
        assert_int_equal(am_decay_check(&ds[k], NULL), AM_OK);
        am_decay_table(&ds[k], limit, w);
        for (uint32_t t = 0; t <= limit; t++) {
            assert_true(isfinite(w[t]) && w[t] >= 0.0 && w[t] <= 1.0);
            if (t > 0 && !(w[t] <= w[t - 1])) {
                print_error("decay %d: w[%u] = %g > w[%u] = %g\n", k, t, w[t],
                            t - 1, w[t - 1]);
                fail();
            }
            const double e = am_decay_eval(&ds[k], t / 600.0);
            assert_memory_equal(&e, &w[t], sizeof e);
        }
    }
    /* A table of one entry (limit 0) is f(0). */
    am_decay_table(&ds[0], 0, w);
    assert_true(w[0] == 1.0);
    free(w);
}

static void expect_bad(const am_decay *d, const char *fragment)
{
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_decay_check(d, &err), AM_ERR_INVALID);
    if (strstr(err.msg, fragment) == NULL) {
        print_error("message \"%s\" lacks \"%s\"\n", err.msg, fragment);
        fail();
    }
}

/* (e) parameter checks. */
static void test_check(void **state)
{
    (void)state;
    am_decay d = mk(AM_DECAY_EXPONENTIAL);
    expect_bad(&d, "beta");
    d.beta = -0.1;
    expect_bad(&d, "beta");
    d.beta = NAN;
    expect_bad(&d, "beta");
    d.beta = 0.1;
    assert_int_equal(am_decay_check(&d, NULL), AM_OK);
    d.cutoff_min = -1;
    expect_bad(&d, "cutoff_min");
    d.cutoff_min = INFINITY;
    expect_bad(&d, "cutoff_min");

    d = mk(AM_DECAY_STEP);
    expect_bad(&d, "cutoff_min");
    d = mk(AM_DECAY_LINEAR);
    expect_bad(&d, "cutoff_min");
    d = mk(AM_DECAY_DAI_GAUSSIAN);
    expect_bad(&d, "cutoff_min");
    d.cutoff_min = 0.00001; /* rounds to 0 ds */
    expect_bad(&d, "cutoff_min");

    d = mk(AM_DECAY_GAUSSIAN);
    d.sigma_min = 0;
    expect_bad(&d, "sigma_min");

    d = mk(AM_DECAY_POWER);
    d.beta = 1;
    expect_bad(&d, "t_min");
    d.t_min = 1;
    d.beta = 0;
    expect_bad(&d, "beta");

    d = mk(AM_DECAY_LOGISTIC);
    d.t_half_min = 10;
    expect_bad(&d, "sd_min");
    d.sd_min = 2;
    d.t_half_min = -1;
    expect_bad(&d, "t_half_min");

    d = luo_qi_zones();
    assert_int_equal(am_decay_check(&d, NULL), AM_OK);
    d.cutoff_min = 30;
    assert_int_equal(am_decay_check(&d, NULL), AM_OK);
    d.cutoff_min = 40;
    expect_bad(&d, "cutoff_min");
    d = luo_qi_zones();
    d.zone_upper_min[1] = 10;
    expect_bad(&d, "ascending");
    d = luo_qi_zones();
    d.zone_weight[2] = 1.5;
    expect_bad(&d, "weight");
    d = luo_qi_zones();
    d.zone_upper_min[0] = 0;
    expect_bad(&d, "upper bound");
    d = luo_qi_zones();
    d.n_zones = 0;
    expect_bad(&d, "zones");
    d.n_zones = AM_DECAY_MAX_ZONES + 1;
    expect_bad(&d, "zones");

    d = mk((am_decay_type)99);
    expect_bad(&d, "unknown");
    assert_int_equal(am_decay_check(NULL, NULL), AM_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_table_monotone_eval),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
