/*
 * road_profile.c: which OSM ways a car may use, and how fast (see
 * road_profile.h).
 *
 * Why: accessibility is measured in travel time, so every road line needs a
 * speed and a direction. OSM tags are free text written by many hands; this
 * file turns them into numbers in one place, conservatively: anything not
 * understood is "not usable" (0) and the caller falls back to a default.
 *
 * Method and tag semantics (OpenStreetMap wiki, pages Key:highway,
 * Key:oneway, Key:maxspeed, Key:junction):
 *  - highway=* is the road class. Speeds below are free-flow car speeds of
 *    our own choosing for networks without traffic data, in the spirit of
 *    the defaults of AccessMod and OSRM's car profile (rural/developing
 *    regions, where most of accessim's studies are): fast classes are
 *    lowered somewhat from posted limits, links are about 80 % of their
 *    class (ramps and slip roads), and minor classes reflect surface and
 *    congestion (track, service, living_street). Classes a car may not use
 *    (footway, path, steps, ...) and any class we do not know get 0.
 *  - maxspeed=* is the legal limit: a decimal number (digits and a
 *    point; no sign, hex or exponent) in km/h, optionally with a
 *    unit ("km/h", "kmh", "kph", "mph"); several values separated by ';'
 *    (we take the first); implicit zone values ("RU:urban", "DE:zone30"),
 *    "none", "signals", "walk", "variable" carry no number we can trust.
 *    Values outside 5..200 km/h are taken as typing errors.
 *  - oneway=yes/true/1 forward only, -1/reverse backward only, no/false/0
 *    both ways. junction=roundabout or circular implies oneway=yes, as does
 *    highway=motorway, unless oneway says otherwise. Time-dependent values
 *    (reversible, alternating) and anything else are treated as absent, so
 *    the implied default applies.
 */
#include "inputs/road_profile.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "common/numparse.h"

/* Speeds in km/h for the car profile; see the file comment for rationale. */
static const struct {
    const char *highway;
    double kmh;
} car_speeds[] = {
    {"motorway", 100.0},     {"motorway_link", 80.0},  {"trunk", 80.0},
    {"trunk_link", 65.0},    {"primary", 60.0},        {"primary_link", 50.0},
    {"secondary", 50.0},     {"secondary_link", 40.0}, {"tertiary", 40.0},
    {"tertiary_link", 35.0}, {"unclassified", 30.0},   {"residential", 25.0},
    {"living_street", 10.0}, {"service", 15.0},        {"track", 15.0},
    {"road", 25.0},
};

/* Lowest and highest plausible maxspeed in km/h. */
#define MAXSPEED_MIN_KMH 5.0
#define MAXSPEED_MAX_KMH 200.0
#define KMH_PER_MPH 1.609344

am_status am_profile_from_name(const char *name, am_profile_kind *out,
                               am_error *err)
{
    if (name != NULL && strcasecmp(name, "car") == 0) {
        *out = AM_PROFILE_CAR;
        return AM_OK;
    }
    return am_error_set(err, AM_ERR_INVALID, NULL,
                        "unknown travel profile '%s' (known: car)",
                        name != NULL ? name : "(null)");
}

double am_profile_speed_kmh(am_profile_kind p, const char *highway)
{
    if (p != AM_PROFILE_CAR || highway == NULL)
        return 0.0;
    /* Every class not listed (footway, path, cycleway, steps, pedestrian,
     * bridleway, construction, proposed, abandoned, platform, raceway,
     * corridor, bus_guideway, busway, escape, elevator, via_ferrata,
     * services, rest_area, ...) is not for cars. */
    for (size_t i = 0; i < sizeof car_speeds / sizeof car_speeds[0]; i++)
        if (strcmp(highway, car_speeds[i].highway) == 0)
            return car_speeds[i].kmh;
    return 0.0;
}

static const char *skip_space(const char *s)
{
    while (*s != '\0' && isspace((unsigned char)*s))
        s++;
    return s;
}

double am_profile_parse_maxspeed(const char *value)
{
    if (value == NULL)
        return 0.0;
    const char *s = skip_space(value);
    /* Only a plain decimal number may start the value: "RU:urban", "none",
     * "signals", "walk", "-50" and the like are not usable. The number is
     * digits and a decimal point, read by the project's decimal rule
     * (common/numparse.h); strtod would also take "0x10" as 16 and "1e2"
     * as 100, which no OSM mapper means: their "x10" and "e2" are left as
     * units nobody knows, so the value is not usable. */
    if (!isdigit((unsigned char)*s))
        return 0.0;
    size_t digits = strspn(s, "0123456789.");
    char number[32];
    double v = 0.0;
    if (digits >= sizeof number)
        return 0.0;
    memcpy(number, s, digits);
    number[digits] = '\0';
    if (am_parse_real(number, &v) != AM_NUM_OK)
        return 0.0; /* "1.2.3" */
    const char *unit = skip_space(s + digits);
    /* Unit runs up to the end or to the ';' of a multi-value tag. */
    size_t len = strcspn(unit, ";");
    while (len > 0 && isspace((unsigned char)unit[len - 1]))
        len--;
    double kmh;
    if (len == 0)
        kmh = v;
    else if ((len == 4 && strncasecmp(unit, "km/h", 4) == 0) ||
             (len == 3 && strncasecmp(unit, "kmh", 3) == 0) ||
             (len == 3 && strncasecmp(unit, "kph", 3) == 0))
        kmh = v;
    else if (len == 3 && strncasecmp(unit, "mph", 3) == 0)
        kmh = v * KMH_PER_MPH;
    else
        return 0.0; /* knots, "50 zone", typos: not trusted */
    if (!(kmh >= MAXSPEED_MIN_KMH && kmh <= MAXSPEED_MAX_KMH))
        return 0.0;
    return kmh;
}

/* 1, -1, 0 for a recognised oneway value; 2 when absent or not recognised. */
static int parse_oneway(const char *v)
{
    if (v == NULL)
        return 2;
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
        strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "-1") == 0 || strcasecmp(v, "reverse") == 0)
        return -1;
    if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
        strcmp(v, "0") == 0)
        return 0;
    return 2;
}

int am_profile_oneway(const char *oneway, const char *junction,
                      const char *highway)
{
    int d = parse_oneway(oneway);
    if (d != 2)
        return d;
    if (junction != NULL && (strcmp(junction, "roundabout") == 0 ||
                             strcmp(junction, "circular") == 0))
        return 1;
    if (highway != NULL && strcmp(highway, "motorway") == 0)
        return 1;
    return 0;
}
