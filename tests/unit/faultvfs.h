/*
 * faultvfs.h: a fault-injecting SQLite VFS for tests (not in libkapsule).
 *
 * "faultvfs" wraps the default VFS and counts every write-class operation
 * on any file SQLite opens through it: xWrite, xSync, xTruncate, xDelete
 * and xOpen of a file for writing (the database, WAL, journals, statement
 * journals). Armed at n, the n-th counted operation after faultvfs_arm
 * (from 1) fails with disk full or an I/O error instead of reaching the
 * file, once or for every operation from n on (a disk that stays full).
 * Reads are never failed: the point is what a failed write leaves behind.
 *
 *     faultvfs_register();
 *     store_open_with(dir, 0, store_migrations, store_migration_count,
 *                     FAULTVFS_NAME, &st, &err);
 *     faultvfs_arm(0, FAULTVFS_OFF);      // count only
 *     ... operation ...;  n = faultvfs_count();
 *     faultvfs_arm(k, FAULTVFS_FULL);     // the k-th write fails
 *
 * The state is process-wide (SQLite's VFS list is), so one store at a time
 * should run armed. Not thread-safe; tests are single-threaded.
 */
#ifndef KP_TEST_FAULTVFS_H
#define KP_TEST_FAULTVFS_H

#include <stdint.h>

#define FAULTVFS_NAME "faultvfs"

typedef enum faultvfs_kind {
    FAULTVFS_OFF = 0,
    FAULTVFS_FULL,          /* SQLITE_FULL, the n-th operation only */
    FAULTVFS_FULL_PERSIST,  /* SQLITE_FULL from the n-th operation on */
    FAULTVFS_IOERR,         /* SQLITE_IOERR_WRITE/_FSYNC/..., once */
    FAULTVFS_IOERR_PERSIST  /* the same I/O error from n on */
} faultvfs_kind;

/* What the first injected fault hit (to tell a commit's last sync apart). */
typedef enum faultvfs_op {
    FAULTVFS_OP_NONE = 0,
    FAULTVFS_OP_OPEN,
    FAULTVFS_OP_WRITE,
    FAULTVFS_OP_SYNC,
    FAULTVFS_OP_TRUNCATE,
    FAULTVFS_OP_DELETE
} faultvfs_op;

/* Registers "faultvfs" (not as the default); idempotent. SQLite's status
   code on failure (there is no default VFS, or out of memory). */
int faultvfs_register(void);
/* Resets the counters and arms the n-th write-class operation from now
   (n >= 1) to fail as kind; FAULTVFS_OFF (or n == 0) only counts. */
void faultvfs_arm(uint64_t n, faultvfs_kind kind);
/* Write-class operations since the last faultvfs_arm. */
uint64_t faultvfs_count(void);
/* Operations failed on purpose since the last faultvfs_arm. */
uint64_t faultvfs_hits(void);
/* The first failed operation since the last arm, and whether its file was
   a WAL file (SQLITE_OPEN_WAL). */
faultvfs_op faultvfs_first_op(int *was_wal);
/* The name of a kind, for messages. */
const char *faultvfs_kind_name(faultvfs_kind kind);

#endif
