/*
 * selection.c: site selection in a run (see selection.h; issue 10).
 *
 * Definitions (docs/scenario.md, "Site selection"):
 *  - t_ic = min over cell i's two links l of offset_l + t(node_l -> c),
 *    c's catchment searched on the reverse graph from its own links, as
 *    for every facility (engine/sites.c); pairs with t_ic > depth dropped;
 *  - b_i = the existing set's nearest time, searched to the same depth
 *    (kernels/nearest.h), AM_TIME_INF beyond it or off the network;
 *  - the depth: the model's time (cutoff_min, or penalty_min for
 *    p-median) and, with the sweep, the set's largest cutoff and the reach
 *    of its first 2SFCA measure;
 *  - candidates farther than the snap distance from a road are off the
 *    network (excluded 2); exclude_within_min drops those from whose
 *    point (travelling as a person, snapped as an origin) an existing
 *    facility is reached within that time, exclude_within_m those within
 *    that geodesic distance of one (excluded 1).
 * Every step is deterministic for any thread count: the catchments and
 * the rows are one task per candidate, sorted within the row; the kernels
 * are (select.h, sweep.h).
 */
#include "engine/selection.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "common/units.h"
#include "engine/memory.h"
#include "engine/scenario_inputs.h"
#include "engine/selection_rows.h"
#include "engine/sysinfo.h"
#include "geo/geodesic.h"
#include "geo/grid.h"
#include "kernels/decay.h"
#include "kernels/fca.h"
#include "kernels/nearest.h"
#include "kernels/sweep.h"

void am_selection_destroy(am_selection *x)
{
    if (x == NULL)
        return;
    am_results_destroy(x->scen_res); /* before the sites it borrows */
    am_sites_destroy(x->scen_sites);
    am_sites_destroy(x->cand);
    am_free(x->cell_cand);
    am_free(x->map_cell);
    am_free(x->map_row);
    am_free(x->cost);
    am_free(x->excluded);
    am_free(x->chosen_order);
    am_free(x->kept);
    am_free(x->base_ds);
    am_free(x->row);
    am_free(x->cell);
    am_free(x->time_ds);
    am_sel_result_free(x->res);
    am_sel_result_free(x->exact);
    am_seleq_result_free(x->eq);
    am_free(x->chosen_gain);
    am_free(x->chosen_cum);
    am_free(x->sweep_cut_min);
    am_free(x->newly);
    am_free(x->nearest_changed);
    am_free(x->time_saved);
    am_free(x->d_mean);
    am_free(x->d_b10);
    am_free(x->d_gini);
    am_free(x->no_demand);
    am_free(x);
}

/* An error at the scenario line `line` (0: none) of the selection. */
static am_status sel_error(const am_model *m, int line, am_status code,
                           am_error *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static am_status sel_error(const am_model *m, int line, am_status code,
                           am_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    am_error_setv(err, code, m->s->source_path, fmt, ap);
    va_end(ap);
    if (line > 0)
        am_error_set_line(err, line, 0);
    return code;
}

static am_status nomem(am_error *err)
{
    return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
}

static const char *model_name(am_selection_model m)
{
    return m == AM_SELECTION_MCLP            ? "mclp"
           : m == AM_SELECTION_PMEDIAN       ? "pmedian"
           : m == AM_SELECTION_SETCOVER      ? "setcover"
           : m == AM_SELECTION_MAXMIN        ? "maxmin"
           : m == AM_SELECTION_BOTTOM_DECILE ? "bottom_decile"
                                             : "variance";
}

/* ---- candidates ------------------------------------------------------ */

/* The populated cells' centres in lon/lat ([n_cells] each, owned). */
static am_status cell_lonlat(const am_model *m, double **lon, double **lat,
                             am_error *err)
{
    const am_population *p = m->pop;
    const size_t n = (size_t)p->n_cells;
    am_transform *to_ll = NULL;
    *lon = am_alloc_array(n > 0 ? n : 1, sizeof **lon);
    *lat = am_alloc_array(n > 0 ? n : 1, sizeof **lat);
    if (*lon == NULL || *lat == NULL)
        return nomem(err);
    am_status rc = am_transform_create(p->crs_wkt, AM_CRS_WGS84, &to_ll, err);
    int32_t failed = 0;
    if (rc == AM_OK)
        rc = am_snap_cell_centers(&p->grid, to_ll, p->n_cells, p->cell,
                                  m->threads, *lon, *lat, &failed, err);
    am_transform_destroy(to_ll);
    return rc;
}

/* Sets ids of generated candidates: "prefix_a_b". */
static am_status name_points(am_facility_set *fs, const int64_t *a,
                             const int64_t *b, const char *prefix,
                             am_error *err)
{
    for (int32_t j = 0; j < fs->n; j++) {
        char id[64];
        snprintf(id, sizeof id, "%s_%lld_%lld", prefix, (long long)a[j],
                 (long long)b[j]);
        char *copy = am_strdup(id);
        if (copy == NULL)
            return nomem(err);
        am_free(fs->id[j]);
        fs->id[j] = copy;
    }
    return AM_OK;
}

/* populated_cells: every populated cell with at least min_population;
 * cell_cand[i] (caller-allocated [n_cells], -1 filled): its candidate. */
static am_status cells_candidates(const am_model *m, const double *lon,
                                  const double *lat, am_facility_set **out,
                                  int32_t *cell_cand, am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    const am_population *p = m->pop;
    int32_t n = 0;
    for (int32_t i = 0; i < p->n_cells; i++)
        n += p->pop[i] >= sel->min_population;
    double *x = am_alloc_array((size_t)n + 1, sizeof *x);
    double *y = am_alloc_array((size_t)n + 1, sizeof *y);
    int64_t *row = am_alloc_array((size_t)n + 1, sizeof *row);
    int64_t *col = am_alloc_array((size_t)n + 1, sizeof *col);
    am_status rc = AM_OK;
    if (x == NULL || y == NULL || row == NULL || col == NULL)
        rc = nomem(err);
    for (int32_t i = 0, k = 0; rc == AM_OK && i < p->n_cells; i++) {
        if (!(p->pop[i] >= sel->min_population))
            continue;
        cell_cand[i] = k;
        x[k] = lon[i];
        y[k] = lat[i];
        row[k] = p->cell[i] / p->grid.nx;
        col[k] = p->cell[i] % p->grid.nx;
        k++;
    }
    if (rc == AM_OK)
        rc = am_points_set(n, x, y, NULL, out, err);
    if (rc == AM_OK)
        rc = name_points(*out, row, col, "cell", err);
    am_free(x);
    am_free(y);
    am_free(row);
    am_free(col);
    return rc;
}

typedef struct bin_key {
    int64_t iy, ix;
    int32_t cell;
} bin_key;

static int cmp_bin(const void *a, const void *b)
{
    const bin_key *p = a, *q = b;
    if (p->iy != q->iy)
        return p->iy < q->iy ? -1 : 1;
    if (p->ix != q->ix)
        return p->ix < q->ix ? -1 : 1;
    return (p->cell > q->cell) - (p->cell < q->cell);
}

/*
 * grid: squares of spacing_m in the run's local metric frame (aligned on
 * its origin); one candidate at the centre of each square whose populated
 * cells (by centre) hold more than 0 and at least min_population persons.
 * Squares in (row, column) order of the frame, south to north.
 * cell_cand[i] (caller-allocated [n_cells], -1 filled): the candidate of
 * the square holding populated cell i.
 */
static am_status grid_candidates(const am_model *m, const double *lon,
                                 const double *lat, am_facility_set **out,
                                 int32_t *cell_cand, am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    const am_population *p = m->pop;
    const size_t n = (size_t)p->n_cells;
    const double s = sel->spacing_m;
    double *x = am_alloc_array(n + 1, sizeof *x);
    double *y = am_alloc_array(n + 1, sizeof *y);
    bin_key *key = am_alloc_array(n + 1, sizeof *key);
    double *bx = am_alloc_array(n + 1, sizeof *bx);
    double *by = am_alloc_array(n + 1, sizeof *by);
    int64_t *kx = am_alloc_array(n + 1, sizeof *kx);
    int64_t *ky = am_alloc_array(n + 1, sizeof *ky);
    am_transform *to_ll = NULL;
    am_status rc = AM_OK;
    if (!x || !y || !key || !bx || !by || !kx || !ky) {
        rc = nomem(err);
        goto done;
    }
    memcpy(x, lon, n * sizeof *x);
    memcpy(y, lat, n * sizeof *y);
    if ((rc = am_transform_points(m->to_metric, n, x, y, NULL, err)) != AM_OK)
        goto done;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || fabs(x[i]) > 1e9 ||
            fabs(y[i]) > 1e9)
            continue; /* not transformable: no square */
        key[k++] = (bin_key){(int64_t)floor(y[i] / s), (int64_t)floor(x[i] / s),
                             (int32_t)i};
    }
    qsort(key, k, sizeof *key, cmp_bin);
    int32_t nb = 0;
    for (size_t a = 0; a < k;) {
        size_t b = a;
        double pop = 0.0; /* in cell order within the square */
        while (b < k && key[b].iy == key[a].iy && key[b].ix == key[a].ix)
            pop += p->pop[key[b++].cell];
        if (pop > 0.0 && pop >= sel->min_population) {
            for (size_t q = a; q < b; q++)
                cell_cand[key[q].cell] = nb;
            bx[nb] = ((double)key[a].ix + 0.5) * s;
            by[nb] = ((double)key[a].iy + 0.5) * s;
            kx[nb] = key[a].ix;
            ky[nb] = key[a].iy;
            nb++;
        }
        a = b;
    }
    rc = am_transform_create(m->frame, AM_CRS_WGS84, &to_ll, err);
    if (rc == AM_OK)
        rc = am_transform_points(to_ll, (size_t)nb, bx, by, NULL, err);
    if (rc == AM_OK)
        rc = am_points_set(nb, bx, by, NULL, out, err);
    if (rc == AM_OK)
        rc = name_points(*out, ky, kx, "grid", err);
done:
    am_transform_destroy(to_ll);
    am_free(x);
    am_free(y);
    am_free(key);
    am_free(bx);
    am_free(by);
    am_free(kx);
    am_free(ky);
    return rc;
}

/* layer: read as a facility set (and once more for the costs). */
static am_status layer_candidates(const am_model *m, char path[AM_PATH_MAX],
                                  am_facility_set **out, double **cost,
                                  am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    am_facility_source src;
    memset(&src, 0, sizeof src);
    src.name = sel->name;
    src.path = sel->path;
    src.layer = sel->layer;
    src.where = sel->where;
    src.id_field = sel->id_field;
    src.capacity_field = sel->capacity_field;
    src.crs = sel->crs;
    src.default_capacity = sel->capacity;
    src.line = sel->line_candidates;
    am_status rc = am_engine_resolve(m->s, sel->path, path, err);
    if (rc == AM_OK)
        rc = am_scenario_load_facilities(&src, path, m->warn, out, err);
    if (rc == AM_OK && (*out)->n_no_geometry > 0)
        am_warn(m->warn,
                "%s: selection '%s': %lld of %lld candidate features "
                "skipped: no geometry (or empty coordinate cells)",
                path, sel->name, (long long)(*out)->n_no_geometry,
                (long long)(*out)->n_read);
    if (rc != AM_OK || sel->cost_field == NULL)
        return rc;
    am_facility_set *costs = NULL;
    src.capacity_field = sel->cost_field; /* the same features, in order */
    /* a null or empty cost cell must not fall back to the capacity: NaN
     * marks it, refused below */
    src.default_capacity = NAN;
    rc = am_scenario_load_values(&src, path, "cost", &costs, err);
    if (rc == AM_OK && costs->n != (*out)->n)
        rc = am_error_set(err, AM_ERR_INTERNAL, path,
                          "the candidates' layer changed while read");
    if (rc == AM_OK) {
        *cost = am_alloc_array((size_t)costs->n + 1, sizeof **cost);
        if (*cost == NULL)
            rc = nomem(err);
        else
            memcpy(*cost, costs->capacity, (size_t)costs->n * sizeof **cost);
    }
    for (int32_t j = 0; rc == AM_OK && j < costs->n; j++)
        if (isnan((*cost)[j]))
            rc = sel_error(m, sel->line_candidates, AM_ERR_INVALID, err,
                           "selection: candidate '%s' of %s has no cost: its "
                           "'%s' cell is empty; every candidate needs a cost "
                           "> 0 (or filter it out with 'where')",
                           costs->id[j], path, sel->cost_field);
        else if (!((*cost)[j] > 0.0))
            rc = sel_error(m, sel->line_candidates, AM_ERR_INVALID, err,
                           "selection: candidate '%s' of %s has cost %g in "
                           "'%s'; a site's cost must be > 0",
                           costs->id[j], path, (*cost)[j], sel->cost_field);
    am_facility_set_destroy(costs);
    return rc;
}

/* A layer candidate outside the population raster cannot serve anyone
 * the run knows of: refused, naming the first. */
static am_status check_in_raster(const am_model *m, const am_facility_set *fs,
                                 const char *path, am_error *err)
{
    const am_population *p = m->pop;
    am_transform *t = NULL;
    const size_t n = (size_t)fs->n;
    double *x = am_alloc_array(n + 1, sizeof *x);
    double *y = am_alloc_array(n + 1, sizeof *y);
    am_status rc = x && y ? AM_OK : nomem(err);
    if (rc == AM_OK)
        rc = am_transform_create(AM_CRS_WGS84, p->crs_wkt, &t, err);
    if (rc == AM_OK) {
        memcpy(x, fs->lon, n * sizeof *x);
        memcpy(y, fs->lat, n * sizeof *y);
        rc = am_transform_points(t, n, x, y, NULL, err);
    }
    double x0, y0, x1, y1;
    am_grid_extent(&p->grid, &x0, &y0, &x1, &y1);
    int32_t out = 0, first = -1;
    for (size_t j = 0; rc == AM_OK && j < n; j++)
        if (!(x[j] >= x0 && x[j] <= x1 && y[j] >= y0 && y[j] <= y1)) {
            if (first < 0)
                first = (int32_t)j;
            out++;
        }
    if (rc == AM_OK && out > 0)
        rc = sel_error(m, m->s->selection->line_candidates, AM_ERR_INVALID, err,
                       "selection: %ld of %ld candidates of %s lie outside "
                       "the population raster %s, the first '%s' (lon %.6f, "
                       "lat %.6f): they could serve no one the run counts",
                       (long)out, (long)n, path, m->pop_path, fs->id[first],
                       fs->lon[first], fs->lat[first]);
    am_transform_destroy(t);
    am_free(x);
    am_free(y);
    return rc;
}

static am_status load_candidates(const am_model *m, am_selection *x,
                                 am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    am_facility_set *fs = NULL;
    char path[AM_PATH_MAX] = "";
    double *lon = NULL, *lat = NULL;
    am_status rc;
    if (sel->source == AM_CANDIDATES_LAYER) {
        rc = layer_candidates(m, path, &fs, &x->cost, err);
        if (rc == AM_OK)
            rc = check_in_raster(m, fs, path, err);
    } else {
        const size_t nc = (size_t)m->pop->n_cells;
        x->cell_cand = am_alloc_array(nc + 1, sizeof *x->cell_cand);
        rc = x->cell_cand != NULL ? AM_OK : nomem(err);
        for (size_t i = 0; rc == AM_OK && i < nc; i++)
            x->cell_cand[i] = -1;
        if (rc == AM_OK)
            rc = cell_lonlat(m, &lon, &lat, err);
        if (rc == AM_OK && sel->source == AM_CANDIDATES_GRID)
            rc = grid_candidates(m, lon, lat, &fs, x->cell_cand, err);
        else if (rc == AM_OK && sel->source == AM_CANDIDATES_ROAD_NODES)
            rc = am_selection_road_nodes(m, lon, lat, &fs, x->cell_cand, err);
        else if (rc == AM_OK)
            rc = cells_candidates(m, lon, lat, &fs, x->cell_cand, err);
        for (int32_t j = 0; rc == AM_OK && j < fs->n; j++)
            fs->capacity[j] = sel->capacity;
    }
    am_free(lon);
    am_free(lat);
    if (rc == AM_OK && fs->n == 0) {
        char why[200];
        if (sel->source == AM_CANDIDATES_CELLS) {
            double most = 0.0; /* what min_population could be at most */
            for (int32_t i = 0; i < m->pop->n_cells; i++)
                most = m->pop->pop[i] > most ? m->pop->pop[i] : most;
            snprintf(why, sizeof why,
                     "no populated cell reaches min_population %g; the most "
                     "populated cell holds %.6g persons",
                     sel->min_population, most);
        } else
            snprintf(why, sizeof why, "%s",
                     sel->source == AM_CANDIDATES_LAYER
                         ? "the layer has no point"
                     : sel->source == AM_CANDIDATES_ROAD_NODES
                         ? "no road node of the classes lies in the "
                           "population raster, in a square reaching "
                           "min_population"
                         : "no populated square or cell reaches "
                           "min_population");
        rc = sel_error(m, sel->line_candidates, AM_ERR_EMPTY, err,
                       "selection '%s': no candidates (%s)", sel->name, why);
    }
    if (rc != AM_OK) {
        am_facility_set_destroy(fs);
        return rc;
    }
    x->n_cand = fs->n;
    rc = am_sites_from_set(m, sel->name, path[0] != '\0' ? path : NULL, fs,
                           &x->cand, err);
    if (rc != AM_OK)
        return rc;
    if (x->cost == NULL) {
        x->cost = am_alloc_array((size_t)x->n_cand, sizeof *x->cost);
        if (x->cost == NULL)
            return nomem(err);
        for (int32_t j = 0; j < x->n_cand; j++)
            x->cost[j] = 1.0;
    }
    return AM_OK;
}

/* ---- exclusion ------------------------------------------------------- */

/*
 * excluded[j]: 2 off the network, 1 within exclude_within_* of an
 * existing facility, else 0; node_ds: the existing set's node times
 * (to at least exclude_within_min).
 */
static am_status exclude(const am_model *m, const am_sites *base,
                         const uint32_t *node_ds, am_selection *x,
                         am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    const am_facility_set *fc = x->cand->fac;
    am_snapped o;
    memset(&o, 0, sizeof o);
    am_status rc = AM_OK;
    if (sel->exclude_within_min > 0) {
        int32_t on = 0;
        rc = am_model_snap_points(m, fc->n, fc->lon, fc->lat, AM_SNAP_ORIGIN,
                                  &o, &on, NULL, err);
    }
    const uint32_t lim = am_minutes_to_ds(sel->exclude_within_min);
    for (int32_t j = 0; rc == AM_OK && j < fc->n; j++) {
        const int32_t *v = &x->cand->snap.node[2 * j];
        if (v[0] < 0 && v[1] < 0) {
            x->excluded[j] = 2;
            x->n_off++;
            continue;
        }
        int near = 0;
        if (sel->exclude_within_min > 0) {
            for (int k = 0; k < 2; k++) {
                const int32_t u = o.node[2 * j + k];
                if (u < 0 || node_ds[u] >= AM_TIME_INF)
                    continue;
                const uint64_t t =
                    (uint64_t)o.offset_ds[2 * j + k] + node_ds[u];
                near |= t <= lim;
            }
        } else if (sel->exclude_within_m > 0) {
            const am_facility_set *fb = base->fac;
            for (int32_t b = 0; b < fb->n && !near; b++)
                near =
                    am_geodesic_distance_m(fc->lon[j], fc->lat[j], fb->lon[b],
                                           fb->lat[b]) <= sel->exclude_within_m;
        }
        x->excluded[j] = near;
        x->n_near += near;
    }
    am_snapped_free(&o);
    return rc;
}

/* ---- the instance ---------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t p = *(const uint64_t *)a, q = *(const uint64_t *)b;
    return (p > q) - (p < q);
}

/*
 * The rows of the instance from candidate catchments (rows = candidates,
 * cols = demand nodes): per row, every link of every node, its cell's
 * time offset + t, within limit; sorted by (cell, time) and the first
 * (smallest) kept per cell. *row [n_rows + 1], *cell and *time owned.
 */
static am_status instance_rows(const am_model *m, const am_catchments *c,
                               uint32_t limit, int threads, int64_t **row_out,
                               int32_t **cell_out, uint32_t **time_out,
                               am_error *err)
{
    const am_demand *d = m->demand;
    const int32_t n = c->n_rows;
    int64_t *ub = am_alloc_array((size_t)n + 1, sizeof *ub);
    int64_t *row = am_calloc_array((size_t)n + 1, sizeof *row);
    uint64_t *key = NULL;
    int32_t *cell = NULL;
    uint32_t *tim = NULL;
    if (ub == NULL || row == NULL)
        goto nomem;
    ub[0] = 0;
    for (int32_t r = 0; r < n; r++) {
        int64_t k = 0;
        for (int64_t e = c->first[r]; e < c->first[r + 1]; e++)
            k += d->first[c->col[e] + 1] - d->first[c->col[e]];
        ub[r + 1] = ub[r] + k;
    }
    key = am_alloc_array((size_t)ub[n] + 1, sizeof *key);
    if (key == NULL)
        goto nomem;
#pragma omp parallel for schedule(dynamic, 4)                                  \
    num_threads(threads) default(none) shared(c, d, ub, key, row, limit, n)
    for (int32_t r = 0; r < n; r++) {
        uint64_t *kr = key + ub[r];
        int64_t k = 0;
        for (int64_t e = c->first[r]; e < c->first[r + 1]; e++) {
            const int32_t v = c->col[e];
            const uint64_t t = am_catchments_time(c, e);
            for (int64_t q = d->first[v]; q < d->first[v + 1]; q++) {
                const int32_t l = d->order[q];
                const uint64_t tt = t + d->link_offset_ds[l];
                if (tt <= limit)
                    kr[k++] = ((uint64_t)(l / AM_DEMAND_LINKS) << 32) | tt;
            }
        }
        qsort(kr, (size_t)k, sizeof *kr, cmp_u64);
        int64_t w = 0;
        for (int64_t a = 0; a < k; a++)
            if (w == 0 || (kr[a] >> 32) != (kr[w - 1] >> 32))
                kr[w++] = kr[a];
        row[r + 1] = w;
    }
    for (int32_t r = 0; r < n; r++)
        row[r + 1] += row[r];
    cell = am_alloc_array((size_t)row[n] + 1, sizeof *cell);
    tim = am_alloc_array((size_t)row[n] + 1, sizeof *tim);
    if (cell == NULL || tim == NULL)
        goto nomem;
#pragma omp parallel for schedule(static) num_threads(threads) default(none)   \
    shared(ub, key, row, cell, tim, n)
    for (int32_t r = 0; r < n; r++)
        for (int64_t a = 0; a < row[r + 1] - row[r]; a++) {
            cell[row[r] + a] = (int32_t)(key[ub[r] + a] >> 32);
            tim[row[r] + a] = (uint32_t)(key[ub[r] + a] & 0xffffffffu);
        }
    am_free(ub);
    am_free(key);
    *row_out = row;
    *cell_out = cell;
    *time_out = tim;
    return AM_OK;
nomem:
    am_free(ub);
    am_free(row);
    am_free(key);
    am_free(cell);
    am_free(tim);
    return am_error_set(err, AM_ERR_NOMEM, NULL,
                        "out of memory for the candidates' (cell, time) "
                        "pairs");
}

/* The kept candidates' links, packed ([2 n_kept] each, owned). */
static am_status kept_links(const am_selection *x, int32_t first, int32_t n,
                            int32_t **node, uint32_t **off, am_error *err)
{
    *node = am_alloc_array(2 * (size_t)n + 2, sizeof **node);
    *off = am_alloc_array(2 * (size_t)n + 2, sizeof **off);
    if (*node == NULL || *off == NULL)
        return nomem(err);
    for (int32_t r = 0; r < n; r++) {
        const int32_t j = x->kept[first + r];
        for (int k = 0; k < 2; k++) {
            (*node)[2 * r + k] = x->cand->snap.node[2 * j + k];
            (*off)[2 * r + k] = x->cand->snap.offset_ds[2 * j + k];
        }
    }
    return AM_OK;
}

static am_status plan_mode(const am_model *m, am_selection *x, int32_t ns,
                           am_error *err);

/*
 * The memory plan: the catchments of up to AM_SELECTION_PLAN_SAMPLE kept
 * candidates spread over the list, scaled to all: bytes of the
 * catchments (6 or 8 a node entry), the rows' sort keys (8 a pair) and the
 * instance (8 a pair); then the mode (plan_mode).
 */
static am_status memory_plan(const am_model *m, am_selection *x, int threads,
                             am_error *err)
{
    const int32_t ns = x->n_kept < AM_SELECTION_PLAN_SAMPLE
                           ? x->n_kept
                           : AM_SELECTION_PLAN_SAMPLE;
    int32_t *node = am_alloc_array(2 * (size_t)ns + 2, sizeof *node);
    uint32_t *off = am_alloc_array(2 * (size_t)ns + 2, sizeof *off);
    am_catchments *c = NULL;
    int64_t *row = NULL;
    int32_t *cell = NULL;
    uint32_t *tim = NULL;
    am_status rc = node && off ? AM_OK : nomem(err);
    for (int32_t r = 0; rc == AM_OK && r < ns; r++) {
        const int32_t j = x->kept[(int64_t)r * x->n_kept / ns];
        for (int k = 0; k < 2; k++) {
            node[2 * r + k] = x->cand->snap.node[2 * j + k];
            off[2 * r + k] = x->cand->snap.offset_ds[2 * j + k];
        }
    }
    if (rc == AM_OK)
        rc = am_catchments_compute(m->graph_rev, ns, node, off, x->depth_ds,
                                   m->demand_nodes, 0, threads, NULL, NULL, &c,
                                   err);
    if (rc == AM_OK)
        rc = instance_rows(m, c, x->depth_ds, threads, &row, &cell, &tim, err);
    if (rc == AM_OK) {
        const double entries = (double)am_catchments_nnz(c) / ns;
        x->plan_pairs_per_cand = (double)row[ns] / ns;
        x->plan_bytes = am_memory_selection(
            x->n_kept, entries, x->plan_pairs_per_cand,
            x->depth_ds <= AM_CATCHMENT_TIME16_MAX, m->demand->n_cells);
    }
    am_catchments_destroy(c);
    am_free(node);
    am_free(off);
    am_free(row);
    am_free(cell);
    am_free(tim);
    if (rc != AM_OK)
        return rc;
    return plan_mode(m, x, ns, err);
}

/*
 * The mode (docs/selection.md, "Rows on demand"): the instance held when
 * selection.catchments is memory, or auto and the plan fits what the cap
 * leaves; else rows on demand, with a cache of what the cap leaves after
 * the run's estimate and one row workspace a thread (without a cap:
 * AM_SELECTION_CACHE_DEFAULT). Refused when memory is asked and does not
 * fit, or when the cap leaves nothing for the workspaces. The label
 * (shown before the phase runs: at most 63 bytes) says which.
 */
static am_status plan_mode(const am_model *m, am_selection *x, int32_t ns,
                           am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    char b1[32], b2[32], b3[32];
    am_format_bytes(x->plan_bytes, b1, sizeof b1);
    const uint64_t cap = m->memory_cap, est = m->memory_estimate;
    const int fits =
        cap == 0 || (est + x->plan_bytes <= cap && x->plan_bytes <= cap);
    x->on_demand = sel->catchments == AM_CATCHMENTS_ON_DEMAND ||
                   (sel->catchments == AM_CATCHMENTS_AUTO && !fits);
    if (x->on_demand && AM_SELECTION_IS_EQUITY(sel->model)) {
        if (sel->catchments == AM_CATCHMENTS_ON_DEMAND)
            return sel_error(m, sel->line, AM_ERR_INVALID, err,
                             "selection '%s': the model %s holds every "
                             "candidate's row (catchments: on_demand is for "
                             "mclp, pmedian and setcover); use catchments: "
                             "auto or memory",
                             sel->name, model_name(sel->model));
        x->on_demand = 0; /* refused just below: the equity models hold
                             the instance */
    }
    if (!x->on_demand && !fits)
        return sel_error(
            m, sel->line_candidates, AM_ERR_NOMEM, err,
            "selection '%s': the catchments of %ld candidates to %g min "
            "need about %s (about %.0f (cell, time) pairs each, from a "
            "sample of %ld), beyond what the memory cap of %s leaves after "
            "the run's %s; use %sfewer candidates (a wider grid "
            "spacing, a higher min_population), a shorter cutoff, or raise "
            "--max-memory",
            sel->name, (long)x->n_kept, am_ds_to_minutes(x->depth_ds), b1,
            x->plan_pairs_per_cand, (long)ns,
            am_format_bytes(cap, b2, sizeof b2),
            am_format_bytes(est, b3, sizeof b3),
            AM_SELECTION_IS_EQUITY(sel->model)
                ? ""
                : "catchments: auto or on_demand (rows recomputed as "
                  "needed), ");
    if (!x->on_demand) {
        snprintf(x->label, sizeof x->label, "candidate catchments, plan %s",
                 b1);
        return AM_OK;
    }
    const int nt = m->threads > 0 ? m->threads : omp_get_max_threads();
    /* the run's own per-candidate arrays (g0, lengths, positions, heap:
       40 bytes) and the per-cell ones (d1 and the swap search's: 24); then
       the row searches' workspaces: as many as fit in a quarter of what is
       left (1 to AM_SELECTION_ROWS_WS), and the cache the rest. Neither
       depends on the thread count (the shortlist, hence the result, would):
       the searches use at most x->rows_ws threads. */
    (void)nt;
    const uint64_t ws1 = am_selection_rows_ws_bytes(m, x->plan_pairs_per_cand);
    const uint64_t fixed =
        40 * (uint64_t)x->n_kept + 24 * (uint64_t)m->demand->n_cells;
    const uint64_t left = cap > est + fixed ? cap - est - fixed : 0;
    uint64_t nws = ws1 > 0 ? left / 4 / ws1 : AM_SELECTION_ROWS_WS;
    nws = nws < 1 ? 1 : nws > AM_SELECTION_ROWS_WS ? AM_SELECTION_ROWS_WS : nws;
    x->rows_ws = (int)nws;
    if (cap == 0) {
        x->rows_ws = AM_SELECTION_ROWS_WS;
        x->cache_bytes = AM_SELECTION_CACHE_DEFAULT;
    } else if (left > nws * ws1)
        x->cache_bytes = left - nws * ws1;
    else
        return sel_error(
            m, sel->line_candidates, AM_ERR_NOMEM, err,
            "selection '%s': even with rows on demand the candidates need "
            "about %s of row workspaces and arrays, beyond what the memory "
            "cap of %s leaves after the run's %s; raise --max-memory",
            sel->name, am_format_bytes(fixed + ws1, b1, sizeof b1),
            am_format_bytes(cap, b2, sizeof b2),
            am_format_bytes(est, b3, sizeof b3));
    /* the instance would be this; the cache holds what fits of it */
    const uint64_t held =
        x->cache_bytes < x->plan_bytes ? x->cache_bytes : x->plan_bytes;
    am_format_bytes(x->cache_bytes, b2, sizeof b2);
    snprintf(x->label, sizeof x->label, "candidate rows on demand, cache %s",
             b2);
    if (sel->catchments == AM_CATCHMENTS_AUTO)
        am_warn(m->warn,
                "selection '%s': memory plan: the instance of %ld candidates "
                "needs about %s, beyond the memory cap; rows on demand with a "
                "cache of %s (at most %s held; swaps among the shortlist)",
                sel->name, (long)x->n_kept, b1, b2,
                am_format_bytes(held, b3, sizeof b3));
    return AM_OK;
}

/* ---- the run --------------------------------------------------------- */

/* The set's first computed 2SFCA measure, or -1. */
static int sweep_measure_of(const am_results *r)
{
    for (int k = 0; k < r->n_measures; k++)
        if (r->measure_on[k] && r->plans[k].info != NULL &&
            r->plans[k].info->method == AM_FCA_2SFCA)
            return k;
    return -1;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* The 2SFCA-family measure named `name` computed for the set, or -1. */
static int measure_named(const am_model *m, const am_results *r,
                         const char *name)
{
    for (int k = 0; k < r->n_measures && k < m->s->n_measures; k++)
        if (strcmp(m->s->measures[k].name, name) == 0 && r->measure_on[k] &&
            r->plans[k].info != NULL &&
            r->plans[k].info->method == AM_FCA_2SFCA)
            return k;
    return -1;
}

/*
 * The model's times and the catchments' depth: the model's time (T, or P
 * for p-median), deepened only for what the sweep asks (docs/scenario.md,
 * "sweep"): its cutoffs_min (each one of the set's) and its measure's
 * reach. Without them: the set's first 2SFCA measure whose reach is
 * within the model's time (else none) and the set's cutoffs within the
 * depth. Sets x->sweep_cut_min / n_sweep_cut and x->sweep_measure.
 */
static am_status plan_depth(const am_model *m, const am_results *r,
                            am_selection *x, am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    const double largest = m->s->cutoffs_min[m->s->n_cutoffs - 1];
    const double penalty =
        sel->penalty_min > 0 ? sel->penalty_min : 2.0 * largest;
    x->cover_ds = am_minutes_to_ds(sel->cutoff_min);
    x->penalty_ds = am_minutes_to_ds(
        penalty > AM_MAX_CUTOFF_MIN ? AM_MAX_CUTOFF_MIN : penalty);
    /* the equity models: their measure's reach and the floor's time
       (plan_equity, run first, found the measure) */
    const uint32_t model_ds =
        sel->model == AM_SELECTION_PMEDIAN ? x->penalty_ds
        : AM_SELECTION_IS_EQUITY(sel->model)
            ? max_u32(sel->coverage_floor > 0 ? x->cover_ds : 0,
                      am_minutes_to_ds(r->plans[x->eq_measure].limit_min))
            : x->cover_ds;
    x->depth_ds = model_ds;
    x->sweep_measure = -1;
    x->n_sweep_cut = 0;
    if (sel->sweep) {
        if (sel->sweep_measure == NULL) {
            for (int k = 0; k < r->n_measures && x->sweep_measure < 0; k++)
                if (measure_named(m, r, m->s->measures[k].name) == k &&
                    am_minutes_to_ds(r->plans[k].limit_min) <= model_ds)
                    x->sweep_measure = k;
        } else if (strcmp(sel->sweep_measure, "none") != 0) {
            x->sweep_measure = measure_named(m, r, sel->sweep_measure);
            if (x->sweep_measure < 0) {
                /* the names it could be */
                char names[256] = "";
                size_t len = 0;
                for (int k = 0; k < r->n_measures && k < m->s->n_measures; k++)
                    if (measure_named(m, r, m->s->measures[k].name) == k &&
                        len < sizeof names)
                        len += (size_t)snprintf(names + len, sizeof names - len,
                                                "%s%s", len > 0 ? ", " : "",
                                                m->s->measures[k].name);
                return sel_error(
                    m, sel->line_sweep, AM_ERR_INVALID, err,
                    "selection '%s': sweep.measure '%s' is not "
                    "a 2SFCA measure computed for the set '%s' "
                    "(%s%s, or none)",
                    sel->name, sel->sweep_measure,
                    sel->facilities != NULL ? sel->facilities : "(first)",
                    len > 0 ? "those are: " : "it has none", names);
            }
            x->depth_ds =
                max_u32(x->depth_ds,
                        am_minutes_to_ds(r->plans[x->sweep_measure].limit_min));
        }
        const int nc = sel->sweep_cutoffs_min != NULL ? sel->n_sweep_cutoffs
                                                      : r->n_cutoffs;
        x->sweep_cut_min = am_alloc_array((size_t)nc + 1, sizeof(double));
        if (x->sweep_cut_min == NULL)
            return nomem(err);
        for (int k = 0; sel->sweep_cutoffs_min != NULL && k < nc; k++) {
            const double c = sel->sweep_cutoffs_min[k];
            int found = 0;
            for (int q = 0; q < r->n_cutoffs; q++)
                found |=
                    am_minutes_to_ds(r->cutoffs_min[q]) == am_minutes_to_ds(c);
            if (!found)
                return sel_error(m, sel->line_sweep, AM_ERR_INVALID, err,
                                 "selection '%s': sweep.cutoffs_min: %g min "
                                 "is not one of the set's cutoffs_min (from "
                                 "%g to %g min)",
                                 sel->name, c, r->cutoffs_min[0],
                                 r->cutoffs_min[r->n_cutoffs - 1]);
            x->sweep_cut_min[x->n_sweep_cut++] = c;
            x->depth_ds = max_u32(x->depth_ds, am_minutes_to_ds(c));
        }
        for (int k = 0; sel->sweep_cutoffs_min == NULL && k < nc; k++)
            if (am_minutes_to_ds(r->cutoffs_min[k]) <= x->depth_ds)
                x->sweep_cut_min[x->n_sweep_cut++] = r->cutoffs_min[k];
    }
    /* the sweep's time saved counts times up to what was searched */
    x->sweep_penalty_ds =
        sel->model == AM_SELECTION_PMEDIAN ? x->penalty_ds : x->depth_ds;
    return AM_OK;
}

/* The instance of the chosen sites' rows only (rows on demand): *sub
 * over them, in pick order (site k = chosen[k]); arrays owned by *row,
 * *cell and *tim. */
static am_status chosen_rows(am_selection_rows_src *src, const am_model *m,
                             const am_selection *x, const am_sel_instance *in,
                             am_sel_instance *sub, int64_t **row,
                             int32_t **cell, uint32_t **tim, am_error *err)
{
    const int32_t k = x->res->n_chosen;
    am_status rc = am_selection_rows_csr(src, x->res->chosen, k, m->threads,
                                         row, cell, tim, err);
    *sub = (am_sel_instance){in->n_cells, in->weight, in->base_ds, k,
                             *row,        *cell,      *tim,        NULL};
    return rc;
}

static am_status solve(const am_model *m, am_selection *x,
                       const am_sel_instance *in, am_selection_rows_src *src,
                       am_phases *log, am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    am_sel_params prm = {0};
    prm.model = sel->model == AM_SELECTION_MCLP      ? AM_SEL_MCLP
                : sel->model == AM_SELECTION_PMEDIAN ? AM_SEL_PMEDIAN
                                                     : AM_SEL_SETCOVER;
    prm.cover_ds = x->cover_ds;
    prm.penalty_ds = x->penalty_ds;
    prm.p = sel->p;
    prm.budget = sel->budget;
    prm.target_share = sel->target_share;
    prm.local_search = sel->local_search;
    prm.n_threads = m->threads;
    prm.progress = am_phase_progress; /* Ctrl-C stops the solves */
    prm.progress_user = log;
    x->obj_scale = sel->model == AM_SELECTION_PMEDIAN ? 1.0 / 600.0 : 1.0;
    if (sel->model != AM_SELECTION_SETCOVER && sel->p > x->n_kept)
        return sel_error(m, sel->line_p, AM_ERR_INVALID, err,
                         "selection '%s': p = %d sites asked for, but only %ld "
                         "candidates are left (%ld generated, %ld off the "
                         "network, %ld near an existing facility)",
                         sel->name, sel->p, (long)x->n_kept, (long)x->n_cand,
                         (long)x->n_off, (long)x->n_near);
    if (sel->budget > 0) {
        double lo = INFINITY;
        for (int32_t r = 0; r < x->n_kept; r++)
            if (in->cost[r] < lo)
                lo = in->cost[r];
        if (!(sel->budget >= lo))
            return sel_error(m, sel->line_budget, AM_ERR_INVALID, err,
                             "selection '%s': budget %g is below every "
                             "candidate's cost (the cheapest of the %ld "
                             "left costs %g)",
                             sel->name, sel->budget, (long)x->n_kept, lo);
    }
    double t0 = am_now_s();
    am_status rc;
    if (src != NULL) { /* rows on demand (engine/selection_rows.h) */
        am_sel_rows rows = {in->n_cells,
                            in->weight,
                            in->base_ds,
                            in->n_cand,
                            in->cost,
                            am_selection_row,
                            src,
                            am_selection_rows_workspaces(src),
                            (int64_t)x->plan_bytes};
        am_sel_rows_info info;
        rc = am_sel_solve_rows(&rows, &prm, (int64_t)x->cache_bytes, &x->res,
                               &info, err);
        if (rc == AM_OK) {
            x->pairs = info.pairs;
            x->n_short = info.n_short;
            x->rows_computed += info.row_computed;
        }
    } else {
        rc = am_sel_solve(in, &prm, &x->res, err);
    }
    x->solve_s = am_now_s() - t0;
    if (rc != AM_OK)
        return rc;
    if (sel->model == AM_SELECTION_SETCOVER && !x->res->reached_target)
        am_warn(m->warn,
                "selection '%s': the target of %g %% of the population "
                "within %g min is not reached even with every useful "
                "candidate (reached_target = 0); the %d sites chosen are "
                "those that add coverage",
                sel->name, 100.0 * sel->target_share,
                am_ds_to_minutes(x->cover_ds), (int)x->res->n_chosen);
    else if (sel->p > 0 && x->res->n_chosen < sel->p)
        am_warn(m->warn,
                "selection '%s': only %d of the p = %d sites chosen: no "
                "further candidate improves the objective",
                sel->name, (int)x->res->n_chosen, (int)sel->p);
    const int small = x->pairs <= AM_SELECTION_EXACT_AUTO_PAIRS &&
                      x->n_kept <= AM_SELECTION_EXACT_AUTO_CAND;
    if (src != NULL && sel->exact == AM_EXACT_ON)
        am_warn(m->warn,
                "selection '%s': exact: on is not run with the rows on "
                "demand (the instance is not held)",
                sel->name);
    if (src == NULL &&
        (sel->exact == AM_EXACT_ON || (sel->exact == AM_EXACT_AUTO && small))) {
        /* the MILP's memory (GLPK's and the reductions', estimated from
         * its size: kernels/select_exact.c) within what the cap leaves */
        am_sel_exact_info sz;
        if ((rc = am_sel_exact_size(in, &prm, &sz, err)) != AM_OK)
            return rc;
        const uint64_t used = m->memory_estimate + x->plan_bytes;
        if (m->memory_cap > 0 &&
            (uint64_t)sz.bytes >
                (m->memory_cap > used ? m->memory_cap - used : 0)) {
            char b1[32], b2[32], b3[32];
            am_format_bytes((uint64_t)sz.bytes, b1, sizeof b1);
            am_format_bytes(m->memory_cap, b2, sizeof b2);
            am_format_bytes(used, b3, sizeof b3);
            if (sel->exact == AM_EXACT_ON)
                return sel_error(
                    m, sel->line_exact, AM_ERR_NOMEM, err,
                    "selection '%s': the exact solve (exact: on) needs about "
                    "%s (a MILP of %lld rows, %lld columns, %lld entries), "
                    "beyond what the memory cap of %s leaves after the run's "
                    "%s; set exact: off (or auto) or raise --max-memory",
                    sel->name, b1, (long long)sz.rows, (long long)sz.cols,
                    (long long)sz.nonzeros, b2, b3);
            am_warn(m->warn,
                    "selection '%s': the exact solve (exact: auto) skipped: "
                    "it needs about %s, beyond what the memory cap of %s "
                    "leaves after the run's %s",
                    sel->name, b1, b2, b3);
        } else {
            am_error e2;
            am_error_clear(&e2);
            am_sel_exact_info info;
            t0 = am_now_s();
            rc = am_sel_solve_exact(in, &prm, AM_SELECTION_EXACT_NONZEROS,
                                    AM_SELECTION_EXACT_TIME_S, &x->exact,
                                    &x->proven, &info,
                                    sel->exact == AM_EXACT_ON ? err : &e2);
            x->exact_s = am_now_s() - t0;
            x->exact_bound = info.bound;
            if (rc == AM_ERR_CANCELLED && sel->exact != AM_EXACT_ON)
                *err = e2;
            if (rc != AM_OK &&
                (sel->exact == AM_EXACT_ON || rc == AM_ERR_CANCELLED))
                return rc;
            if (rc != AM_OK)
                am_warn(m->warn,
                        "selection '%s': the exact solve (exact: auto) did "
                        "not finish: %s",
                        sel->name, e2.msg);
        }
    }
    /* each pick's gain and the objective after it, in pick order */
    const int32_t k = x->res->n_chosen;
    x->chosen_gain = am_alloc_array((size_t)k + 1, sizeof *x->chosen_gain);
    x->chosen_cum = am_alloc_array((size_t)k + 1, sizeof *x->chosen_cum);
    if (x->chosen_gain == NULL || x->chosen_cum == NULL)
        return nomem(err);
    double prev = x->res->base_objective;
    const double sign = sel->model == AM_SELECTION_PMEDIAN ? -1.0 : 1.0;
    /* on demand: the chosen sites' rows only, site i = the i-th pick */
    am_sel_instance sub;
    int64_t *srow = NULL;
    int32_t *scell = NULL, *order = NULL;
    uint32_t *stim = NULL;
    if (src != NULL) {
        order = am_alloc_array((size_t)k + 1, sizeof *order);
        if (order == NULL)
            return nomem(err);
        for (int32_t i = 0; i < k; i++)
            order[i] = i;
        rc = chosen_rows(src, m, x, in, &sub, &srow, &scell, &stim, err);
        if (rc != AM_OK) {
            am_free(order);
            return rc;
        }
    }
    for (int32_t i = 0; i < k; i++) {
        const double v =
            src != NULL ? am_sel_objective(&sub, &prm, order, i + 1)
                        : am_sel_objective(in, &prm, x->res->chosen, i + 1);
        x->chosen_cum[i] = v;
        x->chosen_gain[i] = sign * (v - prev);
        prev = v;
        x->chosen_order[x->kept[x->res->chosen[i]]] = i;
    }
    am_free(order);
    am_free(srow);
    am_free(scell);
    am_free(stim);
    return AM_OK;
}

/* ---- the equity models (kernels/select_equity.h) ----------------------- */

/* Their 2SFCA measure (the set's first) and its reach in the depth. */
static am_status plan_equity(const am_model *m, const am_results *r,
                             am_selection *x, am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    x->eq_measure = -1;
    if (!AM_SELECTION_IS_EQUITY(sel->model))
        return AM_OK;
    x->eq_measure = sweep_measure_of(r);
    if (x->eq_measure < 0)
        return sel_error(m, sel->line, AM_ERR_INVALID, err,
                         "selection '%s': the model %s optimises 2SFCA "
                         "accessibility, but the set '%s' computes no 2SFCA "
                         "measure (add one to 'measures')",
                         sel->name, model_name(sel->model), sel->facilities);
    return AM_OK;
}

/*
 * Solves an equity model on the instance (its rows reach the measure's
 * limit and the floor's cutoff), with the set's 2SFCA as A0 and its decay;
 * res gets the same choice and steps so the common tables and the
 * scenario's results follow.
 */
static am_status solve_equity(const am_model *m, const am_results *r,
                              am_selection *x, const am_sel_instance *in,
                              am_phases *log, am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    const am_measure_plan *pl = &r->plans[x->eq_measure];
    const uint32_t lim = am_minutes_to_ds(pl->limit_min);
    const int32_t nk = x->n_kept;
    double *dw = am_alloc_array((size_t)lim + 1, sizeof *dw);
    double *cap = am_alloc_array((size_t)nk + 1, sizeof *cap);
    am_status rc = dw && cap ? AM_OK : nomem(err);
    if (rc != AM_OK)
        goto done;
    am_decay_table(&pl->decay, lim, dw);
    for (int32_t i = 0; i < nk; i++)
        cap[i] = x->cand->fac->capacity[x->kept[i]];
    am_sel_instance sin = *in;
    if (sel->n_sizes > 0 && sel->cost_field == NULL)
        sin.cost = NULL; /* the sizes' costs only */
    const am_seleq_instance ei = {&sin,
                                  r->access + (size_t)x->eq_measure *
                                                  (size_t)r->n_cells,
                                  dw,
                                  lim,
                                  cap,
                                  sel->n_sizes,
                                  sel->size_capacity,
                                  sel->size_cost};
    const am_seleq_params ep = {
        sel->model == AM_SELECTION_MAXMIN          ? AM_SELEQ_MAXMIN
        : sel->model == AM_SELECTION_BOTTOM_DECILE ? AM_SELEQ_BOTTOM_DECILE
                                                   : AM_SELEQ_VARIANCE,
        sel->p,
        sel->budget,
        sel->coverage_floor,
        x->cover_ds,
        sel->local_search,
        m->threads,
        am_phase_progress, /* Ctrl-C stops the solve */
        log};
    x->obj_scale = 1.0;
    if (sel->p > nk) {
        rc = sel_error(m, sel->line_p, AM_ERR_INVALID, err,
                       "selection '%s': p = %d sites asked for, but only %ld "
                       "candidates are left (%ld generated, %ld off the "
                       "network, %ld near an existing facility)",
                       sel->name, sel->p, (long)nk, (long)x->n_cand,
                       (long)x->n_off, (long)x->n_near);
        goto done;
    }
    am_error e2;
    am_error_clear(&e2);
    const double t0 = am_now_s();
    rc = am_seleq_solve(&ei, &ep, &x->eq, &e2);
    x->solve_s = am_now_s() - t0;
    if (rc != AM_OK) {
        rc = rc == AM_ERR_NOMEM
                 ? nomem(err)
                 : sel_error(m,
                             sel->p == 0 && strstr(e2.msg, "budget")
                                 ? sel->line_budget
                                 : sel->line,
                             rc, err, "selection '%s': %s", sel->name, e2.msg);
        goto done;
    }
    const am_seleq_result *q = x->eq;
    const int32_t k = q->n_chosen;
    if (k == 0 || (sel->p > 0 && k < sel->p))
        am_warn(m->warn,
                "selection '%s': %d of the %s chosen: no further site "
                "improves the %s",
                sel->name, (int)k,
                sel->p > 0 ? "p sites" : "sites the budget allows",
                model_name(sel->model));
    /* the common result: the same choice and steps */
    am_sel_result *c = am_calloc(1, sizeof *c);
    x->res = c;
    if (c != NULL) {
        c->chosen = am_alloc_array((size_t)k + 1, sizeof *c->chosen);
        c->steps = am_alloc_array((size_t)q->n_steps + 1, sizeof *c->steps);
    }
    x->chosen_gain = am_alloc_array((size_t)k + 1, sizeof *x->chosen_gain);
    x->chosen_cum = am_alloc_array((size_t)k + 1, sizeof *x->chosen_cum);
    if (!c || !c->chosen || !c->steps || !x->chosen_gain || !x->chosen_cum) {
        rc = nomem(err);
        goto done;
    }
    c->n_chosen = k;
    memcpy(c->chosen, q->chosen, (size_t)k * sizeof *c->chosen);
    c->n_steps = q->n_steps;
    for (int32_t i = 0; i < q->n_steps; i++)
        c->steps[i] = (am_sel_step){q->steps[i].added, q->steps[i].removed,
                                    q->steps[i].gain, q->steps[i].objective,
                                    q->steps[i].cost};
    c->base_objective = q->base_objective;
    c->objective = q->objective;
    c->bound = NAN;
    c->gain_evaluations = q->evaluations;
    c->reached_target = 1;
    /* each pick's gain and the objective after it, in pick order */
    const double sign = sel->model == AM_SELECTION_VARIANCE ? -1.0 : 1.0;
    double prev = q->base_objective;
    for (int32_t i = 0; i < k && rc == AM_OK; i++) {
        double v, at, cov;
        rc = am_seleq_evaluate(&ei, &ep, q->chosen, q->size, i + 1, &v, &at,
                               &cov, NULL, err);
        x->chosen_cum[i] = v;
        x->chosen_gain[i] = sign * (v - prev);
        prev = v;
        x->chosen_order[x->kept[q->chosen[i]]] = i;
    }
done:
    am_free(dw);
    am_free(cap);
    return rc;
}

static am_status sweep(const am_model *m, const am_results *r, am_selection *x,
                       const am_sel_instance *in, am_selection_rows_src *src,
                       am_error *err)
{
    const size_t n = (size_t)x->n_kept + 1;
    const size_t nc = (size_t)x->n_sweep_cut; /* plan_depth's */
    uint32_t *cut = am_alloc_array(nc + 1, sizeof *cut);
    double *supply = am_alloc_array(n, sizeof *supply);
    double *dw = NULL;
    x->newly = am_alloc_array(n * nc + 1, sizeof *x->newly);
    x->nearest_changed = am_alloc_array(n, sizeof(double));
    x->time_saved = am_alloc_array(n, sizeof(double));
    x->d_mean = am_alloc_array(n, sizeof(double));
    x->d_b10 = am_alloc_array(n, sizeof(double));
    x->d_gini = am_alloc_array(n, sizeof(double));
    x->no_demand = am_alloc_array(n, sizeof(uint8_t));
    am_status rc = AM_OK;
    if (!cut || !supply || !x->newly || !x->nearest_changed || !x->time_saved ||
        !x->d_mean || !x->d_b10 || !x->d_gini || !x->no_demand) {
        rc = nomem(err);
        goto done;
    }
    for (size_t k = 0; k < nc; k++)
        cut[k] = am_minutes_to_ds(x->sweep_cut_min[k]);
    for (int32_t i = 0; i < x->n_kept; i++)
        supply[i] = x->cand->fac->capacity[x->kept[i]];
    am_sweep_params prm = {(int32_t)nc, cut,    x->sweep_penalty_ds, NULL, NULL,
                           0,           supply, m->threads};
    if (x->sweep_measure >= 0) {
        const am_measure_plan *pl = &r->plans[x->sweep_measure];
        const uint32_t lim = am_minutes_to_ds(pl->limit_min);
        dw = am_alloc_array((size_t)lim + 1, sizeof *dw);
        if (dw == NULL) {
            rc = nomem(err);
            goto done;
        }
        am_decay_table(&pl->decay, lim, dw);
        prm.base_access =
            r->access + (size_t)x->sweep_measure * (size_t)r->n_cells;
        prm.dw = dw;
        prm.dw_limit_ds = lim;
    }
    am_sweep_row out = {x->newly, x->nearest_changed, x->time_saved, x->d_mean,
                        x->d_b10, x->d_gini,          x->no_demand};
    if (src != NULL) {
        /* rows on demand: chunks of candidates whose rows fit the cache
           (by the plan's pairs per candidate), each row computed once */
        const double per =
            2.0 * (double)AM_SEL_ROW_BYTES(x->plan_pairs_per_cand + 1.0);
        double ch = (double)x->cache_bytes / per;
        ch = ch < 1 ? 1 : ch > x->n_kept ? x->n_kept : ch;
        rc = am_selection_sweep_chunks(src, in, &prm, (int32_t)ch, &out, err);
        x->rows_computed += x->n_kept;
    } else {
        rc = am_sweep_run(in, &prm, &out, err);
    }
done:
    am_free(cut);
    am_free(supply);
    am_free(dw);
    return rc;
}

/*
 * The scenario with the choice made: the existing set's facilities and the
 * chosen sites as one set (the existing ones first, in their order, then
 * the chosen in pick order, class "new"), snapped and computed exactly as
 * the existing set is (its cutoffs and measures).
 */
static am_status scenario_results(const am_model *m, const am_sites *base,
                                  am_selection *x, am_phases *log,
                                  am_error *err)
{
    const am_facility_set *fb = base->fac, *fc = x->cand->fac;
    const int32_t nb = fb->n, nch = x->res->n_chosen, n = nb + nch;
    double *lon = am_alloc_array((size_t)n + 1, sizeof *lon);
    double *lat = am_alloc_array((size_t)n + 1, sizeof *lat);
    double *cap = am_alloc_array((size_t)n + 1, sizeof *cap);
    am_facility_set *fs = NULL;
    am_status rc = lon && lat && cap ? AM_OK : nomem(err);
    for (int32_t j = 0; rc == AM_OK && j < n; j++) {
        const int32_t c = j < nb ? -1 : x->kept[x->res->chosen[j - nb]];
        lon[j] = c < 0 ? fb->lon[j] : fc->lon[c];
        lat[j] = c < 0 ? fb->lat[j] : fc->lat[c];
        cap[j] = c < 0   ? fb->capacity[j]
                 : x->eq ? x->eq->capacity[j - nb] /* the chosen size */
                         : fc->capacity[c];
    }
    if (rc == AM_OK)
        rc = am_points_set(n, lon, lat, cap, &fs, err);
    for (int32_t j = 0; rc == AM_OK && j < n; j++) {
        const int32_t c = j < nb ? -1 : x->kept[x->res->chosen[j - nb]];
        char *id = am_strdup(c < 0 ? fb->id[j] : fc->id[c]);
        char *name = am_strdup(c < 0 ? fb->name[j] : "");
        char *klass = am_strdup(c < 0 ? fb->klass[j] : "new");
        am_free(fs->id[j]);
        am_free(fs->name[j]);
        am_free(fs->klass[j]);
        fs->id[j] = id;
        fs->name[j] = name;
        fs->klass[j] = klass;
        fs->fid[j] = c < 0 ? fb->fid[j] : c;
        if (id == NULL || name == NULL || klass == NULL)
            rc = nomem(err);
    }
    am_free(lon);
    am_free(lat);
    am_free(cap);
    if (rc != AM_OK) {
        am_facility_set_destroy(fs);
        return rc;
    }
    rc = am_sites_from_set(m, base->name, NULL, fs, &x->scen_sites, err);
    if (rc != AM_OK)
        return rc;
    x->scen_sites->scenario_set = base->scenario_set; /* its cutoffs,
                                                         measures, tier */
    snprintf(x->scen_group, sizeof x->scen_group, "/scenarios/%s/results/%s",
             x->spec->name, base->name);
    return am_results_compute_logged(m, x->scen_sites, m->threads, log,
                                     &x->scen_res, err);
}

am_status am_selection_run(const am_model *m, am_sites *const *sites,
                           am_results *const *results, am_phases *log,
                           am_selection **out, am_error *err)
{
    const am_scenario *s = m->s;
    const am_selection_spec *sel = s->selection;
    am_catchments *c = NULL;
    uint32_t *node_ds = NULL;
    int32_t *node_site = NULL, *nearest = NULL, *ln = NULL;
    uint32_t *lo = NULL;
    double *kcost = NULL;
    am_selection_rows_src *src = NULL;
    am_status rc;
    *out = NULL;
    am_selection *x = am_calloc(1, sizeof *x);
    if (x == NULL)
        return nomem(err);
    x->spec = sel;
    x->base_set = 0;
    for (int k = 0; k < s->n_facility_sets; k++)
        if (strcmp(s->facility_sets[k].name, sel->facilities) == 0)
            x->base_set = k;
    const am_sites *base = sites[x->base_set];
    const am_results *res = results[x->base_set];
    const int threads = m->threads;
    const int32_t n_cells = m->demand->n_cells;

    /* candidates: read or generated, snapped, filtered */
    if ((rc = am_phase_begin(log, "reading candidates", err)) != AM_OK)
        goto fail;
    if ((rc = load_candidates(m, x, err)) != AM_OK)
        goto fail;
    if ((rc = plan_equity(m, res, x, err)) != AM_OK)
        goto fail;
    if ((rc = plan_depth(m, res, x, err)) != AM_OK)
        goto fail;
    const uint32_t excl_ds = am_minutes_to_ds(sel->exclude_within_min);
    const uint32_t search_ds = max_u32(x->depth_ds, excl_ds);
    const size_t nn = (size_t)m->graph_rev->n_nodes;
    x->excluded = am_calloc_array((size_t)x->n_cand, sizeof *x->excluded);
    x->chosen_order = am_alloc_array((size_t)x->n_cand, sizeof(int64_t));
    x->kept = am_alloc_array((size_t)x->n_cand, sizeof *x->kept);
    x->base_ds = am_alloc_array((size_t)n_cells + 1, sizeof *x->base_ds);
    node_ds = am_alloc_array(nn, sizeof *node_ds);
    node_site = am_alloc_array(nn, sizeof *node_site);
    nearest = am_alloc_array((size_t)n_cells + 1, sizeof *nearest);
    if (!x->excluded || !x->chosen_order || !x->kept || !x->base_ds ||
        !node_ds || !node_site || !nearest) {
        rc = nomem(err);
        goto fail;
    }
    for (int32_t j = 0; j < x->n_cand; j++)
        x->chosen_order[j] = -1;
    /* the baseline, searched as deep as the candidates' catchments */
    rc = am_nearest_nodes(m->graph_rev, base->fac->n, base->snap.node,
                          base->snap.offset_ds, search_ds, node_ds, node_site,
                          err);
    if (rc == AM_OK)
        rc = am_nearest_cells(m->demand, node_ds, node_site, x->depth_ds,
                              threads, x->base_ds, nearest, err);
    if (rc == AM_OK)
        rc = exclude(m, base, node_ds, x, err);
    if (rc != AM_OK)
        goto fail;
    for (int32_t j = 0; j < x->n_cand; j++)
        if (x->excluded[j] == 0)
            x->kept[x->n_kept++] = j;
    if (x->n_kept == 0) {
        rc = sel_error(m, sel->line_candidates, AM_ERR_EMPTY, err,
                       "selection '%s': no candidate left: of %ld, %ld are "
                       "farther than snap.max_distance_m = %g m from a road "
                       "and %ld within the exclusion of an existing facility",
                       sel->name, (long)x->n_cand, (long)x->n_off,
                       s->snap_max_m, (long)x->n_near);
        goto fail;
    }
    if ((rc = am_phase_end(log, "candidates", err)) != AM_OK)
        goto fail;

    /* the memory plan, then the catchments and the instance's rows */
    if ((rc = memory_plan(m, x, threads, err)) != AM_OK)
        goto fail;
    if ((rc = am_phase_begin(log, x->label, err)) != AM_OK)
        goto fail;
    if (x->on_demand) { /* rows on demand: no instance held */
        const int nt = threads > 0 ? threads : omp_get_max_threads();
        rc = am_selection_rows_create(m, x, nt < x->rows_ws ? nt : x->rows_ws,
                                      &src, err);
        x->row = am_calloc_array(1, sizeof *x->row); /* an empty CSR */
        if (rc == AM_OK && x->row == NULL)
            rc = nomem(err);
        if (rc != AM_OK)
            goto fail;
    } else {
        if ((rc = kept_links(x, 0, x->n_kept, &ln, &lo, err)) != AM_OK)
            goto fail;
        rc = am_catchments_compute(m->graph_rev, x->n_kept, ln, lo, x->depth_ds,
                                   m->demand_nodes, 0, threads,
                                   am_phase_progress, log, &c, err);
        if (rc == AM_OK)
            rc = instance_rows(m, c, x->depth_ds, threads, &x->row, &x->cell,
                               &x->time_ds, err);
        am_catchments_destroy(c);
        c = NULL;
        if (rc != AM_OK)
            goto fail;
        x->pairs = x->row[x->n_kept];
    }
    if ((rc = am_phase_end(log, "candidate catchments", err)) != AM_OK)
        goto fail;

    /* solve, then sweep */
    kcost = am_alloc_array((size_t)x->n_kept, sizeof *kcost);
    if (kcost == NULL) {
        rc = nomem(err);
        goto fail;
    }
    for (int32_t r = 0; r < x->n_kept; r++)
        kcost[r] = x->cost[x->kept[r]];
    am_sel_instance in = {n_cells, m->demand->pop, x->base_ds, x->n_kept,
                          x->row,  x->cell,        x->time_ds, kcost};
    if ((rc = am_phase_begin(log, "choosing sites", err)) != AM_OK)
        goto fail;
    if ((rc = AM_SELECTION_IS_EQUITY(sel->model)
                  ? solve_equity(m, res, x, &in, log, err)
                  : solve(m, x, &in, src, log, err)) != AM_OK)
        goto fail;
    if ((rc = am_phase_end(log, "selection", err)) != AM_OK)
        goto fail;
    if (sel->sweep) {
        if ((rc = am_phase_begin(log, "candidate sweep", err)) != AM_OK)
            goto fail;
        if ((rc = sweep(m, res, x, &in, src, err)) != AM_OK)
            goto fail;
        if ((rc = am_selection_map_cells(m, x, err)) != AM_OK)
            goto fail;
        if ((rc = am_phase_end(log, "sweep", err)) != AM_OK)
            goto fail;
    }
    /* the scenario with the choice made, as the existing set's results */
    if ((rc = scenario_results(m, base, x, log, err)) != AM_OK)
        goto fail;
    *out = x;
    x = NULL;
fail: /* and the way out on success (x NULL then) */
    am_catchments_destroy(c);
    am_free(node_ds);
    am_free(node_site);
    am_free(nearest);
    am_free(ln);
    am_free(lo);
    am_free(kcost);
    am_selection_rows_destroy(src);
    am_selection_destroy(x);
    return rc;
}

/* ---- the output's description (docs/hdf5-layout.md, "/selection") ----- */

void am_selection_desc_free(am_selection_desc *d)
{
    if (d == NULL)
        return;
    for (int k = 0; k < d->n_names; k++)
        am_free(d->names[k]);
    am_free(d->names);
    for (int k = 0; k < d->n_blocks; k++)
        am_free(d->block[k]);
    am_free(d->block);
    am_free(d->id_chosen);
    am_free(d->id_sweep);
    am_free(d->cols);
    for (int k = 0; k < d->n_map_names; k++)
        am_free(d->map_names[k]);
    am_free(d->map_names);
    am_free(d->maps);
    am_free(d->map_cand);
    am_free(d->map_newly);
    memset(d, 0, sizeof *d);
}

/* A zeroed block of n 8-byte values kept in d (freed with it). */
static void *desc_block(am_selection_desc *d, size_t n)
{
    void *p = am_calloc_array(n > 0 ? n : 1, 8);
    if (p == NULL)
        return NULL;
    d->block[d->n_blocks++] = p;
    return p;
}

/* The equity models' step columns: the sizes, the population at the
 * minimum and the coverage after each step. */
static am_status equity_step_columns(const am_selection *x,
                                     am_selection_desc *d, am_rf_column *col,
                                     int *q)
{
    const am_seleq_result *r = x->eq;
    const int32_t n = r->n_steps;
    int64_t *as = desc_block(d, (size_t)n), *rs = desc_block(d, (size_t)n);
    double *am = desc_block(d, (size_t)n), *cv = desc_block(d, (size_t)n);
    if (!as || !rs || !am || !cv)
        return AM_ERR_NOMEM;
    for (int32_t k = 0; k < n; k++) {
        as[k] = r->steps[k].added_size;
        rs[k] = r->steps[k].removed_size;
        am[k] = r->steps[k].at_min;
        cv[k] = r->steps[k].coverage;
    }
    col[(*q)++] = (am_rf_column){"added_size", AM_RF_COL_INT64, as, NULL,
                                 "index in candidates.sizes of the site "
                                 "added (or resized to), -1 none"};
    col[(*q)++] = (am_rf_column){"removed_size", AM_RF_COL_INT64, rs, NULL,
                                 "index in candidates.sizes of the site "
                                 "removed (or resized from), -1 none"};
    col[(*q)++] = (am_rf_column){"at_min", AM_RF_COL_DOUBLE, am, "persons",
                                 "population at the minimum accessibility "
                                 "(the tie rule; NaN for variance)"};
    col[(*q)++] = (am_rf_column){"coverage", AM_RF_COL_DOUBLE, cv, "1",
                                 "share of the population within cutoff_min "
                                 "of an open site"};
    return AM_OK;
}

/* The equity models' chosen columns: each site's size, capacity, cost. */
static am_status equity_chosen_columns(const am_selection *x,
                                       am_selection_desc *d, am_rf_column *col,
                                       int *q)
{
    const am_seleq_result *r = x->eq;
    const am_selection_spec *sel = x->spec;
    const int32_t n = r->n_chosen;
    int64_t *sz = desc_block(d, (size_t)n);
    double *cp = desc_block(d, (size_t)n), *ct = desc_block(d, (size_t)n);
    if (!sz || !cp || !ct)
        return AM_ERR_NOMEM;
    for (int32_t k = 0; k < n; k++) {
        const int32_t j = x->kept[r->chosen[k]];
        sz[k] = r->size[k];
        cp[k] = r->capacity[k];
        ct[k] = sel->n_sizes > 0 ? (sel->cost_field ? x->cost[j] : 0.0) +
                                       sel->size_cost[r->size[k]]
                                 : x->cost[j];
    }
    col[(*q)++] = (am_rf_column){"size", AM_RF_COL_INT64, sz, NULL,
                                 "index in candidates.sizes, -1 without "
                                 "sizes"};
    col[(*q)++] = (am_rf_column){"capacity", AM_RF_COL_DOUBLE, cp, NULL,
                                 "the supply given to the site (its size's, "
                                 "or the candidate's)"};
    col[(*q)++] = (am_rf_column){"cost", AM_RF_COL_DOUBLE, ct, NULL,
                                 "the site's cost (cost_field, plus its "
                                 "size's)"};
    return AM_OK;
}

/* The equity models' attributes (in place of cutoff_min). */
static int equity_attrs(const am_selection *x, const am_model *m, am_rf_attr *a,
                        int na)
{
    const am_selection_spec *sel = x->spec;
    const am_seleq_result *r = x->eq;
    a[na++] = (am_rf_attr){"measure", AM_RF_COL_STRING, 0, 0,
                           m->s->measures[x->eq_measure].name};
    a[na++] = (am_rf_attr){"sizes", AM_RF_COL_INT64, sel->n_sizes, 0, NULL};
    if (sel->model != AM_SELECTION_VARIANCE) {
        a[na++] = (am_rf_attr){"base_at_min", AM_RF_COL_DOUBLE, 0,
                               r->base_at_min, NULL};
        a[na++] = (am_rf_attr){"at_min", AM_RF_COL_DOUBLE, 0, r->at_min, NULL};
    }
    if (sel->coverage_floor > 0) {
        a[na++] = (am_rf_attr){"cutoff_min", AM_RF_COL_DOUBLE, 0,
                               sel->cutoff_min, NULL};
        a[na++] = (am_rf_attr){"coverage_floor", AM_RF_COL_DOUBLE, 0,
                               sel->coverage_floor, NULL};
        a[na++] = (am_rf_attr){"base_coverage", AM_RF_COL_DOUBLE, 0,
                               r->base_coverage, NULL};
        a[na++] =
            (am_rf_attr){"coverage", AM_RF_COL_DOUBLE, 0, r->coverage, NULL};
    }
    return na;
}

am_status am_selection_describe(const am_selection *x, const am_model *m,
                                const am_results *base_res,
                                am_selection_desc *d, am_error *err)
{
    const am_selection_spec *sel = x->spec;
    const am_facility_set *fc = x->cand->fac;
    const am_sel_result *r = x->res;
    const int32_t n = x->n_cand, nk = x->n_kept, nch = r->n_chosen;
    const int32_t nst = r->n_steps, ncut = sel->sweep ? x->n_sweep_cut : 0;
    const double sc = x->obj_scale;
    const int pmed = sel->model == AM_SELECTION_PMEDIAN;
    (void)base_res;
    memset(d, 0, sizeof *d);
    /* 16 blocks and 33 columns, and one more of each per sweep cutoff */
    d->block = am_calloc_array(32 + (size_t)ncut, sizeof *d->block);
    d->cols = am_calloc_array(64 + (size_t)ncut, sizeof *d->cols);
    d->names = am_calloc_array((size_t)ncut + 1, sizeof *d->names);
    d->id_chosen = am_calloc_array((size_t)nch + 1, sizeof *d->id_chosen);
    d->id_sweep = am_calloc_array((size_t)nk + 1, sizeof *d->id_sweep);
    if (!d->block || !d->cols || !d->names || !d->id_chosen || !d->id_sweep)
        goto nomem;
    am_rf_column *col = d->cols;
    int q = 0;

    /* candidates */
    int64_t *rowi = desc_block(d, (size_t)n);
    double *snap = desc_block(d, (size_t)n);
    if (!rowi || !snap)
        goto nomem;
    for (int32_t j = 0; j < n; j++) {
        rowi[j] = j;
        snap[j] = x->cand->snap.dist_m[j];
    }
    const int c0 = q;
    col[q++] = (am_rf_column){"candidate", AM_RF_COL_INT64, rowi, NULL,
                              "the candidate's row number (0-based)"};
    col[q++] = (am_rf_column){"id", AM_RF_COL_STRING, fc->id, NULL,
                              "the layer's id, or grid_<row>_<col> of the "
                              "frame's squares, cell_<row>_<col> of the "
                              "raster"};
    col[q++] = (am_rf_column){"lon", AM_RF_COL_DOUBLE, fc->lon, "degrees_east",
                              "WGS 84"};
    col[q++] = (am_rf_column){"lat", AM_RF_COL_DOUBLE, fc->lat, "degrees_north",
                              "WGS 84"};
    col[q++] = (am_rf_column){"snap_distance_m", AM_RF_COL_DOUBLE, snap, "m",
                              "geodesic distance to the road; NaN off the "
                              "network"};
    col[q++] = (am_rf_column){"capacity", AM_RF_COL_DOUBLE, fc->capacity, NULL,
                              "supply (the sweep's 2SFCA)"};
    col[q++] = (am_rf_column){"cost", AM_RF_COL_DOUBLE, x->cost, NULL,
                              "cost_field, else 1"};
    col[q++] = (am_rf_column){"excluded", AM_RF_COL_INT64, x->excluded, NULL,
                              "0 kept, 1 within exclude_within_* of an "
                              "existing facility, 2 off the network"};
    col[q++] = (am_rf_column){"chosen", AM_RF_COL_INT64, x->chosen_order, NULL,
                              "0-based order of the pick, -1 not chosen"};
    d->tables[0] = (am_rf_table){
        .name = "candidates", .n_rows = n, .n_cols = q - c0, .cols = col + c0};

    /* steps */
    int64_t *st = desc_block(d, (size_t)nst), *sa = desc_block(d, (size_t)nst);
    int64_t *sr = desc_block(d, (size_t)nst);
    double *sg = desc_block(d, (size_t)nst), *so = desc_block(d, (size_t)nst);
    double *scost = desc_block(d, (size_t)nst);
    if (!st || !sa || !sr || !sg || !so || !scost)
        goto nomem;
    for (int32_t k = 0; k < nst; k++) {
        const am_sel_step *p = &r->steps[k];
        st[k] = k;
        sa[k] = p->added >= 0 ? x->kept[p->added] : -1;
        sr[k] = p->removed >= 0 ? x->kept[p->removed] : -1;
        sg[k] = p->gain * sc;
        so[k] = p->objective * sc;
        scost[k] = p->cost;
    }
    const char *ounit = pmed ? "person-minutes" : "persons";
    if (x->eq != NULL) /* the equity models: the 2SFCA measure's units */
        ounit = sel->model == AM_SELECTION_VARIANCE ? "accessibility^2"
                                                    : "accessibility";
    const int c1 = q;
    col[q++] = (am_rf_column){"step", AM_RF_COL_INT64, st, NULL, NULL};
    col[q++] = (am_rf_column){"added", AM_RF_COL_INT64, sa, NULL,
                              "candidate row added, -1 none"};
    col[q++] = (am_rf_column){"removed", AM_RF_COL_INT64, sr, NULL,
                              "candidate row removed (a swap), -1 none"};
    col[q++] = (am_rf_column){"gain", AM_RF_COL_DOUBLE, sg, ounit,
                              "objective improvement of the step"};
    col[q++] = (am_rf_column){"objective", AM_RF_COL_DOUBLE, so, ounit,
                              "after the step"};
    col[q++] = (am_rf_column){"cost", AM_RF_COL_DOUBLE, scost, NULL,
                              "total cost of the chosen set after the step"};
    if (x->eq != NULL && equity_step_columns(x, d, col, &q) != AM_OK)
        goto nomem;
    d->tables[1] = (am_rf_table){
        .name = "steps", .n_rows = nst, .n_cols = q - c1, .cols = col + c1};

    /* chosen */
    int64_t *co = desc_block(d, (size_t)nch), *cc = desc_block(d, (size_t)nch);
    double *clon = desc_block(d, (size_t)nch),
           *clat = desc_block(d, (size_t)nch);
    double *cg = desc_block(d, (size_t)nch), *cobj = desc_block(d, (size_t)nch);
    if (!co || !cc || !clon || !clat || !cg || !cobj)
        goto nomem;
    for (int32_t k = 0; k < nch; k++) {
        const int32_t j = x->kept[r->chosen[k]];
        co[k] = k;
        cc[k] = j;
        d->id_chosen[k] = fc->id[j];
        clon[k] = fc->lon[j];
        clat[k] = fc->lat[j];
        cg[k] = x->chosen_gain[k] * sc;
        cobj[k] = x->chosen_cum[k] * sc;
    }
    const int c2 = q;
    col[q++] = (am_rf_column){"order", AM_RF_COL_INT64, co, NULL, NULL};
    col[q++] = (am_rf_column){"candidate", AM_RF_COL_INT64, cc, NULL,
                              "row in the candidates table"};
    col[q++] = (am_rf_column){"id", AM_RF_COL_STRING, d->id_chosen, NULL, NULL};
    col[q++] =
        (am_rf_column){"lon", AM_RF_COL_DOUBLE, clon, "degrees_east", NULL};
    col[q++] =
        (am_rf_column){"lat", AM_RF_COL_DOUBLE, clat, "degrees_north", NULL};
    col[q++] = (am_rf_column){"gain", AM_RF_COL_DOUBLE, cg, ounit,
                              "the objective's improvement when added after "
                              "the sites before it in this order"};
    col[q++] = (am_rf_column){"objective", AM_RF_COL_DOUBLE, cobj, ounit,
                              "the objective with the sites up to this one"};
    if (x->eq != NULL && equity_chosen_columns(x, d, col, &q) != AM_OK)
        goto nomem;
    d->tables[2] = (am_rf_table){
        .name = "chosen", .n_rows = nch, .n_cols = q - c2, .cols = col + c2};
    d->sel.n_tables = 3;

    /* sweep: one row per kept candidate */
    if (sel->sweep) {
        int64_t *sc_row = desc_block(d, (size_t)nk);
        int64_t *snd = desc_block(d, (size_t)nk);
        if (!sc_row || !snd)
            goto nomem;
        for (int32_t i = 0; i < nk; i++) {
            sc_row[i] = x->kept[i];
            d->id_sweep[i] = fc->id[x->kept[i]];
            snd[i] = x->no_demand[i];
        }
        const int c3 = q;
        col[q++] = (am_rf_column){"candidate", AM_RF_COL_INT64, sc_row, NULL,
                                  "row in the candidates table"};
        col[q++] =
            (am_rf_column){"id", AM_RF_COL_STRING, d->id_sweep, NULL, NULL};
        for (int32_t k = 0; k < ncut; k++) {
            double *v = desc_block(d, (size_t)nk);
            char name[64];
            if (v == NULL)
                goto nomem;
            for (int32_t i = 0; i < nk; i++)
                v[i] = x->newly[(size_t)i * (size_t)ncut + (size_t)k];
            snprintf(name, sizeof name, "newly_within_%gmin",
                     x->sweep_cut_min[k]);
            for (char *p = name; *p != '\0'; p++)
                if (*p == '.')
                    *p = '_';
            if ((d->names[d->n_names] = am_strdup(name)) == NULL)
                goto nomem;
            col[q++] = (am_rf_column){d->names[d->n_names++], AM_RF_COL_DOUBLE,
                                      v, "persons",
                                      "people the candidate alone brings "
                                      "within the cutoff"};
        }
        col[q++] = (am_rf_column){"nearest_changed", AM_RF_COL_DOUBLE,
                                  x->nearest_changed, "persons",
                                  "people for whom it would be strictly "
                                  "nearer than every existing facility"};
        col[q++] = (am_rf_column){"time_saved_min", AM_RF_COL_DOUBLE,
                                  x->time_saved, "person-minutes",
                                  "sum of w (min(b, P) - min(t, b, P)), P "
                                  "the attribute sweep_penalty_min"};
        col[q++] = (am_rf_column){"d_mean", AM_RF_COL_DOUBLE, x->d_mean, NULL,
                                  "change in the population-weighted mean "
                                  "of the 2SFCA measure (NaN: none)"};
        col[q++] =
            (am_rf_column){"d_bottom10", AM_RF_COL_DOUBLE, x->d_b10, NULL,
                           "change in the mean of the lowest 10 % of "
                           "the population"};
        col[q++] = (am_rf_column){"d_gini", AM_RF_COL_DOUBLE, x->d_gini, "1",
                                  "change in the Gini coefficient"};
        col[q++] = (am_rf_column){"no_demand", AM_RF_COL_INT64, snd, NULL,
                                  "1: no population within its 2SFCA reach"};
        d->tables[3] = (am_rf_table){
            .name = "sweep", .n_rows = nk, .n_cols = q - c3, .cols = col + c3};
        d->sel.n_tables = 4;
    }

    /* attributes */
    am_rf_attr *a = d->attrs;
    int na = 0;
    const double base = r->base_objective * sc, obj = r->objective * sc;
    const double gain =
        pmed || sel->model == AM_SELECTION_VARIANCE ? base - obj : obj - base;
    a[na++] =
        (am_rf_attr){"model", AM_RF_COL_STRING, 0, 0, model_name(sel->model)};
    a[na++] =
        (am_rf_attr){"facilities", AM_RF_COL_STRING, 0, 0, sel->facilities};
    a[na++] = (am_rf_attr){"objective_units", AM_RF_COL_STRING, 0, 0, ounit};
    if (x->eq != NULL)
        na = equity_attrs(x, m, a, na);
    else if (sel->model != AM_SELECTION_PMEDIAN)
        a[na++] = (am_rf_attr){"cutoff_min", AM_RF_COL_DOUBLE, 0,
                               sel->cutoff_min, NULL};
    else
        a[na++] = (am_rf_attr){"penalty_min", AM_RF_COL_DOUBLE, 0,
                               am_ds_to_minutes(x->penalty_ds), NULL};
    if (sel->p > 0)
        a[na++] = (am_rf_attr){"p", AM_RF_COL_INT64, sel->p, 0, NULL};
    if (sel->budget > 0)
        a[na++] =
            (am_rf_attr){"budget", AM_RF_COL_DOUBLE, 0, sel->budget, NULL};
    if (sel->model == AM_SELECTION_SETCOVER) {
        a[na++] = (am_rf_attr){"target_share", AM_RF_COL_DOUBLE, 0,
                               sel->target_share, NULL};
        a[na++] = (am_rf_attr){"reached_target", AM_RF_COL_INT64,
                               r->reached_target, 0, NULL};
    }
    a[na++] = (am_rf_attr){"base_objective", AM_RF_COL_DOUBLE, 0, base, NULL};
    a[na++] = (am_rf_attr){"objective", AM_RF_COL_DOUBLE, 0, obj, NULL};
    a[na++] = (am_rf_attr){"gain", AM_RF_COL_DOUBLE, 0, gain, NULL};
    a[na++] = (am_rf_attr){"bound", AM_RF_COL_DOUBLE, 0, r->bound * sc, NULL};
    a[na++] = (am_rf_attr){"chosen_count", AM_RF_COL_INT64, nch, 0, NULL};
    a[na++] = (am_rf_attr){"local_search", AM_RF_COL_INT64, sel->local_search,
                           0, NULL};
    if (x->exact != NULL) {
        const double eobj = x->exact->objective * sc;
        const double egain = pmed ? base - eobj : eobj - base;
        a[na++] =
            (am_rf_attr){"exact_objective", AM_RF_COL_DOUBLE, 0, eobj, NULL};
        a[na++] =
            (am_rf_attr){"exact_proven", AM_RF_COL_INT64, x->proven, 0, NULL};
        a[na++] = (am_rf_attr){"gain_share_of_exact", AM_RF_COL_DOUBLE, 0,
                               egain > 0 ? gain / egain : NAN, NULL};
    }
    a[na++] = (am_rf_attr){"candidates", AM_RF_COL_INT64, n, 0, NULL};
    a[na++] = (am_rf_attr){"excluded", AM_RF_COL_INT64, x->n_near + x->n_off, 0,
                           NULL};
    a[na++] =
        (am_rf_attr){"excluded_near", AM_RF_COL_INT64, x->n_near, 0, NULL};
    a[na++] = (am_rf_attr){"excluded_off_network", AM_RF_COL_INT64, x->n_off, 0,
                           NULL};
    a[na++] = (am_rf_attr){"pairs", AM_RF_COL_INT64, x->pairs, 0, NULL};
    a[na++] = (am_rf_attr){"memory_plan_bytes", AM_RF_COL_INT64,
                           (int64_t)x->plan_bytes, 0, NULL};
    a[na++] = (am_rf_attr){"depth_min", AM_RF_COL_DOUBLE, 0,
                           am_ds_to_minutes(x->depth_ds), NULL};
    a[na++] = (am_rf_attr){"catchments", AM_RF_COL_STRING, 0, 0,
                           x->on_demand ? "on_demand" : "memory"};
    if (x->on_demand) {
        a[na++] = (am_rf_attr){"cache_bytes", AM_RF_COL_INT64,
                               (int64_t)x->cache_bytes, 0, NULL};
        a[na++] =
            (am_rf_attr){"shortlist", AM_RF_COL_INT64, x->n_short, 0, NULL};
        a[na++] = (am_rf_attr){"rows_computed", AM_RF_COL_INT64,
                               x->rows_computed, 0, NULL};
    }
    if (sel->sweep) {
        a[na++] = (am_rf_attr){"sweep_penalty_min", AM_RF_COL_DOUBLE, 0,
                               am_ds_to_minutes(x->sweep_penalty_ds), NULL};
        a[na++] = (am_rf_attr){
            "sweep_measure", AM_RF_COL_STRING, 0, 0,
            x->sweep_measure >= 0 ? m->s->measures[x->sweep_measure].name : ""};
    }
    d->sel.name = sel->name;
    d->sel.n_attrs = na;
    d->sel.attrs = d->attrs;
    d->sel.tables = d->tables;
    am_status rc = am_selection_describe_maps(x, m, d, err); /* the maps */
    if (rc != AM_OK)
        am_selection_desc_free(d);
    return rc;
nomem:
    am_selection_desc_free(d);
    return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
}

/* ---- the run summary ---------------------------------------------------- */

/* The equity models' part of the summary. */
static am_status equity_summary(const am_selection *x, am_selection_summary *q)
{
    const am_seleq_result *r = x->eq;
    const int32_t n = r->n_chosen;
    q->equity = 1;
    q->cutoff_min = x->spec->coverage_floor > 0 ? x->spec->cutoff_min : 0;
    q->coverage_floor = x->spec->coverage_floor;
    q->base_at_min = r->base_at_min;
    q->at_min = r->at_min;
    q->base_coverage = r->base_coverage;
    q->coverage = r->coverage;
    q->bound = NAN;
    q->measure = x->eq_measure;
    q->size = am_alloc_array((size_t)n + 1, sizeof *q->size);
    q->capacity = am_alloc_array((size_t)n + 1, sizeof *q->capacity);
    if (!q->size || !q->capacity)
        return AM_ERR_NOMEM;
    for (int32_t k = 0; k < n; k++) {
        q->size[k] = r->size[k];
        q->capacity[k] = r->capacity[k];
    }
    return AM_OK;
}

am_status am_selection_summarize(const am_selection *x,
                                 am_selection_summary **out, am_error *err)
{
    const am_selection_spec *sel = x->spec;
    const am_sel_result *r = x->res;
    const double sc = x->obj_scale;
    const int32_t n = r->n_chosen;
    am_selection_summary *q = am_calloc(1, sizeof *q);
    if (q == NULL)
        return nomem(err);
    *out = q;
    q->name = am_strdup(sel->name);
    q->model = am_strdup(model_name(sel->model));
    q->facilities = am_strdup(sel->facilities);
    q->id = am_calloc_array((size_t)n + 1, sizeof *q->id);
    q->lon = am_alloc_array((size_t)n + 1, sizeof *q->lon);
    q->lat = am_alloc_array((size_t)n + 1, sizeof *q->lat);
    q->gain = am_alloc_array((size_t)n + 1, sizeof *q->gain);
    q->objective_after = am_alloc_array((size_t)n + 1, sizeof(double));
    if (!q->name || !q->model || !q->facilities || !q->id || !q->lon ||
        !q->lat || !q->gain || !q->objective_after)
        return nomem(err);
    q->n_chosen = n;
    for (int32_t k = 0; k < n; k++) {
        const int32_t j = x->kept[r->chosen[k]];
        if ((q->id[k] = am_strdup(x->cand->fac->id[j])) == NULL)
            return nomem(err);
        q->lon[k] = x->cand->fac->lon[j];
        q->lat[k] = x->cand->fac->lat[j];
        q->gain[k] = x->chosen_gain[k] * sc;
        q->objective_after[k] = x->chosen_cum[k] * sc;
    }
    q->candidates = x->n_cand;
    q->excluded_near = x->n_near;
    q->off_network = x->n_off;
    q->cutoff_min = sel->model != AM_SELECTION_PMEDIAN ? sel->cutoff_min : 0;
    q->penalty_min = sel->model == AM_SELECTION_PMEDIAN
                         ? am_ds_to_minutes(x->penalty_ds)
                         : 0;
    q->depth_min = am_ds_to_minutes(x->depth_ds);
    q->pairs = x->pairs;
    q->plan_bytes = x->plan_bytes;
    q->on_demand = x->on_demand;
    q->local_search = x->spec->local_search;
    q->cache_bytes = x->on_demand ? x->cache_bytes : 0;
    q->shortlist = x->n_short;
    q->base_objective = r->base_objective * sc;
    q->objective = r->objective * sc;
    q->bound = r->bound * sc;
    q->exact_run = x->exact != NULL;
    q->exact_proven = x->proven;
    q->exact_objective = x->exact != NULL ? x->exact->objective * sc : NAN;
    q->exact_s = x->exact != NULL ? x->exact_s : NAN;
    q->exact_bound = x->exact != NULL ? x->exact_bound * sc : NAN;
    q->sweep = sel->sweep;
    if (x->eq != NULL && equity_summary(x, q) != AM_OK)
        return nomem(err);
    const am_results *sr = x->scen_res;
    q->base_set = x->base_set;
    q->n_measures = sr != NULL ? sr->n_measures : 0;
    q->access_mean = am_alloc_array((size_t)q->n_measures + 1, sizeof(double));
    q->gini = am_alloc_array((size_t)q->n_measures + 1, sizeof(double));
    if (q->access_mean == NULL || q->gini == NULL)
        return nomem(err);
    for (int k = 0; k < q->n_measures; k++) {
        q->access_mean[k] = sr->measure_on[k] ? sr->access_mean[k] : NAN;
        q->gini[k] = NAN;
        if (sr->equity != NULL && sr->measure_on[k]) /* overall, row 0 */
            q->gini[k] =
                sr->equity->stats[(size_t)(1 + k) * (size_t)sr->equity->n_rows]
                    .gini;
    }
    return AM_OK;
}
