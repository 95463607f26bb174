/*
 * db.h: the store's connection and what every store user shares: opening
 * with the schema brought up to date, statement caching, transactions and
 * the mapping of SQLite's result codes to kapsule's.
 *
 * Transactions. A write is either the caller's whole transaction
 * (store_begin ... store_commit) or a "unit" (store_unit_begin/_end): a unit
 * opens its own BEGIN IMMEDIATE transaction when none is open, and a
 * SAVEPOINT inside the caller's transaction otherwise. So one ingested
 * capsule (its rows, edges, results and log entry) is one unit that commits
 * or rolls back as a whole, and a batch may wrap many units in one
 * store_begin/store_commit without any unit knowing:
 *
 *     store_begin(st, err);                       // batch: one fsync
 *     for each capsule:
 *         store_unit_begin(st, "capsule", &u, err);
 *         rc = ...rows, edges, kp_log_append...;
 *         rc = store_unit_end(st, &u, rc, err);    // rc != OK: unit undone
 *     store_commit(st, err);                      // acknowledged from here
 *
 * Reads that must see one snapshot (a proof reads the size, then nodes)
 * use store_read_begin/_end, which open a read transaction only when none
 * is open.
 */
#ifndef KP_STORE_DB_H
#define KP_STORE_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"

/* The database file inside the store folder. */
#define STORE_DB_NAME "store.db"
/* The node's checkpoint key beside it (src/runtime/node.c): its presence
   says that this folder has held a signed log (db.c, no_store). */
#define STORE_NODE_KEY_NAME "node.key"
/* The node's memory of the newest checkpoint it signed (quarantine.c). */
#define STORE_NODE_HEAD_NAME "node.head"
/* PRAGMA application_id of a kapsule store: "kaps". */
#define STORE_APP_ID 0x6b617073
/* How long a writer waits for another process's lock. */
#define STORE_BUSY_MS 5000

/*
 * One forward migration: SQL run in one transaction that moves the schema
 * from version (its position) to version (its position + 1).
 */
typedef struct store_migration {
    const char *name; /* a few words, for error messages */
    const char *sql;  /* one or more statements */
} store_migration;

/* The ordered list of every migration (schema.c); the last is the current
   schema version. */
extern const store_migration store_migrations[];
extern const size_t store_migration_count;

typedef struct store_cached {
    uint64_t hash; /* FNV-1a of the text, to skip most comparisons */
    char *sql;     /* our copy; mem_free(sql, len + 1) */
    size_t len;
    sqlite3_stmt *stmt;
} store_cached;

struct kp_store {
    sqlite3 *db;
    char *dir; /* the folder, NUL-terminated; mem_free(dir, dir_len + 1) */
    size_t dir_len;
    unsigned flags;
    int version; /* user_version once open */
    store_cached *cache;
    size_t ncache, capcache;
};

/*
 * kp_store_open with an explicit migration list (tests open with a prefix
 * of the real list to make an old store) and SQLite VFS name (NULL: the
 * default; fault-injection tests pass a shim).
 */
int store_open_with(const char *dir, unsigned flags, const store_migration *list, size_t n,
                    const char *vfs, kp_store **out, kp_error *err);

/* The kapsule code for a SQLite result code (extended or primary). */
int store_status(int sqlite_rc);
/* Fills err from a failed SQLite call: "what: sqlite's message"; returns the
   mapped code. */
int store_fail(kp_store *st, int sqlite_rc, const char *what, kp_error *err);

/* Runs SQL without results (one or more statements). */
int store_exec(kp_store *st, const char *sql, kp_error *err);
/*
 * A prepared statement for sql, cached by the store for its lifetime and
 * found again by the same text (the cache keeps its own copy, so sql may
 * be built on the stack). It comes back reset with no bindings; the
 * caller steps it and then calls store_done (a statement left mid-step
 * holds its read snapshot open). Only one user of a given SQL text at a
 * time: a function that iterates must not call one that uses the same
 * text.
 */
int store_stmt(kp_store *st, const char *sql, sqlite3_stmt **out, kp_error *err);
/* Resets a statement from store_stmt and clears its bindings. */
void store_done(sqlite3_stmt *s);

/* 1 when a transaction is open on the connection. */
int store_in_tx(kp_store *st);
/* BEGIN IMMEDIATE (takes the write lock now). KP_E_STORE_TX if one is open;
   KP_E_STORE_CORRUPT, with nothing begun, while the store is quarantined
   (quarantine.c) and was not opened with KP_STORE_FORCE. */
int store_begin(kp_store *st, kp_error *err);
/* BEGIN IMMEDIATE past the quarantine gate: migrations and the mark itself. */
int store_begin_ungated(kp_store *st, kp_error *err);
/* quarantine.c: the gate store_begin applies under the write lock, and the
   cheap check an open for writing runs (it may set the mark). */
int store_quarantine_gate(kp_store *st, kp_error *err);
int store_quarantine_open_check(kp_store *st, kp_error *err);
/* Records in <dir>/node.head that the node (verifier key vkey) signed a
   checkpoint of size with root (after the checkpoint committed). */
int store_node_head_put(kp_store *st, uint64_t size, const uint8_t root[32], const char *vkey,
                        kp_error *err);
/* COMMIT. On failure the transaction may still be open: call store_rollback. */
int store_commit(kp_store *st, kp_error *err);
/* ROLLBACK when a transaction is open; never fails. */
void store_rollback(kp_store *st);
/* SAVEPOINT name; name is [a-z0-9_]{1,31}. */
int store_savepoint(kp_store *st, const char *name, kp_error *err);
/* RELEASE name (keeps the savepoint's changes in the enclosing transaction). */
int store_release(kp_store *st, const char *name, kp_error *err);
/* ROLLBACK TO name, then RELEASE it: undoes the savepoint's changes only. */
void store_rollback_to(kp_store *st, const char *name);

/* A write unit: see the header comment. */
typedef struct store_unit {
    const char *name;
    int own_tx; /* 1: BEGIN IMMEDIATE of our own; 0: a savepoint */
} store_unit;
int store_unit_begin(kp_store *st, const char *name, store_unit *u, kp_error *err);
/*
 * Ends a unit: when rc is KP_OK commits (own transaction) or releases the
 * savepoint, else undoes the unit. Returns rc, or the commit's failure.
 */
int store_unit_end(kp_store *st, store_unit *u, int rc, kp_error *err);

/* A read snapshot: a deferred transaction when none is open. */
int store_read_begin(kp_store *st, int *owned, kp_error *err);
void store_read_end(kp_store *st, int owned);

/* KP_E_STORE_READONLY unless the store was opened for writing. */
int store_writable(kp_store *st, kp_error *err);

#endif
