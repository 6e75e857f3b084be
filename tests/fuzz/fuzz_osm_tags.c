/*
 * fuzz_osm_tags: the reading of OSM tags and road attribute values, the
 * free text of many hands that decides every road's speed and direction
 * (inputs/road_profile.c, inputs/road_fields.c).
 *
 * The input is an other_tags string as GDAL's OSM driver writes it
 * ("highway"=>"primary","maxspeed"=>"50 mph"). It is split with the
 * loader's own reader (am_hstore_next, used by inputs/roads.c), each
 * profile's tags are gathered the way the loader gathers them (the first
 * value of a key wins; 64-byte slots, longer pairs skipped) and every
 * built-in profile, plain and with ferries and implausible speeds on,
 * judges the way (am_profile_eval). Every value is also given to the
 * single-value parsers (maxspeed, duration, a GIS field's number, a
 * one-way field, a class-speed table, a speed change of the profile).
 *
 * Besides crashes and UB, the documented results are checked: a verdict's
 * direction is -1, 0 or 1, a used way's speed is finite and > 0 (and at
 * most the plausibility ceiling unless implausible values are used), a
 * parsed maxspeed is > 0 exactly when it is a value or a zone, a parsed
 * duration is > 0, a field number is finite.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "inputs/road_fields.h"
#include "inputs/road_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOT 64 /* inputs/roads.c's TAG_MAX */
#define MAX_PAIRS 64

static void fail(const char *what, const char *value)
{
    fprintf(stderr, "fuzz_osm_tags: %s ('%s')\n", what, value);
    abort();
}

/* The single-value readers on one value. */
static void values(const char *v)
{
    double kmh = -1.0;
    am_maxspeed_kind k = am_maxspeed_parse(v, &kmh);
    int positive = isfinite(kmh) && kmh > 0.0;
    if ((k == AM_MAXSPEED_VALUE || k == AM_MAXSPEED_ZONE) != positive)
        fail("maxspeed kind and speed disagree", v);
    double s = 0.0;
    if (am_duration_parse(v, &s) && !(isfinite(s) && s > 0.0))
        fail("duration parsed to a non-positive time", v);
    double x = 0.0;
    if (am_road_value_parse(v, &x) && !isfinite(x))
        fail("field number parsed to a non-finite value", v);
    int d = am_road_oneway_of(am_road_oneway_default(), v);
    if (d < -1 || d > 2)
        fail("one-way value out of range", v);
    static const am_road_class_speed table[] = {
        {"primary", 80.0}, {"track", 10.0}, {"", 5.0}};
    double c = am_road_class_speed_of(table, 3, v, 0.0);
    if (!(c >= 0.0))
        fail("class speed negative", v);
    if (am_road_value_parse(v, &x)) {
        (void)am_road_speed_ok(x);
        if (am_road_time_ok(x)) {
            uint64_t given = 0;
            (void)am_road_time_share(x / 3.0, x, x, &given);
            (void)am_road_time_share(x, x, x, &given);
            if ((double)given != floor(x + 0.5))
                fail("time shares do not sum to the rounded time", v);
        }
    }
}

/* The tags of profile p, gathered as inputs/roads.c does. */
typedef struct way {
    char highway[SLOT], oneway[SLOT], junction[SLOT], maxspeed[SLOT],
        area[SLOT], route[SLOT], duration[SLOT], mode[SLOT];
    char access[AM_PROFILE_MAX_ACCESS][SLOT];
} way;

static void take(char *slot, const char *key, const char *want, const char *val)
{
    if (slot[0] == '\0' && strcmp(key, want) == 0)
        memcpy(slot, val, strlen(val) + 1);
}

#define TAG(x) ((x)[0] != '\0' ? (x) : NULL)

static void judge(const am_profile *p, const char (*keys)[SLOT],
                  const char (*vals)[SLOT], int n)
{
    way w;
    memset(&w, 0, sizeof w);
    for (int i = 0; i < n; i++) {
        take(w.highway, keys[i], "highway", vals[i]);
        take(w.oneway, keys[i], "oneway", vals[i]);
        take(w.junction, keys[i], "junction", vals[i]);
        take(w.maxspeed, keys[i], "maxspeed", vals[i]);
        take(w.area, keys[i], "area", vals[i]);
        take(w.route, keys[i], "route", vals[i]);
        take(w.duration, keys[i], "duration", vals[i]);
        if (p->oneway_key[0] != '\0')
            take(w.mode, keys[i], p->oneway_key, vals[i]);
        for (int a = 0; a < p->n_access; a++)
            take(w.access[a], keys[i], p->access[a], vals[i]);
    }
    am_way_tags t;
    memset(&t, 0, sizeof t);
    t.highway = TAG(w.highway);
    t.oneway = TAG(w.oneway);
    t.junction = TAG(w.junction);
    t.maxspeed = TAG(w.maxspeed);
    t.area = TAG(w.area);
    t.route = TAG(w.route);
    t.duration = TAG(w.duration);
    t.oneway_mode = TAG(w.mode);
    for (int a = 0; a < p->n_access; a++)
        t.access[a] = TAG(w.access[a]);

    am_way_verdict v;
    am_profile_eval(p, &t, &v);
    if (v.drop == AM_WAY_USED) {
        if (v.dir < -1 || v.dir > 1)
            fail("used way with a direction out of range", p->name);
        if (!(isfinite(v.kmh) && v.kmh > 0.0))
            fail("used way without a positive finite speed", p->name);
        if (!p->use_implausible && !v.ferry &&
            v.kmh > AM_MAXSPEED_MAX_KMH * 10.0 + 1e-9)
            fail("used way faster than any plausible speed", p->name);
        if (v.ferry && !(v.ferry_s >= 0.0 && isfinite(v.ferry_s)))
            fail("ferry with a bad crossing time", p->name);
    }
    int d =
        am_profile_oneway(p, t.oneway, t.oneway_mode, t.junction, t.highway);
    if (d < -1 || d > 2)
        fail("oneway out of range", p->name);
    (void)am_profile_closed(p, t.access);
    (void)am_profile_speed_kmh(p, t.highway != NULL ? t.highway : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char keys[MAX_PAIRS][SLOT], vals[MAX_PAIRS][SLOT];
    char *text = fuzz_strndup(data, size);
    const char *pos = text;
    int n = 0, too_long = 0;
    char key[SLOT], val[SLOT];
    while (am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long)) {
        if (strlen(key) >= SLOT || strlen(val) >= SLOT)
            fail("hstore pair longer than its buffer", key);
        values(val);
        if (!too_long && n < MAX_PAIRS) {
            memcpy(keys[n], key, sizeof key);
            memcpy(vals[n], val, sizeof val);
            n++;
        }
    }
    values(text); /* the whole text as one value, too */

    static const char *const names[] = {"car", "walk", "bicycle", "ambulance"};
    for (int i = 0; i < 4; i++) {
        am_profile p;
        am_error err;
        am_error_clear(&err);
        if (am_profile_builtin(names[i], &p, &err) != AM_OK)
            abort();
        judge(&p, (const char(*)[SLOT])keys, (const char(*)[SLOT])vals, n);
        p.ferries = 1;
        p.use_implausible = 1;
        judge(&p, (const char(*)[SLOT])keys, (const char(*)[SLOT])vals, n);
        /* A scenario's speed change, class and value from the text. */
        for (int j = 0; j < n; j++) {
            double x = 0.0;
            if (!am_road_value_parse(vals[j], &x))
                continue;
            am_error_clear(&err);
            am_status rc = am_profile_set_speed(&p, keys[j], x, &err);
            fuzz_check_error(rc, &err);
            am_error_clear(&err);
            rc = am_profile_scale_speed(&p, keys[j], x, &err);
            fuzz_check_error(rc, &err);
        }
        judge(&p, (const char(*)[SLOT])keys, (const char(*)[SLOT])vals, n);
    }
    am_free(text);
    return 0;
}
