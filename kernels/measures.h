/*
 * measures.h: accessibility measures computed from catchments and demand.
 *
 * Two-step floating catchment area, 2SFCA (Luo & Wang 2003, "Measures of
 * spatial accessibility to health care in a GIS environment", Environment
 * and Planning B 30(6):865-884), threshold d0 inclusive:
 *     D_j = sum_{k : t_kj <= d0} P_k             (demand in j's catchment)
 *     R_j = S_j / D_j,  and R_j = 0 when D_j = 0 (no one to serve)
 *     A_i = sum_{j : t_ij <= d0} R_j
 * A cell that reaches no facility within d0, or is off the network, has
 * A_i = 0. Identity (tested): sum_i P_i A_i = sum_{j : D_j > 0} S_j.
 *
 * A cell's time to a facility is the smaller over its links (demand.h).
 *
 * Nearest facility: the smallest t_ij over the catchments (times beyond
 * the catchments' limit are unknown and reported as AM_TIME_INF, with
 * facility -1); ties go to the lowest facility index.
 *
 * Coverage: population whose nearest time is <= each cutoff (inclusive).
 *
 * The am_fca_params struct names the measure, so later members of the FCA
 * family (E2SFCA, KD2SFCA, 3SFCA, BFCA, gravity) extend it without changing
 * callers. All functions write only into caller-allocated outputs and are
 * byte-identical for any thread count: every sum runs in a fixed order
 * (catchment order for D_j, facility order for A_i).
 */
#ifndef AM_MEASURES_H
#define AM_MEASURES_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "kernels/catchment.h"
#include "kernels/demand.h"

typedef enum am_measure_kind { AM_MEASURE_2SFCA = 1 } am_measure_kind;

typedef struct am_fca_params {
    am_measure_kind kind;
    uint32_t threshold_ds; /* d0; must be <= the catchments' limit_ds */
} am_fca_params;

/*
 * fac_rows: facility catchments (rows = facilities, cols = nodes).
 * Step 1 runs per facility (catchment order), step 2 per cell, from node
 * rows (node -> facilities ascending) built from fac_rows; see
 * measures.c. Scratch: am_fca_scratch_bytes.
 * supply: [n_fac] S_j (finite, >= 0).
 * Outputs (caller-allocated): fac_demand [n_fac] D_j, fac_ratio [n_fac] R_j,
 * cell_access [n_cells] A_i. AM_ERR_INVALID if d0 exceeds the catchment
 * limit or sizes disagree. A cell with two links (demand.h) counts once
 * per facility, at its faster link. Allocates its scratch
 * (am_fca_scratch_bytes; AM_ERR_NOMEM).
 */
am_status am_fca_run(const am_fca_params *p, const am_catchments *fac_rows,
                     const am_demand *d, const double *supply, int n_threads,
                     double *fac_demand, double *fac_ratio, double *cell_access,
                     am_error *err);

/*
 * The most scratch memory am_fca_run holds for n_fac facilities, n_nodes
 * nodes, n_links present cell links (d->first[n_nodes]), n_threads and
 * threshold d0, when `entries` catchment entries are within d0: 20 bytes
 * per link, 2 (4 when d0 >= 65535) per node and thread, 8 per node, and
 * 5 per entry (9 when the facility index and d0 need more than 32 bits
 * together; the node rows' key and their split table), 8 per facility and
 * 8 per decisecond of d0 (the step's weight table). No allocation.
 */
size_t am_fca_scratch_bytes(int32_t n_fac, int32_t n_nodes, int64_t n_links,
                            int n_threads, uint32_t d0, int64_t entries);

/*
 * Nearest facility per cell, from the transposed catchments (rows = nodes,
 * cols = facilities). The engine uses the multi-source search of nearest.h
 * instead; this is its oracle in the tests. Outputs (caller-allocated,
 * [n_cells]):
 * time_ds (AM_TIME_INF if none within the limit), facility (-1 if none).
 */
am_status am_nearest_run(const am_catchments *node_rows, const am_demand *d,
                         int n_threads, uint32_t *time_ds, int32_t *facility,
                         am_error *err);

/*
 * pop_within[c] = population of cells with nearest_ds <= cutoff_ds[c].
 * Summed in cell order. No allocation. AM_ERR_INVALID (nothing written)
 * for NULL arguments or n_cutoffs < 0.
 */
am_status am_coverage_run(const am_demand *d, const uint32_t *nearest_ds,
                          int32_t n_cutoffs, const uint32_t *cutoff_ds,
                          double *pop_within, am_error *err);

/*
 * Weighted summary of values[i] with weights w[i] >= 0 (population):
 * mean = sum w v / sum w (summed in index order), median = the smallest v
 * whose cumulative weight reaches half the total (lower weighted median;
 * cumulative and total weights summed in (v, i) order). Entries with
 * w == 0 or a NaN value are skipped. Both NaN if total weight is 0. Sorts
 * with a parallel stable radix sort on n_threads (<= 0: OpenMP's default);
 * the result is the same for any thread count. Allocates 24 bytes per
 * entry: AM_ERR_NOMEM.
 */
am_status am_weighted_summary(int32_t n, const double *values, const double *w,
                              int n_threads, double *mean, double *median);

#endif /* AM_MEASURES_H */
