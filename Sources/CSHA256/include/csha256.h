// SHA-256 (FIPS 180-4) in C, behind AEFormats' SHA256: the model fingerprints hash
// megabytes of weights at every tool start, and C stays fast in debug builds.
#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint8_t block[64];
    size_t fill;        // bytes in block
    uint64_t total;     // bytes fed so far
} csha256_context;

void csha256_init(csha256_context *ctx);
void csha256_update(csha256_context *ctx, const uint8_t *bytes, size_t count);
// Pads, processes the last block(s) and writes the 32-byte digest.
void csha256_final(csha256_context *ctx, uint8_t digest[32]);

#endif
