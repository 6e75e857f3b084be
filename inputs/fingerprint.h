/*
 * fingerprint.h: SHA-256 and size of an input, recorded in every output so
 * that a result names exactly the data that produced it.
 *
 * Two ways to compute it:
 *  - am_input_fingerprint reads the file once more after the loader has
 *    read it (serial; the reference the job below is tested against);
 *  - am_fingerprint_start / _finish hash in a background thread while the
 *    loader reads the same file, so that a GB-sized country PBF costs no
 *    extra wall time (the pages are read from disk once and hashed from the
 *    page cache, concurrently with parsing; measured in
 *    benchmarks/bench_fingerprint.c and docs/benchmarks.md).
 *
 * The job's thread calls GDAL's VSI read functions on its own VSILFILE
 * handle only (GDAL's VSI layer is re-entrant for separate handles; the
 * handle is opened before the thread starts and closed after it ends),
 * with GDAL's messages captured on that thread, never printed.
 *
 * A file that changes while it is read would give a fingerprint of other
 * bytes than the loader saw: the job compares the file's size, modification
 * time and inode at start and at finish (for a virtual path, those of the
 * local file behind it) and the bytes hashed against the size at start,
 * and fails when they differ.
 *
 * Allocation: a read buffer; the job. Thread safety: separate jobs may run
 * at once; one job belongs to the thread that started it.
 */
#ifndef AM_FINGERPRINT_H
#define AM_FINGERPRINT_H

#include "common/error.h"

/*
 * SHA-256 (64 lower-case hex digits and a NUL) and size of the bytes GDAL
 * reads at path: any GDAL path works (/vsigzip/, /vsizip/, ...; for those
 * it is the content as read). AM_ERR_IO naming the path.
 */
am_status am_input_fingerprint(const char *path, char hex[65],
                               long long *size_bytes, am_error *err);

/* A fingerprint being computed in the background. */
typedef struct am_fingerprint_job am_fingerprint_job;

/*
 * Starts fingerprinting path (borrowed; copied) in a background thread and
 * returns at once; call it just before the loader opens the same path.
 * Errors found here (missing or unreadable file, a FIFO) are kept in the
 * job and reported by am_fingerprint_finish, so that a loader's own, more
 * specific message about a bad input comes first. Where no thread can be
 * created the job hashes inside _finish instead (same result, serial).
 * Returns AM_OK with *out set, or AM_ERR_NOMEM (*out NULL). *out is owned
 * by the caller, who must pass it to exactly one of _finish or _cancel.
 */
am_status am_fingerprint_start(const char *path, am_fingerprint_job **out,
                               am_error *err);

/*
 * Waits for the job, writes the digest (64 hex digits and a NUL) and the
 * byte count, and frees the job (on every path; NULL job: AM_ERR_INTERNAL).
 * hex is "" and *size_bytes 0 unless AM_OK. Errors: AM_ERR_IO naming the
 * path (cannot open, read error, or the file changed while it was read,
 * with the sizes before and after).
 */
am_status am_fingerprint_finish(am_fingerprint_job *job, char hex[65],
                                long long *size_bytes, am_error *err);

/*
 * Stops the job (the thread stops within one read of 1 MiB), waits for its
 * thread and frees it: for error paths, where the digest is not wanted. No
 * thread is left running on return. Accepts NULL.
 */
void am_fingerprint_cancel(am_fingerprint_job *job);

#endif /* AM_FINGERPRINT_H */
