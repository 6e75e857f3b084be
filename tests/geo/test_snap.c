/*
 * test_snap.c: parallel snapping onto road segments and cell centres
 * (geo/snap.h), against a serial brute-force oracle, on real data, and
 * the links' directions on a hand-made one-way network.
 *
 * The oracle is written out here with other means than the library's:
 * one transform of the whole array into the metric frame, then for each
 * point a linear scan over EVERY segment (no index, no radius), ties to
 * the lowest segment id, the point on the network iff the geodesic
 * distance to that segment's foot is within the snap distance, and the
 * links from the formulas of snap.h (origin: the
 * nodes the point can drive to; destination: the nodes it is reached
 * from). am_snap_points must give the same bytes as the oracle, and the
 * same bytes for 1, 2, 3 and 7 threads.
 *
 * Data: the Comoros demo (data/comoros; OSM roads, ODbL, and WorldPop 2020
 * population, CC BY 4.0, see NOTICE): every 4th populated cell, points
 * scattered up to ~7 km around road nodes (some beyond the snapping
 * distance), the nodes themselves, and hand-made edge cases; the Helsinki
 * HSY grid (tests/data, EPSG:3879) for a projected raster's cell centres.
 * Points come from a fixed-seed PRNG (splitmix64), so failures reproduce.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/units.h"
#include "geo/crs.h"
#include "geo/geodesic.h"
#include "geo/segment_index.h"
#include "geo/segments.h"
#include "geo/snap.h"
#include "inputs/population.h"
#include "inputs/roads.h"

#define COMOROS_ROADS AM_DEMO_DATA "/comoros/comores-latest.osm.pbf"
#define COMOROS_POP AM_DEMO_DATA "/comoros/com_ppp_2020_UNadj.tif"
#define HELSINKI_POP                                                           \
    AM_TEST_DATA "/helsinki_hsy_population/"                                   \
                 "helsinki_population_2020_hsy_250m_EPSG3879.tif"

static uint64_t rng_state = 20240601;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double unif_pm(void)
{
    return (double)(splitmix64() >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* ---- a target built the way the engine builds it ---------------------- */

typedef struct net {
    am_transform *to_metric;
    double *x, *y; /* [n_nodes] metric */
    am_segment *seg;
    int32_t n_seg;
    am_segment_index *index;
    am_snap_target target;
} net;

typedef struct fixture {
    am_road_network *roads;
    net net;
} fixture;

static fixture fx;

static void lonlat_box(int32_t n, const double *lon, const double *lat,
                       double box[4])
{
    box[0] = box[1] = HUGE_VAL;
    box[2] = box[3] = -HUGE_VAL;
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(lon[i]) || !isfinite(lat[i]))
            continue;
        box[0] = fmin(box[0], lon[i]);
        box[1] = fmin(box[1], lat[i]);
        box[2] = fmax(box[2], lon[i]);
        box[3] = fmax(box[3], lat[i]);
    }
}

/* The farthest finite point's |x| (from the frame's central meridian). */
static double frame_x_max(int32_t n, const double *x, const double *y)
{
    double m = 0.0;
    for (int32_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            m = fmax(m, fabs(x[i]));
    return m;
}

/* Metric frame around the nodes, the segments of the arcs (allowed: the
 * mask or NULL), their index, and the target over them. */
static void net_build_in(const char *frame_def, int32_t n, const double *lon,
                         const double *lat, int64_t n_arcs, const int32_t *tail,
                         const int32_t *head, const uint32_t *time_ds,
                         const uint8_t *allowed, net *w)
{
    am_error err;
    char frame[256];
    double box[4];
    memset(w, 0, sizeof *w);
    lonlat_box(n, lon, lat, box);
    assert_int_equal(am_crs_metric_frame(box[0], box[1], box[2], box[3], frame,
                                         sizeof frame, &err),
                     AM_OK);
    if (frame_def != NULL) /* another frame (a comparison) */
        snprintf(frame, sizeof frame, "%s", frame_def);
    assert_int_equal(
        am_transform_create(AM_CRS_WGS84, frame, &w->to_metric, &err), AM_OK);
    w->x = malloc(sizeof *w->x * (size_t)n);
    w->y = malloc(sizeof *w->y * (size_t)n);
    assert_non_null(w->x);
    assert_non_null(w->y);
    memcpy(w->x, lon, sizeof *w->x * (size_t)n);
    memcpy(w->y, lat, sizeof *w->y * (size_t)n);
    assert_int_equal(
        am_transform_points(w->to_metric, (size_t)n, w->x, w->y, NULL, &err),
        AM_OK);
    assert_int_equal(am_segments_from_arcs(n, n_arcs, tail, head, time_ds,
                                           allowed, &w->seg, &w->n_seg, &err),
                     AM_OK);
    assert_int_equal(
        am_segment_index_build(w->n_seg, w->seg, n, w->x, w->y, &w->index),
        AM_OK);
    w->target = (am_snap_target){
        w->index,
        w->seg,
        w->n_seg,
        w->to_metric,
        n,
        lon,
        lat,
        NULL,
        am_crs_frame_max_scale(frame_x_max(n, w->x, w->y), 1e5)};
}

static void net_build(int32_t n, const double *lon, const double *lat,
                      int64_t n_arcs, const int32_t *tail, const int32_t *head,
                      const uint32_t *time_ds, const uint8_t *allowed, net *w)
{
    net_build_in(NULL, n, lon, lat, n_arcs, tail, head, time_ds, allowed, w);
}

static void net_free(net *w)
{
    am_segment_index_destroy(w->index);
    am_free(w->seg);
    free(w->x);
    free(w->y);
    am_transform_destroy(w->to_metric);
    memset(w, 0, sizeof *w);
}

static int group_setup(void **state)
{
    (void)state;
    am_error err;
    am_road_options o = {.path = COMOROS_ROADS, .layer = NULL, .where = NULL};
    if (am_roads_load(&o, NULL, NULL, &fx.roads, &err) != AM_OK)
        return -1;
    const am_road_network *r = fx.roads;
    net_build(r->n_nodes, r->lon, r->lat, r->n_arcs, r->tail, r->head,
              r->time_ds, NULL, &fx.net);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    net_free(&fx.net);
    am_road_network_destroy(fx.roads);
    return 0;
}

/* ---- the oracle ------------------------------------------------------- */

typedef struct snapped {
    int32_t n;
    int32_t *node;       /* [2 n] */
    uint32_t *offset_ds; /* [2 n] */
    double *dist_m;      /* [n] */
    int32_t n_on;
} snapped;

static void snapped_alloc(snapped *s, int32_t n)
{
    s->n = n;
    s->node = malloc(sizeof *s->node * 2 * (size_t)(n > 0 ? n : 1));
    s->offset_ds = malloc(sizeof *s->offset_ds * 2 * (size_t)(n > 0 ? n : 1));
    s->dist_m = malloc(sizeof *s->dist_m * (size_t)(n > 0 ? n : 1));
    assert_non_null(s->node);
    assert_non_null(s->offset_ds);
    assert_non_null(s->dist_m);
    s->n_on = 0;
}

static void snapped_free(snapped *s)
{
    free(s->node);
    free(s->offset_ds);
    free(s->dist_m);
}

static uint32_t capped(double t)
{
    return t < (double)(AM_TIME_INF - 1) ? (uint32_t)t : AM_TIME_INF - 1;
}

/* Serial brute force: every segment scanned per point. */
static void oracle(const net *w, int32_t n, const double *lon,
                   const double *lat, double max_m, double kmh,
                   am_snap_role role, snapped *out)
{
    double *x = malloc(sizeof *x * (size_t)n);
    double *y = malloc(sizeof *y * (size_t)n);
    assert_non_null(x);
    assert_non_null(y);
    memcpy(x, lon, sizeof *x * (size_t)n);
    memcpy(y, lat, sizeof *y * (size_t)n);
    assert_int_equal(
        am_transform_points(w->to_metric, (size_t)n, x, y, NULL, NULL), AM_OK);
    const double mps = kmh / 3.6;
    const am_snap_target *t = &w->target;
    out->n_on = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t best = -1;
        double best_d2 = HUGE_VAL, best_f = 0.0;
        for (int32_t s = 0; s < w->n_seg && isfinite(x[i]) && isfinite(y[i]);
             s++) {
            const double x0 = w->x[w->seg[s].v0], y0 = w->y[w->seg[s].v0];
            const double x1 = w->x[w->seg[s].v1], y1 = w->y[w->seg[s].v1];
            const double dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy;
            double f = l2 > 0 ? ((x[i] - x0) * dx + (y[i] - y0) * dy) / l2 : 0;
            double fx_, fy_;
            if (!(f > 0.0)) {
                f = 0.0;
                fx_ = x0;
                fy_ = y0;
            } else if (f >= 1.0) {
                f = 1.0;
                fx_ = x1;
                fy_ = y1;
            } else {
                fx_ = x0 + f * dx;
                fy_ = y0 + f * dy;
            }
            const double d2 =
                (x[i] - fx_) * (x[i] - fx_) + (y[i] - fy_) * (y[i] - fy_);
            if (d2 < best_d2) { /* ascending ids: ties keep the lowest */
                best_d2 = d2;
                best = s;
                best_f = f;
            }
        }
        int32_t *nd = &out->node[2 * i];
        uint32_t *of = &out->offset_ds[2 * i];
        nd[0] = nd[1] = -1;
        of[0] = of[1] = AM_TIME_INF;
        out->dist_m[i] = NAN;
        if (best < 0)
            continue;
        const am_segment *s = &w->seg[best];
        const double f = best_f;
        const double l0 = t->vertex_lon[s->v0], b0 = t->vertex_lat[s->v0];
        double flon = l0, flat = b0; /* the foot, at f = 0 the vertex */
        if (f == 1.0) {
            flon = t->vertex_lon[s->v1];
            flat = t->vertex_lat[s->v1];
        } else if (f > 0.0) {
            flon = l0 + f * remainder(t->vertex_lon[s->v1] - l0, 360.0);
            flat = b0 + f * (t->vertex_lat[s->v1] - b0);
        }
        const double d = am_geodesic_distance_m(lon[i], lat[i], flon, flat);
        if (!(d <= max_m)) /* the snap distance is on the ground */
            continue;
        out->n_on++;
        out->dist_m[i] = d;
        const double walk = (double)capped(nearbyint(d / mps * 10.0));
        double ta = HUGE_VAL, tb = HUGE_VAL; /* the a-side and b-side links */
        const int open0 = s->time_ds[0] != AM_TIME_INF;
        const int open1 = s->time_ds[1] != AM_TIME_INF;
        if (f == 0.0) {
            ta = walk;
        } else if (f == 1.0) {
            tb = walk;
        } else if (role == AM_SNAP_ORIGIN) {
            if (open1) /* drive b -> a: from the foot on to a */
                ta = walk + nearbyint(f * s->time_ds[1]);
            if (open0) /* drive a -> b: from the foot on to b */
                tb = walk + nearbyint((1.0 - f) * s->time_ds[0]);
        } else {
            if (open0) /* from a to the foot */
                ta = walk + nearbyint(f * s->time_ds[0]);
            if (open1) /* from b to the foot */
                tb = walk + nearbyint((1.0 - f) * s->time_ds[1]);
        }
        int k = 0;
        if (ta != HUGE_VAL) {
            nd[k] = s->a;
            of[k++] = capped(ta);
        }
        if (tb != HUGE_VAL) {
            nd[k] = s->b;
            of[k++] = capped(tb);
        }
        assert_true(k >= 1);
    }
    free(x);
    free(y);
}

static void snap_ok(const net *w, int32_t n, const double *lon,
                    const double *lat, double max_m, double kmh, int threads,
                    am_snap_role role, snapped *out)
{
    am_error err;
    am_snap_options o = am_snap_options_default();
    o.max_distance_m = max_m;
    o.walk_speed_kmh = kmh;
    o.threads = threads;
    o.role = role;
    am_status rc =
        am_snap_points(&w->target, n, lon, lat, &o, out->node, out->offset_ds,
                       out->dist_m, &out->n_on, &err);
    if (rc != AM_OK)
        fail_msg("am_snap_points: %s (%s)", err.msg, am_status_name(rc));
}

static void assert_same(const snapped *a, const snapped *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->n_on, b->n_on);
    const size_t n = (size_t)a->n;
    assert_memory_equal(a->node, b->node, 2 * n * sizeof *a->node);
    assert_memory_equal(a->offset_ds, b->offset_ds,
                        2 * n * sizeof *a->offset_ds);
    assert_memory_equal(a->dist_m, b->dist_m, n * sizeof *a->dist_m);
}

/* ---- the points ------------------------------------------------------- */

/* Every 4th populated cell's centre, lon/lat. */
static int32_t comoros_cells(double **lon, double **lat)
{
    am_error err;
    am_population *p = NULL;
    am_population_options po = {COMOROS_POP, 1, NULL, 0, NULL};
    assert_int_equal(am_population_load(&po, NULL, NULL, &p, &err), AM_OK);
    int32_t n = (p->n_cells + 3) / 4;
    *lon = malloc(sizeof **lon * (size_t)n);
    *lat = malloc(sizeof **lat * (size_t)n);
    assert_non_null(*lon);
    assert_non_null(*lat);
    for (int32_t i = 0; i < n; i++) {
        int64_t cell = p->cell[4 * (int64_t)i];
        am_grid_cell_center(&p->grid, (int32_t)(cell % p->grid.nx),
                            (int32_t)(cell / p->grid.nx), &(*lon)[i],
                            &(*lat)[i]);
    }
    am_transform *to_ll = NULL;
    assert_int_equal(
        am_transform_create(p->crs_wkt, AM_CRS_WGS84, &to_ll, &err), AM_OK);
    assert_int_equal(
        am_transform_points(to_ll, (size_t)n, *lon, *lat, NULL, &err), AM_OK);
    am_transform_destroy(to_ll);
    am_population_destroy(p);
    return n;
}

/*
 * n_cells cell centres, then 2000 road nodes exactly, then 3000 points up
 * to ~0.065 deg (~7 km) from a random node, then the edge cases.
 */
static int32_t comoros_points(double **plon, double **plat)
{
    double *clon = NULL, *clat = NULL;
    int32_t nc = comoros_cells(&clon, &clat);
    const int32_t n_edge = 10;
    int32_t n = nc + 2000 + 3000 + n_edge;
    double *lon = malloc(sizeof *lon * (size_t)n);
    double *lat = malloc(sizeof *lat * (size_t)n);
    assert_non_null(lon);
    assert_non_null(lat);
    memcpy(lon, clon, sizeof *lon * (size_t)nc);
    memcpy(lat, clat, sizeof *lat * (size_t)nc);
    free(clon);
    free(clat);
    const am_road_network *r = fx.roads;
    int32_t k = nc;
    for (int32_t i = 0; i < 2000; i++, k++) {
        int32_t v = (int32_t)(splitmix64() % (uint64_t)r->n_nodes);
        lon[k] = r->lon[v];
        lat[k] = r->lat[v];
    }
    for (int32_t i = 0; i < 3000; i++, k++) {
        int32_t v = (int32_t)(splitmix64() % (uint64_t)r->n_nodes);
        lon[k] = r->lon[v] + 0.065 * unif_pm();
        lat[k] = r->lat[v] + 0.065 * unif_pm();
    }
    const double edge[10][2] = {
        {NAN, -11.7},      {43.3, NAN},       {NAN, NAN},
        {INFINITY, -11.7}, {43.3, -INFINITY}, {43.3, 91.0}, /* no lat 91 */
        {43.3, -95.0},     {-136.7, 11.7},  /* ~ the frame's antipode */
        {1e10, -11.7},     {43.25, -11.70}, /* Moroni, on the network */
    };
    for (int32_t i = 0; i < n_edge; i++, k++) {
        lon[k] = edge[i][0];
        lat[k] = edge[i][1];
    }
    assert_int_equal(k, n);
    *plon = lon;
    *plat = lat;
    return n;
}

/* Every step-th point of the list, and the last 5020 (nodes, scattered
 * points, edge cases): the brute-force oracle's share. */
static int32_t oracle_subset(int32_t n, const double *lon, const double *lat,
                             int32_t step, double **slon, double **slat)
{
    const int32_t tail = 5010 + 10;
    const int32_t head = n - tail;
    const int32_t m = (head + step - 1) / step + tail / 8;
    *slon = malloc(sizeof **slon * (size_t)m);
    *slat = malloc(sizeof **slat * (size_t)m);
    assert_non_null(*slon);
    assert_non_null(*slat);
    int32_t k = 0;
    for (int32_t i = 0; i < head; i += step, k++) {
        (*slon)[k] = lon[i];
        (*slat)[k] = lat[i];
    }
    for (int32_t i = head; i < n && k < m; i += 8, k++) {
        (*slon)[k] = lon[i];
        (*slat)[k] = lat[i];
    }
    /* the edge cases themselves */
    for (int32_t i = n - 10; i < n && k < m; i++, k++) {
        (*slon)[k] = lon[i];
        (*slat)[k] = lat[i];
    }
    return k;
}

/* ---- tests ------------------------------------------------------------ */

/* The index finds exactly the brute-force nearest segment, and the links
 * follow snap.h's formulas, for both roles. */
static void test_matches_brute_force(void **state)
{
    (void)state;
    double *lon = NULL, *lat = NULL, *slon = NULL, *slat = NULL;
    int32_t n = comoros_points(&lon, &lat);
    int32_t m = oracle_subset(n, lon, lat, 97, &slon, &slat);
    assert_true(m > 1000);
    snapped ref, got;
    snapped_alloc(&ref, m);
    snapped_alloc(&got, m);
    for (int role = 0; role < 2; role++) {
        oracle(&fx.net, m, slon, slat, 5000.0, 5.0, (am_snap_role)role, &ref);
        snap_ok(&fx.net, m, slon, slat, 5000.0, 5.0, 1, (am_snap_role)role,
                &got);
        assert_same(&ref, &got);
    }
    /* the subset covers both link counts and points off the network */
    int two = 0, one = 0, off = 0;
    for (int32_t i = 0; i < m; i++) {
        two += got.node[2 * i + 1] >= 0;
        one += got.node[2 * i] >= 0 && got.node[2 * i + 1] < 0;
        off += got.node[2 * i] < 0;
        assert_true(got.node[2 * i] >= 0 || got.node[2 * i + 1] < 0);
    }
    int cell_two = 0, n_cells = (n - 5020 + 96) / 97;
    for (int32_t i = 0; i < n_cells; i++)
        cell_two += got.node[2 * i + 1] >= 0;
    /* a quarter of the cells lie beside a segment (two links); most lie
     * off a bend or a road's end, nearest to a vertex (one link) */
    assert_true(cell_two > n_cells / 8);
    assert_true(two > m / 8);
    assert_true(one > 10);
    assert_true(off > 10);
    oracle(&fx.net, m, slon, slat, 750.0, 4.2, AM_SNAP_ORIGIN, &ref);
    snap_ok(&fx.net, m, slon, slat, 750.0, 4.2, 2, AM_SNAP_ORIGIN, &got);
    assert_same(&ref, &got);
    snapped_free(&ref);
    snapped_free(&got);
    free(slon);
    free(slat);
    free(lon);
    free(lat);
}

/* A hint never changes a query's answer (any hint, garbage included), and
 * an index built on two threads answers like one built on one. */
static void test_hint_and_threads_same_answer(void **state)
{
    (void)state;
    double *lon = NULL, *lat = NULL;
    const int32_t n = comoros_points(&lon, &lat);
    const net *w = &fx.net;
    am_segment_index *i2 = NULL;
    assert_int_equal(am_segment_index_build_threads(w->n_seg, w->seg,
                                                    fx.roads->n_nodes, w->x,
                                                    w->y, 2, &i2),
                     AM_OK);
    double *x = malloc(sizeof *x * (size_t)n),
           *y = malloc(sizeof *y * (size_t)n);
    assert_non_null(x);
    assert_non_null(y);
    memcpy(x, lon, sizeof *x * (size_t)n);
    memcpy(y, lat, sizeof *y * (size_t)n);
    assert_int_equal(
        am_transform_points(w->to_metric, (size_t)n, x, y, NULL, NULL), AM_OK);
    int32_t hint = -1, hint2 = -1, hits = 0;
    for (int32_t i = 0; i < n; i++) {
        double d0, f0, d1, f1, d2, f2;
        const int32_t s0 =
            am_segment_index_nearest(w->index, x[i], y[i], 3000.0, &d0, &f0);
        if (i % 7 == 3) /* garbage: out of range, or an unrelated slot */
            hint = i % 2 ? (int32_t)(splitmix64() % (uint64_t)w->n_seg)
                         : w->n_seg + 5;
        const int32_t s1 = am_segment_index_nearest_hint(
            w->index, x[i], y[i], 3000.0, &hint, &d1, &f1);
        const int32_t s2 = am_segment_index_nearest_hint(i2, x[i], y[i], 3000.0,
                                                         &hint2, &d2, &f2);
        assert_int_equal(s0, s1);
        assert_int_equal(s0, s2);
        assert_memory_equal(&d0, &d1, sizeof d0);
        assert_memory_equal(&d0, &d2, sizeof d0);
        assert_memory_equal(&f0, &f1, sizeof f0);
        assert_memory_equal(&f0, &f2, sizeof f0);
        hits += s0 >= 0;
    }
    assert_true(hits > n / 2);
    assert_true(am_segment_index_bytes(i2) == am_segment_index_bytes(w->index));
    am_segment_index_destroy(i2);
    free(x);
    free(y);
    free(lon);
    free(lat);
}

/* Brute force: the least (squared distance, id) over every segment, by
 * segment_index.c's distance (the same expressions), within max_dist. */
static int32_t brute_nearest(int32_t n_seg, const am_segment *seg,
                             const double *vx, const double *vy, double qx,
                             double qy, double max_dist, double *frac)
{
    double best_d2 = max_dist * max_dist * (1.0 + 8.0 * 2.220446049250313e-16);
    int32_t best = -1;
    double best_t = 0.0;
    for (int32_t i = 0; i < n_seg; i++) {
        const double x0 = vx[seg[i].v0], y0 = vy[seg[i].v0];
        const double x1 = vx[seg[i].v1], y1 = vy[seg[i].v1];
        const double dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy;
        double u = l2 > 0.0 ? ((qx - x0) * dx + (qy - y0) * dy) / l2 : 0.0;
        double ftx = x0 + u * dx, fty = y0 + u * dy;
        if (!(u > 0.0)) {
            u = 0.0;
            ftx = x0;
            fty = y0;
        } else if (u >= 1.0) {
            u = 1.0;
            ftx = x1;
            fty = y1;
        }
        const double d2 = (qx - ftx) * (qx - ftx) + (qy - fty) * (qy - fty);
        if (d2 < best_d2 || (d2 == best_d2 && (best < 0 || i < best))) {
            best_d2 = d2;
            best = i;
            best_t = u;
        }
    }
    *frac = 0.0;
    if (best < 0 || !(sqrt(best_d2) <= max_dist))
        return -1;
    *frac = best_t;
    return best;
}

/*
 * Block queries (am_segment_index_nearest_many) answer exactly as one
 * query per point, and as brute force: random segments on an integer grid
 * (ties, points exactly on vertices and segments), zero-length segments, a
 * dense knot of segments (candidate lists that overflow), points in runs
 * (blocks) and scattered, beyond the radius, non-finite; several radii,
 * one scratch reused across calls (its warm start and block switch).
 */
static void test_nearest_many_oracle(void **state)
{
    (void)state;
    enum { NV = 1200, NS = 900, NP = 3000 };
    double *vx = malloc(sizeof *vx * NV), *vy = malloc(sizeof *vy * NV);
    am_segment *seg = calloc(NS, sizeof *seg);
    double *px = malloc(sizeof *px * NP), *py = malloc(sizeof *py * NP);
    double *f = malloc(sizeof *f * NP);
    int32_t *id = malloc(sizeof *id * NP);
    assert_true(vx && vy && seg && px && py && f && id);
    am_segment_query *q = NULL;
    assert_int_equal(am_segment_query_create(&q), AM_OK);
    for (int round = 0; round < 6; round++) {
        /* vertices: an integer grid over 2 km, a knot of 400 in 20 m */
        for (int v = 0; v < NV; v++) {
            if (v < 400) {
                vx[v] = 1000.0 + (double)(splitmix64() % 21);
                vy[v] = 1000.0 + (double)(splitmix64() % 21);
            } else {
                vx[v] = (double)(splitmix64() % 2001) * (round % 2 ? 1.0 : 0.5);
                vy[v] = (double)(splitmix64() % 2001) * (round % 2 ? 1.0 : 0.5);
            }
        }
        for (int i = 0; i < NS; i++) {
            const int knot = i < 300;
            seg[i].v0 = (int32_t)(knot ? splitmix64() % 400
                                       : 400 + splitmix64() % (NV - 400));
            /* short segments to a nearby vertex index, some zero-length */
            seg[i].v1 = i % 17 == 0 ? seg[i].v0
                        : knot      ? (int32_t)(splitmix64() % 400)
                               : (int32_t)(400 + splitmix64() % (NV - 400));
        }
        am_segment_index *idx = NULL;
        assert_int_equal(am_segment_index_build(NS, seg, NV, vx, vy, &idx),
                         AM_OK);
        /* points: runs along rows (blocks), the knot, vertices, far away */
        int32_t k = 0;
        while (k < NP) {
            const int kind = (int)(splitmix64() % 5);
            const int len = 1 + (int)(splitmix64() % 24);
            const double x0 = 2500.0 * (unif_pm() + 1.0) - 1500.0;
            const double y0 = 2500.0 * (unif_pm() + 1.0) - 1500.0;
            const double step =
                kind == 4 ? 1.0 : 23.0 + 80.0 * (unif_pm() + 1.0);
            for (int j = 0; j < len && k < NP; j++, k++) {
                if (kind == 0) { /* exactly on a vertex */
                    const int32_t v = (int32_t)(splitmix64() % NV);
                    px[k] = vx[v];
                    py[k] = vy[v];
                } else if (kind == 1 && j % 9 == 4) { /* non-finite */
                    px[k] = j % 2 ? NAN : HUGE_VAL;
                    py[k] = 0.0;
                } else if (kind == 4) { /* in the knot */
                    px[k] = 1000.0 + 0.5 * (double)(splitmix64() % 41);
                    py[k] = 1000.0 + 0.5 * (double)(splitmix64() % 41) + j;
                } else { /* a row, on integer (often tied) places */
                    px[k] = floor(x0 + step * j);
                    py[k] = kind == 2 ? floor(y0) : floor(y0) + 0.5;
                }
            }
        }
        const double radii[] = {0.0, 3.0, 60.0, 400.0, 5000.0, INFINITY};
        for (size_t r = 0; r < sizeof radii / sizeof radii[0]; r++) {
            /* in pieces, as the snap calls it */
            for (int32_t i0 = 0; i0 < NP; i0 += 700) {
                const int32_t m = NP - i0 < 700 ? NP - i0 : 700;
                am_segment_index_nearest_many(idx, m, px + i0, py + i0,
                                              radii[r], q, id + i0, f + i0);
            }
            for (int32_t i = 0; i < NP; i++) {
                double d1, f1, fb;
                const int32_t s1 = am_segment_index_nearest(idx, px[i], py[i],
                                                            radii[r], &d1, &f1);
                assert_int_equal(id[i], s1);
                assert_memory_equal(&f[i], &f1, sizeof f1);
                if (!isfinite(px[i]))
                    continue;
                const int32_t sb =
                    brute_nearest(NS, seg, vx, vy, px[i], py[i], radii[r], &fb);
                assert_int_equal(s1, sb);
                assert_memory_equal(&f1, &fb, sizeof fb);
            }
        }
        am_segment_index_destroy(idx);
    }
    am_segment_query_destroy(q);
    free(vx);
    free(vy);
    free(seg);
    free(px);
    free(py);
    free(f);
    free(id);
}

/*
 * The fragment check made in the snap's pass (am_snap_points_fragments)
 * gives exactly what the engine computed before with a second snap of
 * every point onto the fragments' segments and a comparison: the same
 * distances (bit for bit), the same first links, the same points.
 */
static void test_fragments_match_second_snap(void **state)
{
    (void)state;
    const am_road_network *r = fx.roads;
    const int32_t nv = r->n_nodes;
    double *lon = NULL, *lat = NULL;
    const int32_t n = comoros_points(&lon, &lat);
    /* "allowed": the nodes west of a meridian through the network, and
     * six in seven of those east of it, so that points have fragments
     * both nearer than an allowed road and with no allowed road at all */
    double box[4];
    lonlat_box(nv, r->lon, r->lat, box);
    const double cut = 0.5 * (box[0] + box[2]);
#define ALLOWED(v) (r->lon[v] < cut || (v) % 7 != 0)
    am_segment *all = NULL, *ok = NULL, *frag = NULL;
    int32_t n_all = 0, n_ok = 0, n_frag = 0;
    assert_int_equal(am_segments_from_arcs(nv, r->n_arcs, r->tail, r->head,
                                           r->time_ds, NULL, &all, &n_all,
                                           NULL),
                     AM_OK);
    ok = malloc(sizeof *ok * (size_t)n_all);
    frag = malloc(sizeof *frag * (size_t)n_all);
    assert_non_null(ok);
    assert_non_null(frag);
    for (int32_t k = 0; k < n_all; k++) {
        if (ALLOWED(all[k].a) && ALLOWED(all[k].b))
            ok[n_ok++] = all[k];
        else
            frag[n_frag++] = all[k];
    }
    assert_true(n_ok > 100 && n_frag > 100);
    am_segment_index *iok = NULL, *ifr = NULL;
    assert_int_equal(
        am_segment_index_build(n_ok, ok, nv, fx.net.x, fx.net.y, &iok), AM_OK);
    assert_int_equal(
        am_segment_index_build(n_frag, frag, nv, fx.net.x, fx.net.y, &ifr),
        AM_OK);
    const double k = fx.net.target.max_scale;
    const am_snap_target tok = {
        iok, ok, n_ok, fx.net.to_metric, nv, r->lon, r->lat, NULL, k};
    const am_snap_target tfr = {
        ifr, frag, n_frag, fx.net.to_metric, nv, r->lon, r->lat, NULL, k};
    snapped a, b, f;
    snapped_alloc(&a, n);
    snapped_alloc(&b, n);
    snapped_alloc(&f, n);
    double *fd = malloc(sizeof *fd * (size_t)n);
    int32_t *fn = malloc(sizeof *fn * (size_t)n);
    assert_non_null(fd);
    assert_non_null(fn);
    for (int role = 0; role < 2; role++) {
        am_snap_options o = am_snap_options_default();
        o.max_distance_m = 2500.0;
        o.role = (am_snap_role)role;
        o.threads = 2;
        const am_snap_fragments fr = {ifr, frag, n_frag, fd, fn};
        assert_int_equal(am_snap_points_fragments(&tok, n, lon, lat, &o, a.node,
                                                  a.offset_ds, a.dist_m, &fr,
                                                  &a.n_on, NULL),
                         AM_OK);
        /* the same snap without the check */
        assert_int_equal(am_snap_points(&tok, n, lon, lat, &o, b.node,
                                        b.offset_ds, b.dist_m, &b.n_on, NULL),
                         AM_OK);
        assert_int_equal(a.n_on, b.n_on);
        assert_memory_equal(a.node, b.node, sizeof *a.node * 2 * (size_t)n);
        assert_memory_equal(a.offset_ds, b.offset_ds,
                            sizeof *a.offset_ds * 2 * (size_t)n);
        assert_memory_equal(a.dist_m, b.dist_m, sizeof *a.dist_m * (size_t)n);
        /* the reference: every point snapped onto the fragments (as people,
         * whatever the role), then compared */
        am_snap_options of = o;
        of.role = AM_SNAP_ORIGIN;
        assert_int_equal(am_snap_points(&tfr, n, lon, lat, &of, f.node,
                                        f.offset_ds, f.dist_m, &f.n_on, NULL),
                         AM_OK);
        int32_t nearer = 0, stranded = 0;
        for (int32_t i = 0; i < n; i++) {
            const int on_small = f.node[2 * i] >= 0;
            const int on_ok = a.node[2 * i] >= 0;
            const int kept = on_small && (!on_ok || f.dist_m[i] < a.dist_m[i]);
            if (!kept) {
                assert_int_equal(fn[i], -1);
                assert_true(isnan(fd[i]));
                continue;
            }
            assert_int_equal(fn[i], f.node[2 * i]);
            assert_memory_equal(&fd[i], &f.dist_m[i], sizeof fd[i]);
            nearer += on_ok;
            stranded += !on_ok;
        }
        assert_true(nearer > 100);
        assert_true(stranded >= 0);
    }
    /* an incomplete fragment target is refused */
    const am_snap_fragments bad = {NULL, frag, n_frag, fd, fn};
    int32_t n_on = 0;
    assert_int_equal(am_snap_points_fragments(&tok, n, lon, lat, NULL, a.node,
                                              a.offset_ds, a.dist_m, &bad,
                                              &n_on, NULL),
                     AM_ERR_INVALID);
    free(fd);
    free(fn);
    snapped_free(&a);
    snapped_free(&b);
    snapped_free(&f);
    am_segment_index_destroy(iok);
    am_segment_index_destroy(ifr);
    am_free(all);
    free(ok);
    free(frag);
    free(lon);
    free(lat);
}

/* Byte-identical output for any thread count. */
static void test_same_bytes_any_threads(void **state)
{
    (void)state;
    double *lon = NULL, *lat = NULL;
    int32_t n = comoros_points(&lon, &lat);
    /* enough tasks for 6 threads (one per 4 chunks) */
    assert_true(n > 24 * AM_SNAP_CHUNK);
    snapped ref, got;
    snapped_alloc(&ref, n);
    snapped_alloc(&got, n);
    snap_ok(&fx.net, n, lon, lat, 5000.0, 5.0, 1, AM_SNAP_ORIGIN, &ref);
    const int threads[] = {2, 3, 7};
    for (size_t t = 0; t < 3; t++) {
        memset(got.node, 0x5a, sizeof *got.node * 2 * (size_t)n);
        snap_ok(&fx.net, n, lon, lat, 5000.0, 5.0, threads[t], AM_SNAP_ORIGIN,
                &got);
        assert_same(&ref, &got);
    }
    /* Moroni (last) is on the network; the other edge cases are not. */
    assert_true(got.node[2 * (n - 1)] >= 0);
    for (int32_t i = n - 10; i < n - 1; i++)
        assert_int_equal(got.node[2 * i], -1);
    snapped_free(&ref);
    snapped_free(&got);
    free(lon);
    free(lat);
}

/*
 * Directions on a hand-made network near (0, 0) (1e-3 deg ~ 111 m):
 *   node 0 (0, 0) --one-way 0 -> 1, 1000 ds--> node 1 (0.01, 0)
 *   node 1 <-> node 2 (0.01, 0.01): 1 -> 2 600 ds, 2 -> 1 900 ds
 *   node 3 (0.03, 0) isolated except 3 <-> 4 (0.04, 0), 500 ds.
 * Segments (by (a, b)): 0 = {0, 1}, 1 = {1, 2}, 2 = {3, 4}.
 */
static const double hand_lon[] = {0.0, 0.01, 0.01, 0.03, 0.04};
static const double hand_lat[] = {0.0, 0.0, 0.01, 0.0, 0.0};
static const int32_t hand_tail[] = {0, 1, 2, 3, 4};
static const int32_t hand_head[] = {1, 2, 1, 4, 3};
static const uint32_t hand_time[] = {1000, 600, 900, 500, 500};

/* offset_ds - walk - drive within 2 ds (the frame's scale moves f by
 * ~1e-4 at most here). */
static void assert_link(const snapped *s, int32_t i, int k, int32_t node,
                        double lon, double lat, double foot_lon,
                        double foot_lat, double drive_ds)
{
    assert_int_equal(s->node[2 * i + k], node);
    const double walk =
        nearbyint(am_geodesic_distance_m(lon, lat, foot_lon, foot_lat) /
                  (5.0 / 3.6) * 10.0);
    const double got = (double)s->offset_ds[2 * i + k];
    if (!(fabs(got - walk - drive_ds) <= 2.0))
        fail_msg("link %d of point %d: %.0f ds, expected %.0f + %.0f", k,
                 (int)i, got, walk, drive_ds);
}

static void test_one_way_links(void **state)
{
    (void)state;
    net w;
    net_build(5, hand_lon, hand_lat, 5, hand_tail, hand_head, hand_time, NULL,
              &w);
    assert_int_equal(w.n_seg, 3);
    assert_int_equal(w.seg[0].a, 0);
    assert_int_equal(w.seg[0].b, 1);
    assert_int_equal(w.seg[0].time_ds[0], 1000);
    assert_int_equal(w.seg[0].time_ds[1], AM_TIME_INF);
    assert_int_equal(w.seg[1].time_ds[0], 600);
    assert_int_equal(w.seg[1].time_ds[1], 900);
    /* p0: a quarter along the one-way, 0.001 deg north of it; p1: half-way
     * up 1-2, 0.001 deg east; p2: exactly on node 1 (shared by segments 0
     * and 1: the tie goes to segment 0, its end b); p3: 0.0005 deg west of
     * node 0 (before the segment's start: the foot is node 0 itself). */
    const double lon[] = {0.0025, 0.011, 0.01, -0.0005};
    const double lat[] = {0.001, 0.005, 0.0, 0.0};
    snapped o, d;
    snapped_alloc(&o, 4);
    snapped_alloc(&d, 4);
    snap_ok(&w, 4, lon, lat, 5000.0, 5.0, 1, AM_SNAP_ORIGIN, &o);
    snap_ok(&w, 4, lon, lat, 5000.0, 5.0, 1, AM_SNAP_DESTINATION, &d);
    assert_int_equal(o.n_on, 4);
    /* p0, people: can only drive on to node 1 (0 -> 1 is one-way), the
     * remaining three quarters; facility: reached only from node 0, after
     * a quarter. */
    assert_link(&o, 0, 0, 1, lon[0], lat[0], 0.0025, 0.0, 750);
    assert_int_equal(o.node[1], -1);
    assert_int_equal(o.offset_ds[1], AM_TIME_INF);
    assert_link(&d, 0, 0, 0, lon[0], lat[0], 0.0025, 0.0, 250);
    assert_int_equal(d.node[1], -1);
    /* p1, people: to node 1 driving 2 -> 1 half-way (450), to node 2
     * driving 1 -> 2 half-way (300); facility: from node 1 (300), from
     * node 2 (450). */
    assert_link(&o, 1, 0, 1, lon[1], lat[1], 0.01, 0.005, 450);
    assert_link(&o, 1, 1, 2, lon[1], lat[1], 0.01, 0.005, 300);
    assert_link(&d, 1, 0, 1, lon[1], lat[1], 0.01, 0.005, 300);
    assert_link(&d, 1, 1, 2, lon[1], lat[1], 0.01, 0.005, 450);
    /* p2 and p3: at a node, one link, the walk only, whatever the role */
    for (int r = 0; r < 2; r++) {
        const snapped *s = r == 0 ? &o : &d;
        assert_int_equal(s->node[4], 1);
        assert_int_equal(s->offset_ds[4], 0);
        assert_int_equal(s->node[5], -1);
        assert_link(s, 3, 0, 0, lon[3], lat[3], 0.0, 0.0, 0);
        assert_int_equal(s->node[7], -1);
    }
    assert_true(o.dist_m[2] == 0.0);

    /* A mask without node 2: segment 1 is gone, p1 snaps onto the nearest
     * remaining road (node 1's end of segment 0). */
    const uint8_t allowed[] = {1, 1, 0, 1, 1};
    net wm;
    net_build(5, hand_lon, hand_lat, 5, hand_tail, hand_head, hand_time,
              allowed, &wm);
    assert_int_equal(wm.n_seg, 2);
    snap_ok(&wm, 4, lon, lat, 5000.0, 5.0, 1, AM_SNAP_ORIGIN, &o);
    assert_link(&o, 1, 0, 1, lon[1], lat[1], 0.01, 0.0, 0);
    assert_int_equal(o.node[3], -1);
    net_free(&wm);
    snapped_free(&o);
    snapped_free(&d);
    net_free(&w);
}

/* Segment table: parallel arcs merge (smallest time per direction),
 * self-loops go, bad ids are refused. */
static void test_segments_from_arcs(void **state)
{
    (void)state;
    const int32_t tail[] = {2, 0, 0, 1, 3, 0};
    const int32_t head[] = {0, 2, 2, 1, 9, 2};
    const uint32_t t[] = {70, 50, 40, 10, 1, 45};
    am_segment *s = NULL;
    int32_t n = -1;
    am_error err;
    assert_int_equal(
        am_segments_from_arcs(3, 6, tail, head, t, NULL, &s, &n, &err),
        AM_ERR_INVALID);
    assert_int_equal(err.feature, 4);
    assert_int_equal(
        am_segments_from_arcs(3, 4, tail, head, t, NULL, &s, &n, &err), AM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].a, 0);
    assert_int_equal(s[0].b, 2);
    assert_int_equal(s[0].v0, 0);
    assert_int_equal(s[0].v1, 2);
    assert_int_equal(s[0].time_ds[0], 40);
    assert_int_equal(s[0].time_ds[1], 70);
    assert_int_equal(s[0].before_ds[0], 0);
    assert_int_equal(s[0].after_ds[1], 0);
    am_free(s);
    const uint8_t none[] = {1, 1, 0};
    assert_int_equal(
        am_segments_from_arcs(3, 4, tail, head, t, none, &s, &n, &err), AM_OK);
    assert_int_equal(n, 0);
    assert_null(s);
}

/* The snap distance is on the ground and inclusive: a point off the
 * network is on at exactly its geodesic distance, off one ulp below. */
static void test_max_distance_inclusive(void **state)
{
    (void)state;
    double lon0 = fx.roads->lon[0] + 0.01, lat0 = fx.roads->lat[0] + 0.01;
    snapped o;
    snapped_alloc(&o, 1);
    snap_ok(&fx.net, 1, &lon0, &lat0, 5000.0, 5.0, 1, AM_SNAP_ORIGIN, &o);
    const double d = o.dist_m[0];
    if (!(d > 10.0 && d < 5000.0))
        fail_msg("distance %g m", d);
    snap_ok(&fx.net, 1, &lon0, &lat0, d, 5.0, 1, AM_SNAP_ORIGIN, &o);
    assert_true(o.node[0] >= 0);
    assert_int_equal(o.n_on, 1);
    assert_true(o.dist_m[0] == d);
    snap_ok(&fx.net, 1, &lon0, &lat0, nextafter(d, 0.0), 5.0, 1, AM_SNAP_ORIGIN,
            &o);
    assert_int_equal(o.node[0], -1);
    assert_int_equal(o.node[1], -1);
    assert_true(isnan(o.dist_m[0]));
    /* a node itself at distance 0 with max 0 */
    snap_ok(&fx.net, 1, &fx.roads->lon[7], &fx.roads->lat[7], 0.0, 5.0, 1,
            AM_SNAP_ORIGIN, &o);
    assert_int_equal(o.node[0], 7);
    assert_int_equal(o.offset_ds[0], 0);
    snapped_free(&o);
}

/* ---- far from the frame's centre: where the frame's scale is ~1 % ---- */

/*
 * The least geodesic distance from (plon, plat) to the segment between
 * two vertices, its points interpolated linearly in lon/lat as the snap's
 * foot is (golden-section search; road segments are short, the distance
 * along one is unimodal).
 */
static double geodesic_to_segment(double plon, double plat, double lon0,
                                  double lat0, double lon1, double lat1)
{
    const double g = 0.6180339887498949;
    double a = 0.0, b = 1.0;
    for (int it = 0; it < 60; it++) {
        const double c = b - g * (b - a), e = a + g * (b - a);
        const double dc = am_geodesic_distance_m(
            plon, plat, lon0 + c * (lon1 - lon0), lat0 + c * (lat1 - lat0));
        const double de = am_geodesic_distance_m(
            plon, plat, lon0 + e * (lon1 - lon0), lat0 + e * (lat1 - lat0));
        if (dc <= de)
            b = e;
        else
            a = c;
    }
    double best = am_geodesic_distance_m(plon, plat, lon0 + a * (lon1 - lon0),
                                         lat0 + a * (lat1 - lat0));
    best = fmin(best, am_geodesic_distance_m(plon, plat, lon0, lat0));
    return fmin(best, am_geodesic_distance_m(plon, plat, lon1, lat1));
}

/* Nodes 0-3: two tiny anchor segments at lon 0 and lon 20 on the equator,
 * so that the frame's centre is lon 10, lat ~0.05; the rest (from node 4)
 * a cluster near lon 18, ~890 km east of it. */
#define FAR_ANCHORS 4
static const double far_anchor_lon[] = {0.0, 0.001, 20.0, 20.001};
static const double far_anchor_lat[] = {0.0, 0.0, 0.0, 0.0};

/* The aeqd frame the engine used before the transverse Mercator one. */
#define FAR_AEQD                                                               \
    "+proj=aeqd +lat_0=0.05 +lon_0=10.0005 +datum=WGS84 +units=m +no_defs "    \
    "+type=crs"

/*
 * A point 1000 m south of an east-west road and 1002 m west of a
 * north-south one, ~890 km east of the frame's centre: the ground says
 * the first; the transverse Mercator frame (conformal, scale ~1.0098 both
 * ways) agrees; an azimuthal equidistant frame, exact east-west (radial)
 * here but 0.33 % long north-south, would pick the second. And the snap
 * distance is decided on the ground where the frame's scale is > 1: at
 * exactly the geodesic distance the point is on, one ulp below off,
 * though its planar distance is ~1 % longer.
 */
static void test_far_conformal_and_radius(void **state)
{
    (void)state;
    const double plon = 18.0, plat = 0.1;
    const double lat_a = plat + 1000.0 / 110574.3; /* ~1000 m north */
    const double lon_b = plon + 1002.0 / 111319.3; /* ~1002 m east */
    double lon[FAR_ANCHORS + 4], lat[FAR_ANCHORS + 4];
    memcpy(lon, far_anchor_lon, sizeof far_anchor_lon);
    memcpy(lat, far_anchor_lat, sizeof far_anchor_lat);
    /* road A: 4 - 5 east-west; road B: 6 - 7 north-south */
    lon[4] = plon - 0.02, lat[4] = lat_a, lon[5] = plon + 0.02, lat[5] = lat_a;
    lon[6] = lon_b, lat[6] = plat - 0.02, lon[7] = lon_b, lat[7] = plat + 0.02;
    const int32_t tail[] = {0, 2, 4, 6}, head[] = {1, 3, 5, 7};
    const uint32_t tt[] = {10, 10, 100, 100};
    const double da =
        geodesic_to_segment(plon, plat, lon[4], lat[4], lon[5], lat[5]);
    const double db =
        geodesic_to_segment(plon, plat, lon[6], lat[6], lon[7], lat[7]);
    /* the set-up: A nearer on the ground, by less than aeqd's anisotropy */
    assert_true(da < db && db < da * 1.003);

    net w, wa;
    net_build(FAR_ANCHORS + 4, lon, lat, 4, tail, head, tt, NULL, &w);
    net_build_in(FAR_AEQD, FAR_ANCHORS + 4, lon, lat, 4, tail, head, tt, NULL,
                 &wa);
    if (!(w.target.max_scale > 1.009 && w.target.max_scale < 1.03))
        fail_msg("max_scale %.9g", w.target.max_scale);
    snapped o;
    snapped_alloc(&o, 1);
    snap_ok(&w, 1, &plon, &plat, 5000.0, 5.0, 1, AM_SNAP_ORIGIN, &o);
    /* road A (one-way 4 -> 5: people drive on to 5) */
    assert_int_equal(o.node[0], 5);
    assert_int_equal(o.node[1], -1);
    assert_true(fabs(o.dist_m[0] - da) < 0.01);
    /* the aeqd frame picks road B */
    double x = plon, y = plat, dp = 0.0;
    assert_int_equal(am_transform_points(wa.to_metric, 1, &x, &y, NULL, NULL),
                     AM_OK);
    const int32_t sa =
        am_segment_index_nearest(wa.index, x, y, INFINITY, NULL, NULL);
    assert_int_equal(wa.seg[sa].a, 6);

    /* the radius, on the ground */
    const double d = o.dist_m[0];
    x = plon, y = plat;
    assert_int_equal(am_transform_points(w.to_metric, 1, &x, &y, NULL, NULL),
                     AM_OK);
    assert_true(x > 8.8e5); /* ~890 km east of the central meridian */
    assert_true(am_segment_index_nearest(w.index, x, y, INFINITY, &dp, NULL) >=
                0);
    assert_true(dp > d * 1.009); /* the frame's scale there */
    snap_ok(&w, 1, &plon, &plat, d, 5.0, 1, AM_SNAP_ORIGIN, &o);
    assert_int_equal(o.n_on, 1);
    assert_int_equal(o.node[0], 5);
    assert_true(o.dist_m[0] == d);
    snap_ok(&w, 1, &plon, &plat, nextafter(d, 0.0), 5.0, 1, AM_SNAP_ORIGIN, &o);
    assert_int_equal(o.n_on, 0);
    assert_int_equal(o.node[0], -1);
    assert_true(isnan(o.dist_m[0]));
    /* a max_scale that is not a bound is refused */
    am_snap_target t = w.target;
    int32_t nd[2], n_on = 0;
    uint32_t off[2];
    am_error err;
    t.max_scale = 0.99;
    assert_int_equal(
        am_snap_points(&t, 1, &plon, &plat, NULL, nd, off, NULL, &n_on, &err),
        AM_ERR_INVALID);
    t.max_scale = NAN;
    assert_int_equal(
        am_snap_points(&t, 1, &plon, &plat, NULL, nd, off, NULL, &n_on, &err),
        AM_ERR_INVALID);
    t.max_scale = INFINITY; /* an unbounded search: the same answer */
    assert_int_equal(
        am_snap_points(&t, 1, &plon, &plat, NULL, nd, off, NULL, &n_on, &err),
        AM_OK);
    assert_int_equal(nd[0], 5);
    snapped_free(&o);
    net_free(&w);
    net_free(&wa);
}

/*
 * Random short roads in a 60 km square ~890 km east of the frame's centre
 * and points around them: each point's snap distance is its least
 * geodesic distance to any road (a brute-force oracle over every segment)
 * up to the frame's change of scale between the two feet (at most 1e-4
 * relative here, 0.23 m at 2 km), and the radius decides on it. The aeqd
 * frame, for comparison, misses the nearest road by more than that at
 * some points (its 0.33 % anisotropy).
 */
static void test_far_geodesic_oracle(void **state)
{
    (void)state;
    enum { NSEG = 300, NPT = 4000 };
    const int32_t nv = FAR_ANCHORS + 2 * NSEG;
    double lon[FAR_ANCHORS + 2 * NSEG], lat[FAR_ANCHORS + 2 * NSEG];
    int32_t tail[2 + NSEG], head[2 + NSEG];
    uint32_t tt[2 + NSEG];
    memcpy(lon, far_anchor_lon, sizeof far_anchor_lon);
    memcpy(lat, far_anchor_lat, sizeof far_anchor_lat);
    tail[0] = 0, head[0] = 1, tail[1] = 2, head[1] = 3, tt[0] = tt[1] = 10;
    for (int k = 0; k < NSEG; k++) {
        const int32_t v = FAR_ANCHORS + 2 * k;
        const double clon = 18.0 + 0.27 * unif_pm();
        const double clat = 0.3 + 0.27 * unif_pm();
        const double ang = 3.14159265358979 * unif_pm();
        const double len = 0.002 + 0.004 * (unif_pm() + 1.0); /* ~0.2-1 km */
        lon[v] = clon - 0.5 * len * cos(ang);
        lat[v] = clat - 0.5 * len * sin(ang);
        lon[v + 1] = clon + 0.5 * len * cos(ang);
        lat[v + 1] = clat + 0.5 * len * sin(ang);
        tail[2 + k] = v;
        head[2 + k] = v + 1;
        tt[2 + k] = 100;
    }
    net w, wa;
    net_build(nv, lon, lat, 2 + NSEG, tail, head, tt, NULL, &w);
    net_build_in(FAR_AEQD, nv, lon, lat, 2 + NSEG, tail, head, tt, NULL, &wa);
    double plon[NPT], plat[NPT], best[NPT], seg_len[NSEG + 2];
    struct lb_seg {
        double lb;
        int32_t s;
    } lb[NSEG + 2];
    assert_true(w.n_seg <= NSEG + 2);
    for (int32_t s = 0; s < w.n_seg; s++)
        seg_len[s] = am_geodesic_distance_m(lon[w.seg[s].v0], lat[w.seg[s].v0],
                                            lon[w.seg[s].v1], lat[w.seg[s].v1]);
    for (int i = 0; i < NPT; i++) {
        plon[i] = 18.0 + 0.3 * unif_pm();
        plat[i] = 0.3 + 0.3 * unif_pm();
        best[i] = HUGE_VAL;
        /* every segment, nearest lower bound first (its nearer end less
         * its length), until the bound passes the best distance */
        for (int32_t s = 0; s < w.n_seg; s++) {
            const int32_t v0 = w.seg[s].v0;
            lb[s].lb =
                am_geodesic_distance_m(plon[i], plat[i], lon[v0], lat[v0]) -
                seg_len[s] - 1.0;
            lb[s].s = s;
        }
        for (int32_t a = 1; a < w.n_seg; a++) /* insertion sort */
            for (int32_t b = a; b > 0 && lb[b].lb < lb[b - 1].lb; b--) {
                const struct lb_seg t = lb[b];
                lb[b] = lb[b - 1];
                lb[b - 1] = t;
            }
        for (int32_t k = 0; k < w.n_seg && lb[k].lb <= best[i]; k++) {
            const int32_t v0 = w.seg[lb[k].s].v0, v1 = w.seg[lb[k].s].v1;
            best[i] =
                fmin(best[i], geodesic_to_segment(plon[i], plat[i], lon[v0],
                                                  lat[v0], lon[v1], lat[v1]));
        }
    }
    const double max_m = 2000.0;
    snapped o, oa;
    snapped_alloc(&o, NPT);
    snapped_alloc(&oa, NPT);
    snap_ok(&w, NPT, plon, plat, max_m, 5.0, 2, AM_SNAP_ORIGIN, &o);
    snap_ok(&wa, NPT, plon, plat, max_m, 5.0, 2, AM_SNAP_ORIGIN, &oa);
    int on = 0, aeqd_worse = 0;
    for (int i = 0; i < NPT; i++) {
        /* the frame's scale k changes by (x / R^2) dx: up to 2 best[i]
         * apart (the two feet) with x < 1.15e6 m, R = 6.345e6 m */
        const double tol =
            2.0 * 1.15e6 / (6.345e6 * 6.345e6) * best[i] * best[i] + 1e-3;
        if (best[i] <= max_m - tol) {
            assert_true(o.node[2 * i] >= 0);
            if (!(fabs(o.dist_m[i] - best[i]) <= tol))
                fail_msg("point %d: snapped at %.6f m, the nearest road is "
                         "%.6f m away",
                         i, o.dist_m[i], best[i]);
            on++;
            aeqd_worse += oa.dist_m[i] > best[i] + tol;
        } else if (best[i] > max_m + tol) {
            assert_int_equal(o.node[2 * i], -1);
        }
    }
    assert_true(on > NPT / 4 && on < NPT);
    assert_true(aeqd_worse > 0);
    snapped_free(&o);
    snapped_free(&oa);
    net_free(&w);
    net_free(&wa);
}

static void test_optional_outputs_and_empty(void **state)
{
    (void)state;
    const double lon[] = {43.25, 43.3}, lat[] = {-11.7, -11.65};
    snapped ref;
    snapped_alloc(&ref, 2);
    snap_ok(&fx.net, 2, lon, lat, 5000.0, 5.0, 1, AM_SNAP_ORIGIN, &ref);
    int32_t node[4], n_on = -1;
    uint32_t off[4];
    assert_int_equal(am_snap_points(&fx.net.target, 2, lon, lat, NULL, node,
                                    off, NULL, &n_on, NULL),
                     AM_OK);
    assert_memory_equal(node, ref.node, sizeof node);
    assert_memory_equal(off, ref.offset_ds, sizeof off);
    assert_int_equal(n_on, ref.n_on);
    assert_int_equal(am_snap_points(&fx.net.target, 0, NULL, NULL, NULL, NULL,
                                    NULL, NULL, &n_on, NULL),
                     AM_OK);
    assert_int_equal(n_on, 0);
    snapped_free(&ref);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    am_error err;
    double lon = 43.25, lat = -11.7, dist = 0.0;
    int32_t node[2] = {0, 0}, n_on = -1;
    uint32_t off[2] = {0, 0};
    am_snap_options o = am_snap_options_default();
    const am_snap_target *ft = &fx.net.target;
    assert_int_equal(
        am_snap_points(ft, -1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    assert_int_equal(n_on, 0);
    assert_int_equal(
        am_snap_points(NULL, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    assert_int_equal(
        am_snap_points(ft, 1, &lon, NULL, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    assert_int_equal(
        am_snap_points(ft, 1, &lon, &lat, &o, node, NULL, &dist, &n_on, &err),
        AM_ERR_INVALID);
    assert_int_equal(
        am_snap_points(ft, 1, &lon, &lat, &o, node, off, &dist, NULL, &err),
        AM_ERR_INVALID);
    am_snap_target t = *ft;
    t.to_metric = NULL;
    assert_int_equal(
        am_snap_points(&t, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    o.max_distance_m = NAN;
    assert_int_equal(
        am_snap_points(ft, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    o.max_distance_m = -1.0;
    assert_int_equal(
        am_snap_points(ft, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    o = am_snap_options_default();
    o.walk_speed_kmh = 0.0;
    assert_int_equal(
        am_snap_points(ft, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "walking speed"));
    o.walk_speed_kmh = INFINITY;
    assert_int_equal(
        am_snap_points(ft, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    o = am_snap_options_default();
    o.role = (am_snap_role)7;
    assert_int_equal(
        am_snap_points(ft, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INVALID);
    /* An index that does not match the segment or vertex arrays: an error,
     * not a read past their end. */
    o = am_snap_options_default();
    t = *ft;
    t.n_segments = 10;
    assert_int_equal(
        am_snap_points(&t, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INTERNAL);
    assert_int_equal(node[0], -1);
    assert_int_equal(node[1], -1);
    assert_int_equal(n_on, 0);
    t = *ft;
    t.n_vertices = 10;
    assert_int_equal(
        am_snap_points(&t, 1, &lon, &lat, &o, node, off, &dist, &n_on, &err),
        AM_ERR_INTERNAL);
    /* the index refuses a segment naming a vertex it does not have */
    am_segment_index *idx = NULL;
    assert_int_equal(am_segment_index_build(fx.net.n_seg, fx.net.seg, 10,
                                            fx.net.x, fx.net.y, &idx),
                     AM_ERR_INVALID);
    assert_null(idx);
}

/* ---- progress and cancellation, on a synthetic 300 x 300 node grid ---- */

typedef struct progress_log {
    int calls;
    int stop_at; /* 0: never */
    double last;
    int decreasing;
} progress_log;

static int log_progress(double fraction, const char *message, void *user)
{
    progress_log *l = user;
    assert_non_null(message);
    if (fraction < l->last)
        l->decreasing = 1;
    l->last = fraction;
    l->calls++;
    return l->stop_at == 0 || l->calls < l->stop_at;
}

static void test_progress_and_cancel(void **state)
{
    (void)state;
    am_error err;
    const int32_t side = 300, nn = side * side;
    double *nlon = malloc(sizeof *nlon * (size_t)nn);
    double *nlat = malloc(sizeof *nlat * (size_t)nn);
    int32_t *tail = malloc(sizeof *tail * (size_t)nn);
    int32_t *head = malloc(sizeof *head * (size_t)nn);
    uint32_t *tt = malloc(sizeof *tt * (size_t)nn);
    assert_true(nlon && nlat && tail && head && tt);
    int64_t m = 0;
    for (int32_t i = 0; i < nn; i++) {
        nlon[i] = 10.0 + 0.001 * (i % side);
        nlat[i] = 50.0 + 0.001 * (i / side);
        if (i % side != side - 1) { /* east-west streets, one-way east */
            tail[m] = i;
            head[m] = i + 1;
            tt[m] = 70;
            m++;
        }
    }
    net w;
    net_build(nn, nlon, nlat, m, tail, head, tt, NULL, &w);

    const int32_t n = 150000; /* three rounds */
    double *lon = malloc(sizeof *lon * (size_t)n);
    double *lat = malloc(sizeof *lat * (size_t)n);
    assert_non_null(lon);
    assert_non_null(lat);
    for (int32_t i = 0; i < n; i++) {
        lon[i] = 10.15 + 0.2 * unif_pm();
        lat[i] = 50.15 + 0.2 * unif_pm();
    }
    snapped ref, got;
    snapped_alloc(&ref, n);
    snapped_alloc(&got, n);
    snap_ok(&w, n, lon, lat, 300.0, 5.0, 1, AM_SNAP_ORIGIN, &ref);

    progress_log log = {0, 0, 0.0, 0};
    am_snap_options o = am_snap_options_default();
    o.max_distance_m = 300.0;
    o.threads = 2;
    o.progress = log_progress;
    o.progress_user = &log;
    assert_int_equal(am_snap_points(&w.target, n, lon, lat, &o, got.node,
                                    got.offset_ds, got.dist_m, &got.n_on, &err),
                     AM_OK);
    assert_same(&ref, &got);
    assert_int_equal(log.calls, 3);
    assert_true(log.last == 1.0);
    assert_false(log.decreasing);

    log = (progress_log){0, 2, 0.0, 0};
    assert_int_equal(am_snap_points(&w.target, n, lon, lat, &o, got.node,
                                    got.offset_ds, got.dist_m, &got.n_on, &err),
                     AM_ERR_CANCELLED);
    assert_int_equal(log.calls, 2);
    assert_int_equal(got.n_on, 0);
    for (int32_t i = 0; i < 2 * n; i++) { /* a cancelled call leaves no half */
        assert_int_equal(got.node[i], -1);
        assert_int_equal(got.offset_ds[i], AM_TIME_INF);
    }
    snapped_free(&ref);
    snapped_free(&got);
    free(lon);
    free(lat);
    net_free(&w);
    free(nlon);
    free(nlat);
    free(tail);
    free(head);
    free(tt);
}

/* ---- cell centres ----------------------------------------------------- */

/* Every populated cell, the list repeated up to at least min_n cells (one
 * thread per 64 chunks: several threads need a few hundred thousand). */
static void check_centres(const char *path, int32_t min_n)
{
    am_error err;
    am_population *p = NULL;
    am_population_options po = {path, 1, NULL, 0, NULL};
    assert_int_equal(am_population_load(&po, NULL, NULL, &p, &err), AM_OK);
    const int32_t m = p->n_cells;
    const int32_t n = m * ((min_n + m - 1) / m);
    int64_t *cell = malloc(sizeof *cell * (size_t)n);
    double *rx = malloc(sizeof *rx * (size_t)n);
    double *ry = malloc(sizeof *ry * (size_t)n);
    double *lon = malloc(sizeof *lon * (size_t)n);
    double *lat = malloc(sizeof *lat * (size_t)n);
    assert_true(cell && rx && ry && lon && lat);
    for (int32_t i = 0; i < n; i++) {
        cell[i] = p->cell[i % m];
        am_grid_cell_center(&p->grid, (int32_t)(cell[i] % p->grid.nx),
                            (int32_t)(cell[i] / p->grid.nx), &rx[i], &ry[i]);
    }
    am_transform *to_ll = NULL;
    assert_int_equal(
        am_transform_create(p->crs_wkt, AM_CRS_WGS84, &to_ll, &err), AM_OK);
    assert_int_equal(am_transform_points(to_ll, (size_t)n, rx, ry, NULL, &err),
                     AM_OK);
    const int threads[] = {1, 2, 5};
    for (size_t t = 0; t < 3; t++) {
        int32_t failed = -1;
        memset(lon, 0, sizeof *lon * (size_t)n);
        assert_int_equal(am_snap_cell_centers(&p->grid, to_ll, n, cell,
                                              threads[t], lon, lat, &failed,
                                              &err),
                         AM_OK);
        assert_int_equal(failed, 0);
        assert_memory_equal(lon, rx, sizeof *lon * (size_t)n);
        assert_memory_equal(lat, ry, sizeof *lat * (size_t)n);
    }
    /* A cell beyond the grid is refused, naming its position. */
    if (n > 1) {
        cell[1] = (int64_t)p->grid.nx * p->grid.ny;
        assert_int_equal(am_snap_cell_centers(&p->grid, to_ll, n, cell, 2, lon,
                                              lat, NULL, &err),
                         AM_ERR_INVALID);
        assert_int_equal(err.feature, 1);
        cell[1] = -1;
        assert_int_equal(am_snap_cell_centers(&p->grid, to_ll, n, cell, 2, lon,
                                              lat, NULL, &err),
                         AM_ERR_INVALID);
    }
    assert_int_equal(am_snap_cell_centers(&p->grid, to_ll, 0, NULL, 2, NULL,
                                          NULL, NULL, &err),
                     AM_OK);
    am_transform_destroy(to_ll);
    am_population_destroy(p);
    free(cell);
    free(rx);
    free(ry);
    free(lon);
    free(lat);
}

static void test_cell_centres_geographic(void **state)
{
    (void)state;
    check_centres(COMOROS_POP, 400000); /* EPSG:4326, 2 x 203k cells */
}

static void test_cell_centres_projected(void **state)
{
    (void)state;
    check_centres(HELSINKI_POP, 400000); /* EPSG:3879, 120 cells repeated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_brute_force),
        cmocka_unit_test(test_same_bytes_any_threads),
        cmocka_unit_test(test_hint_and_threads_same_answer),
        cmocka_unit_test(test_fragments_match_second_snap),
        cmocka_unit_test(test_one_way_links),
        cmocka_unit_test(test_segments_from_arcs),
        cmocka_unit_test(test_max_distance_inclusive),
        cmocka_unit_test(test_far_conformal_and_radius),
        cmocka_unit_test(test_far_geodesic_oracle),
        cmocka_unit_test(test_optional_outputs_and_empty),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_cell_centres_geographic),
        cmocka_unit_test(test_cell_centres_projected),
        cmocka_unit_test(test_nearest_many_oracle),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
