/*
 * crossings.h: where road segments of different lines cross, for joining
 * them there (roads.join_crossings, inputs/roads.c).
 *
 * Segments are straight between their two nodes in longitude/latitude (as
 * everywhere in the engine; a road segment is metres to a few hundred
 * metres long). Two segments are a candidate pair when they share a cell
 * of a uniform grid laid over the region (cells about twice the median
 * segment extent; each segment is entered in the cells it passes through,
 * not its bounding box, so a long ferry line costs its length in cells):
 * O(n log n) for n segments (the sorts), O(n) pairs for road-like data.
 * Each pair is then tested once, in a local metric frame.
 *
 * A pair is reported when the segments have different owners (features),
 * the same level, no node in common, are not parallel (collinear overlaps
 * are never crossings), and their lines meet within both segments:
 *  - strictly inside both (more than AM_CROSSING_END_M from every end): a
 *    proper crossing, at a new point (node -1, lon/lat the meeting point);
 *  - within AM_CROSSING_END_M of an end of one segment and inside the
 *    other: that end's node lies on the other segment (a line drawn
 *    through another's vertex, or ending exactly on it): node = that end,
 *    and only the other segment is split (its t strictly in (0, 1), the
 *    first's t exactly 0 or 1);
 *  - near an end of both: the lines touch at (nearly) their vertices,
 *    which is the join tolerance's business (roads.join_tolerance_m): not
 *    reported.
 * Output is sorted by (seg[0], seg[1]) with seg[0] < seg[1], so the same
 * input always gives the same list. Not thread-safe; allocates.
 */
#ifndef AM_CROSSINGS_H
#define AM_CROSSINGS_H

#include <stdint.h>

#include "common/error.h"

/* Within this many metres of a segment's end, a meeting point is that
 * end's node rather than a new node. */
#define AM_CROSSING_END_M 0.01

typedef struct am_crossing_input {
    const double *lon; /* [n_nodes], borrowed, WGS 84 degrees */
    const double *lat; /* [n_nodes] */
    int32_t n_nodes;
    const int32_t *seg_a; /* [n_segs] first node of each segment */
    const int32_t *seg_b; /* [n_segs] second node (!= seg_a) */
    const int64_t *owner; /* [n_segs] feature; equal owners never cross */
    const int32_t *level; /* [n_segs] or NULL (all 0); different levels
                             never cross (bridges, tunnels) */
    int64_t n_segs;
} am_crossing_input;

typedef struct am_crossing {
    int64_t seg[2];  /* seg[0] < seg[1] */
    double t[2];     /* where along each segment, a -> b, in [0, 1]; 0 or
                        1 exactly for a segment whose end is `node` */
    int32_t node;    /* an existing node (an end of one segment), or -1 */
    double lon, lat; /* the meeting point (node's coordinates if >= 0) */
} am_crossing;

/*
 * Finds the crossings (rules above). *out (owned by the caller, free with
 * am_free; NULL when *n_out is 0) and *n_out. AM_ERR_NOMEM,
 * AM_ERR_INVALID (a node id out of range).
 */
am_status am_crossings_find(const am_crossing_input *in, am_crossing **out,
                            int64_t *n_out);

#endif /* AM_CROSSINGS_H */
