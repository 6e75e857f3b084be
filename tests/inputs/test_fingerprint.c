/*
 * test_fingerprint.c: input fingerprints through GDAL's virtual file layer.
 * A file holding "abc" must hash to the FIPS 180-4 example digest, both as
 * a plain file and gzipped behind /vsigzip/ (the content as GDAL reads it:
 * the regression that made a run over andorra.osm.gz fail at the end);
 * a missing file is AM_ERR_IO naming the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inputs/fingerprint.h"

#define ABC_SHA256                                                             \
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_plain_and_gzip(void **state)
{
    (void)state;
    char dir[] = "/tmp/accessim-fp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], vsi[300], cmd[600];
    snprintf(path, sizeof path, "%s/abc.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("abc", f);
    fclose(f);

    char hex[65];
    long long size = -1;
    am_error err;
    assert_int_equal(am_input_fingerprint(path, hex, &size, &err), AM_OK);
    assert_string_equal(hex, ABC_SHA256);
    assert_int_equal(size, 3);

    snprintf(cmd, sizeof cmd, "gzip -k '%s'", path);
    assert_int_equal(system(cmd), 0);
    snprintf(vsi, sizeof vsi, "/vsigzip/%s.gz", path);
    assert_int_equal(am_input_fingerprint(vsi, hex, &size, &err), AM_OK);
    assert_string_equal(hex, ABC_SHA256);
    assert_int_equal(size, 3);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_missing(void **state)
{
    (void)state;
    char hex[65];
    long long size = -1;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(
        am_input_fingerprint("/nonexistent/x.pbf", hex, &size, &err),
        AM_ERR_IO);
    assert_string_equal(err.file, "/nonexistent/x.pbf");
    assert_int_equal(size, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_gzip),
        cmocka_unit_test(test_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
