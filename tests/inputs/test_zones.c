/*
 * test_zones.c: inputs/zones, speed zone layers read through OGR and
 * applied to a hand-made road network.
 *
 * Fixtures in tests/data/zones/ (SOURCE.md): moheli.geojson (one box in
 * WGS 84), moheli_utm38s.geojson (the same box in UTM 38S, legacy GeoJSON
 * crs member) and zones.geojson (a multipolygon with a hole, an
 * overlapping polygon, a feature without geometry; field `mult`). Bad
 * layers are written to a temporary folder by the tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/units.h"
#include "inputs/zones.h"

#define ZDIR AM_TEST_DATA "/zones"

static char tmp_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/accessim-zones-XXXXXX");
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to tmp_dir/name; returns the path (static buffer). */
static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

static am_zone_options opts(const char *path, double mult, const char *field)
{
    am_zone_options o;
    memset(&o, 0, sizeof o);
    o.path = path;
    o.multiplier = mult;
    o.field = field;
    return o;
}

static am_status load(const am_zone_options *o, am_zone_layer **z, am_error *e)
{
    am_error_clear(e);
    return am_zones_load(o, z, e);
}

static void test_load_single_and_field(void **state)
{
    (void)state;
    am_zone_layer *z = NULL;
    am_error e;
    am_zone_options o = opts(ZDIR "/moheli.geojson", 0.5, NULL);
    assert_int_equal(load(&o, &z, &e), AM_OK);
    assert_string_equal(z->layer, "moheli");
    assert_int_equal(z->n_features, 1);
    assert_true(z->mult_min == 0.5 && z->mult_max == 0.5);
    assert_int_equal(am_polygons_count(z->polygons), 1);
    am_zone_layer_destroy(z);

    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    o = opts(ZDIR "/zones.geojson", 0, "mult");
    o.warnings = &w;
    assert_int_equal(load(&o, &z, &e), AM_OK);
    assert_int_equal(z->n_features, 2);
    assert_int_equal(z->n_skipped, 1); /* the feature without geometry */
    assert_int_equal(am_polygons_count(z->polygons), 3); /* 2 parts + 1 */
    assert_true(z->mult_min == 0.4 && z->mult_max == 0.8);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "1 speed zone feature skipped"));
    assert_non_null(strstr(w.msg[0], "feature 3"));
    /* the hole, the overlap (smallest wins), the second part */
    const double x[5] = {0.5, 2.0, 3.5, 5.0, 11.0};
    const double y[5] = {0.5, 2.0, 2.0, 2.0, 1.0};
    double v[5];
    am_polygons_min_value(z->polygons, 5, x, y, 2, v);
    assert_true(v[0] == 0.4);
    assert_true(isnan(v[1]));
    assert_true(v[2] == 0.4);
    assert_true(v[3] == 0.8);
    assert_true(v[4] == 0.4);
    am_zone_layer_destroy(z);

    /* the filter */
    o.where = "kind = 'congestion'";
    assert_int_equal(load(&o, &z, &e), AM_OK);
    assert_int_equal(z->n_features, 1);
    assert_true(z->mult_min == 0.8);
    am_zone_layer_destroy(z);
    am_warnings_clear(&w);
}

/* A layer in a projected CRS lands where its WGS 84 twin does. */
static void test_projected_crs(void **state)
{
    (void)state;
    am_zone_layer *a = NULL, *b = NULL;
    am_error e;
    am_zone_options o = opts(ZDIR "/moheli.geojson", 0.5, NULL);
    assert_int_equal(load(&o, &a, &e), AM_OK);
    o = opts(ZDIR "/moheli_utm38s.geojson", 0.5, NULL);
    assert_int_equal(load(&o, &b, &e), AM_OK);
    /* well inside, well outside (1 km from the edges: the UTM copy's
     * vertices were rounded to 1 mm, its edges are straight in UTM) */
    const double x[4] = {43.7, 43.56, 43.94, 43.5};
    const double y[4] = {-12.3, -12.21, -12.44, -12.3};
    double va[4], vb[4];
    am_polygons_min_value(a->polygons, 4, x, y, 1, va);
    am_polygons_min_value(b->polygons, 4, x, y, 1, vb);
    for (int i = 0; i < 3; i++)
        assert_true(va[i] == 0.5 && vb[i] == 0.5);
    assert_true(isnan(va[3]) && isnan(vb[3]));
    am_zone_layer_destroy(a);
    am_zone_layer_destroy(b);
}

static void expect_error(const am_zone_options *o, am_status code,
                         const char *fragment, long long feature)
{
    am_zone_layer *z = NULL;
    am_error e;
    am_status rc = load(o, &z, &e);
    if (rc != code)
        fail_msg("expected code %d, got %d: %s", (int)code, (int)rc, e.msg);
    assert_null(z);
    if (strstr(e.msg, fragment) == NULL)
        fail_msg("expected '%s' in '%s'", fragment, e.msg);
    assert_true(strstr(e.file, ".") != NULL); /* the file is named */
    assert_true(e.feature == feature);
}

#define POLY_FC(props, geom)                                                   \
    "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","     \
    "\"id\":7,\"properties\":" props ",\"geometry\":" geom "}]}"
#define BOX "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}"

static void test_bad_layers(void **state)
{
    (void)state;
    am_zone_options o = opts(ZDIR "/nothere.geojson", 0.5, NULL);
    expect_error(&o, AM_ERR_IO, "", -1);
    o = opts(ZDIR "/moheli.geojson", 0.5, NULL);
    o.layer = "rain";
    expect_error(&o, AM_ERR_FORMAT, "rain", -1);
    o = opts(ZDIR "/moheli.geojson", 0, "speed");
    expect_error(&o, AM_ERR_FORMAT,
                 "multiplier field 'speed' does not exist (fields: name, m)",
                 -1);
    o = opts(ZDIR "/moheli.geojson", 0, "name");
    expect_error(&o, AM_ERR_FORMAT, "multiplier field 'name' is not numeric",
                 -1);
    o = opts(ZDIR "/zones.geojson", 0, "mult");
    o.where = "kind = 'drought'";
    expect_error(&o, AM_ERR_EMPTY,
                 "the filter 'where: kind = 'drought'' "
                 "matched no polygon",
                 -1);
    o.where = "kind = ";
    expect_error(&o, AM_ERR_FORMAT, "bad filter", -1);
    o = opts(ZDIR "/moheli.geojson", 0, NULL);
    expect_error(&o, AM_ERR_INVALID, "must be > 0", -1);

    const char *p = write_tmp(
        "line.geojson",
        POLY_FC("{\"m\":1}", "{\"type\":\"LineString\",\"coordinates\":[[0,"
                             "0],[1,1]]}"));
    o = opts(p, 0.5, NULL);
    expect_error(&o, AM_ERR_FORMAT, "Line String geometries, not polygons", -1);
    p = write_tmp("mixed.geojson",
                  "{\"type\":\"FeatureCollection\",\"features\":["
                  "{\"type\":\"Feature\",\"id\":1,\"properties\":{},"
                  "\"geometry\":" BOX "},"
                  "{\"type\":\"Feature\",\"id\":2,\"properties\":{},"
                  "\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,0]}}]}");
    o = opts(p, 0.5, NULL);
    expect_error(&o, AM_ERR_FORMAT, "the feature is a Point, not a polygon", 2);
    p = write_tmp("zero.geojson", POLY_FC("{\"m\":0}", BOX));
    o = opts(p, 0, "m");
    expect_error(&o, AM_ERR_INVALID, "multiplier field 'm' is 0", 7);
    p = write_tmp("null.geojson",
                  "{\"type\":\"FeatureCollection\",\"features\":["
                  "{\"type\":\"Feature\",\"id\":6,\"properties\":{\"m\":0.5},"
                  "\"geometry\":" BOX "},"
                  "{\"type\":\"Feature\",\"id\":7,\"properties\":{\"m\":null},"
                  "\"geometry\":" BOX "}]}");
    o = opts(p, 0, "m");
    expect_error(&o, AM_ERR_INVALID, "multiplier field 'm' is empty", 7);
    p = write_tmp("anti.geojson",
                  POLY_FC("{}", "{\"type\":\"Polygon\",\"coordinates\":[[[179,"
                                "0],[-179,0],[-179,1],[179,1],[179,0]]]}"));
    o = opts(p, 0.5, NULL);
    expect_error(&o, AM_ERR_INVALID, "across the antimeridian", 7);
    p = write_tmp("nocrs.csv", "id,WKT\n1,\"POLYGON((0 0,1 0,1 1,0 0))\"\n");
    o = opts(p, 0.5, NULL);
    expect_error(&o, AM_ERR_CRS, "no coordinate reference system", -1);
    p = write_tmp("empty.geojson",
                  "{\"type\":\"FeatureCollection\",\"features\":[]}");
    o = opts(p, 0.5, NULL);
    expect_error(&o, AM_ERR_EMPTY, "no polygon in the layer", -1);
}

/* ---- applying to a hand-made network -------------------------------- */

/*
 * Nodes on a line of longitudes 0, 1, ..., 5 at lat 0.5; arcs both ways
 * between neighbours (arc 2i: i -> i+1, arc 2i+1: back). Midpoints at
 * lon 0.5, 1.5, ... Zones: layer A a box over lon 0..2 with 0.5 and a box
 * over lon 1..3 with 0.25 (overlap: smallest wins); layer B a box over
 * lon 2..5 with 0.5 (product across layers).
 */
static am_road_network *line_network(void)
{
    am_road_network *r = am_calloc(1, sizeof *r);
    assert_non_null(r);
    r->n_nodes = 6;
    r->lon = am_alloc_array(6, sizeof *r->lon);
    r->lat = am_alloc_array(6, sizeof *r->lat);
    r->n_arcs = 10;
    r->tail = am_alloc_array(10, sizeof *r->tail);
    r->head = am_alloc_array(10, sizeof *r->head);
    r->time_ds = am_alloc_array(10, sizeof *r->time_ds);
    r->len_m = am_alloc_array(10, sizeof *r->len_m);
    for (int i = 0; i < 6; i++) {
        r->lon[i] = i;
        r->lat[i] = 0.5;
    }
    for (int i = 0; i < 5; i++) {
        r->tail[2 * i] = i;
        r->head[2 * i] = i + 1;
        r->tail[2 * i + 1] = i + 1;
        r->head[2 * i + 1] = i;
        r->time_ds[2 * i] = r->time_ds[2 * i + 1] = 101;
        r->len_m[2 * i] = r->len_m[2 * i + 1] = 1000.0f;
    }
    r->time_ds[9] = AM_TIME_INF - 2; /* would overflow once slowed */
    return r;
}

static am_zone_layer *box_layer(int n, const double *x0, const double *x1,
                                const double *mult)
{
    am_zone_layer *z = am_calloc(1, sizeof *z);
    am_error e;
    assert_non_null(z);
    assert_int_equal(am_polygons_create(&z->polygons, &e), AM_OK);
    for (int i = 0; i < n; i++) {
        const double x[4] = {x0[i], x1[i], x1[i], x0[i]};
        const double y[4] = {0, 0, 1, 1};
        const int64_t four = 4;
        assert_int_equal(
            am_polygons_add(z->polygons, 1, &four, x, y, mult[i], NULL, &e),
            AM_OK);
    }
    assert_int_equal(am_polygons_finish(z->polygons, &e), AM_OK);
    return z;
}

static void test_apply(void **state)
{
    (void)state;
    am_error e;
    const double ax0[2] = {0, 1}, ax1[2] = {2, 3}, am[2] = {0.5, 0.25};
    const double bx0[1] = {2}, bx1[1] = {5}, bm[1] = {0.5};
    am_zone_layer *a = box_layer(2, ax0, ax1, am);
    am_zone_layer *b = box_layer(1, bx0, bx1, bm);
    const am_zone_layer *layers[2] = {a, b};
    am_zone_stat st[2];
    am_road_network *r1 = line_network(), *r4 = line_network();
    assert_int_equal(am_zones_apply(r1, 2, layers, 1, st, &e), AM_OK);
    /* segment midpoints 0.5: A 0.5; 1.5: A min(0.5, 0.25); 2.5: A 0.25 x
     * B 0.5; 3.5 and 4.5: B 0.5. 101 / 0.5 = 202; 101 / 0.25 = 404;
     * 101 / 0.125 = 808. */
    const uint32_t want[10] = {202, 202, 404, 404, 808,
                               808, 202, 202, 202, AM_TIME_INF - 1};
    assert_memory_equal(r1->time_ds, want, sizeof want);
    assert_int_equal(st[0].arcs, 6);
    assert_true(fabs(st[0].arc_km - 6.0) < 1e-12);
    assert_int_equal(st[1].arcs, 6);
    /* 1 and 4 threads: the same times */
    am_zone_stat st4[2];
    assert_int_equal(am_zones_apply(r4, 2, layers, 4, st4, &e), AM_OK);
    assert_memory_equal(r1->time_ds, r4->time_ds, 10 * sizeof *r1->time_ds);
    assert_memory_equal(st, st4, sizeof st);
    /* rounding as the roads loader: 101 / 0.3 = 336.67 -> 337; a speed-up
     * 101 / 2 = 50.5 -> 51 (half away from zero) */
    am_road_network *r = line_network();
    const double cx0[1] = {0}, cx1[1] = {1}, c3[1] = {0.3}, c2[1] = {2};
    am_zone_layer *c = box_layer(1, cx0, cx1, c3);
    const am_zone_layer *one[1] = {c};
    assert_int_equal(am_zones_apply(r, 1, one, 1, st, &e), AM_OK);
    assert_int_equal(r->time_ds[0], 337);
    assert_int_equal(r->time_ds[2], 101);
    am_zone_layer_destroy(c);
    am_road_network_destroy(r);
    r = line_network();
    c = box_layer(1, cx0, cx1, c2);
    one[0] = c;
    assert_int_equal(am_zones_apply(r, 1, one, 1, st, &e), AM_OK);
    assert_int_equal(r->time_ds[0], 51);
    am_zone_layer_destroy(c);
    am_road_network_destroy(r);
    am_road_network_destroy(r1);
    am_road_network_destroy(r4);
    am_zone_layer_destroy(a);
    am_zone_layer_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_single_and_field),
        cmocka_unit_test(test_projected_crs),
        cmocka_unit_test(test_bad_layers),
        cmocka_unit_test(test_apply),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
