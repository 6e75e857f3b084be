/*
 * gdal_util.c: see gdal_util.h.
 */
#include "inputs/gdal_util.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
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
    CPLErrorReset();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(path, flags, NULL, NULL, NULL);
    CPLPopErrorHandler();
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
