/*
 * test_scenario_file.c: the scenario YAML reader and am_scenario_finalize.
 *
 * Every error test checks the code, a key name in the message and, where
 * the parser knows it, the 1-based line:column, because those are what a
 * user needs to fix the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "engine/scenario.h"
#include "engine/scenario_file.h"

static const char *const full_yaml =
    "name: comoros-demo\n"
    "threads: 4\n"
    "output: out/comoros.h5\n"
    "roads:\n"
    "  path: comores-latest.osm.pbf\n"
    "  layer: lines\n"
    "  where: \"highway != 'track'\"\n"
    "  profile: car\n"
    "population:\n"
    "  path: com_ppp_2020_UNadj.tif\n"
    "  band: 2\n"
    "snap:\n"
    "  max_distance_m: 2500.5\n"
    "  walk_speed_kmh: 4\n"
    "facilities:\n"
    "  - name: health\n"
    "    path: health.gpkg\n"
    "    layer: health\n"
    "    where: \"amenity IN ('hospital','clinic')\"\n"
    "    id_field: osm_id\n"
    "    name_field: name\n"
    "    class_field: amenity\n"
    "    capacity_field: beds\n"
    "    capacity_by_class: {hospital: 10, clinic: 2}\n"
    "    default_capacity: 0.5\n"
    "    crs: EPSG:4326\n"
    "  - name: candidates\n"
    "    path: /abs/sites.csv\n"
    "    x_field: lon\n"
    "    y_field: lat\n"
    "cutoffs_min: [10, 20, 45, 90]\n"
    "measures:\n"
    "  - name: access_20\n"
    "    type: 2sfca\n"
    "    threshold_min: 20\n"
    "  - threshold_min: 45\n";

/* The base every test file must have to be valid. */
#define BASE_YAML                                                              \
    "roads:\n"                                                                 \
    "  path: roads.pbf\n"                                                      \
    "population:\n"                                                            \
    "  path: pop.tif\n"                                                        \
    "facilities:\n"                                                            \
    "  - path: health.gpkg\n"

static am_status parse(const char *text, am_scenario **s, am_error *e)
{
    am_error_clear(e);
    return am_scenario_read_string(text, "/data/test.yaml", "/data", s, e);
}

/* Expects AM_ERR_SCENARIO with `needle` in the message and the position
 * (line, column; column 0: not checked; line 0: no position). */
static void expect_error(const char *text, const char *needle, long line,
                         long column)
{
    am_scenario *s = (am_scenario *)1;
    am_error e;
    am_status rc = parse(text, &s, &e);
    if (rc != AM_ERR_SCENARIO || strstr(e.msg, needle) == NULL ||
        (line > 0 && e.line != line) || (line == 0 && e.line > 0) ||
        (column > 0 && e.column != column))
        print_error("rc %d, line %ld:%ld, msg '%s'; wanted '%s' at %ld:%ld\n",
                    (int)rc, e.line, e.column, e.msg, needle, line, column);
    assert_int_equal(rc, AM_ERR_SCENARIO);
    assert_null(s);
    assert_string_equal(e.file, "/data/test.yaml");
    assert_non_null(strstr(e.msg, needle));
    if (line > 0)
        assert_int_equal(e.line, line);
    else
        assert_true(e.line <= 0);
    if (column > 0)
        assert_int_equal(e.column, column);
}

static void test_full_file(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(parse(full_yaml, &s, &e), AM_OK);
    assert_string_equal(s->name, "comoros-demo");
    assert_string_equal(s->source_path, "/data/test.yaml");
    assert_string_equal(s->base_dir, "/data");
    assert_int_equal(s->threads, 4);
    assert_string_equal(s->output_path, "out/comoros.h5");
    assert_string_equal(s->roads_path, "comores-latest.osm.pbf");
    assert_string_equal(s->roads_layer, "lines");
    assert_string_equal(s->roads_where, "highway != 'track'");
    assert_string_equal(s->profile, "car");
    assert_string_equal(s->population_path, "com_ppp_2020_UNadj.tif");
    assert_int_equal(s->population_band, 2);
    assert_true(s->snap_max_m == 2500.5);
    assert_true(s->walk_speed_kmh == 4.0);

    assert_int_equal(s->n_facility_sets, 2);
    const am_facility_source *f = &s->facility_sets[0];
    assert_string_equal(f->name, "health");
    assert_string_equal(f->path, "health.gpkg");
    assert_string_equal(f->layer, "health");
    assert_string_equal(f->where, "amenity IN ('hospital','clinic')");
    assert_string_equal(f->id_field, "osm_id");
    assert_string_equal(f->name_field, "name");
    assert_string_equal(f->class_field, "amenity");
    assert_string_equal(f->capacity_field, "beds");
    assert_string_equal(f->crs, "EPSG:4326");
    assert_null(f->x_field);
    assert_int_equal(f->n_class_capacity, 2);
    assert_string_equal(f->class_capacity[0].klass, "hospital");
    assert_true(f->class_capacity[0].capacity == 10.0);
    assert_string_equal(f->class_capacity[1].klass, "clinic");
    assert_true(f->class_capacity[1].capacity == 2.0);
    assert_true(f->default_capacity == 0.5);
    f = &s->facility_sets[1];
    assert_string_equal(f->name, "candidates");
    assert_string_equal(f->path, "/abs/sites.csv");
    assert_string_equal(f->x_field, "lon");
    assert_string_equal(f->y_field, "lat");
    assert_null(f->layer);
    assert_null(f->crs);
    assert_int_equal(f->n_class_capacity, 0);
    assert_true(f->default_capacity == 1.0);

    assert_int_equal(s->n_cutoffs, 4);
    assert_true(s->cutoffs_min[0] == 10.0 && s->cutoffs_min[3] == 90.0);
    assert_int_equal(s->n_measures, 2);
    assert_string_equal(s->measures[0].name, "access_20");
    assert_int_equal(s->measures[0].type, AM_MEASURE_TYPE_2SFCA);
    assert_true(s->measures[0].threshold_min == 20.0);
    assert_string_equal(s->measures[1].name, "2sfca_45min");
    assert_true(s->measures[1].threshold_min == 45.0);
    am_scenario_destroy(s);
}

static void test_defaults(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(parse(BASE_YAML, &s, &e), AM_OK);
    assert_string_equal(s->name, "test");
    assert_string_equal(s->output_path, "test.h5");
    assert_int_equal(s->threads, 0);
    assert_null(s->roads_layer);
    assert_null(s->roads_where);
    assert_string_equal(s->profile, "car");
    assert_int_equal(s->population_band, 1);
    assert_true(s->snap_max_m == 5000.0);
    assert_true(s->walk_speed_kmh == 5.0);
    assert_int_equal(s->n_facility_sets, 1);
    assert_string_equal(s->facility_sets[0].name, "facilities");
    assert_true(s->facility_sets[0].default_capacity == 1.0);
    assert_null(s->facility_sets[0].capacity_field);
    assert_int_equal(s->n_cutoffs, 3);
    assert_true(s->cutoffs_min[0] == 15.0 && s->cutoffs_min[1] == 30.0 &&
                s->cutoffs_min[2] == 60.0);
    assert_int_equal(s->n_measures, 1);
    assert_string_equal(s->measures[0].name, "2sfca_30min");
    assert_int_equal(s->measures[0].type, AM_MEASURE_TYPE_2SFCA);
    assert_true(s->measures[0].threshold_min == 30.0);
    am_scenario_destroy(s);

    /* No 30 among the cutoffs: the largest one. Null values = defaults;
     * a single mapping stands for a list of one; sets named by position. */
    assert_int_equal(parse("roads: {path: r.pbf}\n"
                           "population: {path: p.tif, band: ~}\n"
                           "threads: null\n"
                           "snap:\n"
                           "facilities:\n"
                           "  - path: a.gpkg\n"
                           "  - path: b.gpkg\n"
                           "  - {path: c.gpkg, name: facilities2x}\n"
                           "cutoffs_min: [10, 20, 45]\n",
                           &s, &e),
                     AM_OK);
    assert_int_equal(s->population_band, 1);
    assert_string_equal(s->facility_sets[0].name, "facilities");
    assert_string_equal(s->facility_sets[1].name, "facilities2");
    assert_string_equal(s->facility_sets[2].name, "facilities2x");
    assert_string_equal(s->measures[0].name, "2sfca_45min");
    assert_true(s->measures[0].threshold_min == 45.0);
    am_scenario_destroy(s);

    assert_int_equal(parse("roads: {path: r.pbf}\n"
                           "population: {path: p.tif}\n"
                           "facilities: {path: a.gpkg, name: hosp}\n"
                           "cutoffs_min: 7.5\n"
                           "measures: {type: 2sfca}\n",
                           &s, &e),
                     AM_OK);
    assert_int_equal(s->n_facility_sets, 1);
    assert_string_equal(s->facility_sets[0].name, "hosp");
    assert_int_equal(s->n_cutoffs, 1);
    assert_string_equal(s->measures[0].name, "2sfca_7_5min");
    am_scenario_destroy(s);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error(BASE_YAML "treads: 4\n",
                 "unknown key 'treads' at the top "
                 "level",
                 7, 1);
    expect_error(BASE_YAML "treads: 4\n", "did you mean 'threads'", 7, 1);
    expect_error(BASE_YAML "    capcity_field: beds\n",
                 "unknown key 'capcity_field' in 'facilities[0]' (expected "
                 "one of: name, path,",
                 7, 5);
    expect_error("roads:\n  path: r.pbf\n  speed: 50\n"
                 "population: {path: p.tif}\nfacilities: {path: f.gpkg}\n",
                 "unknown key 'speed' in 'roads'", 3, 3);
    expect_error(BASE_YAML "snap:\n  max_distance: 10\n",
                 "unknown key 'max_distance' in 'snap'", 8, 3);
    expect_error(BASE_YAML "measures:\n  - threshold: 30\n",
                 "unknown key 'threshold' in 'measures[0]'", 8, 5);
    expect_error(BASE_YAML "<<: {threads: 2}\n", "unknown key '<<'", 7, 1);
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error(BASE_YAML "snap:\n  max_distance_m: far\n",
                 "'snap.max_distance_m' must be a number, not 'far'", 8, 19);
    expect_error(BASE_YAML "snap:\n  max_distance_m: \"5000\"\n",
                 "must be a number, not the string \"5000\"", 8, 19);
    expect_error(BASE_YAML "snap: {walk_speed_kmh: .inf}\n",
                 "'snap.walk_speed_kmh' must be a number", 7, 24);
    expect_error(BASE_YAML "snap: {walk_speed_kmh: nan}\n",
                 "must be a number, not 'nan' (decimal notation only", 7, 24);
    expect_error(BASE_YAML "snap: {walk_speed_kmh: 0}\n",
                 "'snap.walk_speed_kmh' must be >= 0.5 and <= 50 km/h", 7, 24);
    expect_error(BASE_YAML "threads: 1.5\n", "'threads' must be an integer", 7,
                 10);
    expect_error(BASE_YAML "threads: -1\n",
                 "'threads' must be an integer from 0 to 4096", 7, 10);
    expect_error("roads: {path: r.pbf}\npopulation: {path: p.tif, band: 0}\n"
                 "facilities: {path: f.gpkg}\n",
                 "'population.band' must be an integer from 1 to", 2, 33);
    expect_error("roads: [r.pbf]\npopulation: {path: p.tif}\n"
                 "facilities: {path: f.gpkg}\n",
                 "'roads' must be a mapping (key: value), not a list", 1, 8);
    expect_error("roads: {path: {a: 1}}\npopulation: {path: p.tif}\n"
                 "facilities: {path: f.gpkg}\n",
                 "'roads.path' must be a string, not a mapping", 1, 15);
    expect_error(BASE_YAML "cutoffs_min: {a: 1}\n",
                 "'cutoffs_min' must be a list", 7, 14);
    expect_error(BASE_YAML "facilities: 3\n", "duplicate key 'facilities'", 7,
                 1);
    expect_error("roads: {path: r.pbf}\npopulation: {path: p.tif}\n"
                 "facilities: health.gpkg\n",
                 "'facilities' must be a list of mappings", 3, 13);
    expect_error(BASE_YAML "roads2: 1\n", "did you mean 'roads'", 7, 1);
    expect_error(
        BASE_YAML "measures:\n  - type: e2sfc\n",
        "unknown measure type 'e2sfc' (expected one of: 2sfca, "
        "e2sfca, kd2sfca, 3sfca, m2sfca, bfca, spav, gravity, "
        "cumulative, nearest_n, capacity_coverage); did you mean 'e2sfca'?",
        8, 11);
    expect_error("roads: {path: r.pbf, profile: bike}\n"
                 "population: {path: p.tif}\nfacilities: {path: f.gpkg}\n",
                 "unknown profile 'bike'", 1, 31);
    expect_error("- a\n- b\n", "must be a mapping of keys", 1, 1);
}

static void test_duplicate_key(void **state)
{
    (void)state;
    expect_error("roads:\n  path: a.pbf\n  path: b.pbf\n"
                 "population: {path: p.tif}\nfacilities: {path: f.gpkg}\n",
                 "duplicate key 'path' in 'roads' (first given at line 2)", 3,
                 3);
    expect_error(BASE_YAML "    capacity_by_class: {a: 1, a: 2}\n",
                 "duplicate key 'a' in 'facilities[0].capacity_by_class'", 7,
                 0);
}

static void test_syntax_error(void **state)
{
    (void)state;
    /* An unclosed flow sequence, then a bad indentation. */
    expect_error("roads:\n  path: r.pbf\ncutoffs_min: [15, 30\n"
                 "population: {path: p.tif}\n",
                 "YAML syntax error", 4, 0);
    expect_error("roads:\n  path: r.pbf\n   layer: x\n",
                 "YAML syntax error: mapping values are not allowed", 3, 0);
    expect_error("roads:\n\tpath: r.pbf\n", "YAML syntax error", 2, 0);
    expect_error("", "the scenario file is empty", 0, 0);
    expect_error("# only a comment\n", "the scenario file is empty", 0, 0);
    expect_error(BASE_YAML "---\nthreads: 2\n", "more than one YAML document",
                 7, 0);
    expect_error("roads: x\nname: \xff\n", "cannot read the file as YAML text",
                 2, 7);
}

static void test_values(void **state)
{
    (void)state;
    expect_error(
        BASE_YAML "    capacity_by_class: {hospital: 10, clinic: -2}\n",
        "'facilities[0].capacity_by_class.clinic' must be >= 0", 7, 47);
    expect_error(BASE_YAML "    default_capacity: -1\n",
                 "'facilities[0].default_capacity' must be >= 0", 7, 23);
    expect_error(BASE_YAML "measures:\n  - threshold_min: 1441\n",
                 "'measures[0].threshold_min' must be > 0 and <= 1440", 8, 20);
    expect_error(BASE_YAML "measures:\n  - threshold_min: 0\n",
                 "'measures[0].threshold_min' must be > 0", 8, 20);
    expect_error(BASE_YAML "cutoffs_min: [15, 60, 30]\n",
                 "'cutoffs_min' must be strictly ascending (30 follows 60)", 7,
                 23);
    expect_error(BASE_YAML "cutoffs_min: [15, 15]\n", "strictly ascending", 7,
                 19);
    expect_error(BASE_YAML "cutoffs_min: [-5]\n",
                 "'cutoffs_min[0]' must be "
                 "> 0",
                 7, 15);
    expect_error(BASE_YAML "cutoffs_min: [15, 3000]\n", "(24 h)", 7, 19);
    expect_error(BASE_YAML "cutoffs_min: []\n", "empty list", 7, 14);
    expect_error(BASE_YAML "measures: []\n", "empty list", 7, 11);
    expect_error(BASE_YAML "  - path: b.gpkg\n    name: bad name\n",
                 "'facilities[1].name': 'bad name' is not a valid name", 8, 11);
    expect_error(BASE_YAML "    name: x\n  - path: b.gpkg\n    name: x\n",
                 "duplicate facility set name 'x'", 9, 11);
    /* Issue 7: names that clash once defaults are given (found by
     * am_scenario_finalize, after the parser) carry the entry's line and
     * the other entry's */
    expect_error(BASE_YAML "measures:\n  - {threshold_min: 30}\n"
                           "  - {threshold_min: 30}\n",
                 "'measures[1].name': duplicate measure name '2sfca_30min' "
                 "(also measures[0], line 8; an unnamed measure is named "
                 "<type>[_<decay>]_<cutoff>min: name them)",
                 9, 0);
    expect_error(BASE_YAML "measures:\n  - threshold_min: 15\n"
                           "  - name: 2sfca_15min\n    threshold_min: 30\n",
                 "duplicate measure name '2sfca_15min' (also measures[0], "
                 "line 8;",
                 9, 0);
    expect_error(BASE_YAML "  - path: b.gpkg\n    name: facilities\n",
                 "'facilities[1].name': duplicate facility set name "
                 "'facilities' (also facilities[0], line 6; an unnamed set is "
                 "named facilities, facilities2, ... by its position)",
                 7, 0);
    expect_error(BASE_YAML "    name: facilities2\n  - path: b.gpkg\n",
                 "'facilities[1].name': duplicate facility set name "
                 "'facilities2' (also facilities[0], line 6;",
                 8, 0);
    expect_error(BASE_YAML "    x_field: lon\n",
                 "x_field and y_field go together", 6, 5);
    char many[1024];
    snprintf(many, sizeof many, "%scutoffs_min: [", BASE_YAML);
    for (int i = 1; i <= AM_MAX_CUTOFFS + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s%d",
                 i > 1 ? ", " : "", i);
    strcat(many, "]\n");
    expect_error(many, "at most 32", 7, 14);
}

static void test_missing_keys(void **state)
{
    (void)state;
    expect_error("population: {path: p.tif}\nfacilities: {path: f.gpkg}\n",
                 "missing required key 'roads.path'", 0, 0);
    expect_error("roads: {path: r.pbf}\nfacilities: {path: f.gpkg}\n",
                 "missing required key 'population.path'", 0, 0);
    expect_error("roads: {path: r.pbf}\npopulation: {path: p.tif}\n",
                 "missing required key 'facilities'", 0, 0);
    expect_error("roads: {path: r.pbf}\npopulation: {band: 2}\n"
                 "facilities: {path: f.gpkg}\n",
                 "missing required key 'path' in 'population'", 2, 13);
    expect_error("roads:\n  layer: lines\npopulation: {path: p.tif}\n"
                 "facilities: {path: f.gpkg}\n",
                 "missing required key 'path' in 'roads'", 2, 3);
    expect_error(BASE_YAML "  - name: second\n",
                 "missing required key 'path' in 'facilities[1]'", 7, 5);
    expect_error("roads: {path: ''}\npopulation: {path: p.tif}\n"
                 "facilities: {path: f.gpkg}\n",
                 "'roads.path' must not be empty", 1, 15);
}

static void test_file_and_paths(void **state)
{
    (void)state;
    char dir[] = "/tmp/am_scenario_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/my-run.yaml", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(BASE_YAML "    where: \"amenity = 'hospital'\"\n", fp);
    fclose(fp);

    am_scenario *s = NULL;
    am_error e;
    am_error_clear(&e);
    assert_int_equal(am_scenario_read_file(path, &s, &e), AM_OK);
    assert_string_equal(s->name, "my-run");
    assert_string_equal(s->output_path, "my-run.h5");
    assert_string_equal(s->base_dir, dir);
    char buf[512], want[512];
    snprintf(want, sizeof want, "%s/roads.pbf", dir);
    assert_string_equal(
        am_scenario_resolve_path(s, s->roads_path, buf, sizeof buf), want);
    snprintf(want, sizeof want, "%s/my-run.h5", dir);
    assert_string_equal(
        am_scenario_resolve_path(s, s->output_path, buf, sizeof buf), want);
    assert_string_equal(
        am_scenario_resolve_path(s, "/x/y.tif", buf, sizeof buf), "/x/y.tif");
    assert_string_equal(
        am_scenario_resolve_path(s, "sub/../z.gpkg", buf, sizeof buf),
        strcat(strcpy(want, dir), "/sub/../z.gpkg"));
    assert_null(am_scenario_resolve_path(s, "roads.pbf", buf, 8));
    am_scenario_destroy(s);

    /* A file in the current folder resolves against ".". */
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(am_scenario_read_file("my-run.yaml", &s, &e), AM_OK);
    assert_string_equal(am_scenario_resolve_path(s, "a.tif", buf, sizeof buf),
                        "./a.tif");
    am_scenario_destroy(s);

    /* No base_dir: unchanged. */
    assert_int_equal(am_scenario_read_string(BASE_YAML, NULL, NULL, &s, &e),
                     AM_OK);
    assert_string_equal(s->name, "scenario");
    assert_string_equal(am_scenario_resolve_path(s, "a.tif", buf, sizeof buf),
                        "a.tif");
    am_scenario_destroy(s);

    /* Errors from a file carry its path; a missing file is AM_ERR_IO. */
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(BASE_YAML "snap:\n  walk_speed_kmh: fast\n", fp);
    fclose(fp);
    assert_int_equal(am_scenario_read_file(path, &s, &e), AM_ERR_SCENARIO);
    assert_null(s);
    assert_string_equal(e.file, path);
    assert_int_equal(e.line, 8);
    char line[2048];
    am_error_format(&e, line, sizeof line);
    assert_non_null(
        strstr(line, "my-run.yaml: line 8:19: 'snap.walk_speed_kmh'"));
    remove(path);
    assert_int_equal(am_scenario_read_file(path, &s, &e), AM_ERR_IO);
    assert_null(s);
    assert_int_equal(am_scenario_read_file(dir, &s, &e), AM_ERR_IO);
    rmdir(dir);
}

/* Set and measure names become HDF5 names: one rule, at the name's line;
 * long names are refused, never cut short until two collide. */
static void test_output_names(void **state)
{
    (void)state;
    char name64[AM_NAME_MAX + 1], text[1024];
    memset(name64, 'm', AM_NAME_MAX);
    name64[AM_NAME_MAX] = '\0';
    am_scenario *s = NULL;
    am_error e;
    snprintf(text, sizeof text,
             BASE_YAML "    name: %s\nmeasures:\n  - name: %s\n", name64,
             name64);
    assert_int_equal(parse(text, &s, &e), AM_OK);
    assert_string_equal(s->measures[0].name, name64);
    am_scenario_destroy(s);

    /* 65 bytes: refused, whichever kind of name */
    snprintf(text, sizeof text, BASE_YAML "    name: %sx\n", name64);
    expect_error(text, "too long: at most 64 bytes", 7, 11);
    snprintf(text, sizeof text,
             BASE_YAML "measures:\n  - name: %sx\n    threshold_min: 30\n"
                       "  - name: %sy\n    threshold_min: 60\n",
             name64, name64);
    expect_error(text, "'measures[0].name'", 8, 11);
    /* names of the datasets every set group holds */
    expect_error(BASE_YAML "measures:\n  - name: coverage\n",
                 "'measures[0].name': 'coverage' is not a valid name "
                 "(reserved",
                 8, 11);
    expect_error(BASE_YAML "measures: {name: nearest_time_min}\n", "reserved",
                 7, 0);
    /* a set may be called "coverage": it is a group of its own */
    assert_int_equal(parse(BASE_YAML "    name: coverage\n", &s, &e), AM_OK);
    am_scenario_destroy(s);
    expect_error(BASE_YAML "measures:\n  - {name: a}\n  - {name: a}\n",
                 "duplicate measure name 'a' (also measures[0])", 9, 12);

    /* the same rule for scenarios built through the API */
    assert_null(am_scenario_name_problem("ok-name_1", 1));
    assert_null(am_scenario_name_problem(name64, 0));
    assert_non_null(am_scenario_name_problem("", 0));
    assert_non_null(am_scenario_name_problem("a/b", 0));
    assert_non_null(am_scenario_name_problem("facilities", 1));
    assert_null(am_scenario_name_problem("facilities", 0));
    char name65[AM_NAME_MAX + 2];
    snprintf(name65, sizeof name65, "%sx", name64);
    assert_non_null(am_scenario_name_problem(name65, 0));
}

/* A scenario "file" that is a FIFO is refused, not read (it would block). */
static void test_fifo_scenario(void **state)
{
    (void)state;
    char dir[] = "/tmp/am_scenario_fifo_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    am_scenario *s = (am_scenario *)1;
    am_error e;
    assert_int_equal(am_scenario_read_file(path, &s, &e), AM_ERR_IO);
    assert_null(s);
    assert_string_equal(e.file, path);
    assert_non_null(strstr(e.msg, "FIFO"));
    remove(path);
    rmdir(dir);
}

/* Scenarios built through the API go through the same checks. */
static void test_finalize_api(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(am_scenario_create(&s), AM_OK);
    am_error_clear(&e);
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "roads.path"));
    s->roads_path = am_strdup("r.pbf");
    s->population_path = am_strdup("p.tif");
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'facilities'"));
    s->facility_sets = calloc(1, sizeof *s->facility_sets);
    s->n_facility_sets = 1;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "facilities[0].path"));
    am_facility_source *f = &s->facility_sets[0];
    f->path = am_strdup("f.gpkg");
    f->default_capacity = -1;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "facilities[0].default_capacity"));
    f->default_capacity = 1;
    f->class_capacity = calloc(1, sizeof *f->class_capacity);
    f->n_class_capacity = 1;
    f->class_capacity[0].klass = am_strdup("clinic");
    f->class_capacity[0].capacity = -3;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "facilities[0].capacity_by_class.clinic"));
    f->class_capacity[0].capacity = 3;
    s->cutoffs_min[1] = 10;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "strictly ascending"));
    s->cutoffs_min[1] = 30;
    s->n_cutoffs = 0;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "cutoffs_min"));
    s->n_cutoffs = 3;
    s->snap_max_m = 0;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "snap.max_distance_m"));
    s->snap_max_m = 1e300;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "snap.max_distance_m' must be >= 1"));
    s->snap_max_m = 100;
    s->walk_speed_kmh = 1e-300;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "snap.walk_speed_kmh' must be >= 0.5"));
    s->walk_speed_kmh = 5;
    f->default_capacity = 1e300;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "default_capacity' must be >= 0 and <= "));
    f->default_capacity = 1;
    s->cutoffs_min[1] = 15.00001; /* 15 min once rounded to 0.1 s */
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "15.00001 and 15 are the same cutoff"));
    s->cutoffs_min[1] = 30;
    s->threads = -2;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'threads'"));
    s->threads = 100000; /* the YAML reader's bound holds for the API too */
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'threads' must be from 0 (all cores) to "
                                  "4096 (got 100000)"));
    s->threads = 0;
    s->measures = calloc(1, sizeof *s->measures);
    s->n_measures = 1;
    s->measures[0].type = AM_MEASURE_TYPE_2SFCA;
    s->measures[0].threshold_min = 1441;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "measures[0].threshold_min"));
    s->measures[0].threshold_min = 60;
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    assert_string_equal(s->name, "scenario");
    assert_string_equal(s->output_path, "scenario.h5");
    assert_string_equal(f->name, "facilities");
    assert_string_equal(s->measures[0].name, "2sfca_60min");
    /* Idempotent. */
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    assert_string_equal(s->measures[0].name, "2sfca_60min");
    am_scenario_destroy(s);

    am_scenario_destroy(NULL);
    assert_null(am_strdup(NULL));
}

/* Numbers are decimal only, and every numeric key has a range. */
static void test_number_syntax_and_ranges(void **state)
{
    (void)state;
    /* Hex, inf and nan spellings, overflow, digit separators. */
    expect_error(BASE_YAML "snap: {max_distance_m: 0x10}\n",
                 "'snap.max_distance_m' must be a number, not '0x10' "
                 "(decimal notation only",
                 7, 24);
    expect_error(BASE_YAML "cutoffs_min: [0x1E]\n",
                 "'cutoffs_min[0]' must be a number, not '0x1E'", 7, 15);
    expect_error(BASE_YAML "    default_capacity: 0x10\n",
                 "'facilities[0].default_capacity' must be a number, not "
                 "'0x10'",
                 7, 23);
    expect_error(BASE_YAML "    capacity_by_class: {clinic: 0X1p4}\n",
                 "must be a number, not '0X1p4'", 7, 33);
    expect_error(BASE_YAML "threads: 0x10\n",
                 "'threads' must be an integer, not '0x10' (decimal digits "
                 "only)",
                 7, 10);
    expect_error(BASE_YAML "snap: {walk_speed_kmh: inf}\n",
                 "must be a number, not 'inf'", 7, 24);
    expect_error(BASE_YAML "snap: {walk_speed_kmh: infinity}\n",
                 "must be a number, not 'infinity'", 7, 24);
    expect_error(BASE_YAML "snap: {walk_speed_kmh: 1_000}\n",
                 "must be a number, not '1_000'", 7, 24);
    expect_error(BASE_YAML "snap: {max_distance_m: 1e400}\n",
                 "'snap.max_distance_m': '1e400' is out of range", 7, 24);
    expect_error(BASE_YAML "snap: {max_distance_m: 1e-400}\n",
                 "'1e-400' is out of range", 7, 24);
    expect_error(BASE_YAML "threads: 99999999999999999999\n",
                 "'threads' must be an integer from 0 to 4096", 7, 10);
    /* One rule with the CLI's --threads. */
    expect_error(BASE_YAML "threads: 100000\n",
                 "'threads' must be an integer from 0 to 4096 (got 100000)", 7,
                 10);
    expect_error(BASE_YAML "threads: 4097\n", "from 0 to 4096", 7, 10);
    /* Values that are numbers but not meaningful. */
    expect_error(BASE_YAML "snap: {walk_speed_kmh: 1e-300}\n",
                 "'snap.walk_speed_kmh' must be >= 0.5 and <= 50 km/h (got "
                 "1e-300)",
                 7, 24);
    expect_error(BASE_YAML "snap: {walk_speed_kmh: 500}\n", "<= 50 km/h", 7,
                 24);
    expect_error(BASE_YAML "snap: {max_distance_m: 1e300}\n",
                 "'snap.max_distance_m' must be >= 1 and <= 100000 m", 7, 24);
    expect_error(BASE_YAML "snap: {max_distance_m: 0.001}\n",
                 "'snap.max_distance_m' must be >= 1", 7, 24);
    expect_error(BASE_YAML "    default_capacity: 1e300\n",
                 "'facilities[0].default_capacity' must be >= 0 and <= 1e+15 "
                 "(got 1e300)",
                 7, 23);
    expect_error(BASE_YAML "measures: {threshold_min: 0.0001}\n",
                 "shorter than 0.05 s", 7, 0);
    /* Cutoffs that collapse once rounded to whole deciseconds. */
    expect_error(BASE_YAML "cutoffs_min: [30, 30.000001]\n",
                 "'cutoffs_min': 30.000001 and 30 are the same cutoff once "
                 "rounded to whole tenths of a second",
                 7, 19);
    expect_error(BASE_YAML "cutoffs_min: [0.0001, 30]\n", "shorter than 0.05 s",
                 7, 15);

    /* Accepted: signs, fractions without leading digits, exponents,
     * limits of each range. */
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(parse(BASE_YAML "    default_capacity: 1e15\n"
                                     "threads: +4\n"
                                     "snap: {max_distance_m: 1e5, "
                                     "walk_speed_kmh: .5}\n"
                                     "cutoffs_min: [+15, 30.05, 1440]\n",
                           &s, &e),
                     AM_OK);
    assert_true(s->facility_sets[0].default_capacity == 1e15);
    assert_int_equal(s->threads, 4);
    assert_true(s->snap_max_m == 1e5);
    assert_true(s->walk_speed_kmh == 0.5);
    assert_true(s->cutoffs_min[1] == 30.05);
    am_scenario_destroy(s);
    s = NULL;
    assert_int_equal(parse(BASE_YAML "threads: 4096\n", &s, &e), AM_OK);
    am_scenario_destroy(s);
}

/* 100,000 nested '[' are refused at the depth cap, without building the
 * tree (libyaml's scanner is quadratic in the nesting depth). */
static void test_deep_nesting(void **state)
{
    (void)state;
    const size_t depth = 100000;
    const char *head = "roads: {path: r.pbf}\ncutoffs_min: ";
    size_t n = strlen(head) + 2 * depth + 2;
    char *text = malloc(n);
    assert_non_null(text);
    strcpy(text, head);
    char *p = text + strlen(head);
    for (size_t i = 0; i < depth; i++)
        *p++ = '[';
    for (size_t i = 0; i < depth; i++)
        *p++ = ']';
    *p++ = '\n';
    *p = '\0';
    expect_error(text, "nesting deeper than 32 levels", 2, 45);
    /* Block style too: each level one more indentation. */
    char block[8192] = "";
    for (int i = 0; i < 40; i++)
        snprintf(block + strlen(block), sizeof block - strlen(block),
                 "%*sk%d:\n", 2 * i, "", i);
    expect_error(block, "nesting deeper than 32 levels", 33, 65);
    free(text);
}

/* A growable text buffer for the generated scenarios below. */
typedef struct text_buf {
    char *p;
    size_t n, cap;
} text_buf;

static void put(text_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(text_buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        assert_true(k >= 0);
        if (b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        b->cap = 2 * (b->cap + (size_t)k + 64);
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
}

/* BASE_YAML with a capacity table of n classes c0..c(n-1) (the last one
 * repeating c(dup_of) when dup_of >= 0) on line 7. */
static char *class_table(int n, int dup_of)
{
    text_buf b = {0};
    put(&b, BASE_YAML "    capacity_by_class: {");
    for (int i = 0; i < n; i++)
        put(&b, "%sc%d: 1", i > 0 ? ", " : "",
            i == n - 1 && dup_of >= 0 ? dup_of : i);
    put(&b, "}\n");
    return b.p;
}

/*
 * Hostile sizes are refused by the pre-pass, before the tree is built, in
 * time linear in what was read (40,000 keys took 23 s with the pairwise
 * duplicate check, 100,000 aliased facility sets 63 s, a 15.6 MB list of
 * cutoffs 20 s and 1.3 GB); what stays under the limits is checked in
 * O(n log n).
 */
static void test_size_limits(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    /* keys of one mapping: 10,000 at most, the cap at the mapping's line */
    char *text = class_table(10001, -1);
    expect_error(text, "a mapping with more than 10000 keys", 7, 24);
    free(text);
    text = class_table(10000, -1);
    assert_int_equal(parse(text, &s, &e), AM_OK);
    assert_int_equal(s->facility_sets[0].n_class_capacity, 10000);
    am_scenario_destroy(s);
    s = NULL;
    free(text);
    text = class_table(10000, 9998);
    expect_error(text,
                 "duplicate key 'c9998' in 'facilities[0].capacity_by_class'"
                 " (first given at line 7)",
                 7, 0);
    free(text);

    /* facility sets: 1,000 at most, aliases included */
    text_buf b = {0};
    put(&b, "roads: {path: r.pbf}\npopulation: {path: p.tif}\n"
            "facilities: [&f {path: health.gpkg}");
    for (int i = 1; i < 1000; i++)
        put(&b, ", *f");
    put(&b, "]\n");
    assert_int_equal(parse(b.p, &s, &e), AM_OK);
    assert_int_equal(s->n_facility_sets, 1000);
    assert_string_equal(s->facility_sets[999].name, "facilities1000");
    am_scenario_destroy(s);
    s = NULL;
    b.n -= 2; /* one more alias */
    put(&b, ", *f]\n");
    expect_error(b.p,
                 "'facilities' lists more than 1000 facility sets (at "
                 "most 1000)",
                 3, 13);
    /* ... also when the whole list is an alias of a list defined elsewhere
     * (the cap is then checked on the tree) */
    b.n = 0;
    put(&b, "roads: {path: r.pbf}\npopulation: {path: p.tif}\n"
            "measures: {name: &L [{path: a}");
    for (int i = 1; i < 1001; i++)
        put(&b, ", {path: a}");
    put(&b, "]}\nfacilities: *L\n");
    expect_error(b.p, "'facilities' lists 1001 facility sets (at most 1000)", 3,
                 18); /* the line of the list it stands for */
    /* measures: 100 at most */
    b.n = 0;
    put(&b, BASE_YAML "measures: [");
    for (int i = 0; i < 101; i++)
        put(&b, "%s{name: m%d}", i > 0 ? ", " : "", i);
    put(&b, "]\n");
    expect_error(b.p, "'measures' lists more than 100 measures (at most 100)",
                 7, 11);
    /* a long flat list of cutoffs stops at the 33rd */
    b.n = 0;
    put(&b, BASE_YAML "cutoffs_min: [");
    for (int i = 0; i < 150000; i++)
        put(&b, "%s1", i > 0 ? "," : "");
    put(&b, "]\n");
    expect_error(b.p, "'cutoffs_min' lists more than 32 cutoffs", 7, 14);
    /* any other list: 10,000 items at most */
    b.n = 0;
    put(&b, BASE_YAML "    where: [");
    for (int i = 0; i < 10001; i++)
        put(&b, "%sx", i > 0 ? "," : "");
    put(&b, "]\n");
    expect_error(b.p, "a list with more than 10000 items", 7, 12);

    /* the billion laughs: ten lines of anchors standing for 10^9 nodes */
    b.n = 0;
    put(&b, BASE_YAML "    layer:\n      a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
    for (int i = 1; i < 10; i++) {
        put(&b, "      a%d: &a%d [", i, i);
        for (int k = 0; k < 10; k++)
            put(&b, "%s*a%d", k > 0 ? "," : "", i - 1);
        put(&b, "]\n");
    }
    expect_error(b.p,
                 "more than 1000000 YAML nodes once aliases are "
                 "expanded",
                 13, 0); /* a5, the first to stand for a million */
    /* aliases under the budget are fine (and are expanded) */
    b.n = 0;
    put(&b, "roads: {path: r.pbf}\npopulation: {path: p.tif}\n"
            "facilities:\n"
            "  - {path: a.gpkg, capacity_by_class: &c {x: 2, y: 3}}\n"
            "  - {path: b.gpkg, name: b, capacity_by_class: *c}\n");
    assert_int_equal(parse(b.p, &s, &e), AM_OK);
    assert_int_equal(s->facility_sets[1].n_class_capacity, 2);
    assert_true(s->facility_sets[1].class_capacity[1].capacity == 3.0);
    am_scenario_destroy(s);
    s = NULL;

    /* the file itself: 1 MiB at most */
    b.n = 0;
    put(&b, BASE_YAML "# ");
    while (b.n <= (1u << 20))
        put(&b, "%s", "0123456789abcdef0123456789abcdef");
    put(&b, "\n");
    expect_error(b.p, "too large for a scenario file (at most 1048576)", 0, 0);
    free(b.p);
}

/* Through the API, the same caps, and duplicates found by sorting. */
static void test_finalize_limits(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(
        am_scenario_read_string(BASE_YAML, "/data/t.yaml", "/data", &s, &e),
        AM_OK);
    am_facility_source *f = &s->facility_sets[0];
    const int n = 200000;
    f->class_capacity = calloc((size_t)n, sizeof *f->class_capacity);
    assert_non_null(f->class_capacity);
    f->n_class_capacity = n;
    for (int i = 0; i < n; i++) {
        char k[32];
        snprintf(k, sizeof k, "class%d", i);
        f->class_capacity[i].klass = am_strdup(k);
        f->class_capacity[i].capacity = 1.0;
    }
    am_error_clear(&e);
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    free(f->class_capacity[n - 1].klass);
    f->class_capacity[n - 1].klass = am_strdup("class17");
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "class 'class17' given twice"));
    free(f->class_capacity[n - 1].klass);
    f->class_capacity[n - 1].klass = am_strdup("last");

    /* two sets, then two measures, with the same name */
    am_facility_source *sets = realloc(s->facility_sets, 2 * sizeof *sets);
    assert_non_null(sets);
    s->facility_sets = sets;
    memset(&sets[1], 0, sizeof sets[1]);
    s->n_facility_sets = 2;
    sets[1].path = am_strdup("b.gpkg");
    sets[1].name = am_strdup("facilities");
    sets[1].default_capacity = 1;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'facilities[1].name': duplicate facility "
                                  "set name 'facilities' (also "
                                  "facilities[0], line 6; an unnamed set"));
    assert_true(e.line <= 0); /* set 1 was added in code: it has no line */
    free(sets[1].name);
    sets[1].name = am_strdup("other");
    s->n_facility_sets = AM_MAX_FACILITY_SETS + 1; /* beyond the cap */
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "lists 1001 facility sets (at most 1000)"));
    s->n_facility_sets = 2;
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    am_measure_spec *m = realloc(s->measures, 2 * sizeof *m);
    assert_non_null(m);
    s->measures = m;
    s->n_measures = 2;
    m[1] = (am_measure_spec){.name = am_strdup(m[0].name),
                             .type = AM_MEASURE_TYPE_2SFCA,
                             .threshold_min = 15};
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'measures[1].name': duplicate measure"));
    /* built in code: no line, and none made up */
    assert_true(e.line <= 0);
    assert_null(strstr(e.msg, "line"));
    s->n_measures = AM_MAX_MEASURES + 1;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'measures' lists 101 measures (at most "
                                  "100)"));
    s->n_measures = 2;
    am_scenario_destroy(s);
}

/* A facility set's `crs` is checked where it is written, whether or not
 * its layer will need it ("crs: total garbage" used to run, exit 0). */
static void test_facility_crs(void **state)
{
    (void)state;
    expect_error(BASE_YAML "    crs: total garbage\n",
                 "'facilities[0].crs': unknown coordinate reference system "
                 "'total garbage' (expected an authority code such as "
                 "EPSG:4326",
                 7, 10);
    expect_error(BASE_YAML "    crs: EPSG:999999\n", "'facilities[0].crs'", 7,
                 10);
    am_scenario *s = NULL;
    am_error e;
    const char *ok[] = {"EPSG:32738", "+proj=utm +zone=38 +south +datum=WGS84",
                        "OGC:CRS84"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        char text[512];
        snprintf(text, sizeof text, BASE_YAML "    crs: \"%s\"\n", ok[i]);
        assert_int_equal(parse(text, &s, &e), AM_OK);
        assert_string_equal(s->facility_sets[0].crs, ok[i]);
        am_scenario_destroy(s);
        s = NULL;
    }
}

/* The cutoffs are an owned array (no fixed-size array in the public
 * struct): defaults 15/30/60, replaced by a copy, sizes refused. */
static void test_set_cutoffs(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    assert_int_equal(am_scenario_create(&s), AM_OK);
    assert_int_equal(s->n_cutoffs, 3);
    assert_true(s->cutoffs_min[0] == 15.0 && s->cutoffs_min[2] == 60.0);
    double many[AM_MAX_CUTOFFS + 1];
    for (int i = 0; i <= AM_MAX_CUTOFFS; i++)
        many[i] = 1.0 + i;
    assert_int_equal(am_scenario_set_cutoffs(s, AM_MAX_CUTOFFS + 1, many),
                     AM_ERR_INVALID);
    assert_int_equal(am_scenario_set_cutoffs(s, 0, many), AM_ERR_INVALID);
    assert_int_equal(am_scenario_set_cutoffs(s, 2, NULL), AM_ERR_INVALID);
    assert_int_equal(s->n_cutoffs, 3); /* unchanged */
    assert_int_equal(am_scenario_set_cutoffs(s, AM_MAX_CUTOFFS, many), AM_OK);
    many[0] = -1.0; /* a copy was taken */
    assert_int_equal(s->n_cutoffs, AM_MAX_CUTOFFS);
    assert_true(s->cutoffs_min[0] == 1.0);
    am_scenario_destroy(s);
}

/* snap.components (issue 7): each form, the default, and bad values at
 * their line. */
static void test_snap_components(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(parse(BASE_YAML, &s, &e), AM_OK);
    assert_int_equal(s->components_rule, AM_COMPONENTS_MIN_NODES);
    assert_int_equal(s->components_n, AM_COMPONENTS_MIN_NODES_DEFAULT);
    assert_int_equal(s->components_error, 0);
    am_scenario_destroy(s);
    static const struct {
        const char *yaml;
        am_components_rule rule;
        int32_t n;
        int error;
    } ok[] = {
        {"snap: {components: {min_nodes: 50}}\n", AM_COMPONENTS_MIN_NODES, 50,
         0},
        {"snap: {components: {largest: 3}}\n", AM_COMPONENTS_LARGEST, 3, 0},
        {"snap: {components: all}\n", AM_COMPONENTS_ALL, 1000, 0},
        {"snap: {components: error}\n", AM_COMPONENTS_MIN_NODES, 1000, 1},
        {"snap: {components: {largest: 2, on_small: error}}\n",
         AM_COMPONENTS_LARGEST, 2, 1},
        {"snap: {components: {on_small: move}}\n", AM_COMPONENTS_MIN_NODES,
         1000, 0},
        {"snap: {components: ~}\n", AM_COMPONENTS_MIN_NODES, 1000, 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", BASE_YAML, ok[i].yaml);
        assert_int_equal(parse(text, &s, &e), AM_OK);
        assert_int_equal(s->components_rule, ok[i].rule);
        assert_int_equal(s->components_n, ok[i].n);
        assert_int_equal(s->components_error, ok[i].error);
        am_scenario_destroy(s);
    }
    expect_error(BASE_YAML "snap:\n  components: some\n",
                 "'snap.components' must be all, error, or a mapping", 8, 15);
    expect_error(BASE_YAML "snap:\n  components: \"all\"\n",
                 "not the string \"all\"", 8, 15);
    expect_error(BASE_YAML "snap:\n  components: [all]\n", "not a list", 8, 15);
    expect_error(BASE_YAML "snap:\n  components: {min_nodes: 0}\n",
                 "'snap.components.min_nodes' must be an integer from 1 to "
                 "2147483647 (got 0)",
                 8, 27);
    expect_error(BASE_YAML "snap:\n  components: {largest: 1e3}\n",
                 "'snap.components.largest' must be an integer", 8, 25);
    expect_error(BASE_YAML "snap:\n  components:\n    min_nodes: 5\n"
                           "    largest: 2\n",
                 "takes min_nodes or largest, not both (min_nodes given at "
                 "line 9)",
                 10, 14);
    expect_error(BASE_YAML "snap:\n  components: {on_small: skip}\n",
                 "'snap.components.on_small' must be move or error, not "
                 "'skip'",
                 8, 26);
    expect_error(BASE_YAML "snap:\n  components: {larges: 2}\n",
                 "did you mean 'largest'", 8, 16);
    expect_error(BASE_YAML "snap:\n  component: all\n",
                 "did you mean 'components'", 8, 3);

    /* scenarios built in code: finalize checks the same */
    assert_int_equal(parse(BASE_YAML, &s, &e), AM_OK);
    s->components_rule = AM_COMPONENTS_LARGEST;
    s->components_n = 0;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'snap.components.largest' must be >= 1"));
    s->components_rule = (am_components_rule)7;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "unknown rule 7"));
    am_scenario_destroy(s);
}

/* issue 9: every measure type and decay through the reader, with their
 * defaults and default names. */
static void test_measure_types(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    const char *text =
        BASE_YAML "cutoffs_min: [15, 30, 60]\n"
                  "measures:\n"
                  "  - type: 2sfca\n" /* 0 */
                  "  - type: 2sfca\n" /* 1 */
                  "    decay: {type: exponential, beta: 0.1}\n"
                  "  - type: e2sfca\n" /* 2 */
                  "  - type: e2sfca\n" /* 3 */
                  "    name: e2\n"
                  "    decay: {type: zones, zones: [[5, 1], [15, 0.5]]}\n"
                  "  - type: kd2sfca\n" /* 4 */
                  "    threshold_min: 20\n"
                  "  - {type: 3sfca, threshold_min: 15}\n" /* 5 */
                  "  - {type: m2sfca, decay: {type: linear, cutoff_min: "
                  "45}}\n" /* 6 */
                  "  - {type: bfca, decay: {type: gaussian, sigma_min: 10, "
                  "cutoff_min: 40}}\n"                                /* 7 */
                  "  - {type: spav, alpha: 1.5, threshold_min: 60}\n" /* 8 */
                  "  - {type: gravity, decay: {type: power, beta: 1.5, "
                  "t_min: 1}}\n"                                /* 9 */
                  "  - {type: cumulative, threshold_min: 90}\n" /* 10 */
                  "  - {type: nearest_n, n: 3}\n"               /* 11 */
                  "  - {type: 2sfca, decay: {type: logistic, t_half_min: 20, "
                  "sd_min: 5}}\n" /* 12 */
                  "  - {type: 2sfca, decay: {type: dai_gaussian, cutoff_min: "
                  "25}}\n" /* 13 */
                  "  - {type: 2sfca, decay: {type: step, cutoff_min: 45}}\n";
    if (parse(text, &s, &e) != AM_OK)
        fail_msg("%ld: %s", e.line, e.msg);
    assert_int_equal(s->n_measures, 15);
    const char *names[] = {"2sfca_30min",         "2sfca_exponential",
                           "e2sfca_30min",        "e2",
                           "kd2sfca_20min",       "3sfca_15min",
                           "m2sfca_linear_45min", "bfca_gaussian_40min",
                           "spav_60min",          "gravity_power",
                           "cumulative_90min",    "nearest3_30min",
                           "2sfca_logistic",      "2sfca_dai_gaussian_25min",
                           "2sfca_45min"};
    const am_measure_type types[] = {
        AM_MEASURE_TYPE_2SFCA,      AM_MEASURE_TYPE_2SFCA,
        AM_MEASURE_TYPE_E2SFCA,     AM_MEASURE_TYPE_E2SFCA,
        AM_MEASURE_TYPE_KD2SFCA,    AM_MEASURE_TYPE_3SFCA,
        AM_MEASURE_TYPE_M2SFCA,     AM_MEASURE_TYPE_BFCA,
        AM_MEASURE_TYPE_SPAV,       AM_MEASURE_TYPE_GRAVITY,
        AM_MEASURE_TYPE_CUMULATIVE, AM_MEASURE_TYPE_NEAREST_N,
        AM_MEASURE_TYPE_2SFCA,      AM_MEASURE_TYPE_2SFCA,
        AM_MEASURE_TYPE_2SFCA};
    for (int i = 0; i < 15; i++) {
        assert_string_equal(s->measures[i].name, names[i]);
        assert_int_equal(s->measures[i].type, types[i]);
        assert_int_equal(s->measures[i].line,
                         9 + i + (i > 1) + 2 * (i > 3) + (i > 4));
    }
    const am_measure_spec *m = s->measures;
    assert_true(m[0].threshold_min == 30 && m[0].decay.type == 0);
    assert_true(m[1].threshold_min == 0 &&
                m[1].decay.type == AM_DECAY_KIND_EXPONENTIAL &&
                m[1].decay.beta == 0.1 && m[1].decay.cutoff_min == 0);
    assert_true(m[2].decay.type == 0 && m[2].threshold_min == 0);
    assert_true(m[3].decay.type == AM_DECAY_KIND_ZONES &&
                m[3].decay.n_zones == 2 && m[3].decay.zone_upper_min[1] == 15 &&
                m[3].decay.zone_weight[1] == 0.5);
    assert_true(m[4].threshold_min == 20);
    assert_true(m[8].alpha == 1.5);
    assert_true(m[9].decay.type == AM_DECAY_KIND_POWER &&
                m[9].decay.t_min == 1 && m[9].decay.beta == 1.5);
    assert_true(m[11].n == 3 && m[11].threshold_min == 30);
    assert_true(m[12].decay.t_half_min == 20 && m[12].decay.sd_min == 5);
    /* a threshold beyond the largest cutoff is allowed (cumulative 90) */
    assert_true(m[10].threshold_min == 90);
    am_scenario_destroy(s);
}

/* issue 9: the measure and decay errors, each at its line. */
static void test_measure_errors(void **state)
{
    (void)state;
#define M BASE_YAML "measures:\n"
    expect_error(M "  - type: gravty\n", "did you mean 'gravity'?", 8, 11);
    expect_error(M "  - type: 2sfca\n    decay: {type: exponental, beta: 1}\n",
                 "unknown decay type 'exponental' (expected one of: step, "
                 "zones, dai_gaussian, gaussian, exponential, power, linear, "
                 "logistic); did you mean 'exponential'?",
                 9, 19);
    expect_error(M "  - type: 2sfca\n    decay: {beta: 1}\n",
                 "missing required key 'type' in 'measures[0].decay'", 9, 12);
    expect_error(M "  - type: gravity\n",
                 "missing required key 'decay' in 'measures[0]'", 8, 5);
    expect_error(M "  - type: 2sfca\n    decay: {type: exponential}\n",
                 "missing required key 'beta' in 'measures[0].decay'", 9, 12);
    expect_error(M "  - type: 2sfca\n    decay: {type: exponential, beta: 0}\n",
                 "'measures[0].decay.beta' must be > 0", 9, 38);
    expect_error(M "  - type: 2sfca\n    decay: {type: exponential, beta: "
                   "-0.1}\n",
                 "'measures[0].decay.beta' must be > 0", 9, 38);
    expect_error(M "  - type: 2sfca\n    decay: {type: gaussian, sigma_min: "
                   "0}\n",
                 "'measures[0].decay.sigma_min' must be > 0", 9, 40);
    expect_error(M "  - type: 2sfca\n    decay: {type: step}\n",
                 "missing required key 'cutoff_min'", 9, 12);
    expect_error(M "  - type: 2sfca\n    decay: {type: step, cutoff_min: 30, "
                   "beta: 2}\n",
                 "'measures[0].decay.beta' is not a parameter of decay 'step' "
                 "(it takes: cutoff_min)",
                 9, 47);
    expect_error(M "  - type: 2sfca\n    decay: {type: zones, zones: [[20, 1], "
                   "[10, 0.5]]}\n",
                 "'measures[0].decay.zones' must be strictly ascending", 9, 44);
    expect_error(M "  - type: 2sfca\n    decay: {type: zones, zones: [[10, "
                   "1.5]]}\n",
                 "'measures[0].decay.zones[0] weight' must be >= 0 and <= 1", 9,
                 39);
    expect_error(M "  - type: 2sfca\n    decay: {type: zones, zones: [10, "
                   "1]}\n",
                 "'measures[0].decay.zones[0]' must be a pair [upper_min, "
                 "weight]",
                 9, 34);
    expect_error(M "  - type: 2sfca\n    threshold_min: 30\n"
                   "    decay: {type: linear, cutoff_min: 30}\n",
                 "give threshold_min or decay, not both", 10, 12);
    expect_error(M "  - type: 2sfca\n    alpha: 2\n",
                 "'measures[0].alpha': a measure of type 2sfca takes no alpha "
                 "(spav only)",
                 9, 12);
    expect_error(M "  - type: spav\n    n: 2\n",
                 "'measures[0].n': a measure of type spav takes no n", 9, 8);
    expect_error(M "  - type: kd2sfca\n    decay: {type: step, cutoff_min: "
                   "30}\n",
                 "'measures[0].decay': a measure of type kd2sfca takes no "
                 "decay",
                 9, 12);
    expect_error(M "  - type: e2sfca\n    threshold_min: 30\n",
                 "'measures[0].threshold_min': a measure of type e2sfca takes "
                 "no threshold_min",
                 9, 20);
    expect_error(M "  - type: e2sfca\n    decay: {type: linear, cutoff_min: "
                   "30}\n",
                 "a measure of type e2sfca does not take decay 'linear' "
                 "(zones only)",
                 9, 19);
    expect_error(M "  - type: gravity\n    threshold_min: 30\n",
                 "takes no threshold_min (give its decay", 9, 20);
    expect_error(M "  - type: nearest_n\n    n: 0\n",
                 "'measures[0].n' must be an integer from 1 to 1000", 9, 8);
    expect_error(M "  - type: spav\n    alpha: 0\n",
                 "'measures[0].alpha' must be > 0", 9, 12);
    expect_error(M "  - type: 2sfca\n    decay: {type: power, beta: 1}\n",
                 "missing required key 't_min'", 9, 12);
    expect_error(M "  - type: 2sfca\n    decay: {type: logistic, t_half_min: "
                   "10}\n",
                 "missing required key 'sd_min'", 9, 12);
    expect_error(M "  - type: 2sfca\n    decay: {type: linear, cutoff_mn: "
                   "10}\n",
                 "did you mean 'cutoff_min'?", 9, 27);
    /* two default names that meet: named by their decay, not its beta */
    expect_error(M "  - {type: gravity, decay: {type: exponential, beta: 1}}\n"
                   "  - {type: gravity, decay: {type: exponential, beta: 2}}\n",
                 "duplicate measure name 'gravity_exponential'", 9, 0);
#undef M
}

/* issue 9: through the API, the same rules (no lines). */
static void test_measure_api(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(parse(BASE_YAML, &s, &e), AM_OK);
    for (int i = 0; i < s->n_measures; i++) /* the default one */
        am_free(s->measures[i].name);
    am_free(s->measures);
    am_measure_spec *m = calloc(2, sizeof *m);
    s->measures = m;
    s->n_measures = 2;
    m[0].type = AM_MEASURE_TYPE_2SFCA; /* the issue-4 spec, unchanged */
    m[0].threshold_min = 30;
    m[1].type = AM_MEASURE_TYPE_GRAVITY;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'measures[1]': type gravity requires a "
                                  "decay"));
    m[1].decay.type = AM_DECAY_KIND_EXPONENTIAL;
    m[1].decay.beta = -1;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'measures[1].decay': beta must be > 0"));
    m[1].decay.beta = 0.1;
    m[1].alpha = 2;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "takes no alpha"));
    m[1].alpha = 0;
    m[1].type = (am_measure_type)99;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "unknown measure type 99"));
    m[1].type = AM_MEASURE_TYPE_GRAVITY;
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    assert_string_equal(m[0].name, "2sfca_30min");
    assert_string_equal(m[1].name, "gravity_exponential");
    am_scenario_destroy(s);
}

/* `surface` (issue 9): true / false or {enabled, max_time_min}; off by
 * default; max_time_min defaults to AM_SURFACE_MAX_MIN_DEFAULT. */
/* The lists' shared shape and messages (list_len): a wrong type, an
 * empty list where one item is needed, too many items, the item paths. */
static void test_list_shapes(void **state)
{
    (void)state;
    char text[4096];
    /* 33 facility cutoffs: the pre-pass caps only the top-level key */
    size_t k =
        (size_t)snprintf(text, sizeof text, BASE_YAML "    cutoffs_min: [1");
    for (int i = 2; i <= AM_MAX_CUTOFFS + 1; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, ", %d", i);
    snprintf(text + k, sizeof text - k, "]\n");
    expect_error(text,
                 "'facilities[0].cutoffs_min' lists 33 cutoffs (at most 32)", 7,
                 18);
    expect_error(BASE_YAML "cutoffs_min: {a: 1}\n",
                 "'cutoffs_min' must be a list of minutes, not a mapping", 7,
                 14);
    expect_error(BASE_YAML "cutoffs_min: [10, 20, 20]\n",
                 "'cutoffs_min' must be strictly ascending (20 follows 20)", 7,
                 23);
    expect_error(BASE_YAML "measures:\n  - type: 2sfca\n    decay: {type: "
                           "zones, zones: []}\n",
                 "'measures[0].decay.zones' is an empty list", 9, 33);
    expect_error(BASE_YAML "measures:\n  - type: 2sfca\n    decay: {type: "
                           "zones, zones: 5}\n",
                 "'measures[0].decay.zones' must be a list of [upper_min, "
                 "weight] pairs, not",
                 9, 33);
    k = (size_t)snprintf(text, sizeof text,
                         BASE_YAML "measures:\n  - type: 2sfca\n    decay: "
                                   "{type: zones, zones: [[1, 1]");
    for (int i = 2; i <= AM_DECAY_SPEC_MAX_ZONES + 1; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, ", [%d, 1]", i);
    snprintf(text + k, sizeof text - k, "]}\n");
    expect_error(text, "'measures[0].decay.zones' lists 17 zones (at most 16)",
                 9, 33);
    expect_error(BASE_YAML "measures:\n  - type: 2sfca\n    decay: {type: "
                           "zones, zones: [[5, 1], 7]}\n",
                 "'measures[0].decay.zones[1]' must be a pair", 9, 42);
#define ROAD_NODES                                                             \
    BASE_YAML "selection:\n  name: s\n  candidates:\n    road_nodes: "         \
              "{spacing_m: 2000, classes: "
    expect_error(ROAD_NODES "[]}\n",
                 "'selection.candidates.road_nodes.classes' is an empty list",
                 10, 44);
    expect_error(ROAD_NODES "{a: 1}}\n",
                 "'selection.candidates.road_nodes.classes' must be a list of "
                 "road classes, not a mapping",
                 10, 44);
    expect_error(ROAD_NODES "[primary, '']}\n",
                 "'selection.candidates.road_nodes.classes': an empty class",
                 10, 54);
    expect_error(ROAD_NODES "[primary, primary]}\n",
                 "'selection.candidates.road_nodes.classes': the class "
                 "'primary' is listed twice",
                 10, 54);
#undef ROAD_NODES
    expect_error(BASE_YAML "selection:\n  name: s\n  candidates:\n    grid: "
                           "{spacing_m: 2000}\n    sizes: [{capacity: 1}, "
                           "{capacity: 1}]\n",
                 "'selection.candidates.sizes[1]': capacity 1 is also "
                 "selection.candidates.sizes[0]'s (each size once)",
                 11, 28);
}

/* issue 10, site selection: the keys as read, the defaults, and the
 * cross-field rules with their lines. */
static void test_selection_key(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(parse(BASE_YAML, &s, &e), AM_OK);
    assert_null(s->selection);
    am_scenario_destroy(s);
    assert_int_equal(parse(BASE_YAML "selection:\n"
                                     "  name: new\n"
                                     "  candidates:\n"
                                     "    grid: {spacing_m: 2000, "
                                     "min_population: 50}\n"
                                     "    exclude_within_min: 10\n"
                                     "  model: mclp\n"
                                     "  cutoff_min: 30\n"
                                     "  p: 3\n",
                           &s, &e),
                     AM_OK);
    const am_selection_spec *sel = s->selection;
    assert_non_null(sel);
    assert_string_equal(sel->name, "new");
    assert_string_equal(sel->facilities, "facilities"); /* the first set */
    assert_int_equal(sel->source, AM_CANDIDATES_GRID);
    assert_true(sel->spacing_m == 2000.0 && sel->min_population == 50.0);
    assert_true(sel->exclude_within_min == 10.0);
    assert_int_equal(sel->model, AM_SELECTION_MCLP);
    assert_true(sel->cutoff_min == 30.0);
    assert_int_equal(sel->p, 3);
    assert_int_equal(sel->line, 8);
    assert_int_equal(sel->line_candidates, 10);
    assert_int_equal(sel->line_p, 14);
    assert_true(sel->capacity == 1.0 && sel->local_search == 1 &&
                sel->sweep == 1 && sel->exact == AM_EXACT_AUTO);
    am_scenario_destroy(s);
    assert_int_equal(parse(BASE_YAML
                           "selection:\n"
                           "  name: new\n"
                           "  candidates: {layer: {path: c.gpkg, cost_field: "
                           "cost}}\n"
                           "  model: pmedian\n"
                           "  budget: 12.5\n"
                           "  exact: off\n"
                           "  sweep: false\n",
                           &s, &e),
                     AM_OK);
    sel = s->selection;
    assert_int_equal(sel->source, AM_CANDIDATES_LAYER);
    assert_string_equal(sel->path, "c.gpkg");
    assert_string_equal(sel->cost_field, "cost");
    assert_int_equal(sel->model, AM_SELECTION_PMEDIAN);
    assert_true(sel->budget == 12.5 && sel->p == 0);
    assert_int_equal(sel->exact, AM_EXACT_OFF);
    assert_int_equal(sel->sweep, 0);
    assert_int_equal(sel->line_budget, 11);
    am_scenario_destroy(s);
    expect_error(BASE_YAML "selection:\n  name: new\n  candidates: "
                           "{populated_cells: {}}\n  model: pmedian\n  p: "
                           "2\n  penalty_min: 0\n",
                 "'selection.penalty_min' must be > 0", 12, 16);
    expect_error(BASE_YAML "selection:\n  name: new\n  candidates: "
                           "{populated_cells: {}}\n  model: mclp\n  "
                           "cutoff_min: 30\n  p: 2\n  penalty_min: 60\n",
                 "'selection.penalty_min' is pmedian's", 13, 16);
}

static void test_surface_key(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    assert_int_equal(parse(BASE_YAML, &s, &e), AM_OK);
    assert_int_equal(s->surface, 0);
    am_scenario_destroy(s);
    assert_int_equal(parse(BASE_YAML "surface: true\n", &s, &e), AM_OK);
    assert_int_equal(s->surface, 1);
    assert_true(s->surface_max_min == AM_SURFACE_MAX_MIN_DEFAULT);
    am_scenario_destroy(s);
    assert_int_equal(parse(BASE_YAML "surface: false\n", &s, &e), AM_OK);
    assert_int_equal(s->surface, 0);
    am_scenario_destroy(s);
    assert_int_equal(parse(BASE_YAML "surface: {max_time_min: 120}\n", &s, &e),
                     AM_OK);
    assert_int_equal(s->surface, 1);
    assert_true(s->surface_max_min == 120.0);
    am_scenario_destroy(s);
    assert_int_equal(parse(BASE_YAML "surface: {enabled: false, "
                                     "max_time_min: 90}\n",
                           &s, &e),
                     AM_OK);
    assert_int_equal(s->surface, 0);
    am_scenario_destroy(s);
    expect_error(BASE_YAML "surface: 3\n",
                 "'surface' must be true, false or a mapping (enabled, "
                 "max_time_min), not '3'",
                 7, 10);
    expect_error(BASE_YAML "surface: [true]\n",
                 "'surface' must be true, false or a mapping", 7, 10);
    expect_error(BASE_YAML "surface: {max_time_min: 0}\n",
                 "'surface.max_time_min' must be > 0 and <= 1440", 7, 25);
    expect_error(BASE_YAML "surface: {max_time_min: 1441}\n",
                 "'surface.max_time_min' must be > 0 and <= 1440", 7, 25);
    expect_error(BASE_YAML "surface: {enabled: yes}\n",
                 "'surface.enabled' must be true or false", 7, 20);
    expect_error(BASE_YAML "surface: {max_time_mn: 60}\n",
                 "unknown key 'max_time_mn' in 'surface' (expected one of: "
                 "enabled, max_time_min); did you mean 'max_time_min'?",
                 7, 11);
    expect_error(BASE_YAML "surfase: true\n", "did you mean 'surface'?", 7, 1);
    /* below the 0.1 s step (hostile review of issue 9): refused at its
       line, never a limit of 0 */
    expect_error(BASE_YAML "surface: {max_time_min: 0.0001}\n",
                 "'surface.max_time_min' is shorter than 0.05 s, so it rounds "
                 "to 0 in the 0.1 s steps travel times are counted in (got "
                 "0.0001)",
                 7, 25);
    /* a measure may not take the dataset's name */
    expect_error(BASE_YAML "measures:\n  - name: surface_time_min\n"
                           "    type: 2sfca\n    threshold_min: 30\n",
                 "'surface_time_min' is not a valid name (reserved", 8, 11);
    /* built in code: 0 takes the default, out of range is refused */
    assert_int_equal(parse(BASE_YAML, &s, &e), AM_OK);
    s->surface = 1;
    s->surface_max_min = -5;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'surface.max_time_min' must be >= 0"));
    s->surface_max_min = 0.0001; /* 0.006 s: rounds to 0 */
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'surface.max_time_min' is shorter than "
                                  "0.05 s"));
    s->surface_max_min = NAN;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'surface.max_time_min' must be a finite"));
    s->surface_max_min = 0;
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    assert_true(s->surface_max_min == AM_SURFACE_MAX_MIN_DEFAULT);
    am_scenario_destroy(s);
}

/* issue 9, facility tiers: tier, a set's cutoffs_min and measures,
 * combined and referrals; and the same checks on a scenario built in code
 * (am_scenario_finalize). */
static void test_tiers(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    const char *yaml = "roads: {path: roads.pbf}\n"
                       "population: {path: pop.tif}\n"
                       "facilities:\n"
                       "  - {name: primary, path: h.gpkg, tier: 1,\n"
                       "     cutoffs_min: [15, 30], measures: m15}\n"
                       "  - {name: regional, path: h.gpkg, tier: 3,\n"
                       "     cutoffs_min: 120}\n"
                       "  - {name: other, path: h.gpkg}\n"
                       "measures:\n"
                       "  - {name: m15, threshold_min: 15}\n"
                       "  - {name: m60, threshold_min: 60}\n"
                       "combined:\n"
                       "  - name: both\n"
                       "    within: {primary: 15, regional: 120}\n"
                       "referrals: {csv: ref.csv}\n";
    assert_int_equal(parse(yaml, &s, &e), AM_OK);
    const am_facility_source *f = s->facility_sets;
    assert_int_equal(f[0].tier, 1);
    assert_int_equal(f[1].tier, 3);
    assert_int_equal(f[2].tier, 0);
    assert_int_equal(f[0].n_cutoffs, 2);
    assert_true(f[0].cutoffs_min[0] == 15 && f[0].cutoffs_min[1] == 30);
    assert_int_equal(f[1].n_cutoffs, 1);
    assert_true(f[1].cutoffs_min[0] == 120);
    assert_null(f[2].cutoffs_min);
    assert_int_equal(f[0].n_measures, 1);
    assert_string_equal(f[0].measures[0], "m15");
    assert_null(f[1].measures);
    assert_int_equal(s->n_combined, 1);
    assert_string_equal(s->combined[0].name, "both");
    assert_int_equal(s->combined[0].n_conditions, 2);
    assert_string_equal(s->combined[0].set[1], "regional");
    assert_true(s->combined[0].minutes[1] == 120);
    assert_string_equal(s->referrals_csv, "ref.csv");
    /* finalize on a scenario changed in code: every check again */
    s->facility_sets[0].tier = 10;
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "'facilities[0].tier' must be an integer"));
    s->facility_sets[0].tier = 1;
    s->facility_sets[0].cutoffs_min[1] = 10; /* not ascending */
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "strictly ascending"));
    s->facility_sets[0].cutoffs_min[1] = 30;
    s->combined[0].minutes[0] = 31; /* beyond primary's 30 min */
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "beyond the set's largest cutoff (30"));
    s->combined[0].minutes[0] = 30; /* inclusive: allowed */
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    s->facility_sets[1].tier = 1; /* one tier only: no referrals */
    assert_int_equal(am_scenario_finalize(s, &e), AM_ERR_SCENARIO);
    assert_non_null(strstr(e.msg, "no two facility sets have different"));
    am_scenario_destroy(s);

    /* the YAML reader's errors, with their lines */
    expect_error(BASE_YAML "    tier: 0\n", "must be an integer from 1 to 9", 7,
                 11);
    expect_error(BASE_YAML "    tier: 1.5\n", "must be an integer", 7, 11);
    expect_error(BASE_YAML "    measures: [nope]\n",
                 "no measure named 'nope' in 'measures'", 6, 0);
    expect_error(BASE_YAML "    cutoffs_min: [30, 20]\n", "strictly ascending",
                 7, 0);
    expect_error(BASE_YAML "combined:\n  - name: c\n    within: {nope: 5}\n",
                 "no facility set named 'nope'", 8, 0);
    expect_error(BASE_YAML
                 "combined:\n  - name: c\n    within: {facilities: 61}\n",
                 "beyond the set's largest cutoff (60 min)", 8, 0);
    expect_error(BASE_YAML "combined:\n  - name: c\n    within: {}\n",
                 "lists 0 conditions (1 to 8)", 9, 0);
    expect_error(BASE_YAML "combined:\n  - name: c\n    within: "
                           "{facilities: 5}\n  - name: c\n    within: "
                           "{facilities: 5}\n",
                 "duplicate combined indicator name 'c'", 10, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_cutoffs),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_file_and_paths),
        cmocka_unit_test(test_output_names),
        cmocka_unit_test(test_fifo_scenario),
        cmocka_unit_test(test_finalize_api),
        cmocka_unit_test(test_number_syntax_and_ranges),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_finalize_limits),
        cmocka_unit_test(test_facility_crs),
        cmocka_unit_test(test_snap_components),
        cmocka_unit_test(test_measure_types),
        cmocka_unit_test(test_measure_errors),
        cmocka_unit_test(test_measure_api),
        cmocka_unit_test(test_surface_key),
        cmocka_unit_test(test_selection_key),
        cmocka_unit_test(test_list_shapes),
        cmocka_unit_test(test_tiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
