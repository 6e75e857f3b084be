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

#include "common/error.h"
#include "engine/scenario.h"

/*
 * Parses path into a new scenario (owned by the caller) and finalizes it.
 * AM_ERR_IO if the file cannot be read, AM_ERR_SCENARIO for YAML syntax
 * errors and invalid content, AM_ERR_NOMEM.
 */
am_status am_scenario_read_file(const char *path, am_scenario **out,
                                am_error *err);

/* The same, from a string in memory; `name` is used in messages. */
am_status am_scenario_read_string(const char *text, const char *name,
                                  const char *base_dir, am_scenario **out,
                                  am_error *err);

#endif /* AM_SCENARIO_FILE_H */
