/*
 * select_exact.c: the exact optimum of a site-selection instance by a
 * mixed-integer program solved with GLPK (GNU Linear Programming Kit,
 * glp_simplex then glp_intopt's branch and cut), see select.h.
 *
 * Columns 1..n_cand are x_a in {0, 1} (candidate a opened). Only the
 * pairs and cells that can change the objective enter:
 *  MCLP (Church & ReVelle 1974): y_i in [0, 1] for every cell not covered
 *    by the existing facilities (b_i > T) and within T of a candidate;
 *    max sum w_i y_i s.t. y_i <= sum_{a: t_ia <= T} x_a; the objective is
 *    the covered population at the baseline plus that sum.
 *  p-median (ReVelle & Swain 1970), in savings form: z_ia in [0, 1] for
 *    every pair with t_ia < e_i = min(b_i, P); max sum w_i (e_i - t_ia)
 *    z_ia s.t. z_ia <= x_a, sum_a z_ia <= 1; the objective is the
 *    baseline loss less the savings (a cell keeps e_i unless it is
 *    assigned to a strictly closer new site, which min(b_i, t_iS, P) is).
 *  set covering, partial (Toregas et al. 1971; Church & ReVelle 1974's
 *    covering constraint): y_i in {0, 1} as in MCLP; min sum c_a x_a s.t.
 *    sum w_i y_i >= target W - covered at the baseline.
 * A site count p adds sum x_a <= p, a budget sum c_a x_a <= budget.
 *
 * The heuristic's answer (am_sel_solve with local search) is given to
 * the branch and cut as its first incumbent (glp_ios_heur_sol), so that a
 * time limit returns at least that. proven = 1 when GLPK reports the
 * integer optimum (GLP_OPT), or for set covering an infeasible target.
 *
 * GLPK is not thread-safe (its environment is per process): call this
 * from one thread at a time; it is for tests, benchmarks and the engine's
 * exact option on small instances.
 */
#include "kernels/select.h"

#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"

typedef struct exact_cb {
    const double *start; /* [1 + n_cols] or NULL */
    int given;
} exact_cb;

static void exact_callback(glp_tree *tree, void *info)
{
    exact_cb *cb = info;
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

static int trip_add(triplets *t, int i, int j, double v)
{
    if (t->n + 1 >= t->cap)
        return 0;
    t->n++;
    t->ia[t->n] = i;
    t->ja[t->n] = j;
    t->ar[t->n] = v;
    return 1;
}

static uint32_t eff_base(const am_sel_params *prm, uint32_t b)
{
    return b < prm->penalty_ds ? b : prm->penalty_ds;
}

/* The number of constraint entries the model would have. */
static int64_t count_nonzeros(const am_sel_instance *in,
                              const am_sel_params *prm, int64_t *n_aux)
{
    int64_t nz = 0, aux = 0;
    int budget_row = prm->model != AM_SEL_SETCOVER;
    if (prm->model == AM_SEL_PMEDIAN) {
        for (int64_t j = 0; j < in->row[in->n_cand]; j++) {
            uint32_t e = eff_base(prm, in->base_ds[in->cell[j]]);
            if (in->time_ds[j] < e) {
                nz += 3;
                aux++;
            }
        }
    } else {
        char *seen = am_calloc_array((size_t)in->n_cells + 1, 1);
        if (!seen)
            return -1;
        for (int64_t j = 0; j < in->row[in->n_cand]; j++) {
            int32_t i = in->cell[j];
            if (in->time_ds[j] <= prm->cover_ds &&
                in->base_ds[i] > prm->cover_ds) {
                nz++;
                if (!seen[i]) {
                    seen[i] = 1;
                    aux++;
                    nz += prm->model == AM_SEL_SETCOVER ? 2 : 1;
                }
            }
        }
        am_free(seen);
    }
    if (budget_row)
        nz += in->n_cand;
    *n_aux = aux;
    return nz;
}

am_status am_sel_solve_exact(const am_sel_instance *in,
                             const am_sel_params *prm, int64_t max_nonzeros,
                             double time_limit_s, am_sel_result **out,
                             int *proven, am_error *err)
{
    if (!out || !proven)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "exact site selection: no output");
    *out = NULL;
    *proven = 0;
    /* validates the instance and parameters, and gives the start */
    am_sel_result *heur = NULL;
    am_sel_params hp = *prm;
    hp.local_search = 1;
    am_status st = am_sel_solve(in, &hp, &heur, err);
    if (st != AM_OK)
        return st;
    int64_t n_aux = 0;
    int64_t nz = count_nonzeros(in, prm, &n_aux);
    if (nz < 0) {
        am_sel_result_free(heur);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "exact site selection: out of memory");
    }
    if (nz > max_nonzeros || nz + 2 > INT_MAX || n_aux + in->n_cand > INT_MAX) {
        am_sel_result_free(heur);
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "exact site selection: the MILP would have %lld "
                            "constraint entries, above the limit of %lld; "
                            "use the heuristic",
                            (long long)nz, (long long)max_nonzeros);
    }
    if (in->n_cand == 0) { /* nothing to choose: the baseline is optimal */
        *proven = 1;
        *out = heur;
        return AM_OK;
    }
    int model = prm->model;
    double W = 0.0;
    for (int32_t i = 0; i < in->n_cells; i++)
        W += in->weight[i];
    double base_obj = heur->base_objective;

    int n_cand = in->n_cand;
    int32_t *aux_of = NULL; /* MCLP/set cover: cell -> column, 0 none */
    double *start = NULL;
    char *open = NULL;
    triplets t = {0};
    t.cap = nz + 2;
    t.ia = am_alloc_array((size_t)t.cap, sizeof *t.ia);
    t.ja = am_alloc_array((size_t)t.cap, sizeof *t.ja);
    t.ar = am_alloc_array((size_t)t.cap, sizeof *t.ar);
    int n_cols = n_cand + (int)n_aux;
    start = am_calloc_array((size_t)n_cols + 1, sizeof *start);
    open = am_calloc_array((size_t)n_cand + 1, 1);
    if (model != AM_SEL_PMEDIAN)
        aux_of = am_calloc_array((size_t)in->n_cells + 1, sizeof *aux_of);
    glp_prob *lp = NULL;
    st = AM_ERR_NOMEM;
    if (!t.ia || !t.ja || !t.ar || !start || !open ||
        (model != AM_SEL_PMEDIAN && !aux_of))
        goto fail;
    for (int32_t k = 0; k < heur->n_chosen; k++)
        open[heur->chosen[k]] = 1;

    lp = glp_create_prob();
    glp_set_obj_dir(lp, model == AM_SEL_SETCOVER ? GLP_MIN : GLP_MAX);
    glp_add_cols(lp, n_cols);
    for (int a = 0; a < n_cand; a++) {
        glp_set_col_kind(lp, a + 1, GLP_BV);
        if (model == AM_SEL_SETCOVER)
            glp_set_obj_coef(lp, a + 1, in->cost ? in->cost[a] : 1.0);
        start[a + 1] = open[a];
    }
    int row = 0;
    if (model == AM_SEL_PMEDIAN) {
        /* per cell its pairs' columns: a cell row sum z <= 1 */
        int32_t *cell_row =
            am_calloc_array((size_t)in->n_cells + 1, sizeof *cell_row);
        int32_t *best_col =
            am_calloc_array((size_t)in->n_cells + 1, sizeof *best_col);
        uint32_t *best_t =
            am_alloc_array((size_t)in->n_cells + 1, sizeof *best_t);
        if (!cell_row || !best_col || !best_t) {
            am_free(cell_row);
            am_free(best_col);
            am_free(best_t);
            goto fail;
        }
        for (int32_t i = 0; i < in->n_cells; i++)
            best_t[i] = AM_TIME_INF;
        int col = n_cand;
        for (int a = 0; a < n_cand; a++)
            for (int64_t j = in->row[a]; j < in->row[a + 1]; j++) {
                int32_t i = in->cell[j];
                uint32_t e = eff_base(prm, in->base_ds[i]);
                uint32_t tt = in->time_ds[j];
                if (tt >= e)
                    continue;
                col++;
                glp_set_col_bnds(lp, col, GLP_DB, 0.0, 1.0);
                glp_set_obj_coef(lp, col, in->weight[i] * (double)(e - tt));
                if (!cell_row[i]) {
                    cell_row[i] = glp_add_rows(lp, 1);
                    glp_set_row_bnds(lp, cell_row[i], GLP_UP, 0.0, 1.0);
                }
                int r = glp_add_rows(lp, 1);
                glp_set_row_bnds(lp, r, GLP_UP, 0.0, 0.0);
                trip_add(&t, r, col, 1.0);
                trip_add(&t, r, a + 1, -1.0);
                trip_add(&t, cell_row[i], col, 1.0);
                if (open[a] && tt < best_t[i]) {
                    best_t[i] = tt;
                    best_col[i] = col;
                }
            }
        for (int32_t i = 0; i < in->n_cells; i++)
            if (best_col[i])
                start[best_col[i]] = 1.0;
        am_free(cell_row);
        am_free(best_col);
        am_free(best_t);
    } else {
        int col = n_cand;
        for (int a = 0; a < n_cand; a++)
            for (int64_t j = in->row[a]; j < in->row[a + 1]; j++) {
                int32_t i = in->cell[j];
                if (in->time_ds[j] > prm->cover_ds ||
                    in->base_ds[i] <= prm->cover_ds)
                    continue;
                if (!aux_of[i]) {
                    aux_of[i] = ++col;
                    if (model == AM_SEL_SETCOVER)
                        glp_set_col_kind(lp, col, GLP_BV);
                    else {
                        glp_set_col_bnds(lp, col, GLP_DB, 0.0, 1.0);
                        glp_set_obj_coef(lp, col, in->weight[i]);
                    }
                    int r = glp_add_rows(lp, 1);
                    glp_set_row_bnds(lp, r, GLP_UP, 0.0, 0.0);
                    trip_add(&t, r, col, 1.0);
                }
                /* the cell's row is the one created with its column: rows
                 * and aux columns are created together, in step */
                trip_add(&t, aux_of[i] - n_cand, a + 1, -1.0);
                if (open[a])
                    start[aux_of[i]] = 1.0;
            }
        if (model == AM_SEL_SETCOVER) {
            double need = prm->target_share * W - base_obj - 1e-12 * W;
            int r = glp_add_rows(lp, 1);
            glp_set_row_bnds(lp, r, GLP_LO, need, 0.0);
            for (int32_t i = 0; i < in->n_cells; i++)
                if (aux_of[i])
                    trip_add(&t, r, aux_of[i], in->weight[i]);
        }
    }
    row = glp_get_num_rows(lp);
    if (model != AM_SEL_SETCOVER) {
        int r = glp_add_rows(lp, 1);
        if (prm->p > 0)
            glp_set_row_bnds(lp, r, GLP_UP, 0.0, (double)prm->p);
        else
            glp_set_row_bnds(lp, r, GLP_UP, 0.0, prm->budget);
        for (int a = 0; a < n_cand; a++)
            trip_add(&t, r, a + 1,
                     prm->p > 0 ? 1.0 : (in->cost ? in->cost[a] : 1.0));
    }
    (void)row;
    glp_load_matrix(lp, (int)t.n, t.ia, t.ja, t.ar);

    int tm = time_limit_s > 0 && time_limit_s * 1000.0 < (double)INT_MAX
                 ? (int)(time_limit_s * 1000.0)
                 : INT_MAX;
    glp_smcp sm;
    glp_init_smcp(&sm);
    sm.msg_lev = GLP_MSG_OFF;
    sm.tm_lim = tm;
    int feasible_start = model != AM_SEL_SETCOVER || heur->reached_target;
    int rc = glp_simplex(lp, &sm);
    int lp_status = glp_get_status(lp);
    int found = 0;
    if (rc == 0 && lp_status == GLP_OPT) {
        exact_cb cb = {feasible_start ? start : NULL, 0};
        glp_iocp io;
        glp_init_iocp(&io);
        io.msg_lev = GLP_MSG_OFF;
        io.tm_lim = tm;
        io.cb_func = exact_callback;
        io.cb_info = &cb;
        rc = glp_intopt(lp, &io);
        int ms = glp_mip_status(lp);
        found = ms == GLP_OPT || ms == GLP_FEAS;
        *proven = ms == GLP_OPT || ms == GLP_NOFEAS;
    } else if (lp_status == GLP_NOFEAS) {
        *proven = 1; /* set covering: the target cannot be reached */
    }

    am_sel_result *res = am_calloc(1, sizeof *res);
    if (!res)
        goto fail;
    res->chosen = am_alloc_array((size_t)n_cand + 1, sizeof *res->chosen);
    res->steps = am_alloc_array((size_t)n_cand + 1, sizeof *res->steps);
    if (!res->chosen || !res->steps) {
        am_sel_result_free(res);
        goto fail;
    }
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
    res->bound = *proven && model != AM_SEL_SETCOVER ? gain : NAN;
    res->gain_evaluations = heur->gain_evaluations;
    res->reached_target = model == AM_SEL_SETCOVER &&
                          res->objective >= prm->target_share * W - 1e-12 * W;
    glp_delete_prob(lp);
    am_free(t.ia);
    am_free(t.ja);
    am_free(t.ar);
    am_free(start);
    am_free(open);
    am_free(aux_of);
    am_sel_result_free(heur);
    *out = res;
    return AM_OK;
fail:
    if (lp)
        glp_delete_prob(lp);
    am_free(t.ia);
    am_free(t.ja);
    am_free(t.ar);
    am_free(start);
    am_free(open);
    am_free(aux_of);
    am_sel_result_free(heur);
    return am_error_set(err, st, NULL, "exact site selection: out of memory");
}
