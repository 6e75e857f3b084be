/*
 * test_crs.c: transforms and CRS checks (geo/crs.h) against published or
 * independently computed coordinates.
 *
 * Sources of the expected numbers:
 *  - EPSG Guidance Note 7-2 (IOGP Publication 373-7-2), worked examples:
 *    Popular Visualisation Pseudo-Mercator (EPSG:3857): lat 24d22'54.433"N,
 *    lon 100d20'00.000"W -> E = -11 169 055.58 m, N = 2 800 000.00 m; and
 *    Transverse Mercator, OSGB 1936 / British National Grid (EPSG:27700
 *    from OSGB 1936 geographic, EPSG:4277, no datum change): lat 50d30'N,
 *    lon 0d30'E -> E = 577 274.99 m, N = 69 740.50 m.
 *  - UTM 26N (EPSG:32626), lon -25.5, lat 38.0 -> (631699.6695,
 *    4206876.5233): PROJ 9.1 `cs2cs EPSG:4326 EPSG:32626`, checked by hand
 *    with an independent implementation of Krueger's series (Karney 2011,
 *    "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy
 *    85:475-485, eqs. 7-11, 4th order), agreeing to 0.1 mm.
 *  - EPSG:3879 (ETRS89 / GK25FIN, officially northing first): lon 24.9325,
 *    lat 60.1655 -> E = 25 496 252.3286, N = 6 672 513.7004 (cs2cs, which
 *    prints northing first); consistent with the Helsinki test raster,
 *    whose centre gdalinfo reports at (25496250, 6672500) = 24d55'56.85"E,
 *    60d09'55.36"N.
 */
/* setenv, unsetenv, strdup (test_proj_db_missing) */
#define _POSIX_C_SOURCE 200809L

#include <geodesic.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <proj.h>

#include "geo/crs.h"

#define AM_PI 3.14159265358979323846

static void xform1(const char *src, const char *dst, double *x, double *y)
{
    am_transform *t = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_transform_create(src, dst, &t, &err), AM_OK);
    size_t failed = 99;
    assert_int_equal(am_transform_points(t, 1, x, y, &failed, &err), AM_OK);
    assert_int_equal(failed, 0);
    am_transform_destroy(t);
}

static void test_pseudo_mercator(void **state)
{
    (void)state;
    const double lon = -(100.0 + 20.0 / 60.0);
    const double lat = 24.0 + 22.0 / 60.0 + 54.433 / 3600.0;
    double x = lon, y = lat;
    xform1(AM_CRS_WGS84, "EPSG:3857", &x, &y);
    assert_float_equal(x, -11169055.58, 0.01);
    assert_float_equal(y, 2800000.00, 0.01);
    /* and back */
    xform1("EPSG:3857", AM_CRS_WGS84, &x, &y);
    assert_float_equal(x, lon, 1e-9);
    assert_float_equal(y, lat, 1e-9);
}

static void test_british_national_grid(void **state)
{
    (void)state;
    double x = 0.5, y = 50.5; /* lon, lat: traditional GIS order */
    xform1("EPSG:4277", "EPSG:27700", &x, &y);
    assert_float_equal(x, 577274.99, 0.02);
    assert_float_equal(y, 69740.50, 0.02);
}

static void test_utm(void **state)
{
    (void)state;
    double x = -25.5, y = 38.0;
    xform1(AM_CRS_WGS84, "EPSG:32626", &x, &y);
    assert_float_equal(x, 631699.6695, 1e-3);
    assert_float_equal(y, 4206876.5233, 1e-3);
    xform1("EPSG:32626", AM_CRS_WGS84, &x, &y);
    assert_float_equal(x, -25.5, 1e-9);
    assert_float_equal(y, 38.0, 1e-9);
}

static void test_axis_order_northing_first_crs(void **state)
{
    (void)state;
    double x = 24.9325, y = 60.1655;
    xform1(AM_CRS_WGS84, "EPSG:3879", &x, &y);
    assert_float_equal(x, 25496252.3286, 1e-3); /* easting in x */
    assert_float_equal(y, 6672513.7004, 1e-3);
}

static void test_many_points_and_failures(void **state)
{
    (void)state;
    am_transform *t = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_transform_create(AM_CRS_WGS84, "EPSG:3857", &t, &err),
                     AM_OK);
    /* Latitude 95 and NaN cannot be projected; the others can. */
    double x[5] = {0.0, 10.0, 20.0, NAN, -100.0 - 20.0 / 60.0};
    double y[5] = {0.0, 95.0, 0.0, 0.0, 24.0 + 22.0 / 60.0 + 54.433 / 3600.0};
    size_t failed = 0;
    assert_int_equal(am_transform_points(t, 5, x, y, &failed, &err), AM_OK);
    assert_int_equal(failed, 2);
    assert_float_equal(x[0], 0.0, 1e-9);
    assert_float_equal(y[0], 0.0, 1e-9);
    assert_true(x[1] == HUGE_VAL && y[1] == HUGE_VAL);
    /* 20 deg of longitude on the sphere of radius a */
    assert_float_equal(x[2], 6378137.0 * 20.0 * AM_PI / 180.0, 1e-6);
    assert_true(x[3] == HUGE_VAL && y[3] == HUGE_VAL);
    assert_float_equal(x[4], -11169055.58, 0.01);
    assert_float_equal(y[4], 2800000.00, 0.01);
    /* n_failed may be NULL; zero points is fine. */
    double a = 1.0, b = 2.0;
    assert_int_equal(am_transform_points(t, 1, &a, &b, NULL, &err), AM_OK);
    assert_int_equal(am_transform_points(t, 0, NULL, NULL, &failed, &err),
                     AM_OK);
    assert_int_equal(failed, 0);
    am_transform_destroy(t);
    am_transform_destroy(NULL);
    assert_int_equal(am_transform_points(NULL, 1, &a, &b, NULL, &err),
                     AM_ERR_CRS);
}

/* A clone transforms every point to the same bytes, on its own. */
static void check_clone(const char *src, const char *dst, double lon0,
                        double lat0, double span)
{
    am_transform *t = NULL, *c = NULL, *cc = NULL;
    am_error err;
    enum { N = 64 };
    double x[N], y[N], cx[N], cy[N];
    for (int i = 0; i < N; i++) {
        x[i] = cx[i] = lon0 + span * ((i % 8) - 3.5) / 8.0;
        y[i] = cy[i] = lat0 + span * ((i / 8) - 3.5) / 8.0;
    }
    x[N - 1] = cx[N - 1] = NAN; /* fails the same way */
    assert_int_equal(am_transform_create(src, dst, &t, &err), AM_OK);
    assert_int_equal(am_transform_clone(t, &c, &err), AM_OK);
    assert_int_equal(am_transform_clone(c, &cc, &err), AM_OK);
    assert_true(c != t && cc != c);
    size_t f1 = 0, f2 = 0;
    assert_int_equal(am_transform_points(t, N, x, y, &f1, &err), AM_OK);
    am_transform_destroy(t); /* the clone does not depend on it */
    assert_int_equal(am_transform_points(c, N, cx, cy, &f2, &err), AM_OK);
    assert_int_equal(f1, 1);
    assert_int_equal(f2, 1);
    assert_memory_equal(x, cx, sizeof x);
    assert_memory_equal(y, cy, sizeof y);
    am_transform_destroy(c);
    /* A clone of a clone, used after both are gone: the same bytes. */
    double a = lon0 + span * -3.5 / 8.0, b = lat0 + span * -3.5 / 8.0;
    assert_int_equal(am_transform_points(cc, 1, &a, &b, NULL, &err), AM_OK);
    assert_memory_equal(&a, &x[0], sizeof a);
    assert_memory_equal(&b, &y[0], sizeof b);
    am_transform_destroy(cc);
}

static void test_clone(void **state)
{
    (void)state;
    check_clone(AM_CRS_WGS84, "EPSG:3879", 24.93, 60.17, 0.5);
    check_clone("EPSG:4277", "EPSG:27700", 0.5, 50.5, 2.0); /* datum shift */
    /* A bare PROJ string (made a CRS when created) and the metric frame. */
    check_clone("+proj=utm +zone=38 +south +datum=WGS84", AM_CRS_WGS84,
                500000.0, 8700000.0, 50000.0);
    check_clone(AM_CRS_WGS84,
                "+proj=tmerc +lat_0=-11.9 +lon_0=43.7 +k_0=1 +x_0=0 +y_0=0 "
                "+datum=WGS84 +units=m +no_defs +type=crs "
                "+algo=poder_engsager",
                43.5, -11.8, 1.0);

    am_transform *c = (am_transform *)&c; /* must be reset to NULL */
    am_error err;
    assert_int_equal(am_transform_clone(NULL, &c, &err), AM_ERR_CRS);
    assert_null(c);
    assert_int_equal(am_transform_clone(NULL, NULL, &err), AM_ERR_INVALID);
}

static void test_metric_frame_string(void **state)
{
    (void)state;
    char buf[200];
    am_error err;
    am_error_clear(&err);
    assert_int_equal(
        am_crs_metric_frame(-26.0, 37.0, -25.0, 38.0, buf, sizeof buf, &err),
        AM_OK);
    assert_string_equal(buf, "+proj=tmerc +lat_0=37.500000000 "
                             "+lon_0=-25.500000000 +k_0=1 +x_0=0 +y_0=0 "
                             "+datum=WGS84 +units=m +no_defs +type=crs "
                             "+algo=poder_engsager");
    /* Longitudes beyond 180 are wrapped. */
    assert_int_equal(
        am_crs_metric_frame(350.0, -1.0, 360.0, 1.0, buf, sizeof buf, &err),
        AM_OK);
    assert_non_null(strstr(buf, "+lat_0=0.000000000 +lon_0=-5.000000000 "));
    assert_int_equal(
        am_crs_metric_frame(179.0, 0.0, 181.0, 2.0, buf, sizeof buf, &err),
        AM_OK);
    assert_non_null(strstr(buf, "+lon_0=180.000000000 "));

    assert_int_equal(
        am_crs_metric_frame(-25.0, 37.0, -26.0, 38.0, buf, sizeof buf, &err),
        AM_ERR_INVALID);
    assert_int_equal(err.code, AM_ERR_INVALID);
    assert_int_equal(
        am_crs_metric_frame(0.0, 38.0, 1.0, 37.0, buf, sizeof buf, &err),
        AM_ERR_INVALID);
    assert_int_equal(
        am_crs_metric_frame(NAN, 37.0, 1.0, 38.0, buf, sizeof buf, &err),
        AM_ERR_INVALID);
    assert_int_equal(
        am_crs_metric_frame(0.0, 37.0, INFINITY, 38.0, buf, sizeof buf, &err),
        AM_ERR_INVALID);
    assert_int_equal(am_crs_metric_frame(0.0, 37.0, 1.0, 38.0, buf, 20, &err),
                     AM_ERR_INVALID);
    assert_string_equal(buf, "");
}

static void test_metric_frame_geometry(void **state)
{
    (void)state;
    char frame[200];
    am_error err;
    am_error_clear(&err);
    /* Greater Accra's extent. */
    assert_int_equal(
        am_crs_metric_frame(-0.4, 5.35, -0.0, 5.75, frame, sizeof frame, &err),
        AM_OK);
    am_transform *t = NULL;
    assert_int_equal(am_transform_create(AM_CRS_WGS84, frame, &t, &err), AM_OK);
    assert_int_equal(am_crs_check(frame, "metric frame", &err), AM_OK);

    /* The centre, and points 1000 m, 1000 m and 50 km from it (PROJ's
     * geodesic direct problem, Karney 2013), the last due north: a
     * transverse Mercator projection keeps the central meridian's length
     * (x = 0, y = the meridian arc), and elsewhere magnifies by at most
     * am_crs_frame_scale_error of the farthest |x| (never shrinks). */
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1.0 / 298.257223563);
    double x[4] = {-0.2, 0, 0, 0}, y[4] = {5.55, 0, 0, 0};
    const double az[3] = {60.0, 200.0, 0.0};
    const double s[3] = {1000.0, 1000.0, 50000.0};
    for (int k = 0; k < 3; k++)
        geod_direct(&g, 5.55, -0.2, az[k], s[k], &y[k + 1], &x[k + 1], NULL);
    size_t failed = 9;
    assert_int_equal(am_transform_points(t, 4, x, y, &failed, &err), AM_OK);
    assert_int_equal(failed, 0);
    assert_true(fabs(x[0]) < 1e-6 && fabs(y[0]) < 1e-6);
    assert_true(fabs(x[3]) < 1e-6);
    assert_true(fabs(y[3] - 50000.0) < 1e-6);
    for (int k = 0; k < 2; k++) {
        const double d = hypot(x[k + 1], y[k + 1]);
        assert_true(d >= s[k] - 1e-9);
        assert_true(d <=
                    s[k] * (1.0 + am_crs_frame_scale_error(fabs(x[k + 1]))) +
                        1e-9);
        /* grid azimuth = geodetic azimuth less the meridians' convergence
         * (about dlon sin(lat), ~1e-4 degree here) */
        double a = atan2(x[k + 1], y[k + 1]) * 180.0 / AM_PI;
        if (a < 0)
            a += 360.0;
        assert_true(fabs(a - az[k]) < 1e-3);
    }
    am_transform_destroy(t);
}

/*
 * The frame's scale against PROJ's own proj_factors, over 2000 x 2000 km
 * around frames at several latitudes: conformal (the same scale along the
 * meridian and the parallel, no angular distortion), k >= 1, and
 * am_crs_frame_scale_error(|x|) an upper bound of k - 1 that is tight
 * (within 2 %: R = 6345 km against the geometric mean radius sqrt(M N),
 * 6357-6400 km). Also further out, to 4000 km from the central meridian.
 */
static void test_frame_scale_vs_proj_factors(void **state)
{
    (void)state;
    const double centre_lat[] = {0.0, 35.0, -48.0, 62.0};
    PJ_CONTEXT *ctx = proj_context_create();
    assert_non_null(ctx);
    int n_checked = 0;
    for (int c = 0; c < 4; c++) {
        const double lat0 = centre_lat[c], lon0 = 17.25;
        char frame[200];
        am_error err;
        assert_int_equal(am_crs_metric_frame(lon0, lat0, lon0, lat0, frame,
                                             sizeof frame, &err),
                         AM_OK);
        am_transform *t = NULL;
        assert_int_equal(am_transform_create(AM_CRS_WGS84, frame, &t, &err),
                         AM_OK);
        /* the same definition as an operation: proj_factors wants one */
        char op[200];
        snprintf(op, sizeof op, "%s", frame);
        char *tc = strstr(op, " +type=crs");
        assert_non_null(tc);
        memmove(tc, tc + strlen(" +type=crs"), strlen(tc + 10) + 1);
        PJ *pj = proj_create(ctx, op);
        assert_non_null(pj);
        const double half_km[] = {1000.0, 4000.0};
        for (int r = 0; r < 2; r++) {
            /* a grid of geodesic offsets from the centre, east and north */
            for (int i = -10; i <= 10; i++)
                for (int j = -10; j <= 10; j++) {
                    struct geod_geodesic g;
                    geod_init(&g, 6378137.0, 1.0 / 298.257223563);
                    double plat, plon, qlat, qlon;
                    const double e = half_km[r] * 1000.0 * i / 10.0;
                    const double n =
                        (r == 0 ? 1000.0 : 300.0) * 1000.0 * j / 10.0;
                    geod_direct(&g, lat0, lon0, n >= 0 ? 0.0 : 180.0, fabs(n),
                                &plat, &plon, NULL);
                    geod_direct(&g, plat, plon, e >= 0 ? 90.0 : 270.0, fabs(e),
                                &qlat, &qlon, NULL);
                    if (fabs(qlat) > 85.0)
                        continue;
                    double x = qlon, y = qlat;
                    assert_int_equal(
                        am_transform_points(t, 1, &x, &y, NULL, &err), AM_OK);
                    PJ_COORD in =
                        proj_coord(proj_torad(qlon), proj_torad(qlat), 0, 0);
                    const PJ_FACTORS f = proj_factors(pj, in);
                    const double k = f.parallel_scale;
                    const double bound = am_crs_frame_scale_error(fabs(x));
                    /* (PROJ's derivatives are numerical: ~1e-8 rad) */
                    if (!(fabs(f.meridional_scale - k) < 1e-9 &&
                          fabs(f.angular_distortion) < 1e-6 &&
                          k >= 1.0 - 1e-9 && k - 1.0 <= bound + 1e-9 &&
                          bound <= (k - 1.0) * 1.02 + 1e-9))
                        fail_msg(
                            "frame at lat %g: lon %.6f lat %.6f (x %.0f "
                            "m): h %.12f k %.12f omega %g, bound 1 + %.12f",
                            lat0, qlon, qlat, x, f.meridional_scale, k,
                            f.angular_distortion, bound);
                    n_checked++;
                }
        }
        proj_destroy(pj);
        am_transform_destroy(t);
    }
    proj_context_destroy(ctx);
    assert_true(n_checked > 3000);
}

static void test_unknown_crs(void **state)
{
    (void)state;
    am_transform *t = (am_transform *)&t; /* must be reset to NULL */
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_transform_create("EPSG:999999", AM_CRS_WGS84, &t, &err),
                     AM_ERR_CRS);
    assert_null(t);
    assert_int_equal(err.code, AM_ERR_CRS);
    assert_non_null(strstr(err.msg, "EPSG:999999"));

    assert_int_equal(
        am_transform_create(AM_CRS_WGS84, "not a crs at all", &t, &err),
        AM_ERR_CRS);
    assert_null(t);
    assert_non_null(strstr(err.msg, "not a crs at all"));

    /* PROJ strings with an unknown projection or an invalid parameter;
     * a valid bare PROJ string (no +type=crs) is a CRS. */
    assert_int_equal(am_crs_check("+proj=foobar +datum=WGS84", "roads", &err),
                     AM_ERR_CRS);
    assert_non_null(strstr(err.msg, "roads"));
    assert_non_null(strstr(err.msg, "+proj=foobar"));
    assert_int_equal(am_crs_check("+proj=merc +lat_ts=95", "roads", &err),
                     AM_ERR_CRS);
    assert_int_equal(
        am_crs_check("+proj=utm +zone=30 +datum=WGS84", "roads", &err), AM_OK);
    assert_int_equal(am_crs_check(NULL, "population raster", &err), AM_ERR_CRS);
    assert_non_null(strstr(err.msg, "population raster"));
    assert_int_equal(am_crs_check("", "x", &err), AM_ERR_CRS);
    assert_int_equal(am_crs_check("EPSG:999999", "facilities", &err),
                     AM_ERR_CRS);
    assert_int_equal(am_crs_check("EPSG:4326", "facilities", &err), AM_OK);
    assert_int_equal(am_crs_check("EPSG:3879", NULL, &err), AM_OK);
    assert_int_equal(
        am_crs_check("GEOGCRS[\"WGS 84\",DATUM[\"World Geodetic System 1984\","
                     "ELLIPSOID[\"WGS 84\",6378137,298.257223563]],"
                     "CS[ellipsoidal,2],AXIS[\"latitude\",north],"
                     "AXIS[\"longitude\",east],ANGLEUNIT[\"degree\","
                     "0.0174532925199433]]",
                     "wkt", &err),
        AM_OK);
}

/* Issue 5: the extent's longitudes are an arc that may cross 180. */
/* am_crs_equivalent (accessim compare): the same CRS written two ways is
 * one; another datum or a projection is not; an unknown one is an error. */
static void test_crs_equivalent(void **state)
{
    (void)state;
    am_error err;
    int same = -1;
    const char *wkt1 =
        "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\","
        "6378137,298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\","
        "0.0174532925199433],AXIS[\"Longitude\",EAST],AXIS[\"Latitude\","
        "NORTH]]";
    assert_int_equal(
        am_crs_equivalent("EPSG:4326", wkt1, "A", "B", &same, &err), AM_OK);
    assert_int_equal(same, 1);
    assert_int_equal(
        am_crs_equivalent("EPSG:4326", "EPSG:4326", "A", "B", &same, &err),
        AM_OK);
    assert_int_equal(same, 1);
    assert_int_equal(
        am_crs_equivalent("EPSG:4326", "EPSG:32738", "A", "B", &same, &err),
        AM_OK);
    assert_int_equal(same, 0);
    assert_int_equal(am_crs_equivalent("EPSG:4326",
                                       "+proj=longlat +ellps=intl +no_defs",
                                       "A", "B", &same, &err),
                     AM_OK);
    assert_int_equal(same, 0);
    assert_int_equal(am_crs_equivalent("EPSG:4326", "+proj=foobar", "A", "B.h5",
                                       &same, &err),
                     AM_ERR_CRS);
    assert_non_null(strstr(err.msg, "B.h5"));
}

static void test_lonlat_extent(void **state)
{
    (void)state;
    double box[4];
    /* plain: the minimum and maximum as given (the Comoros) */
    const double lon1[4] = {43.2313, 44.5356, NAN, 43.9};
    const double lat1[4] = {-12.3816, -11.3694, 0.0, -11.9};
    am_crs_lonlat_extent(4, lon1, lat1, box);
    assert_float_equal(box[0], 43.2313, 0.0);
    assert_float_equal(box[2], 44.5356, 0.0);
    assert_float_equal(box[1], -12.3816, 0.0);
    assert_float_equal(box[3], -11.3694, 0.0);
    /* across the antimeridian: 179.5 .. 180.2 (-179.8), not -179.8 .. 180 */
    const double lon2[3] = {179.5, -179.8, 179.9};
    const double lat2[3] = {-17.0, -16.0, -18.0};
    am_crs_lonlat_extent(3, lon2, lat2, box);
    assert_float_equal(box[0], 179.5, 1e-12);
    assert_float_equal(box[2], 180.2, 1e-12);
    /* nothing finite */
    am_crs_lonlat_extent(1, lon1 + 2, lon1 + 2, box);
    assert_true(box[0] > box[2]);

    /* overlap, longitudes modulo 360 */
    const double net[4] = {43.2, -12.4, 44.5, -11.4};
    const double pop360[4] = {403.2, -12.4, 404.5, -11.4};
    const double far[4] = {223.2, -12.4, 224.5, -11.4};
    assert_true(am_crs_extents_overlap(pop360, net, 5000.0));
    assert_false(am_crs_extents_overlap(far, net, 5000.0));
    const double dateline[4] = {179.5, -18.0, 180.2, -16.0};
    const double west[4] = {-179.9, -17.0, -179.85, -16.5};
    assert_true(am_crs_extents_overlap(west, dateline, 0.0));
}

static void test_frame_scale_error(void **state)
{
    (void)state;
    assert_true(am_crs_frame_scale_error(0.0) == 0.0);
    const double e = am_crs_frame_scale_error(AM_CRS_FRAME_ACCURATE_M);
    assert_true(e > 0.0124 && e < 0.0125); /* cosh(1000 / 6345) - 1 */
    assert_true(am_crs_frame_scale_error(-AM_CRS_FRAME_ACCURATE_M) == e);
    assert_true(am_crs_frame_scale_error(4.0e6) > 0.2);
    assert_true(am_crs_frame_scale_error(1e10) == HUGE_VAL);
    assert_true(am_crs_frame_scale_error(NAN) == HUGE_VAL);
    assert_true(am_crs_frame_scale_error(INFINITY) == HUGE_VAL);
    /* the snap's bound: the farthest |x| plus twice the reach */
    assert_true(am_crs_frame_max_scale(0.0, 0.0) == 1.0);
    assert_true(am_crs_frame_max_scale(1e6, 5000.0) ==
                1.0 + am_crs_frame_scale_error(1.01e6));
    assert_true(am_crs_frame_max_scale(9e6, 0.0) == INFINITY); /* k > 2 */
    assert_true(am_crs_frame_max_scale(NAN, 0.0) == INFINITY);
    assert_true(am_crs_frame_max_scale(0.0, -1.0) == INFINITY);
}

/* Issue 5: without proj.db PROJ prints nothing and the error says why
 * ("unknown coordinate reference system 'EPSG:4326'" did not). */
static void test_proj_db_missing(void **state)
{
    (void)state;
    const char *old = getenv("PROJ_DATA");
    char *saved = old != NULL ? strdup(old) : NULL;
    assert_int_equal(setenv("PROJ_DATA", "/nonexistent", 1), 0);
    am_error err;
    am_error_clear(&err);
    am_transform *t = NULL;
    am_status rc = am_transform_create(AM_CRS_WGS84, "EPSG:3857", &t, &err);
    am_status rc2 = am_crs_check("EPSG:4326", "roads", &err);
    if (saved != NULL) {
        setenv("PROJ_DATA", saved, 1);
        free(saved);
    } else {
        unsetenv("PROJ_DATA");
    }
    assert_int_equal(rc, AM_ERR_CRS);
    assert_null(t);
    assert_int_equal(rc2, AM_ERR_CRS);
    assert_non_null(strstr(err.msg, "cannot find its database proj.db"));
    assert_non_null(strstr(err.msg, "PROJ_DATA=/nonexistent"));
    /* and PROJ works again once it can find its database */
    assert_int_equal(am_crs_check("EPSG:4326", "roads", &err), AM_OK);
}

/* issue 13: PROJ may not fetch grids, even when the environment asks
 * for it (PROJ_NETWORK=ON turns a bare context's network on). */
static void test_proj_network_off(void **state)
{
    (void)state;
    setenv("PROJ_NETWORK", "ON", 1);
    PJ_CONTEXT *bare = proj_context_create();
    assert_non_null(bare);
    const int bare_on = proj_context_is_network_enabled(bare);
    proj_context_destroy(bare);
    assert_int_equal(am_crs_network_enabled(), 0);
    /* and a transformation made under it still works offline */
    am_transform *t = NULL;
    am_error err;
    assert_int_equal(am_transform_create("EPSG:4267", "EPSG:4326", &t, &err),
                     AM_OK);
    am_transform_destroy(t);
    unsetenv("PROJ_NETWORK");
    /* the environment did matter: a context of PROJ's own was on */
    assert_int_equal(bare_on, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pseudo_mercator),
        cmocka_unit_test(test_british_national_grid),
        cmocka_unit_test(test_utm),
        cmocka_unit_test(test_axis_order_northing_first_crs),
        cmocka_unit_test(test_many_points_and_failures),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_metric_frame_string),
        cmocka_unit_test(test_metric_frame_geometry),
        cmocka_unit_test(test_unknown_crs),
        cmocka_unit_test(test_crs_equivalent),
        cmocka_unit_test(test_lonlat_extent),
        cmocka_unit_test(test_frame_scale_error),
        cmocka_unit_test(test_frame_scale_vs_proj_factors),
        cmocka_unit_test(test_proj_db_missing),
        cmocka_unit_test(test_proj_network_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
