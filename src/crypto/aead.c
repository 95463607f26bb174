/*
 * aead.c: ChaCha20-Poly1305 in its IETF form (RFC 8439: 96-bit nonce,
 * 32-bit block counter), as age and COSE use it; libsodium does the work.
 */
#include <sodium.h>

#include "crypto/crypto.h"
#include "util/error.h"

int cry_aead_encrypt(uint8_t *ct, const uint8_t *pt, size_t len, const uint8_t *ad,
                     size_t adlen, const uint8_t nonce[CRY_CHACHA_NONCE_BYTES],
                     const uint8_t key[CRY_CHACHA_KEY_BYTES], kp_error *err)
{
    /* The IETF variant's 32-bit counter bounds one message to 256 GiB. */
    if (len > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX)
        return err_set(err, KP_E_LIMIT, "message of %zu bytes is too long for one AEAD call", len);
    unsigned long long ctlen;
    crypto_aead_chacha20poly1305_ietf_encrypt(ct, &ctlen, pt, len, ad, adlen, NULL, nonce, key);
    return KP_OK;
}

int cry_aead_decrypt(uint8_t *pt, const uint8_t *ct, size_t ctlen, const uint8_t *ad,
                     size_t adlen, const uint8_t nonce[CRY_CHACHA_NONCE_BYTES],
                     const uint8_t key[CRY_CHACHA_KEY_BYTES], kp_error *err)
{
    if (ctlen < CRY_CHACHA_TAG_BYTES)
        return err_set(err, KP_E_DECRYPT, "ciphertext of %zu bytes is shorter than its tag", ctlen);
    unsigned long long ptlen;
    /* libsodium checks the tag before it writes anything to pt. */
    if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, &ptlen, NULL, ct, ctlen, ad, adlen, nonce,
                                                  key) != 0) {
        cry_wipe(pt, ctlen - CRY_CHACHA_TAG_BYTES);
        return err_set(err, KP_E_DECRYPT, "ChaCha20-Poly1305 tag does not verify");
    }
    return KP_OK;
}
