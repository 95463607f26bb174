/*
 * runtime_ingest_test.c: the ingest pipeline (runtime/ingest.c): accept,
 * every kind of rejection with its code and log entry, duplicates that
 * change nothing, pending capsules released by a parent or a module (a
 * chain of 100 in reverse order), logic that accepts, rejects and traps,
 * encrypted bodies to a local key and to a stranger, batches, checkpoints
 * with the node key, and kp_runtime_verify finding tampered rows.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "test.h"
#include "testdir.h"
#include "util/error.h"

/* Modules with no imports: kapsule_run returns 0 (accept), 1 (reject) or
   traps (unreachable). */
#define MOD(body...)                                                                     \
    {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 15, 1, 11, 'k', \
     'a', 'p', 's', 'u', 'l', 'e', '_', 'r', 'u', 'n', 0, 0, 10, body}
static const uint8_t MOD_ACCEPT[] = MOD(6, 1, 4, 0, 0x41, 0, 0x0b);
static const uint8_t MOD_REJECT[] = MOD(6, 1, 4, 0, 0x41, 1, 0x0b);
static const uint8_t MOD_TRAP[] = MOD(5, 1, 3, 0, 0x00, 0x0b);

/* The outcomes fn heard, in order. */
typedef struct heard {
    int n;
    kp_ingest_result r[256];
    char msg[256][128];
} heard;

static void on_result(void *ud, const kp_ingest_result *r)
{
    heard *h = ud;
    if (h->n < 256) {
        h->r[h->n] = *r;
        snprintf(h->msg[h->n], sizeof h->msg[0], "%s", r->message);
        h->r[h->n].message = h->msg[h->n];
        h->n++;
    }
}

typedef struct env {
    const char *dir;
    kp_store *st;
    kp_ingest *in;
    kp_key *alice;
    heard h;
} env;

static void env_open(env *e, const char *name, int keys)
{
    memset(e, 0, sizeof *e);
    kp_error err;
    e->dir = test_dir(name, 1);
    if (kp_store_open(e->dir, KP_STORE_CREATE, &e->st, &err)) abort();
    if (kp_key_generate(KP_ALG_ED25519, &e->alice, &err)) abort();
    if (keys) {
        kp_key *bob;
        if (kp_key_new(e->dir, "bob", KP_ALG_ED25519, &bob, &err)) abort();
        kp_key_free(bob);
    }
    kp_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.now = 1700000000;
    o.origin = "kapsule/test";
    if (kp_ingest_new(e->st, &o, &e->in, &err)) {
        printf("# ingest_new: %s\n", err.msg);
        abort();
    }
}

static void env_close(env *e)
{
    kp_ingest_free(e->in);
    kp_store_close(e->st);
    kp_key_free(e->alice);
}

static kp_capsule *pack_full(kp_key *k, const char *type, const char *body,
                             const uint8_t (*parents)[32], size_t np, const uint8_t *logic,
                             const char *to)
{
    kp_capsule_pack_opts o;
    memset(&o, 0, sizeof o);
    o.type = type;
    o.author = k;
    o.body = (const uint8_t *)body;
    o.body_len = strlen(body);
    o.parents = parents;
    o.parent_count = np;
    o.logic = logic;
    o.created = 1700000000;
    const char *tos[1] = {to};
    if (to) {
        o.to = tos;
        o.to_count = 1;
    }
    kp_capsule *c = NULL;
    kp_error e;
    if (kp_capsule_pack(&o, NULL, &c, &e)) {
        printf("# pack: %s\n", e.msg);
        abort();
    }
    return c;
}

static kp_capsule *pack(kp_key *k, const char *body)
{
    return pack_full(k, "post", body, NULL, 0, NULL, NULL);
}

/* Ingests c's bytes; returns the status of the first outcome heard. */
static int ingest(env *e, const kp_capsule *c)
{
    size_t len;
    const uint8_t *b = kp_capsule_bytes(c, &len);
    kp_error err;
    int first = e->h.n;
    int rc = kp_ingest_capsule(e->in, b, len, on_result, &e->h, &err);
    if (rc) {
        printf("# ingest: %s: %s\n", kp_status_name(rc), err.msg);
        return -rc;
    }
    return e->h.n > first ? (int)e->h.r[first].status : -1;
}

static int ingest_bytes(env *e, const uint8_t *b, size_t len)
{
    kp_error err;
    int first = e->h.n;
    int rc = kp_ingest_capsule(e->in, b, len, on_result, &e->h, &err);
    if (rc) return -rc;
    return e->h.n > first ? (int)e->h.r[first].status : -1;
}

static uint64_t log_size(env *e)
{
    uint64_t n = 0;
    kp_log_size(e->st, &n, NULL);
    return n;
}

static long long q_int(env *e, const char *sql)
{
    sqlite3_stmt *s;
    long long v = -12345;
    if (sqlite3_prepare_v2(e->st->db, sql, -1, &s, NULL) != SQLITE_OK) return v;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void last_entry(env *e, rt_entry *ent, uint8_t *storage, size_t cap)
{
    size_t len;
    uint64_t n = log_size(e);
    if (n == 0 || kp_log_entry(e->st, n - 1, storage, cap, &len, NULL) ||
        rt_entry_decode(storage, len, ent, NULL))
        abort();
}

TEST(accepts_then_duplicate_changes_nothing)
{
    env e;
    env_open(&e, "accept", 0);
    kp_capsule *c = pack(e.alice, "hello");
    CHECK_EQ(ingest(&e, c), KP_INGEST_ACCEPTED);
    CHECK(e.h.r[0].has_log_index && e.h.r[0].log_index == 0);
    CHECK_EQ(e.h.r[0].body, KP_INGEST_BODY_PLAIN);
    CHECK_MEM(e.h.r[0].id, kp_capsule_id(c), 32);
    uint8_t buf_[4096];
    rt_entry ent;
    last_entry(&e, &ent, buf_, sizeof buf_);
    CHECK_STR(ent.decision, "accepted");
    CHECK_MEM(ent.capsule, kp_capsule_id(c), 32);
    size_t len;
    const uint8_t *bytes = kp_capsule_bytes(c, &len);
    uint8_t h[32];
    crypto_hash_sha256(h, bytes, len);
    CHECK_MEM(ent.sha256, h, 32);
    CHECK(!ent.has_run);
    CHECK_EQ(ingest(&e, c), KP_INGEST_DUPLICATE);
    CHECK(!e.h.r[1].has_log_index);
    CHECK_EQ(log_size(&e), 1);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM capsules"), 1);
    /* the stored bytes are the file exactly */
    buf b = {0};
    CHECK_EQ(store_capsule_get(e.st, kp_capsule_id(c), &b, NULL, NULL, NULL), KP_OK);
    CHECK(b.len == len && memcmp(b.p, bytes, len) == 0);
    buf_free(&b);
    kp_capsule_free(c);
    env_close(&e);
}

TEST(rejections_are_logged_with_their_code_and_store_nothing)
{
    env e;
    env_open(&e, "reject", 0);
    kp_capsule *c = pack(e.alice, "hello");
    size_t len;
    const uint8_t *bytes = kp_capsule_bytes(c, &len);
    uint8_t *bad = malloc(len);
    memcpy(bad, bytes, len);
    bad[len - 1] ^= 1; /* the signature's last byte */
    CHECK_EQ(ingest_bytes(&e, bad, len), KP_INGEST_REJECTED);
    CHECK_EQ(e.h.r[0].reason, KP_E_SIG_INVALID);
    CHECK(e.h.r[0].has_id);
    uint8_t eb[4096];
    rt_entry ent;
    last_entry(&e, &ent, eb, sizeof eb);
    CHECK_STR(ent.decision, "rejected");
    CHECK(ent.reason && ent.reason_len == strlen("E_SIG_INVALID") &&
          memcmp(ent.reason, "E_SIG_INVALID", ent.reason_len) == 0);
    /* truncated: a CBOR code, no id */
    CHECK_EQ(ingest_bytes(&e, bytes, len - 3), KP_INGEST_REJECTED);
    CHECK_EQ(e.h.r[1].reason, KP_E_TRUNCATED);
    CHECK(!e.h.r[1].has_id);
    last_entry(&e, &ent, eb, sizeof eb);
    CHECK(!ent.has_capsule);
    /* not CBOR at all */
    CHECK_EQ(ingest_bytes(&e, (const uint8_t *)"\xff", 1), KP_INGEST_REJECTED);
    CHECK(e.h.r[2].reason >= 300 && e.h.r[2].reason < 400);
    /* over the size limit, checked before parsing */
    size_t big = KP_CAPSULE_MAX_BYTES + 1;
    uint8_t *huge = calloc(1, big);
    CHECK_EQ(ingest_bytes(&e, huge, big), KP_INGEST_REJECTED);
    CHECK_EQ(e.h.r[3].reason, KP_E_CAPSULE_LIMIT);
    free(huge);
    CHECK_EQ(log_size(&e), 4);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM capsules"), 0);
    /* the good one still goes in after all that */
    CHECK_EQ(ingest(&e, c), KP_INGEST_ACCEPTED);
    free(bad);
    kp_capsule_free(c);
    env_close(&e);
}

static void add_module(env *e, const uint8_t *code, size_t len, uint8_t id[32])
{
    kp_error err;
    int added;
    if (kp_ingest_module_add(e->in, code, len, KP_ALG_NONE, NULL, 0, id, &added, on_result, &e->h,
                             &err)) {
        printf("# module: %s\n", err.msg);
        abort();
    }
}

TEST(logic_accepts_rejects_and_traps)
{
    env e;
    env_open(&e, "logic", 0);
    uint8_t acc[32], rej[32], trap[32];
    add_module(&e, MOD_ACCEPT, sizeof MOD_ACCEPT, acc);
    add_module(&e, MOD_REJECT, sizeof MOD_REJECT, rej);
    add_module(&e, MOD_TRAP, sizeof MOD_TRAP, trap);
    CHECK_EQ(log_size(&e), 3); /* one entry per registration */
    kp_capsule *a = pack_full(e.alice, "post", "a", NULL, 0, acc, NULL);
    kp_capsule *r = pack_full(e.alice, "post", "r", NULL, 0, rej, NULL);
    kp_capsule *t = pack_full(e.alice, "post", "t", NULL, 0, trap, NULL);
    CHECK_EQ(ingest(&e, a), KP_INGEST_ACCEPTED);
    CHECK(e.h.r[0].has_run && e.h.r[0].verdict == 1 && e.h.r[0].fuel > 0);
    CHECK_MEM(e.h.r[0].module, acc, 32);
    store_result sr;
    buf mem = {0};
    CHECK_EQ(store_result_get(e.st, kp_capsule_id(a), &sr, &mem, NULL), KP_OK);
    CHECK_EQ(sr.verdict, 1);
    CHECK_EQ(sr.fuel, e.h.r[0].fuel);
    buf_free(&mem);
    CHECK_EQ(ingest(&e, r), KP_INGEST_REJECTED);
    CHECK_EQ(e.h.r[1].reason, KP_E_INGEST_REJECTED);
    CHECK(e.h.r[1].has_run && e.h.r[1].verdict == 2);
    uint8_t eb[4096];
    rt_entry ent;
    last_entry(&e, &ent, eb, sizeof eb);
    CHECK(ent.has_run && ent.verdict == 2);
    CHECK_EQ(ingest(&e, t), KP_INGEST_REJECTED);
    CHECK_EQ(e.h.r[2].reason, KW_TRAP_UNREACHABLE);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM capsules"), 1);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM results"), 1);
    kp_error err;
    CHECK_EQ(kp_runtime_verify(e.st, NULL, NULL, NULL, &err), KP_OK);
    kp_capsule_free(a);
    kp_capsule_free(r);
    kp_capsule_free(t);
    env_close(&e);
}

TEST(pending_until_the_module_is_registered)
{
    env e;
    env_open(&e, "pending_module", 0);
    uint8_t acc[32];
    kp_module_id(MOD_ACCEPT, sizeof MOD_ACCEPT, acc);
    kp_capsule *a = pack_full(e.alice, "post", "a", NULL, 0, acc, NULL);
    CHECK_EQ(ingest(&e, a), KP_INGEST_PENDING);
    CHECK_EQ(e.h.r[0].waiting, 1);
    CHECK_EQ(ingest(&e, a), KP_INGEST_PENDING); /* again: nothing new */
    CHECK_EQ(log_size(&e), 1);
    add_module(&e, MOD_ACCEPT, sizeof MOD_ACCEPT, acc);
    CHECK_EQ(e.h.n, 3);
    CHECK_EQ(e.h.r[2].status, KP_INGEST_ACCEPTED);
    CHECK_EQ(e.h.r[2].released, 1);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM pending"), 0);
    CHECK_EQ(ingest(&e, a), KP_INGEST_DUPLICATE);
    kp_capsule_free(a);
    env_close(&e);
}

TEST(a_chain_of_100_in_reverse_order_is_released_by_its_root)
{
    env e;
    env_open(&e, "chain", 0);
    enum { N = 100 };
    kp_capsule *c[N];
    char body[16];
    for (int i = 0; i < N; i++) {
        snprintf(body, sizeof body, "n%d", i);
        c[i] = pack_full(e.alice, "post", body,
                         i ? (const uint8_t(*)[32])kp_capsule_id(c[i - 1]) : NULL, i ? 1 : 0,
                         NULL, NULL);
    }
    for (int i = N - 1; i >= 1; i--) CHECK_EQ(ingest(&e, c[i]), KP_INGEST_PENDING);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM pending"), N - 1);
    kp_error err;
    CHECK_EQ(kp_ingest_begin(e.in, &err), KP_OK);
    int before = e.h.n;
    CHECK_EQ(ingest(&e, c[0]), -1); /* heard at the commit, not before */
    CHECK_EQ(kp_ingest_commit(e.in, &err), KP_OK);
    CHECK_EQ(e.h.n - before, N);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(e.h.r[before + i].status, KP_INGEST_ACCEPTED);
        CHECK_MEM(e.h.r[before + i].id, kp_capsule_id(c[i]), 32); /* in chain order */
    }
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM pending"), 0);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM capsules"), N);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM edges"), N - 1);
    CHECK_EQ(kp_runtime_verify(e.st, NULL, NULL, NULL, &err), KP_OK);
    for (int i = 0; i < N; i++) kp_capsule_free(c[i]);
    env_close(&e);
}

TEST(encrypted_to_a_local_key_and_to_a_stranger)
{
    env e;
    env_open(&e, "encrypted", 1);
    kp_key *bob, *stranger;
    kp_error err;
    CHECK_EQ(kp_key_load(e.dir, "bob", &bob, &err), KP_OK);
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &stranger, &err), KP_OK);
    char rb[KP_AGE_RECIPIENT_BYTES], rs[KP_AGE_RECIPIENT_BYTES];
    kp_key_age_recipient(bob, rb);
    kp_key_age_recipient(stranger, rs);
    kp_capsule *to_bob = pack_full(e.alice, "post", "for bob", NULL, 0, NULL, rb);
    kp_capsule *to_x = pack_full(e.alice, "post", "for x", NULL, 0, NULL, rs);
    CHECK_EQ(ingest(&e, to_bob), KP_INGEST_ACCEPTED);
    CHECK_EQ(e.h.r[0].body, KP_INGEST_BODY_DECRYPTED);
    CHECK_EQ(ingest(&e, to_x), KP_INGEST_ACCEPTED);
    CHECK_EQ(e.h.r[1].body, KP_INGEST_BODY_SEALED);
    uint8_t eb[4096];
    rt_entry ent;
    last_entry(&e, &ent, eb, sizeof eb);
    CHECK(ent.has_body && strcmp(ent.body, "sealed") == 0);
    /* the ciphertext is stored as it came */
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM capsules WHERE encrypted = 1"), 2);
    kp_capsule_free(to_bob);
    kp_capsule_free(to_x);
    kp_key_free(bob);
    kp_key_free(stranger);
    env_close(&e);
}

/* Flips one byte of a stored capsule's file, as someone with the database would. */
static int flip_byte(env *e, int seq, int at)
{
    sqlite3_stmt *s;
    uint8_t b[8192];
    int n = 0;
    if (sqlite3_prepare_v2(e->st->db, "SELECT bytes FROM capsules WHERE seq = ?1", -1, &s, NULL))
        return 0;
    sqlite3_bind_int(s, 1, seq);
    if (sqlite3_step(s) == SQLITE_ROW) {
        n = sqlite3_column_bytes(s, 0);
        if (n > (int)sizeof b || n <= at) n = 0;
        else memcpy(b, sqlite3_column_blob(s, 0), (size_t)n);
    }
    sqlite3_finalize(s);
    if (!n) return 0;
    b[at] ^= 1;
    if (sqlite3_prepare_v2(e->st->db, "UPDATE capsules SET bytes = ?2 WHERE seq = ?1", -1, &s, NULL))
        return 0;
    sqlite3_bind_int(s, 1, seq);
    sqlite3_bind_blob(s, 2, b, n, SQLITE_STATIC);
    int ok = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    return ok;
}

static int count_problems(env *e, uint64_t *problems)
{
    kp_log_report rep;
    memset(&rep, 0, sizeof rep);
    kp_error err;
    int rc = kp_runtime_verify(e->st, NULL, NULL, &rep, &err);
    *problems = rep.problems;
    return rc;
}

TEST(tampered_rows_are_found)
{
    env e;
    env_open(&e, "tamper", 0);
    uint8_t acc[32];
    add_module(&e, MOD_ACCEPT, sizeof MOD_ACCEPT, acc);
    kp_capsule *a = pack_full(e.alice, "post", "a", NULL, 0, acc, NULL);
    kp_capsule *b = pack(e.alice, "b");
    CHECK_EQ(ingest(&e, a), KP_INGEST_ACCEPTED);
    CHECK_EQ(ingest(&e, b), KP_INGEST_ACCEPTED);
    uint64_t np;
    CHECK_EQ(count_problems(&e, &np), KP_OK);
    CHECK_EQ(np, 0);
    kp_error err;
    CHECK_EQ(store_exec(e.st, "DROP TRIGGER capsules_no_update; DROP TRIGGER results_no_update;"
                              "DROP TRIGGER capsules_no_delete", &err), KP_OK);
    /* one byte of b's file */
    CHECK(flip_byte(&e, 2, 40));
    CHECK_EQ(count_problems(&e, &np), KP_E_INGEST_TAMPERED);
    CHECK_EQ(np, 1);
    /* a's fuel */
    CHECK_EQ(store_exec(e.st, "UPDATE results SET fuel = fuel + 1", &err), KP_OK);
    CHECK_EQ(count_problems(&e, &np), KP_E_INGEST_TAMPERED);
    CHECK_EQ(np, 2);
    /* and a deleted capsule (its result row goes first: foreign key) */
    CHECK_EQ(store_exec(e.st, "DROP TRIGGER results_no_delete; DELETE FROM results;"
                              "DELETE FROM capsules WHERE seq = 1", &err), KP_OK);
    CHECK_EQ(count_problems(&e, &np), KP_E_INGEST_TAMPERED);
    CHECK_EQ(np, 2); /* b's bytes, and a's missing row */
    kp_capsule_free(a);
    kp_capsule_free(b);
    env_close(&e);
}

TEST(checkpoint_with_the_node_key)
{
    env e;
    env_open(&e, "checkpoint", 0);
    kp_capsule *c = pack(e.alice, "hello");
    CHECK_EQ(ingest(&e, c), KP_INGEST_ACCEPTED);
    char note[KP_LOG_NOTE_MAX];
    kp_error err;
    CHECK_EQ(kp_ingest_checkpoint(e.in, note, &err), KP_OK);
    CHECK(strncmp(note, "kapsule/test\n1\n", 15) == 0);
    char path[600];
    struct stat sb;
    snprintf(path, sizeof path, "%s/node.key", e.dir);
    CHECK(stat(path, &sb) == 0);
    CHECK_EQ(sb.st_mode & 0777, 0600);
    /* the same key next time: the log stays bound to it */
    kp_capsule *d = pack(e.alice, "again");
    CHECK_EQ(ingest(&e, d), KP_INGEST_ACCEPTED);
    CHECK_EQ(kp_ingest_checkpoint(e.in, note, &err), KP_OK);
    CHECK(strncmp(note, "kapsule/test\n2\n", 15) == 0);
    kp_log_report rep;
    CHECK_EQ(kp_log_verify(e.st, NULL, NULL, NULL, &rep, &err), KP_OK);
    CHECK_EQ(rep.checkpoints, 2);
    /* a readable node key is refused */
    CHECK(chmod(path, 0644) == 0);
    CHECK_EQ(kp_ingest_checkpoint(e.in, note, &err), KP_E_KEY_PERMISSIONS);
    kp_capsule_free(c);
    kp_capsule_free(d);
    env_close(&e);
}

TEST(a_failed_unit_leaves_the_store_as_it_was)
{
    env e;
    env_open(&e, "failed_unit", 0);
    kp_capsule *c = pack(e.alice, "hello");
    kp_error err;
    /* make the capsule row fail after the log entry was appended */
    CHECK_EQ(store_exec(e.st, "CREATE TRIGGER no_posts BEFORE INSERT ON capsules"
                              " BEGIN SELECT RAISE(FAIL, 'disk on fire'); END", &err), KP_OK);
    int s = ingest(&e, c);
    CHECK(s < 0);
    CHECK_EQ(log_size(&e), 0);
    CHECK_EQ(store_exec(e.st, "DROP TRIGGER no_posts", &err), KP_OK);
    CHECK_EQ(ingest(&e, c), KP_INGEST_ACCEPTED);
    CHECK_EQ(log_size(&e), 1);
    kp_capsule_free(c);
    env_close(&e);
}

TEST(a_store_opened_through_a_named_vfs_ingests)
{
    /* the hook fault-injection tests use: any registered VFS by name */
    const char *dir = test_dir("vfs", 1);
    kp_store *st = NULL;
    kp_ingest *in = NULL;
    kp_error err;
    CHECK(sqlite3_vfs_find("unix-excl") != NULL);
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, store_migrations, store_migration_count,
                             "unix-excl", &st, &err), KP_OK);
    CHECK_EQ(kp_ingest_new(st, NULL, &in, &err), KP_OK);
    kp_key *k;
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &k, &err), KP_OK);
    kp_capsule *c = pack(k, "through a vfs");
    size_t len;
    const uint8_t *b = kp_capsule_bytes(c, &len);
    heard h;
    memset(&h, 0, sizeof h);
    CHECK_EQ(kp_ingest_capsule(in, b, len, on_result, &h, &err), KP_OK);
    CHECK_EQ(h.n, 1);
    CHECK_EQ(h.r[0].status, KP_INGEST_ACCEPTED);
    kp_capsule_free(c);
    kp_key_free(k);
    kp_ingest_free(in);
    kp_store_close(st);
}

TEST(a_destroyed_module_rejects_its_capsules)
{
    env e;
    env_open(&e, "destroyed", 0);
    uint8_t acc[32];
    add_module(&e, MOD_ACCEPT, sizeof MOD_ACCEPT, acc);
    kp_error err;
    CHECK_EQ(store_module_set_state(e.st, acc, STORE_MODULE_DESTROYED, NULL, &err), KP_OK);
    kp_capsule *a = pack_full(e.alice, "post", "a", NULL, 0, acc, NULL);
    CHECK_EQ(ingest(&e, a), KP_INGEST_REJECTED);
    CHECK_EQ(e.h.r[0].reason, KP_E_HOST_MODULE_STATE);
    kp_capsule_free(a);
    env_close(&e);
}

TEST(batch_misuse_and_read_only_stores)
{
    env e;
    env_open(&e, "misuse", 0);
    kp_error err;
    CHECK_EQ(kp_ingest_commit(e.in, &err), KP_E_STORE_TX);
    CHECK_EQ(kp_ingest_begin(e.in, &err), KP_OK);
    CHECK_EQ(kp_ingest_begin(e.in, &err), KP_E_STORE_TX);
    CHECK_EQ(kp_ingest_checkpoint(e.in, NULL, &err), KP_E_STORE_TX);
    kp_capsule *c = pack(e.alice, "batched, then dropped");
    CHECK_EQ(ingest(&e, c), -1); /* not heard: the batch never commits */
    /* freeing with the batch open rolls it back: nothing was acknowledged */
    kp_ingest_free(e.in);
    e.in = NULL;
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM capsules"), 0);
    CHECK_EQ(log_size(&e), 0);
    kp_store *ro;
    CHECK_EQ(kp_store_open(e.dir, KP_STORE_READONLY, &ro, &err), KP_OK);
    kp_ingest *in = NULL;
    CHECK_EQ(kp_ingest_new(ro, NULL, &in, &err), KP_E_STORE_READONLY);
    CHECK(in == NULL);
    kp_store_close(ro);
    kp_capsule_free(c);
    env_close(&e);
}

TEST(waiting_on_two_parents_and_a_module)
{
    env e;
    env_open(&e, "two_parents", 0);
    kp_capsule *p1 = pack(e.alice, "p1"), *p2 = pack(e.alice, "p2");
    uint8_t ps[2][32], acc[32];
    memcpy(ps[0], kp_capsule_id(p1), 32);
    memcpy(ps[1], kp_capsule_id(p2), 32);
    kp_module_id(MOD_ACCEPT, sizeof MOD_ACCEPT, acc);
    kp_capsule *c = pack_full(e.alice, "comment", "c", (const uint8_t(*)[32])ps, 2, acc, NULL);
    CHECK_EQ(ingest(&e, c), KP_INGEST_PENDING);
    CHECK_EQ(e.h.r[0].waiting, 3);
    /* one parent: released, still short of the other and the module */
    CHECK_EQ(ingest(&e, p2), KP_INGEST_ACCEPTED);
    CHECK_EQ(e.h.n, 3);
    CHECK_EQ(e.h.r[2].status, KP_INGEST_PENDING);
    CHECK_EQ(e.h.r[2].waiting, 2);
    CHECK_EQ(ingest(&e, p1), KP_INGEST_ACCEPTED);
    CHECK_EQ(e.h.r[4].status, KP_INGEST_PENDING);
    CHECK_EQ(e.h.r[4].waiting, 1);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM pending"), 1);
    add_module(&e, MOD_ACCEPT, sizeof MOD_ACCEPT, acc);
    CHECK_EQ(e.h.n, 6);
    CHECK_EQ(e.h.r[5].status, KP_INGEST_ACCEPTED);
    CHECK(e.h.r[5].released && e.h.r[5].has_run);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM pending"), 0);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM pending_waits"), 0);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM edges"), 2);
    kp_error err;
    CHECK_EQ(kp_runtime_verify(e.st, NULL, NULL, NULL, &err), KP_OK);
    kp_capsule_free(p1);
    kp_capsule_free(p2);
    kp_capsule_free(c);
    env_close(&e);
}

TEST(a_damaged_body_sent_to_a_local_key_is_rejected)
{
    env e;
    env_open(&e, "damaged", 1);
    kp_key *bob;
    kp_error err;
    CHECK_EQ(kp_key_load(e.dir, "bob", &bob, &err), KP_OK);
    char rb[KP_AGE_RECIPIENT_BYTES];
    kp_key_age_recipient(bob, rb);
    kp_capsule *good = pack_full(e.alice, "post", "secret", NULL, 0, NULL, rb);
    size_t blen;
    const uint8_t *body = kp_capsule_body(good, &blen);
    uint8_t *bad = malloc(blen);
    memcpy(bad, body, blen);
    bad[blen - 1] ^= 1; /* the last ciphertext byte: the header still parses */
    kp_capsule_pack_opts o;
    memset(&o, 0, sizeof o);
    o.type = "post";
    o.author = e.alice;
    o.body = bad;
    o.body_len = blen;
    o.body_is_age = 1;
    o.created = 1700000000;
    kp_capsule *c = NULL;
    CHECK_EQ(kp_capsule_pack(&o, NULL, &c, &err), KP_OK);
    CHECK_EQ(ingest(&e, c), KP_INGEST_REJECTED);
    CHECK(e.h.r[0].reason == KP_E_DECRYPT || e.h.r[0].reason == KP_E_AGE_PAYLOAD);
    CHECK(strstr(e.h.r[0].message, "bob") != NULL);
    CHECK_EQ(q_int(&e, "SELECT count(*) FROM capsules"), 0);
    CHECK_EQ(ingest(&e, good), KP_INGEST_ACCEPTED);
    free(bad);
    kp_capsule_free(c);
    kp_capsule_free(good);
    kp_key_free(bob);
    env_close(&e);
}

/* Issue 11, defect 2: inside a batch an outcome was heard as soon as the
   capsule ran, before anything was committed. Now fn hears the batch's
   outcomes at its commit, in order, and never those of a batch that was
   undone. */
TEST(defect2_a_batch_is_acknowledged_only_by_its_commit)
{
    env e;
    env_open(&e, "acks", 0);
    kp_error err;
    kp_capsule *a = pack(e.alice, "one"), *b = pack(e.alice, "two"), *c = pack(e.alice, "three");
    size_t len;
    const uint8_t *p;
    CHECK_EQ(kp_ingest_begin(e.in, &err), KP_OK);
    p = kp_capsule_bytes(a, &len);
    CHECK_EQ(kp_ingest_capsule(e.in, p, len, on_result, &e.h, &err), KP_OK);
    p = kp_capsule_bytes(b, &len);
    CHECK_EQ(kp_ingest_capsule(e.in, p, len, on_result, &e.h, &err), KP_OK);
    CHECK_EQ(e.h.n, 0); /* nothing is durable yet */
    CHECK_EQ(kp_ingest_commit(e.in, &err), KP_OK);
    CHECK_EQ(e.h.n, 2);
    CHECK(memcmp(e.h.r[0].id, kp_capsule_id(a), 32) == 0);
    CHECK(memcmp(e.h.r[1].id, kp_capsule_id(b), 32) == 0);
    CHECK_EQ(e.h.r[1].status, KP_INGEST_ACCEPTED);
    CHECK(e.h.r[0].log_index < e.h.r[1].log_index);
    /* a batch that is never committed is never heard, and its log index
       is handed out again to the next capsule */
    uint64_t next = log_size(&e);
    CHECK_EQ(kp_ingest_begin(e.in, &err), KP_OK);
    p = kp_capsule_bytes(c, &len);
    CHECK_EQ(kp_ingest_capsule(e.in, p, len, on_result, &e.h, &err), KP_OK);
    kp_ingest_free(e.in);
    e.in = NULL;
    CHECK_EQ(e.h.n, 2);
    CHECK_EQ(log_size(&e), next);
    /* outside a batch, heard once committed, before the call returns */
    kp_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.now = 1700000000;
    CHECK_EQ(kp_ingest_new(e.st, &o, &e.in, &err), KP_OK);
    CHECK_EQ(ingest(&e, c), KP_INGEST_ACCEPTED);
    CHECK_EQ(e.h.r[2].log_index, next);
    kp_capsule_free(a);
    kp_capsule_free(b);
    kp_capsule_free(c);
    env_close(&e);
}

/* Issue 11, defect 9: trying every stanza with every local key cost ~4
   CPU-s for a 1,024-stanza body on a node of 100 keys. Past
   KP_INGEST_UNWRAP_MAX stanza x key pairs the body is refused unread. */
TEST(defect9_stanzas_times_keys_is_bounded)
{
    env e;
    env_open(&e, "stanzas", 1); /* one local key, bob */
    kp_error err;
    kp_key *k;
    CHECK_EQ(kp_key_new(e.dir, "carol", KP_ALG_ED25519, &k, &err), KP_OK);
    kp_key_free(k);
    CHECK_EQ(kp_key_new(e.dir, "dave", KP_ALG_ED25519, &k, &err), KP_OK);
    kp_key_free(k);
    kp_ingest_free(e.in);
    kp_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.now = 1700000000;
    CHECK_EQ(kp_ingest_new(e.st, &o, &e.in, &err), KP_OK); /* now with three keys */
    enum { MANY = KP_INGEST_UNWRAP_MAX / 3 + 1 };
    static char rcpt[MANY][KP_AGE_RECIPIENT_BYTES];
    static const char *to[MANY];
    for (int i = 0; i < MANY; i++) {
        CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &k, &err), KP_OK);
        kp_key_age_recipient(k, rcpt[i]);
        kp_key_free(k);
        to[i] = rcpt[i];
    }
    kp_capsule_pack_opts po;
    memset(&po, 0, sizeof po);
    po.type = "post";
    po.author = e.alice;
    po.body = (const uint8_t *)"for many";
    po.body_len = 8;
    po.created = 1700000000;
    po.to = to;
    po.to_count = MANY;
    kp_capsule *c = NULL;
    CHECK_EQ(kp_capsule_pack(&po, NULL, &c, &err), KP_OK);
    CHECK_EQ(ingest(&e, c), KP_INGEST_REJECTED);
    CHECK_EQ(e.h.r[e.h.n - 1].reason, KP_E_AGE_WORK);
    kp_capsule_free(c);
    /* one stanza fewer than the bound is tried as usual (sealed: not ours) */
    po.to_count = MANY - 1;
    po.created++;
    CHECK_EQ(kp_capsule_pack(&po, NULL, &c, &err), KP_OK);
    CHECK_EQ(ingest(&e, c), KP_INGEST_ACCEPTED);
    CHECK_EQ(e.h.r[e.h.n - 1].body, KP_INGEST_BODY_SEALED);
    kp_capsule_free(c);
    env_close(&e);
}
