/*
 * test_radix.c: the shared radix sort (kernels/radix.c) against a plain
 * stable reference (insertion by (key, position)): 32 and 64-bit keys,
 * with and without payload, sizes around the insertion cut-off, keys with
 * digits equal in every key (skipped passes), all keys equal, and 1, 2,
 * 3 and 8 threads giving the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thread_counts.h"

#include "kernels/radix.h"

static uint64_t rng_state;
static uint64_t rng_next(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct kv {
    uint64_t key;
    int32_t pos;
} kv;

static int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Keys drawn under mask, OR'ed with fixed: digits outside the mask are
 * equal in every key. */
static void check_u64(int64_t n, uint64_t mask, uint64_t fixed, int with_val)
{
    uint64_t *key = malloc((size_t)(n + 1) * sizeof *key);
    uint64_t *kt = malloc((size_t)(n + 1) * sizeof *kt);
    int32_t *val = malloc((size_t)(n + 1) * sizeof *val);
    int32_t *vt = malloc((size_t)(n + 1) * sizeof *vt);
    kv *ref = malloc((size_t)(n + 1) * sizeof *ref);
    uint64_t *first = malloc((size_t)(n + 1) * sizeof *first);
    int64_t hist[AM_TEST_THREADS_MAX * AM_RADIX_DIGITS]; /* nt * digits */
    assert_non_null(key);
    assert_non_null(kt);
    assert_non_null(val);
    assert_non_null(vt);
    assert_non_null(ref);
    assert_non_null(first);
    for (int64_t i = 0; i < n; i++) {
        ref[i].key = (rng_next() & mask) | fixed;
        ref[i].pos = (int32_t)i;
    }
    for (int ti = 0; ti < AM_TEST_N_THREADS; ti++) {
        const int nt = am_test_threads[ti];
        for (int64_t i = 0; i < n; i++) {
            key[i] = ref[i].key;
            val[i] = (int32_t)i;
        }
        const int in_tmp =
            am_radix_sort_u64(n, key, with_val ? val : NULL, kt, vt, nt, hist);
        const uint64_t *k = in_tmp ? kt : key;
        const int32_t *v = in_tmp ? vt : val;
        if (nt == 1) {
            qsort(ref, (size_t)n, sizeof *ref, cmp_kv);
            for (int64_t i = 0; i < n; i++) {
                assert_true(k[i] == ref[i].key);
                if (with_val)
                    assert_int_equal(v[i], ref[i].pos);
            }
            if (n > 0)
                memcpy(first, k, (size_t)n * sizeof *k);
            /* ref is sorted now: put it back in input order */
            kv *back = malloc((size_t)(n + 1) * sizeof *back);
            assert_non_null(back);
            for (int64_t i = 0; i < n; i++)
                back[ref[i].pos] = ref[i];
            memcpy(ref, back, (size_t)n * sizeof *ref);
            free(back);
        } else if (n > 0) {
            assert_same_at_threads(k, first, (size_t)n * sizeof *k, nt);
        }
    }
    free(key);
    free(kt);
    free(val);
    free(vt);
    free(ref);
    free(first);
}

static void test_radix_u64(void **state)
{
    (void)state;
    rng_state = 7;
    static const int64_t sizes[] = {0, 1, 2, 31, 32, 33, 1000, 70000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        check_u64(sizes[s], ~(uint64_t)0, 0, 1);
        check_u64(sizes[s], 0xFFull, 0, 1);                  /* one pass */
        check_u64(sizes[s], 0x0F00F000F0ull, 1ull << 63, 1); /* gaps */
        check_u64(sizes[s], 0x3ull, 0, 0);                   /* many ties */
        check_u64(sizes[s], 0, 42, 1);                       /* all equal */
    }
}

static void test_radix_u32(void **state)
{
    (void)state;
    rng_state = 11;
    const int64_t n = 50000;
    uint32_t *key = malloc((size_t)n * sizeof *key);
    uint32_t *kt = malloc((size_t)n * sizeof *kt);
    int32_t *val = malloc((size_t)n * sizeof *val);
    int32_t *vt = malloc((size_t)n * sizeof *vt);
    uint32_t *in = malloc((size_t)n * sizeof *in);
    int64_t hist[2 * AM_RADIX_DIGITS];
    assert_non_null(key);
    assert_non_null(kt);
    assert_non_null(val);
    assert_non_null(vt);
    assert_non_null(in);
    for (int64_t i = 0; i < n; i++)
        in[i] = (uint32_t)(rng_next() % 3000) << 12; /* low digits equal */
    for (int nt = 1; nt <= 2; nt++) {
        memcpy(key, in, (size_t)n * sizeof *key);
        for (int64_t i = 0; i < n; i++)
            val[i] = (int32_t)i;
        const int in_tmp = am_radix_sort_u32(n, key, val, kt, vt, nt, hist);
        const uint32_t *k = in_tmp ? kt : key;
        const int32_t *v = in_tmp ? vt : val;
        for (int64_t i = 0; i < n; i++) {
            assert_true(k[i] == in[v[i]]);
            if (i > 0) {
                assert_true(k[i - 1] <= k[i]);
                if (k[i - 1] == k[i])
                    assert_true(v[i - 1] < v[i]); /* stable */
            }
        }
    }
    /* keys only, ids of a small graph (the search's use) */
    for (int64_t i = 0; i < 100; i++)
        key[i] = (uint32_t)(rng_next() % 1000);
    memcpy(in, key, 100 * sizeof *in);
    const int in_tmp = am_radix_sort_u32(100, key, NULL, kt, NULL, 1, hist);
    const uint32_t *k = in_tmp ? kt : key;
    for (int64_t i = 1; i < 100; i++)
        assert_true(k[i - 1] <= k[i]);
    free(key);
    free(kt);
    free(val);
    free(vt);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radix_u64),
        cmocka_unit_test(test_radix_u32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
