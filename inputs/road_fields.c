/*
 * road_fields.c: field values of plain GIS road layers as speeds, times
 * and directions (see road_fields.h).
 *
 * Why: the same rules for every layer, in one place and testable without
 * GDAL. Values are read conservatively: a number must be plain decimal
 * notation (common/numparse.h), a speed positive and at most
 * AM_ROAD_SPEED_MAX_KMH, a time positive and at most a day; anything else
 * is "not usable" and the caller skips and counts the feature.
 *
 * One-way defaults: OSM's own values (Key:oneway: yes/true/1, -1/reverse,
 * no/false/0) plus the FT / TF / B codes many GIS road layers use for
 * "from-to" (the digitised direction), "to-from" and both.
 */
#include "inputs/road_fields.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "common/numparse.h"
#include "common/units.h"

static const char *const def_forward[] = {"yes", "true", "1", "FT"};
static const char *const def_backward[] = {"-1", "reverse", "TF"};
static const char *const def_both[] = {"no", "false", "0", "B", ""};

static const am_road_oneway_values def_oneway = {
    def_forward, 4, def_backward, 3, def_both, 5};

const am_road_oneway_values *am_road_oneway_default(void)
{
    return &def_oneway;
}

/* Case-insensitive equality of a and b once b is trimmed (b: len bytes). */
static int same_value(const char *a, const char *b, size_t len)
{
    while (*a == ' ')
        a++;
    size_t la = strlen(a);
    while (la > 0 && a[la - 1] == ' ')
        la--;
    return la == len && strncasecmp(a, b, len) == 0;
}

static int in_list(const char *const *list, int n, const char *v, size_t len)
{
    for (int i = 0; i < n; i++)
        if (list[i] != NULL && same_value(list[i], v, len))
            return 1;
    return 0;
}

int am_road_oneway_of(const am_road_oneway_values *vals, const char *v)
{
    if (vals == NULL)
        vals = &def_oneway;
    if (v == NULL)
        v = "";
    while (isspace((unsigned char)*v))
        v++;
    size_t len = strlen(v);
    while (len > 0 && isspace((unsigned char)v[len - 1]))
        len--;
    if (in_list(vals->forward, vals->n_forward, v, len))
        return 1;
    if (in_list(vals->backward, vals->n_backward, v, len))
        return -1;
    if (in_list(vals->both, vals->n_both, v, len))
        return 0;
    return 2;
}

double am_road_class_speed_of(const am_road_class_speed *table, int n,
                              const char *k, double default_kmh)
{
    if (k != NULL)
        for (int i = 0; i < n; i++)
            if (table[i].klass != NULL && strcmp(table[i].klass, k) == 0)
                return table[i].kmh;
    return default_kmh;
}

int am_road_value_parse(const char *text, double *out)
{
    if (text == NULL)
        return 0;
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    double v = 0.0;
    if (am_parse_real(buf, &v) != AM_NUM_OK || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int am_road_speed_ok(double kmh)
{
    return isfinite(kmh) && kmh > 0.0 && kmh <= AM_ROAD_SPEED_MAX_KMH;
}

int am_road_time_ok(double total_ds)
{
    return isfinite(total_ds) && total_ds > 0.0 && total_ds <= 864000.0;
}

uint32_t am_road_time_share(double cum_m, double total_m, double total_ds,
                            uint64_t *given_ds)
{
    double f = total_m > 0.0 ? cum_m / total_m : 1.0;
    if (!(f >= 0.0))
        f = 0.0;
    if (f > 1.0)
        f = 1.0;
    double target = floor(f * total_ds + 0.5);
    uint64_t t = target > 0.0 ? (uint64_t)target : 0;
    uint64_t d = t > *given_ds ? t - *given_ds : 0;
    *given_ds += d;
    if (d >= (uint64_t)(AM_TIME_INF - 1))
        return AM_TIME_INF - 1;
    return (uint32_t)d;
}
