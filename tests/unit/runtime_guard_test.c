/*
 * runtime_guard_test.c: issue 11, defects 4 to 7 and 11, each a test named
 * after it. What a store must refuse to become: a registry of modules
 * that are not modules (4), a silently new store under a node key that
 * has signed a longer log (5), a store still written after it failed its
 * check (6), and one whose modules or result reasons changed unseen (7).
 */
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

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
