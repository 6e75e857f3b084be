/*
 * order.c: nodes along a Hilbert curve, and a graph renumbered by them
 * (see order.h).
 *
 * Why: the searches, catchments and measures touch node-indexed arrays in
 * the order the network is explored; ids that follow the ground keep those
 * touches in cache (the spatial renumbering of RoutingKit and of the GAP
 * benchmark suite's locality studies).
 *
 * The curve: D. Hilbert (1891), "Ueber die stetige Abbildung einer Linie
 * auf ein Flaechenstueck", Math. Ann. 38:459-460. The index of a cell is
 * built from the top bit down: at each level the pair of bits (x, y) names
 * the quadrant, visited in the order (0,0), (0,1), (1,1), (1,0); the
 * remaining lower bits are then mapped into that quadrant's own frame (the
 * first quadrant is the whole square transposed, the last one transposed
 * through the other diagonal, the two in the middle unchanged), so that the
 * curve of each quadrant starts next to where the previous one ended.
 *
 * Sorting: the shared stable LSD radix sort (radix.h) of the 32-bit keys
 * with the indices as payload, in parallel by chunks: the result is the
 * unique (key, index) order whatever the chunks.
 *
 * The box, the split of finite points from the others, the ranks' check
 * and the prefix sum of the permuted degrees run in blocks of nodes with
 * per-block counts and sums (exact: integers, min and max), so the result
 * is the same whatever the threads.
 *
 * Renumbering: new first_out by a prefix sum of the permuted degrees, then
 * every new node copies its old arcs, maps their heads and sorts them by
 * (head, time): insertion sort for short lists, heapsort beyond (no
 * allocation in the parallel loop).
 * Cost: O(n + m) and O(sum of d log d) per node's arcs.
 */
#include "kernels/order.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "common/alloc.h"
#include "kernels/parallel.h"
#include "kernels/radix.h"

/* below this many items per thread, fewer threads */
#define ORDER_MIN_PER_THREAD 32768

uint32_t am_hilbert_index(uint32_t x, uint32_t y)
{
    /* branch-free: the quadrant bits are data, mispredicted half the time */
    uint32_t d = 0;
    for (int i = AM_HILBERT_BITS - 1; i >= 0; i--) {
        const uint32_t rx = (x >> i) & 1u, ry = (y >> i) & 1u;
        d |= ((3u * rx) ^ ry) << (2 * i);
        /* first or last quadrant (ry = 0): transpose the rest, through
         * the other diagonal (complement) in the last one (rx = 1) */
        const uint32_t flip = 0u - (rx & (ry ^ 1u));
        const uint32_t swap = 0u - (ry ^ 1u);
        x ^= flip;
        y ^= flip;
        const uint32_t t = (x ^ y) & swap;
        x ^= t;
        y ^= t;
    }
    return d;
}

/* the most threads (blocks) the partitions use */
#define AM_ORDER_MAX_BLOCKS 256

static int threads_for(int requested, int64_t items)
{
    int nt = am_parallel_threads(requested);
    if (nt > AM_ORDER_MAX_BLOCKS)
        nt = AM_ORDER_MAX_BLOCKS;
    const int64_t most = items / ORDER_MIN_PER_THREAD;
    if ((int64_t)nt > most)
        nt = (int)most;
    return nt < 1 ? 1 : nt;
}

/* A coordinate onto the grid: [lo, lo + span] -> 0 .. 2^BITS - 1. */
static uint32_t grid_of(double v, double lo, double scale)
{
    const double q = floor((v - lo) * scale);
    const double top = (double)((1u << AM_HILBERT_BITS) - 1u);
    return q <= 0.0 ? 0u : q >= top ? (uint32_t)top : (uint32_t)q;
}

am_status am_order_hilbert(int32_t n, const double *x, const double *y,
                           int threads, int32_t *order, am_error *err)
{
    if (n < 0 || (n > 0 && (x == NULL || y == NULL || order == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "hilbert order: NULL array or negative count");
    /* the box of the finite points: min and max are exact, so the
     * reduction's order does not matter */
    const int nt = threads_for(threads, n);
    double b0 = INFINITY, b1 = INFINITY, b2 = -INFINITY, b3 = -INFINITY;
    int32_t n_fin = 0;
#pragma omp parallel for num_threads(nt) schedule(static)                      \
    reduction(min : b0, b1) reduction(max : b2, b3) reduction(+ : n_fin)       \
    default(none) shared(n, x, y)
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        n_fin++;
        b0 = x[i] < b0 ? x[i] : b0;
        b1 = y[i] < b1 ? y[i] : b1;
        b2 = x[i] > b2 ? x[i] : b2;
        b3 = y[i] > b3 ? y[i] : b3;
    }
    const double box[4] = {b0, b1, b2, b3};
    const size_t n1 = (size_t)(n_fin > 0 ? n_fin : 1);
    const int nb = threads_for(threads, n_fin);
    uint32_t *key = am_alloc_array(n1, sizeof *key);
    uint32_t *key2 = am_alloc_array(n1, sizeof *key2);
    int32_t *idx2 = am_alloc_array(n1, sizeof *idx2);
    int64_t *hist = am_alloc_array((size_t)nb * AM_RADIX_DIGITS, sizeof *hist);
    if (key == NULL || key2 == NULL || idx2 == NULL || hist == NULL) {
        am_free(key);
        am_free(key2);
        am_free(idx2);
        am_free(hist);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory ordering %ld nodes", (long)n);
    }
    /* finite points first (keys), the others after them, by index */
    const double span = fmax(box[2] - box[0], box[3] - box[1]);
    const double scale =
        span > 0.0 ? (double)(1u << AM_HILBERT_BITS) / span : 0.0;
    /* in nt blocks: each block's finite points counted, prefix-summed,
     * then copied in index order (the same list whatever the threads) */
    int32_t fin_at[AM_ORDER_MAX_BLOCKS + 1] = {0};
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, x, y, fin_at)
    for (int b = 0; b < nt; b++) {
        int32_t c = 0;
        for (int64_t i = (int64_t)n * b / nt; i < (int64_t)n * (b + 1) / nt;
             i++)
            c += isfinite(x[i]) && isfinite(y[i]);
        fin_at[b + 1] = c;
    }
    for (int b = 0; b < nt; b++)
        fin_at[b + 1] += fin_at[b];
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, x, y, fin_at, n_fin, order)
    for (int b = 0; b < nt; b++) {
        const int64_t i0 = (int64_t)n * b / nt;
        int32_t k = fin_at[b], j = n_fin + (int32_t)(i0 - fin_at[b]);
        for (int64_t i = i0; i < (int64_t)n * (b + 1) / nt; i++) {
            if (isfinite(x[i]) && isfinite(y[i]))
                order[k++] = (int32_t)i;
            else
                order[j++] = (int32_t)i;
        }
    }
#pragma omp parallel for num_threads(nb) schedule(static) default(none)        \
    shared(n_fin, order, key, x, y, box, scale)
    for (int32_t i = 0; i < n_fin; i++) {
        const int32_t p = order[i];
        key[i] = am_hilbert_index(grid_of(x[p], box[0], scale),
                                  grid_of(y[p], box[1], scale));
    }
    if (am_radix_sort_u32(n_fin, key, order, key2, idx2, nb, hist) != 0)
        memcpy(order, idx2, (size_t)n_fin * sizeof *order);
    am_free(key);
    am_free(key2);
    am_free(idx2);
    am_free(hist);
    return AM_OK;
}

/* (head, time) ascending */
static int arc_less(const int32_t *h, const uint32_t *t, int64_t i, int64_t j)
{
    return h[i] < h[j] || (h[i] == h[j] && t[i] < t[j]);
}

static void arc_swap(int32_t *h, uint32_t *t, int64_t i, int64_t j)
{
    const int32_t hh = h[i];
    const uint32_t tt = t[i];
    h[i] = h[j];
    t[i] = t[j];
    h[j] = hh;
    t[j] = tt;
}

static void sift_down(int32_t *h, uint32_t *t, int64_t root, int64_t n)
{
    for (;;) {
        int64_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && arc_less(h, t, c, c + 1))
            c++;
        if (!arc_less(h, t, root, c))
            return;
        arc_swap(h, t, root, c);
        root = c;
    }
}

/* Sorts the d arcs (h[], t[]) by (head, time), in place. */
static void sort_arcs(int32_t *h, uint32_t *t, int64_t d)
{
    if (d <= 24) {
        for (int64_t i = 1; i < d; i++)
            for (int64_t j = i; j > 0 && arc_less(h, t, j, j - 1); j--)
                arc_swap(h, t, j, j - 1);
        return;
    }
    for (int64_t i = d / 2 - 1; i >= 0; i--)
        sift_down(h, t, i, d);
    for (int64_t e = d - 1; e > 0; e--) {
        arc_swap(h, t, 0, e);
        sift_down(h, t, 0, e);
    }
}

am_status am_graph_permute(const am_graph *g, const int32_t *order, int threads,
                           int32_t *rank, am_graph **out, am_error *err)
{
    if (out == NULL || g == NULL || (g->n_nodes > 0 && order == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "graph permute: NULL graph, order or output");
    *out = NULL;
    const int32_t n = g->n_nodes;
    const int64_t m = g->n_arcs;
    am_status rc = AM_OK;
    int32_t *own_rank = NULL;
    am_graph *r = am_calloc(1, sizeof *r);
    if (rank == NULL)
        rank = own_rank = am_alloc_array((size_t)(n > 0 ? n : 1), sizeof *rank);
    if (r != NULL) {
        r->n_nodes = n;
        r->n_arcs = m;
        r->first_out = am_alloc_array((size_t)n + 1, sizeof *r->first_out);
        r->head = am_alloc_array((size_t)(m > 0 ? m : 1), sizeof *r->head);
        r->time_ds =
            am_alloc_array((size_t)(m > 0 ? m : 1), sizeof *r->time_ds);
    }
    if (r == NULL || rank == NULL || r->first_out == NULL || r->head == NULL ||
        r->time_ds == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory renumbering %ld nodes", (long)n);
        goto done;
    }
    /* ranks in parallel: every order[k] in range, then rank[order[k]] = k
     * (atomic stores: a repeated node is written twice), then each read
     * back; a failure is found again serially for the first bad k */
    const int nv = threads_for(threads, n);
    int32_t bad = n;
#pragma omp parallel for num_threads(nv) schedule(static)                      \
    reduction(min                                                              \
              : bad) default(none) shared(n, order, rank)
    for (int32_t k = 0; k < n; k++) {
        rank[k] = -1;
        if (order[k] < 0 || order[k] >= n)
            bad = k < bad ? k : bad;
    }
    if (bad == n) {
#pragma omp parallel for num_threads(nv) schedule(static) default(none)        \
    shared(n, order, rank)
        for (int32_t k = 0; k < n; k++)
            __atomic_store_n(&rank[order[k]], k, __ATOMIC_RELAXED);
#pragma omp parallel for num_threads(nv) schedule(static)                      \
    reduction(min                                                              \
              : bad) default(none) shared(n, order, rank)
        for (int32_t k = 0; k < n; k++)
            if (rank[order[k]] != k)
                bad = k < bad ? k : bad;
    }
    if (bad < n) {
        for (int32_t v = 0; v < n; v++)
            rank[v] = -1;
        for (int32_t k = 0; k < n; k++) {
            const int32_t v = order[k];
            if (v < 0 || v >= n || rank[v] >= 0) {
                rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                  "graph permute: order[%ld] = %ld is out of "
                                  "range or repeated",
                                  (long)k, (long)v);
                am_error_set_feature(err, k);
                goto done;
            }
            rank[v] = k;
        }
    }
    /* first_out: the permuted degrees summed in nv blocks, prefix-summed */
    int64_t arcs_at[AM_ORDER_MAX_BLOCKS + 1] = {0};
#pragma omp parallel for num_threads(nv) schedule(static) default(none)        \
    shared(nv, n, g, r, order, arcs_at)
    for (int b = 0; b < nv; b++) {
        int64_t sum = 0;
        for (int64_t k = (int64_t)n * b / nv; k < (int64_t)n * (b + 1) / nv;
             k++) {
            sum += g->first_out[order[k] + 1] - g->first_out[order[k]];
            r->first_out[k + 1] = sum;
        }
        arcs_at[b + 1] = sum;
    }
    for (int b = 0; b < nv; b++)
        arcs_at[b + 1] += arcs_at[b];
    r->first_out[0] = 0;
#pragma omp parallel for num_threads(nv) schedule(static) default(none)        \
    shared(nv, n, r, arcs_at)
    for (int b = 0; b < nv; b++)
        for (int64_t k = (int64_t)n * b / nv; k < (int64_t)n * (b + 1) / nv;
             k++)
            r->first_out[k + 1] += arcs_at[b];
    const int nt = threads_for(threads, m);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4096) default(none) \
    shared(n, g, r, order, rank)
    for (int32_t k = 0; k < n; k++) {
        const int64_t a0 = g->first_out[order[k]];
        const int64_t b0 = r->first_out[k], d = r->first_out[k + 1] - b0;
        for (int64_t e = 0; e < d; e++) {
            r->head[b0 + e] = rank[g->head[a0 + e]];
            r->time_ds[b0 + e] = g->time_ds[a0 + e];
        }
        sort_arcs(r->head + b0, r->time_ds + b0, d);
    }
    *out = r;
    r = NULL;
done:
    am_free(own_rank);
    am_graph_destroy(r);
    return rc;
}
