/*
 * hc_capsule.c: capability "capsule.read" (the current capsule) and
 * "result.submit" (what the logic says about it).
 *
 * Functions that return variable-length data take (buf, cap), copy the
 * data when it fits and always return its full length, so that a guest
 * can call again with a bigger buffer. Missing items are the error value
 * -E_NOT_FOUND.
 */
#include <string.h>

#include "host/internal.h"
#include "host/hc.h"
#include "util/alloc.h"

int hc_get_capsule_metadata(host_call *c, const kw_val *a, kw_val *res)
{
    const buf *m = &c->run->meta;
    int32_t n;
    int rc = host_out_fit(c, HOST_U32(a, 0), HOST_U32(a, 1), m->p, m->len, &n);
    res[0].i32 = (uint32_t)n;
    return rc;
}

int hc_capsule_id(host_call *c, const kw_val *a, kw_val *res)
{
    int rc = host_out(c, HOST_U32(a, 0), c->run->capsule->id, 32);
    res[0].i32 = 32;
    return rc;
}

static int fit(host_call *c, const kw_val *a, kw_val *res, const void *p, size_t len)
{
    int32_t n;
    int rc = host_out_fit(c, HOST_U32(a, 0), HOST_U32(a, 1), p, len, &n);
    res[0].i32 = (uint32_t)n;
    return rc;
}

int hc_capsule_type(host_call *c, const kw_val *a, kw_val *res)
{
    const char *t = c->run->capsule->type ? c->run->capsule->type : "";
    return fit(c, a, res, t, strlen(t));
}

int hc_capsule_author(host_call *c, const kw_val *a, kw_val *res)
{
    return fit(c, a, res, c->run->capsule->author, c->run->capsule->author_len);
}

int hc_capsule_body(host_call *c, const kw_val *a, kw_val *res)
{
    return fit(c, a, res, c->run->capsule->body, c->run->capsule->body_len);
}

int hc_capsule_parent_count(host_call *c, const kw_val *a, kw_val *res)
{
    (void)a;
    res[0].i32 = (uint32_t)c->run->capsule->nparents;
    return KP_OK;
}

int hc_capsule_parent(host_call *c, const kw_val *a, kw_val *res)
{
    uint32_t i = HOST_U32(a, 0);
    const host_capsule *cap = c->run->capsule;
    if (i >= cap->nparents) {
        res[0].i32 = host_neg32(KP_E_NOT_FOUND);
        return KP_OK;
    }
    res[0].i32 = 32;
    return host_out(c, HOST_U32(a, 1), cap->parents[i], 32);
}

int hc_capsule_flag(host_call *c, const kw_val *a, kw_val *res)
{
    const uint8_t *key;
    uint32_t klen = HOST_U32(a, 1);
    if (klen > HOST_KEY_MAX) return host_trap(c, KP_E_HOST_LIMIT, "capsule_flag: key too long");
    int rc = host_in(c, HOST_U32(a, 0), klen, &key);
    if (rc) return rc;
    const host_capsule *cap = c->run->capsule;
    for (size_t i = 0; i < cap->nflags; i++) {
        const char *k = cap->flags[i].key;
        if (strlen(k) != klen || memcmp(k, key, klen) != 0) continue;
        int32_t n;
        const char *v = cap->flags[i].value;
        rc = host_out_fit(c, HOST_U32(a, 2), HOST_U32(a, 3), v, strlen(v), &n);
        res[0].i32 = (uint32_t)n;
        return rc;
    }
    res[0].i32 = host_neg32(KP_E_NOT_FOUND);
    return KP_OK;
}

int hc_capsule_created(host_call *c, const kw_val *a, kw_val *res)
{
    (void)a;
    res[0].i64 = (uint64_t)c->run->capsule->created;
    return KP_OK;
}

/* ---- result.submit ---------------------------------------------------------------- */

int hc_submit_capsule_result(host_call *c, const kw_val *a, kw_val *res)
{
    uint32_t len = HOST_U32(a, 1);
    const uint8_t *p;
    if (len > HOST_RESULT_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "submit_capsule_result: %u bytes, at most %u", len,
                         HOST_RESULT_MAX);
    int rc = host_in(c, HOST_U32(a, 0), len, &p);
    if (rc) return rc;
    host_journal *j = &c->run->j;
    if (j->result_set) {
        res[0].i32 = host_neg32(KP_E_HOST_RESULT_SET);
        return KP_OK;
    }
    if (buf_append(&j->result, p, len)) return host_trap(c, KP_E_NOMEM, "out of memory");
    j->result_set = 1;
    res[0].i32 = 0;
    return KP_OK;
}

int hc_submit_verdict(host_call *c, const kw_val *a, kw_val *res)
{
    uint32_t v = HOST_U32(a, 0), len = HOST_U32(a, 2);
    const uint8_t *p;
    if (v != HOST_VERDICT_ACCEPT && v != HOST_VERDICT_REJECT)
        return host_trap(c, KP_E_HOST_BAD_ARG, "submit_verdict: verdict %u is neither 1 (accept) nor 2 (reject)", v);
    if (len > HOST_REASON_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "submit_verdict: reason longer than %u bytes",
                         HOST_REASON_MAX);
    int rc = host_in(c, HOST_U32(a, 1), len, &p);
    if (rc) return rc;
    host_journal *j = &c->run->j;
    if (j->verdict != HOST_VERDICT_NONE) {
        res[0].i32 = host_neg32(KP_E_HOST_RESULT_SET);
        return KP_OK;
    }
    j->reason = mem_strndup((const char *)p, len);
    if (!j->reason) return host_trap(c, KP_E_NOMEM, "out of memory");
    j->reason_len = len;
    j->verdict = (int)v;
    res[0].i32 = 0;
    return KP_OK;
}
