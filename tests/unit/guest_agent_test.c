/*
 * guest_agent_test.c: guest/agent.c through the host: a goal capsule makes
 * the agent emit follow-up capsules through its emit handle, as many as
 * the policy's count allows, stamped with the clock and random oracles.
 */
#include "hosttest.h"
#include "test.h"

static ht_world w;
static ht_key U;
static uint8_t *wasm;
static size_t wlen;

static void goal(buf *b, const char *g, uint64_t steps)
{
    cbor_enc e;
    b->len = 0;
    cbor_enc_init(&e, b);
    cbor_begin_map(&e);
    cbor_put_str(&e, "goal");
    cbor_put_str(&e, g);
    cbor_put_str(&e, "steps");
    cbor_put_uint(&e, steps);
    cbor_end(&e);
    if (cbor_enc_finish(&e, NULL)) abort();
}

static void setup(int count)
{
    ht_world_init(&w);
    U = ht_key_make(51);
    if (!wasm) wasm = ht_guest("agent", &wlen);
    ht_policy(&w, "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"agents\", \"module\": \"*\", "
                  "\"type\": \"agent.goal\", \"capabilities\": [\"capsule.read\", \"clock\", "
                  "\"random\", {\"name\": \"emit\", \"count\": %d}, \"handle\", \"result.submit\", "
                  "\"log\"]}]}", count);
}

TEST(emits_tasks_within_its_budget)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(2);
    CHECK(wasm != NULL);
    buf b = {0};
    goal(&b, "tidy the docs", 3);
    host_capsule c = ht_capsule("agent.goal", &U, b.p, b.len);
    host_run *r;
    kp_error err;
    CHECK_EQ(ht_run(&w, wasm, wlen, &c, 0, &r, &err), KP_OK);
    CHECK_EQ(host_run_emitted_count(r), 2);
    for (size_t i = 0; i < 2; i++) {
        const host_emitted *e = host_run_emitted(r, i);
        CHECK_STR(e->type, "agent.task");
        cbor_item m, v;
        CHECK_EQ(cbor_parse(e->body, e->body_len, &m, NULL), KP_OK); /* canonical CBOR */
        CHECK(cbor_map_find_text(&m, "goal", &v) && cbor_text_eq(&v, "tidy the docs"));
        CHECK(cbor_map_find_text(&m, "step", &v) && v.val == i + 1);
        CHECK(cbor_map_find_text(&m, "nonce", &v) && v.len == 8);
        CHECK(cbor_map_find_text(&m, "at", &v) && v.val > 1600000000ull * 1000000000ull);
    }
    size_t n;
    const uint8_t *log = host_run_logs(r, &n);
    CHECK(n > 0 && strstr((const char *)log, "budget") != NULL);
    int sub;
    const uint8_t *res = host_run_result(r, &n, &sub);
    cbor_item m, v;
    CHECK_EQ(cbor_parse(res, n, &m, NULL), KP_OK);
    CHECK(cbor_map_find_text(&m, "emitted", &v) && v.val == 2);
    host_run_free(r);
    buf_free(&b);
    ht_world_free(&w);
}

TEST(no_emit_grant_no_link)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(2);
    buf b = {0};
    goal(&b, "x", 1);
    host_capsule c = ht_capsule("post", &U, b.p, b.len); /* the grant is for agent.goal */
    kp_error err;
    CHECK_EQ(ht_run(&w, wasm, wlen, &c, 0, NULL, &err), KP_E_CAP_NOT_GRANTED);
    buf_free(&b);
    ht_world_free(&w);
}
