/*
 * search.c: bounded multi-seed Dijkstra on a CSR graph (see search.h).
 *
 * Why: every catchment is "all nodes within limit_ds of a facility"; with
 * thousands of facilities on a graph of millions of nodes, a search must cost
 * time proportional to what it reaches, not to the graph size, and as little
 * as possible per node it reaches.
 *
 * Algorithm: Dijkstra (1959), "A note on two problems in connexion with
 * graphs", Numerische Mathematik 1:269-271, with Dial's bucket queue (Dial
 * 1969, "Algorithm 360: shortest-path forest with topological ordering",
 * CACM 12(11):632-633): times are whole deciseconds, so the queue is an array
 * of buckets indexed by time, bucket t holding the nodes whose tentative time
 * is t in a doubly linked list threaded through the nodes (decrease-key is an
 * unlink and a link, O(1); the queue is dial.h, shared with nearest.c). The
 * buckets are scanned in increasing t from the smallest seed time; every node
 * popped from bucket t has its final time t (arc times are >= 0, so relaxing it
 * only adds to buckets >= t; a zero-time arc adds to bucket t itself, which is
 * drained until empty). A label is only ever created if it is <= limit_ds, so
 * the buckets span [0, limit_ds], every node that enters the queue is settled,
 * and the scan stops as soon as the queue is empty: the cost is O(reached nodes
 * + their arcs + the time span scanned), never O(graph). Arcs are read from
 * the graph's packed array (head and time side by side, graph.h: one cache
 * line per node's arcs instead of two) when it has one; a node's arcs are
 * prefetched when it is queued, long before it is popped, so their cache
 * misses overlap the work in between (a hint only: no effect on results;
 * on region M this measured 7-11 % more settled nodes per CPU second than
 * prefetching, at each pop, only the arcs of the next node in the same
 * bucket, which the unpacked graph still does; docs/benchmarks.md).
 *
 * The bucket array (AM_SEARCH_BUCKETS heads) is allocated zeroed by calloc
 * and stores node + 1 (0: empty), so only the pages a search's time span
 * touches are ever resident. A limit beyond it (hours of travel) falls back
 * to an indexed binary heap keyed on (time, node), the previous kernel, which
 * reuses the same per-node arrays.
 *
 * Per-node state is one 12-byte record (time, next, prev), so a relaxation
 * touches one cache line of the head node. Nodes are settled in time order;
 * results are then put in ascending node id, whichever is cheaper for this
 * search: a bitmap over [min id, max id] read word by word (cost span / 64 +
 * reached), or the shared LSD radix sort (radix.h: 8-bit digits, those
 * equal in every id skipped) of the touched list. Either way the order is a
 * pure function of the reached set, so results do not depend on queue order.
 *
 * Workspace (RoutingKit's habit): the state of n_nodes nodes is allocated
 * once and kept at "INF"; a run resets only the nodes it touched, as it
 * reads their times out into the result, so a small search on a big graph
 * stays small.
 *
 * Invariants between runs: st[v].dist = AM_TIME_INF for every v (the
 * result is touched[0..n) with res_time); every bucket head is 0 (empty);
 * bitmap all zero. Times never
 * overflow: a label is <= limit_ds <= AM_TIME_INF and an arc time <
 * AM_TIME_INF = 2^31 - 1, so their sum fits in uint32_t.
 *
 * Allocation: only in am_search_create. Not thread-safe on one workspace.
 */
#include "kernels/search.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/dial.h"
#include "kernels/radix.h"

/* One node's search state: tentative time and its bucket list links
 * (heap fallback: prev is the heap position). */
typedef struct node_state {
    uint32_t dist;  /* AM_TIME_INF if untouched */
    am_dial_link q; /* its bucket's list (heap: q.prev is its position) */
} node_state;

struct am_search {
    int32_t cap;        /* largest graph (n_nodes) this workspace serves */
    node_state *st_mem; /* [cap + 1]: a dummy record, then the nodes' */
    node_state *st;     /* st_mem + 1, so st[-1] is the dummy */
    am_dial queue;      /* AM_SEARCH_BUCKETS buckets */
    uint64_t *bits;     /* [cap / 64 + 1] result bitmap, all zero */
    int32_t *touched;   /* [cap] nodes touched; ascending after run */
    int32_t n_touched;
    int32_t *tmp;       /* [cap] radix scratch; the heap in the fallback */
    uint32_t *res_time; /* [cap] times of touched[] after run */
};

am_status am_search_create(int32_t n_nodes, am_search **out)
{
    if (out == NULL)
        return AM_ERR_INVALID;
    *out = NULL;
    if (n_nodes < 0)
        return AM_ERR_INVALID;
    am_search *s = am_calloc(1, sizeof *s);
    if (s == NULL)
        return AM_ERR_NOMEM;
    size_t n = (size_t)n_nodes;
    s->cap = n_nodes;
    s->st_mem = am_alloc_array(n + 1, sizeof *s->st_mem);
    s->st = s->st_mem + 1;
    const am_status qrc = am_dial_init(&s->queue, AM_SEARCH_BUCKETS);
    s->bits = am_calloc(n / 64 + 1, sizeof *s->bits);
    s->touched = am_alloc_array(n + 1, sizeof *s->touched);
    s->tmp = am_alloc_array(n + 1, sizeof *s->tmp);
    s->res_time = am_alloc_array(n + 1, sizeof *s->res_time);
    if (s->st_mem == NULL || qrc != AM_OK || s->bits == NULL ||
        s->touched == NULL || s->tmp == NULL || s->res_time == NULL) {
        am_search_destroy(s);
        return AM_ERR_NOMEM;
    }
    for (size_t v = 0; v <= n; v++)
        s->st_mem[v] = (node_state){AM_TIME_INF, {-1, -1}};
    *out = s;
    return AM_OK;
}

void am_search_destroy(am_search *s)
{
    if (s == NULL)
        return;
    am_free(s->st_mem);
    am_dial_free(&s->queue);
    am_free(s->bits);
    am_free(s->touched);
    am_free(s->tmp);
    am_free(s->res_time);
    am_free(s);
}

/* ---- Dial's buckets (dial.h) ------------------------------------------- */

/* The search proper once the seeds are queued, from bucket t0 (the smallest
 * seed time) with `queued` nodes in the buckets; arcs read from the packed
 * array arc (packed != 0) or from head and time_ds. Always inlined with a
 * constant `packed`, so each caller gets a loop of its own. */
static inline __attribute__((always_inline)) void
run_buckets_with(am_search *s, const int64_t *first_out, const am_arc *arc,
                 const int32_t *head, const uint32_t *time_ds, int packed,
                 uint32_t t0, int32_t queued, uint32_t limit_ds)
{
    node_state *st = s->st;
    int32_t *bucket = s->queue.bucket;
    uint64_t *occ = s->queue.occ;
    int32_t *touched = s->touched;
    int32_t n_touched = s->n_touched;
    uint32_t b = t0;
    while (queued > 0) {
        int32_t u;
        AM_DIAL_POP(st, bucket, occ, b, u);
        queued--;
        if (!packed) {
            /* The next node in this bucket is popped next: start loading
             * its arcs now (u's own when it was the last). */
            const int32_t nx = st[u].q.next;
            const int64_t next_arcs = first_out[nx < 0 ? u : nx];
            __builtin_prefetch(&head[next_arcs]);
            __builtin_prefetch(&time_ds[next_arcs]);
        }
        const int64_t end = first_out[u + 1];
        for (int64_t a = first_out[u]; a < end; a++) {
            const uint32_t t = b + (packed ? arc[a].time_ds : time_ds[a]);
            const int32_t v = packed ? arc[a].head : head[a];
            if (t <= limit_ds && t < st[v].dist) {
                if (st[v].dist == AM_TIME_INF) {
                    touched[n_touched++] = v;
                    queued++;
                } else {
                    const uint32_t tv = st[v].dist;
                    AM_DIAL_REMOVE(st, bucket, occ, v, tv);
                }
                st[v].dist = t;
                AM_DIAL_PUSH(st, bucket, occ, v, t);
                /* v's arcs (packed), or their offsets, read when v is
                 * popped (a hint) */
                if (packed)
                    __builtin_prefetch(&arc[first_out[v]]);
                else
                    __builtin_prefetch(&first_out[v]);
            }
        }
    }
    s->n_touched = n_touched;
}

static void run_buckets(am_search *s, const am_graph *g, uint32_t t0,
                        int32_t queued, uint32_t limit_ds)
{
    if (g->arc != NULL)
        run_buckets_with(s, g->first_out, g->arc, NULL, NULL, 1, t0, queued,
                         limit_ds);
    else
        run_buckets_with(s, g->first_out, NULL, g->head, g->time_ds, 0, t0,
                         queued, limit_ds);
}

/* ---- fallback: indexed binary heap keyed on (dist, node) ----------------- */

static inline int heap_less(const node_state *st, int32_t a, int32_t b)
{
    return st[a].dist < st[b].dist || (st[a].dist == st[b].dist && a < b);
}

static inline void heap_up(node_state *st, int32_t *heap, int32_t i)
{
    const int32_t v = heap[i];
    while (i > 0) {
        const int32_t parent = (i - 1) / 2, p = heap[parent];
        if (!heap_less(st, v, p))
            break;
        heap[i] = p;
        st[p].q.prev = i;
        i = parent;
    }
    heap[i] = v;
    st[v].q.prev = i;
}

static inline void heap_down(node_state *st, int32_t *heap, int32_t n,
                             int32_t i)
{
    const int32_t v = heap[i];
    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(st, heap[c + 1], heap[c]))
            c++;
        if (!heap_less(st, heap[c], v))
            break;
        heap[i] = heap[c];
        st[heap[i]].q.prev = i;
        i = c;
    }
    heap[i] = v;
    st[v].q.prev = i;
}

/* The search with the seeds (touched[0..n_touched), all queued) in a heap:
 * for limits beyond the bucket array. */
static void run_heap(am_search *s, const am_graph *g, uint32_t limit_ds)
{
    node_state *st = s->st;
    int32_t *heap = s->tmp;
    int32_t heap_n = 0;
    for (int32_t i = 0; i < s->n_touched; i++) {
        heap[heap_n] = s->touched[i];
        heap_up(st, heap, heap_n++);
    }
    const int64_t *first_out = g->first_out;
    const int32_t *head = g->head;
    const uint32_t *time_ds = g->time_ds;
    while (heap_n > 0) {
        const int32_t u = heap[0];
        if (--heap_n > 0) {
            heap[0] = heap[heap_n];
            heap_down(st, heap, heap_n, 0);
        }
        const uint32_t du = st[u].dist;
        for (int64_t a = first_out[u]; a < first_out[u + 1]; a++) {
            const uint32_t t = du + time_ds[a];
            const int32_t v = head[a];
            if (t <= limit_ds && t < st[v].dist) {
                int32_t i;
                if (st[v].dist == AM_TIME_INF) {
                    s->touched[s->n_touched++] = v;
                    i = heap_n++;
                    heap[i] = v;
                } else {
                    i = st[v].q.prev; /* still in the heap: not settled */
                }
                st[v].dist = t;
                heap_up(st, heap, i);
            }
        }
    }
}

/* ---- result ordering ----------------------------------------------------- */

/* Puts touched[0..n) in ascending order, through the bitmap when the span
 * of ids is small next to n, else by radix sort. */
static void sort_touched(am_search *s)
{
    int32_t *a = s->touched;
    const int32_t n = s->n_touched;
    if (n < 2)
        return;
    int32_t lo = a[0], hi = a[0];
    for (int32_t i = 1; i < n; i++) {
        lo = a[i] < lo ? a[i] : lo;
        hi = a[i] > hi ? a[i] : hi;
    }
    const int64_t words = (hi >> 6) - (lo >> 6) + 1;
    if (n <= AM_RADIX_SMALL || words > 2 * (int64_t)n) {
        int64_t hist[AM_RADIX_DIGITS];
        if (am_radix_sort_u32(n, (uint32_t *)a, NULL, (uint32_t *)s->tmp, NULL,
                              1, hist) != 0)
            memcpy(a, s->tmp, (size_t)n * sizeof *a);
        return;
    }
    uint64_t *bits = s->bits;
    for (int32_t i = 0; i < n; i++)
        bits[a[i] >> 6] |= (uint64_t)1 << (a[i] & 63);
    int32_t k = 0;
    for (int32_t w = lo >> 6; w <= hi >> 6; w++) {
        uint64_t x = bits[w];
        if (x == 0)
            continue;
        bits[w] = 0;
        do {
            a[k++] = (w << 6) + __builtin_ctzll(x);
            x &= x - 1;
        } while (x != 0);
    }
}

/* ---- the search ---------------------------------------------------------- */

int32_t am_search_run(am_search *s, const am_graph *g, int32_t n_seeds,
                      const int32_t *seed_node, const uint32_t *seed_time_ds,
                      uint32_t limit_ds)
{
    if (s == NULL)
        return -1;
    /* The previous run left every node at INF and its queue empty. */
    s->n_touched = 0;

    /* A graph larger than the workspace is a caller bug: say so. */
    if (g == NULL || g->n_nodes > s->cap)
        return -1;
    if (limit_ds > AM_TIME_INF)
        limit_ds = AM_TIME_INF;

    const int32_t n = g->n_nodes;
    const int buckets = limit_ds < AM_SEARCH_BUCKETS;
    node_state *st = s->st;
    uint32_t t0 = AM_TIME_INF;
    int32_t queued = 0;
    for (int32_t i = 0; i < n_seeds; i++) {
        const int32_t v = seed_node[i];
        const uint32_t t = seed_time_ds[i];
        if (v < 0 || v >= n || t > limit_ds || t >= st[v].dist)
            continue;
        if (st[v].dist == AM_TIME_INF) {
            s->touched[s->n_touched++] = v;
            queued++;
        } else if (buckets) {
            const uint32_t tv = st[v].dist;
            AM_DIAL_REMOVE(st, s->queue.bucket, s->queue.occ, v, tv);
        }
        st[v].dist = t;
        if (buckets)
            AM_DIAL_PUSH(st, s->queue.bucket, s->queue.occ, v, t);
        t0 = t < t0 ? t : t0;
    }
    if (buckets)
        run_buckets(s, g, t0, queued, limit_ds);
    else
        run_heap(s, g, limit_ds);

    sort_touched(s);
    /* Read out the times and reset the nodes in the same pass (one visit
     * of each record instead of two: the reset no longer waits for the
     * next run, when the records have left the cache). */
    for (int32_t i = 0; i < s->n_touched; i++) {
        const int32_t v = s->touched[i];
        s->res_time[i] = st[v].dist;
        st[v].dist = AM_TIME_INF;
    }
    return s->n_touched;
}

void am_search_result(const am_search *s, const int32_t **nodes,
                      const uint32_t **times_ds)
{
    if (nodes != NULL)
        *nodes = s->touched;
    if (times_ds != NULL)
        *times_ds = s->res_time;
}

uint32_t am_search_time(const am_search *s, int32_t v)
{
    if (s == NULL || v < 0 || v >= s->cap)
        return AM_TIME_INF;
    /* binary search of the result (ascending node ids) */
    int32_t lo = 0, hi = s->n_touched;
    while (lo < hi) {
        const int32_t mid = lo + (hi - lo) / 2;
        if (s->touched[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_touched && s->touched[lo] == v ? s->res_time[lo]
                                                    : AM_TIME_INF;
}
