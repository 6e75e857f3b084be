/*
 * csr.c: CSR transpose by counting sort (see csr.h): the reverse road graph
 * and the node -> facility view of catchments are both this operation.
 */
#include "kernels/csr.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

am_status am_csr_transpose(int32_t n_rows, int32_t n_cols, const int64_t *first,
                           const int32_t *col, const void *val, size_t val_size,
                           int64_t *t_first, int32_t *t_col, void *t_val)
{
    if (val_size != sizeof(uint16_t) && val_size != sizeof(uint32_t))
        return AM_ERR_INVALID;
    int64_t *cursor = am_alloc_array((size_t)n_cols, sizeof *cursor);
    if (cursor == NULL)
        return AM_ERR_NOMEM;
    const int64_t nnz = first[n_rows];
    memset(t_first, 0, (size_t)(n_cols + 1) * sizeof *t_first);
    for (int64_t e = 0; e < nnz; e++)
        t_first[col[e] + 1]++;
    for (int32_t v = 0; v < n_cols; v++)
        t_first[v + 1] += t_first[v];
    if (n_cols > 0)
        memcpy(cursor, t_first, (size_t)n_cols * sizeof *cursor);
    for (int32_t r = 0; r < n_rows; r++) {
        for (int64_t e = first[r]; e < first[r + 1]; e++) {
            const int64_t pos = cursor[col[e]]++;
            t_col[pos] = r;
            if (val_size == sizeof(uint16_t))
                ((uint16_t *)t_val)[pos] = ((const uint16_t *)val)[e];
            else
                ((uint32_t *)t_val)[pos] = ((const uint32_t *)val)[e];
        }
    }
    am_free(cursor);
    return AM_OK;
}
