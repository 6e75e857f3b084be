/*
 * surface.c: the travel-time surface of one facility set (issue 9,
 * docs/hdf5-layout.md "surface_time_min"): the time to the nearest
 * facility from EVERY cell of the population raster whose centre lies
 * within the snap distance of an allowed road, populated or not (the
 * continuous surface AccessMod draws), next to the per-populated-cell
 * nearest_time_min.
 *
 * Method:
 *  1. one multi-source search on the reverse graph from the set's
 *     facilities (kernels/nearest.h, am_nearest_nodes) to max_time_min:
 *     the time from every node to its nearest facility, O(nodes) memory;
 *  2. the raster is streamed by the HDF5 writer's strips of rows
 *     (am_surface_rows is its am_h5_rows_fn), each cut into pieces of
 *     whole rows holding at most AM_SURFACE_STRIP_CELLS cells (one row
 *     at least: engine/memory.h, am_surface_strip_rows), so that a very
 *     wide raster (100,000 columns: 6.4 million cells in a strip of 64
 *     rows, ~430 MB of scratch) snaps 10 rows at a time instead; a
 *     piece's cells are handled alone, so the pieces' size changes which
 *     blocks are pre-checked, never a value. Blocks of 64 columns of the
 *     piece with no segment within reach of any of their cells are left
 *     as fill (block_may_reach: a conservative test, never a different
 *     answer, only fewer cells snapped); the other cells' centres
 *     are transformed to WGS 84 (am_snap_cell_centers) and snapped with
 *     the people's role (am_model_snap_points, AM_SNAP_ORIGIN: the same
 *     function, target and options as the populated cells), and each
 *     cell's time is the minimum over its links of link offset + node
 *     time, kept when <= max_time_min (the rule of am_nearest_cells).
 * A populated cell therefore gets exactly its nearest_time_min wherever
 * both searches reach it (max_time_min >= the largest cutoff: wherever
 * nearest_time_min is not -1).
 *
 * Memory: O(nodes) for the node times, and per piece (at most
 * AM_SURFACE_STRIP_CELLS cells, or one row) the cells' ids, centres and
 * links; never the whole grid. Cost: one snap of every raster cell per set (the
 * strips are snapped again for each set: the writer writes one raster at a
 * time).
 *
 * Encoding: AM_FILL_F32 (-9999) beyond the snap distance or where the
 * centre cannot be transformed; AM_UNREACHED_MIN (-1) within the snap
 * distance but no facility within max_time_min; else minutes, float32 of
 * am_ds_to_minutes (as nearest_time_min).
 */
#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "engine/internal.h"
#include "engine/memory.h"
#include "engine/sysinfo.h"
#include "kernels/nearest.h"
#include "outputs/results_file.h"

struct am_surface {
    const am_model *m;   /* borrowed */
    am_error *err;       /* borrowed: where a failing strip reports */
    uint32_t *node_ds;   /* [graph nodes] time to the nearest facility */
    uint32_t limit_ds;   /* max_time_min */
    am_transform *to_ll; /* the raster's CRS -> WGS 84 */
    am_transform *to_m;  /* WGS 84 -> the model's metric frame (a clone) */
    double reach_m;      /* the snap's search radius in the frame */
    int64_t *cell;       /* [cap] the strip's cells */
    double *lon, *lat;   /* [cap] their centres */
    int64_t cap;
    int64_t counts[2]; /* cells within the snap distance, reached */
    double seconds;    /* spent in the search and the strips */
};

void am_surface_destroy(am_surface *sf)
{
    if (sf == NULL)
        return;
    am_free(sf->node_ds);
    am_transform_destroy(sf->to_ll);
    am_transform_destroy(sf->to_m);
    am_free(sf->cell);
    am_free(sf->lon);
    am_free(sf->lat);
    am_free(sf);
}

am_status am_surface_create(const am_model *m, const am_sites *f, am_error *err,
                            am_surface **out)
{
    const double t0 = am_now_s();
    *out = NULL;
    const int32_t n_nodes = m->graph_rev->n_nodes;
    am_surface *sf = am_calloc(1, sizeof *sf);
    int32_t *node_src = am_alloc_array((size_t)n_nodes, sizeof *node_src);
    if (sf != NULL)
        sf->node_ds = am_alloc_array((size_t)n_nodes, sizeof *sf->node_ds);
    if (sf == NULL || node_src == NULL || sf->node_ds == NULL) {
        am_free(node_src);
        am_surface_destroy(sf);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the travel-time surface of "
                            "set '%s'",
                            f->name);
    }
    sf->m = m;
    sf->err = err;
    sf->limit_ds = am_minutes_to_ds(m->s->surface_max_min);
    am_status rc = am_nearest_nodes(m->graph_rev, f->fac->n, f->snap.node,
                                    f->snap.offset_ds, sf->limit_ds,
                                    sf->node_ds, node_src, err);
    am_free(node_src);
    if (rc == AM_OK)
        rc =
            am_transform_create(m->pop->crs_wkt, AM_CRS_WGS84, &sf->to_ll, err);
    if (rc == AM_OK)
        rc = am_transform_clone(m->to_metric, &sf->to_m, err);
    /* geo/snap.h: a segment within the snap distance on the ground is
       within max_distance_m * max_scale (+ 1 mm) in the frame */
    sf->reach_m = m->s->snap_max_m *
                      am_crs_frame_max_scale(m->frame_x_max, m->s->snap_max_m) +
                  1e-3;
    if (rc != AM_OK) {
        am_surface_destroy(sf);
        return rc;
    }
    sf->seconds = am_now_s() - t0;
    *out = sf;
    return AM_OK;
}

/* Room for n cells in the strip's arrays. */
static int reserve(am_surface *sf, int64_t n)
{
    if (n <= sf->cap)
        return 1;
    am_free(sf->cell);
    am_free(sf->lon);
    am_free(sf->lat);
    sf->cell = am_alloc_array((size_t)n, sizeof *sf->cell);
    sf->lon = am_alloc_array((size_t)n, sizeof *sf->lon);
    sf->lat = am_alloc_array((size_t)n, sizeof *sf->lat);
    sf->cap = sf->cell && sf->lon && sf->lat ? n : 0;
    return sf->cap > 0;
}

/*
 * Whether the block of cells [c0, c1) x [r0, r1) may hold a cell within
 * the snap distance of a segment (1) or surely holds none (0). Its four
 * corner centres and its middle go to the metric frame; the block's
 * centres lie within R of the middle there, R the farthest corner (times
 * 1.25 + 1 m: the transforms are smooth, not linear, over a block), so
 * no segment within reach_m + R of the middle means no cell has one
 * within reach_m, where the snap looks (geo/snap.h). A corner that cannot
 * be transformed, or any doubt, answers 1: the cells are snapped.
 */
static int block_may_reach(am_surface *sf, int32_t c0, int32_t c1, int32_t r0,
                           int32_t r1)
{
    const am_grid *g = &sf->m->pop->grid;
    double x[5], y[5];
    am_grid_cell_center(g, c0, r0, &x[0], &y[0]);
    am_grid_cell_center(g, c1 - 1, r0, &x[1], &y[1]);
    am_grid_cell_center(g, c0, r1 - 1, &x[2], &y[2]);
    am_grid_cell_center(g, c1 - 1, r1 - 1, &x[3], &y[3]);
    /* the middle: the centre of the block in the raster's CRS */
    x[4] = 0.25 * (x[0] + x[1] + x[2] + x[3]);
    y[4] = 0.25 * (y[0] + y[1] + y[2] + y[3]);
    size_t failed = 0;
    if (am_transform_points(sf->to_ll, 5, x, y, &failed, NULL) != AM_OK ||
        failed > 0)
        return 1;
    if (am_transform_points(sf->to_m, 5, x, y, &failed, NULL) != AM_OK ||
        failed > 0)
        return 1;
    double r = 0.0;
    for (int k = 0; k < 4; k++) {
        const double d = hypot(x[k] - x[4], y[k] - y[4]);
        if (!isfinite(d))
            return 1;
        if (d > r)
            r = d;
    }
    const double reach = sf->reach_m + 1.25 * r + 1.0;
    return am_segment_index_nearest(sf->m->seg_index, x[4], y[4], reach, NULL,
                                    NULL) >= 0;
}

/* Columns per block of the pre-check (the writer's chunk width). */
#define SURFACE_BLOCK 64

/* The cells of a piece of a strip; 0: AM_SURFACE_STRIP_CELLS (see
 * am_surface_set_strip_cells). */
static int64_t strip_cells_knob;

void am_surface_set_strip_cells(int64_t cells)
{
    strip_cells_knob = cells > 0 ? cells : 0;
}

/* Rows row0 .. row0 + n_rows - 1 of the surface (one piece of a strip)
 * into buf (float, filled with AM_FILL_F32 by the writer). */
static am_status strip(am_surface *sf, int32_t row0, int32_t n_rows, float *buf)
{
    const am_model *m = sf->m;
    const am_grid *g = &m->pop->grid;
    const int64_t n = (int64_t)n_rows * g->nx;
    if (n > INT32_MAX)
        return am_error_set(sf->err, AM_ERR_INVALID, m->pop_path,
                            "a strip of %d rows of %d columns is too large "
                            "for the surface",
                            (int)n_rows, (int)g->nx);
    if (!reserve(sf, n))
        return am_error_set(sf->err, AM_ERR_NOMEM, NULL,
                            "out of memory for a strip of the surface");
    /* the cells of the blocks that may reach a road, in raster order */
    int64_t n_in = 0;
    for (int32_t c0 = 0; c0 < g->nx; c0 += SURFACE_BLOCK) {
        const int32_t c1 =
            g->nx - c0 > SURFACE_BLOCK ? c0 + SURFACE_BLOCK : g->nx;
        if (block_may_reach(sf, c0, c1, row0, row0 + n_rows))
            for (int32_t r = row0; r < row0 + n_rows; r++)
                for (int32_t col = c0; col < c1; col++)
                    sf->cell[n_in++] = (int64_t)r * g->nx + col;
    }
    if (n_in == 0)
        return AM_OK;
    am_status rc =
        am_snap_cell_centers(g, sf->to_ll, (int32_t)n_in, sf->cell, m->threads,
                             sf->lon, sf->lat, NULL, sf->err);
    if (rc != AM_OK)
        return rc;
    am_snapped sn;
    memset(&sn, 0, sizeof sn);
    int32_t n_on = 0;
    rc = am_model_snap_points(m, (int32_t)n_in, sf->lon, sf->lat,
                              AM_SNAP_ORIGIN, &sn, &n_on, NULL, sf->err);
    if (rc == AM_OK) {
        const uint32_t *nd = sf->node_ds;
        const int64_t base = (int64_t)row0 * g->nx;
        for (int64_t i = 0; i < n_in; i++) {
            uint64_t best = AM_TIME_INF;
            int on = 0;
            for (int k = 0; k < 2; k++) {
                const int32_t v = sn.node[2 * i + k];
                if (v < 0)
                    continue;
                on = 1;
                if (nd[v] == AM_TIME_INF)
                    continue;
                const uint64_t t = (uint64_t)sn.offset_ds[2 * i + k] + nd[v];
                if (t < best)
                    best = t;
            }
            if (!on)
                continue; /* beyond the snap distance: the fill */
            sf->counts[0]++;
            const int64_t at = sf->cell[i] - base;
            if (best <= sf->limit_ds) {
                buf[at] = (float)am_ds_to_minutes((uint32_t)best);
                sf->counts[1]++;
            } else {
                buf[at] = AM_UNREACHED_MIN;
            }
        }
    }
    am_snapped_free(&sn);
    return rc;
}

int am_surface_rows(int32_t row0, int32_t n_rows, void *buf, void *user)
{
    am_surface *sf = user;
    const double t0 = am_now_s();
    const int64_t nx = sf->m->pop->grid.nx;
    const int32_t step = am_surface_strip_rows(
        nx, n_rows,
        strip_cells_knob > 0 ? strip_cells_knob : AM_SURFACE_STRIP_CELLS);
    am_status rc = AM_OK;
    for (int32_t r = 0; r < n_rows && rc == AM_OK; r += step)
        rc = strip(sf, row0 + r, n_rows - r < step ? n_rows - r : step,
                   (float *)buf + (size_t)r * (size_t)nx);
    sf->seconds += am_now_s() - t0;
    return rc == AM_OK;
}

void am_surface_stats(const am_surface *sf, int64_t *within, int64_t *reached,
                      double *seconds)
{
    *within = sf->counts[0];
    *reached = sf->counts[1];
    *seconds = sf->seconds;
}

const int64_t *am_surface_counts(const am_surface *sf)
{
    return sf->counts;
}
