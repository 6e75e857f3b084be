/*
 * strutil.h: small string helpers every module may use.
 *
 * Here rather than beside their first user so that a module low in the
 * dependency order (inputs/, say) never reaches up into engine/ for
 * something as plain as a string copy. Thread-safe; the results are heap
 * copies owned by the caller (free with free()).
 */
#ifndef AM_STRUTIL_H
#define AM_STRUTIL_H

/* Heap copy of str; NULL for a NULL str or when out of memory. */
char *am_strdup(const char *str);

#endif /* AM_STRUTIL_H */
