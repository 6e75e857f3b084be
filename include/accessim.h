/*
 * accessim.h: the accessim library API, the one header a program needs.
 *
 * One call does a whole run (what the CLI does):
 *
 *     am_scenario *s;  am_run_summary *sum;  am_error err;
 *     am_scenario_read_file("comoros.yaml", &s, &err);
 *     am_run_options opt = am_run_options_default();
 *     am_run(s, &opt, &sum, &err);       // load -> build -> compute -> write
 *     am_run_summary_write(sum, stdout);
 *     am_run_summary_destroy(sum);  am_scenario_destroy(s);
 *
 * Or a program builds the model once and asks it many questions (site
 * selection, scenario variants, work split by ranges of sites):
 *
 *     am_model *m;  am_sites *f;  am_results *r;
 *     am_model_create(s, &mopt, &m, &err);
 *     am_model_build(m, &err);           // roads, graph, population, snap
 *     am_sites_from_points(m, "candidates", n, lon, lat, cap, &f, &err);
 *     am_results_compute(m, f, 0, &r, &err);
 *     const double *a = am_results_access(r, 0);   // per populated cell
 *     am_results_destroy(r);  am_sites_destroy(f);  am_model_destroy(m);
 *
 * Conventions: every fallible call returns an am_status and fills the
 * caller's am_error (never a global); the library never prints, exits or
 * aborts. Times are deciseconds in integer arrays (suffix _ds) and minutes
 * in doubles (suffix _min). Objects are created by x_create / x_from_... and
 * freed by x_destroy, which accepts NULL. Pointers returned by accessors
 * are borrowed: valid until the object is destroyed, never freed by the
 * caller. Thread safety: a built model, site set and results object are
 * read-only and may be queried from many threads at once; creating,
 * building and destroying are not thread-safe on one object.
 *
 * am_run never prints; it reports progress through opt.progress (the
 * message names the phase) and fails with an am_status and a filled
 * am_error. The output file appears (atomically, by rename) only when the
 * whole run succeeded.
 */
#ifndef ACCESSIM_H
#define ACCESSIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the shared library: only what this header declares. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define AM_API __attribute__((visibility("default")))
#else
#define AM_API
#endif

/* ---- version ------------------------------------------------------------ */

/* The version of this header (CMake checks it matches the project's). */
#define AM_VERSION_MAJOR 0
#define AM_VERSION_MINOR 2
#define AM_VERSION_PATCH 0
#define AM_VERSION_STRING "0.2.0"

/* The version of the library linked at run time, e.g. "0.2.0". */
AM_API const char *am_version(void);
/* The same as major * 10000 + minor * 100 + patch. */
AM_API int am_version_number(void);

/* ---- status and errors -------------------------------------------------- */

/*
 * Every fallible function returns an am_status and writes its results
 * through out-params. When it fails it fills the caller's am_error (never a
 * global) with where the problem is (file, layer, feature, line:column) and
 * what was wrong, so that a program can print one clear line
 * (am_error_format). An am_error must not be shared between threads.
 */
typedef enum am_status {
    AM_OK = 0,
    AM_ERR_NOMEM,      /* out of memory */
    AM_ERR_IO,         /* cannot open, read or write a file */
    AM_ERR_FORMAT,     /* file is not of the expected kind or is malformed */
    AM_ERR_INVALID,    /* a value is out of range (negative capacity, ...) */
    AM_ERR_CRS,        /* missing or unusable coordinate reference system */
    AM_ERR_EMPTY,      /* nothing to work on (empty layer, zero facilities) */
    AM_ERR_NO_OVERLAP, /* inputs do not overlap in space */
    AM_ERR_SCENARIO,   /* scenario file error (unknown key, bad type, ...) */
    AM_ERR_USAGE,      /* command-line misuse */
    AM_ERR_CANCELLED,  /* a progress callback asked to stop */
    AM_ERR_INTERNAL    /* a broken invariant: a bug in accessim */
} am_status;

#define AM_ERROR_FILE_MAX 1024
#define AM_ERROR_LAYER_MAX 256
#define AM_ERROR_MSG_MAX 1024

/* Where and what. Unknown fields are empty strings or -1. */
typedef struct am_error {
    am_status code;
    char file[AM_ERROR_FILE_MAX];   /* path of the offending input */
    char layer[AM_ERROR_LAYER_MAX]; /* layer or band, if any */
    long long feature;              /* feature id (FID) or cell, -1 if n/a */
    long line;                      /* 1-based line in a text file, -1 n/a */
    long column;                    /* 1-based column, -1 if n/a */
    char msg[AM_ERROR_MSG_MAX];     /* what was wrong, with a hint */
} am_error;

/* Resets e to "no error". Accepts NULL. */
AM_API void am_error_clear(am_error *e);

/* A short stable name for a code ("io", "format", ...). Never NULL. */
AM_API const char *am_status_name(am_status code);

/*
 * Formats e as one line: "FILE: layer 'L': feature F: line N:C: MESSAGE".
 * Parts that are unknown are left out. Writes at most n bytes including the
 * terminating NUL; returns buf.
 */
AM_API char *am_error_format(const am_error *e, char *buf, size_t n);

/* ---- callbacks ---------------------------------------------------------- */

/*
 * Progress: fraction in [0, 1], a message naming the step, the caller's
 * pointer (the shape of GDAL's GDALProgressFunc). Return non-zero to go
 * on, 0 to ask the step to stop (it then returns AM_ERR_CANCELLED). Called
 * from the calling thread only, so it need not be thread-safe.
 */
typedef int (*am_progress_fn)(double fraction, const char *message, void *user);

/* One call per warning (a non-fatal finding), with a one-line message. */
typedef void (*am_warning_fn)(const char *message, void *user);

/* ---- scenarios ---------------------------------------------------------- */

/*
 * A scenario is what one run computes: one road network, one population
 * raster, one or more facility sets and one or more measures. Plain data,
 * filled by the YAML reader (am_scenario_read_file) or by a program; all
 * strings are owned by the scenario (heap copies, freed by
 * am_scenario_destroy). Paths are stored as given and resolved against
 * base_dir. Ranges of every value: docs/scenario.md.
 */
/* At most this many cutoffs (cutoffs_min). */
#define AM_MAX_CUTOFFS 32
/* At most this many facility sets and measures in one scenario (each set
 * is a group of the output and each measure a dataset in every group). */
#define AM_MAX_FACILITY_SETS 1000
/* issue 13, limits users set (scenario `limits:`, docs/scenario.md): the
 * defaults, far above a national dataset; a scenario may raise or lower
 * each. A raster of more cells (width x height), a road layer of more
 * features, a facility (or candidate) layer of more features is refused
 * before it is read in full. */
#define AM_LIMIT_RASTER_CELLS_DEFAULT 10000000000LL /* 1e10 */
#define AM_LIMIT_ROAD_FEATURES_DEFAULT 1000000000LL /* 1e9 */
#define AM_LIMIT_FACILITIES_DEFAULT 100000000LL     /* 1e8 */
#define AM_LIMIT_MAX 1000000000000000LL             /* 1e15, any limit */
#define AM_MAX_MEASURES 100

/* Capacity for facilities whose class field has this value. */
typedef struct am_class_capacity {
    char *klass;
    double capacity;
} am_class_capacity;

/* One facility set: a point layer and how to read it. */
typedef struct am_facility_source {
    char *name;           /* set name (AM_NAME_MAX rule), the output group */
    char *path;           /* any OGR point source */
    char *layer;          /* NULL: the first layer */
    char *where;          /* OGR SQL attribute filter, NULL: none */
    char *id_field;       /* NULL: the FID */
    char *name_field;     /* NULL: "name" if present */
    char *class_field;    /* NULL: "amenity" if present */
    char *capacity_field; /* NULL: capacity by class, else default */
    char *x_field;        /* CSV without geometry: longitude column */
    char *y_field;        /* CSV without geometry: latitude column */
    char *crs;            /* CRS for sources that carry none; NULL: WGS 84 */
    am_class_capacity *class_capacity; /* [n_class_capacity] */
    int n_class_capacity;
    double default_capacity; /* default 1 */
    /* issue 7, input hygiene: where the set is written in the scenario
     * file (1-based line of its entry), for errors that involve it and
     * another entry; 0 when built in code (errors then carry no line) */
    int line;
    /* issue 9, facility tiers (docs/scenario.md "Facility tiers"): the
       set's tier, 1 (lowest, e.g. primary care) to AM_MAX_TIER; 0: none.
       Referral times (am_run_summary.referrals) go from every set with a
       tier to every set of a higher tier. */
    int tier;
    /* the set's own cutoffs (coverage and the nearest search's depth),
       [n_cutoffs] ascending, owned; NULL: the scenario's cutoffs_min */
    double *cutoffs_min;
    int n_cutoffs;
    /* the names of the scenario's measures this set computes, [n_measures],
       owned; NULL: every measure */
    char **measures;
    int n_measures;
} am_facility_source;

/* issue 9, tiers: the highest tier, and combined indicators' limits */
#define AM_MAX_TIER 9
#define AM_MAX_COMBINED 32
#define AM_MAX_COMBINED_CONDITIONS 8
/* Referral times are searched this deep (minutes); beyond: unreachable. */
#define AM_REFERRAL_MAX_MIN 1440.0

/*
 * A combined indicator (issue 9, `combined:` in docs/scenario.md): the
 * populated cells whose nearest facility of set[c] is within minutes[c]
 * (inclusive) for every condition c.
 */
typedef struct am_combined_spec {
    char *name;       /* AM_NAME_MAX rule; the raster /combined/<name> */
    int n_conditions; /* 1 .. AM_MAX_COMBINED_CONDITIONS */
    char *set[AM_MAX_COMBINED_CONDITIONS]; /* facility set names, owned */
    double minutes[AM_MAX_COMBINED_CONDITIONS];
    int line; /* its line in the scenario file, 0 when built in code */
} am_combined_spec;

/* Speed in km/h of road features whose class field (roads.class_field,
 * a plain GIS layer) has this value. */
typedef struct am_field_speed {
    char *klass;
    double kmh;
} am_field_speed;

/*
 * The measures (issue 9; docs/scenario.md "Measures" gives each formula,
 * its paper, parameters and defaults). All are demand -> facility.
 */
typedef enum am_measure_type {
    AM_MEASURE_TYPE_2SFCA = 1,  /* Luo & Wang 2003, any decay */
    AM_MEASURE_TYPE_E2SFCA,     /* Luo & Qi 2009: travel-time zones */
    AM_MEASURE_TYPE_KD2SFCA,    /* Dai 2010: truncated rescaled Gaussian */
    AM_MEASURE_TYPE_3SFCA,      /* Wan, Zou & Sternberg 2012 */
    AM_MEASURE_TYPE_M2SFCA,     /* Delamater 2013 */
    AM_MEASURE_TYPE_BFCA,       /* Paez, Higgins & Vivona 2019 */
    AM_MEASURE_TYPE_SPAV,       /* spatial availability, Soukhov et al. 2023 */
    AM_MEASURE_TYPE_GRAVITY,    /* sum_j S_j f(t_ij) */
    AM_MEASURE_TYPE_CUMULATIVE, /* sum of S_j within threshold_min */
    AM_MEASURE_TYPE_NEAREST_N,  /* time to the n-th nearest facility */
    /* issue 9: population served / beyond capacity / not within reach,
       independent of the facilities' order (docs/coverage.md) */
    AM_MEASURE_TYPE_CAPACITY_COVERAGE
} am_measure_type;

/* How capacity_coverage allocates people to facilities (docs/coverage.md). */
typedef enum am_allocation_kind {
    AM_ALLOCATION_DEFAULT = 0,  /* fixed_point */
    AM_ALLOCATION_PROPORTIONAL, /* balanced FCA shares, one pass */
    AM_ALLOCATION_FIXED_POINT   /* capacity-constrained shares, iterated */
} am_allocation_kind;

/* Decay functions f(t), t in minutes (docs/scenario.md "Decay
 * functions"); the values mirror the engine's (kernels/decay.h). */
typedef enum am_decay_kind {
    AM_DECAY_KIND_NONE = 0,     /* not given: threshold_min or the default */
    AM_DECAY_KIND_STEP = 1,     /* 1 for t <= cutoff */
    AM_DECAY_KIND_ZONES,        /* w_k for u_{k-1} < t <= u_k */
    AM_DECAY_KIND_DAI_GAUSSIAN, /* Dai 2010, to cutoff */
    AM_DECAY_KIND_GAUSSIAN,     /* exp(-t^2 / (2 sigma^2)) */
    AM_DECAY_KIND_EXPONENTIAL,  /* exp(-beta t) */
    AM_DECAY_KIND_POWER,        /* max(t, t_min)^(-beta) */
    AM_DECAY_KIND_LINEAR,       /* 1 - t / cutoff */
    AM_DECAY_KIND_LOGISTIC      /* 1 / (1 + exp(pi (t - t_half) /
                                   (sqrt(3) sd))) */
} am_decay_kind;

#define AM_DECAY_SPEC_MAX_ZONES 16

typedef struct am_decay_spec {
    am_decay_kind type;
    double cutoff_min; /* 0: none (smooth functions only) */
    double sigma_min;  /* GAUSSIAN */
    double beta;       /* EXPONENTIAL (per minute), POWER */
    double t_min;      /* POWER: the minimum time (minutes, > 0) */
    double t_half_min; /* LOGISTIC */
    double sd_min;     /* LOGISTIC */
    int n_zones;       /* ZONES, 1 to AM_DECAY_SPEC_MAX_ZONES */
    double zone_upper_min[AM_DECAY_SPEC_MAX_ZONES]; /* ascending */
    double zone_weight[AM_DECAY_SPEC_MAX_ZONES];    /* in [0, 1] */
} am_decay_spec;

typedef struct am_measure_spec {
    char *name; /* output dataset name (AM_NAME_MAX rule), "2sfca_30min" */
    am_measure_type type;
    double threshold_min; /* d0 in minutes, inclusive (a step decay, or
                             Dai's d0 for KD2SFCA); 0 with a decay */
    /* issue 7, input hygiene: 1-based line of the measure's entry in the
     * scenario file; 0 when built in code */
    int line;
    /* issue 9 (after `line`, so that initialisers written for the 2SFCA
       spec keep their meaning; all zero: a step at threshold_min) */
    am_decay_spec decay; /* type NONE: from threshold_min, or the type's
                            default (E2SFCA: Luo & Qi's zones) */
    double alpha;        /* SPAV's population exponent; 0: 1 */
    int n;               /* NEAREST_N: the n-th; 0: 1 */
    /* issue 9, CAPACITY_COVERAGE: persons one unit of capacity serves
       (> 0; 0: 1) and the allocation method */
    double persons_per_capacity;
    am_allocation_kind allocation;
} am_measure_spec;

/*
 * A speed zone layer (roads.speed_zones; issue 7, polygon speed
 * multipliers): the travel time of every road arc whose midpoint lies in
 * one of its polygons is divided by the multiplier. Within a layer the
 * smallest multiplier of the polygons holding an arc applies; the layers'
 * multipliers multiply. docs/scenario.md, "speed_zones".
 */
typedef struct am_speed_zone {
    char *path;  /* any OGR polygon source */
    char *layer; /* NULL: the first layer */
    char *where; /* OGR SQL attribute filter, NULL: none */
    char *field; /* numeric field with each polygon's multiplier, or NULL */
    double multiplier; /* without field: > 0 and <= 100; < 1 slows (0.5
                          halves the speed) */
} am_speed_zone;

/* At most this many speed zone layers. */
#define AM_MAX_SPEED_ZONES 100
/* A road class and a number for it: a speed in km/h or a multiplier
 * (issue 7, profiles). */
typedef struct am_class_speed {
    char *highway; /* the OSM highway class, owned */
    double value;
    long line; /* its line in the scenario file, 0 when built in code */
} am_class_speed;
/* snap.components: which strongly connected components of the road
 * graph people and facilities may snap onto. */
typedef enum am_components_rule {
    AM_COMPONENTS_MIN_NODES = 0, /* components of at least n nodes */
    AM_COMPONENTS_LARGEST = 1,   /* the n largest components */
    AM_COMPONENTS_ALL = 2        /* every node (no filtering) */
} am_components_rule;

#define AM_COMPONENTS_MIN_NODES_DEFAULT 1000

/*
 * An admin polygon layer for equity statistics by zone (issue 9; `zones:`
 * in docs/scenario.md): every populated cell is assigned the zone whose
 * polygon holds its centre (inputs/zone_raster.h).
 */
typedef struct am_zone_source {
    char *name;     /* the layer's table name (AM_NAME_MAX rule) */
    char *path;     /* any OGR polygon source, any CRS */
    char *layer;    /* NULL: the first layer */
    char *where;    /* OGR SQL attribute filter, NULL: none */
    char *id_field; /* the zone id (read as text); NULL: the FID */
    int line;       /* its line in the scenario file, 0 when built in code */
    /* issue 9, settlement classes (docs/equity.md, "Urban and rural"): a
       raster of classes instead of polygons; path is then NULL */
    char *raster;          /* a GDAL raster, any CRS; NULL: polygons */
    int band;              /* 1-based; 0 when not given: 1 */
    int n_classes;         /* 0: each distinct value is a row */
    char **class_label;    /* [n_classes] the rows' names */
    int *class_n_values;   /* [n_classes] */
    double **class_values; /* [n_classes][class_n_values[k]], no value in
                              two classes */
} am_zone_source;

/* At most this many classes, and values per class, in zones[].classes. */
#define AM_MAX_ZONE_CLASSES 64
#define AM_MAX_ZONE_CLASS_VALUES 256

/* At most this many zone layers, percentiles and access levels. */
#define AM_MAX_ZONE_LAYERS 32
#define AM_MAX_EQUITY_PERCENTILES 32
#define AM_MAX_EQUITY_LEVELS 32
/* issue 9: surface.max_time_min when not given (minutes, the longest time
   a scenario may name): the whole surface, as far as the roads go */
#define AM_SURFACE_MAX_MIN_DEFAULT 1440.0

/* issue 10, site selection (docs/scenario.md, "Site selection"): where
 * candidates come from, the location model and its budget. */
typedef enum am_candidate_source {
    AM_CANDIDATES_LAYER = 1, /* a point layer */
    AM_CANDIDATES_GRID,      /* a regular grid over the populated area */
    AM_CANDIDATES_CELLS,     /* the populated cells above a threshold */
    AM_CANDIDATES_ROAD_NODES /* vertices of roads of chosen classes, at
                                most one per square of spacing_m */
} am_candidate_source;

typedef enum am_selection_model {
    AM_SELECTION_MCLP = 1, /* maximal covering */
    AM_SELECTION_PMEDIAN,  /* p-median */
    AM_SELECTION_SETCOVER, /* (partial) set covering */
    /* equity of the run's 2SFCA (kernels/select_equity.h) */
    AM_SELECTION_MAXMIN,        /* maximise the minimum */
    AM_SELECTION_BOTTOM_DECILE, /* maximise the bottom decile's mean */
    AM_SELECTION_VARIANCE       /* minimise the weighted variance */
} am_selection_model;

#define AM_SELECTION_IS_EQUITY(m)                                              \
    ((m) >= AM_SELECTION_MAXMIN && (m) <= AM_SELECTION_VARIANCE)
/* At most this many sizes in selection.candidates.sizes. */
#define AM_SELECTION_SIZES_MAX 32

typedef enum am_selection_exact {
    AM_EXACT_AUTO = 0, /* GLPK when the instance is small */
    AM_EXACT_OFF,
    AM_EXACT_ON
} am_selection_exact;

/* Where the candidates' rows live (docs/selection.md, "Rows on demand"):
 * auto holds them all when the memory plan fits --max-memory, else
 * computes them on demand with a cache of what the cap leaves. */
typedef enum am_selection_catchments {
    AM_CATCHMENTS_AUTO = 0,
    AM_CATCHMENTS_MEMORY,
    AM_CATCHMENTS_ON_DEMAND
} am_selection_catchments;

/* Where am_selection_spec's defaults come from (docs/scenario.md). */
#define AM_SELECTION_TARGET_SHARE_DEFAULT 0.95
#define AM_SELECTION_P_MAX 100000
#define AM_SELECTION_SPACING_MIN_M 100.0
#define AM_SELECTION_SPACING_MAX_M 100000.0

typedef struct am_selection_spec {
    char *name;       /* the output group /selection/<name> (name rule) */
    char *facilities; /* the existing set (fixed); NULL: the first set */
    am_candidate_source source;
    /* AM_CANDIDATES_LAYER: the layer, as a facility set's keys */
    char *path, *layer, *where, *id_field, *capacity_field, *cost_field;
    char *crs;
    double spacing_m;      /* GRID, ROAD_NODES: the squares' side, m */
    double min_population; /* GRID, CELLS, ROAD_NODES: persons (GRID,
                              ROAD_NODES: in the square) */
    /* AM_CANDIDATES_ROAD_NODES: the road classes (OSM highway values, or
       values of roads.class_field), owned */
    char **road_classes;
    int n_road_classes;
    /* drop candidates within this time (minutes) or distance (metres) of
       an existing facility; 0: not given */
    double exclude_within_min, exclude_within_m;
    double capacity; /* fixed capacity (default 1) unless capacity_field */
    am_selection_model model;
    double cutoff_min;   /* MCLP, set covering: T; 0: not given */
    int p;               /* sites to add; 0: not given (budget) */
    double budget;       /* total cost with cost_field; 0: not given */
    double target_share; /* set covering, (0, 1]; default 0.95 */
    double penalty_min;  /* p-median; 0: 2 x the largest scenario cutoff */
    int local_search;    /* default 1 */
    am_selection_exact exact;
    int sweep; /* 1 (default): the per-candidate sweep table */
    am_selection_catchments catchments; /* default auto */
    /* sweep: {cutoffs_min, measure} (docs/scenario.md): the sweep's
       cutoffs (NULL: the scenario's within the model's depth) and 2SFCA
       measure (NULL: the set's first within that depth; "none": none);
       the catchments are searched no deeper than the model and these */
    double *sweep_cutoffs_min;
    int n_sweep_cutoffs;
    char *sweep_measure;
    /* the scenario file's lines (0 when built in code), for the errors
       found at run time: the section, its candidates, p and budget */
    int line, line_candidates, line_p, line_budget, line_exact;
    /* the equity models: sizes the model picks from (capacity > 0,
       distinct; cost >= 0), [n_sizes], 0: the candidates' capacity; and
       the coverage floor, a share in (0, 1] of the population within
       cutoff_min (0: none) */
    int n_sizes;
    double *size_capacity, *size_cost;
    double coverage_floor;
    int line_sweep; /* the sweep key's line, 0 when not given */
} am_selection_spec;

/*
 * Issue 12, scenario ensembles (docs/scenario.md, "Variants"): one variant
 * of the scenario, one unit of work. Each field overrides one thing of the
 * baseline; the defaults (all zero) change nothing.
 */
#define AM_VARIANTS_MAX 256 /* units of one scenario, list and product */
typedef struct am_variant {
    char *name;              /* AM_NAME_MAX rule; product units: product_<i> */
    double speed_multiplier; /* every road arc's speed times it; 0: 1 */
    double population_multiplier; /* every cell's population times it
                                     (demand growth); 0: 1 */
    double *cutoffs_min;          /* [n_cutoffs] owned; NULL: the baseline's */
    int n_cutoffs;
    double threshold_min; /* every step measure's threshold; 0: unchanged */
    int selection_p;      /* the selection's p (sites to add); 0: unchanged */
    int line;             /* its line in the scenario file, 0 in code */
} am_variant;

typedef struct am_scenario {
    char *name;        /* default: the scenario file's stem */
    char *source_path; /* the scenario file, NULL if built in code */
    char *base_dir;    /* relative paths resolve against this */

    char *roads_path;
    char *roads_layer; /* NULL: "lines" for OSM, else first layer */
    char *roads_where; /* OGR SQL filter, NULL: none */
    char *profile;     /* travel profile, default "car" */

    /* issue 7, prepared-graph cache (accessim prepare): the cache file
       (resolved against base_dir); NULL: <scenario stem>.amgraph next to
       the scenario file, none for a scenario built in code */
    char *roads_cache;

    char *population_path;
    int population_band; /* 1-based, default 1 */

    double snap_max_m;     /* default 5000; 1 .. 100000 */
    double walk_speed_kmh; /* off-network leg speed, default 5; 0.5 .. 50 */

    /* issue 7, speed zones (polygon speed multipliers), applied to the
       road arcs once loaded */
    am_speed_zone *speed_zones; /* [n_speed_zones], owned */
    int n_speed_zones;
    /* issue 7, plain GIS line layers: a field mapping (at most one of
       class_field, speed_field, time_field; none: OSM tags and the
       profile) and joining within a tolerance. docs/scenario.md "roads". */
    char *roads_class_field;            /* speeds from class_speeds */
    am_field_speed *roads_class_speeds; /* [n_roads_class_speeds] */
    int n_roads_class_speeds;
    double roads_default_speed_kmh; /* unlisted classes; 0: skipped */
    char *roads_speed_field;        /* km/h per feature */
    char *roads_time_field;         /* the whole line's time */
    char *roads_time_unit;          /* "minutes" or "seconds" */
    char *roads_oneway_field;       /* NULL: both ways */
    char **roads_oneway_values[3];  /* forward, backward, both; NULL: the
                                       defaults (all three NULL) */
    int n_roads_oneway_values[3];
    double roads_join_tolerance_m; /* default 0; 0 .. 100 */
    int roads_join_all_vertices;   /* 0: ends only (join_vertices: ends) */
    /* roads: the travel profile's settings (issue 7, part "profiles and
       OSM tags"; docs/profiles.md). Checked by am_scenario_finalize. */
    int roads_ferries; /* -1 (default): the profile's own (off), 0, 1 */
    int roads_use_implausible_maxspeed; /* 0 (default): not used; 1 */
    am_class_speed *road_speeds;        /* [n_road_speeds], owned */
    int n_road_speeds;
    am_class_speed *road_speed_multipliers; /* [n_road_speed_multipliers] */
    int n_road_speed_multipliers;
    /* issue 7, custom profiles in a YAML file (docs/profiles.md, "Custom
       profiles"): roads.profile_file, resolved against base_dir; NULL:
       the built-in roads.profile (the two exclude each other: the file
       names its own base). The scenario reader, or am_scenario_finalize
       for a scenario built in code, reads the file once into
       roads_custom_profile, with its size and SHA-256 for the output's
       provenance; later changes to the file are not seen. */
    char *roads_profile_file;
    struct am_profile *roads_custom_profile; /* owned; NULL until read */
    long long roads_profile_file_size;
    char roads_profile_file_sha256[65];
    /* issue 7, strongly connected components: snap.components, the
       components of the road graph that points may snap onto (see
       docs/scenario.md). Default AM_COMPONENTS_MIN_NODES with n
       AM_COMPONENTS_MIN_NODES_DEFAULT, on_small_error 0. The largest
       component is always allowed. */
    am_components_rule components_rule;
    int32_t components_n; /* min_nodes (>= 1) or K of largest (>= 1) */
    int components_error; /* 1: fail when a populated cell or a facility
                             is nearest to a disallowed component */
    /* issue 7, plain GIS line layers, crossings: roads.join_crossings.
       1: segments of different lines that cross are joined where they
       cross, unless their levels (bridge, tunnel, layer) differ; 0
       (default): crossing lines stay apart (bridges, tunnels).
       docs/scenario.md "Joining crossing lines". */
    int roads_join_crossings;

    am_facility_source *facility_sets; /* [n_facility_sets] */
    int n_facility_sets;

    double *cutoffs_min; /* [n_cutoffs], owned; ascending; default 15, 30,
                            60; set with am_scenario_set_cutoffs */
    int n_cutoffs;

    am_measure_spec *measures; /* [n_measures]; default one 2SFCA at 30 */
    int n_measures;

    char *output_path; /* NULL: <name>.h5 next to the scenario */
    int threads;       /* 0: OpenMP default; at most AM_THREADS_MAX */

    /* issue 9, matrix input (docs/scenario.md, "Matrix scenarios"): a
       precomputed origin-destination table with demand and supply tables
       keyed by zone id, instead of roads, population and facilities
       (am_scenario_is_matrix; the two exclude each other). Run with
       am_matrix_run; the output (output_path, default <name>.csv) is a
       per-zone CSV. Field names default to from_id, to_id, travel_time
       and id; time_unit "minutes" (default) or "seconds"; demand_field
       and supply_field are required. */
    char *matrix_path;
    char *matrix_from_field, *matrix_to_field, *matrix_time_field;
    char *matrix_time_unit;
    char *demand_path, *demand_id_field, *demand_field;
    char *supply_path, *supply_id_field, *supply_field;
    /* issue 9, equity overall and by zone (docs/equity.md; `zones:` and
       `equity:` in docs/scenario.md). The statistics are computed and
       written when `equity` is 1: set by the reader when the file has
       either section, and by am_scenario_finalize when zone layers are
       given. */
    am_zone_source *zone_layers; /* [n_zone_layers], owned */
    int n_zone_layers;
    int equity;
    double *equity_pct; /* [n_equity_pct] percentiles in [0, 100];
                           default 10, 25, 50, 75, 90 */
    int n_equity_pct;
    double *equity_below; /* [n_equity_below] access levels: share of
                             people with a value < level; default none */
    int n_equity_below;
    char *equity_csv; /* NULL: no CSV; else every equity row as CSV */
    /* issue 9, the travel-time surface (docs/scenario.md, `surface:`):
       1: every set also gets surface_time_min, the nearest-facility time
       of every raster cell within the snap distance of a road, populated
       or not, up to surface_max_min minutes (0: the default,
       AM_SURFACE_MAX_MIN_DEFAULT). Default 0 (off): it snaps every cell
       of the raster. */
    int surface;
    double surface_max_min;
    int surface_line; /* its line in the scenario file, 0 in code */
    /* issue 9, facility tiers: combined indicators ([n_combined], owned)
       and the referral table's CSV (NULL: none; `referrals.csv`) */
    am_combined_spec *combined;
    int n_combined;
    char *referrals_csv;
    /* issue 10, site selection: NULL when the scenario asks for none
       (owned) */
    am_selection_spec *selection;
    /* issue 13, no surprise access: 1 when the scenario says
       `allow_network: true` (inputs may then be /vsicurl/, /vsis3/, ...
       or URLs); default 0: every such path is refused. */
    int allow_network;
    /* issue 13, `limits:` (0: the AM_LIMIT_*_DEFAULT above) */
    int64_t limit_raster_cells;
    int64_t limit_road_features;
    int64_t limit_facilities;
    /* issue 12, scenario ensembles: the variants in their run order (the
       list's, then the product's, last axis fastest; owned), and the speed
       multiplier of every road arc applied after the speed zones (0 or 1:
       none; set on a variant's copy of the scenario by the engine) */
    am_variant *variants;
    int n_variants;
    double roads_speed_scale;
} am_scenario;

/* An empty scenario with the defaults above. AM_ERR_NOMEM. */
AM_API am_status am_scenario_create(am_scenario **out);

/* Accepts NULL and partly filled scenarios. */
AM_API void am_scenario_destroy(am_scenario *s);

/*
 * Replaces the scenario's cutoffs by a copy of minutes[0 .. n-1] (n from 1
 * to AM_MAX_CUTOFFS; their values are checked by am_scenario_finalize).
 * AM_ERR_INVALID for n out of range or NULL, AM_ERR_NOMEM (the scenario is
 * then unchanged).
 */
AM_API am_status am_scenario_set_cutoffs(am_scenario *s, int n,
                                         const double *minutes);

/*
 * Checks that the scenario is complete and consistent (paths present,
 * cutoffs positive and ascending, thresholds positive, each measure's
 * parameters those its type takes, at most AM_MAX_FACILITY_SETS sets and
 * AM_MAX_MEASURES measures, unique names... ), filling defaults (a 2SFCA
 * measure, set names). AM_ERR_SCENARIO with a message naming the key.
 */
AM_API am_status am_scenario_finalize(am_scenario *s, am_error *err);

/*
 * Writes into buf (size n) path resolved against s->base_dir (absolute
 * paths and a NULL base_dir are returned unchanged). Returns buf, or NULL
 * if it does not fit.
 */
AM_API char *am_scenario_resolve_path(const am_scenario *s, const char *path,
                                      char *buf, size_t n);

/*
 * Parses path into a new scenario (owned by the caller) and finalizes it.
 * AM_ERR_IO if the file cannot be read, AM_ERR_SCENARIO for YAML syntax
 * errors, invalid content and a file beyond the size limits (1 MiB, 32
 * levels of nesting, 10,000 entries in one mapping or list, 1,000,000
 * nodes with aliases expanded: docs/scenario.md), AM_ERR_NOMEM.
 */
AM_API am_status am_scenario_read_file(const char *path, am_scenario **out,
                                       am_error *err);

/* The same, from a string in memory; `name` is used in messages. */
AM_API am_status am_scenario_read_string(const char *text, const char *name,
                                         const char *base_dir,
                                         am_scenario **out, am_error *err);

/* ---- one run ----------------------------------------------------------- */

typedef struct am_run_options {
    const char *output_path; /* NULL: the scenario's */
    int threads;             /* > 0 overrides the scenario's */
    am_progress_fn progress; /* may be NULL; message = phase label */
    void *progress_user;
    const char *command_line; /* recorded in the output; may be NULL */
    am_warning_fn warning;    /* may be NULL; one call per warning, as found */
    void *warning_user;
    /* Memory cap in bytes: the run refuses to start when its estimate is
       above it. 0: 80 % of the smaller of physical memory and the cgroup
       limit (AM_DEFAULT_MEMORY_SHARE_PCT). */
    uint64_t max_memory;
    /* Prepared-graph cache: 0 uses the scenario's cache file when it
       exists and its key matches (rebuilding and refreshing it, with a
       warning, when it is stale or damaged); 1 ignores it. */
    int no_cache;
} am_run_options;

#define AM_DEFAULT_MEMORY_SHARE_PCT 80

/*
 * Parses a size for max_memory: decimal digits with an optional fraction
 * and a required binary unit K, M, G or T in either case (x1024 each; a
 * trailing "B" or "iB" is accepted: "8G", "8GB", "8GiB", "500m", "1.5G").
 * Returns 1 and sets *out (> 0) on success, 0 on anything else (no unit,
 * zero, signs, hex, exponents, spaces, other units).
 */
AM_API int am_parse_size(const char *s, uint64_t *out);

AM_API am_run_options am_run_options_default(void);

/* Time and memory of one phase of a run. */
typedef struct am_phase_stat {
    char name[32];
    double wall_s;
    double peak_rss_mib; /* process high-water mark at the end of the phase */
} am_phase_stat;

/* One facility set's results. */
/*
 * Issue 9, diagnostics of one measure of a set (engine/diagnostics.h,
 * docs/hdf5-layout.md "Diagnostics"): the totals a measure must preserve
 * and the demand inflation it shows. NaN where a figure does not apply to
 * the measure's type.
 */
typedef struct am_measure_diagnostics {
    int identity;  /* 1: the type's identities were checked and held (a run
                      where one fails stops with AM_ERR_INTERNAL); 0: n/a */
    double sum_pa; /* sum_i P_i A_i (spav: sum_i V_i) */
    double sum_supply_demand;     /* sum S_j over facilities with demand in
                                     reach (D_j > 0) */
    double supply_kept;           /* sum_pa / sum_supply_demand */
    double relative_difference;   /* the largest of the identities' */
    double tolerance;             /* the relative tolerance they were held to */
    double sum_demand;            /* sum_j D_j (ratio methods) */
    double pop_reached;           /* population with something within reach */
    double demand_inflation;      /* sum_demand / pop_reached */
    double pop_no_reach;          /* on the network, nothing within reach */
    int32_t facilities_no_demand; /* -1: the measure has no ratio */
    /* balanced FCA (Paez, Higgins & Vivona 2019): sum_i A_i, sum_j R_j
       (D_j > 0) and sum_j R_j D_j */
    double bfca_sum_access, bfca_sum_ratio, bfca_sum_supply;
} am_measure_diagnostics;

/* Snap distances of a set of points (issue 9 diagnostics): the points on
 * the network, weighted (cells: population; facilities: 1 each); lower
 * weighted quantiles, metres; NaN when no point is on the network. */
#define AM_SNAP_FAR_M 1000.0 /* "beyond 1 km" */
typedef struct am_snap_diagnostics {
    int64_t n;     /* points on the network */
    double weight; /* their total weight */
    double median_m, p90_m, p99_m, max_m;
    int64_t beyond_n;     /* points farther than AM_SNAP_FAR_M */
    double beyond_weight; /* their weight */
} am_snap_diagnostics;

/* Near-duplicate facilities: two facilities of one set at most this far
 * apart (metres, geodesic), at different positions (docs/scenario.md). */
#define AM_NEAR_DUPLICATE_M 50.0

typedef struct am_set_summary {
    char *name;
    int32_t n_facilities; /* loaded (after the filter) */
    int32_t n_on_network; /* within the snap distance of a road */
    /* pairs of the set's facilities within AM_NEAR_DUPLICATE_M of each
       other (kept; warned about) */
    int64_t near_duplicate_pairs;
    double capacity_total;
    double *pop_within;    /* [n_cutoffs] per scenario cutoff, inclusive */
    double *access_mean;   /* [n_measures] population-weighted */
    double *access_median; /* [n_measures] population-weighted */
    /* issue 9, per measure [n_measures]: facilities with no demand within
       reach (ratio undefined; -1: the measure has no ratio), and people on
       the network with no facility within the measure's reach */
    int32_t *fac_no_demand;
    double *pop_none;
    /* snap.components: facilities whose nearest node is on a small
       component, moved to an allowed one (extra distance in metres, NaN
       when none) or left off network */
    int32_t moved;
    double moved_median_m, moved_max_m;
    int32_t stranded;
    /* issue 9, equity (NULL when the scenario asks for none), per measure
       [n_measures], overall: Gini and Palma ratio (docs/equity.md) */
    double *equity_gini;
    double *equity_palma;
    /* issue 9, diagnostics: per measure [n_measures], and the snap
       distances of the populated cells and of the set's facilities */
    am_measure_diagnostics *diagnostics;
    am_snap_diagnostics snap_cells, snap_facilities;
    /* issue 9, the travel-time surface (all 0 when the scenario asks for
       none): raster cells within the snap distance of a road, those with a
       facility within surface_max_min, and the seconds it took */
    int64_t surface_within;
    int64_t surface_reached;
    double surface_s;
    double surface_max_min; /* the scenario's; 0: no surface */
    int64_t surface_cells;  /* cells of the raster (nx * ny) */
    /* issue 9, tiers: the set's tier (0: none), its own cutoffs (those of
       pop_within: [n_cutoffs]; the run's when the set has none) and which
       measures it computes ([n_measures] of the run's, 1: computed; the
       others' entries are meaningless and printed as "-") */
    int tier;
    int n_cutoffs;
    double *cutoffs_min;
    uint8_t *measure_on;
    /* [n_measures] the decay in words as this set resolved it (a smooth
       decay without cutoff is truncated at the set's largest cutoff) */
    char **measure_decays;
    /* issue 9, capacity_coverage, per measure [n_measures] (NaN, -1 for
       the other measures; NULL when none): persons served, within reach
       but beyond capacity, not within reach, off the network (the four
       add up to the population), and the fixed point's rounds (0:
       proportional), last residual and convergence (1, 0) */
    double *cov_served, *cov_beyond, *cov_none, *cov_off;
    int32_t *cov_iterations;
    double *cov_residual;
    int32_t *cov_converged;
    double *cov_persons_per_capacity;
    const char **cov_allocation; /* static names; NULL for the others */
    /* issue 9, nearest_n, per measure [n_measures] (0 for the other
       measures): people on the network left out of access_mean and
       access_median for reaching fewer than n facilities within the
       measure's reach (both NaN when no one reaches n) */
    double *mean_left_out;
} am_set_summary;

/* issue 9, tiers: referral times from the facilities of a lower set to
 * the nearest facility of a higher one (and back), per pair of sets. */
typedef struct am_referral_summary {
    char *lower, *higher;             /* set names */
    int lower_tier, higher_tier;      /* their tiers */
    int32_t n_facilities;             /* rows: the lower set's facilities */
    int32_t n_unreachable;            /* no higher facility within the depth */
    double up_median_min, up_max_min; /* over the reachable ones; NaN: none */
} am_referral_summary;

/* issue 9, tiers: a combined indicator's all-hold population. */
typedef struct am_combined_summary {
    char *name;
    double pop_all;   /* people for whom every condition holds */
    double pop_total; /* the populated cells' population */
} am_combined_summary;

/* A zone layer for equity (issue 9): its zones and the cells in none. */
typedef struct am_zone_layer_summary {
    char *name;  /* the scenario's name for it */
    char *layer; /* the layer read */
    int32_t n_zones;
    int64_t cells_outside; /* populated cells in no zone */
    double pop_outside;    /* their population */
    /* issue 9: a settlement raster's band (1-based; its zones are
       classes), 0 for a polygon layer */
    int raster_band;
} am_zone_layer_summary;

/* What one speed zone layer (roads.speed_zones, issue 7) changed. */
typedef struct am_speed_zone_summary {
    char *path;  /* as resolved */
    char *layer; /* the layer read */
    int64_t features;
    double multiplier_min, multiplier_max; /* of its polygons */
    int64_t arcs;  /* arcs whose midpoint is in one of its polygons */
    double arc_km; /* their length (both arcs of a two-way road) */
} am_speed_zone_summary;
#define AM_SUMMARY_COMPONENTS 5 /* component sizes listed in a summary */

/* issue 10, site selection: the choice, for the summary. Objectives are
 * persons (mclp, setcover: within cutoff_min) or person-minutes
 * (pmedian). */
typedef struct am_selection_summary {
    char *name, *model, *facilities;
    int32_t candidates;    /* read or generated */
    int32_t excluded_near; /* within exclude_within_* of a facility */
    int32_t off_network;   /* beyond the snap distance */
    double cutoff_min;     /* mclp, setcover; 0 for pmedian */
    double penalty_min;    /* pmedian; 0 for the others */
    double depth_min;      /* the candidates' catchments' depth */
    int64_t pairs;         /* (cell, candidate) pairs within it */
    uint64_t plan_bytes;   /* the memory plan of the catchments */
    int on_demand;         /* 1: rows computed on demand (the plan did not
                              fit the memory cap, or catchments: on_demand) */
    uint64_t cache_bytes;  /* on demand: the row cache */
    int32_t shortlist;     /* on demand: candidates whose rows were kept */
    int local_search;      /* 1: the swap search ran */
    double base_objective, objective, bound;
    int exact_run, exact_proven; /* GLPK solved it, proven optimal */
    double exact_objective;      /* NaN when not run */
    double exact_s;              /* its wall time, NaN when not run */
    double exact_bound; /* its bound on the optimal gain (objective units;
                           the gain itself when proven), NaN: none */
    int32_t n_chosen;
    char **id;                      /* [n_chosen] in pick order */
    double *lon, *lat;              /* [n_chosen] */
    double *gain, *objective_after; /* [n_chosen] */
    int sweep;                      /* the sweep table was written */
    /* the scenario with the choice made (/scenarios/<name>/results):
       which run set it extends, and per measure of the run [n_measures]
       its population-weighted mean and (with equity) Gini (NaN: not
       computed), to set beside the set's own */
    int base_set;
    int n_measures;
    double *access_mean, *gini;
    /* the equity models: the objective is the 2SFCA measure's (min,
       bottom-decile mean or variance); the population at the minimum (NaN
       for variance), the share within cutoff_min, each chosen site's size
       (-1 without sizes) and capacity [n_chosen] */
    int equity;
    int measure; /* its index in the run's measures */
    double base_at_min, at_min, base_coverage, coverage, coverage_floor;
    int32_t *size;
    double *capacity;
} am_selection_summary;

/* Issue 12: one variant's line of the run summary. */
typedef struct am_variant_summary {
    char *name;
    int id;
    char fingerprint[65];
    double wall_s;
    int reused_model;   /* 1: the baseline's network and snapping */
    double pop_total;   /* its population (demand growth applied) */
    double *pop_within; /* [n_sets][n_cutoffs]: the baseline's cutoffs */
} am_variant_summary;

typedef struct am_run_summary {
    char *scenario_name;
    char *output_path;
    int threads;
    /* network */
    int roads_from_cache; /* 1: the network came from a prepared graph */
    int64_t road_features;
    int64_t road_routable;
    double road_km;
    int64_t road_vertices_joined;  /* within roads.join_tolerance_m */
    int road_join_crossings;       /* roads.join_crossings given true */
    int64_t road_crossings_joined; /* nodes where crossing lines joined */
    int32_t nodes;                 /* road vertices: every node of every line */
    int64_t arcs;
    /* the search graph: degree-2 chains contracted (issue 7) */
    int32_t graph_nodes;
    int64_t graph_arcs;
    /* speed zones (issue 7), [n_speed_zones], in the scenario's order */
    int n_speed_zones;
    am_speed_zone_summary *speed_zones;
    /* roads: what the travel profile made of the tags (issue 7, part
       "profiles and OSM tags"; am_road_network in inputs/roads.h) */
    char road_profile[64];
    int64_t road_oneway, road_maxspeed_used, road_maxspeed_unparsable,
        road_maxspeed_implausible, road_closed_access, road_areas,
        road_reversible, road_ferries, road_missing_nodes_kept,
        road_missing_nodes_dropped;
    /* population */
    double pop_total; /* finite positive cells, summed */
    int64_t pop_cells;
    int64_t pop_negative_cells;  /* refused */
    int64_t pop_nonfinite_cells; /* refused */
    double pop_off_network;      /* beyond the snap distance */
    /* refused: more people than the cell's area can hold */
    int64_t pop_implausible_cells;
    int64_t cells_off_network;
    /* strongly connected components and snap.components (issue 7) */
    int32_t components;         /* strongly connected components */
    int32_t components_allowed; /* those points may snap onto */
    int32_t component_sizes[AM_SUMMARY_COMPONENTS]; /* nodes of the
                                   largest, descending; 0 beyond */
    char components_rule[96];                       /* the rule, in words */
    int32_t nodes_disallowed; /* nodes on the other components */
    int64_t arcs_disallowed;  /* arcs leaving them */
    double pop_moved;         /* people whose nearest node overall is on a
                                 disallowed component, snapped onto an allowed one */
    int64_t cells_moved;
    double moved_median_m, moved_max_m; /* extra distance over the moved
                                           cells, metres; NaN when none */
    double pop_stranded; /* nearest to a disallowed component, no allowed
                            one within the snap distance: off network */
    int64_t cells_stranded;
    /* cutoffs and sets */
    int n_cutoffs;
    double *cutoffs_min; /* [n_cutoffs] */
    int n_sets;
    am_set_summary *sets;
    char **measure_names; /* [n_measures], same for every set */
    int n_measures;
    am_measure_type *measure_types; /* [n_measures] */
    char **measure_decays; /* [n_measures] the decay in words, "step, cutoff
                              30 min" */
    /* resources */
    am_phase_stat *phases; /* [n_phases], in the order run */
    int n_phases;
    double wall_s;
    double peak_rss_mib;
    uint64_t memory_estimate; /* bytes, checked against memory_cap */
    uint64_t memory_cap;      /* bytes */
    uint64_t gdal_cache;      /* bytes: the limit set on GDAL's raster block
                                 cache from memory_cap (issue 9) */
    /* issue 9, zone layers for equity, [n_zone_layers] */
    int n_zone_layers;
    am_zone_layer_summary *zone_layers;
    /* warnings, in the order found (also passed to opt->warning) */
    size_t n_warnings;
    char **warnings; /* [n_warnings] */
    /* issue 9, facility tiers: referral pairs and combined indicators */
    int n_referrals;
    am_referral_summary *referrals; /* [n_referrals] */
    int n_combined;
    am_combined_summary *combined; /* [n_combined] */
    /* issue 10, site selection: NULL when the scenario has none */
    am_selection_summary *selection;
    /* issue 12, scenario ensembles (n_variants 0: none): per unit, and
       the distribution across units of the persons within each of the
       baseline's cutoffs, [n_sets][n_cutoffs][5] (min, p10, p50, p90,
       max) */
    am_variant_summary *variants;
    int n_variants;
    double *variant_within;
    /* with selection: each site some unit chose, in order of first
       choice, and how many units chose it [n_robust] */
    int32_t n_robust;
    char **robust_id;
    int64_t *robust_count;
    /* issue 12: the MPI ranks the run was split between (1: one process) */
    int mpi_ranks;
} am_run_summary;

/*
 * Runs scenario s. On success writes the output file and, if summary is
 * not NULL, a summary owned by the caller. Errors name the input.
 */
AM_API am_status am_run(const am_scenario *s, const am_run_options *opt,
                        am_run_summary **summary, am_error *err);

/* Accepts NULL. */
AM_API void am_run_summary_destroy(am_run_summary *r);

/* The end-of-run report, as text, to f (the CLI passes stdout). */
AM_API void am_run_summary_write(const am_run_summary *r, FILE *f);

/* ---- prepared graphs ---------------------------------------------------- */

/*
 * `accessim prepare`: reads the scenario's road network once and stores it
 * (the roads stage's output, with a key of everything that affects it:
 * the roads file's SHA-256, layer, filter, profile, format and engine
 * version) in a cache file that am_run and am_model_build then load
 * instead of reading the road layer, as long as the key matches. The
 * graph stage is always rebuilt from it.
 */
typedef struct am_prepare_options {
    const char *cache_path; /* NULL: the scenario's roads.cache, else
                               <scenario stem>.amgraph next to it */
    int threads;            /* as am_run_options */
    uint64_t max_memory;
    am_progress_fn progress; /* may be NULL */
    void *progress_user;
    am_warning_fn warning; /* may be NULL */
    void *warning_user;
} am_prepare_options;

AM_API am_prepare_options am_prepare_options_default(void);

/* What am_prepare did. */
typedef struct am_prepare_result {
    char cache_path[4096];
    /* where am_run looks for this scenario's prepared graph (roads.cache,
       else <scenario stem>.amgraph next to it; "" when there is none):
       another path than cache_path when opt->cache_path chose one */
    char run_cache_path[4096];
    int32_t nodes;
    int64_t arcs;
    double build_s; /* reading the roads */
    double write_s; /* writing the cache */
    long long bytes;
} am_prepare_result;

/*
 * Builds the roads stage of s and writes the cache (atomically, replacing
 * an older one; never an input of s). result may be NULL. Errors as
 * am_model_build, and AM_ERR_IO naming the cache file (an unwritable
 * folder, a cache path that is an input, ...). AM_ERR_USAGE when no path
 * can be chosen (a scenario built in code without roads_cache).
 */
AM_API am_status am_prepare(const am_scenario *s, const am_prepare_options *opt,
                            am_prepare_result *result, am_error *err);

/* ---- the model: network and population, built once ------------------- */

typedef struct am_model am_model;

typedef struct am_model_options {
    int threads;             /* > 0 overrides the scenario's; 0: all cores */
    uint64_t max_memory;     /* bytes; 0: AM_DEFAULT_MEMORY_SHARE_PCT */
    am_progress_fn progress; /* may be NULL; message = stage label */
    void *progress_user;
    am_warning_fn warning; /* may be NULL */
    void *warning_user;
    int no_cache; /* 1: ignore the prepared-graph cache (am_run_options) */
} am_model_options;

AM_API am_model_options am_model_options_default(void);

/* The build stages, in order. */
typedef enum am_model_stage {
    AM_STAGE_NONE = 0,   /* created: inputs checked, nothing read */
    AM_STAGE_ROADS,      /* the road layer read into arcs */
    AM_STAGE_GRAPH,      /* CSR graph, its reverse, the spatial index */
    AM_STAGE_POPULATION, /* the raster's populated cells */
    AM_STAGE_SNAP        /* cells snapped: the model is complete */
} am_model_stage;

/*
 * A model for scenario s (borrowed: it must outlive the model). Checks the
 * inputs (regular files, the raster's header, a memory estimate against
 * the cap) but reads no data. *out owned by the caller (am_model_destroy).
 * Errors: AM_ERR_IO, AM_ERR_FORMAT, AM_ERR_CRS, AM_ERR_NOMEM (the estimate
 * above the cap), AM_ERR_USAGE (a thread count out of range).
 */
AM_API am_status am_model_create(const am_scenario *s,
                                 const am_model_options *opt, am_model **out,
                                 am_error *err);

/*
 * Builds the model up to `stage` (the stages before it first, if needed;
 * a stage already built is not built again), each stage timed and
 * reported through the progress callback, which may cancel
 * (AM_ERR_CANCELLED: the model stays at the last complete stage).
 * Errors name the input: AM_ERR_IO, AM_ERR_FORMAT, AM_ERR_CRS,
 * AM_ERR_EMPTY, AM_ERR_NO_OVERLAP, AM_ERR_NOMEM, AM_ERR_INVALID.
 */
AM_API am_status am_model_build_to(am_model *m, am_model_stage stage,
                                   am_error *err);

/* am_model_build_to(m, AM_STAGE_SNAP, err). */
AM_API am_status am_model_build(am_model *m, am_error *err);

/* The last stage built. */
AM_API am_model_stage am_model_reached(const am_model *m);

/* Accepts NULL. */
AM_API void am_model_destroy(am_model *m);

/* Sizes of a built model (0 before the stage that makes them). */
AM_API int32_t am_model_node_count(const am_model *m);
AM_API int32_t am_model_cell_count(const am_model *m); /* populated cells */

/*
 * Links: a point (a cell's centre, a site) is snapped onto the nearest
 * point of a routable road segment and reaches the graph through up to
 * AM_LINKS = 2 links, one per end node of the segment that the one-ways
 * allow: a cell is linked to the nodes its people can drive to, a site to
 * the nodes from which it is reached. Link k of point i is entry
 * AM_LINKS * i + k: the node (-1: no such link; the first link is present
 * whenever any is) and the time in deciseconds between the point and that
 * node (the walk to the road plus the part of the segment driven;
 * AM_RESULTS_UNREACHED when absent). A point without links is off the
 * network.
 */
#define AM_LINKS 2

/*
 * The populated cells, ascending by raster cell id (row * nx + col):
 * cell ids and population (borrowed [am_model_cell_count]), and their
 * links (borrowed [AM_LINKS * am_model_cell_count]); NULL before the stage
 * that makes them.
 */
AM_API const int64_t *am_model_cell_ids(const am_model *m);
AM_API const double *am_model_cell_population(const am_model *m);
AM_API const int32_t *am_model_cell_link_nodes(const am_model *m);
AM_API const uint32_t *am_model_cell_link_offsets_ds(const am_model *m);

/* The raster grid's size (columns, rows); 0 before the population. */
AM_API void am_model_grid_size(const am_model *m, int32_t *nx, int32_t *ny);

/* The thread count the model's computations use. */
AM_API int am_model_threads(const am_model *m);

/* ---- site sets: facilities or candidates snapped onto a model -------- */

typedef struct am_sites am_sites;

/*
 * The scenario's facility set k (0-based), read from its layer and snapped
 * onto the built model m (borrowed: it must outlive the sites).
 * AM_ERR_NO_OVERLAP when no site is within the snap distance; sites off
 * the network are kept (and reported as a warning). *out owned by caller.
 */
AM_API am_status am_sites_from_scenario(am_model *m, int k, am_sites **out,
                                        am_error *err);

/*
 * Sites given as arrays (candidates): n points in WGS 84 lon/lat with
 * their capacity (finite, >= 0; NULL: 1 each), snapped onto the built
 * model. name names the set ([A-Za-z0-9_-], as scenario set names). Inputs
 * borrowed and copied. AM_ERR_INVALID for a bad name or capacity,
 * AM_ERR_NOMEM; n = 0 is allowed (an empty set).
 */
AM_API am_status am_sites_from_points(const am_model *m, const char *name,
                                      int32_t n, const double *lon,
                                      const double *lat, const double *capacity,
                                      am_sites **out, am_error *err);

/* Accepts NULL. */
AM_API void am_sites_destroy(am_sites *f);

AM_API int32_t am_sites_count(const am_sites *f);
AM_API int32_t am_sites_on_network(const am_sites *f);
AM_API const char *am_sites_name(const am_sites *f);
AM_API const double *
am_sites_capacity(const am_sites *f); /* borrowed [count] */
/* The sites' links (see AM_LINKS; borrowed [AM_LINKS * count]). */
AM_API const int32_t *am_sites_link_nodes(const am_sites *f);
AM_API const uint32_t *am_sites_link_offsets_ds(const am_sites *f);
/* WGS 84 coordinates (borrowed [count]). */
AM_API void am_sites_lonlat(const am_sites *f, const double **lon,
                            const double **lat);

/* ---- catchments: who can reach each site within a time --------------- */

/*
 * Sparse catchments: for each source row, the graph nodes that carry
 * demand (populated cells) from which the site is reached within the
 * limit, ascending by node, with the time (whole deciseconds, the site's
 * own walking leg included, the cells' legs not). Read rows with
 * am_catchments_row_size / am_catchments_row_get.
 */
typedef struct am_catchments am_catchments;

/*
 * Catchments of the sites first .. first+count-1 of f (a range: work split
 * between processes or calls), up to max_min minutes (> 0, <= 1440),
 * computed in parallel (threads <= 0: the model's). No result is stored in
 * f. *out owned by the caller (am_catchments_free). AM_ERR_INVALID for a
 * range outside the set, AM_ERR_NOMEM, AM_ERR_CANCELLED (progress may be
 * NULL).
 */
AM_API am_status am_sites_catchments(const am_sites *f, int32_t first,
                                     int32_t count, double max_min, int threads,
                                     am_progress_fn progress,
                                     void *progress_user, am_catchments **out,
                                     am_error *err);

AM_API int32_t am_catchments_row_count(const am_catchments *c);
AM_API int64_t am_catchments_row_size(const am_catchments *c, int32_t row);

/*
 * Copies row `row` into node[] and time_ds[] (caller-allocated, at least
 * am_catchments_row_size entries). No allocation.
 */
AM_API void am_catchments_row_get(const am_catchments *c, int32_t row,
                                  int32_t *node, uint32_t *time_ds);

/* Accepts NULL. */
AM_API void am_catchments_free(am_catchments *c);

/*
 * One site's catchment into caller buffers (one candidate = one search, no
 * allocation): a per-thread workspace q (am_query_create) and buffers of
 * cap entries; am_model_catchment_capacity(m) entries always suffice.
 * *n_out = entries written. AM_ERR_INVALID (bad index, cap too small:
 * nothing written), never a silent partial row.
 */
typedef struct am_query am_query;

AM_API am_status am_query_create(const am_model *m, am_query **out,
                                 am_error *err);
AM_API void am_query_destroy(am_query *q); /* accepts NULL */
AM_API int32_t am_model_catchment_capacity(const am_model *m);
AM_API am_status am_sites_catchment_one(const am_sites *f, int32_t j,
                                        double max_min, am_query *q,
                                        int32_t cap, int32_t *node,
                                        uint32_t *time_ds, int32_t *n_out,
                                        am_error *err);

/* ---- results in memory ---------------------------------------------- */

typedef struct am_results am_results;

/*
 * What the scenario asks of site set f (borrowed: it must outlive the
 * results): nearest time and site and coverage per scenario cutoff (one
 * multi-source search), and every scenario measure (2SFCA from the
 * catchments, freed when done). threads <= 0: the model's. *out owned by
 * caller. AM_ERR_INVALID (an accessibility beyond float32's range),
 * AM_ERR_NOMEM.
 */
AM_API am_status am_results_compute(const am_model *m, const am_sites *f,
                                    int threads, am_results **out,
                                    am_error *err);

/* Accepts NULL. */
AM_API void am_results_destroy(am_results *r);

/*
 * Per populated cell (in am_model_cell_ids order, borrowed
 * [am_model_cell_count]): nearest time (AM_RESULTS_UNREACHED when no site
 * within the largest cutoff, or off network) and the nearest site's index
 * (-1 then); measure m's values (accessibility in capacity per person,
 * or the measure's unit: docs/scenario.md; nearest_n: minutes, +inf when
 * fewer than n facilities are within reach).
 */
#define AM_RESULTS_UNREACHED ((uint32_t)0x7FFFFFFFu)
AM_API const uint32_t *am_results_nearest_ds(const am_results *r);
AM_API const int32_t *am_results_nearest_site(const am_results *r);
AM_API const double *am_results_access(const am_results *r, int measure);

/* Per site (borrowed [am_sites_count]): catchment demand D_j and ratio R_j
 * of measure m. */
AM_API const double *am_results_site_demand(const am_results *r, int measure);
AM_API const double *am_results_site_ratio(const am_results *r, int measure);

/* issue 9: measure m's reach per populated cell (borrowed
 * [am_model_cell_count]): AM_RESULTS_REACH_OK (something within reach),
 * _NONE (on the network, nothing within reach: value 0), _OFF (off the
 * network: value 0); and its facilities with no demand within reach
 * (their ratio is NaN; -1: the measure has no ratio). */
#define AM_RESULTS_REACH_OK 0
#define AM_RESULTS_REACH_NONE 1
#define AM_RESULTS_REACH_OFF 2
AM_API const uint8_t *am_results_reach(const am_results *r, int measure);
AM_API int32_t am_results_sites_no_demand(const am_results *r, int measure);

/*
 * issue 9, capacity_coverage (docs/coverage.md): measure m's split of the
 * population, borrowed. Per populated cell [am_model_cell_count]: persons
 * served, within reach but beyond capacity, not within reach (all 0 off
 * the network); per site [am_sites_count]: demand allocated D_j, persons
 * served min(D_j, k S_j), excess max(0, D_j - k S_j), utilisation served /
 * (k S_j) (NaN when S_j = 0). Returns 1 and fills *out when measure m is a
 * capacity_coverage measure, else 0.
 */
typedef struct am_capacity_coverage {
    const double *served, *beyond, *none;
    const double *site_demand, *site_served, *site_excess, *site_utilisation;
    double total_served, total_beyond, total_none, total_off;
    int iterations;  /* fixed point rounds (0: proportional) */
    double residual; /* the last round's largest relative change */
    int converged;
    double persons_per_capacity;
    am_allocation_kind allocation;
} am_capacity_coverage;
AM_API int am_results_capacity_coverage(const am_results *r, int measure,
                                        am_capacity_coverage *out);

/* Population within each of the set's cutoffs (borrowed [n_cutoffs]): the
 * set's own cutoffs_min when it has them (issue 9, facility tiers), else
 * the scenario's; sites given as arrays use the scenario's. A measure the
 * set does not compute (its `measures`) has NaN values, reach
 * AM_RESULTS_REACH_OFF and no facilities without demand (-1). */
AM_API const double *am_results_coverage(const am_results *r, int *n_cutoffs);

/* Issue 9, diagnostics of measure `measure` (borrowed; NULL when out of
 * range), and the snap distances of the populated cells (facilities 0) or
 * of the set's facilities (1). */
AM_API const am_measure_diagnostics *am_results_diagnostics(const am_results *r,
                                                            int measure);
AM_API const am_snap_diagnostics *am_results_snap(const am_results *r,
                                                  int facilities);

/* ---- matrix runs (issue 9, matrix input) ------------------------------ */

/*
 * Whether s is a matrix scenario (matrix, demand and supply: a precomputed
 * origin-destination table instead of roads, population and facilities).
 */
AM_API int am_scenario_is_matrix(const am_scenario *s);

/* What one matrix run read, computed and wrote. */
#define AM_MATRIX_DECAY_TEXT 256
typedef struct am_matrix_summary {
    char *scenario_name;
    char *output_path;
    int threads;
    int64_t pairs;        /* records of the travel-time table */
    int32_t zones_demand; /* rows of the demand table (origins) */
    int32_t zones_supply; /* rows of the supply table (destinations) */
    int32_t origins_used; /* demand zones with a pair in the table */
    int32_t destinations_used;
    double max_time_min; /* the table's longest time */
    double demand_total, supply_total;
    int n_measures;
    char **measure_names;    /* [n_measures], scenario order */
    double *measure_mean;    /* [n_measures] population-weighted mean */
    int32_t *zones_none;     /* [n_measures] zones reaching nothing */
    int32_t *dest_no_demand; /* [n_measures] destinations without demand
                                in reach (ratio undefined, excluded); -1:
                                the measure has no ratio */
    char (*measure_decays)[AM_MATRIX_DECAY_TEXT]; /* [n_measures] type and
                                decay in words */
    am_phase_stat *phases; /* [n_phases]: read, compute, write */
    int n_phases;
    double wall_s;
    double peak_rss_mib;
    /* issue 9, diagnostics per measure [n_measures] (as a network run's,
       pop_reached and pop_no_reach over the demand zones), and the zones
       with demand left out of measure_mean for a value that is not
       finite (nearest_n: fewer than n destinations within reach) */
    am_measure_diagnostics *diagnostics;
    int32_t *mean_excluded;
    uint64_t memory_estimate, memory_cap; /* bytes (--max-memory) */
    /* issue 9, capacity_coverage per measure [n_measures] (NaN and -1 for
       the other measures): the demand served, within reach but beyond
       capacity and not within reach (the three add up to demand_total),
       and the allocation's rounds (0: proportional), last residual and
       convergence (1, 0); a fixed point that did not converge is also a
       warning (opt->warning) */
    double *cov_served, *cov_beyond, *cov_none;
    int32_t *cov_iterations;
    double *cov_residual;
    int32_t *cov_converged;
    am_measure_type *measure_types; /* [n_measures] (issue 9) */
} am_matrix_summary;

/*
 * Runs matrix scenario s: reads the zone tables and the travel-time table
 * (inputs/matrix.h: the rules), computes every measure and writes the
 * per-zone CSV (one row per demand zone, in the demand table's order;
 * columns: the demand id field, then one per measure in scenario order;
 * written under a temporary name and renamed when complete). opt may be
 * NULL (defaults; output_path, threads and max_memory apply, the cache
 * does not). summary may be NULL. Errors name the file and line. The
 * memory estimate (zones, then pairs) is checked against max_memory (0:
 * the default share of memory) before the pairs are read, and the reader
 * stops as soon as the table holds more pairs than the cap leaves room
 * for (AM_ERR_NOMEM). Every measure's identities are checked as in a
 * network run (AM_ERR_INTERNAL when one fails).
 */
AM_API am_status am_matrix_run(const am_scenario *s, const am_run_options *opt,
                               am_matrix_summary **summary, am_error *err);

/* Accepts NULL. */
AM_API void am_matrix_summary_destroy(am_matrix_summary *r);

/* The end-of-run report, as text, to f. */
AM_API void am_matrix_summary_write(const am_matrix_summary *r, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* ACCESSIM_H */
