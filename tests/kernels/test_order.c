/*
 * test_order.c: the Hilbert curve (a bijection whose consecutive cells are
 * neighbours), the spatial order (ties, non-finite points, 1 vs N threads
 * byte-identical, a serial qsort oracle), the graph renumbering (every arc
 * kept, heads sorted, bad permutations refused) and the contraction's
 * renumbering (every id table follows).
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
#include "kernels/contract.h"
#include "kernels/order.h"

/* The curve over the low 2^k x 2^k corner: the first 4^k positions, each
 * once, each next to the one before (the corner is a sub-square of the
 * curve, visited first). */
static void test_hilbert_curve(void **state)
{
    (void)state;
    enum { K = 5, S = 1 << K };
    int32_t at_x[S * S], at_y[S * S];
    memset(at_x, 0xff, sizeof at_x);
    for (uint32_t x = 0; x < S; x++)
        for (uint32_t y = 0; y < S; y++) {
            const uint32_t d = am_hilbert_index(x, y);
            assert_true(d < S * S);
            assert_int_equal(at_x[d], -1);
            at_x[d] = (int32_t)x;
            at_y[d] = (int32_t)y;
        }
    for (int d = 1; d < S * S; d++)
        assert_int_equal(
            abs(at_x[d] - at_x[d - 1]) + abs(at_y[d] - at_y[d - 1]), 1);
    /* the whole grid's ends */
    const uint32_t top = (1u << AM_HILBERT_BITS) - 1u;
    assert_int_equal(am_hilbert_index(0, 0), 0);
    assert_int_equal(am_hilbert_index(top, 0), UINT32_MAX);
    /* neighbours along the curve on the full grid, at its middle */
    const uint32_t a = am_hilbert_index(top / 2, top / 2);
    const uint32_t b = am_hilbert_index(top / 2 + 1, top / 2);
    const uint32_t c = am_hilbert_index(top / 2, top / 2 + 1);
    const uint32_t e = am_hilbert_index(top / 2 + 1, top / 2 + 1);
    /* the four centre cells are in four quadrants: positions differ */
    assert_true(a != b && a != c && a != e && b != c && b != e && c != e);
}

typedef struct kid {
    uint32_t key;
    int32_t id;
} kid;

static int kid_cmp(const void *p, const void *q)
{
    const kid *a = p, *b = q;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Random points on a coarse lattice (many ties), a few non-finite: the
 * order is the (cell, index) order of a plain qsort, for 1, 2, 3 and 8
 * threads alike. */
static void test_order_oracle(void **state)
{
    (void)state;
    const int32_t n = 200003; /* several radix blocks per thread */
    double *x = malloc((size_t)n * sizeof *x);
    double *y = malloc((size_t)n * sizeof *y);
    int32_t *o1 = malloc((size_t)n * sizeof *o1);
    int32_t *ot = malloc((size_t)n * sizeof *ot);
    kid *ref = malloc((size_t)n * sizeof *ref);
    assert_true(x && y && o1 && ot && ref);
    srand(7);
    for (int32_t i = 0; i < n; i++) {
        x[i] = 1000.0 + (double)(rand() % 4096) * 2.0; /* span 8190 */
        y[i] = -500.0 + (double)(rand() % 1024) * 2.0;
        if (i % 9973 == 5)
            x[i] = i % 2 ? NAN : HUGE_VAL;
    }
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_order_hilbert(n, x, y, 1, o1, &err), AM_OK);
    for (int ti = 1; ti < AM_TEST_N_THREADS; ti++) {
        const int nt = am_test_threads[ti];
        assert_int_equal(am_order_hilbert(n, x, y, nt, ot, &err), AM_OK);
        assert_same_at_threads(ot, o1, (size_t)n * sizeof *o1, nt);
    }
    /* oracle: the same quantisation, sorted by qsort */
    const double span = 8190.0, scale = 65536.0 / span;
    int32_t m = 0, late = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!(x[i] - x[i] == 0.0)) {
            late++;
            continue;
        }
        double qx = (x[i] - 1000.0) * scale, qy = (y[i] + 500.0) * scale;
        uint32_t gx = qx >= 65535.0 ? 65535u : (uint32_t)qx;
        uint32_t gy = qy >= 65535.0 ? 65535u : (uint32_t)qy;
        ref[m].key = am_hilbert_index(gx, gy);
        ref[m].id = i;
        m++;
    }
    qsort(ref, (size_t)m, sizeof *ref, kid_cmp);
    for (int32_t k = 0; k < m; k++)
        assert_int_equal(o1[k], ref[k].id);
    /* the non-finite ones last, ascending */
    for (int32_t k = m + 1; k < n; k++)
        assert_true(o1[k] > o1[k - 1]);
    assert_int_equal(m + late, n);
    free(x);
    free(y);
    free(o1);
    free(ot);
    free(ref);
}

static void test_order_small(void **state)
{
    (void)state;
    /* a 2 x 2 square: the curve's quadrant order (0,0) (0,1) (1,1) (1,0) */
    const double x[] = {10.0, 0.0, 10.0, 0.0, 5.0};
    const double y[] = {0.0, 10.0, 10.0, 0.0, NAN};
    int32_t o[5];
    assert_int_equal(am_order_hilbert(5, x, y, 2, o, NULL), AM_OK);
    static const int32_t want[] = {3, 1, 2, 0, 4};
    assert_memory_equal(o, want, sizeof want);
    /* one point, none, all at one place */
    assert_int_equal(am_order_hilbert(1, x, y, 0, o, NULL), AM_OK);
    assert_int_equal(o[0], 0);
    assert_int_equal(am_order_hilbert(0, x, y, 0, o, NULL), AM_OK);
    const double z[] = {1.0, 1.0, 1.0};
    assert_int_equal(am_order_hilbert(3, z, z, 0, o, NULL), AM_OK);
    assert_int_equal(o[0], 0);
    assert_int_equal(o[2], 2);
    assert_int_equal(am_order_hilbert(-1, x, y, 0, o, NULL), AM_ERR_INVALID);
    assert_int_equal(am_order_hilbert(2, NULL, y, 0, o, NULL), AM_ERR_INVALID);
}

/*
 * 5 nodes: 0->3 (4), 0->1 (2), 0->1 (1), 2->0 (7), 3->2 (1), 4->4 (3).
 * order {3, 0, 4, 2, 1}: rank 0->1, 1->4, 2->3, 3->0, 4->2.
 */
static void test_permute(void **state)
{
    (void)state;
    static const int32_t t[] = {0, 0, 0, 2, 3, 4};
    static const int32_t h[] = {3, 1, 1, 0, 2, 4};
    static const uint32_t w[] = {4, 2, 1, 7, 1, 3};
    am_graph *g = NULL, *p = NULL, *q = NULL;
    assert_int_equal(am_graph_build(5, 6, t, h, w, &g, NULL), AM_OK);
    static const int32_t order[] = {3, 0, 4, 2, 1};
    int32_t rank[5];
    assert_int_equal(am_graph_permute(g, order, 1, rank, &p, NULL), AM_OK);
    assert_int_equal(am_graph_validate(p, NULL), AM_OK);
    static const int32_t want_rank[] = {1, 4, 3, 0, 2};
    assert_memory_equal(rank, want_rank, sizeof rank);
    /* new 0 (old 3): ->3; new 1 (old 0): ->0 (4), ->4 (1), ->4 (2) sorted
     * by head then time; new 2 (old 4): ->2; new 3 (old 2): ->1; new 4: - */
    static const int64_t first[] = {0, 1, 4, 5, 6, 6};
    static const int32_t head[] = {3, 0, 4, 4, 2, 1};
    static const uint32_t time[] = {1, 4, 1, 2, 3, 7};
    assert_memory_equal(p->first_out, first, sizeof first);
    assert_memory_equal(p->head, head, sizeof head);
    assert_memory_equal(p->time_ds, time, sizeof time);
    assert_int_equal(am_graph_permute(g, order, 4, NULL, &q, NULL), AM_OK);
    assert_memory_equal(q->head, p->head, sizeof head);
    am_graph_destroy(q);
    q = NULL;
    /* not a permutation */
    static const int32_t dup[] = {3, 0, 4, 2, 3};
    static const int32_t out[] = {3, 0, 4, 2, 5};
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_graph_permute(g, dup, 1, rank, &q, &err),
                     AM_ERR_INVALID);
    assert_null(q);
    assert_non_null(strstr(err.msg, "order[4]"));
    assert_int_equal(am_graph_permute(g, out, 1, NULL, &q, NULL),
                     AM_ERR_INVALID);
    am_graph_destroy(p);
    am_graph_destroy(g);
}

/* A node with many arcs takes the heapsort path. */
static void test_permute_high_degree(void **state)
{
    (void)state;
    enum { N = 300 };
    int32_t t[2 * N], h[2 * N];
    uint32_t w[2 * N];
    for (int i = 0; i < N; i++) {
        t[i] = 0;
        h[i] = 1 + (i * 7919) % (N - 1);
        w[i] = (uint32_t)(1000 - i);
        t[N + i] = h[i];
        h[N + i] = 0;
        w[N + i] = 5;
    }
    am_graph *g = NULL, *p = NULL;
    assert_int_equal(am_graph_build(N, 2 * N, t, h, w, &g, NULL), AM_OK);
    int32_t order[N];
    for (int k = 0; k < N; k++)
        order[k] = N - 1 - k;
    assert_int_equal(am_graph_permute(g, order, 2, NULL, &p, NULL), AM_OK);
    const int32_t v = N - 1; /* old 0 */
    const int64_t a0 = p->first_out[v], a1 = p->first_out[v + 1];
    assert_int_equal(a1 - a0, N);
    for (int64_t a = a0 + 1; a < a1; a++)
        assert_true(p->head[a - 1] < p->head[a] ||
                    (p->head[a - 1] == p->head[a] &&
                     p->time_ds[a - 1] <= p->time_ds[a]));
    uint64_t s0 = 0, s1 = 0;
    for (int64_t a = 0; a < g->n_arcs; a++) {
        s0 += g->time_ds[a];
        s1 += p->time_ds[a];
    }
    assert_true(s0 == s1);
    am_graph_destroy(p);
    am_graph_destroy(g);
}

/* A two-way road 0-1-2-3 with a branch 1-4 (junctions 0, 1, 3, 4): after
 * renumbering in reverse, every id table names the same places. */
static void test_contraction_renumber(void **state)
{
    (void)state;
    static const int32_t t[] = {0, 1, 1, 2, 2, 3, 1, 4};
    static const int32_t h[] = {1, 0, 2, 1, 3, 2, 4, 1};
    static const uint32_t w[] = {3, 3, 4, 4, 5, 5, 6, 6};
    am_contraction *c = NULL, *d = NULL;
    assert_int_equal(am_graph_contract(5, 8, t, h, w, NULL, NULL, 0, &c, NULL),
                     AM_OK);
    assert_int_equal(am_graph_contract(5, 8, t, h, w, NULL, NULL, 0, &d, NULL),
                     AM_OK);
    const int32_t n = c->g->n_nodes;
    assert_int_equal(n, 4);
    int32_t order[4];
    for (int32_t k = 0; k < n; k++)
        order[k] = n - 1 - k;
    assert_int_equal(am_contraction_renumber(d, order, 2, NULL), AM_OK);
    assert_int_equal(am_graph_validate(d->g, NULL), AM_OK);
    for (int32_t k = 0; k < n; k++)
        assert_int_equal(d->old_id[k], c->old_id[order[k]]);
    for (int32_t v = 0; v < 5; v++)
        if (c->new_id[v] >= 0)
            assert_int_equal(d->old_id[d->new_id[v]], v);
        else
            assert_int_equal(d->new_id[v], -1);
    for (int a = 0; a < 8; a++) {
        assert_int_equal(d->old_id[d->in_node[a]], c->old_id[c->in_node[a]]);
        assert_int_equal(d->old_id[d->out_node[a]], c->old_id[c->out_node[a]]);
        assert_int_equal(d->in_ds[a], c->in_ds[a]);
    }
    /* arc old u -> old v keeps its time */
    for (int32_t u = 0; u < n; u++)
        for (int64_t a = c->g->first_out[u]; a < c->g->first_out[u + 1]; a++) {
            const int32_t nu = n - 1 - u, nv = n - 1 - c->g->head[a];
            int found = 0;
            for (int64_t b = d->g->first_out[nu]; b < d->g->first_out[nu + 1];
                 b++)
                found |=
                    d->g->head[b] == nv && d->g->time_ds[b] == c->g->time_ds[a];
            assert_true(found);
        }
    static const int32_t bad[] = {0, 0, 1, 2};
    assert_int_equal(am_contraction_renumber(d, bad, 1, NULL), AM_ERR_INVALID);
    assert_int_equal(d->old_id[0], c->old_id[order[0]]); /* unchanged */
    am_contraction_destroy(c);
    am_contraction_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hilbert_curve),
        cmocka_unit_test(test_order_oracle),
        cmocka_unit_test(test_order_small),
        cmocka_unit_test(test_permute),
        cmocka_unit_test(test_permute_high_degree),
        cmocka_unit_test(test_contraction_renumber),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
