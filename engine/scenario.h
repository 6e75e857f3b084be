/*
 * scenario.h: the scenario model, what one `accessim run` computes.
 *
 * Plain data, filled by the scenario-file parser (engine/scenario_file.h) or
 * by a program through the API. One scenario has one road network, one
 * population raster, one or more facility sets (existing hospitals,
 * candidate sites, ...) and one or more measures; each (facility set,
 * measure) pair gets its own results group in the output, so adding sets,
 * measures or scenario variants never changes the layout of what is there.
 *
 * All strings are owned by the scenario (heap copies) and freed by
 * am_scenario_destroy. Paths are stored as given, resolved against
 * base_dir by am_scenario_resolve_path.
 */
#ifndef AM_SCENARIO_H
#define AM_SCENARIO_H

#include <stddef.h>

#include "common/error.h"
#include "common/units.h"

#define AM_MAX_CUTOFFS 32

/*
 * Ranges of the numeric keys (docs/scenario.md), checked by the YAML
 * reader (with the line) and by am_scenario_finalize (for scenarios built
 * in code). Values outside them are mistakes, not settings:
 *  - cutoffs and thresholds: > 0 and <= 24 h; times are whole tenths of a
 *    second, so each must be at least 0.1 s and two cutoffs must differ
 *    once rounded to 0.1 s;
 *  - snap distance: 1 m to 100 km;
 *  - walking speed (the off-network leg): 0.5 to 50 km/h;
 *  - capacities: 0 to AM_CAPACITY_MAX (1e15, common/units.h; the
 *    facilities loader applies it to capacities read from a layer);
 *  - threads: 0 (all cores) to AM_THREADS_MAX (common/numparse.h).
 */
#define AM_MAX_CUTOFF_MIN 1440.0
#define AM_SNAP_MAX_M_MIN 1.0
#define AM_SNAP_MAX_M_MAX 100000.0
#define AM_WALK_SPEED_KMH_MIN 0.5
#define AM_WALK_SPEED_KMH_MAX 50.0

/* Capacity for facilities whose class field has this value. */
typedef struct am_class_capacity {
    char *klass;
    double capacity;
} am_class_capacity;

/*
 * Names of facility sets and measures become HDF5 group, dataset and
 * column names (/results/<set>/<measure>, ratio_<measure>, ...), so they
 * follow one rule: 1 to AM_NAME_MAX bytes of [A-Za-z0-9_-], unique among
 * the sets (or the measures), and a measure is not named like a dataset
 * every set group holds (nearest_time_min, nearest_facility, facilities,
 * coverage).
 */
#define AM_NAME_MAX 64

/*
 * Why `name` breaks the rule above (is_measure: the reserved dataset
 * names apply), as a static string; NULL when it is a valid name.
 */
const char *am_scenario_name_problem(const char *name, int is_measure);

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
} am_facility_source;

typedef enum am_measure_type { AM_MEASURE_TYPE_2SFCA = 1 } am_measure_type;

typedef struct am_measure_spec {
    char *name; /* output dataset name (AM_NAME_MAX rule), "2sfca_30min" */
    am_measure_type type;
    double threshold_min; /* d0 in minutes, inclusive */
} am_measure_spec;

typedef struct am_scenario {
    char *name;        /* default: the scenario file's stem */
    char *source_path; /* the scenario file, NULL if built in code */
    char *base_dir;    /* relative paths resolve against this */

    char *roads_path;
    char *roads_layer; /* NULL: "lines" for OSM, else first layer */
    char *roads_where; /* OGR SQL filter, NULL: none */
    char *profile;     /* travel profile, default "car" */

    char *population_path;
    int population_band; /* 1-based, default 1 */

    double snap_max_m;     /* default 5000; 1 .. 100000 */
    double walk_speed_kmh; /* off-network leg speed, default 5; 0.5 .. 50 */

    am_facility_source *facility_sets; /* [n_facility_sets] */
    int n_facility_sets;

    double cutoffs_min[AM_MAX_CUTOFFS]; /* ascending; default 15, 30, 60 */
    int n_cutoffs;

    am_measure_spec *measures; /* [n_measures]; default one 2SFCA at 30 */
    int n_measures;

    char *output_path; /* NULL: <name>.h5 next to the scenario */
    int threads;       /* 0: OpenMP default; at most AM_THREADS_MAX */
} am_scenario;

/* An empty scenario with the defaults above. AM_ERR_NOMEM. */
am_status am_scenario_create(am_scenario **out);

/* Accepts NULL and partly filled scenarios. */
void am_scenario_destroy(am_scenario *s);

/*
 * Checks that the scenario is complete and consistent (paths present,
 * cutoffs positive and ascending, thresholds positive and no larger than
 * the largest cutoff... ), filling defaults (a 2SFCA measure, set names).
 * AM_ERR_SCENARIO with a message naming the key.
 */
am_status am_scenario_finalize(am_scenario *s, am_error *err);

/*
 * Writes into buf (size n) path resolved against s->base_dir (absolute
 * paths and a NULL base_dir are returned unchanged). Returns buf, or NULL
 * if it does not fit.
 */
char *am_scenario_resolve_path(const am_scenario *s, const char *path,
                               char *buf, size_t n);

#endif /* AM_SCENARIO_H */
