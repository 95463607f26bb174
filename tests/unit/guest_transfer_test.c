/*
 * guest_transfer_test.c: guest/transfer.c through the host: a transfer
 * spends a handle minted from the sender's signed request; the residual
 * is computed; an overdraft is refused; the same request presented twice
 * (a double spend) is refused before the module runs. The same through a
 * request written in the capsule's own signed "caps".
 */
#include "hosttest.h"
#include "test.h"

static ht_world w;
static ht_key alice, bob, carol;
static uint8_t *wasm;
static size_t wlen;
static uint8_t mid[32];

static void setup(void)
{
    ht_world_init(&w);
    alice = ht_key_make(41);
    bob = ht_key_make(42);
    carol = ht_key_make(43);
    if (!wasm) wasm = ht_guest("transfer", &wlen);
    ht_module_id(wasm, wlen, mid, NULL);
    host_mem_credit(w.mem, alice.pk, 32, 100, NULL);
    ht_policy(&w, "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"payments\", \"module\": \"*\", "
                  "\"type\": \"transfer\", \"capabilities\": [\"capsule.read\", \"ledger\", "
                  "\"handle\", \"result.submit\"]}]}");
}

static void body(buf *b, const ht_key *to, uint64_t amount)
{
    cbor_enc e;
    b->len = 0;
    cbor_enc_init(&e, b);
    cbor_begin_map(&e);
    cbor_put_str(&e, "to");
    cbor_put_bytes(&e, to->pk, 32);
    cbor_put_str(&e, "amount");
    cbor_put_uint(&e, amount);
    cbor_end(&e);
    if (cbor_enc_finish(&e, NULL)) abort();
}

/* One transfer capsule by from, carrying req (may be NULL). */
static int transfer(const ht_key *from, const ht_key *to, uint64_t amount, ht_request *req,
                    host_run **out, kp_error *err)
{
    buf b = {0};
    body(&b, to, amount);
    host_capsule c = ht_capsule("transfer", from, b.p, b.len);
    host_request rs[1];
    if (req) {
        rs[0] = req->req;
        c.requests = rs;
        c.nrequests = 1;
    }
    int rc = ht_run(&w, wasm, wlen, &c, 1, out, err);
    buf_free(&b);
    return rc;
}

static int64_t result_field(host_run *r, const char *key)
{
    size_t n;
    int sub;
    const uint8_t *p = host_run_result(r, &n, &sub);
    cbor_item m, v;
    int64_t x = -1;
    if (!sub || cbor_parse(p, n, &m, NULL) || !cbor_map_find_text(&m, key, &v)) return -999;
    cbor_get_i64(&v, &x, key, NULL);
    return x;
}

TEST(transfer_computes_the_residual)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    CHECK(wasm != NULL);
    ht_request rq;
    ht_request_make(&rq, &alice, mid, CAP_KIND_LEDGER_SPEND, 100, NULL, 0, 1);
    host_run *r;
    kp_error err;
    CHECK_EQ(transfer(&alice, &bob, 90, &rq, &r, &err), KP_OK);
    const char *why;
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_ACCEPT);
    CHECK_EQ(result_field(r, "residual"), 10); /* 100 allowed, 90 spent */
    CHECK_EQ(result_field(r, "balance"), 10);
    host_run_free(r);
    CHECK_EQ(ht_balance(&w, alice.pk, 32), 10);
    CHECK_EQ(ht_balance(&w, bob.pk, 32), 90);
    CHECK_EQ(host_mem_ledger_count(w.mem), 1);
    ht_request_free(&rq);
    ht_world_free(&w);
}

TEST(double_spend_is_refused)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    ht_request rq;
    ht_request_make(&rq, &alice, mid, CAP_KIND_LEDGER_SPEND, 50, NULL, 0, 2);
    host_run *r;
    kp_error err;
    CHECK_EQ(transfer(&alice, &bob, 50, &rq, &r, &err), KP_OK);
    host_run_free(r);
    /* the same signed request again, in a new capsule to someone else */
    CHECK_EQ(transfer(&alice, &carol, 50, &rq, &r, &err), KP_E_CAP_REQUEST_REPLAYED);
    CHECK_EQ(ht_balance(&w, alice.pk, 32), 50);
    CHECK_EQ(ht_balance(&w, carol.pk, 32), 0);
    ht_request_free(&rq);
    ht_world_free(&w);
}

TEST(overdraft_is_refused)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    ht_request rq;
    ht_request_make(&rq, &alice, mid, CAP_KIND_LEDGER_SPEND, 500, NULL, 0, 3);
    host_run *r;
    kp_error err;
    CHECK_EQ(transfer(&alice, &bob, 150, &rq, &r, &err), KP_OK); /* alice has 100 */
    const char *why;
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_REJECT);
    CHECK_STR(why, "insufficient balance");
    host_run_free(r);
    CHECK_EQ(ht_balance(&w, alice.pk, 32), 100);
    CHECK_EQ(ht_balance(&w, bob.pk, 32), 0);
    CHECK_EQ(host_mem_ledger_count(w.mem), 0);
    ht_request_free(&rq);
    ht_world_free(&w);
}

TEST(no_request_no_spending)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    host_run *r;
    kp_error err;
    CHECK_EQ(transfer(&alice, &bob, 10, NULL, &r, &err), KP_OK);
    const char *why;
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_REJECT);
    CHECK(strstr(why, "no spending authority") != NULL);
    host_run_free(r);
    /* bob's request does not let anyone spend alice's money: it names
       bob's own account, and the transfer is alice's capsule */
    ht_request rq;
    ht_request_make(&rq, &bob, mid, CAP_KIND_LEDGER_SPEND, 10, NULL, 0, 4);
    CHECK_EQ(transfer(&alice, &bob, 10, &rq, &r, &err), KP_E_CAP_REQUEST_SIG);
    /* more than the request allows: the module refuses before spending */
    ht_request_free(&rq);
    ht_request_make(&rq, &alice, mid, CAP_KIND_LEDGER_SPEND, 10, NULL, 0, 5);
    CHECK_EQ(transfer(&alice, &bob, 20, &rq, &r, &err), KP_OK);
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_REJECT);
    host_run_free(r);
    CHECK_EQ(ht_balance(&w, alice.pk, 32), 100);
    ht_request_free(&rq);
    ht_world_free(&w);
}

/* A transfer capsule whose spending request is in its own "caps". */
static int transfer_caps(const ht_key *from, const ht_key *to, uint64_t amount,
                         const kp_capsule_cap *caps, size_t ncaps, host_run **out, kp_error *err)
{
    buf b = {0};
    body(&b, to, amount);
    host_capsule c = ht_capsule("transfer", from, b.p, b.len);
    c.caps = caps;
    c.ncaps = ncaps;
    int rc = ht_run(&w, wasm, wlen, &c, 1, out, err);
    buf_free(&b);
    return rc;
}

TEST(capsule_caps_mint_a_spend_handle_once)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    kp_capsule_cap k = {mid, "ledger.spend", 12, 60, NULL, 0};
    host_run *r;
    kp_error err;
    CHECK_EQ(transfer_caps(&alice, &bob, 40, &k, 1, &r, &err), KP_OK);
    const char *why;
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_ACCEPT);
    CHECK_EQ(result_field(r, "residual"), 20);
    host_run_free(r);
    CHECK_EQ(ht_balance(&w, alice.pk, 32), 60);
    CHECK_EQ(ht_balance(&w, bob.pk, 32), 40);
    /* the same capsule again (same id, so the same nonce): refused */
    CHECK_EQ(transfer_caps(&alice, &bob, 40, &k, 1, &r, &err), KP_E_CAP_REQUEST_REPLAYED);
    CHECK_EQ(ht_balance(&w, alice.pk, 32), 60);
    /* more than the request allows: the module refuses; nothing moves */
    CHECK_EQ(transfer_caps(&alice, &carol, 70, &k, 1, &r, &err), KP_OK);
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_REJECT);
    CHECK(strstr(why, "more than the author's request allows") != NULL);
    host_run_free(r);
    CHECK_EQ(ht_balance(&w, carol.pk, 32), 0);
    ht_world_free(&w);
}

TEST(capsule_caps_are_checked)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    uint8_t other[32];
    memset(other, 7, sizeof other);
    host_run *r = NULL;
    kp_error err;
    kp_capsule_cap k = {other, "ledger.spend", 12, 10, NULL, 0};
    CHECK_EQ(transfer_caps(&alice, &bob, 10, &k, 1, &r, &err), KP_E_CAP_REQUEST_MODULE);
    CHECK(strstr(err.msg, "caps[0]") != NULL);
    uint8_t acct[32] = {1};
    kp_capsule_cap withres = {mid, "ledger.spend", 12, 10, acct, 32};
    CHECK_EQ(transfer_caps(&alice, &bob, 10, &withres, 1, &r, &err), KP_E_CAP_REQUEST_DENIED);
    kp_capsule_cap emit = {mid, "emit", 4, 10, NULL, 0};
    CHECK_EQ(transfer_caps(&alice, &bob, 10, &emit, 1, &r, &err), KP_E_CAP_REQUEST_DENIED);
    CHECK(strstr(err.msg, "\"emit\"") != NULL);
    CHECK_EQ(ht_balance(&w, alice.pk, 32), 100);
    ht_world_free(&w);
}
