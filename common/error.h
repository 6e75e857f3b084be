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

typedef enum am_status {
    AM_OK = 0,
    AM_ERR_NOMEM,      /* out of memory */
    AM_ERR_IO,         /* cannot open, read or write a file */
    AM_ERR_FORMAT,     /* file is not of the expected kind or is malformed */
    AM_ERR_INVALID,    /* a value is out of range (negative capacity, ...) */
    AM_ERR_CRS,        /* missing or unusable coordinate reference system */
    AM_ERR_EMPTY,      /* nothing to work on (empty layer, zero facilities) */
    AM_ERR_NO_OVERLAP, /* inputs do not overlap in space */
    AM_ERR_SCENARIO,   /* scenario file error (unknown key, bad type, ...) */
    AM_ERR_USAGE,      /* command-line misuse */
    AM_ERR_CANCELLED,  /* a progress callback asked to stop */
    AM_ERR_INTERNAL    /* a broken invariant: a bug in accessim */
} am_status;

#define AM_ERROR_FILE_MAX 1024
#define AM_ERROR_LAYER_MAX 256
#define AM_ERROR_MSG_MAX 1024

/* Where and what. Unknown fields are empty strings or -1. */
typedef struct am_error {
    am_status code;
    char file[AM_ERROR_FILE_MAX];   /* path of the offending input */
    char layer[AM_ERROR_LAYER_MAX]; /* layer or band, if any */
    long long feature;              /* feature id (FID) or cell, -1 if n/a */
    long line;                      /* 1-based line in a text file, -1 n/a */
    long column;                    /* 1-based column, -1 if n/a */
    char msg[AM_ERROR_MSG_MAX];     /* what was wrong, with a hint */
} am_error;

/* Resets e to "no error". Accepts NULL. */
void am_error_clear(am_error *e);

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

/* A short stable name for a code ("io", "format", ...). Never NULL. */
const char *am_status_name(am_status code);

/*
 * Formats e as one line: "FILE: layer 'L': feature F: line N:C: MESSAGE".
 * Parts that are unknown are left out. Writes at most n bytes including the
 * terminating NUL; returns buf.
 */
char *am_error_format(const am_error *e, char *buf, size_t n);

#endif /* AM_ERROR_H */
