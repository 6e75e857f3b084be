/*
 * sweep.h: the candidate sweep (issue 10). For every candidate c, the
 * effect of adding c alone to the existing facilities, computed
 * incrementally from c's catchment (never a full re-run per candidate).
 * Status: API fixed first so that the kernel and the engine can be written
 * in parallel; kernels/sweep.c implements it.
 *
 * Instance: the same candidate rows as select.h (cells reaching c with
 * their times t_ic, ascending by cell), the cells' population w_i, their
 * baseline nearest time b_i, and a baseline per-cell accessibility a_i of
 * a 2SFCA-family measure with decay table dw (dw[t] = 0 beyond its limit).
 *
 * Per candidate c, with supply s_c:
 *  - newly_within[k] = sum of w_i with t_ic <= T_k < b_i (inclusive
 *    cutoffs, as everywhere);
 *  - nearest_changed = sum of w_i with t_ic < b_i (strictly faster; a tie
 *    keeps the existing facility);
 *  - time_saved = sum of w_i (min(b_i, P) - min(t_ic, b_i, P)) in minutes,
 *    P = penalty_ds (p-median's term);
 *  - 2SFCA: adding c leaves every existing R_j unchanged (R_j depends
 *    only on the demand in j's catchment: Luo & Wang 2003), adds
 *    R_c = s_c / D_c with D_c = sum_i w_i dw[t_ic], and raises a_i by
 *    R_c dw[t_ic] inside c's catchment only. D_c = 0: R_c undefined, no
 *    change (flagged). From the new values of the changed cells and the
 *    baseline sorted once (prefix sums of weights and weighted values):
 *    d_mean (population-weighted), d_bottom10 (change in the mean of the
 *    lowest 10 % of the population, the boundary cell split fractionally
 *    as in equity.h), d_gini (the mean-difference Gini of equity.h; the
 *    sum over pairs with a changed cell done per changed cell by binary
 *    search in the baseline, the pairs of two changed cells exactly).
 * Deterministic for any thread count (one task per candidate, fixed
 * order within it).
 *
 * Edge cases (docs/selection.md, "Candidate sweep"):
 *  - cutoffs and ties: t_ic <= T_k counts as within T_k (inclusive); a
 *    cell with t_ic == b_i keeps its facility (not in nearest_changed, no
 *    time saved, not newly within any cutoff);
 *  - the statistics are those of equity.h over the cells with w_i > 0
 *    (a changed cell is one of them with dw[t_ic] > 0); each delta is the
 *    statistic after minus before, so it is NaN where equity.h's is
 *    undefined: with no populated cell all three are NaN; with an
 *    all-zero baseline (S = 0) the Gini before is undefined, so d_gini is
 *    NaN for every candidate while d_mean and d_bottom10 are defined;
 *  - base_access NULL: d_mean, d_bottom10 and d_gini are NaN (dw may then
 *    be NULL: no_demand is then 1 when the row holds no population);
 *  - an empty row, or D_c = 0 (only empty cells, or all beyond the decay):
 *    no_demand = 1 and no 2SFCA change (deltas 0, or NaN as above);
 *    s_c = 0 with D_c > 0: R_c = 0, deltas 0, no_demand 0;
 *  - time_saved_min is in person-minutes (deciseconds / 600); it needs
 *    0 < penalty_ds < AM_TIME_INF.
 * Validation (AM_ERR_INVALID, nothing meaningful written): NULL in, prm or
 * out; negative sizes; row[0] != 0 or decreasing; cells out of range or
 * not strictly ascending within a row; a time >= AM_TIME_INF; a weight,
 * a base_access value, a supply or a decay weight negative or not finite;
 * base_access without dw; dw_limit_ds >= AM_TIME_INF; newly_within asked
 * for with cutoffs missing or descending; time_saved_min asked for with
 * penalty_ds = 0 or >= AM_TIME_INF. in->cost is not used.
 * Allocation: the baseline sorted once (about 51 bytes per populated
 * cell plus 4 per cell) and one workspace per thread of about 104 bytes
 * per cell of the longest row; freed before return. Reentrant.
 */
#ifndef AM_SWEEP_H
#define AM_SWEEP_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/select.h"

typedef struct am_sweep_params {
    int32_t n_cutoffs;
    const uint32_t *cutoff_ds; /* [n_cutoffs], ascending */
    uint32_t penalty_ds;
    const double *base_access; /* [n_cells] a_i (finite, >= 0); NULL: no
                                  2SFCA columns */
    const double *dw;          /* [dw_limit_ds + 1] decay table */
    uint32_t dw_limit_ds;
    const double *supply; /* [n_cand] s_c, finite >= 0; NULL: 1 each */
    int n_threads;        /* <= 0: OpenMP's default */
} am_sweep_params;

typedef struct am_sweep_row {
    double *newly_within;    /* [n_cand * n_cutoffs], row-major */
    double *nearest_changed; /* [n_cand] */
    double *time_saved_min;  /* [n_cand] person-minutes */
    double *d_mean;          /* [n_cand] (NaN when no 2SFCA columns) */
    double *d_bottom10;      /* [n_cand] */
    double *d_gini;          /* [n_cand] */
    uint8_t *no_demand;      /* [n_cand] 1: D_c = 0 */
} am_sweep_row;

/* Caller-allocated outputs (any pointer NULL: not computed).
 * AM_ERR_INVALID for sizes or bad values, AM_ERR_NOMEM. */
am_status am_sweep_run(const am_sel_instance *in, const am_sweep_params *prm,
                       am_sweep_row *out, am_error *err);

#endif /* AM_SWEEP_H */
