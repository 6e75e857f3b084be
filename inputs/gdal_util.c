/*
 * gdal_util.c: see gdal_util.h.
 */
/* MAP_ANONYMOUS and MAP_NORESERVE are not in POSIX 2008. */
#define _DEFAULT_SOURCE
#include "inputs/gdal_util.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_minixml.h>
#include <cpl_string.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/file_check.h"

static pthread_once_t am_gdal_once = PTHREAD_ONCE_INIT;

static void am_gdal_register(void)
{
    /* issue 13, no surprise access: set before any driver is registered
     * or any VRT opened, over whatever the environment says */
    CPLSetConfigOption("GDAL_DRIVER_PATH", "disable");
    CPLSetConfigOption("GDAL_VRT_ENABLE_PYTHON", "NO");
    CPLSetConfigOption("GDAL_VRT_ENABLE_RAWRASTERBAND", "NO");
    OSRSetPROJEnableNetwork(0);
    GDALAllRegister();
}

static const char *const drivers_raster[] = {
    "GTiff", "VRT",    "HFA",  "AAIGrid", "EHdr",
    "ENVI",  "netCDF", "GPKG", "XYZ",     NULL};
#define AM_VECTOR_DRIVERS                                                      \
    "OSM", "GPKG", "SQLite", "ESRI Shapefile", "FlatGeobuf", "GeoJSON",        \
        "GeoJSONSeq", "ESRIJSON", "TopoJSON", "OpenFileGDB", "GML", "KML",     \
        "LIBKML", "MapInfo File", "Parquet", "Arrow", "OGR_VRT", "CSV"
static const char *const drivers_vector[] = {AM_VECTOR_DRIVERS, NULL};
static const char *const drivers_table[] = {AM_VECTOR_DRIVERS, "XLSX", "ODS",
                                            NULL};

const char *const *am_gdal_drivers(am_gdal_kind kind)
{
    return kind == AM_GDAL_RASTER   ? drivers_raster
           : kind == AM_GDAL_VECTOR ? drivers_vector
                                    : drivers_table;
}

static atomic_llong limit_cells = AM_LIMIT_RASTER_CELLS_DEFAULT;
static atomic_llong limit_roads = AM_LIMIT_ROAD_FEATURES_DEFAULT;
static atomic_llong limit_facilities = AM_LIMIT_FACILITIES_DEFAULT;

void am_input_limits_set(const am_input_limits *l)
{
    atomic_store(&limit_cells, l != NULL && l->raster_cells > 0
                                   ? l->raster_cells
                                   : AM_LIMIT_RASTER_CELLS_DEFAULT);
    atomic_store(&limit_roads, l != NULL && l->road_features > 0
                                   ? l->road_features
                                   : AM_LIMIT_ROAD_FEATURES_DEFAULT);
    atomic_store(&limit_facilities, l != NULL && l->facilities > 0
                                        ? l->facilities
                                        : AM_LIMIT_FACILITIES_DEFAULT);
}

am_input_limits am_input_limits_get(void)
{
    am_input_limits l = {atomic_load(&limit_cells), atomic_load(&limit_roads),
                         atomic_load(&limit_facilities)};
    return l;
}

void am_gdal_init(void)
{
    pthread_once(&am_gdal_once, am_gdal_register);
}

const char *am_gdal_last_message(void)
{
    const char *m = CPLGetLastErrorMsg();
    return m != NULL ? m : "";
}

static void CPL_STDCALL capture_handler(CPLErr cls, CPLErrorNum no,
                                        const char *msg)
{
    am_gdal_errors *e = CPLGetErrorHandlerUserData();
    if (e == NULL)
        return;
    if (cls < CE_Failure) {
        if (cls == CE_Debug && e->on_debug != NULL && msg != NULL)
            e->on_debug(msg, e->debug_user);
        if (cls == CE_Warning)
            e->n_warnings++;
        return;
    }
    if (msg == NULL)
        msg = "";
    if (e->n_failures++ == 0)
        snprintf(e->first, sizeof e->first, "%s", msg);
    /* VSIMalloc*_VERBOSE say "cannot allocate"; others CPLE_OutOfMemory;
     * SQLite's SQLITE_NOMEM comes back as "out of memory". */
    if (no == CPLE_OutOfMemory || strstr(msg, "cannot allocate") != NULL ||
        strstr(msg, "Cannot allocate") != NULL ||
        strstr(msg, "out of memory") != NULL ||
        strstr(msg, "Out of memory") != NULL)
        e->oom = 1;
}

void am_gdal_capture_begin(am_gdal_errors *e)
{
    memset(e, 0, sizeof *e);
    CPLErrorReset();
    CPLPushErrorHandlerEx(capture_handler, e);
}

void am_gdal_capture_clear(am_gdal_errors *e)
{
    e->n_failures = 0;
    e->n_warnings = 0;
    e->oom = 0;
    e->first[0] = '\0';
}

void am_gdal_capture_end(am_gdal_errors *e)
{
    (void)e;
    CPLPopErrorHandler();
}

am_status am_gdal_read_failed(const am_gdal_errors *ge, const char *path,
                              const char *layer, const char *what,
                              long long fid, long long last_fid,
                              long long n_read, am_error *err)
{
    am_status rc;
    if (ge->oom)
        rc = am_error_set(err, AM_ERR_NOMEM, path,
                          "out of memory reading %s (GDAL: %s); raise the "
                          "memory limit (ulimit -v)",
                          what, ge->first);
    else if (fid >= 0)
        rc = am_error_set(err, AM_ERR_IO, path,
                          "feature cannot be read: the file is damaged or "
                          "truncated (GDAL: %s)",
                          ge->first);
    else if (n_read > 0)
        rc = am_error_set(err, AM_ERR_IO, path,
                          "reading stopped after %lld features (last FID "
                          "%lld): the file is damaged or truncated (GDAL: "
                          "%s)",
                          n_read, last_fid, ge->first);
    else
        rc = am_error_set(err, AM_ERR_IO, path,
                          "no feature could be read: the file is damaged or "
                          "truncated (GDAL: %s)",
                          ge->first);
    am_error_set_layer(err, layer);
    if (fid >= 0)
        am_error_set_feature(err, fid);
    return rc;
}

int am_gdal_address_space_ok(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    munmap(p, bytes);
    return 1;
}

static const char *kind_name(am_gdal_kind kind)
{
    return kind == AM_GDAL_RASTER ? "raster" : "vector";
}

/* The drivers of kind, comma-separated, for messages. */
static void drivers_text(am_gdal_kind kind, char *buf, size_t n)
{
    const char *const *d = am_gdal_drivers(kind);
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; d[i] != NULL && k + 1 < n; i++) {
        int w = snprintf(buf + k, n - k, "%s%s", i > 0 ? ", " : "", d[i]);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

/*
 * A file that kind's drivers do not recognise: which driver of another
 * kind would (GDAL's long name), or NULL. Identifies only (no open).
 */
static const char *other_driver(const char *path)
{
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    GDALDriverH d = GDALIdentifyDriverEx(path, 0, NULL, NULL);
    am_gdal_capture_end(&ge);
    if (d == NULL)
        return NULL;
    const char *name = GDALGetDriverLongName(d);
    return name != NULL && name[0] != '\0' ? name : GDALGetDriverShortName(d);
}

#define AM_VRT_MAX_DEPTH 8

static am_status check_vrt(const char *path, am_gdal_kind kind, int depth,
                           am_error *err);

/* One source a VRT names (already resolved): a file of kind, whose own
 * sources are checked in turn when it is a VRT. */
static am_status check_vrt_source(const char *vrt, const char *src,
                                  am_gdal_kind kind, int depth, am_error *err)
{
    am_status rc = am_file_check_input(src, 1, err);
    if (rc != AM_OK) {
        char why[AM_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        return am_error_set(err, rc, vrt, "names the source '%s': %s", src,
                            why);
    }
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    unsigned kinds = kind == AM_GDAL_RASTER ? GDAL_OF_RASTER : GDAL_OF_VECTOR;
    GDALDriverH d =
        GDALIdentifyDriverEx(src, kinds, am_gdal_drivers(kind), NULL);
    am_gdal_capture_end(&ge);
    if (d == NULL) {
        char list[512];
        drivers_text(kind, list, sizeof list);
        const char *other = other_driver(src);
        return am_error_set(
            err, AM_ERR_FORMAT, vrt,
            "names the source '%s', which is not a %s file accessim reads "
            "(%s%s%s; a VRT's sources must be of the formats: %s)",
            src, kind_name(kind), other != NULL ? "GDAL sees a " : "",
            other != NULL ? other : "no driver recognises it",
            other != NULL ? " file" : "", list);
    }
    const char *dn = GDALGetDriverShortName(d);
    if (strcmp(dn, "VRT") == 0 || strcmp(dn, "OGR_VRT") == 0)
        return check_vrt(src, kind, depth + 1, err);
    return AM_OK;
}

/* The sources named anywhere below n (a VRT's XML), resolved as GDAL
 * does (relativeToVRT="1": against the VRT's folder). */
static am_status check_vrt_nodes(const char *vrt, const CPLXMLNode *n,
                                 am_gdal_kind kind, int depth, am_error *err)
{
    am_status rc = AM_OK;
    for (; rc == AM_OK && n != NULL; n = n->psNext) {
        if (n->eType != CXT_Element)
            continue;
        if (strcmp(n->pszValue, "VRTRasterBand") == 0 &&
            strcasecmp(CPLGetXMLValue(n, "subClass", ""), "VRTRawRasterBand") ==
                0)
            return am_error_set(err, AM_ERR_FORMAT, vrt,
                                "has a raw raster band (VRTRawRasterBand), "
                                "which reads any file's bytes as pixels: "
                                "accessim does not read those; convert the "
                                "raw file to GeoTIFF (gdal_translate)");
        if (strcmp(n->pszValue, "SourceFilename") == 0 ||
            strcmp(n->pszValue, "SrcDataSource") == 0 ||
            strcmp(n->pszValue, "SourceDataset") == 0) {
            const char *name = CPLGetXMLValue(n, NULL, "");
            const char *rel = CPLGetXMLValue(n, "relativeToVRT", "0");
            char *dir = CPLStrdup(CPLGetPath(vrt));
            char *file = CPLStrdup(atoi(rel) != 0 && CPLIsFilenameRelative(name)
                                       ? CPLProjectRelativeFilename(dir, name)
                                       : name);
            CPLFree(dir);
            rc = check_vrt_source(vrt, file, kind, depth, err);
            CPLFree(file);
            continue;
        }
        rc = check_vrt_nodes(vrt, n->psChild, kind, depth, err);
    }
    return rc;
}

/* Every source of the VRT at path is a file of kind (issue 13: a VRT may
 * not make accessim read /etc/passwd, a device or a URL as data). */
static am_status check_vrt(const char *path, am_gdal_kind kind, int depth,
                           am_error *err)
{
    if (depth > AM_VRT_MAX_DEPTH)
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "VRTs nested more than %d deep", AM_VRT_MAX_DEPTH);
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    CPLXMLNode *xml = CPLParseXMLFile(path);
    am_gdal_capture_end(&ge);
    if (xml == NULL)
        return AM_OK; /* GDAL's open says why */
    am_status rc = check_vrt_nodes(path, xml, kind, depth, err);
    CPLDestroyXMLNode(xml);
    return rc;
}

am_status am_gdal_open(const char *path, am_gdal_kind kind, GDALDatasetH *out,
                       am_error *err)
{
    const int want_vector = kind != AM_GDAL_RASTER;
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return am_error_set(err, AM_ERR_IO, NULL, "no file name given");
    am_gdal_init();

    /* missing, a network path not allowed, or a FIFO/device that would
     * block GDAL's open forever */
    am_status rc = am_file_check_input(path, 1, err);
    if (rc != AM_OK)
        return rc;
    struct stat st;
    if (!am_path_is_virtual(path) && stat(path, &st) == 0 &&
        S_ISDIR(st.st_mode) && !want_vector)
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "is a directory, not a raster file");

    const unsigned kinds = want_vector ? GDAL_OF_VECTOR : GDAL_OF_RASTER;
    const char *const *allowed = am_gdal_drivers(kind);
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    GDALDriverH drv = GDALIdentifyDriverEx(path, kinds, allowed, NULL);
    am_gdal_capture_end(&ge);
    const char *dn = drv != NULL ? GDALGetDriverShortName(drv) : "";
    if ((strcmp(dn, "VRT") == 0 || strcmp(dn, "OGR_VRT") == 0) &&
        (rc = check_vrt(path, kind, 0, err)) != AM_OK)
        return rc;

    unsigned flags = GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR | kinds;
    am_gdal_capture_begin(&ge);
    GDALDatasetH ds = GDALOpenEx(path, flags, allowed, NULL, NULL);
    am_gdal_capture_end(&ge);
    if (ds == NULL && ge.oom)
        return am_error_set(err, AM_ERR_NOMEM, path,
                            "out of memory while GDAL opened it: %s (raise "
                            "the memory limit, e.g. ulimit -v)",
                            ge.first);
    if (ds == NULL && ge.n_failures > 0 &&
        strstr(ge.first, "not recognized as") == NULL)
        /* A driver recognised the file and failed on it: damage, not a
         * wrong format. GDAL's first failure is the cause. */
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "GDAL cannot open it as a %s dataset: %s",
                            kind_name(kind), ge.first);
    if (ds == NULL && drv == NULL) {
        /* no driver of this kind recognises it: say which one would */
        const char *other = other_driver(path);
        char list[512];
        drivers_text(kind, list, sizeof list);
        if (other != NULL)
            return am_error_set(err, AM_ERR_FORMAT, path,
                                "is a %s file, which accessim does not read "
                                "as a %s input (formats read: %s)",
                                other, kind_name(kind), list);
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "not a %s dataset that GDAL can read: no driver "
                            "recognises it (formats read: %s)",
                            kind_name(kind), list);
    }
    if (ds == NULL) {
        const char *why = am_gdal_last_message();
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "not a %s dataset that GDAL can read%s%s",
                            kind_name(kind), why[0] != '\0' ? ": " : "", why);
    }
    if (!want_vector) {
        const int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
        const long long cells = (long long)nx * (long long)ny;
        const long long cap = (long long)am_input_limits_get().raster_cells;
        if (cells > cap) {
            GDALClose(ds);
            return am_error_set(err, AM_ERR_INVALID, path,
                                "raster of %d x %d = %lld cells: more than "
                                "the limit of %lld cells (raise it with "
                                "'limits: {raster_cells: N}' in the "
                                "scenario)",
                                nx, ny, cells, cap);
        }
    }
    *out = ds;
    return AM_OK;
}

am_status am_gdal_srs_wkt(OGRSpatialReferenceH srs, const char *path,
                          const char *what, char **wkt_out, am_error *err)
{
    *wkt_out = NULL;
    if (srs == NULL)
        return am_error_set(err, AM_ERR_CRS, path,
                            "%s has no coordinate reference system; assign "
                            "one (e.g. gdal_edit.py -a_srs / ogr2ogr -a_srs)",
                            what);
    const char *opts[] = {"FORMAT=WKT2_2018", NULL};
    char *wkt = NULL;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRErr e = OSRExportToWktEx(srs, &wkt, opts);
    CPLPopErrorHandler();
    if (e != OGRERR_NONE || wkt == NULL || wkt[0] == '\0') {
        CPLFree(wkt);
        return am_error_set(err, AM_ERR_CRS, path,
                            "%s: cannot export its coordinate reference "
                            "system",
                            what);
    }
    *wkt_out = wkt;
    return AM_OK;
}

am_status am_gdal_pick_layer(GDALDatasetH ds, const char *path,
                             const char *name, OGRLayerH *out, am_error *err)
{
    int nl = GDALDatasetGetLayerCount(ds);
    *out = name != NULL ? GDALDatasetGetLayerByName(ds, name)
           : nl > 0     ? GDALDatasetGetLayer(ds, 0)
                        : NULL;
    if (*out != NULL)
        return AM_OK;
    if (nl == 0)
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "no vector layer in this file");
    char names[AM_ERROR_MSG_MAX / 2];
    size_t k = 0;
    names[0] = '\0';
    for (int i = 0; i < nl && k + 1 < sizeof names; i++) {
        const char *nm = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
        int w = snprintf(names + k, sizeof names - k, "%s'%s'",
                         i > 0 ? ", " : "", nm != NULL ? nm : "");
        if (w < 0)
            break;
        k += (size_t)w;
    }
    am_status rc =
        am_error_set(err, AM_ERR_FORMAT, path,
                     "no layer '%s' (layers in the file: %s)", name, names);
    am_error_set_layer(err, name);
    return rc;
}
