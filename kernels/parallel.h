/*
 * parallel.h: how many OpenMP threads a kernel uses.
 * Thread-safe; no allocation.
 */
#ifndef AM_PARALLEL_H
#define AM_PARALLEL_H

/* requested > 0: that many; otherwise OpenMP's default (OMP_NUM_THREADS or
 * the number of cores). Always >= 1. */
int am_parallel_threads(int requested);

/* The processors available to this process (OpenMP's count). >= 1. */
int am_parallel_cores(void);

#endif /* AM_PARALLEL_H */
