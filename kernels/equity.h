/*
 * equity.h: population-weighted distribution and inequality statistics of
 * a value per cell (an access score, a travel time), overall or for every
 * group of a per-cell group id (admin zones, urban/rural classes).
 *
 * Why: a mean access score hides who is left out. Planners compare
 * districts and town with countryside by the spread of access among
 * people, not among cells, so every statistic weighs a cell by its
 * population.
 *
 * Which cells count. A cell i enters the value statistics of group g when
 * group[i] == g (group NULL: every cell is in group 0), w[i] > 0 and
 * values[i] is not NaN; cells with w[i] <= 0 or NaN, or group[i] < 0 (no
 * zone), are skipped. Within a group, with the m counted cells sorted by
 * (value, cell index) as x_1 <= ... <= x_m with weights w_k, C_k =
 * w_1 + ... + w_k (summed in that order), W = C_m, S = sum_k w_k x_k
 * (in that order) and mu = S / W:
 *
 *  - mean = sum w_i v_i / sum w_i summed in cell-index order (the same
 *    bits as measures.h's am_weighted_summary for group NULL).
 *  - lower weighted quantile Q(p), p in [0, 1]: x_k for the smallest k
 *    with C_k >= p W. Q(0) is the minimum, Q(1) the maximum; the median
 *    is Q(0.5), the lower weighted median of am_weighted_summary (same
 *    bits). No interpolation: every quantile is a value some cell has.
 *    Percentiles are given in percent (p = pct / 100).
 *  - Gini: the weighted mean-difference form (Gini 1912, "Variabilità e
 *    mutabilità"), G = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu),
 *    computed exactly from the sorted values as
 *    G = sum_k w_k x_k (C_(k-1) + C_k - W) / (W S),
 *    which equals 1 - 2 x (the area under the piecewise-linear Lorenz
 *    curve through (C_k / W, sum_(l<=k) w_l x_l / S)): the standard
 *    weighted Lorenz-curve formulation, exact for grouped data (a cell is
 *    w_k people with the same value; no small-sample correction).
 *  - Palma ratio (Palma 2011, "Homogeneous middles vs. heterogeneous
 *    tails", Development and Change 42(1); Cobham & Sumner 2013): the
 *    value held by the top 10 % of the population divided by the value
 *    held by the bottom 40 %. The population is the continuum [0, W] in
 *    sorted order, cell k occupying [C_(k-1), C_k]; the bottom 40 % is
 *    [0, 0.4 W] and the top 10 % [0.9 W, W], and a cell straddling a
 *    boundary is split: only the fraction of its weight inside the range
 *    counts, with its value (fractional weights). Ties do not matter (the
 *    tied cells have the same value). Bottom share 0 and top share > 0:
 *    +infinity (the usual case when 40 % of people reach nothing).
 *  - Theil T (Theil 1967, "Economics and Information Theory", ch. 4):
 *    T = (1 / W) sum_k w_k (x_k / mu) ln(x_k / mu), with 0 ln 0 = 0 (the
 *    limit as x -> 0+), so cells with value 0 add nothing to the sum but
 *    still count in W and mu. In [0, ln(W / w_min)].
 *  - all values equal (x_1 == x_m > 0): G = 0, T = 0 and Palma = 0.25
 *    exactly (no rounding residue).
 *  - Gini, Palma and Theil need values >= 0 and S > 0: a group with a
 *    negative value, an infinite value or S == 0 (all values 0) gets NaN
 *    for all three (the Lorenz curve is undefined).
 *  - share below level L: sum of w_i with v_i < L (strict: a value equal
 *    to the level is not below it) over the group's W (cell-index order).
 *  - share beyond cutoff c (time_ds, deciseconds): sum of w_i with
 *    time_ds[i] > c over the sum of w_i of the group's cells with
 *    w_i > 0, whatever their value (NaN included); a cell that reaches
 *    nothing (AM_TIME_INF) is beyond every cutoff. Within a cutoff is
 *    t <= c (inclusive), as in am_coverage_run, so beyond = 1 - within.
 *  - an empty group (W == 0): every statistic NaN, counts 0.
 *
 * Determinism: one stable sort by value (kernels/radix.h, parallel) and,
 * with groups, one stable sort of the sorted cells by group, then each
 * group's sums run serially in its sorted order (groups in parallel, each
 * written by one task); the index-order sums run serially. The result is
 * bit-identical for any thread count.
 *
 * Allocation: about 40 bytes per counted cell, freed before return.
 * Thread safety: reentrant (no globals).
 */
#ifndef AM_EQUITY_H
#define AM_EQUITY_H

#include <stdint.h>

#include "common/error.h"

/* What to compute beyond the fixed statistics. Arrays borrowed. */
typedef struct am_equity_spec {
    int32_t n_pct;
    const double *pct; /* [n_pct] percentiles, in percent, in [0, 100] */
    int32_t n_levels;
    const double *level; /* [n_levels] share of W with value < level */
    int32_t n_cutoffs;
    const uint32_t *cutoff_ds; /* [n_cutoffs] share with time > cutoff */
} am_equity_spec;

/* One group's statistics (see the definitions above). */
typedef struct am_equity_stats {
    int64_t n_cells;     /* cells counted for the value statistics */
    double weight;       /* their total weight W (cell-index order) */
    double mean, median; /* NaN when W == 0 */
    double min, max;     /* Q(0), Q(1) */
    double gini, palma, theil;
    int64_t n_time_cells; /* cells with w > 0 (the time shares' cells) */
    double time_weight;   /* their total weight */
} am_equity_stats;

/*
 * The statistics of values[0 .. n-1] weighted by w (both borrowed, [n]),
 * for every group 0 .. n_groups - 1 of group ([n], borrowed; NULL: one
 * group, n_groups must be 1). time_ds ([n], borrowed) may be NULL when
 * spec->n_cutoffs is 0. Outputs, caller-allocated: stats[n_groups],
 * pct[n_groups * n_pct] (group-major), below[n_groups * n_levels],
 * beyond[n_groups * n_cutoffs] (each may be NULL when its count is 0).
 * n_threads <= 0: OpenMP's default. AM_ERR_INVALID (nothing meaningful
 * written) for NULL arguments, n < 0, n_groups < 1, a group id >=
 * n_groups, or a percentile outside [0, 100] or NaN; AM_ERR_NOMEM.
 */
am_status am_equity_run(int32_t n, const double *values, const double *w,
                        const uint32_t *time_ds, const int32_t *group,
                        int32_t n_groups, const am_equity_spec *spec,
                        int n_threads, am_equity_stats *stats, double *pct,
                        double *below, double *beyond, am_error *err);

#endif /* AM_EQUITY_H */
