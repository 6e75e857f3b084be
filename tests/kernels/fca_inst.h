/*
 * fca_inst.h: small cell-facility instances for the FCA kernels' tests
 * (test_fca.c, test_allocation.c): catchment rows from a dense node x
 * facility time table, the demand index of the cells, and a seeded
 * generator. Header-only, included once per test program (cmocka's
 * headers first).
 */
#ifndef AM_TEST_FCA_INST_H
#define AM_TEST_FCA_INST_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "kernels/catchment.h"
#include "kernels/demand.h"

#define assert_rel_near(a, b, rel)                                             \
    do {                                                                       \
        const double a_ = (a), b_ = (b);                                       \
        if (!(fabs(a_ - b_) <= (rel) * (fabs(b_) > 1.0 ? fabs(b_) : 1.0))) {   \
            print_error("%s = %.17g, expected %.17g (line %d)\n", #a, a_, b_,  \
                        __LINE__);                                             \
            fail();                                                            \
        }                                                                      \
    } while (0)

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size);
    assert_non_null(p);
    return p;
}

typedef struct inst {
    int32_t n_fac, n_nodes, n_cells;
    uint32_t limit;  /* catchments' and pairs' limit */
    uint32_t *ntime; /* [n_fac * n_nodes] node -> facility, INF: absent */
    int32_t *cnode;  /* [2 n_cells] */
    uint32_t *coff;  /* [2 n_cells] */
    double *pop;     /* [n_cells] */
    double *supply;  /* [n_fac] */
    am_catchments cat;
    am_demand *d;
} inst;

/* CSR facility rows from ntime (16-bit times when limit fits). */
static void inst_finish(inst *x)
{
    am_catchments *c = &x->cat;
    memset(c, 0, sizeof *c);
    c->n_rows = x->n_fac;
    c->n_cols = x->n_nodes;
    c->limit_ds = x->limit;
    c->first = xcalloc((size_t)x->n_fac + 1, sizeof *c->first);
    int64_t nnz = 0;
    for (int32_t j = 0; j < x->n_fac; j++)
        for (int32_t v = 0; v < x->n_nodes; v++)
            nnz += x->ntime[(size_t)j * x->n_nodes + v] != AM_TIME_INF;
    c->col = xcalloc((size_t)nnz, sizeof *c->col);
    if (x->limit <= AM_CATCHMENT_TIME16_MAX)
        c->time16 = xcalloc((size_t)nnz, sizeof *c->time16);
    else
        c->time_ds = xcalloc((size_t)nnz, sizeof *c->time_ds);
    int64_t e = 0;
    for (int32_t j = 0; j < x->n_fac; j++) {
        for (int32_t v = 0; v < x->n_nodes; v++) {
            const uint32_t t = x->ntime[(size_t)j * x->n_nodes + v];
            if (t == AM_TIME_INF)
                continue;
            c->col[e] = v;
            if (c->time16 != NULL)
                c->time16[e] = (uint16_t)t;
            else
                c->time_ds[e] = t;
            e++;
        }
        c->first[j + 1] = e;
    }
    am_error err;
    am_error_clear(&err);
    assert_int_equal(am_demand_build(x->n_cells, x->n_nodes, x->cnode, x->coff,
                                     x->pop, &x->d, &err),
                     AM_OK);
}

static void inst_free(inst *x)
{
    free(x->ntime);
    free(x->cnode);
    free(x->coff);
    free(x->pop);
    free(x->supply);
    free(x->cat.first);
    free(x->cat.col);
    free(x->cat.time16);
    free(x->cat.time_ds);
    am_demand_destroy(x->d);
    memset(x, 0, sizeof *x);
}

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng_state >> 33) % n);
}

#endif /* AM_TEST_FCA_INST_H */
