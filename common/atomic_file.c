/*
 * atomic_file.c: write under a locked temporary, rename when complete (see
 * atomic_file.h). Moved here from the HDF5 writer so that every file the
 * engine writes follows the same discipline.
 */
#include "common/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/strutil.h"

static void remove_stale_backups(const am_atomic_file *f);

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
    remove_stale_backups(f);
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

am_status am_atomic_sync(am_atomic_file *f, am_error *err)
{
    /* data on disk before the name points at it */
    if (fsync(f->fd) != 0)
        return am_error_set(err, AM_ERR_IO, f->final_path,
                            "cannot sync temporary file '%s': %s", f->tmp_path,
                            am_write_strerror(errno));
    /* a network file system reports a failed write back at close: a
     * duplicate is closed (checked), f->fd keeps the lock */
    int d = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0 || close(d) != 0)
        return am_error_set(err, AM_ERR_IO, f->final_path,
                            "cannot close temporary file '%s': %s", f->tmp_path,
                            am_write_strerror(errno));
    return AM_OK;
}

/* "<dir>/.<base>.old-<pid>" as a name inside f's folder; NULL: no memory */
static char *backup_base(const am_atomic_file *f)
{
    size_t n = strlen(f->final_base) + 32;
    char *b = am_malloc(n);
    if (b != NULL)
        snprintf(b, n, ".%s.old-%ld", f->final_base, (long)getpid());
    return b;
}

/*
 * Removes the backups "<dir>/.<base>.old-<pid>" of commits that were killed
 * between linking and unlinking them (their pid is gone). The rename
 * already happened or never did: the backup is a second name of an older
 * output, never the only one.
 */
static void remove_stale_backups(const am_atomic_file *f)
{
    size_t bl = strlen(f->final_base);
    int d = openat(f->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = d >= 0 ? fdopendir(d) : NULL;
    if (dir == NULL) {
        if (d >= 0)
            close(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        const char *n = e->d_name;
        char *end = NULL;
        if (n[0] != '.' || strncmp(n + 1, f->final_base, bl) != 0 ||
            strncmp(n + 1 + bl, ".old-", 5) != 0)
            continue;
        long pid = strtol(n + 1 + bl + 5, &end, 10);
        if (end == n + 1 + bl + 5 || *end != '\0' || pid <= 0 ||
            pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        unlinkat(f->dir_fd, n, 0);
    }
    closedir(dir);
}

am_status am_atomic_commit_all(am_atomic_file *const *files, size_t n,
                               am_error *err)
{
    am_status rc = AM_OK;
    size_t done = 0;      /* renamed so far */
    char **backup = NULL; /* per file: the older output's second name */
    if (n > 1 && (backup = am_calloc(n, sizeof *backup)) == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, files[0]->final_path,
                          "out of memory");
    /* every file on disk before any is renamed */
    for (size_t i = 0; rc == AM_OK && i < n; i++)
        rc = am_atomic_sync(files[i], err);
    for (; rc == AM_OK && done < n; done++) {
        am_atomic_file *f = files[done];
        struct stat st;
        /* more than one: the older output kept under a second name until
           all are renamed, so that a failed rename can put it back */
        if (backup != NULL &&
            fstatat(f->dir_fd, f->final_base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode)) {
            if ((backup[done] = backup_base(f)) == NULL) {
                rc = am_error_set(err, AM_ERR_NOMEM, f->final_path,
                                  "out of memory");
                break;
            }
            unlinkat(f->dir_fd, backup[done], 0);
            if (linkat(f->dir_fd, f->final_base, f->dir_fd, backup[done], 0) !=
                0) {
                rc = am_error_set(err, AM_ERR_IO, f->final_path,
                                  "cannot keep the older output under '%s' "
                                  "while the outputs are renamed: %s",
                                  backup[done], strerror(errno));
                am_free(backup[done]);
                backup[done] = NULL;
                break;
            }
        }
        if ((rc = am_atomic_rename(f, err)) != AM_OK)
            break;
    }
    /* a failure: the files renamed before are put back (older outputs
       restored, new ones removed), so the set appears whole or not at all */
    if (rc != AM_OK) {
        for (size_t j = done; j-- > 0;) {
            am_atomic_file *f = files[j];
            int undone = backup[j] != NULL
                             ? renameat(f->dir_fd, backup[j], f->dir_fd,
                                        f->final_base) == 0
                             : unlinkat(f->dir_fd, f->final_base, 0) == 0;
            if (!undone && err != NULL) {
                char first[sizeof err->msg];
                snprintf(first, sizeof first, "%s", err->msg);
                am_error_set(err, rc, files[done]->final_path,
                             "%s; and '%s', renamed before, could not be "
                             "put back: %s",
                             first, f->final_path, strerror(errno));
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (backup != NULL && backup[i] != NULL) {
            unlinkat(files[i]->dir_fd, backup[i], 0);
            am_free(backup[i]);
        }
        if (rc != AM_OK)
            am_atomic_discard(files[i]);
        am_atomic_close(files[i]);
    }
    am_free(backup);
    return rc;
}

am_status am_atomic_commit(am_atomic_file *f, am_error *err)
{
    return am_atomic_commit_all(&f, 1, err);
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
