/*
 * facilities.h: facility points from any OGR source (GPKG, GeoJSON,
 * Shapefile, CSV with lon/lat columns, ...), with an optional OGR SQL
 * attribute filter and capacity from a field, a per-class table or a
 * default. Points are returned in WGS 84 lon/lat; non-point geometries
 * use their centroid.
 */
#ifndef AM_FACILITIES_H
#define AM_FACILITIES_H

#include <stdint.h>

#include "common/error.h"
#include "engine/scenario.h"

typedef struct am_facility_set {
    int32_t n;
    int64_t *fid;          /* [n] feature ids in the source */
    char **id;             /* [n] id field value, or the FID as text */
    char **name;           /* [n] "" when unknown */
    char **klass;          /* [n] "" when unknown */
    double *capacity;      /* [n] >= 0 */
    double *lon;           /* [n] WGS 84 */
    double *lat;           /* [n] */
    int64_t n_read;        /* features read (after the filter) */
    int64_t n_no_geometry; /* skipped: no usable geometry (reported) */
} am_facility_set;

/*
 * Loads src (paths resolved by the caller into `path`). Errors name the
 * file, layer and feature: AM_ERR_IO, AM_ERR_FORMAT (not a vector source,
 * bad where clause, missing field), AM_ERR_CRS, AM_ERR_INVALID (negative
 * or non-numeric capacity), AM_ERR_EMPTY (zero facilities after the
 * filter).
 */
am_status am_facilities_load(const am_facility_source *src, const char *path,
                             am_facility_set **out, am_error *err);

/* Accepts NULL. */
void am_facility_set_destroy(am_facility_set *f);

#endif /* AM_FACILITIES_H */
