/*
 * test_input_files.c: inputs/input_files, every file GDAL reads for an
 * input: a shapefile's parts as spelled on disk (upper case too), a VRT's
 * sources and the sources of a VRT it reads (a band mask's too), a .msk
 * mask file, a world file, the files of a
 * folder dataset; a FIFO among them refused (it would block the reader);
 * a file GDAL cannot open listed alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inputs/input_files.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/am-input-files-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    GDALAllRegister();
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void at(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* Whether the list holds a file ending in "/name". */
static int listed(char **files, int n, const char *name)
{
    size_t k = strlen(name);
    for (int i = 0; i < n; i++) {
        size_t m = strlen(files[i]);
        if (m > k && strcmp(files[i] + m - k, name) == 0 &&
            files[i][m - k - 1] == '/')
            return 1;
    }
    return 0;
}

/* A 4x4 Byte GeoTIFF; options as for GDALCreate. */
static void make_tif(const char *path, char **options, int georef)
{
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    assert_non_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, 4, 4, 1, GDT_Byte, options);
    assert_non_null(ds);
    double gt[6] = {10, 1, 0, 20, 0, -1};
    if (georef)
        assert_int_equal(GDALSetGeoTransform(ds, gt), CE_None);
    GDALClose(ds);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void vrt_of(const char *vrt, const char *source)
{
    char xml[1024];
    snprintf(xml, sizeof xml,
             "<VRTDataset rasterXSize=\"4\" rasterYSize=\"4\">\n"
             "  <VRTRasterBand dataType=\"Byte\" band=\"1\">\n"
             "    <SimpleSource>\n"
             "      <SourceFilename relativeToVRT=\"1\">%s</SourceFilename>\n"
             "      <SourceBand>1</SourceBand>\n"
             "      <SourceProperties RasterXSize=\"4\" RasterYSize=\"4\" "
             "DataType=\"Byte\" BlockXSize=\"4\" BlockYSize=\"4\"/>\n"
             "    </SimpleSource>\n"
             "  </VRTRasterBand>\n"
             "</VRTDataset>\n",
             source);
    write_text(vrt, xml);
}

static void test_vrt_sources(void **state)
{
    (void)state;
    char src[300], vrt[300], top[300], fifo[300], bad[300];
    char **files = NULL;
    int n = 0;
    am_error err;
    at(src, sizeof src, "src.tif");
    at(vrt, sizeof vrt, "pop.vrt");
    at(top, sizeof top, "top.vrt");
    make_tif(src, NULL, 1);
    vrt_of(vrt, "src.tif");
    vrt_of(top, "pop.vrt");

    assert_int_equal(am_input_files(vrt, &files, &n, &err), AM_OK);
    assert_string_equal(files[0], vrt);
    assert_true(listed(files, n, "src.tif"));
    am_input_files_free(files, n);

    /* GDAL lists a VRT's sources, not theirs: walked here */
    assert_int_equal(am_input_files(top, &files, &n, &err), AM_OK);
    assert_true(listed(files, n, "pop.vrt"));
    assert_true(listed(files, n, "src.tif"));
    am_input_files_free(files, n);

    /* a FIFO as a source is refused, never opened */
    at(fifo, sizeof fifo, "fifo.tif");
    at(bad, sizeof bad, "bad.vrt");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    vrt_of(bad, "fifo.tif");
    assert_int_equal(am_input_files(bad, &files, &n, &err), AM_ERR_IO);
    assert_null(files);
    assert_non_null(strstr(err.msg, "FIFO"));
    assert_non_null(strstr(err.file, "fifo.tif"));
}

static void test_world_file(void **state)
{
    (void)state;
    char tif[300], tfw[300];
    char **files = NULL;
    int n = 0;
    am_error err;
    at(tif, sizeof tif, "w.tif");
    at(tfw, sizeof tfw, "w.tfw");
    make_tif(tif, NULL, 0);
    write_text(tfw, "1\n0\n0\n-1\n10.5\n19.5\n");
    assert_int_equal(am_input_files(tif, &files, &n, &err), AM_OK);
    assert_true(listed(files, n, "w.tfw"));
    am_input_files_free(files, n);
}

/*
 * A raster's mask in a .msk side file is read with it (population masks):
 * listed, so that an output named like it is refused. So are the files of
 * a VRT band's own <MaskBand>. (A VRT source's own .msk is not opened
 * here: the run's guard covers every listed file's side files by name,
 * common/file_check.h.)
 */
static void test_mask_files(void **state)
{
    (void)state;
    char tif[300], msk[300], vrt[300], mtif[300];
    char **files = NULL;
    int n = 0;
    am_error err;
    at(tif, sizeof tif, "m.tif");
    at(msk, sizeof msk, "m.tif.msk");
    make_tif(tif, NULL, 1);
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "NO");
    GDALDatasetH ds = GDALOpen(tif, GA_Update);
    assert_non_null(ds);
    assert_int_equal(GDALCreateDatasetMaskBand(ds, GMF_PER_DATASET), CE_None);
    GDALClose(ds);
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", NULL);
    assert_int_equal(access(msk, F_OK), 0);
    assert_int_equal(am_input_files(tif, &files, &n, &err), AM_OK);
    assert_true(listed(files, n, "m.tif.msk"));
    am_input_files_free(files, n);

    at(vrt, sizeof vrt, "masked.vrt");
    at(mtif, sizeof mtif, "maskband.tif");
    make_tif(mtif, NULL, 1);
    write_text(vrt,
               "<VRTDataset rasterXSize=\"4\" rasterYSize=\"4\">\n"
               " <VRTRasterBand dataType=\"Byte\" band=\"1\">\n"
               "  <SimpleSource><SourceFilename relativeToVRT=\"1\">m.tif"
               "</SourceFilename><SourceBand>1</SourceBand></SimpleSource>\n"
               "  <MaskBand><VRTRasterBand dataType=\"Byte\">\n"
               "   <SimpleSource><SourceFilename relativeToVRT=\"1\">"
               "maskband.tif</SourceFilename><SourceBand>1</SourceBand>"
               "</SimpleSource>\n"
               "  </VRTRasterBand></MaskBand>\n"
               " </VRTRasterBand>\n"
               "</VRTDataset>\n");
    assert_int_equal(am_input_files(vrt, &files, &n, &err), AM_OK);
    assert_true(listed(files, n, "m.tif"));
    assert_true(listed(files, n, "maskband.tif"));
    am_input_files_free(files, n);
}

static void test_shapefile_parts(void **state)
{
    (void)state;
    char sub[300], shp[300], from[320], to[320];
    char **files = NULL;
    int n = 0;
    am_error err;
    at(sub, sizeof sub, "shp");
    assert_int_equal(mkdir(sub, 0700), 0);
    at(shp, sizeof shp, "shp/lines.shp");
    GDALDriverH drv = GDALGetDriverByName("ESRI Shapefile");
    assert_non_null(drv);
    GDALDatasetH ds = GDALCreate(drv, shp, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    assert_non_null(
        GDALDatasetCreateLayer(ds, "lines", NULL, wkbLineString, NULL));
    GDALClose(ds);

    /* the folder: its shapefile's files */
    assert_int_equal(am_input_files(sub, &files, &n, &err), AM_OK);
    assert_string_equal(files[0], sub);
    assert_true(listed(files, n, "lines.dbf"));
    assert_true(listed(files, n, "lines.shx"));
    am_input_files_free(files, n);

    /* parts spelled in upper case, as on disk */
    const char *ext[] = {"shp", "shx", "dbf", NULL};
    const char *up[] = {"SHP", "SHX", "DBF", NULL};
    for (int i = 0; ext[i] != NULL; i++) {
        snprintf(from, sizeof from, "%s/lines.%s", sub, ext[i]);
        snprintf(to, sizeof to, "%s/LINES.%s", sub, up[i]);
        assert_int_equal(rename(from, to), 0);
    }
    snprintf(to, sizeof to, "%s/LINES.SHP", sub);
    assert_int_equal(am_input_files(to, &files, &n, &err), AM_OK);
    assert_true(listed(files, n, "LINES.DBF"));
    assert_true(listed(files, n, "LINES.SHX"));
    am_input_files_free(files, n);
}

static void test_unreadable_and_missing(void **state)
{
    (void)state;
    char junk[300];
    char **files = NULL;
    int n = 0;
    am_error err;
    at(junk, sizeof junk, "junk.tif");
    write_text(junk, "not a raster");
    assert_int_equal(am_input_files(junk, &files, &n, &err), AM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(files[0], junk);
    am_input_files_free(files, n);
    at(junk, sizeof junk, "missing.tif");
    assert_int_equal(am_input_files(junk, &files, &n, &err), AM_ERR_IO);
    assert_null(files);
    assert_int_equal(n, 0);
    am_input_files_free(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vrt_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_world_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mask_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shapefile_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_and_missing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
