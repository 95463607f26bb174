/*
 * request.c: capability requests signed by a capsule's author (the format
 * is in cap.h). Parsing is strict and the signature is checked over the
 * exact bytes received, with a context prefix so that a request signature
 * can never be taken for a signature over anything else.
 */
#include <string.h>

#include "cbor/cbor.h"
#include "crypto/crypto.h"
#include "host/cap.h"
#include "util/alloc.h"
#include "util/error.h"

static int bad(kp_error *err, const char *field, const char *what)
{
    return err_set_field(err, KP_E_CAP_REQUEST_MALFORMED, field, "capability request: %s %s",
                         field, what);
}

static int parse(const uint8_t *p, size_t len, cap_request *r, kp_error *err)
{
    cbor_item root, k, v;
    kp_error cerr;
    memset(r, 0, sizeof *r);
    r->amount = CAP_UNLIMITED;
    if (len > CAP_REQUEST_MAX) return bad(err, "(request)", "is larger than 1 KiB");
    if (cbor_parse(p, len, &root, &cerr))
        return err_set_at(err, KP_E_CAP_REQUEST_MALFORMED, cerr.offset,
                          "capability request: %s", cerr.msg);
    if (root.type != CBOR_MAP) return bad(err, "(request)", "is not a CBOR map");
    int have_v = 0, have_module = 0, have_kind = 0, have_nonce = 0, have_amount = 0;
    cbor_iter it;
    cbor_iter_init(&it, &root);
    while (cbor_iter_pair(&it, &k, &v)) {
        if (cbor_text_eq(&k, "v")) {
            if (v.type != CBOR_UINT || v.val != 1) return bad(err, "v", "must be 1");
            have_v = 1;
        } else if (cbor_text_eq(&k, "module")) {
            if (v.type != CBOR_BYTES || v.len != 32) return bad(err, "module", "must be 32 bytes");
            memcpy(r->module, v.ptr, 32);
            have_module = 1;
        } else if (cbor_text_eq(&k, "kind")) {
            if (v.type != CBOR_TEXT) return bad(err, "kind", "must be text");
            r->kind = cap_kind_parse((const char *)v.ptr, v.len);
            if (r->kind != CAP_KIND_LEDGER_SPEND && r->kind != CAP_KIND_LIFECYCLE)
                return bad(err, "kind", "must be \"ledger.spend\" or \"lifecycle\"");
            have_kind = 1;
        } else if (cbor_text_eq(&k, "amount")) {
            if (v.type != CBOR_UINT || v.val == 0 || v.val > CAP_AMOUNT_MAX)
                return bad(err, "amount", "must be an integer in 1..2^63-1");
            r->amount = v.val;
            have_amount = 1;
        } else if (cbor_text_eq(&k, "resource")) {
            if (v.type != CBOR_BYTES || v.len == 0 || v.len > CAP_RESOURCE_MAX)
                return bad(err, "resource", "must be 1..65 bytes");
            memcpy(r->resource, v.ptr, v.len);
            r->resource_len = v.len;
        } else if (cbor_text_eq(&k, "nonce")) {
            if (v.type != CBOR_BYTES || v.len < 8 || v.len > CAP_NONCE_MAX)
                return bad(err, "nonce", "must be 8..64 bytes");
            memcpy(r->nonce, v.ptr, v.len);
            r->nonce_len = v.len;
            have_nonce = 1;
        } else {
            return bad(err, "(request)", "has an unknown key");
        }
    }
    if (!have_v) return bad(err, "v", "is missing");
    if (!have_module) return bad(err, "module", "is missing");
    if (!have_kind) return bad(err, "kind", "is missing");
    if (!have_nonce) return bad(err, "nonce", "is missing");
    if (r->kind == CAP_KIND_LEDGER_SPEND && !have_amount)
        return bad(err, "amount", "is required for ledger.spend");
    if (r->kind == CAP_KIND_LEDGER_SPEND && r->resource_len)
        return bad(err, "resource", "is not allowed for ledger.spend (it spends the author's account)");
    if (r->kind == CAP_KIND_LIFECYCLE && (r->resource_len != 32 || have_amount))
        return bad(err, "resource", "must be a 32-byte module id, with no amount, for lifecycle");
    return KP_OK;
}

int cap_request_open(const uint8_t *payload, size_t len, const uint8_t *sig, size_t siglen,
                     kp_key_alg alg, const uint8_t *author, size_t author_len, cap_request *out,
                     kp_error *err)
{
    cap_request r;
    uint8_t *msg = NULL;
    size_t ctx = sizeof CAP_REQUEST_CONTEXT - 1, mlen;
    int rc = parse(payload, len, &r, err);
    if (rc) return rc;
    if (!size_add(ctx, len, &mlen) || !(msg = mem_alloc(mlen)))
        return err_set(err, KP_E_NOMEM, "out of memory");
    memcpy(msg, CAP_REQUEST_CONTEXT, ctx);
    memcpy(msg + ctx, payload, len);
    kp_error serr;
    kp_error_clear(&serr);
    rc = cry_sig_verify(alg, author, author_len, msg, mlen, sig, siglen, &serr);
    mem_free(msg, mlen);
    if (rc)
        return err_set(err, KP_E_CAP_REQUEST_SIG,
                       "capability request signature does not verify with the author's key (%s)",
                       serr.msg);
    *out = r;
    return KP_OK;
}

int cap_request_encode(const cap_request *r, buf *out, kp_error *err)
{
    cbor_enc e;
    cbor_enc_init(&e, out);
    cbor_begin_map(&e);
    cbor_put_str(&e, "v");
    cbor_put_uint(&e, 1);
    cbor_put_str(&e, "module");
    cbor_put_bytes(&e, r->module, 32);
    cbor_put_str(&e, "kind");
    cbor_put_str(&e, cap_kind_name(r->kind) ? cap_kind_name(r->kind) : "?");
    if (r->amount != CAP_UNLIMITED) {
        cbor_put_str(&e, "amount");
        cbor_put_uint(&e, r->amount);
    }
    if (r->resource_len) {
        cbor_put_str(&e, "resource");
        cbor_put_bytes(&e, r->resource, r->resource_len);
    }
    cbor_put_str(&e, "nonce");
    cbor_put_bytes(&e, r->nonce, r->nonce_len);
    cbor_end(&e);
    return cbor_enc_finish(&e, err);
}
