/*
 * population.h: a population count raster (WorldPop-style) from any GDAL
 * raster. Only cells with a finite, positive, plausible count become demand
 * cells; nodata cells (the band's nodata value, or invalid in its mask or
 * alpha band) are skipped; the band's scale and offset, where it has them,
 * are applied to every other value before it is classified; negative,
 * NaN, infinite and implausible values are counted and never summed (the
 * summary reports them, and implausible ones are also a warning).
 *
 * Implausible: more people in a cell than AM_POP_MAX_PER_KM2 per km² of
 * the cell's area (but never below AM_POP_CELL_FLOOR people), or more than
 * AM_POP_MAX_PER_CELL whatever the area. The densest city districts hold
 * about 100,000 people per km²; ten times that is no density but a fill
 * value that was not tagged as nodata (a Float32 raster's +3.4e38, 65535,
 * 2147483647, ...) or a raster of something else. The area is the cell's
 * on the sphere for geographic CRSs and its map area for projected ones;
 * for CRSs that are neither, only the per-cell cap applies. A total above
 * AM_POP_MAX_TOTAL (more than the world's population) is a warning too.
 */
#ifndef AM_POPULATION_H
#define AM_POPULATION_H

#include <stdint.h>

#include "common/error.h"
#include "common/progress.h"
#include "common/warning.h"
#include "geo/grid.h"

#define AM_POP_MAX_PER_KM2 1e6
#define AM_POP_CELL_FLOOR 1000.0
#define AM_POP_MAX_PER_CELL 1e9
#define AM_POP_MAX_TOTAL 1e10

typedef struct am_population_options {
    const char *path;      /* borrowed */
    int band;              /* 1-based */
    am_warnings *warnings; /* may be NULL: implausible values, total */
    /* Stop with AM_ERR_NOMEM past this many populated cells (0: no limit
     * but int32's); max_cells_why (may be NULL) says why, e.g. "the memory
     * cap of 10.0 GiB (--max-memory)". The caller derives it from its
     * memory budget, so a huge raster is refused while it is read. */
    int64_t max_cells;
    const char *max_cells_why;
} am_population_options;

typedef struct am_population {
    am_grid grid;
    char *crs_wkt;       /* owned, WKT2 of the raster's CRS */
    int32_t n_cells;     /* populated cells */
    int64_t *cell;       /* [n_cells] row * nx + col, ascending */
    double *pop;         /* [n_cells] > 0 */
    double total;        /* sum of pop */
    double scale;        /* the band's scale (1 when it has none) */
    double offset;       /* the band's offset (0 when it has none): pop is
                            raw * scale + offset */
    int masked;          /* the band has a mask of its own (per-dataset,
                            alpha, per-band); its 0 cells are nodata */
    int64_t n_nodata;    /* cells equal to the band's nodata value, or
                            invalid in its mask (n_masked of them) */
    int64_t n_masked;    /* cells invalid in the band's own mask (0 in the
                            mask or alpha band), whatever their value */
    int64_t n_zero;      /* cells with 0 */
    int64_t n_negative;  /* refused: negative values (not nodata) */
    int64_t n_nonfinite; /* refused: NaN or infinite */
    /* refused: beyond any real density (bounds above) */
    int64_t n_implausible;
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
    int32_t nx, ny;     /* columns, rows */
    int32_t cell_bytes; /* bytes of one cell of the band as GDAL caches
                           it (its data type's size) */
} am_population_header;

/*
 * Opens the raster and reads its header only (a light probe, run before
 * any heavy phase: the memory check, and every refusal the header allows).
 * Errors as am_population_load for a missing file, a non-raster, a band
 * out of range, no CRS, and a rotated, east-to-west or empty grid.
 */
am_status am_population_probe(const am_population_options *opt,
                              am_population_header *out, am_error *err);

/*
 * am_population_probe's checks, and the raster's CRS as WKT2 in *wkt
 * (owned by the caller: am_free), for the probes of inputs that are
 * transformed into it (zone layers, settlement rasters) before the heavy
 * phases. *wkt is NULL on failure.
 */
am_status am_population_probe_crs(const am_population_options *opt, char **wkt,
                                  am_error *err);

#endif /* AM_POPULATION_H */
