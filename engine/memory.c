/*
 * memory.c: see memory.h.
 *
 * The per-unit costs follow the arrays the phases hold at their peaks
 * (engine/, inputs/population.c, kernels/demand.c), rounded up:
 *  - per grid column: the reader's and the writer's strips (rasters are
 *    read and written by strips of rows, never as a full grid: 64 rows of
 *    8 bytes, twice) and the x axis; per row, the y axis; the surface's
 *    piece of a strip being snapped (at most AM_SURFACE_STRIP_CELLS cells);
 *  - per populated cell: the population list with its growth slack (32),
 *    the two snapped links (node and time) and distance (24), the lon/lat
 *    and metric coordinates while snapping (32), the demand index (32),
 *    and per set the
 *    nearest time and facility (8) and 9 per measure (its value and its
 *    reach flag, issue 9), and the writer's per-cell values (8);
 *  - the output file is built in memory (outputs/h5_writer.c): per raster
 *    4 bytes per populated cell (deflate does little on populated cells;
 *    chunks holding only the fill value are not stored);
 *  - the network: 24 bytes per byte of road file, measured on OSM PBF
 *    (GDAL's OSM driver dominates: about 80 MiB above the base for the
 *    3.4 MB Comoros extract); other formats are larger on disk per road,
 *    so it over-estimates for them;
 *  - per capacity_coverage measure and set (issue 9): the split per cell
 *    (served, beyond, not within reach: 24) and the allocation's two sums
 *    (16), and three more rasters;
 *  - facility tiers (issue 9): per combined indicator 4 bytes per
 *    populated cell held and 4 written, and its cross-tab; the referral
 *    searches' node times (8 bytes per graph node) and rows (48 bytes per
 *    lower facility and higher set, when known); the surface's node times
 *    (8 bytes per graph node). These grow with the network, not the
 *    raster, and are counted in `network`;
 *  - 32 MiB for the process, GDAL, PROJ and HDF5;
 *  - GDAL's raster block cache (issue 9): its limit, a share of the cap
 *    (am_memory_gdal_cache), or the decoded size of the rasters read
 *    through it (the population band, the settlement rasters) when
 *    smaller: the cache never holds more than those.
 * Facility catchments are not counted (they depend on the network's
 * reach, to the deepest measure's limit, which may exceed the largest
 * cutoff), nor the measures' pairs (per link, per node and per catchment
 * entry) and decay table: engine/results.c takes them from what the cap
 * leaves (am_fca_pairs_bytes). am_memory_max_cells inverts the per-cell part,
 * so that the population reader stops as soon as a raster holds more populated
 * cells than the cap allows.
 */
#include "engine/memory.h"

#include <stdio.h>

#include <accessim.h>

#define BASE_BYTES ((uint64_t)32 << 20)
#define NETWORK_PER_FILE_BYTE 24
#define GRID_BYTES_PER_COLUMN (2 * 64 * 8 + 8)
#define GRID_BYTES_PER_ROW 8
#define CELL_BYTES_FIXED (32 + 24 + 32 + 32 + 8)
#define CELL_BYTES_PER_SET 8
#define CELL_BYTES_PER_MEASURE 9
#define OUTPUT_BYTES_PER_CELL 4
/* issue 9, the travel-time surface (engine/surface.c): the cells of one
 * piece of a strip being snapped (cell id 8, centre 16, links 16 + 8,
 * distance 8, fragment check 12: 68 bytes a cell), a piece being 64 rows
 * or fewer, at most AM_SURFACE_STRIP_CELLS cells (am_surface_strip_rows);
 * in the file, per set, up to 4 bytes per raster cell (float32; chunks
 * beyond the snap distance are not stored, deflate shrinks the rest: an
 * upper bound). */
#define SURFACE_STRIP_ROWS 64
#define SURFACE_BYTES_PER_CELL 68
#define SURFACE_OUTPUT_BYTES_PER_CELL 4
#define CELL_BYTES_PER_COVER (24 + 16)
#define RASTERS_PER_COVER 3
/* issue 9, facility tiers (engine/combined.c, engine/referral.c): per
 * combined indicator, its value per populated cell (int32, held and
 * written as a raster: 4 + 4) and its cross-tab (AM_COMBINED_ROWS = 256
 * rows of population and cells, 16, and the table's columns as written,
 * at most 8 conditions, population, percent, cells: 88); per graph node,
 * the referral search's times and sources (4 + 4, one higher set at a
 * time); per referral row (a lower facility and a higher set), its three
 * columns (12), the higher set's concatenated copy with two links (28)
 * and the back search's index (8). The surface's node times: 4 + 4 per
 * node too (its search's sources are freed after it, one set at a
 * time). */
#define CELL_BYTES_PER_COMBINED (4 + 4)
#define COMBINED_FIXED_BYTES (256 * (16 + 88))
#define REFERRAL_BYTES_PER_NODE (4 + 4)
#define REFERRAL_BYTES_PER_ROW (12 + 28 + 8)
#define SURFACE_BYTES_PER_NODE (4 + 4)

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

static uint64_t nonneg(int64_t v)
{
    return v > 0 ? (uint64_t)v : 0;
}

/* Bytes per populated cell held by the phases. */
static uint64_t per_cell_bytes(uint64_t sets, uint64_t meas)
{
    return sat_add(
        CELL_BYTES_FIXED,
        sat_mul(sets, sat_add(CELL_BYTES_PER_SET,
                              sat_mul(meas, CELL_BYTES_PER_MEASURE))));
}

/* Rasters in the file: the population, then per set 2 + two per measure
 * (its values and reach/<measure>). */
static uint64_t n_rasters(uint64_t sets, uint64_t meas)
{
    return sat_add(1, sat_mul(sets, sat_add(2, sat_mul(2, meas))));
}

/* issue 9: bytes per populated cell of the capacity_coverage measures,
 * held and written. */
static uint64_t cover_per_cell(const am_memory_inputs *in)
{
    const uint64_t n =
        sat_mul(nonneg(in->n_sets), nonneg(in->n_cover_measures));
    return sat_mul(n, CELL_BYTES_PER_COVER +
                          RASTERS_PER_COVER * OUTPUT_BYTES_PER_CELL);
}

int64_t am_memory_max_cells(const am_memory_inputs *in, uint64_t cap)
{
    am_memory_inputs none = *in;
    none.n_cells = 0;
    am_memory_estimate e = am_memory_estimate_run(&none);
    if (cap <= e.total)
        return 1; /* already over: the first populated cell stops it */
    const uint64_t sets = nonneg(in->n_sets), meas = nonneg(in->n_measures);
    uint64_t per =
        sat_add(per_cell_bytes(sets, meas),
                sat_mul(n_rasters(sets, meas), OUTPUT_BYTES_PER_CELL));
    per = sat_add(per, cover_per_cell(in));
    per =
        sat_add(per, sat_mul(nonneg(in->n_combined), CELL_BYTES_PER_COMBINED));
    uint64_t n = (cap - e.total) / (per > 0 ? per : 1);
    return n > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

am_memory_estimate am_memory_estimate_run(const am_memory_inputs *in)
{
    am_memory_estimate e = {0, 0, 0, 0, 0, 0, 0};
    const uint64_t cells = nonneg(in->n_cells);
    const uint64_t sets = nonneg(in->n_sets);
    const uint64_t meas = nonneg(in->n_measures);
    const uint64_t rasters = n_rasters(sets, meas);

    e.base = BASE_BYTES;
    e.network = sat_mul(nonneg(in->roads_bytes), NETWORK_PER_FILE_BYTE);
    e.grid = sat_add(sat_mul(nonneg(in->nx), GRID_BYTES_PER_COLUMN),
                     sat_mul(nonneg(in->ny), GRID_BYTES_PER_ROW));
    e.cells = sat_mul(cells, per_cell_bytes(sets, meas));
    e.output =
        sat_mul(rasters, sat_mul(cells, (uint64_t)OUTPUT_BYTES_PER_CELL));
    if (in->surface) { /* issue 9 */
        const uint64_t rows = (uint64_t)am_surface_strip_rows(
            in->nx, SURFACE_STRIP_ROWS, AM_SURFACE_STRIP_CELLS);
        e.grid = sat_add(e.grid, sat_mul(sat_mul(nonneg(in->nx), rows),
                                         SURFACE_BYTES_PER_CELL));
        e.output = sat_add(
            e.output,
            sat_mul(sets, sat_mul(sat_mul(nonneg(in->nx), nonneg(in->ny)),
                                  SURFACE_OUTPUT_BYTES_PER_CELL)));
    }
    e.cells = sat_add(e.cells, sat_mul(cells, cover_per_cell(in)));
    /* issue 9, facility tiers: combined indicators and referrals; the
       surface's node times */
    const uint64_t nc = nonneg(in->n_combined);
    e.cells = sat_add(e.cells, sat_mul(sat_mul(cells, nc), 4));
    e.output = sat_add(e.output, sat_mul(sat_mul(cells, nc), 4));
    e.network = sat_add(e.network, sat_mul(nc, COMBINED_FIXED_BYTES));
    if (in->n_referral_sets > 0) {
        e.network = sat_add(e.network, sat_mul(nonneg(in->graph_nodes),
                                               REFERRAL_BYTES_PER_NODE));
        e.network = sat_add(e.network, sat_mul(nonneg(in->referral_rows),
                                               REFERRAL_BYTES_PER_ROW));
    }
    if (in->surface)
        e.network = sat_add(e.network, sat_mul(nonneg(in->graph_nodes),
                                               SURFACE_BYTES_PER_NODE));
    e.gdal_cache =
        in->gdal_cache < in->raster_bytes ? in->gdal_cache : in->raster_bytes;
    e.total = sat_add(sat_add(sat_add(e.base, e.network), e.grid),
                      sat_add(sat_add(e.cells, e.output), e.gdal_cache));
    return e;
}

uint64_t am_memory_gdal_cache(uint64_t cap, uint64_t gdal_default)
{
    if (cap == 0)
        return gdal_default;
    uint64_t share = cap / 100 * AM_GDAL_CACHE_SHARE_PCT;
    if (share < AM_GDAL_CACHE_MIN_BYTES)
        share = AM_GDAL_CACHE_MIN_BYTES;
    return gdal_default > 0 && share > gdal_default ? gdal_default : share;
}

int32_t am_surface_strip_rows(int64_t nx, int32_t max_rows, int64_t max_cells)
{
    if (nx < 1)
        nx = 1;
    if (max_rows < 1)
        max_rows = 1;
    if (max_cells < 1)
        max_cells = 1;
    const int64_t rows = max_cells / nx;
    return rows < 1 ? 1 : rows > max_rows ? max_rows : (int32_t)rows;
}

int am_parse_size(const char *s, uint64_t *out)
{
    if (s == NULL || out == NULL)
        return 0;
    /* whole part: decimal digits only (no sign, no hex, no exponent) */
    const char *p = s;
    uint64_t whole = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return 0;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    /* optional fraction, up to 9 digits kept (e.g. 1.5G) */
    uint64_t frac = 0, frac_den = 1;
    if (*p == '.') {
        p++;
        int fd = 0;
        for (; *p >= '0' && *p <= '9'; p++, fd++) {
            if (frac_den < 1000000000u) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_den *= 10;
            }
        }
        if (fd == 0)
            return 0;
        digits += fd;
    }
    if (digits == 0)
        return 0;
    uint64_t unit = 1;
    switch (*p) {
    case 'k':
    case 'K':
        unit = (uint64_t)1 << 10;
        break;
    case 'm':
    case 'M':
        unit = (uint64_t)1 << 20;
        break;
    case 'g':
    case 'G':
        unit = (uint64_t)1 << 30;
        break;
    case 't':
    case 'T':
        unit = (uint64_t)1 << 40;
        break;
    default:
        break;
    }
    if (unit == 1)
        return 0; /* a unit is required: "8" is far more likely a slip */
    p++;
    if (*p == 'i' && p[1] == 'B')
        p += 2;
    else if (*p == 'B')
        p++;
    if (*p != '\0')
        return 0;
    if (whole > UINT64_MAX / unit)
        return 0;
    uint64_t v = whole * unit +
                 (uint64_t)((double)frac / (double)frac_den * (double)unit);
    if (v == 0)
        return 0;
    *out = v;
    return 1;
}

char *am_format_bytes(uint64_t bytes, char *buf, size_t n)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB",
                                       "TiB",   "PiB", "EiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%llu bytes", (unsigned long long)bytes);
    else
        snprintf(buf, n, "%.1f %s", v, unit[u]);
    return buf;
}

/*
 * Issue 9, matrix runs. Per demand zone: its row of the zone table (id,
 * offset, value, line, hash slot: 64), the demand index and the measures'
 * per-cell scratch (56), the diagnostics' flags and values (16), the CSV
 * (8) and 8 per measure; per supply zone: its row (64) and the measures'
 * per-facility arrays and node row index (64).
 */
#define MATRIX_DEMAND_ZONE_BYTES (64 + 56 + 16 + 8)
#define MATRIX_SUPPLY_ZONE_BYTES (64 + 64)

uint64_t am_memory_estimate_matrix(int64_t zones_demand, int64_t zones_supply,
                                   int64_t pairs, int32_t n_measures)
{
    uint64_t per_demand =
        sat_add(MATRIX_DEMAND_ZONE_BYTES, sat_mul(nonneg(n_measures), 8));
    uint64_t t = sat_add(BASE_BYTES, sat_mul(nonneg(zones_demand), per_demand));
    t = sat_add(t, sat_mul(nonneg(zones_supply), MATRIX_SUPPLY_ZONE_BYTES));
    return sat_add(t, sat_mul(nonneg(pairs), AM_MEMORY_MATRIX_PAIR_BYTES));
}

uint64_t am_memory_selection(int64_t n_cand, double entries_per_cand,
                             double pairs_per_cand, int time16, int64_t n_cells)
{
    const double e = entries_per_cand > 0 ? entries_per_cand : 0.0;
    const double p = pairs_per_cand > 0 ? pairs_per_cand : 0.0;
    const double per = e * ((time16 ? 6.0 : 8.0) + 4.0) +
                       p * (double)AM_MEMORY_SELECTION_PAIR_BYTES;
    const double b = (n_cand > 0 ? (double)n_cand : 0.0) * per +
                     (n_cells > 0 ? (double)n_cells : 0.0) * 4.0;
    return b >= 1.8e19 ? UINT64_MAX : (uint64_t)b;
}
