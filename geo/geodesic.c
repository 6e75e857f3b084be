/*
 * geodesic.c: distances on the WGS 84 ellipsoid (see geodesic.h).
 *
 * Why: road lengths decide travel times, and the planar metric frame is
 * only good to ~0.5 %; lengths are therefore measured on the ellipsoid,
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
 * The ellipsoid object is built once per process (pthread_once) and only
 * read afterwards, so every function is thread-safe. Non-finite input
 * gives NaN, which the caller must not feed.
 */
#include "geo/geodesic.h"

#include <geodesic.h>
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
