/*
 * scenario_run.h: running a scenario text in the end-to-end tests (written
 * as <tmp_dir>/<name>.yaml, read, run through am_run without the graph
 * cache), and the Comoros demo's common scenario lines. Include after
 * cmocka.h and tmp_dir.h; AM_DEMO_DATA comes from the test's build.
 */
#ifndef AM_TEST_SCENARIO_RUN_H
#define AM_TEST_SCENARIO_RUN_H

#include <stdint.h>
#include <stdio.h>

#include <accessim.h>

/* The demo's roads and population. */
#define DEMO_ROADS_POPULATION                                                  \
    "roads: {path: " AM_DEMO_DATA "/comoros/comores-latest.osm.pbf}\n"         \
    "population: {path: " AM_DEMO_DATA "/comoros/com_ppp_2020_UNadj.tif}\n"

/* Those, its hospitals and clinics as the set 'existing' and a 30-min
 * 2SFCA measure: nine lines, a test's own keys follow from line 10. */
#define DEMO_SCENARIO_HEAD                                                     \
    DEMO_ROADS_POPULATION                                                      \
    "facilities:\n"                                                            \
    "  - name: existing\n"                                                     \
    "    path: " AM_DEMO_DATA "/comoros/health.gpkg\n"                         \
    "    where: \"amenity IN ('hospital', 'clinic')\"\n"                       \
    "measures:\n"                                                              \
    "  - type: 2sfca\n"                                                        \
    "    threshold_min: 30\n"

/*
 * Writes text as <tmp_dir>/<name>.yaml, reads it (failing the test when
 * it cannot) and runs it into out with `threads` and a memory cap of
 * max_memory bytes (0: none). Returns am_run's status, its error in *e;
 * the summary in *sum (owned by the caller; NULL on failure) or, with sum
 * NULL, destroyed.
 */
static inline am_status scenario_run(const char *name, const char *text,
                                     const char *out, int threads,
                                     uint64_t max_memory, am_run_summary **sum,
                                     am_error *e)
{
    am_scenario *s = NULL;
    am_run_summary *got = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/%s.yaml", tmp_dir, name);
    write_text(path, text);
    am_error_clear(e);
    if (am_scenario_read_file(path, &s, e) != AM_OK)
        fail_msg("line %ld: %s", e->line, e->msg);
    am_run_options opt = am_run_options_default();
    opt.output_path = out;
    opt.threads = threads;
    opt.no_cache = 1;
    opt.max_memory = max_memory;
    am_status rc = am_run(s, &opt, &got, e);
    am_scenario_destroy(s);
    if (sum != NULL)
        *sum = got;
    else
        am_run_summary_destroy(got);
    return rc;
}

/* The same without a cap, failing the test on any error. */
static inline void scenario_run_ok(const char *name, const char *text,
                                   const char *out, int threads,
                                   am_run_summary **sum)
{
    am_error e;
    if (scenario_run(name, text, out, threads, 0, sum, &e) != AM_OK)
        fail_msg("%s: line %ld: %s", e.file, e.line, e.msg);
}

#endif /* AM_TEST_SCENARIO_RUN_H */
