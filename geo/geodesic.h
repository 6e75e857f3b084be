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

/* Length in metres of a polyline of n lon/lat vertices (0 if n < 2). */
double am_geodesic_polyline_m(size_t n, const double *lon, const double *lat);

#endif /* AM_GEODESIC_H */
