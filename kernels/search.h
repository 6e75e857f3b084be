/*
 * search.h: bounded single-source shortest-path search (Dijkstra 1959).
 *
 * One am_search per thread: it owns the per-node state, a bucket queue
 * (Dial 1969, on whole deciseconds) and a touched list, allocated once for a
 * graph size and reset in time proportional to what the last search touched
 * (RoutingKit's habit). A search costs O(reached nodes + their arcs + the
 * time span it scans), never O(graph).
 *
 * A search may start from several seeds, each with its own start time (the
 * off-network leg, say). It settles every node whose shortest time is
 * <= limit_ds (inclusive) and no node beyond it. Nodes are reported in
 * ascending node id, so the result does not depend on queue order.
 */
#ifndef AM_SEARCH_H
#define AM_SEARCH_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/graph.h"

typedef struct am_search am_search;

/*
 * Limits below this many deciseconds (2^20, about 29 hours) use the bucket
 * queue; larger ones (up to AM_TIME_INF) a binary heap. Same results.
 */
#define AM_SEARCH_BUCKETS (1u << 20)

/* Workspace for graphs of up to n_nodes nodes. AM_ERR_NOMEM. */
am_status am_search_create(int32_t n_nodes, am_search **out);

/* Accepts NULL. */
void am_search_destroy(am_search *s);

/*
 * Runs the search on g from n_seeds seeds (seed_node[i], starting at
 * seed_time_ds[i]; seeds out of range or with time > limit are ignored).
 * Returns the number of nodes reached (time <= limit_ds), or -1 when s or
 * g is NULL or g has more nodes than the workspace was made for (a caller
 * bug, never a silent "reached nothing"). No allocation.
 * Not thread-safe on one am_search; many searches may share one g.
 */
int32_t am_search_run(am_search *s, const am_graph *g, int32_t n_seeds,
                      const int32_t *seed_node, const uint32_t *seed_time_ds,
                      uint32_t limit_ds);

/*
 * The result of the last run: *nodes and *times_ds point at
 * n = am_search_run(...) entries, ascending by node id, valid until the
 * next run or destroy (borrowed).
 */
void am_search_result(const am_search *s, const int32_t **nodes,
                      const uint32_t **times_ds);

/* Time to node v in the last run, AM_TIME_INF if not reached.
 * O(log reached): a binary search of the result. */
uint32_t am_search_time(const am_search *s, int32_t v);

#endif /* AM_SEARCH_H */
