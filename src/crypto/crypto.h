/*
 * crypto.h: kapsule's primitives, thin and strict wrappers over libsodium
 * (SHA-2, HMAC, ChaCha20-Poly1305, X25519, Ed25519, randomness) and OpenSSL
 * libcrypto (HKDF, ECDSA on P-256 and secp256k1). Nothing here is a
 * hand-written primitive: the job of this layer is to fix sizes, reject
 * every non-canonical or weak input with a stable code, and wipe secrets.
 *
 * Conventions: sizes are macros and appear in array parameters; functions
 * that can fail return KP_OK or a code from the 400..499 range and fill err
 * (which may be NULL); verify functions are KP_NODISCARD; out-parameters
 * are written only on success (a failed sign or decrypt leaves zeros).
 *
 * This header is the only door to libsodium and OpenSSL: it includes
 * neither, so a file outside src/crypto/ cannot reach them by accident
 * (make check-includes refuses a direct include).
 */
#ifndef KP_CRYPTO_CRYPTO_H
#define KP_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"

#define CRY_SHA256_BYTES 32
#define CRY_SHA512_BYTES 64
#define CRY_HMAC_SHA256_BYTES 32
#define CRY_HKDF_SHA256_MAX (255 * 32) /* RFC 5869: at most 255 blocks */
#define CRY_CHACHA_KEY_BYTES 32
#define CRY_CHACHA_NONCE_BYTES 12
#define CRY_CHACHA_TAG_BYTES 16
#define CRY_X25519_BYTES 32 /* public keys, secret keys and shared secrets */
#define CRY_ED25519_SEED_BYTES 32
#define CRY_ED25519_SK_BYTES 64 /* libsodium's expanded form: seed || public */
#define CRY_ED25519_PK_BYTES 32
#define CRY_ED25519_SIG_BYTES 64
#define CRY_ECDSA_SK_BYTES 32
/* SEC1 public keys: compressed (02/03 || x) is the canonical form kapsule
   stores and puts in identities; uncompressed (04 || x || y) is accepted. */
#define CRY_ECDSA_PK_BYTES 33
#define CRY_ECDSA_PK_UNCOMPRESSED_BYTES 65
#define CRY_ECDSA_SIG_BYTES 64     /* raw r || s, 32 bytes each, as COSE uses */
#define CRY_ECDSA_DER_MAX_BYTES 72 /* SEQUENCE of two INTEGERs of up to 33 bytes */
#define CRY_SIG_BYTES 64           /* every algorithm kapsule signs with */
#define CRY_PK_MAX_BYTES 65        /* largest accepted public key encoding */
#define CRY_SK_MAX_BYTES 64

/* Signature algorithms are kp_key_alg (kapsule.h): ED25519, P256, SECP256K1.
   COSE algorithm numbers (RFC 9053, RFC 8812). */
#define CRY_COSE_EDDSA (-8)    /* accepted on input as Ed25519 */
#define CRY_COSE_ED25519 (-19) /* what kapsule writes */
#define CRY_COSE_ES256 (-7)
#define CRY_COSE_ES256K (-47)

/* ---- library state and randomness ---- */

/* Initialises libsodium once; every function below that needs it calls it.
   Returns KP_E_CRYPTO if libsodium cannot start. */
int cry_init(kp_error *err);
/* The one source of randomness in libkapsule (libsodium randombytes_buf).
   Never fails once cry_init has succeeded. */
void cry_random(void *out, size_t n);
/* Wipes n bytes in a way the compiler cannot elide. */
void cry_wipe(void *p, size_t n);
/* 1 when a and b (n bytes each) are equal, in time independent of content. */
int cry_equal(const void *a, const void *b, size_t n);

/* ---- text encodings of bytes (hex.c, base64.c) ---- */

/* Characters cry_hex writes for n bytes, the NUL included. */
#define CRY_HEX_LEN(n) (2 * (size_t)(n) + 1)
/* Lowercase hex of the n bytes at p into out (CRY_HEX_LEN(n) bytes, NUL
   terminated), in time independent of the bytes (keys go through it).
   Returns out. */
char *cry_hex(char *out, const uint8_t *p, size_t n);
/* Whether cry_hex_decode takes 'A'..'F' too: hand-written input may; a
   value kapsule prints has one text, lowercase. */
#define CRY_HEX_LOWER 0
#define CRY_HEX_ANY_CASE 1
/* The bytes of the n hex digits at s into out (outmax bytes). Returns the
   decoded length n / 2, or -1 when n is odd, a character is not a hex
   digit (or upper case under CRY_HEX_LOWER), or n / 2 > outmax; out is
   untouched then. */
long cry_hex_decode(uint8_t *out, size_t outmax, const char *s, size_t n, int any_case);

/* Characters cry_base64 writes for n bytes (padded), the NUL included. */
#define CRY_BASE64_LEN(n) (4 * (((size_t)(n) + 2) / 3) + 1)
/* Standard base64 (RFC 4648 section 4) of n bytes into out, with '='
   padding when padded; out holds CRY_BASE64_LEN(n) bytes, NUL-terminated.
   Returns the length written, the NUL excluded. */
size_t cry_base64(char *out, const uint8_t *p, size_t n, int padded);

/*
 * Canonical base64 (RFC 4648 section 4, zero trailing bits) of the n
 * characters at s into out (outmax bytes): with '=' padding when padded,
 * else none allowed; characters in ignore (may be NULL) are skipped. The
 * alphabet is checked before libsodium decodes (base64.c says why).
 * Returns the decoded length, or -1 when not canonical or too long.
 */
long cry_base64_decode(uint8_t *out, size_t outmax, const char *s, size_t n, int padded,
                       const char *ignore);

/* ---- RFC 9162 tree hashing (merkle.c): the log's and the transcripts' ---- */

/* SHA-256(0x00 || entry). */
void cry_merkle_leaf(const void *entry, size_t len, uint8_t out[CRY_SHA256_BYTES]);
/* SHA-256(0x01 || l || r); out may alias l or r. */
void cry_merkle_node(const uint8_t l[CRY_SHA256_BYTES], const uint8_t r[CRY_SHA256_BYTES],
                     uint8_t out[CRY_SHA256_BYTES]);
/* The empty tree's root: SHA-256 of nothing. */
void cry_merkle_empty(uint8_t out[CRY_SHA256_BYTES]);
/* The largest power of two strictly below n (n >= 2): RFC 9162's k. */
uint64_t cry_merkle_split(uint64_t n);
/* The leaf hash of leaf i, for cry_merkle_root. */
typedef void (*cry_merkle_leaf_fn)(void *ud, uint64_t i, uint8_t out[CRY_SHA256_BYTES]);
/* MTH of n leaves, computed recursively (the log keeps its nodes instead:
   log/tree.c). */
void cry_merkle_root(uint64_t n, cry_merkle_leaf_fn leaf, void *ud, uint8_t out[CRY_SHA256_BYTES]);

/* ---- hashes, MAC, KDF (hash.c) ---- */

void cry_sha256(uint8_t out[CRY_SHA256_BYTES], const void *data, size_t len);
/* Incremental states hold the library's own behind bytes of the same size
   and alignment (hash.c checks both at compile time), so that callers can
   keep one on the stack without seeing libsodium or OpenSSL. */
#define CRY_SHA256_STATE_BYTES 112
#define CRY_HMAC_STATE_BYTES 208
typedef union cry_sha256_ctx {
    uint64_t align;
    unsigned char opaque[CRY_SHA256_STATE_BYTES];
} cry_sha256_ctx;
void cry_sha256_init(cry_sha256_ctx *c);
void cry_sha256_update(cry_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest and wipes the state. */
void cry_sha256_final(cry_sha256_ctx *c, uint8_t out[CRY_SHA256_BYTES]);
void cry_sha512(uint8_t out[CRY_SHA512_BYTES], const void *data, size_t len);

/* HMAC-SHA-256 (RFC 2104) with a key of any length. */
void cry_hmac_sha256(uint8_t out[CRY_HMAC_SHA256_BYTES], const void *key, size_t keylen,
                     const void *data, size_t len);
typedef union cry_hmac_ctx {
    uint64_t align;
    unsigned char opaque[CRY_HMAC_STATE_BYTES];
} cry_hmac_ctx;
void cry_hmac_sha256_init(cry_hmac_ctx *c, const void *key, size_t keylen);
void cry_hmac_sha256_update(cry_hmac_ctx *c, const void *data, size_t len);
void cry_hmac_sha256_final(cry_hmac_ctx *c, uint8_t out[CRY_HMAC_SHA256_BYTES]);

/* SipHash-2-4 (libsodium's crypto_shorthash): a keyed 64-bit hash for hash
   tables that hostile input fills; not a MAC, not collision resistant. */
#define CRY_SHORTHASH_BYTES 8
#define CRY_SHORTHASH_KEY_BYTES 16
void cry_shorthash(uint8_t out[CRY_SHORTHASH_BYTES], const void *data, size_t len,
                   const uint8_t key[CRY_SHORTHASH_KEY_BYTES]);

/*
 * HKDF-SHA-256 (RFC 5869) through OpenSSL's EVP_KDF. extract writes the
 * 32-byte PRK; expand writes outlen (1..CRY_HKDF_SHA256_MAX) bytes from a
 * PRK of at least 32 bytes; hkdf does both. An empty salt means HashLen
 * zeros, as the RFC says. Fail with KP_E_ARG on bad lengths, KP_E_CRYPTO
 * when OpenSSL fails; out holds zeros after a failure.
 */
int cry_hkdf_sha256_extract(uint8_t prk[CRY_SHA256_BYTES], const void *salt, size_t saltlen,
                            const void *ikm, size_t ikmlen, kp_error *err);
int cry_hkdf_sha256_expand(uint8_t *out, size_t outlen, const void *prk, size_t prklen,
                           const void *info, size_t infolen, kp_error *err);
int cry_hkdf_sha256(uint8_t *out, size_t outlen, const void *ikm, size_t ikmlen,
                    const void *salt, size_t saltlen, const void *info, size_t infolen,
                    kp_error *err);

/* ---- ChaCha20-Poly1305, IETF variant of RFC 8439 (aead.c) ---- */

/* ct receives len + CRY_CHACHA_TAG_BYTES bytes (ciphertext || tag); ct may
   equal pt. Fails with KP_E_LIMIT only past libsodium's message bound. */
int cry_aead_encrypt(uint8_t *ct, const uint8_t *pt, size_t len, const uint8_t *ad,
                     size_t adlen, const uint8_t nonce[CRY_CHACHA_NONCE_BYTES],
                     const uint8_t key[CRY_CHACHA_KEY_BYTES], kp_error *err);
/* pt receives ctlen - CRY_CHACHA_TAG_BYTES bytes; pt may equal ct. On a bad
   tag (or ctlen below the tag) returns KP_E_DECRYPT and pt holds zeros. */
KP_NODISCARD int cry_aead_decrypt(uint8_t *pt, const uint8_t *ct, size_t ctlen,
                                  const uint8_t *ad, size_t adlen,
                                  const uint8_t nonce[CRY_CHACHA_NONCE_BYTES],
                                  const uint8_t key[CRY_CHACHA_KEY_BYTES], kp_error *err);

/* ---- X25519 (x25519.c) ---- */

/* A fresh key pair from cry_random. */
void cry_x25519_keygen(uint8_t pk[CRY_X25519_BYTES], uint8_t sk[CRY_X25519_BYTES]);
/* The public key of a secret key (clamped as RFC 7748 says). */
void cry_x25519_public(uint8_t pk[CRY_X25519_BYTES], const uint8_t sk[CRY_X25519_BYTES]);
/* The shared secret; KP_E_KEY_WEAK (and zeros in out) when it is all zero,
   i.e. the peer's key is of small order. */
KP_NODISCARD int cry_x25519(uint8_t out[CRY_X25519_BYTES], const uint8_t sk[CRY_X25519_BYTES],
                            const uint8_t peer[CRY_X25519_BYTES], kp_error *err);

/* ---- Ed25519 (ed25519.c) ---- */

void cry_ed25519_from_seed(uint8_t pk[CRY_ED25519_PK_BYTES], uint8_t sk[CRY_ED25519_SK_BYTES],
                           const uint8_t seed[CRY_ED25519_SEED_BYTES]);
void cry_ed25519_sign(uint8_t sig[CRY_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
                      const uint8_t sk[CRY_ED25519_SK_BYTES]);
/*
 * Strict verification: KP_E_SIG_NONCANONICAL when S is not below the group
 * order L (checked here, whatever libsodium's build options), else
 * KP_E_SIG_INVALID unless libsodium's crypto_sign_verify_detached accepts;
 * in 1.0.18 it also refuses a small-order or non-canonical public key, a
 * small-order R, and (by comparing encodings) a non-canonical R.
 */
KP_NODISCARD int cry_ed25519_verify(const uint8_t pk[CRY_ED25519_PK_BYTES], const uint8_t *msg,
                                    size_t len, const uint8_t sig[CRY_ED25519_SIG_BYTES],
                                    kp_error *err);
/* KP_E_KEY_INVALID unless pk is the canonical encoding of a point on the
   curve in the prime-order subgroup (no small-order or mixed-order keys).
   Costs about one scalar multiplication: call it when a key enters. */
KP_NODISCARD int cry_ed25519_pk_check(const uint8_t pk[CRY_ED25519_PK_BYTES], kp_error *err);

/* ---- ECDSA on P-256 (ES256) and secp256k1 (ES256K), SHA-256 (ecdsa.c) ---- */

/* alg is KP_ALG_P256 or KP_ALG_SECP256K1 (else KP_E_SIG_ALG). */
/* A secret scalar in [1, n-1] drawn from cry_random, and its public key. */
int cry_ecdsa_keygen(kp_key_alg alg, uint8_t sk[CRY_ECDSA_SK_BYTES],
                     uint8_t pk[CRY_ECDSA_PK_BYTES], kp_error *err);
/* The compressed public key of sk; KP_E_KEY_INVALID unless 1 <= sk < n. */
int cry_ecdsa_public(kp_key_alg alg, uint8_t pk[CRY_ECDSA_PK_BYTES],
                     const uint8_t sk[CRY_ECDSA_SK_BYTES], kp_error *err);
/* Signs SHA-256(msg); the signature is raw r || s with s <= n/2 (low-S). */
int cry_ecdsa_sign(kp_key_alg alg, uint8_t sig[CRY_ECDSA_SIG_BYTES], const uint8_t *msg,
                   size_t len, const uint8_t sk[CRY_ECDSA_SK_BYTES], kp_error *err);
/*
 * Verifies a raw r || s signature over SHA-256(msg). pk is SEC1 compressed
 * (33 bytes) or uncompressed (65). Codes: KP_E_KEY_INVALID (length, prefix,
 * not on the curve), KP_E_SIG_MALFORMED (siglen not 64, r or s zero or not
 * below n), KP_E_SIG_HIGH_S (s > n/2), KP_E_SIG_INVALID.
 */
KP_NODISCARD int cry_ecdsa_verify(kp_key_alg alg, const uint8_t *pk, size_t pklen,
                                  const uint8_t *msg, size_t len, const uint8_t *sig,
                                  size_t siglen, kp_error *err);
/* Parses a SEC1 public key (33 or 65 bytes; the hybrid 06/07 forms and the
   point at infinity are refused) into its compressed form. */
int cry_ecdsa_pk_compress(kp_key_alg alg, uint8_t out[CRY_ECDSA_PK_BYTES], const uint8_t *pk,
                          size_t pklen, kp_error *err);
/* The same point, uncompressed (04 || x || y), for peers that want it. */
int cry_ecdsa_pk_uncompress(kp_key_alg alg, uint8_t out[CRY_ECDSA_PK_UNCOMPRESSED_BYTES],
                            const uint8_t *pk, size_t pklen, kp_error *err);
/* Raw r || s <-> DER ECDSA-Sig-Value. from_der accepts only strict DER (the
   re-encoding must give the same bytes) with r and s of at most 32 bytes:
   KP_E_SIG_MALFORMED otherwise. to_der writes *derlen bytes. */
int cry_ecdsa_sig_from_der(uint8_t sig[CRY_ECDSA_SIG_BYTES], const uint8_t *der, size_t derlen,
                           kp_error *err);
int cry_ecdsa_sig_to_der(uint8_t der[CRY_ECDSA_DER_MAX_BYTES], size_t *derlen,
                         const uint8_t sig[CRY_ECDSA_SIG_BYTES], kp_error *err);

/* ---- by algorithm (sig.c): what the capsule layer calls ---- */

/* The COSE algorithm number kapsule writes for alg (0 for KP_ALG_NONE). */
int cry_alg_cose(kp_key_alg alg);
/* The algorithm of a COSE number (-8 and -19 are Ed25519); KP_E_SIG_ALG
   for any other number. */
int cry_alg_from_cose(int64_t cose, kp_key_alg *alg, kp_error *err);
/* Length of alg's canonical public key (32 Ed25519, 33 ECDSA); 0 if none. */
size_t cry_alg_pk_bytes(kp_key_alg alg);
/*
 * Checks that pk is alg's canonical public key encoding and a valid, full
 * order key (what an identity or a capsule's author key must be):
 * KP_E_KEY_INVALID or KP_E_SIG_ALG otherwise. For Ed25519 this costs about
 * as much as a verification (a subgroup check), so run it when a key is
 * first taken in, not on every verify: cry_sig_verify already refuses
 * small-order and non-canonical keys on its own.
 */
KP_NODISCARD int cry_sig_pk_check(kp_key_alg alg, const uint8_t *pk, size_t pklen,
                                  kp_error *err);
/*
 * A public key whose algorithm is known only by its length (ledger
 * accounts, policy keys): 32 bytes must be an Ed25519 key of prime order
 * (no small-order or mixed-order point, which anyone can "sign" for or
 * nobody can), 33 or 65 a point of P-256 or secp256k1. KP_E_KEY_INVALID
 * otherwise.
 */
KP_NODISCARD int cry_pk_check_any(const uint8_t *pk, size_t pklen, kp_error *err);
/* Verifies sig over msg for alg (see cry_ed25519_verify, cry_ecdsa_verify;
   an Ed25519 key or signature of the wrong length is KP_E_KEY_INVALID or
   KP_E_SIG_MALFORMED). */
KP_NODISCARD int cry_sig_verify(kp_key_alg alg, const uint8_t *pk, size_t pklen,
                                const uint8_t *msg, size_t len, const uint8_t *sig,
                                size_t siglen, kp_error *err);

#endif
