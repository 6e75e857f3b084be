/*
 * graph.h: the road graph in compressed sparse row (CSR) form.
 *
 * Nodes are 0..n_nodes-1. The arcs leaving node v are
 * first_out[v] .. first_out[v+1]-1; arc a goes to head[a] and takes
 * time_ds[a] deciseconds (one array per metric, as in RoutingKit).
 * Arcs out of one node keep the order in which they were given to
 * am_graph_build (a stable counting sort), so a graph built from the same
 * arc list is always byte-identical.
 *
 * An am_graph is immutable once built and may be shared by any number of
 * threads.
 */
#ifndef AM_GRAPH_H
#define AM_GRAPH_H

#include <stdint.h>

#include "common/error.h"

typedef struct am_graph {
    int32_t n_nodes;
    int64_t n_arcs;
    int64_t *first_out; /* [n_nodes + 1], owned */
    int32_t *head;      /* [n_arcs], owned */
    uint32_t *time_ds;  /* [n_arcs], owned; each < AM_TIME_INF */
} am_graph;

/*
 * Builds a graph from an arc list: arc i goes tail[i] -> head[i] in
 * time_ds[i]. Inputs are borrowed. Fails with AM_ERR_INVALID (and fills err)
 * on a node id out of range or a time >= AM_TIME_INF; AM_ERR_NOMEM.
 * On success *out is owned by the caller (am_graph_destroy); on failure
 * *out is NULL.
 */
am_status am_graph_build(int32_t n_nodes, int64_t n_arcs, const int32_t *tail,
                         const int32_t *head, const uint32_t *time_ds,
                         am_graph **out, am_error *err);

/*
 * The reverse graph: an arc v -> u for every arc u -> v of g, with the same
 * time. Searching it from a facility gives times *to* that facility.
 */
am_status am_graph_reverse(const am_graph *g, am_graph **out, am_error *err);

/*
 * am_graph_build and am_graph_reverse with threads OpenMP threads (0:
 * OpenMP's default): the same graph, byte for byte, for every thread
 * count; with more than one thread 16 bytes per arc of scratch (plus 4
 * for the reverse).
 */
am_status am_graph_build_threads(int32_t n_nodes, int64_t n_arcs,
                                 const int32_t *tail, const int32_t *head,
                                 const uint32_t *time_ds, int threads,
                                 am_graph **out, am_error *err);
am_status am_graph_reverse_threads(const am_graph *g, int threads,
                                   am_graph **out, am_error *err);

/*
 * Structural check: first_out non-decreasing from 0 to n_arcs, heads in
 * range, times < AM_TIME_INF. AM_OK or AM_ERR_INTERNAL with details.
 */
am_status am_graph_validate(const am_graph *g, am_error *err);

/* Frees g and its arrays. Accepts NULL. */
void am_graph_destroy(am_graph *g);

#endif /* AM_GRAPH_H */
