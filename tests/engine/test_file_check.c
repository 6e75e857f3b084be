/*
 * test_file_check.c: common/file_check, the checks made on every path
 * before it is read or written: special files refused as inputs (a FIFO
 * would block forever), outputs that would replace a directory or device,
 * missing or unusable folders, names too long for the temporary name, the
 * same file under another name (symlink, hard link, "./"), the archive
 * behind a GDAL virtual path, and stale temporaries of dead processes
 * removed while those of live ones are kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file_check.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/am-file-check-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *at(const char *name)
{
    static char buf[4][1024];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("x", f);
    assert_int_equal(fclose(f), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A pid that was alive a moment ago and is not any more. */
static long dead_pid(void)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0)
        _exit(0);
    assert_int_equal(waitpid(p, NULL, 0), p);
    return (long)p;
}

static void test_input_kinds(void **state)
{
    (void)state;
    am_error err;
    const char *file = at("in.tif"), *fifo = at("in.fifo");
    touch(file);
    assert_int_equal(mkfifo(fifo, 0600), 0);

    assert_int_equal(am_file_check_input(file, 0, &err), AM_OK);
    assert_int_equal(am_file_check_input(dir, 1, &err), AM_OK);
    assert_int_equal(am_file_check_input(dir, 0, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "directory"));

    /* refused without opening (opening a FIFO would block) */
    assert_int_equal(am_file_check_input(fifo, 1, &err), AM_ERR_IO);
    assert_string_equal(err.file, fifo);
    assert_non_null(strstr(err.msg, "FIFO"));
    assert_int_equal(am_file_check_input("/dev/null", 1, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "character device"));

    /* a symlink to a FIFO is a FIFO */
    const char *link = at("link.tif");
    assert_int_equal(symlink(fifo, link), 0);
    assert_int_equal(am_file_check_input(link, 1, &err), AM_ERR_IO);

    assert_int_equal(am_file_check_input(at("missing.tif"), 1, &err),
                     AM_ERR_IO);
    assert_non_null(strstr(err.msg, "No such file"));
    assert_int_equal(am_file_check_input(NULL, 1, &err), AM_ERR_IO);

    /* GDAL virtual paths are GDAL's to check */
    assert_true(am_path_is_virtual("/vsizip/a.zip/b.shp"));
    assert_false(am_path_is_virtual("vsizip/a.zip"));
    assert_int_equal(am_file_check_input("/vsicurl/http://x/y.tif", 0, &err),
                     AM_OK);
}

static void test_output_checks(void **state)
{
    (void)state;
    am_error err;
    /* fine: a new file, and an existing regular file (replaced) */
    assert_int_equal(am_file_check_output(at("out.h5"), &err), AM_OK);
    touch(at("old.h5"));
    assert_int_equal(am_file_check_output(at("old.h5"), &err), AM_OK);

    /* an existing directory, with or without a trailing slash */
    assert_int_equal(am_file_check_output(dir, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "directory"));
    assert_int_equal(am_file_check_output(at(""), &err), AM_ERR_IO);

    /* devices and FIFOs are never replaced */
    assert_int_equal(am_file_check_output("/dev/null", &err), AM_ERR_IO);
    assert_string_equal(err.file, "/dev/null");
    assert_non_null(strstr(err.msg, "character device"));
    assert_int_equal(mkfifo(at("out.fifo"), 0600), 0);
    assert_int_equal(am_file_check_output(at("out.fifo"), &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "FIFO"));

    /* the folder: missing, a file, not writable */
    assert_int_equal(am_file_check_output(at("no/such/out.h5"), &err),
                     AM_ERR_IO);
    assert_non_null(strstr(err.msg, "does not exist"));
    touch(at("plain"));
    assert_int_equal(am_file_check_output(at("plain/out.h5"), &err), AM_ERR_IO);
    if (geteuid() != 0) { /* root ignores permissions */
        assert_int_equal(mkdir(at("ro"), 0500), 0);
        assert_int_equal(am_file_check_output(at("ro/out.h5"), &err),
                         AM_ERR_IO);
        assert_non_null(strstr(err.msg, "cannot create files"));
    }

    /* a name that fits NAME_MAX but whose temporary name does not */
    char name[300];
    long name_max = pathconf(dir, _PC_NAME_MAX);
    assert_true(name_max > 20 && name_max < (long)sizeof name);
    memset(name, 'a', (size_t)name_max);
    name[name_max - 3] = '.';
    name[name_max] = '\0';
    assert_int_equal(am_file_check_output(at(name), &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "temporary name"));
    name[name_max - 20] = '\0'; /* leaves room for ".NAME.tmp-PID" */
    assert_int_equal(am_file_check_output(at(name), &err), AM_OK);

    /* a path longer than PATH_MAX */
    char *long_path = malloc(PATH_MAX + 16);
    assert_non_null(long_path);
    memset(long_path, 'd', PATH_MAX + 15);
    long_path[PATH_MAX + 15] = '\0';
    assert_int_equal(am_file_check_output(long_path, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "PATH_MAX"));
    free(long_path);
}

static void test_same_file(void **state)
{
    (void)state;
    const char *in = at("pop.tif");
    touch(in);
    assert_true(am_file_same(in, in));
    assert_int_equal(symlink(in, at("sym.h5")), 0);
    assert_true(am_file_same(at("sym.h5"), in));
    assert_int_equal(link(in, at("hard.h5")), 0);
    assert_true(am_file_same(at("hard.h5"), in));
    char other[1100];
    snprintf(other, sizeof other, "%s/./pop.tif", dir);
    assert_true(am_file_same(other, in));
    assert_false(am_file_same(at("out.h5"), in));
    /* neither exists: the same path once the folder is resolved */
    snprintf(other, sizeof other, "%s/../%s/new.h5", dir,
             strrchr(dir, '/') + 1);
    assert_true(am_file_same(other, at("new.h5")));
    assert_false(am_file_same(at("new.h5"), at("new2.h5")));
    assert_false(am_file_same(NULL, in));
}

static void test_backing_file(void **state)
{
    (void)state;
    char buf[1100], want[1100];
    const char *zip = at("roads.zip");
    touch(zip);
    snprintf(want, sizeof want, "/vsizip/%s/roads/lines.shp", zip);
    assert_non_null(am_path_backing_file(want, buf, sizeof buf));
    assert_string_equal(buf, zip);
    snprintf(want, sizeof want, "/vsizip/{%s}/lines.shp", zip);
    assert_non_null(am_path_backing_file(want, buf, sizeof buf));
    assert_string_equal(buf, zip);
    snprintf(want, sizeof want, "/vsizip//vsigzip/%s", zip);
    assert_non_null(am_path_backing_file(want, buf, sizeof buf));
    assert_string_equal(buf, zip);
    snprintf(want, sizeof want, "/vsisubfile/100_200,%s", zip);
    assert_non_null(am_path_backing_file(want, buf, sizeof buf));
    assert_string_equal(buf, zip);
    assert_null(am_path_backing_file("/vsimem/x.tif", buf, sizeof buf));
    assert_null(am_path_backing_file("/vsicurl/http://h/x", buf, sizeof buf));
    assert_null(am_path_backing_file(zip, buf, sizeof buf));
}

static void test_temp_names(void **state)
{
    (void)state;
    char *t = am_temp_path("a/b/out.h5", 42);
    assert_string_equal(t, "a/b/.out.h5.tmp-42");
    free(t);
    t = am_temp_path("out.h5", 7);
    assert_string_equal(t, ".out.h5.tmp-7");
    free(t);
    assert_null(am_temp_path("a/", 7));
}

static void test_stale_temps(void **state)
{
    (void)state;
    const char *out = at("run.h5");
    char *dead = am_temp_path(out, dead_pid());
    char *self = am_temp_path(out, (long)getpid());
    char *parent = am_temp_path(out, (long)getppid()); /* alive */
    char *other = am_temp_path(at("other.h5"), dead_pid());
    const char *junk = at(".run.h5.tmp-12x");
    touch(dead);
    touch(self);
    touch(parent);
    touch(other);
    touch(junk);
    touch(out);
    assert_int_equal(am_temp_remove_stale(out), 1);
    assert_false(exists(dead));
    assert_true(exists(self));   /* this process: never */
    assert_true(exists(parent)); /* a live process: never */
    assert_true(exists(other));  /* another output's */
    assert_true(exists(junk));   /* not a temporary name */
    assert_true(exists(out));
    /* a stale name that is not a regular file is left alone */
    free(dead);
    dead = am_temp_path(out, dead_pid());
    assert_int_equal(mkdir(dead, 0700), 0);
    assert_int_equal(am_temp_remove_stale(out), 0);
    assert_true(exists(dead));
    free(dead);
    free(self);
    free(parent);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_input_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backing_file, setup, teardown),
        cmocka_unit_test(test_temp_names),
        cmocka_unit_test_setup_teardown(test_stale_temps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
