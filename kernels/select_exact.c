/*
 * select_exact.c: the exact optimum of a site-selection instance by a
 * mixed-integer program solved with GLPK (GNU Linear Programming Kit,
 * glp_simplex then glp_intopt's branch and cut), see select.h.
 *
 * Columns 1..n_cand are x_a in {0, 1} (candidate a opened). Only the
 * cells and pairs that can change the objective enter, and cells with the
 * same pairs are one group of summed weight (exact_model below: on the
 * Comoros this divides the rows by 20-50); dominated candidates are fixed
 * closed. Per group g of weight W_g:
 *  MCLP (Church & ReVelle 1974): y_g in [0, 1] for the groups not covered
 *    by the existing facilities (b > T) and within T of a candidate;
 *    max sum W_g y_g s.t. y_g <= sum_{a: t_ga <= T} x_a; the objective is
 *    the covered population at the baseline plus that sum.
 *  p-median (ReVelle & Swain 1970), in savings form: z_ga in [0, 1] for
 *    every pair with t_ga < e_g = min(b, P); max sum W_g (e_g - t_ga)
 *    z_ga s.t. z_ga <= x_a, sum_a z_ga <= 1; the objective is the
 *    baseline loss less the savings (a cell keeps e unless it is
 *    assigned to a strictly closer new site, which min(b, t_iS, P) is).
 *  set covering, partial (Toregas et al. 1971; Church & ReVelle 1974's
 *    covering constraint): y_g as in MCLP; min sum c_a x_a s.t.
 *    sum W_g y_g >= target W - covered at the baseline.
 * A site count p adds sum x_a <= p, a budget sum c_a x_a <= budget.
 *
 * The heuristic's answer (am_sel_solve with local search) is given to
 * the branch and cut as its first incumbent (glp_ios_heur_sol), so that a
 * time limit returns at least that. proven = 1 when GLPK reports the
 * integer optimum (GLP_OPT), or for set covering an infeasible target;
 * otherwise the result's bound is GLPK's best bound on the optimal gain.
 * Branching by pseudocosts, best local bound first, Gomory and MIR cuts
 * (measured on the Comoros: docs/benchmarks.md). GLPK's presolver stays
 * off: the start is given on the problem as written. prm->progress is
 * called while the model is written, from the root simplex's terminal
 * hook (exact_term_hook) and at every callback of the branch and cut,
 * which glp_ios_terminate stops when it says so.
 *
 * GLPK is not thread-safe (its environment is per process): call this
 * from one thread at a time; it is for tests, benchmarks and the engine's
 * exact option on small instances.
 */
#include "kernels/select.h"

#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/units.h"

/* GLPK's own memory per element of the model, measured with glp_mem_usage
 * on the tests' and the Comoros instances (docs/selection.md, "The exact
 * option"): its problem object, the simplex's factorisation and working
 * copies, and the branch and bound's saved bases, with a margin; ours
 * (the triplets, the reductions) is counted apart. */
#define EXACT_GLPK_BYTES_NZ 160
#define EXACT_GLPK_BYTES_ROW 400
#define EXACT_GLPK_BYTES_COL 400
/* the simplex's terminal output, through which a cancellation is seen */
#define EXACT_OUT_MS 200
/* the dominance test's pairwise work, at most (merge steps) */
#define EXACT_DOMINANCE_WORK 200000000LL

/*
 * The reduced model. Cells (the relevant ones: weight > 0 and at least one
 * pair that can change their term) are grouped by their list of pairs:
 * for the covering models the ascending list of candidates within T (the
 * cell's term is w_i [covered], so cells with the same list are one row
 * of summed weight); for p-median the list of (candidate, time) pairs
 * with t < e_i and e_i itself (the savings w_i (e_i - t) are linear in
 * w_i). A candidate a is fixed closed when it can change nothing, or when
 * another candidate b dominates it: every group a serves, b serves (for
 * p-median at a time no larger) at no larger cost, the tie of identical
 * lists broken by the lower cost then the lower index. Replacing a by b
 * in any solution keeps it feasible (same count, no larger cost) and no
 * worse, so the optimum over the free candidates is the optimum.
 */
typedef struct exact_model {
    int pmed;
    int32_t n_cand, n_grp;
    int64_t *grow;   /* [n_grp + 1] into gcand / gtime */
    int32_t *gcand;  /* candidates of each group, ascending */
    uint32_t *gtime; /* p-median: the pairs' times; NULL else */
    double *gw;      /* [n_grp] summed weight */
    uint32_t *ge;    /* p-median: [n_grp] e = min(b, P) */
    int32_t *dom;    /* [n_cand] -1 free, -2 useless, else a dominator */
    int32_t cells_in, n_fixed;
} exact_model;

static void model_free(exact_model *x)
{
    am_free(x->grow);
    am_free(x->gcand);
    am_free(x->gtime);
    am_free(x->gw);
    am_free(x->ge);
    am_free(x->dom);
    memset(x, 0, sizeof *x);
}

static uint32_t eff_base(const am_sel_params *prm, uint32_t b)
{
    return b < prm->penalty_ds ? b : prm->penalty_ds;
}

static int pair_used(const am_sel_instance *in, const am_sel_params *prm,
                     int pmed, int32_t i, uint32_t t)
{
    if (!(in->weight[i] > 0))
        return 0;
    if (pmed)
        return t < eff_base(prm, in->base_ds[i]);
    return t <= prm->cover_ds && in->base_ds[i] > prm->cover_ds;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 29);
}

/* Whether cells i and k (lists in off/lc/lt) are in the same group. */
static int same_cell(const int64_t *off, const int32_t *lc, const uint32_t *lt,
                     const uint32_t *ce, int32_t i, int32_t k)
{
    int64_t n = off[i + 1] - off[i];
    if (n != off[k + 1] - off[k])
        return 0;
    if (ce && ce[i] != ce[k])
        return 0;
    if (memcmp(lc + off[i], lc + off[k], (size_t)n * sizeof *lc) != 0)
        return 0;
    return !lt || memcmp(lt + off[i], lt + off[k], (size_t)n * sizeof *lt) == 0;
}

/* Groups the relevant cells. AM_ERR_NOMEM. */
static am_status model_groups(const am_sel_instance *in,
                              const am_sel_params *prm, exact_model *x)
{
    const int pmed = x->pmed;
    const int32_t n = in->n_cells;
    am_status st = AM_ERR_NOMEM;
    int64_t *off = am_calloc_array((size_t)n + 2, sizeof *off);
    int64_t *cur = NULL;
    int32_t *lc = NULL, *gid = NULL, *rep = NULL, *tab = NULL;
    uint32_t *lt = NULL, *ce = NULL;
    uint64_t *th = NULL;
    if (!off)
        goto out;
    for (int32_t a = 0; a < in->n_cand; a++)
        for (int64_t j = in->row[a]; j < in->row[a + 1]; j++)
            if (pair_used(in, prm, pmed, in->cell[j], in->time_ds[j]))
                off[in->cell[j] + 1]++;
    for (int32_t i = 0; i < n; i++)
        off[i + 1] += off[i];
    const int64_t np = off[n];
    cur = am_alloc_array((size_t)n + 1, sizeof *cur);
    lc = am_alloc_array((size_t)np + 1, sizeof *lc);
    if (pmed) {
        lt = am_alloc_array((size_t)np + 1, sizeof *lt);
        ce = am_alloc_array((size_t)n + 1, sizeof *ce);
    }
    gid = am_alloc_array((size_t)n + 1, sizeof *gid);
    rep = am_alloc_array((size_t)n + 1, sizeof *rep);
    if (!cur || !lc || (pmed && (!lt || !ce)) || !gid || !rep)
        goto out;
    memcpy(cur, off, (size_t)n * sizeof *cur);
    for (int32_t a = 0; a < in->n_cand; a++)
        for (int64_t j = in->row[a]; j < in->row[a + 1]; j++) {
            int32_t i = in->cell[j];
            if (!pair_used(in, prm, pmed, i, in->time_ds[j]))
                continue;
            lc[cur[i]] = a;
            if (pmed)
                lt[cur[i]] = in->time_ds[j];
            cur[i]++;
        }
    int32_t used = 0;
    for (int32_t i = 0; i < n; i++) {
        if (pmed)
            ce[i] = eff_base(prm, in->base_ds[i]);
        used += off[i + 1] > off[i];
    }
    x->cells_in = used;
    /* open addressing on the lists' hashes, the representative cell kept */
    size_t cap = 16;
    while (cap < 2 * (size_t)used + 16)
        cap *= 2;
    tab = am_alloc_array(cap, sizeof *tab);
    th = am_alloc_array(cap, sizeof *th);
    if (!tab || !th)
        goto out;
    for (size_t k = 0; k < cap; k++)
        tab[k] = -1;
    int32_t ng = 0;
    int64_t gnz = 0;
    for (int32_t i = 0; i < n; i++) {
        gid[i] = -1;
        if (off[i + 1] == off[i])
            continue;
        uint64_t h = pmed ? mix64(0x5E1EC7, ce[i]) : 0x5E1EC7;
        for (int64_t j = off[i]; j < off[i + 1]; j++) {
            h = mix64(h, (uint64_t)(uint32_t)lc[j]);
            if (pmed)
                h = mix64(h, lt[j]);
        }
        size_t k = (size_t)h & (cap - 1);
        while (tab[k] >= 0) {
            int32_t r = rep[tab[k]];
            if (th[k] == h && same_cell(off, lc, lt, ce, i, r)) {
                gid[i] = tab[k];
                break;
            }
            k = (k + 1) & (cap - 1);
        }
        if (gid[i] < 0) {
            tab[k] = ng;
            th[k] = h;
            gid[i] = ng;
            rep[ng++] = i;
            gnz += off[i + 1] - off[i];
        }
    }
    x->n_grp = ng;
    x->grow = am_alloc_array((size_t)ng + 1, sizeof *x->grow);
    x->gcand = am_alloc_array((size_t)gnz + 1, sizeof *x->gcand);
    x->gw = am_calloc_array((size_t)ng + 1, sizeof *x->gw);
    if (pmed) {
        x->gtime = am_alloc_array((size_t)gnz + 1, sizeof *x->gtime);
        x->ge = am_alloc_array((size_t)ng + 1, sizeof *x->ge);
    }
    if (!x->grow || !x->gcand || !x->gw || (pmed && (!x->gtime || !x->ge)))
        goto out;
    x->grow[0] = 0;
    for (int32_t g = 0; g < ng; g++) {
        int32_t r = rep[g];
        int64_t len = off[r + 1] - off[r];
        memcpy(x->gcand + x->grow[g], lc + off[r], (size_t)len * sizeof *lc);
        if (pmed) {
            memcpy(x->gtime + x->grow[g], lt + off[r],
                   (size_t)len * sizeof *lt);
            x->ge[g] = ce[r];
        }
        x->grow[g + 1] = x->grow[g] + len;
    }
    for (int32_t i = 0; i < n; i++) /* summed in cell order */
        if (gid[i] >= 0)
            x->gw[gid[i]] += in->weight[i];
    st = AM_OK;
out:
    am_free(off);
    am_free(cur);
    am_free(lc);
    am_free(lt);
    am_free(ce);
    am_free(gid);
    am_free(rep);
    am_free(tab);
    am_free(th);
    return st;
}

/* Marks the useless and the dominated candidates (x->dom). AM_ERR_NOMEM. */
static am_status model_dominance(const am_sel_instance *in, exact_model *x)
{
    const int32_t nc = in->n_cand;
    const int64_t nz = x->grow[x->n_grp];
    int64_t *crow = am_calloc_array((size_t)nc + 2, sizeof *crow);
    int32_t *cg = am_alloc_array((size_t)nz + 1, sizeof *cg);
    uint32_t *ct = x->pmed ? am_alloc_array((size_t)nz + 1, sizeof *ct) : NULL;
    int64_t *cur = am_alloc_array((size_t)nc + 1, sizeof *cur);
    x->dom = am_alloc_array((size_t)nc + 1, sizeof *x->dom);
    if (!crow || !cg || (x->pmed && !ct) || !cur || !x->dom) {
        am_free(crow);
        am_free(cg);
        am_free(ct);
        am_free(cur);
        return AM_ERR_NOMEM;
    }
    for (int64_t j = 0; j < nz; j++)
        crow[x->gcand[j] + 1]++;
    for (int32_t a = 0; a < nc; a++)
        crow[a + 1] += crow[a];
    memcpy(cur, crow, (size_t)nc * sizeof *cur);
    for (int32_t g = 0; g < x->n_grp; g++) /* groups ascending per row */
        for (int64_t j = x->grow[g]; j < x->grow[g + 1]; j++) {
            int32_t a = x->gcand[j];
            cg[cur[a]] = g;
            if (ct)
                ct[cur[a]] = x->gtime[j];
            cur[a]++;
        }
    int64_t work = 0;
    x->n_fixed = 0;
    for (int32_t a = 0; a < nc; a++) {
        x->dom[a] = -1;
        const int64_t la = crow[a + 1] - crow[a];
        if (la == 0) {
            x->dom[a] = -2;
            x->n_fixed++;
            continue;
        }
        if (work > EXACT_DOMINANCE_WORK)
            continue;
        const double ca = in->cost ? in->cost[a] : 1.0;
        const int32_t g0 = cg[crow[a]];
        for (int64_t q = x->grow[g0]; q < x->grow[g0 + 1]; q++) {
            const int32_t b = x->gcand[q];
            const int64_t lb = crow[b + 1] - crow[b];
            const double cb = in->cost ? in->cost[b] : 1.0;
            if (b == a || lb < la || cb > ca)
                continue;
            /* a's groups within b's, at no larger time; identical? */
            int64_t u = crow[a], v = crow[b];
            int sub = 1, ident = lb == la;
            while (u < crow[a + 1] && sub) {
                while (v < crow[b + 1] && cg[v] < cg[u])
                    v++;
                if (v == crow[b + 1] || cg[v] != cg[u] || (ct && ct[v] > ct[u]))
                    sub = 0;
                else if (ct && ct[v] != ct[u])
                    ident = 0;
                u++;
            }
            work += (u - crow[a]) + (v - crow[b]);
            if (sub && (!ident || cb < ca || b < a)) {
                x->dom[a] = b;
                x->n_fixed++;
                break;
            }
        }
    }
    am_free(crow);
    am_free(cg);
    am_free(ct);
    am_free(cur);
    return AM_OK;
}

static am_status model_build(const am_sel_instance *in,
                             const am_sel_params *prm, exact_model *x)
{
    memset(x, 0, sizeof *x);
    x->pmed = prm->model == AM_SEL_PMEDIAN;
    x->n_cand = in->n_cand;
    am_status st = model_groups(in, prm, x);
    if (st == AM_OK)
        st = model_dominance(in, x);
    if (st != AM_OK)
        model_free(x);
    return st;
}

/* Rows, columns and entries of the MILP written from x. */
static void model_dims(const exact_model *x, const am_sel_params *prm,
                       am_sel_exact_info *info)
{
    int64_t rows = 0, cols = 0, nz = 0, free_c = 0;
    for (int32_t a = 0; a < x->n_cand; a++)
        free_c += x->dom[a] == -1;
    for (int32_t g = 0; g < x->n_grp; g++) {
        int64_t k = 0;
        for (int64_t j = x->grow[g]; j < x->grow[g + 1]; j++)
            k += x->dom[x->gcand[j]] == -1;
        if (x->pmed) {
            rows += k + 1; /* z <= x each, and sum z <= 1 */
            cols += k;
            nz += 3 * k;
        } else {
            rows += 1;
            cols += 1;
            nz += k + 1;
        }
    }
    if (prm->model == AM_SEL_SETCOVER) {
        rows += 1; /* the coverage target */
        nz += x->n_grp;
    } else {
        rows += 1; /* the count or the budget */
        nz += free_c;
    }
    info->cells_in = x->cells_in;
    info->groups = x->n_grp;
    info->cand_fixed = x->n_fixed;
    info->rows = rows;
    info->cols = cols + x->n_cand;
    info->nonzeros = nz;
    /* GLPK's share, the triplets (int, int, double per entry) and the
     * reduced model (the instance's relevant pairs transposed, twice) */
    info->bytes = EXACT_GLPK_BYTES_NZ * nz + EXACT_GLPK_BYTES_ROW * rows +
                  EXACT_GLPK_BYTES_COL * info->cols + 16 * nz +
                  16 * (x->grow[x->n_grp] + (int64_t)x->n_grp) +
                  (int64_t)sizeof(double) * info->cols;
}

am_status am_sel_exact_size(const am_sel_instance *in, const am_sel_params *prm,
                            am_sel_exact_info *info, am_error *err)
{
    memset(info, 0, sizeof *info);
    info->bound = NAN;
    exact_model x;
    if (model_build(in, prm, &x) != AM_OK)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "exact site selection: out of memory");
    model_dims(&x, prm, info);
    /* the reduction's own peak: the transposed pairs and the cell arrays */
    int64_t pairs = 0;
    for (int32_t a = 0; a < in->n_cand; a++)
        pairs += in->row[a + 1] - in->row[a];
    int64_t red = 8 * pairs + 40 * (int64_t)in->n_cells;
    if (red > info->bytes)
        info->bytes = red;
    model_free(&x);
    return AM_OK;
}

static double now_s(void);

/* The branch and cut's callback: the heuristic's start, the best bound,
 * cancellation. */
typedef struct exact_cb {
    const double *start; /* [1 + n_cols] or NULL */
    int given;
    const am_sel_params *prm;
    double t0, limit_s;
    int cancelled;
    double bound; /* the best node's bound, NaN before any */
    int64_t nodes;
    int in_error; /* the simplex being stopped through glp_error */
    jmp_buf jump; /* where GLPK's error hook returns to */
} exact_cb;

static int exact_stop(exact_cb *cb)
{
    if (cb->prm->progress == NULL || cb->cancelled)
        return cb->cancelled;
    double f = cb->limit_s > 0 ? (now_s() - cb->t0) / cb->limit_s : 0.0;
    if (!cb->prm->progress(f < 1.0 ? f : 1.0, "exact site selection",
                           cb->prm->progress_user))
        cb->cancelled = 1;
    return cb->cancelled;
}

/*
 * glp_simplex has no callback: its terminal output (every
 * EXACT_OUT_MS) goes through this hook, which asks the progress hook and,
 * to stop, raises a GLPK error; GLPK's error hook then jumps back to
 * am_sel_solve_exact, which frees GLPK's environment (the documented way
 * out of an abnormal termination, glp_error_hook). Nothing is printed.
 */
static int exact_term_hook(void *info, const char *text)
{
    exact_cb *cb = info;
    (void)text;
    if (!cb->in_error && exact_stop(cb)) {
        cb->in_error = 1;
        glp_error("%s\n", "exact site selection: cancelled");
    }
    return 1;
}

static void exact_error_hook(void *info)
{
    exact_cb *cb = info;
    longjmp(cb->jump, 1);
}

/* glp_simplex watched by the hooks above: its code, or -1 when cancelled
 * (GLPK's environment is then freed, lp with it). */
static int simplex_watched(glp_prob *lp, const glp_smcp *sm, exact_cb *cb)
{
    if (setjmp(cb->jump)) {
        glp_term_hook(NULL, NULL);
        glp_error_hook(NULL, NULL);
        glp_free_env();
        return -1;
    }
    glp_term_hook(exact_term_hook, cb);
    glp_error_hook(exact_error_hook, cb);
    int rc = glp_simplex(lp, sm);
    glp_term_hook(NULL, NULL);
    glp_error_hook(NULL, NULL);
    return rc;
}

static void exact_callback(glp_tree *tree, void *info)
{
    exact_cb *cb = info;
    if (exact_stop(cb)) {
        glp_ios_terminate(tree);
        return;
    }
    int best = glp_ios_best_node(tree);
    if (best > 0)
        cb->bound = glp_ios_node_bound(tree, best);
    int total = 0;
    glp_ios_tree_size(tree, NULL, NULL, &total);
    cb->nodes = total;
    if (glp_ios_reason(tree) == GLP_IHEUR && cb->start && !cb->given) {
        cb->given = 1;
        glp_ios_heur_sol(tree, cb->start);
    }
}

/* Growing (row, col, value) triplets, 1-based as glp_load_matrix wants. */
typedef struct triplets {
    int *ia, *ja;
    double *ar;
    int64_t n, cap;
} triplets;

static void trip_add(triplets *t, int i, int j, double v)
{
    t->n++;
    t->ia[t->n] = i;
    t->ja[t->n] = j;
    t->ar[t->n] = v;
}

/* The heuristic's sites moved onto the free candidates: a dominated site
 * replaced by its (free) dominator, or dropped when that is open. */
static void start_sites(const exact_model *x, const am_sel_result *heur,
                        char *open)
{
    for (int32_t k = 0; k < heur->n_chosen; k++) {
        int32_t a = heur->chosen[k];
        while (x->dom[a] >= 0)
            a = x->dom[a];
        if (x->dom[a] == -1)
            open[a] = 1;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

am_status am_sel_solve_exact(const am_sel_instance *in,
                             const am_sel_params *prm, int64_t max_nonzeros,
                             double time_limit_s, am_sel_result **out,
                             int *proven, am_sel_exact_info *info,
                             am_error *err)
{
    am_sel_exact_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    info->bound = NAN;
    if (!out || !proven)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "exact site selection: no output");
    *out = NULL;
    *proven = 0;
    const double t_start = now_s();
    /* validates the instance and parameters, and gives the start */
    am_sel_result *heur = NULL;
    am_sel_params hp = *prm;
    hp.local_search = 1;
    am_status st = am_sel_solve(in, &hp, &heur, err);
    if (st != AM_OK)
        return st;
    exact_model x;
    if (model_build(in, prm, &x) != AM_OK) {
        am_sel_result_free(heur);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "exact site selection: out of memory");
    }
    model_dims(&x, prm, info);
    if (in->n_cand == 0) { /* nothing to choose: the baseline is optimal */
        model_free(&x);
        info->bound = heur->bound;
        *proven = 1;
        *out = heur;
        return AM_OK;
    }
    const int64_t nz = info->nonzeros;
    if (nz > max_nonzeros || nz + 2 > INT_MAX || info->rows + 2 > INT_MAX ||
        info->cols + 2 > INT_MAX) {
        model_free(&x);
        am_sel_result_free(heur);
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "exact site selection: the MILP would have %lld "
                            "constraint entries, above the limit of %lld; "
                            "use the heuristic",
                            (long long)nz, (long long)max_nonzeros);
    }
    const int model = prm->model;
    const int n_cand = in->n_cand;
    double W = 0.0;
    for (int32_t i = 0; i < in->n_cells; i++)
        W += in->weight[i];
    const double base_obj = heur->base_objective;
    double *start = NULL;
    char *open = NULL;
    triplets t = {0};
    glp_prob *lp = NULL;
    am_sel_result *res = NULL;
    exact_cb cb;
    memset(&cb, 0, sizeof cb);
    cb.prm = prm;
    cb.t0 = t_start; /* the limit counts the whole solve */
    cb.limit_s = time_limit_s;
    cb.bound = NAN;
    t.cap = nz + 2;
    t.ia = am_alloc_array((size_t)t.cap, sizeof *t.ia);
    t.ja = am_alloc_array((size_t)t.cap, sizeof *t.ja);
    t.ar = am_alloc_array((size_t)t.cap, sizeof *t.ar);
    const int n_cols = (int)info->cols;
    start = am_calloc_array((size_t)n_cols + 1, sizeof *start);
    open = am_calloc_array((size_t)n_cand + 1, 1);
    st = AM_ERR_NOMEM;
    if (!t.ia || !t.ja || !t.ar || !start || !open)
        goto fail;
    start_sites(&x, heur, open);

    glp_mem_usage(NULL, NULL, NULL, NULL); /* (GLPK's environment up) */
    lp = glp_create_prob();
    int next_row = 1;
    glp_add_rows(lp, (int)info->rows);
    glp_set_obj_dir(lp, model == AM_SEL_SETCOVER ? GLP_MIN : GLP_MAX);
    glp_add_cols(lp, n_cols);
    for (int a = 0; a < n_cand; a++) {
        glp_set_col_kind(lp, a + 1, GLP_BV);
        if (x.dom[a] != -1)
            glp_set_col_bnds(lp, a + 1, GLP_FX, 0.0, 0.0);
        else if (model == AM_SEL_SETCOVER)
            glp_set_obj_coef(lp, a + 1, in->cost ? in->cost[a] : 1.0);
        start[a + 1] = open[a];
    }
    int col = n_cand;
    if (model == AM_SEL_PMEDIAN) {
        /* per group: z_ga <= x_a, sum_a z_ga <= 1 */
        for (int32_t g = 0; g < x.n_grp; g++) {
            if ((g & 65535) == 65535 && exact_stop(&cb))
                break;
            int sum_row = next_row++;
            glp_set_row_bnds(lp, sum_row, GLP_UP, 0.0, 1.0);
            int best = 0;
            uint32_t best_t = AM_TIME_INF;
            for (int64_t j = x.grow[g]; j < x.grow[g + 1]; j++) {
                int32_t a = x.gcand[j];
                if (x.dom[a] != -1)
                    continue;
                col++;
                glp_set_col_bnds(lp, col, GLP_DB, 0.0, 1.0);
                glp_set_obj_coef(lp, col,
                                 x.gw[g] * (double)(x.ge[g] - x.gtime[j]));
                int r = next_row++;
                glp_set_row_bnds(lp, r, GLP_UP, 0.0, 0.0);
                trip_add(&t, r, col, 1.0);
                trip_add(&t, r, a + 1, -1.0);
                trip_add(&t, sum_row, col, 1.0);
                if (open[a] && x.gtime[j] < best_t) {
                    best_t = x.gtime[j];
                    best = col;
                }
            }
            if (best)
                start[best] = 1.0;
        }
    } else {
        /* per group: y_g <= sum_a x_a (y_g continuous in [0, 1]: at an
         * integer x it can be raised to min(1, sum x) at no loss) */
        int cover_row = 0;
        if (model == AM_SEL_SETCOVER) {
            cover_row = next_row++;
            double need = prm->target_share * W - base_obj - 1e-12 * W;
            glp_set_row_bnds(lp, cover_row, GLP_LO, need, 0.0);
        }
        for (int32_t g = 0; g < x.n_grp; g++) {
            col++;
            glp_set_col_bnds(lp, col, GLP_DB, 0.0, 1.0);
            if (model == AM_SEL_MCLP)
                glp_set_obj_coef(lp, col, x.gw[g]);
            else
                trip_add(&t, cover_row, col, x.gw[g]);
            if ((g & 65535) == 65535 && exact_stop(&cb))
                break;
            int r = next_row++;
            glp_set_row_bnds(lp, r, GLP_UP, 0.0, 0.0);
            trip_add(&t, r, col, 1.0);
            for (int64_t j = x.grow[g]; j < x.grow[g + 1]; j++) {
                int32_t a = x.gcand[j];
                if (x.dom[a] != -1)
                    continue;
                trip_add(&t, r, a + 1, -1.0);
                if (open[a])
                    start[col] = 1.0;
            }
        }
    }
    if (model != AM_SEL_SETCOVER) {
        int r = next_row++;
        glp_set_row_bnds(lp, r, GLP_UP, 0.0,
                         prm->p > 0 ? (double)prm->p : prm->budget);
        for (int a = 0; a < n_cand; a++)
            if (x.dom[a] == -1)
                trip_add(&t, r, a + 1,
                         prm->p > 0 ? 1.0 : (in->cost ? in->cost[a] : 1.0));
    }
    glp_load_matrix(lp, (int)t.n, t.ia, t.ja, t.ar);
    am_free(t.ia);
    am_free(t.ja);
    am_free(t.ar);
    t.ia = t.ja = NULL;
    t.ar = NULL;

    cb.start = start;
    double left_ms = time_limit_s > 0 && time_limit_s * 1000.0 < (double)INT_MAX
                         ? time_limit_s * 1000.0
                         : (double)INT_MAX;
    /* the root relaxation; the terminal hook watches for a cancellation
     * (exact_term_hook), jumping back here through GLPK's error hook */
    glp_smcp sm;
    glp_init_smcp(&sm);
    sm.msg_lev = GLP_MSG_ON;
    sm.out_frq = EXACT_OUT_MS;
    sm.out_dly = 0;
    sm.meth = GLP_DUALP; /* dual simplex: its objective bounds the LP's */
    double left = left_ms - (now_s() - cb.t0) * 1000.0;
    sm.tm_lim = left > 1.0 ? (int)left : 1;
    int rc = cb.cancelled ? GLP_ETMLIM : simplex_watched(lp, &sm, &cb);
    if (rc == -1) { /* cancelled inside glp_simplex: GLPK's objects gone */
        lp = NULL;
        st = am_error_set(err, AM_ERR_CANCELLED, NULL,
                          "exact site selection: cancelled after %.1f s",
                          now_s() - t_start);
        goto fail_quiet;
    }
    int lp_status = glp_get_status(lp);
    int found = 0;
    if (lp_status != GLP_OPT && glp_get_dual_stat(lp) == GLP_FEAS &&
        model != AM_SEL_SETCOVER)
        cb.bound = glp_get_obj_val(lp); /* a dual feasible basis */
    if (!cb.cancelled && rc == 0 && lp_status == GLP_OPT) {
        int feasible_start = model != AM_SEL_SETCOVER || heur->reached_target;
        if (!feasible_start)
            cb.start = NULL;
        glp_iocp io;
        glp_init_iocp(&io);
        io.msg_lev = GLP_MSG_OFF;
        double spent = (now_s() - cb.t0) * 1000.0;
        io.tm_lim = left_ms - spent > 1.0 ? (int)(left_ms - spent) : 1;
        io.br_tech = GLP_BR_PCH; /* pseudocosts */
        io.bt_tech = GLP_BT_BLB; /* best local bound */
        io.gmi_cuts = GLP_ON;    /* Gomory's mixed integer cuts */
        io.mir_cuts = GLP_ON;
        io.cb_func = exact_callback;
        io.cb_info = &cb;
        rc = glp_intopt(lp, &io);
        int ms = glp_mip_status(lp);
        found = !cb.cancelled && (ms == GLP_OPT || ms == GLP_FEAS);
        *proven = !cb.cancelled && (ms == GLP_OPT || ms == GLP_NOFEAS);
    } else if (!cb.cancelled && lp_status == GLP_NOFEAS) {
        *proven = 1; /* set covering: the target cannot be reached */
    }
    if (cb.cancelled) {
        st = am_error_set(err, AM_ERR_CANCELLED, NULL,
                          "exact site selection: cancelled after %.1f s",
                          now_s() - t_start);
        goto fail_quiet;
    }
    {
        int count = 0, cpeak = 0;
        size_t total = 0, tpeak = 0;
        glp_mem_usage(&count, &cpeak, &total, &tpeak);
        info->glpk_peak_bytes = (int64_t)tpeak;
    }

    res = am_calloc(1, sizeof *res);
    if (!res)
        goto fail;
    res->chosen = am_alloc_array((size_t)n_cand + 1, sizeof *res->chosen);
    res->steps = am_alloc_array((size_t)n_cand + 1, sizeof *res->steps);
    if (!res->chosen || !res->steps)
        goto fail;
    if (found) {
        for (int a = 0; a < n_cand; a++)
            if (glp_mip_col_val(lp, a + 1) > 0.5)
                res->chosen[res->n_chosen++] = a;
    } else {
        /* no integer solution (time limit, or an unreachable target):
         * the heuristic's answer */
        memcpy(res->chosen, heur->chosen,
               (size_t)heur->n_chosen * sizeof *res->chosen);
        res->n_chosen = heur->n_chosen;
    }
    /* picks in index order with their marginal gains */
    double prev = base_obj, cost = 0.0;
    for (int32_t k = 0; k < res->n_chosen; k++) {
        double v = am_sel_objective(in, prm, res->chosen, k + 1);
        cost += in->cost ? in->cost[res->chosen[k]] : 1.0;
        double g = model == AM_SEL_PMEDIAN ? prev - v : v - prev;
        res->steps[res->n_steps++] =
            (am_sel_step){res->chosen[k], -1, g, v, cost};
        prev = v;
    }
    res->base_objective = base_obj;
    res->objective = am_sel_objective(in, prm, res->chosen, res->n_chosen);
    double gain = model == AM_SEL_PMEDIAN ? base_obj - res->objective
                                          : res->objective - base_obj;
    if (model == AM_SEL_SETCOVER) {
        res->bound = NAN;
    } else if (*proven) {
        res->bound = gain;
    } else {
        /* the better of GLPK's best bound on the savings / the coverage
         * added, and the heuristic's a posteriori bound */
        double b = isfinite(cb.bound) && cb.bound >= gain ? cb.bound : NAN;
        if (isfinite(heur->bound) && heur->bound >= gain && !(b <= heur->bound))
            b = heur->bound;
        res->bound = b;
    }
    info->bound = res->bound;
    info->nodes = cb.nodes;
    res->gain_evaluations = heur->gain_evaluations;
    res->reached_target = model == AM_SEL_SETCOVER &&
                          res->objective >= prm->target_share * W - 1e-12 * W;
    info->seconds = now_s() - t_start;
    glp_delete_prob(lp);
    am_free(start);
    am_free(open);
    model_free(&x);
    am_sel_result_free(heur);
    *out = res;
    return AM_OK;
fail:
    st = am_error_set(err, AM_ERR_NOMEM, NULL,
                      "exact site selection: out of memory");
fail_quiet:
    if (lp)
        glp_delete_prob(lp);
    am_sel_result_free(res);
    am_free(t.ia);
    am_free(t.ja);
    am_free(t.ar);
    am_free(start);
    am_free(open);
    model_free(&x);
    am_sel_result_free(heur);
    return st;
}
