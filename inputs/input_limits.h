/*
 * input_limits.h: the limits users set on inputs (issue 13), without GDAL,
 * so that the engine can set them from a scenario.
 *
 * Why: a scenario names files it does not control (a raster of 10^12
 * cells declared by a 300-byte VRT, a road layer of billions of
 * features); each loader refuses what is beyond its limit before reading
 * it in full, with a message naming the scenario key that raises it.
 */
#ifndef AM_INPUT_LIMITS_H
#define AM_INPUT_LIMITS_H

#include <stdint.h>

/*
 * Limits users set (issue 13, scenario `limits:`): process-wide, like
 * GDAL's configuration; the engine sets them from the scenario before it
 * loads anything (0 or a NULL l: the AM_LIMIT_*_DEFAULT of accessim.h).
 * Loaders read them; thread-safe (atomics).
 */
typedef struct am_input_limits {
    int64_t raster_cells;  /* cells (width x height) of one raster */
    int64_t road_features; /* features of the roads input */
    int64_t facilities;    /* features of one facility or candidate layer */
} am_input_limits;

void am_input_limits_set(const am_input_limits *l);
am_input_limits am_input_limits_get(void);

#endif /* AM_INPUT_LIMITS_H */
