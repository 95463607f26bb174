/*
 * open.c: kp_capsule_open, the body's plaintext for a key: verify first
 * (no plaintext leaves an unverified capsule), then decrypt the age file
 * with the key's X25519 identity, or copy a plaintext body.
 */
#include <stdio.h>
#include <string.h>

#include "capsule/capsule.h"
#include "crypto/crypto.h"
#include "crypto/key.h"
#include "util/alloc.h"
#include "util/error.h"

int kp_capsule_open(kp_capsule *c, const kp_key *key, uint8_t **body, size_t *len, kp_error *err)
{
    buf pt = {0};
    int rc;
    if (!c || !body || !len) return err_set(err, KP_E_ARG, "kp_capsule_open: missing argument");
    if ((rc = kp_capsule_verify(c, err))) return rc;
    if (!c->f.encrypted) {
        rc = buf_append(&pt, c->f.body, c->f.body_len);
    } else {
        if (!key) return err_set(err, KP_E_ARG, "the body is encrypted: a key is needed");
        /* The plaintext is never longer than the age file that holds it. */
        rc = cry_key_age_decrypt(key, c->f.body, c->f.body_len, c->f.body_len, &pt, err);
        if (rc && err && err->offset >= 0) {
            err->offset += (int64_t)(c->f.body - c->data);
            snprintf(err->field, sizeof err->field, "body");
        }
    }
    if (rc == KP_E_NOMEM) err_set(err, rc, "out of memory for a body of %zu bytes", c->f.body_len);
    if (rc) goto fail;
    /* Hand over exactly len bytes, so that kp_capsule_body_free(p, len)
       frees what was allocated. */
    if (pt.len == 0) {
        *body = NULL;
        *len = 0;
    } else {
        uint8_t *p = mem_alloc(pt.len);
        if (!p) {
            rc = err_set(err, KP_E_NOMEM, "out of memory for a body of %zu bytes", pt.len);
            goto fail;
        }
        memcpy(p, pt.p, pt.len);
        *body = p;
        *len = pt.len;
    }
fail:
    if (pt.p) cry_wipe(pt.p, pt.cap);
    buf_free(&pt);
    return rc;
}

void kp_capsule_body_free(uint8_t *body, size_t len)
{
    if (!body) return;
    cry_wipe(body, len);
    mem_free(body, len);
}
