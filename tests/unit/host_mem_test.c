/* host_mem_test.c: the host's byte map and the in-memory backends that
   tests and `kapsule run` use in place of the store. */
#include "crypto/crypto.h"
#include "host/host.h"
#include "host/map.h"
#include "test.h"

TEST(map_put_get_del_in_insertion_order)
{
    host_map m;
    memset(&m, 0, sizeof m);
    char k[32], v[32];
    for (int i = 0; i < 1000; i++) {
        int kn = snprintf(k, sizeof k, "key%d", i), vn = snprintf(v, sizeof v, "v%d", i * 7);
        CHECK_EQ(host_map_put(&m, k, (size_t)kn, v, (size_t)vn), KP_OK);
    }
    CHECK_EQ(m.n, 1000);
    for (int i = 0; i < 1000; i++) {
        int kn = snprintf(k, sizeof k, "key%d", i), vn = snprintf(v, sizeof v, "v%d", i * 7);
        host_map_ent *x = host_map_get(&m, k, (size_t)kn);
        CHECK(x && x->live && x->vlen == (size_t)vn && memcmp(x->val, v, (size_t)vn) == 0);
        CHECK_EQ(m.ents[i].klen, (size_t)kn); /* insertion order */
    }
    CHECK(host_map_get(&m, "nope", 4) == NULL);
    CHECK_EQ(host_map_del(&m, "key5", 4), 1);
    CHECK_EQ(host_map_del(&m, "key5", 4), 0);
    host_map_ent *x = host_map_get(&m, "key5", 4);
    CHECK(x && !x->live);
    CHECK_EQ(host_map_put(&m, "key5", 4, "back", 4), KP_OK);
    CHECK(x->live && x->vlen == 4);
    CHECK_EQ(host_map_put(&m, "", 0, NULL, 0), KP_OK); /* empty key and value */
    x = host_map_get(&m, "", 0);
    CHECK(x && x->live && x->vlen == 0);
    CHECK_EQ(m.n, 1001);
    host_map_free(&m);
}

TEST(storage_is_keyed_by_module)
{
    host_mem *m;
    CHECK_EQ(host_mem_new(&m, NULL), KP_OK);
    host_storage s = host_mem_storage(m);
    uint8_t a[32], b[32];
    memset(a, 1, 32);
    memset(b, 2, 32);
    kp_error err;
    CHECK_EQ(s.put(s.user, a, (const uint8_t *)"k", 1, (const uint8_t *)"A", 1, &err), KP_OK);
    CHECK_EQ(s.put(s.user, b, (const uint8_t *)"k", 1, (const uint8_t *)"B", 1, &err), KP_OK);
    const uint8_t *v;
    size_t vl;
    int found;
    CHECK_EQ(s.get(s.user, a, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(found && vl == 1 && v[0] == 'A');
    CHECK_EQ(s.get(s.user, b, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(found && v[0] == 'B');
    CHECK_EQ(s.del(s.user, a, (const uint8_t *)"k", 1, &err), KP_OK);
    CHECK_EQ(s.get(s.user, a, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(!found);
    CHECK_EQ(s.get(s.user, b, (const uint8_t *)"k", 1, &v, &vl, &found, &err), KP_OK);
    CHECK(found);
    host_mem_free(m);
}

TEST(ledger_transfers_and_nonces)
{
    host_mem *m;
    CHECK_EQ(host_mem_new(&m, NULL), KP_OK);
    host_ledger l = host_mem_ledger(m);
    kp_error err;
    uint64_t bal;
    CHECK_EQ(host_mem_credit(m, (const uint8_t *)"alice", 5, 100, &err), KP_OK);
    CHECK_EQ(l.transfer(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"bob", 3, 60, &err), KP_OK);
    CHECK_EQ(l.transfer(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"bob", 3, 41, &err),
             KP_E_LEDGER_OVERDRAFT);
    CHECK_EQ(l.balance(l.user, (const uint8_t *)"alice", 5, &bal, &err), KP_OK);
    CHECK_EQ(bal, 40);
    CHECK_EQ(l.balance(l.user, (const uint8_t *)"bob", 3, &bal, &err), KP_OK);
    CHECK_EQ(bal, 60);
    CHECK_EQ(l.balance(l.user, (const uint8_t *)"carol", 5, &bal, &err), KP_OK);
    CHECK_EQ(bal, 0);
    CHECK_EQ(host_mem_ledger_count(m), 1);
    int used;
    CHECK_EQ(l.nonce_used(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"n1", 2, &used, &err), KP_OK);
    CHECK_EQ(used, 0);
    CHECK_EQ(l.nonce_claim(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"n1", 2, &err), KP_OK);
    CHECK_EQ(l.nonce_claim(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"n1", 2, &err),
             KP_E_CAP_REQUEST_REPLAYED);
    CHECK_EQ(l.nonce_used(l.user, (const uint8_t *)"alice", 5, (const uint8_t *)"n1", 2, &used, &err), KP_OK);
    CHECK_EQ(used, 1);
    /* nonces are per author: the same bytes from bob are fresh */
    CHECK_EQ(l.nonce_used(l.user, (const uint8_t *)"bob", 3, (const uint8_t *)"n1", 2, &used, &err), KP_OK);
    CHECK_EQ(used, 0);
    host_mem_free(m);
}

TEST(dag_children_and_copies)
{
    host_mem *m;
    CHECK_EQ(host_mem_new(&m, NULL), KP_OK);
    host_dag d = host_mem_dag(m);
    uint8_t p[32], c1[32], c2[32];
    memset(p, 0xa, 32);
    memset(c1, 0xb, 32);
    memset(c2, 0xc, 32);
    char type[] = "post";
    host_flag fl[] = {{"lang", "en"}};
    host_capsule cp;
    memset(&cp, 0, sizeof cp);
    memcpy(cp.id, p, 32);
    cp.type = type;
    cp.author = (const uint8_t *)"author";
    cp.author_len = 6;
    cp.flags = fl;
    cp.nflags = 1;
    cp.body = (const uint8_t *)"hello";
    cp.body_len = 5;
    cp.created = 1234;
    kp_error err;
    CHECK_EQ(host_mem_add_capsule(m, &cp, &err), KP_OK);
    CHECK_EQ(host_mem_add_capsule(m, &cp, &err), KP_E_EXISTS);
    type[0] = 'X'; /* the store kept its own copy */
    const uint8_t(*parents)[32] = (const uint8_t(*)[32])p;
    memcpy(cp.id, c1, 32);
    cp.type = "comment";
    cp.parents = parents;
    cp.nparents = 1;
    CHECK_EQ(host_mem_add_capsule(m, &cp, &err), KP_OK);
    memcpy(cp.id, c2, 32);
    CHECK_EQ(host_mem_add_capsule(m, &cp, &err), KP_OK);
    const host_capsule *got;
    CHECK_EQ(d.get(d.user, p, &got, &err), KP_OK);
    CHECK_STR(got->type, "post");
    CHECK_EQ(got->nflags, 1);
    CHECK_STR(got->flags[0].key, "lang");
    CHECK_STR(got->flags[0].value, "en");
    CHECK_EQ(got->created, 1234);
    CHECK_MEM(got->body, "hello", 5);
    const uint8_t(*ids)[32];
    size_t n;
    CHECK_EQ(d.children(d.user, p, &ids, &n, &err), KP_OK);
    CHECK_EQ(n, 2);
    CHECK_MEM(ids[0], c1, 32);
    CHECK_MEM(ids[1], c2, 32);
    CHECK_EQ(d.children(d.user, c1, &ids, &n, &err), KP_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(d.get(d.user, (const uint8_t *)"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", &got, &err), KP_E_NOT_FOUND);
    host_mem_free(m);
}

TEST(module_registry_lifecycle)
{
    host_mem *m;
    CHECK_EQ(host_mem_new(&m, NULL), KP_OK);
    host_modules r = host_mem_modules(m);
    uint8_t a[32], b[32], want[32];
    kp_error err;
    CHECK_EQ(host_mem_add_module(m, (const uint8_t *)"code-a", 6, KP_ALG_ED25519,
                                 (const uint8_t *)"owner-key", 9, a, &err), KP_OK);
    /* the module id is domain-separated: SHA-256("kapsule-module-v1" 0x00 code) */
    cry_sha256(want, "kapsule-module-v1\0code-a", 24);
    CHECK_MEM(a, want, 32);
    CHECK_EQ(host_mem_add_module(m, (const uint8_t *)"code-b", 6, KP_ALG_NONE, NULL, 0, b, &err), KP_OK);
    host_module_info info;
    CHECK_EQ(r.info(r.user, a, &info, &err), KP_OK);
    CHECK_EQ(info.state, HOST_MODULE_ACTIVE);
    CHECK_EQ(info.owner_len, 9);
    const uint8_t *code;
    size_t len;
    CHECK_EQ(r.code(r.user, b, &code, &len, &err), KP_OK);
    CHECK(len == 6 && memcmp(code, "code-b", 6) == 0);
    CHECK_EQ(r.set_state(r.user, a, HOST_MODULE_UPGRADED, b, &err), KP_OK);
    CHECK_EQ(r.info(r.user, a, &info, &err), KP_OK);
    CHECK_EQ(info.state, HOST_MODULE_UPGRADED);
    CHECK_MEM(info.successor, b, 32);
    CHECK_EQ(r.info(r.user, b, &info, &err), KP_OK);
    CHECK_EQ(info.owner_len, 9); /* the successor took the owner */
    CHECK_EQ(info.owner_alg, KP_ALG_ED25519);
    uint8_t nope[32] = {0};
    CHECK_EQ(r.info(r.user, nope, &info, &err), KP_E_NOT_FOUND);
    CHECK_EQ(r.set_state(r.user, a, HOST_MODULE_UPGRADED, nope, &err), KP_E_NOT_FOUND);
    host_mem_free(m);
}
