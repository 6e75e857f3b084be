/*
 * zones.c: speed zone layers read through OGR, and their multipliers
 * applied to a loaded road network's arcs (see zones.h for the rules).
 *
 * Reading: one pass over the features of one layer through the shared
 * polygon layer reader (inputs/polygon_layer.h: rings in GIS order,
 * transformed to WGS 84 lon/lat unless the layer is already geographic on
 * WGS 84, as roads.c does); each part checked here (in range, at most 180
 * degrees of longitude wide) and added to a geo/polygon set, whose index
 * is built once the layer is read.
 *
 * Applying: arcs in blocks (a few MiB of scratch whatever the network),
 * midpoints computed serially, each layer's smallest multiplier per
 * midpoint found in parallel by geo/polygon (independent points: the same
 * answer for any thread count), then the product applied and the counters
 * summed serially in arc order (deterministic sums).
 */
#include "inputs/zones.h"

#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "common/units.h"
#include "inputs/polygon_layer.h"

/* Arcs per block of am_zones_apply. */
#define APPLY_BLOCK (1 << 17)

typedef struct zctx {
    const am_zone_options *opt;
    am_polygon_layer pl;
    int field; /* index, or -1 */
    am_zone_layer *z;
} zctx;

void am_zone_layer_destroy(am_zone_layer *z)
{
    if (z == NULL)
        return;
    am_free(z->layer);
    am_polygons_destroy(z->polygons);
    am_free(z);
}

/* The multiplier field exists and is numeric. */
static am_status check_field(zctx *c)
{
    c->field = -1;
    if (c->opt->field == NULL)
        return AM_OK;
    am_status rc =
        am_polygon_layer_field(&c->pl, c->opt->field, "multiplier", &c->field);
    if (rc != AM_OK)
        return rc;
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(c->pl.layer);
    const OGRFieldType ft = OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, c->field));
    if (ft != OFTInteger && ft != OFTInteger64 && ft != OFTReal)
        return am_polygon_layer_fail(
            &c->pl, AM_ERR_FORMAT, -1,
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
        return am_polygon_layer_fail(
            &c->pl, AM_ERR_INVALID, fid,
            "multiplier field '%s' is empty (a number > 0 and <= %g is needed)",
            c->opt->field, AM_ZONE_MULTIPLIER_MAX);
    const double v = OGR_F_GetFieldAsDouble(f, c->field);
    if (!(v > 0.0 && v <= AM_ZONE_MULTIPLIER_MAX))
        return am_polygon_layer_fail(
            &c->pl, AM_ERR_INVALID, fid,
            "multiplier field '%s' is %g: it must be > 0 and <= %g "
            "(< 1 slows, e.g. 0.5 halves the speed)",
            c->opt->field, v, AM_ZONE_MULTIPLIER_MAX);
    *out = v;
    return AM_OK;
}

/* The multiplier of the feature being read, for its parts. */
typedef struct zpart {
    zctx *c;
    double mult;
} zpart;

/* One polygon part, in lon/lat, checked and added to the set. */
static am_status part_add(void *user, int nr, const int64_t *ring_size,
                          size_t total, double *x, double *y, long long fid)
{
    zpart *p = user;
    zctx *c = p->c;
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = 0; i < total; i++) {
        if (!(x[i] >= -180.0 && x[i] <= 180.0 && y[i] >= -90.0 && y[i] <= 90.0))
            return am_polygon_layer_fail(
                &c->pl, AM_ERR_INVALID, fid,
                "vertex %zu is not a lon/lat position once in WGS 84 "
                "(%.10g, %.10g): outside the CRS's area, or longitudes "
                "beyond 180",
                i, x[i], y[i]);
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    if (hi - lo > 180.0)
        return am_polygon_layer_fail(
            &c->pl, AM_ERR_INVALID, fid,
            "a polygon spans %.6g degrees of longitude (%.6g to %.6g): zones "
            "across the antimeridian are not supported; split the polygon "
            "at 180 degrees",
            hi - lo, lo, hi);
    int added = 0;
    am_status rc = am_polygons_add(c->z->polygons, nr, ring_size, x, y, p->mult,
                                   &added, c->pl.err);
    if (rc != AM_OK) {
        am_error_set_layer(c->pl.err, c->pl.lname);
        am_error_set_feature(c->pl.err, fid);
    }
    return rc;
}

/* One feature: its multiplier, its polygons into the set. */
static am_status feature_add(void *user, OGRFeatureH f, OGRGeometryH g,
                             long long fid)
{
    zctx *c = user;
    zpart p = {c, 0.0};
    am_status rc = feature_multiplier(c, f, fid, &p.mult);
    if (rc == AM_OK)
        rc = am_polygon_layer_geometry(&c->pl, g, fid, part_add, &p);
    if (rc == AM_OK) {
        c->z->mult_min = fmin(c->z->mult_min, p.mult);
        c->z->mult_max = fmax(c->z->mult_max, p.mult);
    }
    return rc;
}

/* AM_ERR_EMPTY without a polygon. */
static am_status finish_layer(zctx *c)
{
    am_zone_layer *z = c->z;
    if (am_polygons_count(z->polygons) > 0)
        return AM_OK;
    if (c->opt->where != NULL && c->opt->where[0] != '\0' && z->n_features == 0)
        return am_polygon_layer_fail(
            &c->pl, AM_ERR_EMPTY, -1,
            "the filter 'where: %s' matched no polygon", c->opt->where);
    return am_polygon_layer_fail(&c->pl, AM_ERR_EMPTY, -1,
                                 "no polygon in the layer (%lld features with "
                                 "a geometry, %lld without)",
                                 (long long)z->n_features,
                                 (long long)z->n_skipped);
}

am_status am_zones_load(const am_zone_options *opt, am_zone_layer **out,
                        am_error *err)
{
    *out = NULL;
    if (opt == NULL || opt->path == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "no speed zone options");
    if (opt->field == NULL &&
        !(opt->multiplier > 0.0 && opt->multiplier <= AM_ZONE_MULTIPLIER_MAX))
        return am_error_set(err, AM_ERR_INVALID, opt->path,
                            "speed zones: multiplier %g: it must be > 0 and "
                            "<= %g",
                            opt->multiplier, AM_ZONE_MULTIPLIER_MAX);
    zctx c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.field = -1;
    const am_polygon_layer_options po = {opt->path,
                                         opt->layer,
                                         opt->where,
                                         "speed zones",
                                         "the speed zone layer",
                                         "speed zone",
                                         NULL,
                                         opt->warnings};
    am_status rc = am_polygon_layer_open(&c.pl, &po, err);
    if (rc != AM_OK || (rc = check_field(&c)) != AM_OK)
        goto cleanup;
    c.z = am_calloc(1, sizeof *c.z);
    if (c.z == NULL || (c.z->layer = am_strdup(c.pl.lname)) == NULL) {
        rc = am_polygon_layer_fail(&c.pl, AM_ERR_NOMEM, -1, "out of memory");
        goto cleanup;
    }
    c.z->mult_min = HUGE_VAL;
    c.z->mult_max = -HUGE_VAL;
    if ((rc = am_polygons_create(&c.z->polygons, err)) != AM_OK ||
        (rc = am_polygon_layer_read(&c.pl, feature_add, &c)) != AM_OK)
        goto cleanup;
    c.z->n_features = c.pl.n_features;
    c.z->n_skipped = c.pl.n_skipped;
    if ((rc = finish_layer(&c)) != AM_OK)
        goto cleanup;
    if ((rc = am_polygons_finish(c.z->polygons, err)) != AM_OK) {
        am_error_set_layer(err, c.pl.lname);
        goto cleanup;
    }
    *out = c.z;
    c.z = NULL;
cleanup:
    am_zone_layer_destroy(c.z);
    am_polygon_layer_close(&c.pl);
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

void am_roads_scale_times(am_road_network *r, double mult)
{
    if (!(mult > 0.0) || mult == 1.0)
        return;
    double cum = 0.0, given = 0.0;
    for (int64_t a = 0; a < r->n_arcs; a++)
        r->time_ds[a] = scaled_time(r->time_ds[a], mult, &cum, &given);
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
