/*
 * unique.c: the first repeated string of a list (see unique.h).
 *
 * Sorted by (string, index), equal strings form runs whose first entry is
 * the earliest occurrence and whose second entry is the earliest repeat of
 * that string; the answer is the run whose second entry comes first.
 */
#include "common/unique.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

typedef struct entry {
    const char *s;
    size_t i;
} entry;

static int entry_order(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int d = strcmp(x->s, y->s);
    return d != 0 ? d : (x->i > y->i) - (x->i < y->i);
}

int am_find_duplicate(const char *const *strs, size_t n, size_t *first,
                      size_t *second)
{
    if (n < 2)
        return 0;
    entry *e = am_alloc_array(n, sizeof *e);
    if (e == NULL)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (strs[i] != NULL)
            e[m++] = (entry){strs[i], i};
    qsort(e, m, sizeof *e, entry_order);
    int found = 0;
    for (size_t k = 1; k < m; k++) {
        if (strcmp(e[k - 1].s, e[k].s) != 0)
            continue;
        if (k >= 2 && strcmp(e[k - 2].s, e[k].s) == 0)
            continue; /* third or later of a run: its second counts */
        if (!found || e[k].i < *second) {
            *first = e[k - 1].i;
            *second = e[k].i;
            found = 1;
        }
    }
    am_free(e);
    return found;
}
