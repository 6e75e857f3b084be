/*
 * contract.c: degree-2 chains into single arcs (see contract.h).
 *
 * Why: OSM ways and GIS lines carry a vertex every few metres to draw the
 * road's shape; routing needs only the junctions. Contracting the chains
 * between junctions (the "degree-2 node" simplification of OSRM's and
 * RoutingKit's graph preparation, and of osmnx's simplify_graph) makes the
 * searched graph several times smaller with exactly the same travel times
 * between the nodes kept.
 *
 * Method:
 *  1. Index the arcs by tail and by head (counting sort of arc ids, stable).
 *  2. Classify every node (interior or junction, contract.h); pinned nodes
 *     are junctions.
 *  3. Walk from every out-arc of every junction through interior nodes to
 *     the next junction. An interior node is entered by exactly one arc per
 *     direction and left by the arc that does not turn back, so every arc
 *     lies on exactly one walk. Arcs no walk reached form rings of interior
 *     nodes: the tail of the lowest such arc becomes a junction. A walk
 *     whose sum would exceed the cap (or whose time would reach
 *     AM_TIME_INF) makes the node where it would a junction. Either
 *     change alters the classification, so the walks are repeated until
 *     nothing changes. Cuts go on to the end of the road in the same pass,
 *     and cuts made from the two ends of a two-way road only shorten each
 *     other's pieces, so one more pass settles them.
 *  4. Renumber the junctions in ascending old id, walk again recording, for
 *     every arc, its chain's ends and the times before and after it, and
 *     emit one arc per chain. Drop self-loops; of parallel chains between
 *     the same two junctions keep the first fastest.
 *  5. Build the CSR graph (graph.h) from the kept chains.
 * Times are integer deciseconds: sums are exact, so every time between
 * junctions is the same as in the original graph.
 *
 * In parallel (am_graph_contract_threads), with the same result, byte for
 * byte, as the serial order above for any number of threads:
 *  1. the two arc indexes are parallel counting sorts (csr.h);
 *  2. the classification is per node;
 *  3. a pass of walks runs every walk dry at once (chain_would_cut: it
 *     reads the junctions as they were when the pass began and marks its
 *     arcs). A road is touched only by the walks along it: from its two
 *     ends, and from the nodes cut on it. So a road on which no dry walk
 *     would cut is settled by the dry walks exactly as the serial pass
 *     settles it; the roads on which one would cut (those longer than the
 *     cap: few) are walked again serially, each as the serial pass would
 *     (settle_road, in ascending out-index position, which is the serial
 *     order), giving the same cuts and the same count. Rings are rare and
 *     found serially, as before;
 *  4. the junctions are numbered by per-block counts and prefix sums, so
 *     each junction's chains have fixed slots (the serial order), and are
 *     walked and filtered junction by junction in parallel (a linear
 *     search among a junction's few chains; a junction with many goes
 *     through the serial filter afterwards);
 *  5. the kept chains' tails are already ascending: the CSR graph is a
 *     prefix sum of the kept counts and a parallel copy.
 * Determinism comes from fixing every output slot by prefix sums before
 * the parallel work and from replaying the only order-dependent step (the
 * cuts) in the serial order: the "internally deterministic" style of
 * Blelloch, Fineman, Gibbons & Shun (2012), "Internally deterministic
 * parallel algorithms can be fast", PPoPP, pp. 181-192.
 */
#include "kernels/contract.h"

#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/csr.h"
#include "kernels/order.h"
#include "kernels/parallel.h"

/* Arc ids grouped by a key node (tail or head), ascending within a node. */
typedef struct arc_index {
    int64_t *first; /* [n + 1] */
    int64_t *arc;   /* [m] */
} arc_index;

static void arc_index_free(arc_index *x)
{
    am_free(x->first);
    am_free(x->arc);
}

/* Counting sort of arc ids by key[] (stable; csr.h, parallel with more
 * than one thread). */
static am_status arc_index_build(int32_t n, int64_t m, const int32_t *key,
                                 int threads, arc_index *x)
{
    x->first = am_alloc_array((size_t)n + 1, sizeof *x->first);
    x->arc = am_alloc_array((size_t)(m > 0 ? m : 1), sizeof *x->arc);
    if (x->first == NULL || x->arc == NULL)
        return AM_ERR_NOMEM;
    return am_csr_group(n, m, key, threads, x->first, x->arc);
}

typedef struct ctx {
    int32_t n;
    int64_t m;
    const int32_t *tail, *head;
    const uint32_t *time;
    arc_index out, in;
    uint8_t *junction;     /* [n] */
    uint8_t *visited;      /* [m] */
    const uint32_t *cut_w; /* [m] what the cap sums; NULL: the times */
    uint64_t max_cut;      /* the cap on a chain's sum; 0: none */
    int changed;
    int64_t cuts;
    int nt;        /* threads */
    uint8_t *flag; /* [m] by out-index position: 1 a walk that would cut,
                      2 its road settled */
    /* the nodes where walks cut (logging on while log_on) */
    int log_on, log_fail;
    int32_t *log;
    size_t n_log, cap_log;
    /* the walks still to make on one road, by out-index position */
    int64_t *pend;
    size_t n_pend, cap_pend;
} ctx;

static int is_interior(const ctx *c, int32_t v)
{
    const int64_t o0 = c->out.first[v], no = c->out.first[v + 1] - o0;
    const int64_t i0 = c->in.first[v], ni = c->in.first[v + 1] - i0;
    if (no == 1 && ni == 1) {
        const int32_t w = c->head[c->out.arc[o0]];
        const int32_t u = c->tail[c->in.arc[i0]];
        return u != v && w != v && u != w;
    }
    if (no == 2 && ni == 2) {
        const int32_t x1 = c->head[c->out.arc[o0]];
        const int32_t x2 = c->head[c->out.arc[o0 + 1]];
        const int32_t y1 = c->tail[c->in.arc[i0]];
        const int32_t y2 = c->tail[c->in.arc[i0 + 1]];
        /* A self-loop is an in- and an out-arc of v: x == v catches it. */
        if (x1 == v || x2 == v || x1 == x2 || y1 == y2)
            return 0;
        return (x1 == y1 && x2 == y2) || (x1 == y2 && x2 == y1);
    }
    return 0;
}

/* The arc leaving interior node v that does not go back to `from`. */
static int64_t next_arc(const ctx *c, int32_t v, int32_t from)
{
    const int64_t o0 = c->out.first[v];
    const int64_t a = c->out.arc[o0];
    if (c->out.first[v + 1] - o0 == 1 || c->head[a] != from)
        return a;
    return c->out.arc[o0 + 1];
}

/* What arc e adds to a chain's sum under the cap. */
static uint64_t cut_of(const ctx *c, int64_t e)
{
    return c->cut_w != NULL ? c->cut_w[e] : c->time[e];
}

/*
 * Follows the chain that starts with arc a0 to its end junction, marking
 * its arcs visited. Wherever the chain's sum (cut_of) would exceed
 * c->max_cut, or its time would reach AM_TIME_INF, makes the node there a
 * junction (c->changed) and goes on from it: the rest of the road is cut
 * in this pass too, so a long road costs one more pass, not one per cut.
 */
static void chain_walk(ctx *c, int64_t a0)
{
    uint64_t total = c->time[a0], sum = cut_of(c, a0);
    int64_t a = a0;
    c->visited[a] = 1;
    for (;;) {
        const int32_t v = c->head[a];
        if (c->junction[v])
            break;
        const int64_t b = next_arc(c, v, c->tail[a]);
        if (total + c->time[b] >= AM_TIME_INF ||
            (c->max_cut > 0 && sum + cut_of(c, b) > c->max_cut)) {
            c->junction[v] = 1;
            c->changed = 1;
            c->cuts++;
            total = 0;
            sum = 0;
            if (c->log_on) {
                if (am_grow_array((void **)&c->log, &c->cap_log, c->n_log + 1,
                                  sizeof *c->log, 64))
                    c->log[c->n_log++] = v;
                else
                    c->log_fail = 1;
            }
        }
        total += c->time[b];
        sum += cut_of(c, b);
        a = b;
        c->visited[a] = 1;
    }
}

static void walk_from(ctx *c, int32_t j)
{
    for (int64_t k = c->out.first[j]; k < c->out.first[j + 1]; k++)
        chain_walk(c, c->out.arc[k]);
}

/*
 * chain_walk without its effects but the visited marks: 1 when the walk
 * from a0 would cut somewhere (it stops there), 0 when it reaches its end
 * junction. Threads may run it at once on different chains.
 */
static int chain_would_cut(const ctx *c, int64_t a0)
{
    uint64_t total = c->time[a0], sum = cut_of(c, a0);
    int64_t a = a0;
    c->visited[a] = 1;
    for (;;) {
        const int32_t v = c->head[a];
        if (c->junction[v])
            return 0;
        const int64_t b = next_arc(c, v, c->tail[a]);
        if (total + c->time[b] >= AM_TIME_INF ||
            (c->max_cut > 0 && sum + cut_of(c, b) > c->max_cut))
            return 1;
        total += c->time[b];
        sum += cut_of(c, b);
        a = b;
        c->visited[a] = 1;
    }
}

static int pend_push(ctx *c, int64_t k)
{
    if (!am_grow_array((void **)&c->pend, &c->cap_pend, c->n_pend + 1,
                       sizeof *c->pend, 16))
        return 0;
    c->pend[c->n_pend++] = k;
    return 1;
}

/*
 * One road on which a walk would cut (the walk at out-index position p),
 * walked as the serial pass walks it: a road's interior nodes are touched
 * only by the walks along it, which are the walks from its two ends (the
 * one from p and, on a two-way road, the one back from the far end) and
 * from the nodes cut on it that the serial pass reaches later (cut nodes
 * above the walking node: the pass goes through the nodes in ascending
 * order). The serial pass makes these walks in ascending out-index
 * position, and so does this. Marks the road's end walks settled.
 */
static am_status settle_road(ctx *c, int64_t p)
{
    const int64_t a0 = c->out.arc[p];
    int64_t a = a0;
    while (!c->junction[c->head[a]])
        a = next_arc(c, c->head[a], c->tail[a]);
    int64_t q = -1;
    if (a != a0) {
        const int32_t x = c->tail[a], e = c->head[a];
        if (c->out.first[x + 1] - c->out.first[x] == 2) /* two-way */
            for (int64_t k = c->out.first[e]; k < c->out.first[e + 1]; k++)
                if (c->head[c->out.arc[k]] == x) {
                    q = k;
                    break;
                }
    }
    c->flag[p] = 2;
    c->n_pend = 0;
    if (!pend_push(c, p))
        return AM_ERR_NOMEM;
    if (q >= 0) {
        c->flag[q] = 2;
        if (!pend_push(c, q))
            return AM_ERR_NOMEM;
    }
    while (c->n_pend > 0) {
        size_t lo = 0;
        for (size_t i = 1; i < c->n_pend; i++)
            if (c->pend[i] < c->pend[lo])
                lo = i;
        const int64_t k = c->pend[lo];
        c->pend[lo] = c->pend[--c->n_pend];
        const int64_t w = c->out.arc[k];
        const int32_t from = c->tail[w];
        c->n_log = 0;
        c->log_on = 1;
        chain_walk(c, w);
        c->log_on = 0;
        if (c->log_fail)
            return AM_ERR_NOMEM;
        for (size_t i = 0; i < c->n_log; i++) {
            const int32_t v = c->log[i];
            if (v <= from)
                continue; /* the serial pass is past v */
            for (int64_t j = c->out.first[v]; j < c->out.first[v + 1]; j++)
                if (!pend_push(c, j))
                    return AM_ERR_NOMEM;
        }
    }
    return AM_OK;
}

/*
 * One pass of walks from every junction, as the serial loop (junctions
 * ascending, each one's arcs in order) makes it. In parallel, every walk
 * first runs dry (chain_would_cut, reading the junctions as they were at
 * the start of the pass): a road on which no walk would cut is settled by
 * that, since the serial walks along it then see the same junctions and
 * change nothing. The few roads on which a walk would cut are walked
 * again, serially, each as the serial pass would (settle_road); the cuts
 * of one road never touch another's nodes, so the result, and the count
 * of cuts, are the serial pass's. Leaves c->changed set when anything was
 * cut.
 */
static am_status junction_pass(ctx *c)
{
    const int32_t n = c->n;
    int64_t n_flag = 0;
    memset(c->flag, 0, (size_t)c->m);
#pragma omp parallel for num_threads(c->nt) schedule(dynamic, 1024)           \
    reduction(+ : n_flag) default(none) shared(n, c)
    for (int32_t v = 0; v < n; v++) {
        if (!c->junction[v])
            continue;
        for (int64_t k = c->out.first[v]; k < c->out.first[v + 1]; k++)
            if (chain_would_cut(c, c->out.arc[k])) {
                c->flag[k] = 1;
                n_flag++;
            }
    }
    for (int64_t k = 0; n_flag > 0 && k < c->m; k++) {
        if (c->flag[k] != 1)
            continue;
        n_flag--;
        const am_status rc = settle_road(c, k);
        if (rc != AM_OK)
            return rc;
    }
    return AM_OK;
}

/* Steps 2-3: settles which nodes are junctions; *rings: the rings found. */
static am_status settle_junctions(ctx *c, const uint8_t *keep, int64_t *rings)
{
    const int32_t n = c->n;
    *rings = 0;
#pragma omp parallel for num_threads(c->nt) schedule(static) default(none)     \
    shared(n, c, keep)
    for (int32_t v = 0; v < n; v++)
        c->junction[v] = (keep != NULL && keep[v]) || !is_interior(c, v);
    do {
        c->changed = 0;
        memset(c->visited, 0, (size_t)c->m);
        const am_status rc = junction_pass(c);
        if (rc != AM_OK)
            return rc;
        if (c->changed)
            continue; /* a cut: walk everything again */
        for (int64_t a = 0; a < c->m; a++) {
            if (c->visited[a])
                continue;
            c->junction[c->tail[a]] = 1;
            c->changed = 1;
            (*rings)++;
            walk_from(c, c->tail[a]);
        }
    } while (c->changed);
    return AM_OK;
}

am_contraction_stats am_contraction_stats_of(const am_contraction *c,
                                             uint32_t max_cut)
{
    am_contraction_stats st = {c->n_old,      c->g->n_nodes, c->n_old_arcs,
                               c->g->n_arcs,  c->n_chains,   c->n_self_loops,
                               c->n_parallel, c->n_rings,    c->n_cuts,
                               max_cut};
    return st;
}

void am_contraction_destroy(am_contraction *r)
{
    if (r == NULL)
        return;
    am_graph_destroy(r->g);
    am_free(r->new_id);
    am_free(r->old_id);
    am_free(r->in_node);
    am_free(r->in_ds);
    am_free(r->out_node);
    am_free(r->out_ds);
    am_free(r);
}

am_status am_contraction_renumber(am_contraction *c, const int32_t *order,
                                  int threads, am_error *err)
{
    if (c == NULL || c->g == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "renumber: no contraction");
    const int32_t n = c->g->n_nodes;
    const int32_t n_old = c->n_old;
    const int64_t m = c->n_old_arcs;
    am_graph *g = NULL;
    int32_t *rank = am_alloc_array((size_t)(n > 0 ? n : 1), sizeof *rank);
    int32_t *old_id = am_alloc_array((size_t)(n > 0 ? n : 1), sizeof *old_id);
    if (rank == NULL || old_id == NULL) {
        am_free(rank);
        am_free(old_id);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory renumbering %ld nodes", (long)n);
    }
    am_status rc = am_graph_permute(c->g, order, threads, rank, &g, err);
    if (rc != AM_OK) {
        am_free(rank);
        am_free(old_id);
        return rc;
    }
    const int nt = am_parallel_threads(threads);
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(n, n_old, m, c, order, rank, old_id)
    {
#pragma omp for schedule(static) nowait
        for (int32_t k = 0; k < n; k++)
            old_id[k] = c->old_id[order[k]];
#pragma omp for schedule(static) nowait
        for (int32_t v = 0; v < n_old; v++)
            if (c->new_id[v] >= 0)
                c->new_id[v] = rank[c->new_id[v]];
#pragma omp for schedule(static) nowait
        for (int64_t a = 0; a < m; a++) {
            c->in_node[a] = rank[c->in_node[a]];
            c->out_node[a] = rank[c->out_node[a]];
        }
    }
    am_graph_destroy(c->g);
    c->g = g;
    am_free(c->old_id);
    c->old_id = old_id;
    am_free(rank);
    return AM_OK;
}

static am_status check_input(int32_t n_nodes, int64_t n_arcs,
                             const int32_t *tail, const int32_t *head,
                             const uint32_t *time_ds, am_error *err)
{
    if (n_nodes < 0 || n_arcs < 0)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "contract: negative size (%ld nodes, %lld arcs)",
                            (long)n_nodes, (long long)n_arcs);
    if (n_arcs > 0 && (tail == NULL || head == NULL || time_ds == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "contract: %lld arcs but a NULL arc array",
                            (long long)n_arcs);
    for (int64_t a = 0; a < n_arcs; a++) {
        if (tail[a] < 0 || tail[a] >= n_nodes || head[a] < 0 ||
            head[a] >= n_nodes || time_ds[a] >= AM_TIME_INF) {
            am_status rc = am_error_set(
                err, AM_ERR_INVALID, NULL,
                "contract: arc %lld (%ld -> %ld, %lu ds) has a node id "
                "outside 0..%ld or a time >= AM_TIME_INF",
                (long long)a, (long)tail[a], (long)head[a],
                (unsigned long)time_ds[a], (long)n_nodes - 1);
            am_error_set_feature(err, a);
            return rc;
        }
    }
    return AM_OK;
}

/* Step 4 for the chains of junction j: records them and emits them into
 * the slots from *nc on. */
static void record_chains(const ctx *c, am_contraction *r, int32_t j,
                          int32_t *ct, int32_t *ch, uint32_t *cw, int64_t *nc)
{
    for (int64_t k = c->out.first[j]; k < c->out.first[j + 1]; k++) {
        const int64_t a0 = c->out.arc[k];
        /* First pass: total and end (junctions are settled: no cut). */
        uint64_t total = c->time[a0];
        int64_t a = a0;
        while (!c->junction[c->head[a]]) {
            a = next_arc(c, c->head[a], c->tail[a]);
            total += c->time[a];
        }
        const int32_t s = r->new_id[j], e = r->new_id[c->head[a]];
        /* Second pass: where each arc lies on the chain. */
        uint64_t before = 0;
        a = a0;
        for (;;) {
            r->in_node[a] = s;
            r->out_node[a] = e;
            r->in_ds[a] = (uint32_t)before;
            r->out_ds[a] = (uint32_t)(total - before - c->time[a]);
            before += c->time[a];
            if (c->junction[c->head[a]])
                break;
            a = next_arc(c, c->head[a], c->tail[a]);
        }
        ct[*nc] = s;
        ch[*nc] = e;
        cw[*nc] = (uint32_t)total;
        (*nc)++;
    }
}

/*
 * Step 4's filter over the chains (grouped by tail, ascending): drops
 * self-loops and all but the first fastest of parallel chains, in place.
 * pos: [n_new] scratch, all -1 on entry and on return.
 */
static int64_t filter_chains(am_contraction *r, int32_t *ct, int32_t *ch,
                             uint32_t *cw, int64_t nc, int64_t *pos)
{
    int64_t kept = 0, group = 0;
    for (int64_t i = 0; i < nc; i++) {
        if (i > 0 && ct[i] != ct[i - 1]) {
            for (int64_t k = group; k < kept; k++)
                pos[ch[k]] = -1;
            group = kept;
        }
        if (ct[i] == ch[i]) {
            r->n_self_loops++;
            continue;
        }
        const int64_t p = pos[ch[i]];
        if (p >= 0) {
            r->n_parallel++;
            if (cw[i] < cw[p])
                cw[p] = cw[i];
            continue;
        }
        ct[kept] = ct[i];
        ch[kept] = ch[i];
        cw[kept] = cw[i];
        pos[ch[i]] = kept++;
    }
    for (int64_t k = group; k < kept; k++)
        pos[ch[k]] = -1;
    return kept;
}

/* Longest chain group filtered in parallel (by linear search); longer
 * ones go through filter_chains, serially. */
#define FILTER_LINEAR_MAX 64

/*
 * filter_chains for the one group [0, d) of chains out of one junction,
 * by linear search among those kept (a junction has few chains). Returns
 * how many are kept (moved to the front); adds to *self and *par.
 */
static int64_t filter_group(int32_t *ct, int32_t *ch, uint32_t *cw, int64_t d,
                            int64_t *self, int64_t *par)
{
    int64_t kept = 0;
    for (int64_t i = 0; i < d; i++) {
        if (ct[i] == ch[i]) {
            (*self)++;
            continue;
        }
        int64_t p = -1;
        for (int64_t k = 0; k < kept; k++)
            if (ch[k] == ch[i]) {
                p = k;
                break;
            }
        if (p >= 0) {
            (*par)++;
            if (cw[i] < cw[p])
                cw[p] = cw[i];
            continue;
        }
        ct[kept] = ct[i];
        ch[kept] = ch[i];
        cw[kept] = cw[i];
        kept++;
    }
    return kept;
}

/*
 * Step 4 and 5 in parallel: numbers the junctions (per block of nodes:
 * junctions and their arcs counted, prefix-summed, then numbered), so that
 * every junction's chains have their fixed slots (the serial order:
 * junctions ascending, each one's arcs in order); walks them into those
 * slots, filters each junction's group on its own, and lays the kept ones
 * out as the CSR graph (their tails are already ascending).
 */
static am_status emit_chains(ctx *c, am_contraction *r, int32_t *ct,
                             int32_t *ch, uint32_t *cw)
{
    const int32_t n = c->n;
    const int nt = c->nt;
    am_status rc = AM_ERR_NOMEM;
    int64_t *blk = am_calloc_array(2 * ((size_t)nt + 1), sizeof *blk);
    int64_t *cstart = NULL, *kept = NULL, *pos = NULL;
    am_graph *g = NULL;
    if (blk == NULL)
        goto done;
    int64_t *bj = blk, *ba = blk + nt + 1;
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, c, bj, ba)
    for (int b = 0; b < nt; b++) {
        int64_t j = 0, a = 0;
        for (int32_t v = (int32_t)((int64_t)n * b / nt);
             v < (int32_t)((int64_t)n * (b + 1) / nt); v++)
            if (c->junction[v]) {
                j++;
                a += c->out.first[v + 1] - c->out.first[v];
            }
        bj[b] = j;
        ba[b] = a;
    }
    int64_t n_new = 0, nc = 0;
    for (int b = 0; b < nt; b++) {
        const int64_t j = bj[b], a = ba[b];
        bj[b] = n_new;
        ba[b] = nc;
        n_new += j;
        nc += a;
    }
    const size_t k1 = (size_t)n_new + 1;
    r->old_id = am_alloc_array(k1, sizeof *r->old_id);
    cstart = am_alloc_array(k1, sizeof *cstart);
    kept = am_alloc_array(k1, sizeof *kept);
    if (r->old_id == NULL || cstart == NULL || kept == NULL)
        goto done;
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n, c, r, bj, ba, cstart)
    for (int b = 0; b < nt; b++) {
        int64_t j = bj[b], a = ba[b];
        for (int32_t v = (int32_t)((int64_t)n * b / nt);
             v < (int32_t)((int64_t)n * (b + 1) / nt); v++) {
            if (!c->junction[v]) {
                r->new_id[v] = -1;
                continue;
            }
            r->new_id[v] = (int32_t)j;
            r->old_id[j] = v;
            cstart[j++] = a;
            a += c->out.first[v + 1] - c->out.first[v];
        }
    }
    cstart[n_new] = nc;
    r->n_chains = nc;

    int64_t self = 0, par = 0, n_big = 0;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1024)              \
    reduction(+ : self, par, n_big) default(none)                              \
    shared(n_new, c, r, ct, ch, cw, cstart, kept)
    for (int64_t j = 0; j < n_new; j++) {
        int64_t at = cstart[j];
        record_chains(c, r, r->old_id[j], ct, ch, cw, &at);
        const int64_t d = cstart[j + 1] - cstart[j];
        if (d > FILTER_LINEAR_MAX) {
            kept[j] = -1;
            n_big++;
            continue;
        }
        const int64_t g0 = cstart[j];
        kept[j] = filter_group(ct + g0, ch + g0, cw + g0, d, &self, &par);
    }
    r->n_self_loops = self;
    r->n_parallel = par;
    if (n_big > 0) { /* junctions with many chains: one by one */
        pos = am_alloc_array(k1, sizeof *pos);
        if (pos == NULL)
            goto done;
        for (int64_t k = 0; k < n_new; k++)
            pos[k] = -1;
        for (int64_t j = 0; j < n_new; j++) {
            if (kept[j] >= 0)
                continue;
            const int64_t g0 = cstart[j];
            kept[j] = filter_chains(r, ct + g0, ch + g0, cw + g0,
                                    cstart[j + 1] - g0, pos);
        }
    }

    /* 5. the CSR graph: tails ascending already */
    g = am_calloc(1, sizeof *g);
    if (g == NULL)
        goto done;
    g->n_nodes = (int32_t)n_new;
    g->first_out = am_alloc_array(k1, sizeof *g->first_out);
    if (g->first_out == NULL)
        goto done;
    g->first_out[0] = 0;
    for (int64_t j = 0; j < n_new; j++)
        g->first_out[j + 1] = g->first_out[j] + kept[j];
    g->n_arcs = g->first_out[n_new];
    const size_t m1 = (size_t)(g->n_arcs > 0 ? g->n_arcs : 1);
    g->head = am_alloc_array(m1, sizeof *g->head);
    g->time_ds = am_alloc_array(m1, sizeof *g->time_ds);
    if (g->head == NULL || g->time_ds == NULL)
        goto done;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4096) default(none) \
    shared(n_new, g, cstart, ch, cw)
    for (int64_t j = 0; j < n_new; j++) {
        const int64_t from = cstart[j], to = g->first_out[j];
        const int64_t d = g->first_out[j + 1] - to;
        for (int64_t e = 0; e < d; e++) {
            g->head[to + e] = ch[from + e];
            g->time_ds[to + e] = cw[from + e];
        }
    }
    r->g = g;
    g = NULL;
    rc = AM_OK;
done:
    am_free(blk);
    am_free(cstart);
    am_free(kept);
    am_free(pos);
    am_graph_destroy(g);
    return rc;
}

am_status am_graph_contract(int32_t n_nodes, int64_t n_arcs,
                            const int32_t *tail, const int32_t *head,
                            const uint32_t *time_ds, const uint8_t *keep,
                            const uint32_t *cut_w, uint32_t max_cut,
                            am_contraction **out, am_error *err)
{
    return am_graph_contract_threads(n_nodes, n_arcs, tail, head, time_ds, keep,
                                     cut_w, max_cut, 1, out, err);
}

am_status am_graph_contract_threads(int32_t n_nodes, int64_t n_arcs,
                                    const int32_t *tail, const int32_t *head,
                                    const uint32_t *time_ds,
                                    const uint8_t *keep, const uint32_t *cut_w,
                                    uint32_t max_cut, int threads,
                                    am_contraction **out, am_error *err)
{
    if (out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "am_graph_contract: out is NULL");
    *out = NULL;
    am_status rc = check_input(n_nodes, n_arcs, tail, head, time_ds, err);
    if (rc != AM_OK)
        return rc;

    ctx c = {.n = n_nodes,
             .m = n_arcs,
             .tail = tail,
             .head = head,
             .time = time_ds,
             .cut_w = cut_w,
             .max_cut = max_cut,
             .nt = am_csr_threads(threads, n_arcs)};
    int32_t *ct = NULL, *ch = NULL;
    uint32_t *cw = NULL;
    am_contraction *r = am_calloc(1, sizeof *r);
    const size_t n1 = (size_t)(n_nodes > 0 ? n_nodes : 1);
    const size_t m1 = (size_t)(n_arcs > 0 ? n_arcs : 1);
    c.junction = am_alloc_array(n1, 1);
    c.visited = am_alloc_array(m1, 1);
    if (r == NULL || c.junction == NULL || c.visited == NULL)
        goto nomem;
    r->n_old = n_nodes;
    r->n_old_arcs = n_arcs;
    r->new_id = am_alloc_array(n1, sizeof *r->new_id);
    r->in_node = am_alloc_array(m1, sizeof *r->in_node);
    r->in_ds = am_alloc_array(m1, sizeof *r->in_ds);
    r->out_node = am_alloc_array(m1, sizeof *r->out_node);
    r->out_ds = am_alloc_array(m1, sizeof *r->out_ds);
    ct = am_alloc_array(m1, sizeof *ct);
    ch = am_alloc_array(m1, sizeof *ch);
    cw = am_alloc_array(m1, sizeof *cw);
    if (r->new_id == NULL || r->in_node == NULL || r->in_ds == NULL ||
        r->out_node == NULL || r->out_ds == NULL || ct == NULL || ch == NULL ||
        cw == NULL)
        goto nomem;
    if (arc_index_build(n_nodes, n_arcs, tail, threads, &c.out) != AM_OK ||
        arc_index_build(n_nodes, n_arcs, head, threads, &c.in) != AM_OK)
        goto nomem;
    c.flag = am_alloc_array(m1, 1);
    if (c.flag == NULL)
        goto nomem;

    if (settle_junctions(&c, keep, &r->n_rings) != AM_OK)
        goto nomem;
    r->n_cuts = c.cuts;
    am_free(c.flag);
    c.flag = NULL;
    if (emit_chains(&c, r, ct, ch, cw) != AM_OK)
        goto nomem;
    *out = r;
    r = NULL;
    goto done;

nomem:
    rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                      "out of memory contracting a graph of %ld nodes and "
                      "%lld arcs",
                      (long)n_nodes, (long long)n_arcs);
done:
    arc_index_free(&c.out);
    arc_index_free(&c.in);
    am_free(c.junction);
    am_free(c.visited);
    am_free(ct);
    am_free(ch);
    am_free(cw);
    am_free(c.flag);
    am_free(c.log);
    am_free(c.pend);
    am_contraction_destroy(r);
    return rc;
}
