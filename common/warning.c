/*
 * warning.c: the warnings channel (see warning.h).
 */
#include "common/warning.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

void am_warnings_init(am_warnings *w, am_warning_fn fn, void *user)
{
    memset(w, 0, sizeof *w);
    w->fn = fn;
    w->user = user;
}

void am_warnings_clear(am_warnings *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++)
        am_free(w->msg[i]);
    am_free(w->msg);
    w->msg = NULL;
    w->n = w->cap = w->count = 0;
}

void am_warn(am_warnings *w, const char *fmt, ...)
{
    if (w == NULL)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    w->count++;
    if (w->fn != NULL)
        w->fn(buf, w->user);
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        char **m = am_realloc_array(w->msg, cap, sizeof *m);
        if (m == NULL)
            return;
        w->msg = m;
        w->cap = cap;
    }
    size_t len = strlen(buf) + 1;
    char *copy = am_malloc(len);
    if (copy == NULL)
        return;
    memcpy(copy, buf, len);
    w->msg[w->n++] = copy;
}
