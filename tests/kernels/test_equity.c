/*
 * test_equity.c: kernels/equity.c against hand-computed cases, the
 * definitions computed directly (an O(n^2) Gini double sum; quantiles and
 * Palma shares from the population expanded into unit persons, so the
 * split of a straddling cell is checked against counting people; Theil
 * in cell order), am_weighted_summary's mean and median (the same bits),
 * the edge cases of equity.h, and 1 vs 2 vs 3 threads byte-identical.
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

#include "common/units.h"
#include "kernels/equity.h"
#include "kernels/measures.h"

static const am_equity_spec no_spec = {0, NULL, 0, NULL, 0, NULL};

/* One group, nothing but the fixed statistics. */
static am_equity_stats run1(int32_t n, const double *v, const double *w)
{
    am_equity_stats st;
    am_error err;
    memset(&st, 0xff, sizeof st);
    assert_int_equal(am_equity_run(n, v, w, NULL, NULL, 1, &no_spec, 1, &st,
                                   NULL, NULL, NULL, &err),
                     AM_OK);
    return st;
}

static void test_hand_four(void **state)
{
    (void)state;
    /* 1, 2, 3, 4, one person each, given out of order. */
    const double v[] = {3, 1, 4, 2}, w[] = {1, 1, 1, 1};
    const uint32_t t[] = {100, 9000, AM_TIME_INF, 300};
    const double pc[] = {0, 25, 50, 75, 100, 10};
    const double lv[] = {3, 2.5, 0, 10};
    const uint32_t cut[] = {300, 299, 9000};
    const am_equity_spec spec = {6, pc, 4, lv, 3, cut};
    am_equity_stats st;
    double pct[6], below[4], beyond[3];
    am_error err;
    assert_int_equal(am_equity_run(4, v, w, t, NULL, 1, &spec, 2, &st, pct,
                                   below, beyond, &err),
                     AM_OK);
    assert_int_equal(st.n_cells, 4);
    assert_double_near(st.weight, 4.0, 0.0);
    assert_double_near(st.mean, 2.5, 0.0);
    /* lower median: cumulative 1, 2 reaches half of 4 at value 2 */
    assert_double_near(st.median, 2.0, 0.0);
    assert_double_near(st.min, 1.0, 0.0);
    assert_double_near(st.max, 4.0, 0.0);
    /* Q(0) = 1, Q(.25): C = 1 >= 1 -> 1, Q(.5) = 2, Q(.75): C = 3 -> 3,
     * Q(1) = 4, Q(.1): C = 1 >= 0.4 -> 1 */
    const double want_pct[] = {1, 1, 2, 3, 4, 1};
    for (int q = 0; q < 6; q++)
        assert_double_near(pct[q], want_pct[q], 0.0);
    /* Gini: sum over ordered pairs of |xi - xj| = 2 (1+2+3+1+2+1) = 20;
     * 20 / (2 * 16 * 2.5) = 0.25 */
    assert_double_near(st.gini, 0.25, 1e-15);
    /* Palma: top 10 % = 0.4 of the person with 4 -> 1.6; bottom 40 % =
     * 1.6 persons: 1 + 0.6 * 2 = 2.2 */
    assert_double_near(st.palma, 1.6 / 2.2, 1e-15);
    /* Theil T with mu = 2.5 */
    const double theil =
        (0.4 * log(0.4) + 0.8 * log(0.8) + 1.2 * log(1.2) + 1.6 * log(1.6)) /
        4.0;
    assert_double_near(st.theil, theil, 1e-15);
    /* below 3 (strict): 1, 2; below 2.5: 1, 2; below 0: none; below 10:
     * all */
    assert_double_near(below[0], 0.5, 0.0);
    assert_double_near(below[1], 0.5, 0.0);
    assert_double_near(below[2], 0.0, 0.0);
    assert_double_near(below[3], 1.0, 0.0);
    /* beyond 300 ds: 9000 and INF; beyond 299: 300 too; beyond 9000: INF */
    assert_double_near(beyond[0], 0.5, 0.0);
    assert_double_near(beyond[1], 0.75, 0.0);
    assert_double_near(beyond[2], 0.25, 0.0);
    assert_int_equal(st.n_time_cells, 4);
}

static void test_hand_weighted(void **state)
{
    (void)state;
    /* 0 for three people, 10 for one: mean 2.5, median 0, Gini
     * 2 * 3 * 1 * 10 / (2 * 16 * 2.5) = 0.75, Theil (1/4) 4 ln 4 = ln 4
     * (0 ln 0 = 0), Palma: bottom 40 % holds 0 -> +inf. */
    const double v[] = {10, 0}, w[] = {1, 3};
    am_equity_stats st = run1(2, v, w);
    assert_double_near(st.mean, 2.5, 0.0);
    assert_double_near(st.median, 0.0, 0.0);
    assert_double_near(st.gini, 0.75, 1e-15);
    assert_double_near(st.theil, log(4.0), 1e-15);
    assert_true(isinf(st.palma) && st.palma > 0);

    /* 1 (w 2), 3 (w 2), 6 (w 1): W 5, S 14. Palma: bottom 2 people = 1 * 2
     * = 2; top 0.5 person of 6 = 3 -> 1.5. Gini: pairs 2*2*2 + 2*1*5 +
     * 2*1*3 = 24, times 2 orders / (2 * 25 * 2.8) = 48 / 140. */
    const double v2[] = {6, 1, 3}, w2[] = {1, 2, 2};
    st = run1(3, v2, w2);
    assert_double_near(st.palma, 1.5, 1e-15);
    assert_double_near(st.gini, 48.0 / 140.0, 1e-15);
    assert_double_near(st.median, 3.0, 0.0); /* C: 2, 4 >= 2.5 */
}

static void test_edges(void **state)
{
    (void)state;
    /* All equal: Gini 0, Theil 0, Palma 0.25 exactly. */
    const double v[] = {0.3, 0.3, 0.3}, w[] = {1.7, 2.9, 0.1};
    am_equity_stats st = run1(3, v, w);
    assert_true(st.gini == 0.0 && st.theil == 0.0 && st.palma == 0.25);
    assert_double_near(st.median, 0.3, 0.0);

    /* All zero: the indices are undefined (NaN), mean and median 0. */
    const double z[] = {0, 0, 0};
    st = run1(3, z, w);
    assert_true(st.mean == 0.0 && st.median == 0.0);
    assert_true(isnan(st.gini) && isnan(st.palma) && isnan(st.theil));

    /* One cell. */
    const double one[] = {7}, w1[] = {12};
    st = run1(1, one, w1);
    assert_int_equal(st.n_cells, 1);
    assert_true(st.mean == 7.0 && st.median == 7.0 && st.gini == 0.0 &&
                st.theil == 0.0 && st.palma == 0.25);

    /* Zero total weight (zero, negative and NaN weights), and n = 0. */
    const double w0[] = {0, -1, NAN};
    st = run1(3, v, w0);
    assert_int_equal(st.n_cells, 0);
    assert_true(st.weight == 0.0);
    assert_true(isnan(st.mean) && isnan(st.median) && isnan(st.gini) &&
                isnan(st.palma) && isnan(st.theil) && isnan(st.min));
    st = run1(0, NULL, NULL);
    assert_true(isnan(st.mean) && st.n_cells == 0);

    /* NaN values skipped (but counted for the time shares). */
    const double vn[] = {NAN, 5, 7}, wn[] = {5, 1, 1};
    const uint32_t t[] = {10, 10, 10};
    const uint32_t cut[] = {5};
    const am_equity_spec spec = {0, NULL, 0, NULL, 1, cut};
    double beyond;
    am_error err;
    assert_int_equal(am_equity_run(3, vn, wn, t, NULL, 1, &spec, 1, &st, NULL,
                                   NULL, &beyond, &err),
                     AM_OK);
    assert_true(st.mean == 6.0 && st.median == 5.0 && st.n_cells == 2);
    assert_true(st.n_time_cells == 3 && st.time_weight == 7.0);
    assert_true(beyond == 1.0);

    /* A negative value: the inequality indices are NaN. */
    const double vneg[] = {-1, 2, 3}, w3[] = {1, 1, 1};
    st = run1(3, vneg, w3);
    assert_double_near(st.mean, 4.0 / 3.0, 1e-15);
    assert_true(isnan(st.gini) && isnan(st.palma) && isnan(st.theil));

    /* Bad arguments. */
    const double bad_pct[] = {101};
    const am_equity_spec bs = {1, bad_pct, 0, NULL, 0, NULL};
    double p;
    assert_int_equal(am_equity_run(3, v, w, NULL, NULL, 1, &bs, 1, &st, &p,
                                   NULL, NULL, &err),
                     AM_ERR_INVALID);
    const int32_t g[] = {0, 2, 1};
    am_equity_stats s2[2];
    assert_int_equal(am_equity_run(3, v, w, NULL, g, 2, &no_spec, 1, s2, NULL,
                                   NULL, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_equity_run(3, v, w, NULL, NULL, 2, &no_spec, 1, s2,
                                   NULL, NULL, NULL, &err),
                     AM_ERR_INVALID);
    /* time shares without times */
    assert_int_equal(am_equity_run(3, v, w, NULL, NULL, 1, &spec, 1, &st, NULL,
                                   NULL, &beyond, &err),
                     AM_ERR_INVALID);
}

/* ---- oracle ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define NPCT 7
static const double oracle_pct[NPCT] = {0, 5, 10, 25, 50, 90, 100};

/* The definitions of equity.h, directly, for the cells of group g (integer
 * weights: each cell is w persons). */
static void oracle_group(int32_t n, const double *v, const double *w,
                         const uint32_t *t, const int32_t *grp, int32_t g,
                         const am_equity_spec *spec, am_equity_stats *st,
                         double *pct, double *below, double *beyond)
{
    int64_t np = 0, m = 0;
    double sw = 0, swv = 0, tw = 0;
    for (int32_t i = 0; i < n; i++) {
        if ((grp != NULL ? grp[i] : 0) != g || !(w[i] > 0))
            continue;
        tw += w[i];
        if (isnan(v[i]))
            continue;
        m++;
        np += (int64_t)w[i];
        sw += w[i];
        swv += w[i] * v[i];
    }
    st->n_cells = m;
    st->weight = sw;
    st->time_weight = tw;
    st->mean = sw > 0 ? swv / sw : NAN;
    for (int32_t c = 0; c < spec->n_cutoffs; c++) {
        double b = 0;
        for (int32_t i = 0; i < n; i++)
            if ((grp != NULL ? grp[i] : 0) == g && w[i] > 0 &&
                t[i] > spec->cutoff_ds[c])
                b += w[i];
        beyond[c] = tw > 0 ? b / tw : NAN;
    }
    for (int32_t l = 0; l < spec->n_levels; l++) {
        double b = 0;
        for (int32_t i = 0; i < n; i++)
            if ((grp != NULL ? grp[i] : 0) == g && w[i] > 0 && !isnan(v[i]) &&
                v[i] < spec->level[l])
                b += w[i];
        below[l] = sw > 0 ? b / sw : NAN;
    }
    if (m == 0)
        return;
    /* persons */
    double *p = malloc((size_t)np * sizeof *p);
    assert_non_null(p);
    int64_t k = 0;
    for (int32_t i = 0; i < n; i++)
        if ((grp != NULL ? grp[i] : 0) == g && w[i] > 0 && !isnan(v[i]))
            for (int64_t r = 0; r < (int64_t)w[i]; r++)
                p[k++] = v[i];
    qsort(p, (size_t)np, sizeof *p, cmp_double);
    const double total = (double)np;
    for (int q = 0; q < spec->n_pct; q++) {
        const double target = spec->pct[q] / 100.0 * total;
        int64_t j = (int64_t)ceil(target);
        if (j < 1)
            j = 1;
        pct[q] = p[j - 1];
    }
    {
        int64_t j = (int64_t)ceil(0.5 * total);
        st->median = p[(j < 1 ? 1 : j) - 1];
    }
    /* Palma from unit persons: person j occupies [j, j + 1). */
    double bottom = 0, top = 0;
    for (int64_t j = 0; j < np; j++) {
        const double lo = (double)j, hi = (double)j + 1;
        const double b = fmin(hi, 0.4 * total) - lo;
        if (b > 0)
            bottom += b * p[j];
        const double tp = hi - fmax(lo, 0.9 * total);
        if (tp > 0)
            top += tp * p[j];
    }
    st->palma = bottom > 0 ? top / bottom : (top > 0 ? INFINITY : NAN);
    /* Gini: the double sum over cells. */
    double d = 0;
    for (int32_t i = 0; i < n; i++) {
        if ((grp != NULL ? grp[i] : 0) != g || !(w[i] > 0) || isnan(v[i]))
            continue;
        for (int32_t j = 0; j < n; j++)
            if ((grp != NULL ? grp[j] : 0) == g && w[j] > 0 && !isnan(v[j]))
                d += w[i] * w[j] * fabs(v[i] - v[j]);
    }
    const double mu = swv / sw;
    st->gini = swv > 0 ? d / (2 * sw * sw * mu) : NAN;
    double th = 0;
    for (int32_t i = 0; i < n; i++)
        if ((grp != NULL ? grp[i] : 0) == g && w[i] > 0 && v[i] > 0)
            th += w[i] * (v[i] / mu) * log(v[i] / mu);
    st->theil = swv > 0 ? th / sw : NAN;
    free(p);
}

static void near_rel(double got, double want, double tol)
{
    if (isnan(want)) {
        assert_true(isnan(got));
        return;
    }
    if (isinf(want)) {
        assert_true(got == want);
        return;
    }
    assert_double_near(got, want, tol * fmax(1.0, fabs(want)));
}

/* Random values (ties, zeros, NaN), integer weights (zeros among them),
 * groups with -1 and empty groups; equity against the oracle. */
static void check_random(int32_t n, int32_t n_groups, int grouped, int threads)
{
    double *v = malloc((size_t)n * sizeof *v);
    double *w = malloc((size_t)n * sizeof *w);
    uint32_t *t = malloc((size_t)n * sizeof *t);
    int32_t *grp = malloc((size_t)n * sizeof *grp);
    assert_true(v && w && t && grp);
    for (int32_t i = 0; i < n; i++) {
        const uint64_t r = rng_next();
        v[i] = (r & 3) == 0 ? 0.0 : (double)(r >> 40 & 63) / 8.0;
        if ((r >> 8 & 63) == 0)
            v[i] = NAN;
        w[i] = (double)(rng_next() % 6); /* 0 .. 5 */
        t[i] = (rng_next() & 15) == 0 ? AM_TIME_INF
                                      : (uint32_t)(rng_next() % 10000);
        grp[i] = (int32_t)(rng_next() % (uint64_t)(n_groups + 1)) - 1;
        if (n_groups > 2 && grp[i] == 1)
            grp[i] = 0; /* group 1 stays empty */
    }
    const double lv[] = {0.0, 1.0, 3.5};
    const uint32_t cut[] = {0, 3000, 9999};
    const am_equity_spec spec = {NPCT, oracle_pct, 3, lv, 3, cut};
    const int32_t G = grouped ? n_groups : 1;
    am_equity_stats *st = malloc((size_t)G * sizeof *st);
    double *pct = malloc((size_t)G * NPCT * sizeof *pct);
    double *below = malloc((size_t)G * 3 * sizeof *below);
    double *beyond = malloc((size_t)G * 3 * sizeof *beyond);
    am_error err;
    assert_int_equal(am_equity_run(n, v, w, t, grouped ? grp : NULL, G, &spec,
                                   threads, st, pct, below, beyond, &err),
                     AM_OK);
    for (int32_t g = 0; g < G; g++) {
        am_equity_stats o;
        double opct[NPCT], obelow[3], obeyond[3];
        memset(&o, 0, sizeof o);
        o.median = o.gini = o.palma = o.theil = NAN;
        for (int q = 0; q < NPCT; q++)
            opct[q] = NAN;
        oracle_group(n, v, w, t, grouped ? grp : NULL, g, &spec, &o, opct,
                     obelow, obeyond);
        assert_int_equal(st[g].n_cells, o.n_cells);
        near_rel(st[g].weight, o.weight, 0);
        near_rel(st[g].time_weight, o.time_weight, 0);
        near_rel(st[g].mean, o.mean, 1e-12);
        near_rel(st[g].median, o.median, 0);
        for (int q = 0; q < NPCT; q++)
            near_rel(pct[g * NPCT + q], opct[q], 0);
        for (int c = 0; c < 3; c++) {
            near_rel(below[g * 3 + c], obelow[c], 1e-14);
            near_rel(beyond[g * 3 + c], obeyond[c], 1e-14);
        }
        near_rel(st[g].gini, o.gini, 1e-12);
        near_rel(st[g].palma, o.palma, 1e-12);
        near_rel(st[g].theil, o.theil, 1e-12);
        if (n_groups > 2 && g == 1)
            assert_true(st[g].n_cells == 0 && isnan(st[g].gini));
    }
    if (!grouped) {
        /* The same bits as the summary's mean and median. */
        double mean, median;
        assert_int_equal(am_weighted_summary(n, v, w, threads, &mean, &median),
                         AM_OK);
        assert_memory_equal(&mean, &st[0].mean, sizeof mean);
        assert_memory_equal(&median, &st[0].median, sizeof median);
    }
    free(v);
    free(w);
    free(t);
    free(grp);
    free(st);
    free(pct);
    free(below);
    free(beyond);
}

static void test_oracle(void **state)
{
    (void)state;
    rng_state = 12345;
    const int32_t sizes[] = {1, 2, 5, 31, 33, 200, 1500};
    for (int s = 0; s < 7; s++) {
        check_random(sizes[s], 1, 0, 1);
        check_random(sizes[s], 1, 0, 3);
        check_random(sizes[s], 1, 1, 2); /* one group, cells in none */
        check_random(sizes[s], 4, 1, 2);
        check_random(sizes[s], 9, 1, 3);
    }
}

/* 1, 2, 3 and 8 threads: the same bytes, overall and grouped, on data large
 * enough for the radix sort's parallel passes. */
static void test_threads(void **state)
{
    (void)state;
    rng_state = 777;
    const int32_t n = 200000, G = 37;
    double *v = malloc((size_t)n * sizeof *v);
    double *w = malloc((size_t)n * sizeof *w);
    uint32_t *t = malloc((size_t)n * sizeof *t);
    int32_t *grp = malloc((size_t)n * sizeof *grp);
    assert_true(v && w && t && grp);
    for (int32_t i = 0; i < n; i++) {
        v[i] = rng_unit() < 0.2 ? 0.0 : -log(rng_unit() + 1e-300) * 1e-4;
        w[i] = rng_unit() < 0.1 ? 0.0 : rng_unit() * 50.0;
        t[i] = (uint32_t)(rng_next() % 20000);
        grp[i] = (int32_t)(rng_next() % (G + 1)) - 1;
    }
    const double pc[] = {10, 50, 90};
    const double lv[] = {1e-5, 1e-4};
    const uint32_t cut[] = {9000, 18000};
    const am_equity_spec spec = {3, pc, 2, lv, 2, cut};
    for (int grouped = 0; grouped < 2; grouped++) {
        const int32_t ng = grouped ? G : 1;
        am_equity_stats st[AM_TEST_N_THREADS][37];
        double pct[AM_TEST_N_THREADS][37 * 3];
        double below[AM_TEST_N_THREADS][37 * 2];
        double beyond[AM_TEST_N_THREADS][37 * 2];
        am_error err;
        for (int th = 0; th < AM_TEST_N_THREADS; th++) {
            memset(st[th], 0, sizeof st[th]);
            assert_int_equal(am_equity_run(n, v, w, t, grouped ? grp : NULL, ng,
                                           &spec, am_test_threads[th], st[th],
                                           pct[th], below[th], beyond[th],
                                           &err),
                             AM_OK);
        }
        for (int th = 1; th < AM_TEST_N_THREADS; th++) {
            const int nt = am_test_threads[th];
            assert_same_at_threads(st[th], st[0], (size_t)ng * sizeof st[0][0],
                                   nt);
            assert_same_at_threads(pct[th], pct[0],
                                   (size_t)ng * 3 * sizeof(double), nt);
            assert_same_at_threads(below[th], below[0],
                                   (size_t)ng * 2 * sizeof(double), nt);
            assert_same_at_threads(beyond[th], beyond[0],
                                   (size_t)ng * 2 * sizeof(double), nt);
        }
        assert_true(st[0][0].gini > 0.0 && st[0][0].gini < 1.0);
    }
    free(v);
    free(w);
    free(t);
    free(grp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_four), cmocka_unit_test(test_hand_weighted),
        cmocka_unit_test(test_edges),     cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
