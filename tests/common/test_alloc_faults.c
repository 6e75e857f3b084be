/*
 * test_alloc_faults.c: the allocation fault-injection hook (common/alloc.h,
 * ACCESSIM_FAULT_INJECTION builds only). The hook itself (which call
 * fails, one-shot or from then on, the count), then the way it is meant
 * to be used: fail each allocation of an operation in turn and check that
 * every one turns into a clean out-of-memory result (under ASan: nothing
 * leaked, nothing freed twice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/strutil.h"
#include "common/warning.h"
#include "kernels/graph.h"

static int reset(void **state)
{
    (void)state;
    am_alloc_fail_at(0);
    return 0;
}

static void test_fail_at(void **state)
{
    (void)state;
    am_alloc_fail_at(3);
    assert_int_equal(am_alloc_count(), 0);
    void *a = am_malloc(8);
    void *b = am_calloc(2, 8);
    void *c = am_alloc_array(4, 4); /* the 3rd */
    void *d = am_realloc(NULL, 8);  /* only the 3rd fails */
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_non_null(d);
    assert_int_equal(am_alloc_count(), 4);
    am_free(d);
    am_free(b);
    am_free(a);
    assert_int_equal(am_alloc_count(), 4); /* am_free does not count */

    /* A failed realloc leaves the block as it was. */
    char *s = am_strdup("kept");
    assert_non_null(s);
    am_alloc_fail_at(1);
    assert_null(am_realloc_array(s, 64, 1));
    assert_string_equal(s, "kept");
    am_free(s);

    /* 0: nothing fails; the count still runs. */
    am_alloc_fail_at(0);
    for (int i = 0; i < 5; i++) {
        void *p = am_malloc(1);
        assert_non_null(p);
        am_free(p);
    }
    assert_int_equal(am_alloc_count(), 5);
}

static void test_fail_from(void **state)
{
    (void)state;
    am_alloc_fail_from(2);
    void *a = am_malloc(8);
    assert_non_null(a);
    assert_null(am_malloc(8));
    assert_null(am_calloc(1, 8));
    assert_null(am_strdup("x"));
    assert_null(am_utf8_sanitize("x"));
    assert_int_equal(am_alloc_count(), 5);
    am_free(a);
    /* An overflow is refused before it counts as an allocation. */
    am_alloc_fail_at(0);
    assert_null(am_calloc(SIZE_MAX / 2, 4));
    assert_null(am_alloc_array(SIZE_MAX / 2, 4));
    assert_int_equal(am_alloc_count(), 0);
}

/* A graph build failed at each of its allocations in turn: AM_ERR_NOMEM,
 * *out NULL, a message, and (ASan) no leak; then it succeeds. */
/* am_grow_array: doubling from the first capacity; a failed growth leaves
 * the array and its capacity as they were. */
static void test_grow_array(void **state)
{
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    assert_true(am_grow_array((void **)&a, &cap, 5, sizeof *a, 4));
    assert_int_equal(cap, 8);
    for (int i = 0; i < 8; i++)
        a[i] = i;
    assert_true(am_grow_array((void **)&a, &cap, 8, sizeof *a, 4));
    assert_int_equal(cap, 8); /* enough: unchanged */
    am_alloc_fail_at(1);
    int *before = a;
    assert_false(am_grow_array((void **)&a, &cap, 9, sizeof *a, 4));
    assert_ptr_equal(a, before);
    assert_int_equal(cap, 8);
    am_alloc_fail_at(0);
    assert_true(am_grow_array((void **)&a, &cap, 100, sizeof *a, 4));
    assert_int_equal(cap, 128);
    for (int i = 0; i < 8; i++)
        assert_int_equal(a[i], i);
    assert_false(am_grow_array((void **)&a, &cap, SIZE_MAX, sizeof *a, 4));
    assert_int_equal(cap, 128);
    am_free(a);
}

static void test_graph_build_every_failure(void **state)
{
    (void)state;
    const int32_t tail[] = {0, 1, 2, 2};
    const int32_t head[] = {1, 2, 0, 1};
    const uint32_t time_ds[] = {10, 20, 30, 40};
    size_t needed = 0;
    for (size_t n = 1;; n++) {
        am_error err;
        am_error_clear(&err);
        am_graph *g = (am_graph *)&needed; /* must be reset to NULL */
        am_alloc_fail_at(n);
        am_status rc = am_graph_build(3, 4, tail, head, time_ds, &g, &err);
        if (rc == AM_OK) {
            needed = n - 1;
            assert_non_null(g);
            am_graph_destroy(g);
            break;
        }
        assert_int_equal(rc, AM_ERR_NOMEM);
        assert_null(g);
        assert_true(err.msg[0] != '\0');
        assert_true(n < 100);
    }
    assert_true(needed >= 4); /* the graph, its 3 arrays, the cursor */
}

/* The warning list (3 allocations for two warnings: the array, a copy,
 * a copy): a failed one drops that warning, never the list or the count. */
static void test_warnings_every_failure(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 4; n++) {
        am_warnings w;
        am_warnings_init(&w, NULL, NULL);
        am_alloc_fail_at(n);
        am_warn(&w, "first %d", 1);
        am_warn(&w, "second %d", 2);
        am_alloc_fail_at(0);
        assert_int_equal(w.count, 2);
        assert_int_equal(w.n, n == 4 ? 2 : 1); /* 4: both kept */
        am_warnings_clear(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fail_at, reset),
        cmocka_unit_test_teardown(test_fail_from, reset),
        cmocka_unit_test_teardown(test_grow_array, reset),
        cmocka_unit_test_teardown(test_graph_build_every_failure, reset),
        cmocka_unit_test_teardown(test_warnings_every_failure, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
