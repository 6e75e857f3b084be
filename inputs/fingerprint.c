/*
 * fingerprint.c: input fingerprints through GDAL's virtual file layer (see
 * fingerprint.h), so that whatever path GDAL reads can be fingerprinted.
 */
#include "inputs/fingerprint.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <errno.h>
#include <string.h>

#include "common/file_check.h"
#include "common/sha256.h"
#include "inputs/gdal_util.h"

am_status am_input_fingerprint(const char *path, char hex[65],
                               long long *size_bytes, am_error *err)
{
    hex[0] = '\0';
    *size_bytes = 0;
    am_gdal_init();
    /* a FIFO or device would block or never end */
    am_status rc = am_file_check_input(path, 1, err);
    if (rc != AM_OK)
        return rc;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    VSILFILE *f = VSIFOpenL(path, "rb");
    CPLPopErrorHandler();
    if (f == NULL)
        return am_error_set(err, AM_ERR_IO, path,
                            "cannot open to fingerprint: %s",
                            errno != 0 ? strerror(errno) : "unreadable");
    am_sha256 c;
    am_sha256_init(&c);
    static const size_t chunk = 1 << 16;
    unsigned char *buf = CPLMalloc(chunk);
    size_t k;
    long long total = 0;
    while ((k = VSIFReadL(buf, 1, chunk, f)) > 0) {
        am_sha256_update(&c, buf, k);
        total += (long long)k;
    }
    int bad = !VSIFEofL(f);
    CPLFree(buf);
    VSIFCloseL(f);
    if (bad)
        return am_error_set(err, AM_ERR_IO, path, "read error");
    uint8_t digest[32];
    am_sha256_final(&c, digest);
    am_sha256_hex(digest, hex);
    *size_bytes = total;
    return AM_OK;
}
