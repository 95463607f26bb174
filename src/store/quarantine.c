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
#include "util/file.h"

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
    /* what the open check sees is not repaired by a passing log verify (an
       older database under a node that signed more): it marks again */
    int code;
    if ((rc = store_quarantine_open_check(st, err)) != KP_OK) return rc;
    if ((rc = kp_store_quarantined(st, &code, NULL, err)) != KP_OK) return rc;
    if (cleared) *cleared = n > 0 && !code;
    return KP_OK;
}

/*
 * The node's own memory of what it signed, beside the database:
 * <dir>/node.head holds "<tree size> <hex root> <verifier key>\n" of the
 * newest checkpoint the node key signed. The database's checkpoints go wherever
 * the database goes (an older copy put back brings its older checkpoints
 * with it); this file stays with the key, so an older or different log
 * under the same key is seen. It is written after the checkpoint commits
 * (so it may lag, never lead) and read as absent when it does not parse.
 */
int store_node_head_put(kp_store *st, uint64_t size, const uint8_t root[32], const char *vkey,
                        kp_error *err)
{
    char path[4200], text[96 + KP_LOG_VKEY_MAX];
    if (strlen(vkey) >= KP_LOG_VKEY_MAX || strpbrk(vkey, " \n"))
        return err_set(err, KP_E_ARG, "bad verifier key");
    int n = snprintf(text, sizeof text, "%llu ", (unsigned long long)size);
    for (int i = 0; i < 32; i++) n += snprintf(text + n, sizeof text - (size_t)n, "%02x", root[i]);
    n += snprintf(text + n, sizeof text - (size_t)n, " %s\n", vkey);
    snprintf(path, sizeof path, "%s/" STORE_NODE_HEAD_NAME, st->dir);
    return file_write_atomic(path, (const uint8_t *)text, (size_t)n, 0600, err);
}

/* The verifier key the log is bound to, or "" before its first checkpoint. */
static int log_vkey(kp_store *st, char vkey[KP_LOG_VKEY_MAX], kp_error *err)
{
    sqlite3_stmt *s;
    vkey[0] = 0;
    int rc = store_stmt(st, "SELECT vkey FROM log_identity WHERE id = 1", &s, err);
    if (rc) return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        snprintf(vkey, KP_LOG_VKEY_MAX, "%s", v ? v : "");
    }
    store_done(s);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return store_fail(st, src, "reading the log's identity", err);
    return KP_OK;
}

/* Reads node.head: 1 with *size and root, or 0 when absent, unreadable, or
   written for another key than the one the log is bound to (a store
   started afresh under a new key, the old key moved away, is no fork). */
static int node_head_get(kp_store *st, uint64_t *size, uint8_t root[32], kp_error *err,
                         int *rc)
{
    char path[4200], text[128 + KP_LOG_VKEY_MAX], hex[65], vkey[KP_LOG_VKEY_MAX],
        mine[KP_LOG_VKEY_MAX];
    unsigned long long sz;
    *rc = KP_OK;
    snprintf(path, sizeof path, "%s/" STORE_NODE_HEAD_NAME, st->dir);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char fmt[48];
    snprintf(fmt, sizeof fmt, "%%20llu %%64[0-9a-f] %%%ds", KP_LOG_VKEY_MAX - 1);
    if (sscanf(text, fmt, &sz, hex, vkey) != 3 || strlen(hex) != 64) return 0;
    if ((*rc = log_vkey(st, mine, err)) != KP_OK) return 0;
    if (strcmp(mine, vkey) != 0) return 0;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return 0;
        root[i] = (uint8_t)v;
    }
    *size = sz;
    return 1;
}

/*
 * What can be checked on every open for writing without reading the log:
 * every checkpoint handed out covers entries that exist. The log's tables
 * refuse deletes, so a log shorter than its largest signed checkpoint
 * (the database's own, or the node's memory of its last, node.head) was
 * cut behind kapsule's back or replaced by an older copy, and a log
 * holding a checkpoint of the node's last size with another root is
 * another history; appending to either would sign a tree that forks the
 * one already handed out. A few index lookups and one small file.
 */
int kp_store_check_signed(kp_store *st, kp_error *err)
{
    sqlite3_stmt *s;
    char why[KP_ERROR_MSG_BYTES];
    uint64_t head_size = 0;
    uint8_t head_root[32];
    int rc;
    int have_head = node_head_get(st, &head_size, head_root, err, &rc);
    if (rc) return rc;
    rc = store_stmt(st,
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
    why[0] = 0;
    if (signed_size > size)
        snprintf(why, sizeof why,
                 "the log has %lld entries but holds a checkpoint of %lld: entries were removed",
                 (long long)size, (long long)signed_size);
    else if (have_head && head_size > (uint64_t)size)
        snprintf(why, sizeof why,
                 "the log has %lld entries but this node signed a checkpoint of %llu "
                 "(" STORE_NODE_HEAD_NAME "): the database is an older copy",
                 (long long)size, (unsigned long long)head_size);
    else if (have_head && head_size > 0) {
        /* the same size signed twice must have the same root */
        rc = store_stmt(st, "SELECT root FROM log_checkpoints WHERE size = ?1 LIMIT 1", &s, err);
        if (rc) return rc;
        sqlite3_bind_int64(s, 1, (sqlite3_int64)head_size);
        src = sqlite3_step(s);
        if (src == SQLITE_ROW && (sqlite3_column_bytes(s, 0) != 32 ||
                                  memcmp(sqlite3_column_blob(s, 0), head_root, 32) != 0))
            snprintf(why, sizeof why,
                     "this node signed another root at tree size %llu (" STORE_NODE_HEAD_NAME
                     "): the database holds another history",
                     (unsigned long long)head_size);
        store_done(s);
        if (src != SQLITE_ROW && src != SQLITE_DONE)
            return store_fail(st, src, "reading a checkpoint", err);
    }
    if (!why[0]) return KP_OK;
    return err_set(err, KP_E_LOG_CHECKPOINT, "%s", why);
}

int store_quarantine_open_check(kp_store *st, kp_error *err)
{
    kp_error found;
    int code, rc;
    if (!has_table(st) || (st->flags & KP_STORE_READONLY)) return KP_OK;
    rc = kp_store_check_signed(st, &found);
    if (rc == KP_OK) return KP_OK;
    if (rc != KP_E_LOG_CHECKPOINT) {
        if (err) *err = found;
        return rc;
    }
    if ((rc = kp_store_quarantined(st, &code, NULL, err)) || code) return rc;
    return put_mark(st, KP_E_LOG_CHECKPOINT, found.msg, err);
}
