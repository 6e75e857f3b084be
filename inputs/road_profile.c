/*
 * road_profile.c: travel profiles as data, and the OSM tag rules they
 * apply (see road_profile.h; tables and rationale in docs/profiles.md).
 *
 * Why: accessibility is measured in travel time, so every road line needs
 * a speed and a direction for the mode of travel studied. OSM tags are
 * free text written by many hands; this file turns them into numbers in
 * one place, conservatively: anything not understood falls back to the
 * class speed and is reported as such, so the loader can count it.
 *
 * Tag semantics follow the OpenStreetMap wiki pages Key:highway,
 * Key:oneway, Key:maxspeed, Key:access, Key:junction, Key:area,
 * Tag:route=ferry, Key:duration and "Default speed limits":
 *  - highway=* is the road class; each profile lists the classes it uses
 *    and a free-flow speed for each (our own choice for networks without
 *    traffic data, in the spirit of AccessMod's and OSRM's defaults for
 *    rural and developing regions). Any other class is not routable.
 *  - maxspeed=* is the legal limit: a decimal number in km/h, optionally
 *    with a unit (km/h, kmh, kph, mph); "walk"; "none", "signals",
 *    "variable" (no number: the class speed); lists "50;80" (the lowest:
 *    travel times are not underestimated); implicit national codes
 *    ("RU:urban") from the table below. A value far below the class speed
 *    (a typing error such as maxspeed=6 on a through road) or above
 *    AM_MAXSPEED_MAX_KMH is implausible and, by default, not used.
 *  - oneway=yes/true/1 forward only, -1/reverse backward only,
 *    no/false/0 both ways; alternating (one lane, both directions in
 *    turn) is both ways; reversible (direction changes with the time of
 *    day) is not usable, as in OSRM, since the direction at the time of
 *    travel is unknown. junction=roundabout/circular and highway=motorway
 *    imply forward. A mode's own key (oneway:bicycle, oneway:foot) wins.
 *  - access=* and its mode-specific refinements: the most specific key
 *    with a recognised value decides (motorcar=yes beats access=no).
 */
#include "inputs/road_profile.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/numparse.h"

#define KMH_PER_MPH 1.609344
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct class_speed {
    const char *highway;
    double kmh;
} class_speed;

/* Car (and ambulance): free-flow speeds; links about 80 % of their class. */
static const class_speed car_speeds[] = {
    {"motorway", 100.0},     {"motorway_link", 80.0},  {"trunk", 80.0},
    {"trunk_link", 65.0},    {"primary", 60.0},        {"primary_link", 50.0},
    {"secondary", 50.0},     {"secondary_link", 40.0}, {"tertiary", 40.0},
    {"tertiary_link", 35.0}, {"unclassified", 30.0},   {"residential", 25.0},
    {"living_street", 10.0}, {"service", 15.0},        {"track", 15.0},
    {"road", 25.0},
};

/* Walk: 5 km/h on everything a pedestrian may use, 3 on steps. */
static const class_speed walk_speeds[] = {
    {"trunk", 5.0},        {"trunk_link", 5.0},    {"primary", 5.0},
    {"primary_link", 5.0}, {"secondary", 5.0},     {"secondary_link", 5.0},
    {"tertiary", 5.0},     {"tertiary_link", 5.0}, {"unclassified", 5.0},
    {"residential", 5.0},  {"living_street", 5.0}, {"service", 5.0},
    {"track", 5.0},        {"road", 5.0},          {"pedestrian", 5.0},
    {"footway", 5.0},      {"path", 5.0},          {"cycleway", 5.0},
    {"bridleway", 5.0},    {"corridor", 5.0},      {"steps", 3.0},
};

/* Bicycle: an everyday rider; footways and pedestrian areas pushed. */
static const class_speed bicycle_speeds[] = {
    {"trunk", 18.0},        {"trunk_link", 18.0},    {"primary", 18.0},
    {"primary_link", 18.0}, {"secondary", 18.0},     {"secondary_link", 18.0},
    {"tertiary", 18.0},     {"tertiary_link", 18.0}, {"unclassified", 16.0},
    {"residential", 16.0},  {"living_street", 10.0}, {"service", 14.0},
    {"track", 12.0},        {"road", 14.0},          {"cycleway", 18.0},
    {"path", 12.0},         {"bridleway", 8.0},      {"footway", 5.0},
    {"pedestrian", 5.0},
};

typedef struct builtin {
    const char *name;
    const class_speed *speeds;
    size_t n_speeds;
    int oneway_general;
    const char *oneway_key;
    const char *access[AM_PROFILE_MAX_ACCESS];
    am_maxspeed_policy maxspeed;
} builtin;

static const builtin builtins[] = {
    {"car",
     car_speeds,
     COUNT(car_speeds),
     1,
     "",
     {"access", "vehicle", "motor_vehicle", "motorcar"},
     AM_MAXSPEED_POLICY_REPLACE},
    {"walk",
     walk_speeds,
     COUNT(walk_speeds),
     0,
     "oneway:foot",
     {"access", "foot"},
     AM_MAXSPEED_POLICY_IGNORE},
    {"bicycle",
     bicycle_speeds,
     COUNT(bicycle_speeds),
     1,
     "oneway:bicycle",
     {"access", "vehicle", "bicycle"},
     AM_MAXSPEED_POLICY_CAP},
    {"ambulance",
     car_speeds,
     COUNT(car_speeds),
     1,
     "",
     {"access", "vehicle", "motor_vehicle", "motorcar", "emergency"},
     AM_MAXSPEED_POLICY_REPLACE},
};

int am_profile_is_builtin(const char *name)
{
    for (size_t i = 0; name != NULL && i < COUNT(builtins); i++)
        if (strcasecmp(name, builtins[i].name) == 0)
            return 1;
    return 0;
}

am_status am_profile_builtin(const char *name, am_profile *out, am_error *err)
{
    const builtin *b = NULL;
    for (size_t i = 0; name != NULL && i < COUNT(builtins); i++)
        if (strcasecmp(name, builtins[i].name) == 0)
            b = &builtins[i];
    if (b == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "unknown travel profile '%s' (known: %s)",
                            name != NULL ? name : "(null)", AM_PROFILE_KNOWN);
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", b->name);
    out->n_classes = (int)b->n_speeds;
    for (size_t i = 0; i < b->n_speeds; i++) {
        snprintf(out->classes[i].highway, AM_PROFILE_KEY_MAX, "%s",
                 b->speeds[i].highway);
        out->classes[i].kmh = b->speeds[i].kmh;
        out->classes[i].mult = 1.0;
    }
    out->oneway_general = b->oneway_general;
    snprintf(out->oneway_key, sizeof out->oneway_key, "%s", b->oneway_key);
    for (int i = 0; i < AM_PROFILE_MAX_ACCESS && b->access[i] != NULL; i++) {
        snprintf(out->access[i], AM_PROFILE_KEY_MAX, "%s", b->access[i]);
        out->n_access = i + 1;
    }
    out->maxspeed = b->maxspeed;
    out->plausible_ratio = 0.4;
    out->plausible_floor_kmh = 20.0;
    out->use_implausible = 0;
    out->ferries = 0;
    out->ferry_kmh = 20.0;
    return AM_OK;
}

static am_profile_class *class_find(const am_profile *p, const char *highway)
{
    if (p == NULL || highway == NULL)
        return NULL;
    for (int i = 0; i < p->n_classes; i++)
        if (strcmp(highway, p->classes[i].highway) == 0)
            return (am_profile_class *)&p->classes[i];
    return NULL;
}

double am_profile_speed_kmh(const am_profile *p, const char *highway)
{
    const am_profile_class *c = class_find(p, highway);
    return c != NULL ? c->kmh * c->mult : 0.0;
}

/* The class's own speed, without its condition multiplier (maxspeed
 * plausibility is judged against it: rain does not make a limit wrong). */
static double class_base_kmh(const am_profile *p, const char *highway,
                             double *mult)
{
    const am_profile_class *c = class_find(p, highway);
    *mult = c != NULL ? c->mult : 1.0;
    return c != NULL ? c->kmh : 0.0;
}

/* "unknown class 'x' for profile car (its classes: motorway, ...)". */
static am_status unknown_class(const am_profile *p, const char *highway,
                               am_error *err)
{
    char list[AM_PROFILE_MAX_CLASSES * AM_PROFILE_KEY_MAX];
    size_t k = 0;
    list[0] = '\0';
    for (int i = 0; i < p->n_classes && k < sizeof list; i++) {
        int w = snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
                         p->classes[i].highway);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    return am_error_set(err, AM_ERR_INVALID, NULL,
                        "unknown road class '%s' for profile %s (its "
                        "classes: %s)",
                        highway != NULL ? highway : "(null)", p->name, list);
}

am_status am_profile_set_speed(am_profile *p, const char *highway, double kmh,
                               am_error *err)
{
    am_profile_class *c = class_find(p, highway);
    if (c == NULL)
        return unknown_class(p, highway, err);
    if (!(isfinite(kmh) && kmh > 0.0 && kmh <= AM_MAXSPEED_MAX_KMH))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "speed %g km/h for class '%s': expected a "
                            "number above 0 and at most %g",
                            kmh, highway, AM_MAXSPEED_MAX_KMH);
    c->kmh = kmh;
    return AM_OK;
}

am_status am_profile_scale_speed(am_profile *p, const char *highway,
                                 double factor, am_error *err)
{
    am_profile_class *c = class_find(p, highway);
    if (c == NULL)
        return unknown_class(p, highway, err);
    if (!(isfinite(factor) && factor > 0.0 && factor <= 10.0))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "speed multiplier %g for class '%s': expected a "
                            "number above 0 and at most 10",
                            factor, highway);
    c->mult *= factor; /* on the way's final speed: see am_profile_eval */
    return AM_OK;
}

/* ---- maxspeed ---------------------------------------------------------- */

/*
 * Implicit national limits, km/h (OSM wiki "Default speed limits" and
 * "Key:maxspeed", section "Implicit maxspeed values"). GB values are in
 * mph there and converted. 0: no general limit (the class speed).
 */
static const struct {
    const char *code;
    double kmh;
} zone_codes[] = {
    {"AT:urban", 50},
    {"AT:rural", 100},
    {"AT:trunk", 100},
    {"AT:motorway", 130},
    {"BE:urban", 50},
    {"BE-VLG:rural", 70},
    {"BE-WAL:rural", 90},
    {"BE:motorway", 120},
    {"CH:urban", 50},
    {"CH:rural", 80},
    {"CH:trunk", 100},
    {"CH:motorway", 120},
    {"CZ:urban", 50},
    {"CZ:rural", 90},
    {"CZ:motorway", 130},
    {"DE:urban", 50},
    {"DE:rural", 100},
    {"DE:motorway", 0},
    {"DE:living_street", AM_WALK_PACE_KMH},
    {"DE:bicycle_road", 30},
    {"DK:urban", 50},
    {"DK:rural", 80},
    {"DK:motorway", 130},
    {"ES:urban", 50},
    {"ES:rural", 90},
    {"ES:motorway", 120},
    {"FI:urban", 50},
    {"FI:rural", 80},
    {"FI:motorway", 120},
    {"FR:urban", 50},
    {"FR:rural", 80},
    {"FR:motorway", 130},
    {"GB:nsl_single", 60 * KMH_PER_MPH},
    {"GB:nsl_dual", 70 * KMH_PER_MPH},
    {"GB:motorway", 70 * KMH_PER_MPH},
    {"GB:nsl_restricted", 30 * KMH_PER_MPH},
    {"HU:urban", 50},
    {"HU:rural", 90},
    {"HU:trunk", 110},
    {"HU:motorway", 130},
    {"IT:urban", 50},
    {"IT:rural", 90},
    {"IT:trunk", 110},
    {"IT:motorway", 130},
    {"NL:urban", 50},
    {"NL:rural", 80},
    {"NL:trunk", 100},
    {"NL:motorway", 130},
    {"PL:urban", 50},
    {"PL:rural", 90},
    {"PL:motorway", 140},
    {"PT:urban", 50},
    {"PT:rural", 90},
    {"PT:motorway", 120},
    {"RO:urban", 50},
    {"RO:rural", 90},
    {"RO:trunk", 100},
    {"RO:motorway", 130},
    {"RU:urban", 60},
    {"RU:rural", 90},
    {"RU:living_street", 20},
    {"RU:motorway", 110},
    {"SE:urban", 50},
    {"SE:rural", 70},
    {"SE:motorway", 110},
    {"SK:urban", 50},
    {"SK:rural", 90},
    {"SK:motorway", 130},
    {"UA:urban", 50},
    {"UA:rural", 90},
    {"UA:motorway", 130},
};

/* Countries whose zone numbers ("GB:zone20") are in mph. */
static int mph_country(const char *s, size_t len)
{
    return (len == 2 && strncasecmp(s, "GB", 2) == 0) ||
           (len == 2 && strncasecmp(s, "US", 2) == 0);
}

/* A decimal number of at most `len` characters at s (digits and '.'), by
 * the project's decimal rule; the number of characters used, 0 if none. */
static size_t number_at(const char *s, size_t len, double *v)
{
    size_t digits = 0;
    while (digits < len &&
           (isdigit((unsigned char)s[digits]) || s[digits] == '.'))
        digits++;
    char number[32];
    if (digits == 0 || digits >= sizeof number)
        return 0;
    memcpy(number, s, digits);
    number[digits] = '\0';
    if (am_parse_real(number, v) != AM_NUM_OK) /* "1.2.3" */
        return 0;
    return digits;
}

/* A code "CC:..." of length len. */
static am_maxspeed_kind zone_parse(const char *s, size_t len, double *kmh)
{
    for (size_t i = 0; i < COUNT(zone_codes); i++)
        if (strlen(zone_codes[i].code) == len &&
            strncasecmp(zone_codes[i].code, s, len) == 0) {
            *kmh = zone_codes[i].kmh;
            return zone_codes[i].kmh > 0.0 ? AM_MAXSPEED_ZONE
                                           : AM_MAXSPEED_NO_LIMIT;
        }
    /* "DE:zone30", "DE:zone:30", "GB:zone20" (mph) */
    const char *colon = memchr(s, ':', len);
    if (colon == NULL)
        return AM_MAXSPEED_BAD;
    size_t cc = (size_t)(colon - s);
    const char *r = colon + 1;
    size_t rest = len - cc - 1;
    if (cc < 2 || rest < 5 || strncasecmp(r, "zone", 4) != 0)
        return AM_MAXSPEED_BAD;
    r += 4;
    rest -= 4;
    if (*r == ':') {
        r++;
        rest--;
    }
    double v = 0.0;
    size_t used = number_at(r, rest, &v);
    if (used == 0 || used != rest || !(v > 0.0))
        return AM_MAXSPEED_BAD;
    *kmh = mph_country(s, cc) ? v * KMH_PER_MPH : v;
    return AM_MAXSPEED_ZONE;
}

/* One entry of a maxspeed list: s[0 .. len-1], trimmed by the caller. */
static am_maxspeed_kind entry_parse(const char *s, size_t len, double *kmh)
{
    *kmh = 0.0;
    if (len == 0)
        return AM_MAXSPEED_BAD;
    if ((len == 4 && strncasecmp(s, "none", 4) == 0) ||
        (len == 7 && strncasecmp(s, "signals", 7) == 0) ||
        (len == 8 && strncasecmp(s, "variable", 8) == 0))
        return AM_MAXSPEED_NO_LIMIT;
    if (len == 4 && strncasecmp(s, "walk", 4) == 0) {
        *kmh = AM_WALK_PACE_KMH;
        return AM_MAXSPEED_VALUE;
    }
    if (!isdigit((unsigned char)s[0]))
        return memchr(s, ':', len) != NULL ? zone_parse(s, len, kmh)
                                           : AM_MAXSPEED_BAD;
    /* Only digits and a point: strtod would also take "0x10" as 16 and
     * "1e2" as 100, which no OSM mapper means. */
    double v = 0.0;
    size_t digits = number_at(s, len, &v);
    if (digits == 0 || !(v > 0.0))
        return AM_MAXSPEED_BAD;
    const char *unit = s + digits;
    size_t ulen = len - digits;
    while (ulen > 0 && isspace((unsigned char)*unit)) {
        unit++;
        ulen--;
    }
    if (ulen == 0 || (ulen == 4 && strncasecmp(unit, "km/h", 4) == 0) ||
        (ulen == 3 && strncasecmp(unit, "kmh", 3) == 0) ||
        (ulen == 3 && strncasecmp(unit, "kph", 3) == 0))
        *kmh = v;
    else if (ulen == 3 && strncasecmp(unit, "mph", 3) == 0)
        *kmh = v * KMH_PER_MPH;
    else
        return AM_MAXSPEED_BAD; /* knots, "50 zone", typos */
    return AM_MAXSPEED_VALUE;
}

am_maxspeed_kind am_maxspeed_parse(const char *value, double *kmh)
{
    *kmh = 0.0;
    if (value == NULL || value[0] == '\0')
        return AM_MAXSPEED_ABSENT;
    am_maxspeed_kind kind = AM_MAXSPEED_NO_LIMIT;
    const char *s = value;
    for (;;) {
        size_t len = strcspn(s, ";");
        const char *e = s;
        size_t n = len;
        while (n > 0 && isspace((unsigned char)*e)) {
            e++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)e[n - 1]))
            n--;
        double v = 0.0;
        am_maxspeed_kind k = entry_parse(e, n, &v);
        if (k == AM_MAXSPEED_BAD) {
            *kmh = 0.0;
            return AM_MAXSPEED_BAD;
        }
        if ((k == AM_MAXSPEED_VALUE || k == AM_MAXSPEED_ZONE) &&
            (*kmh == 0.0 || v < *kmh)) {
            *kmh = v;
            kind = k;
        }
        if (s[len] == '\0')
            break;
        s += len + 1;
    }
    return kind;
}

/* Digits only, at most max_digits of them, into *v. */
static int digits_only(const char *s, size_t len, size_t max_digits, long *v)
{
    if (len == 0 || len > max_digits)
        return 0;
    long r = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        r = r * 10 + (s[i] - '0');
    }
    *v = r;
    return 1;
}

int am_duration_parse(const char *value, double *seconds)
{
    if (value == NULL)
        return 0;
    long part[3] = {0, 0, 0};
    size_t n = 0;
    const char *s = value;
    for (;;) {
        size_t len = strcspn(s, ":");
        if (n == 3)
            return 0;
        /* minutes alone may be long ("150"); else two digits at most */
        size_t max = n == 0 ? 4 : 2;
        if (!digits_only(s, len, max, &part[n]))
            return 0;
        n++;
        if (s[len] == '\0')
            break;
        s += len + 1;
    }
    double t;
    if (n == 1)
        t = (double)part[0] * 60.0;
    else if (part[0] > 99 || part[1] > 59 || (n == 3 && part[2] > 59))
        return 0;
    else
        t = (double)part[0] * 3600.0 + (double)part[1] * 60.0 + (double)part[2];
    if (!(t > 0.0))
        return 0;
    *seconds = t;
    return 1;
}

/* ---- oneway and access ------------------------------------------------- */

/* 1, -1, 0, 2 (reversible) for a recognised value; 3 otherwise. */
static int parse_oneway(const char *v)
{
    if (v == NULL)
        return 3;
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
        strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "-1") == 0 || strcasecmp(v, "reverse") == 0)
        return -1;
    if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
        strcmp(v, "0") == 0 || strcasecmp(v, "alternating") == 0)
        return 0;
    if (strcasecmp(v, "reversible") == 0)
        return 2;
    return 3;
}

int am_profile_oneway(const am_profile *p, const char *oneway, const char *mode,
                      const char *junction, const char *highway)
{
    int d = parse_oneway(mode);
    if (d != 3)
        return d;
    if (!p->oneway_general)
        return 0;
    d = parse_oneway(oneway);
    if (d != 3)
        return d;
    if (junction != NULL && (strcmp(junction, "roundabout") == 0 ||
                             strcmp(junction, "circular") == 0))
        return 1;
    if (highway != NULL && strcmp(highway, "motorway") == 0)
        return 1;
    return 0;
}

static int in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v, list[i]) == 0)
            return 1;
    return 0;
}

int am_profile_closed(const am_profile *p, const char *const *values)
{
    static const char *const closing[] = {
        "no",       "private",  "agricultural", "forestry",
        "delivery", "military", "use_sidepath"};
    static const char *const opening[] = {"yes",        "permissive",
                                          "designated", "destination",
                                          "customers",  "permit"};
    for (int i = p->n_access - 1; i >= 0; i--) {
        const char *v = values[i];
        if (v == NULL || v[0] == '\0')
            continue;
        if (in_list(v, closing, COUNT(closing)))
            return 1;
        if (in_list(v, opening, COUNT(opening)))
            return 0;
    }
    return 0;
}

/* ---- the verdict --------------------------------------------------------- */

static int is(const char *v, const char *want)
{
    return v != NULL && strcmp(v, want) == 0;
}

static void eval_speed(const am_profile *p, const am_way_tags *t,
                       double class_kmh, am_way_verdict *out);

void am_profile_eval(const am_profile *p, const am_way_tags *t,
                     am_way_verdict *out)
{
    memset(out, 0, sizeof *out);
    out->drop = AM_WAY_NOT_ROUTABLE;
    double mult = 1.0;
    double class_kmh = class_base_kmh(p, t->highway, &mult);
    int ferry = class_kmh <= 0.0 && is(t->route, "ferry") &&
                (t->highway == NULL || t->highway[0] == '\0');
    if (class_kmh <= 0.0 && !(ferry && p->ferries))
        return;
    if (!ferry &&
        (is(t->area, "yes") || is(t->area, "true") || is(t->area, "1"))) {
        out->drop = AM_WAY_AREA;
        return;
    }
    if (am_profile_closed(p, t->access)) {
        out->drop = AM_WAY_CLOSED;
        return;
    }
    int dir = am_profile_oneway(p, t->oneway, t->oneway_mode,
                                ferry ? NULL : t->junction,
                                ferry ? NULL : t->highway);
    if (dir == 2) {
        out->drop = AM_WAY_REVERSIBLE;
        return;
    }
    out->drop = AM_WAY_USED;
    out->dir = dir;
    if (ferry) {
        out->ferry = 1;
        out->kmh = p->ferry_kmh;
        if (t->duration != NULL && t->duration[0] != '\0' &&
            !am_duration_parse(t->duration, &out->ferry_s))
            out->ferry_bad_duration = 1;
        return;
    }
    eval_speed(p, t, class_kmh, out);
    out->kmh *= mult; /* roads.speed_multipliers: the road's conditions */
}

/* The way's speed before its class's condition multiplier: the class
 * speed, or its maxspeed as the profile's policy says. */
static void eval_speed(const am_profile *p, const am_way_tags *t,
                       double class_kmh, am_way_verdict *out)
{
    out->kmh = class_kmh;
    if (p->maxspeed == AM_MAXSPEED_POLICY_IGNORE)
        return;
    double v = 0.0;
    am_maxspeed_kind k = am_maxspeed_parse(t->maxspeed, &v);
    if (k == AM_MAXSPEED_ABSENT || k == AM_MAXSPEED_NO_LIMIT)
        return;
    if (k == AM_MAXSPEED_BAD) {
        out->maxspeed = AM_MAXSPEED_USE_UNPARSABLE;
        return;
    }
    double low = fmin(p->plausible_ratio * class_kmh, p->plausible_floor_kmh);
    if (v < low || v > AM_MAXSPEED_MAX_KMH) {
        out->maxspeed = AM_MAXSPEED_USE_IMPLAUSIBLE;
        if (!p->use_implausible)
            return;
    } else {
        out->maxspeed = AM_MAXSPEED_USE_USED;
    }
    if (p->maxspeed == AM_MAXSPEED_POLICY_REPLACE && k == AM_MAXSPEED_VALUE)
        out->kmh = v;
    else
        out->kmh = fmin(class_kmh, v);
}

/* ---- hstore (GDAL's OSM other_tags) ------------------------------------ */

/*
 * One double-quoted token starting at s (at the opening quote), unescaping
 * \x to x, into buf (n bytes; *too_long set when it did not fit). Returns
 * the position after the closing quote, or NULL when malformed.
 */
static const char *hstore_token(const char *s, char *buf, size_t n,
                                int *too_long)
{
    if (*s != '"')
        return NULL;
    s++;
    size_t k = 0;
    for (;;) {
        char c = *s;
        if (c == '\0')
            return NULL;
        if (c == '"')
            break;
        if (c == '\\') {
            s++;
            c = *s;
            if (c == '\0')
                return NULL;
        }
        if (k + 1 < n)
            buf[k++] = c;
        else
            *too_long = 1;
        s++;
    }
    buf[k] = '\0';
    return s + 1;
}

static const char *hstore_blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return s;
}

int am_hstore_next(const char **pos, char *key, size_t key_n, char *val,
                   size_t val_n, int *too_long)
{
    static const char end[] = "";
    const char *s = hstore_blank(*pos);
    *too_long = 0;
    if (*s == '\0')
        goto stop;
    if ((s = hstore_token(s, key, key_n, too_long)) == NULL)
        goto stop;
    s = hstore_blank(s);
    if (s[0] != '=' || s[1] != '>')
        goto stop;
    s = hstore_blank(s + 2);
    if (strncmp(s, "NULL", 4) == 0) {
        if (val_n > 0)
            val[0] = '\0';
        s += 4;
    } else if ((s = hstore_token(s, val, val_n, too_long)) == NULL) {
        goto stop;
    }
    s = hstore_blank(s);
    *pos = *s == ',' ? s + 1 : end;
    return 1;
stop:
    *pos = end;
    return 0;
}
