/*
 * test_equity_e2e.c: equity overall and by zone through the engine
 * (issue 9, docs/equity.md) on the Comoros demo, with the three islands
 * (admin_level 4 of the demo's OSM PBF, multipolygons layer, id = name)
 * as zones. Checked against values the test computes itself from the
 * results, not against the engine's own output:
 *  - the zones' cells and populations add up to everyone's less the
 *    cells in no zone;
 *  - each zone's mean of every measure equals a population-weighted mean
 *    computed here from the access values and the zone of each cell;
 *  - the overall row equals am_equity_run on the whole arrays;
 *  - 1 and 2 threads give the same bytes (zones and statistics);
 *  - a run writes the CSV: a header and one row per table row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "engine/internal.h"
#include "kernels/equity.h"
#include <accessim.h>

#include "demo_run.h"

#define PBF AM_DEMO_DATA "/comoros/comores-latest.osm.pbf"

static void add_islands(am_scenario *s, const void *arg)
{
    (void)arg;
    s->zone_layers = am_calloc(1, sizeof *s->zone_layers);
    assert_non_null(s->zone_layers);
    s->zone_layers[0].name = am_strdup("islands");
    s->zone_layers[0].path = am_strdup(PBF);
    s->zone_layers[0].layer = am_strdup("multipolygons");
    s->zone_layers[0].where = am_strdup("admin_level = '4'");
    s->zone_layers[0].id_field = am_strdup("name");
    s->n_zone_layers = 1;
    /* a second measure, without a ratio */
    am_measure_spec *ms = am_realloc(s->measures, 2 * sizeof *s->measures);
    assert_non_null(ms);
    s->measures = ms;
    memset(&ms[1], 0, sizeof ms[1]);
    ms[1].name = am_strdup("gravity_exp");
    ms[1].type = AM_MEASURE_TYPE_GRAVITY;
    ms[1].decay.type = AM_DECAY_KIND_EXPONENTIAL;
    ms[1].decay.beta = 0.1;
    s->n_measures = 2;
    static const double below[1] = {0.0001};
    s->equity_below = am_alloc_array(1, sizeof *s->equity_below);
    assert_non_null(s->equity_below);
    memcpy(s->equity_below, below, sizeof below);
    s->n_equity_below = 1;
}

static void test_islands(void **state)
{
    (void)state;
    demo_run b;
    demo_run_build(&b, add_islands, NULL);
    const am_model *m = b.m;
    const am_results *r = b.r;
    const am_equity *q = r->equity;
    assert_non_null(q);
    const am_zone_raster *zr = m->eq_zones[0];
    assert_int_equal(zr->n_zones, 3);
    assert_int_equal(q->n_rows, 4);
    assert_int_equal(q->row_first[0], 1);
    assert_int_equal(q->n_blocks, 3);
    const int32_t n = r->n_cells;
    const double *w = m->pop->pop;

    /* the zones' cells and people: everyone's less those in no zone */
    int64_t cells = 0;
    double people = 0.0;
    for (int z = 0; z < 3; z++) {
        const am_equity_stats *st = &q->stats[1 + z];
        assert_int_equal(st->n_time_cells, zr->zone_cells[z]);
        cells += st->n_time_cells;
        people += st->time_weight;
    }
    assert_int_equal(q->stats[0].n_time_cells, n);
    assert_true(zr->n_outside > 0);
    assert_int_equal(cells + zr->n_outside, n);
    assert_true(fabs(people + zr->pop_outside - q->stats[0].time_weight) <=
                1e-9 * q->stats[0].time_weight);

    /* each zone's mean of each measure, from the cells here */
    for (int k = 0; k < r->n_measures; k++) {
        const double *v = r->access + (size_t)k * (size_t)n;
        double sw[3] = {0}, swv[3] = {0};
        for (int32_t i = 0; i < n; i++) {
            const int32_t z = zr->cell_zone[i];
            if (z < 0 || !(w[i] > 0) || isnan(v[i]))
                continue;
            sw[z] += w[i];
            swv[z] += w[i] * v[i];
        }
        for (int z = 0; z < 3; z++) {
            const am_equity_stats *st =
                &q->stats[(size_t)(1 + k) * (size_t)q->n_rows + 1 + (size_t)z];
            const double mean = swv[z] / sw[z];
            assert_true(sw[z] > 0);
            assert_true(fabs(st->mean - mean) <= 1e-12 * fabs(mean));
            assert_true(fabs(st->weight - sw[z]) <= 1e-12 * sw[z]);
        }
        /* the overall mean and median are the summary's */
        const am_equity_stats *all =
            &q->stats[(size_t)(1 + k) * (size_t)q->n_rows];
        assert_memory_equal(&all->mean, &r->access_mean[k], sizeof(double));
        assert_memory_equal(&all->median, &r->access_median[k], sizeof(double));
    }

    /* the overall row: am_equity_run on the whole arrays */
    const am_scenario *s = b.s;
    uint32_t cut[AM_MAX_CUTOFFS];
    for (int c = 0; c < r->n_cutoffs; c++)
        cut[c] = am_minutes_to_ds(r->cutoffs_min[c]);
    for (int k = 0; k < r->n_measures; k++) {
        am_equity_spec spec = {s->n_equity_pct,
                               s->equity_pct,
                               s->n_equity_below,
                               s->equity_below,
                               0,
                               NULL};
        am_equity_stats st;
        double pct[AM_MAX_EQUITY_PERCENTILES], below[AM_MAX_EQUITY_LEVELS];
        am_error e;
        assert_int_equal(am_equity_run(n, r->access + (size_t)k * (size_t)n, w,
                                       NULL, NULL, 1, &spec, 1, &st, pct, below,
                                       NULL, &e),
                         AM_OK);
        const size_t at = (size_t)(1 + k) * (size_t)q->n_rows;
        assert_memory_equal(&st, &q->stats[at], sizeof st);
        assert_memory_equal(pct, q->pct + at * (size_t)q->n_pct,
                            (size_t)q->n_pct * sizeof(double));
        assert_memory_equal(below, q->below + at * (size_t)q->n_levels,
                            (size_t)q->n_levels * sizeof(double));
    }
    /* beyond each cutoff overall: 1 - the coverage table's share */
    for (int c = 0; c < r->n_cutoffs; c++) {
        double beyond = 0.0;
        for (int32_t i = 0; i < n; i++)
            if (w[i] > 0 && r->nearest_ds[i] > cut[c])
                beyond += w[i];
        beyond /= q->stats[0].time_weight;
        assert_true(fabs(q->beyond[c] - beyond) <= 1e-12);
    }

    /* 1 thread: the same zones and the same statistics, to the bit */
    am_zone_raster_options zo = {PBF, "multipolygons", "admin_level = '4'",
                                 "name", NULL};
    am_zone_raster *z1 = NULL;
    am_error e;
    assert_int_equal(am_zone_raster_build(&zo, m->pop, 1, &z1, &e), AM_OK);
    assert_int_equal(z1->n_zones, zr->n_zones);
    assert_memory_equal(z1->cell_zone, zr->cell_zone,
                        (size_t)n * sizeof *z1->cell_zone);
    am_zone_raster_destroy(z1);
    am_results *r1 = NULL;
    assert_int_equal(am_results_compute(b.m, b.f, 1, &r1, &e), AM_OK);
    const am_equity *q1 = r1->equity;
    const size_t cells_n = (size_t)q->n_blocks * (size_t)q->n_rows;
    assert_memory_equal(q1->stats, q->stats, cells_n * sizeof *q->stats);
    assert_memory_equal(q1->pct, q->pct,
                        cells_n * (size_t)q->n_pct * sizeof *q->pct);
    assert_memory_equal(q1->below, q->below,
                        cells_n * (size_t)q->n_levels * sizeof *q->below);
    assert_memory_equal(q1->beyond, q->beyond,
                        (size_t)q->n_rows * (size_t)q->n_cutoffs *
                            sizeof *q->beyond);
    am_results_destroy(r1);
    demo_run_free(&b);
}

/* A whole run: the HDF5 file and the CSV, one row per table row. */
static void test_run_csv(void **state)
{
    (void)state;
    am_scenario *s = NULL;
    am_error e;
    char dir[] = "/tmp/am_equity_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[256], csv[256];
    snprintf(out, sizeof out, "%s/out.h5", dir);
    snprintf(csv, sizeof csv, "%s/equity.csv", dir);
    if (am_scenario_read_file(AM_DEMO_DATA "/comoros/comoros.yaml", &s, &e) !=
        AM_OK)
        fail_msg("%s", e.msg);
    add_islands(s, NULL);
    s->equity_csv = am_strdup(csv);
    assert_int_equal(am_scenario_finalize(s, &e), AM_OK);
    am_run_options o = am_run_options_default();
    o.output_path = out;
    o.threads = 2;
    am_run_summary *sum = NULL;
    if (am_run(s, &o, &sum, &e) != AM_OK)
        fail_msg("%s: %s", e.file, e.msg);
    assert_int_equal(sum->n_zone_layers, 1);
    assert_int_equal(sum->zone_layers[0].n_zones, 3);
    assert_int_equal(sum->zone_layers[0].raster_band, 0); /* polygons */
    {
        char *text = NULL;
        size_t len = 0;
        FILE *mf = open_memstream(&text, &len);
        assert_non_null(mf);
        am_run_summary_write(sum, mf);
        fclose(mf);
        assert_non_null(strstr(text, "  zones        'islands' (layer "
                                     "'multipolygons'): 3 zones; "));
        free(text);
    }
    assert_non_null(sum->sets[0].equity_gini);
    assert_true(sum->sets[0].equity_gini[0] > 0 &&
                sum->sets[0].equity_gini[0] < 1);
    FILE *f = fopen(csv, "r");
    assert_non_null(f);
    char line[8192];
    int lines = 0;
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(strncmp(line, "set,table,zone,id,fid,cells,population,", 39) ==
                0);
    while (fgets(line, sizeof line, f) != NULL)
        lines++;
    fclose(f);
    assert_int_equal(lines, 4); /* overall and three islands */
    am_run_summary_destroy(sum);
    am_scenario_destroy(s);
    unlink(csv);
    unlink(out);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_islands),
        cmocka_unit_test(test_run_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
