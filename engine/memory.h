/*
 * memory.h: how much memory a run will need, estimated before it starts,
 * and the cap it must fit under (--max-memory). Internal to engine/ (the
 * size parser is public through accessim.h). Pure functions: no I/O, no
 * allocation, thread-safe.
 *
 * Why: a raster of 100,000 x 100,000 cells used to run every phase and
 * fail at write time with a bare "out of memory". The run now refuses up
 * front, naming the size, the estimate and the cap.
 */
#ifndef AM_MEMORY_H
#define AM_MEMORY_H

#include <stddef.h>
#include <stdint.h>

/* What the estimate grows with. */
typedef struct am_memory_inputs {
    int64_t nx, ny;      /* the population raster's size, in cells */
    int64_t n_cells;     /* populated cells; 0 when not yet known */
    int64_t roads_bytes; /* size of the road file (network estimate) */
    int32_t n_sets;      /* facility sets */
    int32_t n_measures;  /* measures per set */
    int32_t surface;     /* issue 9: 1 when every set writes its surface */
    /* issue 9: of those, capacity_coverage measures (their split per cell,
       three more rasters) */
    int32_t n_cover_measures;
    /* issue 9, facility tiers: combined indicators (one int32 per
       populated cell held and one written, and the cross-tab) */
    int32_t n_combined;
    /* issue 9: the search graph's nodes (0 when not yet known: the
       estimate at create), for the node times of the referral searches
       and of the surface */
    int64_t graph_nodes;
    /* issue 9, facility tiers: higher-tier sets some lower tier refers to
       (each searched in turn, into one pair of node arrays), and the
       referral rows: the lower sets' facilities summed over the (lower,
       higher) pairs (0 when not yet known: the facilities are read after
       the model's checks) */
    int32_t n_referral_sets;
    int64_t referral_rows;
    /* GDAL's raster block cache: its limit (am_memory_gdal_cache) and the
       decoded size of the rasters read through it (population band,
       settlement rasters): it never holds more than either */
    uint64_t gdal_cache;
    uint64_t raster_bytes;
} am_memory_inputs;

/* The estimate, in bytes, by part. */
typedef struct am_memory_estimate {
    uint64_t base;       /* the process and its libraries */
    uint64_t network;    /* roads, graph, spatial index: from the file size */
    uint64_t grid;       /* what grows with nx and ny (strips, axes) */
    uint64_t cells;      /* what grows with populated cells */
    uint64_t output;     /* the output file, built in memory and written */
    uint64_t gdal_cache; /* GDAL's block cache: min(limit, rasters) */
    uint64_t total;      /* the sum, saturating */
} am_memory_estimate;

/*
 * The estimate for in. With n_cells = 0 it is a lower bound: everything but
 * the per-cell part. Facility catchments are not included (they depend on
 * the network and the cutoffs, known only once computed). Saturates at
 * UINT64_MAX.
 */
am_memory_estimate am_memory_estimate_run(const am_memory_inputs *in);

/* bytes as text: "812 bytes", "1.5 GiB" (binary units, one decimal). */
/*
 * The most populated cells that fit under cap with everything else in *in
 * (its n_cells ignored); at least 1.
 */
int64_t am_memory_max_cells(const am_memory_inputs *in, uint64_t cap);

char *am_format_bytes(uint64_t bytes, char *buf, size_t n);

/*
 * GDAL's raster block cache under the memory cap: AM_GDAL_CACHE_SHARE_PCT
 * of cap, at least AM_GDAL_CACHE_MIN_BYTES, and never above gdal_default
 * (GDAL's own limit: GDAL_CACHEMAX or its share of physical memory), so
 * that a cap only ever shrinks it. cap 0 (none): gdal_default. Without
 * it, a huge sparse settlement raster filled the cache to GDAL's default
 * (1.4 GiB peak under a smaller --max-memory). Pure.
 */
#define AM_GDAL_CACHE_SHARE_PCT 10
#define AM_GDAL_CACHE_MIN_BYTES ((uint64_t)8 << 20)
uint64_t am_memory_gdal_cache(uint64_t cap, uint64_t gdal_default);

/*
 * Issue 9, matrix runs (engine/matrix_run.c): the bytes a run over
 * zones_demand origin and zones_supply destination zones, `pairs` pairs
 * and n_measures measures holds at its peak (pairs 0: everything but the
 * pairs), and the bytes a pair adds, AM_MEMORY_MATRIX_PAIR_BYTES (the
 * reader's records with their growth slack and its two sort
 * permutations, with the catchments they become: more than the
 * measures' pairs hold later). Saturates at UINT64_MAX.
 */
#define AM_MEMORY_MATRIX_PAIR_BYTES 64u
uint64_t am_memory_estimate_matrix(int64_t zones_demand, int64_t zones_supply,
                                   int64_t pairs, int32_t n_measures);

/*
 * Issue 9, the travel-time surface (engine/surface.c): the writer hands it
 * strips of up to max_rows rows of nx cells, and each strip's cells are
 * snapped in pieces of this many rows, so that a piece holds at most
 * max_cells cells (AM_SURFACE_STRIP_CELLS: about 68 MiB of scratch) and at
 * least one row, whatever the raster's width. max_rows, nx and max_cells
 * below 1 count as 1. Pure.
 */
#define AM_SURFACE_STRIP_CELLS ((int64_t)1 << 20)
int32_t am_surface_strip_rows(int64_t nx, int32_t max_rows, int64_t max_cells);

/*
 * Issue 10, site selection (engine/selection.c): the bytes the candidates'
 * catchments and the selection instance hold at their peak, for n_cand
 * candidates whose catchments hold entries_per_cand node entries and
 * pairs_per_cand (cell, time) pairs each (measured on a sample): a
 * catchment entry is 6 bytes (time16) or 8, plus its column's 4; a pair 8
 * in the rows' sort keys and 8 in the instance (cell and time); and 4
 * bytes per populated cell (the baseline's times). Saturates at
 * UINT64_MAX; negative or NaN inputs count as 0.
 */
#define AM_MEMORY_SELECTION_PAIR_BYTES 16u
uint64_t am_memory_selection(int64_t n_cand, double entries_per_cand,
                             double pairs_per_cand, int time16,
                             int64_t n_cells);

#endif /* AM_MEMORY_H */
