/*
 * geodesic.h: distances on the WGS 84 ellipsoid (PROJ's geodesic routines,
 * Karney 2013, "Algorithms for geodesics", J. Geodesy 87:43-55).
 * Pure functions of their arguments; thread-safe; no allocation.
 */
#ifndef AM_GEODESIC_H
#define AM_GEODESIC_H

#include <stddef.h>

/* Geodesic distance in metres between two lon/lat points (degrees). */
double am_geodesic_distance_m(double lon1, double lat1, double lon2,
                              double lat2);

/*
 * A lower bound in metres on am_geodesic_distance_m(lon1, lat1, lon2,
 * lat2), an order of magnitude cheaper, within about 1 % of it for legs
 * up to 1000 km (the ratio of the polar to the least radius of curvature,
 * (1 - e^2)^-1.5; 0 for NaN input): b * 2 * sqrt(haversine) on the unit sphere
 * over the geodetic coordinates, with b = a (1 - e^2) the least meridian radius
 * of curvature, lowered by a relative 1e-9 and 1 micrometre for rounding. For
 * comparisons (is a point surely farther than d?) that then need the geodesic
 * only when the bound does not settle them.
 */
double am_geodesic_distance_lower_m(double lon1, double lat1, double lon2,
                                    double lat2);

/* Length in metres of a polyline of n lon/lat vertices (0 if n < 2). */
double am_geodesic_polyline_m(size_t n, const double *lon, const double *lat);

#endif /* AM_GEODESIC_H */
