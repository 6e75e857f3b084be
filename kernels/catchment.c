/*
 * catchment.c: bounded searches from many sources, in parallel, into CSR
 * (see catchment.h).
 *
 * Why: the floating catchment area family (Luo & Wang 2003) needs, for each
 * facility, every node within d0 of it and the time from there. One bounded
 * Dijkstra (1959) per facility on the reverse graph gives exactly that, and
 * facilities are independent: the natural unit of parallel work.
 *
 * Algorithm: sources are processed in batches. Within a batch an OpenMP
 * parallel-for (schedule(dynamic, 1): one search is already a large task)
 * runs one search per source, each thread with its own am_search allocated
 * before the region; each source copies its result (already ascending by
 * node id) into its own buffer. Between batches the calling thread reports
 * progress and may stop. When all batches are done the rows are assembled
 * serially in source order into one exactly sized CSR (prefix-sum over row
 * lengths, then copy), so the output is byte-identical for any thread count
 * or schedule. The transpose is the usual count / prefix-sum / scatter,
 * scattering rows in ascending order so that every new row is ascending.
 *
 * Errors: a parallel region cannot return; each source records its own
 * status and the lowest failing source is reported after the region (GAP /
 * GraphBLAS habit). No allocation other than one buffer per source (sized by
 * its result) happens inside the region; none in the search itself.
 *
 * Invariants of a result: first[0] = 0, first non-decreasing, col strictly
 * ascending within a row, 0 <= col < n_cols, time_ds <= limit_ds.
 * Peak memory: about twice the final nnz (per-source rows + the final CSR).
 */
#include "kernels/catchment.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/csr.h"
#include "kernels/parallel.h"
#include "kernels/search.h"

/* One source's catchment while the searches run. */
typedef struct row_buf {
    int32_t n;
    int32_t *node;
    uint32_t *time_ds;
} row_buf;

static void row_buf_free(row_buf *r)
{
    free(r->node);
    free(r->time_ds);
    r->node = NULL;
    r->time_ds = NULL;
    r->n = 0;
}

/* Allocates the CSR shell (first zeroed) for n_rows rows and nnz entries. */
static am_status catchments_alloc(int32_t n_rows, int32_t n_cols,
                                  uint32_t limit_ds, int64_t nnz,
                                  am_catchments **out)
{
    *out = NULL;
    am_catchments *c = calloc(1, sizeof *c);
    if (c == NULL)
        return AM_ERR_NOMEM;
    c->n_rows = n_rows;
    c->n_cols = n_cols;
    c->limit_ds = limit_ds;
    c->first = calloc((size_t)n_rows + 1, sizeof *c->first);
    c->col = am_alloc_array((size_t)nnz, sizeof *c->col);
    c->time_ds = am_alloc_array((size_t)nnz, sizeof *c->time_ds);
    if (c->first == NULL || c->col == NULL || c->time_ds == NULL) {
        am_catchments_destroy(c);
        return AM_ERR_NOMEM;
    }
    *out = c;
    return AM_OK;
}

/*
 * Sources per batch: enough tasks to keep nt threads busy with dynamic
 * scheduling, few enough that progress and cancellation stay responsive.
 */
static int32_t batch_size(int32_t n_sources, int nt)
{
    int64_t b = (int64_t)nt * 32;
    if (b < 64)
        b = 64;
    if (b > n_sources)
        b = n_sources;
    return b < 1 ? 1 : (int32_t)b;
}

am_status am_catchments_compute(const am_graph *g_rev, int32_t n_sources,
                                const int32_t *source_node,
                                const uint32_t *source_offset_ds,
                                uint32_t limit_ds, int n_threads,
                                am_progress_fn progress, void *progress_user,
                                am_catchments **out, am_error *err)
{
    am_status rc = AM_OK;
    row_buf *rows = NULL;
    am_status *task_rc = NULL;
    am_search **ws = NULL;
    am_catchments *c = NULL;
    int nt = am_parallel_threads(n_threads);

    if (out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_catchments_compute: out is NULL");
    *out = NULL;
    if (g_rev == NULL || n_sources < 0 ||
        (n_sources > 0 && source_node == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "catchments: NULL graph or sources, or negative "
                            "source count");
    for (int32_t i = 0; i < n_sources; i++) {
        if (source_node[i] >= g_rev->n_nodes) {
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "catchments: source %ld is snapped to node %ld, "
                              "but the graph has %ld nodes",
                              (long)i, (long)source_node[i],
                              (long)g_rev->n_nodes);
            am_error_set_feature(err, i);
            return rc;
        }
    }
    if (nt > n_sources)
        nt = n_sources > 0 ? n_sources : 1;

    rows = calloc((size_t)n_sources + 1, sizeof *rows);
    task_rc = calloc((size_t)n_sources + 1, sizeof *task_rc);
    ws = calloc((size_t)nt, sizeof *ws);
    if (rows == NULL || task_rc == NULL || ws == NULL) {
        rc = AM_ERR_NOMEM;
        goto nomem;
    }
    for (int t = 0; t < nt; t++) {
        rc = am_search_create(g_rev->n_nodes, &ws[t]);
        if (rc != AM_OK)
            goto nomem;
    }

    const int32_t batch = batch_size(n_sources, nt);
    for (int32_t lo = 0; lo < n_sources; lo += batch) {
        const int32_t hi = n_sources - lo > batch ? lo + batch : n_sources;

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(g_rev, source_node, source_offset_ds, limit_ds, rows, task_rc, ws,  \
           lo, hi)
        for (int32_t i = lo; i < hi; i++) {
            const int32_t v = source_node[i];
            if (v < 0)
                continue; /* off the network: empty row */
            am_search *s = ws[omp_get_thread_num()];
            const uint32_t t0 = source_offset_ds ? source_offset_ds[i] : 0;
            const int32_t n = am_search_run(s, g_rev, 1, &v, &t0, limit_ds);
            if (n == 0)
                continue;
            const int32_t *nodes;
            const uint32_t *times;
            am_search_result(s, &nodes, &times);
            rows[i].node = malloc((size_t)n * sizeof *rows[i].node);
            rows[i].time_ds = malloc((size_t)n * sizeof *rows[i].time_ds);
            if (rows[i].node == NULL || rows[i].time_ds == NULL) {
                task_rc[i] = AM_ERR_NOMEM;
                continue;
            }
            memcpy(rows[i].node, nodes, (size_t)n * sizeof *nodes);
            memcpy(rows[i].time_ds, times, (size_t)n * sizeof *times);
            rows[i].n = n;
        }

        for (int32_t i = lo; i < hi; i++) {
            if (task_rc[i] != AM_OK) {
                rc = am_error_set(err, task_rc[i], NULL,
                                  "catchments: out of memory storing the "
                                  "catchment of source %ld",
                                  (long)i);
                am_error_set_feature(err, i);
                goto fail;
            }
        }
        if (progress != NULL && !progress((double)hi / (double)n_sources,
                                          "catchments", progress_user)) {
            rc = am_error_set(err, AM_ERR_CANCELLED, NULL,
                              "catchments: cancelled after %ld of %ld sources",
                              (long)hi, (long)n_sources);
            goto fail;
        }
    }

    /* Serial assembly in source order: deterministic for any thread count. */
    int64_t nnz = 0;
    for (int32_t i = 0; i < n_sources; i++)
        nnz += rows[i].n;
    rc = catchments_alloc(n_sources, g_rev->n_nodes, limit_ds, nnz, &c);
    if (rc != AM_OK)
        goto nomem;
    for (int32_t i = 0; i < n_sources; i++) {
        const int64_t at = c->first[i];
        const int32_t n = rows[i].n;
        if (n > 0) {
            memcpy(c->col + at, rows[i].node, (size_t)n * sizeof *c->col);
            memcpy(c->time_ds + at, rows[i].time_ds,
                   (size_t)n * sizeof *c->time_ds);
        }
        c->first[i + 1] = at + n;
        row_buf_free(&rows[i]);
    }
    *out = c;
    c = NULL;
    rc = AM_OK;
    goto done;

nomem:
    rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                      "catchments: out of memory (%ld sources, %ld nodes)",
                      (long)n_sources, (long)g_rev->n_nodes);
fail:
    am_catchments_destroy(c);
done:
    if (rows != NULL)
        for (int32_t i = 0; i < n_sources; i++)
            row_buf_free(&rows[i]);
    if (ws != NULL)
        for (int t = 0; t < nt; t++)
            am_search_destroy(ws[t]);
    free(ws);
    free(task_rc);
    free(rows);
    return rc;
}

am_status am_catchments_transpose(const am_catchments *c, am_catchments **out,
                                  am_error *err)
{
    am_catchments *t = NULL;
    am_status rc;

    if (out == NULL || c == NULL) {
        if (out != NULL)
            *out = NULL;
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_catchments_transpose: NULL argument");
    }
    *out = NULL;
    const int64_t nnz = c->first[c->n_rows];
    rc = catchments_alloc(c->n_cols, c->n_rows, c->limit_ds, nnz, &t);
    if (rc != AM_OK)
        goto fail;
    rc = am_csr_transpose(c->n_rows, c->n_cols, c->first, c->col, c->time_ds,
                          t->first, t->col, t->time_ds);
    if (rc != AM_OK)
        goto fail;
    *out = t;
    return AM_OK;

fail:
    am_catchments_destroy(t);
    return am_error_set(err, rc, NULL,
                        "catchments: out of memory transposing %lld entries",
                        (long long)nnz);
}

int64_t am_catchments_nnz(const am_catchments *c)
{
    if (c == NULL || c->first == NULL)
        return 0;
    return c->first[c->n_rows];
}

void am_catchments_destroy(am_catchments *c)
{
    if (c == NULL)
        return;
    free(c->first);
    free(c->col);
    free(c->time_ds);
    free(c);
}
