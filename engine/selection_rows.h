/*
 * selection_rows.h: the candidates' rows on demand (issue 10;
 * docs/selection.md, "Rows on demand"). Internal to engine/.
 *
 * When the instance of every kept candidate's (cell, time) pairs does not
 * fit the memory cap (or selection.catchments: on_demand), a row is
 * computed when the kernel asks for it (kernels/select_rows.h): the
 * candidate's catchment searched on the reverse graph from its two
 * snapped links to the depth (kernels/search.h, one workspace a thread),
 * each reached demand node's links turned into (cell, offset + t) pairs
 * and the smallest time kept per cell, exactly as engine/selection.c's
 * instance_rows does from the catchments (the same row, byte for byte).
 */
#ifndef AM_ENGINE_SELECTION_ROWS_H
#define AM_ENGINE_SELECTION_ROWS_H

#include <stdint.h>

#include "engine/selection.h"
#include "kernels/select_rows.h"
#include "kernels/sweep.h"

typedef struct am_selection_rows_src am_selection_rows_src;

/* A provider over x's kept candidates (rows = x->kept's order) with
 * n_ws workspaces; borrows m and x. AM_ERR_NOMEM. */
am_status am_selection_rows_create(const am_model *m, const am_selection *x,
                                   int n_ws, am_selection_rows_src **out,
                                   am_error *err);
void am_selection_rows_destroy(am_selection_rows_src *p); /* accepts NULL */
/* The workspaces p was created with (the most threads that search rows). */
int am_selection_rows_workspaces(const am_selection_rows_src *p);

/* The am_sel_row_fn of the provider (user: an am_selection_rows_src). */
int64_t am_selection_row(void *user, int32_t r, int ws, const int32_t **cell,
                         const uint32_t **time_ds);

/* The bytes of one workspace (the search's per-node state and a row's
 * buffers), for the memory plan. */
uint64_t am_selection_rows_ws_bytes(const am_model *m, double pairs_per_row);

/*
 * The rows of the n candidates rows[0..n) (kept indices) as a CSR
 * (*row [n + 1], *cell, *time owned), computed in parallel.
 */
am_status am_selection_rows_csr(am_selection_rows_src *p, const int32_t *rows,
                                int32_t n, int threads, int64_t **row,
                                int32_t **cell, uint32_t **time, am_error *err);

/*
 * am_sweep_run over every kept candidate in chunks of chunk candidates
 * (fixed order; each row computed once, used and dropped): the same
 * outputs as one call over the whole instance. in: the instance's cells
 * (weight, base_ds; its rows unused).
 */
am_status am_selection_sweep_chunks(am_selection_rows_src *p,
                                    const am_sel_instance *in,
                                    const am_sweep_params *prm, int32_t chunk,
                                    const am_sweep_row *out, am_error *err);

#endif /* AM_ENGINE_SELECTION_ROWS_H */
