/*
 * spatial_index.h: nearest-point queries in a planar (metric) frame, used to
 * snap population cells and facilities to the nearest routable node.
 *
 * A static k-d tree (Bentley 1975) built once over n points; queries are
 * read-only and thread-safe. Ties (equal distance) go to the lowest point
 * index, so snapping is deterministic.
 */
#ifndef AM_SPATIAL_INDEX_H
#define AM_SPATIAL_INDEX_H

#include <stdint.h>

#include "common/error.h"

typedef struct am_spatial_index am_spatial_index;

/*
 * Indexes points (x[i], y[i]), i < n (copied). Non-finite points are left
 * out. AM_ERR_NOMEM; AM_ERR_INVALID for n < 0. *out owned by caller.
 */
am_status am_spatial_index_build(int32_t n, const double *x, const double *y,
                                 am_spatial_index **out);

/*
 * Index of the point nearest to (x, y) within max_dist (inclusive), or -1
 * if there is none; *dist (may be NULL) gets the planar distance.
 */
int32_t am_spatial_index_nearest(const am_spatial_index *idx, double x,
                                 double y, double max_dist, double *dist);

/* Accepts NULL. */
void am_spatial_index_destroy(am_spatial_index *idx);

#endif /* AM_SPATIAL_INDEX_H */
