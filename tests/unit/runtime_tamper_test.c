/*
 * runtime_tamper_test.c: a store changed behind kapsule's back is caught.
 * On a small store (a module, capsules with and without logic, results
 * with result bytes, a pending capsule, three checkpoints) every byte of
 * every stored capsule's bytes, of every log entry, of every result's
 * result bytes and of every checkpoint note is changed in turn (in a copy,
 * with the triggers dropped first as an attacker would) and kp_log_verify
 * or kp_runtime_verify must report it at the right place (capsule, entry,
 * result, checkpoint). The sweep is full, not sampled: the store is small
 * enough (a few thousand bytes, a few seconds). Then the database as
 * shipped refuses UPDATE, DELETE and REPLACE on the log's tables and on
 * capsules, edges and results, and a capsule's columns and edges, read
 * from its bytes, must agree with them. Pending capsules' bytes are not vouched for
 * by the log (they are re-verified when released), so they are not swept.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "testdir.h"
#include "hosttest.h"
#include "ingestkit.h"
#include "store/db.h"

static kp_policy *pol;

/* The small store, closed, in dir. */
static void make_store(const char *dir)
{
    kp_store *st;
    kp_error e;
    kp_key *alice, *bob;
    size_t blen = 0, pklen = 0, n;
    uint8_t bl[32], body[64];
    char note[KP_LOG_NOTE_MAX];
    ik_caps root, upd, ok, spam, orphan, ghost, tr1, tr2;
    size_t tlen = 0;
    uint8_t tm[32];
    uint8_t *wasm = ht_guest("blocklist", &blen), *twasm = ht_guest("trust", &tlen);
    if (!wasm || !twasm) abort();
    if (kp_key_generate(KP_ALG_ED25519, &alice, &e) || kp_key_generate(KP_ALG_ED25519, &bob, &e))
        abort();
    kp_module_id(wasm, blen, bl);
    int bad = ik_pack_text(alice, "post", "the root", NULL, 0, NULL, 1, &root);
    n = ik_update_body("spam", body);
    bad |= ik_pack(alice, "blocklist.update", body, n, NULL, 0, bl, 2, &upd);
    bad |= ik_pack_text(bob, "comment", "fine", (const uint8_t(*)[32])root.id, 1, bl, 3, &ok);
    bad |= ik_pack_text(bob, "comment", "spam", (const uint8_t(*)[32])root.id, 1, bl, 4, &spam);
    bad |= ik_pack_text(bob, "post", "never comes", NULL, 0, NULL, 5, &ghost);
    bad |= ik_pack_text(bob, "comment", "waits", (const uint8_t(*)[32])ghost.id, 1, NULL, 6,
                        &orphan);
    const uint8_t *bpk = kp_key_public(bob, &pklen);
    kp_module_id(twasm, tlen, tm);
    n = ik_trust_body(bpk, 5, body);
    bad |= ik_pack(alice, "trust", body, n, NULL, 0, tm, 7, &tr1);
    n = ik_trust_body(bl, 3, body); /* any 32 bytes will do as a key */
    bad |= ik_pack(bob, "trust", body, n, NULL, 0, tm, 8, &tr2);
    if (bad) abort();
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e)) abort();
    kp_ingest *in = ik_pipeline(st, &pol, &e);
    if (!in) abort();
    const uint8_t *pk = kp_key_public(alice, &pklen);
    if (kp_ingest_module_add(in, wasm, blen, kp_key_get_alg(alice), pk, pklen, bl, NULL, NULL,
                             NULL, &e))
        abort();
    if (kp_ingest_module_add(in, twasm, tlen, kp_key_get_alg(alice), pk, pklen, tm, NULL, NULL,
                             NULL, &e))
        abort();
    const ik_caps *seq[] = {&root, &upd, &ok, &spam, &orphan, &tr1, &tr2};
    for (size_t i = 0; i < 7; i++) {
        if (kp_ingest_capsule(in, seq[i]->bytes, seq[i]->len, NULL, NULL, &e)) abort();
        if (i % 2 == 0 && kp_ingest_checkpoint(in, note, &e)) abort();
    }
    kp_ingest_free(in);
    kp_store_close(st);
    kp_key_free(alice);
    kp_key_free(bob);
    free(wasm);
    free(twasm);
    ik_caps *all[] = {&root, &upd, &ok, &spam, &orphan, &ghost, &tr1, &tr2};
    for (size_t i = 0; i < 8; i++) free(all[i]->bytes);
}

/* The places reported by either verifier for the current state. */
typedef struct seen {
    unsigned places; /* bit per kp_log_place */
    uint64_t problems;
} seen;

static void on_problem(void *ud, const kp_log_problem *p)
{
    seen *s = ud;
    s->places |= 1u << p->place;
    s->problems++;
}

static int verify_all(kp_store *st, seen *s)
{
    kp_error e;
    memset(s, 0, sizeof *s);
    int a = kp_log_verify(st, NULL, on_problem, s, NULL, &e);
    int b = kp_runtime_verify(st, on_problem, s, NULL, &e);
    return a != KP_OK ? a : b;
}

static int exec(kp_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* The attacker's first step: 0, or -1 when there was nothing to drop. */
static int drop_triggers(kp_store *st)
{
    sqlite3_stmt *q;
    char drops[8192] = "";
    size_t off = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT name FROM sqlite_schema WHERE type = 'trigger'", -1,
                           &q, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(q) == SQLITE_ROW && off < sizeof drops)
        off += (size_t)snprintf(drops + off, sizeof drops - off, "DROP TRIGGER \"%s\";",
                                (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (off == 0 || off >= sizeof drops) return -1;
    return exec(st, drops) == SQLITE_OK ? 0 : -1;
}

typedef struct target {
    const char *what;
    const char *select;  /* key, value */
    const char *update;  /* ?1 value, ?2 key */
    int is_text;
    kp_log_place place;
} target;

static const target targets[] = {
    {"capsule bytes", "SELECT seq, bytes FROM capsules ORDER BY seq",
     "UPDATE capsules SET bytes = ?1 WHERE seq = ?2", 0, KP_LOG_AT_CAPSULE},
    {"log entry", "SELECT idx, data FROM log_entries ORDER BY idx",
     "UPDATE log_entries SET data = ?1 WHERE idx = ?2", 0, KP_LOG_AT_ENTRY},
    {"result bytes", "SELECT rowid, result FROM results WHERE result IS NOT NULL",
     "UPDATE results SET result = ?1 WHERE rowid = ?2", 0, KP_LOG_AT_RESULT},
    {"checkpoint note", "SELECT seq, note FROM log_checkpoints ORDER BY seq",
     "UPDATE log_checkpoints SET note = ?1 WHERE seq = ?2", 1, KP_LOG_AT_CHECKPOINT},
};

TEST(every_changed_byte_is_reported_at_its_place)
{
    kp_store *st;
    kp_error e;
    seen s;
    const char *dir = test_dir("store", 0);
    make_store(dir);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_OK);
    CHECK_EQ(verify_all(st, &s), KP_OK);
    CHECK_EQ(s.problems, 0);
    CHECK_EQ(drop_triggers(st), 0);
    sqlite3_stmt *q;
    /* results is WITHOUT ROWID: address its rows by capsule instead */
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        const target *tg = &targets[t];
        const char *sel = tg->select, *upd = tg->update;
        if (tg->place == KP_LOG_AT_RESULT) {
            sel = "SELECT capsule, result FROM results WHERE result IS NOT NULL ORDER BY capsule";
            upd = "UPDATE results SET result = ?1 WHERE capsule = ?2";
        }
        /* read every row first: the updates below would disturb a live cursor */
        uint8_t *keys[64], *vals[64];
        int klen[64], vlen[64], nrows = 0;
        CHECK_EQ(sqlite3_prepare_v2(st->db, sel, -1, &q, NULL), SQLITE_OK);
        while (sqlite3_step(q) == SQLITE_ROW && nrows < 64) {
            klen[nrows] = sqlite3_column_bytes(q, 0);
            keys[nrows] = malloc((size_t)klen[nrows] + 8);
            if (sqlite3_column_type(q, 0) == SQLITE_INTEGER) {
                int64_t k = sqlite3_column_int64(q, 0);
                memcpy(keys[nrows], &k, 8);
                klen[nrows] = -1; /* an integer key */
            } else {
                memcpy(keys[nrows], sqlite3_column_blob(q, 0), (size_t)klen[nrows]);
            }
            vlen[nrows] = sqlite3_column_bytes(q, 1);
            vals[nrows] = malloc((size_t)vlen[nrows] + 1);
            memcpy(vals[nrows], sqlite3_column_blob(q, 1), (size_t)vlen[nrows]);
            nrows++;
        }
        sqlite3_finalize(q);
        CHECK(nrows > 0);
        uint64_t swept = 0;
        for (int r = 0; r < nrows; r++) {
            for (int i = 0; i < vlen[r]; i++) {
                uint8_t old = vals[r][i];
                /* vary the bit so every kind of change is tried somewhere */
                vals[r][i] = (uint8_t)(old ^ (1u << (i % 8)));
                sqlite3_stmt *u;
                CHECK_EQ(sqlite3_prepare_v2(st->db, upd, -1, &u, NULL), SQLITE_OK);
                if (tg->is_text) sqlite3_bind_text(u, 1, (const char *)vals[r], vlen[r], SQLITE_STATIC);
                else sqlite3_bind_blob(u, 1, vals[r], vlen[r], SQLITE_STATIC);
                if (klen[r] < 0) {
                    int64_t k;
                    memcpy(&k, keys[r], 8);
                    sqlite3_bind_int64(u, 2, k);
                } else {
                    sqlite3_bind_blob(u, 2, keys[r], klen[r], SQLITE_STATIC);
                }
                CHECK_EQ(sqlite3_step(u), SQLITE_DONE);
                CHECK_EQ(sqlite3_changes(st->db), 1);
                int rc = verify_all(st, &s);
                CHECK_MSG(rc != KP_OK, "%s %d byte %d: not reported", tg->what, r, i);
                CHECK_MSG(s.places & (1u << tg->place), "%s %d byte %d: reported at %#x only",
                          tg->what, r, i, s.places);
                vals[r][i] = old;
                sqlite3_reset(u);
                CHECK_EQ(sqlite3_step(u), SQLITE_DONE);
                sqlite3_finalize(u);
                swept++;
            }
            free(keys[r]);
            free(vals[r]);
        }
        /* and the original is whole again */
        CHECK_EQ(verify_all(st, &s), KP_OK);
        printf("# %s: %d rows, %llu bytes changed, each reported\n", tg->what, nrows,
               (unsigned long long)swept);
    }
    kp_store_close(st);
}

TEST(the_shipped_database_refuses_updates_and_deletes)
{
    static const char *const refused[] = {
        "UPDATE log_entries SET data = x'00' WHERE idx = 0",
        "DELETE FROM log_entries WHERE idx = (SELECT max(idx) FROM log_entries)",
        "INSERT OR REPLACE INTO log_entries(idx, data) SELECT idx, x'00' FROM log_entries LIMIT 1",
        "UPDATE log_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 0",
        "DELETE FROM log_nodes",
        "UPDATE log_checkpoints SET note = 'x' WHERE seq = 0",
        "DELETE FROM log_checkpoints",
        "UPDATE log_identity SET origin = 'evil'",
        "DELETE FROM log_identity",
        "UPDATE capsules SET bytes = x'00' WHERE seq = 1",
        "DELETE FROM capsules WHERE seq = (SELECT max(seq) FROM capsules)",
        "INSERT OR REPLACE INTO capsules SELECT * FROM capsules LIMIT 1",
        "UPDATE edges SET parent = child",
        "DELETE FROM edges",
        "UPDATE results SET fuel = fuel + 1",
        "DELETE FROM results",
    };
    kp_store *st;
    kp_error e;
    seen s;
    const char *dir = test_dir("shipped", 0);
    make_store(dir);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_OK);
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int rc = exec(st, refused[i]);
        CHECK_MSG((rc & 0xff) == SQLITE_CONSTRAINT, "%s: %d (%s)", refused[i], rc, sqlite3_errmsg(st->db));
    }
    CHECK_EQ(verify_all(st, &s), KP_OK);
    kp_store_close(st);
}

/* The columns and edges stored beside a capsule are read from its bytes;
   changing them (dag heads --type, dag ancestors read them) is reported
   at the capsule. Each change is undone before the next. */
TEST(changed_capsule_columns_and_edges_are_reported)
{
    static const char *const change[][2] = {
        {"UPDATE capsules SET type = 'postx' WHERE seq = 1",
         "UPDATE capsules SET type = 'post' WHERE seq = 1"},
        {"UPDATE capsules SET created = created + 1 WHERE seq = 1",
         "UPDATE capsules SET created = created - 1 WHERE seq = 1"},
        {"CREATE TABLE saved AS SELECT author FROM capsules WHERE seq = 1;"
         "UPDATE capsules SET author = zeroblob(32) WHERE seq = 1",
         "UPDATE capsules SET author = (SELECT author FROM saved) WHERE seq = 1; DROP TABLE saved"},
        {"UPDATE capsules SET encrypted = 1 WHERE seq = 1",
         "UPDATE capsules SET encrypted = 0 WHERE seq = 1"},
        {"CREATE TABLE saved AS SELECT seq, logic FROM capsules WHERE logic IS NOT NULL;"
         "UPDATE capsules SET logic = NULL WHERE logic IS NOT NULL",
         "UPDATE capsules SET logic = (SELECT logic FROM saved WHERE saved.seq = capsules.seq)"
         " WHERE seq IN (SELECT seq FROM saved); DROP TABLE saved"},
        {"CREATE TABLE saved AS SELECT * FROM edges; DELETE FROM edges",
         "INSERT INTO edges SELECT * FROM saved; DROP TABLE saved"},
        {"INSERT INTO edges SELECT c.id, p.id FROM capsules c, capsules p"
         " WHERE c.seq = 1 AND p.seq = 2",
         "DELETE FROM edges WHERE child = (SELECT id FROM capsules WHERE seq = 1)"},
    };
    kp_store *st;
    kp_error e;
    seen s;
    const char *dir = test_dir("columns", 0);
    make_store(dir);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_OK);
    CHECK_EQ(drop_triggers(st), 0);
    CHECK_EQ(verify_all(st, &s), KP_OK);
    for (size_t i = 0; i < sizeof change / sizeof change[0]; i++) {
        CHECK_MSG(exec(st, change[i][0]) == SQLITE_OK, "%s: %s", change[i][0],
                  sqlite3_errmsg(st->db));
        CHECK_MSG(sqlite3_changes(st->db) > 0, "%s changed nothing", change[i][0]);
        CHECK_MSG(verify_all(st, &s) == KP_E_INGEST_TAMPERED, "%s: not reported", change[i][0]);
        CHECK_MSG(s.places & (1u << KP_LOG_AT_CAPSULE), "%s: reported at %#x", change[i][0],
                  s.places);
        CHECK_MSG(exec(st, change[i][1]) == SQLITE_OK, "%s: %s", change[i][1],
                  sqlite3_errmsg(st->db));
        CHECK_MSG(verify_all(st, &s) == KP_OK, "undoing %s", change[i][0]);
    }
    kp_store_close(st);
}
