/*
 * h5_probe.h: the last line of defence of every reader of HDF5 files.
 *
 * libhdf5 (1.10 here) trusts some of what it reads: a results file damaged
 * in a place no checksum covers (a fractal heap's direct block holding a
 * group's links, for one) can make it free a garbage pointer and die with
 * SIGSEGV inside H5Literate, whatever the caller checks. No check in
 * accessim's code can rule that out, so a reader first runs the reads it
 * will do in a forked child (am_h5_probe): when the child dies by a signal,
 * exits abnormally (an ASan report) or does not finish in time, the parent
 * reports "the file is damaged" instead of crashing; when it finishes, the
 * parent does the same reads for real (libhdf5 is deterministic: the same
 * reads of the same bytes take the same path).
 *
 * Cost: one fork and one more pass over what is read (for `compare` of the
 * Comoros demo, 2.2 MB each, docs/hdf5-layout.md "Reading results files
 * back"). The child inherits the parent's memory copy-on-write and must not
 * be started while other threads hold locks the walk needs (malloc's):
 * call it before starting worker threads, as am_h5r_open's callers do.
 * Not thread-safe.
 */
#ifndef AM_H5_PROBE_H
#define AM_H5_PROBE_H

#include "common/error.h"

/* The walk run in the child: reads path as the parent will. Its return
 * value is ignored (a clean HDF5 error is the parent's to report). */
typedef void (*am_h5_probe_walk)(const char *path, void *ctx);

/*
 * Runs walk(path, ctx) in a forked child with its output discarded and a
 * time limit of 60 s plus 1 s per 4 MiB of the file. AM_OK when it
 * returned (or when no child could be started: the read is then not
 * guarded); AM_ERR_FORMAT naming path when it died ("the file is damaged
 * (the HDF5 library failed while reading it: signal 11)") or ran out of
 * time; AM_ERR_CANCELLED when it was stopped by SIGINT/SIGTERM/SIGHUP/SIGUSR1.
 */
am_status am_h5_probe(const char *path, am_h5_probe_walk walk, void *ctx,
                      am_error *err);

/*
 * Tells libhdf5 not to shut itself down at exit. After a damaged file
 * libhdf5 cannot free its own state for it (its file is closed, yet the
 * shutdown loops) and prints "HDF5: infinite loop closing library" after
 * our one error line; every file accessim opens is closed explicitly (the
 * writer commits or removes its temporary), so the shutdown has nothing
 * to do. Call first in main, before any other HDF5 call (the CLI does).
 */
void am_h5_no_exit_shutdown(void);

#endif /* AM_H5_PROBE_H */
