/*
 * selection.h: site selection in a run (issue 10; docs/scenario.md "Site
 * selection", docs/hdf5-layout.md "/selection"). Internal to engine/.
 *
 * One run step after the facility sets' results: the candidates (read from
 * a layer or generated over the populated cells), snapped as facilities
 * are (am_sites_from_set), filtered (off the network, too close to an
 * existing facility), their catchments searched once (kernels/catchment.h,
 * demand -> site) and turned into the selection instance of
 * kernels/select.h (rows per candidate, cells ascending, a cell's time the
 * smaller over its two links), solved heuristically (and exactly with GLPK
 * when asked or small), swept (kernels/sweep.h), and kept for the writer
 * and the summary.
 *
 * Ownership: an am_selection borrows the model, the existing set's sites
 * and results (they must outlive it); everything else is owned.
 */
#ifndef AM_ENGINE_SELECTION_H
#define AM_ENGINE_SELECTION_H

#include <stdint.h>

#include "engine/internal.h"
#include "kernels/select.h"
#include "kernels/select_equity.h"
#include "outputs/results_file.h"

/* exact: auto solves with GLPK up to these sizes, within the time limit */
#define AM_SELECTION_EXACT_AUTO_PAIRS 200000
#define AM_SELECTION_EXACT_AUTO_CAND 2000
#define AM_SELECTION_EXACT_NONZEROS 50000000
#define AM_SELECTION_EXACT_TIME_S 60.0
/* rows on demand: the searches' workspaces reserved in the memory plan,
   and the most threads that search rows at once, so that the cache (and
   the result) does not depend on the thread count */
#define AM_SELECTION_ROWS_WS 16
/* candidates whose catchments are searched first for the memory plan */
#define AM_SELECTION_PLAN_SAMPLE 16
/* rows on demand without a memory cap: the kernel's row cache */
#define AM_SELECTION_CACHE_DEFAULT ((uint64_t)1 << 30)

typedef struct am_selection {
    const am_selection_spec *spec; /* borrowed (the scenario's) */
    int base_set;                  /* the existing set's index */
    am_sites *cand;                /* every candidate, snapped (owned) */
    int32_t n_cand;
    /* [n_cells] the generated candidate whose square or cell holds each
       populated cell, -1 none; NULL for a layer (owned) */
    int32_t *cell_cand;
    /* the sweep's maps (selection_maps.c): raster cells (row * nx + col,
       ascending) and the kept row painted on each; [n_map] each, owned */
    int64_t n_map;
    int64_t *map_cell;
    int32_t *map_row;
    double *cost;          /* [n_cand] 1 each without cost_field */
    int64_t *excluded;     /* [n_cand] 0 kept, 1 near existing, 2 off net */
    int64_t *chosen_order; /* [n_cand] 0-based pick order, -1 not chosen */
    int32_t n_kept, n_near, n_off;
    int32_t *kept; /* [n_kept] candidate of each instance row */
    /* times, deciseconds: the catchments' depth, the model's T and P, and
       the sweep's penalty */
    uint32_t depth_ds, cover_ds, penalty_ds, sweep_penalty_ds;
    /* the instance over the kept candidates (kernels/select.h) */
    uint32_t *base_ds; /* [n_cells] nearest existing time to depth_ds */
    int64_t *row;      /* [n_kept + 1] */
    int32_t *cell;
    uint32_t *time_ds;
    am_sel_result *res;   /* the heuristic's */
    am_sel_result *exact; /* GLPK's, NULL when not run */
    int proven;           /* the exact solve's optimality proven */
    double exact_bound;   /* its bound on the optimal gain, NaN none */
    double solve_s, exact_s;
    double obj_scale;    /* 1, or 1/600 for p-median (person-minutes) */
    double *chosen_gain; /* [res->n_chosen] gain of each pick in order */
    double *chosen_cum;  /* [res->n_chosen] objective after it */
    /* the sweep, [n_kept] each (NULL when off) */
    int32_t n_sweep_cut;
    double *sweep_cut_min; /* [n_sweep_cut] the scenario's cutoffs */
    double *newly;         /* [n_kept * n_sweep_cut] */
    double *nearest_changed, *time_saved, *d_mean, *d_b10, *d_gini;
    uint8_t *no_demand;
    int sweep_measure; /* the 2SFCA-family measure used, -1: none */
    /* the memory plan: sampled entries per candidate and the bytes */
    double plan_pairs_per_cand;
    uint64_t plan_bytes;
    int64_t pairs; /* the instance's (cell, candidate) pairs */
    /* rows on demand (engine/selection_rows.h): 1 when the instance is
       not held; the kernel's cache, the rows it kept, the rows computed
       (solve and sweep) */
    int on_demand;
    uint64_t cache_bytes;
    int rows_ws; /* rows on demand: the most threads searching rows */
    int32_t n_short;
    int64_t rows_computed;
    char label[256];
    /* the scenario: the existing set with the chosen sites added, its
       results as the set's own (written under /scenarios/<name>/results/
       <set>/); NULL until computed */
    am_sites *scen_sites;
    am_results *scen_res;
    char scen_group[160]; /* "/scenarios/<name>/results/<set>" */
    /* the equity models (maxmin, bottom_decile, variance): the kernel's
       result (res then holds the same choice and steps, for the common
       tables), the 2SFCA measure they optimise */
    am_seleq_result *eq;
    int eq_measure;
} am_selection;

/*
 * Runs the scenario's selection (m->s->selection, which must be set) on
 * the existing set's sites and results (sites[k], results[k] of the
 * run's sets, k the set named by selection.facilities). Phases
 * "candidates", "candidate catchments", "selection", "sweep" on log.
 * Errors name the scenario line for p, budget and candidates;
 * AM_ERR_NOMEM when the candidates' catchments would pass the memory cap.
 */
/*
 * selection_maps.c (issue 10): candidates at road nodes of the scenario's
 * classes (docs/scenario.md, "Site selection"): the roads read once more
 * (inputs/road_nodes.h), nodes outside the population raster dropped, at
 * most one per square of spacing_m (the run's local frame, squares as the
 * grid's), in squares holding at least min_population persons when it is
 * > 0. lon/lat: the populated cells' centres ([n_cells], borrowed);
 * cell_cand [n_cells], -1 filled: set to the candidate of the square of
 * each populated cell. Errors at the candidates' scenario line.
 */
am_status am_selection_road_nodes(const am_model *m, const double *lon,
                                  const double *lat, am_facility_set **out,
                                  int32_t *cell_cand, am_error *err);

/*
 * selection_maps.c: where the sweep's map layers paint each kept
 * candidate (x->map_cell, x->map_row; docs/hdf5-layout.md): grid and road
 * nodes the populated cells of their square, populated_cells their cell,
 * layer points the cell holding them (road nodes too when their square
 * has no populated cell); a cell claimed twice goes to the lower
 * candidate row. Needs x->kept. AM_ERR_NOMEM.
 */
am_status am_selection_map_cells(const am_model *m, am_selection *x,
                                 am_error *err);

am_status am_selection_run(const am_model *m, am_sites *const *sites,
                           am_results *const *results, am_phases *log,
                           am_selection **out, am_error *err);

void am_selection_destroy(am_selection *x); /* accepts NULL */

/* The writer's description of x (docs/hdf5-layout.md, "/selection"):
 * d->sel, with the storage it points into (borrowing x and its sites,
 * which must outlive d). AM_ERR_NOMEM. */
typedef struct am_selection_desc {
    am_rf_selection sel;
    am_rf_attr attrs[40];
    am_rf_table tables[4];
    am_rf_column *cols;
    void **block; /* owned blocks the columns point into */
    int n_blocks;
    char **names; /* the sweep's newly_within_<T>min column names */
    int n_names;
    char **id_chosen, **id_sweep; /* borrowed strings, owned arrays */
    /* the maps (selection_maps.c), owned: the layers, the candidate row
       per kept row, the newly_within values per cutoff and their names */
    am_rf_sel_map *maps;
    int64_t *map_cand;
    double *map_newly;
    char **map_names;
    int n_map_names;
} am_selection_desc;

/* selection_maps.c: d->sel's maps (none without the sweep): candidate
 * (int32), newly_within_<T>min per cutoff, nearest_changed,
 * time_saved_min and, with a 2SFCA measure, d_mean, d_bottom10, d_gini.
 * Storage in d (am_selection_desc_free). AM_ERR_NOMEM. */
am_status am_selection_describe_maps(const am_selection *x, const am_model *m,
                                     am_selection_desc *d, am_error *err);

am_status am_selection_describe(const am_selection *x, const am_model *m,
                                const am_results *base_res,
                                am_selection_desc *d, am_error *err);
void am_selection_desc_free(am_selection_desc *d); /* accepts NULL */

/* The run summary's part (accessim.h), *out owned by the summary (freed
 * by am_run_summary_destroy, also after a failure here). AM_ERR_NOMEM. */
am_status am_selection_summarize(const am_selection *x,
                                 am_selection_summary **out, am_error *err);

#endif /* AM_ENGINE_SELECTION_H */
