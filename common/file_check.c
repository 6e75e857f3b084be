/*
 * file_check.c: see file_check.h.
 *
 * Every check follows symlinks (stat), because a reader opens and a user
 * means what the link points at; the only exception is the writer's
 * rename, which replaces a link itself and is covered by the output check
 * (an output that is a link to an input is the input).
 */
/* realpath (XSI), flock and FS_IOC_GETFLAGS (Linux), beyond the
 * project's _POSIX_C_SOURCE */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700
#include "common/alloc.h"
#include "common/strutil.h"
#include "common/file_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#endif

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#ifndef NAME_MAX
#define NAME_MAX 255
#endif

#define TEMP_TAG ".tmp-"

int am_path_is_virtual(const char *path)
{
    return path != NULL && strncmp(path, "/vsi", 4) == 0;
}

const char *am_path_network(const char *path)
{
    static const char *const fs[] = {
        "/vsicurl", "/vsis3",    "/vsigs",      "/vsiaz",   "/vsiadls",
        "/vsioss",  "/vsiswift", "/vsiwebhdfs", "/vsihdfs", NULL};
    if (path == NULL)
        return NULL;
    for (int i = 0; fs[i] != NULL; i++) {
        size_t n = strlen(fs[i]);
        for (const char *p = strstr(path, fs[i]); p != NULL;
             p = strstr(p + 1, fs[i]))
            /* "/vsicurl/", "/vsicurl_streaming/", "/vsicurl?..." */
            if (p[n] == '/' || p[n] == '?' ||
                strncmp(p + n, "_streaming/", 11) == 0)
                return fs[i];
    }
    /* "https://...", "s3://...", also after a folder it was joined to */
    const char *sep = strstr(path, "://");
    if (sep != NULL && sep > path) {
        const char *b = sep;
        while (b > path && ((b[-1] >= 'a' && b[-1] <= 'z') ||
                            (b[-1] >= 'A' && b[-1] <= 'Z') ||
                            (b[-1] >= '0' && b[-1] <= '9') || b[-1] == '+' ||
                            b[-1] == '.' || b[-1] == '-'))
            b--;
        if (b < sep)
            return "://";
    }
    return NULL;
}

static atomic_int network_on;

void am_network_allow(int on)
{
    atomic_store(&network_on, on != 0);
}

int am_network_allowed(void)
{
    return atomic_load(&network_on);
}

/* A reader's name for a file that is not regular. */
static const char *kind_name(mode_t mode)
{
    if (S_ISDIR(mode))
        return "directory";
    if (S_ISFIFO(mode))
        return "FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "character device";
    if (S_ISBLK(mode))
        return "block device";
    if (S_ISSOCK(mode))
        return "socket";
    if (S_ISREG(mode))
        return "regular file";
    return "special file";
}

am_status am_file_check_input(const char *path, int allow_dir, am_error *err)
{
    struct stat st;
    char backing[PATH_MAX];
    if (path == NULL || path[0] == '\0')
        return am_error_set(err, AM_ERR_IO, NULL, "no file name given");
    const char *net = am_path_network(path);
    if (net != NULL && !am_network_allowed())
        return am_error_set(err, AM_ERR_IO, path,
                            "is a network location (%s%s): accessim reads "
                            "inputs over the network only when the scenario "
                            "says 'allow_network: true' (docs/scenario.md); "
                            "or download the file and name the copy",
                            strcmp(net, "://") == 0 ? "a URL" : net,
                            strcmp(net, "://") == 0 ? "" : "/");
    if (am_path_is_virtual(path)) {
        /* GDAL opens the local file behind /vsigzip/ etc. itself: a FIFO
         * there blocks its identify forever */
        if (am_path_backing_file(path, backing, sizeof backing) == NULL ||
            stat(backing, &st) != 0 || S_ISREG(st.st_mode))
            return AM_OK;
        return am_error_set(err, AM_ERR_IO, path,
                            "'%s' behind this path is a %s, not a regular "
                            "file: refusing to read it (reading could "
                            "block forever); copy it to a file first",
                            backing, kind_name(st.st_mode));
    }
    if (stat(path, &st) != 0)
        return am_error_set(err, AM_ERR_IO, path, "cannot open: %s",
                            strerror(errno));
    if (S_ISREG(st.st_mode) || (allow_dir && S_ISDIR(st.st_mode)))
        return AM_OK;
    if (S_ISDIR(st.st_mode))
        return am_error_set(err, AM_ERR_IO, path, "is a directory, not a file");
    return am_error_set(err, AM_ERR_IO, path,
                        "is a %s, not a regular file: refusing to read it "
                        "(reading could block forever); copy it to a file "
                        "first",
                        kind_name(st.st_mode));
}

/* Splits path into its folder (into dir[n]; "." or "/" when bare) and its
 * last component (returned, inside path). NULL if the folder does not fit. */
static const char *split_path(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, n, ".");
        return path;
    }
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    if (len >= n)
        return NULL;
    memcpy(dir, path, len);
    dir[len] = '\0';
    return slash + 1;
}

static int decimal_digits(long v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/*
 * Whether the existing output at path (dir_st: its folder's stat) can
 * be replaced by a rename: not immutable or append-only, and not another
 * user's file in a sticky folder (like /tmp). A missing file passes.
 */
static am_status check_replaceable(const char *path, const struct stat *dir_st,
                                   am_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return AM_OK;
    const char *why = NULL;
    int known = 0;
#if defined(FS_IOC_GETFLAGS) && defined(FS_IMMUTABLE_FL)
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0) {
        int flags = 0;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
            known = 1;
            if (flags & FS_IMMUTABLE_FL)
                why = "is immutable (chattr +i)";
            else if (flags & FS_APPEND_FL)
                why = "is append-only (chattr +a)";
        }
        close(fd);
    }
#endif
    if (!known) { /* no flags here: ask for write access (EPERM: flags) */
        int wfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (wfd >= 0)
            close(wfd);
        else if (errno == EPERM)
            why = "cannot be written (Operation not permitted: immutable "
                  "or append-only?)";
    }
    uid_t me = geteuid();
    if (why == NULL && (dir_st->st_mode & S_ISVTX) && me != 0 &&
        st.st_uid != me && dir_st->st_uid != me)
        why = "belongs to another user and its folder is sticky (like "
              "/tmp), so it cannot be replaced";
    if (why == NULL)
        return AM_OK;
    return am_error_set(
        err, AM_ERR_IO, path,
        "output exists and %s: the result could not be "
        "renamed onto it; choose another output path%s",
        why, strstr(why, "chattr") != NULL ? " (or chattr -i -a)" : "");
}

/*
 * Creates tmp exclusively and locks it (see am_temp_create): 0 with *fd
 * set, EBUSY when a live temporary is there, else the errno.
 */
static int temp_create(const char *tmp, int *fd_out)
{
    *fd_out = -1;
    for (int attempt = 0; attempt < 8; attempt++) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0666);
        if (fd < 0) {
            if (errno != EEXIST)
                return errno;
            if (am_temp_remove_if_stale(tmp))
                continue;
            return EBUSY;
        }
        int locked;
        while ((locked = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
            ;
        struct stat a, b;
        /* no locks on this filesystem: unprotected, never removed as stale;
         * else a cleaner may have locked it first and removed the name */
        if (locked != 0 || (fstat(fd, &a) == 0 && lstat(tmp, &b) == 0 &&
                            a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
            *fd_out = fd;
            return 0;
        }
        close(fd);
    }
    return EAGAIN;
}

am_status am_temp_create(const char *tmp_path, const char *shown, int *fd,
                         am_error *err)
{
    int e = temp_create(tmp_path, fd);
    if (e == 0)
        return AM_OK;
    if (e == EBUSY)
        return am_error_set(err, AM_ERR_IO, shown,
                            "the temporary '%s' is in use by another run "
                            "writing the same output; wait for it to end or "
                            "choose another output path",
                            tmp_path);
    return am_error_set(err, AM_ERR_IO, shown,
                        "cannot create output file (temporary '%s'): %s",
                        tmp_path, strerror(e));
}

int am_temp_remove_if_stale(const char *path)
{
    int fd =
        open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat a, b;
    int removed = 0;
    if (fstat(fd, &a) == 0 && S_ISREG(a.st_mode) &&
        flock(fd, LOCK_EX | LOCK_NB) == 0 && lstat(path, &b) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino && unlink(path) == 0)
        removed = 1;
    close(fd); /* drops the lock */
    return removed;
}

am_status am_file_check_output(const char *path, am_error *err)
{
    return am_file_check_output_as(path, "results.h5", err);
}

am_status am_file_check_output_as(const char *path, const char *example,
                                  am_error *err)
{
    char dir[PATH_MAX];
    struct stat st;
    if (path == NULL || path[0] == '\0')
        return am_error_set(err, AM_ERR_IO, NULL, "no output path given");
    const char *base = split_path(path, dir, sizeof dir);
    size_t extra = 1 + strlen(TEMP_TAG) + (size_t)decimal_digits(getpid());
    if (base == NULL || strlen(path) + extra >= PATH_MAX)
        return am_error_set(err, AM_ERR_IO, path,
                            "output path is %zu bytes; with the temporary "
                            "name the writer needs, at most %zu fit "
                            "(PATH_MAX %d)",
                            strlen(path), (size_t)PATH_MAX - 1 - extra,
                            PATH_MAX);
    if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return am_error_set(err, AM_ERR_IO, path,
                            "output path names a directory; give a file "
                            "name (e.g. %s%s%s)",
                            path, base[0] == '\0' ? "" : "/", example);

    /* What is there now: the writer renames over it. */
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return am_error_set(err, AM_ERR_IO, path,
                                "output is an existing directory; give a "
                                "file name (e.g. %s/%s)",
                                path, example);
        if (!S_ISREG(st.st_mode))
            return am_error_set(err, AM_ERR_IO, path,
                                "output exists and is a %s, not a regular "
                                "file: refusing to replace it (the result "
                                "is renamed onto the output path)",
                                kind_name(st.st_mode));
    } else if (errno != ENOENT && errno != ENOTDIR) { /* ENOTDIR: below */
        return am_error_set(err, AM_ERR_IO, path, "cannot use as output: %s",
                            strerror(errno));
    }

    /* The folder. */
    if (stat(dir, &st) != 0)
        return am_error_set(err, AM_ERR_IO, path,
                            "output folder '%s' does not exist (%s); create "
                            "it first",
                            dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return am_error_set(err, AM_ERR_IO, path,
                            "output folder '%s' is a %s, not a folder", dir,
                            kind_name(st.st_mode));
    if (access(dir, W_OK | X_OK) != 0)
        return am_error_set(err, AM_ERR_IO, path,
                            "cannot create files in the output folder "
                            "'%s': %s",
                            dir, strerror(errno));

    /* An existing output must be replaceable, or the rename fails after
     * all the work. */
    am_status rc = check_replaceable(path, &st, err);
    if (rc != AM_OK)
        return rc;

    /* The name, and the temporary name next to it, must fit the folder. */
    errno = 0;
    long name_max = pathconf(dir, _PC_NAME_MAX);
    if (name_max <= 0)
        name_max = NAME_MAX;
    size_t len = strlen(base);
    if (len + extra > (size_t)name_max)
        return am_error_set(err, AM_ERR_IO, path,
                            "output file name is %zu bytes; with the "
                            "temporary name '.NAME%sPID' the writer needs, "
                            "at most %ld bytes fit in '%s' (NAME_MAX %ld)",
                            len, TEMP_TAG, name_max - (long)extra, dir,
                            name_max);

    /* Permission bits do not tell everything (root, ACLs, /proc, quotas):
     * create the temporary name the writer will use, and remove it. */
    char *tmp = am_temp_path(path, (long)getpid());
    if (tmp == NULL)
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    int fd = -1;
    int e = temp_create(tmp, &fd);
    if (fd >= 0) {
        unlink(tmp); /* before the lock goes */
        close(fd);
    }
    if (e == EBUSY)
        rc = am_error_set(err, AM_ERR_IO, path,
                          "the temporary '%s' is in use by another run "
                          "writing the same output; wait for it to end or "
                          "choose another output path",
                          tmp);
    else if (e != 0)
        rc = am_error_set(err, AM_ERR_IO, path,
                          "cannot create files in the output folder "
                          "'%s': %s",
                          dir, strerror(e));
    am_free(tmp);
    return rc;
}

/* Canonical form of path into buf[PATH_MAX]: realpath when it exists,
 * else the real folder and the name, else path as given. */
static void canonical(const char *path, char *buf)
{
    char dir[PATH_MAX], real[PATH_MAX];
    if (realpath(path, buf) != NULL)
        return;
    const char *base = split_path(path, dir, sizeof dir);
    if (base != NULL && realpath(dir, real) != NULL &&
        snprintf(buf, PATH_MAX, "%s/%s", strcmp(real, "/") == 0 ? "" : real,
                 base) < PATH_MAX)
        return;
    snprintf(buf, PATH_MAX, "%s", path);
}

int am_file_same(const char *a, const char *b)
{
    struct stat sa, sb;
    if (a == NULL || b == NULL)
        return 0;
    int ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;
    if (ha && hb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ha != hb)
        return 0;
    char *ca = am_malloc(PATH_MAX), *cb = am_malloc(PATH_MAX);
    int same = 0;
    if (ca != NULL && cb != NULL) {
        canonical(a, ca);
        canonical(b, cb);
        same = strcmp(ca, cb) == 0;
    }
    am_free(ca);
    am_free(cb);
    return same;
}

char *am_path_backing_file(const char *path, char *buf, size_t n)
{
    /* handlers whose path is a local file (then, for archives, a member) */
    static const char *const local[] = {"/vsizip/", "/vsitar/", "/vsigzip/",
                                        "/vsi7z/",  "/vsirar/", "/vsisubfile/",
                                        NULL};
    const char *rest = NULL;
    if (!am_path_is_virtual(path) || n == 0)
        return NULL;
    for (int i = 0; local[i] != NULL && rest == NULL; i++)
        if (strncmp(path, local[i], strlen(local[i])) == 0)
            rest = path + strlen(local[i]);
    if (rest == NULL)
        return NULL;
    if (strncmp(path, "/vsisubfile/", 12) == 0) { /* offset_size,file */
        rest = strchr(rest, ',');
        if (rest == NULL)
            return NULL;
        rest++;
    }
    if (am_path_is_virtual(rest))
        return am_path_backing_file(rest, buf, n);
    if (rest[0] == '{') { /* "{archive}/member" */
        const char *end = strchr(rest, '}');
        if (end == NULL || (size_t)(end - rest - 1) >= n)
            return NULL;
        memcpy(buf, rest + 1, (size_t)(end - rest - 1));
        buf[end - rest - 1] = '\0';
        return buf;
    }
    /* the longest prefix that is a file (not a folder): the archive */
    if (snprintf(buf, n, "%s", rest) >= (int)n)
        return NULL;
    for (;;) {
        struct stat st;
        if (buf[0] != '\0' && stat(buf, &st) == 0 && !S_ISDIR(st.st_mode))
            return buf;
        char *slash = strrchr(buf, '/');
        if (slash == NULL || slash == buf)
            return NULL;
        *slash = '\0';
    }
}

char *am_temp_path(const char *final_path, long pid)
{
    if (final_path == NULL)
        return NULL;
    const char *slash = strrchr(final_path, '/');
    const char *base = slash != NULL ? slash + 1 : final_path;
    int dir_len = slash != NULL ? (int)(slash - final_path + 1) : 0;
    if (base[0] == '\0')
        return NULL;
    size_t n = strlen(final_path) + 1 + strlen(TEMP_TAG) + 24;
    char *tmp = am_malloc(n);
    if (tmp != NULL)
        snprintf(tmp, n, "%.*s.%s%s%ld", dir_len, final_path, base, TEMP_TAG,
                 pid);
    return tmp;
}

/* The pid of a temporary name ".<base>.tmp-<pid>" of base, or 0. */
static long temp_pid(const char *entry, const char *base)
{
    size_t nb = strlen(base), nt = strlen(TEMP_TAG);
    if (entry[0] != '.' || strncmp(entry + 1, base, nb) != 0 ||
        strncmp(entry + 1 + nb, TEMP_TAG, nt) != 0)
        return 0;
    const char *digits = entry + 1 + nb + nt;
    if (*digits < '1' || *digits > '9')
        return 0;
    char *end = NULL;
    errno = 0;
    long pid = strtol(digits, &end, 10);
    if (errno != 0 || *end != '\0' || pid <= 0 || (long)(pid_t)pid != pid)
        return 0;
    return pid;
}

int am_temp_remove_stale(const char *final_path)
{
    char dir[PATH_MAX], entry[PATH_MAX];
    int removed = 0;
    if (final_path == NULL)
        return 0;
    const char *base = split_path(final_path, dir, sizeof dir);
    if (base == NULL || base[0] == '\0')
        return 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (temp_pid(e->d_name, base) == 0)
            continue;
        /* the pid says nothing across PID namespaces (or after reuse):
         * the writer's lock does */
        int len = snprintf(entry, sizeof entry, "%s/%s", dir, e->d_name);
        if (len < 0 || (size_t)len >= sizeof entry)
            continue;
        removed += am_temp_remove_if_stale(entry);
    }
    closedir(d);
    return removed;
}

/* ---- guard ----------------------------------------------------------- */

void am_file_guard_init(am_file_guard *g)
{
    memset(g, 0, sizeof *g);
}

void am_file_guard_free(am_file_guard *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n; i++) {
        am_free(g->v[i].name);
        am_free(g->v[i].path);
        am_free(g->v[i].label);
    }
    am_free(g->v);
    am_file_guard_init(g);
}

/* Appends an entry; name may be NULL. 0, or -1 when out of memory. */
static int guard_push(am_file_guard *g, am_guard_kind kind, int companion,
                      const struct stat *st, const char *name, const char *path,
                      const char *label)
{
    for (size_t i = 0; i < g->n; i++) { /* once is enough */
        const am_guard_entry *e = &g->v[i];
        if (e->kind == kind && e->dev == (unsigned long long)st->st_dev &&
            e->ino == (unsigned long long)st->st_ino &&
            (name == NULL || strcasecmp(e->name, name) == 0) &&
            e->companion <= companion)
            return 0;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap > 0 ? 2 * g->cap : 16;
        am_guard_entry *v = am_realloc(g->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        g->v = v;
        g->cap = cap;
    }
    am_guard_entry *e = &g->v[g->n];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->companion = companion;
    e->dev = (unsigned long long)st->st_dev;
    e->ino = (unsigned long long)st->st_ino;
    e->name = name != NULL ? am_strdup(name) : NULL;
    e->path = am_strdup(path);
    e->label = am_strdup(label);
    if ((name != NULL && e->name == NULL) || e->path == NULL ||
        e->label == NULL) {
        am_free(e->name);
        am_free(e->path);
        am_free(e->label);
        return -1;
    }
    g->n++;
    return 0;
}

/* Adds path itself: by identity when it exists, else by folder and name
 * (nothing when its folder does not exist either). */
static int guard_one(am_file_guard *g, const char *path, const char *label,
                     int companion)
{
    char dir[PATH_MAX];
    struct stat st;
    if (stat(path, &st) == 0)
        return guard_push(g,
                          S_ISDIR(st.st_mode) ? AM_GUARD_FOLDER : AM_GUARD_FILE,
                          companion, &st, NULL, path, label);
    const char *base = split_path(path, dir, sizeof dir);
    if (base == NULL || base[0] == '\0' || stat(dir, &st) != 0 ||
        !S_ISDIR(st.st_mode))
        return 0;
    return guard_push(g, AM_GUARD_NAME, companion, &st, base, path, label);
}

/* Side-cars GDAL reads next to NAME: NAME + suffix ... */
static const char *const sidecar_suffix[] = {
    ".aux.xml",    ".aux", ".ovr", ".msk",     ".xml",
    ".properties", "-wal", "-shm", "-journal", NULL};
/* ... STEM + extension (STEM: NAME without its extension) ... */
static const char *const sidecar_ext[] = {".aux", ".wld", NULL};
/* ... and, for a shapefile, its parts. */
static const char *const shapefile_part[] = {
    ".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", NULL};

static int guard_sidecars(am_file_guard *g, const char *path, const char *label)
{
    char buf[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t n = strlen(path);
    if (dot == NULL || (slash != NULL && dot < slash) || dot[1] == '\0')
        dot = path + n; /* no extension */
    const int stem = (int)(dot - path);
    const char *ext = dot[0] == '.' ? dot + 1 : "";
    const size_t ne = strlen(ext);
    int rc = 0;
    for (int i = 0; rc == 0 && sidecar_suffix[i] != NULL; i++)
        if (snprintf(buf, sizeof buf, "%s%s", path, sidecar_suffix[i]) <
            (int)sizeof buf)
            rc = guard_one(g, buf, label, 1);
    if (ne == 0)
        return rc;
    for (int i = 0; rc == 0 && sidecar_ext[i] != NULL; i++)
        if (snprintf(buf, sizeof buf, "%.*s%s", stem, path, sidecar_ext[i]) <
            (int)sizeof buf)
            rc = guard_one(g, buf, label, 1);
    /* world files: .tfw for .tif (first and last letter + w), .tifw */
    if (rc == 0 && snprintf(buf, sizeof buf, "%.*s.%c%cw", stem, path, ext[0],
                            ext[ne - 1]) < (int)sizeof buf)
        rc = guard_one(g, buf, label, 1);
    if (rc == 0 && snprintf(buf, sizeof buf, "%.*s.%sw", stem, path, ext) <
                       (int)sizeof buf)
        rc = guard_one(g, buf, label, 1);
    if (strcasecmp(ext, "shp") == 0 || strcasecmp(ext, "shx") == 0 ||
        strcasecmp(ext, "dbf") == 0)
        for (int i = 0; rc == 0 && shapefile_part[i] != NULL; i++)
            if (snprintf(buf, sizeof buf, "%.*s%s", stem, path,
                         shapefile_part[i]) < (int)sizeof buf)
                rc = guard_one(g, buf, label, 1);
    return rc;
}

am_status am_file_guard_add(am_file_guard *g, const char *path,
                            const char *label, int flags, am_error *err)
{
    char backing[PATH_MAX];
    struct stat st;
    if (g == NULL || path == NULL || path[0] == '\0')
        return AM_OK;
    if (label == NULL)
        label = "an input";
    if (am_path_is_virtual(path)) {
        path = am_path_backing_file(path, backing, sizeof backing);
        if (path == NULL)
            return AM_OK; /* nothing local: /vsimem/, /vsicurl/ */
    }
    const int companion = (flags & AM_GUARD_COMPANION) != 0;
    int rc = guard_one(g, path, label, companion);
    if (rc == 0 && (flags & AM_GUARD_SIDECARS) &&
        !(stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        rc = guard_sidecars(g, path, label);
    if (rc != 0)
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    return AM_OK;
}

/* The check itself: file (the output's stat, NULL when it does not exist),
 * folder (its folder's), name (its name). */
static am_status guard_match(const am_file_guard *g, const struct stat *file,
                             const struct stat *folder, const char *name,
                             const char *shown, am_error *err)
{
    if (g == NULL)
        return AM_OK;
    for (size_t i = 0; i < g->n; i++) {
        const am_guard_entry *e = &g->v[i];
        const struct stat *st = e->kind == AM_GUARD_FILE ? file : folder;
        if (st == NULL || e->dev != (unsigned long long)st->st_dev ||
            e->ino != (unsigned long long)st->st_ino)
            continue;
        if (e->kind == AM_GUARD_NAME && strcasecmp(e->name, name) != 0)
            continue;
        if (e->kind == AM_GUARD_FOLDER)
            return am_error_set(err, AM_ERR_IO, shown,
                                "the output is inside the folder that is %s "
                                "('%s'; GDAL reads the files in it): "
                                "choose another output folder",
                                e->label, e->path);
        if (e->kind == AM_GUARD_FILE && !e->companion)
            return am_error_set(err, AM_ERR_IO, shown,
                                "the output is %s ('%s'): refusing to "
                                "overwrite an input; choose another output "
                                "path",
                                e->label, e->path);
        return am_error_set(err, AM_ERR_IO, shown,
                            "the output is a file GDAL reads with %s "
                            "('%s'): refusing to overwrite it; choose "
                            "another output path",
                            e->label, e->path);
    }
    return AM_OK;
}

am_status am_file_guard_check(const am_file_guard *g, const char *out_path,
                              am_error *err)
{
    char dir[PATH_MAX];
    struct stat file, folder;
    if (g == NULL || out_path == NULL)
        return AM_OK;
    const char *base = split_path(out_path, dir, sizeof dir);
    int has_file = stat(out_path, &file) == 0;
    int has_folder = base != NULL && stat(dir, &folder) == 0;
    return guard_match(g, has_file ? &file : NULL, has_folder ? &folder : NULL,
                       base != NULL ? base : out_path, out_path, err);
}

am_status am_file_guard_check_at(const am_file_guard *g, int dir_fd,
                                 const char *name, const char *shown,
                                 am_error *err)
{
    struct stat file, folder;
    if (g == NULL || name == NULL)
        return AM_OK;
    int has_file = fstatat(dir_fd, name, &file, 0) == 0;
    int has_folder = fstat(dir_fd, &folder) == 0;
    return guard_match(g, has_file ? &file : NULL, has_folder ? &folder : NULL,
                       name, shown, err);
}
