/*
 * model.c: the network and population of a scenario, built once by
 * stages and then queried read-only (see accessim.h, am_model_*).
 *
 * Stages (each timed, with the process's peak memory after it):
 *   roads       read the road layer into an arc list (inputs/roads)
 *   graph       the road components, the local metric frame, the
 *               contracted CSR graph (kernels/contract) with its nodes
 *               renumbered along a Hilbert curve (kernels/order) and its
 *               reverse (kernels/graph), the road segments and their
 *               spatial index (geo/segments, geo/segment_index)
 *   population  read the raster's populated cells (inputs/population)
 *   snap        cells onto the nearest point of a routable road segment,
 *               in a local transverse Mercator frame (geo/snap), the
 *               off-network leg timed at walking speed, linked to the
 *               segment's end nodes they can drive to; the demand index
 *               (kernels/demand)
 *
 * Definitions the outputs and the summary rely on:
 *  - a cell whose centre is farther than snap.max_distance_m (geodesic)
 *    from the foot on its nearest routable road segment is "off network":
 *    it reaches nothing (time unreachable, access 0) and is counted in the
 *    summary, never dropped;
 *  - walking times are whole deciseconds, nearbyint(d / v * 10).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/file_check.h"
#include "common/numparse.h"
#include "common/units.h"
#include "engine/internal.h"
#include "engine/scenario.h"
#include "engine/memory.h"
#include "engine/scenario_inputs.h"
#include "engine/sysinfo.h"
#include "geo/grid.h"
#include "inputs/fingerprint.h"
#include "inputs/gdal_cache.h"
#include "inputs/input_limits.h"
#include "inputs/road_profile.h"
#include "kernels/order.h"
#include "kernels/parallel.h"

am_model_options am_model_options_default(void)
{
    am_model_options o;
    memset(&o, 0, sizeof o);
    return o;
}

/*
 * The thread count: the option's, else the scenario's, else all cores.
 * Both follow common/numparse.h's rule (at most AM_THREADS_MAX; checked
 * again here for callers of the API); a count beyond
 * AM_THREADS_PER_CORE_MAX per core is lowered, with a warning, since the
 * kernels are compute-bound and OpenMP runtimes fail on huge teams.
 */
static am_status choose_threads(am_model *m, int opt_threads, am_error *err)
{
    int requested = opt_threads > 0 ? opt_threads : m->s->threads;
    if (!am_threads_valid(requested))
        return am_error_set(err, AM_ERR_USAGE, m->s->source_path,
                            "%d threads requested: the count must be from 0 "
                            "(all cores) to %d",
                            requested, AM_THREADS_MAX);
    int cores = am_parallel_cores();
    const char *from = "requested";
    if (requested == 0) {
        /* all cores, or what OMP_NUM_THREADS says: a user's input too,
           under the same rule (the OpenMP runtime crashes on huge teams) */
        requested = am_parallel_threads(0);
        from = "from OMP_NUM_THREADS";
    }
    int cap = cores <= AM_THREADS_MAX / AM_THREADS_PER_CORE_MAX
                  ? AM_THREADS_PER_CORE_MAX * cores
                  : AM_THREADS_MAX;
    if (requested > cap) {
        am_warn(m->warn,
                "%d threads %s on %d core%s: using %d (more than %d per "
                "core only adds overhead)",
                requested, from, cores, cores == 1 ? "" : "s", cap,
                AM_THREADS_PER_CORE_MAX);
        requested = cap;
    }
    m->threads = am_parallel_threads(requested);
    return AM_OK;
}

/*
 * Every input the scenario reads (roads, population, each facility set) is
 * a regular file (roads and facilities may be folders) or a GDAL virtual
 * path: a FIFO or device would block the reader forever. The scenario file
 * itself was read by the parser, which checks it the same way.
 */
static am_status check_inputs(am_model *m, am_error *err)
{
    const am_scenario *s = m->s;
    char path[AM_PATH_MAX];
    am_status rc;
    if ((rc = am_engine_resolve(s, s->roads_path, m->roads_path, err)) !=
            AM_OK ||
        (rc = am_file_check_input(m->roads_path, 1, err)) != AM_OK)
        return rc;
    if ((rc = am_engine_resolve(s, s->population_path, m->pop_path, err)) !=
            AM_OK ||
        (rc = am_file_check_input(m->pop_path, 0, err)) != AM_OK)
        return rc;
    /* speed zone layers (issue 7): read before the roads, at build */
    const int nz = s->n_speed_zones;
    if (nz > 0) {
        m->zone_paths = am_calloc_array((size_t)nz, sizeof *m->zone_paths);
        m->fp_zones = am_calloc_array((size_t)nz, sizeof *m->fp_zones);
        m->zones = am_calloc_array((size_t)nz, sizeof *m->zones);
        m->zone_stats = am_calloc_array((size_t)nz, sizeof *m->zone_stats);
        if (m->zone_paths == NULL || m->fp_zones == NULL || m->zones == NULL ||
            m->zone_stats == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    for (int k = 0; k < nz; k++)
        if ((rc = am_engine_resolve(s, s->speed_zones[k].path, m->zone_paths[k],
                                    err)) != AM_OK ||
            (rc = am_file_check_input(m->zone_paths[k], 1, err)) != AM_OK)
            return rc;
    if ((rc = am_model_equity_inputs(m, err)) != AM_OK)
        return rc;
    /* each set's layer, fields, crs and filter (an open and one feature),
     * so that a mistake there is not found after the roads are read */
    for (int k = 0; k < s->n_facility_sets; k++)
        if ((rc = am_engine_resolve(s, s->facility_sets[k].path, path, err)) !=
                AM_OK ||
            (rc = am_file_check_input(path, 1, err)) != AM_OK ||
            (rc = am_scenario_probe_facilities(&s->facility_sets[k], path,
                                               err)) != AM_OK)
            return rc;
    return AM_OK;
}

/*
 * Refuses a model whose memory estimate is above the cap (max_memory, or a
 * share of physical memory / the cgroup limit). Called twice: at create,
 * from the population raster's header and the road file's size (n_cells
 * 0: a lower bound, everything but the per-cell part), and again once the
 * populated cells are counted, before snapping.
 */
static am_status memory_check(am_model *m, am_error *err)
{
    const am_scenario *s = m->s;
    am_status rc;
    am_memory_inputs in;
    memset(&in, 0, sizeof in);
    in.n_sets = s->n_facility_sets;
    in.n_measures = s->n_measures;
    in.surface = s->surface;                /* issue 9 */
    for (int k = 0; k < s->n_measures; k++) /* issue 9 */
        in.n_cover_measures +=
            s->measures[k].type == AM_MEASURE_TYPE_CAPACITY_COVERAGE;
    /* issue 9, facility tiers: combined indicators, and the higher sets
       the referral searches run from (engine/referral.c's pairs); the
       referral rows need the facilities, read after this check */
    in.n_combined = s->n_combined;
    for (int H = 0; H < s->n_facility_sets; H++) {
        int lower = 0;
        for (int L = 0; L < s->n_facility_sets; L++)
            lower |= s->facility_sets[L].tier > 0 &&
                     s->facility_sets[L].tier < s->facility_sets[H].tier;
        in.n_referral_sets += lower;
    }
    if (m->graph != NULL)
        in.graph_nodes = m->graph->n_nodes;
    if (m->pop != NULL) {
        in.nx = m->pop->grid.nx;
        in.ny = m->pop->grid.ny;
        in.n_cells = m->pop->n_cells;
    } else {
        am_population_options po = {m->pop_path, s->population_band, NULL, 0,
                                    NULL};
        am_population_header hd;
        if ((rc = am_population_probe(&po, &hd, err)) != AM_OK)
            return rc;
        in.nx = hd.nx;
        in.ny = hd.ny;
        m->raster_bytes =
            (uint64_t)hd.nx * (uint64_t)hd.ny * (uint64_t)hd.cell_bytes +
            m->eq_raster_bytes;
    }
    struct stat st;
    if (stat(m->roads_path, &st) == 0 && S_ISREG(st.st_mode))
        in.roads_bytes = (int64_t)st.st_size;

    const char *what = "physical memory";
    uint64_t cap = m->max_memory;
    if (cap == 0)
        cap = am_memory_limit_bytes(&what) / 100 * AM_DEFAULT_MEMORY_SHARE_PCT;
    /* GDAL's block cache under the cap (issue 9), counted in the estimate
       up to what the rasters read through it can fill */
    if (m->pop == NULL) {
        m->gdal_cache = am_memory_gdal_cache(cap, am_gdal_cache_default());
        am_gdal_cache_set(m->gdal_cache);
    }
    in.gdal_cache = m->gdal_cache;
    in.raster_bytes = m->raster_bytes;
    am_memory_estimate e = am_memory_estimate_run(&in);
    m->memory_estimate = e.total;
    m->memory_cap = cap;
    char est[32], capt[32], lim[64], cells[80] = "", hint[96];
    if (m->pop == NULL && cap > 0) {
        /* the reader stops as soon as the cells would not fit */
        m->max_cells = am_memory_max_cells(&in, cap);
        snprintf(m->max_cells_why, sizeof m->max_cells_why,
                 "what the memory cap of %s (%s) allows",
                 am_format_bytes(cap, capt, sizeof capt),
                 m->max_memory != 0 ? "--max-memory" : "default");
    }
    if (cap == 0 || e.total <= cap)
        return AM_OK;
    if (in.n_cells > 0)
        snprintf(cells, sizeof cells, ", %lld populated",
                 (long long)in.n_cells);
    if (m->max_memory != 0) {
        snprintf(lim, sizeof lim, "--max-memory");
        snprintf(hint, sizeof hint, "raise --max-memory above %s",
                 am_format_bytes(e.total, est, sizeof est));
    } else {
        snprintf(lim, sizeof lim, "%d %% of %s", AM_DEFAULT_MEMORY_SHARE_PCT,
                 what);
        snprintf(hint, sizeof hint, "or set the cap with --max-memory");
    }
    return am_error_set(
        err, AM_ERR_NOMEM, m->pop_path,
        "raster of %lld x %lld cells%s: the run needs about %s of "
        "memory%s, above the cap of %s (%s); use a coarser or smaller "
        "raster, %s",
        (long long)in.nx, (long long)in.ny, cells,
        am_format_bytes(e.total, est, sizeof est),
        in.n_cells > 0 ? "" : " before counting populated cells",
        am_format_bytes(cap, capt, sizeof capt), lim, hint);
}

void am_engine_input_policy(const am_scenario *s)
{
    am_network_allow(s->allow_network);
    const am_input_limits l = {s->limit_raster_cells, s->limit_road_features,
                               s->limit_facilities};
    am_input_limits_set(&l);
}

am_status am_model_create(const am_scenario *s, const am_model_options *opt,
                          am_model **out, am_error *err)
{
    return am_model_create_shared(s, opt, NULL, out, err);
}

am_status am_model_create_shared(const am_scenario *s,
                                 const am_model_options *opt, am_warnings *w,
                                 am_model **out, am_error *err)
{
    am_model_options def = am_model_options_default();
    am_status rc;
    if (out == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no model to create");
    *out = NULL;
    if (s == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no scenario");
    if (opt == NULL)
        opt = &def;
    if (s->n_cutoffs < 1 || s->n_measures < 1 || s->n_facility_sets < 1)
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "scenario not finalized (no cutoffs, measures "
                            "or facility sets)");
    am_engine_input_policy(s);
    am_model *m = am_calloc(1, sizeof *m);
    if (m == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    m->s = s;
    am_warnings_init(&m->own_warn, opt->warning, opt->warning_user);
    m->warn = w != NULL ? w : &m->own_warn;
    m->phases.progress = opt->progress;
    m->phases.progress_user = opt->progress_user;
    m->max_memory = opt->max_memory;
    m->reached = AM_STAGE_NONE;
    rc = choose_threads(m, opt->threads, err);
    if (rc == AM_OK)
        rc = check_inputs(m, err);
    /* PROJ's database (proj.db) is there: every stage needs WGS 84. */
    if (rc == AM_OK)
        rc = am_crs_check(AM_CRS_WGS84, "WGS 84", err);
    if (rc == AM_OK)
        rc = memory_check(m, err);
    m->cache_mode = opt->no_cache ? AM_MODEL_CACHE_OFF : AM_MODEL_CACHE_USE;
    if (rc == AM_OK && !opt->no_cache)
        rc = am_model_cache_path(s, m->cache_path, err);
    if (rc != AM_OK) {
        am_model_destroy(m);
        return rc;
    }
    *out = m;
    return AM_OK;
}

/* ---- stages ------------------------------------------------------------ */

/* Compared as integers: a floating comparison is not an integer constant
 * expression in C17 (clang refuses it; the limits are whole numbers). */
_Static_assert((long)AM_SPEED_ZONE_MULTIPLIER_MAX ==
                   (long)AM_ZONE_MULTIPLIER_MAX,
               "one range for a speed zone's multiplier");

/*
 * The speed zone layers (issue 7), each fingerprinted while it is read.
 * Read before the roads, so that a mistake in one is found in seconds,
 * not after the road network.
 */
static am_status load_zones(am_model *m, am_error *err)
{
    const am_scenario *s = m->s;
    am_status rc;
    if ((rc = am_phase_begin(&m->phases, "reading speed zones", err)) != AM_OK)
        return rc;
    for (int k = 0; k < s->n_speed_zones; k++) {
        if (m->zones[k] != NULL)
            continue; /* read by an earlier, interrupted build */
        const am_speed_zone *z = &s->speed_zones[k];
        am_zone_options zo = {m->zone_paths[k], z->layer,      z->where,
                              z->field,         z->multiplier, m->warn};
        am_fingerprint_job *fp;
        if ((rc = am_fingerprint_start(m->zone_paths[k], &fp, err)) != AM_OK)
            return rc;
        rc = am_zones_load(&zo, &m->zones[k], err);
        if (rc != AM_OK) {
            am_fingerprint_cancel(fp);
            return rc;
        }
        rc = am_fingerprint_finish(fp, m->fp_zones[k].hex, &m->fp_zones[k].size,
                                   err);
        if (rc != AM_OK)
            return rc;
    }
    return am_phase_end(&m->phases, "zones", err);
}

/*
 * The scenario's field mapping and joining as road options (issue 7, plain
 * GIS line layers). *table is the class table ro borrows: free it after
 * the load; the one-way value lists are borrowed from the scenario.
 */
static am_status road_mapping_options(const am_scenario *s, am_road_options *ro,
                                      am_road_oneway_values *ov,
                                      am_road_class_speed **table,
                                      am_error *err)
{
    *table = NULL;
    ro->join_tolerance_m = s->roads_join_tolerance_m;
    ro->join_all_vertices = s->roads_join_all_vertices;
    ro->join_crossings = s->roads_join_crossings;
    if (s->roads_class_field != NULL) {
        ro->speed_source = AM_ROAD_SPEED_CLASS;
        ro->speed_field = s->roads_class_field;
        ro->default_speed_kmh = s->roads_default_speed_kmh;
        if (s->n_roads_class_speeds > 0) {
            *table =
                am_alloc_array((size_t)s->n_roads_class_speeds, sizeof **table);
            if (*table == NULL)
                return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
            for (int i = 0; i < s->n_roads_class_speeds; i++)
                (*table)[i] =
                    (am_road_class_speed){s->roads_class_speeds[i].klass,
                                          s->roads_class_speeds[i].kmh};
        }
        ro->class_speeds = *table;
        ro->n_class_speeds = *table != NULL ? s->n_roads_class_speeds : 0;
    } else if (s->roads_speed_field != NULL) {
        ro->speed_source = AM_ROAD_SPEED_FIELD;
        ro->speed_field = s->roads_speed_field;
    } else if (s->roads_time_field != NULL) {
        ro->speed_source = AM_ROAD_TIME_FIELD;
        ro->speed_field = s->roads_time_field;
        ro->time_unit_s = s->roads_time_unit != NULL &&
                                  strcmp(s->roads_time_unit, "seconds") == 0
                              ? 1.0
                              : 60.0;
    }
    ro->oneway_field = s->roads_oneway_field;
    if (s->roads_oneway_values[0] != NULL ||
        s->roads_oneway_values[1] != NULL ||
        s->roads_oneway_values[2] != NULL) {
        *ov = (am_road_oneway_values){
            (const char *const *)s->roads_oneway_values[0],
            s->n_roads_oneway_values[0],
            (const char *const *)s->roads_oneway_values[1],
            s->n_roads_oneway_values[1],
            (const char *const *)s->roads_oneway_values[2],
            s->n_roads_oneway_values[2]};
        ro->oneway_values = ov;
    }
    return AM_OK;
}

/* The road layer read into m->roads, its fingerprint taken alongside
 * (in the background) unless already known (the cache's key needs it). */
static am_status read_roads(am_model *m, am_error *err)
{
    const am_scenario *s = m->s;
    am_road_options ro;
    am_road_oneway_values ov;
    am_road_class_speed *table = NULL;
    am_fingerprint_job *fp = NULL;
    memset(&ro, 0, sizeof ro);
    ro.path = m->roads_path;
    ro.layer = s->roads_layer;
    ro.where = s->roads_where;
    ro.warnings = m->warn;
    ro.threads = m->threads;
    am_profile prof;
    am_status rc = am_scenario_profile(s, &prof, err);
    if (rc != AM_OK)
        return rc;
    ro.profile = &prof;
    if ((rc = road_mapping_options(s, &ro, &ov, &table, err)) != AM_OK)
        goto cleanup;
    if (m->fp_roads.hex[0] != '\0') {
        rc = am_roads_load(&ro, am_phase_progress, &m->phases, &m->roads, err);
        goto cleanup;
    }
    /* hashed in the background while the loader reads the same file */
    if ((rc = am_fingerprint_start(m->roads_path, &fp, err)) != AM_OK)
        goto cleanup;
    rc = am_roads_load(&ro, am_phase_progress, &m->phases, &m->roads, err);
    if (rc != AM_OK) {
        am_fingerprint_cancel(fp);
        goto cleanup;
    }
    rc = am_fingerprint_finish(fp, m->fp_roads.hex, &m->fp_roads.size, err);
cleanup:
    am_free(table);
    return rc;
}

static am_status build_roads(am_model *m, am_error *err)
{
    const am_scenario *s = m->s;
    am_status rc;
    if (s->n_speed_zones > 0 && (rc = load_zones(m, err)) != AM_OK)
        return rc;
    if ((rc = am_phase_begin(&m->phases, "reading roads", err)) != AM_OK)
        return rc;
    if (m->cache_mode != AM_MODEL_CACHE_OFF && m->cache_path[0] != '\0')
        rc = am_model_roads_cached(m, read_roads, err);
    else
        rc = read_roads(m, err);
    /* zones apply to the network as read or loaded: they are not part of
     * the cache's key */
    if (rc == AM_OK && s->n_speed_zones > 0)
        rc = am_zones_apply(m->roads, s->n_speed_zones,
                            (const am_zone_layer *const *)m->zones, m->threads,
                            m->zone_stats, err);
    if (rc == AM_OK) /* issue 12, a variant's speed multiplier */
        am_roads_scale_times(m->roads, s->roads_speed_scale);
    if (rc != AM_OK)
        return rc;
    return am_phase_end(
        &m->phases, m->roads_from_cache ? "roads (prepared)" : "roads", err);
}

/*
 * m->frame and m->to_metric centred on box, and the nodes in that frame
 * (x, y: [n_nodes], caller's); m->frame_x_max. *n_far: nodes farther than
 * AM_CRS_FRAME_ACCURATE_M east or west of the central meridian (|x|: the
 * transverse Mercator's scale depends on it alone); *far_m: the farthest
 * |x| of them, 0 when none.
 */
static am_status frame_at(am_model *m, const double box[4], double *x,
                          double *y, int32_t *n_far, double *far_m,
                          am_error *err)
{
    const am_road_network *r = m->roads;
    am_transform_destroy(m->to_metric);
    m->to_metric = NULL;
    m->frame_x_max = 0.0;
    am_status rc = am_crs_metric_frame(box[0], box[1], box[2], box[3], m->frame,
                                       sizeof m->frame, err);
    if (rc == AM_OK)
        rc = am_transform_create(AM_CRS_WGS84, m->frame, &m->to_metric, err);
    if (rc != AM_OK)
        return rc;
    memcpy(x, r->lon, sizeof *x * (size_t)r->n_nodes);
    memcpy(y, r->lat, sizeof *y * (size_t)r->n_nodes);
    rc = am_transform_points_parallel(m->to_metric, (size_t)r->n_nodes, x, y,
                                      m->threads, NULL, err);
    int32_t far = 0;
    double far_d = 0.0, x_max = 0.0;
    for (int32_t i = 0; rc == AM_OK && i < r->n_nodes; i++) {
        const double d = fabs(x[i]);
        if (!isfinite(d) || !isfinite(y[i]))
            continue; /* not transformed: in no segment */
        x_max = d > x_max ? d : x_max;
        if (d <= AM_CRS_FRAME_ACCURATE_M)
            continue;
        far_d = d > far_d ? d : far_d;
        far++;
    }
    m->frame_x_max = x_max;
    *n_far = far;
    *far_m = far_d;
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * A network wider than the frame's accurate range (a stray feature far
 * away, a continent): the frame moves to the bulk of the nodes, the
 * extent of those within AM_CRS_FRAME_ACCURATE_M of the nodes' median
 * lon/lat (planar distance in a frame centred there, at least the
 * geodesic one as the scale is >= 1; it also leaves out whatever lies
 * beyond a pole, where the frame's y runs past 10^7 m), so that a few
 * stray nodes no longer pull the centre (and the scale error) away from
 * where the people are. x, y come back in the new frame.
 */
static am_status frame_on_bulk(am_model *m, double *x, double *y,
                               int32_t *n_far, double *far_m, am_error *err)
{
    const am_road_network *r = m->roads;
    const int32_t n = r->n_nodes;
    const double *box = m->net_box;
    am_status rc = AM_OK;
    double *lon = am_alloc_array((size_t)n, sizeof *lon);
    double *lat = am_alloc_array((size_t)n, sizeof *lat);
    if (lon == NULL || lat == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory placing the metric frame");
        goto done;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(r->lon[i]) || !isfinite(r->lat[i]))
            continue;
        double u = r->lon[i]; /* on the extent's arc (it may cross 180) */
        if (box[2] > 180.0) {
            u = remainder(u, 360.0);
            if (u < box[0])
                u += 360.0;
        }
        lon[k] = u;
        lat[k] = r->lat[i];
        k++;
    }
    if (k == 0)
        goto done;
    qsort(lon, (size_t)k, sizeof *lon, cmp_double);
    qsort(lat, (size_t)k, sizeof *lat, cmp_double);
    const double mid[4] = {lon[k / 2], lat[k / 2], lon[k / 2], lat[k / 2]};
    if ((rc = frame_at(m, mid, x, y, n_far, far_m, err)) != AM_OK)
        goto done;
    for (int32_t i = 0; i < n; i++) {
        const int near = hypot(x[i], y[i]) <= AM_CRS_FRAME_ACCURATE_M;
        lon[i] = near ? r->lon[i] : NAN;
        lat[i] = near ? r->lat[i] : NAN;
    }
    double bulk[4];
    am_crs_lonlat_extent(n, lon, lat, bulk);
    if (bulk[0] <= bulk[2]) /* else no node near the median: keep it */
        rc = frame_at(m, bulk, x, y, n_far, far_m, err);
done:
    am_free(lon);
    am_free(lat);
    return rc;
}

/*
 * The local metric frame and the nodes in it (x, y: [n_nodes], caller's).
 * Centred on the network's extent (an arc across the antimeridian where
 * the network straddles it); a network wider than the frame's accurate
 * range gets the frame on its bulk and a warning naming how many nodes lie
 * beyond it, how far, and the frame's scale error there. (Snapping stays
 * right there: it decides on the geodesic distance and widens its search
 * by the scale, geo/snap.h; the warning is mostly about stray features.)
 */
static am_status build_frame(am_model *m, double *x, double *y, am_error *err)
{
    const am_road_network *r = m->roads;
    int32_t n_far = 0;
    double far_m = 0.0;
    am_crs_lonlat_extent(r->n_nodes, r->lon, r->lat, m->net_box);
    am_status rc = frame_at(m, m->net_box, x, y, &n_far, &far_m, err);
    if (rc == AM_OK && n_far > 0)
        rc = frame_on_bulk(m, x, y, &n_far, &far_m, err);
    if (rc != AM_OK || n_far == 0)
        return rc;
    const double *b = m->net_box;
    am_warn(m->warn,
            "%s: the road network spans lon %.6g..%.6g, lat %.6g..%.6g: %d "
            "of %d nodes lie more than %.0f km east or west of the central "
            "meridian of the metric frame (%s), up to %.0f km, where the "
            "frame's scale is off by up to %.3g %% (snapping still measures "
            "its distance on the ground; a stray feature far from the study "
            "area? clip the roads to it, e.g. ogr2ogr -spat)",
            m->roads_path, b[0], b[2], b[1], b[3], (int)n_far, (int)r->n_nodes,
            AM_CRS_FRAME_ACCURATE_M / 1000.0, m->frame, far_m / 1000.0,
            100.0 * am_crs_frame_scale_error(far_m));
    return AM_OK;
}

/* Threads for a pass over `items` items of the graph phase: fewer for
 * small inputs (a parallel region costs more than it saves there). */
static int graph_threads(const am_model *m, int64_t items)
{
    const int nt = am_parallel_threads(m->threads);
    const int64_t most = items / 65536;
    return most < 1 ? 1 : (int64_t)nt > most ? (int)most : nt;
}

/*
 * The strongly connected components of the roads as read (every vertex a
 * node, so that snap.components' sizes count road vertices, as measured in
 * docs/networks.md, whatever the contraction; ferries left out) and the
 * mask of the vertices points may snap onto (m->allowed;
 * engine/components.c).
 */
static am_status build_components(am_model *m, am_error *err)
{
    am_road_network *r = m->roads;
    const int32_t n = r->n_nodes;
    am_graph *g0 = NULL;
    /* Ferries left out: which roads people may snap onto must not depend
     * on whether ferries are used, or turning them on could move people
     * onto a pier reached only by boat (a slower trip than before). */
    /* in blocks: the roads of each counted, prefix-summed, copied in
     * order (the same list whatever the threads) */
    const int nt = graph_threads(m, r->n_arcs);
    int64_t *blk = am_calloc_array((size_t)nt + 1, sizeof *blk);
    int64_t m_roads = 0;
    am_status rc = AM_OK;
    if (blk == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the road components");
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, r, blk)
    for (int b = 0; b < nt; b++)
        for (int64_t a = r->n_arcs * b / nt; a < r->n_arcs * (b + 1) / nt; a++)
            blk[b + 1] += (r->arc_flags[a] & AM_ARC_FERRY) == 0;
    for (int b = 0; b < nt; b++)
        blk[b + 1] += blk[b];
    m_roads = blk[nt];
    const size_t m1 = (size_t)(m_roads > 0 ? m_roads : 1);
    int32_t *t = am_alloc_array(m1, sizeof *t);
    int32_t *h = am_alloc_array(m1, sizeof *h);
    uint32_t *w = am_alloc_array(m1, sizeof *w);
    if (t == NULL || h == NULL || w == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory for the road components");
    if (rc == AM_OK) {
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, r, blk, t, h, w)
        for (int b = 0; b < nt; b++) {
            int64_t k = blk[b];
            for (int64_t a = r->n_arcs * b / nt; a < r->n_arcs * (b + 1) / nt;
                 a++)
                if ((r->arc_flags[a] & AM_ARC_FERRY) == 0) {
                    t[k] = r->tail[a];
                    h[k] = r->head[a];
                    w[k++] = r->time_ds[a];
                }
        }
    }
    am_free(blk);
    if (rc == AM_OK)
        rc = am_graph_build_threads(n, m_roads, t, h, w, m->threads, &g0, err);
    am_free(t);
    am_free(h);
    am_free(w);
    if (rc == AM_OK)
        rc = am_components_compute_threads(g0, m->threads, &m->components, err);
    if (rc == AM_OK &&
        (m->allowed = am_alloc_array((size_t)(n > 0 ? n : 1),
                                     sizeof *m->allowed)) == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    if (rc == AM_OK) {
        const int32_t n_allowed = am_snap_allowed_mask(
            m->components, m->s, m->allowed, &m->n_allowed_components);
        m->nodes_disallowed = n - n_allowed;
        const uint8_t *allowed = m->allowed;
        int64_t arcs_off = 0;
#pragma omp parallel for num_threads(nt) schedule(static)                      \
    reduction(+ : arcs_off) default(none) shared(n, allowed, g0)
        for (int32_t v = 0; v < n; v++)
            if (!allowed[v])
                arcs_off += g0->first_out[v + 1] - g0->first_out[v];
        m->arcs_disallowed += arcs_off;
    }
    am_graph_destroy(g0);
    return rc;
}

/*
 * The segments points snap onto (both chain ends allowed by
 * snap.components: m->seg) and the others (m->frag_seg: only to report who
 * would have landed on a small component), each with its index. x, y: the
 * vertices in the metric frame.
 */
static am_status build_segments(am_model *m, const am_contraction *c,
                                const double *x, const double *y, am_error *err)
{
    am_road_network *r = m->roads;
    am_segment *all = NULL;
    int32_t n_all = 0;
    /* every AM_ARC_* flag (ferries) marks an arc no point snaps onto */
    const am_segment_chains ch = {m->graph->n_nodes, c->in_node, c->in_ds,
                                  c->out_node,       c->out_ds,  r->arc_flags};
    am_status rc = am_segments_from_chains_threads(
        r->n_nodes, r->n_arcs, r->tail, r->head, r->time_ds, &ch, NULL,
        m->threads, &all, &n_all, err);
    if (rc != AM_OK)
        return rc;
    /* in blocks: counted, prefix-summed, split in order */
    const int nt = graph_threads(m, n_all);
    int64_t *blk = am_calloc_array(2 * ((size_t)nt + 1), sizeof *blk);
    if (blk == NULL) {
        am_free(all);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for %d road segments", (int)n_all);
    }
    int64_t *bok = blk, *bfr = blk + nt + 1;
    const uint8_t *allowed = m->allowed;
    const int32_t *vertex = m->node_vertex;
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n_all, all, allowed, vertex, bok, bfr)
    for (int b = 0; b < nt; b++)
        for (int64_t k = (int64_t)n_all * b / nt;
             k < (int64_t)n_all * (b + 1) / nt; k++) {
            if (allowed[vertex[all[k].a]] && allowed[vertex[all[k].b]])
                bok[b + 1]++;
            else
                bfr[b + 1]++;
        }
    for (int b = 0; b < nt; b++) {
        bok[b + 1] += bok[b];
        bfr[b + 1] += bfr[b];
    }
    const int32_t n_ok = (int32_t)bok[nt];
    const int32_t n_frag = n_all - n_ok;
    m->seg = am_alloc_array((size_t)(n_ok > 0 ? n_ok : 1), sizeof *m->seg);
    m->frag_seg =
        am_alloc_array((size_t)(n_frag > 0 ? n_frag : 1), sizeof *m->frag_seg);
    if (m->seg == NULL || m->frag_seg == NULL) {
        am_free(all);
        am_free(blk);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for %d road segments", (int)n_all);
    }
    am_segment *seg = m->seg, *frag = m->frag_seg;
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(nt, n_all, all, allowed, vertex, bok, bfr, seg, frag)
    for (int b = 0; b < nt; b++) {
        int64_t i = bok[b], j = bfr[b];
        for (int64_t k = (int64_t)n_all * b / nt;
             k < (int64_t)n_all * (b + 1) / nt; k++) {
            if (allowed[vertex[all[k].a]] && allowed[vertex[all[k].b]])
                seg[i++] = all[k];
            else
                frag[j++] = all[k];
        }
    }
    m->n_seg = n_ok;
    m->n_frag_seg = n_frag;
    am_free(blk);
    am_free(all);
    rc = am_segment_index_build_threads(m->n_seg, m->seg, r->n_nodes, x, y,
                                        m->threads, &m->seg_index);
    if (rc == AM_OK && m->n_frag_seg > 0)
        rc = am_segment_index_build_threads(m->n_frag_seg, m->frag_seg,
                                            r->n_nodes, x, y, m->threads,
                                            &m->frag_index);
    if (rc != AM_OK)
        rc = am_error_set(err, rc, NULL,
                          rc == AM_ERR_NOMEM ? "out of memory"
                                             : "segment index: a segment "
                                               "names a vertex beyond the "
                                               "network");
    return rc;
}

/*
 * The contracted graph's nodes renumbered along a Hilbert curve over
 * their vertices' places in the metric frame (x, y: [roads' vertices];
 * kernels/order.h), so that nodes near on the ground have near ids: every
 * search, catchment and node-indexed row then reads memory in runs. Every
 * node id (graph, node_vertex, the chain ends the segments name) follows.
 */
static am_status order_nodes(am_model *m, am_contraction *c, const double *x,
                             const double *y, am_error *err)
{
    const int32_t n = c->g->n_nodes;
    const size_t n1 = (size_t)(n > 0 ? n : 1);
    double *gx = am_alloc_array(n1, sizeof *gx);
    double *gy = am_alloc_array(n1, sizeof *gy);
    int32_t *order = am_alloc_array(n1, sizeof *order);
    am_status rc = AM_OK;
    if (gx == NULL || gy == NULL || order == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory ordering %d nodes", (int)n);
        goto done;
    }
#pragma omp parallel for num_threads(graph_threads(m, n))                      \
    schedule(static) default(none) shared(n, gx, gy, x, y, c)
    for (int32_t k = 0; k < n; k++) {
        gx[k] = x[c->old_id[k]];
        gy[k] = y[c->old_id[k]];
    }
    rc = am_order_hilbert(n, gx, gy, m->threads, order, err);
    if (rc == AM_OK)
        rc = am_contraction_renumber(c, order, m->threads, err);
done:
    am_free(gx);
    am_free(gy);
    am_free(order);
    return rc;
}

/*
 * The search graph: the roads' degree-2 chains contracted into single arcs
 * (kernels/contract.h; times between junctions unchanged), chains no
 * longer than AM_CHAIN_MAX_M so that two points on one chain, joined
 * through its ends, are at most that chain's driving time too far apart. The
 * segment table keeps the roads' own geometry: points snap onto the road as
 * drawn and reach the chain's ends. Before it, the components
 * (snap.components) on the roads as read.
 */
static am_status build_graph(am_model *m, am_error *err)
{
    am_road_network *r = m->roads;
    am_contraction *c = NULL;
    double *x = NULL, *y = NULL;
    am_status rc;
    if ((rc = am_phase_begin(&m->phases, "building graph", err)) != AM_OK)
        return rc;
    if ((rc = build_components(m, err)) != AM_OK) {
        am_err_file_default(err, m->roads_path);
        return rc;
    }
    /* the vertices in the metric frame: the segments' geometry, and the
     * nodes' order along the ground */
    x = am_alloc_array((size_t)(r->n_nodes > 0 ? r->n_nodes : 1), sizeof *x);
    y = am_alloc_array((size_t)(r->n_nodes > 0 ? r->n_nodes : 1), sizeof *y);
    if (x == NULL || y == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory indexing %d nodes", (int)r->n_nodes);
        goto done;
    }
    if ((rc = build_frame(m, x, y, err)) != AM_OK) {
        am_err_file_default(err, m->roads_path);
        goto done;
    }
    /* the cap sums lengths, whole metres rounded up */
    uint32_t *len =
        am_alloc_array((size_t)(r->n_arcs > 0 ? r->n_arcs : 1), sizeof *len);
    if (len == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                          "out of memory contracting %lld arcs",
                          (long long)r->n_arcs);
        goto done;
    }
    const int nt = graph_threads(m, r->n_arcs);
#pragma omp parallel for num_threads(nt) schedule(static) default(none)        \
    shared(r, len)
    for (int64_t a = 0; a < r->n_arcs; a++) {
        const double l = ceil((double)r->len_m[a]);
        len[a] = l >= 0.0 && l < 4e9 ? (uint32_t)l : 4000000000u;
    }
    /* A vertex where a ferry meets a road stays a node: a chain is all
     * road or all ferry, so that a road's chain ends (which decide
     * whether points may snap onto it) are road vertices. */
    uint8_t *keep = am_calloc((size_t)(r->n_nodes > 0 ? r->n_nodes : 1), 2);
    if (keep == NULL) {
        am_free(len);
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    /* an OR in any order: the same bytes whatever the threads */
#pragma omp parallel num_threads(nt) default(none) shared(r, keep)
    {
#pragma omp for schedule(static)
        for (int64_t a = 0; a < r->n_arcs; a++) {
            const uint8_t bit = (r->arc_flags[a] & AM_ARC_FERRY) ? 2 : 1;
            if ((keep[r->tail[a]] & bit) == 0) {
#pragma omp atomic update
                keep[r->tail[a]] |= bit;
            }
            if ((keep[r->head[a]] & bit) == 0) {
#pragma omp atomic update
                keep[r->head[a]] |= bit;
            }
        }
#pragma omp for schedule(static)
        for (int32_t v = 0; v < r->n_nodes; v++)
            keep[v] = keep[v] == 3;
    }
    rc = am_graph_contract_threads(r->n_nodes, r->n_arcs, r->tail, r->head,
                                   r->time_ds, keep, len, AM_CHAIN_MAX_M,
                                   m->threads, &c, err);
    am_free(keep);
    am_free(len);
    if (rc == AM_OK)
        rc = order_nodes(m, c, x, y, err);
    if (rc == AM_OK) {
        m->contraction = am_contraction_stats_of(c, AM_CHAIN_MAX_M);
        m->graph = c->g;
        c->g = NULL;
        m->node_vertex = c->old_id;
        c->old_id = NULL;
        rc = am_graph_reverse_threads(m->graph, m->threads, &m->graph_rev, err);
    }
    if (rc != AM_OK) {
        am_err_file_default(err, m->roads_path);
        goto done;
    }
    rc = build_segments(m, c, x, y, err);
    if (rc == AM_OK)
        rc = am_phase_end(&m->phases, "graph", err);
done:
    am_contraction_destroy(c);
    am_free(x);
    am_free(y);
    return rc;
}

static am_status build_population(am_model *m, am_error *err)
{
    const am_scenario *s = m->s;
    am_population_options po = {.path = m->pop_path,
                                .band = s->population_band,
                                .warnings = m->warn,
                                .max_cells = m->max_cells,
                                .max_cells_why = m->max_cells_why};
    am_status rc;
    if ((rc = am_phase_begin(&m->phases, "reading population", err)) != AM_OK)
        return rc;
    am_fingerprint_job *fp;
    if ((rc = am_fingerprint_start(m->pop_path, &fp, err)) != AM_OK)
        return rc;
    rc = am_population_load(&po, am_phase_progress, &m->phases, &m->pop, err);
    if (rc != AM_OK)
        am_fingerprint_cancel(fp);
    else
        rc = am_fingerprint_finish(fp, m->fp_pop.hex, &m->fp_pop.size, err);
    if (rc == AM_OK)
        rc = am_phase_end(&m->phases, "population", err);
    if (rc == AM_OK) /* the full estimate, now that the cells are known */
        rc = memory_check(m, err);
    if (rc == AM_OK) /* issue 9: the zones of the populated cells */
        rc = am_model_equity_zones(m, err);
    return rc;
}

am_status am_model_snap_points(const am_model *m, int32_t n, const double *lon,
                               const double *lat, am_snap_role role,
                               am_snapped *out, int32_t *n_on, am_phases *log,
                               am_error *err)
{
    *n_on = 0;
    out->node = am_alloc_array((size_t)n, 2 * sizeof *out->node);
    out->offset_ds = am_alloc_array((size_t)n, 2 * sizeof *out->offset_ds);
    out->dist_m = am_alloc_array((size_t)n, sizeof *out->dist_m);
    if (m->frag_index != NULL) {
        out->frag_dist_m = am_alloc_array((size_t)n, sizeof *out->frag_dist_m);
        out->frag_node = am_alloc_array((size_t)n, sizeof *out->frag_node);
    }
    if (!out->node || !out->dist_m || !out->offset_ds ||
        (m->frag_index != NULL && (!out->frag_dist_m || !out->frag_node)))
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory snapping %d points", (int)n);
    /* the frame's scale over the segments and the snap distance around
     * them (geo/snap.h: the search's radius, never its answer) */
    const double scale =
        am_crs_frame_max_scale(m->frame_x_max, m->s->snap_max_m);
    const am_snap_target t = {m->seg_index,
                              m->seg,
                              m->n_seg,
                              m->to_metric,
                              m->roads->n_nodes,
                              m->roads->lon,
                              m->roads->lat,
                              m->node_vertex,
                              scale};
    const am_snap_fragments fr = {m->frag_index, m->frag_seg, m->n_frag_seg,
                                  out->frag_dist_m, out->frag_node};
    am_snap_options o = am_snap_options_default();
    o.max_distance_m = m->s->snap_max_m;
    o.walk_speed_kmh = m->s->walk_speed_kmh;
    o.role = role;
    o.threads = m->threads;
    if (log != NULL) {
        o.progress = am_phase_progress;
        o.progress_user = log;
    }
    return am_snap_points_fragments(
        &t, n, lon, lat, &o, out->node, out->offset_ds, out->dist_m,
        m->frag_index != NULL ? &fr : NULL, n_on, err);
}

/* The populated cells' centres in WGS 84, checked against the network. */
static am_status cell_lonlat(am_model *m, double *lon, double *lat,
                             am_error *err)
{
    const am_population *p = m->pop;
    const int32_t n = p->n_cells;
    am_transform *to_ll = NULL;
    am_status rc = am_transform_create(p->crs_wkt, AM_CRS_WGS84, &to_ll, err);
    if (rc == AM_OK)
        rc = am_snap_cell_centers(&p->grid, to_ll, n, p->cell, m->threads, lon,
                                  lat, NULL, err);
    am_transform_destroy(to_ll);
    if (rc != AM_OK) {
        am_err_file_default(err, m->pop_path);
        return rc;
    }
    /* Longitudes compared modulo 360: a raster in 0..360 over a network
     * in -180..180 is the same place (PROJ and the geodesic wrap them). */
    double pop_box[4];
    const double *net_box = m->net_box;
    am_crs_lonlat_extent(n, lon, lat, pop_box);
    if (!am_crs_extents_overlap(pop_box, net_box, m->s->snap_max_m))
        return am_error_set(
            err, AM_ERR_NO_OVERLAP, m->pop_path,
            "populated cells (lon %.10g..%.10g, lat %.10g..%.10g) do not "
            "overlap the road network %s (lon %.10g..%.10g, lat "
            "%.10g..%.10g)",
            pop_box[0], pop_box[2], pop_box[1], pop_box[3], m->roads_path,
            net_box[0], net_box[2], net_box[1], net_box[3]);
    return AM_OK;
}

static am_status build_snap(am_model *m, am_error *err)
{
    am_population *p = m->pop;
    am_status rc = AM_OK;
    int32_t n = p->n_cells;
    double *lon = am_alloc_array((size_t)n, sizeof *lon);
    double *lat = am_alloc_array((size_t)n, sizeof *lat);
    if (lon == NULL || lat == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, m->pop_path,
                          "out of memory for %d cells", (int)n);
        goto done;
    }
    if ((rc = am_phase_begin(&m->phases, "snapping population", err)) != AM_OK)
        goto done;
    if ((rc = cell_lonlat(m, lon, lat, err)) != AM_OK)
        goto done;
    int32_t n_on = 0;
    rc = am_model_snap_points(m, n, lon, lat, AM_SNAP_ORIGIN, &m->cell_snap,
                              &n_on, &m->phases, err);
    if (rc != AM_OK)
        goto done;
    if (n_on == 0 && m->n_frag_seg > 0 &&
        m->n_seg < m->n_frag_seg) { /* the roads are there, on fragments */
        char rule[96];
        am_snap_rule_describe(m->s, rule, sizeof rule);
        rc = am_error_set(err, AM_ERR_NO_OVERLAP, m->pop_path,
                          "no populated cell is within snap.max_distance_m "
                          "= %g m of a road that snap.components allows "
                          "(%s; the largest strongly connected component of "
                          "%s has %d %s, and %d road segments lie on "
                          "smaller ones: one-way roads with no way back?); "
                          "set snap.components: all, or a smaller min_nodes",
                          m->s->snap_max_m, rule, m->roads_path,
                          (int)m->components->size[0],
                          m->components->size[0] == 1 ? "vertex" : "vertices",
                          (int)m->n_frag_seg);
        goto done;
    }
    if (n_on == 0) {
        rc = am_error_set(err, AM_ERR_NO_OVERLAP, m->pop_path,
                          "no populated cell is within snap.max_distance_m "
                          "= %g m of a routable road of %s",
                          m->s->snap_max_m, m->roads_path);
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        if (m->cell_snap.node[2 * i] < 0 && m->cell_snap.node[2 * i + 1] < 0) {
            m->pop_off_network += p->pop[i];
            m->cells_off_network++;
        }
    }
    rc = am_model_fragment_moves(m, n, p->pop, &m->cell_snap, &m->cell_moves,
                                 err);
    /* the fragment check is done with: its 12 bytes a cell go */
    am_free(m->cell_snap.frag_dist_m);
    am_free(m->cell_snap.frag_node);
    m->cell_snap.frag_dist_m = NULL;
    m->cell_snap.frag_node = NULL;
    if (rc == AM_OK && m->s->components_error &&
        m->cell_moves.moved + m->cell_moves.stranded > 0)
        rc = am_fragment_error(m, &m->cell_moves, "cells", m->pop_path, lon,
                               lat, err);
    if (rc != AM_OK)
        goto done;
    rc = am_demand_build_threads(n, m->graph->n_nodes, m->cell_snap.node,
                                 m->cell_snap.offset_ds, p->pop, m->threads,
                                 &m->demand, err);
    if (rc != AM_OK)
        goto done;
    /* Catchments store only these nodes: no measure reads the others. */
    m->demand_nodes = am_alloc_array((size_t)m->demand->n_nodes, 1);
    if (m->demand_nodes == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    const am_demand *dm = m->demand;
    uint8_t *dn = m->demand_nodes;
    int32_t n_dn = 0;
#pragma omp parallel for num_threads(graph_threads(m, dm->n_nodes))            \
    schedule(static) reduction(+ : n_dn) default(none) shared(dm, dn)
    for (int32_t v = 0; v < dm->n_nodes; v++) {
        dn[v] = dm->first[v + 1] > dm->first[v];
        n_dn += dn[v];
    }
    m->n_demand_nodes += n_dn;
    rc = am_phase_end(&m->phases, "snap", err);
done:
    am_free(lon);
    am_free(lat);
    return rc;
}

am_status am_model_build_to(am_model *m, am_model_stage stage, am_error *err)
{
    if (m == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no model");
    if (stage > AM_STAGE_SNAP)
        stage = AM_STAGE_SNAP;
    am_status rc = AM_OK;
    while (rc == AM_OK && m->reached < stage) {
        switch (m->reached + 1) {
        case AM_STAGE_ROADS:
            rc = build_roads(m, err);
            break;
        case AM_STAGE_GRAPH:
            rc = build_graph(m, err);
            break;
        case AM_STAGE_POPULATION:
            rc = build_population(m, err);
            break;
        default:
            rc = build_snap(m, err);
            break;
        }
        if (rc == AM_OK)
            m->reached++;
    }
    return rc;
}

am_status am_model_build(am_model *m, am_error *err)
{
    return am_model_build_to(m, AM_STAGE_SNAP, err);
}

am_model_stage am_model_reached(const am_model *m)
{
    return m != NULL ? m->reached : AM_STAGE_NONE;
}

void am_model_destroy(am_model *m)
{
    if (m == NULL)
        return;
    am_free(m->demand_nodes);
    am_demand_destroy(m->demand);
    am_snapped_free(&m->cell_snap);
    am_transform_destroy(m->to_metric);
    am_segment_index_destroy(m->seg_index);
    am_free(m->seg);
    am_segment_index_destroy(m->frag_index);
    am_free(m->frag_seg);
    am_free(m->allowed);
    am_components_destroy(m->components);
    am_population_destroy(m->pop);
    am_graph_destroy(m->graph_rev);
    am_graph_destroy(m->graph);
    am_free(m->node_vertex);
    am_road_network_destroy(m->roads);
    for (int k = 0; m->zones != NULL && k < m->s->n_speed_zones; k++)
        am_zone_layer_destroy(m->zones[k]);
    am_free(m->zones);
    am_free(m->zone_stats);
    am_free(m->fp_zones);
    am_free(m->zone_paths);
    am_model_equity_free(m);
    am_phases_free(&m->phases);
    am_warnings_clear(&m->own_warn);
    am_free(m);
}

/* ---- queries ------------------------------------------------------------ */

int32_t am_model_node_count(const am_model *m)
{
    return m != NULL && m->graph != NULL ? m->graph->n_nodes : 0;
}

int32_t am_model_cell_count(const am_model *m)
{
    return m != NULL && m->pop != NULL ? m->pop->n_cells : 0;
}

const int64_t *am_model_cell_ids(const am_model *m)
{
    return m != NULL && m->pop != NULL ? m->pop->cell : NULL;
}

const double *am_model_cell_population(const am_model *m)
{
    return m != NULL && m->pop != NULL ? m->pop->pop : NULL;
}

const int32_t *am_model_cell_link_nodes(const am_model *m)
{
    return m != NULL && m->reached >= AM_STAGE_SNAP ? m->cell_snap.node : NULL;
}

const uint32_t *am_model_cell_link_offsets_ds(const am_model *m)
{
    return m != NULL && m->reached >= AM_STAGE_SNAP ? m->cell_snap.offset_ds
                                                    : NULL;
}

void am_model_grid_size(const am_model *m, int32_t *nx, int32_t *ny)
{
    int have = m != NULL && m->pop != NULL;
    if (nx != NULL)
        *nx = have ? m->pop->grid.nx : 0;
    if (ny != NULL)
        *ny = have ? m->pop->grid.ny : 0;
}

int am_model_threads(const am_model *m)
{
    return m != NULL ? m->threads : 0;
}

int32_t am_model_catchment_capacity(const am_model *m)
{
    return m != NULL ? m->n_demand_nodes : 0;
}
