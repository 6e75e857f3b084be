/*
 * test_road_nodes.c: the vertices of the roads of chosen classes
 * (inputs/road_nodes.h; issue 10, candidates at road nodes).
 *  - a hand-made GeoJSON (a T junction, a bend, a multi-line, a null
 *    class, a second class): nodes, positions and degrees checked by hand,
 *    with one class and with two, and with a where filter;
 *  - errors: an unknown class (listing the classes there), a class field
 *    the layer lacks (listing its fields);
 *  - the Comoros roads as a GIS layer (class_field highway) and as OSM
 *    (highway from the PBF): nodes sorted, degrees >= 1, and the same
 *    count of nodes, junctions and segment ends either way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inputs/road_nodes.h"

#define GIS "/vsigzip/" AM_TEST_DATA "/comoros_roads/roads.geojson.gz"
#define PBF AM_DEMO_DATA "/comoros/comores-latest.osm.pbf"

static char fixture[256];

static const char fixture_json[] =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"klass\":\"A\",\"name\":\"main\"},"
    "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,0],[2,0]]}"
    "},"
    "{\"type\":\"Feature\",\"properties\":{\"klass\":\"A\",\"name\":\"spur\"},"
    "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1,0],[1,1]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"klass\":\"B\",\"name\":\"b\"},"
    "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[2,0],[3,0]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"klass\":\"A\",\"name\":\"m\"},"
    "\"geometry\":{\"type\":\"MultiLineString\",\"coordinates\":"
    "[[[5,5],[6,6]],[[6,6],[7,7]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"klass\":null,\"name\":\"n\"},"
    "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1,0],[1,-1]]}}"
    "]}";

static int setup(void **state)
{
    (void)state;
    snprintf(fixture, sizeof fixture, "/tmp/am_road_nodes_%ld.geojson",
             (long)getpid());
    FILE *f = fopen(fixture, "w");
    if (f == NULL)
        return -1;
    fputs(fixture_json, f);
    return fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    unlink(fixture);
    return 0;
}

static am_road_nodes *load(const char *path, const char *field,
                           const char *where, const char *const *classes, int n,
                           am_status want, am_error *err)
{
    am_road_node_options o = {path, NULL, where, field, classes, n};
    am_road_nodes *r = NULL;
    am_error_clear(err);
    am_status rc = am_road_nodes_load(&o, &r, err);
    if (rc != want)
        fail_msg("%s: %d (%s), expected %d", path, (int)rc, err->msg,
                 (int)want);
    return r;
}

typedef struct node {
    double lon, lat;
    int degree;
} node;

static void expect(const am_road_nodes *r, const node *want, int n)
{
    assert_int_equal(r->n, n);
    for (int i = 0; i < n; i++) {
        assert_true(r->lon[i] == want[i].lon);
        assert_true(r->lat[i] == want[i].lat);
        assert_int_equal(r->degree[i], want[i].degree);
    }
}

static void test_hand_checked(void **state)
{
    (void)state;
    am_error err;
    static const char *const a[] = {"A"};
    am_road_nodes *r = load(fixture, "klass", NULL, a, 1, AM_OK, &err);
    /* (1,0): the main line's inside vertex (2) and the spur's end (1) */
    static const node one[] = {{0, 0, 1}, {1, 0, 3}, {1, 1, 1}, {2, 0, 1},
                               {5, 5, 1}, {6, 6, 2}, {7, 7, 1}};
    expect(r, one, 7);
    assert_int_equal(r->n_features, 3);
    am_road_nodes_destroy(r);

    static const char *const ab[] = {"B", "A"};
    r = load(fixture, "klass", NULL, ab, 2, AM_OK, &err);
    static const node two[] = {{0, 0, 1}, {1, 0, 3}, {1, 1, 1}, {2, 0, 2},
                               {3, 0, 1}, {5, 5, 1}, {6, 6, 2}, {7, 7, 1}};
    expect(r, two, 8);
    am_road_nodes_destroy(r);

    /* the filter drops the spur: (1,0) is a bend, (1,1) gone */
    r = load(fixture, "klass", "name <> 'spur'", a, 1, AM_OK, &err);
    static const node filtered[] = {{0, 0, 1}, {1, 0, 2}, {2, 0, 1},
                                    {5, 5, 1}, {6, 6, 2}, {7, 7, 1}};
    expect(r, filtered, 6);
    am_road_nodes_destroy(r);
}

static void test_errors(void **state)
{
    (void)state;
    am_error err;
    static const char *const c[] = {"A", "C"};
    assert_null(load(fixture, "klass", NULL, c, 2, AM_ERR_INVALID, &err));
    assert_non_null(strstr(err.msg, "no road of class 'C'"));
    assert_non_null(strstr(err.msg, "the classes there: A, B)"));
    /* after the filter, B is not there */
    static const char *const b[] = {"B"};
    assert_null(
        load(fixture, "klass", "klass = 'A'", b, 1, AM_ERR_INVALID, &err));
    assert_non_null(
        strstr(err.msg, "after roads.where; the classes there: A)"));
    assert_null(load(fixture, "kind", NULL, b, 1, AM_ERR_FORMAT, &err));
    assert_non_null(strstr(err.msg, "no field 'kind'"));
    assert_non_null(strstr(err.msg, "klass, name"));
    assert_null(
        load("/nonexistent/roads.gpkg", NULL, NULL, b, 1, AM_ERR_IO, &err));
}

static void check_sorted(const am_road_nodes *r)
{
    assert_true(r->n > 0);
    for (int64_t i = 0; i < r->n; i++) {
        assert_true(r->degree[i] >= 1);
        if (i > 0)
            assert_true(
                r->lon[i] > r->lon[i - 1] ||
                (r->lon[i] == r->lon[i - 1] && r->lat[i] > r->lat[i - 1]));
    }
}

static void test_comoros(void **state)
{
    (void)state;
    am_error err;
    static const char *const c[] = {"primary", "secondary"};
    am_road_nodes *g = load(GIS, "highway", NULL, c, 2, AM_OK, &err);
    am_road_nodes *o = load(PBF, NULL, NULL, c, 2, AM_OK, &err);
    check_sorted(g);
    check_sorted(o);
    /* the GIS layer is the same OSM roads (7 decimals): the same nodes
       and degrees */
    assert_int_equal(g->n, o->n);
    int64_t junctions = 0, jg = 0, sum_o = 0, sum_g = 0;
    for (int64_t i = 0; i < o->n; i++) {
        junctions += o->degree[i] >= 3;
        jg += g->degree[i] >= 3;
        sum_o += o->degree[i];
        sum_g += g->degree[i];
    }
    assert_int_equal(junctions, jg);
    assert_int_equal(sum_o, sum_g);
    assert_true(junctions > 0);
    print_message("comoros primary+secondary: GIS %lld nodes, OSM %lld "
                  "(%lld junctions)\n",
                  (long long)g->n, (long long)o->n, (long long)junctions);
    am_road_nodes_destroy(g);
    am_road_nodes_destroy(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_checked),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_comoros),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
