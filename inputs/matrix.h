/*
 * matrix.h: a precomputed origin-destination travel-time table and the
 * zone tables that go with it (issue 9, "Matrix input"), read into the
 * arrays the kernels take, so that every measure of kernels/fca.h runs on
 * a table exported by r5py, OSRM or Ipea's tools exactly as on a network.
 *
 * Files: CSV text, plain or gzip-compressed (told by its first two bytes,
 * read through GDAL's /vsigzip/), one header line naming the columns,
 * then one record per line; the separator is ',' unless the header holds
 * none and holds ';' or a tab; fields may be quoted ("a,b", "" for a
 * quote) but not span lines; blank lines are skipped; unquoted fields are
 * trimmed of blanks; a UTF-8 byte order mark is skipped. GDAL's CSV driver
 * is not used: it reads the 748,437 rows of the Belo Horizonte table in
 * 3.7 times the CPU time of the reader here (0.79 s against 0.21 s,
 * docs/benchmarks.md), and its feature ids are not line numbers, which
 * every error here names.
 *
 * Zone ids are strings compared byte for byte ("01" and "1" differ).
 *
 * The mapping onto the kernels (kernels/catchment.h, kernels/demand.h):
 * origin zone i (row i of the demand table) is cell i, linked to graph
 * node i at offset 0 (second link absent); destination zone j (row j of
 * the supply table) is facility j; the catchments have one row per
 * destination, columns = origin indices ascending, the pair's time in
 * whole deciseconds (common/units.h rounding). t_ij is then the table's
 * time and every kernel computes the measure on the table as given.
 *
 * Rules (each refusal names the file and line):
 *  - an origin id absent from the demand table, or a destination id
 *    absent from the supply table, is an error: a typo or a table from
 *    another run would otherwise drop pairs silently. Zones of the tables
 *    absent from the matrix are allowed (they reach nothing / are reached
 *    by no one);
 *  - a pair listed twice is an error naming both lines;
 *  - a time that is empty, not a decimal number (NA, NaN, Inf), negative
 *    or above AM_MATRIX_MAX_MIN is an error (drop unreachable pairs from
 *    the table instead of writing a sentinel);
 *  - a zone table with an id twice, an empty id, or a value that is
 *    empty, not a number or negative is an error.
 * Messages quote a field as written (its text, never the number read
 * from it: 1440.00001 minutes must not read "1440"), a long one as its
 * start, "..." and its length.
 *
 * Allocation: as stated per function. Not thread-safe per object; the
 * reading itself is serial (GDAL's file layer).
 */
#ifndef AM_MATRIX_H
#define AM_MATRIX_H

#include <stdint.h>

#include "common/error.h"
#include "common/progress.h"
#include "kernels/catchment.h"

/* The longest travel time accepted (24 h), as the scenario's cutoffs. */
#define AM_MATRIX_MAX_MIN 1440.0

/* A zone table: ids in file order with one value each. */
typedef struct am_zone_table am_zone_table;

/*
 * Reads path (CSV or CSV.gz), columns id_field and value_field (values
 * finite and >= 0). `what` ("demand", "supply") names the table in
 * messages. *out owned by caller. AM_ERR_IO (cannot open or read),
 * AM_ERR_FORMAT (empty file, missing column: the message lists the
 * columns present, a malformed line), AM_ERR_INVALID (a bad value, a
 * duplicate id: line of both), AM_ERR_EMPTY (no rows), AM_ERR_NOMEM.
 */
am_status am_zone_table_read(const char *path, const char *id_field,
                             const char *value_field, const char *what,
                             am_zone_table **out, am_error *err);

void am_zone_table_destroy(am_zone_table *t); /* accepts NULL */

int32_t am_zone_table_count(const am_zone_table *t);
/* Zone i's id (borrowed, NUL-terminated) and value. */
const char *am_zone_table_id(const am_zone_table *t, int32_t i);
const double *am_zone_table_values(const am_zone_table *t); /* [count] */
/* The row of id (NUL-terminated), or -1. No allocation. */
int32_t am_zone_table_find(const am_zone_table *t, const char *id);

typedef struct am_matrix_options {
    const char *path;                  /* CSV or CSV.gz */
    const char *from_field;            /* origin id column */
    const char *to_field;              /* destination id column */
    const char *time_field;            /* travel time column */
    int time_in_seconds;               /* 0: minutes */
    const am_zone_table *origins;      /* the demand table (borrowed) */
    const char *origins_path;          /* for messages */
    const am_zone_table *destinations; /* the supply table (borrowed) */
    const char *destinations_path;
    /* the catchments' limit is at least this (a measure's cutoff beyond
       the table's longest time): it decides the time storage */
    uint32_t min_limit_ds;
    /* may be NULL: called every 64 Ki records with the share of the file
       read (0 for gzip); returning 0 stops the read (AM_ERR_CANCELLED) */
    am_progress_fn progress;
    void *progress_user;
    /* issue 9, the memory cap: more records than max_pairs (0: no limit)
       is AM_ERR_NOMEM naming the line, "beyond <max_pairs_why>" (NULL:
       "the memory budget") */
    int64_t max_pairs;
    const char *max_pairs_why;
} am_matrix_options;

/* What the table held. */
typedef struct am_matrix_info {
    int64_t pairs;             /* records */
    int32_t origins_used;      /* distinct origins */
    int32_t destinations_used; /* distinct destinations */
    uint32_t max_time_ds;      /* longest time (0 when none) */
    int gzip;                  /* the file was gzip-compressed */
} am_matrix_info;

/*
 * Reads the table into catchments (rows = destinations, cols = origins;
 * see the header comment) with limit_ds = max(longest time,
 * o->min_limit_ds). *out owned by caller (am_catchments_destroy); info may
 * be NULL. Errors as am_zone_table_read, plus AM_ERR_INVALID for ids
 * absent from the zone tables and duplicate pairs, AM_ERR_EMPTY for a
 * table without rows. Allocates about 44 bytes per pair while reading,
 * 8 (or 6 when the limit fits 16 bits) per pair kept.
 */
am_status am_matrix_read(const am_matrix_options *o, am_catchments **out,
                         am_matrix_info *info, am_error *err);

#endif /* AM_MATRIX_H */
