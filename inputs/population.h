/*
 * population.h: a population count raster (WorldPop-style) from any GDAL
 * raster. Only cells with a finite, positive count become demand cells;
 * nodata cells are skipped; negative, NaN and infinite values are counted
 * and never summed (the summary reports them).
 */
#ifndef AM_POPULATION_H
#define AM_POPULATION_H

#include <stdint.h>

#include "common/error.h"
#include "common/progress.h"
#include "geo/grid.h"

typedef struct am_population_options {
    const char *path; /* borrowed */
    int band;         /* 1-based */
} am_population_options;

typedef struct am_population {
    am_grid grid;
    char *crs_wkt;       /* owned, WKT2 of the raster's CRS */
    int32_t n_cells;     /* populated cells */
    int64_t *cell;       /* [n_cells] row * nx + col, ascending */
    double *pop;         /* [n_cells] > 0 */
    double total;        /* sum of pop */
    int64_t n_nodata;    /* cells equal to the band's nodata value */
    int64_t n_zero;      /* cells with 0 */
    int64_t n_negative;  /* refused: negative values (not nodata) */
    int64_t n_nonfinite; /* refused: NaN or infinite */
} am_population;

/*
 * Loads the band. AM_ERR_IO (missing/unreadable), AM_ERR_FORMAT (not a
 * raster, band out of range), AM_ERR_CRS (no CRS), AM_ERR_EMPTY (no
 * populated cell), AM_ERR_INVALID (rotated geotransform).
 */
am_status am_population_load(const am_population_options *opt,
                             am_progress_fn progress, void *progress_user,
                             am_population **out, am_error *err);

/* Accepts NULL. */
void am_population_destroy(am_population *p);

/* What the raster's header says, without reading a cell. */
typedef struct am_population_header {
    int32_t nx, ny; /* columns, rows */
} am_population_header;

/*
 * Opens the raster and reads its size only (a light probe, for the memory
 * check before any heavy phase). Errors as am_population_load for a
 * missing file, a non-raster and a band out of range.
 */
am_status am_population_probe(const am_population_options *opt,
                              am_population_header *out, am_error *err);

#endif /* AM_POPULATION_H */
