/*
 * hc_handle.c: capability "handle": a guest looks at, splits and drops
 * the capability handles it holds. None of these gives authority of its
 * own: they only name, attenuate or give up what the instance already has.
 */
#include <string.h>

#include "host/hc.h"

int hc_handle_list(host_call *c, const kw_val *a, kw_val *res)
{
    int32_t hs[CAP_MAX_SLOTS];
    uint32_t max = HOST_U32(a, 1);
    if (max > CAP_MAX_SLOTS) max = CAP_MAX_SLOTS;
    uint32_t n = cap_list(&c->hi->handles, hs, CAP_MAX_SLOTS);
    uint32_t k = n < max ? n : max;
    uint8_t out[4 * CAP_MAX_SLOTS];
    for (uint32_t i = 0; i < k; i++)
        for (int b = 0; b < 4; b++) out[4 * i + b] = (uint8_t)((uint32_t)hs[i] >> (8 * b));
    res[0].i32 = n;
    return host_out(c, HOST_U32(a, 0), out, 4 * (size_t)k);
}

int hc_handle_find(host_call *c, const kw_val *a, kw_val *res)
{
    uint32_t klen = HOST_U32(a, 1), rlen = HOST_U32(a, 3);
    const uint8_t *kind, *r;
    if (klen > 32 || rlen > CAP_RESOURCE_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "handle_find: kind or resource too long");
    int rc = host_in(c, HOST_U32(a, 0), klen, &kind);
    if (!rc) rc = host_in(c, HOST_U32(a, 2), rlen, &r);
    if (rc) return rc;
    int k = cap_kind_parse((const char *)kind, klen);
    res[0].i32 = k == CAP_KIND_NONE ? 0 : (uint32_t)cap_find(&c->hi->handles, k, r, rlen);
    return KP_OK;
}

static int get(host_call *c, int32_t h, const cap_handle **hd)
{
    int rc = cap_get(&c->hi->handles, h, CAP_KIND_NONE, hd);
    return rc ? host_cap_trap(c, rc, h) : KP_OK;
}

int hc_handle_amount(host_call *c, const kw_val *a, kw_val *res)
{
    const cap_handle *hd;
    int rc = get(c, HOST_I32(a, 0), &hd);
    if (rc) return rc;
    res[0].i64 = hd->amount == CAP_UNLIMITED ? (uint64_t)-1 : hd->amount;
    return KP_OK;
}

int hc_handle_kind(host_call *c, const kw_val *a, kw_val *res)
{
    const cap_handle *hd;
    int32_t n;
    int rc = get(c, HOST_I32(a, 0), &hd);
    if (rc) return rc;
    const char *k = cap_kind_name(hd->kind);
    rc = host_out_fit(c, HOST_U32(a, 1), HOST_U32(a, 2), k, strlen(k), &n);
    res[0].i32 = (uint32_t)n;
    return rc;
}

int hc_handle_resource(host_call *c, const kw_val *a, kw_val *res)
{
    const cap_handle *hd;
    int32_t n;
    int rc = get(c, HOST_I32(a, 0), &hd);
    if (rc) return rc;
    rc = host_out_fit(c, HOST_U32(a, 1), HOST_U32(a, 2), hd->resource, hd->resource_len, &n);
    res[0].i32 = (uint32_t)n;
    return rc;
}

int hc_handle_split(host_call *c, const kw_val *a, kw_val *res)
{
    int32_t h = HOST_I32(a, 0), out;
    int64_t amount = HOST_I64(a, 1);
    const cap_handle *hd;
    int rc = get(c, h, &hd);
    if (rc) return rc;
    if (amount <= 0)
        return host_trap(c, KP_E_HOST_BAD_ARG, "handle_split: amount %lld is not positive",
                         (long long)amount);
    if ((rc = cap_split(&c->hi->handles, h, (uint64_t)amount, &out))) return host_cap_trap(c, rc, h);
    res[0].i32 = (uint32_t)out;
    return KP_OK;
}

int hc_handle_drop(host_call *c, const kw_val *a, kw_val *res)
{
    int32_t h = HOST_I32(a, 0);
    int rc = cap_drop(&c->hi->handles, h);
    if (rc) return host_cap_trap(c, rc, h);
    res[0].i32 = 0;
    return KP_OK;
}
