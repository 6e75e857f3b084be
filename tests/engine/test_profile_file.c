/*
 * test_profile_file.c: custom travel profiles read from a YAML file
 * (issue 7, roads.profile_file; engine/scenario_file.h). A good file gives
 * the profile it describes; every bad key or value fails with the file's
 * name and the line:column at fault; the scenario key excludes
 * roads.profile and checks roads.speeds against the custom classes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/scenario.h"
#include "engine/scenario_file.h"

static char dir[] = "/tmp/am-profile-XXXXXX";
static char path[96];

static void write_text(const char *p, const char *text)
{
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static am_status read_profile(const char *text, am_profile *p, am_error *err)
{
    long long size = 0;
    char hex[65];
    write_text(path, text);
    am_error_clear(err);
    return am_profile_file_read(path, p, &size, hex, err);
}

/* text fails with AM_ERR_SCENARIO, needle in the message, the profile
 * file named and (line > 0) that line. */
static void expect_error(const char *text, const char *needle, long line)
{
    am_profile p;
    am_error err;
    assert_int_equal(read_profile(text, &p, &err), AM_ERR_SCENARIO);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("expected '%s' in: %s", needle, err.msg);
    assert_string_equal(err.file, path);
    if (line > 0 && err.line != line)
        fail_msg("expected line %ld, got %ld: %s", line, err.line, err.msg);
}

static const char *const full =
    "# a motorbike: the car's rules, faster on small roads\n"
    "name: motorbike\n"
    "base: car\n"
    "classes:\n"
    "  residential: 35\n"
    "  track: 30\n"
    "  path: 15\n"
    "oneway: respect\n"
    "oneway_key: oneway:motorcycle\n"
    "access: [access, vehicle, motor_vehicle, motorcycle]\n"
    "maxspeed: cap\n"
    "plausibility: {ratio: 0.5, floor_kmh: 15}\n"
    "ferries: {enabled: true, speed_kmh: 12.5}\n";

static void test_good_file(void **state)
{
    (void)state;
    am_profile p, car;
    am_error err;
    long long size = 0;
    char hex[65];
    write_text(path, full);
    assert_int_equal(am_profile_file_read(path, &p, &size, hex, &err), AM_OK);
    assert_int_equal(size, (long long)strlen(full));
    assert_int_equal(strlen(hex), 64);
    assert_int_equal(am_profile_builtin("car", &car, &err), AM_OK);
    assert_string_equal(p.name, "motorbike");
    /* extended: the car's 16 classes, two changed, one added at the end */
    assert_int_equal(p.n_classes, car.n_classes + 1);
    assert_true(am_profile_speed_kmh(&p, "residential") == 35.0);
    assert_true(am_profile_speed_kmh(&p, "track") == 30.0);
    assert_true(am_profile_speed_kmh(&p, "path") == 15.0);
    assert_true(am_profile_speed_kmh(&p, "motorway") == 100.0);
    assert_string_equal(p.classes[p.n_classes - 1].highway, "path");
    assert_int_equal(p.oneway_general, 1);
    assert_string_equal(p.oneway_key, "oneway:motorcycle");
    assert_int_equal(p.n_access, 4);
    assert_string_equal(p.access[3], "motorcycle");
    assert_int_equal(p.maxspeed, AM_MAXSPEED_POLICY_CAP);
    assert_true(p.plausible_ratio == 0.5 && p.plausible_floor_kmh == 15.0);
    assert_int_equal(p.ferries, 1);
    assert_true(p.ferry_kmh == 12.5);

    /* replace_classes: only those given */
    assert_int_equal(read_profile("name: slow\nbase: walk\nreplace_classes: "
                                  "true\nclasses: {footway: 4, steps: 2}\n",
                                  &p, &err),
                     AM_OK);
    assert_int_equal(p.n_classes, 2);
    assert_true(am_profile_speed_kmh(&p, "residential") == 0.0);
    assert_int_equal(p.oneway_general, 0); /* the walk's rules kept */
    assert_string_equal(p.oneway_key, "oneway:foot");

    /* no base: the classes given, `access` only, the car's other rules */
    assert_int_equal(read_profile("name: cart\nclasses: {track: 8, path: 4}\n"
                                  "oneway: ignore\noneway_key: none\n"
                                  "maxspeed: ignore\n",
                                  &p, &err),
                     AM_OK);
    assert_int_equal(p.n_classes, 2);
    assert_int_equal(p.n_access, 1);
    assert_string_equal(p.access[0], "access");
    assert_int_equal(p.oneway_general, 0);
    assert_string_equal(p.oneway_key, "");
    assert_int_equal(p.maxspeed, AM_MAXSPEED_POLICY_IGNORE);
    assert_int_equal(p.ferries, 0);
}

static void test_bad_keys_and_values(void **state)
{
    (void)state;
    expect_error("name: m\nbase: car\nclases: {track: 30}\n",
                 "unknown key 'clases' at the top level (expected one of: "
                 "name, base, classes",
                 3);
    expect_error("name: m\nbase: car\nclases: {track: 30}\n",
                 "did you mean 'classes'?", 3);
    expect_error("name: m\nbase: car\nplausibility: {ration: 0.5}\n",
                 "unknown key 'ration' in 'plausibility'", 3);
    expect_error("name: m\nbase: car\nferries: {enable: true}\n",
                 "did you mean 'enabled'?", 3);
    expect_error("base: car\n", "missing required key 'name'", 1);
    expect_error("name: car\nbase: car\n",
                 "'name': 'car' is a built-in profile's name", 1);
    expect_error("name: my moto\nbase: car\n", "'name': 'my moto' is not valid",
                 1);
    expect_error("name: m\nbase: scooter\n",
                 "'base': unknown profile 'scooter' (expected one of: car, "
                 "walk, bicycle, ambulance)",
                 2);
    expect_error("name: m\n", "missing required key 'classes'", 1);
    expect_error("name: m\nbase: car\nreplace_classes: true\n",
                 "missing required key 'classes'", 1);
    expect_error("name: m\nclasses: {track: 9}\nreplace_classes: true\n",
                 "'replace_classes' needs 'base'", 3);
    expect_error("name: m\nbase: car\nreplace_classes: yes\n",
                 "'replace_classes' must be true or false", 3);
    expect_error("name: m\nbase: car\nclasses: {}\n", "'classes' is empty", 3);
    expect_error("name: m\nbase: car\nclasses: [track]\n",
                 "'classes' must be a mapping", 3);
    expect_error("name: m\nbase: car\nclasses:\n  track: 0\n",
                 "'classes.track' must be > 0 and <= 200 km/h (got 0)", 4);
    expect_error("name: m\nbase: car\nclasses:\n  track: -5\n",
                 "'classes.track' must be > 0 and <= 200", 4);
    expect_error("name: m\nbase: car\nclasses:\n  track: 250\n",
                 "'classes.track' must be > 0 and <= 200 km/h (got 250)", 4);
    expect_error("name: m\nbase: car\nclasses:\n  track: .inf\n",
                 "'classes.track' must be a number", 4);
    expect_error("name: m\nbase: car\nclasses:\n  track: \"30\"\n",
                 "'classes.track' must be a number", 4);
    expect_error("name: m\nbase: car\nclasses:\n  track:\n",
                 "'classes.track' needs a speed", 0);
    expect_error("name: m\nbase: car\nclasses:\n  track: 5\n  track: 6\n",
                 "duplicate key 'track' in 'classes' (first given at line 4)",
                 5);
    expect_error("name: m\nbase: car\nclasses:\n  'a b': 5\n",
                 "'classes': 'a b' is not valid", 4);
    expect_error("name: m\nbase: car\noneway: sometimes\n",
                 "'oneway' must be respect or ignore, not 'sometimes'", 3);
    expect_error("name: m\nbase: car\naccess: motorcycle\n",
                 "'access' must be a list of tag keys", 3);
    expect_error("name: m\nbase: car\naccess: []\n",
                 "'access' is an empty list", 3);
    expect_error("name: m\nbase: car\naccess: [a, b, c, d, e, f, g]\n",
                 "'access' lists 7 keys (at most 6)", 3);
    expect_error("name: m\nbase: car\naccess:\n  - access\n  - access\n",
                 "'access[1]': 'access' is listed twice", 5);
    expect_error("name: m\nbase: car\nmaxspeed: replace\n",
                 "'maxspeed' must be use, cap or ignore", 3);
    expect_error("name: m\nbase: car\nplausibility: {ratio: 1.5}\n",
                 "'plausibility.ratio' must be >= 0 and <= 1 (got 1.5)", 3);
    expect_error("name: m\nbase: car\nplausibility: {floor_kmh: -1}\n",
                 "'plausibility.floor_kmh' must be >= 0 and <= 200", 3);
    expect_error("name: m\nbase: car\nferries: {speed_kmh: 0}\n",
                 "'ferries.speed_kmh' must be > 0 and <= 200", 3);
    expect_error("name: m\nbase: car\nferries: true\n",
                 "'ferries' must be a mapping", 3);
    /* not a profile: YAML errors with the file named */
    expect_error("- just\n- a list\n", "a profile file must be a mapping", 1);
    expect_error("", "the profile file is empty", 0);
    expect_error("name: [unclosed\n", "YAML syntax error", 0);
    expect_error("name: m\nclasses: {a: 1}\n---\nname: n\n",
                 "more than one YAML document", 3);
}

static void test_io_errors(void **state)
{
    (void)state;
    am_profile p;
    am_error err;
    long long size;
    char hex[65], other[128];
    snprintf(other, sizeof other, "%s/none.yaml", dir);
    assert_int_equal(am_profile_file_read(other, &p, &size, hex, &err),
                     AM_ERR_IO);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_int_equal(am_profile_file_read(dir, &p, &size, hex, &err),
                     AM_ERR_IO);
    assert_non_null(strstr(err.msg, "is a directory, not a profile file"));
    snprintf(other, sizeof other, "%s/fifo.yaml", dir);
    assert_int_equal(mkfifo(other, 0600), 0);
    assert_int_not_equal(am_profile_file_read(other, &p, &size, hex, &err),
                         AM_OK);
    assert_non_null(strstr(err.msg, "FIFO"));
    unlink(other);
}

/* The scenario key: relative to the scenario, exclusive of roads.profile,
 * roads.speeds checked against the custom classes. */
static void test_scenario_key(void **state)
{
    (void)state;
    char scen[128];
    snprintf(scen, sizeof scen, "%s/s.yaml", dir);
    write_text(path, full);
    am_scenario *s = NULL;
    am_error err;
    write_text(scen, "roads:\n  path: r.pbf\n  profile_file: p.yaml\n"
                     "  speeds: {path: 12}\n"
                     "population: {path: pop.tif}\n"
                     "facilities: [{path: f.gpkg}]\n");
    assert_int_equal(am_scenario_read_file(scen, &s, &err), AM_OK);
    assert_non_null(s->roads_custom_profile);
    am_profile p;
    assert_int_equal(am_scenario_profile(s, &p, &err), AM_OK);
    assert_string_equal(p.name, "motorbike");
    assert_true(am_profile_speed_kmh(&p, "path") == 12.0);
    assert_int_equal(s->roads_profile_file_size, (long long)strlen(full));
    am_scenario_destroy(s);

    write_text(scen, "roads:\n  path: r.pbf\n  profile: walk\n"
                     "  profile_file: p.yaml\n"
                     "population: {path: pop.tif}\n"
                     "facilities: [{path: f.gpkg}]\n");
    assert_int_equal(am_scenario_read_file(scen, &s, &err), AM_ERR_SCENARIO);
    assert_non_null(strstr(err.msg, "'roads.profile' and "
                                    "'roads.profile_file' both given"));
    assert_int_equal(err.line, 4);
    /* a class the custom profile does not have */
    write_text(path, "name: m\nclasses: {track: 9}\n");
    write_text(scen, "roads:\n  path: r.pbf\n  profile_file: p.yaml\n"
                     "  speeds: {primary: 50}\n"
                     "population: {path: pop.tif}\n"
                     "facilities: [{path: f.gpkg}]\n");
    assert_int_equal(am_scenario_read_file(scen, &s, &err), AM_ERR_SCENARIO);
    assert_non_null(strstr(err.msg, "unknown road class 'primary' for "
                                    "profile m (its classes: track)"));
    assert_int_equal(err.line, 4);
    /* an error in the profile names the profile file */
    write_text(path, "name: m\nclasses: {track: 0}\n");
    assert_int_equal(am_scenario_read_file(scen, &s, &err), AM_ERR_SCENARIO);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 2);
    unlink(scen);

    /* built in code: finalize reads it; roads.profile must stay car */
    assert_int_equal(am_scenario_create(&s), AM_OK);
    s->base_dir = strdup(dir);
    s->roads_path = strdup("r.pbf");
    s->population_path = strdup("pop.tif");
    s->roads_profile_file = strdup("p.yaml");
    write_text(path, full);
    am_status rc = am_scenario_finalize(s, &err);
    if (rc == AM_OK) {
        assert_non_null(s->roads_custom_profile);
        assert_string_equal(s->roads_custom_profile->name, "motorbike");
    } else {
        /* a later check (no facility set) may refuse it: read anyway */
        assert_non_null(s->roads_custom_profile);
    }
    free(s->profile);
    s->profile = strdup("bicycle");
    assert_int_equal(am_scenario_finalize(s, &err), AM_ERR_SCENARIO);
    assert_non_null(strstr(err.msg, "both given"));
    am_scenario_destroy(s);
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_bad_keys_and_values),
        cmocka_unit_test(test_io_errors),
        cmocka_unit_test(test_scenario_key),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    rmdir(dir);
    return rc;
}
