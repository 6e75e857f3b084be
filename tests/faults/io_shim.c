/*
 * io_shim.c: an LD_PRELOAD library that makes chosen output calls fail, for
 * the I/O fault-injection test (tests/faults/io_faults.sh, issue 13).
 *
 * Why: every output of accessim is written under a temporary name and
 * renamed when complete (common/atomic_file.h). That promise (a failed
 * write, sync, close or rename gives an error naming the output, leaves no
 * temporary and keeps an older output intact) is only believable if each of
 * those calls is made to fail, one at a time, in a real run of the CLI.
 *
 * Which calls: those that change a file's content or name. write, pwrite,
 * pwrite64, writev, pwritev, fsync, fdatasync, ftruncate, ftruncate64,
 * fallocate, fallocate64, posix_fallocate and close on a descriptor that
 * is a regular file open for writing whose path (read back from
 * /proc/self/fd) lies under IOSHIM_PREFIX; rename, renameat and renameat2
 * when either name lies under it. Our writers and libhdf5's sec2 driver
 * call these through the dynamic linker (strace shows write, pwrite64,
 * fsync, close, renameat, ftruncate); glibc's stdio calls its own internal
 * write and is not seen (no output goes through stdio).
 *
 * Environment:
 *   IOSHIM_PREFIX   absolute folder; nothing is counted when unset
 *   IOSHIM_FAIL_AT  the matching call (1-based, all kinds counted together)
 *                   that fails; 0 or unset: none
 *   IOSHIM_FAIL_ALL 1: every matching call from IOSHIM_FAIL_AT on fails
 *   IOSHIM_ERRNO    EIO (default), ENOSPC, EDQUOT or a number
 *   IOSHIM_LOG      file appended with one line per matching call:
 *                   "<n> <call> <path> <ok|FAIL>"
 *
 * A failed close really closes the descriptor (as Linux does when close
 * reports EIO); a failed write writes nothing; a failed rename renames
 * nothing. Test code only: plain C and libc, not the project's allocator.
 */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static unsigned long shim_count; /* matching calls so far */

/* Files written through the shim (device, inode): a close counts only for
 * them, since closing a file nothing was written to cannot lose data (the
 * output checks' probe files, libhdf5 reopening the temporary). */
#define DIRTY_MAX 64
static struct {
    dev_t dev;
    ino_t ino;
} dirty[DIRTY_MAX];
static int n_dirty;

static int dirty_find(int fd, int add)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return 0;
    for (int i = 0; i < n_dirty; i++)
        if (dirty[i].dev == st.st_dev && dirty[i].ino == st.st_ino)
            return 1;
    if (add && n_dirty < DIRTY_MAX) {
        dirty[n_dirty].dev = st.st_dev;
        dirty[n_dirty].ino = st.st_ino;
        n_dirty++;
    }
    return 0;
}

static const char *prefix(void)
{
    const char *p = getenv("IOSHIM_PREFIX");
    return p != NULL && p[0] == '/' ? p : NULL;
}

static int under(const char *path)
{
    const char *p = prefix();
    if (p == NULL || path == NULL)
        return 0;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    return strncmp(path, p, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* The path of fd when it is a regular file open for writing, else 0. */
static int fd_path(int fd, char *buf, size_t cap)
{
    struct stat st;
    int fl = (int)syscall(SYS_fcntl, fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || fstat(fd, &st) != 0 ||
        !S_ISREG(st.st_mode))
        return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t k = readlink(link, buf, cap - 1);
    if (k <= 0)
        return 0;
    buf[k] = '\0';
    return 1;
}

/* name, resolved against dirfd (AT_FDCWD: the current folder). */
static void at_path(int dirfd, const char *name, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (name == NULL)
        return;
    if (name[0] == '/') {
        snprintf(buf, cap, "%s", name);
        return;
    }
    char dir[PATH_MAX];
    if (dirfd == AT_FDCWD) {
        if (getcwd(dir, sizeof dir) == NULL)
            return;
    } else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t k = readlink(link, dir, sizeof dir - 1);
        if (k <= 0)
            return;
        dir[k] = '\0';
    }
    if (snprintf(buf, cap, "%s/%s", dir, name) >= (int)cap)
        buf[0] = '\0'; /* too long to be under the prefix as given */
}

static int shim_errno(void)
{
    const char *e = getenv("IOSHIM_ERRNO");
    if (e == NULL || strcmp(e, "EIO") == 0)
        return EIO;
    if (strcmp(e, "ENOSPC") == 0)
        return ENOSPC;
    if (strcmp(e, "EDQUOT") == 0)
        return EDQUOT;
    int v = atoi(e);
    return v > 0 ? v : EIO;
}

/* Counts a matching call; 1 when it is to fail (errno is then set). */
static int decide(const char *call, const char *path)
{
    unsigned long n = __atomic_add_fetch(&shim_count, 1, __ATOMIC_SEQ_CST);
    const char *at = getenv("IOSHIM_FAIL_AT");
    unsigned long k = at != NULL ? strtoul(at, NULL, 10) : 0;
    const char *all = getenv("IOSHIM_FAIL_ALL");
    int fail = k > 0 && (n == k || (n > k && all != NULL && all[0] == '1'));
    const char *log = getenv("IOSHIM_LOG");
    if (log != NULL && log[0] != '\0') {
        char line[PATH_MAX + 96];
        int len = snprintf(line, sizeof line, "%lu %s %s %s\n", n, call, path,
                           fail ? "FAIL" : "ok");
        int lfd = (int)syscall(SYS_open, log,
                               O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (lfd >= 0) {
            if (len > (int)sizeof line - 1)
                len = (int)sizeof line - 1;
            (void)syscall(SYS_write, lfd, line, (size_t)len);
            (void)syscall(SYS_close, lfd);
        }
    }
    return fail;
}

static int fd_fails(const char *call, int fd)
{
    char path[PATH_MAX];
    if (prefix() == NULL || !fd_path(fd, path, sizeof path) || !under(path))
        return 0;
    int is_close = strcmp(call, "close") == 0;
    if (is_close ? !dirty_find(fd, 0) : 0)
        return 0;
    if (!is_close)
        dirty_find(fd, 1);
    return decide(call, path);
}

static int names_fail(const char *call, int d1, const char *a, int d2,
                      const char *b)
{
    char pa[PATH_MAX], pb[PATH_MAX];
    if (prefix() == NULL)
        return 0;
    at_path(d1, a, pa, sizeof pa);
    at_path(d2, b, pb, sizeof pb);
    if (!under(pa) && !under(pb))
        return 0;
    return decide(call, under(pb) ? pb : pa);
}

#define REAL(name)                                                             \
    static __typeof__(name) *real_##name;                                      \
    if (real_##name == NULL)                                                   \
        real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(write);
    if (fd_fails("write", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(pwrite);
    if (fd_fails("pwrite", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    REAL(pwrite64);
    if (fd_fails("pwrite", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    REAL(writev);
    if (fd_fails("writev", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    REAL(pwritev);
    if (fd_fails("pwritev", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_pwritev(fd, iov, cnt, off);
}

int fsync(int fd)
{
    REAL(fsync);
    if (fd_fails("fsync", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    REAL(fdatasync);
    if (fd_fails("fdatasync", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_fdatasync(fd);
}

int ftruncate(int fd, off_t len)
{
    REAL(ftruncate);
    if (fd_fails("ftruncate", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_ftruncate(fd, len);
}

int ftruncate64(int fd, off64_t len)
{
    REAL(ftruncate64);
    if (fd_fails("ftruncate", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_ftruncate64(fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
    REAL(fallocate);
    if (fd_fails("fallocate", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_fallocate(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
    REAL(fallocate64);
    if (fd_fails("fallocate", fd)) {
        errno = shim_errno();
        return -1;
    }
    return real_fallocate64(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
    REAL(posix_fallocate);
    if (fd_fails("posix_fallocate", fd))
        return shim_errno(); /* returns the error, errno untouched */
    return real_posix_fallocate(fd, off, len);
}

int close(int fd)
{
    REAL(close);
    if (fd_fails("close", fd)) {
        int e = shim_errno();
        real_close(fd); /* Linux releases the descriptor even on EIO */
        errno = e;
        return -1;
    }
    return real_close(fd);
}

int rename(const char *a, const char *b)
{
    REAL(rename);
    if (names_fail("rename", AT_FDCWD, a, AT_FDCWD, b)) {
        errno = shim_errno();
        return -1;
    }
    return real_rename(a, b);
}

int renameat(int d1, const char *a, int d2, const char *b)
{
    REAL(renameat);
    if (names_fail("renameat", d1, a, d2, b)) {
        errno = shim_errno();
        return -1;
    }
    return real_renameat(d1, a, d2, b);
}

int renameat2(int d1, const char *a, int d2, const char *b, unsigned flags)
{
    REAL(renameat2);
    if (names_fail("renameat2", d1, a, d2, b)) {
        errno = shim_errno();
        return -1;
    }
    return real_renameat2(d1, a, d2, b, flags);
}
