/*
 * test_demand.c: the node -> links index and input validation.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thread_counts.h"

#include "common/units.h"
#include "kernels/demand.h"

static void test_index_order(void **state)
{
    (void)state;
    /* 7 cells on 4 nodes, links 2 i + k. Node 1 gets links 0 (cell 0,
     * offset 30), 4 (cell 2, 10), 10 (cell 5, 10), 12 (cell 6, 0): ordered
     * by (offset, link id) -> 12, 4, 10, 0. Node 3 gets link 2 (cell 1,
     * offset 300 needs the second radix digit), 8 (cell 4, 256) and 13
     * (cell 6's second link, 256: ties go to the lower link id) -> 8, 13, 2.
     * Node 2 gets cell 0's second link 1 (offset 5). Cell 3 is off the
     * network (any negative node becomes -1, offset AM_TIME_INF). Node 0
     * has none. */
    const int32_t node[] = {1, 2, 3, -1, 1, -1, -7, -2, 3, -1, 1, -1, 1, 3};
    const uint32_t off[] = {30, 5,   300, 0,  10, 0, AM_TIME_INF,
                            9,  256, 0,   10, 0,  0, 256};
    const double pop[] = {1.5, 2, 3, 4, 0, 6, 7};
    am_demand *d = NULL;
    assert_int_equal(am_demand_build(7, 4, node, off, pop, &d, NULL), AM_OK);
    assert_int_equal(d->n_cells, 7);
    assert_int_equal(d->n_nodes, 4);
    static const int64_t first[] = {0, 0, 4, 5, 8};
    static const int32_t order[] = {12, 4, 10, 0, 1, 8, 13, 2};
    assert_memory_equal(d->first, first, sizeof first);
    assert_memory_equal(d->order, order, sizeof order);
    assert_int_equal(d->link_node[6], -1);
    assert_int_equal(d->link_node[7], -1);
    assert_int_equal(d->link_offset_ds[7], AM_TIME_INF);
    assert_int_equal(d->link_node[2], 3);
    assert_int_equal(d->link_offset_ds[2], 300);
    assert_true(d->pop[0] == 1.5);
    assert_false(am_demand_cell_on(d, 3));
    assert_true(am_demand_cell_on(d, 6));
    am_demand_destroy(d);
    am_demand_destroy(NULL);

    /* No cells at all. */
    assert_int_equal(am_demand_build(0, 3, NULL, NULL, NULL, &d, NULL), AM_OK);
    assert_int_equal(d->first[3], 0);
    am_demand_destroy(d);
}

static void expect_invalid(const int32_t *node, const uint32_t *off,
                           const double *pop, long long bad_cell)
{
    am_demand *d = (am_demand *)&d;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_demand_build(3, 4, node, off, pop, &d, &err),
                     AM_ERR_INVALID);
    assert_null(d);
    assert_int_equal(err.code, AM_ERR_INVALID);
    assert_int_equal(err.feature, bad_cell);
}

static void test_invalid(void **state)
{
    (void)state;
    const int32_t node[] = {0, -1, 1, 2, 2, -1};
    const uint32_t off[] = {0, 0, 0, 0, 0, 0};
    const double neg[] = {1, -0.5, 1};
    const double nan_pop[] = {1, 2, NAN};
    const double inf_pop[] = {INFINITY, 2, 3};
    const double ok[] = {1, 2, 3};
    expect_invalid(node, off, neg, 1);
    expect_invalid(node, off, nan_pop, 2);
    expect_invalid(node, off, inf_pop, 0);

    const int32_t bad_node[] = {0, -1, 1, 4, 2, -1}; /* n_nodes = 4 */
    expect_invalid(bad_node, off, ok, 1);

    const uint32_t inf_off[] = {0, 0, 0, 0, AM_TIME_INF, AM_TIME_INF};
    expect_invalid(node, inf_off, ok, 2);
    /* ...but an absent link may carry any offset. */
    const int32_t off_net[] = {0, -1, 1, 2, -1, -1};
    am_demand *d = NULL;
    assert_int_equal(am_demand_build(3, 4, off_net, inf_off, ok, &d, NULL),
                     AM_OK);
    am_demand_destroy(d);

    /* Zero population is valid. */
    const double zero[] = {0, 0, 0};
    assert_int_equal(am_demand_build(3, 4, node, off, zero, &d, NULL), AM_OK);
    am_demand_destroy(d);
}

static void assert_same_demand(const am_demand *a, const am_demand *b)
{
    const size_t nl = (size_t)AM_DEMAND_LINKS * (size_t)a->n_cells;
    assert_int_equal(a->n_cells, b->n_cells);
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_memory_equal(a->link_node, b->link_node, nl * sizeof *a->link_node);
    assert_memory_equal(a->link_offset_ds, b->link_offset_ds,
                        nl * sizeof *a->link_offset_ds);
    assert_memory_equal(a->pop, b->pop, (size_t)a->n_cells * sizeof *a->pop);
    assert_memory_equal(a->first, b->first,
                        ((size_t)a->n_nodes + 1) * sizeof *a->first);
    assert_memory_equal(a->order, b->order,
                        (size_t)a->first[a->n_nodes] * sizeof *a->order);
}

/* The index against its definition (every present link under its node,
 * each node's links ascending by (offset, link id)), and the builds at 1,
 * 2 and 3 threads byte for byte the same: many cells on few nodes (long
 * lists: heapsort), many nodes with few cells, ties in offsets, links off
 * the network; and the same error (message and cell) for the same first
 * bad cell. */
static void assert_index_defined(const am_demand *d, const int32_t *node,
                                 const uint32_t *off)
{
    int64_t present = 0;
    for (int64_t l = 0; l < (int64_t)AM_DEMAND_LINKS * d->n_cells; l++)
        present += node[l] >= 0;
    assert_int_equal(d->first[0], 0);
    assert_int_equal(d->first[d->n_nodes], present);
    for (int32_t v = 0; v < d->n_nodes; v++)
        for (int64_t k = d->first[v]; k < d->first[v + 1]; k++) {
            const int32_t l = d->order[k];
            assert_int_equal(node[l], v);
            if (k > d->first[v]) {
                const int32_t p = d->order[k - 1];
                assert_true(off[p] < off[l] || (off[p] == off[l] && p < l));
            }
        }
}

static void test_threads_same(void **state)
{
    (void)state;
    uint64_t rs = 88172645463325292ull;
    const int32_t n = 120000;
    int32_t *node = malloc(sizeof *node * 2 * (size_t)n);
    uint32_t *off = malloc(sizeof *off * 2 * (size_t)n);
    double *pop = malloc(sizeof *pop * (size_t)n);
    assert_non_null(node);
    assert_non_null(off);
    assert_non_null(pop);
    for (int shape = 0; shape < 3; shape++) {
        const int32_t n_nodes = shape == 0 ? 7 : shape == 1 ? 300000 : 5000;
        for (int32_t l = 0; l < 2 * n; l++) {
            rs ^= rs << 13;
            rs ^= rs >> 7;
            rs ^= rs << 17;
            node[l] = rs % 10 == 0 ? -1 : (int32_t)(rs % (uint64_t)n_nodes);
            off[l] = (uint32_t)((rs >> 20) % (shape == 2 ? 5u : 100000u));
            if (l % 2 == 0)
                pop[l / 2] = (double)((rs >> 40) % 1000) / 7.0;
        }
        am_demand *ref = NULL;
        assert_int_equal(
            am_demand_build(n, n_nodes, node, off, pop, &ref, NULL), AM_OK);
        assert_index_defined(ref, node, off);
        for (int ti = 0; ti < AM_TEST_N_THREADS; ti++) {
            am_demand *d = NULL;
            assert_int_equal(am_demand_build_threads(n, n_nodes, node, off, pop,
                                                     am_test_threads[ti], &d,
                                                     NULL),
                             AM_OK);
            assert_same_demand(ref, d);
            am_demand_destroy(d);
        }
        am_demand_destroy(ref);
    }
    /* errors: a bad node late, then a NaN population earlier */
    node[2 * 100001] = 7000; /* the last shape has 5000 nodes */
    for (int k = 0; k < 2; k++) {
        if (k == 1)
            pop[54321] = NAN;
        am_error e1, e2;
        am_error_clear(&e1);
        am_demand *d = NULL;
        assert_int_equal(am_demand_build(n, 5000, node, off, pop, &d, &e1),
                         AM_ERR_INVALID);
        for (int ti = 1; ti < AM_TEST_N_THREADS; ti++) {
            am_error_clear(&e2);
            assert_int_equal(am_demand_build_threads(n, 5000, node, off, pop,
                                                     am_test_threads[ti], &d,
                                                     &e2),
                             AM_ERR_INVALID);
            assert_null(d);
            assert_string_equal(e1.msg, e2.msg);
            assert_int_equal(e1.feature, e2.feature);
        }
        assert_int_equal(e1.feature, k == 0 ? 100001 : 54321);
    }
    free(node);
    free(off);
    free(pop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_order),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_threads_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
