/*
 * matrix.c: origin-destination tables and zone tables from CSV text (see
 * matrix.h for the format, the rules and the mapping onto the kernels).
 *
 * The text is read through GDAL's virtual file layer (VSIFReadL; gzip
 * through /vsigzip/) in 1 MiB blocks and split into lines and fields in
 * place: one pass, no allocation per record. Ids are looked up in an
 * open-addressing hash table of each zone table (FNV-1a). The records
 * (origin, destination, time, line) are then put into catchment order by
 * two stable counting sorts (by origin, then by destination), so that a
 * pair listed twice ends up next to its twin in file order.
 */
#include "inputs/matrix.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cpl_error.h>
#include <cpl_vsi.h>

#include "common/alloc.h"
#include "common/file_check.h"
#include "common/numparse.h"
#include "common/units.h"
#include "inputs/gdal_util.h"

#define BLOCK_BYTES (1u << 20)
#define LINE_MAX_BYTES (1u << 20) /* one line of a table: far above any */
#define MAX_FIELDS 4096

/* ---- CSV lines ---------------------------------------------------------- */

typedef struct csv_reader {
    const char *path; /* for messages */
    VSILFILE *f;
    int gzip;
    char *buf;
    size_t cap, len, pos; /* buf[pos .. len) not yet consumed */
    int eof;
    long line; /* 1-based number of the line last returned */
    char sep;
    char *field[MAX_FIELDS];
    int n_fields;
    int header_done;
    long long size; /* bytes of the file (progress) */
    am_gdal_errors gerr;
    int capturing;
} csv_reader;

/*
 * A field as written, quoted for a message: the whole text up to
 * QUOTE_WHOLE bytes; a longer one as its first QUOTE_HEAD bytes, "..."
 * and its length, so that no message shows a value other than the file's
 * (never a converted number: "1440.00001" is not "1440") nor a shortened
 * one as if whole. buf: QUOTE_BUF bytes. Returns buf.
 */
#define QUOTE_WHOLE 80
#define QUOTE_HEAD 60
#define QUOTE_BUF (QUOTE_WHOLE + 48)
static const char *quoted(const char *s, char *buf)
{
    size_t n = strlen(s);
    if (n <= QUOTE_WHOLE)
        snprintf(buf, QUOTE_BUF, "'%s'", s);
    else
        snprintf(buf, QUOTE_BUF, "'%.*s...' (%zu bytes)", QUOTE_HEAD, s, n);
    return buf;
}

static void csv_close(csv_reader *r)
{
    if (r->f != NULL)
        VSIFCloseL(r->f);
    r->f = NULL;
    if (r->capturing)
        am_gdal_capture_end(&r->gerr);
    r->capturing = 0;
    am_free(r->buf);
    r->buf = NULL;
}

static am_status csv_open(csv_reader *r, const char *path, am_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->sep = ',';
    am_gdal_init();
    am_status rc = am_file_check_input(path, 0, err);
    if (rc != AM_OK)
        return rc;
    unsigned char magic[2] = {0, 0};
    CPLPushErrorHandler(CPLQuietErrorHandler);
    VSILFILE *probe = VSIFOpenL(path, "rb");
    size_t got = probe != NULL ? VSIFReadL(magic, 1, 2, probe) : 0;
    if (probe != NULL)
        VSIFCloseL(probe);
    CPLPopErrorHandler();
    if (probe == NULL)
        return am_error_set(err, AM_ERR_IO, path, "cannot open: %s",
                            am_gdal_last_message()[0] != '\0'
                                ? am_gdal_last_message()
                                : "unreadable");
    r->gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    struct stat st;
    if (stat(path, &st) == 0)
        r->size = (long long)st.st_size;
    char vpath[4200];
    if (snprintf(vpath, sizeof vpath, "%s%s", r->gzip ? "/vsigzip/" : "",
                 path) >= (int)sizeof vpath)
        return am_error_set(err, AM_ERR_IO, path, "path too long");
    r->buf = am_malloc(BLOCK_BYTES + 1);
    if (r->buf == NULL)
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    r->cap = BLOCK_BYTES;
    am_gdal_capture_begin(&r->gerr);
    r->capturing = 1;
    r->f = VSIFOpenL(vpath, "rb");
    if (r->f == NULL)
        return am_error_set(err, AM_ERR_IO, path, "cannot open%s%s",
                            r->gerr.first[0] != '\0' ? ": " : "",
                            r->gerr.first);
    return AM_OK;
}

/* Fills the buffer after moving the unread part to its front. */
static am_status csv_fill(csv_reader *r, am_error *err)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len == r->cap) {
        if (r->cap >= LINE_MAX_BYTES * 2) {
            am_error_set(err, AM_ERR_FORMAT, r->path,
                         "a line longer than %u bytes: not a table of "
                         "zones or travel times",
                         LINE_MAX_BYTES * 2);
            am_error_set_line(err, r->line + 1, -1);
            return AM_ERR_FORMAT;
        }
        char *nb = am_realloc(r->buf, r->cap * 2 + 1);
        if (nb == NULL)
            return am_error_set(err, AM_ERR_NOMEM, r->path, "out of memory");
        r->buf = nb;
        r->cap *= 2;
    }
    size_t want = r->cap - r->len;
    size_t got = VSIFReadL(r->buf + r->len, 1, want, r->f);
    r->len += got;
    if (r->gerr.n_failures > 0) {
        /* GDAL's gzip reader reports where in its own sources it failed
           ("In file ./port/cpl_vsil_gzip.cpp, at line 767, ..."): not for
           users. */
        const char *why = r->gerr.first;
        if (r->gzip && strncmp(why, "In file ", 8) == 0)
            why = "";
        am_error_set(err, AM_ERR_IO, r->path, "read error%s%s%s",
                     r->gzip ? " (damaged or truncated gzip data)" : "",
                     why[0] != '\0' ? ": " : "", why);
        am_error_set_line(err, r->line + 1, -1);
        return AM_ERR_IO;
    }
    if (got < want)
        r->eof = 1;
    return AM_OK;
}

/*
 * Splits the line s (NUL-terminated, without its end of line) into
 * r->field in place: quotes removed, unquoted fields trimmed.
 */
static am_status csv_split(csv_reader *r, char *s, am_error *err)
{
    r->n_fields = 0;
    char *p = s;
    for (;;) {
        if (r->n_fields == MAX_FIELDS) {
            am_error_set(err, AM_ERR_FORMAT, r->path,
                         "more than %d fields on a line", MAX_FIELDS);
            am_error_set_line(err, r->line, -1);
            return AM_ERR_FORMAT;
        }
        while (*p == ' ' || (*p == '\t' && r->sep != '\t'))
            p++;
        char *start = p, *end;
        if (*p == '"') {
            char *w = p;
            start = w;
            p++;
            for (;;) {
                if (*p == '\0') {
                    am_error_set(err, AM_ERR_FORMAT, r->path,
                                 "a quoted field is not closed on its line "
                                 "(fields may not span lines)");
                    am_error_set_line(err, r->line, (long)(start - s) + 1);
                    return AM_ERR_FORMAT;
                }
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            end = w;
            while (*p == ' ' || (*p == '\t' && r->sep != '\t'))
                p++;
            if (*p != '\0' && *p != r->sep) {
                am_error_set(err, AM_ERR_FORMAT, r->path,
                             "text after a closing quote");
                am_error_set_line(err, r->line, (long)(p - s) + 1);
                return AM_ERR_FORMAT;
            }
        } else {
            while (*p != '\0' && *p != r->sep)
                p++;
            end = p;
            while (end > start &&
                   (end[-1] == ' ' || (end[-1] == '\t' && r->sep != '\t')))
                end--;
        }
        char next = *p;
        *end = '\0';
        r->field[r->n_fields++] = start;
        if (next == '\0')
            break;
        p++;
    }
    return AM_OK;
}

/*
 * The next non-blank line, split; *got = 0 at the end of the file.
 */
static am_status csv_next(csv_reader *r, int *got, am_error *err)
{
    am_status rc = AM_OK;
    *got = 0;
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl == NULL && !r->eof) {
            if ((rc = csv_fill(r, err)) != AM_OK)
                return rc;
            continue;
        }
        if (nl == NULL && r->pos == r->len)
            return AM_OK; /* end of file */
        char *s = r->buf + r->pos;
        char *e = nl != NULL ? nl : r->buf + r->len;
        r->pos = (size_t)(e - r->buf) + (nl != NULL);
        r->line++;
        if (e > s && e[-1] == '\r')
            e--;
        *e = '\0'; /* buf has one byte beyond cap for the last line */
        if (r->line == 1 && (unsigned char)s[0] == 0xEF &&
            (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
            s += 3;
        if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
            am_error_set(err, AM_ERR_FORMAT, r->path,
                         "a NUL byte: not a text table");
            am_error_set_line(err, r->line, -1);
            return AM_ERR_FORMAT;
        }
        const char *b = s;
        while (*b == ' ' || *b == '\t')
            b++;
        if (*b == '\0')
            continue; /* blank line */
        if (!r->header_done) {
            /* the header: pick the separator */
            r->header_done = 1;
            if (strchr(s, ',') == NULL)
                r->sep = strchr(s, ';') != NULL    ? ';'
                         : strchr(s, '\t') != NULL ? '\t'
                                                   : ',';
        }
        if ((rc = csv_split(r, s, err)) != AM_OK)
            return rc;
        *got = 1;
        return AM_OK;
    }
}

/* Column indices of the header for the names asked. */
static am_status csv_header(csv_reader *r, int n_names,
                            const char *const *names, const char *what,
                            int *col, am_error *err)
{
    int got = 0;
    am_status rc = csv_next(r, &got, err);
    if (rc != AM_OK)
        return rc;
    if (!got) {
        char list[512];
        size_t used = 0;
        list[0] = '\0';
        for (int k = 0; k < n_names; k++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     k ? ", " : "", names[k]);
        return am_error_set(err, AM_ERR_FORMAT, r->path,
                            "the %s table is empty (expected a header line "
                            "with the columns %s)",
                            what, list);
    }
    for (int k = 0; k < n_names; k++) {
        col[k] = -1;
        for (int c = 0; c < r->n_fields; c++) {
            if (strcmp(r->field[c], names[k]) != 0)
                continue;
            if (col[k] >= 0) {
                am_error_set(err, AM_ERR_FORMAT, r->path,
                             "the column '%s' appears twice in the header "
                             "(columns %d and %d)",
                             names[k], col[k] + 1, c + 1);
                am_error_set_line(err, r->line, -1);
                return AM_ERR_FORMAT;
            }
            col[k] = c;
        }
        if (col[k] < 0) {
            char list[600];
            size_t used = 0;
            list[0] = '\0';
            for (int c = 0; c < r->n_fields && used + 8 < sizeof list; c++) {
                char q[QUOTE_BUF];
                used +=
                    (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     c ? ", " : "", quoted(r->field[c], q));
            }
            if (used + 8 >= sizeof list)
                snprintf(list + sizeof list - 8, 8, ", ...");
            am_error_set(err, AM_ERR_FORMAT, r->path,
                         "no column '%s' in the %s table (its columns: %s)",
                         names[k], what, list);
            am_error_set_line(err, r->line, -1);
            return AM_ERR_FORMAT;
        }
    }
    return AM_OK;
}

/* Checks the field count of a data line against the header's. */
static am_status csv_width(const csv_reader *r, int header_fields,
                           am_error *err)
{
    if (r->n_fields == header_fields)
        return AM_OK;
    am_error_set(err, AM_ERR_FORMAT, r->path,
                 "%d field%s, the header has %d (a separator in an "
                 "unquoted id?)",
                 r->n_fields, r->n_fields == 1 ? "" : "s", header_fields);
    am_error_set_line(err, r->line, -1);
    return AM_ERR_FORMAT;
}

/* A number of column `name`: finite, decimal, >= 0. */
static am_status csv_value(const csv_reader *r, const char *s, const char *name,
                           double *out, am_error *err)
{
    const char *why = NULL;
    am_num_status ns = AM_NUM_OK;
    if (s[0] == '\0')
        why = "is empty";
    else if ((ns = am_parse_real(s, out)) == AM_NUM_RANGE)
        why = "is out of range for a number";
    else if (ns != AM_NUM_OK)
        why = "is not a number";
    else if (*out < 0.0)
        why = "is negative";
    if (why == NULL)
        return AM_OK;
    char q[QUOTE_BUF];
    am_error_set(err, AM_ERR_INVALID, r->path, "column '%s': %s %s", name,
                 quoted(s, q), why);
    am_error_set_line(err, r->line, -1);
    return AM_ERR_INVALID;
}

/* ---- zone tables -------------------------------------------------------- */

struct am_zone_table {
    int32_t n, cap;
    char *ids; /* id strings, NUL-terminated, back to back */
    size_t ids_len, ids_cap;
    int64_t *id_off;  /* [n] offsets into ids */
    double *value;    /* [n] */
    long *line;       /* [n] */
    int32_t *slot;    /* [n_slots] row + 1, 0 = empty */
    uint32_t n_slots; /* power of two */
};

static uint32_t hash_id(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int32_t am_zone_table_find(const am_zone_table *t, const char *id)
{
    uint32_t mask = t->n_slots - 1;
    for (uint32_t h = hash_id(id) & mask;; h = (h + 1) & mask) {
        int32_t v = t->slot[h];
        if (v == 0)
            return -1;
        if (strcmp(t->ids + t->id_off[v - 1], id) == 0)
            return v - 1;
    }
}

int32_t am_zone_table_count(const am_zone_table *t)
{
    return t->n;
}

const char *am_zone_table_id(const am_zone_table *t, int32_t i)
{
    return t->ids + t->id_off[i];
}

const double *am_zone_table_values(const am_zone_table *t)
{
    return t->value;
}

void am_zone_table_destroy(am_zone_table *t)
{
    if (t == NULL)
        return;
    am_free(t->ids);
    am_free(t->id_off);
    am_free(t->value);
    am_free(t->line);
    am_free(t->slot);
    am_free(t);
}

static am_status zone_add(am_zone_table *t, const char *id, double v, long line)
{
    if (t->n == t->cap) {
        int32_t nc = t->cap ? t->cap * 2 : 1024;
        int64_t *o = am_realloc(t->id_off, (size_t)nc * sizeof *o);
        if (o != NULL)
            t->id_off = o;
        double *vv = o ? am_realloc(t->value, (size_t)nc * sizeof *vv) : NULL;
        if (vv != NULL)
            t->value = vv;
        long *l = vv ? am_realloc(t->line, (size_t)nc * sizeof *l) : NULL;
        if (l == NULL)
            return AM_ERR_NOMEM;
        t->line = l;
        t->cap = nc;
    }
    size_t len = strlen(id) + 1;
    if (t->ids_len + len > t->ids_cap) {
        size_t nc = t->ids_cap ? t->ids_cap * 2 : 16384;
        while (nc < t->ids_len + len)
            nc *= 2;
        char *b = am_realloc(t->ids, nc);
        if (b == NULL)
            return AM_ERR_NOMEM;
        t->ids = b;
        t->ids_cap = nc;
    }
    memcpy(t->ids + t->ids_len, id, len);
    t->id_off[t->n] = (int64_t)t->ids_len;
    t->ids_len += len;
    t->value[t->n] = v;
    t->line[t->n] = line;
    t->n++;
    return AM_OK;
}

/* Builds the hash index; AM_ERR_INVALID naming both lines of a repeat. */
static am_status zone_index(am_zone_table *t, const char *path,
                            const char *what, am_error *err)
{
    uint32_t n_slots = 16;
    while (n_slots < (uint32_t)t->n * 2u)
        n_slots *= 2;
    t->slot = am_calloc(n_slots, sizeof *t->slot);
    if (t->slot == NULL)
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    t->n_slots = n_slots;
    for (int32_t i = 0; i < t->n; i++) {
        const char *id = t->ids + t->id_off[i];
        uint32_t h = hash_id(id) & (n_slots - 1);
        for (; t->slot[h] != 0; h = (h + 1) & (n_slots - 1)) {
            int32_t o = t->slot[h] - 1;
            if (strcmp(t->ids + t->id_off[o], id) == 0) {
                char q[QUOTE_BUF];
                am_error_set(err, AM_ERR_INVALID, path,
                             "zone id %s appears twice in the %s table "
                             "(lines %ld and %ld)",
                             quoted(id, q), what, t->line[o], t->line[i]);
                am_error_set_line(err, t->line[i], -1);
                return AM_ERR_INVALID;
            }
        }
        t->slot[h] = i + 1;
    }
    return AM_OK;
}

am_status am_zone_table_read(const char *path, const char *id_field,
                             const char *value_field, const char *what,
                             am_zone_table **out, am_error *err)
{
    *out = NULL;
    csv_reader r;
    am_zone_table *t = NULL;
    am_status rc = csv_open(&r, path, err);
    if (rc != AM_OK)
        goto done;
    const char *names[2] = {id_field, value_field};
    int col[2];
    if ((rc = csv_header(&r, 2, names, what, col, err)) != AM_OK)
        goto done;
    int width = r.n_fields;
    t = am_calloc(1, sizeof *t);
    if (t == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    for (;;) {
        int got = 0;
        if ((rc = csv_next(&r, &got, err)) != AM_OK)
            goto done;
        if (!got)
            break;
        if ((rc = csv_width(&r, width, err)) != AM_OK)
            goto done;
        const char *id = r.field[col[0]];
        double v = 0;
        if (id[0] == '\0') {
            rc = am_error_set(err, AM_ERR_INVALID, path,
                              "column '%s': empty zone id", id_field);
            am_error_set_line(err, r.line, -1);
            goto done;
        }
        if ((rc = csv_value(&r, r.field[col[1]], value_field, &v, err)) !=
            AM_OK)
            goto done;
        if (zone_add(t, id, v, r.line) != AM_OK) {
            rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
            goto done;
        }
    }
    if (t->n == 0) {
        rc = am_error_set(err, AM_ERR_EMPTY, path,
                          "the %s table has a header but no rows", what);
        goto done;
    }
    if ((rc = zone_index(t, path, what, err)) != AM_OK)
        goto done;
    *out = t;
    t = NULL;
done:
    csv_close(&r);
    am_zone_table_destroy(t);
    return rc;
}

/* ---- the travel-time table ---------------------------------------------- */

typedef struct records {
    int64_t n, cap;
    int32_t *orig, *dest;
    uint32_t *time_ds;
    long *line;
} records;

static void records_free(records *x)
{
    am_free(x->orig);
    am_free(x->dest);
    am_free(x->time_ds);
    am_free(x->line);
}

static int records_grow(records *x)
{
    int64_t nc = x->cap ? x->cap * 2 : 65536;
    int32_t *o = am_realloc(x->orig, (size_t)nc * sizeof *o);
    if (o == NULL)
        return 0;
    x->orig = o;
    int32_t *d = am_realloc(x->dest, (size_t)nc * sizeof *d);
    if (d == NULL)
        return 0;
    x->dest = d;
    uint32_t *t = am_realloc(x->time_ds, (size_t)nc * sizeof *t);
    if (t == NULL)
        return 0;
    x->time_ds = t;
    long *l = am_realloc(x->line, (size_t)nc * sizeof *l);
    if (l == NULL)
        return 0;
    x->line = l;
    x->cap = nc;
    return 1;
}

/* An id of the matrix that a zone table lacks. */
static am_status absent_id(const csv_reader *r, const char *id,
                           const char *field, const char *table,
                           const char *table_path, am_error *err)
{
    char q[QUOTE_BUF];
    am_error_set(err, AM_ERR_INVALID, r->path,
                 "column '%s': zone %s is not in the %s table %s (every "
                 "%s of the matrix needs a row there)",
                 field, quoted(id, q), table, table_path,
                 strcmp(table, "demand") == 0 ? "origin" : "destination");
    am_error_set_line(err, r->line, -1);
    return AM_ERR_INVALID;
}

/* The share of a plain file read so far; 0 for gzip (its size is not
   the text's). */
static double read_share(const csv_reader *r)
{
    if (r->gzip || r->size <= 0)
        return 0.0;
    double f = (double)(VSIFTellL(r->f) - (r->len - r->pos)) / (double)r->size;
    return f < 0.0 ? 0.0 : f > 1.0 ? 1.0 : f;
}

/* Reads the records of the table (after its header) into x: all of
   them, or as soon as there are more than the zone tables have pairs. */
static am_status read_records(csv_reader *r, const am_matrix_options *o,
                              const int *col, int width, records *x,
                              am_error *err)
{
    am_status rc = AM_OK;
    for (;;) {
        int got = 0;
        if ((rc = csv_next(r, &got, err)) != AM_OK)
            return rc;
        if (!got)
            return AM_OK;
        if ((rc = csv_width(r, width, err)) != AM_OK)
            return rc;
        if ((x->n & 0xFFFF) == 0xFFFF && o->progress != NULL &&
            !o->progress(read_share(r), NULL, o->progress_user)) {
            am_error_set(err, AM_ERR_CANCELLED, r->path,
                         "cancelled while reading");
            am_error_set_line(err, r->line, -1);
            return AM_ERR_CANCELLED;
        }
        if (o->max_pairs > 0 && x->n >= o->max_pairs) { /* issue 9 */
            am_error_set(err, AM_ERR_NOMEM, r->path,
                         "more than %lld pairs: beyond %s",
                         (long long)o->max_pairs,
                         o->max_pairs_why != NULL ? o->max_pairs_why
                                                  : "the memory budget");
            am_error_set_line(err, r->line, -1);
            return AM_ERR_NOMEM;
        }
        if (x->n == x->cap && !records_grow(x))
            return am_error_set(err, AM_ERR_NOMEM, o->path, "out of memory");
        const char *from = r->field[col[0]], *to = r->field[col[1]];
        int32_t i = am_zone_table_find(o->origins, from);
        if (i < 0)
            return absent_id(r, from, o->from_field, "demand", o->origins_path,
                             err);
        int32_t j = am_zone_table_find(o->destinations, to);
        if (j < 0)
            return absent_id(r, to, o->to_field, "supply", o->destinations_path,
                             err);
        double t = 0;
        if ((rc = csv_value(r, r->field[col[2]], o->time_field, &t, err)) !=
            AM_OK)
            return rc;
        double limit =
            o->time_in_seconds ? AM_MATRIX_MAX_MIN * 60.0 : AM_MATRIX_MAX_MIN;
        if (t > limit) {
            /* the field's text: a %g of t would round 1440.00001 to the
               limit itself */
            const char *unit = o->time_in_seconds ? "seconds" : "minutes";
            char q[QUOTE_BUF];
            am_error_set(err, AM_ERR_INVALID, r->path,
                         "column '%s': %s %s is above 24 h (%g %s), the "
                         "longest travel time accepted (drop unreachable "
                         "pairs rather than writing a sentinel)",
                         o->time_field, quoted(r->field[col[2]], q), unit,
                         limit, unit);
            am_error_set_line(err, r->line, -1);
            return AM_ERR_INVALID;
        }
        x->orig[x->n] = i;
        x->dest[x->n] = j;
        x->time_ds[x->n] =
            o->time_in_seconds ? am_seconds_to_ds(t) : am_minutes_to_ds(t);
        x->line[x->n] = r->line;
        x->n++;
        /* more records than distinct pairs: one is repeated, and the
           earliest repeat is among these (no need to read, and hold, the
           rest: a gzip of one line repeated) */
        if (x->n > (int64_t)am_zone_table_count(o->origins) *
                       am_zone_table_count(o->destinations))
            return AM_OK;
    }
}

/*
 * Stable counting sort of the records by key[] (< n_keys) into perm
 * (record ids), reading them in the order of `in` (NULL: 0 .. n-1).
 */
static int sort_by(int64_t n, const int32_t *key, int32_t n_keys,
                   const int64_t *in, int64_t *perm, int64_t *first)
{
    memset(first, 0, ((size_t)n_keys + 1) * sizeof *first);
    for (int64_t e = 0; e < n; e++)
        first[key[e] + 1]++;
    for (int32_t k = 0; k < n_keys; k++)
        first[k + 1] += first[k];
    int64_t *next = am_malloc(((size_t)n_keys + 1) * sizeof *next);
    if (next == NULL)
        return 0;
    memcpy(next, first, ((size_t)n_keys + 1) * sizeof *next);
    for (int64_t e = 0; e < n; e++) {
        int64_t r = in != NULL ? in[e] : e;
        perm[next[key[r]]++] = r;
    }
    am_free(next);
    return 1;
}

am_status am_matrix_read(const am_matrix_options *o, am_catchments **out,
                         am_matrix_info *info, am_error *err)
{
    *out = NULL;
    csv_reader r;
    records x = {0};
    int64_t *by_orig = NULL, *perm = NULL, *first = NULL;
    am_catchments *c = NULL;
    am_status rc = csv_open(&r, o->path, err);
    if (rc != AM_OK)
        goto done;
    const char *names[3] = {o->from_field, o->to_field, o->time_field};
    int col[3];
    if ((rc = csv_header(&r, 3, names, "travel-time", col, err)) != AM_OK)
        goto done;
    if ((rc = read_records(&r, o, col, r.n_fields, &x, err)) != AM_OK)
        goto done;
    if (x.n == 0) {
        rc = am_error_set(err, AM_ERR_EMPTY, o->path,
                          "the travel-time table has a header but no rows");
        goto done;
    }
    int32_t n_orig = am_zone_table_count(o->origins);
    int32_t n_dest = am_zone_table_count(o->destinations);
    int32_t n_max = n_orig > n_dest ? n_orig : n_dest;
    by_orig = am_malloc((size_t)x.n * sizeof *by_orig);
    perm = am_malloc((size_t)x.n * sizeof *perm);
    first = am_malloc(((size_t)n_max + 1) * sizeof *first);
    if (by_orig == NULL || perm == NULL || first == NULL ||
        !sort_by(x.n, x.orig, n_orig, NULL, by_orig, first) ||
        !sort_by(x.n, x.dest, n_dest, by_orig, perm, first)) {
        rc = am_error_set(err, AM_ERR_NOMEM, o->path, "out of memory");
        goto done;
    }
    /* a pair twice: the twins are adjacent (file order within a pair);
       report the repeat found earliest in the file */
    int64_t dup = -1;
    for (int64_t e = 1; e < x.n; e++) {
        int64_t a = perm[e - 1], b = perm[e];
        if (x.dest[a] == x.dest[b] && x.orig[a] == x.orig[b] &&
            (dup < 0 || x.line[b] < x.line[perm[dup]]))
            dup = e;
    }
    if (dup >= 0) {
        int64_t a = perm[dup - 1], b = perm[dup];
        char qa[QUOTE_BUF], qb[QUOTE_BUF];
        rc = am_error_set(
            err, AM_ERR_INVALID, o->path,
            "the pair from %s to %s is listed twice (lines %ld "
            "and %ld)",
            quoted(am_zone_table_id(o->origins, x.orig[b]), qa),
            quoted(am_zone_table_id(o->destinations, x.dest[b]), qb), x.line[a],
            x.line[b]);
        am_error_set_line(err, x.line[b], -1);
        goto done;
    }
    uint32_t max_ds = 0;
    for (int64_t e = 0; e < x.n; e++)
        if (x.time_ds[e] > max_ds)
            max_ds = x.time_ds[e];
    c = am_calloc(1, sizeof *c);
    if (c == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, o->path, "out of memory");
        goto done;
    }
    c->n_rows = n_dest;
    c->n_cols = n_orig;
    c->limit_ds = max_ds > o->min_limit_ds ? max_ds : o->min_limit_ds;
    c->first = am_malloc(((size_t)n_dest + 1) * sizeof *c->first);
    c->col = am_malloc((size_t)x.n * sizeof *c->col);
    if (c->limit_ds <= AM_CATCHMENT_TIME16_MAX)
        c->time16 = am_malloc((size_t)x.n * sizeof *c->time16);
    else
        c->time_ds = am_malloc((size_t)x.n * sizeof *c->time_ds);
    if (c->first == NULL || c->col == NULL ||
        (c->time16 == NULL && c->time_ds == NULL)) {
        rc = am_error_set(err, AM_ERR_NOMEM, o->path, "out of memory");
        goto done;
    }
    memcpy(c->first, first, ((size_t)n_dest + 1) * sizeof *c->first);
    int32_t used_orig = 0, used_dest = 0;
    for (int64_t e = 0; e < x.n; e++) {
        int64_t rec = perm[e];
        c->col[e] = x.orig[rec];
        if (c->time16 != NULL)
            c->time16[e] = (uint16_t)x.time_ds[rec];
        else
            c->time_ds[e] = x.time_ds[rec];
    }
    for (int32_t j = 0; j < n_dest; j++)
        used_dest += first[j + 1] > first[j];
    /* origins: by_orig is sorted by origin */
    for (int64_t e = 0; e < x.n; e++)
        used_orig += e == 0 || x.orig[by_orig[e]] != x.orig[by_orig[e - 1]];
    if (info != NULL) {
        info->pairs = x.n;
        info->origins_used = used_orig;
        info->destinations_used = used_dest;
        info->max_time_ds = max_ds;
        info->gzip = r.gzip;
    }
    *out = c;
    c = NULL;
done:
    csv_close(&r);
    records_free(&x);
    am_free(by_orig);
    am_free(perm);
    am_free(first);
    am_catchments_destroy(c);
    return rc;
}
