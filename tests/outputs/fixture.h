/*
 * fixture.h: a small results file in the layout of docs/hdf5-layout.md,
 * written through the public writer API. Shared by the unit tests (read
 * back with HDF5), the GDAL check (gdalinfo / gdallocationinfo) and the
 * golden h5dump test, so that all three look at the same file.
 *
 * Grid: FIXTURE_NX x FIXTURE_NY cells, row 0 = north. Cell i = row * NX +
 * col holds (see fixture.c): population i (nodata at FIXTURE_NODATA_CELL),
 * nearest_time_min 0.5 * i (-1 unreachable at FIXTURE_UNREACHABLE_CELL),
 * nearest_facility i % 3 (-1 there), accessibility 0.25 * i.
 */
#ifndef AM_TEST_FIXTURE_H
#define AM_TEST_FIXTURE_H

#include "outputs/h5_writer.h"

#define FIXTURE_NX 5
#define FIXTURE_NY 4
#define FIXTURE_NODATA_CELL 6      /* population nodata: fill everywhere */
#define FIXTURE_UNREACHABLE_CELL 7 /* populated, no facility reachable */
#define FIXTURE_FILL_F32 (-9999.0f)
#define FIXTURE_FILL_I32 (-2)

typedef enum fixture_crs {
    FIXTURE_GEOGRAPHIC = 0, /* EPSG:4326, gt 24.5 0.25 0 61 0 -0.5 */
    FIXTURE_GK25,           /* EPSG:3879, gt 25490000 250 0 6675000 0 -250 */
    FIXTURE_UTM38S          /* EPSG:32738, gt 500000 100 0 8000000 0 -100 */
} fixture_crs;

/* The grid and WKT of a fixture CRS. */
void fixture_grid(fixture_crs which, am_grid *grid, const char **wkt);

/* Expected cell values (cell = row * FIXTURE_NX + col). */
float fixture_population(int cell);
float fixture_time(int cell);
int32_t fixture_facility(int cell);
float fixture_access(int cell);

/* Writes and commits the whole fixture file at path. */
am_status fixture_write(const char *path, fixture_crs which, am_error *err);

/*
 * A sparse fixture: the UTM 38S grid at FIXTURE_SPARSE_NX x _NY cells
 * (several chunks a side), rasters /sparse/time (f32) and /sparse/facility
 * (i32) with values only at the first cell (1.5, 7) and the last (2.5, 9):
 * only the two corner chunks are stored.
 */
#define FIXTURE_SPARSE_NX 600
#define FIXTURE_SPARSE_NY 300
am_status fixture_write_sparse(const char *path, am_error *err);

#endif /* AM_TEST_FIXTURE_H */
