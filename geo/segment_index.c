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
 * axis of larger spread (as in a k-d tree, Bentley 1975; the spread of
 * at most AM_SEG_SAMPLE evenly spaced midpoints of the range); box[h] is
 * the bounding box of the range's segments, computed bottom-up (a leaf's
 * from its segments, a range's as the union of its halves': the same
 * box, in O(n) rather than O(n log n)). Ranges of at most AM_SEG_LEAF
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
 *
 * Warm start (am_segment_index_nearest_hint): points snapped in raster
 * order lie next to each other, and the previous point's segment is
 * usually the new point's too, or close to it. Its distance to the new
 * point is computed first and taken as the best so far (when within the
 * radius), which prunes nearly every range before the descent; the rest
 * of the search is unchanged, and since it keeps every range whose bound
 * is <= the best, the winner is still the least (squared distance,
 * segment id) of all segments: the same answer, bit for bit, as a cold
 * query. The hint is a position in tree order, so no id lookup is needed.
 *
 * Block queries (am_segment_index_nearest_many): neighbouring points
 * share one descent. A block is a run of consecutive points (at most
 * AM_SEG_BLOCK_MAX, within AM_SEG_BLOCK_EXTENT_M of each other along each
 * axis) with bounding box B. Seeds are the previous block's winners (or,
 * with none, the nearest segment to B's centre); rho, the largest over the
 * block's points of their distance to the nearest seed, bounds every
 * point's answer from above. One descent collects every segment whose own
 * box lies within min(rho, max_dist) + tol of B (tol = AM_SEG_TOL times
 * the coordinates' magnitude, far above the rounding of the distances);
 * each point then scans only those candidates with the same distance
 * function and the same rule (least squared distance, then lowest id,
 * within the loosened radius). A segment left out is farther than rho +
 * tol from all of B, so its distance exceeds every point's answer: the
 * answers are those of nearest(), bit for bit, in any block. (The bound
 * is the branch-and-bound pruning of the tree, applied to a box of query
 * points instead of one point: the "batched" nearest-neighbour queries of
 * e.g. Gray and Moore 2001, "N-body problems in statistical learning",
 * NIPS 13.) A block whose candidates overflow AM_SEG_CAND_MAX is answered
 * point by point; and a call whose first blocks collect many candidates
 * (dense streets, where a tree query costs less than a long scan) goes
 * point by point for a while (AM_SEG_BLOCK_CAND). Measured on region M:
 * the fragment index (sparse) gets ~4 candidates per block of ~9 points,
 * half the time of per-point queries; the routable network (dense towns,
 * 92 m cells) would collect ~150 and stays per point.
 *
 * Build: the two halves of a range are independent (disjoint pieces of
 * the permuted array, their own heap numbers), so ranges of more than
 * AM_SEG_TASK segments are built as OpenMP tasks. The selection is
 * deterministic and depends on the range alone, so the tree is the same
 * for any thread count and schedule.
 */
#include "geo/segment_index.h"

#include <assert.h>
#include <float.h>
#include <math.h>

#include <omp.h>
#include <string.h>

#include "common/alloc.h"

#define AM_SEG_LEAF 8
#define AM_SEG_STACK 128
/* Ranges larger than this are split in a task of their own (build). */
#define AM_SEG_TASK 32768
/* Segments sampled to choose a range's split axis (build). */
#define AM_SEG_SAMPLE 256
/* Block queries (am_segment_index_nearest_many): points per block at most,
 * a block's largest extent along either axis (metres), the most
 * candidates a block collects before its points are queried one by one,
 * and the previous block's winners kept to bound the next block. */
#define AM_SEG_BLOCK_MAX 16
#define AM_SEG_BLOCK_EXTENT_M 1000.0
#define AM_SEG_CAND_MAX 256
#define AM_SEG_SEEDS 8
/* Blocks stop for the rest of a call when its first AM_SEG_BLOCK_TRIAL
 * blocks collected more than AM_SEG_BLOCK_CAND candidates each on average
 * (measured on region M: dense streets collect ~150 and lose to
 * per-point queries; sparse networks collect ~4 and win), and for the
 * next AM_SEG_BLOCK_SKIP calls. */
#define AM_SEG_BLOCK_TRIAL 32
#define AM_SEG_BLOCK_CAND 32
#define AM_SEG_BLOCK_SKIP 32
/* Loosening of a block's bound, relative to the coordinates' magnitude:
 * far above the rounding of seg_d2 (a few ulps of the coordinates). */
#define AM_SEG_TOL (256.0 * DBL_EPSILON)

typedef struct seg_leaf {
    double x0, y0, x1, y1;
    int32_t id;
} seg_leaf;

struct am_segment_index {
    int32_t n;        /* indexed segments */
    seg_leaf *s;      /* [n] in tree order */
    int64_t n_box;    /* heap size (index 0 unused) */
    double (*box)[4]; /* [n_box]: min x, min y, max x, max y */
    double mag;       /* largest |coordinate| of the segments */
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

static inline double min2(double a, double b)
{
    return b < a ? b : a;
}

static inline double max2(double a, double b)
{
    return b > a ? b : a;
}

/* Bounding box of p[lo, hi) into b (every coordinate is finite: fmin and
 * fmax are not needed). */
static void range_box(const seg_leaf *p, int32_t lo, int32_t hi, double b[4])
{
    double b0 = HUGE_VAL, b1 = HUGE_VAL, b2 = -HUGE_VAL, b3 = -HUGE_VAL;
    for (int32_t i = lo; i < hi; i++) {
        const double x0 = p[i].x0, x1 = p[i].x1, y0 = p[i].y0, y1 = p[i].y1;
        b0 = min2(b0, min2(x0, x1));
        b1 = min2(b1, min2(y0, y1));
        b2 = max2(b2, max2(x0, x1));
        b3 = max2(b3, max2(y0, y1));
    }
    b[0] = b0;
    b[1] = b1;
    b[2] = b2;
    b[3] = b3;
}

/* The axis of larger midpoint spread over p[lo, hi), from at most
 * AM_SEG_SAMPLE evenly spaced segments (the split's quality, not the
 * answers, depends on it). */
static int split_axis(const seg_leaf *p, int32_t lo, int32_t hi)
{
    const int32_t step =
        (hi - lo) / AM_SEG_SAMPLE > 1 ? (hi - lo) / AM_SEG_SAMPLE : 1;
    double mx0 = HUGE_VAL, mx1 = -HUGE_VAL, my0 = HUGE_VAL, my1 = -HUGE_VAL;
    for (int32_t i = lo; i < hi; i += step) {
        const double mx = mid_of(&p[i], 0), my = mid_of(&p[i], 1);
        mx0 = min2(mx0, mx);
        mx1 = max2(mx1, mx);
        my0 = min2(my0, my);
        my1 = max2(my1, my);
    }
    return (my1 - my0) > (mx1 - mx0) ? 1 : 0;
}

/* Builds the range [lo, hi) with heap number h and everything below it,
 * then its box as the union of its children's (leaves: of their
 * segments); the halves of large ranges as tasks (see the header). */
static void build_range(am_segment_index *idx, int32_t lo, int32_t hi,
                        int64_t h)
{
    assert(h < idx->n_box);
    double *b = idx->box[h];
    if (hi - lo <= AM_SEG_LEAF) {
        range_box(idx->s, lo, hi, b);
        return;
    }
    const int32_t mid = lo + (hi - lo) / 2;
    seg_select(idx->s, lo, hi - 1, mid, split_axis(idx->s, lo, hi));
    if (hi - lo > AM_SEG_TASK) {
#pragma omp task default(none) firstprivate(idx, mid, hi, h)
        build_range(idx, mid, hi, 2 * h + 1);
        build_range(idx, lo, mid, 2 * h);
#pragma omp taskwait
    } else {
        build_range(idx, lo, mid, 2 * h);
        build_range(idx, mid, hi, 2 * h + 1);
    }
    const double *l = idx->box[2 * h], *r = idx->box[2 * h + 1];
    b[0] = min2(l[0], r[0]);
    b[1] = min2(l[1], r[1]);
    b[2] = max2(l[2], r[2]);
    b[3] = max2(l[3], r[3]);
}

am_status am_segment_index_build(int32_t n, const am_segment *seg,
                                 int32_t n_vertices, const double *x,
                                 const double *y, am_segment_index **out)
{
    return am_segment_index_build_threads(n, seg, n_vertices, x, y, 1, out);
}

am_status am_segment_index_build_threads(int32_t n, const am_segment *seg,
                                         int32_t n_vertices, const double *x,
                                         const double *y, int threads,
                                         am_segment_index **out)
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
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if (m <= AM_SEG_TASK || nt < 1)
        nt = 1;
    if (nt == 1) {
        build_range(idx, 0, m, 1);
    } else {
#pragma omp parallel num_threads(nt) default(none) shared(idx, m)
#pragma omp single
        build_range(idx, 0, m, 1);
    }
    idx->mag = max2(max2(fabs(idx->box[1][0]), fabs(idx->box[1][2])),
                    max2(fabs(idx->box[1][1]), fabs(idx->box[1][3])));
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

/* The query (see the header); *hint: a slot in tree order tried first
 * (in; -1: none), the winner's slot (out, when there is one). */
static int32_t nearest(const am_segment_index *idx, double x, double y,
                       double max_dist, int32_t *hint, double *dist,
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
    int32_t best = -1, best_slot = -1;
    if (*hint >= 0 && *hint < idx->n) {
        double t;
        const double d2 = seg_d2(&idx->s[*hint], x, y, &t);
        if (d2 <= best_d2) {
            best_d2 = d2;
            best = idx->s[*hint].id;
            best_slot = *hint;
            best_t = t;
        }
    }
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
                    best_slot = i;
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
    *hint = best_slot;
    if (dist != NULL)
        *dist = d;
    if (frac != NULL)
        *frac = best_t;
    return best;
}

int32_t am_segment_index_nearest(const am_segment_index *idx, double x,
                                 double y, double max_dist, double *dist,
                                 double *frac)
{
    int32_t hint = -1;
    return nearest(idx, x, y, max_dist, &hint, dist, frac);
}

int32_t am_segment_index_nearest_hint(const am_segment_index *idx, double x,
                                      double y, double max_dist, int32_t *hint,
                                      double *dist, double *frac)
{
    int32_t none = -1;
    return nearest(idx, x, y, max_dist, hint != NULL ? hint : &none, dist,
                   frac);
}

/* ---- block queries --------------------------------------------------- */

struct am_segment_query {
    int32_t hint;   /* warm start: a slot in tree order, -1: none */
    int32_t n_seed; /* the previous block's winners (slots) */
    int32_t seed[AM_SEG_SEEDS];
    int32_t n_cand; /* candidates collected for the current block */
    int32_t cand_slot[AM_SEG_CAND_MAX];
    seg_leaf cand[AM_SEG_CAND_MAX]; /* copies of idx->s[cand_slot[c]] */
    /* this call's blocks so far, and the candidates they collected */
    int64_t blk_blocks, blk_cand;
    int32_t skip; /* calls left without blocks */
};

am_status am_segment_query_create(am_segment_query **out)
{
    if (out == NULL)
        return AM_ERR_INVALID;
    *out = am_calloc(1, sizeof **out);
    if (*out == NULL)
        return AM_ERR_NOMEM;
    (*out)->hint = -1;
    return AM_OK;
}

void am_segment_query_destroy(am_segment_query *q)
{
    am_free(q);
}

/* Squared distance between boxes a and b (min x, min y, max x, max y),
 * 0 when they meet; rounded, which the caller's tolerance covers. */
static double box_box_d2(const double a[4], const double b[4])
{
    const double dx = max2(0.0, max2(a[0] - b[2], b[0] - a[2]));
    const double dy = max2(0.0, max2(a[1] - b[3], b[1] - a[3]));
    return dx * dx + dy * dy;
}

/*
 * Collects into q->cand every segment whose own box is within
 * sqrt(bound2) of box b: a descent that keeps the ranges whose box is.
 * Returns 0, or -1 when more than AM_SEG_CAND_MAX would be collected.
 */
static int collect(const am_segment_index *idx, const double b[4],
                   double bound2, am_segment_query *q)
{
    int32_t st_lo[AM_SEG_STACK], st_hi[AM_SEG_STACK];
    int64_t st_h[AM_SEG_STACK];
    int top = 0;
    q->n_cand = 0;
    if (box_box_d2(idx->box[1], b) > bound2)
        return 0;
    st_lo[0] = 0;
    st_hi[0] = idx->n;
    st_h[0] = 1;
    top = 1;
    while (top > 0) {
        top--;
        const int32_t lo = st_lo[top], hi = st_hi[top];
        const int64_t h = st_h[top];
        if (hi - lo <= AM_SEG_LEAF) {
            for (int32_t i = lo; i < hi; i++) {
                const seg_leaf *s = &idx->s[i];
                const double sb[4] = {min2(s->x0, s->x1), min2(s->y0, s->y1),
                                      max2(s->x0, s->x1), max2(s->y0, s->y1)};
                if (box_box_d2(sb, b) > bound2)
                    continue;
                if (q->n_cand == AM_SEG_CAND_MAX)
                    return -1;
                q->cand_slot[q->n_cand] = i;
                q->cand[q->n_cand++] = *s;
            }
            continue;
        }
        const int32_t mid = lo + (hi - lo) / 2;
        assert(top + 2 <= AM_SEG_STACK);
        for (int k = 0; k < 2; k++) {
            const int64_t c = 2 * h + k;
            if (box_box_d2(idx->box[c], b) > bound2)
                continue;
            st_lo[top] = k ? mid : lo;
            st_hi[top] = k ? hi : mid;
            st_h[top++] = c;
        }
    }
    return 0;
}

/* One point's answer from the candidates, by nearest()'s rule: the least
 * (squared distance, id) within the loosened radius r2, accepted iff its
 * distance is <= max_dist. The winner's slot becomes the hint. */
static int32_t scan_candidates(am_segment_query *q, double x, double y,
                               double r2, double max_dist, double *frac)
{
    double best_d2 = r2, best_t = 0.0;
    int32_t best = -1, best_c = -1;
    for (int32_t c = 0; c < q->n_cand; c++) {
        double t;
        const double d2 = seg_d2(&q->cand[c], x, y, &t);
        const int32_t id = q->cand[c].id;
        if (d2 < best_d2 || (d2 == best_d2 && (best < 0 || id < best))) {
            best_d2 = d2;
            best = id;
            best_c = c;
            best_t = t;
        }
    }
    *frac = 0.0;
    if (best < 0 || !(sqrt(best_d2) <= max_dist))
        return -1;
    q->hint = q->cand_slot[best_c];
    *frac = best_t;
    return best;
}

/*
 * Points [k0, k1), box b, as one block (see the header comment): rho, the
 * largest over the points of their distance to the nearest seed, bounds
 * every point's answer; the candidates are the segments within rho (or
 * max_dist, if less) of b, loosened by tol. 0, or -1 when they overflow
 * (nothing written).
 */
static int block_query(const am_segment_index *idx, const double *x,
                       const double *y, int32_t k0, int32_t k1,
                       const double b[4], double max_dist, am_segment_query *q,
                       int32_t *id, double *frac)
{
    const double r2 = max_dist * max_dist * (1.0 + 8.0 * DBL_EPSILON);
    const double mag = max2(max2(idx->mag, max2(fabs(b[0]), fabs(b[2]))),
                            max2(fabs(b[1]), fabs(b[3])));
    if (q->n_seed == 0) { /* a seed: the nearest to the block's centre */
        double f;
        int32_t h = q->hint;
        if (nearest(idx, 0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3]), max_dist, &h,
                    NULL, &f) >= 0) {
            q->seed[0] = h;
            q->n_seed = 1;
        }
    }
    double rho2 = q->n_seed > 0 ? 0.0 : HUGE_VAL;
    for (int32_t k = k0; k < k1 && q->n_seed > 0; k++) {
        double ub = HUGE_VAL, t;
        for (int32_t j = 0; j < q->n_seed; j++)
            ub = min2(ub, seg_d2(&idx->s[q->seed[j]], x[k], y[k], &t));
        rho2 = max2(rho2, ub);
    }
    const double bound = min2(sqrt(rho2), max_dist);
    const double lim = bound + AM_SEG_TOL * (mag + bound + 1.0);
    q->n_seed = 0;
    const int over = collect(idx, b, lim * lim, q) != 0;
    q->blk_blocks++;
    q->blk_cand += over ? AM_SEG_CAND_MAX + 1 : q->n_cand;
    if (over)
        return -1;
    for (int32_t k = k0; k < k1; k++) {
        id[k] = scan_candidates(q, x[k], y[k], r2, max_dist, &frac[k]);
        if (id[k] < 0)
            continue;
        int32_t j = 0;
        while (j < q->n_seed && q->seed[j] != q->hint)
            j++;
        if (j == q->n_seed && q->n_seed < AM_SEG_SEEDS)
            q->seed[q->n_seed++] = q->hint;
    }
    return 0;
}

void am_segment_index_nearest_many(const am_segment_index *idx, int32_t m,
                                   const double *x, const double *y,
                                   double max_dist, am_segment_query *q,
                                   int32_t *id, double *frac)
{
    const int ok =
        idx != NULL && idx->n > 0 && !isnan(max_dist) && max_dist >= 0.0;
    /* blocks: off for the rest of the call once they cost more, and for
     * the next AM_SEG_BLOCK_SKIP calls */
    int blocks = q->skip == 0;
    q->skip -= q->skip > 0;
    q->blk_blocks = q->blk_cand = 0;
    int32_t k = 0;
    while (k < m) {
        if (!ok || !isfinite(x[k]) || !isfinite(y[k])) {
            id[k] = -1;
            frac[k] = 0.0;
            k++;
            continue;
        }
        double b[4] = {x[k], y[k], x[k], y[k]};
        int32_t e = k + 1;
        while (blocks && e < m && e - k < AM_SEG_BLOCK_MAX && isfinite(x[e]) &&
               isfinite(y[e])) {
            const double nb[4] = {min2(b[0], x[e]), min2(b[1], y[e]),
                                  max2(b[2], x[e]), max2(b[3], y[e])};
            if (nb[2] - nb[0] > AM_SEG_BLOCK_EXTENT_M ||
                nb[3] - nb[1] > AM_SEG_BLOCK_EXTENT_M)
                break;
            memcpy(b, nb, sizeof b);
            e++;
        }
        const int done = e - k >= 2 && block_query(idx, x, y, k, e, b, max_dist,
                                                   q, id, frac) == 0;
        if (blocks && q->blk_blocks >= AM_SEG_BLOCK_TRIAL &&
            q->blk_cand > AM_SEG_BLOCK_CAND * q->blk_blocks) {
            blocks = 0;
            q->skip = AM_SEG_BLOCK_SKIP;
        }
        if (!done) {
            for (int32_t j = k; j < e; j++)
                id[j] = nearest(idx, x[j], y[j], max_dist, &q->hint, NULL,
                                &frac[j]);
            q->n_seed = 0;
            if (q->hint >= 0 && q->hint < idx->n)
                q->seed[q->n_seed++] = q->hint;
        }
        k = e;
    }
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
