/*
 * h5_errors.c: HDF5's error stack in our words (h5_errors.h).
 */
#include "outputs/h5_errors.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t no_plugins_once = PTHREAD_ONCE_INIT;

static void no_plugins(void)
{
    /* issue 13: we write and read with HDF5's own filters only (shuffle,
     * deflate); a file naming another filter must not make HDF5 load a
     * shared library from HDF5_PLUGIN_PATH or its default folder */
    H5PLset_loading_state(0);
}

void am_h5_no_plugins(void)
{
    pthread_once(&no_plugins_once, no_plugins);
}

void am_h5_quiet_begin(am_h5_quiet *q)
{
    am_h5_no_plugins();
    q->saved = H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void am_h5_quiet_end(const am_h5_quiet *q)
{
    if (q->saved)
        H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    am_h5_errmsg *w = data;
    const char *d = (e->desc != NULL) ? e->desc : "";
    if (n == 0)
        snprintf(w->top, sizeof w->top, "%s", d);
    snprintf(w->deepest, sizeof w->deepest, "%s", d);
    return 0;
}

/*
 * One line of text from an HDF5 error description, in place: the sec2
 * driver's "file write failed: time = <ctime>\n, filename = ..., errno =
 * 28, error message = 'No space left on device', ..." becomes the quoted
 * system message; anything else has its control characters made spaces.
 */
static void one_line(char *d)
{
    const char *key = "error message = '";
    char *m = strstr(d, key);
    if (m != NULL) {
        m += strlen(key);
        char *end = strchr(m, '\'');
        if (end != NULL) {
            size_t n = (size_t)(end - m);
            memmove(d, m, n);
            d[n] = '\0';
        }
    }
    for (char *p = d; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

void am_h5_error_take(am_h5_errmsg *m)
{
    m->top[0] = m->deepest[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, m);
    H5Eclear2(H5E_DEFAULT);
    one_line(m->top);
    one_line(m->deepest);
}
