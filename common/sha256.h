/*
 * sha256.h: SHA-256 (NIST FIPS 180-4), used to fingerprint input files so
 * that an output records exactly which data produced it.
 * Pure computation; thread-safe per context; no allocation.
 */
#ifndef AM_SHA256_H
#define AM_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct am_sha256 {
    uint32_t state[8];
    uint64_t n_bytes;
    uint8_t block[64];
    size_t block_used;
} am_sha256;

void am_sha256_init(am_sha256 *c);
void am_sha256_update(am_sha256 *c, const void *data, size_t n);
/* Writes the 32-byte digest. */
void am_sha256_final(am_sha256 *c, uint8_t digest[32]);
/* Writes the digest as 64 lower-case hex digits and a NUL. */
void am_sha256_hex(const uint8_t digest[32], char hex[65]);

#endif /* AM_SHA256_H */
