/*
 * h5_fixture: writes the test fixture file (fixture.h) for the GDAL and
 * golden h5dump tests. Usage: h5_fixture OUT.h5 geographic|gk25|utm38s|sparse
 * (sparse: fixture_write_sparse).
 */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

int main(int argc, char **argv)
{
    static const char *const kinds[3] = {"geographic", "gk25", "utm38s"};
    if (argc != 3) {
        fprintf(stderr,
                "usage: h5_fixture OUT.h5 geographic|gk25|utm38s|sparse\n");
        return 2;
    }
    if (strcmp(argv[2], "sparse") == 0) {
        am_error err;
        am_error_clear(&err);
        if (fixture_write_sparse(argv[1], &err) != AM_OK) {
            char buf[2048];
            fprintf(stderr, "h5_fixture: %s\n",
                    am_error_format(&err, buf, sizeof buf));
            return 1;
        }
        return 0;
    }
    for (int k = 0; k < 3; k++) {
        if (strcmp(argv[2], kinds[k]) != 0)
            continue;
        am_error err;
        am_error_clear(&err);
        if (fixture_write(argv[1], (fixture_crs)k, &err) != AM_OK) {
            char buf[2048];
            fprintf(stderr, "h5_fixture: %s\n",
                    am_error_format(&err, buf, sizeof buf));
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "h5_fixture: unknown CRS '%s'\n", argv[2]);
    return 2;
}
