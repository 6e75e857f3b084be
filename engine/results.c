/*
 * results.c: what a scenario asks of one site set, in memory (see
 * accessim.h, am_results_*).
 *
 * Definitions:
 *  - t_ij = walk(cell i -> node) + drive(node -> site node)
 *           + walk(site node -> site), in whole deciseconds;
 *  - thresholds and cutoffs are inclusive (t <= d0);
 *  - nearest time and site and coverage come from one multi-source search
 *    to the largest cutoff (kernels/nearest.h), ties to the lowest site;
 *  - per-site catchments (kernels/catchment.h) go only as deep as the
 *    deepest measure's limit (its threshold or decay cutoff, which may
 *    exceed the largest cutoff; a smooth decay without cutoff is truncated
 *    at the largest cutoff), and are freed as soon as the measures are
 *    done;
 *  - every measure of the registry (engine/measure_registry.h) from the
 *    cell-facility pairs (kernels/fca.h), built once per set at that
 *    limit: one decay table and one am_fca_measure_run per measure, times
 *    demand -> facility.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "engine/diagnostics.h"
#include "engine/dist.h"
#include "engine/internal.h"
#include "engine/memory.h"
#include "engine/tiers.h"
#include "kernels/decay.h"
#include "kernels/fca.h"
#include "kernels/measures.h"
#include "kernels/nearest.h"
#include "outputs/results_file.h"

_Static_assert(AM_RESULTS_REACH_OK == AM_FCA_CELL_OK &&
                   AM_RESULTS_REACH_NONE == AM_FCA_CELL_NONE &&
                   AM_RESULTS_REACH_OFF == AM_FCA_CELL_OFF &&
                   AM_RF_REACH_NONE == AM_FCA_CELL_NONE &&
                   AM_RF_REACH_OFF == AM_FCA_CELL_OFF,
               "one encoding of the reach flags");

/*
 * Resolves every measure (engine/measure_registry.h) into r->plans and
 * returns the deepest limit: how far the catchments go.
 */
static am_status plan_measures(const am_scenario *s, am_results *r,
                               uint32_t *limit_ds, am_error *err)
{
    uint32_t lim = 0;
    const double largest = r->cutoffs_min[r->n_cutoffs - 1]; /* the set's */
    for (int m = 0; m < s->n_measures; m++) {
        am_status rc =
            am_measure_plan_of(&s->measures[m], largest, &r->plans[m], err);
        if (rc != AM_OK)
            return rc;
        if (!r->measure_on[m])
            continue; /* issue 9: not computed for this set */
        uint32_t t = am_minutes_to_ds(r->plans[m].limit_min);
        if (t > lim)
            lim = t;
    }
    *limit_ds = lim;
    return AM_OK;
}

/*
 * The access raster is float32 (docs/hdf5-layout.md): refuses a measure
 * whose values do not fit it (they would be written as +inf), naming the
 * set, the measure and the facility with the largest ratio R_j = S_j / D_j,
 * the usual cause (a huge capacity, or a tiny catchment population). The
 * facility table keeps doubles, but a result that is only right in one of
 * the two places is not a result. Rescaling silently would change the
 * unit the user asked for, so the run stops instead.
 */
static am_status check_access_range(const am_results *r, int m, am_error *err)
{
    const am_sites *f = r->sites;
    const int32_t n_fac = r->n_sites;
    const double *acc = r->access + (size_t)m * (size_t)r->n_cells;
    const double *ratio = r->site_ratio + (size_t)m * (size_t)n_fac;
    const double *dem = r->site_demand + (size_t)m * (size_t)n_fac;
    double worst = 0.0;
    if (r->plans[m].info->method == AM_FCA_NTH_NEAREST)
        return AM_OK; /* minutes; +inf: fewer than n within reach */
    for (int32_t i = 0; i < r->n_cells; i++) {
        double a = isnan(acc[i]) ? INFINITY : fabs(acc[i]);
        if (a > worst)
            worst = a;
    }
    if (worst <= FLT_MAX)
        return AM_OK;
    if (!r->plans[m].info->has_ratio)
        return am_error_set(
            err, AM_ERR_INVALID, f->path[0] != '\0' ? f->path : NULL,
            "set '%s', measure '%s': its values reach %.4g %s, beyond the "
            "float32 output's range (%.4g): check the capacities' unit and "
            "the decay's parameters",
            f->name, f->m->s->measures[m].name, worst, r->plans[m].info->units,
            FLT_MAX);
    int32_t j_max = 0;
    for (int32_t j = 1; j < n_fac; j++)
        if (!(ratio[j] <= ratio[j_max]))
            j_max = j;
    const am_facility_set *fac = f->fac;
    am_status rc = am_error_set(
        err, AM_ERR_INVALID, f->path[0] != '\0' ? f->path : NULL,
        "set '%s', measure '%s': its values reach %.4g %s, beyond the "
        "float32 output's range (%.4g); the largest ratio is facility id "
        "'%s' (capacity %.4g for a catchment population of %.4g): check the "
        "capacities' unit and the population raster",
        f->name, f->m->s->measures[m].name, worst, r->plans[m].info->units,
        FLT_MAX, fac->id[j_max], fac->capacity[j_max], dem[j_max]);
    am_error_set_feature(err, (long long)fac->fid[j_max]);
    return rc;
}

void am_results_destroy(am_results *r)
{
    if (r == NULL)
        return;
    am_free(r->cutoffs_min);
    am_free(r->pop_within);
    am_free(r->nearest_ds);
    am_free(r->nearest);
    am_free(r->site_demand);
    am_free(r->site_ratio);
    am_free(r->access);
    am_free(r->access_mean);
    am_free(r->access_median);
    am_free(r->flag);
    am_free(r->fac_no_demand);
    am_free(r->pop_none);
    am_free(r->plans);
    am_free(r->measure_on);
    am_free(r->mean_left_out);
    am_equity_destroy(r->equity);
    am_diagnostics_destroy(r->diag);
    am_cover_free(r);
    am_free(r);
}

static am_results *results_alloc(const am_model *m, const am_sites *f)
{
    const am_scenario *s = m->s;
    am_results *r = am_calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->sites = f;
    r->n_cells = m->demand->n_cells;
    r->n_sites = f->fac->n;
    /* issue 9, facility tiers: the set's own cutoffs and measures */
    const int set = f->scenario_set - 1;
    const double *cut = NULL;
    am_set_cutoffs(s, set, &r->n_cutoffs, &cut);
    r->n_measures = s->n_measures;
    const size_t nc = (size_t)r->n_cells, nf = (size_t)r->n_sites;
    const size_t nm = (size_t)r->n_measures;
    r->cutoffs_min = am_alloc_array((size_t)r->n_cutoffs, sizeof(double));
    r->pop_within = am_calloc_array((size_t)r->n_cutoffs, sizeof(double));
    r->nearest_ds = am_alloc_array(nc, sizeof *r->nearest_ds);
    r->nearest = am_alloc_array(nc, sizeof *r->nearest);
    r->site_demand = am_alloc_array(nf * nm, sizeof(double));
    r->site_ratio = am_alloc_array(nf * nm, sizeof(double));
    r->access = am_alloc_array(nc * nm, sizeof(double));
    r->access_mean = am_calloc_array(nm, sizeof(double));
    r->access_median = am_calloc_array(nm, sizeof(double));
    r->flag = am_alloc_array(nc * nm, sizeof *r->flag);
    r->fac_no_demand = am_calloc_array(nm, sizeof *r->fac_no_demand);
    r->pop_none = am_calloc_array(nm, sizeof *r->pop_none);
    r->plans = am_calloc_array(nm, sizeof *r->plans);
    r->measure_on = am_calloc_array(nm, sizeof *r->measure_on);
    r->mean_left_out = am_calloc_array(nm, sizeof *r->mean_left_out);
    if (!r->cutoffs_min || !r->pop_within || !r->nearest_ds || !r->nearest ||
        !r->site_demand || !r->site_ratio || !r->access || !r->access_mean ||
        !r->access_median || !r->flag || !r->fac_no_demand || !r->pop_none ||
        !r->plans || !r->mean_left_out) {
        am_results_destroy(r);
        return NULL;
    }
    if (r->measure_on == NULL) { /* issue 9, facility tiers */
        am_results_destroy(r);
        return NULL;
    }
    memcpy(r->cutoffs_min, cut, (size_t)r->n_cutoffs * sizeof(double));
    for (int k = 0; k < r->n_measures; k++)
        r->measure_on[k] = (uint8_t)am_set_measure_on(s, set, k);
    return r;
}

/* Nearest time and site per cell, and coverage per cutoff. */
static am_status nearest_and_coverage(const am_model *m, const am_sites *f,
                                      int threads, am_results *r, am_error *err)
{
    const int32_t n_nodes = m->graph_rev->n_nodes;
    const uint32_t limit = am_minutes_to_ds(r->cutoffs_min[r->n_cutoffs - 1]);
    uint32_t *node_ds = am_alloc_array((size_t)n_nodes, sizeof *node_ds);
    int32_t *node_site = am_alloc_array((size_t)n_nodes, sizeof *node_site);
    uint32_t *cut_ds = am_alloc_array((size_t)r->n_cutoffs, sizeof *cut_ds);
    am_status rc = AM_OK;
    if (node_ds == NULL || node_site == NULL || cut_ds == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory for the nearest-site search");
        goto done;
    }
    rc = am_nearest_nodes(m->graph_rev, r->n_sites, f->snap.node,
                          f->snap.offset_ds, limit, node_ds, node_site, err);
    if (rc == AM_OK)
        rc = am_nearest_cells(m->demand, node_ds, node_site, limit, threads,
                              r->nearest_ds, r->nearest, err);
    if (rc != AM_OK)
        goto done;
    for (int i = 0; i < r->n_cutoffs; i++)
        cut_ds[i] = am_minutes_to_ds(r->cutoffs_min[i]);
    rc = am_coverage_run(m->demand, r->nearest_ds, r->n_cutoffs, cut_ds,
                         r->pop_within, err);
done:
    am_free(node_ds);
    am_free(node_site);
    am_free(cut_ds);
    return rc;
}

/* The population-weighted mean and median of measure k (NaN skipped;
 * the n-th nearest time over the cells that reach n facilities, the
 * people on the network who do not counted in mean_left_out). */
static am_status measure_summary(const am_model *m, int threads, am_results *r,
                                 int k, am_error *err)
{
    const int32_t n_cells = r->n_cells;
    const double *v = r->access + (size_t)k * (size_t)n_cells;
    double *tmp = NULL;
    if (r->plans[k].info->method == AM_FCA_NTH_NEAREST) {
        tmp = am_alloc_array((size_t)n_cells, sizeof *tmp);
        if (tmp == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        const uint8_t *flag = r->flag + (size_t)k * (size_t)n_cells;
        double left = 0.0; /* in cell order */
        for (int32_t i = 0; i < n_cells; i++) {
            tmp[i] = isinf(v[i]) ? NAN : v[i];
            if (isinf(v[i]) && flag[i] != AM_FCA_CELL_OFF)
                left += m->pop->pop[i];
        }
        r->mean_left_out[k] = left;
        v = tmp;
    }
    am_status rc =
        am_weighted_summary(n_cells, v, m->pop->pop, threads,
                            &r->access_mean[k], &r->access_median[k]);
    am_free(tmp);
    if (rc != AM_OK)
        return am_error_set(err, rc, NULL, "out of memory");
    return AM_OK;
}

/* issue 9, diagnostics (engine/diagnostics.h): measure k's identities
 * and figures into r->diag (allocated at the first measure, with the
 * snap distances of the cells and the facilities). */
static am_status measure_diagnostics(const am_model *m, const am_sites *f,
                                     am_results *r, int k, int with_dem,
                                     int32_t no_demand, double pop_none,
                                     am_error *err)
{
    if (r->diag == NULL) {
        r->diag = am_calloc(1, sizeof *r->diag);
        if (r->diag == NULL ||
            (r->diag->m = am_calloc_array((size_t)r->n_measures,
                                          sizeof *r->diag->m)) == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        r->diag->n_measures = r->n_measures;
        am_status rc =
            am_diag_snap(r->n_cells, m->cell_snap.dist_m, m->demand->pop,
                         m->threads, &r->diag->cells, err);
        if (rc == AM_OK)
            rc = am_diag_snap(r->n_sites, f->snap.dist_m, NULL, m->threads,
                              &r->diag->facilities, err);
        if (rc != AM_OK)
            return rc;
    }
    const am_measure_plan *pl = &r->plans[k];
    const size_t nf = (size_t)r->n_sites, nc = (size_t)r->n_cells;
    am_diag_input in = {f->name,
                        m->s->measures[k].name,
                        pl->info->method,
                        am_measure_has_supply_identity(pl->info),
                        r->n_cells,
                        r->n_sites,
                        m->demand->pop,
                        r->access + (size_t)k * nc,
                        r->flag + (size_t)k * nc,
                        f->fac->capacity,
                        with_dem ? r->site_demand + (size_t)k * nf : NULL,
                        pl->info->has_ratio ? r->site_ratio + (size_t)k * nf
                                            : NULL,
                        no_demand,
                        pop_none};
    return am_diag_measure(&in, &r->diag->m[k], err);
}

/*
 * issue 9, capacity_coverage: what measures() does after each measure, and
 * its diagnostics: the split conserves the population (served + beyond
 * capacity + not in reach + off network = the populated cells' people)
 * and the cells' served persons are the facilities' (sum_i served_i =
 * sum_j min(D_j, k S_j)), and the demand allocated is the population
 * within reach of a facility that may take it (sum_j D_j = pop_takeable,
 * kernels/allocation.h: a collapse to "served 0" breaks it, the other
 * two not); any failing beyond rounding is a bug.
 */
static am_status cover_done(const am_model *m, const am_sites *f, int threads,
                            am_results *r, int k, am_error *err)
{
    const am_cover *c = r->cover[k];
    r->fac_no_demand[k] = -1;
    r->pop_none[k] = c->total_none;
    am_status rc = measure_diagnostics(m, f, r, k, 0, -1, c->total_none, err);
    if (rc != AM_OK)
        return rc;
    double pop = 0.0, fac = 0.0; /* in cell and facility order */
    for (int32_t i = 0; i < r->n_cells; i++)
        pop += m->demand->pop[i];
    for (int32_t j = 0; j < r->n_sites; j++)
        fac += c->served_fac[j];
    am_measure_diagnostics *d = &r->diag->m[k];
    const double tol =
        am_diag_tolerance((int64_t)r->n_cells + (int64_t)r->n_sites);
    double rel1 = 0.0, rel2 = 0.0;
    rc = am_diag_identity_check(f->name, m->s->measures[k].name,
                                "served + beyond capacity + not in reach + "
                                "off network = population",
                                c->total_served + c->total_beyond +
                                    c->total_none + c->total_off,
                                pop, tol, &rel1, err);
    if (rc == AM_OK)
        rc = am_diag_identity_check(f->name, m->s->measures[k].name,
                                    "sum_i served_i = sum_j min(D_j, k S_j)",
                                    c->total_served, fac, tol, &rel2, err);
    double rel3 = 0.0;
    if (rc == AM_OK)
        rc = am_diag_identity_check(f->name, m->s->measures[k].name,
                                    "sum_j D_j = population within reach of "
                                    "a facility that may take it",
                                    c->total_demand, c->pop_takeable, tol,
                                    &rel3, err);
    if (rc != AM_OK)
        return rc;
    d->identity = 1;
    d->relative_difference = fmax(fmax(rel1, rel2), rel3);
    d->tolerance = tol;
    return measure_summary(m, threads, r, k, err);
}

/* Every measure from the pairs (built here at limit_ds, freed). */
static am_status measures(const am_model *m, const am_sites *f, int threads,
                          const am_catchments *rows, uint32_t limit_ds,
                          am_results *r, am_error *err)
{
    const int32_t n_fac = r->n_sites, n_cells = r->n_cells;
    am_fca_pairs *pairs = NULL;
    double *w = am_alloc_array((size_t)limit_ds + 1, sizeof *w);
    if (w == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for a decay table of %lu entries",
                            (unsigned long)limit_ds + 1);
    am_status rc =
        am_fca_pairs_build(rows, m->demand, limit_ds, threads, &pairs, err);
    for (int k = 0; rc == AM_OK && k < r->n_measures; k++) {
        const am_measure_plan *pl = &r->plans[k];
        if (!r->measure_on[k]) { /* issue 9: not computed for this set */
            for (int32_t i = 0; i < n_cells; i++) {
                r->access[(size_t)k * (size_t)n_cells + (size_t)i] = NAN;
                r->flag[(size_t)k * (size_t)n_cells + (size_t)i] =
                    AM_FCA_CELL_OFF;
            }
            for (int32_t j = 0; j < n_fac; j++)
                r->site_demand[(size_t)k * (size_t)n_fac + (size_t)j] =
                    r->site_ratio[(size_t)k * (size_t)n_fac + (size_t)j] = NAN;
            r->access_mean[k] = r->access_median[k] = NAN;
            r->fac_no_demand[k] = -1;
            r->pop_none[k] = NAN;
            continue;
        }
        const uint32_t lim = am_minutes_to_ds(pl->limit_min);
        if (pl->info->method == AM_FCA_ALLOCATION) { /* engine/coverage.c */
            rc = am_cover_measure(m, f, pairs, k, threads, r, err);
            if (rc == AM_OK)
                rc = cover_done(m, f, threads, r, k, err);
            continue;
        }
        am_decay_table(&pl->decay, lim, w);
        am_fca_measure fm = {pl->info->method, w, lim, pl->alpha, pl->n};
        double *dem = r->site_demand + (size_t)k * (size_t)n_fac;
        double *ratio = r->site_ratio + (size_t)k * (size_t)n_fac;
        uint8_t *flag = r->flag + (size_t)k * (size_t)n_cells;
        /* spav's C_j too, for the diagnostics (then NaN, as written) */
        const int with_dem =
            pl->info->has_ratio || pl->info->method == AM_FCA_SPAV;
        am_fca_out o = {r->access + (size_t)k * (size_t)n_cells,
                        flag,
                        with_dem ? dem : NULL,
                        with_dem ? ratio : NULL,
                        0,
                        0};
        rc = am_fca_measure_run(&fm, pairs, f->fac->capacity, threads, &o, err);
        if (rc != AM_OK)
            break;
        r->fac_no_demand[k] = pl->info->has_ratio ? o.n_fac_no_demand : -1;
        double none = 0.0; /* in cell order */
        for (int32_t i = 0; i < n_cells; i++)
            if (flag[i] == AM_FCA_CELL_NONE)
                none += m->demand->pop[i];
        r->pop_none[k] = none;
        rc = check_access_range(r, k, err);
        if (rc == AM_OK) /* issue 9: identities, before spav's C_j goes */
            rc = measure_diagnostics(m, f, r, k, with_dem, r->fac_no_demand[k],
                                     none, err);
        if (!pl->info->has_ratio)
            for (int32_t j = 0; j < n_fac; j++)
                dem[j] = ratio[j] = NAN;
        if (rc == AM_OK)
            rc = measure_summary(m, threads, r, k, err);
    }
    am_fca_pairs_free(pairs);
    am_free(w);
    return rc;
}

/*
 * The catchment entries the memory cap leaves room for: the cap less the
 * model's estimate (everything but catchments and the measures' pairs),
 * less what the pairs hold that does not grow with the catchments (link
 * records, per-thread node arrays, the node rows' index; it also covers
 * the weighted median's 32 bytes a cell) and the decay table (8 bytes per
 * decisecond of the limit), at 6 or 8 bytes an entry plus what its copy in
 * the node rows takes (kernels/fca.h, am_fca_pairs_bytes). 0 (no budget)
 * when there is no cap.
 */
static int64_t catchment_budget(const am_model *m, int32_t n_sites, int threads,
                                uint32_t limit_ds)
{
    if (m->memory_cap == 0)
        return 0;
    const am_demand *d = m->demand;
    const int64_t n_links = d->first[d->n_nodes];
    const uint64_t fixed =
        (uint64_t)am_fca_pairs_bytes(n_sites, d->n_nodes, n_links, threads,
                                     limit_ds, 0) +
        8 * ((uint64_t)limit_ds + 1);
    const uint64_t per_key =
        (uint64_t)am_fca_pairs_bytes(n_sites, d->n_nodes, n_links, threads,
                                     limit_ds, 1) +
        8 * ((uint64_t)limit_ds + 1) - fixed;
    const uint64_t used = m->memory_estimate + fixed;
    if (used < m->memory_estimate || m->memory_cap <= used)
        return 1;
    const uint64_t per =
        (limit_ds <= AM_CATCHMENT_TIME16_MAX ? 6 : 8) + per_key;
    const uint64_t n = (m->memory_cap - used) / per;
    return n > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

am_status am_results_compute_logged(const am_model *m, const am_sites *f,
                                    int threads, am_phases *log,
                                    am_results **out, am_error *err)
{
    const am_scenario *s = m->s;
    am_catchments *rows = NULL;
    am_status rc;
    char name[sizeof log->v[0].name];
    const int many = s->n_facility_sets > 1;
    *out = NULL;
    if (threads <= 0)
        threads = m->threads;
    am_results *r = results_alloc(m, f);
    if (r == NULL) /* to the agreement the other ranks reach (issue 12) */
        return am_dist_gather_catchments(
            am_error_set(err, AM_ERR_NOMEM, NULL,
                         "out of memory for the results of set '%s'", f->name),
            0, &rows, 0, err);

    uint32_t limit = 0;
    int64_t budget = 0;
    rc = plan_measures(s, r, &limit, err);
    if (rc == AM_OK)
        rc = am_phase_begin(log, "computing catchments", err);
    if (rc == AM_OK) {
        /* issue 12: this rank's range of sites (all of them in one
         * process), then every rank's gathered in site order. Whatever
         * failed above goes to the gather's agreement: every rank reaches
         * it (engine/dist.h). */
        int32_t first = 0, count = 0;
        am_dist_range(r->n_sites, &first, &count);
        budget = catchment_budget(m, r->n_sites, threads, limit);
        const size_t at = (size_t)2 * (size_t)first;
        rc = am_catchments_compute(
            m->graph_rev, count, count > 0 ? f->snap.node + at : NULL,
            count > 0 && f->snap.offset_ds != NULL ? f->snap.offset_ds + at
                                                   : NULL,
            limit, m->demand_nodes, budget, threads, am_phase_progress, log,
            &rows, err);
        if (rc != AM_OK && err != NULL && err->feature >= 0)
            err->feature += first; /* the set's source index */
    }
    rc = am_dist_gather_catchments(rc, r->n_sites, &rows, budget, err);
    /* the budget's stop names the source reached (err->feature); a failed
     * allocation does not, and keeps its own message */
    if (rc == AM_ERR_NOMEM && budget > 0 && err != NULL && err->feature >= 0) {
        char capt[32];
        am_error_set(err, AM_ERR_NOMEM, f->path[0] != '\0' ? f->path : NULL,
                     "set '%s': its catchments to %g min do not fit in "
                     "what the memory cap of %s leaves for them (room for "
                     "%lld (cell node, time) pairs after the run's other "
                     "memory); lower the measure thresholds, split the "
                     "sites, or raise --max-memory",
                     f->name, am_ds_to_minutes(limit),
                     am_format_bytes(m->memory_cap, capt, sizeof capt),
                     (long long)budget);
    }
    if (rc != AM_OK)
        goto fail;
    snprintf(name, sizeof name, many ? "catchments[%s]" : "catchments",
             f->name);
    if ((rc = am_phase_end(log, name, err)) != AM_OK)
        goto fail;

    if ((rc = am_phase_begin(log, "computing measures", err)) != AM_OK)
        goto fail;
    rc = nearest_and_coverage(m, f, threads, r, err);
    if (rc == AM_OK)
        rc = measures(m, f, threads, rows, limit, r, err);
    am_catchments_destroy(rows);
    rows = NULL;
    if (rc == AM_OK) /* issue 9, overall and by zone */
        rc = am_equity_compute(m, threads, r, err);
    if (rc != AM_OK)
        goto fail;
    snprintf(name, sizeof name, many ? "measures[%s]" : "measures", f->name);
    if ((rc = am_phase_end(log, name, err)) != AM_OK)
        goto fail;
    *out = r;
    return AM_OK;
fail:
    am_catchments_destroy(rows);
    am_results_destroy(r);
    return rc;
}

am_status am_results_compute(const am_model *m, const am_sites *f, int threads,
                             am_results **out, am_error *err)
{
    if (out == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no results output");
    *out = NULL;
    if (m == NULL || f == NULL || f->m != m || m->reached < AM_STAGE_SNAP)
        return am_error_set(err, AM_ERR_USAGE, NULL,
                            "results need a built model and sites snapped "
                            "onto it");
    am_phases log;
    memset(&log, 0, sizeof log);
    am_status rc = am_results_compute_logged(m, f, threads, &log, out, err);
    am_phases_free(&log);
    return rc;
}

const uint32_t *am_results_nearest_ds(const am_results *r)
{
    return r != NULL ? r->nearest_ds : NULL;
}

const int32_t *am_results_nearest_site(const am_results *r)
{
    return r != NULL ? r->nearest : NULL;
}

const double *am_results_access(const am_results *r, int measure)
{
    if (r == NULL || measure < 0 || measure >= r->n_measures)
        return NULL;
    return r->access + (size_t)measure * (size_t)r->n_cells;
}

const double *am_results_site_demand(const am_results *r, int measure)
{
    if (r == NULL || measure < 0 || measure >= r->n_measures)
        return NULL;
    return r->site_demand + (size_t)measure * (size_t)r->n_sites;
}

const double *am_results_site_ratio(const am_results *r, int measure)
{
    if (r == NULL || measure < 0 || measure >= r->n_measures)
        return NULL;
    return r->site_ratio + (size_t)measure * (size_t)r->n_sites;
}

const uint8_t *am_results_reach(const am_results *r, int measure)
{
    if (r == NULL || measure < 0 || measure >= r->n_measures)
        return NULL;
    return r->flag + (size_t)measure * (size_t)r->n_cells;
}

int32_t am_results_sites_no_demand(const am_results *r, int measure)
{
    if (r == NULL || measure < 0 || measure >= r->n_measures ||
        r->fac_no_demand == NULL)
        return -1;
    return r->fac_no_demand[measure];
}

const am_measure_diagnostics *am_results_diagnostics(const am_results *r,
                                                     int measure)
{
    if (r == NULL || r->diag == NULL || measure < 0 || measure >= r->n_measures)
        return NULL;
    return &r->diag->m[measure];
}

const am_snap_diagnostics *am_results_snap(const am_results *r, int facilities)
{
    if (r == NULL || r->diag == NULL)
        return NULL;
    return facilities ? &r->diag->facilities : &r->diag->cells;
}

const double *am_results_coverage(const am_results *r, int *n_cutoffs)
{
    if (n_cutoffs != NULL)
        *n_cutoffs = r != NULL ? r->n_cutoffs : 0;
    return r != NULL ? r->pop_within : NULL;
}
