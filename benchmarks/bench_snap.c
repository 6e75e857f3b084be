/*
 * bench_snap.c: times the snapping phase of the Comoros demo or a
 * synthetic region (geo/snap.h) per thread count, against the serial
 * node snapping it replaced.
 *
 *   build/benchmarks/bench_snap [DIR] [TRIALS] [THREADS...]
 *
 * DIR holds the Comoros demo's files, or a region from
 * accessim-genregion (roads.gpkg, population.tif).
 *
 * Loads the demo's roads and population as the engine does, builds the
 * metric frame and the node index, then for each step runs TRIALS timed
 * trials after one warm-up and prints one JSON line with the median and
 * the minimum wall time (seconds):
 *   centres_serial  cell centres + one transform to lon/lat (engine.c's
 *                   loop before geo/snap)
 *   centres         am_snap_cell_centers, per thread count
 *   snap_serial     one transform into the frame + k-d tree over the NODES
 *                   + geodesic per point: the node snapping used before
 *                   points snapped onto segments
 *   snap            am_snap_points (nearest point of a segment, two
 *                   links), per thread count
 * snap_breakdown compares the two searches alone (nearest_s: node k-d
 * tree; nearest_segment_s: segment index) and reports the segment
 * structures' memory.
 *   clone           am_transform_clone of the frame's transform (paid per
 *                   thread per call)
 * Not part of ctest; timings on shared machines are noisy: compare within
 * one invocation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/units.h"
#include "geo/crs.h"
#include "geo/geodesic.h"
#include "geo/segment_index.h"
#include "geo/segments.h"
#include "geo/snap.h"
#include "geo/spatial_index.h"
#include "inputs/population.h"
#include "inputs/roads.h"
#include "bench_util.h"

#define MAX_TRIALS 64

typedef struct bench {
    am_road_network *roads;
    am_population *pop;
    am_transform *to_metric;
    am_transform *to_ll;
    am_spatial_index *index;
    am_segment *seg;
    int32_t n_seg;
    am_segment_index *seg_index;
    am_snap_target target;
    double *lon, *lat; /* [n_cells] cell centres */
    int32_t *node;     /* [2 n_cells] */
    double *dist_m;
    uint32_t *offset_ds; /* [2 n_cells] */
    const char *dataset;
} bench;

static void die(const char *what, const am_error *err)
{
    fprintf(stderr, "bench_snap: %s: %s\n", what, err != NULL ? err->msg : "");
    exit(1);
}

static void centres_serial(bench *b)
{
    am_error err;
    const am_population *p = b->pop;
    for (int32_t i = 0; i < p->n_cells; i++) {
        int64_t cell = p->cell[i];
        am_grid_cell_center(&p->grid, (int32_t)(cell % p->grid.nx),
                            (int32_t)(cell / p->grid.nx), &b->lon[i],
                            &b->lat[i]);
    }
    if (am_transform_points(b->to_ll, (size_t)p->n_cells, b->lon, b->lat, NULL,
                            &err) != AM_OK)
        die("centres", &err);
}

static void centres_parallel(bench *b, int threads)
{
    am_error err;
    const am_population *p = b->pop;
    if (am_snap_cell_centers(&p->grid, b->to_ll, p->n_cells, p->cell, threads,
                             b->lon, b->lat, NULL, &err) != AM_OK)
        die("am_snap_cell_centers", &err);
}

static void snap_serial(bench *b)
{
    am_error err;
    const int32_t n = b->pop->n_cells;
    const double walk_mps = 5.0 / 3.6;
    double *x = malloc(sizeof *x * (size_t)n);
    double *y = malloc(sizeof *y * (size_t)n);
    if (x == NULL || y == NULL)
        die("out of memory", NULL);
    memcpy(x, b->lon, sizeof *x * (size_t)n);
    memcpy(y, b->lat, sizeof *y * (size_t)n);
    if (am_transform_points(b->to_metric, (size_t)n, x, y, NULL, &err) != AM_OK)
        die("transform", &err);
    for (int32_t i = 0; i < n; i++) {
        int32_t v = -1;
        if (isfinite(x[i]) && isfinite(y[i]))
            v = am_spatial_index_nearest(b->index, x[i], y[i], 5000.0, NULL);
        b->node[i] = v;
        if (v < 0) {
            b->dist_m[i] = NAN;
            b->offset_ds[i] = AM_TIME_INF;
            continue;
        }
        double d = am_geodesic_distance_m(b->lon[i], b->lat[i],
                                          b->roads->lon[v], b->roads->lat[v]);
        b->dist_m[i] = d;
        double t = nearbyint(d / walk_mps * 10.0);
        b->offset_ds[i] =
            t < (double)AM_TIME_INF ? (uint32_t)t : AM_TIME_INF - 1;
    }
    free(x);
    free(y);
}

static void snap_parallel(bench *b, int threads)
{
    am_error err;
    int32_t n_on = 0;
    am_snap_options o = am_snap_options_default();
    o.threads = threads;
    if (am_snap_points(&b->target, b->pop->n_cells, b->lon, b->lat, &o, b->node,
                       b->offset_ds, b->dist_m, &n_on, &err) != AM_OK)
        die("am_snap_points", &err);
}

static void clone_once(bench *b)
{
    am_error err;
    am_transform *t = NULL;
    if (am_transform_clone(b->to_metric, &t, &err) != AM_OK)
        die("clone", &err);
    am_transform_destroy(t);
}

typedef void (*step_fn)(bench *b, int threads);

static void step_centres_serial(bench *b, int t)
{
    (void)t;
    centres_serial(b);
}

static void step_snap_serial(bench *b, int t)
{
    (void)t;
    snap_serial(b);
}

static void step_clone(bench *b, int t)
{
    (void)t;
    clone_once(b);
}

static void run(bench *b, const char *name, step_fn fn, int threads, int trials)
{
    double t[MAX_TRIALS], c[MAX_TRIALS];
    fn(b, threads); /* warm-up */
    for (int k = 0; k < trials; k++) {
        double c0 = cpu_s(), t0 = now_s();
        fn(b, threads);
        t[k] = now_s() - t0;
        c[k] = cpu_s() - c0;
    }
    double cpu = median_sort(c, trials);
    double med = median_sort(t, trials);
    printf("{\"bench\":\"%s\",\"dataset\":\"%s\",\"points\":%d,"
           "\"nodes\":%d,\"segments\":%d,\"threads\":%d,\"trials\":%d,"
           "\"median_s\":%.4f,\"min_s\":%.4f,\"cpu_median_s\":%.4f}\n",
           name, b->dataset, (int)b->pop->n_cells, (int)b->roads->n_nodes,
           (int)b->n_seg, threads, trials, med, t[0], cpu);
    fflush(stdout);
}

/* Where a serial snap's time goes: transform, tree, geodesic (one run),
 * in CPU seconds of the process (one thread: steadier than wall time on a
 * shared machine). */
static void breakdown(bench *b)
{
    am_error err;
    const int32_t n = b->pop->n_cells;
    double *x = malloc(sizeof *x * (size_t)n);
    double *y = malloc(sizeof *y * (size_t)n);
    if (x == NULL || y == NULL)
        die("out of memory", NULL);
    memcpy(x, b->lon, sizeof *x * (size_t)n);
    memcpy(y, b->lat, sizeof *y * (size_t)n);
    double t0 = cpu_s();
    if (am_transform_points(b->to_metric, (size_t)n, x, y, NULL, &err) != AM_OK)
        die("transform", &err);
    double t1 = cpu_s();
    for (int32_t i = 0; i < n; i++)
        b->node[i] =
            am_spatial_index_nearest(b->index, x[i], y[i], 5000.0, NULL);
    double t2 = cpu_s();
    double sum = 0.0;
    for (int32_t i = 0; i < n; i++) {
        int32_t v = b->node[i];
        if (v >= 0)
            sum += am_geodesic_distance_m(b->lon[i], b->lat[i],
                                          b->roads->lon[v], b->roads->lat[v]);
    }
    double t3 = cpu_s();
    int64_t on = 0;
    for (int32_t i = 0; i < n; i++)
        on += am_segment_index_nearest(b->seg_index, x[i], y[i], 5000.0, NULL,
                                       NULL) >= 0;
    double t4 = cpu_s();
    const int64_t seg_bytes = (int64_t)b->n_seg * (int64_t)sizeof *b->seg +
                              am_segment_index_bytes(b->seg_index);
    printf("{\"bench\":\"snap_breakdown\",\"dataset\":\"%s\","
           "\"transform_s\":%.4f,\"nearest_s\":%.4f,\"geodesic_s\":%.4f,"
           "\"nearest_segment_s\":%.4f,\"segments\":%d,"
           "\"segment_bytes\":%lld,\"bytes_per_segment\":%.1f,"
           "\"on_network\":%lld,\"check_m\":%.1f}\n",
           b->dataset, t1 - t0, t2 - t1, t3 - t2, t4 - t3, (int)b->n_seg,
           (long long)seg_bytes,
           b->n_seg > 0 ? (double)seg_bytes / (double)b->n_seg : 0.0,
           (long long)on, sum);
    free(x);
    free(y);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "data/comoros";
    int trials = argc > 2 ? atoi(argv[2]) : 5;
    if (trials < 1 || trials > MAX_TRIALS)
        trials = 5;
    char roads_path[1024], pop_path[1024], frame[256];
    snprintf(roads_path, sizeof roads_path, "%s/roads.gpkg", dir);
    snprintf(pop_path, sizeof pop_path, "%s/population.tif", dir);
    bench b;
    memset(&b, 0, sizeof b);
    b.dataset = "region";
    FILE *probe = fopen(roads_path, "rb");
    if (probe != NULL) {
        fclose(probe);
    } else {
        snprintf(roads_path, sizeof roads_path, "%s/comores-latest.osm.pbf",
                 dir);
        snprintf(pop_path, sizeof pop_path, "%s/com_ppp_2020_UNadj.tif", dir);
        b.dataset = "comoros";
    }
    am_error err;
    am_road_options ro = {.path = roads_path, .layer = NULL, .where = NULL};
    if (am_roads_load(&ro, NULL, NULL, &b.roads, &err) != AM_OK)
        die("roads", &err);
    am_population_options po = {pop_path, 1, NULL, 0, NULL};
    if (am_population_load(&po, NULL, NULL, &b.pop, &err) != AM_OK)
        die("population", &err);

    const am_road_network *r = b.roads;
    double box[4] = {HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
    for (int32_t i = 0; i < r->n_nodes; i++) {
        box[0] = fmin(box[0], r->lon[i]);
        box[1] = fmin(box[1], r->lat[i]);
        box[2] = fmax(box[2], r->lon[i]);
        box[3] = fmax(box[3], r->lat[i]);
    }
    if (am_crs_metric_frame(box[0], box[1], box[2], box[3], frame, sizeof frame,
                            &err) != AM_OK ||
        am_transform_create(AM_CRS_WGS84, frame, &b.to_metric, &err) != AM_OK ||
        am_transform_create(b.pop->crs_wkt, AM_CRS_WGS84, &b.to_ll, &err) !=
            AM_OK)
        die("transforms", &err);
    double *x = malloc(sizeof *x * (size_t)r->n_nodes);
    double *y = malloc(sizeof *y * (size_t)r->n_nodes);
    const int32_t n = b.pop->n_cells;
    b.lon = malloc(sizeof *b.lon * (size_t)n);
    b.lat = malloc(sizeof *b.lat * (size_t)n);
    b.node = malloc(sizeof *b.node * 2 * (size_t)n);
    b.dist_m = malloc(sizeof *b.dist_m * (size_t)n);
    b.offset_ds = malloc(sizeof *b.offset_ds * 2 * (size_t)n);
    if (!x || !y || !b.lon || !b.lat || !b.node || !b.dist_m || !b.offset_ds)
        die("out of memory", NULL);
    memcpy(x, r->lon, sizeof *x * (size_t)r->n_nodes);
    memcpy(y, r->lat, sizeof *y * (size_t)r->n_nodes);
    if (am_transform_points(b.to_metric, (size_t)r->n_nodes, x, y, NULL,
                            &err) != AM_OK ||
        am_spatial_index_build(r->n_nodes, x, y, &b.index) != AM_OK ||
        am_segments_from_arcs(r->n_nodes, r->n_arcs, r->tail, r->head,
                              r->time_ds, NULL, &b.seg, &b.n_seg,
                              &err) != AM_OK ||
        am_segment_index_build(b.n_seg, b.seg, r->n_nodes, x, y,
                               &b.seg_index) != AM_OK)
        die("index", &err);
    double x_max = 0.0;
    for (int32_t i = 0; i < r->n_nodes; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            x_max = fmax(x_max, fabs(x[i]));
    free(x);
    free(y);
    b.target = (am_snap_target){
        b.seg_index, b.seg,      b.n_seg,
        b.to_metric, r->n_nodes, r->lon,
        r->lat,      NULL,       am_crs_frame_max_scale(x_max, 5000.0)};

    int threads[16], nt = 0;
    for (int k = 3; k < argc && nt < 16; k++)
        threads[nt++] = atoi(argv[k]);
    if (nt == 0) {
        threads[nt++] = 1;
        threads[nt++] = 2;
    }
    run(&b, "clone", step_clone, 1, trials);
    run(&b, "centres_serial", step_centres_serial, 1, trials);
    for (int k = 0; k < nt; k++)
        run(&b, "centres", centres_parallel, threads[k], trials);
    breakdown(&b);
    run(&b, "snap_serial", step_snap_serial, 1, trials);
    for (int k = 0; k < nt; k++)
        run(&b, "snap", snap_parallel, threads[k], trials);

    free(b.lon);
    free(b.lat);
    free(b.node);
    free(b.dist_m);
    free(b.offset_ds);
    am_spatial_index_destroy(b.index);
    am_segment_index_destroy(b.seg_index);
    am_free(b.seg);
    am_transform_destroy(b.to_metric);
    am_transform_destroy(b.to_ll);
    am_population_destroy(b.pop);
    am_road_network_destroy(b.roads);
    return 0;
}
