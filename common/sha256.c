/*
 * sha256.c: SHA-256 written from NIST FIPS 180-4 (2015), sections 4.1.2
 * (functions), 4.2.2 (constants), 5.1.1 (padding), 6.2.2 (computation).
 * Tested against the FIPS 180-4 example vectors ("abc", the 448-bit
 * message, one million 'a').
 *
 * Speed (issue 8): on x86-64 CPUs with the SHA extensions (Intel SHA-NI,
 * AMD since Zen) the blocks go through SHA256RNDS2/SHA256MSG1/SHA256MSG2
 * (Intel, "Intel SHA Extensions", Gulley et al. 2013: two rounds per
 * SHA256RNDS2 on the state held as ABEF and CDGH; the message schedule
 * four words at a time), chosen at run time: 5-8 times the portable
 * code, which hashing a road file and the prepared graph spent most of
 * its time in. Both give the same digest (the same FIPS vectors).
 */
#include "common/sha256.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&        \
    !defined(AM_SHA256_PORTABLE)
#include <cpuid.h>
#include <immintrin.h>
#define AM_SHA_X86 1
#endif

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4, 4.2.2). */
static const uint32_t k_round[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

static void compress(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = ((uint32_t)p[4 * t] << 24) | ((uint32_t)p[4 * t + 1] << 16) |
               ((uint32_t)p[4 * t + 2] << 8) | (uint32_t)p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 =
            rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 =
            rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t big1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + big1 + ch + k_round[t] + w[t];
        uint32_t big0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = big0 + maj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

#ifdef AM_SHA_X86
/* n blocks of p through the SHA extensions. */
__attribute__((target("sha,sse4.1"))) static void
compress_shani(uint32_t h[8], const uint8_t *p, size_t n)
{
    /* big-endian words: reverse the bytes of each 32-bit lane */
    const __m128i swap =
        _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    /* the state as ABEF and CDGH (lanes high to low), as SHA256RNDS2
     * takes it */
    __m128i dcba = _mm_loadu_si128((const __m128i *)(const void *)&h[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(const void *)&h[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    for (; n > 0; n--, p += 64) {
        const __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i w[4]; /* the last 16 message words, 4 per lane group */
        for (int g = 0; g < 16; g++) {
            __m128i m;
            if (g < 4) {
                m = _mm_shuffle_epi8(
                    _mm_loadu_si128(
                        (const __m128i *)(const void *)(p + 16 * g)),
                    swap);
            } else {
                /* W[t..t+3] from W[t-16..t-1] (FIPS 180-4, 6.2.2 step 1) */
                const __m128i w16 = w[g & 3], w12 = w[(g + 1) & 3];
                const __m128i w8 = w[(g + 2) & 3], w4 = w[(g + 3) & 3];
                m = _mm_sha256msg1_epu32(w16, w12);
                m = _mm_add_epi32(m, _mm_alignr_epi8(w4, w8, 4));
                m = _mm_sha256msg2_epu32(m, w4);
            }
            w[g & 3] = m;
            __m128i k = _mm_add_epi32(
                m, _mm_loadu_si128(
                       (const __m128i *)(const void *)&k_round[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
            k = _mm_shuffle_epi32(k, 0x0E);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, k);
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    dcba = _mm_blend_epi16(feba, dchg, 0xF0);
    hgfe = _mm_alignr_epi8(dchg, feba, 8);
    _mm_storeu_si128((__m128i *)(void *)&h[0], dcba);
    _mm_storeu_si128((__m128i *)(void *)&h[4], hgfe);
}

/* CPUID directly (Intel SDM vol. 2A, CPUID: leaf 1 ECX bit 19 is SSE4.1,
 * leaf 7 subleaf 0 EBX bit 29 is SHA): clang 14 does not know "sha" in
 * __builtin_cpu_supports, and the TSan build (issue 13) uses clang. */
static int have_shani(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 19)))
        return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    return (b & (1u << 29)) != 0;
}
#endif

/* n blocks of p. */
static void compress_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
#ifdef AM_SHA_X86
    static int shani = -1; /* racy but idempotent: every thread finds the
                              same value */
    int s = __atomic_load_n(&shani, __ATOMIC_RELAXED);
    if (s < 0) {
        s = have_shani();
        __atomic_store_n(&shani, s, __ATOMIC_RELAXED);
    }
    if (s) {
        compress_shani(h, p, n);
        return;
    }
#endif
    for (; n > 0; n--, p += 64)
        compress(h, p);
}

void am_sha256_init(am_sha256 *c)
{
    /* FIPS 180-4, 5.3.3: square roots of the first 8 primes. */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, h0, sizeof h0);
    c->n_bytes = 0;
    c->block_used = 0;
}

void am_sha256_update(am_sha256 *c, const void *data, size_t n)
{
    const uint8_t *p = data;
    c->n_bytes += n;
    if (c->block_used > 0) {
        size_t take = 64 - c->block_used;
        if (take > n)
            take = n;
        memcpy(c->block + c->block_used, p, take);
        c->block_used += take;
        p += take;
        n -= take;
        if (c->block_used < 64)
            return;
        compress_blocks(c->state, c->block, 1);
        c->block_used = 0;
    }
    if (n >= 64) {
        compress_blocks(c->state, p, n / 64);
        p += n / 64 * 64;
        n %= 64;
    }
    memcpy(c->block, p, n);
    c->block_used = n;
}

void am_sha256_final(am_sha256 *c, uint8_t digest[32])
{
    uint64_t bits = c->n_bytes * 8u;
    uint8_t pad[72] = {0x80};
    size_t pad_len =
        (c->block_used < 56) ? 56 - c->block_used : 120 - c->block_used;
    for (int i = 0; i < 8; i++)
        pad[pad_len + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    uint64_t keep = c->n_bytes;
    am_sha256_update(c, pad, pad_len + 8);
    c->n_bytes = keep;
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(c->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(c->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(c->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)c->state[i];
    }
}

void am_sha256_hex(const uint8_t digest[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}
