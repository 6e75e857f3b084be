/*
 * units.h: the time unit and its sentinels.
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

/* Minutes to deciseconds, for cutoffs given in minutes. */
#define AM_MIN_TO_DS(m) ((uint32_t)((m)*600u))

#endif /* AM_UNITS_H */
