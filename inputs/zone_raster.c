/*
 * zone_raster.c: admin zones read through OGR and assigned to the
 * populated cells of the population grid (see zone_raster.h for the
 * rules and why it tests cell centres instead of burning a raster).
 *
 * Reading: one pass over the layer's features, each kept (FID, read
 * order, id text, geometry); then the features ordered by (FID, read
 * order), and the zones numbered by the first feature of each distinct
 * id in that order. Each polygon part is added to a geo/polygon set with
 * the value of its feature's position in that order, its rings read in
 * the layer's data axis order, swapped to GIS order (x = easting /
 * longitude) when the CRS's axes are the other way round, and transformed
 * to the raster's CRS (unless it is the same CRS). The smallest value
 * holding a cell's centre is then the lowest FID's feature.
 *
 * Assigning: the populated cells in blocks of CELL_BLOCK (a fixed scratch
 * whatever the raster's size), their centres from the geotransform, each
 * block's point tests in parallel (independent points: the same answer
 * for any thread count); the per-zone sums serially in cell order.
 */
#include "inputs/zone_raster.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <math.h>
#include <ogr_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "geo/crs.h"
#include "geo/grid.h"
#include "geo/polygon.h"
#include "inputs/gdal_util.h"

/* Feature ids named in the warning about skipped features. */
#define FIRST_IDS 5
/* Cells per block of point tests. */
#define CELL_BLOCK (1 << 16)

typedef struct zfeat {
    long long fid;
    int64_t order; /* read order */
    char *id;      /* owned */
    OGRGeometryH g;
    int32_t zone;
} zfeat;

typedef struct zrctx {
    const am_zone_raster_options *opt;
    const char *lname;
    am_error *err;
    am_transform *to_raster; /* NULL: the layer is in the raster's CRS */
    int swap_xy;
    int field; /* index, or -1: the FID */
    zfeat *f;
    size_t n_f, cap_f;
    long long skipped_ids[FIRST_IDS];
    am_zone_raster *z;
    am_polygons *ps;
    double *x, *y;
    size_t xy_cap;
    int64_t *ring_size;
    size_t ring_cap;
    double box[4]; /* the zones' extent in the raster's CRS */
} zrctx;

void am_zone_raster_destroy(am_zone_raster *z)
{
    if (z == NULL)
        return;
    am_free(z->layer);
    if (z->zone_id != NULL)
        for (int32_t i = 0; i < z->n_zones; i++)
            am_free(z->zone_id[i]);
    am_free(z->zone_id);
    am_free(z->zone_fid);
    am_free(z->zone_cells);
    am_free(z->zone_pop);
    am_free(z->cell_zone);
    am_free(z);
}

static am_status zfail(zrctx *c, am_status code, long long fid, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

/* An error on the layer (feature fid >= 0: that feature). */
static am_status zfail(zrctx *c, am_status code, long long fid, const char *fmt,
                       ...)
{
    char msg[AM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    am_error_set(c->err, code, c->opt->path, "zones: %s", msg);
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

/* The layer holds polygons, and the id field exists. */
static am_status check_layer(zrctx *c, OGRLayerH layer)
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
    if (c->opt->id_field == NULL)
        return AM_OK;
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    c->field = OGR_FD_GetFieldIndex(d, c->opt->id_field);
    if (c->field < 0) {
        char names[512];
        field_list(d, names, sizeof names);
        return zfail(c, AM_ERR_FORMAT, -1,
                     "id field '%s' does not exist (fields: %s)",
                     c->opt->id_field, names);
    }
    return AM_OK;
}

/* The layer's CRS: a transform to the raster's unless they are the same,
 * and whether its data axes are the reverse of GIS order. */
static am_status frame_setup(zrctx *c, OGRLayerH layer, const char *raster_wkt)
{
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    OGRSpatialReferenceH rsrs = NULL, gis = NULL;
    char *wkt = NULL;
    am_status rc =
        am_gdal_srs_wkt(srs, c->opt->path, "the zone layer", &wkt, c->err);
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
    gis = OSRClone(srs);
    rsrs = OSRNewSpatialReference(NULL);
    if (gis == NULL || rsrs == NULL) {
        rc = zfail(c, AM_ERR_NOMEM, -1, "out of memory");
        goto done;
    }
    OSRSetAxisMappingStrategy(gis, OAMS_TRADITIONAL_GIS_ORDER);
    int nd = 0, ng = 0;
    const int *md = OSRGetDataAxisToSRSAxisMapping(srs, &nd);
    const int *mg = OSRGetDataAxisToSRSAxisMapping(gis, &ng);
    c->swap_xy = nd >= 2 && ng >= 2 && md[0] == mg[1] && md[1] == mg[0] &&
                 md[0] != md[1];
    char *wkt_at = (char *)raster_wkt; /* advanced by the import */
    const int same =
        OSRImportFromWkt(rsrs, &wkt_at) == OGRERR_NONE && OSRIsSame(srs, rsrs);
    if (!same) {
        rc = am_transform_create(wkt, raster_wkt, &c->to_raster, c->err);
        if (rc != AM_OK)
            am_error_set_layer(c->err, c->lname);
    }
done:
    OSRDestroySpatialReference(gis);
    OSRDestroySpatialReference(rsrs);
    CPLFree(wkt);
    return rc;
}

/* Whether a first read that failed did so because of the filter (SQL
 * drivers only run it then): the layer reads without it. */
static int filter_failed(zrctx *c, OGRLayerH layer)
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

/* One feature kept: its FID, id text and geometry (taken from f). */
static am_status keep_feature(zrctx *c, OGRFeatureH f, long long fid)
{
    char idbuf[32];
    const char *id = idbuf;
    if (c->field >= 0) {
        if (!OGR_F_IsFieldSetAndNotNull(f, c->field))
            return zfail(c, AM_ERR_INVALID, fid, "id field '%s' is empty",
                         c->opt->id_field);
        id = OGR_F_GetFieldAsString(f, c->field);
        if (id == NULL || id[0] == '\0')
            return zfail(c, AM_ERR_INVALID, fid, "id field '%s' is empty",
                         c->opt->id_field);
    } else {
        snprintf(idbuf, sizeof idbuf, "%lld", fid);
    }
    if (!grow((void **)&c->f, &c->cap_f, c->n_f + 1, sizeof *c->f))
        return zfail(c, AM_ERR_NOMEM, fid, "out of memory");
    zfeat *z = &c->f[c->n_f];
    z->fid = fid;
    z->order = (int64_t)c->n_f;
    z->zone = -1;
    z->g = NULL;
    if ((z->id = am_strdup(id)) == NULL)
        return zfail(c, AM_ERR_NOMEM, fid, "out of memory");
    z->g = OGR_F_StealGeometry(f);
    c->n_f++;
    return AM_OK;
}

static am_status read_features(zrctx *c, OGRLayerH layer, am_gdal_errors *ge)
{
    am_zone_raster *z = c->z;
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
            return am_gdal_read_failed(
                ge, c->opt->path, c->lname, "zones", fid, last_fid,
                (long long)(z->n_features + z->n_skipped), c->err);
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
            rc = keep_feature(c, f, fid);
            z->n_features += rc == AM_OK;
        }
        OGR_F_Destroy(f);
        if (rc != AM_OK)
            return rc;
        am_gdal_capture_clear(ge);
    }
    if (z->n_skipped > 0) {
        char ids[FIRST_IDS * 24] = "";
        size_t k = 0;
        for (int64_t i = 0; i < z->n_skipped && i < FIRST_IDS; i++)
            k += (size_t)snprintf(ids + k, sizeof ids - k, "%s%lld",
                                  i > 0 ? ", " : "", c->skipped_ids[i]);
        am_warn(c->opt->warnings,
                "%s: layer '%s': %lld zone feature%s skipped: no geometry "
                "(feature%s %s%s)",
                c->opt->path, c->lname, (long long)z->n_skipped,
                z->n_skipped == 1 ? "" : "s", z->n_skipped == 1 ? "" : "s", ids,
                z->n_skipped > FIRST_IDS ? ", ..." : "");
    }
    if (c->n_f > 0)
        return AM_OK;
    if (c->opt->where != NULL && c->opt->where[0] != '\0')
        return zfail(c, AM_ERR_EMPTY, -1,
                     "the filter 'where: %s' matched no polygon",
                     c->opt->where);
    return zfail(c, AM_ERR_EMPTY, -1,
                 "no polygon in the layer (%lld features without a geometry)",
                 (long long)z->n_skipped);
}

static int cmp_fid(const void *a, const void *b)
{
    const zfeat *x = a, *y = b;
    if (x->fid != y->fid)
        return x->fid < y->fid ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* A feature's id and its position in FID order. */
typedef struct idpos {
    const char *id;
    int64_t pos;
} idpos;

static int cmp_id(const void *a, const void *b)
{
    const idpos *x = a, *y = b;
    const int s = strcmp(x->id, y->id);
    if (s != 0)
        return s;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The features in FID order, and their zones: each distinct id, numbered
 * by the position of its first feature in that order. */
static am_status number_zones(zrctx *c)
{
    am_zone_raster *z = c->z;
    if (c->n_f > (size_t)INT32_MAX - 1)
        return zfail(c, AM_ERR_INVALID, -1, "more than %d zone features",
                     INT32_MAX - 1);
    qsort(c->f, c->n_f, sizeof *c->f, cmp_fid);
    idpos *ip = am_alloc_array(c->n_f, sizeof *ip);
    int64_t *head = am_alloc_array(c->n_f, sizeof *head);
    am_status rc = AM_OK;
    if (ip == NULL || head == NULL) {
        rc = zfail(c, AM_ERR_NOMEM, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < c->n_f; i++)
        ip[i] = (idpos){c->f[i].id, (int64_t)i};
    qsort(ip, c->n_f, sizeof *ip, cmp_id);
    /* head[p]: the first position with p's id (equal ids are adjacent,
     * the first of a run the smallest position). */
    int64_t h = 0;
    for (size_t i = 0; i < c->n_f; i++) {
        if (i == 0 || strcmp(ip[i - 1].id, ip[i].id) != 0) {
            h = ip[i].pos;
            z->n_zones++;
        }
        head[ip[i].pos] = h;
    }
    z->zone_id = am_calloc_array((size_t)z->n_zones, sizeof *z->zone_id);
    z->zone_fid = am_alloc_array((size_t)z->n_zones, sizeof *z->zone_fid);
    z->zone_cells = am_calloc_array((size_t)z->n_zones, sizeof *z->zone_cells);
    z->zone_pop = am_calloc_array((size_t)z->n_zones, sizeof *z->zone_pop);
    if (z->zone_id == NULL || z->zone_fid == NULL || z->zone_cells == NULL ||
        z->zone_pop == NULL) {
        rc = zfail(c, AM_ERR_NOMEM, -1, "out of memory");
        goto done;
    }
    /* Heads are numbered in position order; a head precedes the rest of
     * its run, so every feature's head has its zone when it is reached. */
    int32_t k = 0;
    for (size_t i = 0; i < c->n_f; i++) {
        if (head[i] == (int64_t)i) {
            c->f[i].zone = k;
            z->zone_fid[k] = c->f[i].fid;
            z->zone_id[k] = c->f[i].id; /* moved */
            c->f[i].id = NULL;
            k++;
        } else {
            c->f[i].zone = c->f[head[i]].zone;
        }
    }
done:
    am_free(ip);
    am_free(head);
    return rc;
}

/* One polygon (a Polygon geometry) into the set, with value `value`. */
static am_status polygon_add(zrctx *c, OGRGeometryH g, double value,
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
    if (c->to_raster != NULL) {
        am_status rc =
            am_transform_points(c->to_raster, total, c->x, c->y, NULL, c->err);
        if (rc != AM_OK) {
            am_error_set_layer(c->err, c->lname);
            am_error_set_feature(c->err, fid);
            return rc;
        }
    }
    for (size_t i = 0; i < total; i++) {
        if (!(isfinite(c->x[i]) && isfinite(c->y[i])))
            return zfail(c, AM_ERR_INVALID, fid,
                         "vertex %zu cannot be transformed into the "
                         "population raster's CRS (outside the CRS's area?)",
                         i);
        c->box[0] = fmin(c->box[0], c->x[i]);
        c->box[1] = fmin(c->box[1], c->y[i]);
        c->box[2] = fmax(c->box[2], c->x[i]);
        c->box[3] = fmax(c->box[3], c->y[i]);
    }
    am_status rc = am_polygons_add(c->ps, nr, c->ring_size, c->x, c->y, value,
                                   NULL, c->err);
    if (rc != AM_OK) {
        am_error_set_layer(c->err, c->lname);
        am_error_set_feature(c->err, fid);
    }
    return rc;
}

/* A feature's geometry: polygons and multipolygons (curved ones stroked);
 * anything else is an error naming the feature. */
static am_status geometry_add(zrctx *c, OGRGeometryH g, double value,
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
                           : geometry_add(c, lin, value, fid);
        OGR_G_DestroyGeometry(lin);
        return rc;
    }
    const OGRwkbGeometryType ft = wkbFlatten(t);
    if (ft == wkbPolygon)
        return polygon_add(c, g, value, fid);
    if (ft == wkbMultiPolygon) {
        am_status rc = AM_OK;
        const int np = OGR_G_GetGeometryCount(g);
        for (int p = 0; rc == AM_OK && p < np; p++)
            rc = polygon_add(c, OGR_G_GetGeometryRef(g, p), value, fid);
        return rc;
    }
    return zfail(c, AM_ERR_FORMAT, fid, "the feature is a %s, not a polygon",
                 OGRGeometryTypeToName(ft));
}

/* The polygons, their extent against the raster's, and every populated
 * cell's zone. */
static am_status assign_cells(zrctx *c, const am_population *pop, int threads)
{
    am_zone_raster *z = c->z;
    am_status rc = AM_OK;
    double *x = NULL, *y = NULL, *val = NULL;
    c->box[0] = c->box[1] = HUGE_VAL;
    c->box[2] = c->box[3] = -HUGE_VAL;
    if ((rc = am_polygons_create(&c->ps, c->err)) != AM_OK)
        return rc;
    for (size_t i = 0; i < c->n_f; i++) {
        rc = geometry_add(c, c->f[i].g, (double)i, c->f[i].fid);
        if (rc != AM_OK)
            return rc;
        OGR_G_DestroyGeometry(c->f[i].g);
        c->f[i].g = NULL;
    }
    if (am_polygons_count(c->ps) == 0)
        return zfail(c, AM_ERR_EMPTY, -1,
                     "no polygon with at least 3 vertices in the layer");
    double gx0, gy0, gx1, gy1;
    am_grid_extent(&pop->grid, &gx0, &gy0, &gx1, &gy1);
    if (!(c->box[0] <= gx1 && c->box[2] >= gx0 && c->box[1] <= gy1 &&
          c->box[3] >= gy0))
        return zfail(c, AM_ERR_NO_OVERLAP, -1,
                     "the zones do not overlap the population raster (zones "
                     "%.6g..%.6g x %.6g..%.6g, raster %.6g..%.6g x "
                     "%.6g..%.6g in the raster's CRS): another area, or a "
                     "wrong CRS on the layer?",
                     c->box[0], c->box[2], c->box[1], c->box[3], gx0, gx1, gy0,
                     gy1);
    if ((rc = am_polygons_finish(c->ps, c->err)) != AM_OK) {
        am_error_set_layer(c->err, c->lname);
        return rc;
    }
    const int32_t n = pop->n_cells;
    z->n_cells = n;
    z->cell_zone = am_alloc_array(n > 0 ? (size_t)n : 1, sizeof *z->cell_zone);
    const int32_t block = n < CELL_BLOCK ? (n > 0 ? n : 1) : CELL_BLOCK;
    x = am_alloc_array((size_t)block, sizeof *x);
    y = am_alloc_array((size_t)block, sizeof *y);
    val = am_alloc_array((size_t)block, sizeof *val);
    if (z->cell_zone == NULL || x == NULL || y == NULL || val == NULL) {
        rc = zfail(c, AM_ERR_NOMEM, -1, "out of memory");
        goto done;
    }
    const int64_t nx = pop->grid.nx;
    for (int32_t i0 = 0; i0 < n; i0 += block) {
        const int32_t m = n - i0 < block ? n - i0 : block;
        for (int32_t i = 0; i < m; i++) {
            const int64_t cell = pop->cell[i0 + i];
            am_grid_cell_center(&pop->grid, (int32_t)(cell % nx),
                                (int32_t)(cell / nx), &x[i], &y[i]);
        }
        am_polygons_min_value(c->ps, m, x, y, threads, val);
        for (int32_t i = 0; i < m; i++) {
            const double p = pop->pop[i0 + i];
            if (isnan(val[i])) {
                z->cell_zone[i0 + i] = -1;
                z->n_outside++;
                z->pop_outside += p;
                continue;
            }
            const int32_t zi = c->f[(size_t)val[i]].zone;
            z->cell_zone[i0 + i] = zi;
            z->zone_cells[zi]++;
            z->zone_pop[zi] += p;
        }
    }
    if (n > 0 && z->n_outside == n)
        am_warn(c->opt->warnings,
                "%s: layer '%s': no populated cell of the population raster "
                "is in a zone (%lld zones)",
                c->opt->path, c->lname, (long long)z->n_zones);
done:
    am_free(x);
    am_free(y);
    am_free(val);
    return rc;
}

am_status am_zone_raster_build(const am_zone_raster_options *opt,
                               const am_population *pop, int threads,
                               am_zone_raster **out, am_error *err)
{
    *out = NULL;
    if (opt == NULL || opt->path == NULL || pop == NULL || pop->crs_wkt == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "zones: no options or no population");
    if (!am_grid_is_north_up(&pop->grid))
        return am_error_set(err, AM_ERR_INVALID, opt->path,
                            "zones: the population raster is rotated");
    zrctx c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.err = err;
    c.field = -1;
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
        (rc = frame_setup(&c, layer, pop->crs_wkt)) != AM_OK)
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
    if ((rc = read_features(&c, layer, &ge)) != AM_OK ||
        (rc = number_zones(&c)) != AM_OK ||
        (rc = assign_cells(&c, pop, threads)) != AM_OK)
        goto cleanup;
    *out = c.z;
    c.z = NULL;
cleanup:
    am_gdal_capture_end(&ge);
    am_zone_raster_destroy(c.z);
    am_transform_destroy(c.to_raster);
    am_polygons_destroy(c.ps);
    for (size_t i = 0; i < c.n_f; i++) {
        am_free(c.f[i].id);
        if (c.f[i].g != NULL)
            OGR_G_DestroyGeometry(c.f[i].g);
    }
    am_free(c.f);
    am_free(c.x);
    am_free(c.y);
    am_free(c.ring_size);
    GDALClose(ds);
    return rc;
}
