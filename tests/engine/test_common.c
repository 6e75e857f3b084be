/*
 * test_common.c: the small shared helpers in common/: minutes <-> whole
 * deciseconds (cutoffs and thresholds must land exactly on the integer
 * times the kernels compare with), the allocator (common/alloc.h; its
 * fault injection is tests/common/test_alloc_faults.c),
 * the one-line error format the CLI prints, the decimal-only number
 * grammar shared by the scenario reader, the facility loader and the CLI,
 * the summary's count formatting (which must hold any double), and the
 * duplicate finder behind every uniqueness check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/numparse.h"
#include "common/strutil.h"
#include "common/unique.h"
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

/* am_minutes_limit: the one check of every time limit (cutoffs,
 * thresholds, decay cutoffs and zone bounds, surface.max_time_min, ...). */
static void expect_limit_bad(double minutes, unsigned flags,
                             const char *fragment)
{
    char why[AM_MINUTES_WHY_MAX];
    uint32_t ds = 12345;
    const char *r =
        am_minutes_limit(minutes, 1440.0, flags, &ds, why, sizeof why);
    if (r == NULL || strstr(r, fragment) == NULL) {
        print_error("%g: got \"%s\", expected \"%s\"\n", minutes,
                    r != NULL ? r : "(accepted)", fragment);
        fail();
    }
    assert_ptr_equal(r, why);
    assert_int_equal(ds, 12345); /* untouched when refused */
}

static void test_minutes_limit(void **state)
{
    (void)state;
    char why[AM_MINUTES_WHY_MAX];
    uint32_t ds = 0;
    assert_null(am_minutes_limit(30.0, 1440.0, 0, &ds, why, sizeof why));
    assert_int_equal(ds, 18000);
    assert_null(am_minutes_limit(1440.0, 1440.0, 0, &ds, why, sizeof why));
    assert_int_equal(ds, 864000);
    /* the least limit: half a decisecond, 1/1200 min, rounds to 1 ds */
    assert_null(
        am_minutes_limit(1.0 / 1200.0, 1440.0, 0, &ds, why, sizeof why));
    assert_int_equal(ds, 1);
    expect_limit_bad(0.0008, 0, "is shorter than 0.05 s, so it rounds to 0");
    expect_limit_bad(0.0001, 0, "is shorter than 0.05 s");
    expect_limit_bad(1e-300, AM_MINUTES_ZERO_OK, "is shorter than 0.05 s");
    expect_limit_bad(4.9e-324, 0, "is shorter than 0.05 s"); /* subnormal */
    /* 0: refused, or "none" with AM_MINUTES_ZERO_OK */
    expect_limit_bad(0.0, 0, "must be > 0 and <= 1440 minutes (24 h)");
    expect_limit_bad(-0.0, 0, "must be > 0");
    ds = 7;
    assert_null(am_minutes_limit(0.0, 1440.0, AM_MINUTES_ZERO_OK, &ds, why,
                                 sizeof why));
    assert_int_equal(ds, 0);
    expect_limit_bad(-1.0, 0, "must be > 0 and <= 1440 minutes (24 h)");
    expect_limit_bad(-1.0, AM_MINUTES_ZERO_OK,
                     "must be >= 0 and <= 1440 minutes (24 h)");
    expect_limit_bad(1440.0000001, 0, "<= 1440 minutes");
    expect_limit_bad(1e308, 0, "<= 1440 minutes");
    expect_limit_bad(NAN, 0, "must be a finite number of minutes");
    expect_limit_bad(NAN, AM_MINUTES_ZERO_OK, "finite");
    expect_limit_bad(INFINITY, 0, "finite");
    expect_limit_bad(-INFINITY, 0, "finite");
    /* another maximum (the kernels': the largest finite time) */
    assert_null(am_minutes_limit(5000.0, am_ds_to_minutes(AM_TIME_INF - 1), 0,
                                 &ds, why, sizeof why));
    assert_int_equal(ds, 3000000);
    /* a short buffer truncates, never overflows */
    char tiny[8];
    const char *r = am_minutes_limit(-1.0, 1440.0, 0, &ds, tiny, sizeof tiny);
    assert_ptr_equal(r, tiny);
    assert_int_equal(strlen(tiny), 7);
    /* every accepted limit is exactly am_minutes_to_ds, >= 1; every
       refused one in range rounds to 0 (a sweep over many magnitudes) */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const double m =
            ldexp((double)(x >> 11) / 9007199254740992.0, -(int)(x % 24));
        const double v = m * 1440.0;
        ds = 0;
        const char *w = am_minutes_limit(v, 1440.0, 0, &ds, why, sizeof why);
        if (v > 0.0 && am_minutes_to_ds(v) >= 1) {
            assert_null(w);
            assert_int_equal(ds, am_minutes_to_ds(v));
        } else {
            assert_non_null(w);
        }
    }
}

static void test_alloc_array(void **state)
{
    (void)state;
    assert_null(am_alloc_array(SIZE_MAX / 2, 4)); /* overflow, no wrap */
    void *p = am_alloc_array(0, 8);               /* empty still allocates */
    assert_non_null(p);
    am_free(p);
    int *z = am_calloc_array(16, sizeof *z);
    assert_non_null(z);
    for (int i = 0; i < 16; i++)
        assert_int_equal(z[i], 0);
    am_free(z);
}

/* The plain wrappers (common/alloc.h): overflow refused, a zero size still
 * a block (NULL only ever means out of memory), realloc keeps the data and
 * leaves the block valid when it fails, am_free(NULL) a no-op. */
static void test_alloc_wrappers(void **state)
{
    (void)state;
    assert_null(am_calloc(SIZE_MAX / 2, 4)); /* count x size overflows */
    assert_null(am_calloc(4, SIZE_MAX / 2));
    assert_null(am_calloc_array(SIZE_MAX / 8 + 1, 8));

    void *m0 = am_malloc(0);
    void *c0 = am_calloc(0, 8);
    void *c1 = am_calloc(8, 0);
    assert_non_null(m0);
    assert_non_null(c0);
    assert_non_null(c1);
    assert_int_equal(*(unsigned char *)c1, 0);
    am_free(m0);
    am_free(c0);
    am_free(c1);
    am_free(NULL);

    int *a = am_realloc(NULL, 4 * sizeof *a); /* NULL: a fresh block */
    assert_non_null(a);
    for (int i = 0; i < 4; i++)
        a[i] = i * 11;
    int *b = am_realloc_array(a, 4096, sizeof *b); /* growth keeps the data */
    assert_non_null(b);
    for (int i = 0; i < 4; i++)
        assert_int_equal(b[i], i * 11);
    b[4095] = 7;
    assert_null(am_realloc_array(b, SIZE_MAX / 2, 4)); /* overflow */
    assert_int_equal(b[3], 33); /* b untouched by the refusal */
    int *c = am_realloc(b, 0);  /* 0 keeps a block, does not free */
    assert_non_null(c);
    c = am_realloc_array(c, 0, sizeof *c);
    assert_non_null(c);
    am_free(c);

    char *d = am_strdup("abc");
    assert_non_null(d);
    assert_string_equal(d, "abc");
    am_free(d);
    assert_null(am_strdup(NULL));
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

static void test_parse_real(void **state)
{
    (void)state;
    double v = -1;
    const struct {
        const char *s;
        double want;
    } ok[] = {{"0", 0},          {"5000", 5000}, {"+2.5", 2.5},
              {"-3", -3},        {".5", 0.5},    {"5.", 5},
              {"1e3", 1e3},      {"1E-3", 1e-3}, {"-0", 0},
              {"007", 7},        {"1e+2", 100},  {"1e308", 1e308},
              {"1e-307", 1e-307}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        assert_int_equal(am_parse_real(ok[i].s, &v), AM_NUM_OK);
        assert_true(v == ok[i].want);
    }
    assert_int_equal(am_parse_real("-0.0", &v), AM_NUM_OK);
    assert_false(signbit(v)); /* no negative zero */
    const char *syntax[] = {"",     " 1",   "1 ",   "0x10",  "0X1p4", "inf",
                            "-inf", "nan",  ".inf", "1_000", "1,5",   "+",
                            "-",    ".",    "e5",   "1e",    "1e+",   "1.2.3",
                            "0b1",  "0o17", "١",    "1e5x",  "--1",   "+-1"};
    for (size_t i = 0; i < sizeof syntax / sizeof *syntax; i++) {
        v = 42;
        assert_int_equal(am_parse_real(syntax[i], &v), AM_NUM_SYNTAX);
        assert_true(v == 42); /* untouched */
    }
    assert_int_equal(am_parse_real(NULL, &v), AM_NUM_SYNTAX);
    const char *range[] = {"1e400", "-1e400", "1e-400", "4.9e-324", "1e-310"};
    for (size_t i = 0; i < sizeof range / sizeof *range; i++)
        assert_int_equal(am_parse_real(range[i], &v), AM_NUM_RANGE);
    /* zero written with a huge exponent is still zero */
    assert_int_equal(am_parse_real("0e-999", &v), AM_NUM_OK);
    assert_true(v == 0.0);
}

static void test_parse_integer(void **state)
{
    (void)state;
    long long v = -1;
    assert_int_equal(am_parse_integer("4096", &v), AM_NUM_OK);
    assert_int_equal(v, 4096);
    assert_int_equal(am_parse_integer("+4", &v), AM_NUM_OK);
    assert_int_equal(v, 4);
    assert_int_equal(am_parse_integer("-12", &v), AM_NUM_OK);
    assert_int_equal(v, -12);
    const char *syntax[] = {"",    " 4", "4 ", "0x10", "1.0",
                            "1e3", "4k", "+",  "inf"};
    for (size_t i = 0; i < sizeof syntax / sizeof *syntax; i++)
        assert_int_equal(am_parse_integer(syntax[i], &v), AM_NUM_SYNTAX);
    assert_int_equal(am_parse_integer("99999999999999999999", &v),
                     AM_NUM_RANGE);
    /* one rule for --threads and threads: */
    assert_true(am_threads_valid(0));
    assert_true(am_threads_valid(AM_THREADS_MAX));
    assert_false(am_threads_valid(AM_THREADS_MAX + 1));
    assert_false(am_threads_valid(100000));
    assert_false(am_threads_valid(-1));
}

static void test_format_count(void **state)
{
    (void)state;
    char buf[AM_COUNT_BUF];
    assert_string_equal(am_format_count(0, buf), "0");
    assert_string_equal(am_format_count(999, buf), "999");
    assert_string_equal(am_format_count(1000, buf), "1,000");
    assert_string_equal(am_format_count(1234567.8, buf), "1,234,568");
    assert_string_equal(am_format_count(-1234567.8, buf), "-1,234,568");
    assert_string_equal(am_format_count(-0.4, buf), "0");
    assert_string_equal(am_format_count(999999999999999999.0, buf),
                        "1.000e+18"); /* rounds to 1e18 as a double */
    assert_string_equal(am_format_count(123456789012345678.0, buf),
                        "123,456,789,012,345,680");
    /* what used to overflow the stack buffer: a total of 1e24 and more */
    assert_string_equal(am_format_count(1e24, buf), "1.000e+24");
    assert_string_equal(am_format_count(-1e24, buf), "-1.000e+24");
    assert_string_equal(am_format_count(3.4028234663852886e38, buf),
                        "3.403e+38");
    assert_string_equal(am_format_count(1e300, buf), "1.000e+300");
    assert_string_equal(am_format_count(-1.7976931348623157e308, buf),
                        "-1.798e+308");
    assert_string_equal(am_format_count(INFINITY, buf), "inf");
    assert_string_equal(am_format_count(-INFINITY, buf), "-inf");
    assert_string_equal(am_format_count(NAN, buf), "nan");
}

/* am_find_duplicate answers what the pairwise loop would (the earliest
 * repeat, and what it repeats), and stays fast on a long list. */
static void test_find_duplicate(void **state)
{
    (void)state;
    size_t i = 99, j = 99;
    const char *none[] = {"a", "b", "c"};
    assert_int_equal(am_find_duplicate(none, 3, &i, &j), 0);
    assert_int_equal(am_find_duplicate(none, 0, &i, &j), 0);
    const char *two[] = {"x", "b", "a", "b", "a", "a"};
    assert_int_equal(am_find_duplicate(two, 6, &i, &j), 1);
    assert_int_equal(i, 1); /* "b" repeats first, at 3 */
    assert_int_equal(j, 3);
    const char *runs[] = {"a", "q", "a", "q", "a"};
    assert_int_equal(am_find_duplicate(runs, 5, &i, &j), 1);
    assert_int_equal(i, 0);
    assert_int_equal(j, 2);
    const char *nulls[] = {NULL, "k", NULL, "k"};
    assert_int_equal(am_find_duplicate(nulls, 4, &i, &j), 1);
    assert_int_equal(i, 1);
    assert_int_equal(j, 3);
    /* 200,000 distinct keys and one repeat at the end: O(n log n). */
    const size_t n = 200000;
    char *buf = malloc(n * 12);
    const char **many = malloc(n * sizeof *many);
    assert_non_null(buf);
    assert_non_null(many);
    for (size_t k = 0; k < n; k++) {
        snprintf(buf + 12 * k, 12, "k%zu", k);
        many[k] = buf + 12 * k;
    }
    assert_int_equal(am_find_duplicate(many, n, &i, &j), 0);
    many[n - 1] = many[7];
    assert_int_equal(am_find_duplicate(many, n, &i, &j), 1);
    assert_int_equal(i, 7);
    assert_int_equal(j, n - 1);
    free(many);
    free(buf);
}

/* Strings bound for H5T_CSET_UTF8 datasets: well-formed UTF-8 is kept as
 * it is; anything else (Latin-1 bytes, overlongs, surrogates) becomes
 * U+FFFD, byte by byte. */
static void test_utf8(void **state)
{
    (void)state;
    size_t at = 99;
    assert_int_equal(am_utf8_invalid("", &at), 0);
    assert_int_equal(am_utf8_invalid("Mitsamiouli", NULL), 0);
    assert_int_equal(am_utf8_invalid("Centre de sant\xc3\xa9 \xe2\x82\xac "
                                     "\xf0\x9f\x8f\xa5",
                                     &at),
                     0);
    assert_int_equal(am_utf8_invalid("Caf\xe9", &at), 1); /* Latin-1 */
    assert_int_equal(at, 3);
    assert_int_equal(am_utf8_invalid("\xc0\xaf", NULL), 1);     /* overlong */
    assert_int_equal(am_utf8_invalid("\xe0\x80\xaf", NULL), 1); /* overlong */
    assert_int_equal(am_utf8_invalid("\xed\xa0\x80", NULL), 1); /* surrogate */
    assert_int_equal(am_utf8_invalid("\xf4\x90\x80\x80", NULL),
                     1);                                /* >10FFFF */
    assert_int_equal(am_utf8_invalid("\xc3", NULL), 1); /* cut short */
    assert_int_equal(am_utf8_invalid("\xe2\x82", NULL), 1);
    assert_int_equal(am_utf8_invalid("\x80", NULL), 1); /* continuation */

    char *t = am_utf8_sanitize("Caf\xe9 \xc3\xa9t\xe9");
    assert_non_null(t);
    assert_string_equal(t, "Caf\xef\xbf\xbd \xc3\xa9t\xef\xbf\xbd");
    assert_int_equal(am_utf8_invalid(t, NULL), 0);
    am_free(t);
    t = am_utf8_sanitize("\xe2\x82");
    assert_string_equal(t, "\xef\xbf\xbd\xef\xbf\xbd");
    am_free(t);
    t = am_utf8_sanitize("plain");
    assert_string_equal(t, "plain");
    am_free(t);
    assert_null(am_utf8_sanitize(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minutes_to_ds),
        cmocka_unit_test(test_minutes_limit),
        cmocka_unit_test(test_alloc_array),
        cmocka_unit_test(test_alloc_wrappers),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_parse_real),
        cmocka_unit_test(test_parse_integer),
        cmocka_unit_test(test_format_count),
        cmocka_unit_test(test_find_duplicate),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
