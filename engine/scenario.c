/*
 * scenario.c: the scenario model (see scenario.h).
 *
 * The one place that knows the defaults and the consistency rules of a
 * scenario, so that a scenario built by the YAML parser and one built by a
 * program through the API are checked the same way. The parser adds the
 * file's line numbers for single-value errors and for the cross-field
 * rules it can check as written (ascending cutoffs, a measure's
 * parameters, names given twice); the checks here name the key, and
 * the entry's line where the scenario came from a file (a default name
 * that equals another set's or measure's: am_facility_source.line,
 * am_measure_spec.line).
 */
#include "engine/scenario.h"
#include "engine/measure_registry.h"
#include "engine/scenario_file.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/numparse.h"
#include "common/strutil.h"
#include "common/unique.h"
#include "common/units.h"
#include "engine/matrix_scenario.h"
#include "engine/tiers.h"
#include "geo/join_grid.h"
#include "inputs/road_fields.h"
#include "inputs/road_profile.h"

am_status am_scenario_create(am_scenario **out)
{
    *out = NULL;
    am_scenario *s = am_calloc(1, sizeof *s);
    if (s == NULL)
        return AM_ERR_NOMEM;
    s->profile = am_strdup("car");
    if (s->profile == NULL) {
        am_free(s);
        return AM_ERR_NOMEM;
    }
    s->roads_ferries = -1;
    s->population_band = 1;
    s->snap_max_m = 5000.0;
    s->walk_speed_kmh = 5.0;
    s->components_rule = AM_COMPONENTS_MIN_NODES;
    s->components_n = AM_COMPONENTS_MIN_NODES_DEFAULT;
    static const double default_cutoffs[3] = {15.0, 30.0, 60.0};
    if (am_scenario_set_cutoffs(s, 3, default_cutoffs) != AM_OK) {
        am_free(s->profile);
        am_free(s);
        return AM_ERR_NOMEM;
    }
    s->threads = 0;
    /* issue 9, equity: the percentiles written unless the file lists its
       own */
    static const double default_pct[5] = {10.0, 25.0, 50.0, 75.0, 90.0};
    s->equity_pct = am_alloc_array(5, sizeof *s->equity_pct);
    if (s->equity_pct == NULL) {
        am_free(s->cutoffs_min);
        am_free(s->profile);
        am_free(s);
        return AM_ERR_NOMEM;
    }
    memcpy(s->equity_pct, default_pct, sizeof default_pct);
    s->n_equity_pct = 5;
    *out = s;
    return AM_OK;
}

static void facility_source_free(am_facility_source *f)
{
    am_free(f->name);
    am_free(f->path);
    am_free(f->layer);
    am_free(f->where);
    am_free(f->id_field);
    am_free(f->name_field);
    am_free(f->class_field);
    am_free(f->capacity_field);
    am_free(f->x_field);
    am_free(f->y_field);
    am_free(f->crs);
    if (f->class_capacity != NULL) {
        for (int i = 0; i < f->n_class_capacity; i++)
            am_free(f->class_capacity[i].klass);
        am_free(f->class_capacity);
    }
    /* issue 9, facility tiers */
    am_free(f->cutoffs_min);
    for (int i = 0; f->measures != NULL && i < f->n_measures; i++)
        am_free(f->measures[i]);
    am_free(f->measures);
}

static void class_speeds_free(am_class_speed *v, int n)
{
    for (int i = 0; v != NULL && i < n; i++)
        am_free(v[i].highway);
    am_free(v);
}

/* Copies the AM_ERR_INVALID of a profile function as a scenario error at
 * the entry's line. */
static am_status profile_error(const am_scenario *s, const char *key,
                               const am_class_speed *e, const am_error *perr,
                               am_error *err)
{
    am_status rc = am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                                "'roads.%s': %s", key, perr->msg);
    if (e != NULL && e->line > 0)
        am_error_set_line(err, e->line, 1);
    return rc;
}

am_status am_scenario_profile(const am_scenario *s, am_profile *out,
                              am_error *err)
{
    am_error perr;
    am_error_clear(&perr);
    const char *name = s->profile != NULL ? s->profile : "car";
    if (s->roads_custom_profile != NULL)
        *out = *s->roads_custom_profile; /* roads.profile_file, as read */
    else if (s->roads_profile_file != NULL)
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "'roads.profile_file' %s was not read (call "
                            "am_scenario_finalize)",
                            s->roads_profile_file);
    else if (am_profile_builtin(name, out, &perr) != AM_OK)
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "'roads.profile': unknown profile '%s' "
                            "(expected one of: %s)",
                            name, AM_PROFILE_KNOWN);
    if (s->roads_ferries == 0 || s->roads_ferries == 1)
        out->ferries = s->roads_ferries;
    else if (s->roads_ferries != -1)
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "'roads.ferries' must be true or false");
    out->use_implausible = s->roads_use_implausible_maxspeed != 0;
    for (int i = 0; i < s->n_road_speeds; i++) {
        const am_class_speed *e = &s->road_speeds[i];
        if (am_profile_set_speed(out, e->highway, e->value, &perr) != AM_OK)
            return profile_error(s, "speeds", e, &perr, err);
    }
    for (int i = 0; i < s->n_road_speed_multipliers; i++) {
        const am_class_speed *e = &s->road_speed_multipliers[i];
        if (am_profile_scale_speed(out, e->highway, e->value, &perr) != AM_OK)
            return profile_error(s, "speed_multipliers", e, &perr, err);
        /* a multiplier may not lift a class above the speed range */
        if (!(am_profile_speed_kmh(out, e->highway) <= AM_MAXSPEED_MAX_KMH)) {
            am_status rc = am_error_set(
                err, AM_ERR_SCENARIO, s->source_path,
                "'roads.speed_multipliers': class '%s' would be driven at "
                "%g km/h, above %g",
                e->highway, am_profile_speed_kmh(out, e->highway),
                AM_MAXSPEED_MAX_KMH);
            if (e->line > 0)
                am_error_set_line(err, e->line, 1);
            return rc;
        }
    }
    return AM_OK;
}

/* issue 10, site selection */
static void selection_free(am_selection_spec *sel)
{
    if (sel == NULL)
        return;
    char *str[] = {sel->name,         sel->facilities,     sel->path,
                   sel->layer,        sel->where,          sel->id_field,
                   sel->crs,          sel->capacity_field, sel->cost_field,
                   sel->sweep_measure};
    for (size_t i = 0; i < sizeof str / sizeof *str; i++)
        am_free(str[i]);
    for (int k = 0; k < sel->n_road_classes; k++)
        am_free(sel->road_classes[k]);
    am_free(sel->road_classes);
    am_free(sel->size_capacity);
    am_free(sel->size_cost);
    am_free(sel->sweep_cutoffs_min);
    am_free(sel);
}

/*
 * issue 10, the equity models (kernels/select_equity.h): sizes and the
 * coverage floor are theirs; a floor needs cutoff_min, its time.
 */
static am_status check_selection_equity(const am_selection_spec *sel,
                                        const char *file, am_error *err)
{
    const int eq = AM_SELECTION_IS_EQUITY(sel->model);
    if (!eq && (sel->n_sizes > 0 || sel->coverage_floor != 0))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'selection': %s are for the equity models "
                            "(maxmin, bottom_decile, variance)",
                            sel->n_sizes > 0 ? "candidates.sizes"
                                             : "coverage_floor");
    if (!eq)
        return AM_OK;
    if (sel->n_sizes < 0 || sel->n_sizes > AM_SELECTION_SIZES_MAX ||
        (sel->n_sizes > 0 && (!sel->size_capacity || !sel->size_cost)))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'selection.candidates.sizes': %d sizes (at "
                            "most %d, each with a capacity and a cost)",
                            sel->n_sizes, AM_SELECTION_SIZES_MAX);
    for (int k = 0; k < sel->n_sizes; k++) {
        if (!(sel->size_capacity[k] > 0 && sel->size_capacity[k] < INFINITY) ||
            !(sel->size_cost[k] >= 0 && sel->size_cost[k] < INFINITY))
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'selection.candidates.sizes[%d]': capacity "
                                "%g must be > 0 and cost %g >= 0",
                                k, sel->size_capacity[k], sel->size_cost[k]);
        for (int l = 0; l < k; l++)
            if (sel->size_capacity[l] == sel->size_capacity[k])
                return am_error_set(err, AM_ERR_SCENARIO, file,
                                    "'selection.candidates.sizes[%d]': "
                                    "capacity %g is also sizes[%d]'s (each "
                                    "size once)",
                                    k, sel->size_capacity[k], l);
    }
    if (!(sel->coverage_floor >= 0 && sel->coverage_floor <= 1))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'selection.coverage_floor' must be > 0 and "
                            "<= 1 (got %g)",
                            sel->coverage_floor);
    if (sel->coverage_floor > 0 && !(sel->cutoff_min > 0))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'selection.coverage_floor' needs cutoff_min "
                            "(the time the floor counts within)");
    if (sel->exact == AM_EXACT_ON)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'selection.exact': no exact solver for the "
                            "equity models");
    return AM_OK;
}

/*
 * issue 10: the selection's cross-field rules, shared with scenarios built
 * in code (the reader checks the rest with the lines): its name, the
 * existing set it adds to (default: the first), one candidate source, the
 * model with its cutoff and budget.
 */
static am_status check_selection(am_scenario *s, am_error *err)
{
    am_selection_spec *sel = s->selection;
    const char *file = s->source_path;
    am_status rc = AM_OK;
    if (sel == NULL)
        return AM_OK;
    const char *why = sel->name != NULL ? am_scenario_name_problem(sel->name, 0)
                                        : "a selection needs a name";
    if (why != NULL)
        rc = am_error_set(err, AM_ERR_SCENARIO, file, "'selection.name': %s",
                          why);
    else if (sel->source < AM_CANDIDATES_LAYER ||
             sel->source > AM_CANDIDATES_ROAD_NODES ||
             (sel->source == AM_CANDIDATES_LAYER && sel->path == NULL))
        rc = am_error_set(err, AM_ERR_SCENARIO, file,
                          "'selection.candidates': no source of candidates "
                          "(layer with a path, grid, populated_cells or "
                          "road_nodes)");
    else if (sel->source == AM_CANDIDATES_ROAD_NODES &&
             (sel->n_road_classes < 1 || sel->road_classes == NULL ||
              !(sel->spacing_m >= AM_SELECTION_SPACING_MIN_M &&
                sel->spacing_m <= AM_SELECTION_SPACING_MAX_M)))
        rc = am_error_set(err, AM_ERR_SCENARIO, file,
                          "'selection.candidates.road_nodes' needs classes "
                          "and spacing_m (%g to %g m)",
                          AM_SELECTION_SPACING_MIN_M,
                          AM_SELECTION_SPACING_MAX_M);
    else if (sel->model < AM_SELECTION_MCLP ||
             sel->model > AM_SELECTION_VARIANCE)
        rc = am_error_set(err, AM_ERR_SCENARIO, file,
                          "'selection.model': unknown model %d",
                          (int)sel->model);
    else if (sel->model != AM_SELECTION_PMEDIAN &&
             !AM_SELECTION_IS_EQUITY(sel->model) && !(sel->cutoff_min > 0))
        rc = am_error_set(err, AM_ERR_SCENARIO, file,
                          "'selection.cutoff_min': missing (the model covers "
                          "within it)");
    else if ((rc = check_selection_equity(sel, file, err)) != AM_OK)
        ; /* issue 10, the equity models */
    else if (sel->model != AM_SELECTION_SETCOVER &&
             (sel->p > 0) == (sel->budget > 0))
        rc = am_error_set(err, AM_ERR_SCENARIO, file,
                          "'selection' needs exactly one of p and budget");
    else if (sel->budget > 0 && sel->cost_field == NULL && sel->n_sizes == 0)
        rc = am_error_set(err, AM_ERR_SCENARIO, file,
                          "'selection.budget' needs "
                          "candidates.layer.cost_field");
    else if (!(sel->target_share > 0 && sel->target_share <= 1))
        rc = am_error_set(err, AM_ERR_SCENARIO, file,
                          "'selection.target_share' must be > 0 and <= 1");
    /* the selection's times, as every time limit (am_minutes_limit) */
    const struct {
        const char *key;
        double v;
        int used;
    } lim[] = {{"cutoff_min", sel->cutoff_min,
                sel->model != AM_SELECTION_PMEDIAN && sel->cutoff_min != 0},
               {"penalty_min", sel->penalty_min, sel->penalty_min != 0},
               {"exclude_within_min", sel->exclude_within_min,
                sel->exclude_within_min != 0}};
    for (size_t i = 0; rc == AM_OK && i < sizeof lim / sizeof lim[0]; i++) {
        char lwhy[AM_MINUTES_WHY_MAX];
        uint32_t ds = 0;
        if (lim[i].used && am_minutes_limit(lim[i].v, AM_MAX_CUTOFF_MIN, 0, &ds,
                                            lwhy, sizeof lwhy) != NULL)
            rc = am_error_set(err, AM_ERR_SCENARIO, file,
                              "'selection.%s' %s (got %g)", lim[i].key, lwhy,
                              lim[i].v);
    }
    if (rc != AM_OK) {
        if (sel->line > 0)
            am_error_set_line(err, sel->line, 0);
        return rc;
    }
    if (sel->facilities == NULL) {
        if ((sel->facilities = am_strdup(s->facility_sets[0].name)) == NULL)
            return am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
        return AM_OK;
    }
    for (int k = 0; k < s->n_facility_sets; k++)
        if (strcmp(s->facility_sets[k].name, sel->facilities) == 0)
            return AM_OK;
    rc = am_error_set(err, AM_ERR_SCENARIO, file,
                      "'selection.facilities': no facility set named '%s' "
                      "(the existing facilities the new sites add to)",
                      sel->facilities);
    if (sel->line > 0)
        am_error_set_line(err, sel->line, 0);
    return rc;
}

void am_scenario_destroy(am_scenario *s)
{
    if (s == NULL)
        return;
    selection_free(s->selection); /* issue 10 */
    for (int i = 0; s->variants != NULL && i < s->n_variants; i++) {
        am_free(s->variants[i].name); /* issue 12 */
        am_free(s->variants[i].cutoffs_min);
    }
    am_free(s->variants);
    am_free(s->name);
    am_free(s->source_path);
    am_free(s->base_dir);
    am_free(s->roads_path);
    am_free(s->roads_layer);
    am_free(s->roads_where);
    am_free(s->profile);
    am_free(s->roads_profile_file);
    am_free(s->roads_custom_profile);
    am_free(s->roads_class_field);
    for (int i = 0;
         s->roads_class_speeds != NULL && i < s->n_roads_class_speeds; i++)
        am_free(s->roads_class_speeds[i].klass);
    am_free(s->roads_class_speeds);
    am_free(s->roads_speed_field);
    am_free(s->roads_time_field);
    am_free(s->roads_time_unit);
    am_free(s->roads_oneway_field);
    for (int d = 0; d < 3; d++) {
        for (int i = 0; s->roads_oneway_values[d] != NULL &&
                        i < s->n_roads_oneway_values[d];
             i++)
            am_free(s->roads_oneway_values[d][i]);
        am_free(s->roads_oneway_values[d]);
    }
    class_speeds_free(s->road_speeds, s->n_road_speeds);
    class_speeds_free(s->road_speed_multipliers, s->n_road_speed_multipliers);
    am_free(s->roads_cache);
    am_free(s->population_path);
    if (s->facility_sets != NULL) {
        for (int i = 0; i < s->n_facility_sets; i++)
            facility_source_free(&s->facility_sets[i]);
        am_free(s->facility_sets);
    }
    if (s->speed_zones != NULL) {
        for (int i = 0; i < s->n_speed_zones; i++) {
            am_free(s->speed_zones[i].path);
            am_free(s->speed_zones[i].layer);
            am_free(s->speed_zones[i].where);
            am_free(s->speed_zones[i].field);
        }
        am_free(s->speed_zones);
    }
    if (s->measures != NULL) {
        for (int i = 0; i < s->n_measures; i++)
            am_free(s->measures[i].name);
        am_free(s->measures);
    }
    if (s->zone_layers != NULL) {
        for (int i = 0; i < s->n_zone_layers; i++) {
            am_free(s->zone_layers[i].name);
            am_free(s->zone_layers[i].path);
            am_free(s->zone_layers[i].layer);
            am_free(s->zone_layers[i].where);
            am_free(s->zone_layers[i].id_field);
            /* issue 9, settlement classes */
            am_free(s->zone_layers[i].raster);
            for (int k = 0; k < s->zone_layers[i].n_classes; k++) {
                am_free(s->zone_layers[i].class_label[k]);
                am_free(s->zone_layers[i].class_values[k]);
            }
            am_free(s->zone_layers[i].class_label);
            am_free(s->zone_layers[i].class_n_values);
            am_free(s->zone_layers[i].class_values);
        }
        am_free(s->zone_layers);
    }
    am_free(s->equity_pct);
    am_free(s->equity_below);
    am_free(s->equity_csv);
    /* issue 9, facility tiers */
    for (int i = 0; s->combined != NULL && i < s->n_combined; i++) {
        am_free(s->combined[i].name);
        for (int k = 0; k < AM_MAX_COMBINED_CONDITIONS; k++)
            am_free(s->combined[i].set[k]);
    }
    am_free(s->combined);
    am_free(s->referrals_csv);
    am_free(s->output_path);
    am_free(s->cutoffs_min);
    /* issue 9, matrix input */
    char **matrix_strings[] = {
        &s->matrix_path,       &s->matrix_from_field, &s->matrix_to_field,
        &s->matrix_time_field, &s->matrix_time_unit,  &s->demand_path,
        &s->demand_id_field,   &s->demand_field,      &s->supply_path,
        &s->supply_id_field,   &s->supply_field};
    for (size_t i = 0; i < sizeof matrix_strings / sizeof *matrix_strings; i++)
        am_free(*matrix_strings[i]);
    am_free(s);
}

am_status am_scenario_set_cutoffs(am_scenario *s, int n, const double *minutes)
{
    if (s == NULL || minutes == NULL || n < 1 || n > AM_MAX_CUTOFFS)
        return AM_ERR_INVALID;
    double *v = am_alloc_array((size_t)n, sizeof *v);
    if (v == NULL)
        return AM_ERR_NOMEM;
    memcpy(v, minutes, (size_t)n * sizeof *v);
    am_free(s->cutoffs_min);
    s->cutoffs_min = v;
    s->n_cutoffs = n;
    return AM_OK;
}

#define AM_STR_(x) #x
#define AM_STR(x) AM_STR_(x)
#define AM_NAME_MAX_TEXT AM_STR(AM_NAME_MAX)

/* Datasets of every set group (engine write_set), not measure names. */
static const char *const reserved_measure_names[] = {"nearest_time_min",
                                                     "nearest_facility",
                                                     "facilities",
                                                     "coverage",
                                                     "reach",
                                                     "per_person",
                                                     "surface_time_min",
                                                     "coverage_split",
                                                     NULL};

const char *am_scenario_name_problem(const char *name, int is_measure)
{
    if (name == NULL || name[0] == '\0')
        return "a name must not be empty";
    size_t n = 0;
    for (const char *p = name; *p != '\0'; p++, n++) {
        char c = *p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok)
            return "letters, digits, '_' and '-' only";
    }
    if (n > AM_NAME_MAX)
        return "too long: at most " AM_NAME_MAX_TEXT " bytes";
    if (is_measure)
        for (int i = 0; reserved_measure_names[i] != NULL; i++)
            if (strcmp(name, reserved_measure_names[i]) == 0)
                return "reserved: every set group has a dataset of that "
                       "name";
    return NULL;
}

const char *am_variant_name_problem(const char *name)
{
    const char *why = am_scenario_name_problem(name, 0);
    if (why == NULL &&
        (strcmp(name, "distribution") == 0 || strcmp(name, "baseline") == 0 ||
         strcmp(name, "units") == 0))
        why = "reserved: /variants/distribution holds the distribution "
              "across variants, /variants/units the table of units, and "
              "'baseline' names the run's own results";
    return why;
}

/* "30" for 30, "7.5" for 7.5: no trailing zeros in default names. */
static void format_minutes(double m, char *buf, size_t n)
{
    snprintf(buf, n, "%.10g", m);
    /* '.' is not allowed in names: 7.5 -> 7_5. */
    for (char *p = buf; *p != '\0'; p++)
        if (*p == '.')
            *p = '_';
}

/* The stem of a path: "/a/b/comoros.yaml" -> "comoros". NULL on NOMEM. */
static char *path_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        n = (size_t)(dot - base);
    char *stem = am_malloc(n + 1);
    if (stem == NULL)
        return NULL;
    memcpy(stem, base, n);
    stem[n] = '\0';
    return stem;
}

static am_status check_facility_set(am_scenario *s, int i, am_error *err)
{
    const char *file = s->source_path;
    am_facility_source *f = &s->facility_sets[i];
    if (f->path == NULL || f->path[0] == '\0')
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "missing required key 'facilities[%d].path'", i);
    if (f->name == NULL) {
        char buf[32];
        if (i == 0)
            snprintf(buf, sizeof buf, "facilities");
        else
            snprintf(buf, sizeof buf, "facilities%d", i + 1);
        f->name = am_strdup(buf);
        if (f->name == NULL)
            return am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
    }
    const char *why = am_scenario_name_problem(f->name, 0);
    if (why != NULL)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'facilities[%d].name': '%.40s%s' is not a "
                            "valid name (%s)",
                            i, f->name, strlen(f->name) > 40 ? "..." : "", why);
    if (!(f->default_capacity >= 0.0 && f->default_capacity <= AM_CAPACITY_MAX))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'facilities[%d].default_capacity' must be >= 0 "
                            "and <= %g (got %g)",
                            i, AM_CAPACITY_MAX, f->default_capacity);
    if (f->n_class_capacity < 0 ||
        (f->n_class_capacity > 0 && f->class_capacity == NULL))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'facilities[%d].capacity_by_class' is "
                            "inconsistent (count %d)",
                            i, f->n_class_capacity);
    for (int k = 0; k < f->n_class_capacity; k++) {
        const am_class_capacity *c = &f->class_capacity[k];
        if (c->klass == NULL)
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'facilities[%d].capacity_by_class' has an "
                                "entry without a class",
                                i);
        if (!(c->capacity >= 0.0 && c->capacity <= AM_CAPACITY_MAX))
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'facilities[%d].capacity_by_class.%s' must "
                                "be >= 0 and <= %g (got %g)",
                                i, c->klass, AM_CAPACITY_MAX, c->capacity);
    }
    /* by sorting: a table built through the API has no size limit */
    const char **classes =
        am_alloc_array((size_t)f->n_class_capacity, sizeof *classes);
    if (classes == NULL)
        return am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
    for (int k = 0; k < f->n_class_capacity; k++)
        classes[k] = f->class_capacity[k].klass;
    size_t first = 0, second = 0;
    int dup = am_find_duplicate(classes, (size_t)f->n_class_capacity, &first,
                                &second);
    am_free(classes);
    if (dup < 0)
        return am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
    if (dup > 0)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'facilities[%d].capacity_by_class': class '%s' "
                            "given twice",
                            i, f->class_capacity[second].klass);
    if ((f->x_field == NULL) != (f->y_field == NULL))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'facilities[%d]': x_field and y_field go "
                            "together (only %s given)",
                            i, f->x_field != NULL ? "x_field" : "y_field");
    return AM_OK;
}

static am_status check_cutoffs(const am_scenario *s, am_error *err)
{
    const char *file = s->source_path;
    if (s->n_cutoffs < 1 || s->cutoffs_min == NULL)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'cutoffs_min' must list at least one cutoff");
    if (s->n_cutoffs > AM_MAX_CUTOFFS)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'cutoffs_min' lists %d cutoffs; at most %d",
                            s->n_cutoffs, AM_MAX_CUTOFFS);
    for (int i = 0; i < s->n_cutoffs; i++) {
        double c = s->cutoffs_min[i];
        char why[AM_MINUTES_WHY_MAX];
        uint32_t ds = 0;
        if (am_minutes_limit(c, AM_MAX_CUTOFF_MIN, 0, &ds, why, sizeof why) !=
            NULL)
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'cutoffs_min[%d]' %s (got %g)", i, why, c);
        if (i > 0 && c <= s->cutoffs_min[i - 1])
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'cutoffs_min' must be strictly ascending "
                                "(%g follows %g)",
                                c, s->cutoffs_min[i - 1]);
        if (i > 0 &&
            am_minutes_to_ds(c) == am_minutes_to_ds(s->cutoffs_min[i - 1]))
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'cutoffs_min': %.10g and %.10g are the same "
                                "cutoff once rounded to whole tenths of a "
                                "second (travel times are counted in 0.1 s)",
                                c, s->cutoffs_min[i - 1]);
    }
    return AM_OK;
}

/* Adds the default measure: 2SFCA at 30 min if 30 is a cutoff, else at
 * the largest cutoff. Cutoffs are valid. */
static am_status add_default_measure(am_scenario *s, am_error *err)
{
    double t = s->cutoffs_min[s->n_cutoffs - 1];
    for (int i = 0; i < s->n_cutoffs; i++)
        if (s->cutoffs_min[i] == 30.0)
            t = 30.0;
    s->measures = am_calloc(1, sizeof *s->measures);
    if (s->measures == NULL)
        return am_error_set(err, AM_ERR_NOMEM, s->source_path, "out of memory");
    s->n_measures = 1;
    s->measures[0].type = AM_MEASURE_TYPE_2SFCA;
    s->measures[0].threshold_min = t;
    return AM_OK;
}

/* Sets the error at measure i's line (when read from a file). */
static am_status measure_err(const am_scenario *s, int i, am_error *err,
                             const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static am_status measure_err(const am_scenario *s, int i, am_error *err,
                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    am_error_setv(err, AM_ERR_SCENARIO, s->source_path, fmt, ap);
    va_end(ap);
    if (s->measures[i].line > 0)
        am_error_set_line(err, s->measures[i].line, 0);
    return AM_ERR_SCENARIO;
}

/*
 * The default name (engine/measure_registry.h): "<type>_<T>min" for the
 * type's own decay ("2sfca_30min", "e2sfca_30min", "kd2sfca_30min"),
 * "<type>_<decay>[_<T>min]" for another ("2sfca_exponential",
 * "gravity_linear_60min"); nearest_n is "nearest<n>_<T>min".
 */
static am_status default_measure_name(const am_scenario *s, int i,
                                      am_error *err)
{
    am_measure_spec *m = &s->measures[i];
    const am_measure_info *info = am_measure_info_of(m->type);
    char prefix[48], mins[64], buf[160];
    if (m->type == AM_MEASURE_TYPE_NEAREST_N)
        snprintf(prefix, sizeof prefix, "nearest%d", m->n > 0 ? m->n : 1);
    else
        snprintf(prefix, sizeof prefix, "%s", info->name);
    am_measure_plan plan;
    if (am_measure_plan_of(m, 0.0, &plan, err) != AM_OK)
        return AM_ERR_SCENARIO; /* not reached: checked before */
    const am_decay_type dt = plan.decay.type;
    const int own = dt == info->threshold_decay || dt == info->default_decay;
    mins[0] = '\0';
    if (plan.limit_min > 0.0)
        format_minutes(plan.limit_min, mins, sizeof mins);
    if (own)
        snprintf(buf, sizeof buf, "%s_%smin", prefix, mins);
    else if (mins[0] != '\0')
        snprintf(buf, sizeof buf, "%s_%s_%smin", prefix, am_decay_type_name(dt),
                 mins);
    else
        snprintf(buf, sizeof buf, "%s_%s", prefix, am_decay_type_name(dt));
    m->name = am_strdup(buf);
    if (m->name == NULL)
        return am_error_set(err, AM_ERR_NOMEM, s->source_path, "out of memory");
    return AM_OK;
}

/*
 * Measure i against the registry (engine/measure_registry.h): a known
 * type, only the parameters it takes, those it requires, each in range.
 * A threshold or decay cutoff may exceed the largest cutoff: the
 * catchments then reach the deepest measure (docs/scenario.md).
 */
static am_status check_measure(am_scenario *s, int i, am_error *err)
{
    const char *file = s->source_path;
    am_measure_spec *m = &s->measures[i];
    const am_measure_info *info = am_measure_info_of(m->type);
    if (info == NULL)
        return measure_err(s, i, err,
                           "'measures[%d].type': unknown measure type %d "
                           "(expected one of: %s)",
                           i, (int)m->type, am_measure_type_list());
    const int has_decay = m->decay.type != AM_DECAY_KIND_NONE;
    if (has_decay && !(info->takes & AM_MP_DECAY))
        return measure_err(
            s, i, err, "'measures[%d]': type %s takes no decay (%s)", i,
            info->name,
            (info->takes & AM_MP_THRESHOLD) ? "give threshold_min"
                                            : "it has a fixed weighting");
    if (has_decay &&
        (am_decay_type_name((am_decay_type)m->decay.type) == NULL ||
         !(info->decays & AM_DECAY_BIT(m->decay.type))))
        return measure_err(s, i, err,
                           "'measures[%d].decay': type %s does not take a "
                           "decay of type %d",
                           i, info->name, (int)m->decay.type);
    if (has_decay) {
        const char *why = am_decay_spec_problem(&m->decay);
        if (why != NULL)
            return measure_err(s, i, err, "'measures[%d].decay': %s", i, why);
    }
    if (m->threshold_min != 0.0 && !(info->takes & AM_MP_THRESHOLD))
        return measure_err(
            s, i, err, "'measures[%d]': type %s takes no threshold_min%s", i,
            info->name, (info->takes & AM_MP_DECAY) ? " (give its decay)" : "");
    if (has_decay && m->threshold_min != 0.0)
        return measure_err(s, i, err,
                           "'measures[%d]': give threshold_min or decay, not "
                           "both (threshold_min is a step decay)",
                           i);
    if ((info->requires & AM_MP_DECAY) && !has_decay)
        return measure_err(s, i, err,
                           "'measures[%d]': type %s requires a decay "
                           "(decay: {type: exponential, beta: 0.1}, ...)",
                           i, info->name);
    const int needs_threshold = !has_decay && (info->takes & AM_MP_THRESHOLD) &&
                                info->default_decay != AM_DECAY_ZONES;
    if (needs_threshold || m->threshold_min != 0.0) {
        char why[AM_MINUTES_WHY_MAX];
        uint32_t ds = 0;
        if (am_minutes_limit(m->threshold_min, AM_MAX_CUTOFF_MIN, 0, &ds, why,
                             sizeof why) != NULL)
            return measure_err(s, i, err,
                               "'measures[%d].threshold_min' %s (got %g)", i,
                               why, m->threshold_min);
    }
    if (m->alpha != 0.0 && !(info->takes & AM_MP_ALPHA))
        return measure_err(s, i, err,
                           "'measures[%d]': type %s takes no alpha (spav "
                           "only)",
                           i, info->name);
    if (m->alpha != 0.0 &&
        !(isfinite(m->alpha) && m->alpha > 0.0 && m->alpha <= AM_ALPHA_MAX))
        return measure_err(s, i, err,
                           "'measures[%d].alpha' must be > 0 and <= %g (got "
                           "%g)",
                           i, AM_ALPHA_MAX, m->alpha);
    if (m->n != 0 && !(info->takes & AM_MP_N))
        return measure_err(s, i, err,
                           "'measures[%d]': type %s takes no n (nearest_n "
                           "only)",
                           i, info->name);
    if (m->n < 0 || m->n > AM_NEAREST_N_MAX)
        return measure_err(s, i, err,
                           "'measures[%d].n' must be from 1 to %d (got %d)", i,
                           AM_NEAREST_N_MAX, m->n);
    /* issue 9, capacity_coverage (docs/coverage.md) */
    if (m->persons_per_capacity != 0.0 && !(info->takes & AM_MP_PERSONS))
        return measure_err(s, i, err,
                           "'measures[%d]': type %s takes no "
                           "persons_per_capacity (capacity_coverage only)",
                           i, info->name);
    if (m->persons_per_capacity != 0.0 &&
        !(m->persons_per_capacity >= AM_PERSONS_PER_CAPACITY_MIN &&
          m->persons_per_capacity <= AM_PERSONS_PER_CAPACITY_MAX))
        return measure_err(s, i, err,
                           "'measures[%d].persons_per_capacity' must be >= %g "
                           "and <= %g (got %g)",
                           i, AM_PERSONS_PER_CAPACITY_MIN,
                           AM_PERSONS_PER_CAPACITY_MAX,
                           m->persons_per_capacity);
    if (m->allocation != AM_ALLOCATION_DEFAULT &&
        !(info->takes & AM_MP_ALLOCATION))
        return measure_err(s, i, err,
                           "'measures[%d]': type %s takes no allocation "
                           "(capacity_coverage only)",
                           i, info->name);
    if (m->allocation != AM_ALLOCATION_DEFAULT &&
        m->allocation != AM_ALLOCATION_PROPORTIONAL &&
        m->allocation != AM_ALLOCATION_FIXED_POINT)
        return measure_err(s, i, err,
                           "'measures[%d].allocation': unknown allocation %d "
                           "(expected one of: %s)",
                           i, (int)m->allocation, am_allocation_list());
    if (m->name == NULL) {
        am_status rc = default_measure_name(s, i, err);
        if (rc != AM_OK)
            return rc;
    }
    const char *why = am_scenario_name_problem(m->name, 1);
    if (why != NULL)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'measures[%d].name': '%.40s%s' is not a valid "
                            "name (%s)",
                            i, m->name, strlen(m->name) > 40 ? "..." : "", why);
    return AM_OK;
}

/*
 * Refuses two sets (or two measures) with the same name, by sorting
 * (common/unique.h); `key` is "facilities" or "measures", `what` "facility
 * set" or "measure". Names are all set.
 */
static am_status unique_names(const am_scenario *s, const char *key,
                              const char *what, am_error *err)
{
    int is_sets = strcmp(key, "facilities") == 0;
    int n = is_sets ? s->n_facility_sets : s->n_measures;
    const char **names = am_alloc_array((size_t)n, sizeof *names);
    if (names == NULL)
        return am_error_set(err, AM_ERR_NOMEM, s->source_path, "out of memory");
    for (int i = 0; i < n; i++)
        names[i] = is_sets ? s->facility_sets[i].name : s->measures[i].name;
    size_t first = 0, second = 0;
    int dup = am_find_duplicate(names, (size_t)n, &first, &second);
    am_status rc = AM_OK;
    if (dup < 0) {
        rc = am_error_set(err, AM_ERR_NOMEM, s->source_path, "out of memory");
    } else if (dup > 0) {
        /* the entries' lines, where the scenario came from a file: the
         * parser refuses equal names as written, so what is left here
         * involves a default name (facilities2, 2sfca_30min) */
        int l1 =
            is_sets ? s->facility_sets[first].line : s->measures[first].line;
        int l2 =
            is_sets ? s->facility_sets[second].line : s->measures[second].line;
        char also[32] = "";
        if (l1 > 0)
            snprintf(also, sizeof also, ", line %d", l1);
        rc = am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                          "'%s[%d].name': duplicate %s name '%s' (also "
                          "%s[%d]%s; %s)",
                          key, (int)second, what, names[second], key,
                          (int)first, also,
                          is_sets ? "an unnamed set is named facilities, "
                                    "facilities2, ... by its position"
                                  : "an unnamed measure is named "
                                    "<type>[_<decay>]_<cutoff>min: name "
                                    "them");
        if (l2 > 0)
            am_error_set_line(err, l2, 0);
    }
    am_free(names);
    return rc;
}

/*
 * The speed zone layers (issue 7): a path each, and either a multiplier
 * (> 0, <= AM_SPEED_ZONE_MULTIPLIER_MAX) or a field, not both.
 */
static am_status check_speed_zones(const am_scenario *s, am_error *err)
{
    const char *file = s->source_path;
    if (s->n_speed_zones < 0 || (s->n_speed_zones > 0 && !s->speed_zones))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.speed_zones' is inconsistent (count %d)",
                            s->n_speed_zones);
    if (s->n_speed_zones > AM_MAX_SPEED_ZONES)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.speed_zones' lists %d layers (at most %d)",
                            s->n_speed_zones, AM_MAX_SPEED_ZONES);
    for (int i = 0; i < s->n_speed_zones; i++) {
        const am_speed_zone *z = &s->speed_zones[i];
        if (z->path == NULL || z->path[0] == '\0')
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "missing required key 'path' in "
                                "'roads.speed_zones[%d]'",
                                i);
        if (z->field != NULL && z->multiplier != 0.0)
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'roads.speed_zones[%d]': give 'multiplier' "
                                "or 'field', not both",
                                i);
        if (z->field == NULL &&
            !(z->multiplier > 0.0 &&
              z->multiplier <= AM_SPEED_ZONE_MULTIPLIER_MAX))
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'roads.speed_zones[%d].multiplier' must be "
                                "> 0 and <= %g (got %g; a field instead: "
                                "'field')",
                                i, AM_SPEED_ZONE_MULTIPLIER_MAX, z->multiplier);
    }
    return AM_OK;
}

/*
 * The roads' field mapping and join tolerance (issue 7, plain GIS line
 * layers): at most one speed source, its companions only with it, values
 * in range. The YAML reader checks the same with line numbers.
 */
/*
 * Equity (issue 9): zone layers with a path and a unique name (default
 * zones, zones2, ... by position; never "overall", the table of all
 * people), percentiles in [0, 100], finite access levels, the counts
 * within their caps. Sets s->equity when zone layers are given.
 */
static am_status check_equity(am_scenario *s, am_error *err)
{
    const char *file = s->source_path;
    if (s->n_zone_layers < 0 || (s->n_zone_layers > 0 && !s->zone_layers) ||
        s->n_equity_pct < 0 || (s->n_equity_pct > 0 && !s->equity_pct) ||
        s->n_equity_below < 0 || (s->n_equity_below > 0 && !s->equity_below))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'zones' or 'equity' is inconsistent (counts %d, "
                            "%d, %d)",
                            s->n_zone_layers, s->n_equity_pct,
                            s->n_equity_below);
    if (s->n_zone_layers > AM_MAX_ZONE_LAYERS)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'zones' lists %d layers (at most %d)",
                            s->n_zone_layers, AM_MAX_ZONE_LAYERS);
    if (s->n_equity_pct > AM_MAX_EQUITY_PERCENTILES ||
        s->n_equity_below > AM_MAX_EQUITY_LEVELS)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'equity' lists too many percentiles or levels "
                            "(at most %d and %d)",
                            AM_MAX_EQUITY_PERCENTILES, AM_MAX_EQUITY_LEVELS);
    for (int i = 0; i < s->n_equity_pct; i++)
        if (!(s->equity_pct[i] >= 0.0 && s->equity_pct[i] <= 100.0))
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'equity.percentiles[%d]' must be >= 0 and "
                                "<= 100 (got %g)",
                                i, s->equity_pct[i]);
    for (int i = 0; i < s->n_equity_below; i++)
        if (!isfinite(s->equity_below[i]))
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'equity.below[%d]' must be a finite number",
                                i);
    for (int i = 0; i < s->n_zone_layers; i++) {
        am_zone_source *z = &s->zone_layers[i];
        if ((z->path == NULL || z->path[0] == '\0') &&
            (z->raster == NULL || z->raster[0] == '\0'))
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "missing required key 'path' (polygons) or "
                                "'raster' (settlement classes) in "
                                "'zones[%d]'",
                                i);
        if (z->path != NULL && z->raster != NULL)
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'zones[%d]': 'path' (polygons) and 'raster' "
                                "(settlement classes) both given; give one",
                                i);
        if (z->raster != NULL && z->band <= 0)
            z->band = 1;
        if (z->name == NULL) {
            char buf[32];
            snprintf(buf, sizeof buf, i == 0 ? "zones" : "zones%d", i + 1);
            z->name = am_strdup(buf);
            if (z->name == NULL)
                return am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
        }
        const char *why = am_scenario_name_problem(z->name, 0);
        if (why == NULL && strcmp(z->name, "overall") == 0)
            why = "reserved: the table of all people is named overall";
        if (why != NULL) {
            am_error_set(err, AM_ERR_SCENARIO, file,
                         "'zones[%d].name': '%.40s' is not a valid name (%s)",
                         i, z->name, why);
            if (z->line > 0)
                am_error_set_line(err, z->line, 0);
            return AM_ERR_SCENARIO;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(s->zone_layers[j].name, z->name) == 0) {
                am_error_set(err, AM_ERR_SCENARIO, file,
                             "'zones[%d].name': duplicate zone layer name "
                             "'%s' (also zones[%d]; an unnamed layer is "
                             "named zones, zones2, ... by its position)",
                             i, z->name, j);
                if (z->line > 0)
                    am_error_set_line(err, z->line, 0);
                return AM_ERR_SCENARIO;
            }
    }
    if (s->n_zone_layers > 0)
        s->equity = 1;
    return AM_OK;
}

static int road_kmh_ok(double kmh)
{
    return isfinite(kmh) && kmh > 0.0 && kmh <= AM_ROAD_SPEED_MAX_KMH;
}

static am_status roads_mapping_check(const am_scenario *s, am_error *err)
{
    const char *file = s->source_path;
    int n_src = (s->roads_class_field != NULL) +
                (s->roads_speed_field != NULL) + (s->roads_time_field != NULL);
    if (n_src > 1)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads': give one of class_field, speed_field "
                            "and time_field, not %d",
                            n_src);
    if ((s->n_roads_class_speeds > 0) != (s->roads_class_field != NULL))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.class_field' and 'roads.class_speeds_kmh' "
                            "go together");
    for (int i = 0; i < s->n_roads_class_speeds; i++)
        if (s->roads_class_speeds == NULL ||
            s->roads_class_speeds[i].klass == NULL ||
            !road_kmh_ok(s->roads_class_speeds[i].kmh))
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "'roads.class_speeds_kmh': entry %d needs a "
                                "class and a speed > 0 and <= %g km/h",
                                i, AM_ROAD_SPEED_MAX_KMH);
    if (s->roads_default_speed_kmh != 0.0 &&
        (s->roads_class_field == NULL ||
         !road_kmh_ok(s->roads_default_speed_kmh)))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.default_speed_kmh' needs class_field and "
                            "a speed > 0 and <= %g km/h",
                            AM_ROAD_SPEED_MAX_KMH);
    if ((s->roads_time_unit != NULL) != (s->roads_time_field != NULL) ||
        (s->roads_time_unit != NULL &&
         strcmp(s->roads_time_unit, "minutes") != 0 &&
         strcmp(s->roads_time_unit, "seconds") != 0))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.time_field' needs 'roads.time_unit' "
                            "(minutes or seconds), and only it");
    if (s->roads_oneway_field == NULL && (s->roads_oneway_values[0] != NULL ||
                                          s->roads_oneway_values[1] != NULL ||
                                          s->roads_oneway_values[2] != NULL))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.oneway_values' needs 'roads.oneway_field'");
    if (s->roads_oneway_field != NULL && n_src == 0)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.oneway_field' needs a field mapping "
                            "(class_field, speed_field or time_field)");
    if (!(s->roads_join_tolerance_m == 0.0 ||
          (s->roads_join_tolerance_m >= AM_JOIN_TOLERANCE_MIN_M &&
           s->roads_join_tolerance_m <= AM_JOIN_TOLERANCE_MAX_M)))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.join_tolerance_m' must be 0 or from %g to "
                            "%g m (got %g)",
                            AM_JOIN_TOLERANCE_MIN_M, AM_JOIN_TOLERANCE_MAX_M,
                            s->roads_join_tolerance_m);
    return AM_OK;
}

/* `surface` (issue 9): a grid scenario's, max_time_min a time limit
 * (am_minutes_limit); 0 takes the default. */
static am_status check_surface(am_scenario *s, am_error *err)
{
    const char *file = s->source_path;
    if (!s->surface)
        return AM_OK;
    if (am_scenario_is_matrix(s)) {
        am_status rc = am_error_set(err, AM_ERR_SCENARIO, file,
                                    "'surface' needs roads and a population "
                                    "raster: a matrix scenario has no grid to "
                                    "cover");
        if (s->surface_line > 0)
            am_error_set_line(err, s->surface_line, 0);
        return rc;
    }
    char why[AM_MINUTES_WHY_MAX];
    uint32_t ds = 0;
    if (am_minutes_limit(s->surface_max_min, AM_MAX_CUTOFF_MIN,
                         AM_MINUTES_ZERO_OK, &ds, why, sizeof why) != NULL)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'surface.max_time_min' %s (got %g)", why,
                            s->surface_max_min);
    if (s->surface_max_min == 0.0)
        s->surface_max_min = AM_SURFACE_MAX_MIN_DEFAULT;
    return AM_OK;
}

am_status am_scenario_finalize(am_scenario *s, am_error *err)
{
    am_status rc = AM_OK;
    const char *file = s->source_path;
    /* issue 9: a matrix scenario has no roads, population or facilities */
    int matrix = am_scenario_is_matrix(s);
    if ((rc = am_matrix_scenario_check(s, err)) != AM_OK)
        return rc;

    if (!matrix && (s->roads_path == NULL || s->roads_path[0] == '\0'))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "missing required key 'roads.path'");
    if (matrix && s->n_variants > 0) /* issue 12 */
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'variants' and 'matrix' both given: variants "
                            "vary a grid scenario's roads, population and "
                            "cutoffs");
    if (s->n_variants > AM_VARIANTS_MAX)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "%d variants; at most %d", s->n_variants,
                            AM_VARIANTS_MAX);
    for (int i = 0; i < s->n_variants; i++) {
        const am_variant *v = &s->variants[i];
        const char *why = am_variant_name_problem(v->name);
        if (why != NULL)
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "variant %d: '%s' is not a valid name (%s)", i,
                                v->name != NULL ? v->name : "", why);
        if (v->speed_multiplier < 0 ||
            v->speed_multiplier > AM_VARIANT_SPEED_MAX ||
            v->population_multiplier < 0 ||
            v->population_multiplier > AM_VARIANT_POPULATION_MAX)
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "variant '%s': a multiplier out of range",
                                v->name);
    }
    if (s->profile == NULL) {
        s->profile = am_strdup("car");
        if (s->profile == NULL)
            return am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
    }
    /* issue 7, custom profiles: the file names its own base profile */
    if (s->roads_profile_file != NULL && strcasecmp(s->profile, "car") != 0)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'roads.profile' (%s) and 'roads.profile_file' "
                            "both given: a profile file names the built-in "
                            "profile it starts from with 'base:'",
                            s->profile);
    if (s->roads_profile_file != NULL && s->roads_custom_profile == NULL &&
        (rc = am_profile_file_read_for(s, err)) != AM_OK)
        return rc;
    am_profile prof;
    if ((rc = am_scenario_profile(s, &prof, err)) != AM_OK)
        return rc;
    if (!matrix &&
        (s->population_path == NULL || s->population_path[0] == '\0'))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "missing required key 'population.path'");
    if (s->population_band < 1)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'population.band' must be >= 1 (got %d)",
                            s->population_band);
    if (!(s->snap_max_m >= AM_SNAP_MAX_M_MIN &&
          s->snap_max_m <= AM_SNAP_MAX_M_MAX))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'snap.max_distance_m' must be >= %g and <= %g m "
                            "(got %g)",
                            AM_SNAP_MAX_M_MIN, AM_SNAP_MAX_M_MAX,
                            s->snap_max_m);
    if (!(s->walk_speed_kmh >= AM_WALK_SPEED_KMH_MIN &&
          s->walk_speed_kmh <= AM_WALK_SPEED_KMH_MAX))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'snap.walk_speed_kmh' must be >= %g and <= %g "
                            "km/h (got %g)",
                            AM_WALK_SPEED_KMH_MIN, AM_WALK_SPEED_KMH_MAX,
                            s->walk_speed_kmh);
    if ((rc = roads_mapping_check(s, err)) != AM_OK)
        return rc;
    if (s->components_rule != AM_COMPONENTS_MIN_NODES &&
        s->components_rule != AM_COMPONENTS_LARGEST &&
        s->components_rule != AM_COMPONENTS_ALL)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'snap.components': unknown rule %d",
                            (int)s->components_rule);
    if (s->components_rule != AM_COMPONENTS_ALL && s->components_n < 1)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'snap.components.%s' must be >= 1 (got %d)",
                            s->components_rule == AM_COMPONENTS_LARGEST
                                ? "largest"
                                : "min_nodes",
                            (int)s->components_n);
    if (!am_threads_valid(s->threads))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'threads' must be from 0 (all cores) to %d "
                            "(got %d)",
                            AM_THREADS_MAX, s->threads);
    if ((rc = check_speed_zones(s, err)) != AM_OK)
        return rc;

    if (!matrix && (s->n_facility_sets < 1 || s->facility_sets == NULL))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "missing required key 'facilities' (at least one "
                            "facility set with a 'path')");
    if (s->n_facility_sets > AM_MAX_FACILITY_SETS)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'facilities' lists %d facility sets (at most "
                            "%d)",
                            s->n_facility_sets, AM_MAX_FACILITY_SETS);
    for (int i = 0; i < s->n_facility_sets; i++)
        if ((rc = check_facility_set(s, i, err)) != AM_OK)
            return rc;
    if ((rc = unique_names(s, "facilities", "facility set", err)) != AM_OK)
        return rc;
    if (matrix && s->selection != NULL)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'selection' needs roads, a population raster "
                            "and facilities: a matrix scenario has none");
    if (!matrix && (rc = check_selection(s, err)) != AM_OK) /* issue 10 */
        return rc;

    if ((rc = check_cutoffs(s, err)) != AM_OK)
        return rc;
    if (s->n_measures < 0 || (s->n_measures > 0 && s->measures == NULL))
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'measures' is inconsistent (count %d)",
                            s->n_measures);
    if (s->n_measures == 0 && (rc = add_default_measure(s, err)) != AM_OK)
        return rc;
    if (s->n_measures > AM_MAX_MEASURES)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'measures' lists %d measures (at most %d)",
                            s->n_measures, AM_MAX_MEASURES);
    for (int i = 0; i < s->n_measures; i++)
        if ((rc = check_measure(s, i, err)) != AM_OK)
            return rc;
    if ((rc = unique_names(s, "measures", "measure", err)) != AM_OK)
        return rc;
    if ((rc = check_equity(s, err)) != AM_OK)
        return rc;
    if ((rc = check_surface(s, err)) != AM_OK) /* issue 9 */
        return rc;
    if ((rc = am_tiers_scenario_check(s, err)) != AM_OK) /* issue 9 */
        return rc;

    if (s->name == NULL) {
        s->name = s->source_path != NULL ? path_stem(s->source_path)
                                         : am_strdup("scenario");
        if (s->name == NULL)
            return am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
    }
    if (s->name[0] == '\0' || strchr(s->name, '/') != NULL)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'name' must be non-empty and contain no '/' "
                            "(got '%s')",
                            s->name);
    if ((rc = am_matrix_scenario_output(s, err)) != AM_OK)
        return rc;
    if (s->output_path == NULL) {
        size_t n = strlen(s->name) + sizeof ".h5";
        s->output_path = am_malloc(n);
        if (s->output_path == NULL)
            return am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
        snprintf(s->output_path, n, "%s.h5", s->name);
    }
    if (s->output_path[0] == '\0')
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'output' must not be empty");
    return AM_OK;
}

char *am_scenario_resolve_path(const am_scenario *s, const char *path,
                               char *buf, size_t n)
{
    if (path == NULL || n == 0)
        return NULL;
    const char *base = s != NULL ? s->base_dir : NULL;
    int len;
    if (path[0] == '/' || base == NULL || base[0] == '\0')
        len = snprintf(buf, n, "%s", path);
    else if (base[strlen(base) - 1] == '/')
        len = snprintf(buf, n, "%s%s", base, path);
    else
        len = snprintf(buf, n, "%s/%s", base, path);
    if (len < 0 || (size_t)len >= n)
        return NULL;
    return buf;
}
