/*
 * accessim.h: the accessim library API, the one header a program needs.
 *
 *     am_scenario *s;  am_run_summary *sum;  am_error err;
 *     am_scenario_read_file("comoros.yaml", &s, &err);
 *     am_run_options opt = am_run_options_default();
 *     am_run(s, &opt, &sum, &err);       // load -> build -> compute -> write
 *     am_run_summary_write(sum, stdout);
 *     am_run_summary_destroy(sum);  am_scenario_destroy(s);
 *
 * am_run never prints; it reports progress through opt.progress (the
 * message names the phase) and fails with an am_status and a filled
 * am_error. The output file appears (atomically, by rename) only when the
 * whole run succeeded.
 */
#ifndef ACCESSIM_H
#define ACCESSIM_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/progress.h"
#include "common/warning.h"
#include "common/version.h"
#include "engine/scenario.h"
#include "engine/scenario_file.h"

#define AM_MAX_PHASES 16

typedef struct am_run_options {
    const char *output_path; /* NULL: the scenario's */
    int threads;             /* > 0 overrides the scenario's */
    am_progress_fn progress; /* may be NULL; message = phase label */
    void *progress_user;
    const char *command_line; /* recorded in the output; may be NULL */
    am_warning_fn warning;    /* may be NULL; one call per warning, as found */
    void *warning_user;
    /* Memory cap in bytes: the run refuses to start when its estimate is
       above it. 0: 80 % of the smaller of physical memory and the cgroup
       limit (AM_DEFAULT_MEMORY_SHARE_PCT). */
    uint64_t max_memory;
} am_run_options;

#define AM_DEFAULT_MEMORY_SHARE_PCT 80

/*
 * Parses a size for max_memory: decimal digits with an optional fraction
 * and an optional binary unit K, M, G or T (x1024 each; "KB", "KiB" and a
 * bare "B" accepted too), e.g. "8G", "500M", "1.5G", "1048576". Returns 1
 * and sets *out (> 0) on success, 0 on anything else (zero, signs, hex,
 * exponents, spaces, other units).
 */
int am_parse_size(const char *s, uint64_t *out);

am_run_options am_run_options_default(void);

/* Time and memory of one phase of a run. */
typedef struct am_phase_stat {
    char name[32];
    double wall_s;
    double peak_rss_mib; /* process high-water mark at the end of the phase */
} am_phase_stat;

/* One facility set's results. */
typedef struct am_set_summary {
    char *name;
    int32_t n_facilities; /* loaded (after the filter) */
    int32_t n_on_network; /* within the snap distance of a road */
    double capacity_total;
    double pop_within[AM_MAX_CUTOFFS]; /* per scenario cutoff, inclusive */
    double *access_mean;               /* [n_measures] population-weighted */
    double *access_median;             /* [n_measures] population-weighted */
} am_set_summary;

typedef struct am_run_summary {
    char *scenario_name;
    char *output_path;
    int threads;
    /* network */
    int64_t road_features;
    int64_t road_routable;
    double road_km;
    int32_t nodes;
    int64_t arcs;
    /* population */
    double pop_total; /* finite positive cells, summed */
    int64_t pop_cells;
    int64_t pop_negative_cells;  /* refused */
    int64_t pop_nonfinite_cells; /* refused */
    double pop_off_network;      /* beyond the snap distance */
    /* refused: more people than the cell's area can hold */
    int64_t pop_implausible_cells;
    int64_t cells_off_network;
    /* cutoffs and sets */
    int n_cutoffs;
    double cutoffs_min[AM_MAX_CUTOFFS];
    int n_sets;
    am_set_summary *sets;
    char **measure_names; /* [n_measures], same for every set */
    int n_measures;
    /* resources */
    am_phase_stat phases[AM_MAX_PHASES];
    int n_phases;
    double wall_s;
    double peak_rss_mib;
    uint64_t memory_estimate; /* bytes, checked against memory_cap */
    uint64_t memory_cap;      /* bytes */
    /* warnings, in the order found (also passed to opt->warning) */
    size_t n_warnings;
    char **warnings; /* [n_warnings] */
} am_run_summary;

/*
 * Runs scenario s. On success writes the output file and, if summary is
 * not NULL, a summary owned by the caller. Errors name the input.
 */
am_status am_run(const am_scenario *s, const am_run_options *opt,
                 am_run_summary **summary, am_error *err);

/* Accepts NULL. */
void am_run_summary_destroy(am_run_summary *r);

/* The end-of-run report, as text, to f (the CLI passes stdout). */
void am_run_summary_write(const am_run_summary *r, FILE *f);

#endif /* ACCESSIM_H */
