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
#include <stdio.h>
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

const char *am_format_count(double v, char buf[AM_COUNT_BUF])
{
    if (isnan(v)) {
        snprintf(buf, AM_COUNT_BUF, "nan");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, AM_COUNT_BUF, "%s", v < 0 ? "-inf" : "inf");
        return buf;
    }
    /* 1e18 has 19 digits: 25 bytes with separators, sign and NUL. */
    if (fabs(v) >= 1e18) {
        snprintf(buf, AM_COUNT_BUF, "%.3e", v);
        return buf;
    }
    char raw[AM_COUNT_BUF];
    int len = snprintf(raw, sizeof raw, "%.0f", fabs(v));
    if (len < 0 || len >= (int)sizeof raw) { /* cannot happen below 1e18 */
        snprintf(buf, AM_COUNT_BUF, "%.3e", v);
        return buf;
    }
    size_t o = 0;
    if (v < 0 && nearbyint(v) != 0.0)
        buf[o++] = '-';
    for (int i = 0; i < len; i++) {
        buf[o++] = raw[i];
        int left = len - i - 1;
        if (left > 0 && left % 3 == 0)
            buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}
