/*
 * write.c: the HDF5 file of a run. The layout is outputs/results_file's
 * (docs/hdf5-layout.md); this file only describes the model, the site sets
 * and their results in that module's plain terms (borrowed arrays, no
 * copy) and times the write as the run's "write" phase.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "engine/diagnostics.h"
#include "engine/internal.h"
#include "engine/variants.h"
#include "engine/selection.h"
#include "engine/referral.h"
#include "engine/scenario.h"
#include "engine/sysinfo.h"
#include "kernels/allocation.h"
#include "outputs/results_file.h"

_Static_assert(AM_NAME_MAX <= AM_RF_NAME_MAX,
               "scenario names must fit the results file's names");

/* What measure k's values mean, from the registry and its resolved plan
 * (engine/measure_registry.h); text: the caller's buffer for the decay in
 * words (size n). */
static am_rf_measure measure_desc(const am_measure_spec *ms,
                                  const am_results *res, int k, char *text,
                                  size_t n)
{
    const am_measure_plan *pl = &res->plans[k];
    const am_measure_info *info = pl->info;
    am_rf_measure d;
    memset(&d, 0, sizeof d);
    d.name = ms->name;
    d.type = info->name;
    d.long_name = info->long_name;
    d.units = info->units;
    d.threshold_min = pl->limit_min;
    d.reference = info->citation;
    d.formula = info->formula;
    d.decay = am_decay_type_name(pl->decay.type);
    d.decay_formula = am_decay_formula(pl->decay.type);
    am_measure_plan_describe(pl, text, n);
    d.decay_parameters = text;
    d.decay_truncated = pl->truncated;
    if (info->takes & AM_MP_ALPHA)
        d.alpha = pl->alpha;
    if (info->takes & AM_MP_N)
        d.nth = pl->n;
    d.unreached_minutes = info->method == AM_FCA_NTH_NEAREST;
    d.per_person = info->method == AM_FCA_SPAV;
    d.flag = res->flag + (size_t)k * (size_t)res->n_cells;
    d.fac_no_demand = res->fac_no_demand[k] > 0 ? res->fac_no_demand[k] : 0;
    return d;
}

static am_rf_input input_desc(const char *path, const am_fp *fp)
{
    am_rf_input in = {path, (int64_t)fp->size, fp->hex};
    return in;
}

static am_rf_moves moves_desc(const am_fragment_moves *mv)
{
    am_rf_moves r = {mv->moved_weight, mv->moved,           mv->extra_median_m,
                     mv->extra_max_m,  mv->stranded_weight, mv->stranded};
    return r;
}

/* How the roads' speeds were read, for /network "speeds" (buf: n). */
static const char *speeds_text(const am_scenario *s, char *buf, size_t n)
{
    if (s->roads_class_field != NULL)
        snprintf(buf, n, "class_field %s", s->roads_class_field);
    else if (s->roads_speed_field != NULL)
        snprintf(buf, n, "speed_field %s (km/h)", s->roads_speed_field);
    else if (s->roads_time_field != NULL)
        snprintf(buf, n, "time_field %s (%s)", s->roads_time_field,
                 s->roads_time_unit != NULL ? s->roads_time_unit : "minutes");
    else if (s->roads_custom_profile != NULL)
        snprintf(buf, n, "profile %s (file %s)", s->roads_custom_profile->name,
                 s->roads_profile_file);
    else
        snprintf(buf, n, "profile %s", s->profile != NULL ? s->profile : "car");
    return buf;
}

/* /network's profile attributes: the name, the effective speed table (the
 * scenario's profile, rebuilt: it was checked when the roads were read)
 * and the tag counts. */
static void network_profile(const am_model *m, am_rf_network *nw)
{
    const am_road_network *rn = m->roads;
    am_profile prof;
    am_error err;
    am_error_clear(&err);
    if (am_scenario_profile(m->s, &prof, &err) != AM_OK)
        return; /* not reached: the roads were read with it */
    snprintf(nw->profile, sizeof nw->profile, "%s", rn->profile);
    size_t k = 0;
    for (int i = 0; i < prof.n_classes && i < AM_RF_MAX_CLASSES; i++) {
        int n = snprintf(nw->speed_classes + k, sizeof nw->speed_classes - k,
                         "%s%s", i ? "," : "", prof.classes[i].highway);
        if (n < 0 || (size_t)n >= sizeof nw->speed_classes - k)
            break;
        k += (size_t)n;
        nw->speed_kmh[i] = prof.classes[i].kmh * prof.classes[i].mult;
        nw->n_classes = i + 1;
    }
    nw->ferries_enabled = prof.ferries;
    nw->maxspeed_implausible_used = prof.use_implausible;
    nw->oneway = rn->n_oneway;
    nw->maxspeed_used = rn->n_maxspeed;
    nw->maxspeed_unparsable = rn->n_maxspeed_unparsable;
    nw->maxspeed_implausible = rn->n_maxspeed_implausible;
    nw->closed_by_access = rn->n_closed_access;
    nw->areas_skipped = rn->n_area;
    nw->reversible_skipped = rn->n_reversible;
    nw->ferries = rn->n_ferry;
    nw->missing_nodes_ways = rn->n_missing_nodes_kept;
    nw->missing_nodes_dropped = rn->n_missing_nodes_dropped;
}

/* /network's speed table for a layer read through class_field (its
 * class_speeds_kmh, in the scenario's order), under the profile name
 * "field mapping" (no travel profile read the layer). */
static void mapping_speeds(const am_scenario *s, am_rf_network *nw)
{
    snprintf(nw->profile, sizeof nw->profile, "field mapping");
    size_t k = 0;
    for (int i = 0; i < s->n_roads_class_speeds && i < AM_RF_MAX_CLASSES; i++) {
        int n = snprintf(nw->speed_classes + k, sizeof nw->speed_classes - k,
                         "%s%s", i ? "," : "", s->roads_class_speeds[i].klass);
        if (n < 0 || (size_t)n >= sizeof nw->speed_classes - k)
            break;
        k += (size_t)n;
        nw->speed_kmh[i] = s->roads_class_speeds[i].kmh;
        nw->n_classes = i + 1;
    }
}

/* The root attributes, /network and /population from the model; zones
 * (caller-allocated, [n_speed_zones]) holds the speed zone rows; speeds:
 * the caller's buffer for /network's "speeds" (size AM_ERROR_MSG_MAX). */
static void describe_model(const am_write_request *w, const char *now,
                           am_rf_zone *zones, char *speeds, am_rf_file *d)
{
    const am_model *m = w->m;
    const am_scenario *s = m->s;
    am_rf_provenance *r = &d->run;
    r->version = AM_VERSION_STRING;
    r->created_utc = now;
    r->scenario_name = s->name;
    r->scenario_file = s->source_path;
    r->command_line = w->command_line;
    r->threads = w->m->threads;
    r->profile = s->roads_custom_profile != NULL ? s->roads_custom_profile->name
                                                 : s->profile;
    r->snap_max_m = s->snap_max_m;
    r->walk_speed_kmh = s->walk_speed_kmh;
    r->n_cutoffs = s->n_cutoffs;
    r->cutoffs_min = s->cutoffs_min;
    r->metric_frame = m->frame;
    if (s->source_path != NULL && w->fp_scenario != NULL)
        r->scenario = input_desc(s->source_path, w->fp_scenario);
    r->roads = input_desc(m->roads_path, &m->fp_roads);
    r->population = input_desc(m->pop_path, &m->fp_pop);
    if (s->roads_custom_profile != NULL) /* issue 7, roads.profile_file */
        r->profile_file =
            (am_rf_input){s->roads_profile_file, s->roads_profile_file_size,
                          s->roads_profile_file_sha256};

    d->network =
        (am_rf_network){.nodes = m->roads->n_nodes,
                        .arcs = m->roads->n_arcs,
                        .features_read = m->roads->n_features,
                        .features_routable = m->roads->n_routable,
                        .routable_km = m->roads->total_len_km,
                        .speeds = speeds_text(s, speeds, AM_ERROR_MSG_MAX),
                        .oneway_field = s->roads_oneway_field,
                        .join_tolerance_m = s->roads_join_tolerance_m,
                        .vertices_joined = m->roads->n_joined,
                        .join_crossings = s->roads_join_crossings,
                        .crossings_joined = m->roads->n_crossings,
                        .from_cache = m->roads_from_cache,
                        .graph_nodes = m->contraction.nodes_after,
                        .graph_arcs = m->contraction.arcs_after,
                        .chain_max_m = m->contraction.max_cut,
                        .self_loops = m->contraction.self_loops,
                        .parallel_chains = m->contraction.parallel};
    if (s->roads_class_field == NULL && s->roads_speed_field == NULL &&
        s->roads_time_field == NULL)
        network_profile(m, &d->network); /* OSM tags read by the profile */
    else if (s->roads_class_field != NULL)
        mapping_speeds(s, &d->network); /* the class_speeds_kmh table */
    for (int k = 0; k < s->n_speed_zones; k++) {
        const am_speed_zone *z = &s->speed_zones[k];
        const am_zone_layer *zl = m->zones[k];
        zones[k] = (am_rf_zone){input_desc(m->zone_paths[k], &m->fp_zones[k]),
                                zl->layer,
                                z->where,
                                z->field,
                                z->field != NULL ? NAN : z->multiplier,
                                zl->mult_min,
                                zl->mult_max,
                                zl->n_features,
                                m->zone_stats[k].arcs,
                                m->zone_stats[k].arc_km};
    }
    d->network.n_zones = s->n_speed_zones;
    d->network.zones = zones;
    if (m->components != NULL) {
        d->network.n_components = m->components->n_components;
        d->network.component_size = m->components->size;
        d->network.components_allowed = m->n_allowed_components;
        d->network.nodes_disallowed = m->nodes_disallowed;
        d->network.arcs_disallowed = m->arcs_disallowed;
    }

    const am_population *p = m->pop;
    am_rf_population *o = &d->population;
    o->grid = &p->grid;
    o->crs_wkt = p->crs_wkt;
    o->n_cells = p->n_cells;
    o->cell = p->cell;
    o->pop = p->pop;
    o->total = p->total;
    o->refused_negative_cells = p->n_negative;
    o->refused_nonfinite_cells = p->n_nonfinite;
    o->refused_implausible_cells = p->n_implausible;
    o->off_network_population = m->pop_off_network;
    o->off_network_cells = m->cells_off_network;
    o->source_scale = p->scale;
    o->source_offset = p->offset;
    o->source_masked = p->masked;
    o->masked_cells = p->n_masked;
    o->moves = moves_desc(&m->cell_moves);
}

/* Set k's group from its sites and results; its measures go in ms and
 * their decays in words in text (caller-allocated, [n_measures]). */
typedef char measure_text[256];
static void describe_set(const am_write_request *w, int k, am_rf_measure *ms,
                         measure_text *text, am_rf_set *d)
{
    const am_scenario *s = w->m->s;
    const am_sites *set = w->sites[k];
    const am_results *res = w->results[k];
    const am_facility_set *f = set->fac;
    const size_t n_cells = (size_t)res->n_cells, n_sites = (size_t)f->n;
    memset(d, 0, sizeof *d);
    d->name = set->name;
    d->where = set->where;
    d->facilities = input_desc(set->path, &set->fp); /* "": no attributes */
    d->n_sites = f->n;
    d->id = f->id;
    d->site_name = f->name;
    d->klass = f->klass;
    d->capacity = f->capacity;
    d->lon = f->lon;
    d->lat = f->lat;
    d->snap_distance_m = set->snap.dist_m;
    d->link_node = set->snap.node;
    d->link_offset_ds = set->snap.offset_ds;
    d->nearest_ds = res->nearest_ds;
    d->nearest = res->nearest;
    d->measures = ms;
    int q = 0; /* issue 9: only the measures the set computes */
    for (int m = 0; m < s->n_measures; m++) {
        if (!res->measure_on[m])
            continue;
        ms[q] = measure_desc(&s->measures[m], res, m, text[q], sizeof text[q]);
        ms[q].access = res->access + (size_t)m * n_cells;
        if (res->plans[m].info->has_ratio) {
            ms[q].demand = res->site_demand + (size_t)m * n_sites;
            ms[q].ratio = res->site_ratio + (size_t)m * n_sites;
        }
        q++;
    }
    d->n_measures = q;
    d->n_cutoffs = res->n_cutoffs;
    d->cutoffs_min = res->cutoffs_min;
    d->pop_within = res->pop_within;
    d->moves = moves_desc(&set->moves);
    d->near_duplicate_pairs = set->near_duplicates;
    d->near_duplicate_m = AM_NEAR_DUPLICATE_M;
}

/* issue 9, capacity_coverage: set k's measures' splits into cv (caller-
 * allocated, [n_measures]) and their descriptions ms. */
static void describe_cover(const am_write_request *w, int k, am_rf_measure *ms,
                           am_rf_coverage *cv)
{
    const am_results *res = w->results[k];
    for (int m = 0; res->cover != NULL && m < res->n_measures; m++) {
        const am_cover *c = res->cover[m];
        if (c == NULL)
            continue;
        const am_measure_plan *pl = &res->plans[m];
        am_rf_coverage *d = &cv[m];
        d->served = c->served;
        d->beyond = c->beyond;
        d->none = c->none;
        d->demand = c->demand;
        d->served_fac = c->served_fac;
        d->excess = c->excess;
        d->util = c->util;
        d->total_served = c->total_served;
        d->total_beyond = c->total_beyond;
        d->total_none = c->total_none;
        d->total_off = c->total_off;
        d->persons_per_capacity = pl->persons_per_capacity;
        d->allocation = am_allocation_name(pl->allocation);
        d->iterations = c->iterations;
        d->residual = c->residual;
        d->converged = c->converged;
        d->tolerance = AM_ALLOC_TOLERANCE;
        d->max_iterations = AM_ALLOC_MAX_ITERATIONS;
        ms[m].coverage = d;
    }
}

/* ---- equity tables (issue 9) ---------------------------------------- */

#define EQ_COL_MAX (AM_NAME_MAX + 48)
typedef char eq_col_name[EQ_COL_MAX];

/* One set's equity tables as plain columns (all owned, freed by
 * eq_free): column j of every table is a slice of one array over all
 * rows (row 0 everyone, then each layer's zones). */
/* Where a column goes in the equity CSV, whose header is every set's
 * columns (issue 9: sets may have their own cutoffs and measures), in
 * one order for all: section (0 the zone's columns, 1 the nearest time's
 * block, 2 beyond_<C>min, 3 the measures), then major (the cutoff C in
 * minutes, ascending; the measure's index in the scenario), then minor
 * (the position within the block). */
typedef struct eq_key {
    int section;
    double major;
    int minor;
} eq_key;

typedef struct eq_set {
    int32_t n_tables, n_cols;
    am_rf_table *tables; /* [n_tables] */
    am_rf_column *cols;  /* [n_tables][n_cols] */
    eq_col_name *names;  /* [n_cols] */
    eq_key *keys;        /* [n_cols] */
    double *num;         /* [n_double_cols][n_rows] */
    int64_t *ints;       /* [3][n_rows]: zone, fid, cells */
    char **ids;          /* [n_rows] borrowed strings */
} eq_set;

static void eq_free(eq_set *e)
{
    am_free(e->tables);
    am_free(e->cols);
    am_free(e->names);
    am_free(e->keys);
    am_free(e->num);
    am_free(e->ints);
    am_free(e->ids);
    memset(e, 0, sizeof *e);
}

/* "10" for 10, "12.5" for 12.5. */
static void eq_num(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.10g", v);
}

/* Appends the column (name, type, data at column slot q) to the layout. */
typedef struct eq_layout {
    eq_set *e;
    int32_t q, dq; /* next column, next double column */
    int32_t n_rows;
    eq_key key; /* the next column's; minor counts up by itself */
} eq_layout;

/* The next columns' key: section, major, minor from 0. */
static void eq_section(eq_layout *L, int section, double major)
{
    L->key = (eq_key){section, major, 0};
}

static double *eq_dcol(eq_layout *L, const char *name, const char *units,
                       const char *desc)
{
    eq_set *e = L->e;
    e->keys[L->q] = L->key;
    L->key.minor++;
    snprintf(e->names[L->q], EQ_COL_MAX, "%s", name);
    double *col = e->num + (size_t)L->dq * (size_t)L->n_rows;
    e->cols[L->q] =
        (am_rf_column){e->names[L->q], AM_RF_COL_DOUBLE, col, units, desc};
    L->q++;
    L->dq++;
    return col;
}

/* A block's columns: prefix_mean, _median, _p<pct>..., _gini, _palma,
 * _theil, filled from q's block b. */
static void eq_block(eq_layout *L, const am_equity *q, int b,
                     const char *prefix, const char *units, const double *pct)
{
    char name[EQ_COL_MAX], v[32];
    const am_equity_stats *st = q->stats + (size_t)b * (size_t)q->n_rows;
    double *c;
    snprintf(name, sizeof name, "%s_mean", prefix);
    c = eq_dcol(L, name, units, "population-weighted mean");
    for (int32_t i = 0; i < q->n_rows; i++)
        c[i] = st[i].mean;
    snprintf(name, sizeof name, "%s_median", prefix);
    c = eq_dcol(L, name, units, "lower weighted median");
    for (int32_t i = 0; i < q->n_rows; i++)
        c[i] = st[i].median;
    for (int32_t k = 0; k < q->n_pct; k++) {
        eq_num(v, sizeof v, pct[k]);
        snprintf(name, sizeof name, "%s_p%s", prefix, v);
        c = eq_dcol(L, name, units, "lower weighted percentile");
        for (int32_t i = 0; i < q->n_rows; i++)
            c[i] = q->pct[((size_t)b * (size_t)q->n_rows + (size_t)i) *
                              (size_t)q->n_pct +
                          (size_t)k];
    }
    snprintf(name, sizeof name, "%s_gini", prefix);
    c = eq_dcol(L, name, "1", "Gini coefficient (weighted Lorenz curve)");
    for (int32_t i = 0; i < q->n_rows; i++)
        c[i] = st[i].gini;
    snprintf(name, sizeof name, "%s_palma", prefix);
    c = eq_dcol(L, name, "1", "Palma ratio: top 10 % over bottom 40 %");
    for (int32_t i = 0; i < q->n_rows; i++)
        c[i] = st[i].palma;
    snprintf(name, sizeof name, "%s_theil", prefix);
    c = eq_dcol(L, name, "1", "Theil T index");
    for (int32_t i = 0; i < q->n_rows; i++)
        c[i] = st[i].theil;
}

/* Set k's equity tables (docs/hdf5-layout.md, "Equity"); e zeroed when
 * the scenario asks for none. */
static am_status eq_build(const am_write_request *w, int k, eq_set *e,
                          am_error *err)
{
    const am_model *m = w->m;
    const am_scenario *s = m->s;
    const am_results *r = w->results[k];
    const am_equity *q = r->equity;
    memset(e, 0, sizeof *e);
    if (q == NULL)
        return AM_OK;
    const int nl = s->n_zone_layers;
    const int32_t n_rows = q->n_rows;
    int32_t n_on = 0; /* issue 9: the measures the set computes */
    for (int mk = 0; mk < r->n_measures; mk++)
        n_on += r->measure_on[mk] != 0;
    const int32_t n_dcols =
        1 + (1 + n_on) * (5 + q->n_pct) + q->n_cutoffs + n_on * q->n_levels;
    e->n_tables = 1 + nl;
    e->n_cols = 4 + n_dcols;
    e->tables = am_calloc_array((size_t)e->n_tables, sizeof *e->tables);
    e->cols = am_calloc_array((size_t)e->n_tables * (size_t)e->n_cols,
                              sizeof *e->cols);
    e->names = am_calloc_array((size_t)e->n_cols, sizeof *e->names);
    e->keys = am_calloc_array((size_t)e->n_cols, sizeof *e->keys);
    e->num = am_calloc_array((size_t)n_dcols * (size_t)n_rows, sizeof *e->num);
    e->ints = am_calloc_array(3 * (size_t)n_rows, sizeof *e->ints);
    e->ids = am_calloc_array((size_t)n_rows, sizeof *e->ids);
    if (!e->tables || !e->cols || !e->names || !e->keys || !e->num ||
        !e->ints || !e->ids) {
        eq_free(e);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the equity tables");
    }
    int64_t *zone = e->ints, *fid = e->ints + n_rows,
            *cells = e->ints + 2 * (size_t)n_rows;
    zone[0] = -1;
    fid[0] = -1;
    e->ids[0] = (char *)"overall";
    for (int l = 0; l < nl; l++) {
        const am_zone_raster *zr = m->eq_zones[l];
        for (int32_t z = 0; z < zr->n_zones; z++) {
            const int32_t row = q->row_first[l] + z;
            zone[row] = z;
            fid[row] = zr->zone_fid[z];
            e->ids[row] = zr->zone_id[z];
        }
    }
    for (int32_t i = 0; i < n_rows; i++)
        cells[i] = q->stats[i].n_time_cells;

    eq_layout L = {e, 0, 0, n_rows, {0, 0.0, 0}};
    for (int j = 0; j < 4; j++) /* zone, id, fid, cells, then population */
        e->keys[j] = (eq_key){0, 0.0, j};
    L.key.minor = 4;
    e->cols[L.q++] = (am_rf_column){"zone", AM_RF_COL_INT64, zone, NULL,
                                    "zone index in the layer; -1: everyone"};
    e->cols[L.q++] =
        (am_rf_column){"id", AM_RF_COL_STRING, e->ids, NULL,
                       "the zone's id (id_field, or its FID); overall"};
    e->cols[L.q++] =
        (am_rf_column){"fid", AM_RF_COL_INT64, fid, NULL,
                       "the lowest FID of the zone's features; -1"};
    e->cols[L.q++] = (am_rf_column){"cells", AM_RF_COL_INT64, cells, NULL,
                                    "populated cells"};
    double *pop = eq_dcol(&L, "population", "persons", "their population");
    for (int32_t i = 0; i < n_rows; i++)
        pop[i] = q->stats[i].time_weight;
    eq_section(&L, 1, 0.0);
    eq_block(&L, q, 0, "nearest_time_min", "minutes", s->equity_pct);
    for (int32_t c = 0; c < q->n_cutoffs; c++) {
        char name[EQ_COL_MAX], v[32];
        eq_section(&L, 2, r->cutoffs_min[c]);
        eq_num(v, sizeof v, r->cutoffs_min[c]);
        snprintf(name, sizeof name, "beyond_%smin", v);
        double *col = eq_dcol(&L, name, "1",
                              "share of the population whose nearest "
                              "facility is beyond the cutoff");
        for (int32_t i = 0; i < n_rows; i++)
            col[i] = q->beyond[(size_t)i * (size_t)q->n_cutoffs + (size_t)c];
    }
    for (int mk = 0; mk < r->n_measures; mk++) {
        if (!r->measure_on[mk])
            continue; /* issue 9: not computed for this set */
        const char *mname = s->measures[mk].name;
        const char *units = r->plans[mk].info->units;
        eq_section(&L, 3, (double)mk);
        eq_block(&L, q, 1 + mk, mname, units, s->equity_pct);
        for (int32_t lv = 0; lv < q->n_levels; lv++) {
            char name[EQ_COL_MAX], v[32];
            eq_num(v, sizeof v, s->equity_below[lv]);
            snprintf(name, sizeof name, "%s_below_%s", mname, v);
            double *col = eq_dcol(&L, name, "1",
                                  "share of the population with a value "
                                  "below the level");
            const size_t b = 1 + (size_t)mk;
            for (int32_t i = 0; i < n_rows; i++)
                col[i] = q->below[(b * (size_t)n_rows + (size_t)i) *
                                      (size_t)q->n_levels +
                                  (size_t)lv];
        }
    }
    /* the tables: slices of the columns */
    for (int t = 0; t < e->n_tables; t++) {
        const int32_t r0 = t == 0 ? 0 : q->row_first[t - 1];
        const int32_t nr = t == 0 ? 1 : q->row_first[t] - r0;
        am_rf_column *tc = e->cols + (size_t)t * (size_t)e->n_cols;
        for (int32_t j = 0; j < e->n_cols; j++) {
            tc[j] = e->cols[j];
            const size_t sz = tc[j].type == AM_RF_COL_DOUBLE  ? sizeof(double)
                              : tc[j].type == AM_RF_COL_INT64 ? sizeof(int64_t)
                                                              : sizeof(char *);
            tc[j].data = (const char *)e->cols[j].data + (size_t)r0 * sz;
        }
        am_rf_table *tb = &e->tables[t];
        tb->n_rows = nr;
        tb->n_cols = e->n_cols;
        tb->cols = tc;
        if (t == 0) {
            tb->name = "overall";
            continue;
        }
        const am_zone_source *zs = &s->zone_layers[t - 1];
        const am_zone_raster *zr = m->eq_zones[t - 1];
        tb->name = zs->name;
        tb->zones = input_desc(m->eq_paths[t - 1], &m->fp_eq[t - 1]);
        tb->layer = zr->layer;
        tb->where = zs->where;
        tb->id_field = zs->id_field;
        tb->cells_outside = zr->n_outside;
        tb->population_outside = zr->pop_outside;
    }
    return AM_OK;
}

typedef struct eq_named {
    const char *name;
    eq_key key;
} eq_named;

static int eq_named_cmp(const void *x, const void *y)
{
    const eq_named *a = x, *b = y;
    if (a->key.section != b->key.section)
        return a->key.section < b->key.section ? -1 : 1;
    if (a->key.major != b->key.major)
        return a->key.major < b->key.major ? -1 : 1;
    if (a->key.minor != b->key.minor)
        return a->key.minor < b->key.minor ? -1 : 1;
    return strcmp(a->name, b->name);
}

/*
 * The equity CSV's columns for every set (docs/equity.md, "The CSV"):
 * each name once, by key (eq_key): the zone's columns, the nearest time's
 * block, beyond_<C>min for every set's cutoffs ascending, then each
 * measure in the scenario's order (its block, then its below_<L>). The
 * same for any order of the sets. *out: [*n] names borrowed from eq
 * (owned array; NULL when no set has equity tables).
 */
static am_status eq_order(const eq_set *eq, int n_sets, const char ***out,
                          int32_t *n, am_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (int k = 0; k < n_sets; k++)
        cap += eq[k].n_tables > 0 ? (size_t)eq[k].n_cols : 0;
    if (cap == 0)
        return AM_OK;
    eq_named *v = am_alloc_array(cap, sizeof *v);
    const char **names = am_alloc_array(cap, sizeof *names);
    if (v == NULL || names == NULL) {
        am_free(v);
        am_free(names);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the equity CSV");
    }
    size_t m = 0;
    for (int k = 0; k < n_sets; k++)
        for (int32_t j = 0; eq[k].n_tables > 0 && j < eq[k].n_cols; j++)
            v[m++] = (eq_named){eq[k].cols[j].name, eq[k].keys[j]};
    qsort(v, m, sizeof *v, eq_named_cmp);
    int32_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || strcmp(names[u - 1], v[i].name) != 0)
            names[u++] = v[i].name;
    am_free(v);
    *out = names;
    *n = u;
    return AM_OK;
}

/* ---- diagnostics tables (issue 9) ----------------------------------- */

#define DG_COLS 16
#define SN_COLS 10
#define DG_DOUBLES 12 /* double columns of the diagnostics table */

/* One set's diagnostics tables (engine/diagnostics.h), columns owned. */
typedef struct dg_set {
    am_rf_table table, snap;
    am_rf_column cols[DG_COLS], scols[SN_COLS];
    double *num;       /* [DG_DOUBLES][n_measures] */
    int64_t *no_dem;   /* [n_measures] */
    const char **text; /* [3][n_measures]: measure, type, identity */
    double snum[7][2];
    int64_t sint[2][2];
    const char *points[2];
} dg_set;

/* Frees g's columns and clears g: a second call does nothing (dg_build
 * frees on its error path, am_write_output again at its end). */
static void dg_free(dg_set *g)
{
    am_free(g->num);
    am_free(g->no_dem);
    am_free(g->text);
    memset(g, 0, sizeof *g);
}

/* Set k's diagnostics tables into g (docs/hdf5-layout.md,
 * "Diagnostics"); g->table.n_cols 0 when the results have none. */
static am_status dg_build(const am_write_request *w, int k, dg_set *g,
                          am_error *err)
{
    const am_results *r = w->results[k];
    const am_scenario *s = w->m->s;
    const struct am_diagnostics *dg = r->diag;
    memset(g, 0, sizeof *g);
    if (dg == NULL)
        return AM_OK;
    const int nm = r->n_measures;
    const size_t n = (size_t)(nm > 0 ? nm : 1);
    g->num = am_calloc_array(DG_DOUBLES * n, sizeof *g->num);
    g->no_dem = am_calloc_array(n, sizeof *g->no_dem);
    g->text = am_calloc_array(3 * n, sizeof *g->text);
    if (g->num == NULL || g->no_dem == NULL || g->text == NULL) {
        dg_free(g);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the diagnostics table");
    }
    double *col[DG_DOUBLES];
    for (int c = 0; c < DG_DOUBLES; c++)
        col[c] = g->num + (size_t)c * n;
    int rows = 0; /* the measures the set computes (issue 9, tiers) */
    for (int mk = 0; mk < nm; mk++) {
        if (!r->measure_on[mk])
            continue;
        const int m = rows++;
        const am_measure_diagnostics *d = &dg->m[mk];
        g->text[m] = s->measures[mk].name;
        g->text[n + (size_t)m] = r->plans[mk].info->name;
        g->text[2 * n + (size_t)m] = d->identity ? "holds" : "n/a";
        const double v[DG_DOUBLES] = {d->sum_pa,         d->sum_supply_demand,
                                      d->supply_kept,    d->relative_difference,
                                      d->tolerance,      d->sum_demand,
                                      d->pop_reached,    d->demand_inflation,
                                      d->pop_no_reach,   d->bfca_sum_access,
                                      d->bfca_sum_ratio, d->bfca_sum_supply};
        for (int c = 0; c < DG_DOUBLES; c++)
            col[c][m] = v[c];
        g->no_dem[m] = d->facilities_no_demand;
    }
    int q = 0;
    am_rf_column *cc = g->cols;
    cc[q++] = (am_rf_column){"measure", AM_RF_COL_STRING, g->text, NULL,
                             "the measure's name (its raster)"};
    cc[q++] = (am_rf_column){"type", AM_RF_COL_STRING, g->text + n, NULL,
                             "the measure's type"};
    cc[q++] =
        (am_rf_column){"identity", AM_RF_COL_STRING, g->text + 2 * n, NULL,
                       "holds: the type's identities were checked "
                       "(a run where one fails stops); n/a: none"};
    cc[q++] = (am_rf_column){"sum_pa", AM_RF_COL_DOUBLE, col[0], NULL,
                             "sum_i P_i A_i (spav: sum_i V_i)"};
    cc[q++] =
        (am_rf_column){"sum_s_with_demand", AM_RF_COL_DOUBLE, col[1], NULL,
                       "sum S_j over the facilities with demand in "
                       "reach (D_j > 0)"};
    cc[q++] = (am_rf_column){"supply_kept", AM_RF_COL_DOUBLE, col[2], "1",
                             "sum_pa / sum_s_with_demand"};
    cc[q++] = (am_rf_column){"relative_difference", AM_RF_COL_DOUBLE, col[3],
                             "1", "the largest of the identities'"};
    cc[q++] = (am_rf_column){"tolerance", AM_RF_COL_DOUBLE, col[4], "1",
                             "relative: max(1e-9, 4 eps (cells + "
                             "facilities))"};
    cc[q++] = (am_rf_column){"sum_demand", AM_RF_COL_DOUBLE, col[5], "persons",
                             "sum_j D_j"};
    cc[q++] = (am_rf_column){"pop_reached", AM_RF_COL_DOUBLE, col[6], "persons",
                             "population with something within "
                             "the measure's reach"};
    cc[q++] = (am_rf_column){"demand_inflation", AM_RF_COL_DOUBLE, col[7], "1",
                             "sum_demand / pop_reached"};
    cc[q++] = (am_rf_column){"pop_no_reach", AM_RF_COL_DOUBLE, col[8],
                             "persons", "on the network, nothing within reach"};
    cc[q++] = (am_rf_column){"facilities_no_demand", AM_RF_COL_INT64, g->no_dem,
                             NULL, "ratio undefined, excluded; -1: no ratio"};
    cc[q++] = (am_rf_column){"bfca_sum_access", AM_RF_COL_DOUBLE, col[9], NULL,
                             "balanced FCA: sum_i A_i"};
    cc[q++] = (am_rf_column){"bfca_sum_ratio", AM_RF_COL_DOUBLE, col[10], NULL,
                             "balanced FCA: sum_j R_j (D_j > 0)"};
    cc[q++] = (am_rf_column){"bfca_sum_supply", AM_RF_COL_DOUBLE, col[11], NULL,
                             "balanced FCA: sum_j R_j D_j"};
    g->table = (am_rf_table){
        .name = "diagnostics", .n_rows = rows, .n_cols = q, .cols = g->cols};

    const am_snap_diagnostics *sd[2] = {&dg->cells, &dg->facilities};
    g->points[0] = "cells";
    g->points[1] = "facilities";
    for (int i = 0; i < 2; i++) {
        g->sint[0][i] = sd[i]->n;
        g->sint[1][i] = sd[i]->beyond_n;
        g->snum[0][i] = sd[i]->weight;
        g->snum[1][i] = sd[i]->median_m;
        g->snum[2][i] = sd[i]->p90_m;
        g->snum[3][i] = sd[i]->p99_m;
        g->snum[4][i] = sd[i]->max_m;
        g->snum[5][i] = sd[i]->beyond_weight;
    }
    q = 0;
    cc = g->scols;
    cc[q++] = (am_rf_column){"points", AM_RF_COL_STRING, g->points, NULL,
                             "cells (populated, weighted by population) "
                             "or facilities (1 each)"};
    cc[q++] = (am_rf_column){"n", AM_RF_COL_INT64, g->sint[0], NULL,
                             "points on the network"};
    cc[q++] = (am_rf_column){"weight", AM_RF_COL_DOUBLE, g->snum[0], NULL,
                             "their population, or count"};
    cc[q++] = (am_rf_column){"median_m", AM_RF_COL_DOUBLE, g->snum[1], "m",
                             "lower weighted median snap distance"};
    cc[q++] = (am_rf_column){"p90_m", AM_RF_COL_DOUBLE, g->snum[2], "m",
                             "lower weighted 90th percentile"};
    cc[q++] = (am_rf_column){"p99_m", AM_RF_COL_DOUBLE, g->snum[3], "m",
                             "lower weighted 99th percentile"};
    cc[q++] = (am_rf_column){"max_m", AM_RF_COL_DOUBLE, g->snum[4], "m",
                             "the largest"};
    cc[q++] = (am_rf_column){"beyond_1km_n", AM_RF_COL_INT64, g->sint[1], NULL,
                             "points farther than 1 km from a road"};
    cc[q++] = (am_rf_column){"beyond_1km_weight", AM_RF_COL_DOUBLE, g->snum[5],
                             NULL, "their population, or count"};
    g->snap = (am_rf_table){
        .name = "snap_distances", .n_rows = 2, .n_cols = q, .cols = g->scols};
    return AM_OK;
}

/* ---- the travel-time surface (issue 9) ------------------------------ */

/* Each set's surface (engine/surface.c) hooked into its group: sf
 * caller-allocated [n_sets], zeroed; nothing when the scenario asks for
 * none. */
static am_status surfaces_begin(const am_write_request *w, int n_run,
                                am_surface **sf, am_rf_set *sets, am_error *err)
{
    const am_scenario *s = w->m->s;
    if (!s->surface)
        return AM_OK;
    for (int k = 0; k < n_run; k++) {
        am_status rc = am_surface_create(w->m, w->sites[k], err, &sf[k]);
        if (rc != AM_OK)
            return rc;
        sets[k].surface_rows = am_surface_rows;
        sets[k].surface_user = sf[k];
        sets[k].surface_max_min = s->surface_max_min;
        sets[k].surface_snap_max_m = s->snap_max_m;
        sets[k].surface_counts = am_surface_counts(sf[k]);
    }
    return AM_OK;
}

/* The surfaces' counts into the results (for the summary); returns the
 * seconds they took, all sets together. */
static double surfaces_end(const am_write_request *w, am_surface **sf)
{
    double total = 0.0;
    for (int k = 0; k < w->n_sets; k++) {
        if (sf[k] == NULL)
            continue;
        am_results *r = w->results[k];
        am_surface_stats(sf[k], &r->surface_within, &r->surface_reached,
                         &r->surface_s);
        total += r->surface_s;
    }
    return total;
}

/* ---- issue 9, facility tiers: referral tables, combined indicators ---- */

#define REF_COLS 8
#define CMB_COLS (AM_MAX_COMBINED_CONDITIONS + 3)

/* What the tiers' tables hold while they are written (owned, freed by
 * tiers_free): per referral pair its columns, per combined indicator its
 * cross-tabulation's columns. */
typedef struct tiers_desc {
    am_rf_referral *ref; /* [n_pairs] */
    am_rf_column *rcols; /* [n_pairs][REF_COLS] */
    void **rdata;        /* [n_pairs][6] owned arrays */
    char (*rnames)[2 * AM_NAME_MAX + 3];
    am_rf_combined *cmb; /* [n_combined] */
    am_rf_column *ccols; /* [n_combined][CMB_COLS] */
    void **cdata;        /* [n_combined][CMB_COLS] owned arrays */
    char (*ccolnames)[AM_NAME_MAX + 16]; /* [n_combined][CMB_COLS] */
    char (*cwords)[AM_MAX_COMBINED_CONDITIONS * (AM_NAME_MAX + 40)];
    int n_pairs, n_combined;
} tiers_desc;

static void tiers_free(tiers_desc *t)
{
    for (int i = 0; t->rdata != NULL && i < 6 * t->n_pairs; i++)
        am_free(t->rdata[i]);
    for (int i = 0; t->cdata != NULL && i < CMB_COLS * t->n_combined; i++)
        am_free(t->cdata[i]);
    am_free(t->ref);
    am_free(t->rcols);
    am_free(t->rdata);
    am_free(t->rnames);
    am_free(t->cmb);
    am_free(t->ccols);
    am_free(t->cdata);
    am_free(t->ccolnames);
    am_free(t->cwords);
    memset(t, 0, sizeof *t);
}

/* Minutes of a time, -1 for unreachable (docs/hdf5-layout.md). */
static double ref_minutes(uint32_t t)
{
    return t == AM_TIME_INF ? (double)AM_UNREACHED_MIN : am_ds_to_minutes(t);
}

static am_status tiers_referrals(const am_write_request *w, tiers_desc *t,
                                 am_error *err)
{
    const am_tiers_out *o = w->tiers;
    const am_scenario *s = w->m->s;
    const int np = o->n_pairs;
    t->n_pairs = np;
    t->ref = am_calloc_array((size_t)np, sizeof *t->ref);
    t->rcols = am_calloc_array((size_t)np * REF_COLS, sizeof *t->rcols);
    t->rdata = am_calloc_array((size_t)np * 6, sizeof *t->rdata);
    t->rnames = am_calloc_array((size_t)np, sizeof *t->rnames);
    if (!t->ref || !t->rcols || !t->rdata || !t->rnames)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int p = 0; p < np; p++) {
        const am_referral_pair *q = &o->pairs[p];
        const am_facility_set *lo = w->sites[q->lower]->fac;
        const am_facility_set *hi = w->sites[q->higher]->fac;
        const size_t n = (size_t)(q->n > 0 ? q->n : 1);
        void **d = t->rdata + 6 * (size_t)p;
        int64_t *fac = d[0] = am_alloc_array(n, sizeof(int64_t));
        int64_t *to = d[1] = am_alloc_array(n, sizeof(int64_t));
        char **hid = d[2] = am_alloc_array(n, sizeof(char *));
        char **hname = d[3] = am_alloc_array(n, sizeof(char *));
        double *up = d[4] = am_alloc_array(n, sizeof(double));
        double *back = d[5] = am_alloc_array(n, sizeof(double));
        if (!fac || !to || !hid || !hname || !up || !back)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        for (int32_t i = 0; i < q->n; i++) {
            const int32_t j = q->to[i];
            fac[i] = i;
            to[i] = j;
            hid[i] = j >= 0 ? hi->id[j] : (char *)"";
            hname[i] = j >= 0 ? hi->name[j] : (char *)"";
            up[i] = ref_minutes(q->up_ds[i]);
            back[i] = ref_minutes(q->back_ds[i]);
        }
        am_rf_column *c = t->rcols + (size_t)p * REF_COLS;
        c[0] = (am_rf_column){"facility", AM_RF_COL_INT64, fac, NULL,
                              "row of the lower facility in its set's "
                              "facilities table"};
        c[1] = (am_rf_column){"id", AM_RF_COL_STRING, lo->id, NULL,
                              "the lower facility's id"};
        c[2] = (am_rf_column){"name", AM_RF_COL_STRING, lo->name, NULL,
                              "the lower facility's name"};
        c[3] = (am_rf_column){"higher_facility", AM_RF_COL_INT64, to, NULL,
                              "row of the nearest higher facility (ties: "
                              "the lowest row); -1: none within the depth"};
        c[4] = (am_rf_column){"higher_id", AM_RF_COL_STRING, hid, NULL,
                              "its id; empty: none"};
        c[5] = (am_rf_column){"higher_name", AM_RF_COL_STRING, hname, NULL,
                              "its name"};
        c[6] = (am_rf_column){"time_up_min", AM_RF_COL_DOUBLE, up, "minutes",
                              "lower -> nearest higher facility; -1: "
                              "unreachable within max_search_min"};
        c[7] =
            (am_rf_column){"time_back_min", AM_RF_COL_DOUBLE, back, "minutes",
                           "that higher facility -> lower; -1: "
                           "unreachable within max_search_min"};
        const char *ln = s->facility_sets[q->lower].name;
        const char *hn = s->facility_sets[q->higher].name;
        snprintf(t->rnames[p], sizeof t->rnames[p], "%s__%s", ln, hn);
        am_rf_referral *r = &t->ref[p];
        r->table.name = t->rnames[p];
        r->table.n_rows = q->n;
        r->table.n_cols = REF_COLS;
        r->table.cols = c;
        r->lower = ln;
        r->higher = hn;
        r->lower_tier = s->facility_sets[q->lower].tier;
        r->higher_tier = s->facility_sets[q->higher].tier;
        r->max_min = AM_REFERRAL_MAX_MIN;
    }
    return AM_OK;
}

static am_status tiers_combined(const am_write_request *w, tiers_desc *t,
                                am_error *err)
{
    const am_tiers_out *o = w->tiers;
    const am_scenario *s = w->m->s;
    const int nc = o->n_combined;
    const int32_t n_cells = w->m->demand->n_cells;
    const double total = w->m->pop->total;
    t->n_combined = nc;
    t->cmb = am_calloc_array((size_t)nc, sizeof *t->cmb);
    t->ccols = am_calloc_array((size_t)nc * CMB_COLS, sizeof *t->ccols);
    t->cdata = am_calloc_array((size_t)nc * CMB_COLS, sizeof *t->cdata);
    t->ccolnames = am_calloc_array((size_t)nc * CMB_COLS, sizeof *t->ccolnames);
    t->cwords = am_calloc_array((size_t)nc, sizeof *t->cwords);
    if (!t->cmb || !t->ccols || !t->cdata || !t->ccolnames || !t->cwords)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int k = 0; k < nc; k++) {
        const am_combined_spec *cb = &s->combined[k];
        const int nk = cb->n_conditions;
        const int32_t rows = (int32_t)(1u << nk);
        const double *pop = o->combined_pop + (size_t)k * AM_COMBINED_ROWS;
        const int64_t *cells = o->combined_cells + (size_t)k * AM_COMBINED_ROWS;
        am_rf_column *c = t->ccols + (size_t)k * CMB_COLS;
        void **d = t->cdata + (size_t)k * CMB_COLS;
        char(*names)[AM_NAME_MAX + 16] = t->ccolnames + (size_t)k * CMB_COLS;
        char *words = t->cwords[k];
        size_t used = 0;
        words[0] = '\0';
        /* rows: every combination, bit c of the row number set when
           condition c holds (row 2^k - 1: all hold) */
        for (int q = 0; q < nk; q++) {
            int64_t *col = d[q] = am_alloc_array((size_t)rows, sizeof *col);
            if (col == NULL)
                return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
            for (int32_t r = 0; r < rows; r++)
                col[r] = (r >> q) & 1;
            snprintf(names[q], sizeof names[q], "%s", cb->set[q]);
            c[q] = (am_rf_column){names[q], AM_RF_COL_INT64, col, NULL,
                                  "1: the set's nearest facility is within "
                                  "the condition's minutes"};
            int n = snprintf(words + used, sizeof t->cwords[k] - used,
                             "%snearest %s within %g min", q > 0 ? " AND " : "",
                             cb->set[q], cb->minutes[q]);
            if (n > 0 && (size_t)n < sizeof t->cwords[k] - used)
                used += (size_t)n;
        }
        double *p = d[nk] = am_alloc_array((size_t)rows, sizeof *p);
        double *pc = d[nk + 1] = am_alloc_array((size_t)rows, sizeof *pc);
        int64_t *ce = d[nk + 2] = am_alloc_array((size_t)rows, sizeof *ce);
        if (p == NULL || pc == NULL || ce == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        for (int32_t r = 0; r < rows; r++) {
            p[r] = pop[r];
            pc[r] = total > 0 ? 100.0 * pop[r] / total : 0.0;
            ce[r] = cells[r];
        }
        c[nk] = (am_rf_column){"population", AM_RF_COL_DOUBLE, p, "persons",
                               "people of the populated cells with exactly "
                               "this combination"};
        c[nk + 1] = (am_rf_column){"percent", AM_RF_COL_DOUBLE, pc, "percent",
                                   "of the raster's total population"};
        c[nk + 2] = (am_rf_column){"cells", AM_RF_COL_INT64, ce, NULL,
                                   "populated cells"};
        am_rf_combined *m = &t->cmb[k];
        m->name = cb->name;
        m->conditions = words;
        m->value = o->combined_value + (size_t)k * (size_t)n_cells;
        m->population_all = pop[rows - 1];
        m->crosstab.name = cb->name;
        m->crosstab.n_rows = rows;
        m->crosstab.n_cols = nk + 3;
        m->crosstab.cols = c;
    }
    return AM_OK;
}

am_status am_write_output(const am_write_request *w_in, am_phases *log,
                          am_error *err)
{
    /* issue 10: a selection's scenario is one more set, written under
       /scenarios/<name>/results/<set> with the same layout; not in the
       CSVs (their rows name sets by name only) */
    am_write_request wx = *w_in;
    const am_selection *xsel = w_in->selection;
    const int scen = xsel != NULL && xsel->scen_res != NULL;
    /* issue 12: each variant's sets, under /variants/<name>/results/<set>,
       after the selection's scenario */
    const am_ensemble *ens = w_in->ensemble;
    const int n_var = ens != NULL ? ens->n * ens->n_sets : 0;
    const int n_x = w_in->n_sets + scen + n_var;
    am_sites **xs = am_calloc_array((size_t)n_x, sizeof *xs);
    am_results **xr = am_calloc_array((size_t)n_x, sizeof *xr);
    if (xs == NULL || xr == NULL) {
        am_free(xs);
        am_free(xr);
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    for (int k = 0; k < w_in->n_sets; k++) {
        xs[k] = w_in->sites[k];
        xr[k] = w_in->results[k];
    }
    if (scen) {
        xs[w_in->n_sets] = xsel->scen_sites;
        xr[w_in->n_sets] = xsel->scen_res;
    }
    for (int i = 0; i < (ens != NULL ? ens->n : 0); i++)
        for (int j = 0; j < ens->n_sets; j++) {
            const int x = w_in->n_sets + scen + i * ens->n_sets + j;
            xs[x] = ens->u[i].sites[j];
            xr[x] = ens->u[i].results[j];
        }
    wx.sites = xs;
    wx.results = xr;
    wx.n_sets = n_x;
    am_ensemble_desc ed; /* issue 12 */
    memset(&ed, 0, sizeof ed);
    const am_write_request *w = &wx;
    const int n_sets = w->n_sets, n_measures = w->m->s->n_measures;
    char now[32];
    am_rf_file d;
    memset(&d, 0, sizeof d);
    am_rf_set *sets = am_calloc_array((size_t)n_sets, sizeof *sets);
    am_rf_measure *ms =
        am_calloc_array((size_t)n_sets * (size_t)n_measures, sizeof *ms);
    measure_text *text =
        am_calloc_array((size_t)n_sets * (size_t)n_measures, sizeof *text);
    const int nz = w->m->s->n_speed_zones;
    am_rf_zone *zones =
        am_calloc_array((size_t)(nz > 0 ? nz : 1), sizeof *zones);
    eq_set *eq = am_calloc_array((size_t)n_sets, sizeof *eq);
    dg_set *dg = am_calloc_array((size_t)n_sets, sizeof *dg); /* issue 9 */
    am_surface **sf = am_calloc_array((size_t)n_sets, sizeof *sf);
    am_rf_coverage *cov = /* issue 9, capacity_coverage */
        am_calloc_array((size_t)n_sets * (size_t)n_measures, sizeof *cov);
    am_status rc = AM_OK;
    if (sets == NULL || ms == NULL || text == NULL || zones == NULL ||
        eq == NULL || dg == NULL || sf == NULL || cov == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    /* issue 9: the surfaces are computed strip by strip as they are
       written, so their progress is the writer's */
    rc = am_phase_begin(
        log, w->m->s->surface ? "writing output, surface" : "writing output",
        err);
    if (rc != AM_OK)
        goto done;
    am_utc_now(now);
    char speeds[AM_ERROR_MSG_MAX];
    describe_model(w, now, zones, speeds, &d);
    char rule[96];
    am_snap_rule_describe(w->m->s, rule, sizeof rule);
    d.network.components_rule = rule;
    for (int k = 0; k < n_sets; k++) {
        describe_set(w, k, ms + (size_t)k * (size_t)n_measures,
                     text + (size_t)k * (size_t)n_measures, &sets[k]);
        describe_cover(w, k, ms + (size_t)k * (size_t)n_measures,
                       cov + (size_t)k * (size_t)n_measures);
        if (rc == AM_OK)
            rc = eq_build(w, k, &eq[k], err);
        sets[k].n_equity = eq[k].n_tables;
        sets[k].equity = eq[k].tables;
        if (rc == AM_OK)
            rc = dg_build(w, k, &dg[k], err);
        if (dg[k].table.n_cols > 0) {
            sets[k].diagnostics = &dg[k].table;
            sets[k].snap_distances = &dg[k].snap;
        }
    }
    if (rc == AM_OK) /* issue 9, each set's search, before the write */
        rc = surfaces_begin(w, w_in->n_sets + scen, sf, sets, err);
    if (rc != AM_OK)
        goto done;
    if (scen) /* issue 10 */
        sets[w_in->n_sets].group = xsel->scen_group;
    for (int i = 0; ens != NULL && i < ens->n; i++) /* issue 12 */
        for (int j = 0; j < ens->n_sets; j++)
            sets[w_in->n_sets + scen + i * ens->n_sets + j].group =
                ens->u[i].group[j];
    if (ens != NULL &&
        (rc = am_ensemble_describe(ens, w->m, &ed, err)) != AM_OK)
        goto done;
    d.n_groups = ed.n_groups;
    d.groups = ed.groups;
    d.n_rasters = ed.n_rasters;
    d.rasters = ed.rasters;
    d.n_sets = w_in->n_sets; /* the CSVs: the run's sets */
    d.sets = sets;
    d.protect = w->protect;
    d.threads = w->m->threads;
    tiers_desc td; /* issue 9, facility tiers */
    memset(&td, 0, sizeof td);
    if (w->tiers != NULL && w->tiers->n_pairs > 0)
        rc = tiers_referrals(w, &td, err);
    if (rc == AM_OK && w->tiers != NULL && w->tiers->n_combined > 0)
        rc = tiers_combined(w, &td, err);
    d.n_referrals = td.n_pairs;
    d.referrals = td.ref;
    d.n_combined = td.n_combined;
    d.combined = td.cmb;
    am_selection_desc sd; /* issue 10, site selection */
    memset(&sd, 0, sizeof sd);
    if (rc == AM_OK && w->selection != NULL) {
        const am_selection *x = w->selection;
        rc = am_selection_describe(x, w->m, w->results[x->base_set], &sd, err);
        d.n_selections = rc == AM_OK;
        d.selections = &sd.sel;
    }
    am_atomic_file ref_csv;
    int ref_staged = 0;
    if (rc == AM_OK && w->referrals_csv_path != NULL) {
        rc = am_rf_referrals_csv_stage(w->referrals_csv_path, &d, w->protect,
                                       &ref_csv, err);
        ref_staged = rc == AM_OK;
    }
    /* issue 9, equity.csv: written first and renamed together with the
       HDF5 output, so that a failure of either leaves neither */
    am_atomic_file csv;
    int csv_staged = 0;
    const char **eq_cols = NULL; /* the CSV's column order */
    if (rc == AM_OK && w->csv_path != NULL) {
        rc = eq_order(eq, d.n_sets, &eq_cols, &d.n_equity_order, err);
        d.equity_order = eq_cols;
    }
    if (rc == AM_OK && w->csv_path != NULL) {
        rc = am_rf_equity_csv_stage(w->csv_path, &d, w->protect, &csv, err);
        csv_staged = rc == AM_OK;
    }
    am_free(eq_cols);
    d.equity_order = NULL;
    d.n_equity_order = 0;
    d.n_sets = n_sets; /* issue 10: the scenario's set too; issue 12: the
                          variants' */
    /* the CSVs renamed with the HDF5 output, all or none
       (am_atomic_commit_all); closed by am_rf_write when it commits */
    am_atomic_file *side[2] = {csv_staged ? &csv : NULL,
                               ref_staged ? &ref_csv : NULL};
    d.with = side;
    d.n_with = 2;
    if (rc == AM_OK)
        rc = am_rf_write(w->out_path, &d, am_phase_progress, log, err);
    for (int k = 0; k < 2; k++)
        if (side[k] != NULL && rc != AM_OK) {
            am_atomic_discard(side[k]);
            am_atomic_close(side[k]);
        }
    tiers_free(&td);
    am_selection_desc_free(&sd);
    if (rc == AM_OK && w->m->s->surface) {
        /* issue 9: the surfaces are computed while they are written; their
           time is its own phase, "surface", after "write" */
        const double surf_s = surfaces_end(w, sf);
        log->t0 += surf_s;
        rc = am_phase_end(log, "write", err);
        log->t0 = am_now_s() - surf_s;
        if (rc == AM_OK)
            rc = am_phase_end(log, "surface", err);
    } else if (rc == AM_OK) {
        rc = am_phase_end(log, "write", err);
    }
done:
    am_ensemble_desc_free(&ed);
    am_free(xs);
    am_free(xr);
    for (int k = 0; sf != NULL && k < n_sets; k++)
        am_surface_destroy(sf[k]);
    am_free(sf);
    for (int k = 0; eq != NULL && k < n_sets; k++)
        eq_free(&eq[k]);
    am_free(eq);
    for (int k = 0; dg != NULL && k < n_sets; k++)
        dg_free(&dg[k]);
    am_free(dg);
    am_free(cov);
    am_free(sets);
    am_free(ms);
    am_free(text);
    am_free(zones);
    return rc;
}
