/*
 * test_demand.c: the node -> links index and input validation.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_order),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
