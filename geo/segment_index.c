/*
 * segment_index.c: static bounding-volume hierarchy for nearest-segment
 * queries (see segment_index.h).
 *
 * Why: snapping onto roads needs, for every populated cell, the nearest
 * point of any routable segment. A k-d tree over segment midpoints alone
 * cannot bound the distance to a long segment, and a uniform grid is poor
 * where networks are dense in towns and sparse between them; boxes per
 * range of a midpoint k-d split give exact pruning at any density.
 *
 * Layout: the segments are permuted so that the range [lo, hi) with heap
 * number h (root 1, children 2h and 2h + 1) is split at
 * mid = lo + (hi - lo) / 2 into [lo, mid) and [mid, hi) by Hoare's
 * selection (Hoare 1961, "FIND", CACM 4(7):321) on the midpoints along the
 * axis of larger spread (as in a k-d tree, Bentley 1975); box[h] is the
 * bounding box of the range's segments. Ranges of at most AM_SEG_LEAF
 * segments are leaves, scanned linearly. Ranges halve at every level, so
 * heap numbers stay below 2^(D + 1) with D the depth of the leaves.
 *
 * Query: depth-first from the root, the nearer child (by its box's lower
 * bound) first; a range is skipped when its box's squared distance,
 * lowered by a few ulps, is > the best squared distance so far ("<=" is
 * kept so that an equally distant segment with a lower id is never
 * pruned). Candidates are ordered by (squared distance, segment id). The
 * search radius is max_dist squared loosened by a few ulps; the winner is
 * accepted iff sqrt(d2) <= max_dist.
 *
 * Distance to a segment: the projection parameter t of the point on the
 * line, clamped to [0, 1]; the foot is the vertex itself at t = 0 or 1 (no
 * arithmetic), so a point nearest to a vertex gets exactly that vertex.
 */
#include "geo/segment_index.h"

#include <assert.h>
#include <float.h>
#include <math.h>

#include "common/alloc.h"

#define AM_SEG_LEAF 8
#define AM_SEG_STACK 128

typedef struct seg_leaf {
    double x0, y0, x1, y1;
    int32_t id;
} seg_leaf;

struct am_segment_index {
    int32_t n;        /* indexed segments */
    seg_leaf *s;      /* [n] in tree order */
    int64_t n_box;    /* heap size (index 0 unused) */
    double (*box)[4]; /* [n_box]: min x, min y, max x, max y */
};

static double mid_of(const seg_leaf *s, int d)
{
    return d == 0 ? 0.5 * (s->x0 + s->x1) : 0.5 * (s->y0 + s->y1);
}

static void seg_swap(seg_leaf *p, int32_t i, int32_t j)
{
    seg_leaf t = p[i];
    p[i] = p[j];
    p[j] = t;
}

static double median3(double a, double b, double c)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (c <= a)
        return a;
    if (c >= b)
        return b;
    return c;
}

/* Rearranges p[l..r] (inclusive) so that p[k] has the midpoint it would
 * have if sorted along axis d, smaller-or-equal before, greater-or-equal
 * after (as geo/spatial_index.c's selection, with a deterministic
 * pseudo-random pivot after many rounds). */
static void seg_select(seg_leaf *p, int32_t l, int32_t r, int32_t k, int d)
{
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)l;
    int rounds = 0;
    while (l < r) {
        double piv;
        if (rounds++ < 32) {
            piv = median3(mid_of(&p[l], d), mid_of(&p[k], d), mid_of(&p[r], d));
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            piv = mid_of(&p[l + (int32_t)(rng % (uint64_t)(r - l + 1))], d);
        }
        int32_t i = l, j = r;
        do {
            while (mid_of(&p[i], d) < piv)
                i++;
            while (piv < mid_of(&p[j], d))
                j--;
            if (i <= j) {
                seg_swap(p, i, j);
                i++;
                j--;
            }
        } while (i <= j);
        if (j < k)
            l = i;
        if (k < i)
            r = j;
    }
}

/* Bounding box of p[lo, hi) into b, and the axis of larger midpoint
 * spread. */
static int range_box(const seg_leaf *p, int32_t lo, int32_t hi, double b[4])
{
    double mx0 = HUGE_VAL, mx1 = -HUGE_VAL, my0 = HUGE_VAL, my1 = -HUGE_VAL;
    b[0] = b[1] = HUGE_VAL;
    b[2] = b[3] = -HUGE_VAL;
    for (int32_t i = lo; i < hi; i++) {
        b[0] = fmin(b[0], fmin(p[i].x0, p[i].x1));
        b[1] = fmin(b[1], fmin(p[i].y0, p[i].y1));
        b[2] = fmax(b[2], fmax(p[i].x0, p[i].x1));
        b[3] = fmax(b[3], fmax(p[i].y0, p[i].y1));
        const double mx = mid_of(&p[i], 0), my = mid_of(&p[i], 1);
        mx0 = fmin(mx0, mx);
        mx1 = fmax(mx1, mx);
        my0 = fmin(my0, my);
        my1 = fmax(my1, my);
    }
    return (my1 - my0) > (mx1 - mx0) ? 1 : 0;
}

am_status am_segment_index_build(int32_t n, const am_segment *seg,
                                 int32_t n_vertices, const double *x,
                                 const double *y, am_segment_index **out)
{
    am_status rc = AM_OK;
    if (out == NULL)
        return AM_ERR_INVALID;
    *out = NULL;
    if (n < 0 || n_vertices < 0 ||
        (n > 0 && (seg == NULL || x == NULL || y == NULL)))
        return AM_ERR_INVALID;
    am_segment_index *idx = am_calloc(1, sizeof *idx);
    if (idx == NULL)
        return AM_ERR_NOMEM;
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        const int32_t v0 = seg[i].v0, v1 = seg[i].v1;
        if (v0 < 0 || v0 >= n_vertices || v1 < 0 || v1 >= n_vertices) {
            rc = AM_ERR_INVALID;
            goto cleanup;
        }
        m += isfinite(x[v0]) && isfinite(y[v0]) && isfinite(x[v1]) &&
             isfinite(y[v1]);
    }
    idx->n = m;
    if (m == 0) {
        *out = idx;
        return AM_OK;
    }
    int depth = 0;
    while (((int64_t)m + ((int64_t)1 << depth) - 1) >> depth > AM_SEG_LEAF)
        depth++;
    idx->n_box = (int64_t)2 << depth;
    idx->s = am_alloc_array((size_t)m, sizeof *idx->s);
    idx->box = am_alloc_array((size_t)idx->n_box, sizeof *idx->box);
    if (idx->s == NULL || idx->box == NULL) {
        rc = AM_ERR_NOMEM;
        goto cleanup;
    }
    for (int32_t i = 0, j = 0; i < n; i++) {
        const int32_t v0 = seg[i].v0, v1 = seg[i].v1;
        if (!(isfinite(x[v0]) && isfinite(y[v0]) && isfinite(x[v1]) &&
              isfinite(y[v1])))
            continue;
        idx->s[j] = (seg_leaf){x[v0], y[v0], x[v1], y[v1], i};
        j++;
    }
    struct {
        int32_t lo, hi;
        int64_t h;
    } stack[AM_SEG_STACK];
    int top = 0;
    stack[top].lo = 0;
    stack[top].hi = m;
    stack[top].h = 1;
    top++;
    while (top > 0) {
        top--;
        const int32_t lo = stack[top].lo, hi = stack[top].hi;
        const int64_t h = stack[top].h;
        assert(h < idx->n_box);
        const int d = range_box(idx->s, lo, hi, idx->box[h]);
        if (hi - lo <= AM_SEG_LEAF)
            continue;
        const int32_t mid = lo + (hi - lo) / 2;
        seg_select(idx->s, lo, hi - 1, mid, d);
        assert(top + 2 <= AM_SEG_STACK);
        stack[top].lo = mid;
        stack[top].hi = hi;
        stack[top].h = 2 * h + 1;
        top++;
        stack[top].lo = lo;
        stack[top].hi = mid;
        stack[top].h = 2 * h;
        top++;
    }
    *out = idx;
    idx = NULL;
cleanup:
    am_segment_index_destroy(idx);
    return rc;
}

/* Squared distance from (qx, qy) to segment s; *t the clamped projection
 * parameter. */
static double seg_d2(const seg_leaf *s, double qx, double qy, double *t)
{
    const double dx = s->x1 - s->x0, dy = s->y1 - s->y0;
    const double l2 = dx * dx + dy * dy;
    double u = l2 > 0.0 ? ((qx - s->x0) * dx + (qy - s->y0) * dy) / l2 : 0.0;
    double fx, fy;
    if (!(u > 0.0)) {
        u = 0.0;
        fx = s->x0;
        fy = s->y0;
    } else if (u >= 1.0) {
        u = 1.0;
        fx = s->x1;
        fy = s->y1;
    } else {
        fx = s->x0 + u * dx;
        fy = s->y0 + u * dy;
    }
    *t = u;
    const double ex = qx - fx, ey = qy - fy;
    return ex * ex + ey * ey;
}

/* Lower bound on the squared distance from (qx, qy) to box b, lowered by
 * a few ulps so that rounding cannot prune a segment at the bound. */
static double box_d2(const double b[4], double qx, double qy)
{
    double dx = b[0] - qx > 0.0 ? b[0] - qx : (qx - b[2] > 0.0 ? qx - b[2] : 0);
    double dy = b[1] - qy > 0.0 ? b[1] - qy : (qy - b[3] > 0.0 ? qy - b[3] : 0);
    return (dx * dx + dy * dy) * (1.0 - 8.0 * DBL_EPSILON);
}

int32_t am_segment_index_nearest(const am_segment_index *idx, double x,
                                 double y, double max_dist, double *dist,
                                 double *frac)
{
    if (dist != NULL)
        *dist = HUGE_VAL;
    if (frac != NULL)
        *frac = 0.0;
    if (idx == NULL || idx->n == 0 || !isfinite(x) || !isfinite(y) ||
        isnan(max_dist) || max_dist < 0.0)
        return -1;
    double best_d2 = max_dist * max_dist * (1.0 + 8.0 * DBL_EPSILON);
    double best_t = 0.0;
    int32_t best = -1;
    struct {
        int32_t lo, hi;
        int64_t h;
        double lb;
    } stack[AM_SEG_STACK];
    int top = 0;
    stack[0].lo = 0;
    stack[0].hi = idx->n;
    stack[0].h = 1;
    stack[0].lb = box_d2(idx->box[1], x, y);
    top = 1;
    while (top > 0) {
        top--;
        const int32_t lo = stack[top].lo, hi = stack[top].hi;
        const int64_t h = stack[top].h;
        if (stack[top].lb > best_d2)
            continue;
        if (hi - lo <= AM_SEG_LEAF) {
            for (int32_t i = lo; i < hi; i++) {
                double t;
                const double d2 = seg_d2(&idx->s[i], x, y, &t);
                const int32_t id = idx->s[i].id;
                if (d2 < best_d2 ||
                    (d2 == best_d2 && (best < 0 || id < best))) {
                    best_d2 = d2;
                    best = id;
                    best_t = t;
                }
            }
            continue;
        }
        const int32_t mid = lo + (hi - lo) / 2;
        const double lb_l = box_d2(idx->box[2 * h], x, y);
        const double lb_r = box_d2(idx->box[2 * h + 1], x, y);
        assert(top + 2 <= AM_SEG_STACK);
        /* the nearer child is pushed last, so it is searched first */
        const int left_first = lb_l <= lb_r;
        for (int k = 0; k < 2; k++) {
            const int right = left_first ? k == 0 : k == 1;
            const double lb = right ? lb_r : lb_l;
            if (lb > best_d2)
                continue;
            stack[top].lo = right ? mid : lo;
            stack[top].hi = right ? hi : mid;
            stack[top].h = right ? 2 * h + 1 : 2 * h;
            stack[top].lb = lb;
            top++;
        }
    }
    if (best < 0)
        return -1;
    const double d = sqrt(best_d2);
    if (!(d <= max_dist))
        return -1;
    if (dist != NULL)
        *dist = d;
    if (frac != NULL)
        *frac = best_t;
    return best;
}

int32_t am_segment_index_count(const am_segment_index *idx)
{
    return idx != NULL ? idx->n : 0;
}

int64_t am_segment_index_bytes(const am_segment_index *idx)
{
    if (idx == NULL)
        return 0;
    return (int64_t)sizeof *idx + (int64_t)idx->n * (int64_t)sizeof *idx->s +
           idx->n_box * (int64_t)sizeof *idx->box;
}

void am_segment_index_destroy(am_segment_index *idx)
{
    if (idx == NULL)
        return;
    am_free(idx->s);
    am_free(idx->box);
    am_free(idx);
}
