/*
 * store.h: the capsule store's tables (schema migration 2), one small file
 * per group: capsules.c (capsules and DAG edges), modules.c (logic
 * modules and their lifecycle), kv.c (the modules' child storage),
 * results.c (what logic said), pending.c (capsules waiting for a parent
 * or a module), ledger.c (balances, transfers, request nonces).
 *
 * These are plain row operations: they run inside whatever transaction the
 * caller holds (the runtime's one unit per capsule) and never open one of
 * their own, so that a capsule's rows, edges, results, state changes and
 * log entry commit or roll back together. Ids are 32 bytes. Lists come
 * back appended to a caller's buf (ids: 32 bytes each), which the caller
 * frees. Reads fail with KP_E_NOT_FOUND for an absent row where they say
 * so, else with the store's codes.
 */
#ifndef KP_STORE_STORE_H
#define KP_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "util/buf.h"

#define STORE_ID 32
#define STORE_KEY_MAX 65

/* Binds n bytes at p (an empty blob, never NULL, when n is 0). */
int store_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n);
/* Steps a write statement to its end and resets it; maps failures. */
int store_step_done(kp_store *st, sqlite3_stmt *s, const char *what, kp_error *err);
/* Appends column i (a blob; NULL reads as empty) to out. */
int store_column_append(sqlite3_stmt *s, int i, buf *out);

/* ---- capsules.c ------------------------------------------------------------ */

/* An accepted capsule as stored; every pointer is borrowed for the call. */
typedef struct store_capsule {
    const uint8_t *id;
    const uint8_t *bytes; /* the whole file, exactly as received */
    size_t len;
    const char *type;
    int author_alg;
    const uint8_t *author;
    size_t author_len;
    int64_t created;
    const uint8_t *logic; /* NULL: the capsule names no module */
    int encrypted;
    uint64_t log_idx;     /* the log entry that accepted it */
    const uint8_t (*parents)[STORE_ID];
    size_t nparents;
} store_capsule;

/* Inserts the capsule and its edges (every parent must be stored:
   KP_E_STORE_CONSTRAINT otherwise). */
int store_capsule_put(kp_store *st, const store_capsule *c, kp_error *err);
int store_capsule_exists(kp_store *st, const uint8_t id[STORE_ID], int *found, kp_error *err);
/* Appends the file bytes to bytes; *seq and *log_idx may be NULL.
   KP_E_NOT_FOUND when absent. */
int store_capsule_get(kp_store *st, const uint8_t id[STORE_ID], buf *bytes, int64_t *seq,
                      uint64_t *log_idx, kp_error *err);
/* The ids of the capsules naming id as a parent, in ingest order. */
int store_capsule_children(kp_store *st, const uint8_t id[STORE_ID], buf *ids, kp_error *err);
/* The ids of id's parents, bytewise order. */
int store_capsule_parents(kp_store *st, const uint8_t id[STORE_ID], buf *ids, kp_error *err);
/* The capsules no stored capsule names as a parent (of type, when not
   NULL), in ingest order. */
int store_capsule_heads(kp_store *st, const char *type, buf *ids, kp_error *err);
/* Every ancestor of id, each once, in ingest order. */
int store_capsule_ancestors(kp_store *st, const uint8_t id[STORE_ID], buf *ids, kp_error *err);
int store_capsule_count(kp_store *st, uint64_t *n, kp_error *err);
/* Calls fn for every stored capsule in ingest order; a non-OK return from
   fn stops the walk and is returned. */
typedef int (*store_capsule_fn)(void *ud, const uint8_t *id, const uint8_t *bytes, size_t len,
                                uint64_t log_idx, kp_error *err);
int store_capsule_each(kp_store *st, store_capsule_fn fn, void *ud, kp_error *err);

/* ---- modules.c ------------------------------------------------------------- */

enum { STORE_MODULE_ACTIVE = 0, STORE_MODULE_DESTROYED = 1, STORE_MODULE_UPGRADED = 2 };

typedef struct store_module {
    uint8_t id[STORE_ID];
    int owner_alg; /* 0: no owner */
    uint8_t owner[STORE_KEY_MAX];
    size_t owner_len;
    int state;
    uint8_t successor[STORE_ID]; /* STORE_MODULE_UPGRADED only */
    int64_t added;
    size_t code_len;
} store_module;

/* Registers code under its module id (written to id). A module already
   registered is left as it is and *added is 0. */
int store_module_add(kp_store *st, const uint8_t *code, size_t len, int owner_alg,
                     const uint8_t *owner, size_t owner_len, int64_t now, uint8_t id[STORE_ID],
                     int *added, kp_error *err);
/* KP_E_NOT_FOUND for an unregistered id. */
int store_module_info(kp_store *st, const uint8_t id[STORE_ID], store_module *out,
                      kp_error *err);
/* Appends the code to out; KP_E_NOT_FOUND for an unregistered id. */
int store_module_code(kp_store *st, const uint8_t id[STORE_ID], buf *out, kp_error *err);
/* A lifecycle change (see host_modules.set_state). */
int store_module_set_state(kp_store *st, const uint8_t id[STORE_ID], int state,
                           const uint8_t successor[STORE_ID], kp_error *err);
/* How many stored capsules accepted at log index >= since name id as
   their logic module. */
int store_module_named(kp_store *st, const uint8_t id[STORE_ID], uint64_t since, uint64_t *n,
                       kp_error *err);
/* Calls fn for every module's id and code, in id order (pointers valid
   during the call); a non-OK return from fn stops the walk. */
typedef int (*store_module_fn)(void *ud, const uint8_t id[STORE_ID], const uint8_t *code,
                               size_t len, kp_error *err);
int store_module_each(kp_store *st, store_module_fn fn, void *ud, kp_error *err);
/* Every module, in id order: *out (n rows) freed with mem_free(*out, n * sizeof **out). */
int store_module_list(kp_store *st, store_module **out, size_t *n, kp_error *err);

/* ---- kv.c ------------------------------------------------------------------ */

/* The value of (module, key) appended to val; *found 0 when absent. */
int store_kv_get(kp_store *st, const uint8_t module[STORE_ID], const uint8_t *key, size_t klen,
                 buf *val, int *found, kp_error *err);
int store_kv_put(kp_store *st, const uint8_t module[STORE_ID], const uint8_t *key, size_t klen,
                 const uint8_t *val, size_t vlen, kp_error *err);
int store_kv_del(kp_store *st, const uint8_t module[STORE_ID], const uint8_t *key, size_t klen,
                 kp_error *err);

/* ---- results.c ------------------------------------------------------------- */

enum { STORE_VERDICT_ACCEPT = 1, STORE_VERDICT_REJECT = 2 };

typedef struct store_result {
    uint8_t capsule[STORE_ID];
    uint8_t module[STORE_ID];
    int verdict;
    const char *reason;   /* NUL-terminated */
    int has_result;       /* the guest submitted a result */
    const uint8_t *result;
    size_t result_len;
    uint64_t fuel;
    uint8_t transcript_root[32];
    uint8_t policy_hash[32];
    uint64_t log_idx;
} store_result;

int store_result_put(kp_store *st, const store_result *r, kp_error *err);
/* Fills *out; its reason and result point into mem (the caller's, appended
   to). KP_E_NOT_FOUND when the capsule has no result. */
int store_result_get(kp_store *st, const uint8_t capsule[STORE_ID], store_result *out, buf *mem,
                     kp_error *err);
/* Calls fn for every result (pointers valid during the call). */
typedef int (*store_result_fn)(void *ud, const store_result *r, kp_error *err);
int store_result_each(kp_store *st, store_result_fn fn, void *ud, kp_error *err);

/* ---- pending.c ------------------------------------------------------------- */

enum { STORE_WAIT_PARENT = 1, STORE_WAIT_MODULE = 2 };

typedef struct store_wait {
    int kind;
    uint8_t want[STORE_ID];
} store_wait;

/* Keeps a capsule (its file bytes) until what it waits for arrives. */
int store_pending_add(kp_store *st, const uint8_t id[STORE_ID], const uint8_t *bytes, size_t len,
                      const store_wait *waits, size_t nwaits, int64_t now, kp_error *err);
int store_pending_exists(kp_store *st, const uint8_t id[STORE_ID], int *found, kp_error *err);
/* The ids of the pending capsules waiting for want, oldest first. */
int store_pending_waiting_on(kp_store *st, const uint8_t want[STORE_ID], buf *ids,
                             kp_error *err);
/* Appends a pending capsule's bytes to bytes and removes it (with its
   waits). KP_E_NOT_FOUND when it is not pending. */
int store_pending_take(kp_store *st, const uint8_t id[STORE_ID], buf *bytes, kp_error *err);
int store_pending_count(kp_store *st, uint64_t *n, kp_error *err);

/* ---- ledger.c -------------------------------------------------------------- */

/* Balances are kept as SQLite integers: at most INT64_MAX (KP_E_LIMIT). */
int store_ledger_balance(kp_store *st, const uint8_t *acct, size_t len, uint64_t *bal,
                         kp_error *err);
/* Adds amount to an account (genesis, tests). */
int store_ledger_credit(kp_store *st, const uint8_t *acct, size_t len, uint64_t amount,
                        kp_error *err);
/* KP_E_LEDGER_OVERDRAFT, changing nothing, when from holds less than amount. */
int store_ledger_transfer(kp_store *st, const uint8_t *from, size_t flen, const uint8_t *to,
                          size_t tlen, uint64_t amount, kp_error *err);
int store_ledger_transfer_count(kp_store *st, uint64_t *n, kp_error *err);
int store_nonce_used(kp_store *st, const uint8_t *author, size_t alen, const uint8_t *nonce,
                     size_t nlen, int *used, kp_error *err);
/* KP_E_CAP_REQUEST_REPLAYED for a nonce already claimed by author. */
int store_nonce_claim(kp_store *st, const uint8_t *author, size_t alen, const uint8_t *nonce,
                      size_t nlen, kp_error *err);

#endif
