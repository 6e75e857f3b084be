/*
 * test_class_raster.c: inputs/class_raster, a settlement-type raster
 * sampled at the centres of the populated cells (issue 9, urban/rural
 * equity).
 *
 *  - the Comoros degree-of-urbanisation fixture (tests/data/settlement,
 *    1 km cells in UTM 38S) on the demo's WorldPop raster (3" in WGS 84):
 *    every populated cell's class is the one an independent serial oracle
 *    finds (OGR's coordinate transformation of the centre, GDAL's inverse
 *    geotransform, the pixel read with GDALRasterIO); the rows' population
 *    is the sum of their cells' and adds up to the total minus outside;
 *  - without classes: a row per distinct value, in ascending order, the
 *    same cells as the classes;
 *  - a class list that leaves values out: their cells are outside;
 *  - a toy raster (written here, same CRS as the population) with nodata,
 *    NaN and a part the population extends beyond: outside, cell by cell;
 *  - a row wider than one read piece, read in two;
 *  - errors naming the file: missing raster, band out of range, a raster
 *    without CRS, more distinct values than allowed;
 *  - the probe run before the heavy phases (am_class_raster_probe): the
 *    fixture with its classes passes; band, CRS and a missing file fail as
 *    the build does; a class value its Byte band cannot hold (300, 2.5,
 *    -1) or its nodata value (255) is refused, naming class and value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "inputs/class_raster.h"
#include "inputs/population.h"

#define DOU AM_TEST_DATA "/settlement/comoros_dou_32738.tif"
#define POP AM_DEMO_DATA "/comoros/com_ppp_2020_UNadj.tif"

static char tmp_dir[256];

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/accessim-cr-XXXXXX");
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmp_dir, name);
    return path[k];
}

static am_population *load_pop(const char *path)
{
    am_population_options opt;
    memset(&opt, 0, sizeof opt);
    opt.path = path;
    opt.band = 1;
    am_population *p = NULL;
    am_error err;
    assert_int_equal(am_population_load(&opt, NULL, NULL, &p, &err), AM_OK);
    return p;
}

/* GHS-SMOD level-2 codes grouped as urban and rural. */
static const double urban_v[] = {30, 23, 22, 21};
static const double rural_v[] = {13, 12, 11, 10};
static const char *const labels[] = {"urban", "rural"};
static const int n_values[] = {4, 4};
static const double *const values[] = {urban_v, rural_v};

static am_class_raster_options copts(const char *path, int n_classes)
{
    am_class_raster_options o;
    memset(&o, 0, sizeof o);
    o.path = path;
    o.band = 1;
    o.n_classes = n_classes;
    o.labels = labels;
    o.n_values = n_values;
    o.values = values;
    return o;
}

/* The oracle: the raster's value at each populated cell's centre (NaN
 * outside the raster or on nodata), through OGR and GDAL directly. */
static double *oracle_values(const char *raster, const am_population *p)
{
    GDALDatasetH d = GDALOpen(raster, GA_ReadOnly);
    assert_non_null(d);
    GDALRasterBandH b = GDALGetRasterBand(d, 1);
    int has_nd = 0;
    const double nd = GDALGetRasterNoDataValue(b, &has_nd);
    double gt[6], inv[6];
    assert_int_equal(GDALGetGeoTransform(d, gt), CE_None);
    assert_true(GDALInvGeoTransform(gt, inv));
    OGRSpatialReferenceH src = OSRNewSpatialReference(p->crs_wkt);
    OGRSpatialReferenceH dst = OSRClone(GDALGetSpatialRef(d));
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, dst);
    assert_non_null(ct);
    double *v = malloc((size_t)p->n_cells * sizeof *v);
    assert_non_null(v);
    const int nx = GDALGetRasterXSize(d), ny = GDALGetRasterYSize(d);
    for (int32_t i = 0; i < p->n_cells; i++) {
        const int64_t c = p->cell[i];
        double x =
            p->grid.gt[0] + ((double)(c % p->grid.nx) + 0.5) * p->grid.gt[1];
        double y =
            p->grid.gt[3] + ((double)(c / p->grid.nx) + 0.5) * p->grid.gt[5];
        v[i] = NAN;
        if (!OCTTransform(ct, 1, &x, &y, NULL))
            continue;
        double px, py;
        GDALApplyGeoTransform(inv, x, y, &px, &py);
        const int col = (int)floor(px), row = (int)floor(py);
        if (col < 0 || row < 0 || col >= nx || row >= ny)
            continue;
        double val;
        assert_int_equal(GDALRasterIO(b, GF_Read, col, row, 1, 1, &val, 1, 1,
                                      GDT_Float64, 0, 0),
                         CE_None);
        if (!(has_nd && val == nd))
            v[i] = val;
    }
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(dst);
    GDALClose(d);
    return v;
}

static int class_of(double v, int n_classes)
{
    for (int k = 0; k < n_classes; k++)
        for (int j = 0; j < n_values[k]; j++)
            if (values[k][j] == v)
                return k;
    return -1;
}

/* The rows' sums are their cells' sums, and all add up to the total. */
static void check_sums(const am_zone_raster *z, const am_population *p)
{
    double *pop = calloc((size_t)z->n_zones + 1, sizeof *pop);
    int64_t *cells = calloc((size_t)z->n_zones + 1, sizeof *cells);
    assert_true(pop != NULL && cells != NULL);
    for (int32_t i = 0; i < p->n_cells; i++) {
        const int32_t k = z->cell_zone[i];
        assert_true(k >= -1 && k < z->n_zones);
        pop[k + 1] += p->pop[i];
        cells[k + 1]++;
    }
    double total = z->pop_outside;
    assert_int_equal(cells[0], z->n_outside);
    assert_true(pop[0] == z->pop_outside);
    for (int32_t k = 0; k < z->n_zones; k++) {
        assert_int_equal(cells[k + 1], z->zone_cells[k]);
        assert_true(pop[k + 1] == z->zone_pop[k]); /* cell order, exact */
        total += z->zone_pop[k];
    }
    assert_true(fabs(total - p->total) <= 1e-9 * p->total);
    free(pop);
    free(cells);
}

static void test_comoros_classes(void **state)
{
    (void)state;
    am_population *p = load_pop(POP);
    double *ov = oracle_values(DOU, p);
    am_class_raster_options o = copts(DOU, 2);
    am_zone_raster *z = NULL;
    am_error err;
    assert_int_equal(am_class_raster_build(&o, p, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 2);
    assert_string_equal(z->zone_id[0], "urban");
    assert_string_equal(z->zone_id[1], "rural");
    assert_string_equal(z->layer, "band 1");
    assert_true(z->zone_fid[0] == -1 && z->zone_fid[1] == -1);
    int64_t mismatches = 0, in_raster = 0;
    for (int32_t i = 0; i < p->n_cells; i++) {
        const int expect = isnan(ov[i]) ? -1 : class_of(ov[i], 2);
        in_raster += !isnan(ov[i]);
        if (expect != z->cell_zone[i] && mismatches++ < 5)
            print_message("cell %d: class %d, oracle %d (value %g)\n", (int)i,
                          (int)z->cell_zone[i], expect, ov[i]);
    }
    assert_int_equal(mismatches, 0);
    check_sums(z, p);
    /* the fixture covers the islands: most people are in a class, some
     * coastal cells' centres fall on sea pixels (nodata) */
    assert_true(in_raster > p->n_cells / 2);
    assert_true(z->zone_pop[0] > 0.3 * p->total &&
                z->zone_pop[1] > 0.1 * p->total);
    assert_true(z->pop_outside < 0.05 * p->total);

    /* without classes: a row per value, ascending, the same cells */
    am_class_raster_options o0 = copts(DOU, 0);
    am_zone_raster *zv = NULL;
    assert_int_equal(am_class_raster_build(&o0, p, &zv, &err), AM_OK);
    assert_true(zv->n_zones >= 4);
    for (int32_t k = 1; k < zv->n_zones; k++)
        assert_true(atof(zv->zone_id[k - 1]) < atof(zv->zone_id[k]));
    for (int32_t i = 0; i < p->n_cells; i++) {
        const int32_t k = zv->cell_zone[i];
        if (isnan(ov[i])) {
            assert_int_equal(k, -1);
            continue;
        }
        assert_true(k >= 0);
        assert_true(atof(zv->zone_id[k]) == ov[i]);
    }
    check_sums(zv, p);
    assert_true(zv->pop_outside == z->pop_outside);

    /* urban only: the rural cells are outside */
    am_class_raster_options o1 = copts(DOU, 1);
    am_zone_raster *zu = NULL;
    assert_int_equal(am_class_raster_build(&o1, p, &zu, &err), AM_OK);
    assert_int_equal(zu->n_zones, 1);
    assert_true(zu->zone_pop[0] == z->zone_pop[0]);
    assert_int_equal(zu->n_outside, z->n_outside + z->zone_cells[1]);
    check_sums(zu, p);

    am_zone_raster_destroy(zu);
    am_zone_raster_destroy(zv);
    am_zone_raster_destroy(z);
    free(ov);
    am_population_destroy(p);
}

/* A raster of w x h Float32 cells from v, in WGS 84 or without a CRS. */
static const char *write_raster(const char *name, int w, int h,
                                const double gt[6], const float *v, int crs,
                                int nodata)
{
    const char *path = tmp_path(name);
    GDALDatasetH d = GDALCreate(GDALGetDriverByName("GTiff"), path, w, h, 1,
                                GDT_Float32, NULL);
    assert_non_null(d);
    GDALSetGeoTransform(d, (double *)gt);
    if (crs) {
        OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(s, 4326);
        char *wkt = NULL;
        OSRExportToWkt(s, &wkt);
        GDALSetProjection(d, wkt);
        CPLFree(wkt);
        OSRDestroySpatialReference(s);
    }
    if (nodata)
        GDALSetRasterNoDataValue(GDALGetRasterBand(d, 1), -9);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(d, 1), GF_Write, 0, 0, w, h,
                                  (void *)v, w, h, GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(d);
    return path;
}

/*
 * Population: 6 x 4 cells of 1 degree from (0, 4), all populated (1 + the
 * column). Classes: 2 x 2 cells of 2 degrees from (0, 4) covering the
 * first 4 columns: values 1, NaN / -9 (nodata), 2. Columns 4 and 5 are
 * beyond the class raster.
 */
static void test_toy_outside(void **state)
{
    (void)state;
    const double pgt[6] = {0, 1, 0, 4, 0, -1};
    float pv[24];
    for (int i = 0; i < 24; i++)
        pv[i] = (float)(1 + i % 6);
    am_population *p = load_pop(write_raster("pop.tif", 6, 4, pgt, pv, 1, 0));
    assert_int_equal(p->n_cells, 24);
    const double cgt[6] = {0, 2, 0, 4, 0, -2};
    const float cv[4] = {1.0f, NAN, -9.0f, 2.0f};
    const char *cls = write_raster("cls.tif", 2, 2, cgt, cv, 1, 1);
    am_class_raster_options o = copts(cls, 0);
    am_zone_raster *z = NULL;
    am_error err;
    assert_int_equal(am_class_raster_build(&o, p, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 2);
    assert_string_equal(z->zone_id[0], "1");
    assert_string_equal(z->zone_id[1], "2");
    for (int32_t i = 0; i < 24; i++) {
        const int col = (int)(p->cell[i] % 6), row = (int)(p->cell[i] / 6);
        int expect = -1;
        if (col < 4)
            expect = row < 2 ? (col < 2 ? 0 : -1) : (col < 2 ? -1 : 1);
        assert_int_equal(z->cell_zone[i], expect);
    }
    check_sums(z, p);
    assert_int_equal(z->n_outside, 16);
    am_zone_raster_destroy(z);
    am_population_destroy(p);
}

/*
 * A row wider than a read piece (65,536 pixels): the class raster is one
 * row of 80,000 pixels of 0.001 degree, value floor(column / 1000); the
 * 8 population cells of 10 degrees have their centres at columns 5,000,
 * 15,000, ..., 75,000 of it: read in two pieces, each cell its value.
 */
static void test_wide_row(void **state)
{
    (void)state;
    const double pgt[6] = {0, 10, 0, 1, 0, -1};
    const float pv[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    am_population *p = load_pop(write_raster("wpop.tif", 8, 1, pgt, pv, 1, 0));
    const int w = 80000;
    float *cv = malloc((size_t)w * sizeof *cv);
    assert_non_null(cv);
    for (int i = 0; i < w; i++)
        cv[i] = (float)(i / 1000);
    const double cgt[6] = {0, 0.001, 0, 1, 0, -1};
    am_class_raster_options o =
        copts(write_raster("wide.tif", w, 1, cgt, cv, 1, 0), 0);
    free(cv);
    am_zone_raster *z = NULL;
    am_error err;
    assert_int_equal(am_class_raster_build(&o, p, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 8);
    for (int32_t i = 0; i < 8; i++) {
        const int col = (int)p->cell[i];
        char want[16];
        snprintf(want, sizeof want, "%d", 5 + 10 * col);
        assert_string_equal(z->zone_id[z->cell_zone[i]], want);
    }
    check_sums(z, p);
    am_zone_raster_destroy(z);
    am_population_destroy(p);
}

static void expect_error(const am_class_raster_options *o,
                         const am_population *p, am_status code,
                         const char *fragment)
{
    am_zone_raster *z = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_class_raster_build(o, p, &z, &err), code);
    assert_null(z);
    if (strstr(err.msg, fragment) == NULL) {
        print_error("message '%s' lacks '%s'\n", err.msg, fragment);
        fail();
    }
    assert_string_equal(err.file, o->path);
}

static void test_errors(void **state)
{
    (void)state;
    const double pgt[6] = {0, 1, 0, 4, 0, -1};
    float pv[24];
    for (int i = 0; i < 24; i++)
        pv[i] = 1.0f;
    am_population *p = load_pop(write_raster("pop.tif", 6, 4, pgt, pv, 1, 0));
    am_class_raster_options o = copts(tmp_path("missing.tif"), 0);
    am_zone_raster *z = NULL;
    am_error err;
    assert_int_not_equal(am_class_raster_build(&o, p, &z, &err), AM_OK);
    assert_null(z);
    o = copts(DOU, 0);
    o.band = 2;
    expect_error(&o, p, AM_ERR_FORMAT, "band 2 out of range");
    const double cgt[6] = {0, 2, 0, 4, 0, -2};
    const float cv[4] = {1, 2, 3, 4};
    o = copts(write_raster("nocrs.tif", 2, 2, cgt, cv, 0, 0), 0);
    expect_error(&o, p, AM_ERR_CRS, "no coordinate reference system");
    /* a continuous raster: more distinct values than rows allowed */
    const double fgt[6] = {0, 0.2, 0, 4, 0, -0.2};
    float fv[30 * 20];
    for (int i = 0; i < 30 * 20; i++)
        fv[i] = (float)i;
    /* 600 pixels of distinct values under 24 cells: 24 values, allowed */
    o = copts(write_raster("fine.tif", 30, 20, fgt, fv, 1, 0), 0);
    assert_int_equal(am_class_raster_build(&o, p, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 24);
    am_zone_raster_destroy(z);
    am_population_destroy(p);
    /* a population of 600 cells on it: 600 distinct values, refused */
    float pv2[600];
    for (int i = 0; i < 600; i++)
        pv2[i] = 1.0f;
    p = load_pop(write_raster("pop2.tif", 30, 20, fgt, pv2, 1, 0));
    expect_error(&o, p, AM_ERR_FORMAT, "distinct values");
    am_population_destroy(p);
}

static void expect_probe_error(const am_class_raster_options *o,
                               const char *pop_wkt, am_status code,
                               const char *fragment)
{
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_class_raster_probe(o, pop_wkt, NULL, &err), code);
    if (strstr(err.msg, fragment) == NULL) {
        print_error("message '%s' lacks '%s'\n", err.msg, fragment);
        fail();
    }
    assert_string_equal(err.file, o->path);
}

static void test_probe(void **state)
{
    (void)state;
    am_population_options po;
    memset(&po, 0, sizeof po);
    po.path = POP;
    po.band = 1;
    char *wkt = NULL;
    am_error err;
    assert_int_equal(am_population_probe_crs(&po, &wkt, &err), AM_OK);
    assert_non_null(wkt);
    am_class_raster_options o = copts(DOU, 2);
    assert_int_equal(am_class_raster_probe(&o, wkt, NULL, &err), AM_OK);
    o = copts(DOU, 0);
    assert_int_equal(am_class_raster_probe(&o, wkt, NULL, &err), AM_OK);
    o.band = 2;
    expect_probe_error(&o, wkt, AM_ERR_FORMAT, "band 2 out of range");
    o = copts(tmp_path("missing.tif"), 0);
    assert_int_equal(am_class_raster_probe(&o, wkt, NULL, &err), AM_ERR_IO);
    const double cgt[6] = {0, 2, 0, 4, 0, -2};
    const float cv[4] = {1, 2, 3, 4};
    o = copts(write_raster("nocrs_p.tif", 2, 2, cgt, cv, 0, 0), 0);
    expect_probe_error(&o, wkt, AM_ERR_CRS, "no coordinate reference system");
    /* class values the Byte band (nodata 255) cannot give */
    const double bad[][1] = {{300}, {2.5}, {-1}, {255}};
    const char *const why[] = {
        "zones: class 'rural' lists the value 300, which band 1 of the "
        "settlement raster (type Byte) cannot hold",
        "class 'rural' lists the value 2.5, which band 1",
        "class 'rural' lists the value -1, which band 1",
        "class 'rural' lists the value 255, which is the nodata value of band "
        "1"};
    for (int k = 0; k < 4; k++) {
        const double *vals[] = {urban_v, bad[k]};
        const int nv[] = {4, 1};
        o = copts(DOU, 2);
        o.values = vals;
        o.n_values = nv;
        expect_probe_error(&o, wkt, AM_ERR_FORMAT, why[k]);
    }
    /* a Float32 band holds any value, 2.5 included */
    const double *vals[] = {urban_v, bad[1]};
    const int nv[] = {4, 1};
    o = copts(write_raster("f32.tif", 2, 2, cgt, cv, 1, 0), 2);
    o.values = vals;
    o.n_values = nv;
    assert_int_equal(am_class_raster_probe(&o, wkt, NULL, &err), AM_OK);
    am_free(wkt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comoros_classes),
        cmocka_unit_test(test_toy_outside),
        cmocka_unit_test(test_wide_row),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
