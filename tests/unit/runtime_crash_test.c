/*
 * runtime_crash_test.c: SIGKILL at 20 seeded points of a batch ingest
 * (crashloop.h). The child re-ingests one long stream from its start
 * (duplicates change nothing): a DAG of posts and comments, comments that
 * arrive before their post (pending, then released), blocklist updates
 * and comments judged by the blocklist guest (some rejected), in batches
 * of 1..8, acknowledging each accepted capsule once the commit covering
 * it returns and each checkpoint it signs with the node key. After each
 * kill: integrity, kp_log_verify, kp_runtime_verify, every acknowledged
 * capsule stored with its exact bytes, and a new checkpoint consistent
 * with every note handed out. Finally the stream is run to its end and
 * the capsules, edges, results and child storage must equal those of a
 * run that was never killed. KP_CRASH_SEED=N replays a seed.
 *
 * A second test kills the pipeline at 1,000 seeded points (cheap rounds:
 * KP_CRASH_ROUNDS=N changes the number) and trusts nothing but the
 * library's own acknowledgements: every outcome its callback reported
 * (accepted, duplicate, pending, rejected, with its log index) must be
 * in the store after the kill, batch or no batch (issue 11, defect 2:
 * "accepted" was reported before the batch committed).
 */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "testdir.h"
#include "crashloop.h"
#include "hosttest.h"
#include "ingestkit.h"
#include "runtime/runtime.h"
#include "store/db.h"
#include "store/store.h"

#define ROUNDS 20
#define N 600

static kp_policy *pol;
static kp_key *alice, *bob;
static uint8_t *bl_wasm;
static size_t bl_len;
static ik_caps stream[N];
static unsigned resumes;

/*
 * Capsule i by i % 10: 0 a post; 1..6 comments on this decade's post,
 * every third judged by the blocklist; 7 a comment on the next decade's
 * post (pending until it comes); 8 a blocklist.update adding "t<i>";
 * 9 a comment saying "t<i-1>" (rejected by the update just before).
 */
static void make_stream(void)
{
    uint8_t bl[32], body[64];
    char text[64];
    kp_module_id(bl_wasm, bl_len, bl);
    /* posts first: comments name them */
    for (int i = 0; i < N; i += 10) {
        snprintf(text, sizeof text, "post %d", i);
        if (ik_pack_text(alice, "post", text, NULL, 0, NULL, i, &stream[i])) abort();
    }
    for (int i = 0; i < N; i++) {
        int r = i % 10, bad = 0;
        if (r == 0) continue;
        int post = i - r;
        snprintf(text, sizeof text, "comment %d", i);
        if (r <= 6) {
            bad = ik_pack_text(bob, "comment", text, (const uint8_t(*)[32])stream[post].id, 1,
                               i % 3 == 0 ? bl : NULL, i, &stream[i]);
        } else if (r == 7) {
            int next = post + 10 < N ? post + 10 : post;
            bad = ik_pack_text(bob, "comment", text, (const uint8_t(*)[32])stream[next].id, 1,
                               NULL, i, &stream[i]);
        } else if (r == 8) {
            snprintf(text, sizeof text, "t%d", i);
            size_t n = ik_update_body(text, body);
            bad = ik_pack(alice, "blocklist.update", body, n, NULL, 0, bl, i, &stream[i]);
        } else {
            snprintf(text, sizeof text, "t%d", i - 1);
            bad = ik_pack_text(bob, "comment", text, (const uint8_t(*)[32])stream[post].id, 1, bl,
                               i, &stream[i]);
        }
        if (bad) abort();
    }
}

static int index_of(const uint8_t id[32])
{
    for (int i = 0; i < N; i++)
        if (memcmp(stream[i].id, id, 32) == 0) return i;
    return -1;
}

/* The accepted outcomes of the open batch, acknowledged after its commit. */
typedef struct batch {
    int n;
    int idx[4 * N];
} batch;

static void on_result(void *ud, const kp_ingest_result *r)
{
    batch *b = ud;
    if (r->status == KP_INGEST_ACCEPTED && r->has_id && b->n < 4 * N) {
        int i = index_of(r->id);
        if (i >= 0) b->idx[b->n++] = i;
    }
}

/* Registers the module (again: idempotent), then the whole stream. */
static int run_stream(kp_store *st, int out, uint64_t seed, kp_error *e)
{
    static batch b;
    uint64_t rng = seed;
    size_t pklen;
    uint8_t id[32];
    char note[KP_LOG_NOTE_MAX];
    kp_ingest *in = ik_pipeline(st, &pol, e);
    if (!in) return 20;
    const uint8_t *pk = kp_key_public(alice, &pklen);
    if (kp_ingest_module_add(in, bl_wasm, bl_len, kp_key_get_alg(alice), pk, pklen, id, NULL,
                             NULL, NULL, e))
        return 21;
    int at = 0, batches = 0;
    while (at < N) {
        int n = 1 + (int)(crashloop_rand(&rng) % 8);
        b.n = 0;
        if (kp_ingest_begin(in, e)) return 22;
        for (int k = 0; k < n && at < N; k++, at++)
            if (kp_ingest_capsule(in, stream[at].bytes, stream[at].len, on_result, &b, e))
                return 23;
        if (kp_ingest_commit(in, e)) return 24;
        for (int k = 0; out >= 0 && k < b.n; k++)
            if (crashloop_ack(out, "%d", b.idx[k])) return 25;
        if (++batches % 3 == 0) {
            if (kp_ingest_checkpoint(in, note, e)) return 26;
            if (out >= 0 && crashloop_note(out, note)) return 27;
        }
    }
    kp_ingest_free(in);
    return 0;
}

static int child(const char *dir, int out, uint64_t seed, void *ud)
{
    kp_store *st;
    kp_error e;
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e)) return 10;
    int rc = run_stream(st, out, seed, &e);
    kp_store_close(st);
    return rc;
}

/* Token "I": stream[I] is stored with its exact bytes. */
static int check_ack(kp_store *st, const char *token, void *ud, char *why, size_t cap)
{
    int i = atoi(token);
    buf b = {0};
    kp_error e;
    if (i < 0 || i >= N) {
        snprintf(why, cap, "bad token %s", token);
        return -1;
    }
    if (store_capsule_get(st, stream[i].id, &b, NULL, NULL, &e) != KP_OK) {
        snprintf(why, cap, "capsule %d: %s", i, e.msg);
        return -1;
    }
    int same = b.len == stream[i].len && memcmp(b.p, stream[i].bytes, b.len) == 0;
    buf_free(&b);
    if (!same) {
        snprintf(why, cap, "capsule %d: bytes changed", i);
        return -1;
    }
    return 0;
}

/* After a kill: the store agrees with its log, then one new capsule (not
   part of the stream, no logic) so that the next checkpoint grows. */
static int resume(kp_store *st, void *ud, kp_error *err)
{
    char text[32];
    ik_caps c;
    int rc = kp_runtime_verify(st, NULL, NULL, NULL, err);
    if (rc) return rc;
    kp_ingest *in = ik_pipeline(st, &pol, err);
    if (!in) return err->code ? err->code : KP_E_NOMEM;
    snprintf(text, sizeof text, "resume %u", resumes++);
    if (ik_pack_text(bob, "resume", text, NULL, 0, NULL, 1, &c)) {
        kp_ingest_free(in);
        return KP_E_NOMEM;
    }
    rc = kp_ingest_capsule(in, c.bytes, c.len, NULL, NULL, err);
    free(c.bytes);
    kp_ingest_free(in);
    return rc;
}

/* What an uninterrupted run must also reach (the log differs: rejections
   are logged again on every pass, and the resume capsules are extra). */
static void final_digest(kp_store *st, uint8_t out[32])
{
    static const char *const q[] = {
        "SELECT id, bytes FROM capsules WHERE type != 'resume' ORDER BY id",
        "SELECT child, parent FROM edges ORDER BY child, parent",
        ("SELECT capsule, module, verdict, reason, result, fuel, transcript_root, policy_hash"
         " FROM results ORDER BY capsule"),
        "SELECT id, bytes FROM pending ORDER BY id",
        "SELECT * FROM kv ORDER BY module, key",
    };
    crypto_hash_sha256_state h;
    kp_error e;
    crypto_hash_sha256_init(&h);
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
        if (faultloop_sql_digest(st, q[i], &h, &e)) memset(out, 0, 32);
    crypto_hash_sha256_final(&h, out);
}

static long long count(kp_store *st, const char *sql)
{
    sqlite3_stmt *s;
    long long v = -1;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) return v;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

TEST(sigkill_during_a_batch_ingest_loses_nothing_acknowledged)
{
    kp_error e;
    uint64_t seed;
    uint8_t sk[KP_LOG_SK_BYTES];
    const char *env = getenv("KP_CRASH_SEED");
    if (env && *env) seed = strtoull(env, NULL, 10);
    else seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    printf("# crash seed %llu (KP_CRASH_SEED=%llu replays it)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    fflush(stdout);
    bl_wasm = ht_guest("blocklist", &bl_len);
    CHECK(bl_wasm != NULL);
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &alice, &e), KP_OK);
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &bob, &e), KP_OK);
    make_stream();

    /* the store, then the node key, so that the driver signs with the
       child's key (a store is not created beside a node key) */
    char dir[512];
    kp_store *made = NULL;
    snprintf(dir, sizeof dir, "%s", test_dir("store", 0));
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &made, &e), KP_OK);
    kp_store_close(made);
    CHECK_EQ(rt_node_key(dir, sk, &e), KP_OK);

    crashloop_op op = {"batch ingest", child, check_ack, resume, IK_ORIGIN, sk, NULL, 0, 0};
    crashloop_report rep;
    char why[512];
    int rc = crashloop_run(dir, &op, ROUNDS, seed, &rep, why, sizeof why);
    CHECK_MSG(rc == 0, "%.360s", why);
    printf("# %u rounds, %u killed mid-run, %llu capsules acknowledged, %llu checkpoints\n",
           rep.rounds, rep.kills, (unsigned long long)rep.acks, (unsigned long long)rep.notes);
    CHECK_EQ(rep.rounds, ROUNDS);
    CHECK(rep.kills >= ROUNDS / 2);
    CHECK(rep.acks > 0);
    CHECK(rep.notes > 0);

    /* run the stream to its end, and once more on a store never killed */
    kp_store *st, *ref;
    uint8_t got[32], want[32];
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_OK);
    CHECK_EQ(run_stream(st, -1, seed, &e), 0);
    CHECK_EQ(kp_runtime_verify(st, NULL, NULL, NULL, &e), KP_OK);
    final_digest(st, got);
    char rdir[512];
    snprintf(rdir, sizeof rdir, "%s", test_dir("reference", 0));
    CHECK_EQ(kp_store_open(rdir, KP_STORE_CREATE, &ref, &e), KP_OK);
    CHECK_EQ(run_stream(ref, -1, seed + 1, &e), 0);
    final_digest(ref, want);
    /* the stream did what it is meant to: releases, logic, rejections */
    CHECK_EQ(count(ref, "SELECT count(*) FROM pending"), 0);
    CHECK(count(ref, "SELECT count(*) FROM results") > 0);
    CHECK(count(ref, "SELECT count(*) FROM capsules") < N); /* the spam was rejected */
    CHECK(count(ref, "SELECT count(*) FROM kv") > 0);
    CHECK_MSG(memcmp(got, want, 32) == 0, "the killed store ended elsewhere than a clean run");
    printf("# final: %lld capsules, %lld results, same as a run never killed\n",
           count(st, "SELECT count(*) FROM capsules WHERE type != 'resume'"),
           count(st, "SELECT count(*) FROM results"));
    kp_store_close(st);
    kp_store_close(ref);
    for (int i = 0; i < N; i++) free(stream[i].bytes);
    free(bl_wasm);
    kp_key_free(alice);
    kp_key_free(bob);
    kp_policy_free(pol);
}

/* ---- 1,000 kill points, acknowledged by the library's callback alone ---------------- */

/* Where the last commit left the stream: a hint only (not synced; a stale
   one means more duplicates), so that each round goes on with new work. */
static size_t hint_read(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/progress", dir);
    FILE *f = fopen(path, "r");
    unsigned long v = 0;
    if (f) {
        if (fscanf(f, "%lu", &v) != 1) v = 0;
        fclose(f);
    }
    return (size_t)v;
}

static void hint_write(const char *dir, size_t at)
{
    char path[600];
    snprintf(path, sizeof path, "%s/progress", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%lu\n", (unsigned long)at);
        fclose(f);
    }
}

/* The callback is the acknowledgement: it writes the line itself. */
static void on_ack(void *ud, const kp_ingest_result *r)
{
    int out = *(int *)ud;
    int i = r->has_id ? index_of(r->id) : -1;
    unsigned long long at = r->has_log_index ? (unsigned long long)r->log_index : 0;
    switch (r->status) {
    case KP_INGEST_ACCEPTED: crashloop_ack(out, "a %d %llu", i, at); break;
    case KP_INGEST_DUPLICATE: crashloop_ack(out, "d %d", i); break;
    case KP_INGEST_PENDING: crashloop_ack(out, "p %d %d %llu", i, r->has_log_index, at); break;
    case KP_INGEST_REJECTED: crashloop_ack(out, "r %d %d %llu", i, r->has_log_index, at); break;
    }
}

/* Goes round the stream for ever (the driver kills it): batches of 1..8
   capsules sharing a commit, or single capsules committing alone. */
static int ack_child(const char *dir, int out, uint64_t seed, void *ud)
{
    kp_store *st;
    kp_error e;
    size_t pklen;
    uint8_t id[32];
    uint64_t rng = seed;
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e)) return 10;
    kp_ingest *in = ik_pipeline(st, &pol, &e);
    if (!in) return 20;
    const uint8_t *pk = kp_key_public(alice, &pklen);
    if (kp_ingest_module_add(in, bl_wasm, bl_len, kp_key_get_alg(alice), pk, pklen, id, NULL,
                             on_ack, &out, &e))
        return 21;
    size_t at = hint_read(dir) % N;
    for (int work = 0; work < 20 * N;) {
        int n = (int)(crashloop_rand(&rng) % 9);
        if (n && kp_ingest_begin(in, &e)) return 22;
        for (int k = 0; k < (n ? n : 1); k++, work++, at = (at + 1) % N)
            if (kp_ingest_capsule(in, stream[at].bytes, stream[at].len, on_ack, &out, &e))
                return 23;
        if (n && kp_ingest_commit(in, &e)) return 24;
        hint_write(dir, at);
    }
    kp_ingest_free(in);
    kp_store_close(st);
    return 0;
}

static int check_outcome(kp_store *st, const char *token, void *ud, char *why, size_t cap)
{
    char kind;
    int i, has_idx = 0;
    unsigned long long at = 0;
    uint64_t size = 0;
    kp_error e;
    int n = sscanf(token, "%c %d %d %llu", &kind, &i, &has_idx, &at);
    if (kind == 'a' && n >= 3) {
        at = (unsigned long long)has_idx; /* "a I INDEX" */
        has_idx = 1;
    }
    if (n < 2) {
        snprintf(why, cap, "bad token %s", token);
        return -1;
    }
    if (kind == 'a' || kind == 'd') {
        if (check_ack(st, token + 2, ud, why, cap)) return -1;
    } else if (kind == 'p' && i >= 0) {
        int stored = 0, waiting = 0;
        if (store_capsule_exists(st, stream[i].id, &stored, &e) ||
            store_pending_exists(st, stream[i].id, &waiting, &e) || (!stored && !waiting)) {
            snprintf(why, cap, "pending capsule %d is neither pending nor stored", i);
            return -1;
        }
    }
    if (has_idx) {
        if (kp_log_size(st, &size, &e) || at >= size) {
            snprintf(why, cap, "log index %llu was handed out, the log has %llu entries", at,
                     (unsigned long long)size);
            return -1;
        }
    }
    return 0;
}

TEST(sigkill_at_1000_points_loses_no_acknowledged_outcome)
{
    kp_error e;
    uint64_t seed;
    uint8_t sk[KP_LOG_SK_BYTES];
    const char *env = getenv("KP_CRASH_SEED");
    const char *renv = getenv("KP_CRASH_ROUNDS");
    unsigned rounds = renv && *renv ? (unsigned)strtoul(renv, NULL, 10) : 1000;
    if (env && *env) seed = strtoull(env, NULL, 10);
    else seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    printf("# crash seed %llu (KP_CRASH_SEED=%llu replays it)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    fflush(stdout);
    pol = NULL;
    bl_wasm = ht_guest("blocklist", &bl_len);
    CHECK(bl_wasm != NULL);
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &alice, &e), KP_OK);
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &bob, &e), KP_OK);
    make_stream();
    char dir[512];
    kp_store *made = NULL;
    snprintf(dir, sizeof dir, "%s", test_dir("ackstore", 0));
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &made, &e), KP_OK); /* then the node key */
    kp_store_close(made);
    CHECK_EQ(rt_node_key(dir, sk, &e), KP_OK);
    crashloop_op op = {"acknowledged outcomes", ack_child, check_outcome, NULL, IK_ORIGIN, sk,
                       NULL, 6, 1};
    crashloop_report rep;
    char why[512];
    int rc = crashloop_run(dir, &op, rounds, seed, &rep, why, sizeof why);
    CHECK_MSG(rc == 0, "%.360s", why);
    printf("# %u rounds, %u killed, %llu outcomes acknowledged and found\n", rep.rounds,
           rep.kills, (unsigned long long)rep.acks);
    CHECK_EQ(rep.rounds, rounds);
    CHECK(rep.kills >= rounds * 9 / 10);
    CHECK(rep.acks >= rounds);
    kp_store *st;
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_OK);
    CHECK_EQ(kp_runtime_verify(st, NULL, NULL, NULL, &e), KP_OK);
    kp_store_close(st);
    for (int i = 0; i < N; i++) free(stream[i].bytes);
    free(bl_wasm);
    kp_key_free(alice);
    kp_key_free(bob);
    kp_policy_free(pol);
    pol = NULL;
}
