/*
 * selection_rows.c: see selection_rows.h.
 */
#include "engine/selection_rows.h"

#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "common/alloc.h"
#include "kernels/demand.h"
#include "kernels/search.h"

typedef struct ws_buf {
    am_search *s;
    uint64_t *key;
    int32_t *cell;
    uint32_t *time;
    int64_t cap;
} ws_buf;

struct am_selection_rows_src {
    const am_model *m;
    const am_selection *x;
    int n_ws;
    ws_buf *w;
};

void am_selection_rows_destroy(am_selection_rows_src *p)
{
    if (p == NULL)
        return;
    for (int k = 0; p->w != NULL && k < p->n_ws; k++) {
        am_search_destroy(p->w[k].s);
        am_free(p->w[k].key);
        am_free(p->w[k].cell);
        am_free(p->w[k].time);
    }
    am_free(p->w);
    am_free(p);
}

int am_selection_rows_workspaces(const am_selection_rows_src *p)
{
    return p->n_ws;
}

am_status am_selection_rows_create(const am_model *m, const am_selection *x,
                                   int n_ws, am_selection_rows_src **out,
                                   am_error *err)
{
    am_selection_rows_src *p = am_calloc(1, sizeof *p);
    *out = NULL;
    if (p == NULL)
        goto nomem;
    p->m = m;
    p->x = x;
    p->n_ws = n_ws > 0 ? n_ws : 1;
    p->w = am_calloc_array((size_t)p->n_ws, sizeof *p->w);
    if (p->w == NULL)
        goto nomem;
    for (int k = 0; k < p->n_ws; k++)
        if (am_search_create(m->graph_rev->n_nodes, &p->w[k].s) != AM_OK)
            goto nomem;
    *out = p;
    return AM_OK;
nomem:
    am_selection_rows_destroy(p);
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "out of memory for the candidates' row workspaces");
}

uint64_t am_selection_rows_ws_bytes(const am_model *m, double pairs_per_row)
{
    /* kernels/search.c: about 24 bytes a node and the bucket queue's
       heads (4 each); a row's keys, cells and times (16 a pair, twice for
       the links) */
    const double b = 24.0 * (double)m->graph_rev->n_nodes +
                     4.0 * (double)AM_SEARCH_BUCKETS +
                     32.0 * (pairs_per_row > 0 ? pairs_per_row : 0.0);
    return (uint64_t)b;
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t p = *(const uint64_t *)a, q = *(const uint64_t *)b;
    return (p > q) - (p < q);
}

static int grow(ws_buf *w, int64_t n)
{
    if (n <= w->cap)
        return 1;
    const int64_t cap = n > 2 * w->cap ? n : 2 * w->cap;
    uint64_t *k = am_realloc_array(w->key, (size_t)cap, sizeof *k);
    if (k != NULL)
        w->key = k;
    int32_t *c = am_realloc_array(w->cell, (size_t)cap, sizeof *c);
    if (c != NULL)
        w->cell = c;
    uint32_t *t = am_realloc_array(w->time, (size_t)cap, sizeof *t);
    if (t != NULL)
        w->time = t;
    if (k == NULL || c == NULL || t == NULL)
        return 0;
    w->cap = cap;
    return 1;
}

int64_t am_selection_row(void *user, int32_t r, int ws, const int32_t **cell,
                         const uint32_t **time_ds)
{
    am_selection_rows_src *p = user;
    const am_model *m = p->m;
    const am_selection *x = p->x;
    const am_demand *d = m->demand;
    const uint32_t limit = x->depth_ds;
    if (ws < 0 || ws >= p->n_ws)
        return -1;
    ws_buf *w = &p->w[ws];
    const int32_t j = x->kept[r];
    int32_t v[2];
    uint32_t t0[2];
    int ns = 0;
    for (int k = 0; k < 2; k++) {
        if (x->cand->snap.node[2 * j + k] < 0)
            continue;
        v[ns] = x->cand->snap.node[2 * j + k];
        t0[ns] = x->cand->snap.offset_ds[2 * j + k];
        ns++;
    }
    if (!grow(w, 1))
        return -1;
    *cell = w->cell;
    *time_ds = w->time;
    if (ns == 0)
        return 0; /* off the network: an empty row, as the catchments */
    const int32_t n = am_search_run(w->s, m->graph_rev, ns, v, t0, limit);
    if (n < 0)
        return -1;
    const int32_t *nodes;
    const uint32_t *times;
    am_search_result(w->s, &nodes, &times);
    int64_t ub = 0;
    for (int32_t e = 0; e < n; e++)
        if (m->demand_nodes[nodes[e]])
            ub += d->first[nodes[e] + 1] - d->first[nodes[e]];
    if (!grow(w, ub + 1))
        return -1;
    int64_t k = 0;
    for (int32_t e = 0; e < n; e++) {
        const int32_t u = nodes[e];
        if (!m->demand_nodes[u])
            continue;
        for (int64_t q = d->first[u]; q < d->first[u + 1]; q++) {
            const int32_t l = d->order[q];
            const uint64_t tt = (uint64_t)times[e] + d->link_offset_ds[l];
            if (tt <= limit)
                w->key[k++] = ((uint64_t)(l / AM_DEMAND_LINKS) << 32) | tt;
        }
    }
    qsort(w->key, (size_t)k, sizeof *w->key, cmp_u64);
    int64_t o = 0;
    for (int64_t a = 0; a < k; a++)
        if (o == 0 || (int32_t)(w->key[a] >> 32) != w->cell[o - 1]) {
            w->cell[o] = (int32_t)(w->key[a] >> 32);
            w->time[o] = (uint32_t)(w->key[a] & 0xffffffffu);
            o++;
        }
    *cell = w->cell;
    *time_ds = w->time;
    return o;
}

am_status am_selection_rows_csr(am_selection_rows_src *p, const int32_t *rows,
                                int32_t n, int threads, int64_t **row_out,
                                int32_t **cell_out, uint32_t **time_out,
                                am_error *err)
{
    int64_t *row = am_calloc_array((size_t)n + 1, sizeof *row);
    int32_t **tc = am_calloc_array((size_t)n + 1, sizeof *tc);
    uint32_t **tt = am_calloc_array((size_t)n + 1, sizeof *tt);
    int32_t *cell = NULL;
    uint32_t *tim = NULL;
    int failed = row == NULL || tc == NULL || tt == NULL;
    const int nt = threads > 0 && threads < p->n_ws ? threads : p->n_ws;
    if (!failed) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)                  \
    reduction(|                                                                \
              : failed) if (nt > 1)
        for (int32_t k = 0; k < n; k++) {
            const int32_t *c;
            const uint32_t *t;
            const int64_t len =
                am_selection_row(p, rows[k], omp_get_thread_num(), &c, &t);
            if (len < 0) {
                failed = 1;
                continue;
            }
            tc[k] = am_alloc_array((size_t)len + 1, sizeof **tc);
            tt[k] = am_alloc_array((size_t)len + 1, sizeof **tt);
            if (tc[k] == NULL || tt[k] == NULL) {
                failed = 1;
                continue;
            }
            if (len > 0) { /* an empty row's pointers may be NULL */
                memcpy(tc[k], c, (size_t)len * sizeof *c);
                memcpy(tt[k], t, (size_t)len * sizeof *t);
            }
            row[k + 1] = len;
        }
    }
    if (!failed) {
        for (int32_t k = 0; k < n; k++)
            row[k + 1] += row[k];
        cell = am_alloc_array((size_t)row[n] + 1, sizeof *cell);
        tim = am_alloc_array((size_t)row[n] + 1, sizeof *tim);
        failed = cell == NULL || tim == NULL;
    }
    for (int32_t k = 0; !failed && k < n; k++) {
        if (row[k + 1] > row[k]) {
            memcpy(cell + row[k], tc[k], (size_t)(row[k + 1] - row[k]) * 4);
            memcpy(tim + row[k], tt[k], (size_t)(row[k + 1] - row[k]) * 4);
        }
    }
    for (int32_t k = 0; tc != NULL && tt != NULL && k < n; k++) {
        am_free(tc[k]);
        am_free(tt[k]);
    }
    am_free(tc);
    am_free(tt);
    if (failed) {
        am_free(row);
        am_free(cell);
        am_free(tim);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the candidates' rows");
    }
    *row_out = row;
    *cell_out = cell;
    *time_out = tim;
    return AM_OK;
}

am_status am_selection_sweep_chunks(am_selection_rows_src *p,
                                    const am_sel_instance *in,
                                    const am_sweep_params *prm, int32_t chunk,
                                    const am_sweep_row *out, am_error *err)
{
    const int32_t n = in->n_cand;
    const size_t nc = (size_t)prm->n_cutoffs;
    int32_t *rows =
        am_alloc_array((size_t)(chunk > 0 ? chunk : 1), sizeof *rows);
    if (rows == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    if (chunk < 1)
        chunk = 1;
    am_status rc = AM_OK;
    for (int32_t c0 = 0; rc == AM_OK && c0 < n; c0 += chunk) {
        const int32_t m = n - c0 < chunk ? n - c0 : chunk;
        for (int32_t k = 0; k < m; k++)
            rows[k] = c0 + k;
        int64_t *row = NULL;
        int32_t *cell = NULL;
        uint32_t *tim = NULL;
        rc = am_selection_rows_csr(p, rows, m, prm->n_threads, &row, &cell,
                                   &tim, err);
        if (rc != AM_OK)
            break;
        am_sel_instance sub = {in->n_cells, in->weight, in->base_ds, m,
                               row,         cell,       tim,         NULL};
        am_sweep_params q = *prm;
        q.supply = prm->supply != NULL ? prm->supply + c0 : NULL;
        am_sweep_row o = {out->newly_within + (size_t)c0 * nc,
                          out->nearest_changed + c0,
                          out->time_saved_min + c0,
                          out->d_mean + c0,
                          out->d_bottom10 + c0,
                          out->d_gini + c0,
                          out->no_demand + c0};
        rc = am_sweep_run(&sub, &q, &o, err);
        am_free(row);
        am_free(cell);
        am_free(tim);
    }
    am_free(rows);
    return rc;
}
