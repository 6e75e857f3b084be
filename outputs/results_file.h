/*
 * results_file.h: the layout of a run's results file (docs/hdf5-layout.md):
 * which groups, rasters, tables and attributes it holds, their names,
 * units and encodings. The engine describes what a run found in plain
 * arrays (am_rf_file below: no engine type appears in it) and
 * am_rf_write turns that description into the file through
 * outputs/h5_writer (atomic: a temporary renamed when complete).
 *
 * Every pointer in the description is borrowed: nothing is copied or freed,
 * and the arrays must stay valid during the call. Per-cell arrays hold one
 * value per populated cell, in the order of am_rf_population.cell; rasters
 * are written strip by strip from them (no full-grid buffer).
 *
 * Not thread-safe; call from one thread, outside parallel regions.
 */
#ifndef AM_RESULTS_FILE_H
#define AM_RESULTS_FILE_H

#include <stdint.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_check.h"
#include "common/progress.h"
#include "geo/grid.h"

/* Raster encodings (docs/hdf5-layout.md, "Encodings"). */
#define AM_FILL_F32 (-9999.0f)   /* no population in the cell */
#define AM_UNREACHED_MIN (-1.0f) /* populated, nothing within cutoff */
#define AM_FILL_I32 (-2)         /* no population in the cell */
#define AM_UNREACHED_I32 (-1)    /* populated, nothing within cutoff */

/* Longest set or measure name (they name groups, rasters and columns). */
#define AM_RF_NAME_MAX 255

/*
 * An input's provenance: attributes <prefix>_path, <prefix>_size_bytes and
 * <prefix>_sha256 on the object that owns it. path NULL or "": none.
 */
typedef struct am_rf_input {
    const char *path;
    int64_t size_bytes;
    const char *sha256; /* 64 hex digits */
} am_rf_input;

/* Root attributes: what ran, on what, with which settings. */
typedef struct am_rf_provenance {
    const char *version;       /* accessim_version */
    const char *created_utc;   /* ISO 8601, e.g. "2024-01-31T12:00:00Z" */
    const char *scenario_name; /* the scenario's name */
    const char *scenario_file; /* as given; NULL: "" */
    const char *command_line;  /* NULL: "" */
    int64_t threads;
    const char *profile; /* routing profile; NULL: "car" */
    double snap_max_m;
    double walk_speed_kmh;
    int32_t n_cutoffs;
    const double *cutoffs_min; /* [n_cutoffs] */
    const char *metric_frame;  /* the local metric CRS used for snapping */
    am_rf_input scenario;      /* path NULL: not written */
    am_rf_input roads;
    am_rf_input population;
    am_rf_input profile_file; /* roads.profile_file (issue 7); path NULL:
                                 none, not written */
} am_rf_provenance;

/* One speed zone layer (issue 7): a row of /network/speed_zones. */
typedef struct am_rf_zone {
    am_rf_input input;     /* path, size, SHA-256 */
    const char *layer;     /* the layer read */
    const char *where;     /* NULL: "" */
    const char *field;     /* NULL: "" (one multiplier for all) */
    double multiplier;     /* the key's; NaN with a field */
    double multiplier_min; /* of its polygons */
    double multiplier_max;
    int64_t features; /* polygon features read */
    int64_t arcs;     /* arcs whose midpoint is in a polygon */
    double arc_km;
} am_rf_zone;
#define AM_RF_MAX_CLASSES 64

/* /network attributes: the routable graph. */
typedef struct am_rf_network {
    int64_t nodes, arcs;
    int64_t features_read, features_routable;
    double routable_km;
    int32_t n_zones;
    const am_rf_zone *zones; /* [n_zones]: the table /network/speed_zones */
    /* how speeds were read: "profile car", "class_field highway", ... */
    const char *speeds;
    const char *oneway_field; /* "" or NULL: none */
    double join_tolerance_m;
    int64_t vertices_joined;
    int64_t join_crossings;   /* roads.join_crossings: 0 or 1 */
    int64_t crossings_joined; /* nodes where crossing lines were joined */
    /* the travel profile and what it made of the tags (issue 7, part
       "profiles and OSM tags"); profile "" : none of these is written */
    char profile[64];
    int32_t n_classes;                          /* at most AM_RF_MAX_CLASSES */
    char speed_classes[AM_RF_MAX_CLASSES * 33]; /* "motorway,trunk,..." */
    double speed_kmh[AM_RF_MAX_CLASSES];        /* effective, same order */
    int64_t ferries_enabled, maxspeed_implausible_used;
    int64_t oneway, maxspeed_used, maxspeed_unparsable, maxspeed_implausible,
        closed_by_access, areas_skipped, reversible_skipped, ferries,
        missing_nodes_ways, missing_nodes_dropped;
    /* the search graph (issue 7): degree-2 chains contracted */
    int64_t graph_nodes, graph_arcs;
    double chain_max_m;                  /* the cap on a chain's length */
    int64_t self_loops, parallel_chains; /* dropped */
    int64_t from_cache; /* 1: loaded from a prepared graph (accessim
                           prepare), 0: read from the roads input */
    /* strongly connected components and snap.components (issue 7):
       n_components 0 writes none of these */
    int32_t n_components;
    const int32_t *component_size; /* [n_components], descending */
    int32_t components_allowed;    /* components 0 .. allowed-1 */
    const char *components_rule;   /* in words */
    int64_t nodes_disallowed, arcs_disallowed;
} am_rf_network;

/* Points whose nearest node is on a disallowed component (issue 7). */
typedef struct am_rf_moves {
    double moved;                       /* population or facilities */
    int64_t moved_n;                    /* cells or facilities */
    double extra_median_m, extra_max_m; /* NaN: none moved */
    double stranded;                    /* left off network */
    int64_t stranded_n;
} am_rf_moves;

/* The grid, its populated cells and /population's attributes. */
typedef struct am_rf_population {
    const am_grid *grid;
    const char *crs_wkt; /* WKT of the grid's CRS */
    int64_t n_cells;     /* populated cells */
    const int64_t *cell; /* [n_cells] row * nx + col, strictly ascending */
    const double *pop;   /* [n_cells] persons (written as float32) */
    double total;        /* sum of pop: the base of coverage percentages */
    int64_t refused_negative_cells;
    int64_t refused_nonfinite_cells;
    int64_t refused_implausible_cells;
    double off_network_population;
    int64_t off_network_cells;
    double source_scale;  /* the band's scale applied to raw values (1) */
    double source_offset; /* and its offset (0): pop = raw*scale + offset */
    int source_masked;    /* 1: the band's own mask/alpha marked nodata */
    int64_t masked_cells; /* cells invalid in that mask (not populated) */
    am_rf_moves moves;    /* cells moved off small components */
} am_rf_population;

/* One measure of a set: its raster, its reach flags and (methods with a
 * ratio) its two facility-table columns. */
typedef struct am_rf_measure {
    const char *name;      /* raster name; column suffix */
    const char *type;      /* attribute "measure", e.g. "2sfca" */
    const char *long_name; /* the raster's CF long_name */
    const char *units;     /* the raster's and the ratio column's units */
    double threshold_min;  /* the effective cutoff (the pairs' limit) */
    const char *reference; /* attribute "reference" (the method's paper) */
    const double *access;  /* [n_cells] of the population (float32) */
    const double *demand;  /* [n_sites] D_j: catchment_population_<name>;
                              NULL: the method has no ratio, no columns */
    const double *ratio;   /* [n_sites] R_j: ratio_<name> (NaN: no demand) */
    /* issue 9 (may be NULL/0 for a measure described without them) */
    const char *formula;          /* attribute "formula" */
    const char *decay;            /* attribute "decay", "exponential" */
    const char *decay_formula;    /* attribute "decay_formula" */
    const char *decay_parameters; /* attribute "decay_parameters", words */
    int64_t decay_truncated; /* 1: no cutoff given, truncated at the largest
                                cutoff (attribute "decay_truncated") */
    double alpha;            /* > 0: attribute "alpha" (spav) */
    int64_t nth;             /* > 0: attribute "n" (nearest_n) */
    int unreached_minutes;   /* 1: values are minutes, +inf written as
                                AM_UNREACHED_MIN ("unreachable_value") */
    const uint8_t *flag;     /* [n_cells] AM_RF_REACH_*: reach/<name>; NULL:
                                not written */
    int64_t fac_no_demand;   /* attribute "facilities_no_demand" (>= 0) */
    int per_person;          /* 1: also per_person/<name> = value / the cell's
                                population (spatial availability's v_i) */
    /* issue 9, capacity_coverage (NULL: another measure): the split of
       the population, written to coverage_split/<name> and the facility
       table (docs/hdf5-layout.md, "Capacity coverage") */
    const struct am_rf_coverage *coverage;
} am_rf_measure;

typedef struct am_rf_coverage {
    const double *served, *beyond, *none;              /* [n_cells] persons */
    const double *demand, *served_fac, *excess, *util; /* [n_sites] */
    double total_served, total_beyond, total_none, total_off; /* persons */
    double persons_per_capacity;
    const char *allocation; /* "proportional", "fixed_point" */
    int64_t iterations;     /* fixed point rounds; 0: proportional */
    double residual;
    int64_t converged;
    double tolerance;
    int64_t max_iterations;
} am_rf_coverage;

/* reach/<measure>: int32 per populated cell (kernels/fca.h's flags). */
#define AM_RF_REACH_OK 0   /* something within reach */
#define AM_RF_REACH_NONE 1 /* on the network, nothing within reach */
#define AM_RF_REACH_OFF 2  /* off the network */

/*
 * A table of plain columns (issue 9, equity): one 1-D dataset per column
 * in group <set>/equity/<name>, and the same rows in the equity CSV.
 */
typedef enum am_rf_col_type {
    AM_RF_COL_INT64 = 1,
    AM_RF_COL_DOUBLE,
    AM_RF_COL_STRING
} am_rf_col_type;

typedef struct am_rf_column {
    const char *name;
    am_rf_col_type type;
    const void *data; /* [n_rows] int64_t, double or char * */
    const char *units;
    const char *description;
} am_rf_column;

/* One equity table: "overall" (everyone, one row) or a zone layer's. */
typedef struct am_rf_table {
    const char *name; /* "overall" or the zone layer's name */
    int64_t n_rows;
    int32_t n_cols;
    const am_rf_column *cols; /* [n_cols], the same names in every table */
    /* a zone layer's attributes (zones.path NULL: the overall table) */
    am_rf_input zones;
    const char *layer, *where, *id_field; /* NULL: "" */
    int64_t cells_outside;                /* populated cells in no zone */
    double population_outside;            /* their population */
} am_rf_table;

/* One facility set: group /results/<name>. */
typedef struct am_rf_set {
    const char *name;
    /* issue 10: the set's group instead of /results/<name> (a scenario's
       results, "/scenarios/<scenario>/results/<name>"); NULL: the default */
    const char *group;
    const char *where;      /* the filter; NULL: "" */
    am_rf_input facilities; /* path NULL or "": sites given as arrays */
    /* the facility table, [n_sites] each */
    int32_t n_sites;
    char *const *id;
    char *const *site_name;
    char *const *klass;
    const double *capacity; /* S_j */
    const double *lon, *lat;
    const double *snap_distance_m;  /* NaN: off network */
    const int32_t *link_node;       /* [2 n_sites]: site j's links 2 j + k,
                                       -1: absent (geo/snap.h) */
    const uint32_t *link_offset_ds; /* [2 n_sites]: their times */
    /* nearest facility, [n_cells] of the population */
    const uint32_t *nearest_ds; /* deciseconds; AM_TIME_INF: none */
    const int32_t *nearest;     /* row in the table; < 0: none */
    int32_t n_measures;
    const am_rf_measure *measures; /* [n_measures] */
    /* the coverage table, [n_cutoffs] each */
    int32_t n_cutoffs;
    const double *cutoffs_min;
    const double *pop_within; /* persons whose nearest is within */
    am_rf_moves moves;        /* facilities moved off small components */
    /* pairs of facilities within near_duplicate_m of each other
       (attributes near_duplicate_pairs, near_duplicate_max_m) */
    int64_t near_duplicate_pairs;
    double near_duplicate_m;
    /* issue 9, equity: tables under <set>/equity (n_equity 0: none) */
    int32_t n_equity;
    const am_rf_table *equity; /* [n_equity] */
    /* issue 9, diagnostics: the tables <set>/diagnostics (one row per
       measure) and <set>/snap_distances (cells, facilities); NULL: not
       written (their names are not read) */
    const am_rf_table *diagnostics;
    const am_rf_table *snap_distances;
    /* issue 9, the travel-time surface: surface_time_min, [ny][nx]
       float32 from the rows surface_rows fills (am_h5_rows_fn's contract:
       buf arrives filled with AM_FILL_F32; it writes minutes or
       AM_UNREACHED_MIN); NULL: none. surface_counts (may be NULL), read
       once the rows are written: [2] cells within the snap distance and
       cells with a facility within surface_max_min (attributes). */
    int (*surface_rows)(int32_t row0, int32_t n_rows, void *buf, void *user);
    void *surface_user;
    double surface_max_min;
    double surface_snap_max_m;
    const int64_t *surface_counts;
} am_rf_set;

/* issue 9, facility tiers: a referral table /referrals/<table.name>
 * ("<lower>__<higher>"), with the two sets and tiers as attributes. */
typedef struct am_rf_referral {
    am_rf_table table; /* its columns (zones.path NULL) */
    const char *lower, *higher;
    int64_t lower_tier, higher_tier;
    double max_min; /* the search's depth, minutes */
} am_rf_referral;

/* issue 9, facility tiers: a combined indicator: the int32 raster
 * /combined/<name> (1: every condition holds, 0: not; AM_FILL_I32 no
 * population) and its cross-tabulation /combined/crosstab/<name>. */
typedef struct am_rf_combined {
    const char *name;
    const char *conditions; /* attribute "conditions", in words */
    const int32_t *value;   /* [n_cells] 0 or 1 */
    double population_all;  /* attribute: people for whom all hold */
    am_rf_table crosstab;   /* one row per combination */
} am_rf_combined;

/* issue 10, site selection: an attribute (type AM_RF_COL_INT64: i,
 * DOUBLE: num, STRING: text). */
typedef struct am_rf_attr {
    const char *name;
    am_rf_col_type type;
    int64_t i;
    double num;
    const char *text;
} am_rf_attr;

/* issue 10: one map layer of a selection: a raster
 * /selection/<name>/maps/<map.name> on the population grid, float32
 * (value; NaN written as AM_FILL_F32) or int32 (ivalue), each painted
 * cell taking the value of its item. */
typedef struct am_rf_sel_map {
    const char *name;
    const char *long_name, *units; /* CF attributes; units may be NULL */
    const double *value;           /* [n_items], or NULL and: */
    const int64_t *ivalue;         /* [n_items] (int32 range) */
} am_rf_sel_map;

/* issue 10: a site selection, group /selection/<name> with its attributes
 * and plain tables /selection/<name>/<table.name> (docs/hdf5-layout.md). */
typedef struct am_rf_selection {
    const char *name;
    int32_t n_attrs;
    const am_rf_attr *attrs; /* [n_attrs] */
    int32_t n_tables;
    const am_rf_table *tables; /* [n_tables] (zones.path NULL) */
    /* the map layers (n_maps 0: none): the cells painted, raster cells
       row * nx + col strictly ascending, and the item of each
       (0 <= item < n_items); every other cell is the fill value. Written
       strip by strip (no full-grid buffer). */
    int64_t n_map_cells;
    const int64_t *map_cell; /* [n_map_cells] */
    const int32_t *map_item; /* [n_map_cells] */
    int64_t n_items;
    int32_t n_maps;
    const am_rf_sel_map *maps; /* [n_maps] */
} am_rf_selection;

/* issue 12, scenario ensembles: a group (created before the sets, with
 * its parents) with attributes and plain tables <path>/<table.name>. */
typedef struct am_rf_group {
    const char *path; /* absolute, e.g. "/variants/slow" */
    int32_t n_attrs;
    const am_rf_attr *attrs; /* [n_attrs] */
    int32_t n_tables;
    const am_rf_table *tables; /* [n_tables] (zones.path NULL) */
} am_rf_group;

/* issue 12: a float32 raster of the populated cells at path (its group
 * among the groups above): value [n_cells], NaN written as NaN; with
 * unreached_minutes, +inf as AM_UNREACHED_MIN (attribute
 * "unreachable_value"). */
typedef struct am_rf_raster {
    const char *path;
    const char *long_name, *units;
    const double *value;
    int unreached_minutes;
} am_rf_raster;

/* The whole file. */
typedef struct am_rf_file {
    am_rf_provenance run;
    am_rf_network network;
    am_rf_population population;
    int32_t n_sets;
    const am_rf_set *sets; /* [n_sets] */
    /* The inputs' files, not to be replaced: checked again by the writer
     * right before its rename (am_h5_set_protected); may be NULL. */
    const am_file_guard *protect;
    /* Threads compressing the rasters' chunks (am_h5_set_threads); 0:
     * OpenMP's default. The file is the same for any count. */
    int threads;
    /* issue 9, facility tiers: /referrals and /combined (0: none) */
    int32_t n_referrals;
    const am_rf_referral *referrals; /* [n_referrals] */
    int32_t n_combined;
    const am_rf_combined *combined; /* [n_combined] */
    /* issue 9, the equity CSV's header after set and table: every equity
       column of every set, in this order (the engine's: docs/equity.md);
       NULL: the union in order of first appearance. A column of a table
       missing here is added after them. */
    int32_t n_equity_order;
    const char *const *equity_order; /* [n_equity_order] borrowed */
    /* issue 10, site selection: /selection (0: none) */
    int32_t n_selections;
    const am_rf_selection *selections; /* [n_selections] */
    /* issue 12, scenario ensembles: groups written before the sets (0:
       none) and rasters written after them */
    int32_t n_groups;
    const am_rf_group *groups; /* [n_groups] */
    int32_t n_rasters;
    const am_rf_raster *rasters; /* [n_rasters] */
    /* side files of the same run (equity.csv, referrals.csv: opened and
       written, am_rf_*_csv_stage), committed with the HDF5 output
       (am_h5_commit_with: all or none); closed by am_rf_write on success,
       discarded by the caller on failure. NULL entries skipped. */
    size_t n_with;
    am_atomic_file *const *with; /* [n_with] borrowed */
} am_rf_file;

/*
 * Writes the file d describes at path (atomically: am_h5_create/commit).
 * progress (may be NULL; user borrowed) gets the fraction of the whole
 * file written, after each strip of a raster and before the rename; a 0
 * from it stops the write with AM_ERR_CANCELLED. Allocates one float or
 * int32 per populated cell (the values of the raster being written) and
 * the writer's strip. Returns AM_OK; AM_ERR_INVALID (no description, a
 * negative count, a NULL array with a non-zero count, a name longer than
 * AM_RF_NAME_MAX); AM_ERR_NOMEM; AM_ERR_IO and the writer's other codes
 * (outputs/h5_writer.h). On failure nothing is left at path but what was
 * there before.
 */
am_status am_rf_write(const char *path, const am_rf_file *d,
                      am_progress_fn progress, void *user, am_error *err);

/*
 * The equity tables of every set of d as one CSV at path (docs/
 * hdf5-layout.md, "Equity"): a header, then per set, per table, per row:
 * set, table, then the table's columns (the same in every table, in
 * their order); numbers with 17 significant digits, NaN and inf as
 * "NaN", "inf". Written to a temporary and renamed; protect (may be
 * NULL) lists files not to replace. AM_ERR_IO naming path; AM_ERR_NOMEM.
 */
am_status am_rf_write_equity_csv(const char *path, const am_rf_file *d,
                                 const am_file_guard *protect, am_error *err);

/*
 * The same CSV in two steps, so that it and the HDF5 output appear
 * together or not at all: am_rf_equity_csv_stage writes and syncs the
 * temporary (f open on AM_OK, closed and removed on an error); the
 * caller then commits it (am_atomic_commit) once the HDF5 output is in
 * place, or removes it (am_atomic_discard, am_atomic_close).
 */
am_status am_rf_equity_csv_stage(const char *path, const am_rf_file *d,
                                 const am_file_guard *protect,
                                 am_atomic_file *f, am_error *err);

/*
 * issue 9, facility tiers: the referral tables of d as one CSV at path,
 * staged as am_rf_equity_csv_stage (commit or discard it): a header
 * "table" then the tables' columns (the same in every referral table),
 * one line per row of each table in order.
 */
am_status am_rf_referrals_csv_stage(const char *path, const am_rf_file *d,
                                    const am_file_guard *protect,
                                    am_atomic_file *f, am_error *err);

#endif /* AM_RESULTS_FILE_H */
