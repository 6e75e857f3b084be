/*
 * radix.c: stable LSD radix sort (see radix.h).
 *
 * Each pass: every chunk counts its digits; one prefix sum, digit-major
 * then chunk-minor, gives each (chunk, digit) its first output slot; every
 * chunk scatters its entries in input order. That is a stable counting
 * sort (Knuth, TAOCP vol. 3, 5.2.5), the same output for any chunking.
 * One implementation (radix_impl.h), included for 32 and 64-bit keys.
 */
#include "kernels/radix.h"

#include <omp.h>
#include <string.h>

#define RADIX_MASK (AM_RADIX_DIGITS - 1)

/* Chunk c of nch over [0, n). */
static inline void chunk_of(int64_t n, int c, int nch, int64_t *lo, int64_t *hi)
{
    *lo = n * c / nch;
    *hi = n * (c + 1) / nch;
}

/* Turns per-chunk counts hist[c][d] into first output slots. */
static void prefix_slots(int64_t *hist, int nch)
{
    int64_t at = 0;
    for (int d = 0; d < AM_RADIX_DIGITS; d++)
        for (int c = 0; c < nch; c++) {
            const int64_t k = hist[(size_t)c * AM_RADIX_DIGITS + d];
            hist[(size_t)c * AM_RADIX_DIGITS + d] = at;
            at += k;
        }
}

#define RADIX_KT uint32_t
#define RADIX_FN(name) name##_u32
#include "kernels/radix_impl.h"
#undef RADIX_KT
#undef RADIX_FN

#define RADIX_KT uint64_t
#define RADIX_FN(name) name##_u64
#include "kernels/radix_impl.h"
#undef RADIX_KT
#undef RADIX_FN
