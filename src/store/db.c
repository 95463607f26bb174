/*
 * db.c: opening a store (folder, database file, pragmas, schema
 * migrations), the statement cache, transactions, and SQLite's result
 * codes mapped to kapsule's.
 *
 * Durability. The store runs in WAL mode with synchronous=FULL. Under WAL,
 * NORMAL syncs the WAL only at checkpoints: a commit survives the process
 * being killed (its pages are in the OS cache) but not a power loss or OS
 * crash, which may roll back the last transactions. "An acknowledged
 * capsule survives a crash" must hold for those too, so every commit syncs
 * the WAL (FULL). The cost is one fsync per commit, which batch ingest
 * amortizes by grouping many capsules (each its own savepoint unit) into
 * one commit; a capsule is acknowledged only after its commit returns.
 */
#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"

int store_status(int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return KP_OK;
    case SQLITE_CONSTRAINT_TRIGGER: return KP_E_STORE_IMMUTABLE;
    case SQLITE_READONLY_DBMOVED:
    case SQLITE_READONLY_DIRECTORY: return KP_E_IO;
    default: break;
    }
    switch (rc & 0xff) {
    case SQLITE_FULL: return KP_E_DISK_FULL;
    case SQLITE_IOERR: return KP_E_IO;
    case SQLITE_NOMEM: return KP_E_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return KP_E_STORE_BUSY;
    case SQLITE_CORRUPT: return KP_E_STORE_CORRUPT;
    case SQLITE_NOTADB: return KP_E_STORE_FOREIGN;
    case SQLITE_READONLY: return KP_E_STORE_READONLY;
    case SQLITE_PERM:
    case SQLITE_AUTH: return KP_E_PERMISSION;
    case SQLITE_CANTOPEN: return KP_E_IO;
    case SQLITE_CONSTRAINT: return KP_E_STORE_CONSTRAINT;
    case SQLITE_TOOBIG: return KP_E_LIMIT;
    default: return KP_E_STORE_SQL;
    }
}

int store_fail(kp_store *st, int rc, const char *what, kp_error *err)
{
    const char *m = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    return err_set(err, store_status(rc), "%s: %s", what, m);
}

int store_writable(kp_store *st, kp_error *err)
{
    if (st->flags & KP_STORE_READONLY)
        return err_set(err, KP_E_STORE_READONLY, "store %s is open read-only", st->dir);
    return KP_OK;
}

int store_exec(kp_store *st, const char *sql, kp_error *err)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return store_fail(st, rc, "store", err);
    return KP_OK;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h;
}

int store_stmt(kp_store *st, const char *sql, sqlite3_stmt **out, kp_error *err)
{
    size_t len = strlen(sql);
    uint64_t h = fnv1a(sql, len);
    for (size_t i = 0; i < st->ncache; i++) {
        store_cached *c = &st->cache[i];
        if (c->hash == h && c->len == len && memcmp(c->sql, sql, len) == 0) {
            *out = c->stmt;
            return KP_OK;
        }
    }
    if (st->ncache == st->capcache) {
        size_t cap = st->capcache ? st->capcache * 2 : 16, bytes;
        if (!size_mul(cap, sizeof *st->cache, &bytes)) return err_set(err, KP_E_NOMEM, "statement cache");
        store_cached *c = mem_realloc(st->cache, st->capcache * sizeof *st->cache, bytes);
        if (!c) return err_set(err, KP_E_NOMEM, "out of memory caching a statement");
        st->cache = c;
        st->capcache = cap;
    }
    char *copy = mem_strndup(sql, len);
    if (!copy) return err_set(err, KP_E_NOMEM, "out of memory caching a statement");
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (rc != SQLITE_OK) {
        mem_free(copy, len + 1);
        return store_fail(st, rc, "preparing a statement", err);
    }
    st->cache[st->ncache] = (store_cached){h, copy, len, s};
    st->ncache++;
    *out = s;
    return KP_OK;
}

void store_done(sqlite3_stmt *s)
{
    if (!s) return;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

int store_in_tx(kp_store *st)
{
    return !sqlite3_get_autocommit(st->db);
}

/* Runs one cached statement that returns no rows. */
static int step_once(kp_store *st, const char *sql, const char *what, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, sql, &s, err);
    if (rc) return rc;
    /* Stepped to the end: a statement that answers with a row (a pragma)
       may still do its work, and report its failure, on the last step. */
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    }
    store_done(s);
    if (src != SQLITE_DONE) return store_fail(st, src, what, err);
    return KP_OK;
}

int store_begin_ungated(kp_store *st, kp_error *err)
{
    int rc = store_writable(st, err);
    if (rc) return rc;
    if (store_in_tx(st)) return err_set(err, KP_E_STORE_TX, "a transaction is already open");
    return step_once(st, "BEGIN IMMEDIATE", "starting a transaction", err);
}

/* Every write of the store starts here (a unit outside a batch, a batch,
   a checkpoint), so the quarantine rule is applied once, under the write
   lock: a mark set by another process is seen by the next transaction. */
int store_begin(kp_store *st, kp_error *err)
{
    int rc = store_begin_ungated(st, err);
    if (rc) return rc;
    if ((rc = store_quarantine_gate(st, err)) != KP_OK) store_rollback(st);
    return rc;
}

int store_commit(kp_store *st, kp_error *err)
{
    if (!store_in_tx(st)) return err_set(err, KP_E_STORE_TX, "no transaction to commit");
    return step_once(st, "COMMIT", "committing", err);
}

void store_rollback(kp_store *st)
{
    /* SQLite may already have rolled back (after SQLITE_FULL, IOERR, ...). */
    if (store_in_tx(st)) (void)step_once(st, "ROLLBACK", "rolling back", NULL);
}

/* "VERB name" into out; savepoint names are plain identifiers. */
static int savepoint_sql(char *out, size_t cap, const char *verb, const char *name,
                         kp_error *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 31) return err_set(err, KP_E_ARG, "bad savepoint name");
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return err_set(err, KP_E_ARG, "bad savepoint name '%s'", name);
    }
    snprintf(out, cap, "%s %s", verb, name);
    return KP_OK;
}

/* Savepoint statements are cached like any other: a unit per ingested
   capsule runs two of them. */
int store_savepoint(kp_store *st, const char *name, kp_error *err)
{
    char sql[64];
    int rc = store_writable(st, err);
    if (rc == KP_OK) rc = savepoint_sql(sql, sizeof sql, "SAVEPOINT", name, err);
    if (rc == KP_OK) rc = step_once(st, sql, "opening a savepoint", err);
    return rc;
}

int store_release(kp_store *st, const char *name, kp_error *err)
{
    char sql[64];
    int rc = savepoint_sql(sql, sizeof sql, "RELEASE", name, err);
    if (rc == KP_OK) rc = step_once(st, sql, "releasing a savepoint", err);
    return rc;
}

void store_rollback_to(kp_store *st, const char *name)
{
    char sql[64];
    if (savepoint_sql(sql, sizeof sql, "ROLLBACK TO", name, NULL) != KP_OK) return;
    /* After an error that ended the whole transaction, the savepoint is
       gone with it and there is nothing left to undo. */
    if (!store_in_tx(st)) return;
    (void)step_once(st, sql, "rolling back a savepoint", NULL);
    if (savepoint_sql(sql, sizeof sql, "RELEASE", name, NULL) == KP_OK)
        (void)step_once(st, sql, "releasing a savepoint", NULL);
}

int store_unit_begin(kp_store *st, const char *name, store_unit *u, kp_error *err)
{
    u->name = name;
    u->own_tx = !store_in_tx(st);
    return u->own_tx ? store_begin(st, err) : store_savepoint(st, name, err);
}

int store_unit_end(kp_store *st, store_unit *u, int rc, kp_error *err)
{
    if (rc == KP_OK) {
        rc = u->own_tx ? store_commit(st, err) : store_release(st, u->name, err);
        if (rc == KP_OK) return KP_OK;
    }
    if (u->own_tx)
        store_rollback(st);
    else
        store_rollback_to(st, u->name);
    return rc;
}

int store_read_begin(kp_store *st, int *owned, kp_error *err)
{
    *owned = 0;
    if (store_in_tx(st)) return KP_OK;
    int rc = step_once(st, "BEGIN", "starting a read", err);
    if (rc == KP_OK) *owned = 1;
    return rc;
}

void store_read_end(kp_store *st, int owned)
{
    /* A read transaction has nothing to keep: ending it cannot lose data. */
    if (owned && store_in_tx(st)) (void)step_once(st, "ROLLBACK", "ending a read", NULL);
}

/* Reads one integer PRAGMA (or any single-integer query). */
static int query_int(kp_store *st, const char *sql, int64_t *v, kp_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) return store_fail(st, rc, "reading the store header", err);
    rc = sqlite3_step(s);
    *v = 0;
    if (rc == SQLITE_ROW) {
        /* the statement's error, if any, comes with its last step */
        *v = sqlite3_column_int64(s, 0);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        }
    }
    if (rc != SQLITE_DONE) {
        int code = store_fail(st, rc, "reading the store header", err);
        sqlite3_finalize(s);
        return code;
    }
    sqlite3_finalize(s);
    return KP_OK;
}

/* One migration, from version v to v + 1, in one transaction. Another
   process may have run it meanwhile: the version is read again under the
   write lock. */
static int migrate_one(kp_store *st, const store_migration *m, int v, kp_error *err)
{
    int64_t now;
    char sql[96];
    int rc = store_begin_ungated(st, err);
    if (rc) goto fail;
    if ((rc = query_int(st, "PRAGMA user_version", &now, err)) != KP_OK) goto fail;
    if (now != v) {
        /* someone else migrated: nothing to do in this transaction */
        store_rollback(st);
        return KP_OK;
    }
    int src = sqlite3_exec(st->db, m->sql, NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        rc = store_fail(st, src, "migration", err);
        if (rc == KP_E_STORE_SQL || rc == KP_E_STORE_CONSTRAINT) rc = KP_E_STORE_MIGRATION;
        err_set(err, rc, "migration %d (%s): %s", v + 1, m->name, sqlite3_errmsg(st->db));
        goto fail;
    }
    if (v == 0) {
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d", STORE_APP_ID);
        if ((rc = store_exec(st, sql, err)) != KP_OK) goto fail;
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
    if ((rc = store_exec(st, sql, err)) != KP_OK) goto fail;
    if ((rc = store_commit(st, err)) != KP_OK) goto fail;
    return KP_OK;
fail:
    store_rollback(st);
    return rc;
}

/*
 * A folder with no store in it: store.db absent, or a database holding
 * nothing yet (zero-length, or a header and no schema: a creation that
 * never got to its first migration). A store is created there only by an
 * open with KP_STORE_CREATE, and only while the folder has no node key:
 * the node key signs the log's checkpoints, so a node key without its
 * database means the database that key signed is gone (deleted,
 * truncated, not restored), and a new empty log under the same key would
 * be a fork that every holder of an old checkpoint can prove but that
 * kapsule log verify, looking at the new log alone, cannot see.
 */
static int no_store(const char *dir, unsigned flags, const char *what, kp_error *err)
{
    char key[4200];
    struct stat sb;
    snprintf(key, sizeof key, "%s/" STORE_NODE_KEY_NAME, dir);
    if (lstat(key, &sb) == 0)
        return err_set(err, KP_E_STORE_MISSING,
                       "%s: " STORE_DB_NAME " is %s but " STORE_NODE_KEY_NAME " is there: the "
                       "log this node signed is gone, and a new one under its key would fork "
                       "it. Restore " STORE_DB_NAME " from a backup holding its last "
                       "checkpoint, or move " STORE_NODE_KEY_NAME " away and import a snapshot",
                       dir, what);
    if (!(flags & KP_STORE_CREATE))
        return err_set(err, KP_E_STORE_MISSING,
                       "no store in %s (" STORE_DB_NAME " is %s); a command that writes to the "
                       "store, such as kapsule ingest, creates one",
                       dir, what);
    return KP_OK;
}

/* Refuses, before anything is written, a file that is not a kapsule store
   or whose schema is newer than the code (or older, read-only), and an
   empty database where no store may be created (no_store). */
static int check_header(kp_store *st, size_t n, int64_t *version, kp_error *err)
{
    int64_t ver, app, objects;
    int rc;
    if ((rc = query_int(st, "PRAGMA user_version", &ver, err)) != KP_OK) return rc;
    if ((rc = query_int(st, "PRAGMA application_id", &app, err)) != KP_OK) return rc;
    if (ver > 0 || app != 0) {
        if (app != STORE_APP_ID)
            return err_set(err, KP_E_STORE_FOREIGN,
                           "%s/" STORE_DB_NAME " is a SQLite database of another program "
                           "(application_id 0x%08x)",
                           st->dir, (unsigned)app);
    } else {
        rc = query_int(st, "SELECT count(*) FROM sqlite_schema", &objects, err);
        if (rc) return rc;
        if (objects > 0)
            return err_set(err, KP_E_STORE_FOREIGN,
                           "%s/" STORE_DB_NAME " holds tables but is not a kapsule store",
                           st->dir);
        /* nothing in it: as if there were no file (a read-only open never
           creates, so it is E_STORE_MISSING, not "open it to upgrade") */
        if ((rc = no_store(st->dir, st->flags, "empty", err)) != KP_OK) return rc;
    }
    if (ver < 0 || (uint64_t)ver > n)
        return err_set(err, KP_E_STORE_TOO_NEW,
                       "store %s has schema version %lld; this kapsule knows up to %zu",
                       st->dir, (long long)ver, n);
    /* ver >= 1 here: a store with data, which an upgrade keeps */
    if ((uint64_t)ver < n && (st->flags & KP_STORE_READONLY))
        return err_set(err, KP_E_STORE_OLD,
                       "store %s has schema version %lld and this kapsule needs %zu: a "
                       "read-only command does not upgrade it; the next command that writes "
                       "to it (e.g. kapsule ingest) upgrades it in place, keeping its data",
                       st->dir, (long long)ver, n);
    *version = ver;
    return KP_OK;
}

/* Runs every pending migration, from version ver. */
static int migrate(kp_store *st, const store_migration *list, size_t n, int64_t ver,
                   kp_error *err)
{
    int rc;
    for (size_t v = (size_t)ver; v < n; v++)
        if ((rc = migrate_one(st, &list[v], (int)v, err)) != KP_OK) return rc;
    if ((rc = query_int(st, "PRAGMA user_version", &ver, err)) != KP_OK) return rc;
    st->version = (int)ver;
    return KP_OK;
}

/* Connection settings that do not persist in the file. */
static int configure(kp_store *st, kp_error *err)
{
    int rc;
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
    /* Defensive: no writable_schema, no direct page edits through SQL. */
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, NULL);
    /* recursive_triggers: INSERT OR REPLACE deletes the row it replaces, and
       only with this on do DELETE triggers fire for it, so the append-only
       triggers also refuse REPLACE. */
    rc = store_exec(st,
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA recursive_triggers = ON;"
                    "PRAGMA synchronous = FULL;",
                    err);
    return rc;
}

/*
 * WAL persists in the file: set only once the file is known to be ours.
 * The pragma answers its row before it is done: switching a file to WAL
 * writes the database header in a transaction of its own that commits
 * when the statement ends. So the statement is stepped to SQLITE_DONE and
 * that step's result checked; a failed commit there (disk full, I/O
 * error) would otherwise be dropped by finalize, and the store opened in
 * rollback-journal mode while the pragma had answered "wal".
 */
static int use_wal(kp_store *st, kp_error *err)
{
    char mode[16] = "";
    sqlite3_stmt *s = NULL;
    int rc = KP_OK;
    if (st->flags & KP_STORE_READONLY) return KP_OK;
    int src = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (src == SQLITE_OK) src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        /* copied: the text dies with the statement */
        const char *m = (const char *)sqlite3_column_text(s, 0);
        snprintf(mode, sizeof mode, "%s", m ? m : "nothing");
        src = sqlite3_step(s);
    }
    if (src != SQLITE_DONE && src != SQLITE_OK)
        rc = store_fail(st, src, "setting WAL mode", err);
    else if (strcmp(mode, "wal") != 0)
        rc = err_set(err, KP_E_STORE_SQL, "store %s cannot use WAL mode (got %s)", st->dir,
                     mode[0] ? mode : "nothing");
    sqlite3_finalize(s);
    return rc;
}

int store_open_with(const char *dir, unsigned flags, const store_migration *list, size_t n,
                    const char *vfs, kp_store **out, kp_error *err)
{
    kp_store *st = NULL;
    buf path = {0};
    int rc;
    int64_t version = 0;
    struct stat sb;

    if (!dir || !dir[0]) return err_set(err, KP_E_ARG, "no store folder given");
    if ((flags & KP_STORE_CREATE) && (flags & KP_STORE_READONLY))
        return err_set(err, KP_E_ARG, "a store cannot be created read-only");

    st = mem_calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->flags = flags;
    st->dir_len = strlen(dir);
    st->dir = mem_strndup(dir, st->dir_len);
    if (!st->dir) goto nomem;
    if ((rc = buf_printf(&path, "%s/" STORE_DB_NAME, dir)) != KP_OK) goto nomem;

    if (stat((char *)path.p, &sb) != 0) {
        if (errno != ENOENT) {
            rc = err_errno(err, errno, "cannot reach", (char *)path.p);
            goto fail;
        }
        if ((rc = no_store(dir, flags, "missing", err)) != KP_OK) goto fail;
        if ((rc = file_mkdir(dir, 0700, err)) != KP_OK) goto fail;
        /* Made here so that it is private: SQLite would use 0644, and its
           -wal and -shm files copy the database file's mode. */
        int fd = open((char *)path.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {
            rc = err_errno(err, errno, "cannot create", (char *)path.p);
            goto fail;
        }
        if (fd >= 0) close(fd);
    }

    int oflags = (flags & KP_STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    int src = sqlite3_open_v2((char *)path.p, &st->db, oflags | SQLITE_OPEN_NOMUTEX, vfs);
    if (src != SQLITE_OK) {
        rc = store_fail(st, src, "cannot open the store", err);
        err_prefix(err, "%s", (char *)path.p);
        goto fail;
    }
    if ((rc = configure(st, err)) != KP_OK) goto fail;
    if ((rc = check_header(st, n, &version, err)) != KP_OK) goto fail;
    if ((rc = use_wal(st, err)) != KP_OK) goto fail;
    if ((rc = migrate(st, list, n, version, err)) != KP_OK) goto fail;
    if ((rc = store_quarantine_open_check(st, err)) != KP_OK) goto fail;
    buf_free(&path);
    *out = st;
    return KP_OK;
nomem:
    rc = err_set(err, KP_E_NOMEM, "out of memory opening store %s", dir);
fail:
    buf_free(&path);
    kp_store_close(st);
    return rc;
}

int kp_store_open(const char *dir, unsigned flags, kp_store **out, kp_error *err)
{
    return store_open_with(dir, flags, store_migrations, store_migration_count, NULL, out,
                           err);
}

void kp_store_close(kp_store *st)
{
    if (!st) return;
    for (size_t i = 0; i < st->ncache; i++) {
        sqlite3_finalize(st->cache[i].stmt);
        mem_free(st->cache[i].sql, st->cache[i].len + 1);
    }
    mem_free(st->cache, st->capcache * sizeof *st->cache);
    if (st->db) {
        /* An open transaction is rolled back by closing: nothing half-done
           is ever committed. */
        sqlite3_close_v2(st->db);
    }
    if (st->dir) mem_free(st->dir, st->dir_len + 1);
    mem_free(st, sizeof *st);
}

int kp_store_schema_version(const kp_store *st)
{
    return st->version;
}
