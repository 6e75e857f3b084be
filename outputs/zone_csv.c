/*
 * zone_csv.c: the per-zone results table (see zone_csv.h).
 */
#include "outputs/zone_csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/atomic_file.h"

#define FLUSH_BYTES (1u << 20)

char *am_zone_csv_number(double v, char *buf)
{
    if (isnan(v))
        return strcpy(buf, "NaN");
    if (isinf(v))
        return strcpy(buf, v > 0 ? "Inf" : "-Inf");
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

typedef struct out_buf {
    am_atomic_file f;
    char *b;
    size_t n, cap;
} out_buf;

static am_status flush(out_buf *o, am_error *err)
{
    am_status rc = am_atomic_write(&o->f, o->b, o->n, err);
    o->n = 0;
    return rc;
}

/* Appends s (quoted when it needs to be) and then `end`. */
static am_status put(out_buf *o, const char *s, int quote_check, char end,
                     am_error *err)
{
    size_t len = strlen(s);
    int quote = 0;
    if (quote_check)
        quote = strpbrk(s, ",\"\r\n") != NULL ||
                (len > 0 && (s[0] == ' ' || s[len - 1] == ' ' || s[0] == '\t' ||
                             s[len - 1] == '\t'));
    if (o->n + 2 * len + 4 > o->cap) {
        am_status rc = flush(o, err);
        if (rc != AM_OK)
            return rc;
        if (2 * len + 4 > o->cap) { /* one long id */
            char *nb = am_realloc(o->b, 2 * len + 4);
            if (nb == NULL)
                return am_error_set(err, AM_ERR_NOMEM, o->f.final_path,
                                    "out of memory");
            o->b = nb;
            o->cap = 2 * len + 4;
        }
    }
    if (quote)
        o->b[o->n++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (quote && s[i] == '"')
            o->b[o->n++] = '"';
        o->b[o->n++] = s[i];
    }
    if (quote)
        o->b[o->n++] = '"';
    o->b[o->n++] = end;
    return AM_OK;
}

am_status am_zone_csv_write(const char *path, const am_file_guard *protect,
                            const char *id_name, int32_t n_rows,
                            const char *const *ids, int n_cols,
                            const char *const *names,
                            const double *const *values, am_error *err)
{
    out_buf o;
    memset(&o, 0, sizeof o);
    am_status rc = am_atomic_open(path, &o.f, err);
    if (rc != AM_OK)
        goto done;
    o.f.protect = protect;
    if ((rc = am_file_guard_check(protect, path, err)) != AM_OK)
        goto done;
    o.b = am_malloc(FLUSH_BYTES);
    o.cap = FLUSH_BYTES;
    if (o.b == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    rc = put(&o, id_name, 1, n_cols > 0 ? ',' : '\n', err);
    for (int k = 0; k < n_cols && rc == AM_OK; k++)
        rc = put(&o, names[k], 1, k + 1 < n_cols ? ',' : '\n', err);
    for (int32_t i = 0; i < n_rows && rc == AM_OK; i++) {
        rc = put(&o, ids[i], 1, n_cols > 0 ? ',' : '\n', err);
        for (int k = 0; k < n_cols && rc == AM_OK; k++) {
            char num[32];
            rc = put(&o, am_zone_csv_number(values[k][i], num), 0,
                     k + 1 < n_cols ? ',' : '\n', err);
        }
    }
    if (rc == AM_OK)
        rc = flush(&o, err);
    if (rc == AM_OK) {
        rc = am_atomic_commit(&o.f, err);
        goto done_closed;
    }
done:
    am_atomic_discard(&o.f);
    am_atomic_close(&o.f);
done_closed:
    am_free(o.b);
    return rc;
}
