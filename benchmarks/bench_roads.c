/*
 * bench_roads.c: the road loader alone (inputs/roads.h, issue 8).
 *
 *   build/benchmarks/bench_roads [--threads T] [--trials K] SOURCE[:LAYER]
 *
 * Loads SOURCE with the car profile K times (default 3) with T threads
 * (default 1) and prints one JSON line: nodes, arcs, the median and min
 * wall time, the median CPU time, and an FNV-1a digest of every array,
 * count and warning, so that two builds (or thread counts) can be
 * compared for identical output. Not part of ctest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs/roads.h"
#include "bench_util.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t digest(const am_road_network *n, const am_warnings *w)
{
    const size_t nn = (size_t)n->n_nodes, na = (size_t)n->n_arcs;
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, n->lon, nn * sizeof *n->lon);
    h = fnv(h, n->lat, nn * sizeof *n->lat);
    h = fnv(h, n->tail, na * sizeof *n->tail);
    h = fnv(h, n->head, na * sizeof *n->head);
    h = fnv(h, n->time_ds, na * sizeof *n->time_ds);
    h = fnv(h, n->len_m, na * sizeof *n->len_m);
    h = fnv(h, n->arc_flags, na * sizeof *n->arc_flags);
    h = fnv(h, &n->n_features,
            sizeof *n - offsetof(am_road_network, n_features));
    for (size_t i = 0; i < w->n; i++)
        h = fnv(h, w->msg[i], strlen(w->msg[i]) + 1);
    return h;
}

int main(int argc, char **argv)
{
    int threads = 1, trials = 3;
    const char *src = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
            trials = atoi(argv[++i]);
        else
            src = argv[i];
    }
    if (src == NULL || trials < 1 || trials > 100) {
        fprintf(stderr, "usage: bench_roads [--threads T] [--trials K] "
                        "SOURCE[:LAYER]\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", src);
    char *colon = strrchr(path, ':');
    const char *layer = NULL;
    if (colon != NULL && strchr(colon, '/') == NULL) {
        *colon = '\0';
        layer = colon + 1;
    }
    double wall[100], cpu[100];
    uint64_t dig = 0;
    long long nodes = 0, arcs = 0;
    for (int k = 0; k < trials; k++) {
        am_warnings w;
        am_warnings_init(&w, NULL, NULL);
        am_road_options o = {.path = path, .layer = layer};
        o.threads = threads;
        o.warnings = &w;
        am_error err;
        am_error_clear(&err);
        am_road_network *n = NULL;
        double c0 = cpu_s(), t0 = now_s();
        am_status rc = am_roads_load(&o, NULL, NULL, &n, &err);
        wall[k] = now_s() - t0;
        cpu[k] = cpu_s() - c0;
        if (rc != AM_OK) {
            fprintf(stderr, "bench_roads: %s\n", err.msg);
            return 1;
        }
        uint64_t d = digest(n, &w);
        if (k > 0 && d != dig) {
            fprintf(stderr, "bench_roads: trial %d differs\n", k);
            return 1;
        }
        dig = d;
        nodes = n->n_nodes;
        arcs = (long long)n->n_arcs;
        am_road_network_destroy(n);
        am_warnings_clear(&w);
    }
    double min = wall[0];
    for (int k = 1; k < trials; k++)
        min = wall[k] < min ? wall[k] : min;
    double med = median_sort(wall, trials), cmed = median_sort(cpu, trials);
    printf("{\"source\": \"%s\", \"threads\": %d, \"nodes\": %lld, "
           "\"arcs\": %lld, \"median_s\": %.3f, \"min_s\": %.3f, "
           "\"cpu_median_s\": %.3f, \"digest\": \"%016llx\"}\n",
           src, threads, nodes, arcs, med, min, cmed, (unsigned long long)dig);
    return 0;
}
