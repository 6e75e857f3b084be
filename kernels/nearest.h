/*
 * nearest.h: the nearest source of every node, in one multi-source search.
 *
 * Nearest time, nearest facility and coverage at every cutoff need no
 * per-facility catchments: one Dijkstra search on the reverse graph seeded
 * from every facility at once (each with its own off-network leg) labels
 * every node v with the lexicographically smallest (t(v -> j), j) over the
 * facilities j with t(v -> j) <= limit_ds. The label is a function of the
 * graph and the seeds alone, so it does not depend on heap order or on the
 * thread count; ties go to the lowest facility index, as in am_nearest_run.
 *
 * Cost: O((n + m) log n) for the part of the graph within limit_ds of some
 * facility, whatever the number of facilities (a per-facility search costs
 * that per facility).
 */
#ifndef AM_NEAREST_H
#define AM_NEAREST_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/demand.h"
#include "kernels/graph.h"

/*
 * Labels every node of g_rev with its nearest source.
 * Source j's links are src_node[2 j + k], k = 0, 1 (negative: absent; a
 * source without links is off the network and seeds nothing);
 * src_offset_ds[2 j + k] (NULL: all 0) starts link k (geo/snap.h).
 * Outputs (caller-allocated, [g_rev->n_nodes]): node_time_ds[v] =
 * min_j t(v -> j) + offset_j if <= limit_ds, else AM_TIME_INF;
 * node_src[v] = the lowest such j, or -1.
 * Allocates O(n_nodes) scratch (AM_ERR_NOMEM). AM_ERR_INVALID for NULL
 * arguments or a link node >= n_nodes (source index in err->feature).
 * Serial; call it from one thread.
 */
am_status am_nearest_nodes(const am_graph *g_rev, int32_t n_src,
                           const int32_t *src_node,
                           const uint32_t *src_offset_ds, uint32_t limit_ds,
                           uint32_t *node_time_ds, int32_t *node_src,
                           am_error *err);

/*
 * Nearest facility per cell from the node labels: over the cell's links l,
 * the smallest (offset_l + node_time_ds[node_l], node_src[node_l]) pair;
 * time_ds[i] its time when that is <= limit_ds, else AM_TIME_INF with
 * facility[i] = -1 (off-network cells too). The same numbers as
 * am_nearest_run over catchments computed to limit_ds.
 * Outputs caller-allocated [d->n_cells]. No allocation.
 */
am_status am_nearest_cells(const am_demand *d, const uint32_t *node_time_ds,
                           const int32_t *node_src, uint32_t limit_ds,
                           int n_threads, uint32_t *time_ds, int32_t *facility,
                           am_error *err);

#endif /* AM_NEAREST_H */
