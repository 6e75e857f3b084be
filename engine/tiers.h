/*
 * tiers.h: facility tiers in the scenario (issue 9, docs/scenario.md
 * "Facility tiers"): each set's tier, its own cutoffs and the measures it
 * computes, and the combined indicators, checked by am_scenario_finalize.
 */
#ifndef AM_TIERS_H
#define AM_TIERS_H

#include <accessim.h>

/*
 * Checks the sets' tier (0 or 1 .. AM_MAX_TIER), cutoffs_min (as the
 * scenario's: 1 .. AM_MAX_CUTOFFS, > 0, <= 24 h, ascending and distinct
 * in 0.1 s) and measures (names of the scenario's measures, each once,
 * "did you mean" for an unknown one), the combined indicators (unique
 * valid names; 1 .. AM_MAX_COMBINED_CONDITIONS conditions on distinct
 * known sets; minutes > 0 and at most the set's largest cutoff, the depth
 * of its nearest search) and referrals.csv (needs two tiers). Needs the
 * measures' and sets' names filled. AM_ERR_SCENARIO naming the key and
 * the entry's line.
 */
am_status am_tiers_scenario_check(const am_scenario *s, am_error *err);

/* Set k's cutoffs (its own, else the scenario's); k < 0: the scenario's. */
void am_set_cutoffs(const am_scenario *s, int k, int *n, const double **cut);

/* 1 when set k computes measure m (k < 0: every measure). */
int am_set_measure_on(const am_scenario *s, int k, int m);

/* The index of the set named name, -1 when none. */
int am_scenario_set_index(const am_scenario *s, const char *name);

#endif /* AM_TIERS_H */
