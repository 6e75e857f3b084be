/*
 * test_population.c: the population raster reader (inputs/population.h)
 * on real rasters and on tiny synthetic GeoTIFFs written at test time.
 *
 * Real data (tests/data, see each SOURCE.md). Expected values were derived
 * independently of accessim: `gdalinfo` for sizes, geotransforms and
 * nodata; counts and sums from the raw cell values dumped with
 * `gdal_translate -ot Float64 -of ENVI` (and -of XYZ) and summed in
 * row-major order by a separate script:
 *   GPW São Miguel count 2020: 934 populated, 308 zero, 3366 nodata,
 *     sum 145602.9651276317 (documented 145,603);
 *   AfriPop Greater Accra 2015: 109190 populated, 5323 zero, 98008 nodata,
 *     sum 3884014.9410312911;
 *   HSY Helsinki 2020 250 m: 92 populated, 28 zero, no nodata value,
 *     sum 71724 (documented 71,724).
 * Synthetic rasters carry values whose classification and sum are worked
 * out by hand next to each test.
 */
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <float.h>

#include "common/alloc.h"
#include "inputs/population.h"

#define GPW AM_TEST_DATA "/sao_miguel_gpw/gpw_v411_2020_count_2020.tif"
#define ACCRA AM_TEST_DATA "/accra_worldpop_2015/GHA15_040213.tif"
#define HELSINKI                                                               \
    AM_TEST_DATA                                                               \
    "/helsinki_hsy_population/helsinki_population_2020_hsy_250m_EPSG3879.tif"

/* Temp directory for synthetic files, made once for the group. */
static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static int group_setup(void **state)
{
    (void)state;
    GDALAllRegister();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/am_test_population_XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    VSIRmdirRecursive(tmpdir);
    return 0;
}

/*
 * Writes a GeoTIFF: nx x ny values (row-major) of type dt; nodata when
 * has_nd; EPSG code epsg (0: no CRS); geotransform gt (NULL: 0.01 deg
 * cells at (10, 20)); creation options opts (may be NULL).
 */
static void make_tif(const char *path, GDALDataType dt, int nx, int ny,
                     const double *vals, int has_nd, double nd, int epsg,
                     const double *gt, char **opts)
{
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    assert_non_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, nx, ny, 1, dt, opts);
    assert_non_null(ds);
    double def_gt[6] = {10.0, 0.01, 0.0, 20.0, 0.0, -0.01};
    assert_int_equal(
        GDALSetGeoTransform(ds, gt != NULL ? (double *)gt : def_gt), CE_None);
    if (epsg != 0) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        assert_int_equal(OSRImportFromEPSG(srs, epsg), OGRERR_NONE);
        assert_int_equal(GDALSetSpatialRef(ds, srs), CE_None);
        OSRDestroySpatialReference(srs);
    }
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (has_nd)
        assert_int_equal(GDALSetRasterNoDataValue(b, nd), CE_None);
    assert_int_equal(GDALRasterIO(b, GF_Write, 0, 0, nx, ny, (void *)vals, nx,
                                  ny, GDT_Float64, 0, 0),
                     CE_None);
    CPLErrorReset();
    GDALClose(ds); /* void in GDAL 3.6 */
    assert_int_equal(CPLGetLastErrorType(), CE_None);
}

static am_status load(const char *path, int band, am_population **p,
                      am_error *err)
{
    am_population_options opt = {path, band, NULL, 0, NULL};
    am_error_clear(err);
    return am_population_load(&opt, NULL, NULL, p, err);
}

static void assert_ascending(const am_population *p)
{
    int64_t ncell = (int64_t)p->grid.nx * p->grid.ny;
    for (int32_t i = 0; i < p->n_cells; i++) {
        assert_true(p->cell[i] >= 0 && p->cell[i] < ncell);
        assert_true(p->pop[i] > 0.0 && isfinite(p->pop[i]));
        if (i > 0)
            assert_true(p->cell[i] > p->cell[i - 1]);
    }
}

static void test_gpw_sao_miguel(void **state)
{
    (void)state;
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(GPW, 1, &p, &err), AM_OK);
    assert_int_equal(p->grid.nx, 96);
    assert_int_equal(p->grid.ny, 48);
    assert_float_equal(p->grid.gt[0], -25.900000000000063, 1e-12);
    assert_float_equal(p->grid.gt[1], 0.008333333333333, 1e-12);
    assert_float_equal(p->grid.gt[3], 37.999999999999936, 1e-12);
    assert_float_equal(p->grid.gt[5], -0.008333333333333, 1e-12);
    assert_int_equal(p->n_cells, 934);
    assert_int_equal(p->n_zero, 308);
    /* The nodata tag reads -3.402823e+38; the cells hold its float32
     * rounding, -3.40282306073709653e+38: they must count as nodata. */
    assert_int_equal(p->n_nodata, 3366);
    assert_int_equal(p->n_negative, 0);
    assert_int_equal(p->n_nonfinite, 0);
    assert_int_equal(p->n_cells + p->n_zero + p->n_nodata, 96 * 48);
    assert_float_equal(p->total, 145602.9651276317, 1e-6);
    assert_float_equal(p->total, 145603.0, 0.5);
    assert_int_equal(p->cell[0], 973);
    assert_float_equal(p->pop[0], 5.840417861938477, 1e-12);
    assert_int_equal(p->cell[p->n_cells - 1], 3407);
    assert_float_equal(p->pop[p->n_cells - 1], 3.63420033454895, 1e-12);
    assert_ascending(p);
    assert_non_null(p->crs_wkt);
    assert_true(strncmp(p->crs_wkt, "GEOGCRS[\"WGS 84\"", 16) == 0);
    am_population_destroy(p);
}

static void test_accra_float64(void **state)
{
    (void)state;
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(ACCRA, 1, &p, &err), AM_OK);
    assert_int_equal(p->grid.nx, 461);
    assert_int_equal(p->grid.ny, 461);
    assert_float_equal(p->grid.gt[0], -0.397629843, 1e-12);
    assert_float_equal(p->grid.gt[1], 0.0008333, 1e-12);
    assert_int_equal(p->n_cells, 109190);
    assert_int_equal(p->n_zero, 5323);
    assert_int_equal(p->n_nodata, 98008);
    assert_int_equal(p->n_negative, 0);
    assert_int_equal(p->n_nonfinite, 0);
    assert_float_equal(p->total, 3884014.9410312911, 1e-6);
    assert_int_equal(p->cell[0], 0);
    assert_float_equal(p->pop[0], 52.491024017333984, 1e-12);
    assert_int_equal(p->cell[p->n_cells - 1], 150289);
    assert_float_equal(p->pop[p->n_cells - 1], 0.024550244212150574, 1e-15);
    assert_ascending(p);
    assert_non_null(strstr(p->crs_wkt, "WGS 84"));
    am_population_destroy(p);
}

static void test_helsinki_projected(void **state)
{
    (void)state;
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(HELSINKI, 1, &p, &err), AM_OK);
    assert_int_equal(p->grid.nx, 12);
    assert_int_equal(p->grid.ny, 10);
    const double gt[6] = {25494750.0, 250.0, 0.0, 6673750.0, 0.0, -250.0};
    for (int k = 0; k < 6; k++)
        assert_float_equal(p->grid.gt[k], gt[k], 0.0);
    assert_int_equal(p->n_cells, 92);
    assert_int_equal(p->n_zero, 28);
    assert_int_equal(p->n_nodata, 0);
    assert_float_equal(p->total, 71724.0, 0.0);
    assert_int_equal(p->cell[0], 2);
    assert_float_equal(p->pop[0], 358.0, 0.0);
    assert_int_equal(p->cell[p->n_cells - 1], 117);
    assert_float_equal(p->pop[p->n_cells - 1], 601.0, 0.0);
    assert_ascending(p);
    assert_true(strncmp(p->crs_wkt, "PROJCRS[\"ETRS89 / GK25FIN\"", 26) == 0);
    am_population_destroy(p);
}

/* Negative, NaN and infinite values are counted and never summed. */
static void test_refused_values(void **state)
{
    (void)state;
    const char *path = tmp_path("refused.tif");
    /* 4 x 3; nodata -9999.
     *   row 0:  1.5   -2     NaN    -9999
     *   row 1:  0     +inf   2.25   -inf
     *   row 2: -9999  -0.5   4      0
     * populated: 1.5 (cell 0), 2.25 (6), 4 (10): total 7.75;
     * zero 2, nodata 2, negative 2, non-finite 3. */
    const double v[12] = {1.5,  -2.0,      NAN,     -9999.0, 0.0, INFINITY,
                          2.25, -INFINITY, -9999.0, -0.5,    4.0, 0.0};
    make_tif(path, GDT_Float32, 4, 3, v, 1, -9999.0, 4326, NULL, NULL);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 3);
    assert_int_equal(p->cell[0], 0);
    assert_int_equal(p->cell[1], 6);
    assert_int_equal(p->cell[2], 10);
    assert_float_equal(p->pop[0], 1.5, 0.0);
    assert_float_equal(p->pop[1], 2.25, 0.0);
    assert_float_equal(p->pop[2], 4.0, 0.0);
    assert_float_equal(p->total, 7.75, 0.0);
    assert_int_equal(p->n_zero, 2);
    assert_int_equal(p->n_nodata, 2);
    assert_int_equal(p->n_negative, 2);
    assert_int_equal(p->n_nonfinite, 3);
    am_population_destroy(p);
}

/*
 * A Float32 raster whose +FLT_MAX fill is not tagged as nodata: those cells
 * are refused as implausible (never summed: a total of 1e38 used to crash
 * the summary) and one warning names the largest and its cell. The bound
 * follows the cell's area: 0.01 degree at 20 N is about 1.16 km², so 1e6
 * people fit and 2e6 do not.
 */
static void test_implausible_values(void **state)
{
    (void)state;
    const char *path = tmp_path("flt_max.tif");
    const double v[6] = {FLT_MAX, 5.0, 1e6, 2e6, FLT_MAX, 3.0};
    make_tif(path, GDT_Float32, 3, 2, v, 0, 0.0, 4326, NULL, NULL);
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    am_population_options opt = {path, 1, &w, 0, NULL};
    am_population *p = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_population_load(&opt, NULL, NULL, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 3);
    assert_int_equal(p->n_implausible, 3);
    assert_float_equal(p->total, 1e6 + 8.0, 0.0);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "3 cells refused as implausible"));
    assert_non_null(strstr(w.msg[0], "3.403e+38 people in one cell (row 0, "
                                     "column 0)"));
    assert_non_null(strstr(w.msg[0], "gdal_edit.py -a_nodata"));
    assert_non_null(strstr(w.msg[0], "band 1"));
    am_population_destroy(p);
    am_warnings_clear(&w);

    /* Projected 100 m cells: 0.01 km², so 10,000 people at most. */
    const char *utm = tmp_path("utm_dense.tif");
    const double gt[6] = {500000.0, 100.0, 0.0, 1000000.0, 0.0, -100.0};
    const double u[4] = {9000.0, 20000.0, 1.0, 2.0};
    make_tif(utm, GDT_Float64, 2, 2, u, 0, 0.0, 32633, gt, NULL);
    am_warnings_init(&w, NULL, NULL);
    opt.path = utm;
    assert_int_equal(am_population_load(&opt, NULL, NULL, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 3);
    assert_int_equal(p->n_implausible, 1);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "1 cell refused"));
    assert_non_null(strstr(w.msg[0], "(row 0, column 1), where at most "
                                     "1e+04 fit"));
    am_population_destroy(p);
    am_warnings_clear(&w);

    /* Tiny cells still hold a tower block (the floor: 1,000 people). */
    const char *tiny = tmp_path("tiny.tif");
    const double gt1[6] = {500000.0, 1.0, 0.0, 1000000.0, 0.0, -1.0};
    const double t[2] = {800.0, 1500.0};
    make_tif(tiny, GDT_Float64, 2, 1, t, 0, 0.0, 32633, gt1, NULL);
    am_warnings_init(&w, NULL, NULL);
    opt.path = tiny;
    assert_int_equal(am_population_load(&opt, NULL, NULL, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 1);
    assert_int_equal(p->n_implausible, 1);
    am_population_destroy(p);
    am_warnings_clear(&w);

    /* Only implausible cells: the error counts them. */
    const char *all = tmp_path("all_fill.tif");
    const double f[2] = {FLT_MAX, FLT_MAX};
    make_tif(all, GDT_Float32, 2, 1, f, 0, 0.0, 4326, NULL, NULL);
    opt.path = all;
    opt.warnings = NULL; /* allowed */
    assert_int_equal(am_population_load(&opt, NULL, NULL, &p, &err),
                     AM_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "2 implausible"));

    /* Plausible cells whose total exceeds the world's population: 12
     * one-degree cells (about 12,000 km² each) of 9e8 people. */
    const char *big = tmp_path("world.tif");
    const double gt2[6] = {0.0, 1.0, 0.0, 10.0, 0.0, -1.0};
    double b[12];
    for (int i = 0; i < 12; i++)
        b[i] = 9e8;
    make_tif(big, GDT_Float64, 4, 3, b, 0, 0.0, 4326, gt2, NULL);
    am_warnings_init(&w, NULL, NULL);
    opt.path = big;
    opt.warnings = &w;
    assert_int_equal(am_population_load(&opt, NULL, NULL, &p, &err), AM_OK);
    assert_int_equal(p->n_implausible, 0);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "the total population, 1.08e+10, is "
                                     "more than the world's"));
    am_population_destroy(p);
    am_warnings_clear(&w);
}

/* A NaN nodata value matches NaN cells (nodata, not non-finite). */
static void test_nan_nodata(void **state)
{
    (void)state;
    const char *path = tmp_path("nan_nodata.tif");
    const double v[6] = {NAN, 3.0, INFINITY, NAN, -1.0, 0.5};
    make_tif(path, GDT_Float64, 3, 2, v, 1, NAN, 4326, NULL, NULL);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 2);
    assert_int_equal(p->n_nodata, 2);
    assert_int_equal(p->n_nonfinite, 1);
    assert_int_equal(p->n_negative, 1);
    assert_float_equal(p->total, 3.5, 0.0);
    am_population_destroy(p);
}

/* The float32 rule applies only where the nodata value is not itself a
 * float32: with nodata -99999 (exact in float32) on a Float64 band, the
 * value -99999.0001 is a (refused) negative count, not nodata. */
static void test_nodata_float32_rule(void **state)
{
    (void)state;
    const char *path = tmp_path("f64_nodata.tif");
    const double v[4] = {-99999.0, -99999.0001, 7.0, 1e-40};
    make_tif(path, GDT_Float64, 2, 2, v, 1, -99999.0, 4326, NULL, NULL);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_nodata, 1);
    assert_int_equal(p->n_negative, 1);
    assert_int_equal(p->n_cells, 2); /* 1e-40 is a (tiny) count */
    assert_float_equal(p->total, 7.0 + 1e-40, 0.0);
    am_population_destroy(p);

    /* Float32 GeoTIFF given the nodata double -3.402823e38: the cells are
     * stored as its float32 rounding (GDAL's GTiff driver also reports
     * the nodata rounded; see test_nodata_vrt_unrounded for a driver that
     * does not). */
    const char *p32 = tmp_path("f32_nodata.tif");
    const double w[4] = {-3.402823e38, 2.0, -3.402823e38, -3.0};
    make_tif(p32, GDT_Float32, 2, 2, w, 1, -3.402823e38, 4326, NULL, NULL);
    assert_int_equal(load(p32, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_nodata, 2);
    assert_int_equal(p->n_negative, 1);
    assert_int_equal(p->n_cells, 1);
    assert_float_equal(p->total, 2.0, 0.0);
    am_population_destroy(p);
}

/* Larger than one strip (2^20 cells), tiled: several strips, progress
 * reported per strip, cells still ascending. Value at (row, col) is
 * (row + col) % 4: per row of 1100 columns 275 cells of each of 0..3 when
 * row % 4 == 0, and in general each residue 275 times, so each row sums
 * 275 * (0 + 1 + 2 + 3) = 1650 and has 825 populated cells. */
static int progress_calls;
static double progress_last;
static int progress_monotone;

static int count_progress(double f, const char *msg, void *user)
{
    (void)msg;
    (void)user;
    if (f < progress_last)
        progress_monotone = 0;
    progress_last = f;
    progress_calls++;
    return 1;
}

static int cancel_progress(double f, const char *msg, void *user)
{
    (void)f;
    (void)msg;
    (*(int *)user)++;
    return 0;
}

/* The GTiff driver already rounds a Float32 band's nodata to float32, but
 * other drivers do not: a hand-written VRT over the GPW raster that says
 * -3.402823e+38 reports exactly that double, while its cells hold
 * float32(-3.402823e38). Those cells are nodata, not negative counts. */
static void test_nodata_vrt_unrounded(void **state)
{
    (void)state;
    const char *path = tmp_path("gpw_unrounded.vrt");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "<VRTDataset rasterXSize=\"96\" rasterYSize=\"48\">\n"
            "  <SRS>EPSG:4326</SRS>\n"
            "  <GeoTransform>-25.900000000000063, 0.008333333333333, 0, "
            "37.999999999999936, 0, -0.008333333333333</GeoTransform>\n"
            "  <VRTRasterBand dataType=\"Float32\" band=\"1\">\n"
            "    <NoDataValue>-3.402823e+38</NoDataValue>\n"
            "    <SimpleSource>\n"
            "      <SourceFilename relativeToVRT=\"0\">%s</SourceFilename>\n"
            "      <SourceBand>1</SourceBand>\n"
            "    </SimpleSource>\n"
            "  </VRTRasterBand>\n"
            "</VRTDataset>\n",
            GPW);
    assert_int_equal(fclose(f), 0);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_nodata, 3366);
    assert_int_equal(p->n_negative, 0);
    assert_int_equal(p->n_cells, 934);
    assert_float_equal(p->total, 145602.9651276317, 1e-6);
    am_population_destroy(p);
}

static void test_strips_and_progress(void **state)
{
    (void)state;
    const int nx = 1100, ny = 1000;
    double *v = malloc((size_t)nx * ny * sizeof *v);
    assert_non_null(v);
    for (int r = 0; r < ny; r++)
        for (int c = 0; c < nx; c++)
            v[(size_t)r * nx + c] = (double)((r + c) % 4);
    const char *path = tmp_path("big.tif");
    char *opts[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256",
                    "COMPRESS=DEFLATE", NULL};
    const double gt[6] = {500000.0, 100.0, 0.0, 4000000.0, 0.0, -100.0};
    make_tif(path, GDT_Float32, nx, ny, v, 0, 0.0, 32630, gt, opts);
    free(v);

    am_population_options opt = {path, 1, NULL, 0, NULL};
    am_population *p = NULL;
    am_error err;
    am_error_clear(&err);
    progress_calls = 0;
    progress_last = 0.0;
    progress_monotone = 1;
    assert_int_equal(am_population_load(&opt, count_progress, NULL, &p, &err),
                     AM_OK);
    assert_int_equal(p->n_cells, 825 * ny);
    assert_int_equal(p->n_zero, 275 * ny);
    assert_float_equal(p->total, 1650.0 * ny, 0.0);
    assert_ascending(p);
    /* (row 999, col 1099): (999 + 1099) % 4 = 2, populated, last */
    assert_int_equal(p->cell[p->n_cells - 1], (int64_t)ny * nx - 1);
    assert_float_equal(p->pop[p->n_cells - 1], 2.0, 0.0);
    assert_true(progress_calls >= 2);
    assert_true(progress_monotone);
    assert_float_equal(progress_last, 1.0, 0.0);
    assert_true(strncmp(p->crs_wkt, "PROJCRS[\"WGS 84 / UTM zone 30N\"", 31) ==
                0);
    am_population_destroy(p);

    /* A callback that says stop: AM_ERR_CANCELLED after its first call. */
    int calls = 0;
    p = (am_population *)&calls;
    assert_int_equal(
        am_population_load(&opt, cancel_progress, &calls, &p, &err),
        AM_ERR_CANCELLED);
    assert_int_equal(calls, 1);
    assert_null(p);
    assert_string_equal(err.file, path);
}

static void test_no_crs(void **state)
{
    (void)state;
    const char *path = tmp_path("no_crs.tif");
    const double v[4] = {1, 2, 3, 4};
    make_tif(path, GDT_Float32, 2, 2, v, 0, 0.0, 0, NULL, NULL);
    am_population *p = (am_population *)&p;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_ERR_CRS);
    assert_null(p);
    assert_int_equal(err.code, AM_ERR_CRS);
    assert_string_equal(err.file, path);
}

static void test_band_out_of_range(void **state)
{
    (void)state;
    const char *path = tmp_path("one_band.tif");
    const double v[4] = {1, 2, 3, 4};
    make_tif(path, GDT_Float32, 2, 2, v, 0, 0.0, 4326, NULL, NULL);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 2, &p, &err), AM_ERR_FORMAT);
    assert_null(p);
    assert_string_equal(err.file, path);
    assert_string_equal(err.layer, "band 2");
    assert_int_equal(load(path, 0, &p, &err), AM_ERR_FORMAT);
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_float_equal(p->total, 10.0, 0.0);
    am_population_destroy(p);
}

/* Issue 5 #10: the header probe gives the size without reading cells. */
static void test_probe(void **state)
{
    (void)state;
    am_error err;
    am_population_header hd = {-1, -1, -1};
    am_population_options opt = {GPW, 1, NULL, 0, NULL};
    assert_int_equal(am_population_probe(&opt, &hd, &err), AM_OK);
    assert_int_equal(hd.nx, 96);
    assert_int_equal(hd.ny, 48);
    assert_int_equal(hd.cell_bytes, 4); /* Float32 */
    /* the CRS for the zone probes: the one the load reads */
    char *wkt = NULL;
    assert_int_equal(am_population_probe_crs(&opt, &wkt, &err), AM_OK);
    am_population *p = NULL;
    assert_int_equal(am_population_load(&opt, NULL, NULL, &p, &err), AM_OK);
    assert_string_equal(wkt, p->crs_wkt);
    am_population_destroy(p);
    am_free(wkt);
    opt.band = 2;
    assert_int_equal(am_population_probe(&opt, &hd, &err), AM_ERR_FORMAT);
    assert_string_equal(err.layer, "band 2");
    wkt = (char *)"not set";
    assert_int_equal(am_population_probe_crs(&opt, &wkt, &err), AM_ERR_FORMAT);
    assert_null(wkt);
    opt.path = tmp_path("no_such_raster.tif");
    opt.band = 1;
    assert_int_equal(am_population_probe(&opt, &hd, &err), AM_ERR_IO);
    assert_string_equal(err.file, opt.path);
    assert_int_equal(am_population_probe_crs(&opt, &wkt, &err), AM_ERR_IO);
    assert_null(wkt);
}

static void test_empty(void **state)
{
    (void)state;
    am_population *p = NULL;
    am_error err;
    const char *zero = tmp_path("zero.tif");
    const double z[6] = {0, 0, 0, 0, 0, 0};
    make_tif(zero, GDT_Float32, 3, 2, z, 0, 0.0, 4326, NULL, NULL);
    assert_int_equal(load(zero, 1, &p, &err), AM_ERR_EMPTY);
    assert_null(p);
    assert_string_equal(err.file, zero);

    /* Only nodata and refused values: also empty. */
    const char *nd = tmp_path("nodata_only.tif");
    const double w[4] = {-1, -1, -5, NAN};
    make_tif(nd, GDT_Float32, 2, 2, w, 1, -1.0, 4326, NULL, NULL);
    assert_int_equal(load(nd, 1, &p, &err), AM_ERR_EMPTY);
    assert_null(p);
}

static void test_rotated(void **state)
{
    (void)state;
    const char *path = tmp_path("rotated.tif");
    const double v[4] = {1, 2, 3, 4};
    const double gt[6] = {10.0, 0.01, 0.002, 20.0, 0.001, -0.01};
    make_tif(path, GDT_Float32, 2, 2, v, 0, 0.0, 4326, gt, NULL);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_ERR_INVALID);
    assert_null(p);
    assert_string_equal(err.file, path);
}

/* Columns running east to west: refused at load, naming the raster (it
 * used to fail only at write time, blaming the output file). */
static void test_east_to_west(void **state)
{
    (void)state;
    const char *path = tmp_path("east_to_west.tif");
    const double v[4] = {1, 2, 3, 4};
    const double gt[6] = {10.02, -0.01, 0.0, 20.0, 0.0, -0.01};
    make_tif(path, GDT_Float32, 2, 2, v, 0, 0.0, 4326, gt, NULL);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_ERR_INVALID);
    assert_null(p);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "east-to-west"));

    /* south-up (rows running south to north) is a plain affine grid */
    const char *up = tmp_path("south_up.tif");
    const double gu[6] = {10.0, 0.01, 0.0, 19.98, 0.0, 0.01};
    make_tif(up, GDT_Float32, 2, 2, v, 0, 0.0, 4326, gu, NULL);
    assert_int_equal(load(up, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 4);
    am_population_destroy(p);
}

/*
 * Issue 5: the band's scale and offset are applied after the nodata test
 * on the raw value. 2 x 2 Int32, nodata -1, scale 0.01, offset 0.5:
 *   raw 100 -> 1.5, raw 250 -> 3.0, raw -1 -> nodata, raw -60 -> -0.1
 *   (refused as negative); total 4.5. The same raw values unscaled would
 *   sum to 350.
 */
static void test_scale_offset(void **state)
{
    (void)state;
    const char *path = tmp_path("scaled.tif");
    const double v[4] = {100, 250, -1, -60};
    make_tif(path, GDT_Int32, 2, 2, v, 1, -1.0, 4326, NULL, NULL);
    GDALDatasetH ds = GDALOpen(path, GA_Update);
    assert_non_null(ds);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    assert_int_equal(GDALSetRasterScale(b, 0.01), CE_None);
    assert_int_equal(GDALSetRasterOffset(b, 0.5), CE_None);
    GDALClose(ds);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 2);
    assert_float_equal(p->pop[0], 1.5, 0.0);
    assert_float_equal(p->pop[1], 3.0, 0.0);
    assert_float_equal(p->total, 4.5, 0.0);
    assert_int_equal(p->n_nodata, 1);
    assert_int_equal(p->n_negative, 1);
    assert_float_equal(p->scale, 0.01, 0.0);
    assert_float_equal(p->offset, 0.5, 0.0);
    am_population_destroy(p);

    /* A zero scale makes no counts: refused, naming the band. */
    ds = GDALOpen(path, GA_Update);
    assert_non_null(ds);
    assert_int_equal(GDALSetRasterScale(GDALGetRasterBand(ds, 1), 0.0),
                     CE_None);
    GDALClose(ds);
    assert_int_equal(load(path, 1, &p, &err), AM_ERR_INVALID);
    assert_null(p);
    assert_string_equal(err.layer, "band 1");
    assert_non_null(strstr(err.msg, "scale 0"));
}

/*
 * Issue 5: a band without a nodata value whose invalid cells are marked
 * by a per-dataset mask (an internal TIFF mask) holding 50 there: masked
 * cells are nodata, never summed. 3 x 1: 2, 50 (masked), 4 -> total 6.
 */
static void test_mask_band(void **state)
{
    (void)state;
    const char *path = tmp_path("masked.tif");
    const double v[3] = {2, 50, 4};
    make_tif(path, GDT_Float32, 3, 1, v, 0, 0.0, 4326, NULL, NULL);
    GDALDatasetH ds = GDALOpen(path, GA_Update);
    assert_non_null(ds);
    assert_int_equal(GDALCreateDatasetMaskBand(ds, GMF_PER_DATASET), CE_None);
    GDALRasterBandH mask = GDALGetMaskBand(GDALGetRasterBand(ds, 1));
    GByte m[3] = {255, 0, 255};
    assert_int_equal(
        GDALRasterIO(mask, GF_Write, 0, 0, 3, 1, m, 3, 1, GDT_Byte, 0, 0),
        CE_None);
    GDALClose(ds);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 2);
    assert_int_equal(p->cell[0], 0);
    assert_int_equal(p->cell[1], 2);
    assert_float_equal(p->total, 6.0, 0.0);
    assert_int_equal(p->n_nodata, 1);
    assert_int_equal(p->n_masked, 1);
    assert_true(p->masked);
    am_population_destroy(p);
}

/* A 2-band GeoTIFF of type dt (0.01 deg cells at (10, 20), WGS 84), nx x
 * 1: band 1 counts b1, band 2 b2; creation options opts (may be NULL). */
static void make_two_bands(const char *path, GDALDataType dt, int nx,
                           const double *b1, const double *b2, char **opts)
{
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    GDALDatasetH ds = GDALCreate(drv, path, nx, 1, 2, dt, opts);
    assert_non_null(ds);
    double gt[6] = {10.0, 0.01, 0.0, 20.0, 0.0, -0.01};
    assert_int_equal(GDALSetGeoTransform(ds, gt), CE_None);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    assert_int_equal(OSRImportFromEPSG(srs, 4326), OGRERR_NONE);
    assert_int_equal(GDALSetSpatialRef(ds, srs), CE_None);
    OSRDestroySpatialReference(srs);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, nx,
                                  1, (void *)b1, nx, 1, GDT_Float64, 0, 0),
                     CE_None);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 2), GF_Write, 0, 0, nx,
                                  1, (void *)b2, nx, 1, GDT_Float64, 0, 0),
                     CE_None);
    GDALClose(ds);
}

/*
 * An alpha band: band 1 holds counts, band 2 is alpha (0: transparent).
 * 4 x 1: 7 (alpha 255), 9 (alpha 0), 5 (alpha 128), 3 (alpha 1): only alpha
 * 0 masks; a partly transparent cell counts in full (alpha is opacity for
 * display, not a weight) -> total 7 + 5 + 3 = 15, one masked.
 */
static void test_alpha_band(void **state)
{
    (void)state;
    const char *path = tmp_path("alpha.tif");
    char *opts[] = {"ALPHA=YES", NULL};
    const double b1[4] = {7, 9, 5, 3}, a[4] = {255, 0, 128, 1};
    make_two_bands(path, GDT_Byte, 4, b1, a, opts);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 3);
    assert_int_equal(p->cell[0], 0);
    assert_int_equal(p->cell[1], 2);
    assert_int_equal(p->cell[2], 3);
    assert_float_equal(p->total, 15.0, 0.0);
    assert_int_equal(p->n_nodata, 1);
    assert_int_equal(p->n_masked, 1);
    assert_true(p->masked);
    am_population_destroy(p);

    /* A UInt16 alpha (GDAL rescales it to 8 bits): 1 of 65535 is still
     * not transparent, 0 is. 7 (65535), 9 (0), 5 (1) -> total 12. */
    const char *path16 = tmp_path("alpha16.tif");
    const double c1[3] = {7, 9, 5}, a16[3] = {65535, 0, 1};
    make_two_bands(path16, GDT_UInt16, 3, c1, a16, opts);
    assert_int_equal(load(path16, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 2);
    assert_float_equal(p->total, 12.0, 0.0);
    assert_int_equal(p->n_masked, 1);
    am_population_destroy(p);
}

/*
 * A mask in a .msk side file (GDAL_TIFF_INTERNAL_MASK=NO): the same rule
 * as an internal mask. 4 x 1: 2, 3 (masked), 5, 8 (masked) -> total 7.
 */
static void test_mask_side_file(void **state)
{
    (void)state;
    char path[512], msk[520];
    snprintf(path, sizeof path, "%s", tmp_path("sidecar.tif"));
    snprintf(msk, sizeof msk, "%s.msk", path);
    const double v[4] = {2, 3, 5, 8};
    make_tif(path, GDT_Float32, 4, 1, v, 0, 0.0, 4326, NULL, NULL);
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "NO");
    GDALDatasetH ds = GDALOpen(path, GA_Update);
    assert_non_null(ds);
    assert_int_equal(GDALCreateDatasetMaskBand(ds, GMF_PER_DATASET), CE_None);
    GByte m[4] = {255, 0, 255, 0};
    assert_int_equal(GDALRasterIO(GDALGetMaskBand(GDALGetRasterBand(ds, 1)),
                                  GF_Write, 0, 0, 4, 1, m, 4, 1, GDT_Byte, 0,
                                  0),
                     CE_None);
    GDALClose(ds);
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", NULL);
    struct stat st;
    assert_int_equal(stat(msk, &st), 0); /* it is a side file */
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 2);
    assert_int_equal(p->cell[0], 0);
    assert_int_equal(p->cell[1], 2);
    assert_float_equal(p->total, 7.0, 0.0);
    assert_int_equal(p->n_masked, 2);
    assert_true(p->masked);
    am_population_destroy(p);
    /* without the side file, nothing is masked: total 18 */
    assert_int_equal(VSIUnlink(msk), 0);
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_float_equal(p->total, 18.0, 0.0);
    assert_int_equal(p->n_masked, 0);
    assert_false(p->masked);
    am_population_destroy(p);
}

/*
 * A per-band mask (a VRT's <MaskBand> inside the band: flags 0) whose
 * source is a second band, and a dataset's NODATA_VALUES (GMF_NODATA |
 * GMF_PER_DATASET: masked where every band holds its value), neither of
 * which the band's own nodata value expresses.
 */
static void test_mask_per_band_and_nodata_values(void **state)
{
    (void)state;
    char src[512], vrt[512];
    snprintf(src, sizeof src, "%s", tmp_path("two_bands.tif"));
    snprintf(vrt, sizeof vrt, "%s", tmp_path("per_band.vrt"));
    /* band 1: 4, 6, 1, 9; band 2 (the mask): 1, 0, 0, 200 -> 4 + 9 = 13 */
    const double b1[4] = {4, 6, 1, 9}, b2[4] = {1, 0, 0, 200};
    make_two_bands(src, GDT_Byte, 4, b1, b2, NULL);
    FILE *f = fopen(vrt, "w");
    assert_non_null(f);
    fprintf(f, "<VRTDataset rasterXSize=\"4\" rasterYSize=\"1\">\n"
               " <SRS>EPSG:4326</SRS>\n"
               " <GeoTransform>10, 0.01, 0, 20, 0, -0.01</GeoTransform>\n"
               " <VRTRasterBand dataType=\"Byte\" band=\"1\">\n"
               "  <SimpleSource><SourceFilename relativeToVRT=\"1\">"
               "two_bands.tif</SourceFilename><SourceBand>1</SourceBand>"
               "</SimpleSource>\n"
               "  <MaskBand><VRTRasterBand dataType=\"Byte\">\n"
               "   <SimpleSource><SourceFilename relativeToVRT=\"1\">"
               "two_bands.tif</SourceFilename><SourceBand>2</SourceBand>"
               "</SimpleSource>\n"
               "  </VRTRasterBand></MaskBand>\n"
               " </VRTRasterBand>\n"
               "</VRTDataset>\n");
    assert_int_equal(fclose(f), 0);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(vrt, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 2);
    assert_int_equal(p->cell[0], 0);
    assert_int_equal(p->cell[1], 3);
    assert_float_equal(p->total, 13.0, 0.0);
    assert_int_equal(p->n_masked, 2);
    assert_true(p->masked);
    am_population_destroy(p);

    /* NODATA_VALUES "6 0": the cell (6, 0) is masked; (1, 0) is not (band
     * 1 is not 6 there) -> 4 + 1 + 9 = 14. */
    GDALDatasetH ds = GDALOpen(src, GA_Update);
    assert_non_null(ds);
    assert_int_equal(GDALSetMetadataItem(ds, "NODATA_VALUES", "6 0", NULL),
                     CE_None);
    GDALClose(ds);
    ds = GDALOpen(src, GA_ReadOnly);
    assert_int_equal(GDALGetMaskFlags(GDALGetRasterBand(ds, 1)),
                     GMF_NODATA | GMF_PER_DATASET);
    GDALClose(ds);
    assert_int_equal(load(src, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_cells, 3);
    assert_float_equal(p->total, 14.0, 0.0);
    assert_int_equal(p->n_masked, 1);
    am_population_destroy(p);
}

/*
 * The mask is read strip by strip with the values (no whole-raster
 * buffer): a tiled 1100 x 1000 raster (several strips) of 1s with a
 * tiled internal mask that masks the cells where (r + 2c) % 7 == 0, and a
 * band without a mask of its own (GMF_ALL_VALID) as the control.
 */
static void test_mask_across_strips(void **state)
{
    (void)state;
    const int nx = 1100, ny = 1000;
    double *v = malloc((size_t)nx * ny * sizeof *v);
    GByte *m = malloc((size_t)nx * ny);
    assert_non_null(v);
    assert_non_null(m);
    int64_t n_masked = 0;
    for (int r = 0; r < ny; r++)
        for (int c = 0; c < nx; c++) {
            v[(size_t)r * nx + c] = 1.0;
            m[(size_t)r * nx + c] = (r + 2 * c) % 7 == 0 ? 0 : 255;
            n_masked += (r + 2 * c) % 7 == 0;
        }
    const char *path = tmp_path("big_masked.tif");
    char *opts[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256",
                    "COMPRESS=DEFLATE", NULL};
    make_tif(path, GDT_Float32, nx, ny, v, 0, 0.0, 4326, NULL, opts);
    free(v);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_OK); /* GMF_ALL_VALID */
    assert_int_equal(p->n_cells, nx * ny);
    assert_false(p->masked);
    am_population_destroy(p);
    GDALDatasetH ds = GDALOpen(path, GA_Update);
    assert_non_null(ds);
    assert_int_equal(GDALCreateDatasetMaskBand(ds, GMF_PER_DATASET), CE_None);
    assert_int_equal(GDALRasterIO(GDALGetMaskBand(GDALGetRasterBand(ds, 1)),
                                  GF_Write, 0, 0, nx, ny, m, nx, ny, GDT_Byte,
                                  0, 0),
                     CE_None);
    GDALClose(ds);
    assert_int_equal(load(path, 1, &p, &err), AM_OK);
    assert_int_equal(p->n_masked, n_masked);
    assert_int_equal(p->n_cells, (int64_t)nx * ny - n_masked);
    assert_float_equal(p->total, (double)((int64_t)nx * ny - n_masked), 0.0);
    for (int32_t i = 0; i < p->n_cells; i++) {
        int64_t r = p->cell[i] / nx, c = p->cell[i] % nx;
        assert_true((r + 2 * c) % 7 != 0);
    }
    am_population_destroy(p);
    free(m);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_not_a_raster(void **state)
{
    (void)state;
    am_population *p = NULL;
    am_error err;
    const char *csv = tmp_path("facilities.csv");
    write_text(csv, "name,kind,capacity\nKorle Bu,hospital,2000\n"
                    "Ridge,hospital,420\n");
    assert_int_equal(load(csv, 1, &p, &err), AM_ERR_FORMAT);
    assert_null(p);
    assert_int_equal(err.code, AM_ERR_FORMAT);
    assert_string_equal(err.file, csv);

    const char *gj = tmp_path("points.geojson");
    write_text(gj, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                   "\"Feature\",\"properties\":{},\"geometry\":{\"type\":"
                   "\"Point\",\"coordinates\":[-0.2,5.6]}}]}\n");
    assert_int_equal(load(gj, 1, &p, &err), AM_ERR_FORMAT);
    assert_string_equal(err.file, gj);

    /* A directory is not a raster either. */
    assert_int_equal(load(tmpdir, 1, &p, &err), AM_ERR_FORMAT);
}

/*
 * Issue 5: a damaged world file (.tfw) is reported with GDAL's message,
 * not printed by GDAL and then blamed on a missing geotransform.
 */
static void test_damaged_world_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("world.tif"));
    const double v[4] = {1, 2, 3, 4};
    char *opts[] = {"PROFILE=BASELINE", "TFW=YES", NULL};
    make_tif(path, GDT_Float32, 2, 2, v, 0, 0.0, 4326, NULL, opts);
    VSIUnlink(tmp_path("world.tif.aux.xml"));
    FILE *f = fopen(tmp_path("world.tfw"), "w");
    assert_non_null(f);
    for (int i = 0; i < 20000; i++)
        fputc('7', f);
    assert_int_equal(fclose(f), 0);
    am_population *p = NULL;
    am_error err;
    assert_int_equal(load(path, 1, &p, &err), AM_ERR_FORMAT);
    assert_null(p);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "side file"));
    assert_non_null(strstr(err.msg, "Maximum number of characters"));
}

static void test_missing_file(void **state)
{
    (void)state;
    am_population *p = (am_population *)&p;
    am_error err;
    const char *path = tmp_path("no_such_file.tif");
    assert_int_equal(load(path, 1, &p, &err), AM_ERR_IO);
    assert_null(p);
    assert_int_equal(err.code, AM_ERR_IO);
    assert_string_equal(err.file, path);
    assert_int_equal(load(NULL, 1, &p, &err), AM_ERR_IO);
    am_population_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpw_sao_miguel),
        cmocka_unit_test(test_accra_float64),
        cmocka_unit_test(test_helsinki_projected),
        cmocka_unit_test(test_refused_values),
        cmocka_unit_test(test_nan_nodata),
        cmocka_unit_test(test_implausible_values),
        cmocka_unit_test(test_nodata_float32_rule),
        cmocka_unit_test(test_nodata_vrt_unrounded),
        cmocka_unit_test(test_strips_and_progress),
        cmocka_unit_test(test_no_crs),
        cmocka_unit_test(test_band_out_of_range),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_rotated),
        cmocka_unit_test(test_east_to_west),
        cmocka_unit_test(test_not_a_raster),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_scale_offset),
        cmocka_unit_test(test_mask_band),
        cmocka_unit_test(test_alpha_band),
        cmocka_unit_test(test_mask_side_file),
        cmocka_unit_test(test_mask_per_band_and_nodata_values),
        cmocka_unit_test(test_mask_across_strips),
        cmocka_unit_test(test_damaged_world_file),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
