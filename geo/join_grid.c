/*
 * join_grid.c: points within a tolerance, in Earth-centred coordinates
 * (see join_grid.h).
 *
 * Method: each point's ECEF position (WGS 84: N = a / sqrt(1 - e^2 sin^2
 * phi), X = N cos phi cos lambda, Y = N cos phi sin lambda, Z = N (1 - e^2)
 * sin phi) falls in the cell floor(X / tol), floor(Y / tol), floor(Z /
 * tol). Cells live in an open-addressing table keyed on the three cell
 * indices (linear probing, at most half full); each holds the head of a
 * list of its points, linked through next[]. Any point within tol of a
 * query lies in one of the 27 cells around the query's cell. The answer is
 * the nearest accepted point, the lowest id on a tie, so it depends only on
 * the points added and not on the table's layout.
 */
#include "geo/join_grid.h"

#include <math.h>
#include <string.h>

#include "common/alloc.h"

#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)
#define DEG (3.14159265358979323846 / 180.0)

typedef struct cell {
    int64_t i, j, k;
    int32_t head; /* -1: empty slot */
} cell;

struct am_join_grid {
    double tol;
    cell *cells; /* [mask + 1] */
    size_t mask;
    size_t n_cells;
    double *xyz;    /* [3 * cap] */
    int64_t *owner; /* [cap] */
    int32_t *next;  /* [cap] */
    uint8_t *end;   /* [cap] */
    size_t n, cap;
};

void am_join_grid_ecef(double lon, double lat, double xyz[3])
{
    const double e2 = WGS84_F * (2.0 - WGS84_F);
    double phi = lat * DEG, lam = lon * DEG;
    double s = sin(phi), c = cos(phi);
    double nr = WGS84_A / sqrt(1.0 - e2 * s * s);
    xyz[0] = nr * c * cos(lam);
    xyz[1] = nr * c * sin(lam);
    xyz[2] = nr * (1.0 - e2) * s;
}

static uint64_t cell_hash(int64_t i, int64_t j, int64_t k)
{
    uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)j * 0xC2B2AE3D27D4EB4Full + (h << 6) + (h >> 2);
    h ^= (uint64_t)k * 0x165667B19E3779F9ull + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h;
}

/* The slot of cell (i, j, k): where it is, or the empty slot for it. */
static size_t slot_of(const cell *cells, size_t mask, int64_t i, int64_t j,
                      int64_t k)
{
    size_t s = (size_t)cell_hash(i, j, k) & mask;
    while (cells[s].head >= 0 &&
           (cells[s].i != i || cells[s].j != j || cells[s].k != k))
        s = (s + 1) & mask;
    return s;
}

static am_status cells_resize(am_join_grid *g, size_t cap)
{
    cell *c = am_alloc_array(cap, sizeof *c);
    if (c == NULL)
        return AM_ERR_NOMEM;
    for (size_t s = 0; s < cap; s++)
        c[s].head = -1;
    for (size_t s = 0; g->cells != NULL && s <= g->mask; s++)
        if (g->cells[s].head >= 0)
            c[slot_of(c, cap - 1, g->cells[s].i, g->cells[s].j,
                      g->cells[s].k)] = g->cells[s];
    am_free(g->cells);
    g->cells = c;
    g->mask = cap - 1;
    return AM_OK;
}

am_status am_join_grid_create(double tol_m, am_join_grid **out)
{
    *out = NULL;
    if (!(tol_m >= AM_JOIN_TOLERANCE_MIN_M && tol_m <= AM_JOIN_TOLERANCE_MAX_M))
        return AM_ERR_INVALID;
    am_join_grid *g = am_calloc(1, sizeof *g);
    if (g == NULL)
        return AM_ERR_NOMEM;
    g->tol = tol_m;
    if (cells_resize(g, 1u << 12) != AM_OK) {
        am_join_grid_destroy(g);
        return AM_ERR_NOMEM;
    }
    *out = g;
    return AM_OK;
}

void am_join_grid_destroy(am_join_grid *g)
{
    if (g == NULL)
        return;
    am_free(g->cells);
    am_free(g->xyz);
    am_free(g->owner);
    am_free(g->next);
    am_free(g->end);
    am_free(g);
}

static int64_t cell_index(double v, double tol)
{
    return (int64_t)floor(v / tol);
}

static am_status points_grow(am_join_grid *g)
{
    size_t cap = g->cap > 0 ? g->cap * 2 : 1024;
    double *xyz = am_realloc_array(g->xyz, cap * 3, sizeof *xyz);
    if (xyz == NULL)
        return AM_ERR_NOMEM;
    g->xyz = xyz;
    int64_t *owner = am_realloc_array(g->owner, cap, sizeof *owner);
    if (owner == NULL)
        return AM_ERR_NOMEM;
    g->owner = owner;
    int32_t *next = am_realloc_array(g->next, cap, sizeof *next);
    if (next == NULL)
        return AM_ERR_NOMEM;
    g->next = next;
    uint8_t *end = am_realloc_array(g->end, cap, sizeof *end);
    if (end == NULL)
        return AM_ERR_NOMEM;
    g->end = end;
    g->cap = cap;
    return AM_OK;
}

am_status am_join_grid_add(am_join_grid *g, int32_t id, double lon, double lat,
                           int64_t owner, int is_end)
{
    if (id < 0 || (size_t)id != g->n)
        return AM_ERR_INVALID;
    if (g->n == g->cap && points_grow(g) != AM_OK)
        return AM_ERR_NOMEM;
    if (g->n_cells + 1 > (g->mask + 1) / 2 &&
        cells_resize(g, (g->mask + 1) * 2) != AM_OK)
        return AM_ERR_NOMEM;
    double *p = g->xyz + 3 * g->n;
    am_join_grid_ecef(lon, lat, p);
    int64_t i = cell_index(p[0], g->tol), j = cell_index(p[1], g->tol),
            k = cell_index(p[2], g->tol);
    size_t s = slot_of(g->cells, g->mask, i, j, k);
    if (g->cells[s].head < 0) {
        g->cells[s] = (cell){i, j, k, -1};
        g->n_cells++;
    }
    g->owner[g->n] = owner;
    g->end[g->n] = is_end != 0;
    g->next[g->n] = g->cells[s].head;
    g->cells[s].head = id;
    g->n++;
    return AM_OK;
}

void am_join_grid_mark_end(am_join_grid *g, int32_t id)
{
    if (g != NULL && id >= 0 && (size_t)id < g->n)
        g->end[id] = 1;
}

int32_t am_join_grid_find(const am_join_grid *g, double lon, double lat,
                          int64_t owner, int is_end, int all_vertices)
{
    double q[3];
    am_join_grid_ecef(lon, lat, q);
    int64_t ci = cell_index(q[0], g->tol), cj = cell_index(q[1], g->tol),
            ck = cell_index(q[2], g->tol);
    double best_d2 = g->tol * g->tol;
    int32_t best = -1;
    for (int64_t i = ci - 1; i <= ci + 1; i++)
        for (int64_t j = cj - 1; j <= cj + 1; j++)
            for (int64_t k = ck - 1; k <= ck + 1; k++) {
                size_t s = slot_of(g->cells, g->mask, i, j, k);
                for (int32_t id = g->cells[s].head; id >= 0; id = g->next[id]) {
                    if (g->owner[id] == owner ||
                        !(all_vertices || is_end || g->end[id]))
                        continue;
                    const double *p = g->xyz + 3 * (size_t)id;
                    double dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
                    double d2 = dx * dx + dy * dy + dz * dz;
                    if (d2 < best_d2 ||
                        (d2 == best_d2 && best >= 0 && id < best) ||
                        (d2 == best_d2 && best < 0)) {
                        best_d2 = d2;
                        best = id;
                    }
                }
            }
    return best;
}
