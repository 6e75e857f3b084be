/*
 * test_select.c: kernels/select.h (site selection) against hand-checked
 * instances, a brute-force enumeration oracle and GLPK.
 *  - hand cases per model: MCLP where the greedy is not optimal and one
 *    swap repairs it (every step checked), p-median with and without a
 *    penalty below the far times, partial set covering (greedy, then a
 *    redundant site dropped; with costs), a budget where the cost-benefit
 *    greedy beats the unit-cost one (Khuller, Moss & Naor 1999);
 *  - hundreds of tiny random instances: every feasible subset enumerated
 *    with a dense objective written here; the heuristic with local search
 *    must reach >= 99.5 % of the optimal gain over the baseline (the
 *    fraction is printed), the a posteriori bound must hold, the steps
 *    must add up, and the exact solver (GLPK) must equal the enumeration;
 *  - medium random instances: GLPK's optimum against the heuristic;
 *  - 1, 2, 3 and 8 threads (thread_counts.h): byte-identical chosen
 *    sites and steps;
 *  - bad inputs: AM_ERR_INVALID with a message.
 * Built twice: test_select_nocache compiles select.c with the swap cache
 * off (AM_SEL_CACHE_MAX = 0), the path used when it would not fit.
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
#include "kernels/select.h"
#include "select_inst.h"

#define INF AM_TIME_INF

/* The objective of a set, from the dense matrix (independent of
 * select.c): covered population (MCLP, set covering) or the weighted
 * time sum with penalty (p-median). */
static double dense_obj(const sel_inst *x, const am_sel_params *prm,
                        const int32_t *s, int n)
{
    double v = 0.0;
    for (int32_t i = 0; i < x->nc; i++) {
        uint32_t t = x->base[i];
        for (int k = 0; k < n; k++)
            if (x->tm[(size_t)i * x->na + s[k]] < t)
                t = x->tm[(size_t)i * x->na + s[k]];
        if (prm->model == AM_SEL_PMEDIAN)
            v += x->w[i] * (double)(t < prm->penalty_ds ? t : prm->penalty_ds);
        else
            v += t <= prm->cover_ds ? x->w[i] : 0.0;
    }
    return v;
}

static double gain_of(const am_sel_params *prm, double base, double obj)
{
    return prm->model == AM_SEL_PMEDIAN ? base - obj : obj - base;
}

static double cost_of(const sel_inst *x, const int32_t *s, int n)
{
    double c = 0.0;
    for (int k = 0; k < n; k++)
        c += x->cost ? x->cost[s[k]] : 1.0;
    return c;
}

static double total_w(const sel_inst *x)
{
    double s = 0.0;
    for (int32_t i = 0; i < x->nc; i++)
        s += x->w[i];
    return s;
}

/* Enumeration: the best gain (MCLP, p-median) or the least cost reaching
 * the target (set covering; INFINITY when none does). */
static double enumerate(const sel_inst *x, const am_sel_params *prm)
{
    double base = dense_obj(x, prm, NULL, 0), best = -INFINITY;
    double W = total_w(x);
    int32_t s[32];
    for (uint32_t mask = 0; mask < (1u << x->na); mask++) {
        int n = 0;
        for (int32_t a = 0; a < x->na; a++)
            if (mask >> a & 1u)
                s[n++] = a;
        double c = cost_of(x, s, n);
        if (prm->model == AM_SEL_SETCOVER) {
            if (-c > best &&
                dense_obj(x, prm, s, n) >= prm->target_share * W - 1e-9 * W)
                best = -c;
            continue;
        }
        if (prm->p > 0 ? n > prm->p : c > prm->budget)
            continue;
        double g = gain_of(prm, base, dense_obj(x, prm, s, n));
        if (g > best)
            best = g;
    }
    return prm->model == AM_SEL_SETCOVER ? -best : best;
}

static int close_to(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* The result is self-consistent: objective of its set, steps adding up. */
static void check_result(const sel_inst *x, const am_sel_params *prm,
                         const am_sel_result *r)
{
    assert_true(
        close_to(r->objective, dense_obj(x, prm, r->chosen, r->n_chosen)));
    assert_true(close_to(r->base_objective, dense_obj(x, prm, NULL, 0)));
    assert_true(close_to(
        r->objective, am_sel_objective(&x->in, prm, r->chosen, r->n_chosen)));
    double obj = r->base_objective;
    for (int32_t k = 0; k < r->n_steps; k++) {
        double d =
            prm->model == AM_SEL_PMEDIAN ? -r->steps[k].gain : r->steps[k].gain;
        obj += d;
        assert_true(close_to(obj, r->steps[k].objective));
    }
    if (r->n_steps > 0)
        assert_true(close_to(r->steps[r->n_steps - 1].objective, r->objective));
    assert_true(close_to(cost_of(x, r->chosen, r->n_chosen),
                         r->n_steps ? r->steps[r->n_steps - 1].cost : 0.0));
    for (int32_t k = 0; k < r->n_chosen; k++)
        for (int32_t q = k + 1; q < r->n_chosen; q++)
            assert_int_not_equal(r->chosen[k], r->chosen[q]);
}

static am_sel_result *solve(const sel_inst *x, const am_sel_params *prm)
{
    am_sel_result *r = NULL;
    am_error err = {0};
    assert_int_equal(am_sel_solve(&x->in, prm, &r, &err), AM_OK);
    check_result(x, prm, r);
    return r;
}

/* ---- hand cases ------------------------------------------------------ */

/* Six cells (weights 10 x 4, 15 x 2), nothing covered at the baseline;
 * c0 = {0,1,2,3}, c1 = {0,1,4}, c2 = {2,3,5}, all at 5 ds, T = 10. The
 * greedy takes c0 (40) then c1 (15, tie with c2 to the lower index): 55;
 * the optimum c1 + c2 covers all 70, one swap (c2 for c0) away. */
static sel_inst hand_cover(void)
{
    sel_inst x = sel_inst_new(6, 3);
    const double w[6] = {10, 10, 10, 10, 15, 15};
    const int sets[3][4] = {{0, 1, 2, 3}, {0, 1, 4, -1}, {2, 3, 5, -1}};
    memcpy(x.w, w, sizeof w);
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < 4 && sets[a][k] >= 0; k++)
            x.tm[(size_t)sets[a][k] * 3 + a] = 5;
    sel_inst_build(&x);
    return x;
}

static void test_mclp_hand(void **state)
{
    (void)state;
    sel_inst x = hand_cover();
    am_sel_params prm = {.model = AM_SEL_MCLP,
                         .cover_ds = 10,
                         .p = 2,
                         .local_search = 0,
                         .n_threads = 1};
    am_sel_result *r = solve(&x, &prm);
    assert_int_equal(r->n_chosen, 2);
    assert_int_equal(r->chosen[0], 0);
    assert_int_equal(r->chosen[1], 1);
    assert_true(r->objective == 55.0 && r->base_objective == 0.0);
    /* bound: 55 + the best two marginal gains at {c0, c1} (c2: 15) */
    assert_true(r->bound == 70.0);
    am_sel_result_free(r);

    prm.local_search = 1;
    r = solve(&x, &prm);
    assert_int_equal(r->n_chosen, 2);
    assert_int_equal(r->chosen[0], 2); /* swapped in place of c0 */
    assert_int_equal(r->chosen[1], 1);
    assert_true(r->objective == 70.0);
    assert_int_equal(r->n_steps, 3);
    const am_sel_step want[3] = {
        {0, -1, 40, 40, 1}, {1, -1, 15, 55, 2}, {2, 0, 15, 70, 2}};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(r->steps[k].added, want[k].added);
        assert_int_equal(r->steps[k].removed, want[k].removed);
        assert_true(r->steps[k].gain == want[k].gain);
        assert_true(r->steps[k].objective == want[k].objective);
        assert_true(r->steps[k].cost == want[k].cost);
    }
    am_sel_result_free(r);

    /* a baseline covering cell 4: c1's gain falls to 20, c2 then wins
     * with c0: {c0, c2} = 40 + 15 (cell 5) + 15 (cell 4 base) = 70 */
    x.base[4] = 7;
    prm.local_search = 0;
    r = solve(&x, &prm);
    assert_true(r->base_objective == 15.0);
    assert_int_equal(r->chosen[0], 0);
    assert_int_equal(r->chosen[1], 2);
    assert_true(r->objective == 70.0);
    am_sel_result_free(r);
    sel_inst_free(&x);
}

/* Five cells on a line at 0, 1, 2, 10, 11 (weight 1); candidates at 1,
 * 10 and 5; times = distance; nothing at the baseline. */
static void test_pmedian_hand(void **state)
{
    (void)state;
    sel_inst x = sel_inst_new(5, 3);
    const int pos[5] = {0, 1, 2, 10, 11}, cpos[3] = {1, 10, 5};
    for (int i = 0; i < 5; i++) {
        x.w[i] = 1;
        for (int a = 0; a < 3; a++)
            x.tm[i * 3 + a] = (uint32_t)abs(pos[i] - cpos[a]);
    }
    sel_inst_build(&x);
    /* P = 100: c0 costs 21, c1 28, c2 23 */
    am_sel_params prm = {.model = AM_SEL_PMEDIAN,
                         .penalty_ds = 100,
                         .p = 1,
                         .local_search = 1,
                         .n_threads = 2};
    am_sel_result *r = solve(&x, &prm);
    assert_true(r->base_objective == 500.0);
    assert_int_equal(r->n_chosen, 1);
    assert_int_equal(r->chosen[0], 0);
    assert_true(r->objective == 21.0);
    am_sel_result_free(r);
    /* P = 8: the far times are charged 8: c0 18, c2 23, c1 25; with p =
     * 2, c1 saves 8 + 7 more, c2 only 3 + 2: {c0, c1} = 1 + 0 + 1 + 0 + 1 */
    prm.penalty_ds = 8;
    r = solve(&x, &prm);
    assert_true(r->base_objective == 40.0);
    assert_int_equal(r->chosen[0], 0);
    assert_true(r->objective == 18.0);
    am_sel_result_free(r);
    prm.p = 2;
    r = solve(&x, &prm);
    assert_int_equal(r->chosen[0], 0);
    assert_int_equal(r->chosen[1], 1);
    assert_true(r->objective == 3.0);
    assert_true(r->steps[1].gain == 15.0);
    am_sel_result_free(r);
    sel_inst_free(&x);
}

static void test_setcover_hand(void **state)
{
    (void)state;
    sel_inst x = hand_cover();
    am_sel_params prm = {.model = AM_SEL_SETCOVER,
                         .cover_ds = 10,
                         .target_share = 1.0,
                         .local_search = 0,
                         .n_threads = 1};
    /* the greedy needs all three sites */
    am_sel_result *r = solve(&x, &prm);
    assert_int_equal(r->n_chosen, 3);
    assert_int_equal(r->reached_target, 1);
    am_sel_result_free(r);
    /* with the local search, c0 is dropped: c1 + c2 cover everyone */
    prm.local_search = 1;
    r = solve(&x, &prm);
    assert_int_equal(r->n_chosen, 2);
    assert_int_equal(r->chosen[0], 1);
    assert_int_equal(r->chosen[1], 2);
    assert_int_equal(r->n_steps, 4);
    assert_int_equal(r->steps[3].added, -1);
    assert_int_equal(r->steps[3].removed, 0);
    assert_true(r->steps[3].gain == 0.0 && r->objective == 70.0);
    am_sel_result_free(r);
    /* half the population: c0 alone (40 of 70) */
    prm.target_share = 0.5;
    r = solve(&x, &prm);
    assert_int_equal(r->n_chosen, 1);
    assert_int_equal(r->chosen[0], 0);
    am_sel_result_free(r);
    /* costs: c0 10, c1 and c2 1 each: by gain per cost, c1 then c2 */
    x.cost = malloc(3 * sizeof *x.cost);
    x.cost[0] = 10;
    x.cost[1] = x.cost[2] = 1;
    x.in.cost = x.cost;
    prm.target_share = 1.0;
    r = solve(&x, &prm);
    assert_int_equal(r->n_chosen, 2);
    assert_int_equal(r->chosen[0], 1);
    assert_int_equal(r->chosen[1], 2);
    assert_true(r->steps[r->n_steps - 1].cost == 2.0);
    am_sel_result_free(r);
    /* unreachable: a cell nobody reaches */
    sel_inst y = sel_inst_new(3, 1);
    y.w[0] = y.w[1] = y.w[2] = 1;
    y.tm[0] = 1;
    sel_inst_build(&y);
    r = solve(&y, &prm);
    assert_int_equal(r->reached_target, 0);
    assert_int_equal(r->n_chosen, 1);
    am_sel_result_free(r);
    sel_inst_free(&y);
    /* no candidates at all: nothing chosen, the exact answer the same */
    sel_inst z = sel_inst_new(2, 0);
    z.w[0] = z.w[1] = 1;
    z.base[0] = 3;
    sel_inst_build(&z);
    prm.target_share = 0.5;
    r = solve(&z, &prm);
    assert_int_equal(r->n_chosen, 0);
    assert_int_equal(r->reached_target, 1);
    assert_true(r->objective == 1.0);
    am_sel_result_free(r);
    int proven = 0;
    am_error err = {0};
    assert_int_equal(
        am_sel_solve_exact(&z.in, &prm, 100, 10, &r, &proven, NULL, &err),
        AM_OK);
    assert_int_equal(proven, 1);
    assert_int_equal(r->n_chosen, 0);
    am_sel_result_free(r);
    sel_inst_free(&z);
    sel_inst_free(&x);
}

/* Budget 10: c0 gains 10 for 1, c1 9 for 1, c2 12 for 10. The unit-cost
 * greedy takes c2 (12, nothing else fits); by gain per cost c0 + c1 (19),
 * which is kept. */
static void test_budget_hand(void **state)
{
    (void)state;
    sel_inst x = sel_inst_new(3, 3);
    x.w[0] = 10;
    x.w[1] = 9;
    x.w[2] = 12;
    for (int a = 0; a < 3; a++)
        x.tm[a * 3 + a] = 1;
    x.cost = malloc(3 * sizeof *x.cost);
    x.cost[0] = x.cost[1] = 1;
    x.cost[2] = 10;
    sel_inst_build(&x);
    am_sel_params prm = {.model = AM_SEL_MCLP,
                         .cover_ds = 5,
                         .p = 0,
                         .budget = 10,
                         .local_search = 1,
                         .n_threads = 1};
    am_sel_result *r = solve(&x, &prm);
    assert_int_equal(r->n_chosen, 2);
    assert_int_equal(r->chosen[0], 0);
    assert_int_equal(r->chosen[1], 1);
    assert_true(r->objective == 19.0);
    /* the a posteriori bound at {c0, c1}: 19 + the best gains at S that
     * fit the whole budget (c2: 12 for 10) */
    assert_true(close_to(r->bound, 19.0 + 12.0));
    am_sel_result_free(r);
    int proven = 0;
    am_error err = {0};
    assert_int_equal(
        am_sel_solve_exact(&x.in, &prm, 1000, 10, &r, &proven, NULL, &err),
        AM_OK);
    assert_int_equal(proven, 1);
    assert_true(r->objective == 19.0);
    am_sel_result_free(r);
    sel_inst_free(&x);
}

/* ---- random instances ----------------------------------------------- */

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}
static double rndu(void)
{
    return (double)rnd() / 2147483648.0;
}

/* Cells and candidates at random points in the unit square (cells in
 * clusters), times 100 x the distance plus up to 4 ds, pairs beyond
 * reach omitted; n_exist existing facilities give the baseline. */
static sel_inst random_inst(uint64_t seed, int32_t nc, int32_t na, int n_exist,
                            uint32_t reach, int costs)
{
    rng_state = seed * 2654435761ULL + 1;
    sel_inst x = sel_inst_new(nc, na);
    double *cx = malloc((size_t)nc * sizeof *cx),
           *cy = malloc((size_t)nc * sizeof *cy);
    double hx[4], hy[4];
    for (int k = 0; k < 4; k++) {
        hx[k] = rndu();
        hy[k] = rndu();
    }
    for (int32_t i = 0; i < nc; i++) {
        int k = (int)(rnd() % 4);
        cx[i] = fmin(1.0, fmax(0.0, hx[k] + 0.25 * (rndu() - 0.5)));
        cy[i] = fmin(1.0, fmax(0.0, hy[k] + 0.25 * (rndu() - 0.5)));
        x.w[i] = rnd() % 7 == 0 ? 0.0 : (double)(1 + rnd() % 100);
    }
    for (int e = 0; e < n_exist; e++) {
        double ex = rndu(), ey = rndu();
        for (int32_t i = 0; i < nc; i++) {
            uint32_t t =
                (uint32_t)(100.0 * hypot(cx[i] - ex, cy[i] - ey)) + rnd() % 5;
            if (t <= reach && t < x.base[i])
                x.base[i] = t;
        }
    }
    for (int32_t a = 0; a < na; a++) {
        double ax = rndu(), ay = rndu();
        for (int32_t i = 0; i < nc; i++) {
            uint32_t t =
                (uint32_t)(100.0 * hypot(cx[i] - ax, cy[i] - ay)) + rnd() % 5;
            if (t <= reach)
                x.tm[(size_t)i * na + a] = t;
        }
    }
    if (costs) {
        x.cost = malloc((size_t)na * sizeof *x.cost);
        for (int32_t a = 0; a < na; a++)
            x.cost[a] = 1.0 + (double)(rnd() % 40) / 10.0;
    }
    free(cx);
    free(cy);
    sel_inst_build(&x);
    return x;
}

static void test_enumeration_oracle(void **state)
{
    (void)state;
    int n = 0, n_opt = 0;
    double sum_frac = 0.0, min_frac = 1.0, sum_greedy = 0.0;
    int n_sc = 0, sc_opt = 0;
    for (uint64_t seed = 1; seed <= 400; seed++) {
        int model = (int)(seed % 3) + 1;
        int costs = seed % 4 == 0;
        int32_t na = 6 + (int32_t)(seed % 7); /* 6..12 */
        sel_inst x = random_inst(seed, 15 + (int32_t)(seed % 31), na,
                                 (int)(seed % 3), 45, costs);
        am_sel_params prm = {.model = (am_sel_model)model,
                             .cover_ds = 20,
                             .penalty_ds = 40,
                             .local_search = 1,
                             .n_threads = 1 + (int)(seed % 3)};
        if (costs && model != AM_SEL_SETCOVER) {
            prm.p = 0;
            double lo = x.cost[0];
            for (int32_t a = 1; a < na; a++)
                lo = fmin(lo, x.cost[a]);
            prm.budget = lo + (double)(seed % 5);
        } else {
            prm.p = 1 + (int32_t)(seed % 4);
        }
        prm.target_share = 0.3 + 0.1 * (double)(seed % 7);
        double opt = enumerate(&x, &prm);
        am_sel_result *r = solve(&x, &prm);
        am_sel_result *ex = NULL;
        int proven = 0;
        am_error err = {0};
        assert_int_equal(am_sel_solve_exact(&x.in, &prm, 1000000, 60, &ex,
                                            &proven, NULL, &err),
                         AM_OK);
        assert_int_equal(proven, 1);
        check_result(&x, &prm, ex);
        if (model == AM_SEL_SETCOVER) {
            n_sc += !isinf(opt);
            if (isinf(opt)) {
                assert_int_equal(r->reached_target, 0);
                assert_int_equal(ex->reached_target, 0);
            } else {
                double c = cost_of(&x, r->chosen, r->n_chosen);
                assert_int_equal(r->reached_target, 1);
                assert_int_equal(ex->reached_target, 1);
                assert_true(c >= opt - 1e-9);
                assert_true(
                    close_to(cost_of(&x, ex->chosen, ex->n_chosen), opt));
                sc_opt += close_to(c, opt);
            }
        } else {
            double g = gain_of(&prm, r->base_objective, r->objective);
            double ge = gain_of(&prm, ex->base_objective, ex->objective);
            assert_true(close_to(ge, opt));
            assert_true(g <= opt + 1e-9 * fmax(1.0, opt));
            assert_true(r->bound >= opt - 1e-9 * fmax(1.0, opt));
            double frac = opt > 0 ? g / opt : 1.0;
            am_sel_params pg = prm;
            pg.local_search = 0;
            am_sel_result *rg = solve(&x, &pg);
            double gg = gain_of(&prm, rg->base_objective, rg->objective);
            sum_greedy += opt > 0 ? gg / opt : 1.0;
            assert_true(g >= gg - 1e-9 * fmax(1.0, gg));
            am_sel_result_free(rg);
            n++;
            n_opt += close_to(g, opt);
            sum_frac += frac;
            if (frac < min_frac)
                min_frac = frac;
        }
        am_sel_result_free(r);
        am_sel_result_free(ex);
        sel_inst_free(&x);
    }
    printf("enumeration oracle, MCLP + p-median, %d instances: greedy + swap "
           "reaches %.4f %% of the optimal gain on average (greedy alone "
           "%.4f %%), worst %.4f %%, optimal on %d; set covering: least "
           "cost on %d of the %d with a reachable target\n",
           n, 100.0 * sum_frac / n, 100.0 * sum_greedy / n, 100.0 * min_frac,
           n_opt, sc_opt, n_sc);
    assert_true(sum_frac / n >= 0.995);
}

static void test_glpk_medium(void **state)
{
    (void)state;
    double sum = 0.0, worst = 1.0;
    int n = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        int model = seed % 2 ? AM_SEL_MCLP : AM_SEL_PMEDIAN;
        sel_inst x = random_inst(1000 + seed, 600, 60, 2, 25, 0);
        am_sel_params prm = {.model = (am_sel_model)model,
                             .cover_ds = 15,
                             .penalty_ds = 30,
                             .p = 3 + (int32_t)(seed % 5),
                             .local_search = 1,
                             .n_threads = 2};
        am_sel_result *r = solve(&x, &prm), *ex = NULL;
        int proven = 0;
        am_error err = {0};
        assert_int_equal(am_sel_solve_exact(&x.in, &prm, 2000000, 60, &ex,
                                            &proven, NULL, &err),
                         AM_OK);
        check_result(&x, &prm, ex);
        double g = gain_of(&prm, r->base_objective, r->objective);
        double ge = gain_of(&prm, ex->base_objective, ex->objective);
        /* the exact answer starts from the heuristic's: never worse */
        assert_true(ge >= g - 1e-9 * fmax(1.0, g));
        if (proven)
            assert_true(r->bound >= ge - 1e-9 * fmax(1.0, ge));
        double frac = ge > 0 ? g / ge : 1.0;
        sum += frac;
        worst = fmin(worst, frac);
        if (getenv("AM_SEL_VERBOSE"))
            printf("  seed %d model %d p %d: heuristic %.10g, GLPK %.10g "
                   "(%s), bound %.10g\n",
                   (int)seed, model, (int)prm.p, g, ge,
                   proven ? "proven" : "not proven", r->bound);
        n++;
        am_sel_result_free(r);
        am_sel_result_free(ex);
        sel_inst_free(&x);
    }
    printf("GLPK, %d medium instances (600 cells, 60 candidates): the "
           "heuristic reaches %.4f %% of GLPK's gain on average, worst "
           "%.4f %%\n",
           n, 100.0 * sum / n, 100.0 * worst);
    assert_true(sum / n >= 0.995);
}

static void test_threads(void **state)
{
    (void)state;
    for (int model = AM_SEL_MCLP; model <= AM_SEL_SETCOVER; model++) {
        for (int costs = 0; costs <= 1; costs++) {
            sel_inst x =
                random_inst(77 + (uint64_t)model, 4000, 300, 3, 30, costs);
            am_sel_params prm = {.model = (am_sel_model)model,
                                 .cover_ds = 12,
                                 .penalty_ds = 35,
                                 .p = costs ? 0 : 12,
                                 .budget = 25,
                                 .target_share = 0.9,
                                 .local_search = 1};
            am_sel_result *r[AM_TEST_N_THREADS];
            for (int t = 0; t < AM_TEST_N_THREADS; t++) {
                prm.n_threads = am_test_threads[t];
                r[t] = solve(&x, &prm);
            }
            assert_true(r[0]->n_chosen > 0);
            for (int t = 1; t < AM_TEST_N_THREADS; t++) {
                const int nt = am_test_threads[t];
                assert_int_equal(r[t]->n_chosen, r[0]->n_chosen);
                assert_int_equal(r[t]->n_steps, r[0]->n_steps);
                assert_same_at_threads(r[t]->chosen, r[0]->chosen,
                                       (size_t)r[0]->n_chosen * sizeof(int32_t),
                                       nt);
                assert_same_at_threads(
                    r[t]->steps, r[0]->steps,
                    (size_t)r[0]->n_steps * sizeof(am_sel_step), nt);
                assert_same_at_threads(&r[t]->objective, &r[0]->objective,
                                       sizeof(double), nt);
                assert_same_at_threads(&r[t]->bound, &r[0]->bound,
                                       sizeof(double), nt);
                assert_true(r[t]->gain_evaluations == r[0]->gain_evaluations);
            }
            for (int t = 0; t < AM_TEST_N_THREADS; t++)
                am_sel_result_free(r[t]);
            sel_inst_free(&x);
        }
    }
}

/* ---- bad inputs ------------------------------------------------------ */

static void expect_invalid(const am_sel_instance *in, const am_sel_params *prm,
                           const char *needle)
{
    am_sel_result *r = NULL;
    am_error err = {0};
    assert_int_equal(am_sel_solve(in, prm, &r, &err), AM_ERR_INVALID);
    assert_null(r);
    if (!strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    sel_inst x = hand_cover();
    am_sel_params prm = {.model = AM_SEL_MCLP,
                         .cover_ds = 10,
                         .p = 4,
                         .local_search = 1,
                         .n_threads = 1};
    expect_invalid(&x.in, &prm, "p = 4 sites asked for among 3");
    prm.p = 0;
    prm.budget = 0;
    expect_invalid(&x.in, &prm, "budget");
    x.cost = malloc(3 * sizeof *x.cost);
    x.cost[0] = 5;
    x.cost[1] = 3;
    x.cost[2] = 4;
    x.in.cost = x.cost;
    prm.budget = 2;
    expect_invalid(&x.in, &prm, "below every candidate's cost");
    x.cost[1] = -1;
    prm.budget = 20;
    expect_invalid(&x.in, &prm, "candidate 1 has cost -1");
    x.in.cost = NULL;
    free(x.cost);
    x.cost = NULL;
    prm.model = AM_SEL_SETCOVER;
    prm.target_share = 0;
    expect_invalid(&x.in, &prm, "outside (0, 1]");
    prm.target_share = 1.5;
    expect_invalid(&x.in, &prm, "outside (0, 1]");
    prm.target_share = NAN;
    expect_invalid(&x.in, &prm, "outside (0, 1]");
    prm.model = AM_SEL_PMEDIAN;
    prm.p = 1;
    prm.penalty_ds = 0;
    expect_invalid(&x.in, &prm, "penalty");
    prm.penalty_ds = 50;
    prm.model = (am_sel_model)9;
    expect_invalid(&x.in, &prm, "unknown model");
    prm.model = AM_SEL_MCLP;
    x.w[2] = -1;
    expect_invalid(&x.in, &prm, "cell 2 has weight -1");
    x.w[2] = NAN;
    expect_invalid(&x.in, &prm, "cell 2 has weight");
    x.w[2] = 10;
    /* candidate 1's row {0, 1, 4} made unsorted */
    int32_t keep = x.cell[x.row[1]];
    x.cell[x.row[1]] = 4;
    expect_invalid(&x.in, &prm, "candidate 1's row is not strictly ascending");
    x.cell[x.row[1]] = keep;
    x.time[0] = INF;
    expect_invalid(&x.in, &prm, "candidate 0's row");
    x.time[0] = 5;
    x.cell[0] = 6; /* out of range */
    expect_invalid(&x.in, &prm, "candidate 0's row");
    x.cell[0] = 0;
    int64_t r1 = x.row[1];
    x.row[1] = 8; /* above row[2] = 7 */
    expect_invalid(&x.in, &prm, "rows decrease at candidate 1");
    x.row[1] = r1;
    /* still fine after the repairs */
    am_sel_result *r = solve(&x, &prm);
    am_sel_result_free(r);
    /* the exact solver refuses a model too large */
    int proven = 0;
    am_error err = {0};
    assert_int_equal(
        am_sel_solve_exact(&x.in, &prm, 3, 10, &r, &proven, NULL, &err),
        AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "above the limit of 3"));
    sel_inst_free(&x);
}

/* ---- the exact solver's reductions ----------------------------------- */

/* x blown up: every cell three times (its weight split 0.5 / 0.3 / 0.2,
 * so every gain is unchanged) and every candidate twice: an even one as
 * an identical copy, an odd one as a dominated copy (1 ds slower, every
 * third cell dropped), at the same cost. */
static sel_inst blow_up(const sel_inst *x)
{
    sel_inst y = sel_inst_new(3 * x->nc, 2 * x->na);
    static const double share[3] = {0.5, 0.3, 0.2};
    for (int32_t i = 0; i < x->nc; i++)
        for (int r = 0; r < 3; r++) {
            int32_t k = 3 * i + r;
            y.w[k] = x->w[i] * share[r];
            y.base[k] = x->base[i];
            for (int32_t a = 0; a < x->na; a++) {
                uint32_t t = x->tm[(size_t)i * x->na + a];
                y.tm[(size_t)k * y.na + a] = t;
                if (a % 2 == 0)
                    y.tm[(size_t)k * y.na + x->na + a] = t;
                else if (t != INF && i % 3 != 0)
                    y.tm[(size_t)k * y.na + x->na + a] = t + 1;
            }
        }
    if (x->cost) {
        y.cost = malloc((size_t)y.na * sizeof *y.cost);
        for (int32_t a = 0; a < y.na; a++)
            y.cost[a] = x->cost[a % x->na];
    }
    sel_inst_build(&y);
    return y;
}

static void test_exact_reductions(void **state)
{
    (void)state;
    int n = 0;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        int model = (int)(seed % 3) + 1;
        int costs = seed % 5 == 0;
        sel_inst x =
            random_inst(500 + seed, 20 + (int32_t)(seed % 11),
                        6 + (int32_t)(seed % 3), (int)(seed % 3), 45, costs);
        sel_inst y = blow_up(&x);
        am_sel_params prm = {.model = (am_sel_model)model,
                             .cover_ds = 20,
                             .penalty_ds = 40,
                             .p = 1 + (int32_t)(seed % 3),
                             .target_share = 0.3 + 0.1 * (double)(seed % 6),
                             .local_search = 1,
                             .n_threads = 1};
        if (costs && model != AM_SEL_SETCOVER) {
            prm.p = 0;
            prm.budget = 3.0 + (double)(seed % 4);
        }
        am_sel_exact_info ix, iy;
        am_error err = {0};
        assert_int_equal(am_sel_exact_size(&x.in, &prm, &ix, &err), AM_OK);
        assert_int_equal(am_sel_exact_size(&y.in, &prm, &iy, &err), AM_OK);
        /* the copies of a cell are one group; the copies of a candidate
         * fixed closed (the odd ones' dominated copies, the even ones'
         * identical copies: the higher index) */
        assert_int_equal(iy.cells_in, 3 * ix.cells_in);
        assert_true(iy.groups <= ix.cells_in);
        assert_true(iy.groups >= ix.groups);
        assert_true(iy.cand_fixed >= x.na);
        assert_true(iy.nonzeros > 0 && iy.bytes > 0);
        double ox = enumerate(&x, &prm), oy = enumerate(&y, &prm);
        am_sel_result *ex = NULL, *ey = NULL;
        int px = 0, py = 0;
        am_sel_exact_info info;
        assert_int_equal(
            am_sel_solve_exact(&x.in, &prm, 1000000, 60, &ex, &px, NULL, &err),
            AM_OK);
        assert_int_equal(
            am_sel_solve_exact(&y.in, &prm, 1000000, 60, &ey, &py, &info, &err),
            AM_OK);
        assert_int_equal(px, 1);
        assert_int_equal(py, 1);
        assert_int_equal(info.groups, iy.groups);
        assert_int_equal(info.nonzeros, iy.nonzeros);
        check_result(&y, &prm, ey);
        if (model == AM_SEL_SETCOVER) {
            if (isinf(oy)) {
                assert_true(isinf(ox));
            } else {
                assert_true(close_to(ox, oy));
                assert_true(
                    close_to(cost_of(&y, ey->chosen, ey->n_chosen), oy));
            }
        } else {
            /* the same optimal gain, from the enumeration of both */
            assert_true(close_to(ox, oy));
            assert_true(
                close_to(gain_of(&prm, ey->base_objective, ey->objective), oy));
            assert_true(
                close_to(gain_of(&prm, ex->base_objective, ex->objective), ox));
            assert_true(close_to(ey->bound, oy));
        }
        n++;
        am_sel_result_free(ex);
        am_sel_result_free(ey);
        sel_inst_free(&x);
        sel_inst_free(&y);
    }
    assert_int_equal(n, 30);
}

/* ---- cancellation (the progress hook) -------------------------------- */

typedef struct stopper {
    int calls, exact_calls;
    int stop_after;       /* calls of any kind; < 0: never */
    int stop_after_exact; /* calls from the exact solver; < 0: never */
} stopper;

static int stop_cb(double fraction, const char *message, void *user)
{
    stopper *s = user;
    assert_true(fraction >= 0.0 && fraction <= 1.0);
    s->calls++;
    if (message && strcmp(message, "exact site selection") == 0)
        s->exact_calls++;
    if (s->stop_after >= 0 && s->calls >= s->stop_after)
        return 0;
    if (s->stop_after_exact >= 0 && s->exact_calls >= s->stop_after_exact)
        return 0;
    return 1;
}

static void test_cancel(void **state)
{
    (void)state;
    for (int model = AM_SEL_MCLP; model <= AM_SEL_SETCOVER; model++) {
        sel_inst x = random_inst(4242 + (uint64_t)model, 800, 80, 2, 25, 0);
        am_sel_params prm = {.model = (am_sel_model)model,
                             .cover_ds = 15,
                             .penalty_ds = 30,
                             .p = 6,
                             .target_share = 0.8,
                             .local_search = 1,
                             .n_threads = 2,
                             .progress = stop_cb};
        /* asked to stop before anything: the heuristic stops */
        stopper s = {0, 0, 1, -1};
        prm.progress_user = &s;
        am_sel_result *r = NULL;
        int proven = 0;
        am_error err = {0};
        assert_int_equal(am_sel_solve(&x.in, &prm, &r, &err), AM_ERR_CANCELLED);
        assert_null(r);
        assert_non_null(strstr(err.msg, "cancelled"));
        assert_int_equal(s.calls, 1);
        s = (stopper){0, 0, 1, -1};
        assert_int_equal(am_sel_solve_exact(&x.in, &prm, 1000000, 60, &r,
                                            &proven, NULL, &err),
                         AM_ERR_CANCELLED);
        assert_null(r);
        assert_int_equal(s.calls, 1);
        /* after a few of the heuristic's steps */
        s = (stopper){0, 0, 4, -1};
        assert_int_equal(am_sel_solve(&x.in, &prm, &r, &err), AM_ERR_CANCELLED);
        assert_int_equal(s.calls, 4);
        /* never: the heuristic calls it, and solves as without it */
        s = (stopper){0, 0, -1, -1};
        assert_int_equal(am_sel_solve(&x.in, &prm, &r, &err), AM_OK);
        assert_true(s.calls > 4);
        am_sel_params q = prm;
        q.progress = NULL;
        am_sel_result *r0 = solve(&x, &q);
        assert_int_equal(r->n_chosen, r0->n_chosen);
        assert_memory_equal(r->chosen, r0->chosen,
                            (size_t)r0->n_chosen * sizeof *r0->chosen);
        am_sel_result_free(r);
        am_sel_result_free(r0);
        r = NULL;
        /* inside the root's simplex (through GLPK's terminal and error
         * hooks, which free its environment): at the first look */
        s = (stopper){0, 0, -1, 1};
        err = (am_error){0};
        assert_int_equal(am_sel_solve_exact(&x.in, &prm, 1000000, 60, &r,
                                            &proven, NULL, &err),
                         AM_ERR_CANCELLED);
        assert_null(r);
        assert_int_equal(s.exact_calls, 1);
        assert_non_null(strstr(err.msg, "exact site selection: cancelled"));
        /* GLPK works again afterwards, and proves the optimum */
        s = (stopper){0, 0, -1, -1};
        assert_int_equal(am_sel_solve_exact(&x.in, &prm, 1000000, 60, &r,
                                            &proven, NULL, &err),
                         AM_OK);
        assert_int_equal(proven, 1);
        assert_true(s.exact_calls > 1);
        am_sel_result_free(r);
        r = NULL;
        /* inside GLPK: the third callback stops the branch and cut, and
         * none comes after it */
        s = (stopper){0, 0, -1, 3};
        err = (am_error){0};
        am_status st = am_sel_solve_exact(&x.in, &prm, 1000000, 60, &r, &proven,
                                          NULL, &err);
        printf("cancel: model %d, %d exact callbacks seen\n", model,
               s.exact_calls);
        if (s.exact_calls < 3) { /* solved at the root before 3 calls */
            assert_int_equal(st, AM_OK);
            am_sel_result_free(r);
        } else {
            assert_int_equal(st, AM_ERR_CANCELLED);
            assert_null(r);
            assert_int_equal(s.exact_calls, 3);
            assert_non_null(strstr(err.msg, "exact site selection: cancelled"));
        }
        sel_inst_free(&x);
    }
}

/* More candidates than a swap pass's block (4,096): the swap search asks
 * the hook inside its passes too. Stopping at any call k of the run gives
 * AM_ERR_CANCELLED right there (k calls, no more: a stop is never missed
 * nor the run finished on partial gains), for each model, with a count and
 * with a budget; k sampled (the first, the last, 16 between). */
static void test_cancel_every_call(void **state)
{
    (void)state;
    for (int model = AM_SEL_MCLP; model <= AM_SEL_PMEDIAN; model++)
        for (int costs = 0; costs <= 1; costs++) {
            sel_inst x =
                random_inst(77 + (uint64_t)model, 600, 9000, 2, 25, costs);
            am_sel_params prm = {.model = (am_sel_model)model,
                                 .cover_ds = 15,
                                 .penalty_ds = 30,
                                 .local_search = 1,
                                 .n_threads = 2,
                                 .progress = stop_cb};
            if (costs)
                prm.budget = 12.0;
            else
                prm.p = 5;
            stopper s = {0, 0, -1, -1};
            prm.progress_user = &s;
            am_sel_result *r = NULL;
            am_error err = {0};
            assert_int_equal(am_sel_solve(&x.in, &prm, &r, &err), AM_OK);
            am_sel_result_free(r);
            const int total = s.calls;
            printf("cancel every call: model %d, costs %d: %d calls\n", model,
                   costs, total);
            assert_true(total > 2);
            /* the first calls, the last ones and a spread between (every
             * call would take minutes) */
            for (int k = 1; k <= total;
                 k = k < 8 || k >= total - 8
                         ? k + 1
                         : (k + total / 16 < total - 8 ? k + total / 16
                                                       : total - 8)) {
                s = (stopper){0, 0, k, -1};
                r = NULL;
                err = (am_error){0};
                assert_int_equal(am_sel_solve(&x.in, &prm, &r, &err),
                                 AM_ERR_CANCELLED);
                assert_null(r);
                assert_int_equal(s.calls, k);
                assert_non_null(strstr(err.msg, "cancelled"));
            }
            sel_inst_free(&x);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mclp_hand),
        cmocka_unit_test(test_pmedian_hand),
        cmocka_unit_test(test_setcover_hand),
        cmocka_unit_test(test_budget_hand),
        cmocka_unit_test(test_enumeration_oracle),
        cmocka_unit_test(test_glpk_medium),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_exact_reductions),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_cancel_every_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
