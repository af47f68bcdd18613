#ifndef GOSSIP_CBORINGAEAD_SHIM_H
#define GOSSIP_CBORINGAEAD_SHIM_H

// BoringSSL's AEAD interface (include/openssl/aead.h), as swift-crypto builds it on Linux: its
// copy of BoringSSL prefixes every symbol with `CCryptoBoringSSL_`, and GossipCore, which
// depends on swift-crypto's Crypto, links that copy into every binary. swift-crypto does not
// export these functions as a product, so they are declared here, as BoringSSL declares them
// (the two types are opaque: only pointers to them cross). What this buys: an AEAD context made
// once per link direction instead of one per frame inside `ChaChaPoly.seal`/`open`, and no
// generic, allocating wrapper around each call (docs/benchmarks.md, "Cost of security").
// Should a swift-crypto release rename these symbols, the link fails; it cannot call the wrong thing.

// The sizes (32-byte key, 12-byte nonce, 16-byte tag) are ChaCha20-Poly1305's (RFC 8439) and
// `ChaChaPolyContext`'s keySize, nonceSize and tagSize.

#include <stddef.h>
#include <stdint.h>

typedef struct evp_aead_st GOSSIP_EVP_AEAD;
typedef struct evp_aead_ctx_st GOSSIP_EVP_AEAD_CTX;

extern const GOSSIP_EVP_AEAD *CCryptoBoringSSL_EVP_aead_chacha20_poly1305(void);
extern GOSSIP_EVP_AEAD_CTX *CCryptoBoringSSL_EVP_AEAD_CTX_new(
    const GOSSIP_EVP_AEAD *aead, const uint8_t *key, size_t key_len, size_t tag_len);
extern void CCryptoBoringSSL_EVP_AEAD_CTX_free(GOSSIP_EVP_AEAD_CTX *ctx);
extern int CCryptoBoringSSL_EVP_AEAD_CTX_seal(
    const GOSSIP_EVP_AEAD_CTX *ctx, uint8_t *out, size_t *out_len, size_t max_out_len,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
    const uint8_t *ad, size_t ad_len);
extern int CCryptoBoringSSL_EVP_AEAD_CTX_open(
    const GOSSIP_EVP_AEAD_CTX *ctx, uint8_t *out, size_t *out_len, size_t max_out_len,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
    const uint8_t *ad, size_t ad_len);

/// A ChaCha20-Poly1305 context (RFC 8439, 16-byte tag) for a 32-byte key; NULL if BoringSSL
/// refused the key or could not allocate.
/// The wrappers take untyped pointers, so Swift hands over raw buffers without binding memory.
static inline GOSSIP_EVP_AEAD_CTX *gossip_chachapoly_new(const void *key) {
    return CCryptoBoringSSL_EVP_AEAD_CTX_new(CCryptoBoringSSL_EVP_aead_chacha20_poly1305(), (const uint8_t *)key, 32, 16);
}

static inline void gossip_chachapoly_free(GOSSIP_EVP_AEAD_CTX *ctx) {
    CCryptoBoringSSL_EVP_AEAD_CTX_free(ctx);
}

/// Seals `in` (`in_len` bytes) with the 12-byte `nonce`, authenticating `ad`; writes the
/// ciphertext and the 16-byte tag (`in_len + 16` bytes) to `out`. 1 on success.
static inline int gossip_chachapoly_seal(
    const GOSSIP_EVP_AEAD_CTX *ctx, void *out, const void *nonce, const void *in, size_t in_len,
    const void *ad, size_t ad_len) {
    size_t written = 0;
    int ok = CCryptoBoringSSL_EVP_AEAD_CTX_seal(
        ctx, (uint8_t *)out, &written, in_len + 16, (const uint8_t *)nonce, 12, (const uint8_t *)in, in_len,
        (const uint8_t *)ad, ad_len);
    return ok == 1 && written == in_len + 16;
}

/// Opens `in` (ciphertext and tag, `in_len` >= 16 bytes) with the 12-byte `nonce`, checking `ad`
/// with it; writes the `in_len - 16` plaintext bytes to `out`. 1 if the tag matched. `out` may be
/// `in` itself (BoringSSL allows exact aliasing, not a partial overlap). On failure BoringSSL
/// zeroes those `in_len - 16` bytes of `out`: a frame that does not open leaves no unauthenticated
/// plaintext behind.
static inline int gossip_chachapoly_open(
    const GOSSIP_EVP_AEAD_CTX *ctx, void *out, const void *nonce, const void *in, size_t in_len,
    const void *ad, size_t ad_len) {
    if (in_len < 16) return 0;
    size_t written = 0;
    int ok = CCryptoBoringSSL_EVP_AEAD_CTX_open(
        ctx, (uint8_t *)out, &written, in_len - 16, (const uint8_t *)nonce, 12, (const uint8_t *)in, in_len,
        (const uint8_t *)ad, ad_len);
    return ok == 1 && written == in_len - 16;
}

#endif
