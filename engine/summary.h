/*
 * summary.h: wording the run's and the matrix run's summaries share
 * (engine/summary.c, engine/matrix_run.c), so that both say the same
 * thing the same way. Internal to engine/; prints only to the FILE given.
 */
#ifndef AM_ENGINE_SUMMARY_H
#define AM_ENGINE_SUMMARY_H

#include <stdio.h>

/*
 * Issue 9, a nearest_n measure's mean (the n-th nearest time over those
 * who reach n within the measure's reach; +inf for the others, left out).
 * zones: 1 in a matrix run (units are zones reaching destinations), 0 in
 * a network run (people on the network reaching facilities). When mean is
 * NaN (no one reaches n) writes "no one reaches n facilities within the
 * measure's reach" (matrix: "no zone reaches n destinations ...") and
 * returns 0: there is no mean to print. Else writes, when left_out > 0,
 * "<left_out> people reaching fewer than n facilities left out" (matrix:
 * "1 zone ...", "2 zones ...") and returns 1.
 */
int am_summary_nth_note(FILE *f, double mean, double left_out, int zones);

/*
 * Issue 9, how to read a balanced FCA value (Paez, Higgins & Vivona 2019):
 * "a cell's share of the facilities' level of service" (matrix: "a zone's
 * ... the destinations' ..."), not capacity per person: A_i = sum_j R_j
 * Wj_ij with Wj_ij summing to 1 over the cells of j's catchment, so that
 * sum_i A_i = sum_j R_j and A_i falls as cells get smaller.
 */
void am_summary_bfca_words(FILE *f, int zones);

/*
 * Issue 9, capacity_coverage's split of a total (persons or demand):
 * "served X (p %), within reach beyond capacity Y (p %), not within reach
 * Z (p %)", percentages of total (0 when total is not positive).
 */
void am_summary_cover_split(FILE *f, double served, double beyond, double none,
                            double total);

/*
 * Issue 9, how capacity_coverage's allocation ended: "fixed point:
 * converged after N rounds (residual r)" ("NOT converged" when it did
 * not); "proportional allocation (one pass)" for 0 rounds.
 */
void am_summary_fixed_point(FILE *f, int iterations, int converged,
                            double residual);

#endif /* AM_ENGINE_SUMMARY_H */
