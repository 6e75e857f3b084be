/*
 * fuzz_h5_results.c: our readers of HDF5 results files (outputs/h5_reader.c,
 * outputs/h5_probe.c) on mutated copies of a small real results file
 * (issue 13, "Fuzzing").
 *
 * Default: the bytes are written to a file and compared with themselves
 * through am_compare, as `accessim compare X.h5 X.h5` does: each side is
 * opened with am_h5r_open, which first reads the whole file in a forked
 * child (am_h5_probe) so that libhdf5 failing on damage becomes "the file
 * is damaged"; then the parent's own reads (grid, CRS, sets, rasters,
 * coverage tables, equity tables). A crash or sanitizer report in the
 * parent is a defect of ours (or a libhdf5 crash that the probe's child
 * did not reproduce: see docs/fuzzing.md).
 *
 * The probe contains our own defects too: a heap overflow in h5_reader.c
 * during the child's walk ends the child like a libhdf5 crash would, and
 * the fuzzer sees a clean "damaged" error. With AM_FUZZ_H5_UNPROBED set
 * the harness runs that walk itself, in process (am_h5r_open_unprobed,
 * am_h5r_read_everything): every crash then stops the fuzzer, and its
 * stack says whose it is (libhdf5's: documented; ours: fixed).
 *
 * Checked beyond "no crash, no leak": a failure carries a message.
 * Seed: tests/fuzz/corpus/fuzz_h5_results/, the results of a 12 x 12 cell
 * run on the Comoros around Moroni (docs/fuzzing.md).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/compare.h"
#include "outputs/h5_probe.h"
#include "fuzz_util.h"
#include "outputs/h5_reader.h"

static char path[600];
static int unprobed;

int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__lsan_default_suppressions(void);

/* libhdf5 (1.10) leaks a few hundred bytes of its own on the error paths
 * of a damaged file (tests/outputs/lsan_hdf5.supp): only allocations made
 * inside libhdf5 are matched, ours are still checked. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libhdf5_serial.so\nleak:libhdf5.so\n";
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    am_h5_no_exit_shutdown(); /* as the CLI's main does first */
    snprintf(path, sizeof path, "%s/results.h5", fuzz_dir());
    unprobed = getenv("AM_FUZZ_H5_UNPROBED") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    const int ok = fwrite(data, 1, size, f) == size;
    if (fclose(f) != 0 || !ok)
        return 0;
    am_error err;
    am_error_clear(&err);
    am_status rc;
    if (unprobed) {
        am_h5r *r = NULL;
        rc = am_h5r_open_unprobed(path, &r, &err);
        if (rc == AM_OK)
            rc = am_h5r_read_everything(r, &err);
        am_h5r_close(r);
    } else {
        am_compare_options o;
        memset(&o, 0, sizeof o);
        o.a_path = o.b_path = path;
        o.threads = 1;
        am_compare_result *res = NULL;
        rc = am_compare(&o, &res, &err);
        am_compare_result_destroy(res);
    }
    fuzz_check_error(rc, &err);
    if (getenv("AM_FUZZ_VERBOSE") != NULL) {
        char line[1024];
        fprintf(stderr, "%s\n",
                rc == AM_OK ? "read"
                            : am_error_format(&err, line, sizeof line));
    }
    unlink(path);
    return 0;
}
