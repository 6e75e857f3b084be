/*
 * csr.h: operations shared by every compressed-sparse-row structure in
 * kernels/ (the road graph, catchments). Internal to kernels/.
 */
#ifndef AM_CSR_H
#define AM_CSR_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/*
 * Transposes an n_rows x n_cols CSR matrix (first[n_rows + 1], col[],
 * val[] of val_size-byte values: 2 or 4) into t_first[n_cols + 1], t_col[],
 * t_val[] (caller-allocated, first[n_rows] entries each), by count /
 * prefix-sum / scatter. Within a transposed row entries are ascending by
 * original row, so the result is unique and deterministic.
 * O(n_rows + n_cols + nnz); allocates one scratch array of n_cols. AM_OK,
 * AM_ERR_INVALID (another val_size) or AM_ERR_NOMEM (outputs then
 * undefined).
 */
am_status am_csr_transpose(int32_t n_rows, int32_t n_cols, const int64_t *first,
                           const int32_t *col, const void *val, size_t val_size,
                           int64_t *t_first, int32_t *t_col, void *t_val);

#endif /* AM_CSR_H */
