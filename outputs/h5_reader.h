/*
 * h5_reader.h: reads back what outputs/h5_writer.c writes (a results file,
 * docs/hdf5-layout.md): the grid, rasters, table columns and attributes,
 * under any group prefix, so that one reader serves the baseline at the
 * file's root and a scenario's group (/scenarios/<name>/, same layout
 * below it). Used by `accessim compare` (engine/compare.h).
 *
 * A file that is not HDF5, truncated or damaged is an error naming the
 * file (AM_ERR_FORMAT or AM_ERR_IO), never a crash: HDF5's own error
 * printing is switched off around every call and its stack turned into one
 * line. Paths are absolute HDF5 paths ("/results/health/coverage").
 *
 * Not thread-safe (HDF5 is built without thread safety here); one thread.
 * Allocates: every returned array or string is owned by the caller
 * (am_free; am_h5r_strings_free for string arrays).
 */
#ifndef AM_H5_READER_H
#define AM_H5_READER_H

#include <stdint.h>

#include "common/error.h"
#include "geo/grid.h"

typedef struct am_h5r am_h5r;

/* Opens path read-only. AM_ERR_IO (missing, unreadable), AM_ERR_FORMAT
 * (not an HDF5 file, or one HDF5 cannot open: truncated, damaged).
 *
 * The file is first read whole in a forked child (am_h5_probe,
 * outputs/h5_probe.h, walking it with am_h5r_read_everything): damage that
 * makes libhdf5 itself crash is then AM_ERR_FORMAT "the file is damaged
 * (the HDF5 library failed while reading it: ...)", and AM_ERR_CANCELLED
 * when the child was stopped by SIGINT/SIGTERM/SIGHUP/SIGUSR1. Call it
 * before starting worker threads (a fork copies only the calling thread). */
am_status am_h5r_open(const char *path, am_h5r **out, am_error *err);

/* The same without the child: what the probe's child itself runs, and for
 * tests that look at what libhdf5 does unguarded. */
am_status am_h5r_open_unprobed(const char *path, am_h5r **out, am_error *err);

/*
 * Reads everything in the file the way this reader's functions read it:
 * every group listed (am_h5r_list) to a depth of 16 following hard links
 * only, every attribute read as text or a numeric scalar, every dataset of
 * rank 1 or 2 read whole (am_h5r_raster_f32 / _column_f64 / _column_str).
 * Goes on past an error; returns the first. The probe's walk; also for
 * tests.
 */
am_status am_h5r_read_everything(am_h5r *r, am_error *err);

/* Closes; accepts NULL. */
void am_h5r_close(am_h5r *r);

/* The path given to am_h5r_open (borrowed). */
const char *am_h5r_path(const am_h5r *r);

/* What is at path: 0 nothing (or a parent missing), 1 a group, 2 a
 * dataset. */
int am_h5r_kind(am_h5r *r, const char *path);

/* 1 when path, or a group on the way to it, is linked but cannot be read
 * (a damaged file), 0 when it reads or is simply missing: tells "damaged"
 * from "not there" after am_h5r_kind said 0. */
int am_h5r_unreadable(am_h5r *r, const char *path);

/*
 * The names of the links in group `path`, in creation order when tracked
 * (else name order); kinds[i] (may be NULL) as am_h5r_kind. *names owned
 * (am_h5r_strings_free), *kinds owned (am_free).
 */
am_status am_h5r_list(am_h5r *r, const char *path, char ***names, int **kinds,
                      int32_t *n, am_error *err);

void am_h5r_strings_free(char **s, int64_t n);

/* A string attribute of the object at path; *out owned. AM_ERR_FORMAT when
 * missing or not a string. */
am_status am_h5r_attr_string(am_h5r *r, const char *path, const char *name,
                             char **out, am_error *err);

/* A numeric scalar attribute, converted to double; *found = 0 (and AM_OK)
 * when the object has no such attribute. */
am_status am_h5r_attr_double(am_h5r *r, const char *path, const char *name,
                             double *out, int *found, am_error *err);

/*
 * The grid of the results under group prefix ("" or "/scenarios/x"): the
 * size of `<prefix>/population` and the `GeoTransform` and `crs_wkt`
 * attributes of `<prefix>/crs`, each taken at the file's root when the
 * prefix has none. *wkt owned.
 */
am_status am_h5r_grid(am_h5r *r, const char *prefix, am_grid *grid, char **wkt,
                      am_error *err);

/* The shape of a dataset: rank (at most 2 reported) and dims; *is_float 1
 * for a floating-point type, 0 for an integer, -1 other (strings...). */
am_status am_h5r_shape(am_h5r *r, const char *path, int *rank, int64_t dims[2],
                       int *is_float, am_error *err);

/*
 * A [ny][nx] raster as float (any numeric type converted) and its
 * _FillValue (*fill, NaN when it has none). *out owned (ny * nx values).
 * AM_ERR_FORMAT when the shape is not ny x nx.
 */
am_status am_h5r_raster_f32(am_h5r *r, const char *path, int32_t ny, int32_t nx,
                            float **out, float *fill, am_error *err);

/* A 1-D numeric column as double; *out owned (*n values). */
am_status am_h5r_column_f64(am_h5r *r, const char *path, double **out,
                            int64_t *n, am_error *err);

/* A 1-D string column (variable-length or fixed); *out owned
 * (am_h5r_strings_free(*out, *n)). */
am_status am_h5r_column_str(am_h5r *r, const char *path, char ***out,
                            int64_t *n, am_error *err);

#endif /* AM_H5_READER_H */
