/*
 * runtime_query_test.c: the public queries (kapsule.h, "queries") as an
 * embedder uses them, through kapsule.h alone: a stored capsule with its
 * place, parents, children, ancestors and heads; the module list; what a
 * capsule's logic said; and KP_E_NOT_FOUND for what the store lacks.
 */
#include "kapsule.h"
#include "test.h"
#include "testdir.h"

/* A module with no imports whose kapsule_run returns 0 (accept). */
static const uint8_t MOD_ACCEPT[] = {0,  'a', 's', 'm', 1,   0,   0,   0,   1,   5,   1,   0x60,
                                     0,  1,   0x7f, 3, 2,   1,   0,   7,   15,  1,   11,  'k',
                                     'a', 'p', 's', 'u', 'l', 'e', '_', 'r', 'u', 'n', 0,   0,
                                     10, 6,   1,   4,   0,   0x41, 0,  0x0b};

static kp_capsule *pack(kp_key *k, const char *type, const char *body, const uint8_t *parent,
                        const uint8_t *logic)
{
    kp_capsule_pack_opts o;
    memset(&o, 0, sizeof o);
    o.type = type;
    o.author = k;
    o.body = (const uint8_t *)body;
    o.body_len = strlen(body);
    o.parents = (const uint8_t(*)[KP_ID_BYTES])parent;
    o.parent_count = parent ? 1 : 0;
    o.logic = logic;
    o.created = 1700000000;
    kp_capsule *c = NULL;
    kp_error e;
    if (kp_capsule_pack(&o, NULL, &c, &e)) abort();
    return c;
}

static int ingest(kp_ingest *in, const kp_capsule *c)
{
    size_t len;
    const uint8_t *b = kp_capsule_bytes(c, &len);
    kp_error e;
    return kp_ingest_capsule(in, b, len, NULL, NULL, &e);
}

TEST(the_dag_modules_and_results_through_the_public_api)
{
    kp_error e;
    kp_store *st;
    kp_ingest *in;
    kp_key *k;
    CHECK_EQ(kp_store_open(test_dir("query", 1), KP_STORE_CREATE, &st, &e), KP_OK);
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &k, &e), KP_OK);
    kp_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.now = 1700000000;
    CHECK_EQ(kp_ingest_new(st, &o, &in, &e), KP_OK);
    uint8_t mod[KP_ID_BYTES];
    CHECK_EQ(kp_ingest_module_add(in, MOD_ACCEPT, sizeof MOD_ACCEPT, KP_ALG_NONE, NULL, 0, mod,
                                  NULL, NULL, NULL, &e),
             KP_OK);
    kp_capsule *post = pack(k, "post", "hello", NULL, NULL);
    kp_capsule *reply = pack(k, "comment", "hi", kp_capsule_id(post), mod);
    kp_capsule *stranger = pack(k, "post", "never ingested", NULL, NULL);
    CHECK_EQ(ingest(in, post), KP_OK);
    CHECK_EQ(ingest(in, reply), KP_OK);

    /* a stored capsule, as received, with its place */
    kp_capsule *got = NULL;
    kp_dag_place place;
    CHECK_EQ(kp_dag_get(st, kp_capsule_id(reply), &got, &place, &e), KP_OK);
    CHECK(memcmp(kp_capsule_id(got), kp_capsule_id(reply), KP_ID_BYTES) == 0);
    CHECK_EQ(strcmp(kp_capsule_type(got), "comment"), 0);
    CHECK_EQ(place.seq, 2);
    CHECK_EQ(place.log_index, 2); /* 0: the module, 1: the post */
    kp_capsule_free(got);
    got = NULL;
    CHECK_EQ(kp_dag_get(st, kp_capsule_id(stranger), &got, NULL, &e), KP_E_NOT_FOUND);
    CHECK(got == NULL);

    kp_ids *l = NULL;
    CHECK_EQ(kp_dag_parents(st, kp_capsule_id(reply), &l, &e), KP_OK);
    CHECK_EQ(kp_ids_count(l), 1);
    CHECK(memcmp(kp_ids_at(l, 0), kp_capsule_id(post), KP_ID_BYTES) == 0);
    CHECK(kp_ids_at(l, 1) == NULL);
    kp_ids_free(l);
    CHECK_EQ(kp_dag_children(st, kp_capsule_id(post), &l, &e), KP_OK);
    CHECK_EQ(kp_ids_count(l), 1);
    CHECK(memcmp(kp_ids_at(l, 0), kp_capsule_id(reply), KP_ID_BYTES) == 0);
    kp_ids_free(l);
    CHECK_EQ(kp_dag_ancestors(st, kp_capsule_id(reply), &l, &e), KP_OK);
    CHECK_EQ(kp_ids_count(l), 1);
    kp_ids_free(l);
    CHECK_EQ(kp_dag_heads(st, NULL, &l, &e), KP_OK);
    CHECK_EQ(kp_ids_count(l), 1); /* the reply: the post is named as a parent */
    CHECK(memcmp(kp_ids_at(l, 0), kp_capsule_id(reply), KP_ID_BYTES) == 0);
    kp_ids_free(l);
    CHECK_EQ(kp_dag_heads(st, "post", &l, &e), KP_OK);
    CHECK_EQ(kp_ids_count(l), 0);
    kp_ids_free(l);
    l = NULL;
    /* an unknown capsule is not found, not an empty list */
    CHECK_EQ(kp_dag_children(st, kp_capsule_id(stranger), &l, &e), KP_E_NOT_FOUND);
    CHECK(l == NULL);
    CHECK_EQ(kp_dag_ancestors(st, kp_capsule_id(stranger), &l, &e), KP_E_NOT_FOUND);

    /* modules */
    kp_module_info *rows = NULL;
    size_t n = 0;
    CHECK_EQ(kp_modules_list(st, &rows, &n, &e), KP_OK);
    CHECK_EQ(n, 1);
    CHECK(memcmp(rows[0].id, mod, KP_ID_BYTES) == 0);
    CHECK_EQ(rows[0].state, KP_MODULE_ACTIVE);
    CHECK_EQ(rows[0].code_len, sizeof MOD_ACCEPT);
    CHECK_EQ(rows[0].has_owner, 0);
    CHECK_EQ(strcmp(kp_module_state_name(rows[0].state), "active"), 0);
    kp_modules_free(rows, n);
    kp_module_info mi;
    CHECK_EQ(kp_module_get(st, mod, &mi, &e), KP_OK);
    CHECK_EQ(mi.added, 1700000000);
    CHECK_EQ(kp_module_get(st, kp_capsule_id(post), &mi, &e), KP_E_NOT_FOUND);

    /* results */
    kp_result *r = NULL;
    CHECK_EQ(kp_result_get(st, kp_capsule_id(reply), &r, &e), KP_OK);
    const char *why;
    CHECK_EQ(kp_result_verdict(r, &why), 1);
    CHECK_EQ(strcmp(why, ""), 0);
    CHECK(memcmp(kp_result_module(r), mod, KP_ID_BYTES) == 0);
    CHECK(kp_result_fuel(r) > 0);
    CHECK_EQ(kp_result_log_index(r), 2);
    size_t dl = 99;
    int sub = 9;
    CHECK(kp_result_data(r, &dl, &sub) == NULL);
    CHECK_EQ(dl, 0);
    CHECK_EQ(sub, 0);
    kp_result_free(r);
    r = NULL;
    CHECK_EQ(kp_result_get(st, kp_capsule_id(post), &r, &e), KP_E_NOT_FOUND);
    CHECK(strstr(e.msg, "no result") != NULL);
    CHECK_EQ(kp_result_get(st, kp_capsule_id(stranger), &r, &e), KP_E_NOT_FOUND);
    CHECK(strstr(e.msg, "no capsule") != NULL);
    CHECK(r == NULL);

    kp_capsule_free(post);
    kp_capsule_free(reply);
    kp_capsule_free(stranger);
    kp_key_free(k);
    kp_ingest_free(in);
    kp_store_close(st);
}

TEST(cbor_as_json)
{
    /* {"a": h'00ff', "b": [1, -1, true, null], 1: "x", "n": 2^64-1, "m": -2^64} */
    static const uint8_t c[] = {0xa5, 0x01, 0x61, 'x', 0x61, 'a', 0x42, 0x00, 0xff, 0x61, 'b',
                                0x84, 0x01, 0x20, 0xf5, 0xf6, 0x61, 'm', 0x3b, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0x61, 'n', 0x1b, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff};
    char *j = NULL;
    kp_error e;
    CHECK_EQ(kp_cbor_to_json(c, sizeof c, 0, &j, &e), KP_OK);
    CHECK_EQ(strcmp(j, "{\"1\":\"x\",\"a\":\"00ff\",\"b\":[1,-1,true,null],"
                       "\"m\":\"-18446744073709551616\",\"n\":\"18446744073709551615\"}"),
             0);
    kp_text_free(j);
    /* a tag, and a number just inside the safe range */
    static const uint8_t t[] = {0xd2, 0x1b, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK_EQ(kp_cbor_to_json(t, sizeof t, 0, &j, &e), KP_OK);
    CHECK_EQ(strcmp(j, "{\"tag\":18,\"value\":9007199254740992}"), 0);
    kp_text_free(j);
    /* what is not canonical CBOR is refused with the decoder's code */
    static const uint8_t bad[] = {0x18, 0x01}; /* 1 in two bytes */
    CHECK_EQ(kp_cbor_to_json(bad, sizeof bad, 0, &j, &e), KP_E_CBOR_NONCANONICAL);
    CHECK_EQ(kp_cbor_to_json((const uint8_t *)"\x82\x01", 2, 0, &j, &e), KP_E_TRUNCATED);
}
