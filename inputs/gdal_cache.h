/*
 * gdal_cache.h: GDAL's raster block cache, sized by the engine.
 *
 * Why: GDAL keeps the decoded blocks of every raster read in one
 * process-wide cache, up to GDAL_CACHEMAX or, by default, a share of
 * physical memory; a huge sparse settlement raster filled it far beyond
 * --max-memory (1.4 GiB peak). The engine (which includes no GDAL header)
 * sets its limit from the memory cap (engine/memory.h,
 * am_memory_gdal_cache) through these two functions.
 *
 * Not thread safe: call from one thread, outside reads. No allocation.
 */
#ifndef AM_GDAL_CACHE_H
#define AM_GDAL_CACHE_H

#include <stdint.h>

/* The limit GDAL chose itself (GDAL_CACHEMAX or its default), read once,
 * before accessim first changed it; at least 1. */
uint64_t am_gdal_cache_default(void);

/* Sets the limit (GDALSetCacheMax64); blocks read after respect it. */
void am_gdal_cache_set(uint64_t bytes);

#endif /* AM_GDAL_CACHE_H */
