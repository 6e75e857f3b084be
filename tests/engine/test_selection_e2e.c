/*
 * test_selection_e2e.c: site selection through the engine (issue 10;
 * docs/scenario.md "Site selection", docs/hdf5-layout.md "/selection"), on
 * a line of five vertices checked by hand, and on the Comoros demo data:
 *  - the chosen sites' objective recomputed independently: the existing
 *    facilities (their lon/lat as written) and the chosen sites (from the
 *    chosen table) as one facility set of a plain run, whose coverage at
 *    the cutoff (the multi-source nearest search, not the catchments nor
 *    the selection kernel) must equal the reported objective; likewise
 *    each prefix of the choice against the chosen table's objective
 *    column, and the baseline against the base_objective attribute;
 *  - the tables' shapes and cross-references (candidates' chosen order,
 *    steps, sweep rows of the kept candidates, excluded counts);
 *  - p-median with a time exclusion: the same independent check of the
 *    weighted time (from the nearest_time_min rasters, penalty beyond);
 *  - the scenario written under /scenarios/<name>/results/<set>: its
 *    coverage is the objective, its facilities the existing plus chosen;
 *  - 1 vs 2 threads: every /selection dataset byte-identical.
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
#include <ogr_srs_api.h>

#include <accessim.h>

#define TMP_DIR_TAG "selection"
#include "h5_read.h"
#include "tmp_dir.h"

#include "scenario_run.h"

/* The demo's common part; `extra` is appended (selection, cutoffs). */
static void scenario_text(char *buf, size_t size, const char *extra)
{
    snprintf(buf, size, DEMO_SCENARIO_HEAD "%s", extra);
}

/*
 * A plain run with one facility set: the existing facilities of `h5` (the
 * lon/lat of /results/existing/facilities) and the first k chosen sites
 * of /selection/<sel>/chosen, as a CSV; cutoffs_min [cut]. Returns the run
 * and leaves its output at out.
 */
static am_run_summary *union_run(hid_t f, const char *sel, int k, double cut,
                                 const char *out)
{
    size_t ne = 0, nc = 0;
    double *elon = read_num(f, "/results/existing/facilities/lon", &ne);
    double *elat = read_num(f, "/results/existing/facilities/lat", &ne);
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "/selection/%s/chosen/lon", sel);
    snprintf(p2, sizeof p2, "/selection/%s/chosen/lat", sel);
    double *clon = read_num(f, p1, &nc);
    double *clat = read_num(f, p2, &nc);
    assert_true((size_t)k <= nc);
    char csv[512];
    snprintf(csv, sizeof csv, "%s/union.csv", tmp_dir);
    FILE *c = fopen(csv, "w");
    assert_non_null(c);
    fprintf(c, "id,lon,lat\n");
    for (size_t i = 0; i < ne; i++)
        fprintf(c, "e%zu,%.17g,%.17g\n", i, elon[i], elat[i]);
    for (int i = 0; i < k; i++)
        fprintf(c, "c%d,%.17g,%.17g\n", i, clon[i], clat[i]);
    fclose(c);
    char text[4096];
    snprintf(text, sizeof text,
             DEMO_ROADS_POPULATION "facilities:\n"
                                   "  - name: union\n"
                                   "    path: %s\n"
                                   "    id_field: id\n"
                                   "    x_field: lon\n"
                                   "    y_field: lat\n"
                                   "cutoffs_min: [%g]\n",
             csv, cut);
    am_run_summary *sum = NULL;
    scenario_run_ok("union", text, out, 2, &sum);
    free(elon);
    free(elat);
    free(clon);
    free(clat);
    return sum;
}

static void near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fmax(1.0, fabs(want))))
        fail_msg("got %.10g, want %.10g", got, want);
}

/* ---- a hand-checked line ------------------------------------------------ */

/*
 * Five vertices v0..v4 on a line, 5 minutes apart (two-way), one cell of
 * 10, 20, 30, 40, 50 people at each; the existing facility at v0 and
 * candidates c2, c3, c4 at v2, v3, v4. Times are 5 |i - j| minutes.
 *  - MCLP at 5 min, p = 1: the baseline covers v0, v1 (30 people); c2
 *    adds v2, v3 (70), c3 adds v2, v3, v4 (120), c4 adds v3, v4 (90): c3,
 *    objective 150.
 *  - p-median, P = 20 min, p = 1: baseline 20 (5) + 30 (10) + 40 (15) + 50
 *    (20) = 2000 person-minutes; with c2 800, c3 500, c4 600: c3, 500.
 *  - set covering of 100 % at 5 min: c3 alone; with costs c2 1, c3 4,
 *    c4 2 and a budget of 3 (MCLP at 5 min): c2 and c4, 150 as well;
 *  - the sweep of c3 (cutoffs 5 and 10 min, depth 10 min): newly within 5
 *    min 120, within 10 min 90 (v3, v4; v2 was at 10), nearest changed
 *    120, time saved 30 x 5 + 40 x 10 + 50 x 5 = 800 person-minutes (times
 *    capped at the depth).
 */
static void write_line(void)
{
    char path[512], text[8192];
    size_t k = (size_t)snprintf(text, sizeof text,
                                "{\"type\": \"FeatureCollection\", "
                                "\"features\": [\n");
    for (int e = 0; e < 4; e++)
        k += (size_t)snprintf(
            text + k, sizeof text - k,
            "%s{\"type\": \"Feature\", \"properties\": {\"minutes\": 5}, "
            "\"geometry\": {\"type\": \"LineString\", \"coordinates\": "
            "[[%.3f, 0.005], [%.3f, 0.005]]}}\n",
            e ? "," : "", 0.005 + 0.01 * e, 0.005 + 0.01 * (e + 1));
    snprintf(text + k, sizeof text - k, "]}\n");
    snprintf(path, sizeof path, "%s/line.geojson", tmp_dir);
    write_text(path, text);
    snprintf(path, sizeof path, "%s/existing.geojson", tmp_dir);
    write_text(path, "{\"type\": \"FeatureCollection\", \"features\": ["
                     "{\"type\": \"Feature\", \"properties\": {\"code\": "
                     "\"e0\"}, \"geometry\": {\"type\": \"Point\", "
                     "\"coordinates\": [0.005, 0.005]}}]}\n");
    k = (size_t)snprintf(text, sizeof text,
                         "{\"type\": \"FeatureCollection\", \"features\": "
                         "[\n");
    for (int v = 2; v <= 4; v++)
        k += (size_t)snprintf(text + k, sizeof text - k,
                              "%s{\"type\": \"Feature\", \"properties\": "
                              "{\"code\": \"c%d\", \"cost\": %d}, "
                              "\"geometry\": "
                              "{\"type\": \"Point\", \"coordinates\": "
                              "[%.3f, 0.005]}}\n",
                              v > 2 ? "," : "", v,
                              v == 2   ? 1
                              : v == 3 ? 4
                                       : 2,
                              0.005 + 0.01 * v);
    snprintf(text + k, sizeof text - k, "]}\n");
    snprintf(path, sizeof path, "%s/cand.geojson", tmp_dir);
    write_text(path, text);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    snprintf(path, sizeof path, "%s/line_pop.tif", tmp_dir);
    GDALDatasetH ds = GDALCreate(drv, path, 5, 1, 1, GDT_Float32, NULL);
    assert_non_null(ds);
    double gt[6] = {0.0, 0.01, 0, 0.01, 0, -0.01};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    GDALSetSpatialRef(ds, srs);
    OSRDestroySpatialReference(srs);
    float v[5] = {10, 20, 30, 40, 50};
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, 5,
                                  1, v, 5, 1, GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(ds);
}

static const char line_yaml[] =
    "roads: {path: line.geojson, time_field: minutes, time_unit: minutes}\n"
    "population: {path: line_pop.tif}\n"
    "snap: {max_distance_m: 2000, components: all}\n"
    "facilities:\n"
    "  - {name: existing, path: existing.geojson, id_field: code}\n"
    "cutoffs_min: [5, 10]\n"
    "measures: [{type: 2sfca, threshold_min: 10}]\n"
    "selection:\n"
    "  name: s\n"
    "  candidates: {layer: {path: cand.geojson, id_field: code}}\n";

static void test_hand_checked_line(void **state)
{
    (void)state;
    char text[2048], out[512];
    write_line();
    snprintf(text, sizeof text, "%s%s", line_yaml,
             "  model: mclp\n  cutoff_min: 5\n  p: 1\n  exact: on\n"
             "  sweep: {cutoffs_min: [5, 10]}\n"); /* depth 10 (the
                                                     sweep's own default
                                                     stops at 5) */
    snprintf(out, sizeof out, "%s/line.h5", tmp_dir);
    am_run_summary *sum = NULL;
    scenario_run_ok("line", text, out, 2, &sum);
    const am_selection_summary *q = sum->selection;
    assert_int_equal(q->n_chosen, 1);
    assert_string_equal(q->id[0], "c3");
    near(q->base_objective, 30, 1e-12);
    near(q->objective, 150, 1e-12);
    near(q->gain[0], 120, 1e-12);
    assert_int_equal(q->exact_run, 1);
    assert_int_equal(q->exact_proven, 1);
    near(q->exact_objective, 150, 1e-12);
    am_run_summary_destroy(sum);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    size_t n = 0;
    static const struct {
        const char *col;
        double c3;
    } sweep[] = {{"newly_within_5min", 120},
                 {"newly_within_10min", 90},
                 {"nearest_changed", 120},
                 {"time_saved_min", 800}};
    double *row = read_num(f, "/selection/s/sweep/candidate", &n);
    assert_int_equal(n, 3);
    assert_true(row[1] == 1); /* c3 is the second candidate */
    for (size_t k = 0; k < 4; k++) {
        char path[128];
        snprintf(path, sizeof path, "/selection/s/sweep/%s", sweep[k].col);
        double *v = read_num(f, path, &n);
        near(v[1], sweep[k].c3, 1e-12);
        free(v);
    }
    double *nw = read_num(f, "/selection/s/sweep/newly_within_5min", &n);
    near(nw[0], 70, 1e-12); /* c2 */
    near(nw[2], 90, 1e-12); /* c4 */
    free(nw);
    free(row);
    H5Fclose(f);

    snprintf(text, sizeof text, "%s%s", line_yaml,
             "  model: pmedian\n  penalty_min: 20\n  p: 1\n  sweep: false\n");
    scenario_run_ok("line_pm", text, out, 1, &sum);
    q = sum->selection;
    assert_string_equal(q->id[0], "c3");
    near(q->base_objective, 2000, 1e-12);
    near(q->objective, 500, 1e-12);
    am_run_summary_destroy(sum);

    /* set covering of everyone at 5 min: c3 alone */
    snprintf(text, sizeof text, "%s%s", line_yaml,
             "  model: setcover\n  cutoff_min: 5\n  target_share: 1\n");
    scenario_run_ok("line_sc", text, out, 2, &sum);
    q = sum->selection;
    assert_int_equal(q->n_chosen, 1);
    assert_string_equal(q->id[0], "c3");
    near(q->objective, 150, 1e-12);
    am_run_summary_destroy(sum);

    /* costs c2 1, c3 4, c4 2 and a budget of 3: c3 is beyond it, and
       {c2, c4} covers v2, v3, v4 as c3 would (150 within 5 min) */
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%s", line_yaml);
    char *at = strstr(yaml, "id_field: code}}");
    assert_non_null(at);
    snprintf(at, sizeof yaml - (size_t)(at - yaml),
             "id_field: code, cost_field: cost}}\n"
             "  model: mclp\n  cutoff_min: 5\n  budget: 3\n");
    scenario_run_ok("line_budget", yaml, out, 2, &sum);
    q = sum->selection;
    assert_int_equal(q->n_chosen, 2);
    assert_true((strcmp(q->id[0], "c2") == 0 && strcmp(q->id[1], "c4") == 0) ||
                (strcmp(q->id[0], "c4") == 0 && strcmp(q->id[1], "c2") == 0));
    near(q->objective, 150, 1e-12);
    am_run_summary_destroy(sum);
    hid_t g = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    double *cost = read_num(g, "/selection/s/candidates/cost", &n);
    assert_int_equal(n, 3);
    assert_true(cost[0] == 1 && cost[1] == 4 && cost[2] == 2);
    free(cost);
    H5Fclose(g);
}

/* ---- MCLP on the demo's grid ------------------------------------------- */

static const char mclp_extra[] =
    "cutoffs_min: [15, 30]\n"
    "selection:\n"
    "  name: new_clinics\n"
    "  candidates:\n"
    "    grid: {spacing_m: 4000, min_population: 200}\n"
    "  model: mclp\n"
    "  cutoff_min: 30\n"
    "  p: 3\n"
    "  sweep: true\n";

static void test_mclp_objective(void **state)
{
    (void)state;
    char text[4096], out[512], uout[512];
    scenario_text(text, sizeof text, mclp_extra);
    snprintf(out, sizeof out, "%s/mclp.h5", tmp_dir);
    am_run_summary *sum = NULL;
    scenario_run_ok("mclp", text, out, 2, &sum);
    assert_non_null(sum->selection);
    const am_selection_summary *q = sum->selection;
    assert_int_equal(q->n_chosen, 3);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    const char *g = "/selection/new_clinics";
    const double obj = attr_num(f, g, "objective");
    const double base = attr_num(f, g, "base_objective");
    near(obj, q->objective, 0);
    near(base, q->base_objective, 0);
    assert_true(obj >= base);
    near(attr_num(f, g, "gain"), obj - base, 1e-12);
    /* the baseline: the existing set's own coverage at 30 min */
    near(base, sum->sets[0].pop_within[1], 1e-9);
    /* the objective of each prefix of the choice, independently */
    size_t n = 0;
    double *cum = read_num(f, "/selection/new_clinics/chosen/objective", &n);
    double *gain = read_num(f, "/selection/new_clinics/chosen/gain", &n);
    assert_int_equal(n, 3);
    double prev = base;
    for (int k = 1; k <= 3; k++) {
        snprintf(uout, sizeof uout, "%s/union%d.h5", tmp_dir, k);
        am_run_summary *u = union_run(f, "new_clinics", k, 30, uout);
        near(u->sets[0].pop_within[0], cum[k - 1], 1e-9);
        near(gain[k - 1], cum[k - 1] - prev, 1e-9);
        assert_true(gain[k - 1] >= 0);
        prev = cum[k - 1];
        am_run_summary_destroy(u);
    }
    near(cum[2], obj, 1e-12);
    /* the scenario's results (the existing set with the choice added, as
       the engine computes any set) cover the same population */
    size_t nv = 0;
    double *cov = read_num(
        f, "/scenarios/new_clinics/results/existing/coverage/population", &nv);
    assert_int_equal(nv, 2);
    near(cov[1], obj, 1e-9);
    free(cov);
    double *sid = read_num(
        f, "/scenarios/new_clinics/results/existing/facilities/capacity", &nv);
    assert_int_equal(nv, (size_t)sum->sets[0].n_facilities + 3);
    free(sid);
    /* the tables agree with each other */
    size_t nc = 0, ns = 0, nx = 0;
    double *chosen =
        read_num(f, "/selection/new_clinics/candidates/chosen", &nc);
    double *excl =
        read_num(f, "/selection/new_clinics/candidates/excluded", &nx);
    double *crow = read_num(f, "/selection/new_clinics/chosen/candidate", &n);
    double *srow = read_num(f, "/selection/new_clinics/sweep/candidate", &ns);
    assert_int_equal(nc, (size_t)q->candidates);
    int picked = 0, kept = 0;
    for (size_t j = 0; j < nc; j++) {
        picked += chosen[j] >= 0;
        kept += excl[j] == 0;
        if (chosen[j] >= 0)
            assert_true(excl[j] == 0);
    }
    assert_int_equal(picked, 3);
    assert_int_equal(kept, (int)ns); /* one sweep row per kept candidate */
    assert_int_equal(nc - (size_t)kept, (size_t)attr_num(f, g, "excluded"));
    for (int k = 0; k < 3; k++)
        assert_true(chosen[(size_t)crow[k]] == k);
    for (size_t i = 1; i < ns; i++)
        assert_true(srow[i] > srow[i - 1]);
    /* the sweep's newly_within_30min of the first pick is its greedy gain
       (MCLP at 30 min: the first site's gain alone) */
    double *nw =
        read_num(f, "/selection/new_clinics/sweep/newly_within_30min", &ns);
    double best = 0;
    for (size_t i = 0; i < ns; i++)
        best = fmax(best, nw[i]);
    assert_true(best >= gain[0] - 1e-6 * fmax(1.0, gain[0]));
    H5Fclose(f);
    free(cum);
    free(gain);
    free(chosen);
    free(excl);
    free(crow);
    free(srow);
    free(nw);
    am_run_summary_destroy(sum);
}

/* ---- p-median with a time exclusion ------------------------------------ */

static void test_pmedian_objective(void **state)
{
    (void)state;
    char text[4096], out[512], uout[512];
    scenario_text(text, sizeof text,
                  "cutoffs_min: [30]\n"
                  "selection:\n"
                  "  name: pm\n"
                  "  candidates:\n"
                  "    grid: {spacing_m: 6000, min_population: 500}\n"
                  "    exclude_within_min: 10\n"
                  "  model: pmedian\n"
                  "  penalty_min: 45\n"
                  "  p: 2\n"
                  "  sweep: false\n");
    snprintf(out, sizeof out, "%s/pm.h5", tmp_dir);
    scenario_run_ok("pm", text, out, 2, NULL);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    const double obj = attr_num(f, "/selection/pm", "objective");
    const double base = attr_num(f, "/selection/pm", "base_objective");
    assert_true(obj <= base);
    assert_true(attr_num(f, "/selection/pm", "excluded_near") > 0);
    assert_true(H5Lexists(f, "/selection/pm/sweep", H5P_DEFAULT) == 0);
    /* sum_i w_i min(t_i, 45 min) from the union's nearest times */
    snprintf(uout, sizeof uout, "%s/pm_union.h5", tmp_dir);
    am_run_summary *u = union_run(f, "pm", 2, 45, uout);
    am_run_summary_destroy(u);
    hid_t g = H5Fopen(uout, H5F_ACC_RDONLY, H5P_DEFAULT);
    size_t n = 0, m = 0;
    double *t = read_num(g, "/results/union/nearest_time_min", &n);
    double *pop = read_num(g, "/population", &m);
    assert_int_equal(n, m);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(pop[i] > 0)) /* no population: fill */
            continue;
        const double ti = t[i] >= 0 && t[i] <= 45 ? t[i] : 45;
        sum += pop[i] * ti;
    }
    /* float32 rasters: minutes and persons to about 1e-7 each */
    near(sum, obj, 1e-5);
    H5Fclose(g);
    H5Fclose(f);
    free(t);
    free(pop);
}

/* ---- determinism -------------------------------------------------------- */

static void test_threads_identical(void **state)
{
    (void)state;
    char text[4096], o1[512], o2[512];
    scenario_text(text, sizeof text, mclp_extra);
    snprintf(o1, sizeof o1, "%s/t1.h5", tmp_dir);
    snprintf(o2, sizeof o2, "%s/t2.h5", tmp_dir);
    scenario_run_ok("t1", text, o1, 1, NULL);
    scenario_run_ok("t2", text, o2, 2, NULL);
    hid_t a = H5Fopen(o1, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t b = H5Fopen(o2, H5F_ACC_RDONLY, H5P_DEFAULT);
    static const char *const tables[] = {"candidates", "steps", "chosen",
                                         "sweep"};
    static const char *const cols[] = {"candidate",
                                       "id",
                                       "lon",
                                       "lat",
                                       "snap_distance_m",
                                       "capacity",
                                       "cost",
                                       "excluded",
                                       "chosen",
                                       "step",
                                       "added",
                                       "removed",
                                       "gain",
                                       "objective",
                                       "order",
                                       "newly_within_15min",
                                       "newly_within_30min",
                                       "nearest_changed",
                                       "time_saved_min",
                                       "d_mean",
                                       "d_bottom10",
                                       "d_gini",
                                       "no_demand"};
    int compared = 0;
    for (size_t t = 0; t < 4; t++)
        for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
            char path[256];
            snprintf(path, sizeof path, "/selection/new_clinics/%s/%s",
                     tables[t], cols[c]);
            if (H5Lexists(a, path, H5P_DEFAULT) <= 0)
                continue;
            assert_same_dataset(a, b, path, "1 and 2 threads");
            compared++;
        }
    assert_true(compared >= 25);
    static const char *const attrs[] = {"objective", "base_objective", "bound",
                                        "pairs"};
    for (size_t k = 0; k < 4; k++) {
        double va = attr_num(a, "/selection/new_clinics", attrs[k]);
        double vb = attr_num(b, "/selection/new_clinics", attrs[k]);
        assert_memory_equal(&va, &vb, sizeof va);
    }
    size_t n1 = 0, n2 = 0;
    char **i1 = read_str(a, "/selection/new_clinics/chosen/id", &n1);
    char **i2 = read_str(b, "/selection/new_clinics/chosen/id", &n2);
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1; i++)
        assert_string_equal(i1[i], i2[i]);
    free_str(i1, n1);
    free_str(i2, n2);
    H5Fclose(a);
    H5Fclose(b);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_checked_line),
        cmocka_unit_test(test_mclp_objective),
        cmocka_unit_test(test_pmedian_objective),
        cmocka_unit_test(test_threads_identical),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
