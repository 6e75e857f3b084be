/*
 * sites.c: facility sets and candidate sites snapped onto a model, and
 * their catchments (see accessim.h, am_sites_* and am_catchments_*).
 *
 * Sites snap onto the nearest point of a road as destinations (geo/snap.h:
 * linked to the segment's end nodes from which the point is reached).
 * A site's catchment is one bounded search on the reverse graph from its
 * links, each started at its own time (kernels/catchment, kernels/search);
 * only nodes that carry demand are kept, since no measure reads the others.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "common/strutil.h"
#include "engine/internal.h"
#include "engine/scenario_inputs.h"
#include "geo/geodesic.h"
#include "geo/near_pairs.h"
#include "inputs/fingerprint.h"
#include "kernels/search.h"

static char *dup_or_null(const char *str)
{
    return str != NULL ? am_strdup(str) : NULL;
}

void am_sites_destroy(am_sites *f)
{
    if (f == NULL)
        return;
    am_facility_set_destroy(f->fac);
    am_snapped_free(&f->snap);
    am_free(f->name);
    am_free(f->where);
    am_free(f);
}

/* Snaps f's points onto the model and counts what is on the network. */
static am_status snap_sites(am_sites *f, am_error *err)
{
    const am_facility_set *fac = f->fac;
    am_status rc = am_model_snap_points(f->m, fac->n, fac->lon, fac->lat,
                                        AM_SNAP_DESTINATION, &f->snap, &f->n_on,
                                        NULL, err);
    if (rc == AM_OK)
        rc = am_model_fragment_moves(f->m, fac->n, NULL, &f->snap, &f->moves,
                                     err);
    if (rc == AM_OK && f->m->s->components_error &&
        f->moves.moved + f->moves.stranded > 0) {
        char what[96];
        snprintf(what, sizeof what, "facilities of set '%.60s'", f->name);
        rc = am_fragment_error(f->m, &f->moves, what,
                               f->path[0] != '\0' ? f->path : NULL, fac->lon,
                               fac->lat, err);
    }
    for (int32_t j = 0; rc == AM_OK && j < fac->n; j++)
        f->capacity_total += fac->capacity[j];
    return rc;
}

/*
 * Names the sites that are off the network (at most a few, then a count),
 * with how far they are from the nearest routable road: a swapped lon/lat
 * or a wrong CRS shows up here rather than as a silently smaller set.
 */
static void warn_off_network(am_sites *f)
{
    const am_model *m = f->m;
    const int32_t n_off = f->fac->n - f->n_on;
    if (n_off <= 0)
        return;
    char list[512] = "";
    size_t used = 0;
    int shown = 0;
    for (int32_t j = 0; j < f->fac->n && shown < 3; j++) {
        if (f->snap.node[2 * j] >= 0 || f->snap.node[2 * j + 1] >= 0)
            continue;
        const double lon = f->fac->lon[j], lat = f->fac->lat[j];
        double x = lon, y = lat, d = NAN, t = 0.0;
        int32_t v = -1;
        if (am_transform_points(m->to_metric, 1, &x, &y, NULL, NULL) == AM_OK &&
            isfinite(x) && isfinite(y))
            v = am_segment_index_nearest(m->seg_index, x, y, INFINITY, &d, &t);
        if (v >= 0) { /* on the ground, to the foot as the snap measures */
            const am_segment *s = &m->seg[v];
            const double *vlon = m->roads->lon, *vlat = m->roads->lat;
            const double dl = remainder(vlon[s->v1] - vlon[s->v0], 360.0);
            d = am_geodesic_distance_m(lon, lat, vlon[s->v0] + t * dl,
                                       vlat[s->v0] +
                                           t * (vlat[s->v1] - vlat[s->v0]));
        }
        char where[96];
        if (v >= 0)
            snprintf(where, sizeof where, "%.0f m from a road", d);
        else
            snprintf(where, sizeof where, "outside the network's frame");
        int k = snprintf(list + used, sizeof list - used, "%s'%s' (%s)",
                         shown > 0 ? ", " : "", f->fac->id[j], where);
        if (k < 0 || (size_t)k >= sizeof list - used)
            break;
        used += (size_t)k;
        shown++;
    }
    am_warn(m->warn,
            "%s: set '%s': %ld of %ld sites are farther than "
            "snap.max_distance_m = %g m from a routable road and reach no "
            "one: %s%s (check the coordinates and the CRS)",
            f->path[0] != '\0' ? f->path : "(arrays)", f->name, (long)n_off,
            (long)f->fac->n, m->s->snap_max_m, list,
            n_off > shown ? ", ..." : "");
}

/*
 * Near-duplicate facilities (docs/scenario.md, "Near-duplicate
 * facilities"): pairs of the set at most AM_NEAR_DUPLICATE_M apart, at
 * different positions (the loader warns about identical ones). OSM often
 * maps one hospital twice, as a point and as its building. Counted into
 * f->near_duplicates, the first pairs in layer order into f->near_shown;
 * all are kept (the user decides). AM_ERR_NOMEM only.
 */
static am_status find_near_duplicates(am_sites *f, am_error *err)
{
    const am_facility_set *fac = f->fac;
    if (am_near_pairs(fac->n, fac->lon, fac->lat, AM_NEAR_DUPLICATE_M,
                      &f->near_duplicates, f->near_shown,
                      AM_SITES_NEAR_SHOWN) != 0)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    return AM_OK;
}

/* The near-duplicate pairs in one warning, once the stage's progress
 * line is done (a warning within it would break the line). */
static void warn_near_duplicates(const am_sites *f)
{
    const am_facility_set *fac = f->fac;
    const am_near_pair *pairs = f->near_shown;
    const int64_t count = f->near_duplicates;
    if (count == 0)
        return;
    char list[1024] = "";
    size_t used = 0;
    const int64_t n_shown =
        count < AM_SITES_NEAR_SHOWN ? count : AM_SITES_NEAR_SHOWN;
    for (int64_t k = 0; k < n_shown; k++) {
        char who[2][200];
        for (int e = 0; e < 2; e++) {
            const int32_t j = e == 0 ? pairs[k].a : pairs[k].b;
            const char *nm = fac->name[j];
            if (nm != NULL && nm[0] != '\0')
                snprintf(who[e], sizeof who[e], "'%.60s' (%.80s)", fac->id[j],
                         nm);
            else
                snprintf(who[e], sizeof who[e], "'%.60s'", fac->id[j]);
        }
        int w =
            snprintf(list + used, sizeof list - used, "%s%s and %s %.0f m",
                     k > 0 ? "; " : "", who[0], who[1], pairs[k].distance_m);
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    am_warn(f->m->warn,
            "%s: facility set '%s': %lld pair%s of facilities within %g m of "
            "each other (often one facility mapped twice, as a point and as "
            "its building): %s%s; all are kept, each with its own capacity: "
            "if one is a copy, drop it (e.g. with 'where') or its capacity "
            "counts twice",
            f->path[0] != '\0' ? f->path : "(arrays)", f->name,
            (long long)count, count == 1 ? "" : "s", AM_NEAR_DUPLICATE_M, list,
            count > n_shown ? "; ..." : "");
}

am_status am_sites_load_logged(am_model *m, int k, am_phases *log,
                               am_sites **out, am_error *err)
{
    const am_scenario *s = m->s;
    const am_facility_source *src = &s->facility_sets[k];
    am_status rc;
    *out = NULL;
    if (m->reached < AM_STAGE_SNAP)
        return am_error_set(err, AM_ERR_USAGE, NULL,
                            "sites need a built model (am_model_build)");
    am_sites *f = am_calloc(1, sizeof *f);
    if (f == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    f->m = m;
    f->name = am_strdup(src->name);
    f->where = dup_or_null(src->where);
    if (f->name == NULL || (src->where != NULL && f->where == NULL)) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        goto fail;
    }
    if ((rc = am_engine_resolve(s, src->path, f->path, err)) != AM_OK)
        goto fail;
    if ((rc = am_phase_begin(log, "reading facilities", err)) != AM_OK)
        goto fail;
    am_fingerprint_job *fp;
    if ((rc = am_fingerprint_start(f->path, &fp, err)) != AM_OK)
        goto fail;
    rc = am_scenario_load_facilities(src, f->path, m->warn, &f->fac, err);
    if (rc != AM_OK)
        am_fingerprint_cancel(fp);
    else
        rc = am_fingerprint_finish(fp, f->fp.hex, &f->fp.size, err);
    if (rc != AM_OK)
        goto fail;
    if (f->fac->n_no_geometry > 0)
        am_warn(m->warn,
                "%s: facility set '%s': %lld of %lld features skipped: no "
                "geometry (or empty coordinate cells)",
                f->path, src->name, (long long)f->fac->n_no_geometry,
                (long long)f->fac->n_read);
    if ((rc = find_near_duplicates(f, err)) != AM_OK)
        goto fail;
    if ((rc = snap_sites(f, err)) != AM_OK)
        goto fail;
    if (f->n_on == 0) {
        rc = am_error_set(err, AM_ERR_NO_OVERLAP, f->path,
                          "none of the %d facilities of set '%s' is within "
                          "snap.max_distance_m = %g m of a routable road "
                          "of %s",
                          (int)f->fac->n, src->name, s->snap_max_m,
                          m->roads_path);
        goto fail;
    }
    warn_off_network(f);
    f->scenario_set = k + 1; /* issue 9, facility tiers */
    char name[sizeof log->v[0].name];
    if (s->n_facility_sets > 1)
        snprintf(name, sizeof name, "facilities[%s]", src->name);
    else
        snprintf(name, sizeof name, "facilities");
    if ((rc = am_phase_end(log, name, err)) != AM_OK)
        goto fail;
    warn_near_duplicates(f);
    *out = f;
    return AM_OK;
fail:
    am_sites_destroy(f);
    return rc;
}

am_status am_sites_from_scenario(am_model *m, int k, am_sites **out,
                                 am_error *err)
{
    if (out == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no sites to create");
    *out = NULL;
    if (m == NULL || k < 0 || k >= m->s->n_facility_sets)
        return am_error_set(err, AM_ERR_USAGE, NULL,
                            "facility set %d: the scenario has %d", k,
                            m != NULL ? m->s->n_facility_sets : 0);
    am_phases log;
    memset(&log, 0, sizeof log);
    am_status rc = am_sites_load_logged(m, k, &log, out, err);
    am_phases_free(&log);
    return rc;
}

/* A facility set from caller arrays: ids are the row numbers. */
am_status am_points_set(int32_t n, const double *lon, const double *lat,
                        const double *capacity, am_facility_set **out,
                        am_error *err)
{
    am_facility_set *fs = am_calloc(1, sizeof *fs);
    if (fs == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    size_t k = (size_t)n;
    fs->n = n;
    fs->n_read = n;
    fs->fid = am_calloc_array(k, sizeof *fs->fid);
    fs->id = am_calloc_array(k, sizeof *fs->id);
    fs->name = am_calloc_array(k, sizeof *fs->name);
    fs->klass = am_calloc_array(k, sizeof *fs->klass);
    fs->capacity = am_alloc_array(k, sizeof *fs->capacity);
    fs->lon = am_alloc_array(k, sizeof *fs->lon);
    fs->lat = am_alloc_array(k, sizeof *fs->lat);
    int ok = fs->fid && fs->id && fs->name && fs->klass && fs->capacity &&
             fs->lon && fs->lat;
    for (int32_t j = 0; ok && j < n; j++) {
        char id[24];
        snprintf(id, sizeof id, "%ld", (long)j);
        fs->fid[j] = j;
        fs->id[j] = am_strdup(id);
        fs->name[j] = am_strdup("");
        fs->klass[j] = am_strdup("");
        ok = fs->id[j] && fs->name[j] && fs->klass[j];
        fs->capacity[j] = capacity != NULL ? capacity[j] : 1.0;
        fs->lon[j] = lon[j];
        fs->lat[j] = lat[j];
    }
    if (!ok) {
        am_facility_set_destroy(fs);
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    *out = fs;
    return AM_OK;
}

am_status am_sites_from_points(const am_model *m, const char *name, int32_t n,
                               const double *lon, const double *lat,
                               const double *capacity, am_sites **out,
                               am_error *err)
{
    if (out == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no sites to create");
    *out = NULL;
    if (m == NULL || m->reached < AM_STAGE_SNAP)
        return am_error_set(err, AM_ERR_USAGE, NULL,
                            "sites need a built model (am_model_build)");
    const char *why =
        name != NULL ? am_scenario_name_problem(name, 0) : "a set needs a name";
    if (why != NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL, "site set name: %s",
                            why);
    if (n < 0 || (n > 0 && (lon == NULL || lat == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "site set '%s': %ld points without coordinates",
                            name, (long)n);
    for (int32_t j = 0; capacity != NULL && j < n; j++) {
        if (!isfinite(capacity[j]) || capacity[j] < 0 ||
            capacity[j] > AM_CAPACITY_MAX) {
            am_status rc =
                am_error_set(err, AM_ERR_INVALID, NULL,
                             "site set '%s': site %ld has capacity "
                             "%g; expected a finite number from 0 "
                             "to %g",
                             name, (long)j, capacity[j], AM_CAPACITY_MAX);
            am_error_set_feature(err, j);
            return rc;
        }
    }
    am_facility_set *fac = NULL;
    am_status rc = am_points_set(n, lon, lat, capacity, &fac, err);
    return rc == AM_OK ? am_sites_from_set(m, name, NULL, fac, out, err) : rc;
}

am_status am_sites_from_set(const am_model *m, const char *name,
                            const char *path, am_facility_set *fac,
                            am_sites **out, am_error *err)
{
    *out = NULL;
    am_sites *f = am_calloc(1, sizeof *f);
    if (f == NULL) {
        am_facility_set_destroy(fac);
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    f->m = m;
    f->fac = fac; /* owned from here */
    am_status rc = AM_OK;
    if ((f->name = am_strdup(name)) == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    if (rc == AM_OK && path != NULL)
        snprintf(f->path, sizeof f->path, "%s", path);
    if (rc == AM_OK)
        rc = snap_sites(f, err);
    if (rc != AM_OK) {
        am_sites_destroy(f);
        return rc;
    }
    *out = f;
    return AM_OK;
}

int32_t am_sites_count(const am_sites *f)
{
    return f != NULL ? f->fac->n : 0;
}

int32_t am_sites_on_network(const am_sites *f)
{
    return f != NULL ? f->n_on : 0;
}

const char *am_sites_name(const am_sites *f)
{
    return f != NULL ? f->name : NULL;
}

const double *am_sites_capacity(const am_sites *f)
{
    return f != NULL ? f->fac->capacity : NULL;
}

const int32_t *am_sites_link_nodes(const am_sites *f)
{
    return f != NULL ? f->snap.node : NULL;
}

const uint32_t *am_sites_link_offsets_ds(const am_sites *f)
{
    return f != NULL ? f->snap.offset_ds : NULL;
}

void am_sites_lonlat(const am_sites *f, const double **lon, const double **lat)
{
    if (lon != NULL)
        *lon = f != NULL ? f->fac->lon : NULL;
    if (lat != NULL)
        *lat = f != NULL ? f->fac->lat : NULL;
}

/* ---- catchments ----------------------------------------------------- */

/* A time limit (common/units.h, am_minutes_limit) to deciseconds, or
 * AM_ERR_INVALID. */
static am_status limit_from_min(double max_min, uint32_t *ds, am_error *err)
{
    char why[AM_MINUTES_WHY_MAX];
    if (am_minutes_limit(max_min, AM_MAX_CUTOFF_MIN, 0, ds, why, sizeof why) !=
        NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "catchment limit %s (got %g)", why, max_min);
    return AM_OK;
}

am_status am_sites_catchments(const am_sites *f, int32_t first, int32_t count,
                              double max_min, int threads,
                              am_progress_fn progress, void *progress_user,
                              am_catchments **out, am_error *err)
{
    if (out == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no catchments output");
    *out = NULL;
    if (f == NULL || first < 0 || count < 0 || first > f->fac->n - count)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "sites %ld..%ld: outside the set of %ld",
                            (long)first, (long)first + count - 1,
                            (long)(f != NULL ? f->fac->n : 0));
    uint32_t limit = 0;
    am_status rc = limit_from_min(max_min, &limit, err);
    if (rc != AM_OK)
        return rc;
    const am_model *m = f->m;
    return am_catchments_compute(
        m->graph_rev, count, f->snap.node + 2 * (int64_t)first,
        f->snap.offset_ds + 2 * (int64_t)first, limit, m->demand_nodes, 0,
        threads > 0 ? threads : m->threads, progress, progress_user, out, err);
}

int32_t am_catchments_row_count(const am_catchments *c)
{
    return c != NULL ? c->n_rows : 0;
}

int64_t am_catchments_row_size(const am_catchments *c, int32_t row)
{
    if (c == NULL || row < 0 || row >= c->n_rows)
        return 0;
    return c->first[row + 1] - c->first[row];
}

void am_catchments_row_get(const am_catchments *c, int32_t row, int32_t *node,
                           uint32_t *time_ds)
{
    if (c == NULL || row < 0 || row >= c->n_rows)
        return;
    int64_t k = 0;
    for (int64_t e = c->first[row]; e < c->first[row + 1]; e++, k++) {
        if (node != NULL)
            node[k] = c->col[e];
        if (time_ds != NULL)
            time_ds[k] = am_catchments_time(c, e);
    }
}

void am_catchments_free(am_catchments *c)
{
    am_catchments_destroy(c);
}

struct am_query {
    const am_model *m;
    am_search *search;
};

am_status am_query_create(const am_model *m, am_query **out, am_error *err)
{
    if (out == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no query to create");
    *out = NULL;
    if (m == NULL || m->reached < AM_STAGE_SNAP)
        return am_error_set(err, AM_ERR_USAGE, NULL,
                            "queries need a built model (am_model_build)");
    am_query *q = am_calloc(1, sizeof *q);
    if (q == NULL ||
        am_search_create(m->graph_rev->n_nodes, &q->search) != AM_OK) {
        am_free(q);
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for a search workspace");
    }
    q->m = m;
    *out = q;
    return AM_OK;
}

void am_query_destroy(am_query *q)
{
    if (q == NULL)
        return;
    am_search_destroy(q->search);
    am_free(q);
}

am_status am_sites_catchment_one(const am_sites *f, int32_t j, double max_min,
                                 am_query *q, int32_t cap, int32_t *node,
                                 uint32_t *time_ds, int32_t *n_out,
                                 am_error *err)
{
    if (n_out != NULL)
        *n_out = 0;
    if (f == NULL || q == NULL || q->m != f->m || n_out == NULL || j < 0 ||
        j >= f->fac->n || cap < 0 ||
        (cap > 0 && (node == NULL || time_ds == NULL)))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "catchment of site %ld: bad arguments (a query "
                            "of another model, an index outside the set, or "
                            "no buffers)",
                            (long)j);
    uint32_t limit = 0;
    am_status rc = limit_from_min(max_min, &limit, err);
    if (rc != AM_OK)
        return rc;
    const am_model *m = f->m;
    const int32_t *v = &f->snap.node[2 * j];
    const uint32_t *t0 = &f->snap.offset_ds[2 * j];
    const int32_t n_seeds = (v[0] >= 0) + (v[1] >= 0); /* present first */
    if (n_seeds == 0)
        return AM_OK; /* off the network: an empty catchment */
    const int32_t n =
        am_search_run(q->search, m->graph_rev, n_seeds, v, t0, limit);
    if (n < 0)
        return am_error_set(err, AM_ERR_INTERNAL, NULL,
                            "search workspace smaller than the graph");
    const int32_t *nodes;
    const uint32_t *times;
    am_search_result(q->search, &nodes, &times);
    int32_t k = 0;
    for (int32_t e = 0; e < n; e++)
        k += m->demand_nodes[nodes[e]];
    if (k > cap)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "catchment of site %ld has %ld entries, the "
                            "buffers hold %ld (am_model_catchment_capacity "
                            "always suffices)",
                            (long)j, (long)k, (long)cap);
    k = 0;
    for (int32_t e = 0; e < n; e++) {
        if (!m->demand_nodes[nodes[e]])
            continue;
        node[k] = nodes[e];
        time_ds[k] = times[e];
        k++;
    }
    *n_out = k;
    return AM_OK;
}
