/*
 * test_snap.c: parallel snapping and cell centres (geo/snap.h) against a
 * serial oracle, on real data.
 *
 * The oracle is the engine's snapping as it was before it moved into geo/
 * (engine.c, snap_points and the cell-centre loop of snap_population),
 * written out here with the same primitives: one transform of the whole
 * array into the metric frame, the k-d tree per point, the geodesic
 * distance and nearbyint(d / (kmh / 3.6) * 10). am_snap_points must give
 * the same bytes as the oracle for 1, 2, 3 and 7 threads.
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

#include "common/units.h"
#include "geo/crs.h"
#include "geo/geodesic.h"
#include "geo/snap.h"
#include "geo/spatial_index.h"
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

typedef struct fixture {
    am_road_network *roads;
    am_transform *to_metric;
    am_spatial_index *index;
    am_snap_target target;
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

/* Metric frame around the points, their index, and the target over them. */
static void target_build(int32_t n, const double *lon, const double *lat,
                         am_transform **to_metric, am_spatial_index **index,
                         am_snap_target *t)
{
    am_error err;
    char frame[256];
    double box[4];
    lonlat_box(n, lon, lat, box);
    assert_int_equal(am_crs_metric_frame(box[0], box[1], box[2], box[3], frame,
                                         sizeof frame, &err),
                     AM_OK);
    assert_int_equal(am_transform_create(AM_CRS_WGS84, frame, to_metric, &err),
                     AM_OK);
    double *x = malloc(sizeof *x * (size_t)n);
    double *y = malloc(sizeof *y * (size_t)n);
    assert_non_null(x);
    assert_non_null(y);
    memcpy(x, lon, sizeof *x * (size_t)n);
    memcpy(y, lat, sizeof *y * (size_t)n);
    assert_int_equal(
        am_transform_points(*to_metric, (size_t)n, x, y, NULL, &err), AM_OK);
    assert_int_equal(am_spatial_index_build(n, x, y, index), AM_OK);
    free(x);
    free(y);
    *t = (am_snap_target){*index, *to_metric, n, lon, lat};
}

static int group_setup(void **state)
{
    (void)state;
    am_error err;
    am_road_options o = {.path = COMOROS_ROADS, .layer = NULL, .where = NULL};
    if (am_roads_load(&o, NULL, NULL, &fx.roads, &err) != AM_OK)
        return -1;
    target_build(fx.roads->n_nodes, fx.roads->lon, fx.roads->lat, &fx.to_metric,
                 &fx.index, &fx.target);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    am_spatial_index_destroy(fx.index);
    am_transform_destroy(fx.to_metric);
    am_road_network_destroy(fx.roads);
    return 0;
}

/* ---- the oracle ------------------------------------------------------- */

typedef struct snapped {
    int32_t n;
    int32_t *node;
    double *dist_m;
    uint32_t *offset_ds;
    int32_t n_on;
} snapped;

static void snapped_alloc(snapped *s, int32_t n)
{
    s->n = n;
    s->node = malloc(sizeof *s->node * (size_t)(n > 0 ? n : 1));
    s->dist_m = malloc(sizeof *s->dist_m * (size_t)(n > 0 ? n : 1));
    s->offset_ds = malloc(sizeof *s->offset_ds * (size_t)(n > 0 ? n : 1));
    assert_non_null(s->node);
    assert_non_null(s->dist_m);
    assert_non_null(s->offset_ds);
    s->n_on = -1;
}

static void snapped_free(snapped *s)
{
    free(s->node);
    free(s->dist_m);
    free(s->offset_ds);
}

/* engine.c's snap_points, serial, with the target's own transform. */
static void oracle(const am_snap_target *t, am_transform *to_metric, int32_t n,
                   const double *lon, const double *lat, double max_m,
                   double walk_kmh, snapped *out)
{
    am_error err;
    const double walk_mps = walk_kmh / 3.6;
    double *x = malloc(sizeof *x * (size_t)(n > 0 ? n : 1));
    double *y = malloc(sizeof *y * (size_t)(n > 0 ? n : 1));
    assert_non_null(x);
    assert_non_null(y);
    memcpy(x, lon, sizeof *x * (size_t)n);
    memcpy(y, lat, sizeof *y * (size_t)n);
    assert_int_equal(
        am_transform_points(to_metric, (size_t)n, x, y, NULL, &err), AM_OK);
    out->n_on = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t v = -1;
        if (isfinite(x[i]) && isfinite(y[i]))
            v = am_spatial_index_nearest(t->index, x[i], y[i], max_m, NULL);
        out->node[i] = v;
        if (v < 0) {
            out->dist_m[i] = NAN;
            out->offset_ds[i] = AM_TIME_INF;
            continue;
        }
        double d = am_geodesic_distance_m(lon[i], lat[i], t->node_lon[v],
                                          t->node_lat[v]);
        out->dist_m[i] = d;
        double ds = nearbyint(d / walk_mps * 10.0);
        out->offset_ds[i] =
            ds < (double)AM_TIME_INF ? (uint32_t)ds : AM_TIME_INF - 1;
        out->n_on++;
    }
    free(x);
    free(y);
}

static void snap_ok(const am_snap_target *t, int32_t n, const double *lon,
                    const double *lat, double max_m, double walk_kmh,
                    int threads, snapped *out)
{
    am_error err;
    am_snap_options o = am_snap_options_default();
    o.max_distance_m = max_m;
    o.walk_speed_kmh = walk_kmh;
    o.threads = threads;
    am_status rc = am_snap_points(t, n, lon, lat, &o, out->node, out->dist_m,
                                  out->offset_ds, &out->n_on, &err);
    if (rc != AM_OK)
        fail_msg("am_snap_points: %s (%s)", err.msg, am_status_name(rc));
}

static void assert_same(const snapped *a, const snapped *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->n_on, b->n_on);
    size_t n = (size_t)a->n;
    for (size_t i = 0; i < n; i++) {
        if (a->node[i] != b->node[i] || a->offset_ds[i] != b->offset_ds[i] ||
            memcmp(&a->dist_m[i], &b->dist_m[i], sizeof(double)) != 0)
            fail_msg("point %zu: node %d / %d, dist %.17g / %.17g, "
                     "offset %u / %u",
                     i, a->node[i], b->node[i], a->dist_m[i], b->dist_m[i],
                     a->offset_ds[i], b->offset_ds[i]);
    }
    assert_memory_equal(a->node, b->node, n * sizeof *a->node);
    assert_memory_equal(a->dist_m, b->dist_m, n * sizeof *a->dist_m);
    assert_memory_equal(a->offset_ds, b->offset_ds, n * sizeof *a->offset_ds);
}

/* ---- the points ------------------------------------------------------- */

/* Every 4th populated cell's centre, lon/lat, via the oracle's loop. */
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

/* ---- tests ------------------------------------------------------------ */

static void test_matches_oracle_any_threads(void **state)
{
    (void)state;
    double *lon = NULL, *lat = NULL;
    int32_t n = comoros_points(&lon, &lat);
    /* enough tasks for 6 threads (one per 4 chunks) */
    assert_true(n > 24 * AM_SNAP_CHUNK);
    snapped ref, got;
    snapped_alloc(&ref, n);
    snapped_alloc(&got, n);
    oracle(&fx.target, fx.to_metric, n, lon, lat, 5000.0, 5.0, &ref);
    /* the fixture has both kinds */
    assert_true(ref.n_on > n / 2);
    assert_true(ref.n_on < n - 10);
    const int threads[] = {1, 2, 3, 7, 0};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        memset(got.node, 0x5a, sizeof *got.node * (size_t)n);
        snap_ok(&fx.target, n, lon, lat, 5000.0, 5.0, threads[t], &got);
        assert_same(&ref, &got);
    }
    /* Another distance and speed: still the oracle's bytes. */
    oracle(&fx.target, fx.to_metric, n, lon, lat, 750.0, 4.2, &ref);
    snap_ok(&fx.target, n, lon, lat, 750.0, 4.2, 2, &got);
    assert_same(&ref, &got);
    /* Edge cases by value (the last n_edge points). */
    const int32_t e = n - 10;
    for (int32_t i = e; i < e + 8; i++) {
        assert_int_equal(got.node[i], -1);
        assert_true(isnan(got.dist_m[i]));
        assert_int_equal(got.offset_ds[i], AM_TIME_INF);
    }
    snap_ok(&fx.target, n, lon, lat, 5000.0, 5.0, 2, &got);
    assert_int_equal(got.node[n - 1], ref.node[n - 1]);
    assert_true(got.node[n - 1] >= 0);
    for (int32_t i = 0; i < n; i++) { /* snapped: finite, capped times */
        if (got.node[i] < 0)
            continue;
        assert_true(got.dist_m[i] >= 0.0 && got.dist_m[i] < 5100.0);
        assert_true(got.offset_ds[i] < AM_TIME_INF);
    }
    snapped_free(&ref);
    snapped_free(&got);
    free(lon);
    free(lat);
}

/* The distance bound is inclusive, on the planar distance in the frame. */
static void test_max_distance_inclusive(void **state)
{
    (void)state;
    /* 1.3 km south-east of a road node, in the sea off Moroni or inland. */
    const double lon0 = fx.roads->lon[100] + 0.009;
    const double lat0 = fx.roads->lat[100] - 0.008;
    double x = lon0, y = lat0, d = 0.0;
    am_error err;
    assert_int_equal(am_transform_points(fx.to_metric, 1, &x, &y, NULL, &err),
                     AM_OK);
    int32_t v = am_spatial_index_nearest(fx.index, x, y, 5000.0, &d);
    assert_true(v >= 0);
    assert_true(d > 0.0);
    snapped s;
    snapped_alloc(&s, 1);
    snap_ok(&fx.target, 1, &lon0, &lat0, d, 5.0, 1, &s);
    assert_int_equal(s.node[0], v);
    assert_int_equal(s.n_on, 1);
    snap_ok(&fx.target, 1, &lon0, &lat0, nextafter(d, 0.0), 5.0, 1, &s);
    assert_int_equal(s.node[0], -1);
    assert_int_equal(s.n_on, 0);
    assert_true(isnan(s.dist_m[0]));
    assert_int_equal(s.offset_ds[0], AM_TIME_INF);
    /* max 0: only a point exactly on a node. */
    snap_ok(&fx.target, 1, &fx.roads->lon[7], &fx.roads->lat[7], 0.0, 5.0, 1,
            &s);
    assert_true(s.node[0] >= 0);
    assert_true(s.dist_m[0] == 0.0);
    assert_int_equal(s.offset_ds[0], 0);
    snapped_free(&s);
}

/* The walking time: whole deciseconds, rounded, capped below INF. */
static void test_walking_time(void **state)
{
    (void)state;
    const double lon0 = fx.roads->lon[100] + 0.009;
    const double lat0 = fx.roads->lat[100] - 0.008;
    snapped s;
    snapped_alloc(&s, 1);
    snap_ok(&fx.target, 1, &lon0, &lat0, 5000.0, 5.0, 1, &s);
    assert_true(s.node[0] >= 0);
    const double d = am_geodesic_distance_m(
        lon0, lat0, fx.roads->lon[s.node[0]], fx.roads->lat[s.node[0]]);
    assert_true(memcmp(&d, &s.dist_m[0], sizeof d) == 0);
    assert_int_equal(s.offset_ds[0], (uint32_t)nearbyint(d / (5.0 / 3.6) * 10));
    /* 1e-9 km/h: the time is far beyond 2^31 ds and capped. */
    snap_ok(&fx.target, 1, &lon0, &lat0, 5000.0, 1e-9, 1, &s);
    assert_int_equal(s.offset_ds[0], AM_TIME_INF - 1);
    snapped_free(&s);
}

/* dist_m and offset_ds may be left out; n = 0 touches nothing. */
static void test_optional_outputs_and_empty(void **state)
{
    (void)state;
    am_error err;
    const int32_t n = 500;
    double lon[500], lat[500];
    for (int32_t i = 0; i < n; i++) {
        lon[i] = 43.25 + 0.1 * unif_pm();
        lat[i] = -11.7 + 0.1 * unif_pm();
    }
    snapped ref;
    snapped_alloc(&ref, n);
    oracle(&fx.target, fx.to_metric, n, lon, lat, 5000.0, 5.0, &ref);
    int32_t node[500], n_on = -1;
    assert_int_equal(am_snap_points(&fx.target, n, lon, lat, NULL, node, NULL,
                                    NULL, &n_on, &err),
                     AM_OK);
    assert_memory_equal(node, ref.node, sizeof node);
    assert_int_equal(n_on, ref.n_on);
    snapped_free(&ref);

    n_on = -1;
    assert_int_equal(am_snap_points(&fx.target, 0, NULL, NULL, NULL, NULL, NULL,
                                    NULL, &n_on, &err),
                     AM_OK);
    assert_int_equal(n_on, 0);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    am_error err;
    double lon = 43.25, lat = -11.7, dist = 0.0;
    int32_t node = 0, n_on = -1;
    uint32_t off = 0;
    am_snap_options o = am_snap_options_default();
    assert_int_equal(am_snap_points(&fx.target, -1, &lon, &lat, &o, &node,
                                    &dist, &off, &n_on, &err),
                     AM_ERR_INVALID);
    assert_int_equal(n_on, 0);
    assert_int_equal(am_snap_points(NULL, 1, &lon, &lat, &o, &node, &dist, &off,
                                    &n_on, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_snap_points(&fx.target, 1, &lon, NULL, &o, &node, &dist,
                                    &off, &n_on, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_snap_points(&fx.target, 1, &lon, &lat, &o, &node, &dist,
                                    &off, NULL, &err),
                     AM_ERR_INVALID);
    am_snap_target t = fx.target;
    t.to_metric = NULL;
    assert_int_equal(
        am_snap_points(&t, 1, &lon, &lat, &o, &node, &dist, &off, &n_on, &err),
        AM_ERR_INVALID);
    o.max_distance_m = NAN;
    assert_int_equal(am_snap_points(&fx.target, 1, &lon, &lat, &o, &node, &dist,
                                    &off, &n_on, &err),
                     AM_ERR_INVALID);
    o.max_distance_m = -1.0;
    assert_int_equal(am_snap_points(&fx.target, 1, &lon, &lat, &o, &node, &dist,
                                    &off, &n_on, &err),
                     AM_ERR_INVALID);
    o = am_snap_options_default();
    o.walk_speed_kmh = 0.0;
    assert_int_equal(am_snap_points(&fx.target, 1, &lon, &lat, &o, &node, &dist,
                                    &off, &n_on, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "walking speed"));
    o.walk_speed_kmh = INFINITY;
    assert_int_equal(am_snap_points(&fx.target, 1, &lon, &lat, &o, &node, &dist,
                                    &off, &n_on, &err),
                     AM_ERR_INVALID);
    /* An index that does not match the node arrays: an error, not a read
     * past their end. */
    t = fx.target;
    t.n_nodes = 10;
    o = am_snap_options_default();
    assert_int_equal(
        am_snap_points(&t, 1, &lon, &lat, &o, &node, &dist, &off, &n_on, &err),
        AM_ERR_INTERNAL);
    assert_int_equal(node, -1);
    assert_int_equal(n_on, 0);
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
    assert_non_null(nlon);
    assert_non_null(nlat);
    for (int32_t i = 0; i < nn; i++) {
        nlon[i] = 10.0 + 0.001 * (i % side);
        nlat[i] = 50.0 + 0.001 * (i / side);
    }
    am_transform *tr = NULL;
    am_spatial_index *idx = NULL;
    am_snap_target t;
    target_build(nn, nlon, nlat, &tr, &idx, &t);

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
    oracle(&t, tr, n, lon, lat, 300.0, 5.0, &ref);

    progress_log log = {0, 0, 0.0, 0};
    am_snap_options o = am_snap_options_default();
    o.max_distance_m = 300.0;
    o.threads = 2;
    o.progress = log_progress;
    o.progress_user = &log;
    assert_int_equal(am_snap_points(&t, n, lon, lat, &o, got.node, got.dist_m,
                                    got.offset_ds, &got.n_on, &err),
                     AM_OK);
    assert_same(&ref, &got);
    assert_int_equal(log.calls, 3);
    assert_true(log.last == 1.0);
    assert_false(log.decreasing);

    log = (progress_log){0, 2, 0.0, 0};
    assert_int_equal(am_snap_points(&t, n, lon, lat, &o, got.node, got.dist_m,
                                    got.offset_ds, &got.n_on, &err),
                     AM_ERR_CANCELLED);
    assert_int_equal(log.calls, 2);
    assert_int_equal(got.n_on, 0);
    for (int32_t i = 0; i < n; i++) { /* a cancelled call leaves no half */
        assert_int_equal(got.node[i], -1);
        assert_int_equal(got.offset_ds[i], AM_TIME_INF);
    }
    snapped_free(&ref);
    snapped_free(&got);
    free(lon);
    free(lat);
    am_spatial_index_destroy(idx);
    am_transform_destroy(tr);
    free(nlon);
    free(nlat);
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
        cmocka_unit_test(test_matches_oracle_any_threads),
        cmocka_unit_test(test_max_distance_inclusive),
        cmocka_unit_test(test_walking_time),
        cmocka_unit_test(test_optional_outputs_and_empty),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_cell_centres_geographic),
        cmocka_unit_test(test_cell_centres_projected),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
