/*
 * equity.c: equity statistics overall and by zone (issue 9,
 * docs/equity.md): the zone layers of the scenario assigned to the
 * populated cells once per model (inputs/zone_raster.h), and per site set
 * the population-weighted statistics of the nearest time and of every
 * measure, for everyone and for each zone (kernels/equity.h).
 *
 * Conventions (docs/equity.md, "In a run"):
 *  - a measure's value as written: 0 for people who reach no facility
 *    and for those off the network (they count, with nothing); the n-th
 *    nearest time leaves out the people who do not reach n facilities
 *    (+inf), as the summary's mean and median do;
 *  - the nearest time, in minutes, over the people who reach a facility
 *    within the largest cutoff; the shares beyond each cutoff count
 *    everyone (unreached: beyond every cutoff).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "engine/internal.h"
#include "inputs/fingerprint.h"
#include "inputs/class_raster.h"
#include "inputs/population.h"
#include "inputs/zone_raster.h"
#include "kernels/nearest.h"

am_status am_model_equity_inputs(am_model *m, am_error *err)
{
    const am_scenario *s = m->s;
    const int nz = s->n_zone_layers;
    am_status rc = AM_OK;
    if (nz <= 0)
        return AM_OK;
    m->eq_paths = am_calloc_array((size_t)nz, sizeof *m->eq_paths);
    m->fp_eq = am_calloc_array((size_t)nz, sizeof *m->fp_eq);
    m->eq_zones = am_calloc_array((size_t)nz, sizeof *m->eq_zones);
    if (m->eq_paths == NULL || m->fp_eq == NULL || m->eq_zones == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int k = 0; rc == AM_OK && k < nz; k++)
        if ((rc = am_engine_resolve(s, am_zone_source_file(&s->zone_layers[k]),
                                    m->eq_paths[k], err)) == AM_OK)
            rc = am_file_check_input(m->eq_paths[k], 1, err);
    if (rc != AM_OK)
        return rc;
    /* Each layer or settlement raster probed now, against the population
       raster's CRS, so that a mistake in one (no such layer or field, no
       CRS, a band out of range, a class value that cannot occur) is found
       before the roads and the population are read, with the messages the
       build would give. */
    am_population_options po = {m->pop_path, s->population_band, NULL, 0, NULL};
    char *pop_wkt = NULL;
    rc = am_population_probe_crs(&po, &pop_wkt, err);
    for (int k = 0; rc == AM_OK && k < nz; k++) {
        const am_zone_source *z = &s->zone_layers[k];
        if (z->raster != NULL) {
            am_class_raster_options co = {
                m->eq_paths[k],
                z->band > 0 ? z->band : 1,
                z->n_classes,
                (const char *const *)z->class_label,
                z->class_n_values,
                (const double *const *)z->class_values,
                NULL};
            uint64_t bytes = 0;
            rc = am_class_raster_probe(&co, pop_wkt, &bytes, err);
            m->eq_raster_bytes += bytes;
        } else {
            am_zone_raster_options zo = {m->eq_paths[k], z->layer, z->where,
                                         z->id_field, NULL};
            rc = am_zone_layer_probe(&zo, pop_wkt, err);
        }
    }
    am_free(pop_wkt);
    return rc;
}

const char *am_zone_source_file(const am_zone_source *z)
{
    return z->raster != NULL ? z->raster : z->path;
}

/* Zone layer k from a settlement raster (issue 9, docs/equity.md, "Urban
 * and rural"): each populated cell's class. */
am_status am_model_class_zones(const am_model *m, int k, am_zone_raster **out,
                               am_error *err)
{
    const am_zone_source *z = &m->s->zone_layers[k];
    am_class_raster_options co = {m->eq_paths[k],
                                  z->band > 0 ? z->band : 1,
                                  z->n_classes,
                                  (const char *const *)z->class_label,
                                  z->class_n_values,
                                  (const double *const *)z->class_values,
                                  m->warn};
    return am_class_raster_build(&co, m->pop, out, err);
}

am_status am_model_equity_zones(am_model *m, am_error *err)
{
    const am_scenario *s = m->s;
    am_status rc;
    if (s->n_zone_layers <= 0)
        return AM_OK;
    if ((rc = am_phase_begin(&m->phases, "assigning zones", err)) != AM_OK)
        return rc;
    for (int k = 0; k < s->n_zone_layers; k++) {
        if (m->eq_zones[k] != NULL)
            continue; /* built by an earlier, interrupted build */
        const am_zone_source *z = &s->zone_layers[k];
        am_zone_raster_options zo = {m->eq_paths[k], z->layer, z->where,
                                     z->id_field, m->warn};
        am_fingerprint_job *fp;
        if ((rc = am_fingerprint_start(m->eq_paths[k], &fp, err)) != AM_OK)
            return rc;
        if (z->raster != NULL)
            rc = am_model_class_zones(m, k, &m->eq_zones[k], err);
        else
            rc = am_zone_raster_build(&zo, m->pop, m->threads, &m->eq_zones[k],
                                      err);
        if (rc != AM_OK) {
            am_fingerprint_cancel(fp);
            am_err_file_default(err, m->eq_paths[k]);
            return rc;
        }
        rc = am_fingerprint_finish(fp, m->fp_eq[k].hex, &m->fp_eq[k].size, err);
        if (rc != AM_OK)
            return rc;
    }
    return am_phase_end(&m->phases, "zones", err);
}

void am_model_equity_free(am_model *m)
{
    for (int k = 0; m->eq_zones != NULL && k < m->s->n_zone_layers; k++)
        am_zone_raster_destroy(m->eq_zones[k]);
    am_free(m->eq_zones);
    am_free(m->fp_eq);
    am_free(m->eq_paths);
    m->eq_zones = NULL;
    m->fp_eq = NULL;
    m->eq_paths = NULL;
}

void am_equity_destroy(am_equity *q)
{
    if (q == NULL)
        return;
    am_free(q->row_first);
    am_free(q->stats);
    am_free(q->pct);
    am_free(q->below);
    am_free(q->beyond);
    am_free(q);
}

/* Block b's statistics of values, overall (row 0) and per zone layer. */
static am_status run_block(const am_model *m, const am_results *r, am_equity *q,
                           int b, const double *values,
                           const am_equity_spec *spec, int threads,
                           am_error *err)
{
    const int32_t n = r->n_cells;
    am_status rc = AM_OK;
    for (int L = -1; rc == AM_OK && L < m->s->n_zone_layers; L++) {
        const int32_t row = L < 0 ? 0 : q->row_first[L];
        const am_zone_raster *zr = L < 0 ? NULL : m->eq_zones[L];
        const int32_t ng = zr != NULL ? zr->n_zones : 1;
        if (ng < 1)
            continue;
        const size_t at = (size_t)b * (size_t)q->n_rows + (size_t)row;
        rc = am_equity_run(
            n, values, m->pop->pop, r->nearest_ds,
            zr != NULL ? zr->cell_zone : NULL, ng, spec, threads, q->stats + at,
            q->n_pct > 0 ? q->pct + at * (size_t)q->n_pct : NULL,
            spec->n_levels > 0 ? q->below + at * (size_t)q->n_levels : NULL,
            spec->n_cutoffs > 0 ? q->beyond + (size_t)row * (size_t)q->n_cutoffs
                                : NULL,
            err);
    }
    return rc;
}

am_status am_equity_compute(const am_model *m, int threads, am_results *r,
                            am_error *err)
{
    const am_scenario *s = m->s;
    if (!s->equity)
        return AM_OK;
    const int nl = s->n_zone_layers;
    const int32_t n = r->n_cells;
    am_status rc = AM_OK;
    am_equity *q = am_calloc(1, sizeof *q);
    double *tmp = am_alloc_array((size_t)(n > 0 ? n : 1), sizeof *tmp);
    uint32_t *cut_ds = am_alloc_array((size_t)r->n_cutoffs, sizeof *cut_ds);
    if (q == NULL || tmp == NULL || cut_ds == NULL)
        goto nomem;
    q->row_first = am_calloc_array((size_t)nl + 1, sizeof *q->row_first);
    if (q->row_first == NULL)
        goto nomem;
    int64_t rows = 1;
    for (int L = 0; L < nl; L++) {
        q->row_first[L] = (int32_t)rows;
        rows += m->eq_zones[L]->n_zones;
    }
    q->row_first[nl] = (int32_t)rows;
    if (rows > INT32_MAX / 4)
        goto nomem;
    q->n_rows = (int32_t)rows;
    q->n_blocks = 1 + r->n_measures;
    q->n_pct = s->n_equity_pct;
    q->n_levels = s->n_equity_below;
    q->n_cutoffs = r->n_cutoffs;
    const size_t cells = (size_t)q->n_blocks * (size_t)q->n_rows;
    q->stats = am_calloc_array(cells, sizeof *q->stats);
    q->pct = am_calloc_array(cells * (size_t)q->n_pct + 1, sizeof *q->pct);
    q->below =
        am_calloc_array(cells * (size_t)q->n_levels + 1, sizeof *q->below);
    q->beyond = am_calloc_array((size_t)q->n_rows * (size_t)q->n_cutoffs + 1,
                                sizeof *q->beyond);
    if (q->stats == NULL || q->pct == NULL || q->below == NULL ||
        q->beyond == NULL)
        goto nomem;
    for (int i = 0; i < r->n_cutoffs; i++)
        cut_ds[i] = am_minutes_to_ds(r->cutoffs_min[i]);

    /* block 0: the nearest time, minutes; unreached left out of the
       value statistics, beyond every cutoff */
    for (int32_t i = 0; i < n; i++)
        tmp[i] = r->nearest_ds[i] == AM_TIME_INF
                     ? NAN
                     : am_ds_to_minutes(r->nearest_ds[i]);
    const am_equity_spec time_spec = {q->n_pct, s->equity_pct, 0,
                                      NULL,     q->n_cutoffs,  cut_ds};
    rc = run_block(m, r, q, 0, tmp, &time_spec, threads, err);
    const am_equity_spec value_spec = {
        q->n_pct, s->equity_pct, q->n_levels, s->equity_below, 0, NULL};
    for (int k = 0; rc == AM_OK && k < r->n_measures; k++) {
        if (r->measure_on != NULL && !r->measure_on[k])
            continue; /* issue 9: not computed for this set */
        const double *v = r->access + (size_t)k * (size_t)n;
        if (r->plans[k].info->method == AM_FCA_NTH_NEAREST) {
            for (int32_t i = 0; i < n; i++)
                tmp[i] = isinf(v[i]) ? NAN : v[i];
            v = tmp;
        }
        rc = run_block(m, r, q, 1 + k, v, &value_spec, threads, err);
    }
    if (rc != AM_OK)
        goto fail;
    am_free(tmp);
    am_free(cut_ds);
    am_equity_destroy(r->equity);
    r->equity = q;
    return AM_OK;
nomem:
    rc = am_error_set(err, AM_ERR_NOMEM, NULL,
                      "out of memory for the equity statistics");
fail:
    am_free(tmp);
    am_free(cut_ds);
    am_equity_destroy(q);
    return rc;
}
