/*
 * components.h: strongly connected components of the road graph.
 *
 * Two nodes are in the same strongly connected component (SCC) when each
 * can reach the other along arcs. People and facilities snapped onto a
 * small component (a parking aisle cut off by the extract's edge, a
 * one-way stub, a road mapped without its junction) reach nothing beyond
 * it, so the engine snaps only onto components chosen by the scenario's
 * policy (engine/components.c).
 *
 * Numbering (deterministic, independent of thread count and of the DFS
 * order): components are numbered 0 .. n_components-1 by size descending,
 * ties by their lowest node id ascending. Component 0 is the largest.
 *
 * Memory: the result holds comp[n_nodes] and size[n_components] (int32);
 * the computation borrows 13 bytes per node of scratch (three int32 and
 * one byte: Tarjan's stack, the explicit call stack's node and arc
 * offset, a root flag), freed before returning, then 12 bytes per
 * component to sort them. No recursion: depth is bounded by memory only.
 */
#ifndef AM_COMPONENTS_H
#define AM_COMPONENTS_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/graph.h"

typedef struct am_components {
    int32_t n_nodes;
    int32_t n_components;
    int32_t *comp; /* [n_nodes] component of each node, owned */
    int32_t *size; /* [n_components] nodes per component, non-increasing,
                      owned */
} am_components;

/*
 * The SCCs of g (borrowed, only read). O(n_nodes + n_arcs) time.
 * On success *out is owned by the caller (am_components_destroy); on
 * failure it is NULL. AM_ERR_INVALID for NULL arguments, AM_ERR_NOMEM.
 * err may be NULL. Thread-safe (g is only read); single-threaded.
 */
am_status am_components_compute(const am_graph *g, am_components **out,
                                am_error *err);

/*
 * The same components, byte for byte, with threads OpenMP threads (0:
 * OpenMP's default). Below 4 threads: am_components_compute (on two cores
 * the parallel method's reverse graph and two searches cost about what
 * they save). Otherwise am_components_compute_fb.
 */
am_status am_components_compute_threads(const am_graph *g, int threads,
                                        am_components **out, am_error *err);

/*
 * The same components, byte for byte, by the parallel method whatever the
 * threads (so that tests run it at any count): repeated trimming of the
 * nodes with no arc in or out (their own components), then
 * forward-backward reachability from a pivot by parallel frontier search
 * (which finds a road network's giant component), then the DFS above on
 * the nodes left. Scratch: the reverse graph (am_graph_reverse_threads)
 * and about 13 bytes per node.
 */
am_status am_components_compute_fb(const am_graph *g, int threads,
                                   am_components **out, am_error *err);

/* Frees c and its arrays. Accepts NULL. */
void am_components_destroy(am_components *c);

#endif /* AM_COMPONENTS_H */
