/*
 * select_equity.c: equity site selection (see select_equity.h;
 * docs/selection.md, "Equity", has the formulas for users).
 *
 * State of a chosen set: A_i = A0_i + sum over the chosen sites in
 * ascending candidate order of S_c u_ic (one canonical order, so a set's
 * values do not depend on how it was reached), the populated cells sorted
 * by (A, cell) with prefix sums of w and w A, the shifted moments
 * S1 = sum w (A - mu0), S2 = sum w (A - mu0)^2 around the set's mean mu0,
 * and per cell the number of open sites within cover_ds.
 *
 * A move (add, resize, drop, swap) changes A only on the rows of the one
 * or two sites involved: the changed cells (k of them) are listed with
 * their new values, and the objective of the modified vector follows from
 * the sorted state without touching the others:
 *  - variance: S1 and S2 corrected over the changed cells, O(k);
 *  - maxmin: the smallest unchanged value is the first sorted cell that is
 *    not changed; the population at the minimum (within a relative 1e-9)
 *    by binary search in the prefix sums, O(k log n); it is also the tie
 *    rule of the bottom decile (a decile all at 0 is a plateau where only
 *    fewer people at the minimum is progress);
 *  - bottom decile: the lowest 0.1 W of the merged order (unchanged cells
 *    in their sorted runs between changed ranks, taken by prefix sums, and
 *    the new values sorted), the boundary cell counted for its part,
 *    O(k log n).
 * After a move is applied the state is rebuilt (O(n log n)).
 *
 * Determinism: each candidate's moves are evaluated by one thread in a
 * fixed order and the best per candidate kept; the best over candidates
 * is a serial scan (ties to the lower candidate, then the lower size,
 * then the lower slot). Byte-identical for any thread count.
 */
#include "kernels/select_equity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "common/alloc.h"
#include "common/units.h"

#define EQ_REL_TOL 1e-12 /* a move must improve by more than this */
#define EQ_MIN_TOL 1e-9  /* maxmin: "at the minimum" within this */
#define EQ_BLOCK 64      /* candidates between two progress checks */
#define EQ_PAR_MIN 65536 /* pair visits before a parallel region */
#define EQ_DECILE 0.1

typedef struct eq_score {
    double prim; /* higher is better (variance: -variance) */
    double sec;  /* maxmin: -population at the minimum; else 0 */
} eq_score;

typedef struct eq_vw {
    double v, w;
} eq_vw;

/* a cell and its value, for sorting */
typedef struct eq_ai {
    double a;
    int32_t i;
} eq_ai;

typedef struct eq_ctx {
    const am_seleq_instance *in;
    const am_sel_instance *s;
    const am_seleq_params *prm;
    int32_t K;    /* options per site: n_sizes or 1 */
    double *u;    /* [pairs] dw[t] / D_c, 0 beyond the decay or D_c = 0 */
    int32_t npop; /* populated cells */
    double W;     /* their population */
    int64_t maxrow;
    int nt;
    int64_t evals;
    int cancelled; /* prm->progress asked to stop */
    /* an absolute tolerance on A: EQ_MIN_TOL x the instance's scale of A
       (the largest A0, or the largest one site can add at its largest
       size), so that sizes of negligible supply (1e-300) do not lift a
       cell "off the minimum" of 0 nor count as a gain */
    double atol;
} eq_ctx;

typedef struct eq_state {
    int32_t n, cap;
    int32_t *site, *size; /* [cap] slots */
    int32_t *slot_of;     /* [n_cand] slot or -1 */
    double cost;
    double *A;        /* [n_cells] */
    int32_t *ord;     /* [npop] populated cells by (A, cell) */
    int32_t *rank;    /* [n_cells] position in ord, -1 unpopulated */
    double *pw, *pwa; /* [npop + 1] prefix sums over ord */
    double mu0, S1, S2;
    int32_t *ncov; /* [n_cells] open sites within cover_ds */
    double cov;    /* covered population */
    eq_score sc;
    eq_ai *tmp; /* [npop] the sort's buffer */
} eq_state;

/* a move: add (rem = -1), resize (site of rem = add), swap, drop (add =
 * -1); rem is a slot */
typedef struct eq_move {
    int32_t add, k, rem;
    int valid;
    double key1, key2; /* the ranking */
    double key3;       /* exact ties: with a count the larger capacity, with
                          a budget the cheaper option (docs/selection.md) */
    eq_score sc;
    double cov, dcost;
} eq_move;

typedef struct eq_ws {
    int32_t *cr; /* changed ranks */
    eq_vw *nv;   /* new values */
} eq_ws;

static double cap_of(const eq_ctx *x, int32_t c, int32_t k)
{
    const am_seleq_instance *in = x->in;
    if (in->n_sizes > 0)
        return in->size_capacity[k];
    return in->capacity ? in->capacity[c] : 1.0;
}

static double cost_of(const eq_ctx *x, int32_t c, int32_t k)
{
    const am_seleq_instance *in = x->in;
    if (in->n_sizes > 0)
        return (x->s->cost ? x->s->cost[c] : 0.0) + in->size_cost[k];
    return x->s->cost ? x->s->cost[c] : 1.0;
}

static int cmp_vw(const void *a, const void *b)
{
    const eq_vw *p = a, *q = b;
    if (p->v != q->v)
        return p->v < q->v ? -1 : 1;
    return p->w < q->w ? -1 : p->w > q->w;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t p = *(const int32_t *)a, q = *(const int32_t *)b;
    return (p > q) - (p < q);
}

static int cmp_ai(const void *x, const void *y)
{
    const eq_ai *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

/* ---- the objective of the state with k cells changed ----------------- */

/* first index q in [lo, hi) of ord with A > v (hi if none) */
static int32_t upper_in(const eq_state *st, int32_t lo, int32_t hi, double v)
{
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (st->A[st->ord[mid]] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double bottom_mean(const eq_ctx *x, const eq_state *st,
                          const int32_t *cr, const eq_vw *nv, int32_t k)
{
    const double B = EQ_DECILE * x->W;
    double cum = 0.0, sum = 0.0;
    int32_t pos = 0, ci = 0, ni = 0;
    const int32_t n = x->npop;
    while (cum < B) {
        while (ci < k && cr[ci] == pos) {
            pos++;
            ci++;
        }
        const int32_t segend = ci < k ? cr[ci] : n;
        const double v = ni < k ? nv[ni].v : INFINITY;
        if (pos < segend) {
            int32_t q = upper_in(st, pos, segend, v);
            if (q > pos) {
                const double tw = st->pw[q] - st->pw[pos];
                if (cum + tw >= B) {
                    /* the boundary cell in [pos, q) */
                    int32_t lo = pos, hi = q - 1;
                    while (lo < hi) {
                        int32_t mid = lo + (hi - lo) / 2;
                        if (cum + (st->pw[mid + 1] - st->pw[pos]) >= B)
                            hi = mid;
                        else
                            lo = mid + 1;
                    }
                    sum += st->pwa[lo] - st->pwa[pos];
                    cum += st->pw[lo] - st->pw[pos];
                    sum += (B - cum) * st->A[st->ord[lo]];
                    return sum / B;
                }
                sum += st->pwa[q] - st->pwa[pos];
                cum += tw;
                pos = q;
                continue;
            }
        }
        if (ni < k && (pos >= segend || nv[ni].v < st->A[st->ord[pos]])) {
            if (cum + nv[ni].w >= B) {
                sum += (B - cum) * nv[ni].v;
                return sum / B;
            }
            cum += nv[ni].w;
            sum += nv[ni].w * nv[ni].v;
            ni++;
            continue;
        }
        if (pos >= n && ni >= k)
            break; /* rounding: the whole population taken */
    }
    return sum / B;
}

static eq_score eval_changed(const eq_ctx *x, const eq_state *st,
                             const int32_t *cr, const eq_vw *nv, int32_t k)
{
    const double *w = x->s->weight;
    eq_score r = {0.0, 0.0};
    switch (x->prm->model) {
    case AM_SELEQ_MAXMIN:
    case AM_SELEQ_BOTTOM_DECILE: {
        /* the minimum and the population at it (maxmin's objective, and
           the tie rule of both) */
        int32_t pos = 0, ci = 0;
        while (ci < k && cr[ci] == pos) {
            pos++;
            ci++;
        }
        double m = pos < x->npop ? st->A[st->ord[pos]] : INFINITY;
        if (k > 0 && nv[0].v < m)
            m = nv[0].v;
        const double thr = m + EQ_MIN_TOL * fabs(m) + x->atol;
        const int32_t q = upper_in(st, 0, x->npop, thr);
        double pop = st->pw[q];
        for (int32_t j = 0; j < k; j++)
            if (cr[j] < q)
                pop -= w[st->ord[cr[j]]];
        for (int32_t j = 0; j < k && nv[j].v <= thr; j++)
            pop += nv[j].w;
        r.prim = x->prm->model == AM_SELEQ_MAXMIN
                     ? m
                     : bottom_mean(x, st, cr, nv, k);
        r.sec = -pop;
        break;
    }
    case AM_SELEQ_VARIANCE: {
        double d1 = st->S1, d2 = st->S2;
        for (int32_t j = 0; j < k; j++) {
            const int32_t i = st->ord[cr[j]];
            const double o = st->A[i] - st->mu0;
            d1 -= w[i] * o;
            d2 -= w[i] * o * o;
        }
        for (int32_t j = 0; j < k; j++) {
            const double o = nv[j].v - st->mu0;
            d1 += nv[j].w * o;
            d2 += nv[j].w * o * o;
        }
        const double md = d1 / x->W;
        double var = d2 / x->W - md * md;
        r.prim = -(var > 0 ? var : 0.0);
        break;
    }
    }
    return r;
}

/* the natural objective of a score */
static double natural(const eq_ctx *x, eq_score s)
{
    return x->prm->model == AM_SELEQ_VARIANCE ? -s.prim : s.prim;
}

static double at_min_of(const eq_ctx *x, eq_score s)
{
    return x->prm->model != AM_SELEQ_VARIANCE ? -s.sec : NAN;
}

/* a strictly better than b, beyond the tolerances */
static int better(const eq_ctx *x, eq_score a, eq_score b)
{
    const double t1 =
        EQ_REL_TOL * fmax(fabs(a.prim), fabs(b.prim)) +
        (x->prm->model == AM_SELEQ_VARIANCE ? x->atol * x->atol : x->atol);
    if (a.prim > b.prim + t1)
        return 1;
    if (a.prim < b.prim - t1)
        return 0;
    return a.sec > b.sec + EQ_REL_TOL * x->W;
}

/* ---- state ----------------------------------------------------------- */

static void state_free(eq_state *st)
{
    am_free(st->site);
    am_free(st->size);
    am_free(st->slot_of);
    am_free(st->A);
    am_free(st->ord);
    am_free(st->rank);
    am_free(st->pw);
    am_free(st->pwa);
    am_free(st->ncov);
    am_free(st->tmp);
    memset(st, 0, sizeof *st);
}

static int state_alloc(const eq_ctx *x, eq_state *st)
{
    const am_sel_instance *s = x->s;
    const size_t nc = (size_t)s->n_cells + 1, np = (size_t)x->npop + 1;
    memset(st, 0, sizeof *st);
    st->cap = s->n_cand + 1;
    st->site = am_alloc_array((size_t)st->cap, sizeof(int32_t));
    st->size = am_alloc_array((size_t)st->cap, sizeof(int32_t));
    st->slot_of = am_alloc_array((size_t)s->n_cand + 1, sizeof(int32_t));
    st->A = am_alloc_array(nc, sizeof(double));
    st->ord = am_alloc_array(np, sizeof(int32_t));
    st->rank = am_alloc_array(nc, sizeof(int32_t));
    st->pw = am_alloc_array(np, sizeof(double));
    st->pwa = am_alloc_array(np, sizeof(double));
    st->ncov = am_alloc_array(nc, sizeof(int32_t));
    st->tmp = am_alloc_array(np, sizeof(eq_ai));
    if (!st->site || !st->size || !st->slot_of || !st->A || !st->ord ||
        !st->rank || !st->pw || !st->pwa || !st->ncov || !st->tmp) {
        state_free(st);
        return 0;
    }
    for (int32_t c = 0; c < s->n_cand; c++)
        st->slot_of[c] = -1;
    return 1;
}

static int state_copy(const eq_ctx *x, eq_state *dst, const eq_state *src)
{
    if (!dst->site && !state_alloc(x, dst))
        return 0;
    const am_sel_instance *s = x->s;
    dst->n = src->n;
    dst->cost = src->cost;
    memcpy(dst->site, src->site, (size_t)src->cap * sizeof(int32_t));
    memcpy(dst->size, src->size, (size_t)src->cap * sizeof(int32_t));
    memcpy(dst->slot_of, src->slot_of, (size_t)s->n_cand * sizeof(int32_t));
    return 1;
}

/* A, the order, the moments and the coverage from the chosen set. */
static void state_rebuild(const eq_ctx *x, eq_state *st)
{
    const am_sel_instance *s = x->s;
    const double *w = s->weight;
    memcpy(st->A, x->in->base_access, (size_t)s->n_cells * sizeof(double));
    for (int32_t i = 0; i < s->n_cells; i++)
        st->ncov[i] = s->base_ds[i] <= x->prm->cover_ds;
    st->cost = 0.0;
    for (int32_t c = 0; c < s->n_cand; c++) { /* ascending candidates */
        const int32_t sl = st->slot_of[c];
        if (sl < 0)
            continue;
        const double S = cap_of(x, c, st->size[sl]);
        st->cost += cost_of(x, c, st->size[sl]);
        for (int64_t j = s->row[c]; j < s->row[c + 1]; j++) {
            const int32_t i = s->cell[j];
            if (x->u[j] > 0)
                st->A[i] += S * x->u[j];
            if (s->time_ds[j] <= x->prm->cover_ds)
                st->ncov[i]++;
        }
    }
    int32_t n = 0;
    for (int32_t i = 0; i < s->n_cells; i++) {
        st->rank[i] = -1;
        if (w[i] > 0)
            st->tmp[n++] = (eq_ai){st->A[i], i};
    }
    qsort(st->tmp, (size_t)n, sizeof *st->tmp, cmp_ai);
    for (int32_t r = 0; r < n; r++)
        st->ord[r] = st->tmp[r].i;
    st->pw[0] = st->pwa[0] = 0.0;
    double sa = 0.0;
    st->cov = 0.0;
    for (int32_t r = 0; r < n; r++) {
        const int32_t i = st->ord[r];
        st->rank[i] = r;
        st->pw[r + 1] = st->pw[r] + w[i];
        st->pwa[r + 1] = st->pwa[r] + w[i] * st->A[i];
    }
    for (int32_t i = 0; i < s->n_cells; i++)
        if (w[i] > 0) {
            sa += w[i] * st->A[i];
            if (st->ncov[i] > 0)
                st->cov += w[i];
        }
    st->mu0 = sa / x->W;
    st->S1 = st->S2 = 0.0;
    for (int32_t i = 0; i < s->n_cells; i++)
        if (w[i] > 0) {
            const double o = st->A[i] - st->mu0;
            st->S1 += w[i] * o;
            st->S2 += w[i] * o * o;
        }
    st->sc = eval_changed(x, st, NULL, NULL, 0);
}

/* ---- moves ------------------------------------------------------------ */

/*
 * The changed cells of a move (rows of add with +S_add u, of the removed
 * slot's site with -S_rem u; a resize is one row with the difference),
 * their new values, and the covered population after the move.
 */
static eq_score eval_move(const eq_ctx *x, const eq_state *st, int32_t add,
                          int32_t k, int32_t rem, eq_ws *ws, double *cov)
{
    const am_sel_instance *s = x->s;
    const double *w = s->weight;
    const uint32_t T = x->prm->cover_ds;
    const int32_t rc = rem >= 0 ? st->site[rem] : -1;
    double sa = 0.0, sr = 0.0;
    if (add >= 0)
        sa = cap_of(x, add, k);
    if (rc >= 0)
        sr = cap_of(x, rc, st->size[rem]);
    int64_t ja = add >= 0 ? s->row[add] : 0,
            ea = add >= 0 ? s->row[add + 1] : 0;
    int64_t jr = rc >= 0 ? s->row[rc] : 0, er = rc >= 0 ? s->row[rc + 1] : 0;
    const int same = add >= 0 && add == rc;
    if (same)
        jr = er = 0; /* a resize: one row */
    int32_t nk = 0;
    double dcov = 0.0;
    while (ja < ea || jr < er) {
        int32_t i;
        double d = 0.0;
        int ca = 0, cr = 0;
        const int32_t ia = ja < ea ? s->cell[ja] : INT32_MAX;
        const int32_t ir = jr < er ? s->cell[jr] : INT32_MAX;
        if (ia <= ir) {
            i = ia;
            d += (same ? sa - sr : sa) * x->u[ja];
            ca = !same && s->time_ds[ja] <= T;
            ja++;
        } else
            i = ir;
        if (ir == i) {
            d -= sr * x->u[jr];
            cr = s->time_ds[jr] <= T;
            jr++;
        }
        if (w[i] <= 0)
            continue;
        if (ca != cr) {
            const int before = st->ncov[i] > 0;
            const int after = st->ncov[i] - cr + ca > 0;
            dcov += w[i] * (double)(after - before);
        }
        if (d != 0.0) {
            ws->cr[nk] = st->rank[i];
            ws->nv[nk].v = st->A[i] + d;
            ws->nv[nk].w = w[i];
            nk++;
        }
    }
    qsort(ws->cr, (size_t)nk, sizeof *ws->cr, cmp_i32);
    qsort(ws->nv, (size_t)nk, sizeof *ws->nv, cmp_vw);
    *cov = st->cov + dcov;
    return eval_changed(x, st, ws->cr, ws->nv, nk);
}

enum { MODE_FLOOR, MODE_UNIT, MODE_RATIO };

typedef struct eq_search {
    int mode;
    int swaps; /* swaps and drops allowed */
} eq_search;

static int feasible(const eq_ctx *x, const eq_state *st, int32_t n_after,
                    double cost_after, double cov_after, int floor_on)
{
    const am_seleq_params *p = x->prm;
    if (p->p > 0 ? n_after > p->p : cost_after > p->budget * (1.0 + EQ_REL_TOL))
        return 0;
    if (floor_on && cov_after < p->coverage_floor * x->W * (1.0 - EQ_REL_TOL))
        return 0;
    (void)st;
    return 1;
}

/* ranks move m against the best so far (exact comparison; ties keep the
 * earlier) */
static int ranks_above(const eq_move *m, const eq_move *best)
{
    if (!best->valid)
        return 1;
    if (m->key1 != best->key1)
        return m->key1 > best->key1;
    if (m->key2 != best->key2)
        return m->key2 > best->key2;
    return m->key3 > best->key3;
}

static void consider(const eq_ctx *x, const eq_state *st, const eq_search *q,
                     int32_t add, int32_t k, int32_t rem, eq_ws *ws,
                     eq_move *best, int64_t *evals)
{
    const int32_t rc = rem >= 0 ? st->site[rem] : -1;
    const int32_t n_after =
        st->n + (add >= 0 && add != rc) - (rc >= 0 && add != rc);
    double dcost = 0.0;
    if (add >= 0)
        dcost += cost_of(x, add, k);
    if (rc >= 0)
        dcost -= cost_of(x, rc, st->size[rem]);
    const int floor_on = x->prm->coverage_floor > 0 && q->mode != MODE_FLOOR;
    /* coverage can only be checked after evaluating; budget before */
    if (!feasible(x, st, n_after, st->cost + dcost, INFINITY, 0))
        return;
    if (q->mode == MODE_RATIO && !(dcost > 0))
        return;
    double cov;
    (*evals)++;
    eq_score sc = eval_move(x, st, add, k, rem, ws, &cov);
    if (floor_on && !feasible(x, st, n_after, st->cost + dcost, cov, 1))
        return;
    eq_move m = {add, k, rem, 1, 0, 0, 0, sc, cov, dcost};
    m.key3 = x->prm->p > 0 ? (add >= 0 ? cap_of(x, add, k) : 0.0) : -dcost;
    if (q->mode == MODE_FLOOR) {
        const double dc = cov - st->cov;
        if (!(dc > EQ_REL_TOL * x->W))
            return;
        m.key1 = x->prm->p > 0 ? dc : dc / dcost;
        m.key2 = sc.prim; /* then the objective */
    } else {
        if (!better(x, sc, st->sc))
            return;
        if (q->mode == MODE_RATIO) {
            m.key1 = (sc.prim - st->sc.prim) / dcost;
            m.key2 = (sc.sec - st->sc.sec) / dcost;
        } else {
            m.key1 = sc.prim;
            m.key2 = sc.sec;
        }
    }
    if (ranks_above(&m, best))
        *best = m;
}

/* every move touching candidate c, in a fixed order */
static void moves_of(const eq_ctx *x, const eq_state *st, const eq_search *q,
                     int32_t c, eq_ws *ws, eq_move *best, int64_t *evals)
{
    const int32_t K = x->K, sl = st->slot_of[c];
    if (sl < 0) {
        for (int32_t k = 0; k < K; k++) {
            consider(x, st, q, c, k, -1, ws, best, evals);
            if (q->swaps && q->mode != MODE_FLOOR)
                for (int32_t r = 0; r < st->n; r++)
                    consider(x, st, q, c, k, r, ws, best, evals);
        }
    } else if (q->mode != MODE_FLOOR) {
        for (int32_t k = 0; k < K; k++)
            if (k != st->size[sl])
                consider(x, st, q, c, k, sl, ws, best, evals);
        if (q->swaps)
            consider(x, st, q, -1, 0, sl, ws, best, evals);
    }
}

typedef struct eq_run {
    eq_state st;
    int32_t n_steps, cap_steps;
    am_seleq_step *steps;
    int32_t *order; /* slots in pick order: slot index is the pick order */
} eq_run;

static int push_step(eq_run *r, am_seleq_step s)
{
    if (r->n_steps == r->cap_steps) {
        int32_t cap = r->cap_steps ? 2 * r->cap_steps : 16;
        am_seleq_step *p = am_realloc_array(r->steps, (size_t)cap, sizeof *p);
        if (!p)
            return 0;
        r->steps = p;
        r->cap_steps = cap;
    }
    r->steps[r->n_steps++] = s;
    return 1;
}

static void apply(const eq_ctx *x, eq_state *st, const eq_move *m)
{
    const int32_t rc = m->rem >= 0 ? st->site[m->rem] : -1;
    if (m->add >= 0 && m->add == rc) {
        st->size[m->rem] = m->k;
    } else if (m->add >= 0 && m->rem >= 0) {
        st->slot_of[rc] = -1;
        st->site[m->rem] = m->add;
        st->size[m->rem] = m->k;
        st->slot_of[m->add] = m->rem;
    } else if (m->add >= 0) {
        st->site[st->n] = m->add;
        st->size[st->n] = m->k;
        st->slot_of[m->add] = st->n;
        st->n++;
    } else { /* drop: later slots move up one */
        st->slot_of[rc] = -1;
        for (int32_t r = m->rem; r + 1 < st->n; r++) {
            st->site[r] = st->site[r + 1];
            st->size[r] = st->size[r + 1];
            st->slot_of[st->site[r]] = r;
        }
        st->n--;
    }
    state_rebuild(x, st);
}

/* best-improvement moves until none; returns 0 on NOMEM */
static int search(eq_ctx *x, eq_run *run, const eq_search *q, eq_ws *ws,
                  eq_move *best_c, int64_t max_steps)
{
    const am_sel_instance *s = x->s;
    eq_state *st = &run->st;
    const int sized = x->in->n_sizes > 0;
    for (int64_t it = 0; it < max_steps; it++) {
        if (x->prm->progress != NULL &&
            !x->prm->progress(0.0, "site selection", x->prm->progress_user)) {
            x->cancelled = 1;
            return 1;
        }
        const int64_t work =
            s->row[s->n_cand] * (int64_t)x->K * (q->swaps ? st->n + 2 : 1);
        const int nt = work >= EQ_PAR_MIN ? x->nt : 1;
        int64_t evals = 0;
        /* in blocks of candidates, asking the progress hook between them
           (a round can take long: every move of every candidate) */
        for (int32_t c0 = 0; c0 < s->n_cand; c0 += EQ_BLOCK) {
            if (c0 > 0 && x->prm->progress != NULL &&
                !x->prm->progress(0.0, "site selection",
                                  x->prm->progress_user)) {
                x->cancelled = 1;
                return 1;
            }
            const int32_t c1 =
                s->n_cand - c0 < EQ_BLOCK ? s->n_cand : c0 + EQ_BLOCK;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4)                 \
    reduction(+ : evals)
            for (int32_t c = c0; c < c1; c++) {
                eq_ws *w = &ws[omp_get_thread_num()];
                best_c[c].valid = 0;
                moves_of(x, st, q, c, w, &best_c[c], &evals);
            }
        }
        x->evals += evals;
        eq_move best = {0};
        for (int32_t c = 0; c < s->n_cand; c++)
            if (best_c[c].valid && ranks_above(&best_c[c], &best))
                best = best_c[c];
        if (!best.valid)
            return 1;
        if (q->mode == MODE_FLOOR && st->cov >= x->prm->coverage_floor * x->W)
            return 1;
        const eq_score old = st->sc;
        const int32_t rc = best.rem >= 0 ? st->site[best.rem] : -1;
        am_seleq_step stp;
        stp.added = best.add;
        stp.added_size = best.add >= 0 && sized ? best.k : -1;
        stp.removed = rc;
        stp.removed_size = rc >= 0 && sized ? st->size[best.rem] : -1;
        apply(x, st, &best);
        stp.gain = x->prm->model == AM_SELEQ_VARIANCE
                       ? natural(x, old) - natural(x, st->sc)
                       : natural(x, st->sc) - natural(x, old);
        stp.objective = natural(x, st->sc);
        stp.at_min = at_min_of(x, st->sc);
        stp.cost = st->cost;
        stp.coverage = st->cov / x->W;
        if (!push_step(run, stp))
            return 0;
        if (q->mode == MODE_FLOOR && st->cov >= x->prm->coverage_floor * x->W)
            return 1;
    }
    return 1;
}

/* ---- validation -------------------------------------------------------- */

static am_status check(const am_seleq_instance *in, const am_seleq_params *p,
                       am_error *err)
{
    if (!in || !p || !in->sel)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: no instance or parameters");
    const am_sel_instance *s = in->sel;
    if (s->n_cells < 0 || s->n_cand < 0 || !s->row ||
        (s->n_cells > 0 && (!s->weight || !s->base_ds || !in->base_access)) ||
        (s->row[s->n_cand] > 0 && (!s->cell || !s->time_ds)) || !in->dw ||
        in->dw_limit_ds >= AM_TIME_INF || in->n_sizes < 0 ||
        (in->n_sizes > 0 && (!in->size_capacity || !in->size_cost)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: missing arrays or negative "
                            "sizes in the instance");
    if (p->model < AM_SELEQ_MAXMIN || p->model > AM_SELEQ_VARIANCE)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: unknown model %d",
                            (int)p->model);
    if (s->row[0] != 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: candidate rows must start "
                            "at 0");
    for (int32_t i = 0; i < s->n_cells; i++) {
        if (!isfinite(s->weight[i]) || s->weight[i] < 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: cell %d has weight %g "
                                "(must be finite and >= 0)",
                                (int)i, s->weight[i]);
        if (!isfinite(in->base_access[i]) || in->base_access[i] < 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: cell %d has baseline "
                                "accessibility %g (must be finite and >= 0)",
                                (int)i, in->base_access[i]);
    }
    for (uint32_t t = 0; t <= in->dw_limit_ds; t++)
        if (!isfinite(in->dw[t]) || in->dw[t] < 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: decay weight %g at %u ds "
                                "(must be finite and >= 0)",
                                in->dw[t], (unsigned)t);
    for (int32_t c = 0; c < s->n_cand; c++) {
        if (s->row[c + 1] < s->row[c])
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: candidate rows decrease "
                                "at candidate %d",
                                (int)c);
        int32_t prev = -1;
        for (int64_t j = s->row[c]; j < s->row[c + 1]; j++) {
            if (s->cell[j] <= prev || s->cell[j] >= s->n_cells ||
                s->time_ds[j] >= AM_TIME_INF)
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "equity selection: candidate %d's row "
                                    "has cell %d out of range, out of order "
                                    "or an infinite time",
                                    (int)c, (int)s->cell[j]);
            prev = s->cell[j];
        }
        if (s->cost && (!isfinite(s->cost[c]) || s->cost[c] < 0 ||
                        (in->n_sizes == 0 && s->cost[c] == 0)))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: candidate %d has cost %g "
                                "(must be finite and > 0; >= 0 with sizes)",
                                (int)c, s->cost[c]);
        if (in->n_sizes == 0 && in->capacity &&
            (!isfinite(in->capacity[c]) || in->capacity[c] < 0))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: candidate %d has capacity "
                                "%g (must be finite and >= 0)",
                                (int)c, in->capacity[c]);
    }
    for (int32_t k = 0; k < in->n_sizes; k++) {
        if (!isfinite(in->size_capacity[k]) || in->size_capacity[k] <= 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: size %d has capacity %g "
                                "(must be finite and > 0)",
                                (int)k, in->size_capacity[k]);
        if (!isfinite(in->size_cost[k]) || in->size_cost[k] < 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: size %d has cost %g "
                                "(must be finite and >= 0)",
                                (int)k, in->size_cost[k]);
        for (int32_t l = 0; l < k; l++)
            if (in->size_capacity[l] == in->size_capacity[k])
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "equity selection: sizes %d and %d both "
                                    "have capacity %g (each size once)",
                                    (int)l, (int)k, in->size_capacity[k]);
    }
    if (!(p->coverage_floor >= 0 && p->coverage_floor <= 1))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: coverage floor %g is outside "
                            "(0, 1] (0: none)",
                            p->coverage_floor);
    if (p->p < 0 || p->p > s->n_cand)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: p = %d sites asked for among "
                            "%d candidates",
                            (int)p->p, (int)s->n_cand);
    return AM_OK;
}

static am_status check_budget(const eq_ctx *x, am_error *err)
{
    const am_seleq_params *p = x->prm;
    if (p->p > 0)
        return AM_OK;
    if (!isfinite(p->budget) || p->budget <= 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: neither a site count p nor a "
                            "budget > 0 (budget = %g)",
                            p->budget);
    double lo = INFINITY;
    for (int32_t c = 0; c < x->s->n_cand; c++)
        for (int32_t k = 0; k < x->K; k++) {
            const double v = cost_of(x, c, k);
            if (!(v > 0))
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "equity selection: candidate %d with "
                                    "size %d costs %g; a budget needs every "
                                    "option to cost > 0",
                                    (int)c, (int)k, v);
            lo = fmin(lo, v);
        }
    if (!(p->budget >= lo))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: budget %g is below every "
                            "option's cost (cheapest %g)",
                            p->budget, lo);
    return AM_OK;
}

/* ---- context ------------------------------------------------------------ */

static am_status ctx_init(eq_ctx *x, const am_seleq_instance *in,
                          const am_seleq_params *prm, am_error *err)
{
    am_status rc = check(in, prm, err);
    if (rc != AM_OK)
        return rc;
    memset(x, 0, sizeof *x);
    x->in = in;
    x->s = in->sel;
    x->prm = prm;
    x->K = in->n_sizes > 0 ? in->n_sizes : 1;
    x->nt = prm->n_threads > 0 ? prm->n_threads : omp_get_max_threads();
    const am_sel_instance *s = x->s;
    for (int32_t i = 0; i < s->n_cells; i++)
        if (s->weight[i] > 0) {
            x->npop++;
            x->W += s->weight[i];
        }
    if (x->npop == 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: no populated cell (the "
                            "objectives are over the population)");
    const int64_t np = s->row[s->n_cand];
    x->u = am_alloc_array((size_t)np + 1, sizeof *x->u);
    if (!x->u)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int32_t c = 0; c < s->n_cand; c++) {
        double D = 0.0;
        const int64_t a = s->row[c], b = s->row[c + 1];
        if (b - a > x->maxrow)
            x->maxrow = b - a;
        for (int64_t j = a; j < b; j++)
            if (s->time_ds[j] <= in->dw_limit_ds)
                D += s->weight[s->cell[j]] * in->dw[s->time_ds[j]];
        for (int64_t j = a; j < b; j++)
            x->u[j] = D > 0 && s->time_ds[j] <= in->dw_limit_ds
                          ? in->dw[s->time_ds[j]] / D
                          : 0.0;
    }
    double scale = 0.0;
    for (int32_t i = 0; i < s->n_cells; i++)
        if (s->weight[i] > 0 && in->base_access[i] > scale)
            scale = in->base_access[i];
    for (int32_t c = 0; c < s->n_cand; c++) {
        double cmax = 0.0, umax = 0.0;
        for (int32_t k = 0; k < x->K; k++)
            cmax = fmax(cmax, cap_of(x, c, k));
        for (int64_t j = s->row[c]; j < s->row[c + 1]; j++)
            umax = fmax(umax, x->u[j]);
        scale = fmax(scale, cmax * umax);
    }
    x->atol = EQ_MIN_TOL * scale;
    return AM_OK;
}

/* ---- entry points -------------------------------------------------------- */

void am_seleq_result_free(am_seleq_result *r)
{
    if (!r)
        return;
    am_free(r->chosen);
    am_free(r->size);
    am_free(r->capacity);
    am_free(r->steps);
    am_free(r);
}

am_status am_seleq_evaluate(const am_seleq_instance *in,
                            const am_seleq_params *prm, const int32_t *sites,
                            const int32_t *sizes, int32_t n, double *objective,
                            double *at_min, double *coverage, double *access,
                            am_error *err)
{
    eq_ctx x;
    am_status rc = ctx_init(&x, in, prm, err);
    if (rc != AM_OK)
        return rc;
    eq_state st;
    if (!state_alloc(&x, &st)) {
        am_free(x.u);
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    for (int32_t j = 0; j < n; j++) {
        const int32_t c = sites[j], k = in->n_sizes > 0 ? sizes[j] : 0;
        if (c < 0 || c >= x.s->n_cand || st.slot_of[c] >= 0 || k < 0 ||
            k >= x.K) {
            state_free(&st);
            am_free(x.u);
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity selection: site %d (size %d) out of "
                                "range or given twice",
                                (int)c, (int)k);
        }
        st.site[j] = c;
        st.size[j] = k;
        st.slot_of[c] = j;
    }
    st.n = n;
    state_rebuild(&x, &st);
    *objective = natural(&x, st.sc);
    *at_min = at_min_of(&x, st.sc);
    *coverage = st.cov / x.W;
    if (access)
        memcpy(access, st.A, (size_t)x.s->n_cells * sizeof(double));
    state_free(&st);
    am_free(x.u);
    return AM_OK;
}

static void run_free(eq_run *r)
{
    state_free(&r->st);
    am_free(r->steps);
    memset(r, 0, sizeof *r);
}

/* one greedy (unit or ratio), after the floor phase, and the local
 * search; *floor_missed when the floor phase ended below the floor */
static int one_run(eq_ctx *x, const eq_state *base, int ratio, eq_ws *ws,
                   eq_move *best_c, eq_run *run, int *floor_missed)
{
    const am_seleq_params *p = x->prm;
    memset(run, 0, sizeof *run);
    if (!state_alloc(x, &run->st))
        return 0;
    state_copy(x, &run->st, base);
    state_rebuild(x, &run->st);
    const int64_t max_steps = 1000 + 100 * (int64_t)(x->s->n_cand + 1);
    *floor_missed = 0;
    if (p->coverage_floor > 0 &&
        run->st.cov < p->coverage_floor * x->W * (1.0 - EQ_REL_TOL)) {
        eq_search q = {MODE_FLOOR, 0};
        if (!search(x, run, &q, ws, best_c, max_steps))
            return 0;
        if (x->cancelled)
            return 1;
        if (run->st.cov < p->coverage_floor * x->W * (1.0 - EQ_REL_TOL)) {
            *floor_missed = 1;
            return 1;
        }
    }
    eq_search g = {ratio ? MODE_RATIO : MODE_UNIT, 0};
    if (!search(x, run, &g, ws, best_c, max_steps))
        return 0;
    if (p->local_search && !x->cancelled) {
        eq_search l = {MODE_UNIT, 1};
        if (!search(x, run, &l, ws, best_c, max_steps))
            return 0;
    }
    return 1;
}

am_status am_seleq_solve(const am_seleq_instance *in,
                         const am_seleq_params *prm, am_seleq_result **out,
                         am_error *err)
{
    if (!out)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity selection: no output");
    *out = NULL;
    eq_ctx x;
    am_status rc = ctx_init(&x, in, prm, err);
    if (rc != AM_OK)
        return rc;
    if ((rc = check_budget(&x, err)) != AM_OK) {
        am_free(x.u);
        return rc;
    }
    const am_sel_instance *s = x.s;
    eq_ws *ws = am_calloc_array((size_t)x.nt, sizeof *ws);
    eq_move *best_c = am_alloc_array((size_t)s->n_cand + 1, sizeof *best_c);
    eq_state base = {0};
    eq_run runs[2];
    memset(runs, 0, sizeof runs);
    int ok = ws && best_c && state_alloc(&x, &base);
    for (int t = 0; ok && t < x.nt; t++) {
        const size_t m = 2 * (size_t)x.maxrow + 1;
        ws[t].cr = am_alloc_array(m, sizeof *ws[t].cr);
        ws[t].nv = am_alloc_array(m, sizeof *ws[t].nv);
        ok = ws[t].cr && ws[t].nv;
    }
    am_seleq_result *r = NULL;
    int kept = 0, missed[2] = {0, 0};
    if (ok) {
        state_rebuild(&x, &base);
        ok = one_run(&x, &base, 0, ws, best_c, &runs[0], &missed[0]);
        if (ok && prm->p == 0 && !x.cancelled)
            ok = one_run(&x, &base, 1, ws, best_c, &runs[1], &missed[1]);
        if (ok && prm->p == 0 &&
            (missed[0] ||
             (!missed[1] && better(&x, runs[1].st.sc, runs[0].st.sc))))
            kept = 1;
    }
    if (!ok) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    if (x.cancelled) {
        rc = am_error_set(err, AM_ERR_CANCELLED, NULL,
                          "site selection: cancelled");
        goto done;
    }
    if (missed[kept]) {
        /* is the floor reachable at all, with every candidate? */
        eq_state all = {0};
        double best_cov = runs[kept].st.cov;
        if (state_alloc(&x, &all)) {
            for (int32_t c = 0; c < s->n_cand; c++) {
                all.site[c] = c;
                all.size[c] = 0;
                all.slot_of[c] = c;
            }
            all.n = s->n_cand;
            state_rebuild(&x, &all);
            const double every = all.cov / x.W;
            state_free(&all);
            if (every < prm->coverage_floor * (1.0 - EQ_REL_TOL))
                rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                  "equity selection: coverage floor %g is "
                                  "infeasible: even every candidate together "
                                  "covers %.6g of the population within "
                                  "%g min (baseline %.6g)",
                                  prm->coverage_floor, every,
                                  am_ds_to_minutes(prm->cover_ds),
                                  base.cov / x.W);
            else
                rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                  "equity selection: coverage floor %g not "
                                  "reached within the %s (the greedy "
                                  "reached %.6g; every candidate together "
                                  "would cover %.6g)",
                                  prm->coverage_floor,
                                  prm->p > 0 ? "site count p" : "budget",
                                  best_cov / x.W, every);
        } else
            rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    const eq_run *k = &runs[kept];
    r = am_calloc(1, sizeof *r);
    const size_t nc = (size_t)k->st.n + 1;
    if (r) {
        r->chosen = am_alloc_array(nc, sizeof *r->chosen);
        r->size = am_alloc_array(nc, sizeof *r->size);
        r->capacity = am_alloc_array(nc, sizeof *r->capacity);
        r->steps = am_alloc_array((size_t)k->n_steps + 1, sizeof *r->steps);
    }
    if (!r || !r->chosen || !r->size || !r->capacity || !r->steps) {
        am_seleq_result_free(r);
        r = NULL;
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    r->n_chosen = k->st.n;
    for (int32_t j = 0; j < k->st.n; j++) {
        r->chosen[j] = k->st.site[j];
        r->size[j] = in->n_sizes > 0 ? k->st.size[j] : -1;
        r->capacity[j] = cap_of(&x, k->st.site[j], k->st.size[j]);
    }
    r->n_steps = k->n_steps;
    if (k->n_steps > 0)
        memcpy(r->steps, k->steps, (size_t)k->n_steps * sizeof *r->steps);
    r->base_objective = natural(&x, base.sc);
    r->objective = natural(&x, k->st.sc);
    r->base_at_min = at_min_of(&x, base.sc);
    r->at_min = at_min_of(&x, k->st.sc);
    r->base_coverage = base.cov / x.W;
    r->coverage = k->st.cov / x.W;
    r->cost = k->st.cost;
    r->evaluations = x.evals;
    *out = r;
done:
    for (int t = 0; ws && t < x.nt; t++) {
        am_free(ws[t].cr);
        am_free(ws[t].nv);
    }
    am_free(ws);
    am_free(best_c);
    state_free(&base);
    run_free(&runs[0]);
    run_free(&runs[1]);
    am_free(x.u);
    return rc;
}
