/*
 * tasks.h: independent tasks on OpenMP threads, for the modules that may
 * not use OpenMP themselves (inputs/, outputs/: their GDAL and HDF5 calls
 * stay on the calling thread, outside any parallel region, and only pure
 * computation runs here, e.g. compressing raster chunks or measuring road
 * segments).
 *
 * Thread-safe (each call makes its own team); allocates nothing itself.
 */
#ifndef AM_TASKS_H
#define AM_TASKS_H

#include <stdint.h>

/*
 * One task: fn(task, thread, user), task in [0, n), thread in
 * [0, threads) (the index of the thread running it, for per-thread
 * scratch made by the caller before the call). A task must not fail out
 * of the region: it records its own outcome (per task, or per thread
 * without sharing a cache line), and the caller reads them after.
 */
typedef void (*am_task_fn)(int64_t task, int thread, void *user);

/*
 * Runs fn for every task in [0, n) on am_parallel_threads(threads)
 * threads (at most n), handing tasks out one at a time in increasing
 * order (task 0 first): a long serial task placed at 0 overlaps with the
 * short ones after it. Returns after every task has run. Per-thread
 * scratch is sized with am_tasks_threads(n, threads) beforehand.
 */
void am_tasks_run(int64_t n, int threads, am_task_fn fn, void *user);

/* The number of threads am_tasks_run(n, threads, ...) uses: >= 1, <= n
 * when n >= 1. */
int am_tasks_threads(int64_t n, int threads);

#endif /* AM_TASKS_H */
