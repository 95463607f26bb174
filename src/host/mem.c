/*
 * mem.c: in-memory implementations of the world's interfaces (child
 * storage, ledger, DAG, module registry) for tests and `kapsule run`. The
 * SQLite store implements the same interfaces for real runs.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "host/host.h"
#include "host/map.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

/* A stored capsule: a deep copy, its strings and arrays in one buf. */
typedef struct mem_capsule {
    host_capsule c;
    buf store;
} mem_capsule;

typedef struct mem_module {
    uint8_t id[32];
    uint8_t *wasm;
    size_t len;
    host_module_info info;
} mem_module;

struct host_mem {
    host_map storage; /* module id || key -> value */
    host_map balances; /* account -> uint64 */
    host_map nonces;   /* len(author) || author || nonce -> "" */
    size_t ntransfers;
    mem_capsule *caps;
    size_t ncaps, capcap;
    mem_module *mods;
    size_t nmods, modcap;
    buf scratch; /* keys built for lookups, children lists */
};

int host_mem_new(host_mem **out, kp_error *err)
{
    host_mem *m = mem_calloc(1, sizeof *m);
    if (!m) return err_set(err, KP_E_NOMEM, "out of memory");
    *out = m;
    return KP_OK;
}

void host_mem_free(host_mem *m)
{
    if (!m) return;
    host_map_free(&m->storage);
    host_map_free(&m->balances);
    host_map_free(&m->nonces);
    for (size_t i = 0; i < m->ncaps; i++) buf_free(&m->caps[i].store);
    mem_free(m->caps, m->capcap * sizeof *m->caps);
    for (size_t i = 0; i < m->nmods; i++) mem_free(m->mods[i].wasm, m->mods[i].len ? m->mods[i].len : 1);
    mem_free(m->mods, m->modcap * sizeof *m->mods);
    buf_free(&m->scratch);
    mem_free(m, sizeof *m);
}

static int nomem(kp_error *err)
{
    return err_set(err, KP_E_NOMEM, "out of memory");
}

/* ---- storage ------------------------------------------------------------------ */

static int skey(host_mem *m, const uint8_t mod[32], const uint8_t *key, size_t klen)
{
    m->scratch.len = 0;
    if (buf_append(&m->scratch, mod, 32) || buf_append(&m->scratch, key, klen)) return KP_E_NOMEM;
    return KP_OK;
}

static int st_get(void *u, const uint8_t mod[32], const uint8_t *key, size_t klen,
                  const uint8_t **val, size_t *vlen, int *found, kp_error *err)
{
    host_mem *m = u;
    if (skey(m, mod, key, klen)) return nomem(err);
    host_map_ent *x = host_map_get(&m->storage, m->scratch.p, m->scratch.len);
    *found = x && x->live;
    *val = *found ? x->val : NULL;
    *vlen = *found ? x->vlen : 0;
    return KP_OK;
}

static int st_put(void *u, const uint8_t mod[32], const uint8_t *key, size_t klen,
                  const uint8_t *val, size_t vlen, kp_error *err)
{
    host_mem *m = u;
    if (skey(m, mod, key, klen) ||
        host_map_put(&m->storage, m->scratch.p, m->scratch.len, val, vlen))
        return nomem(err);
    return KP_OK;
}

static int st_del(void *u, const uint8_t mod[32], const uint8_t *key, size_t klen, kp_error *err)
{
    host_mem *m = u;
    if (skey(m, mod, key, klen)) return nomem(err);
    host_map_del(&m->storage, m->scratch.p, m->scratch.len);
    return KP_OK;
}

host_storage host_mem_storage(host_mem *m)
{
    return (host_storage){m, st_get, st_put, st_del};
}

/* ---- ledger ------------------------------------------------------------------- */

static uint64_t bal_of(host_mem *m, const uint8_t *acct, size_t len)
{
    host_map_ent *x = host_map_get(&m->balances, acct, len);
    uint64_t v = 0;
    if (x && x->live && x->vlen == sizeof v) memcpy(&v, x->val, sizeof v);
    return v;
}

static int bal_set(host_mem *m, const uint8_t *acct, size_t len, uint64_t v)
{
    return host_map_put(&m->balances, acct, len, &v, sizeof v);
}

static int lg_balance(void *u, const uint8_t *acct, size_t len, uint64_t *bal, kp_error *err)
{
    (void)err;
    *bal = bal_of(u, acct, len);
    return KP_OK;
}

static int lg_transfer(void *u, const uint8_t *from, size_t flen, const uint8_t *to, size_t tlen,
                       uint64_t amount, kp_error *err)
{
    host_mem *m = u;
    uint64_t fb = bal_of(m, from, flen);
    if (fb < amount)
        return err_set(err, KP_E_LEDGER_OVERDRAFT, "balance %llu is less than %llu",
                       (unsigned long long)fb, (unsigned long long)amount);
    if (flen == tlen && memcmp(from, to, flen) == 0) {
        m->ntransfers++;
        return KP_OK;
    }
    uint64_t tb = bal_of(m, to, tlen);
    if (tb > UINT64_MAX - amount) return err_set(err, KP_E_LIMIT, "balance would overflow");
    /* make sure both accounts exist before changing either */
    if (bal_set(m, to, tlen, tb) || bal_set(m, from, flen, fb)) return nomem(err);
    bal_set(m, from, flen, fb - amount);
    bal_set(m, to, tlen, tb + amount);
    m->ntransfers++;
    return KP_OK;
}

static int nkey(host_mem *m, const uint8_t *author, size_t alen, const uint8_t *nonce, size_t nlen)
{
    uint8_t l = (uint8_t)alen;
    m->scratch.len = 0;
    if (buf_putc(&m->scratch, l) || buf_append(&m->scratch, author, alen) ||
        buf_append(&m->scratch, nonce, nlen))
        return KP_E_NOMEM;
    return KP_OK;
}

static int lg_nonce_used(void *u, const uint8_t *author, size_t alen, const uint8_t *nonce,
                         size_t nlen, int *used, kp_error *err)
{
    host_mem *m = u;
    if (nkey(m, author, alen, nonce, nlen)) return nomem(err);
    host_map_ent *x = host_map_get(&m->nonces, m->scratch.p, m->scratch.len);
    *used = x && x->live;
    return KP_OK;
}

static int lg_nonce_claim(void *u, const uint8_t *author, size_t alen, const uint8_t *nonce,
                          size_t nlen, kp_error *err)
{
    host_mem *m = u;
    if (nkey(m, author, alen, nonce, nlen)) return nomem(err);
    host_map_ent *x = host_map_get(&m->nonces, m->scratch.p, m->scratch.len);
    if (x && x->live) return err_set(err, KP_E_CAP_REQUEST_REPLAYED, "request nonce already used");
    if (host_map_put(&m->nonces, m->scratch.p, m->scratch.len, NULL, 0)) return nomem(err);
    return KP_OK;
}

host_ledger host_mem_ledger(host_mem *m)
{
    return (host_ledger){m, lg_balance, lg_transfer, lg_nonce_used, lg_nonce_claim};
}

int host_mem_credit(host_mem *m, const uint8_t *acct, size_t len, uint64_t amount, kp_error *err)
{
    uint64_t b = bal_of(m, acct, len);
    if (b > UINT64_MAX - amount) return err_set(err, KP_E_LIMIT, "balance would overflow");
    if (bal_set(m, acct, len, b + amount)) return nomem(err);
    return KP_OK;
}

size_t host_mem_ledger_count(const host_mem *m)
{
    return m->ntransfers;
}

/* ---- DAG ---------------------------------------------------------------------- */

static mem_capsule *find_capsule(host_mem *m, const uint8_t id[32])
{
    for (size_t i = 0; i < m->ncaps; i++)
        if (memcmp(m->caps[i].c.id, id, 32) == 0) return &m->caps[i];
    return NULL;
}

static int dag_get(void *u, const uint8_t id[32], const host_capsule **out, kp_error *err)
{
    mem_capsule *c = find_capsule(u, id);
    if (!c) return err_set(err, KP_E_NOT_FOUND, "no such capsule");
    *out = &c->c;
    return KP_OK;
}

static int dag_children(void *u, const uint8_t id[32], const uint8_t (**ids)[32], size_t *n,
                        kp_error *err)
{
    host_mem *m = u;
    m->scratch.len = 0;
    size_t k = 0;
    for (size_t i = 0; i < m->ncaps; i++) {
        const host_capsule *c = &m->caps[i].c;
        for (size_t j = 0; j < c->nparents; j++) {
            if (memcmp(c->parents[j], id, 32) != 0) continue;
            if (buf_append(&m->scratch, c->id, 32)) return nomem(err);
            k++;
            break;
        }
    }
    *ids = (const uint8_t(*)[32])m->scratch.p;
    *n = k;
    return KP_OK;
}

host_dag host_mem_dag(host_mem *m)
{
    return (host_dag){m, dag_get, dag_children};
}

/* Offsets into the copy's buf, turned into pointers once it stops moving. */
int host_mem_add_capsule(host_mem *m, const host_capsule *c, kp_error *err)
{
    if (find_capsule(m, c->id)) return err_set(err, KP_E_EXISTS, "capsule already stored");
    if (m->ncaps == m->capcap) {
        size_t nc = m->capcap ? m->capcap * 2 : 16;
        mem_capsule *n = mem_realloc(m->caps, m->capcap * sizeof *n, nc * sizeof *n);
        if (!n) return nomem(err);
        m->caps = n;
        m->capcap = nc;
    }
    mem_capsule *x = &m->caps[m->ncaps];
    memset(x, 0, sizeof *x);
    buf *b = &x->store;
    size_t o_type, o_author, o_parents, o_flags, o_body;
    size_t *o_kv = NULL, nkv = c->nflags * 2;
    int rc = KP_E_NOMEM;
    if (nkv && !(o_kv = mem_calloc(nkv, sizeof *o_kv))) return nomem(err);
    o_type = b->len;
    if (buf_append(b, c->type, strlen(c->type) + 1)) goto fail;
    o_author = b->len;
    if (buf_append(b, c->author, c->author_len)) goto fail;
    /* keep the parent array aligned to nothing in particular: it is bytes */
    o_parents = b->len;
    if (c->nparents && buf_append(b, c->parents, c->nparents * 32)) goto fail;
    for (size_t i = 0; i < c->nflags; i++) {
        o_kv[2 * i] = b->len;
        if (buf_append(b, c->flags[i].key, strlen(c->flags[i].key) + 1)) goto fail;
        o_kv[2 * i + 1] = b->len;
        if (buf_append(b, c->flags[i].value, strlen(c->flags[i].value) + 1)) goto fail;
    }
    o_body = b->len;
    if (c->body_len && buf_append(b, c->body, c->body_len)) goto fail;
    /* host_flag array last, aligned */
    while (b->len % sizeof(void *))
        if (buf_putc(b, 0)) goto fail;
    o_flags = b->len;
    if (c->nflags && buf_reserve(b, c->nflags * sizeof(host_flag))) goto fail;
    b->len += c->nflags * sizeof(host_flag);
    if (buf_putc(b, 0)) goto fail; /* never an empty buffer */
    x->c = *c;
    x->c.type = (const char *)b->p + o_type;
    x->c.author = b->p + o_author;
    x->c.parents = (const uint8_t(*)[32])(b->p + o_parents);
    host_flag *fl = (host_flag *)(void *)(b->p + o_flags);
    for (size_t i = 0; i < c->nflags; i++) {
        fl[i].key = (const char *)b->p + o_kv[2 * i];
        fl[i].value = (const char *)b->p + o_kv[2 * i + 1];
    }
    x->c.flags = fl;
    x->c.body = b->p + o_body;
    x->c.requests = NULL;
    x->c.nrequests = 0;
    x->c.caps = NULL;
    x->c.ncaps = 0;
    m->ncaps++;
    mem_free(o_kv, nkv * sizeof *o_kv);
    return KP_OK;
fail:
    buf_free(b);
    mem_free(o_kv, nkv * sizeof *o_kv);
    return err_set(err, rc, "out of memory");
}

/* ---- modules ------------------------------------------------------------------- */

static mem_module *find_module(host_mem *m, const uint8_t id[32])
{
    for (size_t i = 0; i < m->nmods; i++)
        if (memcmp(m->mods[i].id, id, 32) == 0) return &m->mods[i];
    return NULL;
}

static int mod_info(void *u, const uint8_t id[32], host_module_info *out, kp_error *err)
{
    mem_module *x = find_module(u, id);
    if (!x) return err_set(err, KP_E_NOT_FOUND, "no such module");
    *out = x->info;
    return KP_OK;
}

static int mod_code(void *u, const uint8_t id[32], const uint8_t **wasm, size_t *len,
                    kp_error *err)
{
    mem_module *x = find_module(u, id);
    if (!x) return err_set(err, KP_E_NOT_FOUND, "no such module");
    *wasm = x->wasm;
    *len = x->len;
    return KP_OK;
}

static int mod_set_state(void *u, const uint8_t id[32], int state, const uint8_t succ[32],
                         kp_error *err)
{
    host_mem *m = u;
    mem_module *x = find_module(m, id);
    if (!x) return err_set(err, KP_E_NOT_FOUND, "no such module");
    if (state == HOST_MODULE_UPGRADED) {
        mem_module *y = find_module(m, succ);
        if (!y) return err_set(err, KP_E_NOT_FOUND, "successor module is not registered");
        x = find_module(m, id);
        if (y->info.owner_alg == KP_ALG_NONE) {
            y->info.owner_alg = x->info.owner_alg;
            y->info.owner_len = x->info.owner_len;
            memcpy(y->info.owner, x->info.owner, x->info.owner_len);
        }
        memcpy(x->info.successor, succ, 32);
    }
    x->info.state = state;
    return KP_OK;
}

host_modules host_mem_modules(host_mem *m)
{
    return (host_modules){m, mod_info, mod_code, mod_set_state};
}

int host_mem_add_module(host_mem *m, const uint8_t *wasm, size_t len, kp_key_alg owner_alg,
                        const uint8_t *owner, size_t owner_len, uint8_t id[32], kp_error *err)
{
    uint8_t mid[32];
    kp_module_id(wasm, len, mid);
    if (owner_len > HOST_PK_MAX) return err_set(err, KP_E_ARG, "owner key too long");
    mem_module *x = find_module(m, mid);
    if (!x) {
        if (m->nmods == m->modcap) {
            size_t nc = m->modcap ? m->modcap * 2 : 8;
            mem_module *n = mem_realloc(m->mods, m->modcap * sizeof *n, nc * sizeof *n);
            if (!n) return nomem(err);
            m->mods = n;
            m->modcap = nc;
        }
        x = &m->mods[m->nmods];
        memset(x, 0, sizeof *x);
        x->wasm = mem_alloc(len ? len : 1);
        if (!x->wasm) return nomem(err);
        memcpy(x->wasm, wasm, len);
        x->len = len;
        memcpy(x->id, mid, 32);
        m->nmods++;
    }
    x->info.owner_alg = owner_len ? owner_alg : KP_ALG_NONE;
    x->info.owner_len = owner_len;
    if (owner_len) memcpy(x->info.owner, owner, owner_len);
    if (id) memcpy(id, mid, 32);
    return KP_OK;
}
