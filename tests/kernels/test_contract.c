/*
 * test_contract.c: degree-2 chain contraction on hand-made graphs (each
 * rule of contract.h) and against an all-pairs oracle on random road-like
 * graphs: the times between the nodes kept must not change; and the
 * parallel contraction at 1, 2, 3 and 8 threads against the serial code it
 * replaced (contract_ref.c), byte for byte, on large random networks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/units.h"
#include "thread_counts.h"

#include "kernels/contract.h"
#include "contract_ref.h"

static am_contraction *contract_cap(int32_t n, int64_t m, const int32_t *t,
                                    const int32_t *h, const uint32_t *w,
                                    const uint8_t *keep, uint32_t cap)
{
    am_contraction *c = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(
        am_graph_contract(n, m, t, h, w, keep, NULL, cap, &c, &err), AM_OK);
    assert_non_null(c);
    assert_int_equal(am_graph_validate(c->g, NULL), AM_OK);
    return c;
}

static am_contraction *contract(int32_t n, int64_t m, const int32_t *t,
                                const int32_t *h, const uint32_t *w,
                                const uint8_t *keep)
{
    return contract_cap(n, m, t, h, w, keep, 0);
}

/* Time of the arc new u -> new v in c->g, or AM_TIME_INF if none. */
static uint32_t arc_time(const am_graph *g, int32_t u, int32_t v)
{
    uint32_t best = AM_TIME_INF;
    for (int64_t a = g->first_out[u]; a < g->first_out[u + 1]; a++)
        if (g->head[a] == v && g->time_ds[a] < best)
            best = g->time_ds[a];
    return best;
}

/*
 * A two-way road 0 - 1 - 2 - 3 (dead ends at 0 and 3) plus a one-way
 * spur 3 -> 4 -> 5 -> 3 (a one-way loop back to 3: a self-loop chain).
 */
static void test_two_way_road_and_loop(void **state)
{
    (void)state;
    static const int32_t t[] = {0, 1, 1, 2, 2, 3, 3, 4, 5};
    static const int32_t h[] = {1, 0, 2, 1, 3, 2, 4, 5, 3};
    static const uint32_t w[] = {10, 11, 20, 21, 30, 31, 5, 6, 7};
    am_contraction *c = contract(6, 9, t, h, w, NULL);
    /* Kept: 0 (dead end) and 3 (three roads meet). */
    assert_int_equal(c->g->n_nodes, 2);
    assert_int_equal(c->new_id[0], 0);
    assert_int_equal(c->new_id[3], 1);
    assert_int_equal(c->new_id[1], -1);
    assert_int_equal(c->new_id[4], -1);
    assert_int_equal(c->old_id[1], 3);
    assert_int_equal(arc_time(c->g, 0, 1), 60u);
    assert_int_equal(arc_time(c->g, 1, 0), 63u);
    assert_int_equal(c->g->n_arcs, 2);
    assert_int_equal(c->n_self_loops, 1);
    assert_int_equal(c->n_chains, 3);
    /* Arc 2 (1 -> 2) lies on chain 0 -> 3: 10 before, 30 after. */
    assert_int_equal(c->in_node[2], 0);
    assert_int_equal(c->in_ds[2], 10u);
    assert_int_equal(c->out_node[2], 1);
    assert_int_equal(c->out_ds[2], 30u);
    /* Arc 3 (2 -> 1) lies on chain 3 -> 0: 31 before, 11 after. */
    assert_int_equal(c->in_node[3], 1);
    assert_int_equal(c->in_ds[3], 31u);
    assert_int_equal(c->out_ds[3], 11u);
    /* Arc 7 (4 -> 5) on the dropped loop 3 -> 3: still described. */
    assert_int_equal(c->in_node[7], 1);
    assert_int_equal(c->out_node[7], 1);
    assert_int_equal(c->in_ds[7], 5u);
    assert_int_equal(c->out_ds[7], 7u);
    am_contraction_destroy(c);
}

/*
 * Where one-way meets two-way the node stays; parallel chains keep the
 * fastest; pinned nodes stay.
 *   0 -> 1 -> 2 (one-way), 2 <-> 3 (two-way), 3 -> 4 -> 0 and 3 -> 0.
 */
static void test_junction_rules(void **state)
{
    (void)state;
    static const int32_t t[] = {0, 1, 2, 3, 3, 4, 3};
    static const int32_t h[] = {1, 2, 3, 2, 4, 0, 0};
    static const uint32_t w[] = {1, 2, 3, 3, 4, 5, 20};
    am_contraction *c = contract(5, 7, t, h, w, NULL);
    /* 1 and 4 are one-way interior; 2 has in {1, 3} out {3}: a junction. */
    assert_int_equal(c->new_id[1], -1);
    assert_int_equal(c->new_id[4], -1);
    assert_true(c->new_id[2] >= 0);
    assert_int_equal(c->g->n_nodes, 3);
    /* 3 -> 0 twice: via 4 in 9, direct in 20; the faster is kept. */
    assert_int_equal(arc_time(c->g, c->new_id[3], c->new_id[0]), 9u);
    assert_int_equal(c->n_parallel, 1);
    assert_int_equal(c->g->n_arcs, 4);
    am_contraction_destroy(c);

    static const uint8_t keep[] = {0, 1, 0, 0, 0};
    c = contract(5, 7, t, h, w, keep);
    assert_true(c->new_id[1] >= 0);
    assert_int_equal(c->new_id[4], -1);
    assert_int_equal(c->g->n_nodes, 4);
    am_contraction_destroy(c);
}

/* A ring with no junction keeps the tail of its lowest arc. */
static void test_ring(void **state)
{
    (void)state;
    static const int32_t t[] = {2, 1, 0};
    static const int32_t h[] = {0, 2, 1};
    static const uint32_t w[] = {4, 5, 6};
    am_contraction *c = contract(3, 3, t, h, w, NULL);
    assert_int_equal(c->n_rings, 1);
    assert_int_equal(c->g->n_nodes, 1);
    assert_int_equal(c->old_id[0], 2);
    assert_int_equal(c->g->n_arcs, 0); /* the ring is a self-loop */
    assert_int_equal(c->n_self_loops, 1);
    assert_int_equal(c->in_ds[2], 4u); /* 2 -> 0 (4), then 0 -> 1 */
    assert_int_equal(c->out_ds[2], 5u);
    am_contraction_destroy(c);
}

/* A chain whose total would reach AM_TIME_INF is cut. */
static void test_overflow_cut(void **state)
{
    (void)state;
    static const int32_t t[] = {0, 1, 2};
    static const int32_t h[] = {1, 2, 3};
    const uint32_t big = AM_TIME_INF / 2;
    const uint32_t w[] = {big, big, big};
    am_contraction *c = contract(4, 3, t, h, w, NULL);
    assert_true(c->n_cuts >= 1);
    for (int64_t a = 0; a < c->g->n_arcs; a++)
        assert_true(c->g->time_ds[a] < AM_TIME_INF);
    am_contraction_destroy(c);
}

/* A two-way road 0 - 1 - 2 - 3 - 4 of 10 ds steps, capped at 25 ds. */
static void test_chain_cap(void **state)
{
    (void)state;
    static const int32_t t[] = {0, 1, 1, 2, 2, 3, 3, 4};
    static const int32_t h[] = {1, 0, 2, 1, 3, 2, 4, 3};
    static const uint32_t w[] = {10, 10, 10, 10, 10, 10, 10, 10};
    am_contraction *c = contract_cap(5, 8, t, h, w, NULL, 25);
    assert_int_equal(c->g->n_nodes, 3); /* 0, 2 (cut), 4 */
    assert_int_equal(c->new_id[2], 1);
    assert_int_equal(arc_time(c->g, 0, 1), 20u);
    assert_int_equal(arc_time(c->g, 1, 2), 20u);
    assert_int_equal(arc_time(c->g, 2, 1), 20u);
    assert_true(c->n_cuts >= 1);
    am_contraction_destroy(c);
    /* a cap on another sum (lengths): the cut follows it, not the times,
     * which differ by direction here */
    static const uint32_t w2[] = {10, 90, 10, 90, 10, 90, 10, 90};
    static const uint32_t len[] = {1, 1, 1, 1, 1, 1, 1, 1};
    am_error err;
    am_error_clear(&err);
    am_contraction *cl = NULL;
    assert_int_equal(am_graph_contract(5, 8, t, h, w2, NULL, len, 2, &cl, &err),
                     AM_OK);
    assert_int_equal(cl->g->n_nodes, 3); /* 0, 2, 4 */
    assert_int_equal(arc_time(cl->g, 0, 1), 20u);
    assert_int_equal(arc_time(cl->g, 1, 0), 180u);
    am_contraction_destroy(cl);

    c = contract(5, 8, t, h, w, NULL); /* no cap: one chain */
    assert_int_equal(c->g->n_nodes, 2);
    assert_int_equal(arc_time(c->g, 0, 1), 40u);
    am_contraction_destroy(c);

    /* A long road is cut in a few passes, not one pass per cut (which
     * would take minutes here): 200,001 nodes, pieces of at most 3 arcs. */
    enum { N = 200001 };
    int32_t *lt = calloc(2 * N, sizeof *lt), *lh = calloc(2 * N, sizeof *lh);
    uint32_t *lw = calloc(2 * N, sizeof *lw);
    assert_non_null(lt);
    assert_non_null(lh);
    assert_non_null(lw);
    for (int32_t v = 0; v + 1 < N; v++) {
        lt[2 * v] = v, lh[2 * v] = v + 1, lw[2 * v] = 10;
        lt[2 * v + 1] = v + 1, lh[2 * v + 1] = v, lw[2 * v + 1] = 10;
    }
    c = contract_cap(N, 2 * (N - 1), lt, lh, lw, NULL, 30);
    for (int64_t a = 0; a < c->g->n_arcs; a++)
        assert_true(c->g->time_ds[a] <= 30u);
    assert_true(c->g->n_nodes >= N / 3);
    am_contraction_destroy(c);
    free(lt);
    free(lh);
    free(lw);
}

static void test_bad_input(void **state)
{
    (void)state;
    am_contraction *c = NULL;
    am_error err;
    am_error_clear(&err);
    static const int32_t t[] = {0};
    static const int32_t h[] = {5};
    static const uint32_t w[] = {1};
    assert_int_equal(am_graph_contract(2, 1, t, h, w, NULL, NULL, 0, &c, &err),
                     AM_ERR_INVALID);
    assert_null(c);
    assert_non_null(strstr(err.msg, "arc 0"));
    assert_int_equal(
        am_graph_contract(-1, 0, NULL, NULL, NULL, NULL, NULL, 0, &c, &err),
        AM_ERR_INVALID);
    assert_int_equal(
        am_graph_contract(0, 0, NULL, NULL, NULL, NULL, NULL, 0, &c, &err),
        AM_OK);
    assert_int_equal(c->g->n_nodes, 0);
    am_contraction_destroy(c);
}

/* ---- oracle on random road-like graphs -------------------------------- */

#define MAXN 400

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* All-pairs by n Dijkstra runs with an O(n^2) array scan. */
static void all_pairs(int32_t n, int64_t m, const int32_t *t, const int32_t *h,
                      const uint32_t *w, uint64_t *d /* [n*n] */)
{
    static uint8_t done[MAXN];
    for (int32_t s = 0; s < n; s++) {
        uint64_t *ds = d + (size_t)s * n;
        for (int32_t v = 0; v < n; v++)
            ds[v] = UINT64_MAX;
        memset(done, 0, sizeof done);
        ds[s] = 0;
        for (;;) {
            int32_t u = -1;
            for (int32_t v = 0; v < n; v++)
                if (!done[v] && ds[v] != UINT64_MAX && (u < 0 || ds[v] < ds[u]))
                    u = v;
            if (u < 0)
                break;
            done[u] = 1;
            for (int64_t a = 0; a < m; a++)
                if (t[a] == u && ds[u] + w[a] < ds[h[a]])
                    ds[h[a]] = ds[u] + w[a];
        }
    }
}

/*
 * Random "roads": a few junctions joined by chains of 0..5 fresh nodes,
 * each road two-way or one-way, some duplicated, some loops, then node ids
 * shuffled.
 */
static void test_oracle(void **state)
{
    (void)state;
    static int32_t t[4 * MAXN], h[4 * MAXN], perm[MAXN];
    static uint32_t w[4 * MAXN];
    static uint64_t d0[MAXN * MAXN], d1[MAXN * MAXN];
    uint64_t seed = 7;
    int64_t removed = 0;
    for (int round = 0; round < 40; round++) {
        const int32_t nj = 3 + (int32_t)(rnd(&seed) % 12);
        int32_t n = nj;
        int64_t m = 0;
        const int roads = (int)(nj + rnd(&seed) % (2 * nj));
        for (int r = 0; r < roads && n < MAXN - 8; r++) {
            const int32_t a = (int32_t)(rnd(&seed) % nj);
            const int32_t b = (int32_t)(rnd(&seed) % nj);
            const int len = (int)(rnd(&seed) % 6);
            const int two_way = rnd(&seed) % 3 != 0;
            int32_t prev = a;
            for (int k = 0; k <= len; k++) {
                const int32_t next = k == len ? b : n++;
                const uint32_t c1 = 1 + rnd(&seed) % 50;
                t[m] = prev, h[m] = next, w[m] = c1, m++;
                if (two_way)
                    t[m] = next, h[m] = prev, w[m] = c1 + rnd(&seed) % 3, m++;
                prev = next;
            }
        }
        for (int32_t v = 0; v < n; v++)
            perm[v] = v;
        for (int32_t v = n - 1; v > 0; v--) {
            const int32_t k = (int32_t)(rnd(&seed) % (uint32_t)(v + 1));
            const int32_t x = perm[v];
            perm[v] = perm[k];
            perm[k] = x;
        }
        for (int64_t a = 0; a < m; a++)
            t[a] = perm[t[a]], h[a] = perm[h[a]];

        const uint32_t cap = round % 2 ? 0 : 20 + rnd(&seed) % 100;
        am_contraction *c = contract_cap(n, m, t, h, w, NULL, cap);
        const am_graph *g = c->g;
        uint32_t longest = 0;
        for (int64_t a = 0; a < m; a++)
            longest = w[a] > longest ? w[a] : longest;
        for (int64_t a = 0; cap > 0 && a < g->n_arcs; a++)
            assert_true(g->time_ds[a] <= (cap > longest ? cap : longest));
        removed += n - g->n_nodes;
        all_pairs(n, m, t, h, w, d0);
        /* the contracted graph as an arc list */
        static int32_t gt[4 * MAXN];
        for (int32_t u = 0; u < g->n_nodes; u++)
            for (int64_t a = g->first_out[u]; a < g->first_out[u + 1]; a++)
                gt[a] = u;
        all_pairs(g->n_nodes, g->n_arcs, gt, g->head, g->time_ds, d1);
        for (int32_t x = 0; x < g->n_nodes; x++)
            for (int32_t y = 0; y < g->n_nodes; y++)
                assert_true(d1[(size_t)x * g->n_nodes + y] ==
                            d0[(size_t)c->old_id[x] * n + c->old_id[y]]);
        /* Every arc's place on its chain: a real path of that length. */
        for (int64_t a = 0; a < m; a++) {
            const int32_t s = c->old_id[c->in_node[a]];
            const int32_t e = c->old_id[c->out_node[a]];
            assert_true(d0[(size_t)s * n + t[a]] <= c->in_ds[a]);
            assert_true(d0[(size_t)h[a] * n + e] <= c->out_ds[a]);
            if (c->in_node[a] != c->out_node[a])
                assert_true(arc_time(g, c->in_node[a], c->out_node[a]) <=
                            (uint64_t)c->in_ds[a] + w[a] + c->out_ds[a]);
        }
        /* Same input, same bytes. */
        am_contraction *c2 = contract_cap(n, m, t, h, w, NULL, cap);
        assert_int_equal(c2->g->n_arcs, g->n_arcs);
        assert_memory_equal(c2->g->head, g->head,
                            (size_t)g->n_arcs * sizeof *g->head);
        assert_memory_equal(c2->g->time_ds, g->time_ds,
                            (size_t)g->n_arcs * sizeof *g->time_ds);
        am_contraction_destroy(c2);
        am_contraction_destroy(c);
    }
    assert_true(removed > 1000); /* the oracle saw real contraction */
}

/* c and d hold the same bytes everywhere. */
static void assert_same_contraction(const am_contraction *c,
                                    const am_contraction *d)
{
    assert_int_equal(c->n_old, d->n_old);
    assert_int_equal(c->n_old_arcs, d->n_old_arcs);
    assert_int_equal(c->g->n_nodes, d->g->n_nodes);
    assert_int_equal(c->g->n_arcs, d->g->n_arcs);
    const size_t n = (size_t)c->g->n_nodes, m = (size_t)c->g->n_arcs;
    const size_t n0 = (size_t)c->n_old, m0 = (size_t)c->n_old_arcs;
    assert_memory_equal(c->g->first_out, d->g->first_out, (n + 1) * 8);
    if (m > 0) {
        assert_memory_equal(c->g->head, d->g->head, m * 4);
        assert_memory_equal(c->g->time_ds, d->g->time_ds, m * 4);
    }
    if (n > 0)
        assert_memory_equal(c->old_id, d->old_id, n * 4);
    assert_memory_equal(c->new_id, d->new_id, n0 * 4);
    assert_memory_equal(c->in_node, d->in_node, m0 * 4);
    assert_memory_equal(c->in_ds, d->in_ds, m0 * 4);
    assert_memory_equal(c->out_node, d->out_node, m0 * 4);
    assert_memory_equal(c->out_ds, d->out_ds, m0 * 4);
    assert_int_equal(c->n_chains, d->n_chains);
    assert_int_equal(c->n_self_loops, d->n_self_loops);
    assert_int_equal(c->n_parallel, d->n_parallel);
    assert_int_equal(c->n_rings, d->n_rings);
    assert_int_equal(c->n_cuts, d->n_cuts);
}

typedef struct big_net {
    int32_t n;
    int64_t m, cap;
    int32_t *t, *h;
    uint32_t *w, *len;
} big_net;

static void net_arc(big_net *g, int32_t u, int32_t v, uint32_t w, uint32_t len)
{
    assert_true(g->m < g->cap);
    g->t[g->m] = u;
    g->h[g->m] = v;
    g->w[g->m] = w;
    g->len[g->m] = len;
    g->m++;
}

/* A road from a to b through k fresh nodes; two-way or one-way. */
static void net_road(big_net *g, uint64_t *seed, int32_t a, int32_t b, int k,
                     int two_way, uint32_t wmax)
{
    int32_t prev = a;
    for (int i = 0; i <= k; i++) {
        const int32_t next = i == k ? b : g->n++;
        const uint32_t w = 1 + (uint32_t)(rnd(seed) % wmax);
        const uint32_t len = 1 + (uint32_t)(rnd(seed) % 100);
        net_arc(g, prev, next, w, len);
        if (two_way)
            net_arc(g, next, prev, w + (uint32_t)(rnd(seed) % 3), len);
        prev = next;
    }
}

/*
 * A large random road-like network: junctions joined by two-way and
 * one-way chains of 0..40 nodes (long ones get cut under a cap), loop
 * roads, rings of interior nodes only (two-way and one-way), parallel
 * arcs, self-loops, isolated nodes, a junction with 100 chains (many of
 * them parallel), and a few arcs so slow that a chain of them reaches
 * AM_TIME_INF; node ids and arc order shuffled.
 */
static void make_big_net(big_net *g, uint64_t seed, int roads)
{
    g->cap = (int64_t)roads * 90 + 4000;
    g->t = malloc((size_t)g->cap * sizeof *g->t);
    g->h = malloc((size_t)g->cap * sizeof *g->h);
    g->w = malloc((size_t)g->cap * sizeof *g->w);
    g->len = malloc((size_t)g->cap * sizeof *g->len);
    assert_non_null(g->t);
    assert_non_null(g->h);
    assert_non_null(g->w);
    assert_non_null(g->len);
    const int32_t nj = roads / 3;
    g->n = nj + 50; /* 50 isolated nodes */
    g->m = 0;
    for (int r = 0; r < roads; r++) {
        const int32_t a = (int32_t)(rnd(&seed) % (uint64_t)nj);
        const int32_t b =
            rnd(&seed) % 20 == 0 ? a : (int32_t)(rnd(&seed) % (uint64_t)nj);
        const int k = (int)(rnd(&seed) % 41);
        net_road(g, &seed, a, b, k, rnd(&seed) % 4 != 0, 600);
        if (rnd(&seed) % 50 == 0) /* a parallel arc on the road's end */
            net_arc(g, g->t[g->m - 1], g->h[g->m - 1], 7, 5);
        if (rnd(&seed) % 80 == 0) /* a self-loop */
            net_arc(g, a, a, 3, 2);
    }
    for (int r = 0; r < roads / 100 + 2; r++) { /* rings */
        const int k = 3 + (int)(rnd(&seed) % 60);
        const int32_t first = g->n;
        const int two_way = r % 2;
        for (int i = 0; i < k; i++) {
            const int32_t u = first + i, v = first + (i + 1) % k;
            const uint32_t w = 1 + (uint32_t)(rnd(&seed) % 600);
            net_arc(g, u, v, w, 1 + (uint32_t)(rnd(&seed) % 100));
            if (two_way)
                net_arc(g, v, u, w, 1 + (uint32_t)(rnd(&seed) % 100));
        }
        g->n += k;
    }
    for (int r = 0; r < 100; r++) /* a star: junction 0 to 1..3 */
        net_road(g, &seed, 0, 1 + r % 3, r % 3, r % 2, 600);
    for (int r = 0; r < 3; r++) /* chains that reach AM_TIME_INF */
        net_road(g, &seed, 4, 5, 6, 1, AM_TIME_INF / 4);
    int32_t *perm = malloc((size_t)g->n * sizeof *perm);
    assert_non_null(perm);
    for (int32_t v = 0; v < g->n; v++)
        perm[v] = v;
    for (int32_t v = g->n - 1; v > 0; v--) {
        const int32_t k = (int32_t)(rnd(&seed) % (uint64_t)(v + 1));
        const int32_t x = perm[v];
        perm[v] = perm[k];
        perm[k] = x;
    }
    for (int64_t a = g->m - 1; a > 0; a--) { /* arcs shuffled too */
        const int64_t k = (int64_t)(rnd(&seed) % (uint64_t)(a + 1));
        int32_t x = g->t[a];
        g->t[a] = g->t[k];
        g->t[k] = x;
        x = g->h[a];
        g->h[a] = g->h[k];
        g->h[k] = x;
        uint32_t y = g->w[a];
        g->w[a] = g->w[k];
        g->w[k] = y;
        y = g->len[a];
        g->len[a] = g->len[k];
        g->len[k] = y;
    }
    for (int64_t a = 0; a < g->m; a++) {
        g->t[a] = perm[g->t[a]];
        g->h[a] = perm[g->h[a]];
    }
    free(perm);
}

static void big_net_free(big_net *g)
{
    free(g->t);
    free(g->h);
    free(g->w);
    free(g->len);
}

static void test_parallel_vs_serial(void **state)
{
    (void)state;
    for (int round = 0; round < 4; round++) {
        big_net g;
        make_big_net(&g, 1000 + (uint64_t)round, 6000 + 1500 * round);
        assert_true(g.m > 3 * 65536); /* enough for 3 threads */
        uint8_t *keep = calloc((size_t)g.n, 1);
        assert_non_null(keep);
        uint64_t seed = 99 + (uint64_t)round;
        for (int32_t v = 0; v < g.n; v++)
            keep[v] = rnd(&seed) % 100 == 0;
        /* caps: none, on the lengths, on the times */
        const uint32_t *cut_w = round == 2 ? NULL : g.len;
        const uint32_t cap = round == 0 ? 0 : round == 2 ? 3000 : 900;
        am_contraction *ref = NULL;
        assert_int_equal(ref_graph_contract(g.n, g.m, g.t, g.h, g.w,
                                            round == 3 ? keep : NULL, cut_w,
                                            cap, &ref, NULL),
                         AM_OK);
        if (round > 0)
            assert_true(ref->n_cuts > 0);
        assert_true(ref->n_rings > 0);
        assert_true(ref->n_parallel > 0);
        assert_true(ref->n_self_loops > 0);
        for (int ti = 0; ti < AM_TEST_N_THREADS; ti++) {
            const int threads = am_test_threads[ti];
            am_contraction *c = NULL;
            assert_int_equal(am_graph_contract_threads(g.n, g.m, g.t, g.h, g.w,
                                                       round == 3 ? keep : NULL,
                                                       cut_w, cap, threads, &c,
                                                       NULL),
                             AM_OK);
            assert_same_contraction(ref, c);
            am_contraction_destroy(c);
        }
        am_contraction_destroy(ref);
        free(keep);
        big_net_free(&g);
    }
}

/* The small graphs of test_oracle, many seeds: the parallel code's
 * serial path against the reference, byte for byte. */
static void test_small_vs_serial(void **state)
{
    (void)state;
    for (int round = 0; round < 100; round++) {
        big_net g;
        make_big_net(&g, 5000 + (uint64_t)round, 3 + round % 40);
        const uint32_t cap = round % 3 == 0 ? 0 : 50 + (uint32_t)(round % 400);
        am_contraction *ref = NULL, *c = NULL;
        assert_int_equal(ref_graph_contract(g.n, g.m, g.t, g.h, g.w, NULL,
                                            g.len, cap, &ref, NULL),
                         AM_OK);
        assert_int_equal(am_graph_contract_threads(g.n, g.m, g.t, g.h, g.w,
                                                   NULL, g.len, cap, 2, &c,
                                                   NULL),
                         AM_OK);
        assert_same_contraction(ref, c);
        am_contraction_destroy(c);
        am_contraction_destroy(ref);
        big_net_free(&g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_way_road_and_loop),
        cmocka_unit_test(test_junction_rules),
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_overflow_cut),
        cmocka_unit_test(test_chain_cap),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_parallel_vs_serial),
        cmocka_unit_test(test_small_vs_serial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
