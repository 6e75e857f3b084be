/*
 * sysinfo.c: see sysinfo.h.
 */
#include "engine/sysinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/sha256.h"

double am_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double am_peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

am_status am_file_fingerprint(const char *path, char hex[65],
                              int64_t *size_bytes, am_error *err)
{
    hex[0] = '\0';
    *size_bytes = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return am_error_set(err, AM_ERR_IO, path, "cannot open: %s",
                            strerror(errno));
    am_sha256 c;
    am_sha256_init(&c);
    unsigned char buf[1 << 16];
    size_t k;
    int64_t total = 0;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        am_sha256_update(&c, buf, k);
        total += (int64_t)k;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return am_error_set(err, AM_ERR_IO, path, "read error");
    uint8_t digest[32];
    am_sha256_final(&c, digest);
    am_sha256_hex(digest, hex);
    *size_bytes = total;
    return AM_OK;
}

void am_utc_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
