/*
 * host_replay_test.c: a run with oracles (clock, random, storage and DAG
 * reads), replayed from its transcript, gives byte-identical results, fuel,
 * emitted capsules and transcript, without asking the world anything; a
 * replay that differs in any call is E_HOST_REPLAY_DIVERGED.
 */
#include "host/transcript.h"
#include "hosttest.h"
#include "test.h"
#include "wasmgen.h"

static ht_world w;
static ht_key U;
static uint8_t *agent;
static size_t alen;
static buf goal;

typedef struct outcome {
    int rc;
    buf result, emitted, transcript;
    uint64_t fuel;
    uint8_t root[32];
    int verdict;
} outcome;

static void outcome_free(outcome *o)
{
    buf_free(&o->result);
    buf_free(&o->emitted);
    buf_free(&o->transcript);
}

static void setup(void)
{
    ht_world_init(&w);
    U = ht_key_make(61);
    if (!agent) agent = ht_guest("agent", &alen);
    ht_policy(&w, "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"agents\", \"module\": \"*\", "
                  "\"capabilities\": [\"capsule.read\", \"clock\", \"random\", {\"name\": \"emit\", "
                  "\"count\": 4}, \"handle\", \"result.submit\", \"log\", \"storage\", \"dag.read\"]}]}");
    cbor_enc e;
    goal.len = 0;
    cbor_enc_init(&e, &goal);
    cbor_begin_map(&e);
    cbor_put_str(&e, "goal");
    cbor_put_str(&e, "plan the release");
    cbor_put_str(&e, "steps");
    cbor_put_uint(&e, 3);
    cbor_end(&e);
    if (cbor_enc_finish(&e, NULL)) abort();
}

/* Runs wasm (replaying t when not NULL) and keeps what it produced. */
static void run(const uint8_t *wasm, size_t len, const host_capsule *c, const kp_transcript *t,
                outcome *o, kp_error *err)
{
    memset(o, 0, sizeof *o);
    w.cfg.replay = t;
    host_run *r = NULL;
    o->rc = host_run_new(&w.cfg, wasm, len, c, &r, err);
    w.cfg.replay = NULL;
    if (o->rc) return;
    o->rc = host_run_call(r, err);
    size_t n;
    int sub;
    const uint8_t *p = host_run_result(r, &n, &sub);
    buf_append(&o->result, p, n);
    for (size_t i = 0; i < host_run_emitted_count(r); i++) {
        const host_emitted *e = host_run_emitted(r, i);
        buf_append(&o->emitted, e->type, strlen(e->type) + 1);
        buf_append(&o->emitted, e->body, e->body_len);
    }
    o->fuel = host_run_fuel_used(r);
    uint8_t *tb;
    size_t tl;
    if (kp_transcript_encode(host_run_transcript(r), &tb, &tl, NULL) == KP_OK) {
        buf_append(&o->transcript, tb, tl);
        kp_transcript_bytes_free(tb, tl);
    }
    kp_transcript_root(host_run_transcript(r), o->root);
    const char *why;
    o->verdict = host_run_verdict(r, &why);
    host_run_free(r);
}

static int same_buf(const buf *a, const buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static int same(const outcome *a, const outcome *b)
{
    return a->rc == b->rc && a->fuel == b->fuel && a->verdict == b->verdict &&
           same_buf(&a->result, &b->result) && same_buf(&a->emitted, &b->emitted) &&
           same_buf(&a->transcript, &b->transcript) && !memcmp(a->root, b->root, 32);
}

TEST(replay_is_byte_identical)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    CHECK(agent != NULL);
    host_capsule c = ht_capsule("agent.goal", &U, goal.p, goal.len);
    outcome first, again, replayed;
    kp_error err;
    run(agent, alen, &c, NULL, &first, &err);
    CHECK_MSG(first.rc == KP_OK, "%s", err.msg);
    CHECK(first.emitted.len > 0 && first.fuel > 0);
    /* run again for real: the clock and the random nonces differ */
    run(agent, alen, &c, NULL, &again, &err);
    CHECK_EQ(again.rc, KP_OK);
    CHECK(!same(&first, &again));
    /* replay from the transcript, with no world at all */
    kp_transcript *t;
    CHECK_EQ(kp_transcript_parse(first.transcript.p, first.transcript.len, &t, &err), KP_OK);
    host_config saved = w.cfg;
    w.cfg.storage = NULL;
    w.cfg.ledger = NULL;
    w.cfg.dag = NULL;
    w.cfg.modules = NULL;
    run(agent, alen, &c, t, &replayed, &err);
    w.cfg = saved;
    CHECK_MSG(replayed.rc == KP_OK, "%s", err.msg);
    CHECK(same(&first, &replayed));
    CHECK_EQ(replayed.fuel, first.fuel);
    kp_transcript_free(t);
    outcome_free(&first);
    outcome_free(&again);
    outcome_free(&replayed);
    ht_world_free(&w);
}

TEST(a_changed_transcript_diverges)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    host_capsule c = ht_capsule("agent.goal", &U, goal.p, goal.len);
    outcome first, r2;
    kp_error err;
    run(agent, alen, &c, NULL, &first, &err);
    CHECK_EQ(first.rc, KP_OK);
    /* a different random oracle value ("oracle": [h'...8 bytes']): the
       task bodies change, so emit_capsule's bytes differ from the record */
    static const uint8_t orc8[] = {0x66, 'o', 'r', 'a', 'c', 'l', 'e', 0x81, 0x48};
    kp_transcript *t;
    CHECK_EQ(kp_transcript_parse(first.transcript.p, first.transcript.len, &t, NULL), KP_OK);
    /* edit the first byte of the first recorded random bytes */
    int edited = 0;
    for (size_t k = 0; k < t->n && !edited; k++) {
        host_tr_ent *x = &t->ents[k];
        for (size_t i = 0; i + sizeof orc8 < x->len && !edited; i++)
            if (memcmp(x->p + i, orc8, sizeof orc8) == 0) {
                x->p[i + sizeof orc8] ^= 0x55;
                edited = 1;
            }
    }
    CHECK(edited);
    run(agent, alen, &c, t, &r2, &err);
    CHECK_EQ(r2.rc, KP_E_HOST_REPLAY_DIVERGED);
    CHECK_MSG(strstr(err.msg, "replay diverged") != NULL, "%s", err.msg);
    kp_transcript_free(t);
    outcome_free(&r2);
    /* a different capsule (2 steps): fewer calls than recorded */
    kp_transcript *full;
    CHECK_EQ(kp_transcript_parse(first.transcript.p, first.transcript.len, &full, NULL), KP_OK);
    buf g2 = {0};
    cbor_enc e;
    cbor_enc_init(&e, &g2);
    cbor_begin_map(&e);
    cbor_put_str(&e, "goal");
    cbor_put_str(&e, "plan the release");
    cbor_put_str(&e, "steps");
    cbor_put_uint(&e, 2);
    cbor_end(&e);
    CHECK_EQ(cbor_enc_finish(&e, NULL), KP_OK);
    host_capsule c2 = ht_capsule("agent.goal", &U, g2.p, g2.len);
    run(agent, alen, &c2, full, &r2, &err);
    CHECK_EQ(r2.rc, KP_E_HOST_REPLAY_DIVERGED);
    outcome_free(&r2);
    /* the same capsule with a transcript cut short */
    kp_transcript *cut;
    CHECK_EQ(host_tr_new(&cut, NULL), KP_OK);
    for (size_t k = 0; k + 1 < full->n; k++) {
        size_t len;
        const uint8_t *p = host_tr_entry(full, k, &len);
        CHECK_EQ(host_tr_append(cut, p, len, NULL), KP_OK);
    }
    run(agent, alen, &c, cut, &r2, &err);
    CHECK_EQ(r2.rc, KP_E_HOST_REPLAY_DIVERGED);
    outcome_free(&r2);
    kp_transcript_free(cut);
    kp_transcript_free(full);
    buf_free(&g2);
    outcome_free(&first);
    ht_world_free(&w);
}

TEST(world_reads_are_oracles)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    setup();
    /* a module that reads storage and the DAG, and returns what it read */
    wg m;
    wg_init(&m);
    int sg = wg_import(&m, "kapsule", "storage_get", "iiii", "i");
    int dc = wg_import(&m, "kapsule", "dag_children", "iii", "i");
    int sr = wg_import(&m, "kapsule", "submit_capsule_result", "ii", "i");
    uint8_t pid[32];
    memset(pid, 0x42, 32);
    wg_data(&m, 512, "key", 3);
    wg_data(&m, 600, pid, 32);
    wg_code c = {0};
    wg_i32(&c, 512);
    wg_i32(&c, 3);
    wg_i32(&c, 1024);
    wg_i32(&c, 16);
    wg_call(&c, sg);
    wg_op(&c, OP_DROP);
    wg_i32(&c, 600);
    wg_i32(&c, 1040);
    wg_i32(&c, 64);
    wg_call(&c, dc);
    wg_op(&c, OP_DROP);
    wg_i32(&c, 1024);
    wg_i32(&c, 80);
    wg_call(&c, sr);
    wg_func(&m, "kapsule_run", "", "i", &c);
    uint8_t *wasm;
    size_t len;
    wg_finish(&m, &wasm, &len);
    uint8_t id[32];
    ht_module_id(wasm, len, id, NULL);
    w.st.put(w.st.user, id, (const uint8_t *)"key", 3, (const uint8_t *)"stored value", 12, NULL);
    host_capsule post = ht_capsule("post", &U, "p", 1), child = ht_capsule("comment", &U, "c", 1);
    memcpy(post.id, pid, 32);
    child.parents = (const uint8_t(*)[32])pid;
    child.nparents = 1;
    host_mem_add_capsule(w.mem, &post, NULL);
    host_mem_add_capsule(w.mem, &child, NULL);
    host_capsule cap = ht_capsule("post", &U, "x", 1);
    outcome first, replayed;
    kp_error err;
    run(wasm, len, &cap, NULL, &first, &err);
    CHECK_MSG(first.rc == KP_OK, "%s", err.msg);
    CHECK(memcmp(first.result.p, "stored value", 12) == 0);
    CHECK_MEM(first.result.p + 16, child.id, 32);
    /* the world changes; the replay still sees what the run saw */
    w.st.put(w.st.user, id, (const uint8_t *)"key", 3, (const uint8_t *)"changed!!!!!", 12, NULL);
    kp_transcript *t;
    CHECK_EQ(kp_transcript_parse(first.transcript.p, first.transcript.len, &t, NULL), KP_OK);
    run(wasm, len, &cap, t, &replayed, &err);
    CHECK_MSG(replayed.rc == KP_OK, "%s", err.msg);
    CHECK(same(&first, &replayed));
    kp_transcript_free(t);
    outcome_free(&first);
    outcome_free(&replayed);
    free(wasm);
    ht_world_free(&w);
}
