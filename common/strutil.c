/*
 * strutil.c: small string helpers (see strutil.h).
 */
#include "common/strutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

char *am_strdup(const char *str)
{
    if (str == NULL)
        return NULL;
    size_t n = strlen(str) + 1;
    char *p = am_malloc(n);
    if (p != NULL)
        memcpy(p, str, n);
    return p;
}

/* Length of the well-formed UTF-8 sequence at p, or 0 if it is not one
 * (p[0] is not NUL). */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* continuation byte, C0, C1, F5..FF */
    }
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

int am_utf8_invalid(const char *str, size_t *at)
{
    const unsigned char *p = (const unsigned char *)str;
    for (size_t i = 0; p[i] != '\0';) {
        size_t n = utf8_seq(p + i);
        if (n == 0) {
            if (at != NULL)
                *at = i;
            return 1;
        }
        i += n;
    }
    return 0;
}

char *am_utf8_sanitize(const char *str)
{
    if (str == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)str;
    size_t len = strlen(str), bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i);
        bad += n == 0;
        i += n == 0 ? 1 : n;
    }
    if (len > ((size_t)-1 - 1) / 3 - bad) /* never for a real string */
        return NULL;
    char *out = am_malloc(len + 2 * bad + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, str + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

size_t am_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}
