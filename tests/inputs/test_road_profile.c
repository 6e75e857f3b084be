/*
 * test_road_profile.c: the car profile's reading of OSM highway, maxspeed,
 * oneway and junction tags (inputs/road_profile.h).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "inputs/road_profile.h"

#define CAR AM_PROFILE_CAR

static void test_profile_name(void **state)
{
    (void)state;
    am_profile_kind p = 0;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_profile_from_name("car", &p, &err), AM_OK);
    assert_int_equal(p, AM_PROFILE_CAR);
    assert_int_equal(am_profile_from_name("bicycle", &p, &err), AM_ERR_INVALID);
    assert_int_equal(err.code, AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "bicycle"));
    assert_int_equal(am_profile_from_name(NULL, &p, NULL), AM_ERR_INVALID);
}

static void test_class_speeds(void **state)
{
    (void)state;
    static const struct {
        const char *hw;
        double kmh;
    } cases[] = {
        {"motorway", 100},   {"trunk", 80},         {"primary", 60},
        {"secondary", 50},   {"tertiary", 40},      {"unclassified", 30},
        {"residential", 25}, {"living_street", 10}, {"service", 15},
        {"track", 15},       {"road", 25},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_float_equal(am_profile_speed_kmh(CAR, cases[i].hw), cases[i].kmh,
                           1e-12);
    /* links are a little slower than their class, but still routable */
    static const char *const links[][2] = {
        {"motorway_link", "motorway"}, {"trunk_link", "trunk"},
        {"primary_link", "primary"},   {"secondary_link", "secondary"},
        {"tertiary_link", "tertiary"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        double l = am_profile_speed_kmh(CAR, links[i][0]);
        double c = am_profile_speed_kmh(CAR, links[i][1]);
        assert_true(l > 0.5 * c && l < c);
    }
}

static void test_not_routable(void **state)
{
    (void)state;
    static const char *const none[] = {
        "footway",      "path",      "cycleway",      "steps",
        "pedestrian",   "bridleway", "construction",  "proposed",
        "abandoned",    "platform",  "raceway",       "corridor",
        "bus_guideway", "escape",    "elevator",      "via_ferrata",
        "services",     "rest_area", "no_such_class", "",
        "Primary",      "primary ",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        assert_true(am_profile_speed_kmh(CAR, none[i]) == 0.0);
    assert_true(am_profile_speed_kmh(CAR, NULL) == 0.0);
    assert_true(am_profile_speed_kmh((am_profile_kind)99, "primary") == 0.0);
}

static void test_maxspeed(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        double kmh;
    } cases[] = {
        {"50", 50},
        {"50 km/h", 50},
        {"50km/h", 50},
        {" 70 kmh ", 70},
        {"80 kph", 80},
        {"30 mph", 30 * 1.609344},
        {"50;70", 50},
        {"50 km/h;70", 50},
        {"7.5", 7.5},
        {"5", 5},
        {"200", 200},
        {"RU:urban", 0},
        {"DE:zone30", 0},
        {"none", 0},
        {"signals", 0},
        {"walk", 0},
        {"variable", 0},
        {"4", 0},   /* below 5 km/h */
        {"201", 0}, /* above 200 km/h */
        {"130 mph", 0},
        {"-50", 0},
        {"0", 0},
        {"", 0},
        {"50 knots", 0},
        {"fifty", 0},
        /* decimal only (numparse.h): strtod read these as 16 and 100 */
        {"0x10", 0},
        {"0X32", 0},
        {"1e2", 0},
        {"1E2 km/h", 0},
        {"5e1;70", 0},
        {"1.2.3", 0},
        {"50.", 50},
        {"50.0 mph", 50 * 1.609344},
        {"60;0x10", 60},
        {"000050", 50},
        {"50,5", 0},
        {"1000000000000000000000000000000000000000050", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double got = am_profile_parse_maxspeed(cases[i].v);
        if (fabs(got - cases[i].kmh) > 1e-9)
            fail_msg("maxspeed '%s': got %g, want %g", cases[i].v, got,
                     cases[i].kmh);
    }
    assert_true(am_profile_parse_maxspeed(NULL) == 0.0);
}

static void test_oneway(void **state)
{
    (void)state;
    static const struct {
        const char *oneway, *junction, *highway;
        int dir;
    } cases[] = {
        {NULL, NULL, "primary", 0},
        {"yes", NULL, "primary", 1},
        {"true", NULL, "primary", 1},
        {"1", NULL, "primary", 1},
        {"-1", NULL, "primary", -1},
        {"reverse", NULL, "primary", -1},
        {"no", NULL, "primary", 0},
        {"false", NULL, "primary", 0},
        {"0", NULL, "primary", 0},
        {"reversible", NULL, "primary", 0}, /* time-dependent: default */
        {NULL, "roundabout", "tertiary", 1},
        {NULL, "circular", "tertiary", 1},
        {"no", "roundabout", "tertiary", 0},
        {"-1", "roundabout", "tertiary", -1},
        {NULL, "jughandle", "tertiary", 0},
        {NULL, NULL, "motorway", 1},
        {"no", NULL, "motorway", 0},
        {"-1", NULL, "motorway", -1},
        {NULL, NULL, "motorway_link", 0},
        {NULL, NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = am_profile_oneway(cases[i].oneway, cases[i].junction,
                                    cases[i].highway);
        if (got != cases[i].dir)
            fail_msg("oneway=%s junction=%s highway=%s: got %d, want %d",
                     cases[i].oneway ? cases[i].oneway : "(none)",
                     cases[i].junction ? cases[i].junction : "(none)",
                     cases[i].highway ? cases[i].highway : "(none)", got,
                     cases[i].dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_name),
        cmocka_unit_test(test_class_speeds),
        cmocka_unit_test(test_not_routable),
        cmocka_unit_test(test_maxspeed),
        cmocka_unit_test(test_oneway),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
