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
 * before the region; each source appends its kept nodes (already ascending
 * by node id) to its thread's growing buffer and records where. After the
 * region the calling thread places the batch's rows in the result in source
 * order (a prefix sum of their sizes), the threads copy them there in
 * parallel, and the calling thread reports progress and may stop. So the
 * output is byte-identical for any thread count or schedule. The transpose is
 * the usual count / prefix-sum / scatter, scattering rows in ascending order so
 * that every new row is ascending.
 *
 * Only nodes with node_keep[v] != 0 are stored (the engine keeps the nodes
 * that carry demand: in a dense network most reached nodes are empty road
 * vertices that no measure reads).
 *
 * Errors: a parallel region cannot return; an out-of-memory in a thread's
 * buffer is flagged and reported after the region. Allocation inside the
 * region: only the geometric growth of the per-thread buffers (no malloc
 * per source); none in the search itself.
 *
 * Storage: 16-bit times when limit_ds fits (6 bytes per entry), else 32.
 *
 * Invariants of a result: first[0] = 0, first non-decreasing, col strictly
 * ascending within a row, 0 <= col < n_cols, every time <= limit_ds.
 * Peak memory: the result (grown by half each time it fills) plus one
 * batch of entries in the thread buffers.
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

/* Entries gathered by one thread during a batch (grown geometrically). */
typedef struct thread_buf {
    int64_t n, cap;
    int32_t *node;
    uint32_t *time_ds;
} thread_buf;

/* Where a source's row sits in its thread's buffer during a batch. */
typedef struct row_ref {
    int32_t thread;
    int32_t n;
    int64_t at;
} row_ref;

/* The capacity after growing cap (by half, from 1024) to hold need. */
static int64_t grown(int64_t cap, int64_t need)
{
    int64_t c = cap > 0 ? cap : 1024;
    while (c < need)
        c += c / 2;
    return c;
}

/* Grows (node, time) arrays to hold at least need entries. */
static int grow(int32_t **node, uint32_t **time_ds, int64_t *cap, int64_t need)
{
    if (need <= *cap)
        return 1;
    int64_t c = grown(*cap, need);
    int32_t *nn = am_realloc_array(*node, (size_t)c, sizeof *nn);
    if (nn == NULL)
        return 0;
    *node = nn;
    uint32_t *tt = am_realloc_array(*time_ds, (size_t)c, sizeof *tt);
    if (tt == NULL)
        return 0;
    *time_ds = tt;
    *cap = c;
    return 1;
}

/* Grows a result's col and time arrays (16 or 32-bit) to hold need. */
static int grow_result(am_catchments *r, int64_t *cap, int64_t need)
{
    if (need <= *cap)
        return 1;
    int64_t c = grown(*cap, need);
    int32_t *nn = am_realloc_array(r->col, (size_t)c, sizeof *nn);
    if (nn == NULL)
        return 0;
    r->col = nn;
    if (r->time16 != NULL) {
        uint16_t *tt = am_realloc_array(r->time16, (size_t)c, sizeof *tt);
        if (tt == NULL)
            return 0;
        r->time16 = tt;
    } else {
        uint32_t *tt = am_realloc_array(r->time_ds, (size_t)c, sizeof *tt);
        if (tt == NULL)
            return 0;
        r->time_ds = tt;
    }
    *cap = c;
    return 1;
}

am_status am_catchments_create(int32_t n_rows, int32_t n_cols,
                               uint32_t limit_ds, int64_t nnz,
                               am_catchments **out)
{
    *out = NULL;
    am_catchments *c = am_calloc(1, sizeof *c);
    if (c == NULL)
        return AM_ERR_NOMEM;
    c->n_rows = n_rows;
    c->n_cols = n_cols;
    c->limit_ds = limit_ds;
    c->first = am_calloc((size_t)n_rows + 1, sizeof *c->first);
    c->col = am_alloc_array((size_t)nnz, sizeof *c->col);
    int ok;
    if (limit_ds <= AM_CATCHMENT_TIME16_MAX)
        ok = (c->time16 = am_alloc_array((size_t)nnz, sizeof *c->time16)) !=
             NULL;
    else
        ok = (c->time_ds = am_alloc_array((size_t)nnz, sizeof *c->time_ds)) !=
             NULL;
    if (c->first == NULL || c->col == NULL || !ok) {
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

/* Runs source i's search and appends its kept nodes to buf. 0: NOMEM or a
 * workspace too small for the graph (cannot happen: sized from g_rev). */
static int search_one(am_search *s, const am_graph *g_rev, int32_t n_seeds,
                      const int32_t *v, const uint32_t *t0, uint32_t limit_ds,
                      const uint8_t *node_keep, thread_buf *buf, row_ref *ref)
{
    const int32_t n = am_search_run(s, g_rev, n_seeds, v, t0, limit_ds);
    if (n < 0)
        return 0;
    const int32_t *nodes;
    const uint32_t *times;
    am_search_result(s, &nodes, &times);
    if (!grow(&buf->node, &buf->time_ds, &buf->cap, buf->n + n))
        return 0;
    ref->at = buf->n;
    int32_t k = 0;
    for (int32_t e = 0; e < n; e++) {
        if (node_keep != NULL && !node_keep[nodes[e]])
            continue;
        buf->node[buf->n + k] = nodes[e];
        buf->time_ds[buf->n + k] = times[e];
        k++;
    }
    buf->n += k;
    ref->n = k;
    return 1;
}

/* Checks the arguments of am_catchments_compute. */
static am_status check_sources(const am_graph *g_rev, int32_t n_sources,
                               const int32_t *source_node, am_error *err)
{
    if (g_rev == NULL || n_sources < 0 ||
        (n_sources > 0 && source_node == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "catchments: NULL graph or sources, or negative "
                            "source count");
    for (int64_t l = 0; l < 2 * (int64_t)n_sources; l++) {
        const int32_t i = (int32_t)(l / 2);
        if (source_node[l] >= g_rev->n_nodes) {
            am_status rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                        "catchments: source %ld is linked to "
                                        "node %ld, but the graph has %ld nodes",
                                        (long)i, (long)source_node[l],
                                        (long)g_rev->n_nodes);
            am_error_set_feature(err, i);
            return rc;
        }
    }
    return AM_OK;
}

/* What the batches share: the searches' workspaces and buffers. */
typedef struct batch_ctx {
    const am_graph *g_rev;
    const int32_t *source_node;
    const uint32_t *source_offset_ds;
    uint32_t limit_ds;
    const uint8_t *node_keep;
    int nt;
    am_search **ws;   /* [nt] */
    thread_buf *bufs; /* [nt] */
    row_ref *refs;    /* [n_sources] */
} batch_ctx;

/* Searches sources lo..hi-1 in parallel into the thread buffers. 0: out of
 * memory in a buffer. */
static int search_batch(batch_ctx *b, int32_t lo, int32_t hi)
{
    int failed = 0;
    for (int t = 0; t < b->nt; t++)
        b->bufs[t].n = 0;
    const int nt = b->nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(b, lo, hi) reduction(|                                              \
                                : failed)
    for (int32_t i = lo; i < hi; i++) {
        const int t = omp_get_thread_num();
        int32_t v[2];
        uint32_t t0[2];
        int32_t n_seeds = 0;
        b->refs[i] = (row_ref){t, 0, 0};
        for (int k = 0; k < 2; k++) {
            const int64_t l = 2 * (int64_t)i + k;
            if (b->source_node[l] < 0)
                continue;
            v[n_seeds] = b->source_node[l];
            t0[n_seeds] =
                b->source_offset_ds != NULL ? b->source_offset_ds[l] : 0;
            n_seeds++;
        }
        if (n_seeds == 0)
            continue; /* off the network: empty row */
        if (!search_one(b->ws[t], b->g_rev, n_seeds, v, t0, b->limit_ds,
                        b->node_keep, &b->bufs[t], &b->refs[i]))
            failed = 1;
    }
    return !failed;
}

/* Appends the rows of sources lo..hi-1 to c in source order: the row
 * offsets by a serial prefix sum, then the rows copied in parallel, each to
 * its own place (deterministic for any thread count or schedule). */
static void append_batch(const batch_ctx *b, int32_t lo, int32_t hi,
                         am_catchments *c, int64_t *nnz)
{
    for (int32_t i = lo; i < hi; i++) {
        *nnz += b->refs[i].n;
        c->first[i + 1] = *nnz;
    }
    const int nt = b->nt;
#pragma omp parallel for schedule(dynamic, 4) num_threads(nt) default(none)    \
    shared(b, c, lo, hi)
    for (int32_t i = lo; i < hi; i++) {
        const row_ref *r = &b->refs[i];
        if (r->n == 0)
            continue;
        const thread_buf *tb = &b->bufs[r->thread];
        const int64_t at = c->first[i];
        memcpy(c->col + at, tb->node + r->at, (size_t)r->n * sizeof *c->col);
        if (c->time16 != NULL) /* every time <= limit <= 65535 */
            for (int32_t e = 0; e < r->n; e++)
                c->time16[at + e] = (uint16_t)tb->time_ds[r->at + e];
        else
            memcpy(c->time_ds + at, tb->time_ds + r->at,
                   (size_t)r->n * sizeof *c->time_ds);
    }
}

/* Gives back the growth slack of a result of nnz entries. */
static void shrink_result(am_catchments *c, int64_t nnz, int64_t cap)
{
    if (nnz == 0 || nnz >= cap)
        return;
    int32_t *cc = am_realloc_array(c->col, (size_t)nnz, sizeof *cc);
    if (cc != NULL)
        c->col = cc;
    if (c->time16 != NULL) {
        uint16_t *tt = am_realloc_array(c->time16, (size_t)nnz, sizeof *tt);
        if (tt != NULL)
            c->time16 = tt;
    } else {
        uint32_t *tt = am_realloc_array(c->time_ds, (size_t)nnz, sizeof *tt);
        if (tt != NULL)
            c->time_ds = tt;
    }
}

am_status am_catchments_compute(const am_graph *g_rev, int32_t n_sources,
                                const int32_t *source_node,
                                const uint32_t *source_offset_ds,
                                uint32_t limit_ds, const uint8_t *node_keep,
                                int64_t max_entries, int n_threads,
                                am_progress_fn progress, void *progress_user,
                                am_catchments **out, am_error *err)
{
    am_catchments *c = NULL;
    int64_t cap = 0, nnz = 0;
    if (out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_catchments_compute: out is NULL");
    *out = NULL;
    am_status rc = check_sources(g_rev, n_sources, source_node, err);
    if (rc != AM_OK)
        return rc;
    int nt = am_parallel_threads(n_threads);
    if (nt > n_sources)
        nt = n_sources > 0 ? n_sources : 1;
    batch_ctx b = {g_rev,    source_node, source_offset_ds,
                   limit_ds, node_keep,   nt,
                   NULL,     NULL,        NULL};

    /* The result grows batch by batch; its entries are set below. */
    rc = am_catchments_create(n_sources, g_rev->n_nodes, limit_ds, 0, &c);
    b.refs = am_calloc((size_t)n_sources + 1, sizeof *b.refs);
    b.bufs = am_calloc((size_t)nt, sizeof *b.bufs);
    b.ws = am_calloc((size_t)nt, sizeof *b.ws);
    if (rc != AM_OK || b.refs == NULL || b.bufs == NULL || b.ws == NULL)
        goto nomem;
    for (int t = 0; t < nt; t++)
        if (am_search_create(g_rev->n_nodes, &b.ws[t]) != AM_OK)
            goto nomem;

    const int32_t batch = batch_size(n_sources, nt);
    for (int32_t lo = 0; lo < n_sources; lo += batch) {
        const int32_t hi = n_sources - lo > batch ? lo + batch : n_sources;
        if (!search_batch(&b, lo, hi))
            goto nomem;
        int64_t add = 0;
        for (int32_t i = lo; i < hi; i++)
            add += b.refs[i].n;
        if (max_entries > 0 && nnz + add > max_entries) {
            rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                              "catchments: more than %lld entries (%lld "
                              "bytes) by source %ld of %ld: beyond the "
                              "memory budget",
                              (long long)max_entries,
                              (long long)max_entries *
                                  (long long)(c->time16 != NULL ? 6 : 8),
                              (long)hi, (long)n_sources);
            am_error_set_feature(err, hi - 1);
            goto fail;
        }
        if (!grow_result(c, &cap, nnz + add))
            goto nomem;
        append_batch(&b, lo, hi, c, &nnz);
        if (progress != NULL && !progress((double)hi / (double)n_sources,
                                          "catchments", progress_user)) {
            rc = am_error_set(err, AM_ERR_CANCELLED, NULL,
                              "catchments: cancelled after %ld of %ld sources",
                              (long)hi, (long)n_sources);
            goto fail;
        }
    }
    shrink_result(c, nnz, cap);
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
    for (int t = 0; b.ws != NULL && t < nt; t++)
        am_search_destroy(b.ws[t]);
    for (int t = 0; b.bufs != NULL && t < nt; t++) {
        am_free(b.bufs[t].node);
        am_free(b.bufs[t].time_ds);
    }
    am_free(b.ws);
    am_free(b.bufs);
    am_free(b.refs);
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
    rc = am_catchments_create(c->n_cols, c->n_rows, c->limit_ds, nnz, &t);
    if (rc != AM_OK)
        goto fail;
    if (c->time16 != NULL)
        rc = am_csr_transpose(c->n_rows, c->n_cols, c->first, c->col, c->time16,
                              sizeof *c->time16, t->first, t->col, t->time16);
    else
        rc =
            am_csr_transpose(c->n_rows, c->n_cols, c->first, c->col, c->time_ds,
                             sizeof *c->time_ds, t->first, t->col, t->time_ds);
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
    am_free(c->first);
    am_free(c->col);
    am_free(c->time16);
    am_free(c->time_ds);
    am_free(c);
}
