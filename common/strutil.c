/*
 * strutil.c: small string helpers (see strutil.h).
 */
#include "common/strutil.h"

#include <stdlib.h>
#include <string.h>

char *am_strdup(const char *str)
{
    if (str == NULL)
        return NULL;
    size_t n = strlen(str) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, str, n);
    return p;
}
