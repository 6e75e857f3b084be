/*
 * near_pairs.c: pairs of points within a distance, by latitude bands and
 * longitude windows (see near_pairs.h for the method and its bounds).
 */
#include "geo/near_pairs.h"

#include <math.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "geo/geodesic.h"

#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)
#define DEG (3.14159265358979323846 / 180.0)

typedef struct pt {
    int64_t band; /* floor(lat / band width) */
    double lon;   /* in [-180, 180] */
    int32_t row;
} pt;

static int pt_order(const void *pa, const void *pb)
{
    const pt *a = pa, *b = pb;
    if (a->band != b->band)
        return a->band < b->band ? -1 : 1;
    if (a->lon != b->lon)
        return a->lon < b->lon ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

static int pair_before(const am_near_pair *x, const am_near_pair *y)
{
    return x->a != y->a ? x->a < y->a : x->b < y->b;
}

/* Inserts p into keep[0 .. *kept - 1], kept in (a, b) order and at most
 * max_keep long. */
static void keep_pair(am_near_pair *keep, int max_keep, int *kept,
                      am_near_pair p)
{
    if (max_keep <= 0)
        return;
    int k = *kept;
    if (k == max_keep) {
        if (!pair_before(&p, &keep[k - 1]))
            return;
        k--; /* the last one drops out */
    }
    while (k > 0 && pair_before(&p, &keep[k - 1])) {
        keep[k] = keep[k - 1];
        k--;
    }
    keep[k] = p;
    if (*kept < max_keep)
        (*kept)++;
}

typedef struct sweep {
    const double *lon, *lat;
    double max_m;
    int64_t found;
    am_near_pair *keep;
    int max_keep, kept;
} sweep;

/* The pair of rows i, j if within max_m (and not at the same position). */
static void try_pair(sweep *w, int32_t i, int32_t j)
{
    const double *lon = w->lon, *lat = w->lat;
    if (lon[i] == lon[j] && lat[i] == lat[j])
        return; /* the same position: reported apart */
    if (am_geodesic_distance_lower_m(lon[i], lat[i], lon[j], lat[j]) > w->max_m)
        return;
    /* from the lower index: the distance is the pair's alone */
    const int32_t a = i < j ? i : j, b = i < j ? j : i;
    const double d = am_geodesic_distance_m(lon[a], lat[a], lon[b], lat[b]);
    if (!(d <= w->max_m))
        return;
    w->found++;
    keep_pair(w->keep, w->max_keep, &w->kept, (am_near_pair){a, b, d});
}

/* The first position in p[s, e) whose longitude is >= x. */
static int32_t lon_lower(const pt *p, int32_t s, int32_t e, double x)
{
    while (s < e) {
        int32_t mid = s + (e - s) / 2;
        if (p[mid].lon < x)
            s = mid + 1;
        else
            e = mid;
    }
    return s;
}

/* Pairs of point u with the points of the run p[s, e) (sorted by
 * longitude) within `half` degrees of longitude of it, across the
 * antimeridian too (half >= 180: the whole run); only positions > after. */
static void scan_run(sweep *w, const pt *p, int32_t u, int32_t s, int32_t e,
                     double half, int32_t after)
{
    double lo[3], hi[3];
    int nr = 0;
    const double x = p[u].lon;
    if (half >= 180.0) {
        lo[nr] = -INFINITY, hi[nr++] = INFINITY;
    } else {
        lo[nr] = x - half, hi[nr++] = x + half;
        if (x - half < -180.0)
            lo[nr] = x - half + 360.0, hi[nr++] = INFINITY;
        if (x + half > 180.0)
            lo[nr] = -INFINITY, hi[nr++] = x + half - 360.0;
    }
    for (int r = 0; r < nr; r++)
        for (int32_t v = lon_lower(p, s, e, lo[r]); v < e && p[v].lon <= hi[r];
             v++)
            if (v > after)
                try_pair(w, p[u].row, p[v].row);
}

int am_near_pairs(int32_t n, const double *lon, const double *lat, double max_m,
                  int64_t *count, am_near_pair *keep, int max_keep)
{
    *count = 0;
    if (n < 2 || !(max_m >= 0.0) || !isfinite(max_m))
        return 0;
    pt *p = am_alloc_array((size_t)n, sizeof *p);
    if (p == NULL)
        return -1;
    /* b = a (1 - e^2), the least meridian radius of curvature, lowered
       for rounding as geodesic.c's lower bound is */
    const double e2 = WGS84_F * (2.0 - WGS84_F);
    const double b = WGS84_A * (1.0 - e2) * (1.0 - 1e-9);
    /* latitude band (degrees): two points farther apart in latitude are
       farther apart than their meridian arc, >= b dphi */
    const double bw = fmax(max_m / (b * DEG), 1e-12);
    /* longitude window: the lower bound b 2 sqrt(hav) with hav >=
       cos^2(phi_max) sin^2(dlon / 2) gives |sin(dlon / 2)| <= s / cos */
    const double s = (max_m + 1e-6) / (2.0 * b) * (1.0 + 1e-9);
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(lon[i]) || !isfinite(lat[i]))
            continue;
        double x = remainder(lon[i], 360.0); /* [-180, 180] */
        p[m++] = (pt){(int64_t)floor(lat[i] / bw), x, i};
    }
    qsort(p, (size_t)m, sizeof *p, pt_order);
    sweep w = {lon, lat, max_m, 0, keep, max_keep, 0};
    for (int32_t s0 = 0, e0; s0 < m; s0 = e0) {
        for (e0 = s0; e0 < m && p[e0].band == p[s0].band; e0++)
            ;
        /* the next run, when it is the next band */
        int32_t e1 = e0;
        if (e0 < m && p[e0].band == p[s0].band + 1)
            for (; e1 < m && p[e1].band == p[e0].band; e1++)
                ;
        const double B = (double)p[s0].band;
        const double lat_own =
            fmin(90.0, fmax(fabs(B * bw), fabs((B + 1.0) * bw)));
        const double lat_next =
            fmin(90.0, fmax(fabs(B * bw), fabs((B + 2.0) * bw)));
        double half[2];
        const double latmax[2] = {lat_own, lat_next};
        for (int k = 0; k < 2; k++) {
            const double c = cos(latmax[k] * DEG);
            half[k] =
                c > 0.0 && s < c ? 2.0 * asin(s / c) / DEG * (1 + 1e-9) : 180.0;
        }
        for (int32_t u = s0; u < e0; u++) {
            scan_run(&w, p, u, s0, e0, half[0], u);
            if (e1 > e0)
                scan_run(&w, p, u, e0, e1, half[1], -1);
        }
    }
    am_free(p);
    *count = w.found;
    return 0;
}
