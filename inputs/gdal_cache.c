/*
 * gdal_cache.c: GDAL's raster block cache limit (see gdal_cache.h).
 */
#include "inputs/gdal_cache.h"

#include <gdal.h>

#include "inputs/gdal_util.h"

/* GDAL's own limit, before the first am_gdal_cache_set (0: not read). */
static uint64_t gdal_cache_initial;

uint64_t am_gdal_cache_default(void)
{
    if (gdal_cache_initial == 0) {
        am_gdal_init(); /* GDAL_CACHEMAX from the configuration */
        const GIntBig v = GDALGetCacheMax64();
        gdal_cache_initial = v > 0 ? (uint64_t)v : 1;
    }
    return gdal_cache_initial;
}

void am_gdal_cache_set(uint64_t bytes)
{
    (void)am_gdal_cache_default(); /* GDAL's own, kept before changing it */
    GDALSetCacheMax64(bytes > (uint64_t)INT64_MAX ? (GIntBig)INT64_MAX
                                                  : (GIntBig)bytes);
}
