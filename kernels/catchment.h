/*
 * catchment.h: sparse catchments, source -> (node, time), for many sources.
 *
 * For each source (a facility snapped onto a road, with up to two links:
 * the nodes it is reached from and the time from each, see geo/snap.h) one
 * bounded search on the *reverse* graph, seeded at both links, gives the
 * travel time from
 * every node within limit_ds *to* the facility: the direction people travel.
 * The searches run in parallel over sources with OpenMP (one am_search per
 * thread, schedule(dynamic)); each source writes only its own row, so the
 * result is byte-identical for any thread count.
 *
 * Storage is CSR by row: row r holds entries first[r] .. first[r+1]-1 with
 * col[] ascending. For facility catchments rows are facilities and cols are
 * nodes; am_catchments_transpose gives rows = nodes, cols = facilities (the
 * measures do not need it: see measures.h). Several facility sets or measures
 * each get their own am_catchments; a single catchment computed at the largest
 * cutoff serves every smaller cutoff (filter on time).
 */
#ifndef AM_CATCHMENT_H
#define AM_CATCHMENT_H

#include <stdint.h>

#include "common/error.h"
#include "common/progress.h"
#include "kernels/graph.h"

/* Largest limit whose times are stored in 16 bits (about 109 minutes). */
#define AM_CATCHMENT_TIME16_MAX 65535u

/*
 * Times are stored in 16 bits when limit_ds <= AM_CATCHMENT_TIME16_MAX
 * (time16 set, time_ds NULL), else in 32 (time_ds set, time16 NULL): 6 or
 * 8 bytes per (row, column) pair. Read them with am_catchments_time.
 */
typedef struct am_catchments {
    int32_t n_rows;
    int32_t n_cols;
    uint32_t limit_ds; /* every stored time is <= limit_ds */
    int64_t *first;    /* [n_rows + 1], owned */
    int32_t *col;      /* [first[n_rows]], owned, ascending within a row */
    uint16_t *time16;  /* [first[n_rows]], owned, or NULL */
    uint32_t *time_ds; /* [first[n_rows]], owned, or NULL */
} am_catchments;

/* The time of entry e, in deciseconds. */
static inline uint32_t am_catchments_time(const am_catchments *c, int64_t e)
{
    return c->time16 != NULL ? c->time16[e] : c->time_ds[e];
}

/*
 * Computes one catchment per source on g_rev (the reverse road graph).
 * Source i's links are source_node[2 i + k], k = 0, 1 (a negative node:
 * no such link); a source without links is not on the network: its row is
 * empty.
 * node_keep (NULL: keep all) is [g_rev->n_nodes]; only nodes v with
 * node_keep[v] != 0 are stored (the nodes that carry demand, say).
 * max_entries > 0 is a budget: when the stored entries would exceed it the
 * computation stops with AM_ERR_NOMEM (err->feature: the source reached),
 * so that a run that would not fit in memory fails early and clearly.
 * source_offset_ds[2 i + k] starts link k (the facility's off-network leg
 * and partial segment); NULL means all zero. n_threads <= 0 means the OpenMP
 * default. progress (may be NULL) is called from the calling thread only.
 * Returns AM_OK, AM_ERR_NOMEM, AM_ERR_CANCELLED, or AM_ERR_INVALID for
 * NULL arguments or a link node >= the graph's size (the source index in
 * err->feature). *out owned by caller.
 */
am_status am_catchments_compute(const am_graph *g_rev, int32_t n_sources,
                                const int32_t *source_node,
                                const uint32_t *source_offset_ds,
                                uint32_t limit_ds, const uint8_t *node_keep,
                                int64_t max_entries, int n_threads,
                                am_progress_fn progress, void *progress_user,
                                am_catchments **out, am_error *err);

/*
 * An empty CSR shell (first[] zeroed) of n_rows rows and room for nnz
 * entries, with 16-bit times when limit_ds allows: for a caller that fills
 * the rows itself (engine/dist.c assembles ranges computed by other
 * processes). AM_ERR_NOMEM (nothing allocated); *out owned by the caller.
 */
am_status am_catchments_create(int32_t n_rows, int32_t n_cols,
                               uint32_t limit_ds, int64_t nnz,
                               am_catchments **out);

/* rows <-> cols; entries of a new row are ascending by old row. */
am_status am_catchments_transpose(const am_catchments *c, am_catchments **out,
                                  am_error *err);

/* Number of stored entries. */
int64_t am_catchments_nnz(const am_catchments *c);

/* Accepts NULL. */
void am_catchments_destroy(am_catchments *c);

#endif /* AM_CATCHMENT_H */
