/*
 * test_util.h: small helpers shared by the kernel tests (include after
 * cmocka.h): a double comparison with a tolerance and a seeded
 * splitmix64 generator (each test file has its own state).
 */
#ifndef AM_TEST_UTIL_H
#define AM_TEST_UTIL_H

#include <math.h>
#include <stdint.h>

/* cmocka 1.1's assert_float_equal compares as float: too coarse here. */
#define assert_double_near(a, b, tol)                                          \
    do {                                                                       \
        const double a_ = (a), b_ = (b);                                       \
        if (!(fabs(a_ - b_) <= (tol))) {                                       \
            print_error("%s = %.17g, expected %.17g (tolerance %g)\n", #a, a_, \
                        b_, (double)(tol));                                    \
            fail();                                                            \
        }                                                                      \
    } while (0)

static uint64_t rng_state;

static inline uint64_t rng_next(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double rng_unit(void)
{
    return (double)(rng_next() >> 11) * 0x1p-53;
}

#endif /* AM_TEST_UTIL_H */
