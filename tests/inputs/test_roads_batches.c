/*
 * test_roads_batches.c: the road loader reads features in batches,
 * measures each batch's segments in parallel and adds the features in
 * order (inputs/roads.c, issue 8). Built here with batches of at most
 * 1000 vertices or 64 features (the loader's default: 65,536 or 8192), so
 * that the Comoros demo spans over a hundred batches, and loaded with 1,
 * 2 and 3 threads: every array must be byte for byte what the loader made
 * before batching (the digests below: FNV-1a over lon, lat, tail, head,
 * time_ds, len_m and arc_flags, from the commit before it, 1b38b87), and
 * every count the same for any thread count.
 *
 * Two paths: the PBF through the car profile (tags, ferries, samples for
 * the warnings, the node table built on a worker thread), and the
 * GeoJSON road layer through a class mapping with a 2 m join tolerance and
 * join_crossings (features added on the calling thread: the join grid).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "inputs/roads.h"

#define PBF AM_DEMO_DATA "/comoros/comores-latest.osm.pbf"
#define GEOJSON "/vsigzip/" AM_TEST_DATA "/comoros_roads/roads.geojson.gz"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t digest(const am_road_network *n)
{
    const size_t nn = (size_t)n->n_nodes, na = (size_t)n->n_arcs;
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, n->lon, nn * sizeof *n->lon);
    h = fnv(h, n->lat, nn * sizeof *n->lat);
    h = fnv(h, n->tail, na * sizeof *n->tail);
    h = fnv(h, n->head, na * sizeof *n->head);
    h = fnv(h, n->time_ds, na * sizeof *n->time_ds);
    h = fnv(h, n->len_m, na * sizeof *n->len_m);
    h = fnv(h, n->arc_flags, na * sizeof *n->arc_flags);
    return h;
}

/* Loads o with 1, 2 and 3 threads: the digest, and the same counts and
 * warnings (text and order) every time. */
static void load_all(am_road_options *o, uint64_t want, int32_t nodes,
                     int64_t arcs)
{
    am_road_network *first = NULL;
    am_warnings first_w;
    am_warnings_init(&first_w, NULL, NULL);
    for (int t = 1; t <= 3; t++) {
        am_warnings w;
        am_warnings_init(&w, NULL, NULL);
        o->warnings = &w;
        o->threads = t;
        am_error err;
        am_error_clear(&err);
        am_road_network *n = NULL;
        assert_int_equal(am_roads_load(o, NULL, NULL, &n, &err), AM_OK);
        assert_int_equal(n->n_nodes, nodes);
        assert_int_equal(n->n_arcs, arcs);
        assert_true(digest(n) == want);
        if (first == NULL) {
            first = n;
            first_w = w; /* kept: its copies are freed at the end */
            continue;
        }
        /* every count after the arrays, the profile's name included */
        assert_memory_equal(&n->n_features, &first->n_features,
                            sizeof *n - offsetof(am_road_network, n_features));
        assert_int_equal(w.count, first_w.count);
        assert_int_equal(w.n, first_w.n);
        for (size_t i = 0; i < w.n; i++)
            assert_string_equal(w.msg[i], first_w.msg[i]);
        am_road_network_destroy(n);
        am_warnings_clear(&w);
    }
    am_road_network_destroy(first);
    am_warnings_clear(&first_w);
}

static void pbf_profile(void **state)
{
    (void)state;
    am_road_options o = {.path = PBF};
    load_all(&o, 0xea452806610fb9afull, 60116, 122571);
}

static void geojson_mapped_joined(void **state)
{
    (void)state;
    static const am_road_class_speed car[] = {
        {"primary", 60.0},      {"secondary", 50.0},   {"tertiary", 40.0},
        {"unclassified", 30.0}, {"residential", 25.0}, {"track", 15.0}};
    am_road_options o = {.path = GEOJSON};
    o.speed_source = AM_ROAD_SPEED_CLASS;
    o.speed_field = "highway";
    o.class_speeds = car;
    o.n_class_speeds = 6;
    o.default_speed_kmh = 20.0;
    o.join_tolerance_m = 2.0;
    o.join_crossings = 1;
    load_all(&o, 0x9fab87e744f7f3a7ull, 63234, 130264);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pbf_profile),
        cmocka_unit_test(geojson_mapped_joined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
