/*
 * bench_sweep.c: the candidate sweep (kernels/sweep.h) alone on a
 * synthetic instance of issue 10's size: 1,000,000 cells (a 1000 x 1000
 * grid), 10,000 candidates at random centres, each reaching the cells
 * within 28 cells of it (about 2,460 cells a catchment, 24.6M pairs) at a
 * time growing with the distance (up to 60 minutes). Baseline nearest
 * times, 2SFCA values and populations are smooth random fields (30 % of
 * the cells empty, 10 % beyond every facility, 20 % with 2SFCA 0).
 *
 * Usage: bench_sweep [--trials N] [--cells-side S] [--candidates C]
 *                    [--radius R] [THREADS...]   (default 3 trials, 1 2)
 *
 * Per thread count: the full sweep (coverage, time and the three 2SFCA
 * deltas) and the coverage columns alone; one untimed warm-up, then the
 * median and min wall time and the median process CPU time of N trials,
 * as JSON lines with the 1-minute load average before and after, and an
 * FNV-1a hash of every output byte (equal hashes across thread counts:
 * byte-identical results).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "common/units.h"
#include "kernels/sweep.h"

#ifndef AM_BENCH_COMMIT
#define AM_BENCH_COMMIT "unknown"
#endif

static uint64_t rng_state = 12345;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) * 0x1p-53;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

/* The 1-minute load average (-1 when unknown): a busy machine shows. */
static double load1(void)
{
    double l = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1.0;
        fclose(f);
    }
    return l;
}

/* A smooth field in [0, 1) (a few random waves). */
static double field(double x, double y, const double *ph)
{
    return 0.5 + 0.25 * sin(x * 0.013 + ph[0]) * cos(y * 0.011 + ph[1]) +
           0.25 * sin((x + y) * 0.031 + ph[2]) * 0.99;
}

int main(int argc, char **argv)
{
    int trials = 3, side = 1000, n_cand = 10000, radius = 28;
    int threads[8], n_threads = 0;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--trials") == 0 && a + 1 < argc)
            trials = atoi(argv[++a]);
        else if (strcmp(argv[a], "--cells-side") == 0 && a + 1 < argc)
            side = atoi(argv[++a]);
        else if (strcmp(argv[a], "--candidates") == 0 && a + 1 < argc)
            n_cand = atoi(argv[++a]);
        else if (strcmp(argv[a], "--radius") == 0 && a + 1 < argc)
            radius = atoi(argv[++a]);
        else if (n_threads < 8 && atoi(argv[a]) > 0)
            threads[n_threads++] = atoi(argv[a]);
        else {
            fprintf(stderr, "usage: bench_sweep [--trials N] [--cells-side S] "
                            "[--candidates C] [--radius R] [THREADS...]\n");
            return 2;
        }
    }
    if (n_threads == 0) {
        threads[0] = 1;
        threads[1] = 2;
        n_threads = 2;
    }
    if (trials < 1 || side < 1 || n_cand < 1 || radius < 1)
        return 2;

    const int32_t n = side * side;
    double *w = malloc((size_t)n * sizeof *w);
    double *a = malloc((size_t)n * sizeof *a);
    uint32_t *b = malloc((size_t)n * sizeof *b);
    double ph[9];
    for (int k = 0; k < 9; k++)
        ph[k] = 6.283 * rng_unit();
    for (int32_t i = 0; i < n; i++) {
        const int32_t gx = i % side, gy = i / side;
        const double x = gx, y = gy;
        const double u = rng_unit();
        w[i] = u < 0.3 ? 0.0 : 50.0 * field(x, y, ph) * rng_unit();
        b[i] = rng_unit() < 0.1
                   ? AM_TIME_INF
                   : (uint32_t)(36000.0 * field(x, y, ph + 3) * rng_unit());
        a[i] = rng_unit() < 0.2 ? 0.0 : 1e-3 * field(x, y, ph + 6);
    }
    /* Catchment rows: the disc of the given radius, cells ascending. */
    int64_t per = 0;
    for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++)
            per += dx * dx + dy * dy <= radius * radius;
    int64_t *row = malloc(((size_t)n_cand + 1) * sizeof *row);
    int32_t *cell = malloc((size_t)(per * n_cand) * sizeof *cell);
    uint32_t *time = malloc((size_t)(per * n_cand) * sizeof *time);
    double *supply = malloc((size_t)n_cand * sizeof *supply);
    if (w == NULL || a == NULL || b == NULL || row == NULL || cell == NULL ||
        time == NULL || supply == NULL) {
        fprintf(stderr, "bench_sweep: out of memory\n");
        return 1;
    }
    int64_t nnz = 0;
    row[0] = 0;
    for (int32_t c = 0; c < n_cand; c++) {
        const int cx = (int)(rng_next() % (uint64_t)side);
        const int cy = (int)(rng_next() % (uint64_t)side);
        supply[c] = 1.0 + 30.0 * rng_unit();
        for (int y = cy - radius; y <= cy + radius; y++)
            for (int x = cx - radius; x <= cx + radius; x++) {
                const int dx = x - cx, dy = y - cy;
                if (x < 0 || y < 0 || x >= side || y >= side ||
                    dx * dx + dy * dy > radius * radius)
                    continue;
                const double d = sqrt((double)(dx * dx + dy * dy)) / radius;
                cell[nnz] = y * side + x;
                time[nnz] = (uint32_t)(36000.0 * d * (0.8 + 0.2 * rng_unit()));
                nnz++;
            }
        row[c + 1] = nnz;
    }
    /* 2SFCA at 30 minutes, linear decay. */
    const uint32_t limit = 18000;
    double *dw = malloc((size_t)(limit + 1) * sizeof *dw);
    for (uint32_t t = 0; t <= limit; t++)
        dw[t] = 1.0 - (double)t / (limit + 1);
    const uint32_t cut[3] = {9000, 18000, 36000};

    const am_sel_instance in = {n, w, b, n_cand, row, cell, time, NULL};
    double *out = malloc((size_t)n_cand * 8 * sizeof *out);
    uint8_t *nd = malloc((size_t)n_cand);
    am_sweep_row full = {out,
                         out + 3 * (size_t)n_cand,
                         out + 4 * (size_t)n_cand,
                         out + 5 * (size_t)n_cand,
                         out + 6 * (size_t)n_cand,
                         out + 7 * (size_t)n_cand,
                         nd};
    am_sweep_row cover = full;
    cover.d_mean = cover.d_bottom10 = cover.d_gini = NULL;
    fprintf(stderr,
            "bench_sweep: %d cells, %d candidates, %lld pairs (%.0f a "
            "candidate)\n",
            (int)n, n_cand, (long long)nnz, (double)nnz / n_cand);

    const char *kinds[2] = {"sweep_full", "sweep_coverage"};
    for (int kind = 0; kind < 2; kind++)
        for (int ti = 0; ti < n_threads; ti++) {
            const am_sweep_params prm = {3,  cut,   36000,  a,
                                         dw, limit, supply, threads[ti]};
            am_sweep_row *o = kind == 0 ? &full : &cover;
            double *wall = malloc((size_t)trials * sizeof *wall);
            double *cpu = malloc((size_t)trials * sizeof *cpu);
            am_error err;
            memset(out, 0, (size_t)n_cand * 8 * sizeof *out);
            const double load_before = load1();
            for (int t = -1; t < trials; t++) {
                const double w0 = now_s(), c0 = cpu_s();
                if (am_sweep_run(&in, &prm, o, &err) != AM_OK) {
                    fprintf(stderr, "bench_sweep: the sweep failed\n");
                    return 1;
                }
                if (t >= 0) {
                    wall[t] = now_s() - w0;
                    cpu[t] = cpu_s() - c0;
                }
            }
            uint64_t h = 0xCBF29CE484222325ull;
            h = fnv(h, out, (size_t)n_cand * 8 * sizeof *out);
            h = fnv(h, nd, (size_t)n_cand);
            double mn = wall[0];
            for (int t = 1; t < trials; t++)
                mn = wall[t] < mn ? wall[t] : mn;
            const double med = median_sort(wall, trials);
            printf("{\"kernel\": \"%s\", \"cells\": %d, \"candidates\": %d, "
                   "\"pairs\": %lld, \"threads\": %d, \"trials\": %d, "
                   "\"median_s\": %.4f, \"min_s\": %.4f, \"cpu_median_s\": "
                   "%.4f, \"load_before\": %.2f, \"load_after\": %.2f, "
                   "\"hash\": \"%016llx\", \"commit\": \"%s\"}\n",
                   kinds[kind], (int)n, n_cand, (long long)nnz, threads[ti],
                   trials, med, mn, median_sort(cpu, trials), load_before,
                   load1(), (unsigned long long)h, AM_BENCH_COMMIT);
            fflush(stdout);
            free(wall);
            free(cpu);
        }
    free(w);
    free(a);
    free(b);
    free(row);
    free(cell);
    free(time);
    free(supply);
    free(dw);
    free(out);
    free(nd);
    return 0;
}
