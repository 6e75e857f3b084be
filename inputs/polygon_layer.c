/*
 * polygon_layer.c: the shared reader of OGR polygon layers (see
 * polygon_layer.h). Each polygon part's rings are read in the layer's
 * data axis order, swapped to GIS order (x = easting / longitude) when
 * the CRS's axes are the other way round, and transformed to the target
 * CRS unless the layer is in it already (the same CRS; for WGS 84
 * lon/lat, any geographic CRS on the WGS 84 datum, as roads.c reads).
 */
#include "inputs/polygon_layer.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"

am_status am_polygon_layer_fail(am_polygon_layer *pl, am_status code,
                                long long fid, const char *fmt, ...)
{
    char msg[AM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    am_error_set(pl->err, code, pl->opt->path, "%s: %s", pl->opt->what, msg);
    if (pl->lname != NULL)
        am_error_set_layer(pl->err, pl->lname);
    if (fid >= 0)
        am_error_set_feature(pl->err, fid);
    return code;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    return am_grow_array(p, cap, need, elem, 256);
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

am_status am_polygon_layer_field(am_polygon_layer *pl, const char *name,
                                 const char *role, int *index)
{
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(pl->layer);
    *index = OGR_FD_GetFieldIndex(d, name);
    if (*index >= 0)
        return AM_OK;
    char names[512];
    field_list(d, names, sizeof names);
    return am_polygon_layer_fail(pl, AM_ERR_FORMAT, -1,
                                 "%s field '%s' does not exist (fields: %s)",
                                 role, name, names);
}

/* The layer's geometry type allows polygons. */
static am_status check_geometry_type(am_polygon_layer *pl)
{
    const OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(pl->layer));
    if (t == wkbNone)
        return am_polygon_layer_fail(
            pl, AM_ERR_FORMAT, -1,
            "the layer has no geometry (a table?), not polygons");
    if (t != wkbUnknown && t != wkbPolygon && t != wkbMultiPolygon &&
        t != wkbCurvePolygon && t != wkbMultiSurface &&
        t != wkbGeometryCollection)
        return am_polygon_layer_fail(
            pl, AM_ERR_FORMAT, -1,
            "the layer holds %s geometries, not polygons",
            OGRGeometryTypeToName(t));
    return AM_OK;
}

/* Whether srs is the target already (no transform needed). */
static int is_target(OGRSpatialReferenceH srs, const char *target_wkt)
{
    OGRSpatialReferenceH t = OSRNewSpatialReference(NULL);
    int same = 0;
    if (t == NULL)
        return 0;
    if (target_wkt == NULL) {
        if (OSRSetWellKnownGeogCS(t, "WGS84") == OGRERR_NONE)
            same = OSRIsGeographic(srs) && OSRIsSameGeogCS(srs, t);
    } else {
        char *wkt_at = (char *)target_wkt; /* advanced by the import */
        same = OSRImportFromWkt(t, &wkt_at) == OGRERR_NONE && OSRIsSame(srs, t);
    }
    OSRDestroySpatialReference(t);
    return same;
}

/* The layer's CRS: a transform to the target unless it is the target,
 * and whether its data axes are the reverse of GIS order. */
static am_status frame_setup(am_polygon_layer *pl)
{
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(pl->layer);
    char *wkt = NULL;
    am_status rc =
        am_gdal_srs_wkt(srs, pl->opt->path, pl->opt->layer_what, &wkt, pl->err);
    if (rc != AM_OK) {
        am_error_set_layer(pl->err, pl->lname);
        return rc;
    }
    const char *sname = OSRGetName(srs);
    if (sname != NULL && (strcmp(sname, "Undefined geographic SRS") == 0 ||
                          strcmp(sname, "Undefined Cartesian SRS") == 0)) {
        rc = am_polygon_layer_fail(
            pl, AM_ERR_CRS, -1,
            "the layer has an undefined coordinate reference system "
            "(\"%s\"); assign one (e.g. ogr2ogr -a_srs)",
            sname);
        goto done;
    }
    OGRSpatialReferenceH gis = OSRClone(srs);
    if (gis == NULL) {
        rc = am_polygon_layer_fail(pl, AM_ERR_NOMEM, -1, "out of memory");
        goto done;
    }
    OSRSetAxisMappingStrategy(gis, OAMS_TRADITIONAL_GIS_ORDER);
    int nd = 0, ng = 0;
    const int *md = OSRGetDataAxisToSRSAxisMapping(srs, &nd);
    const int *mg = OSRGetDataAxisToSRSAxisMapping(gis, &ng);
    pl->swap_xy = nd >= 2 && ng >= 2 && md[0] == mg[1] && md[1] == mg[0] &&
                  md[0] != md[1];
    OSRDestroySpatialReference(gis);
    if (!is_target(srs, pl->opt->target_wkt)) {
        const char *to =
            pl->opt->target_wkt != NULL ? pl->opt->target_wkt : AM_CRS_WGS84;
        rc = am_transform_create(wkt, to, &pl->tr, pl->err);
        if (rc != AM_OK)
            am_error_set_layer(pl->err, pl->lname);
    }
done:
    CPLFree(wkt);
    return rc;
}

am_status am_polygon_layer_open(am_polygon_layer *pl,
                                const am_polygon_layer_options *opt,
                                am_error *err)
{
    memset(pl, 0, sizeof *pl);
    pl->opt = opt;
    pl->err = err;
    am_status rc = am_gdal_open(opt->path, AM_GDAL_VECTOR, &pl->ds, err);
    if (rc != AM_OK)
        return rc;
    am_gdal_capture_begin(&pl->ge);
    pl->capturing = 1;
    if ((rc = am_gdal_pick_layer(pl->ds, opt->path, opt->layer, &pl->layer,
                                 err)) != AM_OK)
        return rc;
    pl->lname = OGR_L_GetName(pl->layer);
    if ((rc = check_geometry_type(pl)) != AM_OK ||
        (rc = frame_setup(pl)) != AM_OK)
        return rc;
    if (opt->where != NULL && opt->where[0] != '\0') {
        CPLErrorReset();
        if (OGR_L_SetAttributeFilter(pl->layer, opt->where) != OGRERR_NONE)
            return am_polygon_layer_fail(pl, AM_ERR_FORMAT, -1,
                                         "bad filter \"%s\": %s", opt->where,
                                         am_gdal_last_message());
    }
    return AM_OK;
}

void am_polygon_layer_close(am_polygon_layer *pl)
{
    if (pl->capturing)
        am_gdal_capture_end(&pl->ge);
    pl->capturing = 0;
    am_transform_destroy(pl->tr);
    am_free(pl->x);
    am_free(pl->y);
    am_free(pl->ring_size);
    if (pl->ds != NULL)
        GDALClose(pl->ds);
    pl->tr = NULL;
    pl->x = pl->y = NULL;
    pl->ring_size = NULL;
    pl->ds = NULL;
}

/* Whether a first read that failed did so because of the filter (SQL
 * drivers only run it then): the layer reads without it. */
static int filter_failed(am_polygon_layer *pl)
{
    if (pl->opt->where == NULL || pl->opt->where[0] == '\0')
        return 0;
    am_gdal_errors probe;
    am_gdal_capture_begin(&probe);
    OGR_L_SetAttributeFilter(pl->layer, NULL);
    OGR_L_ResetReading(pl->layer);
    OGRFeatureH f = OGR_L_GetNextFeature(pl->layer);
    am_gdal_capture_end(&probe);
    if (f != NULL)
        OGR_F_Destroy(f);
    return f != NULL && probe.n_failures == 0;
}

/* The warning about the features without a geometry. */
static void warn_skipped(am_polygon_layer *pl)
{
    if (pl->n_skipped <= 0)
        return;
    char ids[AM_POLYGON_LAYER_FIRST_IDS * 24] = "";
    size_t k = 0;
    for (int64_t i = 0; i < pl->n_skipped && i < AM_POLYGON_LAYER_FIRST_IDS;
         i++)
        k += (size_t)snprintf(ids + k, sizeof ids - k, "%s%lld",
                              i > 0 ? ", " : "", pl->skipped_ids[i]);
    am_warn(pl->opt->warnings,
            "%s: layer '%s': %lld %s feature%s skipped: no geometry "
            "(feature%s %s%s)",
            pl->opt->path, pl->lname, (long long)pl->n_skipped, pl->opt->noun,
            pl->n_skipped == 1 ? "" : "s", pl->n_skipped == 1 ? "" : "s", ids,
            pl->n_skipped > AM_POLYGON_LAYER_FIRST_IDS ? ", ..." : "");
}

am_status am_polygon_layer_read(am_polygon_layer *pl, am_polygon_feature_fn fn,
                                void *user)
{
    am_gdal_errors *ge = &pl->ge;
    long long last_fid = -1;
    am_gdal_capture_clear(ge);
    OGR_L_ResetReading(pl->layer);
    for (;;) {
        const long before = ge->n_failures;
        OGRFeatureH f = OGR_L_GetNextFeature(pl->layer);
        if (ge->n_failures > before) {
            long long fid = f != NULL ? (long long)OGR_F_GetFID(f) : -1;
            if (f != NULL)
                OGR_F_Destroy(f);
            const long long n_read =
                (long long)(pl->n_features + pl->n_skipped);
            if (fid < 0 && n_read == 0 && filter_failed(pl))
                return am_polygon_layer_fail(pl, AM_ERR_FORMAT, -1,
                                             "bad filter \"%s\": %s",
                                             pl->opt->where, ge->first);
            return am_gdal_read_failed(ge, pl->opt->path, pl->lname,
                                       pl->opt->what, fid, last_fid, n_read,
                                       pl->err);
        }
        if (f == NULL)
            break;
        const long long fid = (long long)OGR_F_GetFID(f);
        last_fid = fid;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        am_status rc = AM_OK;
        if (g == NULL || OGR_G_IsEmpty(g)) {
            if (pl->n_skipped < AM_POLYGON_LAYER_FIRST_IDS)
                pl->skipped_ids[pl->n_skipped] = fid;
            pl->n_skipped++;
        } else {
            rc = fn(user, f, g, fid);
            pl->n_features += rc == AM_OK;
        }
        OGR_F_Destroy(f);
        if (rc != AM_OK)
            return rc;
        am_gdal_capture_clear(ge);
    }
    warn_skipped(pl);
    return AM_OK;
}

/* One polygon (a Polygon geometry): its rings, transformed, to fn. */
static am_status polygon_part(am_polygon_layer *pl, OGRGeometryH g,
                              long long fid, am_polygon_part_fn fn, void *user)
{
    const int nr = OGR_G_GetGeometryCount(g);
    size_t total = 0;
    if (nr <= 0)
        return AM_OK;
    if (!grow((void **)&pl->ring_size, &pl->ring_cap, (size_t)nr,
              sizeof *pl->ring_size))
        return am_polygon_layer_fail(pl, AM_ERR_NOMEM, fid, "out of memory");
    for (int r = 0; r < nr; r++) {
        OGRGeometryH ring = OGR_G_GetGeometryRef(g, r);
        const int np = ring != NULL ? OGR_G_GetPointCount(ring) : 0;
        pl->ring_size[r] = np > 0 ? np : 0;
        if (np <= 0)
            continue;
        size_t cap = pl->xy_cap;
        if (!grow((void **)&pl->x, &cap, total + (size_t)np, sizeof *pl->x))
            return am_polygon_layer_fail(pl, AM_ERR_NOMEM, fid,
                                         "out of memory");
        cap = pl->xy_cap;
        if (!grow((void **)&pl->y, &cap, total + (size_t)np, sizeof *pl->y))
            return am_polygon_layer_fail(pl, AM_ERR_NOMEM, fid,
                                         "out of memory");
        pl->xy_cap = cap;
        double *x = (pl->swap_xy ? pl->y : pl->x) + total;
        double *y = (pl->swap_xy ? pl->x : pl->y) + total;
        OGR_G_GetPoints(ring, x, sizeof *x, y, sizeof *y, NULL, 0);
        total += (size_t)np;
    }
    if (total == 0)
        return AM_OK;
    if (pl->tr != NULL) {
        am_status rc =
            am_transform_points(pl->tr, total, pl->x, pl->y, NULL, pl->err);
        if (rc != AM_OK) {
            am_error_set_layer(pl->err, pl->lname);
            am_error_set_feature(pl->err, fid);
            return rc;
        }
    }
    return fn(user, nr, pl->ring_size, total, pl->x, pl->y, fid);
}

am_status am_polygon_layer_geometry(am_polygon_layer *pl, OGRGeometryH g,
                                    long long fid, am_polygon_part_fn fn,
                                    void *user)
{
    const OGRwkbGeometryType t = OGR_G_GetGeometryType(g);
    if (OGR_GT_IsNonLinear(t)) {
        OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0.0, NULL);
        if (lin == NULL)
            return am_polygon_layer_fail(
                pl, AM_ERR_FORMAT, fid,
                "a curved geometry GDAL could not stroke");
        am_status rc = OGR_GT_IsNonLinear(OGR_G_GetGeometryType(lin))
                           ? am_polygon_layer_fail(
                                 pl, AM_ERR_FORMAT, fid,
                                 "a curved geometry GDAL could not stroke")
                           : am_polygon_layer_geometry(pl, lin, fid, fn, user);
        OGR_G_DestroyGeometry(lin);
        return rc;
    }
    const OGRwkbGeometryType ft = wkbFlatten(t);
    if (ft == wkbPolygon)
        return polygon_part(pl, g, fid, fn, user);
    if (ft == wkbMultiPolygon) {
        am_status rc = AM_OK;
        const int np = OGR_G_GetGeometryCount(g);
        for (int p = 0; rc == AM_OK && p < np; p++)
            rc = polygon_part(pl, OGR_G_GetGeometryRef(g, p), fid, fn, user);
        return rc;
    }
    return am_polygon_layer_fail(pl, AM_ERR_FORMAT, fid,
                                 "the feature is a %s, not a polygon",
                                 OGRGeometryTypeToName(ft));
}
