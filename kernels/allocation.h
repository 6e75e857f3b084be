/*
 * allocation.h: capacity-aware coverage independent of the facilities'
 * order (issue 9): every cell's population split into served, within reach
 * but beyond capacity, and not within reach, per cell and per facility.
 * docs/coverage.md gives the method with its formulas; kernels/allocation.c
 * its header.
 *
 * Works from the cell-facility pairs of one set (kernels/fca.h), demand ->
 * facility. Results are byte-identical for any thread count and, per cell,
 * for any order of the facility rows (per facility: permuted with them).
 */
#ifndef AM_ALLOCATION_H
#define AM_ALLOCATION_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "kernels/fca.h"

typedef enum am_alloc_method {
    AM_ALLOC_PROPORTIONAL = 1, /* one pass, balanced FCA shares */
    AM_ALLOC_FIXED_POINT       /* capacity-constrained shares, iterated */
} am_alloc_method;

/* The fixed point's defaults (docs/coverage.md). */
#define AM_ALLOC_TOLERANCE 1e-9
#define AM_ALLOC_MAX_ITERATIONS 1000

typedef struct am_alloc_params {
    am_alloc_method method;
    const double *w;             /* decay table [limit_ds + 1] (decay.h) */
    uint32_t limit_ds;           /* <= the pairs' limit */
    double persons_per_capacity; /* k > 0: persons one unit of S_j serves */
    double tolerance;            /* fixed point: > 0; 0: AM_ALLOC_TOLERANCE */
    int max_iterations;          /* fixed point: >= 1; 0: the default */
} am_alloc_params;

/*
 * Outputs, caller-allocated (NULL where not wanted), over the pairs' cells
 * and facilities:
 *  share [n_cells]: served_i / P_i in [0, 1]; 0 for a cell with nothing
 *      within reach (flag AM_FCA_CELL_NONE), off the network
 *      (AM_FCA_CELL_OFF) or without population.
 *  flag [n_cells]: AM_FCA_CELL_* (reach: some f(t_ij) > 0).
 *  served, beyond, none [n_cells]: persons served, within reach but beyond
 *      capacity, not within reach (P_i for a NONE cell); all 0 for an
 *      off-network cell (counted in total_off instead).
 *  fac_demand [n_fac]: D_j, the demand allocated to facility j;
 *  fac_served: min(D_j, k S_j); fac_excess: max(0, D_j - k S_j);
 *  fac_util: fac_served / (k S_j), NaN when S_j = 0;
 *  fac_attract: g_j at the end (1 everywhere for proportional).
 */
typedef struct am_alloc_out {
    double *share;
    uint8_t *flag;
    double *served, *beyond, *none;
    double *fac_demand, *fac_served, *fac_excess, *fac_util, *fac_attract;
    /* totals over the cells, in cell order (persons) */
    double total_served, total_beyond, total_none, total_off;
    /* the identity sum_j D_j = pop_takeable (allocation.c, Scaling):
       total_demand, in facility order; pop_takeable, in cell order, the
       population of the cells within reach of a facility that may take
       people (proportional: any; fixed_point: k S_j > 0) */
    double total_demand, pop_takeable;
    int32_t n_cells_none;    /* on the network, nothing within reach */
    int32_t n_fac_no_demand; /* D_j = 0 */
    int iterations;          /* rounds run (0: proportional) */
    double residual;         /* the last round's max relative change of g */
    int converged;           /* 1: residual < tolerance (proportional: 1) */
} am_alloc_out;

/* supply: [n_fac] S_j, finite and >= 0. AM_ERR_INVALID (bad arguments),
 * AM_ERR_NOMEM. */
am_status am_alloc_run(const am_alloc_params *a, const am_fca_pairs *p,
                       const double *supply, int n_threads, am_alloc_out *out,
                       am_error *err);

#endif /* AM_ALLOCATION_H */
