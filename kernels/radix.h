/*
 * radix.h: stable least-significant-digit radix sort of unsigned keys,
 * each with an optional int32 payload. Private to kernels/: the Hilbert
 * order (order.c), a search's reached nodes (search.c) and the weighted
 * median (measures.c) all sort with it.
 *
 * 8-bit digits; a digit that is equal in every key is skipped (so 20-bit
 * node ids take three passes, whatever the key width). Each pass counts
 * and scatters contiguous chunks of the input, one per thread, the chunks
 * in order: every pass is stable, so the result is the unique (key, input
 * position) order for any thread count. n <= AM_RADIX_SMALL: a stable
 * insertion sort instead (cheaper than counting).
 *
 * key_tmp / val_tmp: scratch of n entries (val_tmp unused when val is
 * NULL). hist: scratch of nt * AM_RADIX_DIGITS counters. nt <= 1 runs on
 * the calling thread with no OpenMP region (callable inside one); nt > 1
 * opens a parallel region of up to nt threads.
 * Returns 0 when the sorted result is in (key, val), 1 when it is in
 * (key_tmp, val_tmp). No allocation.
 */
#ifndef AM_RADIX_H
#define AM_RADIX_H

#include <stdint.h>

#define AM_RADIX_DIGITS 256
#define AM_RADIX_SMALL 32

int am_radix_sort_u32(int64_t n, uint32_t *key, int32_t *val, uint32_t *key_tmp,
                      int32_t *val_tmp, int nt, int64_t *hist);

int am_radix_sort_u64(int64_t n, uint64_t *key, int32_t *val, uint64_t *key_tmp,
                      int32_t *val_tmp, int nt, int64_t *hist);

#endif /* AM_RADIX_H */
