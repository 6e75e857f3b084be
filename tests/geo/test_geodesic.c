/*
 * test_geodesic.c: geodesic distances on WGS 84 (geo/geodesic.h) against
 * published values.
 *
 * Sources of the expected numbers:
 *  - equator: along the equator the geodesic is the equator itself (for
 *    longitude differences below (1 - f) * 180 deg), so 1 deg is
 *    a * pi / 180 = 111319.490793 m with a = 6378137 m;
 *  - quarter meridian of WGS 84: 10 001 965.729 m (e.g. NIMA TR8350.2 and
 *    GeographicLib's documentation);
 *  - Karney 2013, "Algorithms for geodesics", J. Geodesy 87:43-55:
 *    Table 2 (direct problem: lat1 = 40, azi1 = 30, s12 = 10 000 km gives
 *    lat2 = 41.79331020506, lon12 = 137.84490004377), Table 3 (short line:
 *    lat1 = -30.12345, lat2 = -30.12344, lon12 = 0.00005, s12 = 4.944208 m)
 *    and Table 4 (nearly antipodal: lat1 = -30, lat2 = 29.9, lon12 = 179.8,
 *    s12 = 19 989 832.827610 m). All three were re-checked with PROJ's
 *    `geod` command (geod +ellps=WGS84 -I / direct).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "geo/geodesic.h"

#define A_WGS84 6378137.0
#define PI 3.14159265358979323846

static void test_equator(void **state)
{
    (void)state;
    double one = A_WGS84 * PI / 180.0;
    assert_float_equal(one, 111319.49079327357, 1e-8);
    assert_float_equal(am_geodesic_distance_m(0, 0, 1, 0), one, 1e-6);
    assert_float_equal(am_geodesic_distance_m(10, 0, 11, 0), one, 1e-6);
    assert_float_equal(am_geodesic_distance_m(179.5, 0, -179.5, 0), one, 1e-6);
    assert_float_equal(am_geodesic_distance_m(0, 0, 90, 0), 90 * one, 1e-5);
}

static void test_meridian(void **state)
{
    (void)state;
    assert_float_equal(am_geodesic_distance_m(0, 0, 0, 90), 10001965.729, 1e-3);
    assert_float_equal(am_geodesic_distance_m(17, -90, 17, 0), 10001965.729,
                       1e-3);
}

static void test_karney_tables(void **state)
{
    (void)state;
    /* Table 3 */
    assert_float_equal(am_geodesic_distance_m(0, -30.12345, 0.00005, -30.12344),
                       4.944208, 1e-6);
    /* Table 4 */
    assert_float_equal(am_geodesic_distance_m(0, -30, 179.8, 29.9),
                       19989832.827610, 1e-5);
    /* Table 2, solved backwards: the endpoints are given to 1e-11 deg
     * (about 1 micrometre). */
    assert_float_equal(
        am_geodesic_distance_m(0, 40, 137.84490004377, 41.79331020506), 1e7,
        1e-4);
}

static void test_symmetry_and_zero(void **state)
{
    (void)state;
    double d1 = am_geodesic_distance_m(-0.2, 5.6, 24.9, 60.2);
    double d2 = am_geodesic_distance_m(24.9, 60.2, -0.2, 5.6);
    assert_float_equal(d1, d2, 1e-6);
    assert_float_equal(am_geodesic_distance_m(43.3, -11.7, 43.3, -11.7), 0.0,
                       0.0);
}

/* The cheap lower bound is never above the geodesic, and within 1.5 % of
 * it, from millimetres to thousands of km, at every latitude, across the
 * antimeridian. */
static void test_lower_bound(void **state)
{
    (void)state;
    uint64_t z = 12345;
    for (int i = 0; i < 200000; i++) {
        double u[4];
        for (int k = 0; k < 4; k++) {
            z += 0x9E3779B97F4A7C15ull;
            uint64_t v = z;
            v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ull;
            v = (v ^ (v >> 27)) * 0x94D049BB133111EBull;
            v ^= v >> 31;
            u[k] = (double)(v >> 11) / 9007199254740992.0;
        }
        const double lon1 = 360.0 * u[0] - 180.0;
        const double lat1 = 179.8 * u[1] - 89.9;
        /* legs of 10^-8 to 10 degrees */
        const double r = pow(10.0, -8.0 + 9.0 * u[2]);
        const double lon2 = lon1 + r * cos(6.283185307179586 * u[3]) /
                                       fmax(cos(lat1 * 0.0174532925), 0.01);
        const double lat2 =
            fmin(fmax(lat1 + r * sin(6.283185307179586 * u[3]), -90.0), 90.0);
        const double d = am_geodesic_distance_m(lon1, lat1, lon2, lat2);
        const double lb = am_geodesic_distance_lower_m(lon1, lat1, lon2, lat2);
        assert_true(lb <= d);
        assert_true(lb >= 0.0);
        if (d > 1.0 && d < 1e6) /* tight for legs up to 1000 km */
            assert_true(lb >= d * 0.985 - 1e-5);
    }
    assert_true(am_geodesic_distance_lower_m(179.9999, 0.0, -179.9999, 0.0) >
                20.0);
    assert_true(am_geodesic_distance_lower_m(10.0, 10.0, 10.0, 10.0) == 0.0);
    assert_true(am_geodesic_distance_lower_m(NAN, 10.0, 10.0, 10.0) == 0.0);
}

static void test_polyline(void **state)
{
    (void)state;
    const double lon[4] = {0, 1, 2, 3};
    const double lat[4] = {0, 0, 0, 0};
    double one = A_WGS84 * PI / 180.0;
    assert_float_equal(am_geodesic_polyline_m(0, NULL, NULL), 0.0, 0.0);
    assert_float_equal(am_geodesic_polyline_m(1, lon, lat), 0.0, 0.0);
    assert_float_equal(am_geodesic_polyline_m(2, lon, lat), one, 1e-6);
    assert_float_equal(am_geodesic_polyline_m(4, lon, lat), 3 * one, 1e-6);

    /* Out and back along Karney's Table 3 and Table 4 lines: twice the
     * published lengths. */
    const double plon[3] = {0, 0.00005, 0};
    const double plat[3] = {-30.12345, -30.12344, -30.12345};
    assert_float_equal(am_geodesic_polyline_m(3, plon, plat), 2 * 4.944208,
                       2e-6);
    const double alon[3] = {0, 179.8, 0};
    const double alat[3] = {-30, 29.9, -30};
    assert_float_equal(am_geodesic_polyline_m(3, alon, alat),
                       2 * 19989832.827610, 2e-5);

    /* A polyline is the sum of its segments, whatever their direction. */
    const double qlon[3] = {-0.2, 24.9, 43.3};
    const double qlat[3] = {5.6, 60.2, -11.7};
    double sum = am_geodesic_distance_m(qlon[0], qlat[0], qlon[1], qlat[1]) +
                 am_geodesic_distance_m(qlon[1], qlat[1], qlon[2], qlat[2]);
    assert_float_equal(am_geodesic_polyline_m(3, qlon, qlat), sum, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equator),
        cmocka_unit_test(test_meridian),
        cmocka_unit_test(test_karney_tables),
        cmocka_unit_test(test_symmetry_and_zero),
        cmocka_unit_test(test_polyline),
        cmocka_unit_test(test_lower_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
