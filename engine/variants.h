/*
 * variants.h: scenario ensembles (issue 12, docs/scenario.md "Variants",
 * docs/hdf5-layout.md "Variants"). Each variant of a scenario is one unit
 * of work with a stable id (its place in the run order: the list's
 * variants, then the product's units, last axis fastest) and a fingerprint
 * (SHA-256 of the scenario file's, the inputs' and the variant's
 * parameters): the hook for shards and resume.
 *
 * A unit reuses what the variant allows: a variant that changes no speed
 * runs on the baseline's model (roads, graph, population, snapping) with
 * its own cutoffs, thresholds and, for demand growth, a scaled copy of the
 * population (two doubles per populated cell); a speed variant builds its
 * own model (the prepared-graph cache is read as for the baseline: the
 * multiplier applies after it), computes, and frees that model before the
 * next unit. Units run one after another in id order (each uses every
 * thread), so the results do not depend on the thread count.
 *
 * What stays in memory until the run's single atomic write: each unit's
 * results (per populated cell: nearest time and facility, one value and
 * one flag per measure) and sites, and the distribution across units (5
 * doubles per populated cell per set and quantity). Not thread-safe.
 */
#ifndef AM_ENGINE_VARIANTS_H
#define AM_ENGINE_VARIANTS_H

#include "engine/internal.h"
#include "outputs/results_file.h"

#define AM_VARIANT_STATS 5 /* min, p10, p50, p90, max */

/* One unit (owned by the ensemble). */
typedef struct am_variant_unit {
    const am_variant *v; /* borrowed from the scenario */
    int id;
    char fingerprint[65];
    am_scenario scen;          /* the baseline's, shallow, with the overrides */
    double *cutoffs;           /* owned copies behind scen (or NULL) */
    am_measure_spec *measures; /* owned, shallow copies of the specs */
    am_selection_spec selspec; /* the selection's, shallow, with its p */
    am_model vm;               /* the model it ran on: a shallow copy */
    am_population vpop;        /* with the scaled population (pop != 1) */
    am_demand vdemand;
    double *pop_scaled, *demand_scaled; /* owned */
    am_sites **real_sites;              /* [n_sets] owned (speed units) */
    am_sites **sites;                   /* [n_sets] shallow copies, owned */
    am_results **results;               /* [n_sets] owned */
    char (*group)[AM_PATH_MAX];         /* [n_sets] its sets' groups */
    int reused_model; /* 1: the baseline's network and snapping */
    double wall_s;
    /* with the scenario's `selection:`: the sites the unit chose, in pick
       order (owned) */
    int32_t n_chosen;
    char **chosen_id;
    double *chosen_lon, *chosen_lat;
} am_variant_unit;

/* The distribution across the units of one set: quantity 0 is the nearest
 * time in minutes (+inf: nothing within the unit's largest cutoff), 1 + m
 * measure m's value (NaN values left out); stats [n_q][5][n_cells]. */
typedef struct am_variant_dist {
    int n_q;
    double *stats;
    double *cov;        /* [n_cutoffs][5] persons within each cutoff */
    char (*qname)[128]; /* [n_q] raster names' stems */
    /* with zone layers (the equity statistics): each equity row's
       population-weighted mean of each quantity, across the units,
       [n_rows][n_q][5]; NULL: no zones */
    int32_t n_rows;
    double *zone;
    int32_t *qblock;      /* [n_q] the equity block of quantity q */
    const am_equity *beq; /* the baseline's (borrowed): its rows */
} am_variant_dist;

typedef struct am_ensemble {
    int n, n_sets, n_cutoffs; /* the baseline's cutoffs for coverage */
    const double *cutoffs_min;
    am_variant_unit *u; /* [n] */
    /* site selection: each site chosen by some unit, in order of first
       choice (unit order, then pick order), and how many units chose it */
    int32_t n_robust;
    char **robust_id; /* borrowed from the units */
    double *robust_lon, *robust_lat;
    int64_t *robust_count;
    double *robust_share;
    am_variant_dist *dist; /* [n_sets] */
} am_ensemble;

/*
 * Runs every variant of base's scenario after the baseline (base model m,
 * its sites and results [n_sets]), then their distribution. fp_scenario
 * (may be NULL) is the scenario file's fingerprint. mo: the baseline's
 * model options (threads, memory, cache). log gets one phase per unit
 * ("variant <name>") and its progress ("variant i/n <name>"). *out owned
 * by the caller (am_ensemble_destroy); NULL when the scenario has none.
 */
am_status am_ensemble_run(am_model *m, am_sites *const *sites,
                          am_results *const *results, const am_fp *fp_scenario,
                          const am_model_options *mo, am_phases *log,
                          am_ensemble **out, am_error *err);

void am_ensemble_destroy(am_ensemble *e);

/*
 * The file's description of e (docs/hdf5-layout.md, "Variants"): the
 * groups /variants (table units), /variants/<name> (the unit's
 * parameters and fingerprint), /variants/distribution and
 * /variants/distribution/<set> (table coverage), and the distribution's
 * rasters; the units' sets themselves are written as the run's, under
 * u->group. Owned storage freed by am_ensemble_desc_free (also on error).
 */
typedef struct am_ensemble_desc {
    am_rf_group *groups;
    int32_t n_groups;
    am_rf_raster *rasters;
    int32_t n_rasters;
    void **owned; /* everything the above points into */
    int n_owned, cap_owned;
} am_ensemble_desc;

am_status am_ensemble_describe(const am_ensemble *e, const am_model *m,
                               am_ensemble_desc *d, am_error *err);
void am_ensemble_desc_free(am_ensemble_desc *d);

/* Percentile p (0..100) of v[0..n-1] sorted ascending by nearest rank:
 * v[ceil(p n / 100) - 1], v[0] for p = 0; NaN for n = 0. */
double am_variant_percentile(const double *v, int n, double p);

#endif /* AM_ENGINE_VARIANTS_H */
