/*
 * alloc.h: array allocation with the count x size overflow checked.
 * A count of 0 allocates one element, so that a NULL result always means
 * "out of memory" and never "empty". Free with free(). Thread-safe.
 */
#ifndef AM_ALLOC_H
#define AM_ALLOC_H

#include <stddef.h>

/* malloc(count * size), or NULL on overflow or out of memory. */
void *am_alloc_array(size_t count, size_t size);

/* The same, zero-filled. */
void *am_calloc_array(size_t count, size_t size);

#endif /* AM_ALLOC_H */
