/*
 * zone_raster.h: the zones of an admin polygon layer (districts, communes,
 * islands) assigned to the populated cells of the population grid, for
 * equity statistics per zone (kernels/equity.h).
 *
 * Why: "how unequal is access between districts" needs each person's
 * district. The zones come from any OGR source in any CRS; the answer is
 * one zone index per populated cell, the population raster's own cells,
 * so that the zonal sums are exact sums of the cells the engine used.
 *
 * Rules (docs/scenario.md, "zones"):
 *  - cell centre rule: a cell is in a zone when its centre is inside one
 *    of the zone's polygons (GDAL's rasterisation rule without
 *    ALL_TOUCHED), tested exactly in the raster's CRS (the polygons are
 *    reprojected to it with PROJ; edges straight in that CRS, as
 *    gdal_rasterize draws them), by the even-odd rule and the half-open
 *    boundary rule of geo/polygon.h: a centre on an edge two zones share
 *    is in exactly one of them;
 *  - a zone is one value of the id field (several features with the same
 *    id are one zone, a district split into parts); without an id field
 *    each feature is a zone, its FID its id;
 *  - overlapping polygons: the feature with the lowest FID wins (ties,
 *    or sources without FIDs: the one read first); zones are numbered by
 *    the lowest FID among their features;
 *  - a populated cell in no zone gets -1 and is counted (n_outside,
 *    pop_outside): coastal cells whose centre is in the sea of a
 *    coastline-cut admin layer, cells beyond the layer's extent;
 *  - features without a geometry are skipped (one warning with their
 *    count and first FIDs).
 *
 * Why a cell-centre test of the populated cells rather than
 * GDALRasterizeLayers: the result is the same rule (cell centres, edges
 * straight in the raster's CRS), but the point test costs time and memory
 * in proportion to the populated cells only (4 bytes per cell and a fixed
 * block of scratch), never to the raster's width x height: a national
 * 100 m grid of 10^10 cells, mostly empty, is never burnt, not even in row
 * blocks. The exact boundary rule also keeps shared edges unambiguous
 * where GDAL's scanline fill has its own tie rules. tests/inputs/
 * test_zone_raster.c checks it cell by cell against GDALRasterizeLayers.
 *
 * Limits: polygons across the antimeridian of a geographic raster are
 * not supported (as the speed zones); curved geometries are stroked by
 * GDAL.
 */
#ifndef AM_ZONE_RASTER_H
#define AM_ZONE_RASTER_H

#include <stdint.h>

#include "common/error.h"
#include "common/warning.h"
#include "inputs/population.h"

typedef struct am_zone_raster_options {
    const char *path;      /* borrowed; any OGR polygon source */
    const char *layer;     /* NULL: the first layer */
    const char *where;     /* OGR SQL attribute filter, or NULL */
    const char *id_field;  /* the zone id (any type, read as text), or
                              NULL: the FID */
    am_warnings *warnings; /* borrowed, may be NULL */
} am_zone_raster_options;

typedef struct am_zone_raster {
    char *layer;         /* the layer's name as read (owned) */
    int64_t n_features;  /* features read with a geometry */
    int64_t n_skipped;   /* features without a geometry, skipped */
    int32_t n_zones;     /* distinct ids */
    char **zone_id;      /* [n_zones] owned: the id as text */
    int64_t *zone_fid;   /* [n_zones] the lowest FID of the zone */
    int64_t *zone_cells; /* [n_zones] populated cells in the zone */
    double *zone_pop;    /* [n_zones] their population (cell order) */
    int32_t n_cells;     /* the population's populated cells */
    int32_t *cell_zone;  /* [n_cells] zone index, or -1: in no zone */
    int64_t n_outside;   /* populated cells in no zone */
    double pop_outside;  /* their population */
} am_zone_raster;

/*
 * Reads the zones of opt's layer and assigns them to pop's populated cells
 * (pop borrowed, loaded). The point tests run on `threads` (<= 0: OpenMP's
 * default); the result does not depend on it. Errors name the file, the
 * layer and, where one is at fault, the feature: AM_ERR_IO (missing or
 * damaged file), AM_ERR_FORMAT (not a vector source, no such layer, a
 * layer or feature that is not polygons, no such id field, a bad filter),
 * AM_ERR_CRS (a layer without a CRS or with an undefined one),
 * AM_ERR_INVALID (an empty id, a vertex that cannot be transformed into
 * the raster's CRS), AM_ERR_EMPTY (no polygon, or a filter that matched
 * none), AM_ERR_NO_OVERLAP (the zones' extent, in the raster's CRS, does
 * not meet the raster's), AM_ERR_NOMEM.
 * No populated cell in any zone is a warning, not an error. *out owned by
 * the caller (am_zone_raster_destroy).
 */
am_status am_zone_raster_build(const am_zone_raster_options *opt,
                               const am_population *pop, int threads,
                               am_zone_raster **out, am_error *err);

/*
 * The checks of am_zone_raster_build that need no feature read, run before
 * the heavy phases (the roads, the population): the file opens as a vector
 * source, the layer exists and holds polygons, its CRS is defined and
 * transformable into target_wkt (the population raster's CRS), the filter
 * is accepted and the id field exists. The same errors and messages as the
 * build. Opens and closes the source; no feature is read.
 */
am_status am_zone_layer_probe(const am_zone_raster_options *opt,
                              const char *target_wkt, am_error *err);

/* Accepts NULL. */
void am_zone_raster_destroy(am_zone_raster *z);

#endif /* AM_ZONE_RASTER_H */
