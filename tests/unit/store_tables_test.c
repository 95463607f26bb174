/*
 * store_tables_test.c: the capsule store's tables (migration 2): an old
 * store upgrades, capsules and edges are immutable, DAG queries, modules
 * and their lifecycle, child storage, pending capsules and the ledger.
 */
#include <sqlite3.h>
#include <unistd.h>

#include "test.h"
#include "testdir.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"

static long long q_int(kp_store *st, const char *sql)
{
    sqlite3_stmt *s;
    long long v = -12345;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) return v;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static kp_store *open_fresh(const char *name)
{
    kp_store *st = NULL;
    kp_error e;
    if (kp_store_open(test_dir(name, 1), KP_STORE_CREATE, &st, &e)) {
        printf("# open: %s\n", e.msg);
        abort();
    }
    return st;
}

/* A log entry to hang rows on (capsules reference the entry that accepted them). */
static uint64_t entry(kp_store *st)
{
    uint64_t idx;
    if (kp_log_append(st, (const uint8_t *)"x", 1, &idx, NULL)) abort();
    return idx;
}

static void put_capsule(kp_store *st, uint8_t idbyte, const char *type,
                        const uint8_t (*parents)[32], size_t np, int expect)
{
    uint8_t id[32];
    memset(id, idbyte, 32);
    store_capsule c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.bytes = (const uint8_t *)"bytes";
    c.len = 5;
    c.type = type;
    c.author_alg = 1;
    c.author = id;
    c.author_len = 32;
    c.created = 1700000000;
    c.log_idx = entry(st);
    c.parents = parents;
    c.nparents = np;
    kp_error e;
    if (store_capsule_put(st, &c, &e) != expect) {
        printf("# put %02x: %s\n", idbyte, e.msg);
        abort();
    }
}

TEST(old_store_upgrades_to_the_capsule_tables)
{
    const char *dir = test_dir("upgrade", 1);
    kp_store *st = NULL;
    kp_error e;
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, store_migrations, 1, NULL, &st, &e), KP_OK);
    uint64_t idx;
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"old", 3, &idx, &e), KP_OK);
    kp_store_close(st);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_OK);
    CHECK_EQ(kp_store_schema_version(st), (int)store_migration_count);
    CHECK_EQ(q_int(st, "SELECT count(*) FROM log_entries"), 1);
    CHECK_EQ(q_int(st, "SELECT count(*) FROM capsules"), 0);
    kp_store_close(st);
}

TEST(capsules_and_edges_are_immutable)
{
    kp_store *st = open_fresh("immutable");
    put_capsule(st, 1, "post", NULL, 0, KP_OK);
    kp_error e;
    CHECK_EQ(store_exec(st, "UPDATE capsules SET type = 'x'", &e), KP_E_STORE_IMMUTABLE);
    CHECK_EQ(store_exec(st, "DELETE FROM capsules", &e), KP_E_STORE_IMMUTABLE);
    uint8_t p[1][32];
    memset(p[0], 1, 32);
    put_capsule(st, 2, "comment", (const uint8_t(*)[32])p, 1, KP_OK);
    CHECK_EQ(store_exec(st, "DELETE FROM edges", &e), KP_E_STORE_IMMUTABLE);
    CHECK_EQ(store_exec(st, "UPDATE edges SET parent = child", &e), KP_E_STORE_IMMUTABLE);
    /* an edge to a capsule that is not stored breaks a foreign key, and the
       capsule row goes with it when the caller rolls the unit back */
    memset(p[0], 9, 32);
    store_unit u;
    CHECK_EQ(store_unit_begin(st, "t", &u, &e), KP_OK);
    int rc = KP_OK;
    uint8_t id[32];
    memset(id, 3, 32);
    store_capsule c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.bytes = id;
    c.len = 32;
    c.type = "post";
    c.author_alg = 1;
    c.author = id;
    c.author_len = 32;
    c.log_idx = 0;
    c.parents = (const uint8_t(*)[32])p;
    c.nparents = 1;
    rc = store_capsule_put(st, &c, &e);
    CHECK_EQ(rc, KP_E_STORE_CONSTRAINT);
    CHECK_EQ(store_unit_end(st, &u, rc, &e), KP_E_STORE_CONSTRAINT);
    CHECK_EQ(q_int(st, "SELECT count(*) FROM capsules"), 2);
    kp_store_close(st);
}

TEST(dag_children_parents_heads)
{
    kp_store *st = open_fresh("dag");
    uint8_t p[2][32];
    memset(p[0], 1, 32);
    memset(p[1], 2, 32);
    put_capsule(st, 1, "post", NULL, 0, KP_OK);
    put_capsule(st, 2, "post", NULL, 0, KP_OK);
    put_capsule(st, 4, "comment", (const uint8_t(*)[32])p, 2, KP_OK);
    put_capsule(st, 3, "comment", (const uint8_t(*)[32])p, 1, KP_OK);
    kp_error e;
    buf b = {0};
    CHECK_EQ(store_capsule_children(st, p[0], &b, &e), KP_OK);
    CHECK_EQ(b.len, 64);
    CHECK_EQ(b.p[0], 4); /* ingest order, not id order */
    CHECK_EQ(b.p[32], 3);
    b.len = 0;
    uint8_t four[32];
    memset(four, 4, 32);
    CHECK_EQ(store_capsule_parents(st, four, &b, &e), KP_OK);
    CHECK_EQ(b.len, 64);
    CHECK(b.p[0] == 1 && b.p[32] == 2);
    b.len = 0;
    CHECK_EQ(store_capsule_heads(st, NULL, &b, &e), KP_OK);
    CHECK_EQ(b.len, 64);
    CHECK(b.p[0] == 4 && b.p[32] == 3);
    b.len = 0;
    CHECK_EQ(store_capsule_heads(st, "post", &b, &e), KP_OK);
    CHECK_EQ(b.len, 0);
    int found;
    CHECK_EQ(store_capsule_exists(st, four, &found, &e), KP_OK);
    CHECK_EQ(found, 1);
    uint64_t n;
    CHECK_EQ(store_capsule_count(st, &n, &e), KP_OK);
    CHECK_EQ(n, 4);
    b.len = 0;
    int64_t seq;
    uint64_t li;
    CHECK_EQ(store_capsule_get(st, four, &b, &seq, &li, &e), KP_OK);
    CHECK(b.len == 5 && memcmp(b.p, "bytes", 5) == 0);
    CHECK_EQ(seq, 3);
    memset(four, 0x44, 32);
    CHECK_EQ(store_capsule_get(st, four, &b, NULL, NULL, &e), KP_E_NOT_FOUND);
    buf_free(&b);
    kp_store_close(st);
}

TEST(modules_registry_and_lifecycle)
{
    kp_store *st = open_fresh("modules");
    kp_error e;
    uint8_t a[32], b[32];
    int added;
    CHECK_EQ(store_module_add(st, (const uint8_t *)"code-a", 6, 1, (const uint8_t *)"owner", 5,
                              10, a, &added, &e), KP_OK);
    CHECK_EQ(added, 1);
    CHECK_EQ(store_module_add(st, (const uint8_t *)"code-a", 6, 0, NULL, 0, 11, a, &added, &e),
             KP_OK);
    CHECK_EQ(added, 0);
    CHECK_EQ(store_module_add(st, (const uint8_t *)"code-b", 6, 0, NULL, 0, 12, b, &added, &e),
             KP_OK);
    uint8_t want[32];
    kp_module_id((const uint8_t *)"code-a", 6, want);
    CHECK_MEM(a, want, 32);
    store_module m;
    CHECK_EQ(store_module_info(st, a, &m, &e), KP_OK);
    CHECK_EQ(m.owner_len, 5);
    CHECK_EQ(m.state, STORE_MODULE_ACTIVE);
    CHECK_EQ(m.code_len, 6);
    buf code = {0};
    CHECK_EQ(store_module_code(st, b, &code, &e), KP_OK);
    CHECK(code.len == 6 && memcmp(code.p, "code-b", 6) == 0);
    buf_free(&code);
    CHECK_EQ(store_module_set_state(st, a, STORE_MODULE_UPGRADED, b, &e), KP_OK);
    CHECK_EQ(store_module_info(st, a, &m, &e), KP_OK);
    CHECK_EQ(m.state, STORE_MODULE_UPGRADED);
    CHECK_MEM(m.successor, b, 32);
    CHECK_EQ(store_module_info(st, b, &m, &e), KP_OK);
    CHECK_EQ(m.owner_len, 5); /* the successor took the owner */
    uint8_t nope[32] = {0};
    CHECK_EQ(store_module_info(st, nope, &m, &e), KP_E_NOT_FOUND);
    CHECK_EQ(store_module_set_state(st, b, STORE_MODULE_UPGRADED, nope, &e), KP_E_NOT_FOUND);
    CHECK_EQ(store_exec(st, "UPDATE modules SET code = x'00'", &e), KP_E_STORE_IMMUTABLE);
    CHECK_EQ(store_exec(st, "DELETE FROM modules", &e), KP_E_STORE_IMMUTABLE);
    store_module *rows;
    size_t n;
    CHECK_EQ(store_module_list(st, &rows, &n, &e), KP_OK);
    CHECK_EQ(n, 2);
    mem_free(rows, n * sizeof *rows);
    kp_store_close(st);
}

TEST(pending_keeps_bytes_until_taken)
{
    kp_store *st = open_fresh("pending");
    kp_error e;
    uint8_t id[32], want[32];
    memset(id, 7, 32);
    memset(want, 8, 32);
    store_wait w = {STORE_WAIT_PARENT, {0}};
    memcpy(w.want, want, 32);
    CHECK_EQ(store_pending_add(st, id, (const uint8_t *)"capsule", 7, &w, 1, 5, &e), KP_OK);
    int found;
    CHECK_EQ(store_pending_exists(st, id, &found, &e), KP_OK);
    CHECK_EQ(found, 1);
    buf b = {0};
    CHECK_EQ(store_pending_waiting_on(st, want, &b, &e), KP_OK);
    CHECK(b.len == 32 && memcmp(b.p, id, 32) == 0);
    b.len = 0;
    CHECK_EQ(store_pending_take(st, id, &b, &e), KP_OK);
    CHECK(b.len == 7 && memcmp(b.p, "capsule", 7) == 0);
    CHECK_EQ(store_pending_take(st, id, &b, &e), KP_E_NOT_FOUND);
    CHECK_EQ(q_int(st, "SELECT count(*) FROM pending_waits"), 0); /* cascaded */
    buf_free(&b);
    kp_store_close(st);
}

