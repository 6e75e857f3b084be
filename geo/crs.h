/*
 * crs.h: coordinate reference systems and transforms (PROJ).
 *
 * accessim works in two frames:
 *  - geographic WGS 84 (lon, lat in degrees, always in that order, whatever
 *    the CRS's official axis order) for geodesic lengths and for storage;
 *  - a local metric frame chosen from the study area's extent, an azimuthal
 *    equidistant projection centred on it, for nearest-node snapping and any
 *    planar distance (scale error < 0.5 % within 1000 km of the centre,
 *    AM_CRS_FRAME_ACCURATE_M).
 * Inputs in any CRS GDAL/PROJ understand are transformed into these.
 *
 * An am_transform wraps one PJ and its PJ_CONTEXT; it is not thread-safe:
 * a thread transforms only with its own, made with am_transform_clone
 * (which only reads the original, so any thread may clone a shared one).
 */
#ifndef AM_CRS_H
#define AM_CRS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct am_transform am_transform;

/* The PROJ definition of WGS 84 geographic, lon/lat order. */
#define AM_CRS_WGS84 "EPSG:4326"

/*
 * Creates a transform from src to dst, each any string PROJ accepts
 * (WKT, "EPSG:n", PROJ string). Both are used with traditional GIS axis
 * order (x = easting/longitude, y = northing/latitude). AM_ERR_CRS with a
 * message naming the CRS that could not be understood. *out owned.
 */
am_status am_transform_create(const char *src, const char *dst,
                              am_transform **out, am_error *err);

/*
 * Transforms n points in place. Points that cannot be transformed become
 * HUGE_VAL (both coordinates); *n_failed (may be NULL) counts them. Always
 * AM_OK unless the transform itself is broken (AM_ERR_CRS).
 */
am_status am_transform_points(am_transform *t, size_t n, double *x, double *y,
                              size_t *n_failed, am_error *err);

/*
 * am_transform_points over threads (0: OpenMP's default; fewer for small
 * n): t transforms the first block, clones of t (made before, serially)
 * the others; the result is the same, point by point, as one call of
 * am_transform_points. Errors as am_transform_points and
 * am_transform_clone's.
 */
am_status am_transform_points_parallel(am_transform *t, size_t n, double *x,
                                       double *y, int threads, size_t *n_failed,
                                       am_error *err);

/*
 * A new, independent transform between the same two CRSs as t (its own
 * PROJ context), giving the same result for every point. Only reads t:
 * thread-safe with other clones of t and with another thread transforming
 * with t. Costs about as much as am_transform_create (PROJ database
 * look-ups, milliseconds). AM_ERR_CRS when t is NULL or not initialised,
 * AM_ERR_NOMEM, AM_ERR_INVALID when out is NULL. *out owned by the caller
 * (NULL on failure).
 */
am_status am_transform_clone(const am_transform *t, am_transform **out,
                             am_error *err);

/* Accepts NULL. */
void am_transform_destroy(am_transform *t);

/*
 * Writes into buf (size n) the PROJ string of the metric frame for an area
 * with this lon/lat extent: "+proj=aeqd +lat_0=.. +lon_0=.. +datum=WGS84
 * +units=m +no_defs +type=crs", centred on the extent (longitudes wrapped to
 * [-180, 180]). AM_ERR_INVALID for a non-finite or inverted extent.
 */
am_status am_crs_metric_frame(double lon_min, double lat_min, double lon_max,
                              double lat_max, char *buf, size_t n,
                              am_error *err);

/*
 * The frame's accurate range: within AM_CRS_FRAME_ACCURATE_M of its centre
 * the azimuthal equidistant scale error stays below 0.5 % (0.41 % at
 * 1000 km; am_crs_frame_scale_error). Planar nearest-node snapping is
 * trusted there; beyond it the engine warns (engine/model.c).
 */
#define AM_CRS_FRAME_ACCURATE_M 1.0e6

/*
 * The largest relative error of a distance measured in the metric frame
 * at r_m metres (geodesic) from its centre, on the sphere: the tangential
 * scale (r/R) / sin(r/R) minus 1. 0 at the centre, 0.0041 at 1000 km,
 * 0.066 at 4000 km, HUGE_VAL at the antipode (and for r_m not finite).
 */
double am_crs_frame_scale_error(double r_m);

/*
 * The lon/lat extent of the finite points (lon[i], lat[i]), i < n, in
 * degrees, as box = {lon_min, lat_min, lon_max, lat_max}. The longitudes
 * are an arc, the shortest (to 0.1 degree) that holds every point: where
 * the points straddle the antimeridian (Fiji, Chukotka, a network split at
 * 180) it crosses it, with lon_min in [-180, 180] and lon_max > 180
 * (longitudes taken modulo 360), so its midpoint is the points' centre.
 * Otherwise it is the plain minimum and maximum of the longitudes as given.
 * No finite point: box = {HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL}.
 * Allocation: none.
 */
void am_crs_lonlat_extent(int64_t n, const double *lon, const double *lat,
                          double box[4]);

/*
 * Whether two extents of am_crs_lonlat_extent intersect, longitudes
 * compared modulo 360, once b is grown by margin_m metres on every side.
 */
int am_crs_extents_overlap(const double a[4], const double b[4],
                           double margin_m);

/*
 * Whether a CRS definition is usable: AM_OK, or AM_ERR_CRS when def is
 * NULL, empty, or unknown to PROJ. `what` names the input in the message.
 */
am_status am_crs_check(const char *def, const char *what, am_error *err);

#endif /* AM_CRS_H */
