/*
 * tree.c: the audit log's Merkle tree as stored in SQLite (schema: see
 * store/schema.c, migration 1).
 *
 * Every complete subtree has its hash in log_nodes: node (l, k) covers
 * entries [k * 2^l, (k+1) * 2^l). Appending entry n adds its leaf (0, n)
 * and, while the new node is a right child, its parent: one node on
 * average, log2 n at most.
 *
 * Every range that RFC 9162's recursions (MTH, PATH, SUBPROOF) look at
 * starts at a multiple of a power of two at least as large as the range
 * (the left part of a split is a complete subtree, the right part starts
 * on that subtree's boundary and is no larger). Such a range is the
 * concatenation of complete subtrees of strictly decreasing size, read off
 * the bits of its length, and its MTH is the right fold of their hashes:
 * range_hash reads at most log2 n rows. An inclusion or consistency proof
 * walks the recursion top-down; once it enters a complete subtree every
 * later sibling is complete (one row), so a proof reads O(log n) rows.
 */
#include <string.h>

#include "log/log.h"
#include "util/error.h"

static const char SQL_SIZE[] = "SELECT max(idx) FROM log_entries";
static const char SQL_NODE[] = "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2";
static const char SQL_ENTRY[] = "SELECT data FROM log_entries WHERE idx = ?1";
static const char SQL_ADD_ENTRY[] = "INSERT INTO log_entries(idx, data) VALUES (?1, ?2)";
static const char SQL_ADD_NODE[] = "INSERT INTO log_nodes(level, idx, hash) VALUES (?1, ?2, ?3)";

int log_size_get(kp_store *st, uint64_t *size, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, SQL_SIZE, &s, err);
    if (rc) return rc;
    int src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        rc = store_fail(st, src, "reading the log size", err);
        store_done(s);
        return rc;
    }
    /* max() of no rows is NULL: the empty log */
    *size = sqlite3_column_type(s, 0) == SQLITE_NULL ? 0 : (uint64_t)sqlite3_column_int64(s, 0) + 1;
    store_done(s);
    return KP_OK;
}

static int node_get(kp_store *st, unsigned level, uint64_t idx, uint8_t out[LOG_HASH],
                    kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, SQL_NODE, &s, err);
    if (rc) return rc;
    sqlite3_bind_int(s, 1, (int)level);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)idx);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW && sqlite3_column_bytes(s, 0) == LOG_HASH) {
        memcpy(out, sqlite3_column_blob(s, 0), LOG_HASH);
        rc = KP_OK;
    } else if (src == SQLITE_ROW || src == SQLITE_DONE) {
        rc = err_set(err, KP_E_LOG_TAMPERED, "log node (level %u, index %llu) is %s", level,
                     (unsigned long long)idx, src == SQLITE_DONE ? "missing" : "malformed");
    } else {
        rc = store_fail(st, src, "reading a log node", err);
    }
    store_done(s);
    return rc;
}

static int node_add(kp_store *st, unsigned level, uint64_t idx, const uint8_t h[LOG_HASH],
                    kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, SQL_ADD_NODE, &s, err);
    if (rc) return rc;
    sqlite3_bind_int(s, 1, (int)level);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)idx);
    sqlite3_bind_blob(s, 3, h, LOG_HASH, SQLITE_STATIC);
    int src = sqlite3_step(s);
    store_done(s);
    if (src != SQLITE_DONE) return store_fail(st, src, "adding a log node", err);
    return KP_OK;
}

/* MTH of entries [lo, hi), lo < hi, for a range of the shape described at
   the top of the file. */
static int range_hash(kp_store *st, uint64_t lo, uint64_t hi, uint8_t out[LOG_HASH],
                      kp_error *err)
{
    uint8_t part[64][LOG_HASH];
    unsigned np = 0, prev = 64;
    uint64_t pos = lo;
    if (lo >= hi) return err_set(err, KP_E_INTERNAL, "empty subtree range");
    while (pos < hi) {
        /* the largest aligned complete subtree starting at pos within hi */
        unsigned l = pos ? (unsigned)__builtin_ctzll(pos) : 63;
        while (l > 0 && ((uint64_t)1 << l) > hi - pos) l--;
        /* strictly decreasing sizes is what makes the right fold the MTH */
        if (l >= prev || np == 64)
            return err_set(err, KP_E_INTERNAL, "range [%llu, %llu) is not a subtree range",
                           (unsigned long long)lo, (unsigned long long)hi);
        int rc = node_get(st, l, pos >> l, part[np], err);
        if (rc) return rc;
        np++;
        prev = l;
        pos += (uint64_t)1 << l;
    }
    if (np == 0) return err_set(err, KP_E_INTERNAL, "empty subtree range");
    memcpy(out, part[np - 1], LOG_HASH);
    for (unsigned j = np - 1; j-- > 0;) log_node_hash(part[j], out, out);
    return KP_OK;
}

int log_root_at(kp_store *st, uint64_t size, uint8_t root[LOG_HASH], kp_error *err)
{
    if (size == 0) {
        log_empty_root(root);
        return KP_OK;
    }
    return range_hash(st, 0, size, root, err);
}

static int check_size(kp_store *st, uint64_t size, uint64_t *n, kp_error *err)
{
    int rc = log_size_get(st, n, err);
    if (rc) return rc;
    if (size > *n)
        return err_set(err, KP_E_LOG_RANGE, "tree size %llu is beyond the log's %llu entries",
                       (unsigned long long)size, (unsigned long long)*n);
    return KP_OK;
}

int kp_log_append(kp_store *st, const uint8_t *entry, size_t len, uint64_t *index,
                  kp_error *err)
{
    store_unit u;
    uint64_t n = 0;
    uint8_t h[LOG_HASH], left[LOG_HASH];
    sqlite3_stmt *s;
    int rc;

    if (len > KP_LOG_ENTRY_MAX)
        return err_set(err, KP_E_LIMIT, "log entry of %zu bytes exceeds %u", len,
                       KP_LOG_ENTRY_MAX);
    if ((rc = store_writable(st, err)) != KP_OK) return rc;
    if ((rc = store_unit_begin(st, "log_append", &u, err)) != KP_OK) return rc;
    if ((rc = log_size_get(st, &n, err)) != KP_OK) goto done;
    if (n >= (uint64_t)INT64_MAX) {
        rc = err_set(err, KP_E_LOG_RANGE, "the log is full");
        goto done;
    }
    if ((rc = store_stmt(st, SQL_ADD_ENTRY, &s, err)) != KP_OK) goto done;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)n);
    /* a NULL pointer would bind SQL NULL: an empty entry is a zero blob */
    if (len)
        sqlite3_bind_blob(s, 2, entry, (int)len, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(s, 2, 0);
    int src = sqlite3_step(s);
    store_done(s);
    if (src != SQLITE_DONE) {
        rc = store_fail(st, src, "appending a log entry", err);
        goto done;
    }
    kp_log_leaf_hash(entry, len, h);
    if ((rc = node_add(st, 0, n, h, err)) != KP_OK) goto done;
    /* each time the new node is a right child, its parent is complete */
    unsigned l = 0;
    for (uint64_t k = n; k & 1; k >>= 1) {
        if ((rc = node_get(st, l, k - 1, left, err)) != KP_OK) goto done;
        log_node_hash(left, h, h);
        l++;
        if ((rc = node_add(st, l, k >> 1, h, err)) != KP_OK) goto done;
    }
done:
    rc = store_unit_end(st, &u, rc, err);
    if (rc == KP_OK) *index = n;
    return rc;
}

int kp_log_size(kp_store *st, uint64_t *size, kp_error *err)
{
    return log_size_get(st, size, err);
}

int kp_log_entry(kp_store *st, uint64_t index, uint8_t *out, size_t cap, size_t *len,
                 kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, SQL_ENTRY, &s, err);
    if (rc) return rc;
    if (index > (uint64_t)INT64_MAX) {
        rc = err_set(err, KP_E_LOG_RANGE, "no log entry %llu", (unsigned long long)index);
        goto done;
    }
    sqlite3_bind_int64(s, 1, (sqlite3_int64)index);
    int src = sqlite3_step(s);
    if (src == SQLITE_DONE) {
        rc = err_set(err, KP_E_LOG_RANGE, "no log entry %llu", (unsigned long long)index);
    } else if (src != SQLITE_ROW) {
        rc = store_fail(st, src, "reading a log entry", err);
    } else {
        const void *p = sqlite3_column_blob(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        *len = n;
        if (n > cap)
            rc = err_set(err, KP_E_LIMIT, "log entry %llu has %zu bytes, more than %zu",
                         (unsigned long long)index, n, cap);
        else if (n)
            memcpy(out, p, n);
    }
done:
    store_done(s);
    return rc;
}

int kp_log_root(kp_store *st, uint64_t size, uint8_t root[LOG_HASH], kp_error *err)
{
    uint64_t n;
    int owned, rc = store_read_begin(st, &owned, err);
    if (rc) return rc;
    if ((rc = check_size(st, size, &n, err)) == KP_OK) rc = log_root_at(st, size, root, err);
    store_read_end(st, owned);
    return rc;
}

/* A range of entries whose MTH goes into a proof. */
typedef struct span {
    uint64_t lo, hi;
} span;

int kp_log_prove_inclusion(kp_store *st, uint64_t index, uint64_t size, kp_log_inclusion *p,
                           kp_error *err)
{
    span sib[KP_LOG_PROOF_MAX];
    size_t ns = 0;
    uint64_t n;
    int owned, rc = store_read_begin(st, &owned, err);
    if (rc) return rc;
    if ((rc = check_size(st, size, &n, err)) != KP_OK) goto done;
    if (index >= size) {
        rc = err_set(err, KP_E_LOG_RANGE, "entry %llu is not in a tree of size %llu",
                     (unsigned long long)index, (unsigned long long)size);
        goto done;
    }
    /* PATH(m, D[lo:hi]) top-down; the proof lists the siblings bottom-up */
    uint64_t lo = 0, hi = size;
    while (hi - lo > 1 && ns < KP_LOG_PROOF_MAX) {
        uint64_t k = log_split(hi - lo);
        if (index - lo < k) {
            sib[ns++] = (span){lo + k, hi};
            hi = lo + k;
        } else {
            sib[ns++] = (span){lo, lo + k};
            lo += k;
        }
    }
    /* sizes stay below 2^63, so the recursion is at most 63 deep */
    if (hi - lo > 1) {
        rc = err_set(err, KP_E_INTERNAL, "inclusion proof deeper than %d", KP_LOG_PROOF_MAX);
        goto done;
    }
    p->index = index;
    p->tree_size = size;
    p->count = ns;
    for (size_t i = 0; i < ns; i++)
        if ((rc = range_hash(st, sib[ns - 1 - i].lo, sib[ns - 1 - i].hi, p->proof[i], err)))
            goto done;
    if ((rc = node_get(st, 0, index, p->leaf_hash, err)) != KP_OK) goto done;
    rc = log_root_at(st, size, p->root, err);
done:
    store_read_end(st, owned);
    return rc;
}

int kp_log_prove_consistency(kp_store *st, uint64_t old_size, uint64_t new_size,
                             kp_log_consistency *p, kp_error *err)
{
    span sib[KP_LOG_PROOF_MAX];
    size_t ns = 0;
    int has_base = 0;
    span base = {0, 0};
    uint64_t n;
    int owned, rc = store_read_begin(st, &owned, err);
    if (rc) return rc;
    if ((rc = check_size(st, new_size, &n, err)) != KP_OK) goto done;
    if (old_size > new_size) {
        rc = err_set(err, KP_E_LOG_RANGE, "old size %llu is larger than new size %llu",
                     (unsigned long long)old_size, (unsigned long long)new_size);
        goto done;
    }
    if (old_size > 0 && old_size < new_size) {
        /* SUBPROOF(m, D[lo:hi], b) top-down; m stays absolute */
        uint64_t lo = 0, hi = new_size;
        int b = 1;
        while (ns < KP_LOG_PROOF_MAX) {
            if (old_size - lo == hi - lo) {
                if (!b) {
                    base = (span){lo, hi};
                    has_base = 1;
                }
                break;
            }
            uint64_t k = log_split(hi - lo);
            if (old_size - lo <= k) {
                sib[ns++] = (span){lo + k, hi};
                hi = lo + k;
            } else {
                sib[ns++] = (span){lo, lo + k};
                lo += k;
                b = 0;
            }
        }
        if (old_size - lo != hi - lo) {
            rc = err_set(err, KP_E_INTERNAL, "consistency proof deeper than %d",
                         KP_LOG_PROOF_MAX);
            goto done;
        }
    }
    p->old_size = old_size;
    p->new_size = new_size;
    p->count = 0;
    if (has_base && (rc = range_hash(st, base.lo, base.hi, p->proof[p->count++], err)))
        goto done;
    for (size_t i = 0; i < ns; i++) {
        if (p->count >= KP_LOG_PROOF_MAX) {
            rc = err_set(err, KP_E_INTERNAL, "consistency proof too long");
            goto done;
        }
        rc = range_hash(st, sib[ns - 1 - i].lo, sib[ns - 1 - i].hi, p->proof[p->count++], err);
        if (rc) goto done;
    }
    if ((rc = log_root_at(st, old_size, p->old_root, err)) != KP_OK) goto done;
    rc = log_root_at(st, new_size, p->new_root, err);
done:
    store_read_end(st, owned);
    return rc;
}
