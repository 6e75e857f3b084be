/*
 * test_polygon.c: geo/polygon, the exact point-in-polygon of speed zones.
 *
 * Hand-checked cases (holes, multipolygon parts, the boundary rule on
 * edges and vertices, shared edges), an oracle test (the indexed answer
 * equals a plain loop over every edge of every polygon, for thousands of
 * random points and star-shaped polygons with many vertices) and a
 * determinism test (1 and 4 threads give the same values).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "geo/polygon.h"

#define AM_PI 3.14159265358979323846

/* A square [x0, x1] x [y0, y1] as a ring of 5 vertices (closed),
 * counter-clockwise or clockwise. */
static void square(double x0, double y0, double x1, double y1, int cw,
                   double *x, double *y)
{
    const double sx[5] = {x0, x1, x1, x0, x0};
    const double sy[5] = {y0, y0, y1, y1, y0};
    for (int i = 0; i < 5; i++) {
        x[i] = sx[cw ? 4 - i : i];
        y[i] = sy[cw ? 4 - i : i];
    }
}

static am_polygons *finished(am_polygons *ps)
{
    am_error e;
    assert_int_equal(am_polygons_finish(ps, &e), AM_OK);
    return ps;
}

static void test_hole(void **state)
{
    (void)state;
    am_polygons *ps = NULL;
    am_error e;
    double x[10], y[10];
    square(0, 0, 4, 4, 0, x, y);
    square(1, 1, 3, 3, 0, x + 5, y + 5); /* same orientation: still a hole */
    const int64_t sizes[2] = {5, 5};
    int added = 0;
    assert_int_equal(am_polygons_create(&ps, &e), AM_OK);
    assert_int_equal(am_polygons_add(ps, 2, sizes, x, y, 0.5, &added, &e),
                     AM_OK);
    assert_int_equal(added, 1);
    finished(ps);
    assert_int_equal(am_polygons_count(ps), 1);
    assert_true(am_polygons_contains(ps, 0, 0.5, 0.5));
    assert_true(am_polygons_contains(ps, 0, 3.5, 2.0));
    assert_false(am_polygons_contains(ps, 0, 2.0, 2.0)); /* in the hole */
    assert_false(am_polygons_contains(ps, 0, 5.0, 2.0));
    assert_false(am_polygons_contains(ps, 0, -0.1, 2.0));
    am_polygons_destroy(ps);
}

/* A multipolygon is one polygon per part: overlapping parts stay inside. */
static void test_multipolygon_parts(void **state)
{
    (void)state;
    am_polygons *ps = NULL;
    am_error e;
    double x[5], y[5];
    const int64_t five = 5;
    assert_int_equal(am_polygons_create(&ps, &e), AM_OK);
    square(0, 0, 2, 2, 0, x, y);
    assert_int_equal(am_polygons_add(ps, 1, &five, x, y, 0.7, NULL, &e), AM_OK);
    square(1, 1, 3, 3, 1, x, y);
    assert_int_equal(am_polygons_add(ps, 1, &five, x, y, 0.7, NULL, &e), AM_OK);
    finished(ps);
    const double px[4] = {0.5, 1.5, 2.5, 2.5};
    const double py[4] = {0.5, 1.5, 2.5, 0.5};
    double v[4];
    am_polygons_min_value(ps, 4, px, py, 1, v);
    assert_true(v[0] == 0.7 && v[1] == 0.7 && v[2] == 0.7);
    assert_true(isnan(v[3]));
    am_polygons_destroy(ps);
}

/* The documented boundary rule on an axis-aligned box. */
static void test_boundary_rule(void **state)
{
    (void)state;
    am_polygons *ps = NULL;
    am_error e;
    double x[5], y[5];
    const int64_t five = 5;
    for (int cw = 0; cw < 2; cw++) {
        assert_int_equal(am_polygons_create(&ps, &e), AM_OK);
        square(0, 0, 1, 1, cw, x, y);
        assert_int_equal(am_polygons_add(ps, 1, &five, x, y, 1, NULL, &e),
                         AM_OK);
        finished(ps);
        /* west and south edges inside, east and north outside */
        assert_true(am_polygons_contains(ps, 0, 0.0, 0.5));
        assert_false(am_polygons_contains(ps, 0, 1.0, 0.5));
        assert_true(am_polygons_contains(ps, 0, 0.5, 0.0));
        assert_false(am_polygons_contains(ps, 0, 0.5, 1.0));
        /* vertices: only the south-west corner */
        assert_true(am_polygons_contains(ps, 0, 0.0, 0.0));
        assert_false(am_polygons_contains(ps, 0, 1.0, 0.0));
        assert_false(am_polygons_contains(ps, 0, 0.0, 1.0));
        assert_false(am_polygons_contains(ps, 0, 1.0, 1.0));
        am_polygons_destroy(ps);
    }
}

/*
 * A point on an edge two polygons share is in exactly one of them: a
 * convex polygon cut into a fan of triangles around an inner point, with
 * irrational-looking coordinates, and points on the shared spokes
 * (computed, so not exactly representable on them: either side is fine,
 * but never both nor neither).
 */
static void test_shared_edges(void **state)
{
    (void)state;
    am_polygons *ps = NULL;
    am_error e;
    enum { K = 7 };
    const double cx = 0.3141592653589793, cy = -0.2718281828459045;
    double vx[K], vy[K];
    for (int k = 0; k < K; k++) {
        vx[k] = cx + cos(2 * AM_PI * k / K + 0.1) * (1.0 + 0.1 * k);
        vy[k] = cy + sin(2 * AM_PI * k / K + 0.1) * (1.0 + 0.1 * k);
    }
    assert_int_equal(am_polygons_create(&ps, &e), AM_OK);
    for (int k = 0; k < K; k++) {
        const double x[3] = {cx, vx[k], vx[(k + 1) % K]};
        const double y[3] = {cy, vy[k], vy[(k + 1) % K]};
        const int64_t three = 3;
        assert_int_equal(am_polygons_add(ps, 1, &three, x, y, 1, NULL, &e),
                         AM_OK);
    }
    finished(ps);
    for (int k = 0; k < K; k++)
        for (int s = 1; s < 50; s++) {
            const double t = s / 50.0;
            const double px = cx + t * (vx[k] - cx);
            const double py = cy + t * (vy[k] - cy);
            int count = 0;
            for (int p = 0; p < K; p++)
                count += am_polygons_contains(ps, p, px, py);
            assert_int_equal(count, 1);
        }
    /* the spokes' end points themselves (polygon vertices) too */
    for (int k = 0; k < K; k++) {
        int count = 0;
        const double px = (vx[k] + cx) / 2, py = (vy[k] + cy) / 2;
        for (int p = 0; p < K; p++)
            count += am_polygons_contains(ps, p, px, py);
        assert_int_equal(count, 1);
    }
    am_polygons_destroy(ps);
}

static void test_bad_input(void **state)
{
    (void)state;
    am_polygons *ps = NULL;
    am_error e;
    const double x[4] = {0, 1, NAN, 0}, y[4] = {0, 0, 1, 0};
    const int64_t four = 4, two = 2;
    int added = 1;
    assert_int_equal(am_polygons_create(&ps, &e), AM_OK);
    assert_int_equal(am_polygons_add(ps, 1, &four, x, y, 1, &added, &e),
                     AM_ERR_INVALID);
    assert_int_equal(added, 0);
    /* a ring of 2 vertices is not a ring: nothing added */
    assert_int_equal(am_polygons_add(ps, 1, &two, x, y, 1, &added, &e), AM_OK);
    assert_int_equal(added, 0);
    finished(ps);
    assert_int_equal(am_polygons_count(ps), 0);
    double v = 0;
    const double px = 0.5, py = 0.1;
    am_polygons_min_value(ps, 1, &px, &py, 1, &v);
    assert_true(isnan(v));
    am_polygons_destroy(ps);
    am_polygons_destroy(NULL);
}

/* ---- oracle and determinism ----------------------------------------- */

static uint64_t rng = 88172645463325252ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* The plain even-odd test over all edges of polygon p (its rings as
 * added), with the same half-open rule and edge order. */
static int brute_contains(int64_t n_rings, const int64_t *sizes,
                          const double *x, const double *y, double px,
                          double py)
{
    int in = 0;
    int64_t first = 0;
    for (int64_t r = 0; r < n_rings; first += sizes[r], r++) {
        for (int64_t i = 0; i < sizes[r]; i++) {
            const int64_t j = i + 1 < sizes[r] ? i + 1 : 0;
            double x0 = x[first + i], y0 = y[first + i];
            double x1 = x[first + j], y1 = y[first + j];
            if (y0 == y1)
                continue;
            if (y0 > y1) {
                double t = x0;
                x0 = x1;
                x1 = t;
                t = y0;
                y0 = y1;
                y1 = t;
            }
            if (y0 <= py && py < y1 &&
                px < x0 + (py - y0) * (x1 - x0) / (y1 - y0))
                in ^= 1;
        }
    }
    return in;
}

enum { NP = 300, NV_MAX = 400, NQ = 20000 };

static void test_oracle_and_threads(void **state)
{
    (void)state;
    am_polygons *ps = NULL;
    am_error e;
    /* star-shaped polygons (a ring of NV vertices at random radii around
     * a centre), some with a star-shaped hole, on a 100 x 100 area */
    double *px = am_alloc_array(NP * 2 * NV_MAX, sizeof *px);
    double *py = am_alloc_array(NP * 2 * NV_MAX, sizeof *py);
    int64_t *sizes = am_alloc_array(NP * 2, sizeof *sizes);
    int64_t *rings = am_alloc_array(NP, sizeof *rings);
    double *value = am_alloc_array(NP, sizeof *value);
    assert_non_null(px);
    assert_non_null(py);
    assert_non_null(sizes);
    assert_non_null(rings);
    assert_non_null(value);
    assert_int_equal(am_polygons_create(&ps, &e), AM_OK);
    for (int p = 0; p < NP; p++) {
        const double cx = urand() * 100, cy = urand() * 100;
        const double rad = 0.5 + urand() * (p % 50 == 0 ? 40 : 5);
        const int nv = 3 + (int)(urand() * (NV_MAX - 3));
        double *x = px + (size_t)p * 2 * NV_MAX,
               *y = py + (size_t)p * 2 * NV_MAX;
        for (int i = 0; i < nv; i++) {
            const double a = 2 * AM_PI * i / nv, r = rad * (0.5 + urand());
            x[i] = cx + r * cos(a);
            y[i] = cy + r * sin(a);
        }
        sizes[2 * p] = nv;
        rings[p] = 1;
        if (p % 3 == 0) { /* a hole inside the inner radius */
            const int nh = 3 + (int)(urand() * 20);
            for (int i = 0; i < nh; i++) {
                const double a = -2 * AM_PI * i / nh,
                             r = rad * 0.4 * (0.2 + 0.8 * urand());
                x[nv + i] = cx + r * cos(a);
                y[nv + i] = cy + r * sin(a);
            }
            sizes[2 * p + 1] = nh;
            rings[p] = 2;
        }
        value[p] = 0.1 + (p % 17) * 0.05;
        int added = 0;
        assert_int_equal(am_polygons_add(ps, (int32_t)rings[p], sizes + 2 * p,
                                         x, y, value[p], &added, &e),
                         AM_OK);
        assert_int_equal(added, 1);
    }
    finished(ps);
    double *qx = am_alloc_array(NQ, sizeof *qx);
    double *qy = am_alloc_array(NQ, sizeof *qy);
    double *v1 = am_alloc_array(NQ, sizeof *v1);
    double *v4 = am_alloc_array(NQ, sizeof *v4);
    assert_non_null(qx);
    assert_non_null(qy);
    assert_non_null(v1);
    assert_non_null(v4);
    for (int i = 0; i < NQ; i++) {
        qx[i] = urand() * 110 - 5;
        qy[i] = urand() * 110 - 5;
    }
    /* some queries exactly on vertices */
    for (int i = 0; i < 200; i++) {
        const int p = i % NP;
        qx[i] = px[(size_t)p * 2 * NV_MAX + 1];
        qy[i] = py[(size_t)p * 2 * NV_MAX + 1];
    }
    am_polygons_min_value(ps, NQ, qx, qy, 1, v1);
    am_polygons_min_value(ps, NQ, qx, qy, 4, v4);
    assert_memory_equal(v1, v4, NQ * sizeof *v1);
    int64_t hits = 0;
    for (int i = 0; i < NQ; i++) {
        double best = NAN;
        for (int p = 0; p < NP; p++) {
            const int b = brute_contains(
                rings[p], sizes + 2 * p, px + (size_t)p * 2 * NV_MAX,
                py + (size_t)p * 2 * NV_MAX, qx[i], qy[i]);
            assert_int_equal(b, am_polygons_contains(ps, p, qx[i], qy[i]));
            if (b && (isnan(best) || value[p] < best))
                best = value[p];
        }
        if (isnan(best))
            assert_true(isnan(v1[i]));
        else
            assert_true(v1[i] == best);
        hits += !isnan(best);
    }
    assert_true(hits > NQ / 10); /* the test exercises both answers */
    am_free(qx);
    am_free(qy);
    am_free(v1);
    am_free(v4);
    am_free(px);
    am_free(py);
    am_free(sizes);
    am_free(rings);
    am_free(value);
    am_polygons_destroy(ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hole),
        cmocka_unit_test(test_multipolygon_parts),
        cmocka_unit_test(test_boundary_rule),
        cmocka_unit_test(test_shared_edges),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_oracle_and_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
