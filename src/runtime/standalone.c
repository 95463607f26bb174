/*
 * standalone.c: kp_run_standalone (kapsule.h, "standalone runs"), a logic
 * module run for a made-up capsule against the in-memory world
 * (host/mem.c), which is the library's one public use of it: the world
 * lives and dies with the kp_run. The CLI's `kapsule run` is a client of
 * this, as an embedder's test harness would be.
 */
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "host/host.h"
#include "host/policy.h"
#include "runtime/runtime.h"
#include "util/alloc.h"
#include "util/error.h"

/* The most flags and parents a made-up capsule carries: the capsule
   format's own bounds. */
#define RUN_MAX_FLAGS KP_CAPSULE_MAX_FLAGS
#define RUN_MAX_PARENTS KP_CAPSULE_MAX_PARENTS

struct kp_run {
    host_mem *mem;
    host_run *run;
    host_capsule cap;
    int status;
    /* the capsule's borrowed parts, copied: the run outlives the call */
    buf body, type;
    uint8_t author[KP_PK_MAX_BYTES];
    uint8_t (*parents)[KP_ID_BYTES];
    host_flag *flags;
    char **flag_text; /* key and value of flag i at 2i, 2i + 1 */
    size_t nflags;
    /* the grant, with the names of the rules that granted it */
    size_t ngrant;
    const char *grant_cap[POL_NCAPS];
    char *grant_rule[POL_NCAPS];
};

void kp_run_free(kp_run *r)
{
    if (!r) return;
    host_run_free(r->run);
    host_mem_free(r->mem);
    buf_free(&r->body);
    buf_free(&r->type);
    if (r->parents) mem_free(r->parents, r->cap.nparents * sizeof *r->parents);
    for (size_t i = 0; i < 2 * r->nflags; i++)
        if (r->flag_text[i]) mem_free(r->flag_text[i], strlen(r->flag_text[i]) + 1);
    if (r->flag_text) mem_free(r->flag_text, 2 * r->nflags * sizeof *r->flag_text);
    if (r->flags) mem_free(r->flags, r->nflags * sizeof *r->flags);
    for (size_t i = 0; i < r->ngrant; i++) mem_free(r->grant_rule[i], strlen(r->grant_rule[i]) + 1);
    mem_free(r, sizeof *r);
}

static char *text_dup(const char *p, size_t n)
{
    char *t = mem_alloc(n + 1);
    if (t) {
        memcpy(t, p, n);
        t[n] = 0;
    }
    return t;
}

/* Copies what the made-up capsule says into r->cap, and names it. */
static int make_capsule(kp_run *r, const kp_run_opts *o, const uint8_t mid[KP_ID_BYTES],
                        int64_t now, kp_error *err)
{
    const char *type = o->type ? o->type : "post";
    host_capsule *c = &r->cap;
    if (o->author_len > KP_PK_MAX_BYTES || (o->author_len && !o->author))
        return err_set(err, KP_E_ARG, "the author key is longer than %d bytes or missing",
                       KP_PK_MAX_BYTES);
    if (o->parent_count > RUN_MAX_PARENTS || (o->parent_count && !o->parents))
        return err_set(err, KP_E_ARG, "at most %d parents", RUN_MAX_PARENTS);
    if (o->flag_count > RUN_MAX_FLAGS || (o->flag_count && !o->flags))
        return err_set(err, KP_E_ARG, "at most %d flags", RUN_MAX_FLAGS);
    if (o->body_len && !o->body) return err_set(err, KP_E_ARG, "a body length without a body");
    if (buf_append(&r->type, type, strlen(type) + 1) ||
        buf_append(&r->body, o->body ? o->body : (const uint8_t *)"", o->body_len))
        return err_set(err, KP_E_NOMEM, "out of memory");
    memcpy(r->author, o->author ? o->author : (const uint8_t *)"", o->author_len);
    if (o->parent_count) {
        if (!(r->parents = mem_alloc(o->parent_count * sizeof *r->parents)))
            return err_set(err, KP_E_NOMEM, "out of memory");
        memcpy(r->parents, o->parents, o->parent_count * sizeof *r->parents);
    }
    c->nparents = o->parent_count;
    if (o->flag_count) {
        r->flags = mem_calloc(o->flag_count, sizeof *r->flags);
        r->flag_text = mem_calloc(2 * o->flag_count, sizeof *r->flag_text);
        if (!r->flags || !r->flag_text) return err_set(err, KP_E_NOMEM, "out of memory");
        r->nflags = o->flag_count;
        for (size_t i = 0; i < o->flag_count; i++) {
            const kp_capsule_flag *f = &o->flags[i];
            r->flag_text[2 * i] = text_dup(f->key, f->key_len);
            r->flag_text[2 * i + 1] = text_dup(f->value, f->value_len);
            if (!r->flag_text[2 * i] || !r->flag_text[2 * i + 1])
                return err_set(err, KP_E_NOMEM, "out of memory");
            r->flags[i].key = r->flag_text[2 * i];
            r->flags[i].value = r->flag_text[2 * i + 1];
        }
    }
    c->type = (const char *)r->type.p;
    c->author_alg = o->author_len ? o->author_alg : KP_ALG_NONE;
    c->author = r->author;
    c->author_len = o->author_len;
    c->parents = (const uint8_t(*)[KP_ID_BYTES])r->parents;
    c->has_logic = 1;
    memcpy(c->logic, mid, KP_ID_BYTES);
    c->flags = r->flags;
    c->nflags = r->nflags;
    c->created = o->created ? o->created : now;
    c->body = r->body.p ? r->body.p : (const uint8_t *)"";
    c->body_len = r->body.len;
    /* a made-up capsule still needs a stable id: the hash of what it says */
    cry_sha256_ctx h;
    cry_sha256_init(&h);
    cry_sha256_update(&h, "kapsule run\n", 12);
    cry_sha256_update(&h, type, strlen(type) + 1);
    cry_sha256_update(&h, r->author, o->author_len);
    cry_sha256_update(&h, c->body, c->body_len);
    cry_sha256_final(&h, c->id);
    return KP_OK;
}

/* The grant as capability and rule names, copied out of the policy (which
   is only borrowed for the call). */
static int keep_grant(kp_run *r, const kp_policy *pol, kp_error *err)
{
    const pol_effective *g = host_run_grant(r->run);
    for (int c = 0; c < POL_NCAPS; c++) {
        if (!(g->caps >> c & 1)) continue;
        const char *rule = pol && g->rule_of[c] >= 0 ? pol->rules[g->rule_of[c]].name : "";
        char *t = text_dup(rule, strlen(rule));
        if (!t) return err_set(err, KP_E_NOMEM, "out of memory");
        r->grant_cap[r->ngrant] = pol_cap_name(c);
        r->grant_rule[r->ngrant++] = t;
    }
    return KP_OK;
}

int kp_run_standalone(const uint8_t *wasm, size_t len, const kp_run_opts *opts, kp_run **out,
                      kp_error *err)
{
    kp_run_opts none;
    if (!opts) {
        memset(&none, 0, sizeof none);
        opts = &none;
    }
    if (!out || (!wasm && len)) return err_set(err, KP_E_ARG, "kp_run_standalone: missing argument");
    if (opts->owner_len > KP_PK_MAX_BYTES)
        return err_set(err, KP_E_ARG, "the owner key is longer than %d bytes", KP_PK_MAX_BYTES);
    kp_run *r = mem_calloc(1, sizeof *r);
    if (!r) return err_set(err, KP_E_NOMEM, "out of memory");
    int64_t now = opts->now ? opts->now : (int64_t)time(NULL);
    uint8_t mid[KP_ID_BYTES];
    int rc = host_mem_new(&r->mem, err);
    if (rc == KP_OK)
        rc = host_mem_add_module(r->mem, wasm ? wasm : (const uint8_t *)"", len, opts->owner_alg,
                                 opts->owner, opts->owner_len, mid, err);
    for (size_t i = 0; rc == KP_OK && i < opts->credit_count; i++) {
        const kp_run_credit *k = &opts->credits[i];
        rc = host_mem_credit(r->mem, k->account, k->account_len, k->amount, err);
    }
    if (rc == KP_OK) rc = make_capsule(r, opts, mid, now, err);
    if (rc) goto fail;
    host_storage st = host_mem_storage(r->mem);
    host_ledger lg = host_mem_ledger(r->mem);
    host_dag dg = host_mem_dag(r->mem);
    host_modules md = host_mem_modules(r->mem);
    host_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.policy = opts->policy;
    cfg.storage = &st;
    cfg.ledger = &lg;
    cfg.dag = &dg;
    cfg.modules = &md;
    cfg.now = now;
    cfg.fuel = opts->fuel;
    cfg.replay = opts->replay;
    if (opts->trust_module) {
        cfg.has_trust_module = 1;
        memcpy(cfg.trust_module, opts->trust_module, KP_ID_BYTES);
    }
    /* host_run_new copies cfg; the backends it points to live in r->mem */
    if ((rc = host_run_new(&cfg, wasm ? wasm : (const uint8_t *)"", len, &r->cap, &r->run, err)))
        goto fail;
    if ((rc = keep_grant(r, opts->policy, err))) goto fail;
    r->status = host_run_call(r->run, err);
    *out = r;
    return r->status;
fail:
    kp_run_free(r);
    return rc;
}

const uint8_t *kp_run_module_id(const kp_run *r)
{
    return host_run_module_id(r->run);
}

int kp_run_verdict(const kp_run *r, const char **reason)
{
    const char *why = "";
    int v = host_run_verdict(r->run, &why);
    if (reason) *reason = why ? why : "";
    return v == HOST_VERDICT_ACCEPT ? 1 : 2;
}

int kp_run_status(const kp_run *r)
{
    return r->status;
}

int32_t kp_run_exit_code(const kp_run *r)
{
    return host_run_exit_code(r->run);
}

const uint8_t *kp_run_result(const kp_run *r, size_t *len, int *submitted)
{
    int sub = 0;
    size_t n = 0;
    const uint8_t *p = host_run_result(r->run, &n, &sub);
    if (submitted) *submitted = sub;
    if (len) *len = sub ? n : 0;
    return sub ? (p ? p : (const uint8_t *)"") : NULL;
}

uint64_t kp_run_fuel_used(const kp_run *r)
{
    return host_run_fuel_used(r->run);
}

const kp_transcript *kp_run_transcript(const kp_run *r)
{
    return host_run_transcript(r->run);
}

const uint8_t *kp_run_logs(const kp_run *r, size_t *len)
{
    return host_run_logs(r->run, len);
}

size_t kp_run_emitted_count(const kp_run *r)
{
    return host_run_emitted_count(r->run);
}

int kp_run_emitted(const kp_run *r, size_t i, const char **type, const uint8_t **body,
                   size_t *len)
{
    if (i >= host_run_emitted_count(r->run)) return KP_E_NOT_FOUND;
    const host_emitted *e = host_run_emitted(r->run, i);
    if (type) *type = e->type;
    if (body) *body = e->body;
    if (len) *len = e->body_len;
    return KP_OK;
}

size_t kp_run_grant_count(const kp_run *r)
{
    return r->ngrant;
}

int kp_run_grant_at(const kp_run *r, size_t i, const char **capability, const char **rule)
{
    if (i >= r->ngrant) return KP_E_NOT_FOUND;
    if (capability) *capability = r->grant_cap[i];
    if (rule) *rule = r->grant_rule[i];
    return KP_OK;
}
