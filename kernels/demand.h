/*
 * demand.h: people on the network.
 *
 * A demand point ("cell": a populated raster cell, later also a zone
 * centroid) has a population and up to AM_DEMAND_LINKS = 2 links to the
 * graph (geo/snap.h: the nodes its people can drive to from the road they
 * were snapped onto, each with the time to reach it: the walk to the road
 * plus the part of the segment driven). Link k of cell i is entry
 * 2 i + k; an absent link has node -1. A cell without links is off the
 * network. The travel time from cell i to facility j is
 * min_k (link_offset_ds[2 i + k] + t(link_node[2 i + k] -> j)), where t
 * already includes j's own links (see catchment.h).
 *
 * am_demand keeps an index node -> links (count / prefix-sum / scatter),
 * the links of one node ordered by (offset, link id), so measures can walk
 * a facility's catchment node by node and stop early on the offset.
 * Immutable once built; share freely between threads.
 */
#ifndef AM_DEMAND_H
#define AM_DEMAND_H

#include <stdint.h>

#include "common/error.h"

/* Links per cell (fixed arity). */
#define AM_DEMAND_LINKS 2

typedef struct am_demand {
    int32_t n_cells;
    int32_t n_nodes;
    int32_t *link_node;       /* [2 n_cells], owned copy; -1 = absent */
    uint32_t *link_offset_ds; /* [2 n_cells], owned copy */
    double *pop;              /* [n_cells], owned copy; finite, >= 0 */
    int64_t *first;           /* [n_nodes + 1], owned */
    int32_t *order;           /* [first[n_nodes]], owned: link ids 2 i + k */
} am_demand;

/*
 * Copies the inputs (borrowed; link_node and link_offset_ds [2 n_cells],
 * pop [n_cells]) and builds the index. AM_ERR_INVALID (with the cell id as
 * err->feature) for a negative, NaN or infinite population, a node id >=
 * n_nodes, or an offset >= AM_TIME_INF on a present link. Any negative
 * node id means an absent link (stored as -1, offset AM_TIME_INF).
 */
am_status am_demand_build(int32_t n_cells, int32_t n_nodes,
                          const int32_t *link_node,
                          const uint32_t *link_offset_ds, const double *pop,
                          am_demand **out, am_error *err);

/*
 * am_demand_build with threads OpenMP threads (0: OpenMP's default;
 * am_demand_build is 1): the same index, byte for byte, and the same error
 * for the same first bad cell. Links are counted and scattered into their
 * nodes with atomic counters (an arbitrary order within a node), then
 * each node's links are sorted by (offset, link id), which is unique:
 * scratch 8 bytes per node, none per link.
 */
am_status am_demand_build_threads(int32_t n_cells, int32_t n_nodes,
                                  const int32_t *link_node,
                                  const uint32_t *link_offset_ds,
                                  const double *pop, int threads,
                                  am_demand **out, am_error *err);

/* Whether cell i has a link (is on the network). */
static inline int am_demand_cell_on(const am_demand *d, int32_t i)
{
    return d->link_node[2 * i] >= 0 || d->link_node[2 * i + 1] >= 0;
}

/* Accepts NULL. */
void am_demand_destroy(am_demand *d);

#endif /* AM_DEMAND_H */
