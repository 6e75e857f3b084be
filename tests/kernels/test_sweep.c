/*
 * test_sweep.c: kernels/sweep.c against a hand-checked case and a serial
 * oracle that recomputes everything per candidate from the definitions:
 * the new nearest times min(b_i, t_ic) and the coverage, the p-median
 * time, the whole 2SFCA vector over the existing facilities plus the
 * candidate (Luo & Wang 2003, every D_j, R_j and A_i from scratch), its
 * mean and Gini by the equity kernel on the full vector, and the
 * bottom-decile mean by sorting the full vector (boundary cell split).
 * Also: the edge cases of sweep.h, 1, 2, 3 and 8 threads byte-identical,
 * bad inputs, and (fault-injection builds) every allocation failing.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"
#include "thread_counts.h"

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/equity.h"
#include "kernels/sweep.h"

static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(rng_next() % n);
}

/* Outputs for n_cand candidates and nc cutoffs, all columns. */
typedef struct outputs {
    am_sweep_row row;
    int32_t n_cand, nc;
} outputs;

static void outputs_alloc(outputs *o, int32_t n_cand, int32_t nc)
{
    const size_t n = (size_t)(n_cand > 0 ? n_cand : 1);
    o->n_cand = n_cand;
    o->nc = nc;
    o->row.newly_within = calloc(n * (size_t)(nc > 0 ? nc : 1), sizeof(double));
    o->row.nearest_changed = calloc(n, sizeof(double));
    o->row.time_saved_min = calloc(n, sizeof(double));
    o->row.d_mean = calloc(n, sizeof(double));
    o->row.d_bottom10 = calloc(n, sizeof(double));
    o->row.d_gini = calloc(n, sizeof(double));
    o->row.no_demand = calloc(n, 1);
    assert_non_null(o->row.no_demand);
}

static void outputs_free(outputs *o)
{
    free(o->row.newly_within);
    free(o->row.nearest_changed);
    free(o->row.time_saved_min);
    free(o->row.d_mean);
    free(o->row.d_bottom10);
    free(o->row.d_gini);
    free(o->row.no_demand);
}

static int outputs_equal(const outputs *a, const outputs *b)
{
    const size_t n = (size_t)a->n_cand, d = n * sizeof(double);
    return memcmp(a->row.newly_within, b->row.newly_within,
                  d * (size_t)a->nc) == 0 &&
           memcmp(a->row.nearest_changed, b->row.nearest_changed, d) == 0 &&
           memcmp(a->row.time_saved_min, b->row.time_saved_min, d) == 0 &&
           memcmp(a->row.d_mean, b->row.d_mean, d) == 0 &&
           memcmp(a->row.d_bottom10, b->row.d_bottom10, d) == 0 &&
           memcmp(a->row.d_gini, b->row.d_gini, d) == 0 &&
           memcmp(a->row.no_demand, b->row.no_demand, n) == 0;
}

/* ---------------------------------------------------------------- */
/* The hand-checked case.                                             */

/* dw = 1 up to 60 ds. */
static double step60[61];

static void fill_step60(void)
{
    for (int t = 0; t <= 60; t++)
        step60[t] = 1.0;
}

static void test_hand(void **state)
{
    (void)state;
    fill_step60();
    /* Four cells: weights 1, 2, 1, 0; baseline times 100, none, 30, 50;
     * baseline 2SFCA 0.5, 0, 1, 2. */
    const double w[4] = {1, 2, 1, 0};
    const uint32_t b[4] = {100, AM_TIME_INF, 30, 50};
    const double a[4] = {0.5, 0.0, 1.0, 2.0};
    /* Candidates: 0 reaches all four (40, 60, 30, 10); 1 nothing; 2 only
     * the empty cell; 3 cell 1 beyond the decay limit (70). */
    const int64_t row[5] = {0, 4, 4, 5, 6};
    const int32_t cell[6] = {0, 1, 2, 3, 3, 1};
    const uint32_t t[6] = {40, 60, 30, 10, 10, 70};
    const double supply[4] = {2, 1, 1, 1};
    const uint32_t cut[2] = {30, 60};
    const am_sel_instance in = {4, w, b, 4, row, cell, t, NULL};
    const am_sweep_params prm = {2, cut, 120, a, step60, 60, supply, 1};
    outputs o;
    am_error err;
    outputs_alloc(&o, 4, 2);
    assert_int_equal(am_sweep_run(&in, &prm, &o.row, &err), AM_OK);

    /* Candidate 0. Within 30: cell 2 ties its facility (30 = 30: not
     * new), cell 3 is new but empty: 0. Within 60: cells 0 and 1: 3.
     * Faster: cells 0 and 1 (cell 2 ties: keeps its facility): 3. Time
     * saved: cell 0 100 -> 40, cell 1 120 (penalty) -> 60: 60 + 2 x 60 =
     * 180 person-ds = 0.3 person-minutes. */
    assert_double_near(o.row.newly_within[0], 0.0, 0.0);
    assert_double_near(o.row.newly_within[1], 3.0, 0.0);
    assert_double_near(o.row.nearest_changed[0], 3.0, 0.0);
    assert_double_near(o.row.time_saved_min[0], 0.3, 1e-15);
    /* D = 1 + 2 + 1 + 0 = 4, R = 2 / 4 = 0.5: cells 0, 1, 2 become 1.0,
     * 0.5, 1.5. Mean 1.5 / 4 -> 3.5 / 4: +0.5. Bottom 10 % (0.4 people):
     * cell 1 (0 -> 0.5): +0.5. Gini: pair sums 2 (2 x 0.5 + 2 x 1 + 0.5)
     * = 7 before and after; 7 / (2 x 4 x 1.5) = 7/12 -> 7 / (2 x 4 x 3.5)
     * = 1/4: -1/3. */
    assert_int_equal(o.row.no_demand[0], 0);
    assert_double_near(o.row.d_mean[0], 0.5, 1e-15);
    assert_double_near(o.row.d_bottom10[0], 0.5, 1e-15);
    assert_double_near(o.row.d_gini[0], -1.0 / 3.0, 1e-15);

    /* Candidates 1 and 2: nothing changes, no demand. */
    for (int c = 1; c <= 2; c++) {
        assert_double_near(o.row.newly_within[(ptrdiff_t)2 * c], 0.0, 0.0);
        assert_double_near(o.row.newly_within[2 * c + 1], 0.0, 0.0);
        assert_double_near(o.row.nearest_changed[c], 0.0, 0.0);
        assert_double_near(o.row.time_saved_min[c], 0.0, 0.0);
        assert_int_equal(o.row.no_demand[c], 1);
        assert_double_near(o.row.d_mean[c], 0.0, 0.0);
        assert_double_near(o.row.d_bottom10[c], 0.0, 0.0);
        assert_double_near(o.row.d_gini[c], 0.0, 0.0);
    }
    /* Candidate 3: cell 1 at 70 ds (beyond both cutoffs, faster than
     * nothing): 2 people change facility, (120 - 70) x 2 = 100 ds = 1/6
     * min saved; beyond the decay: no demand. */
    assert_double_near(o.row.newly_within[6], 0.0, 0.0);
    assert_double_near(o.row.newly_within[7], 0.0, 0.0);
    assert_double_near(o.row.nearest_changed[3], 2.0, 0.0);
    assert_double_near(o.row.time_saved_min[3], 100.0 / 600.0, 1e-15);
    assert_int_equal(o.row.no_demand[3], 1);
    assert_double_near(o.row.d_gini[3], 0.0, 0.0);
    outputs_free(&o);
}

/* An all-zero baseline (no facility reaches anyone): the Gini is
 * undefined before (equity.h), so d_gini is NaN; the mean and bottom
 * decile are defined. No baseline accessibility: NaN columns. */
static void test_edges(void **state)
{
    (void)state;
    fill_step60();
    const double w[3] = {1, 1, 2};
    const uint32_t b[3] = {AM_TIME_INF, AM_TIME_INF, AM_TIME_INF};
    const double zero[3] = {0, 0, 0};
    const int64_t row[2] = {0, 1};
    const int32_t cell[1] = {2};
    const uint32_t t[1] = {5};
    const am_sel_instance in = {3, w, b, 1, row, cell, t, NULL};
    am_sweep_params prm = {0, NULL, 100, zero, step60, 60, NULL, 2};
    outputs o;
    am_error err;
    outputs_alloc(&o, 1, 0);
    assert_int_equal(am_sweep_run(&in, &prm, &o.row, &err), AM_OK);
    /* R = 1 / 2: cell 2 (weight 2) 0 -> 0.5; mean +1 / 4; the lowest 0.4
     * people stay at 0. */
    assert_double_near(o.row.d_mean[0], 0.25, 1e-15);
    assert_double_near(o.row.d_bottom10[0], 0.0, 0.0);
    assert_true(isnan(o.row.d_gini[0]));
    assert_double_near(o.row.time_saved_min[0], 2.0 * 95 / 600.0, 1e-15);

    prm.base_access = NULL;
    assert_int_equal(am_sweep_run(&in, &prm, &o.row, &err), AM_OK);
    assert_true(isnan(o.row.d_mean[0]));
    assert_true(isnan(o.row.d_bottom10[0]));
    assert_true(isnan(o.row.d_gini[0]));
    assert_int_equal(o.row.no_demand[0], 0);

    /* No populated cell at all: nothing is defined. */
    const double w0[3] = {0, 0, 0};
    const am_sel_instance empty = {3, w0, b, 1, row, cell, t, NULL};
    prm.base_access = zero;
    assert_int_equal(am_sweep_run(&empty, &prm, &o.row, &err), AM_OK);
    assert_true(isnan(o.row.d_mean[0]));
    assert_true(isnan(o.row.d_gini[0]));
    assert_int_equal(o.row.no_demand[0], 1);

    /* Only some outputs asked for; zero candidates. */
    am_sweep_row only = {0};
    double nearest = -1;
    only.nearest_changed = &nearest;
    assert_int_equal(am_sweep_run(&in, &prm, &only, &err), AM_OK);
    assert_double_near(nearest, 2.0, 0.0);
    const int64_t row0[1] = {0};
    const am_sel_instance none = {3, w, b, 0, row0, NULL, NULL, NULL};
    assert_int_equal(am_sweep_run(&none, &prm, &o.row, &err), AM_OK);
    outputs_free(&o);
}

/* ---------------------------------------------------------------- */
/* Random instances and the oracle.                                   */

typedef struct instance {
    int32_t n, n_fac, n_cand, nc;
    double *w, *a, *fac_supply, *cand_supply;
    uint32_t *b;
    uint32_t *fac_t;  /* [n_fac * n]: AM_TIME_INF where not reached */
    uint32_t *cand_t; /* [n_cand * n] */
    int64_t *row;
    int32_t *cell;
    uint32_t *time;
    uint32_t cut[3];
    uint32_t penalty, limit;
    double *dw;
    am_sel_instance in;
    am_sweep_params prm;
} instance;

/* a_i = sum_j R_j dw[t_ij], R_j = s_j / D_j over the facilities with
 * D_j > 0 (Luo & Wang 2003), from the dense times: the definition. */
static void fca_full(const instance *x, int32_t n_sets,
                     const uint32_t *const *times, const double *supply,
                     double *a)
{
    for (int32_t i = 0; i < x->n; i++)
        a[i] = 0.0;
    for (int32_t j = 0; j < n_sets; j++) {
        double d = 0.0;
        for (int32_t i = 0; i < x->n; i++)
            if (times[j][i] <= x->limit)
                d += x->w[i] * x->dw[times[j][i]];
        if (d == 0.0)
            continue;
        for (int32_t i = 0; i < x->n; i++)
            if (times[j][i] <= x->limit)
                a[i] += supply[j] / d * x->dw[times[j][i]];
    }
}

static void instance_make(instance *x, int kind)
{
    memset(x, 0, sizeof *x);
    /* kind 0: up to 400 cells; 1: up to 60, maybe no facility; 2: up to
     * 60; 3: 3,000 cells and 300 candidates (threads). */
    x->n = kind == 3 ? 3000 : 1 + (int32_t)rng_below(kind == 0 ? 400 : 60);
    x->n_fac = (int32_t)rng_below(5) + (kind == 1 ? 0 : 1);
    x->n_cand = kind == 3 ? 300 : (int32_t)rng_below(25);
    x->nc = 3;
    x->limit = 50 + rng_below(100);
    x->penalty = 150 + rng_below(100);
    x->cut[0] = 30 + rng_below(20);
    x->cut[1] = x->cut[0] + rng_below(30); /* may equal cut[0] */
    x->cut[2] = x->cut[1] + 1 + rng_below(80);
    const int32_t n = x->n;
    x->w = calloc((size_t)n, sizeof *x->w);
    x->a = calloc((size_t)n, sizeof *x->a);
    x->b = calloc((size_t)n, sizeof *x->b);
    x->dw = calloc(x->limit + 1, sizeof *x->dw);
    x->fac_t = calloc((size_t)(x->n_fac + 1) * (size_t)n, sizeof *x->fac_t);
    x->cand_t = calloc((size_t)(x->n_cand + 1) * (size_t)n, sizeof *x->cand_t);
    x->fac_supply = calloc((size_t)x->n_fac + 1, sizeof(double));
    x->cand_supply = calloc((size_t)x->n_cand + 1, sizeof(double));
    x->row = calloc((size_t)x->n_cand + 1, sizeof *x->row);
    /* Weights: some 0, small integers (ties) or continuous. */
    for (int32_t i = 0; i < n; i++) {
        const uint32_t r = rng_below(10);
        x->w[i] = r < 2   ? 0.0
                  : r < 5 ? (double)(1 + rng_below(4))
                          : 100.0 * rng_unit();
    }
    /* Decay: a linear ramp, a step, or a ramp with holes (dw = 0 inside). */
    const uint32_t shape = rng_below(3);
    for (uint32_t t = 0; t <= x->limit; t++)
        x->dw[t] = shape == 0   ? 1.0 - (double)t / (x->limit + 1)
                   : shape == 1 ? 1.0
                                : (t % 7 == 3 ? 0.0 : rng_unit());
    /* Times on a coarse grid (ties with cutoffs and baselines). */
    const uint32_t grid = 1 + rng_below(10);
    for (int32_t j = 0; j < x->n_fac; j++) {
        const double p = rng_unit();
        x->fac_supply[j] = rng_below(6) == 0 ? 0.0 : 50.0 * rng_unit();
        for (int32_t i = 0; i < n; i++)
            x->fac_t[(size_t)j * n + i] =
                rng_unit() < p ? grid * rng_below(2 * x->limit / grid + 2)
                               : AM_TIME_INF;
    }
    for (int32_t i = 0; i < n; i++) {
        x->b[i] = AM_TIME_INF;
        for (int32_t j = 0; j < x->n_fac; j++)
            if (x->fac_t[(size_t)j * n + i] < x->b[i])
                x->b[i] = x->fac_t[(size_t)j * n + i];
    }
    const uint32_t **ft = calloc((size_t)x->n_fac + 1, sizeof *ft);
    for (int32_t j = 0; j < x->n_fac; j++)
        ft[j] = x->fac_t + (size_t)j * n;
    fca_full(x, x->n_fac, ft, x->fac_supply, x->a);
    free(ft);
    /* Candidates: a share of the cells each (some rows empty). */
    int64_t nnz = 0;
    for (int32_t c = 0; c < x->n_cand; c++) {
        const double p = rng_below(5) == 0 ? 0.0 : rng_unit();
        x->cand_supply[c] = rng_below(8) == 0 ? 0.0 : 80.0 * rng_unit();
        for (int32_t i = 0; i < n; i++) {
            uint32_t *t = &x->cand_t[(size_t)c * n + i];
            *t = rng_unit() < p ? grid * rng_below(2 * x->limit / grid + 2)
                                : AM_TIME_INF;
            nnz += *t != AM_TIME_INF;
        }
        x->row[c + 1] = nnz;
    }
    x->cell = calloc((size_t)nnz + 1, sizeof *x->cell);
    x->time = calloc((size_t)nnz + 1, sizeof *x->time);
    nnz = 0;
    for (int32_t c = 0; c < x->n_cand; c++)
        for (int32_t i = 0; i < n; i++)
            if (x->cand_t[(size_t)c * n + i] != AM_TIME_INF) {
                x->cell[nnz] = i;
                x->time[nnz] = x->cand_t[(size_t)c * n + i];
                nnz++;
            }
    x->in = (am_sel_instance){n,      x->w,    x->b,    x->n_cand,
                              x->row, x->cell, x->time, NULL};
    x->prm = (am_sweep_params){x->nc, x->cut,   x->penalty,     x->a,
                               x->dw, x->limit, x->cand_supply, 1};
}

static void instance_free(instance *x)
{
    free(x->w);
    free(x->a);
    free(x->b);
    free(x->dw);
    free(x->fac_t);
    free(x->cand_t);
    free(x->fac_supply);
    free(x->cand_supply);
    free(x->row);
    free(x->cell);
    free(x->time);
}

static int cmp_pair(const void *pa, const void *pb)
{
    const double *a = pa, *b = pb;
    return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/* The mean of the lowest 10 % of the people (cells with w > 0, a cell
 * straddling 0.1 W counted for its part inside), by sorting. */
static double bottom10(int32_t n, const double *v, const double *w)
{
    double *p = calloc((size_t)n * 2 + 2, sizeof *p);
    int64_t m = 0;
    double total = 0.0;
    for (int32_t i = 0; i < n; i++)
        if (w[i] > 0.0) {
            p[2 * m] = v[i];
            p[2 * m + 1] = w[i];
            total += w[i];
            m++;
        }
    qsort(p, (size_t)m, 2 * sizeof *p, cmp_pair);
    const double low = 0.1 * total;
    double taken = 0.0, sum = 0.0;
    for (int64_t k = 0; k < m && taken < low; k++) {
        const double part = fmin(p[2 * k + 1], low - taken);
        sum += part * p[2 * k];
        taken += part;
    }
    free(p);
    return m > 0 ? sum / low : NAN;
}

static am_equity_stats equity1(int32_t n, const double *v, const double *w)
{
    static const am_equity_spec none = {0, NULL, 0, NULL, 0, NULL};
    am_equity_stats st;
    am_error err;
    assert_int_equal(am_equity_run(n, v, w, NULL, NULL, 1, &none, 1, &st, NULL,
                                   NULL, NULL, &err),
                     AM_OK);
    return st;
}

/* Agreement of a difference with the oracle's, scaled by the size of the
 * statistics it is the difference of (their own rounding). */
static void check_delta(const char *what, int32_t c, double got, double want,
                        double scale)
{
    if (isnan(want)) {
        if (!isnan(got)) {
            print_error("candidate %d %s = %.17g, expected NaN\n", (int)c, what,
                        got);
            fail();
        }
        return;
    }
    const double tol = 1e-10 * fabs(want) + 1e-12 * scale + 1e-300;
    if (!(fabs(got - want) <= tol)) {
        print_error("candidate %d %s = %.17g, expected %.17g\n", (int)c, what,
                    got, want);
        fail();
    }
}

static void oracle_check(const instance *x, const outputs *o)
{
    const int32_t n = x->n;
    double *a2 = calloc((size_t)n, sizeof *a2);
    const uint32_t **ft = calloc((size_t)x->n_fac + 1, sizeof *ft);
    double *sup = calloc((size_t)x->n_fac + 1, sizeof *sup);
    for (int32_t j = 0; j < x->n_fac; j++) {
        ft[j] = x->fac_t + (size_t)j * n;
        sup[j] = x->fac_supply[j];
    }
    const am_equity_stats before = equity1(n, x->a, x->w);
    const double bot_before = bottom10(n, x->a, x->w);
    for (int32_t c = 0; c < x->n_cand; c++) {
        const uint32_t *tc = x->cand_t + (size_t)c * n;
        /* Coverage and p-median from the new nearest times. */
        for (int32_t k = 0; k < x->nc; k++) {
            double in_before = 0.0, in_after = 0.0;
            for (int32_t i = 0; i < n; i++) {
                const uint32_t nb = tc[i] < x->b[i] ? tc[i] : x->b[i];
                in_before += x->b[i] <= x->cut[k] ? x->w[i] : 0.0;
                in_after += nb <= x->cut[k] ? x->w[i] : 0.0;
            }
            check_delta("newly_within", c, o->row.newly_within[c * x->nc + k],
                        in_after - in_before, in_after);
        }
        double changed = 0.0, pm_before = 0.0, pm_after = 0.0, d = 0.0;
        for (int32_t i = 0; i < n; i++) {
            const uint32_t nb = tc[i] < x->b[i] ? tc[i] : x->b[i];
            changed += nb != x->b[i] ? x->w[i] : 0.0;
            pm_before +=
                x->w[i] * (x->b[i] < x->penalty ? x->b[i] : x->penalty);
            pm_after += x->w[i] * (nb < x->penalty ? nb : x->penalty);
            if (tc[i] <= x->limit)
                d += x->w[i] * x->dw[tc[i]];
        }
        check_delta("nearest_changed", c, o->row.nearest_changed[c], changed,
                    changed);
        check_delta("time_saved_min", c, o->row.time_saved_min[c],
                    (pm_before - pm_after) / 600.0, pm_before / 600.0);
        assert_int_equal(o->row.no_demand[c], d == 0.0);
        /* 2SFCA from scratch with the candidate as one more facility. */
        ft[x->n_fac] = tc;
        sup[x->n_fac] = x->cand_supply[c];
        fca_full(x, x->n_fac + 1, ft, sup, a2);
        const am_equity_stats after = equity1(n, a2, x->w);
        check_delta("d_mean", c, o->row.d_mean[c], after.mean - before.mean,
                    fabs(after.mean));
        check_delta("d_gini", c, o->row.d_gini[c], after.gini - before.gini,
                    1.0);
        const double bot_after = bottom10(n, a2, x->w);
        check_delta("d_bottom10", c, o->row.d_bottom10[c],
                    bot_after - bot_before, fabs(bot_after));
    }
    free(a2);
    free(ft);
    free(sup);
}

static void test_oracle(void **state)
{
    (void)state;
    rng_state = 20261202;
    for (int rep = 0; rep < 60; rep++) {
        instance x;
        instance_make(&x, rep % 3);
        outputs o;
        am_error err;
        outputs_alloc(&o, x.n_cand, x.nc);
        x.prm.n_threads = 1 + rep % 2;
        assert_int_equal(am_sweep_run(&x.in, &x.prm, &o.row, &err), AM_OK);
        oracle_check(&x, &o);
        outputs_free(&o);
        instance_free(&x);
    }
}

/* A larger instance (3,000 cells, 300 candidates): 1, 2, 3 and 8 threads
 * byte-identical, and the oracle's values. */
static void test_threads(void **state)
{
    (void)state;
    rng_state = 77;
    instance x;
    instance_make(&x, 3);
    outputs o[AM_TEST_N_THREADS];
    for (int t = 0; t < AM_TEST_N_THREADS; t++) {
        am_error err;
        outputs_alloc(&o[t], x.n_cand, x.nc);
        x.prm.n_threads = am_test_threads[t];
        assert_int_equal(am_sweep_run(&x.in, &x.prm, &o[t].row, &err), AM_OK);
    }
    for (int t = 1; t < AM_TEST_N_THREADS; t++)
        if (!outputs_equal(&o[0], &o[t]))
            fail_msg("the sweep differs from the 1-thread run at %d threads",
                     am_test_threads[t]);
    oracle_check(&x, &o[0]); /* and right at this size too */
    for (int t = 0; t < AM_TEST_N_THREADS; t++)
        outputs_free(&o[t]);
    instance_free(&x);
}

/* Every invalid input: AM_ERR_INVALID. */
static void test_bad_inputs(void **state)
{
    (void)state;
    fill_step60();
    double w[3] = {1, 1, 2};
    const uint32_t b[3] = {10, AM_TIME_INF, 20};
    double a[3] = {0.1, 0, 0.2};
    int64_t row[3] = {0, 2, 3};
    int32_t cell[3] = {0, 2, 1};
    uint32_t t[3] = {5, 6, 7};
    double supply[2] = {1, 1};
    uint32_t cut[2] = {10, 20};
    am_sel_instance in = {3, w, b, 2, row, cell, t, NULL};
    am_sweep_params prm = {2, cut, 100, a, step60, 60, supply, 1};
    outputs o;
    am_error err;
    outputs_alloc(&o, 2, 2);
    assert_int_equal(am_sweep_run(&in, &prm, &o.row, &err), AM_OK);

    assert_int_equal(am_sweep_run(NULL, &prm, &o.row, &err), AM_ERR_INVALID);
    assert_int_equal(am_sweep_run(&in, NULL, &o.row, &err), AM_ERR_INVALID);
    assert_int_equal(am_sweep_run(&in, &prm, NULL, &err), AM_ERR_INVALID);
#define EXPECT_INVALID(mutate, restore)                                        \
    do {                                                                       \
        mutate;                                                                \
        assert_int_equal(am_sweep_run(&in, &prm, &o.row, &err),                \
                         AM_ERR_INVALID);                                      \
        restore;                                                               \
        assert_int_equal(am_sweep_run(&in, &prm, &o.row, &err), AM_OK);        \
    } while (0)
    EXPECT_INVALID(in.n_cells = -1, in.n_cells = 3);
    EXPECT_INVALID(in.n_cand = -1, in.n_cand = 2);
    EXPECT_INVALID(in.weight = NULL, in.weight = w);
    EXPECT_INVALID(in.row = NULL, in.row = row);
    EXPECT_INVALID(row[0] = 1, row[0] = 0);
    EXPECT_INVALID(row[1] = 4, row[1] = 2);       /* decreasing */
    EXPECT_INVALID(cell[1] = 0, cell[1] = 2);     /* not ascending */
    EXPECT_INVALID(cell[2] = 3, cell[2] = 1);     /* out of range */
    EXPECT_INVALID(cell[2] = -1, cell[2] = 1);    /* out of range */
    EXPECT_INVALID(t[0] = AM_TIME_INF, t[0] = 5); /* infinite time */
    EXPECT_INVALID(in.cell = NULL, in.cell = cell);
    EXPECT_INVALID(w[1] = -1, w[1] = 1);
    EXPECT_INVALID(w[1] = NAN, w[1] = 1);
    EXPECT_INVALID(w[1] = INFINITY, w[1] = 1);
    EXPECT_INVALID(a[2] = -0.5, a[2] = 0.2);
    EXPECT_INVALID(a[2] = NAN, a[2] = 0.2);
    EXPECT_INVALID(supply[1] = -1, supply[1] = 1);
    EXPECT_INVALID(supply[1] = NAN, supply[1] = 1);
    EXPECT_INVALID(prm.dw = NULL, prm.dw = step60);
    EXPECT_INVALID(step60[7] = -1, step60[7] = 1);
    EXPECT_INVALID(step60[7] = NAN, step60[7] = 1);
    EXPECT_INVALID(cut[0] = 30, cut[0] = 10); /* descending */
    EXPECT_INVALID(prm.cutoff_ds = NULL, prm.cutoff_ds = cut);
    EXPECT_INVALID(prm.n_cutoffs = -1, prm.n_cutoffs = 2);
    EXPECT_INVALID(prm.penalty_ds = 0, prm.penalty_ds = 100);
    EXPECT_INVALID(prm.penalty_ds = AM_TIME_INF, prm.penalty_ds = 100);
    EXPECT_INVALID(prm.dw_limit_ds = AM_TIME_INF, prm.dw_limit_ds = 60);
#undef EXPECT_INVALID
    outputs_free(&o);
}

/* Fault-injection builds: every allocation of a run fails in turn; each
 * run returns AM_ERR_NOMEM (nothing leaked: ASan) until one succeeds with
 * the same bytes as an undisturbed run. */
static void test_alloc_failures(void **state)
{
    (void)state;
#ifdef AM_FAULT_INJECTION
    rng_state = 5;
    instance x;
    instance_make(&x, 0);
    outputs ref, o;
    am_error err;
    outputs_alloc(&ref, x.n_cand, x.nc);
    outputs_alloc(&o, x.n_cand, x.nc);
    x.prm.n_threads = 2;
    assert_int_equal(am_sweep_run(&x.in, &x.prm, &ref.row, &err), AM_OK);
    int failed = 0;
    for (size_t n = 1;; n++) {
        am_alloc_fail_at(n);
        const am_status rc = am_sweep_run(&x.in, &x.prm, &o.row, &err);
        am_alloc_fail_at(0);
        if (rc == AM_OK)
            break;
        assert_int_equal(rc, AM_ERR_NOMEM);
        failed++;
    }
    assert_true(failed >= 10); /* the baseline's and the workspaces' */
    assert_true(outputs_equal(&ref, &o));
    outputs_free(&ref);
    outputs_free(&o);
    instance_free(&x);
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
