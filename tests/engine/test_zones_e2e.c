/*
 * test_zones_e2e.c: speed zones end to end on the Comoros demo (issue 7).
 *
 * The demo is built twice through the library: as it is, and with
 * roads.speed_zones = tests/data/zones/moheli.geojson (a box over the
 * island of Mohéli, whose roads do not connect to the other islands) at
 * multiplier 0.5. Checked against independent values, not the new output:
 *  - every arc whose two nodes lie in the box takes exactly twice its old
 *    time (t / 0.5 is exact in deciseconds), every other arc keeps its
 *    time, and the layer's arc count is the number of arcs in the box;
 *  - outside Mohéli, nearest times and facilities are unchanged, to the
 *    decisecond;
 *  - on Mohéli, each cell's new nearest time t1 lies between its old time
 *    t0 (no path got faster) and the old path at its new cost,
 *    2 t0 - walk legs (the walking legs keep their time); most cells reach
 *    that bound exactly (same facility, same path).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/strutil.h"
#include "engine/internal.h"
#include <accessim.h>

#include "demo_run.h"

#define ZONE AM_TEST_DATA "/zones/moheli.geojson"

static int in_box(double lon, double lat)
{
    return lon >= 43.55 && lon <= 43.95 && lat >= -12.45 && lat <= -12.2;
}

/* the variants of the demo compared here */
static void add_zone(am_scenario *s, const void *arg)
{
    (void)arg;
    s->speed_zones = am_calloc(1, sizeof *s->speed_zones);
    assert_non_null(s->speed_zones);
    s->speed_zones[0].path = am_strdup(ZONE);
    s->speed_zones[0].multiplier = 0.5;
    s->n_speed_zones = 1;
}

static void ferries_on(am_scenario *s, const void *arg)
{
    (void)arg;
    s->roads_ferries = 1;
}

static void test_moheli_half_speed(void **state)
{
    (void)state;
    demo_run b0, b1;
    demo_run_build(&b0, NULL, NULL);
    demo_run_build(&b1, add_zone, NULL);
    const am_road_network *r0 = b0.m->roads, *r1 = b1.m->roads;

    /* arcs: exactly doubled inside, unchanged outside */
    assert_int_equal(r0->n_arcs, r1->n_arcs);
    int64_t inside_arcs = 0;
    for (int64_t a = 0; a < r0->n_arcs; a++) {
        const int32_t t = r0->tail[a], h = r0->head[a];
        const int in = in_box(r0->lon[t], r0->lat[t]);
        assert_int_equal(in, in_box(r0->lon[h], r0->lat[h]));
        inside_arcs += in;
        assert_int_equal(r1->time_ds[a],
                         in ? 2 * r0->time_ds[a] : r0->time_ds[a]);
    }
    assert_true(inside_arcs > 1000);
    assert_int_equal(b1.m->zone_stats[0].arcs, inside_arcs);
    assert_true(b1.m->zone_stats[0].arc_km > 100.0);

    /* cells */
    const int32_t n = am_model_cell_count(b0.m);
    assert_int_equal(n, am_model_cell_count(b1.m));
    const int32_t *node = am_model_cell_link_nodes(b0.m);
    const double *cell_dist = b0.m->cell_snap.dist_m;
    const double *site_dist = b0.f->snap.dist_m;
    const double ds_per_m = 36.0 / b0.s->walk_speed_kmh; /* walking legs */
    const uint32_t *t0 = am_results_nearest_ds(b0.r);
    const uint32_t *t1 = am_results_nearest_ds(b1.r);
    const int32_t *j0 = am_results_nearest_site(b0.r);
    const int32_t *j1 = am_results_nearest_site(b1.r);
    const double max_ds = b0.s->cutoffs_min[b0.s->n_cutoffs - 1] * 600.0 + 0.5;
    int64_t inside = 0, grew = 0, at_bound = 0;
    for (int32_t i = 0; i < n; i++) {
        /* a cell is inside when the road it snapped onto is (its links'
         * nodes: both ends of one segment, on one island) */
        int in = 0;
        for (int k = 0; k < 2; k++) {
            const int32_t v = node[2 * i + k]; /* a graph node: its vertex */
            const int32_t x = v >= 0 ? b0.m->node_vertex[v] : -1;
            in |= x >= 0 && in_box(r0->lon[x], r0->lat[x]);
        }
        if (!in) {
            assert_int_equal(t1[i], t0[i]);
            assert_int_equal(j1[i], j0[i]);
            continue;
        }
        inside++;
        if (t0[i] == AM_RESULTS_UNREACHED) {
            assert_int_equal(t1[i], AM_RESULTS_UNREACHED);
            continue;
        }
        /* everything but the two walking legs drives at half speed; the
         * partial segments at both ends are rounded on their own (1 ds
         * each) */
        const double bound = 2.0 * t0[i] - nearbyint(cell_dist[i] * ds_per_m) -
                             nearbyint(site_dist[j0[i]] * ds_per_m) + 2.0;
        if (t1[i] == AM_RESULTS_UNREACHED) {
            assert_true(bound > max_ds);
            continue;
        }
        assert_true(t1[i] >= t0[i]);
        assert_true((double)t1[i] <= bound);
        grew += t1[i] > t0[i];
        at_bound += (double)t1[i] >= bound - 4.0;
    }
    assert_true(inside > 1000);
    assert_true(grew > inside / 2);
    assert_true(at_bound > inside / 2);
    demo_run_free(&b0);
    demo_run_free(&b1);
}

/*
 * Ferries are routes, not roads (issue 7): turning them on adds arcs but
 * no snap target, and leaves the road components (which roads people may
 * snap onto) as they were, so nobody is moved and nobody is slower, except
 * by the same-chain detour of the contracted graph, whose chains change
 * where a ferry meets a road (at most a 250 m chain's driving time: 60 s
 * at the slowest car class, 15 km/h).
 */
static void test_ferries_only_add_routes(void **state)
{
    (void)state;
    demo_run off, on;
    demo_run_build(&off, NULL, NULL);
    demo_run_build(&on, ferries_on, NULL);
    assert_int_equal(off.m->roads->n_ferry, 0);
    assert_int_equal(on.m->roads->n_ferry, 3);
    int64_t flagged = 0;
    for (int64_t a = 0; a < on.m->roads->n_arcs; a++)
        flagged += (on.m->roads->arc_flags[a] & AM_ARC_FERRY) != 0;
    assert_true(flagged > 0);
    assert_int_equal(on.m->roads->n_arcs, off.m->roads->n_arcs + flagged);
    /* the same roads to snap onto, the same people moved off fragments */
    assert_int_equal(on.m->n_seg, off.m->n_seg);
    assert_int_equal(on.m->n_frag_seg, off.m->n_frag_seg);
    assert_int_equal(on.m->cell_moves.moved, off.m->cell_moves.moved);
    assert_true(on.m->cell_moves.moved_weight ==
                off.m->cell_moves.moved_weight);
    const int32_t n = am_model_cell_count(on.m);
    const uint32_t *t_off = am_results_nearest_ds(off.r);
    const uint32_t *t_on = am_results_nearest_ds(on.r);
    int64_t faster = 0;
    for (int32_t i = 0; i < n; i++) {
        if (t_on[i] == AM_RESULTS_UNREACHED) {
            assert_int_equal(t_off[i], AM_RESULTS_UNREACHED);
            continue;
        }
        faster += t_on[i] < t_off[i];
        if (t_off[i] != AM_RESULTS_UNREACHED)
            assert_true(t_on[i] <= t_off[i] + 600u);
    }
    assert_true(faster > 0);
    demo_run_free(&off);
    demo_run_free(&on);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moheli_half_speed),
        cmocka_unit_test(test_ferries_only_add_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
