/*
 * alloc.c: see alloc.h. The only file of the project that calls malloc,
 * calloc, realloc and free for its own memory.
 */
#include "common/alloc.h"

#include <stdint.h>
#include <stdlib.h>

#ifdef AM_FAULT_INJECTION
#include <stdatomic.h>

static atomic_size_t alloc_count; /* allocating calls since the reset */
static atomic_size_t fail_n;      /* 0: none; else the call that fails */
static atomic_int fail_after;     /* 1: every call after fail_n too */

/* Disarms, resets the count, then arms (n = 0 leaves it disarmed). */
static void arm(size_t n, int after)
{
    atomic_store(&fail_n, 0);
    atomic_store(&alloc_count, 0);
    atomic_store(&fail_after, after);
    atomic_store(&fail_n, n);
}

void am_alloc_fail_at(size_t n)
{
    arm(n, 0);
}

void am_alloc_fail_from(size_t n)
{
    arm(n, 1);
}

size_t am_alloc_count(void)
{
    return atomic_load(&alloc_count);
}

/* Counts one allocation; 1 if it is to fail. */
static int injected_failure(void)
{
    size_t k = atomic_fetch_add(&alloc_count, 1) + 1;
    size_t n = atomic_load(&fail_n);
    if (n == 0)
        return 0;
    return k == n || (k > n && atomic_load(&fail_after));
}
#define FAIL_HERE() injected_failure()
#else
#define FAIL_HERE() 0
#endif

void *am_malloc(size_t size)
{
    if (FAIL_HERE())
        return NULL;
    return malloc(size != 0 ? size : 1);
}

void *am_calloc(size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    if (size == 0)
        size = 1;
    if (count > SIZE_MAX / size)
        return NULL;
    if (FAIL_HERE())
        return NULL;
    return calloc(count, size);
}

void *am_realloc(void *p, size_t size)
{
    if (FAIL_HERE())
        return NULL;
    return realloc(p, size != 0 ? size : 1);
}

void am_free(void *p)
{
    free(p);
}

void *am_alloc_array(size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    return am_malloc(count * size);
}

void *am_calloc_array(size_t count, size_t size)
{
    return am_calloc(count, size);
}

void *am_realloc_array(void *p, size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    return am_realloc(p, count * size);
}

int am_grow_array(void **p, size_t *cap, size_t need, size_t elem,
                  size_t first_cap)
{
    if (need <= *cap)
        return 1;
    size_t c = *cap > 0 ? *cap : (first_cap > 0 ? first_cap : 1);
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return 0;
        c *= 2;
    }
    void *q = am_realloc_array(*p, c, elem);
    if (q == NULL)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}
