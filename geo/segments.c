/*
 * segments.c: the segment table from an arc list (see segments.h).
 *
 * Why: points snap onto the nearest point of a road, not onto its nearest
 * vertex; the road pieces they snap onto are the arc pairs of the graph,
 * merged into one record per unordered node pair so that both directions
 * (and a one-way's missing one) are known where the point lands.
 *
 * Method: one key per arc (low node, high node, direction, time, arc id),
 * sorted into a total order (the result does not depend on the input order
 * of parallel arcs, nor on the thread count), then one pass that keeps each
 * pair's smallest time per direction.
 *
 * The sort is a most-significant-digit bucket sort (the parallel sample /
 * radix sorts of the GAP benchmark suite and of Blelloch et al., "Low depth
 * cache-oblivious algorithms", SPAA 2010, in their simplest form): each
 * thread counts its fixed block of arcs per bucket of low nodes, a prefix
 * sum (bucket-major, block-minor) gives every block its place in every
 * bucket, the keys are scattered stably, and each bucket is then sorted on
 * its own: a counting sort by low node, then each node's few keys by the
 * whole key (insertion sort; heapsort for a node with many). The segments
 * are counted per block, prefix-summed and filled in parallel, each from
 * the block its first key lies in. Every step is deterministic, so 1, 2 or
 * 64 threads give the same bytes as the serial sort they replaced.
 */
#include "geo/segments.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"

typedef struct arc_key {
    int32_t lo, hi;
    uint32_t dir; /* 0: lo -> hi, 1: hi -> lo */
    uint32_t time_ds;
    int64_t arc; /* ties: the lowest arc id */
} arc_key;

static int key_cmp(const void *pa, const void *pb)
{
    const arc_key *x = pa, *y = pb;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    if (x->time_ds != y->time_ds)
        return x->time_ds < y->time_ds ? -1 : 1;
    return (x->arc > y->arc) - (x->arc < y->arc);
}

/* The graph nodes at the ends of arc e's chain (its own ends without
 * chains). */
static int32_t chain_in(const am_segment_chains *c, const int32_t *tail,
                        int64_t e)
{
    return c != NULL ? c->in_node[e] : tail[e];
}

/* Arc e is routable but not a snap target (chains' no_snap). */
static int skipped(const am_segment_chains *c, int64_t e)
{
    return c != NULL && c->no_snap != NULL && c->no_snap[e] != 0;
}

static int32_t chain_out(const am_segment_chains *c, const int32_t *head,
                         int64_t e)
{
    return c != NULL ? c->out_node[e] : head[e];
}

/* below this many arcs per thread, fewer threads */
#define SEG_MIN_PER_THREAD 65536

static int key_less(const arc_key *x, const arc_key *y)
{
    return key_cmp(x, y) < 0;
}

static void key_sift(arc_key *k, int64_t r, int64_t n)
{
    for (;;) {
        int64_t c = 2 * r + 1;
        if (c >= n)
            return;
        if (c + 1 < n && key_less(&k[c], &k[c + 1]))
            c++;
        if (!key_less(&k[r], &k[c]))
            return;
        const arc_key t = k[r];
        k[r] = k[c];
        k[c] = t;
        r = c;
    }
}

/* Sorts k[0..n) by key_cmp in place, without allocating: insertion sort
 * for the short runs of one vertex's arcs, heapsort beyond. */
static void keys_sort(arc_key *k, int64_t n)
{
    if (n <= 32) {
        for (int64_t i = 1; i < n; i++) {
            const arc_key x = k[i];
            int64_t j = i;
            for (; j > 0 && key_less(&x, &k[j - 1]); j--)
                k[j] = k[j - 1];
            k[j] = x;
        }
        return;
    }
    for (int64_t r = n / 2 - 1; r >= 0; r--)
        key_sift(k, r, n);
    for (int64_t e = n - 1; e > 0; e--) {
        const arc_key t = k[0];
        k[0] = k[e];
        k[e] = t;
        key_sift(k, 0, e);
    }
}

/* Arc e's key, or 0 when e makes no segment (a self-loop, a no-snap arc,
 * a chain end not allowed). */
static int key_of(const int32_t *tail, const int32_t *head,
                  const uint32_t *time_ds, const am_segment_chains *ch,
                  const uint8_t *allowed, int64_t e, arc_key *k)
{
    const int32_t u = tail[e], w = head[e];
    if (u == w || skipped(ch, e) ||
        (allowed != NULL &&
         !(allowed[chain_in(ch, tail, e)] && allowed[chain_out(ch, head, e)])))
        return 0;
    k->lo = u < w ? u : w;
    k->hi = u < w ? w : u;
    k->dir = u < w ? 0u : 1u;
    k->time_ds = time_ds[e] < AM_TIME_INF ? time_ds[e] : AM_TIME_INF - 1;
    k->arc = e;
    return 1;
}

/* The lowest bad arc of [e0, e1) (a node or chain end out of range), or
 * e1. */
static int64_t first_bad(int32_t n_nodes, const int32_t *tail,
                         const int32_t *head, const am_segment_chains *ch,
                         int64_t e0, int64_t e1)
{
    for (int64_t e = e0; e < e1; e++) {
        const int32_t u = tail[e], w = head[e];
        if (u < 0 || u >= n_nodes || w < 0 || w >= n_nodes)
            return e;
        if (ch != NULL &&
            (ch->in_node[e] < 0 || ch->in_node[e] >= ch->n_graph_nodes ||
             ch->out_node[e] < 0 || ch->out_node[e] >= ch->n_graph_nodes))
            return e;
    }
    return e1;
}

/* Fills segment s from the run of keys k[0..len) of one vertex pair
 * (sorted: each direction's first key is its fastest). 0, or -1 when the
 * two directions lie on chains with different ends. */
static int segment_fill(const arc_key *k, int64_t len, const int32_t *tail,
                        const int32_t *head, const am_segment_chains *ch,
                        am_segment *s)
{
    s->v0 = k[0].lo;
    s->v1 = k[0].hi;
    s->a = s->b = -1;
    s->time_ds[0] = s->time_ds[1] = AM_TIME_INF;
    s->before_ds[0] = s->before_ds[1] = 0;
    s->after_ds[0] = s->after_ds[1] = 0;
    for (int64_t e = 0; e < len; e++) {
        if (e > 0 && k[e].dir == k[e - 1].dir)
            continue; /* sorted by time: the first is the smallest */
        const int64_t arc = k[e].arc;
        const unsigned d = k[e].dir;
        /* direction 0 runs a -> v0 -> v1 -> b, direction 1 b -> v1 -> v0
         * -> a: the chain's start is a for 0, b for 1 */
        const int32_t start = chain_in(ch, tail, arc);
        const int32_t end = chain_out(ch, head, arc);
        const int32_t a = d == 0 ? start : end, b = d == 0 ? end : start;
        if (s->a >= 0 && (s->a != a || s->b != b))
            return -1;
        s->a = a;
        s->b = b;
        s->time_ds[d] = k[e].time_ds;
        s->before_ds[d] = ch != NULL ? ch->in_ds[arc] : 0;
        s->after_ds[d] = ch != NULL ? ch->out_ds[arc] : 0;
    }
    return 0;
}

static am_status segments_make(int32_t n_nodes, int64_t n_arcs,
                               const int32_t *tail, const int32_t *head,
                               const uint32_t *time_ds,
                               const am_segment_chains *ch,
                               const uint8_t *allowed, int threads,
                               am_segment **out, int32_t *n_out, am_error *err)
{
    am_status rc = AM_OK;
    arc_key *k = NULL, *k2 = NULL;
    am_segment *s = NULL;
    int64_t *blk = NULL, *hist = NULL, *cnt = NULL;
    if (out == NULL || n_out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "segments: NULL output");
    *out = NULL;
    *n_out = 0;
    if (n_nodes < 0 || n_arcs < 0 ||
        (n_arcs > 0 && (tail == NULL || head == NULL || time_ds == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "segments: negative size or NULL arc array");
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if ((int64_t)nt > n_arcs / SEG_MIN_PER_THREAD)
        nt = (int)(n_arcs / SEG_MIN_PER_THREAD);
    if (nt < 1)
        nt = 1;
    /* buckets of vertices (lo): several per thread for balance */
    const int nbk = nt == 1 ? 1 : 64 * nt;
    const int64_t span = ((int64_t)n_nodes + 1) / nbk + 3;
    /* blk: [nt + 1] per-block key counts then offsets; [nt + 1] more per
     * block: lowest bad arc, then lowest bad segment */
    blk = am_calloc_array((size_t)(3 * (nt + 1)), sizeof *blk);
    hist = am_calloc_array((size_t)nt * (size_t)nbk, sizeof *hist);
    cnt = am_alloc_array((size_t)nt * (size_t)span, sizeof *cnt);
    if (blk == NULL || hist == NULL || cnt == NULL)
        goto nomem;
    int64_t *bad = blk + (nt + 1);
    int64_t *bad_seg = blk + 2 * (nt + 1);

    /* 1. check every arc and count the keys per block and bucket */
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, nbk, n_nodes, n_arcs, tail, head, time_ds, ch, allowed, blk,    \
           bad, hist)
    for (int b = 0; b < nt; b++) {
        const int64_t e0 = n_arcs * b / nt, e1 = n_arcs * (b + 1) / nt;
        bad[b] = first_bad(n_nodes, tail, head, ch, e0, e1);
        if (bad[b] < e1)
            continue;
        int64_t c = 0;
        arc_key x;
        for (int64_t e = e0; e < e1; e++)
            if (key_of(tail, head, time_ds, ch, allowed, e, &x)) {
                hist[(int64_t)b * nbk + (int64_t)x.lo * nbk / (n_nodes + 1)]++;
                c++;
            }
        blk[b] = c;
    }
    for (int b = 0; b < nt; b++) {
        if (bad[b] < n_arcs * (b + 1) / nt) {
            const int64_t e = bad[b];
            const int32_t u = tail[e], w = head[e];
            if (u < 0 || u >= n_nodes || w < 0 || w >= n_nodes)
                rc =
                    am_error_set(err, AM_ERR_INVALID, NULL,
                                 "segments: arc %lld joins nodes %ld and "
                                 "%ld, but the network has %ld nodes",
                                 (long long)e, (long)u, (long)w, (long)n_nodes);
            else
                rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                  "segments: arc %lld lies on a chain from "
                                  "node %ld to %ld, but the graph has %ld "
                                  "nodes",
                                  (long long)e, (long)ch->in_node[e],
                                  (long)ch->out_node[e],
                                  (long)ch->n_graph_nodes);
            am_error_set_feature(err, e);
            goto done;
        }
    }
    int64_t m = 0;
    for (int b = 0; b < nt; b++)
        m += blk[b];
    if (m == 0)
        goto done;
    k = am_alloc_array((size_t)m, sizeof *k);
    k2 = am_alloc_array((size_t)m, sizeof *k2);
    if (k == NULL || k2 == NULL)
        goto nomem;
    /* bucket-major, block-minor offsets: a stable scatter */
    int64_t at = 0;
    for (int q = 0; q < nbk; q++)
        for (int b = 0; b < nt; b++) {
            int64_t *h = &hist[(int64_t)b * nbk + q];
            const int64_t c = *h;
            *h = at;
            at += c;
        }

        /* 2. keys into their buckets, in arc order within a bucket */
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, nbk, n_nodes, n_arcs, tail, head, time_ds, ch, allowed, hist,   \
           k2)
    for (int b = 0; b < nt; b++) {
        const int64_t e0 = n_arcs * b / nt, e1 = n_arcs * (b + 1) / nt;
        int64_t *h = &hist[(int64_t)b * nbk];
        arc_key x;
        for (int64_t e = e0; e < e1; e++)
            if (key_of(tail, head, time_ds, ch, allowed, e, &x))
                k2[h[(int64_t)x.lo * nbk / (n_nodes + 1)]++] = x;
    }

    /* 3. each bucket: counting sort by lo (stable), then each vertex's
     * run by the full key; and the pairs that start in it counted. After
     * step 2, hist[(nt - 1) * nbk + q] is the end of bucket q. */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) default(none)    \
    shared(nt, nbk, n_nodes, span, hist, k, k2, cnt)
    for (int q = 0; q < nbk; q++) {
        const int64_t i0 = q == 0 ? 0 : hist[(int64_t)(nt - 1) * nbk + q - 1];
        const int64_t i1 = hist[(int64_t)(nt - 1) * nbk + q];
        if (i1 <= i0)
            continue;
        /* the bucket's vertices: lo * nbk / (n + 1) == q */
        const int64_t v0 = ((int64_t)q * (n_nodes + 1) + nbk - 1) / nbk;
        int64_t *c = &cnt[(int64_t)omp_get_thread_num() * span];
        const int64_t w = ((int64_t)(q + 1) * (n_nodes + 1) + nbk - 1) / nbk -
                          v0; /* vertices in the bucket, <= span */
        memset(c, 0, (size_t)(w + 1) * sizeof *c);
        for (int64_t i = i0; i < i1; i++)
            c[k2[i].lo - v0 + 1]++;
        for (int64_t v = 0; v < w; v++)
            c[v + 1] += c[v];
        for (int64_t i = i0; i < i1; i++)
            k[i0 + c[k2[i].lo - v0]++] = k2[i];
        for (int64_t i = i0; i < i1;) {
            int64_t j = i + 1;
            while (j < i1 && k[j].lo == k[i].lo)
                j++;
            keys_sort(k + i, j - i);
            i = j;
        }
    }
    am_free(k2);
    k2 = NULL;

    /* 4. one segment per (lo, hi) run: count the runs starting in each
     * block, then fill them from the block they start in */
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, m, k, blk)
    for (int b = 0; b < nt; b++) {
        const int64_t e0 = m * b / nt, e1 = m * (b + 1) / nt;
        int64_t c = 0;
        for (int64_t e = e0; e < e1; e++)
            c += e == 0 || k[e].lo != k[e - 1].lo || k[e].hi != k[e - 1].hi;
        blk[b] = c;
    }
    int64_t n = 0;
    for (int b = 0; b < nt; b++) {
        const int64_t c = blk[b];
        blk[b] = n;
        n += c;
    }
    if (n > INT32_MAX) {
        rc = am_error_set(err, AM_ERR_INVALID, NULL,
                          "segments: %lld segments, more than %ld",
                          (long long)n, (long)INT32_MAX);
        goto done;
    }
    s = am_alloc_array((size_t)n, sizeof *s);
    if (s == NULL)
        goto nomem;
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, m, n, k, blk, bad_seg, s, tail, head, ch)
    for (int b = 0; b < nt; b++) {
        const int64_t e0 = m * b / nt, e1 = m * (b + 1) / nt;
        int64_t j = blk[b];
        bad_seg[b] = n;
        for (int64_t e = e0; e < e1; e++) {
            if (!(e == 0 || k[e].lo != k[e - 1].lo || k[e].hi != k[e - 1].hi))
                continue;
            int64_t f = e + 1;
            while (f < m && k[f].lo == k[e].lo && k[f].hi == k[e].hi)
                f++;
            if (segment_fill(k + e, f - e, tail, head, ch, &s[j]) != 0 &&
                bad_seg[b] == n)
                bad_seg[b] = j;
            j++;
        }
    }
    for (int b = 0; b < nt; b++) {
        if (bad_seg[b] < n) {
            rc = am_error_set(err, AM_ERR_INTERNAL, NULL,
                              "segments: the two directions of the road "
                              "between vertices %ld and %ld lie on different "
                              "chains",
                              (long)s[bad_seg[b]].v0, (long)s[bad_seg[b]].v1);
            goto done;
        }
    }
    *out = s;
    *n_out = (int32_t)n;
    s = NULL;
    goto done;
nomem:
    rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                      "segments: out of memory for %lld arcs",
                      (long long)n_arcs);
done:
    am_free(k);
    am_free(k2);
    am_free(s);
    am_free(blk);
    am_free(hist);
    am_free(cnt);
    return rc;
}

am_status am_segments_from_arcs(int32_t n_nodes, int64_t n_arcs,
                                const int32_t *tail, const int32_t *head,
                                const uint32_t *time_ds, const uint8_t *allowed,
                                am_segment **out, int32_t *n_out, am_error *err)
{
    return segments_make(n_nodes, n_arcs, tail, head, time_ds, NULL, allowed, 1,
                         out, n_out, err);
}

am_status am_segments_from_chains(int32_t n_vertices, int64_t n_arcs,
                                  const int32_t *tail, const int32_t *head,
                                  const uint32_t *time_ds,
                                  const am_segment_chains *chains,
                                  const uint8_t *allowed, am_segment **out,
                                  int32_t *n_out, am_error *err)
{
    return am_segments_from_chains_threads(n_vertices, n_arcs, tail, head,
                                           time_ds, chains, allowed, 1, out,
                                           n_out, err);
}

am_status am_segments_from_chains_threads(
    int32_t n_vertices, int64_t n_arcs, const int32_t *tail,
    const int32_t *head, const uint32_t *time_ds,
    const am_segment_chains *chains, const uint8_t *allowed, int threads,
    am_segment **out, int32_t *n_out, am_error *err)
{
    if (chains == NULL || chains->n_graph_nodes < 0 ||
        (n_arcs > 0 && (chains->in_node == NULL || chains->out_node == NULL ||
                        chains->in_ds == NULL || chains->out_ds == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "segments: no chain description");
    return segments_make(n_vertices, n_arcs, tail, head, time_ds, chains,
                         allowed, threads, out, n_out, err);
}
