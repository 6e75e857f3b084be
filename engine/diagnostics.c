/*
 * diagnostics.c: the identities and figures of a run's measures (see
 * diagnostics.h for the definitions, the papers and the tolerance).
 */
#include "engine/diagnostics.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "kernels/equity.h"

/* Neumaier's compensated sum (Neumaier 1974, "Rundungsfehleranalyse
 * einiger Verfahren zur Summation endlicher Summen", ZAMM 54:39-51):
 * a few ulps whatever the number of terms, in the order added. */
typedef struct ksum {
    double s, c;
} ksum;

static void ksum_add(ksum *k, double v)
{
    double t = k->s + v;
    if (fabs(k->s) >= fabs(v))
        k->c += (k->s - t) + v;
    else
        k->c += (v - t) + k->s;
    k->s = t;
}

static double ksum_value(const ksum *k)
{
    return k->s + k->c;
}

double am_diag_tolerance(int64_t n_terms)
{
    double t = 4.0 * DBL_EPSILON * (double)(n_terms > 0 ? n_terms : 0);
    return t > AM_DIAG_REL_TOL ? t : AM_DIAG_REL_TOL;
}

am_status am_diag_identity_check(const char *set, const char *measure,
                                 const char *what, double lhs, double rhs,
                                 double tol, double *rel, am_error *err)
{
    const double scale = fmax(fabs(lhs), fabs(rhs));
    const double diff = fabs(lhs - rhs);
    const double r = scale > 0.0 ? diff / scale : (diff == 0.0 ? 0.0 : NAN);
    if (rel != NULL)
        *rel = r;
    if (r <= tol) /* false for NaN: a NaN sum is a failure */
        return AM_OK;
    return am_error_set(err, AM_ERR_INTERNAL, NULL,
                        "set '%s', measure '%s': identity %s fails: %.17g "
                        "against %.17g (relative difference %.3g, tolerance "
                        "%.3g); this is a bug in accessim, please report it "
                        "with the scenario",
                        set != NULL ? set : "?",
                        measure != NULL ? measure : "?", what, lhs, rhs, r,
                        tol);
}

static void diag_nan(am_measure_diagnostics *o)
{
    memset(o, 0, sizeof *o);
    o->sum_pa = o->sum_supply_demand = o->supply_kept = NAN;
    o->relative_difference = o->tolerance = NAN;
    o->sum_demand = o->pop_reached = o->demand_inflation = NAN;
    o->bfca_sum_access = o->bfca_sum_ratio = o->bfca_sum_supply = NAN;
}

/* Records the check (the largest relative difference so far). */
static am_status check(const am_diag_input *in, const char *what, double lhs,
                       double rhs, am_measure_diagnostics *o, am_error *err)
{
    double rel = 0.0;
    am_status rc = am_diag_identity_check(in->set, in->measure, what, lhs, rhs,
                                          o->tolerance, &rel, err);
    if (isnan(o->relative_difference) || !(rel <= o->relative_difference))
        o->relative_difference = rel;
    return rc;
}

am_status am_diag_measure(const am_diag_input *in, am_measure_diagnostics *o,
                          am_error *err)
{
    diag_nan(o);
    o->pop_no_reach = in->pop_none;
    o->facilities_no_demand = in->fac_no_demand;
    const int32_t nc = in->n_cells, nf = in->n_fac;
    const am_fca_method meth = in->method;
    ksum reached = {0, 0};
    for (int32_t i = 0; i < nc; i++)
        if (in->flag[i] == AM_FCA_CELL_OK)
            ksum_add(&reached, in->pop[i]);
    o->pop_reached = ksum_value(&reached);
    if (meth == AM_FCA_GRAVITY || meth == AM_FCA_NTH_NEAREST ||
        in->demand == NULL)
        return AM_OK; /* no supply to preserve */

    /* supply with demand in reach, D_j > 0 (spav: C_j > 0) */
    ksum s = {0, 0}, dem = {0, 0}, ratio = {0, 0}, rd = {0, 0};
    for (int32_t j = 0; j < nf; j++) {
        if (!(in->demand[j] > 0.0))
            continue;
        ksum_add(&s, in->supply[j]);
        ksum_add(&dem, in->demand[j]);
        if (in->ratio != NULL) {
            ksum_add(&ratio, in->ratio[j]);
            ksum_add(&rd, in->ratio[j] * in->demand[j]);
        }
    }
    o->sum_supply_demand = ksum_value(&s);
    /* sum P A (spav: the cell's value is already the supply it gets) */
    ksum pa = {0, 0}, a = {0, 0};
    for (int32_t i = 0; i < nc; i++) {
        ksum_add(&pa, meth == AM_FCA_SPAV ? in->access[i]
                                          : in->pop[i] * in->access[i]);
        ksum_add(&a, in->access[i]);
    }
    o->sum_pa = ksum_value(&pa);
    /* BFCA's A_i is a share of R_j, not per person: sum P A is no part of
       the supply (NaN; its own identities below) */
    o->supply_kept = o->sum_supply_demand > 0.0 && meth != AM_FCA_BFCA
                         ? o->sum_pa / o->sum_supply_demand
                         : NAN;
    if (meth != AM_FCA_SPAV) {
        o->sum_demand = ksum_value(&dem);
        o->demand_inflation =
            o->pop_reached > 0.0 ? o->sum_demand / o->pop_reached : NAN;
    }
    o->tolerance = am_diag_tolerance((int64_t)nc + (int64_t)nf);
    am_status rc = AM_OK;
    if (in->supply_identity || meth == AM_FCA_SPAV) {
        o->identity = 1;
        o->relative_difference = NAN;
        rc = check(in,
                   meth == AM_FCA_SPAV ? "sum_i V_i = sum_{j: C_j > 0} S_j"
                                       : "sum_i P_i A_i = sum_{j: D_j > 0} S_j",
                   o->sum_pa, o->sum_supply_demand, o, err);
    } else if (meth == AM_FCA_BFCA) {
        o->identity = 1;
        o->relative_difference = NAN;
        o->bfca_sum_access = ksum_value(&a);
        o->bfca_sum_ratio = ksum_value(&ratio);
        o->bfca_sum_supply = ksum_value(&rd);
        rc = check(in, "sum_j D_j = population within reach (balanced FCA)",
                   o->sum_demand, o->pop_reached, o, err);
        if (rc == AM_OK)
            rc = check(in, "sum_i A_i = sum_{j: D_j > 0} R_j (balanced FCA)",
                       o->bfca_sum_access, o->bfca_sum_ratio, o, err);
        if (rc == AM_OK)
            rc =
                check(in, "sum_j R_j D_j = sum_{j: D_j > 0} S_j (balanced FCA)",
                      o->bfca_sum_supply, o->sum_supply_demand, o, err);
    } else {
        o->tolerance = NAN; /* M2SFCA: nothing to hold */
    }
    return rc;
}

am_status am_diag_snap(int32_t n, const double *dist_m, const double *w,
                       int threads, am_snap_diagnostics *out, am_error *err)
{
    memset(out, 0, sizeof *out);
    out->median_m = out->p90_m = out->p99_m = out->max_m = NAN;
    double *ones = NULL;
    if (w == NULL && n > 0) {
        if ((ones = am_alloc_array((size_t)n, sizeof *ones)) == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL,
                                "out of memory for the snap distances");
        for (int32_t i = 0; i < n; i++)
            ones[i] = 1.0;
        w = ones;
    }
    ksum tw = {0, 0}, bw = {0, 0};
    for (int32_t i = 0; i < n; i++) {
        if (isnan(dist_m[i]) || !(w[i] > 0.0))
            continue;
        out->n++;
        ksum_add(&tw, w[i]);
        if (dist_m[i] > AM_SNAP_FAR_M) {
            out->beyond_n++;
            ksum_add(&bw, w[i]);
        }
    }
    out->weight = ksum_value(&tw);
    out->beyond_weight = ksum_value(&bw);
    am_status rc = AM_OK;
    if (out->n > 0) {
        static const double pct[3] = {50.0, 90.0, 99.0};
        double q[3];
        am_equity_spec spec;
        memset(&spec, 0, sizeof spec);
        spec.n_pct = 3;
        spec.pct = pct;
        am_equity_stats st;
        rc = am_equity_run(n, dist_m, w, NULL, NULL, 1, &spec, threads, &st, q,
                           NULL, NULL, err);
        if (rc == AM_OK) {
            out->median_m = q[0];
            out->p90_m = q[1];
            out->p99_m = q[2];
            out->max_m = st.max;
        }
    }
    am_free(ones);
    return rc;
}

void am_diagnostics_destroy(am_diagnostics *d)
{
    if (d == NULL)
        return;
    am_free(d->m);
    am_free(d);
}
