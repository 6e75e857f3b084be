/*
 * numparse.c: decimal-only number parsing (see numparse.h).
 *
 * The grammar is checked by hand first; only then is strtod/strtoll
 * called, on a string it can read whole, for the conversion itself (so the
 * rounding is the C library's correct rounding, not ours).
 */
#include "common/numparse.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the real-number prefix of s in the grammar, 0 if none; sets
 * *nonzero when a mantissa digit other than 0 was seen. */
static size_t scan_real(const char *s, int *nonzero)
{
    size_t i = 0, digits = 0;
    *nonzero = 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    for (; is_digit(s[i]); i++, digits++)
        *nonzero |= s[i] != '0';
    if (s[i] == '.') {
        i++;
        for (; is_digit(s[i]); i++, digits++)
            *nonzero |= s[i] != '0';
    }
    if (digits == 0)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1, exp_digits = 0;
        if (s[j] == '-' || s[j] == '+')
            j++;
        for (; is_digit(s[j]); j++)
            exp_digits++;
        if (exp_digits == 0)
            return 0; /* "1e" or "1e+" */
        i = j;
    }
    return i;
}

am_num_status am_parse_real(const char *s, double *out)
{
    int nonzero = 0;
    if (s == NULL)
        return AM_NUM_SYNTAX;
    size_t len = scan_real(s, &nonzero);
    if (len == 0 || s[len] != '\0')
        return AM_NUM_SYNTAX;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end != s + len)
        return AM_NUM_SYNTAX;
    if (!isfinite(v))
        return AM_NUM_RANGE;
    /* Underflow: non-zero digits that read as zero or a subnormal. */
    if (nonzero && fabs(v) < DBL_MIN)
        return AM_NUM_RANGE;
    *out = v == 0.0 ? 0.0 : v; /* -0 -> 0 */
    return AM_NUM_OK;
}

am_num_status am_parse_integer(const char *s, long long *out)
{
    if (s == NULL)
        return AM_NUM_SYNTAX;
    size_t i = 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    if (!is_digit(s[i]))
        return AM_NUM_SYNTAX;
    while (is_digit(s[i]))
        i++;
    if (s[i] != '\0')
        return AM_NUM_SYNTAX;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end != s + i)
        return AM_NUM_SYNTAX;
    if (errno == ERANGE)
        return AM_NUM_RANGE;
    *out = v;
    return AM_NUM_OK;
}

int am_threads_valid(long long n)
{
    return n >= 0 && n <= AM_THREADS_MAX;
}
