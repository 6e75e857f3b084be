/*
 * fuzz_util.h: what every libFuzzer harness of tests/fuzz shares.
 *
 * Harnesses call the project's real readers. Some of those read only from
 * a path (GDAL datasets, our own files): fuzz_write_file puts the input's
 * bytes in a file of a per-process folder (created on first use under
 * $TMPDIR or /tmp, removed at exit; several libFuzzer jobs never share
 * one), and the harness unlinks the file after the call. fuzz_check_error
 * holds every refusal to the library's contract: a code that is not
 * AM_OK comes with a message (docs/fuzzing.md).
 *
 * Header-only (static functions), so that each harness stays one file.
 * Not thread-safe: libFuzzer calls a harness from one thread.
 */
#ifndef AM_FUZZ_UTIL_H
#define AM_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <accessim.h>

#include "common/alloc.h"

static char fuzz_dir_path[512];

static inline void fuzz_dir_remove(void)
{
    if (fuzz_dir_path[0] != '\0')
        rmdir(fuzz_dir_path); /* fails harmlessly if a file was left */
}

/* The per-process scratch folder (created on first call); aborts when it
 * cannot be made: a harness without its folder tests nothing. */
static inline const char *fuzz_dir(void)
{
    if (fuzz_dir_path[0] != '\0')
        return fuzz_dir_path;
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/am-fuzz-XXXXXX", tmp);
    if (mkdtemp(fuzz_dir_path) == NULL) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_dir_remove);
    return fuzz_dir_path;
}

/*
 * Writes data[0 .. size-1] to the file `name` in the scratch folder and its
 * path into path (n bytes). Aborts on failure (a full disk is not a finding
 * of the code under test). The caller unlinks the file.
 */
static inline void fuzz_write_file(const char *name, const uint8_t *data,
                                   size_t size, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", fuzz_dir(), name);
    FILE *fp = fopen(path, "wb");
    if (fp == NULL || (size > 0 && fwrite(data, 1, size, fp) != size) ||
        fclose(fp) != 0) {
        perror("fuzz: writing the input file");
        abort();
    }
}

/* data as a NUL-terminated string (am_free it); an embedded NUL ends it
 * early, as it would for a reader of C strings. Aborts when out of
 * memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = am_malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Every refusal carries its code and a message: a failing call that left
 * err empty would give the user a blank line. */
static inline void fuzz_check_error(am_status rc, const am_error *err)
{
    if (rc == AM_OK)
        return;
    if (err->code != rc || err->msg[0] == '\0') {
        fprintf(stderr,
                "fuzz: status %d (%s) with error code %d and message "
                "'%s'\n",
                (int)rc, am_status_name(rc), (int)err->code, err->msg);
        abort();
    }
}

#endif /* AM_FUZZ_UTIL_H */
