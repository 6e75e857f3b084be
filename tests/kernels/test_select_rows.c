/*
 * test_select_rows.c: kernels/select_rows.h (site selection with rows on
 * demand) against am_sel_solve on the same rows held in memory.
 *  - a cache that holds every row: the in-memory mode, byte-identical to
 *    am_sel_solve (chosen sites, steps, objective, bound), every model;
 *  - caches too small (none, a few rows, half): the on-demand mode; without
 *    the local search its greedy equals am_sel_solve's (sites, steps,
 *    objective bit for bit, the bound to rounding); with it the objective
 *    is the one recomputed for its sites, at least the greedy's, and the
 *    provider was called again for rows not held;
 *  - 1, 2 and 3 threads byte-identical, for each cache size;
 *  - a bad row (AM_ERR_INVALID naming the candidate) and a provider out of
 *    memory (AM_ERR_NOMEM).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "kernels/select.h"
#include "kernels/select_rows.h"
#include "test_util.h"

#define NWS 4

/* A random instance as a CSR, served by the provider below from copies
 * in per-workspace buffers (as a real provider's workspaces). */
typedef struct inst {
    am_sel_instance in;
    double *w, *cost;
    uint32_t *base;
    int64_t *row;
    int32_t *cell;
    uint32_t *time;
    int32_t *buf_cell[NWS];
    uint32_t *buf_time[NWS];
    atomic_long calls;
    int bad_cand;  /* >= 0: this row comes back unsorted */
    int fail_cand; /* >= 0: the provider fails on it */
} inst;

static int64_t provide(void *user, int32_t a, int ws, const int32_t **cell,
                       const uint32_t **time_ds)
{
    inst *x = user;
    if (ws < 0 || ws >= NWS || a == x->fail_cand)
        return -1;
    atomic_fetch_add(&x->calls, 1);
    const int64_t b = x->row[a], n = x->row[a + 1] - b;
    memcpy(x->buf_cell[ws], x->cell + b, (size_t)n * sizeof(int32_t));
    memcpy(x->buf_time[ws], x->time + b, (size_t)n * sizeof(uint32_t));
    if (a == x->bad_cand && n >= 2) {
        int32_t t = x->buf_cell[ws][0];
        x->buf_cell[ws][0] = x->buf_cell[ws][1];
        x->buf_cell[ws][1] = t;
    }
    *cell = x->buf_cell[ws];
    *time_ds = x->buf_time[ws];
    return n;
}

/* nc cells in clusters, na candidates, a few existing facilities; times
 * 100 x the distance plus up to 4 ds, pairs beyond reach left out. */
static inst *random_inst(uint64_t seed, int32_t nc, int32_t na, uint32_t reach,
                         int costs)
{
    rng_state = seed;
    inst *x = calloc(1, sizeof *x);
    x->w = malloc((size_t)nc * sizeof *x->w);
    x->base = malloc((size_t)nc * sizeof *x->base);
    x->row = malloc(((size_t)na + 1) * sizeof *x->row);
    x->cell = malloc(((size_t)nc * na + 1) * sizeof *x->cell);
    x->time = malloc(((size_t)nc * na + 1) * sizeof *x->time);
    double *cx = malloc((size_t)nc * sizeof *cx);
    double *cy = malloc((size_t)nc * sizeof *cy);
    double hx[4], hy[4];
    for (int k = 0; k < 4; k++) {
        hx[k] = rng_unit();
        hy[k] = rng_unit();
    }
    for (int32_t i = 0; i < nc; i++) {
        int k = (int)(rng_next() % 4);
        cx[i] = hx[k] + 0.3 * (rng_unit() - 0.5);
        cy[i] = hy[k] + 0.3 * (rng_unit() - 0.5);
        x->w[i] = rng_next() % 7 == 0 ? 0.0 : (double)(1 + rng_next() % 100);
        x->base[i] = AM_TIME_INF;
    }
    for (int e = 0; e < 3; e++) {
        double ex = rng_unit(), ey = rng_unit();
        for (int32_t i = 0; i < nc; i++) {
            uint32_t t = (uint32_t)(100.0 * hypot(cx[i] - ex, cy[i] - ey)) +
                         (uint32_t)(rng_next() % 5);
            if (t <= reach && t < x->base[i])
                x->base[i] = t;
        }
    }
    int64_t m = 0;
    x->row[0] = 0;
    for (int32_t a = 0; a < na; a++) {
        double ax = rng_unit(), ay = rng_unit();
        for (int32_t i = 0; i < nc; i++) {
            uint32_t t = (uint32_t)(100.0 * hypot(cx[i] - ax, cy[i] - ay)) +
                         (uint32_t)(rng_next() % 5);
            if (t <= reach) {
                x->cell[m] = i;
                x->time[m++] = t;
            }
        }
        x->row[a + 1] = m;
    }
    if (costs) {
        x->cost = malloc((size_t)na * sizeof *x->cost);
        for (int32_t a = 0; a < na; a++)
            x->cost[a] = 1.0 + (double)(rng_next() % 40) / 10.0;
    }
    for (int k = 0; k < NWS; k++) {
        x->buf_cell[k] = malloc(((size_t)nc + 1) * sizeof(int32_t));
        x->buf_time[k] = malloc(((size_t)nc + 1) * sizeof(uint32_t));
    }
    x->in = (am_sel_instance){nc,     x->w,    x->base, na,
                              x->row, x->cell, x->time, x->cost};
    x->bad_cand = -1;
    x->fail_cand = -1;
    free(cx);
    free(cy);
    return x;
}

static void inst_free(inst *x)
{
    free(x->w);
    free(x->cost);
    free(x->base);
    free(x->row);
    free(x->cell);
    free(x->time);
    for (int k = 0; k < NWS; k++) {
        free(x->buf_cell[k]);
        free(x->buf_time[k]);
    }
    free(x);
}

static am_sel_rows rows_of(inst *x)
{
    return (am_sel_rows){
        x->in.n_cells, x->w, x->base, x->in.n_cand, x->cost, provide, x,
        NWS,           0};
}

static am_sel_result *solve_rows(inst *x, const am_sel_params *prm,
                                 int64_t cache, am_sel_rows_info *info)
{
    am_sel_rows R = rows_of(x);
    am_sel_result *r = NULL;
    am_error err;
    am_error_clear(&err);
    am_status st = am_sel_solve_rows(&R, prm, cache, &r, info, &err);
    if (st != AM_OK)
        print_error("am_sel_solve_rows: %s\n", err.msg);
    assert_int_equal(st, AM_OK);
    return r;
}

static am_sel_result *solve_mem(inst *x, const am_sel_params *prm)
{
    am_sel_result *r = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_sel_solve(&x->in, prm, &r, &err), AM_OK);
    return r;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void assert_identical(const am_sel_result *a, const am_sel_result *b)
{
    assert_int_equal(a->n_chosen, b->n_chosen);
    assert_int_equal(a->n_steps, b->n_steps);
    assert_memory_equal(a->chosen, b->chosen,
                        (size_t)a->n_chosen * sizeof *a->chosen);
    assert_memory_equal(a->steps, b->steps,
                        (size_t)a->n_steps * sizeof *a->steps);
    assert_true(same_bits(a->objective, b->objective));
    assert_true(same_bits(a->base_objective, b->base_objective));
    assert_true(same_bits(a->bound, b->bound));
    assert_int_equal(a->reached_target, b->reached_target);
}

/* The models tried: MCLP and p-median with p, a budget (costs), set
 * covering (with costs too). */
static int n_params(void)
{
    return 5;
}

static am_sel_params params(int k, int local_search, int threads)
{
    am_sel_params p = {0};
    p.cover_ds = 25;
    p.penalty_ds = 60;
    p.local_search = local_search;
    p.n_threads = threads;
    switch (k) {
    case 0:
        p.model = AM_SEL_MCLP;
        p.p = 4;
        break;
    case 1:
        p.model = AM_SEL_PMEDIAN;
        p.p = 5;
        break;
    case 2:
        p.model = AM_SEL_MCLP;
        p.budget = 6.5;
        break;
    case 3:
        p.model = AM_SEL_SETCOVER;
        p.target_share = 0.9;
        break;
    default:
        p.model = AM_SEL_PMEDIAN;
        p.budget = 5.0;
        break;
    }
    return p;
}

static int64_t all_bytes(const inst *x)
{
    int64_t b = 0;
    for (int32_t a = 0; a < x->in.n_cand; a++)
        b += AM_SEL_ROW_BYTES(x->row[a + 1] - x->row[a]);
    return b;
}

/* Every row fits: am_sel_solve's answer, byte for byte. */
static void test_memory_mode(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 12; seed++)
        for (int k = 0; k < n_params(); k++)
            for (int ls = 0; ls <= 1; ls++) {
                inst *x =
                    random_inst((uint64_t)seed, 300, 40, 40, k >= 2 ? 1 : 0);
                am_sel_params prm = params(k, ls, 2);
                am_sel_rows_info info;
                am_sel_result *a = solve_mem(x, &prm);
                am_sel_result *b = solve_rows(x, &prm, all_bytes(x), &info);
                assert_int_equal(info.mode, AM_SEL_ROWS_MEMORY);
                assert_int_equal(info.n_short, x->in.n_cand);
                assert_int_equal(info.pairs, x->row[x->in.n_cand]);
                assert_int_equal(info.row_computed, x->in.n_cand);
                assert_identical(a, b);
                am_sel_result_free(a);
                am_sel_result_free(b);
                inst_free(x);
            }
}

/* Too small a cache: the greedy is am_sel_solve's; the search's answer
 * is consistent and no worse. */
static void test_on_demand(void **state)
{
    (void)state;
    int recomputed = 0;
    for (int seed = 1; seed <= 12; seed++)
        for (int k = 0; k < n_params(); k++) {
            inst *x =
                random_inst(100 + (uint64_t)seed, 400, 60, 35, k >= 2 ? 1 : 0);
            const int64_t full = all_bytes(x);
            const int64_t caches[3] = {0, full / 10, full / 2};
            for (int c = 0; c < 3; c++) {
                am_sel_params g = params(k, 0, 2);
                am_sel_rows_info info;
                am_sel_result *a = solve_mem(x, &g);
                atomic_store(&x->calls, 0);
                am_sel_result *b = solve_rows(x, &g, caches[c], &info);
                assert_int_equal(info.mode, AM_SEL_ROWS_ON_DEMAND);
                assert_true(info.held_bytes <= caches[c]);
                assert_int_equal(info.row_computed, atomic_load(&x->calls));
                recomputed +=
                    info.row_computed > (int64_t)x->in.n_cand + info.n_short;
                /* the greedy: the same picks, steps and objective */
                assert_int_equal(a->n_chosen, b->n_chosen);
                assert_memory_equal(a->chosen, b->chosen,
                                    (size_t)a->n_chosen * sizeof *a->chosen);
                if (g.model != AM_SEL_SETCOVER) {
                    assert_int_equal(a->n_steps, b->n_steps);
                    assert_memory_equal(a->steps, b->steps,
                                        (size_t)a->n_steps * sizeof *a->steps);
                    assert_true(same_bits(a->objective, b->objective));
                }
                if (g.p > 0)
                    assert_double_near(b->bound, a->bound,
                                       1e-9 * fabs(a->bound));
                else
                    assert_true(isnan(b->bound));
                /* with the local search */
                am_sel_params s = params(k, 1, 2);
                am_sel_result *d = solve_rows(x, &s, caches[c], &info);
                const double obj =
                    am_sel_objective(&x->in, &s, d->chosen, d->n_chosen);
                assert_double_near(d->objective, obj, 1e-9 * fabs(obj) + 1e-9);
                if (d->n_steps > 0)
                    assert_double_near(d->steps[d->n_steps - 1].objective, obj,
                                       1e-9 * fabs(obj) + 1e-9);
                const double sign = g.model == AM_SEL_PMEDIAN ? -1.0 : 1.0;
                if (g.model != AM_SEL_SETCOVER)
                    assert_true(sign * (d->objective - b->objective) >=
                                -1e-9 * fabs(b->objective));
                else if (b->reached_target) {
                    assert_true(d->reached_target);
                    assert_true(d->n_chosen <= b->n_chosen);
                }
                for (int32_t i = 0; i < d->n_chosen; i++)
                    for (int32_t j = i + 1; j < d->n_chosen; j++)
                        assert_int_not_equal(d->chosen[i], d->chosen[j]);
                am_sel_result_free(a);
                am_sel_result_free(b);
                am_sel_result_free(d);
            }
            inst_free(x);
        }
    assert_true(recomputed > 0); /* rows were fetched again on demand */
}

/* 1, 2 and 3 threads: the same bytes, for every cache size. */
static void test_threads(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 2; seed++)
        for (int k = 0; k < n_params(); k++) {
            inst *x = random_inst(200 + (uint64_t)seed, 1200, 300, 30,
                                  k >= 2 ? 1 : 0);
            const int64_t full = all_bytes(x);
            const int64_t caches[3] = {full / 20, full / 3, full};
            for (int c = 0; c < 3; c++) {
                am_sel_params p1 = params(k, 1, 1);
                am_sel_result *a = solve_rows(x, &p1, caches[c], NULL);
                for (int t = 2; t <= 3; t++) {
                    am_sel_params pt = params(k, 1, t);
                    am_sel_result *b = solve_rows(x, &pt, caches[c], NULL);
                    assert_identical(a, b);
                    assert_int_equal(a->gain_evaluations, b->gain_evaluations);
                    am_sel_result_free(b);
                }
                am_sel_result_free(a);
            }
            inst_free(x);
        }
}

static void test_bad_inputs(void **state)
{
    (void)state;
    inst *x = random_inst(7, 200, 30, 40, 0);
    am_sel_params prm = params(0, 1, 2);
    am_sel_rows R = rows_of(x);
    am_sel_result *r = NULL;
    am_error err;
    for (int32_t a = 0; a < x->in.n_cand; a++)
        if (x->row[a + 1] - x->row[a] >= 2) {
            x->bad_cand = a;
            break;
        }
    assert_true(x->bad_cand >= 0);
    char want[64];
    snprintf(want, sizeof want, "candidate %d's row", x->bad_cand);
    for (int c = 0; c < 2; c++) {
        am_error_clear(&err);
        assert_int_equal(
            am_sel_solve_rows(&R, &prm, c ? all_bytes(x) : 0, &r, NULL, &err),
            AM_ERR_INVALID);
        assert_null(r);
        assert_non_null(strstr(err.msg, want));
    }
    x->bad_cand = -1;
    x->fail_cand = 3;
    am_error_clear(&err);
    assert_int_equal(am_sel_solve_rows(&R, &prm, 0, &r, NULL, &err),
                     AM_ERR_NOMEM);
    assert_null(r);
    x->fail_cand = -1;
    prm.p = x->in.n_cand + 1;
    am_error_clear(&err);
    assert_int_equal(am_sel_solve_rows(&R, &prm, 0, &r, NULL, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "p = "));
    prm = params(0, 1, 2);
    x->w[5] = NAN;
    am_error_clear(&err);
    assert_int_equal(am_sel_solve_rows(&R, &prm, 0, &r, NULL, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "cell 5"));
    inst_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_mode),
        cmocka_unit_test(test_on_demand),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
