/*
 * scenario_file.c: the scenario YAML reader (see scenario_file.h and
 * docs/scenario.md for the format).
 *
 * A scenario file is small and hand-written, so the reader is strict and
 * talkative rather than fast: libyaml loads the whole document into a node
 * tree (yaml_parser_load), then every mapping is checked against the keys
 * its level allows before any value is read. A typo ("treshold_min") thus
 * fails with the key, the level it sits in, the keys that were expected
 * and its line:column, instead of being ignored and silently running the
 * default. Values that can be checked on their own (types, ranges) are
 * checked here, where the line is known; cross-field rules (ascending
 * cutoffs, unique names, defaults) are am_scenario_finalize's, shared with
 * scenarios built through the API.
 *
 * libyaml does not resolve plain scalars to types, so: a number is a plain
 * (unquoted) scalar in decimal notation (common/numparse.h: no hex, inf,
 * nan or digit separators); a quoted "5000" is a string and rejected where
 * a number is expected. A plain empty value, "~" or "null" means "not
 * given" (the default applies). Each numeric key has a documented range
 * (scenario.h), checked here where the line is known.
 *
 * Before the tree is built, one pass over libyaml's events (the pre-pass,
 * check_structure) refuses a file beyond the size limits: nesting depth,
 * entries of one mapping or list, the top-level lists' own caps, and the
 * node count with aliases expanded (the "billion laughs"). Each used to be
 * found late, after quadratic work (100,000 nested '[': 23 s; 40,000 keys:
 * 23 s; 100,000 aliased facility sets: 63 s). What passes is checked in
 * O(n log n): duplicates by sorting (common/unique.h).
 */
#include "engine/scenario_file.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "common/alloc.h"
#include "common/file_check.h"
#include "common/numparse.h"
#include "common/sha256.h"
#include "common/strutil.h"
#include "common/unique.h"
#include "common/units.h"
#include "engine/measure_registry.h"
#include "geo/crs.h"
#include "geo/join_grid.h"
#include "inputs/road_fields.h"
#include "inputs/road_profile.h"

/*
 * Size limits (docs/scenario.md, "Size limits"), checked by the pre-pass
 * (check_structure) before the tree is built. A scenario is a few hundred
 * bytes and nests 4 levels deep (facilities[i].capacity_by_class.x);
 * these are far above any real one and keep the reader linear and small
 * on hostile input.
 */
#define AM_YAML_MAX_FILE_BYTES (1L << 20) /* 1 MiB */
#define AM_YAML_MAX_DEPTH 32
#define AM_YAML_MAX_ENTRIES 10000 /* keys of a mapping, items of a list */
#define AM_YAML_MAX_NODES 1000000 /* aliases expanded */
#define AM_KEY_MAX 256

typedef struct parse_ctx {
    yaml_document_t *doc;
    const char *file; /* name used in messages */
    am_error *err;
    am_scenario *s;   /* NULL while reading a profile file */
    const char *kind; /* "scenario file" or "profile file", for messages */
} parse_ctx;

/* The accepted range of a numeric key (scenario.h, docs/scenario.md). */
typedef struct num_range {
    double lo, hi;
    int lo_open;      /* lo itself is refused */
    const char *unit; /* for messages: " m", " minutes (24 h)", "" */
} num_range;

static const num_range range_snap_m = {AM_SNAP_MAX_M_MIN, AM_SNAP_MAX_M_MAX, 0,
                                       " m"};
static const num_range range_walk_kmh = {AM_WALK_SPEED_KMH_MIN,
                                         AM_WALK_SPEED_KMH_MAX, 0, " km/h"};
static const num_range range_capacity = {0.0, AM_CAPACITY_MAX, 0, ""};
static const num_range range_road_kmh = {0.0, AM_ROAD_SPEED_MAX_KMH, 1,
                                         " km/h"};
static const num_range range_join_m = {0.0, AM_JOIN_TOLERANCE_MAX_M, 0, " m"};
static const num_range range_class_kmh = {0.0, AM_MAXSPEED_MAX_KMH, 1, " km/h"};
static const num_range range_multiplier = {0.0, 10.0, 1, ""};
/* A decay's shape in minutes (sigma_min, t_min, sd_min): used as a
 * double, never turned into deciseconds. Time LIMITS are read with
 * parse_minutes / get_minutes instead (common/units.h, am_minutes_limit). */
static const num_range range_shape_minutes = {0.0, AM_MAX_CUTOFF_MIN, 1,
                                              " minutes (24 h)"};

static const char *const top_keys[] = {
    "name", "threads", "output", "roads", "population", "snap", "facilities",
    "cutoffs_min", "measures", "zones", "equity", "matrix", "demand", "supply",
    "surface", "combined", "referrals", "selection",
    /* issue 13, no surprise access and limits users set */
    "allow_network", "limits",
    /* issue 12, scenario ensembles */
    "variants", NULL};
static const char *const limits_keys[] = {"raster_cells", "road_features",
                                          "facilities", NULL};
static const char *const roads_keys[] = {
    "path", "layer", "where", "profile", "speed_zones", "cache",
    /* issue 7, travel profiles and OSM tags */
    "ferries", "maxspeed_implausible", "speeds", "speed_multipliers",
    /* issue 7, custom profiles in a YAML file */
    "profile_file",
    /* issue 7, plain GIS line layers */
    "class_field", "class_speeds_kmh", "default_speed_kmh", "speed_field",
    "time_field", "time_unit", "oneway_field", "oneway_values",
    "join_tolerance_m", "join_vertices",
    /* issue 7, crossings */
    "join_crossings", NULL};
static const char *const oneway_value_keys[] = {"forward", "backward", "both",
                                                NULL};
static const char *const speed_zone_keys[] = {"path",  "layer",      "where",
                                              "field", "multiplier", NULL};
static const num_range range_zone_multiplier = {
    0.0, AM_SPEED_ZONE_MULTIPLIER_MAX, 1, " (< 1 slows: 0.5 halves the speed)"};
static const char *const population_keys[] = {"path", "band", NULL};
static const char *const snap_keys[] = {"max_distance_m", "walk_speed_kmh",
                                        "components", NULL};
static const char *const components_keys[] = {"min_nodes", "largest",
                                              "on_small", NULL};
static const char *const facility_keys[] = {"name",
                                            "path",
                                            "layer",
                                            "where",
                                            "id_field",
                                            "name_field",
                                            "class_field",
                                            "capacity_field",
                                            "capacity_by_class",
                                            "default_capacity",
                                            "x_field",
                                            "y_field",
                                            "crs",
                                            "tier",
                                            "cutoffs_min",
                                            "measures",
                                            NULL};
static const char *const measure_keys[] = {
    "name",  "type", "threshold_min",        "decay",
    "alpha", "n",    "persons_per_capacity", "allocation",
    NULL};
/* decay mappings (issue 9), in the order of the AM_DK_* bits */
static const char *const decay_keys[] = {"type",       "cutoff_min", "zones",
                                         "sigma_min",  "beta",       "t_min",
                                         "t_half_min", "sd_min",     NULL};
/* issue 9, equity by zone */
static const char *const zone_layer_keys[] = {
    "name", "path", "layer", "where", "id_field",
    /* issue 9, settlement classes */
    "raster", "band", "classes", NULL};
static const char *const equity_keys[] = {"percentiles", "below", "csv", NULL};
static const char *const surface_keys[] = {"enabled", "max_time_min", NULL};
static const num_range range_percent = {0.0, 100.0, 0, " (percent)"};
static const num_range range_level = {-1e300, 1e300, 0, ""};
static const num_range range_beta = {0.0, 1e6, 1, ""};
static const num_range range_alpha = {0.0, AM_ALPHA_MAX, 1, ""};
static const num_range range_persons = {AM_PERSONS_PER_CAPACITY_MIN,
                                        AM_PERSONS_PER_CAPACITY_MAX, 0,
                                        " persons per unit of capacity"};
static const num_range range_shape_minutes0 = {0.0, AM_MAX_CUTOFF_MIN, 0,
                                               " minutes (24 h)"};
static const num_range range_weight = {0.0, 1.0, 0, ""};
static const num_range range_any = {-DBL_MAX, DBL_MAX, 0, ""};

static am_status perr(const parse_ctx *c, const yaml_node_t *at,
                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records AM_ERR_SCENARIO at node `at` (line:column 1-based). */
static am_status perr(const parse_ctx *c, const yaml_node_t *at,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    am_error_setv(c->err, AM_ERR_SCENARIO, c->file, fmt, ap);
    va_end(ap);
    if (at != NULL)
        am_error_set_line(c->err, (long)at->start_mark.line + 1,
                          (long)at->start_mark.column + 1);
    return AM_ERR_SCENARIO;
}

static am_status nomem(const parse_ctx *c)
{
    return am_error_set(c->err, AM_ERR_NOMEM, c->file, "out of memory");
}

static yaml_node_t *node_at(const parse_ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static int is_plain(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A YAML null: an empty plain value, "~" or "null". */
static int is_null(const yaml_node_t *n)
{
    if (!is_plain(n))
        return 0;
    const char *v = scalar(n);
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* "a mapping", "a list", "a string", "'abc'": for type errors. */
static const char *describe(const yaml_node_t *n, char *buf, size_t size)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_SCALAR_NODE:
        if (!is_plain(n))
            snprintf(buf, size, "the string \"%.60s\"", scalar(n));
        else
            snprintf(buf, size, "'%.60s'", scalar(n));
        return buf;
    case YAML_NO_NODE:
        break;
    }
    return "nothing";
}

/* "roads.path", "facilities[0].layer", or just "threads" at the top. */
static void key_path(char *buf, size_t size, const char *where, const char *key)
{
    int n;
    if (where == NULL)
        n = snprintf(buf, size, "%s", key);
    else
        n = snprintf(buf, size, "%s.%s", where, key);
    if (n < 0 && size > 0)
        buf[0] = '\0'; /* longer keys are cut: only used in messages */
}

static am_status unknown_key(const parse_ctx *c, const yaml_node_t *key,
                             const char *where, const char *const *allowed)
{
    char expected[512] = "";
    size_t used = 0;
    const char *closest = NULL;
    size_t best = 3; /* suggest only within 2 edits */
    for (int i = 0; allowed[i] != NULL; i++) {
        int k = snprintf(expected + used, sizeof expected - used, "%s%s",
                         i > 0 ? ", " : "", allowed[i]);
        if (k > 0 && (size_t)k < sizeof expected - used)
            used += (size_t)k;
        size_t d = am_edit_distance(scalar(key), allowed[i]);
        if (d < best) {
            best = d;
            closest = allowed[i];
        }
    }
    char hint[96] = "";
    if (closest != NULL)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", closest);
    if (where == NULL)
        return perr(c, key,
                    "unknown key '%s' at the top level (expected one of: "
                    "%s)%s",
                    scalar(key), expected, hint);
    return perr(c, key, "unknown key '%s' in '%s' (expected one of: %s)%s",
                scalar(key), where, expected, hint);
}

/*
 * Checks that n is a mapping whose keys are scalars, unique and (when
 * allowed != NULL) among allowed. `where` names it ("roads"; NULL: top).
 */
static am_status check_mapping(const parse_ctx *c, const yaml_node_t *n,
                               const char *where, const char *const *allowed)
{
    char buf[96];
    if (n->type != YAML_MAPPING_NODE) {
        if (where == NULL)
            return perr(c, n, "a %s must be a mapping of keys (%s), not %s",
                        c->kind,
                        c->s != NULL ? "name:, roads:, ..."
                                     : "name:, base:, classes:, ...",
                        describe(n, buf, sizeof buf));
        return perr(c, n, "'%s' must be a mapping (key: value), not %s", where,
                    describe(n, buf, sizeof buf));
    }
    const yaml_node_pair_t *first = n->data.mapping.pairs.start;
    const yaml_node_pair_t *top = n->data.mapping.pairs.top;
    size_t count = (size_t)(top - first), dup_first = 0, dup_second = count;
    /* Duplicates by sorting (common/unique.h), not pair by pair: a
     * mapping may hold up to AM_YAML_MAX_ENTRIES keys. */
    const char **keys = am_calloc(count > 0 ? count : 1, sizeof *keys);
    if (keys == NULL)
        return nomem(c);
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *key = node_at(c, first[i].key);
        if (key->type == YAML_SCALAR_NODE)
            keys[i] = scalar(key);
    }
    int dup = am_find_duplicate(keys, count, &dup_first, &dup_second);
    am_free(keys);
    if (dup < 0)
        return nomem(c);
    for (const yaml_node_pair_t *p = first; p < top; p++) {
        const yaml_node_t *key = node_at(c, p->key);
        if (key->type != YAML_SCALAR_NODE)
            return perr(c, key, "keys in '%s' must be names, not %s",
                        where != NULL ? where : "the top level",
                        describe(key, buf, sizeof buf));
        if (strlen(scalar(key)) != key->data.scalar.length)
            return perr(c, key, "a key contains a NUL character");
        if (dup > 0 && (size_t)(p - first) == dup_second) {
            const yaml_node_t *prev = node_at(c, first[dup_first].key);
            return perr(c, key,
                        "duplicate key '%s' in '%s' (first given at "
                        "line %ld)",
                        scalar(key), where != NULL ? where : "the top level",
                        (long)prev->start_mark.line + 1);
        }
        if (allowed == NULL)
            continue;
        int known = 0;
        for (int i = 0; allowed[i] != NULL && !known; i++)
            known = strcmp(allowed[i], scalar(key)) == 0;
        if (!known)
            return unknown_key(c, key, where, allowed);
    }
    return AM_OK;
}

/* The value of key in a checked mapping, or NULL when absent or null. */
static yaml_node_t *lookup(const parse_ctx *c, const yaml_node_t *map,
                           const char *key)
{
    for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = node_at(c, p->key);
        if (strcmp(scalar(k), key) == 0) {
            yaml_node_t *v = node_at(c, p->value);
            return is_null(v) ? NULL : v;
        }
    }
    return NULL;
}

/* The string value of a scalar node, checked for embedded NULs. */
static am_status scalar_string(const parse_ctx *c, const yaml_node_t *v,
                               const char *path, const char **out)
{
    char buf[96];
    if (v->type != YAML_SCALAR_NODE)
        return perr(c, v, "'%s' must be a string, not %s", path,
                    describe(v, buf, sizeof buf));
    if (strlen(scalar(v)) != v->data.scalar.length)
        return perr(c, v, "'%s' contains a NUL character", path);
    *out = scalar(v);
    return AM_OK;
}

/* Replaces *dst by a copy of the string at map[key] if given. */
static am_status get_string(const parse_ctx *c, const yaml_node_t *map,
                            const char *where, const char *key, char **dst)
{
    const yaml_node_t *v = lookup(c, map, key);
    if (v == NULL)
        return AM_OK;
    char path[AM_KEY_MAX];
    key_path(path, sizeof path, where, key);
    const char *str = NULL;
    am_status rc = scalar_string(c, v, path, &str);
    if (rc != AM_OK)
        return rc;
    if (str[0] == '\0')
        return perr(c, v, "'%s' must not be empty", path);
    char *copy = am_strdup(str);
    if (copy == NULL)
        return nomem(c);
    am_free(*dst);
    *dst = copy;
    return AM_OK;
}

/* A decimal number (common/numparse.h: no hex, inf, nan) within range. */
static am_status parse_double(const parse_ctx *c, const yaml_node_t *v,
                              const char *path, const num_range *range,
                              double *out)
{
    char buf[96];
    if (!is_plain(v))
        return perr(c, v, "'%s' must be a number, not %s", path,
                    describe(v, buf, sizeof buf));
    const char *str = scalar(v);
    double x = 0.0;
    am_num_status ns = am_parse_real(str, &x);
    if (ns == AM_NUM_RANGE)
        return perr(c, v, "'%s': %s is out of range for a number", path,
                    describe(v, buf, sizeof buf));
    if (ns != AM_NUM_OK)
        return perr(c, v,
                    "'%s' must be a number, not %s (decimal notation only: "
                    "no hex, inf or nan)",
                    path, describe(v, buf, sizeof buf));
    if (x < range->lo || (range->lo_open && x == range->lo) || x > range->hi)
        return perr(c, v, "'%s' must be %s %g and <= %g%s (got %s)", path,
                    range->lo_open ? ">" : ">=", range->lo, range->hi,
                    range->unit, str);
    *out = x;
    return AM_OK;
}

static am_status get_double(const parse_ctx *c, const yaml_node_t *map,
                            const char *where, const char *key,
                            const num_range *range, double *out)
{
    const yaml_node_t *v = lookup(c, map, key);
    if (v == NULL)
        return AM_OK;
    char path[AM_KEY_MAX];
    key_path(path, sizeof path, where, key);
    return parse_double(c, v, path, range, out);
}

/*
 * A time limit in minutes (a cutoff, a threshold, a decay's cutoff or zone
 * bound, surface.max_time_min, a combined indicator's `within`): a number
 * that am_minutes_limit accepts (> 0, <= 24 h, at least 0.1 s once
 * rounded), refused at its line otherwise. Every limit key is read here,
 * so none can round silently to 0 deciseconds.
 */
static am_status parse_minutes(const parse_ctx *c, const yaml_node_t *v,
                               const char *path, double *out)
{
    double x = 0.0;
    am_status rc = parse_double(c, v, path, &range_any, &x);
    if (rc != AM_OK)
        return rc;
    char why[AM_MINUTES_WHY_MAX];
    uint32_t ds = 0;
    if (am_minutes_limit(x, AM_MAX_CUTOFF_MIN, 0, &ds, why, sizeof why) != NULL)
        return perr(c, v, "'%s' %s (got %s)", path, why, scalar(v));
    *out = x;
    return AM_OK;
}

static am_status get_minutes(const parse_ctx *c, const yaml_node_t *map,
                             const char *where, const char *key, double *out)
{
    const yaml_node_t *v = lookup(c, map, key);
    if (v == NULL)
        return AM_OK;
    char path[AM_KEY_MAX];
    key_path(path, sizeof path, where, key);
    return parse_minutes(c, v, path, out);
}

/* A decimal integer from min to max at map[key] if given. */
static am_status get_int(const parse_ctx *c, const yaml_node_t *map,
                         const char *where, const char *key, int min, int max,
                         int *out)
{
    const yaml_node_t *v = lookup(c, map, key);
    if (v == NULL)
        return AM_OK;
    char path[AM_KEY_MAX], buf[96];
    key_path(path, sizeof path, where, key);
    if (!is_plain(v))
        return perr(c, v, "'%s' must be an integer, not %s", path,
                    describe(v, buf, sizeof buf));
    const char *str = scalar(v);
    long long x = 0;
    am_num_status ns = am_parse_integer(str, &x);
    if (ns == AM_NUM_SYNTAX)
        return perr(c, v,
                    "'%s' must be an integer, not %s (decimal digits only)",
                    path, describe(v, buf, sizeof buf));
    if (ns != AM_NUM_OK || x < min || x > max)
        return perr(c, v, "'%s' must be an integer from %d to %d (got %s)",
                    path, min, max, str);
    *out = (int)x;
    return AM_OK;
}

/*
 * The shape of a list in the scenario, for one way of measuring lists and
 * one set of messages: "'key' must be a list of <of>, not ...", "'key' is
 * an empty list<empty_hint>", "'key' lists N <items> (at most max)".
 */
typedef struct list_shape {
    const char *of;          /* "numbers", "mappings (or one mapping)" */
    const char *items;       /* "numbers", "facility sets" */
    yaml_node_type_t single; /* a node of this type stands for a list of
                                one; YAML_NO_NODE: a sequence only */
    int may_be_empty;
    const char *empty_hint; /* after "is an empty list" */
} list_shape;

/* The length of the list n of `key`, at most max, into *len; n's items
 * through list_at. */
static am_status list_len(const parse_ctx *c, const yaml_node_t *n,
                          const char *key, const list_shape *shape, int max,
                          int *len)
{
    char buf[96];
    ptrdiff_t k = 1;
    if (n->type == YAML_SEQUENCE_NODE)
        k = n->data.sequence.items.top - n->data.sequence.items.start;
    else if (shape->single == YAML_NO_NODE || n->type != shape->single)
        return perr(c, n, "'%s' must be a list of %s, not %s", key, shape->of,
                    describe(n, buf, sizeof buf));
    if (k == 0 && !shape->may_be_empty)
        return perr(c, n, "'%s' is an empty list%s", key, shape->empty_hint);
    /* the pre-pass caps the list as written; an alias may stand for
     * another list, so the cap is checked again on the tree */
    if (k > max)
        return perr(c, n, "'%s' lists %ld %s (at most %d)", key, (long)k,
                    shape->items, max);
    *len = (int)k;
    return AM_OK;
}

/* Item i of the list n measured by list_len (n itself where one node
 * stands for the list). */
static const yaml_node_t *list_at(const parse_ctx *c, const yaml_node_t *n,
                                  int i)
{
    return n->type == YAML_SEQUENCE_NODE
               ? node_at(c, n->data.sequence.items.start[i])
               : n;
}

/* A list of mappings, or a single mapping standing for a list of one;
 * `items` names them ("facility sets"). */
static am_status list_items(const parse_ctx *c, const yaml_node_t *n,
                            const char *key, int max, const char *items,
                            int *count)
{
    const list_shape shape = {"mappings (or one mapping)", items,
                              YAML_MAPPING_NODE, 0, ""};
    return list_len(c, n, key, &shape, max, count);
}

/* Item i of a list found by list_items and its name for messages:
 * "key[i]", or "key" for a single mapping. */
static const yaml_node_t *list_item(const parse_ctx *c, const yaml_node_t *n,
                                    int i, const char *key, char *where,
                                    size_t size)
{
    if (n->type == YAML_SEQUENCE_NODE)
        snprintf(where, size, "%s[%d]", key, i);
    else
        snprintf(where, size, "%s", key);
    return list_at(c, n, i);
}

/* Parses one mapping of a list into *item (the list's element type). */
typedef am_status (*item_parser)(const parse_ctx *c, const yaml_node_t *n,
                                 const char *where, void *item);

/* Parses the count mappings of the list n of `key` (list_items) into
 * elems[0..count-1], each of `size` bytes (borrowed, zeroed). */
static am_status parse_items(const parse_ctx *c, const yaml_node_t *n,
                             const char *key, void *elems, size_t size,
                             int count, item_parser parse)
{
    am_status rc = AM_OK;
    for (int i = 0; i < count && rc == AM_OK; i++) {
        char where[48];
        const yaml_node_t *item = list_item(c, n, i, key, where, sizeof where);
        rc = parse(c, item, where, (char *)elems + (size_t)i * size);
    }
    return rc;
}

/*
 * Refuses two equal names among the count elements of the list n of `key`
 * ("facilities"), each `size` bytes with its name (char *, NULL: not
 * given) at offset name_at, at the later one's name; `what` is "facility
 * set" or "measure".
 */
static am_status unique_names(const parse_ctx *c, const yaml_node_t *n,
                              const char *key, const char *what,
                              const void *elems, size_t size, size_t name_at,
                              int count)
{
    const char **names = am_calloc((size_t)count, sizeof *names);
    if (names == NULL)
        return nomem(c);
    for (int i = 0; i < count; i++)
        names[i] =
            *(char *const *)((const char *)elems + (size_t)i * size + name_at);
    size_t first = 0, second = 0;
    int dup = am_find_duplicate(names, (size_t)count, &first, &second);
    am_status rc = dup < 0 ? nomem(c) : AM_OK;
    if (dup > 0) {
        char where[48];
        const yaml_node_t *item =
            list_item(c, n, (int)second, key, where, sizeof where);
        rc = perr(c, lookup(c, item, "name"),
                  "'%s.name': duplicate %s name '%s' (also %s[%d])", where,
                  what, names[second], key, (int)first);
    }
    am_free(names);
    return rc;
}

/* One entry of roads.speed_zones (issue 7): a polygon layer and either one
 * multiplier or a field holding each polygon's. */
static am_status parse_speed_zone(const parse_ctx *c, const yaml_node_t *n,
                                  const char *where, void *item)
{
    am_speed_zone *z = item;
    am_status rc = check_mapping(c, n, where, speed_zone_keys);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "path", &z->path);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "layer", &z->layer);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "where", &z->where);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "field", &z->field);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "multiplier", &range_zone_multiplier,
                        &z->multiplier);
    if (rc == AM_OK && z->path == NULL)
        rc = perr(c, n, "missing required key 'path' in '%s'", where);
    if (rc == AM_OK && z->field != NULL && lookup(c, n, "multiplier") != NULL)
        rc = perr(c, lookup(c, n, "field"),
                  "'%s': give 'multiplier' or 'field', not both", where);
    if (rc == AM_OK && z->field == NULL && lookup(c, n, "multiplier") == NULL)
        rc = perr(c, n,
                  "'%s' needs 'multiplier' (e.g. 0.5 halves the speed) or "
                  "'field' (a numeric field holding each polygon's)",
                  where);
    return rc;
}

static am_status parse_speed_zones(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    const char *key = "roads.speed_zones";
    int count = 0;
    am_status rc =
        list_items(c, n, key, AM_MAX_SPEED_ZONES, "speed zone layers", &count);
    if (rc != AM_OK)
        return rc;
    s->speed_zones = am_calloc((size_t)count, sizeof *s->speed_zones);
    if (s->speed_zones == NULL)
        return nomem(c);
    s->n_speed_zones = count;
    return parse_items(c, n, key, s->speed_zones, sizeof *s->speed_zones, count,
                       parse_speed_zone);
}

/*
 * The values of a checked mapping {class: number, ...} at path into its
 * elements elems[0..pairs - 1] (borrowed, zeroed, `size` bytes each): a
 * copy of the class (char *) at klass_at, the number within range (double)
 * at value_at; a null value: "'path.class' needs <need>".
 */
static am_status class_numbers(const parse_ctx *c, const yaml_node_t *n,
                               const char *path, const num_range *range,
                               const char *need, void *elems, size_t size,
                               size_t klass_at, size_t value_at)
{
    const ptrdiff_t count =
        n->data.mapping.pairs.top - n->data.mapping.pairs.start;
    for (ptrdiff_t i = 0; i < count; i++) {
        const yaml_node_pair_t *p = n->data.mapping.pairs.start + i;
        const yaml_node_t *k = node_at(c, p->key);
        const yaml_node_t *v = node_at(c, p->value);
        char *elem = (char *)elems + (size_t)i * size;
        char vpath[AM_KEY_MAX];
        key_path(vpath, sizeof vpath, path, scalar(k));
        if (is_null(v))
            return perr(c, v, "'%s' needs %s", vpath, need);
        am_status rc =
            parse_double(c, v, vpath, range, (double *)(elem + value_at));
        if (rc != AM_OK)
            return rc;
        char *klass = am_strdup(scalar(k));
        if (klass == NULL)
            return nomem(c);
        memcpy(elem + klass_at, &klass, sizeof klass);
    }
    return AM_OK;
}

/* roads.class_speeds_kmh: {class: km/h, ...} */
static am_status parse_class_speeds(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    const char *path = "roads.class_speeds_kmh";
    am_status rc = check_mapping(c, n, path, NULL);
    if (rc != AM_OK)
        return rc;
    ptrdiff_t count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
    if (count == 0)
        return perr(c, n, "'%s' is empty: give a speed per class", path);
    s->roads_class_speeds =
        am_calloc((size_t)count, sizeof *s->roads_class_speeds);
    if (s->roads_class_speeds == NULL)
        return nomem(c);
    s->n_roads_class_speeds = (int)count;
    return class_numbers(c, n, path, &range_road_kmh, "a speed (km/h, > 0)",
                         s->roads_class_speeds, sizeof *s->roads_class_speeds,
                         offsetof(am_field_speed, klass),
                         offsetof(am_field_speed, kmh));
}

/* roads.oneway_values: {forward: [..], backward: [..], both: [..]}; each
 * a list of values or one value; a null item stands for a null field. */
static am_status parse_oneway_values(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    const char *path = "roads.oneway_values";
    const yaml_node_t *first_at[3][64] = {{NULL}};
    am_status rc = check_mapping(c, n, path, oneway_value_keys);
    if (rc != AM_OK)
        return rc;
    static const list_shape values = {"values", "values", YAML_SCALAR_NODE, 1,
                                      ""};
    for (int d = 0; d < 3; d++) {
        char vpath[AM_KEY_MAX];
        key_path(vpath, sizeof vpath, path, oneway_value_keys[d]);
        const yaml_node_t *v = lookup(c, n, oneway_value_keys[d]);
        if (v == NULL)
            continue;
        int len = 0;
        rc = list_len(c, v, vpath, &values, 64, &len);
        if (rc != AM_OK)
            return rc;
        s->roads_oneway_values[d] =
            am_calloc(len > 0 ? (size_t)len : 1, sizeof(char *));
        if (s->roads_oneway_values[d] == NULL)
            return nomem(c);
        for (int i = 0; i < len; i++) {
            const yaml_node_t *item = list_at(c, v, i);
            const char *str = "";
            if (!is_null(item)) {
                rc = scalar_string(c, item, vpath, &str);
                if (rc != AM_OK)
                    return rc;
            }
            /* a value in two lists would make the direction a guess */
            for (int e = 0; e < d; e++)
                for (int j = 0; j < s->n_roads_oneway_values[e]; j++)
                    if (strcasecmp(s->roads_oneway_values[e][j], str) == 0)
                        return perr(c, item,
                                    "'%s': the value '%s' is also in "
                                    "'%s.%s' (line %ld)",
                                    vpath, str, path, oneway_value_keys[e],
                                    (long)first_at[e][j]->start_mark.line + 1);
            s->roads_oneway_values[d][i] = am_strdup(str);
            if (s->roads_oneway_values[d][i] == NULL)
                return nomem(c);
            first_at[d][i] = item;
            s->n_roads_oneway_values[d] = i + 1;
        }
    }
    return AM_OK;
}

static am_status get_bool(const parse_ctx *c, const yaml_node_t *map,
                          const char *where, const char *key, int *out);

/* The field mapping and joining keys of 'roads' (issue 7, plain GIS line
 * layers), with their cross-field rules at the line of the key at fault. */
static am_status parse_roads_mapping(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    am_status rc = AM_OK;
    struct {
        const char *key;
        char **dst;
    } strings[] = {{"class_field", &s->roads_class_field},
                   {"speed_field", &s->roads_speed_field},
                   {"time_field", &s->roads_time_field},
                   {"time_unit", &s->roads_time_unit},
                   {"oneway_field", &s->roads_oneway_field}};
    for (size_t i = 0; rc == AM_OK && i < sizeof strings / sizeof strings[0];
         i++)
        rc = get_string(c, n, "roads", strings[i].key, strings[i].dst);
    if (rc == AM_OK)
        rc = get_double(c, n, "roads", "default_speed_kmh", &range_road_kmh,
                        &s->roads_default_speed_kmh);
    if (rc == AM_OK)
        rc = get_double(c, n, "roads", "join_tolerance_m", &range_join_m,
                        &s->roads_join_tolerance_m);
    if (rc == AM_OK && s->roads_join_tolerance_m > 0.0 &&
        s->roads_join_tolerance_m < AM_JOIN_TOLERANCE_MIN_M)
        rc = perr(c, lookup(c, n, "join_tolerance_m"),
                  "'roads.join_tolerance_m' must be 0 or at least %g m (got "
                  "%g): coordinates carry no finer precision",
                  AM_JOIN_TOLERANCE_MIN_M, s->roads_join_tolerance_m);
    if (rc == AM_OK)
        rc =
            get_bool(c, n, "roads", "join_crossings", &s->roads_join_crossings);
    if (rc != AM_OK)
        return rc;
    const yaml_node_t *v = lookup(c, n, "class_speeds_kmh");
    if (v != NULL && (rc = parse_class_speeds(c, v)) != AM_OK)
        return rc;
    v = lookup(c, n, "oneway_values");
    if (v != NULL && (rc = parse_oneway_values(c, v)) != AM_OK)
        return rc;
    v = lookup(c, n, "join_vertices");
    if (v != NULL) {
        const char *str = NULL;
        if ((rc = scalar_string(c, v, "roads.join_vertices", &str)) != AM_OK)
            return rc;
        if (strcmp(str, "ends") == 0)
            s->roads_join_all_vertices = 0;
        else if (strcmp(str, "all") == 0)
            s->roads_join_all_vertices = 1;
        else
            return perr(c, v,
                        "'roads.join_vertices' must be 'ends' or 'all', not "
                        "'%s'",
                        str);
    }
    /* cross-field rules, each at the line of the key at fault */
    const char *src[] = {"class_field", "speed_field", "time_field"};
    const char *given = NULL;
    for (int i = 0; i < 3; i++) {
        const yaml_node_t *k = lookup(c, n, src[i]);
        if (k == NULL)
            continue;
        if (given != NULL)
            return perr(c, k,
                        "'roads.%s' and 'roads.%s' both given: the speed "
                        "comes from one of class_field, speed_field and "
                        "time_field",
                        given, src[i]);
        given = src[i];
    }
    struct {
        const char *key, *needs;
        int ok;
    } deps[] = {
        {"class_speeds_kmh", "class_field", s->roads_class_field != NULL},
        {"default_speed_kmh", "class_field", s->roads_class_field != NULL},
        {"time_unit", "time_field", s->roads_time_field != NULL},
        {"oneway_values", "oneway_field", s->roads_oneway_field != NULL},
        {"oneway_field", "class_field, speed_field or time_field",
         given != NULL},
    };
    for (size_t i = 0; i < sizeof deps / sizeof deps[0]; i++)
        if (!deps[i].ok && lookup(c, n, deps[i].key) != NULL)
            return perr(c, lookup(c, n, deps[i].key),
                        "'roads.%s' needs 'roads.%s'", deps[i].key,
                        deps[i].needs);
    if (s->roads_class_field != NULL && s->n_roads_class_speeds == 0)
        return perr(c, lookup(c, n, "class_field"),
                    "'roads.class_field' needs 'roads.class_speeds_kmh' "
                    "(a speed in km/h per class, e.g. {primary: 60, "
                    "residential: 25})");
    if (s->roads_time_field != NULL && s->roads_time_unit == NULL)
        return perr(c, lookup(c, n, "time_field"),
                    "'roads.time_field' needs 'roads.time_unit' (minutes or "
                    "seconds)");
    if (s->roads_time_unit != NULL &&
        strcmp(s->roads_time_unit, "minutes") != 0 &&
        strcmp(s->roads_time_unit, "seconds") != 0)
        return perr(c, lookup(c, n, "time_unit"),
                    "'roads.time_unit' must be 'minutes' or 'seconds', not "
                    "'%s'",
                    s->roads_time_unit);
    return AM_OK;
}

/* true / false at map[key] if given, into *out (1 / 0). */
static am_status get_bool(const parse_ctx *c, const yaml_node_t *map,
                          const char *where, const char *key, int *out)
{
    const yaml_node_t *v = lookup(c, map, key);
    if (v == NULL)
        return AM_OK;
    char path[AM_KEY_MAX], buf[96];
    key_path(path, sizeof path, where, key);
    const char *str = is_plain(v) ? scalar(v) : "";
    if (strcmp(str, "true") == 0)
        *out = 1;
    else if (strcmp(str, "false") == 0)
        *out = 0;
    else
        return perr(c, v, "'%s' must be true or false, not %s", path,
                    describe(v, buf, sizeof buf));
    return AM_OK;
}

/*
 * roads.speeds / roads.speed_multipliers: a mapping from road class to a
 * number in range, each class checked against the profile (prof; set or
 * scaled there, so that a later error sees the effect of earlier ones).
 */
static am_status parse_profile_speeds(const parse_ctx *c,
                                      const yaml_node_t *map, const char *key,
                                      const num_range *range, int scale,
                                      am_profile *prof, am_class_speed **out,
                                      int *n_out)
{
    const yaml_node_t *n = lookup(c, map, key);
    if (n == NULL)
        return AM_OK;
    char path[AM_KEY_MAX];
    key_path(path, sizeof path, "roads", key);
    am_status rc = check_mapping(c, n, path, NULL);
    if (rc != AM_OK)
        return rc;
    ptrdiff_t count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
    if (count == 0)
        return AM_OK;
    am_class_speed *v = am_calloc((size_t)count, sizeof *v);
    if (v == NULL)
        return nomem(c);
    *out = v;
    *n_out = (int)count;
    for (ptrdiff_t i = 0; i < count; i++) {
        const yaml_node_pair_t *p = n->data.mapping.pairs.start + i;
        const yaml_node_t *k = node_at(c, p->key);
        const yaml_node_t *val = node_at(c, p->value);
        char vpath[AM_KEY_MAX];
        key_path(vpath, sizeof vpath, path, scalar(k));
        if (is_null(val))
            return perr(c, val, "'%s' needs a number", vpath);
        rc = parse_double(c, val, vpath, range, &v[i].value);
        if (rc != AM_OK)
            return rc;
        v[i].highway = am_strdup(scalar(k));
        if (v[i].highway == NULL)
            return nomem(c);
        v[i].line = (long)k->start_mark.line + 1;
        am_error e;
        am_error_clear(&e);
        if ((scale ? am_profile_scale_speed(prof, v[i].highway, v[i].value, &e)
                   : am_profile_set_speed(prof, v[i].highway, v[i].value,
                                          &e)) != AM_OK)
            return perr(c, k, "'%s': %s", path, e.msg);
        if (scale &&
            !(am_profile_speed_kmh(prof, v[i].highway) <= AM_MAXSPEED_MAX_KMH))
            return perr(c, val,
                        "'%s': class '%s' would be driven at %g km/h, "
                        "above %g",
                        path, v[i].highway,
                        am_profile_speed_kmh(prof, v[i].highway),
                        AM_MAXSPEED_MAX_KMH);
    }
    return AM_OK;
}

/*
 * A field mapping (class_field, speed_field, time_field) gives the speeds
 * of a plain GIS layer: the travel profile's keys would be silently
 * ignored, so they are refused at their line.
 */
static am_status mapping_excludes_profile(const parse_ctx *c,
                                          const yaml_node_t *n)
{
    static const char *const mapping[] = {"class_field", "speed_field",
                                          "time_field"};
    static const char *const profile_keys[] = {
        "profile", "profile_file",         "speeds",
        "ferries", "maxspeed_implausible", "speed_multipliers"};
    const char *given = NULL;
    for (size_t i = 0; i < sizeof mapping / sizeof mapping[0]; i++)
        if (given == NULL && lookup(c, n, mapping[i]) != NULL)
            given = mapping[i];
    if (given == NULL)
        return AM_OK;
    for (size_t i = 0; i < sizeof profile_keys / sizeof profile_keys[0]; i++) {
        const yaml_node_t *k = lookup(c, n, profile_keys[i]);
        if (k != NULL)
            return perr(c, k,
                        "'roads.%s' applies to OSM tags read through a travel "
                        "profile, and 'roads.%s' reads this layer through a "
                        "field mapping instead: %s",
                        profile_keys[i], given,
                        strcmp(given, "class_field") == 0
                            ? "set the speeds in class_speeds_kmh (and "
                              "default_speed_kmh), or use speed_zones to "
                              "slow areas"
                            : "the speeds come from the field; use "
                              "speed_zones to slow areas");
    }
    return AM_OK;
}

static am_status parse_roads(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    am_status rc = check_mapping(c, n, "roads", roads_keys);
    if (rc == AM_OK)
        rc = mapping_excludes_profile(c, n);
    if (rc == AM_OK)
        rc = get_string(c, n, "roads", "path", &s->roads_path);
    if (rc == AM_OK)
        rc = get_string(c, n, "roads", "layer", &s->roads_layer);
    if (rc == AM_OK)
        rc = get_string(c, n, "roads", "where", &s->roads_where);
    if (rc == AM_OK)
        rc = get_string(c, n, "roads", "profile", &s->profile);
    if (rc == AM_OK) /* issue 7, prepared-graph cache */
        rc = get_string(c, n, "roads", "cache", &s->roads_cache);
    am_profile prof;
    if (rc == AM_OK && !am_profile_is_builtin(s->profile))
        rc = perr(c, lookup(c, n, "profile"),
                  "'roads.profile': unknown profile '%s' (expected one of: "
                  "%s)",
                  s->profile, AM_PROFILE_KNOWN);
    if (rc == AM_OK) /* issue 7, custom profiles in a YAML file */
        rc = get_string(c, n, "roads", "profile_file", &s->roads_profile_file);
    if (rc == AM_OK && s->roads_profile_file != NULL &&
        lookup(c, n, "profile") != NULL)
        rc = perr(c, lookup(c, n, "profile_file"),
                  "'roads.profile' and 'roads.profile_file' both given: a "
                  "profile file names the built-in profile it starts from "
                  "with 'base:' (profile given at line %ld)",
                  (long)lookup(c, n, "profile")->start_mark.line + 1);
    if (rc == AM_OK && s->roads_profile_file != NULL)
        rc = am_profile_file_read_for(s, c->err);
    if (rc == AM_OK && s->roads_custom_profile != NULL)
        prof = *s->roads_custom_profile;
    else if (rc == AM_OK)
        rc = am_profile_builtin(s->profile, &prof, c->err);
    if (rc == AM_OK)
        rc = get_bool(c, n, "roads", "ferries", &s->roads_ferries);
    const yaml_node_t *mi = lookup(c, n, "maxspeed_implausible");
    if (rc == AM_OK && mi != NULL) {
        const char *str = is_plain(mi) ? scalar(mi) : "";
        char buf[96];
        if (strcmp(str, "ignore") == 0)
            s->roads_use_implausible_maxspeed = 0;
        else if (strcmp(str, "use") == 0)
            s->roads_use_implausible_maxspeed = 1;
        else
            rc = perr(c, mi,
                      "'roads.maxspeed_implausible' must be ignore or use, "
                      "not %s",
                      describe(mi, buf, sizeof buf));
    }
    if (rc == AM_OK)
        rc = parse_profile_speeds(c, n, "speeds", &range_class_kmh, 0, &prof,
                                  &s->road_speeds, &s->n_road_speeds);
    if (rc == AM_OK)
        rc = parse_profile_speeds(c, n, "speed_multipliers", &range_multiplier,
                                  1, &prof, &s->road_speed_multipliers,
                                  &s->n_road_speed_multipliers);
    const yaml_node_t *zones = rc == AM_OK ? lookup(c, n, "speed_zones") : NULL;
    if (zones != NULL)
        rc = parse_speed_zones(c, zones);
    if (rc == AM_OK)
        rc = parse_roads_mapping(c, n);
    if (rc == AM_OK && s->roads_path == NULL)
        rc = perr(c, n, "missing required key 'path' in 'roads'");
    return rc;
}

static am_status parse_population(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    am_status rc = check_mapping(c, n, "population", population_keys);
    if (rc == AM_OK)
        rc = get_string(c, n, "population", "path", &s->population_path);
    if (rc == AM_OK)
        rc = get_int(c, n, "population", "band", 1, INT_MAX,
                     &s->population_band);
    if (rc == AM_OK && s->population_path == NULL)
        rc = perr(c, n, "missing required key 'path' in 'population'");
    return rc;
}

/*
 * snap.components (issue 7, strongly connected components): `all`,
 * `error` (the default rule, failing instead of moving people), or a
 * mapping with one of min_nodes: N / largest: K and optionally
 * on_small: move | error.
 */
static am_status parse_components(const parse_ctx *c, const yaml_node_t *v)
{
    am_scenario *s = c->s;
    char buf[96];
    static const char *const usage =
        "all, error, or a mapping {min_nodes: N} or {largest: K} "
        "(optionally with on_small: move or error)";
    if (v->type == YAML_SCALAR_NODE && is_plain(v)) {
        if (strcmp(scalar(v), "all") == 0) {
            s->components_rule = AM_COMPONENTS_ALL;
            return AM_OK;
        }
        if (strcmp(scalar(v), "error") == 0) {
            s->components_error = 1;
            return AM_OK;
        }
    }
    if (v->type != YAML_MAPPING_NODE)
        return perr(c, v, "'snap.components' must be %s, not %s", usage,
                    describe(v, buf, sizeof buf));
    am_status rc = check_mapping(c, v, "snap.components", components_keys);
    if (rc != AM_OK)
        return rc;
    const yaml_node_t *mn = lookup(c, v, "min_nodes");
    const yaml_node_t *lg = lookup(c, v, "largest");
    if (mn != NULL && lg != NULL)
        return perr(c, lg,
                    "'snap.components' takes min_nodes or largest, not both "
                    "(min_nodes given at line %ld)",
                    (long)mn->start_mark.line + 1);
    int n = 0;
    if (mn != NULL) {
        rc = get_int(c, v, "snap.components", "min_nodes", 1, INT32_MAX, &n);
        s->components_rule = AM_COMPONENTS_MIN_NODES;
    } else if (lg != NULL) {
        rc = get_int(c, v, "snap.components", "largest", 1, INT32_MAX, &n);
        s->components_rule = AM_COMPONENTS_LARGEST;
    } else {
        n = AM_COMPONENTS_MIN_NODES_DEFAULT;
    }
    if (rc != AM_OK)
        return rc;
    s->components_n = (int32_t)n;
    const yaml_node_t *os = lookup(c, v, "on_small");
    if (os == NULL)
        return AM_OK;
    if (is_plain(os) && strcmp(scalar(os), "move") == 0)
        s->components_error = 0;
    else if (is_plain(os) && strcmp(scalar(os), "error") == 0)
        s->components_error = 1;
    else
        return perr(c, os,
                    "'snap.components.on_small' must be move or error, not %s",
                    describe(os, buf, sizeof buf));
    return AM_OK;
}

static am_status parse_snap(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    am_status rc = check_mapping(c, n, "snap", snap_keys);
    if (rc == AM_OK)
        rc = get_double(c, n, "snap", "max_distance_m", &range_snap_m,
                        &s->snap_max_m);
    if (rc == AM_OK)
        rc = get_double(c, n, "snap", "walk_speed_kmh", &range_walk_kmh,
                        &s->walk_speed_kmh);
    const yaml_node_t *comp = rc == AM_OK ? lookup(c, n, "components") : NULL;
    if (comp != NULL)
        rc = parse_components(c, comp);
    return rc;
}

/* The output name rule (am_scenario_name_problem), at the name's line. */
static am_status check_name(const parse_ctx *c, const yaml_node_t *n,
                            const char *where, const char *name, int is_measure)
{
    const char *why = am_scenario_name_problem(name, is_measure);
    if (why == NULL)
        return AM_OK;
    return perr(c, lookup(c, n, "name"),
                "'%s.name': '%.40s%s' is not a valid "
                "name (%s)",
                where, name, strlen(name) > 40 ? "..." : "", why);
}

/*
 * A facility set's `crs`: one PROJ knows (geo/crs.h), checked here with
 * its line whether or not the layer will need it, since a typo there used
 * to pass silently as long as the layer had a CRS of its own.
 */
static am_status check_crs(const parse_ctx *c, const yaml_node_t *n,
                           const char *where, const char *crs)
{
    char path[AM_KEY_MAX], quoted[AM_KEY_MAX + 2];
    am_error e;
    key_path(path, sizeof path, where, "crs");
    snprintf(quoted, sizeof quoted, "'%s'", path);
    am_error_clear(&e);
    am_status rc = am_crs_check(crs, quoted, &e);
    if (rc == AM_ERR_NOMEM)
        return nomem(c);
    if (rc != AM_OK)
        return perr(c, lookup(c, n, "crs"),
                    "%s (expected an authority code such as EPSG:4326, a "
                    "WKT or a PROJ string)",
                    e.msg);
    return AM_OK;
}

static am_status parse_class_capacity(const parse_ctx *c, const yaml_node_t *n,
                                      const char *where, am_facility_source *f)
{
    char path[AM_KEY_MAX];
    key_path(path, sizeof path, where, "capacity_by_class");
    am_status rc = check_mapping(c, n, path, NULL);
    if (rc != AM_OK)
        return rc;
    ptrdiff_t count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
    if (count == 0)
        return AM_OK;
    f->class_capacity = am_calloc((size_t)count, sizeof *f->class_capacity);
    if (f->class_capacity == NULL)
        return nomem(c);
    f->n_class_capacity = (int)count;
    return class_numbers(c, n, path, &range_capacity,
                         "a capacity (a number >= 0)", f->class_capacity,
                         sizeof *f->class_capacity,
                         offsetof(am_class_capacity, klass),
                         offsetof(am_class_capacity, capacity));
}

static am_status parse_set_tiers(const parse_ctx *c, const yaml_node_t *n,
                                 const char *where, am_facility_source *f);

static am_status parse_facility(const parse_ctx *c, const yaml_node_t *n,
                                const char *where, void *item)
{
    am_facility_source *f = item;
    f->default_capacity = 1.0;
    f->line = (int)n->start_mark.line + 1;
    am_status rc = check_mapping(c, n, where, facility_keys);
    struct {
        const char *key;
        char **dst;
    } strings[] = {
        {"name", &f->name},
        {"path", &f->path},
        {"layer", &f->layer},
        {"where", &f->where},
        {"id_field", &f->id_field},
        {"name_field", &f->name_field},
        {"class_field", &f->class_field},
        {"capacity_field", &f->capacity_field},
        {"x_field", &f->x_field},
        {"y_field", &f->y_field},
        {"crs", &f->crs},
    };
    for (size_t i = 0; rc == AM_OK && i < sizeof strings / sizeof *strings; i++)
        rc = get_string(c, n, where, strings[i].key, strings[i].dst);
    if (rc == AM_OK && f->name != NULL)
        rc = check_name(c, n, where, f->name, 0);
    if (rc == AM_OK && f->crs != NULL)
        rc = check_crs(c, n, where, f->crs);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "default_capacity", &range_capacity,
                        &f->default_capacity);
    const yaml_node_t *table =
        rc == AM_OK ? lookup(c, n, "capacity_by_class") : NULL;
    if (table != NULL)
        rc = parse_class_capacity(c, table, where, f);
    if (rc == AM_OK && f->path == NULL)
        rc = perr(c, n, "missing required key 'path' in '%s'", where);
    if (rc == AM_OK && (f->x_field == NULL) != (f->y_field == NULL))
        rc = perr(c, n,
                  "'%s': x_field and y_field go together (only %s "
                  "given)",
                  where, f->x_field != NULL ? "x_field" : "y_field");
    if (rc == AM_OK) /* issue 9, facility tiers */
        rc = parse_set_tiers(c, n, where, f);
    return rc;
}

static am_status parse_facilities(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    int count = 0;
    am_status rc = list_items(c, n, "facilities", AM_MAX_FACILITY_SETS,
                              "facility sets", &count);
    if (rc != AM_OK)
        return rc;
    s->facility_sets = am_calloc((size_t)count, sizeof *s->facility_sets);
    if (s->facility_sets == NULL)
        return nomem(c);
    s->n_facility_sets = count;
    rc = parse_items(c, n, "facilities", s->facility_sets,
                     sizeof *s->facility_sets, count, parse_facility);
    if (rc != AM_OK)
        return rc;
    return unique_names(c, n, "facilities", "facility set", s->facility_sets,
                        sizeof *s->facility_sets,
                        offsetof(am_facility_source, name), count);
}

static am_status cutoff_list(const parse_ctx *c, const yaml_node_t *n,
                             const char *key, double **out, int *count);

static am_status parse_cutoffs(const parse_ctx *c, const yaml_node_t *n)
{
    double *cut = NULL;
    int len = 0;
    am_status rc = cutoff_list(c, n, "cutoffs_min", &cut, &len);
    if (rc == AM_OK && am_scenario_set_cutoffs(c->s, len, cut) != AM_OK)
        rc = nomem(c);
    am_free(cut);
    return rc;
}

/* The value node of key `key` in a checked mapping, also when null. */
static const yaml_node_t *lookup_any(const parse_ctx *c, const yaml_node_t *map,
                                     const char *key)
{
    for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++)
        if (strcmp(scalar(node_at(c, p->key)), key) == 0)
            return node_at(c, p->value);
    return NULL;
}

/* decay.zones: a list of [upper_min, weight] pairs, ascending. */
static am_status parse_zones(const parse_ctx *c, const yaml_node_t *v,
                             const char *where, am_decay_spec *d)
{
    static const list_shape pairs = {"[upper_min, weight] pairs", "zones",
                                     YAML_NO_NODE, 0, ""};
    char buf[96], key[AM_KEY_MAX], path[AM_KEY_MAX + 16];
    snprintf(key, sizeof key, "%s.zones", where);
    int len = 0;
    am_status rc = list_len(c, v, key, &pairs, AM_DECAY_SPEC_MAX_ZONES, &len);
    if (rc != AM_OK)
        return rc;
    for (int k = 0; k < len; k++) {
        const yaml_node_t *z = list_item(c, v, k, key, path, sizeof path);
        if (z->type != YAML_SEQUENCE_NODE ||
            z->data.sequence.items.top - z->data.sequence.items.start != 2)
            return perr(c, z, "'%s' must be a pair [upper_min, weight], not %s",
                        path, describe(z, buf, sizeof buf));
        const yaml_node_t *u = node_at(c, z->data.sequence.items.start[0]);
        const yaml_node_t *w = node_at(c, z->data.sequence.items.start[1]);
        char pu[AM_KEY_MAX + 32], pw[AM_KEY_MAX + 32];
        snprintf(pu, sizeof pu, "%s upper_min", path);
        snprintf(pw, sizeof pw, "%s weight", path);
        rc = parse_minutes(c, u, pu, &d->zone_upper_min[k]);
        if (rc == AM_OK)
            rc = parse_double(c, w, pw, &range_weight, &d->zone_weight[k]);
        if (rc != AM_OK)
            return rc;
        if (k > 0 && !(d->zone_upper_min[k] > d->zone_upper_min[k - 1]))
            return perr(c, u,
                        "'%s.zones' must be strictly ascending in upper_min "
                        "(%s follows %g)",
                        where, scalar(u), d->zone_upper_min[k - 1]);
        if (k > 0 && am_minutes_to_ds(d->zone_upper_min[k]) ==
                         am_minutes_to_ds(d->zone_upper_min[k - 1]))
            return perr(c, u,
                        "'%s.zones': upper_min %s and %.10g are the same "
                        "once rounded to whole tenths of a second (travel "
                        "times are counted in 0.1 s)",
                        where, scalar(u), d->zone_upper_min[k - 1]);
    }
    d->n_zones = len;
    return AM_OK;
}

/* measures[i].decay for a measure of type info (docs/scenario.md). */
static am_status parse_decay(const parse_ctx *c, const yaml_node_t *n,
                             const char *mwhere, const am_measure_info *info,
                             am_decay_spec *d)
{
    char where[AM_KEY_MAX], path[AM_KEY_MAX];
    key_path(where, sizeof where, mwhere, "decay");
    am_status rc = check_mapping(c, n, where, decay_keys);
    if (rc != AM_OK)
        return rc;
    const yaml_node_t *tv = lookup(c, n, "type");
    if (tv == NULL)
        return perr(c, n, "missing required key 'type' in '%s' (one of: %s)",
                    where, am_decay_type_list());
    const char *t = NULL;
    key_path(path, sizeof path, where, "type");
    if ((rc = scalar_string(c, tv, path, &t)) != AM_OK)
        return rc;
    am_decay_type dt = am_decay_type_named(t);
    if (dt == 0) {
        const char *close = am_decay_type_suggest(t);
        char hint[96] = "";
        if (close != NULL)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", close);
        return perr(c, tv,
                    "'%s': unknown decay type '%s' (expected one of: "
                    "%s)%s",
                    path, t, am_decay_type_list(), hint);
    }
    if (!(info->decays & AM_DECAY_BIT(dt)))
        return perr(
            c, tv, "'%s': a measure of type %s does not take decay '%s'%s",
            path, info->name, t,
            info->decays == AM_DECAY_BIT(AM_DECAY_ZONES) ? " (zones only)"
                                                         : "");
    d->type = (am_decay_kind)dt;
    unsigned takes = 0, req = 0;
    am_decay_keys(dt, &takes, &req);
    for (int k = 1; decay_keys[k] != NULL; k++) {
        const unsigned bit = 1u << (k - 1);
        const yaml_node_t *v = lookup(c, n, decay_keys[k]);
        if (v != NULL && !(takes & bit))
            return perr(c, v,
                        "'%s.%s' is not a parameter of decay '%s' (it "
                        "takes: %s)",
                        where, decay_keys[k], t,
                        dt == AM_DECAY_ZONES ? "zones"
                        : dt == AM_DECAY_STEP || dt == AM_DECAY_LINEAR ||
                                dt == AM_DECAY_DAI_GAUSSIAN
                            ? "cutoff_min"
                        : dt == AM_DECAY_GAUSSIAN    ? "sigma_min, cutoff_min"
                        : dt == AM_DECAY_EXPONENTIAL ? "beta, cutoff_min"
                        : dt == AM_DECAY_POWER       ? "beta, t_min, cutoff_min"
                                                     : "t_half_min, sd_min, "
                                                       "cutoff_min");
        if (v == NULL && (req & bit))
            return perr(c, n,
                        "missing required key '%s' in '%s' (decay '%s' "
                        "needs it)",
                        decay_keys[k], where, t);
    }
    rc = get_minutes(c, n, where, "cutoff_min", &d->cutoff_min);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "sigma_min", &range_shape_minutes,
                        &d->sigma_min);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "beta", &range_beta, &d->beta);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "t_min", &range_shape_minutes, &d->t_min);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "t_half_min", &range_shape_minutes0,
                        &d->t_half_min);
    if (rc == AM_OK)
        rc =
            get_double(c, n, where, "sd_min", &range_shape_minutes, &d->sd_min);
    const yaml_node_t *zones = lookup(c, n, "zones");
    if (rc == AM_OK && zones != NULL)
        rc = parse_zones(c, zones, where, d);
    if (rc != AM_OK)
        return rc;
    const char *why = am_decay_spec_problem(d);
    if (why != NULL)
        return perr(c, n, "'%s': %s", where, why);
    return AM_OK;
}

/* A key measure type info does not take, at its line. */
static am_status not_taken(const parse_ctx *c, const yaml_node_t *n,
                           const char *where, const am_measure_info *info,
                           const char *key, const char *hint)
{
    return perr(c, lookup_any(c, n, key),
                "'%s.%s': a measure of type %s takes no %s%s", where, key,
                info->name, key, hint);
}

/* issue 9: capacity_coverage's allocation (a name, with did you mean). */
static am_status parse_allocation(const parse_ctx *c, const yaml_node_t *n,
                                  const char *where, am_measure_spec *m)
{
    const yaml_node_t *a = lookup(c, n, "allocation");
    if (a == NULL)
        return AM_OK;
    char path[AM_KEY_MAX];
    const char *t = NULL;
    key_path(path, sizeof path, where, "allocation");
    am_status rc = scalar_string(c, a, path, &t);
    if (rc != AM_OK)
        return rc;
    m->allocation = am_allocation_named(t);
    if (m->allocation != AM_ALLOCATION_DEFAULT)
        return AM_OK;
    const char *close = am_allocation_suggest(t);
    char hint[96] = "";
    if (close != NULL)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", close);
    return perr(c, a, "'%s': unknown allocation '%s' (expected one of: %s)%s",
                path, t, am_allocation_list(), hint);
}

/* Needs the cutoffs already parsed (threshold default). */
static am_status parse_measure(const parse_ctx *c, const yaml_node_t *n,
                               const char *where, void *item)
{
    am_measure_spec *m = item;
    m->line = (int)n->start_mark.line + 1;
    const am_scenario *s = c->s;
    double largest = s->cutoffs_min[s->n_cutoffs - 1];
    am_status rc = check_mapping(c, n, where, measure_keys);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "name", &m->name);
    if (rc == AM_OK && m->name != NULL)
        rc = check_name(c, n, where, m->name, 1);
    if (rc != AM_OK)
        return rc;
    const yaml_node_t *type = lookup(c, n, "type");
    const am_measure_info *info = am_measure_info_of(AM_MEASURE_TYPE_2SFCA);
    if (type != NULL) {
        char path[AM_KEY_MAX];
        const char *t = NULL;
        key_path(path, sizeof path, where, "type");
        if ((rc = scalar_string(c, type, path, &t)) != AM_OK)
            return rc;
        info = am_measure_info_named(t);
        if (info == NULL) {
            const char *close = am_measure_type_suggest(t);
            char hint[96] = "";
            if (close != NULL)
                snprintf(hint, sizeof hint, "; did you mean '%s'?", close);
            return perr(c, type,
                        "'%s': unknown measure type '%s' (expected one of: "
                        "%s)%s",
                        path, t, am_measure_type_list(), hint);
        }
    }
    m->type = info->type;
    const yaml_node_t *thr = lookup(c, n, "threshold_min");
    const yaml_node_t *decay = lookup(c, n, "decay");
    if (thr != NULL && !(info->takes & AM_MP_THRESHOLD))
        return not_taken(c, n, where, info, "threshold_min",
                         (info->takes & AM_MP_DECAY)
                             ? " (give its decay: threshold_min is a step)"
                             : "");
    if (decay != NULL && !(info->takes & AM_MP_DECAY))
        return not_taken(c, n, where, info, "decay",
                         (info->takes & AM_MP_THRESHOLD)
                             ? " (its weighting is fixed; give threshold_min)"
                             : "");
    if (lookup(c, n, "alpha") != NULL && !(info->takes & AM_MP_ALPHA))
        return not_taken(c, n, where, info, "alpha", " (spav only)");
    if (lookup(c, n, "n") != NULL && !(info->takes & AM_MP_N))
        return not_taken(c, n, where, info, "n", " (nearest_n only)");
    if (lookup(c, n, "persons_per_capacity") != NULL &&
        !(info->takes & AM_MP_PERSONS))
        return not_taken(c, n, where, info, "persons_per_capacity",
                         " (capacity_coverage only)");
    if (lookup(c, n, "allocation") != NULL && !(info->takes & AM_MP_ALLOCATION))
        return not_taken(c, n, where, info, "allocation",
                         " (capacity_coverage only)");
    if (thr != NULL && decay != NULL)
        return perr(c, decay,
                    "'%s': give threshold_min or decay, not both "
                    "(threshold_min is a step decay to it)",
                    where);
    if (decay == NULL && (info->requires & AM_MP_DECAY))
        return perr(c, n,
                    "missing required key 'decay' in '%s' (a %s measure "
                    "needs a decay, e.g. {type: exponential, beta: 0.1})",
                    where, info->name);
    if (decay != NULL)
        rc = parse_decay(c, decay, where, info, &m->decay);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "alpha", &range_alpha, &m->alpha);
    if (rc == AM_OK)
        rc = get_int(c, n, where, "n", 1, AM_NEAREST_N_MAX, &m->n);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "persons_per_capacity", &range_persons,
                        &m->persons_per_capacity);
    if (rc == AM_OK)
        rc = parse_allocation(c, n, where, m);
    if (rc != AM_OK || decay != NULL || !(info->takes & AM_MP_THRESHOLD) ||
        info->default_decay == AM_DECAY_ZONES)
        return rc;
    /* Default threshold: as for the default measure. A threshold above the
     * largest cutoff is allowed: the catchments then reach it. */
    m->threshold_min = largest;
    for (int i = 0; i < s->n_cutoffs; i++)
        if (s->cutoffs_min[i] == 30.0)
            m->threshold_min = 30.0;
    return get_minutes(c, n, where, "threshold_min", &m->threshold_min);
}

static am_status parse_measures(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    int count = 0;
    am_status rc =
        list_items(c, n, "measures", AM_MAX_MEASURES, "measures", &count);
    if (rc != AM_OK)
        return rc;
    s->measures = am_calloc((size_t)count, sizeof *s->measures);
    if (s->measures == NULL)
        return nomem(c);
    s->n_measures = count;
    rc = parse_items(c, n, "measures", s->measures, sizeof *s->measures, count,
                     parse_measure);
    if (rc != AM_OK)
        return rc;
    return unique_names(c, n, "measures", "measure", s->measures,
                        sizeof *s->measures, offsetof(am_measure_spec, name),
                        count);
}

/* ---- issue 9, matrix input: matrix, demand, supply ---------------------- */

static const char *const matrix_keys[] = {
    "path", "from_field", "to_field", "time_field", "time_unit", NULL};
static const char *const zone_table_keys[] = {"path", "id_field", "field",
                                              NULL};

static am_status parse_matrix(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    am_status rc = check_mapping(c, n, "matrix", matrix_keys);
    if (rc == AM_OK)
        rc = get_string(c, n, "matrix", "path", &s->matrix_path);
    if (rc == AM_OK)
        rc = get_string(c, n, "matrix", "from_field", &s->matrix_from_field);
    if (rc == AM_OK)
        rc = get_string(c, n, "matrix", "to_field", &s->matrix_to_field);
    if (rc == AM_OK)
        rc = get_string(c, n, "matrix", "time_field", &s->matrix_time_field);
    if (rc == AM_OK)
        rc = get_string(c, n, "matrix", "time_unit", &s->matrix_time_unit);
    if (rc == AM_OK && s->matrix_time_unit != NULL &&
        strcmp(s->matrix_time_unit, "minutes") != 0 &&
        strcmp(s->matrix_time_unit, "seconds") != 0)
        rc = perr(c, lookup(c, n, "time_unit"),
                  "'matrix.time_unit' must be 'minutes' or 'seconds' (got "
                  "'%s')",
                  s->matrix_time_unit);
    if (rc == AM_OK && s->matrix_path == NULL)
        rc = perr(c, n, "missing required key 'path' in 'matrix'");
    return rc;
}

/* demand: or supply: {path, id_field, field}. */
static am_status parse_zone_table(const parse_ctx *c, const yaml_node_t *n,
                                  const char *where, char **path,
                                  char **id_field, char **field)
{
    am_status rc = check_mapping(c, n, where, zone_table_keys);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "path", path);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "id_field", id_field);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "field", field);
    if (rc == AM_OK && *path == NULL)
        rc = perr(c, n, "missing required key 'path' in '%s'", where);
    if (rc == AM_OK && *field == NULL)
        rc =
            perr(c, n,
                 "missing required key 'field' in '%s' (the column holding "
                 "each zone's %s)",
                 where, strcmp(where, "demand") == 0 ? "population" : "supply");
    return rc;
}

static am_status parse_demand(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    return parse_zone_table(c, n, "demand", &s->demand_path,
                            &s->demand_id_field, &s->demand_field);
}

static am_status parse_supply(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    return parse_zone_table(c, n, "supply", &s->supply_path,
                            &s->supply_id_field, &s->supply_field);
}

/*
 * A matrix scenario (matrix:, demand:, supply:) has no roads, population,
 * facilities, snap, zones or equity (zones and equity statistics work on
 * the population grid); the error points at the key given second.
 */
static am_status check_mode(const parse_ctx *c, const yaml_node_t *root)
{
    static const char *const matrix_side[] = {"matrix", "demand", "supply"};
    static const char *const network_side[] = {
        "roads", "population", "facilities", "snap",
        "zones", "equity",     "selection"};
    const yaml_node_t *m = NULL, *k = NULL;
    const char *mk = NULL, *nk = NULL;
    for (int i = 0; i < 3 && m == NULL; i++)
        if ((m = lookup(c, root, matrix_side[i])) != NULL)
            mk = matrix_side[i];
    for (size_t i = 0;
         i < sizeof network_side / sizeof *network_side && k == NULL; i++)
        if ((k = lookup(c, root, network_side[i])) != NULL)
            nk = network_side[i];
    if (m != NULL && k != NULL) {
        int m_later = m->start_mark.index > k->start_mark.index;
        return perr(c, m_later ? m : k,
                    "'%s' and '%s' both given: a matrix scenario (matrix, "
                    "demand, supply) has no roads, population, facilities, "
                    "snap, zones, equity or selection; remove one side",
                    m_later ? mk : nk, m_later ? nk : mk);
    }
    if (m == NULL)
        return AM_OK;
    for (int i = 0; i < 3; i++)
        if (lookup(c, root, matrix_side[i]) == NULL)
            return perr(c, m,
                        "'%s' needs '%s': a matrix scenario has 'matrix', "
                        "'demand' and 'supply'",
                        mk, matrix_side[i]);
    return AM_OK;
}

static am_status parse_zone_raster(const parse_ctx *c, const yaml_node_t *n,
                                   const char *where, am_zone_source *z);

/* One entry of `zones` (issue 9): an admin polygon layer. */
static am_status parse_zone_layer(const parse_ctx *c, const yaml_node_t *n,
                                  const char *where, void *item)
{
    am_zone_source *z = item;
    z->line = (int)n->start_mark.line + 1;
    am_status rc = check_mapping(c, n, where, zone_layer_keys);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "name", &z->name);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "path", &z->path);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "layer", &z->layer);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "where", &z->where);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "id_field", &z->id_field);
    if (rc == AM_OK && z->name != NULL) {
        rc = check_name(c, n, where, z->name, 0);
        if (rc == AM_OK && strcmp(z->name, "overall") == 0)
            rc = perr(c, lookup(c, n, "name"),
                      "'%s.name': 'overall' is reserved (the table of all "
                      "people)",
                      where);
    }
    if (rc == AM_OK)
        rc = parse_zone_raster(c, n, where, z);
    if (rc == AM_OK && z->path == NULL && z->raster == NULL)
        rc = perr(c, n,
                  "missing required key 'path' (polygons) or 'raster' "
                  "(settlement classes) in '%s'",
                  where);
    return rc;
}

static am_status parse_zone_layers(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    int count = 0;
    am_status rc =
        list_items(c, n, "zones", AM_MAX_ZONE_LAYERS, "zone layers", &count);
    if (rc != AM_OK)
        return rc;
    s->zone_layers = am_calloc((size_t)count, sizeof *s->zone_layers);
    if (s->zone_layers == NULL)
        return nomem(c);
    s->n_zone_layers = count;
    s->equity = 1;
    rc = parse_items(c, n, "zones", s->zone_layers, sizeof *s->zone_layers,
                     count, parse_zone_layer);
    if (rc != AM_OK)
        return rc;
    return unique_names(c, n, "zones", "zone layer", s->zone_layers,
                        sizeof *s->zone_layers, offsetof(am_zone_source, name),
                        count);
}

/*
 * A list of numbers within range (a single number stands for a list of
 * one; [] for none), at most max, into a new array *out (NULL when
 * empty) and *count. ascending: each must exceed the one before.
 */
static am_status number_list(const parse_ctx *c, const yaml_node_t *n,
                             const char *key, const num_range *range, int max,
                             int ascending, double **out, int *count)
{
    static const list_shape numbers = {"numbers", "numbers", YAML_SCALAR_NODE,
                                       1, ""};
    int len = 0;
    am_status rc = list_len(c, n, key, &numbers, max, &len);
    if (rc != AM_OK)
        return rc;
    double *v = NULL;
    if (len > 0 && (v = am_alloc_array((size_t)len, sizeof *v)) == NULL)
        return nomem(c);
    for (int i = 0; i < len; i++) {
        const yaml_node_t *e = list_at(c, n, i);
        char path[AM_KEY_MAX];
        snprintf(path, sizeof path, "%s[%d]", key, i);
        rc = parse_double(c, e, path, range, &v[i]);
        if (rc == AM_OK && ascending && i > 0 && !(v[i] > v[i - 1]))
            rc = perr(c, e, "'%s' must be strictly ascending (%s follows %g)",
                      key, scalar(e), v[i - 1]);
        if (rc != AM_OK) {
            am_free(v);
            return rc;
        }
    }
    *out = v;
    *count = len;
    return AM_OK;
}

/* `classes` of a settlement raster (issue 9): label -> values, no value
 * under two labels (nor twice under one). */
static am_status parse_zone_classes(const parse_ctx *c, const yaml_node_t *n,
                                    const char *where, am_zone_source *z)
{
    char key[AM_KEY_MAX];
    snprintf(key, sizeof key, "%s.classes", where);
    am_status rc = check_mapping(c, n, key, NULL);
    if (rc != AM_OK)
        return rc;
    const yaml_node_pair_t *first = n->data.mapping.pairs.start;
    const int count = (int)(n->data.mapping.pairs.top - first);
    if (count < 1)
        return perr(c, n,
                    "'%s' needs at least one class (label: [values], e.g. "
                    "urban: [30, 23, 22, 21])",
                    key);
    if (count > AM_MAX_ZONE_CLASSES)
        return perr(c, n, "'%s' lists %d classes (at most %d)", key, count,
                    AM_MAX_ZONE_CLASSES);
    z->class_label = am_calloc((size_t)count, sizeof *z->class_label);
    z->class_n_values = am_calloc((size_t)count, sizeof *z->class_n_values);
    z->class_values = am_calloc((size_t)count, sizeof *z->class_values);
    if (z->class_label == NULL || z->class_n_values == NULL ||
        z->class_values == NULL)
        return nomem(c);
    z->n_classes = count;
    for (int k = 0; k < count; k++) {
        const yaml_node_t *kn = node_at(c, first[k].key);
        const yaml_node_t *vn = node_at(c, first[k].value);
        const char *label = scalar(kn);
        if (label == NULL || label[0] == '\0')
            return perr(c, kn, "'%s': a class label is empty", key);
        if ((z->class_label[k] = am_strdup(label)) == NULL)
            return nomem(c);
        char path[2 * AM_KEY_MAX];
        snprintf(path, sizeof path, "%s.%s", key, label);
        if (is_null(vn))
            return perr(c, vn,
                        "'%s' needs a list of raster values (e.g. [30, 23])",
                        path);
        rc = number_list(c, vn, path, &range_level, AM_MAX_ZONE_CLASS_VALUES, 0,
                         &z->class_values[k], &z->class_n_values[k]);
        if (rc != AM_OK)
            return rc;
        if (z->class_n_values[k] == 0)
            return perr(c, vn,
                        "'%s' needs a list of raster values (e.g. [30, 23])",
                        path);
        for (int j = 0; j < z->class_n_values[k]; j++) {
            const double v = z->class_values[k][j];
            for (int k2 = 0; k2 <= k; k2++)
                for (int j2 = 0; j2 < (k2 == k ? j : z->class_n_values[k2]);
                     j2++)
                    if (z->class_values[k2][j2] == v)
                        return perr(c, vn,
                                    "'%s': value %g is listed under '%s' "
                                    "and '%s' (a value belongs to one "
                                    "class)",
                                    key, v, z->class_label[k2], label);
        }
    }
    return AM_OK;
}

/* The settlement raster keys of a `zones` entry (issue 9): `raster`,
 * `band`, `classes`; refused beside the polygon keys. */
static am_status parse_zone_raster(const parse_ctx *c, const yaml_node_t *n,
                                   const char *where, am_zone_source *z)
{
    am_status rc = get_string(c, n, where, "raster", &z->raster);
    if (rc == AM_OK)
        rc = get_int(c, n, where, "band", 1, 1 << 16, &z->band);
    if (rc != AM_OK)
        return rc;
    const yaml_node_t *r = lookup(c, n, "raster");
    if (z->raster != NULL && z->path != NULL) {
        const yaml_node_t *p = lookup(c, n, "path");
        const int r_later = r->start_mark.index > p->start_mark.index;
        return perr(c, r_later ? r : p,
                    "'%s': 'path' (polygons) and 'raster' (settlement "
                    "classes) both given; give one",
                    where);
    }
    static const char *const polygon_only[] = {"layer", "where", "id_field"};
    static const char *const raster_only[] = {"band", "classes"};
    for (int i = 0; z->raster != NULL && i < 3; i++)
        if (lookup(c, n, polygon_only[i]) != NULL)
            return perr(c, lookup(c, n, polygon_only[i]),
                        "'%s.%s' is for polygon layers (path:), not a "
                        "settlement raster (raster:)",
                        where, polygon_only[i]);
    for (int i = 0; z->raster == NULL && i < 2; i++)
        if (lookup(c, n, raster_only[i]) != NULL)
            return perr(c, lookup(c, n, raster_only[i]),
                        "'%s.%s' needs a settlement raster ('raster:'); a "
                        "polygon layer groups its features by 'id_field'",
                        where, raster_only[i]);
    const yaml_node_t *cl = lookup(c, n, "classes");
    if (cl != NULL)
        return parse_zone_classes(c, cl, where, z);
    return AM_OK;
}

/* `equity` (issue 9): percentiles, access levels, the CSV output. */
static am_status parse_equity(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    am_status rc = check_mapping(c, n, "equity", equity_keys);
    if (rc != AM_OK)
        return rc;
    s->equity = 1;
    const yaml_node_t *v = lookup_any(c, n, "percentiles");
    if (v != NULL) {
        double *pct = NULL;
        int count = 0;
        if (is_null(v))
            return perr(c, v,
                        "'equity.percentiles' needs a list of percentiles "
                        "(e.g. [10, 50, 90]; [] for none)");
        rc = number_list(c, v, "equity.percentiles", &range_percent,
                         AM_MAX_EQUITY_PERCENTILES, 1, &pct, &count);
        if (rc != AM_OK)
            return rc;
        am_free(s->equity_pct);
        s->equity_pct = pct;
        s->n_equity_pct = count;
    }
    v = lookup(c, n, "below");
    if (v != NULL) {
        double *lv = NULL;
        int count = 0;
        rc = number_list(c, v, "equity.below", &range_level,
                         AM_MAX_EQUITY_LEVELS, 1, &lv, &count);
        if (rc != AM_OK)
            return rc;
        am_free(s->equity_below);
        s->equity_below = lv;
        s->n_equity_below = count;
    }
    return get_string(c, n, "equity", "csv", &s->equity_csv);
}

/*
 * `surface` (issue 9): true / false, or a mapping {enabled, max_time_min};
 * a mapping turns the surface on unless it says enabled: false.
 */
static am_status parse_surface(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    char buf[96];
    s->surface_line = (int)n->start_mark.line + 1;
    if (n->type == YAML_SCALAR_NODE) {
        const char *str = is_plain(n) ? scalar(n) : "";
        if (strcmp(str, "true") == 0 || strcmp(str, "false") == 0) {
            s->surface = strcmp(str, "true") == 0;
            return AM_OK;
        }
    }
    if (n->type != YAML_MAPPING_NODE)
        return perr(c, n,
                    "'surface' must be true, false or a mapping (enabled, "
                    "max_time_min), not %s",
                    describe(n, buf, sizeof buf));
    am_status rc = check_mapping(c, n, "surface", surface_keys);
    if (rc != AM_OK)
        return rc;
    s->surface = 1;
    rc = get_bool(c, n, "surface", "enabled", &s->surface);
    if (rc == AM_OK)
        rc = get_minutes(c, n, "surface", "max_time_min", &s->surface_max_min);
    return rc;
}

/* ---- issue 9, facility tiers: tier, cutoffs_min and measures of a set,
 * combined indicators, referrals -------------------------------------- */

/* A list of cutoffs (a single number for one): time limits
 * (parse_minutes), strictly ascending and distinct in 0.1 s; into *out
 * (owned). The scenario's cutoffs_min and a facility set's. */
static am_status cutoff_list(const parse_ctx *c, const yaml_node_t *n,
                             const char *key, double **out, int *count)
{
    /* cutoffs_min: 30 stands for [30] */
    static const list_shape minutes = {"minutes", "cutoffs", YAML_SCALAR_NODE,
                                       0, ""};
    int len = 0;
    am_status rc = list_len(c, n, key, &minutes, AM_MAX_CUTOFFS, &len);
    if (rc != AM_OK)
        return rc;
    double *v = am_alloc_array((size_t)len, sizeof *v);
    if (v == NULL)
        return nomem(c);
    for (int i = 0; i < len && rc == AM_OK; i++) {
        const yaml_node_t *e = list_at(c, n, i);
        char path[AM_KEY_MAX];
        snprintf(path, sizeof path, "%s[%d]", key, i);
        rc = parse_minutes(c, e, path, &v[i]);
        if (rc == AM_OK && i > 0 && !(v[i] > v[i - 1]))
            rc = perr(c, e, "'%s' must be strictly ascending (%s follows %g)",
                      key, scalar(e), v[i - 1]);
        else if (rc == AM_OK && i > 0 &&
                 am_minutes_to_ds(v[i]) == am_minutes_to_ds(v[i - 1]))
            rc = perr(c, e,
                      "'%s': %s and %.10g are the same cutoff once rounded "
                      "to whole tenths of a second (travel times are counted "
                      "in 0.1 s)",
                      key, scalar(e), v[i - 1]);
    }
    if (rc != AM_OK) {
        am_free(v);
        return rc;
    }
    *out = v;
    *count = len;
    return AM_OK;
}

/* A list of names (a single string for one) into *out (owned). */
static am_status name_list(const parse_ctx *c, const yaml_node_t *n,
                           const char *key, int max, char ***out, int *count)
{
    static const list_shape names = {"names", "names", YAML_SCALAR_NODE, 0, ""};
    int len = 0;
    am_status rc = list_len(c, n, key, &names, max, &len);
    if (rc != AM_OK)
        return rc;
    char **v = am_calloc_array((size_t)len, sizeof *v);
    if (v == NULL)
        return nomem(c);
    *out = v; /* owned by the scenario from here on */
    *count = len;
    for (int i = 0; i < len; i++) {
        const yaml_node_t *e = list_at(c, n, i);
        char path[AM_KEY_MAX];
        snprintf(path, sizeof path, "%s[%d]", key, i);
        const char *str = NULL;
        rc = scalar_string(c, e, path, &str);
        if (rc != AM_OK)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(v[j], str) == 0)
                return perr(c, e, "'%s': '%s' is listed twice", key, str);
        if ((v[i] = am_strdup(str)) == NULL)
            return nomem(c);
    }
    return AM_OK;
}

static am_status parse_set_tiers(const parse_ctx *c, const yaml_node_t *n,
                                 const char *where, am_facility_source *f)
{
    char path[AM_KEY_MAX];
    am_status rc = get_int(c, n, where, "tier", 1, AM_MAX_TIER, &f->tier);
    const yaml_node_t *v = rc == AM_OK ? lookup(c, n, "cutoffs_min") : NULL;
    if (v != NULL) {
        key_path(path, sizeof path, where, "cutoffs_min");
        rc = cutoff_list(c, v, path, &f->cutoffs_min, &f->n_cutoffs);
    }
    v = rc == AM_OK ? lookup(c, n, "measures") : NULL;
    if (v != NULL) {
        key_path(path, sizeof path, where, "measures");
        rc = name_list(c, v, path, AM_MAX_MEASURES, &f->measures,
                       &f->n_measures);
    }
    return rc;
}

static const char *const combined_keys[] = {"name", "within", NULL};
static const char *const referrals_keys[] = {"csv", NULL};

/* One combined indicator: {name, within: {set: minutes, ...}}. */
static am_status parse_combined_one(const parse_ctx *c, const yaml_node_t *n,
                                    const char *where, void *item)
{
    am_combined_spec *cb = item;
    cb->line = (int)n->start_mark.line + 1;
    char path[AM_KEY_MAX];
    am_status rc = check_mapping(c, n, where, combined_keys);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "name", &cb->name);
    if (rc == AM_OK && cb->name == NULL)
        rc = perr(c, n, "missing required key 'name' in '%s'", where);
    if (rc == AM_OK)
        rc = check_name(c, n, where, cb->name, 0);
    const yaml_node_t *w = rc == AM_OK ? lookup(c, n, "within") : NULL;
    if (rc == AM_OK && w == NULL)
        rc = perr(c, n,
                  "missing required key 'within' in '%s' (e.g. within: "
                  "{primary: 15, regional: 60})",
                  where);
    if (rc != AM_OK)
        return rc;
    key_path(path, sizeof path, where, "within");
    if ((rc = check_mapping(c, w, path, NULL)) != AM_OK)
        return rc;
    ptrdiff_t len = w->data.mapping.pairs.top - w->data.mapping.pairs.start;
    if (len < 1 || len > AM_MAX_COMBINED_CONDITIONS)
        return perr(c, w, "'%s' lists %ld conditions (1 to %d)", path,
                    (long)len, AM_MAX_COMBINED_CONDITIONS);
    for (ptrdiff_t i = 0; i < len; i++) {
        const yaml_node_pair_t *p = w->data.mapping.pairs.start + i;
        const yaml_node_t *k = node_at(c, p->key);
        const yaml_node_t *v = node_at(c, p->value);
        char vpath[AM_KEY_MAX];
        key_path(vpath, sizeof vpath, path, scalar(k));
        if (is_null(v))
            return perr(c, v, "'%s' needs a time in minutes", vpath);
        rc = parse_minutes(c, v, vpath, &cb->minutes[i]);
        if (rc != AM_OK)
            return rc;
        if ((cb->set[i] = am_strdup(scalar(k))) == NULL)
            return nomem(c);
        cb->n_conditions = (int)i + 1;
    }
    return AM_OK;
}

static am_status parse_combined(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    int count = 0;
    am_status rc = list_items(c, n, "combined", AM_MAX_COMBINED,
                              "combined indicators", &count);
    if (rc != AM_OK)
        return rc;
    s->combined = am_calloc((size_t)count, sizeof *s->combined);
    if (s->combined == NULL)
        return nomem(c);
    s->n_combined = count;
    rc = parse_items(c, n, "combined", s->combined, sizeof *s->combined, count,
                     parse_combined_one);
    if (rc != AM_OK)
        return rc;
    return unique_names(c, n, "combined", "combined indicator", s->combined,
                        sizeof *s->combined, offsetof(am_combined_spec, name),
                        count);
}

static am_status parse_referrals(const parse_ctx *c, const yaml_node_t *n)
{
    am_status rc = check_mapping(c, n, "referrals", referrals_keys);
    if (rc == AM_OK)
        rc = get_string(c, n, "referrals", "csv", &c->s->referrals_csv);
    return rc;
}

/* ---- issue 10, site selection ------------------------------------------ */

static const char *const selection_keys[] = {
    "name",  "facilities", "candidates",     "model",       "cutoff_min",
    "p",     "budget",     "target_share",   "penalty_min", "local_search",
    "exact", "sweep",      "coverage_floor", "catchments",  NULL};
static const char *const candidates_keys[] = {"layer",
                                              "grid",
                                              "populated_cells",
                                              "road_nodes",
                                              "exclude_within_min",
                                              "exclude_within_m",
                                              "capacity",
                                              "sizes",
                                              NULL};
static const char *const cand_layer_keys[] = {
    "path",           "layer",      "where", "id_field",
    "capacity_field", "cost_field", "crs",   NULL};
static const char *const cand_grid_keys[] = {"spacing_m", "min_population",
                                             NULL};
static const char *const cand_cells_keys[] = {"min_population", NULL};
static const char *const cand_road_keys[] = {"classes", "spacing_m",
                                             "min_population", NULL};
static const num_range range_spacing = {AM_SELECTION_SPACING_MIN_M,
                                        AM_SELECTION_SPACING_MAX_M, 0, " m"};
static const num_range range_population = {0.0, 1e12, 0, " persons"};
static const num_range range_exclude_m = {0.0, AM_SNAP_MAX_M_MAX, 1, " m"};
static const num_range range_budget = {0.0, 1e300, 1, ""};
static const num_range range_share = {0.0, 1.0, 1, ""};

/* issue 10, the equity models: candidates.sizes, a list of {capacity,
 * cost}; capacities > 0 and distinct, costs >= 0 (default 0). */
static const char *const cand_size_keys[] = {"capacity", "cost", NULL};
static const num_range range_size_capacity = {0.0, AM_CAPACITY_MAX, 1, ""};
static const num_range range_size_cost = {0.0, 1e300, 0, ""};

static am_status parse_sizes(const parse_ctx *c, const yaml_node_t *n,
                             am_selection_spec *sel)
{
    static const list_shape sizes = {
        "{capacity, cost} mappings", "sizes", YAML_NO_NODE, 0,
        " (give at least one size, or leave sizes out for the candidates' "
        "capacity)"};
    const char *key = "selection.candidates.sizes";
    char where[AM_KEY_MAX];
    int len = 0;
    am_status rc = list_len(c, n, key, &sizes, AM_SELECTION_SIZES_MAX, &len);
    if (rc != AM_OK)
        return rc;
    sel->size_capacity = am_calloc_array((size_t)len, sizeof(double));
    sel->size_cost = am_calloc_array((size_t)len, sizeof(double));
    if (sel->size_capacity == NULL || sel->size_cost == NULL)
        return nomem(c);
    sel->n_sizes = len;
    for (int k = 0; k < len; k++) {
        const yaml_node_t *v = list_item(c, n, k, key, where, sizeof where);
        rc = check_mapping(c, v, where, cand_size_keys);
        if (rc == AM_OK && lookup(c, v, "capacity") == NULL)
            rc = perr(c, v, "missing required key 'capacity' in '%s'", where);
        if (rc == AM_OK)
            rc = get_double(c, v, where, "capacity", &range_size_capacity,
                            &sel->size_capacity[k]);
        if (rc == AM_OK)
            rc = get_double(c, v, where, "cost", &range_size_cost,
                            &sel->size_cost[k]);
        if (rc != AM_OK)
            return rc;
        for (int l = 0; l < k; l++)
            if (sel->size_capacity[l] == sel->size_capacity[k])
                return perr(c, v,
                            "'%s': capacity %g is also %s[%d]'s (each size "
                            "once)",
                            where, sel->size_capacity[k], key, l);
    }
    return AM_OK;
}

/* candidates.layer: a point layer read as a facility set is. */
static am_status parse_cand_layer(const parse_ctx *c, const yaml_node_t *n,
                                  am_selection_spec *sel)
{
    const char *where = "selection.candidates.layer";
    am_status rc = check_mapping(c, n, where, cand_layer_keys);
    struct {
        const char *key;
        char **dst;
    } strings[] = {
        {"path", &sel->path},
        {"layer", &sel->layer},
        {"where", &sel->where},
        {"id_field", &sel->id_field},
        {"capacity_field", &sel->capacity_field},
        {"cost_field", &sel->cost_field},
        {"crs", &sel->crs},
    };
    for (size_t i = 0; rc == AM_OK && i < sizeof strings / sizeof *strings; i++)
        rc = get_string(c, n, where, strings[i].key, strings[i].dst);
    if (rc == AM_OK && sel->crs != NULL)
        rc = check_crs(c, n, where, sel->crs);
    if (rc == AM_OK && sel->path == NULL)
        rc = perr(c, n, "missing required key 'path' in '%s'", where);
    return rc;
}

/* candidates.road_nodes: road classes (a list of distinct non-empty
 * strings, or one), the squares' spacing and their population. */
static am_status parse_cand_road_nodes(const parse_ctx *c, const yaml_node_t *n,
                                       am_selection_spec *sel)
{
    const char *where = "selection.candidates.road_nodes";
    char path[AM_KEY_MAX];
    am_status rc = check_mapping(c, n, where, cand_road_keys);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "spacing_m", &range_spacing,
                        &sel->spacing_m);
    if (rc == AM_OK && sel->spacing_m == 0.0)
        rc = perr(c, n, "missing required key 'spacing_m' in '%s'", where);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "min_population", &range_population,
                        &sel->min_population);
    const yaml_node_t *v = rc == AM_OK ? lookup(c, n, "classes") : NULL;
    if (rc == AM_OK && v == NULL)
        rc = perr(c, n,
                  "missing required key 'classes' in '%s' (road classes: "
                  "OSM highway values such as [primary, secondary], or "
                  "values of roads.class_field)",
                  where);
    if (rc != AM_OK)
        return rc;
    static const list_shape classes = {"road classes", "classes",
                                       YAML_SCALAR_NODE, 0, ""};
    key_path(path, sizeof path, where, "classes");
    int len = 0;
    if ((rc = list_len(c, v, path, &classes, 64, &len)) != AM_OK)
        return rc;
    sel->road_classes = am_calloc((size_t)len, sizeof *sel->road_classes);
    if (sel->road_classes == NULL)
        return nomem(c);
    for (int i = 0; i < len; i++) {
        const yaml_node_t *item = list_at(c, v, i);
        const char *str = NULL;
        if (is_null(item))
            return perr(c, item, "'%s': an empty class", path);
        if ((rc = scalar_string(c, item, path, &str)) != AM_OK)
            return rc;
        if (str[0] == '\0')
            return perr(c, item, "'%s': an empty class", path);
        for (int j = 0; j < sel->n_road_classes; j++)
            if (strcmp(sel->road_classes[j], str) == 0)
                return perr(c, item, "'%s': the class '%s' is listed twice",
                            path, str);
        if ((sel->road_classes[i] = am_strdup(str)) == NULL)
            return nomem(c);
        sel->n_road_classes = i + 1;
    }
    return AM_OK;
}

/* selection.candidates: exactly one source, exclusion and capacity. */
static am_status parse_candidates(const parse_ctx *c, const yaml_node_t *n,
                                  am_selection_spec *sel)
{
    const char *where = "selection.candidates";
    am_status rc = check_mapping(c, n, where, candidates_keys);
    if (rc != AM_OK)
        return rc;
    sel->line_candidates = (int)n->start_mark.line + 1;
    const yaml_node_t *lay = lookup(c, n, "layer");
    const yaml_node_t *grid = lookup(c, n, "grid");
    const yaml_node_t *cells = lookup(c, n, "populated_cells");
    const yaml_node_t *rnodes = lookup(c, n, "road_nodes");
    const int given =
        (lay != NULL) + (grid != NULL) + (cells != NULL) + (rnodes != NULL);
    if (given != 1)
        return perr(c, n,
                    "'%s' needs exactly one source of candidates: layer, "
                    "grid, populated_cells or road_nodes (%d given)",
                    where, given);
    if (rnodes != NULL) {
        sel->source = AM_CANDIDATES_ROAD_NODES;
        rc = parse_cand_road_nodes(c, rnodes, sel);
    } else if (lay != NULL) {
        sel->source = AM_CANDIDATES_LAYER;
        rc = parse_cand_layer(c, lay, sel);
    } else if (grid != NULL) {
        sel->source = AM_CANDIDATES_GRID;
        const char *gw = "selection.candidates.grid";
        rc = check_mapping(c, grid, gw, cand_grid_keys);
        if (rc == AM_OK)
            rc = get_double(c, grid, gw, "spacing_m", &range_spacing,
                            &sel->spacing_m);
        if (rc == AM_OK && sel->spacing_m == 0.0)
            rc = perr(c, grid, "missing required key 'spacing_m' in '%s'", gw);
        if (rc == AM_OK)
            rc = get_double(c, grid, gw, "min_population", &range_population,
                            &sel->min_population);
    } else {
        sel->source = AM_CANDIDATES_CELLS;
        const char *cw = "selection.candidates.populated_cells";
        rc = check_mapping(c, cells, cw, cand_cells_keys);
        if (rc == AM_OK)
            rc = get_double(c, cells, cw, "min_population", &range_population,
                            &sel->min_population);
    }
    if (rc == AM_OK)
        rc = get_minutes(c, n, where, "exclude_within_min",
                         &sel->exclude_within_min);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "exclude_within_m", &range_exclude_m,
                        &sel->exclude_within_m);
    if (rc == AM_OK && sel->exclude_within_min > 0 && sel->exclude_within_m > 0)
        rc = perr(c, lookup(c, n, "exclude_within_m"),
                  "'%s': exclude_within_min and exclude_within_m exclude "
                  "each other (give one)",
                  where);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "capacity", &range_capacity,
                        &sel->capacity);
    if (rc == AM_OK && lookup(c, n, "capacity") != NULL &&
        sel->capacity_field != NULL)
        rc = perr(c, lookup(c, n, "capacity"),
                  "'%s': capacity and layer.capacity_field exclude each "
                  "other (give one)",
                  where);
    const yaml_node_t *sz = rc == AM_OK ? lookup(c, n, "sizes") : NULL;
    if (sz != NULL) { /* issue 10, the equity models */
        rc = parse_sizes(c, sz, sel);
        if (rc == AM_OK &&
            (lookup(c, n, "capacity") != NULL || sel->capacity_field != NULL))
            rc = perr(c, sz,
                      "'%s': sizes and %s exclude each other (the model "
                      "picks each site's capacity from the sizes)",
                      where,
                      sel->capacity_field != NULL ? "layer.capacity_field"
                                                  : "capacity");
    }
    return rc;
}

/* The equity models' rules (after the common keys are read). */
static am_status parse_selection_equity(const parse_ctx *c,
                                        const yaml_node_t *n,
                                        const am_selection_spec *sel,
                                        const char *model)
{
    const char *where = "selection";
    const yaml_node_t *pv = lookup(c, n, "p"), *bv = lookup(c, n, "budget");
    const yaml_node_t *fv = lookup(c, n, "coverage_floor");
    if ((pv != NULL) == (bv != NULL))
        return perr(c, pv != NULL ? pv : n,
                    "'%s' needs exactly one of p (sites to add) and budget "
                    "(with candidates.sizes' costs or "
                    "candidates.layer.cost_field)",
                    where);
    if (bv != NULL && sel->cost_field == NULL && sel->n_sizes == 0)
        return perr(c, bv,
                    "'selection.budget' needs costs: candidates.sizes with "
                    "costs or candidates.layer.cost_field");
    /* with a budget and no cost_field an option costs its size's cost: a
       free option would let the budget open every candidate */
    for (int k = 0; bv != NULL && sel->cost_field == NULL && k < sel->n_sizes;
         k++)
        if (!(sel->size_cost[k] > 0))
            return perr(c, bv,
                        "'selection.budget': candidates.sizes[%d] (capacity "
                        "%g) costs %g; with a budget every size needs a cost "
                        "> 0 (or give candidates.layer.cost_field)",
                        k, sel->size_capacity[k], sel->size_cost[k]);
    if (sel->catchments == AM_CATCHMENTS_ON_DEMAND)
        return perr(c, lookup(c, n, "catchments"),
                    "'selection.catchments': on_demand is for mclp, pmedian "
                    "and setcover; the model %s holds every candidate's row "
                    "(use auto or memory)",
                    model);
    if (fv != NULL && sel->cutoff_min == 0.0)
        return perr(c, fv,
                    "'selection.coverage_floor' needs cutoff_min (the time "
                    "the floor counts within)");
    if (fv == NULL && lookup(c, n, "cutoff_min") != NULL)
        return perr(c, lookup(c, n, "cutoff_min"),
                    "'selection.cutoff_min' is the coverage floor's time for "
                    "the model %s; give coverage_floor too, or leave it out",
                    model);
    const char *other[] = {"target_share", "penalty_min"};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        if (lookup(c, n, other[i]) != NULL)
            return perr(c, lookup(c, n, other[i]),
                        "'selection.%s' is not the model %s's", other[i],
                        model);
    if (sel->exact == AM_EXACT_ON)
        return perr(c, lookup(c, n, "exact"),
                    "'selection.exact': no exact solver for the model %s "
                    "(the heuristic is checked against enumeration in "
                    "tests)",
                    model);
    return AM_OK;
}

static const char *const sweep_keys[] = {"cutoffs_min", "measure", NULL};

/* selection.sweep: true/false, or {cutoffs_min: [...], measure: name|none}
 * (on; checked against the set's cutoffs and measures at run time). */
static am_status parse_sweep(const parse_ctx *c, const yaml_node_t *sel_node,
                             am_selection_spec *sel)
{
    const yaml_node_t *v = lookup(c, sel_node, "sweep");
    if (v == NULL)
        return AM_OK;
    sel->line_sweep = (int)v->start_mark.line + 1;
    if (v->type != YAML_MAPPING_NODE)
        return get_bool(c, sel_node, "selection", "sweep", &sel->sweep);
    const char *where = "selection.sweep";
    am_status rc = check_mapping(c, v, where, sweep_keys);
    sel->sweep = 1;
    const yaml_node_t *cv = rc == AM_OK ? lookup(c, v, "cutoffs_min") : NULL;
    if (cv != NULL)
        rc = cutoff_list(c, cv, "selection.sweep.cutoffs_min",
                         &sel->sweep_cutoffs_min, &sel->n_sweep_cutoffs);
    if (rc == AM_OK)
        rc = get_string(c, v, where, "measure", &sel->sweep_measure);
    return rc;
}

static am_status parse_selection(const parse_ctx *c, const yaml_node_t *n)
{
    const char *where = "selection";
    char buf[96];
    am_status rc = check_mapping(c, n, where, selection_keys);
    if (rc != AM_OK)
        return rc;
    am_selection_spec *sel = am_calloc(1, sizeof *sel);
    if (sel == NULL)
        return nomem(c);
    c->s->selection = sel; /* owned by the scenario from here */
    sel->line = (int)n->start_mark.line + 1;
    sel->capacity = 1.0;
    sel->target_share = AM_SELECTION_TARGET_SHARE_DEFAULT;
    sel->local_search = 1;
    sel->sweep = 1;
    rc = get_string(c, n, where, "name", &sel->name);
    if (rc == AM_OK && sel->name == NULL)
        rc = perr(c, n, "missing required key 'name' in '%s'", where);
    if (rc == AM_OK)
        rc = check_name(c, n, where, sel->name, 0);
    if (rc == AM_OK)
        rc = get_string(c, n, where, "facilities", &sel->facilities);
    const yaml_node_t *cand = rc == AM_OK ? lookup(c, n, "candidates") : NULL;
    if (rc == AM_OK && cand == NULL)
        rc = perr(c, n,
                  "missing required key 'candidates' in '%s' (layer, grid, "
                  "populated_cells or road_nodes)",
                  where);
    if (rc == AM_OK)
        rc = parse_candidates(c, cand, sel);
    const yaml_node_t *mv = rc == AM_OK ? lookup(c, n, "model") : NULL;
    if (rc == AM_OK && mv == NULL)
        rc = perr(c, n,
                  "missing required key 'model' in '%s' (mclp, pmedian, "
                  "setcover, maxmin, bottom_decile or variance)",
                  where);
    if (rc != AM_OK)
        return rc;
    const char *model = is_plain(mv) ? scalar(mv) : "";
    if (strcmp(model, "mclp") == 0)
        sel->model = AM_SELECTION_MCLP;
    else if (strcmp(model, "pmedian") == 0)
        sel->model = AM_SELECTION_PMEDIAN;
    else if (strcmp(model, "setcover") == 0)
        sel->model = AM_SELECTION_SETCOVER;
    else if (strcmp(model, "maxmin") == 0)
        sel->model = AM_SELECTION_MAXMIN;
    else if (strcmp(model, "bottom_decile") == 0)
        sel->model = AM_SELECTION_BOTTOM_DECILE;
    else if (strcmp(model, "variance") == 0)
        sel->model = AM_SELECTION_VARIANCE;
    else
        return perr(c, mv,
                    "'selection.model': unknown model %s (expected mclp, "
                    "pmedian, setcover, maxmin, bottom_decile or variance)",
                    describe(mv, buf, sizeof buf));
    rc = get_minutes(c, n, where, "cutoff_min", &sel->cutoff_min);
    if (rc == AM_OK)
        rc = get_int(c, n, where, "p", 1, AM_SELECTION_P_MAX, &sel->p);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "budget", &range_budget, &sel->budget);
    if (rc == AM_OK)
        rc = get_double(c, n, where, "target_share", &range_share,
                        &sel->target_share);
    if (rc == AM_OK)
        rc = get_minutes(c, n, where, "penalty_min", &sel->penalty_min);
    if (rc == AM_OK)
        rc = get_bool(c, n, where, "local_search", &sel->local_search);
    if (rc == AM_OK)
        rc = parse_sweep(c, n, sel);
    if (rc == AM_OK) /* issue 10, the equity models */
        rc = get_double(c, n, where, "coverage_floor", &range_share,
                        &sel->coverage_floor);
    const yaml_node_t *ex = rc == AM_OK ? lookup(c, n, "exact") : NULL;
    if (ex != NULL) {
        sel->line_exact = (int)ex->start_mark.line + 1;
        const char *e = is_plain(ex) ? scalar(ex) : "";
        if (strcmp(e, "auto") == 0)
            sel->exact = AM_EXACT_AUTO;
        else if (strcmp(e, "off") == 0 || strcmp(e, "false") == 0)
            sel->exact = AM_EXACT_OFF;
        else if (strcmp(e, "on") == 0 || strcmp(e, "true") == 0)
            sel->exact = AM_EXACT_ON;
        else
            rc =
                perr(c, ex, "'selection.exact' must be auto, on or off, not %s",
                     describe(ex, buf, sizeof buf));
    }
    const yaml_node_t *cv = rc == AM_OK ? lookup(c, n, "catchments") : NULL;
    if (cv != NULL) {
        const char *e = is_plain(cv) ? scalar(cv) : "";
        if (strcmp(e, "auto") == 0)
            sel->catchments = AM_CATCHMENTS_AUTO;
        else if (strcmp(e, "memory") == 0)
            sel->catchments = AM_CATCHMENTS_MEMORY;
        else if (strcmp(e, "on_demand") == 0)
            sel->catchments = AM_CATCHMENTS_ON_DEMAND;
        else
            rc = perr(c, cv,
                      "'selection.catchments' must be auto, memory or "
                      "on_demand, not %s",
                      describe(cv, buf, sizeof buf));
    }
    if (rc != AM_OK)
        return rc;
    const yaml_node_t *pv = lookup(c, n, "p"), *bv = lookup(c, n, "budget");
    sel->line_p = pv != NULL ? (int)pv->start_mark.line + 1 : 0;
    sel->line_budget = bv != NULL ? (int)bv->start_mark.line + 1 : 0;
    if (AM_SELECTION_IS_EQUITY(sel->model))
        return parse_selection_equity(c, n, sel, model);
    if (lookup(c, n, "coverage_floor") != NULL || sel->n_sizes > 0)
        return perr(c, sel->n_sizes > 0 ? n : lookup(c, n, "coverage_floor"),
                    "'selection': %s are for the equity models (maxmin, "
                    "bottom_decile, variance), not %s",
                    sel->n_sizes > 0 ? "candidates.sizes" : "coverage_floor",
                    model);
    if (sel->model != AM_SELECTION_PMEDIAN && sel->cutoff_min == 0.0)
        return perr(c, n,
                    "missing required key 'cutoff_min' in '%s' (the model "
                    "%s covers within it)",
                    where, model);
    if (sel->model == AM_SELECTION_SETCOVER) {
        if (pv != NULL || bv != NULL)
            return perr(c, pv != NULL ? pv : bv,
                        "'selection': setcover chooses the fewest sites "
                        "reaching target_share; it takes no %s",
                        pv != NULL ? "p" : "budget");
    } else {
        if ((pv != NULL) == (bv != NULL))
            return perr(c, pv != NULL ? pv : n,
                        "'%s' needs exactly one of p (sites to add) and "
                        "budget (with candidates.layer.cost_field)",
                        where);
        if (lookup(c, n, "target_share") != NULL)
            return perr(c, lookup(c, n, "target_share"),
                        "'selection.target_share' is setcover's; the model "
                        "%s does not take it",
                        model);
    }
    if (bv != NULL && sel->cost_field == NULL)
        return perr(c, bv,
                    "'selection.budget' needs costs: "
                    "candidates.layer.cost_field");
    if (sel->model != AM_SELECTION_PMEDIAN && lookup(c, n, "penalty_min"))
        return perr(c, lookup(c, n, "penalty_min"),
                    "'selection.penalty_min' is pmedian's; the model %s "
                    "does not take it",
                    model);
    return AM_OK;
}

/* A whole number from 1 to AM_LIMIT_MAX at map[key] if given. */
static am_status get_limit(const parse_ctx *c, const yaml_node_t *map,
                           const char *key, int64_t *out)
{
    const yaml_node_t *v = lookup(c, map, key);
    if (v == NULL)
        return AM_OK;
    char path[AM_KEY_MAX], buf[96];
    key_path(path, sizeof path, "limits", key);
    long long x = 0;
    am_num_status ns =
        is_plain(v) ? am_parse_integer(scalar(v), &x) : AM_NUM_SYNTAX;
    if (ns == AM_NUM_SYNTAX)
        return perr(c, v,
                    "'%s' must be a whole number (decimal digits only), not "
                    "%s",
                    path, describe(v, buf, sizeof buf));
    if (ns != AM_NUM_OK || x < 1 || x > AM_LIMIT_MAX)
        return perr(c, v, "'%s' must be from 1 to %lld (got %s)", path,
                    (long long)AM_LIMIT_MAX, scalar(v));
    *out = (int64_t)x;
    return AM_OK;
}

/* issue 13: `limits:` raster_cells, road_features, facilities. */
static am_status parse_limits(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    am_status rc = check_mapping(c, n, "limits", limits_keys);
    if (rc == AM_OK)
        rc = get_limit(c, n, "raster_cells", &s->limit_raster_cells);
    if (rc == AM_OK)
        rc = get_limit(c, n, "road_features", &s->limit_road_features);
    if (rc == AM_OK)
        rc = get_limit(c, n, "facilities", &s->limit_facilities);
    return rc;
}

/* ---- issue 12, scenario ensembles: `variants` --------------------------- */

static const char *const variants_keys[] = {"list", "product", NULL};
static const char *const variant_keys[] = {
    "name",        "speed_multiplier", "population_multiplier",
    "cutoffs_min", "threshold_min",    "selection_p",
    NULL};
/* the axes of a product: a variant's keys but its name */
static const char *const product_keys[] = {
    "speed_multiplier", "population_multiplier", "cutoffs_min",
    "threshold_min",    "selection_p",           NULL};
static const num_range range_variant_speed = {0.0, AM_VARIANT_SPEED_MAX, 1, ""};
static const num_range range_variant_pop = {0.0, AM_VARIANT_POPULATION_MAX, 1,
                                            ""};

/* Value v of axis `key` (path names it in messages) into variant x. */
static am_status variant_value(const parse_ctx *c, const yaml_node_t *v,
                               const char *key, const char *path, am_variant *x)
{
    if (strcmp(key, "speed_multiplier") == 0)
        return parse_double(c, v, path, &range_variant_speed,
                            &x->speed_multiplier);
    if (strcmp(key, "population_multiplier") == 0)
        return parse_double(c, v, path, &range_variant_pop,
                            &x->population_multiplier);
    if (strcmp(key, "threshold_min") == 0)
        return parse_minutes(c, v, path, &x->threshold_min);
    if (strcmp(key, "selection_p") == 0) {
        char buf[96];
        long long p = 0;
        if (!is_plain(v) || am_parse_integer(scalar(v), &p) != AM_NUM_OK ||
            p < 1 || p > AM_SELECTION_P_MAX)
            return perr(c, v, "'%s' must be an integer from 1 to %d, not %s",
                        path, AM_SELECTION_P_MAX, describe(v, buf, sizeof buf));
        if (c->s->selection == NULL || c->s->selection->p == 0)
            return perr(c, v,
                        "'%s': the scenario's 'selection' has no 'p' to "
                        "vary (it needs a selection with p)",
                        path);
        x->selection_p = (int)p;
        return AM_OK;
    }
    /* cutoffs_min: refused until a unit's own cutoffs reach its coverage
     * tables, summary lines and the distribution (they were labelled with
     * the baseline's cutoffs); the key stays known for that message */
    return perr(c, v,
                "'%s': a variant cannot change the cutoffs yet (its "
                "coverage would be reported under the baseline's cutoffs); "
                "run a separate scenario with these cutoffs_min",
                path);
}

static am_status parse_variant_list(const parse_ctx *c, const yaml_node_t *n,
                                    int *count)
{
    am_scenario *s = c->s;
    int len = 0;
    am_status rc =
        list_items(c, n, "variants.list", AM_VARIANTS_MAX, "variants", &len);
    for (int i = 0; rc == AM_OK && i < len; i++) {
        char where[48], path[AM_KEY_MAX];
        const yaml_node_t *e =
            list_item(c, n, i, "variants.list", where, sizeof where);
        am_variant *x = &s->variants[(*count)++];
        x->line = (int)e->start_mark.line + 1;
        if ((rc = check_mapping(c, e, where, variant_keys)) != AM_OK)
            break;
        const yaml_node_t *nm = lookup(c, e, "name");
        if (nm == NULL)
            return perr(c, e, "'%s' has no 'name'", where);
        if ((rc = get_string(c, e, where, "name", &x->name)) != AM_OK)
            break;
        const char *why = am_variant_name_problem(x->name);
        if (why != NULL)
            return perr(c, nm,
                        "'%s.name': '%.40s' is not a valid variant "
                        "name (%s)",
                        where, x->name, why);
        for (int k = 1; rc == AM_OK && variant_keys[k] != NULL; k++) {
            const yaml_node_t *v = lookup(c, e, variant_keys[k]);
            if (v == NULL)
                continue;
            key_path(path, sizeof path, where, variant_keys[k]);
            rc = variant_value(c, v, variant_keys[k], path, x);
        }
    }
    return rc;
}

/* The axes of `product` (in the file's order) and their lengths. */
static am_status parse_product(const parse_ctx *c, const yaml_node_t *n,
                               int first)
{
    am_scenario *s = c->s;
    char buf[96], path[AM_KEY_MAX];
    am_status rc = check_mapping(c, n, "variants.product", product_keys);
    if (rc != AM_OK)
        return rc;
    const yaml_node_pair_t *p0 = n->data.mapping.pairs.start;
    const int n_axes = (int)(n->data.mapping.pairs.top - p0);
    if (n_axes == 0)
        return perr(c, n,
                    "'variants.product' has no axis (give one or more "
                    "of speed_multiplier, population_multiplier, "
                    "cutoffs_min, threshold_min)");
    long units = 1;
    int len[8] = {0};
    if (n_axes > 8)
        return perr(c, n, "'variants.product' has %d axes; at most 8", n_axes);
    for (int a = 0; a < n_axes; a++) {
        const yaml_node_t *k = node_at(c, p0[a].key);
        const yaml_node_t *v = node_at(c, p0[a].value);
        if (v->type != YAML_SEQUENCE_NODE)
            return perr(c, v,
                        "'variants.product.%s' must be a list of the "
                        "axis's values, not %s",
                        scalar(k), describe(v, buf, sizeof buf));
        len[a] =
            (int)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (len[a] == 0)
            return perr(c, v,
                        "'variants.product.%s' is an empty list: the "
                        "product would have no variant",
                        scalar(k));
        units *= len[a];
        if (first + units > AM_VARIANTS_MAX)
            return perr(c, n,
                        "'variants' makes more than %d variants (the "
                        "product alone: %ld so far); split the ensemble "
                        "into several scenarios",
                        AM_VARIANTS_MAX, units);
    }
    /* unit u: axis a's index (u / stride_a) % len_a, the last fastest */
    for (long u = 0; u < units; u++) {
        am_variant *x = &s->variants[first + u];
        char name[32];
        snprintf(name, sizeof name, "product_%ld", u);
        if ((x->name = am_strdup(name)) == NULL)
            return nomem(c);
        s->n_variants = first + (int)u + 1; /* freed with the scenario */
        x->line = (int)n->start_mark.line + 1;
        long stride = units;
        for (int a = 0; rc == AM_OK && a < n_axes; a++) {
            stride /= len[a];
            const long i = (u / stride) % len[a];
            const yaml_node_t *k = node_at(c, p0[a].key);
            const yaml_node_t *v = node_at(c, p0[a].value);
            const yaml_node_t *e = node_at(c, v->data.sequence.items.start[i]);
            snprintf(path, sizeof path, "variants.product.%s[%ld]", scalar(k),
                     i);
            rc = variant_value(c, e, scalar(k), path, x);
        }
        if (rc != AM_OK)
            return rc;
    }
    s->n_variants = first + (int)units;
    return AM_OK;
}

/* Counts the units of `product` without reading them (for the array). */
static long product_units(const parse_ctx *c, const yaml_node_t *n)
{
    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return 0;
    long units = 1;
    for (const yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        const yaml_node_t *v = node_at(c, p->value);
        if (v->type != YAML_SEQUENCE_NODE)
            return 0;
        const long len =
            (long)(v->data.sequence.items.top - v->data.sequence.items.start);
        units *= len;
        if (units > AM_VARIANTS_MAX)
            return AM_VARIANTS_MAX + 1;
    }
    return units;
}

static am_status parse_variants(const parse_ctx *c, const yaml_node_t *n)
{
    am_scenario *s = c->s;
    am_status rc = check_mapping(c, n, "variants", variants_keys);
    if (rc != AM_OK)
        return rc;
    const yaml_node_t *list = lookup(c, n, "list");
    const yaml_node_t *prod = lookup(c, n, "product");
    if (list == NULL && prod == NULL)
        return perr(c, n,
                    "'variants' needs 'list' (named variants), "
                    "'product' (a cross product of axes) or both");
    long n_list = 0;
    if (list != NULL)
        n_list = list->type == YAML_SEQUENCE_NODE
                     ? (long)(list->data.sequence.items.top -
                              list->data.sequence.items.start)
                     : 1;
    long total = n_list + product_units(c, prod);
    if (total > AM_VARIANTS_MAX)
        total = AM_VARIANTS_MAX + 1; /* refused below, at its line */
    s->variants =
        am_calloc_array((size_t)(total > 0 ? total : 1), sizeof *s->variants);
    if (s->variants == NULL)
        return nomem(c);
    int count = 0;
    if (list != NULL && n_list > AM_VARIANTS_MAX)
        return perr(c, list,
                    "'variants.list' lists %ld variants (at most "
                    "%d)",
                    n_list, AM_VARIANTS_MAX);
    if (list != NULL)
        rc = parse_variant_list(c, list, &count);
    s->n_variants = count;
    if (rc == AM_OK && prod != NULL)
        rc = parse_product(c, prod, count);
    /* names are unique: a list name may not take a product unit's */
    for (int i = 0; rc == AM_OK && i < s->n_variants; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(s->variants[i].name, s->variants[j].name) == 0) {
                rc = perr(c, list,
                          "'variants': duplicate variant name '%s' (variants "
                          "%d and %d%s)",
                          s->variants[i].name, j, i,
                          strncmp(s->variants[i].name, "product_", 8) == 0
                              ? "; product_<i> names the product's units"
                              : "");
                am_error_set_line(c->err, s->variants[i].line, 0);
                break;
            }
    return rc;
}

static am_status parse_root(const parse_ctx *c, const yaml_node_t *root)
{
    am_scenario *s = c->s;
    am_status rc = check_mapping(c, root, NULL, top_keys);
    if (rc == AM_OK)
        rc = get_string(c, root, NULL, "name", &s->name);
    if (rc == AM_OK)
        rc = get_int(c, root, NULL, "threads", 0, AM_THREADS_MAX, &s->threads);
    if (rc == AM_OK)
        rc = get_string(c, root, NULL, "output", &s->output_path);
    if (rc == AM_OK) /* issue 13 */
        rc = get_bool(c, root, NULL, "allow_network", &s->allow_network);

    struct {
        const char *key;
        am_status (*parse)(const parse_ctx *, const yaml_node_t *);
    } sections[] = {
        /* cutoffs before measures: thresholds are checked against them */
        {"roads", parse_roads},         {"population", parse_population},
        {"snap", parse_snap},           {"facilities", parse_facilities},
        {"cutoffs_min", parse_cutoffs}, {"measures", parse_measures},
        {"matrix", parse_matrix},       {"demand", parse_demand},
        {"supply", parse_supply},       {"zones", parse_zone_layers},
        {"equity", parse_equity},       {"surface", parse_surface},
        {"limits", parse_limits},
    };
    if (rc == AM_OK)
        rc = check_mode(c, root);
    for (size_t i = 0; rc == AM_OK && i < sizeof sections / sizeof *sections;
         i++) {
        const yaml_node_t *v = lookup(c, root, sections[i].key);
        if (v != NULL)
            rc = sections[i].parse(c, v);
    }
    /* issue 9, facility tiers (their names are checked by
       am_scenario_finalize, which knows the default set names) */
    const yaml_node_t *v = rc == AM_OK ? lookup(c, root, "combined") : NULL;
    if (v != NULL)
        rc = parse_combined(c, v);
    v = rc == AM_OK ? lookup(c, root, "referrals") : NULL;
    if (v != NULL)
        rc = parse_referrals(c, v);
    v = rc == AM_OK ? lookup(c, root, "selection") : NULL;
    if (v != NULL) /* issue 10, site selection */
        rc = parse_selection(c, v);
    v = rc == AM_OK ? lookup(c, root, "variants") : NULL;
    if (v != NULL) /* issue 12, scenario ensembles */
        rc = parse_variants(c, v);
    return rc;
}

/* Turns a libyaml parser failure into AM_ERR_SCENARIO with line:column. */
static am_status yaml_failure(const parse_ctx *c, const yaml_parser_t *p,
                              const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(c);
    const char *problem = p->problem != NULL ? p->problem : "unknown error";
    if (p->error == YAML_READER_ERROR) {
        /* No mark: derive the line from the byte offset. */
        long line = 1, col = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        am_error_set(c->err, AM_ERR_SCENARIO, c->file,
                     "cannot read the file as YAML text: %s", problem);
        am_error_set_line(c->err, line, col);
        return AM_ERR_SCENARIO;
    }
    char context[160] = "";
    if (p->context != NULL)
        snprintf(context, sizeof context, " (%s at line %ld:%ld)", p->context,
                 (long)p->context_mark.line + 1,
                 (long)p->context_mark.column + 1);
    am_error_set(c->err, AM_ERR_SCENARIO, c->file, "YAML syntax error: %s%s",
                 problem, context);
    am_error_set_line(c->err, (long)p->problem_mark.line + 1,
                      (long)p->problem_mark.column + 1);
    return AM_ERR_SCENARIO;
}

/* ---- the pre-pass: size limits before the tree is built -------------- */

/* Anchors seen so far and the number of nodes each stands for (an alias
 * counts as that many): open addressing on the name, grown at half full. */
typedef struct anchor_table {
    char **name; /* [cap] owned, NULL: free slot */
    long *size;  /* [cap] */
    size_t cap, n;
} anchor_table;

static size_t anchor_hash(const char *name)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return h;
}

static void anchors_free(anchor_table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        am_free(t->name[i]);
    am_free(t->name);
    am_free(t->size);
    memset(t, 0, sizeof *t);
}

/* The slot of name: its own, or the free one where it would go. */
static size_t anchor_slot(const anchor_table *t, const char *name)
{
    size_t i = anchor_hash(name) & (t->cap - 1);
    while (t->name[i] != NULL && strcmp(t->name[i], name) != 0)
        i = (i + 1) & (t->cap - 1);
    return i;
}

/* Records (or redefines: the latest wins, as in YAML) anchor name. 0 on
 * NOMEM. */
static int anchors_put(anchor_table *t, const char *name, long size)
{
    if (2 * (t->n + 1) > t->cap) {
        anchor_table g = {0};
        g.cap = t->cap == 0 ? 64 : 2 * t->cap;
        g.name = am_calloc(g.cap, sizeof *g.name);
        g.size = am_calloc(g.cap, sizeof *g.size);
        if (g.name == NULL || g.size == NULL) {
            am_free(g.name);
            am_free(g.size);
            return 0;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (t->name[i] == NULL)
                continue;
            size_t k = anchor_slot(&g, t->name[i]);
            g.name[k] = t->name[i];
            g.size[k] = t->size[i];
        }
        g.n = t->n;
        am_free(t->name);
        am_free(t->size);
        *t = g;
    }
    size_t k = anchor_slot(t, name);
    if (t->name[k] == NULL) {
        if ((t->name[k] = am_strdup(name)) == NULL)
            return 0;
        t->n++;
    }
    t->size[k] = size;
    return 1;
}

/* Nodes an alias stands for; 1 for an unknown anchor (the loader then
 * reports it as undefined). */
static long anchors_get(const anchor_table *t, const char *name)
{
    if (t->cap == 0)
        return 1;
    size_t k = anchor_slot(t, name);
    return t->name[k] != NULL ? t->size[k] : 1;
}

/* Lists of the top level whose length has a rule of its own. */
static const struct {
    const char *key;
    long max;
    const char *what;
} list_caps[] = {
    {"facilities", AM_MAX_FACILITY_SETS, "facility sets"},
    {"measures", AM_MAX_MEASURES, "measures"},
    {"cutoffs_min", AM_MAX_CUTOFFS, "cutoffs"},
    {"zones", AM_MAX_ZONE_LAYERS, "zone layers"},
    {"combined", AM_MAX_COMBINED, "combined indicators"}, /* issue 9 */
};

/* One open collection of the pre-pass. */
typedef struct frame {
    int is_map;
    int want_key;      /* mapping: the next node is a key */
    long count;        /* keys or items so far */
    long max;          /* at most this many */
    int cap_rule;      /* index in list_caps, -1: the general cap */
    char *anchor;      /* owned copy, NULL: none */
    long nodes_before; /* nodes counted before this one */
    yaml_mark_t start;
} frame;

typedef struct prepass {
    const parse_ctx *c;
    frame stack[AM_YAML_MAX_DEPTH + 1];
    int depth;
    long nodes;        /* aliases counted as the nodes they stand for */
    int root_key_rule; /* list_caps index of the last top-level key, -1 */
    int root_value;    /* the node starting is a top-level key's value */
    anchor_table anchors;
} prepass;

static am_status pre_err(const prepass *pp, yaml_mark_t at, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));

static am_status pre_err(const prepass *pp, yaml_mark_t at, const char *fmt,
                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    am_error_setv(pp->c->err, AM_ERR_SCENARIO, pp->c->file, fmt, ap);
    va_end(ap);
    am_error_set_line(pp->c->err, (long)at.line + 1, (long)at.column + 1);
    return AM_ERR_SCENARIO;
}

/* The innermost collection has one entry more than it may. */
static am_status too_many(const prepass *pp, const frame *f)
{
    if (f->cap_rule >= 0)
        return pre_err(pp, f->start,
                       "'%s' lists more than %ld %s (at most %ld)",
                       list_caps[f->cap_rule].key, f->max,
                       list_caps[f->cap_rule].what, f->max);
    return pre_err(pp, f->start,
                   "a %s with more than %ld %s (a %s needs a "
                   "few dozen); is it the right file?",
                   f->is_map ? "mapping" : "list", f->max,
                   f->is_map ? "keys" : "items", pp->c->kind);
}

/* Counts one more entry of the innermost collection (a node starts in it)
 * and notes which top-level key a value belongs to. */
static am_status pre_entry(prepass *pp, const yaml_event_t *ev)
{
    pp->root_value = 0;
    if (pp->depth == 0)
        return AM_OK;
    frame *f = &pp->stack[pp->depth - 1];
    int is_key = f->is_map && f->want_key;
    pp->root_value = pp->depth == 1 && f->is_map && !is_key;
    if (f->is_map)
        f->want_key = !f->want_key;
    if (f->is_map && !is_key)
        return AM_OK; /* a value: its key was counted */
    if (++f->count > f->max)
        return too_many(pp, f);
    if (pp->depth == 1 && is_key) {
        pp->root_key_rule = -1;
        for (int i = 0; ev->type == YAML_SCALAR_EVENT &&
                        i < (int)(sizeof list_caps / sizeof *list_caps);
             i++)
            if (strcmp((const char *)ev->data.scalar.value, list_caps[i].key) ==
                0)
                pp->root_key_rule = i;
    }
    return AM_OK;
}

/* Adds n nodes to the count, refusing beyond the budget. */
static am_status pre_nodes(prepass *pp, long n, yaml_mark_t at)
{
    pp->nodes += n;
    if (pp->nodes <= AM_YAML_MAX_NODES)
        return AM_OK;
    return pre_err(pp, at,
                   "more than %d YAML nodes once aliases are expanded (a "
                   "%s needs a few hundred); is it the right file?",
                   AM_YAML_MAX_NODES, pp->c->kind);
}

static am_status pre_start(prepass *pp, const yaml_event_t *ev, int is_map)
{
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (pp->depth >= AM_YAML_MAX_DEPTH)
        return pre_err(pp, ev->start_mark,
                       "nesting deeper than %d levels (a %s needs %d); "
                       "is it the right file?",
                       AM_YAML_MAX_DEPTH, pp->c->kind,
                       pp->c->s != NULL ? 4 : 2);
    /* a top-level key's value: its own cap, if it has one */
    int rule = pp->root_value && !is_map ? pp->root_key_rule : -1;
    frame *f = &pp->stack[pp->depth++];
    memset(f, 0, sizeof *f);
    f->is_map = is_map;
    f->want_key = 1;
    f->cap_rule = rule;
    f->max = rule >= 0 ? list_caps[rule].max : AM_YAML_MAX_ENTRIES;
    f->nodes_before = pp->nodes;
    f->start = ev->start_mark;
    if (anchor != NULL && (f->anchor = am_strdup((const char *)anchor)) == NULL)
        return nomem(pp->c);
    return pre_nodes(pp, 1, ev->start_mark);
}

static am_status pre_end(prepass *pp)
{
    if (pp->depth == 0)
        return AM_OK;
    frame *f = &pp->stack[--pp->depth];
    int ok = f->anchor == NULL ||
             anchors_put(&pp->anchors, f->anchor, pp->nodes - f->nodes_before);
    am_free(f->anchor);
    f->anchor = NULL;
    return ok ? AM_OK : nomem(pp->c);
}

/* One event of the pre-pass. */
static am_status pre_event(prepass *pp, const yaml_event_t *ev)
{
    am_status rc = AM_OK;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        if ((rc = pre_entry(pp, ev)) == AM_OK)
            rc = pre_nodes(pp, 1, ev->start_mark);
        if (rc == AM_OK && ev->data.scalar.anchor != NULL &&
            !anchors_put(&pp->anchors, (const char *)ev->data.scalar.anchor, 1))
            rc = nomem(pp->c);
        break;
    case YAML_ALIAS_EVENT:
        if ((rc = pre_entry(pp, ev)) == AM_OK)
            rc = pre_nodes(
                pp,
                anchors_get(&pp->anchors, (const char *)ev->data.alias.anchor),
                ev->start_mark);
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if ((rc = pre_entry(pp, ev)) == AM_OK)
            rc = pre_start(pp, ev, ev->type == YAML_MAPPING_START_EVENT);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        rc = pre_end(pp);
        break;
    default:
        break;
    }
    return rc;
}

/*
 * The pre-pass: one walk over libyaml's events, before any tree is built,
 * in memory bounded by the nesting depth, that stops at the first limit
 * crossed (docs/scenario.md, "Size limits"), so refusing hostile input
 * costs time linear in what was read:
 *  - nesting deeper than AM_YAML_MAX_DEPTH (libyaml's scanner does work
 *    proportional to the depth for every token: 100,000 nested '[' took
 *    23 s to load);
 *  - a mapping or list of more than AM_YAML_MAX_ENTRIES entries, and the
 *    top-level lists beyond their own caps (facility sets, measures,
 *    cutoffs), refused at the first entry too many;
 *  - more than AM_YAML_MAX_NODES nodes, an alias counting as the nodes of
 *    what it stands for (the "billion laughs": a few lines of anchors can
 *    stand for billions of nodes, which a walk of the tree would visit).
 * A syntax error found on the way is reported as the loader would.
 */
static am_status check_structure(const parse_ctx *c, const char *text,
                                 size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    am_status rc = AM_OK;
    int end = 0;
    prepass pp;
    memset(&pp, 0, sizeof pp);
    pp.c = c;
    pp.root_key_rule = -1;

    if (!yaml_parser_initialize(&parser))
        return nomem(c);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (rc == AM_OK && !end) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = yaml_failure(c, &parser, text, len);
            break;
        }
        end = ev.type == YAML_STREAM_END_EVENT;
        rc = pre_event(&pp, &ev);
        yaml_event_delete(&ev);
    }
    for (int i = 0; i < pp.depth; i++)
        am_free(pp.stack[i].anchor);
    anchors_free(&pp.anchors);
    yaml_parser_delete(&parser);
    return rc;
}

/*
 * Loads text (len bytes) into *doc after the pre-pass, refusing an empty
 * file and a second document. On AM_OK the caller deletes *doc.
 */
static am_status load_document(const parse_ctx *c, const char *text, size_t len,
                               yaml_document_t *doc, const char *needs)
{
    yaml_parser_t parser;
    yaml_document_t extra;
    int have_doc = 0;
    am_status rc = AM_OK;

    if (len > AM_YAML_MAX_FILE_BYTES)
        return am_error_set(c->err, AM_ERR_SCENARIO, c->file,
                            "is %zu bytes: too large for a %s "
                            "(at most %ld); is it the right file?",
                            len, c->kind, (long)AM_YAML_MAX_FILE_BYTES);
    if ((rc = check_structure(c, text, len)) != AM_OK)
        return rc;
    if (!yaml_parser_initialize(&parser))
        return nomem(c);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, doc)) {
        rc = yaml_failure(c, &parser, text, len);
        goto done;
    }
    have_doc = 1;
    if (yaml_document_get_root_node(doc) == NULL) {
        rc = am_error_set(c->err, AM_ERR_SCENARIO, c->file,
                          "the %s is empty (it needs at least %s)", c->kind,
                          needs);
        goto done;
    }
    /* A second document would be ignored silently: refuse it. */
    if (!yaml_parser_load(&parser, &extra)) {
        rc = yaml_failure(c, &parser, text, len);
        goto done;
    }
    const yaml_node_t *extra_root = yaml_document_get_root_node(&extra);
    long extra_line = extra_root != NULL ? (long)extra.start_mark.line + 1 : -1;
    yaml_document_delete(&extra);
    if (extra_line > 0) {
        rc = am_error_set(c->err, AM_ERR_SCENARIO, c->file,
                          "more than one YAML document ('---'); a %s "
                          "holds one",
                          c->kind);
        am_error_set_line(c->err, extra_line, 1);
        goto done;
    }
done:
    if (rc != AM_OK && have_doc)
        yaml_document_delete(doc);
    yaml_parser_delete(&parser);
    return rc;
}

/* Parses text (len bytes) into s. */
static am_status parse_text(const char *text, size_t len, am_scenario *s,
                            const char *file, am_error *err)
{
    yaml_document_t doc;
    parse_ctx c = {
        .doc = &doc, .file = file, .err = err, .s = s, .kind = "scenario file"};
    am_status rc =
        load_document(&c, text, len, &doc, "roads, population and facilities");
    if (rc != AM_OK)
        return rc;
    rc = parse_root(&c, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    return rc;
}

static am_status read_text(const char *text, size_t len, const char *name,
                           const char *base_dir, am_scenario **out,
                           am_error *err)
{
    am_scenario *s = NULL;
    am_status rc = am_scenario_create(&s);
    if (rc != AM_OK)
        return am_error_set(err, rc, name, "out of memory");
    if ((name != NULL && (s->source_path = am_strdup(name)) == NULL) ||
        (base_dir != NULL && (s->base_dir = am_strdup(base_dir)) == NULL)) {
        rc = am_error_set(err, AM_ERR_NOMEM, name, "out of memory");
        goto fail;
    }
    if ((rc = parse_text(text, len, s, name, err)) != AM_OK)
        goto fail;
    if ((rc = am_scenario_finalize(s, err)) != AM_OK)
        goto fail;
    *out = s;
    return AM_OK;
fail:
    am_scenario_destroy(s);
    return rc;
}

am_status am_scenario_read_string(const char *text, const char *name,
                                  const char *base_dir, am_scenario **out,
                                  am_error *err)
{
    *out = NULL;
    if (text == NULL)
        return am_error_set(err, AM_ERR_SCENARIO, name,
                            "no scenario text given");
    return read_text(text, strlen(text), name, base_dir, out, err);
}

/* The folder of path: "a/b.yaml" -> "a", "b.yaml" -> ".", "/b" -> "/". */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return am_strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = am_malloc(n + 1);
    if (dir == NULL)
        return NULL;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return dir;
}

/*
 * The whole of a small YAML file (a scenario or a profile) into *text
 * (NUL-terminated, caller frees) and *len, refusing a folder, a FIFO or
 * device (fopen/fread would block or never end) and a file above
 * AM_YAML_MAX_FILE_BYTES. kind: "scenario file", for messages.
 */
static am_status read_small_file(const char *path, const char *kind,
                                 char **text, size_t *len, am_error *err)
{
    am_status rc = AM_OK;
    FILE *fp = NULL;
    struct stat st;
    *text = NULL;
    *len = 0;
    if (stat(path, &st) != 0)
        return am_error_set(err, AM_ERR_IO, path, "cannot open: %s",
                            strerror(errno));
    if (S_ISDIR(st.st_mode))
        return am_error_set(err, AM_ERR_IO, path, "is a directory, not a %s",
                            kind);
    if ((rc = am_file_check_input(path, 0, err)) != AM_OK)
        return rc;
    if (st.st_size > AM_YAML_MAX_FILE_BYTES)
        return am_error_set(err, AM_ERR_SCENARIO, path,
                            "is %lld bytes: too large for a %s "
                            "(at most %ld); is it the right file?",
                            (long long)st.st_size, kind,
                            (long)AM_YAML_MAX_FILE_BYTES);
    fp = fopen(path, "rb");
    if (fp == NULL)
        return am_error_set(err, AM_ERR_IO, path, "cannot open: %s",
                            strerror(errno));
    size_t cap = (size_t)st.st_size + 1;
    *text = am_malloc(cap);
    if (*text == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    *len = fread(*text, 1, cap - 1, fp);
    if (ferror(fp)) {
        rc = am_error_set(err, AM_ERR_IO, path, "read error: %s",
                          strerror(errno));
        goto done;
    }
    (*text)[*len] = '\0';
done:
    fclose(fp);
    if (rc != AM_OK) {
        am_free(*text);
        *text = NULL;
    }
    return rc;
}

am_status am_scenario_read_file(const char *path, am_scenario **out,
                                am_error *err)
{
    *out = NULL;
    char *text = NULL, *dir = NULL;
    size_t len = 0;

    if (path == NULL || path[0] == '\0')
        return am_error_set(err, AM_ERR_IO, NULL,
                            "no scenario file name given");
    am_status rc = read_small_file(path, "scenario file", &text, &len, err);
    if (rc != AM_OK)
        return rc;
    dir = dir_of(path);
    if (dir == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    rc = read_text(text, len, path, dir, out, err);
done:
    am_free(text);
    am_free(dir);
    return rc;
}

/* ---- custom profile files (issue 7) ------------------------------------ */

/*
 * A travel profile as data in a YAML file (docs/profiles.md, "Custom
 * profiles"): the same am_profile the built-ins fill, with the same
 * ranges, read with the scenario reader's checks (keys against the
 * allowed ones with "did you mean", types, ranges, every error at its
 * line:column in the profile file). `base:` names a built-in to start
 * from; without it the profile starts empty (classes required) with the
 * car's oneway, maxspeed and plausibility rules and `access` as its only
 * access key.
 */

static const char *const profile_keys[] = {
    "name",         "base",       "classes", "replace_classes",
    "oneway",       "oneway_key", "access",  "maxspeed",
    "plausibility", "ferries",    NULL};
static const char *const plausibility_keys[] = {"ratio", "floor_kmh", NULL};
static const char *const ferry_keys[] = {"enabled", "speed_kmh", NULL};
static const num_range range_ratio = {0.0, 1.0, 0, ""};
static const num_range range_floor_kmh = {0.0, AM_MAXSPEED_MAX_KMH, 0, " km/h"};

/* A profile's name, class or tag key: letters, digits and _ : . - (the
 * speed table is written comma-separated; OSM keys and values use no
 * others), at most max - 1 bytes. NULL when fine, else why not. */
static const char *profile_word_problem(const char *s, size_t max)
{
    if (s[0] == '\0')
        return "it is empty";
    if (strlen(s) >= max)
        return "it is too long";
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == ':' || *p == '.' ||
              *p == '-'))
            return "use letters, digits and _ : . - only";
    return NULL;
}

/* The string at v for key path into dst[max], checked as a word. */
static am_status profile_word(const parse_ctx *c, const yaml_node_t *v,
                              const char *path, char *dst, size_t max)
{
    const char *str = NULL;
    am_status rc = scalar_string(c, v, path, &str);
    if (rc != AM_OK)
        return rc;
    const char *why = profile_word_problem(str, max);
    if (why != NULL)
        return perr(c, v,
                    "'%s': '%.40s%s' is not valid (%s; at most %zu "
                    "characters)",
                    path, str, strlen(str) > 40 ? "..." : "", why, max - 1);
    snprintf(dst, max, "%s", str);
    return AM_OK;
}

/* classes: {highway: km/h, ...}: replaces or extends p's table. */
static am_status profile_classes(const parse_ctx *c, const yaml_node_t *n,
                                 int replace, am_profile *p)
{
    am_status rc = check_mapping(c, n, "classes", NULL);
    if (rc != AM_OK)
        return rc;
    ptrdiff_t count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
    if (count == 0)
        return perr(c, n,
                    "'classes' is empty: give a speed in km/h per road "
                    "class (e.g. {primary: 60, residential: 25})");
    if (replace)
        p->n_classes = 0;
    for (ptrdiff_t i = 0; i < count; i++) {
        const yaml_node_pair_t *pair = n->data.mapping.pairs.start + i;
        const yaml_node_t *k = node_at(c, pair->key);
        const yaml_node_t *v = node_at(c, pair->value);
        char highway[AM_PROFILE_KEY_MAX], vpath[AM_KEY_MAX];
        if ((rc = profile_word(c, k, "classes", highway, sizeof highway)) !=
            AM_OK)
            return rc;
        key_path(vpath, sizeof vpath, "classes", highway);
        if (is_null(v))
            return perr(c, v, "'%s' needs a speed (km/h, > 0)", vpath);
        double kmh = 0.0;
        if ((rc = parse_double(c, v, vpath, &range_class_kmh, &kmh)) != AM_OK)
            return rc;
        if (am_profile_speed_kmh(p, highway) > 0.0) {
            am_error e;
            am_error_clear(&e);
            if (am_profile_set_speed(p, highway, kmh, &e) != AM_OK)
                return perr(c, v, "'%s': %s", vpath, e.msg);
            continue;
        }
        if (p->n_classes >= AM_PROFILE_MAX_CLASSES)
            return perr(c, k, "'classes': more than %d road classes",
                        AM_PROFILE_MAX_CLASSES);
        am_profile_class *pc = &p->classes[p->n_classes++];
        snprintf(pc->highway, sizeof pc->highway, "%s", highway);
        pc->kmh = kmh;
        pc->mult = 1.0;
    }
    return AM_OK;
}

/* access: [key, ...], least specific first. */
static am_status profile_access(const parse_ctx *c, const yaml_node_t *n,
                                am_profile *p)
{
    static const list_shape keys = {
        "tag keys, least specific first (e.g. [access, vehicle, "
        "motor_vehicle])",
        "keys", YAML_NO_NODE, 0, ""};
    int len = 0;
    am_status rc = list_len(c, n, "access", &keys, AM_PROFILE_MAX_ACCESS, &len);
    if (rc != AM_OK)
        return rc;
    for (int i = 0; i < len; i++) {
        char path[32];
        const yaml_node_t *v = list_item(c, n, i, "access", path, sizeof path);
        rc = profile_word(c, v, path, p->access[i], sizeof p->access[i]);
        if (rc != AM_OK)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(p->access[j], p->access[i]) == 0)
                return perr(c, v, "'%s': '%s' is listed twice", path,
                            p->access[i]);
    }
    p->n_access = len;
    return AM_OK;
}

/* A plain scalar among words[] at map[key] into *out (its index). */
static am_status profile_choice(const parse_ctx *c, const yaml_node_t *map,
                                const char *key, const char *const *words,
                                const char *hint, int *out)
{
    const yaml_node_t *v = lookup(c, map, key);
    if (v == NULL)
        return AM_OK;
    char buf[96];
    for (int i = 0; is_plain(v) && words[i] != NULL; i++)
        if (strcmp(scalar(v), words[i]) == 0) {
            *out = i;
            return AM_OK;
        }
    return perr(c, v, "'%s' must be %s, not %s", key, hint,
                describe(v, buf, sizeof buf));
}

static am_status profile_root(const parse_ctx *c, const yaml_node_t *root,
                              am_profile *p)
{
    am_status rc = check_mapping(c, root, NULL, profile_keys);
    if (rc != AM_OK)
        return rc;
    const yaml_node_t *name = lookup(c, root, "name");
    const yaml_node_t *base = lookup(c, root, "base");
    if (name == NULL)
        return perr(c, root,
                    "missing required key 'name' (the profile's name, "
                    "recorded in the output)");
    char nm[AM_PROFILE_NAME_MAX];
    if ((rc = profile_word(c, name, "name", nm, sizeof nm)) != AM_OK)
        return rc;
    if (am_profile_is_builtin(nm))
        return perr(c, name,
                    "'name': '%s' is a built-in profile's name; give yours "
                    "its own (base: %s starts from the built-in)",
                    nm, nm);
    if (base != NULL) {
        const char *b = NULL;
        if ((rc = scalar_string(c, base, "base", &b)) != AM_OK)
            return rc;
        if (!am_profile_is_builtin(b))
            return perr(c, base,
                        "'base': unknown profile '%s' (expected one of: %s)", b,
                        AM_PROFILE_KNOWN);
        if ((rc = am_profile_builtin(b, p, c->err)) != AM_OK)
            return rc;
    } else {
        /* no base: the car's rules, no classes, `access` only */
        if ((rc = am_profile_builtin("car", p, c->err)) != AM_OK)
            return rc;
        p->n_classes = 0;
        p->n_access = 1;
    }
    snprintf(p->name, sizeof p->name, "%s", nm);

    int replace = base == NULL;
    if ((rc = get_bool(c, root, NULL, "replace_classes", &replace)) != AM_OK)
        return rc;
    if (base == NULL && lookup(c, root, "replace_classes") != NULL)
        return perr(c, lookup(c, root, "replace_classes"),
                    "'replace_classes' needs 'base' (without a base the "
                    "classes given are the whole table)");
    const yaml_node_t *classes = lookup(c, root, "classes");
    if (classes == NULL && (base == NULL || replace))
        return perr(c, root,
                    "missing required key 'classes' (a speed in km/h per "
                    "road class, e.g. {primary: 60, residential: 25})%s",
                    base == NULL ? "" : " with replace_classes: true");
    if (classes != NULL &&
        (rc = profile_classes(c, classes, replace, p)) != AM_OK)
        return rc;

    static const char *const oneway_words[] = {"ignore", "respect", NULL};
    if ((rc = profile_choice(c, root, "oneway", oneway_words,
                             "respect or ignore", &p->oneway_general)) != AM_OK)
        return rc;
    const yaml_node_t *ok = lookup(c, root, "oneway_key");
    if (ok != NULL && is_plain(ok) && strcmp(scalar(ok), "none") == 0)
        p->oneway_key[0] = '\0';
    else if (ok != NULL &&
             (rc = profile_word(c, ok, "oneway_key", p->oneway_key,
                                sizeof p->oneway_key)) != AM_OK)
        return rc;
    const yaml_node_t *access = lookup(c, root, "access");
    if (access != NULL && (rc = profile_access(c, access, p)) != AM_OK)
        return rc;
    /* the order of am_maxspeed_policy */
    static const char *const maxspeed_words[] = {"use", "cap", "ignore", NULL};
    int policy = (int)p->maxspeed;
    if ((rc = profile_choice(c, root, "maxspeed", maxspeed_words,
                             "use, cap or ignore", &policy)) != AM_OK)
        return rc;
    p->maxspeed = (am_maxspeed_policy)policy;
    const yaml_node_t *pl = lookup(c, root, "plausibility");
    if (pl != NULL) {
        rc = check_mapping(c, pl, "plausibility", plausibility_keys);
        if (rc == AM_OK)
            rc = get_double(c, pl, "plausibility", "ratio", &range_ratio,
                            &p->plausible_ratio);
        if (rc == AM_OK)
            rc = get_double(c, pl, "plausibility", "floor_kmh",
                            &range_floor_kmh, &p->plausible_floor_kmh);
        if (rc != AM_OK)
            return rc;
    }
    const yaml_node_t *fe = lookup(c, root, "ferries");
    if (fe != NULL) {
        rc = check_mapping(c, fe, "ferries", ferry_keys);
        if (rc == AM_OK)
            rc = get_bool(c, fe, "ferries", "enabled", &p->ferries);
        if (rc == AM_OK)
            rc = get_double(c, fe, "ferries", "speed_kmh", &range_class_kmh,
                            &p->ferry_kmh);
        if (rc != AM_OK)
            return rc;
    }
    return AM_OK;
}

am_status am_profile_file_read(const char *path, am_profile *out,
                               long long *size, char sha256_hex[65],
                               am_error *err)
{
    char *text = NULL;
    size_t len = 0;
    yaml_document_t doc;
    parse_ctx c = {.doc = &doc,
                   .file = path,
                   .err = err,
                   .s = NULL,
                   .kind = "profile file"};
    am_status rc = read_small_file(path, "profile file", &text, &len, err);
    if (rc != AM_OK)
        return rc;
    am_sha256 h;
    uint8_t digest[32];
    am_sha256_init(&h);
    am_sha256_update(&h, text, len);
    am_sha256_final(&h, digest);
    am_sha256_hex(digest, sha256_hex);
    *size = (long long)len;
    if (strlen(text) != len) {
        rc = am_error_set(err, AM_ERR_SCENARIO, path,
                          "contains a NUL byte: not a YAML profile file");
        goto done;
    }
    if ((rc = load_document(&c, text, len, &doc, "name and classes")) != AM_OK)
        goto done;
    am_profile p;
    memset(&p, 0, sizeof p);
    rc = profile_root(&c, yaml_document_get_root_node(&doc), &p);
    yaml_document_delete(&doc);
    if (rc == AM_OK)
        *out = p;
done:
    am_free(text);
    return rc;
}

am_status am_profile_file_read_for(am_scenario *s, am_error *err)
{
    char path[4096];
    if (am_scenario_resolve_path(s, s->roads_profile_file, path, sizeof path) ==
        NULL)
        return am_error_set(err, AM_ERR_INVALID, s->roads_profile_file,
                            "path longer than %zu bytes once resolved",
                            sizeof path - 1);
    am_profile *p = am_malloc(sizeof *p);
    if (p == NULL)
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    am_status rc = am_profile_file_read(path, p, &s->roads_profile_file_size,
                                        s->roads_profile_file_sha256, err);
    if (rc != AM_OK) {
        am_free(p);
        return rc;
    }
    am_free(s->roads_custom_profile);
    s->roads_custom_profile = p;
    return AM_OK;
}
