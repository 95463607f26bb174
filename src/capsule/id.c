/*
 * id.c: capsule and module ids (domain-separated SHA-256), their hex form,
 * and the text form of author keys ("ed25519:<hex>").
 */
#include <string.h>

#include "capsule/capsule.h"
#include "crypto/crypto.h"
#include "util/error.h"

/* The prefixes include their terminating NUL: "kapsule-capsule-v1" || 0x00. */
static const char capsule_prefix[] = "kapsule-capsule-v1";
static const char module_prefix[] = "kapsule-module-v1";

static void domain_hash(const char *prefix, size_t plen, const uint8_t *p, size_t n,
                        uint8_t id[KP_ID_BYTES])
{
    cry_sha256_ctx c;
    cry_sha256_init(&c);
    cry_sha256_update(&c, prefix, plen);
    cry_sha256_update(&c, p, n);
    cry_sha256_final(&c, id);
}

void capsule_id(const uint8_t *map, size_t len, uint8_t id[KP_ID_BYTES])
{
    domain_hash(capsule_prefix, sizeof capsule_prefix, map, len, id);
}

void kp_module_id(const uint8_t *wasm, size_t len, uint8_t id[KP_ID_BYTES])
{
    domain_hash(module_prefix, sizeof module_prefix, wasm, len, id);
}

/* Lowercase hex only, exactly 2 * n digits, so that a value has one text. */
static int unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
    return slen == 2 * n && cry_hex_decode(out, n, s, slen, CRY_HEX_LOWER) == (long)n;
}

void kp_id_format(const uint8_t id[KP_ID_BYTES], char out[KP_ID_HEX_BYTES])
{
    cry_hex(out, id, KP_ID_BYTES);
}

int kp_id_parse(const char *s, uint8_t id[KP_ID_BYTES], kp_error *err)
{
    uint8_t tmp[KP_ID_BYTES];
    size_t n = s ? strnlen(s, 2 * KP_ID_BYTES + 1) : 0;
    if (!s || !unhex(s, n, tmp, KP_ID_BYTES))
        return err_set(err, KP_E_CAPSULE_ID, "'%.80s' is not an id (64 lowercase hex digits)",
                       s ? s : "");
    memcpy(id, tmp, KP_ID_BYTES);
    return KP_OK;
}

int kp_key_id_format(kp_key_alg alg, const uint8_t *pk, size_t pklen, char out[KP_KEY_ID_MAX],
                     kp_error *err)
{
    size_t want = cry_alg_pk_bytes(alg);
    if (!want) return err_set(err, KP_E_SIG_ALG, "no signature algorithm %d", (int)alg);
    if (!pk || pklen != want)
        return err_set(err, KP_E_KEY_INVALID, "%s public key is %zu bytes, not %zu",
                       kp_key_alg_name(alg), pklen, want);
    const char *name = kp_key_alg_name(alg);
    size_t nl = strlen(name);
    /* fits: the longest name, "secp256k1", with 33 bytes is KP_KEY_ID_MAX - 1 */
    memcpy(out, name, nl);
    out[nl] = ':';
    cry_hex(out + nl + 1, pk, pklen);
    return KP_OK;
}

int kp_key_id_parse(const char *s, kp_key_alg *alg, uint8_t pk[KP_PK_MAX_BYTES], size_t *pklen,
                    kp_error *err)
{
    if (!s) return err_set(err, KP_E_ARG, "no key text");
    const char *colon = strchr(s, ':');
    char name[16];
    size_t nl = colon ? (size_t)(colon - s) : 0;
    if (!colon || nl >= sizeof name)
        return err_set(err, KP_E_KEY_INVALID, "'%.80s' is not ALG:HEX (e.g. ed25519:8207...)", s);
    memcpy(name, s, nl);
    name[nl] = 0;
    kp_key_alg a;
    int rc = kp_key_alg_parse(name, &a, err);
    if (rc) return rc;
    uint8_t tmp[KP_PK_MAX_BYTES];
    size_t want = cry_alg_pk_bytes(a);
    if (!unhex(colon + 1, strnlen(colon + 1, 2 * KP_PK_MAX_BYTES + 1), tmp, want))
        return err_set(err, KP_E_KEY_INVALID,
                       "%s key must be %zu bytes as %zu lowercase hex digits", name, want,
                       2 * want);
    /* A key taken in from text (a policy, a query) gets the full check once. */
    if ((rc = cry_init(err)) || (rc = cry_sig_pk_check(a, tmp, want, err))) return rc;
    memcpy(pk, tmp, want);
    *alg = a;
    *pklen = want;
    return KP_OK;
}
