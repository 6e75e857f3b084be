/*
 * test_segments.c: the parallel segment table (geo/segments.h) at 1, 2
 * and 3 threads against the serial code it replaced (segments_ref.c), byte
 * for byte, on random road networks contracted by kernels/contract.h:
 * two-way and one-way chains, parallel arcs, self-loops, no-snap arcs, an
 * allowed mask; and the first error named whatever the threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/units.h"
#include "geo/segments.h"
#include "kernels/contract.h"
#include "segments_ref.h"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void test_parallel_vs_serial(void **state)
{
    (void)state;
    const int64_t cap = 600000;
    int32_t *t = malloc((size_t)cap * sizeof *t);
    int32_t *h = malloc((size_t)cap * sizeof *h);
    uint32_t *w = malloc((size_t)cap * sizeof *w);
    uint8_t *no_snap = malloc((size_t)cap);
    assert_true(t && h && w && no_snap);
    for (int round = 0; round < 3; round++) {
        uint64_t seed = 11 + (uint64_t)round;
        const int32_t nj = 20000;
        int32_t n = nj;
        int64_t m = 0;
        while (m < cap - 200) {
            const int32_t a = (int32_t)(lcg(&seed) % nj);
            const int32_t b = (int32_t)(lcg(&seed) % nj);
            const int k = (int)(lcg(&seed) % 12);
            const int two_way = lcg(&seed) % 4 != 0;
            int32_t prev = a;
            for (int i = 0; i <= k; i++) {
                const int32_t next = i == k ? b : n++;
                const uint32_t c = 1 + (uint32_t)(lcg(&seed) % 500);
                t[m] = prev, h[m] = next, w[m] = c, m++;
                if (two_way)
                    t[m] = next, h[m] = prev, w[m] = c + 1, m++;
                if (lcg(&seed) % 40 == 0) /* a parallel arc */
                    t[m] = prev, h[m] = next, w[m] = c / 2, m++;
                prev = next;
            }
            if (lcg(&seed) % 60 == 0) /* a self-loop */
                t[m] = a, h[m] = a, w[m] = 5, m++;
        }
        for (int64_t a = 0; a < m; a++)
            no_snap[a] = lcg(&seed) % 100 == 0;
        am_contraction *c = NULL;
        assert_int_equal(
            am_graph_contract(n, m, t, h, w, NULL, NULL, 0, &c, NULL), AM_OK);
        uint8_t *allowed = malloc((size_t)c->g->n_nodes);
        assert_non_null(allowed);
        for (int32_t v = 0; v < c->g->n_nodes; v++)
            allowed[v] = round == 0 || lcg(&seed) % 10 != 0;
        const am_segment_chains ch = {
            c->g->n_nodes, c->in_node, c->in_ds,
            c->out_node,   c->out_ds,  round == 2 ? no_snap : NULL};
        am_segment *ref = NULL;
        int32_t n_ref = 0;
        assert_int_equal(ref_segments_from_chains(n, m, t, h, w, &ch,
                                                  round ? allowed : NULL, &ref,
                                                  &n_ref, NULL),
                         AM_OK);
        assert_true(n_ref > 100000);
        for (int threads = 1; threads <= 3; threads++) {
            am_segment *s = NULL;
            int32_t n_s = 0;
            assert_int_equal(am_segments_from_chains_threads(
                                 n, m, t, h, w, &ch, round ? allowed : NULL,
                                 threads, &s, &n_s, NULL),
                             AM_OK);
            assert_int_equal(n_s, n_ref);
            assert_memory_equal(s, ref, (size_t)n_ref * sizeof *s);
            am_free(s);
        }
        am_free(ref);
        /* the lowest bad arc is named, whatever the threads */
        const int32_t keep = h[m - 3];
        h[m - 3] = n + 5;
        c->in_node[m / 3] = -1;
        for (int threads = 1; threads <= 3; threads++) {
            am_segment *s = NULL;
            int32_t n_s = 0;
            am_error err;
            am_error_clear(&err);
            assert_int_equal(am_segments_from_chains_threads(n, m, t, h, w, &ch,
                                                             NULL, threads, &s,
                                                             &n_s, &err),
                             AM_ERR_INVALID);
            assert_int_equal(err.feature, m / 3);
            assert_null(s);
        }
        h[m - 3] = keep;
        free(allowed);
        am_contraction_destroy(c);
    }
    free(t);
    free(h);
    free(w);
    free(no_snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_vs_serial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
