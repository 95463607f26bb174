/*
 * hc_invoke.c: capability "invoke". Modules never call each other
 * directly: invoke(module, method, args, handles) makes a fresh instance
 * of the callee (linked under its own grant, in the same store, so fuel
 * and memory limits are shared), moves the given handles into its table
 * under new numbers (the caller loses them), copies args into its memory
 * and calls its method.
 *
 * Callee contract: it exports kapsule_alloc (i32 size) -> i32 pointer
 * (the SDK provides one) and the method as (i32 ptr, i32 len) -> i64,
 * returning either a negative error value, passed on to the caller, or
 * (len << 32 | ptr) naming its result bytes, which are copied into the
 * caller's out buffer with the usual "copy if it fits, return the length"
 * rule. A callee that fails to link, traps or breaks the contract gives
 * the caller -E_HOST_CALLEE_TRAP (the reason goes to the log); running
 * out of fuel or diverging from a replayed transcript ends the whole run.
 * Handles the callee still holds when it returns are dropped with it.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "host/hc.h"
#include "util/error.h"

static int callee_failed(host_call *c, kw_val *res, const char *what, const char *msg)
{
    char line[KW_ERROR_MSG_BYTES + 64];
    int n = snprintf(line, sizeof line, "invoke: %s: %s", what, msg);
    if (n > 0) host_j_log(c->run, c->hi->index, 3, (const uint8_t *)line, strlen(line));
    res[0].i32 = host_neg32(KP_E_HOST_CALLEE_TRAP);
    return KP_OK;
}

/* A trap that must end the run rather than the callee alone. */
static int fatal(int code)
{
    return code == KW_TRAP_FUEL || code == KP_E_HOST_REPLAY_DIVERGED || code == KP_E_NOMEM;
}

int hc_invoke(host_call *c, const kw_val *a, kw_val *res)
{
    host_run *r = c->run;
    host_inst *hi = c->hi;
    uint32_t mlen = HOST_U32(a, 2), alen = HOST_U32(a, 4), nh = HOST_U32(a, 6);
    const uint8_t *p, *method, *args, *hv;
    uint8_t id[32];
    int32_t hs[HOST_INVOKE_HANDLES_MAX];
    int rc;
    c->extra_fuel = HOST_FUEL_INVOKE;
    if (hi->depth + 1 > HOST_MAX_INVOKE_DEPTH)
        return host_trap(c, KP_E_HOST_INVOKE_DEPTH, "invoke: nested more than %d deep",
                         HOST_MAX_INVOKE_DEPTH);
    if (mlen == 0 || mlen > HOST_METHOD_MAX || alen > HOST_INVOKE_ARGS_MAX ||
        nh > HOST_INVOKE_HANDLES_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "invoke: method 1..%u bytes, args up to %u bytes, "
                                             "up to %u handles",
                         HOST_METHOD_MAX, HOST_INVOKE_ARGS_MAX, HOST_INVOKE_HANDLES_MAX);
    if ((rc = host_in(c, HOST_U32(a, 0), 32, &p))) return rc;
    memcpy(id, p, 32);
    if ((rc = host_in(c, HOST_U32(a, 1), mlen, &method)) || (rc = host_in(c, HOST_U32(a, 3), alen, &args)) ||
        (rc = host_in(c, HOST_U32(a, 5), nh * 4, &hv)) || (rc = host_check(c, HOST_U32(a, 7), HOST_U32(a, 8))))
        return rc;
    char mname[HOST_METHOD_MAX + 1];
    memcpy(mname, method, mlen);
    mname[mlen] = 0;
    if (strlen(mname) != mlen) return host_trap(c, KP_E_HOST_BAD_ARG, "invoke: NUL in method name");
    /* every handle passed must be live and named once: misuse traps here,
       before anything moves */
    for (uint32_t i = 0; i < nh; i++) {
        const cap_handle *hd;
        hs[i] = (int32_t)((uint32_t)hv[4 * i] | (uint32_t)hv[4 * i + 1] << 8 |
                          (uint32_t)hv[4 * i + 2] << 16 | (uint32_t)hv[4 * i + 3] << 24);
        if ((rc = cap_get(&hi->handles, hs[i], CAP_KIND_NONE, &hd))) return host_cap_trap(c, rc, hs[i]);
        for (uint32_t k = 0; k < i; k++)
            if (hs[k] == hs[i])
                return host_trap(c, KP_E_HOST_BAD_ARG, "invoke: handle %ld passed twice", (long)hs[i]);
    }
    /* the callee must be registered and active */
    int found;
    host_module_info info;
    if ((rc = host_w_module_info(c, id, &found, &info))) return rc;
    int pending = host_j_lifecycle_state(&r->j, id);
    if (!found) {
        res[0].i32 = host_neg32(KP_E_NOT_FOUND);
        return KP_OK;
    }
    if ((pending >= 0 ? pending : info.state) != HOST_MODULE_ACTIVE) {
        res[0].i32 = host_neg32(KP_E_HOST_MODULE_STATE);
        return KP_OK;
    }
    /* its code is content-addressed: whoever supplies it, the id checks it */
    const host_modules *mods = r->cfg.modules;
    const uint8_t *wasm;
    size_t wlen;
    kp_error err;
    kp_error_clear(&err);
    uint8_t got[32];
    if (!mods || mods->code(mods->user, id, &wasm, &wlen, &err)) {
        res[0].i32 = host_neg32(KP_E_NOT_FOUND);
        return KP_OK;
    }
    kp_module_id(wasm, wlen, got);
    if (memcmp(got, id, 32) != 0) return callee_failed(c, res, "module", "code does not match its id");
    host_inst *ce;
    if ((rc = host_inst_new(r, wasm, wlen, id, hi->depth + 1, &ce, &err))) {
        if (fatal(rc)) return host_trap(c, rc, "invoke: %s", err.msg);
        return callee_failed(c, res, "link", err.msg);
    }
    if ((rc = host_mint_grant(r, ce, &err))) return host_trap(c, rc, "invoke: %s", err.msg);
    for (uint32_t i = 0; i < nh; i++) {
        cap_handle h;
        int32_t nhd;
        if ((rc = cap_take(&hi->handles, hs[i], &h))) return host_cap_trap(c, rc, hs[i]);
        if ((rc = cap_mint(&ce->handles, &h, &nhd))) return host_cap_trap(c, rc, hs[i]);
    }
    if ((rc = host_inst_start(r, ce, &err))) {
        if (fatal(rc)) return host_trap(c, rc, "invoke: %s", err.msg);
        return callee_failed(c, res, "start", err.msg);
    }
    /* the method and the allocator */
    kw_extern fx, ax;
    const uint8_t *tp, *tr;
    uint32_t np, nr;
    if (kw_instance_export(ce->inst, mname, mlen, &fx) || fx.kind != KW_EXTERN_FUNC)
        return callee_failed(c, res, mname, "no such exported method");
    kw_func_type(fx.u.func, &tp, &np, &tr, &nr);
    if (np != 2 || tp[0] != KW_I32 || tp[1] != KW_I32 || nr != 1 || tr[0] != KW_I64)
        return callee_failed(c, res, mname, "a method is (i32, i32) -> i64");
    kw_val cargs[2] = {{.i32 = 0}, {.i32 = alen}};
    kw_error kerr;
    kw_memory *cm = kw_instance_memory(ce->inst);
    if (alen) {
        if (kw_instance_export(ce->inst, HOST_ALLOC_EXPORT, strlen(HOST_ALLOC_EXPORT), &ax) ||
            ax.kind != KW_EXTERN_FUNC)
            return callee_failed(c, res, mname, "the callee exports no kapsule_alloc");
        kw_val sz = {.i32 = alen}, ptr = {.raw = 0};
        kw_func_type(ax.u.func, &tp, &np, &tr, &nr);
        if (np != 1 || tp[0] != KW_I32 || nr != 1 || tr[0] != KW_I32)
            return callee_failed(c, res, mname, "kapsule_alloc is (i32) -> i32");
        if ((rc = kw_call(r->store, ax.u.func, &sz, 1, &ptr, 1, &kerr))) {
            if (fatal(rc)) return host_trap(c, rc, "%s", kerr.msg);
            return callee_failed(c, res, "kapsule_alloc", kerr.msg);
        }
        cm = kw_instance_memory(ce->inst);
        uint8_t *dst = cm ? kw_memory_slice(cm, ptr.i32, alen) : NULL;
        if (!dst) return callee_failed(c, res, "kapsule_alloc", "returned a bad pointer");
        memcpy(dst, args, alen);
        cargs[0].i32 = ptr.i32;
    }
    kw_val ret = {.raw = 0};
    if ((rc = kw_call(r->store, fx.u.func, cargs, 2, &ret, 1, &kerr))) {
        if (fatal(rc)) return host_trap(c, rc, "%s", kerr.msg);
        return callee_failed(c, res, mname, kerr.msg);
    }
    int64_t v = (int64_t)ret.i64;
    if (v < 0) {
        /* the callee's own error value, passed on (within i32) */
        res[0].i32 = v < -(int64_t)INT32_MAX ? (uint32_t)INT32_MIN : (uint32_t)(int32_t)v;
        return KP_OK;
    }
    uint32_t rptr = (uint32_t)v, rlen = (uint32_t)((uint64_t)v >> 32);
    cm = kw_instance_memory(ce->inst);
    const uint8_t *src = rlen == 0 ? (const uint8_t *)"" : cm ? kw_memory_slice(cm, rptr, rlen) : NULL;
    if (!src || rlen > INT32_MAX) return callee_failed(c, res, mname, "result outside its memory");
    int32_t n;
    rc = host_out_fit(c, HOST_U32(a, 7), HOST_U32(a, 8), src, rlen, &n);
    res[0].i32 = (uint32_t)n;
    return rc;
}
