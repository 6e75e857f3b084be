/*
 * test_allocation.c: capacity-aware coverage (kernels/allocation.h).
 *
 * (a) a hand-computed case, 3 cells and 2 facilities, both allocation
 *     methods (every number derived in the comments from the formulas of
 *     docs/coverage.md);
 * (b) a plain serial oracle: the dense cell x facility time matrix by
 *     brute force (min over a cell's links), then the formulas with plain
 *     loops, on random instances (two-link cells, off-network cells, empty
 *     cells, facilities with no demand, zero capacity, a limit below the
 *     pairs', a smooth decay);
 * (c) order independence: the facility rows permuted give byte-identical
 *     per-cell results and per-facility results permuted alike;
 * (d) conservation: served + beyond + not within reach + off network =
 *     the population, per cell and in total; cells' served = facilities'
 *     served;
 * (e) zero capacity everywhere (nobody served, everyone in reach beyond
 *     capacity) and a facility with no demand;
 *     and a tiny persons_per_capacity (2^-530): no underflow, the shares
 *     of k = 2^-30 times 2^-500;
 * (f) 1, 2, 3 and 8 threads byte-identical;
 * (g) argument errors.
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
#include "kernels/allocation.h"
#include "kernels/catchment.h"
#include "kernels/decay.h"
#include "kernels/demand.h"
#include "kernels/fca.h"

#include "fca_inst.h"

/* ---- instances --------------------------------------------------------- */

/* A random instance: facility 0 has an empty row (no demand), facility 2
 * zero capacity; about 1/8 of cells off the network, 1/2 with two links,
 * some empty; capacities small enough that many facilities are full. */
static void inst_random(inst *x, uint64_t seed, uint32_t limit)
{
    rng_state = seed;
    memset(x, 0, sizeof *x);
    x->n_fac = 6 + (int32_t)rnd(10);
    x->n_nodes = 10 + (int32_t)rnd(30);
    x->n_cells = 20 + (int32_t)rnd(60);
    x->limit = limit;
    x->ntime = xcalloc((size_t)x->n_fac * x->n_nodes, sizeof *x->ntime);
    for (int32_t j = 0; j < x->n_fac; j++)
        for (int32_t v = 0; v < x->n_nodes; v++) {
            uint32_t t = AM_TIME_INF;
            if (j != 0 && rnd(3) != 0)
                t = rnd(4) == 0 ? limit - rnd(3) : rnd(limit + 1);
            x->ntime[(size_t)j * x->n_nodes + v] = t;
        }
    x->cnode = xcalloc(2 * (size_t)x->n_cells, sizeof *x->cnode);
    x->coff = xcalloc(2 * (size_t)x->n_cells, sizeof *x->coff);
    x->pop = xcalloc((size_t)x->n_cells, sizeof *x->pop);
    for (int32_t i = 0; i < x->n_cells; i++) {
        const uint32_t kind = rnd(8);
        for (int k = 0; k < 2; k++) {
            x->cnode[2 * i + k] = -1;
            x->coff[2 * i + k] = 0;
        }
        x->pop[i] = kind == 1 ? 0.0 : 0.5 + rnd(1000) / 7.0;
        if (kind == 0)
            continue; /* off the network */
        x->cnode[2 * i] = (int32_t)rnd((uint32_t)x->n_nodes);
        x->coff[2 * i] = rnd(limit / 4 + 1);
        if (rnd(2) == 0) {
            x->cnode[2 * i + 1] = (int32_t)rnd((uint32_t)x->n_nodes);
            x->coff[2 * i + 1] =
                rnd(4) == 0 ? x->coff[2 * i] : rnd(limit / 4 + 1);
        }
    }
    x->supply = xcalloc((size_t)x->n_fac, sizeof *x->supply);
    for (int32_t j = 0; j < x->n_fac; j++)
        x->supply[j] = j == 2 ? 0.0 : 1.0 + rnd(60);
    inst_finish(x);
}

/* ---- running ---------------------------------------------------------- */

typedef struct res {
    int32_t nc, nf;
    double *share, *served, *beyond, *none;
    uint8_t *flag;
    double *D, *Sv, *Ex, *U, *G;
    am_alloc_out o;
} res;

static void res_free(res *r)
{
    free(r->share);
    free(r->served);
    free(r->beyond);
    free(r->none);
    free(r->flag);
    free(r->D);
    free(r->Sv);
    free(r->Ex);
    free(r->U);
    free(r->G);
    memset(r, 0, sizeof *r);
}

static void run(const inst *x, am_alloc_method method, const double *w,
                uint32_t L, double k, int threads, res *r)
{
    memset(r, 0, sizeof *r);
    r->nc = x->n_cells;
    r->nf = x->n_fac;
    r->share = xcalloc((size_t)r->nc, sizeof(double));
    r->served = xcalloc((size_t)r->nc, sizeof(double));
    r->beyond = xcalloc((size_t)r->nc, sizeof(double));
    r->none = xcalloc((size_t)r->nc, sizeof(double));
    r->flag = xcalloc((size_t)r->nc, 1);
    r->D = xcalloc((size_t)r->nf, sizeof(double));
    r->Sv = xcalloc((size_t)r->nf, sizeof(double));
    r->Ex = xcalloc((size_t)r->nf, sizeof(double));
    r->U = xcalloc((size_t)r->nf, sizeof(double));
    r->G = xcalloc((size_t)r->nf, sizeof(double));
    am_fca_pairs *p = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(
        am_fca_pairs_build(&x->cat, x->d, x->limit, threads, &p, &err), AM_OK);
    am_alloc_params a = {method, w, L, k, 0.0, 0};
    r->o.share = r->share;
    r->o.flag = r->flag;
    r->o.served = r->served;
    r->o.beyond = r->beyond;
    r->o.none = r->none;
    r->o.fac_demand = r->D;
    r->o.fac_served = r->Sv;
    r->o.fac_excess = r->Ex;
    r->o.fac_util = r->U;
    r->o.fac_attract = r->G;
    am_status rc = am_alloc_run(&a, p, x->supply, threads, &r->o, &err);
    if (rc != AM_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(rc, AM_OK);
    am_fca_pairs_free(p);
}

static double *table_step(uint32_t L)
{
    double *w = xcalloc((size_t)L + 1, sizeof *w);
    for (uint32_t t = 0; t <= L; t++)
        w[t] = 1.0;
    return w;
}

/* ---- (a) hand-computed -------------------------------------------------- */

/*
 * Cells 0, 1, 2 on nodes 0, 1, 2 (one link each, offset 0), 100 persons
 * each. Facility A reaches node 0 in 10 ds and node 1 in 20 ds; facility B
 * node 1 in 20 ds and node 2 in 10 ds. Step decay to 30 ds: every f = 1.
 * Capacities S_A = 50, S_B = 200, k = 1 (K = S).
 */
static void hand(inst *x)
{
    memset(x, 0, sizeof *x);
    x->n_fac = 2;
    x->n_nodes = 3;
    x->n_cells = 3;
    x->limit = 30;
    x->ntime = xcalloc(6, sizeof *x->ntime);
    const uint32_t I = AM_TIME_INF;
    const uint32_t nt[6] = {10, 20, I, I, 20, 10};
    memcpy(x->ntime, nt, sizeof nt);
    x->cnode = xcalloc(6, sizeof *x->cnode);
    x->coff = xcalloc(6, sizeof *x->coff);
    x->pop = xcalloc(3, sizeof *x->pop);
    for (int i = 0; i < 3; i++) {
        x->cnode[2 * i] = i;
        x->cnode[2 * i + 1] = -1;
        x->pop[i] = 100.0;
    }
    x->supply = xcalloc(2, sizeof *x->supply);
    x->supply[0] = 50.0;
    x->supply[1] = 200.0;
    inst_finish(x);
}

static void test_hand_proportional(void **state)
{
    (void)state;
    inst x;
    hand(&x);
    double *w = table_step(30);
    res r;
    run(&x, AM_ALLOC_PROPORTIONAL, w, 30, 1.0, 1, &r);
    /* Shares f_ij / sum_l f_il: cell 0 all to A, cell 1 half and half,
     * cell 2 all to B. D_A = 100 + 50 = 150, D_B = 50 + 100 = 150.
     * sigma_A = min(1, 50/150) = 1/3, sigma_B = min(1, 200/150) = 1. */
    assert_rel_near(r.D[0], 150.0, 1e-15);
    assert_rel_near(r.D[1], 150.0, 1e-15);
    assert_rel_near(r.Sv[0], 50.0, 1e-15);
    assert_rel_near(r.Sv[1], 150.0, 1e-15);
    assert_rel_near(r.Ex[0], 100.0, 1e-15);
    assert_rel_near(r.Ex[1], 0.0, 1e-15);
    assert_rel_near(r.U[0], 1.0, 1e-15);
    assert_rel_near(r.U[1], 0.75, 1e-15);
    /* cell 0: 1/3; cell 1: 1/2 * 1/3 + 1/2 * 1 = 2/3; cell 2: 1 */
    assert_rel_near(r.share[0], 1.0 / 3.0, 1e-15);
    assert_rel_near(r.share[1], 2.0 / 3.0, 1e-15);
    assert_rel_near(r.share[2], 1.0, 1e-15);
    assert_rel_near(r.served[1], 200.0 / 3.0, 1e-13);
    assert_rel_near(r.beyond[0], 200.0 / 3.0, 1e-13);
    assert_rel_near(r.beyond[2], 0.0, 1e-13);
    /* served 100/3 + 200/3 + 100 = 200 = 50 + 150; beyond 100 */
    assert_rel_near(r.o.total_served, 200.0, 1e-13);
    assert_rel_near(r.o.total_beyond, 100.0, 1e-13);
    assert_rel_near(r.o.total_none, 0.0, 1e-15);
    assert_int_equal(r.o.iterations, 0);
    assert_int_equal(r.o.converged, 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.flag[i], AM_FCA_CELL_OK);
    res_free(&r);
    free(w);
    inst_free(&x);
}

static void test_hand_fixed_point(void **state)
{
    (void)state;
    inst x;
    hand(&x);
    double *w = table_step(30);
    res r;
    run(&x, AM_ALLOC_FIXED_POINT, w, 30, 1.0, 1, &r);
    /* B is never full: D_B = 100 + 100 / (1 + g_A) <= 200, so g_B = 1.
     * A: g_A = 50 / D_A with D_A = 100 + 100 g_A / (1 + g_A). Times
     * (1 + g_A): 100 g (1 + g) + 100 g^2 = 50 (1 + g), i.e.
     * 4 g^2 + g - 1 = 0, g_A = (sqrt(17) - 1) / 8 = 0.39038820320...
     * Cell 1 sends a = g_A / (1 + g_A) of its people to A;
     * D_A = 100 + 100 a = 50 / g_A, sigma_A = g_A; D_B = 100 + 100 (1 - a).
     * Served: cell 0 100 g_A, cell 1 100 (a g_A + 1 - a), cell 2 100;
     * total 50 + D_B. */
    const double g = (sqrt(17.0) - 1.0) / 8.0;
    const double a = g / (1.0 + g);
    assert_rel_near(r.G[0], g, 1e-8);
    assert_rel_near(r.G[1], 1.0, 1e-15);
    assert_rel_near(r.D[0], 50.0 / g, 1e-8);
    assert_rel_near(r.D[1], 100.0 + 100.0 * (1.0 - a), 1e-8);
    assert_rel_near(r.Sv[0], 50.0, 1e-12);
    assert_rel_near(r.Ex[0], 50.0 / g - 50.0, 1e-8);
    assert_rel_near(r.share[0], g, 1e-8);
    assert_rel_near(r.share[1], a * g + 1.0 - a, 1e-8);
    assert_rel_near(r.share[2], 1.0, 1e-15);
    assert_rel_near(r.o.total_served, 50.0 + 100.0 + 100.0 * (1.0 - a), 1e-8);
    /* more served than proportional's 200: people of cell 1 turn to B */
    assert_true(r.o.total_served > 200.0 + 20.0);
    assert_int_equal(r.o.converged, 1);
    assert_true(r.o.iterations > 1 && r.o.iterations < AM_ALLOC_MAX_ITERATIONS);
    assert_true(r.o.residual < AM_ALLOC_TOLERANCE);
    res_free(&r);
    free(w);
    inst_free(&x);
}

/* ---- (b) oracle -----------------------------------------------------------
 */

/* Dense times: min over links of offset + node time, INF beyond lim. */
static uint32_t *oracle_times(const inst *x, uint32_t lim)
{
    uint32_t *t = xcalloc((size_t)x->n_cells * x->n_fac, sizeof *t);
    for (int32_t i = 0; i < x->n_cells; i++)
        for (int32_t j = 0; j < x->n_fac; j++) {
            uint64_t best = AM_TIME_INF;
            for (int k = 0; k < 2; k++) {
                const int32_t v = x->cnode[2 * i + k];
                if (v < 0)
                    continue;
                const uint32_t nt = x->ntime[(size_t)j * x->n_nodes + v];
                if (nt == AM_TIME_INF)
                    continue;
                const uint64_t s = (uint64_t)x->coff[2 * i + k] + nt;
                if (s < best)
                    best = s;
            }
            t[(size_t)i * x->n_fac + j] =
                best <= lim ? (uint32_t)best : AM_TIME_INF;
        }
    return t;
}

/* D_j = sum_i P_i f_ij g_j / sum_l f_il g_l, plain loops over dense F. */
static void oracle_demand(const inst *x, const double *F, const double *g,
                          double *D)
{
    const int32_t nf = x->n_fac, nc = x->n_cells;
    for (int32_t j = 0; j < nf; j++)
        D[j] = 0.0;
    for (int32_t i = 0; i < nc; i++) {
        double T = 0.0;
        for (int32_t j = 0; j < nf; j++)
            T += F[(size_t)i * nf + j] * g[j];
        if (T > 0.0)
            for (int32_t j = 0; j < nf; j++)
                D[j] += x->pop[i] * F[(size_t)i * nf + j] * g[j] / T;
    }
}

/* The formulas of docs/coverage.md with plain loops; o gets share, flag,
 * D, served per facility, g and the iterations. */
static void oracle(const inst *x, am_alloc_method method, const double *w,
                   uint32_t L, double k, res *o)
{
    const int32_t nf = x->n_fac, nc = x->n_cells;
    uint32_t *t = oracle_times(x, L);
    double *F = xcalloc((size_t)nc * nf, sizeof *F);
    memset(o, 0, sizeof *o);
    o->share = xcalloc((size_t)nc, sizeof(double));
    o->flag = xcalloc((size_t)nc, 1);
    o->D = xcalloc((size_t)nf, sizeof(double));
    o->Sv = xcalloc((size_t)nf, sizeof(double));
    o->G = xcalloc((size_t)nf, sizeof(double));
    double *gn = xcalloc((size_t)nf, sizeof(double));
    double *sig = xcalloc((size_t)nf, sizeof(double));
    for (int32_t i = 0; i < nc; i++)
        for (int32_t j = 0; j < nf; j++) {
            const uint32_t tij = t[(size_t)i * nf + j];
            F[(size_t)i * nf + j] = tij == AM_TIME_INF ? 0.0 : w[tij];
        }
    for (int32_t j = 0; j < nf; j++)
        o->G[j] = method == AM_ALLOC_PROPORTIONAL || x->supply[j] > 0 ? 1 : 0;
    if (method == AM_ALLOC_FIXED_POINT) {
        for (int it = 1; it <= AM_ALLOC_MAX_ITERATIONS; it++) {
            oracle_demand(x, F, o->G, o->D);
            double rmax = 0.0;
            for (int32_t j = 0; j < nf; j++) {
                const double K = k * x->supply[j];
                const double G = K <= 0 ? 0 : (o->D[j] <= K ? 1 : K / o->D[j]);
                gn[j] = G > 0 ? sqrt(o->G[j] * G) : 0;
                if (o->G[j] > 0 && fabs(gn[j] - o->G[j]) / o->G[j] > rmax)
                    rmax = fabs(gn[j] - o->G[j]) / o->G[j];
            }
            memcpy(o->G, gn, (size_t)nf * sizeof *gn);
            o->o.iterations = it;
            o->o.residual = rmax;
            if (rmax < AM_ALLOC_TOLERANCE)
                break;
        }
    }
    oracle_demand(x, F, o->G, o->D); /* the allocation at g */
    for (int32_t j = 0; j < nf; j++) {
        const double K = k * x->supply[j];
        sig[j] = o->D[j] > 0 ? (o->D[j] <= K ? 1 : K / o->D[j]) : 1;
        o->Sv[j] = o->D[j] < K ? o->D[j] : K;
    }
    for (int32_t i = 0; i < nc; i++) {
        double T = 0.0, Tf = 0.0, N = 0.0;
        for (int32_t j = 0; j < nf; j++) {
            const double f = F[(size_t)i * nf + j];
            Tf += f;
            T += f * o->G[j];
            N += f * o->G[j] * sig[j];
        }
        const int on = x->cnode[2 * i] >= 0 || x->cnode[2 * i + 1] >= 0;
        o->flag[i] = !on           ? AM_FCA_CELL_OFF
                     : !(Tf > 0.0) ? AM_FCA_CELL_NONE
                                   : AM_FCA_CELL_OK;
        o->share[i] = o->flag[i] == AM_FCA_CELL_OK && T > 0 && x->pop[i] > 0
                          ? N / T
                          : 0.0;
    }
    free(gn);
    free(sig);
    free(F);
    free(t);
}

static void check_oracle(const inst *x, am_alloc_method method, const double *w,
                         uint32_t L, double k)
{
    res r, o;
    run(x, method, w, L, k, 2, &r);
    oracle(x, method, w, L, k, &o);
    const double tol = method == AM_ALLOC_PROPORTIONAL ? 1e-12 : 1e-7;
    if (method == AM_ALLOC_FIXED_POINT) {
        /* a contraction with factor 1/2 in log g (docs/coverage.md):
           from a change under 750 to 1e-9 in about 40 rounds */
        assert_int_equal(r.o.converged, 1);
        assert_true(r.o.iterations <= 60);
        assert_true(abs(r.o.iterations - o.o.iterations) <= 1);
    }
    for (int32_t j = 0; j < x->n_fac; j++) {
        assert_rel_near(r.D[j], o.D[j], tol);
        assert_rel_near(r.Sv[j], o.Sv[j], tol);
        assert_rel_near(r.G[j], o.G[j], tol);
    }
    for (int32_t i = 0; i < x->n_cells; i++) {
        assert_int_equal(r.flag[i], o.flag[i]);
        assert_rel_near(r.share[i], o.share[i], tol);
    }
    res_free(&r);
    res_free(&o);
}

static void test_oracle(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        inst x;
        const uint32_t limit = seed % 5 == 0 ? 70000u : 300u;
        inst_random(&x, seed, limit);
        double *w = table_step(limit);
        /* a smooth decay below the pairs' limit */
        const uint32_t L2 = limit * 3 / 4;
        double *we = xcalloc((size_t)L2 + 1, sizeof *we);
        for (uint32_t t = 0; t <= L2; t++)
            we[t] = exp(-2.0 * t / (double)L2);
        const double k = seed % 3 == 0 ? 2.5 : 1.0;
        check_oracle(&x, AM_ALLOC_PROPORTIONAL, w, limit, k);
        check_oracle(&x, AM_ALLOC_FIXED_POINT, w, limit, k);
        check_oracle(&x, AM_ALLOC_PROPORTIONAL, we, L2, k);
        check_oracle(&x, AM_ALLOC_FIXED_POINT, we, L2, k);
        free(w);
        free(we);
        inst_free(&x);
    }
}

/* ---- (c) order independence, (d) conservation, (f) threads --------------- */

/* x with its facility rows in the order perm (new row q = old perm[q]). */
static void inst_permuted(const inst *x, const int32_t *perm, inst *y)
{
    memset(y, 0, sizeof *y);
    *y = *x;
    y->ntime = xcalloc((size_t)x->n_fac * x->n_nodes, sizeof *y->ntime);
    y->supply = xcalloc((size_t)x->n_fac, sizeof *y->supply);
    y->cnode = xcalloc(2 * (size_t)x->n_cells, sizeof *y->cnode);
    y->coff = xcalloc(2 * (size_t)x->n_cells, sizeof *y->coff);
    y->pop = xcalloc((size_t)x->n_cells, sizeof *y->pop);
    memcpy(y->cnode, x->cnode, 2 * (size_t)x->n_cells * sizeof *y->cnode);
    memcpy(y->coff, x->coff, 2 * (size_t)x->n_cells * sizeof *y->coff);
    memcpy(y->pop, x->pop, (size_t)x->n_cells * sizeof *y->pop);
    for (int32_t q = 0; q < x->n_fac; q++) {
        memcpy(y->ntime + (size_t)q * x->n_nodes,
               x->ntime + (size_t)perm[q] * x->n_nodes,
               (size_t)x->n_nodes * sizeof *y->ntime);
        y->supply[q] = x->supply[perm[q]];
    }
    inst_finish(y);
}

static void assert_same_cells(const res *a, const res *b)
{
    const size_t n = (size_t)a->nc;
    assert_memory_equal(a->share, b->share, n * sizeof(double));
    assert_memory_equal(a->served, b->served, n * sizeof(double));
    assert_memory_equal(a->beyond, b->beyond, n * sizeof(double));
    assert_memory_equal(a->none, b->none, n * sizeof(double));
    assert_memory_equal(a->flag, b->flag, n);
    assert_memory_equal(&a->o.total_served, &b->o.total_served, 8);
    assert_memory_equal(&a->o.total_beyond, &b->o.total_beyond, 8);
    assert_memory_equal(&a->o.total_none, &b->o.total_none, 8);
    assert_memory_equal(&a->o.total_off, &b->o.total_off, 8);
    assert_int_equal(a->o.iterations, b->o.iterations);
    assert_memory_equal(&a->o.residual, &b->o.residual, 8);
}

static void test_permutation(void **state)
{
    (void)state;
    for (uint64_t seed = 100; seed < 120; seed++) {
        inst x, y;
        inst_random(&x, seed, 300);
        /* equal capacities and times make ties: facility rows 3 and 4 the
           same as 1 */
        for (int32_t v = 0; v < x.n_nodes; v++) {
            x.ntime[3 * (size_t)x.n_nodes + v] = x.ntime[(size_t)x.n_nodes + v];
            x.ntime[4 * (size_t)x.n_nodes + v] = x.ntime[(size_t)x.n_nodes + v];
        }
        x.supply[3] = x.supply[1];
        free(x.cat.first);
        free(x.cat.col);
        free(x.cat.time16);
        am_demand_destroy(x.d);
        inst_finish(&x);
        int32_t *perm = xcalloc((size_t)x.n_fac, sizeof *perm);
        for (int32_t q = 0; q < x.n_fac; q++)
            perm[q] = x.n_fac - 1 - q; /* reversed, then shuffled */
        for (int32_t q = x.n_fac - 1; q > 0; q--) {
            const int32_t r = (int32_t)rnd((uint32_t)q + 1);
            const int32_t tmp = perm[q];
            perm[q] = perm[r];
            perm[r] = tmp;
        }
        inst_permuted(&x, perm, &y);
        double *w = xcalloc(301, sizeof *w);
        for (uint32_t t = 0; t <= 300; t++)
            w[t] = 1.0 / (1.0 + exp((t - 150.0) / 30.0));
        for (int m = AM_ALLOC_PROPORTIONAL; m <= AM_ALLOC_FIXED_POINT; m++) {
            res a, b;
            run(&x, (am_alloc_method)m, w, 300, 1.5, 2, &a);
            run(&y, (am_alloc_method)m, w, 300, 1.5, 3, &b);
            assert_same_cells(&a, &b);
            for (int32_t q = 0; q < x.n_fac; q++) {
                assert_memory_equal(&b.D[q], &a.D[perm[q]], 8);
                assert_memory_equal(&b.Sv[q], &a.Sv[perm[q]], 8);
                assert_memory_equal(&b.Ex[q], &a.Ex[perm[q]], 8);
                assert_memory_equal(&b.G[q], &a.G[perm[q]], 8);
            }
            res_free(&a);
            res_free(&b);
        }
        free(w);
        free(perm);
        inst_free(&y);
        inst_free(&x);
    }
}

static void test_conservation(void **state)
{
    (void)state;
    for (uint64_t seed = 200; seed < 230; seed++) {
        inst x;
        inst_random(&x, seed, 300);
        double *w = table_step(300);
        for (int m = AM_ALLOC_PROPORTIONAL; m <= AM_ALLOC_FIXED_POINT; m++) {
            res r;
            run(&x, (am_alloc_method)m, w, 300, 1.0, 2, &r);
            double pop = 0.0, cells = 0.0, fac = 0.0;
            for (int32_t i = 0; i < x.n_cells; i++) {
                pop += x.pop[i];
                const double sum = r.served[i] + r.beyond[i] + r.none[i];
                if (r.flag[i] == AM_FCA_CELL_OFF)
                    assert_true(sum == 0.0);
                else
                    assert_rel_near(sum, x.pop[i], 1e-14);
                assert_true(r.served[i] >= 0 && r.beyond[i] >= 0);
                assert_true(r.share[i] >= 0.0 && r.share[i] <= 1.0);
                cells += r.served[i];
            }
            for (int32_t j = 0; j < x.n_fac; j++) {
                fac += r.Sv[j];
                assert_true(r.Sv[j] <= x.supply[j] + 1e-12);
            }
            assert_rel_near(r.o.total_served + r.o.total_beyond +
                                r.o.total_none + r.o.total_off,
                            pop, 1e-13);
            /* what the cells get is what the facilities give */
            assert_rel_near(cells, fac, 1e-11);
            /* the demand allocated is the population that may take it */
            assert_rel_near(r.o.total_demand, r.o.pop_takeable, 1e-12);
            assert_rel_near(r.o.total_served, cells, 1e-13);
            res_free(&r);
        }
        free(w);
        inst_free(&x);
    }
}

static void test_threads(void **state)
{
    (void)state;
    for (uint64_t seed = 300; seed < 310; seed++) {
        inst x;
        inst_random(&x, seed, seed % 2 ? 300u : 70000u);
        double *w = table_step(x.limit);
        for (int m = AM_ALLOC_PROPORTIONAL; m <= AM_ALLOC_FIXED_POINT; m++) {
            const size_t nf = (size_t)x.n_fac * sizeof(double);
            res r1, rt;
            run(&x, (am_alloc_method)m, w, x.limit, 1.0, am_test_threads[0],
                &r1);
            for (int t = 1; t < AM_TEST_N_THREADS; t++) {
                const int nt = am_test_threads[t];
                run(&x, (am_alloc_method)m, w, x.limit, 1.0, nt, &rt);
                assert_same_cells(&r1, &rt);
                assert_same_at_threads(rt.D, r1.D, nf, nt);
                assert_same_at_threads(rt.U, r1.U, nf, nt);
                res_free(&rt);
            }
            res_free(&r1);
        }
        free(w);
        inst_free(&x);
    }
}

/* ---- (e) edge cases ------------------------------------------------------ */

static void test_zero_capacity(void **state)
{
    (void)state;
    inst x;
    inst_random(&x, 7, 300);
    for (int32_t j = 0; j < x.n_fac; j++)
        x.supply[j] = 0.0;
    double *w = table_step(300);
    for (int m = AM_ALLOC_PROPORTIONAL; m <= AM_ALLOC_FIXED_POINT; m++) {
        res r;
        run(&x, (am_alloc_method)m, w, 300, 1.0, 2, &r);
        int reached = 0;
        for (int32_t i = 0; i < x.n_cells; i++) {
            assert_true(r.served[i] == 0.0 && r.share[i] == 0.0);
            if (r.flag[i] == AM_FCA_CELL_OK) {
                assert_true(r.beyond[i] == x.pop[i]);
                reached++;
            }
        }
        assert_true(reached > 0);
        assert_true(r.o.total_served == 0.0);
        for (int32_t j = 0; j < x.n_fac; j++) {
            assert_true(isnan(r.U[j]));
            assert_true(r.Sv[j] == 0.0);
            /* proportional: D_j is the demand sent and all of it excess;
               fixed_point: nobody is sent to a facility with g_j = 0 */
            if (m == AM_ALLOC_PROPORTIONAL)
                assert_true(r.Ex[j] == r.D[j]);
            else
                assert_true(r.D[j] == 0.0 && r.G[j] == 0.0);
        }
        res_free(&r);
    }
    free(w);
    inst_free(&x);
}

/*
 * A tiny persons_per_capacity (2^-530, about 3e-160): every facility is
 * full by a factor of about 1e160, its g_j near k S_j / D_j, and the
 * products f g sigma (about 1e-320) underflowed, so that everybody read
 * "served 0" (a collapse both served totals agreed on). Against the same
 * instance with k = 2^-30, where every facility with demand and capacity
 * is full too: sigma_j = K_j / D_j and (fixed point) g_j scale with k, the
 * shares a_ij and so D_j do not, so the tiny run's shares are the other's
 * times 2^-500 (proportional: to the bit, every step scales by a power of
 * two; fixed point: to the iteration's tolerance, its rounds differ) and
 * the served total is the facilities' capacity. Also sum_j D_j =
 * pop_takeable.
 */
static void test_tiny_capacity(void **state)
{
    (void)state;
    for (uint64_t seed = 400; seed < 410; seed++) {
        inst x;
        inst_random(&x, seed, 300);
        double *w = table_step(300);
        for (int m = AM_ALLOC_PROPORTIONAL; m <= AM_ALLOC_FIXED_POINT; m++) {
            res tiny, mid;
            run(&x, (am_alloc_method)m, w, 300, ldexp(1.0, -530), 2, &tiny);
            run(&x, (am_alloc_method)m, w, 300, ldexp(1.0, -30), 2, &mid);
            double cap = 0.0;
            for (int32_t j = 0; j < x.n_fac; j++)
                if (mid.D[j] > 0.0 && x.supply[j] > 0.0) {
                    assert_true(mid.Ex[j] > 0.0); /* the premise: full */
                    cap += ldexp(x.supply[j], -530);
                }
            assert_true(cap > 0.0);
            for (int32_t i = 0; i < x.n_cells; i++) {
                assert_int_equal(tiny.flag[i], mid.flag[i]);
                if (m == AM_ALLOC_PROPORTIONAL)
                    assert_true(tiny.share[i] == ldexp(mid.share[i], -500));
                else
                    assert_rel_near(ldexp(tiny.share[i], 500) /
                                        (mid.share[i] > 0 ? mid.share[i] : 1),
                                    mid.share[i] > 0 ? 1.0 : 0.0, 1e-7);
            }
            for (int32_t j = 0; j < x.n_fac; j++) {
                if (m == AM_ALLOC_PROPORTIONAL)
                    assert_true(tiny.D[j] == mid.D[j]);
                else
                    assert_rel_near(tiny.D[j], mid.D[j], 1e-7);
            }
            /* somebody is served, a little: the facilities' capacity */
            assert_true(tiny.o.total_served > 0.0);
            assert_rel_near(tiny.o.total_served / cap, 1.0, 1e-9);
            assert_true(tiny.o.pop_takeable > 0.0);
            assert_rel_near(tiny.o.total_demand / tiny.o.pop_takeable, 1.0,
                            1e-12);
            assert_int_equal(tiny.o.converged, 1);
            res_free(&tiny);
            res_free(&mid);
        }
        free(w);
        inst_free(&x);
    }
}

static void test_no_demand(void **state)
{
    (void)state;
    inst x;
    hand(&x);
    /* facility A's row emptied: it reaches nobody */
    x.ntime[0] = x.ntime[1] = AM_TIME_INF;
    free(x.cat.first);
    free(x.cat.col);
    free(x.cat.time16);
    am_demand_destroy(x.d);
    inst_finish(&x);
    double *w = table_step(30);
    for (int m = AM_ALLOC_PROPORTIONAL; m <= AM_ALLOC_FIXED_POINT; m++) {
        res r;
        run(&x, (am_alloc_method)m, w, 30, 1.0, 1, &r);
        /* A: D = 0, serves 0, utilisation 0; cell 0 reaches nothing;
           cells 1 and 2 (200 persons) all go to B, which has room */
        assert_int_equal(r.o.n_fac_no_demand, 1);
        assert_true(r.D[0] == 0.0 && r.Sv[0] == 0.0 && r.U[0] == 0.0);
        assert_int_equal(r.flag[0], AM_FCA_CELL_NONE);
        assert_int_equal(r.o.n_cells_none, 1);
        assert_true(r.none[0] == 100.0 && r.share[0] == 0.0);
        assert_rel_near(r.D[1], 200.0, 1e-15);
        assert_rel_near(r.o.total_served, 200.0, 1e-15);
        assert_rel_near(r.o.total_none, 100.0, 1e-15);
        assert_rel_near(r.o.total_beyond, 0.0, 1e-15);
        res_free(&r);
    }
    free(w);
    inst_free(&x);
}

static void test_errors(void **state)
{
    (void)state;
    inst x;
    hand(&x);
    double *w = table_step(30);
    am_fca_pairs *p = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_fca_pairs_build(&x.cat, x.d, 30, 1, &p, &err), AM_OK);
    am_alloc_out o;
    memset(&o, 0, sizeof o);
    am_alloc_params a = {AM_ALLOC_FIXED_POINT, w, 30, 0.0, 0.0, 0};
    assert_int_equal(am_alloc_run(&a, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "persons_per_capacity"));
    a.persons_per_capacity = 1.0;
    a.limit_ds = 31;
    assert_int_equal(am_alloc_run(&a, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    a.limit_ds = 30;
    a.method = (am_alloc_method)9;
    assert_int_equal(am_alloc_run(&a, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    a.method = AM_ALLOC_PROPORTIONAL;
    x.supply[1] = -1.0;
    assert_int_equal(am_alloc_run(&a, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    x.supply[1] = 200.0;
    w[3] = NAN;
    assert_int_equal(am_alloc_run(&a, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    w[3] = 1.0;
    /* nothing wanted but the totals: still right */
    assert_int_equal(am_alloc_run(&a, p, x.supply, 1, &o, &err), AM_OK);
    assert_rel_near(o.total_served, 200.0, 1e-13);
    /* the iteration cap reached: reported, not converged */
    a.method = AM_ALLOC_FIXED_POINT;
    a.max_iterations = 2;
    assert_int_equal(am_alloc_run(&a, p, x.supply, 1, &o, &err), AM_OK);
    assert_int_equal(o.iterations, 2);
    assert_int_equal(o.converged, 0);
    assert_true(o.residual > AM_ALLOC_TOLERANCE);
    am_fca_pairs_free(p);
    free(w);
    inst_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_proportional),
        cmocka_unit_test(test_hand_fixed_point),
        cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_permutation),
        cmocka_unit_test(test_conservation),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_zero_capacity),
        cmocka_unit_test(test_tiny_capacity),
        cmocka_unit_test(test_no_demand),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
