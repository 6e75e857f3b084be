/*
 * file_check.h: what a path names, checked before it is opened or written.
 *
 * Why: a reader handed a FIFO blocks forever, a device may never end, and a
 * writer that renames its result onto a path replaces whatever is there,
 * be it an input of the same run or /dev/null. These checks run before any
 * heavy work (engine preflight) and again where files are opened (GDAL
 * boundary, scenario reader, HDF5 writer), so a library user who skips the
 * engine gets the same protection.
 *
 * GDAL virtual paths ("/vsizip/...", "/vsicurl/...") are not plain file
 * names: input checks leave them to GDAL, but the archive behind one is
 * still an input that an output must not replace (am_path_backing_file).
 *
 * The writer's temporary file is "<dir>/.<base>.tmp-<pid>" (am_temp_path);
 * the name is defined here so that the output check can tell whether it
 * fits the filesystem, and stale ones can be found after a crash.
 *
 * POSIX only (stat, access, pathconf, kill). No allocation unless stated.
 * Thread-safe (no state).
 */
#ifndef AM_FILE_CHECK_H
#define AM_FILE_CHECK_H

#include <stddef.h>

#include "common/error.h"

/* Whether path is a GDAL virtual file system path ("/vsi<name>/..."). */
int am_path_is_virtual(const char *path);

/*
 * Checks that an input can be opened without blocking: it exists and is a
 * regular file, or a directory when allow_dir (a folder of shapefiles),
 * symlinks followed. Virtual paths pass unchecked. AM_ERR_IO naming path:
 * missing or unreadable ("cannot open: ..."), or a FIFO, device or socket.
 */
am_status am_file_check_input(const char *path, int allow_dir, am_error *err);

/*
 * Checks where an output will go, before anything is computed:
 *  - the path names a file (it does not end in '/'), fits PATH_MAX, and the
 *    file name and the writer's temporary name both fit the folder's
 *    NAME_MAX;
 *  - the folder exists, is a folder, and files can be created in it
 *    (access W_OK | X_OK: permissions and read-only mounts; then the
 *    writer's temporary name is created and removed at once, for what
 *    permission bits do not tell: root, ACLs, /proc);
 *  - an existing file at the path is a regular file (symlinks followed):
 *    never a directory, device, FIFO or socket, which the writer's rename
 *    would replace.
 * AM_ERR_IO naming path with the reason.
 */
am_status am_file_check_output(const char *path, am_error *err);

/*
 * Whether a and b name the same file: the same device and inode when both
 * exist (symlinks and hard links followed), else the same canonical path
 * (folder resolved, then the name). 0 for NULL.
 */
int am_file_same(const char *a, const char *b);

/*
 * The regular file behind a GDAL virtual path, written into buf[n]:
 * "/vsizip/data/a.zip/x.shp" -> "data/a.zip", "/vsigzip/{b.gz}" -> "b.gz".
 * Returns buf, or NULL when path is not virtual or names no local file
 * (/vsicurl/, /vsimem/, ...).
 */
char *am_path_backing_file(const char *path, char *buf, size_t n);

/*
 * The writer's temporary name for final_path and process pid,
 * "<dir>/.<base>.tmp-<pid>", as a heap string (am_free()). NULL when out of
 * memory or final_path has no file name.
 */
char *am_temp_path(const char *final_path, long pid);

/*
 * Removes the stale temporaries of final_path: regular files
 * "<dir>/.<base>.tmp-<pid>" left by processes that no longer exist
 * (kill(pid, 0) fails with ESRCH). Never the current process's, never a
 * live process's (a run writing the same output right now). Best effort:
 * returns the number removed.
 */
int am_temp_remove_stale(const char *final_path);

#endif /* AM_FILE_CHECK_H */
