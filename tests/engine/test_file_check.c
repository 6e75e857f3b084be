/*
 * test_file_check.c: common/file_check, the checks made on every path
 * before it is read or written: special files refused as inputs (a FIFO
 * would block forever), outputs that would replace a directory or device,
 * missing or unusable folders, names too long for the temporary name, the
 * same file under another name (symlink, hard link, "./"), the archive
 * behind a GDAL virtual path (a FIFO there refused too), stale temporaries
 * (no writer's lock) removed while live ones (lock held, whatever the pid
 * in the name) are kept, outputs that cannot be replaced (immutable), and
 * the guard of the files a run reads.
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
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#endif

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

/*
 * A child process that holds flock(LOCK_EX) on path (creating it) until
 * killed: a live writer. Returns its pid once the lock is held.
 */
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

static void stop(pid_t p)
{
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
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

    /* GDAL virtual paths are GDAL's to check; network ones only when the
       scenario allows the network (issue 13), refused by default */
    assert_true(am_path_is_virtual("/vsizip/a.zip/b.shp"));
    assert_false(am_path_is_virtual("vsizip/a.zip"));
    assert_int_equal(am_file_check_input("/vsicurl/http://x/y.tif", 0, &err),
                     AM_ERR_IO);
    assert_non_null(strstr(err.msg, "allow_network: true"));
    am_network_allow(1);
    assert_int_equal(am_file_check_input("/vsicurl/http://x/y.tif", 0, &err),
                     AM_OK);
    am_network_allow(0);

    /* ... except for the local file behind one: a FIFO blocks GDAL */
    char v[1200];
    assert_int_equal(mkfifo(at("pipe.gz"), 0600), 0);
    snprintf(v, sizeof v, "/vsigzip/%s", at("pipe.gz"));
    assert_int_equal(am_file_check_input(v, 0, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "FIFO"));
    snprintf(v, sizeof v, "/vsizip/%s/roads/lines.shp", at("pipe.gz"));
    assert_int_equal(am_file_check_input(v, 1, &err), AM_ERR_IO);
    snprintf(v, sizeof v, "/vsitar/{%s}/a.tif", at("pipe.gz"));
    assert_int_equal(am_file_check_input(v, 0, &err), AM_ERR_IO);
    snprintf(v, sizeof v, "/vsigzip/%s", at("in.tif")); /* a regular file */
    assert_int_equal(am_file_check_input(v, 0, &err), AM_OK);
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
    assert_non_null(strstr(err.msg, "/results.h5)"));
    assert_int_equal(am_file_check_output(at(""), &err), AM_ERR_IO);
    /* the hint names a file of the output's kind (a prepared graph) */
    assert_int_equal(am_file_check_output_as(dir, "graph.amgraph", &err),
                     AM_ERR_IO);
    assert_non_null(strstr(err.msg, "/graph.amgraph)"));
    assert_null(strstr(err.msg, "results.h5"));

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

/*
 * Stale means no writer holds the temporary's lock, whatever its pid says:
 * a live pid from another PID namespace (or a reused one) is no reason to
 * keep it, and a pid unknown here is no reason to remove it.
 */
static void test_stale_temps(void **state)
{
    (void)state;
    const char *out = at("run.h5");
    char *dead = am_temp_path(out, dead_pid());
    char *self = am_temp_path(out, (long)getpid());
    char *parent = am_temp_path(out, (long)getppid()); /* alive, no lock */
    char *locked = am_temp_path(out, dead_pid());      /* dead pid, locked */
    char *other = am_temp_path(at("other.h5"), dead_pid());
    const char *junk = at(".run.h5.tmp-12x");
    touch(dead);
    touch(self);
    touch(parent);
    touch(other);
    touch(junk);
    touch(out);
    pid_t holder = lock_holder(locked);
    assert_int_equal(am_temp_remove_stale(out), 3);
    assert_false(exists(dead));
    assert_false(exists(self));   /* pid reuse: nobody holds it */
    assert_false(exists(parent)); /* a live pid, but not its writer */
    assert_true(exists(locked));  /* its writer lives: never */
    assert_true(exists(other));   /* another output's */
    assert_true(exists(junk));    /* not a temporary name */
    assert_true(exists(out));
    assert_int_equal(am_temp_remove_if_stale(locked), 0);
    /* a stale name that is not a regular file is left alone */
    free(dead);
    dead = am_temp_path(out, dead_pid());
    assert_int_equal(mkdir(dead, 0700), 0);
    assert_int_equal(am_temp_remove_stale(out), 0);
    assert_true(exists(dead));
    /* the writer gone, its lock is gone */
    stop(holder);
    assert_int_equal(am_temp_remove_stale(out), 1);
    assert_false(exists(locked));
    free(dead);
    free(self);
    free(parent);
    free(locked);
    free(other);
}

/* am_temp_create: exclusive and locked; a stale file in the way is
 * removed, a live one is an error and is left alone. */
static void test_temp_create(void **state)
{
    (void)state;
    am_error err;
    char *tmp = am_temp_path(at("w.h5"), (long)getpid());
    int fd = -1;
    assert_int_equal(am_temp_create(tmp, at("w.h5"), &fd, &err), AM_OK);
    assert_true(fd >= 0);
    /* held: another open of it cannot lock it, and cleanup keeps it */
    assert_int_equal(am_temp_remove_if_stale(tmp), 0);
    int fd2 = -1;
    assert_int_equal(am_temp_create(tmp, at("w.h5"), &fd2, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "in use by another run"));
    assert_true(exists(tmp));
    close(fd); /* the writer is gone: stale, replaced by the next */
    assert_int_equal(am_temp_create(tmp, at("w.h5"), &fd, &err), AM_OK);
    unlink(tmp);
    close(fd);
    /* the preflight's probe of the same name keeps a live one too */
    pid_t holder = lock_holder(tmp);
    assert_int_equal(am_file_check_output(at("w.h5"), &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "in use by another run"));
    assert_true(exists(tmp));
    stop(holder);
    assert_int_equal(am_file_check_output(at("w.h5"), &err), AM_OK);
    assert_false(exists(tmp));
    free(tmp);
}

/* An output that exists but cannot be replaced is found up front. */
static void test_output_not_replaceable(void **state)
{
    (void)state;
    am_error err;
    const char *out = at("imm.h5");
    touch(out);
    assert_int_equal(am_file_check_output(out, &err), AM_OK);
#if defined(FS_IOC_GETFLAGS) && defined(FS_IMMUTABLE_FL)
    int fd = open(out, O_RDONLY);
    int flags = 0;
    assert_true(fd >= 0);
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
        close(fd);
        skip(); /* no flags on this filesystem */
    }
    int set = flags | FS_IMMUTABLE_FL;
    if (ioctl(fd, FS_IOC_SETFLAGS, &set) != 0) {
        close(fd);
        skip(); /* not permitted (needs CAP_LINUX_IMMUTABLE) */
    }
    am_status rc = am_file_check_output(out, &err);
    set = flags | FS_APPEND_FL;
    assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &set), 0);
    am_status rc_append = am_file_check_output(out, &err);
    const int appended = strstr(err.msg, "append-only") != NULL;
    assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
    close(fd);
    assert_int_equal(rc, AM_ERR_IO);
    assert_int_equal(rc_append, AM_ERR_IO);
    assert_true(appended);
#else
    skip();
#endif
}

/* The guard: inputs by identity, side-cars by folder and name (case
 * ignored), folder datasets whole, virtual paths by their local file. */
static void test_guard(void **state)
{
    (void)state;
    am_error err;
    am_file_guard g;
    char v[1200], pop[1200], shp[1200];
    am_file_guard_init(&g);
    snprintf(pop, sizeof pop, "%s", at("pop.tif"));
    snprintf(shp, sizeof shp, "%s", at("LINES.SHP"));
    touch(pop);
    touch(shp);
    touch(at("LINES.DBF"));
    assert_int_equal(mkdir(at("roads"), 0700), 0);
    touch(at("roads/a.shp"));
    touch(at("health.gpkg.gz"));
    touch(at("s.yaml"));
    assert_int_equal(am_file_guard_add(&g, pop, "the population input",
                                       AM_GUARD_SIDECARS, &err),
                     AM_OK);
    assert_int_equal(
        am_file_guard_add(&g, shp, "the roads input", AM_GUARD_SIDECARS, &err),
        AM_OK);
    assert_int_equal(am_file_guard_add(&g, at("LINES.DBF"), "the roads input",
                                       AM_GUARD_COMPANION | AM_GUARD_SIDECARS,
                                       &err),
                     AM_OK);
    assert_int_equal(am_file_guard_add(&g, at("roads"), "the facilities",
                                       AM_GUARD_SIDECARS, &err),
                     AM_OK);
    snprintf(v, sizeof v, "/vsigzip/%s", at("health.gpkg.gz"));
    assert_int_equal(am_file_guard_add(&g, v, "set 'h'", 0, &err), AM_OK);
    assert_int_equal(
        am_file_guard_add(&g, "/vsimem/x.tif", "mem", AM_GUARD_SIDECARS, &err),
        AM_OK);
    assert_int_equal(
        am_file_guard_add(&g, at("s.yaml"), "the scenario", 0, &err), AM_OK);

    /* the inputs themselves, under any name */
    assert_int_equal(am_file_guard_check(&g, pop, &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "the output is the population input"));
    assert_int_equal(link(pop, at("hard.h5")), 0);
    assert_int_equal(am_file_guard_check(&g, at("hard.h5"), &err), AM_ERR_IO);
    assert_int_equal(symlink(pop, at("sym.h5")), 0);
    assert_int_equal(am_file_guard_check(&g, at("sym.h5"), &err), AM_ERR_IO);
    assert_int_equal(am_file_guard_check(&g, at("health.gpkg.gz"), &err),
                     AM_ERR_IO);
    assert_int_equal(am_file_guard_check(&g, at("s.yaml"), &err), AM_ERR_IO);
    /* a part GDAL read with it */
    assert_int_equal(am_file_guard_check(&g, at("LINES.DBF"), &err), AM_ERR_IO);
    assert_non_null(strstr(err.msg, "a file GDAL reads with the roads input"));
    /* side-cars that do not exist yet, in any case */
    const char *names[] = {"pop.tif.aux.xml", "POP.TIF.AUX.XML", "pop.tfw",
                           "pop.wld",         "pop.aux",         "pop.tifw",
                           "LINES.dbf",       "lines.cpg",       "LINES.shx",
                           "LINES.SHP.xml",   "roads/new.h5",    NULL};
    for (int i = 0; names[i] != NULL; i++) {
        assert_int_equal(am_file_guard_check(&g, at(names[i]), &err),
                         AM_ERR_IO);
    }
    assert_non_null(
        strstr(err.msg, "inside the folder that is the facilities"));
    /* not the scenario's side-cars (none asked), nor unrelated names */
    assert_int_equal(am_file_guard_check(&g, at("s.yaml.aux.xml"), &err),
                     AM_OK);
    assert_int_equal(am_file_guard_check(&g, at("out.h5"), &err), AM_OK);
    assert_int_equal(am_file_guard_check(&g, at("pop2.tif"), &err), AM_OK);
    assert_int_equal(am_file_guard_check(NULL, pop, &err), AM_OK);

    /* the same through a held folder */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    assert_int_equal(am_file_guard_check_at(&g, dfd, "pop.tif", "x", &err),
                     AM_ERR_IO);
    assert_int_equal(
        am_file_guard_check_at(&g, dfd, "Pop.Tif.Aux.Xml", "x", &err),
        AM_ERR_IO);
    assert_int_equal(am_file_guard_check_at(&g, dfd, "out.h5", "x", &err),
                     AM_OK);
    close(dfd);
    am_file_guard_free(&g);
    assert_int_equal(g.n, 0);
    am_file_guard_free(NULL);
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
        cmocka_unit_test_setup_teardown(test_temp_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_not_replaceable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_guard, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
