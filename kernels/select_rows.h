/*
 * select_rows.h: site selection (kernels/select.h) with the candidates'
 * rows computed on demand, for instances whose rows do not fit in memory
 * (issue 10: "catchments computed once where memory allows and recomputed
 * on demand where it does not"). docs/selection.md, "Rows on demand".
 *
 * Instead of the CSR of am_sel_instance, a row provider computes candidate
 * a's row (its cells strictly ascending, their times < AM_TIME_INF) into a
 * workspace of its own; cache_bytes bounds the rows the kernel keeps
 * (8 bytes a pair and 8 a row). The kernel:
 *  1. streams every candidate in fixed chunks (in parallel, one candidate
 *     a task), checking the row and computing its gain at the baseline;
 *     while every row so far fits the cache the rows are kept. When all
 *     of them fit, the result is am_sel_solve's on that CSR: byte for byte
 *     the in-memory answer (mode AM_SEL_ROWS_MEMORY);
 *  2. otherwise (AM_SEL_ROWS_ON_DEMAND) the rows of a shortlist are kept:
 *     the candidates with a positive gain at the baseline, by that gain
 *     descending (ties to the lower index), each taken when its row still
 *     fits the cache;
 *  3. the lazy greedy (CELF) runs over every candidate exactly as
 *     am_sel_solve's does (the same picks, gains and steps: its picks are
 *     the plain greedy's), reading a stale candidate's row from the cache
 *     or recomputing it (batches of a fixed size, in parallel);
 *  4. the swap local search (and, when cheap, the restarts and iterated
 *     local search), or set covering's redundant-site drop, runs on the
 *     shortlist and the chosen sites only: a swap may bring in only a
 *     shortlisted candidate. Set covering's "one site fewer" MCLP runs use
 *     the same greedy over every candidate and the same restriction.
 * Minoux's bound (a site count) is evaluated lazily at the greedy's set
 * over every candidate; with a budget or set covering it is NaN.
 * Deterministic for any thread count and cache size as long as the
 * provider returns the same row for a candidate whatever the workspace.
 */
#ifndef AM_SELECT_ROWS_H
#define AM_SELECT_ROWS_H

#include <stdint.h>

#include "common/error.h"
#include "kernels/select.h"

/* candidates whose rows the streaming pass computes (and holds) at once:
 * the caller counts AM_SEL_ROWS_CHUNK rows in its memory plan */
#define AM_SEL_ROWS_CHUNK 256

/*
 * Computes candidate a's row in workspace ws (0 <= ws < n_workspaces; one
 * thread uses a workspace at a time): *cell and *time_ds point at its
 * entries, valid until the next call with the same workspace. Returns the
 * row's length (>= 0), or -1 when out of memory.
 */
typedef int64_t (*am_sel_row_fn)(void *user, int32_t a, int ws,
                                 const int32_t **cell,
                                 const uint32_t **time_ds);

typedef struct am_sel_rows {
    int32_t n_cells;
    const double *weight;    /* [n_cells], finite, >= 0 */
    const uint32_t *base_ds; /* [n_cells] */
    int32_t n_cand;
    const double *cost; /* [n_cand], finite, > 0; NULL: 1 each */
    am_sel_row_fn row;
    void *user;
    int n_workspaces; /* >= 1; the kernel uses at most this many threads */
    /* the caller's estimate of every row together, bytes (0: unknown);
       above the cache, the streaming pass copies no row (they would not
       all fit: the shortlist is read afresh) */
    int64_t expect_bytes;
} am_sel_rows;

typedef enum am_sel_rows_mode {
    AM_SEL_ROWS_MEMORY = 0, /* every row held: am_sel_solve */
    AM_SEL_ROWS_ON_DEMAND
} am_sel_rows_mode;

typedef struct am_sel_rows_info {
    am_sel_rows_mode mode;
    int64_t pairs;        /* every candidate's row, together */
    int32_t n_short;      /* candidates whose rows were kept */
    int64_t held_bytes;   /* their bytes (8 a pair, 8 a row) */
    int64_t row_computed; /* rows computed by the provider */
} am_sel_rows_info;

/* The bytes the kernel counts for a row of n pairs. */
#define AM_SEL_ROW_BYTES(n) (8 * (int64_t)(n) + 8)

/*
 * Solves as am_sel_solve does (see above for what differs on demand).
 * AM_ERR_INVALID (as am_sel_solve: sizes, rows, weights, costs, p, budget,
 * target), AM_ERR_NOMEM (also from the provider). info may be NULL.
 */
am_status am_sel_solve_rows(const am_sel_rows *rows, const am_sel_params *prm,
                            int64_t cache_bytes, am_sel_result **out,
                            am_sel_rows_info *info, am_error *err);

/*
 * Internal to the kernels (select.c): from a greedy run on in (its chosen
 * sites and steps), the rest of am_sel_solve's search: set covering's
 * drop of redundant sites, or the swap local search and, when cheap, the
 * restarts and iterated local search (prm->local_search). The result's
 * bound is NaN.
 */
am_status am_sel_refine(const am_sel_instance *in, const am_sel_params *prm,
                        const int32_t *chosen, int32_t n_chosen,
                        const am_sel_step *steps, int32_t n_steps,
                        am_sel_result **out, am_error *err);

/*
 * Internal to the kernels (select.c): am_sel_solve's parameter checks for
 * n_cand candidates of costs cost ([n_cand], NULL: 1 each; borrowed).
 * AM_OK or AM_ERR_INVALID with the message.
 */
am_status am_sel_check_params(const am_sel_params *prm, int32_t n_cand,
                              const double *cost, am_error *err);

/* One solve of the caller's instance with parameters prm (as
 * am_sel_solve). */
typedef am_status (*am_sel_solve_fn)(void *user, const am_sel_params *prm,
                                     am_sel_result **out, am_error *err);

/*
 * Internal to the kernels (select.c): partial set covering with the local
 * search. When prm asks for set covering with the local search and *out
 * (owned) reached the target with at least one site, MCLP is solved by
 * solve (one call per try) for one site fewer (with costs: a budget just
 * below the current cost) while it still reaches the target; the last
 * answer that does replaces *out, with its steps. Otherwise *out is left
 * as it is. n_cand, cost: the instance's candidates and costs (NULL: 1);
 * W: its total weight. On an error *out is freed and NULL.
 */
am_status am_sel_cover_fewer(const am_sel_params *prm, int32_t n_cand,
                             const double *cost, double W,
                             am_sel_solve_fn solve, void *user,
                             am_sel_result **out, am_error *err);

#endif /* AM_SELECT_ROWS_H */
