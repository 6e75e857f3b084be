/*
 * test_gis_roads.c: plain GIS road layers read through a field mapping
 * (inputs/road_fields.h) and lines joined within a tolerance
 * (geo/join_grid.h, inputs/roads.h).
 *
 * Fixtures: tests/data/gis_roads/gap.geojson (hand-made, README.md there:
 * two lines whose ends are 0.5 m apart and a crossing line) and
 * tests/data/kathmandu/kathmandu_roads_clip.gpkg (a DERIVED clip of the
 * 2017 Kathmandu OSM highways, SOURCE.md there). Expected values are by
 * hand (gap) or from an independent count: weakly connected pieces by
 * union-find over the arcs, here, against the node/arc lists.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "geo/geodesic.h"
#include "geo/join_grid.h"
#include "inputs/road_fields.h"
#include "inputs/roads.h"

#define GAP AM_TEST_DATA "/gis_roads/gap.geojson"
#define KATHMANDU AM_TEST_DATA "/kathmandu/kathmandu_roads_clip.gpkg"

static const am_road_class_speed gap_classes[] = {{"primary", 36.0},
                                                  {"track", 18.0}};

static am_road_options gap_options(am_road_speed_source src, const char *field)
{
    am_road_options o = {.path = GAP};
    o.speed_source = src;
    o.speed_field = field;
    o.class_speeds = gap_classes;
    o.n_class_speeds = 2;
    o.time_unit_s = 60.0;
    return o;
}

static am_road_network *load_ok(const am_road_options *o)
{
    am_road_network *net = NULL;
    am_error err;
    am_error_clear(&err);
    am_status rc = am_roads_load(o, NULL, NULL, &net, &err);
    if (rc != AM_OK)
        fail_msg("%s: %s (%s)", o->path, err.msg, am_status_name(rc));
    return net;
}

/* The arc from a to b, or -1. */
static int64_t arc_of(const am_road_network *n, int32_t a, int32_t b)
{
    for (int64_t i = 0; i < n->n_arcs; i++)
        if (n->tail[i] == a && n->head[i] == b)
            return i;
    return -1;
}

/* The node at (lon, lat) exactly, or -1. */
static int32_t node_at(const am_road_network *n, double lon, double lat)
{
    for (int32_t i = 0; i < n->n_nodes; i++)
        if (n->lon[i] == lon && n->lat[i] == lat)
            return i;
    return -1;
}

/* Weakly connected pieces (union-find over arcs) and the node count of
 * the largest one; arcs_largest (may be NULL): the arcs in it. */
static int32_t find(int32_t *p, int32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static int32_t pieces_arcs(const am_road_network *n, int32_t *largest,
                           int64_t *arcs_largest)
{
    int32_t *p = malloc((size_t)n->n_nodes * sizeof *p);
    int32_t *size = calloc((size_t)n->n_nodes, sizeof *size);
    assert_non_null(p);
    assert_non_null(size);
    for (int32_t i = 0; i < n->n_nodes; i++)
        p[i] = i;
    for (int64_t a = 0; a < n->n_arcs; a++) {
        int32_t x = find(p, n->tail[a]), y = find(p, n->head[a]);
        if (x != y)
            p[x < y ? y : x] = x < y ? x : y;
    }
    int32_t count = 0, big = 0;
    *largest = 0;
    for (int32_t i = 0; i < n->n_nodes; i++) {
        int32_t r = find(p, i);
        count += r == i;
        if (++size[r] > *largest) {
            *largest = size[r];
            big = r;
        }
    }
    if (arcs_largest != NULL) {
        *arcs_largest = 0;
        for (int64_t a = 0; a < n->n_arcs; a++)
            *arcs_largest += find(p, n->tail[a]) == big;
    }
    free(p);
    free(size);
    return count;
}

static int32_t pieces(const am_road_network *n, int32_t *largest)
{
    return pieces_arcs(n, largest, NULL);
}

/* ---- pure functions --------------------------------------------------- */

static void test_oneway_values(void **state)
{
    (void)state;
    const am_road_oneway_values *d = am_road_oneway_default();
    assert_int_equal(am_road_oneway_of(d, "yes"), 1);
    assert_int_equal(am_road_oneway_of(d, " FT "), 1);
    assert_int_equal(am_road_oneway_of(d, "ft"), 1);
    assert_int_equal(am_road_oneway_of(d, "1"), 1);
    assert_int_equal(am_road_oneway_of(d, "-1"), -1);
    assert_int_equal(am_road_oneway_of(d, "TF"), -1);
    assert_int_equal(am_road_oneway_of(d, "no"), 0);
    assert_int_equal(am_road_oneway_of(d, "B"), 0);
    assert_int_equal(am_road_oneway_of(d, NULL), 0); /* null field */
    assert_int_equal(am_road_oneway_of(d, ""), 0);
    assert_int_equal(am_road_oneway_of(d, "sideways"), 2);
    /* a mapping of the analyst's replaces the defaults */
    const char *const fw[] = {"F"}, *const bw[] = {"T"}, *const both[] = {"N"};
    am_road_oneway_values mine = {fw, 1, bw, 1, both, 1};
    assert_int_equal(am_road_oneway_of(&mine, "f"), 1);
    assert_int_equal(am_road_oneway_of(&mine, "T"), -1);
    assert_int_equal(am_road_oneway_of(&mine, "N"), 0);
    assert_int_equal(am_road_oneway_of(&mine, "yes"), 2);
    assert_int_equal(am_road_oneway_of(&mine, NULL), 2);
}

static void test_values(void **state)
{
    (void)state;
    double v = 0.0;
    assert_true(am_road_value_parse(" 42.5 ", &v));
    assert_true(v == 42.5);
    assert_false(am_road_value_parse("0x10", &v));
    assert_false(am_road_value_parse("inf", &v));
    assert_false(am_road_value_parse("nan", &v));
    assert_false(am_road_value_parse("50 km/h", &v));
    assert_false(am_road_value_parse("", &v));
    assert_false(am_road_value_parse(NULL, &v));
    assert_true(am_road_speed_ok(0.5));
    assert_true(am_road_speed_ok(AM_ROAD_SPEED_MAX_KMH));
    assert_false(am_road_speed_ok(0.0));
    assert_false(am_road_speed_ok(-5.0));
    assert_false(am_road_speed_ok(NAN));
    assert_false(am_road_speed_ok(INFINITY));
    assert_false(am_road_speed_ok(301.0));
    assert_true(am_road_time_ok(1.0));
    assert_false(am_road_time_ok(0.0));
    assert_false(am_road_time_ok(-1.0));
    assert_false(am_road_time_ok(864001.0));
    assert_true(am_road_class_speed_of(gap_classes, 2, "track", 0.0) == 18.0);
    assert_true(am_road_class_speed_of(gap_classes, 2, "Track", 0.0) == 0.0);
    assert_true(am_road_class_speed_of(gap_classes, 2, NULL, 7.0) == 7.0);
}

/* The shares of a time always sum to round(total) exactly, each within
 * 1 ds of its exact share, for awkward totals and segment lengths. */
static void test_time_share(void **state)
{
    (void)state;
    const double lens[] = {0.3, 17.0, 0.0, 123.456, 1.0, 999.9, 2.5};
    const size_t n = sizeof lens / sizeof lens[0];
    const double totals[] = {1.0, 7.0, 600.0, 123.45, 0.4, 864000.0};
    double sum_len = 0.0;
    for (size_t i = 0; i < n; i++)
        sum_len += lens[i];
    for (size_t t = 0; t < sizeof totals / sizeof totals[0]; t++) {
        uint64_t given = 0, sum = 0;
        double cum = 0.0;
        for (size_t i = 0; i < n; i++) {
            cum += lens[i];
            uint32_t d = am_road_time_share(cum, sum_len, totals[t], &given);
            double exact = lens[i] / sum_len * totals[t];
            assert_true(fabs((double)d - exact) < 1.0 + 1e-9);
            sum += d;
        }
        assert_int_equal(sum, (uint64_t)floor(totals[t] + 0.5));
        assert_int_equal(given, sum);
    }
}

static void test_join_grid(void **state)
{
    (void)state;
    am_join_grid *g = NULL;
    assert_int_equal(am_join_grid_create(-1.0, &g), AM_ERR_INVALID);
    assert_int_equal(am_join_grid_create(NAN, &g), AM_ERR_INVALID);
    assert_int_equal(am_join_grid_create(0.0, &g), AM_ERR_INVALID);
    assert_int_equal(am_join_grid_create(101.0, &g), AM_ERR_INVALID);
    assert_int_equal(am_join_grid_create(1.0, &g), AM_OK);
    /* across the antimeridian: 179.999995 and -179.999995 at the
     * equator are 1.1 m apart; 0.5 m apart at +-179.99999775 */
    assert_int_equal(am_join_grid_add(g, 0, 179.99999775, 0.0, 1, 1), AM_OK);
    assert_int_equal(am_join_grid_find(g, -179.99999775, 0.0, 2, 1, 0), 0);
    assert_int_equal(am_join_grid_find(g, -179.99999775, 0.0, 1, 1, 0), -1);
    assert_int_equal(am_join_grid_add(g, 2, 0.0, 0.0, 1, 1), AM_ERR_INVALID);
    /* interior to interior: only with all vertices */
    assert_int_equal(am_join_grid_add(g, 1, 10.0, 50.0, 3, 0), AM_OK);
    assert_int_equal(am_join_grid_find(g, 10.000007, 50.0, 4, 0, 0), -1);
    assert_int_equal(am_join_grid_find(g, 10.000007, 50.0, 4, 0, 1), 1);
    assert_int_equal(am_join_grid_find(g, 10.000007, 50.0, 4, 1, 0), 1);
    assert_int_equal(am_join_grid_find(g, 10.000015, 50.0, 4, 1, 0), -1);
    am_join_grid_mark_end(g, 1);
    assert_int_equal(am_join_grid_find(g, 10.000007, 50.0, 4, 0, 0), 1);
    /* ECEF distance of the 0.5 m gap agrees with the geodesic one */
    double a[3], b[3];
    am_join_grid_ecef(10.001, 50.0, a);
    am_join_grid_ecef(10.001007, 50.0, b);
    double chord =
        sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
             (a[2] - b[2]) * (a[2] - b[2]));
    assert_true(fabs(chord - am_geodesic_distance_m(10.001, 50.0, 10.001007,
                                                    50.0)) < 1e-6);
    am_join_grid_destroy(g);
    am_join_grid_destroy(NULL);
}

/* ---- the hand-made gap layer ------------------------------------------ */

static void test_gap_class_and_join(void **state)
{
    (void)state;
    am_road_options o = gap_options(AM_ROAD_SPEED_CLASS, "class");
    o.default_speed_kmh = 10.0; /* line 3 (path) at 10 km/h */
    am_road_network *n = load_ok(&o);
    assert_int_equal(n->n_nodes, 7); /* 2 + 3 + 2: nothing joined */
    assert_int_equal(n->n_joined, 0);
    assert_int_equal(n->n_routable, 3);
    assert_int_equal(n->n_unlisted_class, 0);
    int32_t largest;
    assert_int_equal(pieces(n, &largest), 3);
    am_road_network_destroy(n);

    o.join_tolerance_m = 0.4; /* the gap is 0.50 m: still apart */
    n = load_ok(&o);
    assert_int_equal(n->n_nodes, 7);
    am_road_network_destroy(n);

    o.join_tolerance_m = 1.0;
    n = load_ok(&o);
    assert_int_equal(n->n_nodes, 6);
    assert_int_equal(n->n_joined, 1);
    assert_int_equal(pieces(n, &largest), 2); /* the crossing stays apart */
    assert_int_equal(largest, 4);
    /* A (36 km/h = 10 m/s) then B (18 km/h = 5 m/s): the lengths as
     * drawn, the 0.5 m gap adds nothing */
    int32_t a0 = node_at(n, 10.0, 50.0), a1 = node_at(n, 10.001, 50.0);
    int32_t b1 = node_at(n, 10.0013, 50.0), b2 = node_at(n, 10.002, 50.0);
    assert_true(a0 >= 0 && a1 >= 0 && b1 >= 0 && b2 >= 0);
    assert_int_equal(node_at(n, 10.001007, 50.0), -1); /* joined to a1 */
    double la = am_geodesic_distance_m(10.0, 50.0, 10.001, 50.0);
    double lb1 = am_geodesic_distance_m(10.001007, 50.0, 10.0013, 50.0);
    double lb2 = am_geodesic_distance_m(10.0013, 50.0, 10.002, 50.0);
    int64_t e = arc_of(n, a0, a1);
    assert_true(e >= 0);
    assert_int_equal(n->time_ds[e], (uint32_t)lround(la / 10.0 * 10.0));
    e = arc_of(n, a1, b1);
    assert_true(e >= 0);
    assert_int_equal(n->time_ds[e], (uint32_t)lround(lb1 / 5.0 * 10.0));
    assert_true(fabs(n->len_m[e] - lb1) < 1e-3);
    e = arc_of(n, b1, b2);
    assert_true(e >= 0);
    assert_int_equal(n->time_ds[e], (uint32_t)lround(lb2 / 5.0 * 10.0));
    am_road_network_destroy(n);

    /* every vertex may join: the crossing has no vertex near another */
    o.join_all_vertices = 1;
    n = load_ok(&o);
    assert_int_equal(n->n_nodes, 6);
    assert_int_equal(pieces(n, &largest), 2);
    am_road_network_destroy(n);
}

static void test_gap_unlisted_class(void **state)
{
    (void)state;
    am_road_options o = gap_options(AM_ROAD_SPEED_CLASS, "class");
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    o.warnings = &w;
    am_road_network *n = load_ok(&o);
    assert_int_equal(n->n_unlisted_class, 1);
    assert_int_equal(n->n_routable, 2);
    assert_int_equal(n->n_nodes, 5);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "1 features skipped"));
    assert_non_null(strstr(w.msg[0], "'path'"));
    /* GDAL's GeoJSON driver takes the integer "id" property as the FID */
    assert_non_null(strstr(w.msg[0], "features 3"));
    am_warnings_clear(&w);
    am_road_network_destroy(n);
}

static void test_gap_speed_field(void **state)
{
    (void)state;
    am_road_options o = gap_options(AM_ROAD_SPEED_FIELD, "kmh");
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    o.warnings = &w;
    am_road_network *n = load_ok(&o);
    assert_int_equal(n->n_bad_value, 1); /* null */
    assert_int_equal(n->n_routable, 2);  /* "18" as text is a number */
    int32_t b1 = node_at(n, 10.0013, 50.0), b2 = node_at(n, 10.002, 50.0);
    int64_t e = arc_of(n, b1, b2);
    assert_true(e >= 0);
    double lb2 = am_geodesic_distance_m(10.0013, 50.0, 10.002, 50.0);
    assert_int_equal(n->time_ds[e], (uint32_t)lround(lb2 / 5.0 * 10.0));
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "speed_field 'kmh'"));
    am_warnings_clear(&w);
    am_road_network_destroy(n);
}

static void test_gap_time_field_and_oneway(void **state)
{
    (void)state;
    am_road_options o = gap_options(AM_ROAD_TIME_FIELD, "minutes");
    o.oneway_field = "dir";
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    o.warnings = &w;
    am_road_network *n = load_ok(&o);
    assert_int_equal(n->n_bad_value, 1); /* -1 minutes */
    assert_int_equal(n->n_routable, 2);
    int32_t a0 = node_at(n, 10.0, 50.0), a1 = node_at(n, 10.001, 50.0);
    int32_t b0 = node_at(n, 10.001007, 50.0), b1 = node_at(n, 10.0013, 50.0),
            b2 = node_at(n, 10.002, 50.0);
    /* A: FT, forward only, 0.5 min = 300 ds */
    assert_true(arc_of(n, a0, a1) >= 0);
    assert_int_equal(arc_of(n, a1, a0), -1);
    assert_int_equal(n->time_ds[arc_of(n, a0, a1)], 300);
    /* B: TF, backward only; 1 min split by length, summing to 600 */
    assert_int_equal(arc_of(n, b0, b1), -1);
    int64_t e1 = arc_of(n, b1, b0), e2 = arc_of(n, b2, b1);
    assert_true(e1 >= 0 && e2 >= 0);
    assert_int_equal(n->time_ds[e1] + n->time_ds[e2], 600);
    double l1 = am_geodesic_distance_m(10.001007, 50.0, 10.0013, 50.0);
    double l2 = am_geodesic_distance_m(10.0013, 50.0, 10.002, 50.0);
    assert_true(fabs(n->time_ds[e1] - 600.0 * l1 / (l1 + l2)) <= 0.5);
    assert_int_equal(n->n_arcs, 3);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "time_field 'minutes'"));
    am_warnings_clear(&w);
    am_road_network_destroy(n);

    /* line 3 as a time in seconds is still negative; its one-way value
     * 'sideways' is in no list: both ways, counted and warned */
    o = gap_options(AM_ROAD_SPEED_CLASS, "class");
    o.default_speed_kmh = 20.0;
    o.oneway_field = "dir";
    am_warnings_init(&w, NULL, NULL);
    o.warnings = &w;
    n = load_ok(&o);
    assert_int_equal(n->n_bad_oneway, 1);
    assert_int_equal(n->n_arcs, 1 + 2 + 2);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "taken as both ways"));
    am_warnings_clear(&w);
    am_road_network_destroy(n);
}

static void expect_error(const am_road_options *o, am_status want,
                         const char *fragment)
{
    am_road_network *n = NULL;
    am_error err;
    am_error_clear(&err);
    am_status rc = am_roads_load(o, NULL, NULL, &n, &err);
    assert_null(n);
    if (rc != want || strstr(err.msg, fragment) == NULL)
        fail_msg("got %s '%s', want %s '%s'", am_status_name(rc), err.msg,
                 am_status_name(want), fragment);
}

static void test_gap_errors(void **state)
{
    (void)state;
    am_road_options o = gap_options(AM_ROAD_SPEED_CLASS, "klass");
    expect_error(&o, AM_ERR_FORMAT,
                 "roads.class_field: the layer has no field 'klass' (its "
                 "fields: id, class, kmh, minutes, dir)");
    o = gap_options(AM_ROAD_SPEED_FIELD, "kmh");
    o.oneway_field = "oneway";
    expect_error(&o, AM_ERR_FORMAT,
                 "roads.oneway_field: the layer has no "
                 "field 'oneway'");
    o = gap_options(AM_ROAD_SPEED_FIELD, "kmh");
    o.join_tolerance_m = -0.5;
    expect_error(&o, AM_ERR_INVALID,
                 "join_tolerance_m must be 0 or from 0.001 to 100");
    o.join_tolerance_m = NAN;
    expect_error(&o, AM_ERR_INVALID,
                 "join_tolerance_m must be 0 or from 0.001 to 100");
    o.join_tolerance_m = 1e-300; /* overflowed the grid's cells before */
    expect_error(&o, AM_ERR_INVALID,
                 "join_tolerance_m must be 0 or from 0.001 to 100");
    o = gap_options(AM_ROAD_SPEED_CLASS, "class");
    static const am_road_class_speed bad[] = {{"primary", 0.0}};
    o.class_speeds = bad;
    o.n_class_speeds = 1;
    expect_error(&o, AM_ERR_INVALID, "the speed of 'primary' must be > 0");
    o = gap_options(AM_ROAD_SPEED_CLASS, "class");
    o.where = "id = 3"; /* only the path, not in the table */
    expect_error(&o, AM_ERR_EMPTY, "1 with a class not in");
}

/* ---- Kathmandu: real data ----------------------------------------------- */

static void test_kathmandu(void **state)
{
    (void)state;
    static const am_road_class_speed ktm[] = {
        {"primary", 40.0},       {"primary_link", 30.0}, {"secondary", 35.0},
        {"tertiary", 30.0},      {"unclassified", 25.0}, {"residential", 20.0},
        {"living_street", 10.0}, {"service", 15.0},      {"track", 15.0},
        {"road", 20.0}};
    am_road_options o = {.path = KATHMANDU};
    o.speed_source = AM_ROAD_SPEED_CLASS;
    o.speed_field = "highway";
    o.class_speeds = ktm;
    o.n_class_speeds = (int)(sizeof ktm / sizeof ktm[0]);
    o.oneway_field = "oneway";
    int32_t pieces_at[3], largest_at[3], nodes_at[3];
    int64_t joined_at[3], arcs_at[3], big_arcs_at[3];
    const double tol[3] = {0.0, 2.0, 5.0};
    for (int k = 0; k < 3; k++) {
        o.join_tolerance_m = tol[k];
        am_road_network *n = load_ok(&o);
        assert_int_equal(n->n_features, 837);
        /* not in the table: ogrinfo -sql "select count(*) from roads where
         * highway not in ('primary', ..., 'road') or highway is null" */
        assert_int_equal(n->n_unlisted_class, 221);
        pieces_at[k] = pieces_arcs(n, &largest_at[k], &big_arcs_at[k]);
        nodes_at[k] = n->n_nodes;
        joined_at[k] = n->n_joined;
        arcs_at[k] = n->n_arcs;
        print_message("kathmandu tol %.0f m: %d nodes, %lld arcs, %lld "
                      "vertices joined, %d pieces, the largest %d nodes "
                      "and %lld arcs\n",
                      tol[k], nodes_at[k], (long long)arcs_at[k],
                      (long long)joined_at[k], pieces_at[k], largest_at[k],
                      (long long)big_arcs_at[k]);
        am_road_network_destroy(n);
    }
    /* Measured (GDAL 3.6): 15 pieces with identical vertices only; 2 m
     * joins a piece that only nearly touched the others, 5 m another.
     * Joining never creates a node; a line's segment shorter than the
     * tolerance whose ends both join the same node collapses (its two
     * arcs go, connectivity stays); a vertex at the same place as one
     * joined before counts again. The nodes left outside the largest
     * piece (cut off from the main network) can only decrease. */
    assert_int_equal(joined_at[0], 0);
    assert_int_equal(pieces_at[0], 15);
    assert_int_equal(pieces_at[1], 14);
    assert_int_equal(pieces_at[2], 13);
    for (int k = 1; k < 3; k++) {
        assert_true(nodes_at[k] < nodes_at[0]);
        assert_true(nodes_at[k] >= nodes_at[0] - joined_at[k]);
        assert_true(arcs_at[0] - arcs_at[k] <= 2 * joined_at[k]);
        assert_true(nodes_at[k] - largest_at[k] <
                    nodes_at[k - 1] - largest_at[k - 1]);
    }
    (void)big_arcs_at;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oneway_values),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_time_share),
        cmocka_unit_test(test_join_grid),
        cmocka_unit_test(test_gap_class_and_join),
        cmocka_unit_test(test_gap_unlisted_class),
        cmocka_unit_test(test_gap_speed_field),
        cmocka_unit_test(test_gap_time_field_and_oneway),
        cmocka_unit_test(test_gap_errors),
        cmocka_unit_test(test_kathmandu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
