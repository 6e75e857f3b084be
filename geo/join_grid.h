/*
 * join_grid.h: which earlier point lies within a few metres of a new one,
 * for joining road lines whose ends nearly touch (inputs/roads.c).
 *
 * Points are kept in Earth-centred (ECEF) coordinates on the WGS 84
 * ellipsoid, hashed into cubic cells as wide as the tolerance, so a query
 * reads the 27 cells around the point: O(1) expected per point, no map
 * projection, no trouble at the antimeridian or the poles. Distance is the
 * straight line between the two points (the chord), which for metres
 * differs from the geodesic distance by (d/R)^2/24 relative (< 1e-10 at
 * 100 m). Ids are given by the caller in increasing order (0, 1, 2, ...),
 * one per point added.
 *
 * A point carries an owner (the feature that created it; a join never
 * joins a line to itself) and an `end` flag (a line end: unless every
 * vertex may join, a join needs an end on at least one side).
 * Not thread-safe; allocates as it grows.
 */
#ifndef AM_JOIN_GRID_H
#define AM_JOIN_GRID_H

#include <stdint.h>

#include "common/error.h"

typedef struct am_join_grid am_join_grid;

/* Largest tolerance accepted, in metres. */
#define AM_JOIN_TOLERANCE_MAX_M 100.0
/* The smallest tolerance but 0 (a millimetre): below it the grid's cell
 * indices would overflow, and coordinates carry no such precision. */
#define AM_JOIN_TOLERANCE_MIN_M 0.001

/*
 * A grid for tol_m metres (finite, >= AM_JOIN_TOLERANCE_MIN_M and
 * <= AM_JOIN_TOLERANCE_MAX_M;
 * AM_ERR_INVALID otherwise). AM_ERR_NOMEM. *out owned by the caller.
 */
am_status am_join_grid_create(double tol_m, am_join_grid **out);

/* Accepts NULL. */
void am_join_grid_destroy(am_join_grid *g);

/*
 * Adds point `id` (must be the number of points added so far) at lon/lat
 * degrees. AM_ERR_NOMEM, AM_ERR_INVALID for an id out of sequence.
 */
am_status am_join_grid_add(am_join_grid *g, int32_t id, double lon, double lat,
                           int64_t owner, int is_end);

/* Marks point id as a line end (a line end joined it). */
void am_join_grid_mark_end(am_join_grid *g, int32_t id);

/*
 * The nearest point within the tolerance of (lon, lat) that may join a
 * vertex of feature `owner` (its owner differs, and all_vertices, is_end
 * or the point's end flag holds); ties go to the lowest id. -1 if none.
 */
int32_t am_join_grid_find(const am_join_grid *g, double lon, double lat,
                          int64_t owner, int is_end, int all_vertices);

/* ECEF coordinates in metres of a point on the WGS 84 ellipsoid. */
void am_join_grid_ecef(double lon, double lat, double xyz[3]);

#endif /* AM_JOIN_GRID_H */
