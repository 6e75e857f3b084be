/*
 * units.c: the one check of a time limit in minutes (units.h).
 */
#include "common/units.h"

#include <math.h>
#include <stdio.h>

const char *am_minutes_limit(double minutes, double max_min, unsigned flags,
                             uint32_t *ds, char *buf, size_t size)
{
    const int zero_ok = (flags & AM_MINUTES_ZERO_OK) != 0;
    if (!isfinite(minutes)) {
        snprintf(buf, size, "must be a finite number of minutes");
        return buf;
    }
    if (minutes < 0.0 || (minutes == 0.0 && !zero_ok) || minutes > max_min) {
        snprintf(buf, size, "must be %s 0 and <= %g minutes (%g h)",
                 zero_ok ? ">=" : ">", max_min, max_min / 60.0);
        return buf;
    }
    const uint32_t t = am_minutes_to_ds(minutes);
    if (t == 0 && minutes != 0.0) {
        snprintf(buf, size,
                 "is shorter than 0.05 s, so it rounds to 0 in the 0.1 s "
                 "steps travel times are counted in");
        return buf;
    }
    *ds = t;
    return NULL;
}
