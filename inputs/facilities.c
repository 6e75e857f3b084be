/*
 * facilities.c: facility points from any OGR source (see facilities.h).
 *
 * Why a module of its own: facility data is the input users prepare by
 * hand (an export from a ministry list, an OSM extract, a spreadsheet of
 * candidate sites), so it is where most input mistakes show up. Every
 * failure names the file, the layer and, for a bad value, the feature id,
 * and a missing field or layer lists what is there.
 *
 * Rules:
 *  - Layer: by name, else the first one.
 *  - Position: the x_field/y_field columns when configured; else the
 *    first geometry field (non-points by their centroid); else, for a
 *    table without geometry (CSV, spreadsheet), an obvious pair of columns
 *    (lon/lat, longitude/latitude, lng/lat, x/y). Coordinates are read by us
 * rather than through the CSV driver's X_POSSIBLE_NAMES open option, so the
 * same code serves CSV, XLSX, ODS, DBF and attribute-only GPKG tables, and a
 *    non-numeric cell is reported with its feature id instead of silently
 *    becoming an empty geometry.
 *  - CRS: the layer's own; src->crs only when the layer has none (a
 *    geometry layer with neither is an error, never a silent guess); x/y
 *    columns: src->crs, else WGS 84. Output is WGS 84 lon/lat. src->crs
 *    must be a CRS PROJ knows even when unused, and is warned about when
 *    the layer's own CRS makes it moot.
 *  - Text (id, name, class) is kept as UTF-8, what the output declares:
 *    a byte that is not part of a well-formed sequence becomes U+FFFD and
 *    one warning counts the features (the encoding is not guessed).
 *  - A feature without geometry (or with an empty x or y cell) is counted
 *    in n_no_geometry and skipped; a coordinate that is not a number,
 *    cannot be transformed or falls outside lon/lat range is an error.
 *  - Capacity: capacity_field when its value is set; a null or empty cell
 *    falls back to capacity_by_class, then default_capacity (so a partly
 *    filled "beds" column does not drop facilities). A value that is not a
 *    decimal number, or negative, or above AM_CAPACITY_MAX (units.h) is
 *    AM_ERR_INVALID naming the feature.
 *  - Numbers read from text cells (capacities, coordinates) follow
 *    common/numparse.h, surrounding blanks allowed: decimal only, so
 *    "0x10", "inf" or "1e400" are errors, never 16, infinity or HUGE_VAL.
 *  - Ids: the id_field value, else (no id_field, or a null or empty cell,
 *    warned about once) the FID as text. Two facilities with the same id are an
 *    error naming both features and the id, whatever made it their id (ids
 *    name the facilities in the output; some drivers' FIDs repeat).
 *  - Two facilities at exactly the same position are kept, each with its
 *    own capacity (a hospital and a clinic may share a site), and warned
 *    about once, with the first few pairs: a facility listed twice would
 *    count its capacity twice.
 *
 * GDAL's errors are captured for the whole load (the library never
 * prints) and folded into ours. Any failure GDAL reports while features
 * are fetched fails the load, naming the feature when one came back
 * (its geometry could not be read) and GDAL's message: a damaged file is
 * never read in part. Rows without geometry are not damage (see above).
 */
#include "inputs/facilities.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <ogr_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/numparse.h"
#include "common/strutil.h"
#include "common/unique.h"
#include "common/units.h"
#include "geo/crs.h"
#include "inputs/gdal_util.h"

#define AM_LIST_MAX 512

/* Fields looked for when a table has no geometry and no x/y configured. */
static const char *const xy_names[][2] = {
    {"lon", "lat"}, {"longitude", "latitude"}, {"lng", "lat"}, {"x", "y"}};

typedef struct load_ctx {
    int64_t max_features; /* issue 13, limits.facilities */
    const am_facility_options *src;
    const char *path;
    const char *layer_name;
    am_error *err;
    OGRFeatureDefnH defn;
    int id_idx, name_idx, class_idx, cap_idx, x_idx, y_idx;
    size_t cap; /* allocated length of the set's arrays */
    /* the class table sorted by class, for bsearch: NULL when empty */
    am_facility_class_capacity *classes;
    /* features with text that is not UTF-8 (replaced, warned once) */
    long long n_bad_text, first_bad_fid;
    const char *first_bad_field;
    /* rows whose id_field cell is null or empty: their FID is their id */
    int32_t *no_id_rows;
    size_t n_no_id, cap_no_id;
} load_ctx;

void am_facility_set_destroy(am_facility_set *f)
{
    if (f == NULL)
        return;
    for (int32_t i = 0; i < f->n; i++) {
        am_free(f->id != NULL ? f->id[i] : NULL);
        am_free(f->name != NULL ? f->name[i] : NULL);
        am_free(f->klass != NULL ? f->klass[i] : NULL);
    }
    am_free(f->fid);
    am_free(f->id);
    am_free(f->name);
    am_free(f->klass);
    am_free(f->capacity);
    am_free(f->lon);
    am_free(f->lat);
    am_free(f);
}

/* Sets err (code, file, layer) and returns code. */
static am_status fail(const load_ctx *c, am_status code, long long feature,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static am_status fail(const load_ctx *c, am_status code, long long feature,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    am_error_setv(c->err, code, c->path, fmt, ap);
    va_end(ap);
    am_error_set_layer(c->err, c->layer_name);
    am_error_set_feature(c->err, feature);
    return code;
}

/* Comma-separated names for "expected one of" hints, truncated. */
static void append_name(char *buf, size_t n, const char *name)
{
    size_t used = strlen(buf);
    if (used + 4 >= n)
        return;
    int k = snprintf(buf + used, n - used, "%s%s", used > 0 ? ", " : "", name);
    if (k < 0 || (size_t)k >= n - used)
        snprintf(buf + (n - 4), 4, "...");
}

static void field_list(OGRFeatureDefnH defn, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
        append_name(buf, n, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    if (buf[0] == '\0')
        snprintf(buf, n, "(none)");
}

/* Index of a configured field; AM_ERR_FORMAT listing the fields if absent.
 * `key` is the scenario key that named it. */
static am_status require_field(const load_ctx *c, const char *field,
                               const char *key, int *idx)
{
    *idx = OGR_FD_GetFieldIndex(c->defn, field);
    if (*idx >= 0)
        return AM_OK;
    char fields[AM_LIST_MAX];
    field_list(c->defn, fields, sizeof fields);
    return fail(c, AM_ERR_FORMAT, -1,
                "no field '%s' (%s); fields in the layer: %s", field, key,
                fields);
}

static am_status resolve_fields(load_ctx *c)
{
    const am_facility_options *s = c->src;
    am_status rc = AM_OK;
    c->id_idx = c->cap_idx = c->x_idx = c->y_idx = -1;
    if (s->id_field != NULL &&
        (rc = require_field(c, s->id_field, "id_field", &c->id_idx)) != AM_OK)
        return rc;
    if (s->name_field != NULL) {
        if ((rc = require_field(c, s->name_field, "name_field",
                                &c->name_idx)) != AM_OK)
            return rc;
    } else {
        c->name_idx = OGR_FD_GetFieldIndex(c->defn, "name");
    }
    if (s->class_field != NULL) {
        if ((rc = require_field(c, s->class_field, "class_field",
                                &c->class_idx)) != AM_OK)
            return rc;
    } else {
        c->class_idx = OGR_FD_GetFieldIndex(c->defn, "amenity");
    }
    if (s->capacity_field != NULL &&
        (rc = require_field(c, s->capacity_field, "capacity_field",
                            &c->cap_idx)) != AM_OK)
        return rc;
    if (s->x_field != NULL || s->y_field != NULL) {
        if (s->x_field == NULL || s->y_field == NULL)
            return fail(c, AM_ERR_FORMAT, -1,
                        "x_field and y_field must be given together");
        if ((rc = require_field(c, s->x_field, "x_field", &c->x_idx)) !=
                AM_OK ||
            (rc = require_field(c, s->y_field, "y_field", &c->y_idx)) != AM_OK)
            return rc;
        return AM_OK;
    }
    if (OGR_FD_GetGeomFieldCount(c->defn) > 0)
        return AM_OK;
    for (size_t i = 0; i < sizeof xy_names / sizeof *xy_names; i++) {
        int xi = OGR_FD_GetFieldIndex(c->defn, xy_names[i][0]);
        int yi = OGR_FD_GetFieldIndex(c->defn, xy_names[i][1]);
        if (xi >= 0 && yi >= 0) {
            c->x_idx = xi;
            c->y_idx = yi;
            return AM_OK;
        }
    }
    char fields[AM_LIST_MAX];
    field_list(c->defn, fields, sizeof fields);
    return fail(c, AM_ERR_FORMAT, -1,
                "the layer has no geometry; set x_field and y_field to its "
                "coordinate columns (fields: %s)",
                fields);
}

/* Parses a whole string as a decimal number (common/numparse.h),
 * surrounding blanks allowed. Returns 1 on success, 0 if empty, -1 if not
 * a decimal number, -2 if out of a double's range. */
static int parse_number(const char *str, double *out)
{
    while (isspace((unsigned char)*str))
        str++;
    size_t len = strlen(str);
    while (len > 0 && isspace((unsigned char)str[len - 1]))
        len--;
    if (len == 0)
        return 0;
    char small[128];
    char *copy = len < sizeof small ? small : am_malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, str, len);
    copy[len] = '\0';
    am_num_status ns = am_parse_real(copy, out);
    if (copy != small)
        am_free(copy);
    return ns == AM_NUM_OK ? 1 : ns == AM_NUM_RANGE ? -2 : -1;
}

/* A numeric cell: 1 with *out set, 0 if null or empty, -1 if not numeric,
 * -2 out of range. */
static int field_number(const load_ctx *c, OGRFeatureH f, int idx, double *out)
{
    if (!OGR_F_IsFieldSetAndNotNull(f, idx))
        return 0;
    OGRFieldType t = OGR_Fld_GetType(OGR_FD_GetFieldDefn(c->defn, idx));
    if (t == OFTInteger || t == OFTInteger64 || t == OFTReal) {
        *out = OGR_F_GetFieldAsDouble(f, idx);
        return isfinite(*out) ? 1 : -1;
    }
    return parse_number(OGR_F_GetFieldAsString(f, idx), out);
}

static const char *field_name(const load_ctx *c, int idx)
{
    return OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(c->defn, idx));
}

static int class_order(const void *a, const void *b)
{
    const am_facility_class_capacity *x = a, *y = b;
    return strcmp(x->klass, y->klass);
}

/* The class table sorted for bsearch (a table may hold thousands of
 * classes, looked up once a feature). */
static am_status sort_classes(load_ctx *c)
{
    const am_facility_options *s = c->src;
    if (s->n_class_capacity <= 0 || s->class_capacity == NULL)
        return AM_OK;
    c->classes =
        am_alloc_array((size_t)s->n_class_capacity, sizeof *c->classes);
    if (c->classes == NULL)
        return fail(c, AM_ERR_NOMEM, -1, "out of memory");
    memcpy(c->classes, s->class_capacity,
           (size_t)s->n_class_capacity * sizeof *c->classes);
    qsort(c->classes, (size_t)s->n_class_capacity, sizeof *c->classes,
          class_order);
    return AM_OK;
}

/* Capacity of one feature (rules in the header comment). */
static am_status feature_capacity(const load_ctx *c, OGRFeatureH f,
                                  long long fid, const char *klass, double *out)
{
    const am_facility_options *s = c->src;
    const char *what = s->value_name != NULL ? s->value_name : "capacity";
    if (c->cap_idx >= 0) {
        double v = 0.0;
        int got = field_number(c, f, c->cap_idx, &v);
        if (got == -2)
            return fail(c, AM_ERR_INVALID, fid,
                        "%s field '%s' is out of range for a number: '%s'",
                        what, field_name(c, c->cap_idx),
                        OGR_F_GetFieldAsString(f, c->cap_idx));
        if (got < 0)
            return fail(c, AM_ERR_INVALID, fid,
                        "%s field '%s' is not a decimal number: '%s' "
                        "(no hex, inf or nan)",
                        what, field_name(c, c->cap_idx),
                        OGR_F_GetFieldAsString(f, c->cap_idx));
        if (got > 0 && v < 0.0)
            return fail(c, AM_ERR_INVALID, fid,
                        "negative %s %g in field '%s' (must be >= 0)", what, v,
                        field_name(c, c->cap_idx));
        if (got > 0 && v > AM_CAPACITY_MAX)
            return fail(c, AM_ERR_INVALID, fid,
                        "%s %g in field '%s' is above %g, the "
                        "largest allowed (is the field the right one?)",
                        what, v, field_name(c, c->cap_idx), AM_CAPACITY_MAX);
        if (got > 0) {
            *out = v == 0.0 ? 0.0 : v;
            return AM_OK;
        }
    }
    const am_facility_class_capacity key = {klass, 0.0};
    const am_facility_class_capacity *hit =
        c->classes == NULL
            ? NULL
            : bsearch(&key, c->classes, (size_t)s->n_class_capacity, sizeof key,
                      class_order);
    *out = hit != NULL ? hit->capacity : s->default_capacity;
    return AM_OK;
}

/* Position in the source CRS: 1 found, 0 no usable geometry. */
static am_status feature_xy(const load_ctx *c, OGRFeatureH f, long long fid,
                            double *x, double *y, int *found)
{
    *found = 0;
    if (c->x_idx >= 0) {
        int gx = field_number(c, f, c->x_idx, x);
        int gy = field_number(c, f, c->y_idx, y);
        if (gx < 0 || gy < 0) {
            int bad = gx < 0 ? c->x_idx : c->y_idx;
            return fail(c, AM_ERR_INVALID, fid,
                        "coordinate field '%s' is not a number: '%s'",
                        field_name(c, bad), OGR_F_GetFieldAsString(f, bad));
        }
        *found = gx > 0 && gy > 0;
        return AM_OK;
    }
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g == NULL || OGR_G_IsEmpty(g))
        return AM_OK;
    if (wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
        *x = OGR_G_GetX(g, 0);
        *y = OGR_G_GetY(g, 0);
    } else {
        OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
        if (pt == NULL)
            return fail(c, AM_ERR_NOMEM, fid, "out of memory");
        int ok = OGR_G_Centroid(g, pt) == OGRERR_NONE && !OGR_G_IsEmpty(pt);
        if (ok) {
            *x = OGR_G_GetX(pt, 0);
            *y = OGR_G_GetY(pt, 0);
        }
        OGR_G_DestroyGeometry(pt);
        if (!ok)
            return AM_OK;
    }
    if (!isfinite(*x) || !isfinite(*y))
        return fail(c, AM_ERR_INVALID, fid,
                    "geometry has a non-finite coordinate");
    *found = 1;
    return AM_OK;
}

/* Grows the set's arrays to hold at least one more facility. */
static am_status reserve_one(load_ctx *c, am_facility_set *s)
{
    if ((size_t)s->n < c->cap)
        return AM_OK;
    if (s->n == INT32_MAX)
        return fail(c, AM_ERR_INVALID, -1, "more than %d facilities",
                    INT32_MAX);
    size_t cap = c->cap == 0 ? 64 : c->cap * 2;
    if (cap > (size_t)INT32_MAX)
        cap = (size_t)INT32_MAX;
#define AM_GROW(arr)                                                           \
    do {                                                                       \
        void *p_ = am_realloc_array(s->arr, cap, sizeof *s->arr);              \
        if (p_ == NULL)                                                        \
            return fail(c, AM_ERR_NOMEM, -1, "out of memory");                 \
        s->arr = p_;                                                           \
    } while (0)
    AM_GROW(fid);
    AM_GROW(id);
    AM_GROW(name);
    AM_GROW(klass);
    AM_GROW(capacity);
    AM_GROW(lon);
    AM_GROW(lat);
#undef AM_GROW
    c->cap = cap;
    return AM_OK;
}

/*
 * A text cell as UTF-8 (the output declares its strings so): a byte that
 * is not part of a well-formed sequence becomes U+FFFD, and the feature is
 * counted for one warning after the load. *bad is set when it happened.
 */
static char *utf8_copy(const char *text, int *bad)
{
    if (!am_utf8_invalid(text, NULL))
        return am_strdup(text);
    *bad = 1;
    return am_utf8_sanitize(text);
}

/* A string cell, "" when null or no such field; NULL on NOMEM. */
static char *field_copy(OGRFeatureH f, int idx, int *bad)
{
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx))
        return am_strdup("");
    return utf8_copy(OGR_F_GetFieldAsString(f, idx), bad);
}

/* Counts a feature whose text had to be replaced; `field` names the
 * first such field of the first such feature. */
static void note_bad_text(load_ctx *c, long long fid, int idx)
{
    if (c->n_bad_text++ == 0) {
        c->first_bad_fid = fid;
        c->first_bad_field = field_name(c, idx);
    }
}

/* Records row i as one whose id_field cell is null or empty. */
static am_status note_no_id(load_ctx *c, int32_t i)
{
    if (c->n_no_id == c->cap_no_id) {
        size_t cap = c->cap_no_id == 0 ? 16 : 2 * c->cap_no_id;
        int32_t *v = am_realloc_array(c->no_id_rows, cap, sizeof *v);
        if (v == NULL)
            return AM_ERR_NOMEM;
        c->no_id_rows = v;
        c->cap_no_id = cap;
    }
    c->no_id_rows[c->n_no_id++] = i;
    return AM_OK;
}

/* Whether row i's id is its FID because its id_field cell is null. */
static int id_is_fid(const load_ctx *c, int32_t i)
{
    for (size_t k = 0; k < c->n_no_id; k++)
        if (c->no_id_rows[k] == i)
            return 1;
    return 0;
}

/* Reads one feature into s (or counts it as without geometry). */
static am_status read_feature(load_ctx *c, OGRFeatureH f, am_facility_set *s)
{
    long long fid = (long long)OGR_F_GetFID(f);
    double x = 0.0, y = 0.0;
    int found = 0;
    am_status rc = feature_xy(c, f, fid, &x, &y, &found);
    if (rc != AM_OK)
        return rc;
    s->n_read++;
    if (s->n_read > c->max_features)
        return fail(c, AM_ERR_INVALID, fid,
                    "more than %lld features: beyond the limit (raise it "
                    "with 'limits: {facilities: N}' in the scenario)",
                    (long long)c->max_features);
    if (!found) {
        s->n_no_geometry++;
        return AM_OK;
    }
    if ((rc = reserve_one(c, s)) != AM_OK)
        return rc;
    int32_t i = s->n;
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "%lld", fid);
    int bad_id = 0, bad_name = 0, bad_class = 0;
    /* a null or empty cell (a CSV's empty cell is "", not null) */
    const int has_id = c->id_idx >= 0 &&
                       OGR_F_IsFieldSetAndNotNull(f, c->id_idx) &&
                       OGR_F_GetFieldAsString(f, c->id_idx)[0] != '\0';
    s->id[i] = has_id ? utf8_copy(OGR_F_GetFieldAsString(f, c->id_idx), &bad_id)
                      : am_strdup(idbuf);
    if (c->id_idx >= 0 && !has_id && note_no_id(c, i) != AM_OK) {
        am_free(s->id[i]);
        return fail(c, AM_ERR_NOMEM, fid, "out of memory");
    }
    s->name[i] = field_copy(f, c->name_idx, &bad_name);
    s->klass[i] = field_copy(f, c->class_idx, &bad_class);
    if (bad_id || bad_name || bad_class)
        note_bad_text(c, fid,
                      bad_id     ? c->id_idx
                      : bad_name ? c->name_idx
                                 : c->class_idx);
    s->n++; /* strings are owned by the set from here, even if NULL */
    if (s->id[i] == NULL || s->name[i] == NULL || s->klass[i] == NULL)
        return fail(c, AM_ERR_NOMEM, fid, "out of memory");
    s->fid[i] = (int64_t)fid;
    s->lon[i] = x;
    s->lat[i] = y;
    return feature_capacity(c, f, fid, s->klass[i], &s->capacity[i]);
}

/*
 * Refuses two facilities with the same id, whatever made it their id (the
 * id_field value, or the FID where there is no id_field or its cell is
 * null): ids name the facilities in the output. Names both features, the
 * pair whose second feature comes first in the layer (common/unique.h).
 */
static am_status check_unique_ids(const load_ctx *c, const am_facility_set *s)
{
    size_t first = 0, second = 0;
    int dup = am_find_duplicate((const char *const *)s->id, (size_t)s->n,
                                &first, &second);
    if (dup < 0)
        return fail(c, AM_ERR_NOMEM, -1, "out of memory");
    if (dup == 0)
        return AM_OK;
    const long long f1 = (long long)s->fid[first],
                    f2 = (long long)s->fid[second];
    /* equal FIDs: the features are told apart by their order */
    const char *id = s->id[second];
    if (c->id_idx < 0)
        return fail(c, AM_ERR_INVALID, f2,
                    "duplicate feature id (FID) %s: the facilities read "
                    "number %lld and %lld both have it (without id_field "
                    "the FIDs name the facilities in the output, and this "
                    "source repeats them); set id_field to a column of "
                    "unique ids",
                    id, (long long)first + 1, (long long)second + 1);
    const int fid1 = id_is_fid(c, (int32_t)first),
              fid2 = id_is_fid(c, (int32_t)second);
    if (fid1 || fid2)
        return fail(c, AM_ERR_INVALID, f2,
                    "duplicate id '%s': features %lld and %lld (%s; ids name "
                    "the facilities in the output and must be unique); fill "
                    "the empty id_field '%s' cells",
                    id, f1, f2,
                    fid1 && fid2 ? "both have no value in id_field, and "
                                   "their FIDs are the same"
                    : fid1       ? "the first has no value in id_field and "
                                   "its FID was used as its id"
                                 : "the second has no value in id_field and "
                                   "its FID was used as its id",
                    field_name(c, c->id_idx));
    return fail(c, AM_ERR_INVALID, f2,
                "duplicate id '%s' in id_field '%s': features %lld and %lld "
                "(ids name the facilities in the output and must be unique)",
                id, field_name(c, c->id_idx), f1, f2);
}

/* Warns once about the features whose id_field cell is null. */
static void warn_no_id(const load_ctx *c, const am_facility_set *s)
{
    if (c->n_no_id == 0)
        return;
    char list[128] = "";
    for (size_t k = 0; k < c->n_no_id && k < 5; k++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%lld", k > 0 ? ", " : "",
                 (long long)s->fid[c->no_id_rows[k]]);
    }
    am_warn(c->src->warnings,
            "%s: layer '%s': %zu feature%s with no value in id_field '%s' "
            "(feature%s %s%s): %s FID is used as %s id",
            c->path, c->layer_name, c->n_no_id, c->n_no_id == 1 ? "" : "s",
            field_name(c, c->id_idx), c->n_no_id == 1 ? "" : "s", list,
            c->n_no_id > 5 ? ", ..." : "", c->n_no_id == 1 ? "its" : "their",
            c->n_no_id == 1 ? "its" : "their");
}

/* A facility's position and row, sorted by position, then row. */
typedef struct pos_row {
    double lon, lat;
    int32_t row;
} pos_row;

static int pos_order(const void *a, const void *b)
{
    const pos_row *x = a, *y = b;
    if (x->lon != y->lon)
        return x->lon < y->lon ? -1 : 1;
    if (x->lat != y->lat)
        return x->lat < y->lat ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int int32_order(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/*
 * Facilities at exactly the same position (WGS 84) as an earlier one: not
 * an error, since a hospital and a clinic may share a building or a
 * site, and each keeps its own capacity and its own row in the output.
 * But a facility listed twice would count its capacity twice, so they
 * are warned about once, with their count and the first five pairs (in
 * layer order). AM_ERR_NOMEM only.
 */
static am_status warn_same_position(const load_ctx *c, const am_facility_set *s)
{
    if (s->n < 2)
        return AM_OK;
    pos_row *order = am_alloc_array((size_t)s->n, sizeof *order);
    /* rows that repeat an earlier position; first[k]: that earlier row */
    int32_t *rep = am_alloc_array((size_t)s->n, sizeof *rep);
    int32_t *first_of = am_alloc_array((size_t)s->n, sizeof *first_of);
    if (order == NULL || rep == NULL || first_of == NULL) {
        am_free(order);
        am_free(rep);
        am_free(first_of);
        return fail(c, AM_ERR_NOMEM, -1, "out of memory");
    }
    for (int32_t i = 0; i < s->n; i++)
        order[i] = (pos_row){s->lon[i], s->lat[i], i};
    qsort(order, (size_t)s->n, sizeof *order, pos_order);
    size_t n_rep = 0;
    int32_t group_first = order[0].row;
    for (int32_t k = 1; k < s->n; k++) {
        if (order[k].lon == order[k - 1].lon &&
            order[k].lat == order[k - 1].lat) {
            first_of[order[k].row] = group_first;
            rep[n_rep++] = order[k].row;
        } else {
            group_first = order[k].row;
        }
    }
    if (n_rep > 0) {
        qsort(rep, n_rep, sizeof *rep, int32_order);
        char list[320] = "";
        for (size_t k = 0; k < n_rep && k < 5; k++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%lld and %lld",
                     k > 0 ? "; " : "", (long long)s->fid[first_of[rep[k]]],
                     (long long)s->fid[rep[k]]);
        }
        am_warn(c->src->warnings,
                "%s: layer '%s': %zu facilit%s at exactly the position of "
                "an earlier one (features %s%s): kept as separate "
                "facilities, each with its own capacity; if one is listed "
                "twice, remove the copy (or filter it out with 'where'), "
                "or its capacity counts twice",
                c->path, c->layer_name, n_rep, n_rep == 1 ? "y" : "ies", list,
                n_rep > 5 ? "; ..." : "");
    }
    am_free(order);
    am_free(rep);
    am_free(first_of);
    return AM_OK;
}

/* AM_ERR_EMPTY with what was there, so the user can tell a too strict
 * filter from a layer without geometry. */
static am_status empty_error(const load_ctx *c, OGRLayerH lyr,
                             const am_facility_set *s)
{
    const char *where = c->src->where;
    if (where != NULL && where[0] != '\0' && s->n_read == 0) {
        OGR_L_SetAttributeFilter(lyr, NULL);
        long long total = (long long)OGR_L_GetFeatureCount(lyr, 1);
        return fail(c, AM_ERR_EMPTY, -1,
                    "no facility left after the filter '%s' in layer '%s' "
                    "(%lld features in layer)",
                    where, c->layer_name, total);
    }
    if (s->n_read == 0)
        return fail(c, AM_ERR_EMPTY, -1, "layer '%s' has no features",
                    c->layer_name);
    return fail(c, AM_ERR_EMPTY, -1,
                "no facility with a usable position in layer '%s' (%lld "
                "features read, all without geometry%s)",
                c->layer_name, (long long)s->n_read,
                c->x_idx >= 0 ? " or with empty coordinate cells" : "");
}

/* The CRS the coordinates are in, as a string for am_transform_create;
 * *wkt is set when it came from the layer (free with CPLFree). */
static am_status source_crs(const load_ctx *c, OGRLayerH lyr, const char **def,
                            char **wkt)
{
    *wkt = NULL;
    if (c->x_idx >= 0) {
        *def = c->src->crs != NULL ? c->src->crs : AM_CRS_WGS84;
        return AM_OK;
    }
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(lyr);
    if (srs == NULL) {
        if (c->src->crs == NULL)
            return fail(c, AM_ERR_CRS, -1,
                        "the layer has no coordinate reference system; set "
                        "'crs' in the facility set (e.g. crs: EPSG:4326) or "
                        "assign one with ogr2ogr -a_srs");
        *def = c->src->crs;
        return AM_OK;
    }
    if (c->src->crs != NULL) {
        const char *name = OSRGetName(srs);
        am_warn(c->src->warnings,
                "%s: layer '%s' has its own CRS (%s): 'crs: %s' is ignored "
                "(it is for sources without one; to replace a wrong CRS, "
                "re-tag the layer: ogr2ogr -a_srs)",
                c->path, c->layer_name, name != NULL ? name : "unnamed",
                c->src->crs);
    }
    char what[AM_ERROR_LAYER_MAX + 16];
    snprintf(what, sizeof what, "layer '%s'", c->layer_name);
    am_status rc = am_gdal_srs_wkt(srs, c->path, what, wkt, c->err);
    if (rc != AM_OK) {
        am_error_set_layer(c->err, c->layer_name);
        return rc;
    }
    *def = *wkt;
    return AM_OK;
}

/* The where clause was rejected: when SetAttributeFilter parses it (OGR
 * SQL) or, for SQL-backed drivers (GPKG, SQLite), on the first read, whose
 * message carries the whole SELECT but not SQLite's reason; the field list
 * covers the commonest cause, a misspelt column. */
static am_status bad_filter(const load_ctx *c, const char *why)
{
    char fields[AM_LIST_MAX];
    field_list(c->defn, fields, sizeof fields);
    return fail(c, AM_ERR_FORMAT, -1,
                "invalid filter 'where: %s': %s; fields in the layer: %s",
                c->src->where, why, fields);
}

/* Transforms the set to WGS 84 lon/lat and checks the ranges. */
static am_status to_wgs84(const load_ctx *c, const char *def,
                          am_facility_set *s)
{
    am_transform *t = NULL;
    size_t n_failed = 0;
    am_status rc = am_transform_create(def, AM_CRS_WGS84, &t, c->err);
    if (rc == AM_OK)
        rc = am_transform_points(t, (size_t)s->n, s->lon, s->lat, &n_failed,
                                 c->err);
    am_transform_destroy(t);
    if (rc != AM_OK) {
        /* crs.c does not know the file: add it and the layer. */
        if (c->err != NULL && c->err->file[0] == '\0')
            snprintf(c->err->file, sizeof c->err->file, "%s", c->path);
        am_error_set_layer(c->err, c->layer_name);
        return rc;
    }
    for (int32_t i = 0; i < s->n; i++) {
        double lon = s->lon[i], lat = s->lat[i];
        if (lon == HUGE_VAL || lat == HUGE_VAL || !isfinite(lon) ||
            !isfinite(lat))
            return fail(c, AM_ERR_CRS, (long long)s->fid[i],
                        "position cannot be transformed to WGS 84 (%zu "
                        "feature(s) failed; is the CRS right?)",
                        n_failed);
        if (lon < -180.0 || lon > 180.0 || lat < -90.0 || lat > 90.0)
            return fail(c, AM_ERR_INVALID, (long long)s->fid[i],
                        "position lon %g, lat %g is outside the valid "
                        "range%s",
                        lon, lat,
                        c->x_idx >= 0 ? " (are x_field and y_field swapped, "
                                        "or is 'crs' missing?)"
                                      : " (is the layer's CRS right?)");
    }
    return AM_OK;
}

/*
 * GDAL failed while fetching a feature (`feat`, NULL when none came back;
 * destroyed here).
 * With a where clause and nothing read yet, the filter may be what failed
 * (SQL-backed drivers only run it on the first read), or the file may be
 * damaged: reading the layer once without the filter tells which.
 */
static am_status read_failed(const load_ctx *c, OGRLayerH lyr,
                             am_gdal_errors *ge, OGRFeatureH feat,
                             long long last_fid, int64_t n_read)
{
    long long fid = feat != NULL ? (long long)OGR_F_GetFID(feat) : -1;
    if (feat != NULL)
        OGR_F_Destroy(feat);
    const char *where = c->src->where;
    if (where != NULL && where[0] != '\0' && n_read == 0 && fid < 0) {
        am_gdal_errors probe;
        am_gdal_capture_begin(&probe);
        OGR_L_SetAttributeFilter(lyr, NULL);
        OGR_L_ResetReading(lyr);
        OGRFeatureH f = OGR_L_GetNextFeature(lyr);
        am_gdal_capture_end(&probe);
        if (f != NULL)
            OGR_F_Destroy(f);
        if (f != NULL && probe.n_failures == 0) {
            return bad_filter(c, ge->first); /* the layer itself reads */
        }
    }
    return am_gdal_read_failed(ge, c->path, c->layer_name, "facilities", fid,
                               last_fid, (long long)n_read, c->err);
}

/* `crs` as given: a CRS PROJ understands, whether or not the layer will
 * need it (a typo must not wait for the day a source without CRS comes). */
static am_status check_crs_option(const load_ctx *c)
{
    if (c->src->crs == NULL)
        return AM_OK;
    am_status rc = am_crs_check(c->src->crs, "'crs'", c->err);
    if (rc != AM_OK) {
        if (c->err != NULL && c->err->file[0] == '\0')
            snprintf(c->err->file, sizeof c->err->file, "%s", c->path);
        am_error_set_layer(c->err, c->layer_name);
    }
    return rc;
}

/*
 * What the probe and the load share: opens the source, picks the layer,
 * finds the configured fields, checks `crs` and the layer's CRS (*wkt and
 * *crs_def as source_crs) and sets the filter (rejected here by OGR SQL;
 * SQL-backed drivers only run it on the first read).
 */
static am_status open_layer(load_ctx *c, GDALDatasetH *ds, OGRLayerH *lyr,
                            const char **crs_def, char **wkt)
{
    const am_facility_options *src = c->src;
    am_status rc;
    if ((rc = am_gdal_open(c->path, AM_GDAL_TABLE, ds, c->err)) != AM_OK)
        return rc;
    if ((rc = am_gdal_pick_layer(*ds, c->path, src->layer, lyr, c->err)) !=
        AM_OK)
        return rc;
    c->layer_name = OGR_L_GetName(*lyr);
    c->defn = OGR_L_GetLayerDefn(*lyr);
    if ((rc = resolve_fields(c)) != AM_OK ||
        (rc = check_crs_option(c)) != AM_OK ||
        (rc = source_crs(c, *lyr, crs_def, wkt)) != AM_OK)
        return rc;
    if (src->where != NULL && src->where[0] != '\0') {
        CPLErrorReset();
        if (OGR_L_SetAttributeFilter(*lyr, src->where) != OGRERR_NONE)
            return bad_filter(c, am_gdal_last_message());
    }
    return AM_OK;
}

/* The probe (see facilities.h): open_layer, then the first feature. */
static am_status probe(const am_facility_options *src, am_gdal_errors *ge,
                       am_error *err)
{
    GDALDatasetH ds = NULL;
    OGRLayerH lyr = NULL;
    char *wkt = NULL;
    const char *crs_def = NULL;
    /* warnings are the load's: the probe would only repeat them */
    am_facility_options quiet = *src;
    quiet.warnings = NULL;
    load_ctx c = {.src = &quiet,
                  .path = src->path,
                  .layer_name = "",
                  .err = err,
                  .max_features = am_input_limits_get().facilities};
    am_status rc = open_layer(&c, &ds, &lyr, &crs_def, &wkt);
    if (rc != AM_OK)
        goto done;
    am_gdal_capture_clear(ge);
    OGR_L_ResetReading(lyr);
    OGRFeatureH feat = OGR_L_GetNextFeature(lyr);
    if (ge->n_failures > 0) {
        rc = read_failed(&c, lyr, ge, feat, -1, 0); /* destroys feat */
        goto done;
    }
    if (feat != NULL) {
        OGR_F_Destroy(feat);
    } else {
        am_facility_set none;
        memset(&none, 0, sizeof none);
        rc = empty_error(&c, lyr, &none);
    }
done:
    CPLFree(wkt);
    if (ds != NULL)
        GDALClose(ds);
    return rc;
}

/*
 * After the load: one warning for the features whose text was not UTF-8.
 * The bytes are replaced rather than guessed at: a source without a
 * declared encoding (a Shapefile without .cpg) may be Latin-1, CP1252,
 * CP437 or anything else, and GDAL cannot tell; the user can (a .cpg, or
 * ogr2ogr), and the warning says how.
 */
static void warn_bad_text(const load_ctx *c)
{
    if (c->n_bad_text == 0)
        return;
    am_warn(c->src->warnings,
            "%s: layer '%s': %lld feature%s with text that is not UTF-8 "
            "(first: feature %lld, field '%s'): the bytes that are not "
            "were replaced by U+FFFD; if the file is in another encoding, "
            "declare it (a .cpg file next to a Shapefile, e.g. holding "
            "LATIN1) or convert it to UTF-8 with ogr2ogr",
            c->path, c->layer_name, c->n_bad_text,
            c->n_bad_text == 1 ? "" : "s", c->first_bad_fid,
            c->first_bad_field);
}

static am_status load(const am_facility_options *src, am_gdal_errors *ge,
                      am_facility_set **out, am_error *err)
{
    am_status rc = AM_OK;
    GDALDatasetH ds = NULL;
    OGRLayerH lyr = NULL;
    OGRFeatureH feat = NULL;
    am_facility_set *set = NULL;
    char *wkt = NULL;
    const char *crs_def = NULL;
    load_ctx c = {.src = src,
                  .path = src->path,
                  .layer_name = "",
                  .err = err,
                  .max_features = am_input_limits_get().facilities};

    if ((rc = open_layer(&c, &ds, &lyr, &crs_def, &wkt)) != AM_OK ||
        (rc = sort_classes(&c)) != AM_OK)
        goto done;
    set = am_calloc(1, sizeof *set);
    if (set == NULL) {
        rc = fail(&c, AM_ERR_NOMEM, -1, "out of memory");
        goto done;
    }
    /* GDAL reports damage through its error handler (ge): a feature may
     * come back without its geometry, or NULL as if the layer ended. */
    am_gdal_capture_clear(ge);
    OGR_L_ResetReading(lyr);
    long long last_fid = -1;
    for (;;) {
        /* Some drivers (GPKG, SQLite) only run the filter here. */
        feat = OGR_L_GetNextFeature(lyr);
        if (ge->n_failures > 0) {
            rc = read_failed(&c, lyr, ge, feat, last_fid, set->n_read);
            feat = NULL; /* destroyed by read_failed */
            goto done;
        }
        if (feat == NULL)
            break;
        last_fid = (long long)OGR_F_GetFID(feat);
        rc = read_feature(&c, feat, set);
        OGR_F_Destroy(feat);
        feat = NULL;
        if (rc != AM_OK)
            goto done;
        am_gdal_capture_clear(ge);
    }
    if (set->n == 0) {
        rc = empty_error(&c, lyr, set);
        goto done;
    }
    if ((rc = check_unique_ids(&c, set)) != AM_OK)
        goto done;
    if ((rc = to_wgs84(&c, crs_def, set)) != AM_OK)
        goto done;
    if ((rc = warn_same_position(&c, set)) != AM_OK)
        goto done;
    warn_bad_text(&c);
    warn_no_id(&c, set);
    *out = set;
    set = NULL;
done:
    if (feat != NULL)
        OGR_F_Destroy(feat);
    am_facility_set_destroy(set);
    am_free(c.classes);
    am_free(c.no_id_rows);
    CPLFree(wkt);
    if (ds != NULL)
        GDALClose(ds);
    return rc;
}

am_status am_facilities_probe(const am_facility_options *opt, am_error *err)
{
    if (opt == NULL || opt->path == NULL)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "no facility layer given");
    am_gdal_init();
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    am_status rc = probe(opt, &ge, err);
    am_gdal_capture_end(&ge);
    return rc;
}

am_status am_facilities_load(const am_facility_options *opt,
                             am_facility_set **out, am_error *err)
{
    *out = NULL;
    if (opt == NULL || opt->path == NULL)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "no facility layer given");
    am_gdal_init();
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    am_status rc = load(opt, &ge, out, err);
    am_gdal_capture_end(&ge);
    return rc;
}
