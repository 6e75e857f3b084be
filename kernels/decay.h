/*
 * decay.h: distance-decay functions f(t) of travel time t (minutes),
 * pinned to one formula each (tools disagree on names, "Gaussian" above
 * all), evaluated once into a table per whole decisecond so that every
 * measure reads the same bits for any thread count.
 *
 * Status: API fixed first (issue 9); kernels/decay.c implements it and its
 * header comment gives each formula with its source.
 *
 * Every function is 0 beyond cutoff_min (inclusive: f(cutoff) is the
 * formula's value) when a cutoff is set; a weight of exactly 0 means "not
 * within reach" for every measure.
 */
#ifndef AM_DECAY_H
#define AM_DECAY_H

#include <stdint.h>

#include "common/error.h"

typedef enum am_decay_type {
    AM_DECAY_STEP = 1,     /* 1 for t <= T */
    AM_DECAY_ZONES,        /* w_k for u_{k-1} < t <= u_k (Luo & Qi 2009) */
    AM_DECAY_DAI_GAUSSIAN, /* (exp(-(t/T)^2/2) - e^-1/2) / (1 - e^-1/2),
                              t <= T (Dai 2010) */
    AM_DECAY_GAUSSIAN,     /* exp(-t^2 / (2 sigma^2)) */
    AM_DECAY_EXPONENTIAL,  /* exp(-beta t) */
    AM_DECAY_POWER,        /* max(t, t_min)^(-beta) */
    AM_DECAY_LINEAR,       /* 1 - t/T for t <= T */
    AM_DECAY_LOGISTIC      /* 1 / (1 + exp(pi (t - t_half) / (sqrt(3) sd))) */
} am_decay_type;

#define AM_DECAY_MAX_ZONES 16

typedef struct am_decay {
    am_decay_type type;
    double cutoff_min; /* T; 0 = none (only for the smooth functions) */
    double sigma_min;  /* GAUSSIAN */
    double beta;       /* EXPONENTIAL (per minute), POWER */
    double t_min;      /* POWER (minutes, > 0) */
    double t_half_min; /* LOGISTIC inflection */
    double sd_min;     /* LOGISTIC spread */
    int n_zones;       /* ZONES */
    double zone_upper_min[AM_DECAY_MAX_ZONES]; /* ascending; last = T */
    double zone_weight[AM_DECAY_MAX_ZONES];
} am_decay;

/* Checks the parameters: AM_ERR_INVALID with a message naming the one
 * that is wrong (e.g. "beta must be > 0"). */
am_status am_decay_check(const am_decay *d, am_error *err);

/* f(t_min), the formula itself (0 beyond the cutoff). */
double am_decay_eval(const am_decay *d, double t_min);

/*
 * w[t] = f(t / 600 minutes) for t = 0 .. limit_ds (limit_ds + 1 entries,
 * caller-allocated). No allocation.
 */
void am_decay_table(const am_decay *d, uint32_t limit_ds, double *w);

#endif /* AM_DECAY_H */
