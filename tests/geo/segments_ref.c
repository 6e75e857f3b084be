/*
 * segments_ref.c: the serial segment table as it was before it was made
 * parallel (geo/segments.c at 673d79f: qsort of the keys), kept as the
 * oracle the parallel one must match byte for byte (test_segments.c).
 */
#include "geo/segments.h"
#include "segments_ref.h"

#include <stdlib.h>

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

static am_status segments_make(int32_t n_nodes, int64_t n_arcs,
                               const int32_t *tail, const int32_t *head,
                               const uint32_t *time_ds,
                               const am_segment_chains *ch,
                               const uint8_t *allowed, am_segment **out,
                               int32_t *n_out, am_error *err)
{
    am_status rc = AM_OK;
    arc_key *k = NULL;
    am_segment *s = NULL;
    if (out == NULL || n_out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "segments: NULL output");
    *out = NULL;
    *n_out = 0;
    if (n_nodes < 0 || n_arcs < 0 ||
        (n_arcs > 0 && (tail == NULL || head == NULL || time_ds == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "segments: negative size or NULL arc array");
    int64_t m = 0;
    for (int64_t e = 0; e < n_arcs; e++) {
        const int32_t u = tail[e], w = head[e];
        if (u < 0 || u >= n_nodes || w < 0 || w >= n_nodes) {
            rc = am_error_set(err, AM_ERR_INVALID, NULL,
                              "segments: arc %lld joins nodes %ld and %ld, "
                              "but the network has %ld nodes",
                              (long long)e, (long)u, (long)w, (long)n_nodes);
            am_error_set_feature(err, e);
            return rc;
        }
        if (ch != NULL) {
            const int32_t a = ch->in_node[e], b = ch->out_node[e];
            if (a < 0 || a >= ch->n_graph_nodes || b < 0 ||
                b >= ch->n_graph_nodes) {
                rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                  "segments: arc %lld lies on a chain from "
                                  "node %ld to %ld, but the graph has %ld "
                                  "nodes",
                                  (long long)e, (long)a, (long)b,
                                  (long)ch->n_graph_nodes);
                am_error_set_feature(err, e);
                return rc;
            }
        }
        if (u != w && !skipped(ch, e) &&
            (allowed == NULL || (allowed[chain_in(ch, tail, e)] &&
                                 allowed[chain_out(ch, head, e)])))
            m++;
    }
    if (m == 0)
        return AM_OK;
    k = am_alloc_array((size_t)m, sizeof *k);
    if (k == NULL)
        goto nomem;
    m = 0;
    for (int64_t e = 0; e < n_arcs; e++) {
        const int32_t u = tail[e], w = head[e];
        if (u == w || skipped(ch, e) ||
            (allowed != NULL && !(allowed[chain_in(ch, tail, e)] &&
                                  allowed[chain_out(ch, head, e)])))
            continue;
        k[m].lo = u < w ? u : w;
        k[m].hi = u < w ? w : u;
        k[m].dir = u < w ? 0u : 1u;
        k[m].time_ds = time_ds[e] < AM_TIME_INF ? time_ds[e] : AM_TIME_INF - 1;
        k[m].arc = e;
        m++;
    }
    qsort(k, (size_t)m, sizeof *k, key_cmp);
    int64_t n = 0;
    for (int64_t e = 0; e < m; e++)
        n += e == 0 || k[e].lo != k[e - 1].lo || k[e].hi != k[e - 1].hi;
    if (n > INT32_MAX) {
        rc = am_error_set(err, AM_ERR_INVALID, NULL,
                          "segments: %lld segments, more than %ld",
                          (long long)n, (long)INT32_MAX);
        goto done;
    }
    s = am_calloc_array((size_t)n, sizeof *s);
    if (s == NULL)
        goto nomem;
    int64_t j = -1;
    for (int64_t e = 0; e < m; e++) {
        if (e == 0 || k[e].lo != k[e - 1].lo || k[e].hi != k[e - 1].hi) {
            j++;
            s[j].v0 = k[e].lo;
            s[j].v1 = k[e].hi;
            s[j].a = s[j].b = -1;
            s[j].time_ds[0] = s[j].time_ds[1] = AM_TIME_INF;
        } else if (k[e].dir == k[e - 1].dir) {
            continue; /* sorted by time: the first is the smallest */
        }
        const int64_t arc = k[e].arc;
        const unsigned d = k[e].dir;
        /* direction 0 runs a -> v0 -> v1 -> b, direction 1 b -> v1 -> v0
         * -> a: the chain's start is a for 0, b for 1 */
        const int32_t start = chain_in(ch, tail, arc);
        const int32_t end = chain_out(ch, head, arc);
        const int32_t a = d == 0 ? start : end, b = d == 0 ? end : start;
        if (s[j].a >= 0 && (s[j].a != a || s[j].b != b)) {
            rc = am_error_set(err, AM_ERR_INTERNAL, NULL,
                              "segments: the two directions of the road "
                              "between vertices %ld and %ld lie on different "
                              "chains",
                              (long)s[j].v0, (long)s[j].v1);
            goto done;
        }
        s[j].a = a;
        s[j].b = b;
        s[j].time_ds[d] = k[e].time_ds;
        s[j].before_ds[d] = ch != NULL ? ch->in_ds[arc] : 0;
        s[j].after_ds[d] = ch != NULL ? ch->out_ds[arc] : 0;
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
    am_free(s);
    return rc;
}

am_status ref_segments_from_chains(int32_t n_vertices, int64_t n_arcs,
                                   const int32_t *tail, const int32_t *head,
                                   const uint32_t *time_ds,
                                   const am_segment_chains *chains,
                                   const uint8_t *allowed, am_segment **out,
                                   int32_t *n_out, am_error *err)
{
    return segments_make(n_vertices, n_arcs, tail, head, time_ds, chains,
                         allowed, out, n_out, err);
}
