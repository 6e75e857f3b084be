/*
 * test_profile_e2e.c: a custom travel profile end to end on the Comoros
 * demo (issue 7, roads.profile_file).
 *
 * The demo is built twice through the library: with the built-in car, and
 * with a "motorbike" profile file based on car that only raises the speeds
 * of the small road classes (unclassified 30 -> 40, residential 25 -> 35,
 * service 15 -> 25, track 15 -> 30 km/h). Checked against what that change
 * must do, not against the new output:
 *  - the graph is the same (same arcs, same ends: no class, access or
 *    oneway rule changed), every arc is at least as fast, and an arc of
 *    one of those classes without a maxspeed tag is faster by exactly the
 *    speed ratio, which shows up as many arcs whose time shrank by at
 *    least 25/35;
 *  - no cell's nearest facility got farther (to the rounding of the two
 *    partial segments, 1 ds each), and many got nearer;
 *  - the model records the custom profile's name.
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
#include <accessim.h>

#include "demo_run.h"

static void use_profile_file(am_scenario *s, const void *path)
{
    s->roads_profile_file = am_strdup(path);
}

static void test_motorbike_faster_than_car(void **state)
{
    (void)state;
    char dir[] = "/tmp/am-profile-e2e-XXXXXX", path[96];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/motorbike.yaml", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("name: motorbike\nbase: car\nclasses:\n  unclassified: 40\n"
          "  residential: 35\n  service: 25\n  track: 30\n",
          fp);
    fclose(fp);

    demo_run car, moto;
    demo_run_build(&car, NULL, NULL);
    demo_run_build(&moto, use_profile_file, path);
    assert_string_equal(car.m->roads->profile, "car");
    assert_string_equal(moto.m->roads->profile, "motorbike");

    const am_road_network *r0 = car.m->roads, *r1 = moto.m->roads;
    assert_int_equal(r0->n_nodes, r1->n_nodes);
    assert_int_equal(r0->n_arcs, r1->n_arcs);
    int64_t faster = 0, by_ratio = 0;
    for (int64_t a = 0; a < r0->n_arcs; a++) {
        assert_int_equal(r0->tail[a], r1->tail[a]);
        assert_int_equal(r0->head[a], r1->head[a]);
        /* times are rounded along each road (roads.c): one arc may get
         * 1 ds more where the road's carry falls differently */
        assert_true(r1->time_ds[a] <= r0->time_ds[a] + 1);
        faster += r1->time_ds[a] < r0->time_ds[a];
        /* residential 25 -> 35: t1 = t0 * 25 / 35 (each rounded to 1 ds) */
        by_ratio += r0->time_ds[a] >= 50 &&
                    fabs(r1->time_ds[a] - r0->time_ds[a] * 25.0 / 35.0) <= 1.0;
    }
    assert_true(faster > r0->n_arcs / 4);
    assert_true(by_ratio > 1000);

    const int32_t n = am_model_cell_count(car.m);
    assert_int_equal(n, am_model_cell_count(moto.m));
    const uint32_t *t0 = am_results_nearest_ds(car.r);
    const uint32_t *t1 = am_results_nearest_ds(moto.r);
    int64_t nearer = 0, reached0 = 0, reached1 = 0;
    for (int32_t i = 0; i < n; i++) {
        reached0 += t0[i] != AM_RESULTS_UNREACHED;
        reached1 += t1[i] != AM_RESULTS_UNREACHED;
        if (t1[i] == AM_RESULTS_UNREACHED) {
            assert_int_equal(t0[i], AM_RESULTS_UNREACHED);
            continue;
        }
        if (t0[i] == AM_RESULTS_UNREACHED) {
            nearer++;
            continue;
        }
        assert_true(t1[i] <= t0[i] + 2);
        nearer += t1[i] < t0[i];
    }
    assert_true(reached1 >= reached0);
    assert_true(nearer > n / 4);
    demo_run_free(&car);
    demo_run_free(&moto);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_motorbike_faster_than_car),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
