/*
 * fuzz_geo.h: what the geometric and binary harnesses share (issue 13,
 * "Fuzzing"): a reader of the fuzzer's bytes, the small fixed inputs a
 * model needs besides the one being fuzzed (a population raster, a
 * facility layer, written once into GDAL's /vsimem/), and a scenario
 * parsed from text. Test code: header-only, included by one harness each.
 *
 * Every harness goes through the project's own entry points
 * (am_scenario_read_string, am_model_create / am_model_build_to,
 * am_roads_cache_read, am_compare): what is fuzzed is what a user's run
 * executes, not a copy of it.
 */
#ifndef AM_FUZZ_GEO_H
#define AM_FUZZ_GEO_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <accessim.h>

#include "fuzz_util.h"

/* ---- the fuzzer's bytes, read front to back (zeros once used up) ----- */

typedef struct fz_bytes {
    const uint8_t *p;
    size_t n, at;
} fz_bytes;

static inline uint8_t fz_u8(fz_bytes *b)
{
    return b->at < b->n ? b->p[b->at++] : 0;
}

static inline uint16_t fz_u16(fz_bytes *b)
{
    uint16_t v = fz_u8(b);
    return (uint16_t)(v | (uint16_t)fz_u8(b) << 8);
}

static inline uint32_t fz_u32(fz_bytes *b)
{
    uint32_t v = fz_u16(b);
    return v | (uint32_t)fz_u16(b) << 16;
}

/* Any double: NaN, infinities, denormals and huge values included. */
static inline double fz_f64(fz_bytes *b)
{
    uint64_t v = fz_u32(b);
    v |= (uint64_t)fz_u32(b) << 32;
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static inline int fz_left(const fz_bytes *b)
{
    return b->at < b->n;
}

/* Up to max-1 bytes of the input as a NUL-terminated string (a NUL in
 * the input ends it early: GDAL's string fields cannot hold one). */
static inline void fz_str(fz_bytes *b, char *buf, size_t max)
{
    size_t len = fz_u8(b) % max;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        const uint8_t c = fz_u8(b);
        if (c == 0)
            break;
        buf[k++] = (char)c;
    }
    buf[k] = '\0';
}

/* ---- fixed inputs in /vsimem/ ------------------------------------------ */

/* Writes text to a /vsimem/ path; 0 on failure. */
static inline int fz_vsi_write(const char *path, const void *data, size_t n)
{
    VSILFILE *f = VSIFOpenL(path, "wb");
    if (f == NULL)
        return 0;
    const int ok = VSIFWriteL(data, 1, n, f) == n;
    return VSIFCloseL(f) == 0 && ok;
}

/*
 * A Float32 population GeoTIFF in WGS 84, nx x ny cells of `step`
 * degrees from (lon0, lat0) at its north-west corner, every cell `pop`
 * people. 0 on failure.
 */
static inline int fz_population(const char *path, double lon0, double lat0,
                                int nx, int ny, double step, float pop)
{
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (drv == NULL)
        return 0;
    GDALDatasetH ds = GDALCreate(drv, path, nx, ny, 1, GDT_Float32, NULL);
    if (ds == NULL)
        return 0;
    double gt[6] = {lon0, step, 0.0, lat0, 0.0, -step};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    GDALSetSpatialRef(ds, srs);
    OSRDestroySpatialReference(srs);
    float *row = CPLMalloc(sizeof *row * (size_t)nx);
    for (int i = 0; i < nx; i++)
        row[i] = pop;
    int ok = 1;
    for (int y = 0; ok && y < ny; y++)
        ok = GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, y, nx, 1, row,
                          nx, 1, GDT_Float32, 0, 0) == CE_None;
    CPLFree(row);
    GDALClose(ds);
    return ok;
}

/* One facility point as GeoJSON (WGS 84). 0 on failure. */
static inline int fz_facility(const char *path, double lon, double lat)
{
    char text[512];
    int n = snprintf(text, sizeof text,
                     "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                     "\"Feature\",\"properties\":{\"name\":\"f\"},"
                     "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.9f,"
                     "%.9f]}}]}",
                     lon, lat);
    return n > 0 && (size_t)n < sizeof text &&
           fz_vsi_write(path, text, (size_t)n);
}

/* A scenario from text (finalized); NULL after printing why. */
static inline am_scenario *fz_scenario(const char *text)
{
    am_scenario *s = NULL;
    am_error err;
    am_error_clear(&err);
    if (am_scenario_read_string(text, "fuzz.yaml", "/vsimem/fuzz", &s, &err) !=
        AM_OK) {
        char line[1024];
        fprintf(stderr, "fuzz scenario refused: %s\n",
                am_error_format(&err, line, sizeof line));
        return NULL;
    }
    return s;
}

#endif /* AM_FUZZ_GEO_H */
