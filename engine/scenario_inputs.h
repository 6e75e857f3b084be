/*
 * scenario_inputs.h: a scenario's facility set as the options of the
 * facilities loader.
 *
 * The loaders in inputs/ know nothing of the scenario (engine/ is above
 * them): each takes its own options struct. This is where the engine turns
 * the scenario's plain data into those options, so the direction of the
 * modules stays one way (engine -> inputs, never back).
 */
#ifndef AM_SCENARIO_INPUTS_H
#define AM_SCENARIO_INPUTS_H

#include "common/error.h"
#include "common/warning.h"
#include "engine/scenario.h"
#include "inputs/facilities.h"

/*
 * Loads facility set src from `path` (src->path resolved by the caller;
 * NULL: src->path as it is), passing warnings (may be NULL) to the loader.
 * *out is owned by the caller. The return codes are am_facilities_load's,
 * and AM_ERR_NOMEM. Allocates a copy of the class table for the call.
 */
am_status am_scenario_load_facilities(const am_facility_source *src,
                                      const char *path, am_warnings *warnings,
                                      am_facility_set **out, am_error *err);

/* am_scenario_load_facilities reading src->capacity_field as another value
 * of the same features (a candidate's cost): messages name it value_name
 * ("cost field 'c' is not a decimal number"); no warnings. */
am_status am_scenario_load_values(const am_facility_source *src,
                                  const char *path, const char *value_name,
                                  am_facility_set **out, am_error *err);

/*
 * am_facilities_probe for facility set src read from `path` (as above):
 * the set's layer, fields, `crs` and filter checked at the cost of one
 * feature, so that a mistake there is found before the heavy phases.
 */
am_status am_scenario_probe_facilities(const am_facility_source *src,
                                       const char *path, am_error *err);

#endif /* AM_SCENARIO_INPUTS_H */
