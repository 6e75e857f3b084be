/*
 * decay.c: the distance-decay functions of decay.h, each pinned to one
 * formula (t and every parameter in minutes; T = cutoff_min):
 *
 *   STEP          f(t) = 1 for t <= T, else 0. The binary catchment of
 *                 2SFCA (Luo & Wang 2003, Environment and Planning B
 *                 30(6):865-884) and of cumulative opportunities.
 *   ZONES         f(t) = w_k for u_{k-1} < t <= u_k (u_0 = 0, t = 0 in the
 *                 first zone), 0 beyond the last upper bound u_K = T.
 *                 E2SFCA's travel-time zones (Luo & Qi 2009, "An enhanced
 *                 two-step floating catchment area (E2SFCA) method for
 *                 measuring spatial accessibility to primary care
 *                 physicians", Health & Place 15(4):1100-1107; their
 *                 default 0-10/10-20/20-30 min with 1.00/0.68/0.22).
 *   DAI_GAUSSIAN  f(t) = (exp(-(t/T)^2 / 2) - exp(-1/2)) / (1 - exp(-1/2))
 *                 for t <= T, else 0: the Gaussian rescaled to 1 at t = 0
 *                 and truncated to 0 at T (Dai 2010, "Black residential
 *                 segregation, disparities in spatial access to health care
 *                 facilities, and late-stage breast cancer diagnosis in
 *                 metropolitan Detroit", Health & Place 16(5):1038-1052;
 *                 the kernel of KD2SFCA).
 *   GAUSSIAN      f(t) = exp(-t^2 / (2 sigma^2)): the plain Gaussian with
 *                 standard deviation sigma_min (named apart from Dai's, as
 *                 tools disagree on which one "Gaussian" is).
 *   EXPONENTIAL   f(t) = exp(-beta t), beta per minute (negative
 *                 exponential; e.g. Ipea's accessibility package,
 *                 decay_exponential).
 *   POWER         f(t) = max(t, t_min)^(-beta): the inverse power,
 *                 held at its value at t_min below t_min so that it stays
 *                 finite at t = 0 (t_min > 0 minutes).
 *   LINEAR        f(t) = 1 - t/T for t <= T, else 0.
 *   LOGISTIC      f(t) = 1 / (1 + exp(pi (t - t_half) / (sqrt(3) sd))):
 *                 the complement of the logistic distribution's CDF with
 *                 mean t_half (f = 1/2 there) and standard deviation sd
 *                 (scale s = sqrt(3) sd / pi): the parametrisation of
 *                 decay.h, stated here rather than taken from a tool.
 *
 * Cutoffs: a smooth function (GAUSSIAN, EXPONENTIAL, POWER, LOGISTIC) is
 * truncated at T when cutoff_min > 0; STEP, LINEAR and DAI_GAUSSIAN need
 * T > 0; ZONES take T = u_K (cutoff_min 0 or u_K). Every bound is
 * compared on the decisecond grid, as integers: T_ds = am_minutes_to_ds(T)
 * (common/units.h, rounded to nearest) and t is within T when
 * am_minutes_to_ds(t) <= T_ds, so a step at 30 min keeps exactly the
 * times <= 18000 ds that the binary 2SFCA kept (thresholds inclusive).
 * The formula itself is evaluated at t as given (the table: t = k / 600.0
 * for whole deciseconds k), in one fixed sequence of libm calls, so
 * the table has the same bits however and wherever it is used.
 */
#include "kernels/decay.h"

#include <math.h>
#include <stddef.h>

#include "common/units.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* The decay's own cutoff in whole deciseconds; AM_TIME_INF when none. */
static uint32_t decay_cutoff_ds(const am_decay *d)
{
    if (d->type == AM_DECAY_ZONES)
        return d->n_zones > 0
                   ? am_minutes_to_ds(d->zone_upper_min[d->n_zones - 1])
                   : 0;
    if (d->cutoff_min > 0.0)
        return am_minutes_to_ds(d->cutoff_min);
    return AM_TIME_INF;
}

static int pos_finite(double x)
{
    return isfinite(x) && x > 0.0;
}

am_status am_decay_check(const am_decay *d, am_error *err)
{
    if (d == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "decay: NULL argument");
    /* the cutoff and the zones' bounds are time limits (common/units.h):
       none may round to 0 deciseconds; 0 is "no cutoff" for a smooth decay */
    const double max_min = am_ds_to_minutes(AM_TIME_INF - 1);
    char why[AM_MINUTES_WHY_MAX];
    uint32_t cut_ds = 0;
    if (am_minutes_limit(d->cutoff_min, max_min, AM_MINUTES_ZERO_OK, &cut_ds,
                         why, sizeof why) != NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "decay: cutoff_min %s (got %g)", why,
                            d->cutoff_min);
    switch (d->type) {
    case AM_DECAY_STEP:
    case AM_DECAY_LINEAR:
    case AM_DECAY_DAI_GAUSSIAN:
        if (cut_ds == 0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: cutoff_min must be > 0 for the %s "
                                "decay (got %g)",
                                d->type == AM_DECAY_STEP     ? "step"
                                : d->type == AM_DECAY_LINEAR ? "linear"
                                                             : "dai_gaussian",
                                d->cutoff_min);
        return AM_OK;
    case AM_DECAY_ZONES: {
        if (d->n_zones < 1 || d->n_zones > AM_DECAY_MAX_ZONES)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: zones must have 1 to %d zones (got "
                                "%d)",
                                AM_DECAY_MAX_ZONES, d->n_zones);
        uint32_t prev = 0;
        for (int k = 0; k < d->n_zones; k++) {
            const double u = d->zone_upper_min[k], w = d->zone_weight[k];
            uint32_t u_ds = 0;
            if (am_minutes_limit(u, max_min, 0, &u_ds, why, sizeof why) != NULL)
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "decay: zone %d's upper bound %s (got %g)",
                                    k + 1, why, u);
            if (u_ds <= prev)
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "decay: zones must be ascending: zone "
                                    "%d's upper bound %g min is not above "
                                    "the previous one (to the decisecond)",
                                    k + 1, u);
            prev = u_ds;
            if (!isfinite(w) || w < 0.0 || w > 1.0)
                return am_error_set(err, AM_ERR_INVALID, NULL,
                                    "decay: zone %d's weight must be in "
                                    "[0, 1] (got %g)",
                                    k + 1, w);
        }
        if (cut_ds != 0 && cut_ds != prev)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: cutoff_min %g differs from the last "
                                "zone's upper bound %g (the zones' cutoff)",
                                d->cutoff_min,
                                d->zone_upper_min[d->n_zones - 1]);
        return AM_OK;
    }
    case AM_DECAY_GAUSSIAN:
        if (!pos_finite(d->sigma_min))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: sigma_min must be a finite number > 0 "
                                "(got %g)",
                                d->sigma_min);
        return AM_OK;
    case AM_DECAY_EXPONENTIAL:
        if (!pos_finite(d->beta))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: beta must be a finite number > 0 "
                                "(got %g)",
                                d->beta);
        return AM_OK;
    case AM_DECAY_POWER:
        if (!pos_finite(d->beta))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: beta must be a finite number > 0 "
                                "(got %g)",
                                d->beta);
        if (!pos_finite(d->t_min))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: t_min must be a finite number > 0 "
                                "(got %g)",
                                d->t_min);
        return AM_OK;
    case AM_DECAY_LOGISTIC:
        if (!isfinite(d->t_half_min) || d->t_half_min < 0.0)
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: t_half_min must be a finite number "
                                ">= 0 (got %g)",
                                d->t_half_min);
        if (!pos_finite(d->sd_min))
            return am_error_set(err, AM_ERR_INVALID, NULL,
                                "decay: sd_min must be a finite number > 0 "
                                "(got %g)",
                                d->sd_min);
        return AM_OK;
    }
    return am_error_set(err, AM_ERR_INVALID, NULL,
                        "decay: unknown decay type %d", (int)d->type);
}

/* The formula at t >= 0 minutes, within the cutoff (checked by the
 * caller). t_ds: t on the decisecond grid (the zones' bounds). */
static double decay_formula(const am_decay *d, double t, uint32_t t_ds)
{
    switch (d->type) {
    case AM_DECAY_STEP:
        return 1.0;
    case AM_DECAY_ZONES:
        for (int k = 0; k < d->n_zones; k++)
            if (t_ds <= am_minutes_to_ds(d->zone_upper_min[k]))
                return d->zone_weight[k];
        return 0.0;
    case AM_DECAY_DAI_GAUSSIAN: {
        const double e = exp(-0.5);
        const double x = t / d->cutoff_min;
        const double v = (exp(-0.5 * x * x) - e) / (1.0 - e);
        return v > 0.0 ? v : 0.0; /* t = T rounded up to the grid */
    }
    case AM_DECAY_GAUSSIAN:
        return exp(-(t * t) / (2.0 * d->sigma_min * d->sigma_min));
    case AM_DECAY_EXPONENTIAL:
        return exp(-d->beta * t);
    case AM_DECAY_POWER:
        return pow(t > d->t_min ? t : d->t_min, -d->beta);
    case AM_DECAY_LINEAR: {
        const double v = 1.0 - t / d->cutoff_min;
        return v > 0.0 ? v : 0.0;
    }
    case AM_DECAY_LOGISTIC:
        return 1.0 / (1.0 + exp(M_PI * (t - d->t_half_min) /
                                (sqrt(3.0) * d->sd_min)));
    }
    return 0.0;
}

/* f at t minutes with t_ds its decisecond: 0 beyond the cutoff. */
static double decay_at(const am_decay *d, double t, uint32_t t_ds,
                       uint32_t cut_ds)
{
    if (!(t >= 0.0) || t_ds > cut_ds)
        return 0.0;
    return decay_formula(d, t, t_ds);
}

double am_decay_eval(const am_decay *d, double t_min)
{
    if (d == NULL)
        return 0.0;
    return decay_at(d, t_min, am_minutes_to_ds(t_min), decay_cutoff_ds(d));
}

void am_decay_table(const am_decay *d, uint32_t limit_ds, double *w)
{
    if (d == NULL || w == NULL)
        return;
    const uint32_t cut = decay_cutoff_ds(d);
    for (uint32_t t = 0;; t++) {
        w[t] = decay_at(d, t / 600.0, t, cut);
        if (t == limit_ds)
            break;
    }
}
