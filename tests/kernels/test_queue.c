/*
 * test_queue.c: the bucket queue of the search kernels (kernels/search.c,
 * kernels/nearest.c) at its edges, against Bellman-Ford (1958) written here
 * as an independent oracle: limit 0 and AM_TIME_INF (the heap fallback),
 * limits on both sides of AM_SEARCH_BUCKETS, zero-time arcs, arc times near
 * AM_TIME_INF, seeds with equal times, duplicated and beyond the limit,
 * graphs of 0 and 1 node; lexicographic (time, source) labels with ties
 * through zero-time arcs; the shared queue (kernels/dial.h) alone against
 * a sorted list; and catchments byte-identical for 1, 2, 3 and 8 threads,
 * each row equal to a single search whatever the work order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thread_counts.h"

#include "common/units.h"
#include "kernels/catchment.h"
#include "kernels/dial.h"
#include "kernels/graph.h"
#include "kernels/nearest.h"
#include "kernels/search.h"

static uint64_t rng_state;
static uint32_t rng_next(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

typedef struct arcs {
    int32_t n;
    int64_t m;
    int32_t *tail, *head;
    uint32_t *time;
} arcs;

/* Random graph: local arcs and some long ones; times drawn by `kind`:
 * 0: 0..3 (many ties and zero arcs), 1: 0..400, 2: mostly near
 * AM_TIME_INF, some small. */
static arcs random_arcs(int32_t n, int64_t m, int kind)
{
    arcs a = {n, m, malloc((size_t)m * sizeof(int32_t) + 1),
              malloc((size_t)m * sizeof(int32_t) + 1),
              malloc((size_t)m * sizeof(uint32_t) + 1)};
    assert_non_null(a.tail);
    assert_non_null(a.head);
    assert_non_null(a.time);
    for (int64_t e = 0; e < m; e++) {
        a.tail[e] = (int32_t)(rng_next() % (uint32_t)n);
        if (rng_next() % 6 == 0)
            a.head[e] = (int32_t)(rng_next() % (uint32_t)n);
        else
            a.head[e] = (a.tail[e] + 1 + (int32_t)(rng_next() % 9)) % n;
        switch (kind) {
        case 0:
            a.time[e] = rng_next() % 4;
            break;
        case 1:
            a.time[e] = rng_next() % 401;
            break;
        default:
            a.time[e] = rng_next() % 3 == 0
                            ? rng_next() % 50
                            : AM_TIME_INF - 1 - rng_next() % 1000;
            break;
        }
    }
    return a;
}

static void free_arcs(arcs *a)
{
    free(a->tail);
    free(a->head);
    free(a->time);
}

/* Bellman-Ford from (seed, start time) pairs: d[v] the shortest time
 * (uint64, UINT64_MAX unreached), src[v] the lowest seed label j among those
 * at that time when seed_src is given (pairs compared lexicographically).
 * Only seeds with time <= limit count, as in the kernels. */
static void bellman_ford(const arcs *a, int32_t n_seeds, const int32_t *seed,
                         const uint32_t *seed_t, const int32_t *seed_src,
                         uint64_t limit, uint64_t *d, int32_t *src)
{
    for (int32_t v = 0; v < a->n; v++) {
        d[v] = UINT64_MAX;
        src[v] = INT32_MAX;
    }
    for (int32_t i = 0; i < n_seeds; i++) {
        const int32_t v = seed[i];
        const int32_t j = seed_src != NULL ? seed_src[i] : 0;
        if (v < 0 || v >= a->n || seed_t[i] > limit)
            continue;
        if (seed_t[i] < d[v] || (seed_t[i] == d[v] && j < src[v])) {
            d[v] = seed_t[i];
            src[v] = j;
        }
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (int64_t e = 0; e < a->m; e++) {
            const int32_t u = a->tail[e], v = a->head[e];
            if (d[u] == UINT64_MAX)
                continue;
            const uint64_t t = d[u] + a->time[e];
            if (t > limit)
                continue;
            if (t < d[v] || (t == d[v] && src[u] < src[v])) {
                d[v] = t;
                src[v] = src[u];
                changed = 1;
            }
        }
    }
}

/* The last run of s against the oracle: reached iff d <= limit and d <
 * AM_TIME_INF (a time of exactly AM_TIME_INF is "not reached"), results
 * ascending by node. */
static void expect_oracle(const am_search *s, int32_t got, const arcs *a,
                          const uint64_t *d, uint64_t limit)
{
    const int32_t *nodes;
    const uint32_t *times;
    am_search_result(s, &nodes, &times);
    int32_t k = 0;
    for (int32_t v = 0; v < a->n; v++) {
        if (d[v] <= limit && d[v] < AM_TIME_INF) {
            assert_true(k < got);
            assert_int_equal(nodes[k], v);
            assert_int_equal(times[k], d[v]);
            assert_int_equal(am_search_time(s, v), d[v]);
            k++;
        } else {
            assert_int_equal(am_search_time(s, v), AM_TIME_INF);
        }
    }
    assert_int_equal(k, got);
}

static const uint32_t limits[] = {0,
                                  1,
                                  3,
                                  7,
                                  250,
                                  4000,
                                  AM_SEARCH_BUCKETS - 1,
                                  AM_SEARCH_BUCKETS,
                                  AM_TIME_INF - 2,
                                  AM_TIME_INF - 1,
                                  AM_TIME_INF};
#define N_LIMITS (sizeof limits / sizeof *limits)

static void check_search_random(int kind, uint64_t seed)
{
    rng_state = seed;
    const int32_t n = 300;
    arcs a = random_arcs(n, 1100, kind);
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(n, a.m, a.tail, a.head, a.time, &g, NULL),
                     AM_OK);
    am_search *s = NULL;
    assert_int_equal(am_search_create(n, &s), AM_OK);
    uint64_t *d = malloc((size_t)n * sizeof *d);
    int32_t *src = malloc((size_t)n * sizeof *src);
    assert_non_null(d);
    assert_non_null(src);
    for (int round = 0; round < 40; round++) {
        /* the second half on the packed arcs (graph.h), as the engine */
        if (round == 20) {
            assert_null(g->arc);
            assert_int_equal(am_graph_pack(g, 1, NULL), AM_OK);
            assert_int_equal(am_graph_validate(g, NULL), AM_OK);
        }
        /* 1 to 4 seeds: equal start times, duplicates, out of range. */
        int32_t seeds[4];
        uint32_t st[4];
        const int32_t ns = 1 + (int32_t)(rng_next() % 4);
        for (int32_t i = 0; i < ns; i++) {
            seeds[i] = (int32_t)(rng_next() % (uint32_t)(n + 2)) - 1;
            switch (rng_next() % 4) {
            case 0:
                st[i] = 0;
                break;
            case 1:
                st[i] = i > 0 ? st[i - 1] : 2; /* equal times */
                break;
            case 2:
                st[i] = rng_next() % 10;
                break;
            default:
                st[i] = rng_next() % 2 ? AM_SEARCH_BUCKETS - 1 + rng_next() % 3
                                       : AM_TIME_INF - rng_next() % 3;
                break;
            }
            if (i > 0 && rng_next() % 5 == 0)
                seeds[i] = seeds[0]; /* the same node twice */
        }
        for (size_t li = 0; li < N_LIMITS; li++) {
            const uint32_t lim = limits[li];
            bellman_ford(&a, ns, seeds, st, NULL, lim, d, src);
            const int32_t got = am_search_run(s, g, ns, seeds, st, lim);
            expect_oracle(s, got, &a, d, lim);
        }
    }
    free(d);
    free(src);
    am_search_destroy(s);
    am_graph_destroy(g);
    free_arcs(&a);
}

static void test_search_small_times(void **state)
{
    (void)state;
    check_search_random(0, 7);
}

static void test_search_wide_times(void **state)
{
    (void)state;
    check_search_random(1, 8);
}

static void test_search_huge_times(void **state)
{
    (void)state;
    check_search_random(2, 9);
}

/* Hand cases at the edges of the bucket range. */
static void test_search_edges(void **state)
{
    (void)state;
    /* 0 -> 1 (0 ds), 1 -> 2 (0), 2 -> 0 (0): a zero cycle; 2 -> 3 at
     * AM_TIME_INF - 1; 3 -> 4 at 1 (INF exactly: unreachable); 0 -> 5 at
     * AM_SEARCH_BUCKETS - 1, 5 -> 6 at 1 (AM_SEARCH_BUCKETS: heap). */
    static const int32_t tail[] = {0, 1, 2, 2, 3, 0, 5};
    static const int32_t head[] = {1, 2, 0, 3, 4, 5, 6};
    static const uint32_t time[] = {
        0, 0, 0, AM_TIME_INF - 1, 1, AM_SEARCH_BUCKETS - 1, 1};
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(7, 7, tail, head, time, &g, NULL), AM_OK);
    am_search *s = NULL;
    assert_int_equal(am_search_create(7, &s), AM_OK);
    const int32_t v0 = 0;
    const uint32_t z = 0;

    /* limit 0: the zero cycle only. */
    assert_int_equal(am_search_run(s, g, 1, &v0, &z, 0), 3);
    const int32_t *nodes;
    const uint32_t *times;
    am_search_result(s, &nodes, &times);
    for (int32_t k = 0; k < 3; k++) {
        assert_int_equal(nodes[k], k);
        assert_int_equal(times[k], 0);
    }
    /* AM_SEARCH_BUCKETS - 1 (buckets): node 5 at the last bucket. */
    assert_int_equal(am_search_run(s, g, 1, &v0, &z, AM_SEARCH_BUCKETS - 1), 4);
    assert_int_equal(am_search_time(s, 5), AM_SEARCH_BUCKETS - 1);
    assert_int_equal(am_search_time(s, 6), AM_TIME_INF);
    /* AM_SEARCH_BUCKETS (heap): node 6 too. */
    assert_int_equal(am_search_run(s, g, 1, &v0, &z, AM_SEARCH_BUCKETS), 5);
    assert_int_equal(am_search_time(s, 6), AM_SEARCH_BUCKETS);
    /* AM_TIME_INF: node 3 at INF - 1; node 4 at INF is not reached. */
    assert_int_equal(am_search_run(s, g, 1, &v0, &z, AM_TIME_INF), 6);
    assert_int_equal(am_search_time(s, 3), AM_TIME_INF - 1);
    assert_int_equal(am_search_time(s, 4), AM_TIME_INF);
    /* A seed beyond the limit is ignored, the other one is not. */
    const int32_t two[] = {3, 5};
    const uint32_t two_t[] = {11, 10};
    assert_int_equal(am_search_run(s, g, 2, two, two_t, 10), 1);
    assert_int_equal(am_search_time(s, 5), 10);
    assert_int_equal(am_search_time(s, 3), AM_TIME_INF);
    /* Seeds on one node: the better time wins, in either order. */
    const int32_t same[] = {5, 5, 5};
    const uint32_t same_t[] = {9, 4, 6};
    assert_int_equal(am_search_run(s, g, 3, same, same_t, 5), 2);
    assert_int_equal(am_search_time(s, 5), 4);
    assert_int_equal(am_search_time(s, 6), 5);
    am_search_destroy(s);
    am_graph_destroy(g);
}

static void test_search_tiny_graphs(void **state)
{
    (void)state;
    am_graph *g0 = NULL, *g1 = NULL;
    assert_int_equal(am_graph_build(0, 0, NULL, NULL, NULL, &g0, NULL), AM_OK);
    const int32_t loop_t[] = {0}, loop_h[] = {0};
    const uint32_t loop_w[] = {5};
    assert_int_equal(am_graph_build(1, 1, loop_t, loop_h, loop_w, &g1, NULL),
                     AM_OK);
    am_search *s0 = NULL, *s1 = NULL;
    assert_int_equal(am_search_create(0, &s0), AM_OK);
    assert_int_equal(am_search_create(1, &s1), AM_OK);
    const int32_t v = 0;
    const uint32_t z = 0;
    /* 0 nodes: any seed is out of range. */
    assert_int_equal(am_search_run(s0, g0, 1, &v, &z, 100), 0);
    assert_int_equal(am_search_run(s0, g0, 0, NULL, NULL, AM_TIME_INF), 0);
    assert_int_equal(am_search_time(s0, 0), AM_TIME_INF);
    /* 1 node with a self-loop, bucket and heap paths. */
    for (int k = 0; k < 2; k++) {
        const uint32_t lim = k == 0 ? 100 : AM_TIME_INF;
        assert_int_equal(am_search_run(s1, g1, 1, &v, &z, lim), 1);
        assert_int_equal(am_search_time(s1, 0), 0);
    }
    am_search_destroy(s0);
    am_search_destroy(s1);
    am_graph_destroy(g0);
    am_graph_destroy(g1);
}

/* ---- nearest: lexicographic labels --------------------------------------- */

static void check_nearest_random(int kind, uint64_t seed)
{
    rng_state = seed;
    const int32_t n = 250;
    arcs a = random_arcs(n, 900, kind);
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(n, a.m, a.tail, a.head, a.time, &g, NULL),
                     AM_OK);
    uint64_t *d = malloc((size_t)n * sizeof *d);
    int32_t *src = malloc((size_t)n * sizeof *src);
    uint32_t *nt = malloc((size_t)n * sizeof *nt);
    int32_t *ns = malloc((size_t)n * sizeof *ns);
    assert_non_null(d);
    assert_non_null(src);
    assert_non_null(nt);
    assert_non_null(ns);
    for (int round = 0; round < 12; round++) {
        /* the second half on the packed arcs (graph.h), as the engine */
        if (round == 6)
            assert_int_equal(am_graph_pack(g, 2, NULL), AM_OK);
        /* 1 to 12 sources, two links each (some absent, some on one node,
         * many with equal offsets). */
        int32_t n_src = 1 + (int32_t)(rng_next() % 12);
        int32_t link[24], lsrc[24];
        uint32_t off[24];
        for (int32_t l = 0; l < 2 * n_src; l++) {
            link[l] = rng_next() % 7 == 0
                          ? -1
                          : (int32_t)(rng_next() % (uint32_t)(n / 4));
            off[l] = rng_next() % 3 == 0 ? 0 : rng_next() % 6;
            if (kind == 2 && rng_next() % 4 == 0)
                off[l] = AM_TIME_INF - 1 - rng_next() % 3;
            lsrc[l] = l / 2;
        }
        for (size_t li = 0; li < N_LIMITS; li++) {
            const uint32_t lim = limits[li];
            const uint64_t eff = lim >= AM_TIME_INF ? AM_TIME_INF - 1 : lim;
            bellman_ford(&a, 2 * n_src, link, off, lsrc, eff, d, src);
            assert_int_equal(
                am_nearest_nodes(g, n_src, link, off, lim, nt, ns, NULL),
                AM_OK);
            for (int32_t v = 0; v < n; v++) {
                if (d[v] <= eff && d[v] < AM_TIME_INF) {
                    assert_int_equal(nt[v], d[v]);
                    assert_int_equal(ns[v], src[v]);
                } else {
                    assert_int_equal(nt[v], AM_TIME_INF);
                    assert_int_equal(ns[v], -1);
                }
            }
        }
    }
    free(d);
    free(src);
    free(nt);
    free(ns);
    am_graph_destroy(g);
    free_arcs(&a);
}

static void test_nearest_small_times(void **state)
{
    (void)state;
    check_nearest_random(0, 17);
}

static void test_nearest_wide_times(void **state)
{
    (void)state;
    check_nearest_random(1, 18);
}

static void test_nearest_huge_times(void **state)
{
    (void)state;
    check_nearest_random(2, 19);
}

/* A node first settled from a higher source is relabelled through a chain
 * of zero-time arcs from a lower one reached at the same time. */
static void test_nearest_zero_arc_ties(void **state)
{
    (void)state;
    /* sources: 0 at node 0, 1 at node 1; 1 -> 2 (5), 0 -> 3 (5),
     * 3 -> 2 (0), 2 -> 4 (0), 4 -> 5 (3). Node 2 is reached at 5 from both:
     * source 0 wins, and so do 4 (at 5) and 5 (at 8). */
    static const int32_t tail[] = {1, 0, 3, 2, 4};
    static const int32_t head[] = {2, 3, 2, 4, 5};
    static const uint32_t time[] = {5, 5, 0, 0, 3};
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(6, 5, tail, head, time, &g, NULL), AM_OK);
    const int32_t link[] = {0, -1, 1, -1};
    uint32_t nt[6];
    int32_t ns[6];
    for (int k = 0; k < 2; k++) {
        const uint32_t lim = k == 0 ? 100 : AM_TIME_INF;
        assert_int_equal(am_nearest_nodes(g, 2, link, NULL, lim, nt, ns, NULL),
                         AM_OK);
        static const uint32_t et[] = {0, 0, 5, 5, 5, 8};
        static const int32_t es[] = {0, 1, 0, 0, 0, 0};
        for (int v = 0; v < 6; v++) {
            assert_int_equal(nt[v], et[v]);
            assert_int_equal(ns[v], es[v]);
        }
    }
    /* The same with source 1's path through node 7, so that node 2 is
     * reached later in bucket 5 than node 3 (and may be popped first). */
    static const int32_t tail2[] = {1, 7, 0, 3, 2, 4};
    static const int32_t head2[] = {7, 2, 3, 2, 4, 5};
    static const uint32_t time2[] = {4, 1, 5, 0, 0, 3};
    am_graph *g2 = NULL;
    assert_int_equal(am_graph_build(8, 6, tail2, head2, time2, &g2, NULL),
                     AM_OK);
    uint32_t nt2[8];
    int32_t ns2[8];
    for (int k = 0; k < 2; k++) {
        const uint32_t lim = k == 0 ? 100 : AM_TIME_INF;
        assert_int_equal(
            am_nearest_nodes(g2, 2, link, NULL, lim, nt2, ns2, NULL), AM_OK);
        static const uint32_t et[] = {0, 0, 5, 5, 5, 8, AM_TIME_INF, 4};
        static const int32_t es[] = {0, 1, 0, 0, 0, 0, -1, 1};
        for (int v = 0; v < 8; v++) {
            assert_int_equal(nt2[v], et[v]);
            assert_int_equal(ns2[v], es[v]);
        }
    }
    am_graph_destroy(g2);
    /* Empty graph, no sources. */
    am_graph *g0 = NULL;
    assert_int_equal(am_graph_build(0, 0, NULL, NULL, NULL, &g0, NULL), AM_OK);
    assert_int_equal(am_nearest_nodes(g0, 0, NULL, NULL, 10, NULL, NULL, NULL),
                     AM_OK);
    am_graph_destroy(g0);
    am_graph_destroy(g);
}

/* ---- the queue alone: pops in time order, removals honoured ------------- */

typedef struct q_rec {
    uint32_t t;
    am_dial_link q;
} q_rec;

static void test_dial_queue(void **state)
{
    (void)state;
    rng_state = 5;
    enum { N = 3000, T = 700 };
    q_rec *mem = malloc((N + 1) * sizeof *mem);
    int *count = calloc(T, sizeof *count);
    assert_non_null(mem);
    assert_non_null(count);
    q_rec *r = mem + 1;
    am_dial q;
    assert_int_equal(am_dial_init(&q, T), AM_OK);
    int32_t *bucket = q.bucket;
    uint64_t *occ = q.occ;
    for (int round = 0; round < 2; round++) { /* empty again after a round */
        int queued = 0;
        for (int v = 0; v < N; v++) {
            const uint32_t t = rng_next() % T;
            r[v].t = t;
            AM_DIAL_PUSH(r, bucket, occ, v, t);
            queued++;
        }
        /* decrease some keys, remove others for good */
        for (int v = 0; v < N; v += 3) {
            const uint32_t t = r[v].t;
            AM_DIAL_REMOVE(r, bucket, occ, v, t);
            if (v % 2 == 0) {
                const uint32_t t2 = t / 2;
                r[v].t = t2;
                AM_DIAL_PUSH(r, bucket, occ, v, t2);
            } else {
                r[v].t = UINT32_MAX; /* out */
                queued--;
            }
        }
        memset(count, 0, T * sizeof *count);
        for (int v = 0; v < N; v++)
            if (r[v].t != UINT32_MAX)
                count[r[v].t]++;
        uint32_t b = 0, last = 0;
        for (int k = 0; k < queued; k++) {
            int32_t u;
            AM_DIAL_POP(r, bucket, occ, b, u);
            assert_true(u >= 0 && u < N);
            assert_true(b >= last);
            assert_int_equal(r[u].t, b);
            assert_true(count[b] > 0);
            count[b]--;
            r[u].t = UINT32_MAX; /* popped once only */
            last = b;
        }
        for (int t = 0; t < T; t++)
            assert_int_equal(count[t], 0);
        for (uint32_t w = 0; w <= T / 64; w++)
            assert_true(q.occ[w] == 0);
        for (int t = 0; t < T; t++)
            assert_int_equal(q.bucket[t], 0);
    }
    am_dial_free(&q);
    free(mem);
    free(count);
}

/* ---- catchments: 1, 2, 3 and 8 threads byte-identical --------------------
 */

static void test_catchments_threads(void **state)
{
    (void)state;
    rng_state = 99;
    const int32_t n = 2000;
    arcs a = random_arcs(n, 7000, 1);
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(n, a.m, a.tail, a.head, a.time, &g, NULL),
                     AM_OK);
    const int32_t n_src = 150;
    int32_t *link = malloc(2 * (size_t)n_src * sizeof *link);
    uint32_t *off = malloc(2 * (size_t)n_src * sizeof *off);
    uint8_t *keep = malloc((size_t)n);
    assert_non_null(link);
    assert_non_null(off);
    assert_non_null(keep);
    for (int32_t l = 0; l < 2 * n_src; l++) {
        link[l] = rng_next() % 9 == 0 ? -1 : (int32_t)(rng_next() % n);
        off[l] = rng_next() % 50;
    }
    for (int32_t v = 0; v < n; v++)
        keep[v] = rng_next() % 3 != 0;
    static const uint32_t lims[] = {900, 70000}; /* 16 and 32-bit times */
    for (int li = 0; li < 2; li++) {
        /* c[k][t]: keep NULL (k = 0) or keep (k = 1), am_test_threads[t]. */
        am_catchments *c[2][AM_TEST_N_THREADS] = {{NULL}, {NULL}};
        for (int k = 0; k < 2; k++) {
            for (int t = 0; t < AM_TEST_N_THREADS; t++)
                assert_int_equal(
                    am_catchments_compute(
                        g, n_src, link, off, lims[li], k == 1 ? keep : NULL, 0,
                        am_test_threads[t], NULL, NULL, &c[k][t], NULL),
                    AM_OK);
            const am_catchments *c1 = c[k][0];
            const int64_t nnz = am_catchments_nnz(c1);
            assert_true(nnz > 0);
            for (int t = 1; t < AM_TEST_N_THREADS; t++) {
                const am_catchments *ct = c[k][t];
                const int nt = am_test_threads[t];
                assert_int_equal(am_catchments_nnz(ct), nnz);
                assert_same_at_threads(ct->first, c1->first,
                                       ((size_t)n_src + 1) * sizeof *c1->first,
                                       nt);
                assert_same_at_threads(ct->col, c1->col,
                                       (size_t)nnz * sizeof *c1->col, nt);
                assert_true((c1->time16 != NULL) == (ct->time16 != NULL));
                if (c1->time16 != NULL)
                    assert_same_at_threads(ct->time16, c1->time16,
                                           (size_t)nnz * sizeof *c1->time16,
                                           nt);
                else
                    assert_same_at_threads(ct->time_ds, c1->time_ds,
                                           (size_t)nnz * sizeof *c1->time_ds,
                                           nt);
            }
        }
        /* keep filters the rows and nothing else. */
        const am_catchments *all = c[0][0], *kept = c[1][0];
        for (int32_t r = 0; r < n_src; r++) {
            int64_t e2 = kept->first[r];
            for (int64_t e = all->first[r]; e < all->first[r + 1]; e++) {
                const int32_t v = all->col[e];
                if (!keep[v])
                    continue;
                assert_int_equal(kept->col[e2], v);
                assert_int_equal(am_catchments_time(kept, e2),
                                 am_catchments_time(all, e));
                e2++;
            }
            assert_int_equal(e2, kept->first[r + 1]);
        }
        /* And every row matches a single search. */
        am_search *s = NULL;
        assert_int_equal(am_search_create(n, &s), AM_OK);
        for (int32_t r = 0; r < n_src; r++) {
            int32_t v[2];
            uint32_t t0[2];
            int32_t k = 0;
            for (int j = 0; j < 2; j++)
                if (link[2 * r + j] >= 0) {
                    v[k] = link[2 * r + j];
                    t0[k++] = off[2 * r + j];
                }
            const int32_t got = am_search_run(s, g, k, v, t0, lims[li]);
            assert_int_equal(got, all->first[r + 1] - all->first[r]);
            const int32_t *nodes;
            const uint32_t *times;
            am_search_result(s, &nodes, &times);
            for (int32_t e = 0; e < got; e++) {
                assert_int_equal(all->col[all->first[r] + e], nodes[e]);
                assert_int_equal(am_catchments_time(all, all->first[r] + e),
                                 times[e]);
            }
        }
        am_search_destroy(s);
        for (int k = 0; k < 2; k++)
            for (int t = 0; t < AM_TEST_N_THREADS; t++)
                am_catchments_destroy(c[k][t]);
    }
    free(link);
    free(off);
    free(keep);
    am_graph_destroy(g);
    free_arcs(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_small_times),
        cmocka_unit_test(test_search_wide_times),
        cmocka_unit_test(test_search_huge_times),
        cmocka_unit_test(test_search_edges),
        cmocka_unit_test(test_search_tiny_graphs),
        cmocka_unit_test(test_nearest_small_times),
        cmocka_unit_test(test_nearest_wide_times),
        cmocka_unit_test(test_nearest_huge_times),
        cmocka_unit_test(test_nearest_zero_arc_ties),
        cmocka_unit_test(test_dial_queue),
        cmocka_unit_test(test_catchments_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
