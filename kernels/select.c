/*
 * select.c: site selection by lazy greedy and swap local search (see
 * select.h; docs/selection.md has the models and formulas for users).
 *
 * Every model is written as a loss to reduce: each cell i carries its
 * time d1_i to the nearest open site (the existing facilities, b_i, and
 * the chosen candidates) and the loss w_i f(d1_i), with
 *   MCLP and set covering: f(t) = [t > T] (the population not covered;
 *       the reported objective is the covered population),
 *   p-median: f(t) = min(t, P) (the reported objective is the loss).
 * f is non-decreasing, so the gain of a set S over the baseline,
 * G(S) = sum_i w_i (f(b_i) - f(min(b_i, t_iS))), is monotone and
 * submodular (Nemhauser, Wolsey & Fisher 1978): the greedy's marginal
 * gains only fall as the set grows, which lazy evaluation relies on.
 *
 * Greedy (CELF: Leskovec et al. 2007, "Cost-effective outbreak detection
 * in networks", KDD; kernels/celf.c, shared with select_rows.c): a
 * max-heap of upper bounds on each candidate's marginal gain (or gain per
 * cost); the top is re-evaluated until it is fresh for the current round,
 * then picked. Stale tops are re-evaluated in batches of a fixed size
 * (AM_CELF_BATCH, independent of the thread count) in parallel; the heap
 * orders by key descending then candidate ascending, so the pick is
 * exactly the plain greedy's argmax with ties to the lower index. With costs
 * and a budget the better of the unit-cost greedy and the cost-benefit greedy
 * is kept (Khuller, Moss & Naor 1999, "The budgeted maximum coverage problem",
 * IPL 70:39-45).
 *
 * Swap local search (Teitz & Bart 1968) with the bookkeeping of Resende
 * & Werneck (2007, "A fast swap-based local search procedure for
 * location problems", Ann. Oper. Res. 150:205-230): per cell its best
 * time d1 (slot phi, -1 the existing facilities) and second-best d2 among
 * the open sites. Swapping candidate a in for chosen slot r changes the
 * loss by gain(a) - loss(r) + extra(a, r) with
 *   gain(a)     = sum_{i in row a, t_ia < d1_i} w_i (f(d1_i) - f(t_ia)),
 *   loss(r)     = sum_{i: phi_i = r} w_i (f(d2_i) - f(d1_i)),
 *   extra(a, r) = sum_{i in row a, phi_i = r, t_ia < d2_i}
 *                     w_i (f(d2_i) - f(max(t_ia, d1_i))),
 * exact per cell (docs/selection.md derives it). One pass over every
 * candidate row computes gain and extra; after a swap of a for r only the
 * cells of rows a and r change, so only candidates whose row's cell range
 * meets those cells are recomputed (the others' gain and extra are cached,
 * dense n_cand x n_slots, when that fits AM_SEL_CACHE_MAX entries). The
 * best swap over all (a, r) is applied (ties: lower a, then lower slot)
 * until none improves by more than 1e-12 of the objective.
 *
 * Determinism: every candidate's gain and extra are sums over its row in
 * row order, computed by one thread; every choice among candidates is a
 * serial scan in index order. Results are byte-identical for any thread
 * count.
 */
#include "kernels/select.h"
#include "kernels/celf.h"
#include "kernels/select_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "common/alloc.h"
#include "common/units.h"

/* swap cache entries (n_cand x n_slots doubles); tests build with 0 to
 * exercise the path without a cache */
#ifndef AM_SEL_CACHE_MAX
#define AM_SEL_CACHE_MAX ((int64_t)1 << 26) /* 512 MiB of doubles */
#endif
#define AM_SEL_REL_TOL 1e-12
/* improve_search: restarts, iterations, and the pair visits they may
 * cost together */
#define AM_SEL_RESTARTS 8
#define AM_SEL_MIN_ITERS 8
#define AM_SEL_MAX_ITERS 64
#define AM_SEL_SEARCH_WORK 4e7

typedef struct sel_ctx {
    const am_sel_instance *in;
    int pmedian;              /* 1: f(t) = min(t, P); 0: f(t) = [t > T] */
    uint32_t T, P;            /* cover time, penalty */
    int nt;                   /* threads */
    uint32_t *d1;             /* [n_cells] best time among the open sites */
    int64_t evals;            /* gain evaluations */
    const am_sel_params *prm; /* its progress callback */
    int cancelled;
} sel_ctx;

/* Whether the caller asked to stop (prm->progress returned 0); called
 * between picks, swaps and restarts, from the calling thread. */
static int sel_stop(sel_ctx *c)
{
    if (!c->cancelled && c->prm->progress != NULL &&
        !c->prm->progress(0.0, "site selection", c->prm->progress_user))
        c->cancelled = 1;
    return c->cancelled;
}

/* Parallel regions only for enough work: on small instances a team's
 * start and barriers cost more than the work (results never depend on
 * it: every candidate is computed alone, in the same order). */
#define AM_SEL_PAR_MIN 262144 /* pair visits */

static int par_threads(const sel_ctx *c, int64_t work)
{
    return work >= AM_SEL_PAR_MIN ? c->nt : 1;
}

static inline int64_t row_len(const am_sel_instance *in, int32_t a)
{
    return in->row[a + 1] - in->row[a];
}

static inline double f_loss(const sel_ctx *c, uint32_t t)
{
    if (c->pmedian)
        return (double)(t < c->P ? t : c->P);
    return t > c->T ? 1.0 : 0.0;
}

static double cand_cost(const am_sel_instance *in, int32_t a)
{
    return in->cost ? in->cost[a] : 1.0;
}

/* Marginal gain of adding candidate a to the sites behind d1. */
static inline double row_gain(const sel_ctx *c, int32_t a)
{
    const am_sel_instance *in = c->in;
    const int64_t j = in->row[a];
    return am_celf_row_gain(c->pmedian, c->T, c->P, in->weight, c->d1,
                            in->cell + j, in->time_ds + j, row_len(in, a));
}

/* row_gain at the baseline, checking the row on the way: NaN when its
 * cells are not strictly ascending within [0, n_cells) or a time is
 * AM_TIME_INF or more (nothing is read out of range). */
static double row_gain_checked(const sel_ctx *c, int32_t a)
{
    const am_sel_instance *in = c->in;
    const int64_t j = in->row[a];
    if (!am_celf_row_ok(in->cell + j, in->time_ds + j, row_len(in, a),
                        in->n_cells))
        return NAN;
    return row_gain(c, a);
}

static void open_site(sel_ctx *c, int32_t a)
{
    const am_sel_instance *in = c->in;
    for (int64_t j = in->row[a]; j < in->row[a + 1]; j++) {
        int32_t i = in->cell[j];
        if (in->time_ds[j] < c->d1[i])
            c->d1[i] = in->time_ds[j];
    }
}

/* The loss sum_i w_i f(d1_i), serial in cell order. */
static double total_loss(const sel_ctx *c)
{
    double s = 0.0;
    for (int32_t i = 0; i < c->in->n_cells; i++)
        s += c->in->weight[i] * f_loss(c, c->d1[i]);
    return s;
}

static double total_weight(const am_sel_instance *in)
{
    double s = 0.0;
    for (int32_t i = 0; i < in->n_cells; i++)
        s += in->weight[i];
    return s;
}

/* ---- validation ---------------------------------------------------- */

static am_status check_instance(const am_sel_instance *in, am_error *err)
{
    if (!in || in->n_cells < 0 || in->n_cand < 0 ||
        (in->n_cells > 0 && (!in->weight || !in->base_ds)) || !in->row ||
        (in->row[in->n_cand] > 0 && (!in->cell || !in->time_ds)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: missing arrays or negative "
                            "sizes in the instance");
    if (in->row[0] != 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: candidate rows must start at 0 "
                            "(row[0] = %lld)",
                            (long long)in->row[0]);
    for (int32_t i = 0; i < in->n_cells; i++)
        if (!isfinite(in->weight[i]) || in->weight[i] < 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "site selection: cell %d has weight %g "
                                "(must be finite and >= 0)",
                                (int)i, in->weight[i]);
    for (int32_t a = 0; a < in->n_cand; a++) {
        if (in->row[a + 1] < in->row[a])
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "site selection: candidate rows decrease at "
                                "candidate %d",
                                (int)a);
        if (in->cost && (!isfinite(in->cost[a]) || in->cost[a] <= 0))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "site selection: candidate %d has cost %g "
                                "(must be finite and > 0)",
                                (int)a, in->cost[a]);
    }
    return AM_OK;
}

/* (select_rows.h) */
am_status am_sel_check_params(const am_sel_params *prm, int32_t n_cand,
                              const double *cost, am_error *err)
{
    if (!prm)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: no parameters");
    if (prm->model != AM_SEL_MCLP && prm->model != AM_SEL_PMEDIAN &&
        prm->model != AM_SEL_SETCOVER)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: unknown model %d",
                            (int)prm->model);
    if (prm->model == AM_SEL_PMEDIAN && prm->penalty_ds == 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: p-median needs a penalty "
                            "time > 0 (penalty_ds)");
    if (prm->model == AM_SEL_SETCOVER) {
        if (!(prm->target_share > 0 && prm->target_share <= 1))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "site selection: coverage target %g is "
                                "outside (0, 1]",
                                prm->target_share);
        return AM_OK;
    }
    if (prm->p < 0 || prm->p > n_cand)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: p = %d sites asked for among "
                            "%d candidates",
                            (int)prm->p, (int)n_cand);
    if (prm->p == 0) {
        if (!isfinite(prm->budget) || prm->budget <= 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "site selection: neither a site count p "
                                "nor a budget > 0 (budget = %g)",
                                prm->budget);
        double lo = INFINITY;
        for (int32_t a = 0; a < n_cand; a++)
            if ((cost ? cost[a] : 1.0) < lo)
                lo = cost ? cost[a] : 1.0;
        if (!(prm->budget >= lo))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "site selection: budget %g is below every "
                                "candidate's cost (cheapest %g)",
                                prm->budget, lo);
    }
    return AM_OK;
}

/* ---- result -------------------------------------------------------- */

void am_sel_result_free(am_sel_result *r)
{
    if (!r)
        return;
    am_free(r->chosen);
    am_free(r->steps);
    am_free(r);
}

typedef struct run_state {
    int32_t n_chosen, cap_chosen;
    int32_t *chosen;
    int32_t n_steps, cap_steps;
    am_sel_step *steps;
    double gain, cost; /* gain over the baseline, cost of the chosen set */
} run_state;

static void run_free(run_state *r)
{
    am_free(r->chosen);
    am_free(r->steps);
    memset(r, 0, sizeof *r);
}

static int run_step(run_state *r, int32_t added, int32_t removed, double g,
                    double objective)
{
    if (r->n_steps == r->cap_steps) {
        int32_t cap = r->cap_steps ? 2 * r->cap_steps : 16;
        am_sel_step *s = am_realloc_array(r->steps, (size_t)cap, sizeof *s);
        if (!s)
            return 0;
        r->steps = s;
        r->cap_steps = cap;
    }
    r->steps[r->n_steps++] =
        (am_sel_step){added, removed, g, objective, r->cost};
    return 1;
}

/* objective from the loss: MCLP and set covering report the covered
 * population (total - loss), p-median the loss itself. */
static double objective_of(const sel_ctx *c, double W, double loss)
{
    return c->pmedian ? loss : W - loss;
}

/* ---- lazy greedy (CELF, kernels/celf.h) ------------------------------ */

/* A greedy run's callbacks: the context and the run it records into. */
typedef struct greedy_user {
    sel_ctx *c;
    run_state *r;
    double W;
} greedy_user;

/* The batch's gains at c->d1, in parallel when the rows are long enough
 * (one candidate a task: the same values for any thread count). */
static am_status greedy_eval(void *user, const int32_t *cand, int nb,
                             double *gain)
{
    sel_ctx *c = ((greedy_user *)user)->c;
    int64_t work = 0;
    for (int b = 0; b < nb; b++)
        work += row_len(c->in, cand[b]);
    int nt = par_threads(c, work);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
    for (int b = 0; b < nb; b++)
        gain[b] = row_gain(c, cand[b]);
    c->evals += nb;
    return AM_OK;
}

static am_status greedy_pick(void *user, int32_t a, double g, double loss,
                             double cost)
{
    greedy_user *u = user;
    run_state *r = u->r;
    open_site(u->c, a);
    r->chosen[r->n_chosen++] = a;
    r->cost = cost;
    r->gain += g;
    return run_step(r, a, -1, g, objective_of(u->c, u->W, loss)) ? AM_OK
                                                                 : AM_ERR_NOMEM;
}

static int greedy_stop(void *user)
{
    return sel_stop(((greedy_user *)user)->c);
}

static am_celf_ops greedy_ops(greedy_user *u)
{
    return (am_celf_ops){.user = u,
                         .cost = u->c->in->cost,
                         .eval = greedy_eval,
                         .pick = greedy_pick,
                         .stop = greedy_stop};
}

/*
 * One greedy run from the baseline (c->d1 reset by the caller) into r
 * (empty). by_ratio: key gain / cost; max_sites (< 0: none), budget
 * (INFINITY: none), need: stop once the loss is <= need (set covering;
 * -INFINITY: never). init_gain: every candidate's gain at the baseline.
 * first >= 0: picked first (a restart). keep: NULL, or the final heap
 * (for lazy_bound).
 */
static am_status greedy_run(sel_ctx *c, const double *init_gain, int by_ratio,
                            int32_t max_sites, double budget, double need,
                            double W, double base_loss, run_state *r,
                            am_celf_heap *keep, int32_t first)
{
    const am_sel_instance *in = c->in;
    r->cap_chosen = in->n_cand;
    r->chosen = am_alloc_array((size_t)in->n_cand, sizeof *r->chosen);
    if (!r->chosen)
        return AM_ERR_NOMEM;
    greedy_user u = {c, r, W};
    const am_celf_ops ops = greedy_ops(&u);
    const am_celf_params gp = {by_ratio, max_sites, budget, need, first};
    return am_celf_greedy(&ops, in->n_cand, init_gain, base_loss, &gp, keep);
}

/* Minoux's bound for a site count p (am_celf_bound) from the greedy's
 * heap; c->d1 is the greedy's set, of gain gain. */
static double lazy_bound(sel_ctx *c, am_celf_heap *heap, int32_t p, double gain)
{
    greedy_user u = {c, NULL, 0.0};
    const am_celf_ops ops = greedy_ops(&u);
    return am_celf_bound(&ops, heap, p, gain);
}

/* ---- swap local search --------------------------------------------- */

typedef struct swap_ws {
    uint32_t *d2;     /* [n_cells] second-best time among the open sites */
    int32_t *phi;     /* [n_cells] slot of d1, -1: the existing facilities */
    int32_t *code;    /* [n_cells] MCLP: cell_code */
    double *gain;     /* [n_cand] */
    double *extra;    /* [n_cand * n_slots] or NULL (no cache) */
    double *loss;     /* [n_slots] */
    int32_t *slot_of; /* [n_cand] slot of a chosen candidate, -1 */
    int32_t *lo, *hi; /* [n_cand] first and last cell of the row */
    char *dirty;      /* [n_cand] recompute */
    double *tmp;      /* [n_threads * n_slots] extra accumulator */
    double *bestv;    /* [n_cand] without a cache: best swap's gain */
    int32_t *bestk;   /* [n_cand] and its slot */
} swap_ws;

/* Cell i's state from the baseline (before the chosen slots). p-median
 * keeps times clamped to P (f(t) = t below P), so that a time at or
 * beyond P never displaces anything. */
static inline void cell_reset(const sel_ctx *c, swap_ws *s, int32_t i)
{
    uint32_t b = c->in->base_ds[i];
    if (c->pmedian) {
        c->d1[i] = b < c->P ? b : c->P;
        s->d2[i] = c->P;
    } else {
        c->d1[i] = b;
        s->d2[i] = AM_TIME_INF;
    }
    s->phi[i] = -1;
}

/* MCLP: -2 uncovered, k >= 0 covered by slot k alone, -1 otherwise. */
static inline void cell_code(const sel_ctx *c, swap_ws *s, int32_t i)
{
    if (!c->pmedian)
        s->code[i] = c->d1[i] > c->T                     ? -2
                     : s->phi[i] >= 0 && s->d2[i] > c->T ? s->phi[i]
                                                         : -1;
}

/* Sets d1, d2, phi (and MCLP's code) of the cells in the ascending list
 * cells (NULL: all) from the baseline and every open slot. */
static void rebuild_cells(sel_ctx *c, swap_ws *s, const int32_t *chosen,
                          int32_t n_slots, const int32_t *cells, int32_t nc,
                          char *mark)
{
    const am_sel_instance *in = c->in;
    if (!cells) {
        for (int32_t i = 0; i < in->n_cells; i++)
            cell_reset(c, s, i);
    } else {
        for (int32_t k = 0; k < nc; k++) {
            cell_reset(c, s, cells[k]);
            mark[cells[k]] = 1;
        }
    }
    for (int32_t k = 0; k < n_slots; k++) {
        int32_t a = chosen[k];
        for (int64_t j = in->row[a]; j < in->row[a + 1]; j++) {
            int32_t i = in->cell[j];
            if (cells && !mark[i])
                continue;
            uint32_t t = in->time_ds[j];
            if (t < c->d1[i]) {
                s->d2[i] = c->d1[i];
                c->d1[i] = t;
                s->phi[i] = k;
            } else if (t < s->d2[i]) {
                s->d2[i] = t;
            }
        }
    }
    if (cells) {
        for (int32_t k = 0; k < nc; k++) {
            mark[cells[k]] = 0;
            cell_code(c, s, cells[k]);
        }
    } else {
        for (int32_t i = 0; i < in->n_cells; i++)
            cell_code(c, s, i);
    }
}

/* gain(a) and extra(a, .) into ex (zeroed by the caller, n_slots). MCLP:
 * a pair within T gains an uncovered cell's weight, and adds the weight
 * of a cell covered by one slot alone to that slot's extra (max(t, d1)
 * <= T < d2). p-median, times clamped to P: w (d1 - t) when t < d1, and
 * w (d2 - max(t, d1)) to phi's extra when t < d2. */
static double row_gain_extra(const sel_ctx *c, const swap_ws *s, int32_t a,
                             double *ex)
{
    const am_sel_instance *in = c->in;
    const int32_t *cell = in->cell;
    const uint32_t *time = in->time_ds;
    const double *w = in->weight;
    double g = 0.0;
    int64_t j0 = in->row[a], j1 = in->row[a + 1];
    if (!c->pmedian) {
        const int32_t *code = s->code;
        uint32_t T = c->T;
        for (int64_t j = j0; j < j1; j++) {
            if (time[j] > T)
                continue;
            int32_t i = cell[j], k = code[i];
            if (k == -2)
                g += w[i];
            else if (k >= 0)
                ex[k] += w[i];
        }
        return g;
    }
    const uint32_t *d1 = c->d1, *d2 = s->d2;
    for (int64_t j = j0; j < j1; j++) {
        int32_t i = cell[j];
        uint32_t t = time[j];
        if (t >= d2[i])
            continue; /* d2 >= d1: neither term */
        uint32_t e1 = d1[i];
        if (t < e1)
            g += w[i] * (double)(e1 - t);
        int32_t k = s->phi[i];
        if (k >= 0)
            ex[k] += w[i] * (double)(d2[i] - (t > e1 ? t : e1));
    }
    return g;
}

static void slot_losses(const sel_ctx *c, swap_ws *s, int32_t n_slots)
{
    const am_sel_instance *in = c->in;
    for (int32_t k = 0; k < n_slots; k++)
        s->loss[k] = 0.0;
    for (int32_t i = 0; i < in->n_cells; i++)
        if (c->pmedian ? s->phi[i] >= 0 : s->code[i] >= 0)
            s->loss[s->phi[i]] +=
                in->weight[i] * (f_loss(c, s->d2[i]) - f_loss(c, c->d1[i]));
}

/* Recomputes gain and extra of the dirty candidates: extra into the cache,
 * or without one the candidate's best swap (bestv, bestk) at the current
 * slot losses. */
static void swap_pass(sel_ctx *c, swap_ws *s, int32_t n_slots,
                      const run_state *r, double budget)
{
    const am_sel_instance *in = c->in;
    int64_t evals = 0;
    int64_t work = 0;
    for (int32_t a = 0; a < in->n_cand; a++)
        if (s->dirty[a])
            work += row_len(in, a);
    int nt = par_threads(c, work);
    int32_t ns = r->n_chosen;
    /* in blocks of candidates, Ctrl-C asked between them (a pass over a
     * large instance takes minutes); a cancelled pass leaves candidates
     * dirty, and the caller stops at its next check */
    const int32_t block = 4096;
    for (int32_t a0 = 0; a0 < in->n_cand; a0 += block) {
        if (a0 > 0 && sel_stop(c))
            break;
        const int32_t a1 = in->n_cand - a0 < block ? in->n_cand : a0 + block;
#pragma omp parallel num_threads(nt) reduction(+ : evals) if (nt > 1)
        {
            double *ex =
                s->tmp + (size_t)omp_get_thread_num() * (size_t)n_slots;
#pragma omp for schedule(dynamic, 64)
            for (int32_t a = a0; a < a1; a++) {
                if (!s->dirty[a])
                    continue;
                s->dirty[a] = 0;
                if (s->slot_of[a] >= 0) {
                    s->gain[a] = 0.0;
                    continue;
                }
                memset(ex, 0, (size_t)n_slots * sizeof *ex);
                s->gain[a] = row_gain_extra(c, s, a, ex);
                evals++;
                if (s->extra) {
                    memcpy(s->extra + (size_t)a * (size_t)n_slots, ex,
                           (size_t)n_slots * sizeof *ex);
                    continue;
                }
                double bv = 0.0, ca = cand_cost(in, a);
                int32_t bk = -1;
                for (int32_t k = 0; k < ns; k++) {
                    if (r->cost - cand_cost(in, r->chosen[k]) + ca > budget)
                        continue;
                    double v = s->gain[a] - s->loss[k] + ex[k];
                    if (v > bv) {
                        bv = v;
                        bk = k;
                    }
                }
                s->bestv[a] = bv;
                s->bestk[a] = bk;
            }
        }
    }
    c->evals += evals;
}

typedef struct bound_item {
    double key;
    int32_t cand;
} bound_item;

static int cmp_bound(const void *x, const void *y)
{
    const bound_item *a = x, *b = y;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return (a->cand > b->cand) - (a->cand < b->cand);
}

/*
 * Best-improvement swaps from the set in r until none improves the loss
 * by more than AM_SEL_REL_TOL of the objective. Records each swap.
 * bound_gain: when not NULL, the a posteriori bound at the starting set.
 */
static am_status local_search(sel_ctx *c, run_state *r, double budget, double W,
                              double base_loss, int swaps, int32_t p_bound,
                              double *bound_gain)
{
    const am_sel_instance *in = c->in;
    int32_t ns = r->n_chosen;
    int32_t slots = ns > 0 ? ns : 1;
    swap_ws s = {0};
    am_status st = AM_ERR_NOMEM;
    int nt = c->nt;
    int cache = swaps && (int64_t)in->n_cand * slots <= AM_SEL_CACHE_MAX;
    char *mark = NULL;
    int32_t *aff = NULL;
    s.d2 = am_alloc_array((size_t)in->n_cells, sizeof *s.d2);
    s.phi = am_alloc_array((size_t)in->n_cells, sizeof *s.phi);
    s.code = am_alloc_array((size_t)in->n_cells, sizeof *s.code);
    s.gain = am_alloc_array((size_t)in->n_cand, sizeof *s.gain);
    s.loss = am_alloc_array((size_t)slots, sizeof *s.loss);
    s.slot_of = am_alloc_array((size_t)in->n_cand, sizeof *s.slot_of);
    s.lo = am_alloc_array((size_t)in->n_cand, sizeof *s.lo);
    s.hi = am_alloc_array((size_t)in->n_cand, sizeof *s.hi);
    s.dirty = am_alloc_array((size_t)in->n_cand, 1);
    s.tmp = am_alloc_array((size_t)nt * (size_t)slots, sizeof *s.tmp);
    mark = am_calloc_array((size_t)in->n_cells, 1);
    s.bestv = am_alloc_array((size_t)in->n_cand, sizeof *s.bestv);
    s.bestk = am_alloc_array((size_t)in->n_cand, sizeof *s.bestk);
    if (cache)
        s.extra =
            am_alloc_array((size_t)in->n_cand * (size_t)slots, sizeof *s.extra);
    if (!s.d2 || !s.phi || !s.code || !s.gain || !s.loss || !s.slot_of ||
        !s.lo || !s.hi || !s.dirty || !s.tmp || !mark || !s.bestv || !s.bestk ||
        (cache && !s.extra))
        goto done;
    for (int32_t a = 0; a < in->n_cand; a++) {
        s.slot_of[a] = -1;
        s.dirty[a] = 1;
        int64_t b = in->row[a], e = in->row[a + 1];
        s.lo[a] = b < e ? in->cell[b] : 0;
        s.hi[a] = b < e ? in->cell[e - 1] : -1;
    }
    for (int32_t k = 0; k < ns; k++)
        s.slot_of[r->chosen[k]] = k;
    rebuild_cells(c, &s, r->chosen, ns, NULL, 0, mark);
    slot_losses(c, &s, ns);
    swap_pass(c, &s, slots, r, budget);
    if (c->cancelled) { /* the gains are incomplete */
        st = AM_ERR_CANCELLED;
        goto done;
    }
    if (bound_gain) {
        /* Minoux's a posteriori bound (Leskovec et al. 2007, eq. 5):
         * G(OPT) <= G(S) + the best p marginal gains at S, or with a
         * budget their fractional knapsack by gain per cost. */
        bound_item *it = am_alloc_array((size_t)in->n_cand, sizeof *it);
        if (!it)
            goto done;
        int32_t m = 0;
        for (int32_t a = 0; a < in->n_cand; a++)
            if (s.gain[a] > 0)
                it[m++] = (bound_item){
                    p_bound > 0 ? s.gain[a] : s.gain[a] / cand_cost(in, a), a};
        qsort(it, (size_t)m, sizeof *it, cmp_bound);
        double b = r->gain, room = budget;
        for (int32_t k = 0; k < m; k++) {
            double g = s.gain[it[k].cand];
            if (p_bound > 0) {
                if (k >= p_bound)
                    break;
                b += g;
            } else {
                if (!(room > 0))
                    break;
                double cst = cand_cost(in, it[k].cand);
                b += cst <= room ? g : g * room / cst;
                room -= cst;
            }
        }
        am_free(it);
        *bound_gain = b;
    }
    if (!swaps || ns == 0) {
        st = AM_OK;
        goto done;
    }
    aff = am_alloc_array((size_t)in->n_cells > 0 ? (size_t)in->n_cells : 1,
                         sizeof *aff);
    if (!aff)
        goto done;
    double loss = base_loss - r->gain;
    int64_t max_iter = 100 * (int64_t)ns + 1000;
    for (int64_t it = 0; it < max_iter; it++) {
        if (sel_stop(c)) {
            st = AM_ERR_CANCELLED;
            goto done;
        }
        /* best (a, k): serial, candidate order, slots ascending; a swap
         * improves by at most gain(a) (extra(a, k) <= loss(k)) */
        double best = 0.0;
        int32_t ba = -1, bk = -1;
        double tol = AM_SEL_REL_TOL * fmax(fabs(objective_of(c, W, loss)),
                                           fabs(objective_of(c, W, base_loss)));
        for (int32_t a = 0; a < in->n_cand; a++) {
            if (s.slot_of[a] >= 0 || !(s.gain[a] > best))
                continue;
            if (!s.extra) {
                if (s.bestv[a] > best) {
                    best = s.bestv[a];
                    ba = a;
                    bk = s.bestk[a];
                }
                continue;
            }
            const double *ex = s.extra + (size_t)a * (size_t)slots;
            double ca = cand_cost(in, a);
            for (int32_t k = 0; k < ns; k++) {
                if (r->cost - cand_cost(in, r->chosen[k]) + ca > budget)
                    continue;
                double v = s.gain[a] - s.loss[k] + ex[k];
                if (v > best) {
                    best = v;
                    ba = a;
                    bk = k;
                }
            }
        }
        if (ba < 0 || !(best > tol))
            break;
        /* apply: the cells of rows ba and the removed site change */
        int32_t rem = r->chosen[bk];
        int32_t na = 0;
        {
            int64_t x = in->row[ba], xe = in->row[ba + 1];
            int64_t y = in->row[rem], ye = in->row[rem + 1];
            while (x < xe || y < ye) {
                int32_t u = x < xe ? in->cell[x] : INT32_MAX;
                int32_t v = y < ye ? in->cell[y] : INT32_MAX;
                if (u <= v) {
                    aff[na++] = u;
                    x++;
                    if (u == v)
                        y++;
                } else {
                    aff[na++] = v;
                    y++;
                }
            }
        }
        double before = 0.0, after = 0.0;
        for (int32_t k = 0; k < na; k++)
            before += in->weight[aff[k]] * f_loss(c, c->d1[aff[k]]);
        s.slot_of[rem] = -1;
        s.slot_of[ba] = bk;
        r->chosen[bk] = ba;
        r->cost += cand_cost(in, ba) - cand_cost(in, rem);
        rebuild_cells(c, &s, r->chosen, ns, aff, na, mark);
        for (int32_t k = 0; k < na; k++)
            after += in->weight[aff[k]] * f_loss(c, c->d1[aff[k]]);
        double g = before - after;
        loss -= g;
        r->gain += g;
        if (!run_step(r, ba, rem, g, objective_of(c, W, loss)))
            goto done;
        slot_losses(c, &s, ns);
        /* dirty: candidates whose cell range meets an affected cell */
        if (!s.extra) {
            memset(s.dirty, 1, (size_t)in->n_cand);
        } else {
            int ntd = par_threads(c, 16 * (int64_t)in->n_cand);
#pragma omp parallel for schedule(static) num_threads(ntd) if (ntd > 1)
            for (int32_t a = 0; a < in->n_cand; a++) {
                int32_t lo = 0, hi = na;
                while (lo < hi) {
                    int32_t mid = lo + (hi - lo) / 2;
                    if (aff[mid] < s.lo[a])
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                s.dirty[a] = lo < na && aff[lo] <= s.hi[a];
            }
            s.dirty[ba] = s.dirty[rem] = 1;
        }
        swap_pass(c, &s, slots, r, budget);
    }
    st = AM_OK;
done:
    am_free(s.d2);
    am_free(s.phi);
    am_free(s.code);
    am_free(s.gain);
    am_free(s.extra);
    am_free(s.loss);
    am_free(s.slot_of);
    am_free(s.lo);
    am_free(s.hi);
    am_free(s.dirty);
    am_free(s.tmp);
    am_free(s.bestv);
    am_free(s.bestk);
    am_free(mark);
    am_free(aff);
    return st;
}

/* Set covering: drop chosen sites whose removal keeps the target, the
 * costliest first (ties: the smallest loss, then the lower slot). */
static am_status drop_redundant(sel_ctx *c, run_state *r, double W,
                                double base_loss, double need)
{
    const am_sel_instance *in = c->in;
    for (;;) {
        int32_t ns = r->n_chosen, best = -1;
        double bl = 0, bc = 0;
        double loss = base_loss - r->gain;
        for (int32_t k = 0; k < ns; k++) {
            /* loss after removing slot k: recompute from scratch on the
             * row's cells (rows are small next to n_cells) */
            int32_t a = r->chosen[k];
            double dl = 0.0;
            for (int64_t j = in->row[a]; j < in->row[a + 1]; j++) {
                int32_t i = in->cell[j];
                if (in->time_ds[j] != c->d1[i])
                    continue;
                uint32_t alt = in->base_ds[i];
                for (int32_t q = 0; q < ns; q++) {
                    if (q == k)
                        continue;
                    int32_t b = r->chosen[q];
                    /* binary search cell i in row b */
                    int64_t lo = in->row[b], hi = in->row[b + 1];
                    while (lo < hi) {
                        int64_t mid = lo + (hi - lo) / 2;
                        if (in->cell[mid] < i)
                            lo = mid + 1;
                        else
                            hi = mid;
                    }
                    if (lo < in->row[b + 1] && in->cell[lo] == i &&
                        in->time_ds[lo] < alt)
                        alt = in->time_ds[lo];
                }
                dl += in->weight[i] * (f_loss(c, alt) - f_loss(c, c->d1[i]));
            }
            c->evals++;
            if (!(loss + dl <= need))
                continue;
            double cst = cand_cost(in, a);
            if (best < 0 || cst > bc || (cst == bc && dl < bl)) {
                best = k;
                bc = cst;
                bl = dl;
            }
        }
        if (best < 0)
            return AM_OK;
        int32_t rem = r->chosen[best];
        memmove(r->chosen + best, r->chosen + best + 1,
                (size_t)(ns - best - 1) * sizeof *r->chosen);
        r->n_chosen--;
        r->cost -= cand_cost(in, rem);
        for (int32_t i = 0; i < in->n_cells; i++)
            c->d1[i] = in->base_ds[i];
        for (int32_t k = 0; k < r->n_chosen; k++)
            open_site(c, r->chosen[k]);
        double nl = total_loss(c);
        double g = (base_loss - r->gain) - nl; /* <= 0 */
        r->gain += g;
        if (!run_step(r, -1, rem, g, objective_of(c, W, nl)))
            return AM_ERR_NOMEM;
    }
}

static am_status run_copy(const run_state *src, int32_t n_cand, run_state *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->chosen = am_alloc_array((size_t)n_cand + 1, sizeof *dst->chosen);
    dst->steps = am_alloc_array((size_t)src->n_steps + 16, sizeof *dst->steps);
    if (!dst->chosen || !dst->steps) {
        run_free(dst);
        return AM_ERR_NOMEM;
    }
    dst->cap_chosen = n_cand + 1;
    dst->cap_steps = src->n_steps + 16;
    memcpy(dst->chosen, src->chosen,
           (size_t)src->n_chosen * sizeof *dst->chosen);
    memcpy(dst->steps, src->steps, (size_t)src->n_steps * sizeof *dst->steps);
    dst->n_chosen = src->n_chosen;
    dst->n_steps = src->n_steps;
    dst->gain = src->gain;
    dst->cost = src->cost;
    return AM_OK;
}

static uint64_t lcg_next(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

/*
 * The perturbation of the iterated local search: 1 to 3 chosen slots
 * (drawn by the fixed-seed generator) are emptied and refilled greedily
 * (the largest marginal gain given the other sites, ties to the lower
 * index; the removed sites excluded), each refill recorded as a swap in
 * place (its gain may be negative). open: [n_cand] zeroed scratch, gbuf:
 * [n_cand].
 */
static am_status destroy_repair(sel_ctx *c, run_state *rr, char *open,
                                double *gbuf, uint64_t *rng, double W,
                                double base_loss)
{
    const am_sel_instance *in = c->in;
    int32_t ns = rr->n_chosen, slot[3], rem[3], add[3];
    int m = 1 + (int)(lcg_next(rng) % 3);
    if (m > ns)
        m = ns;
    for (int q = 0; q < m; q++) {
        int dup;
        do {
            slot[q] = (int32_t)(lcg_next(rng) % (uint64_t)ns);
            dup = 0;
            for (int q2 = 0; q2 < q; q2++)
                dup |= slot[q2] == slot[q];
        } while (dup);
        rem[q] = rr->chosen[slot[q]];
    }
    for (int32_t k = 0; k < ns; k++)
        open[rr->chosen[k]] = 1; /* the removed ones stay excluded */
    memcpy(c->d1, in->base_ds, (size_t)in->n_cells * sizeof *c->d1);
    for (int32_t k = 0; k < ns; k++) {
        int removed = 0;
        for (int q = 0; q < m; q++)
            removed |= k == slot[q];
        if (!removed)
            open_site(c, rr->chosen[k]);
    }
    int n_add = 0;
    for (int q = 0; q < m; q++) {
        int nt = par_threads(c, in->row[in->n_cand]);
        const sel_ctx *cc = c;
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt) if (nt > 1)
        for (int32_t a = 0; a < in->n_cand; a++)
            gbuf[a] = open[a] ? 0.0 : row_gain(cc, a);
        c->evals += in->n_cand;
        int32_t best = -1;
        for (int32_t a = 0; a < in->n_cand; a++)
            if (gbuf[a] > 0 && (best < 0 || gbuf[a] > gbuf[best]))
                best = a;
        if (best < 0)
            break;
        open_site(c, best);
        open[best] = 1;
        add[n_add++] = best;
    }
    for (int32_t a = 0; a < in->n_cand; a++)
        open[a] = 0;
    for (int q = 0; q < n_add; q++) {
        rr->chosen[slot[q]] = add[q];
        memcpy(c->d1, in->base_ds, (size_t)in->n_cells * sizeof *c->d1);
        for (int32_t k = 0; k < ns; k++)
            open_site(c, rr->chosen[k]);
        double loss = total_loss(c);
        double g = (base_loss - rr->gain) - loss;
        rr->gain = base_loss - loss;
        rr->cost += cand_cost(in, add[q]) - cand_cost(in, rem[q]);
        if (!run_step(rr, add[q], rem[q], g, objective_of(c, W, loss)))
            return AM_ERR_NOMEM;
    }
    return AM_OK;
}

/*
 * More search, only when cheap (a site count, local search on, and at
 * least AM_SEL_MIN_ITERS rounds of a whole greedy or local search fit in
 * AM_SEL_SEARCH_WORK pair visits; none on large instances):
 *  - restarts: the greedy and swap search again with the first pick
 *    forced to each of the next AM_SEL_RESTARTS best candidates at the
 *    baseline (by gain, ties to the lower index; the greedy's own first
 *    pick skipped);
 *  - then iterated local search (Lourenco, Martin & Stuetzle 2003,
 *    "Iterated local search", Handbook of Metaheuristics): the best set so
 *    far perturbed by destroy_repair (the draws from a fixed-seed
 *    generator, the same for any thread count), then the swap search
 *    again.
 * A run replaces the best when strictly better by more than the
 * tolerance; the kept run's steps are its picks, the perturbation's swaps
 * (whose gain may be negative) and the swaps that followed.
 */
static am_status improve_search(sel_ctx *c, const double *g0, run_state *ru,
                                int32_t max_sites, double W, double base_loss)
{
    const am_sel_instance *in = c->in;
    double work = 4.0 * (double)in->row[in->n_cand] +
                  8.0 * (double)in->n_cells + 4.0 * (double)in->n_cand;
    int n_it = (int)fmin((double)AM_SEL_MAX_ITERS,
                         floor((double)AM_SEL_SEARCH_WORK / work));
    if (n_it < AM_SEL_MIN_ITERS || ru->n_steps == 0 || ru->n_chosen == 0)
        return AM_OK;
    int32_t skip = ru->steps[0].added;
    char *used = am_calloc_array((size_t)in->n_cand, 1);
    char *open = am_calloc_array((size_t)in->n_cand, 1);
    double *gbuf = am_alloc_array((size_t)in->n_cand, sizeof *gbuf);
    if (!used || !open || !gbuf) {
        am_free(used);
        am_free(open);
        am_free(gbuf);
        return AM_ERR_NOMEM;
    }
    used[skip] = 1;
    am_status st = AM_OK;
    double tol =
        AM_SEL_REL_TOL * fmax(fabs(objective_of(c, W, base_loss)), 1e-300);
    uint64_t rng = 0x5DEECE66DULL;
    for (int k = 0; k < n_it && st == AM_OK; k++) {
        if (sel_stop(c)) {
            st = AM_ERR_CANCELLED;
            break;
        }
        run_state rr = {0};
        if (k < AM_SEL_RESTARTS) {
            int32_t first = -1;
            for (int32_t a = 0; a < in->n_cand; a++)
                if (!used[a] && g0[a] > 0 && (first < 0 || g0[a] > g0[first]))
                    first = a;
            if (first < 0)
                continue;
            used[first] = 1;
            memcpy(c->d1, in->base_ds, (size_t)in->n_cells * sizeof *c->d1);
            st = greedy_run(c, g0, 0, max_sites, INFINITY, -INFINITY, W,
                            base_loss, &rr, NULL, first);
        } else {
            st = run_copy(ru, in->n_cand, &rr);
            if (st != AM_OK)
                break;
            st = destroy_repair(c, &rr, open, gbuf, &rng, W, base_loss);
        }
        if (st == AM_OK)
            st = local_search(c, &rr, INFINITY, W, base_loss, 1, max_sites,
                              NULL);
        if (st == AM_OK && rr.gain > ru->gain + tol) {
            run_state t = *ru;
            *ru = rr;
            rr = t;
        }
        run_free(&rr);
    }
    am_free(used);
    am_free(open);
    am_free(gbuf);
    return st;
}

static am_status solve_core(const am_sel_instance *in, const am_sel_params *prm,
                            am_sel_result **out, am_error *err)
{
    if (!out)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: no output");
    *out = NULL;
    am_status st = check_instance(in, err);
    if (st == AM_OK)
        st = am_sel_check_params(prm, in->n_cand, in->cost, err);
    if (st != AM_OK)
        return st;
    sel_ctx c = {.in = in,
                 .pmedian = prm->model == AM_SEL_PMEDIAN,
                 .T = prm->cover_ds,
                 .P = prm->penalty_ds,
                 .nt = prm->n_threads > 0 ? prm->n_threads
                                          : omp_get_max_threads(),
                 .prm = prm};
    am_sel_result *res = am_calloc(1, sizeof *res);
    double *g0 = am_alloc_array((size_t)in->n_cand, sizeof *g0);
    c.d1 = am_alloc_array((size_t)in->n_cells, sizeof *c.d1);
    run_state ru = {0}, rr = {0};
    am_celf_heap heap = {0}; /* the greedy's, kept for lazy_bound */
    st = AM_ERR_NOMEM;
    if (!res || !g0 || !c.d1)
        goto fail;
    memcpy(c.d1, in->base_ds, (size_t)in->n_cells * sizeof *c.d1);
    double W = total_weight(in);
    double base_loss = total_loss(&c);
    {
        int nt = par_threads(&c, in->row[in->n_cand]);
        sel_ctx *cp = &c;
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt) if (nt > 1)
        for (int32_t a = 0; a < in->n_cand; a++)
            g0[a] = row_gain_checked(cp, a);
        c.evals += in->n_cand;
    }
    for (int32_t a = 0; a < in->n_cand; a++)
        if (isnan(g0[a])) {
            st = am_error_set(err, AM_ERR_INVALID, NULL,
                              "site selection: candidate %d's row is not "
                              "strictly ascending by cell within [0, %d), "
                              "or has a time >= AM_TIME_INF",
                              (int)a, (int)in->n_cells);
            goto fail_quiet;
        }
    int setcover = prm->model == AM_SEL_SETCOVER;
    double need = -INFINITY, budget = INFINITY;
    int32_t max_sites = -1;
    int costs = in->cost != NULL;
    if (setcover) {
        /* covered >= target W  <=>  loss <= (1 - target) W (with a
         * relative slack for rounding) */
        need = (1.0 - prm->target_share) * W + AM_SEL_REL_TOL * W;
    } else if (prm->p > 0) {
        max_sites = prm->p;
    } else {
        budget = prm->budget;
    }
    /* unit-cost greedy; with costs (budget or set covering) also the
     * cost-benefit greedy, the better one kept */
    /* a site count without local search: the bound from the greedy's heap */
    int lazy = !setcover && max_sites > 0 && !prm->local_search;
    st = greedy_run(&c, g0, setcover && costs, max_sites, budget, need, W,
                    base_loss, &ru, lazy ? &heap : NULL, -1);
    if (st != AM_OK)
        goto fail;
    if (costs && !setcover && prm->p == 0) {
        memcpy(c.d1, in->base_ds, (size_t)in->n_cells * sizeof *c.d1);
        st = greedy_run(&c, g0, 1, max_sites, budget, need, W, base_loss, &rr,
                        NULL, -1);
        if (st != AM_OK)
            goto fail;
        if (rr.gain > ru.gain) {
            run_state t = ru;
            ru = rr;
            rr = t;
        }
        run_free(&rr);
    }
    /* d1 back to the kept run's set */
    memcpy(c.d1, in->base_ds, (size_t)in->n_cells * sizeof *c.d1);
    for (int32_t k = 0; k < ru.n_chosen; k++)
        open_site(&c, ru.chosen[k]);
    double bound = NAN;
    if (setcover) {
        res->reached_target = base_loss - ru.gain <= need;
        if (prm->local_search && res->reached_target) {
            st = drop_redundant(&c, &ru, W, base_loss, need);
            if (st != AM_OK)
                goto fail;
        }
    } else if (lazy) {
        bound = lazy_bound(&c, &heap, max_sites, ru.gain);
    } else {
        st = local_search(&c, &ru, budget, W, base_loss, prm->local_search,
                          max_sites, &bound);
        if (st != AM_OK)
            goto fail;
        if (prm->local_search && max_sites > 0) {
            st = improve_search(&c, g0, &ru, max_sites, W, base_loss);
            if (st != AM_OK)
                goto fail;
        }
    }
    /* the final objective recomputed from scratch */
    memcpy(c.d1, in->base_ds, (size_t)in->n_cells * sizeof *c.d1);
    for (int32_t k = 0; k < ru.n_chosen; k++)
        open_site(&c, ru.chosen[k]);
    double final_loss = total_loss(&c);
    res->n_chosen = ru.n_chosen;
    res->chosen = ru.chosen;
    res->n_steps = ru.n_steps;
    res->steps = ru.steps;
    ru.chosen = NULL;
    ru.steps = NULL;
    if (!res->chosen) /* keep non-NULL arrays even when empty */
        res->chosen = am_alloc_array(1, sizeof *res->chosen);
    if (!res->steps)
        res->steps = am_alloc_array(1, sizeof *res->steps);
    if (!res->chosen || !res->steps)
        goto fail;
    res->base_objective = objective_of(&c, W, base_loss);
    res->objective = objective_of(&c, W, final_loss);
    res->bound = bound;
    res->gain_evaluations = c.evals;
    am_free(heap.item);
    am_free(g0);
    am_free(c.d1);
    *out = res;
    return AM_OK;
fail:
    st = am_error_set(err, st, NULL,
                      st == AM_ERR_CANCELLED ? "site selection: cancelled"
                                             : "site selection: out of memory");
fail_quiet:
    am_free(heap.item);
    run_free(&ru);
    run_free(&rr);
    am_sel_result_free(res);
    am_free(g0);
    am_free(c.d1);
    return st;
}

/* (select_rows.h) */
am_status am_sel_cover_fewer(const am_sel_params *prm, int32_t n_cand,
                             const double *cost, double W,
                             am_sel_solve_fn solve, void *user,
                             am_sel_result **out, am_error *err)
{
    if (prm->model != AM_SEL_SETCOVER || !prm->local_search ||
        !(*out)->reached_target || (*out)->n_chosen == 0)
        return AM_OK;
    am_sel_result *res = *out;
    double lo = INFINITY;
    for (int32_t a = 0; a < n_cand; a++)
        lo = fmin(lo, cost ? cost[a] : 1.0);
    double need = prm->target_share * W - AM_SEL_REL_TOL * W;
    for (;;) {
        am_sel_params q = *prm;
        q.model = AM_SEL_MCLP;
        if (!cost) {
            q.p = res->n_chosen - 1;
            if (q.p < 1)
                break;
        } else {
            double c = 0.0;
            for (int32_t k = 0; k < res->n_chosen; k++)
                c += cost[res->chosen[k]];
            q.p = 0;
            q.budget = c * (1.0 - 1e-9);
            if (q.budget < lo)
                break;
        }
        am_sel_result *m = NULL;
        am_status st = solve(user, &q, &m, err);
        if (st != AM_OK) {
            am_sel_result_free(res);
            *out = NULL;
            return st;
        }
        if (!(m->objective >= need)) {
            res->gain_evaluations += m->gain_evaluations;
            am_sel_result_free(m);
            break;
        }
        m->gain_evaluations += res->gain_evaluations;
        m->reached_target = 1;
        m->bound = NAN;
        am_sel_result_free(res);
        res = m;
    }
    *out = res;
    return AM_OK;
}

static am_status solve_core_fn(void *user, const am_sel_params *prm,
                               am_sel_result **out, am_error *err)
{
    return solve_core(user, prm, out, err);
}

am_status am_sel_solve(const am_sel_instance *in, const am_sel_params *prm,
                       am_sel_result **out, am_error *err)
{
    am_status st = solve_core(in, prm, out, err);
    if (st != AM_OK)
        return st;
    return am_sel_cover_fewer(prm, in->n_cand, in->cost, total_weight(in),
                              solve_core_fn, (void *)in, out, err);
}

double am_sel_objective(const am_sel_instance *in, const am_sel_params *prm,
                        const int32_t *sites, int32_t n_sites)
{
    if (!in || !prm || in->n_cells < 0)
        return NAN;
    sel_ctx c = {.in = in,
                 .pmedian = prm->model == AM_SEL_PMEDIAN,
                 .T = prm->cover_ds,
                 .P = prm->penalty_ds};
    c.d1 = am_alloc_array((size_t)in->n_cells, sizeof *c.d1);
    if (!c.d1)
        return NAN;
    memcpy(c.d1, in->base_ds, (size_t)in->n_cells * sizeof *c.d1);
    for (int32_t k = 0; k < n_sites; k++)
        if (sites[k] >= 0 && sites[k] < in->n_cand)
            open_site(&c, sites[k]);
    double v = objective_of(&c, total_weight(in), total_loss(&c));
    am_free(c.d1);
    return v;
}

/* ---- from a given greedy run (kernels/select_rows.h) ----------------- */

am_status am_sel_refine(const am_sel_instance *in, const am_sel_params *prm,
                        const int32_t *chosen, int32_t n_chosen,
                        const am_sel_step *steps, int32_t n_steps,
                        am_sel_result **out, am_error *err)
{
    *out = NULL;
    am_status st = check_instance(in, err);
    if (st != AM_OK)
        return st;
    sel_ctx c = {.in = in,
                 .pmedian = prm->model == AM_SEL_PMEDIAN,
                 .T = prm->cover_ds,
                 .P = prm->penalty_ds,
                 .prm = prm,
                 .nt = prm->n_threads > 0 ? prm->n_threads
                                          : omp_get_max_threads()};
    am_sel_result *res = am_calloc(1, sizeof *res);
    double *g0 = am_alloc_array((size_t)in->n_cand + 1, sizeof *g0);
    c.d1 = am_alloc_array((size_t)in->n_cells + 1, sizeof *c.d1);
    run_state ru = {0};
    st = AM_ERR_NOMEM;
    if (!res || !g0 || !c.d1)
        goto fail;
    ru.chosen = am_alloc_array((size_t)in->n_cand + 1, sizeof *ru.chosen);
    ru.steps = am_alloc_array((size_t)n_steps + 16, sizeof *ru.steps);
    if (!ru.chosen || !ru.steps)
        goto fail;
    ru.cap_chosen = in->n_cand + 1;
    ru.cap_steps = n_steps + 16;
    memcpy(ru.chosen, chosen, (size_t)n_chosen * sizeof *ru.chosen);
    memcpy(ru.steps, steps, (size_t)n_steps * sizeof *ru.steps);
    ru.n_chosen = n_chosen;
    ru.n_steps = n_steps;
    memcpy(c.d1, in->base_ds, (size_t)in->n_cells * sizeof *c.d1);
    const double W = total_weight(in), base_loss = total_loss(&c);
    for (int32_t k = 0; k < n_chosen; k++) {
        open_site(&c, chosen[k]);
        ru.cost += cand_cost(in, chosen[k]);
    }
    ru.gain = base_loss - total_loss(&c);
    const int setcover = prm->model == AM_SEL_SETCOVER;
    const int32_t max_sites = !setcover && prm->p > 0 ? prm->p : -1;
    const double budget = !setcover && prm->p == 0 ? prm->budget : INFINITY;
    if (setcover) {
        const double need = (1.0 - prm->target_share) * W + AM_SEL_REL_TOL * W;
        res->reached_target = base_loss - ru.gain <= need;
        if (prm->local_search && res->reached_target &&
            (st = drop_redundant(&c, &ru, W, base_loss, need)) != AM_OK)
            goto fail;
    } else if (prm->local_search) {
        if ((st = local_search(&c, &ru, budget, W, base_loss, 1, max_sites,
                               NULL)) != AM_OK)
            goto fail;
        if (max_sites > 0) {
            memcpy(c.d1, in->base_ds, (size_t)in->n_cells * sizeof *c.d1);
            int nt = par_threads(&c, in->row[in->n_cand]);
            sel_ctx *cp = &c;
#pragma omp parallel for schedule(dynamic, 64) num_threads(nt) if (nt > 1)
            for (int32_t a = 0; a < in->n_cand; a++)
                g0[a] = row_gain(cp, a);
            c.evals += in->n_cand;
            if ((st = improve_search(&c, g0, &ru, max_sites, W, base_loss)) !=
                AM_OK)
                goto fail;
        }
    }
    memcpy(c.d1, in->base_ds, (size_t)in->n_cells * sizeof *c.d1);
    for (int32_t k = 0; k < ru.n_chosen; k++)
        open_site(&c, ru.chosen[k]);
    res->n_chosen = ru.n_chosen;
    res->chosen = ru.chosen;
    res->n_steps = ru.n_steps;
    res->steps = ru.steps;
    ru.chosen = NULL;
    ru.steps = NULL;
    res->base_objective = objective_of(&c, W, base_loss);
    res->objective = objective_of(&c, W, total_loss(&c));
    res->bound = NAN;
    res->gain_evaluations = c.evals;
    am_free(g0);
    am_free(c.d1);
    *out = res;
    return AM_OK;
fail:
    st = am_error_set(err, st, NULL, "site selection: out of memory");
    run_free(&ru);
    am_sel_result_free(res);
    am_free(g0);
    am_free(c.d1);
    return st;
}
