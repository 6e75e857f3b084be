/*
 * bench_util.h: the clocks and the median every benchmark program uses
 * (header-only: the benchmarks are separate programs).
 */
#ifndef AM_BENCH_UTIL_H
#define AM_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

/* Seconds on clock id (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, ...). */
static inline double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall-clock seconds (monotonic). */
static inline double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU seconds of the whole process, all threads: on a shared, busy machine
 * it shows what the work itself costs when wall time is noisy. */
static inline double cpu_s(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* qsort comparator for doubles, ascending. */
static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), n >= 1; sorts v in place. */
static inline double median_sort(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#endif /* AM_BENCH_UTIL_H */
