/*
 * test_scenario_inputs.c: a scenario's facility set handed to the
 * facilities loader (engine/scenario_inputs.h): every key reaches the
 * loader's options, the class table included, and the resolved path wins
 * over the one the scenario holds.
 *
 * Real data: the Comoros OSM health points (data/comoros/health.gpkg, 28
 * hospitals and 8 clinics among 70 features; see NOTICE).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "engine/scenario_inputs.h"

#define HEALTH_GPKG AM_DEMO_DATA "/comoros/health.gpkg"

static void test_class_table_and_filter(void **state)
{
    (void)state;
    am_class_capacity table[] = {{"hospital", 10.0}, {"clinic", 2.0}};
    am_facility_source src;
    memset(&src, 0, sizeof src);
    src.name = "health";
    src.path = "not-this-one.gpkg"; /* the resolved path below is read */
    src.layer = "health";
    src.where = "amenity IN ('hospital','clinic','pharmacy')";
    src.class_field = "amenity";
    src.class_capacity = table;
    src.n_class_capacity = 2;
    src.default_capacity = 0.5;
    am_facility_set *f = NULL;
    am_error e;
    am_error_clear(&e);
    am_status rc = am_scenario_load_facilities(&src, HEALTH_GPKG, NULL, &f, &e);
    assert_int_equal(rc, AM_OK);
    assert_int_equal(f->n, 28 + 8 + 24);
    double total = 0.0;
    for (int32_t i = 0; i < f->n; i++) {
        double want = strcmp(f->klass[i], "hospital") == 0 ? 10.0
                      : strcmp(f->klass[i], "clinic") == 0 ? 2.0
                                                           : 0.5;
        assert_true(f->capacity[i] == want);
        total += f->capacity[i];
    }
    assert_true(total == 28 * 10.0 + 8 * 2.0 + 24 * 0.5);
    am_facility_set_destroy(f);
}

static void test_fields_reach_the_loader(void **state)
{
    (void)state;
    am_facility_source src;
    memset(&src, 0, sizeof src);
    src.path = HEALTH_GPKG; /* NULL path: src->path as it is */
    src.capacity_field = "no_such_field";
    src.default_capacity = 1.0;
    am_facility_set *f = NULL;
    am_error e;
    am_error_clear(&e);
    assert_int_equal(am_scenario_load_facilities(&src, NULL, NULL, &f, &e),
                     AM_ERR_FORMAT);
    assert_null(f);
    assert_non_null(strstr(e.msg, "no field 'no_such_field' (capacity_field)"));
    assert_non_null(strstr(e.file, "health.gpkg"));

    assert_int_equal(am_scenario_load_facilities(NULL, NULL, NULL, &f, &e),
                     AM_ERR_INTERNAL);
    assert_null(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_table_and_filter),
        cmocka_unit_test(test_fields_reach_the_loader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
