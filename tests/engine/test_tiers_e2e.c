/*
 * test_tiers_e2e.c: facility tiers through the engine (issue 9;
 * docs/scenario.md "Facility tiers"):
 *  - referral times on a 3 x 3 grid written here, a one-way ring with
 *    two-way spokes (so that up and back differ), against a serial oracle:
 *    plain Dijkstra over the test's own arc list, up from every lower
 *    facility to the nearest higher one (ties: the lowest row) and back;
 *  - the combined indicator cell by cell against the sets' nearest times,
 *    and its cross-tabulation summing to the population; per-set cutoffs
 *    (coverage tables) and measures (datasets present or not);
 *  - same place: a hospital in a clinic's building is 0 min from it (it
 *    lost to one 600 m away through the network), and a clinic across
 *    the road, at the same foot, is not joined to it for free;
 *  - the Comoros tiers demo end to end: a row per lower facility, times
 *    >= 0 or -1 with the higher row agreeing, the cross-tabulation's sum,
 *    and every referral and combined array byte-identical for 1, 2, 3 and
 *    8 threads (thread_counts.h; the whole run, graph build included).
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
#include <unistd.h>

#include <gdal.h>
#include <hdf5.h>
#include <ogr_srs_api.h>

#include <accessim.h>

#define DEMO AM_DEMO_DATA "/comoros"

#define TMP_DIR_TAG "tiers"
#include "h5_read.h"
#include "thread_counts.h"
#include "tmp_dir.h"

/* Runs text as the scenario file base/tiers.yaml. */
static void run_scenario(const char *text, const char *base, const char *out,
                         int threads)
{
    am_scenario *s = NULL;
    am_run_summary *sum = NULL;
    am_error e;
    am_error_clear(&e);
    char path[512];
    snprintf(path, sizeof path, "%s/tiers.yaml", base);
    write_text(path, text);
    if (am_scenario_read_file(path, &s, &e) != AM_OK)
        fail_msg("line %ld: %s", e.line, e.msg);
    am_run_options opt = am_run_options_default();
    opt.output_path = out;
    opt.threads = threads;
    opt.no_cache = 1;
    if (am_run(s, &opt, &sum, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    /* the summary's referral lines agree with the pairs */
    assert_true(sum->n_referrals >= 1);
    am_run_summary_destroy(sum);
    am_scenario_destroy(s);
}

/* ---- the grid ----------------------------------------------------------- */

/* Vertices v = 3 r + c at (0.005 + 0.01 c, 0.005 + 0.01 r). */
#define NV 9
static const int ring[8][3] = {{0, 1, 2}, {1, 2, 3}, {2, 5, 4}, {5, 8, 2},
                               {8, 7, 3}, {7, 6, 5}, {6, 3, 2}, {3, 0, 4}};
static const int spoke[4][3] = {{1, 4, 7}, {3, 4, 6}, {5, 4, 9}, {7, 4, 8}};

static double vx(int v)
{
    return 0.005 + 0.01 * (v % 3);
}
static double vy(int v)
{
    return 0.005 + 0.01 * (v / 3);
}

/* Minutes between all vertex pairs, plain Dijkstra (the O(n^2) form) on
 * the arcs: the ring one way, the spokes both ways. */
static void oracle(double d[NV][NV])
{
    double w[NV][NV];
    for (int a = 0; a < NV; a++)
        for (int b = 0; b < NV; b++)
            w[a][b] = a == b ? 0 : INFINITY;
    for (int k = 0; k < 8; k++)
        w[ring[k][0]][ring[k][1]] = ring[k][2];
    for (int k = 0; k < 4; k++)
        w[spoke[k][0]][spoke[k][1]] = w[spoke[k][1]][spoke[k][0]] = spoke[k][2];
    for (int src = 0; src < NV; src++) {
        int done[NV] = {0};
        for (int v = 0; v < NV; v++)
            d[src][v] = INFINITY;
        d[src][src] = 0;
        for (;;) {
            int u = -1;
            for (int v = 0; v < NV; v++)
                if (!done[v] && isfinite(d[src][v]) &&
                    (u < 0 || d[src][v] < d[src][u]))
                    u = v;
            if (u < 0)
                break;
            done[u] = 1;
            for (int v = 0; v < NV; v++)
                if (d[src][u] + w[u][v] < d[src][v])
                    d[src][v] = d[src][u] + w[u][v];
        }
    }
}

static void write_pop(double top);

static void write_points(const char *name, int n, const int *v)
{
    char path[512], text[4096];
    size_t k = (size_t)snprintf(text, sizeof text,
                                "{\"type\": \"FeatureCollection\", "
                                "\"features\": [\n");
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(text + k, sizeof text - k,
                              "%s{\"type\": \"Feature\", \"properties\": "
                              "{\"name\": \"%s%d\"}, \"geometry\": {\"type\": "
                              "\"Point\", \"coordinates\": [%.3f, %.3f]}}\n",
                              i ? "," : "", name, v[i], vx(v[i]), vy(v[i]));
    snprintf(text + k, sizeof text - k, "]}\n");
    snprintf(path, sizeof path, "%s/%s.geojson", tmp_dir, name);
    write_text(path, text);
}

static const int low_v[3] = {0, 4, 8}, mid_v[2] = {2, 6}, high_v[2] = {5, 7};

static void write_grid(void)
{
    char path[512], text[8192];
    size_t k = (size_t)snprintf(text, sizeof text,
                                "{\"type\": \"FeatureCollection\", "
                                "\"features\": [\n");
    for (int e = 0; e < 12; e++) {
        const int *r = e < 8 ? ring[e] : spoke[e - 8];
        k += (size_t)snprintf(
            text + k, sizeof text - k,
            "%s{\"type\": \"Feature\", \"properties\": {\"minutes\": %d, "
            "\"dir\": \"%s\"}, \"geometry\": {\"type\": \"LineString\", "
            "\"coordinates\": [[%.3f, %.3f], [%.3f, %.3f]]}}\n",
            e ? "," : "", r[2], e < 8 ? "forward" : "both", vx(r[0]), vy(r[0]),
            vx(r[1]), vy(r[1]));
    }
    snprintf(text + k, sizeof text - k, "]}\n");
    snprintf(path, sizeof path, "%s/roads.geojson", tmp_dir);
    write_text(path, text);
    write_points("low", 3, low_v);
    write_points("mid", 2, mid_v);
    write_points("high", 2, high_v);
    /* 3 x 3 cells of 0.01 degree, one per vertex, 10 people each */
    write_pop(0.03);
}

/* pop.tif: 3 x 3 cells of 0.01 degree from lon 0 and lat top down, 10
 * people each. */
static void write_pop(double top)
{
    char path[512];
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    snprintf(path, sizeof path, "%s/pop.tif", tmp_dir);
    GDALDatasetH ds = GDALCreate(drv, path, 3, 3, 1, GDT_Float32, NULL);
    assert_non_null(ds);
    double gt[6] = {0.0, 0.01, 0, top, 0, -0.01};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    GDALSetSpatialRef(ds, srs);
    OSRDestroySpatialReference(srs);
    float v[9];
    for (int i = 0; i < 9; i++)
        v[i] = 10.0f;
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, 3,
                                  3, v, 3, 3, GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(ds);
}

#define GRID_HEAD                                                              \
    "roads:\n"                                                                 \
    "  path: roads.geojson\n"                                                  \
    "  time_field: minutes\n"                                                  \
    "  time_unit: minutes\n"                                                   \
    "  oneway_field: dir\n"                                                    \
    "  oneway_values: {forward: [forward], both: [both]}\n"                    \
    "population: {path: pop.tif}\n"                                            \
    "snap: {max_distance_m: 2000, components: all}\n"                          \
    "facilities:\n"
#define GRID_LOW                                                               \
    "  - {name: low, path: low.geojson, tier: 1, cutoffs_min: [5, 10],\n"      \
    "     measures: [near]}\n"
#define GRID_MID "  - {name: mid, path: mid.geojson, tier: 2}\n"
#define GRID_HIGH                                                              \
    "  - {name: high, path: high.geojson, tier: 3, cutoffs_min: [10, 20]}\n"
#define GRID_TAIL                                                              \
    "cutoffs_min: [10, 30]\n"                                                  \
    "measures:\n"                                                              \
    "  - {name: near, type: 2sfca, threshold_min: 10}\n"                       \
    "  - {name: far, type: cumulative, threshold_min: 30}\n"                   \
    "combined:\n"                                                              \
    "  - name: low5_high10\n"                                                  \
    "    within: {low: 5, high: 10}\n"                                         \
    "equity: {csv: eq.csv}\n"
static const char grid_yaml[] = GRID_HEAD GRID_LOW GRID_MID GRID_HIGH GRID_TAIL;
/* the same sets listed the other way round (the equity CSV's header
   must not change) */
static const char grid_yaml_reversed[] =
    GRID_HEAD GRID_HIGH GRID_MID GRID_LOW GRID_TAIL;

/* The referral table lower__higher against the oracle; returns 1 when
 * some row's way back differs from its way up. */
static int check_pair(hid_t f, const char *lo, const int *lv, int nl,
                      const char *hi, const int *hv, int nh, double d[NV][NV])
{
    char path[256];
    size_t n;
    int differs = 0;
    snprintf(path, sizeof path, "/referrals/%s__%s/higher_facility", lo, hi);
    double *to = read_num(f, path, &n);
    assert_int_equal(n, (size_t)nl);
    snprintf(path, sizeof path, "/referrals/%s__%s/time_up_min", lo, hi);
    double *up = read_num(f, path, &n);
    snprintf(path, sizeof path, "/referrals/%s__%s/time_back_min", lo, hi);
    double *back = read_num(f, path, &n);
    for (int i = 0; i < nl; i++) {
        int best = -1;
        for (int j = 0; j < nh; j++)
            if (best < 0 || d[lv[i]][hv[j]] < d[lv[i]][hv[best]])
                best = j;
        assert_int_equal((int)to[i], best);
        assert_true(fabs(up[i] - d[lv[i]][hv[best]]) < 0.02);
        assert_true(fabs(back[i] - d[hv[best]][lv[i]]) < 0.02);
        differs |= fabs(up[i] - back[i]) > 0.5;
    }
    free(to);
    free(up);
    free(back);
    return differs;
}

/* The column of name in a CSV header line (no quoting), -1: none. */
static int csv_col(const char *header, const char *name)
{
    int k = 0;
    size_t n = strlen(name);
    for (const char *p = header;; k++) {
        const char *e = strpbrk(p, ",\n");
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return k;
        if (e == NULL || *e == '\n')
            return -1;
        p = e + 1;
    }
}

/* Field k of a CSV line (no quoting) into buf. */
static void csv_field(const char *line, int k, char *buf, size_t n)
{
    const char *p = line;
    for (int i = 0; i < k && p != NULL; i++)
        if ((p = strchr(p, ',')) != NULL)
            p++;
    assert_non_null(p);
    size_t len = strcspn(p, ",\n");
    snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), p);
}

/* equity.csv with sets of different cutoffs and measures: the header is
 * the union of their columns, and a set's row leaves the others empty. */
/* The equity CSV's header line (without its newline) into buf. */
static void csv_header(char *buf, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/eq.csv", tmp_dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, (int)n, fp));
    fclose(fp);
    buf[strcspn(buf, "\n")] = '\0';
}

/*
 * The equity CSV of the grid: one header for the three sets, whose
 * cutoffs ([5, 10], [10, 30], [10, 20]) and measures (near; near and far)
 * differ, in one order (docs/equity.md): the zone's columns, the nearest
 * time's block, beyond_<C>min for every cutoff ascending, then each
 * measure in the scenario's order, its block whole; a row leaves what
 * its set lacks empty.
 */
static void check_equity_csv(void)
{
    char path[512], line[3][8192], v[64];
    snprintf(path, sizeof path, "%s/eq.csv", tmp_dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    for (int i = 0; i < 3; i++) /* header, low's and mid's overall rows */
        assert_non_null(fgets(line[i], sizeof line[i], fp));
    fclose(fp);
    const int near = csv_col(line[0], "near_mean");
    const int far = csv_col(line[0], "far_mean");
    const int b5 = csv_col(line[0], "beyond_5min");
    const int b30 = csv_col(line[0], "beyond_30min");
    assert_true(near > 0 && far > 0 && b5 > 0 && b30 > 0);
    assert_int_equal(csv_col(line[0], "nosuch"), -1);
    /* the order */
    const int b10 = csv_col(line[0], "beyond_10min");
    const int b20 = csv_col(line[0], "beyond_20min");
    assert_int_equal(csv_col(line[0], "set"), 0);
    assert_int_equal(csv_col(line[0], "population"), 6);
    assert_int_equal(csv_col(line[0], "nearest_time_min_mean"), 7);
    assert_int_equal(csv_col(line[0], "nearest_time_min_theil") + 1, b5);
    assert_true(b5 + 1 == b10 && b10 + 1 == b20 && b20 + 1 == b30);
    assert_int_equal(b30 + 1, near);
    assert_int_equal(csv_col(line[0], "near_theil") + 1, far);
    assert_true(csv_col(line[0], "far_theil") > far);
    csv_field(line[1], 0, v, sizeof v);
    assert_string_equal(v, "low");
    csv_field(line[1], far, v, sizeof v); /* low computes no far */
    assert_string_equal(v, "");
    csv_field(line[1], b30, v, sizeof v); /* nor has a 30 min cutoff */
    assert_string_equal(v, "");
    csv_field(line[1], b5, v, sizeof v);
    assert_true(v[0] != '\0');
    csv_field(line[2], 0, v, sizeof v);
    assert_string_equal(v, "mid");
    csv_field(line[2], far, v, sizeof v);
    assert_true(v[0] != '\0');
    csv_field(line[2], b5, v, sizeof v);
    assert_string_equal(v, "");
}

static void test_grid(void **state)
{
    (void)state;
    char out[512];
    double d[NV][NV];
    write_grid();
    oracle(d);
    snprintf(out, sizeof out, "%s/grid.h5", tmp_dir);
    run_scenario(grid_yaml, tmp_dir, out, 2);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    int differs = 0;
    differs |= check_pair(f, "low", low_v, 3, "mid", mid_v, 2, d);
    differs |= check_pair(f, "low", low_v, 3, "high", high_v, 2, d);
    differs |= check_pair(f, "mid", mid_v, 2, "high", high_v, 2, d);
    assert_true(differs); /* the one-way ring: up and back differ */
    size_t n;
    assert_null(read_num_opt(f, "/referrals/high__low/time_up_min", &n));
    /* per-set cutoffs and measures */
    double *cut = read_num(f, "/results/low/coverage/cutoff_min", &n);
    assert_int_equal(n, 2);
    assert_true(cut[0] == 5 && cut[1] == 10);
    free(cut);
    cut = read_num(f, "/results/mid/coverage/cutoff_min", &n);
    assert_true(n == 2 && cut[0] == 10 && cut[1] == 30);
    free(cut);
    double *x = read_num_opt(f, "/results/low/far", &n);
    assert_null(x);
    x = read_num(f, "/results/low/near", &n);
    free(x);
    x = read_num(f, "/results/high/far", &n);
    free(x);
    /* combined: 1 exactly where both nearest times are within */
    double *cv = read_num(f, "/combined/low5_high10", &n);
    double *tl = read_num(f, "/results/low/nearest_time_min", &n);
    double *th = read_num(f, "/results/high/nearest_time_min", &n);
    double *pop = read_num(f, "/population", &n);
    int ones = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(pop[i] > 0)) {
            assert_true(cv[i] == -2);
            continue;
        }
        const int want = tl[i] >= 0 && tl[i] <= 5 && th[i] >= 0 && th[i] <= 10;
        assert_int_equal((int)cv[i], want);
        ones += want;
    }
    assert_true(ones > 0 && ones < 9); /* the test tells the two apart */
    double *cp = read_num(f, "/combined/crosstab/low5_high10/population", &n);
    assert_int_equal(n, 4);
    double *c0 = read_num(f, "/combined/crosstab/low5_high10/low", &n);
    double *c1 = read_num(f, "/combined/crosstab/low5_high10/high", &n);
    double sum = 0;
    for (int r = 0; r < 4; r++) {
        sum += cp[r];
        assert_true(c0[r] == (r & 1) && c1[r] == ((r >> 1) & 1));
    }
    assert_true(fabs(sum - 90.0) < 1e-9);
    assert_true(fabs(cp[3] - 10.0 * ones) < 1e-9);
    free(cp);
    free(c0);
    free(c1);
    free(cv);
    free(tl);
    free(th);
    free(pop);
    H5Fclose(f);
    check_equity_csv();
    /* the sets the other way round: rows in their new order, the same
       header */
    char header[8192], header2[8192];
    csv_header(header, sizeof header);
    snprintf(out, sizeof out, "%s/grid_reversed.h5", tmp_dir);
    run_scenario(grid_yaml_reversed, tmp_dir, out, 1);
    csv_header(header2, sizeof header2);
    assert_string_equal(header, header2);
}

/* ---- same place ---------------------------------------------------------- */

/*
 * A two-way road of 2 min from (0, 0) to (0.01, 0), about 1.1 km. Clinic
 * c0 stands 0.002 degree (about 221 m) north of the road's middle; c1
 * the same distance south, across the road: both meet it at the same
 * foot. Hospital h0 is at the road's east end (node B, about 600 m from
 * c0); h1 is in c0's building (the same point). Through the network c0
 * -> h1 is walk + 1 min to a node + 1 min back + walk (about 7.3 min) and
 * c0 -> h0 walk + 1 min (about 3.7 min): h0 used to win. Compared by
 * place first, h1 is 0 min away both ways. c1 shares the place but is
 * about 442 m (5.3 min) from h1 on foot: h0, through the network, stays
 * its nearest (kernels/referral.h).
 */
static void test_same_place(void **state)
{
    (void)state;
    char path[512], out[512];
    snprintf(path, sizeof path, "%s/road.geojson", tmp_dir);
    write_text(path, "{\"type\": \"FeatureCollection\", \"features\": [\n"
                     "{\"type\": \"Feature\", \"properties\": {\"minutes\": "
                     "2}, \"geometry\": {\"type\": \"LineString\", "
                     "\"coordinates\": [[0, 0], [0.01, 0]]}}]}\n");
    const char *pt = "{\"type\": \"Feature\", \"properties\": {\"name\": "
                     "\"%s\"}, \"geometry\": {\"type\": \"Point\", "
                     "\"coordinates\": [%s]}}";
    char text[2048], a[256], b[256];
    snprintf(a, sizeof a, pt, "c0", "0.005, 0.002");
    snprintf(b, sizeof b, pt, "c1", "0.005, -0.002");
    snprintf(text, sizeof text,
             "{\"type\": \"FeatureCollection\", \"features\": [\n%s,\n%s]}\n",
             a, b);
    snprintf(path, sizeof path, "%s/clinics.geojson", tmp_dir);
    write_text(path, text);
    snprintf(a, sizeof a, pt, "h0", "0.01, 0");
    snprintf(b, sizeof b, pt, "h1", "0.005, 0.002");
    snprintf(text, sizeof text,
             "{\"type\": \"FeatureCollection\", \"features\": [\n%s,\n%s]}\n",
             a, b);
    snprintf(path, sizeof path, "%s/hospitals.geojson", tmp_dir);
    write_text(path, text);
    write_pop(0.015);
    snprintf(out, sizeof out, "%s/place.h5", tmp_dir);
    run_scenario("roads: {path: road.geojson, time_field: minutes, "
                 "time_unit: minutes}\n"
                 "population: {path: pop.tif}\n"
                 "snap: {max_distance_m: 2000, components: all}\n"
                 "facilities:\n"
                 "  - {name: clinics, path: clinics.geojson, tier: 1}\n"
                 "  - {name: hospitals, path: hospitals.geojson, tier: 2}\n",
                 tmp_dir, out, 2);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    size_t n;
    double *to =
        read_num(f, "/referrals/clinics__hospitals/higher_facility", &n);
    assert_int_equal(n, 2);
    double *up = read_num(f, "/referrals/clinics__hospitals/time_up_min", &n);
    double *back =
        read_num(f, "/referrals/clinics__hospitals/time_back_min", &n);
    /* c0: the hospital in its building, 0 min both ways */
    assert_true(to[0] == 1 && up[0] == 0 && back[0] == 0);
    /* c1: walk (about 221 m at 5 km/h, 2.65 min) + 1 min to h0; not the
       5.3 min walk across to h1 */
    const double walk = 0.002 * 111320.0 / (5.0 / 3.6) / 60.0;
    assert_int_equal((int)to[1], 0);
    assert_true(fabs(up[1] - (walk + 1.0)) < 0.05);
    assert_true(fabs(back[1] - (walk + 1.0)) < 0.05);
    free(to);
    free(up);
    free(back);
    H5Fclose(f);
}

/* ---- the Comoros demo ---------------------------------------------------- */

static char *demo_text(const char *csv)
{
    FILE *fp = fopen(DEMO "/comoros_tiers.yaml", "r");
    assert_non_null(fp);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, fp);
    fclose(fp);
    buf[n] = '\0';
    char *at = strstr(buf, "csv: comoros_tiers_referrals.csv");
    assert_non_null(at);
    char tail[65536];
    snprintf(tail, sizeof tail, "%s",
             at + strlen("csv: comoros_tiers_"
                         "referrals.csv"));
    snprintf(at, 65536 - (size_t)(at - buf), "csv: %s%s", csv, tail);
    return buf;
}

static const char *const pairs[3] = {"primary__hospitals", "primary__regional",
                                     "hospitals__regional"};
static const char *const lowers[3] = {"primary", "primary", "hospitals"};
static const char *const cols[3] = {"higher_facility", "time_up_min",
                                    "time_back_min"};

static void test_demo(void **state)
{
    (void)state;
    /* the demo's inputs, linked into the test's folder */
    const char *inputs[3] = {"comores-latest.osm.pbf", "com_ppp_2020_UNadj.tif",
                             "health.gpkg"};
    for (int i = 0; i < 3; i++) {
        char from[512], to[512];
        snprintf(from, sizeof from, "%s/%s", DEMO, inputs[i]);
        snprintf(to, sizeof to, "%s/%s", tmp_dir, inputs[i]);
        assert_int_equal(symlink(from, to), 0);
    }
    enum { NT = AM_TEST_N_THREADS };
    double *ref[NT][3][3]; /* threads, pair, column */
    double *comb[NT], *cross[NT];
    size_t n_ref[3], n_comb = 0, n_cross = 0;
    for (int t = 0; t < NT; t++) {
        const int nt = am_test_threads[t];
        char out[512], csv[512];
        snprintf(out, sizeof out, "%s/demo%d.h5", tmp_dir, nt);
        snprintf(csv, sizeof csv, "%s/ref%d.csv", tmp_dir, nt);
        char *text = demo_text(csv);
        run_scenario(text, tmp_dir, out, nt);
        free(text);
        hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
        assert_true(f >= 0);
        for (int p = 0; p < 3; p++) {
            char path[256];
            size_t n_fac = 0;
            snprintf(path, sizeof path, "/results/%s/facilities/capacity",
                     lowers[p]);
            free(read_num(f, path, &n_fac));
            for (int c = 0; c < 3; c++) {
                snprintf(path, sizeof path, "/referrals/%s/%s", pairs[p],
                         cols[c]);
                ref[t][p][c] = read_num(f, path, &n_ref[p]);
            }
            /* a row per lower facility; times >= 0 with a higher row,
               -1 without */
            assert_int_equal(n_ref[p], n_fac);
            for (size_t i = 0; i < n_fac; i++) {
                const double to = ref[t][p][0][i], up = ref[t][p][1][i];
                const double back = ref[t][p][2][i];
                assert_true((to >= 0 && up >= 0 && (back >= 0 || back == -1)) ||
                            (to == -1 && up == -1 && back == -1));
            }
        }
        comb[t] = read_num(f, "/combined/primary15_regional60", &n_comb);
        cross[t] = read_num(f,
                            "/combined/crosstab/primary15_regional60/"
                            "population",
                            &n_cross);
        assert_int_equal(n_cross, 4);
        double total = 0;
        hid_t a = H5Aopen_by_name(f, "/population", "total", H5P_DEFAULT,
                                  H5P_DEFAULT);
        assert_true(a >= 0);
        assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &total) >= 0);
        H5Aclose(a);
        const double sum =
            cross[t][0] + cross[t][1] + cross[t][2] + cross[t][3];
        assert_true(fabs(sum - total) <= 1e-9 * total);
        /* the regional set computes only 2sfca_60min */
        size_t n;
        assert_null(read_num_opt(f, "/results/regional/2sfca_15min", &n));
        H5Fclose(f);
        /* the CSV: a header and one line per row of every table */
        FILE *fp = fopen(csv, "r");
        assert_non_null(fp);
        int lines = 0, ch;
        while ((ch = fgetc(fp)) != EOF)
            lines += ch == '\n';
        fclose(fp);
        assert_int_equal(lines, 1 + (int)(n_ref[0] + n_ref[1] + n_ref[2]));
    }
    for (int t = 1; t < NT; t++) {
        const int nt = am_test_threads[t];
        for (int p = 0; p < 3; p++)
            for (int c = 0; c < 3; c++)
                assert_same_at_threads(ref[t][p][c], ref[0][p][c],
                                       n_ref[p] * sizeof(double), nt);
        assert_same_at_threads(comb[t], comb[0], n_comb * sizeof(double), nt);
        assert_same_at_threads(cross[t], cross[0], n_cross * sizeof(double),
                               nt);
    }
    for (int t = 0; t < NT; t++) {
        for (int p = 0; p < 3; p++)
            for (int c = 0; c < 3; c++)
                free(ref[t][p][c]);
        free(comb[t]);
        free(cross[t]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_same_place),
        cmocka_unit_test(test_demo),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
