/*
 * fca.c: the floating catchment area family and its neighbours (fca.h),
 * from two weighted sums over the cell-facility pairs within reach.
 *
 * Notation: t_ij is cell i's time to facility j (deciseconds, the smaller
 * over the cell's two links, demand.h), W_ij = w[t_ij] the decay weight
 * (decay.h; W_ij = 0: not within reach), P_i the cell's population, S_j
 * the facility's supply. T_i = sum_j W_ij (cell i's total weight over the
 * facilities it reaches). Every measure is a composition of
 *     colsum: sum_i c_i w[t_ij]  (per facility)  and
 *     rowsum: sum_j v_j w[t_ij]  (per cell):
 *
 *  2SFCA, generalised (Luo & Wang 2003, "Measures of spatial accessibility
 *    to health care in a GIS environment", Environment and Planning B
 *    30(6):865-884; any decay: with Luo & Qi's zones it is E2SFCA, Luo &
 *    Qi 2009, Health & Place 15(4):1100-1107; with Dai's truncated
 *    rescaled Gaussian KD2SFCA, Dai 2010, Health & Place 16(5):1038-1052):
 *      D_j = sum_i P_i W_ij,  R_j = S_j / D_j,  A_i = sum_j R_j W_ij.
 *    Identity: sum_i P_i A_i = sum_{j: D_j > 0} S_j.
 *  3SFCA (Wan, Zou & Sternberg 2012, "A three-step floating catchment area
 *    method for analyzing spatial access to health services", IJGIS
 *    26(6):1073-1089): selection weight G_ij = W_ij / T_i;
 *      D_j = sum_i G_ij W_ij P_i = sum_i (P_i / T_i) W_ij^2,
 *      R_j = S_j / D_j,  A_i = sum_j G_ij W_ij R_j
 *          = (1 / T_i) sum_j R_j W_ij^2.
 *    Identity: sum_i P_i A_i = sum_{j: D_j > 0} S_j.
 *  M2SFCA (Delamater 2013, "Spatial accessibility in suboptimally
 *    configured health care systems: a modified two-step floating
 *    catchment area (M2SFCA) metric", Health & Place 24:30-43):
 *      D_j, R_j as 2SFCA,  A_i = sum_j R_j W_ij^2.
 *  BFCA, balanced (Paez, Higgins & Vivona 2019, "Demand and level of
 *    service inflation in Floating Catchment Area (FCA) methods", PLOS ONE
 *    14(6):e0218773): weights balanced over the facilities a cell reaches,
 *    W^i_ij = W_ij / T_i, and over the cells that reach a facility,
 *    W^j_ij = W_ij / C_j with C_j = sum_i W_ij (every cell of the demand,
 *    populated or not, as the matrix's every origin in the paper):
 *      D_j = sum_i P_i W^i_ij,  R_j = S_j / D_j,  A_i = sum_j R_j W^j_ij.
 *    Preserved totals (the paper's point: no demand and no level of service
 *    counted twice): sum_j D_j = sum_{i: T_i > 0} P_i (population) and
 *    sum_i A_i = sum_{j: D_j > 0} R_j (level of service); and
 *    sum_j R_j D_j = sum_{j: D_j > 0} S_j (supply).
 *  Spatial availability (Soukhov, Paez, Higgins & Mohamed 2023,
 *    "Introducing spatial availability, a singly-constrained measure of
 *    competitive accessibility", PLOS ONE 18(1):e0278468), population
 *    balancing exponent alpha: the supply S_j split over the cells in
 *    proportion to P_i^alpha W_ij (their population and impedance factors'
 *    product, the normalising sums of each cancelling),
 *      V_i = sum_j S_j P_i^alpha W_ij / C^a_j,  C^a_j = sum_k P_k^alpha W_kj;
 *    cell_value is V_i (per person: V_i / P_i, the caller's division).
 *    Identity: sum_i V_i = sum_{j: C^a_j > 0} S_j.
 *  Gravity potential (Hansen 1959): A_i = sum_j S_j W_ij; cumulative
 *    opportunities are gravity with a step decay (supply within T).
 *  n-th nearest facility: the n-th smallest t_ij within the limit (ties
 *    counted as distinct facilities), in minutes.
 * A facility with D_j = 0 (no demand in reach, or only empty cells) has an
 * undefined ratio: NaN in fac_ratio, left out of every cell's sum
 * (weight 0 in rowsum) and counted in n_fac_no_demand. Zero supply is a
 * valid supply (ratio 0). A cell on the network with T_i = 0 (no facility
 * with W_ij > 0) gets 0 and AM_FCA_CELL_NONE; an off-network cell gets 0
 * and AM_FCA_CELL_OFF.
 *
 * The two sums (the structure of the tuned binary 2SFCA they generalise,
 * measures.c's history): a cell has up to two links; it counts once per
 * facility, at its best link (the smaller total offset_l + t_(node_l) j;
 * link 0 on a tie).
 *  colsum, per facility j (parallel over facilities, visited by the
 *    median node of their rows so that a thread's consecutive rows share
 *    cache; the visiting order changes no sum): scatter j's node times
 *    <= L into the thread's dense node -> time array (16-bit when
 *    L < 65535), walk j's row (nodes ascending) and at each node its links
 *    (offset ascending) while offset + t <= L, adding c_i w[t_ij] when the
 *    link is best for j: an O(1) test against the other link's node in the
 *    dense array (a link record carries the other link's node and the
 *    offset difference with the tie folded in). A link that is not best
 *    adds +0.0, branch-free, which changes no bit of a sum >= +0.0. The
 *    cell weights are copied into link order first (8 bytes a link).
 *  rowsum, per cell (parallel over cells): node rows (node -> facilities
 *    ascending, one key (j << bits(limit)) | t_vj, 32-bit when it fits,
 *    built once with the pairs in two passes over node ranges) are merged
 *    by j for the cell's two links; v_j w[t_ij] goes to the partial of the
 *    best link; each partial sums over j ascending and the cell's value is
 *    partial(link 0) + partial(link 1).
 * Every sum has one fixed order and is written by one task, so the results
 * are byte-identical for any thread count. With a table of ones (step
 * decay) w[t] is not read, and a product v * 1.0 is v: the binary 2SFCA of
 * measures.c (am_fca_run, now a wrapper of these sums) keeps its bits.
 * Allocation: the pairs (link records 12 bytes a link, node rows 8 bytes a
 * node and 4 or 8 an entry, a transient split table), colsum (8 bytes a
 * link and 2 or 4 a node per thread), am_fca_measure_run (24 bytes a
 * facility, 16 a cell, 8 per table entry), am_fca_nth_nearest (4 n per
 * thread); see am_fca_pairs_bytes.
 */
#include "kernels/fca.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/parallel.h"

#define FCA_T16_ABSENT 0xFFFFu

/*
 * A present link at its place in the node index (d->order): its time
 * `off`, the node w of the cell's other link (n_nodes, always "absent",
 * when there is none) and delta = woff - off + (1 for link 0, 0 for link
 * 1), woff the other link's time (INT32_MAX when none). With the other
 * link's node at tw from facility j and this link at t: this link is the
 * best for j iff t < tw + delta.
 */
typedef struct fca_lrec {
    uint32_t off;
    int32_t w;
    int32_t delta;
} fca_lrec;

typedef struct fca_rows {
    int64_t *first; /* [n_nodes + 1] */
    uint32_t *key32;
    uint64_t *key64;
    int tbits;
    uint64_t tmask;
} fca_rows;

struct am_fca_pairs {
    const am_catchments *c;
    const am_demand *d;
    uint32_t limit;
    fca_lrec *lk;  /* [n_linked] */
    int64_t *perm; /* [n_fac]: (median node << 31) | j, ascending */
    fca_rows nr;
};

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static inline double fca_masked(double x, int keep)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits &= (uint64_t)0 - (uint64_t)(keep != 0);
    memcpy(&x, &bits, sizeof x);
    return x;
}

static int bits_for(uint64_t x)
{
    int b = 0;
    while (b < 64 && (x >> b) != 0)
        b++;
    return b > 0 ? b : 1;
}

static int fca_keys32(int32_t n_fac, uint32_t limit)
{
    return bits_for(limit) + bits_for(n_fac > 0 ? (uint64_t)n_fac - 1 : 0) <=
           32;
}

size_t am_fca_pairs_bytes(int32_t n_fac, int32_t n_nodes, int64_t n_links,
                          int n_threads, uint32_t limit_ds, int64_t entries)
{
    const size_t nt = (size_t)am_parallel_threads(n_threads);
    const size_t dense = limit_ds < FCA_T16_ABSENT ? 2 : 4;
    const size_t key = fca_keys32(n_fac, limit_ds) ? 4 : 8;
    const size_t nf = (size_t)(n_fac > 0 ? n_fac : 0);
    const size_t nl = (size_t)(n_links > 0 ? n_links : 0);
    return nl * (sizeof(fca_lrec) + 8) + nt * ((size_t)n_nodes + 1) * dense +
           ((size_t)n_nodes + 1) * 8 +
           (size_t)(entries > 0 ? entries : 0) * (key + 1) + nf * (8 + 24) +
           ((size_t)limit_ds + 1) * 8;
}

/* ---- node rows ------------------------------------------------------- */

static void fca_rows_free(fca_rows *nr)
{
    am_free(nr->first);
    am_free(nr->key32);
    am_free(nr->key64);
    memset(nr, 0, sizeof *nr);
}

/*
 * Node rows from the facility rows, every entry with t <= limit, in two
 * passes over node ranges (count, fill), each task walking every facility
 * row's part inside its range in ascending j: rows come out ascending by j
 * whatever the thread count.
 */
static am_status fca_rows_build(const am_catchments *c, uint32_t limit, int nt,
                                fca_rows *nr, am_error *err)
{
    const int32_t n_fac = c->n_rows, n_nodes = c->n_cols;
    memset(nr, 0, sizeof *nr);
    nr->tbits = bits_for(limit);
    nr->tmask = ((uint64_t)1 << nr->tbits) - 1u;
    const int k32 = fca_keys32(n_fac, limit);
    /* Node ranges of about 1 MiB of keys, at least 8 per thread, and a
     * split table of at most an eighth of an entry's worth per row. */
    const int64_t nnz = am_catchments_nnz(c);
    int64_t want = nnz * (k32 ? 4 : 8) / (1024 * 1024);
    const int64_t most = nnz / 8 / ((int64_t)n_fac + 1);
    if (want > most)
        want = most;
    if (want < (int64_t)nt * 8)
        want = (int64_t)nt * 8;
    if (want > n_nodes)
        want = n_nodes;
    const int32_t n_tasks = want > 0 ? (int32_t)want : 1;
    int64_t *task_n = am_calloc_array((size_t)n_tasks + 1, sizeof *task_n);
    uint32_t *split = am_alloc_array(
        ((size_t)n_tasks + 1) * (size_t)(n_fac > 0 ? n_fac : 1), sizeof *split);
    nr->first = am_calloc_array((size_t)n_nodes + 1, sizeof *nr->first);
    if (task_n == NULL || split == NULL || nr->first == NULL)
        goto nomem;
    int64_t *first = nr->first;

#pragma omp parallel for schedule(static) num_threads(nt) default(none)        \
    shared(c, n_fac, n_nodes, n_tasks, split)
    for (int32_t j = 0; j < n_fac; j++) {
        const int64_t e0 = c->first[j], e1 = c->first[j + 1];
        int64_t e = e0;
        for (int32_t t = 0; t <= n_tasks; t++) {
            const int32_t a = (int32_t)((int64_t)n_nodes * t / n_tasks);
            while (e < e1 && c->col[e] < a)
                e++;
            split[(size_t)t * (size_t)n_fac + (size_t)j] = (uint32_t)(e - e0);
        }
    }

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(c, limit, n_fac, n_tasks, first, task_n, split)
    for (int32_t task = 0; task < n_tasks; task++) {
        const uint32_t *s0 = split + (size_t)task * (size_t)n_fac;
        const uint32_t *s1 = s0 + n_fac;
        int64_t n = 0;
        for (int32_t j = 0; j < n_fac; j++) {
            const int64_t e1 = c->first[j] + s1[j];
            for (int64_t e = c->first[j] + s0[j]; e < e1; e++) {
                if (am_catchments_time(c, e) <= limit) {
                    first[c->col[e] + 1]++;
                    n++;
                }
            }
        }
        task_n[task + 1] = n;
    }
    for (int32_t task = 0; task < n_tasks; task++)
        task_n[task + 1] += task_n[task];
    const int64_t total = task_n[n_tasks];
    if (k32)
        nr->key32 = am_alloc_array((size_t)(total > 0 ? total : 1), 4);
    else
        nr->key64 = am_alloc_array((size_t)(total > 0 ? total : 1), 8);
    if (nr->key32 == NULL && nr->key64 == NULL)
        goto nomem;
    uint32_t *key32 = nr->key32;
    uint64_t *key64 = nr->key64;
    const int tbits = nr->tbits;

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(c, limit, n_fac, n_nodes, n_tasks, first, task_n, key32, key64,     \
           tbits, split)
    for (int32_t task = 0; task < n_tasks; task++) {
        const int32_t a = (int32_t)((int64_t)n_nodes * task / n_tasks);
        const int32_t b = (int32_t)((int64_t)n_nodes * (task + 1) / n_tasks);
        int64_t run = task_n[task];
        for (int32_t v = a; v < b; v++) {
            const int64_t cnt = first[v + 1];
            first[v + 1] = run;
            run += cnt;
        }
        const uint32_t *s0 = split + (size_t)task * (size_t)n_fac;
        const uint32_t *s1 = s0 + n_fac;
        for (int32_t j = 0; j < n_fac; j++) {
            const int64_t e1 = c->first[j] + s1[j];
            for (int64_t e = c->first[j] + s0[j]; e < e1; e++) {
                const uint32_t t = am_catchments_time(c, e);
                if (t <= limit) {
                    const int64_t pos = first[c->col[e] + 1]++;
                    if (key32 != NULL)
                        key32[pos] = ((uint32_t)j << tbits) | t;
                    else
                        key64[pos] = ((uint64_t)j << tbits) | t;
                }
            }
        }
    }
    am_free(task_n);
    am_free(split);
    return AM_OK;
nomem:
    am_free(task_n);
    am_free(split);
    fca_rows_free(nr);
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "FCA: out of memory for the node rows of %ld "
                        "facilities",
                        (long)n_fac);
}

static inline uint64_t fca_key(const fca_rows *nr, int64_t e)
{
    return nr->key32 != NULL ? nr->key32[e] : nr->key64[e];
}

/* ---- pairs ----------------------------------------------------------- */

am_status am_fca_pairs_build(const am_catchments *fac_rows, const am_demand *d,
                             uint32_t limit_ds, int n_threads,
                             am_fca_pairs **out, am_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (fac_rows == NULL || d == NULL || out == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "FCA: NULL argument");
    if (limit_ds > fac_rows->limit_ds)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "FCA: limit %lu ds exceeds the catchments' limit "
                            "%lu ds; compute catchments at the largest cutoff",
                            (unsigned long)limit_ds,
                            (unsigned long)fac_rows->limit_ds);
    if (fac_rows->n_cols != d->n_nodes)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "FCA: sizes disagree (facility catchments %ld x "
                            "%ld, demand on %ld nodes)",
                            (long)fac_rows->n_rows, (long)fac_rows->n_cols,
                            (long)d->n_nodes);
    const int nt = am_parallel_threads(n_threads);
    const int32_t n_fac = fac_rows->n_rows, n_nodes = d->n_nodes;
    const int64_t n_linked = d->first[n_nodes];
    am_fca_pairs *p = am_calloc_array(1, sizeof *p);
    if (p == NULL)
        goto nomem;
    p->c = fac_rows;
    p->d = d;
    p->limit = limit_ds;
    p->lk =
        am_alloc_array((size_t)(n_linked > 0 ? n_linked : 1), sizeof *p->lk);
    p->perm = am_alloc_array((size_t)(n_fac > 0 ? n_fac : 1), sizeof *p->perm);
    if (p->lk == NULL || p->perm == NULL)
        goto nomem;

    for (int32_t j = 0; j < n_fac; j++) {
        const int64_t e0 = fac_rows->first[j], e1 = fac_rows->first[j + 1];
        const int64_t mid = e0 < e1 ? fac_rows->col[e0 + (e1 - e0) / 2] : 0;
        p->perm[j] = (mid << 31) | j;
    }
    qsort(p->perm, (size_t)n_fac, sizeof *p->perm, cmp_i64);

    fca_lrec *lk = p->lk;
#pragma omp parallel for schedule(static) num_threads(nt) default(none)        \
    shared(d, lk, n_linked, n_nodes)
    for (int64_t k = 0; k < n_linked; k++) {
        const int32_t l = d->order[k];
        const int32_t o = l ^ 1;
        const uint32_t off = d->link_offset_ds[l];
        const int32_t w = d->link_node[o];
        /* both times < AM_TIME_INF: the difference fits int32 */
        const int64_t delta = w < 0 ? INT32_MAX
                                    : (int64_t)d->link_offset_ds[o] -
                                          (int64_t)off + ((l & 1) == 0 ? 1 : 0);
        lk[k].off = off;
        lk[k].w = w >= 0 ? w : n_nodes;
        lk[k].delta = (int32_t)delta;
    }
    am_status rc = fca_rows_build(fac_rows, limit_ds, nt, &p->nr, err);
    if (rc != AM_OK) {
        am_fca_pairs_free(p);
        return rc;
    }
    *out = p;
    return AM_OK;
nomem:
    am_fca_pairs_free(p);
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "FCA: out of memory for the pairs of %ld facilities "
                        "and %ld cells",
                        (long)n_fac, (long)d->n_cells);
}

void am_fca_pairs_free(am_fca_pairs *p)
{
    if (p == NULL)
        return;
    am_free(p->lk);
    am_free(p->perm);
    fca_rows_free(&p->nr);
    am_free(p);
}

/* ---- colsum ---------------------------------------------------------- */

/*
 * Facility j's sum over cells of lw (the cell weights in link order) times
 * w[t_ij], t_ij <= L, each cell at its best link; unit: w is all ones (not
 * read). tw: the thread's dense node -> time array, all absent on entry
 * and on return (16-bit unless wide).
 */
static inline double colsum_row(const am_fca_pairs *p, int32_t j,
                                const double *lw, const double *w, uint32_t L,
                                int unit, int wide, void *tw, double *sum_w)
{
    const am_catchments *c = p->c;
    const am_demand *d = p->d;
    const fca_lrec *lk = p->lk;
    uint16_t *t16 = wide ? NULL : tw;
    uint32_t *t32 = wide ? tw : NULL;
    const int64_t e0 = c->first[j], e1 = c->first[j + 1];
    for (int64_t e = e0; e < e1; e++) {
        const uint32_t t = am_catchments_time(c, e);
        if (t > L)
            continue;
        if (wide)
            t32[c->col[e]] = t;
        else
            t16[c->col[e]] = (uint16_t)t;
    }
    double sum = 0.0, sw = 0.0;
    for (int64_t e = e0; e < e1; e++) {
        if (e + 16 < e1)
            __builtin_prefetch(&d->first[c->col[e + 16]]);
        if (e + 8 < e1) {
            const int64_t k8 = d->first[c->col[e + 8]];
            __builtin_prefetch(&lk[k8]);
            __builtin_prefetch(&lw[k8]);
        }
        const uint32_t t = am_catchments_time(c, e);
        if (t > L)
            continue;
        const int32_t v = c->col[e];
        const int64_t k1 = d->first[v + 1];
        for (int64_t k = d->first[v]; k < k1; k++) {
            const fca_lrec *x = &lk[k];
            const uint32_t tt = x->off + t;
            if (tt > L)
                break;
            const int64_t tw_ = wide ? (int64_t)t32[x->w] : (int64_t)t16[x->w];
            const int best = (int64_t)t < tw_ + x->delta;
            const double val = unit ? lw[k] : lw[k] * w[tt];
            sum += fca_masked(val, best);
            if (sum_w != NULL)
                sw += fca_masked(unit ? 1.0 : w[tt], best);
        }
    }
    if (sum_w != NULL)
        *sum_w = sw;
    for (int64_t e = e0; e < e1; e++) {
        if (wide)
            t32[c->col[e]] = AM_TIME_INF;
        else
            t16[c->col[e]] = FCA_T16_ABSENT;
    }
    return sum;
}

/* colsum at limit L <= the pairs' (w: L + 1 entries, or NULL when unit);
 * out_w (NULL: not wanted) gets sum_i w[t_ij] in the same pass. */
static am_status fca_colsum_at(const am_fca_pairs *p, const double *cell_w,
                               const double *w, uint32_t L, int unit, int nt,
                               double *out, double *out_w, am_error *err)
{
    const am_demand *d = p->d;
    const int32_t n_nodes = d->n_nodes, n_fac = p->c->n_rows;
    const int64_t n_linked = d->first[n_nodes];
    const int wide = L >= FCA_T16_ABSENT;
    const size_t dsz = wide ? sizeof(uint32_t) : sizeof(uint16_t);
    double *lw =
        am_alloc_array((size_t)(n_linked > 0 ? n_linked : 1), sizeof *lw);
    unsigned char *dense =
        am_alloc_array((size_t)nt * ((size_t)n_nodes + 1), dsz);
    if (lw == NULL || dense == NULL) {
        am_free(lw);
        am_free(dense);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "FCA: out of memory for the sums over %ld cells on "
                            "%ld nodes",
                            (long)d->n_cells, (long)n_nodes);
    }
    const double *cw = cell_w != NULL ? cell_w : d->pop;
    const int64_t *perm = p->perm;
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(p, d, lw, dense, cw, w, L, unit, wide, dsz, n_nodes, n_linked,      \
           n_fac, perm, out, out_w)
    {
        unsigned char *tw =
            dense + (size_t)omp_get_thread_num() * ((size_t)n_nodes + 1) * dsz;
        if (wide) {
            uint32_t *t32 = (uint32_t *)(void *)tw;
            for (int32_t v = 0; v <= n_nodes; v++)
                t32[v] = AM_TIME_INF;
        } else {
            memset(tw, 0xFF, ((size_t)n_nodes + 1) * dsz);
        }
#pragma omp for schedule(static)
        for (int64_t k = 0; k < n_linked; k++)
            lw[k] = cw[d->order[k] / AM_DEMAND_LINKS];
        if (out_w != NULL) {
#pragma omp for schedule(dynamic, 1)
            for (int32_t q = 0; q < n_fac; q++) {
                const int32_t j = (int32_t)(perm[q] & INT32_MAX);
                out[j] = colsum_row(p, j, lw, w, L, unit, wide, tw, &out_w[j]);
            }
        } else if (unit) {
#pragma omp for schedule(dynamic, 1)
            for (int32_t q = 0; q < n_fac; q++) {
                const int32_t j = (int32_t)(perm[q] & INT32_MAX);
                out[j] = colsum_row(p, j, lw, NULL, L, 1, wide, tw, NULL);
            }
        } else {
#pragma omp for schedule(dynamic, 1)
            for (int32_t q = 0; q < n_fac; q++) {
                const int32_t j = (int32_t)(perm[q] & INT32_MAX);
                out[j] = colsum_row(p, j, lw, w, L, 0, wide, tw, NULL);
            }
        }
    }
    am_free(lw);
    am_free(dense);
    return AM_OK;
}

/* ---- rowsum ---------------------------------------------------------- */

/*
 * Cell i's pair rows: [a, a1) of its link 0's node and [b, b1) of its link
 * 1's (empty for a missing link), and the two links' offsets; what every
 * per-cell walk over the pairs starts from.
 */
typedef struct fca_cell {
    int64_t a, a1, b, b1;
    uint32_t o0, o1;
} fca_cell;

static inline fca_cell fca_cell_of(const am_fca_pairs *p, int32_t i)
{
    const am_demand *d = p->d;
    const int32_t v0 = d->link_node[AM_DEMAND_LINKS * i];
    const int32_t v1 = d->link_node[AM_DEMAND_LINKS * i + 1];
    fca_cell c = {.o0 = d->link_offset_ds[AM_DEMAND_LINKS * i],
                  .o1 = d->link_offset_ds[AM_DEMAND_LINKS * i + 1]};
    if (v0 >= 0) {
        c.a = p->nr.first[v0];
        c.a1 = p->nr.first[v0 + 1];
    }
    if (v1 >= 0) {
        c.b = p->nr.first[v1];
        c.b1 = p->nr.first[v1 + 1];
    }
    return c;
}

/*
 * Cell i: *sv = sum_j v_j wv[t_ij] (v NULL: 1 each; unit: wv all ones,
 * not read) and, when st != NULL, *st = sum_j wt[t_ij], both over t_ij <=
 * L, each facility at the cell's best link; per link over j ascending,
 * then link 0's partial + link 1's.
 */
static inline void rowsum_cell(const am_fca_pairs *p, int32_t i,
                               const double *v, const double *wv,
                               const double *wt, uint32_t L, int unit,
                               double *sv, double *st)
{
    const fca_rows *nr = &p->nr;
    const int tb = nr->tbits;
    const uint64_t tm = nr->tmask;
    const fca_cell c = fca_cell_of(p, i);
    const uint32_t o0 = c.o0, o1 = c.o1;
    int64_t a = c.a, a1 = c.a1, b = c.b, b1 = c.b1;
    double p0 = 0.0, p1 = 0.0, q0 = 0.0, q1 = 0.0;
#define FCA_ADD(P, Q, J, T, KEEP)                                              \
    do {                                                                       \
        const uint32_t ti_ = (T) <= L ? (T) : L;                               \
        const double r_ = v != NULL ? v[J] : 1.0;                              \
        (P) += fca_masked(unit ? r_ : r_ * wv[ti_], (KEEP));                   \
        if (st != NULL)                                                        \
            (Q) += fca_masked(wt[ti_], (KEEP));                                \
    } while (0)
    while (a < a1 && b < b1) {
        const uint64_t ka = fca_key(nr, a), kb = fca_key(nr, b);
        const uint64_t ja = ka >> tb, jb = kb >> tb;
        const uint32_t t0 = o0 + (uint32_t)(ka & tm);
        const uint32_t t1 = o1 + (uint32_t)(kb & tm);
        if (ja == jb) {
            FCA_ADD(p0, q0, ja, t0, (t0 <= t1) & (t0 <= L));
            FCA_ADD(p1, q1, ja, t1, (t1 < t0) & (t1 <= L));
            a++;
            b++;
        } else if (ja < jb) {
            FCA_ADD(p0, q0, ja, t0, t0 <= L);
            a++;
        } else {
            FCA_ADD(p1, q1, jb, t1, t1 <= L);
            b++;
        }
    }
    for (; a < a1; a++) {
        const uint64_t ka = fca_key(nr, a);
        const uint32_t t0 = o0 + (uint32_t)(ka & tm);
        FCA_ADD(p0, q0, ka >> tb, t0, t0 <= L);
    }
    for (; b < b1; b++) {
        const uint64_t kb = fca_key(nr, b);
        const uint32_t t1 = o1 + (uint32_t)(kb & tm);
        FCA_ADD(p1, q1, kb >> tb, t1, t1 <= L);
    }
#undef FCA_ADD
    *sv = p0 + p1;
    if (st != NULL)
        *st = q0 + q1;
}

/* rowsum at limit L: out_v[i] (and out_t[i] = sum_j wt[t_ij] when not
 * NULL). */
static void fca_rowsum_at(const am_fca_pairs *p, const double *v,
                          const double *wv, const double *wt, uint32_t L,
                          int unit, int nt, double *out_v, double *out_t)
{
    const int32_t n_cells = p->d->n_cells;
    if (unit && out_t == NULL) {
#pragma omp parallel for schedule(dynamic, 4096) num_threads(nt) default(none) \
    shared(p, v, L, n_cells, out_v)
        for (int32_t i = 0; i < n_cells; i++)
            rowsum_cell(p, i, v, NULL, NULL, L, 1, &out_v[i], NULL);
    } else if (unit) {
#pragma omp parallel for schedule(dynamic, 4096) num_threads(nt) default(none) \
    shared(p, v, wt, L, n_cells, out_v, out_t)
        for (int32_t i = 0; i < n_cells; i++)
            rowsum_cell(p, i, v, NULL, wt, L, 1, &out_v[i], &out_t[i]);
    } else if (out_t == NULL) {
#pragma omp parallel for schedule(dynamic, 4096) num_threads(nt) default(none) \
    shared(p, v, wv, L, n_cells, out_v)
        for (int32_t i = 0; i < n_cells; i++)
            rowsum_cell(p, i, v, wv, NULL, L, 0, &out_v[i], NULL);
    } else {
#pragma omp parallel for schedule(dynamic, 4096) num_threads(nt) default(none) \
    shared(p, v, wv, wt, L, n_cells, out_v, out_t)
        for (int32_t i = 0; i < n_cells; i++)
            rowsum_cell(p, i, v, wv, wt, L, 0, &out_v[i], &out_t[i]);
    }
}

/* ---- checks ------------------------------------------------------------ */

/* 1 when w[0..L] are all exactly 1.0 (a step within L). */
static int table_unit(const double *w, uint32_t L)
{
    for (uint32_t t = 0;; t++) {
        if (w[t] != 1.0)
            return 0;
        if (t == L)
            return 1;
    }
}

static am_status check_table(const double *w, uint32_t L, am_error *err)
{
    if (w == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "FCA: NULL decay table");
    for (uint32_t t = 0;; t++) {
        if (!isfinite(w[t]) || w[t] < 0.0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "FCA: decay weight %g at %lu ds; expected a "
                                "finite number >= 0",
                                w[t], (unsigned long)t);
        if (t == L)
            return AM_OK;
    }
}

static am_status check_values(const double *x, int32_t n, const char *what,
                              am_error *err)
{
    for (int32_t k = 0; k < n; k++) {
        if (!isfinite(x[k]) || x[k] < 0.0) {
            am_status rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                        "FCA: %s %ld is %g; expected a "
                                        "finite number >= 0",
                                        what, (long)k, x[k]);
            am_error_set_feature(err, k);
            return rc;
        }
    }
    return AM_OK;
}

/* ---- public sums --------------------------------------------------------- */

am_status am_fca_colsum(const am_fca_pairs *p, const double *cell_w,
                        const double *w, int n_threads, double *out,
                        am_error *err)
{
    if (p == NULL || (p->c->n_rows > 0 && out == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL, "FCA: NULL argument");
    am_status rc = check_table(w, p->limit, err);
    if (rc == AM_OK && cell_w != NULL)
        rc = check_values(cell_w, p->d->n_cells, "cell weight", err);
    if (rc != AM_OK)
        return rc;
    const int nt = am_parallel_threads(n_threads);
    const int unit = table_unit(w, p->limit);
    return fca_colsum_at(p, cell_w, w, p->limit, unit, nt, out, NULL, err);
}

am_status am_fca_rowsum(const am_fca_pairs *p, const double *v, const double *w,
                        int n_threads, double *out, am_error *err)
{
    if (p == NULL || (p->d->n_cells > 0 && out == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL, "FCA: NULL argument");
    am_status rc = check_table(w, p->limit, err);
    if (rc == AM_OK && v != NULL)
        rc = check_values(v, p->c->n_rows, "facility value", err);
    if (rc != AM_OK)
        return rc;
    const int nt = am_parallel_threads(n_threads);
    const int unit = table_unit(w, p->limit);
    fca_rowsum_at(p, v, w, NULL, p->limit, unit, nt, out, NULL);
    return AM_OK;
}

/* ---- n-th nearest ---------------------------------------------------- */

/* Inserts t into the ascending buf of *cnt <= n entries, keeping the n
 * smallest. */
static inline void topn_insert(uint32_t *buf, int *cnt, int n, uint32_t t)
{
    int k = *cnt;
    if (k == n) {
        if (t >= buf[n - 1])
            return;
        k = n - 1;
    } else {
        (*cnt)++;
    }
    while (k > 0 && buf[k - 1] > t) {
        buf[k] = buf[k - 1];
        k--;
    }
    buf[k] = t;
}

static uint32_t nth_cell(const am_fca_pairs *p, int32_t i, int n, uint32_t L,
                         uint32_t *buf)
{
    const fca_rows *nr = &p->nr;
    const int tb = nr->tbits;
    const uint64_t tm = nr->tmask;
    const fca_cell c = fca_cell_of(p, i);
    const uint32_t o0 = c.o0, o1 = c.o1;
    int64_t a = c.a, a1 = c.a1, b = c.b, b1 = c.b1;
    int cnt = 0;
    while (a < a1 || b < b1) {
        uint32_t t;
        if (a < a1 && b < b1) {
            const uint64_t ka = fca_key(nr, a), kb = fca_key(nr, b);
            const uint64_t ja = ka >> tb, jb = kb >> tb;
            const uint32_t t0 = o0 + (uint32_t)(ka & tm);
            const uint32_t t1 = o1 + (uint32_t)(kb & tm);
            if (ja == jb) {
                t = t0 <= t1 ? t0 : t1;
                a++;
                b++;
            } else if (ja < jb) {
                t = t0;
                a++;
            } else {
                t = t1;
                b++;
            }
        } else if (a < a1) {
            t = o0 + (uint32_t)(fca_key(nr, a++) & tm);
        } else {
            t = o1 + (uint32_t)(fca_key(nr, b++) & tm);
        }
        if (t <= L)
            topn_insert(buf, &cnt, n, t);
    }
    return cnt == n ? buf[n - 1] : AM_TIME_INF;
}

static am_status fca_nth_at(const am_fca_pairs *p, int n, uint32_t L, int nt,
                            uint32_t *time_ds, am_error *err)
{
    const int32_t n_cells = p->d->n_cells, n_fac = p->c->n_rows;
    if (n > n_fac) {
        for (int32_t i = 0; i < n_cells; i++)
            time_ds[i] = AM_TIME_INF;
        return AM_OK;
    }
    uint32_t *buf = am_alloc_array((size_t)nt * (size_t)n, sizeof *buf);
    if (buf == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "FCA: out of memory for the %d nearest "
                            "facilities",
                            n);
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(p, n, L, n_cells, time_ds, buf)
    {
        uint32_t *b = buf + (size_t)omp_get_thread_num() * (size_t)n;
#pragma omp for schedule(dynamic, 4096)
        for (int32_t i = 0; i < n_cells; i++)
            time_ds[i] = nth_cell(p, i, n, L, b);
    }
    am_free(buf);
    return AM_OK;
}

am_status am_fca_nth_nearest(const am_fca_pairs *p, int n, int n_threads,
                             uint32_t *time_ds, am_error *err)
{
    if (p == NULL || (p->d->n_cells > 0 && time_ds == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL, "FCA: NULL argument");
    if (n < 1)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "FCA: n-th nearest needs n >= 1 (got %d)", n);
    return fca_nth_at(p, n, p->limit, am_parallel_threads(n_threads), time_ds,
                      err);
}

/* ---- measures ------------------------------------------------------------ */

/* ratio[j] = S_j / D_j, NaN when D_j = 0 (counted); v[j] the same with
 * NaN as 0 (left out of the cells' sums), divided by div[j] when given. */
static int32_t ratios(int32_t n_fac, const double *supply, const double *D,
                      const double *div, double *ratio, double *v)
{
    int32_t none = 0;
    for (int32_t j = 0; j < n_fac; j++) {
        if (D[j] > 0.0) {
            ratio[j] = supply[j] / D[j];
            v[j] = div != NULL ? ratio[j] / div[j] : ratio[j];
        } else {
            ratio[j] = NAN;
            v[j] = 0.0;
            none++;
        }
    }
    return none;
}

am_status am_fca_measure_run(const am_fca_measure *m, const am_fca_pairs *p,
                             const double *supply, int n_threads,
                             am_fca_out *out, am_error *err)
{
    if (m == NULL || p == NULL || out == NULL ||
        (p->c->n_rows > 0 && supply == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL, "FCA: NULL argument");
    const int32_t n_fac = p->c->n_rows, n_cells = p->d->n_cells;
    const uint32_t L = m->limit_ds;
    am_status rc = AM_OK;
    if (m->method < AM_FCA_2SFCA || m->method > AM_FCA_NTH_NEAREST)
        return am_error_set(err, AM_ERR_INVALID, NULL, "FCA: unknown method %d",
                            (int)m->method);
    if (L > p->limit)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "FCA: the measure's limit %lu ds exceeds the "
                            "pairs' %lu ds",
                            (unsigned long)L, (unsigned long)p->limit);
    if (m->method == AM_FCA_NTH_NEAREST && m->nth < 1)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "FCA: n-th nearest needs n >= 1 (got %d)", m->nth);
    if (m->method == AM_FCA_SPAV && (!isfinite(m->alpha) || m->alpha < 0.0))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "FCA: spatial availability's alpha must be a "
                            "finite number >= 0 (got %g)",
                            m->alpha);
    if (m->method != AM_FCA_NTH_NEAREST &&
        (rc = check_table(m->w, L, err)) != AM_OK)
        return rc;
    if ((rc = check_values(supply, n_fac, "facility supply", err)) != AM_OK)
        return rc;

    const int nt = am_parallel_threads(n_threads);
    const am_demand *d = p->d;
    const size_t nf = (size_t)(n_fac > 0 ? n_fac : 1);
    const size_t nc = (size_t)(n_cells > 0 ? n_cells : 1);
    double *D = NULL, *R = NULL, *V = NULL, *C = NULL, *cw = NULL, *T = NULL,
           *A = NULL, *w2 = NULL;
    uint32_t *tn = NULL;
    out->n_fac_no_demand = 0;
    out->n_cells_none = 0;

    A = out->cell_value != NULL ? out->cell_value
                                : am_alloc_array(nc, sizeof *A);
    D = out->fac_demand != NULL ? out->fac_demand
                                : am_alloc_array(nf, sizeof *D);
    R = out->fac_ratio != NULL ? out->fac_ratio : am_alloc_array(nf, sizeof *R);
    V = am_alloc_array(nf, sizeof *V);
    T = am_alloc_array(nc, sizeof *T);
    if (A == NULL || D == NULL || R == NULL || V == NULL || T == NULL)
        goto nomem;
    const double *w = m->w;
    const int unit = m->method != AM_FCA_NTH_NEAREST && table_unit(w, L);
    if (m->method == AM_FCA_3SFCA || m->method == AM_FCA_M2SFCA) {
        if ((w2 = am_alloc_array((size_t)L + 1, sizeof *w2)) == NULL)
            goto nomem;
        for (uint32_t t = 0;; t++) {
            w2[t] = w[t] * w[t];
            if (t == L)
                break;
        }
    }

    switch (m->method) {
    case AM_FCA_2SFCA:
    case AM_FCA_M2SFCA:
        if ((rc = fca_colsum_at(p, NULL, w, L, unit, nt, D, NULL, err)) !=
            AM_OK)
            goto done;
        out->n_fac_no_demand = ratios(n_fac, supply, D, NULL, R, V);
        if (m->method == AM_FCA_2SFCA)
            fca_rowsum_at(p, V, w, w, L, unit, nt, A, T);
        else
            fca_rowsum_at(p, V, w2, w, L, unit, nt, A, T);
        break;
    case AM_FCA_3SFCA:
        /* T_i, then D_j = sum_i (P_i / T_i) W_ij^2, A_i = (1 / T_i)
         * sum_j R_j W_ij^2 */
        fca_rowsum_at(p, NULL, w, NULL, L, unit, nt, T, NULL);
        if ((cw = am_alloc_array(nc, sizeof *cw)) == NULL)
            goto nomem;
        for (int32_t i = 0; i < n_cells; i++)
            cw[i] = T[i] > 0.0 ? d->pop[i] / T[i] : 0.0;
        if ((rc = fca_colsum_at(p, cw, w2, L, unit, nt, D, NULL, err)) != AM_OK)
            goto done;
        out->n_fac_no_demand = ratios(n_fac, supply, D, NULL, R, V);
        fca_rowsum_at(p, V, w2, NULL, L, unit, nt, A, NULL);
        for (int32_t i = 0; i < n_cells; i++)
            A[i] = T[i] > 0.0 ? A[i] / T[i] : 0.0;
        break;
    case AM_FCA_BFCA:
        /* T_i; then in one pass D_j = sum_i (P_i / T_i) W_ij and
         * C_j = sum_i W_ij; A_i = sum_j (R_j / C_j) W_ij */
        fca_rowsum_at(p, NULL, w, NULL, L, unit, nt, T, NULL);
        cw = am_alloc_array(nc, sizeof *cw);
        C = am_alloc_array(nf, sizeof *C);
        if (cw == NULL || C == NULL)
            goto nomem;
        for (int32_t i = 0; i < n_cells; i++)
            cw[i] = T[i] > 0.0 ? d->pop[i] / T[i] : 0.0;
        if ((rc = fca_colsum_at(p, cw, w, L, unit, nt, D, C, err)) != AM_OK)
            goto done;
        /* D_j > 0 implies a pair with W_ij > 0, so C_j > 0 */
        out->n_fac_no_demand = ratios(n_fac, supply, D, C, R, V);
        fca_rowsum_at(p, V, w, NULL, L, unit, nt, A, NULL);
        break;
    case AM_FCA_SPAV:
        /* C^a_j = sum_k P_k^alpha W_kj; V_i = P_i^alpha sum_j (S_j /
         * C^a_j) W_ij */
        if ((cw = am_alloc_array(nc, sizeof *cw)) == NULL)
            goto nomem;
        for (int32_t i = 0; i < n_cells; i++)
            cw[i] = m->alpha == 1.0 ? d->pop[i] : pow(d->pop[i], m->alpha);
        if ((rc = fca_colsum_at(p, cw, w, L, unit, nt, D, NULL, err)) != AM_OK)
            goto done;
        out->n_fac_no_demand = ratios(n_fac, supply, D, NULL, R, V);
        fca_rowsum_at(p, V, w, w, L, unit, nt, A, T);
        for (int32_t i = 0; i < n_cells; i++)
            A[i] = cw[i] * A[i];
        break;
    case AM_FCA_GRAVITY:
        fca_rowsum_at(p, supply, w, w, L, unit, nt, A, T);
        for (int32_t j = 0; j < n_fac; j++)
            D[j] = R[j] = NAN;
        break;
    case AM_FCA_NTH_NEAREST:
        if ((tn = am_alloc_array(nc, sizeof *tn)) == NULL)
            goto nomem;
        if ((rc = fca_nth_at(p, m->nth, L, nt, tn, err)) != AM_OK)
            goto done;
        for (int32_t i = 0; i < n_cells; i++) {
            A[i] = tn[i] == AM_TIME_INF ? INFINITY : am_ds_to_minutes(tn[i]);
            T[i] = tn[i] == AM_TIME_INF ? 0.0 : 1.0;
        }
        for (int32_t j = 0; j < n_fac; j++)
            D[j] = R[j] = NAN;
        break;
    case AM_FCA_ALLOCATION: /* refused above: kernels/allocation.h */
        break;
    }

    /* Flags: off the network, or nothing with W_ij > 0 within reach (T_i
     * = 0, value 0; n-th nearest: fewer than n within the limit, +inf). */
    int32_t none = 0;
    for (int32_t i = 0; i < n_cells; i++) {
        uint8_t f = AM_FCA_CELL_OK;
        if (!am_demand_cell_on(d, i))
            f = AM_FCA_CELL_OFF;
        else if (!(T[i] > 0.0)) {
            f = AM_FCA_CELL_NONE;
            none++;
        }
        if (f != AM_FCA_CELL_OK && m->method != AM_FCA_NTH_NEAREST)
            A[i] = 0.0;
        if (out->cell_flag != NULL)
            out->cell_flag[i] = f;
    }
    out->n_cells_none = none;
    goto done;
nomem:
    rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                      "FCA: out of memory for a measure over %ld cells and "
                      "%ld facilities",
                      (long)n_cells, (long)n_fac);
done:
    if (A != out->cell_value)
        am_free(A);
    if (D != out->fac_demand)
        am_free(D);
    if (R != out->fac_ratio)
        am_free(R);
    am_free(V);
    am_free(C);
    am_free(cw);
    am_free(T);
    am_free(w2);
    am_free(tn);
    return rc;
}

/* ---- issue 9, capacity-aware coverage ------------------------------------ */

uint32_t am_fca_pairs_limit(const am_fca_pairs *p)
{
    return p->limit;
}

int32_t am_fca_pairs_n_fac(const am_fca_pairs *p)
{
    return p->c->n_rows;
}

const am_demand *am_fca_pairs_demand(const am_fca_pairs *p)
{
    return p->d;
}

int32_t am_fca_cell_facilities(const am_fca_pairs *p, int32_t i, uint32_t L,
                               int32_t *fac, uint32_t *t)
{
    const fca_rows *nr = &p->nr;
    const int tb = nr->tbits;
    const uint64_t tm = nr->tmask;
    const fca_cell c = fca_cell_of(p, i);
    const uint32_t o0 = c.o0, o1 = c.o1;
    int64_t a = c.a, a1 = c.a1, b = c.b, b1 = c.b1;
    int32_t n = 0;
    if (L > p->limit)
        L = p->limit;
    while (a < a1 || b < b1) {
        uint64_t j;
        uint32_t tt;
        if (a < a1 && b < b1) {
            const uint64_t ka = fca_key(nr, a), kb = fca_key(nr, b);
            const uint64_t ja = ka >> tb, jb = kb >> tb;
            const uint32_t t0 = o0 + (uint32_t)(ka & tm);
            const uint32_t t1 = o1 + (uint32_t)(kb & tm);
            if (ja == jb) {
                j = ja;
                tt = t0 <= t1 ? t0 : t1;
                a++;
                b++;
            } else if (ja < jb) {
                j = ja;
                tt = t0;
                a++;
            } else {
                j = jb;
                tt = t1;
                b++;
            }
        } else if (a < a1) {
            const uint64_t ka = fca_key(nr, a++);
            j = ka >> tb;
            tt = o0 + (uint32_t)(ka & tm);
        } else {
            const uint64_t kb = fca_key(nr, b++);
            j = kb >> tb;
            tt = o1 + (uint32_t)(kb & tm);
        }
        if (tt <= L) {
            fac[n] = (int32_t)j;
            t[n] = tt;
            n++;
        }
    }
    return n;
}
