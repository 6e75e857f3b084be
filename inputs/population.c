/*
 * population.c: a population count raster from any GDAL raster (see
 * population.h).
 *
 * Why: demand in 2SFCA is people per place. Gridded counts (WorldPop,
 * GPW, national grids) are the usual source, and they come with every
 * flavour of nodata: Float32 -3.4e38 written as a rounded decimal, Float64
 * -1.7e308, -99999, NaN, or none at all. This file turns one band into a
 * sparse list of populated cells and counts everything it refuses, so the
 * summary can say why a total differs from the producer's.
 *
 * Method: the band is read in strips of whole rows (a multiple of the
 * block height, about 2^20 cells per strip) as Float64 with GDALRasterIO,
 * so memory stays bounded for any raster size and each TIFF strip or tile
 * is decoded once. Each value is classified, in this order:
 *   nodata    equal to the band's nodata value; also equal after rounding
 *             both to float32 when the nodata value is not itself a
 *             float32 (a Float32 raster whose tag says "-3.402823e+38":
 *             the pixels hold float(-3.402823e38), which differs from the
 *             double parsed from the tag); NaN nodata matches NaN;
 *   nonfinite NaN or +-infinity (refused, counted);
 *   negative  < 0 (refused, counted);
 *   zero      == 0 (counted, not a demand cell);
 *   populated finite and > 0: kept as (row * nx + col, value).
 * Cells are visited in row-major order, so the cell ids are ascending and
 * the total is summed in a fixed order (reproducible to the bit).
 *
 * Only north-up grids are accepted (rotated geotransforms would need
 * per-cell polygons); the CRS must be known, since the study area's metric
 * frame depends on it. GDAL messages are silenced; failures become one
 * am_error naming the file.
 *
 * References: GDAL raster data model (https://gdal.org/user/
 * raster_data_model.html): geotransform, nodata, block size.
 */
#include "inputs/population.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs/gdal_util.h"

/* Cells per strip read; rows are rounded to whole blocks. */
#define AM_POP_STRIP_CELLS ((int64_t)1 << 20)

/* How a band marks missing cells. */
typedef struct pop_nodata {
    int has;     /* the band has a nodata value */
    int is_nan;  /* it is NaN */
    int use_f32; /* also compare after rounding to float32 */
    double value;
    float value32;
} pop_nodata;

static pop_nodata nodata_of(GDALRasterBandH band)
{
    pop_nodata nd = {0, 0, 0, 0.0, 0.0f};
    GDALDataType dt = GDALGetRasterDataType(band);
    int has = 0;
    if (dt == GDT_Int64) {
        int64_t v = GDALGetRasterNoDataValueAsInt64(band, &has);
        nd.value = (double)v;
    } else if (dt == GDT_UInt64) {
        uint64_t v = GDALGetRasterNoDataValueAsUInt64(band, &has);
        nd.value = (double)v;
    } else {
        nd.value = GDALGetRasterNoDataValue(band, &has);
    }
    nd.has = has != 0;
    if (!nd.has)
        return nd;
    nd.is_nan = isnan(nd.value);
    if (isfinite(nd.value) && fabs(nd.value) <= FLT_MAX) {
        nd.value32 = (float)nd.value;
        nd.use_f32 = (double)nd.value32 != nd.value;
    }
    return nd;
}

static int is_nodata(const pop_nodata *nd, double v)
{
    if (!nd->has)
        return 0;
    if (nd->is_nan)
        return isnan(v);
    if (v == nd->value)
        return 1;
    return nd->use_f32 && fabs(v) <= FLT_MAX && (float)v == nd->value32;
}

/* Grows the parallel output arrays to hold at least need cells. */
static am_status pop_reserve(am_population *p, int64_t *cap, int64_t need)
{
    if (need <= *cap)
        return AM_OK;
    int64_t ncap = *cap > 0 ? *cap : 4096;
    while (ncap < need)
        ncap *= 2;
    if (ncap > INT32_MAX)
        ncap = INT32_MAX;
    int64_t *cell = realloc(p->cell, (size_t)ncap * sizeof *cell);
    if (cell == NULL)
        return AM_ERR_NOMEM;
    p->cell = cell;
    double *pop = realloc(p->pop, (size_t)ncap * sizeof *pop);
    if (pop == NULL)
        return AM_ERR_NOMEM;
    p->pop = pop;
    *cap = ncap;
    return AM_OK;
}

am_status am_population_load(const am_population_options *opt,
                             am_progress_fn progress, void *progress_user,
                             am_population **out, am_error *err)
{
    am_status rc = AM_OK;
    GDALDatasetH ds = NULL;
    am_population *p = NULL;
    char *wkt = NULL;
    double *buf = NULL;
    int quiet = 0;
    char layer[32];

    *out = NULL;
    const char *path = opt != NULL ? opt->path : NULL;
    rc = am_gdal_open(path, 0, &ds, err);
    if (rc != AM_OK)
        goto cleanup;

    int nbands = GDALGetRasterCount(ds);
    snprintf(layer, sizeof layer, "band %d", opt->band);
    if (opt->band < 1 || opt->band > nbands) {
        rc = am_error_set(err, AM_ERR_FORMAT, path,
                          "band %d out of range: the raster has %d band%s",
                          opt->band, nbands, nbands == 1 ? "" : "s");
        am_error_set_layer(err, layer);
        goto cleanup;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, opt->band);

    rc = am_gdal_srs_wkt(GDALGetSpatialRef(ds), path, "raster", &wkt, err);
    if (rc != AM_OK)
        goto cleanup;

    double gt[6];
    if (GDALGetGeoTransform(ds, gt) != CE_None) {
        rc = am_error_set(err, AM_ERR_CRS, path,
                          "raster has no geotransform (it may be "
                          "georeferenced by ground control points only); "
                          "warp it to a grid first (gdalwarp)");
        goto cleanup;
    }
    for (int k = 0; k < 6; k++) {
        if (!isfinite(gt[k])) {
            rc = am_error_set(err, AM_ERR_INVALID, path,
                              "geotransform term %d is not finite", k);
            goto cleanup;
        }
    }
    if (gt[2] != 0.0 || gt[4] != 0.0) {
        rc = am_error_set(err, AM_ERR_INVALID, path,
                          "rotated or sheared geotransform (terms %.9g, "
                          "%.9g) is not supported; warp it to a north-up "
                          "grid first (gdalwarp)",
                          gt[2], gt[4]);
        goto cleanup;
    }
    if (gt[1] == 0.0 || gt[5] == 0.0) {
        rc = am_error_set(err, AM_ERR_INVALID, path,
                          "cell size is zero (%.9g x %.9g)", gt[1], gt[5]);
        goto cleanup;
    }

    const int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
    if (nx < 1 || ny < 1) {
        rc = am_error_set(err, AM_ERR_EMPTY, path,
                          "raster has no cells "
                          "(%d x %d)",
                          nx, ny);
        goto cleanup;
    }

    p = calloc(1, sizeof *p);
    if (p == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto cleanup;
    }
    p->grid.nx = nx;
    p->grid.ny = ny;
    memcpy(p->grid.gt, gt, sizeof gt);
    /* Own the WKT with the C allocator, so destroy needs no GDAL. */
    p->crs_wkt = malloc(strlen(wkt) + 1);
    if (p->crs_wkt == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto cleanup;
    }
    strcpy(p->crs_wkt, wkt);

    const pop_nodata nd = nodata_of(band);

    int bx = 0, by = 0;
    GDALGetBlockSize(band, &bx, &by);
    int64_t rows = AM_POP_STRIP_CELLS / nx;
    if (rows < 1)
        rows = 1;
    if (by > 0 && rows > by)
        rows -= rows % by;
    if (rows > ny)
        rows = ny;
    buf = malloc((size_t)rows * (size_t)nx * sizeof *buf);
    if (buf == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path,
                          "out of memory for a strip of %lld rows",
                          (long long)rows);
        goto cleanup;
    }

    int64_t cap = 0;
    CPLErrorReset();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    quiet = 1;
    for (int64_t row0 = 0; row0 < ny; row0 += rows) {
        const int h = (int)(row0 + rows <= ny ? rows : ny - row0);
        if (GDALRasterIO(band, GF_Read, 0, (int)row0, nx, h, buf, nx, h,
                         GDT_Float64, 0, 0) != CE_None) {
            const char *why = am_gdal_last_message();
            rc = am_error_set(err, AM_ERR_IO, path,
                              "cannot read rows %lld-%lld%s%s", (long long)row0,
                              (long long)row0 + h - 1,
                              why[0] != '\0' ? ": " : "", why);
            am_error_set_layer(err, layer);
            goto cleanup;
        }
        const int64_t ncell = (int64_t)h * nx;
        for (int64_t i = 0; i < ncell; i++) {
            const double v = buf[i];
            if (is_nodata(&nd, v)) {
                p->n_nodata++;
            } else if (!isfinite(v)) {
                p->n_nonfinite++;
            } else if (v < 0.0) {
                p->n_negative++;
            } else if (v == 0.0) {
                p->n_zero++;
            } else {
                if (p->n_cells == INT32_MAX) {
                    rc = am_error_set(err, AM_ERR_INVALID, path,
                                      "more than %d populated cells; "
                                      "aggregate the raster first",
                                      INT32_MAX);
                    goto cleanup;
                }
                if (pop_reserve(p, &cap, (int64_t)p->n_cells + 1) != AM_OK) {
                    rc = am_error_set(err, AM_ERR_NOMEM, path,
                                      "out of memory after %d populated "
                                      "cells",
                                      p->n_cells);
                    goto cleanup;
                }
                p->cell[p->n_cells] = row0 * nx + i;
                p->pop[p->n_cells] = v;
                p->n_cells++;
                p->total += v;
            }
        }
        if (progress != NULL &&
            !progress((double)(row0 + h) / (double)ny,
                      "reading population raster", progress_user)) {
            rc = am_error_set(err, AM_ERR_CANCELLED, path,
                              "cancelled while reading");
            goto cleanup;
        }
    }

    if (p->n_cells == 0) {
        rc = am_error_set(err, AM_ERR_EMPTY, path,
                          "no populated cell: of %lld cells, %lld nodata, "
                          "%lld zero, %lld negative, %lld NaN/infinite",
                          (long long)nx * ny, (long long)p->n_nodata,
                          (long long)p->n_zero, (long long)p->n_negative,
                          (long long)p->n_nonfinite);
        am_error_set_layer(err, layer);
        goto cleanup;
    }
    *out = p;
    p = NULL;

cleanup:
    if (quiet)
        CPLPopErrorHandler();
    free(buf);
    CPLFree(wkt);
    if (ds != NULL)
        GDALClose(ds);
    am_population_destroy(p);
    return rc;
}

void am_population_destroy(am_population *p)
{
    if (p == NULL)
        return;
    free(p->crs_wkt);
    free(p->cell);
    free(p->pop);
    free(p);
}

am_status am_population_probe(const am_population_options *opt,
                              am_population_header *out, am_error *err)
{
    GDALDatasetH ds = NULL;
    const char *path = opt != NULL ? opt->path : NULL;
    out->nx = out->ny = 0;
    am_status rc = am_gdal_open(path, 0, &ds, err);
    if (rc != AM_OK)
        return rc;
    int nbands = GDALGetRasterCount(ds);
    if (opt->band < 1 || opt->band > nbands) {
        char layer[32];
        snprintf(layer, sizeof layer, "band %d", opt->band);
        rc = am_error_set(err, AM_ERR_FORMAT, path,
                          "band %d out of range: the raster has %d band%s",
                          opt->band, nbands, nbands == 1 ? "" : "s");
        am_error_set_layer(err, layer);
    } else {
        out->nx = GDALGetRasterXSize(ds);
        out->ny = GDALGetRasterYSize(ds);
    }
    GDALClose(ds);
    return rc;
}
