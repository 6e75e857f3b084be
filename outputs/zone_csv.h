/*
 * zone_csv.h: a per-zone table of results as CSV (issue 9, matrix input):
 * one row per zone, the id first, then one column per measure in the
 * order given; the header is the id column's name and the measure names.
 * Numbers are written in the shortest of %.15g, %.16g and %.17g that reads
 * back to the same double (so every value round-trips exactly); NaN as
 * "NaN", infinities as "Inf" and "-Inf". Fields holding a comma, a quote,
 * a line break or surrounding blanks are quoted (RFC 4180).
 *
 * The file is written under a temporary name in the output's folder and
 * renamed only when complete (common/atomic_file.h): a failed write leaves
 * an older file at the path as it was. Serial; allocates a write buffer.
 */
#ifndef AM_ZONE_CSV_H
#define AM_ZONE_CSV_H

#include <stdint.h>

#include "common/error.h"
#include "common/file_check.h"

/*
 * ids [n_rows] (borrowed, NUL-terminated), names [n_cols], values [n_cols]
 * each [n_rows]. protect (may be NULL): the run's inputs, which the
 * output must not replace. AM_ERR_IO naming path, AM_ERR_NOMEM.
 */
am_status am_zone_csv_write(const char *path, const am_file_guard *protect,
                            const char *id_name, int32_t n_rows,
                            const char *const *ids, int n_cols,
                            const char *const *names,
                            const double *const *values, am_error *err);

/* The text of v as written (buf of at least 32 bytes); returns buf. */
char *am_zone_csv_number(double v, char *buf);

#endif /* AM_ZONE_CSV_H */
