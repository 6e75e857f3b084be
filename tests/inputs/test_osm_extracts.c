/*
 * test_osm_extracts.c: real OSM extracts through the travel profiles
 * (inputs/roads.h, inputs/road_profile.h, docs/profiles.md).
 *
 *  - Andorra 2013 as PBF and as gzipped OSM XML (tests/data/osm_andorra,
 *    the same data in two formats, read by GDAL's OSM driver, the XML
 *    through /vsigzip/) give IDENTICAL networks with every profile:
 *    node count and coordinates, arcs (tail, head, time, length) and the
 *    tag counts, compared array by array;
 *  - the Singapore extract (tests/data/singapore_bayfront) loads with
 *    every profile, and the profiles differ as their tables say;
 *  - a hand-written clipped extract (tests/data/osm/missing_nodes.osm):
 *    ways with nodes missing from the file are counted, GDAL's dropped
 *    ways too;
 *  - Monaco and Liechtenstein (their lines layers, DERIVED as gzipped
 *    GeoJSON in tests/data: the same networks as their PBFs) load with
 *    every profile (--lines).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <cpl_conv.h>

#include "inputs/roads.h"

#define ANDORRA_PBF AM_TEST_DATA "/osm_andorra/andorra.osm.pbf"
#define ANDORRA_XML "/vsigzip/" AM_TEST_DATA "/osm_andorra/andorra.osm.gz"
#define BAYFRONT AM_TEST_DATA "/singapore_bayfront/bayfront_singapore.osm.pbf"
#define MISSING AM_TEST_DATA "/osm/missing_nodes.osm"
#define MONACO "/vsigzip/" AM_TEST_DATA "/osm_monaco/monaco_lines.geojson.gz"
#define LI_DIR AM_TEST_DATA "/osm_liechtenstein"
#define LIECHTENSTEIN "/vsigzip/" LI_DIR "/liechtenstein_lines.geojson.gz"

static const char *const profiles[] = {"car", "walk", "bicycle", "ambulance"};

/* The PBF holds three ways the XML lacks (grep the XML for them; ogrinfo
 * on both lists 2,081 and 2,078 lines): 223434313 and 223434316 (no tags)
 * and 128167681 (highway=path). They are filtered out of both, so that
 * the comparison is of the same data. */
#define ANDORRA_SAME "osm_id NOT IN ('223434313', '223434316', '128167681')"

static am_road_network *load_where(const char *path, const char *profile,
                                   const char *where)
{
    am_profile p;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_profile_builtin(profile, &p, &err), AM_OK);
    am_road_options o = {.path = path, .where = where, .profile = &p};
    am_road_network *net = NULL;
    if (am_roads_load(&o, NULL, NULL, &net, &err) != AM_OK)
        fail_msg("%s (%s): %s", path, profile, err.msg);
    assert_string_equal(net->profile, profile);
    return net;
}

static am_road_network *load(const char *path, const char *profile)
{
    return load_where(path, profile, NULL);
}

static void assert_same_network(const am_road_network *a,
                                const am_road_network *b)
{
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_int_equal(a->n_arcs, b->n_arcs);
    size_t nn = (size_t)a->n_nodes, na = (size_t)a->n_arcs;
    assert_memory_equal(a->lon, b->lon, nn * sizeof *a->lon);
    assert_memory_equal(a->lat, b->lat, nn * sizeof *a->lat);
    assert_memory_equal(a->tail, b->tail, na * sizeof *a->tail);
    assert_memory_equal(a->head, b->head, na * sizeof *a->head);
    assert_memory_equal(a->time_ds, b->time_ds, na * sizeof *a->time_ds);
    assert_memory_equal(a->len_m, b->len_m, na * sizeof *a->len_m);
    assert_int_equal(a->n_features, b->n_features);
    assert_int_equal(a->n_routable, b->n_routable);
    assert_int_equal(a->n_oneway, b->n_oneway);
    assert_int_equal(a->n_maxspeed, b->n_maxspeed);
    assert_int_equal(a->n_maxspeed_unparsable, b->n_maxspeed_unparsable);
    assert_int_equal(a->n_maxspeed_implausible, b->n_maxspeed_implausible);
    assert_int_equal(a->n_closed_access, b->n_closed_access);
    assert_int_equal(a->n_area, b->n_area);
    assert_int_equal(a->n_reversible, b->n_reversible);
    assert_int_equal(a->n_missing_nodes_kept, b->n_missing_nodes_kept);
    assert_int_equal(a->n_missing_nodes_dropped, b->n_missing_nodes_dropped);
}

static void test_andorra_pbf_equals_xml(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        am_road_network *pbf =
            load_where(ANDORRA_PBF, profiles[i], ANDORRA_SAME);
        am_road_network *xml =
            load_where(ANDORRA_XML, profiles[i], ANDORRA_SAME);
        assert_int_equal(pbf->n_features, 2078);
        assert_true(pbf->n_arcs > 1000);
        assert_same_network(pbf, xml);
        am_road_network_destroy(pbf);
        am_road_network_destroy(xml);
    }
}

static void test_bayfront_every_profile(void **state)
{
    (void)state;
    am_road_network *car = load(BAYFRONT, "car");
    am_road_network *walk = load(BAYFRONT, "walk");
    am_road_network *bike = load(BAYFRONT, "bicycle");
    am_road_network *amb = load(BAYFRONT, "ambulance");
    /* walkers use footways and ignore one-ways; cars have one-ways */
    assert_true(walk->n_routable > car->n_routable);
    assert_int_equal(walk->n_oneway, 0);
    assert_true(car->n_oneway > 0);
    assert_true(bike->n_routable > car->n_routable);
    /* the ambulance's classes are the car's; only access may differ */
    assert_int_equal(amb->n_routable + amb->n_closed_access,
                     car->n_routable + car->n_closed_access);
    assert_true(amb->n_closed_access <= car->n_closed_access);
    am_road_network_destroy(car);
    am_road_network_destroy(walk);
    am_road_network_destroy(bike);
    am_road_network_destroy(amb);
}

static void test_missing_nodes(void **state)
{
    (void)state;
    am_road_network *car = load(MISSING, "car");
    /* ways 10, 11 and 13 (12 dropped by GDAL, 14 a footway) */
    assert_int_equal(car->n_routable, 3);
    assert_int_equal(car->n_missing_nodes_kept, 2);    /* 11, 13 */
    assert_int_equal(car->n_missing_nodes_dropped, 1); /* 12 */
    assert_int_equal(car->n_nodes, 4);
    /* 10: 1-2-3, 11: 2-4 joined straight, 13: 4-1; both directions */
    assert_int_equal(car->n_arcs, 2 * 4);
    am_road_network_destroy(car);
    am_road_network *walk = load(MISSING, "walk");
    assert_int_equal(walk->n_routable, 4);
    assert_int_equal(walk->n_missing_nodes_kept, 3); /* 11, 13, 14 */
    am_road_network_destroy(walk);
}

/* Monaco and Liechtenstein with every profile. */
static int line_extracts(void)
{
    static const char *const files[] = {MONACO, LIECHTENSTEIN};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
        for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
            am_profile p;
            am_error err;
            am_error_clear(&err);
            am_profile_builtin(profiles[i], &p, &err);
            am_road_options o = {.path = files[f], .profile = &p};
            am_road_network *net = NULL;
            if (am_roads_load(&o, NULL, NULL, &net, &err) != AM_OK) {
                fprintf(stderr, "%s (%s): %s\n", files[f], profiles[i],
                        err.msg);
                return 1;
            }
            printf("%s %s: %d nodes, %lld arcs, %lld routable, %lld "
                   "closed, %lld implausible, %lld unparsable maxspeed, "
                   "%lld missing-node ways, %lld dropped\n",
                   strrchr(files[f], '/') + 1, profiles[i], net->n_nodes,
                   (long long)net->n_arcs, (long long)net->n_routable,
                   (long long)net->n_closed_access,
                   (long long)net->n_maxspeed_implausible,
                   (long long)net->n_maxspeed_unparsable,
                   (long long)net->n_missing_nodes_kept,
                   (long long)net->n_missing_nodes_dropped);
            int ok = net->n_arcs > 0;
            am_road_network_destroy(net);
            if (!ok)
                return 1;
        }
    return 0;
}

int main(int argc, char **argv)
{
    /* GDAL's /vsigzip/ would otherwise write andorra.osm.gz.properties
     * (a seek index) into the source tree */
    CPLSetConfigOption("CPL_VSIL_GZIP_WRITE_PROPERTIES", "NO");
    if (argc > 1 && strcmp(argv[1], "--lines") == 0)
        return line_extracts();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_andorra_pbf_equals_xml),
        cmocka_unit_test(test_bayfront_every_profile),
        cmocka_unit_test(test_missing_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
