/*
 * sig.c: signatures by algorithm, the view the capsule layer and the public
 * API take: COSE numbers, canonical public keys, verify for any kp_key_alg.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "util/error.h"

int cry_alg_cose(kp_key_alg alg)
{
    switch (alg) {
    case KP_ALG_ED25519: return CRY_COSE_ED25519;
    case KP_ALG_P256: return CRY_COSE_ES256;
    case KP_ALG_SECP256K1: return CRY_COSE_ES256K;
    default: return 0;
    }
}

int cry_alg_from_cose(int64_t cose, kp_key_alg *alg, kp_error *err)
{
    kp_key_alg a;
    if (cose == CRY_COSE_ED25519 || cose == CRY_COSE_EDDSA)
        a = KP_ALG_ED25519;
    else if (cose == CRY_COSE_ES256)
        a = KP_ALG_P256;
    else if (cose == CRY_COSE_ES256K)
        a = KP_ALG_SECP256K1;
    else
        return err_set(err, KP_E_SIG_ALG, "COSE algorithm %lld is not supported", (long long)cose);
    *alg = a;
    return KP_OK;
}

size_t cry_alg_pk_bytes(kp_key_alg alg)
{
    switch (alg) {
    case KP_ALG_ED25519: return CRY_ED25519_PK_BYTES;
    case KP_ALG_P256:
    case KP_ALG_SECP256K1: return CRY_ECDSA_PK_BYTES;
    default: return 0;
    }
}

int cry_sig_pk_check(kp_key_alg alg, const uint8_t *pk, size_t pklen, kp_error *err)
{
    switch (alg) {
    case KP_ALG_ED25519:
        if (pklen != CRY_ED25519_PK_BYTES)
            return err_set(err, KP_E_KEY_INVALID, "Ed25519 public key is %zu bytes, not 32", pklen);
        return cry_ed25519_pk_check(pk, err);
    case KP_ALG_P256:
    case KP_ALG_SECP256K1: {
        uint8_t c[CRY_ECDSA_PK_BYTES];
        if (pklen != CRY_ECDSA_PK_BYTES)
            return err_set(err, KP_E_KEY_INVALID,
                           "ECDSA public key is %zu bytes, not the 33 of the compressed form", pklen);
        return cry_ecdsa_pk_compress(alg, c, pk, pklen, err);
    }
    default: return err_set(err, KP_E_SIG_ALG, "no signature algorithm %d", (int)alg);
    }
}

int cry_pk_check_any(const uint8_t *pk, size_t pklen, kp_error *err)
{
    uint8_t c[CRY_ECDSA_PK_BYTES];
    kp_error e1;
    if (pklen == CRY_ED25519_PK_BYTES) return cry_ed25519_pk_check(pk, err);
    if (pklen == CRY_ECDSA_PK_BYTES || pklen == CRY_ECDSA_PK_UNCOMPRESSED_BYTES) {
        /* the two curves share their encodings: a point of either will do */
        if (cry_ecdsa_pk_compress(KP_ALG_P256, c, pk, pklen, &e1) == KP_OK) return KP_OK;
        if (cry_ecdsa_pk_compress(KP_ALG_SECP256K1, c, pk, pklen, &e1) == KP_OK) return KP_OK;
        return err_set(err, KP_E_KEY_INVALID, "%zu bytes that are no point of P-256 or secp256k1",
                       pklen);
    }
    return err_set(err, KP_E_KEY_INVALID,
                   "a public key is 32 bytes (Ed25519), 33 or 65 (ECDSA), not %zu", pklen);
}

int cry_sig_verify(kp_key_alg alg, const uint8_t *pk, size_t pklen, const uint8_t *msg,
                   size_t len, const uint8_t *sig, size_t siglen, kp_error *err)
{
    switch (alg) {
    case KP_ALG_ED25519:
        if (pklen != CRY_ED25519_PK_BYTES)
            return err_set(err, KP_E_KEY_INVALID, "Ed25519 public key is %zu bytes, not 32", pklen);
        if (siglen != CRY_ED25519_SIG_BYTES)
            return err_set(err, KP_E_SIG_MALFORMED, "Ed25519 signature is %zu bytes, not 64", siglen);
        return cry_ed25519_verify(pk, msg, len, sig, err);
    case KP_ALG_P256:
    case KP_ALG_SECP256K1: return cry_ecdsa_verify(alg, pk, pklen, msg, len, sig, siglen, err);
    default: return err_set(err, KP_E_SIG_ALG, "no signature algorithm %d", (int)alg);
    }
}

int kp_sig_verify(kp_key_alg alg, const uint8_t *pk, size_t pklen, const uint8_t *msg,
                  size_t len, const uint8_t *sig, size_t siglen, kp_error *err)
{
    if ((!pk && pklen) || (!msg && len) || (!sig && siglen))
        return err_set(err, KP_E_ARG, "NULL buffer with a non-zero length");
    int rc = cry_init(err);
    if (rc) return rc;
    return cry_sig_verify(alg, pk, pklen, msg, len, sig, siglen, err);
}

const char *kp_key_alg_name(kp_key_alg alg)
{
    switch (alg) {
    case KP_ALG_ED25519: return "ed25519";
    case KP_ALG_P256: return "p256";
    case KP_ALG_SECP256K1: return "secp256k1";
    default: return "none";
    }
}

int kp_key_alg_parse(const char *name, kp_key_alg *alg, kp_error *err)
{
    static const kp_key_alg all[] = {KP_ALG_ED25519, KP_ALG_P256, KP_ALG_SECP256K1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (name && strcmp(name, kp_key_alg_name(all[i])) == 0) {
            *alg = all[i];
            return KP_OK;
        }
    return err_set(err, KP_E_SIG_ALG, "unknown algorithm '%s' (ed25519, p256 or secp256k1)",
                   name ? name : "");
}

int kp_key_alg_cose(kp_key_alg alg)
{
    return cry_alg_cose(alg);
}
