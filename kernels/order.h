/*
 * order.h: spatial node order for the search graph.
 *
 * A Dijkstra search settles nodes in rings around its source; when node ids
 * follow the map (neighbours on the ground have nearby ids), the labels it
 * reads and writes and the arcs it scans share cache lines and pages, and
 * the rows of everything indexed by node (catchments, demand, measures)
 * are read in long runs. am_order_hilbert gives such an order: the points
 * sorted along a Hilbert curve over their bounding box;
 * am_graph_permute renumbers a CSR graph by it, with each node's arcs
 * sorted by head so that a scan reads its neighbours in ascending order.
 *
 * Determinism: both results are functions of their inputs alone (ties go
 * to the lower index; the sorts are stable), the same for any thread count.
 * Thread safety: inputs are only read; callers own the outputs. Both use
 * OpenMP inside (threads: 0 = OpenMP's default), allocating before the
 * parallel regions only.
 */
#ifndef AM_ORDER_H
#define AM_ORDER_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/graph.h"

/* Bits per axis of the grid the curve runs over (2^16 x 2^16 cells). */
#define AM_HILBERT_BITS 16

/*
 * The position of cell (x, y) along the Hilbert curve of order
 * AM_HILBERT_BITS: 0 at cell (0, 0), 4^AM_HILBERT_BITS - 1 at cell
 * (2^AM_HILBERT_BITS - 1, 0); consecutive positions are adjacent cells.
 * x, y: only their low AM_HILBERT_BITS bits are used.
 */
uint32_t am_hilbert_index(uint32_t x, uint32_t y);

/*
 * order[k] (caller-allocated [n]) = the point of rank k when n points
 * (x[i], y[i], borrowed: any planar coordinates) are sorted by their cell
 * along the Hilbert curve over their bounding box (square cells; ties: by
 * index). Points with a non-finite coordinate come last, by index.
 * AM_ERR_INVALID (NULL arrays, n < 0), AM_ERR_NOMEM (12 bytes per point of
 * scratch, plus 2 KiB per thread).
 */
am_status am_order_hilbert(int32_t n, const double *x, const double *y,
                           int threads, int32_t *order, am_error *err);

/*
 * The graph g renumbered: node order[k] of g becomes node k of *out; the
 * arcs of each node keep their times and are sorted by (new head, time).
 * rank (caller-allocated [g->n_nodes], may be NULL): rank[v] = the new id
 * of old node v, the inverse of order. AM_ERR_INVALID when order is not a
 * permutation of 0 .. n_nodes - 1 (err names the first offending entry),
 * AM_ERR_NOMEM. *out owned by the caller (am_graph_destroy); NULL on
 * failure.
 */
am_status am_graph_permute(const am_graph *g, const int32_t *order, int threads,
                           int32_t *rank, am_graph **out, am_error *err);

#endif /* AM_ORDER_H */
