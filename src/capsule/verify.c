/*
 * verify.c: the COSE Sig_structure and kp_capsule_verify.
 *
 * The Sig_structure (RFC 9052 §4.4) is ["Signature1", protected, h'',
 * payload], a CBOR array whose second and fourth items are the envelope's
 * own protected and payload byte strings. It is assembled from the raw
 * items the parser kept, byte for byte, so that what is checked is what
 * was signed, whatever an encoder would make of the parsed values.
 *
 * Author keys: kp_capsule_verify relies on the signature check for the
 * key's validity and adds no separate key check (cry_sig_pk_check costs
 * about one more verification). That is enough for safety: Ed25519 (in
 * libsodium) refuses non-canonical and small-order keys, which are the ones
 * that would let anyone forge a signature; ECDSA decodes the point and
 * refuses it off the curve (both curves have cofactor 1). Only an Ed25519
 * key with a torsion component passes, and only its owner, who holds the
 * discrete log of its prime-order part, can sign for it.
 */
#include <stdio.h>
#include <string.h>

#include "capsule/capsule.h"
#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/error.h"

/* 0x84: array of 4; 0x6a "Signature1": text of 10 bytes. */
static const uint8_t sig1_head[] = {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1'};
/* external_aad: the empty byte string. */
static const uint8_t empty_bstr = 0x40;

int capsule_sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                          size_t payload_len, buf *out)
{
    size_t n;
    if (!size_add(sizeof sig1_head + 1, prot_len, &n) || !size_add(n, payload_len, &n))
        return KP_E_LIMIT;
    int rc = buf_reserve(out, n);
    if (rc) return rc;
    buf_append(out, sig1_head, sizeof sig1_head);
    buf_append(out, prot, prot_len);
    buf_append(out, &empty_bstr, 1);
    buf_append(out, payload, payload_len);
    return KP_OK;
}

int kp_capsule_verify(kp_capsule *c, kp_error *err)
{
    buf tbs = {0};
    int rc;
    if (!c) return err_set(err, KP_E_ARG, "kp_capsule_verify: no capsule");
    if (c->verified) return KP_OK;
    if ((rc = cry_init(err))) return rc;
    if ((rc = capsule_sig_structure(c->data + c->prot_off, c->prot_len, c->data + c->payload_off,
                                    c->payload_len, &tbs))) {
        rc = err_set(err, rc, "out of memory for the Sig_structure");
        goto fail;
    }
    rc = cry_sig_verify(c->alg, c->f.author, c->f.author_len, tbs.p, tbs.len, c->sig,
                        CAPSULE_SIG_BYTES, err);
    if (rc) {
        /* Point at the part to blame: the key, or the signature. */
        if (err && rc == KP_E_KEY_INVALID) {
            err->offset = (int64_t)(c->f.author - c->data);
            snprintf(err->field, sizeof err->field, "author");
        } else if (err) {
            err->offset = (int64_t)(c->sig - c->data);
            snprintf(err->field, sizeof err->field, "signature");
        }
        goto fail;
    }
    c->verified = 1;
fail:
    buf_free(&tbs);
    return rc;
}

int kp_capsule_verified(const kp_capsule *c)
{
    return c && c->verified;
}
