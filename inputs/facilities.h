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
#include "common/warning.h"

/* Capacity for facilities whose class field has this value. */
typedef struct am_facility_class_capacity {
    const char *klass; /* borrowed */
    double capacity;   /* 0 .. AM_CAPACITY_MAX (common/units.h) */
} am_facility_class_capacity;

/*
 * How to read one facility layer. Every pointer is borrowed for the call.
 * The engine fills it from a scenario's facility set (engine/scenario.h,
 * docs/scenario.md names the keys that the messages quote).
 */
typedef struct am_facility_options {
    const char *path;           /* any OGR source, resolved by the caller */
    const char *layer;          /* NULL: the first layer */
    const char *where;          /* OGR SQL attribute filter, NULL: none */
    const char *id_field;       /* NULL: the FID */
    const char *name_field;     /* NULL: "name" if present */
    const char *class_field;    /* NULL: "amenity" if present */
    const char *capacity_field; /* NULL: capacity by class, else default */
    const char *x_field;        /* table without geometry: longitude column */
    const char *y_field;        /* table without geometry: latitude column */
    const char *crs;            /* for sources that carry none; NULL: WGS 84 */
    const am_facility_class_capacity *class_capacity; /* [n_class_capacity] */
    int n_class_capacity;
    double default_capacity; /* neither field nor class gives one */
    am_warnings *warnings;   /* may be NULL; for findings that do not stop
                                the load */
    const char *value_name;  /* what capacity_field holds, in messages
                                (e.g. "cost"); NULL: "capacity" */
} am_facility_options;

typedef struct am_facility_set {
    int32_t n;
    int64_t *fid;          /* [n] feature ids in the source */
    char **id;             /* [n] id field value, or the FID as text
                              (no id_field, or a null/empty cell); unique */
    char **name;           /* [n] "" when unknown */
    char **klass;          /* [n] "" when unknown */
    double *capacity;      /* [n] >= 0 */
    double *lon;           /* [n] WGS 84 */
    double *lat;           /* [n] */
    int64_t n_read;        /* features read (after the filter) */
    int64_t n_no_geometry; /* skipped: no usable geometry (reported) */
} am_facility_set;

/*
 * Loads the layer opt describes; *out is owned by the caller (NULL on
 * failure). Errors name the file, layer and feature: AM_ERR_IO,
 * AM_ERR_FORMAT (not a vector source, bad where clause, missing field),
 * AM_ERR_CRS, AM_ERR_INVALID (negative or non-numeric capacity, two
 * facilities with the same id),
 * AM_ERR_EMPTY (zero facilities after the filter), AM_ERR_INTERNAL (no
 * options or no path).
 */
am_status am_facilities_load(const am_facility_options *opt,
                             am_facility_set **out, am_error *err);

/*
 * Checks, at the cost of an open and one feature, what would make
 * am_facilities_load fail before its first feature: the source opens as a
 * vector dataset, the layer exists, every configured field exists, `crs`
 * is a CRS PROJ knows and a geometry layer has a CRS (its own or `crs`),
 * and the filter is valid. The first feature is fetched because
 * SQL-backed drivers (GPKG, SQLite) only run the filter then; a filter or
 * layer that yields no feature at all is AM_ERR_EMPTY. The same errors as
 * am_facilities_load; records no warning (the load does).
 */
am_status am_facilities_probe(const am_facility_options *opt, am_error *err);

/* Accepts NULL. */
void am_facility_set_destroy(am_facility_set *f);

#endif /* AM_FACILITIES_H */
