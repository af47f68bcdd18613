#ifndef GOSSIP_CBORINGSHA256_SHIM_H
#define GOSSIP_CBORINGSHA256_SHIM_H

// BoringSSL's one-shot SHA-256 (include/openssl/sha.h), as swift-crypto's copy of BoringSSL names
// it (prefixed `CCryptoBoringSSL_`; CBoringAEAD's shim.h says why it is linked into every binary).
// What this buys: swift-crypto's `SHA256` allocates a digest context object per hash, and every
// item a node takes is hashed once (`ItemBinding`); this hashes on the stack. Should a
// swift-crypto release rename the symbol, the link fails; it cannot call the wrong thing.

#include <stddef.h>
#include <stdint.h>

extern uint8_t *CCryptoBoringSSL_SHA256(const uint8_t *data, size_t len, uint8_t out[32]);

/// SHA-256 of the `len` bytes at `data`, written to the 32 bytes at `out`.
/// The wrapper takes untyped pointers, so Swift hands over raw buffers without binding memory.
static inline void gossip_sha256(const void *data, size_t len, void *out) {
    CCryptoBoringSSL_SHA256((const uint8_t *)data, len, (uint8_t *)out);
}

#endif
