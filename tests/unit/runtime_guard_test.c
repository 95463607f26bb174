/*
 * runtime_guard_test.c: issue 11, defects 4 to 7 and 11, each a test named
 * after it. What a store must refuse to become: a registry of modules
 * that are not modules (4), a silently new store under a node key that
 * has signed a longer log (5), a store still written after it failed its
 * check (6), and one whose modules or result reasons changed unseen (7).
 */
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbor/cbor.h"
#include "runtime/runtime.h"
#include "store/db.h"
#include "test.h"
#include "testdir.h"
#include "util/error.h"

/* Modules with no imports: kapsule_run returns 0 (accept) or 1 (reject). */
#define MOD(body...)                                                                     \
    {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 15, 1, 11, 'k', \
     'a', 'p', 's', 'u', 'l', 'e', '_', 'r', 'u', 'n', 0, 0, 10, body}
static const uint8_t MOD_ACCEPT[] = MOD(6, 1, 4, 0, 0x41, 0, 0x0b);

static kp_store *open_rw(const char *dir)
{
    kp_store *st = NULL;
    kp_error e;
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e)) {
        printf("# open %s: %s\n", dir, e.msg);
        abort();
    }
    return st;
}

static kp_ingest *pipeline(kp_store *st)
{
    kp_ingest *in = NULL;
    kp_ingest_opts o;
    kp_error e;
    memset(&o, 0, sizeof o);
    o.now = 1700000000;
    o.origin = "kapsule/guard-test";
    o.no_keys = 1;
    if (kp_ingest_new(st, &o, &in, &e)) {
        printf("# pipeline: %s\n", e.msg);
        abort();
    }
    return in;
}

static int64_t q_int(kp_store *st, const char *sql)
{
    sqlite3_stmt *s;
    int64_t v = -1;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) return -2;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* ---- 4: modules add stores anything ------------------------------------------------ */

TEST(issue11_4_module_add_refuses_what_is_not_a_module)
{
    kp_store *st = open_rw(test_dir("mod-refuse", 1));
    kp_ingest *in = pipeline(st);
    kp_error e;
    uint8_t id[32];
    static const uint8_t junk[] = "not wasm at all";
    static const uint8_t truncated[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5};
    const struct {
        const uint8_t *p;
        size_t n;
    } bad[] = {{(const uint8_t *)"", 0}, {junk, sizeof junk - 1}, {truncated, sizeof truncated},
               {MOD_ACCEPT, sizeof MOD_ACCEPT - 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = kp_ingest_module_add(in, bad[i].p, bad[i].n, KP_ALG_NONE, NULL, 0, id, NULL,
                                      NULL, NULL, &e);
        /* the engine's own stable codes: 100..299 */
        CHECK_MSG(rc >= 100 && rc < 300, "input %zu: got %d (%s)", i, rc, e.msg);
        CHECK_EQ(e.code, rc);
    }
    CHECK_EQ(q_int(st, "SELECT count(*) FROM modules"), 0);
    CHECK_EQ(q_int(st, "SELECT count(*) FROM log_entries"), 0);
    /* a real one still goes in */
    int added = 0;
    CHECK_EQ(kp_ingest_module_add(in, MOD_ACCEPT, sizeof MOD_ACCEPT, KP_ALG_NONE, NULL, 0, id,
                                  &added, NULL, NULL, &e),
             KP_OK);
    CHECK_EQ(added, 1);
    kp_ingest_free(in);
    kp_store_close(st);
}

typedef struct skipped {
    int n;
    int code;
    uint8_t id[32];
} skipped;

static void on_skip(void *ud, const uint8_t id[KP_ID_BYTES], int code, const char *msg)
{
    skipped *s = ud;
    (void)msg;
    s->n++;
    s->code = code;
    memcpy(s->id, id, 32);
}

TEST(issue11_4_export_skips_a_bad_module_row_of_an_old_store)
{
    kp_store *st = open_rw(test_dir("mod-export", 1));
    kp_ingest *in = pipeline(st);
    kp_error e;
    uint8_t good[32], empty[32];
    int added;
    CHECK_EQ(kp_ingest_module_add(in, MOD_ACCEPT, sizeof MOD_ACCEPT, KP_ALG_NONE, NULL, 0, good,
                                  NULL, NULL, NULL, &e),
             KP_OK);
    /* what an older kapsule let in: an empty module, straight into the table */
    CHECK_EQ(store_module_add(st, (const uint8_t *)"", 0, 0, NULL, 0, 1, empty, &added, &e), KP_OK);
    CHECK_EQ(added, 1);
    uint8_t *snap = NULL;
    size_t len = 0;
    skipped sk;
    memset(&sk, 0, sizeof sk);
    CHECK_MSG(kp_snapshot_export_with(st, 0, on_skip, &sk, &snap, &len, &e) == KP_OK, "%s", e.msg);
    CHECK_EQ(sk.n, 1);
    CHECK(memcmp(sk.id, empty, 32) == 0);
    CHECK(sk.code >= 100 && sk.code < 300);
    kp_snapshot *s = NULL;
    CHECK_MSG(kp_snapshot_parse(snap, len, &s, &e) == KP_OK, "%s", e.msg);
    CHECK_EQ(kp_snapshot_header(s)->modules, 1);
    kp_snapshot_module m;
    CHECK(kp_snapshot_module_at(s, 0, &m));
    CHECK(memcmp(m.id, good, 32) == 0);
    kp_snapshot_free(s);
    kp_snapshot_bytes_free(snap, len);
    kp_ingest_free(in);
    kp_store_close(st);
}

/* ---- 5: a missing or empty store.db is silently a new store ------------------------ */

/* A store with a module and a signed checkpoint (so node.key exists), closed. */
static void signed_store(const char *dir)
{
    kp_store *st = open_rw(dir);
    kp_ingest *in = pipeline(st);
    kp_error e;
    uint8_t id[32];
    if (kp_ingest_module_add(in, MOD_ACCEPT, sizeof MOD_ACCEPT, KP_ALG_NONE, NULL, 0, id, NULL,
                             NULL, NULL, &e) ||
        kp_ingest_checkpoint(in, NULL, &e)) {
        printf("# signed store: %s\n", e.msg);
        abort();
    }
    kp_ingest_free(in);
    kp_store_close(st);
}

static void rm_db(const char *dir)
{
    char p[600];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/store.db%s", dir, suffix[i]);
        unlink(p);
    }
}

static int exists(const char *dir, const char *name)
{
    char p[600];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0;
}

TEST(issue11_5_missing_or_empty_db_beside_the_node_key_is_no_new_store)
{
    const char *dir = test_dir("forked", 1);
    signed_store(dir);
    CHECK(exists(dir, "node.key"));
    kp_store *st = NULL;
    kp_error e;
    unsigned flags[] = {KP_STORE_CREATE, 0, KP_STORE_READONLY};
    /* deleted */
    rm_db(dir);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(kp_store_open(dir, flags[i], &st, &e), KP_E_STORE_MISSING);
        CHECK_MSG(strstr(e.msg, "backup") && strstr(e.msg, "snapshot") &&
                      !strstr(e.msg, "upgrade"),
                  "%s", e.msg);
        CHECK(!exists(dir, "store.db"));
    }
    /* truncated to nothing */
    char p[600];
    snprintf(p, sizeof p, "%s/store.db", dir);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    fclose(f);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(kp_store_open(dir, flags[i], &st, &e), KP_E_STORE_MISSING);
        CHECK_MSG(strstr(e.msg, "empty") && strstr(e.msg, "backup"), "%s", e.msg);
    }
    struct stat sb;
    CHECK(stat(p, &sb) == 0 && sb.st_size == 0); /* nothing was written into it */
    /* without the node key, the folder is just empty and may get a store */
    snprintf(p, sizeof p, "%s/node.key", dir);
    CHECK(unlink(p) == 0);
    CHECK_EQ(kp_store_open(dir, KP_STORE_READONLY, &st, &e), KP_E_STORE_MISSING);
    CHECK(!strstr(e.msg, "upgrade"));
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &st, &e), KP_OK);
    kp_store_close(st);
}

TEST(issue11_5_an_old_store_read_only_is_told_how_to_upgrade_safely)
{
    const char *dir = test_dir("old", 1);
    kp_store *st = NULL;
    kp_error e;
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, store_migrations, 1, NULL, &st, &e), KP_OK);
    kp_store_close(st);
    CHECK_EQ(kp_store_open(dir, KP_STORE_READONLY, &st, &e), KP_E_STORE_OLD);
    CHECK_MSG(strstr(e.msg, "keeping its data") && !strstr(e.msg, "read-write once"), "%s", e.msg);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_OK);
    CHECK_EQ(kp_store_schema_version(st), (int)store_migration_count);
    kp_store_close(st);
}

/* ---- 6: ingest keeps writing into a store found corrupt ---------------------------- */

static int exec_sql(kp_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* Every write path refuses with E_STORE_CORRUPT; nothing is appended. */
static void check_refused(kp_store *st)
{
    kp_error e;
    uint64_t before = (uint64_t)q_int(st, "SELECT count(*) FROM log_entries"), bal;
    kp_ingest *in = pipeline(st);
    uint8_t id[32], acct[32];
    memset(acct, 0, sizeof acct);
    kp_key *k = NULL;
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &k, &e), KP_OK);
    size_t pklen;
    memcpy(acct, kp_key_public(k, &pklen), 32);
    kp_key_free(k);
    static const uint8_t other[] = MOD(6, 1, 4, 0, 0x41, 1, 0x0b);
    CHECK_EQ(kp_ingest_module_add(in, other, sizeof other, KP_ALG_NONE, NULL, 0, id, NULL, NULL,
                                  NULL, &e),
             KP_E_STORE_CORRUPT);
    CHECK_MSG(strstr(e.msg, "quarantined") && strstr(e.msg, "log verify"), "%s", e.msg);
    CHECK_EQ(kp_ledger_credit(st, acct, 32, 5, &bal, NULL, &e), KP_E_STORE_CORRUPT);
    CHECK_EQ(kp_ingest_checkpoint(in, NULL, &e), KP_E_STORE_CORRUPT);
    CHECK_EQ(kp_ingest_begin(in, &e), KP_E_STORE_CORRUPT);
    CHECK_EQ(kp_ingest_capsule(in, (const uint8_t *)"\xff", 1, NULL, NULL, &e),
             KP_E_STORE_CORRUPT);
    CHECK_EQ(q_int(st, "SELECT count(*) FROM log_entries"), (int64_t)before);
    kp_ingest_free(in);
}

TEST(issue11_6_a_quarantined_store_refuses_every_write_until_lifted)
{
    const char *dir = test_dir("quarantine", 1);
    signed_store(dir);
    kp_store *st = open_rw(dir);
    kp_error e;
    int code = -1, cleared = 0;
    char why[KP_ERROR_MSG_BYTES];
    CHECK_EQ(kp_store_quarantined(st, &code, why, &e), KP_OK);
    CHECK_EQ(code, 0);
    CHECK_EQ(kp_store_quarantine(st, KP_E_INGEST_TAMPERED, "capsule x: bytes changed", &e), KP_OK);
    check_refused(st);
    kp_store_close(st);
    /* the mark survives a reopen */
    st = open_rw(dir);
    CHECK_EQ(kp_store_quarantined(st, &code, why, &e), KP_OK);
    CHECK_EQ(code, KP_E_INGEST_TAMPERED);
    CHECK(strstr(why, "bytes changed") != NULL);
    check_refused(st);
    kp_store_close(st);
    /* forced: writes go through, the mark stays */
    CHECK_EQ(kp_store_open(dir, KP_STORE_FORCE, &st, &e), KP_OK);
    kp_ingest *in = pipeline(st);
    CHECK_EQ(kp_ingest_capsule(in, (const uint8_t *)"\xff", 1, NULL, NULL, &e), KP_OK);
    kp_ingest_free(in);
    CHECK_EQ(kp_store_quarantined(st, &code, NULL, &e), KP_OK);
    CHECK_EQ(code, KP_E_INGEST_TAMPERED);
    kp_store_close(st);
    /* lifted (what a passing log verify does): writes go through */
    st = open_rw(dir);
    CHECK_EQ(kp_store_quarantine_clear(st, &cleared, &e), KP_OK);
    CHECK_EQ(cleared, 1);
    in = pipeline(st);
    CHECK_EQ(kp_ingest_capsule(in, (const uint8_t *)"\xff", 1, NULL, NULL, &e), KP_OK);
    CHECK_EQ(kp_ingest_checkpoint(in, NULL, &e), KP_OK);
    kp_ingest_free(in);
    kp_store_close(st);
    /* a read-only store cannot be marked */
    CHECK_EQ(kp_store_open(dir, KP_STORE_READONLY, &st, &e), KP_OK);
    CHECK_EQ(kp_store_quarantine(st, KP_E_INGEST_TAMPERED, "x", &e), KP_E_STORE_READONLY);
    kp_store_close(st);
}

TEST(issue11_6_a_log_shorter_than_its_signed_checkpoint_is_quarantined_on_open)
{
    const char *dir = test_dir("cut", 1);
    signed_store(dir);
    kp_store *st = open_rw(dir);
    kp_error e;
    int code = -1;
    /* an attacker's cut: the triggers dropped, the last entry removed */
    CHECK_EQ(exec_sql(st, "DROP TRIGGER log_entries_no_delete; DROP TRIGGER log_nodes_no_delete;"
                          "DELETE FROM log_nodes; DELETE FROM log_entries;"),
             SQLITE_OK);
    kp_store_close(st);
    st = open_rw(dir);
    CHECK_EQ(kp_store_quarantined(st, &code, NULL, &e), KP_OK);
    CHECK_EQ(code, KP_E_LOG_CHECKPOINT);
    check_refused(st);
    kp_store_close(st);
    /* a read-only open reads on (and log verify will say what is wrong) */
    CHECK_EQ(kp_store_open(dir, KP_STORE_READONLY, &st, &e), KP_OK);
    kp_store_close(st);
}

/* ---- 7: tampering outside the log goes unseen -------------------------------------- */

typedef struct seen {
    int n, module, reason;
} seen;

static void on_problem(void *ud, const kp_log_problem *p)
{
    seen *s = ud;
    s->n++;
    if (p->place == KP_LOG_AT_MODULE) s->module++;
    if (p->place == KP_LOG_AT_RESULT && strstr(p->msg, "another reason")) s->reason++;
}

/* A store holding an accepted capsule whose logic ran (a results row). */
static void run_store(const char *dir)
{
    kp_store *st = open_rw(dir);
    kp_ingest *in = pipeline(st);
    kp_error e;
    uint8_t mid[32];
    kp_key *k = NULL;
    kp_capsule *c = NULL;
    if (kp_ingest_module_add(in, MOD_ACCEPT, sizeof MOD_ACCEPT, KP_ALG_NONE, NULL, 0, mid, NULL,
                             NULL, NULL, &e) ||
        kp_key_generate(KP_ALG_ED25519, &k, &e))
        abort();
    kp_capsule_pack_opts o;
    memset(&o, 0, sizeof o);
    o.type = "post";
    o.author = k;
    o.body = (const uint8_t *)"hi";
    o.body_len = 2;
    o.logic = mid;
    o.created = 1700000000;
    size_t len;
    if (kp_capsule_pack(&o, NULL, &c, &e)) abort();
    const uint8_t *bytes = kp_capsule_bytes(c, &len);
    if (kp_ingest_capsule(in, bytes, len, NULL, NULL, &e) || kp_ingest_checkpoint(in, NULL, &e))
        abort();
    kp_capsule_free(c);
    kp_key_free(k);
    kp_ingest_free(in);
    kp_store_close(st);
}

static int verify(kp_store *st, seen *s)
{
    kp_error e;
    memset(s, 0, sizeof *s);
    return kp_runtime_verify(st, on_problem, s, NULL, &e);
}

TEST(issue11_7_a_module_whose_code_changed_is_reported)
{
    const char *dir = test_dir("mod-tamper", 1);
    run_store(dir);
    kp_store *st = open_rw(dir);
    seen s;
    CHECK_EQ(verify(st, &s), KP_OK);
    CHECK_EQ(q_int(st, "SELECT count(*) FROM results"), 1);
    CHECK_EQ(exec_sql(st, "DROP TRIGGER modules_code_fixed;"
                          "UPDATE modules SET code = X'0061736d0100000000'"),
             SQLITE_OK);
    CHECK_EQ(verify(st, &s), KP_E_INGEST_TAMPERED);
    CHECK_EQ(s.module, 1);
    kp_store_close(st);
}

TEST(issue11_7_a_result_whose_reason_changed_is_reported)
{
    const char *dir = test_dir("reason-tamper", 1);
    run_store(dir);
    kp_store *st = open_rw(dir);
    seen s;
    CHECK_EQ(verify(st, &s), KP_OK);
    CHECK_EQ(exec_sql(st, "DROP TRIGGER results_no_update;"
                          "UPDATE results SET reason = 'approved by the moderators'"),
             SQLITE_OK);
    CHECK_EQ(verify(st, &s), KP_E_INGEST_TAMPERED);
    CHECK_EQ(s.reason, 1);
    kp_store_close(st);
}

/* The entry format: runs are version 2 and commit to the reason; a version
   1 run (an older store) still decodes, without it; a version 2 run
   without it is malformed. */
TEST(issue11_7_entries_commit_to_the_reason_and_old_ones_still_read)
{
    rt_entry x, d;
    buf b = {0};
    kp_error e;
    memset(&x, 0, sizeof x);
    x.decision = "accepted";
    x.has_capsule = 1;
    x.has_run = 1;
    x.verdict = 1;
    x.fuel = 7;
    rt_reason_hash("looks fine", x.reason_hash);
    CHECK_EQ(rt_entry_encode(&x, &b, &e), KP_OK);
    CHECK_EQ(rt_entry_decode(b.p, b.len, &d, &e), KP_OK);
    CHECK_EQ(d.version, 2);
    CHECK(d.has_reason_hash && memcmp(d.reason_hash, x.reason_hash, 32) == 0);
    /* no run: still version 1, byte for byte as before */
    x.has_run = 0;
    b.len = 0;
    CHECK_EQ(rt_entry_encode(&x, &b, &e), KP_OK);
    CHECK_EQ(rt_entry_decode(b.p, b.len, &d, &e), KP_OK);
    CHECK_EQ(d.version, 1);
    /* {"v": 1 or 2, "run": {... no "reason"}, ...} */
    cbor_enc c;
    for (int v = 1; v <= 2; v++) {
        b.len = 0;
        cbor_enc_init(&c, &b);
        cbor_begin_map(&c);
        cbor_put_str(&c, "v");
        cbor_put_uint(&c, (uint64_t)v);
        cbor_put_str(&c, "decision");
        cbor_put_str(&c, "accepted");
        cbor_put_str(&c, "sha256");
        cbor_put_bytes(&c, x.sha256, 32);
        cbor_put_str(&c, "run");
        cbor_begin_map(&c);
        cbor_put_str(&c, "module");
        cbor_put_bytes(&c, x.module, 32);
        cbor_put_str(&c, "verdict");
        cbor_put_str(&c, "accept");
        cbor_put_str(&c, "fuel");
        cbor_put_uint(&c, 7);
        cbor_put_str(&c, "transcript");
        cbor_put_bytes(&c, x.transcript, 32);
        cbor_put_str(&c, "policy");
        cbor_put_bytes(&c, x.policy, 32);
        cbor_end(&c);
        cbor_end(&c);
        CHECK_EQ(cbor_enc_finish(&c, &e), KP_OK);
        int rc = rt_entry_decode(b.p, b.len, &d, &e);
        if (v == 1) {
            CHECK_EQ(rc, KP_OK);
            CHECK_EQ(d.has_reason_hash, 0);
        } else {
            CHECK_EQ(rc, KP_E_INGEST_ENTRY);
        }
    }
    buf_free(&b);
}

/* ---- 11: the small ones ------------------------------------------------------------- */

TEST(issue11_11_a_small_order_key_is_no_ledger_account)
{
    kp_store *st = open_rw(test_dir("weak-account", 1));
    kp_error e;
    uint64_t bal;
    uint8_t weak[32], minus_one[32];
    memset(weak, 0, 32);
    weak[0] = 1; /* y = 1: the neutral point, order 1 */
    memset(minus_one, 0xff, 32);
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f; /* y = -1: order 2 */
    CHECK_EQ(kp_ledger_credit(st, weak, 32, 10, &bal, NULL, &e), KP_E_LEDGER_ACCOUNT);
    CHECK_EQ(kp_ledger_credit(st, minus_one, 32, 10, &bal, NULL, &e), KP_E_LEDGER_ACCOUNT);
    CHECK_EQ(kp_ledger_credit(st, (const uint8_t *)"alice", 5, 10, &bal, NULL, &e),
             KP_E_LEDGER_ACCOUNT);
    CHECK_EQ(q_int(st, "SELECT count(*) FROM log_entries"), 0);
    kp_key *k = NULL;
    size_t n;
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &k, &e), KP_OK);
    CHECK_EQ(kp_ledger_credit(st, kp_key_public(k, &n), 32, 10, &bal, NULL, &e), KP_OK);
    kp_key_free(k);
    CHECK_EQ(kp_key_generate(KP_ALG_P256, &k, &e), KP_OK);
    const uint8_t *pk = kp_key_public(k, &n);
    CHECK_EQ(kp_ledger_credit(st, pk, n, 10, &bal, NULL, &e), KP_OK);
    kp_key_free(k);
    /* nor a budget's account in a policy */
    char pol[512];
    kp_policy *p = NULL;
    snprintf(pol, sizeof pol,
             "{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": "
             "[{\"name\": \"ledger\", \"budget\": 5, \"account\": \"01%062d\"}]}]}",
             0);
    CHECK_EQ(kp_policy_parse((const uint8_t *)pol, strlen(pol), &p, &e), KP_E_POLICY_FIELD);
    kp_store_close(st);
}

static int parse_policy(const char *grant, kp_error *e)
{
    char pol[600];
    kp_policy *p = NULL;
    snprintf(pol, sizeof pol, "{\"kapsule_policy\": 1, \"grants\": [%s]}", grant);
    int rc = kp_policy_parse((const uint8_t *)pol, strlen(pol), &p, e);
    kp_policy_free(p);
    return rc;
}

TEST(issue11_11_a_grant_for_a_type_no_capsule_can_have_is_refused)
{
    kp_error e;
    static const char *const bad[] = {"Post", "post!", "1post", "po st",
                                      "a0123456789012345678901234567890123456789012345678901234567890123"};
    char g[300];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(g, sizeof g, "{\"module\": \"*\", \"type\": \"%s\", \"capabilities\": []}", bad[i]);
        CHECK_MSG(parse_policy(g, &e) == KP_E_POLICY_FIELD, "type %s: %s", bad[i], e.msg);
        CHECK(strcmp(e.field, "grants[0].type") == 0);
    }
    CHECK_EQ(parse_policy("{\"module\": \"*\", \"type\": \"blocklist.update\", \"capabilities\": []}",
                          &e),
             KP_OK);
    CHECK_EQ(parse_policy("{\"module\": \"*\", \"type\": \"*\", \"capabilities\": []}", &e), KP_OK);
}

TEST(issue11_11_upper_case_hex_in_a_policy_is_refused)
{
    kp_error e;
    CHECK_EQ(parse_policy("{\"module\": \"AA00000000000000000000000000000000000000000000000000000000"
                          "000000\", \"capabilities\": []}",
                          &e),
             KP_E_POLICY_FIELD);
    CHECK_MSG(strstr(e.msg, "lower case") != NULL, "%s", e.msg);
    CHECK_EQ(parse_policy("{\"module\": \"aa00000000000000000000000000000000000000000000000000000000"
                          "000000\", \"capabilities\": []}",
                          &e),
             KP_OK);
    CHECK_EQ(parse_policy("{\"module\": \"*\", \"author\": \"8A88E3DD7409F195FD52DB2D3CBA5D72CA6709BF"
                          "1D94121BF3748801B40F6F5C\", \"capabilities\": []}",
                          &e),
             KP_E_POLICY_FIELD);
    CHECK_EQ(parse_policy("{\"module\": \"*\", \"author\": \"8a88e3dd7409f195fd52db2d3cba5d72ca6709bf"
                          "1d94121bf3748801b40f6f5c\", \"capabilities\": []}",
                          &e),
             KP_OK);
}

TEST(issue11_11_every_oversized_input_is_logged_the_same_way)
{
    kp_store *a = open_rw(test_dir("big-a", 1)), *b = open_rw(test_dir("big-b", 1));
    kp_ingest *ia = pipeline(a), *ib = pipeline(b);
    kp_error e;
    size_t big = KP_CAPSULE_MAX_BYTES + 1;
    uint8_t *huge = calloc(1, big), h[32];
    CHECK(huge != NULL);
    huge[7] = 42;
    CHECK_EQ(kp_ingest_capsule(ia, huge, big, NULL, NULL, &e), KP_OK);
    crypto_hash_sha256(h, huge, big);
    free(huge);
    CHECK_EQ(kp_ingest_oversize(ib, h, big, NULL, NULL, &e), KP_OK);
    CHECK_EQ(kp_ingest_oversize(ib, h, KP_CAPSULE_MAX_BYTES, NULL, NULL, &e), KP_E_ARG);
    uint8_t ea[512], eb[512];
    size_t la = 0, lb = 0;
    CHECK_EQ(kp_log_entry(a, 0, ea, sizeof ea, &la, &e), KP_OK);
    CHECK_EQ(kp_log_entry(b, 0, eb, sizeof eb, &lb, &e), KP_OK);
    CHECK(la == lb && memcmp(ea, eb, la) == 0);
    rt_entry d;
    CHECK_EQ(rt_entry_decode(eb, lb, &d, &e), KP_OK);
    CHECK(strcmp(d.decision, "rejected") == 0);
    CHECK(d.reason_len == strlen("E_CAPSULE_LIMIT") && memcmp(d.reason, "E_CAPSULE_LIMIT", d.reason_len) == 0);
    CHECK(memcmp(d.sha256, h, 32) == 0);
    kp_ingest_free(ia);
    kp_ingest_free(ib);
    kp_store_close(a);
    kp_store_close(b);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char chunk[65536];
    size_t n;
    if (!a || !b) abort();
    while ((n = fread(chunk, 1, sizeof chunk, a)) > 0)
        if (fwrite(chunk, 1, n, b) != n) abort();
    fclose(a);
    if (fclose(b) != 0) abort();
}

TEST(issue11_6_an_older_copy_of_the_database_put_back_is_quarantined_on_open)
{
    const char *dir = test_dir("restored", 1);
    char db[600], keep[600];
    signed_store(dir); /* closed: its WAL is checkpointed into store.db */
    snprintf(db, sizeof db, "%s/store.db", dir);
    snprintf(keep, sizeof keep, "%s.bak", test_dir("restored-backup", 1));
    copy_file(db, keep);
    /* the node goes on: a capsule and a checkpoint of size 2 */
    kp_store *st = open_rw(dir);
    kp_ingest *in = pipeline(st);
    kp_error e;
    CHECK_EQ(kp_ingest_capsule(in, (const uint8_t *)"\xff", 1, NULL, NULL, &e), KP_OK);
    CHECK_EQ(kp_ingest_checkpoint(in, NULL, &e), KP_OK);
    kp_ingest_free(in);
    kp_store_close(st);
    CHECK(exists(dir, "node.head"));
    /* the backup (size 1) put back: appending to it would sign another
       tree of size 2 under the same key */
    rm_db(dir);
    copy_file(keep, db);
    st = open_rw(dir);
    int code = 0;
    char why[KP_ERROR_MSG_BYTES];
    CHECK_EQ(kp_store_quarantined(st, &code, why, &e), KP_OK);
    CHECK_EQ(code, KP_E_LOG_CHECKPOINT);
    CHECK_MSG(strstr(why, "older copy") != NULL, "%s", why);
    check_refused(st);
    kp_store_close(st);
}
