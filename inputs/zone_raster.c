/*
 * zone_raster.c: admin zones read through OGR and assigned to the
 * populated cells of the population grid (see zone_raster.h for the
 * rules and why it tests cell centres instead of burning a raster).
 *
 * Reading: one pass over the layer's features, each kept (FID, read
 * order, id text, geometry); then the features ordered by (FID, read
 * order), and the zones numbered by the first feature of each distinct
 * id in that order. Each polygon part is added to a geo/polygon set with
 * the value of its feature's position in that order, its rings read by
 * the shared reader (inputs/polygon_layer.h) and transformed
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
#include "inputs/polygon_layer.h"

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
    am_polygon_layer pl;
    const char *lname;
    am_error *err;
    int field; /* index, or -1: the FID */
    zfeat *f;
    size_t n_f, cap_f;
    am_zone_raster *z;
    am_polygons *ps;
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

#define zfail(c, ...) am_polygon_layer_fail(&(c)->pl, __VA_ARGS__)

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    return am_grow_array(p, cap, need, elem, 256);
}

/* The id field exists. */
static am_status check_field(zrctx *c)
{
    c->field = -1;
    if (c->opt->id_field == NULL)
        return AM_OK;
    return am_polygon_layer_field(&c->pl, c->opt->id_field, "id", &c->field);
}

/* One feature kept: its FID, id text and geometry (taken from f). */
static am_status keep_feature(void *user, OGRFeatureH f, OGRGeometryH g,
                              long long fid)
{
    zrctx *c = user;
    (void)g;
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

static am_status read_features(zrctx *c)
{
    am_zone_raster *z = c->z;
    am_status rc = am_polygon_layer_read(&c->pl, keep_feature, c);
    z->n_features = c->pl.n_features;
    z->n_skipped = c->pl.n_skipped;
    if (rc != AM_OK || c->n_f > 0)
        return rc;
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

/* The value of the feature whose parts are being added. */
typedef struct zrpart {
    zrctx *c;
    double value;
} zrpart;

/* One polygon part, in the raster's CRS, into the set. */
static am_status part_add(void *user, int nr, const int64_t *ring_size,
                          size_t total, double *x, double *y, long long fid)
{
    zrpart *p = user;
    zrctx *c = p->c;
    for (size_t i = 0; i < total; i++) {
        if (!(isfinite(x[i]) && isfinite(y[i])))
            return zfail(c, AM_ERR_INVALID, fid,
                         "vertex %zu cannot be transformed into the "
                         "population raster's CRS (outside the CRS's area?)",
                         i);
        c->box[0] = fmin(c->box[0], x[i]);
        c->box[1] = fmin(c->box[1], y[i]);
        c->box[2] = fmax(c->box[2], x[i]);
        c->box[3] = fmax(c->box[3], y[i]);
    }
    am_status rc =
        am_polygons_add(c->ps, nr, ring_size, x, y, p->value, NULL, c->err);
    if (rc != AM_OK) {
        am_error_set_layer(c->err, c->lname);
        am_error_set_feature(c->err, fid);
    }
    return rc;
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
        zrpart p = {c, (double)i};
        rc = am_polygon_layer_geometry(&c->pl, c->f[i].g, c->f[i].fid, part_add,
                                       &p);
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

am_status am_zone_layer_probe(const am_zone_raster_options *opt,
                              const char *target_wkt, am_error *err)
{
    if (opt == NULL || opt->path == NULL || target_wkt == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "zones: no options or no target CRS");
    zrctx c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.err = err;
    c.field = -1;
    const am_polygon_layer_options po = {
        opt->path,        opt->layer, opt->where, "zones",
        "the zone layer", "zone",     target_wkt, opt->warnings};
    am_status rc = am_polygon_layer_open(&c.pl, &po, err);
    if (rc == AM_OK)
        rc = check_field(&c);
    am_polygon_layer_close(&c.pl);
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
    const am_polygon_layer_options po = {
        opt->path,        opt->layer, opt->where,   "zones",
        "the zone layer", "zone",     pop->crs_wkt, opt->warnings};
    am_status rc = am_polygon_layer_open(&c.pl, &po, err);
    c.lname = c.pl.lname;
    if (rc != AM_OK || (rc = check_field(&c)) != AM_OK)
        goto cleanup;
    c.z = am_calloc(1, sizeof *c.z);
    if (c.z == NULL || (c.z->layer = am_strdup(c.lname)) == NULL) {
        rc = zfail(&c, AM_ERR_NOMEM, -1, "out of memory");
        goto cleanup;
    }
    if ((rc = read_features(&c)) != AM_OK || (rc = number_zones(&c)) != AM_OK ||
        (rc = assign_cells(&c, pop, threads)) != AM_OK)
        goto cleanup;
    *out = c.z;
    c.z = NULL;
cleanup:
    am_zone_raster_destroy(c.z);
    am_polygons_destroy(c.ps);
    for (size_t i = 0; i < c.n_f; i++) {
        am_free(c.f[i].id);
        if (c.f[i].g != NULL)
            OGR_G_DestroyGeometry(c.f[i].g);
    }
    am_free(c.f);
    am_polygon_layer_close(&c.pl);
    return rc;
}
