/*
 * test_fca.c: the FCA family of kernels/fca.h.
 *
 * (a) hand-computed cases: one 3-cell, 2-facility example worked out per
 *     method (every number derived in the comments);
 * (b) a plain serial oracle: a dense cell x facility time matrix built by
 *     brute force from the catchments and the demand (min over a cell's
 *     links), then the textbook formulas, against every method and several
 *     decays on random small instances (two-link cells, off-network cells,
 *     empty cells, facilities with no demand, zero supply, 16- and 32-bit
 *     times, a measure limit below the pairs');
 * (c) identities: sum P A = sum S over facilities with demand (2SFCA, any
 *     decay, and 3SFCA); BFCA's preserved population and level of service;
 *     spatial availability's total;
 * (d) 1, 2, 3 and 8 threads byte-identical, every method;
 * (e) n-th nearest against sorting each cell's times;
 * (f) edge cases and argument errors.
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
#include "kernels/decay.h"
#include "kernels/demand.h"
#include "kernels/fca.h"

#include "fca_inst.h"

/* ---- instances --------------------------------------------------------- */

/*
 * A random instance: facility 0 has an empty row (no demand), facility 1
 * only reaches node 0 where only empty cells live, facility 2 has zero
 * supply; about 1/8 of cells off the network, 1/2 with two links, 1/8
 * empty; node 0 carries only empty cells.
 */
static void inst_random(inst *x, uint64_t seed, uint32_t limit)
{
    rng_state = seed;
    memset(x, 0, sizeof *x);
    x->n_fac = 6 + (int32_t)rnd(10);
    x->n_nodes = 10 + (int32_t)rnd(30);
    x->n_cells = 20 + (int32_t)rnd(60);
    x->limit = limit;
    x->ntime = xcalloc((size_t)x->n_fac * x->n_nodes, sizeof *x->ntime);
    for (int32_t j = 0; j < x->n_fac; j++) {
        for (int32_t v = 0; v < x->n_nodes; v++) {
            uint32_t t = AM_TIME_INF;
            if (j == 1)
                t = v == 0 ? rnd(limit / 2) : AM_TIME_INF;
            else if (j != 0 && v != 0 && rnd(3) != 0)
                t = rnd(4) == 0 ? limit - rnd(3) : rnd(limit + 1);
            x->ntime[(size_t)j * x->n_nodes + v] = t;
        }
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
        if (kind == 0) {
            x->pop[i] = 10.0 + rnd(100); /* off the network */
            continue;
        }
        x->cnode[2 * i] = (int32_t)rnd((uint32_t)x->n_nodes);
        x->coff[2 * i] = rnd(limit / 4 + 1);
        if (rnd(2) == 0) {
            x->cnode[2 * i + 1] = (int32_t)rnd((uint32_t)x->n_nodes);
            x->coff[2 * i + 1] =
                rnd(4) == 0 ? x->coff[2 * i] : rnd(limit / 4 + 1);
        }
        const int on0 = x->cnode[2 * i] == 0 || x->cnode[2 * i + 1] == 0;
        x->pop[i] = kind == 1 || on0 ? 0.0 : 0.5 + rnd(1000) / 7.0;
    }
    x->supply = xcalloc((size_t)x->n_fac, sizeof *x->supply);
    for (int32_t j = 0; j < x->n_fac; j++)
        x->supply[j] = j == 2 ? 0.0 : 1.0 + rnd(50);
    inst_finish(x);
}

/* ---- the oracle -------------------------------------------------------- */

/* t[i * n_fac + j]: min over the cell's links of offset + node time,
 * AM_TIME_INF when beyond lim or not reached. */
static uint32_t *oracle_times(const inst *x, uint32_t lim)
{
    uint32_t *t = xcalloc((size_t)x->n_cells * x->n_fac, sizeof *t);
    for (int32_t i = 0; i < x->n_cells; i++) {
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
    }
    return t;
}

typedef struct oresult {
    double *val, *D, *R;
    uint8_t *flag;
    int32_t no_demand, none;
} oresult;

/* The textbook formulas over the dense W. */
static void oracle(const inst *x, const am_fca_measure *m, oresult *o)
{
    const int32_t nf = x->n_fac, nc = x->n_cells;
    uint32_t *t = oracle_times(x, m->limit_ds);
    double *W = xcalloc((size_t)nc * nf, sizeof *W);
    double *T = xcalloc((size_t)nc, sizeof *T);
    double *C = xcalloc((size_t)nf, sizeof *C);
    o->val = xcalloc((size_t)nc, sizeof *o->val);
    o->D = xcalloc((size_t)nf, sizeof *o->D);
    o->R = xcalloc((size_t)nf, sizeof *o->R);
    o->flag = xcalloc((size_t)nc, sizeof *o->flag);
    o->no_demand = o->none = 0;
#define Wij(i, j) W[(size_t)(i)*nf + (j)]
    for (int32_t i = 0; i < nc; i++)
        for (int32_t j = 0; j < nf; j++) {
            const uint32_t tij = t[(size_t)i * nf + j];
            Wij(i, j) = tij == AM_TIME_INF || m->method == AM_FCA_NTH_NEAREST
                            ? 0.0
                            : m->w[tij];
            T[i] += Wij(i, j);
            C[j] += Wij(i, j);
        }
    for (int32_t j = 0; j < nf; j++) {
        double D = 0.0;
        for (int32_t i = 0; i < nc; i++) {
            const double w = Wij(i, j), P = x->pop[i];
            switch (m->method) {
            case AM_FCA_2SFCA:
            case AM_FCA_M2SFCA:
                D += P * w;
                break;
            case AM_FCA_3SFCA:
                D += T[i] > 0 ? (w / T[i]) * w * P : 0.0;
                break;
            case AM_FCA_BFCA:
                D += T[i] > 0 ? P * w / T[i] : 0.0;
                break;
            case AM_FCA_SPAV:
                D += pow(P, m->alpha) * w;
                break;
            default:
                break;
            }
        }
        o->D[j] = D;
        o->R[j] = D > 0 ? x->supply[j] / D : NAN;
        if (m->method == AM_FCA_GRAVITY || m->method == AM_FCA_NTH_NEAREST)
            o->D[j] = o->R[j] = NAN;
        else if (!(D > 0))
            o->no_demand++;
    }
    for (int32_t i = 0; i < nc; i++) {
        double a = 0.0;
        uint32_t *ts = xcalloc((size_t)nf, sizeof *ts);
        int32_t nts = 0;
        for (int32_t j = 0; j < nf; j++) {
            const double w = Wij(i, j);
            const double R = isnan(o->R[j]) ? 0.0 : o->R[j];
            switch (m->method) {
            case AM_FCA_2SFCA:
                a += R * w;
                break;
            case AM_FCA_M2SFCA:
                a += R * w * w;
                break;
            case AM_FCA_3SFCA:
                a += T[i] > 0 ? (w / T[i]) * w * R : 0.0;
                break;
            case AM_FCA_BFCA:
                a += C[j] > 0 ? R * w / C[j] : 0.0;
                break;
            case AM_FCA_SPAV:
                a += o->D[j] > 0
                         ? x->supply[j] * pow(x->pop[i], m->alpha) * w / o->D[j]
                         : 0.0;
                break;
            case AM_FCA_GRAVITY:
                a += x->supply[j] * w;
                break;
            case AM_FCA_NTH_NEAREST:
                if (t[(size_t)i * nf + j] != AM_TIME_INF)
                    ts[nts++] = t[(size_t)i * nf + j];
                break;
            case AM_FCA_ALLOCATION: /* kernels/allocation.h */
                break;
            }
        }
        const int on = x->cnode[2 * i] >= 0 || x->cnode[2 * i + 1] >= 0;
        if (m->method == AM_FCA_NTH_NEAREST) {
            /* sort (insertion) and take the n-th */
            for (int32_t p = 1; p < nts; p++)
                for (int32_t q = p; q > 0 && ts[q - 1] > ts[q]; q--) {
                    const uint32_t s = ts[q];
                    ts[q] = ts[q - 1];
                    ts[q - 1] = s;
                }
            a = nts >= m->nth ? ts[m->nth - 1] / 600.0 : INFINITY;
            o->flag[i] = !on             ? AM_FCA_CELL_OFF
                         : nts >= m->nth ? AM_FCA_CELL_OK
                                         : AM_FCA_CELL_NONE;
        } else {
            o->flag[i] = !on          ? AM_FCA_CELL_OFF
                         : T[i] > 0.0 ? AM_FCA_CELL_OK
                                      : AM_FCA_CELL_NONE;
        }
        o->none += o->flag[i] == AM_FCA_CELL_NONE;
        o->val[i] = a;
        free(ts);
    }
#undef Wij
    free(t);
    free(W);
    free(T);
    free(C);
}

static void oresult_free(oresult *o)
{
    free(o->val);
    free(o->D);
    free(o->R);
    free(o->flag);
}

typedef struct kresult {
    double *val, *D, *R;
    uint8_t *flag;
    am_fca_out out;
} kresult;

static void krun(const inst *x, const am_fca_pairs *p, const am_fca_measure *m,
                 int threads, kresult *k)
{
    k->val = xcalloc((size_t)x->n_cells, sizeof *k->val);
    k->flag = xcalloc((size_t)x->n_cells, 1);
    k->D = xcalloc((size_t)x->n_fac, sizeof *k->D);
    k->R = xcalloc((size_t)x->n_fac, sizeof *k->R);
    memset(&k->out, 0, sizeof k->out);
    k->out.cell_value = k->val;
    k->out.cell_flag = k->flag;
    k->out.fac_demand = k->D;
    k->out.fac_ratio = k->R;
    am_error err;
    am_error_clear(&err);
    const am_status rc =
        am_fca_measure_run(m, p, x->supply, threads, &k->out, &err);
    if (rc != AM_OK)
        print_error("am_fca_measure_run: %s\n", err.msg);
    assert_int_equal(rc, AM_OK);
}

static void kresult_free(kresult *k)
{
    free(k->val);
    free(k->flag);
    free(k->D);
    free(k->R);
}

static void assert_same_value(double got, double want)
{
    if (isnan(want)) {
        assert_true(isnan(got));
    } else if (isinf(want)) {
        assert_true(got == want);
    } else {
        assert_rel_near(got, want, 1e-12);
    }
}

static void compare(const inst *x, const kresult *k, const oresult *o)
{
    for (int32_t i = 0; i < x->n_cells; i++) {
        assert_int_equal(k->flag[i], o->flag[i]);
        assert_same_value(k->val[i], o->val[i]);
    }
    for (int32_t j = 0; j < x->n_fac; j++) {
        assert_same_value(k->D[j], o->D[j]);
        assert_same_value(k->R[j], o->R[j]);
    }
    assert_int_equal(k->out.n_fac_no_demand, o->no_demand);
    assert_int_equal(k->out.n_cells_none, o->none);
}

/* ---- decays ------------------------------------------------------------ */

#define N_DECAYS 7

/* Decay k as a table at lim (caller frees); *mlim: the measure limit. */
static double *decay_table(int k, uint32_t lim, uint32_t *mlim)
{
    am_decay d;
    memset(&d, 0, sizeof d);
    const double lim_min = lim / 600.0;
    *mlim = lim;
    switch (k) {
    case 0: /* step at the limit */
        d.type = AM_DECAY_STEP;
        d.cutoff_min = lim_min;
        break;
    case 1: /* step at 60 % of it, the measure's limit there */
        d.type = AM_DECAY_STEP;
        d.cutoff_min = 0.6 * lim_min;
        *mlim = am_minutes_to_ds(d.cutoff_min);
        break;
    case 2:
        d.type = AM_DECAY_ZONES;
        d.n_zones = 3;
        d.zone_upper_min[0] = lim_min / 3;
        d.zone_upper_min[1] = 2 * lim_min / 3;
        d.zone_upper_min[2] = lim_min;
        d.zone_weight[0] = 1.0;
        d.zone_weight[1] = 0.68;
        d.zone_weight[2] = 0.22;
        break;
    case 3:
        d.type = AM_DECAY_EXPONENTIAL;
        d.beta = 3.0 / lim_min;
        break;
    case 4:
        d.type = AM_DECAY_DAI_GAUSSIAN;
        d.cutoff_min = lim_min;
        break;
    case 5:
        d.type = AM_DECAY_LINEAR;
        d.cutoff_min = 0.8 * lim_min;
        break;
    default:
        d.type = AM_DECAY_POWER;
        d.beta = 1.5;
        d.t_min = 1.0;
        break;
    }
    assert_int_equal(am_decay_check(&d, NULL), AM_OK);
    double *w = xcalloc((size_t)lim + 1, sizeof *w);
    am_decay_table(&d, lim, w);
    return w;
}

static const am_fca_method methods[] = {
    AM_FCA_2SFCA, AM_FCA_3SFCA,   AM_FCA_M2SFCA,     AM_FCA_BFCA,
    AM_FCA_SPAV,  AM_FCA_GRAVITY, AM_FCA_NTH_NEAREST};
#define N_METHODS (sizeof methods / sizeof methods[0])

/* (b) + (d): every method x decay on random instances, against the oracle,
 * on 1, 2, 3 and 8 threads, byte-identical across threads. */
static void run_oracle_suite(uint32_t limit, int n_seeds)
{
    for (int s = 0; s < n_seeds; s++) {
        inst x;
        inst_random(&x, 1000 + (uint64_t)s * 7919 + limit, limit);
        am_fca_pairs *p = NULL;
        assert_int_equal(am_fca_pairs_build(&x.cat, x.d, limit, 2, &p, NULL),
                         AM_OK);
        for (int dk = 0; dk < N_DECAYS; dk++) {
            uint32_t mlim = 0;
            double *w = decay_table(dk, limit, &mlim);
            for (size_t mk = 0; mk < N_METHODS; mk++) {
                am_fca_measure m;
                memset(&m, 0, sizeof m);
                m.method = methods[mk];
                m.w = w;
                m.limit_ds = mlim;
                m.alpha = (s % 2) ? 1.0 : 0.5;
                m.nth = 1 + dk % 3;
                oresult o;
                oracle(&x, &m, &o);
                kresult k[AM_TEST_N_THREADS];
                for (int th = 0; th < AM_TEST_N_THREADS; th++) {
                    krun(&x, p, &m, am_test_threads[th], &k[th]);
                    compare(&x, &k[th], &o);
                }
                for (int th = 1; th < AM_TEST_N_THREADS; th++) {
                    const int nt = am_test_threads[th];
                    assert_same_at_threads(k[th].val, k[0].val,
                                           (size_t)x.n_cells * sizeof *k[0].val,
                                           nt);
                    assert_same_at_threads(k[th].flag, k[0].flag,
                                           (size_t)x.n_cells, nt);
                    assert_same_at_threads(
                        k[th].D, k[0].D, (size_t)x.n_fac * sizeof *k[0].D, nt);
                    assert_same_at_threads(
                        k[th].R, k[0].R, (size_t)x.n_fac * sizeof *k[0].R, nt);
                }
                for (int th = 0; th < AM_TEST_N_THREADS; th++)
                    kresult_free(&k[th]);
                oresult_free(&o);
            }
            free(w);
        }
        am_fca_pairs_free(p);
        inst_free(&x);
    }
}

static void test_oracle_16bit(void **state)
{
    (void)state;
    run_oracle_suite(3000, 8);
}

/* Times and the dense arrays in 32 bits (limit >= 65535). */
static void test_oracle_32bit(void **state)
{
    (void)state;
    run_oracle_suite(70000, 2);
}

/* colsum and rowsum themselves against the dense sums, any weights. */
static void test_sums_oracle(void **state)
{
    (void)state;
    for (int s = 0; s < 6; s++) {
        inst x;
        inst_random(&x, 77 + (uint64_t)s, 2400);
        am_fca_pairs *p = NULL;
        assert_int_equal(am_fca_pairs_build(&x.cat, x.d, 2400, 1, &p, NULL),
                         AM_OK);
        uint32_t mlim;
        double *w = decay_table(s % N_DECAYS, 2400, &mlim);
        double *cw = xcalloc((size_t)x.n_cells, sizeof *cw);
        double *v = xcalloc((size_t)x.n_fac, sizeof *v);
        for (int32_t i = 0; i < x.n_cells; i++)
            cw[i] = rnd(5) == 0 ? 0.0 : rnd(1000) / 13.0;
        for (int32_t j = 0; j < x.n_fac; j++)
            v[j] = rnd(4) == 0 ? 0.0 : rnd(1000) / 11.0;
        uint32_t *t = oracle_times(&x, 2400);
        double *col[3], *row[3], *colp[3], *row1[3];
        for (int th = 1; th <= 3; th++) {
            col[th - 1] = xcalloc((size_t)x.n_fac, sizeof(double));
            colp[th - 1] = xcalloc((size_t)x.n_fac, sizeof(double));
            row[th - 1] = xcalloc((size_t)x.n_cells, sizeof(double));
            row1[th - 1] = xcalloc((size_t)x.n_cells, sizeof(double));
            assert_int_equal(am_fca_colsum(p, cw, w, th, col[th - 1], NULL),
                             AM_OK);
            assert_int_equal(am_fca_colsum(p, NULL, w, th, colp[th - 1], NULL),
                             AM_OK);
            assert_int_equal(am_fca_rowsum(p, v, w, th, row[th - 1], NULL),
                             AM_OK);
            assert_int_equal(am_fca_rowsum(p, NULL, w, th, row1[th - 1], NULL),
                             AM_OK);
        }
        for (int32_t j = 0; j < x.n_fac; j++) {
            double a = 0.0, b = 0.0;
            for (int32_t i = 0; i < x.n_cells; i++) {
                const uint32_t tij = t[(size_t)i * x.n_fac + j];
                if (tij == AM_TIME_INF)
                    continue;
                a += cw[i] * w[tij];
                b += x.pop[i] * w[tij];
            }
            assert_rel_near(col[0][j], a, 1e-12);
            assert_rel_near(colp[0][j], b, 1e-12);
        }
        for (int32_t i = 0; i < x.n_cells; i++) {
            double a = 0.0, b = 0.0;
            for (int32_t j = 0; j < x.n_fac; j++) {
                const uint32_t tij = t[(size_t)i * x.n_fac + j];
                if (tij == AM_TIME_INF)
                    continue;
                a += v[j] * w[tij];
                b += w[tij];
            }
            assert_rel_near(row[0][i], a, 1e-12);
            assert_rel_near(row1[0][i], b, 1e-12);
        }
        for (int th = 1; th < 3; th++) {
            assert_memory_equal(col[0], col[th], (size_t)x.n_fac * 8);
            assert_memory_equal(colp[0], colp[th], (size_t)x.n_fac * 8);
            assert_memory_equal(row[0], row[th], (size_t)x.n_cells * 8);
            assert_memory_equal(row1[0], row1[th], (size_t)x.n_cells * 8);
        }
        for (int th = 0; th < 3; th++) {
            free(col[th]);
            free(colp[th]);
            free(row[th]);
            free(row1[th]);
        }
        free(t);
        free(cw);
        free(v);
        free(w);
        am_fca_pairs_free(p);
        inst_free(&x);
    }
}

/* (e) n-th nearest against sorting, n = 1 .. n_fac + 1, 1 and 2 threads. */
static void test_nth_nearest_sorting(void **state)
{
    (void)state;
    for (int s = 0; s < 5; s++) {
        inst x;
        inst_random(&x, 4242 + (uint64_t)s, 3000);
        am_fca_pairs *p = NULL;
        assert_int_equal(am_fca_pairs_build(&x.cat, x.d, 3000, 2, &p, NULL),
                         AM_OK);
        uint32_t *t = oracle_times(&x, 3000);
        uint32_t *got = xcalloc((size_t)x.n_cells, sizeof *got);
        uint32_t *got2 = xcalloc((size_t)x.n_cells, sizeof *got2);
        uint32_t *row = xcalloc((size_t)x.n_fac, sizeof *row);
        for (int n = 1; n <= x.n_fac + 1; n++) {
            assert_int_equal(am_fca_nth_nearest(p, n, 1, got, NULL), AM_OK);
            assert_int_equal(am_fca_nth_nearest(p, n, 2, got2, NULL), AM_OK);
            assert_memory_equal(got, got2, (size_t)x.n_cells * sizeof *got);
            for (int32_t i = 0; i < x.n_cells; i++) {
                int32_t k = 0;
                for (int32_t j = 0; j < x.n_fac; j++)
                    if (t[(size_t)i * x.n_fac + j] != AM_TIME_INF)
                        row[k++] = t[(size_t)i * x.n_fac + j];
                for (int32_t a = 0; a < k; a++)
                    for (int32_t b = a + 1; b < k; b++)
                        if (row[b] < row[a]) {
                            const uint32_t z = row[a];
                            row[a] = row[b];
                            row[b] = z;
                        }
                assert_int_equal(got[i], k >= n ? row[n - 1] : AM_TIME_INF);
            }
        }
        free(t);
        free(got);
        free(got2);
        free(row);
        am_fca_pairs_free(p);
        inst_free(&x);
    }
}

/* (c) identities on random instances. */
static void test_identities(void **state)
{
    (void)state;
    for (int s = 0; s < 8; s++) {
        inst x;
        inst_random(&x, 99 + (uint64_t)s * 31, 3000);
        am_fca_pairs *p = NULL;
        assert_int_equal(am_fca_pairs_build(&x.cat, x.d, 3000, 2, &p, NULL),
                         AM_OK);
        for (int dk = 0; dk < N_DECAYS; dk++) {
            uint32_t mlim;
            double *w = decay_table(dk, 3000, &mlim);
            am_fca_measure m;
            memset(&m, 0, sizeof m);
            m.w = w;
            m.limit_ds = mlim;
            m.alpha = 1.0;
            kresult k;
            double sS = 0.0, sPA = 0.0;

            /* 2SFCA and 3SFCA: sum_i P_i A_i = sum_{j: D_j > 0} S_j */
            const am_fca_method two_three[] = {AM_FCA_2SFCA, AM_FCA_3SFCA};
            for (int q = 0; q < 2; q++) {
                m.method = two_three[q];
                krun(&x, p, &m, 2, &k);
                sS = sPA = 0.0;
                for (int32_t j = 0; j < x.n_fac; j++)
                    if (k.D[j] > 0)
                        sS += x.supply[j];
                for (int32_t i = 0; i < x.n_cells; i++)
                    sPA += x.pop[i] * k.val[i];
                assert_rel_near(sPA, sS, 1e-12);
                kresult_free(&k);
            }

            /* BFCA: sum_j D_j = population of the cells that reach a
             * facility; sum_i A_i = sum_{j: D_j > 0} R_j; sum R D = S. */
            m.method = AM_FCA_BFCA;
            krun(&x, p, &m, 2, &k);
            double sD = 0.0, sP = 0.0, sA = 0.0, sR = 0.0, sRD = 0.0;
            sS = 0.0;
            for (int32_t j = 0; j < x.n_fac; j++) {
                sD += k.D[j];
                if (k.D[j] > 0) {
                    sR += k.R[j];
                    sRD += k.R[j] * k.D[j];
                    sS += x.supply[j];
                }
            }
            for (int32_t i = 0; i < x.n_cells; i++) {
                if (k.flag[i] == AM_FCA_CELL_OK)
                    sP += x.pop[i];
                sA += k.val[i];
            }
            assert_rel_near(sD, sP, 1e-12);
            assert_rel_near(sA, sR, 1e-12);
            assert_rel_near(sRD, sS, 1e-12);
            kresult_free(&k);

            /* Spatial availability: sum_i V_i = sum_{j: C_j > 0} S_j */
            m.method = AM_FCA_SPAV;
            krun(&x, p, &m, 2, &k);
            double sV = 0.0;
            sS = 0.0;
            for (int32_t j = 0; j < x.n_fac; j++)
                if (k.D[j] > 0)
                    sS += x.supply[j];
            for (int32_t i = 0; i < x.n_cells; i++)
                sV += k.val[i];
            assert_rel_near(sV, sS, 1e-12);
            kresult_free(&k);
            free(w);
        }
        am_fca_pairs_free(p);
        inst_free(&x);
    }
}

/* ---- (a) hand-computed -------------------------------------------------- */

/*
 * Three nodes, one cell on each at offset 0: c0 (node 0, P 100), c1 (node
 * 1, P 50), c2 (node 2, P 200). Two facilities, S = (10, 20). Times in ds,
 * limit 3; facility rows: F0: n0 0, n1 1 (n2 beyond the limit);
 * F1: n0 3, n1 2, n2 0. A weight table w = (1, 0.5, 0.25, 0): t = 3 is
 * within the catchment but weighs 0, not within reach.
 * W: c0 (1, 0), c1 (0.5, 0.25), c2 (0, 1).  T = (1, 0.75, 1).
 * 2SFCA: D = (100 + 25, 12.5 + 200) = (125, 212.5); R = (0.08, 8/85);
 *   A0 = 0.08, A1 = 0.5 * 0.08 + 0.25 * 8/85 = 0.04 + 2/85, A2 = 8/85.
 *   Check: 100 * 0.08 + 50 A1 + 200 A2 = 8 + 2 + 100/85 + 1600/85 = 30.
 * 3SFCA: G = W / T; D0 = 100 * 1 + (50 / 0.75) 0.25 = 350/3,
 *   D1 = (50 / 0.75) 0.0625 + 200 = 1225/6; R = (3/35, 24/245);
 *   A0 = R0 = 3/35, A1 = (0.25 R0 + 0.0625 R1) / 0.75 = 9/245,
 *   A2 = R1 = 24/245. Check: 300/35 + 450/245 + 4800/245 = 30.
 * M2SFCA: D, R as 2SFCA; A0 = 0.08, A1 = 0.25 * 0.08 + 0.0625 * 8/85 =
 *   0.02 + 1/170, A2 = 8/85.
 * BFCA: C = (1.5, 1.25); D0 = 100 + 50 * 0.5 / 0.75 = 400/3, D1 = 50 *
 *   0.25 / 0.75 + 200 = 650/3 (sum 350 = total population);
 *   R = (3/40, 6/65); A0 = R0 / 1.5 = 0.05, A1 = R0 0.5 / 1.5 + R1 0.25 /
 *   1.25 = 0.025 + 6/325, A2 = R1 / 1.25 = 24/325 (sum = R0 + R1).
 * SPAV (alpha 1): C = (125, 212.5); V0 = 100 (10/125) = 8,
 *   V1 = 50 (10/125 * 0.5 + 20/212.5 * 0.25) = 2 + 20/17,
 *   V2 = 200 * 20/212.5 = 320/17 (sum 30).
 * Gravity: A = (10, 10 * 0.5 + 20 * 0.25, 20) = (10, 10, 20).
 * Nearest (limit 3, weights unused): n = 1: (0, 1, 0) ds; n = 2: (3, 2,
 *   +inf) ds.
 */
static void hand_instance(inst *x)
{
    memset(x, 0, sizeof *x);
    x->n_fac = 2;
    x->n_nodes = 3;
    x->n_cells = 3;
    x->limit = 3;
    x->ntime = xcalloc(6, sizeof *x->ntime);
    const uint32_t nt[6] = {0, 1, AM_TIME_INF, 3, 2, 0};
    memcpy(x->ntime, nt, sizeof nt);
    x->cnode = xcalloc(6, sizeof *x->cnode);
    x->coff = xcalloc(6, sizeof *x->coff);
    const int32_t cn[6] = {0, -1, 1, -1, 2, -1};
    memcpy(x->cnode, cn, sizeof cn);
    x->pop = xcalloc(3, sizeof *x->pop);
    x->pop[0] = 100;
    x->pop[1] = 50;
    x->pop[2] = 200;
    x->supply = xcalloc(2, sizeof *x->supply);
    x->supply[0] = 10;
    x->supply[1] = 20;
    inst_finish(x);
}

static void test_hand(void **state)
{
    (void)state;
    inst x;
    hand_instance(&x);
    am_fca_pairs *p = NULL;
    assert_int_equal(am_fca_pairs_build(&x.cat, x.d, 3, 1, &p, NULL), AM_OK);
    const double w[4] = {1, 0.5, 0.25, 0};
    am_fca_measure m;
    memset(&m, 0, sizeof m);
    m.w = w;
    m.limit_ds = 3;
    m.alpha = 1.0;
    const struct {
        am_fca_method method;
        double D[2], R[2], A[3];
    } want[] = {
        {AM_FCA_2SFCA,
         {125, 212.5},
         {0.08, 8.0 / 85},
         {0.08, 0.04 + 2.0 / 85, 8.0 / 85}},
        {AM_FCA_3SFCA,
         {350.0 / 3, 1225.0 / 6},
         {3.0 / 35, 24.0 / 245},
         {3.0 / 35, 9.0 / 245, 24.0 / 245}},
        {AM_FCA_M2SFCA,
         {125, 212.5},
         {0.08, 8.0 / 85},
         {0.08, 0.02 + 1.0 / 170, 8.0 / 85}},
        {AM_FCA_BFCA,
         {400.0 / 3, 650.0 / 3},
         {3.0 / 40, 6.0 / 65},
         {0.05, 0.025 + 6.0 / 325, 24.0 / 325}},
        {AM_FCA_SPAV,
         {125, 212.5},
         {10.0 / 125, 20.0 / 212.5},
         {8, 2 + 20.0 / 17, 320.0 / 17}},
        {AM_FCA_GRAVITY, {NAN, NAN}, {NAN, NAN}, {10, 10, 20}},
    };
    for (size_t q = 0; q < sizeof want / sizeof want[0]; q++) {
        m.method = want[q].method;
        kresult k;
        krun(&x, p, &m, 1, &k);
        for (int j = 0; j < 2; j++) {
            assert_same_value(k.D[j], want[q].D[j]);
            assert_same_value(k.R[j], want[q].R[j]);
        }
        for (int i = 0; i < 3; i++) {
            assert_same_value(k.val[i], want[q].A[i]);
            assert_int_equal(k.flag[i], AM_FCA_CELL_OK);
        }
        assert_int_equal(k.out.n_fac_no_demand, 0);
        assert_int_equal(k.out.n_cells_none, 0);
        kresult_free(&k);
    }
    m.method = AM_FCA_NTH_NEAREST;
    m.nth = 1;
    kresult k;
    krun(&x, p, &m, 1, &k);
    assert_true(k.val[0] == 0.0 && k.val[1] == 1 / 600.0 && k.val[2] == 0.0);
    kresult_free(&k);
    m.nth = 2;
    krun(&x, p, &m, 1, &k);
    assert_true(k.val[0] == 3 / 600.0 && k.val[1] == 2 / 600.0 &&
                isinf(k.val[2]));
    assert_int_equal(k.flag[2], AM_FCA_CELL_NONE);
    assert_int_equal(k.out.n_cells_none, 1);
    kresult_free(&k);
    am_fca_pairs_free(p);
    inst_free(&x);
}

/*
 * (f) Edge cases on the hand instance, modified: c1 moved off the
 * network, F1 with zero supply, a step at 1 ds (measure limit 1): c0
 * reaches F0 (t 0); c2 reaches nothing (F1 at 0 ds... kept: c2 -> F1 = 0).
 * With c2's population 0, F1's demand is 0: ratio NaN, counted, and c2's
 * access 0 with flag OK (it reaches F1, which has no ratio). A step at
 * 0 ds on top: c0 t 0 reaches F0; nothing else changes.
 */
static void test_edges(void **state)
{
    (void)state;
    inst x;
    hand_instance(&x);
    am_demand_destroy(x.d);
    x.cnode[2] = -1; /* c1 off the network */
    x.pop[2] = 0;    /* c2 empty */
    x.supply[1] = 0; /* F1 zero supply */
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_demand_build(3, 3, x.cnode, x.coff, x.pop, &x.d, &err),
                     AM_OK);
    am_fca_pairs *p = NULL;
    assert_int_equal(am_fca_pairs_build(&x.cat, x.d, 3, 2, &p, &err), AM_OK);
    const double w[4] = {1, 1, 0, 0};
    am_fca_measure m;
    memset(&m, 0, sizeof m);
    m.method = AM_FCA_2SFCA;
    m.w = w;
    m.limit_ds = 1;
    kresult k;
    krun(&x, p, &m, 2, &k);
    /* D0 = 100 (c0), R0 = 0.1; D1 = 0 (c2 empty): NaN, counted. */
    assert_true(k.D[0] == 100 && k.R[0] == 0.1);
    assert_true(k.D[1] == 0 && isnan(k.R[1]));
    assert_int_equal(k.out.n_fac_no_demand, 1);
    assert_true(k.val[0] == 0.1 && k.flag[0] == AM_FCA_CELL_OK);
    assert_true(k.val[1] == 0.0 && k.flag[1] == AM_FCA_CELL_OFF);
    assert_true(k.val[2] == 0.0 && k.flag[2] == AM_FCA_CELL_OK);
    assert_int_equal(k.out.n_cells_none, 0);
    kresult_free(&k);

    /* A table that is 0 everywhere but t = 0 and a limit of 2: c0 reaches
     * F0, c2 reaches F1 (both at 0 ds); with the weight at 0 ds set to 0
     * too, no cell on the network reaches anything: NONE, value 0. */
    const double w0[3] = {0, 0, 0};
    m.w = w0;
    m.limit_ds = 2;
    krun(&x, p, &m, 1, &k);
    assert_true(k.val[0] == 0.0 && k.flag[0] == AM_FCA_CELL_NONE);
    assert_true(k.flag[1] == AM_FCA_CELL_OFF);
    assert_true(k.val[2] == 0.0 && k.flag[2] == AM_FCA_CELL_NONE);
    assert_int_equal(k.out.n_cells_none, 2);
    assert_int_equal(k.out.n_fac_no_demand, 2);
    kresult_free(&k);

    /* Zero supply with demand: ratio 0, not NaN. */
    x.supply[0] = 0;
    m.w = w;
    m.limit_ds = 1;
    krun(&x, p, &m, 1, &k);
    assert_true(k.R[0] == 0.0 && !signbit(k.R[0]) && k.val[0] == 0.0);
    kresult_free(&k);

    /* Outputs not wanted (NULL) are fine. */
    am_fca_out o;
    memset(&o, 0, sizeof o);
    assert_int_equal(am_fca_measure_run(&m, p, x.supply, 1, &o, &err), AM_OK);
    assert_int_equal(o.n_fac_no_demand, 1);

    /* Errors. */
    m.limit_ds = 4;
    assert_int_equal(am_fca_measure_run(&m, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "limit"));
    m.limit_ds = 1;
    const double bad_w[2] = {1, NAN};
    m.w = bad_w;
    assert_int_equal(am_fca_measure_run(&m, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "decay weight"));
    m.w = w;
    x.supply[1] = -1;
    assert_int_equal(am_fca_measure_run(&m, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "supply"));
    x.supply[1] = 0;
    m.method = AM_FCA_NTH_NEAREST;
    m.nth = 0;
    assert_int_equal(am_fca_measure_run(&m, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_fca_nth_nearest(p, 0, 1, NULL, &err), AM_ERR_INVALID);
    m.method = AM_FCA_SPAV;
    m.alpha = -1;
    assert_int_equal(am_fca_measure_run(&m, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "alpha"));
    m.method = (am_fca_method)42;
    assert_int_equal(am_fca_measure_run(&m, p, x.supply, 1, &o, &err),
                     AM_ERR_INVALID);
    am_fca_pairs *q = NULL;
    assert_int_equal(am_fca_pairs_build(&x.cat, x.d, 4, 1, &q, &err),
                     AM_ERR_INVALID);
    assert_null(q);
    assert_non_null(strstr(err.msg, "limit"));
    double out2[2];
    const double neg[3] = {1, -1, 1};
    assert_int_equal(am_fca_colsum(p, neg, w, 1, out2, &err), AM_ERR_INVALID);
    am_fca_pairs_free(NULL);
    am_fca_pairs_free(p);
    inst_free(&x);
}

/* Byte-identity of the generalised 2SFCA with a step to am_fca_run is in
 * test_measures (am_fca_run is a wrapper); here: the measure with a step
 * table gives am_fca_run's D and A bits where the ratio is defined. */

/* The memory estimate grows with each of its terms. */
static void test_pairs_bytes(void **state)
{
    (void)state;
    const size_t base = am_fca_pairs_bytes(100, 1000, 4000, 2, 18000, 0);
    assert_true(am_fca_pairs_bytes(100, 1000, 4000, 2, 18000, 10) ==
                base + 10 * 5);
    assert_true(am_fca_pairs_bytes(100, 1000, 4000, 4, 18000, 0) > base);
    assert_true(am_fca_pairs_bytes(100, 1000, 4001, 2, 18000, 0) > base);
    assert_true(am_fca_pairs_bytes(101, 1000, 4000, 2, 18000, 0) > base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_oracle_16bit),
        cmocka_unit_test(test_oracle_32bit),
        cmocka_unit_test(test_sums_oracle),
        cmocka_unit_test(test_nth_nearest_sorting),
        cmocka_unit_test(test_identities),
        cmocka_unit_test(test_pairs_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
