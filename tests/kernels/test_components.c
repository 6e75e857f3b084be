/*
 * test_components.c: strongly connected components (kernels/components)
 * against a brute-force oracle (reachability both ways, by repeated BFS)
 * on random small graphs with one-way arcs, against pgRouting's documented
 * pgr_strongComponents result on its sample graph (tests/data/pgrouting,
 * CC BY-SA 3.0, read at run time), and on graphs deep enough to break a
 * recursive implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thread_counts.h"

#include "kernels/components.h"
#include "kernels/graph.h"

#define EDGES_CSV AM_TEST_DATA "/pgrouting/edges.csv"
#define SCC_RESULT                                                             \
    AM_TEST_DATA "/pgrouting/expected_pgr_strongComponents.result"

static am_graph *build(int32_t n, int64_t m, const int32_t *tail,
                       const int32_t *head)
{
    uint32_t *t = calloc((size_t)m + 1, sizeof *t);
    assert_non_null(t);
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(n, m, tail, head, t, &g, NULL), AM_OK);
    free(t);
    return g;
}

/* reach[s * n + v] = 1 when v is reachable from s (BFS from every node). */
static uint8_t *reachability(const am_graph *g)
{
    const int32_t n = g->n_nodes;
    uint8_t *reach = calloc((size_t)n * (size_t)n + 1, 1);
    int32_t *queue = malloc(sizeof *queue * ((size_t)n + 1));
    assert_non_null(reach);
    assert_non_null(queue);
    for (int32_t s = 0; s < n; s++) {
        uint8_t *r = reach + (size_t)s * (size_t)n;
        int32_t qh = 0, qt = 0;
        r[s] = 1;
        queue[qt++] = s;
        while (qh < qt) {
            const int32_t v = queue[qh++];
            for (int64_t a = g->first_out[v]; a < g->first_out[v + 1]; a++)
                if (!r[g->head[a]]) {
                    r[g->head[a]] = 1;
                    queue[qt++] = g->head[a];
                }
        }
    }
    free(queue);
    return reach;
}

/* The components match the oracle, sizes add up and are non-increasing,
 * ties are ordered by lowest node id. */
static void check_against_oracle(const am_graph *g, const am_components *c)
{
    const int32_t n = g->n_nodes;
    uint8_t *reach = reachability(g);
    assert_int_equal(c->n_nodes, n);
    for (int32_t u = 0; u < n; u++)
        for (int32_t v = 0; v < n; v++) {
            const int same =
                reach[(size_t)u * n + v] && reach[(size_t)v * n + u];
            assert_int_equal(same, c->comp[u] == c->comp[v]);
        }
    free(reach);
    int32_t *count = calloc((size_t)c->n_components + 1, sizeof *count);
    int32_t *lowest = malloc(sizeof *lowest * ((size_t)c->n_components + 1));
    assert_non_null(count);
    assert_non_null(lowest);
    for (int32_t k = 0; k < c->n_components; k++)
        lowest[k] = -1;
    for (int32_t v = 0; v < n; v++) {
        assert_true(c->comp[v] >= 0 && c->comp[v] < c->n_components);
        if (lowest[c->comp[v]] < 0)
            lowest[c->comp[v]] = v;
        count[c->comp[v]]++;
    }
    for (int32_t k = 0; k < c->n_components; k++) {
        assert_int_equal(count[k], c->size[k]);
        assert_true(count[k] > 0);
        if (k > 0) {
            assert_true(c->size[k - 1] >= c->size[k]);
            if (c->size[k - 1] == c->size[k])
                assert_true(lowest[k - 1] < lowest[k]);
        }
    }
    free(count);
    free(lowest);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t bound)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % bound);
}

/* Random road-like graphs: two-way streets and one-ways, some loops and
 * parallel arcs, sparse and dense. */
static void test_random_vs_oracle(void **state)
{
    (void)state;
    for (int trial = 0; trial < 400; trial++) {
        const int32_t n = 1 + (int32_t)rnd(40);
        const int32_t streets = (int32_t)rnd((uint32_t)(2 * n + 1));
        const int oneway_pct = (int)rnd(101);
        int32_t *tail = malloc(sizeof *tail * (2 * (size_t)streets + 1));
        int32_t *head = malloc(sizeof *head * (2 * (size_t)streets + 1));
        assert_non_null(tail);
        assert_non_null(head);
        int64_t m = 0;
        for (int32_t e = 0; e < streets; e++) {
            const int32_t u = (int32_t)rnd((uint32_t)n);
            const int32_t v = (int32_t)rnd((uint32_t)n);
            tail[m] = u;
            head[m++] = v;
            if ((int)rnd(100) >= oneway_pct) {
                tail[m] = v;
                head[m++] = u;
            }
        }
        am_graph *g = build(n, m, tail, head);
        am_components *c = NULL;
        assert_int_equal(am_components_compute(g, &c, NULL), AM_OK);
        check_against_oracle(g, c);
        for (int t = 2; t <= 3; t++) { /* forward-backward, then the DFS */
            am_components *p = NULL;
            assert_int_equal(am_components_compute_fb(g, t, &p, NULL), AM_OK);
            assert_int_equal(p->n_components, c->n_components);
            assert_memory_equal(p->comp, c->comp, (size_t)n * sizeof *p->comp);
            assert_memory_equal(p->size, c->size,
                                (size_t)c->n_components * sizeof *p->size);
            am_components_destroy(p);
        }
        am_components_destroy(c);
        am_graph_destroy(g);
        free(tail);
        free(head);
    }
}

/* arcs (u, v) appended to tail/head, m counted */
static void arc(int32_t *tail, int32_t *head, int64_t *m, int32_t u, int32_t v)
{
    tail[*m] = u;
    head[(*m)++] = v;
}

/*
 * The parallel components (trimming, forward-backward, then the DFS on
 * the rest) against the serial DFS, byte for byte, at 1, 2, 3 and 8 threads,
 * on graphs big enough to run the frontier BFS in parallel: a giant
 * component (a two-way grid with one-way streets, ids shuffled) plus small
 * cycles, one-way chains in and out of it and between the small ones,
 * self-loops and isolated nodes; the same without the giant (many
 * middle-sized components: several pivots); a long ring; no arcs.
 */
static void test_threads_vs_serial(void **state)
{
    (void)state;
    for (int shape = 0; shape < 5; shape++) {
        const int32_t side = shape == 4 ? 0 : 150 + 40 * shape;
        const int32_t n_grid = side * side, n_small = 6000;
        const int32_t n = shape == 4 ? 30000 : n_grid + n_small;
        const size_t cap = 8 * (size_t)n + 16;
        int32_t *tail = malloc(sizeof *tail * cap);
        int32_t *head = malloc(sizeof *head * cap);
        int32_t *id = malloc(sizeof *id * ((size_t)n + 1));
        assert_non_null(tail);
        assert_non_null(head);
        assert_non_null(id);
        for (int32_t i = 0; i < n; i++)
            id[i] = i;
        for (int32_t i = n - 1; i > 0; i--) { /* shuffle the ids */
            const int32_t j = (int32_t)rnd((uint32_t)i + 1);
            const int32_t t = id[i];
            id[i] = id[j];
            id[j] = t;
        }
        int64_t m = 0;
        if (shape == 3) { /* a ring through every node */
            for (int32_t i = 0; i < n; i++)
                arc(tail, head, &m, id[i], id[(i + 1) % n]);
        } else if (shape < 3) {
            /* shape 2 cuts the grid into 10x10 blocks (no giant) */
            for (int32_t r = 0; r < side; r++)
                for (int32_t c = 0; c < side; c++) {
                    const int32_t v = id[r * side + c];
                    const int cut_r = shape == 2 && (r + 1) % 10 == 0;
                    const int cut_c = shape == 2 && (c + 1) % 10 == 0;
                    if (c + 1 < side && !cut_c) {
                        arc(tail, head, &m, v, id[r * side + c + 1]);
                        if (rnd(10) != 0)
                            arc(tail, head, &m, id[r * side + c + 1], v);
                    }
                    if (r + 1 < side && !cut_r) {
                        arc(tail, head, &m, v, id[(r + 1) * side + c]);
                        if (rnd(10) != 0)
                            arc(tail, head, &m, id[(r + 1) * side + c], v);
                    }
                }
            /* small cycles of 1-5 nodes, chains, self-loops, isolated */
            int32_t i = n_grid;
            while (i < n) {
                const int32_t len = 1 + (int32_t)rnd(5);
                const int kind = (int)rnd(6);
                for (int32_t j = 0; j < len && i + j < n; j++) {
                    const int32_t v = id[i + j];
                    if (kind == 5) /* isolated */
                        continue;
                    if (i + j + 1 < n && j + 1 < len)
                        arc(tail, head, &m, v, id[i + j + 1]);
                    if (kind == 0 && j + 1 == len) /* closes a cycle */
                        arc(tail, head, &m, v, id[i]);
                    if (kind == 1) /* a self-loop */
                        arc(tail, head, &m, v, v);
                }
                const int32_t g1 = id[rnd((uint32_t)n_grid)];
                if (kind == 2) /* from the grid in */
                    arc(tail, head, &m, g1, id[i]);
                if (kind == 3) /* out to the grid */
                    arc(tail, head, &m, id[i], g1);
                if (kind == 4 && i > n_grid) /* from the previous group */
                    arc(tail, head, &m, id[i - 1], id[i]);
                i += len;
            }
        }
        am_graph *g = build(n, m, tail, head);
        am_components *c = NULL;
        assert_int_equal(am_components_compute(g, &c, NULL), AM_OK);
        /* every count through the parallel code, then the engine's entry */
        for (int k = 0; k < AM_TEST_N_THREADS + 2; k++) {
            const int t = k < AM_TEST_N_THREADS ? am_test_threads[k]
                                                : k - AM_TEST_N_THREADS + 4;
            am_components *p = NULL;
            assert_int_equal(
                k < AM_TEST_N_THREADS
                    ? am_components_compute_fb(g, t, &p, NULL)
                    : am_components_compute_threads(g, t, &p, NULL),
                AM_OK);
            assert_int_equal(p->n_nodes, n);
            assert_int_equal(p->n_components, c->n_components);
            assert_memory_equal(p->comp, c->comp, (size_t)n * sizeof *p->comp);
            assert_memory_equal(p->size, c->size,
                                (size_t)c->n_components * sizeof *p->size);
            am_components_destroy(p);
        }
        if (shape < 2) /* the giant is most of the grid */
            assert_true(c->size[0] > n_grid / 2);
        am_components_destroy(c);
        am_graph_destroy(g);
        free(tail);
        free(head);
        free(id);
    }
}

/* pgRouting's sample graph: node ids as in edges.csv (0 unused); a
 * negative cost or reverse_cost closes that direction. */
static void test_pgrouting_sample(void **state)
{
    (void)state;
    int32_t tail[64], head[64];
    int64_t m = 0;
    int32_t n = 0;
    FILE *f = fopen(EDGES_CSV, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    int id, src, dst;
    double cost, rcost;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%d,%d,%d,%lf,%lf", &id, &src, &dst, &cost, &rcost) !=
            5)
            continue;
        assert_true(m + 2 <= 64);
        if (cost >= 0) {
            tail[m] = src;
            head[m++] = dst;
        }
        if (rcost >= 0) {
            tail[m] = dst;
            head[m++] = src;
        }
        n = src + 1 > n ? src + 1 : n;
        n = dst + 1 > n ? dst + 1 : n;
    }
    fclose(f);
    assert_int_equal(n, 18);
    am_graph *g = build(n, m, tail, head);
    am_components *c = NULL;
    assert_int_equal(am_components_compute(g, &c, NULL), AM_OK);
    check_against_oracle(g, c);

    /* pgRouting's rows: "seq | component | node" */
    int32_t pg_comp[18];
    for (int i = 0; i < 18; i++)
        pg_comp[i] = -1;
    f = fopen(SCC_RESULT, "r");
    assert_non_null(f);
    int rows = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        int seq, comp, node;
        if (sscanf(line, " %d | %d | %d", &seq, &comp, &node) == 3) {
            assert_true(node >= 0 && node < 18);
            pg_comp[node] = comp;
            rows++;
        }
    }
    fclose(f);
    assert_int_equal(rows, 17);
    for (int u = 1; u < 18; u++)
        for (int v = 1; v < 18; v++) {
            assert_true(pg_comp[u] >= 0);
            assert_int_equal(pg_comp[u] == pg_comp[v],
                             c->comp[u] == c->comp[v]);
        }
    /* 13 nodes, then {2, 4}, {13, 14}, and the unused id 0 alone */
    assert_int_equal(c->n_components, 4);
    assert_int_equal(c->size[0], 13);
    assert_int_equal(c->comp[2], 1);
    assert_int_equal(c->comp[13], 2);
    assert_int_equal(c->comp[0], 3);
    am_components_destroy(c);
    am_graph_destroy(g);
}

/* A one-way cycle through 2,000,000 nodes (one component, DFS depth n)
 * and a one-way path (n singletons): a recursive DFS would overflow the
 * stack. */
static void test_deep(void **state)
{
    (void)state;
    const int32_t n = 2000000;
    int32_t *tail = malloc(sizeof *tail * (size_t)n);
    int32_t *head = malloc(sizeof *head * (size_t)n);
    assert_non_null(tail);
    assert_non_null(head);
    for (int32_t i = 0; i < n; i++) {
        tail[i] = i;
        head[i] = (i + 1) % n;
    }
    am_graph *g = build(n, n, tail, head);
    am_components *c = NULL;
    assert_int_equal(am_components_compute(g, &c, NULL), AM_OK);
    assert_int_equal(c->n_components, 1);
    assert_int_equal(c->size[0], n);
    am_components_destroy(c);
    assert_int_equal(am_components_compute_fb(g, 2, &c, NULL), AM_OK);
    assert_int_equal(c->n_components, 1);
    assert_int_equal(c->size[0], n);
    am_components_destroy(c);
    am_graph_destroy(g);

    g = build(n, n - 1, tail, head); /* the path 0 -> 1 -> ... -> n-1 */
    assert_int_equal(am_components_compute(g, &c, NULL), AM_OK);
    assert_int_equal(c->n_components, n);
    for (int32_t v = 0; v < n; v += 99991) /* singletons by node id */
        assert_int_equal(c->comp[v], v);
    assert_int_equal(c->size[n - 1], 1);
    am_components_destroy(c);
    am_graph_destroy(g);
    free(tail);
    free(head);
}

/* Empty graph and argument checks. */
static void test_edges(void **state)
{
    (void)state;
    am_graph *g = build(0, 0, NULL, NULL);
    am_components *c = NULL;
    assert_int_equal(am_components_compute(g, &c, NULL), AM_OK);
    assert_int_equal(c->n_components, 0);
    am_components_destroy(c);
    c = (am_components *)1;
    assert_int_equal(am_components_compute(NULL, &c, NULL), AM_ERR_INVALID);
    assert_int_equal(am_components_compute(g, NULL, NULL), AM_ERR_INVALID);
    am_components_destroy(NULL);
    am_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_vs_oracle),
        cmocka_unit_test(test_threads_vs_serial),
        cmocka_unit_test(test_pgrouting_sample),
        cmocka_unit_test(test_deep),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
