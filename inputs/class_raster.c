/*
 * class_raster.c: a settlement-type raster sampled at the centres of the
 * populated cells (see class_raster.h for the rules).
 *
 * The populated cells go in blocks of CELL_BLOCK, in their order: their
 * centres from the population grid's geotransform, transformed into the
 * class raster's CRS, turned into pixel positions; the block's cells that
 * fall on the raster are sorted by (row, column, cell), and each row they
 * touch is read once, only between the first and the last column needed,
 * in pieces of at most ROW_CHUNK pixels (GDAL's block cache serves
 * neighbouring rows). Memory is a fixed block of cells and a fixed piece
 * of a row, whatever the raster's width and height; the sums per
 * class are made at the end, serially in cell order.
 */
#include "inputs/class_raster.h"

#include <cpl_conv.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "geo/crs.h"
#include "geo/grid.h"
#include "inputs/gdal_util.h"

/* Cells per block. */
#define CELL_BLOCK (1 << 16)
/* Columns read at once: a row is read in pieces of at most this many
 * pixels (a fixed buffer, however wide the raster). */
#define ROW_CHUNK 65536
/* Values not in any class named in the warning. */
#define FIRST_UNLISTED 5

/* A cell of the block that lies on the class raster. */
typedef struct pix {
    int32_t row, col;
    int32_t i; /* index in the block */
} pix;

typedef struct crctx {
    const am_class_raster_options *opt;
    am_error *err;
    GDALDatasetH ds;
    GDALRasterBandH band;
    int nx, ny;
    double gt[6];
    int has_nodata;
    double nodata;
    am_transform *tr; /* NULL: the same CRS as the population raster */
    /* without classes: the distinct values, in the order met */
    double vals[AM_CLASS_RASTER_MAX_VALUES];
    int n_vals;
    /* values in no class */
    int64_t n_unlisted;
    double unlisted[FIRST_UNLISTED];
    int n_unlisted_vals;
    double *row; /* [ROW_CHUNK] one row segment */
} crctx;

static int cmp_pix(const void *a, const void *b)
{
    const pix *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The raster's band, geotransform and CRS; the transform into it from
 * pop_wkt (the population raster's CRS). */
static am_status open_raster(crctx *c, const char *pop_wkt)
{
    const char *path = c->opt->path;
    am_status rc = am_gdal_open(path, AM_GDAL_RASTER, &c->ds, c->err);
    if (rc != AM_OK)
        return rc;
    const int nb = GDALGetRasterCount(c->ds);
    if (c->opt->band < 1 || c->opt->band > nb)
        return am_error_set(c->err, AM_ERR_FORMAT, path,
                            "zones: band %d out of range: the settlement "
                            "raster has %d band%s",
                            c->opt->band, nb, nb == 1 ? "" : "s");
    c->band = GDALGetRasterBand(c->ds, c->opt->band);
    c->nx = GDALGetRasterXSize(c->ds);
    c->ny = GDALGetRasterYSize(c->ds);
    c->nodata = GDALGetRasterNoDataValue(c->band, &c->has_nodata);
    OGRSpatialReferenceH srs = GDALGetSpatialRef(c->ds);
    char *wkt = NULL;
    if ((rc = am_gdal_srs_wkt(srs, path, "the settlement raster", &wkt,
                              c->err)) != AM_OK)
        return rc;
    if (GDALGetGeoTransform(c->ds, c->gt) != CE_None) {
        rc = am_error_set(c->err, AM_ERR_CRS, path,
                          "zones: the settlement raster has no "
                          "geotransform; warp it to a grid first "
                          "(gdalwarp)");
        goto done;
    }
    if (c->gt[2] != 0.0 || c->gt[4] != 0.0 || !(c->gt[1] != 0.0) ||
        !(c->gt[5] != 0.0) || !isfinite(c->gt[0]) || !isfinite(c->gt[3])) {
        rc = am_error_set(c->err, AM_ERR_INVALID, path,
                          "zones: the settlement raster is rotated or has "
                          "a degenerate geotransform; warp it to a "
                          "north-up grid (gdalwarp)");
        goto done;
    }
    OGRSpatialReferenceH psrs = OSRNewSpatialReference(NULL);
    char *at = (char *)pop_wkt; /* advanced by the import, not written */
    const int same = psrs != NULL &&
                     OSRImportFromWkt(psrs, &at) == OGRERR_NONE &&
                     OSRIsSame(srs, psrs);
    OSRDestroySpatialReference(psrs);
    if (!same)
        rc = am_transform_create(pop_wkt, wkt, &c->tr, c->err);
done:
    CPLFree(wkt);
    return rc;
}

/* The zone of value v, or -1 (nodata, NaN, in no class). */
static am_status value_zone(crctx *c, double v, int32_t *zone)
{
    *zone = -1;
    if (isnan(v) || (c->has_nodata && v == c->nodata))
        return AM_OK;
    const am_class_raster_options *o = c->opt;
    if (o->n_classes > 0) {
        for (int k = 0; k < o->n_classes; k++)
            for (int j = 0; j < o->n_values[k]; j++)
                if (o->values[k][j] == v) {
                    *zone = k;
                    return AM_OK;
                }
        c->n_unlisted++;
        int seen = 0;
        for (int j = 0; j < c->n_unlisted_vals; j++)
            seen |= c->unlisted[j] == v;
        if (!seen && c->n_unlisted_vals < FIRST_UNLISTED)
            c->unlisted[c->n_unlisted_vals++] = v;
        return AM_OK;
    }
    for (int j = 0; j < c->n_vals; j++)
        if (c->vals[j] == v) {
            *zone = j;
            return AM_OK;
        }
    if (c->n_vals == AM_CLASS_RASTER_MAX_VALUES)
        return am_error_set(c->err, AM_ERR_FORMAT, o->path,
                            "zones: the settlement raster has more than %d "
                            "distinct values at the populated cells (a "
                            "continuous raster?); group them with 'classes'",
                            AM_CLASS_RASTER_MAX_VALUES);
    c->vals[c->n_vals] = v;
    *zone = c->n_vals++;
    return AM_OK;
}

/* The zones of one block of cells [i0, i0 + m) into cell_zone. */
static am_status sample_block(crctx *c, const am_population *pop, int32_t i0,
                              int32_t m, double *x, double *y, pix *px,
                              int32_t *cell_zone)
{
    const int64_t nx = pop->grid.nx;
    for (int32_t i = 0; i < m; i++) {
        const int64_t cell = pop->cell[i0 + i];
        am_grid_cell_center(&pop->grid, (int32_t)(cell % nx),
                            (int32_t)(cell / nx), &x[i], &y[i]);
        cell_zone[i0 + i] = -1;
    }
    am_status rc;
    if (c->tr != NULL && (rc = am_transform_points(c->tr, (size_t)m, x, y, NULL,
                                                   c->err)) != AM_OK)
        return rc;
    int32_t n = 0;
    for (int32_t i = 0; i < m; i++) {
        const double fc = floor((x[i] - c->gt[0]) / c->gt[1]);
        const double fr = floor((y[i] - c->gt[3]) / c->gt[5]);
        if (!(fc >= 0.0 && fc < (double)c->nx && fr >= 0.0 &&
              fr < (double)c->ny))
            continue; /* outside, or not transformable (HUGE_VAL, NaN) */
        px[n++] = (pix){(int32_t)fr, (int32_t)fc, i};
    }
    qsort(px, (size_t)n, sizeof *px, cmp_pix);
    am_gdal_errors ge;
    rc = AM_OK;
    for (int32_t a = 0; rc == AM_OK && a < n;) {
        /* cells a..b-1: one row's, from column c0, at most ROW_CHUNK
         * columns wide */
        const int32_t c0 = px[a].col;
        int32_t b = a;
        while (b < n && px[b].row == px[a].row && px[b].col - c0 < ROW_CHUNK)
            b++;
        const int32_t w = px[b - 1].col - c0 + 1;
        am_gdal_capture_begin(&ge);
        const CPLErr e = GDALRasterIO(c->band, GF_Read, c0, px[a].row, w, 1,
                                      c->row, w, 1, GDT_Float64, 0, 0);
        am_gdal_capture_end(&ge);
        if (e != CE_None || ge.n_failures > 0)
            return am_error_set(c->err, AM_ERR_IO, c->opt->path,
                                "zones: cannot read row %d of the settlement "
                                "raster (damaged or truncated?): %s",
                                (int)px[a].row, ge.first);
        for (int32_t k = a; rc == AM_OK && k < b; k++)
            rc =
                value_zone(c, c->row[px[k].col - c0], &cell_zone[i0 + px[k].i]);
        a = b;
    }
    return rc;
}

/* The rows' ids (labels or values), and the values' rows in ascending
 * order (cell_zone renumbered). */
static am_status name_zones(crctx *c, am_zone_raster *z)
{
    const am_class_raster_options *o = c->opt;
    int32_t remap[AM_CLASS_RASTER_MAX_VALUES];
    double sorted[AM_CLASS_RASTER_MAX_VALUES];
    z->n_zones = o->n_classes > 0 ? o->n_classes : c->n_vals;
    const size_t nz = z->n_zones > 0 ? (size_t)z->n_zones : 1;
    z->zone_id = am_calloc_array(nz, sizeof *z->zone_id);
    z->zone_fid = am_alloc_array(nz, sizeof *z->zone_fid);
    z->zone_cells = am_calloc_array(nz, sizeof *z->zone_cells);
    z->zone_pop = am_calloc_array(nz, sizeof *z->zone_pop);
    if (z->zone_id == NULL || z->zone_fid == NULL || z->zone_cells == NULL ||
        z->zone_pop == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, o->path, "out of memory");
    if (o->n_classes == 0) {
        memcpy(sorted, c->vals, (size_t)c->n_vals * sizeof *sorted);
        qsort(sorted, (size_t)c->n_vals, sizeof *sorted, cmp_double);
    }
    for (int32_t k = 0; k < z->n_zones; k++) {
        z->zone_fid[k] = -1;
        if (o->n_classes > 0) {
            z->zone_id[k] = am_strdup(o->labels[k]);
        } else {
            char buf[40];
            snprintf(buf, sizeof buf, "%.15g", sorted[k]);
            z->zone_id[k] = am_strdup(buf);
            for (int j = 0; j < c->n_vals; j++)
                if (c->vals[j] == sorted[k])
                    remap[j] = k;
        }
        if (z->zone_id[k] == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, o->path, "out of memory");
    }
    if (o->n_classes == 0)
        for (int32_t i = 0; i < z->n_cells; i++)
            if (z->cell_zone[i] >= 0)
                z->cell_zone[i] = remap[z->cell_zone[i]];
    return AM_OK;
}

/* The sums per row and outside, serially in cell order; the warnings. */
static void sum_zones(crctx *c, const am_population *pop, am_zone_raster *z)
{
    for (int32_t i = 0; i < z->n_cells; i++) {
        const int32_t k = z->cell_zone[i];
        if (k < 0) {
            z->n_outside++;
            z->pop_outside += pop->pop[i];
        } else {
            z->zone_cells[k]++;
            z->zone_pop[k] += pop->pop[i];
        }
    }
    if (c->n_unlisted > 0) {
        char vals[FIRST_UNLISTED * 26] = "";
        size_t k = 0;
        for (int j = 0; j < c->n_unlisted_vals; j++)
            k += (size_t)snprintf(vals + k, sizeof vals - k, "%s%.15g",
                                  j > 0 ? ", " : "", c->unlisted[j]);
        am_warn(c->opt->warnings,
                "%s: %lld populated cell%s on settlement values in no class "
                "(values %s%s): counted outside the classes",
                c->opt->path, (long long)c->n_unlisted,
                c->n_unlisted == 1 ? "" : "s", vals,
                c->n_unlisted_vals == FIRST_UNLISTED ? ", ..." : "");
    }
    if (z->n_cells > 0 && z->n_outside == z->n_cells)
        am_warn(c->opt->warnings,
                "%s: no populated cell of the population raster is in a "
                "settlement class (outside the raster, nodata or unlisted "
                "values)",
                c->opt->path);
}

am_status am_class_raster_build(const am_class_raster_options *opt,
                                const am_population *pop, am_zone_raster **out,
                                am_error *err)
{
    *out = NULL;
    if (opt == NULL || opt->path == NULL || pop == NULL || pop->crs_wkt == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "zones: no options or no population");
    crctx c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.err = err;
    double *x = NULL, *y = NULL;
    pix *px = NULL;
    am_zone_raster *z = NULL;
    am_status rc = open_raster(&c, pop->crs_wkt);
    if (rc != AM_OK)
        goto cleanup;
    z = am_calloc(1, sizeof *z);
    const int32_t n = pop->n_cells;
    const int32_t block = n < CELL_BLOCK ? (n > 0 ? n : 1) : CELL_BLOCK;
    char lname[32];
    snprintf(lname, sizeof lname, "band %d", opt->band);
    if (z != NULL) {
        z->layer = am_strdup(lname);
        z->n_cells = n;
        z->cell_zone =
            am_alloc_array(n > 0 ? (size_t)n : 1, sizeof *z->cell_zone);
    }
    x = am_alloc_array((size_t)block, sizeof *x);
    y = am_alloc_array((size_t)block, sizeof *y);
    px = am_alloc_array((size_t)block, sizeof *px);
    c.row = am_alloc_array(ROW_CHUNK, sizeof *c.row);
    if (z == NULL || z->layer == NULL || z->cell_zone == NULL || x == NULL ||
        y == NULL || px == NULL || c.row == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, opt->path, "out of memory");
        goto cleanup;
    }
    for (int32_t i0 = 0; rc == AM_OK && i0 < n; i0 += block) {
        const int32_t m = n - i0 < block ? n - i0 : block;
        rc = sample_block(&c, pop, i0, m, x, y, px, z->cell_zone);
    }
    if (rc != AM_OK || (rc = name_zones(&c, z)) != AM_OK)
        goto cleanup;
    sum_zones(&c, pop, z);
    *out = z;
    z = NULL;
cleanup:
    am_zone_raster_destroy(z);
    am_transform_destroy(c.tr);
    am_free(c.row);
    am_free(x);
    am_free(y);
    am_free(px);
    if (c.ds != NULL)
        GDALClose(c.ds);
    return rc;
}

/* Whether a band of type t can hold v: any number for a floating-point
 * type, a whole number in the type's range for an integer one. */
static int type_holds(GDALDataType t, double v)
{
    if (!GDALDataTypeIsInteger(t) || GDALDataTypeIsComplex(t))
        return 1;
    if (v != floor(v))
        return 0;
    const int bits = GDALGetDataTypeSizeBits(t);
    if (bits <= 0 || bits >= 64)
        return isfinite(v);
    const double span = ldexp(1.0, bits);
    return GDALDataTypeIsSigned(t) ? v >= -span / 2 && v < span / 2
                                   : v >= 0.0 && v < span;
}

/* Every class value can occur in the band: its type can hold it and it is
 * not the band's nodata value (both would leave the class always empty). */
static am_status check_classes(crctx *c)
{
    const am_class_raster_options *o = c->opt;
    const GDALDataType t = GDALGetRasterDataType(c->band);
    for (int k = 0; k < o->n_classes; k++)
        for (int j = 0; j < o->n_values[k]; j++) {
            const double v = o->values[k][j];
            if (!type_holds(t, v))
                return am_error_set(
                    c->err, AM_ERR_FORMAT, o->path,
                    "zones: class '%s' lists the value %.15g, which band %d "
                    "of the settlement raster (type %s) cannot hold",
                    o->labels[k], v, o->band, GDALGetDataTypeName(t));
            if (c->has_nodata && v == c->nodata)
                return am_error_set(
                    c->err, AM_ERR_FORMAT, o->path,
                    "zones: class '%s' lists the value %.15g, which is the "
                    "nodata value of band %d of the settlement raster",
                    o->labels[k], v, o->band);
        }
    return AM_OK;
}

am_status am_class_raster_probe(const am_class_raster_options *opt,
                                const char *pop_wkt, uint64_t *band_bytes,
                                am_error *err)
{
    if (band_bytes != NULL)
        *band_bytes = 0;
    if (opt == NULL || opt->path == NULL || pop_wkt == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "zones: no options or no population CRS");
    crctx c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.err = err;
    am_status rc = open_raster(&c, pop_wkt);
    if (rc == AM_OK)
        rc = check_classes(&c);
    if (rc == AM_OK) {
        /* one pixel: its block read and decoded */
        double v;
        am_gdal_errors ge;
        am_gdal_capture_begin(&ge);
        const CPLErr e = GDALRasterIO(c.band, GF_Read, c.nx / 2, c.ny / 2, 1, 1,
                                      &v, 1, 1, GDT_Float64, 0, 0);
        am_gdal_capture_end(&ge);
        if (e != CE_None || ge.n_failures > 0)
            rc = am_error_set(err, AM_ERR_IO, opt->path,
                              "zones: cannot read row %d of the settlement "
                              "raster (damaged or truncated?): %s",
                              c.ny / 2, ge.first);
    }
    if (rc == AM_OK && band_bytes != NULL)
        *band_bytes =
            (uint64_t)c.nx * (uint64_t)c.ny *
            (uint64_t)GDALGetDataTypeSizeBytes(GDALGetRasterDataType(c.band));
    am_transform_destroy(c.tr);
    if (c.ds != NULL)
        GDALClose(c.ds);
    return rc;
}
