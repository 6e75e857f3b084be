/*
 * celf.c: the lazy greedy (CELF) of site selection and Minoux's bound
 * (see celf.h), shared by select.c and select_rows.c.
 *
 * Invariants: every heap key is an upper bound on its candidate's current
 * marginal gain (or gain per cost), exact when its round is the current
 * one; the heap orders by key descending then candidate ascending. Only
 * candidates with a positive gain are (re)inserted: gains only fall, so
 * one at 0 is never useful again. After a pick, candidates that no longer
 * fit the budget are dropped (they never will again).
 */
#include "kernels/celf.h"

#include <math.h>
#include <stddef.h>

#include "common/alloc.h"

static inline double cost_of(const am_celf_ops *ops, int32_t a)
{
    return ops->cost ? ops->cost[a] : 1.0;
}

/* ---- the heap: key descending, then candidate ascending --------------- */

static inline int heap_above(const am_celf_item *x, const am_celf_item *y)
{
    return x->key > y->key || (x->key == y->key && x->cand < y->cand);
}

static void heap_down(am_celf_item *h, int32_t n, int32_t k)
{
    for (;;) {
        int32_t l = 2 * k + 1, m = k;
        if (l < n && heap_above(&h[l], &h[m]))
            m = l;
        if (l + 1 < n && heap_above(&h[l + 1], &h[m]))
            m = l + 1;
        if (m == k)
            return;
        am_celf_item t = h[k];
        h[k] = h[m];
        h[m] = t;
        k = m;
    }
}

static void heap_up(am_celf_item *h, int32_t k)
{
    while (k > 0) {
        int32_t p = (k - 1) / 2;
        if (!heap_above(&h[k], &h[p]))
            return;
        am_celf_item t = h[k];
        h[k] = h[p];
        h[p] = t;
        k = p;
    }
}

static void heap_make(am_celf_item *h, int32_t n)
{
    for (int32_t k = n / 2 - 1; k >= 0; k--)
        heap_down(h, n, k);
}

static am_celf_item heap_pop(am_celf_item *h, int32_t *n)
{
    am_celf_item top = h[0];
    h[0] = h[--*n];
    heap_down(h, *n, 0);
    return top;
}

static void heap_push(am_celf_item *h, int32_t *n, am_celf_item x)
{
    h[*n] = x;
    heap_up(h, (*n)++);
}

/*
 * Pops up to AM_CELF_BATCH stale items (keys from before this round) off
 * the heap's top, has their gains at the current set evaluated (one call
 * for the batch) and pushes back those still positive, keyed by gain or
 * gain per cost and marked fresh. AM_OK or the callback's error.
 */
static am_status refresh_batch(const am_celf_ops *ops, am_celf_item *h,
                               int32_t *n, int32_t round, int by_ratio)
{
    am_celf_item batch[AM_CELF_BATCH];
    int32_t cand[AM_CELF_BATCH] = {0}; /* (compilers see nb = 0) */
    double gain[AM_CELF_BATCH];
    int nb = 0;
    while (*n > 0 && nb < AM_CELF_BATCH && h[0].round != round) {
        batch[nb] = heap_pop(h, n);
        cand[nb] = batch[nb].cand;
        nb++;
    }
    am_status st = ops->eval(ops->user, cand, nb, gain);
    if (st != AM_OK)
        return st;
    for (int b = 0; b < nb; b++) {
        if (!(gain[b] > 0))
            continue; /* gains only fall: never useful again */
        batch[b].key =
            by_ratio ? gain[b] / cost_of(ops, batch[b].cand) : gain[b];
        batch[b].round = round;
        heap_push(h, n, batch[b]);
    }
    return AM_OK;
}

/* ---- the greedy ---------------------------------------------------------- */

am_status am_celf_greedy(const am_celf_ops *ops, int32_t n_cand,
                         const double *init_gain, double base_loss,
                         const am_celf_params *gp, am_celf_heap *keep)
{
    const int by_ratio = gp->by_ratio;
    const double budget = gp->budget;
    am_celf_item *h = am_alloc_array((size_t)n_cand + 1, sizeof *h);
    if (!h)
        return AM_ERR_NOMEM;
    am_status st = AM_OK;
    int32_t n = 0, round = 0, n_chosen = 0;
    double loss = base_loss, cost = 0.0;
    if (gp->first >= 0) { /* a restart: this pick forced */
        const double g = init_gain[gp->first];
        cost += cost_of(ops, gp->first);
        loss -= g;
        n_chosen++;
        round = 1;
        if ((st = ops->pick(ops->user, gp->first, g, loss, cost)) != AM_OK)
            goto done;
    }
    for (int32_t a = 0; a < n_cand; a++) {
        const double c = cost_of(ops, a);
        if (init_gain[a] <= 0 || c > budget || a == gp->first)
            continue;
        h[n++] =
            (am_celf_item){by_ratio ? init_gain[a] / c : init_gain[a], a, 0};
    }
    heap_make(h, n);
    while (n > 0 && (gp->max_sites < 0 || n_chosen < gp->max_sites) &&
           !(loss <= gp->need)) {
        if (ops->stop && ops->stop(ops->user)) {
            st = AM_ERR_CANCELLED;
            goto done;
        }
        if (h[0].round != round) {
            if ((st = refresh_batch(ops, h, &n, round, by_ratio)) != AM_OK)
                goto done;
            continue;
        }
        const am_celf_item top = heap_pop(h, &n);
        const double g = by_ratio ? top.key * cost_of(ops, top.cand) : top.key;
        if (!(g > 0))
            break;
        cost += cost_of(ops, top.cand);
        loss -= g;
        n_chosen++;
        if ((st = ops->pick(ops->user, top.cand, g, loss, cost)) != AM_OK)
            goto done;
        round++;
        /* drop what no longer fits the budget (it never will again) */
        int32_t m = 0;
        for (int32_t k = 0; k < n; k++)
            if (cost + cost_of(ops, h[k].cand) <= budget)
                h[m++] = h[k];
        if (m < n) {
            n = m;
            heap_make(h, n);
        }
    }
done:
    if (st == AM_OK && keep) {
        keep->item = h;
        keep->n = n;
        keep->round = round;
    } else {
        am_free(h);
    }
    return st;
}

double am_celf_bound(const am_celf_ops *ops, am_celf_heap *heap, int32_t p,
                     double gain)
{
    am_celf_item *h = heap->item;
    int32_t taken = 0, n = heap->n;
    const int32_t round = heap->round + 1; /* fresh: evaluated at S */
    while (taken < p && n > 0) {
        if (h[0].round == round) {
            gain += heap_pop(h, &n).key;
            taken++;
        } else if (refresh_batch(ops, h, &n, round, 0) != AM_OK) {
            gain = NAN;
            break;
        }
    }
    heap->n = n;
    heap->round = round;
    return gain;
}
