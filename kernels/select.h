/*
 * select.h: site selection (issue 10). Existing facilities are fixed; new
 * sites are chosen among candidates to optimise a location model.
 * Status: API fixed first so that the kernels, the exact solver and the
 * engine can be written in parallel; kernels/select.c implements it.
 *
 * The instance is the demand points ("cells", weights w_i = population),
 * each cell's baseline time to its nearest existing facility b_i
 * (AM_TIME_INF: none within reach) and, per candidate c, the cells that
 * reach c with their times t_ic (a CSR over candidates, cells ascending
 * within a row; pairs beyond every threshold the models use may be
 * omitted). Times are whole deciseconds, demand -> site (as catchments).
 *
 * Models (S = the chosen sites, T = cover_ds, thresholds inclusive):
 *   MCLP (Church & ReVelle 1974): maximise sum_i w_i [min(b_i, t_iS) <= T]
 *   p-median (Hakimi 1964; ReVelle & Swain 1970): minimise
 *       sum_i w_i min(b_i, t_iS, P) with P = penalty_ds the time charged to
 *       a cell beyond reach (documented in docs/selection.md)
 *   set covering (Toregas et al. 1971), partial form: the fewest sites
 *       (or least cost) such that the covered population reaches
 *       target_share of the total population
 * Budgets: a site count p, or per-candidate costs with a total budget.
 * Heuristic: lazy greedy (CELF, Leskovec et al. 2007; with costs, the
 * better of the unit-cost and the cost-benefit greedy, Khuller, Moss &
 * Naor 1999) then swap/interchange local search (Teitz & Bart 1968) until
 * no swap improves by more than a relative 1e-12. Every pick and swap is
 * recorded. Deterministic for any thread count: gains are computed per
 * candidate in one fixed order, ties broken by the lower candidate index.
 */
#ifndef AM_SELECT_H
#define AM_SELECT_H

#include <stdint.h>

#include "common/error.h"
#include "common/progress.h"

typedef struct am_sel_instance {
    int32_t n_cells;
    const double *weight;    /* [n_cells], finite, >= 0 */
    const uint32_t *base_ds; /* [n_cells]; AM_TIME_INF: nothing in reach */
    int32_t n_cand;
    const int64_t *row;      /* [n_cand + 1], row[0] = 0, non-decreasing */
    const int32_t *cell;     /* [row[n_cand]], ascending within a row */
    const uint32_t *time_ds; /* [row[n_cand]], < AM_TIME_INF */
    const double *cost;      /* [n_cand], finite, > 0; NULL: 1 each */
} am_sel_instance;

typedef enum am_sel_model {
    AM_SEL_MCLP = 1,
    AM_SEL_PMEDIAN,
    AM_SEL_SETCOVER
} am_sel_model;

typedef struct am_sel_params {
    am_sel_model model;
    uint32_t cover_ds;   /* MCLP, set covering: T */
    uint32_t penalty_ds; /* p-median: P (> every time used) */
    int32_t p;           /* sites to add (MCLP, p-median); 0 with budget */
    double budget;       /* total cost (> 0) when p == 0 */
    double target_share; /* set covering: (0, 1] of the total population */
    int local_search;    /* 1: swap/interchange after greedy */
    int n_threads;       /* <= 0: OpenMP's default */
    /* may be NULL: called from the calling thread between steps (the
       greedy's picks, the swap passes, GLPK's callbacks); returning 0
       stops the solve with AM_ERR_CANCELLED (common/progress.h) */
    am_progress_fn progress;
    void *progress_user;
} am_sel_params;

/* One recorded step: a pick (removed = -1), a swap, or a drop (added =
 * -1: set covering's local search removing a redundant site). */
typedef struct am_sel_step {
    int32_t added, removed;
    double gain;      /* objective improvement of this step: >= 0 for picks
                         and the swap search's swaps; a drop's and the
                         perturbation swaps of the iterated local search
                         (small instances, docs/selection.md) may be < 0 */
    double objective; /* after the step */
    double cost;      /* total cost of the chosen set after the step */
} am_sel_step;

typedef struct am_sel_result {
    int32_t n_chosen;
    int32_t *chosen; /* [n_chosen], in the order picked (swaps in place) */
    int32_t n_steps;
    am_sel_step *steps;
    double base_objective; /* with the existing facilities only */
    double objective;      /* final */
    double bound;          /* an upper bound on the optimal gain (greedy's
                              a posteriori bound), NaN when none */
    int64_t gain_evaluations;
    int reached_target; /* set covering: 1 when the target was reached */
} am_sel_result;

/*
 * Solves the instance heuristically. AM_ERR_INVALID (sizes, unsorted rows,
 * bad weights or costs, p > n_cand, a budget below every cost, a target
 * outside (0, 1]), AM_ERR_NOMEM. *out owned by the caller
 * (am_sel_result_free).
 */
am_status am_sel_solve(const am_sel_instance *in, const am_sel_params *prm,
                       am_sel_result **out, am_error *err);

/* The objective of a given set of sites (an oracle for tests and for the
 * exact solver's answer). */
double am_sel_objective(const am_sel_instance *in, const am_sel_params *prm,
                        const int32_t *sites, int32_t n_sites);

void am_sel_result_free(am_sel_result *r); /* accepts NULL */

/* The size of the exact solver's MILP (after its reductions, see
 * kernels/select_exact.c) and, after a solve, how it went. */
typedef struct am_sel_exact_info {
    int32_t cells_in;   /* demand cells that can change the objective */
    int32_t groups;     /* their classes of identical cover (rows) */
    int32_t cand_fixed; /* candidates fixed closed: dominated or useless */
    int64_t rows, cols, nonzeros;
    int64_t bytes; /* estimated peak memory of the solve (GLPK and ours) */
    /* after a solve: */
    double seconds;
    double bound;            /* upper bound on the optimal gain; NaN none */
    int64_t nodes;           /* branch-and-bound nodes */
    int64_t glpk_peak_bytes; /* GLPK's own peak allocation */
} am_sel_exact_info;

/*
 * The MILP's size and estimated memory without solving (the instance is
 * read, not validated: call after am_sel_solve succeeded). AM_ERR_NOMEM.
 */
am_status am_sel_exact_size(const am_sel_instance *in, const am_sel_params *prm,
                            am_sel_exact_info *info, am_error *err);

/*
 * The exact optimum by a MILP solved with GLPK (kernels/select_exact.c),
 * for instances small enough (AM_ERR_INVALID above max_nonzeros
 * constraint entries; a time limit in seconds, after which the best
 * integer solution found is returned with *proven = 0 and info->bound the
 * best bound). AM_ERR_CANCELLED when prm->progress asks to stop. info may
 * be NULL.
 */
am_status am_sel_solve_exact(const am_sel_instance *in,
                             const am_sel_params *prm, int64_t max_nonzeros,
                             double time_limit_s, am_sel_result **out,
                             int *proven, am_sel_exact_info *info,
                             am_error *err);

#endif /* AM_SELECT_H */
