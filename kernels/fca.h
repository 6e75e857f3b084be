/*
 * fca.h: the floating catchment area family and the other measures of
 * issue 9, from the sparse catchments (people travelling to facilities).
 *
 * Status: API fixed first so that the engine, the matrix input and the
 * kernels can be written in parallel; kernels/fca.c implements it.
 *
 * Everything is built from two sums over the cell-facility pairs within
 * reach, t_ij being cell i's time to facility j (the smaller over its two
 * links, demand.h) and w a weight table indexed by whole deciseconds
 * (decay.h; w[t] = 0 means "not within reach"):
 *     colsum: C_j = sum_i c_i w[t_ij]   (per facility, over cells)
 *     rowsum: R_i = sum_j v_j w[t_ij]   (per cell, over facilities)
 * Every measure of the registry is a fixed composition of these (fca.c
 * header: the formulas with their papers). Each sum runs in one fixed
 * order (cells in catchment order for colsum, facilities ascending for
 * rowsum, link 0's partial then link 1's) and is written by one task, so
 * results are byte-identical for any thread count.
 *
 * Orientation: the catchments are times from cells to facilities (the
 * facility's search runs on the reverse graph), so every measure here is
 * demand -> facility.
 */
#ifndef AM_FCA_H
#define AM_FCA_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "kernels/catchment.h"
#include "kernels/demand.h"

/*
 * The pairs of one facility set: facility rows (borrowed: they must
 * outlive the pairs) and, built once, the node rows rowsum reads (node ->
 * facilities ascending with their times), for every pair with
 * t_ij <= limit_ds. limit_ds <= the catchments' limit. Allocates (see
 * am_fca_pairs_bytes): AM_ERR_NOMEM, AM_ERR_INVALID (sizes disagree,
 * limit above the catchments').
 */
typedef struct am_fca_pairs am_fca_pairs;

am_status am_fca_pairs_build(const am_catchments *fac_rows, const am_demand *d,
                             uint32_t limit_ds, int n_threads,
                             am_fca_pairs **out, am_error *err);
void am_fca_pairs_free(am_fca_pairs *p); /* accepts NULL */

/* The most memory am_fca_pairs_build and the sums hold (no allocation),
 * with am_fca_measure_run's per-facility and per-table-entry scratch;
 * am_fca_measure_run also holds 16 bytes a cell (24 when cell_value is
 * NULL), am_fca_nth_nearest 4 n bytes a thread. */
size_t am_fca_pairs_bytes(int32_t n_fac, int32_t n_nodes, int64_t n_links,
                          int n_threads, uint32_t limit_ds, int64_t entries);

/*
 * out[j] = sum over cells i of cell_w[i] * w[t_ij] (cell_w NULL: the
 * cells' population), for t_ij <= limit_ds; w has limit_ds + 1 entries,
 * finite and >= 0. A cell counts once per facility, at its faster link.
 */
am_status am_fca_colsum(const am_fca_pairs *p, const double *cell_w,
                        const double *w, int n_threads, double *out,
                        am_error *err);

/*
 * out[i] = sum over facilities j of v[j] * w[t_ij] (v NULL: 1 each), for
 * t_ij <= limit_ds; facilities with v[j] == 0 add nothing. Off-network
 * cells get 0.
 */
am_status am_fca_rowsum(const am_fca_pairs *p, const double *v, const double *w,
                        int n_threads, double *out, am_error *err);

/*
 * Time to the n-th nearest facility (n >= 1) per cell, within limit_ds:
 * AM_TIME_INF when fewer than n facilities are within reach. Ties count
 * as distinct facilities (the n-th smallest of the multiset of times).
 */
am_status am_fca_nth_nearest(const am_fca_pairs *p, int n, int n_threads,
                             uint32_t *time_ds, am_error *err);

/* The methods (registry: engine/measure_registry.c names them). */
typedef enum am_fca_method {
    AM_FCA_2SFCA = 1, /* generalised 2SFCA; E2SFCA and KD2SFCA are its
                         zones and Dai decays */
    AM_FCA_3SFCA,     /* Wan, Zou & Sternberg 2012 */
    AM_FCA_M2SFCA,    /* Delamater 2013 */
    AM_FCA_BFCA,      /* Paez, Higgins & Vivona 2019 */
    AM_FCA_SPAV,      /* spatial availability, Soukhov et al. 2023 */
    AM_FCA_GRAVITY,   /* sum_j S_j w[t_ij]; cumulative = step decay */
    AM_FCA_NTH_NEAREST,
    /* issue 9, capacity-aware coverage: not a method of am_fca_measure_run
       (which refuses it) but of kernels/allocation.h */
    AM_FCA_ALLOCATION
} am_fca_method;

typedef struct am_fca_measure {
    am_fca_method method;
    const double *w;   /* decay table [limit_ds + 1] (decay.h) */
    uint32_t limit_ds; /* <= the pairs' limit */
    double alpha;      /* SPAV's population exponent (default 1) */
    int nth;           /* NTH_NEAREST: n >= 1 */
} am_fca_measure;

/*
 * Outputs, caller-allocated (NULL where not wanted):
 *  cell_value [n_cells]: the measure (access, availability, opportunities,
 *      or the n-th nearest time in minutes); 0 for a cell that reaches no
 *      facility (flag AM_FCA_CELL_NONE) and for off-network cells
 *      (AM_FCA_CELL_OFF); n-th nearest: +inf when not reached (NONE when
 *      fewer than n facilities are within limit_ds). SPAV: V_i, the
 *      supply available to the cell (per person V_i / P_i is the
 *      caller's division).
 *  cell_flag [n_cells]: AM_FCA_CELL_* per cell.
 *  fac_demand [n_fac], fac_ratio [n_fac]: the facility's weighted demand
 *      and supply-to-demand ratio where the method has them; the ratio is
 *      NaN (undefined) for a facility with no demand in reach, which is
 *      then excluded from every cell's sum and counted in n_fac_no_demand.
 *      SPAV: C_j = sum_i P_i^alpha W_ij and S_j / C_j; GRAVITY and
 *      NTH_NEAREST have neither (NaN written).
 */
enum {
    AM_FCA_CELL_OK = 0,
    AM_FCA_CELL_NONE = 1, /* on the network, no facility within reach */
    AM_FCA_CELL_OFF = 2   /* off the network (no links) */
};

typedef struct am_fca_out {
    double *cell_value;
    uint8_t *cell_flag;
    double *fac_demand;
    double *fac_ratio;
    int32_t n_fac_no_demand;
    int32_t n_cells_none; /* on the network, nothing within reach */
} am_fca_out;

/* supply: [n_fac] S_j, finite and >= 0. */
am_status am_fca_measure_run(const am_fca_measure *m, const am_fca_pairs *p,
                             const double *supply, int n_threads,
                             am_fca_out *out, am_error *err);

/* ---- issue 9, capacity-aware coverage (kernels/allocation.c) ---------- */

/* The pairs' limit (deciseconds), facility count and cell count. */
uint32_t am_fca_pairs_limit(const am_fca_pairs *p);
int32_t am_fca_pairs_n_fac(const am_fca_pairs *p);
const am_demand *am_fca_pairs_demand(const am_fca_pairs *p);

/*
 * Cell i's facilities within L (<= the pairs' limit), each once at the
 * cell's best link (as rowsum counts it): writes up to the pairs' facility
 * count of (fac[k], t[k]) in ascending fac and returns how many (0 for an
 * off-network cell).
 */
int32_t am_fca_cell_facilities(const am_fca_pairs *p, int32_t i, uint32_t L,
                               int32_t *fac, uint32_t *t);

#endif /* AM_FCA_H */
