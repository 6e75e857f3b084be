/*
 * fuzz_raster_demand.c: the raster-to-demand adapter fed with arbitrary
 * small rasters (issue 13, "Fuzzing").
 *
 * The bytes become a raster made with GDAL's MEM driver and copied to a
 * GeoTIFF in /vsimem/ (the format users give): 1 to 32 x 1 to 32 cells,
 * any of ten data types (Byte .. Float64, Int64, UInt64 and a complex
 * one), a geotransform near the Comoros at one of four cell sizes, or
 * rotated, flipped, or six arbitrary doubles; a nodata value, a scale and
 * offset, a per-dataset mask, each present or not; a CRS (WGS 84, UTM
 * 38S, Web Mercator, none); and cell values from a table of telling ones
 * (0, NaN, infinities, negative, the nodata value, Float32's max, huge,
 * denormal) or any double, converted to the band's type by GDAL.
 *
 * The model is then built as `accessim run` builds it, on a fixed grid of
 * roads around the Comoros and one facility: am_model_create (the
 * raster's probe and the memory check), am_model_build_to (population:
 * inputs/population.c; snapping and the demand index: kernels/demand.c).
 * Checked beyond "no crash, no leak": a failure carries a message; after
 * a success every populated cell has a finite positive population, ids
 * ascending within the grid and links to nodes of the graph, and the
 * demand index passes its own invariants.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/internal.h"
#include "fuzz_geo.h"
#include "kernels/demand.h"

#define ROADS "/vsimem/fuzz/roads.geojson"
#define POP "/vsimem/fuzz/pop.tif"
#define FAC "/vsimem/fuzz/fac.geojson"
#define LON0 43.25
#define LAT0 (-11.70)

static am_scenario *scenario;
static OGRSpatialReferenceH crs[3];

static const GDALDataType TYPES[10] = {
    GDT_Byte,    GDT_UInt16,  GDT_Int16, GDT_UInt32, GDT_Int32,
    GDT_Float32, GDT_Float64, GDT_Int64, GDT_UInt64, GDT_CFloat32};
static const double V_CELL[] = {0.0,      1.0,       100.0, -1.0,   NAN,
                                INFINITY, -INFINITY, 1e30,  3.4e38, 1e6,
                                0.5,      4.9e-324,  2e9,   65535.0};
static const double V_NODATA[] = {
    0.0, -9999.0, NAN, -3.4028234663852886e38, 65535.0, INFINITY, 255.0};
static const double V_STEP[4] = {1e-4, 1e-3, 0.01, 1.0};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A grid of two-way roads: 5 east-west and 5 north-south lines 0.01
 * degrees apart, centred on (LON0, LAT0). */
static int write_roads(void)
{
    char text[8192];
    size_t n = (size_t)snprintf(
        text, sizeof text, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int k = 0; k < 10; k++) {
        const double c = (k % 5 - 2) * 0.01;
        const double a0 = -0.02, a1 = 0.02;
        double x0 = LON0 + a0, y0 = LAT0 + c, x1 = LON0 + a1, y1 = LAT0 + c;
        if (k >= 5) {
            x0 = x1 = LON0 + c;
            y0 = LAT0 + a0;
            y1 = LAT0 + a1;
        }
        n += (size_t)snprintf(
            text + n, sizeof text - n,
            "%s{\"type\":\"Feature\",\"properties\":{\"highway\":"
            "\"primary\"},\"geometry\":{\"type\":\"LineString\","
            "\"coordinates\":[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]}}",
            k > 0 ? "," : "", x0, y0, (x0 + x1) / 2, (y0 + y1) / 2, x1, y1);
    }
    n += (size_t)snprintf(text + n, sizeof text - n, "]}");
    return n < sizeof text && fz_vsi_write(ROADS, text, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    if (!write_roads() || !fz_facility(FAC, LON0, LAT0) ||
        !fz_population(POP, LON0 - 0.02, LAT0 + 0.02, 4, 4, 0.01, 10.0f))
        abort();
    scenario = fz_scenario("name: fuzz\noutput: /tmp/fuzz_raster_unused.h5\n"
                           "roads:\n  path: " ROADS "\n"
                           "population:\n  path: " POP "\n"
                           "snap:\n  max_distance_m: 5000\n"
                           "facilities:\n  - name: f\n    path: " FAC "\n"
                           "cutoffs_min: [15]\n"
                           "measures:\n  - type: 2sfca\n    threshold_min: "
                           "15\n");
    if (scenario == NULL)
        abort();
    static const int epsg[3] = {4326, 32738, 3857};
    for (int k = 0; k < 3; k++) {
        crs[k] = OSRNewSpatialReference(NULL);
        if (OSRImportFromEPSG(crs[k], epsg[k]) != OGRERR_NONE)
            abort();
        OSRSetAxisMappingStrategy(crs[k], OAMS_TRADITIONAL_GIS_ORDER);
    }
    VSIUnlink(POP);
    return 0;
}

/* The raster from the bytes, as a GeoTIFF at POP; 0 when GDAL would not
 * make it (nothing to fuzz then). */
static int write_raster(fz_bytes *b)
{
    const uint8_t f = fz_u8(b);
    const GDALDataType dt =
        TYPES[(f & 7) + ((f & 7) < 2 ? fz_u8(b) % 2 * 8 : 0)];
    const int has_nodata = f >> 3 & 1, has_scale = f >> 4 & 1,
              has_mask = f >> 5 & 1, crs_k = f >> 6;
    const int nx = 1 + fz_u8(b) % 32, ny = 1 + fz_u8(b) % 32;
    GDALDatasetH mem =
        GDALCreate(GDALGetDriverByName("MEM"), "", nx, ny, 1, dt, NULL);
    if (mem == NULL)
        return 0;
    GDALRasterBandH band = GDALGetRasterBand(mem, 1);
    double gt[6];
    const uint8_t g = fz_u8(b);
    const double step = V_STEP[g >> 2 & 3];
    const double x0 = crs_k == 1 ? 309261.0 : crs_k == 2 ? 4814566.0 : LON0;
    const double y0 = crs_k == 1 ? 8706029.0 : crs_k == 2 ? -1311585.0 : LAT0;
    const double s = crs_k == 1 || crs_k == 2 ? step * 1e5 : step;
    switch (g & 3) {
    case 0: /* north-up near the roads */
        gt[0] = x0 + (int8_t)fz_u8(b) * s;
        gt[1] = s;
        gt[2] = 0.0;
        gt[3] = y0 + (int8_t)fz_u8(b) * s;
        gt[4] = 0.0;
        gt[5] = -s;
        break;
    case 1: /* anything */
        for (int i = 0; i < 6; i++)
            gt[i] = fz_f64(b);
        break;
    case 2: /* rotated */
        gt[0] = x0;
        gt[1] = s;
        gt[2] = s * (int8_t)fz_u8(b) / 64.0;
        gt[3] = y0;
        gt[4] = s * (int8_t)fz_u8(b) / 64.0;
        gt[5] = -s;
        break;
    default: /* south-up, east-to-west, or a zero step */
        gt[0] = x0;
        gt[1] = (fz_u8(b) % 3 - 1) * s;
        gt[2] = 0.0;
        gt[3] = y0;
        gt[4] = 0.0;
        gt[5] = (fz_u8(b) % 3 - 1) * s;
        break;
    }
    GDALSetGeoTransform(mem, gt);
    if (crs_k < 3)
        GDALSetSpatialRef(mem, crs[crs_k]);
    double nodata = NAN;
    if (has_nodata) {
        const uint8_t k = fz_u8(b);
        const size_t nv = sizeof V_NODATA / sizeof V_NODATA[0];
        nodata = k < nv ? V_NODATA[k] : fz_f64(b);
        GDALSetRasterNoDataValue(band, nodata);
    }
    if (has_scale) {
        const uint8_t k = fz_u8(b);
        GDALSetRasterScale(band, k < 4 ? (double[]){0.001, -1.0, 0.0, 1e300}[k]
                                       : fz_f64(b));
        const uint8_t o = fz_u8(b);
        GDALSetRasterOffset(band, o < 4 ? (double[]){0.0, -5.0, NAN, 1e300}[o]
                                        : fz_f64(b));
    }
    double *cells = CPLMalloc(sizeof *cells * (size_t)nx * (size_t)ny);
    const size_t nv = sizeof V_CELL / sizeof V_CELL[0];
    for (size_t i = 0; i < (size_t)nx * (size_t)ny; i++) {
        if (!fz_left(b)) { /* the rest as the last value */
            cells[i] = i > 0 ? cells[i - 1] : 1.0;
            continue;
        }
        const uint8_t k = fz_u8(b);
        cells[i] = k < nv      ? V_CELL[k]
                   : k == 0xFE ? nodata
                   : k == 0xFF ? fz_f64(b)
                               : k - nv;
    }
    int ok = GDALRasterIO(band, GF_Write, 0, 0, nx, ny, cells, nx, ny,
                          GDT_Float64, 0, 0) == CE_None;
    if (ok && has_mask &&
        (ok = GDALCreateDatasetMaskBand(mem, GMF_PER_DATASET) == CE_None)) {
        GDALRasterBandH mb = GDALGetMaskBand(band);
        for (size_t i = 0; i < (size_t)nx * (size_t)ny; i++)
            cells[i] = (fz_u8(b) & 1) ? 255.0 : 0.0;
        ok = GDALRasterIO(mb, GF_Write, 0, 0, nx, ny, cells, nx, ny,
                          GDT_Float64, 0, 0) == CE_None;
    }
    CPLFree(cells);
    GDALDatasetH tif = NULL;
    if (ok)
        tif = GDALCreateCopy(GDALGetDriverByName("GTiff"), POP, mem, 0, NULL,
                             NULL, NULL);
    GDALClose(mem);
    if (tif == NULL)
        return 0;
    GDALClose(tif);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes b = {data, size, 0};
    if (write_raster(&b)) {
        am_model_options mo = am_model_options_default();
        mo.threads = 1 + (size & 1);
        mo.no_cache = 1;
        mo.max_memory = (uint64_t)2 << 30;
        am_model *m = NULL;
        am_error err;
        am_error_clear(&err);
        am_status rc = am_model_create(scenario, &mo, &m, &err);
        if (rc == AM_OK)
            rc = am_model_build_to(m, AM_STAGE_SNAP, &err);
        fuzz_check_error(rc, &err);
        if (getenv("AM_FUZZ_VERBOSE") != NULL) {
            char line[1024];
            fprintf(stderr, "%s, %d cells\n",
                    rc == AM_OK ? "built"
                                : am_error_format(&err, line, sizeof line),
                    (int)am_model_cell_count(m));
        }
        if (rc == AM_OK) {
            const int32_t n = am_model_node_count(m),
                          nc = am_model_cell_count(m);
            int32_t nx = 0, ny = 0;
            am_model_grid_size(m, &nx, &ny);
            const int64_t *id = am_model_cell_ids(m);
            const double *pop = am_model_cell_population(m);
            const int32_t *ln = am_model_cell_link_nodes(m);
            for (int32_t i = 0; i < nc; i++) {
                if (!(isfinite(pop[i]) && pop[i] > 0.0) || id[i] < 0 ||
                    id[i] >= (int64_t)nx * ny || (i > 0 && id[i] <= id[i - 1]))
                    abort();
                if (ln[2 * i] >= n || ln[2 * i + 1] >= n)
                    abort();
            }
            const am_demand *d = m->demand;
            for (int32_t v = 0; d != NULL && v < d->n_nodes; v++)
                if (d->first[v] > d->first[v + 1])
                    abort();
        }
        am_model_destroy(m);
    }
    /* and the sidecars GDAL may have written (an external mask) */
    VSIUnlink(POP);
    VSIUnlink(POP ".msk");
    VSIUnlink(POP ".aux.xml");
    return 0;
}
