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

/* The same with threads OpenMP threads (0: OpenMP's default): the same
 * bytes for every thread count. With more than one thread it allocates
 * 20 bytes per entry of scratch besides am_csr_group's. */
am_status am_csr_transpose_threads(int32_t n_rows, int32_t n_cols,
                                   const int64_t *first, const int32_t *col,
                                   const void *val, size_t val_size,
                                   int threads, int64_t *t_first,
                                   int32_t *t_col, void *t_val);

/*
 * Groups the items 0..m-1 by key[i] (each in 0..n-1; not checked): on
 * return first[n + 1] (caller's) holds the group offsets and perm[m]
 * (caller's) the item ids, key ascending and, within a key, id ascending
 * (a stable counting sort). threads: 0 = OpenMP's default; the result is
 * the same for every thread count (csr.c says how). With one thread it
 * allocates nothing; with more, 8 bytes per item and 8 per key per thread
 * of scratch. AM_OK or AM_ERR_NOMEM (outputs then undefined).
 */
am_status am_csr_group(int32_t n, int64_t m, const int32_t *key, int threads,
                       int64_t *first, int64_t *perm);

/* The threads a CSR pass over `items` items uses when asked for
 * `requested` (0: OpenMP's default): fewer for small inputs. >= 1. */
int am_csr_threads(int requested, int64_t items);

#endif /* AM_CSR_H */
