/*
 * atomic_file.h: a file that appears at its final path only when complete.
 *
 * Why: an output (the HDF5 results, a prepared-graph cache) must never be
 * seen half written, and a failed or interrupted write must leave an
 * older file at that path as it was. The file is written under the
 * temporary name of common/file_check.h ("<dir>/.<base>.tmp-<pid>",
 * created exclusively and locked, so a stale one is told by its free
 * lock), in the final path's folder, which is held open from open to
 * rename; the rename goes into that folder after checking that the path
 * still names it, that what is at the final name is a regular file and
 * none of the protected files (am_file_guard). The result gets the
 * permission bits of the file it replaces.
 *
 * Users: every file the CLI writes: outputs/h5_writer.c (the HDF5 image,
 * committed with the side CSVs of the same command), outputs/zone_csv.c,
 * outputs/results_file.c (equity and referral CSVs), engine/compare.c and
 * engine/graph_cache.c. Every commit goes through am_atomic_commit_all.
 * POSIX; no state beyond the struct; one thread per file.
 */
#ifndef AM_ATOMIC_FILE_H
#define AM_ATOMIC_FILE_H

#include <stddef.h>

#include "common/error.h"
#include "common/file_check.h"

typedef struct am_atomic_file {
    char *final_path;             /* as given (messages, checks) */
    char *tmp_path;               /* am_temp_path(final_path, pid) */
    const char *final_base;       /* names inside the folder (in the */
    const char *tmp_base;         /* paths above) */
    char *dir_path;               /* the folder as given */
    int dir_fd;                   /* ... held open from open to rename */
    int fd;                       /* the temporary, open for writing; holds
                                     its lock (flock) until closed */
    const am_file_guard *protect; /* borrowed; may be NULL */
} am_atomic_file;

/* A file not opened yet, safe to pass to am_atomic_close (a zeroed struct
 * is not: its descriptors would read as 0, standard input). */
#define AM_ATOMIC_FILE_INIT                                                    \
    {                                                                          \
        .dir_fd = -1, .fd = -1                                                 \
    }

/*
 * Checks final_path as an output (am_file_check_output), removes its stale
 * temporaries, creates and locks the temporary and holds the folder.
 * f is filled on every path (am_atomic_close frees it). AM_ERR_IO naming
 * final_path, AM_ERR_NOMEM.
 */
am_status am_atomic_open(const char *final_path, am_atomic_file *f,
                         am_error *err);

/* Writes n bytes at the temporary's end (retrying short writes and
 * EINTR). AM_ERR_IO naming the final path (a full disk). */
am_status am_atomic_write(am_atomic_file *f, const void *p, size_t n,
                          am_error *err);

/*
 * The checks right before the rename (folder unchanged, the final name a
 * regular file or nothing, none of f->protect), then the permission bits
 * of the file replaced on the temporary, then the rename. The caller has
 * synced the temporary. AM_ERR_IO naming the final path.
 */
am_status am_atomic_rename(am_atomic_file *f, am_error *err);

/*
 * The temporary's data on disk: fsync, then a checked close of a duplicate
 * of f->fd (a network file system reports a failed write back there; the
 * lock stays with f->fd). AM_ERR_IO naming the final path and the
 * temporary ("cannot sync", "cannot close").
 */
am_status am_atomic_sync(am_atomic_file *f, am_error *err);

/*
 * The one commit of every output, alone or with others written by the same
 * command (the HDF5 results and their CSVs): every file synced
 * (am_atomic_sync), then each renamed (am_atomic_rename). With more than
 * one, the older output at each final name is kept under a second name
 * ("<dir>/.<base>.old-<pid>", a hard link) until all are renamed; when a
 * sync or rename fails, the files renamed before are put back (the older
 * outputs restored, new ones removed), so that the set appears whole or
 * not at all. On every path the temporaries are removed (failure) and each
 * file closed (as from AM_ATOMIC_FILE_INIT after: a later discard or close
 * does nothing). Closing the descriptors after the renames is not checked:
 * the data was synced and a duplicate closed before. AM_ERR_IO naming the
 * final path of the file that failed; AM_ERR_NOMEM.
 */
am_status am_atomic_commit_all(am_atomic_file *const *files, size_t n,
                               am_error *err);

/* am_atomic_commit_all of f alone: the whole commit of a file written with
 * am_atomic_write. */
am_status am_atomic_commit(am_atomic_file *f, am_error *err);

/* Removes the temporary (in the held folder, while its lock is held). */
void am_atomic_discard(am_atomic_file *f);

/* Closes the folder and, last, the temporary's lock; frees the names.
 * Accepts an f from AM_ATOMIC_FILE_INIT or partly opened; f is as from
 * AM_ATOMIC_FILE_INIT after. */
void am_atomic_close(am_atomic_file *f);

#endif /* AM_ATOMIC_FILE_H */
