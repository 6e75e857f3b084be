/*
 * bench_fingerprint.c: what fingerprinting an input adds to the roads
 * phase (inputs/fingerprint.h), serially and in the background.
 *
 *   build/benchmarks/bench_fingerprint ROADS [TRIALS] [PROFILE]
 *
 * For each variant runs TRIALS timed trials (variants interleaved, after
 * one warm-up pass that brings the file into the page cache) and prints
 * one JSON line with the median and minimum wall time and the median CPU
 * time (seconds, all threads), and the median and maximum wall time
 * spent on the fingerprint after the loader returned (after_load: what
 * fingerprinting adds to the phase; the serial hash, or the wait in
 * am_fingerprint_finish):
 *   hash         am_input_fingerprint alone (the cost being hidden)
 *   load         am_roads_load alone (the phase without a fingerprint)
 *   load_serial  am_roads_load, then am_input_fingerprint (the engine's
 *                roads phase before the fingerprint job)
 *   load_job     am_fingerprint_start, am_roads_load, am_fingerprint_finish
 *                (the engine's roads phase now)
 * ROADS may be any file for `hash` (a PBF concatenated into a big file):
 * when it is not a road layer only `hash` runs. Not part of ctest; timings
 * on shared machines are noisy: compare within one invocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inputs/fingerprint.h"
#include "inputs/roads.h"
#include "bench_util.h"

#define MAX_TRIALS 64

enum { V_HASH, V_LOAD, V_LOAD_SERIAL, V_LOAD_JOB, N_VARIANTS };
static const char *const variant_name[N_VARIANTS] = {"hash", "load",
                                                     "load_serial", "load_job"};

static void die(const char *what, const am_error *err)
{
    fprintf(stderr, "bench_fingerprint: %s: %s: %s\n", what, err->file,
            err->msg);
    exit(1);
}

/* One run of variant v; the digest into hex, and the wall time spent on
 * the fingerprint after the loader returned (the phase's extra time). */
static void run_variant(int v, const am_road_options *ro, char hex[65],
                        double *after_s)
{
    am_error err;
    am_error_clear(&err);
    long long size;
    am_road_network *net = NULL;
    am_fingerprint_job *job = NULL;
    hex[0] = '\0';
    if (v == V_LOAD_JOB && am_fingerprint_start(ro->path, &job, &err) != AM_OK)
        die("start", &err);
    if (v != V_HASH && am_roads_load(ro, NULL, NULL, &net, &err) != AM_OK) {
        am_fingerprint_cancel(job);
        die("roads", &err);
    }
    double t0 = clock_s(CLOCK_MONOTONIC);
    if ((v == V_HASH || v == V_LOAD_SERIAL) &&
        am_input_fingerprint(ro->path, hex, &size, &err) != AM_OK)
        die("fingerprint", &err);
    if (v == V_LOAD_JOB &&
        am_fingerprint_finish(job, hex, &size, &err) != AM_OK)
        die("finish", &err);
    *after_s = v == V_LOAD ? 0.0 : clock_s(CLOCK_MONOTONIC) - t0;
    am_road_network_destroy(net);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_fingerprint ROADS [TRIALS] [PROFILE]\n");
        return 2;
    }
    int trials = argc > 2 ? atoi(argv[2]) : 3;
    if (trials < 1 || trials > MAX_TRIALS)
        trials = 3;
    am_road_options ro;
    memset(&ro, 0, sizeof ro);
    ro.path = argv[1];
    am_error err;
    am_error_clear(&err);
    am_profile prof;
    if (am_profile_builtin(argc > 3 ? argv[3] : "car", &prof, &err) != AM_OK)
        die("profile", &err);
    ro.profile = &prof;

    /* warm-up: the page cache, and whether the file is a road layer */
    char ref[65], hex[65];
    double after;
    run_variant(V_HASH, &ro, ref, &after);
    am_road_network *net = NULL;
    int is_roads = am_roads_load(&ro, NULL, NULL, &net, &err) == AM_OK;
    am_road_network_destroy(net);

    double wall[N_VARIANTS][MAX_TRIALS], cpu[N_VARIANTS][MAX_TRIALS];
    double extra[N_VARIANTS][MAX_TRIALS];
    for (int t = 0; t < trials; t++)
        for (int v = 0; v < N_VARIANTS; v++) {
            if (v != V_HASH && !is_roads)
                continue;
            double w0 = clock_s(CLOCK_MONOTONIC);
            double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            run_variant(v, &ro, hex, &extra[v][t]);
            wall[v][t] = clock_s(CLOCK_MONOTONIC) - w0;
            cpu[v][t] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (v != V_LOAD && strcmp(hex, ref) != 0) {
                fprintf(stderr, "bench_fingerprint: %s: digest differs\n",
                        variant_name[v]);
                return 1;
            }
        }
    FILE *f = fopen(ro.path, "rb");
    long long bytes = 0;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0)
        bytes = ftell(f);
    if (f != NULL)
        fclose(f);
    for (int v = 0; v < N_VARIANTS; v++) {
        if (v != V_HASH && !is_roads)
            continue;
        qsort(wall[v], (size_t)trials, sizeof(double), cmp_double);
        qsort(cpu[v], (size_t)trials, sizeof(double), cmp_double);
        qsort(extra[v], (size_t)trials, sizeof(double), cmp_double);
        printf("{\"bench\":\"%s\",\"file\":\"%s\",\"bytes\":%lld,"
               "\"trials\":%d,\"wall_median_s\":%.3f,\"wall_min_s\":%.3f,"
               "\"cpu_median_s\":%.3f,\"after_load_median_s\":%.3f,"
               "\"after_load_max_s\":%.3f}\n",
               variant_name[v], ro.path, bytes, trials, wall[v][trials / 2],
               wall[v][0], cpu[v][trials / 2], extra[v][trials / 2],
               extra[v][trials - 1]);
    }
    return 0;
}
