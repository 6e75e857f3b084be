/*
 * snap.h: points (population cells, facilities, candidate sites) onto the
 * nearest point of a routable road segment, in parallel.
 *
 * A point in WGS 84 lon/lat is moved into the network's local metric frame
 * (crs.h) and snapped to the nearest segment (segments.h) of the target in
 * that frame (planar distance, ties to the lowest segment id), at its
 * foot: the nearest point of the segment, a fraction f of the way from v0
 * to v1. The off-network leg is measured on the ellipsoid: dist_m is the
 * geodesic distance from the point to the foot (whose lon/lat is
 * interpolated linearly between the vertices, a difference of micrometres
 * on road segments), and the walking time is
 * walk_ds = nearbyint(dist_m / (walk_speed_kmh / 3.6) * 10) whole
 * deciseconds.
 *
 * The snap distance is on the ground: the point is on the network iff
 * dist_m <= max_distance_m (inclusive). The frame only chooses the
 * segment. Its scale k (>= 1 in the engine's transverse Mercator frame,
 * at most the target's max_scale) magnifies planar distances, so the
 * frame is searched within max_distance_m * max_scale (+ 1 mm for
 * rounding): a segment within max_distance_m on the ground is never
 * farther than that in the frame, so the search radius never changes the
 * answer, which is that of an unbounded search. In a conformal frame the
 * nearest segment in the frame is the nearest on the ground up to the
 * change of k between the two (relatively x d / R^2: 1e-4 for d = 5 km at
 * x = 1000 km from the central meridian), so a point may be off network
 * when its nearest segment in the frame is just beyond max_distance_m and
 * another just within it, a near-tie of that size.
 *
 * Links: a snapped point reaches the graph through up to two links, each
 * a node and the time between the point and that node (walk + the part of
 * the segment driven, nearbyint(f * time) or nearbyint((1 - f) * time),
 * + the rest of the chain), following the one-ways (directions d as in
 * segments.h):
 *   AM_SNAP_ORIGIN (people: they drive FROM the point) links the nodes the
 *     point can drive TO: b when a -> b is open, a when b -> a is open;
 *   AM_SNAP_DESTINATION (facilities: people drive TO the point) links the
 *     nodes FROM which the point is reached: a when a -> b is open, b when
 *     b -> a is open.
 * A foot exactly at a graph node's vertex (f = 0 with v0 = a's vertex,
 * or f = 1 with v1 = b's vertex; see node_vertex) has the one link (that
 * node, walk). A foot at an interior vertex of a contracted chain links
 * to the chain's ends like any other foot. When both links reach the same
 * node (a chain that comes back to its start) only the faster is kept. Links
 * are stored at node[2 i + k], offset_ds[2 i + k], k = 0, 1: the a-side link
 * first, and an absent link (node -1, offset AM_TIME_INF) always after a
 * present one. Every offset is at most AM_TIME_INF - 1.
 *
 * Limitation: a cell and a facility on the same segment (or, over a
 * contracted graph, on the same chain) are joined through its end nodes,
 * never along the piece between them, so their travel time is
 * over-estimated by at most the chain's driving time (there and back to
 * the nearer end). The engine caps chains at AM_CHAIN_MAX_M metres. Two
 * points at the same foot are the extreme case (the walk out, the drive
 * to an end and back, the walk in): referrals between facility tiers
 * compare snapped positions first and join such facilities on foot
 * (kernels/referral.h, am_snap_walk_ds); everything else keeps the
 * limitation.
 *
 * A point that cannot be transformed (NaN or infinite coordinates, outside
 * the frame's domain) or whose nearest segment's foot is farther than
 * max_distance_m (geodesic) is off network: both links absent, dist_m NaN.
 *
 * Every point is snapped on its own, so the output is the same, byte for
 * byte, for any thread count and any schedule. (The segment index is
 * warm-started from the previous point of the same chunk, which changes
 * how fast a query is, never its answer.)
 */
#ifndef AM_SNAP_H
#define AM_SNAP_H

#include <stdint.h>

#include "common/error.h"
#include "common/progress.h"
#include "geo/crs.h"
#include "geo/grid.h"
#include "geo/segment_index.h"
#include "geo/segments.h"

/*
 * What points are snapped onto. Every pointer is borrowed and only read
 * (the transform is cloned, never used directly), so one target may serve
 * any number of concurrent calls.
 */
typedef struct am_snap_target {
    const am_segment_index *index; /* the segments in the metric frame */
    const am_segment *seg;         /* [n_segments]: the index's ids */
    int32_t n_segments;
    const am_transform *to_metric; /* WGS 84 lon/lat -> the index's frame */
    int32_t n_vertices;            /* geometry vertices (segments' v0, v1) */
    const double *vertex_lon;      /* [n_vertices] WGS 84 degrees */
    const double *vertex_lat;      /* [n_vertices] */
    const int32_t *node_vertex;    /* [graph nodes]: the vertex each graph node
                                      stands at (a contracted graph), or NULL:
                                      node ids are vertex ids */
    double max_scale; /* >= 1 (may be +inf): an upper bound of the frame's
                         scale factor over the segments and max_distance_m
                         around them (1 + am_crs_frame_scale_error of the
                         farthest |x| plus the distance, for the engine's
                         frame): planar distances there are at most this
                         times the ground's */
} am_snap_target;

/* Which links a point gets (see above). */
typedef enum am_snap_role {
    AM_SNAP_ORIGIN = 0,     /* people: nodes the point can drive to */
    AM_SNAP_DESTINATION = 1 /* facilities: nodes it can be reached from */
} am_snap_role;

typedef struct am_snap_options {
    double max_distance_m;   /* >= 0, inclusive, geodesic (see above) */
    double walk_speed_kmh;   /* > 0, finite: the off-network leg's speed */
    am_snap_role role;       /* which links (default AM_SNAP_ORIGIN) */
    int threads;             /* > 0: that many; <= 0: OpenMP's default */
    am_progress_fn progress; /* may be NULL; called from the calling thread
                                only, between blocks of points, with the
                                fraction done; returning 0 cancels */
    void *progress_user;
} am_snap_options;

/* 5000 m, 5 km/h, AM_SNAP_ORIGIN, OpenMP's default thread count, no
 * progress. */
am_snap_options am_snap_options_default(void);

/*
 * Snaps n points (lon[i], lat[i]), WGS 84 degrees, onto t.
 *
 * lon, lat: borrowed, [n]. node, offset_ds: caller-allocated outputs
 * [2 n], the links (see above). dist_m: caller-allocated output [n], or
 * NULL when not wanted (geodesic distance in metres to the foot).
 * *n_on: number of points snapped. o: NULL for the defaults.
 *
 * Returns AM_OK; AM_ERR_INVALID for n < 0, a NULL array that is needed, a
 * target without index, segments, transform or vertex coordinates, a NaN
 * or negative max_distance_m, a max_scale that is NaN or below 1, a walking
 * speed that is not finite and > 0;
 * AM_ERR_CANCELLED when progress returned 0; AM_ERR_CRS when a per-thread
 * transform cannot be made; AM_ERR_NOMEM; AM_ERR_INTERNAL when the index
 * returns a segment id >= n_segments or a segment names a vertex beyond
 * n_vertices (a target built inconsistently). On any failure past the
 * argument checks every point reads off network and *n_on is 0; *n_on is
 * 0 on every failure (when n_on is not NULL).
 *
 * Allocates per call, per thread: one transform (a clone of t->to_metric,
 * milliseconds to make) and a few tens of kilobytes of scratch; threads
 * are limited to one per 4 * AM_SNAP_CHUNK points (fewer points use one
 * thread), so that a clone pays for itself. Thread-safe: t is only read.
 * err: may be NULL.
 */
am_status am_snap_points(const am_snap_target *t, int32_t n, const double *lon,
                         const double *lat, const am_snap_options *o,
                         int32_t *node, uint32_t *offset_ds, double *dist_m,
                         int32_t *n_on, am_error *err);

/*
 * The segments points may NOT snap onto (the small components that
 * snap.components leaves out), checked in the same pass so that who would
 * have landed there can be reported (engine/components.c) without
 * transforming and searching every point twice. Inputs borrowed; outputs
 * caller-allocated [n].
 *
 * For every point i: when its nearest fragment segment (the same rule as
 * the snap: nearest in the frame, ties to the lowest id, over index/seg,
 * kept when its foot is within max_distance_m geodesic, inclusive) is
 * strictly nearer, geodesically, than its snap onto t (dist_m), or the
 * point is off t's network and has one: dist_m[i] is the geodesic
 * distance to that segment's foot and node[i] the first link an
 * AM_SNAP_ORIGIN snap onto it would get (whatever the options' role);
 * otherwise NaN and -1. These are exactly what snapping every point onto
 * the fragments with am_snap_points and comparing would give, for much
 * less: a fragment farther than the snap by a geodesic
 * lower bound is never measured.
 */
typedef struct am_snap_fragments {
    const am_segment_index *index; /* over seg */
    const am_segment *seg;         /* [n_segments] */
    int32_t n_segments;
    double *dist_m; /* [n] output */
    int32_t *node;  /* [n] output */
} am_snap_fragments;

/*
 * am_snap_points, and the fragment check above when frag is not NULL
 * (its outputs are then always written: off network on failure).
 * AM_ERR_INVALID also for an incomplete frag; AM_ERR_INTERNAL also for a
 * fragment index and segments that disagree.
 */
am_status am_snap_points_fragments(const am_snap_target *t, int32_t n,
                                   const double *lon, const double *lat,
                                   const am_snap_options *o, int32_t *node,
                                   uint32_t *offset_ds, double *dist_m,
                                   const am_snap_fragments *frag, int32_t *n_on,
                                   am_error *err);

/*
 * The walking time of dist_m metres at walk_speed_kmh, as the snap counts
 * it: nearbyint(dist_m / (walk_speed_kmh / 3.6) * 10) whole deciseconds,
 * at most AM_TIME_INF - 1; AM_TIME_INF for a NaN distance (off network).
 * What a link's offset holds besides the drive (engine/referral.c: where
 * two facilities meet the road).
 */
uint32_t am_snap_walk_ds(double dist_m, double walk_speed_kmh);

/* Points per parallel task (one transform call each). */
#define AM_SNAP_CHUNK 2048

/*
 * Centres of raster cells in WGS 84 lon/lat, the demand points of a
 * population grid: cell[i] = row * g->nx + col (borrowed, [n]); the centre
 * (am_grid_cell_center) is transformed with a clone per thread of
 * to_lonlat (the raster's CRS -> AM_CRS_WGS84; borrowed, only read).
 * lon, lat: caller-allocated outputs [n]; a centre that cannot be
 * transformed gets HUGE_VAL in both. *n_failed (may be NULL): how many.
 * threads: as am_snap_options.threads.
 *
 * AM_ERR_INVALID for n < 0, NULL arrays, a grid without cells, or a cell
 * index outside [0, nx * ny) (err names the position i as its feature);
 * AM_ERR_CRS, AM_ERR_NOMEM as am_snap_points. The same bytes for any
 * thread count. Allocates as am_snap_points, with one thread per
 * 64 * AM_SNAP_CHUNK cells at most (a centre is cheap next to a clone);
 * thread-safe.
 */
am_status am_snap_cell_centers(const am_grid *g, const am_transform *to_lonlat,
                               int32_t n, const int64_t *cell, int threads,
                               double *lon, double *lat, int32_t *n_failed,
                               am_error *err);

#endif /* AM_SNAP_H */
