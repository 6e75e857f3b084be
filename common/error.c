/*
 * error.c: the error context (see error.h).
 */
#include "common/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_str(char *dst, size_t n, const char *src)
{
    if (src == NULL) {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, n, "%s", src);
}

void am_error_clear(am_error *e)
{
    if (e == NULL)
        return;
    e->code = AM_OK;
    e->file[0] = '\0';
    e->layer[0] = '\0';
    e->feature = -1;
    e->line = -1;
    e->column = -1;
    e->msg[0] = '\0';
}

am_status am_error_setv(am_error *e, am_status code, const char *file,
                        const char *fmt, va_list ap)
{
    if (e == NULL)
        return code;
    am_error_clear(e);
    e->code = code;
    copy_str(e->file, sizeof e->file, file);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return code;
}

am_status am_error_set(am_error *e, am_status code, const char *file,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    am_error_setv(e, code, file, fmt, ap);
    va_end(ap);
    return code;
}

void am_error_set_layer(am_error *e, const char *layer)
{
    if (e != NULL)
        copy_str(e->layer, sizeof e->layer, layer);
}

void am_error_set_feature(am_error *e, long long feature)
{
    if (e != NULL)
        e->feature = feature;
}

void am_error_set_line(am_error *e, long line, long column)
{
    if (e != NULL) {
        e->line = line;
        e->column = column;
    }
}

const char *am_status_name(am_status code)
{
    switch (code) {
    case AM_OK:
        return "ok";
    case AM_ERR_NOMEM:
        return "out of memory";
    case AM_ERR_IO:
        return "i/o error";
    case AM_ERR_FORMAT:
        return "format error";
    case AM_ERR_INVALID:
        return "invalid value";
    case AM_ERR_CRS:
        return "coordinate reference system error";
    case AM_ERR_EMPTY:
        return "empty input";
    case AM_ERR_NO_OVERLAP:
        return "inputs do not overlap";
    case AM_ERR_SCENARIO:
        return "scenario error";
    case AM_ERR_USAGE:
        return "usage error";
    case AM_ERR_CANCELLED:
        return "cancelled";
    case AM_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown error";
}

char *am_error_format(const am_error *e, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = '\0';
    if (e == NULL)
        return buf;
    size_t used = 0;
#define AM_APPEND(...)                                                         \
    do {                                                                       \
        if (used < n) {                                                        \
            int k_ = snprintf(buf + used, n - used, __VA_ARGS__);              \
            if (k_ > 0)                                                        \
                used += (size_t)k_;                                            \
        }                                                                      \
    } while (0)
    if (e->file[0] != '\0')
        AM_APPEND("%s: ", e->file);
    if (e->layer[0] != '\0')
        AM_APPEND("layer '%s': ", e->layer);
    if (e->feature >= 0)
        AM_APPEND("feature %lld: ", e->feature);
    if (e->line > 0) {
        if (e->column > 0)
            AM_APPEND("line %ld:%ld: ", e->line, e->column);
        else
            AM_APPEND("line %ld: ", e->line);
    }
    if (e->msg[0] != '\0')
        AM_APPEND("%s", e->msg);
    else
        AM_APPEND("%s", am_status_name(e->code));
#undef AM_APPEND
    return buf;
}

const char *am_write_strerror(int errnum)
{
    if (errnum == EFBIG)
        return "file size limit exceeded (ulimit -f, or the largest file "
               "the file system allows)";
    return strerror(errnum);
}
