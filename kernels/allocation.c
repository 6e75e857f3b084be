/*
 * allocation.c: capacity-aware coverage independent of order (see
 * allocation.h; docs/coverage.md has the same formulas for users).
 *
 * Notation as kernels/fca.c: t_ij cell i's time to facility j at its best
 * link, f_ij = w[t_ij] the decay weight (0: not within reach), P_i the
 * cell's population, S_j the capacity, k persons_per_capacity, so that
 * facility j can serve K_j = k S_j persons.
 *
 * Every cell splits its population over the facilities within reach by
 * shares
 *     a_ij = f_ij g_j / sum_l f_il g_l
 * where g_j in [0, 1] is the facility's attractiveness; the demand
 * allocated to a facility is D_j = sum_i P_i a_ij, of which it serves the
 * part sigma_j = min(1, K_j / D_j) (1 when D_j = 0); cell i's served share
 * is sum_j a_ij sigma_j, its served persons P_i sum_j a_ij sigma_j, the
 * rest of its population within reach but beyond capacity. Facility j
 * serves min(D_j, K_j) persons and leaves max(0, D_j - K_j) unserved.
 *
 *  proportional: g_j = 1 for every facility, so that a_ij = f_ij /
 *    sum_l f_il are the balanced FCA shares of Paez, Higgins & Vivona
 *    (2019, "Demand and level of service inflation in Floating Catchment
 *    Area (FCA) methods", PLOS ONE 14(6):e0218773): nobody's demand is
 *    counted twice, sum_j D_j = the population within reach. One pass.
 *    A facility with zero capacity takes its share and serves none of it.
 *  fixed_point: people turn away from facilities that cannot serve them.
 *    g is the fixed point of g_j = G_j(g), G_j(g) = min(1, K_j / D_j(g))
 *    (1 when D_j(g) = 0; 0 when K_j = 0): a facility's attractiveness is
 *    the chance that a person allocated to it is served. Facilities with
 *    room keep g_j = 1; a full one is weighted by the share it can serve,
 *    so that demand flows toward facilities with room, in proportion to
 *    f_ij. The iteration starts at g = 1 (0 for K_j = 0) and updates every
 *    facility at once (Jacobi), damped geometrically:
 *        g_j <- sqrt(g_j G_j(g))
 *    until the largest relative change max_j |g'_j - g_j| / g_j falls
 *    below the tolerance (default 1e-9), or the iteration cap (default
 *    1000) is reached (reported: iterations, residual, converged). The
 *    damping keeps the plain iteration g <- G(g) from oscillating (a full
 *    facility's G falls as its g rises); in log g the damped map is a
 *    contraction with factor 1/2 (its Jacobian rows are M_j / 2, M
 *    row-stochastic, or e_j / 2: docs/coverage.md), so the fixed point is
 *    unique and the change at least halves every round. The balancing of the
 * shares by a per-destination factor follows the balancing factors of spatial
 *    interaction models (Wilson 1967, "A statistical theory of spatial
 *    distribution models", Transportation Research 1:253-269), with the
 *    destination constraint an upper bound (the capacity) rather than an
 *    equality.
 *
 * Order independence: AccessMod's scaling-up analysis serves facilities
 * one after another, each taking the population left by the ones before,
 * so the answer depends on their order. Here every round treats all
 * facilities at once, and every sum is computed in an order that does not
 * depend on the facilities' numbering: per facility over its catchment
 * (kernels/fca.h colsum: cells in catchment order), per cell over its
 * facilities' terms sorted by value (equal terms are equal bits, so any
 * order of the facility rows gives the same sequence of additions). Per
 * cell results are byte-identical for any order of the facility rows and
 * any thread count (each cell and each facility written by one task).
 *
 * Edge cases: a cell on the network with no f_ij > 0 has nothing within
 * reach (flag NONE, share 0, its population "not within reach"); an
 * off-network cell has flag OFF, share 0, and its population counts in
 * total_off only; a cell whose facilities within reach all have zero
 * capacity (fixed_point: all g_j = 0) is within reach and served 0; a
 * facility with no demand allocated has D_j = 0, serves 0, utilisation 0
 * (NaN when K_j = 0), counted in n_fac_no_demand.
 *
 * Scaling. Only ratios of the terms f_ij g_j matter (a_ij, and D_j,
 * which is invariant under g -> a g), but g_j itself is absolute: a
 * facility whose capacity is tiny next to its demand (k S_j / D_j =
 * 1e-164 with persons_per_capacity 1e-160) ends with g_j near K_j / D_j,
 * and the plain products underflowed: f g sigma (about (K/D)^2) to 0, so
 * that everybody read "served 0" (a collapse the cells' and facilities'
 * served totals, both 0, did not show). So g is scaled by a power of two
 * to a largest in [0.5, 1) for the demand, each cell's terms by their own
 * (largest in [0.5, 1)) before the sums and sigma_j, and the damped
 * update takes sqrt(g) sqrt(G) when g G is below DBL_MIN. Scaling by a
 * power of two is exact for normal numbers, so ordinary runs keep their
 * bits. The run also reports the identity sum_j D_j = the population of
 * the cells within reach of a facility that may take people (any for
 * proportional, K_j > 0 for fixed_point), which a collapse of the
 * demand breaks (engine/results.c checks it).
 *
 * Memory: 17 bytes a cell (two sums, a flag) and per thread 40 bytes a
 * facility,
 * plus what am_fca_colsum holds.
 */
#include "kernels/allocation.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "kernels/parallel.h"

/* Per-thread scratch: a cell's facilities, times and terms. */
typedef struct alloc_buf {
    int32_t *fac;
    uint32_t *t;
    double *x;
    uint64_t *k0, *k1; /* sorting scratch */
} alloc_buf;

/*
 * x[0..n) (finite, >= +0) in ascending order. Such doubles order as their
 * bit patterns do, so an LSD radix sort on the 8 bytes (skipping a byte
 * all keys share) sorts them; insertion sort for short lists. k0, k1:
 * scratch of n keys.
 */
static void sort_nonneg(double *x, int32_t n, uint64_t *k0, uint64_t *k1)
{
    if (n <= 48) {
        for (int32_t a = 1; a < n; a++) {
            const double v = x[a];
            int32_t b = a;
            while (b > 0 && x[b - 1] > v) {
                x[b] = x[b - 1];
                b--;
            }
            x[b] = v;
        }
        return;
    }
    memcpy(k0, x, (size_t)n * sizeof *k0);
    for (int sh = 0; sh < 64; sh += 8) {
        int32_t count[257];
        memset(count, 0, sizeof count);
        for (int32_t a = 0; a < n; a++)
            count[((k0[a] >> sh) & 0xFFu) + 1]++;
        if (count[((k0[0] >> sh) & 0xFFu) + 1] == n)
            continue; /* every key has this byte */
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (int32_t a = 0; a < n; a++)
            k1[count[(k0[a] >> sh) & 0xFFu]++] = k0[a];
        uint64_t *t = k0;
        k0 = k1;
        k1 = t;
    }
    memcpy(x, k0, (size_t)n * sizeof *k0);
}

/* The sum of x[0..n) in ascending order of value (x is sorted here):
 * the same bits for any permutation of x. */
static double sorted_sum(double *x, int32_t n, alloc_buf *b)
{
    sort_nonneg(x, n, b->k0, b->k1);
    double s = 0.0;
    for (int32_t k = 0; k < n; k++)
        s += x[k];
    return s;
}

/* The exponent e of x = m 2^e, m in [0.5, 1) (0 for x = 0 or not
 * finite): dividing by 2^e is exact for normal numbers. */
static int scale_exponent(double x)
{
    int e = 0;
    if (x > 0.0 && isfinite(x))
        (void)frexp(x, &e);
    return e;
}

/*
 * Cell i, its terms scaled by a power of two 2^-e_i (*e_out = e_i, the
 * exponent of its largest f_ij g_j): *tg = 2^-e_i sum_j f_ij g_j and
 * (when tf != NULL) *tf = sum_j f_ij, *ns = 2^-e_i sum_j (f_ij g_j)
 * sigma_j, each over the terms sorted by value. Returns the number of
 * the cell's facilities, kept in b->fac, b->t.
 */
static int32_t cell_sums(const am_fca_pairs *p, int32_t i, uint32_t L,
                         const double *w, const double *g, const double *sigma,
                         alloc_buf *b, double *tg, double *tf, double *ns,
                         int *e_out)
{
    const int32_t n = am_fca_cell_facilities(p, i, L, b->fac, b->t);
    double top = 0.0;
    for (int32_t k = 0; k < n; k++) {
        b->x[k] = w[b->t[k]] * g[b->fac[k]];
        if (b->x[k] > top)
            top = b->x[k];
    }
    /* the cell's terms scaled by a power of two to a largest in [0.5, 1):
       the ratios asked of them (ns / tg) keep their bits, and a term times
       a tiny sigma_j no longer underflows (scaling the header describes) */
    const int e = scale_exponent(top);
    if (e != 0)
        for (int32_t k = 0; k < n; k++)
            b->x[k] = ldexp(b->x[k], -e);
    if (e_out != NULL)
        *e_out = e;
    if (ns != NULL) {
        /* terms in facility order (before sorting) */
        double *y = b->x + n;
        for (int32_t k = 0; k < n; k++)
            y[k] = b->x[k] * sigma[b->fac[k]];
        *ns = sorted_sum(y, n, b);
    }
    *tg = sorted_sum(b->x, n, b);
    if (tf != NULL) {
        for (int32_t k = 0; k < n; k++)
            b->x[k] = w[b->t[k]];
        *tf = sorted_sum(b->x, n, b);
    }
    return n;
}

static am_status check_args(const am_alloc_params *a, const am_fca_pairs *p,
                            const double *supply, am_error *err)
{
    if (a->method != AM_ALLOC_PROPORTIONAL && a->method != AM_ALLOC_FIXED_POINT)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "allocation: unknown method %d", (int)a->method);
    if (!(isfinite(a->persons_per_capacity) && a->persons_per_capacity > 0.0))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "allocation: persons_per_capacity must be a "
                            "finite number > 0 (got %g)",
                            a->persons_per_capacity);
    if (a->tolerance != 0.0 && !(isfinite(a->tolerance) && a->tolerance > 0.0))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "allocation: tolerance must be > 0 (got %g)",
                            a->tolerance);
    if (a->max_iterations < 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "allocation: max_iterations must be >= 1 (got "
                            "%d)",
                            a->max_iterations);
    if (a->limit_ds > am_fca_pairs_limit(p))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "allocation: the limit %lu ds exceeds the pairs' "
                            "%lu ds",
                            (unsigned long)a->limit_ds,
                            (unsigned long)am_fca_pairs_limit(p));
    if (a->w == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "allocation: NULL decay table");
    for (uint32_t t = 0;; t++) {
        if (!isfinite(a->w[t]) || a->w[t] < 0.0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "allocation: decay weight %g at %lu ds; "
                                "expected a finite number >= 0",
                                a->w[t], (unsigned long)t);
        if (t == a->limit_ds)
            break;
    }
    const int32_t n_fac = am_fca_pairs_n_fac(p);
    for (int32_t j = 0; j < n_fac; j++)
        if (!isfinite(supply[j]) || supply[j] < 0.0) {
            am_status rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                        "allocation: facility supply %ld is "
                                        "%g; expected a finite number >= 0",
                                        (long)j, supply[j]);
            am_error_set_feature(err, j);
            return rc;
        }
    return AM_OK;
}

/* T_i = sum_j f_ij g_j for every cell, then c_i = P_i / T_i (0 when T_i
 * = 0) and D_j = g_j sum_i c_i f_ij. D is invariant under g -> a g, so g
 * is first scaled by a power of two to a largest in [0.5, 1) (gs), and
 * every T_i by its own (cell_sums): exact for normal numbers, and a g
 * that became tiny (k S_j tiny next to D_j) neither underflows T_i to 0
 * nor overflows c_i. gs: scratch [n_fac]. */
static am_status demand_of(const am_fca_pairs *p, uint32_t L,
                           const double *wfull, const double *g,
                           alloc_buf *bufs, int nt, double *gs, double *T,
                           double *c, double *D, am_error *err)
{
    const am_demand *d = am_fca_pairs_demand(p);
    const int32_t n_cells = d->n_cells, n_fac = am_fca_pairs_n_fac(p);
    double top = 0.0;
    for (int32_t j = 0; j < n_fac; j++)
        if (g[j] > top)
            top = g[j];
    const int eg = scale_exponent(top);
    for (int32_t j = 0; j < n_fac; j++)
        gs[j] = ldexp(g[j], -eg);
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(p, L, wfull, gs, bufs, T, c, d, n_cells)
    {
        alloc_buf *b = &bufs[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 64)
        for (int32_t i = 0; i < n_cells; i++) {
            int e = 0;
            cell_sums(p, i, L, wfull, gs, NULL, b, &T[i], NULL, NULL, &e);
            c[i] = T[i] > 0.0 ? ldexp(d->pop[i] / T[i], -e) : 0.0;
        }
    }
    am_status rc = am_fca_colsum(p, c, wfull, nt, D, err);
    if (rc != AM_OK)
        return rc;
    for (int32_t j = 0; j < n_fac; j++)
        D[j] = gs[j] > 0.0 ? gs[j] * D[j] : 0.0;
    return AM_OK;
}

am_status am_alloc_run(const am_alloc_params *a, const am_fca_pairs *p,
                       const double *supply, int n_threads, am_alloc_out *out,
                       am_error *err)
{
    if (a == NULL || p == NULL || out == NULL ||
        (am_fca_pairs_n_fac(p) > 0 && supply == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "allocation: NULL argument");
    am_status rc = check_args(a, p, supply, err);
    if (rc != AM_OK)
        return rc;
    const am_demand *d = am_fca_pairs_demand(p);
    const int32_t n_cells = d->n_cells, n_fac = am_fca_pairs_n_fac(p);
    const uint32_t L = a->limit_ds, PL = am_fca_pairs_limit(p);
    const double k = a->persons_per_capacity;
    const double tol = a->tolerance > 0.0 ? a->tolerance : AM_ALLOC_TOLERANCE;
    const int max_it =
        a->max_iterations > 0 ? a->max_iterations : AM_ALLOC_MAX_ITERATIONS;
    const int nt = am_parallel_threads(n_threads);
    const size_t nf = (size_t)(n_fac > 0 ? n_fac : 1);
    const size_t nc = (size_t)(n_cells > 0 ? n_cells : 1);

    double *wfull = am_alloc_array((size_t)PL + 1, sizeof *wfull);
    double *g = am_alloc_array(nf, sizeof *g);
    double *gn = am_alloc_array(nf, sizeof *gn);
    double *D = am_alloc_array(nf, sizeof *D);
    double *sig = am_alloc_array(nf, sizeof *sig);
    double *gs = am_alloc_array(nf, sizeof *gs);
    uint8_t *has_cap = am_alloc_array(nf, sizeof *has_cap);
    double *T = am_alloc_array(nc, sizeof *T);
    double *c = am_alloc_array(nc, sizeof *c);
    alloc_buf *bufs = am_calloc_array((size_t)nt, sizeof *bufs);
    uint8_t *own_flag =
        out->flag == NULL ? am_alloc_array(nc, sizeof *own_flag) : NULL;
    int ok = wfull && g && gn && D && sig && gs && has_cap && T && c && bufs &&
             (out->flag != NULL || own_flag != NULL);
    for (int t = 0; ok && t < nt; t++) {
        bufs[t].fac = am_alloc_array(nf, sizeof *bufs[t].fac);
        bufs[t].t = am_alloc_array(nf, sizeof *bufs[t].t);
        bufs[t].x = am_alloc_array(2 * nf, sizeof *bufs[t].x);
        bufs[t].k0 = am_alloc_array(nf, sizeof *bufs[t].k0);
        bufs[t].k1 = am_alloc_array(nf, sizeof *bufs[t].k1);
        ok = bufs[t].fac && bufs[t].t && bufs[t].x && bufs[t].k0 && bufs[t].k1;
    }
    if (!ok) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "allocation: out of memory for %ld cells and %ld "
                          "facilities",
                          (long)n_cells, (long)n_fac);
        goto done;
    }
    for (uint32_t t = 0;; t++) {
        wfull[t] = t <= L ? a->w[t] : 0.0;
        if (t == PL)
            break;
    }
    for (int32_t j = 0; j < n_fac; j++)
        g[j] = a->method == AM_ALLOC_PROPORTIONAL || k * supply[j] > 0.0 ? 1.0
                                                                         : 0.0;
    out->iterations = 0;
    out->residual = 0.0;
    out->converged = 1;
    if (a->method == AM_ALLOC_FIXED_POINT) {
        out->converged = 0;
        for (int it = 1; it <= max_it; it++) {
            rc = demand_of(p, L, wfull, g, bufs, nt, gs, T, c, D, err);
            if (rc != AM_OK)
                goto done;
            double res = 0.0;
            for (int32_t j = 0; j < n_fac; j++) {
                const double K = k * supply[j];
                const double G =
                    !(K > 0.0) ? 0.0 : (D[j] <= K ? 1.0 : K / D[j]);
                /* sqrt(g G), without letting a tiny g G underflow */
                const double gG = g[j] * G;
                gn[j] = !(G > 0.0)      ? 0.0
                        : gG >= DBL_MIN ? sqrt(gG)
                                        : sqrt(g[j]) * sqrt(G);
                if (g[j] > 0.0) {
                    const double r = fabs(gn[j] - g[j]) / g[j];
                    if (r > res)
                        res = r;
                }
            }
            double *tmp = g;
            g = gn;
            gn = tmp;
            out->iterations = it;
            out->residual = res;
            if (res < tol) {
                out->converged = 1;
                break;
            }
        }
    }

    /* the allocation at g */
    rc = demand_of(p, L, wfull, g, bufs, nt, gs, T, c, D, err);
    if (rc != AM_OK)
        goto done;
    int32_t no_demand = 0;
    double tdem = 0.0;
    for (int32_t j = 0; j < n_fac; j++) {
        tdem += D[j];
        /* who may be allocated to j: anyone (proportional), or only to a
           facility that can serve (fixed_point: g_j > 0 iff K_j > 0) */
        has_cap[j] = a->method == AM_ALLOC_PROPORTIONAL || k * supply[j] > 0.0;
        const double K = k * supply[j];
        sig[j] = D[j] > 0.0 ? (D[j] <= K ? 1.0 : K / D[j]) : 1.0;
        no_demand += !(D[j] > 0.0);
        const double served = D[j] <= K ? D[j] : K;
        if (out->fac_demand != NULL)
            out->fac_demand[j] = D[j];
        if (out->fac_served != NULL)
            out->fac_served[j] = served;
        if (out->fac_excess != NULL)
            out->fac_excess[j] = D[j] > K ? D[j] - K : 0.0;
        if (out->fac_util != NULL)
            out->fac_util[j] = K > 0.0 ? served / K : NAN;
        if (out->fac_attract != NULL)
            out->fac_attract[j] = g[j];
    }
    out->n_fac_no_demand = no_demand;
    out->total_demand = tdem;
    /* per cell: T (reused for the share), c (reused: 1 when the cell
       reaches a facility that may take its people) */
    uint8_t *flag = out->flag != NULL ? out->flag : own_flag;
    double *share = out->share, *sv = out->served, *bv = out->beyond,
           *nv = out->none;
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(p, L, wfull, g, sig, has_cap, bufs, T, c, d, n_cells, flag, share,  \
           sv, bv, nv)
    {
        alloc_buf *b = &bufs[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 64)
        for (int32_t i = 0; i < n_cells; i++) {
            double tg = 0.0, tf = 0.0, ns = 0.0;
            const int32_t nfi =
                cell_sums(p, i, L, wfull, g, sig, b, &tg, &tf, &ns, NULL);
            int takes = 0;
            for (int32_t q = 0; q < nfi && !takes; q++)
                takes = wfull[b->t[q]] > 0.0 && has_cap[b->fac[q]];
            c[i] = takes ? 1.0 : 0.0;
            const double P = d->pop[i];
            uint8_t f = AM_FCA_CELL_OK;
            double sh = 0.0, s = 0.0, bc = 0.0, no = 0.0;
            if (!am_demand_cell_on(d, i)) {
                f = AM_FCA_CELL_OFF;
            } else if (!(tf > 0.0)) {
                f = AM_FCA_CELL_NONE;
                no = P;
            } else {
                sh = tg > 0.0 && P > 0.0 ? ns / tg : 0.0;
                if (sh > 1.0)
                    sh = 1.0;
                s = P * sh;
                bc = P - s > 0.0 ? P - s : 0.0;
            }
            T[i] = sh;
            flag[i] = f;
            if (share != NULL)
                share[i] = sh;
            if (sv != NULL)
                sv[i] = s;
            if (bv != NULL)
                bv[i] = bc;
            if (nv != NULL)
                nv[i] = no;
        }
    }
    /* totals, in cell order, from the shares (T) and flags */
    double ts = 0.0, tb = 0.0, tn = 0.0, to = 0.0, ta = 0.0;
    int32_t n_none = 0;
    for (int32_t i = 0; i < n_cells; i++) {
        const double P = d->pop[i];
        if (flag[i] == AM_FCA_CELL_OK && c[i] > 0.0)
            ta += P;
        if (flag[i] == AM_FCA_CELL_OFF) {
            to += P;
        } else if (flag[i] == AM_FCA_CELL_NONE) {
            tn += P;
            n_none++;
        } else {
            const double s = P * T[i];
            ts += s;
            tb += P - s > 0.0 ? P - s : 0.0;
        }
    }
    out->total_served = ts;
    out->total_beyond = tb;
    out->total_none = tn;
    out->total_off = to;
    out->n_cells_none = n_none;
    out->pop_takeable = ta;
done:
    for (int t = 0; bufs != NULL && t < nt; t++) {
        am_free(bufs[t].fac);
        am_free(bufs[t].t);
        am_free(bufs[t].x);
        am_free(bufs[t].k0);
        am_free(bufs[t].k1);
    }
    am_free(bufs);
    am_free(own_flag);
    am_free(wfull);
    am_free(g);
    am_free(gn);
    am_free(D);
    am_free(sig);
    am_free(gs);
    am_free(has_cap);
    am_free(T);
    am_free(c);
    return rc;
}
