/*
 * test_grid.c: cell centres, extents and the north-up test (geo/grid.h),
 * on hand-computed grids and on the geotransform of a real raster (GPW
 * São Miguel, whose corners gdalinfo reports).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "geo/grid.h"

static void test_centres_north_up(void **state)
{
    (void)state;
    /* 4 x 3 cells of 10 x 10 m, top-left corner at (100, 500). */
    am_grid g = {4, 3, {100.0, 10.0, 0.0, 500.0, 0.0, -10.0}};
    double x, y;
    am_grid_cell_center(&g, 0, 0, &x, &y);
    assert_float_equal(x, 105.0, 0.0);
    assert_float_equal(y, 495.0, 0.0);
    am_grid_cell_center(&g, 2, 1, &x, &y);
    assert_float_equal(x, 125.0, 0.0);
    assert_float_equal(y, 485.0, 0.0);
    am_grid_cell_center(&g, 3, 2, &x, &y);
    assert_float_equal(x, 135.0, 0.0);
    assert_float_equal(y, 475.0, 0.0);
    assert_true(am_grid_is_north_up(&g));
}

static void test_extent_north_up(void **state)
{
    (void)state;
    am_grid g = {4, 3, {100.0, 10.0, 0.0, 500.0, 0.0, -10.0}};
    double x0, y0, x1, y1;
    am_grid_extent(&g, &x0, &y0, &x1, &y1);
    assert_float_equal(x0, 100.0, 0.0);
    assert_float_equal(y0, 470.0, 0.0);
    assert_float_equal(x1, 140.0, 0.0);
    assert_float_equal(y1, 500.0, 0.0);

    /* South-up (positive height): min/max still ordered. */
    am_grid s = {2, 2, {0.0, 1.0, 0.0, 10.0, 0.0, 2.0}};
    am_grid_extent(&s, &x0, &y0, &x1, &y1);
    assert_float_equal(x0, 0.0, 0.0);
    assert_float_equal(y0, 10.0, 0.0);
    assert_float_equal(x1, 2.0, 0.0);
    assert_float_equal(y1, 14.0, 0.0);
}

static void test_rotated(void **state)
{
    (void)state;
    /* x = p + 0.5 l, y = 0.25 p - l: corners (0,0), (4,1), (1,-2), (5,-1). */
    am_grid g = {4, 2, {0.0, 1.0, 0.5, 0.0, 0.25, -1.0}};
    assert_false(am_grid_is_north_up(&g));
    double x, y;
    am_grid_cell_center(&g, 1, 0, &x, &y); /* p = 1.5, l = 0.5 */
    assert_float_equal(x, 1.75, 1e-15);
    assert_float_equal(y, -0.125, 1e-15);
    double x0, y0, x1, y1;
    am_grid_extent(&g, &x0, &y0, &x1, &y1);
    assert_float_equal(x0, 0.0, 0.0);
    assert_float_equal(y0, -2.0, 0.0);
    assert_float_equal(x1, 5.0, 0.0);
    assert_float_equal(y1, 1.0, 0.0);
}

static void test_real_gpw_grid(void **state)
{
    (void)state;
    /* gdalinfo of tests/data/sao_miguel_gpw/gpw_v411_2020_count_2020.tif:
     * Origin = (-25.900000000000063,37.999999999999936), Pixel Size =
     * (0.008333333333333,-0.008333333333333), 96 x 48; corners
     * (-25.9, 38.0) and (-25.1, 37.6). */
    am_grid g = {96,
                 48,
                 {-25.900000000000063, 0.008333333333333, 0.0,
                  37.999999999999936, 0.0, -0.008333333333333}};
    double x0, y0, x1, y1;
    am_grid_extent(&g, &x0, &y0, &x1, &y1);
    assert_float_equal(x0, -25.9, 1e-9);
    assert_float_equal(y0, 37.6, 1e-9);
    assert_float_equal(x1, -25.1, 1e-9);
    assert_float_equal(y1, 38.0, 1e-9);
    double x, y;
    am_grid_cell_center(&g, 95, 47, &x, &y);
    assert_float_equal(x, -25.1 - 0.5 / 120.0, 1e-9);
    assert_float_equal(y, 37.6 + 0.5 / 120.0, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_centres_north_up),
        cmocka_unit_test(test_extent_north_up),
        cmocka_unit_test(test_rotated),
        cmocka_unit_test(test_real_gpw_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
