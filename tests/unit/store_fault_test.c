/*
 * store_fault_test.c: disk full and I/O errors at every write of the
 * store's multi-write operations leave the store as it was (faultloop.h):
 * a unit that inserts rows and appends log entries, a batch of units in
 * one transaction, and a checkpoint. First the shim itself: it counts,
 * fails the write it is armed at, and its codes map to E_DISK_FULL/E_IO.
 */
#include <errno.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "testdir.h"
#include "faultloop.h"
#include "faultvfs.h"
#include "store/db.h"

#define ORIGIN "fault.test/log"

static void test_key(uint8_t sk[KP_LOG_SK_BYTES])
{
    uint8_t seed[32], pk[KP_LOG_PK_BYTES];
    memset(seed, 7, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
}

/* Entry i of the test log: a few lines, so entries differ in length. */
static size_t entry(uint64_t i, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (uint64_t r = 0; r <= i % 4; r++)
        n += (size_t)snprintf((char *)out + n, cap - n, "fault entry %llu\n",
                              (unsigned long long)i);
    return n;
}

/*
 * The base store in dir: a table of the test's own rows (as the ingest
 * tables will be), a log of 10 entries and a checkpoint at 6, closed.
 */
static void make_base(const char *dir)
{
    kp_store *st;
    kp_error e;
    uint8_t sk[KP_LOG_SK_BYTES], data[128];
    char note[KP_LOG_NOTE_MAX];
    uint64_t idx;
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e) != KP_OK) abort();
    if (store_exec(st, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL)", &e)) abort();
    test_key(sk);
    for (uint64_t i = 0; i < 10; i++) {
        if (kp_log_append(st, data, entry(i, data, sizeof data), &idx, &e)) abort();
        if (i == 5 && kp_log_checkpoint(st, ORIGIN, sk, note, &e)) abort();
    }
    kp_store_close(st);
}

/* The state every operation here may change: the test table and the log. */
static int digest_all(kp_store *st, void *ud, crypto_hash_sha256_state *h, kp_error *err)
{
    int rc = faultloop_sql_digest(st, "SELECT k, v FROM t ORDER BY k", h, err);
    return rc ? rc : faultloop_log_digest(st, h, err);
}

/* One unit's work: two rows (one spilling to overflow pages) and two log
   entries, numbered from the log's size so that a redo does the same. */
static int unit_body(kp_store *st, kp_error *err)
{
    uint64_t n, idx;
    uint8_t data[128];
    char sql[160];
    int rc = kp_log_size(st, &n, err);
    if (rc) return rc;
    snprintf(sql, sizeof sql,
             "INSERT INTO t(k, v) VALUES (%llu, zeroblob(3000)), (%llu, x'00ff')",
             (unsigned long long)(2 * n), (unsigned long long)(2 * n + 1));
    if ((rc = store_exec(st, sql, err)) != KP_OK) return rc;
    for (int i = 0; i < 2 && rc == KP_OK; i++)
        rc = kp_log_append(st, data, entry(n + (uint64_t)i, data, sizeof data), &idx, err);
    return rc;
}

static int op_unit(kp_store *st, void *ud, kp_error *err)
{
    store_unit u;
    int rc = store_unit_begin(st, "fault_unit", &u, err);
    if (rc) return rc;
    rc = unit_body(st, err);
    return store_unit_end(st, &u, rc, err);
}

/* Four units in one transaction: one commit, as batch ingest does. */
static int op_batch(kp_store *st, void *ud, kp_error *err)
{
    int rc = store_begin(st, err);
    if (rc) return rc;
    for (int i = 0; i < 4 && rc == KP_OK; i++) rc = op_unit(st, ud, err);
    if (rc == KP_OK) rc = store_commit(st, err);
    if (rc != KP_OK) store_rollback(st);
    return rc;
}

static int op_checkpoint(kp_store *st, void *ud, kp_error *err)
{
    uint8_t sk[KP_LOG_SK_BYTES];
    char note[KP_LOG_NOTE_MAX];
    test_key(sk);
    int rc = kp_log_checkpoint(st, ORIGIN, sk, note, err);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

/* ---- the shim ------------------------------------------------------------ */

TEST(faultvfs_counts_and_fails_the_armed_write)
{
    const char *dir = test_dir("shim", 0);
    kp_store *st;
    kp_error e;
    uint64_t idx;
    CHECK_EQ(faultvfs_register(), SQLITE_OK);
    CHECK_EQ(faultvfs_register(), SQLITE_OK); /* idempotent */
    CHECK_EQ(kp_store_open(dir, KP_STORE_CREATE, &st, &e), KP_OK);
    kp_store_close(st);
    CHECK_EQ(store_open_with(dir, 0, store_migrations, store_migration_count, FAULTVFS_NAME,
                             &st, &e),
             KP_OK);
    /* the first write after opening also writes the WAL's header: count
       the second */
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"a", 1, &idx, &e), KP_OK);
    faultvfs_arm(0, FAULTVFS_OFF);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"a", 1, &idx, &e), KP_OK);
    uint64_t n = faultvfs_count();
    CHECK(n >= 2); /* at least a WAL frame and its sync */
    CHECK_EQ(faultvfs_hits(), 0);

    /* the last write of an append is the commit's WAL sync */
    faultvfs_arm(n, FAULTVFS_IOERR);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"b", 1, &idx, &e), KP_E_IO);
    int wal;
    CHECK_EQ(faultvfs_first_op(&wal), FAULTVFS_OP_SYNC);
    CHECK(wal);
    CHECK_EQ(faultvfs_hits(), 1);

    faultvfs_arm(1, FAULTVFS_FULL_PERSIST);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"b", 1, &idx, &e), KP_E_DISK_FULL);
    CHECK(faultvfs_hits() >= 1);
    CHECK_EQ(faultvfs_first_op(&wal), FAULTVFS_OP_WRITE);
    /* persistent: still failing */
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"b", 1, &idx, &e), KP_E_DISK_FULL);

    faultvfs_arm(0, FAULTVFS_OFF);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"b", 1, &idx, &e), KP_OK);
    CHECK_EQ(idx, 2);
    kp_store_close(st);
}

/* ---- every write of every operation -------------------------------------- */

static void loop(const char *name, int (*run)(kp_store *, void *, kp_error *))
{
    faultloop_op op = {name, run, digest_all, NULL, NULL};
    faultloop_report rep;
    char why[512];
    const char *base = test_dir("base", 0);
    struct stat sb;
    if (stat(base, &sb) != 0) make_base(base);
    int rc = faultloop_run(base, test_dir(name, 0), &op, &rep, why, sizeof why);
    CHECK_MSG(rc == 0, "%.360s", why);
    /* the loop must really have injected faults that the operation saw */
    CHECK(rep.writes > 0);
    CHECK(rep.failed > 0);
    CHECK_EQ(rep.runs, 2 * rep.writes);
    printf("# %s: %llu writes, %llu armed runs, %llu failed, %llu crash copies committed\n",
           name, (unsigned long long)rep.writes, (unsigned long long)rep.runs,
           (unsigned long long)rep.failed, (unsigned long long)rep.crash_after);
}

/* Two commits where there should be one: a fault in the second leaves the
   first's rows behind, and the loop must say so (else it proves nothing). */
static int op_torn(kp_store *st, void *ud, kp_error *err)
{
    uint64_t n, idx;
    uint8_t data[128];
    int rc = kp_log_size(st, &n, err);
    if (rc == KP_OK) rc = store_exec(st, "INSERT INTO t(k, v) VALUES (1000000, x'01')", err);
    if (rc == KP_OK) rc = kp_log_append(st, data, entry(n, data, sizeof data), &idx, err);
    return rc;
}

TEST(the_loop_finds_an_operation_that_is_not_atomic)
{
    faultloop_op op = {"torn", op_torn, digest_all, NULL, NULL};
    char why[512];
    const char *base = test_dir("base", 0);
    struct stat sb;
    if (stat(base, &sb) != 0) make_base(base);
    CHECK(faultloop_run(base, test_dir("torn", 0), &op, NULL, why, sizeof why) != 0);
    CHECK_MSG(strstr(why, "neither before nor after") || strstr(why, "other than before"),
              "%.300s", why);
}

TEST(a_fault_at_every_write_of_a_unit)
{
    loop("unit", op_unit);
}

TEST(a_fault_at_every_write_of_a_batch)
{
    loop("batch", op_batch);
}

TEST(a_fault_at_every_write_of_a_checkpoint)
{
    loop("checkpoint", op_checkpoint);
}

/* ---- creating a store ---------------------------------------------------- */

/* A fault at every write of creating a store (file, WAL, migrations):
   the open fails with a disk code, and the next open finds a whole store
   at the current schema version with an empty, valid log. */
TEST(a_fault_at_every_write_of_creating_a_store)
{
    static const faultvfs_kind kinds[] = {FAULTVFS_FULL_PERSIST, FAULTVFS_IOERR};
    kp_store *st;
    kp_error e = {0};
    kp_log_report rep;
    char dir[600], why[256];
    uint64_t n, size, failed = 0;
    CHECK_EQ(faultvfs_register(), SQLITE_OK);
    snprintf(dir, sizeof dir, "%s", test_dir("create_count", 0));
    faultvfs_arm(0, FAULTVFS_OFF);
    CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, store_migrations, store_migration_count,
                             FAULTVFS_NAME, &st, &e),
             KP_OK);
    n = faultvfs_count();
    kp_store_close(st);
    CHECK(n > 0);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        for (uint64_t k = 1; k <= n; k++) {
            char file[700];
            snprintf(dir, sizeof dir, "%s", test_dir("create", 0));
            for (int f = 0; f < 3; f++) {
                snprintf(file, sizeof file, "%s/store.db%s", dir,
                         f == 0 ? "" : f == 1 ? "-wal" : "-shm");
                CHECK(unlink(file) == 0 || errno == ENOENT);
            }
            faultvfs_arm(k, kinds[i]);
            int rc = store_open_with(dir, KP_STORE_CREATE, store_migrations,
                                     store_migration_count, FAULTVFS_NAME, &st, &e);
            uint64_t hits = faultvfs_hits();
            faultvfs_op op = faultvfs_first_op(NULL);
            faultvfs_arm(0, FAULTVFS_OFF);
            if (rc == KP_OK) {
                /* only when the fault was never reached; and the store is
                   whole, in WAL mode (the switch to WAL commits when its
                   pragma's statement ends, and a failure there was once
                   dropped: the store opened in rollback-journal mode) */
                sqlite3_stmt *q;
                CHECK_EQ(sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &q, NULL),
                         SQLITE_OK);
                CHECK_EQ(sqlite3_step(q), SQLITE_ROW);
                int is_wal = strcmp((const char *)sqlite3_column_text(q, 0), "wal") == 0;
                sqlite3_finalize(q);
                CHECK_MSG(is_wal, "%s at %llu: opened, not in WAL mode",
                          faultvfs_kind_name(kinds[i]), (unsigned long long)k);
                CHECK_EQ(kp_store_schema_version(st), (long long)store_migration_count);
                kp_store_close(st);
                CHECK_MSG(hits == 0, "%s at %llu: opened though write %d failed",
                          faultvfs_kind_name(kinds[i]), (unsigned long long)k, (int)op);
            } else {
                CHECK_MSG(rc == KP_E_DISK_FULL || rc == KP_E_IO, "%s at %llu: code %d: %s",
                          faultvfs_kind_name(kinds[i]), (unsigned long long)k, rc, e.msg);
                failed++;
            }
            rc = kp_store_open(dir, KP_STORE_CREATE, &st, &e);
            CHECK_MSG(rc == KP_OK, "%s at %llu: reopening: %s", faultvfs_kind_name(kinds[i]),
                      (unsigned long long)k, e.msg);
            CHECK_EQ(kp_store_schema_version(st), (long long)store_migration_count);
            CHECK_MSG(faultloop_integrity(st, why, sizeof why) == 0, "%s", why);
            CHECK_EQ(kp_log_size(st, &size, &e), KP_OK);
            CHECK_EQ(size, 0);
            CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &rep, &e), KP_OK);
            kp_store_close(st);
        }
    }
    CHECK(failed > 0);
    printf("# creating: %llu writes, %llu armed runs failed\n", (unsigned long long)n,
           (unsigned long long)failed);
}
