/*
 * test_zone_raster.c: inputs/zone_raster, admin zones onto the populated
 * cells of the population grid.
 *
 *  - the Comoros islands (admin_level 4 of the demo's OSM PBF,
 *    multipolygons layer) on the demo's WorldPop raster: the per-zone
 *    populations and the cells in no zone add up to the total, and every
 *    populated cell's zone is the one GDALRasterizeLayers burns on the
 *    same grid (an independent rasterisation, same cell-centre rule);
 *  - the Mohéli box of tests/data/zones in WGS 84 against a direct
 *    count of the cell centres inside it, and its UTM 38S twin
 *    (reprojected to the raster's CRS) giving the same cells;
 *  - groups: the islands grouped by a field they share are one zone, the
 *    sum of the three;
 *  - a toy raster (written here) with overlapping polygons, a hole, a
 *    multipolygon, repeated ids and a feature without geometry: the lowest
 *    FID wins, a zone per distinct id, checked cell by cell;
 *  - errors naming file, layer and feature: missing id field, a line
 *    layer, a line feature, a layer without CRS, zones elsewhere, an empty
 *    id, a filter that matches nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inputs/population.h"
#include "inputs/zone_raster.h"

#define ZDIR AM_TEST_DATA "/zones"
#define POP AM_DEMO_DATA "/comoros/com_ppp_2020_UNadj.tif"
#define PBF AM_DEMO_DATA "/comoros/comores-latest.osm.pbf"

static char tmp_dir[256];

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/accessim-zr-XXXXXX");
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

static const char *write_tmp(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
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

static am_zone_raster_options zopts(const char *path, const char *layer,
                                    const char *where, const char *id)
{
    am_zone_raster_options o;
    memset(&o, 0, sizeof o);
    o.path = path;
    o.layer = layer;
    o.where = where;
    o.id_field = id;
    return o;
}

/* The sums add up: cells and population. */
static void check_totals(const am_zone_raster *z, const am_population *p)
{
    int64_t cells = z->n_outside;
    double pop = z->pop_outside;
    for (int32_t k = 0; k < z->n_zones; k++) {
        cells += z->zone_cells[k];
        pop += z->zone_pop[k];
    }
    assert_int_equal(cells, p->n_cells);
    assert_true(fabs(pop - p->total) <= 1e-9 * p->total);
    /* and cell_zone agrees with the per-zone counts */
    int64_t out = 0;
    for (int32_t i = 0; i < z->n_cells; i++) {
        assert_true(z->cell_zone[i] >= -1 && z->cell_zone[i] < z->n_zones);
        out += z->cell_zone[i] < 0;
    }
    assert_int_equal(out, z->n_outside);
}

static void test_comoros_islands(void **state)
{
    (void)state;
    am_population *p = load_pop(POP);
    am_zone_raster_options o =
        zopts(PBF, "multipolygons", "admin_level = '4'", "name");
    am_zone_raster *z = NULL;
    am_error err;
    am_zone_raster_options o1 = o;
    assert_int_equal(am_zone_raster_build(&o1, p, 2, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 3);
    assert_string_equal(z->layer, "multipolygons");
    check_totals(z, p);
    for (int32_t k = 0; k < z->n_zones; k++)
        assert_true(z->zone_pop[k] > 1000.0);
    /* the sea is not an island, and WorldPop has people on the coast */
    assert_true(z->n_outside > 0 && z->n_outside < p->n_cells / 4);

    /* 1 and 3 threads: the same assignment */
    am_zone_raster *z3 = NULL;
    assert_int_equal(am_zone_raster_build(&o, p, 3, &z3, &err), AM_OK);
    assert_memory_equal(z->cell_zone, z3->cell_zone,
                        (size_t)p->n_cells * sizeof *z->cell_zone);
    am_zone_raster_destroy(z3);

    /* GDAL's rasterisation of each island on the same grid. */
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH r =
        GDALCreate(mem, "", p->grid.nx, p->grid.ny, 1, GDT_Int32, NULL);
    assert_non_null(r);
    GDALSetGeoTransform(r, (double *)p->grid.gt);
    GDALSetProjection(r, p->crs_wkt);
    GDALDatasetH v =
        GDALOpenEx(PBF, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(v);
    OGRLayerH l = GDALDatasetGetLayerByName(v, "multipolygons");
    assert_non_null(l);
    for (int32_t k = 0; k < z->n_zones; k++) {
        char where[256];
        snprintf(where, sizeof where, "admin_level = '4' AND name = '%s'",
                 z->zone_id[k]);
        assert_int_equal(OGR_L_SetAttributeFilter(l, where), OGRERR_NONE);
        int band = 1;
        double burn = k + 1;
        OGRLayerH layers[1] = {l};
        assert_int_equal(GDALRasterizeLayers(r, 1, &band, 1, layers, NULL, NULL,
                                             &burn, NULL, NULL, NULL),
                         CE_None);
    }
    GDALClose(v);
    int32_t *burnt = malloc((size_t)p->grid.nx * p->grid.ny * sizeof *burnt);
    assert_non_null(burnt);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(r, 1), GF_Read, 0, 0,
                                  p->grid.nx, p->grid.ny, burnt, p->grid.nx,
                                  p->grid.ny, GDT_Int32, 0, 0),
                     CE_None);
    GDALClose(r);
    double *gpop = calloc((size_t)z->n_zones, sizeof *gpop);
    int64_t mismatches = 0;
    for (int32_t i = 0; i < p->n_cells; i++) {
        const int32_t g = burnt[p->cell[i]] - 1;
        mismatches += g != z->cell_zone[i];
        if (g >= 0)
            gpop[g] += p->pop[i];
    }
    assert_int_equal(mismatches, 0);
    for (int32_t k = 0; k < z->n_zones; k++)
        assert_true(gpop[k] == z->zone_pop[k]); /* same cells, same order */
    free(gpop);
    free(burnt);
    am_zone_raster_destroy(z);
    am_population_destroy(p);
}

/*
 * A field shared by several polygons groups them into one row (an
 * urban/rural attribute of communes, OSM's place): the islands grouped by
 * their admin_level (the same for the three) are one zone holding exactly
 * the islands' cells, its population the sum of theirs.
 */
static void test_groups(void **state)
{
    (void)state;
    am_population *p = load_pop(POP);
    am_zone_raster_options o =
        zopts(PBF, "multipolygons", "admin_level = '4'", "name");
    am_zone_raster_options og =
        zopts(PBF, "multipolygons", "admin_level = '4'", "admin_level");
    am_zone_raster *z = NULL, *g = NULL;
    am_error err;
    assert_int_equal(am_zone_raster_build(&o, p, 2, &z, &err), AM_OK);
    assert_int_equal(am_zone_raster_build(&og, p, 2, &g, &err), AM_OK);
    assert_int_equal(z->n_zones, 3);
    assert_int_equal(g->n_zones, 1);
    assert_string_equal(g->zone_id[0], "4");
    assert_int_equal(g->n_features, 3);
    check_totals(g, p);
    int64_t cells = 0;
    double pop = 0.0;
    for (int32_t k = 0; k < z->n_zones; k++) {
        cells += z->zone_cells[k];
        pop += z->zone_pop[k];
    }
    assert_int_equal(g->zone_cells[0], cells);
    assert_true(fabs(g->zone_pop[0] - pop) <= 1e-12 * pop);
    /* the lowest FID of the group's features */
    int64_t fid = z->zone_fid[0];
    for (int32_t k = 1; k < z->n_zones; k++)
        fid = z->zone_fid[k] < fid ? z->zone_fid[k] : fid;
    assert_true(g->zone_fid[0] == fid);
    for (int32_t i = 0; i < p->n_cells; i++)
        assert_int_equal(g->cell_zone[i], z->cell_zone[i] >= 0 ? 0 : -1);
    am_zone_raster_destroy(g);
    am_zone_raster_destroy(z);
    am_population_destroy(p);
}

static void test_moheli_box(void **state)
{
    (void)state;
    am_population *p = load_pop(POP);
    am_zone_raster_options o = zopts(ZDIR "/moheli.geojson", NULL, NULL, NULL);
    am_zone_raster *z = NULL, *u = NULL;
    am_error err;
    assert_int_equal(am_zone_raster_build(&o, p, 2, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 1);
    assert_string_equal(z->zone_id[0], "0"); /* the FID as id */
    check_totals(z, p);
    /* Directly: centres with lon in [43.55, 43.95), lat in [-12.45,
     * -12.2) (the half-open rule: west and south edges inside). */
    double pop = 0.0;
    int64_t cells = 0;
    for (int32_t i = 0; i < p->n_cells; i++) {
        const int32_t col = (int32_t)(p->cell[i] % p->grid.nx);
        const int32_t row = (int32_t)(p->cell[i] / p->grid.nx);
        const double x = p->grid.gt[0] + (col + 0.5) * p->grid.gt[1];
        const double y = p->grid.gt[3] + (row + 0.5) * p->grid.gt[5];
        const int in = x >= 43.55 && x < 43.95 && y >= -12.45 && y < -12.2;
        assert_int_equal(z->cell_zone[i], in ? 0 : -1);
        if (in) {
            pop += p->pop[i];
            cells++;
        }
    }
    assert_int_equal(z->zone_cells[0], cells);
    assert_true(z->zone_pop[0] == pop);
    assert_true(cells > 1000);

    /* The UTM 38S twin: reprojected to the raster's lon/lat, the box's
     * edges are in the sea, so the same cells. */
    o = zopts(ZDIR "/moheli_utm38s.geojson", NULL, NULL, "name");
    assert_int_equal(am_zone_raster_build(&o, p, 1, &u, &err), AM_OK);
    assert_string_equal(u->zone_id[0], "Moheli (Mwali) flood scenario");
    assert_memory_equal(z->cell_zone, u->cell_zone,
                        (size_t)p->n_cells * sizeof *z->cell_zone);
    am_zone_raster_destroy(u);
    am_zone_raster_destroy(z);
    am_population_destroy(p);
}

/* A 24 x 8 raster of 0.5 degree cells over lon 0..12, lat 0..4, 1 person a
 * cell but 0 in its first column. */
static const char *toy_raster(void)
{
    const char *path = tmp_path("toy.tif");
    GDALDatasetH d = GDALCreate(GDALGetDriverByName("GTiff"), path, 24, 8, 1,
                                GDT_Float32, NULL);
    assert_non_null(d);
    double gt[6] = {0, 0.5, 0, 4, 0, -0.5};
    GDALSetGeoTransform(d, gt);
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(s, 4326);
    char *wkt = NULL;
    OSRExportToWkt(s, &wkt);
    GDALSetProjection(d, wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(s);
    float v[24 * 8];
    for (int i = 0; i < 24 * 8; i++)
        v[i] = i % 24 == 0 ? 0.0f : 1.0f;
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(d, 1), GF_Write, 0, 0, 24,
                                  8, v, 24, 8, GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(d);
    return path;
}

static void test_overlaps_and_ids(void **state)
{
    (void)state;
    am_population *p = load_pop(toy_raster());
    assert_int_equal(p->n_cells, 23 * 8);
    am_warnings w;
    am_warnings_init(&w, NULL, NULL);
    /* zones.geojson: feature 1 (flood) a 4 x 4 square with a 2 x 2 hole
     * and a square at 10..12 x 0..2; feature 2 (congestion) 3..6 x 0..4,
     * overlapping feature 1 on 3..4; feature 3 without geometry. */
    am_zone_raster_options o = zopts(ZDIR "/zones.geojson", NULL, NULL, "kind");
    o.warnings = &w;
    am_zone_raster *z = NULL;
    am_error err;
    assert_int_equal(am_zone_raster_build(&o, p, 2, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 2);
    assert_int_equal(z->n_skipped, 1);
    assert_int_equal(w.count, 1);
    assert_non_null(strstr(w.msg[0], "1 zone feature skipped"));
    assert_string_equal(z->zone_id[0], "flood");
    assert_string_equal(z->zone_id[1], "congestion");
    assert_true(z->zone_fid[0] == 1 && z->zone_fid[1] == 2);
    check_totals(z, p);
    for (int32_t i = 0; i < p->n_cells; i++) {
        const double x = 0.5 * (double)(p->cell[i] % 24) + 0.25;
        const double y = 4.0 - 0.5 * (double)(p->cell[i] / 24) - 0.25;
        const int hole = x > 1 && x < 3 && y > 1 && y < 3;
        const int f1 = (x < 4 && !hole) || (x > 10 && y < 2);
        const int f2 = x > 3 && x < 6;
        assert_int_equal(z->cell_zone[i], f1 ? 0 : f2 ? 1 : -1);
    }
    am_zone_raster_destroy(z);
    am_warnings_clear(&w);

    /* Repeated ids: B (FIDs 5 and 7) and A (FID 3), overlapping on 1..2:
     * A has the lowest FID (zone 0, and wins the overlap); B's two
     * features are one zone. */
    const char *dup = write_tmp(
        "dup.geojson",
        "{\"type\": \"FeatureCollection\", \"features\": [\n"
        "{\"type\": \"Feature\", \"id\": 5, \"properties\": {\"z\": \"B\"},"
        " \"geometry\": {\"type\": \"Polygon\", \"coordinates\": "
        "[[[0,0],[2,0],[2,4],[0,4],[0,0]]]}},\n"
        "{\"type\": \"Feature\", \"id\": 3, \"properties\": {\"z\": \"A\"},"
        " \"geometry\": {\"type\": \"Polygon\", \"coordinates\": "
        "[[[1,0],[3,0],[3,4],[1,4],[1,0]]]}},\n"
        "{\"type\": \"Feature\", \"id\": 7, \"properties\": {\"z\": \"B\"},"
        " \"geometry\": {\"type\": \"Polygon\", \"coordinates\": "
        "[[[4,0],[5,0],[5,4],[4,4],[4,0]]]}}\n]}\n");
    o = zopts(dup, NULL, NULL, "z");
    assert_int_equal(am_zone_raster_build(&o, p, 1, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 2);
    assert_string_equal(z->zone_id[0], "A");
    assert_string_equal(z->zone_id[1], "B");
    assert_true(z->zone_fid[0] == 3 && z->zone_fid[1] == 5);
    /* A: 1..3 (4 columns x 8 rows); B: 0..1 without the empty first
     * column (1 x 8) and 4..5 (2 x 8) */
    assert_int_equal(z->zone_cells[0], 32);
    assert_int_equal(z->zone_cells[1], 24);
    assert_true(z->zone_pop[0] == 32.0 && z->zone_pop[1] == 24.0);
    check_totals(z, p);
    am_zone_raster_destroy(z);

    /* Without an id field: each feature a zone, in FID order. */
    o = zopts(dup, NULL, NULL, NULL);
    assert_int_equal(am_zone_raster_build(&o, p, 1, &z, &err), AM_OK);
    assert_int_equal(z->n_zones, 3);
    assert_string_equal(z->zone_id[0], "3");
    assert_string_equal(z->zone_id[2], "7");
    am_zone_raster_destroy(z);
    am_population_destroy(p);
}

/* A Shapefile polygon layer without a .prj. */
static const char *no_crs_layer(void)
{
    const char *path = tmp_path("nocrs.shp");
    GDALDatasetH d = GDALCreate(GDALGetDriverByName("ESRI Shapefile"), path, 0,
                                0, 0, GDT_Unknown, NULL);
    assert_non_null(d);
    OGRLayerH l = GDALDatasetCreateLayer(d, "nocrs", NULL, wkbPolygon, NULL);
    assert_non_null(l);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGRGeometryH g = NULL;
    char *wkt = "POLYGON ((0 0,1 0,1 1,0 1,0 0))";
    assert_int_equal(OGR_G_CreateFromWkt(&wkt, NULL, &g), OGRERR_NONE);
    OGR_F_SetGeometryDirectly(f, g);
    assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(d);
    return path;
}

static void expect_error(const am_zone_raster_options *o,
                         const am_population *p, am_status code,
                         const char *fragment, long long feature)
{
    am_zone_raster *z = NULL;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_zone_raster_build(o, p, 1, &z, &err), code);
    assert_null(z);
    if (strstr(err.msg, fragment) == NULL) {
        print_error("message '%s' lacks '%s'\n", err.msg, fragment);
        fail();
    }
    assert_string_equal(err.file, o->path);
    assert_true(err.feature == feature);
}

static void test_errors(void **state)
{
    (void)state;
    am_population *p = load_pop(toy_raster());
    am_zone_raster_options o = zopts(ZDIR "/zones.geojson", NULL, NULL, "nope");
    expect_error(&o, p, AM_ERR_FORMAT,
                 "id field 'nope' does not exist (fields: kind, mult)", -1);

    /* a layer of lines; a line among polygons */
    const char *lines =
        write_tmp("lines.geojson",
                  "{\"type\": \"FeatureCollection\", \"features\": [\n"
                  "{\"type\": \"Feature\", \"id\": 1, \"properties\": {},"
                  " \"geometry\": {\"type\": \"LineString\", \"coordinates\": "
                  "[[0,0],[2,0]]}}]}\n");
    o = zopts(lines, NULL, NULL, NULL);
    expect_error(&o, p, AM_ERR_FORMAT, "Line String geometries, not polygons",
                 -1);
    const char *mixed =
        write_tmp("mixed.geojson",
                  "{\"type\": \"FeatureCollection\", \"features\": [\n"
                  "{\"type\": \"Feature\", \"id\": 1, \"properties\": {},"
                  " \"geometry\": {\"type\": \"Polygon\", \"coordinates\": "
                  "[[[0,0],[2,0],[2,4],[0,0]]]}},\n"
                  "{\"type\": \"Feature\", \"id\": 2, \"properties\": {},"
                  " \"geometry\": {\"type\": \"LineString\", \"coordinates\": "
                  "[[0,0],[2,0]]}}]}\n");
    o = zopts(mixed, NULL, NULL, NULL);
    expect_error(&o, p, AM_ERR_FORMAT, "is a Line String, not a polygon", 2);

    o = zopts(no_crs_layer(), NULL, NULL, NULL);
    expect_error(&o, p, AM_ERR_CRS, "", -1);

    /* Mohéli is not on the toy raster (in WGS 84 and in UTM). */
    o = zopts(ZDIR "/moheli.geojson", NULL, NULL, NULL);
    expect_error(&o, p, AM_ERR_NO_OVERLAP,
                 "the zones do not overlap the population raster", -1);
    o = zopts(ZDIR "/moheli_utm38s.geojson", NULL, NULL, NULL);
    expect_error(&o, p, AM_ERR_NO_OVERLAP,
                 "the zones do not overlap the population raster", -1);

    /* an empty id; a filter that matches nothing; a bad filter */
    const char *noid = write_tmp(
        "noid.geojson",
        "{\"type\": \"FeatureCollection\", \"features\": [\n"
        "{\"type\": \"Feature\", \"id\": 4, \"properties\": {\"z\": null},"
        " \"geometry\": {\"type\": \"Polygon\", \"coordinates\": "
        "[[[0,0],[2,0],[2,4],[0,0]]]}}]}\n");
    o = zopts(noid, NULL, NULL, "z");
    expect_error(&o, p, AM_ERR_INVALID, "id field 'z' is empty", 4);
    o = zopts(ZDIR "/zones.geojson", NULL, "kind = 'nothing'", "kind");
    expect_error(&o, p, AM_ERR_EMPTY,
                 "the filter 'where: kind = 'nothing'' matched no polygon", -1);
    o = zopts(ZDIR "/zones.geojson", NULL, "kind ==== 3", "kind");
    expect_error(&o, p, AM_ERR_FORMAT, "bad filter", -1);
    o = zopts(ZDIR "/zones.geojson", "nolayer", NULL, "kind");
    expect_error(&o, p, AM_ERR_FORMAT, "nolayer", -1);
    o = zopts(tmp_path("missing.gpkg"), NULL, NULL, NULL);
    expect_error(&o, p, AM_ERR_IO, "", -1);
    am_population_destroy(p);
}

/*
 * The probe (am_zone_layer_probe, run before the heavy phases) gives the
 * build's code and message for every mistake it can see without reading a
 * feature, and passes the layers the build reads.
 */
static void same_as_build(const am_zone_raster_options *o,
                          const am_population *p)
{
    am_zone_raster *z = NULL;
    am_error eb, ep;
    am_error_clear(&eb);
    am_error_clear(&ep);
    const am_status rb = am_zone_raster_build(o, p, 1, &z, &eb);
    am_zone_raster_destroy(z);
    assert_int_not_equal(rb, AM_OK);
    assert_int_equal(am_zone_layer_probe(o, p->crs_wkt, &ep), rb);
    assert_string_equal(ep.msg, eb.msg);
    assert_string_equal(ep.file, eb.file);
    assert_string_equal(ep.layer, eb.layer);
}

static void test_probe(void **state)
{
    (void)state;
    am_population *p = load_pop(toy_raster());
    am_error err;
    am_zone_raster_options o = zopts(ZDIR "/zones.geojson", NULL, NULL, "kind");
    assert_int_equal(am_zone_layer_probe(&o, p->crs_wkt, &err), AM_OK);
    o = zopts(ZDIR "/moheli_utm38s.geojson", NULL, NULL, NULL);
    assert_int_equal(am_zone_layer_probe(&o, p->crs_wkt, &err), AM_OK);
    o = zopts(ZDIR "/zones.geojson", NULL, NULL, "nope");
    same_as_build(&o, p);
    const char *lines =
        write_tmp("plines.geojson",
                  "{\"type\": \"FeatureCollection\", \"features\": [\n"
                  "{\"type\": \"Feature\", \"id\": 1, \"properties\": {},"
                  " \"geometry\": {\"type\": \"LineString\", \"coordinates\": "
                  "[[0,0],[2,0]]}}]}\n");
    o = zopts(lines, NULL, NULL, NULL);
    same_as_build(&o, p);
    o = zopts(no_crs_layer(), NULL, NULL, NULL);
    same_as_build(&o, p);
    o = zopts(ZDIR "/zones.geojson", "nolayer", NULL, "kind");
    same_as_build(&o, p);
    o = zopts(tmp_path("missing.gpkg"), NULL, NULL, NULL);
    same_as_build(&o, p);
    am_population_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comoros_islands),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_moheli_box),
        cmocka_unit_test(test_overlaps_and_ids),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
