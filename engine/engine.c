/*
 * engine.c: one accessim run, load -> build -> compute -> write.
 *
 * Phases (each timed, with the process's peak memory after it):
 *   roads       read the road layer into an arc list (inputs/roads)
 *   graph       CSR graph and its reverse (kernels/graph)
 *   population  read the raster's populated cells (inputs/population)
 *   snap        cells and facilities to their nearest routable node, in a
 *               local azimuthal-equidistant frame (geo/), the off-network
 *               leg timed at walking speed
 *   catchments  one bounded search per facility on the reverse graph, to
 *               the deepest measure threshold (kernels/catchment)
 *   measures    nearest facility and coverage per cutoff from one
 *               multi-source search to the largest cutoff
 *               (kernels/nearest), 2SFCA from the catchments
 *   write       HDF5, under a temporary name, renamed when complete
 *
 * Definitions the outputs and the summary rely on:
 *  - t_ij = walk(cell i -> node) + drive(node -> facility node)
 *           + walk(facility node -> facility), in whole deciseconds;
 *  - a cell whose centre is farther than snap.max_distance_m from every
 *    routable node is "off network": it reaches nothing (time unreachable,
 *    access 0) and is counted in the summary, never dropped;
 *  - thresholds and cutoffs are inclusive (t <= d0).
 */
#include "engine/accessim.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/numparse.h"
#include "common/file_check.h"
#include "common/strutil.h"
#include "common/units.h"
#include "engine/memory.h"
#include "engine/scenario_inputs.h"
#include "engine/sysinfo.h"
#include "geo/crs.h"
#include "geo/geodesic.h"
#include "geo/grid.h"
#include "geo/spatial_index.h"
#include "inputs/facilities.h"
#include "inputs/fingerprint.h"
#include "inputs/population.h"
#include "inputs/road_profile.h"
#include "inputs/roads.h"
#include "kernels/catchment.h"
#include "kernels/demand.h"
#include "kernels/graph.h"
#include "kernels/measures.h"
#include "kernels/nearest.h"
#include "kernels/parallel.h"
#include "outputs/h5_writer.h"

/* Raster encodings (docs/hdf5-layout.md). */
#define AM_FILL_F32 (-9999.0f)   /* no population in the cell */
#define AM_UNREACHED_MIN (-1.0f) /* populated, nothing within cutoff */
#define AM_FILL_I32 (-2)         /* no population in the cell */
#define AM_UNREACHED_I32 (-1)    /* populated, nothing within cutoff */

#define AM_PATH_MAX 4096
#define AM_PI 3.14159265358979323846

/* Where a set of points landed on the network. */
typedef struct am_snapped {
    int32_t *node;       /* [n], -1 = off network */
    double *dist_m;      /* [n], geodesic distance to the node, NaN off */
    uint32_t *offset_ds; /* [n], walking time to the node */
} am_snapped;

/* SHA-256 and size of an input, taken when it is read. */
typedef struct am_fp {
    char hex[65];
    long long size;
} am_fp;

/* Everything one facility set produces. */
typedef struct am_set_result {
    am_facility_set *fac;
    am_snapped snap;
    char path[AM_PATH_MAX];
    am_fp fp;
    am_catchments *rows;  /* facilities -> nodes */
    am_catchments *cols;  /* nodes -> facilities */
    uint32_t *nearest_ds; /* [n_cells] */
    int32_t *nearest_fac; /* [n_cells] */
    double *fac_demand;   /* [n_measures][n_fac] */
    double *fac_ratio;    /* [n_measures][n_fac] */
    double *access;       /* [n_measures][n_cells] */
} am_set_result;

typedef struct am_run_ctx {
    const am_scenario *s;
    const am_run_options *opt;
    am_error *err;
    am_run_summary *sum;
    am_warnings warn; /* handed to the loaders; moved into the summary */
    int threads;
    double t_start;
    double t_phase;
    const char *phase_label;
    char roads_path[AM_PATH_MAX];
    char pop_path[AM_PATH_MAX];
    char out_path[AM_PATH_MAX];
    am_fp fp_scenario, fp_roads, fp_pop;
    /* built data */
    am_road_network *roads;
    am_graph *graph;
    am_graph *graph_rev;
    am_population *pop;
    am_spatial_index *index;
    double net_box[4]; /* network lon/lat extent: min x, min y, max x, max y */
    am_transform *to_metric; /* WGS 84 -> local metric frame */
    char frame[256];
    am_snapped cell_snap;
    am_demand *demand;
    uint8_t *demand_nodes; /* [n_nodes] 1 where some cell is snapped */
    am_set_result *sets;   /* [n_facility_sets] */
    uint32_t limit_ds;
    /* write phase progress: rasters finished, of write_total */
    int write_done, write_total;
    double write_last; /* the writer's last fraction within a raster */
} am_run_ctx;

am_run_options am_run_options_default(void)
{
    am_run_options o;
    memset(&o, 0, sizeof o);
    return o;
}

/* Names `path` as the error's file when the failing step did not. */
static void err_file_default(am_error *e, const char *path)
{
    if (e->file[0] != '\0')
        return;
    size_t n = strlen(path);
    if (n >= sizeof e->file)
        n = sizeof e->file - 1;
    memcpy(e->file, path, n);
    e->file[n] = '\0';
}

/* Resolves a scenario path into buf[AM_PATH_MAX] (against the scenario's
 * folder). AM_ERR_INVALID naming the path when it does not fit. */
static am_status resolve(const am_scenario *s, const char *path,
                         char buf[AM_PATH_MAX], am_error *err)
{
    if (am_scenario_resolve_path(s, path, buf, AM_PATH_MAX) == NULL)
        return am_error_set(err, AM_ERR_INVALID, path,
                            "path longer than %d bytes once resolved",
                            AM_PATH_MAX - 1);
    return AM_OK;
}

/*
 * The thread count: the option's, else the scenario's, else all cores.
 * Both follow common/numparse.h's rule (at most AM_THREADS_MAX; checked
 * again here for callers of the API); a count beyond
 * AM_THREADS_PER_CORE_MAX per core is lowered, with a warning, since the
 * kernels are compute-bound and OpenMP runtimes fail on huge teams.
 */
static am_status choose_threads(am_run_ctx *c)
{
    int requested = c->opt->threads > 0 ? c->opt->threads : c->s->threads;
    if (!am_threads_valid(requested))
        return am_error_set(c->err, AM_ERR_USAGE, c->s->source_path,
                            "%d threads requested: the count must be from 0 "
                            "(all cores) to %d",
                            requested, AM_THREADS_MAX);
    int cores = am_parallel_cores();
    if (cores <= AM_THREADS_MAX / AM_THREADS_PER_CORE_MAX &&
        requested > AM_THREADS_PER_CORE_MAX * cores) {
        am_warn(&c->warn,
                "%d threads requested on %d core%s: using %d (more than %d "
                "per core only adds overhead)",
                requested, cores, cores == 1 ? "" : "s",
                AM_THREADS_PER_CORE_MAX * cores, AM_THREADS_PER_CORE_MAX);
        requested = AM_THREADS_PER_CORE_MAX * cores;
    }
    c->threads = am_parallel_threads(requested);
    return AM_OK;
}

/* ---- preflight -------------------------------------------------------- */

/*
 * Files GDAL reads next to an input and that an output must not replace
 * either: side-car metadata of any input, the parts of a shapefile, the
 * journal of a SQLite/GeoPackage file.
 */
static const char *const sidecar_suffix[] = {".aux.xml", ".aux",     ".ovr",
                                             ".msk",     ".xml",     "-wal",
                                             "-shm",     "-journal", NULL};
static const char *const shapefile_part[] = {".shx", ".dbf", ".prj", ".cpg",
                                             ".qix", ".sbn", ".sbx", NULL};

/* Whether out is a side-car file of the input at path (see above). */
static int is_sidecar_of(const char *out, const char *path)
{
    char buf[AM_PATH_MAX];
    size_t n = strlen(path);
    for (int i = 0; sidecar_suffix[i] != NULL; i++)
        if (snprintf(buf, sizeof buf, "%s%s", path, sidecar_suffix[i]) <
                (int)sizeof buf &&
            am_file_same(out, buf))
            return 1;
    if (n > 4 && strcasecmp(path + n - 4, ".shp") == 0)
        for (int i = 0; shapefile_part[i] != NULL; i++)
            if (snprintf(buf, sizeof buf, "%.*s%s", (int)(n - 4), path,
                         shapefile_part[i]) < (int)sizeof buf &&
                am_file_same(out, buf))
                return 1;
    return 0;
}

/*
 * Everything about the files that can be checked before the first heavy
 * phase, so that a run never computes for minutes and then fails to
 * write, and never destroys what it reads:
 *  - every input (scenario file, roads, population, each facility set) is
 *    a regular file (roads and facilities may be folders) or a GDAL virtual
 *    path: a FIFO or device would block the reader forever;
 *  - the output can be written: its folder exists and is writable, its name
 *    fits, and what is there now is a regular file (am_file_check_output);
 *  - the output is none of the inputs (same device and inode, symlinks and
 *    hard links followed; the same path when it does not exist yet), nor
 *    the archive behind a virtual path, nor a side-car GDAL reads with one.
 */
static am_status preflight(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    const int n_in = 3 + s->n_facility_sets;
    am_status rc = AM_OK;
    char label[96], backing[AM_PATH_MAX];
    char(*path)[AM_PATH_MAX] = calloc((size_t)n_in, sizeof *path);
    if (path == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int i = 0; rc == AM_OK && i < n_in; i++) {
        const char *given = NULL;
        int allow_dir = 1;
        if (i == 0) { /* read as given, not resolved */
            if (s->source_path != NULL &&
                snprintf(path[i], AM_PATH_MAX, "%s", s->source_path) >=
                    AM_PATH_MAX)
                rc = am_error_set(c->err, AM_ERR_IO, s->source_path,
                                  "path longer than %d bytes", AM_PATH_MAX - 1);
            allow_dir = 0;
        } else if (i == 1) {
            given = s->roads_path;
        } else if (i == 2) {
            given = s->population_path;
            allow_dir = 0; /* am_gdal_open refuses raster folders */
        } else {
            given = s->facility_sets[i - 3].path;
        }
        if (given != NULL)
            rc = resolve(s, given, path[i], c->err);
        if (rc == AM_OK && path[i][0] != '\0')
            rc = am_file_check_input(path[i], allow_dir, c->err);
    }
    if (rc == AM_OK)
        rc = am_file_check_output(c->out_path, c->err);
    for (int i = 0; rc == AM_OK && i < n_in; i++) {
        if (path[i][0] == '\0')
            continue;
        const char *in = path[i];
        if (am_path_is_virtual(in))
            in = am_path_backing_file(in, backing, sizeof backing);
        if (in == NULL)
            continue;
        if (i == 0)
            snprintf(label, sizeof label, "the scenario file");
        else if (i == 1)
            snprintf(label, sizeof label, "the roads input");
        else if (i == 2)
            snprintf(label, sizeof label, "the population input");
        else
            snprintf(label, sizeof label, "the input of facility set '%s'",
                     s->facility_sets[i - 3].name);
        if (am_file_same(c->out_path, in))
            rc = am_error_set(c->err, AM_ERR_IO, c->out_path,
                              "the output is %s ('%s'): refusing to "
                              "overwrite an input; choose another output "
                              "path",
                              label, in);
        else if (is_sidecar_of(c->out_path, in))
            rc = am_error_set(c->err, AM_ERR_IO, c->out_path,
                              "the output is a file GDAL reads with %s "
                              "('%s'): refusing to overwrite it; choose "
                              "another output path",
                              label, in);
    }
    free(path);
    return rc;
}

/* ---- phases and progress ------------------------------------------- */

/* Starts a phase; AM_ERR_CANCELLED if the progress callback says stop. */
static am_status phase_begin(am_run_ctx *c, const char *label)
{
    c->t_phase = am_now_s();
    c->phase_label = label;
    if (c->opt->progress != NULL &&
        !c->opt->progress(0.0, label, c->opt->progress_user))
        return am_error_set(c->err, AM_ERR_CANCELLED, NULL,
                            "cancelled before %s", label);
    return AM_OK;
}

static void phase_end(am_run_ctx *c, const char *name)
{
    am_run_summary *r = c->sum;
    if (c->opt->progress != NULL)
        c->opt->progress(1.0, c->phase_label, c->opt->progress_user);
    if (r->n_phases < AM_MAX_PHASES) {
        am_phase_stat *p = &r->phases[r->n_phases++];
        snprintf(p->name, sizeof p->name, "%s", name);
        p->wall_s = am_now_s() - c->t_phase;
        p->peak_rss_mib = am_peak_rss_mib();
    }
}

/* Passes a step's progress on with the phase label as message. */
static int phase_progress(double fraction, const char *message, void *user)
{
    (void)message;
    am_run_ctx *c = user;
    if (c->opt->progress == NULL)
        return 1;
    return c->opt->progress(fraction, c->phase_label, c->opt->progress_user);
}

/* ---- snapping ------------------------------------------------------- */

static void snapped_free(am_snapped *s)
{
    free(s->node);
    free(s->dist_m);
    free(s->offset_ds);
    memset(s, 0, sizeof *s);
}

/*
 * Snaps n lon/lat points to the nearest node within max_m (nearest by
 * distance in the local metric frame; the reported distance and the walking
 * time use the geodesic distance). Points that cannot be transformed are
 * off network. Returns the number snapped through *n_on.
 */
static am_status snap_points(am_run_ctx *c, int32_t n, const double *lon,
                             const double *lat, am_snapped *out, int32_t *n_on)
{
    am_status rc = AM_OK;
    double *x = NULL, *y = NULL;
    const double walk_mps = c->s->walk_speed_kmh / 3.6;
    *n_on = 0;
    out->node = am_alloc_array((size_t)n, sizeof *out->node);
    out->dist_m = am_alloc_array((size_t)n, sizeof *out->dist_m);
    out->offset_ds = am_alloc_array((size_t)n, sizeof *out->offset_ds);
    x = am_alloc_array((size_t)n, sizeof *x);
    y = am_alloc_array((size_t)n, sizeof *y);
    if (!out->node || !out->dist_m || !out->offset_ds || !x || !y) {
        rc = am_error_set(c->err, AM_ERR_NOMEM, NULL,
                          "out of memory snapping %d points", (int)n);
        goto done;
    }
    memcpy(x, lon, sizeof *x * (size_t)n);
    memcpy(y, lat, sizeof *y * (size_t)n);
    rc = am_transform_points(c->to_metric, (size_t)n, x, y, NULL, c->err);
    if (rc != AM_OK)
        goto done;
    for (int32_t i = 0; i < n; i++) {
        int32_t v = -1;
        if (isfinite(x[i]) && isfinite(y[i])) /* failed: HUGE_VAL */
            v = am_spatial_index_nearest(c->index, x[i], y[i], c->s->snap_max_m,
                                         NULL);
        out->node[i] = v;
        if (v < 0) {
            out->dist_m[i] = NAN;
            out->offset_ds[i] = AM_TIME_INF;
            continue;
        }
        double d = am_geodesic_distance_m(lon[i], lat[i], c->roads->lon[v],
                                          c->roads->lat[v]);
        out->dist_m[i] = d;
        double t = nearbyint(d / walk_mps * 10.0);
        out->offset_ds[i] =
            t < (double)AM_TIME_INF ? (uint32_t)t : AM_TIME_INF - 1;
        (*n_on)++;
    }
done:
    free(x);
    free(y);
    return rc;
}

/* ---- phases ---------------------------------------------------------- */

/* The lon/lat extent of the finite points among n. */
static void lonlat_box(int32_t n, const double *lon, const double *lat,
                       double box[4])
{
    box[0] = box[1] = HUGE_VAL;
    box[2] = box[3] = -HUGE_VAL;
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(lon[i]) || !isfinite(lat[i]))
            continue;
        box[0] = fmin(box[0], lon[i]);
        box[1] = fmin(box[1], lat[i]);
        box[2] = fmax(box[2], lon[i]);
        box[3] = fmax(box[3], lat[i]);
    }
}

/* ---- memory check ---------------------------------------------------- */

/*
 * Refuses a run whose memory estimate is above the cap (opt->max_memory, or
 * a share of physical memory / the cgroup limit). Called twice: before any
 * heavy phase, from the population raster's header and the road file's
 * size (n_cells 0: a lower bound, everything but the per-cell part), and
 * again once the populated cells are counted, before snapping (the full
 * estimate, reported in the summary).
 */
static am_status memory_check(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    am_status rc;
    am_memory_inputs in;
    memset(&in, 0, sizeof in);
    in.n_sets = s->n_facility_sets;
    in.n_measures = s->n_measures;
    if (c->pop != NULL) {
        in.nx = c->pop->grid.nx;
        in.ny = c->pop->grid.ny;
        in.n_cells = c->pop->n_cells;
    } else {
        if ((rc = resolve(s, s->population_path, c->pop_path, c->err)) != AM_OK)
            return rc;
        am_population_options po = {c->pop_path, s->population_band, NULL};
        am_population_header hd;
        if ((rc = am_population_probe(&po, &hd, c->err)) != AM_OK)
            return rc;
        in.nx = hd.nx;
        in.ny = hd.ny;
    }
    char roads[AM_PATH_MAX];
    struct stat st;
    if (resolve(s, s->roads_path, roads, c->err) == AM_OK &&
        stat(roads, &st) == 0 && S_ISREG(st.st_mode))
        in.roads_bytes = (int64_t)st.st_size;
    am_error_clear(c->err);

    am_memory_estimate e = am_memory_estimate_run(&in);
    const char *what = "physical memory";
    uint64_t limit = 0, cap = c->opt->max_memory;
    if (cap == 0) {
        limit = am_memory_limit_bytes(&what);
        cap = limit / 100 * AM_DEFAULT_MEMORY_SHARE_PCT;
    }
    c->sum->memory_estimate = e.total;
    c->sum->memory_cap = cap;
    if (cap == 0 || e.total <= cap)
        return AM_OK;
    char est[32], capt[32], lim[32], cells[80] = "";
    if (in.n_cells > 0)
        snprintf(cells, sizeof cells, ", %lld populated",
                 (long long)in.n_cells);
    if (c->opt->max_memory != 0)
        snprintf(lim, sizeof lim, "--max-memory");
    else
        snprintf(lim, sizeof lim, "%d %% of %s", AM_DEFAULT_MEMORY_SHARE_PCT,
                 what);
    return am_error_set(
        c->err, AM_ERR_NOMEM, c->pop_path,
        "raster of %lld x %lld cells%s: the run needs about %s of "
        "memory%s, above the cap of %s (%s); use a coarser or smaller "
        "raster, or set the cap with --max-memory",
        (long long)in.nx, (long long)in.ny, cells,
        am_format_bytes(e.total, est, sizeof est),
        in.n_cells > 0 ? "" : " before counting populated cells",
        am_format_bytes(cap, capt, sizeof capt), lim);
}

static am_status load_network(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    am_status rc;
    if ((rc = resolve(s, s->roads_path, c->roads_path, c->err)) != AM_OK)
        return rc;
    am_road_options ro;
    memset(&ro, 0, sizeof ro);
    ro.path = c->roads_path;
    ro.layer = s->roads_layer;
    ro.where = s->roads_where;
    ro.warnings = &c->warn;
    rc = am_profile_from_name(s->profile != NULL ? s->profile : "car",
                              &ro.profile, c->err);
    if (rc != AM_OK)
        return rc;

    if ((rc = phase_begin(c, "reading roads")) != AM_OK)
        return rc;
    rc = am_roads_load(&ro, phase_progress, c, &c->roads, c->err);
    if (rc == AM_OK)
        rc = am_input_fingerprint(c->roads_path, c->fp_roads.hex,
                                  &c->fp_roads.size, c->err);
    if (rc != AM_OK)
        return rc;
    phase_end(c, "roads");

    am_road_network *r = c->roads;
    c->sum->road_features = r->n_features;
    c->sum->road_routable = r->n_routable;
    c->sum->road_km = r->total_len_km;
    c->sum->nodes = r->n_nodes;
    c->sum->arcs = r->n_arcs;

    if ((rc = phase_begin(c, "building graph")) != AM_OK)
        return rc;
    rc = am_graph_build(r->n_nodes, r->n_arcs, r->tail, r->head, r->time_ds,
                        &c->graph, c->err);
    if (rc == AM_OK)
        rc = am_graph_reverse(c->graph, &c->graph_rev, c->err);
    if (rc != AM_OK) {
        err_file_default(c->err, c->roads_path);
        return rc;
    }

    /* The local metric frame, centred on the network, and its index. */
    lonlat_box(r->n_nodes, r->lon, r->lat, c->net_box);
    rc = am_crs_metric_frame(c->net_box[0], c->net_box[1], c->net_box[2],
                             c->net_box[3], c->frame, sizeof c->frame, c->err);
    if (rc == AM_OK)
        rc = am_transform_create(AM_CRS_WGS84, c->frame, &c->to_metric, c->err);
    if (rc != AM_OK)
        return rc;
    double *x = malloc(sizeof *x * (size_t)r->n_nodes);
    double *y = malloc(sizeof *y * (size_t)r->n_nodes);
    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        return am_error_set(c->err, AM_ERR_NOMEM, NULL,
                            "out of memory indexing %d nodes", (int)r->n_nodes);
    }
    memcpy(x, r->lon, sizeof *x * (size_t)r->n_nodes);
    memcpy(y, r->lat, sizeof *y * (size_t)r->n_nodes);
    rc = am_transform_points(c->to_metric, (size_t)r->n_nodes, x, y, NULL,
                             c->err);
    if (rc == AM_OK)
        rc = am_spatial_index_build(r->n_nodes, x, y, &c->index);
    free(x);
    free(y);
    if (rc != AM_OK)
        return rc == AM_ERR_NOMEM
                   ? am_error_set(c->err, rc, NULL, "out of memory")
                   : rc;
    phase_end(c, "graph");
    return AM_OK;
}

static am_status load_population(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    am_status rc;
    if ((rc = resolve(s, s->population_path, c->pop_path, c->err)) != AM_OK)
        return rc;
    am_population_options po = {
        .path = c->pop_path, .band = s->population_band, .warnings = &c->warn};
    if ((rc = phase_begin(c, "reading population")) != AM_OK)
        return rc;
    rc = am_population_load(&po, phase_progress, c, &c->pop, c->err);
    if (rc == AM_OK)
        rc = am_input_fingerprint(c->pop_path, c->fp_pop.hex, &c->fp_pop.size,
                                  c->err);
    if (rc != AM_OK)
        return rc;
    phase_end(c, "population");
    am_population *p = c->pop;
    c->sum->pop_total = p->total;
    c->sum->pop_cells = p->n_cells;
    c->sum->pop_negative_cells = p->n_negative;
    c->sum->pop_nonfinite_cells = p->n_nonfinite;
    c->sum->pop_implausible_cells = p->n_implausible;
    return AM_OK;
}

/* Whether two lon/lat boxes intersect once b is grown by margin_m. */
static int boxes_overlap(const double a[4], const double b[4], double margin_m)
{
    double mid_lat = 0.5 * (b[1] + b[3]);
    double dlat = margin_m / 111320.0;
    double coslat = cos(mid_lat * AM_PI / 180.0);
    double dlon = coslat > 1e-6 ? dlat / coslat : 360.0;
    return a[0] <= b[2] + dlon && b[0] - dlon <= a[2] && a[1] <= b[3] + dlat &&
           b[1] - dlat <= a[3];
}

static am_status snap_population(am_run_ctx *c)
{
    am_population *p = c->pop;
    am_status rc = AM_OK;
    am_transform *to_ll = NULL;
    int32_t n = p->n_cells;
    double *lon = malloc(sizeof *lon * (size_t)n);
    double *lat = malloc(sizeof *lat * (size_t)n);
    if (lon == NULL || lat == NULL) {
        rc = am_error_set(c->err, AM_ERR_NOMEM, c->pop_path,
                          "out of memory for %d cells", (int)n);
        goto done;
    }
    if ((rc = phase_begin(c, "snapping population")) != AM_OK)
        goto done;
    for (int32_t i = 0; i < n; i++) {
        int64_t cell = p->cell[i];
        am_grid_cell_center(&p->grid, (int32_t)(cell % p->grid.nx),
                            (int32_t)(cell / p->grid.nx), &lon[i], &lat[i]);
    }
    rc = am_transform_create(p->crs_wkt, AM_CRS_WGS84, &to_ll, c->err);
    if (rc == AM_OK)
        rc = am_transform_points(to_ll, (size_t)n, lon, lat, NULL, c->err);
    if (rc != AM_OK) {
        err_file_default(c->err, c->pop_path);
        goto done;
    }

    const double *net_box = c->net_box;
    double pop_box[4];
    lonlat_box(n, lon, lat, pop_box);
    if (!boxes_overlap(pop_box, net_box, c->s->snap_max_m)) {
        rc = am_error_set(
            c->err, AM_ERR_NO_OVERLAP, c->pop_path,
            "populated cells (lon %.4f..%.4f, lat %.4f..%.4f) do not overlap "
            "the road network %s (lon %.4f..%.4f, lat %.4f..%.4f)",
            pop_box[0], pop_box[2], pop_box[1], pop_box[3], c->roads_path,
            net_box[0], net_box[2], net_box[1], net_box[3]);
        goto done;
    }

    int32_t n_on = 0;
    rc = snap_points(c, n, lon, lat, &c->cell_snap, &n_on);
    if (rc != AM_OK)
        goto done;
    if (n_on == 0) {
        rc = am_error_set(c->err, AM_ERR_NO_OVERLAP, c->pop_path,
                          "no populated cell is within snap.max_distance_m "
                          "= %g m of a routable road of %s",
                          c->s->snap_max_m, c->roads_path);
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        if (c->cell_snap.node[i] < 0) {
            c->sum->pop_off_network += p->pop[i];
            c->sum->cells_off_network++;
        }
    }
    rc = am_demand_build(n, c->roads->n_nodes, c->cell_snap.node,
                         c->cell_snap.offset_ds, p->pop, &c->demand, c->err);
    if (rc != AM_OK)
        goto done;
    /* Catchments store only these nodes: no measure reads the others. */
    c->demand_nodes = am_alloc_array((size_t)c->demand->n_nodes, 1);
    if (c->demand_nodes == NULL) {
        rc = am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (int32_t v = 0; v < c->demand->n_nodes; v++)
        c->demand_nodes[v] = c->demand->first[v + 1] > c->demand->first[v];
    phase_end(c, "snap");
done:
    am_transform_destroy(to_ll);
    free(lon);
    free(lat);
    return rc;
}

static am_status load_facilities(am_run_ctx *c, int k)
{
    const am_facility_source *src = &c->s->facility_sets[k];
    am_set_result *set = &c->sets[k];
    am_set_summary *ss = &c->sum->sets[k];
    am_status rc;
    if ((rc = resolve(c->s, src->path, set->path, c->err)) != AM_OK)
        return rc;
    if ((rc = phase_begin(c, "reading facilities")) != AM_OK)
        return rc;
    rc = am_scenario_load_facilities(src, set->path, &c->warn, &set->fac,
                                     c->err);
    if (rc == AM_OK)
        rc =
            am_input_fingerprint(set->path, set->fp.hex, &set->fp.size, c->err);
    if (rc != AM_OK)
        return rc;
    if (set->fac->n_no_geometry > 0)
        am_warn(&c->warn,
                "%s: facility set '%s': %lld of %lld features skipped: no "
                "geometry (or empty coordinate cells)",
                set->path, src->name, (long long)set->fac->n_no_geometry,
                (long long)set->fac->n_read);
    int32_t n_on = 0;
    rc = snap_points(c, set->fac->n, set->fac->lon, set->fac->lat, &set->snap,
                     &n_on);
    if (rc != AM_OK)
        return rc;
    if (n_on == 0)
        return am_error_set(c->err, AM_ERR_NO_OVERLAP, set->path,
                            "none of the %d facilities of set '%s' is within "
                            "snap.max_distance_m = %g m of a routable road "
                            "of %s",
                            (int)set->fac->n, src->name, c->s->snap_max_m,
                            c->roads_path);
    ss->n_facilities = set->fac->n;
    ss->n_on_network = n_on;
    for (int32_t j = 0; j < set->fac->n; j++)
        ss->capacity_total += set->fac->capacity[j];
    phase_end(c, "facilities");
    return AM_OK;
}

/* The kernel's measure for a scenario's measure type. */
static am_measure_kind measure_kind(am_measure_type type)
{
    switch (type) {
    case AM_MEASURE_TYPE_2SFCA:
        return AM_MEASURE_2SFCA;
    }
    return (am_measure_kind)0; /* rejected by the kernel: AM_ERR_INVALID */
}

/*
 * The access raster is float32 (docs/hdf5-layout.md): refuses a measure
 * whose values do not fit it (they would be written as +inf), naming the
 * set, the measure and the facility with the largest ratio R_j = S_j / D_j,
 * the usual cause (a huge capacity, or a tiny catchment population). The
 * facility table keeps doubles, but a result that is only right in one of
 * the two places is not a result. Rescaling silently would change the
 * unit the user asked for, so the run stops instead.
 */
static am_status check_access_range(am_run_ctx *c, int k, int m)
{
    const am_set_result *set = &c->sets[k];
    const int32_t n_fac = set->fac->n;
    const int32_t n_cells = c->demand->n_cells;
    const double *acc = set->access + (size_t)m * (size_t)n_cells;
    const double *ratio = set->fac_ratio + (size_t)m * (size_t)n_fac;
    const double *dem = set->fac_demand + (size_t)m * (size_t)n_fac;
    double worst = 0.0;
    for (int32_t i = 0; i < n_cells; i++) {
        double a = isnan(acc[i]) ? INFINITY : fabs(acc[i]);
        if (a > worst)
            worst = a;
    }
    if (worst <= FLT_MAX)
        return AM_OK;
    int32_t j_max = 0;
    for (int32_t j = 1; j < n_fac; j++)
        if (!(ratio[j] <= ratio[j_max]))
            j_max = j;
    const am_facility_set *f = set->fac;
    am_status rc = am_error_set(
        c->err, AM_ERR_INVALID, set->path,
        "set '%s', measure '%s': accessibility reaches %.4g capacity per "
        "person, beyond the float32 output's range (%.4g); the largest "
        "ratio is facility id '%s' (capacity %.4g for a catchment "
        "population of %.4g): check the capacities' unit and the "
        "population raster",
        c->s->facility_sets[k].name, c->s->measures[m].name, worst, FLT_MAX,
        f->id[j_max], f->capacity[j_max], dem[j_max]);
    am_error_set_feature(c->err, (long long)f->fid[j_max]);
    return rc;
}

/* The deepest 2SFCA threshold of the scenario: how far catchments go. */
static uint32_t catchment_limit_ds(const am_scenario *s)
{
    uint32_t lim = 0;
    for (int m = 0; m < s->n_measures; m++) {
        uint32_t t = am_minutes_to_ds(s->measures[m].threshold_min);
        if (t > lim)
            lim = t;
    }
    return lim;
}

/*
 * Nearest time and facility and coverage come from one multi-source search
 * to the largest cutoff (kernels/nearest.h); per-facility catchments go
 * only as deep as the deepest measure threshold and are freed as soon as
 * the set's measures are done.
 */
static am_status compute_set(am_run_ctx *c, int k)
{
    const am_scenario *s = c->s;
    am_set_result *set = &c->sets[k];
    am_set_summary *ss = &c->sum->sets[k];
    const int32_t n_fac = set->fac->n;
    const int32_t n_cells = c->demand->n_cells;
    const int32_t n_nodes = c->graph_rev->n_nodes;
    const int n_meas = s->n_measures;
    am_status rc;
    uint32_t *node_ds = NULL;
    int32_t *node_fac = NULL;

    if ((rc = phase_begin(c, "computing catchments")) != AM_OK)
        return rc;
    rc = am_catchments_compute(c->graph_rev, n_fac, set->snap.node,
                               set->snap.offset_ds, catchment_limit_ds(s),
                               c->demand_nodes, c->threads, phase_progress, c,
                               &set->rows, c->err);
    if (rc == AM_OK)
        rc = am_catchments_transpose(set->rows, &set->cols, c->err);
    if (rc != AM_OK)
        return rc;
    phase_end(c, "catchments");

    if ((rc = phase_begin(c, "computing measures")) != AM_OK)
        return rc;
    set->nearest_ds = am_alloc_array((size_t)n_cells, sizeof *set->nearest_ds);
    set->nearest_fac =
        am_alloc_array((size_t)n_cells, sizeof *set->nearest_fac);
    set->fac_demand =
        am_alloc_array((size_t)n_fac * (size_t)n_meas, sizeof(double));
    set->fac_ratio =
        am_alloc_array((size_t)n_fac * (size_t)n_meas, sizeof(double));
    set->access =
        am_alloc_array((size_t)n_cells * (size_t)n_meas, sizeof(double));
    ss->access_mean = am_calloc_array((size_t)n_meas, sizeof(double));
    ss->access_median = am_calloc_array((size_t)n_meas, sizeof(double));
    node_ds = am_alloc_array((size_t)n_nodes, sizeof *node_ds);
    node_fac = am_alloc_array((size_t)n_nodes, sizeof *node_fac);
    if (!set->nearest_ds || !set->nearest_fac || !set->fac_demand ||
        !set->fac_ratio || !set->access || !ss->access_mean ||
        !ss->access_median || !node_ds || !node_fac) {
        rc = am_error_set(c->err, AM_ERR_NOMEM, NULL,
                          "out of memory for the measures");
        goto done;
    }

    rc = am_nearest_nodes(c->graph_rev, n_fac, set->snap.node,
                          set->snap.offset_ds, c->limit_ds, node_ds, node_fac,
                          c->err);
    if (rc == AM_OK)
        rc = am_nearest_cells(c->demand, node_ds, node_fac, c->limit_ds,
                              c->threads, set->nearest_ds, set->nearest_fac,
                              c->err);
    if (rc != AM_OK)
        goto done;
    uint32_t cut_ds[AM_MAX_CUTOFFS];
    for (int i = 0; i < s->n_cutoffs; i++)
        cut_ds[i] = am_minutes_to_ds(s->cutoffs_min[i]);
    rc = am_coverage_run(c->demand, set->nearest_ds, s->n_cutoffs, cut_ds,
                         ss->pop_within, c->err);
    if (rc != AM_OK)
        goto done;

    for (int m = 0; m < n_meas; m++) {
        const am_measure_spec *ms = &s->measures[m];
        am_fca_params p;
        p.kind = measure_kind(ms->type);
        p.threshold_ds = am_minutes_to_ds(ms->threshold_min);
        double *dem = set->fac_demand + (size_t)m * (size_t)n_fac;
        double *ratio = set->fac_ratio + (size_t)m * (size_t)n_fac;
        double *acc = set->access + (size_t)m * (size_t)n_cells;
        rc = am_fca_run(&p, set->rows, set->cols, c->demand, set->fac->capacity,
                        c->threads, dem, ratio, acc, c->err);
        if (rc == AM_OK)
            rc = check_access_range(c, k, m);
        if (rc != AM_OK)
            goto done;
        rc = am_weighted_summary(n_cells, acc, c->pop->pop, &ss->access_mean[m],
                                 &ss->access_median[m]);
        if (rc != AM_OK) {
            rc = am_error_set(c->err, rc, NULL, "out of memory");
            goto done;
        }
    }
    am_catchments_destroy(set->rows);
    am_catchments_destroy(set->cols);
    set->rows = set->cols = NULL;
done:
    free(node_ds);
    free(node_fac);
    if (rc != AM_OK)
        return rc;
    phase_end(c, "measures");
    return AM_OK;
}

/* ---- output --------------------------------------------------------- */

/* Runs `call` only while rc (a local am_status) is still AM_OK. */
#define AM_TRY(call)                                                           \
    do {                                                                       \
        if (rc == AM_OK)                                                       \
            rc = (call);                                                       \
    } while (0)

static am_status put_name(am_run_ctx *c, char *buf, size_t n, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));

/* An HDF5 object or column name into buf[n]: never cut short (a cut name
 * could collide with another); names follow the scenario's length rule,
 * so AM_ERR_INTERNAL if one does not fit. */
static am_status put_name(am_run_ctx *c, char *buf, size_t n, const char *fmt,
                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= n)
        return am_error_set(c->err, AM_ERR_INTERNAL, c->out_path,
                            "output object name longer than %zu bytes", n - 1);
    return AM_OK;
}

static am_status write_fingerprint(am_run_ctx *c, am_h5 *h, const char *obj,
                                   const char *prefix, const char *path,
                                   const am_fp *fp)
{
    char name[128];
    snprintf(name, sizeof name, "%s_path", prefix);
    am_status rc = am_h5_attr_string(h, obj, name, path, c->err);
    snprintf(name, sizeof name, "%s_size_bytes", prefix);
    AM_TRY(am_h5_attr_int64(h, obj, name, (int64_t)fp->size, c->err));
    snprintf(name, sizeof name, "%s_sha256", prefix);
    AM_TRY(am_h5_attr_string(h, obj, name, fp->hex, c->err));
    return rc;
}

static am_status write_root_attrs(am_run_ctx *c, am_h5 *h)
{
    const am_scenario *s = c->s;
    char now[32];
    am_utc_now(now);
    am_status rc = AM_OK;

    AM_TRY(am_h5_attr_string(h, "/", "title", "accessim accessibility results",
                             c->err));
    AM_TRY(am_h5_attr_string(h, "/", "accessim_version", AM_VERSION_STRING,
                             c->err));
    AM_TRY(am_h5_attr_string(h, "/", "created_utc", now, c->err));
    AM_TRY(am_h5_attr_string(h, "/", "scenario_name", s->name, c->err));
    AM_TRY(am_h5_attr_string(h, "/", "scenario_file",
                             s->source_path ? s->source_path : "", c->err));
    AM_TRY(am_h5_attr_string(h, "/", "command_line",
                             c->opt->command_line ? c->opt->command_line : "",
                             c->err));
    AM_TRY(am_h5_attr_int64(h, "/", "threads", c->threads, c->err));
    AM_TRY(am_h5_attr_string(h, "/", "profile", s->profile ? s->profile : "car",
                             c->err));
    AM_TRY(am_h5_attr_double(h, "/", "snap_max_m", s->snap_max_m, c->err));
    AM_TRY(
        am_h5_attr_double(h, "/", "walk_speed_kmh", s->walk_speed_kmh, c->err));
    AM_TRY(am_h5_attr_double_array(h, "/", "cutoffs_min", s->n_cutoffs,
                                   s->cutoffs_min, c->err));
    AM_TRY(am_h5_attr_string(h, "/", "metric_frame", c->frame, c->err));
    if (s->source_path != NULL)
        AM_TRY(write_fingerprint(c, h, "/", "scenario", s->source_path,
                                 &c->fp_scenario));
    AM_TRY(write_fingerprint(c, h, "/", "roads", c->roads_path, &c->fp_roads));
    AM_TRY(write_fingerprint(c, h, "/", "population", c->pop_path, &c->fp_pop));

    AM_TRY(am_h5_make_group(h, "/network", c->err));
    AM_TRY(am_h5_attr_int64(h, "/network", "nodes", c->roads->n_nodes, c->err));
    AM_TRY(am_h5_attr_int64(h, "/network", "arcs", c->roads->n_arcs, c->err));
    AM_TRY(am_h5_attr_int64(h, "/network", "features_read",
                            c->roads->n_features, c->err));
    AM_TRY(am_h5_attr_int64(h, "/network", "features_routable",
                            c->roads->n_routable, c->err));
    AM_TRY(am_h5_attr_double(h, "/network", "routable_km",
                             c->roads->total_len_km, c->err));
    return rc;
}

/* Fills a raster with `fill` and puts value(i) at each populated cell. */
static float *raster_f32(const am_run_ctx *c, float fill)
{
    size_t n = (size_t)c->pop->grid.nx * (size_t)c->pop->grid.ny;
    float *r = malloc(sizeof *r * (n > 0 ? n : 1));
    if (r != NULL)
        for (size_t i = 0; i < n; i++)
            r[i] = fill;
    return r;
}

static am_status write_population(am_run_ctx *c, am_h5 *h)
{
    float *r = raster_f32(c, AM_FILL_F32);
    if (r == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int32_t i = 0; i < c->pop->n_cells; i++)
        r[c->pop->cell[i]] = (float)c->pop->pop[i];
    am_h5_raster_info info = {"population count per cell", "1"};
    am_status rc =
        am_h5_write_raster_f32(h, "/population", r, AM_FILL_F32, &info, c->err);
    free(r);
    const am_population *p = c->pop;
    const char *at = "/population";
    AM_TRY(am_h5_attr_double(h, at, "total", p->total, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "populated_cells", p->n_cells, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "refused_negative_cells", p->n_negative,
                            c->err));
    AM_TRY(am_h5_attr_int64(h, at, "refused_nonfinite_cells", p->n_nonfinite,
                            c->err));
    AM_TRY(am_h5_attr_int64(h, at, "refused_implausible_cells",
                            p->n_implausible, c->err));
    AM_TRY(am_h5_attr_double(h, at, "off_network_population",
                             c->sum->pop_off_network, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "off_network_cells",
                            c->sum->cells_off_network, c->err));
    return rc;
}

static am_status write_set(am_run_ctx *c, am_h5 *h, int k)
{
    const am_scenario *s = c->s;
    const am_facility_source *src = &s->facility_sets[k];
    am_set_result *set = &c->sets[k];
    const am_set_summary *ss = &c->sum->sets[k];
    const int32_t n_fac = set->fac->n;
    const int32_t n_cells = c->pop->n_cells;
    /* "/results/<set>/<measure>": names are at most AM_NAME_MAX bytes */
    char g[32 + AM_NAME_MAX], path[64 + 2 * AM_NAME_MAX];
    am_status rc;
    float *r = NULL;
    int32_t *ri = NULL;
    int32_t *index = NULL;
    am_h5_column *cols = NULL;
    char(*col_names)[32 + AM_NAME_MAX] = NULL;

    rc = put_name(c, g, sizeof g, "/results/%s", src->name);
    AM_TRY(am_h5_make_group(h, g, c->err));
    if (rc != AM_OK)
        goto done;
    /* each set's input fingerprint goes on its own group */
    rc = write_fingerprint(c, h, g, "facilities", set->path, &set->fp);
    AM_TRY(
        am_h5_attr_string(h, g, "where", src->where ? src->where : "", c->err));
    if (rc != AM_OK)
        goto done;

    /* nearest time and facility */
    r = raster_f32(c, AM_FILL_F32);
    size_t ncell_grid = (size_t)c->pop->grid.nx * (size_t)c->pop->grid.ny;
    ri = malloc(sizeof *ri * (ncell_grid > 0 ? ncell_grid : 1));
    if (r == NULL || ri == NULL) {
        rc = am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ncell_grid; i++)
        ri[i] = AM_FILL_I32;
    for (int32_t i = 0; i < n_cells; i++) {
        int64_t cell = c->pop->cell[i];
        uint32_t t = set->nearest_ds[i];
        r[cell] =
            t == AM_TIME_INF ? AM_UNREACHED_MIN : (float)am_ds_to_minutes(t);
        ri[cell] =
            set->nearest_fac[i] >= 0 ? set->nearest_fac[i] : AM_UNREACHED_I32;
    }
    am_h5_raster_info ti = {"travel time to the nearest facility", "minutes"};
    rc = put_name(c, path, sizeof path, "%s/nearest_time_min", g);
    AM_TRY(am_h5_write_raster_f32(h, path, r, AM_FILL_F32, &ti, c->err));
    AM_TRY(am_h5_attr_double(h, path, "unreachable_value", AM_UNREACHED_MIN,
                             c->err));
    if (rc != AM_OK)
        goto done;
    am_h5_raster_info fi = {"row of the nearest facility in facilities/", "1"};
    rc = put_name(c, path, sizeof path, "%s/nearest_facility", g);
    AM_TRY(am_h5_write_raster_i32(h, path, ri, AM_FILL_I32, &fi, c->err));
    AM_TRY(am_h5_attr_int64(h, path, "unreachable_value", AM_UNREACHED_I32,
                            c->err));
    if (rc != AM_OK)
        goto done;

    /* one raster per measure */
    for (int m = 0; m < s->n_measures; m++) {
        const am_measure_spec *ms = &s->measures[m];
        const double *acc = set->access + (size_t)m * (size_t)n_cells;
        for (size_t i = 0; i < ncell_grid; i++)
            r[i] = AM_FILL_F32;
        for (int32_t i = 0; i < n_cells; i++)
            r[c->pop->cell[i]] = (float)acc[i];
        am_h5_raster_info ai = {"2SFCA accessibility (capacity per person)",
                                "capacity per person"};
        rc = put_name(c, path, sizeof path, "%s/%s", g, ms->name);
        AM_TRY(am_h5_write_raster_f32(h, path, r, AM_FILL_F32, &ai, c->err));
        AM_TRY(am_h5_attr_string(h, path, "measure", "2sfca", c->err));
        AM_TRY(am_h5_attr_double(h, path, "threshold_min", ms->threshold_min,
                                 c->err));
        AM_TRY(am_h5_attr_string(
            h, path, "reference",
            "Luo W, Wang F (2003) Measures of spatial accessibility to "
            "health care in a GIS environment. Environment and Planning "
            "B 30(6):865-884",
            c->err));
        if (rc != AM_OK)
            goto done;
    }

    /* facility table */
    int ncol = 9 + 2 * s->n_measures;
    cols = calloc((size_t)ncol, sizeof *cols);
    col_names = calloc((size_t)ncol, sizeof *col_names);
    index = malloc(sizeof *index * (size_t)(n_fac > 0 ? n_fac : 1));
    if (cols == NULL || col_names == NULL || index == NULL) {
        rc = am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (int32_t j = 0; j < n_fac; j++)
        index[j] = j;
    am_facility_set *f = set->fac;
    int q = 0;
    cols[q++] = (am_h5_column){"index", AM_H5_COL_INT32, index, NULL,
                               "row number, as in nearest_facility"};
    cols[q++] = (am_h5_column){"id", AM_H5_COL_STRING, f->id, NULL,
                               "id field value, or the source FID"};
    cols[q++] = (am_h5_column){"name", AM_H5_COL_STRING, f->name, NULL, NULL};
    cols[q++] = (am_h5_column){"class", AM_H5_COL_STRING, f->klass, NULL, NULL};
    cols[q++] =
        (am_h5_column){"capacity", AM_H5_COL_DOUBLE, f->capacity, NULL, "S_j"};
    cols[q++] =
        (am_h5_column){"lon", AM_H5_COL_DOUBLE, f->lon, "degrees_east", NULL};
    cols[q++] =
        (am_h5_column){"lat", AM_H5_COL_DOUBLE, f->lat, "degrees_north", NULL};
    cols[q++] = (am_h5_column){"snap_distance_m", AM_H5_COL_DOUBLE,
                               set->snap.dist_m, "m",
                               "to the nearest routable node; NaN: off "
                               "network"};
    cols[q++] = (am_h5_column){"node", AM_H5_COL_INT32, set->snap.node, NULL,
                               "graph node, -1: off network"};
    for (int m = 0; m < s->n_measures; m++) {
        rc = put_name(c, col_names[q], sizeof col_names[q],
                      "catchment_population_%s", s->measures[m].name);
        if (rc != AM_OK)
            goto done;
        cols[q] = (am_h5_column){col_names[q], AM_H5_COL_DOUBLE,
                                 set->fac_demand + (size_t)m * (size_t)n_fac,
                                 "persons", "D_j"};
        q++;
        rc = put_name(c, col_names[q], sizeof col_names[q], "ratio_%s",
                      s->measures[m].name);
        if (rc != AM_OK)
            goto done;
        cols[q] = (am_h5_column){col_names[q], AM_H5_COL_DOUBLE,
                                 set->fac_ratio + (size_t)m * (size_t)n_fac,
                                 "capacity per person",
                                 "R_j = S_j / D_j, 0 when D_j = 0"};
        q++;
    }
    rc = put_name(c, path, sizeof path, "%s/facilities", g);
    AM_TRY(am_h5_write_table(h, path, n_fac, q, cols, c->err));
    if (rc != AM_OK)
        goto done;

    /* coverage table */
    {
        double pct[AM_MAX_CUTOFFS];
        for (int i = 0; i < s->n_cutoffs; i++)
            pct[i] = c->pop->total > 0
                         ? 100.0 * ss->pop_within[i] / c->pop->total
                         : 0.0;
        am_h5_column cc[3] = {
            {"cutoff_min", AM_H5_COL_DOUBLE, s->cutoffs_min, "minutes",
             "inclusive"},
            {"population", AM_H5_COL_DOUBLE, ss->pop_within, "persons",
             "population whose nearest facility is within the cutoff"},
            {"percent", AM_H5_COL_DOUBLE, pct, "percent",
             "of the raster's total population"}};
        rc = put_name(c, path, sizeof path, "%s/coverage", g);
        AM_TRY(am_h5_write_table(h, path, s->n_cutoffs, 3, cc, c->err));
    }
done:
    free(r);
    free(ri);
    free(index);
    free(cols);
    free(col_names);
    return rc;
}

/*
 * The writer's progress (after each strip of rows of a raster, and once
 * before the rename) as a fraction of the whole write phase; a 0 from the
 * CLI's callback (Ctrl-C) stops the writer, which then removes its
 * temporary and leaves an older output as it was.
 */
static int write_progress(double fraction, const char *message, void *user)
{
    (void)message;
    am_run_ctx *c = user;
    if (fraction <= c->write_last && c->write_done < c->write_total)
        c->write_done++; /* a new raster started (or the final rename) */
    c->write_last = fraction;
    double f = c->write_total > 0
                   ? ((double)c->write_done + fraction) / c->write_total
                   : 1.0;
    return phase_progress(f < 1.0 ? f : 1.0, NULL, c);
}

static am_status write_output(am_run_ctx *c)
{
    am_h5 *h = NULL;
    am_status rc;
    if ((rc = phase_begin(c, "writing output")) != AM_OK)
        return rc;
    rc = am_h5_create(c->out_path, &h, c->err);
    if (rc != AM_OK)
        return rc;
    /* the population, then per set: nearest time, nearest facility and
       one raster per measure */
    c->write_total = 1 + c->s->n_facility_sets * (2 + c->s->n_measures);
    c->write_done = 0;
    c->write_last = 0.0;
    am_h5_set_progress(h, write_progress, c);
    rc = am_h5_set_grid(h, &c->pop->grid, c->pop->crs_wkt, c->err);
    if (rc == AM_OK)
        rc = write_root_attrs(c, h);
    if (rc == AM_OK)
        rc = write_population(c, h);
    if (rc == AM_OK)
        rc = am_h5_make_group(h, "/results", c->err);
    for (int k = 0; rc == AM_OK && k < c->s->n_facility_sets; k++)
        rc = write_set(c, h, k);
    if (rc != AM_OK) {
        am_h5_abort(h);
        return rc;
    }
    rc = am_h5_commit(h, c->err);
    if (rc != AM_OK)
        return rc;
    phase_end(c, "write");
    return AM_OK;
}

/* ---- run ------------------------------------------------------------ */

static void run_ctx_free(am_run_ctx *c)
{
    if (c->sets != NULL) {
        for (int k = 0; k < c->s->n_facility_sets; k++) {
            am_set_result *set = &c->sets[k];
            am_facility_set_destroy(set->fac);
            snapped_free(&set->snap);
            am_catchments_destroy(set->rows);
            am_catchments_destroy(set->cols);
            free(set->nearest_ds);
            free(set->nearest_fac);
            free(set->fac_demand);
            free(set->fac_ratio);
            free(set->access);
        }
        free(c->sets);
    }
    am_demand_destroy(c->demand);
    free(c->demand_nodes);
    snapped_free(&c->cell_snap);
    am_transform_destroy(c->to_metric);
    am_spatial_index_destroy(c->index);
    am_population_destroy(c->pop);
    am_graph_destroy(c->graph_rev);
    am_graph_destroy(c->graph);
    am_road_network_destroy(c->roads);
}

void am_run_summary_destroy(am_run_summary *r)
{
    if (r == NULL)
        return;
    if (r->sets != NULL) {
        for (int k = 0; k < r->n_sets; k++) {
            free(r->sets[k].name);
            free(r->sets[k].access_mean);
            free(r->sets[k].access_median);
        }
        free(r->sets);
    }
    if (r->measure_names != NULL) {
        for (int m = 0; m < r->n_measures; m++)
            free(r->measure_names[m]);
        free(r->measure_names);
    }
    for (size_t i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r->scenario_name);
    free(r->output_path);
    free(r);
}

static am_status summary_init(am_run_ctx *c)
{
    const am_scenario *s = c->s;
    am_run_summary *r = calloc(1, sizeof *r);
    if (r == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    c->sum = r;
    r->scenario_name = am_strdup(s->name);
    r->output_path = am_strdup(c->out_path);
    r->threads = c->threads;
    r->n_cutoffs = s->n_cutoffs;
    memcpy(r->cutoffs_min, s->cutoffs_min, sizeof r->cutoffs_min);
    r->sets = calloc((size_t)s->n_facility_sets, sizeof *r->sets);
    r->measure_names = calloc((size_t)s->n_measures, sizeof(char *));
    if (r->scenario_name == NULL || r->output_path == NULL || r->sets == NULL ||
        r->measure_names == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    r->n_sets = s->n_facility_sets;
    r->n_measures = s->n_measures;
    for (int k = 0; k < s->n_facility_sets; k++)
        if ((r->sets[k].name = am_strdup(s->facility_sets[k].name)) == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int m = 0; m < s->n_measures; m++)
        if ((r->measure_names[m] = am_strdup(s->measures[m].name)) == NULL)
            return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    return AM_OK;
}

am_status am_run(const am_scenario *s, const am_run_options *opt,
                 am_run_summary **summary, am_error *err)
{
    am_error local_err;
    am_run_options default_opt = am_run_options_default();
    am_run_ctx ctx;
    am_run_ctx *c = &ctx;
    am_status rc;

    if (summary != NULL)
        *summary = NULL;
    if (err == NULL)
        err = &local_err;
    am_error_clear(err);
    if (opt == NULL)
        opt = &default_opt;
    if (s == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no scenario");

    memset(c, 0, sizeof *c);
    c->s = s;
    c->opt = opt;
    c->err = err;
    c->t_start = am_now_s();
    am_warnings_init(&c->warn, opt->warning, opt->warning_user);
    const char *out = opt->output_path ? opt->output_path : s->output_path;
    if (out == NULL || out[0] == '\0')
        return am_error_set(err, AM_ERR_USAGE, s->source_path,
                            "no output path (set 'output' or use -o)");
    if (opt->output_path != NULL) {
        if (strlen(out) >= sizeof c->out_path)
            return am_error_set(err, AM_ERR_IO, NULL,
                                "output path is %zu bytes; at most %zu fit",
                                strlen(out), sizeof c->out_path - 1);
        memcpy(c->out_path, out, strlen(out) + 1);
    } else if (resolve(s, out, c->out_path, err) != AM_OK)
        return err->code;
    if (s->n_cutoffs < 1 || s->n_measures < 1 || s->n_facility_sets < 1)
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "scenario not finalized (no cutoffs, measures "
                            "or facility sets)");
    double max_cut = s->cutoffs_min[s->n_cutoffs - 1];
    c->limit_ds = am_minutes_to_ds(max_cut);

    rc = choose_threads(c);
    if (rc == AM_OK)
        rc = summary_init(c);
    if (rc == AM_OK)
        rc = preflight(c);
    if (rc == AM_OK && s->source_path != NULL)
        rc = am_input_fingerprint(s->source_path, c->fp_scenario.hex,
                                  &c->fp_scenario.size, err);
    if (rc == AM_OK)
        rc = memory_check(c);
    if (rc == AM_OK)
        rc = load_network(c);
    if (rc == AM_OK)
        rc = load_population(c);
    if (rc == AM_OK)
        rc = memory_check(c);
    if (rc == AM_OK)
        rc = snap_population(c);
    if (rc == AM_OK) {
        c->sets = calloc((size_t)s->n_facility_sets, sizeof *c->sets);
        if (c->sets == NULL)
            rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    for (int k = 0; rc == AM_OK && k < s->n_facility_sets; k++)
        rc = load_facilities(c, k);
    for (int k = 0; rc == AM_OK && k < s->n_facility_sets; k++)
        rc = compute_set(c, k);
    if (rc == AM_OK)
        rc = write_output(c);

    if (c->sum != NULL) {
        c->sum->wall_s = am_now_s() - c->t_start;
        c->sum->peak_rss_mib = am_peak_rss_mib();
        c->sum->warnings = c->warn.msg; /* moved */
        c->sum->n_warnings = c->warn.n;
        c->warn.msg = NULL;
        c->warn.n = 0;
    }
    am_warnings_clear(&c->warn);
    run_ctx_free(c);
    if (rc == AM_OK && summary != NULL)
        *summary = c->sum;
    else
        am_run_summary_destroy(c->sum);
    return rc;
}
