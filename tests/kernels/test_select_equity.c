/*
 * test_select_equity.c: kernels/select_equity.h (equity site selection:
 * maxmin, bottom decile, variance of 2SFCA, sizes, budgets, a coverage
 * floor) against
 *  - hand-checked 3-cell instances for each model (the values worked out
 *    in the comments), a sized budget and a coverage floor;
 *  - an enumeration oracle on tiny random instances: every feasible
 *    assignment of (site, size) enumerated, the objective recomputed here
 *    from the 2SFCA definition (Luo & Wang 2003: R_c = S_c / D_c, A_i =
 *    A0_i + sum R_c dw[t_ic]) and the models' definitions; the optimum is
 *    never worse than the heuristic, the heuristic's reported objective is
 *    the recomputed one, and the share of instances where the heuristic
 *    is optimal is printed and must stay above a measured floor;
 *  - 1 vs 2 vs 3 threads: byte-identical results on a larger instance;
 *  - bad inputs: AM_ERR_INVALID with a message.
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

#include "thread_counts.h"

#include "common/units.h"
#include "kernels/select_equity.h"
#include "select_inst.h"
#include "test_util.h"

#define INF AM_TIME_INF
/* the share of the enumeration's instances where the heuristic must be
   optimal (measured, docs/selection.md "Equity") */
#define EQ_OPT_FLOOR 0.97

/* the selection instance (select_inst.h) and the equity models' parts */
typedef struct inst {
    sel_inst d;
    double *a0;
    double *cap; /* per site without sizes, NULL: 1 */
    int32_t K;   /* sizes, 0: none */
    double scap[4], scost[4];
    uint32_t lim;
    double *dw;
    am_seleq_instance in;
} inst;

static inst inst_new(int32_t nc, int32_t na, uint32_t lim)
{
    inst x;
    memset(&x, 0, sizeof x);
    x.d = sel_inst_new(nc, na);
    x.lim = lim;
    x.a0 = calloc((size_t)nc, sizeof *x.a0);
    x.dw = calloc((size_t)lim + 1, sizeof *x.dw);
    for (uint32_t t = 0; t <= lim; t++)
        x.dw[t] = 1.0; /* a step: 2SFCA's original dichotomous decay */
    return x;
}

static void inst_build(inst *x)
{
    sel_inst_build(&x->d);
    x->in = (am_seleq_instance){&x->d.in, x->a0, x->dw,   x->lim,
                                x->cap,   x->K,  x->scap, x->scost};
}

static void inst_free(inst *x)
{
    sel_inst_free(&x->d);
    free(x->a0);
    free(x->cap);
    free(x->dw);
}

static void set_t(inst *x, int32_t i, int32_t a, uint32_t t)
{
    sel_inst_set(&x->d, i, a, t);
}

/* ---- the oracle: written from the definitions, dense ------------------ */

typedef struct oval {
    double obj, at_min, cov, cost;
} oval;

typedef struct vwp {
    double v, w;
} vwp;

static int cmp_vwp(const void *a, const void *b)
{
    const vwp *p = a, *q = b;
    return (p->v > q->v) - (p->v < q->v);
}

/* size[a] = -1: not chosen */
static oval oracle(const inst *x, const am_seleq_params *prm,
                   const int32_t *size)
{
    double *A = malloc((size_t)x->d.nc * sizeof *A);
    vwp *v = malloc((size_t)x->d.nc * sizeof *v);
    oval r = {0, NAN, 0, 0};
    memcpy(A, x->a0, (size_t)x->d.nc * sizeof *A);
    for (int32_t a = 0; a < x->d.na; a++) {
        if (size[a] < 0)
            continue;
        const double S = x->K ? x->scap[size[a]] : x->cap ? x->cap[a] : 1.0;
        r.cost += x->K ? (x->d.cost ? x->d.cost[a] : 0) + x->scost[size[a]]
                       : (x->d.cost ? x->d.cost[a] : 1.0);
        double D = 0;
        for (int32_t i = 0; i < x->d.nc; i++) {
            uint32_t t = x->d.tm[(size_t)i * x->d.na + a];
            if (t <= x->lim)
                D += x->d.w[i] * x->dw[t];
        }
        if (D <= 0)
            continue; /* R_c undefined: nothing added */
        for (int32_t i = 0; i < x->d.nc; i++) {
            uint32_t t = x->d.tm[(size_t)i * x->d.na + a];
            if (t <= x->lim)
                A[i] += S / D * x->dw[t];
        }
    }
    double W = 0, mean = 0, m = INFINITY;
    int32_t n = 0;
    for (int32_t i = 0; i < x->d.nc; i++) {
        if (x->d.w[i] <= 0)
            continue;
        W += x->d.w[i];
        mean += x->d.w[i] * A[i];
        m = fmin(m, A[i]);
        v[n++] = (vwp){A[i], x->d.w[i]};
        int cov = x->d.base[i] <= prm->cover_ds;
        for (int32_t a = 0; a < x->d.na; a++)
            if (size[a] >= 0 &&
                x->d.tm[(size_t)i * x->d.na + a] <= prm->cover_ds)
                cov = 1;
        r.cov += cov ? x->d.w[i] : 0;
    }
    r.cov /= W;
    mean /= W;
    if (prm->model != AM_SELEQ_VARIANCE) { /* the tie rule */
        r.at_min = 0;
        for (int32_t j = 0; j < n; j++)
            if (v[j].v <= m + 1e-9 * fabs(m))
                r.at_min += v[j].w;
    }
    if (prm->model == AM_SELEQ_MAXMIN) {
        r.obj = m;
    } else if (prm->model == AM_SELEQ_BOTTOM_DECILE) {
        qsort(v, (size_t)n, sizeof *v, cmp_vwp);
        double B = 0.1 * W, cum = 0, s = 0;
        for (int32_t j = 0; j < n && cum < B; j++) {
            double take = fmin(v[j].w, B - cum);
            s += take * v[j].v;
            cum += take;
        }
        r.obj = s / B;
    } else {
        double s = 0;
        for (int32_t j = 0; j < n; j++)
            s += v[j].w * (v[j].v - mean) * (v[j].v - mean);
        r.obj = s / W;
    }
    free(A);
    free(v);
    return r;
}

/* a better than b (in the model's sense), with tolerances */
static int obetter(const am_seleq_params *prm, oval a, oval b, double W)
{
    double sa = prm->model == AM_SELEQ_VARIANCE ? -a.obj : a.obj;
    double sb = prm->model == AM_SELEQ_VARIANCE ? -b.obj : b.obj;
    double t = 1e-9 * fmax(fabs(sa), fabs(sb)) + 1e-15;
    if (sa > sb + t)
        return 1;
    if (sa < sb - t)
        return 0;
    return prm->model != AM_SELEQ_VARIANCE && a.at_min < b.at_min - 1e-9 * W;
}

static oval oracle_of_result(const inst *x, const am_seleq_params *prm,
                             const am_seleq_result *r)
{
    int32_t *size = malloc((size_t)x->d.na * sizeof *size);
    for (int32_t a = 0; a < x->d.na; a++)
        size[a] = -1;
    for (int32_t j = 0; j < r->n_chosen; j++) {
        assert_true(size[r->chosen[j]] < 0); /* each site once */
        size[r->chosen[j]] = x->K ? r->size[j] : 0;
    }
    oval v = oracle(x, prm, size);
    free(size);
    return v;
}

static am_seleq_result *solve_ok(const inst *x, const am_seleq_params *prm)
{
    am_seleq_result *r = NULL;
    am_error err;
    am_error_clear(&err);
    am_status rc = am_seleq_solve(&x->in, prm, &r, &err);
    if (rc != AM_OK)
        print_error("am_seleq_solve: %s\n", err.msg);
    assert_int_equal(rc, AM_OK);
    return r;
}

/* ---- hand-checked instances --------------------------------------------- */

/*
 * Three cells of one person each, step decay to 10 ds, capacity 1:
 *   c0 reaches cell 1 (D = 1: A1 += 1), c1 cells 1 and 2 (D = 2: each
 *   += 0.5), c2 cell 2 (A2 += 1). A0 = (0.5, 0, 0).
 */
static inst hand3(void)
{
    inst x = inst_new(3, 3, 10);
    for (int i = 0; i < 3; i++)
        x.d.w[i] = 1;
    x.a0[0] = 0.5;
    set_t(&x, 1, 0, 5);
    set_t(&x, 1, 1, 5);
    set_t(&x, 2, 1, 5);
    set_t(&x, 2, 2, 5);
    return x; /* inst_build by the caller: in points into x */
}

static void test_maxmin_hand(void **state)
{
    (void)state;
    inst x = hand3();
    inst_build(&x);
    am_seleq_params prm = {AM_SELEQ_MAXMIN, 1, 0, 0, 10, 1, 1, NULL, NULL};
    /* p = 1: c1 lifts both zero cells to 0.5 (min 0.5, all 3 at it); c0
       or c2 leave a 0 */
    am_seleq_result *r = solve_ok(&x, &prm);
    assert_int_equal(r->n_chosen, 1);
    assert_int_equal(r->chosen[0], 1);
    assert_int_equal(r->size[0], -1);
    assert_double_near(r->base_objective, 0.0, 0);
    assert_double_near(r->base_at_min, 2.0, 1e-12);
    assert_double_near(r->objective, 0.5, 1e-12);
    assert_double_near(r->at_min, 3.0, 1e-12);
    am_seleq_result_free(r);
    /* p = 2: the greedy takes c1 (min 0.5, 3 people at it), then c0 (min
       0.5, 2 at it: A = (.5, 1.5, .5)); the swap c1 -> c2 gives
       A = (.5, 1, 1): min 0.5 with 1 person at it, the optimum */
    prm.p = 2;
    r = solve_ok(&x, &prm);
    assert_int_equal(r->n_chosen, 2);
    assert_int_equal(r->n_steps, 3);
    assert_int_equal(r->steps[0].added, 1);
    assert_int_equal(r->steps[0].removed, -1);
    assert_double_near(r->steps[0].gain, 0.5, 1e-12);
    assert_double_near(r->steps[0].at_min, 3.0, 1e-12);
    assert_int_equal(r->steps[1].added, 0);
    assert_double_near(r->steps[1].gain, 0.0, 1e-12);
    assert_double_near(r->steps[1].at_min, 2.0, 1e-12);
    assert_int_equal(r->steps[2].added, 2);
    assert_int_equal(r->steps[2].removed, 1);
    assert_double_near(r->steps[2].at_min, 1.0, 1e-12);
    assert_double_near(r->steps[2].cost, 2.0, 0);
    /* the swap replaces c1 in its slot */
    assert_int_equal(r->chosen[0], 2);
    assert_int_equal(r->chosen[1], 0);
    assert_double_near(r->objective, 0.5, 1e-12);
    assert_double_near(r->at_min, 1.0, 1e-12);
    am_seleq_result_free(r);
    /* without local search the greedy's {c1, c0} stays */
    prm.local_search = 0;
    r = solve_ok(&x, &prm);
    assert_int_equal(r->n_steps, 2);
    assert_double_near(r->at_min, 2.0, 1e-12);
    am_seleq_result_free(r);
    inst_free(&x);
}

static void test_bottom_decile_hand(void **state)
{
    (void)state;
    inst x = hand3();
    inst_build(&x);
    x.d.w[0] = 10; /* W = 12, the bottom 10 % is 1.2 persons */
    inst_build(&x);
    am_seleq_params prm = {
        AM_SELEQ_BOTTOM_DECILE, 1, 0, 0, 10, 1, 1, NULL, NULL};
    /* baseline: cells 1 and 2 at 0 (2 persons): mean 0.
       c0: A = (.5, 1, 0): sorted 0 (1), .5 (10), 1 (1): the lowest 1.2 =
       1 x 0 + 0.2 x 0.5 = 0.1, mean 0.1 / 1.2 = 1/12 (c2 the same).
       c1: A = (.5, .5, .5): mean 0.5. */
    am_seleq_result *r = solve_ok(&x, &prm);
    assert_int_equal(r->n_chosen, 1);
    assert_int_equal(r->chosen[0], 1);
    assert_double_near(r->base_objective, 0.0, 1e-15);
    assert_double_near(r->objective, 0.5, 1e-12);
    assert_double_near(r->at_min, 12.0, 1e-12); /* everyone at 0.5 */
    /* the boundary cell counted for its part: with c0 forced (the only
       candidate) the mean is 1/12 */
    inst y = hand3();
    y.d.w[0] = 10;
    set_t(&y, 1, 1, INF);
    set_t(&y, 2, 1, INF);
    set_t(&y, 2, 2, INF);
    inst_build(&y);
    am_seleq_result *q = solve_ok(&y, &prm);
    assert_int_equal(q->n_chosen, 1);
    assert_int_equal(q->chosen[0], 0);
    assert_double_near(q->objective, 1.0 / 12.0, 1e-14);
    am_seleq_result_free(q);
    am_seleq_result_free(r);
    inst_free(&y);
    inst_free(&x);
}

static void test_variance_hand(void **state)
{
    (void)state;
    inst x = hand3();
    inst_build(&x);
    x.a0[0] = 1.0;
    inst_build(&x);
    /* A0 = (1, 0, 0): mean 1/3, variance (4/9 + 1/9 + 1/9) / 3 = 2/9.
       c0 or c2: (1, 1, 0): variance 2/9, no gain. c1: (1, .5, .5): mean
       2/3, variance (1/9 + 1/36 + 1/36) / 3 = 1/18. */
    am_seleq_params prm = {AM_SELEQ_VARIANCE, 2, 0, 0, 10, 1, 1, NULL, NULL};
    am_seleq_result *r = solve_ok(&x, &prm);
    assert_double_near(r->base_objective, 2.0 / 9.0, 1e-14);
    /* after c1, adding c0 or c2 raises the variance to 1/6: the greedy
       stops at one site (fewer than p), and no swap helps; the optimum
       {c0, c2} (A = (1, 1, 1), variance 0) needs two moves at once */
    assert_int_equal(r->n_chosen, 1);
    assert_int_equal(r->chosen[0], 1);
    assert_double_near(r->objective, 1.0 / 18.0, 1e-14);
    assert_double_near(r->steps[0].gain, 2.0 / 9.0 - 1.0 / 18.0, 1e-14);
    am_seleq_result_free(r);
    /* sizes {1 for cost 1, 2 for cost 3}, budget 3: c1 at size 2 gives
       (1, 1, 1), variance 0, cost 3. The unit greedy takes it at once;
       the cost-benefit greedy takes c1 at size 1 (gain 1/6 per cost 1),
       then resizes it (1/18 for 2 more): the same set; the unit run is
       kept on a tie. */
    x.K = 2;
    x.scap[0] = 1;
    x.scost[0] = 1;
    x.scap[1] = 2;
    x.scost[1] = 3;
    inst_build(&x);
    prm.p = 0;
    prm.budget = 3;
    r = solve_ok(&x, &prm);
    assert_int_equal(r->n_chosen, 1);
    assert_int_equal(r->chosen[0], 1);
    assert_int_equal(r->size[0], 1);
    assert_double_near(r->capacity[0], 2.0, 0);
    assert_double_near(r->cost, 3.0, 0);
    assert_double_near(r->objective, 0.0, 1e-15);
    assert_int_equal(r->steps[0].added_size, 1);
    am_seleq_result_free(r);
    /* budget 2: size 2 does not fit; c1 at size 1 (cost 1), then the
       resize to size 2 would cost 2 more: over budget, so 1/18. (The
       optimum is {c0, c2} at size 1, cost 2, variance 0: as above, two
       moves at once, which neither greedy nor a single swap makes.) */
    prm.budget = 2;
    r = solve_ok(&x, &prm);
    assert_int_equal(r->n_chosen, 1);
    assert_int_equal(r->size[0], 0);
    assert_double_near(r->objective, 1.0 / 18.0, 1e-14);
    am_seleq_result_free(r);
    inst_free(&x);
}

/* a coverage floor on the maxmin instance with T = 4: c0 covers cell 1
   (t = 3), c2 cell 2 (t = 3), c1 nothing (t = 5); cell 0 is covered at
   the baseline */
static void test_floor_hand(void **state)
{
    (void)state;
    inst x = hand3();
    inst_build(&x);
    x.d.base[0] = 2;
    set_t(&x, 1, 0, 3);
    set_t(&x, 2, 2, 3);
    inst_build(&x);
    am_seleq_params prm = {AM_SELEQ_MAXMIN, 1, 0, 0, 4, 1, 1, NULL, NULL};
    am_seleq_result *r = solve_ok(&x, &prm); /* no floor: c1 */
    assert_int_equal(r->chosen[0], 1);
    assert_double_near(r->coverage, 1.0 / 3.0, 1e-15);
    am_seleq_result_free(r);
    prm.coverage_floor = 0.6; /* needs one of c0, c2: c0 (lower index) */
    r = solve_ok(&x, &prm);
    assert_int_equal(r->n_chosen, 1);
    assert_int_equal(r->chosen[0], 0);
    assert_double_near(r->base_coverage, 1.0 / 3.0, 1e-15);
    assert_double_near(r->coverage, 2.0 / 3.0, 1e-15);
    assert_double_near(r->steps[0].coverage, 2.0 / 3.0, 1e-15);
    assert_double_near(r->objective, 0.0, 0);
    assert_double_near(r->at_min, 1.0, 1e-12);
    am_seleq_result_free(r);
    prm.coverage_floor = 1.0;
    prm.p = 2; /* c0 and c2: coverage 1, A = (.5, 1, 1) */
    r = solve_ok(&x, &prm);
    assert_int_equal(r->n_chosen, 2);
    assert_double_near(r->coverage, 1.0, 1e-15);
    assert_double_near(r->objective, 0.5, 1e-12);
    am_seleq_result_free(r);
    /* p = 1 cannot reach 1.0 though every candidate together does */
    prm.p = 1;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_seleq_solve(&x.in, &prm, &r, &err), AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not reached within the site count"));
    assert_null(r);
    /* T = 1: no candidate covers anyone */
    prm.cover_ds = 1;
    prm.p = 3;
    am_error_clear(&err);
    assert_int_equal(am_seleq_solve(&x.in, &prm, &r, &err), AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "infeasible: even every candidate"));
    inst_free(&x);
}

/* zero demand in a catchment: the site adds nothing (R_c undefined) */
static void test_zero_demand(void **state)
{
    (void)state;
    inst x = hand3();
    inst_build(&x);
    x.d.w[1] = 0; /* c0's only cell is empty */
    inst_build(&x);
    am_seleq_params prm = {AM_SELEQ_MAXMIN, 1, 0, 0, 10, 1, 1, NULL, NULL};
    int32_t s0 = 0;
    double obj, at, cov;
    am_error err;
    am_error_clear(&err);
    double A[3];
    assert_int_equal(
        am_seleq_evaluate(&x.in, &prm, &s0, NULL, 1, &obj, &at, &cov, A, &err),
        AM_OK);
    assert_double_near(A[1], 0.0, 0); /* nothing added */
    assert_double_near(obj, 0.0, 0);
    inst_free(&x);
}

/* ---- the enumeration oracle ------------------------------------------- */

static int rnd(int n)
{
    return (int)(rng_next() % (uint64_t)n);
}

static inst random_inst(int32_t nc, int32_t na, int K, int costs)
{
    inst x = inst_new(nc, na, 60);
    for (uint32_t t = 0; t <= 60; t++)
        x.dw[t] = exp(-(double)t / 30.0);
    for (int32_t i = 0; i < nc; i++) {
        x.d.w[i] = rnd(5) == 0 ? 0.0 : 1.0 + rnd(100);
        x.a0[i] = rnd(3) == 0 ? 0.0 : rng_unit() * 0.02;
        x.d.base[i] = rnd(3) == 0 ? INF : (uint32_t)rnd(80);
        for (int32_t a = 0; a < na; a++)
            if (rnd(10) < 4)
                set_t(&x, i, a, (uint32_t)rnd(80));
    }
    x.K = K;
    for (int k = 0; k < K; k++) {
        x.scap[k] = (k ? x.scap[k - 1] + 1.0 : 0.5) + rnd(3);
        x.scost[k] = 1.0 + k + rnd(3);
    }
    if (K == 0 && rnd(2)) {
        x.cap = malloc((size_t)na * sizeof *x.cap);
        for (int32_t a = 0; a < na; a++)
            x.cap[a] = 0.5 + rnd(4);
    }
    if (costs) {
        x.d.cost = malloc((size_t)na * sizeof *x.d.cost);
        for (int32_t a = 0; a < na; a++)
            x.d.cost[a] = (K ? 0.0 : 1.0) + rnd(3);
    }
    return x; /* inst_build by the caller: in points into x */
}

static void test_enumeration_oracle(void **state)
{
    (void)state;
    rng_state = 20261202;
    int n_inst = 0, n_opt = 0, n_opt_model[4] = {0}, n_model[4] = {0};
    for (int it = 0; it < 600; it++) {
        const int32_t nc = 8 + rnd(18), na = 3 + rnd(4);
        const int K = rnd(3) == 0 ? 0 : 2 + rnd(2) - 1;
        const int budget = rnd(2);
        inst x = random_inst(nc, na, K, budget);
        inst_build(&x);
        am_seleq_params prm = {0};
        prm.model = (am_seleq_model)(1 + it % 3);
        prm.cover_ds = 30;
        prm.local_search = 1;
        prm.n_threads = 1;
        if (budget)
            prm.budget = 2.0 + rnd(6);
        else
            prm.p = 1 + rnd(na < 3 ? na : 3);
        if (rnd(3) == 0)
            prm.coverage_floor = 0.3 + 0.5 * rng_unit();
        const int opts = x.K ? x.K + 1 : 2;
        int64_t total = 1;
        for (int32_t a = 0; a < na; a++)
            total *= opts;
        int32_t size[8];
        oval best = {0};
        int have = 0;
        double W = 0;
        for (int32_t i = 0; i < nc; i++)
            W += x.d.w[i];
        if (W <= 0) {
            inst_free(&x);
            continue;
        }
        for (int64_t code = 0; code < total; code++) {
            int64_t c = code;
            int32_t n = 0;
            for (int32_t a = 0; a < na; a++) {
                size[a] = (int32_t)(c % opts) - 1;
                c /= opts;
                n += size[a] >= 0;
            }
            oval v = oracle(&x, &prm, size);
            if (prm.p > 0 ? n > prm.p : v.cost > prm.budget * (1 + 1e-12))
                continue;
            if (prm.coverage_floor > 0 &&
                v.cov < prm.coverage_floor * (1 - 1e-12))
                continue;
            if (!have || obetter(&prm, v, best, W)) {
                best = v;
                have = 1;
            }
        }
        am_seleq_result *r = NULL;
        am_error err;
        am_error_clear(&err);
        am_status rc = am_seleq_solve(&x.in, &prm, &r, &err);
        if (rc == AM_ERR_INVALID && prm.p == 0 &&
            strstr(err.msg, "below every") != NULL) {
            assert_false(have && best.cost > 0); /* nothing fits */
            inst_free(&x);
            continue;
        }
        if (!have) { /* the floor cannot be met: the heuristic says so */
            assert_int_equal(rc, AM_ERR_INVALID);
            assert_non_null(strstr(err.msg, "coverage floor"));
            inst_free(&x);
            continue;
        }
        n_inst++;
        n_model[prm.model]++;
        if (rc != AM_OK) { /* the heuristic missed a reachable floor */
            if (strstr(err.msg, "not reached") == NULL)
                print_error("instance %d: %s\n", it, err.msg);
            assert_int_equal(rc, AM_ERR_INVALID);
            assert_non_null(strstr(err.msg, "not reached"));
            inst_free(&x);
            continue;
        }
        oval h = oracle_of_result(&x, &prm, r);
        /* the reported values are the recomputed ones */
        assert_double_near(r->objective, h.obj,
                           1e-9 * fmax(1e-12, fabs(h.obj)));
        assert_double_near(r->coverage, h.cov, 1e-12);
        assert_double_near(r->cost, h.cost, 1e-12);
        if (prm.model != AM_SELEQ_VARIANCE)
            assert_double_near(r->at_min, h.at_min, 1e-9 * W);
        /* feasible */
        if (prm.p > 0)
            assert_true(r->n_chosen <= prm.p);
        else
            assert_true(r->cost <= prm.budget * (1 + 1e-12));
        if (prm.coverage_floor > 0)
            assert_true(r->coverage >= prm.coverage_floor * (1 - 1e-12));
        /* the steps end where the result is */
        if (r->n_steps > 0)
            assert_double_near(r->steps[r->n_steps - 1].objective, r->objective,
                               0);
        /* the optimum is never worse than the heuristic */
        assert_false(obetter(&prm, h, best, W));
        if (!obetter(&prm, best, h, W)) {
            n_opt++;
            n_opt_model[prm.model]++;
        }
        am_seleq_result_free(r);
        inst_free(&x);
    }
    const double share = (double)n_opt / n_inst;
    printf("equity enumeration oracle: heuristic optimal on %d of %d "
           "(%.1f %%; maxmin %d/%d, bottom decile %d/%d, variance %d/%d)\n",
           n_opt, n_inst, 100.0 * share, n_opt_model[1], n_model[1],
           n_opt_model[2], n_model[2], n_opt_model[3], n_model[3]);
    assert_true(n_inst >= 400);
    assert_true(share >= EQ_OPT_FLOOR);
}

/* ---- threads ------------------------------------------------------------ */

static void test_threads(void **state)
{
    (void)state;
    rng_state = 77;
    for (int model = 1; model <= 3; model++)
        for (int variant = 0; variant < 2; variant++) {
            inst x = inst_new(3000, 120, 60);
            for (uint32_t t = 0; t <= 60; t++)
                x.dw[t] = exp(-(double)t / 30.0);
            for (int32_t i = 0; i < x.d.nc; i++) {
                x.d.w[i] = rnd(4) == 0 ? 0.0 : 1.0 + rnd(50);
                x.a0[i] = rnd(4) == 0 ? 0.0 : rng_unit() * 0.01;
                x.d.base[i] = rnd(2) ? INF : (uint32_t)rnd(90);
            }
            for (int32_t a = 0; a < x.d.na; a++) {
                int32_t c0 = rnd(x.d.nc - 400);
                for (int32_t i = c0; i < c0 + 400; i++)
                    if (rnd(3))
                        set_t(&x, i, a, (uint32_t)rnd(70));
            }
            x.K = variant ? 3 : 0;
            for (int k = 0; k < 3; k++) {
                x.scap[k] = 1.0 + 2.0 * k;
                x.scost[k] = 1.0 + k;
            }
            inst_build(&x);
            am_seleq_params prm = {(am_seleq_model)model,
                                   variant ? 0 : 4,
                                   variant ? 9.0 : 0.0,
                                   variant ? 0.2 : 0.0,
                                   30,
                                   1,
                                   1,
                                   NULL,
                                   NULL};
            am_seleq_result *r[AM_TEST_N_THREADS];
            for (int t = 0; t < AM_TEST_N_THREADS; t++) {
                prm.n_threads = am_test_threads[t];
                r[t] = solve_ok(&x, &prm);
            }
            for (int t = 1; t < AM_TEST_N_THREADS; t++) {
                assert_int_equal(r[t]->n_chosen, r[0]->n_chosen);
                assert_int_equal(r[t]->n_steps, r[0]->n_steps);
                assert_memory_equal(r[t]->chosen, r[0]->chosen,
                                    (size_t)r[0]->n_chosen * sizeof(int32_t));
                assert_memory_equal(r[t]->size, r[0]->size,
                                    (size_t)r[0]->n_chosen * sizeof(int32_t));
                if (r[0]->n_steps > 0)
                    assert_memory_equal(r[t]->steps, r[0]->steps,
                                        (size_t)r[0]->n_steps *
                                            sizeof(am_seleq_step));
                assert_memory_equal(&r[t]->objective, &r[0]->objective,
                                    sizeof(double));
                assert_int_equal(r[t]->evaluations, r[0]->evaluations);
            }
            if (r[0]->n_chosen == 0)
                print_error("model %d variant %d: nothing chosen (base %g)\n",
                            model, variant, r[0]->base_objective);
            assert_true(r[0]->n_chosen > 0);
            for (int t = 0; t < AM_TEST_N_THREADS; t++)
                am_seleq_result_free(r[t]);
            inst_free(&x);
        }
}

/* ---- bad inputs ---------------------------------------------------------- */

/* ---- cancellation ---------------------------------------------------------
 */

/* The progress hook: allows *user calls, then asks to stop. */
static int stop_after(double fraction, const char *message, void *user)
{
    (void)fraction;
    (void)message;
    int *left = user;
    return (*left)-- > 0;
}

/* Ctrl-C in a run reaches the solve through prm.progress: a stop asked at
 * the first, second or third move search ends it with AM_ERR_CANCELLED and
 * no result; a hook that never asks changes nothing. */
static void test_cancel(void **state)
{
    (void)state;
    inst x = hand3();
    inst_build(&x);
    for (int model = AM_SELEQ_MAXMIN; model <= AM_SELEQ_VARIANCE; model++) {
        am_seleq_params prm = {
            (am_seleq_model)model, 2, 0, 0, 10, 1, 1, NULL, NULL};
        am_seleq_result *plain = solve_ok(&x, &prm);
        for (int allow = 0; allow < 3; allow++) {
            int left = allow;
            prm.progress = stop_after;
            prm.progress_user = &left;
            am_seleq_result *r = NULL;
            am_error err;
            am_error_clear(&err);
            assert_int_equal(am_seleq_solve(&x.in, &prm, &r, &err),
                             AM_ERR_CANCELLED);
            assert_null(r);
            assert_non_null(strstr(err.msg, "cancelled"));
        }
        int left = 1000000;
        prm.progress_user = &left;
        am_seleq_result *r = solve_ok(&x, &prm);
        assert_int_equal(r->n_chosen, plain->n_chosen);
        assert_memory_equal(r->chosen, plain->chosen,
                            (size_t)r->n_chosen * sizeof *r->chosen);
        assert_true(r->objective == plain->objective);
        am_seleq_result_free(r);
        am_seleq_result_free(plain);
    }
    inst_free(&x);
}

static void expect_invalid(const inst *x, const am_seleq_params *prm,
                           const char *what)
{
    am_seleq_result *r = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_seleq_solve(&x->in, prm, &r, &err), AM_ERR_INVALID);
    assert_null(r);
    if (strstr(err.msg, what) == NULL) {
        print_error("message '%s' lacks '%s'\n", err.msg, what);
        fail();
    }
}

static void test_bad_inputs(void **state)
{
    (void)state;
    inst x = hand3();
    inst_build(&x);
    am_seleq_params prm = {AM_SELEQ_MAXMIN, 1, 0, 0, 10, 1, 1, NULL, NULL};
    /* sizes: negative, zero, not finite, duplicate, negative cost */
    x.K = 2;
    x.scap[0] = -1;
    x.scap[1] = 2;
    x.scost[0] = x.scost[1] = 1;
    inst_build(&x);
    expect_invalid(&x, &prm, "size 0 has capacity -1");
    x.scap[0] = 0;
    expect_invalid(&x, &prm, "size 0 has capacity 0");
    x.scap[0] = NAN;
    expect_invalid(&x, &prm, "size 0 has capacity");
    x.scap[0] = 2;
    expect_invalid(&x, &prm, "sizes 0 and 1 both have capacity 2");
    x.scap[0] = 1;
    x.scost[1] = -3;
    expect_invalid(&x, &prm, "size 1 has cost -3");
    x.scost[1] = 1;
    x.K = -1;
    inst_build(&x);
    expect_invalid(&x, &prm, "negative sizes");
    x.K = 0;
    inst_build(&x);
    /* floor out of [0, 1] (0 is none) */
    prm.coverage_floor = -0.1;
    expect_invalid(&x, &prm, "outside (0, 1]");
    prm.coverage_floor = 1.5;
    expect_invalid(&x, &prm, "outside (0, 1]");
    prm.coverage_floor = NAN;
    expect_invalid(&x, &prm, "outside (0, 1]");
    prm.coverage_floor = 0;
    /* p, budget */
    prm.p = 4;
    expect_invalid(&x, &prm, "p = 4 sites asked for among 3");
    prm.p = 0;
    prm.budget = 0;
    expect_invalid(&x, &prm, "neither a site count");
    prm.budget = 0.5; /* each site costs 1 */
    expect_invalid(&x, &prm, "below every option's cost");
    prm.budget = 2;
    x.K = 1; /* a size with cost 0 and no site costs: a free option */
    x.scap[0] = 1;
    x.scost[0] = 0;
    inst_build(&x);
    expect_invalid(&x, &prm, "costs 0");
    x.K = 0;
    inst_build(&x);
    prm.p = 1;
    /* model */
    prm.model = (am_seleq_model)9;
    expect_invalid(&x, &prm, "unknown model 9");
    prm.model = AM_SELEQ_VARIANCE;
    /* values */
    x.a0[2] = -1;
    expect_invalid(&x, &prm, "cell 2 has baseline accessibility -1");
    x.a0[2] = 0;
    x.d.w[1] = NAN;
    expect_invalid(&x, &prm, "cell 1 has weight");
    x.d.w[1] = 1;
    x.dw[3] = -1;
    expect_invalid(&x, &prm, "decay weight -1");
    x.dw[3] = 1;
    x.d.cell[1] = 2; /* c1's row (cells 1, 2) becomes (2, 2) */
    expect_invalid(&x, &prm, "candidate 1's row");
    inst_build(&x);
    for (int i = 0; i < 3; i++)
        x.d.w[i] = 0;
    expect_invalid(&x, &prm, "no populated cell");
    inst_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maxmin_hand),
        cmocka_unit_test(test_bottom_decile_hand),
        cmocka_unit_test(test_variance_hand),
        cmocka_unit_test(test_floor_hand),
        cmocka_unit_test(test_zero_demand),
        cmocka_unit_test(test_enumeration_oracle),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
