/*
 * world.c: every read of the world outside the run (clock, randomness,
 * child storage, ledger, DAG, module registry). Each value read is an
 * oracle value of the current transcript entry; when replaying, the
 * recorded value is returned instead and the world is not asked at all,
 * so a replay needs nothing but the module, the capsule and the
 * transcript. A recorded value of the wrong shape is a divergence.
 */
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "host/internal.h"
#include "util/error.h"

static int diverged(host_call *c)
{
    return host_trap(c, KP_E_HOST_REPLAY_DIVERGED,
                     "replay diverged at call %llu (%s): recorded oracle values do not fit",
                     (unsigned long long)c->e->seq, c->e->fn);
}

static int nomem(host_call *c)
{
    return host_trap(c, KP_E_NOMEM, "out of memory recording an oracle value");
}

int host_w_fail(host_call *c, const kp_error *err)
{
    int code = err->code ? err->code : KP_E_INTERNAL;
    return host_trap(c, code, "%s: %s", c->e->fn, err->msg);
}

/* ---- recorded values ----------------------------------------------------------- */

/* The recorded value is also recorded again in the entry being rebuilt,
   so that a faithful replay rebuilds the entry byte for byte. */
static int take_uint(host_call *c, uint64_t *v)
{
    cbor_item x;
    if (!cbor_iter_next(&c->orc, &x) || x.type != CBOR_UINT) return diverged(c);
    *v = x.val;
    return host_entry_orc_int(c->e, HOST_ORC_UINT, x.val) ? nomem(c) : KP_OK;
}

static int take_bytes(host_call *c, int *found, const uint8_t **p, size_t *len)
{
    cbor_item x;
    if (!cbor_iter_next(&c->orc, &x)) return diverged(c);
    if (x.type == CBOR_NULL) {
        *found = 0;
        *p = NULL;
        *len = 0;
        return host_entry_orc_bytes(c->e, NULL, 0) ? nomem(c) : KP_OK;
    }
    if (x.type != CBOR_BYTES) return diverged(c);
    *found = 1;
    *p = x.ptr;
    *len = x.len;
    static const uint8_t empty[1];
    return host_entry_orc_bytes(c->e, x.len ? x.ptr : empty, x.len) ? nomem(c) : KP_OK;
}

static int put_uint(host_call *c, uint64_t v)
{
    return host_entry_orc_int(c->e, HOST_ORC_UINT, v) ? nomem(c) : KP_OK;
}

/* A bytes value when present (p may then be NULL for len 0), else null. */
static int put_bytes(host_call *c, int present, const uint8_t *p, size_t len)
{
    static const uint8_t empty[1];
    if (present && !len) p = empty;
    return host_entry_orc_bytes(c->e, present ? p : NULL, len) ? nomem(c) : KP_OK;
}

/* ---- oracles --------------------------------------------------------------------- */

int host_w_clock(host_call *c, uint64_t *ns)
{
    if (c->replay) return take_uint(c, ns);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return put_uint(c, *ns);
}

int host_w_random(host_call *c, uint8_t *out, size_t n)
{
    if (c->replay) {
        int found;
        const uint8_t *p;
        size_t len;
        int rc = take_bytes(c, &found, &p, &len);
        if (rc) return rc;
        if (!found || len != n) return diverged(c);
        memcpy(out, p, n);
        return KP_OK;
    }
    cry_random(out, n);
    return put_bytes(c, 1, out, n);
}

int host_w_storage_get(host_call *c, const uint8_t module[32], const uint8_t *key, size_t klen,
                       int *found, const uint8_t **val, size_t *vlen)
{
    if (c->replay) return take_bytes(c, found, val, vlen);
    host_run *r = c->run;
    const host_storage *s = r->cfg.storage;
    *found = 0;
    *val = NULL;
    *vlen = 0;
    uint8_t ck[32 + HOST_KEY_MAX];
    int cacheable = klen <= HOST_KEY_MAX;
    if (cacheable) {
        memcpy(ck, module, 32);
        memcpy(ck + 32, key, klen);
        const host_map_ent *x = host_map_get(&r->reads, ck, 32 + klen);
        if (x) {
            *found = (int)x->tag;
            *val = x->val;
            *vlen = x->vlen;
            return put_bytes(c, *found, *val, *vlen);
        }
    }
    if (s) {
        kp_error err;
        kp_error_clear(&err);
        if (s->get(s->user, module, key, klen, val, vlen, found, &err)) return host_w_fail(c, &err);
    }
    if (cacheable && *vlen <= HOST_READ_CACHE_VALUE_MAX &&
        r->reads_bytes + *vlen + klen <= HOST_READ_CACHE_BYTES &&
        host_map_put(&r->reads, ck, 32 + klen, *val, *vlen) == KP_OK) {
        /* from here on the run reads its own copy (the backend's pointer
           lasts until its next call only) */
        host_map_ent *x = host_map_get(&r->reads, ck, 32 + klen);
        x->tag = (uint64_t)*found;
        r->reads_bytes += *vlen + klen;
        *val = x->val;
    }
    return put_bytes(c, *found, *val, *vlen);
}

int host_w_balance(host_call *c, const uint8_t *acct, size_t len, uint64_t *bal)
{
    if (c->replay) return take_uint(c, bal);
    const host_ledger *l = c->run->cfg.ledger;
    *bal = 0;
    if (l) {
        kp_error err;
        kp_error_clear(&err);
        if (l->balance(l->user, acct, len, bal, &err)) return host_w_fail(c, &err);
    }
    return put_uint(c, *bal);
}

int host_w_nonce_used(host_call *c, const uint8_t *author, size_t alen, const uint8_t *nonce,
                      size_t nlen, int *used)
{
    uint64_t u = 0;
    if (c->replay) {
        int rc = take_uint(c, &u);
        *used = u != 0;
        return rc;
    }
    const host_ledger *l = c->run->cfg.ledger;
    *used = 0;
    if (l) {
        kp_error err;
        kp_error_clear(&err);
        if (l->nonce_used(l->user, author, alen, nonce, nlen, used, &err))
            return host_w_fail(c, &err);
    }
    return put_uint(c, *used ? 1 : 0);
}

/* The capsule id's stored capsule, or NULL (and KP_OK) when absent. */
static int dag_lookup(host_call *c, const uint8_t id[32], const host_capsule **out)
{
    const host_dag *d = c->run->cfg.dag;
    *out = NULL;
    if (!d) return KP_OK;
    kp_error err;
    kp_error_clear(&err);
    int rc = d->get(d->user, id, out, &err);
    if (rc == KP_E_NOT_FOUND) {
        *out = NULL;
        return KP_OK;
    }
    return rc ? host_w_fail(c, &err) : KP_OK;
}

int host_w_dag_meta(host_call *c, const uint8_t id[32], int *found, const uint8_t **p,
                    size_t *len)
{
    if (c->replay) return take_bytes(c, found, p, len);
    const host_capsule *cap;
    int rc = dag_lookup(c, id, &cap);
    if (rc) return rc;
    buf *b = &c->run->scratch;
    b->len = 0;
    if (cap && host_meta_encode(cap, b)) return nomem(c);
    *found = cap != NULL;
    *p = cap ? b->p : NULL;
    *len = cap ? b->len : 0;
    return put_bytes(c, *found, *p, *len);
}

int host_w_dag_parents(host_call *c, const uint8_t id[32], int *found, const uint8_t **p,
                       size_t *len)
{
    if (c->replay) return take_bytes(c, found, p, len);
    const host_capsule *cap;
    int rc = dag_lookup(c, id, &cap);
    if (rc) return rc;
    *found = cap != NULL;
    *p = cap ? (const uint8_t *)cap->parents : NULL;
    *len = cap ? cap->nparents * 32 : 0;
    return put_bytes(c, *found, *p, *len);
}

int host_w_dag_children(host_call *c, const uint8_t id[32], const uint8_t **p, size_t *len)
{
    int found;
    if (c->replay) {
        int rc = take_bytes(c, &found, p, len);
        if (rc == KP_OK && (!found || *len % 32)) return diverged(c);
        return rc;
    }
    const host_dag *d = c->run->cfg.dag;
    const uint8_t(*ids)[32] = NULL;
    size_t n = 0;
    if (d) {
        kp_error err;
        kp_error_clear(&err);
        if (d->children(d->user, id, &ids, &n, &err)) return host_w_fail(c, &err);
    }
    *p = (const uint8_t *)ids;
    *len = n * 32;
    return put_bytes(c, 1, *p, *len);
}

/* Recorded as bytes: state, owner algorithm, successor (32), owner key. */
int host_w_module_info(host_call *c, const uint8_t id[32], int *found, host_module_info *info)
{
    uint8_t rec[2 + 32 + HOST_PK_MAX];
    memset(info, 0, sizeof *info);
    if (c->replay) {
        const uint8_t *p;
        size_t len;
        int rc = take_bytes(c, found, &p, &len);
        if (rc || !*found) return rc;
        if (len < 34 || len > sizeof rec) return diverged(c);
        info->state = p[0];
        info->owner_alg = (kp_key_alg)p[1];
        memcpy(info->successor, p + 2, 32);
        info->owner_len = len - 34;
        memcpy(info->owner, p + 34, info->owner_len);
        return KP_OK;
    }
    const host_modules *m = c->run->cfg.modules;
    *found = 0;
    if (m) {
        kp_error err;
        kp_error_clear(&err);
        int rc = m->info(m->user, id, info, &err);
        if (rc && rc != KP_E_NOT_FOUND) return host_w_fail(c, &err);
        *found = rc == KP_OK;
    }
    if (!*found) return put_bytes(c, 0, NULL, 0);
    rec[0] = (uint8_t)info->state;
    rec[1] = (uint8_t)info->owner_alg;
    memcpy(rec + 2, info->successor, 32);
    memcpy(rec + 34, info->owner, info->owner_len);
    return put_bytes(c, 1, rec, 34 + info->owner_len);
}
