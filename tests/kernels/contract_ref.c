/*
 * contract_ref.c: the serial contraction as it was before it was made
 * parallel (kernels/contract.c at 673d79f), kept as the oracle that the
 * parallel one must match byte for byte (test_contract.c). Only the
 * entry point is renamed (ref_graph_contract); the result is freed with
 * am_contraction_destroy.
 */
#include "kernels/contract.h"
#include "contract_ref.h"

#include <string.h>

#include "common/alloc.h"
#include "common/units.h"

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

/* Counting sort of arc ids by key[]; stable, without a cursor array. */
static am_status arc_index_build(int32_t n, int64_t m, const int32_t *key,
                                 arc_index *x)
{
    x->first = am_calloc((size_t)n + 2, sizeof *x->first);
    x->arc = am_alloc_array((size_t)(m > 0 ? m : 1), sizeof *x->arc);
    if (x->first == NULL || x->arc == NULL)
        return AM_ERR_NOMEM;
    for (int64_t i = 0; i < m; i++)
        x->first[key[i] + 1]++;
    for (int32_t v = 0; v < n; v++)
        x->first[v + 1] += x->first[v];
    /* first[v + 1] is the end of v's bucket: fill it from the back, then
     * each first[v + 1] has moved to the start of v's bucket. */
    for (int64_t i = m - 1; i >= 0; i--)
        x->arc[--x->first[key[i] + 1]] = i;
    memmove(x->first, x->first + 1, (size_t)n * sizeof *x->first);
    x->first[n] = m;
    return AM_OK;
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

/* Steps 2-3: settles which nodes are junctions. Returns the rings found. */
static int64_t settle_junctions(ctx *c, const uint8_t *keep)
{
    int64_t rings = 0;
    for (int32_t v = 0; v < c->n; v++)
        c->junction[v] = (keep != NULL && keep[v]) || !is_interior(c, v);
    do {
        c->changed = 0;
        memset(c->visited, 0, (size_t)c->m);
        for (int32_t v = 0; v < c->n; v++)
            if (c->junction[v])
                walk_from(c, v);
        if (c->changed)
            continue; /* a cut: walk everything again */
        for (int64_t a = 0; a < c->m; a++) {
            if (c->visited[a])
                continue;
            c->junction[c->tail[a]] = 1;
            c->changed = 1;
            rings++;
            walk_from(c, c->tail[a]);
        }
    } while (c->changed);
    return rings;
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

/* Step 4 for the chains of junction j: records and emits them. */
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

am_status ref_graph_contract(int32_t n_nodes, int64_t n_arcs,
                             const int32_t *tail, const int32_t *head,
                             const uint32_t *time_ds, const uint8_t *keep,
                             const uint32_t *cut_w, uint32_t max_cut,
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
             .max_cut = max_cut};
    int32_t *ct = NULL, *ch = NULL;
    uint32_t *cw = NULL;
    int64_t *pos = NULL;
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
    if (arc_index_build(n_nodes, n_arcs, tail, &c.out) != AM_OK ||
        arc_index_build(n_nodes, n_arcs, head, &c.in) != AM_OK)
        goto nomem;

    r->n_rings = settle_junctions(&c, keep);
    r->n_cuts = c.cuts;
    int32_t n_new = 0;
    for (int32_t v = 0; v < n_nodes; v++)
        r->new_id[v] = c.junction[v] ? n_new++ : -1;
    r->old_id =
        am_alloc_array((size_t)(n_new > 0 ? n_new : 1), sizeof *r->old_id);
    pos = am_alloc_array((size_t)(n_new > 0 ? n_new : 1), sizeof *pos);
    if (r->old_id == NULL || pos == NULL)
        goto nomem;
    for (int32_t v = 0; v < n_nodes; v++)
        if (r->new_id[v] >= 0)
            r->old_id[r->new_id[v]] = v;
    for (int32_t k = 0; k < n_new; k++)
        pos[k] = -1;

    int64_t nc = 0;
    for (int32_t v = 0; v < n_nodes; v++)
        if (c.junction[v])
            record_chains(&c, r, v, ct, ch, cw, &nc);
    r->n_chains = nc;
    const int64_t kept = filter_chains(r, ct, ch, cw, nc, pos);
    rc = am_graph_build(n_new, kept, ct, ch, cw, &r->g, err);
    if (rc != AM_OK)
        goto done;
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
    am_free(pos);
    am_contraction_destroy(r);
    return rc;
}
