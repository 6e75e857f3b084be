/*
 * strutil.h: small string helpers every module may use.
 *
 * Here rather than beside their first user so that a module low in the
 * dependency order (inputs/, say) never reaches up into engine/ for
 * something as plain as a string copy. Thread-safe; the results are heap
 * copies owned by the caller (free with am_free).
 */
#ifndef AM_STRUTIL_H
#define AM_STRUTIL_H

#include <stddef.h>

/* Heap copy of str; NULL for a NULL str or when out of memory. */
char *am_strdup(const char *str);

/*
 * UTF-8, as the outputs declare their strings (HDF5 H5T_CSET_UTF8): a
 * source whose text is in another encoding (a Latin-1 Shapefile without
 * .cpg) would otherwise be written as bytes readers cannot decode.
 * Well-formed means RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */

/* 1 if str holds a byte that is not part of a well-formed UTF-8 sequence
 * (*at, may be NULL: the offset of the first), 0 if it is all UTF-8. */
int am_utf8_invalid(const char *str, size_t *at);

/* Heap copy of str with every byte that is not part of a well-formed
 * UTF-8 sequence replaced by U+FFFD (EF BF BD); NULL when out of memory. */
char *am_utf8_sanitize(const char *str);

/* Levenshtein distance of two short words, for "did you mean" hints;
 * (size_t)-1 ("far") when either is longer than 63 bytes. */
size_t am_edit_distance(const char *a, const char *b);

#endif /* AM_STRUTIL_H */
