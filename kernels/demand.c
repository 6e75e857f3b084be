/*
 * demand.c: demand points and their node -> cells index (see demand.h).
 *
 * Why: the first step of 2SFCA (Luo & Wang 2003) sums the population within
 * d0 of each facility. Walking a facility's catchment node by node and, for
 * each node, the cell links there in ascending time lets that walk stop at
 * the first link whose offset pushes it past d0.
 *
 * Algorithm (one implementation for any thread count; am_demand_build is
 * one thread): the checks and copies by cell; the links counted per node
 * with atomic adds, prefix-summed in blocks, scattered with atomic cursors
 * (in no fixed order within a node), then each node's links sorted by
 * (offset, link id), a total order, so the index is the same bytes for any
 * thread count. The sort is an insertion sort for short lists and a
 * heapsort beyond (thousands of raster cells may snap next to one rural
 * node): no scratch per link.
 *
 * Invariants: link_node[l] is -1 or in 0..n_nodes-1 (any negative input is
 * normalised to -1, with offset AM_TIME_INF); pop[i] finite and >= 0; a
 * present link's offset is < AM_TIME_INF; first[n_nodes] = number of
 * present links; within a node, order[] is ascending by (link_offset_ds,
 * link id).
 */
#include "kernels/demand.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/parallel.h"

/* Every cell's population, links and times, before anything is allocated
 * (untrusted input). */
static am_status check_cells(int32_t from, int32_t n_cells, int32_t n_nodes,
                             const int32_t *link_node,
                             const uint32_t *link_offset_ds, const double *pop,
                             am_error *err)
{
    am_status rc;
    for (int32_t i = from; i < n_cells; i++) {
        if (!isfinite(pop[i]) || pop[i] < 0.0) {
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "demand: cell %ld has population %g; expected "
                              "a finite number >= 0",
                              (long)i, pop[i]);
            am_error_set_feature(err, i);
            return rc;
        }
        for (int k = 0; k < AM_DEMAND_LINKS; k++) {
            const int64_t l = (int64_t)AM_DEMAND_LINKS * i + k;
            if (link_node[l] >= n_nodes) {
                rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                  "demand: cell %ld is linked to node %ld, "
                                  "but the graph has %ld nodes",
                                  (long)i, (long)link_node[l], (long)n_nodes);
                am_error_set_feature(err, i);
                return rc;
            }
            if (link_node[l] >= 0 && link_offset_ds[l] >= AM_TIME_INF) {
                rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                  "demand: cell %ld has a link time of %lu "
                                  "ds, not below the infinity sentinel",
                                  (long)i, (unsigned long)link_offset_ds[l]);
                am_error_set_feature(err, i);
                return rc;
            }
        }
    }
    return AM_OK;
}

am_status am_demand_build(int32_t n_cells, int32_t n_nodes,
                          const int32_t *link_node,
                          const uint32_t *link_offset_ds, const double *pop,
                          am_demand **out, am_error *err)
{
    return am_demand_build_threads(n_cells, n_nodes, link_node, link_offset_ds,
                                   pop, 1, out, err);
}

/* below this many cells per thread, fewer threads */
#define DEMAND_MIN_PER_THREAD 16384
#define DEMAND_MAX_BLOCKS 256

static int link_less(const uint32_t *off, int32_t a, int32_t b)
{
    return off[a] < off[b] || (off[a] == off[b] && a < b);
}

static void link_sift(int32_t *ids, const uint32_t *off, int64_t root,
                      int64_t n)
{
    for (;;) {
        int64_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && link_less(off, ids[c], ids[c + 1]))
            c++;
        if (!link_less(off, ids[root], ids[c]))
            return;
        const int32_t t = ids[root];
        ids[root] = ids[c];
        ids[c] = t;
        root = c;
    }
}

/* ids[0..n) by (off[id], id): insertion sort when short, heapsort beyond
 * (no allocation; the key is unique, so any sort gives this order) */
static void sort_links(int32_t *ids, const uint32_t *off, int64_t n)
{
    if (n <= 24) {
        for (int64_t i = 1; i < n; i++) {
            const int32_t x = ids[i];
            int64_t j = i;
            for (; j > 0 && link_less(off, x, ids[j - 1]); j--)
                ids[j] = ids[j - 1];
            ids[j] = x;
        }
        return;
    }
    for (int64_t i = n / 2 - 1; i >= 0; i--)
        link_sift(ids, off, i, n);
    for (int64_t e = n - 1; e > 0; e--) {
        const int32_t t = ids[0];
        ids[0] = ids[e];
        ids[e] = t;
        link_sift(ids, off, 0, e);
    }
}

am_status am_demand_build_threads(int32_t n_cells, int32_t n_nodes,
                                  const int32_t *link_node,
                                  const uint32_t *link_offset_ds,
                                  const double *pop, int threads,
                                  am_demand **out, am_error *err)
{
    int nt = am_parallel_threads(threads);
    if (nt > 1 && (int64_t)nt * DEMAND_MIN_PER_THREAD > n_cells)
        nt = (int)(n_cells / DEMAND_MIN_PER_THREAD);
    if (nt > DEMAND_MAX_BLOCKS)
        nt = DEMAND_MAX_BLOCKS;
    if (nt < 1)
        nt = 1;
    if (out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_demand_build: out is NULL");
    *out = NULL;
    if (n_cells < 0 || n_nodes < 0 || n_cells > INT32_MAX / AM_DEMAND_LINKS)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "demand: size out of range (%ld cells, %ld "
                            "nodes)",
                            (long)n_cells, (long)n_nodes);
    if (n_cells > 0 &&
        (link_node == NULL || link_offset_ds == NULL || pop == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "demand: %ld cells but a NULL input array",
                            (long)n_cells);
    /* the first bad cell, found in parallel, reported by the serial check */
    int32_t bad = n_cells;
#pragma omp parallel for num_threads(nt) schedule(static)                      \
    reduction(min                                                              \
              : bad) default(none)                                             \
        shared(n_cells, n_nodes, link_node, link_offset_ds, pop)
    for (int32_t i = 0; i < n_cells; i++) {
        int ok = isfinite(pop[i]) && pop[i] >= 0.0;
        for (int k = 0; k < AM_DEMAND_LINKS; k++) {
            const int64_t l = (int64_t)AM_DEMAND_LINKS * i + k;
            ok &= link_node[l] < n_nodes &&
                  (link_node[l] < 0 || link_offset_ds[l] < AM_TIME_INF);
        }
        if (!ok)
            bad = i < bad ? i : bad;
    }
    if (bad < n_cells) {
        const am_status rc = check_cells(bad, n_cells, n_nodes, link_node,
                                         link_offset_ds, pop, err);
        return rc != AM_OK
                   ? rc
                   : am_error_set(err, AM_ERR_INTERNAL, NULL,
                                  "demand: cell %ld failed a check", (long)bad);
    }
    const int32_t n_links = AM_DEMAND_LINKS * n_cells;
    int64_t *cursor = NULL;
    am_demand *d = am_calloc(1, sizeof *d);
    if (d == NULL)
        goto nomem;
    d->n_cells = n_cells;
    d->n_nodes = n_nodes;
    d->link_node = am_alloc_array((size_t)n_links, sizeof *d->link_node);
    d->link_offset_ds =
        am_alloc_array((size_t)n_links, sizeof *d->link_offset_ds);
    d->pop = am_alloc_array((size_t)n_cells, sizeof *d->pop);
    d->first = am_calloc((size_t)n_nodes + 1, sizeof *d->first);
    cursor = am_alloc_array((size_t)n_nodes + 1, sizeof *cursor);
    if (d->link_node == NULL || d->link_offset_ds == NULL || d->pop == NULL ||
        d->first == NULL || cursor == NULL)
        goto nomem;
    int64_t n_linked = 0;
#pragma omp parallel for num_threads(nt) schedule(static)                      \
    reduction(+ : n_linked) default(none)                                      \
    shared(n_cells, link_node, link_offset_ds, pop, d)
    for (int32_t i = 0; i < n_cells; i++) {
        d->pop[i] = pop[i];
        for (int k = 0; k < AM_DEMAND_LINKS; k++) {
            const int64_t l = (int64_t)AM_DEMAND_LINKS * i + k;
            const int32_t v = link_node[l] < 0 ? -1 : link_node[l];
            d->link_node[l] = v;
            d->link_offset_ds[l] = v >= 0 ? link_offset_ds[l] : AM_TIME_INF;
            if (v >= 0) {
                __atomic_fetch_add(&d->first[v + 1], 1, __ATOMIC_RELAXED);
                n_linked++;
            }
        }
    }
    d->order =
        am_alloc_array((size_t)(n_linked > 0 ? n_linked : 1), sizeof *d->order);
    if (d->order == NULL)
        goto nomem;
    /* prefix sum of the counts in blocks of nodes */
    int64_t at[DEMAND_MAX_BLOCKS + 1] = {0};
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n_nodes, d, at)
    for (int b = 0; b < nt; b++) {
        int64_t s = 0;
        for (int64_t v = (int64_t)n_nodes * b / nt;
             v < (int64_t)n_nodes * (b + 1) / nt; v++) {
            s += d->first[v + 1];
            d->first[v + 1] = s;
        }
        at[b + 1] = s;
    }
    for (int b = 0; b < nt; b++)
        at[b + 1] += at[b];
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n_nodes, d, at)
    for (int b = 0; b < nt; b++)
        for (int64_t v = (int64_t)n_nodes * b / nt;
             v < (int64_t)n_nodes * (b + 1) / nt; v++)
            d->first[v + 1] += at[b];
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(n_nodes, d, cursor)
    for (int32_t v = 0; v < n_nodes; v++)
        cursor[v] = d->first[v];
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(n_links, d, cursor)
    for (int32_t l = 0; l < n_links; l++) {
        const int32_t v = d->link_node[l];
        if (v >= 0)
            d->order[__atomic_fetch_add(&cursor[v], 1, __ATOMIC_RELAXED)] = l;
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1024) default(none) \
    shared(n_nodes, d)
    for (int32_t v = 0; v < n_nodes; v++)
        sort_links(d->order + d->first[v], d->link_offset_ds,
                   d->first[v + 1] - d->first[v]);
    am_free(cursor);
    *out = d;
    return AM_OK;

nomem:
    am_free(cursor);
    am_demand_destroy(d);
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "demand: out of memory indexing %ld cells",
                        (long)n_cells);
}

void am_demand_destroy(am_demand *d)
{
    if (d == NULL)
        return;
    am_free(d->link_node);
    am_free(d->link_offset_ds);
    am_free(d->pop);
    am_free(d->first);
    am_free(d->order);
    am_free(d);
}
