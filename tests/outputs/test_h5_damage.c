/*
 * test_h5_damage.c: results files damaged byte by byte are read without a
 * crash (outputs/h5_reader.h, outputs/h5_probe.h). A fixture file (written
 * through the writer, plus a group of 40 datasets so that its links are in
 * dense storage, as in a real output) is damaged for many seeds: k random
 * bytes (1..64) over the superblock, the last 10 %, an object header or
 * anywhere. Each damaged copy must either read whole (am_h5r_open, then
 * am_h5r_read_everything) or fail with an error naming the file; the test
 * process crashing is the failure this guards against. The same copy is
 * also read unguarded in a child, to count how often libhdf5 itself dies
 * (printed, not asserted: it depends on the libhdf5 build).
 *
 * Under ASan, libhdf5's own leaks on a damaged file's error paths are
 * suppressed (lsan_hdf5.supp); ours are not.
 *
 * AM_DAMAGE_FILE=path.h5 damages that file instead (a real output, e.g.
 * the Comoros demo's); AM_DAMAGE_SEEDS=n sets the number of seeds (150).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "common/alloc.h"
#include "fixture.h"
#include "outputs/h5_probe.h"
#include "outputs/h5_reader.h"

static uint64_t next_u64(uint64_t *s)
{
    /* splitmix64 (Steele, Lea, Flood 2014) */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    assert_true(size > 0);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)size);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return b;
}

static void spill(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Object header addresses of the file (H5Ovisit), for aimed damage. */
typedef struct addrs {
    haddr_t a[512];
    int n;
} addrs;

static herr_t visit_cb(hid_t o, const char *name, const H5O_info_t *info,
                       void *data)
{
    (void)o;
    (void)name;
    addrs *ad = data;
    if (ad->n < 512)
        ad->a[ad->n++] = info->addr;
    return 0;
}

/* The fixture plus /many: 40 small datasets, creation order tracked and
 * indexed as the writer's groups are (dense link storage). */
static void write_file(const char *path)
{
    am_error err;
    assert_int_equal(fixture_write(path, FIXTURE_UTM38S, &err), AM_OK);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_link_creation_order(gcpl,
                               H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t g = H5Gcreate2(f, "/many", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    assert_true(g >= 0);
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "column_%02d", i);
        hsize_t dim = 5;
        double v[5] = {i, i + 1, i + 2, i + 3, i + 4};
        hid_t sp = H5Screate_simple(1, &dim, NULL);
        hid_t d = H5Dcreate2(g, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT);
        assert_true(d >= 0);
        assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                             H5P_DEFAULT, v) >= 0);
        H5Dclose(d);
        H5Sclose(sp);
    }
    H5Gclose(g);
    H5Pclose(gcpl);
    H5Fclose(f);
}

/* Reads path whole through the reader; AM_OK or the error. */
static am_status read_whole(const char *path, int probed, am_error *err)
{
    am_h5r *r = NULL;
    am_status rc = probed ? am_h5r_open(path, &r, err)
                          : am_h5r_open_unprobed(path, &r, err);
    if (rc == AM_OK) {
        rc = am_h5r_read_everything(r, err);
        am_h5r_close(r);
    }
    return rc;
}

static void test_damage_loop(void **state)
{
    (void)state;
    char dir[1024], good[1100], bad[1100];
    snprintf(dir, sizeof dir, "%s/test_h5_damage.XXXXXX", AM_BINARY_DIR);
    assert_non_null(mkdtemp(dir));
    const char *given = getenv("AM_DAMAGE_FILE");
    if (given != NULL && given[0] != '\0') {
        snprintf(good, sizeof good, "%s", given);
    } else {
        snprintf(good, sizeof good, "%s/good.h5", dir);
        write_file(good);
    }
    const char *ns = getenv("AM_DAMAGE_SEEDS");
    int seeds = ns != NULL && atoi(ns) > 0 ? atoi(ns) : 150;

    am_error err;
    assert_int_equal(read_whole(good, 1, &err), AM_OK);
    size_t n = 0;
    unsigned char *orig = slurp(good, &n);
    unsigned char *copy = malloc(n);
    assert_non_null(copy);
    addrs ad = {{0}, 0};
    hid_t f = H5Fopen(good, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, visit_cb, &ad) >= 0);
    H5Fclose(f);
    assert_true(ad.n > 40);

    int ok = 0, failed = 0, crashed_raw = 0, failed_raw = 0, probe_caught = 0;
    for (int s = 1; s <= seeds; s++) {
        uint64_t st = (uint64_t)s * 7919u;
        memcpy(copy, orig, n);
        size_t k = 1 + next_u64(&st) % 64, off = 0;
        switch (next_u64(&st) % 4) {
        case 0:
            off = next_u64(&st) % 512;
            break;
        case 1:
            off = n - n / 10 + next_u64(&st) % (n / 10);
            break;
        case 2:
            off = (size_t)ad.a[next_u64(&st) % (uint64_t)ad.n] +
                  next_u64(&st) % 256;
            break;
        default:
            off = next_u64(&st) % n;
            break;
        }
        if (off >= n)
            off = n - 1;
        if (off + k > n)
            k = n - off;
        for (size_t i = 0; i < k; i++)
            copy[off + i] = (unsigned char)next_u64(&st);
        /* a new file each time: libhdf5 keeps a file it could not close
         * (damaged) open, and would take the next one at the same inode
         * for it */
        snprintf(bad, sizeof bad, "%s/damaged_%d.h5", dir, s);
        spill(bad, copy, n);
        if (getenv("AM_DAMAGE_VERBOSE") != NULL)
            fprintf(stderr, "seed %d: %zu bytes at %zu\n", s, k, off);

        /* unguarded, in a child: does libhdf5 itself die on this one? */
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            am_error e;
            _exit(read_whole(bad, 0, &e) == AM_OK ? 0 : 3);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        int raw_crash = !WIFEXITED(status) ||
                        (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3);
        crashed_raw += raw_crash;
        if (raw_crash && getenv("AM_DAMAGE_VERBOSE") != NULL)
            fprintf(stderr, "seed %d: libhdf5 dies unguarded (%s %d)\n", s,
                    WIFSIGNALED(status) ? "signal" : "exit",
                    WIFSIGNALED(status) ? WTERMSIG(status)
                                        : WEXITSTATUS(status));
        failed_raw += WIFEXITED(status) && WEXITSTATUS(status) == 3;

        /* guarded: the reader's own path, in this process */
        am_error_clear(&err);
        am_status rc = read_whole(bad, 1, &err);
        if (rc == AM_OK) {
            ok++;
        } else {
            failed++;
            if (strcmp(err.file, bad) != 0 || err.msg[0] == '\0')
                fail_msg("seed %d (offset %zu, %zu bytes): error without the "
                         "file's name: '%s' '%s'",
                         s, off, k, err.file, err.msg);
            if (strstr(err.msg, "HDF5 library failed") != NULL)
                probe_caught++;
        }
        unlink(bad);
        if (raw_crash && rc == AM_OK)
            fail_msg("seed %d: libhdf5 crashed unguarded, yet the guarded "
                     "read succeeded",
                     s);
    }
    printf("%d seeds on %s (%zu bytes): %d read whole, %d refused with an "
           "error naming the file (%d of them by the probe); unguarded, "
           "libhdf5 crashed on %d and failed cleanly on %d\n",
           seeds, good, n, ok, failed, probe_caught, crashed_raw, failed_raw);
    /* damage is noticed: most damaged copies must be refused or read; the
     * reads that crashed unguarded are all refused */
    assert_int_equal(ok + failed, seeds);
    assert_true(failed > 0);
    assert_true(probe_caught >= crashed_raw);
    free(copy);
    free(orig);
    if (given == NULL || given[0] == '\0')
        unlink(good);
    rmdir(dir);
}

/* ---- the probe itself ---------------------------------------------------- */

static void walk_returns(const char *path, void *ctx)
{
    (void)path;
    *(int *)ctx = 1; /* the child's copy: the parent's stays 0 */
}

static void walk_segv(const char *path, void *ctx)
{
    (void)path;
    (void)ctx;
    raise(SIGSEGV);
}

static void walk_abort(const char *path, void *ctx)
{
    (void)path;
    (void)ctx;
    _exit(1); /* what an ASan report does */
}

static void walk_interrupted(const char *path, void *ctx)
{
    (void)path;
    (void)ctx;
    raise(SIGINT);
}

static void test_probe_outcomes(void **state)
{
    (void)state;
    am_error err;
    int touched = 0;
    assert_int_equal(am_h5_probe("x.h5", walk_returns, &touched, &err), AM_OK);
    assert_int_equal(touched, 0);
    am_error_clear(&err);
    assert_int_equal(am_h5_probe("x.h5", walk_segv, NULL, &err), AM_ERR_FORMAT);
    assert_string_equal(err.file, "x.h5");
    assert_non_null(strstr(err.msg, "damaged"));
    assert_non_null(strstr(err.msg, "signal 11"));
    am_error_clear(&err);
    assert_int_equal(am_h5_probe("y.h5", walk_abort, NULL, &err),
                     AM_ERR_FORMAT);
    assert_string_equal(err.file, "y.h5");
    assert_non_null(strstr(err.msg, "exit status 1"));
    am_error_clear(&err);
    assert_int_equal(am_h5_probe("z.h5", walk_interrupted, NULL, &err),
                     AM_ERR_CANCELLED);
    assert_string_equal(err.file, "z.h5");
}

int main(void)
{
    /* as the CLI: no libhdf5 shutdown at exit (it loops after a damaged
     * file) */
    am_h5_no_exit_shutdown();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_outcomes),
        cmocka_unit_test(test_damage_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
