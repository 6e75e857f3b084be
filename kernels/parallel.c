/*
 * parallel.c: thread-count policy shared by every kernel (see parallel.h).
 */
#include "kernels/parallel.h"

#include <omp.h>

int am_parallel_threads(int requested)
{
    if (requested > 0)
        return requested;
    int n = omp_get_max_threads();
    return n > 0 ? n : 1;
}

int am_parallel_cores(void)
{
    int n = omp_get_num_procs();
    return n > 0 ? n : 1;
}
