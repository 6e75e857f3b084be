/*
 * demand.c: demand points and their node -> cells index (see demand.h).
 *
 * Why: the first step of 2SFCA (Luo & Wang 2003) sums the population within
 * d0 of each facility. Walking a facility's catchment node by node and, for
 * each node, the cells snapped there in ascending off-network time lets that
 * walk stop at the first cell whose offset pushes it past d0.
 *
 * Algorithm: validate and copy the inputs, then two stable linear sorts:
 * an LSD radix sort (8-bit digits) of the snapped cells by offset, starting
 * from cell-id order, then a counting sort by node (count / prefix-sum /
 * stable scatter). Because both are stable, the cells of one node end up in
 * (offset, cell id) order in O(n_cells + n_nodes) time, even when thousands
 * of raster cells snap to one rural node.
 *
 * Invariants: cell_node[i] is -1 or in 0..n_nodes-1 (any negative input is
 * normalised to -1); pop[i] finite and >= 0; a snapped cell's offset is
 * < AM_TIME_INF; first[n_nodes] = number of snapped cells; within a node,
 * order[] is ascending by (cell_offset_ds, cell id).
 */
#include "kernels/demand.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"

/* Stable LSD radix sort of ids[0..n) by key[ids[i]], scratch tmp[0..n). */
static void sort_by_offset(int32_t *ids, int32_t *tmp, int32_t n,
                           const uint32_t *key)
{
    uint32_t all = 0;
    for (int32_t i = 0; i < n; i++)
        all |= key[ids[i]];
    int32_t *src = ids, *dst = tmp;
    for (int shift = 0; shift < 32 && (all >> shift) != 0; shift += 8) {
        int32_t count[257];
        memset(count, 0, sizeof count);
        for (int32_t i = 0; i < n; i++)
            count[((key[src[i]] >> shift) & 0xFFu) + 1]++;
        for (int k = 0; k < 256; k++)
            count[k + 1] += count[k];
        for (int32_t i = 0; i < n; i++)
            dst[count[(key[src[i]] >> shift) & 0xFFu]++] = src[i];
        int32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != ids)
        memcpy(ids, src, (size_t)n * sizeof *ids);
}

/* Every cell's population, node and walking time, before anything is
 * allocated (untrusted input). */
static am_status check_cells(int32_t n_cells, int32_t n_nodes,
                             const int32_t *cell_node,
                             const uint32_t *cell_offset_ds, const double *pop,
                             am_error *err)
{
    am_status rc;
    for (int32_t i = 0; i < n_cells; i++) {
        if (!isfinite(pop[i]) || pop[i] < 0.0) {
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "demand: cell %ld has population %g; expected "
                              "a finite number >= 0",
                              (long)i, pop[i]);
            am_error_set_feature(err, i);
            return rc;
        }
        if (cell_node[i] >= n_nodes) {
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "demand: cell %ld is snapped to node %ld, but "
                              "the graph has %ld nodes",
                              (long)i, (long)cell_node[i], (long)n_nodes);
            am_error_set_feature(err, i);
            return rc;
        }
        if (cell_node[i] >= 0 && cell_offset_ds[i] >= AM_TIME_INF) {
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "demand: cell %ld has an off-network time of "
                              "%lu ds, not below the infinity sentinel",
                              (long)i, (unsigned long)cell_offset_ds[i]);
            am_error_set_feature(err, i);
            return rc;
        }
    }
    return AM_OK;
}

am_status am_demand_build(int32_t n_cells, int32_t n_nodes,
                          const int32_t *cell_node,
                          const uint32_t *cell_offset_ds, const double *pop,
                          am_demand **out, am_error *err)
{
    am_demand *d = NULL;
    int32_t *snapped = NULL, *tmp = NULL;
    int64_t *cursor = NULL;
    am_status rc = AM_OK;

    if (out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_demand_build: out is NULL");
    *out = NULL;
    if (n_cells < 0 || n_nodes < 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "demand: negative size (%ld cells, %ld nodes)",
                            (long)n_cells, (long)n_nodes);
    if (n_cells > 0 &&
        (cell_node == NULL || cell_offset_ds == NULL || pop == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "demand: %ld cells but a NULL input array",
                            (long)n_cells);

    /* Untrusted input: validate every cell before allocating. */
    if ((rc = check_cells(n_cells, n_nodes, cell_node, cell_offset_ds, pop,
                          err)) != AM_OK)
        return rc;

    d = am_calloc(1, sizeof *d);
    if (d == NULL)
        goto nomem;
    d->n_cells = n_cells;
    d->n_nodes = n_nodes;
    d->cell_node = am_alloc_array((size_t)n_cells, sizeof *d->cell_node);
    d->cell_offset_ds =
        am_alloc_array((size_t)n_cells, sizeof *d->cell_offset_ds);
    d->pop = am_alloc_array((size_t)n_cells, sizeof *d->pop);
    d->first = am_calloc((size_t)n_nodes + 1, sizeof *d->first);
    snapped = am_alloc_array((size_t)n_cells, sizeof *snapped);
    tmp = am_alloc_array((size_t)n_cells, sizeof *tmp);
    cursor = am_alloc_array((size_t)n_nodes, sizeof *cursor);
    if (d->cell_node == NULL || d->cell_offset_ds == NULL || d->pop == NULL ||
        d->first == NULL || snapped == NULL || tmp == NULL || cursor == NULL)
        goto nomem;

    int32_t n_snapped = 0;
    for (int32_t i = 0; i < n_cells; i++) {
        const int32_t v = cell_node[i] < 0 ? -1 : cell_node[i];
        d->cell_node[i] = v;
        d->cell_offset_ds[i] = cell_offset_ds[i];
        d->pop[i] = pop[i];
        if (v >= 0) {
            snapped[n_snapped++] = i;
            d->first[v + 1]++;
        }
    }
    d->order = am_alloc_array((size_t)n_snapped, sizeof *d->order);
    if (d->order == NULL)
        goto nomem;

    sort_by_offset(snapped, tmp, n_snapped, d->cell_offset_ds);
    for (int32_t v = 0; v < n_nodes; v++)
        d->first[v + 1] += d->first[v];
    if (n_nodes > 0)
        memcpy(cursor, d->first, (size_t)n_nodes * sizeof *cursor);
    for (int32_t k = 0; k < n_snapped; k++) {
        const int32_t i = snapped[k];
        d->order[cursor[d->cell_node[i]]++] = i;
    }

    am_free(snapped);
    am_free(tmp);
    am_free(cursor);
    *out = d;
    return AM_OK;

nomem:
    am_free(snapped);
    am_free(tmp);
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
    am_free(d->cell_node);
    am_free(d->cell_offset_ds);
    am_free(d->pop);
    am_free(d->first);
    am_free(d->order);
    am_free(d);
}
