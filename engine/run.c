/*
 * run.c: am_run, a short composition of the library API (model -> sites
 * -> results -> file), and the run's summary.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/file_check.h"
#include "common/strutil.h"
#include "engine/diagnostics.h"
#include "engine/dist.h"
#include "engine/internal.h"
#include "engine/selection.h"
#include "engine/referral.h"
#include "engine/sysinfo.h"
#include "engine/variants.h"
#include "inputs/fingerprint.h"
#include "inputs/input_files.h"

am_run_options am_run_options_default(void)
{
    am_run_options o;
    memset(&o, 0, sizeof o);
    return o;
}

typedef struct am_run_ctx {
    const am_scenario *s;
    const am_run_options *opt;
    am_error *err;
    am_run_summary *sum;
    am_warnings warn; /* the model's and the run's; moved into the summary */
    am_phases log;    /* the run's own steps, after the model's stages */
    char out_path[AM_PATH_MAX];
    char csv_path[AM_PATH_MAX]; /* equity.csv resolved; "": none */
    am_fp fp_scenario;
    am_model *m;
    am_sites **sites;     /* [n_facility_sets] */
    am_results **results; /* [n_facility_sets] */
    am_file_guard guard;  /* what the output must not replace */
    /* issue 9, facility tiers: referrals and combined indicators, and
       referrals.csv resolved ("": none) */
    am_tiers_out tiers;
    char ref_csv_path[AM_PATH_MAX];
    am_selection *sel; /* issue 10, site selection; NULL: none */
    am_ensemble *ens;  /* issue 12, scenario ensembles; NULL: none */
} am_run_ctx;

/*
 * Adds what GDAL reads for the input at path (resolved) to the run's
 * guard: every file of the dataset (a shapefile's parts, a VRT's sources,
 * a world file, a folder's files; inputs/input_files.h), and the side-cars
 * GDAL would read next to each of them, existing or not.
 */
static am_status guard_input(am_file_guard *g, const char *path,
                             const char *label, am_error *err)
{
    char **files = NULL;
    int n = 0;
    am_status rc = am_input_files(path, &files, &n, err);
    for (int i = 0; rc == AM_OK && i < n; i++)
        rc = am_file_guard_add(
            g, files[i], label,
            (i > 0 ? AM_GUARD_COMPANION : 0) | AM_GUARD_SIDECARS, err);
    am_input_files_free(files, n);
    return rc;
}

am_status am_engine_inputs_guard(const am_scenario *s, am_file_guard *g,
                                 am_error *err)
{
    am_engine_input_policy(s); /* issue 13: before GDAL sees a path */
    const int n_in = 3 + s->n_facility_sets;
    char path[AM_PATH_MAX], label[96];
    am_status rc = AM_OK;
    for (int i = 0; rc == AM_OK && i < n_in; i++) {
        const char *given = i == 0   ? s->source_path
                            : i == 1 ? s->roads_path
                            : i == 2 ? s->population_path
                                     : s->facility_sets[i - 3].path;
        if (given == NULL)
            continue;
        if (i == 0) { /* read as given, not resolved */
            if (snprintf(path, sizeof path, "%s", given) >= (int)sizeof path)
                continue; /* the parser read it: it fits */
        } else if ((rc = am_engine_resolve(s, given, path, err)) != AM_OK) {
            break;
        }
        if (i == 0)
            snprintf(label, sizeof label, "the scenario file");
        else if (i == 1)
            snprintf(label, sizeof label, "the roads input");
        else if (i == 2)
            snprintf(label, sizeof label, "the population input");
        else
            snprintf(label, sizeof label, "the input of facility set '%s'",
                     s->facility_sets[i - 3].name);
        if (i == 0)
            rc = am_file_guard_add(g, path, label, 0, err);
        else
            rc = guard_input(g, path, label, err);
    }
    /* a custom travel profile (issue 7, roads.profile_file) */
    if (rc == AM_OK && s->roads_profile_file != NULL &&
        (rc = am_engine_resolve(s, s->roads_profile_file, path, err)) == AM_OK)
        rc = am_file_guard_add(
            g, path, "the travel profile file roads.profile_file", 0, err);
    /* speed zone layers (issue 7) */
    for (int k = 0; rc == AM_OK && k < s->n_speed_zones; k++) {
        snprintf(label, sizeof label,
                 "the speed zone layer roads.speed_zones[%d]", k);
        if ((rc = am_engine_resolve(s, s->speed_zones[k].path, path, err)) ==
            AM_OK)
            rc = guard_input(g, path, label, err);
    }
    /* zone layers for equity (issue 9) */
    for (int k = 0; rc == AM_OK && k < s->n_zone_layers; k++) {
        snprintf(label, sizeof label, "the zone layer zones[%d]", k);
        if ((rc = am_engine_resolve(s, am_zone_source_file(&s->zone_layers[k]),
                                    path, err)) == AM_OK)
            rc = guard_input(g, path, label, err);
    }
    return rc;
}

/*
 * The output, checked before any work so that a run never computes for
 * minutes and then fails to write, and never destroys what it reads:
 *  - it can be written: its folder exists and is writable, its name fits,
 *    and what is there now is a regular file that can be replaced
 *    (am_file_check_output);
 *  - it replaces nothing the run reads: c->guard lists the scenario file
 *    and every file GDAL reads for each input (by device and inode,
 *    symlinks and hard links followed, and by folder and name for
 *    side-cars that do not exist yet). The writer checks the same list
 *    again right before its rename (am_h5_set_protected), so a folder
 *    swapped during the run cannot redirect the output onto an input.
 * The inputs themselves are checked by am_model_create.
 */
static am_status check_output(am_run_ctx *c)
{
    am_status rc = am_engine_check_output_format(
        c->out_path, 0, "the output of a grid run", c->err);
    if (rc == AM_OK)
        rc = am_file_check_output(c->out_path, c->err);
    if (rc == AM_OK)
        rc = am_engine_inputs_guard(c->s, &c->guard, c->err);
    /* the prepared-graph cache (read, and refreshed when stale) */
    char cache[AM_PATH_MAX];
    if (rc == AM_OK && !c->opt->no_cache &&
        (rc = am_model_cache_path(c->s, cache, c->err)) == AM_OK &&
        cache[0] != '\0')
        rc = am_file_guard_add(&c->guard, cache,
                               "the prepared-graph cache (roads.cache)", 0,
                               c->err);
    if (rc == AM_OK)
        rc = am_file_guard_check(&c->guard, c->out_path, c->err);
    /* issue 9, equity.csv: the same checks, and not the HDF5 output */
    if (rc == AM_OK && c->s->equity_csv != NULL &&
        (rc = am_engine_resolve(c->s, c->s->equity_csv, c->csv_path, c->err)) ==
            AM_OK) {
        rc = am_file_check_output(c->csv_path, c->err);
        if (rc == AM_OK)
            rc = am_file_guard_check(&c->guard, c->csv_path, c->err);
        if (rc == AM_OK && (strcmp(c->csv_path, c->out_path) == 0 ||
                            am_file_same(c->csv_path, c->out_path)))
            rc = am_error_set(c->err, AM_ERR_IO, c->csv_path,
                              "'equity.csv' names the HDF5 output");
        if (rc == AM_OK)
            rc = am_engine_check_output_format(c->csv_path, 1, "'equity.csv'",
                                               c->err);
    }
    /* issue 9, referrals.csv: the same, and neither output above */
    if (rc == AM_OK && c->s->referrals_csv != NULL &&
        (rc = am_engine_resolve(c->s, c->s->referrals_csv, c->ref_csv_path,
                                c->err)) == AM_OK) {
        const char *p = c->ref_csv_path;
        rc = am_file_check_output(p, c->err);
        if (rc == AM_OK)
            rc = am_file_guard_check(&c->guard, p, c->err);
        if (rc == AM_OK &&
            (strcmp(p, c->out_path) == 0 || am_file_same(p, c->out_path)))
            rc = am_error_set(c->err, AM_ERR_IO, p,
                              "'referrals.csv' names the HDF5 output");
        if (rc == AM_OK && c->csv_path[0] != '\0' &&
            (strcmp(p, c->csv_path) == 0 || am_file_same(p, c->csv_path)))
            rc = am_error_set(c->err, AM_ERR_IO, p,
                              "'referrals.csv' names the equity CSV");
        if (rc == AM_OK)
            rc = am_engine_check_output_format(p, 1, "'referrals.csv'", c->err);
    }
    return rc;
}

/* issue 9, facility tiers: the summary's referral and combined lines. */
static am_status summary_tiers(am_run_ctx *c)
{
    am_run_summary *r = c->sum;
    const am_tiers_out *o = &c->tiers;
    const am_scenario *s = c->s;
    if (o->n_pairs > 0) {
        r->referrals =
            am_calloc_array((size_t)o->n_pairs, sizeof *r->referrals);
        if (r->referrals == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        r->n_referrals = o->n_pairs;
    }
    for (int p = 0; p < o->n_pairs; p++) {
        const am_referral_pair *q = &o->pairs[p];
        am_referral_summary *rs = &r->referrals[p];
        rs->lower = am_strdup(s->facility_sets[q->lower].name);
        rs->higher = am_strdup(s->facility_sets[q->higher].name);
        uint32_t *t = am_alloc_array((size_t)(q->n > 0 ? q->n : 1), sizeof *t);
        if (rs->lower == NULL || rs->higher == NULL || t == NULL) {
            am_free(t);
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        }
        rs->lower_tier = s->facility_sets[q->lower].tier;
        rs->higher_tier = s->facility_sets[q->higher].tier;
        rs->n_facilities = q->n;
        int32_t k = 0;
        for (int32_t i = 0; i < q->n; i++)
            if (q->up_ds[i] != AM_TIME_INF)
                t[k++] = q->up_ds[i];
        rs->n_unreachable = q->n - k;
        rs->up_median_min = rs->up_max_min = NAN;
        if (k > 0) { /* the lower median, as the other summaries' */
            for (int32_t i = 1; i < k; i++) /* insertion sort: few rows */
                for (int32_t j = i; j > 0 && t[j - 1] > t[j]; j--) {
                    uint32_t x = t[j];
                    t[j] = t[j - 1];
                    t[j - 1] = x;
                }
            rs->up_median_min = am_ds_to_minutes(t[(k - 1) / 2]);
            rs->up_max_min = am_ds_to_minutes(t[k - 1]);
        }
        am_free(t);
    }
    if (o->n_combined > 0) {
        r->combined =
            am_calloc_array((size_t)o->n_combined, sizeof *r->combined);
        if (r->combined == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        r->n_combined = o->n_combined;
    }
    for (int k = 0; k < o->n_combined; k++) {
        const am_combined_spec *cb = &s->combined[k];
        am_combined_summary *cs = &r->combined[k];
        if ((cs->name = am_strdup(cb->name)) == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        const double *pop = o->combined_pop + (size_t)k * AM_COMBINED_ROWS;
        cs->pop_all = pop[(1u << cb->n_conditions) - 1u];
        cs->pop_total = 0.0;
        for (unsigned b = 0; b < (1u << cb->n_conditions); b++)
            cs->pop_total += pop[b];
    }
    return AM_OK;
}

/* issue 12, scenario ensembles: a line per unit and the distribution. */
static am_status summary_variants(am_run_ctx *c)
{
    const am_ensemble *e = c->ens;
    am_run_summary *r = c->sum;
    const int nc = e->n_cutoffs, ns = e->n_sets;
    r->variants = am_calloc_array((size_t)e->n, sizeof *r->variants);
    r->variant_within = am_alloc_array(
        (size_t)ns * (size_t)nc * AM_VARIANT_STATS, sizeof(double));
    if (r->variants == NULL || r->variant_within == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    r->n_variants = e->n;
    for (int i = 0; i < e->n; i++) {
        const am_variant_unit *u = &e->u[i];
        am_variant_summary *v = &r->variants[i];
        v->pop_within = am_alloc_array((size_t)ns * (size_t)nc, sizeof(double));
        if ((v->name = am_strdup(u->v->name)) == NULL || v->pop_within == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        v->id = u->id;
        memcpy(v->fingerprint, u->fingerprint, sizeof v->fingerprint);
        v->wall_s = u->wall_s;
        v->reused_model = u->reused_model;
        v->pop_total = u->pop_scaled != NULL ? u->vpop.total : c->m->pop->total;
        /* persons within the baseline's cutoffs, as the distribution */
        for (int j = 0; j < ns; j++) {
            const am_results *res = u->results[j];
            const double *pop =
                u->pop_scaled != NULL ? u->pop_scaled : c->m->pop->pop;
            for (int k = 0; k < nc; k++) {
                const uint32_t cut = am_minutes_to_ds(e->cutoffs_min[k]);
                double sum = 0.0;
                for (int32_t x = 0; x < res->n_cells; x++)
                    if (res->nearest_ds[x] <= cut)
                        sum += pop[x];
                v->pop_within[(size_t)j * (size_t)nc + (size_t)k] = sum;
            }
        }
    }
    if (e->n_robust > 0) {
        r->robust_id = am_calloc_array((size_t)e->n_robust, sizeof(char *));
        r->robust_count = am_alloc_array((size_t)e->n_robust, sizeof(int64_t));
        if (r->robust_id == NULL || r->robust_count == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        r->n_robust = e->n_robust;
        for (int32_t k = 0; k < e->n_robust; k++) {
            r->robust_count[k] = e->robust_count[k];
            if ((r->robust_id[k] = am_strdup(e->robust_id[k])) == NULL)
                return am_error_set(c->err, AM_ERR_NOMEM, NULL,
                                    "out of memory");
        }
    }
    for (int j = 0; j < ns; j++)
        memcpy(r->variant_within + (size_t)j * (size_t)nc * AM_VARIANT_STATS,
               e->dist[j].cov, (size_t)nc * AM_VARIANT_STATS * sizeof(double));
    return AM_OK;
}

/* ---- summary ----------------------------------------------------------- */

void am_run_summary_destroy(am_run_summary *r)
{
    if (r == NULL)
        return;
    if (r->sets != NULL) {
        for (int k = 0; k < r->n_sets; k++) {
            am_free(r->sets[k].name);
            am_free(r->sets[k].pop_within);
            am_free(r->sets[k].access_mean);
            am_free(r->sets[k].access_median);
            am_free(r->sets[k].fac_no_demand);
            am_free(r->sets[k].pop_none);
            am_free(r->sets[k].equity_gini);
            am_free(r->sets[k].equity_palma);
            am_free(r->sets[k].diagnostics);
            am_free(r->sets[k].cutoffs_min); /* issue 9, tiers */
            am_free(r->sets[k].measure_on);
            for (int m = 0;
                 r->sets[k].measure_decays != NULL && m < r->n_measures; m++)
                am_free(r->sets[k].measure_decays[m]);
            am_free(r->sets[k].measure_decays);
            am_cover_summary_free(&r->sets[k]); /* issue 9 */
            am_free(r->sets[k].mean_left_out);
        }
        am_free(r->sets);
    }
    if (r->measure_names != NULL) {
        for (int m = 0; m < r->n_measures; m++)
            am_free(r->measure_names[m]);
        am_free(r->measure_names);
    }
    if (r->measure_decays != NULL) {
        for (int m = 0; m < r->n_measures; m++)
            am_free(r->measure_decays[m]);
        am_free(r->measure_decays);
    }
    am_free(r->measure_types);
    if (r->speed_zones != NULL) {
        for (int k = 0; k < r->n_speed_zones; k++) {
            am_free(r->speed_zones[k].path);
            am_free(r->speed_zones[k].layer);
        }
        am_free(r->speed_zones);
    }
    for (int k = 0; r->zone_layers != NULL && k < r->n_zone_layers; k++) {
        am_free(r->zone_layers[k].name);
        am_free(r->zone_layers[k].layer);
    }
    am_free(r->zone_layers);
    for (int k = 0; r->referrals != NULL && k < r->n_referrals; k++) {
        am_free(r->referrals[k].lower); /* issue 9, facility tiers */
        am_free(r->referrals[k].higher);
    }
    am_free(r->referrals);
    for (int k = 0; r->combined != NULL && k < r->n_combined; k++)
        am_free(r->combined[k].name);
    am_free(r->combined);
    if (r->selection != NULL) { /* issue 10 */
        am_selection_summary *q = r->selection;
        for (int32_t k = 0; q->id != NULL && k < q->n_chosen; k++)
            am_free(q->id[k]);
        am_free(q->id);
        am_free(q->lon);
        am_free(q->lat);
        am_free(q->gain);
        am_free(q->objective_after);
        am_free(q->access_mean);
        am_free(q->gini);
        am_free(q->size); /* the equity models' */
        am_free(q->capacity);
        am_free(q->name);
        am_free(q->model);
        am_free(q->facilities);
        am_free(q);
    }
    for (int i = 0; r->variants != NULL && i < r->n_variants; i++) {
        am_free(r->variants[i].name); /* issue 12 */
        am_free(r->variants[i].pop_within);
    }
    am_free(r->variants);
    am_free(r->variant_within);
    for (int32_t k = 0; r->robust_id != NULL && k < r->n_robust; k++)
        am_free(r->robust_id[k]);
    am_free(r->robust_id);
    am_free(r->robust_count);
    for (size_t i = 0; i < r->n_warnings; i++)
        am_free(r->warnings[i]);
    am_free(r->warnings);
    am_free(r->phases);
    am_free(r->cutoffs_min);
    am_free(r->scenario_name);
    am_free(r->output_path);
    am_free(r);
}

static am_status summary_init(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    am_run_summary *r = am_calloc(1, sizeof *r);
    if (r == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    c->sum = r;
    r->scenario_name = am_strdup(s->name);
    r->output_path = am_strdup(c->out_path);
    r->n_cutoffs = s->n_cutoffs;
    r->cutoffs_min = am_malloc((size_t)s->n_cutoffs * sizeof *r->cutoffs_min);
    r->sets = am_calloc((size_t)s->n_facility_sets, sizeof *r->sets);
    r->measure_names = am_calloc((size_t)s->n_measures, sizeof(char *));
    if (r->scenario_name == NULL || r->output_path == NULL || r->sets == NULL ||
        r->measure_names == NULL || r->cutoffs_min == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    memcpy(r->cutoffs_min, s->cutoffs_min,
           (size_t)s->n_cutoffs * sizeof *r->cutoffs_min);
    r->n_sets = s->n_facility_sets;
    r->n_measures = s->n_measures;
    for (int k = 0; k < s->n_facility_sets; k++)
        if ((r->sets[k].name = am_strdup(s->facility_sets[k].name)) == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    r->measure_types =
        am_calloc((size_t)s->n_measures, sizeof(am_measure_type));
    r->measure_decays = am_calloc((size_t)s->n_measures, sizeof(char *));
    if (r->measure_types == NULL || r->measure_decays == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int m = 0; m < s->n_measures; m++) {
        if ((r->measure_names[m] = am_strdup(s->measures[m].name)) == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        am_measure_plan pl;
        char text[256];
        am_status rc = am_measure_plan_of(
            &s->measures[m], s->cutoffs_min[s->n_cutoffs - 1], &pl, c->err);
        if (rc != AM_OK)
            return rc;
        am_measure_plan_describe(&pl, text, sizeof text);
        r->measure_types[m] = s->measures[m].type;
        if ((r->measure_decays[m] = am_strdup(text)) == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    return AM_OK;
}

/* What the model, the sites and the results say, into the summary. */
static am_status summary_fill(am_run_ctx *c)
{
    am_run_summary *r = c->sum;
    const am_model *m = c->m;
    r->threads = m->threads;
    r->mpi_ranks = am_dist_size(); /* issue 12 */
    r->memory_estimate = m->memory_estimate;
    r->memory_cap = m->memory_cap;
    r->gdal_cache = m->gdal_cache;
    r->roads_from_cache = m->roads_from_cache;
    if (m->roads != NULL) {
        r->road_features = m->roads->n_features;
        r->road_routable = m->roads->n_routable;
        r->road_km = m->roads->total_len_km;
        r->road_vertices_joined = m->roads->n_joined;
        r->road_crossings_joined = m->roads->n_crossings;
        r->road_join_crossings = c->s->roads_join_crossings;
        const am_road_network *n = m->roads;
        snprintf(r->road_profile, sizeof r->road_profile, "%s", n->profile);
        r->road_oneway = n->n_oneway;
        r->road_maxspeed_used = n->n_maxspeed;
        r->road_maxspeed_unparsable = n->n_maxspeed_unparsable;
        r->road_maxspeed_implausible = n->n_maxspeed_implausible;
        r->road_closed_access = n->n_closed_access;
        r->road_areas = n->n_area;
        r->road_reversible = n->n_reversible;
        r->road_ferries = n->n_ferry;
        r->road_missing_nodes_kept = n->n_missing_nodes_kept;
        r->road_missing_nodes_dropped = n->n_missing_nodes_dropped;
        r->nodes = m->roads->n_nodes;
        r->arcs = m->roads->n_arcs;
    }
    if (m->graph != NULL) {
        r->graph_nodes = m->graph->n_nodes;
        r->graph_arcs = m->graph->n_arcs;
    }
    /* speed zones (issue 7): read and applied with the roads */
    const int nz = m->s->n_speed_zones;
    if (nz > 0 && m->roads != NULL) {
        r->speed_zones = am_calloc_array((size_t)nz, sizeof *r->speed_zones);
        if (r->speed_zones == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        r->n_speed_zones = nz;
        for (int k = 0; k < nz; k++) {
            am_speed_zone_summary *z = &r->speed_zones[k];
            z->path = am_strdup(m->zone_paths[k]);
            z->layer = am_strdup(m->zones[k]->layer);
            if (z->path == NULL || z->layer == NULL)
                return am_error_set(c->err, AM_ERR_NOMEM, NULL,
                                    "out of memory");
            z->features = m->zones[k]->n_features;
            z->multiplier_min = m->zones[k]->mult_min;
            z->multiplier_max = m->zones[k]->mult_max;
            z->arcs = m->zone_stats[k].arcs;
            z->arc_km = m->zone_stats[k].arc_km;
        }
    }
    if (m->pop != NULL) {
        r->pop_total = m->pop->total;
        r->pop_cells = m->pop->n_cells;
        r->pop_negative_cells = m->pop->n_negative;
        r->pop_nonfinite_cells = m->pop->n_nonfinite;
        r->pop_implausible_cells = m->pop->n_implausible;
    }
    r->pop_off_network = m->pop_off_network;
    r->cells_off_network = m->cells_off_network;
    if (m->components != NULL) {
        r->components = m->components->n_components;
        r->components_allowed = m->n_allowed_components;
        for (int32_t k = 0;
             k < m->components->n_components && k < AM_SUMMARY_COMPONENTS; k++)
            r->component_sizes[k] = m->components->size[k];
        am_snap_rule_describe(m->s, r->components_rule,
                              sizeof r->components_rule);
        r->nodes_disallowed = m->nodes_disallowed;
        r->arcs_disallowed = m->arcs_disallowed;
    }
    r->pop_moved = m->cell_moves.moved_weight;
    r->cells_moved = m->cell_moves.moved;
    r->moved_median_m = m->cell_moves.extra_median_m;
    r->moved_max_m = m->cell_moves.extra_max_m;
    r->pop_stranded = m->cell_moves.stranded_weight;
    r->cells_stranded = m->cell_moves.stranded;
    for (int k = 0; k < r->n_sets; k++) {
        am_set_summary *ss = &r->sets[k];
        const am_sites *f = c->sites[k];
        const am_results *res = c->results[k];
        ss->n_facilities = f->fac->n;
        ss->n_on_network = f->n_on;
        ss->near_duplicate_pairs = f->near_duplicates;
        ss->capacity_total = f->capacity_total;
        ss->moved = (int32_t)f->moves.moved;
        ss->moved_median_m = f->moves.extra_median_m;
        ss->moved_max_m = f->moves.extra_max_m;
        ss->stranded = (int32_t)f->moves.stranded;
        if (m->s->surface) { /* issue 9, the travel-time surface */
            ss->surface_within = res->surface_within;
            ss->surface_reached = res->surface_reached;
            ss->surface_s = res->surface_s;
            ss->surface_max_min = m->s->surface_max_min;
            ss->surface_cells = (int64_t)m->pop->grid.nx * m->pop->grid.ny;
        }
        /* moved from the results, which are freed with the run */
        ss->pop_within = c->results[k]->pop_within;
        ss->access_mean = res->access_mean;
        ss->access_median = res->access_median;
        ss->fac_no_demand = res->fac_no_demand;
        ss->pop_none = res->pop_none;
        ss->mean_left_out = res->mean_left_out; /* issue 9 */
        c->results[k]->mean_left_out = NULL;
        c->results[k]->pop_within = NULL;
        c->results[k]->access_mean = NULL;
        c->results[k]->access_median = NULL;
        c->results[k]->fac_no_demand = NULL;
        c->results[k]->pop_none = NULL;
        /* issue 9, facility tiers: the set's tier, cutoffs and measures */
        ss->tier = c->s->facility_sets[k].tier;
        ss->n_cutoffs = res->n_cutoffs;
        ss->cutoffs_min = res->cutoffs_min;
        ss->measure_on = res->measure_on;
        c->results[k]->cutoffs_min = NULL;
        c->results[k]->measure_on = NULL;
        ss->measure_decays =
            am_calloc_array((size_t)r->n_measures, sizeof(char *));
        if (ss->measure_decays == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        for (int mk = 0; mk < r->n_measures; mk++) {
            char text[256];
            am_measure_plan_describe(&res->plans[mk], text, sizeof text);
            if ((ss->measure_decays[mk] = am_strdup(text)) == NULL)
                return am_error_set(c->err, AM_ERR_NOMEM, NULL,
                                    "out of memory");
        }
        if (am_cover_summary(res, ss) != AM_OK) /* issue 9 */
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        const am_equity *q = res->equity; /* issue 9: overall, row 0 */
        if (q != NULL) {
            ss->equity_gini = am_calloc_array((size_t)r->n_measures + 1,
                                              sizeof *ss->equity_gini);
            ss->equity_palma = am_calloc_array((size_t)r->n_measures + 1,
                                               sizeof *ss->equity_palma);
            if (ss->equity_gini == NULL || ss->equity_palma == NULL)
                return am_error_set(c->err, AM_ERR_NOMEM, NULL,
                                    "out of memory");
            for (int mk = 0; mk < r->n_measures; mk++) {
                const am_equity_stats *st =
                    &q->stats[(size_t)(1 + mk) * (size_t)q->n_rows];
                ss->equity_gini[mk] = st->gini;
                ss->equity_palma[mk] = st->palma;
            }
        }
        if (res->diag != NULL) { /* issue 9, diagnostics (moved) */
            ss->diagnostics = res->diag->m;
            res->diag->m = NULL;
            ss->snap_cells = res->diag->cells;
            ss->snap_facilities = res->diag->facilities;
        }
    }
    const int nzl = m->s->n_zone_layers;
    if (nzl > 0) {
        r->zone_layers = am_calloc_array((size_t)nzl, sizeof *r->zone_layers);
        if (r->zone_layers == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        r->n_zone_layers = nzl;
        for (int k = 0; k < nzl; k++) {
            am_zone_layer_summary *z = &r->zone_layers[k];
            const am_zone_raster *zr = m->eq_zones[k];
            z->name = am_strdup(m->s->zone_layers[k].name);
            z->layer = am_strdup(zr->layer != NULL ? zr->layer : "");
            if (z->name == NULL || z->layer == NULL)
                return am_error_set(c->err, AM_ERR_NOMEM, NULL,
                                    "out of memory");
            z->n_zones = zr->n_zones;
            z->cells_outside = zr->n_outside;
            z->pop_outside = zr->pop_outside;
            if (m->s->zone_layers[k].raster != NULL) /* issue 9 */
                z->raster_band = m->s->zone_layers[k].band > 0
                                     ? m->s->zone_layers[k].band
                                     : 1;
        }
    }
    const int n = m->phases.n + c->log.n;
    r->phases = am_malloc((size_t)(n > 0 ? n : 1) * sizeof *r->phases);
    if (r->phases == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    if (m->phases.n > 0)
        memcpy(r->phases, m->phases.v, (size_t)m->phases.n * sizeof *r->phases);
    if (c->log.n > 0)
        memcpy(r->phases + m->phases.n, c->log.v,
               (size_t)c->log.n * sizeof *r->phases);
    r->n_phases = n;
    am_status rc = summary_tiers(c);   /* issue 9, facility tiers */
    if (rc == AM_OK && c->ens != NULL) /* issue 12 */
        rc = summary_variants(c);
    if (rc == AM_OK && c->sel != NULL) /* issue 10 */
        rc = am_selection_summarize(c->sel, &r->selection, c->err);
    return rc;
}

/* ---- run ------------------------------------------------------------- */

static void run_ctx_free(am_run_ctx *c)
{
    am_ensemble_destroy(c->ens); /* issue 12: before what it borrows */
    for (int k = 0; k < c->s->n_facility_sets; k++) {
        if (c->results != NULL)
            am_results_destroy(c->results[k]);
        if (c->sites != NULL)
            am_sites_destroy(c->sites[k]);
    }
    am_free(c->results);
    am_free(c->sites);
    am_model_destroy(c->m);
    am_phases_free(&c->log);
    am_file_guard_free(&c->guard);
    am_tiers_out_free(&c->tiers); /* issue 9, facility tiers */
    am_selection_destroy(c->sel); /* issue 10 */
}

/* The output path: the option's as given, else the scenario's resolved. */
static am_status output_path(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    const char *out =
        c->opt->output_path ? c->opt->output_path : s->output_path;
    if (out == NULL || out[0] == '\0')
        return am_error_set(c->err, AM_ERR_USAGE, s->source_path,
                            "no output path (set 'output' or use -o)");
    if (c->opt->output_path == NULL)
        return am_engine_resolve(s, out, c->out_path, c->err);
    if (strlen(out) >= sizeof c->out_path)
        return am_error_set(c->err, AM_ERR_IO, NULL,
                            "output path is %zu bytes; at most %zu fit",
                            strlen(out), sizeof c->out_path - 1);
    memcpy(c->out_path, out, strlen(out) + 1);
    return AM_OK;
}

/* issue 9, facility tiers: referral times and combined indicators, as
 * the phase "referrals" (only when the scenario has either). */
static am_status tiers_step(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    int tiers = 0;
    for (int k = 0; k < s->n_facility_sets; k++)
        tiers += s->facility_sets[k].tier > 0;
    if (tiers < 2 && s->n_combined == 0)
        return AM_OK;
    am_status rc = am_phase_begin(&c->log, "referrals and combined", c->err);
    if (rc == AM_OK)
        rc = am_referrals_compute(c->m, c->sites, c->m->threads, &c->tiers,
                                  c->err);
    if (rc == AM_OK)
        rc = am_combined_compute(c->m, c->results, &c->tiers, c->err);
    if (rc == AM_OK)
        rc = am_phase_end(&c->log, "referrals", c->err);
    return rc;
}

/* Model, sites and results of every set, and the file. */
static am_status run_steps(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    const am_run_options *opt = c->opt;
    am_model_options mo = am_model_options_default();
    mo.threads = opt->threads;
    mo.max_memory = opt->max_memory;
    mo.progress = opt->progress;
    mo.progress_user = opt->progress_user;
    mo.no_cache = opt->no_cache;
    /* the scenario file hashed while the model checks the inputs */
    am_fingerprint_job *fp = NULL;
    am_status rc = AM_OK;
    if (s->source_path != NULL)
        rc = am_fingerprint_start(s->source_path, &fp, c->err);
    if (rc == AM_OK &&
        (rc = am_model_create_shared(s, &mo, &c->warn, &c->m, c->err)) != AM_OK)
        am_fingerprint_cancel(fp);
    if (rc == AM_OK) {
        c->m->run_output = c->out_path;
        if (fp != NULL)
            rc = am_fingerprint_finish(fp, c->fp_scenario.hex,
                                       &c->fp_scenario.size, c->err);
    }
    if (rc == AM_OK)
        rc = am_model_build(c->m, c->err);
    /* issue 12: under MPI every rank built the same model; each step ends
     * in an agreement that every rank reaches, failed or not (dist.h) */
    if ((rc = am_dist_agree(rc, c->err)) != AM_OK)
        return rc;
    c->sites = am_calloc((size_t)s->n_facility_sets, sizeof *c->sites);
    c->results = am_calloc((size_t)s->n_facility_sets, sizeof *c->results);
    if (c->sites == NULL || c->results == NULL)
        rc = am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    /* every set is read before any is computed: a bad layer fails fast */
    for (int k = 0; rc == AM_OK && k < s->n_facility_sets; k++)
        rc = am_sites_load_logged(c->m, k, &c->log, &c->sites[k], c->err);
    if ((rc = am_dist_agree(rc, c->err)) != AM_OK)
        return rc;
    /* each set's catchments split between the ranks (results.c) */
    for (int k = 0; rc == AM_OK && k < s->n_facility_sets; k++) {
        rc = am_results_compute_logged(c->m, c->sites[k], c->m->threads,
                                       &c->log, &c->results[k], c->err);
        rc = am_dist_agree(rc, c->err);
    }
    if (rc == AM_OK) /* issue 9, facility tiers */
        rc = tiers_step(c);
    if (rc == AM_OK && s->selection != NULL) /* issue 10, site selection */
        rc = am_selection_run(c->m, c->sites, c->results, &c->log, &c->sel,
                              c->err);
    if (rc == AM_OK && s->n_variants > 0) /* issue 12, scenario ensembles */
        rc = am_ensemble_run(c->m, c->sites, c->results,
                             s->source_path != NULL ? &c->fp_scenario : NULL,
                             &mo, &c->log, &c->ens, c->err);
    if ((rc = am_dist_agree(rc, c->err)) != AM_OK)
        return rc;
    am_write_request w = {c->m,
                          s->n_facility_sets,
                          c->sites,
                          c->results,
                          c->out_path,
                          opt->command_line,
                          s->source_path != NULL ? &c->fp_scenario : NULL,
                          &c->guard,
                          c->csv_path[0] != '\0' ? c->csv_path : NULL,
                          &c->tiers,
                          c->ref_csv_path[0] != '\0' ? c->ref_csv_path : NULL,
                          c->sel,
                          c->ens};
    /* issue 12: rank 0 writes what every rank holds (the serial writer) */
    if (am_dist_rank() == 0)
        rc = am_write_output(&w, &c->log, c->err);
    return am_dist_agree(rc, c->err);
}

am_status am_run(const am_scenario *s, const am_run_options *opt,
                 am_run_summary **summary, am_error *err)
{
    am_error local_err;
    am_run_options default_opt = am_run_options_default();
    am_run_ctx ctx;
    am_run_ctx *c = &ctx;
    am_status rc;
    const double t_start = am_now_s();

    if (summary != NULL)
        *summary = NULL;
    if (err == NULL)
        err = &local_err;
    am_error_clear(err);
    if (opt == NULL)
        opt = &default_opt;
    if (s == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no scenario");
    if (am_scenario_is_matrix(s)) /* issue 9 */
        return am_error_set(err, AM_ERR_USAGE, s->source_path,
                            "a matrix scenario: run it with am_matrix_run");
    if (s->n_cutoffs < 1 || s->n_measures < 1 || s->n_facility_sets < 1)
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "scenario not finalized (no cutoffs, measures "
                            "or facility sets)");
    memset(c, 0, sizeof *c);
    c->s = s;
    c->opt = opt;
    c->err = err;
    am_warnings_init(&c->warn, opt->warning, opt->warning_user);
    c->log.progress = opt->progress;
    c->log.progress_user = opt->progress_user;

    rc = output_path(c);
    if (rc == AM_OK)
        rc = summary_init(c);
    if (rc == AM_OK)
        rc = check_output(c);
    rc = am_dist_agree(rc, err); /* issue 12: every rank, failed or not */
    if (rc == AM_OK)
        rc = run_steps(c);
    if (rc == AM_OK)
        rc = summary_fill(c);
    if (c->sum != NULL) {
        c->sum->wall_s = am_now_s() - t_start;
        c->sum->peak_rss_mib = am_peak_rss_mib();
        c->sum->warnings = c->warn.msg; /* moved */
        c->sum->n_warnings = c->warn.n;
        c->warn.msg = NULL;
        c->warn.n = 0;
    }
    am_warnings_clear(&c->warn);
    run_ctx_free(c);
    if (rc == AM_OK && summary != NULL)
        *summary = c->sum;
    else
        am_run_summary_destroy(c->sum);
    return rc;
}
