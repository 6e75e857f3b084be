/*
 * test_road_profile.c: the travel profiles and their reading of OSM tags
 * (inputs/road_profile.h): class tables, maxspeed (numbers, units, lists,
 * national codes, plausibility), durations, oneway, access, areas,
 * ferries and speed settings. Tables of inputs and expected outputs,
 * hostile strings included.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "inputs/road_profile.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MPH 1.609344

static am_profile get(const char *name)
{
    am_profile p;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_profile_builtin(name, &p, &err), AM_OK);
    return p;
}

static void test_profile_names(void **state)
{
    (void)state;
    static const char *const known[] = {"car", "walk", "bicycle", "ambulance",
                                        "CAR"};
    for (size_t i = 0; i < N(known); i++) {
        am_profile p = get(known[i]);
        assert_true(p.n_classes > 0);
        assert_true(am_profile_is_builtin(known[i]));
    }
    am_profile p;
    am_error err;
    static const char *const bad[] = {"bike", "", "car ", "truck", "c\x01r"};
    for (size_t i = 0; i < N(bad); i++) {
        am_error_clear(&err);
        assert_int_equal(am_profile_builtin(bad[i], &p, &err), AM_ERR_INVALID);
        assert_non_null(
            strstr(err.msg, "known: car, walk, bicycle, ambulance"));
        assert_false(am_profile_is_builtin(bad[i]));
    }
    assert_int_equal(am_profile_builtin(NULL, &p, NULL), AM_ERR_INVALID);
}

static void test_class_speeds(void **state)
{
    (void)state;
    static const struct {
        const char *profile, *hw;
        double kmh;
    } cases[] = {
        {"car", "motorway", 100},
        {"car", "trunk", 80},
        {"car", "primary", 60},
        {"car", "secondary", 50},
        {"car", "tertiary", 40},
        {"car", "unclassified", 30},
        {"car", "residential", 25},
        {"car", "living_street", 10},
        {"car", "service", 15},
        {"car", "track", 15},
        {"car", "road", 25},
        {"car", "footway", 0},
        {"car", "path", 0},
        {"car", "steps", 0},
        {"car", "construction", 0},
        {"car", "Primary", 0},
        {"car", "primary ", 0},
        {"car", "", 0},
        {"walk", "footway", 5},
        {"walk", "steps", 3},
        {"walk", "primary", 5},
        {"walk", "trunk", 5},
        {"walk", "motorway", 0},
        {"walk", "motorway_link", 0},
        {"bicycle", "cycleway", 18},
        {"bicycle", "residential", 16},
        {"bicycle", "footway", 5},
        {"bicycle", "motorway", 0},
        {"bicycle", "steps", 0},
        {"ambulance", "primary", 60},
        {"ambulance", "motorway", 100},
        {"ambulance", "footway", 0},
    };
    for (size_t i = 0; i < N(cases); i++) {
        am_profile p = get(cases[i].profile);
        double got = am_profile_speed_kmh(&p, cases[i].hw);
        if (got != cases[i].kmh)
            fail_msg("%s %s: got %g, want %g", cases[i].profile, cases[i].hw,
                     got, cases[i].kmh);
    }
    am_profile car = get("car");
    assert_true(am_profile_speed_kmh(&car, NULL) == 0.0);
    assert_true(am_profile_speed_kmh(NULL, "primary") == 0.0);
    /* links are a little slower than their class, but routable */
    static const char *const links[][2] = {
        {"motorway_link", "motorway"}, {"trunk_link", "trunk"},
        {"primary_link", "primary"},   {"secondary_link", "secondary"},
        {"tertiary_link", "tertiary"},
    };
    for (size_t i = 0; i < N(links); i++) {
        double l = am_profile_speed_kmh(&car, links[i][0]);
        double c = am_profile_speed_kmh(&car, links[i][1]);
        assert_true(l > 0.5 * c && l < c);
    }
}

static void test_maxspeed_parse(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        am_maxspeed_kind kind;
        double kmh;
    } cases[] = {
        {"50", AM_MAXSPEED_VALUE, 50},
        {"50 km/h", AM_MAXSPEED_VALUE, 50},
        {"50km/h", AM_MAXSPEED_VALUE, 50},
        {" 70 kmh ", AM_MAXSPEED_VALUE, 70},
        {"80 kph", AM_MAXSPEED_VALUE, 80},
        {"80 KPH", AM_MAXSPEED_VALUE, 80},
        {"30 mph", AM_MAXSPEED_VALUE, 30 * MPH},
        {"30mph", AM_MAXSPEED_VALUE, 30 * MPH},
        {"7.5", AM_MAXSPEED_VALUE, 7.5},
        {"50.", AM_MAXSPEED_VALUE, 50},
        {"000050", AM_MAXSPEED_VALUE, 50},
        {"201", AM_MAXSPEED_VALUE, 201}, /* parsed; plausibility decides */
        {"walk", AM_MAXSPEED_VALUE, AM_WALK_PACE_KMH},
        /* lists: the lowest value */
        {"50;80", AM_MAXSPEED_VALUE, 50},
        {"80;50", AM_MAXSPEED_VALUE, 50},
        {"90 ; 50 mph", AM_MAXSPEED_VALUE, 50 * MPH},
        {"80 ; 50 mph", AM_MAXSPEED_VALUE, 80},
        {"none;60", AM_MAXSPEED_VALUE, 60},
        {"RU:urban;50", AM_MAXSPEED_VALUE, 50},
        {"90;RU:urban", AM_MAXSPEED_ZONE, 60},
        /* implicit national codes */
        {"RU:urban", AM_MAXSPEED_ZONE, 60},
        {"RU:rural", AM_MAXSPEED_ZONE, 90},
        {"DE:rural", AM_MAXSPEED_ZONE, 100},
        {"DE:urban", AM_MAXSPEED_ZONE, 50},
        {"de:urban", AM_MAXSPEED_ZONE, 50},
        {"FR:urban", AM_MAXSPEED_ZONE, 50},
        {"FR:rural", AM_MAXSPEED_ZONE, 80},
        {"GB:nsl_single", AM_MAXSPEED_ZONE, 60 * MPH},
        {"GB:nsl_dual", AM_MAXSPEED_ZONE, 70 * MPH},
        {"DE:living_street", AM_MAXSPEED_ZONE, AM_WALK_PACE_KMH},
        {"DE:zone30", AM_MAXSPEED_ZONE, 30},
        {"DE:zone:30", AM_MAXSPEED_ZONE, 30},
        {"GB:zone20", AM_MAXSPEED_ZONE, 20 * MPH},
        {"DE:motorway", AM_MAXSPEED_NO_LIMIT, 0},
        /* no number */
        {"none", AM_MAXSPEED_NO_LIMIT, 0},
        {"signals", AM_MAXSPEED_NO_LIMIT, 0},
        {"variable", AM_MAXSPEED_NO_LIMIT, 0},
        {"NONE", AM_MAXSPEED_NO_LIMIT, 0},
        {"", AM_MAXSPEED_ABSENT, 0},
        /* not understood (hostile strings included) */
        {"XX:urban", AM_MAXSPEED_BAD, 0},
        {"DE:zone", AM_MAXSPEED_BAD, 0},
        {"DE:zone0", AM_MAXSPEED_BAD, 0},
        {"DE:zone30x", AM_MAXSPEED_BAD, 0},
        {"D:zone30", AM_MAXSPEED_BAD, 0},
        {":", AM_MAXSPEED_BAD, 0},
        {"-50", AM_MAXSPEED_BAD, 0},
        {"0", AM_MAXSPEED_BAD, 0},
        {"50 knots", AM_MAXSPEED_BAD, 0},
        {"fifty", AM_MAXSPEED_BAD, 0},
        {"0x10", AM_MAXSPEED_BAD, 0},
        {"0X32", AM_MAXSPEED_BAD, 0},
        {"1e2", AM_MAXSPEED_BAD, 0},
        {"1E2 km/h", AM_MAXSPEED_BAD, 0},
        {"5e1;70", AM_MAXSPEED_BAD, 0},
        {"60;0x10", AM_MAXSPEED_BAD, 0},
        {"1.2.3", AM_MAXSPEED_BAD, 0},
        {"50,5", AM_MAXSPEED_BAD, 0},
        {"50;", AM_MAXSPEED_BAD, 0},
        {";", AM_MAXSPEED_BAD, 0},
        {" ", AM_MAXSPEED_BAD, 0},
        {"inf", AM_MAXSPEED_BAD, 0},
        {"nan", AM_MAXSPEED_BAD, 0},
        {"%s%n", AM_MAXSPEED_BAD, 0},
        {"50\n80", AM_MAXSPEED_BAD, 0},
        {"1000000000000000000000000000000000000000050", AM_MAXSPEED_BAD, 0},
    };
    for (size_t i = 0; i < N(cases); i++) {
        double kmh = -1.0;
        am_maxspeed_kind k = am_maxspeed_parse(cases[i].v, &kmh);
        if (k != cases[i].kind || fabs(kmh - cases[i].kmh) > 1e-9)
            fail_msg("maxspeed '%s': got kind %d %g, want %d %g", cases[i].v,
                     (int)k, kmh, (int)cases[i].kind, cases[i].kmh);
    }
    double kmh = -1.0;
    assert_int_equal(am_maxspeed_parse(NULL, &kmh), AM_MAXSPEED_ABSENT);
    assert_true(kmh == 0.0);
}

static void test_duration(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        int ok;
        double s;
    } cases[] = {
        {"90", 1, 5400},
        {"0:45", 1, 2700},
        {"01:30", 1, 5400},
        {"1:30:15", 1, 5415},
        {"99:59:59", 1, 359999},
        {"0", 0, 0},
        {"00:00", 0, 0},
        {"1:60", 0, 0},
        {"1:30:60", 0, 0},
        {"100:00", 0, 0},
        {"1:2:3:4", 0, 0},
        {"", 0, 0},
        {":", 0, 0},
        {"1:", 0, 0},
        {"-5", 0, 0},
        {"1.5", 0, 0},
        {"PT1H30M", 0, 0},
        {"1h30", 0, 0},
        {"12345", 0, 0},
        {" 90", 0, 0},
        {"1:300", 0, 0},
    };
    for (size_t i = 0; i < N(cases); i++) {
        double s = -1.0;
        int ok = am_duration_parse(cases[i].v, &s);
        if (ok != cases[i].ok || (ok && s != cases[i].s))
            fail_msg("duration '%s': got %d %g, want %d %g", cases[i].v, ok, s,
                     cases[i].ok, cases[i].s);
    }
    double s;
    assert_int_equal(am_duration_parse(NULL, &s), 0);
}

static void test_oneway(void **state)
{
    (void)state;
    static const struct {
        const char *profile, *oneway, *mode, *junction, *highway;
        int dir;
    } cases[] = {
        {"car", NULL, NULL, NULL, "primary", 0},
        {"car", "yes", NULL, NULL, "primary", 1},
        {"car", "true", NULL, NULL, "primary", 1},
        {"car", "1", NULL, NULL, "primary", 1},
        {"car", "-1", NULL, NULL, "primary", -1},
        {"car", "reverse", NULL, NULL, "primary", -1},
        {"car", "no", NULL, NULL, "primary", 0},
        {"car", "false", NULL, NULL, "primary", 0},
        {"car", "0", NULL, NULL, "primary", 0},
        {"car", "alternating", NULL, NULL, "primary", 0},
        {"car", "reversible", NULL, NULL, "primary", 2},
        {"car", "maybe", NULL, NULL, "primary", 0},
        {"car", "maybe", NULL, "roundabout", "primary", 1},
        {"car", NULL, NULL, "roundabout", "tertiary", 1},
        {"car", NULL, NULL, "circular", "tertiary", 1},
        {"car", "no", NULL, "roundabout", "tertiary", 0},
        {"car", "-1", NULL, "roundabout", "tertiary", -1},
        {"car", NULL, NULL, "jughandle", "tertiary", 0},
        {"car", NULL, NULL, NULL, "motorway", 1},
        {"car", "no", NULL, NULL, "motorway", 0},
        {"car", NULL, NULL, NULL, "motorway_link", 0},
        {"car", NULL, NULL, NULL, NULL, 0},
        /* walk: only oneway:foot */
        {"walk", "yes", NULL, NULL, "residential", 0},
        {"walk", NULL, NULL, "roundabout", "residential", 0},
        {"walk", "yes", "yes", NULL, "footway", 1},
        {"walk", NULL, "-1", NULL, "footway", -1},
        {"walk", "reversible", NULL, NULL, "footway", 0},
        /* bicycle: oneway unless oneway:bicycle says otherwise */
        {"bicycle", "yes", NULL, NULL, "residential", 1},
        {"bicycle", "yes", "no", NULL, "residential", 0},
        {"bicycle", NULL, "yes", NULL, "residential", 1},
        {"bicycle", NULL, NULL, "roundabout", "residential", 1},
        {"bicycle", NULL, "no", "roundabout", "residential", 0},
        {"bicycle", "yes", "bogus", NULL, "residential", 1},
        /* ambulance: as a car */
        {"ambulance", "yes", NULL, NULL, "primary", 1},
        {"ambulance", NULL, NULL, "roundabout", "primary", 1},
    };
    for (size_t i = 0; i < N(cases); i++) {
        am_profile p = get(cases[i].profile);
        int got = am_profile_oneway(&p, cases[i].oneway, cases[i].mode,
                                    cases[i].junction, cases[i].highway);
        if (got != cases[i].dir)
            fail_msg("%s oneway=%s mode=%s junction=%s highway=%s: got %d, "
                     "want %d",
                     cases[i].profile, cases[i].oneway ? cases[i].oneway : "-",
                     cases[i].mode ? cases[i].mode : "-",
                     cases[i].junction ? cases[i].junction : "-",
                     cases[i].highway ? cases[i].highway : "-", got,
                     cases[i].dir);
    }
}

/* values for the profile's access keys by name, "key=value,..." */
static void access_values(const am_profile *p, const char *spec,
                          const char **values, char store[][32])
{
    for (int i = 0; i < AM_PROFILE_MAX_ACCESS; i++)
        values[i] = NULL;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    int k = 0;
    for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        for (int i = 0; i < p->n_access; i++)
            if (strcmp(p->access[i], tok) == 0) {
                snprintf(store[k], 32, "%s", eq + 1);
                values[i] = store[k++];
            }
    }
}

static void test_access(void **state)
{
    (void)state;
    static const struct {
        const char *profile, *tags;
        int closed;
    } cases[] = {
        {"car", "", 0},
        {"car", "access=no", 1},
        {"car", "access=private", 1},
        {"car", "access=yes", 0},
        {"car", "access=destination", 0},
        {"car", "access=unknown", 0},
        {"car", "vehicle=no", 1},
        {"car", "motor_vehicle=private", 1},
        {"car", "motorcar=no", 1},
        {"car", "access=no,motorcar=yes", 0},
        {"car", "access=no,motor_vehicle=yes", 0},
        {"car", "motor_vehicle=no,motorcar=designated", 0},
        {"car", "access=yes,motor_vehicle=no", 1},
        {"car", "access=no,motorcar=whatever", 1},
        {"car", "access=agricultural", 1},
        {"car", "access=forestry", 1},
        {"car", "access=delivery", 1},
        {"car", "foot=no", 0},
        {"car", "emergency=yes,access=no", 1},
        {"ambulance", "emergency=yes,access=no", 0},
        {"ambulance", "emergency=no", 1},
        {"ambulance", "motorcar=no", 1},
        {"walk", "access=no", 1},
        {"walk", "access=no,foot=yes", 0},
        {"walk", "foot=no", 1},
        {"walk", "foot=use_sidepath", 1},
        {"walk", "motorcar=no", 0},
        {"bicycle", "bicycle=no", 1},
        {"bicycle", "vehicle=no,bicycle=yes", 0},
        {"bicycle", "access=private,bicycle=permissive", 0},
        {"bicycle", "motor_vehicle=no", 0},
    };
    for (size_t i = 0; i < N(cases); i++) {
        am_profile p = get(cases[i].profile);
        const char *values[AM_PROFILE_MAX_ACCESS];
        char store[AM_PROFILE_MAX_ACCESS][32];
        access_values(&p, cases[i].tags, values, store);
        int got = am_profile_closed(&p, values);
        if (got != cases[i].closed)
            fail_msg("%s %s: closed %d, want %d", cases[i].profile,
                     cases[i].tags, got, cases[i].closed);
    }
}

/* am_profile_eval on a way with these tags. */
static am_way_verdict eval(const am_profile *p, const char *hw,
                           const char *maxspeed, const char *area,
                           const char *route, const char *duration)
{
    am_way_tags t;
    memset(&t, 0, sizeof t);
    t.highway = hw;
    t.maxspeed = maxspeed;
    t.area = area;
    t.route = route;
    t.duration = duration;
    am_way_verdict v;
    am_profile_eval(p, &t, &v);
    return v;
}

static void test_eval_maxspeed(void **state)
{
    (void)state;
    static const struct {
        const char *profile, *hw, *maxspeed;
        am_maxspeed_use use;
        double kmh;
    } cases[] = {
        {"car", "primary", NULL, AM_MAXSPEED_USE_NONE, 60},
        {"car", "primary", "50", AM_MAXSPEED_USE_USED, 50},
        {"car", "primary", "90", AM_MAXSPEED_USE_USED, 90},
        {"car", "primary", "none", AM_MAXSPEED_USE_NONE, 60},
        {"car", "primary", "fifty", AM_MAXSPEED_USE_UNPARSABLE, 60},
        /* the Comoros' maxspeed=6 on through roads */
        {"car", "unclassified", "6", AM_MAXSPEED_USE_IMPLAUSIBLE, 30},
        {"car", "residential", "6", AM_MAXSPEED_USE_IMPLAUSIBLE, 25},
        {"car", "trunk", "6", AM_MAXSPEED_USE_IMPLAUSIBLE, 80},
        {"car", "trunk", "20", AM_MAXSPEED_USE_USED, 20},
        {"car", "trunk", "19", AM_MAXSPEED_USE_IMPLAUSIBLE, 80},
        {"car", "secondary", "20", AM_MAXSPEED_USE_USED, 20},
        {"car", "residential", "10", AM_MAXSPEED_USE_USED, 10},
        {"car", "living_street", "walk", AM_MAXSPEED_USE_USED, 6},
        {"car", "service", "5", AM_MAXSPEED_USE_IMPLAUSIBLE, 15},
        {"car", "motorway", "201", AM_MAXSPEED_USE_IMPLAUSIBLE, 100},
        {"car", "motorway", "200", AM_MAXSPEED_USE_USED, 200},
        /* codes only cap the class speed for a car */
        {"car", "track", "DE:rural", AM_MAXSPEED_USE_USED, 15},
        {"car", "motorway", "DE:urban", AM_MAXSPEED_USE_USED, 50},
        {"car", "motorway", "DE:motorway", AM_MAXSPEED_USE_NONE, 100},
        {"ambulance", "primary", "50", AM_MAXSPEED_USE_USED, 50},
        /* bicycle: limits only cap */
        {"bicycle", "primary", "50", AM_MAXSPEED_USE_USED, 18},
        {"bicycle", "primary", "10", AM_MAXSPEED_USE_USED, 10},
        {"bicycle", "primary", "bad", AM_MAXSPEED_USE_UNPARSABLE, 18},
        /* walk: never read */
        {"walk", "primary", "bad", AM_MAXSPEED_USE_NONE, 5},
        {"walk", "primary", "2", AM_MAXSPEED_USE_NONE, 5},
    };
    for (size_t i = 0; i < N(cases); i++) {
        am_profile p = get(cases[i].profile);
        am_way_verdict v =
            eval(&p, cases[i].hw, cases[i].maxspeed, NULL, NULL, NULL);
        if (v.drop != AM_WAY_USED || v.maxspeed != cases[i].use ||
            fabs(v.kmh - cases[i].kmh) > 1e-9)
            fail_msg("%s %s maxspeed=%s: drop %d use %d kmh %g, want use %d "
                     "kmh %g",
                     cases[i].profile, cases[i].hw,
                     cases[i].maxspeed ? cases[i].maxspeed : "-", (int)v.drop,
                     (int)v.maxspeed, v.kmh, (int)cases[i].use, cases[i].kmh);
    }
    /* the scenario may use implausible values (still counted) */
    am_profile car = get("car");
    car.use_implausible = 1;
    am_way_verdict v = eval(&car, "unclassified", "6", NULL, NULL, NULL);
    assert_int_equal(v.maxspeed, AM_MAXSPEED_USE_IMPLAUSIBLE);
    assert_true(v.kmh == 6.0);
}

static void test_eval_ways(void **state)
{
    (void)state;
    am_profile car = get("car");
    am_way_verdict v = eval(&car, "footway", NULL, NULL, NULL, NULL);
    assert_int_equal(v.drop, AM_WAY_NOT_ROUTABLE);
    v = eval(&car, "pedestrian", NULL, "yes", NULL, NULL);
    assert_int_equal(v.drop, AM_WAY_NOT_ROUTABLE);
    v = eval(&car, "service", NULL, "yes", NULL, NULL);
    assert_int_equal(v.drop, AM_WAY_AREA);
    v = eval(&car, "service", NULL, "no", NULL, NULL);
    assert_int_equal(v.drop, AM_WAY_USED);
    /* access */
    am_way_tags t;
    memset(&t, 0, sizeof t);
    t.highway = "residential";
    t.access[0] = "private";
    am_profile_eval(&car, &t, &v);
    assert_int_equal(v.drop, AM_WAY_CLOSED);
    t.access[3] = "yes"; /* motorcar=yes beats access=private */
    am_profile_eval(&car, &t, &v);
    assert_int_equal(v.drop, AM_WAY_USED);
    t.oneway = "reversible";
    am_profile_eval(&car, &t, &v);
    assert_int_equal(v.drop, AM_WAY_REVERSIBLE);
    t.oneway = "-1";
    am_profile_eval(&car, &t, &v);
    assert_int_equal(v.drop, AM_WAY_USED);
    assert_int_equal(v.dir, -1);

    /* ferries: off by default, then by duration or speed */
    v = eval(&car, NULL, NULL, NULL, "ferry", "1:30");
    assert_int_equal(v.drop, AM_WAY_NOT_ROUTABLE);
    car.ferries = 1;
    v = eval(&car, NULL, NULL, NULL, "ferry", "1:30");
    assert_int_equal(v.drop, AM_WAY_USED);
    assert_int_equal(v.ferry, 1);
    assert_true(v.ferry_s == 5400.0);
    v = eval(&car, NULL, "6", "yes", "ferry", NULL);
    assert_int_equal(v.drop, AM_WAY_USED); /* area and maxspeed: not ferry's */
    assert_true(v.kmh == car.ferry_kmh && v.ferry_s == 0.0);
    assert_int_equal(v.maxspeed, AM_MAXSPEED_USE_NONE);
    v = eval(&car, NULL, NULL, NULL, "ferry", "soon");
    assert_int_equal(v.ferry_bad_duration, 1);
    assert_true(v.kmh == car.ferry_kmh);
    v = eval(&car, NULL, NULL, NULL, "bus", NULL);
    assert_int_equal(v.drop, AM_WAY_NOT_ROUTABLE);
    /* a ferry closed to cars (a passenger ferry) */
    memset(&t, 0, sizeof t);
    t.route = "ferry";
    t.access[2] = "no"; /* motor_vehicle=no */
    am_profile_eval(&car, &t, &v);
    assert_int_equal(v.drop, AM_WAY_CLOSED);
    am_profile walk = get("walk");
    walk.ferries = 1;
    memset(&t, 0, sizeof t);
    t.route = "ferry";
    am_profile_eval(&walk, &t, &v);
    assert_int_equal(v.drop, AM_WAY_USED);
    assert_int_equal(v.ferry, 1);
}

static void test_speed_settings(void **state)
{
    (void)state;
    am_profile p = get("car");
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_profile_set_speed(&p, "primary", 70, &err), AM_OK);
    assert_true(am_profile_speed_kmh(&p, "primary") == 70.0);
    assert_int_equal(am_profile_scale_speed(&p, "track", 0.5, &err), AM_OK);
    assert_true(am_profile_speed_kmh(&p, "track") == 7.5);
    static const double bad_speeds[] = {0.0, -5.0, NAN, INFINITY, 201.0};
    for (size_t i = 0; i < N(bad_speeds); i++) {
        am_error_clear(&err);
        assert_int_equal(
            am_profile_set_speed(&p, "primary", bad_speeds[i], &err),
            AM_ERR_INVALID);
        assert_non_null(strstr(err.msg, "primary"));
    }
    static const double bad_factors[] = {0.0, -1.0, NAN, INFINITY, 11.0};
    for (size_t i = 0; i < N(bad_factors); i++)
        assert_int_equal(
            am_profile_scale_speed(&p, "track", bad_factors[i], &err),
            AM_ERR_INVALID);
    assert_true(am_profile_speed_kmh(&p, "primary") == 70.0);
    am_error_clear(&err);
    assert_int_equal(am_profile_set_speed(&p, "primay", 50, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "unknown road class 'primay'"));
    assert_non_null(strstr(err.msg, "motorway"));
    assert_int_equal(am_profile_scale_speed(&p, "footway", 2, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_profile_set_speed(&p, NULL, 2, &err), AM_ERR_INVALID);

    /* a multiplier is the road's conditions: it slows a way signed
     * maxspeed=100 as much as an unsigned one (new-user review), and the
     * tag's plausibility is judged against the class's own speed */
    am_profile q = get("car");
    assert_int_equal(am_profile_scale_speed(&q, "primary", 0.5, &err), AM_OK);
    am_way_tags t;
    am_way_verdict v;
    memset(&t, 0, sizeof t);
    t.highway = "primary";
    am_profile_eval(&q, &t, &v);
    assert_true(v.kmh == 30.0);
    t.maxspeed = "100";
    am_profile_eval(&q, &t, &v);
    assert_int_equal(v.maxspeed, AM_MAXSPEED_USE_USED);
    assert_true(v.kmh == 50.0);
    t.maxspeed = "20"; /* plausible for primary (60), not for 30 */
    am_profile_eval(&q, &t, &v);
    assert_int_equal(v.maxspeed, AM_MAXSPEED_USE_USED);
    assert_true(v.kmh == 10.0);
}

/* The other_tags reader (GDAL's OSM driver writes hstore text). */
static void test_hstore(void **state)
{
    (void)state;
    char key[8], val[8];
    int too_long = -1;
    const char *pos =
        " \"oneway\" => \"yes\" ,\"a\\\"b\"=>NULL,\"name\"=>\"x\\\\y\", ";
    assert_int_equal(
        am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long), 1);
    assert_string_equal(key, "oneway");
    assert_string_equal(val, "yes");
    assert_int_equal(too_long, 0);
    assert_int_equal(
        am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long), 1);
    assert_string_equal(key, "a\"b"); /* \" unescaped */
    assert_string_equal(val, "");     /* NULL */
    assert_int_equal(
        am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long), 1);
    assert_string_equal(val, "x\\y");
    /* a trailing comma and blanks: the end */
    assert_int_equal(
        am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long), 0);
    assert_int_equal(
        am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long), 0);

    /* a value longer than its buffer: cut and flagged */
    pos = "\"maxspeed\"=>\"50\"";
    assert_int_equal(
        am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long), 1);
    assert_int_equal(too_long, 1);
    assert_string_equal(key, "maxspee");

    /* malformed text ends the reading; a pair before garbage counts */
    static const char *const bad[] = {"\"a\"=\"b\"", "\"a\"=>\"b", "\"a=>\"b\"",
                                      "a=>b", "\"a\"=>\"b\\"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pos = bad[i];
        assert_int_equal(
            am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long),
            0);
        assert_int_equal(*pos, '\0');
    }
    pos = "\"a\"=>\"b\" \"c\"=>\"d\"";
    assert_int_equal(
        am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long), 1);
    assert_string_equal(val, "b");
    assert_int_equal(
        am_hstore_next(&pos, key, sizeof key, val, sizeof val, &too_long), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_names),
        cmocka_unit_test(test_class_speeds),
        cmocka_unit_test(test_maxspeed_parse),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_oneway),
        cmocka_unit_test(test_access),
        cmocka_unit_test(test_eval_maxspeed),
        cmocka_unit_test(test_eval_ways),
        cmocka_unit_test(test_speed_settings),
        cmocka_unit_test(test_hstore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
