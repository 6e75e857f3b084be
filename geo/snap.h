/*
 * snap.h: points (population cells, facilities, candidate sites) onto their
 * nearest routable node, in parallel.
 *
 * A point in WGS 84 lon/lat is moved into the network's local metric frame
 * (crs.h), snapped to the nearest node of the spatial index within
 * max_distance_m (inclusive, planar distance in that frame, ties to the
 * lowest node id), and the off-network leg is measured on the ellipsoid:
 * dist_m is the geodesic distance from the point to its node, and the
 * walking time is offset_ds = nearbyint(dist_m / (walk_speed_kmh / 3.6) *
 * 10) whole deciseconds, at most AM_TIME_INF - 1. A point that cannot be
 * transformed (NaN or infinite coordinates, outside the frame's domain) or
 * that has no node within max_distance_m is off network: node -1, dist_m
 * NaN, offset_ds AM_TIME_INF. The geodesic dist_m of a snapped point may
 * exceed max_distance_m by the frame's scale error (< 0.5 % within
 * 1000 km of its centre).
 *
 * Every point is snapped on its own, so the output is the same, byte for
 * byte, for any thread count and any schedule.
 */
#ifndef AM_SNAP_H
#define AM_SNAP_H

#include <stdint.h>

#include "common/error.h"
#include "common/progress.h"
#include "geo/crs.h"
#include "geo/grid.h"
#include "geo/spatial_index.h"

/*
 * What points are snapped onto. Every pointer is borrowed and only read
 * (the transform is cloned, never used directly), so one target may serve
 * any number of concurrent calls.
 */
typedef struct am_snap_target {
    const am_spatial_index *index; /* the nodes in the metric frame; point i
                                      of the index is node i */
    const am_transform *to_metric; /* WGS 84 lon/lat -> the index's frame */
    int32_t n_nodes;               /* nodes the index was built over */
    const double *node_lon;        /* [n_nodes] WGS 84 degrees */
    const double *node_lat;        /* [n_nodes] */
} am_snap_target;

typedef struct am_snap_options {
    double max_distance_m;   /* >= 0, inclusive, planar in the frame */
    double walk_speed_kmh;   /* > 0, finite: the off-network leg's speed */
    int threads;             /* > 0: that many; <= 0: OpenMP's default */
    am_progress_fn progress; /* may be NULL; called from the calling thread
                                only, between blocks of points, with the
                                fraction done; returning 0 cancels */
    void *progress_user;
} am_snap_options;

/* 5000 m, 5 km/h, OpenMP's default thread count, no progress. */
am_snap_options am_snap_options_default(void);

/*
 * Snaps n points (lon[i], lat[i]), WGS 84 degrees, onto t.
 *
 * lon, lat: borrowed, [n]. node: caller-allocated output [n], node id or
 * -1. dist_m, offset_ds: caller-allocated outputs [n], or NULL when not
 * wanted (geodesic distance in metres / walking time in deciseconds, see
 * above). *n_on: number of points snapped (node >= 0). o: NULL for the
 * defaults.
 *
 * Returns AM_OK; AM_ERR_INVALID for n < 0, a NULL array that is needed, a
 * target without index, transform or node coordinates, a NaN or negative
 * max_distance_m, a walking speed that is not finite and > 0;
 * AM_ERR_CANCELLED when progress returned 0; AM_ERR_CRS when a per-thread
 * transform cannot be made; AM_ERR_NOMEM; AM_ERR_INTERNAL when the index
 * returns a node id >= n_nodes (a target built inconsistently). On any
 * failure past the argument checks every point reads off network and
 * *n_on is 0; *n_on is 0 on every failure (when n_on is not NULL).
 *
 * Allocates per call, per thread: one transform (a clone of t->to_metric,
 * milliseconds to make) and a few tens of kilobytes of scratch; threads
 * are limited to one per 4 * AM_SNAP_CHUNK points (fewer points use one
 * thread), so that a clone pays for itself. Thread-safe: t is only read.
 * err: may be NULL.
 */
am_status am_snap_points(const am_snap_target *t, int32_t n, const double *lon,
                         const double *lat, const am_snap_options *o,
                         int32_t *node, double *dist_m, uint32_t *offset_ds,
                         int32_t *n_on, am_error *err);

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
