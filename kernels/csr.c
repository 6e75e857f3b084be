/*
 * csr.c: CSR transpose and grouping by counting sort (see csr.h): the
 * road graph, its reverse, the contraction's arc indexes and the node ->
 * facility view of catchments are all this operation.
 *
 * Serial: count, prefix-sum, scatter in input order (stable).
 * Parallel (am_csr_group with more than one thread): the two-level form of
 * the parallel counting sort (the most-significant-digit radix sort of
 * the GAP benchmark suite's builder and of SuiteSparse's transposes):
 *  1. every thread counts the keys of its fixed block of items per bucket
 *     of keys (a bucket is a range of consecutive keys, 64 buckets per
 *     thread for balance);
 *  2. a prefix sum, bucket-major then block-minor, gives every block its
 *     place in every bucket, and the blocks scatter their item ids there:
 *     within a bucket, ids stay ascending;
 *  3. every bucket is then grouped by key on its own (a counting sort over
 *     its key range with a per-thread counter array made before the
 *     parallel region), again in ascending id order.
 * So the items of one key end up in ascending id order whatever the
 * number of threads: the result is unique, the same bytes as the serial
 * sort. No atomics, no allocation inside the parallel regions.
 */
#include "kernels/csr.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "kernels/parallel.h"

/* below this many items per thread, fewer threads */
#define CSR_MIN_PER_THREAD 65536
/* buckets of keys per thread */
#define CSR_BUCKETS_PER_THREAD 64

int am_csr_threads(int requested, int64_t items)
{
    int nt = am_parallel_threads(requested);
    const int64_t most = items / CSR_MIN_PER_THREAD;
    if ((int64_t)nt > most)
        nt = (int)most;
    return nt < 1 ? 1 : nt;
}

/* The bucket of key v among nbk buckets over [0, n). */
static int bucket_of(int32_t v, int32_t n, int nbk)
{
    return (int)((int64_t)v * nbk / n);
}

/* The first key of bucket q (ceil(q * n / nbk)). */
static int32_t bucket_start(int q, int32_t n, int nbk)
{
    return (int32_t)(((int64_t)q * n + nbk - 1) / nbk);
}

am_status am_csr_group(int32_t n, int64_t m, const int32_t *key, int threads,
                       int64_t *first, int64_t *perm)
{
    const int nt = n > 0 ? am_csr_threads(threads, m) : 1;
    if (nt == 1) {
        memset(first, 0, ((size_t)n + 1) * sizeof *first);
        for (int64_t i = 0; i < m; i++)
            first[key[i] + 1]++;
        for (int32_t v = 0; v < n; v++)
            first[v + 1] += first[v];
        /* first[v + 1] is the end of v's group: fill it from the back,
         * then first[v + 1] has moved to the start of v's group */
        for (int64_t i = m - 1; i >= 0; i--)
            perm[--first[key[i] + 1]] = i;
        memmove(first, first + 1, (size_t)n * sizeof *first);
        first[n] = m;
        return AM_OK;
    }
    const int nbk = CSR_BUCKETS_PER_THREAD * nt;
    const int64_t span = (int64_t)n / nbk + 3; /* keys per bucket, + 1 */
    int64_t *hist = am_calloc_array((size_t)nt * (size_t)nbk, sizeof *hist);
    int64_t *tmp = am_alloc_array((size_t)m, sizeof *tmp);
    int64_t *cnt = am_alloc_array((size_t)nt * (size_t)span, sizeof *cnt);
    if (hist == NULL || tmp == NULL || cnt == NULL) {
        am_free(hist);
        am_free(tmp);
        am_free(cnt);
        return AM_ERR_NOMEM;
    }
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(nt, nbk, span, n, m, key, first, perm, hist, tmp, cnt)
    {
#pragma omp for schedule(static)
        for (int b = 0; b < nt; b++) {
            int64_t *h = &hist[(int64_t)b * nbk];
            for (int64_t i = m * b / nt; i < m * (b + 1) / nt; i++)
                h[bucket_of(key[i], n, nbk)]++;
        }
#pragma omp single
        {
            int64_t at = 0;
            for (int q = 0; q < nbk; q++)
                for (int b = 0; b < nt; b++) {
                    const int64_t c = hist[(int64_t)b * nbk + q];
                    hist[(int64_t)b * nbk + q] = at;
                    at += c;
                }
        }
#pragma omp for schedule(static)
        for (int b = 0; b < nt; b++) {
            int64_t *h = &hist[(int64_t)b * nbk];
            for (int64_t i = m * b / nt; i < m * (b + 1) / nt; i++)
                tmp[h[bucket_of(key[i], n, nbk)]++] = i;
        }
        /* now hist[(nt - 1) * nbk + q] is the end of bucket q */
        int64_t *c = &cnt[(int64_t)omp_get_thread_num() * span];
#pragma omp for schedule(dynamic, 1)
        for (int q = 0; q < nbk; q++) {
            const int64_t i0 =
                q == 0 ? 0 : hist[(int64_t)(nt - 1) * nbk + q - 1];
            const int64_t i1 = hist[(int64_t)(nt - 1) * nbk + q];
            const int32_t v0 = bucket_start(q, n, nbk);
            const int32_t v1 = bucket_start(q + 1, n, nbk);
            const int64_t w = (int64_t)v1 - v0;
            memset(c, 0, (size_t)(w + 1) * sizeof *c);
            for (int64_t i = i0; i < i1; i++)
                c[key[tmp[i]] - v0 + 1]++;
            c[0] = i0;
            for (int64_t v = 0; v < w; v++) {
                c[v + 1] += c[v];
                first[v0 + v] = c[v];
            }
            for (int64_t i = i0; i < i1; i++)
                perm[c[key[tmp[i]] - v0]++] = tmp[i];
        }
    }
    first[n] = m;
    am_free(hist);
    am_free(tmp);
    am_free(cnt);
    return AM_OK;
}

am_status am_csr_transpose(int32_t n_rows, int32_t n_cols, const int64_t *first,
                           const int32_t *col, const void *val, size_t val_size,
                           int64_t *t_first, int32_t *t_col, void *t_val)
{
    return am_csr_transpose_threads(n_rows, n_cols, first, col, val, val_size,
                                    1, t_first, t_col, t_val);
}

am_status am_csr_transpose_threads(int32_t n_rows, int32_t n_cols,
                                   const int64_t *first, const int32_t *col,
                                   const void *val, size_t val_size,
                                   int threads, int64_t *t_first,
                                   int32_t *t_col, void *t_val)
{
    if (val_size != sizeof(uint16_t) && val_size != sizeof(uint32_t))
        return AM_ERR_INVALID;
    const int64_t nnz = first[n_rows];
    const int nt = n_cols > 0 ? am_csr_threads(threads, nnz) : 1;
    if (nt > 1) {
        /* group the entries by column (ascending entry, hence ascending
         * row, within a column), then gather */
        int64_t *perm = am_alloc_array((size_t)nnz, sizeof *perm);
        int32_t *row = am_alloc_array((size_t)nnz, sizeof *row);
        if (perm == NULL || row == NULL ||
            am_csr_group(n_cols, nnz, col, nt, t_first, perm) != AM_OK) {
            am_free(perm);
            am_free(row);
            return AM_ERR_NOMEM;
        }
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(n_rows, nnz, first, row, perm, val, val_size, t_col, t_val)
        {
#pragma omp for schedule(dynamic, 4096)
            for (int32_t r = 0; r < n_rows; r++)
                for (int64_t e = first[r]; e < first[r + 1]; e++)
                    row[e] = r;
#pragma omp for schedule(static)
            for (int64_t p = 0; p < nnz; p++) {
                const int64_t e = perm[p];
                t_col[p] = row[e];
                if (val_size == sizeof(uint16_t))
                    ((uint16_t *)t_val)[p] = ((const uint16_t *)val)[e];
                else
                    ((uint32_t *)t_val)[p] = ((const uint32_t *)val)[e];
            }
        }
        am_free(perm);
        am_free(row);
        return AM_OK;
    }
    int64_t *cursor = am_alloc_array((size_t)n_cols, sizeof *cursor);
    if (cursor == NULL)
        return AM_ERR_NOMEM;
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
