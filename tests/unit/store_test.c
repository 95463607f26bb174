/*
 * store_test.c: opening a store (settings, permissions), schema versioning
 * (fresh, upgrade, refusing newer, older read-only, failed migration,
 * foreign files), transactions and savepoint units, disk full, read-only,
 * lock contention, the statement cache and allocation failures.
 */
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "testdir.h"
#include "store/db.h"
#include "util/error.h"

/* One integer from SQL on a store's connection. */
static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    long long v = -12345;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) return v;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* A plain connection to dir/store.db, as another program would open it. */
static sqlite3 *raw_open(const char *dir)
{
    char path[600];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/store.db", dir);
    if (sqlite3_open(path, &db) != SQLITE_OK) abort();
    return db;
}

static const store_migration two[] = {
    {"first", "CREATE TABLE a(x INTEGER);"},
    {"second", "CREATE TABLE b(y INTEGER); INSERT INTO b SELECT x * 10 FROM a;"},
};

TEST(fresh_store_has_the_right_settings)
{
    const char *dir = test_dir("fresh", 1);
    kp_store *st = NULL;
    kp_error e;
    char path[600];
    struct stat sb;
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &st, &e), KP_OK);
    CHECK(st != NULL);
    snprintf(path, sizeof path, "%s/store.db", dir);
    CHECK(stat(path, &sb) == 0);
    CHECK_EQ(sb.st_mode & 0777, 0600); /* private: it will hold decrypted data */
    CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode));
    sqlite3_stmt *s;
    CHECK(sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    CHECK_EQ(q_int(st->db, "PRAGMA synchronous"), 2); /* FULL */
    CHECK_EQ(q_int(st->db, "PRAGMA foreign_keys"), 1);
    CHECK_EQ(q_int(st->db, "PRAGMA recursive_triggers"), 1);
    CHECK_EQ(q_int(st->db, "PRAGMA busy_timeout"), STORE_BUSY_MS);
    CHECK_EQ(q_int(st->db, "PRAGMA user_version"), (long long)store_migration_count);
    CHECK_EQ(q_int(st->db, "PRAGMA application_id"), STORE_APP_ID);
    CHECK_EQ(kp_store_schema_version(st), (int)store_migration_count);
    CHECK_EQ(q_int(st->db, "SELECT count(*) FROM log_entries"), 0);
    kp_store_close(st);
    /* reopening migrates nothing and keeps everything */
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_OK);
    CHECK_EQ(kp_store_schema_version(st), (int)store_migration_count);
    kp_store_close(st);
    kp_store_close(NULL);
}

TEST(missing_store_without_create)
{
    const char *dir = test_dir("missing", 1);
    kp_store *st = (kp_store *)0x1;
    kp_error e;
    struct stat sb;
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_E_STORE_MISSING);
    CHECK(st == (kp_store *)0x1); /* out-pointer untouched on failure */
    CHECK(strstr(e.msg, dir) != NULL);
    CHECK(stat(dir, &sb) != 0); /* nothing was created */
    CHECK_EQ(kp_store_open(dir, KP_STORE_READONLY, &st, &e), KP_E_STORE_MISSING);
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE | KP_STORE_READONLY, &st, &e), KP_E_ARG);
    CHECK_EQ(kp_store_open("", KP_STORE_CREATE, &st, &e), KP_E_ARG);
}

TEST(upgrade_runs_pending_migrations_in_order)
{
    const char *dir = test_dir("upgrade", 1);
    kp_store *st;
    kp_error e;
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, two, 1, NULL, &st, &e), KP_OK);
    CHECK_EQ(kp_store_schema_version(st), 1);
    CHECK_EQ(store_exec(st, "INSERT INTO a VALUES (4), (5)", &e), KP_OK);
    kp_store_close(st);
    /* a read-only open of a store that needs an upgrade is refused */
    CHECK_EQ(store_open_with(dir, KP_STORE_READONLY, two, 2, NULL, &st, &e), KP_E_STORE_OLD);
    CHECK(strstr(e.msg, "version 1") != NULL);
    CHECK_EQ(store_open_with(dir, 0, two, 2, NULL, &st, &e), KP_OK);
    CHECK_EQ(kp_store_schema_version(st), 2);
    CHECK_EQ(q_int(st->db, "SELECT sum(y) FROM b"), 90); /* migration 2 saw migration 1's data */
    kp_store_close(st);
    CHECK_EQ(store_open_with(dir, KP_STORE_READONLY, two, 2, NULL, &st, &e), KP_OK);
    kp_store_close(st);
}

TEST(newer_store_is_refused_and_left_alone)
{
    const char *dir = test_dir("newer", 1);
    kp_store *st;
    kp_error e;
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, two, 2, NULL, &st, &e), KP_OK);
    kp_store_close(st);
    CHECK_EQ(store_open_with(dir, 0, two, 1, NULL, &st, &e), KP_E_STORE_TOO_NEW);
    CHECK(strstr(e.msg, "version 2") != NULL);
    CHECK_EQ(kp_status_exit(KP_E_STORE_TOO_NEW), 3);
    sqlite3 *db = raw_open(dir);
    CHECK_EQ(q_int(db, "PRAGMA user_version"), 2);
    /* a store from a future kapsule, with the real list */
    CHECK(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_E_STORE_TOO_NEW);
    CHECK_EQ(kp_store_open(dir, KP_STORE_READONLY, &st, &e), KP_E_STORE_TOO_NEW);
    db = raw_open(dir);
    CHECK_EQ(q_int(db, "PRAGMA user_version"), 999);
    CHECK_EQ(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'log_entries'"), 0);
    sqlite3_close(db);
}

TEST(failed_migration_leaves_the_last_version)
{
    const char *dir = test_dir("failmig", 1);
    static const store_migration bad[] = {
        {"first", "CREATE TABLE a(x INTEGER);"},
        {"broken", "CREATE TABLE c(z INTEGER); INSERT INTO a VALUES (1); THIS IS NOT SQL;"},
    };
    kp_store *st;
    kp_error e;
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, bad, 2, NULL, &st, &e), KP_E_STORE_MIGRATION);
    CHECK(strstr(e.msg, "migration 2 (broken)") != NULL);
    sqlite3 *db = raw_open(dir);
    CHECK_EQ(q_int(db, "PRAGMA user_version"), 1);
    CHECK_EQ(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0);
    CHECK_EQ(q_int(db, "SELECT count(*) FROM a"), 0);
    sqlite3_close(db);
    /* the fixed code then upgrades it */
    CHECK_EQ(store_open_with(dir, 0, two, 2, NULL, &st, &e), KP_OK);
    CHECK_EQ(kp_store_schema_version(st), 2);
    kp_store_close(st);
}

TEST(foreign_files_are_refused_untouched)
{
    const char *dir = test_dir("foreign", 1);
    kp_store *st;
    kp_error e;
    char path[600];
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &st, &e), KP_OK);
    kp_store_close(st);
    snprintf(path, sizeof path, "%s/store.db", dir);
    /* some other program's SQLite database */
    CHECK(unlink(path) == 0);
    sqlite3 *db = raw_open(dir);
    CHECK(sqlite3_exec(db, "CREATE TABLE notes(t TEXT)", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_E_STORE_FOREIGN);
    db = raw_open(dir);
    sqlite3_stmt *s;
    CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), "delete"); /* not switched to WAL */
    sqlite3_finalize(s);
    CHECK(sqlite3_exec(db, "PRAGMA application_id = 1234", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_E_STORE_FOREIGN);
    CHECK(strstr(e.msg, "application_id") != NULL);
    /* not a database at all */
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    for (int i = 0; i < 200; i++) fputs("this is not a database, ", f);
    fclose(f);
    CHECK_EQ(kp_store_open(dir, 0, &st, &e), KP_E_STORE_FOREIGN);
}

TEST(status_mapping)
{
    CHECK_EQ(store_status(SQLITE_OK), KP_OK);
    CHECK_EQ(store_status(SQLITE_DONE), KP_OK);
    CHECK_EQ(store_status(SQLITE_FULL), KP_E_DISK_FULL);
    CHECK_EQ(store_status(SQLITE_IOERR), KP_E_IO);
    CHECK_EQ(store_status(SQLITE_IOERR_WRITE), KP_E_IO);
    CHECK_EQ(store_status(SQLITE_IOERR_FSYNC), KP_E_IO);
    CHECK_EQ(store_status(SQLITE_NOMEM), KP_E_NOMEM);
    CHECK_EQ(store_status(SQLITE_BUSY), KP_E_STORE_BUSY);
    CHECK_EQ(store_status(SQLITE_BUSY_SNAPSHOT), KP_E_STORE_BUSY);
    CHECK_EQ(store_status(SQLITE_CORRUPT), KP_E_STORE_CORRUPT);
    CHECK_EQ(store_status(SQLITE_NOTADB), KP_E_STORE_FOREIGN);
    CHECK_EQ(store_status(SQLITE_CONSTRAINT_TRIGGER), KP_E_STORE_IMMUTABLE);
    CHECK_EQ(store_status(SQLITE_CONSTRAINT_PRIMARYKEY), KP_E_STORE_CONSTRAINT);
    CHECK_EQ(store_status(SQLITE_READONLY), KP_E_STORE_READONLY);
    CHECK_EQ(store_status(SQLITE_ERROR), KP_E_STORE_SQL);
    CHECK_EQ(kp_status_exit(KP_E_DISK_FULL), 3);
}

TEST(transactions_and_units)
{
    const char *dir = test_dir("tx", 1);
    kp_store *st;
    kp_error e;
    store_unit u;
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, two, 1, NULL, &st, &e), KP_OK);
    CHECK_EQ(store_commit(st, &e), KP_E_STORE_TX);
    CHECK_EQ(store_begin(st, &e), KP_OK);
    CHECK(store_in_tx(st));
    CHECK_EQ(store_begin(st, &e), KP_E_STORE_TX);
    /* a batch: unit 1 kept, unit 2 undone, unit 3 kept */
    for (int i = 1; i <= 3; i++) {
        char sql[64];
        CHECK_EQ(store_unit_begin(st, "unit", &u, &e), KP_OK);
        CHECK_EQ(u.own_tx, 0);
        snprintf(sql, sizeof sql, "INSERT INTO a VALUES (%d)", i);
        int rc = store_exec(st, sql, &e);
        if (i == 2 && rc == KP_OK) rc = store_exec(st, "INSERT INTO nowhere VALUES (1)", &e);
        CHECK_EQ(store_unit_end(st, &u, rc, &e), i == 2 ? KP_E_STORE_SQL : KP_OK);
    }
    CHECK(store_in_tx(st));
    CHECK_EQ(store_commit(st, &e), KP_OK);
    sqlite3_stmt *s;
    CHECK(sqlite3_prepare_v2(st->db, "SELECT group_concat(x) FROM a", -1, &s, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), "1,3");
    sqlite3_finalize(s);
    /* a unit on its own is its own transaction */
    CHECK_EQ(store_unit_begin(st, "solo", &u, &e), KP_OK);
    CHECK_EQ(u.own_tx, 1);
    CHECK_EQ(store_exec(st, "INSERT INTO a VALUES (7)", &e), KP_OK);
    CHECK_EQ(store_unit_end(st, &u, KP_E_IO, &e), KP_E_IO);
    CHECK(!store_in_tx(st));
    CHECK_EQ(q_int(st->db, "SELECT count(*) FROM a WHERE x = 7"), 0);
    /* a savepoint rolled back inside a rolled back transaction */
    CHECK_EQ(store_begin(st, &e), KP_OK);
    CHECK_EQ(store_savepoint(st, "sp_1", &e), KP_OK);
    CHECK_EQ(store_exec(st, "INSERT INTO a VALUES (8)", &e), KP_OK);
    store_rollback_to(st, "sp_1");
    CHECK(store_in_tx(st));
    store_rollback(st);
    CHECK(!store_in_tx(st));
    store_rollback(st); /* harmless without a transaction */
    CHECK_EQ(store_savepoint(st, "Bad Name", &e), KP_E_ARG);
    CHECK_EQ(store_savepoint(st, "x; DROP TABLE a", &e), KP_E_ARG);
    kp_store_close(st);
}

TEST(read_only_store_refuses_writes)
{
    const char *dir = test_dir("ro", 1);
    kp_store *st;
    kp_error e;
    uint64_t idx;
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &st, &e), KP_OK);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"x", 1, &idx, &e), KP_OK);
    kp_store_close(st);
    CHECK_EQ(kp_store_open(dir, KP_STORE_READONLY, &st, &e), KP_OK);
    CHECK_EQ(store_begin(st, &e), KP_E_STORE_READONLY);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"y", 1, &idx, &e), KP_E_STORE_READONLY);
    CHECK_EQ(store_exec(st, "INSERT INTO log_entries VALUES (1, x'00')", &e), KP_E_STORE_READONLY);
    uint64_t n;
    CHECK_EQ(kp_log_size(st, &n, &e), KP_OK);
    CHECK_EQ(n, 1);
    kp_store_close(st);
}

TEST(disk_full_is_reported_and_the_unit_undone)
{
    const char *dir = test_dir("full", 1);
    kp_store *st;
    kp_error e;
    store_unit u;
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, two, 1, NULL, &st, &e), KP_OK);
    CHECK_EQ(store_exec(st, "CREATE TABLE big(b BLOB); INSERT INTO a VALUES (1)", &e), KP_OK);
    long long pages = q_int(st->db, "PRAGMA page_count");
    char sql[80];
    /* a database that may not grow: SQLite reports SQLITE_FULL exactly as
       for a full disk */
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages + 2);
    CHECK_EQ(store_exec(st, sql, &e), KP_OK);
    CHECK_EQ(store_unit_begin(st, "unit", &u, &e), KP_OK);
    int rc = store_exec(st, "INSERT INTO a VALUES (2)", &e);
    if (rc == KP_OK) rc = store_exec(st, "INSERT INTO big VALUES (zeroblob(100000))", &e);
    CHECK_EQ(rc, KP_E_DISK_FULL);
    CHECK_EQ(store_unit_end(st, &u, rc, &e), KP_E_DISK_FULL);
    CHECK(!store_in_tx(st));
    CHECK_EQ(q_int(st->db, "SELECT count(*) FROM a"), 1);
    CHECK_EQ(q_int(st->db, "SELECT count(*) FROM big"), 0);
    /* still usable */
    CHECK_EQ(store_exec(st, "INSERT INTO a VALUES (3)", &e), KP_OK);
    CHECK_EQ(q_int(st->db, "SELECT count(*) FROM a"), 2);
    kp_store_close(st);
}

TEST(a_locked_store_reports_busy)
{
    const char *dir = test_dir("busy", 1);
    kp_store *a, *b;
    kp_error e;
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &a, &e), KP_OK);
    CHECK_EQ(kp_store_open(dir, 0, &b, &e), KP_OK);
    sqlite3_busy_timeout(b->db, 20); /* do not wait 5 s in a test */
    CHECK_EQ(store_begin(a, &e), KP_OK);
    CHECK_EQ(store_begin(b, &e), KP_E_STORE_BUSY);
    uint64_t idx;
    CHECK_EQ(kp_log_append(b, (const uint8_t *)"b", 1, &idx, &e), KP_E_STORE_BUSY);
    CHECK_EQ(kp_log_append(a, (const uint8_t *)"a", 1, &idx, &e), KP_OK);
    CHECK_EQ(store_commit(a, &e), KP_OK);
    CHECK_EQ(kp_log_append(b, (const uint8_t *)"b", 1, &idx, &e), KP_OK);
    CHECK_EQ(idx, 1);
    kp_store_close(a);
    kp_store_close(b);
}

TEST(statement_cache)
{
    const char *dir = test_dir("cache", 1);
    kp_store *st;
    kp_error e;
    sqlite3_stmt *s1, *s2, *s3;
    char sql[40][64];
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &st, &e), KP_OK);
    CHECK_EQ(store_stmt(st, "SELECT 1", &s1, &e), KP_OK);
    /* the same text from another buffer finds the same statement */
    char copy[] = "SELECT 1";
    CHECK_EQ(store_stmt(st, copy, &s2, &e), KP_OK);
    CHECK(s1 == s2);
    CHECK_EQ(store_stmt(st, "SELECT 2", &s3, &e), KP_OK);
    CHECK(s3 != s1);
    for (int i = 0; i < 40; i++) { /* grows past the first 16 slots */
        snprintf(sql[i], sizeof sql[i], "SELECT %d + 100", i);
        CHECK_EQ(store_stmt(st, sql[i], &s3, &e), KP_OK);
        CHECK(sqlite3_step(s3) == SQLITE_ROW);
        CHECK_EQ(sqlite3_column_int(s3, 0), i + 100);
        store_done(s3);
    }
    CHECK_EQ(store_stmt(st, "SELECT 1", &s2, &e), KP_OK);
    CHECK(s1 == s2);
    CHECK_EQ(store_stmt(st, "SELECT FROM nothing", &s3, &e), KP_E_STORE_SQL);
    kp_store_close(st);
}

/* The allocation hook failing the n-th call from now. */
static long fail_at = -1;
static void *failing_alloc(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (fail_at == 0) return NULL;
    if (fail_at > 0) fail_at--;
    return realloc(p, n);
}

TEST(open_survives_every_allocation_failure)
{
    const char *dir = test_dir("nomem", 1);
    kp_store *st;
    kp_error e;
    int rc = KP_E_NOMEM, i;
    kp_set_allocator(failing_alloc, NULL);
    for (i = 0; i < 100 && rc == KP_E_NOMEM; i++) {
        fail_at = i;
        rc = kp_store_open(dir, KP_STORE_CREATE, &st, &e);
    }
    kp_set_allocator(NULL, NULL);
    CHECK_EQ(rc, KP_OK);
    CHECK(i > 1); /* at least one failure was injected and handled */
    kp_store_close(st);
}
