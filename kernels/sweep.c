/*
 * sweep.c: the candidate sweep (sweep.h): for every candidate, what adding
 * it alone to the existing facilities changes, from its catchment row
 * only.
 *
 * Coverage columns: one pass over the row (cells ascending), each sum in
 * that order.
 *
 * 2SFCA columns (Luo & Wang 2003: R_j depends only on the demand in j's
 * catchment, so a new site c leaves every existing R_j as it was, adds
 * R_c = s_c / D_c and raises a_i by delta_i = R_c dw[t_ic] inside the
 * row only). Let C be the row's cells with w_i > 0 and dw[t_ic] > 0 (the
 * changed cells), x_i their baseline and y_i = x_i + delta_i their new
 * value; every other cell keeps its value. The statistics are those of
 * equity.h over the cells with w > 0 (W, S = sum w x, mu = S / W):
 *
 *  - mean: d_mean = sum_C w_i delta_i / W (W in cell-index order, as the
 *    equity kernel's mean).
 *  - Gini = MD / (2 W S), MD = sum_i sum_j w_i w_j |x_i - x_j| over all
 *    ordered pairs (equity.h's mean-difference form). With F(v) =
 *    sum_j w_j |v - x_j| over the baseline and G(v) the same over C's
 *    baseline values only (so F - G is the sum over the unchanged cells),
 *      MD' - MD = 2 sum_C w_i [(F - G)(y_i) - (F - G)(x_i)]
 *                 + P(C, y) - P(C, x),
 *    P(C, .) the pair sum within C (from C sorted, as equity.c's
 *    formula). F(y) - F(x) = (y - x)(2 W_<=(x) - W)
 *    + 2 sum_{x < x_j <= y} w_j (y - x_j), one binary search in the
 *    baseline's distinct values with prefix sums of w and w x (and the
 *    same in C's sorted baseline values for G). Then
 *      d_gini = ((MD' - MD) S - MD dS) / (2 W S (S + dS)).
 *  - bottom decile: the mean of the lowest 0.1 W of the population, the
 *    population the continuum [0, W] in sorted order and a cell straddling
 *    0.1 W split (as equity.h's Palma shares): B(L) = S_<(v) + (L -
 *    W_<(v)) v, v = the lower weighted quantile at L = 0.1 W. After the
 *    change W'_<=(v) = W_<=(v) - W^C_<=(v; x) + W^C_<=(v; y); v' is the
 *    smaller of the first baseline value and the first new value where it
 *    reaches L (two binary searches; v' >= v since values only rise).
 *
 * Cost per candidate with k cells in its row: two radix sorts of the
 * changed cells (by old and new value) and O(log n + log k) binary
 * searches per changed cell: O(k log n). The baseline is sorted once
 * (stable radix sort of the value bits, as equity.c), and a bucket index
 * over its value range (about 4 distinct values a bucket) narrows each
 * search in it to one bucket: one or two cache misses instead of a
 * dozen on a million cells (same counts, so the same bytes).
 *
 * Determinism: one task per candidate, which writes only that candidate's
 * outputs and sums in a fixed order (row order; sorted order); the
 * baseline is prepared serially (and by the deterministic radix sort).
 * Every per-thread workspace is allocated before the parallel region, so
 * no error arises inside it.
 */
#include "kernels/sweep.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/parallel.h"
#include "kernels/radix.h"

/* Non-negative doubles in numeric order as unsigned keys (-0 as +0). */
static uint64_t pos_key(double v)
{
    if (v == 0.0)
        v = 0.0;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* One entry of a sorted weighted sample: a value, and the cumulative
 * weight and weighted value through it (interleaved: a binary search's
 * last probe brings all three in one cache line). */
typedef struct dist_entry {
    double v, cw, cs;
} dist_entry;

/* A sorted weighted sample, values ascending. */
typedef struct sorted_dist {
    int64_t n;
    dist_entry *e;
} sorted_dist;

/* The number of a[0 .. n-1] (ascending) that are <= v. */
static int64_t count_le(const dist_entry *a, int64_t n, double v)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (a[mid].v <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The number of a[0 .. n-1] (ascending) that are < v. */
static int64_t count_lt(const dist_entry *a, int64_t n, double v)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (a[mid].v < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The number of a[0 .. n-1] (ascending) that are <= v, given that the
 * first lo are: galloping from lo (a new value is usually near its old
 * one in the sorted order, so this touches few cache lines). */
static int64_t count_le_from(const dist_entry *a, int64_t lo, int64_t n,
                             double v)
{
    int64_t step = 1, hi = lo;
    while (hi < n && a[hi].v <= v) {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    if (hi > n)
        hi = n;
    return lo + count_le(a + lo, hi - lo, v);
}

/* The cumulative weight and weighted value of the first count entries. */
static double wcum(const sorted_dist *d, int64_t count)
{
    return count > 0 ? d->e[count - 1].cw : 0.0;
}

static double scum(const sorted_dist *d, int64_t count)
{
    return count > 0 ? d->e[count - 1].cs : 0.0;
}

/* F(y) - F(x) for F(v) = sum_j w_j |v - v_j| over d, x <= y, where
 * x has nx entries <= it and y ny. */
static double dist_rise(const sorted_dist *d, double total, int64_t nx,
                        int64_t ny, double x, double y)
{
    const double wx = wcum(d, nx), sx = scum(d, nx);
    const double wy = wcum(d, ny), sy = scum(d, ny);
    return (y - x) * (2.0 * wx - total) + 2.0 * (y * (wy - wx) - (sy - sx));
}

/* sum_i sum_j w_i w_j |v_i - v_j| over d (equity.c's sorted formula). */
static double pair_sum(const sorted_dist *d)
{
    const double total = wcum(d, d->n);
    double g = 0.0, prev = 0.0;
    for (int64_t k = 0; k < d->n; k++) {
        const double ck = d->e[k].cw;
        g += (ck - prev) * d->e[k].v * (prev + ck - total);
        prev = ck;
    }
    return 2.0 * g;
}

/* The baseline over the cells with w > 0: distinct values ascending. */
typedef struct baseline {
    sorted_dist d;   /* distinct values, cumulative through each */
    int32_t *vidx;   /* [n_cells] index in d.e of the cell's value; -1 */
    double w_index;  /* W summed in cell-index order (the mean's) */
    double w, s, md; /* sorted-order W, S and the pair sum MD */
    double low;      /* L = 0.1 W */
    int64_t q_low;   /* first index with cumulative weight >= L */
    double b_low;    /* B(L) of the baseline */
    /* A bucket index over the values: bucket_of(v) is non-decreasing in
     * v, and bucket k's values are d.e[first[k] .. first[k + 1]). */
    int64_t n_buckets;
    int32_t *first; /* [n_buckets + 1] */
    double v_min, scale;
    int ok;      /* W > 0 */
    int gini_ok; /* S > 0 */
} baseline;

/* The bucket of v: (v - v_min) scale, truncated and clamped to [0,
 * n_buckets); every step is monotone in v (rounding included), so a value
 * in a lower bucket is smaller and one in a higher bucket larger. */
static int64_t bucket_of(const baseline *b, double v)
{
    const double t = (v - b->v_min) * b->scale;
    if (!(t > 0.0))
        return 0;
    if (t >= (double)(b->n_buckets - 1))
        return b->n_buckets - 1;
    return (int64_t)t;
}

/* The number of baseline values <= v, and < v: only v's bucket searched. */
static int64_t base_count_le(const baseline *b, double v)
{
    const int64_t k = bucket_of(b, v), lo = b->first[k];
    return lo + count_le(b->d.e + lo, b->first[k + 1] - lo, v);
}

static int64_t base_count_lt(const baseline *b, double v)
{
    const int64_t k = bucket_of(b, v), lo = b->first[k];
    return lo + count_lt(b->d.e + lo, b->first[k + 1] - lo, v);
}

/* One thread's scratch for rows of up to k_max cells. */
typedef struct workspace {
    int32_t *cell; /* changed cells in row order */
    double *w, *x, *y;
    uint64_t *key, *key2;
    int32_t *idx, *idx2;
    int32_t *le_old; /* per changed cell: old values <= its old value */
    int64_t hist[AM_RADIX_DIGITS];
    sorted_dist old_c, new_c;
} workspace;

static void workspace_free(workspace *ws)
{
    am_free(ws->cell);
    am_free(ws->w);
    am_free(ws->x);
    am_free(ws->y);
    am_free(ws->key);
    am_free(ws->key2);
    am_free(ws->idx);
    am_free(ws->idx2);
    am_free(ws->le_old);
    am_free(ws->old_c.e);
    am_free(ws->new_c.e);
}

static int workspace_alloc(workspace *ws, int64_t k_max)
{
    const size_t k = (size_t)k_max;
    memset(ws, 0, sizeof *ws);
    ws->cell = am_alloc_array(k, sizeof *ws->cell);
    ws->w = am_alloc_array(k, sizeof *ws->w);
    ws->x = am_alloc_array(k, sizeof *ws->x);
    ws->y = am_alloc_array(k, sizeof *ws->y);
    ws->key = am_alloc_array(k, sizeof *ws->key);
    ws->key2 = am_alloc_array(k, sizeof *ws->key2);
    ws->idx = am_alloc_array(k, sizeof *ws->idx);
    ws->idx2 = am_alloc_array(k, sizeof *ws->idx2);
    ws->le_old = am_alloc_array(k, sizeof *ws->le_old);
    ws->old_c.e = am_alloc_array(k, sizeof(dist_entry));
    ws->new_c.e = am_alloc_array(k, sizeof(dist_entry));
    return ws->cell != NULL && ws->w != NULL && ws->x != NULL &&
           ws->y != NULL && ws->key != NULL && ws->key2 != NULL &&
           ws->idx != NULL && ws->idx2 != NULL && ws->le_old != NULL &&
           ws->old_c.e != NULL && ws->new_c.e != NULL;
}

/* Sorts the k changed cells by val (then by row position) into d; le
 * (NULL: not wanted) gets each cell's count of values <= its own. */
static void sort_changed(workspace *ws, int64_t k, const double *val,
                         sorted_dist *d, int32_t *le)
{
    for (int64_t q = 0; q < k; q++) {
        ws->key[q] = pos_key(val[q]);
        ws->idx[q] = (int32_t)q;
    }
    const int32_t *si =
        am_radix_sort_u64(k, ws->key, ws->idx, ws->key2, ws->idx2, 1, ws->hist)
            ? ws->idx2
            : ws->idx;
    double c = 0.0, s = 0.0;
    for (int64_t q = 0; q < k; q++) {
        const int32_t j = si[q];
        c += ws->w[j];
        s += ws->w[j] * val[j];
        d->e[q] = (dist_entry){val[j], c, s};
    }
    d->n = k;
    if (le != NULL)
        for (int64_t q = 0; q < k;) {
            int64_t e = q + 1;
            while (e < k && d->e[e].v == d->e[q].v)
                e++;
            for (; q < e; q++)
                le[si[q]] = (int32_t)e;
        }
}

/* W'_<=(v) after the change: baseline minus C's old plus C's new. */
static double new_weight_le(const baseline *b, const workspace *ws, double v)
{
    return wcum(&b->d, base_count_le(b, v)) -
           wcum(&ws->old_c, count_le(ws->old_c.e, ws->old_c.n, v)) +
           wcum(&ws->new_c, count_le(ws->new_c.e, ws->new_c.n, v));
}

/* B(L) after the change (see the file comment). */
static double new_bottom(const baseline *b, const workspace *ws)
{
    const double low = b->low;
    /* First baseline value where W'_<= reaches L (from the old one on). */
    int64_t lo = b->q_low, hi = b->d.n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        const double v = b->d.e[mid].v;
        const double wle =
            b->d.e[mid].cw -
            wcum(&ws->old_c, count_le(ws->old_c.e, ws->old_c.n, v)) +
            wcum(&ws->new_c, count_le(ws->new_c.e, ws->new_c.n, v));
        if (wle >= low)
            hi = mid;
        else
            lo = mid + 1;
    }
    double v = lo < b->d.n ? b->d.e[lo].v : INFINITY;
    /* First new value where it does. */
    int64_t l2 = 0, h2 = ws->new_c.n;
    while (l2 < h2) {
        const int64_t mid = l2 + (h2 - l2) / 2;
        if (new_weight_le(b, ws, ws->new_c.e[mid].v) >= low)
            h2 = mid;
        else
            l2 = mid + 1;
    }
    if (l2 < ws->new_c.n && ws->new_c.e[l2].v < v)
        v = ws->new_c.e[l2].v;
    if (isinf(v)) /* rounding only: the largest value of either */
        v = fmax(b->d.e[b->d.n - 1].v,
                 ws->new_c.n > 0 ? ws->new_c.e[ws->new_c.n - 1].v : 0.0);
    const int64_t nb = base_count_lt(b, v);
    const int64_t no = count_lt(ws->old_c.e, ws->old_c.n, v);
    const int64_t nn = count_lt(ws->new_c.e, ws->new_c.n, v);
    const double wlt =
        wcum(&b->d, nb) - wcum(&ws->old_c, no) + wcum(&ws->new_c, nn);
    const double slt =
        scum(&b->d, nb) - scum(&ws->old_c, no) + scum(&ws->new_c, nn);
    return slt + (low - wlt) * v;
}

/* Everything for candidate c (one task). */
static void sweep_one(const am_sel_instance *in, const am_sweep_params *prm,
                      const baseline *b, workspace *ws, int32_t c,
                      const am_sweep_row *out)
{
    const int64_t r0 = in->row[c], r1 = in->row[c + 1];
    const int32_t nc = prm->n_cutoffs;
    double *nw =
        out->newly_within != NULL ? out->newly_within + (int64_t)c * nc : NULL;
    if (nw != NULL)
        for (int32_t k = 0; k < nc; k++)
            nw[k] = 0.0;
    double changed = 0.0, saved_ds = 0.0, demand = 0.0;
    const uint32_t pen = prm->penalty_ds;
    for (int64_t r = r0; r < r1; r++) {
        const int32_t i = in->cell[r];
        const uint32_t t = in->time_ds[r], bt = in->base_ds[i];
        const double w = in->weight[i];
        if (nw != NULL)
            for (int32_t k = 0; k < nc; k++)
                if (t <= prm->cutoff_ds[k] && prm->cutoff_ds[k] < bt)
                    nw[k] += w;
        if (t < bt)
            changed += w;
        const uint32_t before = bt < pen ? bt : pen;
        const uint32_t after = t < before ? t : before;
        saved_ds += w * (double)(before - after);
        if (prm->dw == NULL)
            demand += w;
        else if (t <= prm->dw_limit_ds)
            demand += w * prm->dw[t];
    }
    if (out->nearest_changed != NULL)
        out->nearest_changed[c] = changed;
    if (out->time_saved_min != NULL)
        out->time_saved_min[c] = saved_ds / 600.0;
    if (out->no_demand != NULL)
        out->no_demand[c] = demand == 0.0;
    if (out->d_mean == NULL && out->d_bottom10 == NULL && out->d_gini == NULL)
        return;
    double dm = NAN, db = NAN, dg = NAN;
    if (prm->base_access != NULL && b->ok) {
        const double supply = prm->supply != NULL ? prm->supply[c] : 1.0;
        const double ratio = demand > 0.0 ? supply / demand : 0.0;
        /* The changed cells, in row order. */
        int64_t k = 0;
        double ds = 0.0;
        if (demand > 0.0)
            for (int64_t r = r0; r < r1; r++) {
                const int32_t i = in->cell[r];
                const uint32_t t = in->time_ds[r];
                if (!(in->weight[i] > 0.0) || t > prm->dw_limit_ds ||
                    !(prm->dw[t] > 0.0))
                    continue;
                const double delta = ratio * prm->dw[t];
                ws->cell[k] = i;
                ws->w[k] = in->weight[i];
                ws->x[k] = prm->base_access[i];
                ws->y[k] = prm->base_access[i] + delta;
                ds += ws->w[k] * delta;
                k++;
            }
        sort_changed(ws, k, ws->x, &ws->old_c, ws->le_old);
        sort_changed(ws, k, ws->y, &ws->new_c, NULL);
        dm = ds / b->w_index;
        /* Bottom decile. */
        db = (new_bottom(b, ws) - b->b_low) / b->low;
        /* Gini. */
        if (b->gini_ok) {
            const double wc = wcum(&ws->old_c, k);
            double rise = 0.0;
            for (int64_t q = 0; q < k; q++) {
                const double x = ws->x[q], y = ws->y[q];
                const int64_t nx = b->vidx[ws->cell[q]] + 1;
                const int64_t ncx = ws->le_old[q];
                const int64_t ny = base_count_le(b, y);
                const int64_t ncy =
                    count_le_from(ws->old_c.e, ncx, ws->old_c.n, y);
                rise += ws->w[q] * (dist_rise(&b->d, b->w, nx, ny, x, y) -
                                    dist_rise(&ws->old_c, wc, ncx, ncy, x, y));
            }
            const double dmd =
                2.0 * rise + pair_sum(&ws->new_c) - pair_sum(&ws->old_c);
            dg = (dmd * b->s - b->md * ds) / (2.0 * b->w * b->s * (b->s + ds));
        }
    }
    if (out->d_mean != NULL)
        out->d_mean[c] = dm;
    if (out->d_bottom10 != NULL)
        out->d_bottom10[c] = db;
    if (out->d_gini != NULL)
        out->d_gini[c] = dg;
}

/* The instance and parameters, all of them (O(cells + pairs)). */
static am_status validate(const am_sel_instance *in, const am_sweep_params *prm,
                          const am_sweep_row *out, am_error *err)
{
    if (in == NULL || prm == NULL || out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "sweep: NULL argument");
    if (in->n_cells < 0 || in->n_cand < 0 || in->row == NULL ||
        (in->n_cells > 0 && (in->weight == NULL || in->base_ds == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "sweep: negative size or NULL instance array");
    if (in->row[0] != 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "sweep: row[0] is %lld, not 0",
                            (long long)in->row[0]);
    for (int32_t c = 0; c < in->n_cand; c++)
        if (in->row[c + 1] < in->row[c])
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "sweep: candidate %d's row ends before it "
                                "starts",
                                (int)c);
    const int64_t nnz = in->row[in->n_cand];
    if (nnz > 0 && (in->cell == NULL || in->time_ds == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "sweep: NULL cell or time array");
    for (int32_t c = 0; c < in->n_cand; c++)
        for (int64_t r = in->row[c]; r < in->row[c + 1]; r++) {
            const int32_t i = in->cell[r];
            if (i < 0 || i >= in->n_cells ||
                (r > in->row[c] && i <= in->cell[r - 1]))
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "sweep: candidate %d: cell %d out of range "
                                    "or not ascending",
                                    (int)c, (int)i);
            if (in->time_ds[r] >= AM_TIME_INF)
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "sweep: candidate %d: cell %d has an "
                                    "infinite time",
                                    (int)c, (int)i);
        }
    for (int32_t i = 0; i < in->n_cells; i++) {
        if (!(isfinite(in->weight[i]) && in->weight[i] >= 0.0))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "sweep: cell %d has weight %g (finite, >= 0 "
                                "expected)",
                                (int)i, in->weight[i]);
        if (prm->base_access != NULL &&
            !(isfinite(prm->base_access[i]) && prm->base_access[i] >= 0.0))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "sweep: cell %d has baseline accessibility %g "
                                "(finite, >= 0 expected)",
                                (int)i, prm->base_access[i]);
    }
    if (prm->n_cutoffs < 0 || (prm->n_cutoffs > 0 && prm->cutoff_ds == NULL &&
                               out->newly_within != NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "sweep: %d cutoffs without their array",
                            (int)prm->n_cutoffs);
    if (out->newly_within != NULL)
        for (int32_t k = 1; k < prm->n_cutoffs; k++)
            if (prm->cutoff_ds[k] < prm->cutoff_ds[k - 1])
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "sweep: cutoffs not ascending (%lu ds "
                                    "after %lu ds)",
                                    (unsigned long)prm->cutoff_ds[k],
                                    (unsigned long)prm->cutoff_ds[k - 1]);
    if (out->time_saved_min != NULL &&
        (prm->penalty_ds == 0 || prm->penalty_ds >= AM_TIME_INF))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "sweep: time saved needs a finite penalty > 0 ds "
                            "(got %lu)",
                            (unsigned long)prm->penalty_ds);
    if (prm->base_access != NULL && prm->dw == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "sweep: baseline accessibility without a decay "
                            "table");
    if (prm->dw != NULL) {
        if (prm->dw_limit_ds >= AM_TIME_INF)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "sweep: decay limit %lu ds is not finite",
                                (unsigned long)prm->dw_limit_ds);
        for (uint32_t t = 0; t <= prm->dw_limit_ds; t++)
            if (!(isfinite(prm->dw[t]) && prm->dw[t] >= 0.0))
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "sweep: decay weight %g at %lu ds "
                                    "(finite, >= 0 expected)",
                                    prm->dw[t], (unsigned long)t);
    }
    if (prm->supply != NULL)
        for (int32_t c = 0; c < in->n_cand; c++)
            if (!(isfinite(prm->supply[c]) && prm->supply[c] >= 0.0))
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "sweep: candidate %d has supply %g "
                                    "(finite, >= 0 expected)",
                                    (int)c, prm->supply[c]);
    return AM_OK;
}

/* Sorts the baseline once: distinct values with prefix sums, each cell's
 * value index, W, S, MD and B(0.1 W). */
static am_status baseline_build(const am_sel_instance *in, const double *a,
                                int nt, baseline *b, am_error *err)
{
    const int32_t n = in->n_cells;
    uint64_t *key = NULL, *key2 = NULL;
    int32_t *idx = NULL, *idx2 = NULL;
    int64_t *hist = NULL;
    am_status rc = AM_OK;
    int64_t m = 0;
    b->w_index = 0.0;
    for (int32_t i = 0; i < n; i++)
        if (in->weight[i] > 0.0) {
            b->w_index += in->weight[i];
            m++;
        }
    key = am_alloc_array((size_t)m, sizeof *key);
    key2 = am_alloc_array((size_t)m, sizeof *key2);
    idx = am_alloc_array((size_t)m, sizeof *idx);
    idx2 = am_alloc_array((size_t)m, sizeof *idx2);
    hist = am_alloc_array((size_t)nt * AM_RADIX_DIGITS, sizeof *hist);
    b->vidx = am_alloc_array((size_t)n, sizeof *b->vidx);
    b->d.e = am_alloc_array((size_t)m, sizeof(dist_entry));
    b->first = am_alloc_array((size_t)m / 4 + 2, sizeof *b->first);
    if (key == NULL || key2 == NULL || idx == NULL || idx2 == NULL ||
        hist == NULL || b->vidx == NULL || b->d.e == NULL || b->first == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "sweep: out of memory sorting %lld cells",
                          (long long)m);
        goto done;
    }
    m = 0;
    for (int32_t i = 0; i < n; i++) {
        b->vidx[i] = -1;
        if (in->weight[i] > 0.0) {
            key[m] = pos_key(a[i]);
            idx[m] = i;
            m++;
        }
    }
    const int32_t *si =
        am_radix_sort_u64(m, key, idx, key2, idx2, nt, hist) ? idx2 : idx;
    double c = 0.0, s = 0.0, g = 0.0, prev = 0.0;
    int64_t d = 0;
    for (int64_t k = 0; k < m; k++) {
        const int32_t i = si[k];
        c += in->weight[i];
        s += in->weight[i] * a[i];
        if (d == 0 || a[i] != b->d.e[d - 1].v)
            d++;
        b->d.e[d - 1] = (dist_entry){a[i], c, s};
        b->vidx[i] = (int32_t)(d - 1);
    }
    b->d.n = d;
    /* About 4 distinct values a bucket (values spread evenly). */
    b->n_buckets = d / 4 + 1;
    b->v_min = d > 0 ? b->d.e[0].v : 0.0;
    const double span = d > 0 ? b->d.e[d - 1].v - b->v_min : 0.0;
    b->scale = span > 0.0 ? (double)b->n_buckets / span : 0.0;
    for (int64_t k = 0, q = 0; k <= b->n_buckets; k++) {
        while (q < d && bucket_of(b, b->d.e[q].v) < k)
            q++;
        b->first[k] = (int32_t)q;
    }
    /* MD from the cells in sorted order (equity.c's sum, ties in any
     * order give the same terms' total up to rounding; 0 when all equal,
     * as there). */
    for (int64_t k = 0; k < m; k++) {
        const int32_t i = si[k];
        const double ck = prev + in->weight[i];
        g += in->weight[i] * a[i] * (prev + ck - c);
        prev = ck;
    }
    b->w = c;
    b->s = s;
    b->md = d > 1 ? 2.0 * g : 0.0;
    b->ok = m > 0;
    b->gini_ok = s > 0.0;
    b->low = 0.1 * c;
    if (b->ok) {
        int64_t lo = 0, hi = d - 1;
        while (lo < hi) {
            const int64_t mid = lo + (hi - lo) / 2;
            if (b->d.e[mid].cw >= b->low)
                hi = mid;
            else
                lo = mid + 1;
        }
        b->q_low = lo;
        b->b_low = scum(&b->d, lo) + (b->low - wcum(&b->d, lo)) * b->d.e[lo].v;
    }

done:
    am_free(key);
    am_free(key2);
    am_free(idx);
    am_free(idx2);
    am_free(hist);
    return rc;
}

am_status am_sweep_run(const am_sel_instance *in, const am_sweep_params *prm,
                       am_sweep_row *out, am_error *err)
{
    am_status rc = validate(in, prm, out, err);
    if (rc != AM_OK)
        return rc;
    const int nt = am_parallel_threads(prm->n_threads);
    const int need_2sfca =
        prm->base_access != NULL &&
        (out->d_mean != NULL || out->d_bottom10 != NULL || out->d_gini != NULL);
    baseline b;
    memset(&b, 0, sizeof b);
    workspace *ws = NULL;
    int n_ws = 0;
    if (need_2sfca) {
        rc = baseline_build(in, prm->base_access, nt, &b, err);
        if (rc != AM_OK)
            goto done;
        int64_t k_max = 0;
        for (int32_t c = 0; c < in->n_cand; c++)
            if (in->row[c + 1] - in->row[c] > k_max)
                k_max = in->row[c + 1] - in->row[c];
        ws = am_calloc_array((size_t)nt, sizeof *ws);
        if (ws == NULL)
            goto nomem;
        for (; n_ws < nt; n_ws++)
            if (!workspace_alloc(&ws[n_ws], k_max)) {
                n_ws++; /* partly allocated: freed below */
                goto nomem;
            }
    }

    const int32_t n_cand = in->n_cand;
    const am_sweep_row rows = *out;
    const baseline *bp = &b;
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(n_cand, in, prm, bp, ws, rows)
    {
        workspace *mine = ws != NULL ? &ws[omp_get_thread_num()] : NULL;
#pragma omp for schedule(dynamic, 16)
        for (int32_t c = 0; c < n_cand; c++)
            sweep_one(in, prm, bp, mine, c, &rows);
    }
    goto done;

nomem:
    rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                      "sweep: out of memory for %d thread workspaces", nt);
done:
    for (int t = 0; t < n_ws; t++)
        workspace_free(&ws[t]);
    am_free(ws);
    am_free(b.vidx);
    am_free(b.d.e);
    am_free(b.first);
    return rc;
}
