/*
 * capsule_fuzz.c: libFuzzer harness for the capsule parser and verifier.
 *
 * An input that starts with 0xd2 (tag 18) is a capsule file: parsed,
 * verified, opened. Any other input is taken as a payload: it is wrapped in
 * an envelope and signed with a fixed Ed25519 key, so that mutations of the
 * payload reach past the signature to the schema, the accessors and the
 * decryption (seeds encrypt to the same key's X25519 half).
 *
 * Oracles: whatever parses re-encodes (capsule_encode_payload) to exactly
 * its payload, and its id is the hash of that payload; a refusal carries a
 * known status code; an accepted, verified capsule opens (or is refused
 * with a code) without a crash or a leak.
 *
 * Seeds: tests/corpus/capsule/, written by `capsule_tool seeds`.
 */
#include <stdlib.h>
#include <string.h>

#include "capsule/capsule.h"
#include "cbor/cbor.h"
#include "crypto/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kp_key *fixed_key(void)
{
    static kp_key *k;
    if (!k) {
        uint8_t s[32], x[32];
        memset(s, 5, sizeof s);
        memset(x, 6, sizeof x);
        if (cry_key_from_secrets(KP_ALG_ED25519, s, x, &k, NULL) != KP_OK) abort();
    }
    return k;
}

/* The envelope around payload, signed by the fixed key (alg -19). */
static int wrap(const uint8_t *payload, size_t n, buf *file)
{
    static const uint8_t prot[] = {0x43, 0xa1, 0x01, 0x32};
    buf item = {0}, tbs = {0};
    uint8_t sig[KP_SIG_BYTES];
    cbor_enc e;
    cbor_enc_init(&e, &item);
    cbor_put_bytes(&e, payload, n);
    int rc = cbor_enc_finish(&e, NULL);
    if (!rc) rc = capsule_sig_structure(prot, sizeof prot, item.p, item.len, &tbs);
    if (!rc) rc = kp_key_sign(fixed_key(), tbs.p, tbs.len, sig, NULL);
    if (!rc) {
        buf_append(file, "\xd2\x84", 2);
        buf_append(file, prot, sizeof prot);
        buf_putc(file, 0xa0);
        buf_append(file, item.p, item.len);
        buf_append(file, "\x58\x40", 2);
        rc = buf_append(file, sig, sizeof sig);
    }
    buf_free(&item);
    buf_free(&tbs);
    return rc;
}

static void run(const uint8_t *data, size_t size)
{
    kp_capsule *c = NULL;
    kp_error e;
    int rc = kp_capsule_parse(data, size, NULL, &c, &e);
    if (rc != KP_OK) {
        if (c || !kp_status_name(rc) || e.code != rc) abort();
        return;
    }
    /* one object, one encoding: the fields give back the payload */
    size_t n;
    const uint8_t *pl = kp_capsule_payload(c, &n);
    buf re = {0};
    if (capsule_encode_payload(&c->f, &re, NULL) != KP_OK || re.len != n || memcmp(re.p, pl, n))
        abort();
    buf_free(&re);
    uint8_t id[KP_ID_BYTES];
    capsule_id(pl, n, id);
    if (memcmp(id, kp_capsule_id(c), KP_ID_BYTES)) abort();
    /* every accessor, within its bounds */
    for (size_t i = 0; i < kp_capsule_parent_count(c); i++)
        if (!kp_capsule_parent_at(c, i)) abort();
    for (size_t i = 0; i < kp_capsule_flag_count(c); i++) {
        size_t kl = kp_capsule_flag_at(c, i)->key_len;
        if (kl < 1 || kl > KP_CAPSULE_FLAG_KEY_MAX) abort();
    }
    for (size_t i = 0; i < kp_capsule_cap_count(c); i++)
        if (!kp_capsule_cap_at(c, i)->module) abort();
    if (kp_capsule_encrypted(c) && kp_capsule_recipients(c) == 0) abort();
    rc = kp_capsule_verify(c, &e);
    if (rc != KP_OK && (!kp_status_name(rc) || kp_capsule_verified(c))) abort();
    if (rc == KP_OK) {
        uint8_t *body = NULL;
        size_t bl = 0;
        rc = kp_capsule_open(c, fixed_key(), &body, &bl, &e);
        if (rc != KP_OK && (body || !kp_status_name(rc))) abort();
        kp_capsule_body_free(body, bl);
    }
    kp_capsule_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    if (size && data[0] == 0xd2) {
        run(data, size);
        return 0;
    }
    buf file = {0};
    if (wrap(data, size, &file) == KP_OK) run(file.p, file.len);
    buf_free(&file);
    return 0;
}
