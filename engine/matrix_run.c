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
#include "common/warning.h"
#include "engine/diagnostics.h"
#include "engine/internal.h"
#include "engine/measure_registry.h"
#include "engine/memory.h"
#include "engine/summary.h"
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
    /* issue 9: the memory cap (0: the default share) and, when the pairs
       may not fit under it, why the reader stops */
    uint64_t max_memory;
    int64_t max_pairs;
    char pairs_why[384];
    am_warnings warn; /* issue 9: forwarded to opt->warning */
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
    am_free(r->diagnostics);
    am_free(r->mean_excluded);
    am_free(r->cov_served); /* issue 9, capacity_coverage */
    am_free(r->cov_beyond);
    am_free(r->cov_none);
    am_free(r->cov_iterations);
    am_free(r->cov_residual);
    am_free(r->cov_converged);
    am_free(r->measure_types);
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
        rc = am_engine_check_output_format(
            c->out_path, 1, "the output of a matrix run (one row per zone)",
            c->err);
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

/*
 * Issue 9, --max-memory: the estimate for the zone tables read and no
 * pair yet is refused above the cap (the network mode's style, naming
 * the matrix); when the pairs the zones allow (every origin to every
 * destination) might not fit, the reader gets the most pairs the cap
 * leaves room for and stops at the line beyond them.
 */
static am_status memory_check(matrix_ctx *c)
{
    const int32_t nd = am_zone_table_count(c->demand);
    const int32_t ns = am_zone_table_count(c->supply);
    const int32_t nm = c->s->n_measures;
    const char *what = "physical memory";
    uint64_t cap = c->max_memory;
    if (cap == 0)
        cap = am_memory_limit_bytes(&what) / 100 * AM_DEFAULT_MEMORY_SHARE_PCT;
    const uint64_t fixed = am_memory_estimate_matrix(nd, ns, 0, nm);
    const uint64_t most =
        am_memory_estimate_matrix(nd, ns, (int64_t)nd * (int64_t)ns, nm);
    char est[32], capt[32], lim[64], hint[96];
    c->sum->memory_cap = cap;
    c->sum->memory_estimate = fixed;
    if (c->max_memory != 0) {
        snprintf(lim, sizeof lim, "--max-memory");
        snprintf(hint, sizeof hint, "raise --max-memory above %s",
                 am_format_bytes(cap > fixed ? most : fixed, est, sizeof est));
    } else {
        snprintf(lim, sizeof lim, "%d %% of %s", AM_DEFAULT_MEMORY_SHARE_PCT,
                 what);
        snprintf(hint, sizeof hint, "or set the cap with --max-memory");
    }
    if (cap == 0 || most <= cap)
        return AM_OK;
    if (fixed > cap)
        return am_error_set(
            c->err, AM_ERR_NOMEM, c->matrix_path,
            "matrix of %ld demand and %ld supply zones: the run needs about "
            "%s of memory before reading any pair, above the cap of %s "
            "(%s); use fewer zones, %s",
            (long)nd, (long)ns, am_format_bytes(fixed, est, sizeof est),
            am_format_bytes(cap, capt, sizeof capt), lim, hint);
    c->max_pairs = (int64_t)((cap - fixed) / AM_MEMORY_MATRIX_PAIR_BYTES);
    if (c->max_pairs < 1)
        c->max_pairs = 1;
    snprintf(c->pairs_why, sizeof c->pairs_why,
             "what the memory cap of %s (%s) leaves for them at about %u "
             "bytes a pair; drop the pairs beyond the longest threshold, %s",
             am_format_bytes(cap, capt, sizeof capt), lim,
             AM_MEMORY_MATRIX_PAIR_BYTES, hint);
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
    if (rc == AM_OK)
        rc = memory_check(c); /* issue 9 */
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
        .max_pairs = c->max_pairs,
        .max_pairs_why = c->pairs_why,
    };
    rc = am_matrix_read(&mo, &c->cat, &c->info, c->err);
    if (rc == AM_OK) /* issue 9: the estimate with the pairs read */
        c->sum->memory_estimate = am_memory_estimate_matrix(
            am_zone_table_count(c->demand), am_zone_table_count(c->supply),
            c->info.pairs, s->n_measures);
    return rc;
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
 * counts the diagnostics want into out, the split and the allocation's
 * end into the summary (a fixed point that did not converge: a warning,
 * as in a network run, engine/coverage.c). */
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
    o.flag = out->cell_flag; /* for the diagnostics */
    am_status rc = am_alloc_run(&a, pairs, am_zone_table_values(c->supply),
                                c->threads, &o, c->err);
    out->n_cells_none = o.n_cells_none;
    out->n_fac_no_demand = o.n_fac_no_demand;
    if (rc != AM_OK)
        return rc;
    /* the identities of a network run (engine/results.c): the split adds
       up to the population, the demand allocated to who may take it */
    const int32_t nd = am_zone_table_count(c->demand);
    const double *pop = am_zone_table_values(c->demand);
    double total = 0.0; /* in zone order */
    for (int32_t i = 0; i < nd; i++)
        total += pop[i];
    const double tol = am_diag_tolerance(
        (int64_t)nd + (int64_t)am_zone_table_count(c->supply));
    const char *name = c->sum->measure_names[k];
    rc = am_diag_identity_check("matrix", name,
                                "served + beyond capacity + not in reach "
                                "= population",
                                o.total_served + o.total_beyond + o.total_none +
                                    o.total_off,
                                total, tol, NULL, c->err);
    if (rc == AM_OK)
        rc = am_diag_identity_check("matrix", name,
                                    "sum_j D_j = population within reach of "
                                    "a facility that may take it",
                                    o.total_demand, o.pop_takeable, tol, NULL,
                                    c->err);
    if (rc != AM_OK)
        return rc;
    am_matrix_summary *r = c->sum;
    r->cov_served[k] = o.total_served;
    r->cov_beyond[k] = o.total_beyond;
    r->cov_none[k] = o.total_none + o.total_off; /* off: none in a matrix */
    r->cov_iterations[k] = o.iterations;
    r->cov_residual[k] = o.residual;
    r->cov_converged[k] = o.converged;
    if (!o.converged)
        am_warn(&c->warn,
                "measure '%s': the capacity-constrained allocation did not "
                "converge in %d rounds (residual %.2g, tolerance %g); the "
                "allocation of the last round is written",
                r->measure_names[k], o.iterations, o.residual,
                AM_ALLOC_TOLERANCE);
    return AM_OK;
}

/* Measure k into c->values[k]; w: scratch of cat->limit_ds + 1; flag
 * [zones_demand], dem and ratio [zones_supply]: scratch for the
 * diagnostics (issue 9). */
static am_status compute_measure(matrix_ctx *c, const am_fca_pairs *pairs,
                                 int k, double *w, uint8_t *flag, double *dem,
                                 double *ratio)
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
    out.cell_flag = flag;
    out.fac_demand = dem;
    out.fac_ratio = ratio;
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
    /* issue 9: the identities and figures, as a network run's */
    const int32_t nd = am_zone_table_count(c->demand);
    const double *pop = am_zone_table_values(c->demand);
    double none = 0.0; /* in zone order */
    for (int32_t i = 0; i < nd; i++)
        if (flag[i] == AM_FCA_CELL_NONE)
            none += pop[i];
    const int with_dem =
        plan->info->has_ratio || plan->info->method == AM_FCA_SPAV;
    am_diag_input in = {"matrix",
                        c->sum->measure_names[k],
                        plan->info->method,
                        am_measure_has_supply_identity(plan->info),
                        nd,
                        am_zone_table_count(c->supply),
                        pop,
                        c->values[k],
                        flag,
                        am_zone_table_values(c->supply),
                        with_dem ? dem : NULL,
                        plan->info->has_ratio ? ratio : NULL,
                        c->sum->dest_no_demand[k],
                        none};
    if ((rc = am_diag_measure(&in, &c->sum->diagnostics[k], c->err)) != AM_OK)
        return rc;
    char buf[AM_MATRIX_DECAY_TEXT - 32];
    am_measure_plan_describe(plan, buf, sizeof buf);
    snprintf(c->sum->measure_decays[k], AM_MATRIX_DECAY_TEXT, "%.24s: %s",
             plan->info->name, buf);
    c->sum->measure_types[k] = plan->info->type;
    return AM_OK;
}

static am_status compute(matrix_ctx *c)
{
    const am_scenario *s = c->s;
    int32_t n = am_zone_table_count(c->demand);
    am_fca_pairs *pairs = NULL;
    double *w = NULL;
    /* issue 9, the diagnostics' scratch */
    const size_t ns = (size_t)am_zone_table_count(c->supply);
    uint8_t *flag = am_malloc((size_t)(n > 0 ? n : 1) * sizeof *flag);
    double *dem = am_malloc((ns > 0 ? ns : 1) * sizeof *dem);
    double *ratio = am_malloc((ns > 0 ? ns : 1) * sizeof *ratio);
    am_status rc = flag && dem && ratio ? build_demand(c) : nomem(c);
    if (rc == AM_OK)
        rc = am_fca_pairs_build(c->cat, c->d, c->cat->limit_ds, c->threads,
                                &pairs, c->err);
    if (rc == AM_OK &&
        (w = am_malloc(((size_t)c->cat->limit_ds + 1) * sizeof *w)) == NULL)
        rc = nomem(c);
    for (int k = 0; k < s->n_measures && rc == AM_OK; k++)
        rc = compute_measure(c, pairs, k, w, flag, dem, ratio);
    am_free(flag);
    am_free(dem);
    am_free(ratio);
    am_free(w);
    am_fca_pairs_free(pairs);
    /* population-weighted means, in zone order, over the zones with
       demand and a finite value (nearest_n: +inf for fewer than n within
       reach; those are counted in mean_excluded) */
    const double *pop = am_zone_table_values(c->demand);
    for (int k = 0; k < s->n_measures && rc == AM_OK; k++) {
        double sw = 0, swv = 0;
        int32_t excluded = 0;
        for (int32_t i = 0; i < n; i++) {
            if (!(pop[i] > 0))
                continue;
            if (!isfinite(c->values[k][i])) {
                excluded++;
                continue;
            }
            sw += pop[i];
            swv += pop[i] * c->values[k][i];
        }
        c->sum->measure_mean[k] = sw > 0 ? swv / sw : NAN;
        c->sum->mean_excluded[k] = excluded;
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
    r->diagnostics = am_calloc((size_t)s->n_measures, sizeof *r->diagnostics);
    r->mean_excluded =
        am_calloc((size_t)s->n_measures, sizeof *r->mean_excluded);
    r->measure_types =
        am_calloc((size_t)s->n_measures, sizeof *r->measure_types);
    const size_t nm = (size_t)s->n_measures; /* issue 9, capacity_coverage */
    r->cov_served = am_malloc(nm * sizeof *r->cov_served);
    r->cov_beyond = am_malloc(nm * sizeof *r->cov_beyond);
    r->cov_none = am_malloc(nm * sizeof *r->cov_none);
    r->cov_iterations = am_malloc(nm * sizeof *r->cov_iterations);
    r->cov_residual = am_malloc(nm * sizeof *r->cov_residual);
    r->cov_converged = am_malloc(nm * sizeof *r->cov_converged);
    if (r->cov_served == NULL || r->cov_beyond == NULL || r->cov_none == NULL ||
        r->cov_iterations == NULL || r->cov_residual == NULL ||
        r->cov_converged == NULL)
        return nomem(c);
    for (size_t k = 0; k < nm; k++) {
        r->cov_served[k] = r->cov_beyond[k] = r->cov_none[k] = NAN;
        r->cov_residual[k] = NAN;
        r->cov_iterations[k] = r->cov_converged[k] = -1;
    }
    if (r->scenario_name == NULL || r->output_path == NULL ||
        r->measure_names == NULL || r->measure_mean == NULL ||
        r->zones_none == NULL || r->dest_no_demand == NULL ||
        r->measure_decays == NULL || r->diagnostics == NULL ||
        r->measure_types == NULL || r->mean_excluded == NULL)
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
    am_engine_input_policy(s); /* issue 13 */
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
    c->max_memory = opt->max_memory; /* issue 9 */
    am_warnings_init(&c->warn, opt->warning, opt->warning_user);
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
    am_warnings_clear(&c->warn);
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

/* Issue 9: the identities and the demand inflation, in a few lines. */
static void matrix_diagnostics(const am_matrix_summary *r, FILE *f)
{
    if (r->diagnostics == NULL)
        return;
    int held = 0, infl = 0, kept = 0;
    double worst = 0.0, tol = NAN;
    for (int k = 0; k < r->n_measures; k++) {
        const am_measure_diagnostics *d = &r->diagnostics[k];
        if (d->identity) {
            held++;
            if (d->relative_difference > worst)
                worst = d->relative_difference;
            tol = d->tolerance;
        }
        infl += !isnan(d->demand_inflation);
        kept += !d->identity && !isnan(d->supply_kept);
    }
    fprintf(f,
            "  diagnostics  identities checked and holding for %d of %d "
            "measures (the others have none)",
            held, r->n_measures);
    if (held > 0)
        fprintf(f, " (largest relative difference %.2g, tolerance %.2g)", worst,
                tol);
    fputc('\n', f);
    if (infl > 0) {
        fprintf(f, "               demand counted (sum D_j / demand within "
                   "reach):");
        for (int k = 0, q = 0; k < r->n_measures; k++)
            if (!isnan(r->diagnostics[k].demand_inflation))
                fprintf(f, "%s %s %.3g", q++ ? "," : "", r->measure_names[k],
                        r->diagnostics[k].demand_inflation);
        fputc('\n', f);
    }
    if (kept > 0) {
        fprintf(f, "               supply kept (sum P_i A_i / supply with "
                   "demand in reach):");
        for (int k = 0, q = 0; k < r->n_measures; k++) {
            const am_measure_diagnostics *d = &r->diagnostics[k];
            if (!d->identity && !isnan(d->supply_kept))
                fprintf(f, "%s %s %.1f %%", q++ ? "," : "", r->measure_names[k],
                        100.0 * d->supply_kept);
        }
        fputc('\n', f);
    }
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
        fprintf(f, "  measure      %s (%s): ", r->measure_names[k],
                r->measure_decays[k]);
        /* zones left out of the mean: nearest_n's (engine/summary.h) */
        const int32_t left = r->mean_excluded != NULL ? r->mean_excluded[k] : 0;
        if (isnan(r->measure_mean[k]) && left == 0) {
            fprintf(f, "no zone with demand has a value");
        } else if (isnan(r->measure_mean[k])) {
            am_summary_nth_note(f, r->measure_mean[k], left, 1);
        } else {
            fprintf(f, "mean %.6g (population-weighted", r->measure_mean[k]);
            if (r->measure_types != NULL &&
                r->measure_types[k] == AM_MEASURE_TYPE_BFCA) {
                fprintf(f, "; ");
                am_summary_bfca_words(f, 1);
            }
            fputc(')', f);
            if (left > 0) {
                fprintf(f, " over the zones with a finite value (");
                am_summary_nth_note(f, r->measure_mean[k], left, 1);
                fprintf(f, ")");
            }
        }
        fprintf(f, "; %d zone%s reach%s %s", (int)r->zones_none[k],
                r->zones_none[k] == 1 ? "" : "s",
                r->zones_none[k] == 1 ? "es" : "",
                r->measure_types != NULL &&
                        r->measure_types[k] == AM_MEASURE_TYPE_NEAREST_N
                    ? "fewer than n destinations"
                    : "nothing");
        if (r->dest_no_demand[k] >= 0)
            fprintf(f, ", %d destinations without demand",
                    (int)r->dest_no_demand[k]);
        fputc('\n', f);
    }
    for (int k = 0; r->cov_served != NULL && k < r->n_measures; k++) {
        if (isnan(r->cov_served[k])) /* issue 9, capacity_coverage */
            continue;
        fprintf(f, "  coverage     %s: ", r->measure_names[k]);
        am_summary_cover_split(f, r->cov_served[k], r->cov_beyond[k],
                               r->cov_none[k], r->demand_total);
        fprintf(f, "; ");
        am_summary_fixed_point(f, r->cov_iterations[k], r->cov_converged[k],
                               r->cov_residual[k]);
        fputc('\n', f);
    }
    matrix_diagnostics(r, f); /* issue 9 */
    fprintf(f, "  output       %s\n", r->output_path);
    fprintf(f, "  time        ");
    for (int k = 0; k < r->n_phases; k++)
        fprintf(f, " %s %.3f s%s", r->phases[k].name, r->phases[k].wall_s,
                k + 1 < r->n_phases ? "," : "");
    fprintf(f, "; total %.3f s, peak memory %.0f MiB", r->wall_s,
            r->peak_rss_mib);
    if (r->memory_estimate > 0) /* issue 9 */
        fprintf(f, " (estimate %.0f MiB, cap %.0f MiB)",
                (double)r->memory_estimate / 1048576.0,
                (double)r->memory_cap / 1048576.0);
    fputc('\n', f);
}
