/*
 * geodesic.c: distances on the WGS 84 ellipsoid (see geodesic.h).
 *
 * Why: road lengths decide travel times, and the planar metric frame is
 * off by its scale error (1.2 % at 1000 km from its central meridian);
 * lengths are therefore measured on the ellipsoid,
 * which is accurate to nanometres and costs about a microsecond per
 * segment.
 *
 * Method: PROJ's C port of GeographicLib (<geodesic.h>), the inverse
 * problem solved by Newton's method on the auxiliary sphere (Karney 2013,
 * "Algorithms for geodesics", J. Geodesy 87:43-55, doi:10.1007/
 * s00190-012-0578-z); it converges everywhere, nearly antipodal points
 * included. A polyline's length is the plain sum of its segments' geodesic
 * lengths (each segment is taken to be a geodesic, as OSM ways are drawn).
 *
 * Lower bound: in geodetic coordinates the ellipsoid's metric is
 * ds^2 = M(phi)^2 dphi^2 + N(phi)^2 cos^2(phi) dlambda^2 with the radii of
 * curvature M >= a (1 - e^2) and N >= a > a (1 - e^2) everywhere, so every
 * curve on the ellipsoid is at least a (1 - e^2) times as long as the same
 * curve on the unit sphere in the same coordinates, and the geodesic at
 * least a (1 - e^2) times the great-circle angle theta = 2 asin(sqrt(h)),
 * h the haversine (Sinnott 1984, "Virtues of the haversine", Sky and
 * Telescope 68(2):159) >= 2 sqrt(h). Its rounding (a few ulps, relative)
 * and the geodesic's own (nanometres) are covered by the margins.
 *
 * The ellipsoid object is built once per process (pthread_once) and only
 * read afterwards, so every function is thread-safe. Non-finite input
 * gives NaN, which the caller must not feed.
 */
#include "geo/geodesic.h"

#include <geodesic.h>
#include <math.h>
#include <pthread.h>

/* WGS 84: a = 6378137 m, f = 1/298.257223563 (NIMA TR8350.2). */
static struct geod_geodesic am_wgs84;
static pthread_once_t am_wgs84_once = PTHREAD_ONCE_INIT;

static void wgs84_init(void)
{
    geod_init(&am_wgs84, 6378137.0, 1.0 / 298.257223563);
}

static const struct geod_geodesic *wgs84(void)
{
    pthread_once(&am_wgs84_once, wgs84_init);
    return &am_wgs84;
}

double am_geodesic_distance_m(double lon1, double lat1, double lon2,
                              double lat2)
{
    double s12 = 0.0;
    /* PROJ's geodesic API takes latitude first. */
    geod_inverse(wgs84(), lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

/* WGS 84's least radius of curvature a (1 - e^2), e^2 = f (2 - f), m,
 * rounded down. */
#define AM_WGS84_M_MIN 6335439.0

double am_geodesic_distance_lower_m(double lon1, double lat1, double lon2,
                                    double lat2)
{
    const double rad = 0.017453292519943295; /* pi / 180 */
    /* remainder is exact: the shorter way round, |dlon| <= 180 */
    const double d = lon2 - lon1;
    const double dlon = fabs(d) <= 180.0 ? d : remainder(d, 360.0);
    const double sp = sin(0.5 * rad * (lat2 - lat1));
    const double sl = sin(0.5 * rad * dlon);
    const double h = sp * sp + cos(rad * lat1) * cos(rad * lat2) * sl * sl;
    if (!(h > 0.0)) /* NaN or the same point */
        return 0.0;
    const double lb =
        AM_WGS84_M_MIN * 2.0 * sqrt(h > 1.0 ? 1.0 : h) * (1.0 - 1e-9) - 1e-6;
    return lb > 0.0 ? lb : 0.0;
}

double am_geodesic_polyline_m(size_t n, const double *lon, const double *lat)
{
    if (n < 2)
        return 0.0;
    const struct geod_geodesic *g = wgs84();
    double sum = 0.0;
    for (size_t i = 1; i < n; i++) {
        double s12 = 0.0;
        geod_inverse(g, lat[i - 1], lon[i - 1], lat[i], lon[i], &s12, NULL,
                     NULL);
        sum += s12;
    }
    return sum;
}
