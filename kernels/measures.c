/*
 * measures.c: 2SFCA, nearest facility, coverage and weighted summaries
 * (see measures.h).
 *
 * Why: these are the numbers a planner reads; they must be exact enough to
 * audit and identical on a laptop and on a 64-core server.
 *
 * Two-step floating catchment area (Luo & Wang 2003, "Measures of spatial
 * accessibility to health care in a GIS environment", Environment and
 * Planning B 30(6):865-884), binary threshold d0, inclusive:
 * A cell has up to two links (demand.h): t_ij is the smaller of
 * offset_l + t_(node_l) j over its links l. Each cell must count once per
 * facility, at its best link: link l = 2 i + k of cell i is "best for j"
 * when the other link's total is larger, or equal with k = 0 (the other
 * link's time to j is found by binary search in j's row: rows are
 * ascending by node; absent from the row means beyond the limit).
 *   step 1, per facility j (parallel over facilities): walk j's catchment row
 *     (nodes ascending); for each node v with t_vj <= d0, walk the links at
 *     v in ascending offset while offset_l + t_vj <= d0 (then stop: later
 *     links are farther) and add P_i of the link's cell when the link is
 *     best for j. D_j = that sum; R_j = S_j / D_j, or 0 when D_j = 0.
 *   step 2, per range of nodes (parallel over ranges): walk every facility
 *     row in ascending j, the part of it inside the range (binary search),
 *     and for each node v with t_vj <= d0 add R_j to the partial of each
 *     link l at v that is best for j, while offset_l + t_vj <= d0. A link
 *     belongs to one node, so to one range: no two tasks write one link's
 *     partial, and each partial's sum runs over j ascending. Then
 *     A_i = partial(2 i) + partial(2 i + 1), in that order. Off-network
 *     cells get 0. No transposed (node -> facility) copy of the catchments
 *     is needed, which halves their memory.
 * Every sum has one fixed order (catchment order for D_j, facility order for
 * each link's partial, link order for A_i) and is written by one task only,
 * so the output is byte-identical for any thread count; no reduction
 * crosses tasks.
 *
 * Nearest facility: min over the cell's links and the link node's row of
 * offset_l + t_vj, ties to the lowest facility index. A total above the
 * catchments' limit is reported as AM_TIME_INF / -1: the catchment only vouches
 * for times <= limit_ds, and a single rule keeps nearest, coverage and 2SFCA
 * consistent.
 *
 * Sums of times never overflow: offsets and stored times are < AM_TIME_INF
 * (2^31 - 1), so their sum fits in uint32_t.
 * Allocation: am_fca_run (the link partials, 8 bytes per link) and
 * am_weighted_summary (one index array).
 */
#include "kernels/measures.h"

#include <math.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/parallel.h"

/* First entry of row j (ascending columns) whose column is >= v. */
static int64_t row_lower_bound(const am_catchments *c, int32_t j, int32_t v)
{
    int64_t lo = c->first[j], hi = c->first[j + 1];
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (c->col[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Time of row j at node v, AM_TIME_INF when v is not in it. */
static uint32_t row_time(const am_catchments *c, int32_t j, int32_t v)
{
    const int64_t e = row_lower_bound(c, j, v);
    if (e < c->first[j + 1] && c->col[e] == v)
        return am_catchments_time(c, e);
    return AM_TIME_INF;
}

/* Whether link l, at total time `total` to facility j, is its cell's best
 * link for j: the other link's total is larger, or equal and l is link 0.
 * Both totals are < 2 AM_TIME_INF: no overflow. */
static int best_link(const am_catchments *c, int32_t j, const am_demand *d,
                     int32_t l, uint32_t total)
{
    const int32_t o = l ^ 1;
    const int32_t w = d->link_node[o];
    if (w < 0)
        return 1;
    const uint32_t tw = row_time(c, j, w);
    if (tw == AM_TIME_INF)
        return 1;
    const uint32_t other = d->link_offset_ds[o] + tw;
    return total < other || (total == other && (l & 1) == 0);
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

    const int nt = am_parallel_threads(n_threads);
    const uint32_t d0 = p->threshold_ds;
    const int32_t n_cells = d->n_cells;
    const int32_t n_nodes = d->n_nodes;

    /* Step 1: demand in each facility's catchment, then its ratio. */
#pragma omp parallel for schedule(dynamic, 4) num_threads(nt) default(none)    \
    shared(fac_rows, d, supply, fac_demand, fac_ratio, d0, n_fac)
    for (int32_t j = 0; j < n_fac; j++) {
        double sum = 0.0;
        for (int64_t e = fac_rows->first[j]; e < fac_rows->first[j + 1]; e++) {
            const uint32_t t = am_catchments_time(fac_rows, e);
            if (t > d0)
                continue;
            const int32_t v = fac_rows->col[e];
            for (int64_t k = d->first[v]; k < d->first[v + 1]; k++) {
                const int32_t l = d->order[k];
                const uint32_t total = d->link_offset_ds[l] + t;
                if (total > d0)
                    break;
                if (best_link(fac_rows, j, d, l, total))
                    sum += d->pop[l / AM_DEMAND_LINKS];
            }
        }
        fac_demand[j] = sum;
        fac_ratio[j] = sum > 0.0 ? supply[j] / sum : 0.0;
    }

    /* Step 2: each link adds the ratios of the facilities within d0 for
     * which it is its cell's best link, in ascending facility order. Tasks
     * own disjoint ranges of nodes (and so of links) and walk every
     * facility row's part in their range. */
    double *part =
        am_calloc_array((size_t)n_cells * AM_DEMAND_LINKS + 1, sizeof *part);
    if (part == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "2SFCA: out of memory for %ld cells",
                            (long)n_cells);
    const int64_t n_tasks64 =
        (int64_t)nt * 16 < n_nodes ? (int64_t)nt * 16 : (int64_t)n_nodes;
    const int32_t n_tasks = n_tasks64 > 0 ? (int32_t)n_tasks64 : 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(fac_rows, d, fac_ratio, part, d0, n_fac, n_nodes, n_tasks)
    for (int32_t task = 0; task < n_tasks; task++) {
        const int32_t a = (int32_t)((int64_t)n_nodes * task / n_tasks);
        const int32_t b = (int32_t)((int64_t)n_nodes * (task + 1) / n_tasks);
        for (int32_t j = 0; j < n_fac; j++) {
            const double r = fac_ratio[j];
            if (r == 0.0)
                continue; /* adding +0.0 to a sum >= +0.0 changes no bit */
            for (int64_t e = row_lower_bound(fac_rows, j, a);
                 e < fac_rows->first[j + 1] && fac_rows->col[e] < b; e++) {
                const uint32_t t = am_catchments_time(fac_rows, e);
                if (t > d0)
                    continue;
                const int32_t v = fac_rows->col[e];
                for (int64_t k = d->first[v]; k < d->first[v + 1]; k++) {
                    const int32_t l = d->order[k];
                    const uint32_t total = d->link_offset_ds[l] + t;
                    if (total > d0)
                        break;
                    if (best_link(fac_rows, j, d, l, total))
                        part[l] += r;
                }
            }
        }
    }
#pragma omp parallel for schedule(static) num_threads(nt) default(none)        \
    shared(cell_access, part, n_cells)
    for (int32_t i = 0; i < n_cells; i++)
        cell_access[i] =
            part[AM_DEMAND_LINKS * i] + part[AM_DEMAND_LINKS * i + 1];
    am_free(part);
    return AM_OK;
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
    for (int32_t c = 0; c < n_cutoffs; c++) {
        const uint32_t cut = cutoff_ds[c];
        double sum = 0.0;
        for (int32_t i = 0; i < d->n_cells; i++) {
            const uint32_t t = nearest_ds[i];
            if (t != AM_TIME_INF && t <= cut)
                sum += d->pop[i];
        }
        pop_within[c] = sum;
    }
    return AM_OK;
}

/* qsort context-free comparison: index pairs (value, index). */
typedef struct vi_pair {
    double v;
    double w;
    int32_t i;
} vi_pair;

static int vi_cmp(const void *a, const void *b)
{
    const vi_pair *x = a, *y = b;
    if (x->v < y->v)
        return -1;
    if (x->v > y->v)
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

am_status am_weighted_summary(int32_t n, const double *values, const double *w,
                              double *mean, double *median)
{
    double m = NAN, med = NAN;
    vi_pair *pairs = NULL;
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

    pairs = am_alloc_array((size_t)k, sizeof *pairs);
    if (pairs == NULL) {
        rc = AM_ERR_NOMEM;
        goto done;
    }
    double sw = 0.0, swv = 0.0;
    k = 0;
    for (int32_t i = 0; i < n; i++) {
        if (w[i] > 0.0 && !isnan(values[i])) {
            sw += w[i];
            swv += w[i] * values[i];
            pairs[k].v = values[i];
            pairs[k].w = w[i];
            pairs[k].i = i;
            k++;
        }
    }
    m = swv / sw;

    /* Lower weighted median: first value whose cumulative weight reaches
     * half the total. The total is re-summed in sorted order so the last
     * element always reaches it despite rounding. */
    qsort(pairs, (size_t)k, sizeof *pairs, vi_cmp);
    double total = 0.0;
    for (int32_t q = 0; q < k; q++)
        total += pairs[q].w;
    double cum = 0.0;
    med = pairs[k - 1].v;
    for (int32_t q = 0; q < k; q++) {
        cum += pairs[q].w;
        if (cum >= 0.5 * total) {
            med = pairs[q].v;
            break;
        }
    }

done:
    am_free(pairs);
    if (mean != NULL)
        *mean = m;
    if (median != NULL)
        *median = med;
    return rc;
}
