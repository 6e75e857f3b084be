/*
 * unique.h: the first repeated string of a list, in O(n log n).
 *
 * Names that must be unique (mapping keys of a scenario, facility set and
 * measure names, classes of a capacity table) are checked with this rather
 * than by comparing every pair: a hostile scenario with 40,000 keys took
 * 23 s with the pairwise loop. The answer is the one the pairwise loop
 * gives, so messages do not depend on the method: the repeat that comes
 * first in the list, and the first entry it repeats.
 *
 * Allocates n (index) pairs for the call; thread-safe.
 */
#ifndef AM_UNIQUE_H
#define AM_UNIQUE_H

#include <stddef.h>

/*
 * Among strs[0..n-1] (NULL entries are skipped: never equal to anything),
 * finds the smallest j such that strs[j] equals an earlier strs[i], and the
 * smallest such i. Returns 1 with *first = i and *second = j, 0 when the
 * strings are all distinct, -1 when out of memory. strs is borrowed.
 */
int am_find_duplicate(const char *const *strs, size_t n, size_t *first,
                      size_t *second);

#endif /* AM_UNIQUE_H */
