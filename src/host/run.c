/*
 * run.c: a run from start to end: compile, grant, link check, mint,
 * instantiate, call the entry point, report, commit. Instances made by
 * invoke (hc_invoke.c) go through host_inst_new/host_inst_start too, so
 * every module, top-level or invoked, is linked by the same checks.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "host/internal.h"
#include "util/alloc.h"
#include "util/error.h"

void host_subject(const host_run *r, const uint8_t module[32], pol_subject *s)
{
    memset(s, 0, sizeof *s);
    memcpy(s->module, module, 32);
    s->type = r->capsule->type;
    s->author = r->capsule->author;
    s->author_len = r->capsule->author_len;
    s->now = r->cfg.now;
}

/* ---- imports ------------------------------------------------------------------------ */

static int name_eq(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

static int type_matches(const host_fn *f, const kw_extern_desc *d)
{
    if (d->nparams != strlen(f->params) || d->nresults != strlen(f->results)) return 0;
    for (uint32_t i = 0; i < d->nparams; i++)
        if (d->params[i] != (f->params[i] == 'i' ? KW_I32 : KW_I64)) return 0;
    for (uint32_t i = 0; i < d->nresults; i++)
        if (d->results[i] != (f->results[i] == 'i' ? KW_I32 : KW_I64)) return 0;
    return 1;
}

static void sig_text(const host_fn *f, char *out, size_t n)
{
    size_t k = 0;
    out[0] = 0;
    k += (size_t)snprintf(out + k, n - k, "(");
    for (size_t i = 0; f->params[i] && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%s", i ? "," : "", f->params[i] == 'i' ? "i32" : "i64");
    if (k < n) k += (size_t)snprintf(out + k, n - k, ") -> (");
    for (size_t i = 0; f->results[i] && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%s", i ? "," : "", f->results[i] == 'i' ? "i32" : "i64");
    if (k < n) snprintf(out + k, n - k, ")");
}

int host_imports(const kw_module *m, pol_caps *caps, int *fns, kp_error *err)
{
    uint32_t n = kw_module_import_count(m);
    *caps = 0;
    for (uint32_t i = 0; i < n; i++) {
        kw_extern_desc d;
        if (kw_module_import(m, i, &d) != KW_OK) return err_set(err, KP_E_INTERNAL, "import %u", i);
        int host_module = name_eq(d.module, d.module_len, "kapsule") ||
                          name_eq(d.module, d.module_len, "wasi_snapshot_preview1");
        int len_m = d.module_len > 64 ? 64 : (int)d.module_len;
        int len_n = d.name_len > 64 ? 64 : (int)d.name_len;
        if (!host_module)
            return err_set(err, KP_E_HOST_UNKNOWN_IMPORT,
                           "import %u is %.*s.%.*s: logic modules import only from \"kapsule\" "
                           "and \"wasi_snapshot_preview1\"",
                           i, len_m, d.module, len_n, d.name);
        const host_fn *f = NULL;
        size_t k;
        for (k = 0; k < host_nfns; k++)
            if (name_eq(d.module, d.module_len, host_fns[k].module) &&
                name_eq(d.name, d.name_len, host_fns[k].name)) {
                f = &host_fns[k];
                break;
            }
        if (!f || d.kind != KW_EXTERN_FUNC)
            return err_set(err, KP_E_HOST_UNKNOWN_IMPORT,
                           "import %u is %.*s.%.*s, which the host does not provide", i, len_m,
                           d.module, len_n, d.name);
        if (!type_matches(f, &d)) {
            char sig[128];
            sig_text(f, sig, sizeof sig);
            return err_set(err, KP_E_HOST_IMPORT_TYPE, "import %u: %s.%s has type %s", i,
                           f->module, f->name, sig);
        }
        *caps |= 1u << f->cap;
        if (fns) fns[i] = (int)k;
    }
    return KP_OK;
}

/* The link error for an import whose capability is not granted: it names
   the function, the capability, and the rule that would grant it. */
static int not_granted(host_run *r, host_inst *hi, const host_fn *f, kp_error *err)
{
    pol_subject s;
    char why[160], hex[65];
    host_subject(r, hi->module_id, &s);
    cry_hex(hex, hi->module_id, 32);
    int ri = pol_rule_would_grant(r->cfg.policy, &s, f->cap, why, sizeof why);
    const char *cap = pol_cap_name(f->cap);
    if (ri >= 0)
        err_set_field(err, KP_E_CAP_NOT_GRANTED, cap,
                      "%s.%s needs capability \"%s\", not granted to this run: rule \"%s\" "
                      "grants it, but %s",
                      f->module, f->name, cap, r->cfg.policy->rules[ri].name, why);
    else
        err_set_field(err, KP_E_CAP_NOT_GRANTED, cap,
                      "%s.%s needs capability \"%s\", which no policy rule grants to module %.16s...: "
                      "add \"%s\" to a grant with \"module\": \"%s\"",
                      f->module, f->name, cap, hex, cap, hex);
    return KP_E_CAP_NOT_GRANTED;
}

/* ---- instances ------------------------------------------------------------------------ */

static void inst_free(host_inst *hi)
{
    if (!hi) return;
    kw_module_free(hi->module);
    mem_free(hi->bindings, hi->nbindings * sizeof *hi->bindings);
    mem_free(hi, sizeof *hi);
}

int host_inst_new(host_run *r, const uint8_t *wasm, size_t len, const uint8_t id[32], int depth,
                  host_inst **out, kp_error *err)
{
    kw_module *m = NULL;
    host_inst *hi = NULL;
    int *fns = NULL;
    uint32_t n = 0;
    pol_caps caps;
    int rc;
    if (r->ninsts >= HOST_MAX_INSTANCES)
        return err_set(err, KP_E_HOST_LIMIT, "more than %d instances in one run", HOST_MAX_INSTANCES);
    if ((rc = host_code_get(r->cfg.code_cache, id, &r->kcfg, wasm, len, &m, err))) return rc;
    n = kw_module_import_count(m);
    if (n && !(fns = mem_calloc(n, sizeof *fns))) {
        rc = err_set(err, KP_E_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = host_imports(m, &caps, fns, err))) goto fail;
    if (!(hi = mem_calloc(1, sizeof *hi)) ||
        (n && !(hi->bindings = mem_calloc(n, sizeof *hi->bindings)))) {
        rc = err_set(err, KP_E_NOMEM, "out of memory");
        goto fail;
    }
    hi->nbindings = n;
    hi->run = r;
    hi->index = r->ninsts;
    hi->depth = depth;
    memcpy(hi->module_id, id, 32);
    hi->module = m;
    m = NULL;
    cap_table_init(&hi->handles);
    pol_subject s;
    host_subject(r, id, &s);
    pol_evaluate(r->cfg.policy, &s, caps, &hi->grant);
    for (uint32_t i = 0; i < n; i++) {
        const host_fn *f = &host_fns[fns[i]];
        hi->bindings[i] = (host_binding){f, hi};
        /* checked in import order, so the first ungranted import is named */
        if (!(hi->grant.caps >> f->cap & 1)) {
            rc = not_granted(r, hi, f, err);
            goto fail;
        }
    }
    mem_free(fns, n * sizeof *fns);
    r->insts[r->ninsts++] = hi;
    *out = hi;
    return KP_OK;
fail:
    mem_free(fns, n * sizeof *fns);
    kw_module_free(m);
    inst_free(hi);
    return rc;
}

static int resolve(void *user, const kw_module *m, uint32_t i, const kw_extern_desc *d,
                   kw_extern *out)
{
    (void)m;
    (void)d;
    host_inst *hi = user;
    if (i >= hi->nbindings) return KW_E_UNKNOWN_IMPORT;
    const host_fn *f = hi->bindings[i].fn;
    uint8_t p[HOST_MAX_ARGS], res[HOST_MAX_RESULTS];
    uint32_t np = (uint32_t)strlen(f->params), nr = (uint32_t)strlen(f->results);
    for (uint32_t k = 0; k < np; k++) p[k] = f->params[k] == 'i' ? KW_I32 : KW_I64;
    for (uint32_t k = 0; k < nr; k++) res[k] = f->results[k] == 'i' ? KW_I32 : KW_I64;
    kw_func *fn = kw_func_new_host(hi->run->store, p, np, res, nr, host_trampoline, &hi->bindings[i]);
    if (!fn) return KW_E_NOMEM;
    out->kind = KW_EXTERN_FUNC;
    out->u.func = fn;
    return KW_OK;
}

int host_inst_start(host_run *r, host_inst *hi, kp_error *err)
{
    kw_error kerr;
    int rc = kw_instantiate(r->store, hi->module, resolve, hi, &hi->inst, &kerr);
    if (rc) return err_from_kw(err, &kerr);
    return KP_OK;
}

/* ---- minting ------------------------------------------------------------------------------ */

static int mint_one(host_run *r, host_inst *hi, int cap, const cap_handle *h, const char *source,
                    kp_error *err)
{
    host_call *c = host_pseudo_begin(r, hi, cap, "mint", err);
    if (!c) return err->code ? err->code : KP_E_INTERNAL;
    host_mint_info mi = {cap_kind_name(h->kind), h->resource, h->resource_len,
                         h->amount == CAP_UNLIMITED, h->amount, source};
    c->e->mint = &mi;
    int32_t out = 0;
    int rc = cap_mint(&hi->handles, h, &out);
    if (rc) err_set(err, rc, "cannot mint a %s handle: the handle table is full", mi.kind);
    c->e->res[0] = (uint32_t)out;
    c->e->nres = 1;
    return host_pseudo_end(c, rc);
}

/* Policy-minted handles: once per module per run, so that invoking a
   module again does not multiply its budget. */
static int minted_before(host_run *r, host_inst *hi)
{
    for (uint32_t i = 0; i < r->ninsts; i++)
        if (r->insts[i] != hi && memcmp(r->insts[i]->module_id, hi->module_id, 32) == 0) return 1;
    return 0;
}

int host_mint_grant(host_run *r, host_inst *hi, kp_error *err)
{
    const pol_effective *g = &hi->grant;
    char src[POL_NAME_MAX + 16];
    int rc;
    if (minted_before(r, hi)) return KP_OK;
    if (g->emit_count) {
        cap_handle h = {CAP_KIND_EMIT, g->emit_count, 0, {0}};
        snprintf(src, sizeof src, "policy:%s",
                 g->emit_rule >= 0 ? r->cfg.policy->rules[g->emit_rule].name : "default");
        if ((rc = mint_one(r, hi, POL_CAP_EMIT, &h, src, err))) return rc;
    }
    for (size_t i = 0; i < g->nbudgets; i++) {
        const pol_budget *b = &g->budgets[i];
        cap_handle h = {CAP_KIND_LEDGER_SPEND, b->amount, b->account_len, {0}};
        memcpy(h.resource, b->account, b->account_len);
        snprintf(src, sizeof src, "policy:%s", r->cfg.policy->rules[b->rule].name);
        if ((rc = mint_one(r, hi, POL_CAP_LEDGER, &h, src, err))) return rc;
    }
    return KP_OK;
}

/* Checks one verified request against the world (nonce unused, owner) and
   mints it, all inside one recorded "mint" entry. */
static int mint_request(host_run *r, host_inst *hi, const cap_request *q, size_t idx,
                        kp_error *err)
{
    const host_capsule *cp = r->capsule;
    int cap = q->kind == CAP_KIND_LEDGER_SPEND ? POL_CAP_LEDGER : POL_CAP_LIFECYCLE;
    char src[32];
    snprintf(src, sizeof src, "request:%zu", idx);
    cap_handle h;
    memset(&h, 0, sizeof h);
    h.kind = q->kind;
    h.amount = q->amount;
    if (q->kind == CAP_KIND_LEDGER_SPEND) {
        h.resource_len = cp->author_len;
        memcpy(h.resource, cp->author, cp->author_len);
    } else {
        h.resource_len = q->resource_len;
        memcpy(h.resource, q->resource, q->resource_len);
    }
    host_call *c = host_pseudo_begin(r, hi, cap, "mint", err);
    if (!c) return err->code ? err->code : KP_E_INTERNAL;
    host_mint_info mi = {cap_kind_name(h.kind), h.resource, h.resource_len,
                         h.amount == CAP_UNLIMITED, h.amount, src};
    c->e->mint = &mi;
    int used = 0, rc;
    int32_t out = 0;
    if ((rc = host_w_nonce_used(c, cp->author, cp->author_len, q->nonce, q->nonce_len, &used)))
        goto end;
    if (used || host_j_nonce_pending(&r->j, cp->author, cp->author_len, q->nonce, q->nonce_len)) {
        rc = err_set(err, KP_E_CAP_REQUEST_REPLAYED,
                     "capability request %zu was already used (its nonce is spent): refusing a "
                     "double spend",
                     idx);
        goto end;
    }
    if (q->kind == CAP_KIND_LIFECYCLE) {
        int found;
        host_module_info info;
        if ((rc = host_w_module_info(c, q->resource, &found, &info))) goto end;
        if (!found || info.owner_len != cp->author_len ||
            memcmp(info.owner, cp->author, cp->author_len) != 0) {
            rc = err_set(err, KP_E_CAP_REQUEST_DENIED,
                         "capability request %zu: a lifecycle handle is given only by the "
                         "module's registered owner",
                         idx);
            goto end;
        }
    }
    if ((rc = cap_mint(&hi->handles, &h, &out))) {
        err_set(err, rc, "cannot mint: the handle table is full");
        goto end;
    }
    if (host_j_nonce_add(&r->j, cp->author, cp->author_len, q->nonce, q->nonce_len))
        rc = err_set(err, KP_E_NOMEM, "out of memory");
end:
    c->e->res[0] = (uint32_t)out;
    c->e->nres = rc ? 0 : 1;
    int rc2 = host_pseudo_end(c, rc);
    return rc ? rc : rc2;
}

/*
 * Request i of the capsule's own "caps" as a cap_request, checked as
 * cap_request_open checks a signed one (the capsule's signature stands
 * for the request's): module, a kind this host mints, the resource rules,
 * the amount's range. The nonce is the capsule id followed by i.
 */
static int capsule_request(const host_capsule *cp, size_t i, const uint8_t module[32],
                           cap_request *q, kp_error *err)
{
    const kp_capsule_cap *k = &cp->caps[i];
    memset(q, 0, sizeof *q);
    memcpy(q->module, k->module, 32);
    if (memcmp(k->module, module, 32) != 0)
        return err_set(err, KP_E_CAP_REQUEST_MODULE, "caps[%zu] is for another module", i);
    q->kind = cap_kind_parse(k->kind, k->kind_len);
    if (q->kind == CAP_KIND_LEDGER_SPEND) {
        /* always the author's own account: a resource would name another */
        if (k->resource_len)
            return err_set(err, KP_E_CAP_REQUEST_DENIED,
                           "caps[%zu]: ledger.spend spends the author's own account and "
                           "takes no resource",
                           i);
        if (k->amount == 0 || k->amount > CAP_AMOUNT_MAX)
            return err_set(err, KP_E_CAP_REQUEST_DENIED,
                           "caps[%zu]: a ledger.spend amount is 1..2^63-1", i);
        q->amount = k->amount;
    } else if (q->kind == CAP_KIND_LIFECYCLE) {
        if (k->resource_len != 32)
            return err_set(err, KP_E_CAP_REQUEST_DENIED,
                           "caps[%zu]: lifecycle needs the module id it governs as its "
                           "resource (32 bytes)",
                           i);
        q->amount = CAP_UNLIMITED;
        q->resource_len = 32;
        memcpy(q->resource, k->resource, 32);
    } else {
        return err_set(err, KP_E_CAP_REQUEST_DENIED,
                       "caps[%zu] asks for \"%.*s\", which the host does not mint (it mints "
                       "ledger.spend and lifecycle)",
                       i, (int)k->kind_len, k->kind);
    }
    /* KP_CAPSULE_MAX_CAPS (16) fits the position byte */
    memcpy(q->nonce, cp->id, HOST_ID_BYTES);
    q->nonce[HOST_ID_BYTES] = (uint8_t)i;
    q->nonce_len = HOST_ID_BYTES + 1;
    return KP_OK;
}

/* A request is honoured only when the grant holds the capability its
   handle belongs to: a signature asks, the policy allows. */
static int request_granted(const host_inst *hi, const cap_request *q, const char *what,
                           kp_error *err)
{
    int cap = q->kind == CAP_KIND_LEDGER_SPEND ? POL_CAP_LEDGER : POL_CAP_LIFECYCLE;
    if (hi->grant.caps >> cap & 1) return KP_OK;
    return err_set(err, KP_E_CAP_REQUEST_DENIED,
                   "%s asks for a %s handle, but the module does not hold capability \"%s\"",
                   what, cap_kind_name(q->kind), pol_cap_name(cap));
}

int host_mint_requests(host_run *r, host_inst *hi, kp_error *err)
{
    const host_capsule *cp = r->capsule;
    for (size_t i = 0; i < cp->nrequests; i++) {
        const host_request *rq = &cp->requests[i];
        cap_request q;
        int rc = cap_request_open(rq->payload, rq->len, rq->sig, rq->sig_len, cp->author_alg,
                                  cp->author, cp->author_len, &q, err);
        if (rc) {
            err_prefix(err, "capability request %zu", i);
            return rc;
        }
        if (memcmp(q.module, hi->module_id, 32) != 0)
            return err_set(err, KP_E_CAP_REQUEST_MODULE,
                           "capability request %zu is for another module", i);
        char what[48];
        snprintf(what, sizeof what, "capability request %zu", i);
        if ((rc = request_granted(hi, &q, what, err)) || (rc = mint_request(r, hi, &q, i, err)))
            return rc;
    }
    if (cp->ncaps > KP_CAPSULE_MAX_CAPS)
        return err_set(err, KP_E_ARG, "a capsule carries at most %d caps", KP_CAPSULE_MAX_CAPS);
    for (size_t i = 0; i < cp->ncaps; i++) {
        cap_request q;
        char what[48];
        snprintf(what, sizeof what, "caps[%zu]", i);
        int rc = capsule_request(cp, i, hi->module_id, &q, err);
        if (rc || (rc = request_granted(hi, &q, what, err)) ||
            (rc = mint_request(r, hi, &q, cp->nrequests + i, err)))
            return rc;
    }
    return KP_OK;
}

/* ---- the run ------------------------------------------------------------------------------- */

void host_run_free(host_run *r)
{
    if (!r) return;
    kw_store_free(r->store);
    for (uint32_t i = 0; i < r->ninsts; i++) inst_free(r->insts[i]);
    host_tr_free(r->tr);
    for (int i = 0; i < HOST_MAX_NEST; i++) {
        host_entry_free(&r->entries[i]);
        buf_free(&r->enc[i]);
    }
    buf_free(&r->pending);
    host_map_free(&r->reads);
    buf_free(&r->scratch);
    buf_free(&r->meta);
    host_journal_free(&r->j);
    mem_free(r, sizeof *r);
}

int host_run_new(const host_config *cfg, const uint8_t *wasm, size_t len,
                 const host_capsule *capsule, host_run **out, kp_error *err)
{
    kp_error local;
    host_inst *hi;
    uint8_t id[32];
    int rc;
    if (!err) err = &local; /* the mint helpers read err->code */
    kp_error_clear(err);
    host_run *r = mem_calloc(1, sizeof *r);
    if (!r) return err_set(err, KP_E_NOMEM, "out of memory");
    r->cfg = *cfg;
    r->capsule = capsule;
    if ((rc = host_tr_new(&r->tr, err))) goto fail;
    if (host_meta_encode(capsule, &r->meta)) {
        rc = err_set(err, KP_E_NOMEM, "cannot encode the capsule's metadata");
        goto fail;
    }
    kp_module_id(wasm, len, id);
    if ((rc = host_inst_new(r, wasm, len, id, 0, &hi, err))) goto fail;
    /* the run's limits are those of its module's grant; invoked modules
       share the store, hence its memory limit and its fuel */
    r->kcfg.max_memory_pages = hi->grant.limits.memory_pages;
    if (!(r->store = kw_store_new(&r->kcfg))) {
        rc = err_set(err, KP_E_NOMEM, "out of memory");
        goto fail;
    }
    uint64_t fuel = hi->grant.limits.fuel;
    if (cfg->fuel && cfg->fuel < fuel) fuel = cfg->fuel;
    if (fuel > (uint64_t)INT64_MAX) fuel = (uint64_t)INT64_MAX;
    r->fuel_budget = fuel;
    kw_store_set_fuel(r->store, fuel);
    if ((rc = host_mint_grant(r, hi, err)) || (rc = host_mint_requests(r, hi, err)) ||
        (rc = host_inst_start(r, hi, err)))
        goto fail;
    *out = r;
    return KP_OK;
fail:
    host_run_free(r);
    return rc;
}

int host_run_call(host_run *r, kp_error *err)
{
    kw_extern ex;
    kw_error kerr;
    kw_val ret;
    int rc, wasi = 0;
    host_inst *top = r->insts[0];
    const uint8_t *p, *q;
    uint32_t np, nr;
    if (r->called) return err_set(err, KP_E_ARG, "a run is called once");
    r->called = 1;
    if (kw_instance_export(top->inst, HOST_ENTRY, strlen(HOST_ENTRY), &ex) != KW_OK) {
        if (kw_instance_export(top->inst, HOST_WASI_ENTRY, strlen(HOST_WASI_ENTRY), &ex) != KW_OK)
            return err_set(err, KP_E_HOST_NO_ENTRY,
                           "the module exports neither %s () -> i32 nor %s () -> ()", HOST_ENTRY,
                           HOST_WASI_ENTRY);
        wasi = 1;
    }
    if (ex.kind != KW_EXTERN_FUNC)
        return err_set(err, KP_E_HOST_NO_ENTRY, "the entry point is not a function");
    kw_func_type(ex.u.func, &p, &np, &q, &nr);
    if (np != 0 || nr != (wasi ? 0u : 1u) || (!wasi && q[0] != KW_I32))
        return err_set(err, KP_E_HOST_NO_ENTRY, "%s must be () -> %s",
                       wasi ? HOST_WASI_ENTRY : HOST_ENTRY, wasi ? "()" : "i32");
    ret.raw = 0;
    rc = kw_call(r->store, ex.u.func, NULL, 0, &ret, nr, &kerr);
    if (rc == KP_E_HOST_EXIT && r->exited) rc = KP_OK;
    if (rc) err_from_kw(err, &kerr);
    else r->entry_ret = (int32_t)ret.i32;
    kp_error terr;
    kp_error_clear(&terr);
    int trc = host_transcript_end(r, &terr);
    /* a trap keeps its own message; else a transcript left over is the
       failure */
    if (trc && rc == KP_OK) {
        if (err) *err = terr;
        rc = trc;
    }
    r->ran_ok = rc == KP_OK;
    return rc;
}

int host_run_commit(host_run *r, kp_error *err)
{
    if (!r->ran_ok || r->committed)
        return err_set(err, KP_E_ARG, "only a run that completed is committed, once");
    if (r->cfg.replay) return err_set(err, KP_E_ARG, "a replay changes nothing");
    r->committed = 1;
    return host_j_commit(r, err);
}

/* ---- results -------------------------------------------------------------------------------- */

const uint8_t *host_run_module_id(const host_run *r)
{
    return r->insts[0]->module_id;
}

const pol_effective *host_run_grant(const host_run *r)
{
    return &r->insts[0]->grant;
}

int host_run_verdict(const host_run *r, const char **reason)
{
    if (r->j.verdict != HOST_VERDICT_NONE) {
        *reason = r->j.reason ? r->j.reason : "";
        return r->j.verdict;
    }
    if (!r->ran_ok) {
        *reason = "the module trapped";
        return HOST_VERDICT_REJECT;
    }
    int32_t v = r->exited ? r->exit_code : r->entry_ret;
    if (v == 0) {
        *reason = "";
        return HOST_VERDICT_ACCEPT;
    }
    *reason = r->exited ? "nonzero exit status" : "entry point returned nonzero";
    return HOST_VERDICT_REJECT;
}

int32_t host_run_exit_code(const host_run *r)
{
    return r->exited ? r->exit_code : r->entry_ret;
}

const uint8_t *host_run_result(const host_run *r, size_t *len, int *submitted)
{
    *len = r->j.result.len;
    *submitted = r->j.result_set;
    return r->j.result.p ? r->j.result.p : (const uint8_t *)"";
}

uint64_t host_run_fuel_used(const host_run *r)
{
    return host_fuel_used(r);
}

const kp_transcript *host_run_transcript(const host_run *r)
{
    return r->tr;
}

size_t host_run_emitted_count(const host_run *r)
{
    return r->j.nemits;
}

const host_emitted *host_run_emitted(const host_run *r, size_t i)
{
    return i < r->j.nemits ? &r->j.emits[i].pub : NULL;
}

const uint8_t *host_run_logs(const host_run *r, size_t *len)
{
    *len = r->j.logs.len;
    return r->j.logs.p ? r->j.logs.p : (const uint8_t *)"";
}

kw_store *host_run_store(host_run *r)
{
    return r->store;
}

kw_instance *host_run_instance(host_run *r)
{
    return r->insts[0]->inst;
}
