/*
 * zones.c: speed zone layers read through OGR, and their multipliers
 * applied to a loaded road network's arcs (see zones.h for the rules).
 *
 * Reading: one pass over the features of one layer. Each polygon part's
 * rings are read in the layer's data axis order, swapped to GIS order
 * (x = easting / longitude) when the CRS's axes are the other way round,
 * transformed to WGS 84 lon/lat unless the layer is already geographic on
 * WGS 84 (as roads.c does), checked (finite, in range, at most 180
 * degrees of longitude wide) and added to a geo/polygon set, whose index
 * is built once the layer is read. Curved geometries are stroked by GDAL.
 *
 * Applying: arcs in blocks (a few MiB of scratch whatever the network),
 * midpoints computed serially, each layer's smallest multiplier per
 * midpoint found in parallel by geo/polygon (independent points: the same
 * answer for any thread count), then the product applied and the counters
 * summed serially in arc order (deterministic sums).
 */
#include "inputs/zones.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <math.h>
#include <stdarg.h>
#include <ogr_api.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "common/units.h"
#include "geo/crs.h"
#include "inputs/gdal_util.h"

/* Feature ids named in the warning about skipped features. */
#define FIRST_IDS 5
/* Arcs per block of am_zones_apply. */
#define APPLY_BLOCK (1 << 17)

typedef struct zctx {
    const am_zone_options *opt;
    const char *lname;
    am_error *err;
    am_transform *to_wgs84; /* NULL: already WGS 84 lon/lat */
    int swap_xy;
    int field; /* index, or -1 */
    am_zone_layer *z;
    /* one polygon's vertices and ring sizes */
    double *x, *y;
    size_t xy_cap;
    int64_t *ring_size;
    size_t ring_cap;
    long long skipped_ids[FIRST_IDS];
} zctx;

void am_zone_layer_destroy(am_zone_layer *z)
{
    if (z == NULL)
        return;
    am_free(z->layer);
    am_polygons_destroy(z->polygons);
    am_free(z);
}

/* An error on the layer (feature fid >= 0: that feature). */
static am_status zfail(zctx *c, am_status code, long long fid, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

static am_status zfail(zctx *c, am_status code, long long fid, const char *fmt,
                       ...)
{
    char msg[AM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    am_error_set(c->err, code, c->opt->path, "speed zones: %s", msg);
    if (c->lname != NULL)
        am_error_set_layer(c->err, c->lname);
    if (fid >= 0)
        am_error_set_feature(c->err, fid);
    return code;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    return am_grow_array(p, cap, need, elem, 256);
}

/* The layer's CRS: a transform to WGS 84 unless it is WGS 84 lon/lat, and
 * whether its data axes are the reverse of GIS order. */
static am_status frame_setup(zctx *c, OGRLayerH layer)
{
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    const char *what = "the speed zone layer";
    char *wkt = NULL;
    am_status rc = am_gdal_srs_wkt(srs, c->opt->path, what, &wkt, c->err);
    if (rc != AM_OK) {
        am_error_set_layer(c->err, c->lname);
        return rc;
    }
    const char *sname = OSRGetName(srs);
    if (sname != NULL && (strcmp(sname, "Undefined geographic SRS") == 0 ||
                          strcmp(sname, "Undefined Cartesian SRS") == 0)) {
        rc = zfail(c, AM_ERR_CRS, -1,
                   "the layer has an undefined coordinate reference system "
                   "(\"%s\"); assign one (e.g. ogr2ogr -a_srs)",
                   sname);
        goto done;
    }
    OGRSpatialReferenceH gis = OSRClone(srs);
    if (gis == NULL) {
        rc = zfail(c, AM_ERR_NOMEM, -1, "out of memory");
        goto done;
    }
    OSRSetAxisMappingStrategy(gis, OAMS_TRADITIONAL_GIS_ORDER);
    int nd = 0, ng = 0;
    const int *md = OSRGetDataAxisToSRSAxisMapping(srs, &nd);
    const int *mg = OSRGetDataAxisToSRSAxisMapping(gis, &ng);
    c->swap_xy = nd >= 2 && ng >= 2 && md[0] == mg[1] && md[1] == mg[0] &&
                 md[0] != md[1];
    OSRDestroySpatialReference(gis);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    int is_wgs84 = 0;
    if (wgs != NULL && OSRSetWellKnownGeogCS(wgs, "WGS84") == OGRERR_NONE)
        is_wgs84 = OSRIsGeographic(srs) && OSRIsSameGeogCS(srs, wgs);
    OSRDestroySpatialReference(wgs);
    if (!is_wgs84) {
        rc = am_transform_create(wkt, AM_CRS_WGS84, &c->to_wgs84, c->err);
        if (rc != AM_OK)
            am_error_set_layer(c->err, c->lname);
    }
done:
    CPLFree(wkt);
    return rc;
}

/* A comma-separated list of the layer's field names into buf. */
static void field_list(OGRFeatureDefnH d, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    const int nf = OGR_FD_GetFieldCount(d);
    for (int i = 0; i < nf && k + 1 < n; i++) {
        const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i));
        int w = snprintf(buf + k, n - k, "%s%s", i > 0 ? ", " : "", name);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    if (nf == 0)
        snprintf(buf, n, "none");
}

/* The layer's geometry type allows polygons, and the field exists and is
 * numeric. */
static am_status check_layer(zctx *c, OGRLayerH layer)
{
    const OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(layer));
    if (t == wkbNone)
        return zfail(c, AM_ERR_FORMAT, -1,
                     "the layer has no geometry (a table?), not polygons");
    if (t != wkbUnknown && t != wkbPolygon && t != wkbMultiPolygon &&
        t != wkbCurvePolygon && t != wkbMultiSurface &&
        t != wkbGeometryCollection)
        return zfail(c, AM_ERR_FORMAT, -1,
                     "the layer holds %s geometries, not polygons",
                     OGRGeometryTypeToName(t));
    c->field = -1;
    if (c->opt->field == NULL)
        return AM_OK;
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    c->field = OGR_FD_GetFieldIndex(d, c->opt->field);
    if (c->field < 0) {
        char names[512];
        field_list(d, names, sizeof names);
        return zfail(c, AM_ERR_FORMAT, -1,
                     "multiplier field '%s' does not exist (fields: %s)",
                     c->opt->field, names);
    }
    const OGRFieldType ft = OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, c->field));
    if (ft != OFTInteger && ft != OFTInteger64 && ft != OFTReal)
        return zfail(c, AM_ERR_FORMAT, -1,
                     "multiplier field '%s' is not numeric (%s)", c->opt->field,
                     OGR_GetFieldTypeName(ft));
    return AM_OK;
}

/* Feature f's multiplier: the field's or the option's, checked. */
static am_status feature_multiplier(zctx *c, OGRFeatureH f, long long fid,
                                    double *out)
{
    if (c->field < 0) {
        *out = c->opt->multiplier;
        return AM_OK;
    }
    if (!OGR_F_IsFieldSetAndNotNull(f, c->field))
        return zfail(c, AM_ERR_INVALID, fid,
                     "multiplier field '%s' is empty (a number > 0 and <= "
                     "%g is needed)",
                     c->opt->field, AM_ZONE_MULTIPLIER_MAX);
    const double v = OGR_F_GetFieldAsDouble(f, c->field);
    if (!(v > 0.0 && v <= AM_ZONE_MULTIPLIER_MAX))
        return zfail(c, AM_ERR_INVALID, fid,
                     "multiplier field '%s' is %g: it must be > 0 and <= %g "
                     "(< 1 slows, e.g. 0.5 halves the speed)",
                     c->opt->field, v, AM_ZONE_MULTIPLIER_MAX);
    *out = v;
    return AM_OK;
}

/* One polygon (a Polygon geometry) into the set. */
static am_status polygon_add(zctx *c, OGRGeometryH g, double mult,
                             long long fid)
{
    const int nr = OGR_G_GetGeometryCount(g);
    size_t total = 0;
    if (nr <= 0)
        return AM_OK;
    if (!grow((void **)&c->ring_size, &c->ring_cap, (size_t)nr,
              sizeof *c->ring_size))
        return zfail(c, AM_ERR_NOMEM, fid, "out of memory");
    for (int r = 0; r < nr; r++) {
        OGRGeometryH ring = OGR_G_GetGeometryRef(g, r);
        const int np = ring != NULL ? OGR_G_GetPointCount(ring) : 0;
        c->ring_size[r] = np > 0 ? np : 0;
        if (np <= 0)
            continue;
        size_t cap = c->xy_cap;
        if (!grow((void **)&c->x, &cap, total + (size_t)np, sizeof *c->x))
            return zfail(c, AM_ERR_NOMEM, fid, "out of memory");
        cap = c->xy_cap;
        if (!grow((void **)&c->y, &cap, total + (size_t)np, sizeof *c->y))
            return zfail(c, AM_ERR_NOMEM, fid, "out of memory");
        c->xy_cap = cap;
        double *x = (c->swap_xy ? c->y : c->x) + total;
        double *y = (c->swap_xy ? c->x : c->y) + total;
        OGR_G_GetPoints(ring, x, sizeof *x, y, sizeof *y, NULL, 0);
        total += (size_t)np;
    }
    if (total == 0)
        return AM_OK;
    if (c->to_wgs84 != NULL) {
        am_status rc =
            am_transform_points(c->to_wgs84, total, c->x, c->y, NULL, c->err);
        if (rc != AM_OK) {
            am_error_set_layer(c->err, c->lname);
            am_error_set_feature(c->err, fid);
            return rc;
        }
    }
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = 0; i < total; i++) {
        if (!(c->x[i] >= -180.0 && c->x[i] <= 180.0 && c->y[i] >= -90.0 &&
              c->y[i] <= 90.0))
            return zfail(c, AM_ERR_INVALID, fid,
                         "vertex %zu is not a lon/lat position once in WGS "
                         "84 (%.10g, %.10g): outside the CRS's area, or "
                         "longitudes beyond 180",
                         i, c->x[i], c->y[i]);
        lo = fmin(lo, c->x[i]);
        hi = fmax(hi, c->x[i]);
    }
    if (hi - lo > 180.0)
        return zfail(c, AM_ERR_INVALID, fid,
                     "a polygon spans %.6g degrees of longitude (%.6g to "
                     "%.6g): zones across the antimeridian are not "
                     "supported; split the polygon at 180 degrees",
                     hi - lo, lo, hi);
    int added = 0;
    am_status rc = am_polygons_add(c->z->polygons, nr, c->ring_size, c->x, c->y,
                                   mult, &added, c->err);
    if (rc != AM_OK) {
        am_error_set_layer(c->err, c->lname);
        am_error_set_feature(c->err, fid);
    }
    return rc;
}

/* A feature's geometry: polygons and multipolygons (curved ones stroked);
 * anything else is an error naming the feature. */
static am_status geometry_add(zctx *c, OGRGeometryH g, double mult,
                              long long fid)
{
    const OGRwkbGeometryType t = OGR_G_GetGeometryType(g);
    if (OGR_GT_IsNonLinear(t)) {
        OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0.0, NULL);
        if (lin == NULL)
            return zfail(c, AM_ERR_FORMAT, fid,
                         "a curved geometry GDAL could not stroke");
        am_status rc = OGR_GT_IsNonLinear(OGR_G_GetGeometryType(lin))
                           ? zfail(c, AM_ERR_FORMAT, fid,
                                   "a curved geometry GDAL could not stroke")
                           : geometry_add(c, lin, mult, fid);
        OGR_G_DestroyGeometry(lin);
        return rc;
    }
    const OGRwkbGeometryType ft = wkbFlatten(t);
    if (ft == wkbPolygon)
        return polygon_add(c, g, mult, fid);
    if (ft == wkbMultiPolygon) {
        am_status rc = AM_OK;
        const int np = OGR_G_GetGeometryCount(g);
        for (int p = 0; rc == AM_OK && p < np; p++)
            rc = polygon_add(c, OGR_G_GetGeometryRef(g, p), mult, fid);
        return rc;
    }
    return zfail(c, AM_ERR_FORMAT, fid, "the feature is a %s, not a polygon",
                 OGRGeometryTypeToName(ft));
}

/* Whether a first read that failed did so because of the filter (SQL
 * drivers only run it then): the layer reads without it. */
static int filter_failed(zctx *c, OGRLayerH layer)
{
    if (c->opt->where == NULL || c->opt->where[0] == '\0')
        return 0;
    am_gdal_errors probe;
    am_gdal_capture_begin(&probe);
    OGR_L_SetAttributeFilter(layer, NULL);
    OGR_L_ResetReading(layer);
    OGRFeatureH f = OGR_L_GetNextFeature(layer);
    am_gdal_capture_end(&probe);
    if (f != NULL)
        OGR_F_Destroy(f);
    return f != NULL && probe.n_failures == 0;
}

static am_status read_features(zctx *c, OGRLayerH layer, am_gdal_errors *ge)
{
    am_zone_layer *z = c->z;
    long long last_fid = -1;
    am_gdal_capture_clear(ge);
    OGR_L_ResetReading(layer);
    for (;;) {
        const long before = ge->n_failures;
        OGRFeatureH f = OGR_L_GetNextFeature(layer);
        if (ge->n_failures > before) {
            long long fid = f != NULL ? (long long)OGR_F_GetFID(f) : -1;
            if (f != NULL)
                OGR_F_Destroy(f);
            const int read = z->n_features + z->n_skipped > 0;
            if (fid < 0 && !read && filter_failed(c, layer))
                return zfail(c, AM_ERR_FORMAT, -1, "bad filter \"%s\": %s",
                             c->opt->where, ge->first);
            am_status rc = am_gdal_read_failed(
                ge, c->opt->path, c->lname, "speed zones", fid, last_fid,
                (long long)(z->n_features + z->n_skipped), c->err);
            return rc;
        }
        if (f == NULL)
            break;
        const long long fid = (long long)OGR_F_GetFID(f);
        last_fid = fid;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        am_status rc = AM_OK;
        if (g == NULL || OGR_G_IsEmpty(g)) {
            if (z->n_skipped < FIRST_IDS)
                c->skipped_ids[z->n_skipped] = fid;
            z->n_skipped++;
        } else {
            double mult = 0.0;
            rc = feature_multiplier(c, f, fid, &mult);
            if (rc == AM_OK)
                rc = geometry_add(c, g, mult, fid);
            if (rc == AM_OK) {
                z->n_features++;
                z->mult_min = fmin(z->mult_min, mult);
                z->mult_max = fmax(z->mult_max, mult);
            }
        }
        OGR_F_Destroy(f);
        if (rc != AM_OK)
            return rc;
        am_gdal_capture_clear(ge);
    }
    return AM_OK;
}

/* The warning about skipped features, and AM_ERR_EMPTY without a polygon. */
static am_status finish_layer(zctx *c)
{
    am_zone_layer *z = c->z;
    if (z->n_skipped > 0) {
        char ids[FIRST_IDS * 24] = "";
        size_t k = 0;
        for (int64_t i = 0; i < z->n_skipped && i < FIRST_IDS; i++)
            k += (size_t)snprintf(ids + k, sizeof ids - k, "%s%lld",
                                  i > 0 ? ", " : "", c->skipped_ids[i]);
        am_warn(c->opt->warnings,
                "%s: layer '%s': %lld speed zone feature%s skipped: no "
                "geometry (feature%s %s%s)",
                c->opt->path, c->lname, (long long)z->n_skipped,
                z->n_skipped == 1 ? "" : "s", z->n_skipped == 1 ? "" : "s", ids,
                z->n_skipped > FIRST_IDS ? ", ..." : "");
    }
    if (am_polygons_count(z->polygons) > 0)
        return AM_OK;
    if (c->opt->where != NULL && c->opt->where[0] != '\0' && z->n_features == 0)
        return zfail(c, AM_ERR_EMPTY, -1,
                     "the filter 'where: %s' matched no polygon",
                     c->opt->where);
    return zfail(c, AM_ERR_EMPTY, -1,
                 "no polygon in the layer (%lld features with a geometry, "
                 "%lld without)",
                 (long long)z->n_features, (long long)z->n_skipped);
}

am_status am_zones_load(const am_zone_options *opt, am_zone_layer **out,
                        am_error *err)
{
    *out = NULL;
    if (opt == NULL || opt->path == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no speed zone options");
    zctx c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.err = err;
    c.field = -1;
    if (opt->field == NULL &&
        !(opt->multiplier > 0.0 && opt->multiplier <= AM_ZONE_MULTIPLIER_MAX))
        return am_error_set(err, AM_ERR_INVALID, opt->path,
                            "speed zones: multiplier %g: it must be > 0 and "
                            "<= %g",
                            opt->multiplier, AM_ZONE_MULTIPLIER_MAX);
    GDALDatasetH ds = NULL;
    am_gdal_errors ge;
    am_status rc = am_gdal_open(opt->path, 1, &ds, err);
    if (rc != AM_OK)
        return rc;
    am_gdal_capture_begin(&ge);
    OGRLayerH layer = NULL;
    if ((rc = am_gdal_pick_layer(ds, opt->path, opt->layer, &layer, err)) !=
        AM_OK)
        goto cleanup;
    c.lname = OGR_L_GetName(layer);
    if ((rc = check_layer(&c, layer)) != AM_OK ||
        (rc = frame_setup(&c, layer)) != AM_OK)
        goto cleanup;
    if (opt->where != NULL && opt->where[0] != '\0') {
        CPLErrorReset();
        if (OGR_L_SetAttributeFilter(layer, opt->where) != OGRERR_NONE) {
            rc = zfail(&c, AM_ERR_FORMAT, -1, "bad filter \"%s\": %s",
                       opt->where, am_gdal_last_message());
            goto cleanup;
        }
    }
    c.z = am_calloc(1, sizeof *c.z);
    if (c.z == NULL || (c.z->layer = am_strdup(c.lname)) == NULL) {
        rc = zfail(&c, AM_ERR_NOMEM, -1, "out of memory");
        goto cleanup;
    }
    c.z->mult_min = HUGE_VAL;
    c.z->mult_max = -HUGE_VAL;
    if ((rc = am_polygons_create(&c.z->polygons, err)) != AM_OK ||
        (rc = read_features(&c, layer, &ge)) != AM_OK ||
        (rc = finish_layer(&c)) != AM_OK)
        goto cleanup;
    if ((rc = am_polygons_finish(c.z->polygons, err)) != AM_OK) {
        am_error_set_layer(err, c.lname);
        goto cleanup;
    }
    *out = c.z;
    c.z = NULL;
cleanup:
    am_gdal_capture_end(&ge);
    am_zone_layer_destroy(c.z);
    am_transform_destroy(c.to_wgs84);
    am_free(c.x);
    am_free(c.y);
    am_free(c.ring_size);
    GDALClose(ds);
    return rc;
}

/* ---- applying --------------------------------------------------------- */

/* The midpoint of an arc in lon/lat, across the antimeridian the short
 * way (then wrapped back into [-180, 180]). */
static void midpoint(double lon0, double lat0, double lon1, double lat1,
                     double *x, double *y)
{
    double d = lon1 - lon0;
    if (d > 180.0 || d < -180.0) {
        double m = lon0 + remainder(d, 360.0) / 2.0;
        if (m > 180.0)
            m -= 360.0;
        else if (m < -180.0)
            m += 360.0;
        *x = m;
    } else {
        *x = lon0 + d / 2.0;
    }
    *y = (lat0 + lat1) / 2.0;
}

/*
 * The new time of an arc of t ds divided by mult, rounded with the carry
 * of the arcs scaled before it (in arc order, serial: the same for any
 * thread count): *cum is their exact total, *given what they got. Rounded
 * arc by arc, a road of many short arcs (1 ds each) sped up 3 times would
 * take no time at all; carried, every run of consecutive arcs sums to its
 * exact scaled time within 1 ds.
 */
static uint32_t scaled_time(uint32_t t, double mult, double *cum, double *given)
{
    const double ds = (double)t / mult;
    if (!(ds >= 0.0))
        return 0;
    *cum += ds;
    const double target = floor(*cum + 0.5);
    double v = target - *given;
    if (!(v >= 0.0))
        v = 0.0;
    const uint32_t out =
        v >= (double)(AM_TIME_INF - 1) ? AM_TIME_INF - 1 : (uint32_t)v;
    *given += out;
    return out;
}

am_status am_zones_apply(am_road_network *r, int n,
                         const am_zone_layer *const *layers, int threads,
                         am_zone_stat *stats, am_error *err)
{
    for (int k = 0; k < n; k++)
        stats[k] = (am_zone_stat){0, 0.0};
    if (n == 0 || r->n_arcs == 0)
        return AM_OK;
    const int64_t block = r->n_arcs < APPLY_BLOCK ? r->n_arcs : APPLY_BLOCK;
    double *mx = am_alloc_array((size_t)block, sizeof *mx);
    double *my = am_alloc_array((size_t)block, sizeof *my);
    double *val = am_alloc_array((size_t)block, sizeof *val);
    double *prod = am_alloc_array((size_t)block, sizeof *prod);
    am_status rc = AM_OK;
    if (mx == NULL || my == NULL || val == NULL || prod == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory applying speed zones");
        goto done;
    }
    double cum = 0.0, given = 0.0; /* scaled_time's carry */
    for (int64_t a0 = 0; a0 < r->n_arcs; a0 += block) {
        const int64_t m = r->n_arcs - a0 < block ? r->n_arcs - a0 : block;
        for (int64_t i = 0; i < m; i++) {
            const int32_t t = r->tail[a0 + i], h = r->head[a0 + i];
            midpoint(r->lon[t], r->lat[t], r->lon[h], r->lat[h], &mx[i],
                     &my[i]);
            prod[i] = 1.0;
        }
        for (int k = 0; k < n; k++) {
            am_polygons_min_value(layers[k]->polygons, m, mx, my, threads, val);
            for (int64_t i = 0; i < m; i++) {
                if (isnan(val[i]))
                    continue;
                prod[i] *= val[i];
                stats[k].arcs++;
                stats[k].arc_km += (double)r->len_m[a0 + i] / 1000.0;
            }
        }
        for (int64_t i = 0; i < m; i++)
            if (prod[i] != 1.0)
                r->time_ds[a0 + i] =
                    scaled_time(r->time_ds[a0 + i], prod[i], &cum, &given);
    }
done:
    am_free(mx);
    am_free(my);
    am_free(val);
    am_free(prod);
    return rc;
}
