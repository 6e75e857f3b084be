/*
 * error.h: accessim's result codes and error context.
 *
 * Every fallible function in accessim returns an am_status and writes its
 * results through out-params. When it fails it may fill an am_error (a
 * context object owned by the caller, never a global) with where the problem
 * is (file, layer, feature, line:column) and what was wrong, so that the CLI
 * can print one clear line. Library code never prints, exits or aborts.
 *
 * Thread safety: an am_error must not be shared between threads.
 * Allocation: none.
 */
#ifndef AM_ERROR_H
#define AM_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include <accessim.h> /* am_status, am_error and their public functions */

/*
 * Records an error: code, file (may be NULL) and a printf-style message.
 * Clears layer/feature/line/column. Accepts e == NULL (then only returns
 * code). Returns code, so that `return am_error_set(...)` reads naturally.
 */
am_status am_error_set(am_error *e, am_status code, const char *file,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The same with a va_list, for callers' own printf-style helpers. */
am_status am_error_setv(am_error *e, am_status code, const char *file,
                        const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Adds location details to an error already set. Each accepts e == NULL. */
void am_error_set_layer(am_error *e, const char *layer);
void am_error_set_feature(am_error *e, long long feature);
void am_error_set_line(am_error *e, long line, long column);

/*
 * strerror() for a failed write, sync or close of an output: the same
 * text, except that EFBIG says what it means here: EFBIG
 * (the process's file size limit, `ulimit -f`: the CLI ignores SIGXFSZ so
 * that such a write fails with EFBIG instead of killing the run) reads
 * "file size limit exceeded (ulimit -f, ...)". A static string; thread-safe
 * for those, strerror's rules otherwise.
 */
const char *am_write_strerror(int errnum);

#endif /* AM_ERROR_H */
