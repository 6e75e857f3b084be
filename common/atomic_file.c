/*
 * atomic_file.c: write under a locked temporary, rename when complete (see
 * atomic_file.h). Moved here from the HDF5 writer so that every file the
 * engine writes follows the same discipline.
 */
#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/strutil.h"

static void atomic_reset(am_atomic_file *f)
{
    memset(f, 0, sizeof *f);
    f->dir_fd = -1;
    f->fd = -1;
}

/* f->tmp_path, f->dir_path and the base names for f->final_path. */
static am_status atomic_names(am_atomic_file *f, am_error *err)
{
    const char *final_path = f->final_path;
    /* "<dir>/.<base>.tmp-<pid>": same directory, so rename() is atomic */
    f->tmp_path = am_temp_path(final_path, (long)getpid());
    if (f->tmp_path == NULL)
        return am_error_set(err, AM_ERR_NOMEM, final_path, "out of memory");
    const char *slash = strrchr(final_path, '/');
    size_t dl = slash == NULL ? 0 : (size_t)(slash - final_path);
    f->final_base = slash != NULL ? slash + 1 : final_path;
    f->tmp_base = strrchr(f->tmp_path, '/') != NULL
                      ? strrchr(f->tmp_path, '/') + 1
                      : f->tmp_path;
    f->dir_path = slash == NULL ? am_strdup(".")
                  : dl == 0     ? am_strdup("/")
                                : am_strdup(final_path);
    if (f->dir_path != NULL && slash != NULL && dl > 0)
        f->dir_path[dl] = '\0'; /* the folder: the path up to its last '/' */
    if (f->dir_path == NULL)
        return am_error_set(err, AM_ERR_NOMEM, final_path, "out of memory");
    return AM_OK;
}

am_status am_atomic_open(const char *final_path, am_atomic_file *f,
                         am_error *err)
{
    am_status rc;
    atomic_reset(f);
    if (final_path == NULL || final_path[0] == '\0')
        return am_error_set(err, AM_ERR_INVALID, final_path,
                            "no output path given");
    if ((f->final_path = am_strdup(final_path)) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, final_path, "out of memory");
    /* Never write towards a directory, device or FIFO (the rename would
     * replace it), nor into a folder we cannot use. */
    if ((rc = am_file_check_output(final_path, err)) != AM_OK ||
        (rc = atomic_names(f, err)) != AM_OK)
        return rc;
    /* temporaries of runs that were killed (SIGKILL, power loss): those
     * whose writer's lock is free; then create ours exclusively (one left
     * with our own pid is removed if stale, a live one is an error); its
     * lock, held until the rename or the discard, tells others it is live */
    am_temp_remove_stale(final_path);
    if ((rc = am_temp_create(f->tmp_path, final_path, &f->fd, err)) != AM_OK)
        return rc;
    /* the folder is held from now on: the rename goes into this one */
    f->dir_fd = open(f->dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat held, made;
    if (f->dir_fd < 0 ||
        fstatat(f->dir_fd, f->tmp_base, &made, AT_SYMLINK_NOFOLLOW) != 0 ||
        fstat(f->fd, &held) != 0 || made.st_dev != held.st_dev ||
        made.st_ino != held.st_ino) {
        rc = am_error_set(
            err, AM_ERR_IO, final_path,
            "cannot create output file (temporary '%s'): %s", f->tmp_path,
            f->dir_fd < 0 ? strerror(errno)
                          : "the output folder changed meanwhile");
        am_atomic_discard(f);
        return rc;
    }
    return AM_OK;
}

am_status am_atomic_write(am_atomic_file *f, const void *p, size_t n,
                          am_error *err)
{
    const char *b = p;
    size_t done = 0;
    while (done < n) {
        size_t step = n - done < ((size_t)1 << 20) ? n - done : (size_t)1 << 20;
        ssize_t k = write(f->fd, b + done, step);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return am_error_set(
                err, AM_ERR_IO, f->final_path,
                "cannot write temporary file '%s': %s", f->tmp_path,
                k < 0 ? am_write_strerror(errno) : "nothing written");
        done += (size_t)k;
    }
    return AM_OK;
}

am_status am_atomic_rename(am_atomic_file *f, am_error *err)
{
    struct stat now, held, st;
    if (stat(f->dir_path, &now) != 0 || fstat(f->dir_fd, &held) != 0 ||
        now.st_dev != held.st_dev || now.st_ino != held.st_ino)
        return am_error_set(err, AM_ERR_IO, f->final_path,
                            "the output folder '%s' was replaced during the "
                            "run (it no longer names the folder the result "
                            "was written in): refusing to rename the result",
                            f->dir_path);
    int exists = fstatat(f->dir_fd, f->final_base, &st, 0) == 0;
    if (exists && !S_ISREG(st.st_mode))
        return am_error_set(err, AM_ERR_IO, f->final_path,
                            "output is no longer a regular file: refusing to "
                            "rename the result onto it");
    am_status rc = am_file_guard_check_at(f->protect, f->dir_fd, f->final_base,
                                          f->final_path, err);
    if (rc != AM_OK)
        return rc;
    /* a read-only (0444) output stays read-only */
    if (exists && fchmod(f->fd, st.st_mode & 0777) != 0)
        return am_error_set(err, AM_ERR_IO, f->final_path,
                            "cannot give the result the permissions of the "
                            "output it replaces: %s",
                            strerror(errno));
    if (renameat(f->dir_fd, f->tmp_base, f->dir_fd, f->final_base) != 0)
        return am_error_set(err, AM_ERR_IO, f->final_path,
                            "cannot rename '%s' onto the output: %s",
                            f->tmp_path, strerror(errno));
    return AM_OK;
}

am_status am_atomic_commit(am_atomic_file *f, am_error *err)
{
    am_status rc = AM_OK;
    /* data on disk before the name points at it */
    if (fsync(f->fd) != 0)
        rc = am_error_set(err, AM_ERR_IO, f->final_path,
                          "cannot sync temporary file '%s': %s", f->tmp_path,
                          am_write_strerror(errno));
    if (rc == AM_OK)
        rc = am_atomic_rename(f, err);
    if (rc != AM_OK)
        am_atomic_discard(f);
    am_atomic_close(f);
    return rc;
}

void am_atomic_discard(am_atomic_file *f)
{
    if (f->tmp_path == NULL || f->fd < 0)
        return;
    if (f->dir_fd >= 0)
        unlinkat(f->dir_fd, f->tmp_base, 0);
    else
        unlink(f->tmp_path);
}

void am_atomic_close(am_atomic_file *f)
{
    if (f->dir_fd >= 0)
        close(f->dir_fd);
    if (f->fd >= 0)
        close(f->fd);
    am_free(f->dir_path);
    am_free(f->final_path);
    am_free(f->tmp_path);
    atomic_reset(f);
}
