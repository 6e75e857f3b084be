/*
 * graph_cache.c: the prepared-graph cache (see graph_cache.h).
 *
 * Two tables are the points of extension:
 *  - am_roads_cache_key: every scenario setting that changes what
 *    am_roads_load reads must add a line to the key text there;
 *  - COUNTERS: every counter field of am_road_network must have a row
 *    there (name, offset, type), or a cached network loses it.
 * A cache written before a row was added lacks that counter and is
 * rebuilt (stale), so adding rows needs no format bump.
 */
#include "engine/graph_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/sha256.h"
#include "common/units.h"
#include "inputs/fingerprint.h"
#include "inputs/input_files.h"

/* ---- counters ----------------------------------------------------------- */

typedef enum counter_type { CT_I64 = 1, CT_F64 = 2, CT_I32 = 3 } counter_type;

typedef struct counter_row {
    const char *name; /* stored; at most COUNTER_NAME - 1 bytes */
    size_t offset;    /* in am_road_network */
    counter_type type;
} counter_row;

#define ROW(field, type)                                                       \
    {                                                                          \
#field, offsetof(am_road_network, field), type                         \
    }
/* Every counter of am_road_network (inputs/roads.h): add a row per new
 * field. Arrays and sizes (n_nodes, n_arcs) are stored on their own. */
static const counter_row COUNTERS[] = {
    ROW(n_features, CT_I64),
    ROW(n_routable, CT_I64),
    ROW(n_not_routable, CT_I64),
    ROW(n_bad_geometry, CT_I64),
    ROW(n_oneway, CT_I64),
    ROW(n_maxspeed, CT_I64),
    ROW(total_len_km, CT_F64),
    /* issue 7: profiles and OSM tags, field mappings, joining */
    ROW(n_maxspeed_unparsable, CT_I64),
    ROW(n_maxspeed_implausible, CT_I64),
    ROW(n_closed_access, CT_I64),
    ROW(n_area, CT_I64),
    ROW(n_reversible, CT_I64),
    ROW(n_ferry, CT_I64),
    ROW(n_ferry_bad_duration, CT_I64),
    ROW(n_missing_nodes_kept, CT_I64),
    ROW(n_missing_nodes_dropped, CT_I64),
    ROW(n_unlisted_class, CT_I64),
    ROW(n_bad_value, CT_I64),
    ROW(n_bad_oneway, CT_I64),
    ROW(n_joined, CT_I64),
    ROW(n_collapsed, CT_I64),
    ROW(n_crossings, CT_I64),
};
#undef ROW
#define N_COUNTERS (sizeof COUNTERS / sizeof COUNTERS[0])
#define COUNTER_NAME 32

/* One stored counter: name, type, value (int64 or double bits). */
typedef struct counter_rec {
    char name[COUNTER_NAME];
    uint32_t type, pad;
    unsigned char value[8];
} counter_rec;

static void counter_get(const am_road_network *r, const counter_row *c,
                        counter_rec *out)
{
    const char *p = (const char *)r + c->offset;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", c->name);
    out->type = (uint32_t)c->type;
    if (c->type == CT_I32) {
        int64_t v = *(const int32_t *)(const void *)p;
        memcpy(out->value, &v, 8);
    } else {
        memcpy(out->value, p, 8);
    }
}

/* Sets c from rec; 0 when the value is not a count (negative, NaN...). */
static int counter_set(am_road_network *r, const counter_row *c,
                       const counter_rec *rec)
{
    char *p = (char *)r + c->offset;
    if (c->type == CT_F64) {
        double v;
        memcpy(&v, rec->value, 8);
        if (!isfinite(v) || v < 0)
            return 0;
        memcpy(p, &v, 8);
        return 1;
    }
    int64_t v;
    memcpy(&v, rec->value, 8);
    if (v < 0 || (c->type == CT_I32 && v > INT32_MAX))
        return 0;
    if (c->type == CT_I32)
        *(int32_t *)(void *)p = (int32_t)v;
    else
        memcpy(p, &v, 8);
    return 1;
}

/* ---- key ---------------------------------------------------------------- */

/* "name=value\n" with value quoted and escaped, or (unset). buf NULL
 * (n 0): only measures (no pointer arithmetic on NULL: undefined, even
 * for an offset of 0). */
static int key_line(char *buf, size_t n, size_t *used, const char *name,
                    const char *value)
{
    size_t u = *used;
    int k = snprintf(u < n ? buf + u : NULL, u < n ? n - u : 0, "%s=", name);
    if (k < 0)
        return 0;
    u += (size_t)k;
    if (value == NULL) {
        k = snprintf(u < n ? buf + u : NULL, u < n ? n - u : 0, "(unset)\n");
        u += k > 0 ? (size_t)k : 0;
        *used = u;
        return 1;
    }
    if (u < n)
        buf[u] = '"';
    u++;
    for (const char *p = value; *p != '\0'; p++) {
        const char *e = *p == '\n'   ? "\\n"
                        : *p == '\r' ? "\\r"
                        : *p == '\\' ? "\\\\"
                        : *p == '"'  ? "\\\""
                                     : NULL;
        char one[2] = {*p, '\0'};
        for (const char *q = e != NULL ? e : one; *q != '\0'; q++, u++)
            if (u < n)
                buf[u] = *q;
    }
    for (const char *q = "\"\n"; *q != '\0'; q++, u++)
        if (u < n)
            buf[u] = *q;
    if (u < n)
        buf[u] = '\0';
    *used = u;
    return 1;
}

/* A growing string for the key's list values (NULL after a failed
 * allocation: the key then fails with AM_ERR_NOMEM). */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_addf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s != NULL ? b->s + b->len : NULL,
                          b->s != NULL ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->s != NULL && b->len + (size_t)k < b->cap) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = (b->cap + (size_t)k + 64) * 2;
        char *q = am_realloc(b->s, cap);
        if (q == NULL) {
            b->oom = 1;
            return;
        }
        b->s = q;
        b->cap = cap;
    }
}

/* A list item: "text" with quote and backslash escaped, then sep. */
static void sb_item(sbuf *b, const char *text, const char *sep)
{
    sb_addf(b, "\"");
    for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
        if (*p == '\n')
            sb_addf(b, "\\n");
        else
            sb_addf(b, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
    sb_addf(b, "\"%s", sep);
}

/* The roads.* settings that change what am_roads_load makes beyond layer,
 * where and profile (issue 7: profile settings, field mapping, joining),
 * as "roads.NAME=value" key lines into b, in a fixed order (strings quoted
 * and escaped by sb_item, so no value can forge a line). */
static void settings_text(const am_scenario *s, sbuf *b)
{
    sb_addf(b, "roads.ferries=%d\nroads.maxspeed_implausible=%d\n",
            s->roads_ferries, s->roads_use_implausible_maxspeed);
    sb_addf(b, "roads.speeds=");
    for (int i = 0; i < s->n_road_speeds; i++) {
        sb_item(b, s->road_speeds[i].highway, "=");
        sb_addf(b, "%.17g;", s->road_speeds[i].value);
    }
    sb_addf(b, "\nroads.speed_multipliers=");
    for (int i = 0; i < s->n_road_speed_multipliers; i++) {
        sb_item(b, s->road_speed_multipliers[i].highway, "=");
        sb_addf(b, "%.17g;", s->road_speed_multipliers[i].value);
    }
    const struct {
        const char *name, *value;
    } fields[] = {{"class_field", s->roads_class_field},
                  {"speed_field", s->roads_speed_field},
                  {"time_field", s->roads_time_field},
                  {"time_unit", s->roads_time_unit},
                  {"oneway_field", s->roads_oneway_field}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        sb_addf(b, "\nroads.%s=", fields[i].name);
        if (fields[i].value != NULL)
            sb_item(b, fields[i].value, "");
        else
            sb_addf(b, "(unset)");
    }
    sb_addf(b, "\nroads.class_speeds_kmh=");
    for (int i = 0; i < s->n_roads_class_speeds; i++) {
        sb_item(b, s->roads_class_speeds[i].klass, "=");
        sb_addf(b, "%.17g;", s->roads_class_speeds[i].kmh);
    }
    sb_addf(b, "\nroads.default_speed_kmh=%.17g", s->roads_default_speed_kmh);
    for (int d = 0; d < 3; d++) {
        sb_addf(b, "\nroads.oneway_values[%d]=%s", d,
                s->roads_oneway_values[d] != NULL ? "" : "(default)");
        for (int i = 0; s->roads_oneway_values[d] != NULL &&
                        i < s->n_roads_oneway_values[d];
             i++)
            sb_item(b, s->roads_oneway_values[d][i], ";");
    }
    sb_addf(b, "\nroads.join_tolerance_m=%.17g\nroads.join_vertices=%d",
            s->roads_join_tolerance_m, s->roads_join_all_vertices);
    sb_addf(b, "\nroads.join_crossings=%d\n", s->roads_join_crossings);
    /* issue 7, custom profiles: the profile as read from roads.profile_file
       (its content, not its path or formatting), field by field */
    const am_profile *p = s->roads_custom_profile;
    sb_addf(b, "roads.profile_file=");
    if (p == NULL) {
        sb_addf(b,
                s->roads_profile_file != NULL ? "(not read)\n" : "(unset)\n");
        return;
    }
    sb_item(b, p->name, ";classes=");
    for (int i = 0; i < p->n_classes; i++) {
        sb_item(b, p->classes[i].highway, "=");
        sb_addf(b, "%.17g;", p->classes[i].kmh);
    }
    sb_addf(b, "oneway=%d;oneway_key=", p->oneway_general);
    sb_item(b, p->oneway_key, ";access=");
    for (int i = 0; i < p->n_access; i++)
        sb_item(b, p->access[i], ";");
    sb_addf(b,
            "maxspeed=%d;ratio=%.17g;floor_kmh=%.17g;ferries=%d;"
            "ferry_kmh=%.17g\n",
            (int)p->maxspeed, p->plausible_ratio, p->plausible_floor_kmh,
            p->ferries, p->ferry_kmh);
}

/*
 * THE cache key. Every input and setting that changes what am_roads_load
 * produces has one line here: the roads file's content (not its path: a
 * moved file is the same network), its layer, filter and travel profile,
 * the file layout and the engine's version (a newer reader may read the
 * same file differently), and (settings_text) the profile's settings
 * (ferries, maxspeed_implausible, speeds, speed_multipliers), a GIS
 * layer's field mapping, the join tolerance and join_crossings, and a
 * custom profile read
 * from roads.profile_file (its every field, as read). Every new roads.*
 * scenario key that affects the read (profile definitions, speed overrides,
 * class multipliers, field mappings, join tolerances, ...) MUST be added here,
 * with a case in tests/engine/test_graph_cache.c (each setting changes the
 * key). Settings applied after the load (polygon speed zones, snapping, the
 * graph stage's policies) do not belong here.
 */
am_status am_roads_cache_key(const am_scenario *s, const char *roads_sha256_hex,
                             long long roads_size, const char *side_files,
                             am_roads_key *out, am_error *err)
{
    memset(out, 0, sizeof *out);
    char content[128];
    snprintf(content, sizeof content, "sha256:%s size:%lld",
             roads_sha256_hex != NULL ? roads_sha256_hex : "", roads_size);
    char fmt[32];
    snprintf(fmt, sizeof fmt, "%d", AM_ROADS_CACHE_FORMAT);
    sbuf settings = {NULL, 0, 0, 0};
    settings_text(s, &settings);
    if (settings.oom) {
        am_free(settings.s);
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    /* measure, then write */
    size_t need = 0;
    for (int pass = 0; pass < 2; pass++) {
        char *buf = pass == 0 ? NULL : out->text;
        size_t n = pass == 0 ? 0 : need + 1, used = 0;
        key_line(buf, n, &used, "format", fmt);
        key_line(buf, n, &used, "accessim", AM_VERSION_STRING);
        key_line(buf, n, &used, "roads.content", content);
        key_line(buf, n, &used, "roads.side_files",
                 side_files != NULL ? side_files : "");
        key_line(buf, n, &used, "roads.layer", s->roads_layer);
        key_line(buf, n, &used, "roads.where", s->roads_where);
        key_line(buf, n, &used, "roads.profile",
                 s->profile != NULL ? s->profile : "car");
        if (buf != NULL && used + settings.len < n)
            memcpy(buf + used, settings.s, settings.len);
        used += settings.len;
        if (buf != NULL && used < n)
            buf[used] = '\0';
        if (pass == 0) {
            need = used;
            if ((out->text = am_malloc(need + 1)) == NULL) {
                am_free(settings.s);
                return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
            }
            out->text[0] = '\0';
        }
    }
    am_free(settings.s);
    am_sha256 c;
    am_sha256_init(&c);
    am_sha256_update(&c, out->text, strlen(out->text));
    am_sha256_final(&c, out->sha);
    return AM_OK;
}

void am_roads_key_free(am_roads_key *k)
{
    if (k == NULL)
        return;
    am_free(k->text);
    memset(k, 0, sizeof *k);
}

/* ---- file --------------------------------------------------------------- */

#define MAGIC "AMROADS"
#define BOM 0x01020304u
#define MAX_KEY_BYTES ((uint64_t)1 << 20)
#define MAX_COUNTERS 4096u

typedef struct file_header {
    char magic[8];
    uint32_t format, bom, header_bytes, n_counters;
    int64_t n_nodes, n_arcs;
    uint64_t key_bytes, payload_bytes;
    uint8_t key_sha[32], payload_sha[32];
} file_header;

static uint64_t pad8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

/* The payload's sections in order (pointer, bytes). */
typedef struct section {
    void *p;
    uint64_t bytes;
} section;

#define N_ARRAYS 7
static void array_sections(const am_road_network *r, section s[N_ARRAYS])
{
    const uint64_t n = (uint64_t)r->n_nodes, m = (uint64_t)r->n_arcs;
    s[0] = (section){r->lon, n * sizeof *r->lon};
    s[1] = (section){r->lat, n * sizeof *r->lat};
    s[2] = (section){r->tail, m * sizeof *r->tail};
    s[3] = (section){r->head, m * sizeof *r->head};
    s[4] = (section){r->time_ds, m * sizeof *r->time_ds};
    s[5] = (section){r->len_m, m * sizeof *r->len_m};
    s[6] = (section){r->arc_flags, m * sizeof *r->arc_flags};
}

/* Payload bytes for these sizes; 0 on overflow (sizes are bounded first,
 * so it cannot happen for a valid header). */
static uint64_t payload_size(uint64_t key_bytes, uint64_t n_counters,
                             uint64_t n, uint64_t m)
{
    return pad8(key_bytes) + n_counters * sizeof(counter_rec) + pad8(n * 8) +
           pad8(n * 8) + pad8(m * 4) + pad8(m * 4) + pad8(m * 4) + pad8(m * 4) +
           pad8(m);
}

static const unsigned char ZEROS[8];

am_status am_roads_cache_write(const char *path, const am_roads_key *key,
                               const am_road_network *r,
                               const am_file_guard *protect, am_error *err)
{
    am_atomic_file f;
    am_status rc;
    file_header h;
    counter_rec recs[N_COUNTERS];
    section arr[N_ARRAYS];
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof MAGIC);
    h.format = AM_ROADS_CACHE_FORMAT;
    h.bom = BOM;
    h.header_bytes = (uint32_t)sizeof h;
    h.n_counters = (uint32_t)N_COUNTERS;
    h.n_nodes = r->n_nodes;
    h.n_arcs = r->n_arcs;
    h.key_bytes = strlen(key->text);
    memcpy(h.key_sha, key->sha, 32);
    h.payload_bytes = payload_size(h.key_bytes, N_COUNTERS,
                                   (uint64_t)r->n_nodes, (uint64_t)r->n_arcs);
    for (size_t i = 0; i < N_COUNTERS; i++)
        counter_get(r, &COUNTERS[i], &recs[i]);
    array_sections(r, arr);
    /* the payload's checksum first: the header goes first in the file */
    am_sha256 c;
    am_sha256_init(&c);
    am_sha256_update(&c, key->text, h.key_bytes);
    am_sha256_update(&c, ZEROS, pad8(h.key_bytes) - h.key_bytes);
    am_sha256_update(&c, recs, sizeof recs);
    for (int i = 0; i < N_ARRAYS; i++) {
        am_sha256_update(&c, arr[i].p, arr[i].bytes);
        am_sha256_update(&c, ZEROS, pad8(arr[i].bytes) - arr[i].bytes);
    }
    am_sha256_final(&c, h.payload_sha);

    if ((rc = am_atomic_open(path, &f, err)) != AM_OK) {
        am_atomic_close(&f);
        return rc;
    }
    f.protect = protect;
    rc = am_atomic_write(&f, &h, sizeof h, err);
    if (rc == AM_OK)
        rc = am_atomic_write(&f, key->text, h.key_bytes, err);
    if (rc == AM_OK)
        rc = am_atomic_write(&f, ZEROS, pad8(h.key_bytes) - h.key_bytes, err);
    if (rc == AM_OK)
        rc = am_atomic_write(&f, recs, sizeof recs, err);
    for (int i = 0; rc == AM_OK && i < N_ARRAYS; i++) {
        rc = am_atomic_write(&f, arr[i].p, arr[i].bytes, err);
        if (rc == AM_OK)
            rc = am_atomic_write(&f, ZEROS, pad8(arr[i].bytes) - arr[i].bytes,
                                 err);
    }
    if (rc != AM_OK) {
        am_atomic_discard(&f);
        am_atomic_close(&f);
        return rc;
    }
    return am_atomic_commit(&f, err);
}

/* Reads n bytes (retrying short reads); 0 when the file ends first or a
 * read fails. */
static int read_all(int fd, void *p, uint64_t n)
{
    char *b = p;
    uint64_t done = 0;
    while (done < n) {
        size_t step = n - done < ((uint64_t)1 << 30) ? (size_t)(n - done)
                                                     : (size_t)1 << 30;
        ssize_t k = read(fd, b + done, step);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return 0;
        done += (uint64_t)k;
    }
    return 1;
}

/* Reads a section and its padding, hashing both. */
static int read_section(int fd, void *p, uint64_t bytes, am_sha256 *c)
{
    unsigned char pad[8];
    uint64_t np = pad8(bytes) - bytes;
    if (!read_all(fd, p, bytes) || !read_all(fd, pad, np))
        return 0;
    am_sha256_update(c, p, bytes);
    am_sha256_update(c, pad, np);
    return 1;
}

/* The first key line that differs between the cached text and ours,
 * as "NAME changed" into why. */
static void key_difference(const char *cached, const char *ours, char *why,
                           size_t n)
{
    const char *line = ours;
    while (*line != '\0') {
        const char *eol = strchr(line, '\n');
        size_t len = eol != NULL ? (size_t)(eol - line) + 1 : strlen(line);
        const char *eq = memchr(line, '=', len);
        size_t name_len = eq != NULL ? (size_t)(eq - line) + 1 : len;
        /* the same name's line in the cached text */
        const char *p = cached;
        int same = 0;
        while (p != NULL && *p != '\0') {
            if (strncmp(p, line, name_len) == 0) {
                same = strncmp(p, line, len) == 0;
                break;
            }
            p = strchr(p, '\n');
            p = p != NULL ? p + 1 : NULL;
        }
        if (!same) {
            const int nl = (int)(name_len > 0 ? name_len - 1 : 0);
            if (strncmp(line, "roads.content=", 14) == 0)
                snprintf(why, n, "the roads input's content changed");
            else if (strncmp(line, "roads.side_files=", 17) == 0)
                snprintf(why, n,
                         "a file read with the roads input changed (a "
                         "shapefile's .dbf, .prj, ...)");
            else if (strncmp(line, "accessim=", 9) == 0)
                snprintf(why, n, "written by another accessim version");
            else
                snprintf(why, n, "%.*s changed", nl, line);
            return;
        }
        line += len;
    }
    snprintf(why, n, "its key differs");
}

/* Everything a loaded network must satisfy; 0 with why set if not. */
static int network_valid(const am_road_network *r, char *why, size_t n)
{
    /* what a read never gives: no road at all, an arc from a node to
     * itself (repeated vertices are skipped) */
    if (r->n_nodes < 2 || r->n_arcs < 1) {
        snprintf(why, n, "it holds no road (%d nodes, %lld arcs)",
                 (int)r->n_nodes, (long long)r->n_arcs);
        return 0;
    }
    for (int32_t i = 0; i < r->n_nodes; i++)
        if (!(r->lon[i] >= -180.0 && r->lon[i] <= 180.0 && r->lat[i] >= -90.0 &&
              r->lat[i] <= 90.0)) {
            snprintf(why, n, "node %d has coordinates out of range", (int)i);
            return 0;
        }
    for (int64_t a = 0; a < r->n_arcs; a++) {
        if (r->tail[a] < 0 || r->tail[a] >= r->n_nodes || r->head[a] < 0 ||
            r->head[a] >= r->n_nodes || r->tail[a] == r->head[a]) {
            snprintf(why, n, "arc %lld names a node out of range or itself",
                     (long long)a);
            return 0;
        }
        if (r->time_ds[a] >= AM_TIME_INF || !isfinite(r->len_m[a]) ||
            r->len_m[a] < 0.0f || (r->arc_flags[a] & ~AM_ARC_FLAGS_ALL)) {
            snprintf(why, n, "arc %lld has an invalid time, length or flags",
                     (long long)a);
            return 0;
        }
    }
    return 1;
}

#define DAMAGED(...)                                                           \
    do {                                                                       \
        *state = AM_CACHE_DAMAGED;                                             \
        snprintf(why, n, __VA_ARGS__);                                         \
        goto done;                                                             \
    } while (0)

am_status am_roads_cache_read(const char *path, const am_roads_key *key,
                              am_cache_state *state, am_road_network **out,
                              char *why, size_t n, am_error *err)
{
    am_status rc = AM_OK;
    am_road_network *r = NULL;
    counter_rec *recs = NULL;
    char *text = NULL;
    file_header h;
    struct stat st;
    *out = NULL;
    *state = AM_CACHE_DAMAGED;
    if (n > 0)
        why[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT) {
        *state = AM_CACHE_MISSING;
        return AM_OK;
    }
    if (fd < 0)
        DAMAGED("cannot open: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        DAMAGED("not a regular file");
    if (!read_all(fd, &h, sizeof h))
        DAMAGED("truncated (%lld bytes, no complete header)",
                (long long)st.st_size);
    if (memcmp(h.magic, MAGIC, sizeof MAGIC) != 0)
        DAMAGED("not an accessim prepared-graph file");
    if (h.bom != BOM)
        DAMAGED("written on a machine of another byte order");
    if (h.format != AM_ROADS_CACHE_FORMAT) {
        *state = AM_CACHE_STALE;
        snprintf(why, n, "file format %u, not %d", (unsigned)h.format,
                 AM_ROADS_CACHE_FORMAT);
        goto done;
    }
    if (h.header_bytes != sizeof h || h.n_nodes < 0 || h.n_nodes > INT32_MAX ||
        h.n_arcs < 0 || h.n_arcs > ((int64_t)1 << 40) ||
        h.key_bytes > MAX_KEY_BYTES || h.n_counters > MAX_COUNTERS)
        DAMAGED("header sizes out of range");
    const uint64_t want = payload_size(h.key_bytes, h.n_counters,
                                       (uint64_t)h.n_nodes, (uint64_t)h.n_arcs);
    if (h.payload_bytes != want || (uint64_t)st.st_size != sizeof h + want)
        DAMAGED("%lld bytes where its header implies %llu (truncated?)",
                (long long)st.st_size, (unsigned long long)(sizeof h + want));
    /* A forged header sized to match a huge sparse file (the sizes above
     * agree) would be hashed in full, minutes for terabytes of holes: the
     * writer never leaves holes, so a file with less than an eighth of its
     * size on disk is refused before any hashing (an eighth, not all:
     * compressing filesystems report fewer blocks than bytes). */
    if (st.st_size > ((off_t)1 << 20) &&
        (uint64_t)st.st_blocks * 512u < (uint64_t)st.st_size / 8u)
        DAMAGED("%lld bytes, of which only %lld on disk (a sparse file: not "
                "written by accessim)",
                (long long)st.st_size, (long long)st.st_blocks * 512);
    /* The whole payload hashed first, in a fixed buffer: a damaged or
     * forged header (sizes consistent with a file of gigabytes) costs one
     * read, never the memory it claims. */
    {
        static const size_t chunk = (size_t)1 << 20;
        unsigned char *buf = am_malloc(chunk);
        if (buf == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
            goto done;
        }
        am_sha256 c0;
        am_sha256_init(&c0);
        uint64_t left = h.payload_bytes;
        int ok0 = 1;
        while (ok0 && left > 0) {
            const size_t k = left < chunk ? (size_t)left : chunk;
            ok0 = read_all(fd, buf, k);
            if (ok0)
                am_sha256_update(&c0, buf, k);
            left -= k;
        }
        am_free(buf);
        uint8_t sha0[32];
        am_sha256_final(&c0, sha0);
        if (!ok0)
            DAMAGED("truncated or unreadable payload");
        if (memcmp(sha0, h.payload_sha, 32) != 0)
            DAMAGED("payload checksum mismatch");
        if (lseek(fd, (off_t)sizeof h, SEEK_SET) != (off_t)sizeof h)
            DAMAGED("cannot seek: %s", strerror(errno));
    }
    /* the payload, hashed again as it is read (the file may change) */
    text = am_malloc(pad8(h.key_bytes) + 1);
    recs = am_alloc_array(h.n_counters > 0 ? h.n_counters : 1, sizeof *recs);
    r = am_calloc(1, sizeof *r);
    if (text == NULL || recs == NULL || r == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    r->n_nodes = (int32_t)h.n_nodes;
    r->n_arcs = h.n_arcs;
    const size_t nn = (size_t)h.n_nodes > 0 ? (size_t)h.n_nodes : 1;
    const size_t na = (size_t)h.n_arcs > 0 ? (size_t)h.n_arcs : 1;
    r->lon = am_alloc_array(nn, sizeof *r->lon);
    r->lat = am_alloc_array(nn, sizeof *r->lat);
    r->tail = am_alloc_array(na, sizeof *r->tail);
    r->head = am_alloc_array(na, sizeof *r->head);
    r->time_ds = am_alloc_array(na, sizeof *r->time_ds);
    r->len_m = am_alloc_array(na, sizeof *r->len_m);
    r->arc_flags = am_alloc_array(na, sizeof *r->arc_flags);
    if (!r->lon || !r->lat || !r->tail || !r->head || !r->time_ds ||
        !r->len_m || !r->arc_flags)
        DAMAGED("too large to load (%lld nodes, %lld arcs): out of memory",
                (long long)h.n_nodes, (long long)h.n_arcs);
    am_sha256 c;
    am_sha256_init(&c);
    section arr[N_ARRAYS];
    array_sections(r, arr);
    int ok = read_section(fd, text, h.key_bytes, &c) &&
             read_section(fd, recs, (uint64_t)h.n_counters * sizeof *recs, &c);
    for (int i = 0; ok && i < N_ARRAYS; i++)
        ok = read_section(fd, arr[i].p, arr[i].bytes, &c);
    if (!ok)
        DAMAGED("truncated or unreadable payload");
    uint8_t sha[32];
    am_sha256_final(&c, sha);
    if (memcmp(sha, h.payload_sha, 32) != 0)
        DAMAGED("payload checksum mismatch");
    text[h.key_bytes] = '\0';
    if (strlen(text) != h.key_bytes)
        DAMAGED("key text holds a NUL byte");
    /* a sound file: is it for this scenario? */
    if (memcmp(h.key_sha, key->sha, 32) != 0 || strcmp(text, key->text) != 0) {
        *state = AM_CACHE_STALE;
        key_difference(text, key->text, why, n);
        goto done;
    }
    for (size_t i = 0; i < N_COUNTERS; i++) {
        uint32_t k = 0;
        while (k < h.n_counters &&
               strncmp(recs[k].name, COUNTERS[i].name, COUNTER_NAME) != 0)
            k++;
        if (k == h.n_counters) {
            *state = AM_CACHE_STALE;
            snprintf(why, n, "it has no counter '%s' (an older writer)",
                     COUNTERS[i].name);
            goto done;
        }
        if (recs[k].type != (uint32_t)COUNTERS[i].type ||
            !counter_set(r, &COUNTERS[i], &recs[k]))
            DAMAGED("counter '%s' is invalid", COUNTERS[i].name);
    }
    if (!network_valid(r, why, n)) {
        *state = AM_CACHE_DAMAGED;
        goto done;
    }
    *state = AM_CACHE_LOADED;
    *out = r;
    r = NULL;
done:
    if (fd >= 0)
        close(fd);
    am_road_network_destroy(r);
    am_free(recs);
    am_free(text);
    return rc;
}

am_status am_roads_side_files(const char *roads_path, char **out, am_error *err)
{
    char **files = NULL;
    int n = 0;
    sbuf b = {NULL, 0, 0, 0};
    *out = NULL;
    am_status rc = am_input_files(roads_path, &files, &n, err);
    for (int i = 1; rc == AM_OK && i < n; i++) { /* [0] is the path itself */
        char hex[65];
        long long size = 0;
        rc = am_input_fingerprint(files[i], hex, &size, err);
        if (rc != AM_OK)
            break;
        sb_item(&b, files[i], "");
        sb_addf(&b, " %lld %s;", size, hex);
    }
    sb_addf(&b, "%s", "");
    am_input_files_free(files, n);
    if (rc == AM_OK && b.oom)
        rc = am_error_set(err, AM_ERR_NOMEM, roads_path, "out of memory");
    if (rc != AM_OK) {
        am_free(b.s);
        return rc;
    }
    *out = b.s;
    return AM_OK;
}
