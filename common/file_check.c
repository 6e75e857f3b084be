/*
 * file_check.c: see file_check.h.
 *
 * Every check follows symlinks (stat), because a reader opens and a user
 * means what the link points at; the only exception is the writer's
 * rename, which replaces a link itself and is covered by the output check
 * (an output that is a link to an input is the input).
 */
/* realpath (XSI), beyond the project's _POSIX_C_SOURCE */
#define _XOPEN_SOURCE 700
#include "common/file_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

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
    if (path == NULL || path[0] == '\0')
        return am_error_set(err, AM_ERR_IO, NULL, "no file name given");
    if (am_path_is_virtual(path))
        return AM_OK;
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

am_status am_file_check_output(const char *path, am_error *err)
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
                            "name (e.g. %s%sresults.h5)",
                            path, base[0] == '\0' ? "" : "/");

    /* What is there now: the writer renames over it. */
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return am_error_set(err, AM_ERR_IO, path,
                                "output is an existing directory; give a "
                                "file name (e.g. %s/results.h5)",
                                path);
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
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) /* ours: stale */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    int e = errno;
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    if (fd < 0)
        return am_error_set(err, AM_ERR_IO, path,
                            "cannot create files in the output folder "
                            "'%s': %s",
                            dir, strerror(e));
    return AM_OK;
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
    char *ca = malloc(PATH_MAX), *cb = malloc(PATH_MAX);
    int same = 0;
    if (ca != NULL && cb != NULL) {
        canonical(a, ca);
        canonical(b, cb);
        same = strcmp(ca, cb) == 0;
    }
    free(ca);
    free(cb);
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
    /* the longest prefix that is a regular file: the archive */
    if (snprintf(buf, n, "%s", rest) >= (int)n)
        return NULL;
    for (;;) {
        struct stat st;
        if (buf[0] != '\0' && stat(buf, &st) == 0 && S_ISREG(st.st_mode))
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
    char *tmp = malloc(n);
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
    const long self = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_pid(e->d_name, base);
        if (pid == 0 || pid == self)
            continue;
        /* alive, or someone else's (EPERM): keep it */
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        struct stat st;
        int len = snprintf(entry, sizeof entry, "%s/%s", dir, e->d_name);
        if (len < 0 || (size_t)len >= sizeof entry)
            continue;
        if (lstat(entry, &st) == 0 && S_ISREG(st.st_mode) && unlink(entry) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
