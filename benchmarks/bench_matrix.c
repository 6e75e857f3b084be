/*
 * bench_matrix.c: a matrix scenario's phases alone (issue 9, "Matrix
 * input"), on the Belo Horizonte data (data/bho): reading the zone tables
 * and the travel-time table (inputs/matrix.h), and computing the
 * measures of data/bho/bho.yaml (kernels/fca.h, as engine/matrix_run.c
 * maps them: one cell per origin zone on its own node). Also times GDAL's
 * CSV driver reading the same table (every feature and its three fields),
 * the alternative inputs/matrix.c does not take.
 *
 *   bench_matrix [DATA_DIR] [TRIALS] [THREADS...]
 *
 * Prints one JSON line per thread count: median and min of wall and CPU
 * seconds over the trials (after one warm-up), and a checksum of the
 * results (the same for every thread count).
 */
#include <gdal.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "common/units.h"
#include "inputs/matrix.h"
#include "kernels/decay.h"
#include "kernels/demand.h"
#include "kernels/fca.h"

#define N_MEASURES 9
#define MAX_TRIALS 32

typedef struct measure {
    const char *name;
    am_fca_method method;
    am_decay decay;
} measure;

static const measure measures[N_MEASURES] = {
    {"2sfca_30min", AM_FCA_2SFCA, {.type = AM_DECAY_STEP, .cutoff_min = 30}},
    {"2sfca_45min", AM_FCA_2SFCA, {.type = AM_DECAY_STEP, .cutoff_min = 45}},
    {"2sfca_60min", AM_FCA_2SFCA, {.type = AM_DECAY_STEP, .cutoff_min = 60}},
    {"2sfca_exp", AM_FCA_2SFCA, {.type = AM_DECAY_EXPONENTIAL, .beta = 0.1}},
    {"2sfca_linear60",
     AM_FCA_2SFCA,
     {.type = AM_DECAY_LINEAR, .cutoff_min = 60}},
    {"bfca_45min", AM_FCA_BFCA, {.type = AM_DECAY_STEP, .cutoff_min = 45}},
    {"bfca_exp", AM_FCA_BFCA, {.type = AM_DECAY_EXPONENTIAL, .beta = 0.1}},
    {"cumulative_30min",
     AM_FCA_GRAVITY,
     {.type = AM_DECAY_STEP, .cutoff_min = 30}},
    {"gravity_exp",
     AM_FCA_GRAVITY,
     {.type = AM_DECAY_EXPONENTIAL, .beta = 0.1}},
};

typedef struct tables {
    am_zone_table *dem, *sup;
    am_catchments *cat;
} tables;

static void tables_free(tables *t)
{
    am_zone_table_destroy(t->dem);
    am_zone_table_destroy(t->sup);
    am_catchments_destroy(t->cat);
    memset(t, 0, sizeof *t);
}

static void die(const char *what, const am_error *err)
{
    fprintf(stderr, "bench_matrix: %s: %s: line %ld: %s\n", what, err->file,
            err->line, err->msg);
    exit(1);
}

static void read_tables(const char *dir, tables *t)
{
    char zpath[4096], mpath[4096];
    snprintf(zpath, sizeof zpath, "%s/land_use_data.csv", dir);
    snprintf(mpath, sizeof mpath, "%s/travel_matrix.csv.gz", dir);
    am_error err;
    if (am_zone_table_read(zpath, "id", "population", "demand", &t->dem,
                           &err) != AM_OK ||
        am_zone_table_read(zpath, "id", "jobs", "supply", &t->sup, &err) !=
            AM_OK)
        die("zones", &err);
    am_matrix_options mo = {.path = mpath,
                            .from_field = "from_id",
                            .to_field = "to_id",
                            .time_field = "travel_time",
                            .origins = t->dem,
                            .origins_path = zpath,
                            .destinations = t->sup,
                            .destinations_path = zpath,
                            .min_limit_ds = am_minutes_to_ds(60)};
    if (am_matrix_read(&mo, &t->cat, NULL, &err) != AM_OK)
        die("matrix", &err);
}

/* Every measure; returns a checksum of the values. */
static double compute(const tables *t, int threads, double *values)
{
    am_error err;
    int32_t n = am_zone_table_count(t->dem);
    int32_t *node = malloc((size_t)n * 2 * sizeof *node);
    uint32_t *off = calloc((size_t)n * 2, sizeof *off);
    double *w = malloc(((size_t)t->cat->limit_ds + 1) * sizeof *w);
    for (int32_t i = 0; i < n; i++) {
        node[2 * i] = i;
        node[2 * i + 1] = -1;
    }
    am_demand *d = NULL;
    am_fca_pairs *p = NULL;
    if (am_demand_build_threads(n, n, node, off, am_zone_table_values(t->dem),
                                threads, &d, &err) != AM_OK ||
        am_fca_pairs_build(t->cat, d, t->cat->limit_ds, threads, &p, &err) !=
            AM_OK)
        die("pairs", &err);
    double sum = 0;
    for (int k = 0; k < N_MEASURES; k++) {
        const am_decay *dec = &measures[k].decay;
        uint32_t lim = dec->cutoff_min > 0 ? am_minutes_to_ds(dec->cutoff_min)
                                           : t->cat->limit_ds;
        am_decay_table(dec, lim, w);
        am_fca_measure m = {.method = measures[k].method,
                            .w = w,
                            .limit_ds = lim,
                            .alpha = 1,
                            .nth = 1};
        am_fca_out out = {.cell_value = values + (size_t)k * n};
        if (am_fca_measure_run(&m, p, am_zone_table_values(t->sup), threads,
                               &out, &err) != AM_OK)
            die(measures[k].name, &err);
        for (int32_t i = 0; i < n; i++)
            sum += out.cell_value[i];
    }
    am_fca_pairs_free(p);
    am_demand_destroy(d);
    free(node);
    free(off);
    free(w);
    return sum;
}

/* GDAL's CSV driver over the same table: every feature's three fields. */
static double read_ogr(const char *dir, long long *n_out)
{
    char path[4200];
    snprintf(path, sizeof path, "/vsigzip/%s/travel_matrix.csv.gz", dir);
    GDALDatasetH ds =
        GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (ds == NULL) {
        fprintf(stderr, "bench_matrix: GDAL cannot open %s\n", path);
        exit(1);
    }
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    int f0 = OGR_FD_GetFieldIndex(defn, "from_id");
    int f1 = OGR_FD_GetFieldIndex(defn, "to_id");
    int f2 = OGR_FD_GetFieldIndex(defn, "travel_time");
    double s = 0;
    long long n = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        s += (double)strlen(OGR_F_GetFieldAsString(f, f0)) +
             (double)strlen(OGR_F_GetFieldAsString(f, f1)) +
             OGR_F_GetFieldAsDouble(f, f2);
        n++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    *n_out = n;
    return s;
}

static double med(double *v, int n)
{
    double c[MAX_TRIALS];
    memcpy(c, v, (size_t)n * sizeof *v);
    return median_sort(c, n);
}

static double minv(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "data/bho";
    int trials = argc > 2 ? atoi(argv[2]) : 3;
    if (trials < 1 || trials > MAX_TRIALS)
        trials = 3;
    int thread_list[8] = {1, 2}, n_threads = 2;
    if (argc > 3) {
        n_threads = 0;
        for (int i = 3; i < argc && n_threads < 8; i++)
            thread_list[n_threads++] = atoi(argv[i]);
    }
    GDALAllRegister();
    tables t = {0};
    read_tables(dir, &t); /* warm-up: the file in the page cache */
    double rw[MAX_TRIALS], rc[MAX_TRIALS], ow[MAX_TRIALS], oc[MAX_TRIALS];
    for (int k = 0; k < trials; k++) {
        tables_free(&t);
        double w0 = now_s(), c0 = cpu_s();
        read_tables(dir, &t);
        rw[k] = now_s() - w0;
        rc[k] = cpu_s() - c0;
    }
    long long ogr_rows = 0;
    for (int k = 0; k < trials; k++) {
        double w0 = now_s(), c0 = cpu_s();
        read_ogr(dir, &ogr_rows);
        ow[k] = now_s() - w0;
        oc[k] = cpu_s() - c0;
    }
    int32_t n = am_zone_table_count(t.dem);
    double *values = malloc((size_t)N_MEASURES * n * sizeof *values);
    int64_t pairs = am_catchments_nnz(t.cat);
    for (int ti = 0; ti < n_threads; ti++) {
        int th = thread_list[ti];
        double cw[MAX_TRIALS], cc[MAX_TRIALS], check = compute(&t, th, values);
        for (int k = 0; k < trials; k++) {
            double w0 = now_s(), c0 = cpu_s();
            compute(&t, th, values);
            cw[k] = now_s() - w0;
            cc[k] = cpu_s() - c0;
        }
        printf("{\"bench\":\"matrix\",\"dataset\":\"bho\",\"pairs\":%lld,"
               "\"zones\":%d,\"measures\":%d,\"threads\":%d,\"trials\":%d,"
               "\"read_wall_median_s\":%.4f,\"read_wall_min_s\":%.4f,"
               "\"read_cpu_median_s\":%.4f,\"ogr_csv_read_wall_median_s\":"
               "%.4f,\"ogr_csv_read_cpu_median_s\":%.4f,\"ogr_rows\":%lld,"
               "\"compute_wall_median_s\":%.4f,"
               "\"compute_wall_min_s\":%.4f,\"compute_cpu_median_s\":%.4f,"
               "\"checksum\":%.17g}\n",
               (long long)pairs, (int)n, N_MEASURES, th, trials,
               med(rw, trials), minv(rw, trials), med(rc, trials),
               med(ow, trials), med(oc, trials), ogr_rows, med(cw, trials),
               minv(cw, trials), med(cc, trials), check);
    }
    free(values);
    tables_free(&t);
    return 0;
}
