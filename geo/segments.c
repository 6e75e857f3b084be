/*
 * segments.c: the segment table from an arc list (see segments.h).
 *
 * Why: points snap onto the nearest point of a road, not onto its nearest
 * vertex; the road pieces they snap onto are the arc pairs of the graph,
 * merged into one record per unordered node pair so that both directions
 * (and a one-way's missing one) are known where the point lands.
 *
 * Method: one 16-byte key per arc (low node, high node, direction, time),
 * sorted (qsort, a total order: the result does not depend on the input
 * order of parallel arcs), then one pass that keeps each pair's smallest
 * time per direction.
 */
#include "geo/segments.h"

#include <stdlib.h>

#include "common/alloc.h"
#include "common/units.h"

typedef struct arc_key {
    int32_t lo, hi;
    uint32_t dir; /* 0: lo -> hi, 1: hi -> lo */
    uint32_t time_ds;
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
    return (x->time_ds > y->time_ds) - (x->time_ds < y->time_ds);
}

am_status am_segments_from_arcs(int32_t n_nodes, int64_t n_arcs,
                                const int32_t *tail, const int32_t *head,
                                const uint32_t *time_ds, const uint8_t *allowed,
                                am_segment **out, int32_t *n_out, am_error *err)
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
        if (u != w && (allowed == NULL || (allowed[u] && allowed[w])))
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
        if (u == w || (allowed != NULL && !(allowed[u] && allowed[w])))
            continue;
        k[m].lo = u < w ? u : w;
        k[m].hi = u < w ? w : u;
        k[m].dir = u < w ? 0u : 1u;
        k[m].time_ds = time_ds[e] < AM_TIME_INF ? time_ds[e] : AM_TIME_INF - 1;
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
            s[j].a = s[j].v0 = k[e].lo;
            s[j].b = s[j].v1 = k[e].hi;
            s[j].time_ds[0] = s[j].time_ds[1] = AM_TIME_INF;
        }
        /* sorted by time within a direction: the first is the smallest */
        if (k[e].time_ds < s[j].time_ds[k[e].dir])
            s[j].time_ds[k[e].dir] = k[e].time_ds;
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
