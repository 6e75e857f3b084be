/*
 * graph.c: the road graph in CSR form (see graph.h).
 *
 * Why: every search and catchment walks arcs by tail node; CSR (RoutingKit's
 * first_out / head / one array per metric) keeps a node's arcs contiguous so
 * a Dijkstra scan is one linear read.
 *
 * Algorithm: counting sort by tail in three passes (GAP benchmark suite,
 * SuiteSparse habit): count the out-degree of every node into first_out[v+1],
 * prefix-sum into offsets, then scatter the arcs in input order through a
 * per-node cursor. Scattering in input order makes the sort stable, so the
 * same arc list always gives a byte-identical graph. The reverse graph is the
 * same construction keyed on head, reading the forward graph tail by tail, so
 * the reverse arcs into one node are ordered by (old tail, old arc position).
 *
 * Invariants of a built graph (checked by am_graph_validate):
 *   first_out[0] = 0, first_out non-decreasing, first_out[n_nodes] = n_arcs,
 *   0 <= head[a] < n_nodes, time_ds[a] < AM_TIME_INF.
 * Cost: O(n_nodes + n_arcs) time; one temporary cursor array of n_nodes.
 * With several threads (am_graph_build_threads, am_graph_reverse_threads)
 * the same sort runs in parallel (csr.c: per-thread counts over fixed
 * blocks, prefix sums, a stable scatter into buckets of nodes, then each
 * bucket on its own), giving the same bytes as the serial one; the
 * validation reports the lowest bad arc whatever the threads.
 */
#include "kernels/graph.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/csr.h"
#include "kernels/parallel.h"

/* malloc that never asks for 0 bytes, so NULL always means out of memory. */
/* An empty graph shell with its arrays allocated (first_out zeroed). */
static am_status graph_alloc(int32_t n_nodes, int64_t n_arcs, am_graph **out)
{
    *out = NULL;
    am_graph *g = am_calloc(1, sizeof *g);
    if (g == NULL)
        return AM_ERR_NOMEM;
    g->n_nodes = n_nodes;
    g->n_arcs = n_arcs;
    g->first_out = am_calloc((size_t)n_nodes + 1, sizeof *g->first_out);
    g->head = am_alloc_array((size_t)n_arcs, sizeof *g->head);
    g->time_ds = am_alloc_array((size_t)n_arcs, sizeof *g->time_ds);
    if (g->first_out == NULL || g->head == NULL || g->time_ds == NULL) {
        am_graph_destroy(g);
        return AM_ERR_NOMEM;
    }
    *out = g;
    return AM_OK;
}

/* The lowest arc of [a0, a1) with a node out of range or a time at or
 * above the sentinel, or a1. */
static int64_t first_bad_arc(int32_t n_nodes, const int32_t *tail,
                             const int32_t *head, const uint32_t *time_ds,
                             int64_t a0, int64_t a1)
{
    for (int64_t a = a0; a < a1; a++)
        if (tail[a] < 0 || tail[a] >= n_nodes || head[a] < 0 ||
            head[a] >= n_nodes || time_ds[a] >= AM_TIME_INF)
            return a;
    return a1;
}

am_status am_graph_build(int32_t n_nodes, int64_t n_arcs, const int32_t *tail,
                         const int32_t *head, const uint32_t *time_ds,
                         am_graph **out, am_error *err)
{
    return am_graph_build_threads(n_nodes, n_arcs, tail, head, time_ds, 1, out,
                                  err);
}

am_status am_graph_build_threads(int32_t n_nodes, int64_t n_arcs,
                                 const int32_t *tail, const int32_t *head,
                                 const uint32_t *time_ds, int threads,
                                 am_graph **out, am_error *err)
{
    am_graph *g = NULL;
    int64_t *cursor = NULL;
    am_status rc = AM_OK;

    if (out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_graph_build: out is NULL");
    *out = NULL;
    if (n_nodes < 0 || n_arcs < 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "graph: negative size (%ld nodes, %lld arcs)",
                            (long)n_nodes, (long long)n_arcs);
    if (n_arcs > 0 && (tail == NULL || head == NULL || time_ds == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "graph: %lld arcs but a NULL arc array",
                            (long long)n_arcs);

    /* Validate everything before allocating: untrusted input at the edge.
     * In blocks, the lowest bad arc reported whatever the threads. */
    const int nt = am_csr_threads(threads, n_arcs);
    int64_t bad = n_arcs;
#pragma omp parallel for num_threads(nt) schedule(static)                      \
    reduction(min                                                              \
              : bad) default(none)                                             \
        shared(nt, n_nodes, n_arcs, tail, head, time_ds)
    for (int b = 0; b < nt; b++) {
        const int64_t a1 = n_arcs * (b + 1) / nt;
        const int64_t x =
            first_bad_arc(n_nodes, tail, head, time_ds, n_arcs * b / nt, a1);
        if (x < a1 && x < bad)
            bad = x;
    }
    if (bad < n_arcs) {
        const int64_t a = bad;
        if (time_ds[a] < AM_TIME_INF || tail[a] < 0 || tail[a] >= n_nodes ||
            head[a] < 0 || head[a] >= n_nodes)
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "graph: arc %lld (%ld -> %ld) has a node id "
                              "outside 0..%ld",
                              (long long)a, (long)tail[a], (long)head[a],
                              (long)n_nodes - 1);
        else
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "graph: arc %lld has time %lu ds, not below "
                              "the infinity sentinel %lu",
                              (long long)a, (unsigned long)time_ds[a],
                              (unsigned long)AM_TIME_INF);
        am_error_set_feature(err, a);
        return rc;
    }

    rc = graph_alloc(n_nodes, n_arcs, &g);
    if (rc != AM_OK)
        goto fail;
    if (nt > 1) {
        /* group the arc ids by tail (stable), then gather */
        int64_t *perm = am_alloc_array((size_t)n_arcs, sizeof *perm);
        if (perm == NULL || am_csr_group(n_nodes, n_arcs, tail, nt,
                                         g->first_out, perm) != AM_OK) {
            am_free(perm);
            rc = AM_ERR_NOMEM;
            goto fail;
        }
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(n_arcs, perm, head, time_ds, g)
        for (int64_t p = 0; p < n_arcs; p++) {
            g->head[p] = head[perm[p]];
            g->time_ds[p] = time_ds[perm[p]];
        }
        am_free(perm);
        *out = g;
        return AM_OK;
    }
    cursor = am_alloc_array((size_t)n_nodes, sizeof *cursor);
    if (cursor == NULL) {
        rc = AM_ERR_NOMEM;
        goto fail;
    }

    /* count, prefix-sum, stable scatter */
    for (int64_t a = 0; a < n_arcs; a++)
        g->first_out[tail[a] + 1]++;
    for (int32_t v = 0; v < n_nodes; v++)
        g->first_out[v + 1] += g->first_out[v];
    if (n_nodes > 0)
        memcpy(cursor, g->first_out, (size_t)n_nodes * sizeof *cursor);
    for (int64_t a = 0; a < n_arcs; a++) {
        int64_t pos = cursor[tail[a]]++;
        g->head[pos] = head[a];
        g->time_ds[pos] = time_ds[a];
    }

    am_free(cursor);
    *out = g;
    return AM_OK;

fail:
    am_free(cursor);
    am_graph_destroy(g);
    return am_error_set(err, rc, NULL,
                        "graph: out of memory building CSR "
                        "(%ld nodes, %lld arcs)",
                        (long)n_nodes, (long long)n_arcs);
}

am_status am_graph_reverse(const am_graph *g, am_graph **out, am_error *err)
{
    return am_graph_reverse_threads(g, 1, out, err);
}

am_status am_graph_reverse_threads(const am_graph *g, int threads,
                                   am_graph **out, am_error *err)
{
    am_graph *r = NULL;
    am_status rc;

    if (out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_graph_reverse: out is NULL");
    *out = NULL;
    if (g == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_graph_reverse: graph is NULL");

    rc = graph_alloc(g->n_nodes, g->n_arcs, &r);
    if (rc != AM_OK)
        goto fail;
    rc = am_csr_transpose_threads(g->n_nodes, g->n_nodes, g->first_out, g->head,
                                  g->time_ds, sizeof *g->time_ds, threads,
                                  r->first_out, r->head, r->time_ds);
    if (rc == AM_OK)
        rc = am_graph_pack(r, threads, NULL);
    if (rc != AM_OK)
        goto fail;
    *out = r;
    return AM_OK;

fail:
    am_graph_destroy(r);
    return am_error_set(err, rc, NULL,
                        "graph: out of memory building the reverse graph");
}

am_status am_graph_pack(am_graph *g, int threads, am_error *err)
{
    if (g == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_graph_pack: graph is NULL");
    if (g->arc != NULL)
        return AM_OK;
    const int64_t m = g->n_arcs;
    am_arc *arc = am_alloc_array((size_t)(m > 0 ? m : 1), sizeof *arc);
    if (arc == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "graph: out of memory packing %lld arcs",
                            (long long)m);
    const int32_t *head = g->head;
    const uint32_t *time_ds = g->time_ds;
    const int nt = am_parallel_threads(threads);
#pragma omp parallel for schedule(static) num_threads(nt) default(none)        \
    shared(m, arc, head, time_ds) if (m > 65536)
    for (int64_t a = 0; a < m; a++)
        arc[a] = (am_arc){head[a], time_ds[a]};
    g->arc = arc;
    return AM_OK;
}

am_status am_graph_validate(const am_graph *g, am_error *err)
{
    if (g == NULL)
        return am_error_set(err, AM_ERR_INTERNAL, NULL, "graph is NULL");
    if (g->n_nodes < 0 || g->n_arcs < 0)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "graph: negative size (%ld nodes, %lld arcs)",
                            (long)g->n_nodes, (long long)g->n_arcs);
    if (g->first_out == NULL ||
        (g->n_arcs > 0 && (g->head == NULL || g->time_ds == NULL)))
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "graph: missing CSR array");
    if (g->first_out[0] != 0)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "graph: first_out[0] = %lld, expected 0",
                            (long long)g->first_out[0]);
    for (int32_t v = 0; v < g->n_nodes; v++) {
        if (g->first_out[v + 1] < g->first_out[v]) {
            am_status rc = am_error_set(
                err, AM_ERR_INTERNAL, NULL,
                "graph: first_out decreases at node %ld (%lld > %lld)", (long)v,
                (long long)g->first_out[v], (long long)g->first_out[v + 1]);
            am_error_set_feature(err, v);
            return rc;
        }
    }
    if (g->first_out[g->n_nodes] != g->n_arcs)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "graph: first_out[n_nodes] = %lld, expected "
                            "n_arcs = %lld",
                            (long long)g->first_out[g->n_nodes],
                            (long long)g->n_arcs);
    for (int64_t a = 0; a < g->n_arcs; a++) {
        if (g->head[a] < 0 || g->head[a] >= g->n_nodes) {
            am_status rc = am_error_set(err, AM_ERR_INTERNAL, NULL,
                                        "graph: arc %lld has head %ld outside "
                                        "0..%ld",
                                        (long long)a, (long)g->head[a],
                                        (long)g->n_nodes - 1);
            am_error_set_feature(err, a);
            return rc;
        }
        if (g->time_ds[a] >= AM_TIME_INF) {
            am_status rc =
                am_error_set(err, AM_ERR_INTERNAL, NULL,
                             "graph: arc %lld has time %lu ds, not "
                             "below the infinity sentinel",
                             (long long)a, (unsigned long)g->time_ds[a]);
            am_error_set_feature(err, a);
            return rc;
        }
        if (g->arc != NULL && (g->arc[a].head != g->head[a] ||
                               g->arc[a].time_ds != g->time_ds[a])) {
            am_status rc = am_error_set(err, AM_ERR_INTERNAL, NULL,
                                        "graph: packed arc %lld differs from "
                                        "its head and time",
                                        (long long)a);
            am_error_set_feature(err, a);
            return rc;
        }
    }
    return AM_OK;
}

void am_graph_destroy(am_graph *g)
{
    if (g == NULL)
        return;
    am_free(g->first_out);
    am_free(g->head);
    am_free(g->time_ds);
    am_free(g->arc);
    am_free(g);
}
