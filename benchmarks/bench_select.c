/*
 * bench_select.c: site selection (kernels/select.h) on a synthetic
 * instance, once the catchments exist.
 *
 *   build/benchmarks/bench_select [--side N] [--cand N] [--exist N]
 *       [--radius CELLS] [--p N] [--trials N] [--threads N] [--seed N]
 *       [--exact] [--time-limit S] [--dump FILE]
 *
 * The instance: a side x side grid of demand cells (default 1000 x 1000,
 * 1M cells) with a clustered population (a few hundred towns with
 * Gaussian profiles over a thin rural background), cand candidates
 * (default 10,000) and exist existing facilities (default 300) placed at
 * random populated cells, each reaching the cells of a disc of radius
 * cells (default 28: ~2,500 cells per catchment) at 120 ds per cell of
 * distance plus a per-pair jitter of up to 30 ds (rows ascending by cell,
 * as the engine's catchments). MCLP covers within T = 2,400 ds; p-median
 * charges P = 3,600 ds (above every time) beyond reach.
 *
 * Times, per model, the median of N trials (default 3) of the greedy alone
 * and of the greedy with the swap local search (am_sel_solve), wall and
 * process CPU, with the gain over the baseline, the a posteriori bound and
 * the number of gain evaluations. --exact also solves each model with GLPK
 * (am_sel_solve_exact; for small instances) and prints the heuristic's
 * gain as a fraction of GLPK's. --dump writes the instance for
 * benchmarks/peers/peer_pulp_select.py (a raw little-endian file: magic
 * "AMSEL1\0\0", int32 n_cells, n_cand, p, uint32 cover_ds, penalty_ds,
 * then float64 weight[n_cells], uint32 base_ds[n_cells], int64
 * row[n_cand + 1], int32 cell[nnz], uint32 time_ds[nnz]). Not in ctest.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench_util.h"
#include "common/units.h"
#include "kernels/select.h"

#ifndef AM_BENCH_COMMIT
#define AM_BENCH_COMMIT "unknown"
#endif

static uint64_t rng = 88172645463325252ULL;
static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double unif(void)
{
    return (double)(xorshift() >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct gen {
    int32_t side, n_cand, n_exist, radius;
    double *w;
    uint32_t *base;
    int64_t *row;
    int32_t *cell;
    uint32_t *time;
} gen;

/* A random cell drawn by population (rejection against the largest). */
static int32_t draw_cell(const gen *g, double wmax)
{
    int32_t n = g->side * g->side;
    for (;;) {
        int32_t i = (int32_t)(xorshift() % (uint64_t)n);
        if (unif() * wmax < g->w[i])
            return i;
    }
}

static uint32_t pair_time(int32_t dx, int32_t dy, uint64_t salt)
{
    uint64_t h = salt * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    return (uint32_t)(120.0 * sqrt((double)(dx * dx + dy * dy))) +
           (uint32_t)(h % 31);
}

static int generate(gen *g, uint64_t seed)
{
    rng ^= seed * 0x2545F4914F6CDD1DULL;
    int32_t s = g->side, n = s * s, R = g->radius;
    g->w = malloc((size_t)n * sizeof *g->w);
    g->base = malloc((size_t)n * sizeof *g->base);
    if (!g->w || !g->base)
        return 0;
    for (int32_t i = 0; i < n; i++) {
        g->w[i] = unif() < 0.3 ? unif() * 2.0 : 0.0; /* rural */
        g->base[i] = AM_TIME_INF;
    }
    int towns = 40 + n / 4000;
    for (int t = 0; t < towns; t++) {
        double cx = unif() * s, cy = unif() * s;
        double sd = 3.0 + 20.0 * unif() * unif(), peak = 20.0 + 200 * unif();
        int32_t r = (int32_t)(3 * sd);
        for (int32_t y = (int32_t)cy - r; y <= (int32_t)cy + r; y++)
            for (int32_t x = (int32_t)cx - r; x <= (int32_t)cx + r; x++) {
                if (x < 0 || y < 0 || x >= s || y >= s)
                    continue;
                double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                g->w[(size_t)y * s + x] += peak * exp(-d2 / (2 * sd * sd));
            }
    }
    double wmax = 0;
    for (int32_t i = 0; i < n; i++)
        wmax = fmax(wmax, g->w[i]);
    int64_t per = 0;
    for (int32_t dy = -R; dy <= R; dy++)
        for (int32_t dx = -R; dx <= R; dx++)
            per += dx * dx + dy * dy <= R * R;
    int64_t cap = per * g->n_cand;
    g->row = malloc(((size_t)g->n_cand + 1) * sizeof *g->row);
    g->cell = malloc((size_t)cap * sizeof *g->cell);
    g->time = malloc((size_t)cap * sizeof *g->time);
    if (!g->row || !g->cell || !g->time)
        return 0;
    for (int e = 0; e < g->n_exist; e++) {
        int32_t c = draw_cell(g, wmax), cx = c % s, cy = c / s;
        for (int32_t dy = -R; dy <= R; dy++)
            for (int32_t dx = -R; dx <= R; dx++) {
                int32_t x = cx + dx, y = cy + dy;
                if (x < 0 || y < 0 || x >= s || y >= s ||
                    dx * dx + dy * dy > R * R)
                    continue;
                int32_t i = y * s + x;
                uint32_t t =
                    pair_time(dx, dy, ((uint64_t)e << 32) ^ (uint64_t)i);
                if (t < g->base[i])
                    g->base[i] = t;
            }
    }
    int64_t m = 0;
    g->row[0] = 0;
    for (int32_t a = 0; a < g->n_cand; a++) {
        /* half by population, half anywhere */
        int32_t c = unif() < 0.5 ? draw_cell(g, wmax)
                                 : (int32_t)(xorshift() % (uint64_t)n);
        int32_t cx = c % s, cy = c / s;
        for (int32_t dy = -R; dy <= R; dy++)
            for (int32_t dx = -R; dx <= R; dx++) {
                int32_t x = cx + dx, y = cy + dy;
                if (x < 0 || y < 0 || x >= s || y >= s ||
                    dx * dx + dy * dy > R * R)
                    continue;
                int32_t i = y * s + x;
                g->cell[m] = i;
                g->time[m++] = pair_time(
                    dx, dy, ((uint64_t)(a + g->n_exist) << 32) ^ (uint64_t)i);
            }
        g->row[a + 1] = m;
    }
    return 1;
}

static int dump(const char *path, const gen *g, int32_t p, uint32_t T,
                uint32_t P)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int32_t n = g->side * g->side, hdr[3] = {n, g->n_cand, p};
    uint32_t tp[2] = {T, P};
    int64_t nnz = g->row[g->n_cand];
    int ok = fwrite("AMSEL1\0\0", 1, 8, f) == 8 &&
             fwrite(hdr, sizeof hdr, 1, f) == 1 &&
             fwrite(tp, sizeof tp, 1, f) == 1 &&
             fwrite(g->w, sizeof *g->w, (size_t)n, f) == (size_t)n &&
             fwrite(g->base, sizeof *g->base, (size_t)n, f) == (size_t)n &&
             fwrite(g->row, sizeof *g->row, (size_t)g->n_cand + 1, f) ==
                 (size_t)g->n_cand + 1 &&
             fwrite(g->cell, sizeof *g->cell, (size_t)nnz, f) == (size_t)nnz &&
             fwrite(g->time, sizeof *g->time, (size_t)nnz, f) == (size_t)nnz;
    return fclose(f) == 0 && ok;
}

static double gain_of(am_sel_model m, const am_sel_result *r)
{
    return m == AM_SEL_PMEDIAN ? r->base_objective - r->objective
                               : r->objective - r->base_objective;
}

int main(int argc, char **argv)
{
    gen g = {.side = 1000, .n_cand = 10000, .n_exist = 300, .radius = 28};
    int32_t p = 50;
    int trials = 3, threads = 0, exact = 0;
    uint64_t seed = 1;
    double tlim = 120;
    const char *dump_path = NULL;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        const char *v = k + 1 < argc ? argv[k + 1] : NULL;
        if (!strcmp(a, "--exact")) {
            exact = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "bench_select: %s needs a value (or unknown)\n", a);
            return 2;
        }
        k++;
        if (!strcmp(a, "--side"))
            g.side = atoi(v);
        else if (!strcmp(a, "--cand"))
            g.n_cand = atoi(v);
        else if (!strcmp(a, "--exist"))
            g.n_exist = atoi(v);
        else if (!strcmp(a, "--radius"))
            g.radius = atoi(v);
        else if (!strcmp(a, "--p"))
            p = atoi(v);
        else if (!strcmp(a, "--trials"))
            trials = atoi(v);
        else if (!strcmp(a, "--threads"))
            threads = atoi(v);
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--time-limit"))
            tlim = atof(v);
        else if (!strcmp(a, "--dump"))
            dump_path = v;
        else {
            fprintf(stderr, "bench_select: unknown option %s\n", a);
            return 2;
        }
    }
    if (g.side < 1 || g.n_cand < 1 || g.radius < 1 || p < 1 || trials < 1 ||
        trials > 99 || p > g.n_cand) {
        fprintf(stderr, "bench_select: bad sizes\n");
        return 2;
    }
    const uint32_t T = 2400, P = 3600;
    double t0 = now_s();
    if (!generate(&g, seed)) {
        fprintf(stderr, "bench_select: out of memory\n");
        return 1;
    }
    double tgen = now_s() - t0;
    int32_t n = g.side * g.side;
    am_sel_instance in = {n,     g.w,    g.base, g.n_cand,
                          g.row, g.cell, g.time, NULL};
    struct utsname u;
    uname(&u);
    double wsum = 0;
    for (int32_t i = 0; i < n; i++)
        wsum += g.w[i];
    printf("bench_select: %s %s, commit %s, threads %d\n", u.nodename,
           u.machine, AM_BENCH_COMMIT, threads);
    printf("instance: %d cells (population %.0f), %d candidates, %d "
           "existing, %lld pairs (%.0f per catchment), p = %d; generated "
           "in %.2f s\n",
           n, wsum, g.n_cand, g.n_exist, (long long)g.row[g.n_cand],
           (double)g.row[g.n_cand] / g.n_cand, p, tgen);
    if (dump_path) {
        if (!dump(dump_path, &g, p, T, P)) {
            fprintf(stderr, "bench_select: cannot write %s\n", dump_path);
            return 1;
        }
        printf("dumped to %s\n", dump_path);
    }
    const am_sel_model models[2] = {AM_SEL_MCLP, AM_SEL_PMEDIAN};
    const char *names[2] = {"MCLP", "p-median"};
    for (int mi = 0; mi < 2; mi++) {
        am_sel_params prm = {.model = models[mi],
                             .cover_ds = T,
                             .penalty_ds = P,
                             .p = p,
                             .n_threads = threads};
        am_sel_result *keep = NULL;
        for (int ls = 0; ls <= 1; ls++) {
            prm.local_search = ls;
            double wall[99], cpu[99];
            am_sel_result *r = NULL;
            for (int t = 0; t < trials; t++) {
                am_error err = {0};
                am_sel_result_free(r);
                r = NULL;
                double w0 = now_s(), c0 = cpu_s();
                if (am_sel_solve(&in, &prm, &r, &err) != AM_OK) {
                    fprintf(stderr, "bench_select: %s\n", err.msg);
                    return 1;
                }
                wall[t] = now_s() - w0;
                cpu[t] = cpu_s() - c0;
            }
            int swaps = 0;
            for (int32_t k = 0; k < r->n_steps; k++)
                swaps += r->steps[k].removed >= 0;
            printf("%-8s %-12s wall %.3f s (median of %d), cpu %.3f s; "
                   "base %.6g, objective %.10g, gain %.10g, bound %.10g "
                   "(gain/bound %.4f), %d swaps, %lld gain evaluations\n",
                   names[mi], ls ? "greedy+swap" : "greedy",
                   median_sort(wall, trials), trials, median_sort(cpu, trials),
                   r->base_objective, r->objective, gain_of(models[mi], r),
                   r->bound, gain_of(models[mi], r) / r->bound, swaps,
                   (long long)r->gain_evaluations);
            am_sel_result_free(keep);
            keep = r;
        }
        if (exact) {
            am_sel_result *ex = NULL;
            int proven = 0;
            am_error err = {0};
            double w0 = now_s();
            if (am_sel_solve_exact(&in, &prm, INT64_MAX, tlim, &ex, &proven,
                                   NULL, &err) != AM_OK) {
                fprintf(stderr, "bench_select: %s\n", err.msg);
                return 1;
            }
            double ge = gain_of(models[mi], ex);
            printf("%-8s %-12s wall %.3f s, %s; objective %.10g, gain "
                   "%.10g; heuristic / exact gain %.6f\n",
                   names[mi], "GLPK", now_s() - w0,
                   proven ? "proven optimal" : "time limit (not proven)",
                   ex->objective, ge,
                   ge > 0 ? gain_of(models[mi], keep) / ge : 1.0);
            am_sel_result_free(ex);
        }
        am_sel_result_free(keep);
    }
    free(g.w);
    free(g.base);
    free(g.row);
    free(g.cell);
    free(g.time);
    return 0;
}
