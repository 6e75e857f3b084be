/*
 * polygon.c: point-in-polygon for many points against many polygons (see
 * polygon.h for the rule and the index).
 *
 * The crossing test is the classical even-odd ray test (Shimrat 1962,
 * "Algorithm 112: Position of point relative to polygon", CACM 5(8):434;
 * the half-open edge convention as in Haines 1994, "Point in Polygon
 * Strategies", Graphics Gems IV). Invariants:
 *  - every stored edge has y0 < y1 (horizontal edges can never be
 *    crossed under the half-open rule and are dropped);
 *  - band and grid slots come from one monotone function of a coordinate
 *    (slot), used both when an edge or a box is filed and when a point is
 *    looked up, so a point inside an edge's y range (or a box) always
 *    lands in a band (cell) that lists it, whatever the rounding;
 *  - the edges of a polygon are ps->e*[e0 .. e1), its bands
 *    ps->band_first[band0 .. band0 + nb], holding edge numbers local to
 *    the polygon.
 */
#include "geo/polygon.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "common/alloc.h"

/* Bands per polygon: about one per BAND_EDGES edges, at most BAND_MAX. */
#define BAND_EDGES 4
#define BAND_MAX (1 << 16)
/* Grid cells per axis: about 2 sqrt(polygons), at most GRID_MAX. */
#define GRID_MAX 1024
/* Points per scheduling chunk of am_polygons_min_value. */
#define POINT_CHUNK 4096

typedef struct poly {
    double box[4]; /* x min, y min, x max, y max */
    double value;
    int64_t e0, e1; /* edges */
    int64_t band0;  /* first of its nb + 1 band_first entries */
    int32_t nb;
    double inv_h; /* nb / (y max - y min); 0 when flat */
} poly;

struct am_polygons {
    poly *p;
    int32_t n, cap;
    double *ex0, *ey0, *ex1, *ey1;
    int64_t ne, ecap;
    int64_t *band_first; /* [sum of (nb + 1)] */
    uint32_t *band_edge; /* [band_first's last entries] */
    /* the grid of boxes */
    double gbox[4];
    int32_t gx, gy;
    double gix, giy;     /* cells per unit */
    int64_t *cell_first; /* [gx * gy + 1] */
    int32_t *cell_poly;
    int finished;
};

am_status am_polygons_create(am_polygons **out, am_error *err)
{
    *out = am_calloc(1, sizeof **out);
    if (*out == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    return AM_OK;
}

void am_polygons_destroy(am_polygons *ps)
{
    if (ps == NULL)
        return;
    am_free(ps->p);
    am_free(ps->ex0);
    am_free(ps->ey0);
    am_free(ps->ex1);
    am_free(ps->ey1);
    am_free(ps->band_first);
    am_free(ps->band_edge);
    am_free(ps->cell_first);
    am_free(ps->cell_poly);
    am_free(ps);
}

int32_t am_polygons_count(const am_polygons *ps)
{
    return ps != NULL ? ps->n : 0;
}

/* The slot of v among n slots of width 1/inv from lo, clamped to
 * [0, n - 1]: monotone in v. */
static int32_t slot(double v, double lo, double inv, int32_t n)
{
    const double t = (v - lo) * inv;
    if (!(t >= 0.0))
        return 0;
    if (t >= (double)n)
        return n - 1;
    return (int32_t)t;
}

static int edges_reserve(am_polygons *ps, int64_t more)
{
    const int64_t need = ps->ne + more;
    if (need <= ps->ecap)
        return 1;
    int64_t c = ps->ecap > 0 ? ps->ecap : 1024;
    while (c < need)
        c *= 2;
    double **arr[4] = {&ps->ex0, &ps->ey0, &ps->ex1, &ps->ey1};
    for (int k = 0; k < 4; k++) {
        double *q = am_realloc_array(*arr[k], (size_t)c, sizeof(double));
        if (q == NULL)
            return 0;
        *arr[k] = q;
    }
    ps->ecap = c;
    return 1;
}

am_status am_polygons_add(am_polygons *ps, int32_t n_rings,
                          const int64_t *ring_size, const double *x,
                          const double *y, double value, int *added,
                          am_error *err)
{
    if (added != NULL)
        *added = 0;
    if (ps->finished)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "am_polygons_add after am_polygons_finish");
    if (ps->n == INT32_MAX)
        return am_error_set(err, AM_ERR_INVALID, NULL, "too many polygons");
    int64_t total = 0;
    for (int32_t r = 0; r < n_rings; r++)
        total += ring_size[r];
    for (int64_t i = 0; i < total; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "polygon vertex %lld is not finite",
                                (long long)i);
    if (ps->n == ps->cap) {
        int32_t c = ps->cap > 0
                        ? (ps->cap < INT32_MAX / 2 ? ps->cap * 2 : INT32_MAX)
                        : 64;
        poly *q = am_realloc_array(ps->p, (size_t)c, sizeof *q);
        if (q == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        ps->p = q;
        ps->cap = c;
    }
    if (!edges_reserve(ps, total))
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    poly pg = {{HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL},
               value,
               ps->ne,
               ps->ne,
               0,
               0,
               0.0};
    int used = 0;
    int64_t first = 0;
    for (int32_t r = 0; r < n_rings; first += ring_size[r], r++) {
        const int64_t m = ring_size[r];
        if (m < 3)
            continue;
        used = 1;
        const double *rx = x + first, *ry = y + first;
        for (int64_t i = 0; i < m; i++) {
            pg.box[0] = fmin(pg.box[0], rx[i]);
            pg.box[1] = fmin(pg.box[1], ry[i]);
            pg.box[2] = fmax(pg.box[2], rx[i]);
            pg.box[3] = fmax(pg.box[3], ry[i]);
            const int64_t j = i + 1 < m ? i + 1 : 0;
            if (ry[i] == ry[j])
                continue;
            const int up = ry[i] < ry[j];
            const int64_t e = ps->ne++;
            ps->ex0[e] = up ? rx[i] : rx[j];
            ps->ey0[e] = up ? ry[i] : ry[j];
            ps->ex1[e] = up ? rx[j] : rx[i];
            ps->ey1[e] = up ? ry[j] : ry[i];
        }
    }
    if (!used)
        return AM_OK;
    pg.e1 = ps->ne;
    ps->p[ps->n++] = pg;
    if (added != NULL)
        *added = 1;
    return AM_OK;
}

/* Band entries polygon p needs with nb bands (its inv_h set for nb). */
static int64_t band_entries(const am_polygons *ps, const poly *p, int32_t nb,
                            double inv_h)
{
    int64_t k = 0;
    for (int64_t e = p->e0; e < p->e1; e++)
        k += slot(ps->ey1[e], p->box[1], inv_h, nb) -
             slot(ps->ey0[e], p->box[1], inv_h, nb) + 1;
    return k;
}

static double inv_size(double lo, double hi, int32_t n)
{
    return hi > lo ? (double)n / (hi - lo) : 0.0;
}

/* Chooses each polygon's bands and files its edges in them. */
static am_status build_bands(am_polygons *ps, am_error *err)
{
    int64_t n_first = 0, n_edge = 0;
    for (int32_t i = 0; i < ps->n; i++) {
        poly *p = &ps->p[i];
        const int64_t ne = p->e1 - p->e0;
        int32_t nb =
            (int32_t)(ne / BAND_EDGES < BAND_MAX ? ne / BAND_EDGES : BAND_MAX);
        if (nb < 1)
            nb = 1;
        int64_t k;
        for (;;) {
            double inv = inv_size(p->box[1], p->box[3], nb);
            k = band_entries(ps, p, nb, inv);
            /* long edges spanning many bands: fewer bands */
            if (nb == 1 || k <= 8 * ne + 4 * (int64_t)nb) {
                p->inv_h = inv;
                break;
            }
            nb /= 2;
        }
        p->nb = nb;
        p->band0 = n_first;
        n_first += nb + 1;
        n_edge += k;
    }
    ps->band_first = am_calloc_array((size_t)n_first, sizeof *ps->band_first);
    ps->band_edge = am_alloc_array((size_t)(n_edge > 0 ? n_edge : 1),
                                   sizeof *ps->band_edge);
    if (ps->band_first == NULL || ps->band_edge == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory indexing %d polygons", (int)ps->n);
    int64_t base = 0;
    for (int32_t i = 0; i < ps->n; i++) {
        const poly *p = &ps->p[i];
        int64_t *bf = ps->band_first + p->band0;
        /* count per band, prefix sum, scatter */
        for (int64_t e = p->e0; e < p->e1; e++) {
            const int32_t b0 = slot(ps->ey0[e], p->box[1], p->inv_h, p->nb);
            const int32_t b1 = slot(ps->ey1[e], p->box[1], p->inv_h, p->nb);
            for (int32_t b = b0; b <= b1; b++)
                bf[b + 1]++;
        }
        bf[0] = base;
        for (int32_t b = 0; b < p->nb; b++)
            bf[b + 1] += bf[b];
        base = bf[p->nb];
        for (int32_t b = p->nb; b > 0; b--)
            bf[b] = bf[b - 1];
        for (int64_t e = p->e0; e < p->e1; e++) {
            const int32_t b0 = slot(ps->ey0[e], p->box[1], p->inv_h, p->nb);
            const int32_t b1 = slot(ps->ey1[e], p->box[1], p->inv_h, p->nb);
            for (int32_t b = b0; b <= b1; b++)
                ps->band_edge[bf[b + 1]++] = (uint32_t)(e - p->e0);
        }
    }
    return AM_OK;
}

/* Cells the boxes need on a gx x gy grid. */
static int64_t grid_entries(const am_polygons *ps, int32_t gx, int32_t gy)
{
    const double ix = inv_size(ps->gbox[0], ps->gbox[2], gx);
    const double iy = inv_size(ps->gbox[1], ps->gbox[3], gy);
    int64_t k = 0;
    for (int32_t i = 0; i < ps->n; i++) {
        const double *b = ps->p[i].box;
        k += (int64_t)(slot(b[2], ps->gbox[0], ix, gx) -
                       slot(b[0], ps->gbox[0], ix, gx) + 1) *
             (slot(b[3], ps->gbox[1], iy, gy) -
              slot(b[1], ps->gbox[1], iy, gy) + 1);
    }
    return k;
}

static am_status build_grid(am_polygons *ps, am_error *err)
{
    double *g = ps->gbox;
    g[0] = g[1] = HUGE_VAL;
    g[2] = g[3] = -HUGE_VAL;
    for (int32_t i = 0; i < ps->n; i++) {
        const double *b = ps->p[i].box;
        g[0] = fmin(g[0], b[0]);
        g[1] = fmin(g[1], b[1]);
        g[2] = fmax(g[2], b[2]);
        g[3] = fmax(g[3], b[3]);
    }
    int32_t side = (int32_t)ceil(2.0 * sqrt((double)ps->n));
    if (side > GRID_MAX)
        side = GRID_MAX;
    if (side < 1)
        side = 1;
    int64_t k;
    /* boxes covering much of the area: a coarser grid */
    while ((k = grid_entries(ps, side, side)) >
               16 * (int64_t)ps->n + (int64_t)side * side &&
           side > 1)
        side /= 2;
    ps->gx = ps->gy = side;
    ps->gix = inv_size(g[0], g[2], side);
    ps->giy = inv_size(g[1], g[3], side);
    const int64_t nc = (int64_t)side * side;
    ps->cell_first = am_calloc_array((size_t)nc + 1, sizeof *ps->cell_first);
    ps->cell_poly =
        am_alloc_array((size_t)(k > 0 ? k : 1), sizeof *ps->cell_poly);
    if (ps->cell_first == NULL || ps->cell_poly == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory indexing %d polygons", (int)ps->n);
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t i = 0; i < ps->n; i++) {
            const double *b = ps->p[i].box;
            const int32_t x0 = slot(b[0], g[0], ps->gix, side);
            const int32_t x1 = slot(b[2], g[0], ps->gix, side);
            const int32_t y0 = slot(b[1], g[1], ps->giy, side);
            const int32_t y1 = slot(b[3], g[1], ps->giy, side);
            for (int32_t cy = y0; cy <= y1; cy++)
                for (int32_t cx = x0; cx <= x1; cx++) {
                    const int64_t c = (int64_t)cy * side + cx;
                    if (pass == 0)
                        ps->cell_first[c + 1]++;
                    else
                        ps->cell_poly[ps->cell_first[c]++] = i;
                }
        }
        if (pass == 0) {
            for (int64_t c = 0; c < nc; c++)
                ps->cell_first[c + 1] += ps->cell_first[c];
        } else {
            for (int64_t c = nc; c > 0; c--)
                ps->cell_first[c] = ps->cell_first[c - 1];
            ps->cell_first[0] = 0;
        }
    }
    return AM_OK;
}

am_status am_polygons_finish(am_polygons *ps, am_error *err)
{
    if (ps->finished)
        return AM_OK;
    am_status rc = build_bands(ps, err);
    if (rc == AM_OK)
        rc = build_grid(ps, err);
    if (rc == AM_OK)
        ps->finished = 1;
    return rc;
}

int am_polygons_contains(const am_polygons *ps, int32_t i, double x, double y)
{
    const poly *p = &ps->p[i];
    if (!(x >= p->box[0] && x <= p->box[2] && y >= p->box[1] && y <= p->box[3]))
        return 0;
    const int32_t b = slot(y, p->box[1], p->inv_h, p->nb);
    const int64_t *bf = ps->band_first + p->band0;
    const uint32_t *be = ps->band_edge;
    const double *ex0 = ps->ex0 + p->e0, *ey0 = ps->ey0 + p->e0;
    const double *ex1 = ps->ex1 + p->e0, *ey1 = ps->ey1 + p->e0;
    int in = 0;
    for (int64_t k = bf[b]; k < bf[b + 1]; k++) {
        const uint32_t e = be[k];
        const double y0 = ey0[e], y1 = ey1[e];
        if (y0 <= y && y < y1) {
            const double xe = ex0[e] + (y - y0) * (ex1[e] - ex0[e]) / (y1 - y0);
            if (x < xe)
                in ^= 1;
        }
    }
    return in;
}

static double min_value_at(const am_polygons *ps, double x, double y)
{
    const double *g = ps->gbox;
    double best = NAN;
    if (!(x >= g[0] && x <= g[2] && y >= g[1] && y <= g[3]))
        return best;
    const int64_t c = (int64_t)slot(y, g[1], ps->giy, ps->gy) * ps->gx +
                      slot(x, g[0], ps->gix, ps->gx);
    for (int64_t k = ps->cell_first[c]; k < ps->cell_first[c + 1]; k++) {
        const int32_t i = ps->cell_poly[k];
        const double v = ps->p[i].value;
        if (!isnan(best) && !(v < best))
            continue; /* cannot lower the minimum */
        if (am_polygons_contains(ps, i, x, y))
            best = v;
    }
    return best;
}

void am_polygons_min_value(const am_polygons *ps, int64_t n, const double *x,
                           const double *y, int threads, double *value)
{
    if (ps->n == 0) {
        for (int64_t i = 0; i < n; i++)
            value[i] = NAN;
        return;
    }
    int nt = threads > 0 ? threads : omp_get_max_threads();
    const int64_t chunks = (n + POINT_CHUNK - 1) / POINT_CHUNK;
    if ((int64_t)nt > chunks)
        nt = chunks > 0 ? (int)chunks : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(ps, n, x, y, value, chunks)
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t i1 =
            (c + 1) * POINT_CHUNK < n ? (c + 1) * POINT_CHUNK : n;
        for (int64_t i = c * POINT_CHUNK; i < i1; i++)
            value[i] = min_value_at(ps, x[i], y[i]);
    }
}
