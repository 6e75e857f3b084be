/*
 * nearest.c: multi-source Dijkstra with lexicographic labels (see
 * nearest.h).
 *
 * Dijkstra (1959) from all sources at once on the reverse graph. A label is
 * the pair (time, source); pairs are compared lexicographically. Adding an
 * arc's time to both members of a pair keeps their order, so Dijkstra's
 * invariant holds for pairs as for times: when a node is popped with the
 * smallest pair in the heap, its label is final, and it equals
 * min_j (t(v -> j) + offset_j, j). The heap is keyed on (time, source,
 * node), which makes the pop order a pure function of the labels.
 *
 * The queue is Dial's bucket queue on whole deciseconds (Dial 1969,
 * "Algorithm 360: shortest-path forest with topological ordering", CACM
 * 12(11):632-633), dial.h, shared with search.c: bucket t holds, in a doubly
 * linked list, the nodes whose tentative time is t, and a bitmap of non-empty
 * buckets finds the next one. Within a bucket the pop order is arbitrary, so a
 * node may be popped with (t, s) and later, through a zero-time arc from a node
 * of the same bucket with a lower source, improved to (t, s' < s): it is
 * then queued again in bucket t and scanned again (label correcting within
 * one time). Sources only decrease, so this stops, and the final labels are
 * the unique minimal pairs: bit for bit those of the heap, whatever the pop
 * order. Limits of AM_SEARCH_BUCKETS deciseconds or more use the indexed
 * binary heap keyed on (time, source, node) instead.
 *
 * Arcs are read from the graph's packed array when it has one (graph.h),
 * and a node's arcs are prefetched when it is queued (a hint: no effect on
 * results; 16 % less CPU time on region M, docs/benchmarks.md).
 *
 * Only labels <= limit_ds are created, so every node that enters the queue
 * is settled and the queue empties by itself. Times never overflow: a label
 * is <= limit_ds < AM_TIME_INF and an arc time < AM_TIME_INF = 2^31 - 1.
 */
#include "kernels/nearest.h"

#include <stdlib.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/dial.h"
#include "kernels/parallel.h"
#include "kernels/search.h"

typedef struct lex_heap {
    const uint32_t *t; /* labels: time */
    const int32_t *s;  /*         source */
    int32_t *heap;     /* node ids */
    int32_t *pos;      /* [n] position in heap, -1 if not in it */
    int32_t n;
} lex_heap;

static inline int lex_less(const lex_heap *h, int32_t a, int32_t b)
{
    if (h->t[a] != h->t[b])
        return h->t[a] < h->t[b];
    if (h->s[a] != h->s[b])
        return h->s[a] < h->s[b];
    return a < b;
}

static inline void lex_up(lex_heap *h, int32_t i)
{
    int32_t v = h->heap[i];
    while (i > 0) {
        int32_t parent = (i - 1) / 2;
        int32_t p = h->heap[parent];
        if (!lex_less(h, v, p))
            break;
        h->heap[i] = p;
        h->pos[p] = i;
        i = parent;
    }
    h->heap[i] = v;
    h->pos[v] = i;
}

static inline void lex_down(lex_heap *h, int32_t i)
{
    int32_t v = h->heap[i];
    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && lex_less(h, h->heap[c + 1], h->heap[c]))
            c++;
        if (!lex_less(h, h->heap[c], v))
            break;
        h->heap[i] = h->heap[c];
        h->pos[h->heap[i]] = i;
        i = c;
    }
    h->heap[i] = v;
    h->pos[v] = i;
}

/* v's label was just lowered: insert it or move it up. */
static inline void lex_push_or_raise(lex_heap *h, int32_t v)
{
    if (h->pos[v] < 0) {
        h->heap[h->n] = v;
        h->pos[v] = h->n++;
    }
    lex_up(h, h->pos[v]);
}

static inline int32_t lex_pop(lex_heap *h)
{
    int32_t top = h->heap[0];
    h->pos[top] = -1;
    if (--h->n > 0) {
        h->heap[0] = h->heap[h->n];
        h->pos[h->heap[0]] = 0;
        lex_down(h, 0);
    }
    return top;
}

/* (t, s) < (node's label)? */
static inline int better(uint32_t t, int32_t s, uint32_t tv, int32_t sv)
{
    return t < tv || (t == tv && s < sv);
}

/* The heap search from the seeded labels (limits beyond the buckets). */
static am_status nearest_heap(const am_graph *g_rev, const int32_t *seeds,
                              int32_t n_seeds, uint32_t limit_ds,
                              uint32_t *node_time_ds, int32_t *node_src)
{
    const int32_t n = g_rev->n_nodes;
    lex_heap h = {node_time_ds, node_src, NULL, NULL, 0};
    h.heap = am_alloc_array((size_t)n, sizeof *h.heap);
    h.pos = am_alloc_array((size_t)n, sizeof *h.pos);
    if (h.heap == NULL || h.pos == NULL) {
        am_free(h.heap);
        am_free(h.pos);
        return AM_ERR_NOMEM;
    }
    for (int32_t v = 0; v < n; v++)
        h.pos[v] = -1;
    for (int32_t i = 0; i < n_seeds; i++)
        if (h.pos[seeds[i]] < 0)
            lex_push_or_raise(&h, seeds[i]);
    const int64_t *first_out = g_rev->first_out;
    const int32_t *head = g_rev->head;
    const uint32_t *arc_ds = g_rev->time_ds;
    while (h.n > 0) {
        const int32_t u = lex_pop(&h);
        const uint32_t tu = node_time_ds[u];
        const int32_t su = node_src[u];
        for (int64_t a = first_out[u]; a < first_out[u + 1]; a++) {
            const uint32_t t = tu + arc_ds[a];
            const int32_t v = head[a];
            if (t <= limit_ds && better(t, su, node_time_ds[v], node_src[v])) {
                node_time_ds[v] = t;
                node_src[v] = su;
                lex_push_or_raise(&h, v);
            }
        }
    }
    am_free(h.heap);
    am_free(h.pos);
    return AM_OK;
}

/* A node's label and its place in its bucket's list (q.prev -2: not
 * queued), in one 16-byte record so that a relaxation touches one cache
 * line. The queue is Dial's buckets over [0, limit_ds] (dial.h); nd[-1]
 * is its dummy record. */
typedef struct lex_node {
    uint32_t t; /* time */
    int32_t s;  /* source */
    am_dial_link q;
} lex_node;

/* The bucket loop: pops until the queue is empty, reading arcs from the
 * packed array arc (packed != 0) or from head and arc_ds. Always inlined
 * with a constant `packed`, so each caller gets a loop of its own. */
static inline __attribute__((always_inline)) void
nearest_loop(lex_node *nd, int32_t *bucket, uint64_t *occ, uint32_t b,
             int32_t queued, uint32_t limit_ds, const int64_t *first_out,
             const am_arc *arc, const int32_t *head, const uint32_t *arc_ds,
             int packed)
{
    while (queued > 0) {
        int32_t u;
        AM_DIAL_POP(nd, bucket, occ, b, u);
        nd[u].q.prev = -2;
        queued--;
        const int32_t su = nd[u].s;
        const int64_t end = first_out[u + 1];
        for (int64_t a = first_out[u]; a < end; a++) {
            const uint32_t t = b + (packed ? arc[a].time_ds : arc_ds[a]);
            const int32_t v = packed ? arc[a].head : head[a];
            const uint32_t tv = nd[v].t;
            if (t > limit_ds || t > tv)
                continue;
            if (t < tv) {
                if (tv == AM_TIME_INF)
                    queued++;
                else
                    AM_DIAL_REMOVE(nd, bucket, occ, v, tv);
                nd[v].t = t;
                nd[v].s = su;
                AM_DIAL_PUSH(nd, bucket, occ, v, t);
                /* v's arcs, read when v is popped (a hint, as in
                 * search.c) */
                if (packed)
                    __builtin_prefetch(&arc[first_out[v]]);
            } else if (su < nd[v].s) { /* same time, lower source */
                nd[v].s = su;
                if (nd[v].q.prev == -2) { /* popped: t == b, zero arc */
                    AM_DIAL_PUSH(nd, bucket, occ, v, t);
                    queued++;
                }
            }
        }
    }
}

/* The bucket search from the seeded labels (read from and written back to
 * node_time_ds / node_src). */
static am_status nearest_buckets(const am_graph *g_rev, const int32_t *seeds,
                                 int32_t n_seeds, uint32_t limit_ds,
                                 uint32_t *node_time_ds, int32_t *node_src)
{
    const int32_t n = g_rev->n_nodes;
    lex_node *nd_mem = am_alloc_array((size_t)n + 1, sizeof *nd_mem);
    am_dial q = {NULL, NULL, 0};
    if (nd_mem == NULL || am_dial_init(&q, limit_ds + 1) != AM_OK) {
        am_free(nd_mem);
        am_dial_free(&q);
        return AM_ERR_NOMEM;
    }
    lex_node *nd = nd_mem + 1;
    int32_t *bucket = q.bucket;
    uint64_t *occ = q.occ;
    nd[-1] = (lex_node){AM_TIME_INF, -1, {-1, -2}};
    for (int32_t v = 0; v < n; v++)
        nd[v] = (lex_node){node_time_ds[v], node_src[v], {-1, -2}};
    uint32_t b = AM_TIME_INF;
    int32_t queued = 0;
    for (int32_t i = 0; i < n_seeds; i++) {
        const int32_t v = seeds[i];
        if (nd[v].q.prev == -2) {
            const uint32_t tv = nd[v].t;
            AM_DIAL_PUSH(nd, bucket, occ, v, tv);
            queued++;
            b = nd[v].t < b ? nd[v].t : b;
        }
    }
    if (g_rev->arc != NULL)
        nearest_loop(nd, bucket, occ, b, queued, limit_ds, g_rev->first_out,
                     g_rev->arc, NULL, NULL, 1);
    else
        nearest_loop(nd, bucket, occ, b, queued, limit_ds, g_rev->first_out,
                     NULL, g_rev->head, g_rev->time_ds, 0);
    for (int32_t v = 0; v < n; v++) {
        node_time_ds[v] = nd[v].t;
        node_src[v] = nd[v].s;
    }
    am_free(nd_mem);
    am_dial_free(&q);
    return AM_OK;
}

am_status am_nearest_nodes(const am_graph *g_rev, int32_t n_src,
                           const int32_t *src_node,
                           const uint32_t *src_offset_ds, uint32_t limit_ds,
                           uint32_t *node_time_ds, int32_t *node_src,
                           am_error *err)
{
    if (g_rev == NULL || n_src < 0 || (n_src > 0 && src_node == NULL) ||
        (g_rev->n_nodes > 0 && (node_time_ds == NULL || node_src == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "nearest search: NULL argument");
    const int32_t n = g_rev->n_nodes;
    for (int64_t l = 0; l < 2 * (int64_t)n_src; l++) {
        if (src_node[l] >= n) {
            const int32_t j = (int32_t)(l / 2);
            am_status rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                        "nearest search: source %ld linked to "
                                        "node %ld, graph has %ld nodes",
                                        (long)j, (long)src_node[l], (long)n);
            am_error_set_feature(err, j);
            return rc;
        }
    }
    if (limit_ds >= AM_TIME_INF)
        limit_ds = AM_TIME_INF - 1;

    for (int32_t v = 0; v < n; v++) {
        node_time_ds[v] = AM_TIME_INF;
        node_src[v] = -1;
    }
    /* Seed labels; the nodes seeded (once each) go in seeds[]. */
    int32_t *seeds = am_alloc_array(2 * (size_t)n_src + 1, sizeof *seeds);
    if (seeds == NULL)
        goto nomem;
    int32_t n_seeds = 0;
    for (int64_t l = 0; l < 2 * (int64_t)n_src; l++) {
        const int32_t j = (int32_t)(l / 2);
        const int32_t v = src_node[l];
        const uint32_t t = src_offset_ds != NULL ? src_offset_ds[l] : 0;
        if (v < 0 || t > limit_ds)
            continue;
        if (node_time_ds[v] == AM_TIME_INF)
            seeds[n_seeds++] = v;
        if (better(t, j, node_time_ds[v], node_src[v])) {
            node_time_ds[v] = t;
            node_src[v] = j;
        }
    }
    am_status rc = limit_ds < AM_SEARCH_BUCKETS
                       ? nearest_buckets(g_rev, seeds, n_seeds, limit_ds,
                                         node_time_ds, node_src)
                       : nearest_heap(g_rev, seeds, n_seeds, limit_ds,
                                      node_time_ds, node_src);
    am_free(seeds);
    if (rc == AM_OK)
        return AM_OK;
nomem:
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "out of memory for a search over %ld nodes", (long)n);
}

am_status am_nearest_cells(const am_demand *d, const uint32_t *node_time_ds,
                           const int32_t *node_src, uint32_t limit_ds,
                           int n_threads, uint32_t *time_ds, int32_t *facility,
                           am_error *err)
{
    if (d == NULL ||
        (d->n_cells > 0 && (node_time_ds == NULL || node_src == NULL ||
                            time_ds == NULL || facility == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "nearest: NULL argument");
    const int nt = am_parallel_threads(n_threads);
    const int32_t n_cells = d->n_cells;
#pragma omp parallel for schedule(static) num_threads(nt) default(none)        \
    shared(d, node_time_ds, node_src, limit_ds, time_ds, facility, n_cells)
    for (int32_t i = 0; i < n_cells; i++) {
        uint32_t t = AM_TIME_INF;
        int32_t j = -1;
        for (int k = 0; k < AM_DEMAND_LINKS; k++) {
            const int32_t v = d->link_node[AM_DEMAND_LINKS * i + k];
            if (v < 0 || node_time_ds[v] == AM_TIME_INF)
                continue;
            const uint32_t tk =
                d->link_offset_ds[AM_DEMAND_LINKS * i + k] + node_time_ds[v];
            if (tk <= limit_ds &&
                better(tk, node_src[v], t, j < 0 ? INT32_MAX : j)) {
                t = tk;
                j = node_src[v];
            }
        }
        time_ds[i] = t;
        facility[i] = j;
    }
    return AM_OK;
}
