/*
 * matrix_scenario.h: the checks and defaults of a matrix scenario
 * (issue 9, "Matrix input": matrix, demand and supply instead of roads,
 * population and facilities), called by am_scenario_finalize.
 */
#ifndef AM_MATRIX_SCENARIO_H
#define AM_MATRIX_SCENARIO_H

#include <accessim.h>

/*
 * For a matrix scenario: refuses the network keys (roads, population,
 * facilities) and a missing matrix, demand or supply path or field, checks
 * time_unit and fills the defaults (from_id, to_id, travel_time, minutes,
 * id). Does nothing for a network scenario. AM_ERR_SCENARIO, AM_ERR_NOMEM.
 */
am_status am_matrix_scenario_check(am_scenario *s, am_error *err);

/* The default output of a matrix scenario: <name>.csv (name set).
 * AM_ERR_NOMEM. */
am_status am_matrix_scenario_output(am_scenario *s, am_error *err);

#endif /* AM_MATRIX_SCENARIO_H */
