/*
 * spatial_index.c: static k-d tree for nearest-point queries (see
 * spatial_index.h).
 *
 * Why: every populated cell and every facility is snapped to its nearest
 * routable node; with 10^6-10^7 cells and nodes a linear scan per query is
 * out of the question, and the node set never changes after the graph is
 * built, so a static, pointer-free tree is both the fastest and the
 * simplest structure.
 *
 * Method: a k-d tree (Bentley 1975, "Multidimensional binary search trees
 * used for associative searching", CACM 18(9):509-517) stored implicitly:
 * the points are permuted in place so that the node for the range
 * [lo, hi) has its pivot at mid = lo + (hi - lo) / 2, its left subtree in
 * [lo, mid) and its right subtree in [mid + 1, hi). Each pivot is the
 * median along the axis of larger spread in its range, found by Hoare's
 * selection (Hoare 1961, "FIND", CACM 4(7):321) with a median-of-three
 * pivot. Ranges of at most AM_KD_LEAF points are leaves scanned linearly.
 * The tree is therefore balanced (depth <= log2 n + 1 < 32 for int32
 * sizes), and both build and query use small fixed explicit stacks, with
 * no recursion.
 *
 * Invariants: for a pivot at mid with axis d, every point in [lo, mid) has
 * coordinate d <= pivot's and every point in [mid + 1, hi) has it >= the
 * pivot's (equal values may go either way).
 *
 * Query: depth-first, nearer child first; a far child is visited only when
 * the squared distance to the splitting line is <= the best squared
 * distance so far ("<=" and not "<", so that an equally distant point with
 * a lower index is never pruned). Candidates are ordered by (squared
 * distance, original index), which makes ties go to the lowest index. The
 * search radius is max_dist squared, loosened by a few ulps; the winner is
 * then accepted iff sqrt(d2) <= max_dist, so "within max_dist" means the
 * reported distance is <= max_dist (inclusive) exactly.
 *
 * Memory: 25 bytes per point (coordinates, original index, split axis).
 */
#include "geo/spatial_index.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "common/alloc.h"

#define AM_KD_LEAF 8
#define AM_KD_STACK 128

typedef struct kd_point {
    double c[2]; /* x, y */
    int32_t id;  /* index in the caller's arrays */
} kd_point;

struct am_spatial_index {
    int32_t n;     /* indexed (finite) points */
    kd_point *pts; /* [n] in tree order */
    uint8_t *axis; /* [n] split axis of the node whose pivot is pts[i] */
};

static void kd_swap(kd_point *p, int32_t i, int32_t j)
{
    kd_point t = p[i];
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
    /* now a <= b */
    if (c <= a)
        return a;
    if (c >= b)
        return b;
    return c;
}

/*
 * Rearranges p[l..r] (inclusive) so that p[k] holds the value it would
 * have if sorted along axis d, with smaller-or-equal values before it and
 * greater-or-equal after. Median-of-three pivots make sorted and
 * constant inputs linear; after many rounds (an adversarial order) the
 * pivot is taken at a pseudo-random position instead, keeping the expected
 * time linear while staying deterministic.
 */
static void kd_select(kd_point *p, int32_t l, int32_t r, int32_t k, int d)
{
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)l;
    int rounds = 0;
    while (l < r) {
        double piv;
        if (rounds++ < 32) {
            piv = median3(p[l].c[d], p[k].c[d], p[r].c[d]);
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            piv = p[l + (int32_t)(rng % (uint64_t)(r - l + 1))].c[d];
        }
        int32_t i = l, j = r;
        do {
            while (p[i].c[d] < piv)
                i++;
            while (piv < p[j].c[d])
                j--;
            if (i <= j) {
                kd_swap(p, i, j);
                i++;
                j--;
            }
        } while (i <= j);
        /* [l, j] <= piv, (j, i) == piv, [i, r] >= piv */
        if (j < k)
            l = i;
        if (k < i)
            r = j;
    }
}

/* Axis of larger spread over p[lo, hi). */
static int kd_axis(const kd_point *p, int32_t lo, int32_t hi)
{
    double x0 = p[lo].c[0], x1 = x0, y0 = p[lo].c[1], y1 = y0;
    for (int32_t i = lo + 1; i < hi; i++) {
        double x = p[i].c[0], y = p[i].c[1];
        if (x < x0)
            x0 = x;
        if (x > x1)
            x1 = x;
        if (y < y0)
            y0 = y;
        if (y > y1)
            y1 = y;
    }
    return (y1 - y0) > (x1 - x0) ? 1 : 0;
}

am_status am_spatial_index_build(int32_t n, const double *x, const double *y,
                                 am_spatial_index **out)
{
    am_status rc = AM_OK;
    *out = NULL;
    am_spatial_index *idx = am_calloc(1, sizeof *idx);
    if (idx == NULL)
        return AM_ERR_NOMEM;
    if (n < 0) {
        rc = AM_ERR_INVALID;
        goto cleanup;
    }
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            m++;
    idx->n = m;
    if (m > 0) {
        idx->pts = am_alloc_array((size_t)m, sizeof *idx->pts);
        idx->axis = am_calloc((size_t)m, sizeof *idx->axis);
        if (idx->pts == NULL || idx->axis == NULL) {
            rc = AM_ERR_NOMEM;
            goto cleanup;
        }
    }
    for (int32_t i = 0, j = 0; i < n; i++) {
        if (isfinite(x[i]) && isfinite(y[i])) {
            idx->pts[j].c[0] = x[i];
            idx->pts[j].c[1] = y[i];
            idx->pts[j].id = i;
            j++;
        }
    }

    /* Pending ranges [lo, hi); depth-first, so at most 2 per level. */
    int32_t stack[AM_KD_STACK][2];
    int top = 0;
    stack[top][0] = 0;
    stack[top][1] = m;
    top++;
    while (top > 0) {
        top--;
        int32_t lo = stack[top][0], hi = stack[top][1];
        if (hi - lo <= AM_KD_LEAF)
            continue;
        int32_t mid = lo + (hi - lo) / 2;
        int d = kd_axis(idx->pts, lo, hi);
        kd_select(idx->pts, lo, hi - 1, mid, d);
        idx->axis[mid] = (uint8_t)d;
        assert(top + 2 <= AM_KD_STACK);
        stack[top][0] = mid + 1;
        stack[top][1] = hi;
        top++;
        stack[top][0] = lo;
        stack[top][1] = mid;
        top++;
    }
    *out = idx;
    idx = NULL;
cleanup:
    am_spatial_index_destroy(idx);
    return rc;
}

/* Best candidate so far: (d2, id) ordered lexicographically. */
typedef struct kd_best {
    double d2;
    int32_t id; /* -1: none yet, any point with d2 <= bound wins */
} kd_best;

static void kd_offer(kd_best *b, const kd_point *p, double qx, double qy)
{
    double dx = p->c[0] - qx, dy = p->c[1] - qy;
    double d2 = dx * dx + dy * dy;
    if (d2 < b->d2 || (d2 == b->d2 && (b->id < 0 || p->id < b->id))) {
        b->d2 = d2;
        b->id = p->id;
    }
}

int32_t am_spatial_index_nearest(const am_spatial_index *idx, double x,
                                 double y, double max_dist, double *dist)
{
    if (dist != NULL)
        *dist = HUGE_VAL;
    if (idx == NULL || idx->n == 0 || !isfinite(x) || !isfinite(y) ||
        isnan(max_dist) || max_dist < 0.0)
        return -1;

    const kd_point *pts = idx->pts;
    const double q[2] = {x, y};
    /* Loosened so that rounding in max_dist^2 cannot prune a point whose
     * distance is exactly max_dist; the exact test is done at the end. */
    kd_best best = {max_dist * max_dist * (1.0 + 8.0 * DBL_EPSILON), -1};

    struct {
        int32_t lo, hi;
        double lb; /* lower bound on d2 for points in [lo, hi) */
    } stack[AM_KD_STACK];
    int top = 0;
    stack[top].lo = 0;
    stack[top].hi = idx->n;
    stack[top].lb = 0.0;
    top++;
    while (top > 0) {
        top--;
        int32_t lo = stack[top].lo, hi = stack[top].hi;
        if (stack[top].lb > best.d2)
            continue;
        while (hi - lo > AM_KD_LEAF) {
            int32_t mid = lo + (hi - lo) / 2;
            int d = idx->axis[mid];
            kd_offer(&best, &pts[mid], x, y);
            double diff = q[d] - pts[mid].c[d];
            double lb = diff * diff;
            int32_t flo, fhi;
            if (diff < 0.0) { /* query left of the plane: near is left */
                flo = mid + 1;
                fhi = hi;
                hi = mid;
            } else {
                flo = lo;
                fhi = mid;
                lo = mid + 1;
            }
            if (lb <= best.d2 && fhi > flo) {
                assert(top < AM_KD_STACK);
                stack[top].lo = flo;
                stack[top].hi = fhi;
                stack[top].lb = lb;
                top++;
            }
        }
        for (int32_t i = lo; i < hi; i++)
            kd_offer(&best, &pts[i], x, y);
    }
    if (best.id < 0)
        return -1;
    double d = sqrt(best.d2);
    if (!(d <= max_dist))
        return -1;
    if (dist != NULL)
        *dist = d;
    return best.id;
}

void am_spatial_index_destroy(am_spatial_index *idx)
{
    if (idx == NULL)
        return;
    am_free(idx->pts);
    am_free(idx->axis);
    am_free(idx);
}
