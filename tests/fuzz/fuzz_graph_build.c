/*
 * fuzz_graph_build.c: the road graph builder fed with arbitrary line
 * features (issue 13, "Fuzzing").
 *
 * The bytes become a FlatGeobuf layer in /vsimem/ (GDAL's own writer, so
 * the file is well formed; what is arbitrary is its content): up to 24
 * features, each a LineString, MultiLineString, Point, empty or missing
 * geometry with up to 31 vertices on a small grid around the Comoros (so
 * that vertices coincide, lines cross and ends nearly touch) or anywhere
 * at all (any double: NaN, infinities, beyond the poles), and OSM-style
 * tags (highway, oneway, maxspeed, other_tags, access, bridge, layer,
 * route, duration, ...) and mapped fields (class, speed, time,
 * direction), each from a table of telling values or arbitrary bytes.
 * The first byte picks one of eight scenarios (the built-in profiles,
 * class / speed / time field mappings, tolerance and crossing joins, a
 * where filter), the CRS of the layer (WGS 84, Web Mercator, UTM 38S,
 * ED50, none) and the thread count (1 or 2).
 *
 * Then the model is built the way `accessim run` builds it
 * (am_model_create, am_model_build_to: roads, graph with its contraction,
 * Hilbert order and reverse, population, snapping) on a fixed 8 x 8
 * population raster and one facility. Checked beyond "no crash, no
 * leak": a failure carries a message; a success leaves graphs that pass
 * am_graph_validate and cells linked to nodes of the graph.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/internal.h"
#include "kernels/graph.h"
#include "fuzz_geo.h"

#define ROADS "/vsimem/fuzz/roads.fgb"
#define POP "/vsimem/fuzz/pop.tif"
#define FAC "/vsimem/fuzz/fac.geojson"
#define LON0 43.25
#define LAT0 (-11.70)

/* The scenario's roads: mapping after the path, one per mode. */
static const char *const ROAD_MODES[8] = {
    "  profile: car\n",
    "  profile: walk\n  ferries: true\n",
    "  class_field: cls\n  class_speeds_kmh: {primary: 60, secondary: 40, "
    "track: 0.5}\n  default_speed_kmh: 20\n  oneway_field: dir\n"
    "  join_tolerance_m: 2\n",
    "  speed_field: speed\n  oneway_field: dir\n  oneway_values: {forward: "
    "[F, 'yes'], backward: [T], both: [B, '']}\n  join_crossings: true\n",
    "  time_field: time\n  time_unit: minutes\n  join_tolerance_m: 50\n"
    "  join_vertices: all\n",
    "  profile: car\n  join_crossings: true\n  maxspeed_implausible: use\n"
    "  speeds: {primary: 200}\n  speed_multipliers: {track: 0.5}\n",
    "  profile: bicycle\n  where: \"highway != 'track'\"\n"
    "  join_tolerance_m: 0.001\n",
    "  profile: ambulance\n  ferries: true\n  join_crossings: true\n"
    "  join_tolerance_m: 100\n  join_vertices: all\n",
};

static am_scenario *scenarios[8];
static OGRSpatialReferenceH crs[5]; /* [4]: none */

/* Field names, their tables of values (NULL-terminated; an index past
 * the table reads the value from the bytes instead). */
enum { F_REAL_SPEED = 14, F_REAL_TIME = 15, N_FIELDS = 17 };
static const char *const FIELD[N_FIELDS] = {
    "highway", "oneway",   "maxspeed", "other_tags",    "junction", "area",
    "route",   "duration", "access",   "motor_vehicle", "bridge",   "tunnel",
    "layer",   "cls",      "speed",    "time",          "dir"};
static const char *const V_HIGHWAY[] = {
    "motorway",    "trunk",         "primary",       "secondary",    "tertiary",
    "residential", "unclassified",  "track",         "service",      "footway",
    "path",        "living_street", "motorway_link", "cycleway",     "steps",
    "pedestrian",  "road",          "proposed",      "construction", "",
    NULL};
static const char *const V_ONEWAY[] = {
    "yes", "no", "-1", "1", "reversible", "true", "alternating", "", NULL};
static const char *const V_MAXSPEED[] = {
    "50",  "30 mph",  "RU:urban", "none",    "walk",         "0",
    "-5",  "1e309",   "50;70",    "signals", "999999999999", "nan",
    "inf", "5 knots", "",         NULL};
static const char *const V_OTHER[] = {
    "\"oneway\"=>\"yes\"",
    "\"maxspeed\"=>\"50\",\"layer\"=>\"1\"",
    "\"bridge\"=>\"yes\"",
    "\"access\"=>\"no\"",
    "\"route\"=>\"ferry\",\"duration\"=>\"01:30\"",
    "\"a\"=>\"b\\\"c\"",
    "\"",
    "\"x\"=>",
    "=>",
    "\"highway\"=>\"primary\",\"oneway\"=>\"-1\"",
    "",
    NULL};
static const char *const V_JUNCTION[] = {"roundabout", "circular", "", NULL};
static const char *const V_YESNO[] = {"yes", "no", "viaduct", "culvert", NULL};
static const char *const V_ROUTE[] = {"ferry", "road", NULL};
static const char *const V_DURATION[] = {"00:30", "90",          "1:2:3", "-1",
                                         "PT30M", "99999999:00", NULL};
static const char *const V_ACCESS[] = {"no",          "private",  "yes",
                                       "destination", "delivery", NULL};
static const char *const V_LAYER[] = {"1",           "-1", "2",  "0",
                                      "99999999999", "x",  "-5", NULL};
static const char *const V_CLS[] = {"primary", "secondary", "track",
                                    "Primary", "",          NULL};
static const char *const V_DIR[] = {"F", "T", "B", "yes", "-1", "no", "", NULL};
static const char *const *const TABLE[N_FIELDS] = {
    V_HIGHWAY, V_ONEWAY,   V_MAXSPEED, V_OTHER,  V_JUNCTION, V_YESNO,
    V_ROUTE,   V_DURATION, V_ACCESS,   V_ACCESS, V_YESNO,    V_YESNO,
    V_LAYER,   V_CLS,      NULL,       NULL,     V_DIR};
static const double V_REAL[] = {0.0,    1.0,  30.0, 60.0,     300.0,
                                301.0,  -1.0, NAN,  INFINITY, 1e300,
                                1e-300, 0.01, 4.0e9};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    GDALAllRegister();
    CPLSetConfigOption("CPL_LOG", "/dev/null");
    CPLPushErrorHandler(CPLQuietErrorHandler);
    if (!fz_population(POP, LON0 - 0.02, LAT0 + 0.02, 8, 8, 0.005, 100.0f) ||
        !fz_facility(FAC, LON0, LAT0))
        abort();
    for (int k = 0; k < 8; k++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "name: fuzz\noutput: /tmp/fuzz_graph_build_unused.h5\n"
                 "roads:\n  path: " ROADS "\n%s"
                 "population:\n  path: " POP "\n"
                 "snap:\n  max_distance_m: 5000\n"
                 "facilities:\n  - name: f\n    path: " FAC "\n"
                 "cutoffs_min: [15]\n"
                 "measures:\n  - type: 2sfca\n    threshold_min: 15\n",
                 ROAD_MODES[k]);
        if ((scenarios[k] = fz_scenario(text)) == NULL)
            abort();
    }
    static const int epsg[4] = {4326, 3857, 32738, 4230};
    for (int k = 0; k < 4; k++) {
        crs[k] = OSRNewSpatialReference(NULL);
        if (OSRImportFromEPSG(crs[k], epsg[k]) != OGRERR_NONE)
            abort();
        OSRSetAxisMappingStrategy(crs[k], OAMS_TRADITIONAL_GIS_ORDER);
    }
    crs[4] = NULL;
    return 0;
}

/* One field's value from its table or the bytes. */
static void set_field(OGRFeatureH f, int k, fz_bytes *b)
{
    const uint8_t pick = fz_u8(b);
    if (k == F_REAL_SPEED || k == F_REAL_TIME) {
        const size_t nv = sizeof V_REAL / sizeof V_REAL[0];
        OGR_F_SetFieldDouble(f, k, pick < nv ? V_REAL[pick] : fz_f64(b));
        return;
    }
    if (pick == 0xFF) {
        OGR_F_SetFieldNull(f, k);
        return;
    }
    const char *const *t = TABLE[k];
    size_t nt = 0;
    while (t[nt] != NULL)
        nt++;
    if (pick < nt) {
        OGR_F_SetFieldString(f, k, t[pick]);
        return;
    }
    char buf[64];
    fz_str(b, buf, sizeof buf);
    OGR_F_SetFieldString(f, k, buf);
}

/* A line of up to 31 vertices: two bytes each on the grid (x, y steps
 * from the base), or 0x80 then two raw doubles. */
static OGRGeometryH line_of(fz_bytes *b, int nv, double x0, double y0,
                            double step)
{
    OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
    for (int i = 0; i < nv && fz_left(b); i++) {
        const uint8_t a = fz_u8(b);
        double x, y;
        if (a == 0x80) {
            x = fz_f64(b);
            y = fz_f64(b);
        } else {
            x = x0 + (int8_t)a * step;
            y = y0 + (int8_t)fz_u8(b) * step;
        }
        OGR_G_AddPoint_2D(g, x, y);
    }
    return g;
}

/* The layer written from the bytes; 0 when GDAL refused to write it
 * (nothing to fuzz then). */
static int write_roads(fz_bytes *b, int crs_k, double step)
{
    GDALDriverH drv = GDALGetDriverByName("FlatGeobuf");
    GDALDatasetH ds = GDALCreate(drv, ROADS, 0, 0, 0, GDT_Unknown, NULL);
    if (ds == NULL)
        return 0;
    const char *lopt[] = {"SPATIAL_INDEX=NO", NULL};
    OGRLayerH l = GDALDatasetCreateLayer(ds, "roads", crs[crs_k], wkbUnknown,
                                         (char **)lopt);
    int ok = l != NULL;
    for (int k = 0; ok && k < N_FIELDS; k++) {
        OGRFieldDefnH fd = OGR_Fld_Create(
            FIELD[k],
            k == F_REAL_SPEED || k == F_REAL_TIME ? OFTReal : OFTString);
        ok = OGR_L_CreateField(l, fd, 1) == OGRERR_NONE;
        OGR_Fld_Destroy(fd);
    }
    /* the grid's origin in the layer's CRS */
    static const double X0[5] = {LON0, 4814566.0, 309261.0, LON0, LON0};
    static const double Y0[5] = {LAT0, -1311585.0, 8706029.0, LAT0, LAT0};
    const double s = crs_k == 1 || crs_k == 2 ? step * 1e5 : step;
    for (int i = 0; ok && i < 24 && fz_left(b); i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        const uint8_t h = fz_u8(b);
        const int kind = h & 7, nv = h >> 3;
        OGRGeometryH g = NULL;
        if (kind <= 4) {
            g = line_of(b, nv, X0[crs_k], Y0[crs_k], s);
        } else if (kind == 5) {
            g = OGR_G_CreateGeometry(wkbMultiLineString);
            const int parts = 1 + fz_u8(b) % 3;
            for (int p = 0; p < parts; p++) {
                OGRGeometryH part = line_of(b, nv, X0[crs_k], Y0[crs_k], s);
                OGR_G_AddGeometryDirectly(g, part);
            }
        } else if (kind == 6) {
            g = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_SetPoint_2D(g, 0, X0[crs_k] + (int8_t)fz_u8(b) * s,
                              Y0[crs_k] + (int8_t)fz_u8(b) * s);
        } /* 7: no geometry */
        if (g != NULL)
            OGR_F_SetGeometryDirectly(f, g);
        /* which fields are set: 3 bytes of flags */
        const uint32_t set =
            fz_u8(b) | (uint32_t)fz_u8(b) << 8 | (uint32_t)fz_u8(b) << 16;
        for (int k = 0; k < N_FIELDS; k++)
            if (set & (1u << k))
                set_field(f, k, b);
        ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes b = {data, size, 0};
    const uint8_t g = fz_u8(&b);
    const int mode = g & 7, threads = (g >> 3 & 1) + 1;
    int crs_k = g >> 4 & 3;
    if (crs_k == 3) /* ED50 or none */
        crs_k = 3 + (fz_u8(&b) & 1);
    static const double STEP[4] = {1e-5, 1e-4, 1e-3, 1.0};
    const double step = STEP[g >> 6];
    if (write_roads(&b, crs_k, step)) {
        am_model_options mo = am_model_options_default();
        mo.threads = threads;
        mo.no_cache = 1;
        mo.max_memory = (uint64_t)2 << 30;
        am_model *m = NULL;
        am_error err;
        am_error_clear(&err);
        am_status rc = am_model_create(scenarios[mode], &mo, &m, &err);
        if (rc == AM_OK)
            rc = am_model_build_to(m, AM_STAGE_SNAP, &err);
        fuzz_check_error(rc, &err);
        if (getenv("AM_FUZZ_VERBOSE") != NULL) { /* what an input reached */
            char line[1024];
            fprintf(stderr, "mode %d crs %d: %s, %d nodes, %d cells\n", mode,
                    crs_k,
                    rc == AM_OK ? "built"
                                : am_error_format(&err, line, sizeof line),
                    (int)am_model_node_count(m), (int)am_model_cell_count(m));
        }
        if (m != NULL && m->graph != NULL) {
            am_error verr;
            if (am_graph_validate(m->graph, &verr) != AM_OK ||
                (m->graph_rev != NULL &&
                 am_graph_validate(m->graph_rev, &verr) != AM_OK))
                abort();
        }
        if (rc == AM_OK) {
            const int32_t n = am_model_node_count(m);
            const int32_t nc = am_model_cell_count(m);
            const int32_t *ln = am_model_cell_link_nodes(m);
            for (int32_t i = 0; ln != NULL && i < 2 * nc; i++)
                if (ln[i] >= n)
                    abort(); /* a cell linked beyond the graph */
        }
        am_model_destroy(m);
    }
    VSIUnlink(ROADS);
    return 0;
}
