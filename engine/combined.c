/*
 * combined.c: combined indicators (issue 9, docs/scenario.md "Facility
 * tiers"): per populated cell, whether the nearest facility of each named
 * set is within its minutes (inclusive; the set's nearest time, searched
 * to its largest cutoff, which the scenario check makes cover the
 * condition), and the population of every combination of conditions.
 * Off-network people and those with nothing within reach meet no
 * condition. Serial, in cell order: the same sums for any thread count.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/units.h"
#include "engine/referral.h"
#include "engine/tiers.h"

am_status am_combined_compute(const am_model *m, am_results *const *results,
                              am_tiers_out *o, am_error *err)
{
    const am_scenario *s = m->s;
    const int nc = s->n_combined;
    const int32_t n_cells = m->demand->n_cells;
    if (nc <= 0)
        return AM_OK;
    o->combined_value =
        am_alloc_array((size_t)nc * (size_t)(n_cells > 0 ? n_cells : 1),
                       sizeof *o->combined_value);
    o->combined_pop =
        am_calloc_array((size_t)nc * AM_COMBINED_ROWS, sizeof *o->combined_pop);
    o->combined_cells = am_calloc_array((size_t)nc * AM_COMBINED_ROWS,
                                        sizeof *o->combined_cells);
    if (o->combined_value == NULL || o->combined_pop == NULL ||
        o->combined_cells == NULL)
        return am_error_set(err, AM_ERR_NOMEM, NULL,
                            "out of memory for the combined indicators");
    o->n_combined = nc;
    for (int k = 0; k < nc; k++) {
        const am_combined_spec *cb = &s->combined[k];
        const uint32_t *near[AM_MAX_COMBINED_CONDITIONS];
        uint32_t lim[AM_MAX_COMBINED_CONDITIONS];
        for (int c = 0; c < cb->n_conditions; c++) {
            const int set = am_scenario_set_index(s, cb->set[c]);
            if (set < 0) /* checked by am_scenario_finalize */
                return am_error_set(err, AM_ERR_INTERNAL, NULL,
                                    "combined '%s': no set '%s'", cb->name,
                                    cb->set[c]);
            near[c] = results[set]->nearest_ds;
            lim[c] = am_minutes_to_ds(cb->minutes[c]);
        }
        const unsigned all = (1u << cb->n_conditions) - 1u;
        int32_t *v = o->combined_value + (size_t)k * (size_t)n_cells;
        double *pop = o->combined_pop + (size_t)k * AM_COMBINED_ROWS;
        int64_t *cells = o->combined_cells + (size_t)k * AM_COMBINED_ROWS;
        for (int32_t i = 0; i < n_cells; i++) {
            unsigned bits = 0;
            for (int c = 0; c < cb->n_conditions; c++)
                if (near[c][i] != AM_TIME_INF && near[c][i] <= lim[c])
                    bits |= 1u << c;
            v[i] = bits == all;
            pop[bits] += m->demand->pop[i];
            cells[bits]++;
        }
    }
    return AM_OK;
}
