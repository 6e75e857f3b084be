/*
 * tiers_scenario.c: facility tiers in the scenario (see engine/tiers.h).
 */
#include "engine/tiers.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/strutil.h"
#include "common/units.h"
#include "engine/scenario.h"

void am_set_cutoffs(const am_scenario *s, int k, int *n, const double **cut)
{
    const am_facility_source *f =
        k >= 0 && k < s->n_facility_sets ? &s->facility_sets[k] : NULL;
    if (f != NULL && f->cutoffs_min != NULL && f->n_cutoffs > 0) {
        *n = f->n_cutoffs;
        *cut = f->cutoffs_min;
    } else {
        *n = s->n_cutoffs;
        *cut = s->cutoffs_min;
    }
}

int am_set_measure_on(const am_scenario *s, int k, int m)
{
    if (k < 0 || k >= s->n_facility_sets || m < 0 || m >= s->n_measures)
        return 1;
    const am_facility_source *f = &s->facility_sets[k];
    if (f->measures == NULL)
        return 1;
    for (int i = 0; i < f->n_measures; i++)
        if (f->measures[i] != NULL && s->measures[m].name != NULL &&
            strcmp(f->measures[i], s->measures[m].name) == 0)
            return 1;
    return 0;
}

int am_scenario_set_index(const am_scenario *s, const char *name)
{
    for (int k = 0; name != NULL && k < s->n_facility_sets; k++)
        if (s->facility_sets[k].name != NULL &&
            strcmp(s->facility_sets[k].name, name) == 0)
            return k;
    return -1;
}

/* The error at line (0: none). */
static am_status at_line(const am_scenario *s, int line, am_error *err,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static am_status at_line(const am_scenario *s, int line, am_error *err,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    am_error_setv(err, AM_ERR_SCENARIO, s->source_path, fmt, ap);
    va_end(ap);
    if (line > 0)
        am_error_set_line(err, line, 0);
    return AM_ERR_SCENARIO;
}

/* "; did you mean 'x'?" for the closest of names (within 2 edits). */
static void suggest(const char *word, const char *const *names, int n,
                    char *buf, size_t size)
{
    size_t best = 3;
    const char *close = NULL;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (names[i] == NULL)
            continue;
        size_t d = am_edit_distance(word, names[i]);
        if (d < best) {
            best = d;
            close = names[i];
        }
    }
    if (close != NULL)
        snprintf(buf, size, "; did you mean '%s'?", close);
}

static am_status check_set(const am_scenario *s, int k, am_error *err)
{
    const am_facility_source *f = &s->facility_sets[k];
    if (f->tier < 0 || f->tier > AM_MAX_TIER)
        return at_line(s, f->line, err,
                       "'facilities[%d].tier' must be an integer from 1 to "
                       "%d (got %d)",
                       k, AM_MAX_TIER, f->tier);
    if (f->cutoffs_min != NULL || f->n_cutoffs != 0) {
        if (f->cutoffs_min == NULL || f->n_cutoffs < 1 ||
            f->n_cutoffs > AM_MAX_CUTOFFS)
            return at_line(s, f->line, err,
                           "'facilities[%d].cutoffs_min' must list 1 to %d "
                           "cutoffs (got %d)",
                           k, AM_MAX_CUTOFFS, f->n_cutoffs);
        for (int i = 0; i < f->n_cutoffs; i++) {
            double c = f->cutoffs_min[i];
            char why[AM_MINUTES_WHY_MAX];
            uint32_t ds = 0;
            if (am_minutes_limit(c, AM_MAX_CUTOFF_MIN, 0, &ds, why,
                                 sizeof why) != NULL)
                return at_line(s, f->line, err,
                               "'facilities[%d].cutoffs_min[%d]' %s (got %g)",
                               k, i, why, c);
            if (i > 0 &&
                am_minutes_to_ds(c) <= am_minutes_to_ds(f->cutoffs_min[i - 1]))
                return at_line(s, f->line, err,
                               "'facilities[%d].cutoffs_min' must be strictly "
                               "ascending in whole tenths of a second (%g "
                               "follows %g)",
                               k, c, f->cutoffs_min[i - 1]);
        }
    }
    if (f->measures == NULL && f->n_measures == 0)
        return AM_OK;
    if (f->measures == NULL || f->n_measures < 1 ||
        f->n_measures > AM_MAX_MEASURES)
        return at_line(s, f->line, err,
                       "'facilities[%d].measures' must list 1 to %d measure "
                       "names (got %d)",
                       k, AM_MAX_MEASURES, f->n_measures);
    for (int i = 0; i < f->n_measures; i++) {
        const char *nm = f->measures[i];
        int found = 0;
        for (int m = 0; nm != NULL && m < s->n_measures; m++)
            found |= s->measures[m].name != NULL &&
                     strcmp(s->measures[m].name, nm) == 0;
        for (int j = 0; nm != NULL && j < i; j++)
            if (f->measures[j] != NULL && strcmp(f->measures[j], nm) == 0)
                return at_line(s, f->line, err,
                               "'facilities[%d].measures': '%s' is listed "
                               "twice",
                               k, nm);
        if (found)
            continue;
        char hint[AM_NAME_MAX + 32] = "";
        const char *names[AM_MAX_MEASURES];
        for (int m = 0; m < s->n_measures && m < AM_MAX_MEASURES; m++)
            names[m] = s->measures[m].name;
        suggest(nm != NULL ? nm : "", names,
                s->n_measures < AM_MAX_MEASURES ? s->n_measures
                                                : AM_MAX_MEASURES,
                hint, sizeof hint);
        return at_line(s, f->line, err,
                       "'facilities[%d].measures[%d]': no measure named "
                       "'%s' in 'measures'%s",
                       k, i, nm != NULL ? nm : "(null)", hint);
    }
    return AM_OK;
}

static am_status check_combined(const am_scenario *s, int i, am_error *err)
{
    const am_combined_spec *cb = &s->combined[i];
    const char *why = am_scenario_name_problem(cb->name, 0);
    if (why != NULL)
        return at_line(s, cb->line, err,
                       "'combined[%d].name': '%s' is not a valid name (%s)", i,
                       cb->name != NULL ? cb->name : "", why);
    if (strcmp(cb->name, "crosstab") == 0)
        return at_line(s, cb->line, err,
                       "'combined[%d].name': 'crosstab' is reserved (the "
                       "group of the indicators' tables)",
                       i);
    for (int j = 0; j < i; j++)
        if (strcmp(s->combined[j].name, cb->name) == 0)
            return at_line(s, cb->line, err,
                           "'combined[%d].name': duplicate combined "
                           "indicator name '%s' (also combined[%d])",
                           i, cb->name, j);
    if (cb->n_conditions < 1 || cb->n_conditions > AM_MAX_COMBINED_CONDITIONS)
        return at_line(s, cb->line, err,
                       "'combined[%d].within' must list 1 to %d conditions "
                       "(got %d)",
                       i, AM_MAX_COMBINED_CONDITIONS, cb->n_conditions);
    for (int c = 0; c < cb->n_conditions; c++) {
        const int k = am_scenario_set_index(s, cb->set[c]);
        if (k < 0) {
            char hint[AM_NAME_MAX + 32] = "";
            const char *names[64];
            int nn = s->n_facility_sets < 64 ? s->n_facility_sets : 64;
            for (int j = 0; j < nn; j++)
                names[j] = s->facility_sets[j].name;
            suggest(cb->set[c] != NULL ? cb->set[c] : "", names, nn, hint,
                    sizeof hint);
            return at_line(s, cb->line, err,
                           "'combined[%d].within': no facility set named "
                           "'%s'%s",
                           i, cb->set[c] != NULL ? cb->set[c] : "(null)", hint);
        }
        for (int d = 0; d < c; d++)
            if (strcmp(cb->set[d], cb->set[c]) == 0)
                return at_line(s, cb->line, err,
                               "'combined[%d].within': set '%s' is named "
                               "twice",
                               i, cb->set[c]);
        int n = 0;
        const double *cut = NULL;
        am_set_cutoffs(s, k, &n, &cut);
        const double x = cb->minutes[c];
        char bad[AM_MINUTES_WHY_MAX];
        uint32_t ds = 0;
        if (am_minutes_limit(x, AM_MAX_CUTOFF_MIN, 0, &ds, bad, sizeof bad) !=
            NULL)
            return at_line(s, cb->line, err,
                           "'combined[%d].within.%s' %s (got %g)", i,
                           cb->set[c], bad, x);
        if (ds > am_minutes_to_ds(cut[n - 1]))
            return at_line(s, cb->line, err,
                           "'combined[%d].within.%s' (%g min) is beyond the "
                           "set's largest cutoff (%g min), the depth of its "
                           "nearest search: add a cutoff of at least %g to "
                           "its cutoffs_min",
                           i, cb->set[c], x, cut[n - 1], x);
    }
    return AM_OK;
}

am_status am_tiers_scenario_check(const am_scenario *s, am_error *err)
{
    am_status rc = AM_OK;
    if (am_scenario_is_matrix(s) &&
        (s->n_combined > 0 || s->referrals_csv != NULL))
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "'combined' and 'referrals' need facility sets: "
                            "a matrix scenario has none");
    for (int k = 0; rc == AM_OK && k < s->n_facility_sets; k++)
        rc = check_set(s, k, err);
    if (rc != AM_OK)
        return rc;
    if (s->n_combined < 0 || s->n_combined > AM_MAX_COMBINED ||
        (s->n_combined > 0 && s->combined == NULL))
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "'combined' lists %d indicators (at most %d)",
                            s->n_combined, AM_MAX_COMBINED);
    for (int i = 0; rc == AM_OK && i < s->n_combined; i++)
        rc = check_combined(s, i, err);
    if (rc != AM_OK || s->referrals_csv == NULL)
        return rc;
    if (s->referrals_csv[0] == '\0')
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "'referrals.csv' must not be empty");
    int lo = 0, hi = 0;
    for (int k = 0; k < s->n_facility_sets; k++) {
        const int t = s->facility_sets[k].tier;
        if (t > 0 && (lo == 0 || t < lo))
            lo = t;
        if (t > hi)
            hi = t;
    }
    if (lo == hi)
        return am_error_set(err, AM_ERR_SCENARIO, s->source_path,
                            "'referrals.csv' given, but no two facility sets "
                            "have different tiers (give the sets a 'tier': "
                            "referrals go from a lower tier to a higher one)");
    return AM_OK;
}
