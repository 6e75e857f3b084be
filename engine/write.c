/*
 * write.c: the HDF5 file of a run (layout: docs/hdf5-layout.md), written
 * through outputs/h5_writer (atomic: a temporary renamed when complete).
 *
 * Per facility set: nearest time and site rasters, one raster per measure,
 * the facility table and the coverage table; the population raster and
 * the run's provenance at the root.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "engine/internal.h"
#include "engine/sysinfo.h"
#include "outputs/h5_writer.h"

/* What the writer's functions share. */
typedef struct wctx {
    const am_write_request *w;
    const am_model *m;
    const am_scenario *s;
    am_error *err;
    am_phases *log;
    /* write phase progress: rasters finished, of write_total */
    int write_done, write_total;
    double write_last; /* the writer's last fraction within a raster */
} wctx;

/* Runs `call` only while rc (a local am_status) is still AM_OK. */
#define AM_TRY(call)                                                           \
    do {                                                                       \
        if (rc == AM_OK)                                                       \
            rc = (call);                                                       \
    } while (0)

static am_status put_name(wctx *c, char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An HDF5 object or column name into buf[n]: never cut short (a cut name
 * could collide with another); names follow the scenario's length rule,
 * so AM_ERR_INTERNAL if one does not fit. */
static am_status put_name(wctx *c, char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= n)
        return am_error_set(c->err, AM_ERR_INTERNAL, c->w->out_path,
                            "output object name longer than %zu bytes", n - 1);
    return AM_OK;
}

static am_status write_fingerprint(wctx *c, am_h5 *h, const char *obj,
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

static am_status write_root_attrs(wctx *c, am_h5 *h)
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
                             c->w->command_line ? c->w->command_line : "",
                             c->err));
    AM_TRY(am_h5_attr_int64(h, "/", "threads", c->w->threads, c->err));
    AM_TRY(am_h5_attr_string(h, "/", "profile", s->profile ? s->profile : "car",
                             c->err));
    AM_TRY(am_h5_attr_double(h, "/", "snap_max_m", s->snap_max_m, c->err));
    AM_TRY(
        am_h5_attr_double(h, "/", "walk_speed_kmh", s->walk_speed_kmh, c->err));
    AM_TRY(am_h5_attr_double_array(h, "/", "cutoffs_min", s->n_cutoffs,
                                   s->cutoffs_min, c->err));
    AM_TRY(am_h5_attr_string(h, "/", "metric_frame", c->m->frame, c->err));
    if (s->source_path != NULL && c->w->fp_scenario != NULL)
        AM_TRY(write_fingerprint(c, h, "/", "scenario", s->source_path,
                                 c->w->fp_scenario));
    AM_TRY(write_fingerprint(c, h, "/", "roads", c->m->roads_path,
                             &c->m->fp_roads));
    AM_TRY(write_fingerprint(c, h, "/", "population", c->m->pop_path,
                             &c->m->fp_pop));

    AM_TRY(am_h5_make_group(h, "/network", c->err));
    AM_TRY(
        am_h5_attr_int64(h, "/network", "nodes", c->m->roads->n_nodes, c->err));
    AM_TRY(
        am_h5_attr_int64(h, "/network", "arcs", c->m->roads->n_arcs, c->err));
    AM_TRY(am_h5_attr_int64(h, "/network", "features_read",
                            c->m->roads->n_features, c->err));
    AM_TRY(am_h5_attr_int64(h, "/network", "features_routable",
                            c->m->roads->n_routable, c->err));
    AM_TRY(am_h5_attr_double(h, "/network", "routable_km",
                             c->m->roads->total_len_km, c->err));
    return rc;
}

/* A float per populated cell: the values of the sparse rasters. */
static float *cell_f32(const wctx *c)
{
    return am_alloc_array((size_t)c->m->pop->n_cells, sizeof(float));
}

static am_status write_population(wctx *c, am_h5 *h)
{
    const am_population *pop = c->m->pop;
    float *r = cell_f32(c);
    if (r == NULL)
        return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int32_t i = 0; i < pop->n_cells; i++)
        r[i] = (float)pop->pop[i];
    am_h5_raster_info info = {"population count per cell", "1"};
    am_status rc =
        am_h5_write_raster_sparse_f32(h, "/population", pop->n_cells, pop->cell,
                                      r, AM_FILL_F32, &info, c->err);
    free(r);
    const am_population *p = c->m->pop;
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
                             c->m->pop_off_network, c->err));
    AM_TRY(am_h5_attr_int64(h, at, "off_network_cells", c->m->cells_off_network,
                            c->err));
    return rc;
}

static am_status write_set(wctx *c, am_h5 *h, int k)
{
    const am_scenario *s = c->s;
    const am_sites *set = c->w->sites[k];
    const am_results *res = c->w->results[k];
    const int32_t n_fac = set->fac->n;
    const int32_t n_cells = c->m->pop->n_cells;
    /* "/results/<set>/<measure>": names are at most AM_NAME_MAX bytes */
    char g[32 + AM_NAME_MAX], path[64 + 2 * AM_NAME_MAX];
    am_status rc;
    float *r = NULL;
    int32_t *ri = NULL;
    int32_t *index = NULL;
    am_h5_column *cols = NULL;
    char(*col_names)[32 + AM_NAME_MAX] = NULL;
    double *pct = NULL;

    rc = put_name(c, g, sizeof g, "/results/%s", set->name);
    AM_TRY(am_h5_make_group(h, g, c->err));
    if (rc != AM_OK)
        goto done;
    /* each set's input fingerprint goes on its own group */
    if (set->path[0] != '\0')
        rc = write_fingerprint(c, h, g, "facilities", set->path, &set->fp);
    AM_TRY(
        am_h5_attr_string(h, g, "where", set->where ? set->where : "", c->err));
    if (rc != AM_OK)
        goto done;

    /* nearest time and facility: sparse rasters, written strip by strip
       (no full-grid buffer) */
    const int64_t *cell = c->m->pop->cell;
    r = cell_f32(c);
    ri = am_alloc_array((size_t)n_cells, sizeof *ri);
    if (r == NULL || ri == NULL) {
        rc = am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (int32_t i = 0; i < n_cells; i++) {
        uint32_t t = res->nearest_ds[i];
        r[i] = t == AM_TIME_INF ? AM_UNREACHED_MIN : (float)am_ds_to_minutes(t);
        ri[i] = res->nearest[i] >= 0 ? res->nearest[i] : AM_UNREACHED_I32;
    }
    am_h5_raster_info ti = {"travel time to the nearest facility", "minutes"};
    rc = put_name(c, path, sizeof path, "%s/nearest_time_min", g);
    AM_TRY(am_h5_write_raster_sparse_f32(h, path, n_cells, cell, r, AM_FILL_F32,
                                         &ti, c->err));
    AM_TRY(am_h5_attr_double(h, path, "unreachable_value", AM_UNREACHED_MIN,
                             c->err));
    if (rc != AM_OK)
        goto done;
    am_h5_raster_info fi = {"row of the nearest facility in facilities/", "1"};
    rc = put_name(c, path, sizeof path, "%s/nearest_facility", g);
    AM_TRY(am_h5_write_raster_sparse_i32(h, path, n_cells, cell, ri,
                                         AM_FILL_I32, &fi, c->err));
    AM_TRY(am_h5_attr_int64(h, path, "unreachable_value", AM_UNREACHED_I32,
                            c->err));
    if (rc != AM_OK)
        goto done;

    /* one raster per measure */
    for (int m = 0; m < s->n_measures; m++) {
        const am_measure_spec *ms = &s->measures[m];
        const double *acc = res->access + (size_t)m * (size_t)n_cells;
        for (int32_t i = 0; i < n_cells; i++)
            r[i] = (float)acc[i];
        am_h5_raster_info ai = {"2SFCA accessibility (capacity per person)",
                                "capacity per person"};
        rc = put_name(c, path, sizeof path, "%s/%s", g, ms->name);
        AM_TRY(am_h5_write_raster_sparse_f32(h, path, n_cells, cell, r,
                                             AM_FILL_F32, &ai, c->err));
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
    const am_facility_set *f = set->fac;
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
                                 res->site_demand + (size_t)m * (size_t)n_fac,
                                 "persons", "D_j"};
        q++;
        rc = put_name(c, col_names[q], sizeof col_names[q], "ratio_%s",
                      s->measures[m].name);
        if (rc != AM_OK)
            goto done;
        cols[q] = (am_h5_column){col_names[q], AM_H5_COL_DOUBLE,
                                 res->site_ratio + (size_t)m * (size_t)n_fac,
                                 "capacity per person",
                                 "R_j = S_j / D_j, 0 when D_j = 0"};
        q++;
    }
    rc = put_name(c, path, sizeof path, "%s/facilities", g);
    AM_TRY(am_h5_write_table(h, path, n_fac, q, cols, c->err));
    if (rc != AM_OK)
        goto done;

    /* coverage table */
    pct = am_alloc_array((size_t)s->n_cutoffs, sizeof *pct);
    if (pct == NULL) {
        rc = am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    {
        for (int i = 0; i < s->n_cutoffs; i++)
            pct[i] = c->m->pop->total > 0
                         ? 100.0 * res->pop_within[i] / c->m->pop->total
                         : 0.0;
        am_h5_column cc[3] = {
            {"cutoff_min", AM_H5_COL_DOUBLE, s->cutoffs_min, "minutes",
             "inclusive"},
            {"population", AM_H5_COL_DOUBLE, res->pop_within, "persons",
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
    free(pct);
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
    wctx *c = user;
    if (fraction <= c->write_last && c->write_done < c->write_total)
        c->write_done++; /* a new raster started (or the final rename) */
    c->write_last = fraction;
    double f = c->write_total > 0
                   ? ((double)c->write_done + fraction) / c->write_total
                   : 1.0;
    return am_phase_progress(f < 1.0 ? f : 1.0, NULL, c->log);
}

static am_status write_file(wctx *c)
{
    am_h5 *h = NULL;
    am_status rc;
    if ((rc = am_phase_begin(c->log, "writing output", c->err)) != AM_OK)
        return rc;
    rc = am_h5_create(c->w->out_path, &h, c->err);
    if (rc != AM_OK)
        return rc;
    /* checked again right before the rename (the folder may change) */
    am_h5_set_protected(h, c->w->protect);
    /* the population, then per set: nearest time, nearest facility and
       one raster per measure */
    c->write_total = 1 + c->w->n_sets * (2 + c->s->n_measures);
    c->write_done = 0;
    c->write_last = 0.0;
    am_h5_set_progress(h, write_progress, c);
    rc = am_h5_set_grid(h, &c->m->pop->grid, c->m->pop->crs_wkt, c->err);
    if (rc == AM_OK)
        rc = write_root_attrs(c, h);
    if (rc == AM_OK)
        rc = write_population(c, h);
    if (rc == AM_OK)
        rc = am_h5_make_group(h, "/results", c->err);
    for (int k = 0; rc == AM_OK && k < c->w->n_sets; k++)
        rc = write_set(c, h, k);
    if (rc != AM_OK) {
        am_h5_abort(h);
        return rc;
    }
    rc = am_h5_commit(h, c->err);
    if (rc != AM_OK)
        return rc;
    return am_phase_end(c->log, "write", c->err);
}

am_status am_write_output(const am_write_request *w, am_phases *log,
                          am_error *err)
{
    wctx c;
    memset(&c, 0, sizeof c);
    c.w = w;
    c.m = w->m;
    c.s = w->m->s;
    c.err = err;
    c.log = log;
    return write_file(&c);
}
