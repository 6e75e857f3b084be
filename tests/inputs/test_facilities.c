/*
 * test_facilities.c: facility points from OGR sources.
 *
 * Real data: the Comoros OSM health points (data/comoros/health.gpkg, 70
 * features: 28 hospital, 8 clinic, 3 doctors, 24 pharmacy, 7 null; see
 * NOTICE for source and licence). Hand-made fixtures (CSV,
 * GeoJSON, a GPKG in EPSG:3857) are written into a temporary folder by the
 * tests themselves, so that their content sits next to the assertions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strutil.h"
#include "inputs/facilities.h"
#include "inputs/gdal_util.h"

#define HEALTH_GPKG AM_DEMO_DATA "/comoros/health.gpkg"
#define POP_TIF AM_DEMO_DATA "/comoros/com_ppp_2020_UNadj.tif"

static char tmp_dir[] = "/tmp/am_facilities_XXXXXX";
static char tmp_files[32][512];
static int n_tmp_files;

/* A path in the temporary folder, removed at teardown. */
static const char *tmp_path(const char *name)
{
    assert_true(n_tmp_files < 32);
    char *p = tmp_files[n_tmp_files++];
    snprintf(p, sizeof tmp_files[0], "%s/%s", tmp_dir, name);
    return p;
}

static const char *write_tmp(const char *name, const char *text)
{
    const char *p = tmp_path(name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    return p;
}

static int setup(void **state)
{
    (void)state;
    am_gdal_init();
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < n_tmp_files; i++)
        unlink(tmp_files[i]);
    return rmdir(tmp_dir);
}

/* Loader options with the defaults of the scenario file. */
static am_facility_options source(const char *path)
{
    am_facility_options s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.default_capacity = 1.0;
    return s;
}

static am_status load(const am_facility_options *src, am_facility_set **out,
                      am_error *e)
{
    am_error_clear(e);
    *out = (am_facility_set *)1;
    am_status rc = am_facilities_load(src, out, e);
    if (rc != AM_OK) {
        assert_null(*out);
        char buf[2048];
        print_message("    (expected) %s\n",
                      am_error_format(e, buf, sizeof buf));
    }
    return rc;
}

static int count_class(const am_facility_set *f, const char *klass)
{
    int n = 0;
    for (int32_t i = 0; i < f->n; i++)
        n += strcmp(f->klass[i], klass) == 0;
    return n;
}

static void test_comoros_all(void **state)
{
    (void)state;
    am_facility_options src = source(HEALTH_GPKG);
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 70);
    assert_int_equal(f->n_read, 70);
    assert_int_equal(f->n_no_geometry, 0);
    /* class_field defaults to "amenity", name_field to "name". */
    assert_int_equal(count_class(f, "hospital"), 28);
    assert_int_equal(count_class(f, "clinic"), 8);
    assert_int_equal(count_class(f, "doctors"), 3);
    assert_int_equal(count_class(f, "pharmacy"), 24);
    assert_int_equal(count_class(f, ""), 7);
    assert_int_equal(f->fid[0], 1);
    assert_string_equal(f->id[0], "1");
    assert_string_equal(f->name[0], "Pharmacie Anjouanaise");
    assert_string_equal(f->klass[0], "pharmacy");
    /* WGS 84 in lon, lat order (the GPKG is EPSG:4326). */
    assert_float_equal(f->lon[0], 44.3998749, 1e-9);
    assert_float_equal(f->lat[0], -12.1635392, 1e-9);
    for (int32_t i = 0; i < f->n; i++) {
        assert_true(f->capacity[i] == 1.0);
        assert_true(f->lon[i] > 43.2 && f->lon[i] < 44.5);
        assert_true(f->lat[i] > -12.4 && f->lat[i] < -11.3);
    }
    am_facility_set_destroy(f);
}

static void test_comoros_filter_capacity(void **state)
{
    (void)state;
    am_facility_class_capacity table[] = {{"hospital", 10.0}, {"clinic", 2.0}};
    am_facility_options src = source(HEALTH_GPKG);
    src.layer = "health";
    src.where = "amenity IN ('hospital','clinic')";
    src.class_capacity = table;
    src.n_class_capacity = 2;
    src.default_capacity = 7.0;
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 36);
    assert_int_equal(f->n_read, 36);
    assert_int_equal(count_class(f, "hospital"), 28);
    assert_int_equal(count_class(f, "clinic"), 8);
    double total = 0.0;
    for (int32_t i = 0; i < f->n; i++) {
        double want = strcmp(f->klass[i], "hospital") == 0 ? 10.0 : 2.0;
        assert_true(f->capacity[i] == want);
        total += f->capacity[i];
    }
    assert_true(total == 28 * 10.0 + 8 * 2.0);
    am_facility_set_destroy(f);

    /* Classes outside the table get the default. */
    src.where = "amenity = 'pharmacy'";
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 24);
    assert_true(f->capacity[0] == 7.0);
    am_facility_set_destroy(f);
}

static void test_comoros_errors(void **state)
{
    (void)state;
    am_facility_options src = source(HEALTH_GPKG);
    am_facility_set *f = NULL;
    am_error e;

    src.where = "amenity = 'dentist'";
    assert_int_equal(load(&src, &f, &e), AM_ERR_EMPTY);
    assert_string_equal(e.file, HEALTH_GPKG);
    assert_string_equal(e.layer, "health");
    assert_string_equal(e.msg, "no facility left after the filter 'amenity "
                               "= 'dentist'' in layer 'health' (70 features "
                               "in layer)");

    src.where = "amenity IN ('hospital'";
    assert_int_equal(load(&src, &f, &e), AM_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "amenity IN ('hospital'"));
    src.where = "no_such_column = 3";
    assert_int_equal(load(&src, &f, &e), AM_ERR_FORMAT);
    assert_non_null(
        strstr(e.msg, "invalid filter 'where: no_such_column = 3'"));
    assert_non_null(strstr(e.msg, "fields in the layer: name, amenity"));
    src.where = NULL;

    src.capacity_field = "beds";
    assert_int_equal(load(&src, &f, &e), AM_ERR_FORMAT);
    assert_string_equal(e.layer, "health");
    assert_non_null(strstr(e.msg, "no field 'beds' (capacity_field)"));
    assert_non_null(strstr(e.msg, "fields in the layer: name, amenity, "));
    src.capacity_field = NULL;
    src.class_field = "type";
    assert_int_equal(load(&src, &f, &e), AM_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "no field 'type' (class_field)"));
    src.class_field = NULL;

    /* A text field as capacity: non-numeric values are an error. */
    src.capacity_field = "amenity";
    assert_int_equal(load(&src, &f, &e), AM_ERR_INVALID);
    assert_int_equal(e.feature, 1);
    assert_non_null(strstr(e.msg, "'pharmacy'"));
    src.capacity_field = NULL;

    src.layer = "clinics";
    assert_int_equal(load(&src, &f, &e), AM_ERR_FORMAT);
    assert_string_equal(e.msg, "no layer 'clinics' (layers in the file: "
                               "'health')");
    assert_string_equal(e.layer, "clinics");
    src.layer = NULL;

    am_facility_options missing = source(AM_DEMO_DATA "/comoros/nope.gpkg");
    assert_int_equal(load(&missing, &f, &e), AM_ERR_IO);
    assert_non_null(strstr(e.file, "nope.gpkg"));
    am_facility_options raster = source(POP_TIF);
    assert_int_equal(load(&raster, &f, &e), AM_ERR_FORMAT);
    assert_string_equal(e.file, POP_TIF);
}

static void test_csv_lonlat(void **state)
{
    (void)state;
    const char *csv =
        write_tmp("sites.csv", "code,label,kind,lon,lat,beds\n"
                               "A1,Site one,hospital,43.25,-11.70,12\n"
                               "A2,Site two,clinic,43.50,-11.90,\n"
                               "A3,No position,clinic,,,4\n"
                               "A4,Site four,post, 44.1 ,-12.2,0\n");
    am_facility_class_capacity table[] = {{"clinic", 3.0}};
    am_facility_options src = source(csv);
    src.x_field = "lon";
    src.y_field = "lat";
    src.id_field = "code";
    src.name_field = "label";
    src.class_field = "kind";
    src.capacity_field = "beds";
    src.class_capacity = table;
    src.n_class_capacity = 1;
    src.default_capacity = 0.5;
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->n_read, 4);
    assert_int_equal(f->n_no_geometry, 1);
    assert_string_equal(f->id[0], "A1");
    assert_string_equal(f->name[0], "Site one");
    assert_string_equal(f->klass[0], "hospital");
    assert_float_equal(f->lon[0], 43.25, 1e-12);
    assert_float_equal(f->lat[0], -11.70, 1e-12);
    assert_true(f->capacity[0] == 12.0);
    /* Empty beds: falls back to the class table. */
    assert_string_equal(f->id[1], "A2");
    assert_true(f->capacity[1] == 3.0);
    assert_string_equal(f->id[2], "A4");
    assert_float_equal(f->lon[2], 44.1, 1e-12);
    assert_true(f->capacity[2] == 0.0);
    am_facility_set_destroy(f);

    /* Without x_field/y_field, lon/lat columns are found by name. */
    am_facility_options plain = source(csv);
    assert_int_equal(load(&plain, &f, &e), AM_OK);
    assert_int_equal(f->n, 3);
    assert_string_equal(f->name[0], "");
    assert_true(f->capacity[0] == 1.0);
    am_facility_set_destroy(f);

    /* Swapped columns give latitudes out of range. */
    src.x_field = "lat";
    src.y_field = "lon";
    src.capacity_field = NULL;
    src.class_capacity = NULL;
    src.n_class_capacity = 0;
    assert_int_equal(load(&src, &f, &e), AM_OK); /* |lon| <= 90: valid */
    am_facility_set_destroy(f);
    const char *far = write_tmp("far.csv", "lon,lat\n120.5,-11.7\n");
    am_facility_options swapped = source(far);
    swapped.x_field = "lat";
    swapped.y_field = "lon";
    assert_int_equal(load(&swapped, &f, &e), AM_ERR_INVALID);
    assert_non_null(strstr(e.msg, "swapped"));

    const char *bad = write_tmp("bad.csv", "lon,lat,beds\n43.2,-11.7,2\n"
                                           "43.3,-11.8,-5\n"
                                           "x43,-11.8,1\n");
    am_facility_options neg = source(bad);
    neg.capacity_field = "beds";
    neg.where = "lon <> 'x43'";
    assert_int_equal(load(&neg, &f, &e), AM_ERR_INVALID);
    assert_int_equal(e.feature, 2); /* CSV FIDs count data rows from 1 */
    assert_non_null(strstr(e.msg, "negative capacity -5 in field 'beds'"));
    assert_non_null(strstr(e.layer, "bad"));
    /* CSV columns are strings: OGR SQL rejects the comparison up front. */
    neg.where = "beds > 0";
    assert_int_equal(load(&neg, &f, &e), AM_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "invalid filter 'where: beds > 0'"));
    neg.where = NULL;
    neg.capacity_field = NULL;
    assert_int_equal(load(&neg, &f, &e), AM_ERR_INVALID);
    assert_int_equal(e.feature, 3);
    assert_non_null(strstr(e.msg, "coordinate field 'lon' is not a number: "
                                  "'x43'"));

    const char *nocoord = write_tmp("nocoord.csv", "name,beds\na,1\n");
    am_facility_options nc = source(nocoord);
    assert_int_equal(load(&nc, &f, &e), AM_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "set x_field and y_field"));
    assert_non_null(strstr(e.msg, "name, beds"));
    nc.x_field = "lon";
    nc.y_field = "lat";
    assert_int_equal(load(&nc, &f, &e), AM_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "no field 'lon' (x_field)"));
}

/* A CSV with a WKT geometry column has geometries but no CRS. */
static void test_no_crs(void **state)
{
    (void)state;
    const char *csv = write_tmp("wkt.csv", "WKT,name\n"
                                           "\"POINT (43.3 -11.6)\",a\n"
                                           "\"POINT (43.4 -11.7)\",b\n");
    am_facility_options src = source(csv);
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_ERR_CRS);
    assert_non_null(strstr(e.msg, "'crs'"));
    src.crs = "EPSG:4326";
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 2);
    assert_float_equal(f->lon[1], 43.4, 1e-12);
    assert_float_equal(f->lat[1], -11.7, 1e-12);
    am_facility_set_destroy(f);
    src.crs = "EPSG:999999";
    assert_int_equal(load(&src, &f, &e), AM_ERR_CRS);
}

static void test_geojson(void **state)
{
    (void)state;
    const char *gj = write_tmp(
        "health.geojson",
        "{\"type\": \"FeatureCollection\", \"features\": [\n"
        "{\"type\": \"Feature\", \"id\": 10, \"properties\": {\"name\": "
        "\"H\", \"amenity\": \"hospital\", \"beds\": 40},\n"
        " \"geometry\": {\"type\": \"Point\", \"coordinates\": [7.42, "
        "43.73]}},\n"
        "{\"type\": \"Feature\", \"id\": 11, \"properties\": {\"name\": "
        "\"P\", \"amenity\": \"pharmacy\", \"beds\": null},\n"
        " \"geometry\": null},\n"
        "{\"type\": \"Feature\", \"id\": 12, \"properties\": {\"name\": "
        "\"C\", \"amenity\": \"clinic\", \"beds\": null},\n"
        " \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[7.40, "
        "43.70], [7.44, 43.70], [7.44, 43.74], [7.40, 43.74], [7.40, "
        "43.70]]]}}\n"
        "]}\n");
    am_facility_options src = source(gj);
    src.capacity_field = "beds";
    src.default_capacity = 2.0;
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 2);
    assert_int_equal(f->n_read, 3);
    assert_int_equal(f->n_no_geometry, 1);
    assert_int_equal(f->fid[0], 10);
    assert_string_equal(f->name[0], "H");
    assert_true(f->capacity[0] == 40.0);
    assert_float_equal(f->lon[0], 7.42, 1e-12);
    assert_float_equal(f->lat[0], 43.73, 1e-12);
    /* The polygon by its centroid; null beds -> default. */
    assert_int_equal(f->fid[1], 12);
    assert_string_equal(f->klass[1], "clinic");
    assert_true(f->capacity[1] == 2.0);
    assert_float_equal(f->lon[1], 7.42, 1e-9);
    assert_float_equal(f->lat[1], 43.72, 1e-9);
    am_facility_set_destroy(f);

    src.where = "amenity = 'pharmacy'";
    assert_int_equal(load(&src, &f, &e), AM_ERR_EMPTY);
    assert_non_null(strstr(e.msg, "without geometry"));
}

/*
 * Capacity cells read as text are decimal numbers only: "0x10" is not 16,
 * "inf" and "1e400" are not capacities; blanks around and a '+' sign are
 * fine. Capacities above 1e15 (scenario.h) are refused, from text and from
 * numeric fields alike, since they overflow the float32 access raster.
 */
static void test_capacity_numbers(void **state)
{
    (void)state;
    const struct {
        const char *cell;
        const char *msg; /* NULL: accepted */
        double want;
    } cases[] = {
        {"12", NULL, 12.0},
        {" +12.5 ", NULL, 12.5},
        {"1e3", NULL, 1000.0},
        {"0x10", "capacity field 'beds' is not a decimal number: '0x10'", 0},
        {"0X1P4", "is not a decimal number: '0X1P4'", 0},
        {"inf", "is not a decimal number: 'inf'", 0},
        {"nan", "is not a decimal number: 'nan'", 0},
        {"1e400",
         "capacity field 'beds' is out of range for a number: "
         "'1e400'",
         0},
        {"1e300", "capacity 1e+300 in field 'beds' is above 1e+15", 0},
        {"12 beds", "is not a decimal number: '12 beds'", 0},
    };
    char text[256];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char name[32];
        snprintf(name, sizeof name, "cap%zu.csv", i);
        snprintf(text, sizeof text,
                 "lon,lat,beds\n43.2,-11.7,1\n43.3,-11.8,%s\n", cases[i].cell);
        am_facility_options src = source(write_tmp(name, text));
        src.capacity_field = "beds";
        am_facility_set *f = NULL;
        am_error e;
        am_status rc = load(&src, &f, &e);
        if (cases[i].msg == NULL) {
            assert_int_equal(rc, AM_OK);
            assert_true(f->capacity[1] == cases[i].want);
            am_facility_set_destroy(f);
            continue;
        }
        assert_int_equal(rc, AM_ERR_INVALID);
        assert_int_equal(e.feature, 2);
        if (strstr(e.msg, cases[i].msg) == NULL)
            print_error("'%s': got '%s'\n", cases[i].cell, e.msg);
        assert_non_null(strstr(e.msg, cases[i].msg));
    }
    /* The same bound on a numeric (Real) field: GeoJSON numbers. */
    const char *gj = write_tmp(
        "huge.geojson",
        "{\"type\": \"FeatureCollection\", \"features\": [\n"
        "{\"type\": \"Feature\", \"id\": 3, \"properties\": {\"beds\": "
        "1e300}, \"geometry\": {\"type\": \"Point\", \"coordinates\": "
        "[7.42, 43.73]}}]}\n");
    am_facility_options src = source(gj);
    src.capacity_field = "beds";
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_ERR_INVALID);
    assert_int_equal(e.feature, 3);
    assert_non_null(strstr(e.msg, "above 1e+15"));
    /* Coordinates read as text follow the same grammar. */
    const char *hex = write_tmp("hexlon.csv", "lon,lat\n0x2B,-11.7\n");
    am_facility_options h = source(hex);
    assert_int_equal(load(&h, &f, &e), AM_ERR_INVALID);
    assert_non_null(strstr(e.msg, "coordinate field 'lon' is not a number: "
                                  "'0x2B'"));
}

/* With id_field, two features sharing an id are refused, naming both. */
static void test_duplicate_ids(void **state)
{
    (void)state;
    const char *csv = write_tmp("dup.csv", "code,lon,lat\n"
                                           "A1,43.2,-11.7\n"
                                           "B2,43.3,-11.8\n"
                                           "C3,43.4,-11.9\n"
                                           "B2,43.5,-11.6\n"
                                           "A1,43.6,-11.5\n"
                                           "B2,43.7,-11.4\n");
    am_facility_options src = source(csv);
    src.id_field = "code";
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_ERR_INVALID);
    /* the pair whose second feature comes first: B2 in rows 2 and 4 */
    assert_non_null(strstr(e.msg, "duplicate id 'B2' in id_field 'code': "
                                  "features 2 and 4"));
    assert_int_equal(e.feature, 4);
    assert_non_null(strstr(e.layer, "dup"));
    /* A filter that leaves one of each is fine. */
    src.where = "lon < '43.45'";
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 3);
    am_facility_set_destroy(f);
    /* Without id_field, ids are the FIDs: unique here. */
    am_facility_options fids = source(csv);
    assert_int_equal(load(&fids, &f, &e), AM_OK);
    assert_int_equal(f->n, 6);
    am_facility_set_destroy(f);
}

/*
 * Issue 7: a null id_field cell gives the feature its FID as id (warned
 * once, listing the features), and that id is checked for uniqueness
 * like the others: here row 3's FID "3" is row 1's code.
 */
static void test_null_ids_use_fid(void **state)
{
    (void)state;
    const char *csv = write_tmp("nullid.csv", "code,lon,lat\n"
                                              "3,43.2,-11.7\n"
                                              "B2,43.3,-11.8\n"
                                              ",43.4,-11.9\n"
                                              ",43.5,-11.6\n");
    am_facility_options src = source(csv);
    src.id_field = "code";
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_ERR_INVALID);
    assert_int_equal(e.feature, 3);
    assert_non_null(strstr(e.msg, "duplicate id '3': features 1 and 3 (the "
                                  "second has no value in id_field and its "
                                  "FID was used as its id"));
    assert_non_null(strstr(e.msg, "fill the empty id_field 'code' cells"));
    /* without row 1, no clash: ids 3 and 4 from the FIDs, one warning */
    src.where = "lon <> '43.2'";
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    src.warnings = &w;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 3);
    assert_string_equal(f->id[0], "B2");
    assert_string_equal(f->id[1], "3");
    assert_string_equal(f->id[2], "4");
    assert_float_equal(f->lon[1], 43.4, 1e-12);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "2 features with no value in id_field "
                                     "'code' (features 3, 4): their FID is "
                                     "used as their id"));
    am_facility_set_destroy(f);
    am_warnings_clear(&w);
}

/*
 * Issue 7: without id_field the FIDs are the ids, and some sources repeat
 * them (here an OGR VRT taking its FID from a column): refused, naming
 * both features and the id.
 */
static void test_duplicate_fids(void **state)
{
    (void)state;
    write_tmp("fidsrc.csv", "n,lon,lat\n"
                            "10,43.2,-11.7\n"
                            "20,43.3,-11.8\n"
                            "10,43.4,-11.9\n");
    const char *vrt = write_tmp(
        "fids.vrt",
        "<OGRVRTDataSource><OGRVRTLayer name=\"sites\">"
        "<SrcDataSource relativeToVRT=\"1\">fidsrc.csv</SrcDataSource>"
        "<SrcLayer>fidsrc</SrcLayer><FID>n</FID>"
        "<GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>"
        "<GeometryField encoding=\"PointFromColumns\" x=\"lon\" y=\"lat\"/>"
        "</OGRVRTLayer></OGRVRTDataSource>\n");
    am_facility_options src = source(vrt);
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_ERR_INVALID);
    assert_int_equal(e.feature, 10);
    assert_string_equal(e.layer, "sites");
    assert_non_null(strstr(e.msg, "duplicate feature id (FID) 10: the "
                                  "facilities read number 1 and 3 both "
                                  "have it"));
    assert_non_null(strstr(e.msg, "set id_field"));
}

/*
 * Issue 7: facilities at exactly the same position are kept (each with
 * its capacity) and warned about once: 4 of 7 repeat an earlier position
 * (rows 3 and 6 repeat row 1, row 5 row 2, row 7 row 1).
 */
static void test_same_position(void **state)
{
    (void)state;
    const char *csv = write_tmp("samepos.csv", "lon,lat,beds\n"
                                               "43.2,-11.7,1\n"
                                               "43.3,-11.8,2\n"
                                               "43.2,-11.7,3\n"
                                               "43.4,-11.9,4\n"
                                               "43.3,-11.8,5\n"
                                               "43.2,-11.7,6\n"
                                               "43.2,-11.7,7\n");
    am_facility_options src = source(csv);
    src.capacity_field = "beds";
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    src.warnings = &w;
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 7);
    double total = 0.0;
    for (int32_t i = 0; i < f->n; i++)
        total += f->capacity[i];
    assert_float_equal(total, 28.0, 0.0);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "4 facilities at exactly the position "
                                     "of an earlier one (features 1 and 3; "
                                     "2 and 5; 1 and 6; 1 and 7): kept as "
                                     "separate facilities"));
    am_facility_set_destroy(f);
    am_warnings_clear(&w);
}

/* Web Mercator forward, spherical formulas (EPSG:3857 is exactly this). */
static void mercator(double lon, double lat, double *x, double *y)
{
    const double r = 6378137.0, d2r = 3.14159265358979323846 / 180.0;
    *x = r * lon * d2r;
    *y = r * log(tan(3.14159265358979323846 / 4.0 + lat * d2r / 2.0));
}

static void test_projected_gpkg(void **state)
{
    (void)state;
    const char *path = tmp_path("merc.gpkg");
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    assert_non_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    assert_int_equal(OSRImportFromEPSG(srs, 3857), OGRERR_NONE);
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, "sites", srs, wkbPoint, NULL);
    assert_non_null(lyr);
    OSRDestroySpatialReference(srs);
    OGRFieldDefnH fld = OGR_Fld_Create("beds", OFTReal);
    assert_int_equal(OGR_L_CreateField(lyr, fld, 1), OGRERR_NONE);
    OGR_Fld_Destroy(fld);
    const double pts[][3] = {{43.25, -11.70, 5}, {44.40, -12.16, -1}};
    for (int i = 0; i < 2; i++) {
        double x, y;
        mercator(pts[i][0], pts[i][1], &x, &y);
        OGRFeatureH ft = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldDouble(ft, 0, pts[i][2]);
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, x, y);
        OGR_F_SetGeometryDirectly(ft, g);
        assert_int_equal(OGR_L_CreateFeature(lyr, ft), OGRERR_NONE);
        OGR_F_Destroy(ft);
    }
    GDALClose(ds);

    am_facility_options src = source(path);
    src.capacity_field = "beds";
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_ERR_INVALID);
    assert_int_equal(e.feature, 2);
    assert_string_equal(e.layer, "sites");
    assert_string_equal(e.file, path);

    src.where = "beds >= 0";
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 1);
    assert_true(f->capacity[0] == 5.0);
    assert_float_equal(f->lon[0], 43.25, 1e-9);
    assert_float_equal(f->lat[0], -11.70, 1e-9);
    am_facility_set_destroy(f);

    src.where = NULL;
    src.capacity_field = NULL;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 2);
    assert_float_equal(f->lon[1], 44.40, 1e-9);
    assert_float_equal(f->lat[1], -12.16, 1e-9);
    am_facility_set_destroy(f);
    am_facility_set_destroy(NULL);
}

/* What the probe must find before any feature is read: the same errors
 * as the load, for every layer-level mistake (the engine probes each set
 * before the roads phase). */
static void test_probe(void **state)
{
    (void)state;
    am_facility_options src = source(HEALTH_GPKG);
    am_error e;
    am_error_clear(&e);
    assert_int_equal(am_facilities_probe(&src, &e), AM_OK);
    src.where = "amenity IN ('hospital', 'clinic')";
    assert_int_equal(am_facilities_probe(&src, &e), AM_OK);

    /* a column GPKG's SQLite only rejects on the first read */
    src.where = "no_such_column = 3";
    assert_int_equal(am_facilities_probe(&src, &e), AM_ERR_FORMAT);
    assert_non_null(
        strstr(e.msg, "invalid filter 'where: no_such_column = 3'"));
    assert_string_equal(e.layer, "health");
    src.where = "amenity IN ('hospital'";
    assert_int_equal(am_facilities_probe(&src, &e), AM_ERR_FORMAT);
    src.where = "amenity = 'dentist'";
    assert_int_equal(am_facilities_probe(&src, &e), AM_ERR_EMPTY);
    assert_non_null(strstr(e.msg, "no facility left after the filter"));
    src.where = NULL;

    const char *const *fields[] = {&src.id_field, &src.name_field,
                                   &src.class_field, &src.capacity_field};
    const char *const keys[] = {"id_field", "name_field", "class_field",
                                "capacity_field"};
    for (int i = 0; i < 4; i++) {
        *(const char **)fields[i] = "nope";
        assert_int_equal(am_facilities_probe(&src, &e), AM_ERR_FORMAT);
        char want[64];
        snprintf(want, sizeof want, "no field 'nope' (%s)", keys[i]);
        assert_non_null(strstr(e.msg, want));
        *(const char **)fields[i] = NULL;
    }
    src.x_field = "lon";
    src.y_field = "amenity";
    assert_int_equal(am_facilities_probe(&src, &e), AM_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "no field 'lon' (x_field)"));
    src.x_field = src.y_field = NULL;

    src.layer = "clinics";
    assert_int_equal(am_facilities_probe(&src, &e), AM_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "no layer 'clinics'"));
    src.layer = NULL;
    src.crs = "total garbage";
    assert_int_equal(am_facilities_probe(&src, &e), AM_ERR_CRS);
    assert_non_null(strstr(
        e.msg, "'crs': unknown coordinate reference system 'total garbage'"));
    assert_string_equal(e.file, HEALTH_GPKG);
    src.crs = NULL;

    /* a geometry layer without any CRS */
    const char *csv = write_tmp("probe.csv", "WKT,name\n"
                                             "\"POINT (43.3 -11.6)\",a\n");
    am_facility_options nocrs = source(csv);
    assert_int_equal(am_facilities_probe(&nocrs, &e), AM_ERR_CRS);
    am_facility_options missing = source(AM_DEMO_DATA "/comoros/nope.gpkg");
    assert_int_equal(am_facilities_probe(&missing, &e), AM_ERR_IO);
    am_facility_options raster = source(POP_TIF);
    assert_int_equal(am_facilities_probe(&raster, &e), AM_ERR_FORMAT);
}

/* `crs` is checked whether or not the layer needs it, and ignored, with a
 * warning, when the layer has its own. */
static void test_crs_option(void **state)
{
    (void)state;
    am_facility_options src = source(HEALTH_GPKG);
    am_facility_set *f = NULL;
    am_error e;
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    src.warnings = &w;
    src.crs = "total garbage";
    assert_int_equal(load(&src, &f, &e), AM_ERR_CRS);
    assert_int_equal(w.count, 0);
    src.crs = "EPSG:32738";
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 70);
    assert_float_equal(f->lon[0], 44.4, 1.0); /* the layer's WGS 84 won */
    am_facility_set_destroy(f);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "layer 'health' has its own CRS (WGS "
                                     "84): 'crs: EPSG:32738' is ignored"));
    am_warnings_clear(&w);
    src.crs = NULL;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    am_facility_set_destroy(f);
    assert_int_equal(w.count, 0);
}

static int all_utf8(const am_facility_set *f)
{
    for (int32_t i = 0; i < f->n; i++)
        if (am_utf8_invalid(f->id[i], NULL) ||
            am_utf8_invalid(f->name[i], NULL) ||
            am_utf8_invalid(f->klass[i], NULL))
            return 0;
    return 1;
}

/* Text that is not UTF-8 (a Latin-1 file) reaches the output as UTF-8
 * with U+FFFD for the bytes that are not, and one warning says how many
 * features and which came first. */
static void test_not_utf8(void **state)
{
    (void)state;
    const char *csv = write_tmp(
        "latin1.csv", "code,name,kind,lon,lat\n"
                      "A1,Centre de sant\xe9,h\xf4pital,43.25,-11.70\n"
                      "B2,Clinique,clinic,43.26,-11.71\n"
                      "C\xe9"
                      "3,Maternit\xe9,clinic,43.27,-11.72\n");
    am_facility_options src = source(csv);
    src.id_field = "code";
    src.class_field = "kind";
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    src.warnings = &w;
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    assert_int_equal(f->n, 3);
    assert_true(all_utf8(f));
    assert_string_equal(f->name[0], "Centre de sant\xef\xbf\xbd");
    assert_string_equal(f->klass[0], "h\xef\xbf\xbdpital");
    assert_string_equal(f->name[1], "Clinique");
    assert_string_equal(f->id[2], "C\xef\xbf\xbd"
                                  "3");
    am_facility_set_destroy(f);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "2 features with text that is not "
                                     "UTF-8 (first: feature 1, field "
                                     "'name')"));
    am_warnings_clear(&w);

    /* the demo's own accented names are UTF-8: no warning */
    am_facility_options demo = source(HEALTH_GPKG);
    demo.warnings = &w;
    assert_int_equal(load(&demo, &f, &e), AM_OK);
    assert_true(all_utf8(f));
    am_facility_set_destroy(f);
    assert_int_equal(w.count, 0);
}

/* A class table of thousands of entries is looked up by bsearch; the
 * answer is the table's, whatever its order. */
static void test_large_class_table(void **state)
{
    (void)state;
    enum { N = 5000 };
    static char names[N][16];
    static am_facility_class_capacity table[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "c%d", N - i);
        table[i] = (am_facility_class_capacity){names[i], 1.0};
    }
    table[N / 2].klass = "hospital";
    table[N / 2].capacity = 7.0;
    table[N - 1].klass = "clinic";
    table[N - 1].capacity = 3.0;
    am_facility_options src = source(HEALTH_GPKG);
    src.class_capacity = table;
    src.n_class_capacity = N;
    src.default_capacity = 0.5;
    am_facility_set *f = NULL;
    am_error e;
    assert_int_equal(load(&src, &f, &e), AM_OK);
    for (int32_t i = 0; i < f->n; i++) {
        double want = strcmp(f->klass[i], "hospital") == 0 ? 7.0
                      : strcmp(f->klass[i], "clinic") == 0 ? 3.0
                                                           : 0.5;
        assert_true(f->capacity[i] == want);
    }
    assert_string_equal(table[N / 2].klass, "hospital"); /* not reordered */
    am_facility_set_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comoros_all),
        cmocka_unit_test(test_comoros_filter_capacity),
        cmocka_unit_test(test_comoros_errors),
        cmocka_unit_test(test_csv_lonlat),
        cmocka_unit_test(test_no_crs),
        cmocka_unit_test(test_geojson),
        cmocka_unit_test(test_capacity_numbers),
        cmocka_unit_test(test_duplicate_ids),
        cmocka_unit_test(test_null_ids_use_fid),
        cmocka_unit_test(test_duplicate_fids),
        cmocka_unit_test(test_same_position),
        cmocka_unit_test(test_projected_gpkg),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_crs_option),
        cmocka_unit_test(test_not_utf8),
        cmocka_unit_test(test_large_class_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
