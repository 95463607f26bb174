/*
 * faultloop.h: "a disk fault at every write of an operation leaves the
 * store as it was" as a reusable loop (test-only; uses faultvfs.h).
 *
 * An operation is two callbacks: run (does the work on an open store, e.g.
 * one ingest, a batch, a checkpoint) and digest (a hash of every piece of
 * state the operation may change). faultloop_run copies a closed base
 * store, runs the operation once unarmed to count its write-class
 * operations n and take the digests before and after, then for every
 * k = 1..n and both kinds of fault (disk full from k on, an I/O error at
 * k only):
 *
 *   1. copies the base store, opens it through faultvfs, arms the fault at
 *      k and runs the operation, which must fail with KP_E_DISK_FULL or
 *      KP_E_IO (or succeed only when the fault was never reached) and
 *      leave no transaction open;
 *   2. on the same connection, disarmed: the digest is "before" (or
 *      "after" when it succeeded);
 *   3. copies the files as they are on disk at that moment (database and
 *      WAL, no shared-memory index): the state a crash right after the
 *      failure would leave;
 *   4. closes, reopens without faults and checks PRAGMA integrity_check,
 *      kp_log_verify, the digest, and that the operation then succeeds
 *      and reaches the "after" digest;
 *   5. opens the crash copy and checks integrity, kp_log_verify and its
 *      digest: "before", or "after" only when the fault was the commit's
 *      last sync of the WAL. SQLite (WAL mode, synchronous=FULL) writes
 *      every frame of a commit, then syncs the WAL; when that sync fails
 *      it reports the error and does not publish the frames in the
 *      wal-index, so this process never sees them, but the frames with
 *      their commit mark are in the file and a recovery after a crash
 *      finds them: the outcome of a commit whose final sync failed is
 *      either state, never anything else. Every other fault leaves a WAL
 *      with no complete commit and the recovery ignores it.
 *
 * To plug in another operation (the ingest tests):
 *
 *     static int my_run(kp_store *st, void *ud, kp_error *err) { ... }
 *     static int my_digest(kp_store *st, void *ud, crypto_hash_sha256_state *h,
 *                          kp_error *err)
 *     {   // the operation's own tables, then the log
 *         int rc = faultloop_sql_digest(st, "SELECT * FROM capsules ORDER BY id", h, err);
 *         return rc ? rc : faultloop_log_digest(st, h, err);
 *     }
 *     faultloop_op op = {"ingest one capsule", my_run, my_digest, NULL, &ctx};
 *     faultloop_report rep;
 *     char why[512];
 *     CHECK_MSG(faultloop_run(base_dir, work_dir, &op, &rep, why, sizeof why) == 0,
 *               "%s", why);
 *
 * base_dir holds a closed store (kp_store_close checkpoints and removes
 * the WAL) in the state before the operation; work_dir is scratch space,
 * emptied and reused. The operation must be deterministic: run twice from
 * the same base it must reach the same digest.
 */
#ifndef KP_TEST_FAULTLOOP_H
#define KP_TEST_FAULTLOOP_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"

typedef struct faultloop_op {
    const char *name;
    /* The operation. Returns KP_OK or its failure; on failure it must have
       rolled back whatever transaction it opened. */
    int (*run)(kp_store *st, void *ud, kp_error *err);
    /* Feeds into h everything the operation may change. */
    int (*digest)(kp_store *st, void *ud, crypto_hash_sha256_state *h, kp_error *err);
    /* kp_log_verify's key (NULL: the key the log is bound to). */
    const char *vkey;
    void *ud;
} faultloop_op;

typedef struct faultloop_report {
    uint64_t writes;       /* write-class operations of the clean run */
    uint64_t runs;         /* armed runs */
    uint64_t failed;       /* armed runs that hit a fault and failed with its code */
    uint64_t crash_after;  /* crash copies found committed (fault at the last sync) */
} faultloop_report;

/*
 * Runs the loop above. 0 when every check held; otherwise -1 with the
 * first broken check (operation, fault kind, k) in why. rep may be NULL.
 * Leaves work_dir's contents behind for a post-mortem on failure.
 */
int faultloop_run(const char *base_dir, const char *work_dir, const faultloop_op *op,
                  faultloop_report *rep, char *why, size_t cap);

/* Feeds every column of every row of sql's result, with its type, into h. */
int faultloop_sql_digest(kp_store *st, const char *sql, crypto_hash_sha256_state *h,
                         kp_error *err);
/* The log: its size, every entry, the root at every size, every node,
   checkpoint and the identity. */
int faultloop_log_digest(kp_store *st, crypto_hash_sha256_state *h, kp_error *err);

/* "ok" from PRAGMA integrity_check: 0, else -1 with SQLite's first line. */
int faultloop_integrity(kp_store *st, char *why, size_t cap);
/* Copies dir/store.db and, when present, dir/store.db-wal into to (made,
   emptied first); the -shm index is left out as a crash loses it. 0 or -1. */
int faultloop_copy_store(const char *dir, const char *to);

#endif
