/*
 * segment_index.h: nearest-segment queries in a planar (metric) frame,
 * used to snap points onto the nearest point of a road (see segments.h,
 * snap.h).
 *
 * A static bounding-volume hierarchy over the segments: the segments are
 * split recursively at the median of their midpoints along the axis of
 * larger spread (as a k-d tree), and every range of the split keeps the
 * bounding box of its segments. A query is exact: it returns the segment
 * nearest to the point (planar distance to the closest point of the
 * segment), ties to the lowest segment id, within max_dist inclusive.
 * Read-only after build and thread-safe.
 *
 * Memory: about 56 bytes per segment (40 for its coordinates and id in
 * tree order, up to 16 for the boxes).
 */
#ifndef AM_SEGMENT_INDEX_H
#define AM_SEGMENT_INDEX_H

#include <stdint.h>

#include "common/error.h"
#include "geo/segments.h"

typedef struct am_segment_index am_segment_index;

/*
 * Indexes segments seg[i], i < n, by their vertices' coordinates
 * (x[v], y[v] for v = seg[i].v0, seg[i].v1; borrowed, copied). Segments
 * with a non-finite end are left out. AM_ERR_INVALID for n < 0, NULL
 * arrays or a vertex id outside [0, n_vertices); AM_ERR_NOMEM. *out owned
 * by caller.
 */
am_status am_segment_index_build(int32_t n, const am_segment *seg,
                                 int32_t n_vertices, const double *x,
                                 const double *y, am_segment_index **out);

/*
 * As am_segment_index_build, on up to `threads` threads (OpenMP tasks over
 * the halves of large ranges; <= 0: OpenMP's default). The index is the
 * same, byte for byte, for any thread count.
 */
am_status am_segment_index_build_threads(int32_t n, const am_segment *seg,
                                         int32_t n_vertices, const double *x,
                                         const double *y, int threads,
                                         am_segment_index **out);

/*
 * Id of the segment nearest to (x, y) within max_dist (inclusive), or -1
 * when there is none. *dist (may be NULL): the planar distance; *frac (may
 * be NULL): where the nearest point lies, 0 at v0 to 1 at v1 (exactly 0 or
 * 1 when it is the vertex).
 */
int32_t am_segment_index_nearest(const am_segment_index *idx, double x,
                                 double y, double max_dist, double *dist,
                                 double *frac);

/*
 * As am_segment_index_nearest, warm-started: *hint (in and out; start with
 * -1, one per thread) is where the previous query's segment lies in the
 * index; that segment is tried first, which makes a query near the
 * previous one much cheaper. The answer is the same as without the hint,
 * whatever the hint (any value; out of range is ignored). On a hit *hint
 * is set to the winner's position; otherwise it is left as it was.
 */
int32_t am_segment_index_nearest_hint(const am_segment_index *idx, double x,
                                      double y, double max_dist, int32_t *hint,
                                      double *dist, double *frac);

/* Scratch of am_segment_index_nearest_many: one per thread (about 11 KiB). */
typedef struct am_segment_query am_segment_query;

/* AM_ERR_INVALID (out NULL), AM_ERR_NOMEM. */
am_status am_segment_query_create(am_segment_query **out);

/* Accepts NULL. */
void am_segment_query_destroy(am_segment_query *q);

/*
 * For each of the m points (x[k], y[k]): id[k] = am_segment_index_nearest
 * (idx, x[k], y[k], max_dist, NULL, &frac[k]), the same answers bit for
 * bit, computed by blocks of neighbouring points (see segment_index.c).
 * q: the caller's thread's scratch (its warm start carries over between
 * calls; the answers do not depend on it).
 */
void am_segment_index_nearest_many(const am_segment_index *idx, int32_t m,
                                   const double *x, const double *y,
                                   double max_dist, am_segment_query *q,
                                   int32_t *id, double *frac);

/* Segments indexed (finite ones). */
int32_t am_segment_index_count(const am_segment_index *idx);

/* Bytes held. */
int64_t am_segment_index_bytes(const am_segment_index *idx);

/* Accepts NULL. */
void am_segment_index_destroy(am_segment_index *idx);

#endif /* AM_SEGMENT_INDEX_H */
