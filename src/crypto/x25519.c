/*
 * x25519.c: X25519 (RFC 7748) key pairs and exchange from libsodium, with
 * the all-zero shared secret (a small-order peer key) refused, as age
 * requires and as contributory behaviour needs.
 */
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/error.h"

void cry_x25519_keygen(uint8_t pk[CRY_X25519_BYTES], uint8_t sk[CRY_X25519_BYTES])
{
    cry_random(sk, CRY_X25519_BYTES);
    cry_x25519_public(pk, sk);
}

void cry_x25519_public(uint8_t pk[CRY_X25519_BYTES], const uint8_t sk[CRY_X25519_BYTES])
{
    (void)cry_init(NULL);
    /* Cannot fail for the base point: the result is never the zero point. */
    (void)crypto_scalarmult_base(pk, sk);
}

int cry_x25519(uint8_t out[CRY_X25519_BYTES], const uint8_t sk[CRY_X25519_BYTES],
               const uint8_t peer[CRY_X25519_BYTES], kp_error *err)
{
    uint8_t s[CRY_X25519_BYTES];
    (void)cry_init(NULL);
    /* libsodium already returns -1 for an all-zero result; the explicit
       test keeps the rule here whatever the library version does. */
    int bad = crypto_scalarmult(s, sk, peer) != 0;
    bad |= sodium_is_zero(s, sizeof s);
    if (bad) {
        cry_wipe(s, sizeof s);
        cry_wipe(out, CRY_X25519_BYTES);
        return err_set(err, KP_E_KEY_WEAK, "X25519 peer key is of small order (all-zero secret)");
    }
    memcpy(out, s, sizeof s);
    cry_wipe(s, sizeof s);
    return KP_OK;
}
