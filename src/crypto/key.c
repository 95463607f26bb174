/*
 * key.c: identities in memory (kp_key): generation from cry_random,
 * signing, the accessors of kapsule.h, and wiping on free.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/age.h"
#include "crypto/key.h"
#include "util/alloc.h"
#include "util/error.h"

int cry_key_from_secrets(kp_key_alg alg, const uint8_t *sign_secret,
                         const uint8_t x_sk[CRY_X25519_BYTES], kp_key **out, kp_error *err)
{
    int rc = cry_init(err);
    if (rc) return rc;
    if (alg != KP_ALG_NONE && !sign_secret)
        return err_set(err, KP_E_ARG, "a %s key needs its signing secret", kp_key_alg_name(alg));
    kp_key *k = mem_calloc(1, sizeof *k);
    if (!k) return err_set(err, KP_E_NOMEM, "out of memory for a key");
    k->alg = alg;
    switch (alg) {
    case KP_ALG_NONE: break;
    case KP_ALG_ED25519:
        cry_ed25519_from_seed(k->sign_pk, k->sign_sk, sign_secret);
        k->sign_pk_len = CRY_ED25519_PK_BYTES;
        break;
    case KP_ALG_P256:
    case KP_ALG_SECP256K1:
        if ((rc = cry_ecdsa_public(alg, k->sign_pk, sign_secret, err))) goto fail;
        memcpy(k->sign_sk, sign_secret, CRY_ECDSA_SK_BYTES);
        k->sign_pk_len = CRY_ECDSA_PK_BYTES;
        break;
    default: rc = err_set(err, KP_E_SIG_ALG, "no signature algorithm %d", (int)alg); goto fail;
    }
    memcpy(k->x_sk, x_sk, CRY_X25519_BYTES);
    cry_x25519_public(k->x_pk, k->x_sk);
    *out = k;
    return KP_OK;
fail:
    kp_key_free(k);
    return rc;
}

int kp_key_generate(kp_key_alg alg, kp_key **out, kp_error *err)
{
    uint8_t sign[32], x[CRY_X25519_BYTES], pk[CRY_ECDSA_PK_BYTES];
    int rc = cry_init(err);
    if (rc) return rc;
    switch (alg) {
    case KP_ALG_ED25519: cry_random(sign, sizeof sign); break;
    case KP_ALG_P256:
    case KP_ALG_SECP256K1:
        if ((rc = cry_ecdsa_keygen(alg, sign, pk, err))) return rc;
        break;
    default:
        return err_set(err, KP_E_SIG_ALG, "cannot generate a key for algorithm '%s'",
                       kp_key_alg_name(alg));
    }
    cry_random(x, sizeof x);
    rc = cry_key_from_secrets(alg, sign, x, out, err);
    cry_wipe(sign, sizeof sign);
    cry_wipe(x, sizeof x);
    return rc;
}

void kp_key_free(kp_key *key)
{
    if (!key) return;
    cry_wipe(key, sizeof *key);
    mem_free(key, sizeof *key);
}

const uint8_t *cry_key_sign_secret(const kp_key *k)
{
    /* libsodium's Ed25519 secret starts with the seed. */
    return k->alg == KP_ALG_NONE ? NULL : k->sign_sk;
}

void cry_key_set_name(kp_key *k, const char *name)
{
    snprintf(k->name, sizeof k->name, "%s", name);
}

int cry_key_age_decrypt(const kp_key *k, const uint8_t *in, size_t len, size_t max_out, buf *out,
                        kp_error *err)
{
    return cry_age_decrypt(k->x_sk, in, len, max_out, out, err);
}

const char *kp_key_name(const kp_key *key)
{
    return key->name;
}

kp_key_alg kp_key_get_alg(const kp_key *key)
{
    return key->alg;
}

const uint8_t *kp_key_public(const kp_key *key, size_t *len)
{
    *len = key->sign_pk_len;
    return key->sign_pk_len ? key->sign_pk : NULL;
}

const uint8_t *kp_key_x25519_public(const kp_key *key)
{
    return key->x_pk;
}

int kp_key_sign(const kp_key *key, const uint8_t *msg, size_t len, uint8_t sig[KP_SIG_BYTES],
                kp_error *err)
{
    if (!msg && len) return err_set(err, KP_E_ARG, "NULL message with a non-zero length");
    switch (key->alg) {
    case KP_ALG_ED25519: cry_ed25519_sign(sig, msg, len, key->sign_sk); return KP_OK;
    case KP_ALG_P256:
    case KP_ALG_SECP256K1: return cry_ecdsa_sign(key->alg, sig, msg, len, key->sign_sk, err);
    default:
        return err_set(err, KP_E_KEY_NO_SIGN, "key '%s' is receive-only and cannot sign",
                       key->name);
    }
}

void kp_key_age_recipient(const kp_key *key, char out[KP_AGE_RECIPIENT_BYTES])
{
    cry_age_recipient_format(out, key->x_pk);
}

void kp_key_age_secret(const kp_key *key, char out[KP_AGE_SECRET_BYTES])
{
    cry_age_identity_format(out, key->x_sk);
}

int kp_key_export(const kp_key *key, int secret, char **out, size_t *len, kp_error *err)
{
    return cry_keyfile_write(key, secret, out, len, err);
}

void kp_key_text_free(char *text, size_t len)
{
    if (!text) return;
    cry_wipe(text, len + 1);
    mem_free(text, len + 1);
}
