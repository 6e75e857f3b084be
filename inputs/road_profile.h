/*
 * road_profile.h: travel profiles (which ways are routable, how fast, in
 * which direction) and the reading of OSM tags they need.
 *
 * A profile is data (am_profile): a speed per routable highway class, a
 * oneway policy, the access keys it checks from least to most specific,
 * how maxspeed applies, and whether ferries are used. Four are built in:
 * car, walk, bicycle and ambulance (their tables and rationale:
 * docs/profiles.md). A caller copies one (am_profile_builtin), may change
 * its speeds (am_profile_set_speed, am_profile_scale_speed) and passes it
 * to the road loader. am_profile_eval turns one way's tags into a verdict
 * (routable or why not, speed, direction, ferry crossing time), so that
 * every tag rule lives here and is testable without GDAL.
 *
 * Pure functions over strings and plain structs; thread-safe; no
 * allocation.
 */
#ifndef AM_ROAD_PROFILE_H
#define AM_ROAD_PROFILE_H

#include <stddef.h>

#include "common/error.h"

#define AM_PROFILE_NAME_MAX 64    /* name, with its terminating NUL */
#define AM_PROFILE_KEY_MAX 32     /* a class name or tag key, with NUL */
#define AM_PROFILE_MAX_CLASSES 40 /* routable classes of one profile */
#define AM_PROFILE_MAX_ACCESS 6   /* access keys of one profile */
/* Highest maxspeed taken as a real limit; above is a typing error. */
#define AM_MAXSPEED_MAX_KMH 200.0
/* maxspeed=walk ("walking pace"), and the national walk codes. */
#define AM_WALK_PACE_KMH 6.0
/* The built-in profiles' names, for messages. */
#define AM_PROFILE_KNOWN "car, walk, bicycle, ambulance"

/* How a way's maxspeed applies to the class speed. */
typedef enum am_maxspeed_policy {
    /* an explicit number replaces the class speed; an implicit national
       code (DE:rural) only caps it */
    AM_MAXSPEED_POLICY_REPLACE = 0,
    /* any limit only caps the class speed (bicycle: min of the two) */
    AM_MAXSPEED_POLICY_CAP = 1,
    /* not read at all (walk) */
    AM_MAXSPEED_POLICY_IGNORE = 2
} am_maxspeed_policy;

typedef struct am_profile_class {
    char highway[AM_PROFILE_KEY_MAX]; /* OSM highway=* value */
    double kmh;                       /* > 0 and finite */
    double mult; /* condition multiplier (roads.speed_multipliers; 1 by
                    default), applied to a way's final speed, whether it
                    came from the class or from a maxspeed tag */
} am_profile_class;

typedef struct am_profile {
    char name[AM_PROFILE_NAME_MAX];
    int n_classes;
    am_profile_class classes[AM_PROFILE_MAX_CLASSES]; /* the routable ones */
    /* 1: oneway=*, junction=roundabout/circular and motorways apply */
    int oneway_general;
    /* a mode's own oneway key ("oneway:bicycle"), "" for none: when it
       holds a recognised value it wins over everything else */
    char oneway_key[AM_PROFILE_KEY_MAX];
    int n_access;
    char access[AM_PROFILE_MAX_ACCESS][AM_PROFILE_KEY_MAX]; /* least
                                               specific first: "access" */
    am_maxspeed_policy maxspeed;
    /* a maxspeed is implausible when above AM_MAXSPEED_MAX_KMH or below
       min(plausible_ratio x class speed, plausible_floor_kmh) */
    double plausible_ratio;
    double plausible_floor_kmh;
    int use_implausible; /* 1: use implausible values anyway (counted) */
    int ferries;         /* 1: route=ferry ways are routable */
    double ferry_kmh;    /* crossing speed when a ferry has no duration */
} am_profile;

/*
 * Copies the built-in profile `name` (car, walk, bicycle, ambulance; case
 * insensitive) into *out. AM_ERR_INVALID naming the known ones otherwise.
 */
am_status am_profile_builtin(const char *name, am_profile *out, am_error *err);

/* 1 when name is a built-in profile. */
int am_profile_is_builtin(const char *name);

/* Speed of a highway class in km/h, or 0 if the profile does not route it. */
double am_profile_speed_kmh(const am_profile *p, const char *highway);

/*
 * Sets class `highway`'s speed to kmh (replace) or multiplies it by
 * factor. AM_ERR_INVALID when the value is not finite and > 0 (a factor
 * also at most 10, a speed at most AM_MAXSPEED_MAX_KMH) or the class is
 * not one of the profile's (the message lists them). Names the class;
 * callers add file and line.
 */
am_status am_profile_set_speed(am_profile *p, const char *highway, double kmh,
                               am_error *err);
am_status am_profile_scale_speed(am_profile *p, const char *highway,
                                 double factor, am_error *err);

/* What a maxspeed value says. */
typedef enum am_maxspeed_kind {
    AM_MAXSPEED_ABSENT = 0, /* NULL or empty */
    AM_MAXSPEED_VALUE,      /* an explicit number (with its unit) */
    AM_MAXSPEED_ZONE,       /* an implicit national code: RU:urban */
    AM_MAXSPEED_NO_LIMIT,   /* none, signals, variable: no number */
    AM_MAXSPEED_BAD         /* not understood */
} am_maxspeed_kind;

/*
 * Parses an OSM maxspeed value into *kmh (> 0 for VALUE and ZONE, 0
 * otherwise). Numbers: digits and a point, optional unit km/h, kmh, kph,
 * mph; "walk" is AM_WALK_PACE_KMH; lists "50;80" give their lowest value
 * (ZONE if that came from a code); codes from the table in
 * docs/profiles.md (OSM wiki, "Default speed limits"), including
 * "XX:zoneNN" / "XX:zone:NN".
 */
am_maxspeed_kind am_maxspeed_parse(const char *value, double *kmh);

/*
 * Parses an OSM duration (Key:duration): "MM", "HH:MM", "HH:MM:SS"
 * (minutes and seconds below 60, hours up to 99, total > 0). Returns 1 and
 * sets *seconds, or 0.
 */
int am_duration_parse(const char *value, double *seconds);

/*
 * Direction of a way for profile p: 0 both ways, 1 forward only, -1
 * backward only, 2 not usable (oneway=reversible, direction unknown).
 * mode: the value of p->oneway_key (NULL when absent).
 */
int am_profile_oneway(const am_profile *p, const char *oneway, const char *mode,
                      const char *junction, const char *highway);

/*
 * Whether the access tags close the way for p: values[i] is the value of
 * p->access[i] (NULL when absent). The most specific key with a
 * recognised value decides: no, private, agricultural, forestry,
 * delivery, military, use_sidepath close; yes, permissive, designated,
 * destination, customers, permit open. Returns 1 when closed.
 */
int am_profile_closed(const am_profile *p, const char *const *values);

/*
 * The next "key"=>"value" pair of an hstore string, the form of GDAL's OSM
 * driver's other_tags ("oneway"=>"yes","maxspeed"=>"50"): keys and values
 * double-quoted with \" and \\ escapes (a backslash takes the next byte
 * as is), blanks around => and the commas, a value NULL (unquoted) read as
 * "". *pos is the reading position: NUL-terminated, advanced past the pair
 * (and its comma). Fills key and val (key_n, val_n >= 1 bytes with the NUL;
 * *too_long = 1 when either was cut to fit: skip that pair) and returns 1;
 * returns 0 at the end of the string or at malformed text (an unclosed
 * quote, a missing =>, a missing comma after a pair: that pair is still
 * returned, the next call returns 0). No allocation.
 */
int am_hstore_next(const char **pos, char *key, size_t key_n, char *val,
                   size_t val_n, int *too_long);

/* One way's tags, as the loader found them (NULL: absent). */
typedef struct am_way_tags {
    const char *highway, *oneway, *junction, *maxspeed, *area, *route,
        *duration;
    const char *oneway_mode;                   /* value of p->oneway_key */
    const char *access[AM_PROFILE_MAX_ACCESS]; /* values of p->access[i] */
} am_way_tags;

/* Why a way is not used. */
typedef enum am_way_drop {
    AM_WAY_USED = 0,
    AM_WAY_NOT_ROUTABLE, /* class not in the profile (or ferries off) */
    AM_WAY_AREA,         /* area=yes: a square, not a line to follow */
    AM_WAY_CLOSED,       /* access tags close it for this profile */
    AM_WAY_REVERSIBLE    /* oneway=reversible: direction unknown */
} am_way_drop;

/* What became of the way's maxspeed. */
typedef enum am_maxspeed_use {
    AM_MAXSPEED_USE_NONE = 0,   /* absent, "none", or the policy ignores it */
    AM_MAXSPEED_USE_USED,       /* changed (or confirmed) the speed */
    AM_MAXSPEED_USE_UNPARSABLE, /* not understood: class speed */
    AM_MAXSPEED_USE_IMPLAUSIBLE /* implausible: class speed, unless
                                   p->use_implausible */
} am_maxspeed_use;

typedef struct am_way_verdict {
    am_way_drop drop;
    double kmh;             /* speed along the way (ferry: p->ferry_kmh) */
    int dir;                /* as am_profile_oneway, 0 / 1 / -1 */
    int ferry;              /* 1: a ferry crossing */
    double ferry_s;         /* > 0: the crossing's duration (seconds) from its
                               duration tag, to spread over its length */
    int ferry_bad_duration; /* a duration tag that did not parse */
    am_maxspeed_use maxspeed;
} am_way_verdict;

/* The verdict of profile p on a way with tags t. */
void am_profile_eval(const am_profile *p, const am_way_tags *t,
                     am_way_verdict *out);

#endif /* AM_ROAD_PROFILE_H */
