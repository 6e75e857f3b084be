/*
 * internal.h: what the engine's files share behind the public API
 * (engine/accessim.h): the model, site sets and results structures, the
 * phase log, and small helpers. Not installed; not for library users.
 *
 * Ownership: a model borrows its scenario (which must outlive it); a site
 * set and a results object borrow their model (and results their sites).
 * Everything else inside is owned and freed by the matching destroy.
 */
#ifndef AM_ENGINE_INTERNAL_H
#define AM_ENGINE_INTERNAL_H

#include <stdint.h>

#include "common/file_check.h"
#include "common/warning.h"
#include <accessim.h>
#include "engine/measure_registry.h"
#include "engine/scenario.h"
#include "geo/crs.h"
#include "geo/near_pairs.h"
#include "geo/segment_index.h"
#include "geo/segments.h"
#include "geo/snap.h"
#include "inputs/facilities.h"
#include "inputs/population.h"
#include "inputs/roads.h"
#include "inputs/zone_raster.h"
#include "inputs/zones.h"
#include "kernels/catchment.h"
#include "kernels/contract.h"
#include "kernels/components.h"
#include "kernels/demand.h"
#include "kernels/equity.h"
#include "kernels/graph.h"

#define AM_PATH_MAX 4096
/* near-duplicate pairs of a facility set named in its warning */
#define AM_SITES_NEAR_SHOWN 5

/*
 * The longest degree-2 chain contracted into one arc, metres: two points
 * on one chain travel between each other through its ends, at most that
 * chain's driving time too far (geo/snap.h). A cap on length, not time,
 * keeps the contracted graph the same for every speed scenario (zones,
 * profiles' speeds), so that slowing roads never shortens a trip. See
 * docs/benchmarks.md for what the cap costs on the OSM extracts.
 */
#define AM_CHAIN_MAX_M 250u

/* SHA-256 and size of an input, taken when it is read. */
typedef struct am_fp {
    char hex[65];
    long long size;
} am_fp;

/* Where a set of points landed on the network: point i's links are
 * 2 i + k, k = 0, 1 (geo/snap.h). */
typedef struct am_snapped {
    int32_t *node;       /* [2 n], -1 = no such link; both: off network */
    uint32_t *offset_ds; /* [2 n], time between the point and the node */
    double *dist_m;      /* [n], geodesic distance to the road, NaN off */
    double *frag_dist_m; /* [n] or NULL: the fragment check (geo/snap.h's */
    int32_t *frag_node;  /* am_snap_fragments), am_model_fragment_moves */
} am_snapped;

void am_snapped_free(am_snapped *s);

/*
 * Timing and progress of the steps of a build or a run: each step starts
 * with am_phase_begin (which may be cancelled through the progress
 * callback) and is recorded by am_phase_end (wall time, peak RSS). The log
 * grows as needed: no step is ever dropped from it.
 */
typedef struct am_phases {
    am_progress_fn progress; /* may be NULL */
    void *progress_user;
    am_phase_stat *v; /* [n] */
    int n, cap;
    double t0;
    const char *label; /* the current step's progress label */
} am_phases;

am_status am_phase_begin(am_phases *p, const char *label, am_error *err);
/* Records the step under name (copied, cut to the stat's size). */
am_status am_phase_end(am_phases *p, const char *name, am_error *err);
/* Forwards a sub-step's progress under the current label. */
int am_phase_progress(double fraction, const char *message, void *user);
void am_phases_free(am_phases *p);

/* How the roads stage uses the prepared-graph cache at m->cache_path. */
typedef enum am_model_cache_mode {
    AM_MODEL_CACHE_OFF = 0, /* neither read nor written */
    AM_MODEL_CACHE_USE,     /* loaded when valid and current; a stale or
                               damaged one is rebuilt and refreshed */
    AM_MODEL_CACHE_WRITE    /* always built, then written (prepare) */
} am_model_cache_mode;
/*
 * Points whose nearest node overall lies on a component the scenario's
 * snap.components rule does not allow (engine/components.c). Moved: snapped
 * onto an allowed node farther away instead; stranded: no allowed node
 * within the snap distance, so off network.
 */
typedef struct am_equity am_equity;
typedef struct am_fragment_moves {
    int64_t moved;
    double moved_weight;   /* population (cells) or count (sites) */
    double extra_median_m; /* extra snap distance of the moved points, */
    double extra_max_m;    /* geodesic metres; NaN when none moved */
    int64_t stranded;
    double stranded_weight;
    int64_t first;      /* index of the first moved or stranded point, -1 */
    int32_t first_size; /* nodes of its nearest (small) component */
} am_fragment_moves;

/* The network and population, built once (engine/model.c). */
struct am_model {
    const am_scenario *s; /* borrowed */
    am_warnings *warn;    /* the caller's, or own_warn */
    am_warnings own_warn;
    am_phases phases;
    int threads;
    uint64_t max_memory; /* the option; 0: default share */
    am_model_stage reached;
    char roads_path[AM_PATH_MAX];
    char pop_path[AM_PATH_MAX];
    am_fp fp_roads, fp_pop;
    am_road_network *roads; /* as read: vertices (every node of every line)
                               and arcs between them */
    am_graph *graph;        /* roads contracted (kernels/contract.h): its
                               nodes are junctions, node ids everywhere */
    am_graph *graph_rev;
    int32_t *node_vertex; /* [graph->n_nodes] the vertex a node stands at */
    am_contraction_stats contraction;
    am_population *pop;
    am_segment *seg; /* [n_seg] the segments points snap onto: both ends
                        of their chain allowed by snap.components */
    int32_t n_seg;
    am_segment_index *seg_index;
    /* issue 7, strongly connected components (engine/components.c), of
       the roads as read: vertex ids */
    am_components *components;
    uint8_t *allowed;             /* [roads->n_nodes] 1: points may snap */
    int32_t n_allowed_components; /* components 0 .. n-1 are allowed */
    int32_t nodes_disallowed;     /* vertices on the other components */
    int64_t arcs_disallowed;      /* arcs leaving those vertices */
    am_segment *frag_seg; /* [n_frag_seg] the other segments (the report) */
    int32_t n_frag_seg;
    am_segment_index *frag_index; /* over frag_seg; NULL: none */
    am_fragment_moves cell_moves; /* populated cells */
    double net_box[4]; /* network lon/lat extent: min x, min y, max x, max y */
    am_transform *to_metric; /* WGS 84 -> local metric frame */
    char frame[256];
    double frame_x_max; /* the farthest finite node from the frame's
                           central meridian, |x| in metres */
    am_snapped cell_snap;
    am_demand *demand;
    uint8_t *demand_nodes; /* [n_nodes] 1 where some cell is snapped */
    int32_t n_demand_nodes;
    double pop_off_network;
    int64_t cells_off_network;
    uint64_t memory_estimate, memory_cap;
    /* GDAL's block cache (issue 9): the limit set from the cap, and the
       decoded bytes of the rasters read through it (the population band,
       from its header at create; the settlement rasters, from their
       probes) */
    uint64_t gdal_cache, raster_bytes, eq_raster_bytes;
    int64_t max_cells; /* populated cells the cap allows (0: no limit) */
    char max_cells_why[128];
    /* speed zones (issue 7), [s->n_speed_zones] each: resolved paths,
       fingerprints, layers (read before the roads) and what each changed */
    char (*zone_paths)[AM_PATH_MAX];
    am_fp *fp_zones;
    am_zone_layer **zones;
    am_zone_stat *zone_stats;
    /* prepared-graph cache (engine/graph_cache.h, engine/prepare.c) */
    char cache_path[AM_PATH_MAX]; /* "": none */
    am_model_cache_mode cache_mode;
    int roads_from_cache;   /* the roads stage was loaded from the cache */
    const char *run_output; /* a run's output (borrowed): not the cache */
    /* issue 9, equity by zone: [s->n_zone_layers] each, the resolved
       paths, fingerprints and the zones of the populated cells (built
       with the population) */
    char (*eq_paths)[AM_PATH_MAX];
    am_fp *fp_eq;
    am_zone_raster **eq_zones;
};

/* Facilities (or candidate sites) snapped onto a model (engine/sites.c). */
struct am_sites {
    const am_model *m; /* borrowed */
    char *name;
    char *where;            /* the filter used, or NULL */
    char path[AM_PATH_MAX]; /* "" for sites given as arrays */
    am_fp fp;
    am_facility_set *fac;
    am_snapped snap;
    int32_t n_on;
    am_fragment_moves moves; /* sites moved off small components */
    double capacity_total;
    /* issue 9, facility tiers: 1 + the scenario's set index (its tier,
       cutoffs and measures: engine/tiers.h); 0: sites given as arrays */
    int scenario_set;
    /* near-duplicate facilities: pairs within AM_NEAR_DUPLICATE_M (sites
       from a scenario's set; 0 for sites given as arrays), the first
       AM_SITES_NEAR_SHOWN of them (for the warning) */
    int64_t near_duplicates;
    am_near_pair near_shown[AM_SITES_NEAR_SHOWN];
};

typedef struct am_cover am_cover; /* below */

/* One site set's answers (engine/results.c). */
struct am_results {
    const am_sites *sites; /* borrowed */
    int32_t n_cells, n_sites;
    int n_cutoffs, n_measures;
    double *cutoffs_min;  /* [n_cutoffs] */
    double *pop_within;   /* [n_cutoffs] */
    uint32_t *nearest_ds; /* [n_cells] */
    int32_t *nearest;     /* [n_cells] */
    double *site_demand;  /* [n_measures][n_sites] D_j */
    double *site_ratio;   /* [n_measures][n_sites] R_j */
    double *access;       /* [n_measures][n_cells] */
    double *access_mean;  /* [n_measures] */
    double *access_median;
    /* issue 9: per measure, AM_FCA_CELL_* per cell ([n_measures][n_cells]),
       facilities with no demand in reach (-1: the method has no ratio),
       population on the network with nothing within reach, and the
       resolved decay (engine/measure_registry.h) */
    uint8_t *flag;
    int32_t *fac_no_demand; /* [n_measures] */
    double *pop_none;       /* [n_measures] */
    am_measure_plan *plans; /* [n_measures] */
    /* issue 9, equity (engine/equity.c; NULL when the scenario asks for
       none): rows 0 (everyone), then each zone layer's zones in order;
       blocks 0 (the nearest time, minutes) and 1 + k (measure k) */
    am_equity *equity;
    /* issue 9, diagnostics (engine/diagnostics.h) */
    struct am_diagnostics *diag;
    /* issue 9, the travel-time surface, once written (engine/write.c):
       cells within the snap distance, cells reached, seconds */
    int64_t surface_within, surface_reached;
    double surface_s;
    /* issue 9, facility tiers: 1 where the set computes measure m
       ([n_measures]); the others are not computed (access NaN, flag
       AM_FCA_CELL_OFF, mean NaN), not written, skipped by equity */
    uint8_t *measure_on;
    /* issue 9, capacity_coverage (engine/coverage.c): [n_measures], NULL
       for the other measures */
    am_cover **cover;
    /* issue 9, nearest_n ([n_measures]; 0 for the other measures): the
       people on the network left out of access_mean for reaching fewer
       than n facilities within the measure's reach */
    double *mean_left_out;
};

/*
 * Snaps n lon/lat points onto the nearest point of a road segment of built
 * model m within the scenario's snap distance, in parallel (geo/snap.h:
 * nearest in the local metric frame; the snap distance, the reported
 * distance and the walking time are geodesic), with the links of role (people:
 * AM_SNAP_ORIGIN, facilities: AM_SNAP_DESTINATION). Points that cannot be
 * transformed are off network. *n_on = snapped. log (may be NULL) gets
 * the progress. When m has small components' segments (m->frag_index),
 * the same pass fills out->frag_dist_m and out->frag_node for
 * am_model_fragment_moves (which may free them once it is done).
 */
am_status am_model_snap_points(const am_model *m, int32_t n, const double *lon,
                               const double *lat, am_snap_role role,
                               am_snapped *out, int32_t *n_on, am_phases *log,
                               am_error *err);

/*
 * snap.components (engine/components.c). am_snap_allowed_mask: allowed[v]
 * = 1 for the nodes of the components the scenario's rule allows (the
 * largest always), 0 elsewhere; allowed is caller-allocated
 * [c->n_nodes]. Returns the allowed nodes; *n_components (may be NULL)
 * gets the allowed components, which are 0 .. *n_components - 1.
 */
int32_t am_snap_allowed_mask(const am_components *c, const am_scenario *s,
                             uint8_t *allowed, int32_t *n_components);

/* "components of at least 1000 vertices" (road vertices), for messages. */
void am_snap_rule_describe(const am_scenario *s, char *buf, size_t size);

/*
 * Which of n points, already snapped onto the allowed
 * nodes (snap, by am_model_snap_points: its fragment check), have their
 * nearest road overall on a disallowed component. weight: [n]
 * (population; points with weight <= 0 are skipped) or NULL (1 each).
 * *out is always defined. AM_ERR_NOMEM.
 */
am_status am_model_fragment_moves(const am_model *m, int32_t n,
                                  const double *weight, const am_snapped *snap,
                                  am_fragment_moves *out, am_error *err);

/* The on_small: error failure: "N people in M cells" (what "cells") or
 * "N <what>" are nearest to a small component, naming the first point. */
am_status am_fragment_error(const am_model *m, const am_fragment_moves *mv,
                            const char *what, const char *path,
                            const double *lon, const double *lat,
                            am_error *err);

/* am_model_create recording warnings on w (a run's list; NULL: the
 * model's own, forwarding to opt->warning). */
am_status am_model_create_shared(const am_scenario *s,
                                 const am_model_options *opt, am_warnings *w,
                                 am_model **out, am_error *err);

/*
 * Refuses an output whose name says the other format (issue 9): a file
 * written as CSV (csv 1: a matrix run's output, equity.csv, referrals.csv)
 * named .h5/.hdf5/.he5/.hdf, or the HDF5 output of a grid run (csv 0)
 * named .csv/.csv.gz/.tsv/.txt, case ignored; both were written silently
 * under the misleading name. what names the output in the message ("the
 * output of a grid run"). AM_ERR_INVALID naming path.
 */
am_status am_engine_check_output_format(const char *path, int csv,
                                        const char *what, am_error *err);

/* Resolves a scenario path into buf[AM_PATH_MAX] (against the scenario's
 * folder). AM_ERR_INVALID naming the path when it does not fit. */
am_status am_engine_resolve(const am_scenario *s, const char *path,
                            char buf[AM_PATH_MAX], am_error *err);

/*
 * The scenario's prepared-graph cache path into buf: roads_cache resolved
 * against the scenario's folder, else "<stem>.amgraph" next to the
 * scenario file; "" for a scenario built in code without roads_cache.
 * AM_ERR_INVALID when it does not fit (engine/prepare.c).
 */
am_status am_model_cache_path(const am_scenario *s, char buf[AM_PATH_MAX],
                              am_error *err);

/*
 * The files a run reads, into g (engine/run.c): the scenario file and
 * every file GDAL reads for each input, with their side-cars, as the
 * output check uses them. AM_ERR_NOMEM, AM_ERR_INVALID (a path too long).
 */
am_status am_engine_inputs_guard(const am_scenario *s, am_file_guard *g,
                                 am_error *err);

/*
 * The roads stage through the cache (engine/prepare.c): loads m->roads
 * from m->cache_path when its key matches, else reads the road layer
 * (load, a function doing what the stage does without a cache) and writes
 * the cache (mode WRITE; mode USE: refreshes a stale or damaged one, with
 * a warning, and only warns when that fails).
 */
typedef am_status (*am_roads_build_fn)(am_model *m, am_error *err);
am_status am_model_roads_cached(am_model *m, am_roads_build_fn load,
                                am_error *err);

/* Names `path` as the error's file when the failing step did not. */
void am_err_file_default(am_error *e, const char *path);

/* Sites from a scenario's facility set k, with the run's phase log (the
 * phase named "facilities" or "facilities[set]" when sets > 1). */
am_status am_sites_load_logged(am_model *m, int k, am_phases *log,
                               am_sites **out, am_error *err);

/*
 * Sites from a facility set already read (fac, owned from the call, freed
 * on failure too), snapped as every site set is (am_model_snap_points as
 * destinations, the fragment check of snap.components): the one path of
 * facility sets, sites given as arrays and site-selection candidates
 * (issue 10). path (may be NULL) names the source in messages. *out owned
 * by the caller.
 */
am_status am_sites_from_set(const am_model *m, const char *name,
                            const char *path, am_facility_set *fac,
                            am_sites **out, am_error *err);
/* A facility set of n points (ids "0", "1", ...; capacity NULL: 1 each),
 * owned by the caller. AM_ERR_NOMEM. */
am_status am_points_set(int32_t n, const double *lon, const double *lat,
                        const double *capacity, am_facility_set **out,
                        am_error *err);

/* Results with the run's phase log ("catchments", "measures"). */
am_status am_results_compute_logged(const am_model *m, const am_sites *f,
                                    int threads, am_phases *log,
                                    am_results **out, am_error *err);

/*
 * Equity statistics of one set's results (engine/equity.c, docs/
 * equity.md): n_rows = 1 + the zones of every zone layer; row 0 is
 * everyone, layer L's zones follow from row_first[L]. Block 0 is the
 * nearest time in minutes (with the shares beyond each cutoff), block
 * 1 + k measure k (with the shares below each access level).
 */
typedef struct am_equity {
    int32_t n_rows, n_blocks, n_pct, n_levels, n_cutoffs;
    int32_t *row_first;     /* [n_zone_layers + 1] */
    am_equity_stats *stats; /* [n_blocks][n_rows] */
    double *pct;            /* [n_blocks][n_rows][n_pct] */
    double *below;          /* [n_blocks][n_rows][n_levels] (block 0: 0) */
    double *beyond;         /* [n_rows][n_cutoffs] */
} am_equity;

void am_equity_destroy(am_equity *q);

/* The equity statistics of r (computed, borrowed arrays of m and r) into
 * r->equity; nothing when m's scenario asks for none. */
/* issue 9, capacity_coverage (engine/coverage.c): measure k of r from the
 * pairs, into r's access, flag and site arrays and r->cover[k]. */
struct am_cover {
    double *served, *beyond, *none;              /* [n_cells] */
    double *demand, *served_fac, *excess, *util; /* [n_sites] */
    double total_served, total_beyond, total_none, total_off;
    double total_demand, pop_takeable; /* sum_j D_j and who may take it */
    int iterations;
    double residual;
    int converged;
    int32_t fac_no_demand;
};
am_status am_cover_measure(const am_model *m, const am_sites *f,
                           const am_fca_pairs *pairs, int k, int threads,
                           am_results *r, am_error *err);
void am_cover_free(am_results *r);
/* The run summary's capacity coverage figures of set results res (NULL
 * arrays when it has no capacity_coverage measure); AM_ERR_NOMEM. */
am_status am_cover_summary(const am_results *res, am_set_summary *ss);
void am_cover_summary_free(am_set_summary *ss);

am_status am_equity_compute(const am_model *m, int threads, am_results *r,
                            am_error *err);

/*
 * The zone layers for equity (engine/equity.c): resolves and checks their
 * paths (at model create), and assigns their zones to the populated cells
 * (after the population is read; phase "equity zones").
 */
am_status am_model_equity_inputs(am_model *m, am_error *err);
am_status am_model_equity_zones(am_model *m, am_error *err);
void am_model_equity_free(am_model *m);
/* issue 9, settlement classes: the file of a zone layer (its raster or
 * its polygons), and zone layer k built from its settlement raster. */
const char *am_zone_source_file(const am_zone_source *z);
am_status am_model_class_zones(const am_model *m, int k, am_zone_raster **out,
                               am_error *err);

/* The HDF5 file of a run (engine/write.c; the layout is
 * outputs/results_file's). */
typedef struct am_write_request {
    const am_model *m;
    int n_sets;
    am_sites *const *sites;     /* [n_sets] */
    am_results *const *results; /* [n_sets] */
    const char *out_path;
    const char *command_line;     /* may be NULL */
    const am_fp *fp_scenario;     /* may be NULL */
    const am_file_guard *protect; /* files not to replace; may be NULL */
    const char *csv_path;         /* equity.csv resolved; NULL: none */
    /* issue 9, facility tiers: referral times and combined indicators
       (engine/referral.h; NULL: none) and referrals.csv resolved (NULL:
       none) */
    const struct am_tiers_out *tiers;
    const char *referrals_csv_path;
    /* issue 10, site selection (engine/selection.h; NULL: none) */
    const struct am_selection *selection;
    /* issue 12, scenario ensembles (engine/variants.h; NULL: none) */
    const struct am_ensemble *ensemble;
} am_write_request;

am_status am_write_output(const am_write_request *w, am_phases *log,
                          am_error *err);

/*
 * The travel-time surface of one set (issue 9, engine/surface.c): every
 * raster cell within the snap distance of a road, populated or not.
 * am_surface_create runs the set's multi-source search to the scenario's
 * surface_max_min (O(graph nodes)); am_surface_rows is the HDF5 writer's
 * row source (outputs/h5_writer.h, am_h5_rows_fn: user = the surface),
 * which snaps each strip of cells and reports a failure in err (borrowed
 * until destroy; the writer reports the strips' progress). am_surface_stats:
 * cells within the snap distance, those with a facility within
 * surface_max_min, and the seconds spent (search and strips).
 */
typedef struct am_surface am_surface;
am_status am_surface_create(const am_model *m, const am_sites *f, am_error *err,
                            am_surface **out);
int am_surface_rows(int32_t row0, int32_t n_rows, void *buf, void *user);
void am_surface_stats(const am_surface *sf, int64_t *within, int64_t *reached,
                      double *seconds);
/* [2]: within, reached, as the rows are written (stays valid until
 * destroy) */
const int64_t *am_surface_counts(const am_surface *sf);
void am_surface_destroy(am_surface *sf);
/* For tests: the cells of a piece of a strip snapped at a time (see
 * engine/surface.c; 0: AM_SURFACE_STRIP_CELLS, the default). Process-wide,
 * not thread-safe: set it before a run, not during one. */
void am_surface_set_strip_cells(int64_t cells);

/*
 * Issue 13, no surprise access: network paths allowed only when s says
 * `allow_network: true`, and the input limits of s's `limits:` (the
 * defaults where it sets none), for the loads that follow. Process-wide
 * (common/file_check.h, inputs/input_limits.h).
 */
void am_engine_input_policy(const am_scenario *s);

#endif /* AM_ENGINE_INTERNAL_H */
