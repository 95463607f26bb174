/*
 * hc_ledger.c: capabilities whose use spends a handle: "ledger" (balances
 * and transfers), "emit" (follow-up capsules) and "lifecycle" (upgrade or
 * destroy a module). Handle misuse traps (cap.c says how); running out of
 * money is not misuse: an overdraft is the error value -E_LEDGER_OVERDRAFT,
 * the handle stays as it was, and the guest decides (usually: reject).
 */
#include <string.h>

#include "host/hc.h"

static int read_key(host_call *c, uint32_t ptr, uint32_t len, const uint8_t **p)
{
    if (len == 0 || len > HOST_PK_MAX)
        return host_trap(c, KP_E_HOST_BAD_ARG, "%s: an account is a public key of 1..%d bytes",
                         c->fn->name, HOST_PK_MAX);
    return host_in(c, ptr, len, p);
}

int hc_ledger_balance(host_call *c, const kw_val *a, kw_val *res)
{
    const uint8_t *acct;
    uint64_t bal;
    int rc = read_key(c, HOST_U32(a, 0), HOST_U32(a, 1), &acct);
    if (!rc) rc = host_j_balance(c, acct, HOST_U32(a, 1), &bal);
    if (rc) return rc;
    res[0].i64 = bal > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : bal;
    return KP_OK;
}

int hc_ledger_transfer(host_call *c, const kw_val *a, kw_val *res)
{
    int32_t h = HOST_I32(a, 0);
    int64_t amount = HOST_I64(a, 3);
    const cap_handle *hd;
    const uint8_t *to;
    uint64_t bal;
    int rc = cap_get(&c->hi->handles, h, CAP_KIND_LEDGER_SPEND, &hd);
    if (rc) return host_cap_trap(c, rc, h);
    if (amount <= 0)
        return host_trap(c, KP_E_HOST_BAD_ARG, "ledger_transfer: amount %lld is not positive",
                         (long long)amount);
    if (hd->amount != CAP_UNLIMITED && (uint64_t)amount > hd->amount)
        return host_cap_trap(c, KP_E_CAP_EXHAUSTED, h);
    if ((rc = read_key(c, HOST_U32(a, 1), HOST_U32(a, 2), &to))) return rc;
    /* the account spent from is the one the handle names: a guest never
       says whose money it moves */
    uint8_t from[HOST_PK_MAX];
    size_t flen = hd->resource_len;
    memcpy(from, hd->resource, flen);
    if ((rc = host_j_balance(c, from, flen, &bal))) return rc;
    if (bal < (uint64_t)amount) {
        res[0].i32 = host_neg32(KP_E_LEDGER_OVERDRAFT);
        return KP_OK;
    }
    int32_t residual;
    if ((rc = cap_consume(&c->hi->handles, h, CAP_KIND_LEDGER_SPEND, (uint64_t)amount, &residual)))
        return host_cap_trap(c, rc, h);
    if (host_j_transfer(&c->run->j, from, flen, to, HOST_U32(a, 2), (uint64_t)amount))
        return host_trap(c, KP_E_NOMEM, "out of memory");
    res[0].i32 = (uint32_t)residual;
    return KP_OK;
}

/* Capsule types of emitted capsules: 1..64 of [A-Za-z0-9._-]. */
static int type_ok(const uint8_t *t, size_t n)
{
    if (n == 0 || n > HOST_TYPE_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = t[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

int hc_emit_capsule(host_call *c, const kw_val *a, kw_val *res)
{
    int32_t h = HOST_I32(a, 0);
    uint32_t tlen = HOST_U32(a, 2), blen = HOST_U32(a, 4);
    const uint8_t *type, *body;
    const cap_handle *hd;
    int rc = cap_get(&c->hi->handles, h, CAP_KIND_EMIT, &hd);
    if (rc) return host_cap_trap(c, rc, h);
    if (tlen > HOST_TYPE_MAX || blen > HOST_EMIT_BODY_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "emit_capsule: type or body too long");
    if ((rc = host_in(c, HOST_U32(a, 1), tlen, &type))) return rc;
    if (!type_ok(type, tlen))
        return host_trap(c, KP_E_HOST_BAD_ARG, "emit_capsule: a type is 1..64 of [A-Za-z0-9._-]");
    if ((rc = host_in(c, HOST_U32(a, 3), blen, &body))) return rc;
    int32_t residual;
    if ((rc = cap_consume(&c->hi->handles, h, CAP_KIND_EMIT, 1, &residual)))
        return host_cap_trap(c, rc, h);
    if (host_j_emit(&c->run->j, c->hi->index, c->hi->module_id, type, tlen, body, blen))
        return host_trap(c, KP_E_NOMEM, "out of memory");
    res[0].i32 = (uint32_t)residual;
    return KP_OK;
}

/* The module a lifecycle handle governs must still be active, as far as
   the world and this run's own pending changes know. */
static int module_active(host_call *c, const uint8_t id[32], int *active)
{
    int found, rc;
    host_module_info info;
    if ((rc = host_w_module_info(c, id, &found, &info))) return rc;
    int pending = host_j_lifecycle_state(&c->run->j, id);
    int state = pending >= 0 ? pending : info.state;
    *active = found && state == HOST_MODULE_ACTIVE;
    return KP_OK;
}

int hc_module_upgrade(host_call *c, const kw_val *a, kw_val *res)
{
    int32_t h = HOST_I32(a, 0);
    const cap_handle *hd;
    const uint8_t *p;
    uint8_t old[32], succ[32];
    int active, found;
    host_module_info info;
    int rc = cap_get(&c->hi->handles, h, CAP_KIND_LIFECYCLE, &hd);
    if (rc) return host_cap_trap(c, rc, h);
    memcpy(old, hd->resource, 32);
    if ((rc = host_in(c, HOST_U32(a, 1), 32, &p))) return rc;
    memcpy(succ, p, 32);
    if (memcmp(old, succ, 32) == 0)
        return host_trap(c, KP_E_HOST_BAD_ARG, "module_upgrade: a module cannot succeed itself");
    if ((rc = module_active(c, old, &active))) return rc;
    if (!active) {
        res[0].i32 = host_neg32(KP_E_HOST_MODULE_STATE);
        return KP_OK;
    }
    if ((rc = host_w_module_info(c, succ, &found, &info))) return rc;
    if (!found) {
        res[0].i32 = host_neg32(KP_E_NOT_FOUND);
        return KP_OK;
    }
    /* the handle follows its module: it now governs the successor */
    cap_handle nh = *hd;
    memcpy(nh.resource, succ, 32);
    int32_t out;
    if ((rc = cap_exchange(&c->hi->handles, h, CAP_KIND_LIFECYCLE, &nh, &out)))
        return host_cap_trap(c, rc, h);
    if (host_j_lifecycle(&c->run->j, old, HOST_MODULE_UPGRADED, succ))
        return host_trap(c, KP_E_NOMEM, "out of memory");
    res[0].i32 = (uint32_t)out;
    return KP_OK;
}

int hc_module_destroy(host_call *c, const kw_val *a, kw_val *res)
{
    int32_t h = HOST_I32(a, 0);
    const cap_handle *hd;
    uint8_t id[32];
    int active;
    int rc = cap_get(&c->hi->handles, h, CAP_KIND_LIFECYCLE, &hd);
    if (rc) return host_cap_trap(c, rc, h);
    memcpy(id, hd->resource, 32);
    if ((rc = module_active(c, id, &active))) return rc;
    if (!active) {
        res[0].i32 = host_neg32(KP_E_HOST_MODULE_STATE);
        return KP_OK;
    }
    int32_t none;
    if ((rc = cap_exchange(&c->hi->handles, h, CAP_KIND_LIFECYCLE, NULL, &none)))
        return host_cap_trap(c, rc, h);
    if (host_j_lifecycle(&c->run->j, id, HOST_MODULE_DESTROYED, NULL))
        return host_trap(c, KP_E_NOMEM, "out of memory");
    res[0].i32 = 0;
    return KP_OK;
}
