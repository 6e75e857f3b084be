/*
 * road_nodes.c: the vertices of the roads of chosen classes (see
 * road_nodes.h; issue 10).
 *
 * One serial pass over the layer (roads.where applied, as for the
 * network): each feature's class is read (class_field, else `highway` as
 * a field or from other_tags); every class met is remembered for the
 * error that names an unknown one; the line vertices of the features of a
 * chosen class are transformed to WGS 84 and kept with their segment
 * ends (1 at a line's end, 2 inside it). Sorting by (lon, lat) then merges
 * identical positions and sums their ends: the node's degree.
 */
#include "inputs/road_nodes.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <math.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "geo/crs.h"
#include "inputs/gdal_util.h"
#include "inputs/roads.h"

#define CLASS_MAX 128 /* longest class value kept (longer: not matched) */
#define SEEN_MAX 256  /* distinct classes remembered for the message */

typedef struct vtx {
    double lon, lat;
    int32_t ends;
} vtx;

typedef struct reader {
    const am_road_node_options *opt;
    const char *lname;
    vtx *v;
    size_t n, cap;
    char *seen[SEEN_MAX];
    int n_seen, seen_more;
    int *found; /* [n_classes] */
    am_transform *to_wgs84;
    int swap_xy;
    int64_t n_features;
} reader;

void am_road_nodes_destroy(am_road_nodes *r)
{
    if (r == NULL)
        return;
    am_free(r->lon);
    am_free(r->lat);
    am_free(r->degree);
    am_free(r);
}

static am_status nomem(const am_road_node_options *opt, am_error *err)
{
    return am_error_set(err, AM_ERR_NOMEM, opt->path, "out of memory");
}

/* The value of `key` in an OSM other_tags hstore ("k"=>"v",...), or "". */
static void hstore_get(const char *s, const char *key, char *out, size_t n)
{
    out[0] = '\0';
    const size_t klen = strlen(key);
    while (s != NULL && *s != '\0') {
        s = strchr(s, '"');
        if (s == NULL)
            return;
        const int match = strncmp(s + 1, key, klen) == 0 && s[1 + klen] == '"';
        /* skip the key (escaped quotes included) */
        const char *p = s + 1;
        while (*p != '\0' && *p != '"')
            p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
        if (*p == '\0')
            return;
        p++;
        while (*p == ' ')
            p++;
        if (p[0] != '=' || p[1] != '>')
            return;
        p += 2;
        while (*p == ' ')
            p++;
        if (*p != '"') { /* NULL */
            s = strchr(p, ',');
            continue;
        }
        p++;
        size_t k = 0;
        while (*p != '\0' && *p != '"') {
            if (p[0] == '\\' && p[1] != '\0')
                p++;
            if (match && k + 1 < n)
                out[k++] = *p;
            p++;
        }
        if (match) {
            out[k] = '\0';
            return;
        }
        if (*p == '\0')
            return;
        s = p + 1;
    }
}

static int class_index(const am_road_node_options *opt, const char *c)
{
    for (int k = 0; k < opt->n_classes; k++)
        if (strcmp(opt->classes[k], c) == 0)
            return k;
    return -1;
}

static am_status remember(reader *r, const char *c)
{
    for (int k = 0; k < r->n_seen; k++)
        if (strcmp(r->seen[k], c) == 0)
            return AM_OK;
    if (r->n_seen == SEEN_MAX) {
        r->seen_more = 1;
        return AM_OK;
    }
    r->seen[r->n_seen] = am_strdup(c);
    if (r->seen[r->n_seen] == NULL)
        return AM_ERR_NOMEM;
    r->n_seen++;
    return AM_OK;
}

static am_status push(reader *r, double x, double y, int32_t ends)
{
    if (r->n == r->cap) {
        size_t cap = r->cap > 0 ? 2 * r->cap : 4096;
        vtx *v = am_realloc(r->v, cap * sizeof *v);
        if (v == NULL)
            return AM_ERR_NOMEM;
        r->v = v;
        r->cap = cap;
    }
    if (r->swap_xy) {
        const double t = x;
        x = y;
        y = t;
    }
    r->v[r->n++] = (vtx){x, y, ends};
    return AM_OK;
}

/* The vertices of one line (a simple curve), linearised. */
static am_status line_add(reader *r, OGRGeometryH g)
{
    const int np = OGR_G_GetPointCount(g);
    if (np < 2)
        return AM_OK;
    for (int i = 0; i < np; i++) {
        am_status rc = push(r, OGR_G_GetX(g, i), OGR_G_GetY(g, i),
                            i == 0 || i == np - 1 ? 1 : 2);
        if (rc != AM_OK)
            return rc;
    }
    return AM_OK;
}

static am_status geometry_add(reader *r, OGRGeometryH g)
{
    if (g == NULL || OGR_G_IsEmpty(g))
        return AM_OK;
    const OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbLineString)
        return line_add(r, g);
    if (t == wkbMultiLineString || t == wkbGeometryCollection) {
        am_status rc = AM_OK;
        for (int k = 0; rc == AM_OK && k < OGR_G_GetGeometryCount(g); k++)
            rc = geometry_add(r, OGR_G_GetGeometryRef(g, k));
        return rc;
    }
    if (OGR_GT_IsCurve(t) || OGR_GT_IsSubClassOf(t, wkbMultiCurve)) {
        OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, NULL);
        if (lin == NULL)
            return AM_OK;
        am_status rc = geometry_add(r, lin);
        OGR_G_DestroyGeometry(lin);
        return rc;
    }
    return AM_OK; /* not a line: no vertex */
}

/* Axis order of the layer's geometries and the transform to WGS 84. */
static am_status frame(reader *r, OGRLayerH layer, am_error *err)
{
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    char what[AM_ERROR_LAYER_MAX + 16];
    snprintf(what, sizeof what, "layer '%s'", r->lname);
    char *wkt = NULL;
    am_status rc = am_gdal_srs_wkt(srs, r->opt->path, what, &wkt, err);
    if (rc != AM_OK)
        return rc;
    OGRSpatialReferenceH gis = OSRClone(srs);
    if (gis != NULL) {
        OSRSetAxisMappingStrategy(gis, OAMS_TRADITIONAL_GIS_ORDER);
        int nd = 0, ng = 0;
        const int *md = OSRGetDataAxisToSRSAxisMapping(srs, &nd);
        const int *mg = OSRGetDataAxisToSRSAxisMapping(gis, &ng);
        r->swap_xy = nd >= 2 && ng >= 2 && md[0] == mg[1] && md[1] == mg[0] &&
                     md[0] != md[1];
        OSRDestroySpatialReference(gis);
    }
    rc = am_transform_create(wkt, AM_CRS_WGS84, &r->to_wgs84, err);
    CPLFree(wkt);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_vtx(const void *a, const void *b)
{
    const vtx *p = a, *q = b;
    if (p->lon != q->lon)
        return p->lon < q->lon ? -1 : 1;
    return (p->lat > q->lat) - (p->lat < q->lat);
}

/* A wanted class no feature has: AM_ERR_INVALID listing those met. */
static am_status unknown_class(reader *r, const char *c, am_error *err)
{
    char list[1024];
    size_t used = 0;
    list[0] = '\0';
    qsort(r->seen, (size_t)r->n_seen, sizeof *r->seen, cmp_name);
    for (int k = 0; k < r->n_seen && used + 8 < sizeof list; k++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s",
                         k > 0 ? ", " : "", r->seen[k]);
        if (w < 0 || (size_t)w >= sizeof list - used) {
            snprintf(list + used, sizeof list - used, ", ...");
            used = sizeof list;
            break;
        }
        used += (size_t)w;
    }
    if (r->seen_more && used + 6 < sizeof list)
        snprintf(list + used, sizeof list - used, ", ...");
    const char *field =
        r->opt->class_field != NULL ? r->opt->class_field : "highway";
    am_status rc = am_error_set(
        err, AM_ERR_INVALID, r->opt->path,
        "selection.candidates.road_nodes: no road of class '%s' in layer "
        "'%s' (%s%s; the classes there: %s)",
        c, r->lname, field, r->opt->where != NULL ? ", after roads.where" : "",
        r->n_seen > 0 ? list : "none");
    am_error_set_layer(err, r->lname);
    return rc;
}

static am_status read_layer(reader *r, GDALDatasetH ds, OGRLayerH layer,
                            int is_osm, int field, int other, am_error *err)
{
    const am_road_node_options *opt = r->opt;
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    am_status rc = AM_OK;
    long long n_read = 0, last = -1;
    if (is_osm)
        GDALDatasetResetReading(ds);
    else
        OGR_L_ResetReading(layer);
    for (;;) {
        OGRFeatureH f = NULL;
        if (!is_osm)
            f = OGR_L_GetNextFeature(layer);
        else
            for (;;) {
                OGRLayerH from = NULL;
                f = GDALDatasetGetNextFeature(ds, &from, NULL, NULL, NULL);
                if (f == NULL || from == layer)
                    break;
                OGR_F_Destroy(f);
            }
        if (ge.n_failures > 0) {
            long long fid = f != NULL ? (long long)OGR_F_GetFID(f) : -1;
            if (f != NULL)
                OGR_F_Destroy(f);
            rc = am_gdal_read_failed(&ge, opt->path, r->lname, "roads", fid,
                                     last, n_read, err);
            break;
        }
        if (f == NULL)
            break;
        n_read++;
        last = (long long)OGR_F_GetFID(f);
        char c[CLASS_MAX];
        c[0] = '\0';
        if (field >= 0 && OGR_F_IsFieldSetAndNotNull(f, field)) {
            const char *v = OGR_F_GetFieldAsString(f, field);
            if (v != NULL && strlen(v) < sizeof c)
                memcpy(c, v, strlen(v) + 1);
        }
        if (c[0] == '\0' && other >= 0 && OGR_F_IsFieldSetAndNotNull(f, other))
            hstore_get(OGR_F_GetFieldAsString(f, other), "highway", c,
                       sizeof c);
        if (c[0] != '\0' && remember(r, c) != AM_OK) {
            OGR_F_Destroy(f);
            rc = nomem(opt, err);
            break;
        }
        const int k = c[0] != '\0' ? class_index(opt, c) : -1;
        if (k >= 0) {
            const size_t before = r->n;
            if (geometry_add(r, OGR_F_GetGeometryRef(f)) != AM_OK) {
                OGR_F_Destroy(f);
                rc = nomem(opt, err);
                break;
            }
            r->found[k] = 1;
            r->n_features += r->n > before;
        }
        OGR_F_Destroy(f);
    }
    am_gdal_capture_end(&ge);
    return rc;
}

/* Transforms, drops unusable vertices, sorts and merges into *out. */
static am_status nodes_make(reader *r, am_road_nodes **out, am_error *err)
{
    const am_road_node_options *opt = r->opt;
    const size_t n = r->n;
    double *x = am_alloc_array(n + 1, sizeof *x);
    double *y = am_alloc_array(n + 1, sizeof *y);
    am_road_nodes *nd = am_calloc(1, sizeof *nd);
    am_status rc = x && y && nd ? AM_OK : nomem(opt, err);
    for (size_t i = 0; rc == AM_OK && i < n; i++) {
        x[i] = r->v[i].lon;
        y[i] = r->v[i].lat;
    }
    if (rc == AM_OK)
        rc = am_transform_points(r->to_wgs84, n, x, y, NULL, err);
    size_t k = 0;
    for (size_t i = 0; rc == AM_OK && i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]) && fabs(x[i]) <= 180.0 &&
            fabs(y[i]) <= 90.0)
            r->v[k++] = (vtx){x[i], y[i], r->v[i].ends};
    am_free(x);
    am_free(y);
    if (rc == AM_OK)
        qsort(r->v, k, sizeof *r->v, cmp_vtx);
    size_t m = 0;
    for (size_t i = 0; rc == AM_OK && i < k; m++) {
        size_t j = i;
        int64_t ends = 0;
        while (j < k && r->v[j].lon == r->v[i].lon &&
               r->v[j].lat == r->v[i].lat)
            ends += r->v[j++].ends;
        r->v[m] = (vtx){r->v[i].lon, r->v[i].lat,
                        ends > INT32_MAX ? INT32_MAX : (int32_t)ends};
        i = j;
    }
    if (rc == AM_OK) {
        nd->lon = am_alloc_array(m + 1, sizeof *nd->lon);
        nd->lat = am_alloc_array(m + 1, sizeof *nd->lat);
        nd->degree = am_alloc_array(m + 1, sizeof *nd->degree);
        if (!nd->lon || !nd->lat || !nd->degree)
            rc = nomem(opt, err);
    }
    for (size_t i = 0; rc == AM_OK && i < m; i++) {
        nd->lon[i] = r->v[i].lon;
        nd->lat[i] = r->v[i].lat;
        nd->degree[i] = r->v[i].ends;
    }
    if (rc == AM_OK && m == 0) {
        rc = am_error_set(err, AM_ERR_EMPTY, opt->path,
                          "selection.candidates.road_nodes: the roads of the "
                          "chosen classes in layer '%s' have no usable line "
                          "vertex",
                          r->lname);
        am_error_set_layer(err, r->lname);
    }
    if (rc != AM_OK) {
        am_road_nodes_destroy(nd);
        return rc;
    }
    nd->n = (int64_t)m;
    nd->n_features = r->n_features;
    *out = nd;
    return AM_OK;
}

am_status am_road_nodes_load(const am_road_node_options *opt,
                             am_road_nodes **out, am_error *err)
{
    *out = NULL;
    if (opt == NULL || opt->path == NULL || opt->n_classes < 1 ||
        opt->classes == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "road nodes: no path or no class");
    reader r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    GDALDatasetH ds = NULL;
    am_status rc = am_roads_osm_memory_check(opt->path, err);
    if (rc == AM_OK)
        rc = am_gdal_open(opt->path, 1, &ds, err);
    if (rc != AM_OK)
        return rc;
    r.found = am_calloc_array((size_t)opt->n_classes, sizeof *r.found);
    if (r.found == NULL) {
        rc = nomem(opt, err);
        goto done;
    }
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    const char *dname = drv != NULL ? GDALGetDriverShortName(drv) : "";
    const int is_osm = dname != NULL && strcmp(dname, "OSM") == 0;
    OGRLayerH layer = NULL;
    rc = am_gdal_pick_layer(ds, opt->path,
                            opt->layer != NULL ? opt->layer
                            : is_osm           ? "lines"
                                               : NULL,
                            &layer, err);
    if (rc != AM_OK)
        goto done;
    r.lname = OGR_L_GetName(layer);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    const char *fname = opt->class_field != NULL ? opt->class_field : "highway";
    const int field = OGR_FD_GetFieldIndex(d, fname);
    const int other =
        opt->class_field == NULL ? OGR_FD_GetFieldIndex(d, "other_tags") : -1;
    if (field < 0 && other < 0) {
        char names[512];
        size_t used = 0;
        names[0] = '\0';
        for (int i = 0; i < OGR_FD_GetFieldCount(d) && used + 8 < sizeof names;
             i++) {
            int w = snprintf(names + used, sizeof names - used, "%s%s",
                             i > 0 ? ", " : "",
                             OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i)));
            used = w > 0 ? used + (size_t)w : used;
        }
        rc = am_error_set(err, AM_ERR_FORMAT, opt->path,
                          "selection.candidates.road_nodes: layer '%s' has no "
                          "field '%s' holding the road class%s (its fields: "
                          "%s)",
                          r.lname, fname,
                          opt->class_field != NULL
                              ? " (roads.class_field)"
                              : "; a GIS layer names it in roads.class_field",
                          names[0] != '\0' ? names : "none");
        am_error_set_layer(err, r.lname);
        goto done;
    }
    if ((rc = frame(&r, layer, err)) != AM_OK) {
        am_error_set_layer(err, r.lname);
        goto done;
    }
    if (is_osm) {
        char sql[AM_ERROR_LAYER_MAX + 32];
        snprintf(sql, sizeof sql, "SET interest_layers = %s", r.lname);
        OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
        if (res != NULL)
            GDALDatasetReleaseResultSet(ds, res);
    }
    if (opt->where != NULL && opt->where[0] != '\0') {
        CPLErrorReset();
        if (OGR_L_SetAttributeFilter(layer, opt->where) != OGRERR_NONE) {
            rc = am_error_set(err, AM_ERR_INVALID, opt->path,
                              "roads.where '%s' is not a valid filter of "
                              "layer '%s': %s",
                              opt->where, r.lname, am_gdal_last_message());
            am_error_set_layer(err, r.lname);
            goto done;
        }
    }
    rc = read_layer(&r, ds, layer, is_osm, field, other, err);
    for (int k = 0; rc == AM_OK && k < opt->n_classes; k++)
        if (!r.found[k])
            rc = unknown_class(&r, opt->classes[k], err);
    if (rc == AM_OK)
        rc = nodes_make(&r, out, err);
done:
    for (int k = 0; k < r.n_seen; k++)
        am_free(r.seen[k]);
    am_free(r.found);
    am_free(r.v);
    am_transform_destroy(r.to_wgs84);
    if (ds != NULL)
        GDALClose(ds);
    return rc;
}
