/*
 * celf.h: the lazy greedy (CELF) of site selection, one implementation
 * for the rows held in memory (select.c) and the rows recomputed on
 * demand (select_rows.c). Internal to kernels/: not a public header.
 *
 * CELF (Leskovec et al. 2007, "Cost-effective outbreak detection in
 * networks", KDD): a max-heap of upper bounds on each candidate's marginal
 * gain (or gain per cost); the top is re-evaluated until it is fresh for
 * the current round, then picked. The gain is monotone submodular (see
 * select.c), so a bound from an earlier round stays a bound. Stale tops
 * are re-evaluated in batches of AM_CELF_BATCH (independent of the thread
 * count); the heap orders by key descending then candidate ascending, so
 * the pick is exactly the plain greedy's argmax with ties to the lower
 * index. am_celf_bound adds Minoux's a posteriori bound for a site count.
 *
 * How a row is read is the caller's: the gains of a whole batch are asked
 * for through one callback (which runs its own parallel loop with direct
 * calls to its row gain: no indirect call per row or per pair), and each
 * pick is reported through another. Gains, keys and sums are computed in
 * the same order whatever the caller, so both callers pick the same sets
 * with the same bits.
 *
 * The helpers at the end share the per-row arithmetic itself (inline:
 * they sit in the hot loops), so a candidate's gain has the same bits
 * whether its row is held (select.c) or recomputed (select_rows.c).
 *
 * Thread safety: a run uses only its arguments; the callbacks are called
 * from the calling thread. Allocation: am_celf_greedy allocates the heap
 * (n_cand + 1 items).
 */
#ifndef AM_CELF_H
#define AM_CELF_H

#include <stdint.h>

#include "common/error.h"
#include "common/units.h"

/* stale candidates re-evaluated together (fixed: results must not depend
 * on the thread count) */
#define AM_CELF_BATCH 16

typedef struct am_celf_item {
    double key;    /* upper bound on the marginal gain (or gain per cost) */
    int32_t cand;  /* candidate */
    int32_t round; /* the round its key was computed in */
} am_celf_item;

/* A run's final heap, kept for am_celf_bound; owned by the caller
 * (am_free(item)). */
typedef struct am_celf_heap {
    am_celf_item *item;
    int32_t n;     /* items */
    int32_t round; /* the run's last round */
} am_celf_heap;

typedef struct am_celf_ops {
    void *user;         /* passed to the callbacks */
    const double *cost; /* [n_cand] candidate costs, NULL: 1 (borrowed) */
    /* The marginal gains of cand[0..nb) at the current set into
     * gain[0..nb), counted as nb evaluations; may run a parallel region
     * (one candidate a task). AM_OK or the error (AM_ERR_NOMEM). */
    am_status (*eval)(void *user, const int32_t *cand, int nb, double *gain);
    /* Opens candidate a, of marginal gain g; loss and cost are the run's
     * after it. AM_OK or the error. NULL for am_celf_bound. */
    am_status (*pick)(void *user, int32_t a, double g, double loss,
                      double cost);
    /* 1 when the caller asks to stop (the run: AM_ERR_CANCELLED); called
     * once a heap step. NULL: never. */
    int (*stop)(void *user);
} am_celf_ops;

typedef struct am_celf_params {
    int by_ratio;      /* key: gain / cost (else the gain) */
    int32_t max_sites; /* stop at this many picks; < 0: none */
    double budget;     /* the picks' total cost at most; INFINITY: none */
    double need;       /* stop once the loss is <= need; -INFINITY: never */
    int32_t first;     /* >= 0: this candidate picked first (at its initial
                          gain), as a restart; -1: none */
} am_celf_params;

/*
 * One greedy run from the set behind init_gain (the caller's current set,
 * of loss base_loss): every candidate with init_gain > 0 and cost within
 * the budget enters the heap; picks go through ops->pick until a limit
 * of gp is met or no candidate has a positive gain. init_gain: [n_cand]
 * (borrowed). keep: NULL, or receives the final heap (for am_celf_bound).
 * AM_OK, AM_ERR_NOMEM, AM_ERR_CANCELLED or a callback's error.
 */
am_status am_celf_greedy(const am_celf_ops *ops, int32_t n_cand,
                         const double *init_gain, double base_loss,
                         const am_celf_params *gp, am_celf_heap *keep);

/*
 * Minoux's a posteriori bound (Leskovec et al. 2007, eq. 5) for a site
 * count p: G(OPT) <= G(S) + the p largest marginal gains at S, where S is
 * the run's final set (ops->eval's current set) and gain = G(S). The
 * run's heap holds upper bounds on them (gains only fall as S grows): the
 * top is re-evaluated at S until p fresh values have come out, which are
 * then exactly the p largest. Consumes heap (its items are reordered).
 * NaN when ops->eval fails.
 */
double am_celf_bound(const am_celf_ops *ops, am_celf_heap *heap, int32_t p,
                     double gain);

/* ---- the per-row arithmetic ------------------------------------------- */

/*
 * The marginal gain of opening a site of row (cell[0..n), time[0..n)) to
 * the cells' best times d1: p-median (pmedian = 1) sum w_i (min(d1_i, P) -
 * t) over t < min(d1_i, P); MCLP and set covering sum w_i over t <= T <
 * d1_i. Sums in row order.
 */
static inline double am_celf_row_gain(int pmedian, uint32_t T, uint32_t P,
                                      const double *w, const uint32_t *d1,
                                      const int32_t *cell, const uint32_t *time,
                                      int64_t n)
{
    double g = 0.0;
    if (pmedian) {
        for (int64_t j = 0; j < n; j++) {
            int32_t i = cell[j];
            uint32_t t = time[j], d = d1[i] < P ? d1[i] : P;
            if (t < d)
                g += w[i] * (double)(d - t);
        }
    } else {
        for (int64_t j = 0; j < n; j++) {
            int32_t i = cell[j];
            if (time[j] <= T && d1[i] > T)
                g += w[i];
        }
    }
    return g;
}

/* 1 when the row's cells are strictly ascending within [0, n_cells) and
 * its times below AM_TIME_INF (nothing else is read). */
static inline int am_celf_row_ok(const int32_t *cell, const uint32_t *time,
                                 int64_t n, int32_t n_cells)
{
    int32_t prev = -1;
    for (int64_t j = 0; j < n; j++) {
        if (cell[j] <= prev || cell[j] >= n_cells || time[j] >= AM_TIME_INF)
            return 0;
        prev = cell[j];
    }
    return 1;
}

#endif /* AM_CELF_H */
