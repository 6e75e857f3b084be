/*
 * measures.c: 2SFCA, nearest facility, coverage and weighted summaries
 * (see measures.h).
 *
 * Why: these are the numbers a planner reads; they must be exact enough to
 * audit and identical on a laptop and on a 64-core server.
 *
 * Two-step floating catchment area (Luo & Wang 2003, "Measures of spatial
 * accessibility to health care in a GIS environment", Environment and
 * Planning B 30(6):865-884), binary threshold d0, inclusive: am_fca_run is
 * the generalised 2SFCA of fca.c with a step at d0 (a table of ones):
 * am_fca_pairs_build at d0, D_j = am_fca_colsum with the population,
 * R_j = S_j / D_j (0 when D_j = 0, as this function always had it; the
 * measures of fca.h have NaN there), A_i = am_fca_rowsum of R. Each cell
 * counts once per facility, at its best link. The sums run in the orders
 * of the tuned binary 2SFCA that lived here (catchment order for D_j,
 * facility order per link, link 0 then link 1 for A_i), and a product by
 * the step's 1.0 is never formed, so results are bit for bit the same as
 * before (tested against a plain reference in tests/kernels/test_measures.c
 * and on the demo data).
 * Memory (am_fca_scratch_bytes): the pairs' link records and node rows
 * and colsum's scratch (fca.c): 20 bytes per present link, 2 or 4 bytes per
 * node and thread, 8 bytes per node and 4 (or 8) per catchment entry within
 * d0, and a transient split table of at most half a byte an entry.
 *
 * Nearest facility: min over the cell's links and the link node's row of
 * offset_l + t_vj, ties to the lowest facility index. A total above the
 * catchments' limit is reported as AM_TIME_INF / -1: the catchment only vouches
 * for times <= limit_ds, and a single rule keeps nearest, coverage and 2SFCA
 * consistent.
 *
 * Sums of times never overflow: offsets and stored times are < AM_TIME_INF
 * (2^31 - 1), so their sum fits in uint32_t.
 * Weighted median: the values' order keys (IEEE bits flipped so that
 * unsigned order is numeric order, -0 keyed as +0) sorted with their
 * indices by the shared stable LSD radix sort (radix.h), in parallel by
 * chunks; stable from index order, so the (value, index)
 * order of the comparison sort it replaced, and the same cumulative sums.
 * Allocation: am_fca_run (see above) and am_weighted_summary (24 bytes per
 * entry).
 */
#include "kernels/measures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/fca.h"
#include "kernels/parallel.h"
#include "kernels/radix.h"

/* 16-bit times (d0 < 65535) and the "absent" value in each width. */
#define FCA_T16_ABSENT 0xFFFFu

/* Bits to hold 0..x. */
static int bits_for(uint64_t x)
{
    int b = 0;
    while (b < 64 && (x >> b) != 0)
        b++;
    return b > 0 ? b : 1;
}

/* Whether the node rows of a run with n_fac facilities at threshold d0
 * use 32-bit keys (4 bytes an entry) rather than 64-bit (8). */
static int fca_keys32(int32_t n_fac, uint32_t d0)
{
    return bits_for(d0) + bits_for(n_fac > 0 ? (uint64_t)n_fac - 1 : 0) <= 32;
}

size_t am_fca_scratch_bytes(int32_t n_fac, int32_t n_nodes, int64_t n_links,
                            int n_threads, uint32_t d0, int64_t entries)
{
    const size_t nt = (size_t)am_parallel_threads(n_threads);
    const size_t dense = d0 < FCA_T16_ABSENT ? 2 : 4;
    const size_t key = fca_keys32(n_fac, d0) ? 4 : 8;
    return (size_t)n_links * 20 + nt * (size_t)n_nodes * dense +
           ((size_t)n_nodes + 1) * 8 +
           (size_t)(entries > 0 ? entries : 0) * (key + 1);
}

am_status am_fca_run(const am_fca_params *p, const am_catchments *fac_rows,
                     const am_demand *d, const double *supply, int n_threads,
                     double *fac_demand, double *fac_ratio, double *cell_access,
                     am_error *err)
{
    if (p == NULL || fac_rows == NULL || d == NULL ||
        (fac_rows->n_rows > 0 &&
         (supply == NULL || fac_demand == NULL || fac_ratio == NULL)) ||
        (d->n_cells > 0 && cell_access == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL, "2SFCA: NULL argument");
    if (p->kind != AM_MEASURE_2SFCA)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "FCA: unsupported measure kind %d", (int)p->kind);
    if (p->threshold_ds > fac_rows->limit_ds)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "2SFCA: threshold %lu ds exceeds the catchments' "
                            "limit %lu ds; compute catchments at the largest "
                            "threshold",
                            (unsigned long)p->threshold_ds,
                            (unsigned long)fac_rows->limit_ds);
    if (fac_rows->n_cols != d->n_nodes)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "2SFCA: sizes disagree (facility catchments "
                            "%ld x %ld, demand on %ld nodes)",
                            (long)fac_rows->n_rows, (long)fac_rows->n_cols,
                            (long)d->n_nodes);
    const int32_t n_fac = fac_rows->n_rows;
    for (int32_t j = 0; j < n_fac; j++) {
        if (!isfinite(supply[j]) || supply[j] < 0.0) {
            am_status rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                        "2SFCA: facility %ld has supply %g; "
                                        "expected a finite number >= 0",
                                        (long)j, supply[j]);
            am_error_set_feature(err, j);
            return rc;
        }
    }

    /* The generalised sums of fca.c with a step at d0 (a table of ones,
     * never read): D_j in catchment order, A_i in facility order per link,
     * the orders of the binary 2SFCA this was, so the same bits. */
    const uint32_t d0 = p->threshold_ds;
    am_fca_pairs *pairs = NULL;
    double *ones = am_alloc_array((size_t)d0 + 1, sizeof *ones);
    am_status rc = AM_OK;
    if (ones == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "2SFCA: out of memory for %ld cells on %ld nodes",
                          (long)d->n_cells, (long)d->n_nodes);
        goto done;
    }
    for (uint32_t t = 0;; t++) {
        ones[t] = 1.0;
        if (t == d0)
            break;
    }
    if ((rc = am_fca_pairs_build(fac_rows, d, d0, n_threads, &pairs, err)) !=
            AM_OK ||
        (rc = am_fca_colsum(pairs, NULL, ones, n_threads, fac_demand, err)) !=
            AM_OK)
        goto done;
    for (int32_t j = 0; j < n_fac; j++)
        fac_ratio[j] = fac_demand[j] > 0.0 ? supply[j] / fac_demand[j] : 0.0;
    rc = am_fca_rowsum(pairs, fac_ratio, ones, n_threads, cell_access, err);
done:
    am_free(ones);
    am_fca_pairs_free(pairs);
    return rc;
}

am_status am_nearest_run(const am_catchments *node_rows, const am_demand *d,
                         int n_threads, uint32_t *time_ds, int32_t *facility,
                         am_error *err)
{
    if (node_rows == NULL || d == NULL ||
        (d->n_cells > 0 && (time_ds == NULL || facility == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "nearest: NULL argument");
    if (node_rows->n_rows != d->n_nodes)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "nearest: catchments have %ld node rows, demand "
                            "is on %ld nodes",
                            (long)node_rows->n_rows, (long)d->n_nodes);

    const int nt = am_parallel_threads(n_threads);
    const int32_t n_cells = d->n_cells;
    const uint32_t limit = node_rows->limit_ds;

#pragma omp parallel for schedule(dynamic, 64) num_threads(nt) default(none)   \
    shared(node_rows, d, time_ds, facility, n_cells, limit)
    for (int32_t i = 0; i < n_cells; i++) {
        uint32_t best = AM_TIME_INF;
        int32_t best_j = -1;
        for (int k = 0; k < AM_DEMAND_LINKS; k++) {
            const int32_t v = d->link_node[AM_DEMAND_LINKS * i + k];
            if (v < 0)
                continue;
            const uint32_t off = d->link_offset_ds[AM_DEMAND_LINKS * i + k];
            for (int64_t e = node_rows->first[v]; e < node_rows->first[v + 1];
                 e++) {
                const uint32_t t = off + am_catchments_time(node_rows, e);
                const int32_t j = node_rows->col[e];
                if (t < best || (t == best && j < best_j)) {
                    best = t;
                    best_j = j;
                }
            }
        }
        if (best > limit) {
            best = AM_TIME_INF;
            best_j = -1;
        }
        time_ds[i] = best;
        facility[i] = best_j;
    }
    return AM_OK;
}

am_status am_coverage_run(const am_demand *d, const uint32_t *nearest_ds,
                          int32_t n_cutoffs, const uint32_t *cutoff_ds,
                          double *pop_within, am_error *err)
{
    if (d == NULL || n_cutoffs < 0 ||
        (n_cutoffs > 0 && (cutoff_ds == NULL || pop_within == NULL)) ||
        (d->n_cells > 0 && nearest_ds == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "coverage: NULL argument or negative cutoff "
                            "count");
    /* One pass over the cells; each cutoff's sum still runs in cell
     * order. */
    for (int32_t c = 0; c < n_cutoffs; c++)
        pop_within[c] = 0.0;
    for (int32_t i = 0; i < d->n_cells; i++) {
        const uint32_t t = nearest_ds[i];
        if (t == AM_TIME_INF)
            continue;
        for (int32_t c = 0; c < n_cutoffs; c++)
            if (t <= cutoff_ds[c])
                pop_within[c] += d->pop[i];
    }
    return AM_OK;
}

/* An unsigned key in the order of the (non-NaN) doubles, -0 and +0 equal
 * (as the comparison operators have them). */
static uint64_t double_key(double v)
{
    if (v == 0.0)
        v = 0.0;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) != 0 ? ~u : u | ((uint64_t)1 << 63);
}

/* The key of +0.0 (and -0.0). */
#define ZERO_KEY ((uint64_t)1 << 63)

/* The double of a key (+0.0 for ZERO_KEY). */
static double key_double(uint64_t key)
{
    const uint64_t u = (key >> 63) != 0 ? key ^ ZERO_KEY : ~key;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

am_status am_weighted_summary(int32_t n, const double *values, const double *w,
                              int n_threads, double *mean, double *median)
{
    double m = NAN, med = NAN;
    uint64_t *keys = NULL, *keys2 = NULL;
    int32_t *idx = NULL, *idx2 = NULL;
    int64_t *hist = NULL;
    am_status rc = AM_OK;

    if (n > 0 && (values == NULL || w == NULL)) {
        rc = AM_ERR_INVALID;
        goto done;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++)
        if (w[i] > 0.0 && !isnan(values[i]))
            k++;
    if (k == 0)
        goto done;

    const int nt = am_parallel_threads(n_threads);
    keys = am_alloc_array((size_t)k, sizeof *keys);
    keys2 = am_alloc_array((size_t)k, sizeof *keys2);
    idx = am_alloc_array((size_t)k, sizeof *idx);
    idx2 = am_alloc_array((size_t)k, sizeof *idx2);
    hist = am_alloc_array((size_t)nt * AM_RADIX_DIGITS, sizeof *hist);
    if (keys == NULL || keys2 == NULL || idx == NULL || idx2 == NULL ||
        hist == NULL) {
        rc = AM_ERR_NOMEM;
        goto done;
    }
    double sw = 0.0, swv = 0.0;
    int32_t neg_zeros = 0;
    k = 0;
    for (int32_t i = 0; i < n; i++) {
        if (w[i] > 0.0 && !isnan(values[i])) {
            sw += w[i];
            swv += w[i] * values[i];
            keys[k] = double_key(values[i]);
            idx[k] = i;
            neg_zeros += values[i] == 0.0 && signbit(values[i]);
            k++;
        }
    }
    m = swv / sw;

    /* Lower weighted median: first value whose cumulative weight reaches
     * half the total, in (value, index) order. The total is re-summed in
     * that order so the last element always reaches it despite rounding. */
    const int in_tmp = am_radix_sort_u64(k, keys, idx, keys2, idx2, nt, hist);
    const uint64_t *sk = in_tmp ? keys2 : keys;
    const int32_t *si = in_tmp ? idx2 : idx;
    double total = 0.0;
    for (int32_t q = 0; q < k; q++)
        total += w[si[q]];
    double cum = 0.0;
    int32_t at = k - 1;
    for (int32_t q = 0; q < k; q++) {
        cum += w[si[q]];
        if (cum >= 0.5 * total) {
            at = q;
            break;
        }
    }
    med = key_double(sk[at]);
    if (sk[at] == ZERO_KEY && neg_zeros > 0) {
        /* A zero: which one (+0.0 or -0.0) is the r-th zero in index
         * order, the zeros' order in the stable sort. */
        int32_t r = at;
        while (r > 0 && sk[r - 1] == ZERO_KEY)
            r--;
        r = at - r;
        for (int32_t i = 0; i < n; i++) {
            if (w[i] > 0.0 && values[i] == 0.0 && r-- == 0) {
                med = values[i];
                break;
            }
        }
    }

done:
    am_free(keys);
    am_free(keys2);
    am_free(idx);
    am_free(idx2);
    am_free(hist);
    if (mean != NULL)
        *mean = m;
    if (median != NULL)
        *median = med;
    return rc;
}
