/*
 * scenario_file.h: reads a scenario YAML file (libyaml) into an am_scenario.
 *
 * Every key is checked against the documented set (README, "Scenario file
 * reference"); an unknown key, a value of the wrong type or out of range
 * fails with AM_ERR_SCENARIO and the file's line and column in err.
 * Relative paths in the file resolve against the file's folder.
 */
#ifndef AM_SCENARIO_FILE_H
#define AM_SCENARIO_FILE_H

#include <accessim.h>
#include "engine/scenario.h"

/* am_scenario_read_file and am_scenario_read_string are public: accessim.h. */

#endif /* AM_SCENARIO_FILE_H */
