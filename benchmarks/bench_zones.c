/*
 * bench_zones.c: speed zones (inputs/zones.h) on a real network: the time
 * to read a zone layer and to apply it to every arc, at 1 and N threads.
 *
 * usage: bench_zones ROADS LAYER|- ZONES MULTIPLIER THREADS [TRIALS]
 * Prints one JSON line per thread count: arcs, polygons, arcs affected,
 * load seconds, apply median and min seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "inputs/roads.h"
#include "inputs/zones.h"
#include "bench_util.h"

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_zones ROADS LAYER|- ZONES MULTIPLIER "
                        "THREADS [TRIALS]\n");
        return 2;
    }
    const int threads = atoi(argv[5]);
    const int trials = argc > 6 ? atoi(argv[6]) : 5;
    am_error e;
    am_road_options ro;
    memset(&ro, 0, sizeof ro);
    ro.path = argv[1];
    ro.layer = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
    ro.profile = NULL; /* car */
    am_road_network *r = NULL;
    if (am_roads_load(&ro, NULL, NULL, &r, &e) != AM_OK) {
        fprintf(stderr, "roads: %s\n", e.msg);
        return 1;
    }
    am_zone_options zo;
    memset(&zo, 0, sizeof zo);
    zo.path = argv[3];
    zo.multiplier = atof(argv[4]);
    am_zone_layer *z = NULL;
    double t0 = now_s();
    if (am_zones_load(&zo, &z, &e) != AM_OK) {
        fprintf(stderr, "zones: %s\n", e.msg);
        return 1;
    }
    const double load_s = now_s() - t0;
    uint32_t *orig = am_alloc_array((size_t)r->n_arcs, sizeof *orig);
    double *t = am_alloc_array((size_t)trials, sizeof *t);
    if (orig == NULL || t == NULL)
        return 1;
    memcpy(orig, r->time_ds, (size_t)r->n_arcs * sizeof *orig);
    const am_zone_layer *layers[1] = {z};
    const int counts[2] = {1, threads};
    for (int c = 0; c < (threads > 1 ? 2 : 1); c++) {
        am_zone_stat st;
        for (int k = 0; k < trials; k++) {
            memcpy(r->time_ds, orig, (size_t)r->n_arcs * sizeof *orig);
            t0 = now_s();
            if (am_zones_apply(r, 1, layers, counts[c], &st, &e) != AM_OK)
                return 1;
            t[k] = now_s() - t0;
        }
        qsort(t, (size_t)trials, sizeof *t, cmp_double);
        printf("{\"arcs\": %lld, \"polygons\": %d, \"affected\": %lld, "
               "\"threads\": %d, \"load_s\": %.4f, \"apply_median_s\": %.4f, "
               "\"apply_min_s\": %.4f}\n",
               (long long)r->n_arcs, (int)am_polygons_count(z->polygons),
               (long long)st.arcs, counts[c], load_s, t[trials / 2], t[0]);
    }
    am_free(orig);
    am_free(t);
    am_zone_layer_destroy(z);
    am_road_network_destroy(r);
    return 0;
}
