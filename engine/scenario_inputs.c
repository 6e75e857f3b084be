/*
 * scenario_inputs.c: a scenario's facility set as the facilities loader's
 * options (see scenario_inputs.h).
 */
#include "engine/scenario_inputs.h"

#include <stdlib.h>

#include "common/alloc.h"

am_status am_scenario_load_facilities(const am_facility_source *src,
                                      const char *path, am_warnings *warnings,
                                      am_facility_set **out, am_error *err)
{
    *out = NULL;
    if (src == NULL)
        return am_error_set(err, AM_ERR_INTERNAL, path,
                            "no facility set given");
    am_facility_class_capacity *table = NULL;
    if (src->n_class_capacity > 0) {
        table = am_alloc_array((size_t)src->n_class_capacity, sizeof *table);
        if (table == NULL)
            return am_error_set(err, AM_ERR_NOMEM, path, "out of memory");
        for (int i = 0; i < src->n_class_capacity; i++)
            table[i] = (am_facility_class_capacity){
                src->class_capacity[i].klass, src->class_capacity[i].capacity};
    }
    am_facility_options opt = {
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
        .class_capacity = table,
        .n_class_capacity = table != NULL ? src->n_class_capacity : 0,
        .default_capacity = src->default_capacity,
        .warnings = warnings,
    };
    am_status rc = am_facilities_load(&opt, out, err);
    free(table);
    return rc;
}
