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

#include <accessim.h> /* the scenario types and functions */
#include "common/error.h"
#include "common/units.h"
#include "inputs/road_profile.h"

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
/* A measure's parameters (issue 9): spav's alpha in (0, AM_ALPHA_MAX],
 * nearest_n's n in [1, AM_NEAREST_N_MAX]. */
#define AM_ALPHA_MAX 10.0
#define AM_NEAREST_N_MAX 1000
/* capacity_coverage's persons_per_capacity in [AM_PERSONS_PER_CAPACITY_MIN,
 * AM_PERSONS_PER_CAPACITY_MAX] (docs/coverage.md): from a billionth of a
 * person per unit (capacities in micro-units of a service serving
 * thousands) to a billion persons per unit. Beyond, k S_j / D_j spans
 * hundreds of orders of magnitude: never a planning question, only a
 * typo (kernels/allocation.c is robust to it all the same). */
#define AM_PERSONS_PER_CAPACITY_MIN 1e-9
#define AM_PERSONS_PER_CAPACITY_MAX 1e9
/* A speed zone's multiplier (issue 7): > 0 and at most this (the same
 * limit as inputs/zones.h's AM_ZONE_MULTIPLIER_MAX). */
#define AM_SPEED_ZONE_MULTIPLIER_MAX 100.0

/*
 * Names of facility sets and measures become HDF5 group, dataset and
 * column names (/results/<set>/<measure>, ratio_<measure>, ...), so they
 * follow one rule: 1 to AM_NAME_MAX bytes of [A-Za-z0-9_-], unique among
 * the sets (or the measures), and a measure is not named like a dataset
 * every set group holds (nearest_time_min, nearest_facility, facilities,
 * coverage, and the groups reach and per_person).
 */
#define AM_NAME_MAX 64

/*
 * Why `name` breaks the rule above (is_measure: the reserved dataset
 * names apply), as a static string; NULL when it is a valid name.
 */
const char *am_scenario_name_problem(const char *name, int is_measure);

/*
 * The scenario's travel profile: the built-in roads.profile with
 * roads.ferries, roads.maxspeed_implausible, roads.speeds and
 * roads.speed_multipliers applied (in that order), into *out.
 * AM_ERR_SCENARIO naming the key (and its line when read from a file).
 */
am_status am_scenario_profile(const am_scenario *s, am_profile *out,
                              am_error *err);

/*
 * Issue 12, scenario ensembles (docs/scenario.md, "Variants"): a variant's
 * speed multiplier is > 0 and <= AM_VARIANT_SPEED_MAX, its population
 * multiplier > 0 and <= AM_VARIANT_POPULATION_MAX. Its name follows the
 * set names' rule and is none of the reserved group names "distribution"
 * and "baseline"; why it does not, as a static string, or NULL.
 */
#define AM_VARIANT_SPEED_MAX 10.0
#define AM_VARIANT_POPULATION_MAX 1000.0
const char *am_variant_name_problem(const char *name);

#endif /* AM_SCENARIO_H */
