/*
 * select_rows.c: site selection with rows on demand (see select_rows.h;
 * docs/selection.md, "Rows on demand").
 *
 * The gains are the sums of select.c's row_gain, over the row in row
 * order and with the same expressions, so a candidate's gain has the same
 * bits whether its row is held or recomputed, and the lazy greedy (CELF,
 * Leskovec et al. 2007) is am_sel_solve's own (kernels/celf.c, the rows
 * read through its callbacks), so it picks exactly what am_sel_solve's
 * picks; with costs the better of the unit-cost and the cost-benefit
 * greedy is kept (Khuller, Moss & Naor 1999). What the held rows cannot give
 * (the swap search over every candidate) is done on the shortlist
 * (am_sel_refine).
 *
 * Determinism: every parallel loop computes one candidate per task into
 * that candidate's own outputs; the chunks and batches have fixed sizes;
 * every choice is a serial scan in index order. The provider's workspace
 * is the thread's number, which never changes a row.
 */
#include "kernels/select_rows.h"
#include "kernels/celf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "common/alloc.h"
#include "common/units.h"

#define ROWS_CHUNK AM_SEL_ROWS_CHUNK
#define ROWS_REL_TOL 1e-12 /* select.c's AM_SEL_REL_TOL */

typedef struct rows_state {
    const am_sel_rows *R;
    int nt;
    int pmedian;
    uint32_t T, P;
    double *g0;   /* [n_cand] gain at the baseline */
    int64_t *len; /* [n_cand] row length */
    int32_t *pos; /* [n_cand] index among the held rows, -1 */
    int32_t n_held;
    int32_t *held; /* [n_held] candidates, ascending */
    int64_t *hrow; /* [n_held + 1] */
    int32_t *hcell;
    uint32_t *htime;
    int64_t computed; /* rows the provider computed */
    int64_t evals;
    uint32_t *d1;             /* [n_cells] */
    const am_sel_params *prm; /* its progress hook (Ctrl-C) */
    int cancelled;
} rows_state;

/* Whether the caller asked to stop (prm->progress returned 0); asked from
 * the calling thread between chunks and greedy rounds. */
static int rows_stop(rows_state *s, double fraction)
{
    if (!s->cancelled && s->prm->progress != NULL &&
        !s->prm->progress(fraction, "site selection", s->prm->progress_user))
        s->cancelled = 1;
    return s->cancelled;
}

static double cand_cost(const am_sel_rows *R, int32_t a)
{
    return R->cost ? R->cost[a] : 1.0;
}

/* Candidate a's row: held, or from the provider in workspace ws. */
static int64_t get_row(const rows_state *s, int32_t a, int ws,
                       const int32_t **cell, const uint32_t **time)
{
    if (s->pos[a] >= 0) {
        const int32_t k = s->pos[a];
        *cell = s->hcell + s->hrow[k];
        *time = s->htime + s->hrow[k];
        return s->hrow[k + 1] - s->hrow[k];
    }
    return s->R->row(s->R->user, a, ws, cell, time);
}

/* select.c's row_gain on an explicit row (the same arithmetic). */
static inline double gain_of(const rows_state *s, const uint32_t *d1,
                             const int32_t *cell, const uint32_t *tm, int64_t n)
{
    return am_celf_row_gain(s->pmedian, s->T, s->P, s->R->weight, d1, cell, tm,
                            n);
}

static int32_t count_provided(const rows_state *s, const int32_t *cand, int n)
{
    int32_t k = 0;
    for (int b = 0; b < n; b++)
        k += s->pos[cand[b]] < 0;
    return k;
}

/* ---- checks ------------------------------------------------------------ */

static am_status check_inputs(const am_sel_rows *R, const am_sel_params *prm,
                              am_error *err)
{
    if (!R || R->n_cells < 0 || R->n_cand < 0 || !R->row ||
        R->n_workspaces < 1 ||
        (R->n_cells > 0 && (!R->weight || !R->base_ds)) || !prm)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: missing arrays, provider or "
                            "parameters, or negative sizes");
    for (int32_t i = 0; i < R->n_cells; i++)
        if (!isfinite(R->weight[i]) || R->weight[i] < 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "site selection: cell %d has weight %g "
                                "(must be finite and >= 0)",
                                (int)i, R->weight[i]);
    for (int32_t a = 0; a < R->n_cand; a++)
        if (R->cost && (!isfinite(R->cost[a]) || R->cost[a] <= 0))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "site selection: candidate %d has cost %g "
                                "(must be finite and > 0)",
                                (int)a, R->cost[a]);
    return am_sel_check_params(prm, R->n_cand, R->cost, err);
}

/* ---- 1. the streaming pass ---------------------------------------------- */

/*
 * Every candidate's row once, in chunks of ROWS_CHUNK: its length, its
 * gain at the baseline (NaN: a bad row), and, while every row so far fits
 * cache_bytes, a copy (*all_fit then 1 and the rows held in s).
 */
static am_status stream_pass(rows_state *s, int64_t cache_bytes, int *all_fit,
                             am_error *err)
{
    const am_sel_rows *R = s->R;
    const int32_t n = R->n_cand;
    int32_t **tc = am_calloc_array(ROWS_CHUNK, sizeof *tc);
    uint32_t **tt = am_calloc_array(ROWS_CHUNK, sizeof *tt);
    int64_t cap = 0, used = 0, bytes = 0;
    int keep = R->expect_bytes <= 0 || R->expect_bytes <= cache_bytes;
    int failed = 0;
    s->hrow = am_alloc_array((size_t)n + 1, sizeof *s->hrow);
    s->held = am_alloc_array((size_t)n + 1, sizeof *s->held);
    if (!tc || !tt || !s->hrow || !s->held)
        failed = 1;
    if (!failed)
        s->hrow[0] = 0;
    for (int32_t c0 = 0; c0 < n && !failed; c0 += ROWS_CHUNK) {
        if (rows_stop(s, (double)c0 / n))
            break;
        const int32_t c1 = n - c0 < ROWS_CHUNK ? n : c0 + ROWS_CHUNK;
        const rows_state *cs = s;
        const int kp = keep;
#pragma omp parallel for schedule(dynamic, 1) num_threads(s->nt)               \
    reduction(|                                                                \
              : failed) if (s->nt > 1)
        for (int32_t a = c0; a < c1; a++) {
            const int32_t *cell;
            const uint32_t *tm;
            const int64_t k =
                cs->R->row(cs->R->user, a, omp_get_thread_num(), &cell, &tm);
            if (k < 0) {
                failed = 1;
                continue;
            }
            cs->len[a] = k;
            cs->g0[a] = am_celf_row_ok(cell, tm, k, cs->R->n_cells)
                            ? gain_of(cs, cs->R->base_ds, cell, tm, k)
                            : NAN;
            if (!kp)
                continue;
            tc[a - c0] = am_alloc_array((size_t)k + 1, sizeof **tc);
            tt[a - c0] = am_alloc_array((size_t)k + 1, sizeof **tt);
            if (!tc[a - c0] || !tt[a - c0]) {
                failed = 1;
                continue;
            }
            if (k > 0) { /* an empty row's pointers may be NULL */
                memcpy(tc[a - c0], cell, (size_t)k * sizeof *cell);
                memcpy(tt[a - c0], tm, (size_t)k * sizeof *tm);
            }
        }
        s->computed += c1 - c0;
        for (int32_t a = c0; a < c1 && keep && !failed; a++) {
            bytes += AM_SEL_ROW_BYTES(s->len[a]);
            if (bytes > cache_bytes) {
                keep = 0;
                break;
            }
            if (used + s->len[a] > cap) {
                int64_t nc =
                    2 * cap > used + s->len[a] ? 2 * cap : used + s->len[a] + 1;
                int32_t *c2 =
                    am_realloc_array(s->hcell, (size_t)nc, sizeof *c2);
                if (c2)
                    s->hcell = c2;
                uint32_t *t2 =
                    am_realloc_array(s->htime, (size_t)nc, sizeof *t2);
                if (t2)
                    s->htime = t2;
                if (!c2 || !t2) {
                    failed = 1;
                    break;
                }
                cap = nc;
            }
            if (s->len[a] > 0) { /* hcell is NULL until a row is held */
                memcpy(s->hcell + used, tc[a - c0],
                       (size_t)s->len[a] * sizeof *s->hcell);
                memcpy(s->htime + used, tt[a - c0],
                       (size_t)s->len[a] * sizeof *s->htime);
            }
            used += s->len[a];
            s->held[s->n_held] = a;
            s->hrow[++s->n_held] = used;
        }
        for (int32_t k = 0; k < ROWS_CHUNK; k++) {
            am_free(tc[k]);
            am_free(tt[k]);
            tc[k] = NULL;
            tt[k] = NULL;
        }
    }
    am_free(tc);
    am_free(tt);
    if (failed)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "site selection: out of memory computing the "
                            "candidates' rows");
    if (s->cancelled)
        return am_error_set(err, AM_ERR_CANCELLED, NULL,
                            "site selection: cancelled");
    *all_fit = keep;
    if (!keep) { /* the shortlist is chosen afresh */
        am_free(s->hcell);
        am_free(s->htime);
        s->hcell = NULL;
        s->htime = NULL;
        s->n_held = 0;
    }
    return AM_OK;
}

/* ---- 2. the shortlist ---------------------------------------------------- */

typedef struct by_gain {
    double g;
    int32_t a;
} by_gain;

static int cmp_gain(const void *x, const void *y)
{
    const by_gain *p = x, *q = y;
    if (p->g != q->g)
        return p->g > q->g ? -1 : 1;
    return (p->a > q->a) - (p->a < q->a);
}

/* Marks the shortlist in pos (then numbers it in index order) and
 * computes its rows into the held CSR, in parallel. */
static am_status shortlist(rows_state *s, int64_t cache_bytes, am_error *err)
{
    const int32_t n = s->R->n_cand;
    by_gain *o = am_alloc_array((size_t)n + 1, sizeof *o);
    if (!o)
        goto nomem;
    int32_t m = 0;
    for (int32_t a = 0; a < n; a++)
        if (s->g0[a] > 0)
            o[m++] = (by_gain){s->g0[a], a};
    qsort(o, (size_t)m, sizeof *o, cmp_gain);
    int64_t bytes = 0;
    for (int32_t k = 0; k < m; k++) {
        const int64_t b = AM_SEL_ROW_BYTES(s->len[o[k].a]);
        if (bytes + b <= cache_bytes) {
            bytes += b;
            s->pos[o[k].a] = 0;
        }
    }
    am_free(o);
    s->n_held = 0;
    s->hrow[0] = 0;
    for (int32_t a = 0; a < n; a++)
        if (s->pos[a] == 0) {
            s->held[s->n_held] = a;
            s->hrow[s->n_held + 1] = s->hrow[s->n_held] + s->len[a];
            s->n_held++;
        }
    const int64_t np = s->hrow[s->n_held];
    s->hcell = am_alloc_array((size_t)np + 1, sizeof *s->hcell);
    s->htime = am_alloc_array((size_t)np + 1, sizeof *s->htime);
    if (!s->hcell || !s->htime)
        goto nomem;
    int failed = 0;
    const rows_state *cs = s;
    /* in chunks, Ctrl-C asked between them: a large cache holds rows
     * for minutes */
    for (int32_t k0 = 0; k0 < s->n_held && !failed; k0 += ROWS_CHUNK) {
        if (rows_stop(s, (double)k0 / s->n_held))
            return am_error_set(err, AM_ERR_CANCELLED, NULL,
                                "site selection: cancelled");
        const int32_t k1 =
            s->n_held - k0 < ROWS_CHUNK ? s->n_held : k0 + ROWS_CHUNK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(s->nt)               \
    reduction(|                                                                \
              : failed) if (s->nt > 1)
        for (int32_t k = k0; k < k1; k++) {
            const int32_t *cell;
            const uint32_t *tm;
            const int64_t len = cs->R->row(cs->R->user, cs->held[k],
                                           omp_get_thread_num(), &cell, &tm);
            if (len != cs->hrow[k + 1] - cs->hrow[k]) {
                failed = 1; /* out of memory (a provider is deterministic) */
                continue;
            }
            if (len > 0) {
                memcpy(cs->hcell + cs->hrow[k], cell,
                       (size_t)len * sizeof *cell);
                memcpy(cs->htime + cs->hrow[k], tm, (size_t)len * sizeof *tm);
            }
        }
    }
    s->computed += s->n_held;
    if (failed)
        goto nomem;
    for (int32_t k = 0; k < s->n_held; k++)
        s->pos[s->held[k]] = k;
    return AM_OK;
nomem:
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "site selection: out of memory for the shortlist's "
                        "rows");
}

/* ---- 3. the lazy greedy over every candidate ----------------------------- */

/* Opens candidate a: d1 lowered along its row (workspace 0). */
static int open_site(rows_state *s, int32_t a)
{
    const int32_t *cell;
    const uint32_t *tm;
    const int64_t n = get_row(s, a, 0, &cell, &tm);
    if (n < 0)
        return 0;
    s->computed += s->pos[a] < 0;
    for (int64_t j = 0; j < n; j++)
        if (tm[j] < s->d1[cell[j]])
            s->d1[cell[j]] = tm[j];
    return 1;
}

/* The batch's gains at d1 (am_celf_ops.eval), in parallel when a row is
 * to be computed (one candidate a task). */
static am_status rows_eval(void *user, const int32_t *cand, int nb,
                           double *gain)
{
    rows_state *s = user;
    int failed = 0;
    const rows_state *cs = s;
    const int nt = count_provided(s, cand, nb) > 0 ? s->nt : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)                  \
    reduction(|                                                                \
              : failed) if (nt > 1)
    for (int b = 0; b < nb; b++) {
        const int32_t *cell;
        const uint32_t *tm;
        const int64_t k =
            get_row(cs, cand[b], omp_get_thread_num(), &cell, &tm);
        if (k < 0) {
            failed = 1;
            continue;
        }
        gain[b] = gain_of(cs, cs->d1, cell, tm, k);
    }
    s->computed += count_provided(s, cand, nb);
    s->evals += nb;
    return failed ? AM_ERR_NOMEM : AM_OK;
}

typedef struct greedy_out {
    int32_t n_chosen;
    int32_t *chosen; /* [n_cand] */
    int32_t n_steps;
    am_sel_step *steps; /* [n_cand] */
    double gain, cost;
    am_celf_heap heap; /* the final heap (kept when asked) */
} greedy_out;

static void greedy_free(greedy_out *g)
{
    am_free(g->chosen);
    am_free(g->steps);
    am_free(g->heap.item);
    memset(g, 0, sizeof *g);
}

static double objective_of(const rows_state *s, double W, double loss)
{
    return s->pmedian ? loss : W - loss;
}

/* A greedy run's callbacks: the state and the run it records into. */
typedef struct greedy_user {
    rows_state *s;
    greedy_out *r;
    double W;
} greedy_user;

static am_status greedy_eval(void *user, const int32_t *cand, int nb,
                             double *gain)
{
    return rows_eval(((greedy_user *)user)->s, cand, nb, gain);
}

static am_status greedy_pick(void *user, int32_t a, double g, double loss,
                             double cost)
{
    greedy_user *u = user;
    greedy_out *r = u->r;
    if (!open_site(u->s, a))
        return AM_ERR_NOMEM;
    r->chosen[r->n_chosen++] = a;
    r->cost = cost;
    r->gain += g;
    r->steps[r->n_steps++] =
        (am_sel_step){a, -1, g, objective_of(u->s, u->W, loss), r->cost};
    return AM_OK;
}

static int greedy_stop(void *user)
{
    return rows_stop(((greedy_user *)user)->s, 0.0);
}

static am_celf_ops greedy_ops(greedy_user *u)
{
    return (am_celf_ops){.user = u,
                         .cost = u->s->R->cost,
                         .eval = greedy_eval,
                         .pick = greedy_pick,
                         .stop = greedy_stop};
}

/* select.c's greedy_run (without a forced first pick): am_celf_greedy
 * over every candidate; d1 reset here. */
static am_status greedy(rows_state *s, int by_ratio, int32_t max_sites,
                        double budget, double need, double W, double base_loss,
                        int keep_heap, greedy_out *r)
{
    const am_sel_rows *R = s->R;
    const int32_t nc = R->n_cand;
    memset(r, 0, sizeof *r);
    memcpy(s->d1, R->base_ds, (size_t)R->n_cells * sizeof *s->d1);
    r->chosen = am_alloc_array((size_t)nc + 1, sizeof *r->chosen);
    r->steps = am_alloc_array((size_t)nc + 1, sizeof *r->steps);
    if (!r->chosen || !r->steps)
        return AM_ERR_NOMEM;
    greedy_user u = {s, r, W};
    const am_celf_ops ops = greedy_ops(&u);
    const am_celf_params gp = {by_ratio, max_sites, budget, need, -1};
    return am_celf_greedy(&ops, nc, s->g0, base_loss, &gp,
                          keep_heap ? &r->heap : NULL);
}

/* Minoux's bound from the greedy's heap (am_celf_bound); d1 is the
 * greedy's set. NaN when out of memory. */
static double lazy_bound(rows_state *s, greedy_out *g, int32_t p)
{
    greedy_user u = {s, NULL, 0.0};
    const am_celf_ops ops = greedy_ops(&u);
    return am_celf_bound(&ops, &g->heap, p, g->gain);
}

/* ---- 4. the search on the shortlist and the chosen sites ------------------
 */

/*
 * The rows of the shortlist and of g's chosen sites as an instance (rows
 * in candidate order; map: sub row -> candidate), then am_sel_refine, its
 * result mapped back to candidates.
 */
static am_status refine(rows_state *s, const am_sel_params *prm,
                        const greedy_out *g, am_sel_result **out, am_error *err)
{
    const am_sel_rows *R = s->R;
    const int32_t nc = R->n_cand;
    int32_t *map =
        am_alloc_array((size_t)s->n_held + g->n_chosen + 1, sizeof *map);
    int32_t *sub_of = am_alloc_array((size_t)nc + 1, sizeof *sub_of);
    int64_t *row =
        am_alloc_array((size_t)s->n_held + g->n_chosen + 2, sizeof *row);
    double *cost =
        am_alloc_array((size_t)s->n_held + g->n_chosen + 1, sizeof *cost);
    int32_t *chosen = am_alloc_array((size_t)g->n_chosen + 1, sizeof *chosen);
    am_sel_step *steps = am_alloc_array((size_t)g->n_steps + 1, sizeof *steps);
    int32_t *cell = NULL;
    uint32_t *tim = NULL;
    am_status st = AM_ERR_NOMEM;
    if (!map || !sub_of || !row || !cost || !chosen || !steps)
        goto done;
    for (int32_t a = 0; a < nc; a++)
        sub_of[a] = s->pos[a] >= 0 ? 0 : -1;
    for (int32_t k = 0; k < g->n_chosen; k++)
        sub_of[g->chosen[k]] = 0;
    int32_t m = 0;
    row[0] = 0;
    for (int32_t a = 0; a < nc; a++)
        if (sub_of[a] == 0) {
            sub_of[a] = m;
            map[m] = a;
            cost[m] = cand_cost(R, a);
            row[m + 1] = row[m] + s->len[a];
            m++;
        }
    cell = am_alloc_array((size_t)row[m] + 1, sizeof *cell);
    tim = am_alloc_array((size_t)row[m] + 1, sizeof *tim);
    if (!cell || !tim)
        goto done;
    for (int32_t k = 0; k < m; k++) {
        const int32_t *c;
        const uint32_t *t;
        const int64_t n = get_row(s, map[k], 0, &c, &t);
        if (n != row[k + 1] - row[k])
            goto done;
        s->computed += s->pos[map[k]] < 0;
        if (n > 0) {
            memcpy(cell + row[k], c, (size_t)n * sizeof *c);
            memcpy(tim + row[k], t, (size_t)n * sizeof *t);
        }
    }
    for (int32_t k = 0; k < g->n_chosen; k++)
        chosen[k] = sub_of[g->chosen[k]];
    for (int32_t k = 0; k < g->n_steps; k++) {
        steps[k] = g->steps[k];
        steps[k].added = sub_of[g->steps[k].added];
    }
    am_sel_instance in = {R->n_cells, R->weight, R->base_ds, m,
                          row,        cell,      tim,        cost};
    am_sel_params q = *prm;
    q.n_threads = s->nt;
    st = am_sel_refine(&in, &q, chosen, g->n_chosen, steps, g->n_steps, out,
                       err);
    if (st == AM_OK) {
        am_sel_result *r = *out;
        for (int32_t k = 0; k < r->n_chosen; k++)
            r->chosen[k] = map[r->chosen[k]];
        for (int32_t k = 0; k < r->n_steps; k++) {
            if (r->steps[k].added >= 0)
                r->steps[k].added = map[r->steps[k].added];
            if (r->steps[k].removed >= 0)
                r->steps[k].removed = map[r->steps[k].removed];
        }
    }
done:
    if (st == AM_ERR_NOMEM)
        am_error_set(err, st, NULL, "site selection: out of memory");
    am_free(map);
    am_free(sub_of);
    am_free(row);
    am_free(cost);
    am_free(chosen);
    am_free(steps);
    am_free(cell);
    am_free(tim);
    return st;
}

/* One solve on demand (select.c's solve_core): greedy over every
 * candidate, then refine. */
static am_status solve_demand(rows_state *s, const am_sel_params *prm, double W,
                              double base_loss, am_sel_result **out,
                              am_error *err)
{
    const int setcover = prm->model == AM_SEL_SETCOVER;
    const int costs = s->R->cost != NULL;
    double need = -INFINITY, budget = INFINITY;
    int32_t max_sites = -1;
    s->pmedian = prm->model == AM_SEL_PMEDIAN;
    s->T = prm->cover_ds;
    s->P = prm->penalty_ds;
    if (setcover)
        need = (1.0 - prm->target_share) * W + ROWS_REL_TOL * W;
    else if (prm->p > 0)
        max_sites = prm->p;
    else
        budget = prm->budget;
    greedy_out ru, rr;
    memset(&rr, 0, sizeof rr);
    am_status st = greedy(s, setcover && costs, max_sites, budget, need, W,
                          base_loss, max_sites > 0, &ru);
    if (st == AM_OK && costs && !setcover && prm->p == 0) {
        st = greedy(s, 1, max_sites, budget, need, W, base_loss, 0, &rr);
        if (st == AM_OK && rr.gain > ru.gain) {
            greedy_out t = ru;
            ru = rr;
            rr = t;
        }
    }
    double bound = NAN;
    if (st == AM_OK && max_sites > 0) {
        /* d1 at the greedy's set: the last greedy run is ru's here */
        bound = lazy_bound(s, &ru, max_sites);
        if (isnan(bound))
            st = AM_ERR_NOMEM;
    }
    if (st != AM_OK) {
        greedy_free(&ru);
        greedy_free(&rr);
        return am_error_set(err, st, NULL,
                            st == AM_ERR_CANCELLED
                                ? "site selection: cancelled"
                                : "site selection: out of memory");
    }
    st = refine(s, prm, &ru, out, err);
    if (st == AM_OK) {
        (*out)->bound = bound;
        (*out)->gain_evaluations += s->evals;
        s->evals = 0;
    }
    greedy_free(&ru);
    greedy_free(&rr);
    return st;
}

/* solve_demand as an am_sel_solve_fn (am_sel_cover_fewer) */
typedef struct demand_user {
    rows_state *s;
    double W, base_loss;
} demand_user;

static am_status demand_fn(void *user, const am_sel_params *prm,
                           am_sel_result **out, am_error *err)
{
    demand_user *u = user;
    return solve_demand(u->s, prm, u->W, u->base_loss, out, err);
}

am_status am_sel_solve_rows(const am_sel_rows *R, const am_sel_params *prm,
                            int64_t cache_bytes, am_sel_result **out,
                            am_sel_rows_info *info, am_error *err)
{
    if (!out)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site selection: no output");
    *out = NULL;
    am_status st = check_inputs(R, prm, err);
    if (st != AM_OK)
        return st;
    rows_state s;
    memset(&s, 0, sizeof s);
    s.R = R;
    s.prm = prm;
    s.nt = prm->n_threads > 0 ? prm->n_threads : omp_get_max_threads();
    if (s.nt > R->n_workspaces)
        s.nt = R->n_workspaces;
    s.pmedian = prm->model == AM_SEL_PMEDIAN;
    s.T = prm->cover_ds;
    s.P = prm->penalty_ds;
    const size_t nc = (size_t)R->n_cand + 1;
    s.g0 = am_alloc_array(nc, sizeof *s.g0);
    s.len = am_alloc_array(nc, sizeof *s.len);
    s.pos = am_alloc_array(nc, sizeof *s.pos);
    s.d1 = am_alloc_array((size_t)R->n_cells + 1, sizeof *s.d1);
    int all_fit = 0;
    if (!s.g0 || !s.len || !s.pos || !s.d1) {
        st = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "site selection: out of memory");
        goto done;
    }
    for (int32_t a = 0; a < R->n_cand; a++)
        s.pos[a] = -1;
    if ((st = stream_pass(&s, cache_bytes, &all_fit, err)) != AM_OK)
        goto done;
    for (int32_t a = 0; a < R->n_cand; a++)
        if (isnan(s.g0[a])) {
            st = am_error_set(err, AM_ERR_INVALID, NULL,
                              "site selection: candidate %d's row is not "
                              "strictly ascending by cell within [0, %d), "
                              "or has a time >= AM_TIME_INF",
                              (int)a, (int)R->n_cells);
            goto done;
        }
    if (info) {
        memset(info, 0, sizeof *info);
        for (int32_t a = 0; a < R->n_cand; a++)
            info->pairs += s.len[a];
    }
    if (all_fit) {
        am_sel_instance in = {R->n_cells, R->weight, R->base_ds, R->n_cand,
                              s.hrow,     s.hcell,   s.htime,    R->cost};
        am_sel_params q = *prm;
        q.n_threads = s.nt;
        st = am_sel_solve(&in, &q, out, err);
    } else {
        if ((st = shortlist(&s, cache_bytes, err)) != AM_OK)
            goto done;
        memcpy(s.d1, R->base_ds, (size_t)R->n_cells * sizeof *s.d1);
        double W = 0.0, base_loss = 0.0;
        for (int32_t i = 0; i < R->n_cells; i++)
            W += R->weight[i];
        /* select.c's total_loss at the baseline, in cell order */
        for (int32_t i = 0; i < R->n_cells; i++) {
            const uint32_t t = R->base_ds[i];
            const double f =
                s.pmedian ? (double)(t < s.P ? t : s.P) : (t > s.T ? 1.0 : 0.0);
            base_loss += R->weight[i] * f;
        }
        s.evals = R->n_cand;
        st = solve_demand(&s, prm, W, base_loss, out, err);
        /* set covering with the local search: MCLP asked for one site
           fewer while it still reaches the target (as am_sel_solve) */
        demand_user du = {&s, W, base_loss};
        if (st == AM_OK)
            st = am_sel_cover_fewer(prm, R->n_cand, R->cost, W, demand_fn, &du,
                                    out, err);
    }
    if (info) {
        info->mode = all_fit ? AM_SEL_ROWS_MEMORY : AM_SEL_ROWS_ON_DEMAND;
        info->n_short = s.n_held;
        info->held_bytes = 8 * s.hrow[s.n_held] + 8 * (int64_t)s.n_held;
        info->row_computed = s.computed;
    }
done:
    am_free(s.g0);
    am_free(s.len);
    am_free(s.pos);
    am_free(s.d1);
    am_free(s.held);
    am_free(s.hrow);
    am_free(s.hcell);
    am_free(s.htime);
    return st;
}
