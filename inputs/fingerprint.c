/*
 * fingerprint.c: input fingerprints through GDAL's virtual file layer (see
 * fingerprint.h), so that whatever path GDAL reads can be fingerprinted;
 * serially, or in a background thread while the loader reads the file.
 *
 * Why a thread and not a read hook: GDAL's drivers read through their own
 * handles with seeks, re-reads and (for /vsigzip/) their own buffering, so
 * hashing "while reading" would have to reassemble the file from their
 * reads. A second sequential reader of the same file costs one page-cache
 * pass and one core for the hash while the loader parses.
 *
 * Threading: the job's thread touches only the job's VSILFILE (opened on
 * the starting thread before pthread_create, closed after pthread_join),
 * its own buffer and hash state, and the stop flag (atomic). Its GDAL
 * messages go to a capture on its own thread (GDAL's handler stack is per
 * thread), never to stderr.
 */
/* st_mtim (POSIX 2008) under -std=c17 */
#define _DEFAULT_SOURCE
#include "inputs/fingerprint.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/file_check.h"
#include "common/sha256.h"
#include "common/strutil.h"
#include "inputs/gdal_util.h"

/* one read: large enough for sequential throughput, small enough that a
 * cancel is seen at once */
#define FP_CHUNK ((size_t)1 << 20)

/* What one pass over a file gave. */
typedef struct hash_pass {
    am_sha256 sha;
    long long total;
    int read_failed;                /* stopped before the end of the file */
    int stopped;                    /* a cancel asked it to stop */
    int nomem;                      /* no read buffer */
    char gdal_msg[AM_GDAL_MSG_MAX]; /* GDAL's first failure, or "" */
} hash_pass;

/* Reads f to its end into p; stops early when stop is set (may be NULL).
 * Runs on whichever thread owns f. */
static void pass_init(hash_pass *p)
{
    am_sha256_init(&p->sha);
    p->total = 0;
    p->read_failed = p->stopped = p->nomem = 0;
    p->gdal_msg[0] = '\0';
}

/* Adds f's bytes, to its end, to p (which pass_init started). */
static void hash_stream(VSILFILE *f, const atomic_int *stop, hash_pass *p)
{
    unsigned char *buf = am_alloc_array(FP_CHUNK, 1);
    if (buf == NULL) {
        p->nomem = 1;
        return;
    }
    am_gdal_errors ge;
    am_gdal_capture_begin(&ge);
    size_t k;
    for (;;) {
        if (stop != NULL && atomic_load_explicit(stop, memory_order_relaxed)) {
            p->stopped = 1;
            break;
        }
        if ((k = VSIFReadL(buf, 1, FP_CHUNK, f)) == 0)
            break;
        am_sha256_update(&p->sha, buf, k);
        p->total += (long long)k;
    }
    if (!p->stopped)
        p->read_failed = !VSIFEofL(f) || ge.n_failures > 0;
    snprintf(p->gdal_msg, sizeof p->gdal_msg, "%s", ge.first);
    am_gdal_capture_end(&ge);
    am_free(buf);
}

/* Whether path is a local folder (a folder dataset: shapefiles, ...). */
static int is_local_dir(const char *path)
{
    struct stat st;
    return !am_path_is_virtual(path) && stat(path, &st) == 0 &&
           S_ISDIR(st.st_mode);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A folder's fingerprint: its regular files (not those of sub-folders) in
 * name order, each as its name, a NUL byte, then its bytes, into one
 * SHA-256; the size is the sum of the files' sizes. A folder is what GDAL
 * reads as one dataset (a folder of shapefiles), so all of it counts.
 */
static void hash_folder(const char *path, const atomic_int *stop, hash_pass *p)
{
    DIR *d = opendir(path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    if (d == NULL) {
        p->read_failed = 1;
        snprintf(p->gdal_msg, sizeof p->gdal_msg, "%s", strerror(errno));
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char full[PATH_MAX];
        struct stat st;
        if (snprintf(full, sizeof full, "%s/%s", path, e->d_name) >=
                (int)sizeof full ||
            lstat(full, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            size_t c = cap ? 2 * cap : 16;
            char **v = am_realloc(names, c * sizeof *v);
            if (v == NULL)
                break;
            names = v;
            cap = c;
        }
        if ((names[n] = am_strdup(e->d_name)) == NULL)
            break;
        n++;
    }
    closedir(d);
    if (e != NULL) /* stopped early: out of memory */
        p->nomem = 1;
    if (n > 0)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n && !p->nomem && !p->read_failed && !p->stopped;
         i++) {
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        am_sha256_update(&p->sha, (const uint8_t *)names[i],
                         strlen(names[i]) + 1);
        VSILFILE *f = VSIFOpenL(full, "rb");
        if (f == NULL) {
            p->read_failed = 1;
            snprintf(p->gdal_msg, sizeof p->gdal_msg, "cannot open %.400s",
                     full);
            break;
        }
        hash_stream(f, stop, p);
        VSIFCloseL(f);
    }
    for (size_t i = 0; i < n; i++)
        am_free(names[i]);
    am_free(names);
}

/* Opens path for hashing, GDAL quiet. AM_ERR_IO naming path. */
static am_status open_input(const char *path, VSILFILE **out, am_error *err)
{
    *out = NULL;
    am_gdal_init();
    /* a FIFO or device would block or never end */
    am_status rc = am_file_check_input(path, 1, err);
    if (rc != AM_OK || is_local_dir(path)) /* a folder: hash_folder */
        return rc;
    errno = 0;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    *out = VSIFOpenL(path, "rb");
    CPLPopErrorHandler();
    if (*out == NULL)
        return am_error_set(err, AM_ERR_IO, path,
                            "cannot open to fingerprint: %s",
                            errno != 0 ? strerror(errno) : "unreadable");
    return AM_OK;
}

/* The outcome of a pass: AM_OK with hex and size, or the error. */
static am_status pass_result(const char *path, const hash_pass *p, char hex[65],
                             long long *size_bytes, am_error *err)
{
    if (p->nomem)
        return am_error_set(err, AM_ERR_NOMEM, path,
                            "out of memory fingerprinting");
    if (p->read_failed)
        return am_error_set(err, AM_ERR_IO, path, "read error%s%s",
                            p->gdal_msg[0] != '\0' ? ": " : "", p->gdal_msg);
    am_sha256 c = p->sha;
    uint8_t digest[32];
    am_sha256_final(&c, digest);
    am_sha256_hex(digest, hex);
    *size_bytes = p->total;
    return AM_OK;
}

am_status am_input_fingerprint(const char *path, char hex[65],
                               long long *size_bytes, am_error *err)
{
    hex[0] = '\0';
    *size_bytes = 0;
    VSILFILE *f;
    am_status rc = open_input(path, &f, err);
    if (rc != AM_OK)
        return rc;
    hash_pass *p = am_alloc_array(1, sizeof *p);
    if (p == NULL) {
        if (f != NULL)
            VSIFCloseL(f);
        return am_error_set(err, AM_ERR_NOMEM, path,
                            "out of memory fingerprinting");
    }
    pass_init(p);
    if (f == NULL) {
        hash_folder(path, NULL, p);
    } else {
        hash_stream(f, NULL, p);
        VSIFCloseL(f);
    }
    rc = pass_result(path, p, hex, size_bytes, err);
    am_free(p);
    return rc;
}

/* ---- in the background ------------------------------------------------- */

/* The identity of the local file behind a path, to see it change. */
typedef struct file_stamp {
    int known;    /* 0: not a local file (/vsicurl/, /vsimem/, a folder) */
    int is_plain; /* the path itself is that file (bytes read = size) */
    long long size;
    struct timespec mtime;
    dev_t dev;
    ino_t ino;
} file_stamp;

struct am_fingerprint_job {
    char *path;
    VSILFILE *f;
    pthread_t thread;
    int threaded; /* thread running or to be joined */
    atomic_int stop;
    am_status open_rc; /* start's error, reported by finish */
    am_error open_err;
    file_stamp before;
    hash_pass pass;
};

static void stamp_file(const char *path, file_stamp *s)
{
    memset(s, 0, sizeof *s);
    char buf[PATH_MAX];
    const char *local = path;
    if (am_path_is_virtual(path) &&
        (local = am_path_backing_file(path, buf, sizeof buf)) == NULL)
        return;
    struct stat st;
    if (stat(local, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    s->known = 1;
    s->is_plain = local == path;
    s->size = (long long)st.st_size;
    s->mtime = st.st_mtim;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
}

/* Hashes the job's file, or its folder when j->f is NULL. */
static void hash_job(am_fingerprint_job *j, const atomic_int *stop)
{
    pass_init(&j->pass);
    if (j->f != NULL)
        hash_stream(j->f, stop, &j->pass);
    else
        hash_folder(j->path, stop, &j->pass);
}

static void *hash_thread(void *arg)
{
    am_fingerprint_job *j = arg;
    hash_job(j, &j->stop);
    return NULL;
}

am_status am_fingerprint_start(const char *path, am_fingerprint_job **out,
                               am_error *err)
{
    *out = NULL;
    am_fingerprint_job *j = am_calloc_array(1, sizeof *j);
    if (j == NULL || (j->path = am_strdup(path)) == NULL) {
        am_free(j);
        return am_error_set(err, AM_ERR_NOMEM, path,
                            "out of memory fingerprinting");
    }
    atomic_init(&j->stop, 0);
    am_error_clear(&j->open_err);
    /* stamped before the loader's open and the hasher's: a change at any
     * time while either reads shows at finish */
    stamp_file(path, &j->before);
    j->open_rc = open_input(path, &j->f, &j->open_err);
    if (j->open_rc == AM_OK)
        j->threaded = pthread_create(&j->thread, NULL, hash_thread, j) == 0;
    *out = j;
    return AM_OK;
}

/* Joins the thread (if any), closes the file, frees the job. */
static void job_free(am_fingerprint_job *j)
{
    if (j->threaded)
        pthread_join(j->thread, NULL);
    if (j->f != NULL)
        VSIFCloseL(j->f);
    am_free(j->path);
    am_free(j);
}

void am_fingerprint_cancel(am_fingerprint_job *job)
{
    if (job == NULL)
        return;
    atomic_store(&job->stop, 1);
    job_free(job);
}

/* Whether the file behind the job's path is no longer the one stamped at
 * start, or the bytes hashed are not its size; AM_ERR_IO then. */
static am_status check_unchanged(const am_fingerprint_job *j, am_error *err)
{
    const file_stamp *b = &j->before;
    if (!b->known)
        return AM_OK;
    file_stamp a;
    stamp_file(j->path, &a);
    long long now = a.known ? a.size : -1;
    if (!a.known || a.dev != b->dev || a.ino != b->ino)
        return am_error_set(err, AM_ERR_IO, j->path,
                            "the file was replaced or removed while it was "
                            "read; run again once nothing writes to it");
    if (b->is_plain && j->pass.total != b->size)
        now = j->pass.total;
    if (now != b->size)
        return am_error_set(err, AM_ERR_IO, j->path,
                            "the file changed while it was read (%lld bytes "
                            "when reading began, %lld after); run again once "
                            "nothing writes to it",
                            b->size, now);
    if (a.mtime.tv_sec != b->mtime.tv_sec ||
        a.mtime.tv_nsec != b->mtime.tv_nsec)
        return am_error_set(err, AM_ERR_IO, j->path,
                            "the file changed while it was read (it was "
                            "modified); run again once nothing writes to it");
    return AM_OK;
}

am_status am_fingerprint_finish(am_fingerprint_job *job, char hex[65],
                                long long *size_bytes, am_error *err)
{
    hex[0] = '\0';
    *size_bytes = 0;
    if (job == NULL)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "am_fingerprint_finish without a job");
    am_status rc;
    if (job->open_rc != AM_OK) {
        rc = job->open_rc;
        if (err != NULL)
            *err = job->open_err;
        goto done;
    }
    if (job->threaded) {
        pthread_join(job->thread, NULL);
        job->threaded = 0;
    } else { /* no thread could be created: hash here */
        hash_job(job, NULL);
    }
    char tmp[65];
    long long size;
    rc = pass_result(job->path, &job->pass, tmp, &size, err);
    if (rc == AM_OK)
        rc = check_unchanged(job, err);
    if (rc == AM_OK) {
        memcpy(hex, tmp, sizeof tmp);
        *size_bytes = size;
    }
done:
    job_free(job);
    return rc;
}
