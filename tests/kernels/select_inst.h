/*
 * select_inst.h: a site-selection instance for the kernel tests
 * (test_select.c, test_select_equity.c): demand per cell, the baseline
 * times, a dense cell x candidate time table the test writes, and its CSR
 * by candidate as am_sel_instance holds it. Header-only; include after
 * cmocka.h.
 */
#ifndef AM_TEST_SELECT_INST_H
#define AM_TEST_SELECT_INST_H

#include <stdint.h>
#include <stdlib.h>

#include "common/units.h"
#include "kernels/select.h"

typedef struct sel_inst {
    int32_t nc, na;
    double *w;      /* [nc] demand, 0 by sel_inst_new */
    uint32_t *base; /* [nc] time to the existing facilities, INF: none */
    uint32_t *tm;   /* [nc * na] dense, AM_TIME_INF: no pair */
    double *cost;   /* [na], NULL: unit (the test allocates it) */
    int64_t *row;   /* the CSR by candidate, by sel_inst_build */
    int32_t *cell;
    uint32_t *time;
    am_sel_instance in; /* views of the above, by sel_inst_build */
} sel_inst;

/* nc cells without demand nor baseline, na candidates reaching none. */
static inline sel_inst sel_inst_new(int32_t nc, int32_t na)
{
    sel_inst x = {0};
    x.nc = nc;
    x.na = na;
    x.w = calloc((size_t)nc, sizeof *x.w);
    x.base = malloc((size_t)nc * sizeof *x.base);
    x.tm = malloc((size_t)nc * na * sizeof *x.tm);
    for (int32_t i = 0; i < nc; i++)
        x.base[i] = AM_TIME_INF;
    for (int64_t k = 0; k < (int64_t)nc * na; k++)
        x.tm[k] = AM_TIME_INF;
    return x;
}

/* Cell i reaches candidate a in t ds. */
static inline void sel_inst_set(sel_inst *x, int32_t i, int32_t a, uint32_t t)
{
    x->tm[(size_t)i * x->na + a] = t;
}

/* (Re)builds the CSR from the dense table and points x->in at x's arrays
 * (x must not move after). */
static inline void sel_inst_build(sel_inst *x)
{
    int64_t m = 0;
    for (int64_t k = 0; k < (int64_t)x->nc * x->na; k++)
        m += x->tm[k] != AM_TIME_INF;
    free(x->row);
    free(x->cell);
    free(x->time);
    x->row = malloc(((size_t)x->na + 1) * sizeof *x->row);
    x->cell = malloc(((size_t)m + 1) * sizeof *x->cell);
    x->time = malloc(((size_t)m + 1) * sizeof *x->time);
    m = 0;
    x->row[0] = 0;
    for (int32_t a = 0; a < x->na; a++) {
        for (int32_t i = 0; i < x->nc; i++)
            if (x->tm[(size_t)i * x->na + a] != AM_TIME_INF) {
                x->cell[m] = i;
                x->time[m++] = x->tm[(size_t)i * x->na + a];
            }
        x->row[a + 1] = m;
    }
    x->in = (am_sel_instance){x->nc,  x->w,    x->base, x->na,
                              x->row, x->cell, x->time, x->cost};
}

static inline void sel_inst_free(sel_inst *x)
{
    free(x->w);
    free(x->base);
    free(x->tm);
    free(x->cost);
    free(x->row);
    free(x->cell);
    free(x->time);
}

#endif /* AM_TEST_SELECT_INST_H */
