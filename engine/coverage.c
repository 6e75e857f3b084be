/*
 * coverage.c: the capacity_coverage measure of a site set (issue 9,
 * docs/coverage.md): the population split into served, within reach but
 * beyond capacity and not within reach, per cell and per facility, by
 * kernels/allocation.h from the set's cell-facility pairs. The measure's
 * value is the share of the cell's population served (0..1) with the
 * usual reach flags; the rest lives in r->cover[k].
 */
#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "engine/internal.h"
#include "kernels/allocation.h"
#include "kernels/decay.h"

static void cover_destroy(am_cover *c)
{
    if (c == NULL)
        return;
    am_free(c->served);
    am_free(c->beyond);
    am_free(c->none);
    am_free(c->demand);
    am_free(c->served_fac);
    am_free(c->excess);
    am_free(c->util);
    am_free(c);
}

void am_cover_free(am_results *r)
{
    if (r == NULL || r->cover == NULL)
        return;
    for (int k = 0; k < r->n_measures; k++)
        cover_destroy(r->cover[k]);
    am_free(r->cover);
    r->cover = NULL;
}

am_status am_cover_measure(const am_model *m, const am_sites *f,
                           const am_fca_pairs *pairs, int k, int threads,
                           am_results *r, am_error *err)
{
    const am_measure_plan *pl = &r->plans[k];
    const size_t nc = (size_t)(r->n_cells > 0 ? r->n_cells : 1);
    const size_t nf = (size_t)(r->n_sites > 0 ? r->n_sites : 1);
    const uint32_t lim = am_minutes_to_ds(pl->limit_min);
    if (r->cover == NULL) {
        r->cover = am_calloc_array((size_t)r->n_measures, sizeof *r->cover);
        if (r->cover == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    am_cover *c = am_calloc(1, sizeof *c);
    double *w = am_alloc_array((size_t)lim + 1, sizeof *w);
    if (c != NULL) {
        r->cover[k] = c;
        c->served = am_alloc_array(nc, sizeof(double));
        c->beyond = am_alloc_array(nc, sizeof(double));
        c->none = am_alloc_array(nc, sizeof(double));
        c->demand = am_alloc_array(nf, sizeof(double));
        c->served_fac = am_alloc_array(nf, sizeof(double));
        c->excess = am_alloc_array(nf, sizeof(double));
        c->util = am_alloc_array(nf, sizeof(double));
    }
    if (c == NULL || w == NULL || c->served == NULL || c->beyond == NULL ||
        c->none == NULL || c->demand == NULL || c->served_fac == NULL ||
        c->excess == NULL || c->util == NULL) {
        am_free(w);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the capacity coverage of set "
                            "'%s'",
                            f->name);
    }
    am_decay_table(&pl->decay, lim, w);
    am_alloc_params a = {pl->allocation == AM_ALLOCATION_PROPORTIONAL
                             ? AM_ALLOC_PROPORTIONAL
                             : AM_ALLOC_FIXED_POINT,
                         w,
                         lim,
                         pl->persons_per_capacity,
                         0.0,
                         0};
    am_alloc_out o;
    memset(&o, 0, sizeof o);
    o.share = r->access + (size_t)k * (size_t)r->n_cells;
    o.flag = r->flag + (size_t)k * (size_t)r->n_cells;
    o.served = c->served;
    o.beyond = c->beyond;
    o.none = c->none;
    o.fac_demand = c->demand;
    o.fac_served = c->served_fac;
    o.fac_excess = c->excess;
    o.fac_util = c->util;
    am_status rc = am_alloc_run(&a, pairs, f->fac->capacity, threads, &o, err);
    am_free(w);
    if (rc != AM_OK)
        return rc;
    c->total_served = o.total_served;
    c->total_beyond = o.total_beyond;
    c->total_none = o.total_none;
    c->total_off = o.total_off;
    c->total_demand = o.total_demand;
    c->pop_takeable = o.pop_takeable;
    c->iterations = o.iterations;
    c->residual = o.residual;
    c->converged = o.converged;
    c->fac_no_demand = o.n_fac_no_demand;
    if (!o.converged)
        am_warn(m->warn,
                "set '%s', measure '%s': the capacity-constrained allocation "
                "did not converge in %d rounds (residual %.2g, tolerance "
                "%g); the allocation of the last round is written",
                f->name, m->s->measures[k].name, o.iterations, o.residual,
                AM_ALLOC_TOLERANCE);
    /* the registry's D_j / ratio columns are not this measure's: NaN */
    double *dem = r->site_demand + (size_t)k * (size_t)r->n_sites;
    double *ratio = r->site_ratio + (size_t)k * (size_t)r->n_sites;
    for (int32_t j = 0; j < r->n_sites; j++)
        dem[j] = ratio[j] = NAN;
    return AM_OK;
}

int am_results_capacity_coverage(const am_results *r, int measure,
                                 am_capacity_coverage *out)
{
    if (r == NULL || out == NULL || measure < 0 || measure >= r->n_measures ||
        r->cover == NULL || r->cover[measure] == NULL)
        return 0;
    const am_cover *c = r->cover[measure];
    const am_measure_plan *pl = &r->plans[measure];
    memset(out, 0, sizeof *out);
    out->served = c->served;
    out->beyond = c->beyond;
    out->none = c->none;
    out->site_demand = c->demand;
    out->site_served = c->served_fac;
    out->site_excess = c->excess;
    out->site_utilisation = c->util;
    out->total_served = c->total_served;
    out->total_beyond = c->total_beyond;
    out->total_none = c->total_none;
    out->total_off = c->total_off;
    out->iterations = c->iterations;
    out->residual = c->residual;
    out->converged = c->converged;
    out->persons_per_capacity = pl->persons_per_capacity;
    out->allocation = pl->allocation;
    return 1;
}

am_status am_cover_summary(const am_results *res, am_set_summary *ss)
{
    const int n = res->n_measures;
    if (res->cover == NULL)
        return AM_OK;
    const size_t nm = (size_t)(n > 0 ? n : 1);
    ss->cov_served = am_alloc_array(nm, sizeof(double));
    ss->cov_beyond = am_alloc_array(nm, sizeof(double));
    ss->cov_none = am_alloc_array(nm, sizeof(double));
    ss->cov_off = am_alloc_array(nm, sizeof(double));
    ss->cov_residual = am_alloc_array(nm, sizeof(double));
    ss->cov_iterations = am_alloc_array(nm, sizeof(int32_t));
    ss->cov_converged = am_alloc_array(nm, sizeof(int32_t));
    ss->cov_persons_per_capacity = am_alloc_array(nm, sizeof(double));
    ss->cov_allocation = am_alloc_array(nm, sizeof(char *));
    if (ss->cov_served == NULL || ss->cov_beyond == NULL ||
        ss->cov_none == NULL || ss->cov_off == NULL ||
        ss->cov_residual == NULL || ss->cov_iterations == NULL ||
        ss->cov_converged == NULL || ss->cov_persons_per_capacity == NULL ||
        ss->cov_allocation == NULL) {
        am_cover_summary_free(ss);
        return AM_ERR_NOMEM;
    }
    for (int k = 0; k < n; k++) {
        const am_cover *c = res->cover[k];
        ss->cov_served[k] = c != NULL ? c->total_served : NAN;
        ss->cov_beyond[k] = c != NULL ? c->total_beyond : NAN;
        ss->cov_none[k] = c != NULL ? c->total_none : NAN;
        ss->cov_off[k] = c != NULL ? c->total_off : NAN;
        ss->cov_residual[k] = c != NULL ? c->residual : NAN;
        ss->cov_iterations[k] = c != NULL ? c->iterations : -1;
        ss->cov_converged[k] = c != NULL ? c->converged : -1;
        ss->cov_persons_per_capacity[k] =
            c != NULL ? res->plans[k].persons_per_capacity : NAN;
        ss->cov_allocation[k] =
            c != NULL ? am_allocation_name(res->plans[k].allocation) : NULL;
    }
    return AM_OK;
}

void am_cover_summary_free(am_set_summary *ss)
{
    am_free(ss->cov_served);
    am_free(ss->cov_beyond);
    am_free(ss->cov_none);
    am_free(ss->cov_off);
    am_free(ss->cov_residual);
    am_free(ss->cov_iterations);
    am_free(ss->cov_converged);
    am_free(ss->cov_persons_per_capacity);
    am_free(ss->cov_allocation);
    ss->cov_persons_per_capacity = NULL;
    ss->cov_allocation = NULL;
    ss->cov_served = ss->cov_beyond = ss->cov_none = ss->cov_off = NULL;
    ss->cov_residual = NULL;
    ss->cov_iterations = ss->cov_converged = NULL;
}
