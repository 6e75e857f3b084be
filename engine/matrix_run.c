/*
 * matrix_run.c: a matrix scenario's run (issue 9, "Matrix input"): the
 * same measures as a network run, from a precomputed origin-destination
 * table with demand and supply tables keyed by zone id, without any
 * network or raster (accessim.h: am_matrix_run).
 *
 * read: the demand and supply tables, then the travel-time table straight
 * into catchments, one row per destination zone (inputs/matrix.h);
 * compute: the demand index with one cell per origin zone, linked to its
 * own node at offset 0 (no second link), so t_ij is the table's time and
 * kernels/fca.h computes each measure exactly as on a network;
 * write: the per-zone CSV (outputs/zone_csv.h), demand table order.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/file_check.h"
#include "common/numparse.h"
#include "common/strutil.h"
#include "common/units.h"
#include "engine/internal.h"
#include "engine/measure_registry.h"
#include "engine/sysinfo.h"
#include "inputs/matrix.h"
#include "kernels/catchment.h"
#include "kernels/decay.h"
#include "kernels/demand.h"
#include "kernels/allocation.h"
#include "kernels/fca.h"
#include "outputs/zone_csv.h"

typedef struct matrix_ctx {
    const am_scenario *s;
    am_error *err;
    int threads;
    char matrix_path[AM_PATH_MAX], demand_path[AM_PATH_MAX],
        supply_path[AM_PATH_MAX], out_path[AM_PATH_MAX];
    am_file_guard guard;
    am_phases log;
    am_zone_table *demand, *supply;
    am_catchments *cat;
    am_matrix_info info;
    am_measure_plan *plans; /* [n_measures] */
    am_demand *d;
    double **values; /* [n_measures][zones_demand] */
    am_matrix_summary *sum;
} matrix_ctx;

void am_matrix_summary_destroy(am_matrix_summary *r)
{
    if (r == NULL)
        return;
    am_free(r->scenario_name);
    am_free(r->output_path);
    for (int k = 0; r->measure_names != NULL && k < r->n_measures; k++)
        am_free(r->measure_names[k]);
    am_free(r->measure_names);
    am_free(r->measure_mean);
    am_free(r->zones_none);
    am_free(r->dest_no_demand);
    am_free(r->measure_decays);
    am_free(r->phases);
    am_free(r);
}

static am_status nomem(matrix_ctx *c)
{
    return am_error_set(c->err, AM_ERR_NOMEM, NULL, "out of memory");
}

/* Paths resolved, the output checked and the inputs guarded. */
static am_status prepare(matrix_ctx *c, const am_run_options *opt)
{
    const am_scenario *s = c->s;
    am_status rc = AM_OK;
    if ((rc = am_engine_resolve(s, s->matrix_path, c->matrix_path, c->err)) !=
            AM_OK ||
        (rc = am_engine_resolve(s, s->demand_path, c->demand_path, c->err)) !=
            AM_OK ||
        (rc = am_engine_resolve(s, s->supply_path, c->supply_path, c->err)) !=
            AM_OK)
        return rc;
    const char *out = opt->output_path ? opt->output_path : s->output_path;
    if (out == NULL || out[0] == '\0')
        return am_error_set(c->err, AM_ERR_USAGE, s->source_path,
                            "no output path (set 'output' or use -o)");
    if (opt->output_path == NULL)
        rc = am_engine_resolve(s, out, c->out_path, c->err);
    else if (strlen(out) >= sizeof c->out_path)
        rc = am_error_set(c->err, AM_ERR_IO, NULL,
                          "output path is %zu bytes; at most %zu fit",
                          strlen(out), sizeof c->out_path - 1);
    else
        memcpy(c->out_path, out, strlen(out) + 1);
    if (rc != AM_OK)
        return rc;
    struct {
        const char *path, *label;
    } inputs[] = {{c->matrix_path, "the matrix input"},
                  {c->demand_path, "the demand input"},
                  {c->supply_path, "the supply input"},
                  {s->source_path, "the scenario file"}};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs && rc == AM_OK; i++)
        if (inputs[i].path != NULL)
            rc = am_file_guard_add(&c->guard, inputs[i].path, inputs[i].label,
                                   0, c->err);
    if (rc == AM_OK)
        rc = am_file_check_output(c->out_path, c->err);
    if (rc == AM_OK)
        rc = am_file_guard_check(&c->guard, c->out_path, c->err);
    return rc;
}

/*
 * The measures' plans (engine/measure_registry.h: method and decay; no
 * truncation of a smooth decay in the matrix mode) and the largest of
 * their cutoffs, in deciseconds.
 */
static am_status plan_measures(matrix_ctx *c, uint32_t *limit_ds)
{
    const am_scenario *s = c->s;
    *limit_ds = 0;
    c->plans = am_calloc((size_t)s->n_measures, sizeof *c->plans);
    if (c->plans == NULL)
        return nomem(c);
    for (int k = 0; k < s->n_measures; k++) {
        am_status rc =
            am_measure_plan_of(&s->measures[k], 0.0, &c->plans[k], c->err);
        if (rc != AM_OK)
            return rc;
        uint32_t t = am_minutes_to_ds(c->plans[k].limit_min);
        if (t > *limit_ds)
            *limit_ds = t;
    }
    return AM_OK;
}

static am_status read_inputs(matrix_ctx *c)
{
    const am_scenario *s = c->s;
    uint32_t limit_ds = 0;
    am_status rc = plan_measures(c, &limit_ds);
    if (rc == AM_OK)
        rc = am_zone_table_read(c->demand_path, s->demand_id_field,
                                s->demand_field, "demand", &c->demand, c->err);
    if (rc == AM_OK)
        rc = am_zone_table_read(c->supply_path, s->supply_id_field,
                                s->supply_field, "supply", &c->supply, c->err);
    if (rc != AM_OK)
        return rc;
    am_matrix_options mo = {
        .path = c->matrix_path,
        .from_field = s->matrix_from_field,
        .to_field = s->matrix_to_field,
        .time_field = s->matrix_time_field,
        .time_in_seconds = strcmp(s->matrix_time_unit, "seconds") == 0,
        .origins = c->demand,
        .origins_path = c->demand_path,
        .destinations = c->supply,
        .destinations_path = c->supply_path,
        .min_limit_ds = limit_ds,
        .progress = am_phase_progress,
        .progress_user = &c->log,
    };
    return am_matrix_read(&mo, &c->cat, &c->info, c->err);
}

/* One cell per origin zone, on its own node at offset 0. */
static am_status build_demand(matrix_ctx *c)
{
    int32_t n = am_zone_table_count(c->demand);
    int32_t *node = am_malloc((size_t)n * 2 * sizeof *node);
    uint32_t *off = am_calloc((size_t)n * 2, sizeof *off);
    am_status rc = AM_OK;
    if (node == NULL || off == NULL) {
        rc = nomem(c);
        goto done;
    }
    for (int32_t i = 0; i < n; i++) {
        node[2 * i] = i;
        node[2 * i + 1] = -1;
    }
    rc = am_demand_build_threads(n, n, node, off,
                                 am_zone_table_values(c->demand), c->threads,
                                 &c->d, c->err);
done:
    am_free(node);
    am_free(off);
    return rc;
}

/* Refuses a value that overflowed (supply or decay weights so large that
   a sum is not finite): written as is, Inf would read as "not reached".
   what: the column's name; inf_ok: +Inf is a value (the n-th nearest). */
static am_status check_finite(matrix_ctx *c, const char *what, const double *v,
                              int inf_ok)
{
    int32_t n = am_zone_table_count(c->demand);
    const double *pop = am_zone_table_values(c->demand);
    for (int32_t i = 0; i < n; i++) {
        if (isfinite(v[i]) || (inf_ok && v[i] > 0) ||
            (isnan(v[i]) && !(pop[i] > 0)))
            continue;
        am_error_set(c->err, AM_ERR_INVALID, c->supply_path,
                     "measure '%s' is %g for zone '%.80s': a sum overflowed "
                     "(supply values or decay weights too large; express "
                     "the supply in larger units or use a gentler decay)",
                     what, v[i], am_zone_table_id(c->demand, i));
        return AM_ERR_INVALID;
    }
    return AM_OK;
}

/* issue 9, capacity_coverage in a matrix run: the share of each demand
 * zone's population served (kernels/allocation.h), into c->values[k]; the
 * counts the summary wants into out. */
static am_status matrix_cover(matrix_ctx *c, const am_fca_pairs *pairs,
                              const am_measure_plan *plan,
                              const am_fca_measure *fm, int k, am_fca_out *out)
{
    am_alloc_params a = {plan->allocation == AM_ALLOCATION_PROPORTIONAL
                             ? AM_ALLOC_PROPORTIONAL
                             : AM_ALLOC_FIXED_POINT,
                         fm->w,
                         fm->limit_ds,
                         plan->persons_per_capacity,
                         0.0,
                         0};
    am_alloc_out o;
    memset(&o, 0, sizeof o);
    o.share = c->values[k];
    am_status rc = am_alloc_run(&a, pairs, am_zone_table_values(c->supply),
                                c->threads, &o, c->err);
    out->n_cells_none = o.n_cells_none;
    out->n_fac_no_demand = o.n_fac_no_demand;
    return rc;
}

/* Measure k into c->values[k]; w: scratch of cat->limit_ds + 1. */
static am_status compute_measure(matrix_ctx *c, const am_fca_pairs *pairs,
                                 int k, double *w)
{
    const am_measure_plan *plan = &c->plans[k];
    am_fca_measure fm;
    memset(&fm, 0, sizeof fm);
    fm.method = plan->info->method;
    fm.limit_ds = c->cat->limit_ds; /* no cutoff: every pair */
    if (plan->limit_min > 0.0 &&
        am_minutes_to_ds(plan->limit_min) < fm.limit_ds)
        fm.limit_ds = am_minutes_to_ds(plan->limit_min);
    am_decay_table(&plan->decay, fm.limit_ds, w);
    fm.w = w;
    fm.alpha = plan->alpha;
    fm.nth = plan->n;
    am_status rc = AM_OK;
    am_fca_out out;
    memset(&out, 0, sizeof out);
    out.cell_value = c->values[k];
    if (fm.method == AM_FCA_ALLOCATION) /* issue 9: share served */
        rc = matrix_cover(c, pairs, plan, &fm, k, &out);
    else
        rc = am_fca_measure_run(&fm, pairs, am_zone_table_values(c->supply),
                                c->threads, &out, c->err);
    if (rc == AM_OK)
        rc = check_finite(c, c->sum->measure_names[k], c->values[k],
                          fm.method == AM_FCA_NTH_NEAREST);
    if (rc != AM_OK)
        return rc;
    c->sum->zones_none[k] = out.n_cells_none;
    c->sum->dest_no_demand[k] =
        plan->info->has_ratio ? out.n_fac_no_demand : -1;
    char buf[AM_MATRIX_DECAY_TEXT - 32];
    am_measure_plan_describe(plan, buf, sizeof buf);
    snprintf(c->sum->measure_decays[k], AM_MATRIX_DECAY_TEXT, "%.24s: %s",
             plan->info->name, buf);
    return AM_OK;
}

static am_status compute(matrix_ctx *c)
{
    const am_scenario *s = c->s;
    int32_t n = am_zone_table_count(c->demand);
    am_fca_pairs *pairs = NULL;
    double *w = NULL;
    am_status rc = build_demand(c);
    if (rc == AM_OK)
        rc = am_fca_pairs_build(c->cat, c->d, c->cat->limit_ds, c->threads,
                                &pairs, c->err);
    if (rc == AM_OK &&
        (w = am_malloc(((size_t)c->cat->limit_ds + 1) * sizeof *w)) == NULL)
        rc = nomem(c);
    for (int k = 0; k < s->n_measures && rc == AM_OK; k++)
        rc = compute_measure(c, pairs, k, w);
    am_free(w);
    am_fca_pairs_free(pairs);
    /* population-weighted means, in zone order */
    const double *pop = am_zone_table_values(c->demand);
    for (int k = 0; k < s->n_measures && rc == AM_OK; k++) {
        double sw = 0, swv = 0;
        for (int32_t i = 0; i < n; i++)
            if (pop[i] > 0 && isfinite(c->values[k][i])) {
                sw += pop[i];
                swv += pop[i] * c->values[k][i];
            }
        c->sum->measure_mean[k] = sw > 0 ? swv / sw : NAN;
    }
    return rc;
}

/*
 * The CSV: one column per measure in scenario order; a spav measure is
 * followed by <name>_per_person, v_i = V_i / P_i (NaN where P_i = 0), as
 * the network mode's per_person/ group.
 */
static am_status write_output(matrix_ctx *c)
{
    int32_t n = am_zone_table_count(c->demand);
    int n_m = c->sum->n_measures, n_cols = 0;
    const double *pop = am_zone_table_values(c->demand);
    am_status rc = AM_OK;
    const char **ids = am_malloc((size_t)n * sizeof *ids);
    const char **names = am_calloc((size_t)n_m * 2, sizeof *names);
    const double **cols = am_calloc((size_t)n_m * 2, sizeof *cols);
    char **owned = am_calloc((size_t)n_m, sizeof *owned);
    double **per = am_calloc((size_t)n_m, sizeof *per);
    if (ids == NULL || names == NULL || cols == NULL || owned == NULL ||
        per == NULL) {
        rc = nomem(c);
        goto done;
    }
    for (int32_t i = 0; i < n; i++)
        ids[i] = am_zone_table_id(c->demand, i);
    for (int k = 0; k < n_m; k++) {
        names[n_cols] = c->sum->measure_names[k];
        cols[n_cols++] = c->values[k];
        if (c->plans[k].info->method != AM_FCA_SPAV)
            continue;
        size_t len = strlen(c->sum->measure_names[k]) + sizeof "_per_person";
        owned[k] = am_malloc(len);
        per[k] = am_malloc((size_t)n * sizeof **per);
        if (owned[k] == NULL || per[k] == NULL) {
            rc = nomem(c);
            goto done;
        }
        snprintf(owned[k], len, "%s_per_person", c->sum->measure_names[k]);
        for (int32_t i = 0; i < n; i++)
            per[k][i] = pop[i] > 0 ? c->values[k][i] / pop[i] : NAN;
        if ((rc = check_finite(c, owned[k], per[k], 0)) != AM_OK)
            goto done;
        names[n_cols] = owned[k];
        cols[n_cols++] = per[k];
    }
    rc = am_zone_csv_write(c->out_path, &c->guard, c->s->demand_id_field, n,
                           ids, n_cols, names, cols, c->err);
done:
    for (int k = 0; owned != NULL && per != NULL && k < n_m; k++) {
        am_free(owned[k]);
        am_free(per[k]);
    }
    am_free(owned);
    am_free(per);
    am_free(names);
    am_free(cols);
    am_free(ids);
    return rc;
}

static am_status summary_init(matrix_ctx *c)
{
    const am_scenario *s = c->s;
    am_matrix_summary *r = am_calloc(1, sizeof *r);
    if (r == NULL)
        return nomem(c);
    c->sum = r;
    r->threads = c->threads;
    r->n_measures = s->n_measures;
    r->scenario_name = am_strdup(s->name != NULL ? s->name : "scenario");
    r->output_path = am_strdup(c->out_path);
    r->measure_names = am_calloc((size_t)s->n_measures, sizeof(char *));
    r->measure_mean = am_calloc((size_t)s->n_measures, sizeof(double));
    r->zones_none = am_calloc((size_t)s->n_measures, sizeof(int32_t));
    r->dest_no_demand = am_calloc((size_t)s->n_measures, sizeof(int32_t));
    r->measure_decays =
        am_calloc((size_t)s->n_measures, sizeof *r->measure_decays);
    if (r->scenario_name == NULL || r->output_path == NULL ||
        r->measure_names == NULL || r->measure_mean == NULL ||
        r->zones_none == NULL || r->dest_no_demand == NULL ||
        r->measure_decays == NULL)
        return nomem(c);
    for (int k = 0; k < s->n_measures; k++)
        if ((r->measure_names[k] = am_strdup(s->measures[k].name)) == NULL)
            return nomem(c);
    return AM_OK;
}

/* After reading: sizes and totals. */
static am_status summary_inputs(matrix_ctx *c)
{
    am_matrix_summary *r = c->sum;
    r->pairs = c->info.pairs;
    r->zones_demand = am_zone_table_count(c->demand);
    r->zones_supply = am_zone_table_count(c->supply);
    r->origins_used = c->info.origins_used;
    r->destinations_used = c->info.destinations_used;
    r->max_time_min = am_ds_to_minutes(c->info.max_time_ds);
    const double *p = am_zone_table_values(c->demand);
    const double *q = am_zone_table_values(c->supply);
    for (int32_t i = 0; i < r->zones_demand; i++)
        r->demand_total += p[i];
    for (int32_t j = 0; j < r->zones_supply; j++)
        r->supply_total += q[j];
    c->values = am_calloc((size_t)r->n_measures, sizeof *c->values);
    if (c->values == NULL)
        return nomem(c);
    for (int k = 0; k < r->n_measures; k++)
        if ((c->values[k] = am_calloc((size_t)r->zones_demand,
                                      sizeof **c->values)) == NULL)
            return nomem(c);
    return AM_OK;
}

/* The phases: read, compute, write. */
static am_status run_steps(matrix_ctx *c)
{
    am_status rc = am_phase_begin(&c->log, "reading the tables", c->err);
    if (rc == AM_OK)
        rc = read_inputs(c);
    if (rc == AM_OK)
        rc = am_phase_end(&c->log, "read", c->err);
    if (rc == AM_OK)
        rc = summary_inputs(c);
    if (rc == AM_OK)
        rc = am_phase_begin(&c->log, "computing the measures", c->err);
    if (rc == AM_OK)
        rc = compute(c);
    if (rc == AM_OK)
        rc = am_phase_end(&c->log, "compute", c->err);
    if (rc == AM_OK)
        rc = am_phase_begin(&c->log, "writing the zone table", c->err);
    if (rc == AM_OK)
        rc = write_output(c);
    if (rc == AM_OK)
        rc = am_phase_end(&c->log, "write", c->err);
    return rc;
}

am_status am_matrix_run(const am_scenario *s, const am_run_options *opt,
                        am_matrix_summary **summary, am_error *err)
{
    am_error local_err;
    am_run_options default_opt = am_run_options_default();
    matrix_ctx ctx;
    matrix_ctx *c = &ctx;
    const double t_start = am_now_s();
    if (summary != NULL)
        *summary = NULL;
    if (err == NULL)
        err = &local_err;
    am_error_clear(err);
    if (opt == NULL)
        opt = &default_opt;
    if (s == NULL)
        return am_error_set(err, AM_ERR_USAGE, NULL, "no scenario");
    if (!am_scenario_is_matrix(s) || s->matrix_from_field == NULL ||
        s->n_measures < 1)
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "not a finalized matrix scenario (matrix, "
                            "demand, supply and measures)");
    memset(c, 0, sizeof *c);
    c->s = s;
    c->err = err;
    c->threads = opt->threads > 0 ? opt->threads
                 : s->threads > 0 ? s->threads
                                  : omp_get_max_threads();
    c->log.progress = opt->progress;
    c->log.progress_user = opt->progress_user;
    am_file_guard_init(&c->guard);

    am_status rc = prepare(c, opt);
    if (rc == AM_OK)
        rc = summary_init(c);
    if (rc == AM_OK)
        rc = run_steps(c);
    if (rc == AM_OK) {
        c->sum->phases = c->log.v; /* moved */
        c->sum->n_phases = c->log.n;
        c->log.v = NULL;
        c->sum->wall_s = am_now_s() - t_start;
        c->sum->peak_rss_mib = am_peak_rss_mib();
    }
    am_phases_free(&c->log);
    am_file_guard_free(&c->guard);
    am_zone_table_destroy(c->demand);
    am_zone_table_destroy(c->supply);
    am_catchments_destroy(c->cat);
    am_demand_destroy(c->d);
    am_free(c->plans);
    for (int k = 0; c->values != NULL && k < s->n_measures; k++)
        am_free(c->values[k]);
    am_free(c->values);
    if (rc == AM_OK && summary != NULL)
        *summary = c->sum;
    else
        am_matrix_summary_destroy(c->sum);
    return rc;
}

void am_matrix_summary_write(const am_matrix_summary *r, FILE *f)
{
    char a[AM_COUNT_BUF], b[AM_COUNT_BUF], d[AM_COUNT_BUF];
    if (r == NULL)
        return;
    fprintf(f, "accessim %s: matrix scenario '%s' (%d thread%s)\n",
            AM_VERSION_STRING, r->scenario_name, r->threads,
            r->threads == 1 ? "" : "s");
    fprintf(f,
            "  matrix       %s pairs, %s origins to %s destinations, "
            "longest %.1f min\n",
            am_format_count((double)r->pairs, a),
            am_format_count((double)r->origins_used, b),
            am_format_count((double)r->destinations_used, d), r->max_time_min);
    fprintf(f, "  demand       %s in %s zones\n",
            am_format_count(r->demand_total, a),
            am_format_count((double)r->zones_demand, b));
    fprintf(f, "  supply       %s in %s zones\n",
            am_format_count(r->supply_total, a),
            am_format_count((double)r->zones_supply, b));
    for (int k = 0; k < r->n_measures; k++) {
        fprintf(f,
                "  measure      %s (%s): mean %.6g (population-weighted); "
                "%d zones reach nothing",
                r->measure_names[k], r->measure_decays[k], r->measure_mean[k],
                (int)r->zones_none[k]);
        if (r->dest_no_demand[k] >= 0)
            fprintf(f, ", %d destinations without demand",
                    (int)r->dest_no_demand[k]);
        fputc('\n', f);
    }
    fprintf(f, "  output       %s\n", r->output_path);
    fprintf(f, "  time        ");
    for (int k = 0; k < r->n_phases; k++)
        fprintf(f, " %s %.3f s%s", r->phases[k].name, r->phases[k].wall_s,
                k + 1 < r->n_phases ? "," : "");
    fprintf(f, "; total %.3f s, peak memory %.0f MiB\n", r->wall_s,
            r->peak_rss_mib);
}
