/*
 * grid.h: raster grid geometry (GDAL's affine geotransform convention).
 *
 * gt[0], gt[3]: x, y of the top-left corner of the top-left cell;
 * gt[1], gt[5]: cell width and (usually negative) height; gt[2], gt[4]:
 * rotation terms (0 for north-up grids). Cell (col, row) covers
 * [col, col+1) x [row, row+1) in pixel space; its centre is at +0.5.
 */
#ifndef AM_GRID_H
#define AM_GRID_H

#include <stdint.h>

typedef struct am_grid {
    int32_t nx;   /* columns */
    int32_t ny;   /* rows */
    double gt[6]; /* geotransform */
} am_grid;

/* Centre of cell (col, row) in the grid's CRS. */
void am_grid_cell_center(const am_grid *g, int32_t col, int32_t row, double *x,
                         double *y);

/* Extent of the whole grid: min/max x and y over its four corners. */
void am_grid_extent(const am_grid *g, double *xmin, double *ymin, double *xmax,
                    double *ymax);

/* Whether gt has no rotation terms. */
int am_grid_is_north_up(const am_grid *g);

#endif /* AM_GRID_H */
