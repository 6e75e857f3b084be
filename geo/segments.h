/*
 * segments.h: the road segments points snap onto, and the links a snapped
 * point gets to the graph.
 *
 * A segment is a straight piece of road between two geometry vertices v0
 * and v1 (indices into the network's vertex coordinates), lying on a chain
 * of the graph between the nodes a (v0's side) and b (v1's side). Built
 * from the arcs alone (am_segments_from_arcs) every segment is one arc
 * pair: v0 = a, v1 = b and the chain is the segment. Built over a
 * contracted graph (am_segments_from_chains, kernels/contract.h) a and b
 * are the chain's end junctions (graph node ids, not vertex ids), and
 * before_ds/after_ds carry the time along the rest of the chain; a chain
 * that comes back to its start has a = b.
 *
 * Directions: d = 0 is a -> b (v0 -> v1), d = 1 is b -> a (v1 -> v0).
 * time_ds[d] is the driving time along the segment in direction d, or
 * AM_TIME_INF when that direction is closed (one-way).
 *
 * Memory: 40 bytes per segment.
 */
#ifndef AM_SEGMENTS_H
#define AM_SEGMENTS_H

#include <stdint.h>

#include "common/error.h"

typedef struct am_segment {
    int32_t a, b;        /* graph nodes at the chain's ends */
    int32_t v0, v1;      /* geometry vertices of the segment, v0 on a's side */
    uint32_t time_ds[2]; /* along the segment: [0] v0 -> v1, [1] v1 -> v0;
                            AM_TIME_INF: closed that way */
    uint32_t before_ds[2]; /* from the chain's start to the segment's start:
                              [0] a -> v0, [1] b -> v1 */
    uint32_t after_ds[2];  /* from the segment's end to the chain's end:
                              [0] v1 -> b, [1] v0 -> a */
} am_segment;

/*
 * The segments of a network given as arcs (tail[e] -> head[e], time_ds[e];
 * vertex ids are node ids): one segment per unordered pair {u, w} of nodes
 * joined by an arc, a = min(u, w), b = max, each direction's time the
 * smallest of its parallel arcs, AM_TIME_INF where no arc runs that way.
 * Self-loops are left out. Segments are ordered by (v0, v1), which makes
 * "the lowest segment id" a function of the network alone.
 *
 * allowed: [n_nodes] or NULL (all): only segments whose both ends have
 * allowed[v] != 0 are kept (snapping onto selected components only).
 * *out (owned by caller, am_free; NULL when *n_out is 0), *n_out: the
 * table. AM_ERR_INVALID for negative sizes, NULL arrays or a node id out
 * of range (arc index in err->feature); AM_ERR_NOMEM. Serial; allocates
 * 48 bytes per arc of scratch and 8 per vertex.
 */
am_status am_segments_from_arcs(int32_t n_nodes, int64_t n_arcs,
                                const int32_t *tail, const int32_t *head,
                                const uint32_t *time_ds, const uint8_t *allowed,
                                am_segment **out, int32_t *n_out,
                                am_error *err);

/* Where each arc of the road network lies on a chain of the contracted
 * graph (the arrays of am_contraction, kernels/contract.h; borrowed). */
typedef struct am_segment_chains {
    int32_t n_graph_nodes;   /* nodes of the contracted graph */
    const int32_t *in_node;  /* [n_arcs] the chain's first node */
    const uint32_t *in_ds;   /* [n_arcs] from it to the arc's tail */
    const int32_t *out_node; /* [n_arcs] the chain's last node */
    const uint32_t *out_ds;  /* [n_arcs] from the arc's head to it */
    const uint8_t *no_snap;  /* [n_arcs] or NULL: arcs with a non-zero
                                entry are routable but no point snaps
                                onto them (ferry crossings) */
} am_segment_chains;

/*
 * As am_segments_from_arcs, over a contracted graph: tail/head are vertex
 * ids (< n_vertices, the road network's nodes), the segment's a and b are
 * the graph nodes at the ends of the chain its arcs lie on, before_ds and
 * after_ds the times along the rest of that chain (of the direction's
 * fastest parallel arc; ties: the lowest arc id). allowed is over graph
 * nodes ([chains->n_graph_nodes]): a segment is kept when both its chain
 * ends are allowed. AM_ERR_INTERNAL when the two directions of one vertex
 * pair lie on chains with different ends (a contraction that broke its
 * own rule); otherwise as am_segments_from_arcs.
 */
am_status am_segments_from_chains(int32_t n_vertices, int64_t n_arcs,
                                  const int32_t *tail, const int32_t *head,
                                  const uint32_t *time_ds,
                                  const am_segment_chains *chains,
                                  const uint8_t *allowed, am_segment **out,
                                  int32_t *n_out, am_error *err);

/* The same with threads OpenMP threads (0: OpenMP's default); the result
 * is the same for every thread count. Allocates 48 bytes per arc of
 * scratch (the keys twice) and 8 per vertex per thread. */
am_status am_segments_from_chains_threads(
    int32_t n_vertices, int64_t n_arcs, const int32_t *tail,
    const int32_t *head, const uint32_t *time_ds,
    const am_segment_chains *chains, const uint8_t *allowed, int threads,
    am_segment **out, int32_t *n_out, am_error *err);

#endif /* AM_SEGMENTS_H */
