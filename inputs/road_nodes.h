/*
 * road_nodes.h: the vertices of the roads of chosen classes (issue 10,
 * candidate sites from road nodes; docs/scenario.md "Site selection").
 *
 * A planner looking for sites along the main roads wants the places where
 * those roads run and meet, not the whole routable graph: the road layer
 * is read once more, with a class filter, and the vertices of its
 * features of the chosen classes come back with their degree (how many
 * segments of those features meet there: a junction of three roads 3 to
 * 6, a bend 2, a dead end 1). The prepared graph (engine/graph_cache.h)
 * keeps no class per arc, which is why this reads the layer and not the
 * graph.
 *
 * The class of a feature: the field `class_field` when given (a plain
 * GIS layer's roads.class_field), else OSM's `highway` (a field, or a key
 * of GDAL's OSM driver's other_tags). Vertices at exactly the same
 * lon/lat are one node. Reading is serial; the result does not depend on
 * the order GDAL returns features in (nodes are sorted by lon, then lat).
 */
#ifndef AM_ROAD_NODES_H
#define AM_ROAD_NODES_H

#include <stdint.h>

#include "common/error.h"

typedef struct am_road_node_options {
    const char *path;           /* borrowed */
    const char *layer;          /* NULL: "lines" for OSM files, else layer 0 */
    const char *where;          /* OGR SQL filter (roads.where) or NULL */
    const char *class_field;    /* NULL: OSM highway */
    const char *const *classes; /* [n_classes] wanted, exact match */
    int n_classes;              /* >= 1 */
} am_road_node_options;

typedef struct am_road_nodes {
    int64_t n;
    double *lon, *lat;  /* [n] WGS 84 degrees, ascending by (lon, lat) */
    int32_t *degree;    /* [n] segment ends meeting there, >= 1 */
    int64_t n_features; /* features of a chosen class with a line */
} am_road_nodes;

/*
 * Reads the nodes. Errors name the file and layer: AM_ERR_IO (missing,
 * damaged), AM_ERR_FORMAT (not a vector source; no class field: the
 * message lists the layer's fields), AM_ERR_CRS (no CRS), AM_ERR_INVALID
 * (a wanted class that no feature has: the message lists the classes the
 * layer has, after where), AM_ERR_EMPTY (no vertex: the features of the
 * classes have no usable line), AM_ERR_NOMEM. *out owned by the caller.
 */
am_status am_road_nodes_load(const am_road_node_options *opt,
                             am_road_nodes **out, am_error *err);

void am_road_nodes_destroy(am_road_nodes *r); /* accepts NULL */

#endif /* AM_ROAD_NODES_H */
