/*
 * units.h: the time unit and its sentinels, the one check of a time limit
 * in minutes, and the range of capacities.
 *
 * Travel times are unsigned integers in deciseconds (suffix _ds): exact,
 * reproducible sums, and 0.1 s is far below any input's precision.
 * AM_TIME_INF marks "not reached"; it is 2^31-1, so INF + INF and
 * INF + any valid time still fit in uint32_t without overflow. Any finite
 * time (arc or path) is < AM_TIME_INF (about 6.8 years).
 */
#ifndef AM_UNITS_H
#define AM_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define AM_TIME_INF ((uint32_t)0x7FFFFFFFu)

/* Minutes (cutoffs, thresholds) to whole deciseconds, rounded to nearest;
 * negative or non-finite input gives 0, too large gives AM_TIME_INF - 1. */
static inline uint32_t am_minutes_to_ds(double minutes)
{
    double ds = minutes * 600.0 + 0.5;
    if (!(ds >= 1.0))
        return 0;
    if (ds >= (double)(AM_TIME_INF - 1))
        return AM_TIME_INF - 1;
    return (uint32_t)ds;
}

/* Seconds (a travel-time table's, inputs/matrix.h) to whole deciseconds,
 * with the rule of am_minutes_to_ds. */
static inline uint32_t am_seconds_to_ds(double seconds)
{
    double ds = seconds * 10.0 + 0.5;
    if (!(ds >= 1.0))
        return 0;
    if (ds >= (double)(AM_TIME_INF - 1))
        return AM_TIME_INF - 1;
    return (uint32_t)ds;
}

/*
 * A time LIMIT in minutes (a cutoff, a threshold, a decay's cutoff or zone
 * bound, surface.max_time_min, a combined indicator's `within`, a
 * catchment's depth, ...) checked and turned into whole deciseconds in one
 * place, so that no limit can round silently to 0 (a limit of 0.0001 min
 * is 0.006 s: it would keep only the facilities at zero time) or pass as
 * NaN. Every scenario key and API argument holding one goes through it
 * (engine/scenario_file.c: parse_minutes; am_scenario_finalize; kernels'
 * decay checks; am_sites_catchments).
 *
 * Accepted: a finite minutes with 0 < minutes <= max_min that rounds to at
 * least 1 ds (minutes >= 1/1200: 0.05 s); with AM_MINUTES_ZERO_OK, also
 * exactly 0 (the key's "none" or "default"; *ds = 0). Then *ds is
 * am_minutes_to_ds(minutes) and the result NULL. Else *ds is untouched and
 * the result is why, a phrase to follow the key's name in a message
 * ("'surface.max_time_min' must be > 0 and <= 1440 minutes (24 h) (got 0)"),
 * written into buf (AM_MINUTES_WHY_MAX bytes suffice):
 *   - NaN or infinite: "must be a finite number of minutes";
 *   - negative, 0 (without AM_MINUTES_ZERO_OK) or above max_min: "must be
 *     > 0 and <= M minutes (H h)" (">= 0" with AM_MINUTES_ZERO_OK);
 *   - above 0 but below half a decisecond: "is shorter than 0.05 s, so it
 *     rounds to 0 in the 0.1 s steps travel times are counted in".
 * Shape parameters of a decay that are never turned into deciseconds
 * (sigma_min, t_min, sd_min, t_half_min) are not limits and do not use it.
 */
#define AM_MINUTES_ZERO_OK 1u
#define AM_MINUTES_WHY_MAX 96
const char *am_minutes_limit(double minutes, double max_min, unsigned flags,
                             uint32_t *ds, char *buf, size_t size);

/* Deciseconds to minutes, for outputs. */
static inline double am_ds_to_minutes(uint32_t ds)
{
    return ds / 600.0;
}

/*
 * Capacities (any unit: beds, staff, budget) are 0 to AM_CAPACITY_MAX, so
 * that a set's total stays far from overflow. One limit for a capacity
 * written in the scenario (engine/) and one read from a facility layer
 * (inputs/).
 */
#define AM_CAPACITY_MAX 1e15

#endif /* AM_UNITS_H */
