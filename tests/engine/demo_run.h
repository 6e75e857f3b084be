/*
 * demo_run.h: the Comoros demo (data/comoros) built through the library,
 * its scenario changed first by an edit callback, for end-to-end tests that
 * compare two variants (speed zones, ferries, a custom profile). Include
 * after cmocka.h; AM_DEMO_DATA comes from the test's build.
 */
#ifndef AM_TEST_DEMO_RUN_H
#define AM_TEST_DEMO_RUN_H

#include <string.h>

#include <accessim.h>

typedef struct demo_run {
    am_scenario *s;
    am_model *m;
    am_sites *f;   /* the scenario's first facility set */
    am_results *r; /* its results */
} demo_run;

/* edit (may be NULL) changes the scenario read from the demo's file; it
 * is finalized again after. Fails the test on any error. */
static void demo_run_build(demo_run *b,
                           void (*edit)(am_scenario *, const void *),
                           const void *arg)
{
    am_error e;
    memset(b, 0, sizeof *b);
    if (am_scenario_read_file(AM_DEMO_DATA "/comoros/comoros.yaml", &b->s,
                              &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    if (edit != NULL) {
        edit(b->s, arg);
        if (am_scenario_finalize(b->s, &e) != AM_OK)
            fail_msg("%s: %s", e.file, e.msg);
    }
    am_model_options mo = am_model_options_default();
    mo.threads = 2;
    if (am_model_create(b->s, &mo, &b->m, &e) != AM_OK ||
        am_model_build(b->m, &e) != AM_OK ||
        am_sites_from_scenario(b->m, 0, &b->f, &e) != AM_OK ||
        am_results_compute(b->m, b->f, 0, &b->r, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
}

static void demo_run_free(demo_run *b)
{
    am_results_destroy(b->r);
    am_sites_destroy(b->f);
    am_model_destroy(b->m);
    am_scenario_destroy(b->s);
}

#endif /* AM_TEST_DEMO_RUN_H */
