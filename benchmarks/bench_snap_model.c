/*
 * bench_snap_model.c: the engine's snap of the populated cells alone, on a
 * scenario (e.g. a synthetic region from accessim-genregion), per thread
 * count, with a hash of what it wrote.
 *
 *   build/benchmarks/bench_snap_model SCENARIO.yaml [TRIALS] [THREADS...]
 *
 * Builds the model up to the population stage (roads, graph with the
 * segment indexes, population), computes the cells' centres once, then
 * for each thread count runs TRIALS timed am_model_snap_points calls (the
 * call build_snap makes: segment index, geodesic, fragment check) after
 * one warm-up and prints one JSON line: median and min wall time, median
 * CPU time, and an FNV-1a hash of every array the snap wrote (equal
 * hashes: byte-identical results). With AM_BENCH_NEAREST=1 in the
 * environment it times instead the segment indexes' queries alone, one
 * thread, in the points' order, per point (am_segment_index_nearest_hint)
 * and by blocks (am_segment_index_nearest_many, chunks of AM_SNAP_CHUNK),
 * in microseconds per point, and checks that both give the same answers.
 * Not part of ctest; the machine is
 * shared and noisy: compare within one invocation, or interleave.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "engine/internal.h"
#include "bench_util.h"

#define MAX_TRIALS 64

static void die(const char *what, const am_error *err)
{
    fprintf(stderr, "bench_snap_model: %s: %s\n", what,
            err != NULL ? err->msg : "");
    exit(1);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void snapped_free(am_snapped *s)
{
    am_free(s->node);
    am_free(s->offset_ds);
    am_free(s->dist_m);
    am_free(s->frag_dist_m);
    am_free(s->frag_node);
    memset(s, 0, sizeof *s);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_snap_model SCENARIO.yaml [TRIALS] "
                        "[THREADS...]\n");
        return 2;
    }
    int trials = argc > 2 ? atoi(argv[2]) : 3;
    if (trials < 1 || trials > MAX_TRIALS)
        trials = 3;
    am_error err;
    am_scenario *s = NULL;
    am_model *m = NULL;
    if (am_scenario_read_file(argv[1], &s, &err) != AM_OK)
        die("scenario", &err);
    am_model_options mo = am_model_options_default();
    mo.threads = 2;
    if (am_model_create(s, &mo, &m, &err) != AM_OK)
        die("model", &err);
    double t0 = now_s();
    if (am_model_build_to(m, AM_STAGE_POPULATION, &err) != AM_OK)
        die("build", &err);
    fprintf(stderr, "model built to the population in %.2f s\n", now_s() - t0);
    const am_population *p = m->pop;
    const int32_t n = p->n_cells;
    double *lon = malloc(sizeof *lon * (size_t)(n > 0 ? n : 1));
    double *lat = malloc(sizeof *lat * (size_t)(n > 0 ? n : 1));
    am_transform *to_ll = NULL;
    if (lon == NULL || lat == NULL)
        die("out of memory", NULL);
    if (am_transform_create(p->crs_wkt, AM_CRS_WGS84, &to_ll, &err) != AM_OK)
        die("transform", &err);
    t0 = now_s();
    if (am_snap_cell_centers(&p->grid, to_ll, n, p->cell, 2, lon, lat, NULL,
                             &err) != AM_OK)
        die("centres", &err);
    fprintf(stderr, "cell centres (2 threads) in %.3f s\n", now_s() - t0);

    int threads[16], nt = 0;
    const int nearest_only = getenv("AM_BENCH_NEAREST") != NULL;
    if (nearest_only) {
        /* the segment index's queries alone, one thread, in input order */
        double *x = malloc(sizeof *x * (size_t)n),
               *y = malloc(sizeof *y * (size_t)n),
               *f = malloc(sizeof *f * (size_t)n);
        int32_t *id = malloc(sizeof *id * (size_t)n);
        memcpy(x, lon, sizeof *x * (size_t)n);
        memcpy(y, lat, sizeof *y * (size_t)n);
        am_transform_points(m->to_metric, (size_t)n, x, y, NULL, NULL);
        for (int pass = 0; pass < 3; pass++) {
            for (int which = 0; which < 2; which++) {
                const am_segment_index *ix =
                    which == 0 ? m->seg_index : m->frag_index;
                if (ix == NULL)
                    continue;
                uint64_t h1 = 0xcbf29ce484222325ull, h2 = h1;
                double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
                int32_t hint = -1;
                for (int32_t i = 0; i < n; i++)
                    id[i] = am_segment_index_nearest_hint(
                        ix, x[i], y[i], 5000.0, &hint, NULL, &f[i]);
                double c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
                h1 = fnv(fnv(h1, id, sizeof *id * (size_t)n), f,
                         sizeof *f * (size_t)n);
                am_segment_query *q = NULL;
                const int32_t band = AM_SNAP_CHUNK;
                am_segment_query_create(&q);
                double c2 = clock_s(CLOCK_THREAD_CPUTIME_ID);
                for (int32_t i = 0; i < n; i += band)
                    am_segment_index_nearest_many(
                        ix, n - i < band ? n - i : band, x + i, y + i, 5000.0,
                        q, id + i, f + i);
                double c3 = clock_s(CLOCK_THREAD_CPUTIME_ID);
                am_segment_query_destroy(q);
                h2 = fnv(fnv(h2, id, sizeof *id * (size_t)n), f,
                         sizeof *f * (size_t)n);
                printf("{\"bench\":\"nearest_only\",\"index\":\"%s\",\"per_"
                       "point_us\":%.3f,\"many_us\":%.3f,\"same\":%d}\n",
                       which == 0 ? "target" : "fragments", (c1 - c0) / n * 1e6,
                       (c3 - c2) / n * 1e6, h1 == h2);
            }
        }
        free(x);
        free(y);
        free(f);
        free(id);
    }
    for (int k = 3; !nearest_only && k < argc && nt < 16; k++)
        threads[nt++] = atoi(argv[k]);
    if (nt == 0 && !nearest_only) {
        threads[nt++] = 1;
        threads[nt++] = 2;
    }
    for (int k = 0; k < nt; k++) {
        double w[MAX_TRIALS], c[MAX_TRIALS];
        uint64_t h = 0xcbf29ce484222325ull;
        m->threads = threads[k];
        for (int r = -1; r < trials; r++) {
            am_snapped out;
            int32_t n_on = 0;
            memset(&out, 0, sizeof out);
            const double c0 = cpu_s(), w0 = now_s();
            if (am_model_snap_points(m, n, lon, lat, AM_SNAP_ORIGIN, &out,
                                     &n_on, NULL, &err) != AM_OK)
                die("snap", &err);
            if (r >= 0) {
                w[r] = now_s() - w0;
                c[r] = cpu_s() - c0;
            } else {
                h = fnv(h, out.node, sizeof *out.node * 2 * (size_t)n);
                h = fnv(h, out.offset_ds,
                        sizeof *out.offset_ds * 2 * (size_t)n);
                h = fnv(h, out.dist_m, sizeof *out.dist_m * (size_t)n);
                if (out.frag_node != NULL) {
                    h = fnv(h, out.frag_node,
                            sizeof *out.frag_node * (size_t)n);
                    h = fnv(h, out.frag_dist_m,
                            sizeof *out.frag_dist_m * (size_t)n);
                }
                h = fnv(h, &n_on, sizeof n_on);
            }
            snapped_free(&out);
        }
        const double wmin = w[0];
        double mn = wmin;
        for (int r = 1; r < trials; r++)
            mn = w[r] < mn ? w[r] : mn;
        const double cm = median_sort(c, trials);
        const double wm = median_sort(w, trials);
        printf("{\"bench\":\"snap_model\",\"points\":%d,\"segments\":%d,"
               "\"frag_segments\":%d,\"threads\":%d,\"trials\":%d,"
               "\"median_s\":%.4f,\"min_s\":%.4f,\"cpu_median_s\":%.4f,"
               "\"hash\":\"%016llx\"}\n",
               (int)n, (int)m->n_seg, (int)m->n_frag_seg, threads[k], trials,
               wm, mn, cm, (unsigned long long)h);
        fflush(stdout);
    }
    am_transform_destroy(to_ll);
    free(lon);
    free(lat);
    am_model_destroy(m);
    am_scenario_destroy(s);
    return 0;
}
