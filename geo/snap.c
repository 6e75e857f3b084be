/*
 * snap.c: points onto the nearest point of a routable road segment, in
 * parallel (see snap.h).
 *
 * Why: snapping the populated cells is the largest phase of a small run
 * (the Comoros demo: ~0.4 s of ~0.9 s) and grows with the cells, 10^7 and
 * more for a country; every point is independent, so it splits over
 * threads with no reduction but a count.
 *
 * Method: the points are cut into chunks of AM_SNAP_CHUNK, the parallel
 * tasks. A task copies its chunk into its thread's scratch, transforms it
 * into the metric frame with its thread's own transform (PROJ objects and
 * contexts are not thread-safe, so each thread has a clone, made serially
 * before the parallel region), queries the segment index (read-only,
 * thread-safe) for the chunk's points (am_segment_index_nearest_many: block
 * queries where they pay, the fragment index's in particular) and measures
 * the off-network leg with the geodesic inverse (Karney 2013;
 * thread-safe). Tasks write only their own
 * range of the outputs, and PROJ transforms each point on its own, so the
 * bytes written do not depend on the thread count or the schedule. Chunks
 * run in rounds of AM_SNAP_ROUND_CHUNKS; between rounds the calling thread
 * reports progress and may stop. Errors cannot leave a parallel region:
 * each task records its status and the lowest failing chunk is reported
 * after the round.
 *
 * The per-point arithmetic is fixed (outputs are compared byte for byte):
 * nearest segment by planar distance, searched within max_distance_m
 * times the frame's max_scale (+ AM_SNAP_SLACK_M), ties to the lowest
 * segment id; dist_m geodesic to the foot, the point on the network iff
 * dist_m <= max_distance_m; walking time
 * nearbyint(d / (kmh / 3.6) * 10); partial segment times nearbyint(f * t);
 * every offset capped at AM_TIME_INF - 1.
 */
#include "geo/snap.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "geo/geodesic.h"

/* Chunks per round (progress and cancellation granularity: 65536 points). */
#define AM_SNAP_ROUND_CHUNKS 32

/*
 * Least work per thread, in chunks: a thread costs a transform clone, about
 * 1-15 ms (PROJ database look-ups). Snapping costs ~4 us a point (frame
 * transform, tree query, geodesic), so 4 chunks (~30 ms) pay for a clone;
 * a cell centre costs 0.04 us (a geographic raster) to 0.4 us (a projected
 * one, EPSG:3879), so a thread needs 64 chunks (131072 cells). Measured on
 * the Comoros demo (benchmarks/bench_snap.c) and the Helsinki test grid.
 */
#define AM_SNAP_MIN_CHUNKS 4
#define AM_CENTRE_MIN_CHUNKS 64

/* Added to the frame's search radius: the rounding of planar distances
 * (coordinates of 10^6 m: 10^-10 m) and the micrometres between the foot
 * in the frame and the foot interpolated in lon/lat (snap.h). */
#define AM_SNAP_SLACK_M 1e-3

/* One thread's transform and scratch. */
typedef struct snap_worker {
    am_transform *tr; /* owned clone */
    double *x, *y;    /* [AM_SNAP_CHUNK] */
    int32_t *sid;     /* [2 AM_SNAP_CHUNK] nearest segment: target, fragment */
    double *f;        /* [2 AM_SNAP_CHUNK] where on it */
    am_segment_query *q[2]; /* block queries: target, fragments */
} snap_worker;

/* The work of one chunk [i0, i0 + m): its status; *count what it counts. */
typedef am_status (*chunk_fn)(const void *job, snap_worker *w, int32_t i0,
                              int32_t m, int32_t *count);

/* One parallel pass over n points. */
typedef struct chunk_pass {
    const am_transform *tr; /* cloned once per thread */
    int32_t n;
    int threads;        /* requested, as am_snap_options.threads */
    int64_t min_chunks; /* least chunks per thread */
    chunk_fn fn;
    const void *job;
    am_progress_fn progress; /* may be NULL */
    void *progress_user;
    const char *what; /* for messages: "snapping", ... */
} chunk_pass;

am_snap_options am_snap_options_default(void)
{
    am_snap_options o;
    memset(&o, 0, sizeof o);
    o.max_distance_m = 5000.0;
    o.walk_speed_kmh = 5.0;
    return o;
}

/* requested > 0: that many, else OpenMP's default; at most one per
 * min_chunks chunks, at least one. */
static int threads_for(int requested, int64_t n_chunks, int64_t min_chunks)
{
    int nt = requested > 0 ? requested : omp_get_max_threads();
    const int64_t most = n_chunks / (min_chunks > 0 ? min_chunks : 1);
    if ((int64_t)nt > most)
        nt = (int)most;
    return nt < 1 ? 1 : nt;
}

static void workers_destroy(snap_worker *w, int nt)
{
    if (w == NULL)
        return;
    for (int k = 0; k < nt; k++) {
        am_transform_destroy(w[k].tr);
        am_free(w[k].x);
        am_free(w[k].y);
        am_free(w[k].sid);
        am_free(w[k].f);
        am_segment_query_destroy(w[k].q[0]);
        am_segment_query_destroy(w[k].q[1]);
    }
    am_free(w);
}

static am_status workers_create(const am_transform *tr, int nt,
                                snap_worker **out, am_error *err)
{
    am_status rc = AM_ERR_NOMEM;
    snap_worker *w = am_calloc_array((size_t)nt, sizeof *w);
    *out = NULL;
    if (w == NULL)
        goto cleanup;
    for (int k = 0; k < nt; k++) {
        w[k].x = am_alloc_array(AM_SNAP_CHUNK, sizeof *w[k].x);
        w[k].y = am_alloc_array(AM_SNAP_CHUNK, sizeof *w[k].y);
        w[k].sid = am_alloc_array(2 * AM_SNAP_CHUNK, sizeof *w[k].sid);
        w[k].f = am_alloc_array(2 * AM_SNAP_CHUNK, sizeof *w[k].f);
        if (w[k].x == NULL || w[k].y == NULL || w[k].sid == NULL ||
            w[k].f == NULL || am_segment_query_create(&w[k].q[0]) != AM_OK ||
            am_segment_query_create(&w[k].q[1]) != AM_OK)
            goto cleanup;
        if ((rc = am_transform_clone(tr, &w[k].tr, err)) != AM_OK)
            goto cleanup;
        rc = AM_ERR_NOMEM;
    }
    *out = w;
    w = NULL;
    rc = AM_OK;
cleanup:
    if (rc == AM_ERR_NOMEM)
        am_error_set(err, rc, NULL, "out of memory for %d snapping threads",
                     nt);
    workers_destroy(w, nt);
    return rc;
}

/*
 * Runs p->fn over every chunk, in rounds, in parallel; *total gets the sum
 * of the chunks' counts. The first failing chunk's status is returned,
 * with a message naming its points.
 */
static am_status pass_run(const chunk_pass *p, int32_t *total, am_error *err)
{
    am_status rc = AM_OK;
    snap_worker *w = NULL;
    const int64_t n = p->n;
    const int64_t n_chunks = (n + AM_SNAP_CHUNK - 1) / AM_SNAP_CHUNK;
    const int nt = threads_for(p->threads, n_chunks, p->min_chunks);
    const chunk_fn fn = p->fn;
    const void *job = p->job;
    am_status st[AM_SNAP_ROUND_CHUNKS];
    int64_t sum = 0;

    *total = 0;
    if (n == 0)
        return AM_OK;
    if ((rc = workers_create(p->tr, nt, &w, err)) != AM_OK)
        return rc;
    for (int64_t c0 = 0; c0 < n_chunks; c0 += AM_SNAP_ROUND_CHUNKS) {
        const int64_t c1 = c0 + AM_SNAP_ROUND_CHUNKS < n_chunks
                               ? c0 + AM_SNAP_ROUND_CHUNKS
                               : n_chunks;
        int64_t round_sum = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(w, st, fn, job, n, c0, c1) reduction(+ : round_sum)
        for (int64_t c = c0; c < c1; c++) {
            const int32_t i0 = (int32_t)(c * AM_SNAP_CHUNK);
            const int32_t m =
                n - i0 < AM_SNAP_CHUNK ? (int32_t)(n - i0) : AM_SNAP_CHUNK;
            int32_t count = 0;
            st[c - c0] = fn(job, &w[omp_get_thread_num()], i0, m, &count);
            round_sum += count;
        }
        for (int64_t c = c0; c < c1; c++) {
            if (st[c - c0] == AM_OK)
                continue;
            const int64_t i0 = c * AM_SNAP_CHUNK;
            const int64_t i1 = i0 + AM_SNAP_CHUNK < n ? i0 + AM_SNAP_CHUNK : n;
            rc = am_error_set(
                err, st[c - c0], NULL, "%s: points %lld to %lld: %s", p->what,
                (long long)i0, (long long)i1 - 1,
                st[c - c0] == AM_ERR_CRS ? "PROJ could not transform them"
                : st[c - c0] == AM_ERR_INTERNAL
                    ? "the spatial index returned a segment beyond the "
                      "target's segments or vertices (index and segment "
                      "arrays disagree)"
                    : "failed");
            goto cleanup;
        }
        sum += round_sum;
        const int64_t done = c1 * AM_SNAP_CHUNK < n ? c1 * AM_SNAP_CHUNK : n;
        if (p->progress != NULL &&
            !p->progress((double)done / (double)n, p->what, p->progress_user)) {
            rc = am_error_set(err, AM_ERR_CANCELLED, NULL,
                              "%s: cancelled after %lld of %lld points",
                              p->what, (long long)done, (long long)n);
            goto cleanup;
        }
    }
    *total = (int32_t)sum;
cleanup:
    workers_destroy(w, nt);
    return rc;
}

/* ---- snapping -------------------------------------------------------- */

typedef struct snap_job {
    const am_snap_target *t;
    const double *lon, *lat;
    double max_m;    /* on the ground, inclusive */
    double search_m; /* in the frame: max_m * max_scale + slack */
    double walk_mps;
    am_snap_role role;
    int32_t *node;                 /* [2 n] */
    uint32_t *offset_ds;           /* [2 n] */
    double *dist_m;                /* [n], may be NULL */
    const am_snap_fragments *frag; /* may be NULL */
} snap_job;

/* nearbyint(x) for x >= 0, as a time below the sentinel. */
static uint64_t round_ds(double x)
{
    const double r = nearbyint(x);
    return r < (double)AM_TIME_INF ? (uint64_t)r : AM_TIME_INF;
}

static uint32_t cap_ds(uint64_t t)
{
    return t < AM_TIME_INF ? (uint32_t)t : AM_TIME_INF - 1;
}

/* The walking leg of d metres at walk_mps (snap.h, am_snap_walk_ds). */
static uint32_t walk_ds_of(double d, double walk_mps)
{
    return cap_ds(round_ds(d / walk_mps * 10.0));
}

uint32_t am_snap_walk_ds(double dist_m, double walk_speed_kmh)
{
    if (isnan(dist_m))
        return AM_TIME_INF;
    return walk_ds_of(dist_m, walk_speed_kmh / 3.6);
}

/*
 * The links of a point whose foot is at fraction f of segment s, walk_ds
 * away (see snap.h): node[0..1], offset_ds[0..1], a-side first, absent
 * ones last.
 */
static int vertex_is_node(const am_snap_target *t, int32_t v, int32_t node)
{
    return t->node_vertex != NULL ? t->node_vertex[node] == v : v == node;
}

static void links_of(const am_snap_target *t, const am_segment *s, double f,
                     uint32_t walk_ds, am_snap_role role, int32_t *node,
                     uint32_t *offset_ds)
{
    int32_t nn[2] = {-1, -1};
    uint64_t tt[2] = {AM_TIME_INF, AM_TIME_INF};
    if (f == 0.0 && vertex_is_node(t, s->v0, s->a)) {
        nn[0] = s->a;
        tt[0] = walk_ds;
    } else if (f == 1.0 && vertex_is_node(t, s->v1, s->b)) {
        nn[1] = s->b;
        tt[1] = walk_ds;
    } else if (role == AM_SNAP_ORIGIN) {
        /* drive from the foot to a (direction 1) or to b (direction 0) */
        if (s->time_ds[1] < AM_TIME_INF) {
            nn[0] = s->a;
            tt[0] = (uint64_t)walk_ds + round_ds(f * s->time_ds[1]) +
                    s->after_ds[1];
        }
        if (s->time_ds[0] < AM_TIME_INF) {
            nn[1] = s->b;
            tt[1] = (uint64_t)walk_ds + round_ds((1.0 - f) * s->time_ds[0]) +
                    s->after_ds[0];
        }
    } else {
        /* drive from a (direction 0) or from b (direction 1) to the foot */
        if (s->time_ds[0] < AM_TIME_INF) {
            nn[0] = s->a;
            tt[0] = (uint64_t)walk_ds + s->before_ds[0] +
                    round_ds(f * s->time_ds[0]);
        }
        if (s->time_ds[1] < AM_TIME_INF) {
            nn[1] = s->b;
            tt[1] = (uint64_t)walk_ds + s->before_ds[1] +
                    round_ds((1.0 - f) * s->time_ds[1]);
        }
    }
    if (nn[0] >= 0 && nn[0] == nn[1]) { /* a loop: the faster way round */
        if (tt[1] < tt[0])
            tt[0] = tt[1];
        nn[1] = -1;
    }
    int k = 0;
    for (int q = 0; q < 2; q++) {
        if (nn[q] < 0)
            continue;
        node[k] = nn[q];
        offset_ds[k] = cap_ds(tt[q]);
        k++;
    }
    for (; k < 2; k++) {
        node[k] = -1;
        offset_ds[k] = AM_TIME_INF;
    }
}

/* Where the foot at fraction f of segment s lies in lon/lat (linear
 * between the vertices, the shorter way round in longitude). */
static void foot_lonlat(const am_snap_target *t, const am_segment *s, double f,
                        double *flon, double *flat)
{
    const double lon0 = t->vertex_lon[s->v0], lat0 = t->vertex_lat[s->v0];
    *flon = lon0;
    *flat = lat0;
    if (f == 1.0) {
        *flon = t->vertex_lon[s->v1];
        *flat = t->vertex_lat[s->v1];
    } else if (f > 0.0) {
        /* remainder(d, 360) is d itself for |d| <= 180 (a tie goes to the
         * even quotient, 0): the call only where it changes something */
        const double d = t->vertex_lon[s->v1] - lon0;
        *flon = lon0 + f * (fabs(d) <= 180.0 ? d : remainder(d, 360.0));
        *flat = lat0 + f * (t->vertex_lat[s->v1] - lat0);
    }
}

static int segment_ok(const am_snap_target *t, const am_segment *s)
{
    return s->v0 >= 0 && s->v0 < t->n_vertices && s->v1 >= 0 &&
           s->v1 < t->n_vertices;
}

/*
 * The fragment side of point i (see am_snap_fragments): its nearest small
 * component's segment, kept when strictly nearer than d_on (the point's
 * geodesic snap distance; NaN: off network). A geodesic lower bound
 * (am_geodesic_distance_lower_m) settles most points without the geodesic
 * itself: the point is not nearer to a fragment when the bound is already
 * >= d_on. sid, f: the point's nearest fragment segment (-1: none) and
 * where on it.
 */
static am_status fragment_of(const snap_job *j, int32_t i, int32_t sid,
                             double f, double d_on)
{
    const am_snap_target *t = j->t;
    const am_snap_fragments *fr = j->frag;
    fr->dist_m[i] = NAN;
    fr->node[i] = -1;
    if (sid < 0)
        return AM_OK;
    if (sid >= fr->n_segments || !segment_ok(t, &fr->seg[sid]))
        return AM_ERR_INTERNAL;
    const am_segment *s = &fr->seg[sid];
    double flon, flat;
    foot_lonlat(t, s, f, &flon, &flat);
    const int on = !isnan(d_on);
    if (on && !(am_geodesic_distance_lower_m(j->lon[i], j->lat[i], flon, flat) <
                d_on))
        return AM_OK;
    const double d = am_geodesic_distance_m(j->lon[i], j->lat[i], flon, flat);
    /* on: d < d_on <= max_m; off: within the snap distance on the ground */
    if (on ? !(d < d_on) : !(d <= j->max_m))
        return AM_OK;
    int32_t nn[2];
    uint32_t tt[2];
    const uint32_t walk = walk_ds_of(d, j->walk_mps);
    links_of(t, s, f, walk, AM_SNAP_ORIGIN, nn, tt);
    fr->dist_m[i] = d;
    fr->node[i] = nn[0];
    return AM_OK;
}

static am_status snap_chunk(const void *arg, snap_worker *w, int32_t i0,
                            int32_t m, int32_t *count)
{
    const snap_job *j = arg;
    const am_snap_target *t = j->t;
    double *x = w->x, *y = w->y;
    int32_t on = 0;
    int32_t *fsid = w->sid + AM_SNAP_CHUNK;
    double *ff = w->f + AM_SNAP_CHUNK;
    memcpy(x, j->lon + i0, sizeof *x * (size_t)m);
    memcpy(y, j->lat + i0, sizeof *y * (size_t)m);
    if (am_transform_points(w->tr, (size_t)m, x, y, NULL, NULL) != AM_OK)
        return AM_ERR_CRS;
    /* failed points are HUGE_VAL: no segment */
    am_segment_index_nearest_many(t->index, m, x, y, j->search_m, w->q[0],
                                  w->sid, w->f);
    if (j->frag != NULL)
        am_segment_index_nearest_many(j->frag->index, m, x, y, j->search_m,
                                      w->q[1], fsid, ff);
    for (int32_t k = 0; k < m; k++) {
        const int32_t i = i0 + k;
        const int32_t sid = w->sid[k];
        const double f = w->f[k];
        double d = NAN;
        if (sid >= t->n_segments)
            return AM_ERR_INTERNAL;
        const am_segment *s = sid >= 0 ? &t->seg[sid] : NULL;
        if (s != NULL) {
            if (!segment_ok(t, s))
                return AM_ERR_INTERNAL;
            double flon, flat;
            foot_lonlat(t, s, f, &flon, &flat);
            d = am_geodesic_distance_m(j->lon[i], j->lat[i], flon, flat);
            if (!(d <= j->max_m)) /* beyond the snap distance on the ground */
                d = NAN;
        }
        if (isnan(d)) {
            j->node[2 * i] = j->node[2 * i + 1] = -1;
            j->offset_ds[2 * i] = j->offset_ds[2 * i + 1] = AM_TIME_INF;
            if (j->dist_m != NULL)
                j->dist_m[i] = NAN;
        } else {
            on++;
            if (j->dist_m != NULL)
                j->dist_m[i] = d;
            const uint32_t walk = walk_ds_of(d, j->walk_mps);
            links_of(t, s, f, walk, j->role, &j->node[2 * i],
                     &j->offset_ds[2 * i]);
        }
        if (j->frag != NULL) {
            const am_status rc = fragment_of(j, i, fsid[k], ff[k], d);
            if (rc != AM_OK)
                return rc;
        }
    }
    *count = on;
    return AM_OK;
}

static void fill_off_network(int32_t n, int32_t *node, uint32_t *offset_ds,
                             double *dist_m, const am_snap_fragments *frag)
{
    for (int32_t i = 0; i < n; i++) {
        node[2 * i] = node[2 * i + 1] = -1;
        offset_ds[2 * i] = offset_ds[2 * i + 1] = AM_TIME_INF;
        if (dist_m != NULL)
            dist_m[i] = NAN;
        if (frag != NULL) {
            frag->dist_m[i] = NAN;
            frag->node[i] = -1;
        }
    }
}

am_status am_snap_points(const am_snap_target *t, int32_t n, const double *lon,
                         const double *lat, const am_snap_options *o,
                         int32_t *node, uint32_t *offset_ds, double *dist_m,
                         int32_t *n_on, am_error *err)
{
    return am_snap_points_fragments(t, n, lon, lat, o, node, offset_ds, dist_m,
                                    NULL, n_on, err);
}

am_status am_snap_points_fragments(const am_snap_target *t, int32_t n,
                                   const double *lon, const double *lat,
                                   const am_snap_options *o, int32_t *node,
                                   uint32_t *offset_ds, double *dist_m,
                                   const am_snap_fragments *frag, int32_t *n_on,
                                   am_error *err)
{
    const am_snap_options def = am_snap_options_default();
    if (n_on != NULL)
        *n_on = 0;
    if (o == NULL)
        o = &def;
    if (n_on == NULL || n < 0 ||
        (n > 0 &&
         (lon == NULL || lat == NULL || node == NULL || offset_ds == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_snap_points: negative count or NULL array");
    if (t == NULL || t->index == NULL || t->to_metric == NULL ||
        t->n_segments < 0 || t->n_vertices < 0 ||
        (t->n_segments > 0 && t->seg == NULL) ||
        (t->n_vertices > 0 && (t->vertex_lon == NULL || t->vertex_lat == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_snap_points: incomplete snap target");
    if (!(o->max_distance_m >= 0.0))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "snapping: maximum distance %g m is not >= 0",
                            o->max_distance_m);
    if (!(t->max_scale >= 1.0))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_snap_points: the target's max_scale %g is "
                            "not >= 1",
                            t->max_scale);
    if (!(o->walk_speed_kmh > 0.0 && isfinite(o->walk_speed_kmh)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "snapping: walking speed %g km/h is not a "
                            "finite number > 0",
                            o->walk_speed_kmh);
    if (o->role != AM_SNAP_ORIGIN && o->role != AM_SNAP_DESTINATION)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "snapping: unknown role %d", (int)o->role);
    if (frag != NULL &&
        (frag->index == NULL || frag->n_segments < 0 ||
         (frag->n_segments > 0 && frag->seg == NULL) ||
         (n > 0 && (frag->dist_m == NULL || frag->node == NULL))))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_snap_points_fragments: incomplete fragment "
                            "target");
    if (n == 0)
        return AM_OK;

    /* 0 * inf is NaN: a radius of 0 stays 0 (plus the slack) */
    const double search_m =
        (o->max_distance_m > 0.0 ? o->max_distance_m * t->max_scale : 0.0) +
        AM_SNAP_SLACK_M;
    const snap_job job = {t,         lon,
                          lat,       o->max_distance_m,
                          search_m,  o->walk_speed_kmh / 3.6,
                          o->role,   node,
                          offset_ds, dist_m,
                          frag};
    const chunk_pass pass = {
        t->to_metric, n,    o->threads,  AM_SNAP_MIN_CHUNKS,
        snap_chunk,   &job, o->progress, o->progress_user,
        "snapping"};
    am_status rc = pass_run(&pass, n_on, err);
    if (rc != AM_OK) {
        *n_on = 0;
        fill_off_network(n, node, offset_ds, dist_m, frag);
    }
    return rc;
}

/* ---- cell centres ---------------------------------------------------- */

typedef struct centre_job {
    const am_grid *g;
    const int64_t *cell;
    double *lon, *lat;
} centre_job;

static am_status centre_chunk(const void *arg, snap_worker *w, int32_t i0,
                              int32_t m, int32_t *count)
{
    const centre_job *j = arg;
    const int64_t nx = j->g->nx;
    for (int32_t i = i0; i < i0 + m; i++)
        am_grid_cell_center(j->g, (int32_t)(j->cell[i] % nx),
                            (int32_t)(j->cell[i] / nx), &j->lon[i], &j->lat[i]);
    size_t failed = 0;
    am_status rc = am_transform_points(w->tr, (size_t)m, j->lon + i0,
                                       j->lat + i0, &failed, NULL);
    *count = (int32_t)failed;
    return rc == AM_OK ? AM_OK : AM_ERR_CRS;
}

am_status am_snap_cell_centers(const am_grid *g, const am_transform *to_lonlat,
                               int32_t n, const int64_t *cell, int threads,
                               double *lon, double *lat, int32_t *n_failed,
                               am_error *err)
{
    int32_t failed = 0;
    if (n_failed != NULL)
        *n_failed = 0;
    if (g == NULL || to_lonlat == NULL || n < 0 ||
        (n > 0 && (cell == NULL || lon == NULL || lat == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_snap_cell_centers: NULL argument or negative "
                            "count");
    if (g->nx <= 0 || g->ny <= 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "cell centres: grid of %ld x %ld cells",
                            (long)g->nx, (long)g->ny);
    const int64_t n_grid = (int64_t)g->nx * g->ny;
    for (int32_t i = 0; i < n; i++) {
        if (cell[i] < 0 || cell[i] >= n_grid) {
            am_status rc = am_error_set(
                err, AM_ERR_INVALID, NULL,
                "cell centres: cell %lld is outside the %ld x %ld grid",
                (long long)cell[i], (long)g->nx, (long)g->ny);
            am_error_set_feature(err, i);
            return rc;
        }
    }
    const centre_job job = {g, cell, lon, lat};
    const chunk_pass pass = {to_lonlat,     n,    threads, AM_CENTRE_MIN_CHUNKS,
                             centre_chunk,  &job, NULL,    NULL,
                             "cell centres"};
    am_status rc = pass_run(&pass, &failed, err);
    if (rc == AM_OK && n_failed != NULL)
        *n_failed = failed;
    return rc;
}
