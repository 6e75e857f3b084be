/*
 * alloc.c: see alloc.h. One place for every module's array allocations, so
 * a later fault-injection build can hook a single function.
 */
#include "common/alloc.h"

#include <stdint.h>
#include <stdlib.h>

void *am_alloc_array(size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    return malloc(count * size);
}

void *am_calloc_array(size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    return calloc(count, size);
}
