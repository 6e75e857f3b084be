/*
 * test_spatial_index.c: the k-d tree (geo/spatial_index.h) against a
 * brute-force oracle.
 *
 * The oracle scans every finite point and keeps the smallest (squared
 * distance, index) pair, then accepts it iff sqrt(d2) <= max_dist, which
 * is the contract: nearest within max_dist inclusive, ties to the lowest
 * index. Points come from a fixed-seed PRNG (splitmix64, Steele, Lea &
 * Flood 2014), so failures reproduce.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "geo/spatial_index.h"

static uint64_t rng_state;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double unif(void)
{
    return (double)(splitmix64() >> 11) * (1.0 / 9007199254740992.0);
}

static int32_t oracle(int32_t n, const double *x, const double *y, double qx,
                      double qy, double max_dist, double *dist)
{
    int32_t best = -1;
    double bd2 = HUGE_VAL;
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double dx = x[i] - qx, dy = y[i] - qy;
        double d2 = dx * dx + dy * dy;
        if (d2 < bd2) { /* strict: the first (lowest) index wins ties */
            bd2 = d2;
            best = i;
        }
    }
    if (best < 0 || !(sqrt(bd2) <= max_dist))
        return -1;
    *dist = sqrt(bd2);
    return best;
}

static void check_queries(const am_spatial_index *idx, int32_t n,
                          const double *x, const double *y, int nq, double span)
{
    for (int q = 0; q < nq; q++) {
        double qx = (unif() * 1.2 - 0.1) * span;
        double qy = (unif() * 1.2 - 0.1) * span;
        double maxd;
        switch (q % 4) {
        case 0:
            maxd = HUGE_VAL;
            break;
        case 1:
            maxd = unif() * span * 0.02;
            break;
        case 2:
            maxd = unif() * span * 0.2;
            break;
        default:
            maxd = 0.0;
            break;
        }
        double d_idx = -1.0, d_ref = -1.0;
        int32_t got = am_spatial_index_nearest(idx, qx, qy, maxd, &d_idx);
        int32_t want = oracle(n, x, y, qx, qy, maxd, &d_ref);
        assert_int_equal(got, want);
        if (want >= 0)
            assert_true(d_idx == d_ref);
        else
            assert_true(d_idx == HUGE_VAL);
    }
}

static void test_random_uniform(void **state)
{
    (void)state;
    rng_state = 12345;
    const int32_t n = 20000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (int32_t i = 0; i < n; i++) {
        x[i] = unif() * 1000.0;
        y[i] = unif() * 1000.0;
    }
    am_spatial_index *idx = NULL;
    assert_int_equal(am_spatial_index_build(n, x, y, &idx), AM_OK);
    check_queries(idx, n, x, y, 4000, 1000.0);
    /* Querying at a point itself returns that point at distance 0. */
    for (int32_t i = 0; i < n; i += 97) {
        double d = -1;
        assert_int_equal(am_spatial_index_nearest(idx, x[i], y[i], 0.0, &d), i);
        assert_true(d == 0.0);
    }
    am_spatial_index_destroy(idx);
    free(x);
    free(y);
}

/* Clustered, anisotropic data with many duplicate coordinates: a sorted
 * lattice (like raster cell centres) with every point repeated, plus a
 * dense cluster. Exercises median selection on equal keys and ties. */
static void test_lattice_duplicates_and_ties(void **state)
{
    (void)state;
    rng_state = 777;
    const int32_t side = 60, reps = 3, ncl = 5000;
    const int32_t n = side * side * reps + ncl;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    int32_t k = 0;
    for (int32_t r = 0; r < reps; r++)
        for (int32_t i = 0; i < side; i++)
            for (int32_t j = 0; j < side; j++) {
                x[k] = (double)j * 10.0;
                y[k] = (double)i; /* 10:1 aspect */
                k++;
            }
    for (int32_t i = 0; i < ncl; i++, k++) {
        x[k] = 300.0 + floor(unif() * 8.0);
        y[k] = 30.0 + floor(unif() * 4.0);
    }
    am_spatial_index *idx = NULL;
    assert_int_equal(am_spatial_index_build(n, x, y, &idx), AM_OK);
    check_queries(idx, n, x, y, 3000, 600.0);

    /* Exact ties: the query (5, 0.5) is at squared distance 25.25 from the
     * four lattice points (0,0), (10,0), (0,1), (10,1), each present reps
     * times; the lowest index is (0,0) of the first copy, index 0. */
    double d = 0;
    assert_int_equal(am_spatial_index_nearest(idx, 5.0, 0.5, 100.0, &d), 0);
    assert_true(d == sqrt(25.25));
    /* A duplicated point: the first copy wins. */
    int32_t i17 = 17 * side + 23; /* (230, 17) in copy 0 */
    assert_int_equal(am_spatial_index_nearest(idx, 230.0, 17.0, 0.0, &d), i17);
    am_spatial_index_destroy(idx);
    free(x);
    free(y);
}

static void test_max_dist_inclusive(void **state)
{
    (void)state;
    const double x[3] = {3.0, 0.1, -7.0};
    const double y[3] = {4.0, 0.2, 0.0};
    am_spatial_index *idx = NULL;
    assert_int_equal(am_spatial_index_build(3, x, y, &idx), AM_OK);
    double d = 0;
    /* (3, 4) is exactly 5 from the origin; (0.1, 0.2) is nearer. */
    assert_int_equal(am_spatial_index_nearest(idx, 3.0, 4.0, 0.0, &d), 0);
    assert_int_equal(am_spatial_index_nearest(idx, 0.0, 0.0, 5.0, &d), 1);
    /* Seen from (6, 8), (3, 4) is exactly 5 away. */
    assert_int_equal(am_spatial_index_nearest(idx, 6.0, 8.0, 5.0, &d), 0);
    assert_true(d == 5.0);
    assert_int_equal(am_spatial_index_nearest(idx, 6.0, 8.0, 4.999999999, &d),
                     -1);
    assert_true(d == HUGE_VAL);
    /* A distance that is not exact in binary: the boundary still holds. */
    double r = sqrt(0.1 * 0.1 + 0.2 * 0.2);
    assert_int_equal(am_spatial_index_nearest(idx, 0.0, 0.0, r, &d), 1);
    assert_true(d == r);
    assert_int_equal(
        am_spatial_index_nearest(idx, 0.0, 0.0, nextafter(r, 0.0), &d), -1);
    /* From (-3.5, 0): (-7, 0) is 3.5 away, (0.1, 0.2) about 3.6056. */
    assert_int_equal(am_spatial_index_nearest(idx, -3.5, 0.0, 10.0, &d), 2);
    assert_true(d == 3.5);
    /* Bad queries. */
    assert_int_equal(am_spatial_index_nearest(idx, 0.0, 0.0, -1.0, &d), -1);
    assert_int_equal(am_spatial_index_nearest(idx, 0.0, 0.0, NAN, &d), -1);
    assert_int_equal(am_spatial_index_nearest(idx, NAN, 0.0, 10.0, &d), -1);
    assert_int_equal(am_spatial_index_nearest(idx, 0.0, INFINITY, 10.0, NULL),
                     -1);
    assert_int_equal(am_spatial_index_nearest(idx, 0.0, 0.0, INFINITY, NULL),
                     1);
    am_spatial_index_destroy(idx);
}

static void test_empty(void **state)
{
    (void)state;
    am_spatial_index *idx = NULL;
    assert_int_equal(am_spatial_index_build(0, NULL, NULL, &idx), AM_OK);
    assert_non_null(idx);
    double d = 0;
    assert_int_equal(am_spatial_index_nearest(idx, 0.0, 0.0, HUGE_VAL, &d), -1);
    assert_true(d == HUGE_VAL);
    am_spatial_index_destroy(idx);

    const double x[2] = {NAN, 1.0};
    const double y[2] = {0.0, INFINITY};
    assert_int_equal(am_spatial_index_build(2, x, y, &idx), AM_OK);
    assert_int_equal(am_spatial_index_nearest(idx, 0.0, 0.0, HUGE_VAL, &d), -1);
    am_spatial_index_destroy(idx);
    am_spatial_index_destroy(NULL);
    assert_int_equal(am_spatial_index_nearest(NULL, 0.0, 0.0, 1.0, &d), -1);
}

static void test_nonfinite_skipped(void **state)
{
    (void)state;
    rng_state = 4242;
    const int32_t n = 5000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (int32_t i = 0; i < n; i++) {
        x[i] = unif() * 100.0;
        y[i] = unif() * 100.0;
        switch (i % 7) {
        case 1:
            x[i] = NAN;
            break;
        case 3:
            y[i] = HUGE_VAL;
            break;
        case 5:
            x[i] = -INFINITY;
            break;
        default:
            break;
        }
    }
    am_spatial_index *idx = NULL;
    assert_int_equal(am_spatial_index_build(n, x, y, &idx), AM_OK);
    check_queries(idx, n, x, y, 2000, 100.0);
    /* The finite coordinate of a dropped point never attracts a query. */
    double d;
    int32_t got = am_spatial_index_nearest(idx, 50.0, HUGE_VAL, HUGE_VAL, &d);
    assert_int_equal(got, -1);
    am_spatial_index_destroy(idx);
    free(x);
    free(y);
}

/* Small sizes around the leaf size, where the tree shape changes. */
static void test_small_sizes(void **state)
{
    (void)state;
    rng_state = 99;
    double x[40], y[40];
    for (int32_t n = 1; n <= 40; n++) {
        for (int32_t i = 0; i < n; i++) {
            x[i] = floor(unif() * 6.0);
            y[i] = floor(unif() * 6.0);
        }
        am_spatial_index *idx = NULL;
        assert_int_equal(am_spatial_index_build(n, x, y, &idx), AM_OK);
        check_queries(idx, n, x, y, 200, 6.0);
        am_spatial_index_destroy(idx);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_uniform),
        cmocka_unit_test(test_lattice_duplicates_and_ties),
        cmocka_unit_test(test_max_dist_inclusive),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_nonfinite_skipped),
        cmocka_unit_test(test_small_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
