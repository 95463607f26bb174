/*
 * quarantine.c: the mark a store carries once it has failed its integrity
 * check, and the one rule that goes with it: while the mark is there,
 * every write transaction is refused (store_begin calls
 * store_quarantine_gate under the write lock, so every write path, be it
 * ingest, import, a credit, a module or a checkpoint, meets the same
 * rule, and a checkpoint never signs a tree found tampered).
 *
 * The mark is set by kapsule log verify when it finds a fault (through
 * kp_store_quarantine) and by the cheap check run on every open for
 * writing (a log shorter than a checkpoint it signed is a fork or a
 * deletion); it is lifted by kp_store_quarantine_clear, which kapsule
 * log verify calls when the store verifies again (the repair step). A
 * writer opened with KP_STORE_FORCE passes the gate and leaves the mark.
 * The mark is a row of the database itself, so it travels with the file
 * and survives restarts.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/db.h"
#include "store/store.h"
#include "util/error.h"

/* The schema version that has the quarantine table (schema.c). */
#define QUARANTINE_VERSION 3

static int has_table(const kp_store *st)
{
    return st->version >= QUARANTINE_VERSION;
}

int kp_store_quarantined(kp_store *st, int *code, char reason[KP_ERROR_MSG_BYTES],
                         kp_error *err)
{
    sqlite3_stmt *s;
    *code = 0;
    if (reason) reason[0] = 0;
    if (!has_table(st)) return KP_OK;
    int rc = store_stmt(st, "SELECT code, reason FROM quarantine WHERE id = 1", &s, err);
    if (rc) return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *code = sqlite3_column_int(s, 0);
        if (*code == 0) *code = KP_E_STORE_CORRUPT;
        const char *r = (const char *)sqlite3_column_text(s, 1);
        if (reason) snprintf(reason, KP_ERROR_MSG_BYTES, "%s", r ? r : "");
    }
    store_done(s);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return store_fail(st, src, "reading the quarantine mark", err);
    return KP_OK;
}

int store_quarantine_gate(kp_store *st, kp_error *err)
{
    int code;
    char reason[KP_ERROR_MSG_BYTES];
    if ((st->flags & KP_STORE_FORCE) || !has_table(st)) return KP_OK;
    int rc = kp_store_quarantined(st, &code, reason, err);
    if (rc || !code) return rc;
    return err_set(err, KP_E_STORE_CORRUPT,
                   "store %s is quarantined, writes are refused: %s (%.140s). Repair it and "
                   "run kapsule log verify, which lifts the mark, or write anyway with --force",
                   st->dir, kp_status_name(code) ? kp_status_name(code) : "E_STORE_CORRUPT",
                   reason);
}

/* Sets (or replaces) the mark, in a transaction of its own that the gate
   does not stop. */
static int put_mark(kp_store *st, int code, const char *reason, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_begin_ungated(st, err);
    if (rc) return rc;
    rc = store_stmt(st,
                    "INSERT INTO quarantine(id, code, reason, since, log_size)"
                    " VALUES (1, ?1, ?2, ?3, coalesce((SELECT max(idx) + 1 FROM log_entries), 0))"
                    " ON CONFLICT(id) DO UPDATE SET code = excluded.code,"
                    " reason = excluded.reason, since = excluded.since,"
                    " log_size = excluded.log_size",
                    &s, err);
    if (rc == KP_OK) {
        sqlite3_bind_int(s, 1, code ? code : KP_E_STORE_CORRUPT);
        sqlite3_bind_text(s, 2, reason ? reason : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
        rc = store_step_done(st, s, "recording the quarantine mark", err);
    }
    if (rc == KP_OK) rc = store_commit(st, err);
    if (rc) store_rollback(st);
    return rc;
}

int kp_store_quarantine(kp_store *st, int code, const char *reason, kp_error *err)
{
    int rc = store_writable(st, err);
    if (rc) return rc;
    if (!has_table(st)) return err_set(err, KP_E_STORE_OLD, "store %s predates quarantine", st->dir);
    if (store_in_tx(st)) return err_set(err, KP_E_STORE_TX, "a transaction is open");
    return put_mark(st, code, reason, err);
}

int kp_store_quarantine_clear(kp_store *st, int *cleared, kp_error *err)
{
    sqlite3_stmt *s;
    if (cleared) *cleared = 0;
    int rc = store_writable(st, err);
    if (rc || !has_table(st)) return rc;
    if (store_in_tx(st)) return err_set(err, KP_E_STORE_TX, "a transaction is open");
    if ((rc = store_begin_ungated(st, err))) return rc;
    rc = store_stmt(st, "DELETE FROM quarantine WHERE id = 1", &s, err);
    if (rc == KP_OK) rc = store_step_done(st, s, "lifting the quarantine mark", err);
    int n = sqlite3_changes(st->db);
    if (rc == KP_OK) rc = store_commit(st, err);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    if (cleared) *cleared = n > 0;
    return KP_OK;
}

/*
 * What can be checked on every open for writing without reading the log:
 * every checkpoint handed out covers entries that exist. The log's tables
 * refuse deletes, so a log shorter than its largest signed checkpoint was
 * cut behind kapsule's back (or replaced by an older copy), and
 * appending to it would sign a tree that forks the one already handed
 * out. Two index lookups.
 */
int store_quarantine_open_check(kp_store *st, kp_error *err)
{
    sqlite3_stmt *s;
    if (!has_table(st) || (st->flags & KP_STORE_READONLY)) return KP_OK;
    int rc = store_stmt(st,
                        "SELECT coalesce((SELECT max(size) FROM log_checkpoints), 0),"
                        " coalesce((SELECT max(idx) + 1 FROM log_entries), 0)",
                        &s, err);
    if (rc) return rc;
    int src = sqlite3_step(s);
    int64_t signed_size = 0, size = 0;
    if (src == SQLITE_ROW) {
        signed_size = sqlite3_column_int64(s, 0);
        size = sqlite3_column_int64(s, 1);
    }
    store_done(s);
    if (src != SQLITE_ROW) return store_fail(st, src, "checking the log's size", err);
    if (signed_size <= size) return KP_OK;
    int code;
    if ((rc = kp_store_quarantined(st, &code, NULL, err)) || code) return rc;
    char why[KP_ERROR_MSG_BYTES];
    snprintf(why, sizeof why,
             "the log has %lld entries but a checkpoint of %lld was signed: entries were"
             " removed, or the database replaced by an older copy",
             (long long)size, (long long)signed_size);
    return put_mark(st, KP_E_LOG_CHECKPOINT, why, err);
}
