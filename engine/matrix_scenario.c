/*
 * matrix_scenario.c: a matrix scenario's checks and defaults (see
 * matrix_scenario.h; the keys in docs/scenario.md, "Matrix scenarios").
 * The YAML reader refuses the same mistakes with their line; these are
 * the checks of a scenario built in code.
 */
#include "engine/matrix_scenario.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/strutil.h"

int am_scenario_is_matrix(const am_scenario *s)
{
    return s != NULL && (s->matrix_path != NULL || s->demand_path != NULL ||
                         s->supply_path != NULL);
}

/* *dst = copy of def when NULL. */
static am_status set_default(char **dst, const char *def, const char *file,
                             am_error *err)
{
    if (*dst != NULL)
        return AM_OK;
    *dst = am_strdup(def);
    return *dst != NULL
               ? AM_OK
               : am_error_set(err, AM_ERR_NOMEM, file, "out of memory");
}

am_status am_matrix_scenario_check(am_scenario *s, am_error *err)
{
    const char *file = s->source_path;
    if (!am_scenario_is_matrix(s))
        return AM_OK;
    const char *network = s->roads_path != NULL        ? "roads"
                          : s->population_path != NULL ? "population"
                          : s->n_facility_sets > 0     ? "facilities"
                                                       : NULL;
    if (network != NULL)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'%s' and 'matrix' both given: a matrix "
                            "scenario (matrix, demand, supply) has no "
                            "roads, population or facilities",
                            network);
    struct {
        const char *key;
        const char *value;
    } required[] = {
        {"matrix.path", s->matrix_path},   {"demand.path", s->demand_path},
        {"demand.field", s->demand_field}, {"supply.path", s->supply_path},
        {"supply.field", s->supply_field},
    };
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (required[i].value == NULL || required[i].value[0] == '\0')
            return am_error_set(err, AM_ERR_SCENARIO, file,
                                "missing required key '%s' (a matrix "
                                "scenario has 'matrix', 'demand' and "
                                "'supply')",
                                required[i].key);
    am_status rc = AM_OK;
    if ((rc = set_default(&s->matrix_from_field, "from_id", file, err)) !=
            AM_OK ||
        (rc = set_default(&s->matrix_to_field, "to_id", file, err)) != AM_OK ||
        (rc = set_default(&s->matrix_time_field, "travel_time", file, err)) !=
            AM_OK ||
        (rc = set_default(&s->matrix_time_unit, "minutes", file, err)) !=
            AM_OK ||
        (rc = set_default(&s->demand_id_field, "id", file, err)) != AM_OK ||
        (rc = set_default(&s->supply_id_field, "id", file, err)) != AM_OK)
        return rc;
    if (strcmp(s->matrix_time_unit, "minutes") != 0 &&
        strcmp(s->matrix_time_unit, "seconds") != 0)
        return am_error_set(err, AM_ERR_SCENARIO, file,
                            "'matrix.time_unit' must be 'minutes' or "
                            "'seconds' (got '%s')",
                            s->matrix_time_unit);
    return AM_OK;
}

am_status am_matrix_scenario_output(am_scenario *s, am_error *err)
{
    if (!am_scenario_is_matrix(s) || s->output_path != NULL)
        return AM_OK;
    size_t n = strlen(s->name) + sizeof ".csv";
    s->output_path = am_malloc(n);
    if (s->output_path == NULL)
        return am_error_set(err, AM_ERR_NOMEM, s->source_path, "out of memory");
    snprintf(s->output_path, n, "%s.csv", s->name);
    return AM_OK;
}
