/*
 * test_roads.c: road graphs from OSM XML/PBF and plain vector layers
 * (inputs/roads.h).
 *
 * Fixtures: tests/data/osm/tiny.osm and tiny.geojson (hand-written, same
 * network, see tests/data/osm/README.md) and the Marina Bay OSM extract in
 * tests/data/singapore_bayfront (real data, ODbL). Expected values are
 * computed independently: by hand for the tiny network, with ogrinfo's
 * SQLite/SpatiaLite dialect for Singapore (commands next to the numbers).
 * Error cases write small files under the build tree.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "geo/geodesic.h"
#include "inputs/roads.h"

#define TINY_OSM AM_TEST_DATA "/osm/tiny.osm"
#define TINY_GEOJSON AM_TEST_DATA "/osm/tiny.geojson"
#define BAYFRONT AM_TEST_DATA "/singapore_bayfront/bayfront_singapore.osm.pbf"
#define TMP_DIR AM_BINARY_DIR "/tests/inputs/roads_tmp"

static am_status load(const char *path, const char *layer, const char *where,
                      am_road_network **net, am_error *err)
{
    am_road_options o = {.path = path, .layer = layer, .where = where};
    am_error_clear(err);
    return am_roads_load(&o, NULL, NULL, net, err);
}

static am_road_network *load_ok(const char *path, const char *layer)
{
    am_road_network *net = NULL;
    am_error err;
    am_status rc = load(path, layer, NULL, &net, &err);
    if (rc != AM_OK)
        fail_msg("%s: %s (%s)", path, err.msg, am_status_name(rc));
    assert_non_null(net);
    return net;
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    mkdir(AM_BINARY_DIR "/tests", 0777);
    mkdir(AM_BINARY_DIR "/tests/inputs", 0777);
    mkdir(TMP_DIR, 0777);
    snprintf(buf, n, "%s/%s", TMP_DIR, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* ---------------------------------------------------------------------- */
/* The tiny network                                                        */
/* ---------------------------------------------------------------------- */

/* OSM node ids 1..8 of tiny.osm, as lon/lat. */
static const double tiny_xy[9][2] = {
    {0, 0},         {10.0, 50.0},       {10.001, 50.0},
    {10.002, 50.0}, {10.002, 50.001},   {10.001, 50.001},
    {10.003, 50.0}, {10.0025, 49.9995}, {10.004, 49.9995},
};

/* Every arc the car profile must produce: OSM node from, to, km/h. */
static const struct {
    int from, to;
    double kmh;
} tiny_arcs[] = {
    {1, 2, 25},
    {2, 1, 25},
    {2, 3, 25},
    {3, 2, 25}, /* way 101, two-way */
    {3, 4, 50}, /* 102 oneway, maxspeed */
    {5, 4, 50}, /* 103 oneway=-1 */
    {3, 6, 40},
    {6, 7, 40},
    {7, 3, 40}, /* 105 roundabout */
    {7, 8, 30 * 1.609344},
    {8, 7, 30 * 1.609344}, /* 106 maxspeed mph */
};
#define TINY_N_ARCS (sizeof tiny_arcs / sizeof tiny_arcs[0])

static int32_t node_at(const am_road_network *net, double lon, double lat)
{
    int32_t found = -1;
    for (int32_t i = 0; i < net->n_nodes; i++)
        if (fabs(net->lon[i] - lon) < 1e-9 && fabs(net->lat[i] - lat) < 1e-9) {
            assert_int_equal(found, -1); /* vertices are merged */
            found = i;
        }
    return found;
}

static void check_tiny(const am_road_network *net)
{
    assert_int_equal(net->n_nodes, 8);
    assert_int_equal(net->n_arcs, TINY_N_ARCS);
    assert_int_equal(net->n_features, 7);
    assert_int_equal(net->n_routable, 5);
    assert_int_equal(net->n_not_routable, 2); /* footway, stream */
    assert_int_equal(net->n_bad_geometry, 0);
    assert_int_equal(net->n_oneway, 3);
    assert_int_equal(net->n_maxspeed, 2);

    /* Nodes are numbered in first-seen order: OSM nodes 1, 2, 3, 4, 5, 6,
     * 7, 8 (the footway and stream add none). */
    for (int osm = 1; osm <= 8; osm++)
        assert_int_equal(node_at(net, tiny_xy[osm][0], tiny_xy[osm][1]),
                         osm - 1);

    double total_m = 0.0;
    for (size_t k = 0; k < TINY_N_ARCS; k++) {
        int a = tiny_arcs[k].from, b = tiny_arcs[k].to;
        int32_t t = a - 1, h = b - 1;
        int64_t hit = -1;
        for (int64_t i = 0; i < net->n_arcs; i++)
            if (net->tail[i] == t && net->head[i] == h) {
                assert_int_equal(hit, -1); /* no duplicate arc */
                hit = i;
            }
        if (hit < 0)
            fail_msg("missing arc %d -> %d", a, b);
        double d = am_geodesic_distance_m(tiny_xy[a][0], tiny_xy[a][1],
                                          tiny_xy[b][0], tiny_xy[b][1]);
        assert_float_equal(net->len_m[hit], d, 1e-3);
        /* rounded along each way (roads.c, time_by_speed): each arc is
         * within 1 ds of its exact time, the way's sum within 0.5 */
        const double exact = d / (tiny_arcs[k].kmh / 3.6) * 10;
        assert_true(fabs((double)net->time_ds[hit] - exact) <= 1.0);
        total_m += d;
    }
    /* total_len_km counts each way once: halve the two-way arcs */
    double way_m = 0.0;
    for (size_t k = 0; k < TINY_N_ARCS; k++) {
        int a = tiny_arcs[k].from, b = tiny_arcs[k].to;
        double d = am_geodesic_distance_m(tiny_xy[a][0], tiny_xy[a][1],
                                          tiny_xy[b][0], tiny_xy[b][1]);
        int two_way = (a <= 3 && b <= 3) || (a >= 7 && b >= 7);
        way_m += two_way ? d / 2 : d;
    }
    assert_true(total_m > way_m);
    assert_float_equal(net->total_len_km, way_m / 1000.0, 1e-9);
    /* a spot value by hand: 0.001 deg of longitude at 50 deg N is about
     * 71.7 m; at 25 km/h that is about 10.3 s */
    int32_t n1 = node_at(net, 10.0, 50.0), n2 = node_at(net, 10.001, 50.0);
    for (int64_t i = 0; i < net->n_arcs; i++)
        if (net->tail[i] == n1 && net->head[i] == n2) {
            assert_true(net->len_m[i] > 71.5 && net->len_m[i] < 71.9);
            assert_true(net->time_ds[i] >= 102 && net->time_ds[i] <= 104);
        }
}

static void test_tiny_osm(void **state)
{
    (void)state;
    am_road_network *net = load_ok(TINY_OSM, NULL);
    check_tiny(net);
    am_road_network_destroy(net);
}

static void test_tiny_geojson(void **state)
{
    (void)state;
    am_road_network *g = load_ok(TINY_GEOJSON, NULL);
    check_tiny(g);
    /* the same graph, arc for arc, as from the OSM file */
    am_road_network *o = load_ok(TINY_OSM, NULL);
    assert_int_equal(g->n_arcs, o->n_arcs);
    for (int64_t i = 0; i < g->n_arcs; i++) {
        assert_int_equal(g->tail[i], o->tail[i]);
        assert_int_equal(g->head[i], o->head[i]);
        assert_int_equal(g->time_ds[i], o->time_ds[i]);
    }
    am_road_network_destroy(o);
    am_road_network_destroy(g);
}

static void test_tiny_layer_by_name(void **state)
{
    (void)state;
    am_road_network *net = load_ok(TINY_OSM, "lines");
    assert_int_equal(net->n_arcs, TINY_N_ARCS);
    am_road_network_destroy(net);
}

static void test_tiny_where(void **state)
{
    (void)state;
    am_road_network *net = NULL;
    am_error err;
    assert_int_equal(load(TINY_OSM, NULL, "highway = 'tertiary'", &net, &err),
                     AM_OK);
    assert_int_equal(net->n_features, 2);
    assert_int_equal(net->n_arcs, 5); /* roundabout 3 + way 106 two-way */
    am_road_network_destroy(net);
}

/* Writes the tiny network, transformed by GDAL itself, to a GeoPackage in
 * UTM zone 32N; loading it must give the same graph. */
static void test_tiny_projected(void **state)
{
    (void)state;
    char path[1024];
    tmp_path(path, sizeof path, "tiny_utm32.gpkg");
    remove(path);
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    assert_non_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    OGRSpatialReferenceH utm = OSRNewSpatialReference(NULL);
    assert_int_equal(OSRImportFromEPSG(wgs, 4326), OGRERR_NONE);
    assert_int_equal(OSRImportFromEPSG(utm, 32632), OGRERR_NONE);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(utm, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(wgs, utm);
    assert_non_null(ct);
    OGRLayerH lyr =
        GDALDatasetCreateLayer(ds, "roads", utm, wkbLineString, NULL);
    assert_non_null(lyr);
    const char *names[] = {"HIGHWAY", "Oneway", "maxspeed", "junction"};
    for (int i = 0; i < 4; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(names[i], OFTString);
        assert_int_equal(OGR_L_CreateField(lyr, fd, TRUE), OGRERR_NONE);
        OGR_Fld_Destroy(fd);
    }
    static const struct {
        int nodes[4];
        const char *hw, *ow, *ms, *jn;
    } ways[] = {
        {{1, 2, 3, 0}, "residential", NULL, NULL, NULL},
        {{3, 4, 0, 0}, "primary", "yes", "50", NULL},
        {{4, 5, 0, 0}, "secondary", "-1", NULL, NULL},
        {{5, 2, 0, 0}, "footway", NULL, NULL, NULL},
        {{3, 6, 7, 3}, "tertiary", NULL, NULL, "roundabout"},
        {{7, 8, 0, 0}, "tertiary", NULL, "30 mph", NULL},
        {{1, 5, 0, 0}, NULL, NULL, NULL, NULL},
    };
    for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        const char *vals[] = {ways[w].hw, ways[w].ow, ways[w].ms, ways[w].jn};
        for (int i = 0; i < 4; i++)
            if (vals[i] != NULL)
                OGR_F_SetFieldString(f, i, vals[i]);
        OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
        for (int k = 0; k < 4 && ways[w].nodes[k] != 0; k++) {
            double x = tiny_xy[ways[w].nodes[k]][0];
            double y = tiny_xy[ways[w].nodes[k]][1];
            assert_true(OCTTransform(ct, 1, &x, &y, NULL));
            OGR_G_AddPoint_2D(g, x, y);
        }
        OGR_F_SetGeometryDirectly(f, g);
        assert_int_equal(OGR_L_CreateFeature(lyr, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(utm);
    GDALClose(ds);

    am_road_network *net = NULL;
    am_error err;
    am_status rc = load(path, NULL, NULL, &net, &err);
    if (rc != AM_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(net->n_nodes, 8);
    assert_int_equal(net->n_arcs, TINY_N_ARCS);
    am_road_network *ref = load_ok(TINY_GEOJSON, NULL);
    for (int32_t i = 0; i < net->n_nodes; i++) {
        assert_float_equal(net->lon[i], ref->lon[i], 1e-8);
        assert_float_equal(net->lat[i], ref->lat[i], 1e-8);
    }
    for (int64_t i = 0; i < net->n_arcs; i++) {
        assert_int_equal(net->tail[i], ref->tail[i]);
        assert_int_equal(net->head[i], ref->head[i]);
        assert_float_equal(net->len_m[i], ref->len_m[i], 1e-3);
    }
    am_road_network_destroy(ref);
    am_road_network_destroy(net);
}

/* Multi-part lines, points and empty geometries in a line layer. */
static void test_geometry_kinds(void **state)
{
    (void)state;
    char path[1024];
    tmp_path(path, sizeof path, "kinds.geojson");
    write_text(path,
               "{\"type\":\"FeatureCollection\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},"
               "\"geometry\":{\"type\":\"MultiLineString\",\"coordinates\":"
               "[[[0,0],[0.001,0]],[[0.001,0],[0.001,0.001],[0.001,0.001]]]}},"
               "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},"
               "\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,0]}},"
               "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},"
               "\"geometry\":null},"
               "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},"
               "\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
               "[[0.002,0],[0.002,0]]}}"
               "]}");
    am_road_network *net = load_ok(path, NULL);
    /* two parts sharing (0.001, 0); the repeated vertex is no self-loop */
    assert_int_equal(net->n_nodes, 3);
    assert_int_equal(net->n_arcs, 4);
    assert_int_equal(net->n_features, 4);
    assert_int_equal(net->n_routable, 1);
    assert_int_equal(net->n_bad_geometry, 3);
    for (int64_t i = 0; i < net->n_arcs; i++)
        assert_int_not_equal(net->tail[i], net->head[i]);
    am_road_network_destroy(net);
}

/* A circular arc (GeoPackage curve) is stroked into line segments. */
static void test_curve(void **state)
{
    (void)state;
    char path[1024];
    tmp_path(path, sizeof path, "curve.gpkg");
    remove(path);
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0,
                                 GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    assert_int_equal(OSRImportFromEPSG(wgs, 4326), OGRERR_NONE);
    OGRLayerH lyr =
        GDALDatasetCreateLayer(ds, "curvy", wgs, wkbCircularString, NULL);
    OSRDestroySpatialReference(wgs);
    assert_non_null(lyr);
    OGRFieldDefnH fd = OGR_Fld_Create("highway", OFTString);
    assert_int_equal(OGR_L_CreateField(lyr, fd, TRUE), OGRERR_NONE);
    OGR_Fld_Destroy(fd);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
    OGR_F_SetFieldString(f, 0, "primary");
    char wkt[] = "CIRCULARSTRING (0 0,0.001 0.001,0.002 0)";
    char *pw = wkt;
    OGRGeometryH g = NULL;
    assert_int_equal(OGR_G_CreateFromWkt(&pw, NULL, &g), OGRERR_NONE);
    OGR_F_SetGeometryDirectly(f, g);
    assert_int_equal(OGR_L_CreateFeature(lyr, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(ds);

    am_road_network *net = load_ok(path, NULL);
    assert_int_equal(net->n_routable, 1);
    assert_int_equal(net->n_bad_geometry, 0);
    assert_true(net->n_nodes > 3);
    assert_int_equal(net->n_arcs, 2 * (net->n_nodes - 1));
    /* a half circle of radius 0.001 deg (about 111 m) near the equator */
    assert_float_equal(net->total_len_km, 3.14159265358979 * 0.1110, 0.004);
    am_road_network_destroy(net);
}

/* ---------------------------------------------------------------------- */
/* Real data: Marina Bay, Singapore (OSM, 2019)                            */
/* ---------------------------------------------------------------------- */

/*
 * Independent values, from GDAL's SQLite dialect over the same file, with
 * R = highway IN ('primary','primary_link','residential','secondary',
 * 'service','trunk') (the car-routable classes present in this extract):
 *
 *   ogrinfo -ro -q -dialect sqlite -sql "SELECT count(*) FROM lines" F
 *     -> 393 features
 *   ogrinfo -ro -q -dialect sqlite -sql "SELECT count(*),
 *     sum(ST_Length(GEOMETRY,1)), sum(ST_NumPoints(GEOMETRY)-1)
 *     FROM lines WHERE R" F
 *     -> 180 ways, 10752.8512740691 m (ellipsoidal), 504 segments
 *   ... "SELECT count(*), sum(ST_NumPoints(GEOMETRY)-1) FROM lines WHERE R
 *     AND (other_tags LIKE '%\"oneway\"=>\"yes\"%' OR other_tags LIKE
 *     '%\"oneway\"=>\"-1\"%' OR other_tags LIKE
 *     '%\"junction\"=>\"roundabout\"%')" F
 *     -> 151 one-way ways, 414 one-way segments
 *     (so 414 + 2 * (504 - 414) = 594 arcs)
 *   ... "SELECT count(*) FROM lines WHERE R AND other_tags LIKE
 *     '%maxspeed%'" F -> 76 (all "50" or "60")
 *   ... "SELECT ST_NumGeometries(ST_UnaryUnion(ST_DissolvePoints(
 *     ST_Collect(GEOMETRY)))) FROM lines WHERE R" F -> 466 distinct vertices
 */
static void test_bayfront(void **state)
{
    (void)state;
    am_road_network *net = load_ok(BAYFRONT, NULL);
    assert_int_equal(net->n_features, 393);
    assert_int_equal(net->n_routable, 180);
    assert_int_equal(net->n_not_routable, 393 - 180);
    assert_int_equal(net->n_bad_geometry, 0);
    assert_int_equal(net->n_oneway, 151);
    assert_int_equal(net->n_maxspeed, 76);
    assert_int_equal(net->n_nodes, 466);
    assert_int_equal(net->n_arcs, 594);
    assert_float_equal(net->total_len_km, 10.7528512740691, 1e-5);

    double sum = 0.0;
    for (int64_t i = 0; i < net->n_arcs; i++) {
        assert_true(net->tail[i] >= 0 && net->tail[i] < net->n_nodes);
        assert_true(net->head[i] >= 0 && net->head[i] < net->n_nodes);
        assert_int_not_equal(net->tail[i], net->head[i]);
        assert_true(net->len_m[i] > 0.0f);
        /* every speed lies between 15 (service) and 80 km/h (trunk) */
        double kmh = net->len_m[i] / (net->time_ds[i] / 10.0) * 3.6;
        if (net->time_ds[i] >= 50)
            assert_true(kmh > 14.0 && kmh < 82.0);
        sum += net->len_m[i];
    }
    /* two-way ways counted twice */
    assert_true(sum > net->total_len_km * 1000.0);
    for (int32_t i = 0; i < net->n_nodes; i++) {
        assert_true(net->lon[i] > 103.8 && net->lon[i] < 103.9);
        assert_true(net->lat[i] > 1.2 && net->lat[i] < 1.35);
    }
    am_road_network_destroy(net);
}

static void test_bayfront_where(void **state)
{
    (void)state;
    am_road_network *net = NULL;
    am_error err;
    /* ogrinfo ... "SELECT count(*) FROM lines WHERE highway='trunk'" -> 12 */
    assert_int_equal(load(BAYFRONT, NULL, "highway = 'trunk'", &net, &err),
                     AM_OK);
    assert_int_equal(net->n_features, 12);
    assert_int_equal(net->n_routable, 12);
    am_road_network_destroy(net);
}

static int progress_calls;
static double progress_last;

static int count_progress(double f, const char *msg, void *user)
{
    (void)msg;
    progress_calls++;
    progress_last = f;
    return user == NULL;
}

static void test_progress_and_cancel(void **state)
{
    (void)state;
    am_road_options o = {.path = BAYFRONT, .layer = NULL, .where = NULL};
    am_road_network *net = NULL;
    am_error err;
    progress_calls = 0;
    assert_int_equal(am_roads_load(&o, count_progress, NULL, &net, &err),
                     AM_OK);
    assert_true(progress_calls >= 1);
    assert_float_equal(progress_last, 1.0, 0.0);
    am_road_network_destroy(net);
    int stop = 1;
    net = (am_road_network *)&stop; /* must be reset */
    assert_int_equal(am_roads_load(&o, count_progress, &stop, &net, &err),
                     AM_ERR_CANCELLED);
    assert_null(net);
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

static void test_missing_file(void **state)
{
    (void)state;
    am_road_network *net = NULL;
    am_error err;
    const char *p = AM_TEST_DATA "/osm/no_such_file.osm.pbf";
    assert_int_equal(load(p, NULL, NULL, &net, &err), AM_ERR_IO);
    assert_null(net);
    assert_int_equal(err.code, AM_ERR_IO);
    assert_string_equal(err.file, p);
}

static void test_not_vector(void **state)
{
    (void)state;
    char path[1024];
    am_road_network *net = NULL;
    am_error err;
    tmp_path(path, sizeof path, "notes.txt");
    write_text(path, "these are not roads\n\x01\x02\x03\n");
    assert_int_equal(load(path, NULL, NULL, &net, &err), AM_ERR_FORMAT);
    assert_null(net);
    assert_string_equal(err.file, path);

    tmp_path(path, sizeof path, "raster.tif");
    GDALAllRegister();
    GDALDatasetH ds =
        GDALCreate(GDALGetDriverByName("GTiff"), path, 4, 4, 1, GDT_Byte, NULL);
    assert_non_null(ds);
    GDALClose(ds);
    assert_int_equal(load(path, NULL, NULL, &net, &err), AM_ERR_FORMAT);
    assert_null(net);
}

static void test_missing_layer(void **state)
{
    (void)state;
    am_road_network *net = NULL;
    am_error err;
    assert_int_equal(load(TINY_OSM, "roads", NULL, &net, &err), AM_ERR_FORMAT);
    assert_null(net);
    assert_non_null(strstr(err.msg, "'roads'"));
    assert_non_null(strstr(err.msg, "'lines'")); /* names what exists */
    assert_non_null(strstr(err.msg, "'multipolygons'"));
}

static void test_no_crs(void **state)
{
    (void)state;
    char path[1024];
    tmp_path(path, sizeof path, "no_crs.gpkg");
    remove(path);
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0,
                                 GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRLayerH lyr =
        GDALDatasetCreateLayer(ds, "roads", NULL, wkbLineString, NULL);
    assert_non_null(lyr);
    OGRFieldDefnH fd = OGR_Fld_Create("highway", OFTString);
    assert_int_equal(OGR_L_CreateField(lyr, fd, TRUE), OGRERR_NONE);
    OGR_Fld_Destroy(fd);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
    OGR_F_SetFieldString(f, 0, "primary");
    OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
    OGR_G_AddPoint_2D(g, 0, 0);
    OGR_G_AddPoint_2D(g, 100, 0);
    OGR_F_SetGeometryDirectly(f, g);
    assert_int_equal(OGR_L_CreateFeature(lyr, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(ds);

    /* GDAL stores it as srs_id 0, "Undefined geographic SRS" */
    am_road_network *net = NULL;
    am_error err;
    assert_int_equal(load(path, NULL, NULL, &net, &err), AM_ERR_CRS);
    assert_null(net);
    assert_string_equal(err.layer, "roads");
    assert_string_equal(err.file, path);

    /* a CSV with a WKT column: a layer whose CRS is NULL */
    tmp_path(path, sizeof path, "no_crs.csv");
    write_text(path, "WKT,highway\n"
                     "\"LINESTRING (0 0,0.001 0)\",primary\n");
    assert_int_equal(load(path, NULL, NULL, &net, &err), AM_ERR_CRS);
    assert_null(net);
    assert_string_equal(err.layer, "no_crs");
    assert_non_null(strstr(err.msg, "no coordinate reference system"));
}

static void test_only_footways(void **state)
{
    (void)state;
    char path[1024];
    am_road_network *net = NULL;
    am_error err;
    tmp_path(path, sizeof path, "footways.geojson");
    write_text(path,
               "{\"type\":\"FeatureCollection\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"highway\":\"footway\"},"
               "\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
               "[[0,0],[0.001,0]]}},"
               "{\"type\":\"Feature\",\"properties\":{\"highway\":\"steps\"},"
               "\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
               "[[0,0],[0,0.001]]}}]}");
    assert_int_equal(load(path, NULL, NULL, &net, &err), AM_ERR_EMPTY);
    assert_null(net);
    assert_non_null(strstr(err.msg, "2 features read, 2 not routable"));
    assert_non_null(strstr(err.msg, "car"));

    /* a filter that leaves nothing */
    assert_int_equal(load(TINY_OSM, NULL, "highway = 'motorway'", &net, &err),
                     AM_ERR_EMPTY);
    assert_string_equal(err.layer, "lines");
    assert_null(net);
}

static void test_no_highway_field(void **state)
{
    (void)state;
    char path[1024];
    am_road_network *net = NULL;
    am_error err;
    tmp_path(path, sizeof path, "no_highway.geojson");
    write_text(path,
               "{\"type\":\"FeatureCollection\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"class\":\"primary\"},"
               "\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
               "[[0,0],[0.001,0]]}}]}");
    assert_int_equal(load(path, NULL, NULL, &net, &err), AM_ERR_FORMAT);
    assert_null(net);
    assert_non_null(strstr(err.msg, "highway"));
    assert_string_equal(err.layer, "no_highway");
}

static void test_bad_where(void **state)
{
    (void)state;
    am_road_network *net = NULL;
    am_error err;
    assert_int_equal(load(TINY_GEOJSON, NULL, "highway = = 'x'", &net, &err),
                     AM_ERR_FORMAT);
    assert_null(net);
    assert_non_null(strstr(err.msg, "highway = = 'x'"));
    assert_int_equal(load(TINY_OSM, NULL, "no_such_field = 1", &net, &err),
                     AM_ERR_FORMAT);
    assert_null(net);
}

/* A filter that keeps nothing is named, with the layer's count without
 * it, rather than "no routable road (0 features read)". */
static void test_where_matches_nothing(void **state)
{
    (void)state;
    am_road_network *net = NULL;
    am_error err;
    assert_int_equal(load(TINY_OSM, NULL, "highway = 'primay'", &net, &err),
                     AM_ERR_EMPTY);
    assert_null(net);
    assert_string_equal(err.msg, "the filter 'where: highway = 'primay'' "
                                 "matched no feature of layer 'lines' (7 "
                                 "features without it)");
    assert_string_equal(err.layer, "lines");
    assert_int_equal(load(TINY_GEOJSON, NULL, "highway = 'primay'", &net, &err),
                     AM_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "matched no feature of layer"));
    assert_non_null(strstr(err.msg, "(7 features without it)"));
    /* a filter that keeps only unroutable ways is another message */
    assert_int_equal(load(TINY_OSM, NULL, "highway = 'footway'", &net, &err),
                     AM_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "no routable road"));
}

/* GeoPackage runs the filter in SQLite on the first read, whose failure
 * reads like damage: a bad column is still a bad filter. */
static void test_gpkg_bad_where(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "tiny_where.gpkg");
    unlink(path);
    GDALDatasetH src =
        GDALOpenEx(TINY_GEOJSON, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(src);
    char *argv[] = {"-f", "GPKG", "-nln", "lines", NULL};
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew(argv, NULL);
    assert_non_null(o);
    GDALDatasetH dst = GDALVectorTranslate(path, NULL, 1, &src, o, NULL);
    GDALVectorTranslateOptionsFree(o);
    GDALClose(src);
    assert_non_null(dst);
    GDALClose(dst);

    am_road_network *net = NULL;
    am_error err;
    assert_int_equal(load(path, NULL, "no_such_column = 1", &net, &err),
                     AM_ERR_FORMAT);
    assert_null(net);
    assert_non_null(strstr(err.msg, "bad filter \"no_such_column = 1\""));
    assert_null(strstr(err.msg, "damaged"));
    assert_int_equal(load(path, NULL, "highway = 'primay'", &net, &err),
                     AM_ERR_EMPTY);
    assert_non_null(strstr(err.msg, "(7 features without it)"));
    assert_int_equal(load(path, NULL, "highway = 'tertiary'", &net, &err),
                     AM_OK);
    assert_int_equal(net->n_features, 2);
    am_road_network_destroy(net);
    unlink(path);
}

/*
 * A road drawn with a vertex every ~0.2 m (hostile review, issue 7): each
 * arc alone is 0.13 ds at 60 km/h, which rounded on its own is 0, so the
 * road took no time at all. Rounded along the way, its arcs sum to its
 * whole time, the same as the same road drawn with two vertices.
 */
static void test_dense_road_keeps_its_time(void **state)
{
    (void)state;
    char dense[512], sparse[512];
    tmp_path(dense, sizeof dense, "dense.geojson");
    tmp_path(sparse, sizeof sparse, "sparse.geojson");
    enum { N = 10001 };
    FILE *f = fopen(dense, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
               "\"Feature\",\"properties\":{\"highway\":\"primary\","
               "\"maxspeed\":\"60\"},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[");
    for (int i = 0; i < N; i++)
        fprintf(f, "%s[%.9f,0.0]", i ? "," : "", 43.0 + i * 0.000002);
    fprintf(f, "]}}]}\n");
    fclose(f);
    char text[512];
    snprintf(text, sizeof text,
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
             "\"Feature\",\"properties\":{\"highway\":\"primary\","
             "\"maxspeed\":\"60\"},\"geometry\":{\"type\":\"LineString\","
             "\"coordinates\":[[43.0,0.0],[%.9f,0.0]]}}]}\n",
             43.0 + (N - 1) * 0.000002);
    write_text(sparse, text);
    am_road_network *d = load_ok(dense, NULL), *s = load_ok(sparse, NULL);
    assert_int_equal(d->n_arcs, 2 * (N - 1));
    uint64_t sum = 0;
    for (int64_t a = 0; a < d->n_arcs; a += 2) /* forward arcs */
        sum += d->time_ds[a];
    /* 2.2 km at 60 km/h: about 1336 ds, within a decisecond of the
     * two-vertex road (its length differs by the geodesic's rounding) */
    assert_true(s->time_ds[0] > 1300);
    assert_true(llabs((long long)sum - (long long)s->time_ds[0]) <= 1);
    am_road_network_destroy(d);
    am_road_network_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_osm),
        cmocka_unit_test(test_tiny_geojson),
        cmocka_unit_test(test_tiny_layer_by_name),
        cmocka_unit_test(test_tiny_where),
        cmocka_unit_test(test_tiny_projected),
        cmocka_unit_test(test_geometry_kinds),
        cmocka_unit_test(test_curve),
        cmocka_unit_test(test_bayfront),
        cmocka_unit_test(test_bayfront_where),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_not_vector),
        cmocka_unit_test(test_missing_layer),
        cmocka_unit_test(test_no_crs),
        cmocka_unit_test(test_only_footways),
        cmocka_unit_test(test_no_highway_field),
        cmocka_unit_test(test_bad_where),
        cmocka_unit_test(test_where_matches_nothing),
        cmocka_unit_test(test_gpkg_bad_where),
        cmocka_unit_test(test_dense_road_keeps_its_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
