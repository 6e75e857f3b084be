/*
 * zones.h: speed zones, polygon layers that multiply the speed of the
 * roads inside them (a rainy season's flood zone, a congested centre).
 *
 * Why: a scenario variant ("the same network in the rainy season") must
 * not need a second road file. The zones apply after the road network is
 * loaded, on its arcs: they change travel times only, never which roads
 * exist or how their class speeds are derived (inputs/road_profile.h).
 *
 * Rules (docs/scenario.md, "speed_zones"):
 *  - an arc is in a polygon when its midpoint is (the mean of its two
 *    nodes' lon/lat, across the antimeridian taken the short way), by the
 *    exact even-odd test of geo/polygon.h, edges straight in lon/lat, with
 *    its boundary rule (a point on an edge two polygons share is in one);
 *  - within one layer an arc in several polygons gets the smallest
 *    multiplier among them (the slowest condition wins);
 *  - across layers (entries of speed_zones) the multipliers multiply:
 *    independent conditions combine (rain x congestion);
 *  - an arc's time becomes lround(time_ds / multiplier), the product of
 *    its layers' multipliers, in deciseconds as the roads loader rounds
 *    (half away from zero), at most AM_TIME_INF - 1: the time was already
 *    whole deciseconds, so the new one is within 0.5 / multiplier + 0.5 ds
 *    of the exact one.
 */
#ifndef AM_ZONES_H
#define AM_ZONES_H

#include <stdint.h>

#include "common/error.h"
#include "common/warning.h"
#include "geo/polygon.h"
#include "inputs/roads.h"

/* A multiplier (the key's or a field's) must be > 0 and at most this. */
#define AM_ZONE_MULTIPLIER_MAX 100.0

typedef struct am_zone_options {
    const char *path;      /* borrowed; any OGR polygon source */
    const char *layer;     /* NULL: the first layer */
    const char *where;     /* OGR SQL attribute filter or NULL */
    const char *field;     /* numeric field with each polygon's multiplier, or
                              NULL: every polygon gets `multiplier` */
    double multiplier;     /* > 0, <= AM_ZONE_MULTIPLIER_MAX (without field) */
    am_warnings *warnings; /* borrowed, may be NULL: features skipped */
} am_zone_options;

typedef struct am_zone_layer {
    char *layer;        /* the layer's name as read (owned) */
    int64_t n_features; /* polygon features read (after the filter) */
    int64_t n_skipped;  /* features without a geometry, skipped */
    double mult_min;    /* the smallest and largest multiplier given */
    double mult_max;
    am_polygons *polygons; /* in WGS 84 lon/lat, one per polygon part */
} am_zone_layer;

/*
 * Reads the polygons of one zone layer, in any CRS (transformed to WGS 84
 * lon/lat; axis order as the roads loader handles it). Errors name the
 * file, the layer and, where one is at fault, the feature:
 * AM_ERR_IO (missing or damaged file), AM_ERR_FORMAT (not a vector source,
 * no such layer, a layer or feature that is not polygons, no such field,
 * a field that is not numeric, a bad filter), AM_ERR_CRS (no or an
 * undefined CRS), AM_ERR_INVALID (a multiplier out of range or empty, a
 * vertex that cannot be transformed into lon/lat, a polygon that spans
 * more than 180 degrees of longitude: across the antimeridian, which is
 * not supported; split it at 180), AM_ERR_EMPTY (no polygon, or the filter
 * matched none), AM_ERR_NOMEM. Features without a geometry are skipped,
 * with one warning giving their count and first ids. *out owned by the
 * caller (am_zone_layer_destroy).
 */
am_status am_zones_load(const am_zone_options *opt, am_zone_layer **out,
                        am_error *err);

/* Accepts NULL. */
void am_zone_layer_destroy(am_zone_layer *z);

/* What a layer changed. */
typedef struct am_zone_stat {
    int64_t arcs;  /* arcs whose midpoint is in one of its polygons */
    double arc_km; /* their lengths' sum (both arcs of a two-way road) */
} am_zone_stat;

/*
 * Multiplies the time of every arc of r inside the zones of layers[0 ..
 * n - 1] (borrowed, finished) by the rules above, and fills stats[k]
 * (caller-allocated, [n]) for each layer. The point tests run in parallel
 * (threads <= 0: OpenMP's default); the result does not depend on the
 * thread count. Works in blocks of arcs: allocates a few MiB whatever the
 * network's size. AM_ERR_NOMEM.
 */
am_status am_zones_apply(am_road_network *r, int n,
                         const am_zone_layer *const *layers, int threads,
                         am_zone_stat *stats, am_error *err);

/*
 * Issue 12, a variant's speed multiplier: divides the time of every arc of
 * r by mult (> 0), with am_zones_apply's carried rounding (serial, in arc
 * order: the same for any thread count). mult 1 changes nothing.
 */
void am_roads_scale_times(am_road_network *r, double mult);

#endif /* AM_ZONES_H */
