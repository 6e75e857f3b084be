/*
 * diagnostics.h: the checks and figures that make a run's measures
 * auditable (issue 9, "Diagnostics, written and printed"), from plain
 * arrays, so that the network mode (engine/results.c) and the matrix mode
 * (engine/matrix_run.c) compute them alike.
 *
 * Per measure (am_measure_diagnostics in accessim.h):
 *  - the supply identity of the 2SFCA family (Luo & Wang 2003; any decay,
 *    E2SFCA, KD2SFCA, and 3SFCA of Wan, Zou & Sternberg 2012):
 *        sum_i P_i A_i = sum_{j: D_j > 0} S_j;
 *  - balanced FCA's preserved totals (Paez, Higgins & Vivona 2019):
 *        sum_j D_j = sum of P_i over the cells within reach (population),
 *        sum_i A_i = sum_{j: D_j > 0} R_j (level of service) and
 *        sum_j R_j D_j = sum_{j: D_j > 0} S_j (supply);
 *  - spatial availability's (Soukhov et al. 2023): sum_i V_i =
 *    sum_{j: C_j > 0} S_j;
 *  - M2SFCA (Delamater 2013) has none: its squared weights keep only part
 *    of the supply, reported as supply_kept = sum P A / sum S;
 *  - demand inflation (Paez et al. 2019): sum_j D_j over the population
 *    within reach, how many times a person within reach is counted in
 *    the catchments (1 for BFCA, the mean number of facilities reached for
 *    2SFCA with a step).
 * A failed identity is a bug, never bad input: the run stops with
 * AM_ERR_INTERNAL naming the set, the measure, both sums and the
 * tolerance.
 *
 * Tolerance. The check's own sums are compensated (Neumaier 1974), in
 * cell then facility order, so their error is a few ulps; what remains is
 * the measure's: each of its sums runs in one fixed order over at most
 * n_cells + n_facilities terms (kernels/fca.h), whose relative rounding
 * error is bounded by about (n_terms) eps for non-negative terms. The
 * tolerance is therefore relative, max(1e-9, 4 eps n_terms), eps =
 * DBL_EPSILON: 1e-9 up to about a million terms, growing with the sums'
 * length beyond (a bound that a correct kernel never reaches; an actual
 * bug, such as a facility counted twice or left out, shows as a relative
 * difference of the order of one facility's share).
 *
 * Pure functions: no I/O; am_diag_snap allocates (am_equity_run's ~40
 * bytes per point), the rest does not. Deterministic: serial sums in a
 * fixed order, a stable sort for the quantiles.
 */
#ifndef AM_DIAGNOSTICS_H
#define AM_DIAGNOSTICS_H

#include <stdint.h>

#include <accessim.h>
#include "kernels/fca.h"

#define AM_DIAG_REL_TOL 1e-9

/* The relative tolerance of an identity over sums of n_terms terms. */
double am_diag_tolerance(int64_t n_terms);

/*
 * Checks lhs = rhs within the relative tolerance tol (|lhs - rhs| <= tol
 * max(|lhs|, |rhs|); both NaN-free). *rel (may be NULL) gets the relative
 * difference (0 when both are 0). On failure AM_ERR_INTERNAL: "set 'S',
 * measure 'M': identity WHAT fails: LHS against RHS (relative difference
 * D, tolerance T)". set, measure and what are borrowed.
 */
am_status am_diag_identity_check(const char *set, const char *measure,
                                 const char *what, double lhs, double rhs,
                                 double tol, double *rel, am_error *err);

/* One measure's arrays, borrowed. */
typedef struct am_diag_input {
    const char *set, *measure; /* names, for messages */
    am_fca_method method;
    int supply_identity; /* am_measure_has_supply_identity */
    int32_t n_cells, n_fac;
    const double *pop;     /* [n_cells] P_i */
    const double *access;  /* [n_cells] A_i (spav: V_i) */
    const uint8_t *flag;   /* [n_cells] AM_FCA_CELL_* */
    const double *supply;  /* [n_fac] S_j */
    const double *demand;  /* [n_fac] D_j (spav: C_j); NULL: none */
    const double *ratio;   /* [n_fac] R_j (NaN: no demand); NULL: none */
    int32_t fac_no_demand; /* -1: no ratio */
    double pop_none;
} am_diag_input;

/* The diagnostics of one measure into *out, checking its identities
 * (AM_ERR_INTERNAL when one fails; *out is filled either way). */
am_status am_diag_measure(const am_diag_input *in, am_measure_diagnostics *out,
                          am_error *err);

/*
 * The snap distances dist_m ([n], NaN: off network, skipped) weighted by
 * w ([n]; NULL: 1 each; points with w <= 0 skipped) into *out.
 * AM_ERR_NOMEM.
 */
am_status am_diag_snap(int32_t n, const double *dist_m, const double *w,
                       int threads, am_snap_diagnostics *out, am_error *err);

/* One set's diagnostics (network runs: am_results->diag). */
typedef struct am_diagnostics {
    int n_measures;
    am_measure_diagnostics *m; /* [n_measures] */
    am_snap_diagnostics cells, facilities;
} am_diagnostics;

void am_diagnostics_destroy(am_diagnostics *d); /* accepts NULL */

#endif /* AM_DIAGNOSTICS_H */
