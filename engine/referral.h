/*
 * referral.h: what facility tiers add to a run (issue 9, "Facility tiers
 * and referral times"; docs/scenario.md "Facility tiers"): referral times
 * between tiers (engine/referral.c, kernels/referral.h) and combined
 * indicators (engine/combined.c).
 */
#ifndef AM_ENGINE_REFERRAL_H
#define AM_ENGINE_REFERRAL_H

#include "engine/internal.h"

/* One (lower set, higher set) pair: a row per facility of the lower set. */
typedef struct am_referral_pair {
    int lower, higher; /* the scenario's set indices */
    int32_t n;         /* facilities of the lower set */
    int32_t *to;       /* [n] row of the nearest higher facility, -1: none */
    uint32_t *up_ds;   /* [n] lower -> that facility; AM_TIME_INF: none
                          within AM_REFERRAL_MAX_MIN */
    uint32_t *back_ds; /* [n] that facility -> lower; AM_TIME_INF */
} am_referral_pair;

typedef struct am_tiers_out {
    /* referral pairs, by lower set then higher set (scenario order) */
    int n_pairs;
    am_referral_pair *pairs;
    /* combined indicators [s->n_combined]: per populated cell 1 when every
       condition holds ([n_combined][n_cells]); per combination (bit c set:
       condition c holds; [n_combined][2^AM_MAX_COMBINED_CONDITIONS]) the
       population and the cells */
    int n_combined;
    int32_t *combined_value;
    double *combined_pop;
    int64_t *combined_cells;
} am_tiers_out;

#define AM_COMBINED_ROWS (1 << AM_MAX_COMBINED_CONDITIONS)

void am_tiers_out_free(am_tiers_out *o);

/*
 * Referral times between every set with a tier and every set of a higher
 * tier, into o (its pairs). sites: the scenario's sets [s->n_facility_sets]
 * (snapped as destinations; each tiered set is snapped again here as
 * origins). No pair when fewer than two tiers. AM_ERR_NOMEM.
 */
am_status am_referrals_compute(const am_model *m, am_sites *const *sites,
                               int threads, am_tiers_out *o, am_error *err);

/* The scenario's combined indicators from the sets' nearest times, into o.
 * AM_ERR_NOMEM. */
am_status am_combined_compute(const am_model *m, am_results *const *results,
                              am_tiers_out *o, am_error *err);

#endif /* AM_ENGINE_REFERRAL_H */
