/*
 * demand.h: people on the network.
 *
 * A demand point ("cell": a populated raster cell, later also a zone
 * centroid) has a population, the node it was snapped to (-1 when it is
 * farther than the snap distance from every routable node) and the time of
 * its off-network leg to that node. The travel time from cell i to facility
 * j is cell_offset_ds[i] + t(node_i -> j), where t already includes j's own
 * off-network leg (see catchment.h).
 *
 * am_demand keeps an index node -> cells (count / prefix-sum / scatter),
 * cells of one node ordered by (offset, cell id), so measures can walk a
 * facility's catchment node by node and stop early on the offset.
 * Immutable once built; share freely between threads.
 */
#ifndef AM_DEMAND_H
#define AM_DEMAND_H

#include <stdint.h>

#include "common/error.h"

typedef struct am_demand {
    int32_t n_cells;
    int32_t n_nodes;
    int32_t *cell_node;       /* [n_cells], owned copy; -1 = off network */
    uint32_t *cell_offset_ds; /* [n_cells], owned copy */
    double *pop;              /* [n_cells], owned copy; finite, >= 0 */
    int64_t *first;           /* [n_nodes + 1], owned */
    int32_t *order;           /* [first[n_nodes]], owned: cell ids */
} am_demand;

/*
 * Copies the inputs (borrowed) and builds the index. AM_ERR_INVALID (with
 * the cell id as err->feature) for a negative, NaN or infinite population,
 * a node id >= n_nodes, or an offset >= AM_TIME_INF on a snapped cell.
 * Any negative node id means off network (stored as -1; its offset is
 * ignored).
 */
am_status am_demand_build(int32_t n_cells, int32_t n_nodes,
                          const int32_t *cell_node,
                          const uint32_t *cell_offset_ds, const double *pop,
                          am_demand **out, am_error *err);

/* Accepts NULL. */
void am_demand_destroy(am_demand *d);

#endif /* AM_DEMAND_H */
