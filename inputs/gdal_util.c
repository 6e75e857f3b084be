/*
 * gdal_util.c: see gdal_util.h.
 */
/* MAP_ANONYMOUS and MAP_NORESERVE are not in POSIX 2008. */
#define _DEFAULT_SOURCE
#include "inputs/gdal_util.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/file_check.h"

static pthread_once_t am_gdal_once = PTHREAD_ONCE_INIT;

static void am_gdal_register(void)
{
    GDALAllRegister();
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

am_status am_gdal_open(const char *path, int want_vector, GDALDatasetH *out,
                       am_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return am_error_set(err, AM_ERR_IO, NULL, "no file name given");
    am_gdal_init();

    /* missing, or a FIFO/device that would block GDAL's open forever */
    am_status rc = am_file_check_input(path, 1, err);
    if (rc != AM_OK)
        return rc;
    struct stat st;
    if (!am_path_is_virtual(path) && stat(path, &st) == 0 &&
        S_ISDIR(st.st_mode) && !want_vector)
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "is a directory, not a raster file");

    unsigned flags = GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR |
                     (want_vector ? GDAL_OF_VECTOR : GDAL_OF_RASTER);
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    GDALDatasetH ds = GDALOpenEx(path, flags, NULL, NULL, NULL);
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
                            want_vector ? "vector" : "raster", ge.first);
    if (ds == NULL) {
        const char *why = am_gdal_last_message();
        return am_error_set(
            err, AM_ERR_FORMAT, path, "not a %s dataset that GDAL can read%s%s",
            want_vector ? "vector" : "raster", why[0] != '\0' ? ": " : "", why);
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
