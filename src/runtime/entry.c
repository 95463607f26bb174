/*
 * entry.c: the audit log's entries. Each decision of the runtime is one
 * deterministic CBOR map (docs/FORMATS.md, "Audit log entries"):
 *
 *   {"v": 1, "decision": "accepted" | "rejected" | "pending" | "module",
 *    ? "capsule": bstr(32), "sha256": bstr(32), ? "reason": "E_...",
 *    ? "body": "plain" | "decrypted" | "sealed",
 *    ? "run": {"module": bstr(32), "verdict": "accept" | "reject",
 *              "fuel": uint, ? "result": bstr(32), "transcript": bstr(32),
 *              "policy": bstr(32), "reason": bstr(32)},
 *    ? "waiting": [+ bstr(32)]}
 *
 * "v" is 2 for an entry with a "run" (whose "reason" is the SHA-256 of
 * the guest's reason text), else 1; a version 1 run has no "reason".
 * sha256 is over the whole capsule file as received. A module
 * registration is {"v": 1, "decision": "module", "module": bstr(32),
 * "sha256": bstr(32) of its code}. Tamper evidence rests on these hashes:
 * kp_runtime_verify recomputes them from the stored bytes.
 */
#include <string.h>

#include "cbor/cbor.h"
#include "crypto/crypto.h"
#include "runtime/runtime.h"
#include "util/error.h"

void rt_reason_hash(const char *reason, uint8_t out[32])
{
    const char *r = reason ? reason : "";
    cry_sha256(out, r, strlen(r));
}

int rt_entry_encode(const rt_entry *x, buf *out, kp_error *err)
{
    cbor_enc e;
    cbor_enc_init(&e, out);
    cbor_begin_map(&e);
    cbor_put_str(&e, "v");
    cbor_put_uint(&e, x->has_run ? RT_ENTRY_VERSION_RUN : RT_ENTRY_VERSION);
    cbor_put_str(&e, "decision");
    cbor_put_str(&e, x->decision);
    if (x->has_capsule) {
        cbor_put_str(&e, strcmp(x->decision, "module") == 0 ? "module" : "capsule");
        cbor_put_bytes(&e, x->capsule, 32);
    }
    cbor_put_str(&e, "sha256");
    cbor_put_bytes(&e, x->sha256, 32);
    if (x->reason) {
        cbor_put_str(&e, "reason");
        cbor_put_text(&e, x->reason, x->reason_len ? x->reason_len : strlen(x->reason));
    }
    if (x->has_body) {
        cbor_put_str(&e, "body");
        cbor_put_str(&e, x->body);
    }
    if (x->has_run) {
        cbor_put_str(&e, "run");
        cbor_begin_map(&e);
        cbor_put_str(&e, "module");
        cbor_put_bytes(&e, x->module, 32);
        cbor_put_str(&e, "verdict");
        cbor_put_str(&e, x->verdict == 1 ? "accept" : "reject");
        cbor_put_str(&e, "fuel");
        cbor_put_uint(&e, x->fuel);
        if (x->has_result) {
            cbor_put_str(&e, "result");
            cbor_put_bytes(&e, x->result, 32);
        }
        cbor_put_str(&e, "transcript");
        cbor_put_bytes(&e, x->transcript, 32);
        cbor_put_str(&e, "policy");
        cbor_put_bytes(&e, x->policy, 32);
        cbor_put_str(&e, "reason");
        cbor_put_bytes(&e, x->reason_hash, 32);
        cbor_end(&e);
    }
    if (x->nwaiting) {
        cbor_put_str(&e, "waiting");
        cbor_begin_array(&e);
        for (size_t i = 0; i < x->nwaiting; i++) cbor_put_bytes(&e, x->waiting[i], 32);
        cbor_end(&e);
    }
    cbor_end(&e);
    return cbor_enc_finish(&e, err);
}

static int bad(kp_error *err, const char *what)
{
    return err_set(err, KP_E_INGEST_ENTRY, "log entry: %s", what);
}

static int get32(const cbor_item *map, const char *key, uint8_t out[32], int *has)
{
    cbor_item v;
    if (!cbor_map_find_text(map, key, &v)) {
        if (has) *has = 0;
        return has ? 0 : -1;
    }
    if (v.type != CBOR_BYTES || v.len != 32) return -1;
    memcpy(out, v.ptr, 32);
    if (has) *has = 1;
    return 0;
}

int rt_entry_decode(const uint8_t *p, size_t len, rt_entry *x, kp_error *err)
{
    cbor_item root, v, run;
    kp_error perr;
    memset(x, 0, sizeof *x);
    if (cbor_parse(p, len, &root, &perr)) return bad(err, perr.msg);
    if (root.type != CBOR_MAP) return bad(err, "not a map");
    if (!cbor_map_find_text(&root, "v", &v) || v.type != CBOR_UINT ||
        (v.val != RT_ENTRY_VERSION && v.val != RT_ENTRY_VERSION_RUN))
        return bad(err, "no version 1 or 2");
    x->version = v.val;
    if (!cbor_map_find_text(&root, "decision", &v) || v.type != CBOR_TEXT)
        return bad(err, "no decision");
    static const char *const decisions[] = {"accepted", "rejected", "pending", "module"};
    for (size_t i = 0; i < 4; i++)
        if (cbor_text_eq(&v, decisions[i])) x->decision = decisions[i];
    if (!x->decision) return bad(err, "unknown decision");
    int module_entry = strcmp(x->decision, "module") == 0;
    if (get32(&root, module_entry ? "module" : "capsule", x->capsule, &x->has_capsule))
        return bad(err, "capsule id is not 32 bytes");
    if (get32(&root, "sha256", x->sha256, NULL)) return bad(err, "no sha256");
    if (cbor_map_find_text(&root, "reason", &v)) {
        if (v.type != CBOR_TEXT) return bad(err, "reason is not text");
        x->reason = (const char *)v.ptr;
        x->reason_len = v.len;
    }
    if (cbor_map_find_text(&root, "body", &v)) {
        if (v.type != CBOR_TEXT) return bad(err, "body is not text");
        x->has_body = 1;
        x->body = cbor_text_eq(&v, "plain") ? "plain"
                  : cbor_text_eq(&v, "decrypted") ? "decrypted"
                  : cbor_text_eq(&v, "sealed") ? "sealed" : NULL;
        if (!x->body) return bad(err, "unknown body");
    }
    if (cbor_map_find_text(&root, "run", &run)) {
        if (run.type != CBOR_MAP) return bad(err, "run is not a map");
        x->has_run = 1;
        if (get32(&run, "module", x->module, NULL) || get32(&run, "transcript", x->transcript, NULL) ||
            get32(&run, "policy", x->policy, NULL) ||
            get32(&run, "result", x->result, &x->has_result))
            return bad(err, "run hashes are not 32 bytes");
        if (!cbor_map_find_text(&run, "verdict", &v)) return bad(err, "run has no verdict");
        x->verdict = cbor_text_eq(&v, "accept") ? 1 : cbor_text_eq(&v, "reject") ? 2 : 0;
        if (!x->verdict) return bad(err, "unknown verdict");
        if (!cbor_map_find_text(&run, "fuel", &v) || v.type != CBOR_UINT)
            return bad(err, "run has no fuel");
        x->fuel = v.val;
        /* version 2 commits to the reason; version 1 never did */
        if (x->version == RT_ENTRY_VERSION_RUN &&
            get32(&run, "reason", x->reason_hash, &x->has_reason_hash))
            return bad(err, "run reason hash is not 32 bytes");
        if (x->version == RT_ENTRY_VERSION_RUN && !x->has_reason_hash)
            return bad(err, "a version 2 run has no reason hash");
    } else if (x->version == RT_ENTRY_VERSION_RUN) {
        return bad(err, "a version 2 entry has no run");
    }
    return KP_OK;
}
