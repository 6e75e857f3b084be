/*
 * measures.c: 2SFCA, nearest facility, coverage and weighted summaries
 * (see measures.h).
 *
 * Why: these are the numbers a planner reads; they must be exact enough to
 * audit and identical on a laptop and on a 64-core server.
 *
 * Two-step floating catchment area (Luo & Wang 2003, "Measures of spatial
 * accessibility to health care in a GIS environment", Environment and
 * Planning B 30(6):865-884), binary threshold d0, inclusive:
 * A cell has up to two links (demand.h): t_ij is the smaller of
 * offset_l + t_(node_l) j over its links l. Each cell must count once per
 * facility, at its best link: link l = 2 i + k of cell i is "best for j"
 * when the other link's total is larger, or equal with k = 0 (absent from
 * j's row means beyond the limit, so never better).
 *   step 1, per facility j (parallel over facilities, visited by the
 *     median node of their rows so that a thread's consecutive rows share
 *     cache; the visiting order changes no sum): scatter j's times <= d0
 *     into the thread's dense node -> time array (16-bit when d0 < 65535;
 *     reset by walking the row again), then walk j's row (nodes ascending);
 *     for each node v with t_vj <= d0, walk the links at v in ascending
 *     offset while offset_l + t_vj <= d0 and add P_i of the link's cell
 *     when the link is best for j, an O(1) test against the other link's
 *     node in the dense array (a link record, fca_link, carries the other
 *     link's node, the offset difference with the tie folded in, and P_i;
 *     a link that is not best adds +0.0, branch-free, which changes no bit
 *     of a sum >= +0.0). D_j = that sum; R_j = S_j / D_j, or 0 when
 *     D_j = 0.
 *   step 2, per cell (parallel over cells): node rows (rows = nodes, cols
 *     = facilities with t_vj <= d0 and R_j != 0, ascending, one 32-bit key
 *     (j << bits(d0)) | t_vj when both fit, else 64-bit) are built from
 *     the facility rows in two passes over node ranges of about 1 MiB of
 *     keys (count, fill), each task walking every facility row's part in
 *     its range in ascending j (where each range starts in each row comes
 *     from a split table made in one pass per row).
 *     A cell merges its two links' node rows by j: for each j within d0 of
 *     the cell, R_j goes to the partial of its best link (a j in one row
 *     only is beyond the limit from the other link). Each partial's sum
 *     runs over j ascending (skipping R_j = 0 adds nothing), and
 *     A_i = partial(link 0) + partial(link 1), in that order. Off-network
 *     cells get 0.
 * Every sum has one fixed order (catchment order for D_j, facility order for
 * each link's partial, link order for A_i) and is written by one task only,
 * so the output is byte-identical for any thread count; no reduction
 * crosses tasks. The orders are those of the binary-search version this
 * replaced, so results are bit for bit the same as before (tested against
 * a plain reference in tests/kernels/test_measures.c).
 * Memory (am_fca_scratch_bytes): 20 bytes per present link (step 1 only),
 * 2 or 4 bytes per node and thread (step 1 only), and the node rows: 8
 * bytes per node and 4 (or 8) per catchment entry within d0, and while
 * they are built a split table (where each node range starts in each
 * facility row) of at most half a byte per catchment entry.
 *
 * Nearest facility: min over the cell's links and the link node's row of
 * offset_l + t_vj, ties to the lowest facility index. A total above the
 * catchments' limit is reported as AM_TIME_INF / -1: the catchment only vouches
 * for times <= limit_ds, and a single rule keeps nearest, coverage and 2SFCA
 * consistent.
 *
 * Sums of times never overflow: offsets and stored times are < AM_TIME_INF
 * (2^31 - 1), so their sum fits in uint32_t.
 * Weighted median: the values' order keys (IEEE bits flipped so that
 * unsigned order is numeric order, -0 keyed as +0) sorted with their
 * indices by the shared stable LSD radix sort (radix.h), in parallel by
 * chunks; stable from index order, so the (value, index)
 * order of the comparison sort it replaced, and the same cumulative sums.
 * Allocation: am_fca_run (see above) and am_weighted_summary (24 bytes per
 * entry).
 */
#include "kernels/measures.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "kernels/parallel.h"
#include "kernels/radix.h"

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * A present link as step 1 reads it, at its place in the node index
 * (d->order): its time `off`, the node w of its cell's other link (or
 * n_nodes, a slot that is always "absent", when there is none), and
 * delta = woff - off + (1 for link 0, 0 for link 1), woff being the
 * other link's time (INT32_MAX when there is none). With the other link's node
 * at tw from facility j and this link at t (off + t <= d0): this link is
 * the best for j iff off + t < woff + tw, or equal and it is link 0, iff
 * t < tw + delta. An absent tw (65535 in 16 bits, AM_TIME_INF in 32)
 * always passes: tw + delta >= tw_absent - off > t. The population
 * follows as two words (20 bytes a link, 4-byte aligned).
 */
typedef struct fca_link {
    uint32_t off;
    int32_t w;
    int32_t delta;
    uint32_t pop[2]; /* the cell's population, a double's bytes */
} fca_link;

static inline double fca_link_pop(const fca_link *x)
{
    double p;
    memcpy(&p, x->pop, sizeof p);
    return p;
}

/* x when keep is 1, else +0.0 (all bits cleared), without a branch. */
static inline double fca_masked(double x, int keep)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits &= (uint64_t)0 - (uint64_t)(keep != 0);
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* 16-bit times (d0 < 65535) and the "absent" value in each width. */
#define FCA_T16_ABSENT 0xFFFFu

/*
 * Step 1 for facility j: D_j, summed in catchment order (nodes
 * ascending, then the node's links in (offset, link id) order). tw is
 * the thread's dense node -> time array ([n_nodes + 1]), all absent on
 * entry and on return: 16-bit when wide is 0, else 32-bit. A link that is
 * not best adds +0.0, which changes no bit of a sum >= +0.0.
 */
static double fca_step1_row(const am_catchments *c, int32_t j,
                            const am_demand *d, const fca_link *lk, uint32_t d0,
                            int wide, void *tw)
{
    uint16_t *t16 = wide ? NULL : tw;
    uint32_t *t32 = wide ? tw : NULL;
    const int64_t e0 = c->first[j], e1 = c->first[j + 1];
    for (int64_t e = e0; e < e1; e++) {
        const uint32_t t = am_catchments_time(c, e);
        if (t > d0)
            continue;
        if (wide)
            t32[c->col[e]] = t;
        else
            t16[c->col[e]] = (uint16_t)t;
    }
    double sum = 0.0;
    for (int64_t e = e0; e < e1; e++) {
        /* The node index and the links of nodes a few entries ahead: the
         * row's nodes are ascending but apart in memory. */
        if (e + 16 < e1)
            __builtin_prefetch(&d->first[c->col[e + 16]]);
        if (e + 8 < e1)
            __builtin_prefetch(&lk[d->first[c->col[e + 8]]]);
        const uint32_t t = am_catchments_time(c, e);
        if (t > d0)
            continue;
        const int32_t v = c->col[e];
        const int64_t k1 = d->first[v + 1];
        for (int64_t k = d->first[v]; k < k1; k++) {
            const fca_link *x = &lk[k];
            if (x->off + t > d0)
                break;
            const int64_t tw_ = wide ? (int64_t)t32[x->w] : (int64_t)t16[x->w];
            sum += fca_masked(fca_link_pop(x), (int64_t)t < tw_ + x->delta);
        }
    }
    for (int64_t e = e0; e < e1; e++) {
        if (wide)
            t32[c->col[e]] = AM_TIME_INF;
        else
            t16[c->col[e]] = FCA_T16_ABSENT;
    }
    return sum;
}

/*
 * The node rows step 2 reads: for each node v, the facilities j with
 * t_vj <= d0 and R_j != 0, ascending, each as one key (j << tbits) | t_vj:
 * 32-bit keys when j and d0 fit in 32 bits together (the usual case: up to
 * 65,536 facilities at 109 min, 4 bytes an entry), else 64-bit.
 */
typedef struct fca_nodes {
    int64_t *first; /* [n_nodes + 1] */
    uint32_t *key32;
    uint64_t *key64;
    int tbits;
    uint64_t tmask;
} fca_nodes;

/* Bits to hold 0..x. */
static int bits_for(uint64_t x)
{
    int b = 0;
    while (b < 64 && (x >> b) != 0)
        b++;
    return b > 0 ? b : 1;
}

/* Whether the node rows of a run with n_fac facilities at threshold d0
 * use 32-bit keys (4 bytes an entry) rather than 64-bit (8). */
static int fca_keys32(int32_t n_fac, uint32_t d0)
{
    return bits_for(d0) + bits_for(n_fac > 0 ? (uint64_t)n_fac - 1 : 0) <= 32;
}

size_t am_fca_scratch_bytes(int32_t n_fac, int32_t n_nodes, int64_t n_links,
                            int n_threads, uint32_t d0, int64_t entries)
{
    const size_t nt = (size_t)am_parallel_threads(n_threads);
    const size_t dense = d0 < 0xFFFFu ? 2 : 4;
    const size_t key = fca_keys32(n_fac, d0) ? 4 : 8;
    return (size_t)n_links * sizeof(fca_link) + nt * (size_t)n_nodes * dense +
           ((size_t)n_nodes + 1) * 8 +
           (size_t)(entries > 0 ? entries : 0) * (key + 1);
}

/*
 * Builds the node rows from the facility rows in two passes over node
 * ranges (count, then fill), each task walking every facility row's part
 * inside its range in ascending j: rows come out ascending by j whatever
 * the thread count. No allocation but the rows themselves.
 */
static am_status fca_nodes_build(const am_catchments *c, const double *ratio,
                                 uint32_t d0, int nt, fca_nodes *nr,
                                 am_error *err)
{
    const int32_t n_fac = c->n_rows, n_nodes = c->n_cols;
    memset(nr, 0, sizeof *nr);
    nr->tbits = bits_for(d0);
    nr->tmask = ((uint64_t)1 << nr->tbits) - 1u;
    const int k32 = fca_keys32(n_fac, d0);
    /* Node ranges small enough for their part of the node rows (about
     * 1 MiB) to stay in cache while it is filled, at least 8 per thread;
     * the split table (4 bytes per facility and range) kept below an
     * eighth of the node rows. */
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
    /* split[t * n_fac + j]: where range t starts in row j, from the row's
     * start (a row has fewer than 2^31 entries) */
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

    /* Pass 1: entries per node (in first[v + 1]) and per task. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(c, ratio, d0, n_fac, n_tasks, first, task_n, split)
    for (int32_t task = 0; task < n_tasks; task++) {
        const uint32_t *s0 = split + (size_t)task * (size_t)n_fac;
        const uint32_t *s1 = s0 + n_fac;
        int64_t n = 0;
        for (int32_t j = 0; j < n_fac; j++) {
            if (s0[j] == s1[j] || ratio[j] == 0.0)
                continue;
            const int64_t e1 = c->first[j] + s1[j];
            for (int64_t e = c->first[j] + s0[j]; e < e1; e++) {
                if (am_catchments_time(c, e) <= d0) {
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

    /* Pass 2: first[v + 1] becomes v's start, then its fill cursor, and
     * ends as v's end (= the start of v + 1). */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) default(none)    \
    shared(c, ratio, d0, n_fac, n_nodes, n_tasks, first, task_n, key32, key64, \
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
            if (s0[j] == s1[j] || ratio[j] == 0.0)
                continue;
            const int64_t e1 = c->first[j] + s1[j];
            for (int64_t e = c->first[j] + s0[j]; e < e1; e++) {
                const uint32_t t = am_catchments_time(c, e);
                if (t <= d0) {
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
    am_free(nr->first);
    nr->first = NULL;
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "2SFCA: out of memory for the node rows of %ld "
                        "facilities",
                        (long)n_fac);
}

static void fca_nodes_free(fca_nodes *nr)
{
    am_free(nr->first);
    am_free(nr->key32);
    am_free(nr->key64);
}

/* Entry e of the node rows as (facility, time). */
static inline uint64_t fca_key(const fca_nodes *nr, int64_t e)
{
    return nr->key32 != NULL ? nr->key32[e] : nr->key64[e];
}

/*
 * Step 2 for one cell: A_i = p0 + p1, p_k the sum over facilities j
 * ascending for which link k is the cell's best link and within d0 of
 * R_j. The two links' node rows are merged by j: a facility in one row
 * only is beyond the limit from the other link's node, so that link is
 * best. Absent links contribute nothing.
 */
static double fca_step2_cell(const fca_nodes *nr, const am_demand *d, int32_t i,
                             const double *ratio, uint32_t d0)
{
    const int32_t v0 = d->link_node[AM_DEMAND_LINKS * i];
    const int32_t v1 = d->link_node[AM_DEMAND_LINKS * i + 1];
    const uint32_t o0 = d->link_offset_ds[AM_DEMAND_LINKS * i];
    const uint32_t o1 = d->link_offset_ds[AM_DEMAND_LINKS * i + 1];
    const int tb = nr->tbits;
    const uint64_t tm = nr->tmask;
    int64_t a = 0, a1 = 0, b = 0, b1 = 0;
    if (v0 >= 0) {
        a = nr->first[v0];
        a1 = nr->first[v0 + 1];
    }
    if (v1 >= 0) {
        b = nr->first[v1];
        b1 = nr->first[v1 + 1];
    }
    double p0 = 0.0, p1 = 0.0;
    /* The merge's branches follow the rows (mostly the same facilities
     * on both); the link choice is branch-free: a masked ratio is +0.0,
     * which changes no bit of a sum >= +0.0. Each sum runs over j
     * ascending. */
    while (a < a1 && b < b1) {
        const uint64_t ka = fca_key(nr, a), kb = fca_key(nr, b);
        const uint64_t ja = ka >> tb, jb = kb >> tb;
        const uint32_t t0 = o0 + (uint32_t)(ka & tm);
        const uint32_t t1 = o1 + (uint32_t)(kb & tm);
        if (ja == jb) {
            const double r = ratio[ja];
            p0 += fca_masked(r, (t0 <= t1) & (t0 <= d0));
            p1 += fca_masked(r, (t1 < t0) & (t1 <= d0));
            a++;
            b++;
        } else if (ja < jb) {
            p0 += fca_masked(ratio[ja], t0 <= d0);
            a++;
        } else {
            p1 += fca_masked(ratio[jb], t1 <= d0);
            b++;
        }
    }
    for (; a < a1; a++) {
        const uint64_t ka = fca_key(nr, a);
        p0 += fca_masked(ratio[ka >> tb], o0 + (uint32_t)(ka & tm) <= d0);
    }
    for (; b < b1; b++) {
        const uint64_t kb = fca_key(nr, b);
        p1 += fca_masked(ratio[kb >> tb], o1 + (uint32_t)(kb & tm) <= d0);
    }
    return p0 + p1;
}

am_status am_fca_run(const am_fca_params *p, const am_catchments *fac_rows,
                     const am_demand *d, const double *supply, int n_threads,
                     double *fac_demand, double *fac_ratio, double *cell_access,
                     am_error *err)
{
    if (p == NULL || fac_rows == NULL || d == NULL ||
        (fac_rows->n_rows > 0 &&
         (supply == NULL || fac_demand == NULL || fac_ratio == NULL)) ||
        (d->n_cells > 0 && cell_access == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL, "2SFCA: NULL argument");
    if (p->kind != AM_MEASURE_2SFCA)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "FCA: unsupported measure kind %d", (int)p->kind);
    if (p->threshold_ds > fac_rows->limit_ds)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "2SFCA: threshold %lu ds exceeds the catchments' "
                            "limit %lu ds; compute catchments at the largest "
                            "threshold",
                            (unsigned long)p->threshold_ds,
                            (unsigned long)fac_rows->limit_ds);
    if (fac_rows->n_cols != d->n_nodes)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "2SFCA: sizes disagree (facility catchments "
                            "%ld x %ld, demand on %ld nodes)",
                            (long)fac_rows->n_rows, (long)fac_rows->n_cols,
                            (long)d->n_nodes);
    const int32_t n_fac = fac_rows->n_rows;
    for (int32_t j = 0; j < n_fac; j++) {
        if (!isfinite(supply[j]) || supply[j] < 0.0) {
            am_status rc = am_error_set(err, AM_ERR_INVALID, NULL,
                                        "2SFCA: facility %ld has supply %g; "
                                        "expected a finite number >= 0",
                                        (long)j, supply[j]);
            am_error_set_feature(err, j);
            return rc;
        }
    }

    const int nt = am_parallel_threads(n_threads);
    const uint32_t d0 = p->threshold_ds;
    const int32_t n_cells = d->n_cells;
    const int32_t n_nodes = d->n_nodes;
    const int64_t n_linked = d->first[n_nodes];
    const int wide = d0 >= FCA_T16_ABSENT;
    const size_t dense_size = wide ? sizeof(uint32_t) : sizeof(uint16_t);
    fca_link *lk = NULL;
    unsigned char *dense = NULL;
    int64_t *perm = NULL;
    fca_nodes nr;
    memset(&nr, 0, sizeof nr);
    am_status rc = AM_OK;

    lk = am_alloc_array((size_t)(n_linked > 0 ? n_linked : 1), sizeof *lk);
    dense = am_alloc_array((size_t)nt * ((size_t)n_nodes + 1), dense_size);
    perm = am_alloc_array((size_t)(n_fac > 0 ? n_fac : 1), sizeof *perm);
    if (lk == NULL || dense == NULL || perm == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "2SFCA: out of memory for %ld cells on %ld nodes",
                          (long)n_cells, (long)n_nodes);
        goto done;
    }

    /* Step 1 visits the facilities by the median node of their rows, so
     * that a thread's consecutive rows share nodes and link records in
     * cache (node ids are roughly spatial); the order of the visits
     * changes no sum. */
    for (int32_t j = 0; j < n_fac; j++) {
        const int64_t e0 = fac_rows->first[j], e1 = fac_rows->first[j + 1];
        const int64_t mid = e0 < e1 ? fac_rows->col[e0 + (e1 - e0) / 2] : 0;
        perm[j] = (mid << 31) | j;
    }
    qsort(perm, (size_t)n_fac, sizeof *perm, cmp_i64);

    /* The link records, in node-index order; each thread's time array
     * set to "absent" by the thread that uses it (first touch). */
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(d, lk, dense, n_linked, n_nodes, wide, dense_size, n_fac, fac_rows, \
           supply, fac_demand, fac_ratio, d0, perm)
    {
        unsigned char *tw = dense + (size_t)omp_get_thread_num() *
                                        ((size_t)n_nodes + 1) * dense_size;
        if (wide) {
            uint32_t *t32 = (uint32_t *)(void *)tw;
            for (int32_t v = 0; v <= n_nodes; v++)
                t32[v] = AM_TIME_INF;
        } else {
            memset(tw, 0xFF, ((size_t)n_nodes + 1) * dense_size);
        }
#pragma omp for schedule(static)
        for (int64_t k = 0; k < n_linked; k++) {
            const int32_t l = d->order[k];
            const int32_t o = l ^ 1;
            const uint32_t off = d->link_offset_ds[l];
            const int32_t w = d->link_node[o];
            /* both times < AM_TIME_INF: the difference fits int32 */
            const int64_t delta = w < 0 ? INT32_MAX
                                        : (int64_t)d->link_offset_ds[o] -
                                              (int64_t)off +
                                              ((l & 1) == 0 ? 1 : 0);
            const double pop = d->pop[l / AM_DEMAND_LINKS];
            lk[k].off = off;
            lk[k].w = w >= 0 ? w : n_nodes;
            lk[k].delta = (int32_t)delta;
            memcpy(lk[k].pop, &pop, sizeof pop);
        }
        /* Step 1: demand in each facility's catchment, then its ratio. */
#pragma omp for schedule(dynamic, 1)
        for (int32_t q = 0; q < n_fac; q++) {
            const int32_t j = (int32_t)(perm[q] & INT32_MAX);
            const double sum =
                fca_step1_row(fac_rows, j, d, lk, d0, wide, (void *)tw);
            fac_demand[j] = sum;
            fac_ratio[j] = sum > 0.0 ? supply[j] / sum : 0.0;
        }
    }
    am_free(lk);
    lk = NULL;
    am_free(dense);
    dense = NULL;

    /* Step 2: each cell adds the ratios of the facilities within d0, per
     * link in ascending facility order, from the node rows. */
    if ((rc = fca_nodes_build(fac_rows, fac_ratio, d0, nt, &nr, err)) != AM_OK)
        goto done;
#pragma omp parallel for schedule(dynamic, 4096) num_threads(nt) default(none) \
    shared(nr, d, fac_ratio, cell_access, d0, n_cells)
    for (int32_t i = 0; i < n_cells; i++)
        cell_access[i] = fca_step2_cell(&nr, d, i, fac_ratio, d0);

done:
    am_free(lk);
    am_free(dense);
    am_free(perm);
    fca_nodes_free(&nr);
    return rc;
}

am_status am_nearest_run(const am_catchments *node_rows, const am_demand *d,
                         int n_threads, uint32_t *time_ds, int32_t *facility,
                         am_error *err)
{
    if (node_rows == NULL || d == NULL ||
        (d->n_cells > 0 && (time_ds == NULL || facility == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "nearest: NULL argument");
    if (node_rows->n_rows != d->n_nodes)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "nearest: catchments have %ld node rows, demand "
                            "is on %ld nodes",
                            (long)node_rows->n_rows, (long)d->n_nodes);

    const int nt = am_parallel_threads(n_threads);
    const int32_t n_cells = d->n_cells;
    const uint32_t limit = node_rows->limit_ds;

#pragma omp parallel for schedule(dynamic, 64) num_threads(nt) default(none)   \
    shared(node_rows, d, time_ds, facility, n_cells, limit)
    for (int32_t i = 0; i < n_cells; i++) {
        uint32_t best = AM_TIME_INF;
        int32_t best_j = -1;
        for (int k = 0; k < AM_DEMAND_LINKS; k++) {
            const int32_t v = d->link_node[AM_DEMAND_LINKS * i + k];
            if (v < 0)
                continue;
            const uint32_t off = d->link_offset_ds[AM_DEMAND_LINKS * i + k];
            for (int64_t e = node_rows->first[v]; e < node_rows->first[v + 1];
                 e++) {
                const uint32_t t = off + am_catchments_time(node_rows, e);
                const int32_t j = node_rows->col[e];
                if (t < best || (t == best && j < best_j)) {
                    best = t;
                    best_j = j;
                }
            }
        }
        if (best > limit) {
            best = AM_TIME_INF;
            best_j = -1;
        }
        time_ds[i] = best;
        facility[i] = best_j;
    }
    return AM_OK;
}

am_status am_coverage_run(const am_demand *d, const uint32_t *nearest_ds,
                          int32_t n_cutoffs, const uint32_t *cutoff_ds,
                          double *pop_within, am_error *err)
{
    if (d == NULL || n_cutoffs < 0 ||
        (n_cutoffs > 0 && (cutoff_ds == NULL || pop_within == NULL)) ||
        (d->n_cells > 0 && nearest_ds == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "coverage: NULL argument or negative cutoff "
                            "count");
    /* One pass over the cells; each cutoff's sum still runs in cell
     * order. */
    for (int32_t c = 0; c < n_cutoffs; c++)
        pop_within[c] = 0.0;
    for (int32_t i = 0; i < d->n_cells; i++) {
        const uint32_t t = nearest_ds[i];
        if (t == AM_TIME_INF)
            continue;
        for (int32_t c = 0; c < n_cutoffs; c++)
            if (t <= cutoff_ds[c])
                pop_within[c] += d->pop[i];
    }
    return AM_OK;
}

/* An unsigned key in the order of the (non-NaN) doubles, -0 and +0 equal
 * (as the comparison operators have them). */
static uint64_t double_key(double v)
{
    if (v == 0.0)
        v = 0.0;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) != 0 ? ~u : u | ((uint64_t)1 << 63);
}

/* The key of +0.0 (and -0.0). */
#define ZERO_KEY ((uint64_t)1 << 63)

/* The double of a key (+0.0 for ZERO_KEY). */
static double key_double(uint64_t key)
{
    const uint64_t u = (key >> 63) != 0 ? key ^ ZERO_KEY : ~key;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

am_status am_weighted_summary(int32_t n, const double *values, const double *w,
                              int n_threads, double *mean, double *median)
{
    double m = NAN, med = NAN;
    uint64_t *keys = NULL, *keys2 = NULL;
    int32_t *idx = NULL, *idx2 = NULL;
    int64_t *hist = NULL;
    am_status rc = AM_OK;

    if (n > 0 && (values == NULL || w == NULL)) {
        rc = AM_ERR_INVALID;
        goto done;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++)
        if (w[i] > 0.0 && !isnan(values[i]))
            k++;
    if (k == 0)
        goto done;

    const int nt = am_parallel_threads(n_threads);
    keys = am_alloc_array((size_t)k, sizeof *keys);
    keys2 = am_alloc_array((size_t)k, sizeof *keys2);
    idx = am_alloc_array((size_t)k, sizeof *idx);
    idx2 = am_alloc_array((size_t)k, sizeof *idx2);
    hist = am_alloc_array((size_t)nt * AM_RADIX_DIGITS, sizeof *hist);
    if (keys == NULL || keys2 == NULL || idx == NULL || idx2 == NULL ||
        hist == NULL) {
        rc = AM_ERR_NOMEM;
        goto done;
    }
    double sw = 0.0, swv = 0.0;
    int32_t neg_zeros = 0;
    k = 0;
    for (int32_t i = 0; i < n; i++) {
        if (w[i] > 0.0 && !isnan(values[i])) {
            sw += w[i];
            swv += w[i] * values[i];
            keys[k] = double_key(values[i]);
            idx[k] = i;
            neg_zeros += values[i] == 0.0 && signbit(values[i]);
            k++;
        }
    }
    m = swv / sw;

    /* Lower weighted median: first value whose cumulative weight reaches
     * half the total, in (value, index) order. The total is re-summed in
     * that order so the last element always reaches it despite rounding. */
    const int in_tmp = am_radix_sort_u64(k, keys, idx, keys2, idx2, nt, hist);
    const uint64_t *sk = in_tmp ? keys2 : keys;
    const int32_t *si = in_tmp ? idx2 : idx;
    double total = 0.0;
    for (int32_t q = 0; q < k; q++)
        total += w[si[q]];
    double cum = 0.0;
    int32_t at = k - 1;
    for (int32_t q = 0; q < k; q++) {
        cum += w[si[q]];
        if (cum >= 0.5 * total) {
            at = q;
            break;
        }
    }
    med = key_double(sk[at]);
    if (sk[at] == ZERO_KEY && neg_zeros > 0) {
        /* A zero: which one (+0.0 or -0.0) is the r-th zero in index
         * order, the zeros' order in the stable sort. */
        int32_t r = at;
        while (r > 0 && sk[r - 1] == ZERO_KEY)
            r--;
        r = at - r;
        for (int32_t i = 0; i < n; i++) {
            if (w[i] > 0.0 && values[i] == 0.0 && r-- == 0) {
                med = values[i];
                break;
            }
        }
    }

done:
    am_free(keys);
    am_free(keys2);
    am_free(idx);
    am_free(idx2);
    am_free(hist);
    if (mean != NULL)
        *mean = m;
    if (median != NULL)
        *median = med;
    return rc;
}
