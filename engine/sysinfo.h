/*
 * sysinfo.h: wall clock, peak and available memory for run reports and
 * the memory check.
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

/*
 * The memory this process may use, in bytes: the smaller of physical
 * memory and the cgroup limit (v2 memory.max, v1 memory.limit_in_bytes).
 * *what names which ("physical memory", "the cgroup memory limit").
 * 0 when unknown.
 */
uint64_t am_memory_limit_bytes(const char **what);

/* Current UTC time as ISO 8601 ("2026-11-23T15:00:00Z"). */
void am_utc_now(char buf[32]);

#endif /* AM_SYSINFO_H */
