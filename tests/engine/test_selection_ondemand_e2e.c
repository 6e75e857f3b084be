/*
 * test_selection_ondemand_e2e.c: site selection with the candidates' rows
 * on demand (issue 10; docs/selection.md, "Rows on demand") on the
 * Comoros demo. The same scenario is run with the instance in memory and
 * under a --max-memory that leaves room for the run but not for the
 * instance (and, once, with catchments: on_demand and no cap): the mode
 * is on demand (attribute and summary), the cache is within the cap's
 * leftover, and the chosen sites, steps, objective and sweep table are
 * those of the in-memory run, byte for byte; catchments: memory under the
 * same cap is refused with a message naming the key. And the sweep's
 * depth: no deeper than the model by default, as deep as asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <hdf5.h>

#include <accessim.h>

#define TMP_DIR_TAG "selection_ondemand"
#include "h5_read.h"
#include "tmp_dir.h"

#include "scenario_run.h"

static void scenario_text2(char *buf, size_t size, const char *mode,
                           const char *cutoffs, const char *sweep)
{
    snprintf(buf, size,
             DEMO_SCENARIO_HEAD
             "cutoffs_min: %s\n"
             "selection:\n"
             "  name: new_clinics\n"
             "  candidates:\n"
             "    grid: {spacing_m: 3000, min_population: 200}\n"
             "  model: mclp\n"
             "  cutoff_min: 30\n"
             "  p: 3\n"
             "  exact: off\n"
             "  catchments: %s\n"
             "  sweep: %s\n",
             cutoffs, mode, sweep);
}

static void scenario_text(char *buf, size_t size, const char *mode)
{
    scenario_text2(buf, size, mode, "[15, 30]", "true");
}

static am_status run_text(const char *name, const char *mode, uint64_t cap,
                          const char *out, am_run_summary **sum, am_error *e)
{
    char text[4096];
    scenario_text(text, sizeof text, mode);
    return scenario_run(name, text, out, 2, cap, sum, e);
}

/* Every column of the steps, chosen and sweep tables, and the objective
 * attributes, byte for byte. */
static void assert_same_selection(const char *o1, const char *o2)
{
    hid_t a = H5Fopen(o1, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t b = H5Fopen(o2, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(a >= 0 && b >= 0);
    static const char *const paths[] = {"chosen/candidate",
                                        "chosen/id",
                                        "chosen/gain",
                                        "chosen/objective",
                                        "steps/added",
                                        "steps/removed",
                                        "steps/gain",
                                        "steps/objective",
                                        "candidates/chosen",
                                        "sweep/newly_within_15min",
                                        "sweep/newly_within_30min",
                                        "sweep/nearest_changed",
                                        "sweep/time_saved_min",
                                        "sweep/d_mean",
                                        "sweep/d_bottom10",
                                        "sweep/d_gini",
                                        "sweep/no_demand"};
    for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
        char path[256];
        snprintf(path, sizeof path, "/selection/new_clinics/%s", paths[k]);
        assert_same_dataset(a, b, path, "the in-memory and on-demand runs");
    }
    static const char *const attrs[] = {"objective", "base_objective", "pairs",
                                        "chosen_count"};
    for (size_t k = 0; k < 4; k++) {
        double va = attr_num(a, "/selection/new_clinics", attrs[k]);
        double vb = attr_num(b, "/selection/new_clinics", attrs[k]);
        assert_memory_equal(&va, &vb, sizeof va);
    }
    H5Fclose(a);
    H5Fclose(b);
}

static void test_on_demand_same_choice(void **state)
{
    (void)state;
    char o1[512], o2[512], o3[512], *mode = NULL;
    am_run_summary *s1 = NULL, *s2 = NULL, *s3 = NULL;
    am_error e;
    snprintf(o1, sizeof o1, "%s/mem.h5", tmp_dir);
    snprintf(o2, sizeof o2, "%s/cap.h5", tmp_dir);
    snprintf(o3, sizeof o3, "%s/forced.h5", tmp_dir);
    if (run_text("mem", "auto", 0, o1, &s1, &e) != AM_OK)
        fail_msg("%s", e.msg);
    assert_non_null(s1->selection);
    assert_int_equal(s1->selection->on_demand, 0);
    const uint64_t est = s1->memory_estimate, plan = s1->selection->plan_bytes;
    assert_true(plan > 0);
    /* room for the run and the row workspaces, not for the instance: the
       run's estimate shrinks with the cap (GDAL's cache is a share of
       it), so the cap is set again from the capped run's estimate */
    uint64_t cap = est + plan / 4 * 3;
    for (int k = 0; k < 3; k++) {
        if (run_text("cap", "auto", cap, o2, &s2, &e) != AM_OK)
            fail_msg("cap %llu (estimate %llu, plan %llu): %s",
                     (unsigned long long)cap, (unsigned long long)est,
                     (unsigned long long)plan, e.msg);
        if (s2->memory_estimate + plan > s2->memory_cap)
            break;
        cap = s2->memory_estimate + plan / 4 * 3;
        am_run_summary_destroy(s2);
        s2 = NULL;
    }
    if (s2 == NULL) /* the plan must not fit the cap */
        fail_msg("cap %llu leaves room for the plan %llu",
                 (unsigned long long)cap, (unsigned long long)plan);
    printf("on demand under a cap of %.1f MiB (estimate %.1f MiB, plan "
           "%.1f MiB): a cache of %.1f MiB held %d rows\n",
           (double)cap / 1048576.0, (double)s2->memory_estimate / 1048576.0,
           (double)plan / 1048576.0,
           (double)s2->selection->cache_bytes / 1048576.0,
           (int)s2->selection->shortlist);
    assert_int_equal(s2->selection->on_demand, 1);
    assert_true(s2->selection->cache_bytes > 0);
    assert_true(s2->selection->cache_bytes + s2->memory_estimate <=
                s2->memory_cap);
    hid_t f = H5Fopen(o2, H5F_ACC_RDONLY, H5P_DEFAULT);
    mode = attr_str(f, "/selection/new_clinics", "catchments");
    assert_string_equal(mode, "on_demand");
    free(mode);
    assert_true(attr_num(f, "/selection/new_clinics", "cache_bytes") > 0);
    assert_true(attr_num(f, "/selection/new_clinics", "rows_computed") >=
                attr_num(f, "/selection/new_clinics", "candidates") -
                    attr_num(f, "/selection/new_clinics", "excluded"));
    H5Fclose(f);
    f = H5Fopen(o1, H5F_ACC_RDONLY, H5P_DEFAULT);
    mode = attr_str(f, "/selection/new_clinics", "catchments");
    assert_string_equal(mode, "memory");
    free(mode);
    H5Fclose(f);
    assert_same_selection(o1, o2);
    /* asked for, without a cap */
    if (run_text("forced", "on_demand", 0, o3, &s3, &e) != AM_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(s3->selection->on_demand, 1);
    assert_same_selection(o1, o3);
    /* memory asked under the same cap: refused, naming the key */
    am_run_summary *s4 = NULL;
    assert_int_equal(run_text("refused", "memory", cap, o3, &s4, &e),
                     AM_ERR_NOMEM);
    assert_non_null(strstr(e.msg, "catchments: auto or on_demand"));
    am_run_summary_destroy(s4);
    am_run_summary_destroy(s1);
    am_run_summary_destroy(s2);
    am_run_summary_destroy(s3);
}

/* The sweep's depth: by default no deeper than the model (cutoffs
 * within 30 min, the 30-min 2SFCA measure); asked cutoffs_min [60] and
 * measure none deepen to 60 and report only that cutoff. */
static void test_sweep_depth(void **state)
{
    (void)state;
    char text[4096], o1[512], o2[512], *mode = NULL;
    snprintf(o1, sizeof o1, "%s/sweep_default.h5", tmp_dir);
    snprintf(o2, sizeof o2, "%s/sweep_asked.h5", tmp_dir);
    scenario_text2(text, sizeof text, "auto", "[15, 30, 60]", "true");
    scenario_run_ok("sweep_default", text, o1, 2, NULL);
    scenario_text2(text, sizeof text, "auto", "[15, 30, 60]",
                   "{cutoffs_min: [60], measure: none}");
    scenario_run_ok("sweep_asked", text, o2, 2, NULL);
    const char *g = "/selection/new_clinics";
    hid_t a = H5Fopen(o1, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t b = H5Fopen(o2, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(a >= 0 && b >= 0);
    assert_true(attr_num(a, g, "depth_min") == 30.0);
    assert_true(attr_num(b, g, "depth_min") == 60.0);
    assert_true(attr_num(b, g, "pairs") > attr_num(a, g, "pairs"));
    assert_true(H5Lexists(a, "/selection/new_clinics/sweep/newly_within_15min",
                          H5P_DEFAULT) > 0);
    assert_true(H5Lexists(a, "/selection/new_clinics/sweep/newly_within_30min",
                          H5P_DEFAULT) > 0);
    assert_true(H5Lexists(a, "/selection/new_clinics/sweep/newly_within_60min",
                          H5P_DEFAULT) <= 0);
    assert_true(H5Lexists(b, "/selection/new_clinics/sweep/newly_within_60min",
                          H5P_DEFAULT) > 0);
    assert_true(H5Lexists(b, "/selection/new_clinics/sweep/newly_within_30min",
                          H5P_DEFAULT) <= 0);
    mode = attr_str(a, g, "sweep_measure");
    assert_true(mode[0] != '\0'); /* the 30-min 2SFCA measure */
    free(mode);
    mode = attr_str(b, g, "sweep_measure");
    assert_string_equal(mode, "");
    free(mode);
    size_t n = 0;
    double *dm = read_num_opt(b, "/selection/new_clinics/sweep/d_mean", &n);
    assert_non_null(dm);
    for (size_t i = 0; i < n; i++)
        assert_true(isnan(dm[i]));
    free(dm);
    dm = read_num_opt(a, "/selection/new_clinics/sweep/d_mean", &n);
    assert_non_null(dm);
    int finite = 0;
    for (size_t i = 0; i < n; i++)
        finite += isfinite(dm[i]);
    assert_true(finite > 0);
    free(dm);
    /* the same choice: the model does not depend on the sweep's depth */
    assert_same_dataset(a, b, "/selection/new_clinics/chosen/candidate",
                        "the default and the deepened sweep");
    H5Fclose(a);
    H5Fclose(b);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_on_demand_same_choice),
        cmocka_unit_test(test_sweep_depth),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
