/*
 * search.c: bounded multi-seed Dijkstra on a CSR graph (see search.h).
 *
 * Why: every catchment is "all nodes within limit_ds of a facility"; with
 * thousands of facilities on a graph of millions of nodes, a search must cost
 * time proportional to what it reaches, not to the graph size.
 *
 * Algorithm: Dijkstra (1959), "A note on two problems in connexion with
 * graphs", Numerische Mathematik 1:269-271, with an indexed binary min-heap
 * (decrease-key through a position array) keyed on (time, node id). Seeds are
 * inserted with their start times; a label is only ever created if it is
 * <= limit_ds, so every node that enters the heap is settled and the heap
 * empties by itself: the touched list is exactly the reached set.
 *
 * Workspace (RoutingKit's habit): dist[] and pos[] of n_nodes are allocated
 * once and kept at "INF / not in heap"; a run first resets only the nodes the
 * previous run touched, so a small search on a big graph stays small. The
 * reached nodes are then sorted by id with an LSD radix sort (8-bit digits,
 * only as many passes as n_nodes needs) into preallocated buffers: results
 * are ascending by node id whatever the heap's tie-breaking.
 *
 * Invariants between runs: dist[v] < AM_TIME_INF  iff  v is in touched[0..n);
 * pos[v] = -1 for all v (the heap is empty). Times never overflow: a label is
 * <= limit_ds <= AM_TIME_INF and an arc time < AM_TIME_INF = 2^31 - 1, so
 * their sum fits in uint32_t.
 *
 * Allocation: only in am_search_create. Not thread-safe on one workspace.
 */
#include "kernels/search.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"

struct am_search {
    int32_t cap;    /* largest graph (n_nodes) this workspace serves */
    uint32_t *dist; /* [cap] tentative / final time, INF if untouched */
    int32_t *pos;   /* [cap] position in heap, -1 if not in it */
    int32_t *heap;  /* [cap] binary min-heap of node ids */
    int32_t heap_n;
    int32_t *touched; /* [cap] nodes touched; sorted ascending after run */
    int32_t n_touched;
    int32_t *tmp;       /* [cap] radix sort scratch */
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
    s->dist = am_alloc_array(n, sizeof *s->dist);
    s->pos = am_alloc_array(n, sizeof *s->pos);
    s->heap = am_alloc_array(n, sizeof *s->heap);
    s->touched = am_alloc_array(n, sizeof *s->touched);
    s->tmp = am_alloc_array(n, sizeof *s->tmp);
    s->res_time = am_alloc_array(n, sizeof *s->res_time);
    if (s->dist == NULL || s->pos == NULL || s->heap == NULL ||
        s->touched == NULL || s->tmp == NULL || s->res_time == NULL) {
        am_search_destroy(s);
        return AM_ERR_NOMEM;
    }
    for (size_t v = 0; v < n; v++) {
        s->dist[v] = AM_TIME_INF;
        s->pos[v] = -1;
    }
    *out = s;
    return AM_OK;
}

void am_search_destroy(am_search *s)
{
    if (s == NULL)
        return;
    am_free(s->dist);
    am_free(s->pos);
    am_free(s->heap);
    am_free(s->touched);
    am_free(s->tmp);
    am_free(s->res_time);
    am_free(s);
}

/* ---- indexed binary heap keyed on (dist, node) ------------------------- */

static inline int heap_less(const am_search *s, int32_t a, int32_t b)
{
    uint32_t da = s->dist[a], db = s->dist[b];
    return da < db || (da == db && a < b);
}

static inline void heap_up(am_search *s, int32_t i)
{
    int32_t v = s->heap[i];
    while (i > 0) {
        int32_t parent = (i - 1) / 2;
        int32_t p = s->heap[parent];
        if (!heap_less(s, v, p))
            break;
        s->heap[i] = p;
        s->pos[p] = i;
        i = parent;
    }
    s->heap[i] = v;
    s->pos[v] = i;
}

static inline void heap_down(am_search *s, int32_t i)
{
    int32_t v = s->heap[i];
    int32_t n = s->heap_n;
    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(s, s->heap[c + 1], s->heap[c]))
            c++;
        if (!heap_less(s, s->heap[c], v))
            break;
        s->heap[i] = s->heap[c];
        s->pos[s->heap[i]] = i;
        i = c;
    }
    s->heap[i] = v;
    s->pos[v] = i;
}

/* Lowers v's label to t (t < dist[v]), inserting v if new. */
static inline void relax(am_search *s, int32_t v, uint32_t t)
{
    if (s->dist[v] == AM_TIME_INF)
        s->touched[s->n_touched++] = v;
    s->dist[v] = t;
    if (s->pos[v] < 0) {
        s->heap[s->heap_n] = v;
        s->pos[v] = s->heap_n;
        s->heap_n++;
    }
    heap_up(s, s->pos[v]);
}

static inline int32_t heap_pop(am_search *s)
{
    int32_t top = s->heap[0];
    s->pos[top] = -1;
    s->heap_n--;
    if (s->heap_n > 0) {
        s->heap[0] = s->heap[s->heap_n];
        s->pos[s->heap[0]] = 0;
        heap_down(s, 0);
    }
    return top;
}

/* ---- result ordering ---------------------------------------------------- */

/*
 * Sorts a[0..n) (non-negative ids < bound) ascending, LSD radix on 8-bit
 * digits with tmp[0..n) as scratch; only as many passes as bound needs.
 */
static void radix_sort_ids(int32_t *a, int32_t *tmp, int32_t n, int32_t bound)
{
    if (n < 2)
        return;
    if (n <= 32) { /* insertion sort: cheaper than counting passes */
        for (int32_t i = 1; i < n; i++) {
            int32_t x = a[i], j = i;
            while (j > 0 && a[j - 1] > x) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    int32_t *src = a, *dst = tmp;
    for (int shift = 0; shift < 32 && ((uint32_t)(bound - 1) >> shift) != 0;
         shift += 8) {
        int32_t count[257];
        memset(count, 0, sizeof count);
        for (int32_t i = 0; i < n; i++)
            count[(((uint32_t)src[i] >> shift) & 0xFFu) + 1]++;
        for (int k = 0; k < 256; k++)
            count[k + 1] += count[k];
        for (int32_t i = 0; i < n; i++)
            dst[count[((uint32_t)src[i] >> shift) & 0xFFu]++] = src[i];
        int32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, (size_t)n * sizeof *a);
}

/* ---- the search --------------------------------------------------------- */

int32_t am_search_run(am_search *s, const am_graph *g, int32_t n_seeds,
                      const int32_t *seed_node, const uint32_t *seed_time_ds,
                      uint32_t limit_ds)
{
    if (s == NULL)
        return -1;
    /* Reset what the previous run touched (its heap is already empty). */
    for (int32_t i = 0; i < s->n_touched; i++)
        s->dist[s->touched[i]] = AM_TIME_INF;
    s->n_touched = 0;
    s->heap_n = 0;

    /* A graph larger than the workspace is a caller bug: say so. */
    if (g == NULL || g->n_nodes > s->cap)
        return -1;
    if (limit_ds > AM_TIME_INF)
        limit_ds = AM_TIME_INF;

    const int32_t n = g->n_nodes;
    for (int32_t i = 0; i < n_seeds; i++) {
        int32_t v = seed_node[i];
        uint32_t t = seed_time_ds[i];
        if (v < 0 || v >= n || t > limit_ds || t >= AM_TIME_INF)
            continue;
        if (t < s->dist[v])
            relax(s, v, t);
    }

    const int64_t *first_out = g->first_out;
    const int32_t *head = g->head;
    const uint32_t *time_ds = g->time_ds;
    while (s->heap_n > 0) {
        int32_t u = heap_pop(s);
        uint32_t du = s->dist[u];
        for (int64_t a = first_out[u]; a < first_out[u + 1]; a++) {
            uint32_t t = du + time_ds[a];
            int32_t v = head[a];
            if (t <= limit_ds && t < s->dist[v])
                relax(s, v, t);
        }
    }

    radix_sort_ids(s->touched, s->tmp, s->n_touched, n);
    for (int32_t i = 0; i < s->n_touched; i++)
        s->res_time[i] = s->dist[s->touched[i]];
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
    return s->dist[v];
}
