/*
 * test_h5_writer.c: the HDF5 results writer (outputs/h5_writer.h).
 *
 * Files are written into a fresh directory under the build tree and read
 * back with the plain HDF5 API: atomic create/commit/abort, the grid (cell
 * centres, dimension scales, CF grid mapping), rasters (values, _FillValue,
 * chunking, filters), tables (columns incl. UTF-8 strings), attributes and
 * misuse. The GDAL and h5dump views of the same fixture are checked by the
 * ctest scripts next to this file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "fixture.h"
#include "fixture_wkt.h"
#include "outputs/h5_errors.h"
#include "outputs/h5_writer.h"

/* ---- helpers ----------------------------------------------------------- */

typedef struct tdir {
    char path[1024];
} tdir;

static int setup_dir(void **state)
{
    tdir *d = calloc(1, sizeof *d);
    if (d == NULL)
        return -1;
    snprintf(d->path, sizeof d->path, "%s/test_h5_writer.XXXXXX",
             AM_BINARY_DIR);
    if (mkdtemp(d->path) == NULL) {
        free(d);
        return -1;
    }
    *state = d;
    return 0;
}

/* Removes the directory; fails if anything (a stray temp file) is left. */
static int teardown_dir(void **state)
{
    tdir *d = *state;
    int rc = rmdir(d->path);
    if (rc != 0)
        fprintf(stderr, "directory not empty: %s\n", d->path);
    free(d);
    return rc == 0 ? 0 : -1;
}

static void join(char *out, size_t n, const tdir *d, const char *name)
{
    snprintf(out, n, "%s/%s", d->path, name);
}

static void temp_name(char *out, size_t n, const tdir *d, const char *name)
{
    snprintf(out, n, "%s/.%s.tmp-%ld", d->path, name, (long)getpid());
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Reads a string attribute (fixed-length or variable-length) into buf. */
static void read_str_attr(hid_t file, const char *obj, const char *name,
                          char *buf, size_t n)
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    hid_t t = H5Aget_type(a);
    assert_int_equal(H5Tget_class(t), H5T_STRING);
    if (H5Tis_variable_str(t) > 0) {
        char *s = NULL;
        assert_true(H5Aread(a, t, &s) >= 0);
        snprintf(buf, n, "%s", s);
        H5free_memory(s);
    } else {
        size_t sz = H5Tget_size(t);
        char *tmp = calloc(sz + 1, 1);
        assert_non_null(tmp);
        assert_true(H5Aread(a, t, tmp) >= 0);
        snprintf(buf, n, "%s", tmp);
        free(tmp);
    }
    H5Tclose(t);
    H5Aclose(a);
}

static double read_f64_attr(hid_t file, const char *obj, const char *name)
{
    double v = NAN;
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    return v;
}

static int has_attr(hid_t file, const char *obj, const char *name)
{
    return H5Aexists_by_name(file, obj, name, H5P_DEFAULT) > 0;
}

static hid_t open_ro(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static void read_f64(hid_t f, const char *path, double *out)
{
    hid_t ds = H5Dopen2(f, path, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                        out) >= 0);
    H5Dclose(ds);
}

/* A grid + one raster file, not committed. */
static am_h5 *start_file(const char *path, am_error *err)
{
    am_h5 *h = NULL;
    am_grid g;
    const char *wkt;
    fixture_grid(FIXTURE_GEOGRAPHIC, &g, &wkt);
    assert_int_equal(am_h5_create(path, &h, err), AM_OK);
    assert_int_equal(am_h5_set_grid(h, &g, wkt, err), AM_OK);
    return h;
}

/* ---- atomicity ---------------------------------------------------------- */

static void test_create_missing_dir(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "no/such/dir/out.h5");
    am_error err;
    am_h5 *h = (am_h5 *)&err; /* must be reset to NULL */
    assert_int_equal(am_h5_create(path, &h, &err), AM_ERR_IO);
    assert_null(h);
    assert_int_equal(err.code, AM_ERR_IO);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "No such file or directory"));
}

static void test_atomic_commit(void **state)
{
    tdir *d = *state;
    char path[1200], tmp[1200];
    join(path, sizeof path, d, "out.h5");
    temp_name(tmp, sizeof tmp, d, "out.h5");
    am_error err;
    am_h5 *h = start_file(path, &err);
    assert_false(exists(path));
    assert_true(exists(tmp));
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    assert_true(exists(path));
    assert_false(exists(tmp));

    /* a second run replaces the file atomically */
    h = start_file(path, &err);
    assert_true(exists(path));
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    hid_t f = open_ro(path);
    H5Fclose(f);
    unlink(path);
}

static void test_abort_removes_temp(void **state)
{
    tdir *d = *state;
    char path[1200], tmp[1200];
    join(path, sizeof path, d, "aborted.h5");
    temp_name(tmp, sizeof tmp, d, "aborted.h5");
    am_error err;
    am_h5 *h = start_file(path, &err);
    assert_true(exists(tmp));
    am_h5_abort(h);
    assert_false(exists(tmp));
    assert_false(exists(path));
    am_h5_abort(NULL);
}

/* Never rename onto a directory, FIFO or device: refused at create. */
static void test_create_refuses_special(void **state)
{
    tdir *d = *state;
    char path[1200], tmp[1200];
    am_error err;
    am_h5 *h = NULL;
    join(path, sizeof path, d, "sub");
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(am_h5_create(path, &h, &err), AM_ERR_IO);
    assert_null(h);
    assert_non_null(strstr(err.msg, "directory"));
    rmdir(path);
    join(path, sizeof path, d, "pipe.h5");
    temp_name(tmp, sizeof tmp, d, "pipe.h5");
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(am_h5_create(path, &h, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "FIFO"));
    assert_false(exists(tmp));
    unlink(path);
    struct stat before, after;
    assert_int_equal(stat("/dev/null", &before), 0);
    assert_int_equal(am_h5_create("/dev/null", &h, &err), AM_ERR_IO);
    assert_int_equal(stat("/dev/null", &after), 0);
    assert_true(S_ISCHR(after.st_mode) && after.st_ino == before.st_ino);
}

/* A child that holds flock(LOCK_EX) on path (created) until killed: a
 * live writer, as another run (in any PID namespace) holds its temporary.
 * Returns its pid once the lock is held. */
static pid_t lock_holder(const char *path)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        int fd = open(path, O_WRONLY | O_CREAT, 0600);
        if (fd < 0 || flock(fd, LOCK_EX) != 0)
            _exit(1);
        (void)write(ready[1], "x", 1);
        for (;;)
            pause();
    }
    char c;
    close(ready[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    return p;
}

/* A temporary of a killed run (no lock held) is removed by the next
 * create, whatever pid its name holds (here a live one: the parent's, as
 * a pid from another PID namespace may be); one whose writer's lock is
 * held is kept, whatever pid its name holds (here a dead one), and so is
 * this writer's own while it writes. */
static void test_create_removes_stale_temp(void **state)
{
    tdir *d = *state;
    char path[1200], stale[1200], live[1200], own[1200];
    join(path, sizeof path, d, "stale.h5");
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    snprintf(stale, sizeof stale, "%s/.stale.h5.tmp-%ld", d->path,
             (long)getppid());
    snprintf(live, sizeof live, "%s/.stale.h5.tmp-%ld", d->path, (long)child);
    temp_name(own, sizeof own, d, "stale.h5");
    FILE *f = fopen(stale, "w");
    assert_non_null(f);
    fclose(f);
    pid_t holder = lock_holder(live);
    am_error err;
    am_h5 *h = start_file(path, &err);
    assert_false(exists(stale));
    assert_true(exists(live));
    /* a second writer of the same output in this process: the first's
       temporary is live, never removed */
    am_h5 *h2 = NULL;
    assert_int_equal(am_h5_create(path, &h2, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "in use by another run"));
    assert_true(exists(own));
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    assert_true(exists(live));
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    /* its writer gone, the next create removes it */
    h = start_file(path, &err);
    assert_false(exists(live));
    am_h5_abort(h);
    unlink(path);
}

/*
 * The output folder swapped for a link to the inputs' folder while the
 * result is written: commit refuses (the folder changed), and when the
 * link was there before create, the guard refuses the input by identity.
 * The input is intact and no temporary is left.
 */
static void test_commit_guard_and_folder(void **state)
{
    tdir *d = *state;
    char in[1200], sub[1200], old[1200], path[1200];
    join(in, sizeof in, d, "pop.tif");
    join(sub, sizeof sub, d, "sub");
    join(old, sizeof old, d, "sub.old");
    join(path, sizeof path, d, "sub/pop.tif");
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("input", f);
    fclose(f);
    am_error err;
    am_file_guard g;
    am_file_guard_init(&g);
    assert_int_equal(am_file_guard_add(&g, in, "the population input",
                                       AM_GUARD_SIDECARS, &err),
                     AM_OK);

    /* swapped after create */
    assert_int_equal(mkdir(sub, 0700), 0);
    am_h5 *h = start_file(path, &err);
    am_h5_set_protected(h, &g);
    assert_int_equal(rename(sub, old), 0);
    assert_int_equal(symlink(".", sub), 0);
    assert_int_equal(am_h5_commit(h, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "was replaced during the run"));
    struct stat st;
    assert_int_equal(stat(in, &st), 0);
    assert_int_equal(st.st_size, 5);
    assert_int_equal(rmdir(old), 0); /* empty: the temporary is gone */

    /* swapped before create: the final name is the input */
    h = start_file(path, &err);
    am_h5_set_protected(h, &g);
    assert_int_equal(am_h5_commit(h, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "the output is the population input"));
    assert_int_equal(stat(in, &st), 0);
    assert_int_equal(st.st_size, 5);

    /* a side-car name GDAL would read next time */
    join(path, sizeof path, d, "sub/pop.tif.aux.xml");
    h = start_file(path, &err);
    am_h5_set_protected(h, &g);
    assert_int_equal(am_h5_commit(h, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "a file GDAL reads with"));
    assert_false(exists(path));
    unlink(sub);
    unlink(in);
    am_file_guard_free(&g);
}

/* The result keeps the permission bits of the output it replaces. */
static void test_commit_keeps_mode(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "ro.h5");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(path, 0444), 0);
    am_error err;
    am_h5 *h = start_file(path, &err);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0444);
    assert_true(st.st_size > 0);
    assert_int_equal(chmod(path, 0640), 0);
    h = start_file(path, &err);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    unlink(path);
}

/* ---- failures: a full disk, cancellation ------------------------------ */

/* A w x h raster of values that deflate cannot shrink much. */
static float *noise_raster(int32_t w, int32_t h)
{
    size_t n = (size_t)w * (size_t)h;
    float *v = malloc(n * sizeof *v);
    assert_non_null(v);
    uint32_t x = 12345u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        v[i] = (float)(x >> 8);
    }
    return v;
}

static void write_small_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int file_holds(const char *path, const char *text)
{
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strcmp(buf, text) == 0;
}

/*
 * Issue 5 #6: a disk that fills while the file is written. One error,
 * on one line, naming the output; the temporary removed, an older file
 * kept; HDF5 left in a state where the process exits cleanly (this test
 * program exiting is part of the test: it used to crash at exit).
 */
static void test_disk_full(void **state)
{
    tdir *d = *state;
    char dir[1200], path[1300], tmp[1300];
    join(dir, sizeof dir, d, "full");
    assert_int_equal(mkdir(dir, 0755), 0);
    if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
        rmdir(dir);
        skip(); /* not root, or no tmpfs */
    }
    snprintf(path, sizeof path, "%s/out.h5", dir);
    snprintf(tmp, sizeof tmp, "%s/.out.h5.tmp-%ld", dir, (long)getpid());
    write_small_file(path, "older");

    am_error err;
    am_h5 *h = NULL;
    const char *wkt;
    am_grid g;
    fixture_grid(FIXTURE_UTM38S, &g, &wkt);
    g.nx = 300;
    g.ny = 300; /* 360 kB of noise: far more than 64 kB */
    float *v = noise_raster(g.nx, g.ny);
    assert_int_equal(am_h5_create(path, &h, &err), AM_OK);
    am_status rc = am_h5_set_grid(h, &g, wkt, &err);
    if (rc == AM_OK)
        rc = am_h5_write_raster_f32(h, "/noise", v, -1.0f, NULL, &err);
    if (rc == AM_OK)
        rc = am_h5_write_raster_f32(h, "/noise2", v, -1.0f, NULL, &err);
    if (rc == AM_OK)
        rc = am_h5_commit(h, &err);
    else
        am_h5_abort(h);
    free(v);
    assert_int_equal(rc, AM_ERR_IO);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "No space left on device"));
    assert_null(strchr(err.msg, '\n'));
    assert_false(exists(tmp));
    assert_true(file_holds(path, "older"));
    unlink(path);
    assert_int_equal(umount(dir), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* A progress hook that says stop at its stop_at-th call; counts calls. */
typedef struct stopper {
    int calls;
    int stop_at;
    char last[1300];
} stopper;

static int stop_cb(double fraction, const char *message, void *user)
{
    stopper *s = user;
    assert_true(fraction >= 0.0 && fraction <= 1.0);
    snprintf(s->last, sizeof s->last, "%s", message ? message : "");
    return ++s->calls < s->stop_at;
}

/* Issue 5 #9: the hook is called per strip of rows, and stops the write. */
static void test_cancel_while_writing(void **state)
{
    tdir *d = *state;
    char path[1200], tmp[1200];
    join(path, sizeof path, d, "cancelled.h5");
    temp_name(tmp, sizeof tmp, d, "cancelled.h5");
    write_small_file(path, "older");
    am_error err;
    am_h5 *h = NULL;
    const char *wkt;
    am_grid g;
    fixture_grid(FIXTURE_UTM38S, &g, &wkt);
    g.nx = 10;
    g.ny = 600; /* strips of AM_H5_CHUNK_EDGE rows */
    float *v = noise_raster(g.nx, g.ny);
    stopper st = {0, 2, ""};
    assert_int_equal(am_h5_create(path, &h, &err), AM_OK);
    am_h5_set_progress(h, stop_cb, &st);
    assert_int_equal(am_h5_set_grid(h, &g, wkt, &err), AM_OK);
    assert_int_equal(am_h5_write_raster_f32(h, "/r", v, -1.0f, NULL, &err),
                     AM_ERR_CANCELLED);
    assert_int_equal(st.calls, 2); /* after the first and second strips */
    assert_string_equal(st.last, "/r");
    am_h5_abort(h);
    free(v);
    assert_false(exists(tmp));
    assert_true(file_holds(path, "older"));
    unlink(path);
}

/* ... and the last moment: just before the rename, in commit. */
static void test_cancel_before_rename(void **state)
{
    tdir *d = *state;
    char path[1200], tmp[1200];
    join(path, sizeof path, d, "late.h5");
    temp_name(tmp, sizeof tmp, d, "late.h5");
    write_small_file(path, "older");
    am_error err;
    am_h5 *h = start_file(path, &err);
    stopper st = {0, 1, ""};
    am_h5_set_progress(h, stop_cb, &st);
    assert_int_equal(am_h5_commit(h, &err), AM_ERR_CANCELLED);
    assert_int_equal(st.calls, 1);
    assert_string_equal(st.last, path);
    assert_false(exists(tmp));
    assert_true(file_holds(path, "older"));

    /* a hook that says go on: committed */
    h = start_file(path, &err);
    st.calls = 0;
    st.stop_at = 1000;
    am_h5_set_progress(h, stop_cb, &st);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    assert_int_equal(st.calls, 1);
    assert_false(file_holds(path, "older"));
    H5Fclose(open_ro(path));
    unlink(path);
}

/* ---- the fixture read back ---------------------------------------------- */

static void test_grid_and_rasters(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "fixture.h5");
    am_error err;
    assert_int_equal(fixture_write(path, FIXTURE_GEOGRAPHIC, &err), AM_OK);
    hid_t f = open_ro(path);
    char s[4096];

    /* cell centres; y descending (row 0 = north) */
    double x[FIXTURE_NX], y[FIXTURE_NY];
    read_f64(f, "/x", x);
    read_f64(f, "/y", y);
    for (int i = 0; i < FIXTURE_NX; i++)
        assert_float_equal(x[i], 24.5 + (i + 0.5) * 0.25, 1e-12);
    for (int j = 0; j < FIXTURE_NY; j++)
        assert_float_equal(y[j], 61.0 - (j + 0.5) * 0.5, 1e-12);
    read_str_attr(f, "/x", "CLASS", s, sizeof s);
    assert_string_equal(s, "DIMENSION_SCALE");
    read_str_attr(f, "/y", "NAME", s, sizeof s);
    assert_string_equal(s, "y");
    read_str_attr(f, "/x", "standard_name", s, sizeof s);
    assert_string_equal(s, "longitude");
    read_str_attr(f, "/y", "units", s, sizeof s);
    assert_string_equal(s, "degrees_north");
    assert_true(has_attr(f, "/x", "REFERENCE_LIST"));

    /* grid mapping */
    read_str_attr(f, "/crs", "GeoTransform", s, sizeof s);
    assert_string_equal(s, "24.5 0.25 0 61 0 -0.5");
    read_str_attr(f, "/crs", "crs_wkt", s, sizeof s);
    assert_string_equal(s, FIXTURE_WKT_4326);
    read_str_attr(f, "/crs", "spatial_ref", s, sizeof s);
    assert_string_equal(s, FIXTURE_WKT_4326);
    read_str_attr(f, "/crs", "grid_mapping_name", s, sizeof s);
    assert_string_equal(s, "latitude_longitude");
    read_str_attr(f, "/", "Conventions", s, sizeof s);
    assert_string_equal(s, "CF-1.8");

    /* a root raster names crs; one in a group names /crs (GDAL 3.6) */
    read_str_attr(f, "/population", "grid_mapping", s, sizeof s);
    assert_string_equal(s, "crs");
    read_str_attr(f, "/results/health/nearest_time_min", "grid_mapping", s,
                  sizeof s);
    assert_string_equal(s, "/crs");
    read_str_attr(f, "/results/health/nearest_time_min", "units", s, sizeof s);
    assert_string_equal(s, "minutes");
    assert_true(has_attr(f, "/population", "DIMENSION_LIST"));

    /* values, fill value, storage */
    enum { N = FIXTURE_NX * FIXTURE_NY };
    float v[N];
    int32_t iv[N];
    hid_t ds = H5Dopen2(f, "/results/health/nearest_time_min", H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(
        H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    for (int i = 0; i < N; i++)
        assert_true(v[i] == fixture_time(i));
    hid_t t = H5Dget_type(ds);
    assert_true(H5Tequal(t, H5T_IEEE_F32LE) > 0);
    H5Tclose(t);
    hid_t a = H5Aopen(ds, "_FillValue", H5P_DEFAULT);
    t = H5Aget_type(a);
    assert_true(H5Tequal(t, H5T_IEEE_F32LE) > 0); /* netCDF: same type */
    float fill = 0;
    assert_true(H5Aread(a, H5T_NATIVE_FLOAT, &fill) >= 0);
    assert_true(fill == FIXTURE_FILL_F32);
    H5Tclose(t);
    H5Aclose(a);
    hid_t dcpl = H5Dget_create_plist(ds);
    fill = 0;
    assert_true(H5Pget_fill_value(dcpl, H5T_NATIVE_FLOAT, &fill) >= 0);
    assert_true(fill == FIXTURE_FILL_F32);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    hsize_t chunk[2];
    assert_int_equal(H5Pget_chunk(dcpl, 2, chunk), 2);
    assert_int_equal(chunk[0], FIXTURE_NY);
    assert_int_equal(chunk[1], FIXTURE_NX);
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
        assert_int_equal(H5Pget_nfilters(dcpl), 2);
        unsigned flags;
        size_t nelem = 0;
        assert_int_equal(
            H5Pget_filter2(dcpl, 0, &flags, &nelem, NULL, 0, NULL, NULL),
            H5Z_FILTER_SHUFFLE);
        nelem = 0; /* in: room in cd_values (none) */
        assert_int_equal(
            H5Pget_filter2(dcpl, 1, &flags, &nelem, NULL, 0, NULL, NULL),
            H5Z_FILTER_DEFLATE);
    }
    H5Pclose(dcpl);
    H5Dclose(ds);

    ds = H5Dopen2(f, "/results/health/nearest_facility", H5P_DEFAULT);
    assert_true(
        H5Dread(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, iv) >= 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(iv[i], fixture_facility(i));
    int32_t ifill = 0;
    a = H5Aopen(ds, "_FillValue", H5P_DEFAULT);
    t = H5Aget_type(a);
    assert_true(H5Tequal(t, H5T_STD_I32LE) > 0);
    assert_true(H5Aread(a, H5T_NATIVE_INT32, &ifill) >= 0);
    assert_int_equal(ifill, FIXTURE_FILL_I32);
    H5Tclose(t);
    H5Aclose(a);
    H5Dclose(ds);
    H5Fclose(f);
    unlink(path);
}

static void test_projected_grid(void **state)
{
    tdir *d = *state;
    char path[1200], s[8192];
    join(path, sizeof path, d, "gk25.h5");
    am_error err;
    assert_int_equal(fixture_write(path, FIXTURE_GK25, &err), AM_OK);
    hid_t f = open_ro(path);
    read_str_attr(f, "/x", "standard_name", s, sizeof s);
    assert_string_equal(s, "projection_x_coordinate");
    read_str_attr(f, "/y", "units", s, sizeof s);
    assert_string_equal(s, "m");
    assert_false(has_attr(f, "/crs", "grid_mapping_name"));
    read_str_attr(f, "/crs", "GeoTransform", s, sizeof s);
    assert_string_equal(s, "25490000 250 0 6675000 0 -250");
    double y[FIXTURE_NY];
    read_f64(f, "/y", y);
    assert_float_equal(y[0], 6675000 - 125, 1e-9);
    H5Fclose(f);
    unlink(path);
}

static void test_large_raster_chunks(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "large.h5");
    am_error err;
    am_h5 *h = NULL;
    const char *wkt;
    am_grid g;
    fixture_grid(FIXTURE_UTM38S, &g, &wkt);
    g.nx = 520;
    g.ny = 300;
    size_t n = (size_t)g.nx * (size_t)g.ny;
    float *v = malloc(n * sizeof *v), *back = malloc(n * sizeof *back);
    assert_non_null(v);
    assert_non_null(back);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(i % 1000) * 0.5f;
    assert_int_equal(am_h5_create(path, &h, &err), AM_OK);
    assert_int_equal(am_h5_set_grid(h, &g, wkt, &err), AM_OK);
    assert_int_equal(am_h5_write_raster_f32(h, "/a/b/c", v, -1.0f, NULL, &err),
                     AM_OK);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    hid_t f = open_ro(path);
    hid_t ds = H5Dopen2(f, "/a/b/c", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(ds);
    hsize_t chunk[2];
    assert_int_equal(H5Pget_chunk(dcpl, 2, chunk), 2);
    assert_int_equal(chunk[0], AM_H5_CHUNK_EDGE);
    assert_int_equal(chunk[1], AM_H5_CHUNK_EDGE);
    assert_true(H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                        back) >= 0);
    assert_memory_equal(v, back, n * sizeof *v);
    assert_false(has_attr(f, "/a/b/c", "long_name"));
    H5Pclose(dcpl);
    H5Dclose(ds);
    H5Fclose(f);
    free(v);
    free(back);
    unlink(path);
}

/* ---- streamed and sparse rasters ---------------------------------------- */

/* A grid of nx x ny on the UTM fixture CRS, file created, grid written. */
static am_h5 *start_grid(const char *path, int32_t nx, int32_t ny,
                         am_error *err)
{
    am_h5 *h = NULL;
    am_grid g;
    const char *wkt;
    fixture_grid(FIXTURE_UTM38S, &g, &wkt);
    g.nx = nx;
    g.ny = ny;
    assert_int_equal(am_h5_create(path, &h, err), AM_OK);
    assert_int_equal(am_h5_set_grid(h, &g, wkt, err), AM_OK);
    return h;
}

/* Rows of a full [ny][nx] buffer of 4-byte values, for the rows API. */
typedef struct from_full {
    const unsigned char *data;
    int32_t nx;
    int32_t next_row; /* the row the next call must start at */
    int calls;
} from_full;

static int copy_rows(int32_t row0, int32_t n_rows, void *buf, void *user)
{
    from_full *f = user;
    assert_int_equal(row0, f->next_row);
    f->next_row = row0 + n_rows;
    f->calls++;
    size_t row_bytes = (size_t)f->nx * 4;
    memcpy(buf, f->data + (size_t)row0 * row_bytes, (size_t)n_rows * row_bytes);
    return 1;
}

/*
 * Whether two datasets are stored identically: same chunks at the same
 * offsets, same filter masks, same compressed bytes.
 */
static void assert_same_chunks(hid_t f, const char *a, const char *b)
{
    hid_t da = H5Dopen2(f, a, H5P_DEFAULT), db = H5Dopen2(f, b, H5P_DEFAULT);
    assert_true(da >= 0 && db >= 0);
    hsize_t na = 0, nb = 0;
    hid_t space_a = H5Dget_space(da), space_b = H5Dget_space(db);
    assert_true(H5Dget_num_chunks(da, space_a, &na) >= 0);
    assert_true(H5Dget_num_chunks(db, space_b, &nb) >= 0);
    assert_int_equal(na, nb);
    for (hsize_t i = 0; i < na; i++) {
        hsize_t oa[2], ob[2], sa = 0, sb = 0;
        unsigned ma = 0, mb = 0;
        haddr_t aa, ab;
        assert_true(H5Dget_chunk_info(da, space_a, i, oa, &ma, &aa, &sa) >= 0);
        assert_true(H5Dget_chunk_info(db, space_b, i, ob, &mb, &ab, &sb) >= 0);
        assert_memory_equal(oa, ob, sizeof oa);
        assert_int_equal(ma, mb);
        assert_int_equal(sa, sb);
        unsigned char *ba = malloc(sa), *bb = malloc(sb);
        assert_non_null(ba);
        assert_non_null(bb);
        uint32_t fa = 0, fb = 0;
        assert_true(H5Dread_chunk(da, H5P_DEFAULT, oa, &fa, ba) >= 0);
        assert_true(H5Dread_chunk(db, H5P_DEFAULT, ob, &fb, bb) >= 0);
        assert_memory_equal(ba, bb, sa);
        free(ba);
        free(bb);
    }
    H5Sclose(space_a);
    H5Sclose(space_b);
    H5Dclose(da);
    H5Dclose(db);
}

static hsize_t n_chunks(hid_t f, const char *path)
{
    hid_t ds = H5Dopen2(f, path, H5P_DEFAULT);
    assert_true(ds >= 0);
    hsize_t n = 0;
    hid_t space = H5Dget_space(ds);
    assert_true(H5Dget_num_chunks(ds, space, &n) >= 0);
    H5Sclose(space);
    H5Dclose(ds);
    return n;
}

static void read_all(hid_t f, const char *path, hid_t mtype, void *out)
{
    hid_t ds = H5Dopen2(f, path, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    H5Dclose(ds);
}

/*
 * Dataset path_b of file b, written by HDF5's own filter pipeline
 * (H5Dwrite through shuffle and deflate 4, fill value fill), holds the
 * same chunks as path_a of file a: same offsets, filter masks and
 * compressed bytes.
 */
static void assert_chunks_across(hid_t fa, const char *a, hid_t fb,
                                 const char *b)
{
    hid_t da = H5Dopen2(fa, a, H5P_DEFAULT), db = H5Dopen2(fb, b, H5P_DEFAULT);
    assert_true(da >= 0 && db >= 0);
    hsize_t na = 0, nb = 0;
    hid_t space_a = H5Dget_space(da), space_b = H5Dget_space(db);
    assert_true(H5Dget_num_chunks(da, space_a, &na) >= 0);
    assert_true(H5Dget_num_chunks(db, space_b, &nb) >= 0);
    assert_int_equal(na, nb);
    assert_true(na > 0);
    for (hsize_t i = 0; i < na; i++) {
        hsize_t oa[2], ob[2], sa = 0, sb = 0;
        unsigned ma = 0, mb = 0;
        haddr_t aa, ab;
        assert_true(H5Dget_chunk_info(da, space_a, i, oa, &ma, &aa, &sa) >= 0);
        hsize_t ob_want[2] = {oa[0], oa[1]};
        assert_true(H5Dget_chunk_info_by_coord(db, ob_want, &mb, &ab, &sb) >=
                    0);
        memcpy(ob, ob_want, sizeof ob);
        assert_int_equal(ma, mb);
        assert_int_equal(sa, sb);
        unsigned char *ba = malloc(sa), *bb = malloc(sb);
        assert_non_null(ba);
        assert_non_null(bb);
        uint32_t fla = 0, flb = 0;
        assert_true(H5Dread_chunk(da, H5P_DEFAULT, oa, &fla, ba) >= 0);
        assert_true(H5Dread_chunk(db, H5P_DEFAULT, ob, &flb, bb) >= 0);
        assert_memory_equal(ba, bb, sa);
        free(ba);
        free(bb);
    }
    H5Sclose(space_a);
    H5Sclose(space_b);
    H5Dclose(da);
    H5Dclose(db);
}

/* data [ny][nx] of mtype into a new dataset of file f, through HDF5's
 * shuffle and deflate filters (64 x 64 chunks, or the grid's size). */
static void write_with_filters(hid_t f, const char *path, hid_t ftype,
                               hid_t mtype, int32_t nx, int32_t ny,
                               const void *fill, const void *data)
{
    hsize_t dims[2] = {(hsize_t)ny, (hsize_t)nx};
    hsize_t chunk[2] = {ny < 64 ? (hsize_t)ny : 64, nx < 64 ? (hsize_t)nx : 64};
    hid_t s = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    assert_true(H5Pset_chunk(dcpl, 2, chunk) >= 0);
    assert_true(H5Pset_fill_value(dcpl, mtype, fill) >= 0);
    assert_true(H5Pset_shuffle(dcpl) >= 0);
    assert_true(H5Pset_deflate(dcpl, 4) >= 0);
    hid_t ds = H5Dcreate2(f, path, ftype, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(s);
}

/*
 * The writer compresses chunks itself, in parallel, and stores them with
 * H5Dwrite_chunk: its chunks are byte for byte those of HDF5's own
 * pipeline (shuffle + deflate 4), edge chunks (padded with the fill
 * value) included, f32 and i32, and the same for 1 and 3 threads.
 */
static void test_chunks_as_hdf5_filters(void **state)
{
    tdir *d = *state;
    char ours[2][1200], ref[1200];
    enum { NX = 150, NY = 100 };
    const size_t n = (size_t)NX * NY;
    float *v = noise_raster(NX, NY);
    int32_t *iv = malloc(n * sizeof *iv);
    assert_non_null(iv);
    for (size_t i = 0; i < n; i++) /* smooth, so that deflate works */
        iv[i] = (int32_t)(i / 7) - 5;
    for (size_t i = 0; i < n; i += 3)
        v[i] = (float)(i % 100) * 0.25f;
    const float ffill = -9999.0f;
    const int32_t ifill = -2;
    for (int k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "ours%d.h5", k);
        join(ours[k], sizeof ours[k], d, name);
        am_error err;
        am_h5 *h = start_grid(ours[k], NX, NY, &err);
        am_h5_set_threads(h, k == 0 ? 1 : 3);
        assert_int_equal(am_h5_write_raster_f32(h, "/f", v, ffill, NULL, &err),
                         AM_OK);
        assert_int_equal(am_h5_write_raster_i32(h, "/i", iv, ifill, NULL, &err),
                         AM_OK);
        assert_int_equal(am_h5_commit(h, &err), AM_OK);
    }
    join(ref, sizeof ref, d, "ref.h5");
    hid_t fr = H5Fcreate(ref, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(fr >= 0);
    write_with_filters(fr, "/f", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, NX, NY,
                       &ffill, v);
    write_with_filters(fr, "/i", H5T_STD_I32LE, H5T_NATIVE_INT32, NX, NY,
                       &ifill, iv);
    assert_int_equal(n_chunks(fr, "/f"), 3 * 2);
    for (int k = 0; k < 2; k++) {
        hid_t fo = open_ro(ours[k]);
        assert_chunks_across(fo, "/f", fr, "/f");
        assert_chunks_across(fo, "/i", fr, "/i");
        H5Fclose(fo);
        unlink(ours[k]);
    }
    H5Fclose(fr);
    unlink(ref);
    free(v);
    free(iv);
}

/*
 * Streamed == full buffer == sparse, byte for byte in storage, on a grid
 * of chunks with partial edge chunks; the 2 x 2 chunks that hold only the
 * fill value are not stored, and read back as fill.
 */
static void test_rows_equal_full(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "rows.h5");
    enum { NX = 600, NY = 530 };
    const size_t n = (size_t)NX * NY;
    float *v = malloc(n * sizeof *v), *back = malloc(n * sizeof *back);
    int32_t *vi = malloc(n * sizeof *vi), *backi = malloc(n * sizeof *backi);
    int64_t *cell = malloc(n * sizeof *cell);
    float *sv = malloc(n * sizeof *sv);
    int32_t *si = malloc(n * sizeof *si);
    assert_true(v && back && vi && backi && cell && sv && si);
    int64_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t x = (int32_t)(i % NX), y = (int32_t)(i / NX);
        /* chunks (2..3, 2..3) stay empty; elsewhere 1 cell in 7 */
        const int32_t e = AM_H5_CHUNK_EDGE;
        int empty =
            (x >= 2 * e && x < 4 * e && y >= 2 * e && y < 4 * e) || i % 7;
        v[i] = empty ? -9999.0f : 0.5f * (float)(i % 1000);
        vi[i] = empty ? -2 : (int32_t)(i % 5000);
        if (!empty) {
            cell[m] = (int64_t)i;
            sv[m] = v[i];
            si[m] = vi[i];
            m++;
        }
    }
    am_error err;
    am_h5 *h = start_grid(path, NX, NY, &err);
    const am_h5_raster_info info = {"test", "1"};
    assert_int_equal(
        am_h5_write_raster_f32(h, "/full", v, -9999.0f, &info, &err), AM_OK);
    from_full src = {(const unsigned char *)v, NX, 0, 0};
    assert_int_equal(am_h5_write_raster_rows(h, "/g/rows", AM_H5_F32, -9999.0,
                                             copy_rows, &src, &info, &err),
                     AM_OK);
    const int strips = (NY + AM_H5_CHUNK_EDGE - 1) / AM_H5_CHUNK_EDGE;
    const int cols = (NX + AM_H5_CHUNK_EDGE - 1) / AM_H5_CHUNK_EDGE;
    assert_int_equal(src.calls, strips);
    assert_int_equal(src.next_row, NY);
    assert_int_equal(am_h5_write_raster_sparse_f32(h, "/sparse", m, cell, sv,
                                                   -9999.0f, &info, &err),
                     AM_OK);
    assert_int_equal(am_h5_write_raster_i32(h, "/full_i", vi, -2, &info, &err),
                     AM_OK);
    from_full srci = {(const unsigned char *)vi, NX, 0, 0};
    assert_int_equal(am_h5_write_raster_rows(h, "/rows_i", AM_H5_I32, -2,
                                             copy_rows, &srci, &info, &err),
                     AM_OK);
    assert_int_equal(am_h5_write_raster_sparse_i32(h, "/sparse_i", m, cell, si,
                                                   -2, &info, &err),
                     AM_OK);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);

    hid_t f = open_ro(path);
    assert_int_equal(n_chunks(f, "/full"), strips * cols - 4);
    assert_same_chunks(f, "/full", "/g/rows");
    assert_same_chunks(f, "/full", "/sparse");
    assert_same_chunks(f, "/full_i", "/rows_i");
    assert_same_chunks(f, "/full_i", "/sparse_i");
    read_all(f, "/sparse", H5T_NATIVE_FLOAT, back);
    assert_memory_equal(v, back, n * sizeof *v);
    read_all(f, "/sparse_i", H5T_NATIVE_INT32, backi);
    assert_memory_equal(vi, backi, n * sizeof *vi);
    /* the same attributes as the full-buffer writer's */
    char text[64];
    read_str_attr(f, "/g/rows", "grid_mapping", text, sizeof text);
    assert_string_equal(text, "/crs");
    assert_true(read_f64_attr(f, "/sparse", "_FillValue") == -9999.0);
    assert_true(has_attr(f, "/sparse_i", "DIMENSION_LIST"));
    H5Fclose(f);
    free(v);
    free(back);
    free(vi);
    free(backi);
    free(cell);
    free(sv);
    free(si);
    unlink(path);
}

/* Records the strips asked for and checks each arrives filled with fill. */
typedef struct strip_log {
    int32_t nx;
    int32_t row0[64], n_rows[64];
    int calls;
    int fail_at;   /* the call that returns 0 (1-based), 0: never */
    am_error *err; /* when set, the failing call records its own error */
} strip_log;

static int log_rows(int32_t row0, int32_t n_rows, void *buf, void *user)
{
    strip_log *l = user;
    const float *b = buf;
    for (size_t i = 0; i < (size_t)n_rows * (size_t)l->nx; i++)
        assert_true(b[i] == -1.0f);
    l->row0[l->calls] = row0;
    l->n_rows[l->calls] = n_rows;
    l->calls++;
    ((float *)buf)[0] = (float)row0; /* not all fill: stored */
    if (l->calls == l->fail_at) {
        if (l->err != NULL)
            am_error_set(l->err, AM_ERR_NOMEM, NULL, "source ran out");
        return 0;
    }
    return 1;
}

/* Leaves every strip as it came: all fill. */
static int keep_rows(int32_t row0, int32_t n_rows, void *buf, void *user)
{
    (void)row0;
    (void)n_rows;
    (void)buf;
    (void)user;
    return 1;
}

/* Every row exactly once, in order, by chunk-aligned strips. */
static void test_rows_strips(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "strips.h5");
    am_error err;
    am_h5 *h = start_grid(path, 7, 600, &err);
    strip_log l = {.nx = 7};
    assert_int_equal(am_h5_write_raster_rows(h, "/r", AM_H5_F32, -1.0, log_rows,
                                             &l, NULL, &err),
                     AM_OK);
    const int32_t e = AM_H5_CHUNK_EDGE;
    assert_int_equal(l.calls, (600 + e - 1) / e);
    int32_t next = 0;
    for (int i = 0; i < l.calls; i++) {
        assert_int_equal(l.row0[i], next);
        assert_int_equal(l.row0[i] % e, 0);
        assert_int_equal(l.n_rows[i], 600 - next < e ? 600 - next : e);
        next += l.n_rows[i];
    }
    assert_int_equal(next, 600);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    float back[600 * 7];
    hid_t f = open_ro(path);
    read_all(f, "/r", H5T_NATIVE_FLOAT, back);
    H5Fclose(f);
    for (int i = 0; i < 600 * 7; i++) {
        float want = (i % (e * 7) == 0) ? (float)(i / 7) : -1.0f;
        assert_true(back[i] == want);
    }
    unlink(path);
}

/*
 * A source that stops, with or without its own error, and a progress hook
 * that cancels mid-raster: the call fails, abort leaves nothing behind and
 * an older file stays.
 */
static void test_rows_failure(void **state)
{
    tdir *d = *state;
    char path[1200], tmp[1200];
    join(path, sizeof path, d, "fail.h5");
    temp_name(tmp, sizeof tmp, d, "fail.h5");
    write_small_file(path, "older");
    am_error err;

    /* stops without saying why: cancelled, naming the raster and rows */
    am_h5 *h = start_grid(path, 7, 600, &err);
    strip_log l = {.nx = 7, .fail_at = 2};
    assert_int_equal(am_h5_write_raster_rows(h, "/r", AM_H5_F32, -1.0, log_rows,
                                             &l, NULL, &err),
                     AM_ERR_CANCELLED);
    assert_int_equal(l.calls, 2);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "'/r'"));
    char rows[64];
    snprintf(rows, sizeof rows, "rows %d to %d", AM_H5_CHUNK_EDGE,
             2 * AM_H5_CHUNK_EDGE - 1);
    assert_non_null(strstr(err.msg, rows));
    am_h5_abort(h);
    assert_false(exists(tmp));
    assert_true(file_holds(path, "older"));

    /* stops with its own error: that error comes back */
    h = start_grid(path, 7, 600, &err);
    strip_log l2 = {.nx = 7, .fail_at = 1, .err = &err};
    assert_int_equal(am_h5_write_raster_rows(h, "/r", AM_H5_F32, -1.0, log_rows,
                                             &l2, NULL, &err),
                     AM_ERR_NOMEM);
    assert_string_equal(err.msg, "source ran out");
    am_h5_abort(h);
    assert_false(exists(tmp));

    /* the progress hook still cancels per strip */
    h = start_grid(path, 7, 600, &err);
    stopper st = {0, 2, ""};
    am_h5_set_progress(h, stop_cb, &st);
    strip_log l3 = {.nx = 7};
    assert_int_equal(am_h5_write_raster_rows(h, "/r", AM_H5_F32, -1.0, log_rows,
                                             &l3, NULL, &err),
                     AM_ERR_CANCELLED);
    assert_int_equal(st.calls, 2);
    /* the rows of a group of strips are asked before it is compressed:
     * here one group (at least 256 chunks) holds every strip */
    assert_int_equal(l3.calls, (600 + AM_H5_CHUNK_EDGE - 1) / AM_H5_CHUNK_EDGE);
    assert_string_equal(st.last, "/r");
    am_h5_abort(h);
    assert_false(exists(tmp));
    assert_true(file_holds(path, "older"));

    /* misuse of the rows API */
    h = start_grid(path, 7, 600, &err);
    strip_log l4 = {.nx = 7};
    assert_int_equal(am_h5_write_raster_rows(h, "/r", AM_H5_F32, -1.0, NULL,
                                             NULL, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_write_raster_rows(h, "/r", (am_h5_type)99, -1.0,
                                             log_rows, &l4, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_write_raster_rows(h, "/r", AM_H5_I32, 0.5, log_rows,
                                             &l4, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_write_raster_rows(h, "/r", AM_H5_I32, 3e9, log_rows,
                                             &l4, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_write_raster_rows(h, "/r", AM_H5_F32, 1e300,
                                             log_rows, &l4, NULL, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "fill value"));
    assert_int_equal(l4.calls, 0);
    /* a NaN fill is a float's own */
    assert_int_equal(am_h5_write_raster_rows(h, "/nan", AM_H5_F32, NAN,
                                             keep_rows, NULL, NULL, &err),
                     AM_OK);
    am_h5_abort(h);
    assert_false(exists(tmp));
    unlink(path);
}

/* Reads a whole f32 raster back from a committed file. */
static void read_back(const char *path, const char *ds, float *out)
{
    hid_t f = open_ro(path);
    read_all(f, ds, H5T_NATIVE_FLOAT, out);
    H5Fclose(f);
}

/* The sparse helper on its edge cases and misuse. */
static void test_sparse_edges(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "sparse.h5");
    am_error err;
    enum { NX = 300, NY = 270, N = NX * NY };
    float *back = malloc(N * sizeof *back);
    float *all = malloc(N * sizeof *all);
    int64_t *cells = malloc(N * sizeof *cells);
    assert_true(back && all && cells);
    for (int64_t i = 0; i < N; i++) {
        cells[i] = i;
        all[i] = (float)i;
    }
    am_h5 *h = start_grid(path, NX, NY, &err);
    /* no cells: all fill, nothing stored */
    assert_int_equal(am_h5_write_raster_sparse_f32(h, "/none", 0, NULL, NULL,
                                                   -9999.0f, NULL, &err),
                     AM_OK);
    /* every cell */
    assert_int_equal(am_h5_write_raster_sparse_f32(h, "/all", N, cells, all,
                                                   -9999.0f, NULL, &err),
                     AM_OK);
    /* the first and the last cell */
    const int64_t ends[2] = {0, N - 1};
    const float ends_v[2] = {1.5f, 2.5f};
    assert_int_equal(am_h5_write_raster_sparse_f32(h, "/ends", 2, ends, ends_v,
                                                   -9999.0f, NULL, &err),
                     AM_OK);
    /* refused before anything is written: out of the grid, out of order */
    const int64_t beyond[2] = {5, N};
    assert_int_equal(am_h5_write_raster_sparse_f32(
                         h, "/beyond", 2, beyond, ends_v, -9999.0f, NULL, &err),
                     AM_ERR_INVALID);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "'/beyond'"));
    assert_non_null(strstr(err.msg, "outside the 300x270 grid"));
    const int64_t negative[1] = {-1};
    assert_int_equal(am_h5_write_raster_sparse_f32(
                         h, "/neg", 1, negative, ends_v, -9999.0f, NULL, &err),
                     AM_ERR_INVALID);
    const int64_t unordered[2] = {9, 3}, twice[2] = {4, 4};
    assert_int_equal(am_h5_write_raster_sparse_f32(h, "/unordered", 2,
                                                   unordered, ends_v, -9999.0f,
                                                   NULL, &err),
                     AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "ascending"));
    const int32_t iv[2] = {1, 2};
    assert_int_equal(am_h5_write_raster_sparse_i32(h, "/twice", 2, twice, iv,
                                                   -2, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_write_raster_sparse_f32(h, "/nulls", 2, NULL, NULL,
                                                   -9999.0f, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);

    hid_t f = open_ro(path);
    assert_int_equal(n_chunks(f, "/none"), 0);
    assert_int_equal(n_chunks(f, "/ends"), 2); /* the corner chunks only */
    assert_true(H5Lexists(f, "/beyond", H5P_DEFAULT) == 0);
    assert_true(H5Lexists(f, "/unordered", H5P_DEFAULT) == 0);
    assert_true(H5Lexists(f, "/twice", H5P_DEFAULT) == 0);
    H5Fclose(f);
    read_back(path, "/none", back);
    for (int i = 0; i < N; i++)
        assert_true(back[i] == -9999.0f);
    read_back(path, "/all", back);
    assert_memory_equal(back, all, N * sizeof *all);
    read_back(path, "/ends", back);
    for (int i = 0; i < N; i++)
        assert_true(back[i] == (i == 0 ? 1.5f : i == N - 1 ? 2.5f : -9999.0f));
    unlink(path);

    /* one column, one row */
    for (int k = 0; k < 2; k++) {
        int32_t nx = k == 0 ? 1 : 700, ny = k == 0 ? 700 : 1;
        h = start_grid(path, nx, ny, &err);
        const int64_t c[3] = {0, 350, 699};
        const float cv[3] = {1, 2, 3};
        assert_int_equal(
            am_h5_write_raster_sparse_f32(h, "/r", 3, c, cv, -1.0f, NULL, &err),
            AM_OK);
        const int64_t out[1] = {700};
        assert_int_equal(am_h5_write_raster_sparse_f32(h, "/o", 1, out, cv,
                                                       -1.0f, NULL, &err),
                         AM_ERR_INVALID);
        assert_int_equal(am_h5_commit(h, &err), AM_OK);
        read_back(path, "/r", back);
        for (int i = 0; i < 700; i++)
            assert_true(back[i] == (i == 0     ? 1.0f
                                    : i == 350 ? 2.0f
                                    : i == 699 ? 3.0f
                                               : -1.0f));
        unlink(path);
    }
    free(back);
    free(all);
    free(cells);
}

/*
 * A file larger than the core driver's 8 MiB growth step is written from
 * the driver's buffer after it was reallocated: read back whole, and the
 * superblock's status flags are clear (as H5Fget_file_image leaves them).
 */
static void test_large_file_image(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "image.h5");
    am_error err;
    const int32_t nx = 1800, ny = 1500;
    float *v = noise_raster(nx, ny);
    float *back = malloc((size_t)nx * ny * sizeof *back);
    assert_non_null(back);
    am_h5 *h = start_grid(path, nx, ny, &err);
    assert_int_equal(am_h5_write_raster_f32(h, "/noise", v, -1.0f, NULL, &err),
                     AM_OK);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > (8 << 20));
    unsigned char sb[24];
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(sb, 1, sizeof sb, fp), sizeof sb);
    fclose(fp);
    assert_memory_equal(sb, "\211HDF\r\n\032\n", 8);
    if (sb[8] < 2)
        assert_memory_equal(sb + 20, "\0\0\0\0", 4);
    else
        assert_int_equal(sb[11], 0);
    read_back(path, "/noise", back);
    assert_memory_equal(v, back, (size_t)nx * ny * sizeof *v);
    free(v);
    free(back);
    unlink(path);
}

/* ---- tables ------------------------------------------------------------- */

static void test_tables(void **state)
{
    tdir *d = *state;
    char path[1200], s[256];
    join(path, sizeof path, d, "tables.h5");
    am_error err;
    assert_int_equal(fixture_write(path, FIXTURE_GEOGRAPHIC, &err), AM_OK);
    hid_t f = open_ro(path);

    hid_t ds = H5Dopen2(f, "/results/health/facilities/name", H5P_DEFAULT);
    assert_true(ds >= 0);
    hid_t t = H5Dget_type(ds);
    assert_true(H5Tis_variable_str(t) > 0);
    assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
    char *names[3] = {NULL, NULL, NULL};
    assert_true(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) >= 0);
    assert_string_equal(names[0], "Keskussairaala");
    assert_string_equal(names[1], "Älvsjö hälsa");
    assert_string_equal(names[2], ""); /* NULL is written as "" */
    hid_t sp = H5Dget_space(ds);
    assert_true(H5Dvlen_reclaim(t, sp, H5P_DEFAULT, names) >= 0);
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(ds);
    read_str_attr(f, "/results/health/facilities/name", "long_name", s,
                  sizeof s);
    assert_string_equal(s, "facility name");
    read_str_attr(f, "/results/health/facilities/capacity", "units", s,
                  sizeof s);
    assert_string_equal(s, "doctors");
    assert_true(
        has_attr(f, "/results/health/facilities/capacity", "DIMENSION_LIST"));
    read_str_attr(f, "/results/health/facilities/row", "CLASS", s, sizeof s);
    assert_string_equal(s, "DIMENSION_SCALE");

    double cap[3], row[3];
    read_f64(f, "/results/health/facilities/capacity", cap);
    assert_true(cap[0] == 12.5 && cap[1] == 3 && cap[2] == 0);
    read_f64(f, "/results/health/facilities/row", row);
    assert_true(row[0] == 0 && row[1] == 1 && row[2] == 2);
    int64_t node[3];
    ds = H5Dopen2(f, "/results/health/facilities/node", H5P_DEFAULT);
    assert_true(H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                        node) >= 0);
    assert_true(node[0] == 10 && node[1] == 20 && node[2] == -1);
    H5Dclose(ds);
    H5Fclose(f);
    unlink(path);
}

static void test_empty_table(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "empty.h5");
    am_error err;
    am_h5 *h = start_file(path, &err);
    const am_h5_column cols[2] = {
        {"id", AM_H5_COL_INT64, NULL, NULL, NULL},
        {"name", AM_H5_COL_STRING, NULL, NULL, NULL},
    };
    assert_int_equal(am_h5_make_group(h, "/t", &err), AM_OK);
    assert_int_equal(am_h5_attr_string(h, "/t", "note", "made first", &err),
                     AM_OK);
    assert_int_equal(am_h5_write_table(h, "/t", 0, 2, cols, &err), AM_OK);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    hid_t f = open_ro(path);
    hid_t ds = H5Dopen2(f, "/t/name", H5P_DEFAULT);
    hid_t sp = H5Dget_space(ds);
    assert_int_equal(H5Sget_simple_extent_npoints(sp), 0);
    assert_true(has_attr(f, "/t", "note"));
    H5Sclose(sp);
    H5Dclose(ds);
    H5Fclose(f);
    unlink(path);
}

/* ---- attributes ---------------------------------------------------------- */

static void test_attributes(void **state)
{
    tdir *d = *state;
    char path[1200], s[256];
    join(path, sizeof path, d, "attrs.h5");
    am_error err;
    am_h5 *h = start_file(path, &err);
    assert_int_equal(am_h5_attr_string(h, "/", "title", "first", &err), AM_OK);
    assert_int_equal(am_h5_attr_string(h, "/", "title", "Ähtäri, second", &err),
                     AM_OK); /* replaces */
    assert_int_equal(am_h5_attr_string(h, "/", "empty", "", &err), AM_OK);
    assert_int_equal(am_h5_attr_double(h, "/x", "d", 0.1, &err), AM_OK);
    assert_int_equal(am_h5_attr_int64(h, "/crs", "big", INT64_C(1) << 60, &err),
                     AM_OK);
    const double arr[3] = {10, 20.5, 30};
    assert_int_equal(
        am_h5_attr_double_array(h, "/", "cutoffs_min", 3, arr, &err), AM_OK);
    assert_int_equal(am_h5_attr_double_array(h, "/", "none", 0, NULL, &err),
                     AM_OK);

    /* missing object: an I/O error naming the output file and the path */
    assert_int_equal(am_h5_attr_string(h, "/nope", "a", "b", &err), AM_ERR_IO);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "/nope"));
    assert_int_equal(am_h5_commit(h, &err), AM_OK);

    hid_t f = open_ro(path);
    read_str_attr(f, "/", "title", s, sizeof s);
    assert_string_equal(s, "Ähtäri, second");
    hid_t a = H5Aopen_by_name(f, "/", "title", H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    assert_int_equal(H5Tis_variable_str(t), 0); /* fixed length */
    assert_int_equal(H5Tget_size(t), strlen("Ähtäri, second") + 1);
    assert_int_equal(H5Tget_strpad(t), H5T_STR_NULLTERM);
    assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
    assert_int_equal(H5Sget_simple_extent_type(sp), H5S_SCALAR);
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    read_str_attr(f, "/", "empty", s, sizeof s);
    assert_string_equal(s, "");
    assert_true(read_f64_attr(f, "/x", "d") == 0.1);
    int64_t big = 0;
    a = H5Aopen_by_name(f, "/crs", "big", H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Aread(a, H5T_NATIVE_INT64, &big) >= 0);
    H5Aclose(a);
    assert_true(big == INT64_C(1) << 60);
    double back[3];
    a = H5Aopen_by_name(f, "/", "cutoffs_min", H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, back) >= 0);
    H5Aclose(a);
    assert_memory_equal(arr, back, sizeof arr);
    a = H5Aopen_by_name(f, "/", "none", H5P_DEFAULT, H5P_DEFAULT);
    sp = H5Aget_space(a);
    assert_int_equal(H5Sget_simple_extent_type(sp), H5S_NULL);
    H5Sclose(sp);
    H5Aclose(a);
    H5Fclose(f);
    unlink(path);
}

/* ---- misuse ------------------------------------------------------------- */

static void test_misuse(void **state)
{
    tdir *d = *state;
    char path[1200];
    join(path, sizeof path, d, "misuse.h5");
    am_error err;
    am_h5 *h = NULL;
    am_grid g;
    const char *wkt;
    float v[FIXTURE_NX * FIXTURE_NY] = {0};
    fixture_grid(FIXTURE_GEOGRAPHIC, &g, &wkt);
    assert_int_equal(am_h5_create(path, &h, &err), AM_OK);

    assert_int_equal(am_h5_write_raster_f32(h, "/r", v, -1, NULL, &err),
                     AM_ERR_INTERNAL); /* before the grid */
    assert_int_equal(am_h5_set_grid(h, &g, NULL, &err), AM_ERR_CRS);
    am_grid rotated = g;
    rotated.gt[2] = 0.01;
    assert_int_equal(am_h5_set_grid(h, &rotated, wkt, &err), AM_ERR_INVALID);
    am_grid empty = g;
    empty.nx = 0;
    assert_int_equal(am_h5_set_grid(h, &empty, wkt, &err), AM_ERR_INVALID);
    assert_int_equal(am_h5_set_grid(h, &g, wkt, &err), AM_OK);
    assert_int_equal(am_h5_set_grid(h, &g, wkt, &err), AM_ERR_INTERNAL);

    assert_int_equal(am_h5_write_raster_f32(h, "relative", v, -1, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_write_raster_f32(h, "/r/", v, -1, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_write_raster_f32(h, "/r", v, -1, NULL, &err), AM_OK);
    assert_int_equal(am_h5_write_raster_f32(h, "/r", v, -1, NULL, &err),
                     AM_ERR_IO); /* exists */
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "'/r'"));

    const int32_t ids[2] = {1, 2};
    am_h5_column cols[2] = {{"row", AM_H5_COL_INT32, ids, NULL, NULL},
                            {"id", AM_H5_COL_INT32, ids, NULL, NULL}};
    assert_int_equal(am_h5_write_table(h, "/t", 2, 2, cols, &err),
                     AM_ERR_INVALID); /* reserved */
    cols[0].name = "id";
    assert_int_equal(am_h5_write_table(h, "/t", 2, 2, cols, &err),
                     AM_ERR_INVALID); /* duplicate */
    cols[0].name = "a/b";
    assert_int_equal(am_h5_write_table(h, "/t", 2, 2, cols, &err),
                     AM_ERR_INVALID);
    cols[0].name = "a";
    cols[0].type = (am_h5_col_type)99;
    assert_int_equal(am_h5_write_table(h, "/t", 2, 2, cols, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_write_table(h, "/t", -1, 2, cols, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_h5_make_group(h, "/r", &err), AM_ERR_IO);

    /* the file is still usable after errors */
    cols[0].type = AM_H5_COL_INT32;
    assert_int_equal(am_h5_write_table(h, "/t", 2, 2, cols, &err), AM_OK);
    assert_int_equal(am_h5_commit(h, &err), AM_OK);
    unlink(path);
    assert_int_equal(am_h5_commit(NULL, &err), AM_ERR_INVALID);
}

/* issue 13: HDF5 loads no filter plugins once accessim has used it (every
 * writer and reader call goes through am_h5_quiet_begin), whatever
 * HDF5_PLUGIN_PATH says. */
static void test_no_filter_plugins(void **state)
{
    (void)state;
    setenv("HDF5_PLUGIN_PATH", "/tmp", 1);
    unsigned mask = 0;
    assert_true(H5PLget_loading_state(&mask) >= 0);
    am_h5_quiet q;
    am_h5_quiet_begin(&q);
    am_h5_quiet_end(&q);
    assert_true(H5PLget_loading_state(&mask) >= 0);
    assert_int_equal(mask, 0);
    unsetenv("HDF5_PLUGIN_PATH");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_filter_plugins),
        cmocka_unit_test_setup_teardown(test_create_missing_dir, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_atomic_commit, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_disk_full, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_cancel_while_writing, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_cancel_before_rename, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_abort_removes_temp, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_create_refuses_special, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_commit_guard_and_folder, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_commit_keeps_mode, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_create_removes_stale_temp,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_grid_and_rasters, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_projected_grid, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_large_raster_chunks, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_rows_equal_full, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_rows_strips, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_rows_failure, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_sparse_edges, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_large_file_image, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_tables, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_chunks_as_hdf5_filters, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_empty_table, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_attributes, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_misuse, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
