/*
 * crs.c: coordinate reference systems and transforms (see crs.h).
 *
 * Why: inputs come in whatever CRS their producer chose (WGS 84 for
 * WorldPop and OSM, national grids such as EPSG:3879 for municipal data);
 * accessim needs lon/lat for geodesic lengths and a metric frame for
 * snapping. This file is the only place that talks to PROJ's CRS API.
 *
 * Method: one PJ_CONTEXT per am_transform (PROJ contexts are not
 * thread-safe, and an own context keeps PROJ's logging off without touching
 * global state); proj_create_crs_to_crs picks the best operation for the
 * area, proj_normalize_for_visualization forces x = easting/longitude,
 * y = northing/latitude whatever the CRS's official axis order (EPSG:4326 is
 * officially lat, lon). Points are transformed in place with
 * proj_trans_generic; PROJ marks a point it cannot transform with HUGE_VAL,
 * and we make both coordinates HUGE_VAL and count it. The metric frame is
 * an ellipsoidal transverse Mercator projection (Gauss-Krueger) centred on
 * the extent, k_0 = 1, by PROJ's exact algorithm (Poder/Engsager's
 * Krueger series; Karney 2011, "Transverse Mercator with an accuracy of a
 * few nanometers", J. Geodesy 85(8):475-485, shows it accurate to 5 nm
 * within 3900 km of the central meridian). It is conformal: at any point
 * the scale k is the same in every direction, so which of two roads near
 * a point is nearer is the same in the frame as on the ground, up to the
 * change of k across the distance between them; k grows with the
 * distance x from the central meridian only, as cosh(x / R) on a sphere
 * of radius R (Snyder 1987, "Map Projections: A Working Manual", USGS PP
 * 1395, ch. 8: k = 1 / sqrt(1 - B^2), x = R atanh(B)). It replaced an
 * azimuthal equidistant frame (Snyder ch. 25), exact in distance from the
 * centre but anisotropic elsewhere, whose transform costs a geodesic
 * inverse in PROJ (~0.85 us a point against ~0.15 us).
 *
 * References: PROJ C API (https://proj.org/development/reference/).
 */
#include "geo/crs.h"

#include <math.h>
#include <omp.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"

struct am_transform {
    PJ_CONTEXT *ctx; /* owned */
    PJ *pj;          /* owned, normalised to lon/lat, easting/northing */
    char *src;       /* owned copies of the definitions, for clones */
    char *dst;
};

/* A CRS definition shortened for messages (WKT can be kilobytes). */
static const char *crs_short(const char *def, char *buf, size_t n)
{
    if (def == NULL)
        return "(null)";
    size_t len = strlen(def);
    if (len < n)
        return def;
    snprintf(buf, n, "%.*s...", (int)(n - 4), def);
    return buf;
}

/* PROJ's messages go nowhere: the library never prints, and a failure is
 * reported through am_error (crs_failure says why). */
static void log_nothing(void *user, int level, const char *msg)
{
    (void)user;
    (void)level;
    (void)msg;
}

static PJ_CONTEXT *context_new(void)
{
    PJ_CONTEXT *ctx = proj_context_create();
    if (ctx != NULL) {
        /* issue 13: PROJ never fetches grids over the network, whatever
         * PROJ_NETWORK or proj.ini say; only installed grids are used */
        proj_context_set_enable_network(ctx, 0);
        proj_log_func(ctx, NULL, log_nothing);
        proj_log_level(ctx, PJ_LOG_NONE);
    }
    return ctx;
}

/*
 * Why PROJ could not make a CRS of def: its database missing (PROJ_DATA
 * or PROJ_LIB pointing nowhere, proj-data not installed), which makes
 * every EPSG code unknown, or the definition itself.
 */
static am_status crs_failure(PJ_CONTEXT *ctx, const char *what, const char *def,
                             am_error *err)
{
    char sbuf[72];
    const char *db = proj_context_get_database_path(ctx);
    if (db == NULL || db[0] == '\0') {
        const char *data = getenv("PROJ_DATA");
        const char *var = "PROJ_DATA";
        if (data == NULL) {
            data = getenv("PROJ_LIB");
            var = "PROJ_LIB";
        }
        return am_error_set(
            err, AM_ERR_CRS, NULL,
            "PROJ cannot find its database proj.db (%s=%s), so no "
            "coordinate reference system can be read; install proj-data, or "
            "point PROJ_DATA at the folder holding proj.db",
            var, data != NULL ? data : "(not set)");
    }
    return am_error_set(err, AM_ERR_CRS, NULL,
                        "%s%sunknown coordinate reference system '%s'",
                        what != NULL ? what : "", what != NULL ? ": " : "",
                        crs_short(def, sbuf, sizeof sbuf));
}

/*
 * The CRS object for def, or NULL when PROJ does not know it or it is not a
 * CRS. A bare PROJ string a user writes ("+proj=utm +zone=38 ...") is an
 * operation for PROJ >= 6 unless it says +type=crs; it is retried as a CRS,
 * as cs2cs and GDAL do. (am_crs_metric_frame writes +type=crs itself.)
 */
static PJ *crs_create(PJ_CONTEXT *ctx, const char *def)
{
    if (def == NULL || def[0] == '\0')
        return NULL;
    PJ *obj = proj_create(ctx, def);
    if (obj != NULL && proj_is_crs(obj))
        return obj;
    proj_destroy(obj);
    obj = NULL;
    const char *s = def;
    while (*s == ' ' || *s == '\t')
        s++;
    if (s[0] != '+' || strstr(def, "+type=crs") != NULL)
        return NULL;
    size_t len = strlen(def);
    char *with_type = am_malloc(len + sizeof " +type=crs");
    if (with_type == NULL)
        return NULL;
    memcpy(with_type, def, len);
    memcpy(with_type + len, " +type=crs", sizeof " +type=crs");
    obj = proj_create(ctx, with_type);
    am_free(with_type);
    if (obj != NULL && !proj_is_crs(obj)) {
        proj_destroy(obj);
        obj = NULL;
    }
    return obj;
}

am_status am_transform_create(const char *src, const char *dst,
                              am_transform **out, am_error *err)
{
    am_status rc = AM_OK;
    char sbuf[72], dbuf[72];
    PJ *src_crs = NULL, *dst_crs = NULL;
    *out = NULL;
    am_transform *t = am_calloc(1, sizeof *t);
    if (t == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory creating a transform");
    t->ctx = context_new();
    if (t->ctx == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "cannot create a PROJ context");
        goto cleanup;
    }
    src_crs = crs_create(t->ctx, src);
    dst_crs = src_crs != NULL ? crs_create(t->ctx, dst) : NULL;
    if (src_crs == NULL || dst_crs == NULL) {
        rc = crs_failure(t->ctx, NULL, src_crs == NULL ? src : dst, err);
        goto cleanup;
    }
    PJ *raw =
        proj_create_crs_to_crs_from_pj(t->ctx, src_crs, dst_crs, NULL, NULL);
    if (raw == NULL) {
        int e = proj_context_errno(t->ctx);
        rc = am_error_set(err, AM_ERR_CRS, NULL,
                          "no coordinate operation from '%s' to '%s': %s",
                          crs_short(src, sbuf, sizeof sbuf),
                          crs_short(dst, dbuf, sizeof dbuf),
                          e != 0 ? proj_context_errno_string(t->ctx, e)
                                 : "unknown PROJ error");
        goto cleanup;
    }
    t->pj = proj_normalize_for_visualization(t->ctx, raw);
    proj_destroy(raw);
    if (t->pj == NULL) {
        rc = am_error_set(err, AM_ERR_CRS, NULL,
                          "cannot normalise the axis order of the "
                          "operation from '%s' to '%s'",
                          crs_short(src, sbuf, sizeof sbuf),
                          crs_short(dst, dbuf, sizeof dbuf));
        goto cleanup;
    }
    t->src = am_strdup(src);
    t->dst = am_strdup(dst);
    if (t->src == NULL || t->dst == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory creating a transform");
        goto cleanup;
    }
    *out = t;
    t = NULL;
cleanup:
    proj_destroy(src_crs);
    proj_destroy(dst_crs);
    am_transform_destroy(t);
    return rc;
}

am_status am_transform_points(am_transform *t, size_t n, double *x, double *y,
                              size_t *n_failed, am_error *err)
{
    if (n_failed != NULL)
        *n_failed = 0;
    if (t == NULL || t->pj == NULL)
        return am_error_set(err, AM_ERR_CRS, NULL, "transform not initialised");
    if (n == 0)
        return AM_OK;
    proj_errno_reset(t->pj);
    proj_trans_generic(t->pj, PJ_FWD, x, sizeof *x, n, y, sizeof *y, n, NULL, 0,
                       0, NULL, 0, 0);
    proj_errno_reset(t->pj);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        /* PROJ writes HUGE_VAL for a failed point; NaN in, NaN out. */
        if (!isfinite(x[i]) || !isfinite(y[i]) || x[i] == HUGE_VAL ||
            y[i] == HUGE_VAL) {
            x[i] = HUGE_VAL;
            y[i] = HUGE_VAL;
            failed++;
        }
    }
    if (n_failed != NULL)
        *n_failed = failed;
    return AM_OK;
}

/* below this many points per thread, fewer threads (a clone costs
 * milliseconds) */
#define AM_TRANSFORM_MIN_PER_THREAD 65536

am_status am_transform_points_parallel(am_transform *t, size_t n, double *x,
                                       double *y, int threads, size_t *n_failed,
                                       am_error *err)
{
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if ((size_t)nt > n / AM_TRANSFORM_MIN_PER_THREAD)
        nt = (int)(n / AM_TRANSFORM_MIN_PER_THREAD);
    if (nt <= 1)
        return am_transform_points(t, n, x, y, n_failed, err);
    if (n_failed != NULL)
        *n_failed = 0;
    am_status rc = AM_OK;
    am_transform **tr = am_calloc_array((size_t)nt, sizeof *tr);
    size_t *failed = am_calloc_array((size_t)nt, sizeof *failed);
    am_status *brc = am_calloc_array((size_t)nt, sizeof *brc);
    if (tr == NULL || failed == NULL || brc == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory for %d transforming threads", nt);
        goto done;
    }
    tr[0] = t;
    for (int b = 1; b < nt && rc == AM_OK; b++)
        rc = am_transform_clone(t, &tr[b], err);
    if (rc != AM_OK)
        goto done;
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, x, y, tr, failed, brc)
    for (int b = 0; b < nt; b++) {
        const size_t i0 = n / (size_t)nt * (size_t)b;
        const size_t i1 = b == nt - 1 ? n : n / (size_t)nt * (size_t)(b + 1);
        brc[b] = am_transform_points(tr[b], i1 - i0, x + i0, y + i0, &failed[b],
                                     NULL);
    }
    for (int b = 0; b < nt; b++) {
        if (brc[b] != AM_OK && rc == AM_OK)
            rc = am_error_set(err, brc[b], NULL, "transform not initialised");
        if (n_failed != NULL)
            *n_failed += failed[b];
    }
done:
    for (int b = 1; tr != NULL && b < nt; b++)
        am_transform_destroy(tr[b]);
    am_free(tr);
    am_free(failed);
    am_free(brc);
    return rc;
}

/*
 * Re-created from the stored definitions rather than with proj_clone: the
 * original is then only read (two strings), never touched by PROJ, so that
 * clones can be made while another thread transforms with it, and PROJ's
 * choice among alternative operations is made again the same way.
 */
am_status am_transform_clone(const am_transform *t, am_transform **out,
                             am_error *err)
{
    if (out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_transform_clone: out is NULL");
    *out = NULL;
    if (t == NULL || t->pj == NULL || t->src == NULL || t->dst == NULL)
        return am_error_set(err, AM_ERR_CRS, NULL, "transform not initialised");
    return am_transform_create(t->src, t->dst, out, err);
}

void am_transform_destroy(am_transform *t)
{
    if (t == NULL)
        return;
    proj_destroy(t->pj);
    if (t->ctx != NULL)
        proj_context_destroy(t->ctx);
    am_free(t->src);
    am_free(t->dst);
    am_free(t);
}

am_status am_crs_metric_frame(double lon_min, double lat_min, double lon_max,
                              double lat_max, char *buf, size_t n,
                              am_error *err)
{
    if (buf != NULL && n > 0)
        buf[0] = '\0';
    if (!isfinite(lon_min) || !isfinite(lat_min) || !isfinite(lon_max) ||
        !isfinite(lat_max))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "metric frame: non-finite extent");
    if (lon_min > lon_max || lat_min > lat_max)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "metric frame: inverted extent (%.9g, %.9g) - "
                            "(%.9g, %.9g)",
                            lon_min, lat_min, lon_max, lat_max);
    if (lat_min < -90.0 || lat_max > 90.0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "metric frame: latitude outside [-90, 90]: "
                            "%.9g .. %.9g; is the extent in degrees?",
                            lat_min, lat_max);
    double lat0 = 0.5 * (lat_min + lat_max);
    double lon0 = 0.5 * (lon_min + lon_max);
    /* Wrap to [-180, 180]: remainder() gives [-180, 180] for period 360. */
    lon0 = remainder(lon0, 360.0);
    if (lon0 == 0.0)
        lon0 = 0.0; /* no "-0" in the string */
    if (lat0 == 0.0)
        lat0 = 0.0;
    if (buf == NULL || n == 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "metric frame: no output buffer");
    int k = snprintf(buf, n,
                     "+proj=tmerc +lat_0=%.9f +lon_0=%.9f +k_0=1 +x_0=0 "
                     "+y_0=0 +datum=WGS84 +units=m +no_defs +type=crs "
                     "+algo=poder_engsager",
                     lat0, lon0);
    if (k < 0 || (size_t)k >= n) {
        buf[0] = '\0';
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "metric frame: buffer of %zu bytes too small", n);
    }
    return AM_OK;
}

am_status am_crs_check(const char *def, const char *what, am_error *err)
{
    if (what == NULL)
        what = "input";
    if (def == NULL || def[0] == '\0')
        return am_error_set(err, AM_ERR_CRS, NULL,
                            "%s has no coordinate reference system", what);
    PJ_CONTEXT *ctx = context_new();
    if (ctx == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "cannot create a PROJ context");
    PJ *crs = crs_create(ctx, def);
    am_status rc = crs != NULL ? AM_OK : crs_failure(ctx, what, def, err);
    proj_destroy(crs);
    proj_context_destroy(ctx);
    return rc;
}

am_status am_crs_equivalent(const char *a, const char *b, const char *what_a,
                            const char *what_b, int *same, am_error *err)
{
    *same = 0;
    if (a != NULL && b != NULL && strcmp(a, b) == 0 && a[0] != '\0') {
        *same = 1;
        return AM_OK;
    }
    am_status rc = am_crs_check(a, what_a, err);
    if (rc == AM_OK)
        rc = am_crs_check(b, what_b, err);
    if (rc != AM_OK)
        return rc;
    PJ_CONTEXT *ctx = context_new();
    if (ctx == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "cannot create a PROJ context");
    PJ *pa = crs_create(ctx, a);
    PJ *pb = crs_create(ctx, b);
    if (pa == NULL || pb == NULL)
        rc = crs_failure(ctx, pa == NULL ? what_a : what_b, pa == NULL ? a : b,
                         err);
    else
        *same = proj_is_equivalent_to(
                    pa, pb, PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS) != 0;
    proj_destroy(pa);
    proj_destroy(pb);
    proj_context_destroy(ctx);
    return rc;
}

/*
 * The radius in cosh(x / R): a little below the WGS 84 semi-minor axis b
 * (6356752 m), the least geometric mean radius sqrt(M N) that the
 * second-order ellipsoidal scale 1 + x^2 / (2 M N) uses, so that the
 * higher-order terms stay below the bound too: checked against PROJ's
 * proj_factors for |x| <= 6000 km at every latitude (the least R that
 * bounds k there is 6349 km, at the equator; tests/geo/test_crs.c).
 */
#define AM_FRAME_SCALE_RADIUS_M 6345000.0

double am_crs_frame_scale_error(double x_m)
{
    if (!isfinite(x_m))
        return HUGE_VAL;
    const double e = cosh(x_m / AM_FRAME_SCALE_RADIUS_M) - 1.0;
    return isfinite(e) ? e : HUGE_VAL;
}

double am_crs_frame_max_scale(double x_max_m, double reach_m)
{
    if (!(x_max_m >= 0.0 && reach_m >= 0.0))
        return INFINITY;
    const double k = 1.0 + am_crs_frame_scale_error(x_max_m + 2.0 * reach_m);
    return k < 2.0 ? k : INFINITY;
}

/* 0.1-degree longitude bins for the extent's arc. */
#define AM_LON_BINS 3600

void am_crs_lonlat_extent(int64_t n, const double *lon, const double *lat,
                          double box[4])
{
    unsigned char used[AM_LON_BINS];
    memset(used, 0, sizeof used);
    box[0] = box[1] = HUGE_VAL;
    box[2] = box[3] = -HUGE_VAL;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(lon[i]) || !isfinite(lat[i]))
            continue;
        box[0] = fmin(box[0], lon[i]);
        box[1] = fmin(box[1], lat[i]);
        box[2] = fmax(box[2], lon[i]);
        box[3] = fmax(box[3], lat[i]);
        long b = lrint(floor((remainder(lon[i], 360.0) + 180.0) * 10.0));
        used[b < 0 ? 0 : b >= AM_LON_BINS ? AM_LON_BINS - 1 : b] = 1;
    }
    if (box[0] > box[2])
        return; /* no finite point */
    /* The longest run of empty bins, around the circle. */
    long best_len = 0, best_end = -1, run = 0;
    for (long k = 0; k < 2 * AM_LON_BINS; k++) {
        if (used[k % AM_LON_BINS]) {
            run = 0;
            continue;
        }
        if (++run > best_len && run <= AM_LON_BINS) {
            best_len = run;
            best_end = k % AM_LON_BINS;
        }
    }
    /* No gap (a global network), or the largest gap holds the
     * antimeridian (bin 0 or the last): the plain extent. */
    const long best_start =
        (best_end - best_len + 1 + AM_LON_BINS) % AM_LON_BINS;
    if (best_len == 0 || best_len >= AM_LON_BINS || best_end == 0 ||
        best_end == AM_LON_BINS - 1 || best_start == 0 || best_start > best_end)
        return;
    /* The arc starts where the gap ends. */
    const double start = -180.0 + 0.1 * (double)(best_end + 1);
    box[0] = HUGE_VAL;
    box[2] = -HUGE_VAL;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(lon[i]) || !isfinite(lat[i]))
            continue;
        double u = remainder(lon[i], 360.0);
        if (u < start)
            u += 360.0;
        box[0] = fmin(box[0], u);
        box[2] = fmax(box[2], u);
    }
}

int am_crs_extents_overlap(const double a[4], const double b[4],
                           double margin_m)
{
    const double pi = 3.14159265358979323846;
    const double mid_lat = 0.5 * (b[1] + b[3]);
    const double dlat = margin_m / 111320.0;
    const double coslat = cos(mid_lat * pi / 180.0);
    const double dlon = coslat > 1e-6 ? dlat / coslat : 360.0;
    if (!(a[1] <= b[3] + dlat && b[1] - dlat <= a[3]))
        return 0;
    /* a's longitudes as given, then one turn either way; extents from
     * am_crs_lonlat_extent lie within [-540, 540]. */
    for (int k = -2; k <= 2; k++) {
        const double s = 360.0 * k;
        if (a[0] + s <= b[2] + dlon && b[0] - dlon <= a[2] + s)
            return 1;
    }
    return 0;
}

int am_crs_network_enabled(void)
{
    PJ_CONTEXT *ctx = context_new();
    if (ctx == NULL)
        return -1;
    const int on = proj_context_is_network_enabled(ctx);
    proj_context_destroy(ctx);
    return on;
}
