/*
 * class_raster.h: a settlement-type raster (a degree of urbanisation
 * grid such as GHS-SMOD, an urban/rural mask) as a zone layer for equity:
 * every populated cell takes the class of the class raster's pixel that
 * holds its centre, and the classes are the rows of the equity tables
 * (issue 9, "per urban/rural class when a settlement-type raster is
 * given"; docs/equity.md, "Urban and rural").
 *
 * Rules (docs/scenario.md, "zones", `raster:`):
 *  - any CRS and resolution: the populated cell's centre is transformed
 *    from the population raster's CRS into the class raster's (PROJ, GIS
 *    axis order) and takes the pixel that holds it (half-open: a centre on
 *    a pixel edge takes the pixel to its right / below, GDAL's pixel
 *    convention); nearest-pixel sampling, never resampled;
 *  - a centre outside the class raster, on its nodata value, on NaN, or
 *    (with classes) on a value no class lists, is "outside" (-1, counted
 *    in n_outside / pop_outside); unlisted values are named in a warning;
 *  - values are the band's raw values (its scale and offset, if any, are
 *    not applied: class codes are stored as they are meant);
 *  - with classes: row k is the k-th class (label -> list of values, in
 *    the scenario's order), values compared exactly as numbers; a value
 *    listed under two labels is refused by the scenario reader;
 *  - without classes: each distinct value met at a populated cell is a
 *    row, named by the value (%.15g), rows in ascending value; more than
 *    AM_CLASS_RASTER_MAX_VALUES distinct values is an error (a continuous
 *    raster: give classes).
 *
 * Memory: a block of 65,536 cells' centres and pixel positions, and a
 * piece of at most 65,536 pixels of one row of the class raster at a time
 * (the columns the block's cells need in that row): never the raster's
 * width, nor its width x height. Serial (PROJ and
 * GDAL reads); the result is the same for any thread count.
 */
#ifndef AM_CLASS_RASTER_H
#define AM_CLASS_RASTER_H

#include <stdint.h>

#include "common/error.h"
#include "common/warning.h"
#include "inputs/population.h"
#include "inputs/zone_raster.h"

/* Distinct values at most, without classes. */
#define AM_CLASS_RASTER_MAX_VALUES 256

typedef struct am_class_raster_options {
    const char *path;            /* borrowed; any GDAL raster with a CRS */
    int band;                    /* 1-based */
    int n_classes;               /* 0: each distinct value a row */
    const char *const *labels;   /* [n_classes] borrowed */
    const int *n_values;         /* [n_classes] */
    const double *const *values; /* [n_classes][n_values[k]] */
    am_warnings *warnings;       /* borrowed, may be NULL */
} am_class_raster_options;

/*
 * Samples opt's raster at the centres of pop's populated cells (pop
 * borrowed, loaded) into a zone layer (the rows: classes or values;
 * zone_fid -1; layer "band N"). Errors name the file: AM_ERR_IO (missing
 * or damaged, a read that fails), AM_ERR_FORMAT (not a raster, band out
 * of range, more distinct values than allowed), AM_ERR_CRS (no CRS, no
 * geotransform), AM_ERR_INVALID (a rotated raster), AM_ERR_NOMEM. No
 * populated cell in any class is a warning. *out owned by the caller
 * (am_zone_raster_destroy).
 */
am_status am_class_raster_build(const am_class_raster_options *opt,
                                const am_population *pop, am_zone_raster **out,
                                am_error *err);

/*
 * The checks of am_class_raster_build that need no populated cell, run
 * before the heavy phases: the raster opens, the band exists, its CRS and
 * geotransform are usable and its CRS is reachable from pop_wkt (the
 * population raster's CRS), one pixel reads; and each class value can
 * occur (AM_ERR_FORMAT for a value the band's data type cannot hold, e.g.
 * 300 or 2.5 in a Byte band, or the band's nodata value). The build's
 * errors and messages otherwise. *band_bytes (may be NULL): the band's
 * size decoded (width x height x its data type's size), the most GDAL's
 * block cache can hold of it.
 */
am_status am_class_raster_probe(const am_class_raster_options *opt,
                                const char *pop_wkt, uint64_t *band_bytes,
                                am_error *err);

#endif /* AM_CLASS_RASTER_H */
