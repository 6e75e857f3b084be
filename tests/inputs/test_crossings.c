/*
 * test_crossings.c: roads.join_crossings (geo/crossings.h, inputs/roads.c):
 * lines that cross joined where they cross, only when asked.
 *
 * Fixtures: tests/data/gis_roads/crossings.geojson (hand-made; its lines
 * and the expected joins are in SOURCE.md there) and the Kathmandu clip
 * (tests/data/kathmandu, SOURCE.md there). Expected values are by hand
 * (the fixture: times from the crossing's position along each line) or
 * independent counts (weakly connected pieces by union-find here; strongly
 * connected components by kernels/components.h).
 */
#define _DEFAULT_SOURCE /* mkstemps */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "geo/crossings.h"
#include "geo/geodesic.h"
#include "inputs/road_profile.h"
#include "inputs/roads.h"
#include "kernels/components.h"
#include "kernels/graph.h"

#define CROSS AM_TEST_DATA "/gis_roads/crossings.geojson"
#define KATHMANDU AM_TEST_DATA "/kathmandu/kathmandu_roads_clip.gpkg"
#define COMOROS_PBF AM_DEMO_DATA "/comoros/comores-latest.osm.pbf"

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

static am_road_options cross_options(int join)
{
    am_road_options o = {.path = CROSS};
    o.speed_source = AM_ROAD_TIME_FIELD;
    o.speed_field = "minutes";
    o.time_unit_s = 60.0;
    o.oneway_field = "dir";
    o.join_crossings = join;
    return o;
}

static int64_t arc_of(const am_road_network *n, int32_t a, int32_t b)
{
    for (int64_t i = 0; i < n->n_arcs; i++)
        if (n->tail[i] == a && n->head[i] == b)
            return i;
    return -1;
}

static int32_t node_at(const am_road_network *n, double lon, double lat)
{
    for (int32_t i = 0; i < n->n_nodes; i++)
        if (n->lon[i] == lon && n->lat[i] == lat)
            return i;
    return -1;
}

/* The time of arc a -> b (which must exist). */
static uint32_t time_of(const am_road_network *n, int32_t a, int32_t b)
{
    int64_t i = arc_of(n, a, b);
    if (i < 0)
        fail_msg("no arc %d -> %d", a, b);
    return n->time_ds[i];
}

static void test_fixture_off(void **state)
{
    (void)state;
    am_road_options o = cross_options(0);
    am_road_network *n = load_ok(&o);
    /* 8 lines, 17 vertices, 9 segments: B one-way, the others two-way */
    assert_int_equal(n->n_nodes, 17);
    assert_int_equal(n->n_arcs, 17);
    assert_int_equal(n->n_crossings, 0);
    int32_t a0 = node_at(n, 10.0, 50.0), a1 = node_at(n, 10.002, 50.0);
    assert_int_equal(time_of(n, a0, a1), 600);
    am_road_network_destroy(n);
}

static void test_fixture_on(void **state)
{
    (void)state;
    am_road_options o = cross_options(1);
    am_road_network *n = load_ok(&o);
    /* A x B: a new node (17); E through D's vertex: that vertex; G x D:
     * a new node (18, G's layer 0 overrides its bridge); F x D: F is a
     * bridge, not joined; T ends 22 m short of A, C overlaps A: neither */
    assert_int_equal(n->n_nodes, 19);
    assert_int_equal(n->n_arcs, 26);
    assert_int_equal(n->n_crossings, 3);
    assert_true(fabs(n->lon[17] - 10.0005) < 1e-12);
    assert_true(fabs(n->lat[17] - 50.0) < 1e-12);
    assert_true(fabs(n->lon[18] - 10.0005) < 1e-12);
    assert_true(fabs(n->lat[18] - 50.002) < 1e-12);

    /* A (600 ds, two-way) split at a quarter: 150 + 450 both ways */
    int32_t a0 = node_at(n, 10.0, 50.0), a1 = node_at(n, 10.002, 50.0);
    assert_int_equal(arc_of(n, a0, a1), -1);
    assert_int_equal(time_of(n, a0, 17), 150);
    assert_int_equal(time_of(n, 17, a1), 450);
    assert_int_equal(time_of(n, a1, 17), 450);
    assert_int_equal(time_of(n, 17, a0), 150);
    float la = n->len_m[arc_of(n, a0, 17)] + n->len_m[arc_of(n, 17, a1)];
    double len_a = am_geodesic_distance_m(10.0, 50.0, 10.002, 50.0);
    assert_true(fabs(la - len_a) < 1e-3);
    assert_true(fabs(n->len_m[arc_of(n, a0, 17)] - 0.25 * len_a) < 1e-3);
    /* B (300 ds, one-way north) at 1/2.3 of its length: 130 + 170, and
     * still one-way */
    int32_t b0 = node_at(n, 10.0005, 49.999), b1 = node_at(n, 10.0005, 50.0013);
    assert_int_equal(time_of(n, b0, 17), 130);
    assert_int_equal(time_of(n, 17, b1), 170);
    assert_int_equal(arc_of(n, 17, b0), -1);
    assert_int_equal(arc_of(n, b1, 17), -1);
    /* E (60 ds) through D's vertex at 0.5/1.2 of its length: 25 + 35 */
    int32_t dv = node_at(n, 10.001, 50.002);
    int32_t e0 = node_at(n, 10.001, 50.0015), e1 = node_at(n, 10.001, 50.0027);
    assert_int_equal(arc_of(n, e0, e1), -1);
    assert_int_equal(time_of(n, e0, dv), 25);
    assert_int_equal(time_of(n, dv, e1), 35);
    assert_int_equal(time_of(n, e1, dv), 35);
    /* D (1200 ds over two equal segments) split in its first half by G */
    int32_t d0 = node_at(n, 10.0, 50.002);
    assert_int_equal(time_of(n, d0, 18), 300);
    assert_int_equal(time_of(n, 18, dv), 300);
    assert_int_equal(time_of(n, dv, node_at(n, 10.002, 50.002)), 600);
    int32_t g0 = node_at(n, 10.0005, 50.0015);
    assert_int_equal(time_of(n, g0, 18), 60);
    /* F (bridge) and T untouched */
    int32_t f0 = node_at(n, 10.0015, 50.0015),
            f1 = node_at(n, 10.0015, 50.0025);
    assert_int_equal(time_of(n, f0, f1), 120);
    int32_t t0 = node_at(n, 10.0015, 50.0002), t1 = node_at(n, 10.0015, 50.001);
    assert_int_equal(time_of(n, t0, t1), 180);
    /* C overlaps A: no node of C on A's pieces, C whole */
    int32_t c0 = node_at(n, 10.001, 50.0), c1 = node_at(n, 10.003, 50.0);
    assert_int_equal(time_of(n, c0, c1), 240);

    /* the same file gives the same graph */
    am_road_network *m = load_ok(&o);
    assert_int_equal(m->n_nodes, n->n_nodes);
    assert_int_equal(m->n_arcs, n->n_arcs);
    assert_memory_equal(m->lon, n->lon, (size_t)n->n_nodes * sizeof *n->lon);
    assert_memory_equal(m->lat, n->lat, (size_t)n->n_nodes * sizeof *n->lat);
    assert_memory_equal(m->tail, n->tail, (size_t)n->n_arcs * sizeof *n->tail);
    assert_memory_equal(m->head, n->head, (size_t)n->n_arcs * sizeof *n->head);
    assert_memory_equal(m->time_ds, n->time_ds,
                        (size_t)n->n_arcs * sizeof *n->time_ds);
    am_road_network_destroy(m);
    am_road_network_destroy(n);
}

/* am_crossings_find alone: owners, levels, shared nodes, parallels. */
static void test_find(void **state)
{
    (void)state;
    /* 0-1 and 2-3 cross at (0.5, 0.5); 4-5 is parallel to 0-1 and
     * overlaps it; 2-6 shares node 2 with 2-3 */
    const double lon[] = {0.0, 0.001, 0.0, 0.001, 0.0002, 0.0008, 0.0002};
    const double lat[] = {0.0, 0.001, 0.001, 0.0, 0.0002, 0.0008, 0.0};
    const int32_t a[] = {0, 2, 4, 2};
    const int32_t b[] = {1, 3, 5, 6};
    int64_t owner[] = {1, 2, 3, 4};
    int32_t level[] = {0, 0, 0, 0};
    am_crossing_input in = {lon, lat, 7, a, b, owner, level, 4};
    am_crossing *c = NULL;
    int64_t nc = -1;
    assert_int_equal(am_crossings_find(&in, &c, &nc), AM_OK);
    /* 0-1 x 2-3 at (0.0005, 0.0005); 0-1 x 2-6 at (0.000167, 0.000167);
     * 2-3 x 4-5 at (0.0005, 0.0005); 4-5 overlaps 0-1 (parallel: no),
     * 2-6 shares node 2 with 2-3 (no), 4-5 starts east of 2-6 (no) */
    assert_int_equal(nc, 3);
    assert_int_equal(c[0].seg[0], 0);
    assert_int_equal(c[0].seg[1], 1);
    assert_int_equal(c[0].node, -1);
    assert_true(fabs(c[0].t[0] - 0.5) < 1e-9 && fabs(c[0].t[1] - 0.5) < 1e-9);
    assert_int_equal(c[1].seg[0], 0);
    assert_int_equal(c[1].seg[1], 3);
    assert_true(fabs(c[1].lon - 0.0002 / 1.2) < 1e-12);
    assert_int_equal(c[2].seg[0], 1);
    assert_int_equal(c[2].seg[1], 2);
    am_free(c);
    /* the same owner, or different levels: none with segment 0 */
    owner[1] = 1;
    owner[3] = 1;
    level[2] = 1;
    assert_int_equal(am_crossings_find(&in, &c, &nc), AM_OK);
    assert_int_equal(nc, 0);
    assert_null(c);
}

/* Weakly connected pieces by union-find over the arcs. */
static int32_t find_root(int32_t *p, int32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static int32_t pieces(const am_road_network *n)
{
    int32_t *p = malloc((size_t)n->n_nodes * sizeof *p);
    assert_non_null(p);
    for (int32_t i = 0; i < n->n_nodes; i++)
        p[i] = i;
    for (int64_t a = 0; a < n->n_arcs; a++) {
        int32_t x = find_root(p, n->tail[a]), y = find_root(p, n->head[a]);
        if (x != y)
            p[x < y ? y : x] = x < y ? x : y;
    }
    int32_t count = 0;
    for (int32_t i = 0; i < n->n_nodes; i++)
        count += find_root(p, i) == i;
    free(p);
    return count;
}

/* Strongly connected components and the largest one's size. */
static int32_t sccs(const am_road_network *n, int32_t *largest)
{
    am_graph *g = NULL;
    am_components *c = NULL;
    assert_int_equal(am_graph_build(n->n_nodes, n->n_arcs, n->tail, n->head,
                                    n->time_ds, &g, NULL),
                     AM_OK);
    assert_int_equal(am_components_compute(g, &c, NULL), AM_OK);
    int32_t k = c->n_components;
    *largest = c->size[0];
    am_components_destroy(c);
    am_graph_destroy(g);
    return k;
}

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
    int32_t nodes[2], wcc[2], scc[2], big[2];
    int64_t arcs[2], crossings[2];
    double km[2], time_sum[2];
    for (int k = 0; k < 2; k++) {
        o.join_crossings = k;
        am_road_network *n = load_ok(&o);
        nodes[k] = n->n_nodes;
        arcs[k] = n->n_arcs;
        crossings[k] = n->n_crossings;
        km[k] = 0.0;
        time_sum[k] = 0.0;
        for (int64_t a = 0; a < n->n_arcs; a++) {
            km[k] += n->len_m[a] / 1000.0;
            time_sum[k] += n->time_ds[a];
        }
        wcc[k] = pieces(n);
        scc[k] = sccs(n, &big[k]);
        print_message("kathmandu join_crossings %d: %d nodes, %lld arcs, "
                      "%lld crossings, %d weak pieces, %d strong components "
                      "(largest %d nodes)\n",
                      k, nodes[k], (long long)arcs[k], (long long)crossings[k],
                      wcc[k], scc[k], big[k]);
        am_road_network_destroy(n);
    }
    /* Measured (GDAL 3.6), checked by a brute-force pair test over every
     * segment of the routable lines (SOURCE.md there): 5 crossings, all
     * new nodes; they join no separate piece (OSM ways already share
     * nodes at junctions: what crosses without one is mostly a bridge) */
    assert_int_equal(crossings[0], 0);
    assert_int_equal(crossings[1], 5);
    assert_int_equal(nodes[1], nodes[0] + 5);
    assert_int_equal(wcc[0], 15);
    assert_int_equal(wcc[1], 15);
    assert_int_equal(scc[0], 70);
    assert_int_equal(scc[1], 70);
    assert_int_equal(big[1], big[0] + 5);
    /* a crossing adds at most one node, and two or four arcs per side */
    assert_true(nodes[1] - nodes[0] <= crossings[1]);
    assert_true(arcs[1] > arcs[0]);
    /* splitting keeps every arc's time and (to float rounding) length */
    assert_true(time_sum[1] == time_sum[0]);
    assert_true(fabs(km[1] - km[0]) < 1e-3);
    /* joining only merges pieces */
    assert_true(wcc[1] <= wcc[0]);
    assert_true(big[1] >= big[0]);
}

/* Ferry arcs' (tail, head, time), sorted: the ferries of a network. */
static int cmp_arc3(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    for (int k = 0; k < 3; k++)
        if (x[k] != y[k])
            return x[k] < y[k] ? -1 : 1;
    return 0;
}

static int64_t *ferry_arcs(const am_road_network *n, int64_t *count)
{
    int64_t k = 0;
    for (int64_t a = 0; a < n->n_arcs; a++) {
        assert_int_equal(n->arc_flags[a] & ~AM_ARC_FERRY, 0);
        k += (n->arc_flags[a] & AM_ARC_FERRY) != 0;
    }
    int64_t *v = am_alloc_array((size_t)k * 3 + 1, sizeof *v);
    assert_non_null(v);
    k = 0;
    for (int64_t a = 0; a < n->n_arcs; a++)
        if (n->arc_flags[a] & AM_ARC_FERRY) {
            v[3 * k] = n->tail[a];
            v[3 * k + 1] = n->head[a];
            v[3 * k + 2] = n->time_ds[a];
            k++;
        }
    qsort(v, (size_t)k, 3 * sizeof *v, cmp_arc3);
    *count = k;
    return v;
}

/* Two primary roads crossing at (10.002 E, 1 N) and a ferry crossing the
 * first at (10.005 E, 1 N), none sharing a node: OSM XML, as GDAL's OSM
 * driver reads it (a node at 0, 0 would be dropped by the driver). */
static const char ferry_osm[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<osm version='0.6' generator='test'>\n"
    "<node id='1' version='1' lat='1' lon='10'/>\n"
    "<node id='2' version='1' lat='1' lon='10.01'/>\n"
    "<node id='3' version='1' lat='0.995' lon='10.002'/>\n"
    "<node id='4' version='1' lat='1.005' lon='10.002'/>\n"
    "<node id='5' version='1' lat='0.995' lon='10.005'/>\n"
    "<node id='6' version='1' lat='1.005' lon='10.005'/>\n"
    "<way id='10' version='1'><nd ref='1'/><nd ref='2'/>"
    "<tag k='highway' v='primary'/></way>\n"
    "<way id='11' version='1'><nd ref='3'/><nd ref='4'/>"
    "<tag k='highway' v='primary'/></way>\n"
    "<way id='12' version='1'><nd ref='5'/><nd ref='6'/>"
    "<tag k='route' v='ferry'/><tag k='duration' v='00:10'/></way>\n"
    "</osm>\n";

/*
 * With join_crossings, the roads that cross are joined, but the ferry
 * meets no road mid-water: its arcs stay whole and keep their flag, and
 * every arc's flags are known bits (the flags follow the arcs when the
 * crossing roads are split).
 */
static void test_ferries_not_split(void **state)
{
    (void)state;
    char path[] = "/tmp/am_test_ferry_XXXXXX.osm";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(ferry_osm, f);
    fclose(f);
    am_profile car;
    am_error err;
    assert_int_equal(am_profile_builtin("car", &car, &err), AM_OK);
    car.ferries = 1;
    am_road_options o = {.path = path, .profile = &car};
    am_road_network *off = load_ok(&o);
    o.join_crossings = 1;
    am_road_network *on = load_ok(&o);
    remove(path);
    assert_int_equal(off->n_ferry, 1);
    assert_int_equal(on->n_crossings, 1); /* the roads', not the ferry's */
    assert_true(on->n_arcs > off->n_arcs);
    int64_t k_off, k_on;
    int64_t *f_off = ferry_arcs(off, &k_off);
    int64_t *f_on = ferry_arcs(on, &k_on);
    assert_true(k_off > 0);
    assert_int_equal(k_on, k_off);
    assert_memory_equal(f_on, f_off, (size_t)k_off * 3 * sizeof *f_off);
    am_free(f_off);
    am_free(f_on);
    am_road_network_destroy(off);
    am_road_network_destroy(on);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_off),
        cmocka_unit_test(test_fixture_on),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_kathmandu),
        cmocka_unit_test(test_ferries_not_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
