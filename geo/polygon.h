/*
 * polygon.h: a set of polygons, each with a value, and which of them hold
 * a point (exact point-in-polygon, holes and multipolygon parts included),
 * for millions of points against thousands of polygons.
 *
 * Why: speed zones (a flood zone, a congested centre) multiply the travel
 * time of every road arc whose midpoint lies in one of a layer's polygons
 * (inputs/zones.h). The test must be exact and fast, and must not need
 * GEOS.
 *
 * Geometry: coordinates are planar (x, y); the zones use lon/lat degrees,
 * so edges are straight lines in lon/lat. A polygon is one or more rings
 * (its outer ring and its holes, in any orientation, closed or not: the
 * last vertex is joined to the first). A point is inside a polygon when a
 * ray from it towards +x crosses the polygon's rings an odd number of
 * times (the even-odd rule: a hole is outside, an island in a hole
 * inside). A multipolygon is added as one polygon per part, so a point in
 * two overlapping parts is still inside.
 *
 * Boundary rule (points on an edge or a vertex): half-open crossing test.
 * An edge (x0, y0)-(x1, y1), taken with y0 < y1 (horizontal edges never
 * count), is crossed when y0 <= y < y1 and x < its x at y. The x at y is
 * computed from the edge taken in that order, so an edge shared by two
 * adjacent polygons gives the same answer in both: a point on a shared
 * edge is in exactly one of them, never in both nor in neither. For an
 * axis-aligned box, the west and south edges are inside, the east and
 * north edges outside (a vertex: inside only at the south-west corner).
 *
 * Index: a uniform grid of the polygons' bounding boxes (each cell lists
 * the polygons whose box meets it) finds the candidates of a point; each
 * polygon keeps its edges in horizontal bands (each band lists the edges
 * whose y range meets it), so a test reads only the edges near the
 * point's y, not all of the polygon's vertices.
 *
 * Thread safety: a finished set is read-only; queries from many threads
 * are safe. Building is single-threaded. Allocates (am_alloc).
 */
#ifndef AM_POLYGON_H
#define AM_POLYGON_H

#include <stdint.h>

#include "common/error.h"

typedef struct am_polygons am_polygons;

/* An empty set. AM_ERR_NOMEM. *out owned (am_polygons_destroy). */
am_status am_polygons_create(am_polygons **out, am_error *err);

/*
 * Adds one polygon with value `value`: n_rings rings, ring r having
 * ring_size[r] vertices at x[first..], y[first..] where first is the sum of
 * the earlier sizes (borrowed, copied). Rings with fewer than 3 vertices
 * are ignored; a polygon left without a ring is not added (*added = 0,
 * else 1; added may be NULL). Coordinates must be finite (AM_ERR_INVALID).
 * Only before am_polygons_finish. AM_ERR_NOMEM.
 */
am_status am_polygons_add(am_polygons *ps, int32_t n_rings,
                          const int64_t *ring_size, const double *x,
                          const double *y, double value, int *added,
                          am_error *err);

/* Builds the index; the set is then read-only. AM_ERR_NOMEM. */
am_status am_polygons_finish(am_polygons *ps, am_error *err);

/* Polygons added. */
int32_t am_polygons_count(const am_polygons *ps);

/* Whether polygon p (0-based, in the order added) holds (x, y), by the
 * rule above. Needs a finished set. */
int am_polygons_contains(const am_polygons *ps, int32_t p, double x, double y);

/*
 * For each of n points (x[i], y[i]): the smallest value among the
 * polygons that hold it, into value[i], or NAN when none does (a point
 * with a non-finite coordinate is in none). Parallel over points (OpenMP,
 * threads <= 0: the default count); each point is answered on its own, so
 * the result does not depend on the thread count. Needs a finished set.
 * No allocation.
 */
void am_polygons_min_value(const am_polygons *ps, int64_t n, const double *x,
                           const double *y, int threads, double *value);

/* Accepts NULL. */
void am_polygons_destroy(am_polygons *ps);

#endif /* AM_POLYGON_H */
