/*
 * crossings.c: crossing road segments (see crossings.h).
 *
 * Method (a uniform grid, the classic broad phase for segment
 * intersection; cf. Akman, Franklin et al., "Adaptive grids for
 * geometric operations", 1989):
 *  1. A plane frame for the whole region: x = lon cos(lat0), y = lat, in
 *     degrees, lat0 the middle of the nodes' latitudes. Cells are h wide,
 *     h twice the median of the segments' extents (max of |dx|, |dy|), so
 *     a typical segment touches a few cells.
 *  2. Each segment is entered in every cell it passes through, column by
 *     column (its y range within each column of cells), widened by a tiny
 *     margin so that rounding cannot lose a cell. Entries (cell, segment)
 *     are sorted; each run of one cell yields its pairs, filtered (owners,
 *     levels, shared nodes, bounding boxes); the pairs are sorted and made
 *     unique, so each is tested once and the output is in pair order.
 *  3. The test of a pair is in a local metric frame at the first segment's
 *     first node (east and north metres, an affine map of lon/lat, so
 *     whether and where along them two segments meet is the same as in
 *     lon/lat): the lines' parameters t and u from two cross products.
 * Segments spanning more than 180 degrees of longitude (across the
 * antimeridian, not drawable as straight lines) are left out.
 */
#include "geo/crossings.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

#define DEG (3.14159265358979323846 / 180.0)
#define M_PER_DEG 111319.49079327357 /* WGS 84 equator: a * pi / 180 */
/* Cell margin, in cells, against rounding. */
#define MARGIN 1e-9
/* Smallest cell, in degrees (about a decimetre). */
#define MIN_CELL_DEG 1e-6
/* Lines closer to parallel than this (sine of their angle) never cross. */
#define PARALLEL_SIN 1e-9

typedef struct entry {
    uint64_t cell;
    int64_t seg;
} entry;

typedef struct pair {
    int64_t i, j;
} pair;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->cell != y->cell)
        return x->cell < y->cell ? -1 : 1;
    return (x->seg > y->seg) - (x->seg < y->seg);
}

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->i != y->i)
        return x->i < y->i ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

static uint64_t cell_key(int64_t ix, int64_t iy)
{
    return ((uint64_t)(uint32_t)(int32_t)ix << 32) | (uint32_t)(int32_t)iy;
}

/* The frame of step 1. */
typedef struct frame {
    double coslat; /* cos(lat0) */
    double h;      /* cell size, degrees */
} frame;

static void seg_xy(const am_crossing_input *in, const frame *f, int64_t s,
                   double *x0, double *y0, double *x1, double *y1)
{
    int32_t a = in->seg_a[s], b = in->seg_b[s];
    *x0 = in->lon[a] * f->coslat / f->h;
    *y0 = in->lat[a] / f->h;
    *x1 = in->lon[b] * f->coslat / f->h;
    *y1 = in->lat[b] / f->h;
}

static int seg_usable(const am_crossing_input *in, int64_t s)
{
    return fabs(in->lon[in->seg_a[s]] - in->lon[in->seg_b[s]]) <= 180.0;
}

/*
 * The cells segment s passes through (step 2): with `out` NULL only
 * counted. Returns the number of cells.
 */
static size_t seg_cells(const am_crossing_input *in, const frame *f, int64_t s,
                        entry *out)
{
    double x0, y0, x1, y1;
    seg_xy(in, f, s, &x0, &y0, &x1, &y1);
    if (x0 > x1) {
        double t = x0;
        x0 = x1;
        x1 = t;
        t = y0;
        y0 = y1;
        y1 = t;
    }
    size_t n = 0;
    int64_t c0 = (int64_t)floor(x0 - MARGIN), c1 = (int64_t)floor(x1 + MARGIN);
    for (int64_t c = c0; c <= c1; c++) {
        double xa = (double)c > x0 ? (double)c : x0;
        double xb = (double)(c + 1) < x1 ? (double)(c + 1) : x1;
        double ya = y0, yb = y1;
        if (x1 > x0) {
            ya = y0 + (y1 - y0) * ((xa - x0) / (x1 - x0));
            yb = y0 + (y1 - y0) * ((xb - x0) / (x1 - x0));
        }
        if (ya > yb) {
            double t = ya;
            ya = yb;
            yb = t;
        }
        int64_t r0 = (int64_t)floor(ya - MARGIN);
        int64_t r1 = (int64_t)floor(yb + MARGIN);
        for (int64_t r = r0; r <= r1; r++) {
            if (out != NULL)
                out[n] = (entry){cell_key(c, r), s};
            n++;
        }
    }
    return n;
}

/* Whether segments i and j may cross at all (the filters of step 2). */
static int pair_wanted(const am_crossing_input *in, int64_t i, int64_t j)
{
    if (in->owner[i] == in->owner[j])
        return 0;
    if (in->level != NULL && in->level[i] != in->level[j])
        return 0;
    int32_t a = in->seg_a[i], b = in->seg_b[i];
    int32_t c = in->seg_a[j], d = in->seg_b[j];
    if (a == c || a == d || b == c || b == d)
        return 0;
    if (fmax(in->lon[a], in->lon[b]) < fmin(in->lon[c], in->lon[d]) ||
        fmax(in->lon[c], in->lon[d]) < fmin(in->lon[a], in->lon[b]) ||
        fmax(in->lat[a], in->lat[b]) < fmin(in->lat[c], in->lat[d]) ||
        fmax(in->lat[c], in->lat[d]) < fmin(in->lat[a], in->lat[b]))
        return 0;
    return 1;
}

/* 0: at end a, 1: at end b, -1: inside (parameter t, end margin e). */
static int near_end(double t, double e)
{
    if (t <= 0.5)
        return t <= e ? 0 : -1;
    return t >= 1.0 - e ? 1 : -1;
}

/* Step 3 for the pair i < j: 1 and *c filled when they cross. */
static int pair_test(const am_crossing_input *in, int64_t i, int64_t j,
                     am_crossing *c)
{
    int32_t a = in->seg_a[i], b = in->seg_b[i];
    int32_t p = in->seg_a[j], q = in->seg_b[j];
    double kx = cos(in->lat[a] * DEG) * M_PER_DEG, ky = M_PER_DEG;
    double d1x = (in->lon[b] - in->lon[a]) * kx;
    double d1y = (in->lat[b] - in->lat[a]) * ky;
    double wx = (in->lon[p] - in->lon[a]) * kx;
    double wy = (in->lat[p] - in->lat[a]) * ky;
    double d2x = (in->lon[q] - in->lon[p]) * kx;
    double d2y = (in->lat[q] - in->lat[p]) * ky;
    double len1 = hypot(d1x, d1y), len2 = hypot(d2x, d2y);
    double den = d1x * d2y - d1y * d2x;
    if (!(len1 > 0.0 && len2 > 0.0) ||
        !(fabs(den) > PARALLEL_SIN * len1 * len2))
        return 0;
    double t = (wx * d2y - wy * d2x) / den;
    double u = (wx * d1y - wy * d1x) / den;
    double e1 = AM_CROSSING_END_M / len1, e2 = AM_CROSSING_END_M / len2;
    if (!(t >= -e1 && t <= 1.0 + e1 && u >= -e2 && u <= 1.0 + e2))
        return 0;
    int ni = near_end(t, e1), nj = near_end(u, e2);
    if (ni >= 0 && nj >= 0)
        return 0; /* touching at their vertices: not a crossing */
    c->seg[0] = i;
    c->seg[1] = j;
    c->t[0] = t;
    c->t[1] = u;
    c->node = -1;
    if (ni >= 0) {
        c->node = ni == 0 ? a : b;
        c->t[0] = (double)ni;
    } else if (nj >= 0) {
        c->node = nj == 0 ? p : q;
        c->t[1] = (double)nj;
    }
    if (c->node >= 0) {
        c->lon = in->lon[c->node];
        c->lat = in->lat[c->node];
    } else {
        c->lon = in->lon[a] + t * (in->lon[b] - in->lon[a]);
        c->lat = in->lat[a] + t * (in->lat[b] - in->lat[a]);
    }
    return 1;
}

/* Step 1: the frame, from the usable segments' extents. */
static am_status frame_make(const am_crossing_input *in, frame *f)
{
    double lat_min = 90.0, lat_max = -90.0;
    for (int32_t v = 0; v < in->n_nodes; v++) {
        lat_min = fmin(lat_min, in->lat[v]);
        lat_max = fmax(lat_max, in->lat[v]);
    }
    f->coslat = cos(0.5 * (lat_min + lat_max) * DEG);
    if (!(f->coslat > 0.01))
        f->coslat = 0.01;
    double *ext = am_alloc_array((size_t)in->n_segs, sizeof *ext);
    if (ext == NULL)
        return AM_ERR_NOMEM;
    size_t n = 0;
    for (int64_t s = 0; s < in->n_segs; s++) {
        if (!seg_usable(in, s))
            continue;
        int32_t a = in->seg_a[s], b = in->seg_b[s];
        ext[n++] = fmax(fabs(in->lon[a] - in->lon[b]) * f->coslat,
                        fabs(in->lat[a] - in->lat[b]));
    }
    qsort(ext, n, sizeof *ext, cmp_double);
    f->h = n > 0 ? 2.0 * ext[n / 2] : 1.0;
    if (!(f->h >= MIN_CELL_DEG))
        f->h = MIN_CELL_DEG;
    am_free(ext);
    return AM_OK;
}

am_status am_crossings_find(const am_crossing_input *in, am_crossing **out,
                            int64_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    am_status rc = AM_OK;
    entry *ent = NULL;
    pair *pairs = NULL;
    am_crossing *cr = NULL;
    if (in->n_segs <= 1)
        return AM_OK;
    for (int64_t s = 0; s < in->n_segs; s++)
        if (in->seg_a[s] < 0 || in->seg_a[s] >= in->n_nodes ||
            in->seg_b[s] < 0 || in->seg_b[s] >= in->n_nodes)
            return AM_ERR_INVALID;
    frame f;
    if ((rc = frame_make(in, &f)) != AM_OK)
        goto cleanup;

    /* step 2: entries, counted then filled */
    size_t n_ent = 0;
    for (int64_t s = 0; s < in->n_segs; s++)
        if (seg_usable(in, s))
            n_ent += seg_cells(in, &f, s, NULL);
    ent = am_alloc_array(n_ent > 0 ? n_ent : 1, sizeof *ent);
    if (ent == NULL) {
        rc = AM_ERR_NOMEM;
        goto cleanup;
    }
    size_t k = 0;
    for (int64_t s = 0; s < in->n_segs; s++)
        if (seg_usable(in, s))
            k += seg_cells(in, &f, s, ent + k);
    qsort(ent, n_ent, sizeof *ent, cmp_entry);

    size_t n_pairs = 0, cap = 0;
    for (size_t r0 = 0; r0 < n_ent;) {
        size_t r1 = r0 + 1;
        while (r1 < n_ent && ent[r1].cell == ent[r0].cell)
            r1++;
        for (size_t x = r0; x < r1; x++)
            for (size_t y = x + 1; y < r1; y++) {
                int64_t i = ent[x].seg, j = ent[y].seg; /* i < j: sorted */
                if (i == j || !pair_wanted(in, i, j))
                    continue;
                if (!am_grow_array((void **)&pairs, &cap, n_pairs + 1,
                                   sizeof *pairs, 1024)) {
                    rc = AM_ERR_NOMEM;
                    goto cleanup;
                }
                pairs[n_pairs++] = (pair){i, j};
            }
        r0 = r1;
    }
    am_free(ent);
    ent = NULL;
    if (n_pairs > 0)
        qsort(pairs, n_pairs, sizeof *pairs, cmp_pair);

    /* step 3: each distinct pair once, in order */
    size_t n_cr = 0, cr_cap = 0;
    for (size_t p = 0; p < n_pairs; p++) {
        if (p > 0 && pairs[p].i == pairs[p - 1].i &&
            pairs[p].j == pairs[p - 1].j)
            continue;
        am_crossing c;
        if (!pair_test(in, pairs[p].i, pairs[p].j, &c))
            continue;
        if (!am_grow_array((void **)&cr, &cr_cap, n_cr + 1, sizeof *cr, 64)) {
            rc = AM_ERR_NOMEM;
            goto cleanup;
        }
        cr[n_cr++] = c;
    }
    if (n_cr > 0) {
        *out = cr;
        *n_out = (int64_t)n_cr;
        cr = NULL;
    }

cleanup:
    am_free(ent);
    am_free(pairs);
    am_free(cr);
    return rc;
}
