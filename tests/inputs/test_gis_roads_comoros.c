/*
 * test_gis_roads_comoros.c: the Comoros road layer (roads.gpkg of the
 * Comoros test set, as the DERIVED gzipped GeoJSON in
 * tests/data/comoros_roads) read through a field mapping (class_field
 * highway + a speed table), against the OSM PBF read by the car profile
 * (data/comoros): the same ways, the same vertices.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "inputs/roads.h"

#define ROADS "/vsigzip/" AM_TEST_DATA "/comoros_roads/roads.geojson.gz"
#define PBF AM_DEMO_DATA "/comoros/comores-latest.osm.pbf"

static int load(const am_road_options *o, am_road_network **n)
{
    am_error err;
    am_error_clear(&err);
    if (am_roads_load(o, NULL, NULL, n, &err) != AM_OK) {
        fprintf(stderr, "%s: %s\n", o->path, err.msg);
        return 0;
    }
    return 1;
}

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #c);    \
            failed = 1;                                                        \
        }                                                                      \
    } while (0)

int main(void)
{
    static const am_road_class_speed car[] = {
        {"primary", 60.0},       {"primary_link", 50.0},
        {"secondary", 50.0},     {"secondary_link", 40.0},
        {"tertiary", 40.0},      {"tertiary_link", 35.0},
        {"unclassified", 30.0},  {"residential", 25.0},
        {"living_street", 10.0}, {"service", 15.0},
        {"track", 15.0}};
    am_road_options o = {.path = ROADS};
    o.speed_source = AM_ROAD_SPEED_CLASS;
    o.speed_field = "highway";
    o.class_speeds = car;
    o.n_class_speeds = (int)(sizeof car / sizeof car[0]);
    am_road_network *g = NULL, *p = NULL;
    am_road_options po = {.path = PBF};
    if (!load(&o, &g) || !load(&po, &p))
        return 1;
    int failed = 0;
    /* ogrinfo -sql "select highway, count(*) from roads group by highway":
     * 4378 features; path 115, footway 92, steps 7 are not in the table */
    CHECK(g->n_features == 4378);
    CHECK(g->n_unlisted_class == 115 + 92 + 7);
    CHECK(g->n_routable == 4378 - 214);
    CHECK(g->n_bad_value == 0 && g->n_joined == 0);
    printf("roads layer by class_field: %d nodes, %lld arcs, %lld routable "
           "features, %.1f km\n",
           g->n_nodes, (long long)g->n_arcs, (long long)g->n_routable,
           g->total_len_km);
    printf("PBF by the car profile:    %d nodes, %lld arcs, %lld routable "
           "features, %.1f km\n",
           p->n_nodes, (long long)p->n_arcs, (long long)p->n_routable,
           p->total_len_km);
    /* Measured: the same ways (4,164 routable features, 60,307 nodes,
     * 1,679.4 km), except those the car profile closes by their access
     * tags or drops as reversible (10 + 1 in this extract), which the
     * gpkg's fields (no access tags) cannot tell. roads.gpkg has no oneway
     * field, so every segment has two arcs; the PBF's one-way ways have
     * one. */
    CHECK(g->n_routable ==
          p->n_routable + p->n_closed_access + p->n_reversible + p->n_area);
    CHECK(g->n_nodes >= p->n_nodes);
    CHECK(g->total_len_km >= p->total_len_km - 0.1);
    CHECK(g->n_arcs % 2 == 0 && g->n_arcs > p->n_arcs);
    am_road_network_destroy(g);
    am_road_network_destroy(p);
    return failed;
}
