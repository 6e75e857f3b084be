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
 *
 * In parallel (am_components_compute_threads): the DFS is inherently
 * serial, so the bulk goes first by the forward-backward method of
 * Fleischer, Hendrickson and Pinar (2000, "On identifying strongly
 * connected components in parallel", IPDPS workshops, LNCS 1800:505-511)
 * as specialised for small-world and road graphs by Hong, Rodia and
 * Olukotun (2013, "On fast parallel detection of strongly connected
 * components (SCC) in small-world graphs", SC'13): repeated trimming of the
 * nodes with no arc in or no arc out to the nodes left (components of one
 * node), then the nodes both reached from and reaching a pivot (the
 * giant component, by level-synchronous frontier BFS on the graph and its
 * reverse), then Tarjan's DFS above on whatever is left (a road network's
 * fragments: small). Every component is found exactly, whatever the
 * threads' interleaving; the numbering by size and lowest node makes the
 * result the same bytes as the serial DFS's.
 */
#include "kernels/components.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "kernels/parallel.h"

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

/* Pearce's DFS from starts[0 .. n_starts - 1] (NULL: every node 0 ..
 * n_starts - 1): rindex[v] = c0 - (raw component) for every v reached.
 * Nodes with rindex > c0 on entry count as completed (never entered, never
 * lowering an active node); c0 + 1 must exceed the number of nodes the DFS
 * can reach. Returns the number of components. Scratch arrays are the
 * caller's, one entry per node the DFS can reach. */
static int32_t scc_dfs(const am_graph *g, const int32_t *starts,
                       int32_t n_starts, int32_t c0, int32_t *rindex,
                       int32_t *stack, int32_t *fnode, int32_t *foff,
                       uint8_t *froot)
{
    const int64_t *first = g->first_out;
    const int32_t *head = g->head;
    int32_t index = 1, c = c0, sp = 0;
    for (int32_t i = 0; i < n_starts; i++) {
        const int32_t s = starts != NULL ? starts[i] : i;
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
    return c0 - c;
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
    const int32_t k =
        scc_dfs(g, NULL, n, n, r->comp, stack, fnode, foff, froot);
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

/* ---- in parallel: trimming, forward-backward, Tarjan on the rest ---- */

#define SCC_MIN_PER_THREAD 4096 /* fewer threads below this many nodes */
/* fewer threads: the serial DFS (the reverse graph and two searches cost
 * about what they save on two cores) */
#define SCC_MIN_THREADS 4
#define SCC_TRIM_ROUNDS 8    /* at most; stop early when few go */
#define SCC_PIVOTS 4         /* forward-backward tries at most */
#define SCC_BUF 512          /* per-thread frontier buffer (stack) */
#define SCC_STACK 2048       /* per-thread depth-first stack */
#define SCC_BUDGET 1024      /* nodes expanded from one frontier node */
#define SCC_BUDGET_BIG 16384 /* the same when the frontier is small */

#define ST_FW 1u   /* reached forward from the pivot */
#define ST_BW 2u   /* reached backward */
#define ST_DONE 4u /* in a component already found */

static uint8_t st_load(const uint8_t *st, int32_t v)
{
    return __atomic_load_n(&st[v], __ATOMIC_RELAXED);
}

static int scc_threads(int requested, int64_t items)
{
    int nt = am_parallel_threads(requested);
    const int64_t most = items / SCC_MIN_PER_THREAD;
    if ((int64_t)nt > most)
        nt = (int)most;
    return nt < 1 ? 1 : nt;
}

/* Whether v has an arc in g to a node other than itself not yet done. */
static int has_live_arc(const am_graph *g, const uint8_t *st, int32_t v)
{
    for (int64_t a = g->first_out[v]; a < g->first_out[v + 1]; a++) {
        const int32_t w = g->head[a];
        if (w != v && !(st_load(st, w) & ST_DONE))
            return 1;
    }
    return 0;
}

/* appends the nb nodes of buf to nxt (at the shared tail) */
static void spill(int32_t *nxt, int64_t *tail, const int32_t *buf, int nb)
{
    const int64_t p = __atomic_fetch_add(tail, nb, __ATOMIC_RELAXED);
    memcpy(nxt + p, buf, (size_t)nb * sizeof *buf);
}

/*
 * Marks `bit` on every node not done that g reaches from src. In rounds:
 * the threads share out the round's frontier; from each frontier node a
 * thread goes on depth first on its own stack for up to `budget` nodes,
 * then hands what its stack still holds (and what did not fit) to the
 * next round's frontier. A node is claimed by an atomic or, so each is
 * expanded once, and the set reached does not depend on which thread
 * claims it; only the work's order does. Rounds (each ending in a barrier)
 * are few: far fewer than a level-synchronous BFS's levels on a road
 * network's long diameter. cur, nxt: [n] scratch.
 */
static void bfs_mark(const am_graph *g, int32_t src, uint8_t bit, uint8_t *st,
                     int32_t *cur, int32_t *nxt, int nt)
{
    int64_t len = 1, tail = 0;
    st[src] |= bit;
    cur[0] = src;
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(g, bit, st, cur, nxt, len, tail, nt)
    {
        int32_t stk[SCC_STACK], out[SCC_BUF];
        while (len > 0) {
            /* few nodes to share: go further from each */
            const int64_t budget = len < 4 * nt ? SCC_BUDGET_BIG : SCC_BUDGET;
            int nb = 0;
#pragma omp for schedule(dynamic, 1) nowait
            for (int64_t i = 0; i < len; i++) {
                int sp = 0;
                int64_t work = 0;
                stk[sp++] = cur[i];
                while (sp > 0) {
                    const int32_t v = stk[--sp];
                    if (work++ >= budget) { /* to the next round */
                        if (nb == SCC_BUF) {
                            spill(nxt, &tail, out, nb);
                            nb = 0;
                        }
                        out[nb++] = v;
                        continue;
                    }
                    for (int64_t a = g->first_out[v]; a < g->first_out[v + 1];
                         a++) {
                        const int32_t w = g->head[a];
                        if (st_load(st, w) & (ST_DONE | bit))
                            continue;
                        if (__atomic_fetch_or(&st[w], bit, __ATOMIC_RELAXED) &
                            bit)
                            continue;
                        if (sp < SCC_STACK) {
                            stk[sp++] = w;
                            continue;
                        }
                        if (nb == SCC_BUF) {
                            spill(nxt, &tail, out, nb);
                            nb = 0;
                        }
                        out[nb++] = w;
                    }
                }
            }
            if (nb > 0)
                spill(nxt, &tail, out, nb);
#pragma omp barrier
#pragma omp single
            {
                int32_t *t = cur;
                cur = nxt;
                nxt = t;
                len = tail;
                tail = 0;
            }
        }
    }
}

am_status am_components_compute_threads(const am_graph *g, int threads,
                                        am_components **out, am_error *err)
{
    if (am_parallel_threads(threads) < SCC_MIN_THREADS)
        return am_components_compute(g, out, err);
    return am_components_compute_fb(g, threads, out, err);
}

am_status am_components_compute_fb(const am_graph *g, int threads,
                                   am_components **out, am_error *err)
{
    if (g == NULL || out == NULL || g->n_nodes <= 0)
        return am_components_compute(g, out, err);
    am_status rc = AM_OK;
    const int32_t n = g->n_nodes;
    const int nt = scc_threads(threads, n);
    am_components *r = NULL;
    am_graph *rev = NULL;
    uint8_t *st = NULL, *froot = NULL;
    int32_t *q0 = NULL, *q1 = NULL, *stack = NULL, *fnode = NULL, *foff = NULL,
            *rsize = NULL;
    int64_t *blk = NULL;
    comp_key *key = NULL;
    *out = NULL;
    for (int32_t v = 0; v < n; v++)
        if (g->first_out[v + 1] - g->first_out[v] > INT32_MAX)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "components: node %d has more than %d arcs",
                                (int)v, INT32_MAX);
    if ((rc = am_graph_reverse_threads(g, threads, &rev, err)) != AM_OK)
        goto done;
    r = am_calloc(1, sizeof *r);
    st = am_calloc_array((size_t)n, sizeof *st);
    q0 = am_alloc_array((size_t)n, sizeof *q0);
    q1 = am_alloc_array((size_t)n, sizeof *q1);
    blk = am_calloc_array((size_t)nt + 1, sizeof *blk);
    if (r == NULL || st == NULL || q0 == NULL || q1 == NULL || blk == NULL ||
        (r->comp = am_alloc_array((size_t)n, sizeof *r->comp)) == NULL) {
        rc = nomem(err, n);
        goto done;
    }
    r->n_nodes = n;
    int32_t *lab = r->comp; /* -1: trimmed; < n_piv: a pivot's; then DFS */

    /* trimming: a node with no arc in or no arc out to another node left
     * is a component of its own (repeated: removing it can trim others).
     * Concurrent trims only ever read nodes already done, so every trim is
     * justified; which round trims a node changes nothing in the result. */
    int64_t left = n;
    for (int round = 0; round < SCC_TRIM_ROUNDS; round++) {
        int64_t trimmed = 0;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4096)               \
    reduction(+ : trimmed) default(none) shared(n, g, rev, st, lab)
        for (int32_t v = 0; v < n; v++) {
            if (st_load(st, v) & ST_DONE)
                continue;
            if (!has_live_arc(g, st, v) || !has_live_arc(rev, st, v)) {
                lab[v] = -1;
                __atomic_store_n(&st[v], (uint8_t)ST_DONE, __ATOMIC_RELAXED);
                trimmed++;
            }
        }
        left -= trimmed;
        if (trimmed * 64 < left || left == 0)
            break;
    }

    /* forward-backward from a pivot of the largest in x out degree (ties:
     * the lowest id): the nodes reached both ways are its component */
    int32_t n_piv = 0, piv_size[SCC_PIVOTS], piv_low[SCC_PIVOTS];
    while (left > 0 && n_piv < SCC_PIVOTS) {
        uint64_t best = 0;
#pragma omp parallel for num_threads(nt) schedule(static)                      \
    reduction(max                                                              \
              : best) default(none) shared(n, g, rev, st)
        for (int32_t v = 0; v < n; v++) {
            if (st[v] & ST_DONE)
                continue;
            int64_t p = (g->first_out[v + 1] - g->first_out[v]) *
                        (rev->first_out[v + 1] - rev->first_out[v]);
            p = p < INT32_MAX ? p : INT32_MAX;
            const uint64_t k =
                ((uint64_t)p << 32) | (uint64_t)(UINT32_MAX - (uint32_t)v);
            best = k > best ? k : best;
        }
        const int32_t pivot = (int32_t)(UINT32_MAX - (uint32_t)best);
        bfs_mark(g, pivot, ST_FW, st, q0, q1, nt);
        bfs_mark(rev, pivot, ST_BW, st, q0, q1, nt);
        int64_t size = 0;
        int32_t low = n;
        const int32_t id = n_piv;
#pragma omp parallel for num_threads(nt) schedule(static)                      \
    reduction(+ : size) reduction(min : low) default(none) shared(n, st, lab, id)
        for (int32_t v = 0; v < n; v++) {
            const uint8_t s = st[v];
            if ((s & (ST_FW | ST_BW)) == (ST_FW | ST_BW)) {
                st[v] = ST_DONE;
                lab[v] = id;
                size++;
                low = v < low ? v : low;
            } else if (s & (ST_FW | ST_BW)) {
                st[v] = s & ST_DONE;
            }
        }
        piv_size[n_piv] = (int32_t)size;
        piv_low[n_piv++] = low;
        const int64_t before = left;
        left -= size;
        if (2 * size >= before)
            break; /* the giant: what is left is small */
    }

    /* the nodes left, ascending, in blocks: Tarjan's DFS from each in
     * turn, with the nodes done as completed (rindex n) */
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, st, blk)
    for (int b = 0; b < nt; b++) {
        int64_t c = 0;
        for (int64_t v = (int64_t)n * b / nt; v < (int64_t)n * (b + 1) / nt;
             v++)
            c += !(st[v] & ST_DONE);
        blk[b + 1] = c;
    }
    for (int b = 0; b < nt; b++)
        blk[b + 1] += blk[b];
    int32_t *rest = q1, *rindex = q0;
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, st, blk, rest, rindex)
    for (int b = 0; b < nt; b++) {
        int64_t k = blk[b];
        for (int64_t v = (int64_t)n * b / nt; v < (int64_t)n * (b + 1) / nt;
             v++) {
            const int done = (st[v] & ST_DONE) != 0;
            rindex[v] = done ? n : 0;
            if (!done)
                rest[k++] = (int32_t)v;
        }
    }
    const int32_t n_rest = (int32_t)blk[nt];
    const size_t r1 = (size_t)(n_rest > 0 ? n_rest : 1);
    stack = am_alloc_array(r1, sizeof *stack);
    fnode = am_alloc_array(r1, sizeof *fnode);
    foff = am_alloc_array(r1, sizeof *foff);
    froot = am_alloc_array(r1, sizeof *froot);
    if (!stack || !fnode || !foff || !froot) {
        rc = nomem(err, n);
        goto done;
    }
    const int32_t k_dfs =
        scc_dfs(g, rest, n_rest, n - 1, rindex, stack, fnode, foff, froot);

    /* keys of the components with a raw id (pivots', then the DFS's); the
     * trimmed nodes are components of one node */
    const int32_t k = n_piv + k_dfs;
    key = am_alloc_array((size_t)(k > 0 ? k : 1), sizeof *key);
    rsize = am_alloc_array((size_t)(k > 0 ? k : 1), sizeof *rsize);
    if (key == NULL || rsize == NULL) {
        rc = nomem(err, n);
        goto done;
    }
    for (int32_t i = 0; i < k; i++) {
        key[i].size = i < n_piv ? piv_size[i] : 0;
        key[i].lowest = i < n_piv ? piv_low[i] : -1;
        key[i].raw = i;
    }
    for (int32_t i = 0; i < n_rest; i++) { /* ascending: first is lowest */
        const int32_t v = rest[i];
        lab[v] = n_piv + (n - 1 - rindex[v]);
        comp_key *e = &key[lab[v]];
        if (e->lowest < 0)
            e->lowest = v;
        e->size++;
    }
    for (int32_t i = 0; i < k; i++)
        rsize[i] = key[i].size;
    qsort(key, (size_t)k, sizeof *key, cmp_key);
    int32_t n_big = 0;
    while (n_big < k && key[n_big].size > 1)
        n_big++;
    /* the big ones' ranks go in rindex[raw] (free now) */
    for (int32_t i = 0; i < n_big; i++)
        rindex[key[i].raw] = i;
        /* every component of one node, trimmed or not, ranks after the big
         * ones by its node id: counted in blocks, prefix-summed */
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, lab, rsize, blk)
    for (int b = 0; b < nt; b++) {
        int64_t c = 0;
        for (int64_t v = (int64_t)n * b / nt; v < (int64_t)n * (b + 1) / nt;
             v++)
            c += lab[v] < 0 || rsize[lab[v]] == 1;
        blk[b + 1] = c;
    }
    blk[0] = 0;
    for (int b = 0; b < nt; b++)
        blk[b + 1] += blk[b];
    const int64_t n_single = blk[nt];
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, lab, rsize, blk, rindex, n_big)
    for (int b = 0; b < nt; b++) {
        int64_t s1 = n_big + blk[b];
        for (int64_t v = (int64_t)n * b / nt; v < (int64_t)n * (b + 1) / nt;
             v++) {
            const int32_t l = lab[v];
            lab[v] = l < 0 || rsize[l] == 1 ? (int32_t)s1++ : rindex[l];
        }
    }
    r->n_components = n_big + (int32_t)n_single;
    r->size = am_alloc_array((size_t)r->n_components, sizeof *r->size);
    if (r->size == NULL) {
        rc = nomem(err, n);
        goto done;
    }
    for (int32_t i = 0; i < n_big; i++)
        r->size[i] = key[i].size;
    for (int32_t i = n_big; i < r->n_components; i++)
        r->size[i] = 1;
    *out = r;
    r = NULL;
done:
    am_graph_destroy(rev);
    am_free(st);
    am_free(q0);
    am_free(q1);
    am_free(blk);
    am_free(stack);
    am_free(fnode);
    am_free(foff);
    am_free(froot);
    am_free(key);
    am_free(rsize);
    am_components_destroy(r);
    return rc;
}
