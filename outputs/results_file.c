/*
 * results_file.c: the results file's layout (see results_file.h,
 * docs/hdf5-layout.md), written through outputs/h5_writer.
 *
 * Order of writing: the grid, the root attributes and /network, the
 * population raster, then per set its group (fingerprint, where), the
 * nearest time and facility rasters, one raster per measure, the facility
 * table and the coverage table. The order is part of the file's bytes (the
 * objects' addresses), so it only changes with the layout.
 */
#include "outputs/results_file.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/units.h"
#include "outputs/h5_writer.h"

/* What the writer's functions share. */
typedef struct rf_ctx {
    const am_rf_file *d;
    const char *path; /* the final path, for messages */
    am_error *err;
    am_progress_fn progress;
    void *user;
    /* progress: rasters finished, of raster_total */
    int raster_done, raster_total;
    double last; /* the writer's last fraction within a raster */
} rf_ctx;

/* "/results/<set>", "/results/<set>/<measure>", "ratio_<measure>". */
#define GROUP_MAX (32 + AM_RF_NAME_MAX)
#define OBJECT_MAX (64 + 2 * AM_RF_NAME_MAX)
#define COLUMN_MAX (32 + AM_RF_NAME_MAX)

/* Runs `call` only while rc (a local am_status) is still AM_OK. */
#define AM_TRY(call)                                                           \
    do {                                                                       \
        if (rc == AM_OK)                                                       \
            rc = (call);                                                       \
    } while (0)

static am_status put_name(rf_ctx *c, char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An HDF5 object or column name into buf[n]: never cut short (a cut name
 * could collide with another); names were checked against AM_RF_NAME_MAX,
 * so AM_ERR_INTERNAL if one does not fit. */
static am_status put_name(rf_ctx *c, char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= n)
        return am_error_set(c->err, AM_ERR_INTERNAL, c->path,
                            "output object name longer than %zu bytes", n - 1);
    return AM_OK;
}

static am_status nomem(rf_ctx *c)
{
    return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
}

/* ---- checks ------------------------------------------------------------ */

static am_status bad(rf_ctx *c, const char *what)
{
    return am_error_set(c->err, AM_ERR_INVALID, c->path,
                        "results file description: %s", what);
}

/* An array of n values is given (n == 0 needs none). */
#define HAVE(p, n) ((n) == 0 || (p) != NULL)

static int name_ok(const char *name)
{
    return name != NULL && name[0] != '\0' && strlen(name) <= AM_RF_NAME_MAX;
}

static am_status check_set(rf_ctx *c, const am_rf_set *s, int64_t n_cells)
{
    if (!name_ok(s->name))
        return bad(c, "a set without a name, or one too long");
    if (s->n_sites < 0 || s->n_measures < 0 || s->n_cutoffs < 0)
        return bad(c, "a negative count in a set");
    const int32_t n = s->n_sites;
    if (!HAVE(s->id, n) || !HAVE(s->site_name, n) || !HAVE(s->klass, n) ||
        !HAVE(s->capacity, n) || !HAVE(s->lon, n) || !HAVE(s->lat, n) ||
        !HAVE(s->snap_distance_m, n) || !HAVE(s->link_node, 2 * (int64_t)n) ||
        !HAVE(s->link_offset_ds, 2 * (int64_t)n))
        return bad(c, "a facility table column missing");
    if (!HAVE(s->nearest_ds, n_cells) || !HAVE(s->nearest, n_cells) ||
        !HAVE(s->measures, s->n_measures) ||
        !HAVE(s->cutoffs_min, s->n_cutoffs) ||
        !HAVE(s->pop_within, s->n_cutoffs))
        return bad(c, "a set's array missing");
    if (s->n_equity < 0 || !HAVE(s->equity, s->n_equity))
        return bad(c, "a set's equity tables missing");
    for (int32_t t = 0; t < s->n_equity; t++) {
        const am_rf_table *tb = &s->equity[t];
        if (!name_ok(tb->name) || tb->n_rows < 0 || tb->n_cols < 0 ||
            !HAVE(tb->cols, tb->n_cols))
            return bad(c, "an equity table without a name or columns");
        for (int32_t k = 0; k < tb->n_cols; k++)
            if (!name_ok(tb->cols[k].name) ||
                !HAVE(tb->cols[k].data, tb->n_rows))
                return bad(c, "an equity column without a name or data");
    }
    for (int32_t m = 0; m < s->n_measures; m++) {
        const am_rf_measure *ms = &s->measures[m];
        if (!name_ok(ms->name))
            return bad(c, "a measure without a name, or one too long");
        if (!HAVE(ms->access, n_cells) ||
            (ms->demand != NULL && !HAVE(ms->ratio, n)))
            return bad(c, "a measure's array missing");
    }
    return AM_OK;
}

static am_status check_file(rf_ctx *c)
{
    const am_rf_file *d = c->d;
    const am_rf_population *p = &d->population;
    if (p->grid == NULL || p->crs_wkt == NULL)
        return bad(c, "no grid");
    if (p->n_cells < 0 || !HAVE(p->cell, p->n_cells) ||
        !HAVE(p->pop, p->n_cells))
        return bad(c, "no populated cells");
    if (d->run.n_cutoffs < 0 || !HAVE(d->run.cutoffs_min, d->run.n_cutoffs))
        return bad(c, "no cutoffs");
    if (d->n_sets < 0 || !HAVE(d->sets, d->n_sets))
        return bad(c, "no sets");
    if (d->network.n_zones < 0 || !HAVE(d->network.zones, d->network.n_zones))
        return bad(c, "no speed zone rows");
    /* issue 9, facility tiers */
    if (d->n_referrals < 0 || !HAVE(d->referrals, d->n_referrals) ||
        d->n_combined < 0 || !HAVE(d->combined, d->n_combined))
        return bad(c, "no referral or combined tables");
    for (int32_t k = 0; k < d->n_referrals; k++) {
        const am_rf_table *tb = &d->referrals[k].table;
        if (!name_ok(tb->name) || tb->n_rows < 0 || tb->n_cols < 0 ||
            !HAVE(tb->cols, tb->n_cols))
            return bad(c, "a referral table without a name or columns");
        for (int32_t j = 0; j < tb->n_cols; j++)
            if (!name_ok(tb->cols[j].name) ||
                !HAVE(tb->cols[j].data, tb->n_rows))
                return bad(c, "a referral column without a name or data");
    }
    for (int32_t k = 0; k < d->n_combined; k++) {
        const am_rf_combined *cb = &d->combined[k];
        const am_rf_table *tb = &cb->crosstab;
        if (!name_ok(cb->name) || !HAVE(cb->value, p->n_cells) ||
            tb->n_rows < 0 || tb->n_cols < 0 || !HAVE(tb->cols, tb->n_cols))
            return bad(c, "a combined indicator without a name or values");
        for (int32_t j = 0; j < tb->n_cols; j++)
            if (!name_ok(tb->cols[j].name) ||
                !HAVE(tb->cols[j].data, tb->n_rows))
                return bad(c, "a combined column without a name or data");
    }
    am_status rc = AM_OK;
    for (int32_t k = 0; rc == AM_OK && k < d->n_sets; k++)
        rc = check_set(c, &d->sets[k], p->n_cells);
    return rc;
}

/* ---- root, network, population ---------------------------------------- */

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* <prefix>_path, _size_bytes and _sha256 on obj. */
static am_status write_fingerprint(rf_ctx *c, am_h5 *h, const char *obj,
                                   const char *prefix, const am_rf_input *in)
{
    char name[128];
    snprintf(name, sizeof name, "%s_path", prefix);
    am_status rc = am_h5_attr_string(h, obj, name, in->path, c->err);
    snprintf(name, sizeof name, "%s_size_bytes", prefix);
    AM_TRY(am_h5_attr_int64(h, obj, name, in->size_bytes, c->err));
    snprintf(name, sizeof name, "%s_sha256", prefix);
    AM_TRY(am_h5_attr_string(h, obj, name, or_empty(in->sha256), c->err));
    return rc;
}

static am_status write_root_attrs(rf_ctx *c, am_h5 *h)
{
    const am_rf_provenance *r = &c->d->run;
    am_status rc = AM_OK;

    AM_TRY(am_h5_attr_string(h, "/", "title", "accessim accessibility results",
                             c->err));
    AM_TRY(am_h5_attr_string(h, "/", "accessim_version", or_empty(r->version),
                             c->err));
    AM_TRY(am_h5_attr_string(h, "/", "created_utc", or_empty(r->created_utc),
                             c->err));
    AM_TRY(am_h5_attr_string(h, "/", "scenario_name",
                             or_empty(r->scenario_name), c->err));
    AM_TRY(am_h5_attr_string(h, "/", "scenario_file",
                             or_empty(r->scenario_file), c->err));
    AM_TRY(am_h5_attr_string(h, "/", "command_line", or_empty(r->command_line),
                             c->err));
    AM_TRY(am_h5_attr_int64(h, "/", "threads", r->threads, c->err));
    AM_TRY(am_h5_attr_string(h, "/", "profile",
                             r->profile != NULL ? r->profile : "car", c->err));
    AM_TRY(am_h5_attr_double(h, "/", "snap_max_m", r->snap_max_m, c->err));
    AM_TRY(
        am_h5_attr_double(h, "/", "walk_speed_kmh", r->walk_speed_kmh, c->err));
    AM_TRY(am_h5_attr_double_array(h, "/", "cutoffs_min", r->n_cutoffs,
                                   r->cutoffs_min, c->err));
    AM_TRY(am_h5_attr_string(h, "/", "metric_frame", or_empty(r->metric_frame),
                             c->err));
    if (r->scenario.path != NULL)
        AM_TRY(write_fingerprint(c, h, "/", "scenario", &r->scenario));
    if (r->roads.path != NULL)
        AM_TRY(write_fingerprint(c, h, "/", "roads", &r->roads));
    if (r->population.path != NULL)
        AM_TRY(write_fingerprint(c, h, "/", "population", &r->population));
    if (r->profile_file.path != NULL)
        AM_TRY(write_fingerprint(c, h, "/", "profile_file", &r->profile_file));
    return rc;
}

/* /network's travel profile attributes (issue 7, profiles): the name,
 * the effective speed table and the tag counts. rc: the status so far. */
static am_status write_profile(rf_ctx *c, am_h5 *h, const char *at,
                               const am_rf_network *n, am_status rc)
{
    AM_TRY(am_h5_attr_string(h, at, "profile", n->profile, c->err));
    AM_TRY(am_h5_attr_string(h, at, "speed_classes", n->speed_classes, c->err));
    AM_TRY(am_h5_attr_double_array(h, at, "speed_kmh", n->n_classes,
                                   n->speed_kmh, c->err));
    const struct {
        const char *name;
        int64_t v;
    } counts[] = {
        {"ferries_enabled", n->ferries_enabled},
        {"maxspeed_implausible_used", n->maxspeed_implausible_used},
        {"oneway", n->oneway},
        {"maxspeed_used", n->maxspeed_used},
        {"maxspeed_unparsable", n->maxspeed_unparsable},
        {"maxspeed_implausible", n->maxspeed_implausible},
        {"closed_by_access", n->closed_by_access},
        {"areas_skipped", n->areas_skipped},
        {"reversible_skipped", n->reversible_skipped},
        {"ferries", n->ferries},
        {"missing_nodes_ways", n->missing_nodes_ways},
        {"missing_nodes_dropped", n->missing_nodes_dropped},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        AM_TRY(am_h5_attr_int64(h, at, counts[i].name, counts[i].v, c->err));
    return rc;
}

/* /network/speed_zones: one row per speed zone layer (issue 7). */
static am_status write_zones(rf_ctx *c, am_h5 *h)
{
    const am_rf_network *n = &c->d->network;
    const size_t nz = (size_t)n->n_zones;
    const char **str = am_calloc_array(6 * nz, sizeof *str);
    double *dbl = am_calloc_array(4 * nz, sizeof *dbl);
    int64_t *i64 = am_calloc_array(3 * nz, sizeof *i64);
    if (str == NULL || dbl == NULL || i64 == NULL) {
        am_free(str);
        am_free(dbl);
        am_free(i64);
        return nomem(c);
    }
    for (size_t k = 0; k < nz; k++) {
        const am_rf_zone *z = &n->zones[k];
        str[k] = or_empty(z->input.path);
        str[nz + k] = or_empty(z->input.sha256);
        str[2 * nz + k] = or_empty(z->layer);
        str[3 * nz + k] = or_empty(z->where);
        str[4 * nz + k] = or_empty(z->field);
        dbl[k] = z->multiplier;
        dbl[nz + k] = z->multiplier_min;
        dbl[2 * nz + k] = z->multiplier_max;
        dbl[3 * nz + k] = z->arc_km;
        i64[k] = z->input.size_bytes;
        i64[nz + k] = z->features;
        i64[2 * nz + k] = z->arcs;
    }
    am_h5_column cols[12] = {
        {"path", AM_H5_COL_STRING, str, NULL, "the polygon layer's file"},
        {"size_bytes", AM_H5_COL_INT64, i64, "bytes", NULL},
        {"sha256", AM_H5_COL_STRING, str + nz, NULL, "of the file's bytes"},
        {"layer", AM_H5_COL_STRING, str + 2 * nz, NULL, NULL},
        {"where", AM_H5_COL_STRING, str + 3 * nz, NULL,
         "OGR SQL filter, empty: none"},
        {"field", AM_H5_COL_STRING, str + 4 * nz, NULL,
         "field holding each polygon's multiplier, empty: multiplier"},
        {"multiplier", AM_H5_COL_DOUBLE, dbl, "1",
         "speed multiplier of every polygon; NaN when field is set"},
        {"multiplier_min", AM_H5_COL_DOUBLE, dbl + nz, "1",
         "smallest multiplier of the layer's polygons"},
        {"multiplier_max", AM_H5_COL_DOUBLE, dbl + 2 * nz, "1",
         "largest multiplier of the layer's polygons"},
        {"features", AM_H5_COL_INT64, i64 + nz, NULL, "polygon features read"},
        {"arcs", AM_H5_COL_INT64, i64 + 2 * nz, NULL,
         "arcs whose midpoint is in one of the polygons"},
        {"arc_km", AM_H5_COL_DOUBLE, dbl + 3 * nz, "km",
         "length of those arcs (both arcs of a two-way road)"}};
    am_status rc = am_h5_write_table(h, "/network/speed_zones", (int64_t)nz, 12,
                                     cols, c->err);
    am_free(str);
    am_free(dbl);
    am_free(i64);
    return rc;
}

static am_status write_network(rf_ctx *c, am_h5 *h)
{
    const am_rf_network *n = &c->d->network;
    const char *at = "/network";
    am_status rc = am_h5_make_group(h, at, c->err);
    AM_TRY(am_h5_attr_int64(h, at, "nodes", n->nodes, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "arcs", n->arcs, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "features_read", n->features_read, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "features_routable", n->features_routable,
                            c->err));
    AM_TRY(am_h5_attr_double(h, at, "routable_km", n->routable_km, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "from_cache", n->from_cache, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "graph_nodes", n->graph_nodes, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "graph_arcs", n->graph_arcs, c->err));
    AM_TRY(am_h5_attr_double(h, at, "chain_max_m", n->chain_max_m, c->err));
    AM_TRY(
        am_h5_attr_int64(h, at, "self_loops_dropped", n->self_loops, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "parallel_chains_dropped",
                            n->parallel_chains, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "speed_zone_layers", n->n_zones, c->err));
    AM_TRY(
        am_h5_attr_string(h, at, "speeds", n->speeds ? n->speeds : "", c->err));
    AM_TRY(am_h5_attr_string(h, at, "oneway_field",
                             n->oneway_field ? n->oneway_field : "", c->err));
    AM_TRY(am_h5_attr_double(h, at, "join_tolerance_m", n->join_tolerance_m,
                             c->err));
    AM_TRY(
        am_h5_attr_int64(h, at, "vertices_joined", n->vertices_joined, c->err));
    AM_TRY(
        am_h5_attr_int64(h, at, "join_crossings", n->join_crossings, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "crossings_joined", n->crossings_joined,
                            c->err));
    if (rc == AM_OK && n->n_zones > 0)
        rc = write_zones(c, h);
    if (n->profile[0] != '\0')
        rc = write_profile(c, h, at, n, rc);
    if (n->n_components <= 0)
        return rc;
    AM_TRY(am_h5_attr_int64(h, at, "components", n->n_components, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "components_allowed", n->components_allowed,
                            c->err));
    AM_TRY(am_h5_attr_string(h, at, "components_rule",
                             or_empty(n->components_rule), c->err));
    AM_TRY(am_h5_attr_int64(h, at, "nodes_disallowed", n->nodes_disallowed,
                            c->err));
    AM_TRY(
        am_h5_attr_int64(h, at, "arcs_disallowed", n->arcs_disallowed, c->err));
    if (rc != AM_OK)
        return rc;
    /* the component table: one row per component, largest first */
    const int32_t k = n->n_components;
    int32_t *id = am_alloc_array((size_t)k, sizeof *id);
    int32_t *allowed = am_alloc_array((size_t)k, sizeof *allowed);
    if (id == NULL || allowed == NULL)
        rc = nomem(c);
    for (int32_t i = 0; rc == AM_OK && i < k; i++) {
        id[i] = i;
        allowed[i] = i < n->components_allowed;
    }
    const am_h5_column cols[3] = {
        {"component", AM_H5_COL_INT32, id, NULL,
         "strongly connected component, by size descending"},
        {"nodes", AM_H5_COL_INT32, n->component_size, NULL, NULL},
        {"allowed", AM_H5_COL_INT32, allowed, NULL,
         "1: people and facilities may snap onto it (snap.components)"}};
    if (rc == AM_OK)
        rc = am_h5_write_table(h, "/network/components", k, 3, cols, c->err);
    am_free(id);
    am_free(allowed);
    return rc;
}

/* Attributes prefixed moved_ / stranded_ (what: "cells", "facilities"). */
static am_status write_moves(rf_ctx *c, am_h5 *h, const char *at,
                             const am_rf_moves *mv, const char *what)
{
    char name[64];
    am_status rc = AM_OK;
    if (strcmp(what, "cells") == 0)
        AM_TRY(am_h5_attr_double(h, at, "moved_population", mv->moved, c->err));
    snprintf(name, sizeof name, "moved_%s", what);
    AM_TRY(am_h5_attr_int64(h, at, name, mv->moved_n, c->err));
    AM_TRY(am_h5_attr_double(h, at, "moved_extra_median_m", mv->extra_median_m,
                             c->err));
    AM_TRY(
        am_h5_attr_double(h, at, "moved_extra_max_m", mv->extra_max_m, c->err));
    if (strcmp(what, "cells") == 0)
        AM_TRY(am_h5_attr_double(h, at, "stranded_population", mv->stranded,
                                 c->err));
    snprintf(name, sizeof name, "stranded_%s", what);
    AM_TRY(am_h5_attr_int64(h, at, name, mv->stranded_n, c->err));
    return rc;
}

/* float32 values of a sparse raster: one per populated cell, from doubles
 * (NULL when out of memory). */
static float *cells_f32(const rf_ctx *c, const double *v)
{
    const int64_t n = c->d->population.n_cells;
    float *r = am_alloc_array((size_t)n, sizeof(float));
    if (r != NULL)
        for (int64_t i = 0; i < n; i++)
            r[i] = (float)v[i];
    return r;
}

static am_status write_population(rf_ctx *c, am_h5 *h)
{
    const am_rf_population *p = &c->d->population;
    const char *at = "/population";
    float *r = cells_f32(c, p->pop);
    if (r == NULL)
        return nomem(c);
    am_h5_raster_info info = {"population count per cell", "1"};
    am_status rc = am_h5_write_raster_sparse_f32(h, at, p->n_cells, p->cell, r,
                                                 AM_FILL_F32, &info, c->err);
    am_free(r);
    AM_TRY(am_h5_attr_double(h, at, "total", p->total, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "populated_cells", p->n_cells, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "refused_negative_cells",
                            p->refused_negative_cells, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "refused_nonfinite_cells",
                            p->refused_nonfinite_cells, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "refused_implausible_cells",
                            p->refused_implausible_cells, c->err));
    AM_TRY(am_h5_attr_double(h, at, "off_network_population",
                             p->off_network_population, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "off_network_cells", p->off_network_cells,
                            c->err));
    /* how the input band's values were read */
    AM_TRY(am_h5_attr_double(h, at, "source_scale", p->source_scale, c->err));
    AM_TRY(am_h5_attr_double(h, at, "source_offset", p->source_offset, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "source_masked", p->source_masked, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "masked_cells", p->masked_cells, c->err));
    if (rc == AM_OK && c->d->network.n_components > 0)
        rc = write_moves(c, h, at, &p->moves, "cells");
    return rc;
}

/* ---- one set ------------------------------------------------------------ */

/* The set's group g, its input fingerprint and filter. */
static am_status write_set_group(rf_ctx *c, am_h5 *h, const am_rf_set *set,
                                 const char *g)
{
    am_status rc = am_h5_make_group(h, g, c->err);
    if (rc == AM_OK && set->facilities.path != NULL &&
        set->facilities.path[0] != '\0')
        rc = write_fingerprint(c, h, g, "facilities", &set->facilities);
    AM_TRY(am_h5_attr_string(h, g, "where", or_empty(set->where), c->err));
    AM_TRY(am_h5_attr_int64(h, g, "near_duplicate_pairs",
                            set->near_duplicate_pairs, c->err));
    AM_TRY(am_h5_attr_double(h, g, "near_duplicate_max_m",
                             set->near_duplicate_m, c->err));
    if (rc == AM_OK && c->d->network.n_components > 0)
        rc = write_moves(c, h, g, &set->moves, "facilities");
    return rc;
}

/* nearest_time_min and nearest_facility: sparse rasters, written strip by
 * strip (no full-grid buffer). */
static am_status write_set_nearest(rf_ctx *c, am_h5 *h, const am_rf_set *set,
                                   const char *g)
{
    const am_rf_population *p = &c->d->population;
    const int64_t n_cells = p->n_cells;
    char path[OBJECT_MAX];
    am_status rc = AM_OK;
    float *r = am_alloc_array((size_t)n_cells, sizeof *r);
    int32_t *ri = am_alloc_array((size_t)n_cells, sizeof *ri);
    if (r == NULL || ri == NULL) {
        rc = nomem(c);
        goto done;
    }
    for (int64_t i = 0; i < n_cells; i++) {
        uint32_t t = set->nearest_ds[i];
        r[i] = t == AM_TIME_INF ? AM_UNREACHED_MIN : (float)am_ds_to_minutes(t);
        ri[i] = set->nearest[i] >= 0 ? set->nearest[i] : AM_UNREACHED_I32;
    }
    am_h5_raster_info ti = {"travel time to the nearest facility", "minutes"};
    rc = put_name(c, path, sizeof path, "%s/nearest_time_min", g);
    AM_TRY(am_h5_write_raster_sparse_f32(h, path, n_cells, p->cell, r,
                                         AM_FILL_F32, &ti, c->err));
    AM_TRY(am_h5_attr_double(h, path, "unreachable_value", AM_UNREACHED_MIN,
                             c->err));
    am_h5_raster_info fi = {"row of the nearest facility in facilities/", "1"};
    AM_TRY(put_name(c, path, sizeof path, "%s/nearest_facility", g));
    AM_TRY(am_h5_write_raster_sparse_i32(h, path, n_cells, p->cell, ri,
                                         AM_FILL_I32, &fi, c->err));
    AM_TRY(am_h5_attr_int64(h, path, "unreachable_value", AM_UNREACHED_I32,
                            c->err));
done:
    am_free(r);
    am_free(ri);
    return rc;
}

/* Measure ms's optional attributes at path (issue 9). */
static am_status measure_attributes(rf_ctx *c, am_h5 *h, const char *path,
                                    const am_rf_measure *ms)
{
    am_status rc = AM_OK;
    if (ms->formula != NULL)
        rc = am_h5_attr_string(h, path, "formula", ms->formula, c->err);
    if (ms->decay != NULL) {
        AM_TRY(am_h5_attr_string(h, path, "decay", ms->decay, c->err));
        AM_TRY(am_h5_attr_string(h, path, "decay_formula",
                                 or_empty(ms->decay_formula), c->err));
        AM_TRY(am_h5_attr_string(h, path, "decay_parameters",
                                 or_empty(ms->decay_parameters), c->err));
        AM_TRY(am_h5_attr_int64(h, path, "decay_truncated", ms->decay_truncated,
                                c->err));
        AM_TRY(am_h5_attr_int64(h, path, "facilities_no_demand",
                                ms->fac_no_demand, c->err));
    }
    if (ms->alpha > 0)
        AM_TRY(am_h5_attr_double(h, path, "alpha", ms->alpha, c->err));
    if (ms->nth > 0)
        AM_TRY(am_h5_attr_int64(h, path, "n", ms->nth, c->err));
    if (ms->unreached_minutes)
        AM_TRY(am_h5_attr_double(h, path, "unreachable_value", AM_UNREACHED_MIN,
                                 c->err));
    return rc;
}

/* reach/<measure>: the measure's flag per populated cell. */
static am_status write_reach(rf_ctx *c, am_h5 *h, const am_rf_measure *ms,
                             const char *g)
{
    const am_rf_population *p = &c->d->population;
    char path[OBJECT_MAX];
    int32_t *ri = am_alloc_array((size_t)p->n_cells, sizeof *ri);
    if (ri == NULL)
        return nomem(c);
    for (int64_t i = 0; i < p->n_cells; i++)
        ri[i] = ms->flag[i];
    am_h5_raster_info info = {"reach of the measure: 0 something within "
                              "reach, 1 on the network but nothing within "
                              "reach (value 0), 2 off the network (value 0)",
                              "1"};
    am_status rc = put_name(c, path, sizeof path, "%s/reach/%s", g, ms->name);
    AM_TRY(am_h5_write_raster_sparse_i32(h, path, p->n_cells, p->cell, ri,
                                         AM_FILL_I32, &info, c->err));
    am_free(ri);
    return rc;
}

/* per_person/<measure>: the measure's value divided by the cell's
 * population (spatial availability's v_i = V_i / P_i). */
static am_status write_per_person(rf_ctx *c, am_h5 *h, const am_rf_measure *ms,
                                  const char *g)
{
    const am_rf_population *p = &c->d->population;
    char path[OBJECT_MAX];
    float *r = am_alloc_array((size_t)p->n_cells, sizeof *r);
    if (r == NULL)
        return nomem(c);
    for (int64_t i = 0; i < p->n_cells; i++)
        r[i] = (float)(ms->access[i] / p->pop[i]);
    am_h5_raster_info info = {"the measure per person of the cell",
                              or_empty(ms->units)};
    am_status rc =
        put_name(c, path, sizeof path, "%s/per_person/%s", g, ms->name);
    AM_TRY(am_h5_write_raster_sparse_f32(h, path, p->n_cells, p->cell, r,
                                         AM_FILL_F32, &info, c->err));
    am_free(r);
    return rc;
}

/* issue 9, capacity_coverage: <g>/coverage_split/<measure>, a group with
 * the totals and the fixed point's figures as attributes and three
 * rasters of persons: served, beyond_capacity, not_in_reach. */
static am_status write_coverage_split(rf_ctx *c, am_h5 *h,
                                      const am_rf_measure *ms, const char *g)
{
    const am_rf_population *p = &c->d->population;
    const am_rf_coverage *cv = ms->coverage;
    char grp[OBJECT_MAX], path[OBJECT_MAX];
    am_status rc =
        put_name(c, grp, sizeof grp, "%s/coverage_split/%s", g, ms->name);
    AM_TRY(am_h5_make_group(h, grp, c->err));
    const double total = p->total;
    const struct {
        const char *name;
        double v;
    } tot[] = {{"served", cv->total_served},
               {"beyond_capacity", cv->total_beyond},
               {"not_in_reach", cv->total_none},
               {"off_network", cv->total_off}};
    for (int q = 0; rc == AM_OK && q < 4; q++) {
        char an[64];
        snprintf(an, sizeof an, "population_%s", tot[q].name);
        AM_TRY(am_h5_attr_double(h, grp, an, tot[q].v, c->err));
        snprintf(an, sizeof an, "percent_%s", tot[q].name);
        AM_TRY(am_h5_attr_double(
            h, grp, an, total > 0 ? 100.0 * tot[q].v / total : 0.0, c->err));
    }
    AM_TRY(am_h5_attr_string(h, grp, "allocation", or_empty(cv->allocation),
                             c->err));
    AM_TRY(am_h5_attr_double(h, grp, "persons_per_capacity",
                             cv->persons_per_capacity, c->err));
    AM_TRY(am_h5_attr_int64(h, grp, "iterations", cv->iterations, c->err));
    AM_TRY(am_h5_attr_double(h, grp, "residual", cv->residual, c->err));
    AM_TRY(am_h5_attr_int64(h, grp, "converged", cv->converged, c->err));
    AM_TRY(am_h5_attr_double(h, grp, "tolerance", cv->tolerance, c->err));
    AM_TRY(
        am_h5_attr_int64(h, grp, "max_iterations", cv->max_iterations, c->err));
    const struct {
        const char *name;
        const double *v;
        const char *what;
    } ras[] = {{"served", cv->served, "persons served within capacity"},
               {"beyond_capacity", cv->beyond,
                "persons within reach but beyond capacity"},
               {"not_in_reach", cv->none,
                "persons with no facility within reach (0 off the "
                "network)"}};
    for (int q = 0; rc == AM_OK && q < 3; q++) {
        float *r = cells_f32(c, ras[q].v);
        if (r == NULL)
            return nomem(c);
        am_h5_raster_info ai = {ras[q].what, "persons"};
        rc = put_name(c, path, sizeof path, "%s/%s", grp, ras[q].name);
        if (rc == AM_OK)
            rc = am_h5_write_raster_sparse_f32(h, path, p->n_cells, p->cell, r,
                                               AM_FILL_F32, &ai, c->err);
        am_free(r);
    }
    return rc;
}

/* One raster per measure, with its method's attributes, its reach flags
 * in the group reach/ and (spatial availability) its value per person in
 * per_person/. */
static am_status write_set_measures(rf_ctx *c, am_h5 *h, const am_rf_set *set,
                                    const char *g)
{
    const am_rf_population *p = &c->d->population;
    char path[OBJECT_MAX];
    am_status rc = AM_OK;
    int reach = 0, per_person = 0, split = 0;
    for (int32_t m = 0; rc == AM_OK && m < set->n_measures; m++) {
        const am_rf_measure *ms = &set->measures[m];
        float *r = cells_f32(c, ms->access);
        if (r == NULL)
            return nomem(c);
        if (ms->unreached_minutes)
            for (int64_t i = 0; i < p->n_cells; i++)
                if (isinf(r[i]))
                    r[i] = AM_UNREACHED_MIN;
        am_h5_raster_info ai = {or_empty(ms->long_name), or_empty(ms->units)};
        rc = put_name(c, path, sizeof path, "%s/%s", g, ms->name);
        AM_TRY(am_h5_write_raster_sparse_f32(h, path, p->n_cells, p->cell, r,
                                             AM_FILL_F32, &ai, c->err));
        am_free(r);
        AM_TRY(
            am_h5_attr_string(h, path, "measure", or_empty(ms->type), c->err));
        AM_TRY(am_h5_attr_double(h, path, "threshold_min", ms->threshold_min,
                                 c->err));
        AM_TRY(am_h5_attr_string(h, path, "reference", or_empty(ms->reference),
                                 c->err));
        AM_TRY(measure_attributes(c, h, path, ms));
        if (rc == AM_OK && ms->flag != NULL) {
            if (!reach) {
                AM_TRY(put_name(c, path, sizeof path, "%s/reach", g));
                AM_TRY(am_h5_make_group(h, path, c->err));
                reach = 1;
            }
            AM_TRY(write_reach(c, h, ms, g));
        }
        if (rc == AM_OK && ms->per_person) {
            if (!per_person) {
                AM_TRY(put_name(c, path, sizeof path, "%s/per_person", g));
                AM_TRY(am_h5_make_group(h, path, c->err));
                per_person = 1;
            }
            AM_TRY(write_per_person(c, h, ms, g));
        }
        if (rc == AM_OK && ms->coverage != NULL) {
            if (!split) {
                AM_TRY(put_name(c, path, sizeof path, "%s/coverage_split", g));
                AM_TRY(am_h5_make_group(h, path, c->err));
                split = 1;
            }
            AM_TRY(write_coverage_split(c, h, ms, g));
        }
    }
    return rc;
}

/* A site's links, one column per link: lk (borrowed) [4][n]: node 0,
 * node 1 (int32), time 0, time 1 (double minutes, NaN when absent). */
typedef struct link_cols {
    int32_t *node[2];
    double *time_min[2];
} link_cols;

/* The facility table's fixed columns into cols (index borrowed, [n]):
 * returns how many. */
static int facility_columns(const am_rf_set *set, const int32_t *index,
                            const link_cols *lk, am_h5_column *cols)
{
    int q = 0;
    cols[q++] = (am_h5_column){"index", AM_H5_COL_INT32, index, NULL,
                               "row number, as in nearest_facility"};
    cols[q++] = (am_h5_column){"id", AM_H5_COL_STRING, set->id, NULL,
                               "id field value, or the source FID"};
    cols[q++] =
        (am_h5_column){"name", AM_H5_COL_STRING, set->site_name, NULL, NULL};
    cols[q++] =
        (am_h5_column){"class", AM_H5_COL_STRING, set->klass, NULL, NULL};
    cols[q++] = (am_h5_column){"capacity", AM_H5_COL_DOUBLE, set->capacity,
                               NULL, "S_j"};
    cols[q++] =
        (am_h5_column){"lon", AM_H5_COL_DOUBLE, set->lon, "degrees_east", NULL};
    cols[q++] = (am_h5_column){"lat", AM_H5_COL_DOUBLE, set->lat,
                               "degrees_north", NULL};
    cols[q++] = (am_h5_column){"snap_distance_m", AM_H5_COL_DOUBLE,
                               set->snap_distance_m, "m",
                               "to the nearest point of a routable road; "
                               "NaN: off network"};
    cols[q++] = (am_h5_column){"node_0", AM_H5_COL_INT32, lk->node[0], NULL,
                               "graph node the site is reached from, -1: "
                               "off network"};
    cols[q++] = (am_h5_column){"node_1", AM_H5_COL_INT32, lk->node[1], NULL,
                               "the other end of its road segment, -1: "
                               "none (one-way, or at a node)"};
    cols[q++] = (am_h5_column){"link_time_0_min", AM_H5_COL_DOUBLE,
                               lk->time_min[0], "min",
                               "from node_0 to the site (part of the "
                               "segment and the walk); NaN: none"};
    cols[q++] =
        (am_h5_column){"link_time_1_min", AM_H5_COL_DOUBLE, lk->time_min[1],
                       "min", "from node_1 to the site; NaN: none"};
    return q;
}
#define FACILITY_FIXED_COLUMNS 12

/* The facility table: fixed columns, then D_j and R_j per measure. */
static am_status write_set_facilities(rf_ctx *c, am_h5 *h, const am_rf_set *set,
                                      const char *g)
{
    const int32_t n = set->n_sites;
    const int ncol = FACILITY_FIXED_COLUMNS + 6 * set->n_measures;
    char path[OBJECT_MAX];
    am_status rc = AM_OK;
    am_h5_column *cols = am_alloc_array((size_t)ncol, sizeof *cols);
    char(*col_names)[COLUMN_MAX] =
        am_alloc_array((size_t)ncol, sizeof *col_names);
    int32_t *index = am_alloc_array((size_t)n, sizeof *index);
    link_cols lk;
    for (int k = 0; k < 2; k++) {
        lk.node[k] = am_alloc_array((size_t)n, sizeof *lk.node[k]);
        lk.time_min[k] = am_alloc_array((size_t)n, sizeof *lk.time_min[k]);
    }
    if (cols == NULL || col_names == NULL || index == NULL ||
        lk.node[0] == NULL || lk.node[1] == NULL || lk.time_min[0] == NULL ||
        lk.time_min[1] == NULL) {
        rc = nomem(c);
        goto done;
    }
    for (int32_t j = 0; j < n; j++) {
        index[j] = j;
        for (int k = 0; k < 2; k++) {
            const int32_t v = set->link_node[2 * (int64_t)j + k];
            lk.node[k][j] = v < 0 ? -1 : v;
            lk.time_min[k][j] =
                v < 0
                    ? NAN
                    : am_ds_to_minutes(set->link_offset_ds[2 * (int64_t)j + k]);
        }
    }
    int q = facility_columns(set, index, &lk, cols);
    for (int32_t m = 0; rc == AM_OK && m < set->n_measures; m++) {
        const am_rf_measure *ms = &set->measures[m];
        if (ms->demand == NULL)
            continue; /* the method has no ratio */
        rc = put_name(c, col_names[q], sizeof col_names[q],
                      "catchment_population_%s", ms->name);
        cols[q] = (am_h5_column){col_names[q], AM_H5_COL_DOUBLE, ms->demand,
                                 "persons", "D_j"};
        q++;
        AM_TRY(put_name(c, col_names[q], sizeof col_names[q], "ratio_%s",
                        ms->name));
        /* R_j is capacity per person for every ratio method (BFCA's
           cells hold a share of it: their units differ) */
        cols[q] = (am_h5_column){col_names[q], AM_H5_COL_DOUBLE, ms->ratio,
                                 "capacity per person",
                                 "R_j = S_j / D_j; NaN (undefined) when "
                                 "D_j = 0"};
        q++;
    }
    /* issue 9, capacity_coverage: four columns per such measure */
    for (int32_t m = 0; rc == AM_OK && m < set->n_measures; m++) {
        const am_rf_measure *ms = &set->measures[m];
        const am_rf_coverage *cv = ms->coverage;
        if (cv == NULL)
            continue;
        const struct {
            const char *prefix;
            const double *v;
            const char *units, *what;
        } cc[] = {{"allocated_demand", cv->demand, "persons",
                   "D_j: persons allocated to the facility"},
                  {"served", cv->served_fac, "persons",
                   "min(D_j, k S_j): persons it serves"},
                  {"excess", cv->excess, "persons",
                   "max(0, D_j - k S_j): persons allocated beyond its "
                   "capacity"},
                  {"utilisation", cv->util, "1",
                   "served / (k S_j); NaN when S_j = 0"}};
        for (int u = 0; rc == AM_OK && u < 4; u++) {
            rc = put_name(c, col_names[q], sizeof col_names[q], "%s_%s",
                          cc[u].prefix, ms->name);
            cols[q] = (am_h5_column){col_names[q], AM_H5_COL_DOUBLE, cc[u].v,
                                     cc[u].units, cc[u].what};
            q++;
        }
    }
    AM_TRY(put_name(c, path, sizeof path, "%s/facilities", g));
    AM_TRY(am_h5_write_table(h, path, n, q, cols, c->err));
done:
    am_free(cols);
    am_free(col_names);
    am_free(index);
    for (int k = 0; k < 2; k++) {
        am_free(lk.node[k]);
        am_free(lk.time_min[k]);
    }
    return rc;
}

/* The coverage table: population within each cutoff, and its percentage of
 * the population's total. */
static am_status write_set_coverage(rf_ctx *c, am_h5 *h, const am_rf_set *set,
                                    const char *g)
{
    const double total = c->d->population.total;
    char path[OBJECT_MAX];
    double *pct = am_alloc_array((size_t)set->n_cutoffs, sizeof *pct);
    if (pct == NULL)
        return nomem(c);
    for (int32_t i = 0; i < set->n_cutoffs; i++)
        pct[i] = total > 0 ? 100.0 * set->pop_within[i] / total : 0.0;
    am_h5_column cc[3] = {
        {"cutoff_min", AM_H5_COL_DOUBLE, set->cutoffs_min, "minutes",
         "inclusive"},
        {"population", AM_H5_COL_DOUBLE, set->pop_within, "persons",
         "population whose nearest facility is within the cutoff"},
        {"percent", AM_H5_COL_DOUBLE, pct, "percent",
         "of the raster's total population"}};
    am_status rc = put_name(c, path, sizeof path, "%s/coverage", g);
    AM_TRY(am_h5_write_table(h, path, set->n_cutoffs, 3, cc, c->err));
    am_free(pct);
    return rc;
}

/* The equity tables (issue 9): <g>/equity/<table>, one 1-D dataset per
 * column; a zone layer's table carries its input and the cells in no
 * zone as attributes. */
static am_status write_set_equity(rf_ctx *c, am_h5 *h, const am_rf_set *set,
                                  const char *g)
{
    char eg[OBJECT_MAX], path[OBJECT_MAX];
    if (set->n_equity == 0)
        return AM_OK;
    am_status rc = put_name(c, eg, sizeof eg, "%s/equity", g);
    AM_TRY(am_h5_make_group(h, eg, c->err));
    for (int32_t t = 0; rc == AM_OK && t < set->n_equity; t++) {
        const am_rf_table *tb = &set->equity[t];
        am_h5_column *cols = am_alloc_array(
            (size_t)(tb->n_cols > 0 ? tb->n_cols : 1), sizeof *cols);
        if (cols == NULL)
            return nomem(c);
        for (int32_t k = 0; k < tb->n_cols; k++) {
            const am_rf_column *rc_ = &tb->cols[k];
            am_h5_col_type ty = rc_->type == AM_RF_COL_INT64 ? AM_H5_COL_INT64
                                : rc_->type == AM_RF_COL_DOUBLE
                                    ? AM_H5_COL_DOUBLE
                                    : AM_H5_COL_STRING;
            cols[k] = (am_h5_column){rc_->name, ty, rc_->data, rc_->units,
                                     rc_->description};
        }
        rc = put_name(c, path, sizeof path, "%s/%s", eg, tb->name);
        AM_TRY(
            am_h5_write_table(h, path, tb->n_rows, tb->n_cols, cols, c->err));
        am_free(cols);
        if (tb->zones.path == NULL)
            continue;
        AM_TRY(write_fingerprint(c, h, path, "zones", &tb->zones));
        AM_TRY(
            am_h5_attr_string(h, path, "layer", or_empty(tb->layer), c->err));
        AM_TRY(
            am_h5_attr_string(h, path, "where", or_empty(tb->where), c->err));
        AM_TRY(am_h5_attr_string(h, path, "id_field", or_empty(tb->id_field),
                                 c->err));
        AM_TRY(am_h5_attr_int64(h, path, "cells_outside", tb->cells_outside,
                                c->err));
        AM_TRY(am_h5_attr_double(h, path, "population_outside",
                                 tb->population_outside, c->err));
    }
    return rc;
}

/* Issue 9: a table of plain columns at path (one 1-D dataset per
 * column): the diagnostics, referral and cross-tabulation tables. */
static am_status write_plain_table(rf_ctx *c, am_h5 *h, const char *path,
                                   const am_rf_table *tb)
{
    if (tb->n_rows < 0 || tb->n_cols < 0 || !HAVE(tb->cols, tb->n_cols))
        return bad(c, "a table without columns");
    am_h5_column *cols =
        am_alloc_array((size_t)(tb->n_cols > 0 ? tb->n_cols : 1), sizeof *cols);
    if (cols == NULL)
        return nomem(c);
    am_status rc = AM_OK;
    for (int32_t k = 0; rc == AM_OK && k < tb->n_cols; k++) {
        const am_rf_column *col = &tb->cols[k];
        if (!name_ok(col->name) || !HAVE(col->data, tb->n_rows))
            rc = bad(c, "a table column without a name or data");
        am_h5_col_type ty = col->type == AM_RF_COL_INT64    ? AM_H5_COL_INT64
                            : col->type == AM_RF_COL_DOUBLE ? AM_H5_COL_DOUBLE
                                                            : AM_H5_COL_STRING;
        cols[k] = (am_h5_column){col->name, ty, col->data, col->units,
                                 col->description};
    }
    if (rc == AM_OK)
        rc = am_h5_write_table(h, path, tb->n_rows, tb->n_cols, cols, c->err);
    am_free(cols);
    return rc;
}

/* The same at <g>/<name> (tb NULL: nothing written). */
static am_status write_set_table(rf_ctx *c, am_h5 *h, const char *g,
                                 const char *name, const am_rf_table *tb)
{
    char path[OBJECT_MAX];
    if (tb == NULL)
        return AM_OK;
    am_status rc = put_name(c, path, sizeof path, "%s/%s", g, name);
    return rc == AM_OK ? write_plain_table(c, h, path, tb) : rc;
}

/* surface_time_min (issue 9): every cell within the snap distance of a
 * road, streamed from the set's row source. */
static am_status write_set_surface(rf_ctx *c, am_h5 *h, const am_rf_set *set,
                                   const char *g)
{
    char path[OBJECT_MAX];
    if (set->surface_rows == NULL)
        return AM_OK;
    am_h5_raster_info info = {"travel time to the nearest facility from every "
                              "cell within the snap distance of a road",
                              "minutes"};
    am_status rc = put_name(c, path, sizeof path, "%s/surface_time_min", g);
    AM_TRY(am_h5_write_raster_rows(h, path, AM_H5_F32, AM_FILL_F32,
                                   set->surface_rows, set->surface_user, &info,
                                   c->err));
    AM_TRY(am_h5_attr_double(h, path, "unreachable_value", AM_UNREACHED_MIN,
                             c->err));
    AM_TRY(am_h5_attr_double(h, path, "max_time_min", set->surface_max_min,
                             c->err));
    AM_TRY(am_h5_attr_double(h, path, "snap_max_m", set->surface_snap_max_m,
                             c->err));
    if (set->surface_counts != NULL) {
        AM_TRY(am_h5_attr_int64(h, path, "cells_within_snap",
                                set->surface_counts[0], c->err));
        AM_TRY(am_h5_attr_int64(h, path, "cells_reached",
                                set->surface_counts[1], c->err));
    }
    return rc;
}

static am_status write_set(rf_ctx *c, am_h5 *h, const am_rf_set *set)
{
    char g[GROUP_MAX];
    am_status rc = set->group != NULL
                       ? put_name(c, g, sizeof g, "%s", set->group)
                       : put_name(c, g, sizeof g, "/results/%s", set->name);
    AM_TRY(write_set_group(c, h, set, g));
    AM_TRY(write_set_nearest(c, h, set, g));
    AM_TRY(write_set_surface(c, h, set, g)); /* issue 9 */
    AM_TRY(write_set_measures(c, h, set, g));
    AM_TRY(write_set_facilities(c, h, set, g));
    AM_TRY(write_set_coverage(c, h, set, g));
    AM_TRY(write_set_equity(c, h, set, g));
    AM_TRY(write_set_table(c, h, g, "diagnostics", set->diagnostics));
    AM_TRY(write_set_table(c, h, g, "snap_distances", set->snap_distances));
    return rc;
}

/* ---- issue 9, facility tiers: /referrals and /combined ------------------ */

static am_status write_referrals(rf_ctx *c, am_h5 *h)
{
    const am_rf_file *d = c->d;
    char path[OBJECT_MAX];
    if (d->n_referrals == 0)
        return AM_OK;
    am_status rc = am_h5_make_group(h, "/referrals", c->err);
    for (int32_t k = 0; rc == AM_OK && k < d->n_referrals; k++) {
        const am_rf_referral *rf = &d->referrals[k];
        rc = put_name(c, path, sizeof path, "/referrals/%s", rf->table.name);
        AM_TRY(write_plain_table(c, h, path, &rf->table));
        AM_TRY(am_h5_attr_string(h, path, "lower_set", rf->lower, c->err));
        AM_TRY(am_h5_attr_string(h, path, "higher_set", rf->higher, c->err));
        AM_TRY(am_h5_attr_int64(h, path, "lower_tier", rf->lower_tier, c->err));
        AM_TRY(
            am_h5_attr_int64(h, path, "higher_tier", rf->higher_tier, c->err));
        AM_TRY(
            am_h5_attr_double(h, path, "max_search_min", rf->max_min, c->err));
        AM_TRY(am_h5_attr_double(h, path, "unreachable_value", AM_UNREACHED_MIN,
                                 c->err));
    }
    return rc;
}

static am_status write_combined(rf_ctx *c, am_h5 *h)
{
    const am_rf_file *d = c->d;
    const am_rf_population *p = &d->population;
    char path[OBJECT_MAX];
    if (d->n_combined == 0)
        return AM_OK;
    am_status rc = am_h5_make_group(h, "/combined", c->err);
    AM_TRY(am_h5_make_group(h, "/combined/crosstab", c->err));
    for (int32_t k = 0; rc == AM_OK && k < d->n_combined; k++) {
        const am_rf_combined *cb = &d->combined[k];
        am_h5_raster_info info = {"1: every condition of the combined "
                                  "indicator holds, 0: not",
                                  "1"};
        rc = put_name(c, path, sizeof path, "/combined/%s", cb->name);
        AM_TRY(am_h5_write_raster_sparse_i32(h, path, p->n_cells, p->cell,
                                             cb->value, AM_FILL_I32, &info,
                                             c->err));
        AM_TRY(am_h5_attr_string(h, path, "conditions",
                                 or_empty(cb->conditions), c->err));
        AM_TRY(am_h5_attr_double(h, path, "population_all", cb->population_all,
                                 c->err));
        AM_TRY(
            put_name(c, path, sizeof path, "/combined/crosstab/%s", cb->name));
        AM_TRY(write_plain_table(c, h, path, &cb->crosstab));
        AM_TRY(am_h5_attr_string(h, path, "conditions",
                                 or_empty(cb->conditions), c->err));
    }
    return rc;
}

/* ---- issue 10, site selection: /selection -------------------------------- */

/* The rows source of one map layer: the painted cells of rows [row0,
 * row0 + n_rows), found by binary search in the ascending cell list. */
typedef struct map_rows {
    const am_rf_selection *sl;
    const am_rf_sel_map *map;
    int32_t nx;
} map_rows;

static int map_rows_fill(int32_t row0, int32_t n_rows, void *buf, void *user)
{
    const map_rows *r = user;
    const am_rf_selection *sl = r->sl;
    const int64_t lo = (int64_t)row0 * r->nx;
    const int64_t hi = lo + (int64_t)n_rows * r->nx;
    int64_t a = 0, b = sl->n_map_cells;
    while (a < b) {
        const int64_t mid = a + (b - a) / 2;
        if (sl->map_cell[mid] < lo)
            a = mid + 1;
        else
            b = mid;
    }
    for (int64_t k = a; k < sl->n_map_cells && sl->map_cell[k] < hi; k++) {
        const int32_t it = sl->map_item[k];
        if (r->map->value != NULL) {
            const double v = r->map->value[it];
            ((float *)buf)[sl->map_cell[k] - lo] =
                isnan(v) ? AM_FILL_F32 : (float)v;
        } else {
            ((int32_t *)buf)[sl->map_cell[k] - lo] =
                (int32_t)r->map->ivalue[it];
        }
    }
    return 1;
}

/* <g>/maps/<name> of a selection (checked: cells ascending, in the grid,
 * items in range, values finite or NaN and within float32). */
static am_status write_selection_maps(rf_ctx *c, am_h5 *h,
                                      const am_rf_selection *sl, const char *g)
{
    char path[OBJECT_MAX];
    const am_grid *grid = c->d->population.grid;
    const int64_t ncell = (int64_t)grid->nx * grid->ny;
    if (sl->n_maps == 0)
        return AM_OK;
    if (sl->n_maps < 0 || sl->n_map_cells < 0 || sl->n_items < 0 ||
        !HAVE(sl->maps, sl->n_maps) || !HAVE(sl->map_cell, sl->n_map_cells) ||
        !HAVE(sl->map_item, sl->n_map_cells))
        return bad(c, "a selection's maps without cells or layers");
    for (int64_t k = 0; k < sl->n_map_cells; k++)
        if (sl->map_cell[k] < 0 || sl->map_cell[k] >= ncell ||
            (k > 0 && sl->map_cell[k] <= sl->map_cell[k - 1]) ||
            sl->map_item[k] < 0 || sl->map_item[k] >= sl->n_items)
            return bad(c, "a selection map's cells are not ascending in "
                          "the grid, or an item is out of range");
    am_status rc = put_name(c, path, sizeof path, "%s/maps", g);
    AM_TRY(am_h5_make_group(h, path, c->err));
    for (int32_t k = 0; rc == AM_OK && k < sl->n_maps; k++) {
        const am_rf_sel_map *mp = &sl->maps[k];
        if (!name_ok(mp->name) || (mp->value == NULL) == (mp->ivalue == NULL) ||
            !HAVE(mp->value != NULL ? (const void *)mp->value
                                    : (const void *)mp->ivalue,
                  sl->n_items))
            return bad(c, "a selection map without a name or values");
        for (int64_t i = 0; i < sl->n_items; i++)
            if (mp->value != NULL
                    ? !(isnan(mp->value[i]) || fabs(mp->value[i]) <= FLT_MAX)
                    : mp->ivalue[i] < INT32_MIN || mp->ivalue[i] > INT32_MAX)
                return bad(c, "a selection map's value is out of range");
        map_rows src = {sl, mp, grid->nx};
        am_h5_raster_info info = {mp->long_name, mp->units};
        AM_TRY(put_name(c, path, sizeof path, "%s/maps/%s", g, mp->name));
        AM_TRY(am_h5_write_raster_rows(
            h, path, mp->value != NULL ? AM_H5_F32 : AM_H5_I32,
            mp->value != NULL ? AM_FILL_F32 : AM_FILL_I32, map_rows_fill, &src,
            &info, c->err));
    }
    return rc;
}

static am_status write_selections(rf_ctx *c, am_h5 *h)
{
    const am_rf_file *d = c->d;
    char g[GROUP_MAX], path[OBJECT_MAX];
    if (d->n_selections <= 0)
        return AM_OK;
    if (!HAVE(d->selections, d->n_selections))
        return bad(c, "no selections");
    am_status rc = am_h5_make_group(h, "/selection", c->err);
    for (int32_t k = 0; rc == AM_OK && k < d->n_selections; k++) {
        const am_rf_selection *sl = &d->selections[k];
        if (!name_ok(sl->name) || sl->n_attrs < 0 ||
            !HAVE(sl->attrs, sl->n_attrs) || sl->n_tables < 0 ||
            !HAVE(sl->tables, sl->n_tables))
            return bad(c, "a selection without a name, attributes or tables");
        AM_TRY(put_name(c, g, sizeof g, "/selection/%s", sl->name));
        AM_TRY(am_h5_make_group(h, g, c->err));
        for (int32_t a = 0; rc == AM_OK && a < sl->n_attrs; a++) {
            const am_rf_attr *at = &sl->attrs[a];
            if (at->type == AM_RF_COL_INT64)
                rc = am_h5_attr_int64(h, g, at->name, at->i, c->err);
            else if (at->type == AM_RF_COL_DOUBLE)
                rc = am_h5_attr_double(h, g, at->name, at->num, c->err);
            else
                rc = am_h5_attr_string(h, g, at->name, or_empty(at->text),
                                       c->err);
        }
        for (int32_t t = 0; rc == AM_OK && t < sl->n_tables; t++) {
            if (!name_ok(sl->tables[t].name))
                return bad(c, "a selection table without a name");
            AM_TRY(
                put_name(c, path, sizeof path, "%s/%s", g, sl->tables[t].name));
            AM_TRY(write_plain_table(c, h, path, &sl->tables[t]));
        }
        AM_TRY(write_selection_maps(c, h, sl, g));
    }
    return rc;
}

/* ---- issue 12, scenario ensembles: groups and rasters -------------------- */

static am_status write_attrs(rf_ctx *c, am_h5 *h, const char *g, int32_t n,
                             const am_rf_attr *attrs)
{
    am_status rc = AM_OK;
    for (int32_t a = 0; rc == AM_OK && a < n; a++) {
        const am_rf_attr *at = &attrs[a];
        if (!name_ok(at->name))
            return bad(c, "an attribute without a name");
        if (at->type == AM_RF_COL_INT64)
            rc = am_h5_attr_int64(h, g, at->name, at->i, c->err);
        else if (at->type == AM_RF_COL_DOUBLE)
            rc = am_h5_attr_double(h, g, at->name, at->num, c->err);
        else
            rc = am_h5_attr_string(h, g, at->name, or_empty(at->text), c->err);
    }
    return rc;
}

static am_status write_groups(rf_ctx *c, am_h5 *h)
{
    const am_rf_file *d = c->d;
    char path[OBJECT_MAX];
    if (d->n_groups <= 0)
        return AM_OK;
    if (!HAVE(d->groups, d->n_groups))
        return bad(c, "no groups");
    am_status rc = AM_OK;
    for (int32_t k = 0; rc == AM_OK && k < d->n_groups; k++) {
        const am_rf_group *gr = &d->groups[k];
        if (gr->path == NULL || gr->n_attrs < 0 ||
            !HAVE(gr->attrs, gr->n_attrs) || gr->n_tables < 0 ||
            !HAVE(gr->tables, gr->n_tables))
            return bad(c, "a group without a path, attributes or tables");
        AM_TRY(am_h5_make_group(h, gr->path, c->err));
        AM_TRY(write_attrs(c, h, gr->path, gr->n_attrs, gr->attrs));
        for (int32_t t = 0; rc == AM_OK && t < gr->n_tables; t++) {
            if (!name_ok(gr->tables[t].name))
                return bad(c, "a group's table without a name");
            AM_TRY(put_name(c, path, sizeof path, "%s/%s", gr->path,
                            gr->tables[t].name));
            AM_TRY(write_plain_table(c, h, path, &gr->tables[t]));
        }
    }
    return rc;
}

static am_status write_rasters(rf_ctx *c, am_h5 *h)
{
    const am_rf_file *d = c->d;
    const am_rf_population *p = &d->population;
    if (d->n_rasters <= 0)
        return AM_OK;
    if (!HAVE(d->rasters, d->n_rasters))
        return bad(c, "no rasters");
    float *r =
        am_alloc_array((size_t)(p->n_cells > 0 ? p->n_cells : 1), sizeof *r);
    if (r == NULL)
        return nomem(c);
    am_status rc = AM_OK;
    for (int32_t k = 0; rc == AM_OK && k < d->n_rasters; k++) {
        const am_rf_raster *ra = &d->rasters[k];
        if (ra->path == NULL || !HAVE(ra->value, p->n_cells)) {
            rc = bad(c, "a raster without a path or values");
            break;
        }
        for (int64_t i = 0; i < p->n_cells; i++) {
            const double v = ra->value[i];
            r[i] = ra->unreached_minutes && isinf(v) && v > 0 ? AM_UNREACHED_MIN
                                                              : (float)v;
        }
        am_h5_raster_info info = {ra->long_name, ra->units};
        rc = am_h5_write_raster_sparse_f32(h, ra->path, p->n_cells, p->cell, r,
                                           AM_FILL_F32, &info, c->err);
        if (rc == AM_OK && ra->unreached_minutes)
            rc = am_h5_attr_double(h, ra->path, "unreachable_value",
                                   AM_UNREACHED_MIN, c->err);
    }
    am_free(r);
    return rc;
}

/* ---- the file ------------------------------------------------------------ */

/*
 * The writer's progress (after each strip of rows of a raster, and once
 * before the rename) as a fraction of the whole file; a 0 from the
 * caller's callback stops the writer, which then removes its temporary and
 * leaves an older output as it was.
 */
static int raster_progress(double fraction, const char *message, void *user)
{
    rf_ctx *c = user;
    if (fraction <= c->last && c->raster_done < c->raster_total)
        c->raster_done++; /* a new raster started (or the final rename) */
    c->last = fraction;
    double f = c->raster_total > 0
                   ? ((double)c->raster_done + fraction) / c->raster_total
                   : 1.0;
    return c->progress(f < 1.0 ? f : 1.0, message, c->user);
}

am_status am_rf_write(const char *path, const am_rf_file *d,
                      am_progress_fn progress, void *user, am_error *err)
{
    rf_ctx ctx = {d, path, err, progress, user, 0, 0, 0.0};
    rf_ctx *c = &ctx;
    am_h5 *h = NULL;
    if (path == NULL || d == NULL)
        return am_error_set(err, AM_ERR_INVALID, path,
                            "no output path or no results to write");
    am_status rc = check_file(c);
    if (rc != AM_OK)
        return rc;
    rc = am_h5_create(path, &h, err);
    if (rc != AM_OK)
        return rc;
    /* checked again right before the rename (the folder may change) */
    am_h5_set_protected(h, d->protect);
    am_h5_set_threads(h, d->threads);
    /* the population, then per set: nearest time, nearest facility and
       one raster per measure and its reach flags */
    c->raster_total = 1;
    for (int32_t k = 0; k < d->n_sets; k++) {
        c->raster_total += 2 + d->sets[k].n_measures;
        for (int32_t m = 0; m < d->sets[k].n_measures; m++)
            c->raster_total += (d->sets[k].measures[m].flag != NULL) +
                               (d->sets[k].measures[m].per_person != 0) +
                               3 * (d->sets[k].measures[m].coverage != NULL);
    }
    for (int32_t k = 0; k < d->n_sets; k++) /* issue 9, the surfaces */
        c->raster_total += d->sets[k].surface_rows != NULL;
    c->raster_total += d->n_combined; /* issue 9, facility tiers */
    c->raster_total += d->n_rasters > 0 ? d->n_rasters : 0; /* issue 12 */
    for (int32_t k = 0; d->selections != NULL && k < d->n_selections;
         k++) /* issue 10, the maps */
        c->raster_total +=
            d->selections[k].n_maps > 0 ? d->selections[k].n_maps : 0;
    if (progress != NULL)
        am_h5_set_progress(h, raster_progress, c);
    AM_TRY(am_h5_set_grid(h, d->population.grid, d->population.crs_wkt, err));
    AM_TRY(write_root_attrs(c, h));
    AM_TRY(write_network(c, h));
    AM_TRY(write_population(c, h));
    AM_TRY(am_h5_make_group(h, "/results", err));
    AM_TRY(write_groups(c, h)); /* issue 12, before their sets */
    for (int32_t k = 0; rc == AM_OK && k < d->n_sets; k++)
        rc = write_set(c, h, &d->sets[k]);
    AM_TRY(write_rasters(c, h));   /* issue 12 */
    AM_TRY(write_referrals(c, h)); /* issue 9, facility tiers */
    AM_TRY(write_combined(c, h));
    AM_TRY(write_selections(c, h)); /* issue 10 */
    if (rc != AM_OK) {
        am_h5_abort(h);
        return rc;
    }
    return am_h5_commit_with(h, d->with, d->n_with, err);
}

/* ---- the equity CSV (issue 9) ------------------------------------------ */

/* A growing text buffer. */
typedef struct csv_buf {
    char *p;
    size_t n, cap;
    int failed;
} csv_buf;

static void csv_put(csv_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = am_realloc(b->p, cap);
        if (q == NULL) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

/* A field: quoted when it holds a comma, a quote or a line break. */
static void csv_text(csv_buf *b, const char *s)
{
    if (s == NULL)
        s = "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        csv_put(b, s, strlen(s));
        return;
    }
    csv_put(b, "\"", 1);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            csv_put(b, "\"", 1);
        csv_put(b, p, 1);
    }
    csv_put(b, "\"", 1);
}

static void csv_cell(csv_buf *b, const am_rf_column *col, int64_t row)
{
    char num[40];
    if (col->type == AM_RF_COL_STRING) {
        csv_text(b, ((char *const *)col->data)[row]);
        return;
    }
    if (col->type == AM_RF_COL_INT64) {
        snprintf(num, sizeof num, "%lld",
                 (long long)((const int64_t *)col->data)[row]);
    } else {
        double v = ((const double *)col->data)[row];
        if (isnan(v))
            snprintf(num, sizeof num, "NaN");
        else if (isinf(v))
            snprintf(num, sizeof num, v > 0 ? "inf" : "-inf");
        else
            snprintf(num, sizeof num, "%.17g", v);
    }
    csv_put(b, num, strlen(num));
}

/*
 * issue 9, facility tiers: sets may compute different measures and have
 * their own cutoffs, so their tables' columns may differ. The header is
 * d->equity_order (the engine's order for all sets), then any other
 * column of any table in order of first appearance (all of them when
 * there is no order); a row leaves the columns its table lacks empty.
 * *out: [*n] borrowed names (owned array).
 */
static int csv_union(const am_rf_file *d, const char ***out, int32_t *n)
{
    int32_t cap = 0, k_n = 0;
    const char **u = NULL;
    for (int32_t k = 0; k < d->n_sets; k++)
        for (int32_t t = 0; t < d->sets[k].n_equity; t++)
            cap += d->sets[k].equity[t].n_cols;
    if (d->equity_order != NULL)
        cap += d->n_equity_order;
    if (cap > 0 && (u = am_alloc_array((size_t)cap, sizeof *u)) == NULL)
        return -1;
    for (int32_t j = 0; d->equity_order != NULL && j < d->n_equity_order; j++)
        u[k_n++] = d->equity_order[j];
    for (int32_t k = 0; k < d->n_sets; k++)
        for (int32_t t = 0; t < d->sets[k].n_equity; t++) {
            const am_rf_table *tb = &d->sets[k].equity[t];
            for (int32_t j = 0; j < tb->n_cols; j++) {
                int32_t q = 0;
                while (q < k_n && strcmp(u[q], tb->cols[j].name) != 0)
                    q++;
                if (q == k_n)
                    u[k_n++] = tb->cols[j].name;
            }
        }
    *out = u;
    *n = k_n;
    return 0;
}

/*
 * Writes the CSV text built in b (freed here) to path under a temporary
 * name (common/atomic_file.h), for the caller to commit with the HDF5
 * output (am_rf_file.with); on failure nothing is left. what names it in
 * messages.
 */
static am_status csv_stage(const char *path, csv_buf *b, const char *what,
                           const am_file_guard *protect, am_atomic_file *f,
                           am_error *err)
{
    if (b->failed) {
        am_free(b->p);
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory for %s",
                            what);
    }
    am_status rc = am_atomic_open(path, f, err);
    if (rc != AM_OK) {
        am_atomic_close(f);
        am_free(b->p);
        return rc;
    }
    f->protect = protect;
    rc = am_atomic_write(f, b->p, b->n, err);
    am_free(b->p);
    if (rc != AM_OK) {
        am_atomic_discard(f);
        am_atomic_close(f);
    }
    return rc;
}

am_status am_rf_equity_csv_stage(const char *path, const am_rf_file *d,
                                 const am_file_guard *protect,
                                 am_atomic_file *f, am_error *err)
{
    csv_buf b = {NULL, 0, 0, 0};
    const char **names = NULL;
    int32_t n_names = 0;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->dir_fd = -1;
    if (path == NULL || d == NULL)
        return am_error_set(err, AM_ERR_INVALID, path,
                            "no equity CSV path or no results");
    if (csv_union(d, &names, &n_names) != 0)
        return am_error_set(err, AM_ERR_NOMEM, path,
                            "out of memory for the equity CSV");
    csv_put(&b, "set,table", 9);
    for (int32_t j = 0; j < n_names; j++) {
        csv_put(&b, ",", 1);
        csv_text(&b, names[j]);
    }
    csv_put(&b, "\n", 1);
    int32_t *map =
        am_alloc_array((size_t)(n_names > 0 ? n_names : 1), sizeof *map);
    if (map == NULL)
        b.failed = 1;
    for (int32_t k = 0; map != NULL && k < d->n_sets; k++) {
        const am_rf_set *set = &d->sets[k];
        for (int32_t t = 0; t < set->n_equity; t++) {
            const am_rf_table *tb = &set->equity[t];
            for (int32_t j = 0; j < n_names; j++) { /* -1: not in tb */
                map[j] = -1;
                for (int32_t c = 0; c < tb->n_cols && map[j] < 0; c++)
                    if (strcmp(tb->cols[c].name, names[j]) == 0)
                        map[j] = c;
            }
            for (int64_t i = 0; i < tb->n_rows; i++) {
                csv_text(&b, set->name);
                csv_put(&b, ",", 1);
                csv_text(&b, tb->name);
                for (int32_t j = 0; j < n_names; j++) {
                    csv_put(&b, ",", 1);
                    if (map[j] >= 0)
                        csv_cell(&b, &tb->cols[map[j]], i);
                }
                csv_put(&b, "\n", 1);
            }
        }
    }
    am_free(map);
    am_free(names);
    return csv_stage(path, &b, "the equity CSV", protect, f, err);
}

am_status am_rf_write_equity_csv(const char *path, const am_rf_file *d,
                                 const am_file_guard *protect, am_error *err)
{
    am_atomic_file f;
    am_status rc = am_rf_equity_csv_stage(path, d, protect, &f, err);
    if (rc != AM_OK)
        return rc;
    return am_atomic_commit(&f, err);
}

/* ---- issue 9, facility tiers: the referral CSV -------------------------- */

am_status am_rf_referrals_csv_stage(const char *path, const am_rf_file *d,
                                    const am_file_guard *protect,
                                    am_atomic_file *f, am_error *err)
{
    csv_buf b = {NULL, 0, 0, 0};
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->dir_fd = -1;
    if (path == NULL || d == NULL)
        return am_error_set(err, AM_ERR_INVALID, path,
                            "no referral CSV path or no results");
    csv_put(&b, "table", 5);
    if (d->n_referrals > 0)
        for (int32_t j = 0; j < d->referrals[0].table.n_cols; j++) {
            csv_put(&b, ",", 1);
            csv_text(&b, d->referrals[0].table.cols[j].name);
        }
    csv_put(&b, "\n", 1);
    for (int32_t k = 0; k < d->n_referrals; k++) {
        const am_rf_table *tb = &d->referrals[k].table;
        for (int64_t i = 0; i < tb->n_rows; i++) {
            csv_text(&b, tb->name);
            for (int32_t j = 0; j < tb->n_cols; j++) {
                csv_put(&b, ",", 1);
                csv_cell(&b, &tb->cols[j], i);
            }
            csv_put(&b, "\n", 1);
        }
    }
    return csv_stage(path, &b, "the referral CSV", protect, f, err);
}
