/*
 * compare.c: `accessim compare` (compare.h). Reads the two sides with
 * outputs/h5_reader.h, checks that they describe the same grid, computes
 * the figures in cell-index order (serial sums: the same numbers for any
 * thread count; the statistics are kernels/equity.h's, deterministic too)
 * and writes the comparison file with outputs/h5_writer.h.
 */
#include "engine/compare.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/file_check.h"
#include "common/strutil.h"
#include "geo/crs.h"
#include "kernels/equity.h"
#include "outputs/h5_reader.h"
#include "outputs/h5_writer.h"

#define PATH_LEN 1024

/* One side of the comparison. */
typedef struct side {
    am_h5r *h;
    const char *path; /* borrowed */
    const char *scen; /* "baseline" or the scenario's name */
    char prefix[512]; /* "" (root) or "/scenarios/<name>" */
    am_grid grid;
    char *wkt;
    double *w; /* [cells] population where > 0 and not nodata, else 0 */
    char **sets;
    int32_t n_sets;
} side;

/* The result being built. */
typedef struct builder {
    am_compare_result *r;
    int64_t cap;
    int failed;
} builder;

static void side_free(side *s)
{
    am_h5r_close(s->h);
    am_free(s->wkt);
    am_free(s->w);
    am_h5r_strings_free(s->sets, s->n_sets);
    memset(s, 0, sizeof *s);
}

static void warn(const am_compare_options *opt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(const am_compare_options *opt, const char *fmt, ...)
{
    if (opt->warning == NULL)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    opt->warning(buf, opt->warning_user);
}

static int is_baseline(const char *scen)
{
    return scen == NULL || scen[0] == '\0' || strcmp(scen, "baseline") == 0;
}

am_status am_compare_split_arg(const char *arg, char **file, char **scenario,
                               am_error *err)
{
    *file = NULL;
    *scenario = NULL;
    struct stat st;
    const char *colon = strrchr(arg, ':');
    if (stat(arg, &st) == 0 || colon == NULL) {
        *file = am_strdup(arg);
        return *file != NULL
                   ? AM_OK
                   : am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    if (colon[1] == '\0')
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "'%s': no scenario name after ':' (the baseline "
                            "is FILE or FILE:baseline, a scenario FILE:NAME)",
                            arg);
    size_t n = (size_t)(colon - arg);
    *file = am_malloc(n + 1);
    *scenario = am_strdup(colon + 1);
    if (*file == NULL || *scenario == NULL) {
        am_free(*file);
        am_free(*scenario);
        *file = *scenario = NULL;
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    memcpy(*file, arg, n);
    (*file)[n] = '\0';
    return AM_OK;
}

/* ---- rows --------------------------------------------------------------- */

static void add_row(builder *b, const char *set, const char *table,
                    const char *zone, const char *variable,
                    const char *statistic, double cutoff, double va, double vb,
                    double change, const char *units)
{
    if (b->failed)
        return;
    am_compare_result *r = b->r;
    if (r->n_rows == b->cap) {
        int64_t cap = b->cap ? 2 * b->cap : 64;
        am_compare_row *v =
            am_realloc_array(r->rows, (size_t)cap, sizeof *r->rows);
        if (v == NULL) {
            b->failed = 1;
            return;
        }
        r->rows = v;
        b->cap = cap;
    }
    am_compare_row *row = &r->rows[r->n_rows];
    memset(row, 0, sizeof *row);
    row->set = am_strdup(set);
    row->table = am_strdup(table);
    row->zone = am_strdup(zone);
    row->variable = am_strdup(variable);
    row->statistic = am_strdup(statistic);
    row->units = am_strdup(units != NULL ? units : "");
    row->cutoff_min = cutoff;
    row->a = va;
    row->b = vb;
    row->change = change;
    r->n_rows++;
    if (row->set == NULL || row->table == NULL || row->zone == NULL ||
        row->variable == NULL || row->statistic == NULL || row->units == NULL)
        b->failed = 1;
}

/* ---- opening a side ------------------------------------------------------ */

static am_status list_scenarios(side *s, char *buf, size_t n)
{
    buf[0] = '\0';
    char **names = NULL;
    int *kinds = NULL;
    int32_t k = 0;
    am_error e;
    snprintf(buf, n, "baseline");
    if (am_h5r_kind(s->h, "/scenarios") == 1 &&
        am_h5r_list(s->h, "/scenarios", &names, &kinds, &k, &e) == AM_OK) {
        for (int32_t i = 0; i < k; i++) {
            size_t used = strlen(buf);
            if (kinds[i] == 1 && used + 1 < n)
                snprintf(buf + used, n - used, ", %s", names[i]);
        }
    }
    am_h5r_strings_free(names, k);
    am_free(kinds);
    return AM_OK;
}

static am_status open_side(side *s, const char *path, const char *scen,
                           am_error *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->scen = is_baseline(scen) ? "baseline" : scen;
    am_status rc = am_h5r_open(path, &s->h, err);
    if (rc != AM_OK)
        return rc;
    if (is_baseline(scen)) {
        s->prefix[0] = '\0';
    } else {
        if (strchr(scen, '/') != NULL ||
            strlen(scen) + sizeof "/scenarios/" >= sizeof s->prefix)
            return am_error_set(err, AM_ERR_INVALID, path,
                                "'%s' is not a scenario name", scen);
        snprintf(s->prefix, sizeof s->prefix, "/scenarios/%s", scen);
        if (am_h5r_kind(s->h, s->prefix) != 1 &&
            am_h5r_unreadable(s->h, s->prefix))
            return am_error_set(err, AM_ERR_FORMAT, path,
                                "cannot read the group %s: the file is "
                                "damaged",
                                s->prefix);
        if (am_h5r_kind(s->h, s->prefix) != 1) {
            char list[512];
            list_scenarios(s, list, sizeof list);
            return am_error_set(err, AM_ERR_INVALID, path,
                                "no scenario '%s' (no group %s); the file "
                                "has: %s",
                                scen, s->prefix, list);
        }
    }
    char results[PATH_LEN];
    snprintf(results, sizeof results, "%s/results", s->prefix);
    if (am_h5r_kind(s->h, results) != 1 && am_h5r_unreadable(s->h, results))
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "cannot read the group %s: the file is damaged",
                            results);
    if (am_h5r_kind(s->h, results) != 1)
        return am_error_set(err, AM_ERR_FORMAT, path,
                            "not an accessim results file (no group %s)",
                            results);
    rc = am_h5r_grid(s->h, s->prefix, &s->grid, &s->wkt, err);
    if (rc != AM_OK)
        return rc;
    int *kinds = NULL;
    char **names = NULL;
    int32_t n = 0;
    rc = am_h5r_list(s->h, results, &names, &kinds, &n, err);
    if (rc != AM_OK)
        return rc;
    /* the sets: the groups under results/ */
    s->sets = am_calloc_array(n > 0 ? (size_t)n : 1, sizeof *s->sets);
    if (s->sets == NULL) {
        am_h5r_strings_free(names, n);
        am_free(kinds);
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    }
    for (int32_t i = 0; i < n; i++) {
        if (kinds[i] == 1) {
            s->sets[s->n_sets++] = names[i];
            names[i] = NULL;
        }
    }
    am_h5r_strings_free(names, n);
    am_free(kinds);
    return AM_OK;
}

/* The population weights (0 where nodata or not positive). */
static am_status read_weights(side *s, float **pop, am_error *err)
{
    char p[PATH_LEN];
    snprintf(p, sizeof p, "%s/population", s->prefix);
    if (am_h5r_kind(s->h, p) != 2)
        snprintf(p, sizeof p, "/population");
    float fill = NAN;
    am_status rc =
        am_h5r_raster_f32(s->h, p, s->grid.ny, s->grid.nx, pop, &fill, err);
    if (rc != AM_OK)
        return rc;
    size_t n = (size_t)s->grid.nx * (size_t)s->grid.ny;
    s->w = am_alloc_array(n, sizeof *s->w);
    if (s->w == NULL)
        return am_error_set(err, AM_ERR_NOMEM, s->path, "out of memory");
    for (size_t i = 0; i < n; i++) {
        float v = (*pop)[i];
        s->w[i] = (v == fill || !isfinite(v) || v <= 0) ? 0.0 : (double)v;
    }
    return AM_OK;
}

static int has_name(char **names, int32_t n, const char *name)
{
    for (int32_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* ---- checks -------------------------------------------------------------- */

static am_status check_grids(const side *a, const side *b, am_error *err)
{
    if (a->grid.nx != b->grid.nx || a->grid.ny != b->grid.ny)
        return am_error_set(
            err, AM_ERR_INVALID, b->path,
            "its grid is %d x %d cells (columns x rows), %s's is %d x %d: "
            "the runs must use the same population grid",
            (int)b->grid.nx, (int)b->grid.ny, a->path, (int)a->grid.nx,
            (int)a->grid.ny);
    for (int k = 0; k < 6; k++) {
        double x = a->grid.gt[k], y = b->grid.gt[k];
        double tol = 1e-9 * fmax(1.0, fmax(fabs(x), fabs(y)));
        if (fabs(x - y) > tol)
            return am_error_set(
                err, AM_ERR_INVALID, b->path,
                "its grid is not %s's: geotransform %.17g %.17g %.17g %.17g "
                "%.17g %.17g, not %.17g %.17g %.17g %.17g %.17g %.17g",
                a->path, b->grid.gt[0], b->grid.gt[1], b->grid.gt[2],
                b->grid.gt[3], b->grid.gt[4], b->grid.gt[5], a->grid.gt[0],
                a->grid.gt[1], a->grid.gt[2], a->grid.gt[3], a->grid.gt[4],
                a->grid.gt[5]);
    }
    int same = 0;
    am_status rc =
        am_crs_equivalent(a->wkt, b->wkt, a->path, b->path, &same, err);
    if (rc != AM_OK)
        return rc;
    if (!same)
        return am_error_set(err, AM_ERR_INVALID, b->path,
                            "its coordinate reference system is not %s's "
                            "(crs_wkt of /crs differs): the runs must use the "
                            "same population grid",
                            a->path);
    return AM_OK;
}

/* The sets to compare: opt's, else those of A that B has too. */
static am_status choose_sets(const am_compare_options *opt, const side *a,
                             const side *b, am_compare_result *r, am_error *err)
{
    int32_t cap = opt->n_sets > 0 ? opt->n_sets : a->n_sets;
    r->sets = am_calloc_array(cap > 0 ? (size_t)cap : 1, sizeof *r->sets);
    if (r->sets == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    if (opt->n_sets > 0) {
        for (int32_t i = 0; i < opt->n_sets; i++) {
            const char *name = opt->sets[i];
            const side *miss = !has_name(a->sets, a->n_sets, name)   ? a
                               : !has_name(b->sets, b->n_sets, name) ? b
                                                                     : NULL;
            if (miss != NULL)
                return am_error_set(err, AM_ERR_INVALID, miss->path,
                                    "no facility set '%s' in %s (no group "
                                    "%s/results/%s)",
                                    name, miss->scen, miss->prefix, name);
            if (has_name(r->sets, r->n_sets, name))
                continue;
            if ((r->sets[r->n_sets] = am_strdup(name)) == NULL)
                return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
            r->n_sets++;
        }
        return AM_OK;
    }
    for (int32_t i = 0; i < a->n_sets; i++) {
        if (!has_name(b->sets, b->n_sets, a->sets[i]))
            continue;
        if ((r->sets[r->n_sets] = am_strdup(a->sets[i])) == NULL)
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        r->n_sets++;
    }
    if (r->n_sets == 0)
        return am_error_set(
            err, AM_ERR_INVALID, b->path,
            "no facility set in common with %s (the sets "
            "are matched by name: %s has %s%s, this one %s%s)",
            a->path, a->path, a->n_sets > 0 ? a->sets[0] : "none",
            a->n_sets > 1 ? ", ..." : "", b->n_sets > 0 ? b->sets[0] : "none",
            b->n_sets > 1 ? ", ..." : "");
    return AM_OK;
}

/* ---- one raster ---------------------------------------------------------- */

/* A raster of one side with its encodings. */
typedef struct raster {
    float *v;
    float fill;
    double unreachable; /* NaN: none */
    char *units;
} raster;

static void raster_free(raster *x)
{
    am_free(x->v);
    am_free(x->units);
    memset(x, 0, sizeof *x);
}

static am_status raster_read(side *s, const char *set, const char *name,
                             raster *x, am_error *err)
{
    memset(x, 0, sizeof *x);
    x->unreachable = NAN;
    char p[PATH_LEN];
    snprintf(p, sizeof p, "%s/results/%s/%s", s->prefix, set, name);
    am_status rc = am_h5r_raster_f32(s->h, p, s->grid.ny, s->grid.nx, &x->v,
                                     &x->fill, err);
    if (rc != AM_OK)
        return rc;
    int found = 0;
    double u = NAN;
    rc = am_h5r_attr_double(s->h, p, "unreachable_value", &u, &found, err);
    if (rc != AM_OK) {
        raster_free(x);
        return rc;
    }
    x->unreachable = found ? u : NAN;
    am_error ignore;
    if (am_h5r_attr_string(s->h, p, "units", &x->units, &ignore) != AM_OK)
        x->units = NULL;
    return AM_OK;
}

/* Whether the cell holds a value (not nodata, not unreachable). */
static int valid(const raster *x, size_t i)
{
    float v = x->v[i];
    if (isnan(v) || v == x->fill)
        return 0;
    return isnan(x->unreachable) || (double)v != x->unreachable;
}

/* The rasters of a set both sides have: 2-D, numeric, float. */
static am_status common_rasters(side *a, side *b, const char *set, char ***out,
                                int32_t *n_out, am_error *err)
{
    *out = NULL;
    *n_out = 0;
    char p[PATH_LEN];
    snprintf(p, sizeof p, "%s/results/%s", a->prefix, set);
    char **names = NULL;
    int *kinds = NULL;
    int32_t n = 0;
    am_status rc = am_h5r_list(a->h, p, &names, &kinds, &n, err);
    if (rc != AM_OK)
        return rc;
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        int keep = 0;
        if (kinds[i] == 2) {
            keep = 1;
            for (int side_i = 0; side_i < 2 && keep; side_i++) {
                side *s = side_i == 0 ? a : b;
                char q[PATH_LEN];
                snprintf(q, sizeof q, "%s/results/%s/%s", s->prefix, set,
                         names[i]);
                int rank = 0, is_float = 0;
                int64_t dims[2];
                am_error ignore;
                keep = am_h5r_kind(s->h, q) == 2 &&
                       am_h5r_shape(s->h, q, &rank, dims, &is_float, &ignore) ==
                           AM_OK &&
                       rank == 2 && is_float == 1 && dims[0] == s->grid.ny &&
                       dims[1] == s->grid.nx;
            }
        }
        if (keep) {
            char *t = names[k];
            names[k++] = names[i];
            names[i] = t; /* the dropped names end up after k */
        }
    }
    for (int32_t i = k; i < n; i++)
        am_free(names[i]);
    am_free(kinds);
    *out = names;
    *n_out = k;
    return AM_OK;
}

/* The statistics of one side's raster (equity.h over valid cells). */
typedef struct stats7 {
    double v[7]; /* mean, median, p10, p90, gini, palma, theil */
} stats7;

static const char *const STAT_NAMES[7] = {"mean", "median", "p10",  "p90",
                                          "gini", "palma",  "theil"};

static am_status side_stats(const side *s, const raster *x, int threads,
                            stats7 *out, am_error *err)
{
    size_t n = (size_t)s->grid.nx * (size_t)s->grid.ny;
    double *vals = am_alloc_array(n, sizeof *vals);
    if (vals == NULL)
        return am_error_set(err, AM_ERR_NOMEM, s->path, "out of memory");
    for (size_t i = 0; i < n; i++)
        vals[i] = valid(x, i) && s->w[i] > 0 ? (double)x->v[i] : NAN;
    static const double pct[2] = {10, 90};
    am_equity_spec spec = {2, pct, 0, NULL, 0, NULL};
    am_equity_stats st;
    double pv[2];
    am_status rc = am_equity_run((int32_t)n, vals, s->w, NULL, NULL, 1, &spec,
                                 threads, &st, pv, NULL, NULL, err);
    am_free(vals);
    if (rc != AM_OK)
        return rc;
    double v[7] = {st.mean, st.median, pv[0],   pv[1],
                   st.gini, st.palma,  st.theil};
    memcpy(out->v, v, sizeof v);
    return AM_OK;
}

/* Sorted union of both coverage tables' cutoffs (minutes), up to the
 * smaller of the two sides' largest cutoffs: a run searches times only as
 * far as it needs (its largest cutoff, or a measure's reach), so beyond a
 * side's largest cutoff its cells read as unreachable and the figures
 * would show people "losing" access they never lost. The cutoffs left out
 * are warned about. */
static am_status cutoffs_union(const am_compare_options *opt, side *a, side *b,
                               const char *set, double **out, int64_t *n_out,
                               double *depth_out, am_error *err)
{
    *out = NULL;
    *n_out = 0;
    *depth_out = INFINITY;
    double *all = NULL;
    int64_t n_all = 0;
    double largest[2] = {INFINITY, INFINITY};
    for (int k = 0; k < 2; k++) {
        side *s = k == 0 ? a : b;
        char p[PATH_LEN];
        snprintf(p, sizeof p, "%s/results/%s/coverage/cutoff_min", s->prefix,
                 set);
        if (am_h5r_kind(s->h, p) != 2)
            continue;
        double *c = NULL;
        int64_t m = 0;
        am_status rc = am_h5r_column_f64(s->h, p, &c, &m, err);
        if (rc != AM_OK) {
            am_free(all);
            return rc;
        }
        double *grown =
            am_realloc_array(all, (size_t)(n_all + m + 1), sizeof *all);
        if (grown == NULL) {
            am_free(c);
            am_free(all);
            return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        }
        all = grown;
        if (m > 0)
            largest[k] = 0;
        for (int64_t i = 0; i < m; i++)
            if (isfinite(c[i]) && c[i] >= 0) {
                all[n_all++] = c[i];
                if (c[i] > largest[k])
                    largest[k] = c[i];
            }
        am_free(c);
    }
    /* insertion sort (a handful of cutoffs), then unique */
    for (int64_t i = 1; i < n_all; i++) {
        double v = all[i];
        int64_t j = i;
        for (; j > 0 && all[j - 1] > v; j--)
            all[j] = all[j - 1];
        all[j] = v;
    }
    const double depth = largest[0] < largest[1] ? largest[0] : largest[1];
    /* clip only where the sides differ: with the same largest cutoff both
     * were searched at least that far, and times beyond it stay as run */
    *depth_out = largest[0] != largest[1] ? depth : INFINITY;
    int64_t k = 0;
    for (int64_t i = 0; i < n_all; i++)
        if (k == 0 || all[k - 1] != all[i])
            all[k++] = all[i];
    /* sorted: the cutoffs beyond the depth are a suffix */
    int64_t n_beyond = 0;
    while (k > 0 && all[k - 1] > depth) {
        k--;
        n_beyond++;
    }
    const double first_beyond = n_beyond > 0 ? all[k] : NAN;
    if (n_beyond > 0)
        warn(opt,
             "set '%s': coverage at %g min%s left out: beyond %s's largest "
             "cutoff (%g min), so that side's times were not searched that "
             "far and its cells would read as unreachable; nearest_time_min "
             "is compared up to that cutoff on both sides",
             set, first_beyond, n_beyond > 1 ? " and above" : "",
             largest[0] < largest[1] ? a->path : b->path, depth);
    *out = all;
    *n_out = k;
    return AM_OK;
}

static void coverage_rows(builder *bl, const char *set, const side *a,
                          const side *b, const raster *ta, const raster *tb,
                          const double *cut, int64_t n_cut)
{
    size_t n = (size_t)a->grid.nx * (size_t)a->grid.ny;
    for (int64_t c = 0; c < n_cut; c++) {
        double within_a = 0, within_b = 0, gain = 0, loss = 0;
        for (size_t i = 0; i < n; i++) {
            int ia = a->w[i] > 0 && valid(ta, i) && ta->v[i] >= 0 &&
                     (double)ta->v[i] <= cut[c];
            int ib = b->w[i] > 0 && valid(tb, i) && tb->v[i] >= 0 &&
                     (double)tb->v[i] <= cut[c];
            if (ia)
                within_a += a->w[i];
            if (ib)
                within_b += b->w[i];
            if (a->w[i] > 0 && b->w[i] > 0) {
                if (ib && !ia)
                    gain += b->w[i];
                else if (ia && !ib)
                    loss += a->w[i];
            }
        }
        add_row(bl, set, "coverage", "", "nearest_time_min", "within", cut[c],
                within_a, within_b, within_b - within_a, "persons");
        add_row(bl, set, "coverage", "", "nearest_time_min", "gaining", cut[c],
                NAN, NAN, gain, "persons");
        add_row(bl, set, "coverage", "", "nearest_time_min", "losing", cut[c],
                NAN, NAN, loss, "persons");
    }
}

/* Statistics rows of one raster, rose / fell, and its difference. */
static am_status raster_rows(builder *bl, const am_compare_options *opt,
                             const char *set, const char *name, const side *a,
                             const side *b, const raster *ra, const raster *rb,
                             float *diff, am_error *err)
{
    size_t n = (size_t)a->grid.nx * (size_t)a->grid.ny;
    double rose = 0, fell = 0;
    for (size_t i = 0; i < n; i++) {
        int va = valid(ra, i), vb = valid(rb, i);
        diff[i] = va && vb ? rb->v[i] - ra->v[i] : NAN;
        if (va && vb && a->w[i] > 0 && b->w[i] > 0) {
            if (rb->v[i] > ra->v[i])
                rose += b->w[i];
            else if (rb->v[i] < ra->v[i])
                fell += b->w[i];
        }
    }
    if (strcmp(name, "surface_time_min") == 0)
        return AM_OK; /* every cell near a road, not people: the raster only */
    stats7 sa, sb;
    am_status rc = side_stats(a, ra, opt->threads, &sa, err);
    if (rc == AM_OK)
        rc = side_stats(b, rb, opt->threads, &sb, err);
    if (rc != AM_OK)
        return rc;
    const char *u = ra->units != NULL ? ra->units : "";
    for (int k = 0; k < 7; k++)
        add_row(bl, set, "overall", "", name, STAT_NAMES[k], NAN, sa.v[k],
                sb.v[k], sb.v[k] - sa.v[k], k < 4 ? u : "1");
    add_row(bl, set, "overall", "", name, "rose", NAN, NAN, NAN, rose,
            "persons");
    add_row(bl, set, "overall", "", name, "fell", NAN, NAN, NAN, fell,
            "persons");
    return AM_OK;
}

/* Per-zone rows: every numeric column of equity/<layer> in both. */
static am_status zone_rows(builder *bl, const am_compare_options *opt,
                           const char *set, side *a, side *b, am_error *err)
{
    char ga[PATH_LEN], gb[PATH_LEN];
    snprintf(ga, sizeof ga, "%s/results/%s/equity", a->prefix, set);
    snprintf(gb, sizeof gb, "%s/results/%s/equity", b->prefix, set);
    if (am_h5r_kind(a->h, ga) != 1 || am_h5r_kind(b->h, gb) != 1)
        return AM_OK;
    char **tables = NULL, **cols = NULL, **ida = NULL, **idb = NULL;
    int *kinds = NULL, *ckinds = NULL;
    int32_t n_tables = 0, n_cols = 0;
    int64_t na = 0, nb = 0;
    int64_t *match = NULL;
    double *ca = NULL, *cb = NULL;
    am_status rc = am_h5r_list(a->h, ga, &tables, &kinds, &n_tables, err);
    for (int32_t t = 0; rc == AM_OK && t < n_tables; t++) {
        if (kinds[t] != 1 || strcmp(tables[t], "overall") == 0)
            continue;
        char ta[2 * PATH_LEN], tb[2 * PATH_LEN], p[3 * PATH_LEN];
        snprintf(ta, sizeof ta, "%s/%s", ga, tables[t]);
        snprintf(tb, sizeof tb, "%s/%s", gb, tables[t]);
        if (am_h5r_kind(b->h, tb) != 1)
            continue;
        snprintf(p, sizeof p, "%s/id", ta);
        rc = am_h5r_column_str(a->h, p, &ida, &na, err);
        if (rc != AM_OK)
            break;
        snprintf(p, sizeof p, "%s/id", tb);
        rc = am_h5r_column_str(b->h, p, &idb, &nb, err);
        if (rc != AM_OK)
            break;
        match = am_alloc_array(na > 0 ? (size_t)na : 1, sizeof *match);
        if (match == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
            break;
        }
        int64_t unmatched = 0;
        for (int64_t i = 0; i < na; i++) {
            match[i] = -1;
            for (int64_t j = 0; j < nb; j++)
                if (strcmp(ida[i], idb[j]) == 0) {
                    match[i] = j;
                    break;
                }
            unmatched += match[i] < 0;
        }
        if (unmatched > 0 || na != nb)
            warn(opt,
                 "set %s, zones %s: %lld zone(s) of %s and %lld of %s have no "
                 "zone of the same id on the other side; left out",
                 set, tables[t], (long long)unmatched, a->path,
                 (long long)(nb - (na - unmatched)), b->path);
        rc = am_h5r_list(a->h, ta, &cols, &ckinds, &n_cols, err);
        if (rc == AM_OK && n_cols > 0) {
            ca = am_calloc_array((size_t)n_cols * (size_t)(na + 1), sizeof *ca);
            cb = am_calloc_array((size_t)n_cols * (size_t)(nb + 1), sizeof *cb);
            if (ca == NULL || cb == NULL)
                rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        }
        /* the columns both have (ckinds[c] = 3 marks them), then zone by
         * zone: a zone's figures together */
        for (int32_t c = 0; rc == AM_OK && c < n_cols; c++) {
            const char *cn = cols[c];
            if (ckinds[c] != 2 || strcmp(cn, "row") == 0 ||
                strcmp(cn, "zone") == 0 || strcmp(cn, "fid") == 0 ||
                strcmp(cn, "id") == 0)
                continue;
            char pa[3 * PATH_LEN], pb[3 * PATH_LEN];
            snprintf(pa, sizeof pa, "%s/%s", ta, cn);
            snprintf(pb, sizeof pb, "%s/%s", tb, cn);
            int rank = 0, fa = -1, fb = -1;
            int64_t dims[2];
            am_error ignore;
            if (am_h5r_kind(b->h, pb) != 2 ||
                am_h5r_shape(a->h, pa, &rank, dims, &fa, &ignore) != AM_OK ||
                am_h5r_shape(b->h, pb, &rank, dims, &fb, &ignore) != AM_OK ||
                fa < 0 || fb < 0)
                continue;
            int64_t ma = 0, mb = 0;
            double *xa = NULL, *xb = NULL;
            rc = am_h5r_column_f64(a->h, pa, &xa, &ma, err);
            if (rc == AM_OK)
                rc = am_h5r_column_f64(b->h, pb, &xb, &mb, err);
            if (rc == AM_OK && (ma != na || mb != nb))
                rc = am_error_set(err, AM_ERR_FORMAT,
                                  ma != na ? a->path : b->path,
                                  "the table %s has columns of different "
                                  "lengths",
                                  ma != na ? ta : tb);
            if (rc == AM_OK) {
                memcpy(ca + (size_t)c * (size_t)(na + 1), xa,
                       (size_t)na * sizeof *ca);
                memcpy(cb + (size_t)c * (size_t)(nb + 1), xb,
                       (size_t)nb * sizeof *cb);
                ckinds[c] = 3;
            }
            am_free(xa);
            am_free(xb);
        }
        for (int64_t i = 0; rc == AM_OK && i < na; i++) {
            if (match[i] < 0)
                continue;
            for (int32_t c = 0; c < n_cols; c++) {
                if (ckinds[c] != 3)
                    continue;
                const char *cn = cols[c];
                double x = ca[(size_t)c * (size_t)(na + 1) + (size_t)i];
                double y = cb[(size_t)c * (size_t)(nb + 1) + (size_t)match[i]];
                const char *u = strcmp(cn, "cells") == 0        ? "cells"
                                : strcmp(cn, "population") == 0 ? "persons"
                                                                : "";
                add_row(bl, set, tables[t], ida[i], cn, "value", NAN, x, y,
                        y - x, u);
            }
        }
        am_free(ca);
        am_free(cb);
        ca = cb = NULL;
        am_h5r_strings_free(cols, n_cols);
        am_free(ckinds);
        cols = NULL;
        ckinds = NULL;
        n_cols = 0;
        am_h5r_strings_free(ida, na);
        am_h5r_strings_free(idb, nb);
        ida = idb = NULL;
        na = nb = 0;
        am_free(match);
        match = NULL;
    }
    am_free(ca);
    am_free(cb);
    am_free(match);
    am_h5r_strings_free(cols, n_cols);
    am_free(ckinds);
    am_h5r_strings_free(ida, na);
    am_h5r_strings_free(idb, nb);
    am_h5r_strings_free(tables, n_tables);
    am_free(kinds);
    return rc;
}

/* ---- one set --------------------------------------------------------------
 */

/* Times beyond the depth both sides were searched to become no value on
 * either side (their statistics and difference raster cover the same
 * range); INFINITY: nothing to clip. */
static void clip_times(raster *x, size_t n, double depth)
{
    if (!isfinite(depth))
        return;
    for (size_t i = 0; i < n; i++)
        if (valid(x, i) && (double)x->v[i] > depth)
            x->v[i] = NAN;
}

static am_status compare_set(builder *bl, const am_compare_options *opt,
                             const char *set, side *a, side *b, am_h5 *h,
                             am_error *err)
{
    char **names = NULL;
    int32_t n_names = 0;
    am_status rc = common_rasters(a, b, set, &names, &n_names, err);
    if (rc != AM_OK)
        return rc;
    size_t n = (size_t)a->grid.nx * (size_t)a->grid.ny;
    float *diff = am_alloc_array(n, sizeof *diff);
    double *cut = NULL;
    int64_t n_cut = 0;
    double depth = INFINITY; /* nearest_time_min compared up to it */
    if (diff == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    if (rc == AM_OK && h != NULL) {
        char g[PATH_LEN];
        snprintf(g, sizeof g, "/results/%s", set);
        rc = am_h5_make_group(h, g, err);
    }
    /* nearest_time_min first: coverage, then its statistics */
    if (rc == AM_OK && has_name(names, n_names, "nearest_time_min")) {
        rc = cutoffs_union(opt, a, b, set, &cut, &n_cut, &depth, err);
        raster ta, tb;
        if (rc == AM_OK)
            rc = raster_read(a, set, "nearest_time_min", &ta, err);
        if (rc == AM_OK) {
            rc = raster_read(b, set, "nearest_time_min", &tb, err);
            if (rc == AM_OK) {
                clip_times(&ta, n, depth);
                clip_times(&tb, n, depth);
                coverage_rows(bl, set, a, b, &ta, &tb, cut, n_cut);
                raster_free(&tb);
            }
            raster_free(&ta);
        }
    }
    for (int32_t k = 0; rc == AM_OK && k < n_names; k++) {
        raster ra, rb;
        rc = raster_read(a, set, names[k], &ra, err);
        if (rc != AM_OK)
            break;
        rc = raster_read(b, set, names[k], &rb, err);
        if (rc == AM_OK && strcmp(names[k], "nearest_time_min") == 0) {
            clip_times(&ra, n, depth);
            clip_times(&rb, n, depth);
        }
        if (rc == AM_OK)
            rc = raster_rows(bl, opt, set, names[k], a, b, &ra, &rb, diff, err);
        if (rc == AM_OK && h != NULL) {
            char p[PATH_LEN], ln[PATH_LEN];
            snprintf(p, sizeof p, "/results/%s/%s", set, names[k]);
            snprintf(ln, sizeof ln, "%s: B - A", names[k]);
            am_h5_raster_info info = {ln, ra.units != NULL ? ra.units : ""};
            rc = am_h5_write_raster_f32(h, p, diff, NAN, &info, err);
            if (rc == AM_OK)
                rc = am_h5_attr_string(h, p, "difference", "B - A", err);
            if (rc == AM_OK)
                bl->r->rasters_written++;
        }
        raster_free(&ra);
        raster_free(&rb);
    }
    if (rc == AM_OK)
        rc = zone_rows(bl, opt, set, a, b, err);
    am_free(cut);
    am_free(diff);
    am_h5r_strings_free(names, n_names);
    return rc;
}

/* ---- outputs --------------------------------------------------------------
 */

/* The rows of one set as a table in the comparison file. */
static am_status write_set_table(am_h5 *h, const am_compare_result *r,
                                 const char *set, am_error *err)
{
    int64_t m = 0;
    for (int64_t i = 0; i < r->n_rows; i++)
        m += strcmp(r->rows[i].set, set) == 0;
    size_t sz = m > 0 ? (size_t)m : 1;
    const char **tab = am_calloc_array(sz, sizeof *tab);
    const char **zone = am_calloc_array(sz, sizeof *zone);
    const char **var = am_calloc_array(sz, sizeof *var);
    const char **stat = am_calloc_array(sz, sizeof *stat);
    const char **units = am_calloc_array(sz, sizeof *units);
    double *cut = am_calloc_array(sz, sizeof *cut);
    double *va = am_calloc_array(sz, sizeof *va);
    double *vb = am_calloc_array(sz, sizeof *vb);
    double *ch = am_calloc_array(sz, sizeof *ch);
    am_status rc = AM_OK;
    if (!tab || !zone || !var || !stat || !units || !cut || !va || !vb || !ch) {
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    int64_t k = 0;
    for (int64_t i = 0; i < r->n_rows; i++) {
        const am_compare_row *w = &r->rows[i];
        if (strcmp(w->set, set) != 0)
            continue;
        tab[k] = w->table;
        zone[k] = w->zone;
        var[k] = w->variable;
        stat[k] = w->statistic;
        units[k] = w->units;
        cut[k] = w->cutoff_min;
        va[k] = w->a;
        vb[k] = w->b;
        ch[k] = w->change;
        k++;
    }
    am_h5_column cols[9] = {
        {"table", AM_H5_COL_STRING, tab, NULL,
         "coverage, overall, or the zone layer"},
        {"zone", AM_H5_COL_STRING, zone, NULL, "zone id (zone layers)"},
        {"variable", AM_H5_COL_STRING, var, NULL, "raster or table column"},
        {"statistic", AM_H5_COL_STRING, stat, NULL, "what is compared"},
        {"cutoff_min", AM_H5_COL_DOUBLE, cut, "minutes", "coverage cutoff"},
        {"a", AM_H5_COL_DOUBLE, va, NULL, "value in A"},
        {"b", AM_H5_COL_DOUBLE, vb, NULL, "value in B"},
        {"change", AM_H5_COL_DOUBLE, ch, NULL, "B - A, or the count"},
        {"units", AM_H5_COL_STRING, units, NULL, "units of a, b and change"},
    };
    char p[PATH_LEN];
    snprintf(p, sizeof p, "/results/%s/comparison", set);
    rc = am_h5_write_table(h, p, m, 9, cols, err);
done:
    am_free(tab);
    am_free(zone);
    am_free(var);
    am_free(stat);
    am_free(units);
    am_free(cut);
    am_free(va);
    am_free(vb);
    am_free(ch);
    return rc;
}

/* A growable text buffer for the CSV. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int failed;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(s->p != NULL ? s->p + s->n : NULL,
                          s->p != NULL ? s->cap - s->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            s->failed = 1;
            return;
        }
        if (s->p != NULL && s->n + (size_t)k < s->cap) {
            s->n += (size_t)k;
            return;
        }
        size_t cap = s->cap ? s->cap : 4096;
        while (cap <= s->n + (size_t)k)
            cap *= 2;
        char *q = am_realloc(s->p, cap);
        if (q == NULL) {
            s->failed = 1;
            return;
        }
        s->p = q;
        s->cap = cap;
    }
}

static void sb_text(sbuf *s, const char *t)
{
    if (strpbrk(t, ",\"\n\r") == NULL) {
        sb_printf(s, "%s", t);
        return;
    }
    sb_printf(s, "\"");
    for (const char *c = t; *c; c++)
        sb_printf(s, *c == '"' ? "\"\"" : "%c", *c);
    sb_printf(s, "\"");
}

static void sb_num(sbuf *s, double v)
{
    if (isnan(v))
        sb_printf(s, "NaN");
    else if (isinf(v))
        sb_printf(s, v > 0 ? "inf" : "-inf");
    else
        sb_printf(s, "%.17g", v);
}

/* Writes the CSV to its temporary (f, opened here; am_atomic_close frees
 * it on every path). Committed only after the comparison file, so that a
 * full disk on either leaves no output behind. */
static am_status stage_csv(const am_compare_result *r, const char *path,
                           const am_file_guard *guard, am_atomic_file *f,
                           am_error *err)
{
    sbuf s = {NULL, 0, 0, 0};
    sb_printf(&s, "set,table,zone,variable,statistic,cutoff_min,a,b,change,"
                  "units\n");
    for (int64_t i = 0; i < r->n_rows; i++) {
        const am_compare_row *w = &r->rows[i];
        const char *txt[5] = {w->set, w->table, w->zone, w->variable,
                              w->statistic};
        for (int k = 0; k < 5; k++) {
            sb_text(&s, txt[k]);
            sb_printf(&s, ",");
        }
        double num[4] = {w->cutoff_min, w->a, w->b, w->change};
        for (int k = 0; k < 4; k++) {
            sb_num(&s, num[k]);
            sb_printf(&s, ",");
        }
        sb_text(&s, w->units);
        sb_printf(&s, "\n");
    }
    if (s.failed) {
        am_free(s.p);
        return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
    }
    am_status rc = am_atomic_open(path, f, err);
    if (rc == AM_OK) {
        f->protect = guard;
        rc = am_atomic_write(f, s.p, s.n, err);
        if (rc != AM_OK)
            am_atomic_discard(f);
    }
    am_free(s.p);
    return rc;
}

static am_status write_root_attrs(am_h5 *h, const side *a, const side *b,
                                  const am_compare_result *r, am_error *err)
{
    am_status rc =
        am_h5_attr_string(h, "/", "title", "accessim scenario comparison", err);
    if (rc == AM_OK)
        rc = am_h5_attr_string(h, "/", "Conventions", "CF-1.8", err);
    if (rc == AM_OK)
        rc = am_h5_attr_string(h, "/", "difference", "B - A", err);
    if (rc == AM_OK)
        rc = am_h5_attr_string(h, "/", "a_file", a->path, err);
    if (rc == AM_OK)
        rc = am_h5_attr_string(h, "/", "a_scenario", a->scen, err);
    if (rc == AM_OK)
        rc = am_h5_attr_string(h, "/", "b_file", b->path, err);
    if (rc == AM_OK)
        rc = am_h5_attr_string(h, "/", "b_scenario", b->scen, err);
    if (rc == AM_OK)
        rc = am_h5_attr_int64(h, "/", "population_cells_differing",
                              r->population_cells_differing, err);
    if (rc == AM_OK)
        rc = am_h5_attr_string(h, "/", "accessim_version", AM_VERSION_STRING,
                               err);
    return rc;
}

/* ---- the comparison --------------------------------------------------------
 */

static char *label_of(const side *s)
{
    char buf[PATH_LEN + 600];
    snprintf(buf, sizeof buf, "%s%s%s", s->path,
             strcmp(s->scen, "baseline") == 0 ? " (baseline)" : ":",
             strcmp(s->scen, "baseline") == 0 ? "" : s->scen);
    return am_strdup(buf);
}

am_status am_compare(const am_compare_options *opt, am_compare_result **out,
                     am_error *err)
{
    *out = NULL;
    if (opt == NULL || opt->a_path == NULL || opt->b_path == NULL ||
        (opt->n_sets > 0 && opt->sets == NULL))
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "compare needs two results files");
    side a, b;
    memset(&b, 0, sizeof b);
    am_h5 *h = NULL;
    float *pa = NULL, *pb = NULL;
    am_file_guard guard;
    am_file_guard_init(&guard);
    builder bl = {NULL, 0, 0};
    am_compare_result *r = am_calloc(1, sizeof *r);
    if (r == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    bl.r = r;
    am_status rc = open_side(&a, opt->a_path, opt->a_scenario, err);
    if (rc == AM_OK)
        rc = open_side(&b, opt->b_path, opt->b_scenario, err);
    if (rc == AM_OK)
        rc = check_grids(&a, &b, err);
    if (rc == AM_OK &&
        (int64_t)a.grid.nx * (int64_t)a.grid.ny > (int64_t)INT32_MAX)
        rc = am_error_set(err, AM_ERR_INVALID, a.path,
                          "the grid has more than 2^31 cells");
    if (rc == AM_OK)
        rc = read_weights(&a, &pa, err);
    if (rc == AM_OK)
        rc = read_weights(&b, &pb, err);
    if (rc == AM_OK) {
        size_t n = (size_t)a.grid.nx * (size_t)a.grid.ny;
        double ta = 0, tb = 0;
        for (size_t i = 0; i < n; i++) {
            ta += a.w[i];
            tb += b.w[i];
            r->population_cells_differing += a.w[i] != b.w[i];
        }
        if (r->population_cells_differing > 0)
            warn(opt,
                 "the population rasters differ in %lld cells (%s: %.0f "
                 "persons, %s: %.0f): the changes mix demand and access",
                 (long long)r->population_cells_differing, a.path, ta, b.path,
                 tb);
    }
    if (rc == AM_OK)
        rc = choose_sets(opt, &a, &b, r, err);
    if (rc == AM_OK)
        rc = am_file_guard_add(&guard, a.path, "compare's input A", 0, err);
    if (rc == AM_OK)
        rc = am_file_guard_add(&guard, b.path, "compare's input B", 0, err);
    if (rc == AM_OK && opt->output_path != NULL && opt->csv_path != NULL &&
        strcmp(opt->output_path, opt->csv_path) == 0)
        rc = am_error_set(err, AM_ERR_INVALID, opt->csv_path,
                          "the CSV and the comparison file are one path");
    if (rc == AM_OK && opt->csv_path != NULL)
        rc = am_file_guard_check(&guard, opt->csv_path, err);
    if (rc == AM_OK && opt->output_path != NULL) {
        rc = am_file_guard_check(&guard, opt->output_path, err);
        if (rc == AM_OK)
            rc = am_h5_create(opt->output_path, &h, err);
        if (rc == AM_OK) {
            am_h5_set_protected(h, &guard);
            am_h5_set_threads(h, opt->threads > 0 ? opt->threads : 0);
            rc = am_h5_set_grid(h, &a.grid, a.wkt, err);
        }
    }
    if (rc == AM_OK && (r->a_label = label_of(&a)) == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    if (rc == AM_OK && (r->b_label = label_of(&b)) == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    for (int32_t s = 0; rc == AM_OK && s < r->n_sets; s++) {
        rc = compare_set(&bl, opt, r->sets[s], &a, &b, h, err);
        if (rc == AM_OK && bl.failed)
            rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    }
    if (rc == AM_OK && h != NULL) {
        rc = write_root_attrs(h, &a, &b, r, err);
        for (int32_t s = 0; rc == AM_OK && s < r->n_sets; s++)
            rc = write_set_table(h, r, r->sets[s], err);
    }
    /* Both outputs are written in full before either is renamed, then
     * synced and renamed together (a full disk on the CSV must not leave a
     * new DIFF.h5 behind). */
    am_atomic_file csv = AM_ATOMIC_FILE_INIT; /* closed only when opened */
    int csv_staged = 0;
    /* the paths copied first: nothing can fail after the commits */
    if (rc == AM_OK && opt->output_path != NULL &&
        (r->output_path = am_strdup(opt->output_path)) == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    if (rc == AM_OK && opt->csv_path != NULL &&
        (r->csv_path = am_strdup(opt->csv_path)) == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, NULL, "out of memory");
    if (rc == AM_OK && opt->csv_path != NULL) {
        rc = stage_csv(r, opt->csv_path, &guard, &csv, err);
        csv_staged = rc == AM_OK;
    }
    /* renamed together (am_atomic_commit_all): both or neither */
    am_atomic_file *csv_side = csv_staged ? &csv : NULL;
    if (rc == AM_OK && h != NULL) {
        rc = am_h5_commit_with(h, &csv_side, 1, err); /* frees h, closes csv */
        h = NULL;
    } else if (rc == AM_OK && csv_staged) {
        rc = am_atomic_commit(&csv, err); /* closes csv either way */
    }
    if (rc != AM_OK)
        am_atomic_discard(&csv);
    am_atomic_close(&csv);
    am_h5_abort(h);
    am_free(pa);
    am_free(pb);
    side_free(&a);
    side_free(&b);
    am_file_guard_free(&guard);
    if (rc != AM_OK) {
        am_compare_result_destroy(r);
        return rc;
    }
    *out = r;
    return AM_OK;
}

/* ---- the printed report
 * ------------------------------------------------------ */

static void fmt_num(char *buf, size_t n, double v, const char *units)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (isinf(v))
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
    else if (strcmp(units, "persons") == 0 || strcmp(units, "cells") == 0)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.6g", v);
}

/* Characters shown (UTF-8 lead bytes), for the alignment of names such as
 * zone ids in any script. */
static int shown_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void fmt_cut(char *buf, size_t n, double c)
{
    if (isnan(c))
        buf[0] = '\0';
    else
        snprintf(buf, n, "%g min", c);
}

void am_compare_result_write(const am_compare_result *r, FILE *f)
{
    fprintf(f, "A: %s\nB: %s\n", r->a_label, r->b_label);
    if (r->population_cells_differing > 0)
        fprintf(f,
                "population: differs in %lld cells (changes mix demand and "
                "access)\n",
                (long long)r->population_cells_differing);
    else
        fprintf(f, "population: the same in A and B\n");
    static const char *const head[9] = {"table",     "zone",   "variable",
                                        "statistic", "cutoff", "A",
                                        "B",         "B - A",  "units"};
    for (int32_t s = 0; s < r->n_sets; s++) {
        const char *set = r->sets[s];
        int w[9];
        for (int k = 0; k < 9; k++)
            w[k] = (int)strlen(head[k]);
        char cell[9][128];
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) {
                fprintf(f, "\nset %s\n", set);
                for (int k = 0; k < 9; k++)
                    fprintf(f, k < 4 || k == 8 ? "%-*s%s" : "%*s%s",
                            k == 8 ? 0 : w[k], head[k], k < 8 ? "  " : "\n");
            }
            for (int64_t i = 0; i < r->n_rows; i++) {
                const am_compare_row *row = &r->rows[i];
                if (strcmp(row->set, set) != 0)
                    continue;
                snprintf(cell[0], sizeof cell[0], "%s", row->table);
                snprintf(cell[1], sizeof cell[1], "%s", row->zone);
                snprintf(cell[2], sizeof cell[2], "%s", row->variable);
                snprintf(cell[3], sizeof cell[3], "%s", row->statistic);
                fmt_cut(cell[4], sizeof cell[4], row->cutoff_min);
                fmt_num(cell[5], sizeof cell[5], row->a, row->units);
                fmt_num(cell[6], sizeof cell[6], row->b, row->units);
                fmt_num(cell[7], sizeof cell[7], row->change, row->units);
                snprintf(cell[8], sizeof cell[8], "%s", row->units);
                for (int k = 0; k < 9; k++) {
                    int len = shown_width(cell[k]);
                    if (pass == 0 && len > w[k])
                        w[k] = len;
                    if (pass == 1) {
                        int pad = k == 8 ? 0 : w[k] - len;
                        if (k < 4 || k == 8)
                            fprintf(f, "%s%*s", cell[k], pad, "");
                        else
                            fprintf(f, "%*s%s", pad, "", cell[k]);
                        fputs(k < 8 ? "  " : "\n", f);
                    }
                }
            }
        }
    }
    if (r->output_path != NULL)
        fprintf(f, "\nwritten: %s (%d difference rasters)\n", r->output_path,
                (int)r->rasters_written);
    if (r->csv_path != NULL)
        fprintf(f, "%swritten: %s\n", r->output_path != NULL ? "" : "\n",
                r->csv_path);
}

void am_compare_result_destroy(am_compare_result *r)
{
    if (r == NULL)
        return;
    for (int64_t i = 0; i < r->n_rows; i++) {
        am_compare_row *w = &r->rows[i];
        am_free(w->set);
        am_free(w->table);
        am_free(w->zone);
        am_free(w->variable);
        am_free(w->statistic);
        am_free(w->units);
    }
    am_free(r->rows);
    am_h5r_strings_free(r->sets, r->n_sets);
    am_free(r->a_label);
    am_free(r->b_label);
    am_free(r->output_path);
    am_free(r->csv_path);
    am_free(r);
}
