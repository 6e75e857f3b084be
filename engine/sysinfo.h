/*
 * sysinfo.h: wall clock and peak memory for run reports.
 * Internal to engine/. Thread-safe; no allocation.
 */
#ifndef AM_SYSINFO_H
#define AM_SYSINFO_H

#include <stdint.h>

#include "common/error.h"

/* Monotonic seconds. */
double am_now_s(void);

/* Peak resident set size of this process so far, in MiB. */
double am_peak_rss_mib(void);

/* Current UTC time as ISO 8601 ("2026-11-23T15:00:00Z"). */
void am_utc_now(char buf[32]);

#endif /* AM_SYSINFO_H */
