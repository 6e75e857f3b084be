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

/*
 * Reads a custom travel profile file (issue 7; docs/profiles.md, "Custom
 * profiles") at path into *out, with the file's size and SHA-256 (64 hex
 * digits) of the bytes parsed. The file is checked like a scenario file
 * (a regular file, at most 1 MiB, one YAML document, the same size
 * limits) and every key and value like the built-ins' (speeds > 0 and <=
 * AM_MAXSPEED_MAX_KMH, ...). AM_ERR_IO (cannot open, a FIFO, a folder),
 * AM_ERR_SCENARIO naming path and the line:column at fault, AM_ERR_NOMEM.
 */
am_status am_profile_file_read(const char *path, am_profile *out,
                               long long *size, char sha256_hex[65],
                               am_error *err);

/* s->roads_profile_file, resolved against s->base_dir, read with
 * am_profile_file_read into s->roads_custom_profile (replacing any) and
 * its fingerprint into s->roads_profile_file_size / _sha256. */
am_status am_profile_file_read_for(am_scenario *s, am_error *err);

#endif /* AM_SCENARIO_FILE_H */
