/*
 * polygon_layer.h: one OGR polygon layer opened and read, its polygons
 * handed out in a target CRS, for the readers of polygon layers (the speed
 * zones of inputs/zones.h, the admin zones of inputs/zone_raster.h).
 *
 * Why: both read a polygon layer the same way (open, pick the layer,
 * check it holds polygons, its CRS and axis order, the attribute filter,
 * the feature loop that tells damage from the end of the layer, the
 * skipped features, each polygon part's rings transformed); only what
 * they do with a feature and a part differs. That part is a callback.
 *
 * Messages: every error names the file, the layer and, where one is at
 * fault, the feature, and starts with the reader's `what` ("speed zones:
 * ..."), as the readers wrote them before they shared this one.
 *
 * Not thread safe (one reader, one thread: GDAL's error capture is per
 * thread). Allocates the dataset, a transform and a growing vertex buffer.
 */
#ifndef AM_POLYGON_LAYER_H
#define AM_POLYGON_LAYER_H

#include <gdal.h>
#include <ogr_api.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/warning.h"
#include "geo/crs.h"
#include "inputs/gdal_util.h"

/* Feature ids named in the warning about skipped features. */
#define AM_POLYGON_LAYER_FIRST_IDS 5

typedef struct am_polygon_layer_options {
    const char *path;       /* borrowed; any OGR polygon source */
    const char *layer;      /* NULL: the first layer */
    const char *where;      /* OGR SQL attribute filter, or NULL */
    const char *what;       /* message prefix and input name: "zones" */
    const char *layer_what; /* the layer in CRS errors: "the zone layer" */
    const char *noun;       /* "zone": "3 zone features skipped" */
    const char *target_wkt; /* the CRS the parts are handed out in; NULL:
                               WGS 84 lon/lat (GIS order) */
    am_warnings *warnings;  /* borrowed, may be NULL */
} am_polygon_layer_options;

/* An open layer. Fields are read-only for callers. */
typedef struct am_polygon_layer {
    const am_polygon_layer_options *opt;
    am_error *err;
    GDALDatasetH ds;
    OGRLayerH layer;
    const char *lname; /* the layer's name (GDAL's), NULL before picked */
    am_gdal_errors ge;
    int capturing;
    am_transform *tr;   /* NULL: the layer is in the target CRS already */
    int swap_xy;        /* the layer's data axes are the reverse of GIS order */
    int64_t n_features; /* features with a geometry the callback took */
    int64_t n_skipped;  /* features without a geometry */
    long long skipped_ids[AM_POLYGON_LAYER_FIRST_IDS];
    double *x, *y; /* one part's vertices */
    size_t xy_cap;
    int64_t *ring_size;
    size_t ring_cap;
} am_polygon_layer;

/*
 * Opens opt->path's layer into *pl (caller-allocated; close it with
 * am_polygon_layer_close whatever this returns): the layer picked, its
 * geometry type checked (polygons, or unknown), the transform into the
 * target CRS set up, the filter applied. AM_ERR_IO, AM_ERR_FORMAT (not a
 * vector source, no such layer, not polygons, a bad filter), AM_ERR_CRS
 * (no or an undefined CRS), AM_ERR_NOMEM. opt and err borrowed for the
 * reader's life.
 */
am_status am_polygon_layer_open(am_polygon_layer *pl,
                                const am_polygon_layer_options *opt,
                                am_error *err);

/* Closes what open opened. Accepts a reader that failed to open. */
void am_polygon_layer_close(am_polygon_layer *pl);

/* An error on the layer ("WHAT: message"; feature fid >= 0: that one).
 * Returns code. */
am_status am_polygon_layer_fail(am_polygon_layer *pl, am_status code,
                                long long fid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The index of field `name` in *index; AM_ERR_FORMAT "ROLE field 'NAME'
 * does not exist (fields: a, b, c)" when there is none. */
am_status am_polygon_layer_field(am_polygon_layer *pl, const char *name,
                                 const char *role, int *index);

/* A feature with a geometry (both borrowed for the call). */
typedef am_status (*am_polygon_feature_fn)(void *user, OGRFeatureH f,
                                           OGRGeometryH g, long long fid);

/*
 * Reads every feature (after the filter) in the layer's order: those
 * with a non-empty geometry go to fn (counted in n_features when it
 * returns AM_OK; its error stops the read), the others are counted and
 * warned about once (count and first FIDs). A read GDAL reports as
 * failed is AM_ERR_IO ("damaged or truncated"), or AM_ERR_FORMAT "bad
 * filter" when the filter made the first read fail.
 */
am_status am_polygon_layer_read(am_polygon_layer *pl, am_polygon_feature_fn fn,
                                void *user);

/* One polygon part: its rings' vertex counts and its n vertices, in the
 * target CRS, GIS order (borrowed scratch, may be changed by fn). */
typedef am_status (*am_polygon_part_fn)(void *user, int n_rings,
                                        const int64_t *ring_size, size_t n,
                                        double *x, double *y, long long fid);

/*
 * Hands each polygon part of g (a polygon or a multipolygon; curved ones
 * stroked by GDAL) to fn, transformed into the target CRS; parts without
 * a vertex are passed over. AM_ERR_FORMAT naming feature fid for any
 * other geometry, a failed transform's error, or fn's.
 */
am_status am_polygon_layer_geometry(am_polygon_layer *pl, OGRGeometryH g,
                                    long long fid, am_polygon_part_fn fn,
                                    void *user);

#endif /* AM_POLYGON_LAYER_H */
