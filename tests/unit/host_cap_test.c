/* host_cap_test.c: the capability handle table (every misuse has its own
   code) and signed capability requests. */
#include "crypto/crypto.h"
#include "host/cap.h"
#include "test.h"

static cap_handle spend(uint64_t amount)
{
    cap_handle h;
    memset(&h, 0, sizeof h);
    h.kind = CAP_KIND_LEDGER_SPEND;
    h.amount = amount;
    h.resource_len = 3;
    memcpy(h.resource, "abc", 3);
    return h;
}

static cap_table t;

TEST(mint_and_get)
{
    cap_table_init(&t);
    int32_t a, b;
    cap_handle h = spend(100);
    CHECK_EQ(cap_mint(&t, &h, &a), KP_OK);
    CHECK_EQ(cap_mint(&t, &h, &b), KP_OK);
    CHECK(a > 0 && b > 0 && a != b);
    const cap_handle *g;
    CHECK_EQ(cap_get(&t, a, CAP_KIND_LEDGER_SPEND, &g), KP_OK);
    CHECK_EQ(g->amount, 100);
    CHECK_EQ(cap_get(&t, a, CAP_KIND_NONE, &g), KP_OK);
    CHECK_EQ(cap_get(&t, a, CAP_KIND_EMIT, &g), KP_E_CAP_WRONG_KIND);
}

TEST(forged_numbers)
{
    cap_table_init(&t);
    int32_t a;
    cap_handle h = spend(5);
    CHECK_EQ(cap_mint(&t, &h, &a), KP_OK);
    const cap_handle *g;
    CHECK_EQ(cap_get(&t, 0, CAP_KIND_NONE, &g), KP_E_CAP_FORGED);
    CHECK_EQ(cap_get(&t, -1, CAP_KIND_NONE, &g), KP_E_CAP_FORGED);
    CHECK_EQ(cap_get(&t, a + 1, CAP_KIND_NONE, &g), KP_E_CAP_FORGED); /* slot never issued */
    CHECK_EQ(cap_get(&t, a + (1 << CAP_SLOT_BITS), CAP_KIND_NONE, &g), KP_E_CAP_FORGED); /* future gen */
    CHECK_EQ(cap_get(&t, a & ((1 << CAP_SLOT_BITS) - 1), CAP_KIND_NONE, &g), KP_E_CAP_FORGED); /* gen 0 */
    CHECK_EQ(cap_get(&t, INT32_MAX, CAP_KIND_NONE, &g), KP_E_CAP_FORGED);
    CHECK_EQ(cap_drop(&t, 12345), KP_E_CAP_FORGED);
}

TEST(consume_leaves_residual_under_a_new_number)
{
    cap_table_init(&t);
    int32_t a, r, r2;
    cap_handle h = spend(100);
    CHECK_EQ(cap_mint(&t, &h, &a), KP_OK);
    CHECK_EQ(cap_consume(&t, a, CAP_KIND_LEDGER_SPEND, 90, &r), KP_OK);
    CHECK(r > 0 && r != a);
    const cap_handle *g;
    CHECK_EQ(cap_get(&t, r, CAP_KIND_LEDGER_SPEND, &g), KP_OK);
    CHECK_EQ(g->amount, 10);
    CHECK_MEM(g->resource, "abc", 3);
    /* the spent number is stale: a second spend of it fails */
    CHECK_EQ(cap_consume(&t, a, CAP_KIND_LEDGER_SPEND, 1, &r2), KP_E_CAP_STALE);
    CHECK_EQ(cap_consume(&t, r, CAP_KIND_LEDGER_SPEND, 11, &r2), KP_E_CAP_EXHAUSTED);
    CHECK_EQ(cap_consume(&t, r, CAP_KIND_EMIT, 1, &r2), KP_E_CAP_WRONG_KIND);
    CHECK_EQ(cap_consume(&t, r, CAP_KIND_LEDGER_SPEND, 0, &r2), KP_E_ARG);
    /* exhausted and wrong-kind attempts changed nothing */
    CHECK_EQ(cap_consume(&t, r, CAP_KIND_LEDGER_SPEND, 10, &r2), KP_OK);
    CHECK_EQ(r2, 0); /* nothing left: no residual */
    CHECK_EQ(cap_get(&t, r, CAP_KIND_NONE, &g), KP_E_CAP_STALE);
    CHECK_EQ(cap_list(&t, NULL, 0), 0);
}

TEST(split_and_attenuate)
{
    cap_table_init(&t);
    int32_t a, b, c;
    cap_handle h = spend(100);
    CHECK_EQ(cap_mint(&t, &h, &a), KP_OK);
    CHECK_EQ(cap_split(&t, a, 10, &b), KP_OK);
    const cap_handle *g;
    CHECK_EQ(cap_get(&t, a, CAP_KIND_NONE, &g), KP_OK);
    CHECK_EQ(g->amount, 90);
    CHECK_EQ(cap_get(&t, b, CAP_KIND_NONE, &g), KP_OK);
    CHECK_EQ(g->amount, 10);
    CHECK_EQ(cap_split(&t, b, 11, &c), KP_E_CAP_EXHAUSTED);
    CHECK_EQ(cap_split(&t, b, 0, &c), KP_E_ARG);
    CHECK_EQ(cap_split(&t, b, 10, &c), KP_OK); /* all of it: b is used up */
    CHECK_EQ(cap_get(&t, b, CAP_KIND_NONE, &g), KP_E_CAP_STALE);
    /* unlimited handles stay unlimited and can be cut into limited ones */
    cap_handle u = {CAP_KIND_LIFECYCLE, CAP_UNLIMITED, 0, {0}};
    int32_t ua, ub, ur;
    CHECK_EQ(cap_mint(&t, &u, &ua), KP_OK);
    CHECK_EQ(cap_split(&t, ua, 7, &ub), KP_OK);
    CHECK_EQ(cap_get(&t, ua, CAP_KIND_NONE, &g), KP_OK);
    CHECK(g->amount == CAP_UNLIMITED);
    CHECK_EQ(cap_get(&t, ub, CAP_KIND_NONE, &g), KP_OK);
    CHECK_EQ(g->amount, 7);
    CHECK_EQ(cap_consume(&t, ua, CAP_KIND_LIFECYCLE, 1000, &ur), KP_OK);
    CHECK(ur > 0);
    CHECK_EQ(cap_get(&t, ur, CAP_KIND_NONE, &g), KP_OK);
    CHECK(g->amount == CAP_UNLIMITED);
}

TEST(drop_double_drop_and_stale)
{
    cap_table_init(&t);
    int32_t a, b, r;
    cap_handle h = spend(3);
    CHECK_EQ(cap_mint(&t, &h, &a), KP_OK);
    CHECK_EQ(cap_mint(&t, &h, &b), KP_OK);
    CHECK_EQ(cap_drop(&t, a), KP_OK);
    CHECK_EQ(cap_drop(&t, a), KP_E_CAP_DOUBLE_DROP);
    const cap_handle *g;
    CHECK_EQ(cap_get(&t, a, CAP_KIND_NONE, &g), KP_E_CAP_STALE);
    CHECK_EQ(cap_consume(&t, b, CAP_KIND_LEDGER_SPEND, 1, &r), KP_OK);
    /* dropping a consumed handle is not a double drop: it is stale */
    CHECK_EQ(cap_drop(&t, b), KP_E_CAP_STALE);
    cap_handle moved;
    CHECK_EQ(cap_take(&t, r, &moved), KP_OK);
    CHECK_EQ(moved.amount, 2);
    CHECK_EQ(cap_drop(&t, r), KP_E_CAP_STALE);
}

TEST(table_fills_and_reuses_slots_with_new_generations)
{
    cap_table_init(&t);
    int32_t hs[CAP_MAX_SLOTS], extra;
    cap_handle h = spend(1);
    for (int i = 0; i < CAP_MAX_SLOTS; i++) CHECK_EQ(cap_mint(&t, &h, &hs[i]), KP_OK);
    CHECK_EQ(cap_mint(&t, &h, &extra), KP_E_CAP_TABLE_FULL);
    CHECK_EQ(cap_list(&t, NULL, 0), CAP_MAX_SLOTS);
    CHECK_EQ(cap_drop(&t, hs[17]), KP_OK);
    CHECK_EQ(cap_mint(&t, &h, &extra), KP_OK);
    /* same slot, next generation: the old number is stale, not live */
    CHECK_EQ(extra & ((1 << CAP_SLOT_BITS) - 1), hs[17] & ((1 << CAP_SLOT_BITS) - 1));
    CHECK(extra != hs[17]);
    const cap_handle *g;
    CHECK_EQ(cap_get(&t, hs[17], CAP_KIND_NONE, &g), KP_E_CAP_STALE);
    CHECK_EQ(cap_get(&t, extra, CAP_KIND_NONE, &g), KP_OK);
    /* a full table refuses a residual and leaves the original intact */
    int32_t r;
    cap_handle two = spend(2);
    cap_table_init(&t);
    for (int i = 0; i < CAP_MAX_SLOTS; i++) CHECK_EQ(cap_mint(&t, &two, &hs[i]), KP_OK);
    CHECK_EQ(cap_consume(&t, hs[0], CAP_KIND_LEDGER_SPEND, 1, &r), KP_OK); /* reuses its own slot */
    CHECK_EQ(cap_split(&t, r, 1, &extra), KP_E_CAP_TABLE_FULL);
    CHECK_EQ(cap_get(&t, r, CAP_KIND_NONE, &g), KP_OK);
    CHECK_EQ(g->amount, 1);
}

TEST(list_and_find)
{
    cap_table_init(&t);
    int32_t a, b, c, out[4];
    cap_handle h = spend(5), e = {CAP_KIND_EMIT, 2, 0, {0}};
    CHECK_EQ(cap_mint(&t, &h, &a), KP_OK);
    CHECK_EQ(cap_mint(&t, &e, &b), KP_OK);
    CHECK_EQ(cap_mint(&t, &h, &c), KP_OK);
    CHECK_EQ(cap_drop(&t, a), KP_OK);
    CHECK_EQ(cap_list(&t, out, 4), 2);
    CHECK_EQ(out[0], b);
    CHECK_EQ(out[1], c);
    CHECK_EQ(cap_list(&t, out, 1), 2); /* the count is whole even when cut */
    CHECK_EQ(cap_find(&t, CAP_KIND_LEDGER_SPEND, (const uint8_t *)"abc", 3), c);
    CHECK_EQ(cap_find(&t, CAP_KIND_LEDGER_SPEND, (const uint8_t *)"abd", 3), 0);
    CHECK_EQ(cap_find(&t, CAP_KIND_EMIT, NULL, 0), b);
    CHECK_EQ(cap_find(&t, CAP_KIND_LIFECYCLE, NULL, 0), 0);
    CHECK_STR(cap_kind_name(CAP_KIND_LEDGER_SPEND), "ledger.spend");
    CHECK_EQ(cap_kind_parse("emit", 4), CAP_KIND_EMIT);
    CHECK_EQ(cap_kind_parse("emi", 3), CAP_KIND_NONE);
}

/* ---- signed requests ---------------------------------------------------------- */

static uint8_t pk[32], sk[64];

static void keys(void)
{
    uint8_t seed[32];
    memset(seed, 7, sizeof seed);
    cry_ed25519_from_seed(pk, sk, seed);
}

static void sign(const buf *payload, uint8_t sig[64])
{
    buf m = {0};
    buf_append(&m, CAP_REQUEST_CONTEXT, strlen(CAP_REQUEST_CONTEXT));
    buf_append(&m, payload->p, payload->len);
    cry_ed25519_sign(sig, m.p, m.len, sk);
    buf_free(&m);
}

static cap_request sample(void)
{
    cap_request q;
    memset(&q, 0, sizeof q);
    memset(q.module, 0xab, 32);
    q.kind = CAP_KIND_LEDGER_SPEND;
    q.amount = 100;
    q.nonce_len = 16;
    memset(q.nonce, 0x42, 16);
    return q;
}

TEST(request_round_trip)
{
    keys();
    cap_request q = sample(), got;
    buf b = {0};
    uint8_t sig[64];
    kp_error err;
    CHECK_EQ(cap_request_encode(&q, &b, &err), KP_OK);
    sign(&b, sig);
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err), KP_OK);
    CHECK_EQ(got.kind, CAP_KIND_LEDGER_SPEND);
    CHECK_EQ(got.amount, 100);
    CHECK_MEM(got.module, q.module, 32);
    CHECK_EQ(got.nonce_len, 16);
    /* any flipped bit of payload or signature is refused */
    for (size_t i = 0; i < b.len; i++) {
        b.p[i] ^= 0x01;
        int rc = cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err);
        CHECK_MSG(rc == KP_E_CAP_REQUEST_SIG || rc == KP_E_CAP_REQUEST_MALFORMED, "byte %zu: %d", i, rc);
        b.p[i] ^= 0x01;
    }
    sig[5] ^= 0x10;
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err),
             KP_E_CAP_REQUEST_SIG);
    sig[5] ^= 0x10;
    /* another author's key */
    uint8_t pk2[32];
    memcpy(pk2, pk, 32);
    pk2[0] ^= 1;
    CHECK(cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk2, 32, &got, &err) != KP_OK);
    /* a signature without the context prefix is not a request signature */
    uint8_t raw[64];
    cry_ed25519_sign(raw, b.p, b.len, sk);
    CHECK_EQ(cap_request_open(b.p, b.len, raw, 64, KP_ALG_ED25519, pk, 32, &got, &err),
             KP_E_CAP_REQUEST_SIG);
    buf_free(&b);
}

TEST(request_ecdsa_author)
{
    uint8_t esk[32], epk[33], sig[64];
    kp_error err;
    CHECK_EQ(cry_ecdsa_keygen(KP_ALG_P256, esk, epk, &err), KP_OK);
    cap_request q = sample(), got;
    buf b = {0}, m = {0};
    CHECK_EQ(cap_request_encode(&q, &b, &err), KP_OK);
    buf_append(&m, CAP_REQUEST_CONTEXT, strlen(CAP_REQUEST_CONTEXT));
    buf_append(&m, b.p, b.len);
    CHECK_EQ(cry_ecdsa_sign(KP_ALG_P256, sig, m.p, m.len, esk, &err), KP_OK);
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_P256, epk, 33, &got, &err), KP_OK);
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_SECP256K1, epk, 33, &got, &err) != KP_OK, 1);
    buf_free(&b);
    buf_free(&m);
}

TEST(request_malformed_fields)
{
    keys();
    kp_error err;
    cap_request got;
    uint8_t sig[64] = {0};
    /* each request breaks one rule; parsing fails before the signature */
    cap_request q = sample();
    buf b = {0};
    q.nonce_len = 4; /* too short */
    CHECK_EQ(cap_request_encode(&q, &b, &err), KP_OK);
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err),
             KP_E_CAP_REQUEST_MALFORMED);
    CHECK_STR(err.field, "nonce");
    q = sample();
    q.amount = CAP_UNLIMITED; /* ledger.spend needs an amount */
    b.len = 0;
    CHECK_EQ(cap_request_encode(&q, &b, &err), KP_OK);
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err),
             KP_E_CAP_REQUEST_MALFORMED);
    CHECK_STR(err.field, "amount");
    q = sample();
    q.kind = CAP_KIND_EMIT; /* not requestable */
    b.len = 0;
    CHECK_EQ(cap_request_encode(&q, &b, &err), KP_OK);
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err),
             KP_E_CAP_REQUEST_MALFORMED);
    CHECK_STR(err.field, "kind");
    q = sample();
    q.kind = CAP_KIND_LIFECYCLE; /* lifecycle needs a 32-byte module and no amount */
    b.len = 0;
    CHECK_EQ(cap_request_encode(&q, &b, &err), KP_OK);
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err),
             KP_E_CAP_REQUEST_MALFORMED);
    CHECK_STR(err.field, "resource");
    /* not CBOR, trailing bytes */
    CHECK_EQ(cap_request_open((const uint8_t *)"\xff", 1, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err),
             KP_E_CAP_REQUEST_MALFORMED);
    q = sample();
    b.len = 0;
    CHECK_EQ(cap_request_encode(&q, &b, &err), KP_OK);
    buf_putc(&b, 0);
    CHECK_EQ(cap_request_open(b.p, b.len, sig, 64, KP_ALG_ED25519, pk, 32, &got, &err),
             KP_E_CAP_REQUEST_MALFORMED);
    buf_free(&b);
}
