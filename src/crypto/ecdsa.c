/*
 * ecdsa.c: ECDSA with SHA-256 on P-256 (COSE ES256) and secp256k1 (ES256K)
 * through OpenSSL 3's EVP and EC_GROUP interfaces (no deprecated EC_KEY).
 *
 * Signatures are raw r || s (32 bytes each, as COSE carries them); OpenSSL
 * speaks DER, so we convert at this boundary. Malleability is closed by
 * low-S: signing always returns s <= n/2 and verification refuses s > n/2
 * with its own code. Public keys are SEC1 points; compressed is canonical.
 * The message digest is libsodium's SHA-256 and OpenSSL signs that digest,
 * so kapsule has one SHA-256. OpenSSL draws the ECDSA nonce k from its own
 * generator; key generation uses cry_random.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/error.h"

/* One curve's group with its order n and n/2, built per call. */
typedef struct curve {
    const char *name;
    EC_GROUP *group;
    const BIGNUM *n;
    BIGNUM *half;
    BN_CTX *bn;
} curve;

static void curve_done(curve *c)
{
    BN_free(c->half);
    BN_CTX_free(c->bn);
    EC_GROUP_free(c->group);
    memset(c, 0, sizeof *c);
}

static int curve_open(curve *c, kp_key_alg alg, kp_error *err)
{
    int nid;
    memset(c, 0, sizeof *c);
    if (alg == KP_ALG_P256) {
        nid = NID_X9_62_prime256v1;
        c->name = "prime256v1";
    } else if (alg == KP_ALG_SECP256K1) {
        nid = NID_secp256k1;
        c->name = "secp256k1";
    } else {
        return err_set(err, KP_E_SIG_ALG, "algorithm %d is not an ECDSA curve", (int)alg);
    }
    c->group = EC_GROUP_new_by_curve_name(nid);
    c->bn = BN_CTX_new();
    c->half = BN_new();
    if (!c->group || !c->bn || !c->half) goto fail;
    c->n = EC_GROUP_get0_order(c->group);
    if (!c->n || !BN_rshift1(c->half, c->n)) goto fail;
    return KP_OK;
fail:;
    const char *name = c->name;
    curve_done(c);
    return err_set(err, KP_E_CRYPTO, "OpenSSL cannot set up curve %s", name);
}

/*
 * Parses a SEC1 point of exactly 33 (02/03) or 65 (04) bytes. OpenSSL would
 * also take the hybrid 06/07 forms and the one-byte infinity; we refuse
 * them by prefix and length first. oct2point checks the point is on the
 * curve (both curves have cofactor 1, so on the curve is in the group).
 */
static int point_parse(const curve *c, EC_POINT **out, const uint8_t *pk, size_t pklen,
                       kp_error *err)
{
    if (!(pklen == CRY_ECDSA_PK_BYTES && (pk[0] == 0x02 || pk[0] == 0x03)) &&
        !(pklen == CRY_ECDSA_PK_UNCOMPRESSED_BYTES && pk[0] == 0x04))
        return err_set(err, KP_E_KEY_INVALID,
                       "%s public key must be a 33-byte compressed or 65-byte uncompressed SEC1 point",
                       c->name);
    EC_POINT *p = EC_POINT_new(c->group);
    if (!p) return err_set(err, KP_E_CRYPTO, "out of memory in OpenSSL");
    if (EC_POINT_oct2point(c->group, p, pk, pklen, c->bn) != 1 ||
        EC_POINT_is_at_infinity(c->group, p) || EC_POINT_is_on_curve(c->group, p, c->bn) != 1) {
        EC_POINT_free(p);
        return err_set(err, KP_E_KEY_INVALID, "%s public key is not a point on the curve",
                       c->name);
    }
    *out = p;
    return KP_OK;
}

static int point_write(const curve *c, const EC_POINT *p, point_conversion_form_t form,
                       uint8_t *out, size_t outlen, kp_error *err)
{
    if (EC_POINT_point2oct(c->group, p, form, out, outlen, c->bn) != outlen)
        return err_set(err, KP_E_CRYPTO, "OpenSSL cannot encode a %s point", c->name);
    return KP_OK;
}

/* An EVP_PKEY for OpenSSL's verifier (pk, compressed) or signer (d alone:
   ECDSA signing needs no public key, and computing it would cost a scalar
   multiplication per signature). d is a secure BIGNUM, so the builder puts
   its copy in the secure block that OSSL_PARAM_free clears. */
static int pkey_make(const curve *c, EVP_PKEY **out, const uint8_t *pk, const BIGNUM *d,
                     kp_error *err)
{
    int rc = KP_E_CRYPTO;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pkey = NULL;
    if (!bld) goto fail;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->name, 0) ||
        (pk && !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pk,
                                                 CRY_ECDSA_PK_BYTES)))
        goto fail;
    if (d && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)) goto fail;
    params = OSSL_PARAM_BLD_to_param(bld);
    pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!params || !pctx || EVP_PKEY_fromdata_init(pctx) != 1 ||
        EVP_PKEY_fromdata(pctx, &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto fail;
    *out = pkey;
    pkey = NULL;
    rc = KP_OK;
fail:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    if (rc) return err_set(err, rc, "OpenSSL cannot build a %s key", c->name);
    return KP_OK;
}

/* The scalar d of sk, checked to be in [1, n-1]; cleared when freed. */
static int scalar_load(const curve *c, BIGNUM **out, const uint8_t sk[CRY_ECDSA_SK_BYTES],
                       kp_error *err)
{
    BIGNUM *d = BN_secure_new();
    if (!d || !BN_bin2bn(sk, CRY_ECDSA_SK_BYTES, d)) {
        BN_clear_free(d);
        return err_set(err, KP_E_CRYPTO, "out of memory in OpenSSL");
    }
    if (BN_is_zero(d) || BN_cmp(d, c->n) >= 0) {
        BN_clear_free(d);
        return err_set(err, KP_E_KEY_INVALID, "%s secret scalar is not in [1, n-1]", c->name);
    }
    *out = d;
    return KP_OK;
}

static int public_of(const curve *c, uint8_t pk[CRY_ECDSA_PK_BYTES], const BIGNUM *d,
                     kp_error *err)
{
    EC_POINT *p = EC_POINT_new(c->group);
    int rc;
    if (!p || EC_POINT_mul(c->group, p, d, NULL, NULL, c->bn) != 1)
        rc = err_set(err, KP_E_CRYPTO, "OpenSSL cannot compute a %s public key", c->name);
    else
        rc = point_write(c, p, POINT_CONVERSION_COMPRESSED, pk, CRY_ECDSA_PK_BYTES, err);
    EC_POINT_clear_free(p);
    return rc;
}

int cry_ecdsa_public(kp_key_alg alg, uint8_t pk[CRY_ECDSA_PK_BYTES],
                     const uint8_t sk[CRY_ECDSA_SK_BYTES], kp_error *err)
{
    curve c;
    BIGNUM *d = NULL;
    int rc = curve_open(&c, alg, err);
    if (rc) return rc;
    if ((rc = scalar_load(&c, &d, sk, err)) == KP_OK) rc = public_of(&c, pk, d, err);
    BN_clear_free(d);
    curve_done(&c);
    return rc;
}

int cry_ecdsa_keygen(kp_key_alg alg, uint8_t sk[CRY_ECDSA_SK_BYTES],
                     uint8_t pk[CRY_ECDSA_PK_BYTES], kp_error *err)
{
    /* Rejection sampling: a uniform 256-bit string falls outside [1, n-1]
       with probability below 2^-32 on both curves, so one more try is
       all it ever takes; the bound only guards a broken generator. */
    uint8_t s[CRY_ECDSA_SK_BYTES];
    for (int tries = 0; tries < 64; tries++) {
        cry_random(s, sizeof s);
        int rc = cry_ecdsa_public(alg, pk, s, NULL);
        if (rc == KP_OK) {
            memcpy(sk, s, sizeof s);
            cry_wipe(s, sizeof s);
            return KP_OK;
        }
        if (rc != KP_E_KEY_INVALID) {
            cry_wipe(s, sizeof s);
            return err_set(err, rc, "ECDSA key generation failed in OpenSSL");
        }
    }
    cry_wipe(s, sizeof s);
    return err_set(err, KP_E_CRYPTO, "random generator keeps giving out-of-range scalars");
}

int cry_ecdsa_sign(kp_key_alg alg, uint8_t sig[CRY_ECDSA_SIG_BYTES], const uint8_t *msg,
                   size_t len, const uint8_t sk[CRY_ECDSA_SK_BYTES], kp_error *err)
{
    curve c;
    BIGNUM *d = NULL, *lows = NULL;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *sctx = NULL;
    ECDSA_SIG *es = NULL;
    uint8_t digest[CRY_SHA256_BYTES], der[CRY_ECDSA_DER_MAX_BYTES];
    uint8_t out[CRY_ECDSA_SIG_BYTES];
    size_t derlen = sizeof der;
    int rc = curve_open(&c, alg, err);
    if (rc) return rc;
    if ((rc = scalar_load(&c, &d, sk, err)) || (rc = pkey_make(&c, &pkey, NULL, d, err)))
        goto fail;
    cry_sha256(digest, msg, len);
    rc = KP_E_CRYPTO;
    sctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!sctx || EVP_PKEY_sign_init(sctx) != 1 ||
        EVP_PKEY_sign(sctx, der, &derlen, digest, sizeof digest) != 1)
        goto fail;
    const uint8_t *p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (!es) goto fail;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(es, &r, &s);
    /* low-S: (r, s) and (r, n - s) both verify; keep the one <= n/2. */
    if (BN_cmp(s, c.half) > 0) {
        lows = BN_new();
        if (!lows || !BN_sub(lows, c.n, s)) goto fail;
        s = lows;
    }
    if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32) goto fail;
    memcpy(sig, out, sizeof out);
    rc = KP_OK;
fail:
    if (rc == KP_E_CRYPTO) err_set(err, rc, "OpenSSL failed to sign with %s", c.name);
    cry_wipe(digest, sizeof digest);
    BN_free(lows);
    ECDSA_SIG_free(es);
    EVP_PKEY_CTX_free(sctx);
    EVP_PKEY_free(pkey);
    BN_clear_free(d);
    curve_done(&c);
    return rc;
}

int cry_ecdsa_verify(kp_key_alg alg, const uint8_t *pk, size_t pklen, const uint8_t *msg,
                     size_t len, const uint8_t *sig, size_t siglen, kp_error *err)
{
    curve c;
    EC_POINT *point = NULL;
    BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *es = NULL;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *vctx = NULL;
    uint8_t cpk[CRY_ECDSA_PK_BYTES], digest[CRY_SHA256_BYTES], der[CRY_ECDSA_DER_MAX_BYTES];
    int rc = curve_open(&c, alg, err);
    if (rc) return rc;
    /* Cheap structural checks first, each with its own code. */
    if (siglen != CRY_ECDSA_SIG_BYTES) {
        rc = err_set(err, KP_E_SIG_MALFORMED, "ECDSA signature is %zu bytes, not raw r||s of 64",
                     siglen);
        goto fail;
    }
    r = BN_bin2bn(sig, 32, NULL);
    s = BN_bin2bn(sig + 32, 32, NULL);
    if (!r || !s) {
        rc = err_set(err, KP_E_CRYPTO, "out of memory in OpenSSL");
        goto fail;
    }
    if (BN_is_zero(r) || BN_is_zero(s) || BN_cmp(r, c.n) >= 0 || BN_cmp(s, c.n) >= 0) {
        rc = err_set(err, KP_E_SIG_MALFORMED, "ECDSA signature r or s is not in [1, n-1]");
        goto fail;
    }
    if (BN_cmp(s, c.half) > 0) {
        rc = err_set(err, KP_E_SIG_HIGH_S, "ECDSA signature has s > n/2 (high-S)");
        goto fail;
    }
    if ((rc = point_parse(&c, &point, pk, pklen, err)) ||
        (rc = point_write(&c, point, POINT_CONVERSION_COMPRESSED, cpk, sizeof cpk, err)) ||
        (rc = pkey_make(&c, &pkey, cpk, NULL, err)))
        goto fail;
    rc = KP_E_CRYPTO;
    es = ECDSA_SIG_new();
    if (!es || ECDSA_SIG_set0(es, r, s) != 1) goto fail;
    r = s = NULL; /* owned by es now */
    int dlen = i2d_ECDSA_SIG(es, NULL);
    if (dlen <= 0 || dlen > (int)sizeof der) goto fail;
    uint8_t *dp = der;
    if (i2d_ECDSA_SIG(es, &dp) != dlen) goto fail;
    cry_sha256(digest, msg, len);
    vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!vctx || EVP_PKEY_verify_init(vctx) != 1) goto fail;
    int v = EVP_PKEY_verify(vctx, der, (size_t)dlen, digest, sizeof digest);
    if (v == 1)
        rc = KP_OK;
    else if (v == 0)
        rc = err_set(err, KP_E_SIG_INVALID, "%s signature does not verify", c.name);
fail:
    if (rc == KP_E_CRYPTO) err_set(err, rc, "OpenSSL failed to verify with %s", c.name);
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_free(pkey);
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    EC_POINT_free(point);
    curve_done(&c);
    return rc;
}

static int pk_convert(kp_key_alg alg, point_conversion_form_t form, uint8_t *out, size_t outlen,
                      const uint8_t *pk, size_t pklen, kp_error *err)
{
    curve c;
    EC_POINT *p = NULL;
    int rc = curve_open(&c, alg, err);
    if (rc) return rc;
    if ((rc = point_parse(&c, &p, pk, pklen, err)) == KP_OK)
        rc = point_write(&c, p, form, out, outlen, err);
    EC_POINT_free(p);
    curve_done(&c);
    return rc;
}

int cry_ecdsa_pk_compress(kp_key_alg alg, uint8_t out[CRY_ECDSA_PK_BYTES], const uint8_t *pk,
                          size_t pklen, kp_error *err)
{
    return pk_convert(alg, POINT_CONVERSION_COMPRESSED, out, CRY_ECDSA_PK_BYTES, pk, pklen, err);
}

int cry_ecdsa_pk_uncompress(kp_key_alg alg, uint8_t out[CRY_ECDSA_PK_UNCOMPRESSED_BYTES],
                            const uint8_t *pk, size_t pklen, kp_error *err)
{
    return pk_convert(alg, POINT_CONVERSION_UNCOMPRESSED, out, CRY_ECDSA_PK_UNCOMPRESSED_BYTES,
                      pk, pklen, err);
}

int cry_ecdsa_sig_from_der(uint8_t sig[CRY_ECDSA_SIG_BYTES], const uint8_t *der, size_t derlen,
                           kp_error *err)
{
    int rc = KP_E_SIG_MALFORMED;
    ECDSA_SIG *es = NULL;
    uint8_t re[CRY_ECDSA_DER_MAX_BYTES], out[CRY_ECDSA_SIG_BYTES];
    if (derlen < 8 || derlen > CRY_ECDSA_DER_MAX_BYTES) goto fail;
    const uint8_t *p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (!es || p != der + derlen) goto fail;
    /* OpenSSL's parser tolerates some BER; DER has one encoding, so the
       re-encoding must give back exactly the input. */
    int n = i2d_ECDSA_SIG(es, NULL);
    if (n != (int)derlen) goto fail;
    uint8_t *rp = re;
    if (i2d_ECDSA_SIG(es, &rp) != n || memcmp(re, der, derlen) != 0) goto fail;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_is_negative(r) || BN_is_negative(s) || BN_num_bytes(r) > 32 || BN_num_bytes(s) > 32)
        goto fail;
    if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32) goto fail;
    memcpy(sig, out, sizeof out);
    rc = KP_OK;
fail:
    ECDSA_SIG_free(es);
    if (rc) return err_set(err, rc, "ECDSA signature is not strict DER with 32-byte integers");
    return KP_OK;
}

int cry_ecdsa_sig_to_der(uint8_t der[CRY_ECDSA_DER_MAX_BYTES], size_t *derlen,
                         const uint8_t sig[CRY_ECDSA_SIG_BYTES], kp_error *err)
{
    int rc = KP_E_CRYPTO;
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    ECDSA_SIG *es = ECDSA_SIG_new();
    if (!r || !s || !es || ECDSA_SIG_set0(es, r, s) != 1) goto fail;
    r = s = NULL;
    int n = i2d_ECDSA_SIG(es, NULL);
    if (n <= 0 || n > CRY_ECDSA_DER_MAX_BYTES) goto fail;
    uint8_t *p = der;
    if (i2d_ECDSA_SIG(es, &p) != n) goto fail;
    *derlen = (size_t)n;
    rc = KP_OK;
fail:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    if (rc) return err_set(err, rc, "OpenSSL cannot DER-encode a signature");
    return KP_OK;
}
