/*
 * tasks.c: independent tasks on OpenMP threads (see tasks.h).
 */
#include "kernels/tasks.h"

#include "kernels/parallel.h"

#include <omp.h>

int am_tasks_threads(int64_t n, int threads)
{
    int nt = am_parallel_threads(threads);
    if (n >= 1 && (int64_t)nt > n)
        nt = (int)n;
    return nt > 0 ? nt : 1;
}

void am_tasks_run(int64_t n, int threads, am_task_fn fn, void *user)
{
    if (n <= 0)
        return;
    const int nt = am_tasks_threads(n, threads);
    if (nt == 1) {
        for (int64_t i = 0; i < n; i++)
            fn(i, 0, user);
        return;
    }
#pragma omp parallel num_threads(nt) default(none) shared(n, fn, user)
    {
        const int t = omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
        for (int64_t i = 0; i < n; i++)
            fn(i, t, user);
    }
}
