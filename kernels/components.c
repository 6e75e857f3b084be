/*
 * components.c: strongly connected components (see components.h).
 *
 * Why: people snapped onto a fragment of the road network that cannot
 * reach, or cannot be reached from, the rest get zero access without any
 * sign of why; the components let the engine snap only onto the parts of
 * the network that matter and report the rest.
 *
 * Algorithm: Tarjan's (1972, "Depth-first search and linear graph
 * algorithms", SIAM J. Comput. 1(2):146-160) in the space-efficient form
 * of Pearce (2016, "A space-efficient algorithm for finding strongly
 * connected components", Inf. Process. Lett. 116(1):47-52, PEA_FIND_SCC2):
 * one array rindex[] replaces Tarjan's index and lowlink, and a completed
 * component's nodes get its number counted down from n, so that it
 * compares above every node still active. The recursion is replaced by an
 * explicit call stack of (node, offset of the next arc to look at, root
 * flag); a frame stays on an arc while its child is explored and reads the
 * child's rindex when it resumes.
 *
 * Invariants, with index = 1 + number of active nodes (visited, not yet in
 * a completed component) and c = n - number of completed nodes:
 *   index <= c + 1; every active node has 1 <= rindex < index; every
 *   completed node has rindex > c (so it never lowers an active one);
 *   rindex == 0 means not yet visited.
 * The components come out in completion order (raw id n - rindex); they
 * are then renumbered by size descending and lowest node id, which makes
 * the numbering independent of the DFS.
 *
 * Cost: O(n_nodes + n_arcs) for the DFS, O(k log k) to sort k components.
 * Scratch: 13 bytes per node during the DFS, then 12 per component.
 */
#include "kernels/components.h"

#include <stdlib.h>

#include "common/alloc.h"

typedef struct comp_key {
    int32_t size, lowest, raw;
} comp_key;

static int cmp_key(const void *a, const void *b)
{
    const comp_key *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->lowest > y->lowest) - (x->lowest < y->lowest);
}

/* Pearce's DFS: rindex[v] = n - (raw component) for every v. Returns the
 * number of components. Scratch arrays are the caller's, [n] each. */
static int32_t scc_dfs(const am_graph *g, int32_t *rindex, int32_t *stack,
                       int32_t *fnode, int32_t *foff, uint8_t *froot)
{
    const int32_t n = g->n_nodes;
    const int64_t *first = g->first_out;
    const int32_t *head = g->head;
    int32_t index = 1, c = n, sp = 0;
    for (int32_t s = 0; s < n; s++) {
        if (rindex[s] != 0)
            continue;
        int32_t top = 0;
        fnode[0] = s;
        foff[0] = 0;
        froot[0] = 1;
        rindex[s] = index++;
        while (top >= 0) {
            const int32_t v = fnode[top];
            const int64_t a0 = first[v];
            const int32_t deg = (int32_t)(first[v + 1] - a0);
            int32_t off = foff[top];
            int descended = 0;
            for (; off < deg; off++) {
                const int32_t w = head[a0 + off];
                if (rindex[w] == 0) { /* visit w; come back to this arc */
                    foff[top] = off;
                    top++;
                    fnode[top] = w;
                    foff[top] = 0;
                    froot[top] = 1;
                    rindex[w] = index++;
                    descended = 1;
                    break;
                }
                if (rindex[w] < rindex[v]) {
                    rindex[v] = rindex[w];
                    froot[top] = 0;
                }
            }
            if (descended)
                continue;
            if (froot[top]) { /* v closes a component: it and S above it */
                index--;
                while (sp > 0 && rindex[v] <= rindex[stack[sp - 1]]) {
                    rindex[stack[--sp]] = c;
                    index--;
                }
                rindex[v] = c--;
            } else {
                stack[sp++] = v;
            }
            top--;
        }
    }
    return n - c;
}

static am_status nomem(am_error *err, int32_t n)
{
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "out of memory finding the components of %d nodes",
                        (int)n);
}

am_status am_components_compute(const am_graph *g, am_components **out,
                                am_error *err)
{
    am_status rc = AM_OK;
    am_components *r = NULL;
    int32_t *stack = NULL, *fnode = NULL, *foff = NULL;
    uint8_t *froot = NULL;
    comp_key *key = NULL;
    if (out != NULL)
        *out = NULL;
    if (out == NULL || g == NULL || g->n_nodes < 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "components: no graph or no output");
    const int32_t n = g->n_nodes;
    for (int32_t v = 0; v < n; v++)
        if (g->first_out[v + 1] - g->first_out[v] > INT32_MAX)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "components: node %d has more than %d arcs",
                                (int)v, INT32_MAX);
    r = am_calloc(1, sizeof *r);
    if (r == NULL) {
        rc = nomem(err, n);
        goto done;
    }
    r->n_nodes = n;
    r->comp = am_calloc_array((size_t)n, sizeof *r->comp);
    stack = am_alloc_array((size_t)n, sizeof *stack);
    fnode = am_alloc_array((size_t)n, sizeof *fnode);
    foff = am_alloc_array((size_t)n, sizeof *foff);
    froot = am_alloc_array((size_t)n, sizeof *froot);
    if (r->comp == NULL || !stack || !fnode || !foff || !froot) {
        rc = nomem(err, n);
        goto done;
    }
    const int32_t k = scc_dfs(g, r->comp, stack, fnode, foff, froot);
    am_free(foff);
    am_free(froot);
    foff = NULL;
    froot = NULL;

    /* raw id (completion order) -> size and lowest node */
    key = am_alloc_array((size_t)k, sizeof *key);
    r->size = am_alloc_array((size_t)k, sizeof *r->size);
    if (key == NULL || r->size == NULL) {
        rc = nomem(err, n);
        goto done;
    }
    for (int32_t i = 0; i < k; i++) {
        key[i].size = 0;
        key[i].lowest = -1;
        key[i].raw = i;
    }
    for (int32_t v = 0; v < n; v++) {
        comp_key *e = &key[n - r->comp[v]];
        if (e->lowest < 0)
            e->lowest = v;
        e->size++;
    }
    qsort(key, (size_t)k, sizeof *key, cmp_key);
    int32_t *rank = stack; /* [k <= n], the DFS stack is free now */
    for (int32_t i = 0; i < k; i++) {
        rank[key[i].raw] = i;
        r->size[i] = key[i].size;
    }
    for (int32_t v = 0; v < n; v++)
        r->comp[v] = rank[n - r->comp[v]];
    r->n_components = k;
    *out = r;
    r = NULL;
done:
    am_free(stack);
    am_free(fnode);
    am_free(foff);
    am_free(froot);
    am_free(key);
    am_components_destroy(r);
    return rc;
}

void am_components_destroy(am_components *c)
{
    if (c == NULL)
        return;
    am_free(c->comp);
    am_free(c->size);
    am_free(c);
}
