/*
 * contract.h: the road graph without its degree-2 chains.
 *
 * A road graph read from OSM or a GIS layer has a node at every vertex of
 * every line; most of them are interior points of a road between two
 * junctions, and a search spends most of its time walking through them.
 * am_graph_contract replaces every chain of such nodes by one arc whose
 * time is the chain's total (exact: whole deciseconds add without
 * rounding), keeps the fastest of parallel arcs between two junctions, and
 * drops self-loops. The nodes kept, the junctions, keep their relative order
 * (new id = rank of the old id among the junctions), so a spatially ordered
 * input stays spatially ordered; am_contraction_renumber then puts them in
 * any other order (the engine's: along a Hilbert curve, kernels/order.h).
 *
 * A node v is interior when it has no self-loop, exactly two distinct
 * neighbours u != w, and its arcs are exactly
 *   in {u->v}, out {v->w}                 (a one-way road through v), or
 *   in {u->v, w->v}, out {v->u, v->w}     (a two-way road through v).
 * Every other node is a junction: a dead end, a node where three or more
 * roads meet, where a one-way road meets a two-way one, where two arcs run
 * in parallel, or where nodes are pinned by the caller (keep[v] != 0). A
 * ring made only of interior nodes keeps the tail of its lowest arc as a
 * junction. A chain whose sum of cut_w (the arcs' lengths, say; their
 * times by default) would exceed max_cut, or whose time would reach
 * AM_TIME_INF, is cut at the node where it would: no chain of the result
 * sums more than the cap unless one original arc already does. Why a cap:
 * a point snapped part-way along a chain reaches the rest of the network
 * through the chain's two ends, so two points on the same chain travel
 * between each other through an end; the detour is at most the chain's
 * time (see geo/snap.h), and the cap bounds it. A cap on lengths rather
 * than times makes the contracted graph a function of the roads' geometry
 * and directions alone, the same for every speed scenario.
 *
 * Where each original arc went: every original arc a lies on exactly one
 * chain, from junction in_node[a] to junction out_node[a] (new ids), with
 * in_ds[a] = the time from in_node[a] to tail(a) along the chain and
 * out_ds[a] = the time from head(a) to out_node[a]; so in_ds[a] + time(a) +
 * out_ds[a] is the chain's time. This holds for arcs whose chain was merged
 * away as a slower parallel arc or dropped as a self-loop too: the road is
 * still there to be snapped onto, and the times along it are still true.
 *
 * Cost: O(n_nodes + n_arcs) time; serial, or parallel with
 * am_graph_contract_threads; memory below.
 */
#ifndef AM_CONTRACT_H
#define AM_CONTRACT_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/graph.h"

/* What a contraction did, for summaries. */
typedef struct am_contraction_stats {
    int32_t nodes_before, nodes_after;
    int64_t arcs_before, arcs_after;
    int64_t chains, self_loops, parallel, rings, cuts;
    uint32_t max_cut; /* the cap used (the caller's unit); 0: none */
} am_contraction_stats;

typedef struct am_contraction {
    am_graph *g;        /* the contracted graph, owned */
    int32_t n_old;      /* nodes before */
    int64_t n_old_arcs; /* arcs before */
    int32_t *new_id;    /* [n_old]: junction's new id, -1 for interior */
    int32_t *old_id;    /* [g->n_nodes]: the junction's old id */
    int32_t *in_node;   /* [n_old_arcs] new id of the chain's first node */
    uint32_t *in_ds;    /* [n_old_arcs] time from in_node to the tail */
    int32_t *out_node;  /* [n_old_arcs] new id of the chain's last node */
    uint32_t *out_ds;   /* [n_old_arcs] time from the head to out_node */
    /* what happened, for the summary */
    int64_t n_chains;     /* chains walked (= arcs before merging) */
    int64_t n_self_loops; /* chains that came back to their start */
    int64_t n_parallel;   /* chains dropped for a faster parallel one */
    int64_t n_rings;      /* rings of interior nodes given a junction */
    int64_t n_cuts;       /* chains cut at the cap or at AM_TIME_INF */
} am_contraction;

/*
 * Contracts the graph given as an arc list (arc i: tail[i] -> head[i] in
 * time_ds[i]; borrowed), as described above. keep: NULL, or [n_nodes] with
 * keep[v] != 0 for nodes that must stay (junctions by decree).
 * cut_w: NULL (the times), or [n_arcs] what the cap sums along a chain;
 * max_cut: the cap (0: none). The new
 * graph's arcs out of one junction keep the order in which their chains
 * were found (junctions ascending, then their original arcs in input
 * order), so the result is a function of the input alone.
 *
 * Returns AM_OK; AM_ERR_INVALID (err filled) for a negative size, a NULL
 * array, a node id out of range or a time >= AM_TIME_INF; AM_ERR_NOMEM.
 * On success *out is owned by the caller (am_contraction_destroy).
 * Allocates, besides the result (4 bytes per old node, 16 per old arc and
 * the new graph): two arc-id indexes (by tail and by head: 8 bytes per
 * node and 8 per arc each), the chain list (12 bytes per arc), a byte per
 * node and two per arc and 24 bytes per junction, all freed before
 * returning.
 */
am_status am_graph_contract(int32_t n_nodes, int64_t n_arcs,
                            const int32_t *tail, const int32_t *head,
                            const uint32_t *time_ds, const uint8_t *keep,
                            const uint32_t *cut_w, uint32_t max_cut,
                            am_contraction **out, am_error *err);

/*
 * am_graph_contract with threads OpenMP threads (0: OpenMP's default):
 * the same result, byte for byte, for every thread count (contract.c says
 * how). With more than one thread the two arc indexes take 8 more bytes
 * per arc of scratch while they are built.
 */
am_status am_graph_contract_threads(int32_t n_nodes, int64_t n_arcs,
                                    const int32_t *tail, const int32_t *head,
                                    const uint32_t *time_ds,
                                    const uint8_t *keep, const uint32_t *cut_w,
                                    uint32_t max_cut, int threads,
                                    am_contraction **out, am_error *err);

/* The figures of c (max_cut as given to am_graph_contract). */
am_contraction_stats am_contraction_stats_of(const am_contraction *c,
                                             uint32_t max_cut);

/*
 * Renumbers c's junctions: junction order[k] (a permutation of
 * 0 .. c->g->n_nodes - 1, e.g. kernels/order.h's am_order_hilbert) becomes
 * junction k everywhere: the graph (am_graph_permute: each node's arcs
 * sorted by head), old_id, new_id, in_node and out_node. Times, chains
 * and statistics are unchanged. threads: 0 = OpenMP's default.
 * AM_ERR_INVALID (not a permutation), AM_ERR_NOMEM; on failure c is
 * unchanged.
 */
am_status am_contraction_renumber(am_contraction *c, const int32_t *order,
                                  int threads, am_error *err);

/* Accepts NULL. */
void am_contraction_destroy(am_contraction *c);

#endif /* AM_CONTRACT_H */
