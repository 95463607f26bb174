/*
 * guest_trust_test.c: guest/trust.c through the host. Trust capsules build
 * a graph in the module's child storage; the scores it stores must equal
 * values computed by hand.
 *
 * The graph (S is the module's owner, the seed of personalized PageRank
 * with restart 1/2; a key without out-edges sends its walk back to S):
 *
 *     S -> A (weight 2)   S -> B (1)   A -> B (1)   A -> D (1)   C -> A (5)
 *
 * By hand, with d = 1/2 and r the stationary scores:
 *   C has no in-edges and is not the seed:          r_C = 0
 *   r_A = d * (2/3 r_S + 5/5 r_C)                    = r_S / 3
 *   r_B = d * (1/3 r_S + 1/2 r_A) = r_S/6 + r_S/12   = r_S / 4
 *   r_D = d * (1/2 r_A)                              = r_S / 12
 *   r_S = (1 - d) + d * (r_B + r_D)   (B and D are dangling)
 *       = 1/2 + (r_S/4 + r_S/12) / 2 = 1/2 + r_S / 6
 *   so r_S = 3/5, r_A = 1/5, r_B = 3/20, r_D = 1/20 (sum 1): in millionths
 *   S 600000, A 200000, B 150000, D 50000, C 0.
 *
 * Then S withdraws its trust in B (weight 0):
 *   r_A = d * r_S = r_S/2;  r_B = d * (1/2 r_A) = r_S/8;  r_D = r_S/8
 *   r_S = 1/2 + (r_B + r_D)/2 = 1/2 + r_S/8, so r_S = 4/7
 *   S 571428.57 -> 571429, A 2/7 = 285714.29 -> 285714,
 *   B = D = 1/14 = 71428.57 -> 71429.
 */
#include "hosttest.h"
#include "test.h"
#include "wasmgen.h"

static ht_world w;
static ht_key S, A, B, C, D;
static uint8_t *wasm;
static size_t wlen;
static uint8_t tid[32];
static char thex[65];

static void setup(void)
{
    ht_world_init(&w);
    S = ht_key_make(10);
    A = ht_key_make(11);
    B = ht_key_make(12);
    C = ht_key_make(13);
    D = ht_key_make(14);
    if (!wasm) wasm = ht_guest("trust", &wlen);
    ht_module_id(wasm, wlen, tid, thex);
    host_mem_add_module(w.mem, wasm, wlen, KP_ALG_ED25519, S.pk, 32, NULL, NULL);
    memcpy(w.cfg.trust_module, tid, 32);
    w.cfg.has_trust_module = 1;
    ht_policy(&w,
              "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"trust\", \"module\": \"%s\", "
              "\"type\": \"trust\", \"capabilities\": [\"capsule.read\", \"storage\", "
              "\"module.read\", \"result.submit\"]}]}",
              thex);
}

/* Runs one trust capsule by from; returns the verdict (commits accepts). */
static int edge(const ht_key *from, const ht_key *to, uint64_t weight, const char *type)
{
    buf b = {0};
    cbor_enc e;
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_put_str(&e, "target");
    cbor_put_bytes(&e, to->pk, 32);
    cbor_put_str(&e, "weight");
    cbor_put_uint(&e, weight);
    cbor_end(&e);
    if (cbor_enc_finish(&e, NULL)) return -1;
    host_capsule c = ht_capsule(type, from, b.p, b.len);
    host_run *r;
    kp_error err;
    int rc = ht_run(&w, wasm, wlen, &c, 1, &r, &err);
    buf_free(&b);
    if (rc) {
        printf("# run: %s %s\n", kp_status_name(rc), err.msg);
        return -1;
    }
    const char *why;
    int v = host_run_verdict(r, &why);
    host_run_free(r);
    return v;
}

static int64_t score(const ht_key *k)
{
    char key[6 + 32];
    memcpy(key, "score/", 6);
    memcpy(key + 6, k->pk, 32);
    size_t n;
    const uint8_t *v = ht_stored(&w, tid, key, sizeof key, &n);
    if (!v || n != 8) return -1;
    int64_t s = 0;
    for (int i = 7; i >= 0; i--) s = s << 8 | v[i];
    return s;
}

TEST(scores_on_a_known_graph_equal_the_hand_computation)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    CHECK(wasm != NULL);
    CHECK_EQ(edge(&S, &A, 2, "trust"), HOST_VERDICT_ACCEPT);
    CHECK_EQ(edge(&S, &B, 1, "trust"), HOST_VERDICT_ACCEPT);
    CHECK_EQ(edge(&A, &B, 1, "trust"), HOST_VERDICT_ACCEPT);
    CHECK_EQ(edge(&A, &D, 1, "trust"), HOST_VERDICT_ACCEPT);
    CHECK_EQ(edge(&C, &A, 5, "trust"), HOST_VERDICT_ACCEPT);
    CHECK_EQ(score(&S), 600000);
    CHECK_EQ(score(&A), 200000);
    CHECK_EQ(score(&B), 150000);
    CHECK_EQ(score(&D), 50000);
    CHECK_EQ(score(&C), 0);
    /* S withdraws its trust in B */
    CHECK_EQ(edge(&S, &B, 0, "trust"), HOST_VERDICT_ACCEPT);
    CHECK_EQ(score(&S), 571429);
    CHECK_EQ(score(&A), 285714);
    CHECK_EQ(score(&B), 71429);
    CHECK_EQ(score(&D), 71429);
    CHECK_EQ(score(&C), 0);
    ht_world_free(&w);
}

TEST(get_trust_score_reads_the_trust_module)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    CHECK_EQ(edge(&S, &A, 1, "trust"), HOST_VERDICT_ACCEPT);
    /* S -> A alone: r_A = r_S/2, r_S = 1/2 + r_A/2, so r_S = 2/3, r_A = 1/3 */
    wg m;
    wg_init(&m);
    int f = wg_import(&m, "kapsule", "get_trust_score", "ii", "I");
    wg_data(&m, 512, A.pk, 32);
    wg_code c = {0};
    wg_i32(&c, 512);
    wg_i32(&c, 32);
    wg_call(&c, f);
    wg_op(&c, OP_I32_WRAP_I64);
    wg_func(&m, "kapsule_run", "", "i", &c);
    uint8_t *q;
    size_t qn;
    wg_finish(&m, &q, &qn);
    ht_policy(&w, "{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [\"trust.read\"]}]}");
    host_capsule cap = ht_capsule("post", &B, "x", 1);
    host_run *r;
    kp_error err;
    CHECK_EQ(ht_run(&w, q, qn, &cap, 0, &r, &err), KP_OK);
    CHECK_EQ(host_run_exit_code(r), 333333);
    host_run_free(r);
    free(q);
    ht_world_free(&w);
}

TEST(bad_trust_capsules_are_rejected)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    CHECK_EQ(edge(&S, &A, 1001, "trust"), HOST_VERDICT_REJECT); /* weight out of range */
    CHECK_EQ(edge(&A, &A, 1, "trust"), HOST_VERDICT_REJECT);    /* self-trust */
    host_capsule c = ht_capsule("trust", &A, "\xa0", 1);         /* empty map */
    host_run *r;
    kp_error err;
    CHECK_EQ(ht_run(&w, wasm, wlen, &c, 0, &r, &err), KP_OK);
    const char *why;
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_REJECT);
    host_run_free(r);
    /* another capsule type is not even linked: the policy grants "trust" only */
    c = ht_capsule("post", &A, "x", 1);
    CHECK_EQ(ht_run(&w, wasm, wlen, &c, 0, NULL, &err), KP_E_CAP_NOT_GRANTED);
    CHECK(strstr(err.msg, "'trust'") != NULL);
    CHECK_EQ(score(&A), -1); /* nothing was committed */
    ht_world_free(&w);
}
