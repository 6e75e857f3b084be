/*
 * crs.h: coordinate reference systems and transforms (PROJ).
 *
 * accessim works in two frames:
 *  - geographic WGS 84 (lon, lat in degrees, always in that order, whatever
 *    the CRS's official axis order) for geodesic lengths and for storage;
 *  - a local metric frame chosen from the study area's extent, a
 *    transverse Mercator projection centred on it, for nearest-segment
 *    snapping and any planar distance: conformal (the same scale in every
 *    direction at a point), with a scale error that grows with the
 *    distance from its central meridian (1.2 % at 1000 km,
 *    AM_CRS_FRAME_ACCURATE_M; am_crs_frame_scale_error).
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
 * with this lon/lat extent: "+proj=tmerc +lat_0=.. +lon_0=.. +k_0=1
 * +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs +type=crs
 * +algo=poder_engsager", centred on the extent (longitudes wrapped to
 * [-180, 180]); the algorithm is named so that a site's proj.ini
 * (tmerc_default_algo) cannot swap in an approximate one. AM_ERR_INVALID
 * for a non-finite or inverted extent.
 */
am_status am_crs_metric_frame(double lon_min, double lat_min, double lon_max,
                              double lat_max, char *buf, size_t n,
                              am_error *err);

/*
 * The frame's accurate range: within AM_CRS_FRAME_ACCURATE_M east or west
 * of its central meridian (|x| in the frame) the transverse Mercator
 * scale error stays below 1.24 % (am_crs_frame_scale_error). Snapping is
 * right anywhere (it searches the frame within a radius widened by the
 * scale and decides on the geodesic distance, geo/snap.h); beyond this
 * range the engine warns, mostly to point at stray features far from the
 * study area (engine/model.c).
 */
#define AM_CRS_FRAME_ACCURATE_M 1.0e6

/*
 * An upper bound of the relative error of a distance measured in the
 * metric frame near points at most x_m metres (|x| in the frame, that is
 * projected metres) east or west of its central meridian: the scale k of
 * the frame there is at least 1 and at most 1 + this. cosh(x_m / R) - 1
 * with R = 6345 km, a little below the semi-minor axis so that it bounds
 * the ellipsoidal k (checked against PROJ's proj_factors). 0 at x_m = 0,
 * 0.0124 at 1000 km, 0.050 at 2000 km, 0.21 at 4000 km; HUGE_VAL for x_m
 * not finite (and where cosh overflows).
 */
double am_crs_frame_scale_error(double x_m);

/*
 * An upper bound of the metric frame's scale factor k (>= 1) at every
 * point within reach_m (geodesic) of a point at most x_max_m east or west
 * of its central meridian: the image of such a geodesic is at most
 * k * reach_m long, so it stays within 2 reach_m of that meridian while
 * k < 2, and 1 + am_crs_frame_scale_error(x_max_m + 2 reach_m) bounds k
 * there. +inf (no bound) where that reaches 2 (|x| beyond some 8000 km)
 * or for arguments that are NaN or negative. What geo/snap.h's
 * am_snap_target.max_scale wants, with reach_m the snap distance.
 */
double am_crs_frame_max_scale(double x_max_m, double reach_m);

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

/*
 * Whether two CRS definitions (WKT, PROJ strings, "EPSG:n") describe the
 * same CRS: identical text, else PROJ's proj_is_equivalent_to with
 * PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS (names aside, the same
 * datum, projection and parameters; a geographic CRS's lat/lon and
 * lon/lat orders are one, as GDAL's rasters always are in lon/lat order:
 * EPSG:4326 equals a WKT1 "WGS 84"). *same = 1 or 0; AM_ERR_CRS when
 * either cannot be read (what_a / what_b name them in the message).
 */
am_status am_crs_equivalent(const char *a, const char *b, const char *what_a,
                            const char *what_b, int *same, am_error *err);

/*
 * Whether the PROJ contexts accessim creates may use the network (issue
 * 13): 0 always (proj_context_set_enable_network(ctx, 0) on each), -1 when
 * no context can be created. For tests.
 */
int am_crs_network_enabled(void);

#endif /* AM_CRS_H */
