/*
 * hosttest.h: what the host's tests share: an in-memory world, policies
 * written on the fly, capsules, signed requests, guest modules from
 * $BUILD/guest, and a one-call run.
 */
#ifndef KP_TEST_HOSTTEST_H
#define KP_TEST_HOSTTEST_H

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor.h"
#include "crypto/crypto.h"
#include "host/cap.h"
#include "host/host.h"
#include "util/buf.h"

typedef struct ht_world {
    host_mem *mem;
    host_storage st;
    host_ledger lg;
    host_dag dag;
    host_modules mods;
    kp_policy *policy;
    host_config cfg;
} ht_world;

static inline void ht_world_init(ht_world *w)
{
    memset(w, 0, sizeof *w);
    if (host_mem_new(&w->mem, NULL)) abort();
    w->st = host_mem_storage(w->mem);
    w->lg = host_mem_ledger(w->mem);
    w->dag = host_mem_dag(w->mem);
    w->mods = host_mem_modules(w->mem);
    w->cfg.storage = &w->st;
    w->cfg.ledger = &w->lg;
    w->cfg.dag = &w->dag;
    w->cfg.modules = &w->mods;
    w->cfg.now = 1700000000;
}

static inline void ht_world_free(ht_world *w)
{
    host_mem_free(w->mem);
    kp_policy_free(w->policy);
    memset(w, 0, sizeof *w);
}

/* Sets the world's policy from printf-style JSON; 0 on success. */
static inline int ht_policy(ht_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ht_policy(ht_world *w, const char *fmt, ...)
{
    char text[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    kp_policy_free(w->policy);
    w->policy = NULL;
    kp_error err;
    int rc = kp_policy_parse((const uint8_t *)text, strlen(text), &w->policy, &err);
    if (rc) printf("# policy: %s (%s)\n%s\n", err.msg, err.field, text);
    w->cfg.policy = w->policy;
    return rc;
}

static inline void ht_hex(char *out, const uint8_t *p, size_t n)
{
    sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* A deterministic Ed25519 identity from one seed byte. */
typedef struct ht_key {
    uint8_t pk[32], sk[64];
    char hex[65];
} ht_key;

static inline ht_key ht_key_make(uint8_t seed_byte)
{
    ht_key k;
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    cry_ed25519_from_seed(k.pk, k.sk, seed);
    ht_hex(k.hex, k.pk, 32);
    return k;
}

/* A capsule; pointers it holds are static or the caller's. */
static inline host_capsule ht_capsule(const char *type, const ht_key *author, const void *body,
                                      size_t blen)
{
    host_capsule c;
    memset(&c, 0, sizeof c);
    c.type = type;
    c.author_alg = KP_ALG_ED25519;
    c.author = author ? author->pk : NULL;
    c.author_len = author ? 32 : 0;
    c.body = body ? body : (const void *)"";
    c.body_len = blen;
    c.created = 1699990000;
    crypto_hash_sha256(c.id, c.body, blen);
    c.id[0] ^= (uint8_t)strlen(type);
    return c;
}

/* A signed request: payload and signature into the caller's storage. */
typedef struct ht_request {
    buf payload;
    uint8_t sig[64];
    host_request req;
} ht_request;

static inline void ht_request_make(ht_request *r, const ht_key *author, const uint8_t module[32],
                                   int kind, uint64_t amount, const uint8_t *resource,
                                   size_t rlen, uint8_t nonce_byte)
{
    cap_request q;
    memset(&q, 0, sizeof q);
    memcpy(q.module, module, 32);
    q.kind = kind;
    q.amount = amount;
    if (rlen) memcpy(q.resource, resource, rlen);
    q.resource_len = rlen;
    q.nonce_len = 16;
    memset(q.nonce, nonce_byte, 16);
    memset(&r->payload, 0, sizeof r->payload);
    if (cap_request_encode(&q, &r->payload, NULL)) abort();
    buf m = {0};
    buf_append(&m, CAP_REQUEST_CONTEXT, strlen(CAP_REQUEST_CONTEXT));
    buf_append(&m, r->payload.p, r->payload.len);
    cry_ed25519_sign(r->sig, m.p, m.len, author->sk);
    buf_free(&m);
    r->req.payload = r->payload.p;
    r->req.len = r->payload.len;
    r->req.sig = r->sig;
    r->req.sig_len = 64;
}

static inline void ht_request_free(ht_request *r)
{
    buf_free(&r->payload);
}

/* Reads $BUILD/guest/<name>.wasm (malloc'd); NULL if missing. */
static inline uint8_t *ht_guest(const char *name, size_t *len)
{
    const char *b = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/guest/%s.wasm", b && *b ? b : "build", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static inline void ht_module_id(const uint8_t *wasm, size_t len, uint8_t id[32], char hex[65])
{
    kp_module_id(wasm, len, id);
    if (hex) ht_hex(hex, id, 32);
}

/* The engine decodes modules only once the decoder has landed; until
   then, tests that run wasm are skipped with this message. */
static inline int ht_engine_ready(void)
{
    static const uint8_t empty[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    kw_module *m = NULL;
    kw_error e;
    if (kw_module_new(NULL, empty, sizeof empty, &m, &e) != KW_OK) return 0;
    kw_module_free(m);
    return 1;
}

/* Runs wasm for capsule c in world w: new + call (+ commit when the run
   accepted and commit is set). Returns the first failing code; *out (if
   not NULL) receives the run, else it is freed. */
static inline int ht_run(ht_world *w, const uint8_t *wasm, size_t len, const host_capsule *c,
                         int commit, host_run **out, kp_error *err)
{
    host_run *r = NULL;
    kp_error_clear(err);
    int rc = host_run_new(&w->cfg, wasm, len, c, &r, err);
    if (rc) return rc;
    rc = host_run_call(r, err);
    const char *why;
    if (!rc && commit && host_run_verdict(r, &why) == HOST_VERDICT_ACCEPT)
        rc = host_run_commit(r, err);
    if (out)
        *out = r;
    else
        host_run_free(r);
    return rc;
}

/* Guest memory of the run's instance at [off, off + n). */
static inline const uint8_t *ht_mem(host_run *r, uint32_t off, uint32_t n)
{
    kw_memory *m = kw_instance_memory(host_run_instance(r));
    return m ? kw_memory_slice(m, off, n) : NULL;
}

/* A stored value of module's child storage (NULL if absent). */
static inline const uint8_t *ht_stored(ht_world *w, const uint8_t module[32], const char *key,
                                       size_t klen, size_t *vlen)
{
    const uint8_t *v;
    int found;
    if (w->st.get(w->st.user, module, (const uint8_t *)key, klen, &v, vlen, &found, NULL) || !found)
        return NULL;
    return v;
}

static inline uint64_t ht_balance(ht_world *w, const uint8_t *acct, size_t len)
{
    uint64_t b = 0;
    w->lg.balance(w->lg.user, acct, len, &b, NULL);
    return b;
}

#endif
