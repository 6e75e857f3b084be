/*
 * equity.c: population-weighted statistics and inequality indices, overall
 * and per group (see equity.h for the definitions and their sources).
 *
 * Plan: (1) one serial pass in cell order: each group's counts, weights,
 * mean sums, shares below the levels and beyond the cutoffs (sums in cell
 * order); (2) the counted cells' value keys (IEEE bits flipped so that
 * unsigned order is numeric order, -0 keyed as +0) sorted with their cell
 * index by the stable parallel radix sort, then, with groups, the group
 * ids in that order sorted stably with the cell index: each group's cells
 * are then contiguous and in (value, index) order; (3) per group, in
 * parallel (one task writes one group), the cumulative weights in sorted
 * order, the quantiles by binary search on them, Gini, Palma and Theil by
 * one sorted pass each. Every floating-point sum has one fixed order, so
 * the result does not depend on the thread count.
 *
 * Invariant: C_k is non-decreasing (positive weights) and C_m == W
 * bitwise (W is that same sum), so every quantile finds a k <= m.
 */
#include "kernels/equity.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "common/alloc.h"
#include "kernels/parallel.h"
#include "kernels/radix.h"

/* A key in the numeric order of the non-NaN doubles (-0 as +0). */
static uint64_t value_key(double v)
{
    if (v == 0.0)
        v = 0.0;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) != 0 ? ~u : u | ((uint64_t)1 << 63);
}

/* The smallest k in [0, m) with cum[k] >= target (cum non-decreasing,
 * cum[m - 1] >= target). */
static int64_t first_reaching(const double *cum, int64_t m, double target)
{
    int64_t lo = 0, hi = m - 1;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (cum[mid] >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/*
 * The sorted statistics of one group: its m cells, their indices si[0 ..
 * m-1] in (value, index) order; cum (scratch [m]) gets the cumulative
 * weights.
 */
static void group_sorted(int64_t m, const int32_t *si, const double *values,
                         const double *w, const am_equity_spec *spec,
                         double *cum, am_equity_stats *st, double *pct)
{
    double c = 0.0, s = 0.0;
    int bad = 0; /* a negative or infinite value */
    for (int64_t k = 0; k < m; k++) {
        const int32_t i = si[k];
        c += w[i];
        cum[k] = c;
        s += w[i] * values[i];
        bad |= values[i] < 0.0 || isinf(values[i]);
    }
    const double wt = c;
    st->median = values[si[first_reaching(cum, m, 0.5 * wt)]];
    st->min = values[si[0]];
    st->max = values[si[m - 1]];
    for (int32_t q = 0; q < spec->n_pct; q++)
        pct[q] = values[si[first_reaching(cum, m, spec->pct[q] / 100.0 * wt)]];
    st->gini = st->palma = st->theil = NAN;
    if (bad || !(s > 0.0))
        return;
    if (st->min == st->max) {
        st->gini = 0.0;
        st->theil = 0.0;
        st->palma = 0.25;
        return;
    }
    const double mu = s / wt;
    const double b40 = 0.4 * wt, t90 = 0.9 * wt;
    double g = 0.0, th = 0.0, bottom = 0.0, top = 0.0, prev = 0.0;
    for (int64_t k = 0; k < m; k++) {
        const int32_t i = si[k];
        const double x = values[i], ck = cum[k];
        g += w[i] * x * (prev + ck - wt);
        if (x > 0.0) {
            const double r = x / mu;
            th += w[i] * r * log(r);
        }
        if (prev < b40)
            bottom += ((ck < b40 ? ck : b40) - prev) * x;
        if (ck > t90)
            top += (ck - (prev > t90 ? prev : t90)) * x;
        prev = ck;
    }
    st->gini = g / (wt * s);
    st->theil = th / wt;
    st->palma = bottom > 0.0 ? top / bottom : (top > 0.0 ? INFINITY : NAN);
}

am_status am_equity_run(int32_t n, const double *values, const double *w,
                        const uint32_t *time_ds, const int32_t *group,
                        int32_t n_groups, const am_equity_spec *spec,
                        int n_threads, am_equity_stats *stats, double *pct,
                        double *below, double *beyond, am_error *err)
{
    uint64_t *key = NULL, *key2 = NULL;
    uint32_t *gkey = NULL, *gkey2 = NULL;
    int32_t *idx = NULL, *idx2 = NULL;
    int64_t *hist = NULL, *start = NULL;
    double *cum = NULL;
    am_status rc = AM_OK;

    if (spec == NULL || stats == NULL || n < 0 || n_groups < 1 ||
        (group == NULL && n_groups != 1) || spec->n_pct < 0 ||
        spec->n_levels < 0 || spec->n_cutoffs < 0 ||
        (spec->n_pct > 0 && (spec->pct == NULL || pct == NULL)) ||
        (spec->n_levels > 0 && (spec->level == NULL || below == NULL)) ||
        (spec->n_cutoffs > 0 &&
         (spec->cutoff_ds == NULL || beyond == NULL || time_ds == NULL)) ||
        (n > 0 && (values == NULL || w == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "equity: NULL argument or negative count");
    for (int32_t q = 0; q < spec->n_pct; q++)
        if (!(spec->pct[q] >= 0.0 && spec->pct[q] <= 100.0))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity: percentile %g is not in [0, 100]",
                                spec->pct[q]);
    const int32_t np = spec->n_pct, nl = spec->n_levels, nc = spec->n_cutoffs;

    /* (1) cell-order sums. */
    for (int32_t g = 0; g < n_groups; g++) {
        stats[g] = (am_equity_stats){0,   0.0, 0.0, NAN, NAN, NAN,
                                     NAN, NAN, NAN, 0,   0.0};
        for (int32_t l = 0; l < nl; l++)
            below[(int64_t)g * nl + l] = 0.0;
        for (int32_t c = 0; c < nc; c++)
            beyond[(int64_t)g * nc + c] = 0.0;
        for (int32_t q = 0; q < np; q++)
            pct[(int64_t)g * np + q] = NAN;
    }
    int64_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        const int32_t g = group != NULL ? group[i] : 0;
        if (g >= n_groups)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "equity: cell %d has group %d, beyond the "
                                "%d groups",
                                (int)i, (int)g, (int)n_groups);
        if (g < 0 || !(w[i] > 0.0))
            continue;
        am_equity_stats *st = &stats[g];
        st->n_time_cells++;
        st->time_weight += w[i];
        for (int32_t c = 0; c < nc; c++)
            if (time_ds[i] > spec->cutoff_ds[c])
                beyond[(int64_t)g * nc + c] += w[i];
        if (isnan(values[i]))
            continue;
        st->n_cells++;
        st->weight += w[i];
        st->mean += w[i] * values[i];
        for (int32_t l = 0; l < nl; l++)
            if (values[i] < spec->level[l])
                below[(int64_t)g * nl + l] += w[i];
        k++;
    }
    for (int32_t g = 0; g < n_groups; g++) {
        am_equity_stats *st = &stats[g];
        for (int32_t c = 0; c < nc; c++)
            beyond[(int64_t)g * nc + c] =
                st->time_weight > 0.0
                    ? beyond[(int64_t)g * nc + c] / st->time_weight
                    : NAN;
        for (int32_t l = 0; l < nl; l++)
            below[(int64_t)g * nl + l] =
                st->weight > 0.0 ? below[(int64_t)g * nl + l] / st->weight
                                 : NAN;
        st->mean = st->weight > 0.0 ? st->mean / st->weight : NAN;
    }
    if (k == 0)
        goto done;

    /* (2) one sort by value, then (with groups) a stable one by group. */
    const int nt = am_parallel_threads(n_threads);
    key = am_alloc_array((size_t)k, sizeof *key);
    key2 = am_alloc_array((size_t)k, sizeof *key2);
    idx = am_alloc_array((size_t)k, sizeof *idx);
    idx2 = am_alloc_array((size_t)k, sizeof *idx2);
    cum = am_alloc_array((size_t)k, sizeof *cum);
    start = am_alloc_array((size_t)n_groups + 1, sizeof *start);
    hist = am_alloc_array((size_t)nt * AM_RADIX_DIGITS, sizeof *hist);
    if (key == NULL || key2 == NULL || idx == NULL || idx2 == NULL ||
        cum == NULL || start == NULL || hist == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "equity: out of memory sorting %lld cells",
                          (long long)k);
        goto done;
    }
    k = 0;
    for (int32_t i = 0; i < n; i++) {
        const int32_t g = group != NULL ? group[i] : 0;
        if (g < 0 || !(w[i] > 0.0) || isnan(values[i]))
            continue;
        key[k] = value_key(values[i]);
        idx[k] = i;
        k++;
    }
    const int32_t *si =
        am_radix_sort_u64(k, key, idx, key2, idx2, nt, hist) ? idx2 : idx;
    if (group != NULL && n_groups > 1) {
        /* The value keys are done with: their storage holds the group
         * keys (and the indices the other index buffer). */
        gkey = (uint32_t *)key;
        gkey2 = (uint32_t *)key2;
        int32_t *gi = si == idx ? idx : idx2;
        int32_t *gi2 = si == idx ? idx2 : idx;
        for (int64_t q = 0; q < k; q++)
            gkey[q] = (uint32_t)group[gi[q]];
        si = am_radix_sort_u32(k, gkey, gi, gkey2, gi2, nt, hist) ? gi2 : gi;
    }
    start[0] = 0;
    for (int32_t g = 0; g < n_groups; g++)
        start[g + 1] = start[g] + stats[g].n_cells;

        /* (3) per group, in parallel; each task writes its group only. */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) default(none)    \
    shared(n_groups, start, si, values, w, spec, cum, stats, pct, np)
    for (int32_t g = 0; g < n_groups; g++) {
        const int64_t m = start[g + 1] - start[g];
        if (m > 0)
            group_sorted(m, si + start[g], values, w, spec, cum + start[g],
                         &stats[g], np > 0 ? pct + (int64_t)g * np : NULL);
    }

done:
    am_free(key);
    am_free(key2);
    am_free(idx);
    am_free(idx2);
    am_free(cum);
    am_free(start);
    am_free(hist);
    return rc;
}
