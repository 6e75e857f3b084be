/*
 * thread_counts.h: the thread counts every determinism test runs (issue 13,
 * "Threads"), shared by tests/kernels and tests/engine (include after
 * cmocka.h). A parallel kernel reduces per task in task order (STYLE.md,
 * OpenMP), so its output must be the same bytes at each count:
 *   1  the serial path (most kernels skip the parallel region);
 *   2  the CI machine's cores;
 *   3  splits that do not divide the work evenly;
 *   8  more threads than cores (preempted threads, TSan's interleavings)
 *      and than the tasks of small fixtures (threads left without work).
 * A test runs its kernel at am_test_threads[0] (1) as the reference and
 * compares the others with it.
 */
#ifndef AM_TEST_THREAD_COUNTS_H
#define AM_TEST_THREAD_COUNTS_H

#include <string.h>

enum { AM_TEST_N_THREADS = 4, AM_TEST_THREADS_MAX = 8 };
static const int am_test_threads[AM_TEST_N_THREADS] = {1, 2, 3,
                                                       AM_TEST_THREADS_MAX};

/* size bytes at a and b the same (a from the run at threads threads, b
 * the reference: the 1-thread run or a serial oracle); a failure names the
 * thread count, then cmocka shows the first differing bytes. */
#define assert_same_at_threads(a, b, size, threads)                            \
    do {                                                                       \
        if (memcmp((a), (b), (size)) != 0)                                     \
            print_error("%s differs from the reference at %d threads\n", #a,   \
                        (threads));                                            \
        assert_memory_equal((a), (b), (size));                                 \
    } while (0)

#endif /* AM_TEST_THREAD_COUNTS_H */
