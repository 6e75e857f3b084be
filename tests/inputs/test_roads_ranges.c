/*
 * test_roads_ranges.c: the road loader reads GeoPackage, Shapefile and
 * FlatGeobuf layers in FID ranges on several threads, one GDAL dataset
 * per thread, and adds the ranges in FID order (inputs/roads.c, issue 8).
 * Built here with ranges of 7 FIDs from 16 features on (the loader's
 * default: 2048 FIDs from 16,384), so that the Comoros road layer spans
 * thousands of ranges and many groups, and loaded with 1 thread (the
 * sequential read) and 2 and 3: every array, count and warning must be
 * the same, and a damaged feature in a later range must give the same
 * error (file, layer, feature, message) as the sequential read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gdal_utils.h>

#include "inputs/roads.h"

#define GEOJSON "/vsigzip/" AM_TEST_DATA "/comoros_roads/roads.geojson.gz"
#define OUT AM_BINARY_DIR "/tests/inputs/roads_ranges"

/* ogr2ogr -f FORMAT dst GEOJSON (dst replaced). */
static void translate(const char *dst, const char *format)
{
    char *argv[] = {"-f", (char *)format, "-nln", "roads", NULL};
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/bad' && rm -rf '%s'", OUT, dst);
    assert_int_equal(system(cmd), 0);
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH in = GDALOpenEx(GEOJSON, GDAL_OF_VECTOR, NULL, NULL, NULL);
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

static void arrays_equal(const am_road_network *a, const am_road_network *b)
{
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_int_equal(a->n_arcs, b->n_arcs);
    const size_t nn = (size_t)a->n_nodes, na = (size_t)a->n_arcs;
    assert_memory_equal(a->lon, b->lon, nn * sizeof *a->lon);
    assert_memory_equal(a->lat, b->lat, nn * sizeof *a->lat);
    assert_memory_equal(a->tail, b->tail, na * sizeof *a->tail);
    assert_memory_equal(a->head, b->head, na * sizeof *a->head);
    assert_memory_equal(a->time_ds, b->time_ds, na * sizeof *a->time_ds);
    assert_memory_equal(a->len_m, b->len_m, na * sizeof *a->len_m);
    assert_memory_equal(a->arc_flags, b->arc_flags, na);
    assert_memory_equal(&a->n_features, &b->n_features,
                        sizeof *a - offsetof(am_road_network, n_features));
}

/* Loads o with 1, 2 and 3 threads: the same network and warnings. */
static void load_all(am_road_options *o, int64_t min_features)
{
    am_road_network *first = NULL;
    am_warnings first_w;
    am_warnings_init(&first_w, NULL, NULL);
    for (int t = 1; t <= 3; t++) {
        am_warnings w;
        am_warnings_init(&w, NULL, NULL);
        o->warnings = &w;
        o->threads = t;
        am_error err;
        am_error_clear(&err);
        am_road_network *n = NULL;
        assert_int_equal(am_roads_load(o, NULL, NULL, &n, &err), AM_OK);
        assert_true(n->n_features >= min_features);
        if (first == NULL) {
            first = n;
            first_w = w;
            continue;
        }
        arrays_equal(first, n);
        assert_int_equal(w.count, first_w.count);
        assert_int_equal(w.n, first_w.n);
        for (size_t i = 0; i < w.n; i++)
            assert_string_equal(w.msg[i], first_w.msg[i]);
        am_road_network_destroy(n);
        am_warnings_clear(&w);
    }
    am_road_network_destroy(first);
    am_warnings_clear(&first_w);
}

/* The car profile (tags from fields) and a class mapping with unlisted
 * classes (a warning naming the first features and classes). */
static void formats(const char *path, const char *format)
{
    translate(path, format);
    am_road_options o = {.path = path};
    load_all(&o, 1000);
    static const am_road_class_speed some[] = {
        {"primary", 60.0}, {"secondary", 50.0}, {"residential", 25.0}};
    am_road_options m = {.path = path};
    m.speed_source = AM_ROAD_SPEED_CLASS;
    m.speed_field = "highway";
    m.class_speeds = some;
    m.n_class_speeds = 3;
    load_all(&m, 1000);
}

static void gpkg(void **state)
{
    (void)state;
    formats(OUT "/roads.gpkg", "GPKG");
}

static void shapefile(void **state)
{
    (void)state;
    formats(OUT "/roads.shp", "ESRI Shapefile");
}

static void flatgeobuf(void **state)
{
    (void)state;
    formats(OUT "/roads.fgb", "FlatGeobuf");
}

/* GeoPackages whose FIDs are not dense: a huge gap (ranges over the span
 * would be ~10^11 empty queries) and extreme FIDs (a span that overflows
 * 64 bits). Both are read as a serial read reads them, every feature, at
 * any thread count. */
static void sparse_fids(const char *path, const char *update)
{
    translate(path, "GPKG");
    GDALDatasetH ds =
        GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = OGR_DS_GetLayer(ds, 0);
    const GIntBig count = OGR_L_GetFeatureCount(l, TRUE);
    assert_true(count > 1000);
    OGRLayerH r = GDALDatasetExecuteSQL(ds, update, NULL, NULL);
    if (r != NULL)
        GDALDatasetReleaseResultSet(ds, r);
    GDALClose(ds);
    am_road_options o = {.path = path};
    load_all(&o, count);
    /* every feature read, none lost or read twice */
    am_error err;
    am_error_clear(&err);
    am_road_network *n = NULL;
    o.threads = 2;
    assert_int_equal(am_roads_load(&o, NULL, NULL, &n, &err), AM_OK);
    assert_int_equal(n->n_features, count);
    am_road_network_destroy(n);
}

static void gpkg_fid_gap(void **state)
{
    (void)state;
    sparse_fids(OUT "/gap.gpkg",
                "UPDATE roads SET fid = fid + 1000000000000 WHERE fid > 1000");
}

static void gpkg_fid_extremes(void **state)
{
    (void)state;
    sparse_fids(OUT "/extremes.gpkg",
                "UPDATE roads SET fid = CASE WHEN fid = 1 THEN "
                "-9223372036854775000 WHEN fid = 2 THEN 9223372036854775000 "
                "ELSE fid END");
}

/* A GeoPackage whose gpkg_ogr_contents.feature_count is forged (the fast
 * count GDAL trusts) so that a huge FID gap looks dense: read as the
 * serial read reads it, not in ~10^11 empty ranges (a hang). */
static void gpkg_forged_count(void **state)
{
    (void)state;
    const char *path = OUT "/forged.gpkg";
    translate(path, "GPKG");
    GDALDatasetH ds =
        GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    assert_non_null(ds);
    const GIntBig count = OGR_L_GetFeatureCount(OGR_DS_GetLayer(ds, 0), TRUE);
    assert_true(count > 1000);
    const char *sql[] = {
        "UPDATE roads SET fid = fid + 1000000000000 WHERE fid > 1000",
        "UPDATE gpkg_ogr_contents SET feature_count = 4611686018427387904"};
    for (int i = 0; i < 2; i++) {
        OGRLayerH r = GDALDatasetExecuteSQL(ds, sql[i], NULL, NULL);
        if (r != NULL)
            GDALDatasetReleaseResultSet(ds, r);
    }
    GDALClose(ds);
    /* the forged count is what GDAL reports */
    ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_true(OGR_L_GetFeatureCount(OGR_DS_GetLayer(ds, 0), FALSE) >
                ((GIntBig)1 << 61));
    GDALClose(ds);
    am_road_options o = {.path = path};
    load_all(&o, count);
    am_error err;
    am_error_clear(&err);
    am_road_network *n = NULL;
    o.threads = 2;
    assert_int_equal(am_roads_load(&o, NULL, NULL, &n, &err), AM_OK);
    assert_int_equal(n->n_features, count);
    am_road_network_destroy(n);
}

/* A Shapefile whose record `rec` claims more points than it holds: the
 * error names that feature, whatever the thread count. */
static void damaged_feature(void **state)
{
    (void)state;
    const char *shp = OUT "/bad/roads.shp";
    translate(shp, "ESRI Shapefile");
    const long rec = 4321; /* in a later range and a later group */
    FILE *f = fopen(OUT "/bad/roads.shx", "rb");
    assert_non_null(f);
    unsigned char off[4];
    assert_int_equal(fseek(f, 100 + 8 * rec, SEEK_SET), 0);
    assert_int_equal(fread(off, 1, 4, f), 4);
    fclose(f);
    /* the record (ESRI Shapefile Technical Description, 1998): a header
     * of 8 bytes, then type, box, NumParts and NumPoints (little-endian) */
    const long at =
        2L * (long)((uint32_t)off[0] << 24 | (uint32_t)off[1] << 16 |
                    (uint32_t)off[2] << 8 | (uint32_t)off[3]);
    f = fopen(shp, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, at + 8 + 4 + 32 + 4, SEEK_SET), 0);
    const unsigned char huge[4] = {0x00, 0xff, 0xff, 0x7f};
    assert_int_equal(fwrite(huge, 1, 4, f), 4);
    assert_int_equal(fclose(f), 0);
    am_error first;
    for (int t = 1; t <= 3; t++) {
        am_road_options o = {.path = shp};
        o.threads = t;
        am_error err;
        am_error_clear(&err);
        am_road_network *n = NULL;
        am_status rc = am_roads_load(&o, NULL, NULL, &n, &err);
        assert_int_not_equal(rc, AM_OK);
        assert_null(n);
        if (t == 1) {
            first = err;
            if (err.code != AM_ERR_IO || err.feature != rec)
                fail_msg("serial: feature %lld: %s", err.feature, err.msg);
            continue;
        }
        if (err.code != first.code)
            fail_msg("threads %d: %s (serial: %s)", t, err.msg, first.msg);
        assert_int_equal(err.code, first.code);
        assert_string_equal(err.file, first.file);
        assert_string_equal(err.layer, first.layer);
        assert_int_equal(err.feature, first.feature);
        assert_string_equal(err.msg, first.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gpkg),
        cmocka_unit_test(shapefile),
        cmocka_unit_test(flatgeobuf),
        cmocka_unit_test(damaged_feature),
        cmocka_unit_test(gpkg_fid_gap),
        cmocka_unit_test(gpkg_fid_extremes),
        cmocka_unit_test(gpkg_forged_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
