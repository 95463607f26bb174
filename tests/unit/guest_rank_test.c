/*
 * guest_rank_test.c: guest/rank.c through the host, against scores and a
 * DAG set up by hand. score = (trust + 50000 * replies) * 24 / (24 + age
 * in hours), so:
 *   post1: trust 400000, no replies, age 0h:  400000 * 24 / 24  = 400000
 *   post2: trust 100000, 2 replies, age 48h:  200000 * 24 / 72  =  66666
 *   post3: trust 0 (unknown), 1 reply, 24h:    50000 * 24 / 48  =  25000
 * The ages use the real clock (an oracle), with a minute of margin.
 */
#include <time.h>

#include "hosttest.h"
#include "test.h"

static ht_world w;
static ht_key P1, P2, P3, R;
static uint8_t *wasm;
static size_t wlen;
static uint8_t trust_mod[32], post[3][32];

static void put_score(const ht_key *k, uint64_t s)
{
    uint8_t key[6 + 32], v[8];
    memcpy(key, "score/", 6);
    memcpy(key + 6, k->pk, 32);
    for (int i = 0; i < 8; i++) v[i] = (uint8_t)(s >> (8 * i));
    w.st.put(w.st.user, trust_mod, key, sizeof key, v, 8, NULL);
}

static void add_post(int i, const ht_key *by, int64_t created)
{
    host_capsule c = ht_capsule("post", by, "a post", 6);
    memset(post[i], 0x10 + i, 32);
    memcpy(c.id, post[i], 32);
    c.created = created;
    host_mem_add_capsule(w.mem, &c, NULL);
}

static void add_reply(int to, uint8_t tag)
{
    host_capsule c = ht_capsule("comment", &R, "reply", 5);
    memset(c.id, tag, 32);
    c.parents = (const uint8_t(*)[32])post[to];
    c.nparents = 1;
    host_mem_add_capsule(w.mem, &c, NULL);
}

static void setup(void)
{
    ht_world_init(&w);
    P1 = ht_key_make(21);
    P2 = ht_key_make(22);
    P3 = ht_key_make(23);
    R = ht_key_make(24);
    if (!wasm) wasm = ht_guest("rank", &wlen);
    memset(trust_mod, 0x7e, 32);
    memcpy(w.cfg.trust_module, trust_mod, 32);
    w.cfg.has_trust_module = 1;
    put_score(&P1, 400000);
    put_score(&P2, 100000);
    int64_t now = (int64_t)time(NULL) - 60;
    add_post(0, &P1, now);
    add_post(1, &P2, now - 48 * 3600);
    add_post(2, &P3, now - 24 * 3600);
    add_reply(1, 0xc1);
    add_reply(1, 0xc2);
    add_reply(2, 0xc3);
    ht_policy(&w, "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"feed\", \"module\": \"*\", "
                  "\"capabilities\": [\"capsule.read\", \"trust.read\", \"dag.read\", \"clock\", "
                  "\"result.submit\"]}]}");
}

/* Decodes the result [[id, score], ...] into ids/scores; returns the count. */
static int decode(const uint8_t *p, size_t n, uint8_t ids[][32], int64_t *scores)
{
    cbor_item a, pair, id, sc;
    if (cbor_parse(p, n, &a, NULL) || a.type != CBOR_ARRAY) return -1;
    cbor_iter it, jt;
    int k = 0;
    cbor_iter_init(&it, &a);
    while (cbor_iter_next(&it, &pair)) {
        cbor_iter_init(&jt, &pair);
        if (!cbor_iter_next(&jt, &id) || !cbor_iter_next(&jt, &sc) || id.len != 32) return -1;
        memcpy(ids[k], id.ptr, 32);
        scores[k++] = (int64_t)sc.val;
    }
    return k;
}

TEST(ranks_posts_by_trust_replies_and_age)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    CHECK(wasm != NULL);
    host_capsule c = ht_capsule("rank", &R, "", 0);
    uint8_t parents[3][32];
    memcpy(parents[0], post[1], 32); /* in no particular order */
    memcpy(parents[1], post[2], 32);
    memcpy(parents[2], post[0], 32);
    c.parents = (const uint8_t(*)[32])parents;
    c.nparents = 3;
    host_run *r;
    kp_error err;
    CHECK_EQ(ht_run(&w, wasm, wlen, &c, 0, &r, &err), KP_OK);
    size_t n;
    int sub;
    const uint8_t *res = host_run_result(r, &n, &sub);
    uint8_t ids[3][32];
    int64_t s[3];
    CHECK_EQ(decode(res, n, ids, s), 3);
    CHECK_MEM(ids[0], post[0], 32);
    CHECK_EQ(s[0], 400000);
    CHECK_MEM(ids[1], post[1], 32);
    CHECK_EQ(s[1], 66666);
    CHECK_MEM(ids[2], post[2], 32);
    CHECK_EQ(s[2], 25000);
    const char *why;
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_ACCEPT);
    host_run_free(r);
    ht_world_free(&w);
}

TEST(a_post_alone_is_scored_from_its_own_metadata)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    /* post2 itself (its replies are in the DAG; the capsule is this run's) */
    host_capsule c = ht_capsule("post", &P2, "a post", 6);
    memcpy(c.id, post[1], 32);
    c.created = (int64_t)time(NULL) - 60 - 48 * 3600;
    host_run *r;
    kp_error err;
    CHECK_EQ(ht_run(&w, wasm, wlen, &c, 0, &r, &err), KP_OK);
    size_t n;
    int sub;
    const uint8_t *res = host_run_result(r, &n, &sub);
    uint8_t ids[1][32];
    int64_t s[1];
    CHECK_EQ(decode(res, n, ids, s), 1);
    CHECK_EQ(s[0], 66666);
    host_run_free(r);
    /* a rank capsule naming a post the DAG does not have is rejected */
    c = ht_capsule("rank", &R, "", 0);
    uint8_t missing[32];
    memset(missing, 0xee, 32);
    c.parents = (const uint8_t(*)[32])missing;
    c.nparents = 1;
    CHECK_EQ(ht_run(&w, wasm, wlen, &c, 0, &r, &err), KP_OK);
    const char *why;
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_REJECT);
    host_run_free(r);
    ht_world_free(&w);
}
