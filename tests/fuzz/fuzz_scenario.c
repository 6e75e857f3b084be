/*
 * fuzz_scenario: the scenario YAML reader with its validation
 * (engine/scenario_file.c), the first thing a user's file meets.
 *
 * Each input is read three ways, as the CLI and the library API meet it:
 * as text in memory (am_scenario_read_string, base folder = the harness's
 * empty scratch folder, so relative paths resolve to files that do not
 * exist), as a file (am_scenario_read_file: the size check, the folder of
 * the file, bytes after an embedded NUL), and as a custom travel profile
 * file (am_profile_file_read, the same YAML layer with the profile's
 * keys). Refusals are fine; a crash, a leak, a hang, UB or a refusal
 * without a message is a finding. A scenario that is accepted is also
 * resolved (am_scenario_resolve_path on its paths) and destroyed.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "engine/scenario_file.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    am_error err;
    am_scenario *s = NULL;
    char path[600];

    char *text = fuzz_strndup(data, size);
    am_error_clear(&err);
    am_status rc =
        am_scenario_read_string(text, "fuzz.yaml", fuzz_dir(), &s, &err);
    fuzz_check_error(rc, &err);
    if (rc == AM_OK) {
        char buf[4096];
        (void)am_scenario_resolve_path(s, "roads.gpkg", buf, sizeof buf);
    }
    am_scenario_destroy(s);
    am_free(text);

    fuzz_write_file("scenario.yaml", data, size, path, sizeof path);
    s = NULL;
    am_error_clear(&err);
    rc = am_scenario_read_file(path, &s, &err);
    fuzz_check_error(rc, &err);
    am_scenario_destroy(s);

    am_profile prof;
    long long psize = 0;
    char sha[65];
    am_error_clear(&err);
    rc = am_profile_file_read(path, &prof, &psize, sha, &err);
    fuzz_check_error(rc, &err);
    unlink(path);
    return 0;
}
