/*
 * test_near_pairs.c: pairs of points within a distance (geo/near_pairs.h),
 * the near-duplicate facilities of a set.
 *
 * (a) a hand case: metres offsets turned into degrees with the local
 *     radii (1 deg of latitude ~ 110.6 km, of longitude 111.32 km x
 *     cos(lat) at 11.7 S), so the expected pairs and distances (30, 45 m
 *     in; 60, 67 m out) are known without the code under test; the same
 *     position, a non-finite coordinate; the bound inclusive;
 * (b) across the antimeridian and near a pole, where close points differ
 *     by up to 180 deg of longitude;
 * (c) a brute-force oracle (every pair, the geodesic) on random points
 *     with exact repeats: clustered at three distances, on three parallels
 *     across the antimeridian, around the pole: the same count and the
 *     same first pairs;
 * (d) degenerate input: fewer than 2 points, no pair kept.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "geo/geodesic.h"
#include "geo/near_pairs.h"

#define LAT0 (-11.70)
#define M_PER_DEG_LAT 110600.0
#define M_PER_DEG_LON (111320.0 * 0.979223) /* cos(11.7 deg) */

static void test_hand(void **state)
{
    (void)state;
    double lon[8], lat[8];
    /* 0 the origin; 1 30 m north; 2 60 m east; 3 at 0 exactly; 4 45 m
       east of 2; 5 1 km away; 6 NaN; 7 15 m south of 5 */
    lon[0] = 43.25, lat[0] = LAT0;
    lon[1] = 43.25, lat[1] = LAT0 + 30.0 / M_PER_DEG_LAT;
    lon[2] = 43.25 + 60.0 / M_PER_DEG_LON, lat[2] = LAT0;
    lon[3] = lon[0], lat[3] = lat[0];
    lon[4] = lon[2] + 45.0 / M_PER_DEG_LON, lat[4] = LAT0;
    lon[5] = 43.26, lat[5] = LAT0 + 0.005;
    lon[6] = 43.25, lat[6] = NAN;
    lon[7] = 43.26, lat[7] = lat[5] - 15.0 / M_PER_DEG_LAT;
    am_near_pair keep[8];
    int64_t count = -1;
    assert_int_equal(am_near_pairs(8, lon, lat, 50.0, &count, keep, 8), 0);
    /* (0,1) 30 m, (1,3) 30 m, (2,4) 45 m, (5,7) 15 m; (0,3) is the same
       position; (0,2) 60 m and (1,2) 67 m are out */
    assert_int_equal(count, 4);
    const int32_t want[4][2] = {{0, 1}, {1, 3}, {2, 4}, {5, 7}};
    const double want_m[4] = {30, 30, 45, 15};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(keep[k].a, want[k][0]);
        assert_int_equal(keep[k].b, want[k][1]);
        assert_float_equal(keep[k].distance_m, want_m[k], 0.3);
    }
    /* only the first two kept, the count still whole */
    am_near_pair two[2];
    assert_int_equal(am_near_pairs(8, lon, lat, 50.0, &count, two, 2), 0);
    assert_int_equal(count, 4);
    assert_int_equal(two[0].a, 0);
    assert_int_equal(two[0].b, 1);
    assert_int_equal(two[1].a, 1);
    assert_int_equal(two[1].b, 3);
    assert_int_equal(am_near_pairs(8, lon, lat, 50.0, &count, NULL, 0), 0);
    assert_int_equal(count, 4);
    /* 70 m takes (0,2) 60 m and (1,2) 67 m too; (0,4), 105 m, stays out */
    assert_int_equal(am_near_pairs(8, lon, lat, 70.0, &count, NULL, 0), 0);
    assert_int_equal(count, 7); /* + (0,2), (1,2), (2,3) */
    /* inclusive: exactly the distance of (2,4) keeps it, a hair less not */
    const double d24 = am_geodesic_distance_m(lon[2], lat[2], lon[4], lat[4]);
    assert_int_equal(am_near_pairs(8, lon, lat, d24, &count, keep, 8), 0);
    assert_int_equal(count, 4);
    assert_int_equal(
        am_near_pairs(8, lon, lat, nextafter(d24, 0.0), &count, keep, 8), 0);
    assert_int_equal(count, 3);
    assert_int_equal(keep[2].a, 5);
}

/* (b) close points far apart in longitude. */
static void test_wrap_and_pole(void **state)
{
    (void)state;
    /* 0.0002 deg of longitude across 180 at the equator: 22.3 m; near
       the pole, 90 deg of longitude apart on a circle of radius ~11 m */
    const double lon[4] = {179.9999, -179.9999, 0.0, 90.0};
    const double lat[4] = {0.0, 0.0, 89.9999, 89.9999};
    am_near_pair keep[4];
    int64_t count = 0;
    assert_int_equal(am_near_pairs(4, lon, lat, 50.0, &count, keep, 4), 0);
    assert_int_equal(count, 2);
    assert_int_equal(keep[0].a, 0);
    assert_int_equal(keep[0].b, 1);
    assert_float_equal(keep[0].distance_m, 0.0002 * 111319.49, 0.01);
    assert_int_equal(keep[1].a, 2);
    assert_int_equal(keep[1].b, 3);
    assert_true(keep[1].distance_m > 10.0 && keep[1].distance_m < 20.0);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Layout `round` of the oracle's points: 0-2 clusters (150 sites in a
 * 20 km box, 10 points each in a ~110 m square), 3 three parallels
 * across the antimeridian (0.02 deg of longitude: ~2.2 km), 4 near the
 * north pole at every longitude; one point in twenty an exact repeat. */
static void layout(int round, int n, double *lon, double *lat)
{
    for (int i = 0; i < n; i++) {
        if (i > 0 && uniform() < 0.05) {
            int j = (int)(uniform() * i);
            lon[i] = lon[j], lat[i] = lat[j];
            continue;
        }
        if (round <= 2) {
            double c = (double)(i / 10);
            double clon = 43.2 + 0.18 * fmod(c * 0.6180339887, 1.0);
            double clat = -11.8 + 0.18 * fmod(c * 0.7548776662, 1.0);
            lon[i] = clon + (uniform() - 0.5) * 0.001;
            lat[i] = clat + (uniform() - 0.5) * 0.001;
        } else if (round == 3) {
            double x = 179.99 + 0.02 * uniform();
            lon[i] = x > 180.0 ? x - 360.0 : x;
            lat[i] = 5.0 + 0.0003 * (double)(i % 3);
        } else {
            lon[i] = 360.0 * uniform() - 180.0;
            lat[i] = 90.0 - 0.01 * uniform();
        }
    }
}

/* (c) the sweep against every pair. */
static void test_oracle(void **state)
{
    (void)state;
    enum { N = 1000, KEEP = 20, ROUNDS = 5 };
    double *lon = malloc(N * sizeof *lon), *lat = malloc(N * sizeof *lat);
    am_near_pair *want = malloc(sizeof *want * (size_t)N * 16);
    assert_non_null(lon);
    assert_non_null(lat);
    assert_non_null(want);
    const double dists[ROUNDS] = {10.0, 50.0, 200.0, 50.0, 50.0};
    for (int round = 0; round < ROUNDS; round++) {
        layout(round, N, lon, lat);
        const double max_m = dists[round];
        int64_t n_want = 0;
        for (int a = 0; a < N; a++)
            for (int b = a + 1; b < N; b++) {
                if (lon[a] == lon[b] && lat[a] == lat[b])
                    continue;
                double d =
                    am_geodesic_distance_m(lon[a], lat[a], lon[b], lat[b]);
                if (d <= max_m) {
                    assert_true(n_want < (int64_t)N * 16);
                    want[n_want++] = (am_near_pair){a, b, d};
                }
            }
        am_near_pair keep[KEEP];
        int64_t count = -1;
        assert_int_equal(am_near_pairs(N, lon, lat, max_m, &count, keep, KEEP),
                         0);
        assert_int_equal(count, n_want);
        assert_true(n_want > KEEP); /* the case is not trivial */
        for (int k = 0; k < KEEP; k++) {
            assert_int_equal(keep[k].a, want[k].a);
            assert_int_equal(keep[k].b, want[k].b);
            assert_true(keep[k].distance_m == want[k].distance_m);
        }
    }
    free(lon);
    free(lat);
    free(want);
}

/* (d) nothing to pair. */
static void test_degenerate(void **state)
{
    (void)state;
    const double lon[2] = {1.0, 1.0}, lat[2] = {2.0, 2.0};
    int64_t count = 7;
    assert_int_equal(am_near_pairs(0, lon, lat, 50.0, &count, NULL, 0), 0);
    assert_int_equal(count, 0);
    count = 7;
    assert_int_equal(am_near_pairs(1, lon, lat, 50.0, &count, NULL, 0), 0);
    assert_int_equal(count, 0);
    /* two points at the same position are not a near pair */
    assert_int_equal(am_near_pairs(2, lon, lat, 50.0, &count, NULL, 0), 0);
    assert_int_equal(count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_wrap_and_pole),
        cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
