/*
 * hash.c: SHA-256 from OpenSSL, SHA-512, HMAC-SHA-256 and SipHash from
 * libsodium; HKDF-SHA-256 from OpenSSL's EVP_KDF (libsodium 1.0.18 has no
 * HKDF).
 *
 * SHA-256 is the hash of every id, log leaf and transcript entry, most of
 * them a hundred bytes or so: OpenSSL's (SHA-NI or AVX2 code chosen at run
 * time) takes 180 ns for 65 bytes where libsodium's portable C takes 690
 * (bench figures in the closing note of issue 18). Its SHA256_* functions
 * are deprecated in OpenSSL 3 in favour of EVP, whose context is heap
 * allocated; they are still the fastest path and the only one that fits a
 * caller's stack state, so they are used here, and here only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/error.h"

/* The opaque states of crypto.h must hold libsodium's: a newer libsodium
   with a larger state fails the build here instead of overrunning. */
_Static_assert(sizeof(SHA256_CTX) <= CRY_SHA256_STATE_BYTES &&
                   _Alignof(SHA256_CTX) <= _Alignof(cry_sha256_ctx),
               "cry_sha256_ctx does not fit OpenSSL's SHA-256 state");
_Static_assert(sizeof(crypto_auth_hmacsha256_state) == CRY_HMAC_STATE_BYTES &&
                   _Alignof(crypto_auth_hmacsha256_state) <= _Alignof(cry_hmac_ctx),
               "cry_hmac_ctx does not fit libsodium's HMAC-SHA-256 state");

/* Only the libraries' code reads these bytes as their state; the callers
   never look inside. */
static SHA256_CTX *sha256_state(cry_sha256_ctx *c)
{
    return (SHA256_CTX *)(void *)c->opaque;
}

static crypto_auth_hmacsha256_state *hmac_state(cry_hmac_ctx *c)
{
    return (crypto_auth_hmacsha256_state *)(void *)c->opaque;
}

void cry_sha256(uint8_t out[CRY_SHA256_BYTES], const void *data, size_t len)
{
    cry_sha256_ctx c;
    cry_sha256_init(&c);
    cry_sha256_update(&c, data, len);
    cry_sha256_final(&c, out);
}

void cry_sha256_init(cry_sha256_ctx *c)
{
    SHA256_Init(sha256_state(c));
}

void cry_sha256_update(cry_sha256_ctx *c, const void *data, size_t len)
{
    /* a NULL pointer with length 0 is fine by the callers' contract, but
       not by UBSan's or memcpy's */
    if (len) SHA256_Update(sha256_state(c), data, len);
}

void cry_sha256_final(cry_sha256_ctx *c, uint8_t out[CRY_SHA256_BYTES])
{
    SHA256_Final(out, sha256_state(c));
    cry_wipe(c, sizeof *c);
}

void cry_sha512(uint8_t out[CRY_SHA512_BYTES], const void *data, size_t len)
{
    crypto_hash_sha512(out, data, len);
}

void cry_hmac_sha256(uint8_t out[CRY_HMAC_SHA256_BYTES], const void *key, size_t keylen,
                     const void *data, size_t len)
{
    cry_hmac_ctx c;
    cry_hmac_sha256_init(&c, key, keylen);
    cry_hmac_sha256_update(&c, data, len);
    cry_hmac_sha256_final(&c, out);
}

void cry_hmac_sha256_init(cry_hmac_ctx *c, const void *key, size_t keylen)
{
    crypto_auth_hmacsha256_init(hmac_state(c), key, keylen);
}

void cry_hmac_sha256_update(cry_hmac_ctx *c, const void *data, size_t len)
{
    crypto_auth_hmacsha256_update(hmac_state(c), data, len);
}

void cry_hmac_sha256_final(cry_hmac_ctx *c, uint8_t out[CRY_HMAC_SHA256_BYTES])
{
    crypto_auth_hmacsha256_final(hmac_state(c), out);
    cry_wipe(c, sizeof *c); /* holds the padded key */
}

void cry_shorthash(uint8_t out[CRY_SHORTHASH_BYTES], const void *data, size_t len,
                   const uint8_t key[CRY_SHORTHASH_KEY_BYTES])
{
    _Static_assert(crypto_shorthash_BYTES == CRY_SHORTHASH_BYTES &&
                       crypto_shorthash_KEYBYTES == CRY_SHORTHASH_KEY_BYTES,
                   "SipHash-2-4 sizes");
    crypto_shorthash(out, data, len, key);
}

/* One EVP_KDF derivation in the given HKDF mode. OpenSSL copies the key,
   salt and info into its context and clears them when the context goes. */
static int hkdf_run(int mode, uint8_t *out, size_t outlen, const void *key, size_t keylen,
                    const void *salt, size_t saltlen, const void *info, size_t infolen,
                    kp_error *err)
{
    static const uint8_t empty[1];
    int rc = KP_E_CRYPTO;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (!ctx) goto fail;
    OSSL_PARAM params[6];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                    (void *)(keylen ? key : empty), keylen);
    /* An absent salt is HashLen zeros (RFC 5869 2.2), which is what an empty
       HMAC key amounts to; OpenSSL treats an omitted salt that way. */
    if (saltlen)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
                                                        saltlen);
    if (infolen)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                                        infolen);
    params[n] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, outlen, params) != 1) goto fail;
    rc = KP_OK;
fail:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (rc) {
        cry_wipe(out, outlen);
        return err_set(err, rc, "HKDF-SHA-256 failed in OpenSSL");
    }
    return KP_OK;
}

int cry_hkdf_sha256_extract(uint8_t prk[CRY_SHA256_BYTES], const void *salt, size_t saltlen,
                            const void *ikm, size_t ikmlen, kp_error *err)
{
    uint8_t tmp[CRY_SHA256_BYTES];
    int rc = hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, tmp, sizeof tmp, ikm, ikmlen, salt,
                      saltlen, NULL, 0, err);
    if (rc == KP_OK) memcpy(prk, tmp, sizeof tmp);
    cry_wipe(tmp, sizeof tmp);
    return rc;
}

int cry_hkdf_sha256_expand(uint8_t *out, size_t outlen, const void *prk, size_t prklen,
                           const void *info, size_t infolen, kp_error *err)
{
    if (outlen == 0 || outlen > CRY_HKDF_SHA256_MAX)
        return err_set(err, KP_E_ARG, "HKDF output of %zu bytes (1..%d allowed)", outlen,
                       CRY_HKDF_SHA256_MAX);
    if (prklen < CRY_SHA256_BYTES)
        return err_set(err, KP_E_ARG, "HKDF PRK of %zu bytes (at least 32)", prklen);
    return hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, out, outlen, prk, prklen, NULL, 0, info,
                    infolen, err);
}

int cry_hkdf_sha256(uint8_t *out, size_t outlen, const void *ikm, size_t ikmlen,
                    const void *salt, size_t saltlen, const void *info, size_t infolen,
                    kp_error *err)
{
    if (outlen == 0 || outlen > CRY_HKDF_SHA256_MAX)
        return err_set(err, KP_E_ARG, "HKDF output of %zu bytes (1..%d allowed)", outlen,
                       CRY_HKDF_SHA256_MAX);
    return hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, out, outlen, ikm, ikmlen, salt,
                    saltlen, info, infolen, err);
}
