/*
 * test_candmaps_e2e.c: candidates at road nodes and the sweep's map layers
 * (issue 10; docs/scenario.md "Site selection", docs/hdf5-layout.md
 * "/selection") on the Comoros demo data, checked against values this test
 * computes on its own (OGR and OSR directly, not accessim's readers):
 *  - road_nodes: every candidate is a vertex of an OSM way of a chosen
 *    class; no vertex of its square (the run's metric_frame, spacing_m)
 *    has a higher degree (segment ends meeting there); its square holds
 *    at least min_population; and every square that has a vertex in the
 *    raster and that population has exactly one candidate;
 *  - the maps, read back through GDAL's netCDF driver: the population
 *    raster's size, geotransform and CRS, nodata -9999; on every populated
 *    cell the candidate painted is the kept candidate of the cell's
 *    square (grid and road nodes), and each layer's value there is that
 *    candidate's row of the sweep table (as float32); nodata elsewhere
 *    (but road nodes' own cells, when their square has no populated one);
 *  - 1 vs 2 threads: the candidates and every map byte-identical;
 *  - an unknown class: the error names the scenario line and lists the
 *    classes the layer has.
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
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <accessim.h>

#define DEMO AM_DEMO_DATA "/comoros"

#define TMP_DIR_TAG "candmaps"
#include "h5_read.h"
#include "tmp_dir.h"

#include "scenario_run.h"

static void scenario_text(char *buf, size_t size, const char *candidates)
{
    snprintf(buf, size,
             DEMO_SCENARIO_HEAD /* lines 1 to 9 */
             "cutoffs_min: [15, 30]\n"
             "selection:\n"
             "  name: s\n"
             "  candidates:\n"
             "    %s\n" /* line 14 */
             "  model: mclp\n"
             "  cutoff_min: 30\n"
             "  p: 2\n"
             "  exact: off\n",
             candidates);
}

/* WGS 84 lon/lat -> the run's metric frame (its PROJ string). */
static OGRCoordinateTransformationH to_frame(const char *frame)
{
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL);
    OGRSpatialReferenceH b = OSRNewSpatialReference(NULL);
    assert_int_equal(OSRSetFromUserInput(a, "EPSG:4326"), OGRERR_NONE);
    assert_int_equal(OSRSetFromUserInput(b, frame), OGRERR_NONE);
    OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH t = OCTNewCoordinateTransformation(a, b);
    assert_non_null(t);
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
    return t;
}

/* ---- the population grid and its squares -------------------------------- */

typedef struct grid {
    int nx, ny;
    double gt[6];
    float *pop;   /* [ny * nx] from the output's /population */
    int64_t *sqy; /* [ny * nx] the square of each populated cell */
    int64_t *sqx;
    uint8_t *edge; /* 1: its centre is within 1 mm of a square's edge */
} grid;

static void grid_load(grid *g, hid_t f, const char *h5, double spacing,
                      OGRCoordinateTransformationH t)
{
    GDALDatasetH ds = GDALOpen(DEMO "/com_ppp_2020_UNadj.tif", GA_ReadOnly);
    assert_non_null(ds);
    g->nx = GDALGetRasterXSize(ds);
    g->ny = GDALGetRasterYSize(ds);
    assert_int_equal(GDALGetGeoTransform(ds, g->gt), CE_None);
    GDALClose(ds);
    (void)h5;
    size_t n = 0;
    double *pop = read_num_opt(f, "/population", &n);
    assert_non_null(pop);
    assert_int_equal(n, (size_t)g->nx * (size_t)g->ny);
    g->pop = malloc(n * sizeof *g->pop);
    g->sqy = malloc(n * sizeof *g->sqy);
    g->sqx = malloc(n * sizeof *g->sqx);
    g->edge = calloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        g->pop[i] = (float)pop[i];
        g->sqy[i] = g->sqx[i] = INT64_MIN;
        if (!(pop[i] > 0))
            continue;
        const int r = (int)(i / (size_t)g->nx), c = (int)(i % (size_t)g->nx);
        double x = g->gt[0] + (c + 0.5) * g->gt[1];
        double y = g->gt[3] + (r + 0.5) * g->gt[5];
        assert_true(OCTTransform(t, 1, &x, &y, NULL));
        g->sqy[i] = (int64_t)floor(y / spacing);
        g->sqx[i] = (int64_t)floor(x / spacing);
        const double ex = fabs(x / spacing - round(x / spacing)) * spacing;
        const double ey = fabs(y / spacing - round(y / spacing)) * spacing;
        g->edge[i] = ex < 1e-3 || ey < 1e-3;
    }
    free(pop);
}

static void grid_free(grid *g)
{
    free(g->pop);
    free(g->sqy);
    free(g->sqx);
    free(g->edge);
}

/* ---- the OSM vertices of the classes, read with OGR --------------------- */

typedef struct vtx {
    double lon, lat;
    int ends;
} vtx;

static int cmp_vtx(const void *a, const void *b)
{
    const vtx *p = a, *q = b;
    if (p->lon != q->lon)
        return p->lon < q->lon ? -1 : 1;
    return (p->lat > q->lat) - (p->lat < q->lat);
}

static int wanted(const char *hw)
{
    return hw != NULL &&
           (strcmp(hw, "primary") == 0 || strcmp(hw, "secondary") == 0 ||
            strcmp(hw, "tertiary") == 0);
}

/* Merged vertices (degree = ends summed at one position), sorted. */
static vtx *osm_vertices(size_t *n_out)
{
    GDALDatasetH ds = GDALOpenEx(DEMO "/comores-latest.osm.pbf", GDAL_OF_VECTOR,
                                 NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lines = GDALDatasetGetLayerByName(ds, "lines");
    assert_non_null(lines);
    const int fh = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lines), "highway");
    assert_true(fh >= 0);
    size_t n = 0, cap = 1 << 16;
    vtx *v = malloc(cap * sizeof *v);
    OGRFeatureH f;
    OGRLayerH from = NULL;
    while ((f = GDALDatasetGetNextFeature(ds, &from, NULL, NULL, NULL)) !=
           NULL) {
        if (from == lines && wanted(OGR_F_GetFieldAsString(f, fh))) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            const int np = g != NULL ? OGR_G_GetPointCount(g) : 0;
            for (int i = 0; np >= 2 && i < np; i++) {
                if (n == cap)
                    v = realloc(v, (cap *= 2) * sizeof *v);
                v[n++] = (vtx){OGR_G_GetX(g, i), OGR_G_GetY(g, i),
                               i == 0 || i == np - 1 ? 1 : 2};
            }
        }
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    qsort(v, n, sizeof *v, cmp_vtx);
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int ends = 0;
        while (j < n && v[j].lon == v[i].lon && v[j].lat == v[i].lat)
            ends += v[j++].ends;
        v[m++] = (vtx){v[i].lon, v[i].lat, ends};
        i = j;
    }
    *n_out = m;
    return v;
}

/* ---- the candidates' squares from their ids ----------------------------- */

typedef struct cand {
    size_t n;
    char **id;
    double *lon, *lat, *excluded;
    int64_t *sqy, *sqx;
} cand;

static void cand_load(cand *c, hid_t f, const char *prefix)
{
    size_t n = 0;
    c->id = read_str(f, "/selection/s/candidates/id", &c->n);
    c->lon = read_num_opt(f, "/selection/s/candidates/lon", &n);
    c->lat = read_num_opt(f, "/selection/s/candidates/lat", &n);
    c->excluded = read_num_opt(f, "/selection/s/candidates/excluded", &n);
    assert_int_equal(n, c->n);
    c->sqy = malloc(c->n * sizeof *c->sqy);
    c->sqx = malloc(c->n * sizeof *c->sqx);
    char fmt[32];
    snprintf(fmt, sizeof fmt, "%s_%%lld_%%lld", prefix);
    for (size_t j = 0; j < c->n; j++) {
        long long a = 0, b = 0;
        if (sscanf(c->id[j], fmt, &a, &b) != 2)
            fail_msg("candidate id '%s' is not %s_<row>_<col>", c->id[j],
                     prefix);
        c->sqy[j] = a;
        c->sqx[j] = b;
        for (size_t k = 0; k < j; k++)
            if (c->sqy[k] == a && c->sqx[k] == b)
                fail_msg("two candidates in square %lld %lld", a, b);
    }
}

static void cand_free(cand *c)
{
    free_str(c->id, c->n);
    free(c->lon);
    free(c->lat);
    free(c->excluded);
    free(c->sqy);
    free(c->sqx);
}

static long cand_of_square(const cand *c, int64_t y, int64_t x)
{
    for (size_t j = 0; j < c->n; j++)
        if (c->sqy[j] == y && c->sqx[j] == x)
            return (long)j;
    return -1;
}

/* ---- the maps, through GDAL --------------------------------------------- */

/* A map raster through GDAL's netCDF driver: checks its georeferencing
 * against the population raster's and returns its values [ny * nx]. */
static double *gdal_map(const char *h5, const char *name, const grid *g)
{
    char dsn[1024];
    snprintf(dsn, sizeof dsn, "NETCDF:\"%s\":/selection/s/maps/%s", h5, name);
    GDALDatasetH ds = GDALOpen(dsn, GA_ReadOnly);
    if (ds == NULL)
        fail_msg("GDAL cannot open %s", dsn);
    assert_int_equal(GDALGetRasterXSize(ds), g->nx);
    assert_int_equal(GDALGetRasterYSize(ds), g->ny);
    double gt[6];
    assert_int_equal(GDALGetGeoTransform(ds, gt), CE_None);
    for (int k = 0; k < 6; k++)
        if (fabs(gt[k] - g->gt[k]) > 1e-9 * fmax(1.0, fabs(g->gt[k])))
            fail_msg("%s: geotransform[%d] %.17g, population's %.17g", name, k,
                     gt[k], g->gt[k]);
    OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
    assert_non_null(srs);
    const char *auth = OSRGetAuthorityCode(srs, NULL);
    assert_non_null(auth);
    assert_string_equal(auth, "4326");
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int has = 0;
    const double nodata = GDALGetRasterNoDataValue(b, &has);
    assert_true(has);
    assert_true(nodata == -9999.0 ||
                (strcmp(name, "candidate") == 0 && nodata == -2.0));
    const size_t n = (size_t)g->nx * (size_t)g->ny;
    double *v = malloc(n * sizeof *v);
    assert_int_equal(GDALRasterIO(b, GF_Read, 0, 0, g->nx, g->ny, v, g->nx,
                                  g->ny, GDT_Float64, 0, 0),
                     CE_None);
    GDALClose(ds);
    return v;
}

/*
 * Every populated cell: the candidate painted is the kept candidate of
 * its square, or nodata; each layer's value there is that candidate's
 * sweep row. Cells not populated: nodata, but (allow_own) a kept
 * candidate's own cell. Returns the cells painted.
 */
static size_t check_maps(const char *h5, hid_t f, const grid *g, const cand *c,
                         int allow_own)
{
    size_t ns = 0;
    double *srow = read_num_opt(f, "/selection/s/sweep/candidate", &ns);
    assert_non_null(srow);
    long *row_of = malloc(c->n * sizeof *row_of);
    for (size_t j = 0; j < c->n; j++)
        row_of[j] = -1;
    for (size_t r = 0; r < ns; r++)
        row_of[(size_t)srow[r]] = (long)r;
    double *cm = gdal_map(h5, "candidate", g);
    const size_t n = (size_t)g->nx * (size_t)g->ny;
    size_t painted = 0, edge_skipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(g->pop[i] > 0)) {
            if (cm[i] != -2) {
                assert_true(allow_own);
                const size_t j = (size_t)cm[i];
                assert_true(row_of[j] >= 0);
                const int col = (int)floor((c->lon[j] - g->gt[0]) / g->gt[1]);
                const int row = (int)floor((c->lat[j] - g->gt[3]) / g->gt[5]);
                assert_int_equal((size_t)row * (size_t)g->nx + (size_t)col, i);
                painted++;
            }
            continue;
        }
        const long j = cand_of_square(c, g->sqy[i], g->sqx[i]);
        const long want = j >= 0 && row_of[j] >= 0 ? j : -2;
        if ((long)cm[i] != want) {
            if (g->edge[i]) {
                edge_skipped++;
                continue;
            }
            if (allow_own && want == -2 && cm[i] >= 0)
                continue; /* a road node's own cell, checked below */
            fail_msg("cell %zu: candidate %ld painted, %ld expected", i,
                     (long)cm[i], want);
        }
        painted += cm[i] >= 0;
    }
    assert_true(painted > 0);
    assert_true(edge_skipped < 10);
    static const char *const layers[] = {"newly_within_15min",
                                         "newly_within_30min",
                                         "nearest_changed",
                                         "time_saved_min",
                                         "d_mean",
                                         "d_bottom10",
                                         "d_gini"};
    for (size_t k = 0; k < sizeof layers / sizeof *layers; k++) {
        char col[128];
        size_t nv = 0;
        snprintf(col, sizeof col, "/selection/s/sweep/%s", layers[k]);
        double *sv = read_num_opt(f, col, &nv);
        assert_non_null(sv);
        assert_int_equal(nv, ns);
        double *mv = gdal_map(h5, layers[k], g);
        for (size_t i = 0; i < n; i++) {
            if (cm[i] < 0) {
                assert_true(mv[i] == -9999.0);
                continue;
            }
            const double want = (float)sv[row_of[(size_t)cm[i]]];
            if (mv[i] != want)
                fail_msg("%s at cell %zu: %.9g, the sweep's %.9g", layers[k], i,
                         mv[i], want);
        }
        free(sv);
        free(mv);
    }
    free(srow);
    free(row_of);
    free(cm);
    return painted;
}

/* ---- road nodes -----------------------------------------------------------
 */

static void test_road_nodes(void **state)
{
    (void)state;
    const double spacing = 3000.0, minpop = 100.0;
    char text[4096], out[512], out1[512];
    scenario_text(text, sizeof text,
                  "road_nodes: {classes: [primary, secondary, tertiary], "
                  "spacing_m: 3000, min_population: 100}");
    snprintf(out, sizeof out, "%s/rn2.h5", tmp_dir);
    snprintf(out1, sizeof out1, "%s/rn1.h5", tmp_dir);
    scenario_run_ok("rn2", text, out, 2, NULL);
    scenario_run_ok("rn1", text, out1, 1, NULL);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    char *frame = attr_str(f, "/", "metric_frame");
    OGRCoordinateTransformationH t = to_frame(frame);
    grid g;
    grid_load(&g, f, out, spacing, t);
    cand c;
    cand_load(&c, f, "road");
    assert_true(c.n >= 20);

    /* each vertex's square (in the raster only: nodes outside it are
       dropped before the squares are chosen) */
    size_t nv = 0;
    vtx *v = osm_vertices(&nv);
    assert_true(nv > c.n);
    int64_t *vsy = malloc(nv * sizeof *vsy), *vsx = malloc(nv * sizeof *vsx);
    uint8_t *vin = malloc(nv);
    for (size_t k = 0; k < nv; k++) {
        const double col = floor((v[k].lon - g.gt[0]) / g.gt[1]);
        const double row = floor((v[k].lat - g.gt[3]) / g.gt[5]);
        vin[k] = col >= 0 && col < g.nx && row >= 0 && row < g.ny;
        double x = v[k].lon, y = v[k].lat;
        assert_true(OCTTransform(t, 1, &x, &y, NULL));
        vsy[k] = (int64_t)floor(y / spacing);
        vsx[k] = (int64_t)floor(x / spacing);
    }
    /* each candidate is a vertex of the classes, the top degree of its
       square */
    for (size_t j = 0; j < c.n; j++) {
        vtx key = {c.lon[j], c.lat[j], 0};
        vtx *hit = bsearch(&key, v, nv, sizeof *v, cmp_vtx);
        if (hit == NULL)
            fail_msg("candidate %s (%.9f, %.9f) is no vertex of the classes",
                     c.id[j], c.lon[j], c.lat[j]);
        const size_t h = (size_t)(hit - v);
        assert_true(vin[h]);
        assert_true(vsy[h] == c.sqy[j] && vsx[h] == c.sqx[j]);
        for (size_t k = 0; k < nv; k++)
            if (vin[k] && vsy[k] == c.sqy[j] && vsx[k] == c.sqx[j] &&
                v[k].ends > hit->ends)
                fail_msg("candidate %s has degree %d, a vertex of its "
                         "square %d",
                         c.id[j], hit->ends, v[k].ends);
    }
    /* every square with a vertex in the raster and min_population has its
       candidate, and no other square has one */
    const size_t ncell = (size_t)g.nx * (size_t)g.ny;
    size_t squares = 0;
    for (size_t k = 0; k < nv; k++) {
        int seen = !vin[k];
        for (size_t q = 0; q < k && !seen; q++)
            seen = vin[q] && vsy[q] == vsy[k] && vsx[q] == vsx[k];
        if (seen)
            continue;
        double pop = 0.0;
        for (size_t i = 0; i < ncell; i++)
            if (g.sqy[i] == vsy[k] && g.sqx[i] == vsx[k])
                pop += g.pop[i];
        const long j = cand_of_square(&c, vsy[k], vsx[k]);
        if (pop >= minpop * (1 + 1e-6)) {
            if (j < 0)
                fail_msg("square %lld %lld holds %.1f persons and a road "
                         "node, but no candidate",
                         (long long)vsy[k], (long long)vsx[k], pop);
            squares++;
        } else if (pop < minpop * (1 - 1e-6) && j >= 0) {
            fail_msg("candidate %s: its square holds %.1f persons", c.id[j],
                     pop);
        }
    }
    assert_true(squares <= c.n && squares + 2 >= c.n);
    free(v);
    free(vsy);
    free(vsx);
    free(vin);

    /* the maps */
    size_t painted = check_maps(out, f, &g, &c, 1);
    print_message("road nodes: %zu candidates, %zu cells painted\n", c.n,
                  painted);

    /* 1 vs 2 threads: the candidates and the maps, byte for byte */
    hid_t f1 = H5Fopen(out1, H5F_ACC_RDONLY, H5P_DEFAULT);
    static const char *const paths[] = {
        "candidates/lon",      "candidates/lat", "candidates/excluded",
        "chosen/candidate",    "maps/candidate", "maps/newly_within_30min",
        "maps/time_saved_min", "maps/d_gini",    "maps/nearest_changed",
        "maps/d_mean"};
    for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
        char p[128];
        snprintf(p, sizeof p, "/selection/s/%s", paths[k]);
        assert_same_dataset(f, f1, p, "1 and 2 threads");
    }
    H5Fclose(f1);
    cand_free(&c);
    grid_free(&g);
    OCTDestroyCoordinateTransformation(t);
    free(frame);
    H5Fclose(f);
}

/* ---- grid candidates' maps ------------------------------------------------
 */

static void test_grid_maps(void **state)
{
    (void)state;
    char text[4096], out[512];
    scenario_text(text, sizeof text,
                  "grid: {spacing_m: 4000, min_population: 200}\n"
                  "    exclude_within_min: 5");
    snprintf(out, sizeof out, "%s/grid.h5", tmp_dir);
    scenario_run_ok("grid", text, out, 2, NULL);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    char *frame = attr_str(f, "/", "metric_frame");
    OGRCoordinateTransformationH t = to_frame(frame);
    grid g;
    grid_load(&g, f, out, 4000.0, t);
    cand c;
    cand_load(&c, f, "grid");
    size_t excluded = 0;
    for (size_t j = 0; j < c.n; j++)
        excluded += c.excluded[j] != 0;
    assert_true(excluded > 0); /* their squares must stay nodata */
    size_t painted = check_maps(out, f, &g, &c, 0);
    print_message("grid: %zu candidates (%zu excluded), %zu cells painted\n",
                  c.n, excluded, painted);
    cand_free(&c);
    grid_free(&g);
    OCTDestroyCoordinateTransformation(t);
    free(frame);
    H5Fclose(f);
}

/* ---- errors -----------------------------------------------------------------
 */

static void test_unknown_class(void **state)
{
    (void)state;
    char text[4096], out[512];
    scenario_text(text, sizeof text,
                  "road_nodes: {classes: [primary, primay], spacing_m: 2000}");
    snprintf(out, sizeof out, "%s/bad.h5", tmp_dir);
    am_error e;
    assert_int_not_equal(scenario_run("bad", text, out, 2, 0, NULL, &e), AM_OK);
    assert_int_equal(e.line, 14); /* the candidates' source */
    assert_non_null(strstr(e.file, "bad.yaml"));
    assert_non_null(strstr(e.msg, "'primay'"));
    assert_non_null(strstr(e.msg, "residential")); /* the classes there */
    assert_non_null(strstr(e.msg, "comores-latest.osm.pbf"));
}

/* the scenario's keys: one class as a scalar, the spacing and population */
static void test_parse(void **state)
{
    (void)state;
    char text[4096], path[512];
    scenario_text(text, sizeof text,
                  "road_nodes: {classes: primary, spacing_m: 2500, "
                  "min_population: 5}");
    snprintf(path, sizeof path, "%s/parse.yaml", tmp_dir);
    write_text(path, text);
    am_scenario *s = NULL;
    am_error e;
    am_error_clear(&e);
    if (am_scenario_read_file(path, &s, &e) != AM_OK)
        fail_msg("line %ld: %s", e.line, e.msg);
    const am_selection_spec *sel = s->selection;
    assert_non_null(sel);
    assert_int_equal(sel->source, AM_CANDIDATES_ROAD_NODES);
    assert_int_equal(sel->n_road_classes, 1);
    assert_string_equal(sel->road_classes[0], "primary");
    assert_true(sel->spacing_m == 2500);
    assert_true(sel->min_population == 5);
    assert_int_equal(sel->line_candidates, 14);
    am_scenario_destroy(s);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_road_nodes),
        cmocka_unit_test(test_grid_maps),
        cmocka_unit_test(test_unknown_class),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
