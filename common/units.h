/*
 * units.h: the time unit and its sentinels, and the range of capacities.
 *
 * Travel times are unsigned integers in deciseconds (suffix _ds): exact,
 * reproducible sums, and 0.1 s is far below any input's precision.
 * AM_TIME_INF marks "not reached"; it is 2^31-1, so INF + INF and
 * INF + any valid time still fit in uint32_t without overflow. Any finite
 * time (arc or path) is < AM_TIME_INF (about 6.8 years).
 */
#ifndef AM_UNITS_H
#define AM_UNITS_H

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
