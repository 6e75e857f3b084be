/*
 * variants.c: scenario ensembles (issue 12; engine/variants.h says what a
 * unit reuses and holds). Each variant is run as the baseline's set
 * results are (am_results_compute_logged) on a model that differs from
 * the baseline's only where the variant says so:
 *  - speed_multiplier: a model of its own, whose road arcs' times are
 *    divided by the multiplier after the speed zones (inputs/zones.h,
 *    am_roads_scale_times), then contracted, snapped and searched;
 *  - population_multiplier: the baseline's model with every populated
 *    cell's persons (and the demand index's copy) times the multiplier;
 *    the network, snapping and cells stay the baseline's;
 *  - cutoffs_min, threshold_min: a shallow copy of the scenario with them.
 * The distribution across units (min, p10, p50, p90, max by nearest rank)
 * is taken per populated cell, independently, so any thread count gives
 * the same values; the persons within each of the baseline's cutoffs are
 * summed in cell order (serial).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "common/alloc.h"
#include "common/sha256.h"
#include "common/units.h"
#include "engine/selection.h"
#include "engine/sysinfo.h"
#include "engine/variants.h"
#include "inputs/zones.h"
#include "kernels/parallel.h"

static am_status nomem(am_error *err)
{
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "out of memory for the scenario's variants");
}

double am_variant_percentile(const double *v, int n, double p)
{
    if (n <= 0)
        return NAN;
    double r = ceil(p / 100.0 * (double)n);
    int i = r < 1.0 ? 0 : (int)r - 1;
    return v[i < n ? i : n - 1];
}

/* The unit's fingerprint: SHA-256 of the scenario file's and the inputs'
 * fingerprints, the unit's id and name and its parameters (%.17g). */
static void unit_fingerprint(const am_model *m, am_sites *const *sites,
                             const am_fp *fp_scenario, am_variant_unit *u)
{
    const am_variant *v = u->v;
    am_sha256 h;
    char line[512];
    am_sha256_init(&h);
    int n = snprintf(line, sizeof line,
                     "accessim variant 1\nscenario %s\nroads %s\n"
                     "population %s\n",
                     fp_scenario != NULL ? fp_scenario->hex : "-",
                     m->fp_roads.hex, m->fp_pop.hex);
    am_sha256_update(&h, line, (size_t)n);
    for (int k = 0; k < m->s->n_facility_sets; k++) {
        n = snprintf(line, sizeof line, "set %s %s\n", sites[k]->name,
                     sites[k]->fp.hex);
        am_sha256_update(&h, line, (size_t)n);
    }
    n = snprintf(line, sizeof line,
                 "id %d\nname %s\nspeed %.17g\npopulation %.17g\n"
                 "threshold %.17g\nselection_p %d\ncutoffs",
                 u->id, v->name, v->speed_multiplier, v->population_multiplier,
                 v->threshold_min, v->selection_p);
    am_sha256_update(&h, line, (size_t)n);
    for (int i = 0; i < v->n_cutoffs; i++) {
        n = snprintf(line, sizeof line, " %.17g", v->cutoffs_min[i]);
        am_sha256_update(&h, line, (size_t)n);
    }
    uint8_t d[32];
    am_sha256_final(&h, d);
    am_sha256_hex(d, u->fingerprint);
}

/* The unit's scenario: the baseline's (shallow) with the overrides. */
static am_status unit_scenario(const am_scenario *s, am_variant_unit *u,
                               am_error *err)
{
    const am_variant *v = u->v;
    u->scen = *s;
    u->scen.variants = NULL;
    u->scen.n_variants = 0;
    u->scen.selection = NULL; /* the baseline's alone */
    u->scen.surface = 0;
    u->scen.n_combined = 0;
    u->scen.roads_speed_scale =
        v->speed_multiplier > 0.0 ? v->speed_multiplier : 1.0;
    if (v->cutoffs_min != NULL) {
        u->cutoffs = am_alloc_array((size_t)v->n_cutoffs, sizeof *u->cutoffs);
        if (u->cutoffs == NULL)
            return nomem(err);
        memcpy(u->cutoffs, v->cutoffs_min,
               (size_t)v->n_cutoffs * sizeof *u->cutoffs);
        u->scen.cutoffs_min = u->cutoffs;
        u->scen.n_cutoffs = v->n_cutoffs;
    }
    if (v->threshold_min > 0.0) {
        u->measures =
            am_alloc_array((size_t)s->n_measures, sizeof *u->measures);
        if (u->measures == NULL)
            return nomem(err);
        for (int k = 0; k < s->n_measures; k++) {
            u->measures[k] = s->measures[k]; /* names stay the scenario's */
            if (u->measures[k].threshold_min > 0.0)
                u->measures[k].threshold_min = v->threshold_min;
        }
        u->scen.measures = u->measures;
    }
    return AM_OK;
}

/* The population times k on a shallow copy of model bm, into u->vm. */
static am_status unit_population(const am_model *bm, double k,
                                 am_variant_unit *u, am_error *err)
{
    const am_population *p = bm->pop;
    const am_demand *d = bm->demand;
    u->pop_scaled = am_alloc_array((size_t)p->n_cells, sizeof(double));
    u->demand_scaled = am_alloc_array((size_t)d->n_cells, sizeof(double));
    if (u->pop_scaled == NULL || u->demand_scaled == NULL)
        return nomem(err);
    double total = 0.0;
    for (int32_t i = 0; i < p->n_cells; i++) {
        u->pop_scaled[i] = p->pop[i] * k;
        total += u->pop_scaled[i];
    }
    for (int32_t i = 0; i < d->n_cells; i++)
        u->demand_scaled[i] = d->pop[i] * k;
    u->vpop = *p;
    u->vpop.pop = u->pop_scaled;
    u->vpop.total = total;
    u->vdemand = *d;
    u->vdemand.pop = u->demand_scaled;
    u->vm.pop = &u->vpop;
    u->vm.demand = &u->vdemand;
    u->vm.pop_off_network = bm->pop_off_network * k;
    return AM_OK;
}

/* Progress of a unit's steps as "variant i/n name: step" on the run's. */
typedef struct unit_progress {
    const am_phases *run;
    char prefix[AM_NAME_MAX + 48];
    char msg[AM_NAME_MAX + 160];
} unit_progress;

static int unit_progress_fn(double fraction, const char *message, void *user)
{
    unit_progress *q = user;
    if (q->run->progress == NULL)
        return 1;
    snprintf(q->msg, sizeof q->msg, "%s%s", q->prefix,
             message != NULL ? message : "");
    return q->run->progress(fraction, q->msg, q->run->progress_user);
}

/* Unit u, on the baseline model m (its sites [n_sets]). */
static am_status unit_run(am_model *m, am_sites *const *sites,
                          const am_model_options *mo, am_phases *ulog,
                          am_variant_unit *u, am_error *err)
{
    const am_scenario *s = m->s;
    const int n_sets = s->n_facility_sets;
    const double t0 = am_now_s();
    am_model *own = NULL;
    am_warnings w;
    am_warnings_init(&w, NULL, NULL); /* the baseline's warnings suffice */
    am_status rc = unit_scenario(s, u, err);
    u->sites = am_calloc_array((size_t)n_sets, sizeof *u->sites);
    u->real_sites = am_calloc_array((size_t)n_sets, sizeof *u->real_sites);
    u->results = am_calloc_array((size_t)n_sets, sizeof *u->results);
    u->group = am_calloc_array((size_t)n_sets, sizeof *u->group);
    if (rc == AM_OK && (u->sites == NULL || u->real_sites == NULL ||
                        u->results == NULL || u->group == NULL))
        rc = nomem(err);
    const am_model *bm = m;
    u->reused_model = u->scen.roads_speed_scale == 1.0;
    if (rc == AM_OK && !u->reused_model) {
        am_model_options o = *mo;
        o.progress = ulog->progress;
        o.progress_user = ulog->progress_user;
        rc = am_model_create_shared(&u->scen, &o, &w, &own, err);
        if (rc == AM_OK) {
            own->run_output = m->run_output;
            rc = am_model_build(own, err);
        }
        if (rc == AM_OK && own->pop->n_cells != m->pop->n_cells)
            rc = am_error_set(err, AM_ERR_INVALID, m->pop_path,
                              "variant '%s': the population has %d populated "
                              "cells, the baseline's %d (the file changed "
                              "during the run?)",
                              u->v->name, (int)own->pop->n_cells,
                              (int)m->pop->n_cells);
        bm = own;
    }
    if (rc == AM_OK) {
        u->vm = *bm;
        u->vm.s = &u->scen;
    }
    const double k = u->v->population_multiplier;
    if (rc == AM_OK && k > 0.0 && k != 1.0)
        rc = unit_population(bm, k, u, err);
    for (int j = 0; rc == AM_OK && j < n_sets; j++) {
        const am_sites *src = sites[j];
        if (own != NULL) {
            rc = am_sites_load_logged(own, j, ulog, &u->real_sites[j], err);
            src = u->real_sites[j];
        }
        if (rc != AM_OK)
            break;
        if ((u->sites[j] = am_malloc(sizeof *u->sites[j])) == NULL) {
            rc = nomem(err);
            break;
        }
        *u->sites[j] = *src; /* shares the facilities and their snapping */
        u->sites[j]->m = &u->vm;
        if (snprintf(u->group[j], sizeof u->group[j], "/variants/%s/results/%s",
                     u->v->name, sites[j]->name) >= (int)sizeof u->group[j])
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "variant '%s': group name too long", u->v->name);
        if (rc == AM_OK)
            rc = am_results_compute_logged(&u->vm, u->sites[j], m->threads,
                                           ulog, &u->results[j], err);
    }
    /* the site selection on the unit's model: what it chose (its tables
       are the baseline's alone) */
    if (rc == AM_OK && s->selection != NULL) {
        am_selection *sel = NULL;
        am_selection_summary *q = NULL;
        u->selspec = *s->selection;
        if (u->v->selection_p > 0)
            u->selspec.p = u->v->selection_p;
        u->scen.selection = &u->selspec;
        rc = am_selection_run(&u->vm, u->sites, u->results, ulog, &sel, err);
        if (rc == AM_OK)
            rc = am_selection_summarize(sel, &q, err);
        if (rc == AM_OK && q != NULL && q->n_chosen > 0) {
            u->chosen_id = q->id; /* moved */
            u->chosen_lon = q->lon;
            u->chosen_lat = q->lat;
            u->n_chosen = q->n_chosen;
            q->id = NULL;
            q->lon = q->lat = NULL;
            q->n_chosen = 0;
        }
        am_run_summary *tmp = am_calloc(1, sizeof *tmp);
        if (tmp != NULL) {
            tmp->selection = q; /* frees the summary's parts */
            am_run_summary_destroy(tmp);
        } else if (q != NULL) {
            rc = nomem(err); /* q leaks only when memory is gone */
        }
        am_selection_destroy(sel);
        u->scen.selection = NULL;
    }
    /* a speed unit's model goes now: its results and sites own what the
       file needs (the writer reads the cells from the baseline) */
    am_model_destroy(own);
    if (own != NULL) {
        memset(&u->vm, 0, sizeof u->vm);
        u->vm.s = &u->scen;
        u->vm.pop = m->pop;
    }
    am_warnings_clear(&w);
    u->wall_s = am_now_s() - t0;
    return rc;
}

/* The distribution of set j across the units (engine/variants.h). */
static am_status set_distribution(const am_model *m, am_ensemble *e, int j,
                                  const am_results *base, am_error *err)
{
    am_variant_dist *d = &e->dist[j];
    const int n = e->n, n_measures = m->s->n_measures;
    const int32_t n_cells = base->n_cells;
    int q = 1;
    for (int k = 0; k < n_measures; k++)
        q += base->measure_on[k] != 0;
    d->n_q = q;
    d->stats = am_alloc_array((size_t)q * AM_VARIANT_STATS * (size_t)n_cells,
                              sizeof *d->stats);
    d->cov =
        am_alloc_array((size_t)e->n_cutoffs * AM_VARIANT_STATS, sizeof *d->cov);
    d->qname = am_calloc_array((size_t)q, sizeof *d->qname);
    int32_t *mk = am_alloc_array((size_t)q, sizeof *mk);
    const int nt = am_parallel_threads(m->threads);
    double *buf = am_alloc_array((size_t)nt * (size_t)n, sizeof *buf);
    double *within = am_alloc_array((size_t)n, sizeof *within);
    if (d->stats == NULL || d->cov == NULL || d->qname == NULL || mk == NULL ||
        buf == NULL || within == NULL) {
        am_free(mk);
        am_free(buf);
        am_free(within);
        return nomem(err);
    }
    snprintf(d->qname[0], sizeof d->qname[0], "nearest_time_min");
    mk[0] = -1;
    for (int k = 0, i = 1; k < n_measures; k++)
        if (base->measure_on[k]) {
            snprintf(d->qname[i], sizeof d->qname[i], "%s",
                     m->s->measures[k].name);
            mk[i++] = k;
        }
    const am_variant_unit *u = e->u;
    double *stats = d->stats;
    for (int qi = 0; qi < q; qi++) {
        const int32_t meas = mk[qi];
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(u, buf, stats) firstprivate(n, n_cells, qi, meas, j)
        for (int32_t c = 0; c < n_cells; c++) {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            double *v = buf + (size_t)tid * (size_t)n;
            int cnt = 0;
            for (int x = 0; x < n; x++) {
                const am_results *r = u[x].results[j];
                double val;
                if (meas < 0)
                    val = r->nearest_ds[c] == AM_TIME_INF
                              ? INFINITY
                              : am_ds_to_minutes(r->nearest_ds[c]);
                else
                    val = r->access[(size_t)meas * (size_t)n_cells + c];
                if (isnan(val))
                    continue;
                int y = cnt++; /* insertion: few units */
                while (y > 0 && v[y - 1] > val) {
                    v[y] = v[y - 1];
                    y--;
                }
                v[y] = val;
            }
            double *o = stats + (size_t)qi * AM_VARIANT_STATS * (size_t)n_cells;
            o[c] = cnt > 0 ? v[0] : NAN;
            o[(size_t)n_cells + c] = am_variant_percentile(v, cnt, 10.0);
            o[2 * (size_t)n_cells + c] = am_variant_percentile(v, cnt, 50.0);
            o[3 * (size_t)n_cells + c] = am_variant_percentile(v, cnt, 90.0);
            o[4 * (size_t)n_cells + c] = cnt > 0 ? v[cnt - 1] : NAN;
        }
    }
    /* persons within each of the baseline's cutoffs, per unit */
    for (int ci = 0; ci < e->n_cutoffs; ci++) {
        const uint32_t cut = am_minutes_to_ds(e->cutoffs_min[ci]);
        for (int x = 0; x < n; x++) {
            const am_results *r = u[x].results[j];
            const double *pop =
                u[x].pop_scaled != NULL ? u[x].pop_scaled : m->pop->pop;
            double sum = 0.0;
            for (int32_t c = 0; c < n_cells; c++)
                if (r->nearest_ds[c] <= cut)
                    sum += pop[c];
            int y = x;
            while (y > 0 && within[y - 1] > sum) {
                within[y] = within[y - 1];
                y--;
            }
            within[y] = sum;
        }
        double *o = d->cov + (size_t)ci * AM_VARIANT_STATS;
        o[0] = within[0];
        o[1] = am_variant_percentile(within, n, 10.0);
        o[2] = am_variant_percentile(within, n, 50.0);
        o[3] = am_variant_percentile(within, n, 90.0);
        o[4] = within[n - 1];
    }
    /* per zone (issue 12): each equity row's mean across the units */
    const am_equity *bq = base->equity;
    if (bq != NULL) {
        d->beq = bq;
        d->n_rows = bq->n_rows;
        d->zone = am_alloc_array(
            (size_t)bq->n_rows * (size_t)q * AM_VARIANT_STATS, sizeof *d->zone);
        d->qblock = am_alloc_array((size_t)q, sizeof *d->qblock);
        if (d->zone == NULL || d->qblock == NULL) {
            am_free(mk);
            am_free(buf);
            am_free(within);
            return nomem(err);
        }
        for (int qi = 0; qi < q; qi++)
            d->qblock[qi] = mk[qi] < 0 ? 0 : 1 + mk[qi];
        for (int32_t row = 0; row < bq->n_rows; row++)
            for (int qi = 0; qi < q; qi++) {
                int cnt = 0;
                for (int x = 0; x < n; x++) {
                    const am_equity *uq = u[x].results[j]->equity;
                    if (uq == NULL || uq->n_rows != bq->n_rows ||
                        d->qblock[qi] >= uq->n_blocks)
                        continue;
                    const double val =
                        uq->stats[(size_t)d->qblock[qi] * (size_t)uq->n_rows +
                                  (size_t)row]
                            .mean;
                    if (isnan(val))
                        continue;
                    int y = cnt++;
                    while (y > 0 && buf[y - 1] > val) {
                        buf[y] = buf[y - 1];
                        y--;
                    }
                    buf[y] = val;
                }
                double *o = d->zone + ((size_t)row * (size_t)q + (size_t)qi) *
                                          AM_VARIANT_STATS;
                o[0] = cnt > 0 ? buf[0] : NAN;
                o[1] = am_variant_percentile(buf, cnt, 10.0);
                o[2] = am_variant_percentile(buf, cnt, 50.0);
                o[3] = am_variant_percentile(buf, cnt, 90.0);
                o[4] = cnt > 0 ? buf[cnt - 1] : NAN;
            }
    }
    am_free(mk);
    am_free(buf);
    am_free(within);
    return AM_OK;
}

/* Every site some unit chose, in order of first choice, and how often. */
static am_status robust_choices(am_ensemble *e, am_error *err)
{
    int64_t total = 0;
    for (int i = 0; i < e->n; i++)
        total += e->u[i].n_chosen;
    const size_t cap = (size_t)(total > 0 ? total : 1);
    e->robust_id = am_calloc_array(cap, sizeof *e->robust_id);
    e->robust_lon = am_alloc_array(cap, sizeof *e->robust_lon);
    e->robust_lat = am_alloc_array(cap, sizeof *e->robust_lat);
    e->robust_count = am_calloc_array(cap, sizeof *e->robust_count);
    e->robust_share = am_alloc_array(cap, sizeof *e->robust_share);
    if (e->robust_id == NULL || e->robust_lon == NULL ||
        e->robust_lat == NULL || e->robust_count == NULL ||
        e->robust_share == NULL)
        return nomem(err);
    int32_t n = 0;
    for (int i = 0; i < e->n; i++) {
        const am_variant_unit *u = &e->u[i];
        for (int32_t k = 0; k < u->n_chosen; k++) {
            int32_t r = 0; /* a few sites per unit: a linear search */
            while (r < n && !(strcmp(e->robust_id[r], u->chosen_id[k]) == 0 &&
                              e->robust_lon[r] == u->chosen_lon[k] &&
                              e->robust_lat[r] == u->chosen_lat[k]))
                r++;
            if (r == n) {
                e->robust_id[n] = u->chosen_id[k];
                e->robust_lon[n] = u->chosen_lon[k];
                e->robust_lat[n] = u->chosen_lat[k];
                n++;
            }
            e->robust_count[r]++;
        }
    }
    for (int32_t r = 0; r < n; r++)
        e->robust_share[r] = (double)e->robust_count[r] / (double)e->n;
    e->n_robust = n;
    return AM_OK;
}

am_status am_ensemble_run(am_model *m, am_sites *const *sites,
                          am_results *const *results, const am_fp *fp_scenario,
                          const am_model_options *mo, am_phases *log,
                          am_ensemble **out, am_error *err)
{
    const am_scenario *s = m->s;
    *out = NULL;
    if (s->n_variants <= 0)
        return AM_OK;
    am_ensemble *e = am_calloc(1, sizeof *e);
    if (e == NULL)
        return nomem(err);
    e->n = s->n_variants;
    e->n_sets = s->n_facility_sets;
    e->n_cutoffs = s->n_cutoffs;
    e->cutoffs_min = s->cutoffs_min;
    e->u = am_calloc_array((size_t)e->n, sizeof *e->u);
    e->dist = am_calloc_array((size_t)e->n_sets, sizeof *e->dist);
    am_status rc = e->u != NULL && e->dist != NULL ? AM_OK : nomem(err);
    if (rc == AM_OK)
        rc = am_phase_begin(log, "variants", err);
    for (int i = 0; rc == AM_OK && i < e->n; i++) {
        am_variant_unit *u = &e->u[i];
        u->v = &s->variants[i];
        u->id = i;
        unit_fingerprint(m, sites, fp_scenario, u);
        unit_progress up;
        memset(&up, 0, sizeof up);
        up.run = log;
        snprintf(up.prefix, sizeof up.prefix, "variant %d/%d %s: ", i + 1, e->n,
                 u->v->name);
        am_phases ulog;
        memset(&ulog, 0, sizeof ulog);
        ulog.progress = unit_progress_fn;
        ulog.progress_user = &up;
        rc = unit_run(m, sites, mo, &ulog, u, err);
        am_phases_free(&ulog);
        if (rc != AM_OK && rc != AM_ERR_CANCELLED) {
            /* the step's own message, named by its unit */
            char msg[AM_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "variant '%s': %.900s", u->v->name,
                     err->msg);
            memcpy(err->msg, msg, sizeof err->msg);
            am_err_file_default(err, s->source_path);
        }
    }
    if (rc == AM_OK)
        rc = am_phase_end(log, "variants", err);
    if (rc == AM_OK && s->selection != NULL)
        rc = robust_choices(e, err);
    if (rc == AM_OK)
        rc = am_phase_begin(log, "variant distribution", err);
    for (int j = 0; rc == AM_OK && j < e->n_sets; j++)
        rc = set_distribution(m, e, j, results[j], err);
    if (rc == AM_OK)
        rc = am_phase_end(log, "distribution", err);
    if (rc != AM_OK) {
        am_ensemble_destroy(e);
        return rc;
    }
    *out = e;
    return AM_OK;
}

void am_ensemble_destroy(am_ensemble *e)
{
    if (e == NULL)
        return;
    for (int i = 0; e->u != NULL && i < e->n; i++) {
        am_variant_unit *u = &e->u[i];
        for (int j = 0; j < e->n_sets; j++) {
            if (u->results != NULL)
                am_results_destroy(u->results[j]);
            if (u->sites != NULL)
                am_free(u->sites[j]); /* shallow */
            if (u->real_sites != NULL)
                am_sites_destroy(u->real_sites[j]);
        }
        am_free(u->results);
        am_free(u->sites);
        am_free(u->real_sites);
        am_free(u->group);
        am_free(u->cutoffs);
        am_free(u->measures);
        am_free(u->pop_scaled);
        am_free(u->demand_scaled);
        for (int32_t k = 0; u->chosen_id != NULL && k < u->n_chosen; k++)
            am_free(u->chosen_id[k]);
        am_free(u->chosen_id);
        am_free(u->chosen_lon);
        am_free(u->chosen_lat);
    }
    am_free(e->u);
    am_free(e->robust_id);
    am_free(e->robust_lon);
    am_free(e->robust_lat);
    am_free(e->robust_count);
    am_free(e->robust_share);
    for (int j = 0; e->dist != NULL && j < e->n_sets; j++) {
        am_free(e->dist[j].stats);
        am_free(e->dist[j].cov);
        am_free(e->dist[j].qname);
        am_free(e->dist[j].zone);
        am_free(e->dist[j].qblock);
    }
    am_free(e->dist);
    am_free(e);
}

/* ---- the file's description ------------------------------------------- */

/* n bytes zeroed, owned by d (NULL when out of memory). */
static void *own(am_ensemble_desc *d, size_t n)
{
    if (d->n_owned == d->cap_owned) {
        int cap = d->cap_owned > 0 ? 2 * d->cap_owned : 64;
        void **v = am_realloc_array(d->owned, (size_t)cap, sizeof *v);
        if (v == NULL)
            return NULL;
        d->owned = v;
        d->cap_owned = cap;
    }
    void *p = am_calloc(1, n > 0 ? n : 1);
    if (p != NULL)
        d->owned[d->n_owned++] = p;
    return p;
}

static char *own_str(am_ensemble_desc *d, const char *s)
{
    char *p = own(d, strlen(s) + 1);
    if (p != NULL)
        memcpy(p, s, strlen(s) + 1);
    return p;
}

/* "15,30,60": the unit's cutoffs in minutes ("" : the baseline's). */
static void cutoffs_text(const am_variant *v, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < v->n_cutoffs && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%.10g", i > 0 ? "," : "",
                               v->cutoffs_min[i]);
}

static const char *const stat_name[AM_VARIANT_STATS] = {"min", "p10", "p50",
                                                        "p90", "max"};

am_status am_ensemble_describe(const am_ensemble *e, const am_model *m,
                               am_ensemble_desc *d, am_error *err)
{
    const am_scenario *s = m->s;
    memset(d, 0, sizeof *d);
    const int n = e->n;
    d->n_groups = 2 + n + e->n_sets + (s->selection != NULL);
    d->groups = own(d, (size_t)d->n_groups * sizeof *d->groups);
    int n_r = 0;
    for (int j = 0; j < e->n_sets; j++)
        n_r += e->dist[j].n_q * AM_VARIANT_STATS;
    d->rasters = own(d, (size_t)n_r * sizeof *d->rasters);
    if (d->groups == NULL || d->rasters == NULL)
        return nomem(err);
    /* /variants and its units table */
    am_rf_group *g = &d->groups[0];
    g->path = "/variants";
    am_rf_attr *ga = own(d, 2 * sizeof *ga);
    am_rf_table *ut = own(d, sizeof *ut);
    am_rf_column *uc = own(d, 10 * sizeof *uc);
    int64_t *selp = own(d, (size_t)n * sizeof *selp);
    char **names = own(d, (size_t)n * sizeof *names);
    char **fps = own(d, (size_t)n * sizeof *fps);
    char **cuts = own(d, (size_t)n * sizeof *cuts);
    int64_t *ids = own(d, (size_t)n * sizeof *ids);
    int64_t *reused = own(d, (size_t)n * sizeof *reused);
    double *sp = own(d, (size_t)n * sizeof *sp);
    double *pm = own(d, (size_t)n * sizeof *pm);
    double *th = own(d, (size_t)n * sizeof *th);
    double *ws = own(d, (size_t)n * sizeof *ws);
    if (ga == NULL || ut == NULL || uc == NULL || names == NULL ||
        fps == NULL || cuts == NULL || ids == NULL || reused == NULL ||
        sp == NULL || pm == NULL || th == NULL || ws == NULL || selp == NULL)
        return nomem(err);
    ga[0] = (am_rf_attr){"variants", AM_RF_COL_INT64, n, 0.0, NULL};
    ga[1] = (am_rf_attr){"order", AM_RF_COL_STRING, 0, 0.0,
                         "the list's variants, then the product's units "
                         "(last axis fastest)"};
    g->n_attrs = 2;
    g->attrs = ga;
    for (int i = 0; i < n; i++) {
        const am_variant_unit *u = &e->u[i];
        const am_variant *v = u->v;
        char ct[AM_MAX_CUTOFFS * 24];
        cutoffs_text(v, ct, sizeof ct);
        names[i] = (char *)v->name;
        fps[i] = (char *)u->fingerprint;
        if ((cuts[i] = own_str(d, ct)) == NULL)
            return nomem(err);
        ids[i] = u->id;
        reused[i] = u->reused_model;
        sp[i] = v->speed_multiplier > 0.0 ? v->speed_multiplier : 1.0;
        pm[i] = v->population_multiplier > 0.0 ? v->population_multiplier : 1.0;
        th[i] = v->threshold_min > 0.0 ? v->threshold_min : NAN;
        ws[i] = u->wall_s;
        selp[i] = v->selection_p;
        /* /variants/<name> */
        am_rf_group *vg = &d->groups[2 + i];
        char path[AM_NAME_MAX + 16];
        snprintf(path, sizeof path, "/variants/%s", v->name);
        am_rf_attr *va = own(d, 6 * sizeof *va);
        if ((vg->path = own_str(d, path)) == NULL || va == NULL)
            return nomem(err);
        va[0] = (am_rf_attr){"id", AM_RF_COL_INT64, u->id, 0.0, NULL};
        va[1] = (am_rf_attr){"fingerprint", AM_RF_COL_STRING, 0, 0.0,
                             u->fingerprint};
        va[2] =
            (am_rf_attr){"speed_multiplier", AM_RF_COL_DOUBLE, 0, sp[i], NULL};
        va[3] = (am_rf_attr){"population_multiplier", AM_RF_COL_DOUBLE, 0,
                             pm[i], NULL};
        va[4] = (am_rf_attr){"threshold_min", AM_RF_COL_DOUBLE, 0, th[i], NULL};
        va[5] = (am_rf_attr){"cutoffs_min", AM_RF_COL_STRING, 0, 0.0, cuts[i]};
        vg->n_attrs = 6;
        vg->attrs = va;
    }
    uc[0] = (am_rf_column){"variant", AM_RF_COL_STRING, names, NULL,
                           "the variant's name (its group)"};
    uc[1] = (am_rf_column){"id", AM_RF_COL_INT64, ids, NULL,
                           "the unit's id: its place in the run order"};
    uc[2] = (am_rf_column){"fingerprint", AM_RF_COL_STRING, fps, NULL,
                           "SHA-256 of the scenario, inputs and parameters"};
    uc[3] = (am_rf_column){"speed_multiplier", AM_RF_COL_DOUBLE, sp, "1",
                           "every road's speed times this"};
    uc[4] = (am_rf_column){"population_multiplier", AM_RF_COL_DOUBLE, pm, "1",
                           "every cell's population times this"};
    uc[5] = (am_rf_column){"threshold_min", AM_RF_COL_DOUBLE, th, "minutes",
                           "every measure's threshold; NaN: unchanged"};
    uc[6] = (am_rf_column){"cutoffs_min", AM_RF_COL_STRING, cuts, "minutes",
                           "the cutoffs; empty: the baseline's"};
    uc[7] = (am_rf_column){"reused_model", AM_RF_COL_INT64, reused, NULL,
                           "1: ran on the baseline's network and snapping"};
    uc[8] = (am_rf_column){"wall_s", AM_RF_COL_DOUBLE, ws, "s",
                           "the unit's wall time"};
    uc[9] = (am_rf_column){"selection_p", AM_RF_COL_INT64, selp, NULL,
                           "the selection's p; 0: unchanged"};
    *ut = (am_rf_table){.name = "units", .n_rows = n, .n_cols = 10, .cols = uc};
    g->n_tables = 1;
    g->tables = ut;
    /* /variants/distribution */
    am_rf_group *dg = &d->groups[1];
    am_rf_attr *da = own(d, 3 * sizeof *da);
    if (da == NULL)
        return nomem(err);
    dg->path = "/variants/distribution";
    da[0] = (am_rf_attr){"variants", AM_RF_COL_INT64, n, 0.0, NULL};
    da[1] = (am_rf_attr){"statistics", AM_RF_COL_STRING, 0, 0.0,
                         "min,p10,p50,p90,max"};
    da[2] = (am_rf_attr){"percentile", AM_RF_COL_STRING, 0, 0.0,
                         "nearest rank: the ceil(p n / 100)-th smallest of "
                         "the n variants' values"};
    dg->n_attrs = 3;
    dg->attrs = da;
    int r = 0;
    for (int j = 0; j < e->n_sets; j++) {
        const am_variant_dist *vd = &e->dist[j];
        const char *set = s->facility_sets[j].name;
        char path[3 * AM_NAME_MAX + 64];
        am_rf_group *sg = &d->groups[2 + n + j];
        snprintf(path, sizeof path, "/variants/distribution/%s", set);
        am_rf_table *ct = own(d, sizeof *ct);
        am_rf_column *cc = own(d, 6 * sizeof *cc);
        double *col[6];
        for (int k = 0; k < 6; k++)
            col[k] = own(d, (size_t)(e->n_cutoffs > 0 ? e->n_cutoffs : 1) *
                                sizeof(double));
        if ((sg->path = own_str(d, path)) == NULL || ct == NULL || cc == NULL ||
            col[0] == NULL || col[1] == NULL || col[2] == NULL ||
            col[3] == NULL || col[4] == NULL || col[5] == NULL)
            return nomem(err);
        for (int ci = 0; ci < e->n_cutoffs; ci++) {
            col[0][ci] = e->cutoffs_min[ci];
            for (int k = 0; k < AM_VARIANT_STATS; k++)
                col[1 + k][ci] = vd->cov[(size_t)ci * AM_VARIANT_STATS + k];
        }
        cc[0] = (am_rf_column){"cutoff_min", AM_RF_COL_DOUBLE, col[0],
                               "minutes", "the baseline's cutoff"};
        for (int k = 0; k < AM_VARIANT_STATS; k++) {
            char cn[48];
            snprintf(cn, sizeof cn, "population_within_%s", stat_name[k]);
            char *name = own_str(d, cn);
            if (name == NULL)
                return nomem(err);
            cc[1 + k] =
                (am_rf_column){name, AM_RF_COL_DOUBLE, col[1 + k], "persons",
                               "persons whose nearest facility is "
                               "within the cutoff, across variants"};
        }
        *ct = (am_rf_table){.name = "coverage",
                            .n_rows = e->n_cutoffs,
                            .n_cols = 6,
                            .cols = cc};
        sg->n_tables = 1;
        sg->tables = ct;
        if (vd->zone != NULL) {
            const int nl = s->n_zone_layers;
            am_rf_table *tabs = own(d, (size_t)(1 + nl) * sizeof *tabs);
            if (tabs == NULL)
                return nomem(err);
            tabs[0] = *ct;
            const am_equity *bq = vd->beq;
            for (int L = 0; L < nl; L++) {
                const int32_t r0 = bq->row_first[L], r1 = bq->row_first[L + 1];
                const int32_t nz = r1 - r0;
                const int ncol = 1 + vd->n_q * AM_VARIANT_STATS;
                am_rf_column *zc = own(d, (size_t)ncol * sizeof *zc);
                char tn[AM_NAME_MAX + 8];
                snprintf(tn, sizeof tn, "zones_%s", s->zone_layers[L].name);
                char *tname = own_str(d, tn);
                if (zc == NULL || tname == NULL)
                    return nomem(err);
                zc[0] = (am_rf_column){"zone", AM_RF_COL_STRING,
                                       m->eq_zones[L]->zone_id, NULL,
                                       "the zone's id in the layer"};
                for (int qq = 0; qq < vd->n_q; qq++)
                    for (int k = 0; k < AM_VARIANT_STATS; k++) {
                        char cn[160];
                        snprintf(cn, sizeof cn, "%s_mean_%s", vd->qname[qq],
                                 stat_name[k]);
                        double *col_v =
                            own(d, (size_t)(nz > 0 ? nz : 1) * sizeof(double));
                        char *cname = own_str(d, cn);
                        if (col_v == NULL || cname == NULL)
                            return nomem(err);
                        for (int32_t z = 0; z < nz; z++)
                            col_v[z] =
                                vd->zone[((size_t)(r0 + z) * (size_t)vd->n_q +
                                          (size_t)qq) *
                                             AM_VARIANT_STATS +
                                         k];
                        zc[1 + qq * AM_VARIANT_STATS + k] = (am_rf_column){
                            cname, AM_RF_COL_DOUBLE, col_v,
                            qq == 0 ? "minutes" : "1",
                            "the zone's population-weighted mean, across "
                            "variants"};
                    }
                tabs[1 + L] = (am_rf_table){
                    .name = tname, .n_rows = nz, .n_cols = ncol, .cols = zc};
            }
            sg->n_tables = 1 + nl;
            sg->tables = tabs;
        }
        const size_t n_cells = (size_t)e->u[0].results[j]->n_cells;
        for (int q = 0; q < vd->n_q; q++)
            for (int k = 0; k < AM_VARIANT_STATS; k++) {
                am_rf_raster *ra = &d->rasters[r++];
                char rp[4 * AM_NAME_MAX + 64], ln[AM_NAME_MAX + 96];
                snprintf(rp, sizeof rp, "%s/%s_%s", path, vd->qname[q],
                         stat_name[k]);
                snprintf(ln, sizeof ln, "%s of %s across the variants",
                         stat_name[k], vd->qname[q]);
                if ((ra->path = own_str(d, rp)) == NULL ||
                    (ra->long_name = own_str(d, ln)) == NULL)
                    return nomem(err);
                ra->units = q == 0 ? "minutes" : "1";
                ra->value =
                    vd->stats +
                    ((size_t)q * AM_VARIANT_STATS + (size_t)k) * n_cells;
                ra->unreached_minutes = q == 0;
            }
    }
    d->n_rasters = r;
    if (s->selection != NULL) { /* the robust choices */
        am_rf_group *sg = &d->groups[2 + n + e->n_sets];
        am_rf_table *tb = own(d, sizeof *tb);
        am_rf_column *cc = own(d, 5 * sizeof *cc);
        am_rf_attr *sa = own(d, sizeof *sa);
        if (tb == NULL || cc == NULL || sa == NULL)
            return nomem(err);
        sg->path = "/variants/distribution/selection";
        sa[0] = (am_rf_attr){"selection", AM_RF_COL_STRING, 0, 0.0,
                             s->selection->name};
        sg->n_attrs = 1;
        sg->attrs = sa;
        cc[0] = (am_rf_column){"id", AM_RF_COL_STRING, e->robust_id, NULL,
                               "the chosen site's id (its candidate)"};
        cc[1] = (am_rf_column){"lon", AM_RF_COL_DOUBLE, e->robust_lon,
                               "degrees_east", "WGS 84"};
        cc[2] = (am_rf_column){"lat", AM_RF_COL_DOUBLE, e->robust_lat,
                               "degrees_north", "WGS 84"};
        cc[3] =
            (am_rf_column){"variants_chosen", AM_RF_COL_INT64, e->robust_count,
                           NULL, "the variants that chose it"};
        cc[4] = (am_rf_column){"share", AM_RF_COL_DOUBLE, e->robust_share, "1",
                               "variants_chosen / variants"};
        *tb = (am_rf_table){
            .name = "chosen", .n_rows = e->n_robust, .n_cols = 5, .cols = cc};
        sg->n_tables = 1;
        sg->tables = tb;
    }
    return AM_OK;
}

void am_ensemble_desc_free(am_ensemble_desc *d)
{
    for (int i = 0; i < d->n_owned; i++)
        am_free(d->owned[i]);
    am_free(d->owned);
    memset(d, 0, sizeof *d);
}
