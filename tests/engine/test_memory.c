/*
 * test_memory.c: the memory estimate and the --max-memory size parser
 * (engine/memory.h, am_parse_size in engine/accessim.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include <accessim.h>
#include "engine/memory.h"

static void test_parse_size_ok(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_true(am_parse_size("8G", &v));
    assert_true(v == (uint64_t)8 << 30);
    assert_true(am_parse_size("500M", &v));
    assert_true(v == (uint64_t)500 << 20);
    assert_true(am_parse_size("500MiB", &v));
    assert_true(v == (uint64_t)500 << 20);
    assert_true(am_parse_size("64kB", &v));
    assert_true(v == (uint64_t)64 << 10);
    assert_true(am_parse_size("1.5G", &v));
    assert_true(v == (uint64_t)3 << 29);
    assert_true(am_parse_size(".5G", &v));
    assert_true(v == (uint64_t)1 << 29);
    assert_true(am_parse_size("8g", &v)); /* units in either case */
    assert_true(v == (uint64_t)8 << 30);
    assert_true(am_parse_size("2T", &v));
    assert_true(v == (uint64_t)2 << 40);
}

static void test_parse_size_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "0",
                         "0G",
                         "-1G",
                         "+1G",
                         "0x10",
                         "1e9",
                         "G",
                         "1.G",
                         ".",
                         " 1G",
                         "1G ",
                         "1 G",
                         "10X",
                         "1GG",
                         "1Gb",
                         "8",       /* a unit is required */
                         "1048576", /* (a byte count is a slip) */
                         "1.5",
                         "8B",
                         "99999999999999999999",
                         "20000000000T"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 7;
        if (am_parse_size(bad[i], &v))
            fail_msg("'%s' accepted", bad[i]);
        assert_true(v == 7); /* untouched */
    }
    assert_false(am_parse_size(NULL, NULL));
}

static void test_estimate_parts(void **state)
{
    (void)state;
    am_memory_inputs in = {1000, 2000, 0, 1 << 20, 1, 1, 0,
                           0,    0,    0, 0,       0, 0, 0};
    am_memory_estimate a = am_memory_estimate_run(&in);
    /* rasters go by strips: the grid costs per column and per row only */
    assert_true(a.grid == (2u * 64u * 8u + 8u) * 1000u + 8u * 2000u);
    assert_true(a.cells == 0);
    assert_true(a.network == 24u << 20);
    assert_true(a.total == a.base + a.network + a.grid + a.cells + a.output);
    /* populated cells only add */
    in.n_cells = 100000;
    am_memory_estimate b = am_memory_estimate_run(&in);
    assert_true(b.grid == a.grid);
    assert_true(b.cells > 100000u * 100u);
    assert_true(b.output > a.output);
    assert_true(b.total > a.total);
    /* more sets and measures cost more per cell */
    in.n_sets = 3;
    in.n_measures = 4;
    am_memory_estimate c = am_memory_estimate_run(&in);
    assert_true(c.cells > b.cells && c.output > b.output);
    /* issue 9, the surface: a piece of a strip being snapped (68 bytes a
       cell; 64 rows of 1,000 cells fit in AM_SURFACE_STRIP_CELLS) and,
       per set, up to 4 bytes a raster cell in the file */
    in.surface = 1;
    am_memory_estimate d = am_memory_estimate_run(&in);
    assert_true(d.grid == c.grid + 64u * 68u * 1000u);
    assert_true(d.output == c.output + 3u * 4u * 1000u * 2000u);
    assert_true(d.cells == c.cells);
    /* issue 9: a capacity_coverage measure holds its split per cell (24
       bytes), its two sums (16) and three more rasters (4 each), per set */
    in.surface = 0;
    in.n_cover_measures = 2;
    am_memory_estimate d2 = am_memory_estimate_run(&in);
    assert_true(d2.cells + d2.output ==
                c.cells + c.output + 100000u * 3u * 2u * (40u + 12u));
}

/*
 * Issue 9: GDAL's block cache under the cap: 10 % of it, at least 8 MiB,
 * never above GDAL's own limit; and in the estimate, up to what the
 * rasters read through it can fill.
 */
static void test_gdal_cache(void **state)
{
    (void)state;
    const uint64_t MiB = (uint64_t)1 << 20, dflt = 1200 * MiB;
    assert_true(am_memory_gdal_cache(2048 * MiB, dflt) ==
                2048 * MiB / 100 * 10);
    assert_true(am_memory_gdal_cache(145 * MiB, dflt) == 145 * MiB / 100 * 10);
    /* the floor, and the floor above a small cap */
    assert_true(am_memory_gdal_cache(50 * MiB, dflt) == 8 * MiB);
    assert_true(am_memory_gdal_cache(1 * MiB, dflt) == 8 * MiB);
    /* never above GDAL's own limit, nor its floor above it */
    assert_true(am_memory_gdal_cache(64000 * MiB, dflt) == dflt);
    assert_true(am_memory_gdal_cache(50 * MiB, 4 * MiB) == 4 * MiB);
    /* no cap: GDAL's own */
    assert_true(am_memory_gdal_cache(0, dflt) == dflt);
    /* no overflow near the top */
    assert_true(am_memory_gdal_cache(UINT64_MAX, UINT64_MAX) ==
                UINT64_MAX / 100 * 10);

    am_memory_inputs in;
    memset(&in, 0, sizeof in);
    in.nx = 1000;
    in.ny = 2000;
    in.n_sets = 1;
    in.n_measures = 1;
    const am_memory_estimate none = am_memory_estimate_run(&in);
    assert_true(none.gdal_cache == 0);
    /* a raster of 8 MB decoded under a 100 MiB cache: 8 MB counted */
    in.gdal_cache = 100 * MiB;
    in.raster_bytes = 8000000;
    am_memory_estimate a = am_memory_estimate_run(&in);
    assert_true(a.gdal_cache == 8000000);
    assert_true(a.total == none.total + 8000000);
    /* a huge sparse settlement raster: the limit counted */
    in.raster_bytes = (uint64_t)1 << 40;
    a = am_memory_estimate_run(&in);
    assert_true(a.gdal_cache == 100 * MiB);
    assert_true(a.total == a.base + a.network + a.grid + a.cells + a.output +
                               a.gdal_cache);
}

static void test_estimate_huge_saturates(void **state)
{
    (void)state;
    /* a 100,000 x 100,000 raster costs its strips, not its grid */
    am_memory_inputs in = {100000, 100000, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    am_memory_estimate e = am_memory_estimate_run(&in);
    assert_true(e.grid < (uint64_t)128 << 20); /* not 80 GB */
    /* absurd sizes saturate rather than wrap */
    am_memory_inputs big = {
        INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, 1000,      1000, 1,
        1000,      1000,      INT64_MAX, 1000,      INT64_MAX, 0,    0};
    assert_true(am_memory_estimate_run(&big).total == UINT64_MAX);
    am_memory_inputs neg = {-5, 10, -3, -1, -1, -1, 0,
                            -1, -1, -1, -1, -1, 0,  0};
    assert_true(am_memory_estimate_run(&neg).network == 0);
    assert_true(am_memory_estimate_run(&neg).grid == 8u * 10u);
}

/* Issue 9, facility tiers: a combined indicator costs 4 bytes per
 * populated cell held and 4 written, and its cross-tab (256 rows of 104
 * bytes); the referral searches 8 bytes per graph node (once, whatever
 * the number of higher sets) and 48 per referral row; the surface 8 per
 * graph node. The cap then allows fewer populated cells. */
static void test_estimate_tiers(void **state)
{
    (void)state;
    am_memory_inputs in = {1000, 2000, 100000, 1 << 20, 3, 2, 0,
                           0,    0,    0,      0,       0, 0, 0};
    const am_memory_estimate a = am_memory_estimate_run(&in);
    in.n_combined = 2;
    const am_memory_estimate b = am_memory_estimate_run(&in);
    assert_true(b.cells == a.cells + 2u * 4u * 100000u);
    assert_true(b.output == a.output + 2u * 4u * 100000u);
    assert_true(b.network == a.network + 2u * 256u * 104u);
    assert_true(b.grid == a.grid);
    /* nodes alone cost nothing: no referral, no surface */
    in.graph_nodes = 1000000;
    const am_memory_estimate c = am_memory_estimate_run(&in);
    assert_true(c.total == b.total);
    in.n_referral_sets = 1;
    const am_memory_estimate d = am_memory_estimate_run(&in);
    assert_true(d.network == c.network + 8u * 1000000u);
    in.n_referral_sets = 2; /* one pair of node arrays, reused */
    assert_true(am_memory_estimate_run(&in).network == d.network);
    in.referral_rows = 5000;
    const am_memory_estimate e = am_memory_estimate_run(&in);
    assert_true(e.network == d.network + 48u * 5000u);
    assert_true(e.total == e.base + e.network + e.grid + e.cells + e.output);
    in.surface = 1;
    const am_memory_estimate f = am_memory_estimate_run(&in);
    assert_true(f.network == e.network + 8u * 1000000u);
    /* the cap: fewer cells with combined indicators, and those fit */
    in.surface = 0;
    const uint64_t cap = (uint64_t)1 << 30;
    in.n_cells = 0;
    const int64_t n2 = am_memory_max_cells(&in, cap);
    in.n_combined = 0;
    const int64_t n0 = am_memory_max_cells(&in, cap);
    assert_true(n2 < n0);
    in.n_combined = 2;
    in.n_cells = n2;
    assert_true(am_memory_estimate_run(&in).total <= cap);
    in.n_cells = n2 + 1;
    assert_true(am_memory_estimate_run(&in).total > cap - 1024);
}

/* Issue 9, the surface's pieces of strips: whole rows, at most the cap's
 * cells, one row at least, never more than the strip; the estimate
 * follows them, so a raster 100,000 cells wide costs ~1M cells of scratch
 * (68 MiB), not a strip of 64 rows (6.4M cells, 435 MB). */
static void test_surface_strip_rows(void **state)
{
    (void)state;
    const int64_t cap = AM_SURFACE_STRIP_CELLS;
    assert_int_equal(cap, 1048576);
    assert_int_equal(am_surface_strip_rows(1000, 64, cap), 64);
    assert_int_equal(am_surface_strip_rows(16384, 64, cap), 64);
    assert_int_equal(am_surface_strip_rows(16385, 64, cap), 63);
    assert_int_equal(am_surface_strip_rows(100000, 64, cap), 10);
    assert_int_equal(am_surface_strip_rows(100000, 7, cap), 7);
    assert_int_equal(am_surface_strip_rows(2000000, 64, cap), 1);
    assert_int_equal(am_surface_strip_rows(INT64_MAX, 64, cap), 1);
    assert_int_equal(am_surface_strip_rows(40, 64, 1), 1);
    assert_int_equal(am_surface_strip_rows(40, 64, 140), 3);
    assert_int_equal(am_surface_strip_rows(0, 0, 0), 1);
    for (int64_t nx = 1; nx < 3000000; nx = nx * 3 + 1) {
        const int32_t r = am_surface_strip_rows(nx, 64, cap);
        assert_true(r >= 1 && r <= 64);
        assert_true(r == 1 || (int64_t)r * nx <= cap);
        assert_true(r == 64 || (int64_t)(r + 1) * nx > cap);
    }
    am_memory_inputs in = {100000, 100000, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint64_t plain = am_memory_estimate_run(&in).grid;
    in.surface = 1;
    assert_true(am_memory_estimate_run(&in).grid ==
                plain + 10u * 100000u * 68u);
    in.nx = 3000000; /* one row, over the cap */
    in.surface = 0;
    const uint64_t wide = am_memory_estimate_run(&in).grid;
    in.surface = 1;
    assert_true(am_memory_estimate_run(&in).grid == wide + 3000000u * 68u);
}

/* The populated cells the cap allows: the estimate with that many cells
 * fits, one more per-cell cost would not; a cap below the fixed part
 * allows 1 (the reader then stops at the first cell). */
static void test_max_cells(void **state)
{
    (void)state;
    am_memory_inputs in = {1576, 1270, 0, 3377401, 1, 1, 0,
                           0,    0,    0, 0,       0, 0, 0};
    const uint64_t cap = (uint64_t)1 << 30;
    int64_t n = am_memory_max_cells(&in, cap);
    assert_true(n > 1000000);
    in.n_cells = n;
    assert_true(am_memory_estimate_run(&in).total <= cap);
    in.n_cells = n + 1;
    assert_true(am_memory_estimate_run(&in).total > cap - 1024);
    in.n_cells = 0;
    assert_int_equal(am_memory_max_cells(&in, 1), 1);
}

/* Issue 9, matrix runs: the pairs add AM_MEMORY_MATRIX_PAIR_BYTES each
 * on top of the zones' part; huge inputs saturate. */
static void test_estimate_matrix(void **state)
{
    (void)state;
    uint64_t zones = am_memory_estimate_matrix(898, 898, 0, 9);
    assert_true(zones > ((uint64_t)32 << 20));
    assert_true(zones < ((uint64_t)33 << 20));
    assert_true(am_memory_estimate_matrix(898, 898, 748437, 9) ==
                zones + 748437u * AM_MEMORY_MATRIX_PAIR_BYTES);
    assert_true(am_memory_estimate_matrix(898, 898, 0, 10) > zones);
    assert_true(am_memory_estimate_matrix(INT32_MAX, INT32_MAX, INT64_MAX,
                                          INT32_MAX) == UINT64_MAX);
}

/* issue 10: the selection's plan, by hand, and its saturation */
static void test_selection_plan(void **state)
{
    (void)state;
    /* 10 candidates x (100 entries x (6 + 4) + 50 pairs x 16) + 4 x 1000 */
    assert_true(am_memory_selection(10, 100, 50, 1, 1000) ==
                10 * (1000 + 800) + 4000);
    assert_true(am_memory_selection(10, 100, 50, 0, 1000) ==
                10 * (1200 + 800) + 4000);
    assert_true(am_memory_selection(0, 100, 50, 1, 0) == 0);
    assert_true(am_memory_selection(-5, -1, NAN, 1, -1) == 0);
    assert_true(am_memory_selection(INT64_MAX, 1e12, 1e12, 0, INT64_MAX) ==
                UINT64_MAX);
}

static void test_format_bytes(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(am_format_bytes(812, buf, sizeof buf), "812 bytes");
    assert_string_equal(am_format_bytes((uint64_t)3 << 29, buf, sizeof buf),
                        "1.5 GiB");
    assert_string_equal(am_format_bytes((uint64_t)10 << 20, buf, sizeof buf),
                        "10.0 MiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size_ok),
        cmocka_unit_test(test_parse_size_refused),
        cmocka_unit_test(test_estimate_parts),
        cmocka_unit_test(test_gdal_cache),
        cmocka_unit_test(test_estimate_huge_saturates),
        cmocka_unit_test(test_estimate_matrix),
        cmocka_unit_test(test_max_cells),
        cmocka_unit_test(test_surface_strip_rows),
        cmocka_unit_test(test_estimate_tiers),
        cmocka_unit_test(test_format_bytes),
        cmocka_unit_test(test_selection_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
