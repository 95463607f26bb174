/*
 * faultloop.c: the fault-at-every-write loop of faultloop.h, and the
 * digests and checks it shares with the crash harness.
 */
#include "faultloop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultvfs.h"
#include "store/db.h"

#define DIGEST crypto_hash_sha256_BYTES

/* Copies file from to to; a missing source is fine when optional. */
static int copy_file(const char *from, const char *to, int optional)
{
    char b[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return optional && errno == ENOENT ? 0 : -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        close(in);
        return -1;
    }
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, b, sizeof b);
        if (n == 0) break;
        if (n < 0 || write(out, b, (size_t)n) != n) {
            rc = -1;
            break;
        }
    }
    close(in);
    if (close(out) != 0) rc = -1;
    return rc;
}

int faultloop_copy_store(const char *dir, const char *to)
{
    static const char *const names[] = {"store.db", "store.db-wal", "store.db-shm"};
    char a[1024], b[1024];
    if (mkdir(to, 0700) != 0 && errno != EEXIST) return -1;
    for (size_t i = 0; i < 3; i++) {
        snprintf(b, sizeof b, "%s/%s", to, names[i]);
        if (unlink(b) != 0 && errno != ENOENT) return -1;
    }
    for (size_t i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s/%s", dir, names[i]);
        snprintf(b, sizeof b, "%s/%s", to, names[i]);
        if (copy_file(a, b, i > 0) != 0) return -1;
    }
    return 0;
}

int faultloop_sql_digest(kp_store *st, const char *sql, crypto_hash_sha256_state *h,
                         kp_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (src != SQLITE_OK) return store_fail(st, src, "digest", err);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        int n = sqlite3_column_count(s);
        for (int i = 0; i < n; i++) {
            /* type, length and bytes: no two different rows feed the same */
            uint8_t t = (uint8_t)sqlite3_column_type(s, i);
            const void *p;
            if (t == SQLITE_INTEGER) {
                int64_t v = sqlite3_column_int64(s, i);
                crypto_hash_sha256_update(h, &t, 1);
                crypto_hash_sha256_update(h, (const uint8_t *)&v, sizeof v);
                continue;
            }
            p = t == SQLITE_TEXT ? (const void *)sqlite3_column_text(s, i)
                                 : sqlite3_column_blob(s, i);
            uint64_t len = (uint64_t)sqlite3_column_bytes(s, i);
            crypto_hash_sha256_update(h, &t, 1);
            crypto_hash_sha256_update(h, (const uint8_t *)&len, sizeof len);
            if (len) crypto_hash_sha256_update(h, p, len);
        }
    }
    sqlite3_finalize(s);
    if (src != SQLITE_DONE) return store_fail(st, src, "digest", err);
    return KP_OK;
}

int faultloop_log_digest(kp_store *st, crypto_hash_sha256_state *h, kp_error *err)
{
    static const char *const tables[] = {
        "SELECT idx, data FROM log_entries ORDER BY idx",
        "SELECT level, idx, hash FROM log_nodes ORDER BY level, idx",
        "SELECT seq, size, root, note FROM log_checkpoints ORDER BY seq",
        "SELECT id, origin, vkey FROM log_identity ORDER BY id",
    };
    uint64_t n;
    uint8_t root[KP_LOG_HASH_BYTES];
    int rc = kp_log_size(st, &n, err);
    if (rc) return rc;
    crypto_hash_sha256_update(h, (const uint8_t *)&n, sizeof n);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if ((rc = faultloop_sql_digest(st, tables[i], h, err)) != KP_OK) return rc;
    /* the roots as the log computes them, not only the rows they come from */
    for (uint64_t size = 0; size <= n; size++) {
        if ((rc = kp_log_root(st, size, root, err)) != KP_OK) return rc;
        crypto_hash_sha256_update(h, root, sizeof root);
    }
    return KP_OK;
}

int faultloop_integrity(kp_store *st, char *why, size_t cap)
{
    sqlite3_stmt *s = NULL;
    int ok = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
        snprintf(why, cap, "integrity_check: %s", sqlite3_errmsg(st->db));
        return -1;
    }
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        if (r && strcmp(r, "ok") == 0)
            ok = 0;
        else
            snprintf(why, cap, "integrity_check: %s", r ? r : "(null)");
    } else {
        snprintf(why, cap, "integrity_check: %s", sqlite3_errmsg(st->db));
    }
    sqlite3_finalize(s);
    return ok;
}

/* The loop's context: where it is, for messages. */
typedef struct loopctx {
    const faultloop_op *op;
    const char *kind;
    uint64_t k;
    char *why;
    size_t cap;
} loopctx;

static int fail_at(loopctx *c, const char *fmt, ...)
{
    char m[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    if (c->k)
        snprintf(c->why, c->cap, "%s, %s at write %llu: %s", c->op->name, c->kind,
                 (unsigned long long)c->k, m);
    else
        snprintf(c->why, c->cap, "%s, clean run: %s", c->op->name, m);
    return -1;
}

static int digest_of(loopctx *c, kp_store *st, uint8_t out[DIGEST])
{
    crypto_hash_sha256_state h;
    kp_error e = {0};
    crypto_hash_sha256_init(&h);
    int rc = c->op->digest(st, c->op->ud, &h, &e);
    if (rc) return fail_at(c, "digest failed: %s", e.msg);
    crypto_hash_sha256_final(&h, out);
    return 0;
}

static int open_store(loopctx *c, const char *dir, const char *vfs, kp_store **st)
{
    kp_error e = {0};
    int rc = store_open_with(dir, 0, store_migrations, store_migration_count, vfs, st, &e);
    if (rc) return fail_at(c, "cannot open %s: %s", dir, e.msg);
    return 0;
}

/* Integrity, the log's own verification and the digest against want
   (or, when alt is not NULL, against either). */
static int check_store(loopctx *c, kp_store *st, const char *what, const uint8_t want[DIGEST],
                       const uint8_t *alt, int *was_alt)
{
    char m[256];
    uint8_t d[DIGEST];
    kp_error e = {0};
    kp_log_report rep;
    if (faultloop_integrity(st, m, sizeof m) != 0) return fail_at(c, "%s: %s", what, m);
    int rc = kp_log_verify(st, c->op->vkey, NULL, NULL, &rep, &e);
    if (rc) return fail_at(c, "%s: kp_log_verify: %s", what, e.msg);
    if (digest_of(c, st, d) != 0) return -1;
    if (was_alt) *was_alt = 0;
    if (memcmp(d, want, DIGEST) == 0) return 0;
    if (alt && memcmp(d, alt, DIGEST) == 0) {
        if (was_alt) *was_alt = 1;
        return 0;
    }
    return fail_at(c, "%s: the state is neither before nor after the operation", what);
}

static int one_run(loopctx *c, const char *base, const char *work, const char *crash,
                   faultvfs_kind kind, const uint8_t before[DIGEST],
                   const uint8_t after[DIGEST], faultloop_report *rep)
{
    kp_store *st = NULL;
    kp_error e = {0};
    uint8_t d[DIGEST];
    int rc, was_wal, was_after;

    if (faultloop_copy_store(base, work) != 0) return fail_at(c, "cannot copy the base store");
    faultvfs_arm(0, FAULTVFS_OFF);
    if (open_store(c, work, FAULTVFS_NAME, &st) != 0) return -1;
    faultvfs_arm(c->k, kind);
    rc = c->op->run(st, c->op->ud, &e);
    uint64_t hits = faultvfs_hits();
    faultvfs_op first = faultvfs_first_op(&was_wal);
    faultvfs_arm(0, FAULTVFS_OFF);
    rep->runs++;

    if (store_in_tx(st)) {
        fail_at(c, "the operation left a transaction open (rc %d)", rc);
        goto fail;
    }
    if (rc == KP_OK && hits) {
        fail_at(c, "succeeded though %llu writes failed", (unsigned long long)hits);
        goto fail;
    }
    if (rc != KP_OK) {
        if (rc != KP_E_DISK_FULL && rc != KP_E_IO) {
            fail_at(c, "failed with code %d, not E_DISK_FULL or E_IO: %s", rc, e.msg);
            goto fail;
        }
        if (!hits) {
            fail_at(c, "failed with no fault injected: %s", e.msg);
            goto fail;
        }
        if (kind == FAULTVFS_FULL_PERSIST && rc != KP_E_DISK_FULL) {
            fail_at(c, "a full disk reported as %d: %s", rc, e.msg);
            goto fail;
        }
        rep->failed++;
    }
    /* this connection, after the failure: nothing of the operation */
    if (digest_of(c, st, d) != 0) goto fail;
    if (memcmp(d, rc ? before : after, DIGEST) != 0) {
        fail_at(c, "the connection sees a state other than %s", rc ? "before" : "after");
        goto fail;
    }
    if (faultloop_copy_store(work, crash) != 0) {
        fail_at(c, "cannot copy the store as a crash leaves it");
        goto fail;
    }
    kp_store_close(st);
    st = NULL;

    /* the same store reopened by a later process */
    if (open_store(c, work, NULL, &st) != 0) goto fail;
    if (check_store(c, st, "reopened", rc ? before : after, NULL, NULL) != 0) goto fail;
    if (rc != KP_OK) {
        if (c->op->run(st, c->op->ud, &e) != KP_OK) {
            fail_at(c, "the operation fails after reopening: %s", e.msg);
            goto fail;
        }
        if (check_store(c, st, "redone", after, NULL, NULL) != 0) goto fail;
    }
    kp_store_close(st);
    st = NULL;

    /* the files as a crash right after the failure leaves them */
    if (open_store(c, crash, NULL, &st) != 0) goto fail;
    int may_be_after = rc == KP_OK || (first == FAULTVFS_OP_SYNC && was_wal);
    if (check_store(c, st, "after a crash", rc == KP_OK ? after : before,
                    may_be_after ? after : NULL, &was_after) != 0)
        goto fail;
    if (rc != KP_OK && was_after) rep->crash_after++;
    kp_store_close(st);
    return 0;
fail:
    faultvfs_arm(0, FAULTVFS_OFF);
    kp_store_close(st);
    return -1;
}

int faultloop_run(const char *base_dir, const char *work_dir, const faultloop_op *op,
                  faultloop_report *rep, char *why, size_t cap)
{
    /* a full disk stays full; an I/O error is transient (a persistent
       one adds nothing in WAL mode: a rollback writes nothing) */
    static const faultvfs_kind kinds[] = {FAULTVFS_FULL_PERSIST, FAULTVFS_IOERR};
    char work[1024], crash[1024];
    uint8_t before[DIGEST], after[DIGEST];
    faultloop_report r = {0};
    loopctx c = {op, "", 0, why, cap};
    kp_store *st = NULL;
    kp_error e = {0};

    why[0] = 0;
    if (faultvfs_register() != SQLITE_OK) return fail_at(&c, "cannot register faultvfs");
    if (mkdir(work_dir, 0700) != 0 && errno != EEXIST)
        return fail_at(&c, "cannot make %s", work_dir);
    snprintf(work, sizeof work, "%s/run", work_dir);
    snprintf(crash, sizeof crash, "%s/crash", work_dir);

    /* the clean run: count the writes, take both digests */
    if (faultloop_copy_store(base_dir, work) != 0) return fail_at(&c, "cannot copy the base");
    faultvfs_arm(0, FAULTVFS_OFF);
    if (open_store(&c, work, FAULTVFS_NAME, &st) != 0) return -1;
    if (digest_of(&c, st, before) != 0) goto fail;
    faultvfs_arm(0, FAULTVFS_OFF);
    int rc = op->run(st, op->ud, &e);
    r.writes = faultvfs_count();
    if (rc) {
        fail_at(&c, "the operation fails without faults: %s", e.msg);
        goto fail;
    }
    if (digest_of(&c, st, after) != 0) goto fail;
    kp_store_close(st);
    st = NULL;
    if (r.writes == 0) return fail_at(&c, "no write went through faultvfs");
    if (memcmp(before, after, DIGEST) == 0)
        return fail_at(&c, "the operation changes nothing the digest sees");

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        c.kind = faultvfs_kind_name(kinds[i]);
        for (uint64_t k = 1; k <= r.writes; k++) {
            c.k = k;
            if (one_run(&c, base_dir, work, crash, kinds[i], before, after, &r) != 0) {
                if (rep) *rep = r;
                return -1;
            }
        }
    }
    if (rep) *rep = r;
    return 0;
fail:
    kp_store_close(st);
    return -1;
}
