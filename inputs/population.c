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
 * is decoded once, together with the same rows of the band's mask where
 * it has one of its own (a per-dataset mask, internal or .msk, an alpha
 * band, a per-band mask: mask_of). Each value is classified, in this order:
 *   masked    the mask says 0 (invalid), whatever the value: counted as
 *             nodata and as masked (n_masked);
 *   nodata    the raw value equals the band's nodata value; also equal
 *             after rounding both to float32 when the nodata value is not
 *             itself a float32 (a Float32 raster whose tag says
 * "-3.402823e+38": the pixels hold float(-3.402823e38), which differs from the
 *             double parsed from the tag); NaN nodata matches NaN;
 * then the value is scaled, v * scale + offset, when the band has a scale
 * or an offset (GDALGetRasterScale/Offset: an Int16 raster storing
 * hundredths of people), and the scaled value goes on:
 *   nonfinite NaN or +-infinity (refused, counted);
 *   negative  < 0 (refused, counted);
 *   zero      == 0 (counted, not a demand cell);
 *   implausible  more people than the cell's area can hold (bounds in
 *             population.h; refused, counted, and a warning naming the
 *             largest such value and its cell: usually a fill value that
 *             is not tagged as nodata, such as a Float32 +3.4e38);
 *   populated finite and > 0: kept as (row * nx + col, value).
 * Cells are visited in row-major order, so the cell ids are ascending and
 * the total is summed in a fixed order (reproducible to the bit).
 *
 * Only north-up grids are accepted (rotated geotransforms would need
 * per-cell polygons), with columns running west to east (a negative cell
 * width is refused here, naming the raster, rather than at write time;
 * rows may run either way); the CRS must be known, since the study area's
 * metric frame depends on it. GDAL's messages are captured, never printed: any
 * failure GDAL reports while a strip is read (a damaged tile, a truncated
 * file) fails the load naming the rows and block row; one reported while
 * the header is read (a damaged .tfw or .aux.xml side file, a CRS PROJ
 * cannot resolve) fails it naming the file and GDAL's message, since the
 * grid GDAL then hands back may not be the one the file describes.
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

#include "common/alloc.h"
#include "common/strutil.h"
#include "inputs/gdal_util.h"

/* Cells per strip read; rows are rounded to whole blocks. */
#define AM_POP_STRIP_CELLS ((int64_t)1 << 20)
/* Mean Earth radius (IUGG), for cell areas of geographic grids. */
#define AM_POP_EARTH_RADIUS_M 6371008.8

/* How big a cell is, for the plausibility bound. */
typedef struct pop_area {
    int kind;     /* 0: unknown, 1: geographic (by row), 2: projected */
    double rad;   /* geographic: radians per angular unit */
    double km2;   /* projected: every cell's map area */
    double gt[6]; /* the grid */
} pop_area;

static pop_area area_of(OGRSpatialReferenceH srs, const double gt[6])
{
    pop_area a;
    memset(&a, 0, sizeof a);
    memcpy(a.gt, gt, sizeof a.gt);
    if (srs == NULL)
        return a;
    if (OSRIsGeographic(srs)) {
        double rad = OSRGetAngularUnits(srs, NULL);
        if (isfinite(rad) && rad > 0.0) {
            a.kind = 1;
            a.rad = rad;
        }
    } else if (OSRIsProjected(srs)) {
        double unit = OSRGetLinearUnits(srs, NULL);
        double km2 = fabs(gt[1] * gt[5]) * unit * unit / 1e6;
        if (isfinite(km2) && km2 > 0.0) {
            a.kind = 2;
            a.km2 = km2;
        }
    }
    return a;
}

/* The most people a cell of `row` may hold (population.h). */
static double cell_bound(const pop_area *a, int64_t row)
{
    double km2 = NAN;
    if (a->kind == 2) {
        km2 = a->km2;
    } else if (a->kind == 1) {
        const double half_pi = 2.0 * atan(1.0);
        double y0 = (a->gt[3] + (double)row * a->gt[5]) * a->rad;
        double y1 = y0 + a->gt[5] * a->rad;
        y0 = fmax(-half_pi, fmin(half_pi, y0));
        y1 = fmax(-half_pi, fmin(half_pi, y1));
        km2 = AM_POP_EARTH_RADIUS_M * AM_POP_EARTH_RADIUS_M *
              fabs(a->gt[1] * a->rad) * fabs(sin(y0) - sin(y1)) / 1e6;
    }
    double bound =
        isfinite(km2) ? AM_POP_MAX_PER_KM2 * km2 : AM_POP_MAX_PER_CELL;
    return fmin(AM_POP_MAX_PER_CELL, fmax(AM_POP_CELL_FLOOR, bound));
}

/* cell_bound, computed once per row (*row_at, *at: the last one). */
static double row_bound(const pop_area *a, int64_t row, int64_t *row_at,
                        double *at)
{
    if (row != *row_at) {
        *at = cell_bound(a, row);
        *row_at = row;
    }
    return *at;
}

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

/*
 * The band's own mask, where cells are invalid by it rather than by the
 * band's nodata value (GDAL RFC 15, GDALGetMaskFlags):
 *   GMF_PER_DATASET   a mask shared by all bands: an internal TIFF mask or
 *                     a .msk side file;
 *   GMF_ALPHA         an alpha band (with GMF_PER_DATASET): 0 is masked,
 *                     any other value, partial transparency included, is
 *                     valid and the cell's count is taken in full (alpha is
 *                     opacity for display, not a weight); GDAL rescales a
 *                     UInt16 alpha so that only 0 reads as 0;
 *   0                 a per-band mask (a VRT's <MaskBand>);
 *   GMF_NODATA with GMF_PER_DATASET: the dataset's NODATA_VALUES (a cell
 *                     is masked where every band holds its value there),
 *                     which the band's own nodata value does not express.
 * NULL where every cell is valid (GMF_ALL_VALID) or the mask is the band's
 * nodata value alone (GMF_NODATA), which is_nodata already applies.
 * AM_ERR_FORMAT when GDAL fails to give the mask it announced.
 */
static am_status mask_of(GDALRasterBandH band, const char *path,
                         const char *layer, GDALRasterBandH *mask,
                         am_error *err)
{
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    const int flags = GDALGetMaskFlags(band);
    const int none = (flags & GMF_ALL_VALID) != 0 || flags == GMF_NODATA;
    *mask = none ? NULL : GDALGetMaskBand(band);
    am_gdal_capture_end(&ge);
    if (ge.n_failures == 0 && (*mask != NULL || none))
        return AM_OK;
    *mask = NULL;
    am_status rc = am_error_set(
        err, AM_ERR_FORMAT, path, "cannot read the band's mask (%s%s)",
        (flags & GMF_ALPHA) != 0 ? "alpha band: " : "mask band: ",
        ge.first[0] != '\0' ? ge.first : "no mask band");
    am_error_set_layer(err, layer);
    return rc;
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
    int64_t *cell = am_realloc_array(p->cell, (size_t)ncap, sizeof *cell);
    if (cell == NULL)
        return AM_ERR_NOMEM;
    p->cell = cell;
    double *pop = am_realloc_array(p->pop, (size_t)ncap, sizeof *pop);
    if (pop == NULL)
        return AM_ERR_NOMEM;
    p->pop = pop;
    *cap = ncap;
    return AM_OK;
}

/* A dataset without raster bands (an HDF5 or netCDF container, a
 * GeoPackage of features): say so, naming a subdataset where it has some. */
static am_status no_band(GDALDatasetH ds, const char *path, am_error *err)
{
    char **sub = GDALGetMetadata(ds, "SUBDATASETS");
    int n = 0;
    const char *first = NULL;
    for (char **m = sub; m != NULL && *m != NULL; m++) {
        if (strstr(*m, "_NAME=") == NULL)
            continue;
        if (n++ == 0)
            first = strstr(*m, "_NAME=") + strlen("_NAME=");
    }
    if (n > 0)
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "has no raster band of its own: it is a "
                            "container of %d subdataset%s (e.g. %s); extract "
                            "the population grid first (gdal_translate "
                            "SUBDATASET out.tif)",
                            n, n == 1 ? "" : "s", first);
    return am_error_set(err, AM_ERR_FORMAT, path,
                        "has no raster band: it is not a raster GDAL can "
                        "read as a grid (driver %s)",
                        GDALGetDriverShortName(GDALGetDatasetDriver(ds)));
}

/* The band's scale and offset (GDAL's "unit type" conversion: value =
 * raw * scale + offset); refused when not finite or a zero scale. */
static am_status scale_of(GDALRasterBandH band, const char *path,
                          const char *layer, double *scale, double *offset,
                          am_error *err)
{
    int has_scale = 0, has_offset = 0;
    *scale = GDALGetRasterScale(band, &has_scale);
    *offset = GDALGetRasterOffset(band, &has_offset);
    if (!has_scale)
        *scale = 1.0;
    if (!has_offset)
        *offset = 0.0;
    if (isfinite(*scale) && *scale != 0.0 && isfinite(*offset))
        return AM_OK;
    am_status rc = am_error_set(err, AM_ERR_INVALID, path,
                                "band scale %g and offset %g do not make "
                                "counts (a finite, non-zero scale and a "
                                "finite offset are needed); fix them with "
                                "gdal_edit.py -scale / -offset",
                                *scale, *offset);
    am_error_set_layer(err, layer);
    return rc;
}

/* check_header's checks, GDAL's errors captured by the caller. */
static am_status check_header_gdal(GDALDatasetH ds, const char *path,
                                   int band_no, double gt[6], char **wkt_out,
                                   GDALRasterBandH *band, am_error *err)
{
    am_status rc;
    char layer[32];
    char *wkt = NULL;
    int nbands = GDALGetRasterCount(ds);
    if (nbands < 1)
        return no_band(ds, path, err);
    if (band_no < 1 || band_no > nbands) {
        snprintf(layer, sizeof layer, "band %d", band_no);
        rc = am_error_set(err, AM_ERR_FORMAT, path,
                          "band %d out of range: the raster has %d band%s",
                          band_no, nbands, nbands == 1 ? "" : "s");
        am_error_set_layer(err, layer);
        return rc;
    }
    *band = GDALGetRasterBand(ds, band_no);
    rc = am_gdal_srs_wkt(GDALGetSpatialRef(ds), path, "raster", &wkt, err);
    if (rc != AM_OK)
        return rc;
    if (wkt_out != NULL)
        *wkt_out = wkt;
    else
        CPLFree(wkt);
    if (GDALGetGeoTransform(ds, gt) != CE_None)
        return am_error_set(err, AM_ERR_CRS, path,
                            "raster has no geotransform (it may be "
                            "georeferenced by ground control points only); "
                            "warp it to a grid first (gdalwarp)");
    for (int k = 0; k < 6; k++)
        if (!isfinite(gt[k]))
            return am_error_set(err, AM_ERR_INVALID, path,
                                "geotransform term %d is not finite", k);
    /* Numbers in messages as %.9g: a damaged header's 1e300 must not print
     * as 300 digits. */
    if (gt[2] != 0.0 || gt[4] != 0.0)
        return am_error_set(err, AM_ERR_INVALID, path,
                            "rotated or sheared geotransform (terms %.9g, "
                            "%.9g) is not supported; warp it to a north-up "
                            "grid first (gdalwarp)",
                            gt[2], gt[4]);
    if (gt[1] == 0.0 || gt[5] == 0.0)
        return am_error_set(err, AM_ERR_INVALID, path,
                            "cell size is zero (%.9g x %.9g)", gt[1], gt[5]);
    if (gt[1] < 0.0)
        return am_error_set(err, AM_ERR_INVALID, path,
                            "east-to-west raster (negative cell width %.9g) "
                            "is not supported; warp it to a west-to-east grid "
                            "first (gdalwarp)",
                            gt[1]);
    const int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
    if (nx < 1 || ny < 1)
        return am_error_set(err, AM_ERR_EMPTY, path,
                            "raster has no cells (%d x %d)", nx, ny);
    /* The grid's far corner must be a number too (1e300-wide cells). */
    const double x1 = gt[0] + gt[1] * nx, y1 = gt[3] + gt[5] * ny;
    if (!isfinite(x1) || !isfinite(y1))
        return am_error_set(err, AM_ERR_INVALID, path,
                            "geotransform (origin %.9g, %.9g; cells %.9g x "
                            "%.9g) puts the grid's far corner beyond any "
                            "coordinate",
                            gt[0], gt[3], gt[1], gt[5]);
    /* A geographic grid's rows must lie on the globe (a 1e300 origin, a
     * projected grid tagged as WGS 84); one cell of slack for grids whose
     * edges are rounded beyond the poles. */
    OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
    const double rad =
        OSRIsGeographic(srs) ? OSRGetAngularUnits(srs, NULL) : 0.0;
    if (isfinite(rad) && rad > 0.0) {
        const double pole = 2.0 * atan(1.0) / rad + fabs(gt[5]);
        if (fmax(fabs(gt[3]), fabs(y1)) > pole)
            return am_error_set(err, AM_ERR_INVALID, path,
                                "rows run from latitude %.9g to %.9g, beyond "
                                "the poles: the geotransform is wrong, or "
                                "the grid is not in the geographic CRS it is "
                                "tagged with",
                                gt[3], y1);
    }
    double scale, offset;
    snprintf(layer, sizeof layer, "band %d", band_no);
    return scale_of(*band, path, layer, &scale, &offset, err);
}

/*
 * Everything about the raster that its header tells: the band exists, a
 * CRS, a finite north-up west-to-east geotransform with non-zero cells, at
 * least one cell, a usable scale and offset. Fills gt, *wkt_out (CPLFree;
 * may be NULL when not wanted), and the band. Shared by the probe (run
 * before any heavy phase) and the load, so that both refuse the same
 * rasters with the same words. GDAL reads georeferencing lazily (the
 * .tfw, .prj and .aux.xml side files, the CRS through PROJ), so its
 * errors are captured here: a failure GDAL reports while the header is
 * read is the real cause of whatever looks wrong after it, and fails the
 * load with GDAL's message.
 */
static am_status check_header(GDALDatasetH ds, const char *path, int band_no,
                              double gt[6], char **wkt_out,
                              GDALRasterBandH *band, am_error *err)
{
    am_gdal_errors ge;
    char *wkt = NULL;
    am_gdal_capture_begin(&ge);
    am_status rc = check_header_gdal(ds, path, band_no, gt, &wkt, band, err);
    am_gdal_capture_end(&ge);
    if (ge.n_failures > 0 && rc != AM_ERR_NOMEM) {
        rc = am_error_set(err, ge.oom ? AM_ERR_NOMEM : AM_ERR_FORMAT, path,
                          "GDAL failed reading the raster's header or a side "
                          "file of it (.tfw, .prj, .aux.xml): %s",
                          ge.first);
    }
    if (rc == AM_OK && wkt_out != NULL) {
        *wkt_out = wkt;
        wkt = NULL;
    }
    CPLFree(wkt);
    return rc;
}

/* What the cell scan of one load keeps from strip to strip. */
typedef struct pop_scan {
    const char *path;  /* for messages */
    const char *layer; /* "band N", for messages */
    am_error *err;
    int nx, ny;
    pop_nodata nd;
    double scale, offset; /* value = raw * scale + offset */
    int scaled;           /* scale != 1 or offset != 0 */
    GDALRasterBandH mask; /* the band's own mask (0: invalid), or NULL */
    pop_area area;
    int64_t bound_row; /* row_bound's cache: the row of `bound` */
    double bound;
    double worst, worst_bound; /* largest implausible value, its bound */
    int64_t worst_cell;
    int64_t cap;       /* allocated length of the population's arrays */
    int64_t max_cells; /* the caller's budget, <= INT32_MAX */
    const char *max_cells_why;
} pop_scan;

/* Classifies the h rows of buf from row0 on (rules at the top), keeping
 * the populated cells in p and counting the others. mask: the same rows of
 * the band's mask, or NULL where it has none of its own. */
static am_status scan_strip(pop_scan *s, am_population *p, const double *buf,
                            const uint8_t *mask, int64_t row0, int h)
{
    const int64_t nx = s->nx;
    const int64_t ncell = (int64_t)h * nx;
    for (int64_t i = 0; i < ncell; i++) {
        const double raw = buf[i];
        if (mask != NULL && mask[i] == 0) {
            p->n_masked++;
            p->n_nodata++;
            continue;
        }
        if (is_nodata(&s->nd, raw)) {
            p->n_nodata++;
            continue;
        }
        const double v = s->scaled ? raw * s->scale + s->offset : raw;
        if (!isfinite(v)) {
            p->n_nonfinite++;
        } else if (v < 0.0) {
            p->n_negative++;
        } else if (v == 0.0) {
            p->n_zero++;
        } else if (v > row_bound(&s->area, row0 + i / nx, &s->bound_row,
                                 &s->bound)) {
            p->n_implausible++;
            if (v > s->worst) {
                s->worst = v;
                s->worst_bound = s->bound;
                s->worst_cell = row0 * nx + i;
            }
        } else {
            if (p->n_cells == INT32_MAX)
                return am_error_set(s->err, AM_ERR_INVALID, s->path,
                                    "more than %d populated cells; "
                                    "aggregate the raster first",
                                    INT32_MAX);
            if (p->n_cells >= s->max_cells)
                return am_error_set(
                    s->err, AM_ERR_NOMEM, s->path,
                    "more than %lld populated cells (at row "
                    "%lld of %d): beyond %s; use a coarser "
                    "or smaller raster",
                    (long long)s->max_cells, (long long)(row0 + i / nx), s->ny,
                    s->max_cells_why != NULL ? s->max_cells_why
                                             : "the memory budget");
            if (pop_reserve(p, &s->cap, (int64_t)p->n_cells + 1) != AM_OK)
                return am_error_set(s->err, AM_ERR_NOMEM, s->path,
                                    "out of memory after %d populated "
                                    "cells",
                                    p->n_cells);
            p->cell[p->n_cells] = row0 * nx + i;
            p->pop[p->n_cells] = v;
            p->n_cells++;
            p->total += v;
        }
    }
    return AM_OK;
}

/* A strip read GDAL reported as failed: out of memory, or damage naming
 * the rows and the block row, with GDAL's message. */
static am_status strip_failed(const pop_scan *s, const am_gdal_errors *ge,
                              int64_t row0, int h, int bx, int by)
{
    am_status rc;
    const char *why = ge->first[0] != '\0' ? ge->first : am_gdal_last_message();
    if (ge->oom)
        rc = am_error_set(s->err, AM_ERR_NOMEM, s->path,
                          "out of memory reading rows %lld-%lld "
                          "(GDAL: %s); raise the memory limit",
                          (long long)row0, (long long)row0 + h - 1, why);
    else
        rc = am_error_set(
            s->err, AM_ERR_IO, s->path,
            "cannot read rows %lld-%lld (blocks of %d x %d cells, "
            "block row %lld): the raster is damaged or truncated%s%s",
            (long long)row0, (long long)row0 + h - 1, bx, by,
            by > 0 ? (long long)(row0 / by) : 0LL, why[0] != '\0' ? ": " : "",
            why);
    am_error_set_layer(s->err, s->layer);
    return rc;
}

/*
 * Reads the band (and its mask, s->mask) in strips of whole rows (a
 * multiple of the block height) and scans each into p, reporting progress
 * after each strip.
 * GDAL's errors are captured, not muted: a strip read that GDAL reports as
 * failed (a truncated or corrupt tile or strip) fails the load even where
 * GDALRasterIO returned CE_None, so a damaged raster never becomes zeros.
 */
static am_status read_strips(pop_scan *s, GDALRasterBandH band,
                             am_population *p, am_progress_fn progress,
                             void *progress_user)
{
    const int nx = s->nx, ny = s->ny;
    int bx = 0, by = 0;
    GDALGetBlockSize(band, &bx, &by);
    int64_t rows = AM_POP_STRIP_CELLS / nx;
    if (rows < 1)
        rows = 1;
    if (by > 0 && rows > by)
        rows -= rows % by;
    if (rows > ny)
        rows = ny;
    double *buf = am_malloc((size_t)rows * (size_t)nx * sizeof *buf);
    uint8_t *mbuf =
        s->mask != NULL ? am_malloc((size_t)rows * (size_t)nx) : NULL;
    if (buf == NULL || (s->mask != NULL && mbuf == NULL)) {
        am_free(buf);
        am_free(mbuf);
        return am_error_set(s->err, AM_ERR_NOMEM, s->path,
                            "out of memory for a strip of %lld rows",
                            (long long)rows);
    }

    am_status rc = AM_OK;
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    for (int64_t row0 = 0; row0 < ny; row0 += rows) {
        const int h = (int)(row0 + rows <= ny ? rows : ny - row0);
        CPLErr io = GDALRasterIO(band, GF_Read, 0, (int)row0, nx, h, buf, nx, h,
                                 GDT_Float64, 0, 0);
        if (io == CE_None && mbuf != NULL)
            io = GDALRasterIO(s->mask, GF_Read, 0, (int)row0, nx, h, mbuf, nx,
                              h, GDT_Byte, 0, 0);
        if (io != CE_None || ge.n_failures > 0) {
            rc = strip_failed(s, &ge, row0, h, bx, by);
            break;
        }
        if ((rc = scan_strip(s, p, buf, mbuf, row0, h)) != AM_OK)
            break;
        if (progress != NULL &&
            !progress((double)(row0 + h) / (double)ny,
                      "reading population raster", progress_user)) {
            rc = am_error_set(s->err, AM_ERR_CANCELLED, s->path,
                              "cancelled while reading");
            break;
        }
    }
    am_gdal_capture_end(&ge);
    am_free(buf);
    am_free(mbuf);
    return rc;
}

/* After the scan: no populated cell is an error; refused implausible cells
 * and an implausible total are warnings. */
static am_status check_scan(const pop_scan *s, const am_population *p,
                            am_warnings *warnings)
{
    const int64_t nx = s->nx;
    if (p->n_cells == 0) {
        am_status rc = am_error_set(
            s->err, AM_ERR_EMPTY, s->path,
            "no populated cell: of %lld cells, %lld nodata (%lld of them "
            "masked), %lld zero, %lld negative, %lld NaN/infinite, "
            "%lld implausible (more than %g people per square km)",
            (long long)nx * s->ny, (long long)p->n_nodata,
            (long long)p->n_masked, (long long)p->n_zero,
            (long long)p->n_negative, (long long)p->n_nonfinite,
            (long long)p->n_implausible, AM_POP_MAX_PER_KM2);
        am_error_set_layer(s->err, s->layer);
        return rc;
    }
    if (p->n_implausible > 0)
        am_warn(
            warnings,
            "%s: %s: %lld cell%s refused as implausible, not summed: up "
            "to %.4g people in one cell (row %lld, column %lld), where "
            "at most %.4g fit (%g per square km); is it a nodata value not "
            "tagged as such? (set it with gdal_edit.py -a_nodata VALUE FILE)",
            s->path, s->layer, (long long)p->n_implausible,
            p->n_implausible == 1 ? "" : "s", s->worst,
            (long long)(s->worst_cell / nx), (long long)(s->worst_cell % nx),
            s->worst_bound, AM_POP_MAX_PER_KM2);
    if (p->total > AM_POP_MAX_TOTAL)
        am_warn(warnings,
                "%s: %s: the total population, %.4g, is more than the "
                "world's (%g): is the raster a count of people per cell?",
                s->path, s->layer, p->total, AM_POP_MAX_TOTAL);
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
    char layer[32];

    *out = NULL;
    const char *path = opt != NULL ? opt->path : NULL;
    rc = am_gdal_open(path, AM_GDAL_RASTER, &ds, err);
    if (rc != AM_OK)
        goto cleanup;

    snprintf(layer, sizeof layer, "band %d", opt->band);
    GDALRasterBandH band = NULL;
    double gt[6];
    rc = check_header(ds, path, opt->band, gt, &wkt, &band, err);
    if (rc != AM_OK)
        goto cleanup;
    const int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);

    p = am_calloc(1, sizeof *p);
    if (p == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto cleanup;
    }
    p->grid.nx = nx;
    p->grid.ny = ny;
    memcpy(p->grid.gt, gt, sizeof gt);
    /* Own the WKT with the C allocator, so destroy needs no GDAL. */
    p->crs_wkt = am_strdup(wkt);
    if (p->crs_wkt == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto cleanup;
    }

    if ((rc = scale_of(band, path, layer, &p->scale, &p->offset, err)) != AM_OK)
        goto cleanup;
    GDALRasterBandH mask = NULL;
    if ((rc = mask_of(band, path, layer, &mask, err)) != AM_OK)
        goto cleanup;
    p->masked = mask != NULL;

    pop_scan scan = {.path = path,
                     .layer = layer,
                     .err = err,
                     .nx = nx,
                     .ny = ny,
                     .nd = nodata_of(band),
                     .scale = p->scale,
                     .offset = p->offset,
                     .scaled = p->scale != 1.0 || p->offset != 0.0,
                     .mask = mask,
                     .area = area_of(GDALGetSpatialRef(ds), gt),
                     .bound_row = -1,
                     .bound = AM_POP_MAX_PER_CELL,
                     .worst_cell = -1,
                     .max_cells =
                         opt->max_cells > 0 && opt->max_cells < INT32_MAX
                             ? opt->max_cells
                             : INT32_MAX,
                     .max_cells_why = opt->max_cells_why};
    if ((rc = read_strips(&scan, band, p, progress, progress_user)) != AM_OK)
        goto cleanup;
    if ((rc = check_scan(&scan, p, opt->warnings)) != AM_OK)
        goto cleanup;
    *out = p;
    p = NULL;

cleanup:
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
    am_free(p->crs_wkt);
    am_free(p->cell);
    am_free(p->pop);
    am_free(p);
}

am_status am_population_probe(const am_population_options *opt,
                              am_population_header *out, am_error *err)
{
    GDALDatasetH ds = NULL;
    const char *path = opt != NULL ? opt->path : NULL;
    out->nx = out->ny = out->cell_bytes = 0;
    am_status rc = am_gdal_open(path, AM_GDAL_RASTER, &ds, err);
    if (rc != AM_OK)
        return rc;
    double gt[6];
    GDALRasterBandH band = NULL;
    rc = check_header(ds, path, opt->band, gt, NULL, &band, err);
    if (rc == AM_OK) {
        out->nx = GDALGetRasterXSize(ds);
        out->ny = GDALGetRasterYSize(ds);
        out->cell_bytes = GDALGetDataTypeSizeBytes(GDALGetRasterDataType(band));
    }
    GDALClose(ds);
    return rc;
}

am_status am_population_probe_crs(const am_population_options *opt, char **wkt,
                                  am_error *err)
{
    GDALDatasetH ds = NULL;
    const char *path = opt != NULL ? opt->path : NULL;
    *wkt = NULL;
    am_status rc = am_gdal_open(path, AM_GDAL_RASTER, &ds, err);
    if (rc != AM_OK)
        return rc;
    double gt[6];
    GDALRasterBandH band = NULL;
    char *gw = NULL;
    rc = check_header(ds, path, opt->band, gt, &gw, &band, err);
    if (rc == AM_OK && (*wkt = am_strdup(gw)) == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    CPLFree(gw);
    GDALClose(ds);
    return rc;
}
