/*
 * test_search.c: bounded Dijkstra on hand-computed graphs, plus a naive
 * O(n^2) Dijkstra written here as an independent oracle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/units.h"
#include "kernels/graph.h"
#include "kernels/search.h"

/*
 * Hand graph, 6 nodes (times in ds):
 *   0 -> 1  10   one-way
 *   1 <-> 2  5   two-way
 *   0 -> 3   7   one-way
 *   3 -> 2   8   one-way        0->2: via 1 = 15, via 3 = 15 (a tie)
 *   5 -> 0   1   one-way        5 reaches 0, 0 does not reach 5
 *   4 isolated
 */
static am_graph *hand_graph(void)
{
    static const int32_t tail[] = {0, 1, 2, 0, 3, 5};
    static const int32_t head[] = {1, 2, 1, 3, 2, 0};
    static const uint32_t time[] = {10, 5, 5, 7, 8, 1};
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(6, 6, tail, head, time, &g, NULL), AM_OK);
    return g;
}

/* Asserts that the last run reached exactly nodes[k] at times[k]. */
static void expect_result(const am_search *s, int32_t n, int32_t n_exp,
                          const int32_t *nodes_exp, const uint32_t *times_exp)
{
    const int32_t *nodes;
    const uint32_t *times;
    assert_int_equal(n, n_exp);
    am_search_result(s, &nodes, &times);
    for (int32_t k = 0; k < n_exp; k++) {
        assert_int_equal(nodes[k], nodes_exp[k]);
        assert_int_equal(times[k], times_exp[k]);
        assert_int_equal(am_search_time(s, nodes_exp[k]), times_exp[k]);
    }
}

static int32_t run1(am_search *s, const am_graph *g, int32_t v, uint32_t t0,
                    uint32_t limit)
{
    return am_search_run(s, g, 1, &v, &t0, limit);
}

static void test_one_way_tie_unreachable(void **state)
{
    (void)state;
    am_graph *g = hand_graph();
    am_search *s = NULL;
    assert_int_equal(am_search_create(6, &s), AM_OK);

    /* From 0: 0@0, 1@10, 2@15 (two equal paths), 3@7; 4 and 5 not. */
    int32_t n = run1(s, g, 0, 0, 1000);
    static const int32_t n0[] = {0, 1, 2, 3};
    static const uint32_t t0[] = {0, 10, 15, 7};
    expect_result(s, n, 4, n0, t0);
    assert_int_equal(am_search_time(s, 4), AM_TIME_INF);
    assert_int_equal(am_search_time(s, 5), AM_TIME_INF);

    /* From 1: the street 0->1 is one-way, so 0 is not reachable. */
    n = run1(s, g, 1, 0, 1000);
    static const int32_t n1[] = {1, 2};
    static const uint32_t t1[] = {0, 5};
    expect_result(s, n, 2, n1, t1);
    assert_int_equal(am_search_time(s, 0), AM_TIME_INF);

    /* From 5: 5@0, 0@1, 1@11, 2@16, 3@8. */
    n = run1(s, g, 5, 0, 1000);
    static const int32_t n5[] = {0, 1, 2, 3, 5};
    static const uint32_t t5[] = {1, 11, 16, 8, 0};
    expect_result(s, n, 5, n5, t5);

    /* From the isolated node: only itself. */
    n = run1(s, g, 4, 0, 1000);
    static const int32_t n4[] = {4};
    static const uint32_t t4[] = {0};
    expect_result(s, n, 1, n4, t4);

    am_search_destroy(s);
    am_graph_destroy(g);
}

static void test_limit_inclusive(void **state)
{
    (void)state;
    am_graph *g = hand_graph();
    am_search *s = NULL;
    assert_int_equal(am_search_create(6, &s), AM_OK);

    /* limit exactly 15: node 2 (at 15) is in. */
    int32_t n = run1(s, g, 0, 0, 15);
    static const int32_t na[] = {0, 1, 2, 3};
    static const uint32_t ta[] = {0, 10, 15, 7};
    expect_result(s, n, 4, na, ta);

    /* One decisecond less: node 2 is out. */
    n = run1(s, g, 0, 0, 14);
    static const int32_t nb[] = {0, 1, 3};
    static const uint32_t tb[] = {0, 10, 7};
    expect_result(s, n, 3, nb, tb);
    assert_int_equal(am_search_time(s, 2), AM_TIME_INF);

    /* limit 7 includes 3 at exactly 7; limit 0 only the seed. */
    n = run1(s, g, 0, 0, 7);
    static const int32_t nc[] = {0, 3};
    static const uint32_t tc[] = {0, 7};
    expect_result(s, n, 2, nc, tc);
    n = run1(s, g, 0, 0, 0);
    static const int32_t nd[] = {0};
    static const uint32_t td[] = {0};
    expect_result(s, n, 1, nd, td);

    /* A start offset counts against the limit: seed 0 at 5, limit 20:
     * 0@5, 3@12, 1@15, 2@20 (inclusive). */
    n = run1(s, g, 0, 5, 20);
    static const int32_t ne[] = {0, 1, 2, 3};
    static const uint32_t te[] = {5, 15, 20, 12};
    expect_result(s, n, 4, ne, te);
    n = run1(s, g, 0, 5, 19);
    static const int32_t nf[] = {0, 1, 3};
    static const uint32_t tf[] = {5, 15, 12};
    expect_result(s, n, 3, nf, tf);

    /* A seed whose own start time is over the limit is ignored. */
    n = run1(s, g, 0, 21, 20);
    assert_int_equal(n, 0);
    assert_int_equal(am_search_time(s, 0), AM_TIME_INF);

    am_search_destroy(s);
    am_graph_destroy(g);
}

static void test_multi_seed(void **state)
{
    (void)state;
    am_graph *g = hand_graph();
    am_search *s = NULL;
    assert_int_equal(am_search_create(6, &s), AM_OK);

    /* Seeds: 1 at 3, 3 at 0, 3 again at 9 (worse, ignored), node 99 and
     * node -1 (out of range, ignored), 4 at 50 (over the limit, ignored).
     * limit 20: 1@3, 3@0, 2 = min(3+5, 0+8) = 8. 0 and 5 unreachable. */
    static const int32_t seeds[] = {1, 3, 3, 99, -1, 4};
    static const uint32_t st[] = {3, 0, 9, 0, 0, 50};
    int32_t n = am_search_run(s, g, 6, seeds, st, 20);
    static const int32_t ne[] = {1, 2, 3};
    static const uint32_t te[] = {3, 8, 0};
    expect_result(s, n, 3, ne, te);

    /* Seed 0 at 4 and 5 at 0: 0 = min(4, 0+1) = 1. */
    static const int32_t seeds2[] = {0, 5};
    static const uint32_t st2[] = {4, 0};
    n = am_search_run(s, g, 2, seeds2, st2, 10);
    static const int32_t n2[] = {0, 3, 5};
    static const uint32_t t2[] = {1, 8, 0};
    expect_result(s, n, 3, n2, t2);

    am_search_destroy(s);
    am_graph_destroy(g);
}

static void test_workspace_reuse(void **state)
{
    (void)state;
    am_graph *g = hand_graph();
    am_search *s = NULL;
    /* A workspace larger than the graph serves it too. */
    assert_int_equal(am_search_create(100, &s), AM_OK);

    assert_int_equal(run1(s, g, 5, 0, 1000), 5);
    /* Second run from the isolated node: nothing of the first remains. */
    int32_t n = run1(s, g, 4, 0, 1000);
    static const int32_t n4[] = {4};
    static const uint32_t t4[] = {0};
    expect_result(s, n, 1, n4, t4);
    for (int32_t v = 0; v < 6; v++)
        if (v != 4)
            assert_int_equal(am_search_time(s, v), AM_TIME_INF);
    assert_int_equal(am_search_time(s, 99), AM_TIME_INF);
    assert_int_equal(am_search_time(s, -3), AM_TIME_INF);

    /* And the full search again gives the same as on a fresh workspace. */
    n = run1(s, g, 0, 0, 1000);
    static const int32_t n0[] = {0, 1, 2, 3};
    static const uint32_t t0[] = {0, 10, 15, 7};
    expect_result(s, n, 4, n0, t0);

    /* Zero seeds: empty result. */
    assert_int_equal(am_search_run(s, g, 0, NULL, NULL, 1000), 0);
    for (int32_t v = 0; v < 6; v++)
        assert_int_equal(am_search_time(s, v), AM_TIME_INF);

    /* A graph larger than the workspace is an error, not "nothing". */
    am_search *small = NULL;
    assert_int_equal(am_search_create(3, &small), AM_OK);
    assert_int_equal(run1(small, g, 0, 0, 1000), -1);
    assert_int_equal(am_search_run(small, NULL, 0, NULL, NULL, 10), -1);
    assert_int_equal(am_search_run(NULL, g, 0, NULL, NULL, 10), -1);
    am_search_destroy(small);
    am_search_destroy(NULL);

    am_search_destroy(s);
    am_graph_destroy(g);
}

/* ---- oracle: naive O(n^2) Dijkstra over an adjacency matrix ------------ */

static uint64_t rng_state;
static uint32_t rng_next(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* dist[] from src by scanning all nodes for the minimum (no heap, no CSR):
 * w[u * n + v] is the cheapest arc u->v or UINT32_MAX. */
static void naive_dijkstra(int32_t n, const uint32_t *w, int32_t src,
                           uint64_t *dist)
{
    char *done = calloc((size_t)n, 1);
    assert_non_null(done);
    for (int32_t v = 0; v < n; v++)
        dist[v] = UINT64_MAX;
    dist[src] = 0;
    for (;;) {
        int32_t u = -1;
        for (int32_t v = 0; v < n; v++)
            if (!done[v] && dist[v] != UINT64_MAX &&
                (u < 0 || dist[v] < dist[u]))
                u = v;
        if (u < 0)
            break;
        done[u] = 1;
        for (int32_t v = 0; v < n; v++)
            if (w[(size_t)u * n + v] != UINT32_MAX &&
                dist[u] + w[(size_t)u * n + v] < dist[v])
                dist[v] = dist[u] + w[(size_t)u * n + v];
    }
    free(done);
}

static void test_oracle_random(void **state)
{
    (void)state;
    /* > 256 nodes so the radix sort needs two digit passes. */
    const int32_t n = 700;
    const int64_t m = 2800;
    int32_t *tail = malloc((size_t)m * sizeof *tail);
    int32_t *head = malloc((size_t)m * sizeof *head);
    uint32_t *time = malloc((size_t)m * sizeof *time);
    uint32_t *w = malloc((size_t)n * n * sizeof *w);
    uint64_t *dist = malloc((size_t)n * sizeof *dist);
    assert_non_null(tail);
    assert_non_null(head);
    assert_non_null(time);
    assert_non_null(w);
    assert_non_null(dist);
    for (size_t k = 0; k < (size_t)n * n; k++)
        w[k] = UINT32_MAX;
    rng_state = 42;
    for (int64_t a = 0; a < m; a++) {
        tail[a] = (int32_t)(rng_next() % (uint32_t)n);
        /* mostly local arcs, some long ones, a few zero times */
        if (rng_next() % 8 == 0)
            head[a] = (int32_t)(rng_next() % (uint32_t)n);
        else
            head[a] = (tail[a] + 1 + (int32_t)(rng_next() % 20)) % n;
        time[a] = rng_next() % 16 == 0 ? 0 : 1 + rng_next() % 300;
        size_t k = (size_t)tail[a] * n + head[a];
        if (time[a] < w[k])
            w[k] = time[a];
    }
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(n, m, tail, head, time, &g, NULL), AM_OK);
    am_search *s = NULL;
    assert_int_equal(am_search_create(n, &s), AM_OK);

    static const uint32_t limits[] = {0, 150, 600, 2000, AM_TIME_INF};
    for (int src = 0; src < n; src += 37) {
        naive_dijkstra(n, w, src, dist);
        for (size_t li = 0; li < sizeof limits / sizeof *limits; li++) {
            const uint32_t lim = limits[li];
            int32_t got = run1(s, g, src, 0, lim);
            const int32_t *nodes;
            const uint32_t *times;
            am_search_result(s, &nodes, &times);
            int32_t k = 0;
            for (int32_t v = 0; v < n; v++) {
                if (dist[v] <= lim) {
                    assert_true(k < got);
                    assert_int_equal(nodes[k], v);
                    assert_int_equal(times[k], dist[v]);
                    k++;
                } else {
                    assert_int_equal(am_search_time(s, v), AM_TIME_INF);
                }
            }
            assert_int_equal(k, got);
        }
    }
    am_search_destroy(s);
    am_graph_destroy(g);
    free(tail);
    free(head);
    free(time);
    free(w);
    free(dist);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_way_tie_unreachable),
        cmocka_unit_test(test_limit_inclusive),
        cmocka_unit_test(test_multi_seed),
        cmocka_unit_test(test_workspace_reuse),
        cmocka_unit_test(test_oracle_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
