/*
 * test_fingerprint.c: input fingerprints through GDAL's virtual file layer.
 * A file holding "abc" must hash to the FIPS 180-4 example digest, both as
 * a plain file and gzipped behind /vsigzip/ (the content as GDAL reads it:
 * the regression that made a run over andorra.osm.gz fail at the end);
 * a missing file is AM_ERR_IO naming the path.
 *
 * The background job (am_fingerprint_start / _finish) must give the serial
 * function's digest and size on every file (empty, a few bytes, several
 * read chunks and a remainder, gzipped, the demo's PBF and raster), report
 * a missing file or a folder at finish, detect a file that changes while
 * it is read (grown, rewritten in place, replaced; behind /vsigzip/ too),
 * and leave no thread behind after finish or cancel, whatever the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inputs/fingerprint.h"

#define ABC_SHA256                                                             \
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY_SHA256                                                           \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/accessim-fp-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    /* one job first: threads a runtime starts with the process's first
     * thread (ThreadSanitizer's) are not counted as the job's */
    am_fingerprint_job *job;
    char hex[65];
    long long size;
    am_error err;
    if (am_fingerprint_start(AM_DEMO_DATA "/comoros/comoros.yaml", &job,
                             &err) != AM_OK)
        return -1;
    return am_fingerprint_finish(job, hex, &size, &err) == AM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir/name into buf. */
static const char *tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* n pseudo-random bytes (a fixed LCG: the same file on every run). */
static void write_random(const char *path, size_t n)
{
    unsigned char *b = malloc(n);
    assert_non_null(b);
    unsigned long long x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = (unsigned char)(x >> 56);
    }
    write_bytes(path, b, n);
    free(b);
}

/* Threads in this process, from /proc/self/task. */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_plain_and_gzip(void **state)
{
    (void)state;
    char path[256], vsi[300], cmd[600];
    tmp_path(path, sizeof path, "abc.txt");
    write_bytes(path, "abc", 3);

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

/* The job's digest and size are the serial function's. */
static void assert_job_matches_serial(const char *path)
{
    char want[65], got[65];
    long long want_size = -1, got_size = -1;
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_input_fingerprint(path, want, &want_size, &err), AM_OK);
    am_fingerprint_job *job = NULL;
    assert_int_equal(am_fingerprint_start(path, &job, &err), AM_OK);
    assert_non_null(job);
    assert_int_equal(am_fingerprint_finish(job, got, &got_size, &err), AM_OK);
    assert_string_equal(got, want);
    assert_int_equal(got_size, want_size);
}

static void test_job_matches_serial(void **state)
{
    (void)state;
    char path[256], vsi[300], cmd[600];
    int threads = thread_count();

    tmp_path(path, sizeof path, "empty");
    write_bytes(path, "", 0);
    assert_job_matches_serial(path);
    char hex[65];
    long long size;
    am_error err;
    am_fingerprint_job *job;
    assert_int_equal(am_fingerprint_start(path, &job, &err), AM_OK);
    assert_int_equal(am_fingerprint_finish(job, hex, &size, &err), AM_OK);
    assert_string_equal(hex, EMPTY_SHA256);
    assert_int_equal(size, 0);

    tmp_path(path, sizeof path, "abc");
    write_bytes(path, "abc", 3);
    assert_job_matches_serial(path);

    /* three read chunks and a remainder that is not a whole block */
    tmp_path(path, sizeof path, "random.bin");
    write_random(path, (3u << 20) + 123u);
    assert_job_matches_serial(path);
    snprintf(cmd, sizeof cmd, "gzip -k '%s'", path);
    assert_int_equal(system(cmd), 0);
    snprintf(vsi, sizeof vsi, "/vsigzip/%s.gz", path);
    assert_job_matches_serial(vsi);
    /* gzipped content is the plain file's */
    char plain[65], gz[65];
    long long n1, n2;
    assert_int_equal(am_input_fingerprint(path, plain, &n1, &err), AM_OK);
    assert_int_equal(am_fingerprint_start(vsi, &job, &err), AM_OK);
    assert_int_equal(am_fingerprint_finish(job, gz, &n2, &err), AM_OK);
    assert_string_equal(gz, plain);
    assert_int_equal(n1, n2);

    assert_job_matches_serial(AM_DEMO_DATA "/comoros/comores-latest.osm.pbf");
    assert_job_matches_serial(AM_DEMO_DATA "/comoros/com_ppp_2020_UNadj.tif");

    /* two jobs at once, as a library user loading in parallel might */
    am_fingerprint_job *a, *b;
    assert_int_equal(am_fingerprint_start(path, &a, &err), AM_OK);
    assert_int_equal(am_fingerprint_start(vsi, &b, &err), AM_OK);
    assert_int_equal(am_fingerprint_finish(b, gz, &n2, &err), AM_OK);
    assert_int_equal(am_fingerprint_finish(a, hex, &n1, &err), AM_OK);
    assert_string_equal(hex, plain);
    assert_string_equal(gz, plain);

    assert_int_equal(thread_count(), threads);
}

/* Errors found at start are reported by finish, naming the path. */
static void test_job_missing_and_folder(void **state)
{
    (void)state;
    int threads = thread_count();
    char hex[65] = "x";
    long long size = -1;
    am_error err;
    am_error_clear(&err);
    am_fingerprint_job *job = NULL;
    assert_int_equal(am_fingerprint_start("/nonexistent/x.pbf", &job, &err),
                     AM_OK);
    assert_non_null(job);
    assert_int_equal(err.code, AM_OK); /* nothing reported yet */
    assert_int_equal(am_fingerprint_finish(job, hex, &size, &err), AM_ERR_IO);
    assert_string_equal(err.file, "/nonexistent/x.pbf");
    assert_non_null(strstr(err.msg, "No such file"));
    assert_string_equal(hex, "");
    assert_int_equal(size, 0);

    /* a folder (a folder dataset, such as shapefiles): its regular files
     * in name order, each as its name, a NUL and its bytes, one SHA-256;
     * sub-folders are not read. Checked against the same bytes hashed as
     * one plain file. */
    char dir[200], sub[256], fa[300], fb[300], flat[256];
    tmp_path(dir, sizeof dir, "folder");
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(sub, sizeof sub, "%s/zsub", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(fa, sizeof fa, "%s/b.dbf", dir);
    write_bytes(fa, "second", 6);
    snprintf(fb, sizeof fb, "%s/a.shp", dir);
    write_bytes(fb, "first", 5);
    snprintf(fa, sizeof fa, "%s/ignored", sub);
    write_bytes(fa, "x", 1);
    tmp_path(flat, sizeof flat, "flat.bin");
    write_bytes(flat, "a.shp\0firstb.dbf\0second", 5 + 1 + 5 + 5 + 1 + 6);
    char want[65];
    long long want_size;
    assert_int_equal(am_input_fingerprint(flat, want, &want_size, &err), AM_OK);
    assert_int_equal(am_fingerprint_start(dir, &job, &err), AM_OK);
    am_fingerprint_cancel(job);
    assert_int_equal(am_fingerprint_start(dir, &job, &err), AM_OK);
    assert_int_equal(am_fingerprint_finish(job, hex, &size, &err), AM_OK);
    assert_string_equal(hex, want);
    assert_int_equal(size, 11); /* the files' bytes, not the names */
    assert_int_equal(am_input_fingerprint(dir, hex, &size, &err), AM_OK);
    assert_string_equal(hex, want);

    /* a missing gzip behind /vsigzip/ */
    assert_int_equal(
        am_fingerprint_start("/vsigzip//nonexistent/x.gz", &job, &err), AM_OK);
    assert_int_equal(am_fingerprint_finish(job, hex, &size, &err), AM_ERR_IO);
    assert_string_equal(err.file, "/vsigzip//nonexistent/x.gz");

    assert_int_equal(am_fingerprint_finish(NULL, hex, &size, &err),
                     AM_ERR_INTERNAL);
    assert_int_equal(thread_count(), threads);
}

/* The loader failed: the job is cancelled, and no thread is left. */
static void test_cancel(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "big.bin");
    write_random(path, 24u << 20);
    int threads = thread_count();
    am_error err;
    am_fingerprint_job *job;
    /* at once (the thread has barely started), and after a while */
    assert_int_equal(am_fingerprint_start(path, &job, &err), AM_OK);
    am_fingerprint_cancel(job);
    assert_int_equal(thread_count(), threads);
    assert_int_equal(am_fingerprint_start(path, &job, &err), AM_OK);
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    am_fingerprint_cancel(job);
    assert_int_equal(thread_count(), threads);
    am_fingerprint_cancel(NULL);

    /* a job cancelled does not disturb the next one */
    assert_job_matches_serial(path);
    assert_int_equal(thread_count(), threads);
}

/* Starts a job on path, lets change(path) run, expects finish to fail with
 * a message holding `want`. */
static void assert_change_detected(const char *path, const char *file_named,
                                   void (*change)(const char *),
                                   const char *want)
{
    char hex[65];
    long long size;
    am_error err;
    am_error_clear(&err);
    am_fingerprint_job *job;
    assert_int_equal(am_fingerprint_start(path, &job, &err), AM_OK);
    change(file_named);
    assert_int_equal(am_fingerprint_finish(job, hex, &size, &err), AM_ERR_IO);
    assert_string_equal(err.file, path);
    if (strstr(err.msg, want) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_string_equal(hex, "");
    assert_int_equal(size, 0);
}

static void grow(const char *path)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs("more roads", f);
    assert_int_equal(fclose(f), 0);
}

/* the same size, rewritten in place: only the modification time tells */
static void rewrite_same_size(const char *path)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "Z", 1, 10), 1);
    struct timespec t[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
    assert_int_equal(futimens(fd, t), 0);
    assert_int_equal(close(fd), 0);
}

static void replace(const char *path)
{
    char other[300];
    snprintf(other, sizeof other, "%s.new", path);
    write_random(other, 1000);
    assert_int_equal(rename(other, path), 0);
}

static void test_changed_while_read(void **state)
{
    (void)state;
    char path[256], cmd[600], gz[300], vsi[320];
    tmp_path(path, sizeof path, "changing.bin");
    int threads = thread_count();

    write_random(path, (2u << 20) + 7u);
    assert_change_detected(path, path, grow, "changed while it was read");
    write_random(path, (2u << 20) + 7u);
    assert_change_detected(path, path, grow, "bytes when reading began");
    write_random(path, (2u << 20) + 7u);
    assert_change_detected(path, path, rewrite_same_size, "modified");
    write_random(path, (2u << 20) + 7u);
    assert_change_detected(path, path, replace, "replaced");

    /* behind /vsigzip/: the .gz is what changes */
    write_random(path, 100000);
    snprintf(cmd, sizeof cmd, "gzip -kf '%s'", path);
    assert_int_equal(system(cmd), 0);
    snprintf(gz, sizeof gz, "%s.gz", path);
    snprintf(vsi, sizeof vsi, "/vsigzip/%s", gz);
    assert_change_detected(vsi, gz, rewrite_same_size, "modified");

    /* unchanged: the same file again is fine */
    assert_job_matches_serial(path);
    assert_int_equal(thread_count(), threads);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_gzip),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_job_matches_serial),
        cmocka_unit_test(test_job_missing_and_folder),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_changed_while_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
