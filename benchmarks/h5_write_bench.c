/*
 * h5_write_bench: time, file size and peak memory of writing one large
 * sparse results file (outputs/h5_writer.h), for tuning chunking and
 * compression against the write-phase target (issue 6, section 5).
 *
 * Usage: h5_write_bench NX NY CELLS OUT.h5 sparse|full
 * Cells are placed in deterministic clusters (towns of heavy-tailed size
 * on an otherwise empty grid), like the populated cells of a region; three
 * rasters are written as the engine writes them per facility set:
 * population (f32), nearest time (f32, minutes, smooth in space) and
 * nearest facility (i32). "sparse" streams them from the cell arrays,
 * "full" fills nx*ny buffers first (what the engine did before streaming).
 * Prints one JSON line. Not part of ctest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "outputs/h5_writer.h"
#include "bench_util.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double uni(void)
{
    return (double)(next() >> 11) / 9007199254740992.0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: h5_write_bench NX NY CELLS OUT.h5 "
                        "sparse|full\n");
        return 2;
    }
    int32_t nx = atoi(argv[1]), ny = atoi(argv[2]);
    int64_t want = atoll(argv[3]);
    const char *out = argv[4];
    int full = strcmp(argv[5], "full") == 0;
    /* clustered cells: towns at random centres, radius ~ sqrt(size) */
    int64_t *cell = malloc((size_t)want * 2 * sizeof *cell);
    int64_t n = 0;
    while (n < want * 2) {
        double size = 50.0 / (uni() + 0.002); /* heavy tail: 50 .. 25000 */
        int32_t cx = (int32_t)(uni() * nx), cy = (int32_t)(uni() * ny);
        double r = 0.6 * __builtin_sqrt(size);
        for (int64_t k = 0; k < (int64_t)size && n < want * 2; k++) {
            int32_t x = cx + (int32_t)((uni() - 0.5) * 2 * r);
            int32_t y = cy + (int32_t)((uni() - 0.5) * 2 * r);
            if (x >= 0 && x < nx && y >= 0 && y < ny)
                cell[n++] = (int64_t)y * nx + x;
        }
    }
    qsort(cell, (size_t)n, sizeof *cell, cmp_i64);
    int64_t m = 0;
    for (int64_t i = 0; i < n && m < want; i++)
        if (m == 0 || cell[i] != cell[m - 1])
            cell[m++] = cell[i];
    n = m;
    float *pop = malloc((size_t)n * sizeof *pop);
    float *tmin = malloc((size_t)n * sizeof *tmin);
    int32_t *fac = malloc((size_t)n * sizeof *fac);
    for (int64_t i = 0; i < n; i++) {
        int64_t x = cell[i] % nx, y = cell[i] / nx;
        pop[i] = (float)(1 + (int)(40 * uni() * uni()));
        tmin[i] = (float)(((x * 7 + y * 3) % 900) / 10.0 + 0.1 * (i % 3));
        fac[i] = (int32_t)((x / 300) + (y / 300) * 100);
    }
    am_grid g = {.nx = nx, .ny = ny, .gt = {500000, 100, 0, 9000000, 0, -100}};
    const char *wkt =
        "PROJCS[\"WGS 84 / UTM zone 38S\",GEOGCS[\"WGS 84\","
        "DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,"
        "298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\","
        "0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],"
        "UNIT[\"metre\",1]]";
    am_error err;
    am_h5 *h = NULL;
    double t0 = clock_s(CLOCK_MONOTONIC),
           c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    am_status rc = am_h5_create(out, &h, &err);
    if (rc == AM_OK)
        rc = am_h5_set_grid(h, &g, wkt, &err);
    const char *names[3] = {"/population", "/r/nearest_time_min",
                            "/r/nearest_facility"};
    for (int k = 0; k < 3 && rc == AM_OK; k++) {
        const void *v = k == 0   ? (const void *)pop
                        : k == 1 ? (const void *)tmin
                                 : (const void *)fac;
#ifndef H5_BENCH_FULL_ONLY /* for a writer without the streamed API */
        if (!full) {
            rc = k < 2 ? am_h5_write_raster_sparse_f32(h, names[k], n, cell, v,
                                                       -9999.0f, NULL, &err)
                       : am_h5_write_raster_sparse_i32(h, names[k], n, cell, v,
                                                       -2, NULL, &err);
            continue;
        }
#endif
        size_t ng = (size_t)nx * (size_t)ny;
        if (k < 2) {
            float *r = malloc(ng * sizeof *r);
            for (size_t i = 0; i < ng; i++)
                r[i] = -9999.0f;
            for (int64_t i = 0; i < n; i++)
                r[cell[i]] = ((const float *)v)[i];
            rc = am_h5_write_raster_f32(h, names[k], r, -9999.0f, NULL, &err);
            free(r);
        } else {
            int32_t *r = malloc(ng * sizeof *r);
            for (size_t i = 0; i < ng; i++)
                r[i] = -2;
            for (int64_t i = 0; i < n; i++)
                r[cell[i]] = ((const int32_t *)v)[i];
            rc = am_h5_write_raster_i32(h, names[k], r, -2, NULL, &err);
            free(r);
        }
    }
    double t1 = clock_s(CLOCK_MONOTONIC);
    if (rc == AM_OK)
        rc = am_h5_commit(h, &err);
    else
        am_h5_abort(h);
    double t2 = clock_s(CLOCK_MONOTONIC);
    double c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (rc != AM_OK) {
        char buf[2048];
        fprintf(stderr, "%s\n", am_error_format(&err, buf, sizeof buf));
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    FILE *f = fopen(out, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    printf("{\"nx\":%d,\"ny\":%d,\"cells\":%lld,\"mode\":\"%s\","
           "\"rasters_s\":%.3f,\"commit_s\":%.3f,\"total_s\":%.3f,"
           "\"cpu_s\":%.3f,\"file_bytes\":%ld,\"maxrss_kb\":%ld}\n",
           nx, ny, (long long)n, argv[5], t1 - t0, t2 - t1, t2 - t0, c2 - c0,
           size, ru.ru_maxrss);
    return 0;
}
