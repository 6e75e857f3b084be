/*
 * sysinfo.c: see sysinfo.h.
 */
#include "engine/sysinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

double am_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double am_peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

void am_utc_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A cgroup memory limit file's value, or 0 when absent or unlimited. */
static uint64_t cgroup_limit(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[64] = "";
    uint64_t v = 0;
    if (fgets(line, sizeof line, f) != NULL && strncmp(line, "max", 3) != 0) {
        char *end = NULL;
        errno = 0;
        unsigned long long x = strtoull(line, &end, 10);
        if (errno == 0 && end != line)
            v = (uint64_t)x;
    }
    fclose(f);
    /* cgroup v1 says "unlimited" with a huge page-rounded number */
    return v >= ((uint64_t)1 << 62) ? 0 : v;
}

uint64_t am_memory_limit_bytes(const char **what)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t phys =
        (pages > 0 && page > 0) ? (uint64_t)pages * (uint64_t)page : 0;
    uint64_t cg = cgroup_limit("/sys/fs/cgroup/memory.max");
    if (cg == 0)
        cg = cgroup_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    if (cg != 0 && (phys == 0 || cg < phys)) {
        *what = "the cgroup memory limit";
        return cg;
    }
    *what = "physical memory";
    return phys;
}
