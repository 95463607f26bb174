/*
 * runtime_world_test.c: the store as a run's world (runtime/world.c). The
 * same assertions as host_mem_test.c's backend tests run against both the
 * in-memory backends and the SQLite ones, and so does a guest (blocklist)
 * whose child storage must persist across runs and store reopenings.
 */
#include <unistd.h>

#include "hosttest.h"
#include "runtime/runtime.h"
#include "test.h"
#include "testdir.h"

/* One backend under test: the in-memory world or the store's. */
typedef struct backend {
    const char *name;
    host_mem *mem;
    kp_store *st;
    rt_world *w;
    host_storage s;
    host_ledger l;
    host_dag d;
    host_modules r;
} backend;

static void be_open(backend *b, int sqlite, const char *dir)
{
    memset(b, 0, sizeof *b);
    kp_error e;
    if (!sqlite) {
        b->name = "mem";
        if (host_mem_new(&b->mem, &e)) abort();
        b->s = host_mem_storage(b->mem);
        b->l = host_mem_ledger(b->mem);
        b->d = host_mem_dag(b->mem);
        b->r = host_mem_modules(b->mem);
        return;
    }
    b->name = "sqlite";
    if (kp_store_open(dir, KP_STORE_CREATE, &b->st, &e) || rt_world_new(b->st, &b->w, &e)) {
        printf("# %s\n", e.msg);
        abort();
    }
    b->s = rt_world_storage(b->w);
    b->l = rt_world_ledger(b->w);
    b->d = rt_world_dag(b->w);
    b->r = rt_world_modules(b->w);
}

static void be_close(backend *b)
{
    host_mem_free(b->mem);
    rt_world_free(b->w);
    kp_store_close(b->st);
}

static int be_add_module(backend *b, const char *code, kp_key_alg alg, const uint8_t *owner,
                         size_t olen, uint8_t id[32])
{
    kp_error e;
    if (b->mem)
        return host_mem_add_module(b->mem, (const uint8_t *)code, strlen(code), alg, owner, olen,
                                   id, &e);
    return store_module_add(b->st, (const uint8_t *)code, strlen(code), alg, owner, olen, 1, id,
                            NULL, &e);
}

static int be_credit(backend *b, const char *acct, uint64_t amount)
{
    if (b->mem) return host_mem_credit(b->mem, (const uint8_t *)acct, strlen(acct), amount, NULL);
    return store_ledger_credit(b->st, (const uint8_t *)acct, strlen(acct), amount, NULL);
}

static size_t be_transfers(backend *b)
{
    if (b->mem) return host_mem_ledger_count(b->mem);
    uint64_t n = 0;
    store_ledger_transfer_count(b->st, &n, NULL);
    return (size_t)n;
}

/* Stores a capsule from its host form: a log entry, then the row. */
static int be_add_capsule(backend *b, const host_capsule *c)
{
    kp_error e;
    if (b->mem) return host_mem_add_capsule(b->mem, c, &e);
    return KP_E_ARG; /* the store takes real capsules only: see dag test */
}

static void storage_is_keyed_by_module(int sqlite)
{
    backend b;
    be_open(&b, sqlite, test_dir("storage", 1));
    host_storage s = b.s;
    uint8_t a[32], bb[32];
    CHECK_EQ(be_add_module(&b, "module-a", KP_ALG_NONE, NULL, 0, a), KP_OK);
    CHECK_EQ(be_add_module(&b, "module-b", KP_ALG_NONE, NULL, 0, bb), KP_OK);
    kp_error err;
    CHECK_EQ(s.put(s.user, a, (const uint8_t *)"k", 1, (const uint8_t *)"A", 1, &err), KP_OK);
    CHECK_EQ(s.put(s.user, bb, (const uint8_t *)"k", 1, (const uint8_t *)"B", 1, &err), KP_OK);
    const uint8_t *v;
    size_t vl;
    int found;
    CHECK_EQ(s.get(s.user, a, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(found && vl == 1 && v[0] == 'A');
    CHECK_EQ(s.get(s.user, bb, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(found && v[0] == 'B');
    CHECK_EQ(s.del(s.user, a, (const uint8_t *)"k", 1, &err), KP_OK);
    CHECK_EQ(s.get(s.user, a, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(!found);
    CHECK_EQ(s.get(s.user, bb, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(found);
    /* empty key and empty value are values, not absence */
    CHECK_EQ(s.put(s.user, a, (const uint8_t *)"", 0, (const uint8_t *)"", 0, &err), KP_OK);
    CHECK_EQ(s.get(s.user, a, (const uint8_t *)"", 0, &v, &vl, &found, &err), KP_OK);
    CHECK(found && vl == 0);
    /* overwrite */
    CHECK_EQ(s.put(s.user, bb, (const uint8_t *)"k", 1, (const uint8_t *)"BB", 2, &err), KP_OK);
    CHECK_EQ(s.get(s.user, bb, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(found && vl == 2 && memcmp(v, "BB", 2) == 0);
    be_close(&b);
}

TEST(storage_mem)
{
    storage_is_keyed_by_module(0);
}
TEST(storage_sqlite)
{
    storage_is_keyed_by_module(1);
}

static void ledger_transfers_and_nonces(int sqlite)
{
    backend b;
    be_open(&b, sqlite, test_dir("ledger", 1));
    host_ledger l = b.l;
    kp_error err;
    uint64_t bal;
    CHECK_EQ(be_credit(&b, "alice", 100), KP_OK);
    CHECK_EQ(l.transfer(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"bob", 3, 60, &err), KP_OK);
    CHECK_EQ(l.transfer(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"bob", 3, 41, &err),
             KP_E_LEDGER_OVERDRAFT);
    CHECK_EQ(l.balance(l.user, (const uint8_t *)"alice", 5, &bal, &err), KP_OK);
    CHECK_EQ(bal, 40);
    CHECK_EQ(l.balance(l.user, (const uint8_t *)"bob", 3, &bal, &err), KP_OK);
    CHECK_EQ(bal, 60);
    CHECK_EQ(l.balance(l.user, (const uint8_t *)"carol", 5, &bal, &err), KP_OK);
    CHECK_EQ(bal, 0);
    CHECK_EQ(be_transfers(&b), 1);
    /* to oneself: counted, balance unchanged */
    CHECK_EQ(l.transfer(l.user, (const uint8_t *)"bob", 3, (const uint8_t *)"bob", 3, 60, &err), KP_OK);
    CHECK_EQ(l.balance(l.user, (const uint8_t *)"bob", 3, &bal, &err), KP_OK);
    CHECK_EQ(bal, 60);
    CHECK_EQ(be_transfers(&b), 2);
    int used;
    CHECK_EQ(l.nonce_used(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"n1", 2, &used, &err), KP_OK);
    CHECK_EQ(used, 0);
    CHECK_EQ(l.nonce_claim(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"n1", 2, &err), KP_OK);
    CHECK_EQ(l.nonce_claim(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"n1", 2, &err),
             KP_E_CAP_REQUEST_REPLAYED);
    CHECK_EQ(l.nonce_used(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"n1", 2, &used, &err), KP_OK);
    CHECK_EQ(used, 1);
    CHECK_EQ(l.nonce_used(l.user, (const uint8_t *)"bob", 3, (const uint8_t *)"n1", 2, &used, &err), KP_OK);
    CHECK_EQ(used, 0);
    be_close(&b);
}

TEST(ledger_mem)
{
    ledger_transfers_and_nonces(0);
}
TEST(ledger_sqlite)
{
    ledger_transfers_and_nonces(1);
}

static void module_registry_lifecycle(int sqlite)
{
    backend b;
    be_open(&b, sqlite, test_dir("modules", 1));
    host_modules r = b.r;
    uint8_t a[32], bb[32], want[32];
    kp_error err;
    CHECK_EQ(be_add_module(&b, "code-a", KP_ALG_ED25519, (const uint8_t *)"owner-key", 9, a), KP_OK);
    cry_sha256(want, "kapsule-module-v1\0code-a", 24);
    CHECK_MEM(a, want, 32);
    CHECK_EQ(be_add_module(&b, "code-b", KP_ALG_NONE, NULL, 0, bb), KP_OK);
    host_module_info info;
    CHECK_EQ(r.info(r.user, a, &info, &err), KP_OK);
    CHECK_EQ(info.state, HOST_MODULE_ACTIVE);
    CHECK_EQ(info.owner_len, 9);
    const uint8_t *code;
    size_t len;
    CHECK_EQ(r.code(r.user, bb, &code, &len, &err), KP_OK);
    CHECK(len == 6 && memcmp(code, "code-b", 6) == 0);
    CHECK_EQ(r.set_state(r.user, a, HOST_MODULE_UPGRADED, bb, &err), KP_OK);
    CHECK_EQ(r.info(r.user, a, &info, &err), KP_OK);
    CHECK_EQ(info.state, HOST_MODULE_UPGRADED);
    CHECK_MEM(info.successor, bb, 32);
    CHECK_EQ(r.info(r.user, bb, &info, &err), KP_OK);
    CHECK_EQ(info.owner_len, 9);
    CHECK_EQ(info.owner_alg, KP_ALG_ED25519);
    CHECK_EQ(r.set_state(r.user, bb, HOST_MODULE_DESTROYED, NULL, &err), KP_OK);
    CHECK_EQ(r.info(r.user, bb, &info, &err), KP_OK);
    CHECK_EQ(info.state, HOST_MODULE_DESTROYED);
    uint8_t nope[32] = {0};
    CHECK_EQ(r.info(r.user, nope, &info, &err), KP_E_NOT_FOUND);
    CHECK_EQ(r.code(r.user, nope, &code, &len, &err), KP_E_NOT_FOUND);
    CHECK_EQ(r.set_state(r.user, a, HOST_MODULE_UPGRADED, nope, &err), KP_E_NOT_FOUND);
    be_close(&b);
}

TEST(modules_mem)
{
    module_registry_lifecycle(0);
}
TEST(modules_sqlite)
{
    module_registry_lifecycle(1);
}

/* Real capsules for the store's DAG (it keeps capsule files, not host forms). */
static kp_capsule *pack(kp_key *k, const char *type, const char *body,
                        const uint8_t (*parents)[32], size_t np, const kp_capsule_flag *fl,
                        size_t nfl)
{
    kp_capsule_pack_opts o;
    memset(&o, 0, sizeof o);
    o.type = type;
    o.author = k;
    o.body = (const uint8_t *)body;
    o.body_len = strlen(body);
    o.parents = parents;
    o.parent_count = np;
    o.flags = fl;
    o.flag_count = nfl;
    o.created = 1234;
    kp_capsule *c = NULL;
    kp_error e;
    if (kp_capsule_pack(&o, NULL, &c, &e)) {
        printf("# pack: %s\n", e.msg);
        abort();
    }
    return c;
}

static void be_store(backend *b, kp_capsule *c)
{
    rt_hcap h;
    memset(&h, 0, sizeof h);
    kp_error e;
    if (rt_hcap_fill(&h, c, NULL, 0, &e)) abort();
    if (b->mem) {
        if (be_add_capsule(b, &h.c)) abort();
    } else {
        uint64_t idx;
        size_t len;
        const uint8_t *bytes = kp_capsule_bytes(c, &len);
        if (kp_log_append(b->st, (const uint8_t *)"e", 1, &idx, &e)) abort();
        store_capsule row = {h.c.id, bytes, len, h.c.type, h.c.author_alg, h.c.author,
                             h.c.author_len, h.c.created, NULL, 0, idx, h.c.parents, h.c.nparents};
        if (store_capsule_put(b->st, &row, &e)) abort();
    }
    rt_hcap_clear(&h);
}

static void dag_children_and_copies(int sqlite)
{
    backend b;
    be_open(&b, sqlite, test_dir("dag", 1));
    host_dag d = b.d;
    kp_key *k;
    kp_error err;
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &k, &err), KP_OK);
    kp_capsule_flag fl = {"lang", 4, "en", 2};
    kp_capsule *p = pack(k, "post", "hello", NULL, 0, &fl, 1);
    be_store(&b, p);
    const uint8_t(*pid)[32] = (const uint8_t(*)[32])kp_capsule_id(p);
    kp_capsule *c1 = pack(k, "comment", "one", pid, 1, NULL, 0);
    kp_capsule *c2 = pack(k, "comment", "two", pid, 1, NULL, 0);
    be_store(&b, c1);
    be_store(&b, c2);
    const host_capsule *got;
    CHECK_EQ(d.get(d.user, kp_capsule_id(p), &got, &err), KP_OK);
    CHECK_STR(got->type, "post");
    CHECK_EQ(got->nflags, 1);
    CHECK_STR(got->flags[0].key, "lang");
    CHECK_STR(got->flags[0].value, "en");
    CHECK_EQ(got->created, 1234);
    CHECK_MEM(got->body, "hello", 5);
    CHECK_EQ(got->author_len, 32);
    CHECK_EQ(d.get(d.user, kp_capsule_id(c1), &got, &err), KP_OK);
    CHECK_EQ(got->nparents, 1);
    CHECK_MEM(got->parents[0], kp_capsule_id(p), 32);
    const uint8_t(*ids)[32];
    size_t n;
    CHECK_EQ(d.children(d.user, kp_capsule_id(p), &ids, &n, &err), KP_OK);
    CHECK_EQ(n, 2);
    CHECK_MEM(ids[0], kp_capsule_id(c1), 32);
    CHECK_MEM(ids[1], kp_capsule_id(c2), 32);
    CHECK_EQ(d.children(d.user, kp_capsule_id(c1), &ids, &n, &err), KP_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(d.get(d.user, (const uint8_t *)"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", &got, &err),
             KP_E_NOT_FOUND);
    kp_capsule_free(p);
    kp_capsule_free(c1);
    kp_capsule_free(c2);
    kp_key_free(k);
    be_close(&b);
}

TEST(dag_mem)
{
    dag_children_and_copies(0);
}
TEST(dag_sqlite)
{
    dag_children_and_copies(1);
}

/* The blocklist guest through both worlds: the owner's update is kept in
   child storage and decides the next run; on SQLite it also survives
   closing and reopening the store. */
static int bl_run(backend *b, kp_policy *pol, const uint8_t *wasm, size_t wlen,
                  const char *type, const ht_key *by, const void *body, size_t n)
{
    host_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.policy = pol;
    cfg.storage = &b->s;
    cfg.ledger = &b->l;
    cfg.dag = &b->d;
    cfg.modules = &b->r;
    cfg.now = 1700000000;
    host_capsule c = ht_capsule(type, by, body, n);
    host_run *r = NULL;
    kp_error err;
    int rc = host_run_new(&cfg, wasm, wlen, &c, &r, &err);
    if (!rc) rc = host_run_call(r, &err);
    const char *why;
    int v = rc ? -1 : host_run_verdict(r, &why);
    if (!rc && v == HOST_VERDICT_ACCEPT && host_run_commit(r, &err)) v = -2;
    if (rc) printf("# %s\n", err.msg);
    host_run_free(r);
    return v;
}

static void blocklist_world(int sqlite)
{
    size_t wlen;
    uint8_t *wasm = ht_guest("blocklist", &wlen);
    CHECK(wasm != NULL);
    static const char pj[] =
        "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"m\", \"module\": \"*\", "
        "\"capabilities\": [\"capsule.read\", \"storage\", \"module.read\", \"result.submit\"]}]}";
    kp_policy *pol;
    CHECK_EQ(kp_policy_parse((const uint8_t *)pj, sizeof pj - 1, &pol, NULL), KP_OK);
    ht_key O = ht_key_make(31), X = ht_key_make(32);
    const char *dir = test_dir("blocklist", 1);
    backend b;
    be_open(&b, sqlite, dir);
    uint8_t mid[32];
    kp_error e;
    if (b.mem)
        CHECK_EQ(host_mem_add_module(b.mem, wasm, wlen, KP_ALG_ED25519, O.pk, 32, mid, &e), KP_OK);
    else
        CHECK_EQ(store_module_add(b.st, wasm, wlen, KP_ALG_ED25519, O.pk, 32, 1, mid, NULL, &e), KP_OK);
    CHECK_EQ(bl_run(&b, pol, wasm, wlen, "comment", &X, "hello", 5), HOST_VERDICT_ACCEPT);
    buf body = {0};
    cbor_enc enc;
    cbor_enc_init(&enc, &body);
    cbor_begin_map(&enc);
    cbor_put_str(&enc, "block");
    cbor_begin_array(&enc);
    cbor_put_bytes(&enc, X.pk, 32);
    cbor_end(&enc);
    cbor_end(&enc);
    CHECK_EQ(cbor_enc_finish(&enc, NULL), KP_OK);
    CHECK_EQ(bl_run(&b, pol, wasm, wlen, "blocklist.update", &O, body.p, body.len), HOST_VERDICT_ACCEPT);
    CHECK_EQ(bl_run(&b, pol, wasm, wlen, "comment", &X, "hello", 5), HOST_VERDICT_REJECT);
    if (sqlite) {
        be_close(&b);
        be_open(&b, 1, dir); /* same folder: reopened, not fresh */
        CHECK_EQ(bl_run(&b, pol, wasm, wlen, "comment", &X, "hello", 5), HOST_VERDICT_REJECT);
    }
    buf_free(&body);
    be_close(&b);
    kp_policy_free(pol);
    free(wasm);
}

TEST(blocklist_mem)
{
    blocklist_world(0);
}
TEST(blocklist_sqlite)
{
    blocklist_world(1);
}
