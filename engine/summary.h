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

#endif /* AM_ENGINE_SUMMARY_H */
