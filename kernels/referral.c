/*
 * referral.c: referral times between facility tiers (see referral.h).
 */
#include "kernels/referral.h"

#include <omp.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/parallel.h"
#include "kernels/search.h"

void am_referral_up(int32_t n, const int32_t *low_node,
                    const uint32_t *low_off_ds, const uint32_t *node_time_ds,
                    const int32_t *node_src, uint32_t limit_ds, uint32_t *up_ds,
                    int32_t *to)
{
    for (int32_t i = 0; i < n; i++) {
        uint64_t best = UINT64_MAX;
        int32_t best_j = -1;
        for (int k = 0; k < 2; k++) {
            const int32_t v = low_node[2 * (int64_t)i + k];
            if (v < 0 || node_time_ds[v] == AM_TIME_INF)
                continue;
            const uint64_t t =
                (uint64_t)low_off_ds[2 * (int64_t)i + k] + node_time_ds[v];
            const int32_t j = node_src[v];
            if (t < best || (t == best && j < best_j)) {
                best = t;
                best_j = j;
            }
        }
        if (best_j >= 0 && best <= limit_ds) {
            up_ds[i] = (uint32_t)best;
            to[i] = best_j;
        } else {
            up_ds[i] = AM_TIME_INF;
            to[i] = -1;
        }
    }
}

/* The time to point i from the last search (its destination links). */
static uint32_t time_to(const am_search *s, int32_t i, const int32_t *node,
                        const uint32_t *off, uint32_t limit_ds)
{
    uint64_t best = UINT64_MAX;
    for (int k = 0; k < 2; k++) {
        const int32_t v = node[2 * (int64_t)i + k];
        if (v < 0)
            continue;
        const uint32_t t = am_search_time(s, v);
        if (t == AM_TIME_INF)
            continue;
        const uint64_t x = (uint64_t)t + off[2 * (int64_t)i + k];
        if (x < best)
            best = x;
    }
    return best <= limit_ds ? (uint32_t)best : AM_TIME_INF;
}

am_status am_referral_back(const am_graph *g, int32_t n_hi,
                           const int32_t *hi_node, const uint32_t *hi_off_ds,
                           int32_t n, const int32_t *to, const uint32_t *up_ds,
                           const int32_t *low_node, const uint32_t *low_off_ds,
                           uint32_t limit_ds, uint32_t slack_ds, int threads,
                           uint32_t *back_ds, am_error *err)
{
    for (int32_t i = 0; i < n; i++) {
        back_ds[i] = AM_TIME_INF;
        if (to[i] >= n_hi)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "referral: higher facility %ld out of range",
                                (long)to[i]);
    }
    /* the lower points grouped by chosen higher point (a counting sort:
       groups ascending by higher row, points ascending within) */
    int32_t *first = am_calloc_array((size_t)n_hi + 1, sizeof *first);
    int32_t *order = am_alloc_array((size_t)(n > 0 ? n : 1), sizeof *order);
    int32_t *hi_list =
        am_alloc_array((size_t)(n_hi > 0 ? n_hi : 1), sizeof *hi_list);
    const int nt = am_parallel_threads(threads);
    am_search **ws = am_calloc_array((size_t)nt, sizeof *ws);
    am_status rc = AM_OK;
    if (first == NULL || order == NULL || hi_list == NULL || ws == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory for the referral searches");
        goto done;
    }
    for (int32_t i = 0; i < n; i++)
        if (to[i] >= 0)
            first[to[i] + 1]++;
    int32_t n_list = 0;
    for (int32_t j = 0; j < n_hi; j++) {
        if (first[j + 1] > 0)
            hi_list[n_list++] = j;
        first[j + 1] += first[j];
    }
    {
        int32_t *fill = am_alloc_array((size_t)n_hi + 1, sizeof *fill);
        if (fill == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                              "out of memory for the referral searches");
            goto done;
        }
        for (int32_t j = 0; j <= n_hi; j++)
            fill[j] = first[j];
        for (int32_t i = 0; i < n; i++)
            if (to[i] >= 0)
                order[fill[to[i]]++] = i;
        am_free(fill);
    }
    for (int t = 0; t < nt; t++)
        if (am_search_create(g->n_nodes, &ws[t]) != AM_OK) {
            rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                              "out of memory for the referral searches");
            goto done;
        }
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(g, hi_node, hi_off_ds, low_node, low_off_ds, limit_ds, slack_ds,    \
           up_ds, back_ds, first, order, hi_list, n_list, ws)                  \
        reduction(|                                                            \
                  : failed)
    for (int32_t q = 0; q < n_list; q++) {
        am_search *s = ws[omp_get_thread_num()];
        const int32_t j = hi_list[q];
        int32_t seed[2];
        uint32_t t0[2];
        int32_t n_seeds = 0;
        for (int k = 0; k < 2; k++) {
            const int32_t v = hi_node[2 * (int64_t)j + k];
            if (v < 0)
                continue;
            seed[n_seeds] = v;
            t0[n_seeds++] = hi_off_ds[2 * (int64_t)j + k];
        }
        if (n_seeds == 0)
            continue; /* off the network: nothing is reached */
        uint64_t up_max = 0;
        for (int32_t e = first[j]; e < first[j + 1]; e++)
            if (up_ds[order[e]] != AM_TIME_INF && up_ds[order[e]] > up_max)
                up_max = up_ds[order[e]];
        const uint64_t lim1 = 2 * up_max + slack_ds;
        uint32_t lim = lim1 < limit_ds ? (uint32_t)lim1 : limit_ds;
        for (;;) {
            if (am_search_run(s, g, n_seeds, seed, t0, lim) < 0) {
                failed = 1;
                break;
            }
            int missing = 0;
            for (int32_t e = first[j]; e < first[j + 1]; e++) {
                back_ds[order[e]] =
                    time_to(s, order[e], low_node, low_off_ds, lim);
                missing |= back_ds[order[e]] == AM_TIME_INF;
            }
            if (!missing || lim == limit_ds)
                break;
            lim = limit_ds; /* some lower point is farther: the full depth */
        }
    }
    if (failed)
        rc = am_error_set(err, AM_ERR_INTERNAL, NULL,
                          "referral search on a graph larger than its "
                          "workspace");
done:
    for (int t = 0; ws != NULL && t < nt; t++)
        am_search_destroy(ws[t]);
    am_free(ws);
    am_free(first);
    am_free(order);
    am_free(hi_list);
    return rc;
}

/* ---- same place ------------------------------------------------------- */

typedef struct placed {
    am_referral_place p;
    int32_t j;
} placed;

static int place_cmp(const am_referral_place *a, const am_referral_place *b)
{
    for (int k = 0; k < 2; k++) {
        if (a->node[k] != b->node[k])
            return a->node[k] < b->node[k] ? -1 : 1;
        if (a->drive_ds[k] != b->drive_ds[k])
            return a->drive_ds[k] < b->drive_ds[k] ? -1 : 1;
    }
    return 0;
}

static int placed_cmp(const void *x, const void *y)
{
    const placed *a = x, *b = y;
    const int c = place_cmp(&a->p, &b->p);
    if (c != 0)
        return c;
    return (a->j > b->j) - (a->j < b->j);
}

static int on_network(const am_referral_place *p)
{
    return p->node[0] >= 0 || p->node[1] >= 0;
}

am_status am_referral_same_place(int32_t n, const am_referral_place *low,
                                 int32_t n_hi, const am_referral_place *hi,
                                 am_referral_walk_fn walk, void *user,
                                 uint32_t limit_ds, uint32_t *up_ds,
                                 int32_t *to, uint32_t *direct_ds,
                                 am_error *err)
{
    for (int32_t i = 0; i < n; i++)
        direct_ds[i] = AM_TIME_INF;
    placed *v = am_alloc_array((size_t)(n_hi > 0 ? n_hi : 1), sizeof *v);
    if (v == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the referral places");
    int32_t m = 0;
    for (int32_t j = 0; j < n_hi; j++)
        if (on_network(&hi[j])) {
            v[m].p = hi[j];
            v[m++].j = j;
        }
    /* by place, then row: a place's rows ascending */
    qsort(v, (size_t)m, sizeof *v, placed_cmp);
    for (int32_t i = 0; i < n; i++) {
        if (!on_network(&low[i]))
            continue;
        int32_t lo = 0, hi_end = m; /* the first entry not below low[i] */
        while (lo < hi_end) {
            const int32_t mid = lo + (hi_end - lo) / 2;
            if (place_cmp(&v[mid].p, &low[i]) < 0)
                lo = mid + 1;
            else
                hi_end = mid;
        }
        uint32_t best = AM_TIME_INF;
        int32_t best_j = -1;
        for (int32_t e = lo; e < m && place_cmp(&v[e].p, &low[i]) == 0; e++) {
            const uint32_t w = walk(i, v[e].j, user);
            if (w < best) { /* rows ascending: a tie keeps the lower */
                best = w;
                best_j = v[e].j;
            }
            if (v[e].j == to[i] && w <= limit_ds)
                direct_ds[i] = w;
        }
        if (best_j < 0 || best > limit_ds)
            continue;
        if (to[i] < 0 || best < up_ds[i] ||
            (best == up_ds[i] && best_j < to[i])) {
            up_ds[i] = best;
            to[i] = best_j;
            direct_ds[i] = best;
        }
    }
    am_free(v);
    return AM_OK;
}
