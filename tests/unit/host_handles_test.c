/*
 * host_handles_test.c: capability handles as a guest sees them, through
 * the fixed guest: every misuse traps with its own code (forged, stale,
 * double drop, exhausted, wrong kind), amounts split and leave residuals,
 * an overdraft is an error value and not a trap, handles passed in invoke
 * move to the callee; and guest pointers outside memory trap.
 */
#include "fixedguest.h"
#include "hosttest.h"
#include "test.h"

static ht_world w;
static ht_key A, B;
static uint8_t *wasm;
static size_t wlen;
static uint8_t mid[32];
static char midhex[65];
static host_capsule cap;

/* Handles minted at instantiation: emit (3) then ledger.spend (100 of A). */
#define H_EMIT 257
#define H_SPEND 258

static void setup(uint64_t credit)
{
    ht_world_init(&w);
    A = ht_key_make(1);
    B = ht_key_make(2);
    if (!wasm) wasm = fg_build(&wlen);
    ht_module_id(wasm, wlen, mid, midhex);
    host_mem_add_module(w.mem, wasm, wlen, KP_ALG_ED25519, A.pk, 32, NULL, NULL);
    buf all = {0};
    for (int k = 0; k < POL_NCAPS; k++)
        if (k != POL_CAP_EMIT && k != POL_CAP_LEDGER)
            buf_printf(&all, "\"%s\", ", pol_cap_name(k));
    buf_putc(&all, 0);
    ht_policy(&w,
              "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"all\", \"module\": \"*\", "
              "\"capabilities\": [%s{\"name\": \"emit\", \"count\": 3}, {\"name\": \"ledger\", "
              "\"budget\": 100, \"account\": \"%s\"}]}]}",
              (const char *)all.p, A.hex);
    buf_free(&all);
    if (credit) host_mem_credit(w.mem, A.pk, 32, credit, NULL);
    cap = ht_capsule("post", &A, "body", 4);
}

static host_run *start(void)
{
    host_run *r = NULL;
    kp_error err;
    int rc = host_run_new(&w.cfg, wasm, wlen, &cap, &r, &err);
    if (rc) printf("# host_run_new: %s\n", err.msg);
    return r;
}

/* Calls call_<fn>(args...) with i32/i64 arguments as the function wants. */
static int call(host_run *r, const char *fn, int64_t *ret, int n, ...)
{
    kw_val a[12];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) a[i].i64 = (uint64_t)va_arg(ap, int64_t);
    va_end(ap);
    for (size_t i = 0; i < host_nfns; i++)
        if (strcmp(host_fns[i].name, fn) == 0)
            for (int k = 0; k < n; k++)
                if (host_fns[i].params[k] == 'i') a[k].raw &= 0xffffffffu;
    kw_error kerr;
    int64_t dummy;
    int rc = fg_call(r, fn, a, (uint32_t)n, ret ? ret : &dummy, &kerr);
    return rc;
}

#define I(x) ((int64_t)(x))

static void write_key(host_run *r, uint32_t off, const uint8_t pk[32])
{
    kw_memory *m = kw_instance_memory(host_run_instance(r));
    memcpy(kw_memory_slice(m, off, 32), pk, 32);
}

TEST(handles_minted_from_the_grant)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(1000);
    host_run *r = start();
    CHECK(r != NULL);
    int64_t v;
    CHECK_EQ(call(r, "handle_list", &v, 2, I(1024), I(8)), KW_OK);
    CHECK_EQ(v, 2);
    CHECK_EQ(call(r, "handle_amount", &v, 1, I(H_EMIT)), KW_OK);
    CHECK_EQ(v, 3);
    CHECK_EQ(call(r, "handle_amount", &v, 1, I(H_SPEND)), KW_OK);
    CHECK_EQ(v, 100);
    CHECK_EQ(call(r, "handle_resource", &v, 3, I(1024), I(0), I(0)), KP_E_CAP_FORGED); /* 1024 is no handle */
    host_run_free(r);
    /* the mints are on record */
    r = start();
    const kp_transcript *t = host_run_transcript(r);
    CHECK_EQ(kp_transcript_count(t), 2);
    const uint8_t *e;
    size_t len;
    CHECK_EQ(kp_transcript_entry(t, 1, &e, &len), KP_OK);
    cbor_item m, x, y;
    CHECK_EQ(cbor_parse(e, len, &m, NULL), KP_OK);
    CHECK(cbor_map_find_text(&m, "fn", &x) && cbor_text_eq(&x, "mint"));
    CHECK(cbor_map_find_text(&m, "mint", &x));
    CHECK(cbor_map_find_text(&x, "source", &y) && cbor_text_eq(&y, "policy:all"));
    CHECK(cbor_map_find_text(&x, "amount", &y) && y.val == 100);
    host_run_free(r);
    ht_world_free(&w);
}

TEST(each_misuse_traps_with_its_code)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(1000);
    struct {
        const char *what;
        int code;
    } expect[] = {
        {"forged", KP_E_CAP_FORGED},       {"forged zero", KP_E_CAP_FORGED},
        {"stale", KP_E_CAP_STALE},         {"double drop", KP_E_CAP_DOUBLE_DROP},
        {"exhausted", KP_E_CAP_EXHAUSTED}, {"wrong kind", KP_E_CAP_WRONG_KIND},
        {"double spend", KP_E_CAP_STALE},  {"split too much", KP_E_CAP_EXHAUSTED},
    };
    for (size_t k = 0; k < sizeof expect / sizeof expect[0]; k++) {
        host_run *r = start();
        CHECK(r != NULL);
        write_key(r, 1024, B.pk);
        int64_t v;
        int rc = KW_OK;
        switch (k) {
        case 0: rc = call(r, "handle_drop", &v, 1, I(H_SPEND + 256)); break; /* gen 2 never issued */
        case 1: rc = call(r, "handle_amount", &v, 1, I(0)); break;
        case 2:
            CHECK_EQ(call(r, "emit_capsule", &v, 5, I(H_EMIT), I(512), I(5), I(512), I(3)), KW_OK);
            CHECK(v > 0); /* residual of 2 */
            rc = call(r, "emit_capsule", &v, 5, I(H_EMIT), I(512), I(5), I(512), I(3));
            break;
        case 3:
            CHECK_EQ(call(r, "handle_drop", &v, 1, I(H_EMIT)), KW_OK);
            rc = call(r, "handle_drop", &v, 1, I(H_EMIT));
            break;
        case 4: rc = call(r, "ledger_transfer", &v, 4, I(H_SPEND), I(1024), I(32), I(101)); break;
        case 5: rc = call(r, "ledger_transfer", &v, 4, I(H_EMIT), I(1024), I(32), I(5)); break;
        case 6:
            CHECK_EQ(call(r, "ledger_transfer", &v, 4, I(H_SPEND), I(1024), I(32), I(90)), KW_OK);
            rc = call(r, "ledger_transfer", &v, 4, I(H_SPEND), I(1024), I(32), I(10));
            break;
        case 7: rc = call(r, "handle_split", &v, 2, I(H_SPEND), I(101)); break;
        }
        CHECK_MSG(rc == expect[k].code, "%s: got %d", expect[k].what, rc);
        /* the trap is on record as the last call's status */
        const kp_transcript *t = host_run_transcript(r);
        const uint8_t *e;
        size_t len;
        cbor_item m, st;
        CHECK_EQ(kp_transcript_entry(t, kp_transcript_count(t) - 1, &e, &len), KP_OK);
        CHECK_EQ(cbor_parse(e, len, &m, NULL), KP_OK);
        CHECK(cbor_map_find_text(&m, "status", &st) && (int)st.val == expect[k].code);
        host_run_free(r);
    }
    ht_world_free(&w);
}

TEST(spend_leaves_a_residual_and_split_divides)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(1000);
    host_run *r = start();
    write_key(r, 1024, B.pk);
    int64_t res, v, part;
    CHECK_EQ(call(r, "ledger_transfer", &res, 4, I(H_SPEND), I(1024), I(32), I(90)), KW_OK);
    CHECK(res > 0 && res != H_SPEND);
    CHECK_EQ(call(r, "handle_amount", &v, 1, res), KW_OK);
    CHECK_EQ(v, 10); /* spending 90 of ledger.spend(100) leaves ledger.spend(10) */
    CHECK_EQ(call(r, "handle_split", &part, 2, res, I(4)), KW_OK);
    CHECK_EQ(call(r, "handle_amount", &v, 1, res), KW_OK);
    CHECK_EQ(v, 6);
    CHECK_EQ(call(r, "handle_amount", &v, 1, part), KW_OK);
    CHECK_EQ(v, 4);
    CHECK_EQ(call(r, "ledger_balance", &v, 2, I(1024), I(32)), KW_OK);
    CHECK_EQ(v, 90); /* the run sees its own pending transfer */
    host_run_free(r);
    ht_world_free(&w);
}

TEST(overdraft_is_an_error_value)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(50); /* the budget says 100, the balance only 50 */
    host_run *r = start();
    write_key(r, 1024, B.pk);
    int64_t v;
    CHECK_EQ(call(r, "ledger_transfer", &v, 4, I(H_SPEND), I(1024), I(32), I(80)), KW_OK);
    CHECK_EQ(v, -KP_E_LEDGER_OVERDRAFT);
    CHECK_EQ(call(r, "handle_amount", &v, 1, I(H_SPEND)), KW_OK);
    CHECK_EQ(v, 100); /* not consumed */
    CHECK_EQ(call(r, "ledger_transfer", &v, 4, I(H_SPEND), I(1024), I(32), I(50)), KW_OK);
    CHECK(v > 0);
    CHECK_EQ(call(r, "ledger_transfer", &v, 4, v, I(1024), I(32), I(1)), KW_OK);
    CHECK_EQ(v, -KP_E_LEDGER_OVERDRAFT); /* the pending transfer counts */
    host_run_free(r);
    ht_world_free(&w);
}

TEST(invoke_moves_handles_to_the_callee)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(1000);
    host_run *r = start();
    kw_memory *m = kw_instance_memory(host_run_instance(r));
    memcpy(kw_memory_slice(m, 1024, 32), mid, 32); /* the callee: the same module */
    memcpy(kw_memory_slice(m, 1100, 5), "count", 5);
    uint8_t hs[8] = {H_EMIT & 0xff, H_EMIT >> 8, 0, 0, H_SPEND & 0xff, H_SPEND >> 8, 0, 0};
    memcpy(kw_memory_slice(m, 1200, 8), hs, 8);
    int64_t v;
    CHECK_EQ(call(r, "invoke", &v, 9, I(1024), I(1100), I(5), I(0), I(0), I(1200), I(2), I(1300), I(4)),
             KW_OK);
    CHECK_EQ(v, 4);
    const uint8_t *out = kw_memory_slice(m, 1300, 4);
    /* the callee holds the two handles passed, and mints none of its own:
       its policy budget was minted once, to the caller */
    CHECK_EQ(out[0], 2);
    CHECK_EQ(call(r, "handle_list", &v, 2, I(2000), I(8)), KW_OK);
    CHECK_EQ(v, 0); /* the caller lost them */
    CHECK_EQ(call(r, "handle_amount", &v, 1, I(H_EMIT)), KP_E_CAP_STALE);
    host_run_free(r);
    /* passing a handle twice, or a forged one, traps before anything moves */
    r = start();
    m = kw_instance_memory(host_run_instance(r));
    memcpy(kw_memory_slice(m, 1024, 32), mid, 32);
    memcpy(kw_memory_slice(m, 1100, 5), "count", 5);
    uint8_t twice[8] = {H_EMIT & 0xff, H_EMIT >> 8, 0, 0, H_EMIT & 0xff, H_EMIT >> 8, 0, 0};
    memcpy(kw_memory_slice(m, 1200, 8), twice, 8);
    CHECK_EQ(call(r, "invoke", &v, 9, I(1024), I(1100), I(5), I(0), I(0), I(1200), I(2), I(1300), I(4)),
             KP_E_HOST_BAD_ARG);
    host_run_free(r);
    ht_world_free(&w);
}

TEST(bad_pointers_trap)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(0);
    struct {
        const char *fn;
        int n;
        int64_t a[4];
    } bad[] = {
        {"capsule_body", 2, {131072 - 2, 4}},          /* runs past the end of 2 pages */
        {"capsule_body", 2, {0xffffffff, 1}},          /* wraps in 32 bits, not in 64 */
        {"capsule_id", 1, {131072 - 31}},
        {"capsule_type", 2, {131000, 0xffffffff}},    /* huge capacity */
        {"log", 3, {1, 512, 0xfffffff0}},              /* huge length: limit first */
        {"submit_capsule_result", 2, {131071, 2}},
        {"random_bytes", 2, {131070, 16}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        host_run *r = start();
        int64_t v;
        int rc;
        if (bad[i].n == 1) rc = call(r, bad[i].fn, &v, 1, bad[i].a[0]);
        else if (bad[i].n == 2) rc = call(r, bad[i].fn, &v, 2, bad[i].a[0], bad[i].a[1]);
        else if (bad[i].n == 3) rc = call(r, bad[i].fn, &v, 3, bad[i].a[0], bad[i].a[1], bad[i].a[2]);
        else rc = call(r, bad[i].fn, &v, 4, bad[i].a[0], bad[i].a[1], bad[i].a[2], bad[i].a[3]);
        CHECK_MSG(rc == KP_E_HOST_BAD_POINTER || rc == KP_E_HOST_LIMIT, "%s #%zu: %d", bad[i].fn, i, rc);
        host_run_free(r);
    }
    ht_world_free(&w);
}

TEST(signed_requests_mint_once)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup(500);
    ht_request rq;
    ht_request_make(&rq, &A, mid, CAP_KIND_LEDGER_SPEND, 70, NULL, 0, 5);
    host_request reqs[1] = {rq.req};
    cap.requests = reqs;
    cap.nrequests = 1;
    host_run *r = start();
    CHECK(r != NULL);
    int64_t v;
    /* policy handles first (257, 258), then the request's (259) */
    CHECK_EQ(call(r, "handle_amount", &v, 1, I(259)), KW_OK);
    CHECK_EQ(v, 70);
    CHECK_EQ(host_run_call(r, NULL), KP_OK);
    CHECK_EQ(host_run_commit(r, NULL), KP_OK); /* the nonce is now spent */
    host_run_free(r);
    kp_error err;
    CHECK_EQ(host_run_new(&w.cfg, wasm, wlen, &cap, &r, &err), KP_E_CAP_REQUEST_REPLAYED);
    /* a tampered signature, another module, a non-owner's lifecycle request */
    rq.sig[0] ^= 1;
    reqs[0] = rq.req;
    CHECK_EQ(host_run_new(&w.cfg, wasm, wlen, &cap, &r, &err), KP_E_CAP_REQUEST_SIG);
    ht_request_free(&rq);
    uint8_t other[32];
    memset(other, 3, 32);
    ht_request_make(&rq, &A, other, CAP_KIND_LEDGER_SPEND, 70, NULL, 0, 6);
    reqs[0] = rq.req;
    CHECK_EQ(host_run_new(&w.cfg, wasm, wlen, &cap, &r, &err), KP_E_CAP_REQUEST_MODULE);
    ht_request_free(&rq);
    ht_request_make(&rq, &B, mid, CAP_KIND_LIFECYCLE, CAP_UNLIMITED, mid, 32, 7);
    reqs[0] = rq.req;
    host_capsule byb = ht_capsule("post", &B, "x", 1);
    byb.requests = reqs;
    byb.nrequests = 1;
    CHECK_EQ(host_run_new(&w.cfg, wasm, wlen, &byb, &r, &err), KP_E_CAP_REQUEST_DENIED);
    ht_request_free(&rq);
    ht_world_free(&w);
}
