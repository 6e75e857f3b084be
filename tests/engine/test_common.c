/*
 * test_common.c: the small shared helpers in common/: minutes <-> whole
 * deciseconds (cutoffs and thresholds must land exactly on the integer
 * times the kernels compare with), the overflow-checked array allocator,
 * and the one-line error format the CLI prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/units.h"

static void test_minutes_to_ds(void **state)
{
    (void)state;
    assert_int_equal(am_minutes_to_ds(30.0), 18000);
    assert_int_equal(am_minutes_to_ds(7.5), 4500);
    assert_int_equal(am_minutes_to_ds(0.0), 0);
    /* 1/600 min = 0.1 s = 1 ds; rounding to nearest */
    assert_int_equal(am_minutes_to_ds(1.0 / 600.0), 1);
    assert_int_equal(am_minutes_to_ds(0.4 / 600.0), 0);
    assert_int_equal(am_minutes_to_ds(0.6 / 600.0), 1);
    assert_int_equal(am_minutes_to_ds(-5.0), 0);
    assert_int_equal(am_minutes_to_ds(NAN), 0);
    assert_int_equal(am_minutes_to_ds(1e12), AM_TIME_INF - 1);
    assert_true(fabs(am_ds_to_minutes(18000) - 30.0) == 0.0);
    for (uint32_t ds = 0; ds < 100000; ds += 7)
        assert_int_equal(am_minutes_to_ds(am_ds_to_minutes(ds)), ds);
}

static void test_alloc_array(void **state)
{
    (void)state;
    assert_null(am_alloc_array(SIZE_MAX / 2, 4)); /* overflow, no wrap */
    void *p = am_alloc_array(0, 8);               /* empty still allocates */
    assert_non_null(p);
    free(p);
    int *z = am_calloc_array(16, sizeof *z);
    assert_non_null(z);
    for (int i = 0; i < 16; i++)
        assert_int_equal(z[i], 0);
    free(z);
}

static void test_error_format(void **state)
{
    (void)state;
    am_error e;
    char buf[256];
    am_error_set(&e, AM_ERR_INVALID, "sites.csv", "capacity %d is negative",
                 -4);
    am_error_set_layer(&e, "sites");
    am_error_set_feature(&e, 2);
    assert_string_equal(am_error_format(&e, buf, sizeof buf),
                        "sites.csv: layer 'sites': feature 2: capacity -4 is "
                        "negative");
    am_error_set(&e, AM_ERR_SCENARIO, "s.yaml", "unknown key 'x'");
    am_error_set_line(&e, 12, 1);
    assert_string_equal(am_error_format(&e, buf, sizeof buf),
                        "s.yaml: line 12:1: unknown key 'x'");
    am_error_clear(&e);
    e.code = AM_ERR_IO;
    assert_string_equal(am_error_format(&e, buf, sizeof buf), "i/o error");
    /* truncation keeps a terminated string */
    am_error_set(&e, AM_ERR_IO, "a-very-long-file-name.tif", "x");
    am_error_format(&e, buf, 8);
    assert_int_equal(strlen(buf), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minutes_to_ds),
        cmocka_unit_test(test_alloc_array),
        cmocka_unit_test(test_error_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
