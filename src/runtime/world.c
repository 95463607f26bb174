/*
 * world.c: the store as the world a run sees: SQLite implementations of
 * host_storage (kv), host_ledger (ledger_*), host_dag (capsules, edges)
 * and host_modules (modules), with the same contracts as the in-memory
 * ones in host/mem.c. They read and write through the store's connection,
 * so a run committed inside an ingest unit lands in that unit.
 *
 * Borrowed pointers: each interface keeps its last answer in a buffer of
 * its own (storage values, module code, children ids, the last capsule),
 * valid until the next call on that interface, as host.h requires.
 */
#include <string.h>

#include "runtime/runtime.h"
#include "util/alloc.h"
#include "util/error.h"

struct rt_world {
    kp_store *st;
    buf val;      /* storage get */
    buf code;     /* modules code */
    buf ids;      /* dag children */
    buf bytes;    /* dag get: the capsule's file */
    kp_capsule *cap;
    rt_hcap hc;
};

int rt_world_new(kp_store *st, rt_world **out, kp_error *err)
{
    rt_world *w = mem_calloc(1, sizeof *w);
    if (!w) return err_set(err, KP_E_NOMEM, "out of memory");
    w->st = st;
    *out = w;
    return KP_OK;
}

void rt_world_free(rt_world *w)
{
    if (!w) return;
    buf_free(&w->val);
    buf_free(&w->code);
    buf_free(&w->ids);
    buf_free(&w->bytes);
    kp_capsule_free(w->cap);
    rt_hcap_clear(&w->hc);
    mem_free(w, sizeof *w);
}

/* ---- storage ---- */

static int st_get(void *u, const uint8_t mod[32], const uint8_t *key, size_t klen,
                  const uint8_t **val, size_t *vlen, int *found, kp_error *err)
{
    rt_world *w = u;
    w->val.len = 0;
    int rc = store_kv_get(w->st, mod, key, klen, &w->val, found, err);
    if (rc) return rc;
    *val = *found ? (w->val.p ? w->val.p : (const uint8_t *)"") : NULL;
    *vlen = *found ? w->val.len : 0;
    return KP_OK;
}

static int st_put(void *u, const uint8_t mod[32], const uint8_t *key, size_t klen,
                  const uint8_t *val, size_t vlen, kp_error *err)
{
    rt_world *w = u;
    return store_kv_put(w->st, mod, key, klen, val, vlen, err);
}

static int st_del(void *u, const uint8_t mod[32], const uint8_t *key, size_t klen, kp_error *err)
{
    rt_world *w = u;
    return store_kv_del(w->st, mod, key, klen, err);
}

host_storage rt_world_storage(rt_world *w)
{
    return (host_storage){w, st_get, st_put, st_del};
}

/* ---- ledger ---- */

static int lg_balance(void *u, const uint8_t *acct, size_t len, uint64_t *bal, kp_error *err)
{
    rt_world *w = u;
    return store_ledger_balance(w->st, acct, len, bal, err);
}

static int lg_transfer(void *u, const uint8_t *from, size_t flen, const uint8_t *to, size_t tlen,
                       uint64_t amount, kp_error *err)
{
    rt_world *w = u;
    return store_ledger_transfer(w->st, from, flen, to, tlen, amount, err);
}

static int lg_nonce_used(void *u, const uint8_t *author, size_t alen, const uint8_t *nonce,
                         size_t nlen, int *used, kp_error *err)
{
    rt_world *w = u;
    return store_nonce_used(w->st, author, alen, nonce, nlen, used, err);
}

static int lg_nonce_claim(void *u, const uint8_t *author, size_t alen, const uint8_t *nonce,
                          size_t nlen, kp_error *err)
{
    rt_world *w = u;
    return store_nonce_claim(w->st, author, alen, nonce, nlen, err);
}

host_ledger rt_world_ledger(rt_world *w)
{
    return (host_ledger){w, lg_balance, lg_transfer, lg_nonce_used, lg_nonce_claim};
}

/* ---- DAG ---- */

static int dag_get(void *u, const uint8_t id[32], const host_capsule **out, kp_error *err)
{
    rt_world *w = u;
    w->bytes.len = 0;
    int rc = store_capsule_get(w->st, id, &w->bytes, NULL, NULL, err);
    if (rc) return rc;
    kp_capsule *c = NULL;
    kp_error perr;
    if ((rc = kp_capsule_parse(w->bytes.p, w->bytes.len, NULL, &c, &perr))) {
        if (rc == KP_E_NOMEM) return err_set(err, rc, "out of memory");
        return err_set(err, KP_E_STORE_CORRUPT, "stored capsule does not parse: %s", perr.msg);
    }
    kp_capsule_free(w->cap);
    w->cap = c;
    /* the DAG shows bodies as stored: another capsule's plaintext is not
       this run's to read */
    if ((rc = rt_hcap_fill(&w->hc, c, NULL, 0, err))) return rc;
    *out = &w->hc.c;
    return KP_OK;
}

static int dag_children(void *u, const uint8_t id[32], const uint8_t (**ids)[32], size_t *n,
                        kp_error *err)
{
    rt_world *w = u;
    w->ids.len = 0;
    int rc = store_capsule_children(w->st, id, &w->ids, err);
    if (rc) return rc;
    static const uint8_t none[1][32];
    *ids = w->ids.len ? (const uint8_t(*)[32])w->ids.p : none;
    *n = w->ids.len / 32;
    return KP_OK;
}

host_dag rt_world_dag(rt_world *w)
{
    return (host_dag){w, dag_get, dag_children};
}

/* ---- modules ---- */

static int mod_info(void *u, const uint8_t id[32], host_module_info *out, kp_error *err)
{
    rt_world *w = u;
    store_module m;
    int rc = store_module_info(w->st, id, &m, err);
    if (rc) return rc;
    memset(out, 0, sizeof *out);
    out->owner_alg = (kp_key_alg)m.owner_alg;
    out->owner_len = m.owner_len;
    memcpy(out->owner, m.owner, m.owner_len);
    out->state = m.state;
    memcpy(out->successor, m.successor, 32);
    return KP_OK;
}

static int mod_code(void *u, const uint8_t id[32], const uint8_t **wasm, size_t *len,
                    kp_error *err)
{
    rt_world *w = u;
    w->code.len = 0;
    int rc = store_module_code(w->st, id, &w->code, err);
    if (rc) return rc;
    *wasm = w->code.p ? w->code.p : (const uint8_t *)"";
    *len = w->code.len;
    return KP_OK;
}

static int mod_set_state(void *u, const uint8_t id[32], int state, const uint8_t succ[32],
                         kp_error *err)
{
    rt_world *w = u;
    return store_module_set_state(w->st, id, state, succ, err);
}

host_modules rt_world_modules(rt_world *w)
{
    return (host_modules){w, mod_info, mod_code, mod_set_state};
}
