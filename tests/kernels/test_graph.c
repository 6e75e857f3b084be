/*
 * test_graph.c: CSR build, reverse and validation on hand-made graphs.
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
#include "kernels/csr.h"
#include "kernels/graph.h"

/*
 * Hand graph, 4 nodes, arcs deliberately not sorted by tail, with a parallel
 * arc (0->1 twice) and a self loop (3->3):
 *   a0: 2->3 5   a1: 0->1 1   a2: 2->0 7   a3: 0->2 3   a4: 0->1 9
 *   a5: 3->3 0
 * Out of 0 in input order: a1, a3, a4 -> heads 1,2,1 times 1,3,9
 * Out of 1: none. Out of 2: a0, a2 -> heads 3,0 times 5,7. Out of 3: a5.
 */
static const int32_t T_TAIL[] = {2, 0, 2, 0, 0, 3};
static const int32_t T_HEAD[] = {3, 1, 0, 2, 1, 3};
static const uint32_t T_TIME[] = {5, 1, 7, 3, 9, 0};

static am_graph *build_hand(void)
{
    am_graph *g = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_graph_build(4, 6, T_TAIL, T_HEAD, T_TIME, &g, &err),
                     AM_OK);
    assert_non_null(g);
    return g;
}

static void test_build_stable(void **state)
{
    (void)state;
    am_graph *g = build_hand();
    static const int64_t first[] = {0, 3, 3, 5, 6};
    static const int32_t head[] = {1, 2, 1, 3, 0, 3};
    static const uint32_t time[] = {1, 3, 9, 5, 7, 0};
    assert_int_equal(g->n_nodes, 4);
    assert_int_equal(g->n_arcs, 6);
    assert_memory_equal(g->first_out, first, sizeof first);
    assert_memory_equal(g->head, head, sizeof head);
    assert_memory_equal(g->time_ds, time, sizeof time);
    assert_int_equal(am_graph_validate(g, NULL), AM_OK);

    /* Same arc list, same bytes. */
    am_graph *g2 = build_hand();
    assert_memory_equal(g2->first_out, g->first_out, sizeof first);
    assert_memory_equal(g2->head, g->head, sizeof head);
    assert_memory_equal(g2->time_ds, g->time_ds, sizeof time);
    am_graph_destroy(g2);
    am_graph_destroy(g);
}

static void test_reverse(void **state)
{
    (void)state;
    am_graph *g = build_hand();
    am_graph *r = NULL;
    assert_int_equal(am_graph_reverse(g, &r, NULL), AM_OK);
    /* Into 0: from 2 (7). Into 1: from 0 (1), from 0 (9), in forward arc
     * order. Into 2: from 0 (3). Into 3: from 2 (5), from 3 (0). */
    static const int64_t first[] = {0, 1, 3, 4, 6};
    static const int32_t head[] = {2, 0, 0, 0, 2, 3};
    static const uint32_t time[] = {7, 1, 9, 3, 5, 0};
    assert_int_equal(r->n_nodes, 4);
    assert_int_equal(r->n_arcs, 6);
    assert_memory_equal(r->first_out, first, sizeof first);
    assert_memory_equal(r->head, head, sizeof head);
    assert_memory_equal(r->time_ds, time, sizeof time);
    /* packed: the same arcs side by side */
    assert_non_null(r->arc);
    for (int a = 0; a < 6; a++) {
        assert_int_equal(r->arc[a].head, head[a]);
        assert_int_equal(r->arc[a].time_ds, time[a]);
    }
    assert_int_equal(am_graph_validate(r, NULL), AM_OK);

    /* Reversing twice gives the same arcs per node, reordered by (tail of
     * the reverse arc, its position): node 0 -> (1,1), (1,9), (2,3);
     * node 2 -> (0,7) from reverse node 0, then (3,5) from reverse node 3. */
    am_graph *rr = NULL;
    assert_int_equal(am_graph_reverse(r, &rr, NULL), AM_OK);
    assert_memory_equal(rr->first_out, g->first_out, sizeof first);
    static const int32_t rr_head[] = {1, 1, 2, 0, 3, 3};
    static const uint32_t rr_time[] = {1, 9, 3, 7, 5, 0};
    assert_memory_equal(rr->head, rr_head, sizeof rr_head);
    assert_memory_equal(rr->time_ds, rr_time, sizeof rr_time);
    am_graph_destroy(rr);
    am_graph_destroy(r);
    am_graph_destroy(g);
}

static void test_empty(void **state)
{
    (void)state;
    am_graph *g = NULL;
    assert_int_equal(am_graph_build(0, 0, NULL, NULL, NULL, &g, NULL), AM_OK);
    assert_int_equal(g->n_nodes, 0);
    assert_int_equal(g->first_out[0], 0);
    assert_int_equal(am_graph_validate(g, NULL), AM_OK);
    am_graph *r = NULL;
    assert_int_equal(am_graph_reverse(g, &r, NULL), AM_OK);
    assert_int_equal(am_graph_validate(r, NULL), AM_OK);
    am_graph_destroy(r);
    am_graph_destroy(g);

    assert_int_equal(am_graph_build(3, 0, NULL, NULL, NULL, &g, NULL), AM_OK);
    for (int v = 0; v <= 3; v++)
        assert_int_equal(g->first_out[v], 0);
    am_graph_destroy(g);
    am_graph_destroy(NULL);
}

static void test_invalid(void **state)
{
    (void)state;
    am_graph *g = (am_graph *)&g; /* must be reset to NULL on failure */
    am_error err;

    const int32_t bad_tail[] = {0, 4};
    const int32_t ok_head[] = {1, 2};
    const uint32_t ok_time[] = {1, 2};
    am_error_clear(&err);
    assert_int_equal(am_graph_build(4, 2, bad_tail, ok_head, ok_time, &g, &err),
                     AM_ERR_INVALID);
    assert_null(g);
    assert_int_equal(err.code, AM_ERR_INVALID);
    assert_int_equal(err.feature, 1); /* the offending arc */

    const int32_t ok_tail[] = {0, 1};
    const int32_t neg_head[] = {-1, 2};
    am_error_clear(&err);
    assert_int_equal(am_graph_build(4, 2, ok_tail, neg_head, ok_time, &g, &err),
                     AM_ERR_INVALID);
    assert_null(g);
    assert_int_equal(err.feature, 0);

    const uint32_t inf_time[] = {1, AM_TIME_INF};
    am_error_clear(&err);
    assert_int_equal(am_graph_build(4, 2, ok_tail, ok_head, inf_time, &g, &err),
                     AM_ERR_INVALID);
    assert_null(g);
    assert_int_equal(err.feature, 1);

    /* The largest finite time is accepted. */
    const uint32_t max_time[] = {1, AM_TIME_INF - 1};
    assert_int_equal(am_graph_build(4, 2, ok_tail, ok_head, max_time, &g, NULL),
                     AM_OK);
    assert_int_equal(g->time_ds[1], AM_TIME_INF - 1);
    am_graph_destroy(g);

    assert_int_equal(am_graph_build(-1, 0, NULL, NULL, NULL, &g, NULL),
                     AM_ERR_INVALID);
    assert_null(g);
    assert_int_equal(am_graph_build(4, 2, NULL, ok_head, ok_time, &g, NULL),
                     AM_ERR_INVALID);
}

static void test_validate_detects_corruption(void **state)
{
    (void)state;
    am_graph *g = build_hand();
    am_error err;

    g->head[2] = 4;
    am_error_clear(&err);
    assert_int_equal(am_graph_validate(g, &err), AM_ERR_INTERNAL);
    assert_int_equal(err.feature, 2);
    g->head[2] = 1;

    g->time_ds[5] = AM_TIME_INF;
    assert_int_equal(am_graph_validate(g, NULL), AM_ERR_INTERNAL);
    g->time_ds[5] = 0;

    g->first_out[2] = 2; /* 3 -> 2 decreases */
    assert_int_equal(am_graph_validate(g, NULL), AM_ERR_INTERNAL);
    g->first_out[2] = 3;

    g->first_out[4] = 5; /* last != n_arcs */
    assert_int_equal(am_graph_validate(g, NULL), AM_ERR_INTERNAL);
    g->first_out[4] = 6;

    /* a packed arc that differs from head / time_ds */
    assert_null(g->arc);
    assert_int_equal(am_graph_pack(g, 2, NULL), AM_OK);
    am_arc *packed = g->arc;
    assert_int_equal(am_graph_pack(g, 1, NULL), AM_OK); /* already: kept */
    assert_ptr_equal(g->arc, packed);
    assert_int_equal(am_graph_validate(g, NULL), AM_OK);
    g->arc[4].time_ds++;
    am_error_clear(&err);
    assert_int_equal(am_graph_validate(g, &err), AM_ERR_INTERNAL);
    assert_int_equal(err.feature, 4);
    g->arc[4].time_ds--;
    g->arc[3].head = (g->arc[3].head + 1) % 4;
    assert_int_equal(am_graph_validate(g, NULL), AM_ERR_INTERNAL);
    g->arc[3].head = g->head[3];
    assert_int_equal(am_graph_pack(NULL, 1, NULL), AM_ERR_INVALID);

    assert_int_equal(am_graph_validate(g, NULL), AM_OK);
    assert_int_equal(am_graph_validate(NULL, NULL), AM_ERR_INTERNAL);
    am_graph_destroy(g);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void assert_same_graph(const am_graph *a, const am_graph *b)
{
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_int_equal(a->n_arcs, b->n_arcs);
    assert_memory_equal(a->first_out, b->first_out,
                        ((size_t)a->n_nodes + 1) * sizeof *a->first_out);
    if (a->n_arcs > 0) {
        assert_memory_equal(a->head, b->head,
                            (size_t)a->n_arcs * sizeof *a->head);
        assert_memory_equal(a->time_ds, b->time_ds,
                            (size_t)a->n_arcs * sizeof *a->time_ds);
    }
    assert_int_equal(a->arc == NULL, b->arc == NULL);
    if (a->arc != NULL && a->n_arcs > 0)
        assert_memory_equal(a->arc, b->arc, (size_t)a->n_arcs * sizeof *a->arc);
}

/*
 * The parallel CSR builds (am_graph_build_threads, am_graph_reverse_threads,
 * am_csr_group) at 2, 3 and 8 threads against the serial ones, byte for byte,
 * on random arc lists with duplicate arcs, self-loops, isolated nodes and
 * one node of very high degree; with few nodes (fewer than the buckets)
 * and many.
 */
static void test_parallel_builds(void **state)
{
    (void)state;
    const int64_t m = 300000;
    int32_t *t = malloc((size_t)m * sizeof *t);
    int32_t *h = malloc((size_t)m * sizeof *h);
    uint32_t *w = malloc((size_t)m * sizeof *w);
    int64_t *first = malloc(200001 * sizeof *first);
    int64_t *perm = malloc((size_t)m * sizeof *perm);
    int64_t *first1 = malloc(200001 * sizeof *first1);
    int64_t *perm1 = malloc((size_t)m * sizeof *perm1);
    assert_true(t && h && w && first && perm && first1 && perm1);
    static const int32_t sizes[] = {1, 37, 1000, 200000};
    uint64_t seed = 5;
    for (int s = 0; s < 4; s++) {
        const int32_t n = sizes[s];
        for (int64_t a = 0; a < m; a++) {
            /* node 0 gets a tenth of the arcs; the top tenth of the ids
             * none (isolated) */
            const int32_t top = n > 10 ? n - n / 10 : n;
            t[a] = lcg(&seed) % 10 == 0 ? 0 : (int32_t)(lcg(&seed) % top);
            h[a] = lcg(&seed) % 50 == 0 ? t[a] : (int32_t)(lcg(&seed) % top);
            w[a] = (uint32_t)(lcg(&seed) % 1000);
        }
        am_graph *g1 = NULL, *r1 = NULL;
        assert_int_equal(am_graph_build(n, m, t, h, w, &g1, NULL), AM_OK);
        assert_int_equal(am_graph_reverse(g1, &r1, NULL), AM_OK);
        assert_int_equal(am_graph_validate(g1, NULL), AM_OK);
        assert_int_equal(am_graph_validate(r1, NULL), AM_OK);
        assert_int_equal(am_csr_group(n, m, t, 1, first1, perm1), AM_OK);
        for (int ti = 1; ti < AM_TEST_N_THREADS; ti++) {
            const int threads = am_test_threads[ti];
            am_graph *g = NULL, *r = NULL;
            assert_int_equal(
                am_graph_build_threads(n, m, t, h, w, threads, &g, NULL),
                AM_OK);
            assert_same_graph(g1, g);
            assert_int_equal(am_graph_reverse_threads(g, threads, &r, NULL),
                             AM_OK);
            assert_same_graph(r1, r);
            assert_int_equal(am_csr_group(n, m, t, threads, first, perm),
                             AM_OK);
            assert_same_at_threads(first, first1, ((size_t)n + 1) * 8, threads);
            assert_same_at_threads(perm, perm1, (size_t)m * 8, threads);
            am_graph_destroy(g);
            am_graph_destroy(r);
        }
        am_graph_destroy(g1);
        am_graph_destroy(r1);
    }
    /* the lowest bad arc is named, whatever the threads */
    for (int64_t a = 0; a < m; a++)
        t[a] = h[a] = 0;
    t[250000] = 5;           /* out of range (n = 3) */
    w[200000] = AM_TIME_INF; /* too slow: lower, so named */
    for (int ti = 0; ti < AM_TEST_N_THREADS; ti++) {
        const int threads = am_test_threads[ti];
        am_graph *g = NULL;
        am_error err;
        am_error_clear(&err);
        assert_int_equal(
            am_graph_build_threads(3, m, t, h, w, threads, &g, &err),
            AM_ERR_INVALID);
        assert_null(g);
        assert_int_equal(err.feature, 200000);
        assert_non_null(strstr(err.msg, "infinity"));
    }
    free(t);
    free(h);
    free(w);
    free(first);
    free(perm);
    free(first1);
    free(perm1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_stable),
        cmocka_unit_test(test_reverse),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_validate_detects_corruption),
        cmocka_unit_test(test_parallel_builds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
