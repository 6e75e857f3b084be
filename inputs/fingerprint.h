/*
 * fingerprint.h: SHA-256 and size of an input, recorded in every output so
 * that a result names exactly the data that produced it.
 * Reads the whole file once; thread-safe; allocates a read buffer.
 */
#ifndef AM_FINGERPRINT_H
#define AM_FINGERPRINT_H

#include "common/error.h"

/*
 * SHA-256 (64 lower-case hex digits and a NUL) and size of the bytes GDAL
 * reads at path: any GDAL path works (/vsigzip/, /vsizip/, ...; for those
 * it is the content as read). AM_ERR_IO naming the path.
 */
am_status am_input_fingerprint(const char *path, char hex[65],
                               long long *size_bytes, am_error *err);

#endif /* AM_FINGERPRINT_H */
