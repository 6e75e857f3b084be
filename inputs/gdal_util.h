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
#include <stdint.h>

#include "common/error.h"
#include "inputs/input_limits.h"

/*
 * GDALAllRegister once per process, after setting GDAL's configuration
 * for no surprise access (issue 13; docs/scenario.md "Network and
 * formats"): no plugin drivers from GDAL_DRIVER_PATH (every driver we
 * read is built in), no Python in VRTs (GDAL_VRT_ENABLE_PYTHON=NO), no
 * VRT raw raster bands (GDAL_VRT_ENABLE_RAWRASTERBAND=NO, for the GDAL
 * versions that know it; am_gdal_open refuses them itself as well: they
 * read any file's bytes as pixels), and PROJ's network access off for GDAL's
 * CRS work (OSRSetPROJEnableNetwork(0)), whatever the environment says.
 * Thread-safe.
 */
void am_gdal_init(void);

/*
 * What an input is, for the GDAL drivers that may open it (issue 13):
 * every other driver is refused, so that a file of another kind (an HTML
 * page named .tif, a raster where roads are expected, a VRT of
 * /etc/passwd) is never read as data. AM_GDAL_RASTER: GTiff (and COGs),
 * VRT, HFA, AAIGrid, EHdr, ENVI, netCDF, GPKG, XYZ. AM_GDAL_VECTOR: OSM,
 * GPKG, SQLite, ESRI Shapefile, FlatGeobuf, GeoJSON, GeoJSONSeq,
 * ESRIJSON, TopoJSON, OpenFileGDB, GML, KML, LIBKML, MapInfo File, Parquet,
 * Arrow, OGR_VRT, CSV (a WKT column, or none). AM_GDAL_TABLE (facilities,
 * candidates): those and XLSX, ODS.
 */
typedef enum am_gdal_kind {
    AM_GDAL_RASTER = 0,
    AM_GDAL_VECTOR = 1,
    AM_GDAL_TABLE = 2
} am_gdal_kind;

/* The drivers of kind as a NULL-terminated list (static). */
const char *const *am_gdal_drivers(am_gdal_kind kind);

/*
 * Opens path read-only as a source of `kind`, with that kind's drivers
 * only. AM_ERR_IO when the file does not exist or cannot be read, or is
 * a network location while that is not allowed (am_file_check_input);
 * AM_ERR_FORMAT when GDAL cannot open it as that kind ("not a vector
 * dataset (GDAL could not recognise it: ...)"), when only a driver of
 * another kind recognises it (naming it), when a VRT names a source that
 * is not a file of that kind (checked recursively before the VRT is
 * opened), or when a raster has more cells than the raster cell limit
 * (am_input_limits). *out must be closed with GDALClose.
 */
am_status am_gdal_open(const char *path, am_gdal_kind kind, GDALDatasetH *out,
                       am_error *err);

/* Limits users set: inputs/input_limits.h. */

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

/*
 * GDAL's errors captured while a read runs, instead of muted: GDAL
 * reports damage (a truncated Shapefile, a malformed GeoPackage page, a
 * PBF block that does not parse, a failed allocation) through its error
 * handler and often still hands back a feature, a NULL that looks like the
 * end of the layer, or CE_None. A loader brackets its reads with
 * am_gdal_capture_begin / am_gdal_capture_end and checks n_failures.
 *
 * Thread safety: GDAL's handler stack is per thread; capture on the thread
 * that calls GDAL and keep the struct alive until _end. Allocation: none.
 * Captures nest (each push is popped by its own _end).
 */
#define AM_GDAL_MSG_MAX 512
typedef struct am_gdal_errors {
    long n_failures;             /* CE_Failure and CE_Fatal messages */
    long n_warnings;             /* CE_Warning messages (not shown to users) */
    int oom;                     /* a failure was an allocation failure */
    char first[AM_GDAL_MSG_MAX]; /* the first failure's message, or "" */
    /* optional, set after _begin: called with each CE_Debug message that
       GDAL emits on this thread (only categories enabled by CPL_DEBUG) */
    void (*on_debug)(const char *msg, void *user);
    void *debug_user;
} am_gdal_errors;

/* Clears e and installs it as this thread's GDAL error handler (GDAL's
 * messages are not printed while it is installed). */
void am_gdal_capture_begin(am_gdal_errors *e);

/* Forgets what e captured so far (the handler stays installed). */
void am_gdal_capture_clear(am_gdal_errors *e);

/* Removes the handler installed by the matching _begin; e keeps what was
 * captured. */
void am_gdal_capture_end(am_gdal_errors *e);

/*
 * The error for a feature read that GDAL reported as failed (ge holds at
 * least one failure), naming path and layer: AM_ERR_NOMEM when GDAL ran
 * out of memory, else AM_ERR_IO "the file is damaged or truncated", with
 * GDAL's first message. fid >= 0: that feature came back unreadable (set
 * as err's feature); else the read stopped after n_read features, the last
 * with FID last_fid (-1 before any). `what` names the input ("roads").
 */
am_status am_gdal_read_failed(const am_gdal_errors *ge, const char *path,
                              const char *layer, const char *what,
                              long long fid, long long last_fid,
                              long long n_read, am_error *err);

/*
 * Whether `bytes` of address space can still be reserved (a probe that
 * maps and unmaps that much without touching it). 0 under a low
 * `ulimit -v` / RLIMIT_AS, or RLIMIT_DATA, where the reservation fails.
 * Used before code that cannot survive an allocation failure (GDAL's OSM
 * driver, see roads.c).
 */
int am_gdal_address_space_ok(size_t bytes);

#endif /* AM_GDAL_UTIL_H */
