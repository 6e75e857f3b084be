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
 * names: input checks leave them to GDAL except for the local file behind
 * one (am_path_backing_file), which must not be a FIFO either, and which
 * is an input that an output must not replace.
 *
 * The files a run reads (each input's files as GDAL lists them, and the
 * names of side-cars GDAL would read with them next time) are kept in an
 * am_file_guard, compared by identity (device and inode, or folder and
 * name) with the output in preflight and again by the writer right before
 * its rename.
 *
 * The writer's temporary file is "<dir>/.<base>.tmp-<pid>" (am_temp_path);
 * the name is defined here so that the output check can tell whether it
 * fits the filesystem, and stale ones can be found after a crash. The pid
 * is for people; whether a temporary is stale is decided by a lock: its
 * writer holds flock(LOCK_EX) on it from create to commit or abort, and
 * the lock goes with the process, in whatever PID namespace it ran.
 *
 * POSIX and Linux (stat, access, pathconf, flock, FS_IOC_GETFLAGS). No
 * allocation unless stated. Thread-safe (no state) except the guard
 * (one builder; checks may run concurrently once it is built).
 */
#ifndef AM_FILE_CHECK_H
#define AM_FILE_CHECK_H

#include <stddef.h>

#include "common/error.h"

/* Whether path is a GDAL virtual file system path ("/vsi<name>/..."). */
int am_path_is_virtual(const char *path);

/*
 * The network file system or URL scheme path names, anywhere in it
 * ("/vsicurl/", "/vsis3/", "/vsigs/", "/vsiaz/", "/vsiadls/", "/vsioss/",
 * "/vsiswift/", "/vsiwebhdfs/", "/vsihdfs/", their _streaming variants,
 * or "scheme://" such as https:// or s3://): a static string ("/vsicurl/",
 * "https://", ...), or NULL for a local path. Nested paths count
 * ("/vsizip//vsicurl/https://...").
 */
const char *am_path_network(const char *path);

/*
 * Whether inputs may be read over the network (issue 13, "no surprise
 * access"). Process-wide, off by default; the engine turns it on for the
 * duration of a load only when the scenario says `allow_network: true`.
 * While off, am_file_check_input refuses every path am_path_network
 * names. Thread-safe (an atomic flag).
 */
void am_network_allow(int on);
int am_network_allowed(void);

/*
 * Checks that an input can be opened without blocking: it exists and is a
 * regular file, or a directory when allow_dir (a folder of shapefiles),
 * symlinks followed. Virtual paths: the local file behind one
 * (/vsigzip/, /vsizip/, /vsitar/, ...; am_path_backing_file) must not be
 * a FIFO, device or socket; the rest is GDAL's to check. AM_ERR_IO naming
 * path: missing or unreadable ("cannot open: ..."), or a FIFO, device or
 * socket. A network path (am_path_network) while am_network_allowed() is
 * 0: AM_ERR_IO naming path and the scenario key that allows it.
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
 *    would replace; and it can be replaced: not immutable or append-only
 *    (chattr +i / +a; FS_IOC_GETFLAGS, else an open for writing that
 *    fails with EPERM), nor another user's file in a sticky folder.
 * AM_ERR_IO naming path with the reason; a path that names a folder gets
 * a hint with a file name in it (results.h5).
 */
am_status am_file_check_output(const char *path, am_error *err);

/* The same, with `example` as the file name of the hint (e.g.
 * "graph.amgraph" for a prepared graph). */
am_status am_file_check_output_as(const char *path, const char *example,
                                  am_error *err);

/*
 * Whether a and b name the same file: the same device and inode when both
 * exist (symlinks and hard links followed), else the same canonical path
 * (folder resolved, then the name). 0 for NULL.
 */
int am_file_same(const char *a, const char *b);

/*
 * The local file behind a GDAL virtual path, written into buf[n]:
 * "/vsizip/data/a.zip/x.shp" -> "data/a.zip", "/vsigzip/{b.gz}" -> "b.gz":
 * the longest prefix that exists and is not a folder (a FIFO too, for
 * am_file_check_input to refuse). Returns buf, or NULL when path is not
 * virtual or names no local file (/vsicurl/, /vsimem/, ...).
 */
char *am_path_backing_file(const char *path, char *buf, size_t n);

/*
 * The writer's temporary name for final_path and process pid,
 * "<dir>/.<base>.tmp-<pid>", as a heap string (am_free()). NULL when out of
 * memory or final_path has no file name.
 */
char *am_temp_path(const char *final_path, long pid);

/*
 * Creates the temporary tmp_path (from am_temp_path) exclusively, mode
 * 0666 less the umask, open for writing (O_CLOEXEC) into *fd, and takes
 * flock(LOCK_EX) on it: while *fd (or a dup of it) is open, every other
 * process sees the temporary as live. A file already there is removed if
 * stale (am_temp_remove_if_stale), else AM_ERR_IO "in use by another
 * run"; other failures AM_ERR_IO naming `shown` (the output). On a
 * filesystem without locks the file is created unlocked (and is then
 * never removed as stale). Close *fd after the rename or the unlink.
 */
am_status am_temp_create(const char *tmp_path, const char *shown, int *fd,
                         am_error *err);

/*
 * Removes the temporary at path if it is stale: a regular file (not a
 * link) on which flock(LOCK_EX | LOCK_NB) succeeds, i.e. no process holds
 * its writer's lock, and which the name still names once locked. Never a
 * live writer's, whatever its pid or PID namespace. Returns 1 if removed.
 */
int am_temp_remove_if_stale(const char *path);

/*
 * Removes the stale temporaries of final_path: files named
 * "<dir>/.<base>.tmp-<pid>" that am_temp_remove_if_stale finds stale
 * (their writer was killed outright). Never a live run's, in this process
 * or another, in this PID namespace or another. Best effort: returns the
 * number removed.
 */
int am_temp_remove_stale(const char *final_path);

/* ---- the files an output must not replace ---------------------------- */

typedef enum am_guard_kind {
    AM_GUARD_FILE = 1, /* an existing file: its device and inode */
    AM_GUARD_NAME,     /* a name in a folder (folder's device and inode),
                          compared case-insensitively; need not exist */
    AM_GUARD_FOLDER    /* any name in a folder (a folder dataset) */
} am_guard_kind;

typedef struct am_guard_entry {
    am_guard_kind kind;
    int companion; /* 0: the input itself; 1: a file GDAL reads with it */
    unsigned long long dev, ino;
    char *name;  /* AM_GUARD_NAME: the file name; else NULL */
    char *path;  /* as given, for messages */
    char *label; /* "the roads input", ... */
} am_guard_entry;

/* A list of entries; zero-initialised or am_file_guard_init. */
typedef struct am_file_guard {
    am_guard_entry *v;
    size_t n, cap;
} am_file_guard;

/* Flags of am_file_guard_add. */
#define AM_GUARD_COMPANION 1 /* a file read with the input, not the input */
#define AM_GUARD_SIDECARS 2  /* also the side-cars GDAL reads next to it */

void am_file_guard_init(am_file_guard *g);
/* Frees the entries; g is empty again. Accepts NULL. */
void am_file_guard_free(am_file_guard *g);

/*
 * Adds path (a GDAL virtual path: the local file behind it, or nothing)
 * under label ("the population input"; copied): an existing file by
 * identity, a folder as AM_GUARD_FOLDER, a missing file by name. With
 * AM_GUARD_SIDECARS also the names GDAL reads next to a file, whether
 * they exist or not: NAME.aux.xml, .aux, .ovr, .msk, .xml, .properties,
 * -wal, -shm, -journal, STEM.aux, world files (STEM.wld, .tfw, ...) and,
 * for a shapefile, its parts (STEM.shx, .dbf, .prj, .cpg, .qix, .sbn,
 * .sbx); existing ones by identity as well. Allocates;
 * AM_ERR_NOMEM only.
 */
am_status am_file_guard_add(am_file_guard *g, const char *path,
                            const char *label, int flags, am_error *err);

/*
 * Checks that out_path replaces nothing in g: the file it names (symlinks
 * followed) is none of the files, and its folder and name are none of
 * the names or folders. AM_ERR_IO naming out_path ("the output is the
 * population input ('pop.tif')", "the output is a file GDAL reads with
 * ...", "the output is inside the folder ..."). g NULL: AM_OK.
 */
am_status am_file_guard_check(const am_file_guard *g, const char *out_path,
                              am_error *err);

/*
 * The same for the name `name` in the folder open at dir_fd (a writer
 * that holds its folder open); shown names the output in messages.
 */
am_status am_file_guard_check_at(const am_file_guard *g, int dir_fd,
                                 const char *name, const char *shown,
                                 am_error *err);

#endif /* AM_FILE_CHECK_H */
