/*
 * selection_maps.c: two parts of the site selection (issue 10) kept apart
 * from selection.c: candidates at the nodes of chosen road classes, and
 * the sweep as map-ready rasters (docs/scenario.md "Site selection",
 * docs/hdf5-layout.md "/selection").
 *
 * Road nodes. The vertices of the roads of the chosen classes
 * (inputs/road_nodes.h: OSM highway values or roads.class_field values,
 * roads.where applied, identical positions merged, each with its degree:
 * segment ends meeting there) are thinned to one per square of spacing_m
 * in the run's local metric frame (squares aligned on its origin, as the
 * grid candidates'): the node with the highest degree (a junction before
 * a bend, a bend before a dead end), ties to the lowest longitude, then
 * latitude. A node whose position is outside the population raster is
 * dropped first (it could be nobody's nearest cell). With min_population
 * > 0 a square must hold that many persons (populated cells by centre, as
 * the grid's); with 0 every square with a node counts. Candidates in
 * square order (row, then column of the frame, south to north), id
 * road_<row>_<col>. Serial, and independent of the order GDAL reads.
 *
 * Maps. Each kept candidate's sweep values are painted on the cells that
 * stand for it: a grid or road-node candidate's square (its populated
 * cells, those that made its population), a populated_cells candidate's
 * own cell, a layer point's cell (the raster cell holding it, populated
 * or not), a road node whose square has no populated cell also its own
 * cell. Squares do not overlap; where points share a cell the lower
 * candidate row wins. Everything else is nodata. The list of painted
 * cells is built once (at most one entry per populated cell plus one per
 * candidate) and every raster is streamed from it (outputs/results_file.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "engine/selection.h"
#include "geo/crs.h"
#include "geo/grid.h"
#include "inputs/road_nodes.h"

static am_status nomem(am_error *err)
{
    return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
}

typedef struct sq_key {
    int64_t iy, ix;
    int32_t idx; /* node or cell */
} sq_key;

static int cmp_sq(const void *a, const void *b)
{
    const sq_key *p = a, *q = b;
    if (p->iy != q->iy)
        return p->iy < q->iy ? -1 : 1;
    if (p->ix != q->ix)
        return p->ix < q->ix ? -1 : 1;
    return (p->idx > q->idx) - (p->idx < q->idx);
}

static int sq_less(const sq_key *p, const sq_key *q)
{
    return p->iy != q->iy ? p->iy < q->iy : p->ix < q->ix;
}

/* Squares of side s of n points (lon/lat, transformed into the frame in
 * a copy); points that cannot be transformed, or with keep[i] == 0, get
 * none. *k (caller-allocated [n]) sorted, *nk of them. */
static am_status square_keys(const am_model *m, size_t n, const double *lon,
                             const double *lat, const uint8_t *keep, double s,
                             sq_key *k, size_t *nk, am_error *err)
{
    double *x = am_alloc_array(n + 1, sizeof *x);
    double *y = am_alloc_array(n + 1, sizeof *y);
    am_status rc = x && y ? AM_OK : nomem(err);
    if (rc == AM_OK) {
        memcpy(x, lon, n * sizeof *x);
        memcpy(y, lat, n * sizeof *y);
        rc = am_transform_points(m->to_metric, n, x, y, NULL, err);
    }
    *nk = 0;
    for (size_t i = 0; rc == AM_OK && i < n; i++) {
        if ((keep != NULL && !keep[i]) || !isfinite(x[i]) || !isfinite(y[i]) ||
            fabs(x[i]) > 1e9 || fabs(y[i]) > 1e9)
            continue;
        k[(*nk)++] = (sq_key){(int64_t)floor(y[i] / s),
                              (int64_t)floor(x[i] / s), (int32_t)i};
    }
    if (rc == AM_OK)
        qsort(k, *nk, sizeof *k, cmp_sq);
    am_free(x);
    am_free(y);
    return rc;
}

/* The raster cell (row * nx + col) holding each point, -1 outside. */
static am_status point_cells(const am_model *m, size_t n, const double *lon,
                             const double *lat, int64_t *cell, am_error *err)
{
    const am_population *p = m->pop;
    const am_grid *g = &p->grid;
    am_transform *t = NULL;
    double *x = am_alloc_array(n + 1, sizeof *x);
    double *y = am_alloc_array(n + 1, sizeof *y);
    am_status rc = x && y ? AM_OK : nomem(err);
    if (rc == AM_OK)
        rc = am_transform_create(AM_CRS_WGS84, p->crs_wkt, &t, err);
    if (rc == AM_OK) {
        memcpy(x, lon, n * sizeof *x);
        memcpy(y, lat, n * sizeof *y);
        rc = am_transform_points(t, n, x, y, NULL, err);
    }
    for (size_t i = 0; rc == AM_OK && i < n; i++) {
        const double c = floor((x[i] - g->gt[0]) / g->gt[1]);
        const double r = floor((y[i] - g->gt[3]) / g->gt[5]);
        cell[i] = isfinite(c) && isfinite(r) && c >= 0 && c < g->nx && r >= 0 &&
                          r < g->ny
                      ? (int64_t)r * g->nx + (int64_t)c
                      : -1;
    }
    am_transform_destroy(t);
    am_free(x);
    am_free(y);
    return rc;
}

/* A loader's error about the roads restated at the scenario's line. */
static am_status at_scenario_line(const am_model *m, am_status rc,
                                  const char *path, am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    if (rc == AM_ERR_NOMEM || rc == AM_ERR_IO)
        return rc; /* the roads file's own trouble: named as it is */
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    am_error_set(err, rc, m->s->source_path, "%s (roads %s)", msg, path);
    if (sel->line_candidates > 0)
        am_error_set_line(err, sel->line_candidates, 0);
    return rc;
}

am_status am_selection_road_nodes(const am_model *m, const double *lon,
                                  const double *lat, am_facility_set **out,
                                  int32_t *cell_cand, am_error *err)
{
    const am_selection_spec *sel = m->s->selection;
    const am_population *p = m->pop;
    const double s = sel->spacing_m;
    const size_t nc = (size_t)p->n_cells;
    char path[AM_PATH_MAX];
    am_road_nodes *rn = NULL;
    sq_key *kn = NULL, *kc = NULL;
    int64_t *ncell = NULL, *iy = NULL, *ix = NULL;
    uint8_t *in = NULL;
    double *bx = NULL, *by = NULL;
    *out = NULL;
    am_status rc = am_engine_resolve(m->s, m->s->roads_path, path, err);
    if (rc == AM_OK) {
        am_road_node_options o = {path,
                                  m->s->roads_layer,
                                  m->s->roads_where,
                                  m->s->roads_class_field,
                                  (const char *const *)sel->road_classes,
                                  sel->n_road_classes};
        rc = am_road_nodes_load(&o, &rn, err);
        if (rc != AM_OK)
            rc = at_scenario_line(m, rc, path, err);
    }
    if (rc != AM_OK)
        goto done;
    const size_t n = (size_t)rn->n;
    ncell = am_alloc_array(n + 1, sizeof *ncell);
    in = am_alloc_array(n + 1, sizeof *in);
    kn = am_alloc_array(n + 1, sizeof *kn);
    kc = am_alloc_array(nc + 1, sizeof *kc);
    bx = am_alloc_array(n + 1, sizeof *bx);
    by = am_alloc_array(n + 1, sizeof *by);
    iy = am_alloc_array(n + 1, sizeof *iy);
    ix = am_alloc_array(n + 1, sizeof *ix);
    if (!ncell || !in || !kn || !kc || !bx || !by || !iy || !ix) {
        rc = nomem(err);
        goto done;
    }
    /* nodes outside the raster cannot be anyone's cell: dropped */
    if ((rc = point_cells(m, n, rn->lon, rn->lat, ncell, err)) != AM_OK)
        goto done;
    size_t outside = 0;
    for (size_t i = 0; i < n; i++) {
        in[i] = ncell[i] >= 0;
        outside += !in[i];
    }
    if (outside > 0)
        am_warn(m->warn,
                "selection '%s': %zu of %zu road nodes of the chosen classes "
                "lie outside the population raster: not candidates",
                sel->name, outside, n);
    size_t nkn = 0, nkc = 0;
    rc = square_keys(m, n, rn->lon, rn->lat, in, s, kn, &nkn, err);
    if (rc == AM_OK)
        rc = square_keys(m, nc, lon, lat, NULL, s, kc, &nkc, err);
    if (rc != AM_OK)
        goto done;
    int32_t nb = 0;
    size_t c = 0; /* the cells' keys, walked along with the squares */
    for (size_t a = 0; a < nkn;) {
        size_t b = a, best = a;
        while (b < nkn && kn[b].iy == kn[a].iy && kn[b].ix == kn[a].ix) {
            if (rn->degree[kn[b].idx] > rn->degree[kn[best].idx])
                best = b; /* ties: the lower node (lon, then lat) */
            b++;
        }
        while (c < nkc && sq_less(&kc[c], &kn[a]))
            c++;
        size_t d = c;
        double pop = 0.0; /* in cell order within the square */
        while (d < nkc && kc[d].iy == kn[a].iy && kc[d].ix == kn[a].ix)
            pop += p->pop[kc[d++].idx];
        if (!(sel->min_population > 0) || pop >= sel->min_population) {
            for (size_t q = c; q < d; q++)
                cell_cand[kc[q].idx] = nb;
            bx[nb] = rn->lon[kn[best].idx];
            by[nb] = rn->lat[kn[best].idx];
            iy[nb] = kn[a].iy;
            ix[nb] = kn[a].ix;
            nb++;
        }
        c = d;
        a = b;
    }
    rc = am_points_set(nb, bx, by, NULL, out, err);
    for (int32_t j = 0; rc == AM_OK && j < nb; j++) {
        char id[64];
        snprintf(id, sizeof id, "road_%lld_%lld", (long long)iy[j],
                 (long long)ix[j]);
        char *copy = am_strdup(id);
        if (copy == NULL) {
            rc = nomem(err);
            break;
        }
        am_free((*out)->id[j]);
        (*out)->id[j] = copy;
    }
done:
    am_road_nodes_destroy(rn);
    am_free(ncell);
    am_free(in);
    am_free(kn);
    am_free(kc);
    am_free(bx);
    am_free(by);
    am_free(iy);
    am_free(ix);
    return rc;
}

/* ---- the maps' cells ---------------------------------------------------- */

typedef struct paint {
    int64_t cell;
    int32_t row; /* kept row */
} paint;

static int cmp_paint(const void *a, const void *b)
{
    const paint *p = a, *q = b;
    if (p->cell != q->cell)
        return p->cell < q->cell ? -1 : 1;
    return (p->row > q->row) - (p->row < q->row);
}

am_status am_selection_map_cells(const am_model *m, am_selection *x,
                                 am_error *err)
{
    const am_population *p = m->pop;
    const am_facility_set *fc = x->cand->fac;
    const size_t n = (size_t)x->n_cand, nc = (size_t)p->n_cells;
    const am_candidate_source src = x->spec->source;
    const int own =
        src == AM_CANDIDATES_LAYER || src == AM_CANDIDATES_ROAD_NODES;
    int32_t *row_of = am_alloc_array(n + 1, sizeof *row_of);
    uint8_t *has = am_calloc_array(n + 1, sizeof *has);
    int64_t *pc = own ? am_alloc_array(n + 1, sizeof *pc) : NULL;
    paint *pt = am_alloc_array(nc + n + 1, sizeof *pt);
    am_status rc = row_of && has && pt && (pc || !own) ? AM_OK : nomem(err);
    size_t k = 0;
    if (rc != AM_OK)
        goto done;
    for (size_t j = 0; j < n; j++)
        row_of[j] = -1;
    for (int32_t r = 0; r < x->n_kept; r++)
        row_of[x->kept[r]] = r;
    for (size_t i = 0; x->cell_cand != NULL && i < nc; i++) {
        const int32_t j = x->cell_cand[i];
        if (j >= 0 && row_of[j] >= 0) {
            pt[k++] = (paint){p->cell[i], row_of[j]};
            has[j] = 1;
        }
    }
    if (own && (rc = point_cells(m, n, fc->lon, fc->lat, pc, err)) != AM_OK)
        goto done;
    for (size_t j = 0; own && j < n; j++)
        if (row_of[j] >= 0 && !has[j] && pc[j] >= 0)
            pt[k++] = (paint){pc[j], row_of[j]};
    qsort(pt, k, sizeof *pt, cmp_paint);
    size_t w = 0;
    for (size_t a = 0; a < k; a++)
        if (w == 0 || pt[a].cell != pt[w - 1].cell)
            pt[w++] = pt[a];
    x->map_cell = am_alloc_array(w + 1, sizeof *x->map_cell);
    x->map_row = am_alloc_array(w + 1, sizeof *x->map_row);
    if (x->map_cell == NULL || x->map_row == NULL) {
        rc = nomem(err);
        goto done;
    }
    for (size_t a = 0; a < w; a++) {
        x->map_cell[a] = pt[a].cell;
        x->map_row[a] = pt[a].row;
    }
    x->n_map = (int64_t)w;
done:
    am_free(row_of);
    am_free(has);
    am_free(pc);
    am_free(pt);
    return rc;
}

/* ---- the maps' description ---------------------------------------------- */

am_status am_selection_describe_maps(const am_selection *x, const am_model *m,
                                     am_selection_desc *d, am_error *err)
{
    const int32_t nk = x->n_kept, ncut = x->n_sweep_cut;
    (void)m;
    if (!x->spec->sweep || x->map_cell == NULL)
        return AM_OK;
    d->map_cand = am_alloc_array((size_t)nk + 1, sizeof *d->map_cand);
    d->map_newly =
        am_alloc_array((size_t)nk * (size_t)ncut + 1, sizeof *d->map_newly);
    d->map_names = am_calloc_array((size_t)ncut + 1, sizeof *d->map_names);
    d->maps = am_calloc_array((size_t)ncut + 6, sizeof *d->maps);
    if (!d->map_cand || !d->map_newly || !d->map_names || !d->maps)
        return nomem(err);
    for (int32_t r = 0; r < nk; r++)
        d->map_cand[r] = x->kept[r];
    am_rf_sel_map *mp = d->maps;
    int q = 0;
    mp[q++] = (am_rf_sel_map){"candidate",
                              "row in the candidates table of "
                              "the candidate painted here",
                              "1", NULL, d->map_cand};
    for (int32_t k = 0; k < ncut; k++) {
        double *v = d->map_newly + (size_t)k * (size_t)nk;
        char name[64];
        for (int32_t r = 0; r < nk; r++)
            v[r] = x->newly[(size_t)r * (size_t)ncut + (size_t)k];
        snprintf(name, sizeof name, "newly_within_%gmin", x->sweep_cut_min[k]);
        for (char *c = name; *c != '\0'; c++)
            if (*c == '.')
                *c = '_';
        if ((d->map_names[k] = am_strdup(name)) == NULL)
            return nomem(err);
        d->n_map_names = k + 1;
        mp[q++] = (am_rf_sel_map){d->map_names[k],
                                  "people the candidate alone brings within "
                                  "the cutoff",
                                  "persons", v, NULL};
    }
    mp[q++] = (am_rf_sel_map){"nearest_changed",
                              "people for whom the candidate would be "
                              "strictly nearer than every existing facility",
                              "persons", x->nearest_changed, NULL};
    mp[q++] = (am_rf_sel_map){"time_saved_min",
                              "person-minutes saved by the "
                              "candidate alone",
                              "person-minutes", x->time_saved, NULL};
    if (x->sweep_measure >= 0) {
        mp[q++] = (am_rf_sel_map){"d_mean",
                                  "change in the population-weighted mean "
                                  "2SFCA accessibility",
                                  NULL, x->d_mean, NULL};
        mp[q++] = (am_rf_sel_map){"d_bottom10",
                                  "change in the mean accessibility of the "
                                  "lowest 10 % of the population",
                                  NULL, x->d_b10, NULL};
        mp[q++] = (am_rf_sel_map){"d_gini",
                                  "change in the Gini coefficient of "
                                  "accessibility",
                                  "1", x->d_gini, NULL};
    }
    d->sel.n_map_cells = x->n_map;
    d->sel.map_cell = x->map_cell;
    d->sel.map_item = x->map_row;
    d->sel.n_items = nk;
    d->sel.n_maps = q;
    d->sel.maps = d->maps;
    return AM_OK;
}
