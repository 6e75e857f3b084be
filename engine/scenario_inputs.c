/*
 * scenario_inputs.c: a scenario's facility set as the facilities loader's
 * options (see scenario_inputs.h).
 */
#include "engine/scenario_inputs.h"

#include <stdlib.h>

#include "common/alloc.h"

/* The loader's options for src read from path; *table is the class table
 * they borrow (free it after the call). */
static am_status options_of(const am_facility_source *src, const char *path,
                            am_warnings *warnings, am_facility_options *opt,
                            am_facility_class_capacity **table, am_error *err)
{
    *table = NULL;
    if (src == NULL)
        return am_error_set(err, AM_ERR_INTERNAL, path,
                            "no facility set given");
    if (src->n_class_capacity > 0) {
        *table = am_alloc_array((size_t)src->n_class_capacity, sizeof **table);
        if (*table == NULL)
            return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        for (int i = 0; i < src->n_class_capacity; i++)
            (*table)[i] = (am_facility_class_capacity){
                src->class_capacity[i].klass, src->class_capacity[i].capacity};
    }
    *opt = (am_facility_options){
        .path = path != NULL ? path : src->path,
        .layer = src->layer,
        .where = src->where,
        .id_field = src->id_field,
        .name_field = src->name_field,
        .class_field = src->class_field,
        .capacity_field = src->capacity_field,
        .x_field = src->x_field,
        .y_field = src->y_field,
        .crs = src->crs,
        .class_capacity = *table,
        .n_class_capacity = *table != NULL ? src->n_class_capacity : 0,
        .default_capacity = src->default_capacity,
        .warnings = warnings,
    };
    return AM_OK;
}

static am_status load_set(const am_facility_source *src, const char *path,
                          const char *value_name, am_warnings *warnings,
                          am_facility_set **out, am_error *err)
{
    *out = NULL;
    am_facility_options opt;
    am_facility_class_capacity *table = NULL;
    am_status rc = options_of(src, path, warnings, &opt, &table, err);
    opt.value_name = value_name;
    if (rc == AM_OK)
        rc = am_facilities_load(&opt, out, err);
    am_free(table);
    return rc;
}

am_status am_scenario_load_facilities(const am_facility_source *src,
                                      const char *path, am_warnings *warnings,
                                      am_facility_set **out, am_error *err)
{
    return load_set(src, path, NULL, warnings, out, err);
}

am_status am_scenario_load_values(const am_facility_source *src,
                                  const char *path, const char *value_name,
                                  am_facility_set **out, am_error *err)
{
    return load_set(src, path, value_name, NULL, out, err);
}

am_status am_scenario_probe_facilities(const am_facility_source *src,
                                       const char *path, am_error *err)
{
    am_facility_options opt;
    am_facility_class_capacity *table = NULL;
    am_status rc = options_of(src, path, NULL, &opt, &table, err);
    if (rc == AM_OK)
        rc = am_facilities_probe(&opt, err);
    am_free(table);
    return rc;
}
