/*
 * warning.h: non-fatal findings a run reports without stopping (damaged
 * features skipped where the user allowed it, implausible cell values,
 * ...). The library never prints: modules record a warning on the run's
 * am_warnings, which forwards each message to the caller's callback (the
 * CLI prints "accessim: warning: ..." on stderr) and keeps a copy so that
 * the summary and the output file can list them.
 *
 * Thread safety: an am_warnings must not be shared between threads; record
 * warnings from the calling thread only, outside parallel regions.
 * Allocation: am_warn copies the message (on failure it is only counted).
 */
#ifndef AM_WARNING_H
#define AM_WARNING_H

#include <stddef.h>

#include <accessim.h> /* am_warning_fn */

typedef struct am_warnings {
    am_warning_fn fn; /* may be NULL */
    void *user;
    char **msg; /* [n] owned copies; may hold fewer than count on NOMEM */
    size_t n;
    size_t cap;
    size_t count; /* warnings recorded, including those not kept */
} am_warnings;

/* An empty list forwarding to fn (may be NULL). No allocation. */
void am_warnings_init(am_warnings *w, am_warning_fn fn, void *user);

/* Frees the kept copies; w stays usable (empty). Accepts NULL. */
void am_warnings_clear(am_warnings *w);

/* Records one warning (printf-style). Accepts w == NULL (then a no-op). */
void am_warn(am_warnings *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* AM_WARNING_H */
