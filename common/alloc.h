/*
 * alloc.h: the project's one allocator.
 *
 * Every heap allocation the project makes for its own memory goes through
 * these functions, in every module (common/, kernels/, geo/, inputs/,
 * outputs/, engine/): one place where a fault-injection build can fail the
 * Nth allocation (SQLite's and h3's habit), and where a future allocator
 * (an arena, a tracking allocator for --max-memory) can be put in. The
 * ctest check boundary_allocations (tests/boundaries/allocations.cmake)
 * refuses a plain malloc/calloc/realloc/strdup/free in those folders.
 *
 * Not for memory another library allocates and frees: GDAL's (CPLMalloc,
 * CPLFree, CSLDestroy, OSRExportToWkt ...), PROJ's (proj_destroy ...),
 * HDF5's (H5free_memory) and libyaml's (yaml_*_delete) keep their own free
 * functions.
 *
 * Memory from these functions is freed with am_free. Freeing it with the C
 * library is still valid today (they call malloc), but use am_free, so that the
 * allocator can change without hunting for the call sites.
 *
 * A size of 0 allocates a minimal block and a count of 0 one element, so
 * that NULL always means "out of memory" (or a count x size overflow) and
 * never "empty".
 * Every function is thread-safe and may be called inside OpenMP parallel
 * regions.
 *
 * Fault injection: built with the CMake option ACCESSIM_FAULT_INJECTION=ON
 * (which defines AM_FAULT_INJECTION), every allocating call here counts
 * one allocation, and am_alloc_fail_at / am_alloc_fail_from make a chosen
 * one (and, for _from, every later one) return NULL as if memory had run
 * out. Without the option those functions do not exist and the allocator
 * is a plain wrapper over malloc.
 */
#ifndef AM_ALLOC_H
#define AM_ALLOC_H

#include <stddef.h>

/* am_malloc(size); NULL when out of memory. */
void *am_malloc(size_t size);

/* am_calloc(count, size): zero-filled; NULL on a count x size overflow or
 * when out of memory. */
void *am_calloc(size_t count, size_t size);

/* am_realloc(p, size), p NULL or from this allocator: NULL when out of memory,
 * p then left valid and unchanged (free it). A size of 0 keeps a minimal
 * block rather than freeing p. */
void *am_realloc(void *p, size_t size);

/* Frees memory from this allocator; NULL is accepted and does nothing. */
void am_free(void *p);

/* am_malloc(count * size), or NULL on overflow or out of memory. */
void *am_alloc_array(size_t count, size_t size);

/* The same, zero-filled (am_calloc). */
void *am_calloc_array(size_t count, size_t size);

/* am_realloc(p, count * size), or NULL on overflow or out of memory (p
 * then left valid and unchanged). */
void *am_realloc_array(void *p, size_t count, size_t size);

/*
 * Makes the array *p of *cap elements of elem bytes hold at least need:
 * doubles the capacity (from first_cap when 0) until it does and
 * reallocates. Returns 1, or 0 when out of memory (*p and *cap unchanged).
 */
int am_grow_array(void **p, size_t *cap, size_t need, size_t elem,
                  size_t first_cap);

#ifdef AM_FAULT_INJECTION
/*
 * Test hooks (ACCESSIM_FAULT_INJECTION builds only). Both reset the count
 * of allocations to 0; the nth allocating call after that (1-based)
 * returns NULL: only that one (am_alloc_fail_at) or that one and every
 * later one (am_alloc_fail_from). n = 0 turns the failures off. The count
 * and the setting are process-wide atomics: with several threads
 * allocating, which call is "the nth" depends on their order.
 */
void am_alloc_fail_at(size_t n);
void am_alloc_fail_from(size_t n);

/* Allocating calls (successful or failed) since the last
 * am_alloc_fail_at/_from (or since the start of the process). */
size_t am_alloc_count(void);
#endif

#endif /* AM_ALLOC_H */
