/*
 * select_equity.h: equity site selection (issue 10, "Equity"). Existing
 * facilities are fixed; new sites, each with one of a list of sizes, are
 * chosen to make the 2SFCA accessibility (Luo & Wang 2003) more equal:
 *   maxmin:        maximise min_i A_i over the populated cells (ties: the
 *                  smaller population at that minimum);
 *   bottom_decile: maximise the population-weighted mean A of the lowest
 *                  10 % of the population (the boundary cell counted for
 *                  its part inside, as docs/equity.md's shares; ties:
 *                  the smaller population at the minimum, as maxmin's);
 *   variance:      minimise the population-weighted variance of A, in the
 *                  spirit of Wang & Tang 2013 ("Planning toward equal
 *                  accessibility to services: a quadratic programming
 *                  approach", Environment and Planning B 40:195-212), with
 *                  discrete sites and sizes instead of continuous supply;
 * each optionally subject to a coverage floor: the share of the
 * population within cover_ds of an open site (existing or chosen) must be
 * at least coverage_floor.
 *
 * The model (docs/selection.md, "Equity"): with the existing facilities
 * fixed, adding candidate c with capacity S_c sets R_c = S_c / D_c,
 * D_c = sum_k w_k dw[t_kc] over c's row, leaves every existing R_j as it
 * is and adds R_c dw[t_ic] to A_i inside c's row. So
 *   A_i(S) = A0_i + sum_{c in S} S_c u_ic,  u_ic = dw[t_ic] / D_c,
 * with A0 the baseline 2SFCA of the existing set and dw the measure's
 * decay table (0 beyond dw_limit_ds). D_c = 0: the site adds nothing.
 *
 * Budgets: a site count p, or with p = 0 a total budget over the options'
 * costs; an option (c, k) costs cost_c + size_cost[k] with sizes (cost_c
 * from in->sel->cost, 0 when NULL), else cost_c (1 when NULL).
 *
 * Heuristic: greedy over (site, size) options, a chosen site may be
 * resized later (with a budget the better of the unit-gain and the
 * gain-per-cost greedy, Khuller, Moss & Naor 1999), then best-improvement
 * local search over adds, resizes, drops and swaps (site, size) for
 * (site', size'). Deterministic for any thread count (every move's value
 * computed by one thread, the choice a serial scan in a fixed order).
 */
#ifndef AM_SELECT_EQUITY_H
#define AM_SELECT_EQUITY_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/select.h"

typedef enum am_seleq_model {
    AM_SELEQ_MAXMIN = 1,
    AM_SELEQ_BOTTOM_DECILE,
    AM_SELEQ_VARIANCE
} am_seleq_model;

typedef struct am_seleq_instance {
    /* cells, weights (population), base_ds, the candidates' rows and
       their per-site costs (select.h) */
    const am_sel_instance *sel;
    const double *base_access; /* [n_cells] A0_i, finite, >= 0 */
    const double *dw;          /* [dw_limit_ds + 1] decay table, >= 0 */
    uint32_t dw_limit_ds;
    /* without sizes (n_sizes = 0): each candidate's capacity (NULL: 1) */
    const double *capacity;
    /* sizes: the model picks one per chosen site */
    int32_t n_sizes;
    const double *size_capacity; /* [n_sizes] finite, > 0, distinct */
    const double *size_cost;     /* [n_sizes] finite, >= 0 */
} am_seleq_instance;

typedef struct am_seleq_params {
    am_seleq_model model;
    int32_t p;             /* sites to add; 0: budget */
    double budget;         /* with p = 0: total cost, > 0 */
    double coverage_floor; /* 0: none; else in (0, 1] */
    uint32_t cover_ds;     /* the floor's time (inclusive) */
    int local_search;      /* 1: swaps etc. after the greedy */
    int n_threads;         /* <= 0: OpenMP's default */
    /* asked before every move search from the calling thread (NULL:
       never); returning 0 stops the solve with AM_ERR_CANCELLED */
    am_progress_fn progress;
    void *progress_user;
} am_seleq_params;

/* A pick (removed = -1), a resize (added == removed, sizes differ), a
 * swap, or a drop (added = -1). Sizes are -1 without sizes. */
typedef struct am_seleq_step {
    int32_t added, added_size, removed, removed_size;
    double gain;      /* the objective's improvement (variance: old - new) */
    double objective; /* after the step */
    double at_min;    /* maxmin, bottom_decile: population at the minimum
                         (the tie rule); variance: NaN */
    double cost;      /* total cost of the chosen set after the step */
    double coverage;  /* share of the population within cover_ds */
} am_seleq_step;

typedef struct am_seleq_result {
    int32_t n_chosen;
    int32_t *chosen;  /* [n_chosen] in the order picked (swaps in place) */
    int32_t *size;    /* [n_chosen] the size index, -1 without sizes */
    double *capacity; /* [n_chosen] */
    int32_t n_steps;
    am_seleq_step *steps;
    double base_objective, objective; /* maxmin: min A; bottom_decile:
                                         its mean; variance: variance */
    double base_at_min, at_min;       /* NaN for variance */
    double base_coverage, coverage;   /* shares within cover_ds */
    double cost;
    int64_t evaluations; /* moves evaluated */
} am_seleq_result;

/*
 * Solves heuristically. AM_ERR_INVALID: sizes or arrays missing, rows
 * unsorted or out of range, bad weights, access, decay, capacities, sizes
 * (negative, zero capacity, duplicate capacities), costs, p > n_cand, a
 * budget below every option's cost or an option with cost 0 under a
 * budget, a floor outside [0, 1] (0: none), no populated cell, and a
 * floor no feasible set was found to reach (the message says whether even
 * every candidate together misses it). AM_ERR_NOMEM.
 */
am_status am_seleq_solve(const am_seleq_instance *in,
                         const am_seleq_params *prm, am_seleq_result **out,
                         am_error *err);

/*
 * The objective of a given set (sites[n], sizes[n]: size index, ignored
 * without sizes), recomputed from scratch: *objective, *at_min (NaN for
 * variance), *coverage (share). AM_ERR_INVALID, AM_ERR_NOMEM.
 * Also fills access (n_cells, may be NULL) with the new A.
 */
am_status am_seleq_evaluate(const am_seleq_instance *in,
                            const am_seleq_params *prm, const int32_t *sites,
                            const int32_t *sizes, int32_t n, double *objective,
                            double *at_min, double *coverage, double *access,
                            am_error *err);

void am_seleq_result_free(am_seleq_result *r); /* accepts NULL */

#endif /* AM_SELECT_EQUITY_H */
