/*
 * fuzz_scenario: the scenario YAML reader with its validation
 * (engine/scenario_file.c), the first thing a user's file meets.
 *
 * Each input is read as a scenario, as the CLI or the library API meets
 * it (the first byte's low bit chooses): as text in memory
 * (am_scenario_read_string, base folder = the harness's empty scratch
 * folder, so relative paths resolve to files that do not exist) or as a
 * file (am_scenario_read_file: the size check, the folder of the file,
 * bytes after an embedded NUL); then as a custom travel profile file
 * (am_profile_file_read, the same YAML layer with the profile's keys). Refusals
 * are fine; a crash, a leak, a hang, UB or a refusal without a message is a
 * finding. A scenario that is accepted is also resolved
 * (am_scenario_resolve_path on its paths) and destroyed.
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

    /* Every read of a scenario checks its CRS strings with PROJ (a
       database look-up): read each input once, in memory or from a file
       as its first byte says, to keep the runs fast. */
    if (size == 0 || (data[0] & 1) == 0) {
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
    }

    fuzz_write_file("scenario.yaml", data, size, path, sizeof path);
    if (size > 0 && (data[0] & 1) == 1) {
        s = NULL;
        am_error_clear(&err);
        am_status rc = am_scenario_read_file(path, &s, &err);
        fuzz_check_error(rc, &err);
        am_scenario_destroy(s);
    }

    am_profile prof;
    long long psize = 0;
    char sha[65];
    am_error_clear(&err);
    am_status rc = am_profile_file_read(path, &prof, &psize, sha, &err);
    fuzz_check_error(rc, &err);
    unlink(path);
    return 0;
}
