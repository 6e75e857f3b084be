/*
 * test_gdal_reads.c: GDAL's errors are captured and checked on every read
 * (inputs/gdal_util.h), so a damaged input fails with the file, layer,
 * feature or rows and GDAL's own message instead of being read in part
 * (issue 5, defects 3 and 15).
 *
 * Damaged copies are made under the build tree from tests/data (the Marina
 * Bay OSM extract, converted with GDALVectorTranslate like ogr2ogr) and the
 * Comoros demo (health.gpkg, the WorldPop raster): truncated to half, or
 * overwritten with a fixed junk pattern, so every run sees the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cpl_error.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include "common/file_check.h"
#include "inputs/facilities.h"
#include "inputs/gdal_util.h"
#include "inputs/population.h"
#include "inputs/roads.h"

#define BAYFRONT AM_TEST_DATA "/singapore_bayfront/bayfront_singapore.osm.pbf"
#define HEALTH_GPKG AM_DEMO_DATA "/comoros/health.gpkg"
#define POP_TIF AM_DEMO_DATA "/comoros/com_ppp_2020_UNadj.tif"
#define TMP_DIR AM_BINARY_DIR "/tests/inputs/gdal_reads_tmp"

static void tmp_path(char *buf, size_t n, const char *name)
{
    mkdir(AM_BINARY_DIR "/tests", 0777);
    mkdir(AM_BINARY_DIR "/tests/inputs", 0777);
    mkdir(TMP_DIR, 0777);
    snprintf(buf, n, "%s/%s", TMP_DIR, name);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, k, out), k);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

static void truncate_half(const char *path)
{
    assert_int_equal(truncate(path, file_size(path) / 2), 0);
}

/* Overwrites n bytes at off with "garbage\n" repeated. */
static void corrupt_at(const char *path, long off, size_t n)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    for (size_t i = 0; i < n; i++)
        fputc("garbage\n"[i % 8], f);
    assert_int_equal(fclose(f), 0);
}

/* ogr2ogr -skipfailures -f FORMAT dst src (every layer; dst replaced). */
static void translate(const char *src, const char *dst, const char *format)
{
    char *argv[] = {"-skipfailures", "-f", (char *)format, NULL};
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dst);
    assert_int_equal(system(cmd), 0);
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH in = GDALOpenEx(src, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(in);
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew(argv, NULL);
    assert_non_null(o);
    int usage = 0;
    GDALDatasetH out = GDALVectorTranslate(dst, NULL, 1, &in, o, &usage);
    assert_non_null(out);
    GDALClose(out);
    GDALVectorTranslateOptionsFree(o);
    GDALClose(in);
    CPLPopErrorHandler();
}

static void assert_contains(const char *s, const char *part)
{
    if (strstr(s, part) == NULL)
        fail_msg("'%s' lacks '%s'", s, part);
}

/* ---- the capture helper ---------------------------------------------- */

static void test_capture_counts_first_failure(void **state)
{
    (void)state;
    am_gdal_init();
    am_gdal_errors e;
    am_gdal_capture_begin(&e);
    CPLError(CE_Warning, CPLE_AppDefined, "just a warning");
    CPLError(CE_Failure, CPLE_FileIO, "first failure %d", 1);
    CPLError(CE_Failure, CPLE_FileIO, "second failure");
    am_gdal_capture_end(&e);
    assert_int_equal(e.n_failures, 2);
    assert_int_equal(e.n_warnings, 1);
    assert_int_equal(e.oom, 0);
    assert_string_equal(e.first, "first failure 1");

    am_gdal_capture_begin(&e); /* begin clears */
    assert_int_equal(e.n_failures, 0);
    assert_string_equal(e.first, "");
    CPLError(CE_Failure, CPLE_OutOfMemory,
             "x.cpp, 12: cannot allocate 9 bytes");
    am_gdal_capture_clear(&e);
    assert_int_equal(e.n_failures, 0);
    assert_int_equal(e.oom, 0);
    CPLError(CE_Failure, CPLE_OutOfMemory,
             "x.cpp, 12: cannot allocate 9 bytes");
    am_gdal_capture_end(&e);
    assert_int_equal(e.n_failures, 1);
    assert_int_equal(e.oom, 1);
}

static void test_capture_nests(void **state)
{
    (void)state;
    am_gdal_init();
    am_gdal_errors outer, inner;
    am_gdal_capture_begin(&outer);
    am_gdal_capture_begin(&inner);
    CPLError(CE_Failure, CPLE_AppDefined, "inner");
    am_gdal_capture_end(&inner);
    CPLError(CE_Failure, CPLE_AppDefined, "outer");
    am_gdal_capture_end(&outer);
    assert_int_equal(inner.n_failures, 1);
    assert_string_equal(inner.first, "inner");
    assert_int_equal(outer.n_failures, 1);
    assert_string_equal(outer.first, "outer");
}

static void test_read_failed_messages(void **state)
{
    (void)state;
    am_gdal_errors e = {1, 0, 0, "boom", NULL, NULL};
    am_error err;
    am_error_clear(&err);
    assert_int_equal(
        am_gdal_read_failed(&e, "r.shp", "lines", "roads", 7, 6, 6, &err),
        AM_ERR_IO);
    assert_string_equal(err.file, "r.shp");
    assert_string_equal(err.layer, "lines");
    assert_int_equal(err.feature, 7);
    assert_contains(err.msg, "damaged or truncated (GDAL: boom)");

    assert_int_equal(
        am_gdal_read_failed(&e, "r.gpkg", "lines", "roads", -1, 41, 40, &err),
        AM_ERR_IO);
    assert_int_equal(err.feature, -1);
    assert_contains(err.msg, "reading stopped after 40 features (last FID 41)");

    e.oom = 1;
    assert_int_equal(
        am_gdal_read_failed(&e, "r.pbf", "lines", "roads", -1, -1, 0, &err),
        AM_ERR_NOMEM);
    assert_contains(err.msg, "out of memory reading roads (GDAL: boom)");
}

static void test_address_space_probe(void **state)
{
    (void)state;
    assert_true(am_gdal_address_space_ok((size_t)1 << 20));
    /* beyond any x86-64 / arm64 user address space */
    assert_false(am_gdal_address_space_ok((size_t)1 << 60));
}

/* ---- roads ------------------------------------------------------------ */

static am_status roads(const char *path, am_error *err)
{
    am_road_options o = {.path = path, .layer = NULL, .where = NULL};
    am_road_network *net = NULL;
    am_error_clear(err);
    am_status rc = am_roads_load(&o, NULL, NULL, &net, err);
    am_road_network_destroy(net);
    return rc;
}

static void test_roads_shp_truncated(void **state)
{
    (void)state;
    char dir[512], shp[600];
    tmp_path(dir, sizeof dir, "shp");
    translate(BAYFRONT, dir, "ESRI Shapefile");
    snprintf(shp, sizeof shp, "%s/lines.shp", dir);
    am_error err;
    assert_int_equal(roads(shp, &err), AM_OK); /* intact: reads */
    truncate_half(shp);
    assert_int_equal(roads(shp, &err), AM_ERR_IO);
    assert_string_equal(err.layer, "lines");
    assert_true(err.feature >= 0);
    assert_contains(err.msg, "feature cannot be read: the file is damaged or "
                             "truncated (GDAL: Error in fread()");
}

static void test_roads_pbf_truncated(void **state)
{
    (void)state;
    char pbf[512];
    tmp_path(pbf, sizeof pbf, "trunc.osm.pbf");
    copy_file(BAYFRONT, pbf);
    truncate_half(pbf);
    am_error err;
    /* was AM_ERR_EMPTY "no routable road (0 features read)" */
    assert_int_equal(roads(pbf, &err), AM_ERR_IO);
    assert_string_equal(err.layer, "lines");
    assert_contains(err.msg, "the file is damaged or truncated (GDAL: ");
}

static void test_roads_gpkg_corrupt(void **state)
{
    (void)state;
    char dir[512], shp[600], gpkg[512];
    tmp_path(dir, sizeof dir, "shp_for_gpkg");
    translate(BAYFRONT, dir, "ESRI Shapefile");
    snprintf(shp, sizeof shp, "%s/lines.shp", dir);
    tmp_path(gpkg, sizeof gpkg, "roads.gpkg");
    translate(shp, gpkg, "GPKG"); /* the lines only: mostly feature pages */
    am_error err;
    am_road_options o = {.path = gpkg, .layer = "lines", .where = NULL};
    am_road_network *net = NULL;
    assert_int_equal(am_roads_load(&o, NULL, NULL, &net, &err), AM_OK);
    int64_t intact = net->n_features;
    am_road_network_destroy(net);
    net = NULL;
    corrupt_at(gpkg, file_size(gpkg) / 2, 8192);
    am_error_clear(&err);
    am_status rc = am_roads_load(&o, NULL, NULL, &net, &err);
    if (rc == AM_OK)
        fail_msg("damaged GeoPackage read: %lld of %lld features",
                 (long long)net->n_features, (long long)intact);
    assert_true(rc == AM_ERR_IO || rc == AM_ERR_FORMAT);
    assert_contains(err.msg, "malformed");
}

/* ---- facilities --------------------------------------------------------- */

static am_status facilities(const char *path, const char *where, am_error *err)
{
    am_facility_options s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.where = where;
    s.default_capacity = 1.0;
    am_facility_set *f = NULL;
    am_error_clear(err);
    am_status rc = am_facilities_load(&s, &f, err);
    am_facility_set_destroy(f);
    return rc;
}

static void test_facilities_gpkg_bad_page(void **state)
{
    (void)state;
    char gpkg[512];
    tmp_path(gpkg, sizeof gpkg, "health.gpkg");
    copy_file(HEALTH_GPKG, gpkg);
    corrupt_at(gpkg, 16 * 4096, 4096); /* a page of feature rows */
    am_error err;
    /* was blamed on the filter: "invalid filter 'where: ...'" */
    assert_int_equal(facilities(gpkg, "amenity = 'hospital'", &err), AM_ERR_IO);
    assert_contains(err.msg, "damaged or truncated (GDAL: ");
    assert_contains(err.msg, "malformed");
    assert_null(strstr(err.msg, "filter"));
    /* a misspelt column is still the filter's fault */
    assert_int_equal(facilities(HEALTH_GPKG, "amenityx = 'x'", &err),
                     AM_ERR_FORMAT);
    assert_contains(err.msg, "invalid filter 'where: amenityx = 'x''");
}

static void test_facilities_shp_truncated(void **state)
{
    (void)state;
    char dir[512], shp[600];
    tmp_path(dir, sizeof dir, "hshp");
    translate(HEALTH_GPKG, dir, "ESRI Shapefile");
    snprintf(shp, sizeof shp, "%s/health.shp", dir);
    am_error err;
    assert_int_equal(facilities(shp, NULL, &err), AM_OK);
    truncate_half(shp);
    assert_int_equal(facilities(shp, NULL, &err), AM_ERR_IO);
    assert_true(err.feature >= 0);
    assert_contains(err.msg, "feature cannot be read");
}

/* ---- population --------------------------------------------------------- */

static void test_population_damaged(void **state)
{
    (void)state;
    char tif[512];
    tmp_path(tif, sizeof tif, "pop.tif");
    am_population_options o = {tif, 1, NULL, 0, NULL};
    am_population *p = NULL;
    am_error err;
    for (int k = 0; k < 2; k++) {
        copy_file(POP_TIF, tif);
        if (k == 0)
            truncate_half(tif);
        else
            corrupt_at(tif, file_size(tif) / 2, 8192);
        am_error_clear(&err);
        assert_int_equal(am_population_load(&o, NULL, NULL, &p, &err),
                         AM_ERR_IO);
        assert_null(p);
        assert_string_equal(err.layer, "band 1");
        assert_contains(err.msg, "cannot read rows 512-1023 (blocks of 1576 x "
                                 "512 cells, block row 1): the raster is "
                                 "damaged or truncated: ");
    }
}

/* ---- issue 13, no surprise access ------------------------------------ */

/* Network paths are told from local ones, nested and joined ones too. */
static void test_path_network(void **state)
{
    (void)state;
    static const struct {
        const char *path, *net;
    } cases[] = {
        {"/vsicurl/https://example.org/p.tif", "/vsicurl"},
        {"/vsicurl_streaming/https://example.org/p.tif", "/vsicurl"},
        {"/vsicurl?url=https%3A%2F%2Fexample.org%2Fp.tif", "/vsicurl"},
        {"/vsis3/bucket/p.tif", "/vsis3"},
        {"/vsis3_streaming/bucket/p.tif", "/vsis3"},
        {"/vsigs/b/p.tif", "/vsigs"},
        {"/vsiaz/c/p.tif", "/vsiaz"},
        {"/vsiadls/c/p.tif", "/vsiadls"},
        {"/vsioss/b/p.tif", "/vsioss"},
        {"/vsiswift/c/p.tif", "/vsiswift"},
        {"/vsiwebhdfs/http://h/p.tif", "/vsiwebhdfs"},
        {"/vsihdfs/hdfs://h/p.tif", "/vsihdfs"},
        {"/vsizip//vsicurl/https://example.org/a.zip/p.tif", "/vsicurl"},
        {"https://example.org/p.tif", "://"},
        {"data/s3://bucket/p.tif", "://"},
        {"/vsizip/data/a.zip/p.tif", NULL},
        {"/vsigzip/roads.geojson.gz", NULL},
        {"data/vsicurl_notes/p.tif", NULL},
        {"/data/vsis3x/p.tif", NULL},
        {"p.tif", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = am_path_network(cases[i].path);
        if ((got == NULL) != (cases[i].net == NULL) ||
            (got != NULL && strcmp(got, cases[i].net) != 0))
            fail_msg("%s: expected %s, got %s", cases[i].path,
                     cases[i].net ? cases[i].net : "local",
                     got ? got : "local");
    }
}

/* Refused unless allowed; allowed, the check leaves it to GDAL. */
static void test_network_refused_unless_allowed(void **state)
{
    (void)state;
    am_error err;
    GDALDatasetH ds = NULL;
    const char *url = "/vsicurl/http://127.0.0.1:9/p.tif";
    assert_int_equal(am_network_allowed(), 0); /* the default */
    assert_int_equal(am_gdal_open(url, AM_GDAL_RASTER, &ds, &err), AM_ERR_IO);
    assert_null(ds);
    assert_string_equal(err.file, url);
    assert_non_null(strstr(err.msg, "allow_network: true"));
    am_network_allow(1);
    assert_int_equal(am_file_check_input(url, 1, &err), AM_OK);
    am_network_allow(0);
    assert_int_equal(am_file_check_input(url, 1, &err), AM_ERR_IO);
}

/* GDAL's configuration is ours, whatever the environment says. */
static void test_gdal_config_forced(void **state)
{
    (void)state;
    setenv("GDAL_VRT_ENABLE_PYTHON", "YES", 1);
    setenv("GDAL_DRIVER_PATH", TMP_DIR, 1);
    am_gdal_init();
    assert_string_equal(CPLGetConfigOption("GDAL_VRT_ENABLE_PYTHON", ""), "NO");
    assert_string_equal(CPLGetConfigOption("GDAL_DRIVER_PATH", ""), "disable");
    assert_string_equal(CPLGetConfigOption("GDAL_VRT_ENABLE_RAWRASTERBAND", ""),
                        "NO");
    /* PROJ's network, as GDAL's CRS code uses it */
    assert_int_equal(OSRGetPROJEnableNetwork(), 0);
    unsetenv("GDAL_VRT_ENABLE_PYTHON");
    unsetenv("GDAL_DRIVER_PATH");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Each kind opens with its drivers only; a VRT's sources are checked. */
static void test_drivers_per_kind(void **state)
{
    (void)state;
    am_error err;
    GDALDatasetH ds = NULL;
    mkdir(TMP_DIR, 0755);
    /* the demo's GeoTIFF: a raster, not roads */
    assert_int_equal(am_gdal_open(POP_TIF, AM_GDAL_RASTER, &ds, &err), AM_OK);
    GDALClose(ds);
    assert_int_equal(am_gdal_open(POP_TIF, AM_GDAL_VECTOR, &ds, &err),
                     AM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "GeoTIFF"));
    assert_non_null(strstr(err.msg, "as a vector input"));
    /* the demo's GeoPackage: facilities (table kind) and vector */
    assert_int_equal(am_gdal_open(HEALTH_GPKG, AM_GDAL_TABLE, &ds, &err),
                     AM_OK);
    GDALClose(ds);
    /* an HTML page named .tif */
    const char *html = TMP_DIR "/page.tif";
    write_file(html, "<!DOCTYPE html><html><body>404</body></html>\n");
    assert_int_equal(am_gdal_open(html, AM_GDAL_RASTER, &ds, &err),
                     AM_ERR_FORMAT);
    assert_null(ds);
    /* a VRT of /etc/passwd (a plain source, then a raw band) */
    const char *vrt = TMP_DIR "/passwd.vrt";
    write_file(vrt, "<VRTDataset rasterXSize=\"2\" rasterYSize=\"2\">"
                    "<VRTRasterBand dataType=\"Byte\" band=\"1\">"
                    "<SimpleSource><SourceFilename>/etc/passwd"
                    "</SourceFilename><SourceBand>1</SourceBand>"
                    "</SimpleSource></VRTRasterBand></VRTDataset>\n");
    assert_int_equal(am_gdal_open(vrt, AM_GDAL_RASTER, &ds, &err),
                     AM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "'/etc/passwd'"));
    write_file(vrt, "<VRTDataset rasterXSize=\"8\" rasterYSize=\"8\">"
                    "<VRTRasterBand dataType=\"Byte\" band=\"1\" "
                    "subClass=\"VRTRawRasterBand\"><SourceFilename>"
                    "/etc/passwd</SourceFilename><ImageOffset>0"
                    "</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>8"
                    "</LineOffset></VRTRasterBand></VRTDataset>\n");
    assert_int_equal(am_gdal_open(vrt, AM_GDAL_RASTER, &ds, &err),
                     AM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "VRTRawRasterBand"));
    /* a VRT of the demo's GeoTIFF opens */
    write_file(vrt, "<VRTDataset rasterXSize=\"1576\" rasterYSize=\"1270\">"
                    "<VRTRasterBand dataType=\"Float32\" band=\"1\">"
                    "<SimpleSource><SourceFilename>" POP_TIF
                    "</SourceFilename><SourceBand>1</SourceBand>"
                    "</SimpleSource></VRTRasterBand></VRTDataset>\n");
    assert_int_equal(am_gdal_open(vrt, AM_GDAL_RASTER, &ds, &err), AM_OK);
    GDALClose(ds);
    unlink(vrt);
    unlink(html);
}

/* The raster cell limit: refused above it, read at it. */
static void test_raster_cell_limit(void **state)
{
    (void)state;
    am_error err;
    GDALDatasetH ds = NULL;
    am_input_limits l = {1576LL * 1270 - 1, 0, 0};
    am_input_limits_set(&l);
    assert_int_equal(am_gdal_open(POP_TIF, AM_GDAL_RASTER, &ds, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "1576 x 1270 = 2001520 cells"));
    assert_non_null(strstr(err.msg, "limits: {raster_cells: N}"));
    l.raster_cells = 1576LL * 1270;
    am_input_limits_set(&l);
    assert_int_equal(am_gdal_open(POP_TIF, AM_GDAL_RASTER, &ds, &err), AM_OK);
    GDALClose(ds);
    am_input_limits_set(NULL);
    assert_true(am_input_limits_get().raster_cells ==
                AM_LIMIT_RASTER_CELLS_DEFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_network),
        cmocka_unit_test(test_network_refused_unless_allowed),
        cmocka_unit_test(test_gdal_config_forced),
        cmocka_unit_test(test_drivers_per_kind),
        cmocka_unit_test(test_raster_cell_limit),
        cmocka_unit_test(test_capture_counts_first_failure),
        cmocka_unit_test(test_capture_nests),
        cmocka_unit_test(test_read_failed_messages),
        cmocka_unit_test(test_address_space_probe),
        cmocka_unit_test(test_roads_shp_truncated),
        cmocka_unit_test(test_roads_pbf_truncated),
        cmocka_unit_test(test_roads_gpkg_corrupt),
        cmocka_unit_test(test_facilities_gpkg_bad_page),
        cmocka_unit_test(test_facilities_shp_truncated),
        cmocka_unit_test(test_population_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
