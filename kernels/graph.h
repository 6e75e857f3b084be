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
 * The searches (search.c, nearest.c) read an arc's head and time together;
 * am_graph_pack adds a copy of both, side by side in one 8-byte am_arc per
 * arc (8 bytes per arc more), so that scanning a node's arcs reads one
 * run of memory instead of two. am_graph_reverse (the graph the engine
 * searches) packs its result; the searches use arc when it is there and
 * head / time_ds otherwise, with the same results.
 *
 * An am_graph is immutable once built (and packed) and may be shared by any
 * number of threads.
 */
#ifndef AM_GRAPH_H
#define AM_GRAPH_H

#include <stdint.h>

#include "common/error.h"

/* One arc's head and time, side by side (am_graph_pack). */
typedef struct am_arc {
    int32_t head;
    uint32_t time_ds;
} am_arc;

typedef struct am_graph {
    int32_t n_nodes;
    int64_t n_arcs;
    int64_t *first_out; /* [n_nodes + 1], owned */
    int32_t *head;      /* [n_arcs], owned */
    uint32_t *time_ds;  /* [n_arcs], owned; each < AM_TIME_INF */
    am_arc *arc;        /* [n_arcs] or NULL, owned: {head[a], time_ds[a]} */
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
 * time. Searching it from a facility gives times *to* that facility. The
 * result is packed (am_graph_pack).
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
 * Fills g->arc from head and time_ds (threads OpenMP threads, 0: OpenMP's
 * default) unless it is already there; call before sharing g. 8 bytes per
 * arc. AM_ERR_INVALID (g NULL), AM_ERR_NOMEM (g unchanged).
 */
am_status am_graph_pack(am_graph *g, int threads, am_error *err);

/*
 * Structural check: first_out non-decreasing from 0 to n_arcs, heads in
 * range, times < AM_TIME_INF, arc (when packed) equal to head and time_ds.
 * AM_OK or AM_ERR_INTERNAL with details.
 */
am_status am_graph_validate(const am_graph *g, am_error *err);

/* Frees g and its arrays. Accepts NULL. */
void am_graph_destroy(am_graph *g);

#endif /* AM_GRAPH_H */
