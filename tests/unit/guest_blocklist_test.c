/*
 * guest_blocklist_test.c: guest/blocklist.c through the host: its owner's
 * signed updates change the list; comments by blocked authors or with
 * blocked terms are rejected; anyone else's updates are refused.
 */
#include "hosttest.h"
#include "test.h"

static ht_world w;
static ht_key O, X, Y;
static uint8_t *wasm;
static size_t wlen;

static void setup(void)
{
    ht_world_init(&w);
    O = ht_key_make(31);
    X = ht_key_make(32);
    Y = ht_key_make(33);
    if (!wasm) wasm = ht_guest("blocklist", &wlen);
    host_mem_add_module(w.mem, wasm, wlen, KP_ALG_ED25519, O.pk, 32, NULL, NULL);
    ht_policy(&w, "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"moderation\", \"module\": \"*\", "
                  "\"capabilities\": [\"capsule.read\", \"storage\", \"module.read\", "
                  "\"result.submit\"]}]}");
}

static int run(const char *type, const ht_key *by, const void *body, size_t n, const char **why)
{
    static char reason[256];
    host_capsule c = ht_capsule(type, by, body, n);
    host_run *r;
    kp_error err;
    if (ht_run(&w, wasm, wlen, &c, 1, &r, &err)) {
        printf("# %s\n", err.msg);
        return -1;
    }
    const char *rs;
    int v = host_run_verdict(r, &rs);
    snprintf(reason, sizeof reason, "%s", rs);
    *why = reason;
    host_run_free(r);
    return v;
}

/* {"block": [k...], "terms": [t...]} or the un- forms. */
static void update_body(buf *b, const char *keys_name, const ht_key *k, const char *terms_name,
                        const char *term)
{
    cbor_enc e;
    b->len = 0;
    cbor_enc_init(&e, b);
    cbor_begin_map(&e);
    if (k) {
        cbor_put_str(&e, keys_name);
        cbor_begin_array(&e);
        cbor_put_bytes(&e, k->pk, 32);
        cbor_end(&e);
    }
    if (term) {
        cbor_put_str(&e, terms_name);
        cbor_begin_array(&e);
        cbor_put_str(&e, term);
        cbor_end(&e);
    }
    cbor_end(&e);
    if (cbor_enc_finish(&e, NULL)) abort();
}

TEST(blocked_authors_and_terms_are_rejected)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    CHECK(wasm != NULL);
    const char *why;
    buf b = {0};
    CHECK_EQ(run("comment", &X, "hello", 5, &why), HOST_VERDICT_ACCEPT);
    update_body(&b, "block", &X, "terms", "Spam");
    CHECK_EQ(run("blocklist.update", &O, b.p, b.len, &why), HOST_VERDICT_ACCEPT);
    CHECK_EQ(run("comment", &X, "hello", 5, &why), HOST_VERDICT_REJECT);
    CHECK_STR(why, "the author is blocked");
    CHECK_EQ(run("comment", &Y, "buy sPaM now", 12, &why), HOST_VERDICT_REJECT);
    CHECK_STR(why, "the text contains a blocked term");
    CHECK_EQ(run("comment", &Y, "buy spa m", 9, &why), HOST_VERDICT_ACCEPT);
    CHECK_EQ(run("post", &Y, "hello", 5, &why), HOST_VERDICT_ACCEPT);
    /* only the owner updates the list */
    update_body(&b, "unblock", &X, NULL, NULL);
    CHECK_EQ(run("blocklist.update", &Y, b.p, b.len, &why), HOST_VERDICT_REJECT);
    CHECK_EQ(run("comment", &X, "hello", 5, &why), HOST_VERDICT_REJECT);
    CHECK_EQ(run("blocklist.update", &O, b.p, b.len, &why), HOST_VERDICT_ACCEPT);
    CHECK_EQ(run("comment", &X, "hello", 5, &why), HOST_VERDICT_ACCEPT);
    update_body(&b, NULL, NULL, "unterms", "SPAM");
    CHECK_EQ(run("blocklist.update", &O, b.p, b.len, &why), HOST_VERDICT_ACCEPT);
    CHECK_EQ(run("comment", &Y, "buy spam now", 12, &why), HOST_VERDICT_ACCEPT);
    /* a malformed update is rejected and changes nothing */
    CHECK_EQ(run("blocklist.update", &O, "\x81\x01", 2, &why), HOST_VERDICT_REJECT);
    buf_free(&b);
    ht_world_free(&w);
}
