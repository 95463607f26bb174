/*
 * ed25519.c: Ed25519 (RFC 8032) from libsodium, made strict.
 *
 * What libsodium 1.0.18's crypto_sign_verify_detached refuses (built
 * without ED25519_COMPAT, as Debian's is): S >= L, a small-order R, a
 * non-canonical or small-order public key A; R is compared by encoding, so
 * a non-canonical R never matches. It checks [S]B = R + [k]A without the
 * cofactor. What we add: the S < L test ourselves (a distinct code, and
 * independence from build options), and cry_ed25519_pk_check for keys as
 * they enter kapsule: canonical, on the curve, in the prime-order subgroup
 * (so no mixed-order keys either, which the verify equation would accept).
 */
#include <sodium.h>

#include "crypto/crypto.h"
#include "util/error.h"

/* The group order L = 2^252 + 27742317777372353535851937790883648493,
   little-endian, as it appears in S. */
static const uint8_t order_l[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* 1 when the little-endian scalar s is below L. S is public: no need for
   constant time. */
static int scalar_is_canonical(const uint8_t s[32])
{
    for (int i = 31; i >= 0; i--) {
        if (s[i] < order_l[i]) return 1;
        if (s[i] > order_l[i]) return 0;
    }
    return 0; /* equal to L */
}

void cry_ed25519_from_seed(uint8_t pk[CRY_ED25519_PK_BYTES], uint8_t sk[CRY_ED25519_SK_BYTES],
                           const uint8_t seed[CRY_ED25519_SEED_BYTES])
{
    (void)cry_init(NULL);
    crypto_sign_seed_keypair(pk, sk, seed);
}

void cry_ed25519_sign(uint8_t sig[CRY_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
                      const uint8_t sk[CRY_ED25519_SK_BYTES])
{
    (void)cry_init(NULL);
    crypto_sign_detached(sig, NULL, msg, len, sk);
}

int cry_ed25519_verify(const uint8_t pk[CRY_ED25519_PK_BYTES], const uint8_t *msg, size_t len,
                       const uint8_t sig[CRY_ED25519_SIG_BYTES], kp_error *err)
{
    if (!scalar_is_canonical(sig + 32))
        return err_set(err, KP_E_SIG_NONCANONICAL, "Ed25519 signature S is not below the group order");
    (void)cry_init(NULL);
    if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
        return err_set(err, KP_E_SIG_INVALID, "Ed25519 signature does not verify");
    return KP_OK;
}

int cry_ed25519_pk_check(const uint8_t pk[CRY_ED25519_PK_BYTES], kp_error *err)
{
    (void)cry_init(NULL);
    if (!crypto_core_ed25519_is_valid_point(pk))
        return err_set(err, KP_E_KEY_INVALID,
                       "Ed25519 public key is not a canonical point of prime order");
    return KP_OK;
}
