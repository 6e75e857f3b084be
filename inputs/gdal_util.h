/*
 * gdal_util.h: the boundary between GDAL and accessim's errors.
 *
 * Opens datasets with GDAL's own messages silenced (the library never
 * prints) and turns failures into one am_error naming the file and what is
 * wrong ("no such file", "not a raster", ...). Only inputs/ includes this.
 */
#ifndef AM_GDAL_UTIL_H
#define AM_GDAL_UTIL_H

#include <gdal.h>
#include <ogr_srs_api.h>

#include "common/error.h"

/* GDALAllRegister once per process. Thread-safe. */
void am_gdal_init(void);

/*
 * Opens path read-only as a vector (want_vector) or raster source.
 * AM_ERR_IO when the file does not exist or cannot be read, AM_ERR_FORMAT
 * when GDAL cannot open it as that kind ("not a vector dataset (GDAL
 * could not recognise it: ...)"). *out must be closed with GDALClose.
 */
am_status am_gdal_open(const char *path, int want_vector, GDALDatasetH *out,
                       am_error *err);

/*
 * WKT2 of srs as a heap string (free with CPLFree). NULL srs or an
 * export failure: AM_ERR_CRS naming `path` and `what` ("layer 'lines'",
 * "raster").
 */
am_status am_gdal_srs_wkt(OGRSpatialReferenceH srs, const char *path,
                          const char *what, char **wkt_out, am_error *err);

/*
 * The layer called `name` in ds, or its first layer when name is NULL.
 * AM_ERR_FORMAT naming path: no vector layer at all, or no layer `name`
 * (the message lists the layers there are; err's layer is set to name).
 */
am_status am_gdal_pick_layer(GDALDatasetH ds, const char *path,
                             const char *name, OGRLayerH *out, am_error *err);

/* GDAL's last error message for this thread, or "" (never NULL). */
const char *am_gdal_last_message(void);

#endif /* AM_GDAL_UTIL_H */
