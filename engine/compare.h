/*
 * compare.h: `accessim compare A.h5[:scenario] B.h5[:scenario]` (issue
 * 10, "Scenario comparison"): what changes from the results A to the
 * results B, per facility set, as one long table, a difference raster per
 * common raster, printed and written (docs/hdf5-layout.md, "The
 * comparison file").
 *
 * A scenario is a group holding results/<set>/...: "baseline" (or none)
 * is the file's root, any other name /scenarios/<name>/. Checked before
 * anything is computed: both files are results files, the grids match
 * (size and geotransform) and so do the CRSs (PROJ equivalence), the
 * chosen sets exist in both; a population raster that differs is a
 * warning (the changes then mix demand and access).
 *
 * Figures per common set (rows of am_compare_row):
 *  - coverage, for each cutoff of the union of both coverage tables:
 *    population within the cutoff in A and in B (A's and B's population),
 *    `gaining` (cells populated in both, within the cutoff in B and not in
 *    A, B's population) and `losing` (within in A and not in B, A's
 *    population);
 *  - overall statistics of nearest_time_min (over people who reach a
 *    facility) and of every common measure raster, recomputed with
 *    kernels/equity.h on each side's population: mean, median, p10
 *    (bottom decile), p90, Gini, Palma, Theil; and the population (B's,
 *    cells valid in both) whose value rose / fell;
 *  - per zone, where both sides have equity/<layer> tables: every numeric
 *    column, zones matched by `id`.
 *
 * The library never prints; warnings go to opt->warning. Allocates the
 * result; not thread-safe (HDF5), the statistics use opt->threads.
 */
#ifndef AM_COMPARE_H
#define AM_COMPARE_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

typedef struct am_compare_options {
    const char *a_path, *b_path;         /* results files (borrowed) */
    const char *a_scenario, *b_scenario; /* NULL or "baseline": the root */
    int32_t n_sets;                      /* 0: every set both have */
    const char *const *sets;             /* [n_sets] names (borrowed) */
    const char *output_path; /* the comparison file (.h5), NULL: none */
    const char *csv_path;    /* the table as CSV, NULL: none */
    int threads;             /* <= 0: OpenMP's default */
    am_warning_fn warning;   /* may be NULL */
    void *warning_user;
} am_compare_options;

/* One figure. Text owned by the result. */
typedef struct am_compare_row {
    char *set;         /* facility set */
    char *table;       /* "coverage", "overall" or a zone layer's name */
    char *zone;        /* the zone's id in a zone layer's table, else "" */
    char *variable;    /* "nearest_time_min", a measure, a table column */
    char *statistic;   /* "within", "gaining", "losing", "mean", ... */
    double cutoff_min; /* coverage rows; NaN else */
    double a, b;       /* NaN where the figure is a change only */
    double change;     /* b - a, or the change counted (gaining, ...) */
    char *units;       /* of a, b and change: "persons", "minutes", ... */
} am_compare_row;

typedef struct am_compare_result {
    char *a_label, *b_label; /* "file.h5 (baseline)", "file.h5:name" */
    int32_t n_sets;
    char **sets; /* the sets compared, in A's order */
    int64_t n_rows;
    am_compare_row *rows;
    int64_t population_cells_differing; /* 0: the same population */
    int32_t rasters_written;            /* difference rasters in the output */
    char *output_path;                  /* as given, or NULL */
    char *csv_path;
} am_compare_result;

/*
 * Splits "file.h5:scenario" into the file and the scenario: the whole
 * argument when it names an existing file (a path may hold ':'), else
 * split at the last ':'. *file and *scenario owned (am_free); *scenario
 * NULL when none.
 */
am_status am_compare_split_arg(const char *arg, char **file, char **scenario,
                               am_error *err);

/*
 * Compares (see above) and writes opt->output_path and opt->csv_path
 * (each atomically: temporary name, then rename). *out owned
 * (am_compare_result_destroy). AM_ERR_FORMAT / AM_ERR_IO naming the file
 * that is not a results file or cannot be read; AM_ERR_INVALID for
 * incompatible inputs (grid, CRS, missing scenario or set); AM_ERR_NOMEM.
 */
am_status am_compare(const am_compare_options *opt, am_compare_result **out,
                     am_error *err);

/* The printed report: one aligned table per set, with units. */
void am_compare_result_write(const am_compare_result *r, FILE *f);

void am_compare_result_destroy(am_compare_result *r);

#endif /* AM_COMPARE_H */
