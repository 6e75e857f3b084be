/*
 * test_measures.c: catchments, 2SFCA, nearest, coverage and weighted
 * summaries.
 *
 * (a) a hand-computed fixture (every expected number derived in comments);
 * (b) the 2SFCA identity sum_i P_i A_i = sum_{j: D_j > 0} S_j on a random
 *     network; (c) a serial oracle: a naive O(n^2) Dijkstra per facility
 *     written here, and the measures recomputed from it by brute force;
 * (d) determinism: 1, 2 and 4 threads give byte-identical outputs;
 * Cells and facilities have up to two links each (kernels/demand.h,
 * geo/snap.h): the random fixtures give many of them two, the oracle
 * takes the minimum over links, and it searches FORWARD from every cell's
 * links (the kernels search backward from the facilities).
 * (e) weighted mean / median; (f) coverage at the cutoff (inclusive).
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
#include "kernels/catchment.h"
#include "kernels/demand.h"
#include "kernels/graph.h"
#include "kernels/measures.h"
#include "kernels/nearest.h"

/* cmocka 1.1's assert_float_equal compares as float: too coarse here. */
#define assert_double_near(a, b, tol)                                          \
    do {                                                                       \
        const double a_ = (a), b_ = (b);                                       \
        if (!(fabs(a_ - b_) <= (tol))) {                                       \
            print_error("%s = %.17g, expected %.17g (tolerance %g)\n", #a, a_, \
                        b_, (double)(tol));                                    \
            fail();                                                            \
        }                                                                      \
    } while (0)

/* ---- fixture and pipeline ---------------------------------------------- */

typedef struct fixture {
    int32_t n_nodes;
    int64_t n_arcs;
    int32_t *tail, *head;
    uint32_t *time;
    int32_t n_fac;
    int32_t *fac_node; /* [2 n_fac] links, -1 absent */
    uint32_t *fac_off; /* [2 n_fac] */
    double *supply;
    int32_t n_cells;
    int32_t *cell_node; /* [2 n_cells] links, -1 absent */
    uint32_t *cell_off; /* [2 n_cells] */
    double *pop;
    uint32_t limit, d0;
} fixture;

#define N_CUT 4

typedef struct results {
    am_catchments *fac, *node;
    double *D, *R, *A;
    uint32_t *near_t;
    int32_t *near_f;
    uint32_t cut[N_CUT];
    double cover[N_CUT];
} results;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size);
    assert_non_null(p);
    return p;
}

/* Graph -> reverse -> demand -> catchments -> transpose -> measures. */
static void run_pipeline(const fixture *fx, int threads, results *r)
{
    am_graph *g = NULL, *g_rev = NULL;
    am_demand *d = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_graph_build(fx->n_nodes, fx->n_arcs, fx->tail, fx->head,
                                    fx->time, &g, &err),
                     AM_OK);
    assert_int_equal(am_graph_reverse(g, &g_rev, &err), AM_OK);
    assert_int_equal(am_demand_build(fx->n_cells, fx->n_nodes, fx->cell_node,
                                     fx->cell_off, fx->pop, &d, &err),
                     AM_OK);
    assert_int_equal(am_catchments_compute(g_rev, fx->n_fac, fx->fac_node,
                                           fx->fac_off, fx->limit, NULL, 0,
                                           threads, NULL, NULL, &r->fac, &err),
                     AM_OK);
    assert_int_equal(am_catchments_transpose(r->fac, &r->node, &err), AM_OK);
    r->D = xcalloc((size_t)fx->n_fac, sizeof *r->D);
    r->R = xcalloc((size_t)fx->n_fac, sizeof *r->R);
    r->A = xcalloc((size_t)fx->n_cells, sizeof *r->A);
    r->near_t = xcalloc((size_t)fx->n_cells, sizeof *r->near_t);
    r->near_f = xcalloc((size_t)fx->n_cells, sizeof *r->near_f);
    const am_fca_params p = {AM_MEASURE_2SFCA, fx->d0};
    assert_int_equal(
        am_fca_run(&p, r->fac, d, fx->supply, threads, r->D, r->R, r->A, &err),
        AM_OK);
    assert_int_equal(
        am_nearest_run(r->node, d, threads, r->near_t, r->near_f, &err), AM_OK);
    /* The multi-source search gives the same nearest time and facility as
     * the per-facility catchments, cell by cell (ties included). */
    {
        uint32_t *nt = xcalloc((size_t)fx->n_nodes, sizeof *nt);
        int32_t *ns = xcalloc((size_t)fx->n_nodes, sizeof *ns);
        uint32_t *ct = xcalloc((size_t)fx->n_cells, sizeof *ct);
        int32_t *cf = xcalloc((size_t)fx->n_cells, sizeof *cf);
        assert_int_equal(am_nearest_nodes(g_rev, fx->n_fac, fx->fac_node,
                                          fx->fac_off, fx->limit, nt, ns, &err),
                         AM_OK);
        assert_int_equal(
            am_nearest_cells(d, nt, ns, fx->limit, threads, ct, cf, &err),
            AM_OK);
        assert_memory_equal(ct, r->near_t, (size_t)fx->n_cells * sizeof *ct);
        assert_memory_equal(cf, r->near_f, (size_t)fx->n_cells * sizeof *cf);
        free(nt);
        free(ns);
        free(ct);
        free(cf);
    }
    r->cut[0] = 0;
    r->cut[1] = fx->d0 / 2;
    r->cut[2] = fx->d0;
    r->cut[3] = fx->limit;
    assert_int_equal(
        am_coverage_run(d, r->near_t, N_CUT, r->cut, r->cover, &err), AM_OK);
    am_demand_destroy(d);
    am_graph_destroy(g_rev);
    am_graph_destroy(g);
}

static void results_free(results *r)
{
    am_catchments_destroy(r->fac);
    am_catchments_destroy(r->node);
    free(r->D);
    free(r->R);
    free(r->A);
    free(r->near_t);
    free(r->near_f);
    memset(r, 0, sizeof *r);
}

static void fixture_free(fixture *fx)
{
    free(fx->tail);
    free(fx->head);
    free(fx->time);
    free(fx->fac_node);
    free(fx->fac_off);
    free(fx->supply);
    free(fx->cell_node);
    free(fx->cell_off);
    free(fx->pop);
    memset(fx, 0, sizeof *fx);
}

/* ---- (a) hand-computed fixture ----------------------------------------- */

/*
 * Road graph (forward, times in ds), 7 nodes:
 *   0 <-> 1  100     1 <-> 2  100     2 <-> 3  200     5 -> 0  50 (one-way)
 *   4 and 6 isolated.
 * Facilities (node, off-network leg, supply):
 *   F0 (0, 0, 10)  F1 (3, 20, 5)  F2 (4, 0, 7)  F3 (3, 20, 0)  F4 (-1, 0, 3)
 * Catchment limit 400 ds, 2SFCA threshold d0 = 300 ds.
 *
 * Times node -> facility (reverse search, facility leg included):
 *   F0: n0 0, n1 100, n2 200, n3 400, n5 50       (5 -> 0 is one-way)
 *   F1 = F3: n3 20, n2 220, n1 320 (n0 at 420 > limit)
 *   F2: n4 0.   F4: off the network, empty.
 * Cells (node, offset, pop):
 *   c0 (0, 10, 100)  c1 (1, 0, 200)  c2 (2, 80, 50)  c3 (2, 81, 25)
 *   c4 (3, 0, 40)    c5 (6, 0, 30)   c6 (-1, 0, 70)  c7 (5, 5, 10)
 *   c8 (1, 0, 0)     c9 (3, 390, 1)
 * t_ij = offset + time:
 *   c2 -> F1 = 80 + 220 = 300: exactly d0, included;
 *   c3 -> F1 = 81 + 220 = 301: one decisecond over, excluded.
 *   c4 -> F0 = 400 > d0; c9 -> F1 = 410 > d0 and > limit.
 * D_F0 = c0 100 + c1 200 + c2 50 + c3 25 + c7 10 + c8 0 = 385
 * D_F1 = D_F3 = c2 50 + c4 40 = 90;  D_F2 = 0 (no one at n4);  D_F4 = 0
 * R = {10/385, 5/90, 0 (D = 0), 0 (S = 0), 0 (D = 0)}
 * A: c0 c1 c3 c7 c8 = R0;  c2 = R0 + R1;  c4 = R1;  c5 (unreachable),
 *    c6 (off network), c9 (nothing within d0) = 0.
 * Identity: sum P A = 385 R0 + 90 R1 = 10 + 5 = S0 + S1 + S3 = 15.
 * Nearest: c0 F0 10, c1 F0 100, c2 F0 280, c3 F0 281, c4 F1 20 (tie with
 *   F3: lowest index), c7 F0 55, c8 F0 100; c5, c6 none; c9: 410 is past
 *   the 400 limit, reported as none.
 */
static void hand_fixture(fixture *fx)
{
    static const int32_t tail[] = {0, 1, 1, 2, 2, 3, 5};
    static const int32_t head[] = {1, 0, 2, 1, 3, 2, 0};
    static const uint32_t time[] = {100, 100, 100, 100, 200, 200, 50};
    /* one link each (the second absent): the single-node case */
    static const int32_t fac_node[] = {0, -1, 3, -1, 4, -1, 3, -1, -1, -1};
    static const uint32_t fac_off[] = {0, 0, 20, 0, 0, 0, 20, 0, 0, 0};
    static const double supply[] = {10, 5, 7, 0, 3};
    static const int32_t cell_node[] = {0, -1, 1,  -1, 2, -1, 2, -1, 3, -1,
                                        6, -1, -1, -1, 5, -1, 1, -1, 3, -1};
    static const uint32_t cell_off[] = {10, 0, 0, 0, 80, 0, 81, 0, 0,   0,
                                        0,  0, 0, 0, 5,  0, 0,  0, 390, 0};
    static const double pop[] = {100, 200, 50, 25, 40, 30, 70, 10, 0, 1};
    memset(fx, 0, sizeof *fx);
    fx->n_nodes = 7;
    fx->n_arcs = 7;
    fx->tail = (int32_t *)tail;
    fx->head = (int32_t *)head;
    fx->time = (uint32_t *)time;
    fx->n_fac = 5;
    fx->fac_node = (int32_t *)fac_node;
    fx->fac_off = (uint32_t *)fac_off;
    fx->supply = (double *)supply;
    fx->n_cells = 10;
    fx->cell_node = (int32_t *)cell_node;
    fx->cell_off = (uint32_t *)cell_off;
    fx->pop = (double *)pop;
    fx->limit = 400;
    fx->d0 = 300;
}

static void test_hand_catchments(void **state)
{
    (void)state;
    fixture fx;
    hand_fixture(&fx);
    results r;
    memset(&r, 0, sizeof r);
    run_pipeline(&fx, 2, &r);

    static const int64_t f_first[] = {0, 5, 8, 9, 12, 12};
    static const int32_t f_col[] = {0, 1, 2, 3, 5, 1, 2, 3, 4, 1, 2, 3};
    static const uint32_t f_time[] = {0,   100, 200, 400, 50,  320,
                                      220, 20,  0,   320, 220, 20};
    assert_int_equal(r.fac->n_rows, 5);
    assert_int_equal(r.fac->n_cols, 7);
    assert_int_equal(r.fac->limit_ds, 400);
    assert_int_equal(am_catchments_nnz(r.fac), 12);
    assert_memory_equal(r.fac->first, f_first, sizeof f_first);
    assert_memory_equal(r.fac->col, f_col, sizeof f_col);
    assert_non_null(r.fac->time16); /* limit 400: 16-bit times */
    assert_null(r.fac->time_ds);
    for (int e = 0; e < 12; e++)
        assert_int_equal(am_catchments_time(r.fac, e), f_time[e]);

    /* Transposed: node rows, facilities ascending. */
    static const int64_t n_first[] = {0, 1, 4, 7, 10, 11, 12, 12};
    static const int32_t n_col[] = {0, 0, 1, 3, 0, 1, 3, 0, 1, 3, 2, 0};
    static const uint32_t n_time[] = {0,   100, 320, 320, 200, 220,
                                      220, 400, 20,  20,  0,   50};
    assert_int_equal(r.node->n_rows, 7);
    assert_int_equal(r.node->n_cols, 5);
    assert_int_equal(r.node->limit_ds, 400);
    assert_memory_equal(r.node->first, n_first, sizeof n_first);
    assert_memory_equal(r.node->col, n_col, sizeof n_col);
    for (int e = 0; e < 12; e++)
        assert_int_equal(am_catchments_time(r.node, e), n_time[e]);
    assert_int_equal(am_catchments_nnz(NULL), 0);
    am_catchments_destroy(NULL);
    results_free(&r);
}

static void test_hand_2sfca(void **state)
{
    (void)state;
    fixture fx;
    hand_fixture(&fx);
    results r;
    memset(&r, 0, sizeof r);
    run_pipeline(&fx, 2, &r);

    const double R0 = 10.0 / 385.0, R1 = 5.0 / 90.0;
    const double D[] = {385, 90, 0, 90, 0};
    const double R[] = {R0, R1, 0, 0, 0};
    for (int j = 0; j < 5; j++) {
        assert_double_near(r.D[j], D[j], 0.0);
        assert_double_near(r.R[j], R[j], 1e-15);
    }
    const double A[] = {R0, R0, R0 + R1, R0, R1, 0, 0, R0, R0, 0};
    for (int i = 0; i < 10; i++)
        assert_double_near(r.A[i], A[i], 1e-15);

    double lhs = 0.0;
    for (int i = 0; i < 10; i++)
        lhs += fx.pop[i] * r.A[i];
    assert_double_near(lhs, 15.0, 1e-12);

    static const uint32_t nt[] = {
        10, 100, 280, 281, 20, AM_TIME_INF, AM_TIME_INF, 55, 100, AM_TIME_INF};
    static const int32_t nf[] = {0, 0, 0, 0, 1, -1, -1, 0, 0, -1};
    assert_memory_equal(r.near_t, nt, sizeof nt);
    assert_memory_equal(r.near_f, nf, sizeof nf);
    results_free(&r);
}

static void test_hand_threshold_filter(void **state)
{
    (void)state;
    /* Same catchments, smaller d0 = 220: only times <= 220 count.
     * D_F0: c0 10, c7 55, c1 100, c8 100 -> 100 + 10 + 200 + 0 = 310
     *   (c2 280, c3 281 now out). D_F1 = D_F3: c4 20 -> 40 (c2 300 out).
     * A: c0 c1 c7 c8 = 10/310; c4 = 5/40; everything else 0. */
    fixture fx;
    hand_fixture(&fx);
    am_graph *g = NULL, *g_rev = NULL;
    am_demand *d = NULL;
    am_catchments *fac = NULL, *node = NULL;
    assert_int_equal(am_graph_build(fx.n_nodes, fx.n_arcs, fx.tail, fx.head,
                                    fx.time, &g, NULL),
                     AM_OK);
    assert_int_equal(am_graph_reverse(g, &g_rev, NULL), AM_OK);
    assert_int_equal(am_demand_build(fx.n_cells, fx.n_nodes, fx.cell_node,
                                     fx.cell_off, fx.pop, &d, NULL),
                     AM_OK);
    assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                           fx.fac_off, fx.limit, NULL, 0, 1,
                                           NULL, NULL, &fac, NULL),
                     AM_OK);
    assert_int_equal(am_catchments_transpose(fac, &node, NULL), AM_OK);
    double D[5], R[5], A[10];
    am_fca_params p = {AM_MEASURE_2SFCA, 220};
    assert_int_equal(am_fca_run(&p, fac, d, fx.supply, 1, D, R, A, NULL),
                     AM_OK);
    const double eD[] = {310, 40, 0, 40, 0};
    const double eR[] = {10.0 / 310.0, 5.0 / 40.0, 0, 0, 0};
    const double eA[] = {eR[0], eR[0], 0, 0, eR[1], 0, 0, eR[0], eR[0], 0};
    for (int j = 0; j < 5; j++) {
        assert_double_near(D[j], eD[j], 0.0);
        assert_double_near(R[j], eR[j], 1e-15);
    }
    for (int i = 0; i < 10; i++)
        assert_double_near(A[i], eA[i], 1e-15);

    /* d0 above the catchments' limit, an unknown kind, a bad supply. */
    am_error err;
    p.threshold_ds = 401;
    assert_int_equal(am_fca_run(&p, fac, d, fx.supply, 1, D, R, A, &err),
                     AM_ERR_INVALID);
    p.threshold_ds = 300;
    p.kind = (am_measure_kind)99;
    assert_int_equal(am_fca_run(&p, fac, d, fx.supply, 1, D, R, A, &err),
                     AM_ERR_INVALID);
    p.kind = AM_MEASURE_2SFCA;
    const double bad_supply[] = {10, 5, -1, 0, 3};
    am_error_clear(&err);
    assert_int_equal(am_fca_run(&p, fac, d, bad_supply, 1, D, R, A, &err),
                     AM_ERR_INVALID);
    assert_int_equal(err.feature, 2);
    /* The transposed catchments given instead: sizes disagree. */
    assert_int_equal(am_fca_run(&p, node, d, fx.supply, 1, D, R, A, &err),
                     AM_ERR_INVALID);

    am_catchments_destroy(node);
    am_catchments_destroy(fac);
    am_demand_destroy(d);
    am_graph_destroy(g_rev);
    am_graph_destroy(g);
}

/* (f) Coverage on the hand fixture. Nearest (pop): c0 10 (100), c4 20 (40),
 * c7 55 (10), c1 100 (200), c8 100 (0), c2 280 (50), c3 281 (25); the rest
 * unreached. Cumulative, inclusive at each cutoff. */
static void test_hand_coverage(void **state)
{
    (void)state;
    fixture fx;
    hand_fixture(&fx);
    results r;
    memset(&r, 0, sizeof r);
    run_pipeline(&fx, 1, &r);
    am_demand *d = NULL;
    assert_int_equal(am_demand_build(fx.n_cells, fx.n_nodes, fx.cell_node,
                                     fx.cell_off, fx.pop, &d, NULL),
                     AM_OK);
    static const uint32_t cut[] = {9,   10,  20,  55,  100,
                                   279, 280, 281, 400, AM_TIME_INF};
    static const double exp_pop[] = {0,   100, 140, 150, 350,
                                     350, 400, 425, 425, 425};
    double got[10];
    assert_int_equal(am_coverage_run(d, r.near_t, 10, cut, got, NULL), AM_OK);
    for (int c = 0; c < 10; c++)
        assert_double_near(got[c], exp_pop[c], 0.0);
    /* bad arguments are an error, not silence */
    am_error err;
    assert_int_equal(am_coverage_run(d, NULL, 10, cut, got, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_coverage_run(d, r.near_t, -1, cut, got, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_coverage_run(NULL, r.near_t, 10, cut, got, &err),
                     AM_ERR_INVALID);
    am_demand_destroy(d);
    results_free(&r);
}

/* ---- progress and cancellation ----------------------------------------- */

typedef struct progress_log {
    int calls;
    int stop_after; /* return 0 on this call (1-based); 0 = never */
    double last;
    int monotone;
} progress_log;

static int log_progress(double fraction, const char *message, void *user)
{
    progress_log *pl = user;
    (void)message;
    if (fraction < pl->last)
        pl->monotone = 0;
    pl->last = fraction;
    pl->calls++;
    return pl->stop_after == 0 || pl->calls < pl->stop_after;
}

/* ---- random fixtures ---------------------------------------------------- */

static uint64_t rng_state;
static uint32_t rng_next(void)
{
    /* splitmix64 (Steele, Lea & Flood 2014) */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}
static double rng_unit(void)
{
    return rng_next() / 4294967296.0;
}

/* A point's two links: off the network one time in `off_in`, else a first
 * link and, two times in three, a second one (an end of the same road, as
 * snapping gives: a node near the first, at a time that sometimes ties
 * with the first's). */
static void random_links(int32_t n_nodes, uint32_t off_in, uint32_t max_off,
                         int32_t *node, uint32_t *off)
{
    node[0] = node[1] = -1;
    off[0] = off[1] = AM_TIME_INF;
    if (rng_next() % off_in == 0)
        return;
    node[0] = (int32_t)(rng_next() % (uint32_t)n_nodes);
    off[0] = rng_next() % max_off;
    if (rng_next() % 3 == 0)
        return;
    node[1] = (node[0] + 1 + (int32_t)(rng_next() % 30)) % n_nodes;
    off[1] = rng_next() % 4 == 0 ? off[0] : rng_next() % max_off;
}

/*
 * A road-like random network: mostly local two-way streets (node i to
 * i + 1..30), a fifth one-way, some long links; facilities and cells on
 * random nodes, a few off the network, some zero supply / population.
 */
static void random_fixture(fixture *fx, uint64_t seed, int32_t n_nodes,
                           int32_t n_fac, int32_t n_cells, uint32_t limit,
                           uint32_t d0)
{
    rng_state = seed;
    memset(fx, 0, sizeof *fx);
    fx->n_nodes = n_nodes;
    const int64_t cap = (int64_t)n_nodes * 6;
    fx->tail = xcalloc((size_t)cap, sizeof *fx->tail);
    fx->head = xcalloc((size_t)cap, sizeof *fx->head);
    fx->time = xcalloc((size_t)cap, sizeof *fx->time);
    int64_t m = 0;
    for (int32_t u = 0; u < n_nodes; u++) {
        for (int k = 0; k < 3; k++) {
            int32_t v;
            if (rng_next() % 20 == 0)
                v = (int32_t)(rng_next() % (uint32_t)n_nodes);
            else
                v = (u + 1 + (int32_t)(rng_next() % 30)) % n_nodes;
            const uint32_t t = 30 + rng_next() % 500;
            fx->tail[m] = u;
            fx->head[m] = v;
            fx->time[m] = t;
            m++;
            if (rng_next() % 5 != 0) { /* two-way */
                fx->tail[m] = v;
                fx->head[m] = u;
                fx->time[m] = t;
                m++;
            }
        }
    }
    fx->n_arcs = m;
    fx->n_fac = n_fac;
    fx->fac_node = xcalloc((size_t)n_fac * 2, sizeof *fx->fac_node);
    fx->fac_off = xcalloc((size_t)n_fac * 2, sizeof *fx->fac_off);
    fx->supply = xcalloc((size_t)n_fac, sizeof *fx->supply);
    for (int32_t j = 0; j < n_fac; j++) {
        random_links(n_nodes, 25, 100, &fx->fac_node[2 * j],
                     &fx->fac_off[2 * j]);
        fx->supply[j] = rng_next() % 10 == 0 ? 0.0 : 1.0 + 49.0 * rng_unit();
    }
    fx->n_cells = n_cells;
    fx->cell_node = xcalloc((size_t)n_cells * 2, sizeof *fx->cell_node);
    fx->cell_off = xcalloc((size_t)n_cells * 2, sizeof *fx->cell_off);
    fx->pop = xcalloc((size_t)n_cells, sizeof *fx->pop);
    for (int32_t i = 0; i < n_cells; i++) {
        random_links(n_nodes, 20, 300, &fx->cell_node[2 * i],
                     &fx->cell_off[2 * i]);
        fx->pop[i] = rng_next() % 10 == 0 ? 0.0 : 500.0 * rng_unit();
    }
    fx->limit = limit;
    fx->d0 = d0;
}

/* ---- (b) identity ------------------------------------------------------- */

static void test_identity_random(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 20240601, 2000, 50, 3000, 3000, 2500);
    results r;
    memset(&r, 0, sizeof r);
    run_pipeline(&fx, 2, &r);

    double lhs = 0.0, rhs = 0.0;
    int n_served = 0, n_empty = 0;
    for (int32_t i = 0; i < fx.n_cells; i++)
        lhs += fx.pop[i] * r.A[i];
    for (int32_t j = 0; j < fx.n_fac; j++) {
        if (r.D[j] > 0) {
            rhs += fx.supply[j];
            n_served++;
        } else {
            assert_double_near(r.R[j], 0.0, 0.0);
            n_empty++;
        }
    }
    /* The fixture must exercise both kinds of facility. */
    assert_true(n_served > 10);
    assert_true(n_empty >= 1);
    assert_true(rhs > 0);
    assert_true(fabs(lhs - rhs) <= 1e-9 * rhs);
    results_free(&r);
    fixture_free(&fx);
}

/* ---- (c) serial oracle -------------------------------------------------- */

/* Naive Dijkstra on an adjacency matrix w (w[u*n+v] = cheapest u->v, or
 * UINT32_MAX), from the seeds src[k] >= 0 at times t0[k] (k < 2; NULL t0:
 * 0). No heap, no CSR. */
static void naive_dijkstra(int32_t n, const uint32_t *w, const int32_t *src,
                           const uint32_t *t0, uint64_t *dist)
{
    char *done = xcalloc((size_t)n, 1);
    for (int32_t v = 0; v < n; v++)
        dist[v] = UINT64_MAX;
    for (int k = 0; k < 2; k++) {
        const uint64_t t = t0 != NULL ? t0[k] : 0;
        if (src[k] >= 0 && t < dist[src[k]])
            dist[src[k]] = t;
    }
    for (;;) {
        int32_t u = -1;
        for (int32_t v = 0; v < n; v++)
            if (!done[v] && dist[v] != UINT64_MAX &&
                (u < 0 || dist[v] < dist[u]))
                u = v;
        if (u < 0)
            break;
        done[u] = 1;
        for (int32_t v = 0; v < n; v++) {
            const uint32_t c = w[(size_t)u * n + v];
            if (c != UINT32_MAX && dist[u] + c < dist[v])
                dist[v] = dist[u] + c;
        }
    }
    free(done);
}

static int rel_close(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-300;
}

/*
 * The oracle on fixture fx: catchment rows from a naive backward search
 * per facility (both links seeded), and every measure by brute force from
 * a naive FORWARD search per cell (both links seeded): t_ij = min over
 * j's links m of dist_i(node_m) + off_m.
 */
static void check_oracle(fixture *fx)
{
    const int32_t n = fx->n_nodes, nf = fx->n_fac, nc = fx->n_cells;

    /* w: forward adjacency; wr: reverse (wr[v*n+u] = cheapest u -> v). */
    uint32_t *w = xcalloc((size_t)n * n, sizeof *w);
    uint32_t *wr = xcalloc((size_t)n * n, sizeof *wr);
    for (size_t k = 0; k < (size_t)n * n; k++)
        w[k] = wr[k] = UINT32_MAX;
    for (int64_t a = 0; a < fx->n_arcs; a++) {
        const size_t k = (size_t)fx->tail[a] * n + fx->head[a];
        const size_t kr = (size_t)fx->head[a] * n + fx->tail[a];
        if (fx->time[a] < w[k])
            w[k] = fx->time[a];
        if (fx->time[a] < wr[kr])
            wr[kr] = fx->time[a];
    }
    /* tf[j*n + v] = time from node v to facility j, UINT64_MAX if none. */
    uint64_t *tf = xcalloc((size_t)nf * n, sizeof *tf);
    for (int32_t j = 0; j < nf; j++)
        naive_dijkstra(n, wr, &fx->fac_node[2 * j], &fx->fac_off[2 * j],
                       tf + (size_t)j * n);
    /* tij[i*nf + j] = time from cell i to facility j, forward. */
    uint64_t *tij = xcalloc((size_t)nc * nf, sizeof *tij);
    uint64_t *dist = xcalloc((size_t)n, sizeof *dist);
    int n_two = 0;
    for (int32_t i = 0; i < nc; i++) {
        n_two += fx->cell_node[2 * i] >= 0 && fx->cell_node[2 * i + 1] >= 0;
        naive_dijkstra(n, w, &fx->cell_node[2 * i], &fx->cell_off[2 * i], dist);
        for (int32_t j = 0; j < nf; j++) {
            uint64_t best = UINT64_MAX;
            for (int k = 0; k < 2; k++) {
                const int32_t v = fx->fac_node[2 * j + k];
                if (v >= 0 && dist[v] != UINT64_MAX &&
                    dist[v] + fx->fac_off[2 * j + k] < best)
                    best = dist[v] + fx->fac_off[2 * j + k];
            }
            tij[(size_t)i * nf + j] = best;
        }
    }
    assert_true(n_two > nc / 4); /* the fixture exercises two links */

    results r;
    memset(&r, 0, sizeof r);
    run_pipeline(fx, 2, &r);

    /* Catchment rows: exactly the nodes within the limit, ascending. */
    for (int32_t j = 0; j < nf; j++) {
        int64_t e = r.fac->first[j];
        for (int32_t v = 0; v < n; v++) {
            const uint64_t t = tf[(size_t)j * n + v];
            if (t > fx->limit)
                continue;
            assert_true(e < r.fac->first[j + 1]);
            assert_int_equal(r.fac->col[e], v);
            assert_int_equal(am_catchments_time(r.fac, e), t);
            e++;
        }
        assert_int_equal(e, r.fac->first[j + 1]);
    }

    /* Brute-force measures over all (cell, facility) pairs. */
    double *D = xcalloc((size_t)nf, sizeof *D);
    double *R = xcalloc((size_t)nf, sizeof *R);
    for (int32_t i = 0; i < nc; i++)
        for (int32_t j = 0; j < nf; j++)
            if (tij[(size_t)i * nf + j] <= fx->d0)
                D[j] += fx->pop[i];
    for (int32_t j = 0; j < nf; j++) {
        R[j] = D[j] > 0 ? fx->supply[j] / D[j] : 0.0;
        assert_true(rel_close(r.D[j], D[j], 1e-12));
        assert_true(rel_close(r.R[j], R[j], 1e-12));
    }
    int n_reach = 0, n_none = 0;
    for (int32_t i = 0; i < nc; i++) {
        double A = 0.0;
        uint64_t best = UINT64_MAX;
        int32_t best_j = -1;
        for (int32_t j = 0; j < nf; j++) {
            const uint64_t t = tij[(size_t)i * nf + j];
            if (t <= fx->d0)
                A += R[j];
            if (t < best) {
                best = t;
                best_j = j;
            }
        }
        if (best > fx->limit) { /* beyond the catchments: unknown */
            best = AM_TIME_INF;
            best_j = -1;
        }
        assert_true(rel_close(r.A[i], A, 1e-12));
        assert_int_equal(r.near_t[i], best);
        assert_int_equal(r.near_f[i], best_j);
        n_reach += best_j >= 0;
        n_none += best_j < 0;
    }
    assert_true(n_reach > nc / 4);
    assert_true(n_none > 0);

    for (int c = 0; c < N_CUT; c++) {
        double cov = 0.0;
        for (int32_t i = 0; i < nc; i++)
            if (r.near_t[i] != AM_TIME_INF && r.near_t[i] <= r.cut[c])
                cov += fx->pop[i];
        assert_true(rel_close(r.cover[c], cov, 1e-12));
    }

    free(D);
    free(R);
    free(dist);
    free(tij);
    free(tf);
    free(wr);
    free(w);
    results_free(&r);
}

static void test_oracle(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 7, 300, 12, 500, 1500, 1200);
    check_oracle(&fx);
    fixture_free(&fx);
}

/* Many ties between a cell's two links (equal offsets, equal arc times):
 * the cell must still count once per facility in D_j and A_i. */
static void test_oracle_link_ties(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 99, 200, 15, 400, 1500, 1200);
    for (int64_t a = 0; a < fx.n_arcs; a++)
        fx.time[a] = 100;
    for (int32_t i = 0; i < 2 * fx.n_cells; i++)
        if (fx.cell_node[i] >= 0)
            fx.cell_off[i] = 50;
    check_oracle(&fx);
    fixture_free(&fx);
}

/* ---- multi-source nearest under ties ------------------------------------ */

/* Every arc 100 ds, every offset 0, facilities stacked on shared nodes:
 * most cells have several nearest facilities at the same time, and the
 * multi-source labels must pick the lowest index as the catchments do
 * (the comparison itself is in run_pipeline). */
static void test_nearest_ties(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 77, 400, 120, 800, 2000, 1500);
    for (int64_t a = 0; a < fx.n_arcs; a++)
        fx.time[a] = 100;
    for (int32_t j = 0; j < 2 * fx.n_fac; j++) {
        fx.fac_off[j] = 0;
        if (fx.fac_node[j] >= 0)
            fx.fac_node[j] = (fx.fac_node[j] % 40) * 10; /* 40 nodes */
    }
    for (int32_t i = 0; i < 2 * fx.n_cells; i++)
        fx.cell_off[i] = 0;
    results r;
    memset(&r, 0, sizeof r);
    run_pipeline(&fx, 2, &r);
    /* the fixture does produce ties: some cell's nearest is not the only
     * facility at that time on its node */
    int ties = 0;
    for (int32_t j = 1; j < fx.n_fac; j++)
        for (int32_t k = 0; k < j && !ties; k++)
            ties = fx.fac_node[2 * j] >= 0 &&
                   fx.fac_node[2 * j] == fx.fac_node[2 * k];
    assert_true(ties);
    results_free(&r);
    fixture_free(&fx);
}

/* A source on a node beyond the graph is refused; one off the network
 * (node < 0) seeds nothing; a limit below every offset reaches nothing. */
static void test_nearest_bad_args(void **state)
{
    (void)state;
    const int32_t tail[] = {0, 1}, head[] = {1, 2};
    const uint32_t t[] = {10, 10};
    am_graph *g = NULL;
    am_error err;
    assert_int_equal(am_graph_build(3, 2, tail, head, t, &g, &err), AM_OK);
    uint32_t nt[3];
    int32_t ns[3];
    const int32_t bad[] = {0, -1, 1, 7}; /* source 1's second link */
    assert_int_equal(am_nearest_nodes(g, 2, bad, NULL, 100, nt, ns, &err),
                     AM_ERR_INVALID);
    assert_int_equal(err.feature, 1);
    const int32_t off_net[] = {-1, -1};
    assert_int_equal(am_nearest_nodes(g, 1, off_net, NULL, 100, nt, ns, &err),
                     AM_OK);
    for (int v = 0; v < 3; v++) {
        assert_int_equal(nt[v], AM_TIME_INF);
        assert_int_equal(ns[v], -1);
    }
    const int32_t src[] = {2, -1};
    const uint32_t off[] = {50, AM_TIME_INF};
    assert_int_equal(am_nearest_nodes(g, 1, src, off, 49, nt, ns, &err), AM_OK);
    assert_int_equal(ns[2], -1);
    /* forward graph: from node 2 nothing is reachable; node 2 itself at 50 */
    assert_int_equal(am_nearest_nodes(g, 1, src, off, 60, nt, ns, &err), AM_OK);
    assert_int_equal(nt[2], 50);
    assert_int_equal(ns[2], 0);
    assert_int_equal(nt[0], AM_TIME_INF);
    /* limit exactly at the label is inclusive */
    const int32_t src0[] = {0, -1};
    assert_int_equal(am_nearest_nodes(g, 1, src0, NULL, 20, nt, ns, &err),
                     AM_OK);
    assert_int_equal(nt[2], 20);
    assert_int_equal(am_nearest_nodes(g, 1, src0, NULL, 19, nt, ns, &err),
                     AM_OK);
    assert_int_equal(nt[2], AM_TIME_INF);
    /* two links: the better one labels, the other link's node keeps its
     * own (seeded) time */
    const int32_t two[] = {0, 2};
    const uint32_t two_off[] = {30, 5};
    assert_int_equal(am_nearest_nodes(g, 1, two, two_off, 100, nt, ns, &err),
                     AM_OK);
    assert_int_equal(nt[0], 30);
    assert_int_equal(nt[1], 40);
    assert_int_equal(nt[2], 5);
    am_graph_destroy(g);
}

/* ---- catchments kept to the nodes that carry demand --------------------- */

/* With node_keep = "has cells", each row is the full row filtered to the
 * kept nodes, and 2SFCA is byte-identical to the full catchments' (1 and 2
 * threads). */
static void test_keep_demand_nodes(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 4242, 3000, 80, 600, 3000, 2500);
    results full;
    memset(&full, 0, sizeof full);
    run_pipeline(&fx, 1, &full);

    am_graph *g = NULL, *g_rev = NULL;
    am_demand *d = NULL;
    am_error err;
    assert_int_equal(am_graph_build(fx.n_nodes, fx.n_arcs, fx.tail, fx.head,
                                    fx.time, &g, &err),
                     AM_OK);
    assert_int_equal(am_graph_reverse(g, &g_rev, &err), AM_OK);
    assert_int_equal(am_demand_build(fx.n_cells, fx.n_nodes, fx.cell_node,
                                     fx.cell_off, fx.pop, &d, &err),
                     AM_OK);
    uint8_t *keep = xcalloc((size_t)fx.n_nodes, 1);
    int32_t n_keep = 0;
    for (int32_t v = 0; v < fx.n_nodes; v++) {
        keep[v] = d->first[v + 1] > d->first[v];
        n_keep += keep[v];
    }
    assert_true(n_keep > 0 && n_keep < fx.n_nodes / 2);
    for (int threads = 1; threads <= 2; threads++) {
        am_catchments *fac = NULL, *node = NULL;
        assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                               fx.fac_off, fx.limit, keep, 0,
                                               threads, NULL, NULL, &fac, &err),
                         AM_OK);
        assert_true(am_catchments_nnz(fac) < am_catchments_nnz(full.fac));
        for (int32_t j = 0; j < fx.n_fac; j++) {
            int64_t e = fac->first[j];
            for (int64_t f = full.fac->first[j]; f < full.fac->first[j + 1];
                 f++) {
                if (!keep[full.fac->col[f]])
                    continue;
                assert_true(e < fac->first[j + 1]);
                assert_int_equal(fac->col[e], full.fac->col[f]);
                assert_int_equal(am_catchments_time(fac, e),
                                 am_catchments_time(full.fac, f));
                e++;
            }
            assert_int_equal(e, fac->first[j + 1]);
        }
        assert_int_equal(am_catchments_transpose(fac, &node, &err), AM_OK);
        double *D = xcalloc((size_t)fx.n_fac, sizeof *D);
        double *R = xcalloc((size_t)fx.n_fac, sizeof *R);
        double *A = xcalloc((size_t)fx.n_cells, sizeof *A);
        const am_fca_params p = {AM_MEASURE_2SFCA, fx.d0};
        assert_int_equal(
            am_fca_run(&p, fac, d, fx.supply, threads, D, R, A, &err), AM_OK);
        assert_memory_equal(D, full.D, (size_t)fx.n_fac * sizeof *D);
        assert_memory_equal(R, full.R, (size_t)fx.n_fac * sizeof *R);
        assert_memory_equal(A, full.A, (size_t)fx.n_cells * sizeof *A);
        free(D);
        free(R);
        free(A);
        am_catchments_destroy(fac);
        am_catchments_destroy(node);
    }
    free(keep);
    am_demand_destroy(d);
    am_graph_destroy(g_rev);
    am_graph_destroy(g);
    results_free(&full);
    fixture_free(&fx);
}

/* ---- the entries budget ------------------------------------------------- */

/* A budget of exactly the result's entries is enough; one less stops the
 * computation with AM_ERR_NOMEM and no result (never a partial one). */
static void test_entries_budget(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 555, 600, 70, 10, 2500, 2000);
    am_graph *g = NULL, *g_rev = NULL;
    assert_int_equal(am_graph_build(fx.n_nodes, fx.n_arcs, fx.tail, fx.head,
                                    fx.time, &g, NULL),
                     AM_OK);
    assert_int_equal(am_graph_reverse(g, &g_rev, NULL), AM_OK);
    am_catchments *all = NULL, *c = NULL;
    assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                           fx.fac_off, fx.limit, NULL, 0, 2,
                                           NULL, NULL, &all, NULL),
                     AM_OK);
    const int64_t nnz = am_catchments_nnz(all);
    assert_true(nnz > 100);
    assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                           fx.fac_off, fx.limit, NULL, nnz, 2,
                                           NULL, NULL, &c, NULL),
                     AM_OK);
    assert_int_equal(am_catchments_nnz(c), nnz);
    am_catchments_destroy(c);
    c = NULL;
    am_error err;
    assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                           fx.fac_off, fx.limit, NULL, nnz - 1,
                                           1, NULL, NULL, &c, &err),
                     AM_ERR_NOMEM);
    assert_null(c);
    assert_non_null(strstr(err.msg, "beyond the memory budget"));
    am_catchments_destroy(all);
    am_graph_destroy(g_rev);
    am_graph_destroy(g);
    fixture_free(&fx);
}

/* ---- 16- and 32-bit catchment times ------------------------------------ */

/* A limit above AM_CATCHMENT_TIME16_MAX stores 32-bit times; the rows
 * within the smaller limit are the same entries, and 2SFCA at a d0 below
 * both gives the same bits. */
static void test_wide_times(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 31337, 800, 40, 900, 3000, 2500);
    am_graph *g = NULL, *g_rev = NULL;
    am_demand *d = NULL;
    assert_int_equal(am_graph_build(fx.n_nodes, fx.n_arcs, fx.tail, fx.head,
                                    fx.time, &g, NULL),
                     AM_OK);
    assert_int_equal(am_graph_reverse(g, &g_rev, NULL), AM_OK);
    assert_int_equal(am_demand_build(fx.n_cells, fx.n_nodes, fx.cell_node,
                                     fx.cell_off, fx.pop, &d, NULL),
                     AM_OK);
    am_catchments *narrow = NULL, *wide = NULL;
    assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                           fx.fac_off, AM_CATCHMENT_TIME16_MAX,
                                           NULL, 0, 2, NULL, NULL, &narrow,
                                           NULL),
                     AM_OK);
    assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                           fx.fac_off,
                                           AM_CATCHMENT_TIME16_MAX + 1, NULL, 0,
                                           2, NULL, NULL, &wide, NULL),
                     AM_OK);
    assert_non_null(narrow->time16);
    assert_null(narrow->time_ds);
    assert_non_null(wide->time_ds);
    assert_null(wide->time16);
    /* the graph is small: both limits reach the same nodes, except those
     * exactly one decisecond beyond the narrow one */
    for (int32_t j = 0; j < fx.n_fac; j++) {
        int64_t e = narrow->first[j];
        for (int64_t f = wide->first[j]; f < wide->first[j + 1]; f++) {
            if (am_catchments_time(wide, f) > AM_CATCHMENT_TIME16_MAX)
                continue;
            assert_int_equal(narrow->col[e], wide->col[f]);
            assert_int_equal(am_catchments_time(narrow, e),
                             am_catchments_time(wide, f));
            e++;
        }
        assert_int_equal(e, narrow->first[j + 1]);
    }
    double *D1 = xcalloc((size_t)fx.n_fac, sizeof(double));
    double *R1 = xcalloc((size_t)fx.n_fac, sizeof(double));
    double *A1 = xcalloc((size_t)fx.n_cells, sizeof(double));
    double *D2 = xcalloc((size_t)fx.n_fac, sizeof(double));
    double *R2 = xcalloc((size_t)fx.n_fac, sizeof(double));
    double *A2 = xcalloc((size_t)fx.n_cells, sizeof(double));
    const am_fca_params p = {AM_MEASURE_2SFCA, fx.d0};
    assert_int_equal(am_fca_run(&p, narrow, d, fx.supply, 1, D1, R1, A1, NULL),
                     AM_OK);
    assert_int_equal(am_fca_run(&p, wide, d, fx.supply, 2, D2, R2, A2, NULL),
                     AM_OK);
    assert_memory_equal(D1, D2, (size_t)fx.n_fac * sizeof(double));
    assert_memory_equal(R1, R2, (size_t)fx.n_fac * sizeof(double));
    assert_memory_equal(A1, A2, (size_t)fx.n_cells * sizeof(double));
    /* and the transposes keep the representation */
    am_catchments *tn = NULL, *tw = NULL;
    assert_int_equal(am_catchments_transpose(narrow, &tn, NULL), AM_OK);
    assert_int_equal(am_catchments_transpose(wide, &tw, NULL), AM_OK);
    assert_non_null(tn->time16);
    assert_non_null(tw->time_ds);
    free(D1);
    free(R1);
    free(A1);
    free(D2);
    free(R2);
    free(A2);
    am_catchments_destroy(tn);
    am_catchments_destroy(tw);
    am_catchments_destroy(narrow);
    am_catchments_destroy(wide);
    am_demand_destroy(d);
    am_graph_destroy(g_rev);
    am_graph_destroy(g);
    fixture_free(&fx);
}

/* ---- (d) determinism ---------------------------------------------------- */

static void assert_same(const results *a, const results *b, const fixture *fx)
{
    const int64_t nnz = am_catchments_nnz(a->fac);
    assert_int_equal(am_catchments_nnz(b->fac), nnz);
    assert_memory_equal(a->fac->first, b->fac->first,
                        ((size_t)fx->n_fac + 1) * sizeof *a->fac->first);
    assert_memory_equal(a->fac->col, b->fac->col,
                        (size_t)nnz * sizeof(int32_t));
    for (int64_t e = 0; e < nnz; e++)
        assert_int_equal(am_catchments_time(a->fac, e),
                         am_catchments_time(b->fac, e));
    assert_memory_equal(a->node->first, b->node->first,
                        ((size_t)fx->n_nodes + 1) * sizeof *a->node->first);
    assert_memory_equal(a->node->col, b->node->col,
                        (size_t)nnz * sizeof(int32_t));
    for (int64_t e = 0; e < nnz; e++)
        assert_int_equal(am_catchments_time(a->node, e),
                         am_catchments_time(b->node, e));
    assert_memory_equal(a->D, b->D, (size_t)fx->n_fac * sizeof(double));
    assert_memory_equal(a->R, b->R, (size_t)fx->n_fac * sizeof(double));
    assert_memory_equal(a->A, b->A, (size_t)fx->n_cells * sizeof(double));
    assert_memory_equal(a->near_t, b->near_t,
                        (size_t)fx->n_cells * sizeof(uint32_t));
    assert_memory_equal(a->near_f, b->near_f,
                        (size_t)fx->n_cells * sizeof(int32_t));
    assert_memory_equal(a->cover, b->cover, sizeof a->cover);
}

static void test_determinism(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 99, 2000, 300, 3000, 3000, 2400);
    results r1, r2, r4;
    memset(&r1, 0, sizeof r1);
    memset(&r2, 0, sizeof r2);
    memset(&r4, 0, sizeof r4);
    run_pipeline(&fx, 1, &r1);
    run_pipeline(&fx, 2, &r2);
    run_pipeline(&fx, 4, &r4);
    assert_true(am_catchments_nnz(r1.fac) > 1000);
    assert_same(&r1, &r2, &fx);
    assert_same(&r1, &r4, &fx);
    results_free(&r1);
    results_free(&r2);
    results_free(&r4);
    fixture_free(&fx);
}

static void test_progress_cancel(void **state)
{
    (void)state;
    fixture fx;
    /* 300 sources: several batches of at least 64. */
    random_fixture(&fx, 5, 500, 300, 10, 1000, 800);
    am_graph *g = NULL, *g_rev = NULL;
    assert_int_equal(am_graph_build(fx.n_nodes, fx.n_arcs, fx.tail, fx.head,
                                    fx.time, &g, NULL),
                     AM_OK);
    assert_int_equal(am_graph_reverse(g, &g_rev, NULL), AM_OK);

    progress_log pl = {0, 0, 0.0, 1};
    am_catchments *c = NULL;
    assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                           fx.fac_off, fx.limit, NULL, 0, 2,
                                           log_progress, &pl, &c, NULL),
                     AM_OK);
    assert_true(pl.calls >= 2);
    assert_true(pl.monotone);
    assert_double_near(pl.last, 1.0, 0.0);
    am_catchments_destroy(c);

    progress_log stop = {0, 1, 0.0, 1};
    am_error err;
    am_error_clear(&err);
    c = (am_catchments *)&c;
    assert_int_equal(am_catchments_compute(g_rev, fx.n_fac, fx.fac_node,
                                           fx.fac_off, fx.limit, NULL, 0, 2,
                                           log_progress, &stop, &c, &err),
                     AM_ERR_CANCELLED);
    assert_null(c);
    assert_int_equal(err.code, AM_ERR_CANCELLED);
    assert_int_equal(stop.calls, 1);

    /* A source snapped beyond the graph is rejected. */
    const int32_t bad[] = {0, fx.n_nodes};
    am_error_clear(&err);
    assert_int_equal(am_catchments_compute(g_rev, 1, bad, NULL, 100, NULL, 0, 1,
                                           NULL, NULL, &c, &err),
                     AM_ERR_INVALID);
    assert_null(c);
    assert_int_equal(err.feature, 0);

    /* Zero sources: an empty, valid result. */
    assert_int_equal(am_catchments_compute(g_rev, 0, NULL, NULL, 100, NULL, 0,
                                           0, NULL, NULL, &c, NULL),
                     AM_OK);
    assert_int_equal(c->n_rows, 0);
    assert_int_equal(am_catchments_nnz(c), 0);
    am_catchments_destroy(c);

    am_graph_destroy(g_rev);
    am_graph_destroy(g);
    fixture_free(&fx);
}

/* ---- (e) weighted summary ----------------------------------------------- */

static void test_weighted_summary(void **state)
{
    (void)state;
    double mean, median;

    /* {3,1,2} equal weights: mean 2; sorted 1,2,3, cum 1,2,3, half 1.5
     * reached at 2. */
    const double v1[] = {3, 1, 2}, w1[] = {1, 1, 1};
    assert_int_equal(am_weighted_summary(3, v1, w1, 1, &mean, &median), AM_OK);
    assert_double_near(mean, 2.0, 1e-15);
    assert_double_near(median, 2.0, 0.0);

    /* {1,2,3,4} equal weights: mean 2.5; half = 2 reached exactly at 2
     * (lower median). */
    const double v2[] = {4, 3, 2, 1}, w2[] = {1, 1, 1, 1};
    assert_int_equal(am_weighted_summary(4, v2, w2, 1, &mean, &median), AM_OK);
    assert_double_near(mean, 2.5, 1e-15);
    assert_double_near(median, 2.0, 0.0);

    /* Zero weight skipped: {10 (w0), 20 (w1), 30 (w3)}: mean
     * (20 + 90) / 4 = 27.5; half 2 reached at 30. */
    const double v3[] = {10, 20, 30}, w3[] = {0, 1, 3};
    assert_int_equal(am_weighted_summary(3, v3, w3, 1, &mean, &median), AM_OK);
    assert_double_near(mean, 27.5, 1e-15);
    assert_double_near(median, 30.0, 0.0);

    /* Heavy low value: {1 (w3), 100 (w1)}: mean 103 / 4 = 25.75, median 1. */
    const double v4[] = {100, 1}, w4[] = {1, 3};
    assert_int_equal(am_weighted_summary(2, v4, w4, 1, &mean, &median), AM_OK);
    assert_double_near(mean, 25.75, 1e-15);
    assert_double_near(median, 1.0, 0.0);

    /* NaN value skipped: {NaN (w5), 5 (w1), 7 (w1)}: mean 6, median 5. */
    const double v5[] = {NAN, 5, 7}, w5[] = {5, 1, 1};
    assert_int_equal(am_weighted_summary(3, v5, w5, 1, &mean, &median), AM_OK);
    assert_double_near(mean, 6.0, 1e-15);
    assert_double_near(median, 5.0, 0.0);

    /* All weights zero, and n = 0: both NaN. */
    const double v6[] = {1, 2}, w6[] = {0, 0};
    assert_int_equal(am_weighted_summary(2, v6, w6, 1, &mean, &median), AM_OK);
    assert_true(isnan(mean));
    assert_true(isnan(median));
    mean = median = 0;
    assert_int_equal(am_weighted_summary(0, NULL, NULL, 1, &mean, &median),
                     AM_OK);
    assert_true(isnan(mean));
    assert_true(isnan(median));
}

/* ---- the documented summation orders, bit for bit ----------------------- */

/* Time of row j at node v, AM_TIME_INF when absent (linear: tests only). */
static uint32_t ref_row_time(const am_catchments *c, int32_t j, int32_t v)
{
    for (int64_t e = c->first[j]; e < c->first[j + 1]; e++)
        if (c->col[e] == v)
            return am_catchments_time(c, e);
    return AM_TIME_INF;
}

/* Whether link l at `total` is its cell's best link for facility j. */
static int ref_best(const am_catchments *c, int32_t j, const am_demand *d,
                    int32_t l, uint32_t total)
{
    const int32_t o = l ^ 1, w = d->link_node[o];
    if (w < 0)
        return 1;
    const uint32_t tw = ref_row_time(c, j, w);
    if (tw == AM_TIME_INF)
        return 1;
    const uint32_t other = d->link_offset_ds[o] + tw;
    return total < other || (total == other && (l & 1) == 0);
}

/*
 * 2SFCA in the order measures.h documents, written the plain way: D_j
 * over j's row (nodes ascending, then the node's links in (offset, id)
 * order); each link's partial over j ascending; A_i = partial(2 i) +
 * partial(2 i + 1).
 */
static void ref_fca(const am_catchments *c, const am_demand *d,
                    const double *supply, uint32_t d0, double *D, double *R,
                    double *A)
{
    double *part = xcalloc((size_t)d->n_cells * 2 + 1, sizeof *part);
    for (int32_t j = 0; j < c->n_rows; j++) {
        double sum = 0.0;
        for (int64_t e = c->first[j]; e < c->first[j + 1]; e++) {
            const uint32_t t = am_catchments_time(c, e);
            if (t > d0)
                continue;
            const int32_t v = c->col[e];
            for (int64_t k = d->first[v]; k < d->first[v + 1]; k++) {
                const int32_t l = d->order[k];
                const uint32_t total = d->link_offset_ds[l] + t;
                if (total > d0)
                    break;
                if (ref_best(c, j, d, l, total))
                    sum += d->pop[l / 2];
            }
        }
        D[j] = sum;
        R[j] = sum > 0.0 ? supply[j] / sum : 0.0;
    }
    for (int32_t j = 0; j < c->n_rows; j++) {
        for (int64_t e = c->first[j]; e < c->first[j + 1]; e++) {
            const uint32_t t = am_catchments_time(c, e);
            if (t > d0)
                continue;
            const int32_t v = c->col[e];
            for (int64_t k = d->first[v]; k < d->first[v + 1]; k++) {
                const int32_t l = d->order[k];
                const uint32_t total = d->link_offset_ds[l] + t;
                if (total > d0)
                    break;
                if (ref_best(c, j, d, l, total))
                    part[l] += R[j];
            }
        }
    }
    for (int32_t i = 0; i < d->n_cells; i++)
        A[i] = part[2 * i] + part[2 * i + 1];
    free(part);
}

/* Every time and link offset of the fixture times `factor`, and its limit
 * and d0 set to the given values. */
static void scale_fixture(fixture *fx, uint32_t factor, uint32_t limit,
                          uint32_t d0)
{
    for (int64_t a = 0; a < fx->n_arcs; a++)
        fx->time[a] *= factor;
    for (int32_t k = 0; k < 2 * fx->n_cells; k++)
        if (fx->cell_node[k] >= 0)
            fx->cell_off[k] *= factor;
    for (int32_t k = 0; k < 2 * fx->n_fac; k++)
        if (fx->fac_node[k] >= 0)
            fx->fac_off[k] *= factor;
    fx->limit = limit;
    fx->d0 = d0;
}

/* am_fca_run on 1, 2, 3 and 8 threads against ref_fca: the same bits. */
static void check_fca_bits(const fixture *fx)
{
    am_graph *g = NULL, *g_rev = NULL;
    am_demand *d = NULL;
    am_catchments *c = NULL;
    assert_int_equal(am_graph_build(fx->n_nodes, fx->n_arcs, fx->tail, fx->head,
                                    fx->time, &g, NULL),
                     AM_OK);
    assert_int_equal(am_graph_reverse(g, &g_rev, NULL), AM_OK);
    assert_int_equal(am_demand_build(fx->n_cells, fx->n_nodes, fx->cell_node,
                                     fx->cell_off, fx->pop, &d, NULL),
                     AM_OK);
    assert_int_equal(am_catchments_compute(g_rev, fx->n_fac, fx->fac_node,
                                           fx->fac_off, fx->limit, NULL, 0, 2,
                                           NULL, NULL, &c, NULL),
                     AM_OK);
    assert_true(am_catchments_nnz(c) > 100);
    const size_t nf = (size_t)fx->n_fac, nc = (size_t)fx->n_cells;
    double *D0 = xcalloc(nf, sizeof(double)), *R0 = xcalloc(nf, sizeof(double));
    double *A0 = xcalloc(nc, sizeof(double));
    double *D = xcalloc(nf, sizeof(double)), *R = xcalloc(nf, sizeof(double));
    double *A = xcalloc(nc, sizeof(double));
    ref_fca(c, d, fx->supply, fx->d0, D0, R0, A0);
    int reached = 0;
    for (size_t i = 0; i < nc; i++)
        reached += A0[i] > 0.0;
    assert_true(reached > (int)nc / 4);
    const am_fca_params p = {AM_MEASURE_2SFCA, fx->d0};
    for (int ti = 0; ti < AM_TEST_N_THREADS; ti++) {
        const int threads = am_test_threads[ti];
        assert_int_equal(
            am_fca_run(&p, c, d, fx->supply, threads, D, R, A, NULL), AM_OK);
        assert_same_at_threads(D, D0, nf * sizeof(double), threads);
        assert_same_at_threads(R, R0, nf * sizeof(double), threads);
        assert_same_at_threads(A, A0, nc * sizeof(double), threads);
    }
    free(D0);
    free(R0);
    free(A0);
    free(D);
    free(R);
    free(A);
    am_catchments_destroy(c);
    am_demand_destroy(d);
    am_graph_destroy(g_rev);
    am_graph_destroy(g);
}

/* 16-bit node times (d0 < 65535) and 32-bit facility keys. */
static void test_fca_bits_plain(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 4242, 400, 40, 900, 1500, 1200);
    check_fca_bits(&fx);
    fixture_free(&fx);
    /* ties between links everywhere */
    random_fixture(&fx, 77, 300, 25, 600, 1500, 1200);
    for (int64_t a = 0; a < fx.n_arcs; a++)
        fx.time[a] = 100;
    for (int32_t i = 0; i < 2 * fx.n_cells; i++)
        if (fx.cell_node[i] >= 0)
            fx.cell_off[i] = 50;
    check_fca_bits(&fx);
    fixture_free(&fx);
}

/* d0 = 65534, the largest with 16-bit node times; then d0 = 76,800:
 * 32-bit node times and catchment times. */
static void test_fca_bits_wide(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 1001, 300, 20, 600, 1500, 1200);
    scale_fixture(&fx, 50, 65535, 65534);
    check_fca_bits(&fx);
    fixture_free(&fx);
    random_fixture(&fx, 1002, 300, 20, 600, 1500, 1200);
    scale_fixture(&fx, 64, 96000, 76800);
    check_fca_bits(&fx);
    fixture_free(&fx);
}

/* d0 near 2^29 with 20 facilities: the facility index and the time need
 * more than 32 bits together, so the node rows hold 64-bit keys. */
static void test_fca_bits_keys64(void **state)
{
    (void)state;
    fixture fx;
    random_fixture(&fx, 1003, 300, 20, 600, 1500, 1200);
    scale_fixture(&fx, 1u << 19, 1500u << 19, 1200u << 19);
    check_fca_bits(&fx);
    fixture_free(&fx);
}

/* The scratch size grows with every input it depends on. */
static void test_fca_scratch_bytes(void **state)
{
    (void)state;
    const size_t base = am_fca_scratch_bytes(100, 1000, 4000, 2, 18000, 0);
    assert_true(base >= 4000u * 20u + 2u * 1000u * 2u + 1001u * 8u);
    assert_true(am_fca_scratch_bytes(100, 1000, 4000, 2, 18000, 10) ==
                base + 50u);
    assert_true(am_fca_scratch_bytes(100, 1000, 4000, 4, 18000, 0) > base);
    /* 32-bit node times, 64-bit keys */
    assert_true(am_fca_scratch_bytes(100, 1000, 4000, 2, 70000, 0) > base);
    assert_true(am_fca_scratch_bytes(100, 1000, 0, 2, 1u << 29, 10) -
                    am_fca_scratch_bytes(100, 1000, 0, 2, 1u << 29, 0) ==
                90u);
}

/* The weighted summary as documented, with qsort on (value, index). */
typedef struct ref_vi {
    double v, w;
    int32_t i;
} ref_vi;

static int ref_vi_cmp(const void *a, const void *b)
{
    const ref_vi *x = a, *y = b;
    if (x->v < y->v)
        return -1;
    if (x->v > y->v)
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void ref_summary(int32_t n, const double *v, const double *w,
                        double *mean, double *median)
{
    ref_vi *p = xcalloc((size_t)n + 1, sizeof *p);
    int32_t k = 0;
    double sw = 0.0, swv = 0.0;
    for (int32_t i = 0; i < n; i++) {
        if (w[i] > 0.0 && !isnan(v[i])) {
            sw += w[i];
            swv += w[i] * v[i];
            p[k].v = v[i];
            p[k].w = w[i];
            p[k].i = i;
            k++;
        }
    }
    *mean = swv / sw;
    qsort(p, (size_t)k, sizeof *p, ref_vi_cmp);
    double total = 0.0, cum = 0.0;
    for (int32_t q = 0; q < k; q++)
        total += p[q].w;
    *median = p[k - 1].v;
    for (int32_t q = 0; q < k; q++) {
        cum += p[q].w;
        if (cum >= 0.5 * total) {
            *median = p[q].v;
            break;
        }
    }
    free(p);
}

/* Random values with duplicates, both zeros, negatives, infinities, NaN
 * and zero weights: the radix sort gives the qsort reference's bits, on
 * any thread count; and a median that falls on -0.0 returns -0.0. */
static void test_weighted_summary_radix(void **state)
{
    (void)state;
    const int32_t n = 20000;
    double *v = xcalloc((size_t)n, sizeof *v),
           *w = xcalloc((size_t)n, sizeof *w);
    rng_state = 555;
    for (int32_t i = 0; i < n; i++) {
        const uint32_t r = rng_next() % 20;
        v[i] = r == 0   ? 0.0
               : r == 1 ? -0.0
               : r == 2 ? (double)(rng_next() % 50) /* duplicates */
               : r == 3 ? -1e-3 * rng_unit()
               : r == 4 ? (rng_next() % 2 ? INFINITY : -INFINITY)
               : r == 5 ? NAN
                        : 1e-4 * rng_unit() * (double)(1u << (rng_next() % 20));
        w[i] = rng_next() % 10 == 0 ? 0.0 : 1000.0 * rng_unit();
    }
    double m0, med0;
    ref_summary(n, v, w, &m0, &med0);
    for (int threads = 1; threads <= 3; threads++) {
        double m, med;
        assert_int_equal(am_weighted_summary(n, v, w, threads, &m, &med),
                         AM_OK);
        assert_memory_equal(&m, &m0, sizeof m);
        assert_memory_equal(&med, &med0, sizeof med);
    }
    /* zeros of both signs at the median: the one the (value, index)
     * order puts there */
    const double vz[] = {1.0, 0.0, -0.0, -0.0, 2.0};
    const double wz[] = {1.0, 1.0, 1.0, 1.0, 1.0};
    for (int threads = 1; threads <= 2; threads++) {
        double m, med, mr, medr;
        ref_summary(5, vz, wz, &mr, &medr);
        assert_int_equal(am_weighted_summary(5, vz, wz, threads, &m, &med),
                         AM_OK);
        assert_memory_equal(&med, &medr, sizeof med);
        assert_true(signbit(med)); /* the third value by order: -0.0 */
    }
    free(v);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_catchments),
        cmocka_unit_test(test_hand_2sfca),
        cmocka_unit_test(test_hand_threshold_filter),
        cmocka_unit_test(test_hand_coverage),
        cmocka_unit_test(test_identity_random),
        cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_oracle_link_ties),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_nearest_ties),
        cmocka_unit_test(test_keep_demand_nodes),
        cmocka_unit_test(test_wide_times),
        cmocka_unit_test(test_entries_budget),
        cmocka_unit_test(test_nearest_bad_args),
        cmocka_unit_test(test_progress_cancel),
        cmocka_unit_test(test_weighted_summary),
        cmocka_unit_test(test_fca_bits_plain),
        cmocka_unit_test(test_fca_bits_wide),
        cmocka_unit_test(test_fca_bits_keys64),
        cmocka_unit_test(test_fca_scratch_bytes),
        cmocka_unit_test(test_weighted_summary_radix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
