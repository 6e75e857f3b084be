/*
 * grid.c: raster grid geometry (see grid.h).
 *
 * Why: population cells become demand points at their centres, and the
 * grid's extent chooses the metric frame; both must follow GDAL's affine
 * geotransform convention exactly, including the rotation terms, so that a
 * cell centre here is the same point GDAL (gdallocationinfo, QGIS) shows.
 *
 * Method: pixel (p, l) maps to x = gt0 + p*gt1 + l*gt2, y = gt3 + p*gt4 +
 * l*gt5 (GDAL data model, "Affine GeoTransform"); a centre is at p + 0.5,
 * l + 0.5; the extent is the bounding box of the four outer corners, which
 * is exact for any affine map.
 */
#include "geo/grid.h"

static void grid_apply(const am_grid *g, double p, double l, double *x,
                       double *y)
{
    *x = g->gt[0] + p * g->gt[1] + l * g->gt[2];
    *y = g->gt[3] + p * g->gt[4] + l * g->gt[5];
}

void am_grid_cell_center(const am_grid *g, int32_t col, int32_t row, double *x,
                         double *y)
{
    grid_apply(g, (double)col + 0.5, (double)row + 0.5, x, y);
}

void am_grid_extent(const am_grid *g, double *xmin, double *ymin, double *xmax,
                    double *ymax)
{
    const double p[4] = {0.0, (double)g->nx, 0.0, (double)g->nx};
    const double l[4] = {0.0, 0.0, (double)g->ny, (double)g->ny};
    double x0, y0;
    grid_apply(g, p[0], l[0], &x0, &y0);
    double lox = x0, hix = x0, loy = y0, hiy = y0;
    for (int k = 1; k < 4; k++) {
        double x, y;
        grid_apply(g, p[k], l[k], &x, &y);
        if (x < lox)
            lox = x;
        if (x > hix)
            hix = x;
        if (y < loy)
            loy = y;
        if (y > hiy)
            hiy = y;
    }
    *xmin = lox;
    *ymin = loy;
    *xmax = hix;
    *ymax = hiy;
}

int am_grid_is_north_up(const am_grid *g)
{
    return g->gt[2] == 0.0 && g->gt[4] == 0.0;
}
