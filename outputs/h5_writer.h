/*
 * h5_writer.h: writes a run's results into one HDF5 file (layout in
 * docs/hdf5-layout.md).
 *
 * The file is netCDF-4/CF compatible so that GDAL (netCDF driver) and
 * xarray read the rasters with their CRS and extent: the grid's cell-centre
 * coordinates are HDF5 dimension scales `x`, `y` at the root, a scalar
 * `crs` variable carries the grid mapping (crs_wkt, spatial_ref,
 * GeoTransform), and each raster has grid_mapping = "crs". Tables are
 * groups of 1-D column datasets of equal length. Rasters are chunked,
 * shuffled and deflated (when the filter is available).
 *
 * Atomicity: am_h5_create creates "<dir>/.<name>.tmp-<pid>" next to the
 * final path; HDF5 builds the file in memory (core driver) and
 * am_h5_commit writes it to the temporary (every write checked: a full
 * disk is one AM_ERR_IO), syncs it and renames it onto the final path only
 * if everything was written; am_h5_abort removes it. A reader never sees a
 * complete-looking partial file, and a failure keeps an older file. Memory:
 * the (compressed) file's size, which commit writes straight from HDF5's
 * buffer, plus one strip of the raster being written (streamed rasters
 * never need the full grid in memory). A run killed outright
 * (SIGKILL, power loss) leaves its temporary behind; the next am_h5_create
 * for the same output removes it. Whether a temporary is stale is told by
 * a lock, not by its pid: the writer holds flock(LOCK_EX) on it from
 * create to commit or abort, and the next run removes only those whose
 * lock it can take (never a live run's, in any PID namespace).
 * am_h5_create refuses an output that exists and is not a regular file
 * (directory, device, FIFO, socket) or cannot be replaced, and holds the
 * output folder open; commit renames within that folder, after checking
 * that the path still names it, that the output is still a regular file
 * and none of the protected files (am_h5_set_protected). The result gets
 * the permission bits of the file it replaces (a 0444 output stays 0444;
 * owner and ACLs are not copied). See common/file_check.h.
 *
 * Not thread-safe; call from one thread, outside parallel regions.
 */
#ifndef AM_H5_WRITER_H
#define AM_H5_WRITER_H

#include <stdint.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_check.h"
#include "common/progress.h"
#include "geo/grid.h"

typedef struct am_h5 am_h5;

/*
 * Creates the temporary file for final_path after am_file_check_output
 * (AM_ERR_IO naming final_path) and removes stale temporaries of it.
 * *out owned.
 */
am_status am_h5_create(const char *final_path, am_h5 **out, am_error *err);

/*
 * Writes the grid (x, y dimension scales at cell centres, `crs` variable).
 * Must be called once, before any raster. crs_wkt: WKT of the grid's CRS.
 */
am_status am_h5_set_grid(am_h5 *h, const am_grid *grid, const char *crs_wkt,
                         am_error *err);

/* Creates a group (and its parents) at path, e.g. "/results/health". */
am_status am_h5_make_group(am_h5 *h, const char *path, am_error *err);

/* Attributes on an existing object (group or dataset) at obj_path. */
am_status am_h5_attr_string(am_h5 *h, const char *obj_path, const char *name,
                            const char *value, am_error *err);
am_status am_h5_attr_double(am_h5 *h, const char *obj_path, const char *name,
                            double value, am_error *err);
am_status am_h5_attr_int64(am_h5 *h, const char *obj_path, const char *name,
                           int64_t value, am_error *err);
am_status am_h5_attr_double_array(am_h5 *h, const char *obj_path,
                                  const char *name, int32_t n,
                                  const double *values, am_error *err);

/* Metadata of one raster. */
typedef struct am_h5_raster_info {
    const char *long_name; /* CF long_name */
    const char *units;     /* CF units ("minutes", "1", ...) */
} am_h5_raster_info;

/*
 * A [ny][nx] raster on the grid (row 0 = first row of the population
 * raster), `nodata` written as _FillValue. data is borrowed. For small
 * rasters and tests: the same file, byte for byte, as
 * am_h5_write_raster_rows over the same values (a large raster should be
 * streamed, or written with the sparse helpers below).
 */
am_status am_h5_write_raster_f32(am_h5 *h, const char *path, const float *data,
                                 float nodata, const am_h5_raster_info *info,
                                 am_error *err);
am_status am_h5_write_raster_i32(am_h5 *h, const char *path,
                                 const int32_t *data, int32_t nodata,
                                 const am_h5_raster_info *info, am_error *err);

/*
 * Streamed rasters. A raster is written by chunk-aligned strips of rows:
 * the writer asks the caller for rows [row0, row0 + n_rows) in order, top
 * to bottom, every row exactly once, into its own strip buffer, then
 * compresses the strip's chunks (in parallel, am_h5_set_threads) and
 * stores them. Peak memory is one strip (chunk rows x nx values) and its
 * compressed chunks per raster, whatever the grid's size: a national grid
 * never exists as a full buffer.
 */
/* Rasters are stored in chunks of at most this many rows and columns; a
 * strip is one row of chunks. */
#define AM_H5_CHUNK_EDGE 64

typedef enum am_h5_type {
    AM_H5_F32 = 1, /* float, stored IEEE 32-bit little-endian */
    AM_H5_I32      /* int32_t, stored 32-bit little-endian */
} am_h5_type;

/*
 * Fills buf (n_rows * nx values of the raster's type, row-major; borrowed,
 * valid only during the call) with rows row0 .. row0 + n_rows - 1. buf
 * arrives filled with the raster's fill value, so a sparse source writes
 * only the cells it has. Returns 1 to go on, 0 to stop: the write then
 * fails (see am_h5_write_raster_rows). Called from the writing thread.
 */
typedef int (*am_h5_rows_fn)(int32_t row0, int32_t n_rows, void *buf,
                             void *user);

/*
 * A [ny][nx] raster of type `type` at path, its rows supplied by fn (user
 * is passed through, borrowed). fill is the _FillValue (and the value of
 * every cell fn does not set): for AM_H5_I32 an integer in int32 range, for
 * AM_H5_F32 a value a float holds exactly (or NaN). Chunks that hold only
 * the fill value are not stored (readers get the fill value back), so a
 * sparse raster costs neither time nor space where it is empty.
 * Allocates one strip (at most AM_H5_CHUNK_EDGE rows x nx values) and
 * its compressed chunks.
 * Returns AM_OK; AM_ERR_INVALID (bad path, type, fill or no fn);
 * AM_ERR_INTERNAL (no grid yet); AM_ERR_NOMEM; AM_ERR_IO (HDF5, e.g. the
 * path exists); AM_ERR_CANCELLED when the progress hook says stop. When fn
 * returns 0: the error fn recorded in err (err->code set, when it has
 * access to err through user), else AM_ERR_CANCELLED naming the raster and
 * rows. After any failure the dataset may exist partly written: the caller
 * aborts the file (am_h5_abort), which leaves nothing behind.
 */
am_status am_h5_write_raster_rows(am_h5 *h, const char *path, am_h5_type type,
                                  double fill, am_h5_rows_fn fn, void *user,
                                  const am_h5_raster_info *info, am_error *err);

/*
 * The common case of am_h5_write_raster_rows: n values at cells
 * cell[i] = row * nx + col (strictly ascending, 0 <= cell < nx * ny; both
 * arrays borrowed, n >= 0, NULL allowed when n == 0), every other cell
 * `fill`. Walks the cells strip by strip; allocates one strip. A cell out
 * of the grid or out of order is AM_ERR_INVALID naming the raster and the
 * index, checked before anything is written.
 */
am_status am_h5_write_raster_sparse_f32(am_h5 *h, const char *path, int64_t n,
                                        const int64_t *cell, const float *value,
                                        float fill,
                                        const am_h5_raster_info *info,
                                        am_error *err);
am_status am_h5_write_raster_sparse_i32(am_h5 *h, const char *path, int64_t n,
                                        const int64_t *cell,
                                        const int32_t *value, int32_t fill,
                                        const am_h5_raster_info *info,
                                        am_error *err);

/* One column of a table. Exactly one of the data pointers is set. */
typedef enum am_h5_col_type {
    AM_H5_COL_INT32 = 1,
    AM_H5_COL_INT64,
    AM_H5_COL_DOUBLE,
    AM_H5_COL_STRING
} am_h5_col_type;

typedef struct am_h5_column {
    const char *name;
    am_h5_col_type type;
    const void *data;        /* int32_t*, int64_t*, double* or char** */
    const char *units;       /* may be NULL */
    const char *description; /* may be NULL */
} am_h5_column;

/*
 * A table: group `path` holding one 1-D dataset per column, all of length
 * n_rows, sharing one dimension.
 */
am_status am_h5_write_table(am_h5 *h, const char *path, int64_t n_rows,
                            int32_t n_cols, const am_h5_column *cols,
                            am_error *err);

/*
 * Closes and renames onto the final path. h is freed either way; on failure
 * the temporary is removed and an older file at the final path is kept.
 * AM_ERR_CANCELLED when the progress hook says stop just before the rename.
 */
am_status am_h5_commit(am_h5 *h, am_error *err);

/*
 * am_h5_commit together with side files the same command wrote (its CSVs:
 * am_atomic_open and am_atomic_write done, borrowed): every file synced,
 * then all renamed through am_atomic_commit_all, so that they appear
 * together or not at all. Each of `with` is closed on every path (a later
 * am_atomic_discard / am_atomic_close of it does nothing); NULL entries and
 * files not open are skipped. At most AM_H5_WITH_MAX side files.
 */
#define AM_H5_WITH_MAX 4
am_status am_h5_commit_with(am_h5 *h, am_atomic_file *const *with,
                            size_t n_with, am_error *err);

/*
 * Closes and removes the temporary file; frees h. Accepts NULL. Safe after
 * any failure, a full disk included (every object still open in the file is
 * closed, and HDF5's final flush cannot fail).
 */
void am_h5_abort(am_h5 *h);

/*
 * Files the output must not replace (an engine's inputs), checked by
 * am_h5_commit right before the rename, where the output folder may have
 * changed since the preflight. protect is borrowed (until commit or
 * abort); NULL checks nothing.
 */
void am_h5_set_protected(am_h5 *h, const am_file_guard *protect);

/*
 * A progress hook (may be NULL): called after each strip of rows of a
 * raster (fraction of that raster's rows, message = its path) and once in
 * am_h5_commit right before the rename (1.0, message = the final path).
 * When it returns 0 the call returns AM_ERR_CANCELLED; the caller then
 * aborts (commit removes the temporary itself). user is borrowed.
 */
void am_h5_set_progress(am_h5 *h, am_progress_fn progress, void *user);

/*
 * Threads that compress a raster's chunks (kernels/tasks.h; 0, the
 * default: OpenMP's default). Only zlib runs on them: every HDF5 call
 * stays on the calling thread. The file is the same for any count.
 */
void am_h5_set_threads(am_h5 *h, int threads);

#endif /* AM_H5_WRITER_H */
