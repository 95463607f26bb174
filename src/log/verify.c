/*
 * verify.c: kp_log_verify. Trusts nothing stored but the entries: every
 * leaf and interior node is recomputed from them and compared with
 * log_nodes, and every stored checkpoint must be a note signed by the
 * log's key whose root is the recomputed root at its size.
 *
 * One pass over the entries in index order keeps the frontier (the hash
 * of the last complete subtree at each level, O(log n) memory); a node is
 * complete when its right child is, which happens in increasing index
 * order on each level, so the stored nodes are read with one ordered
 * cursor per level instead of 2n lookups. Checkpoints are sorted by size
 * and checked when the walk reaches their size.
 *
 * One fault is reported once: a node whose recomputed children already
 * differ from the stored ones is expected to differ too and is not
 * reported again (an edited entry shows as that entry, not as every node
 * above it). Checkpoints covering an edited entry are reported, since
 * they no longer match the tree.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "log/log.h"
#include "util/alloc.h"
#include "util/error.h"

#define LEVELS 64

typedef struct ckpt {
    uint64_t seq, size;
    uint8_t root[LOG_HASH];
} ckpt;

typedef struct cursor {
    sqlite3_stmt *s;
    int has_row;
    uint64_t idx;
    uint8_t hash[LOG_HASH];
    int hash_ok;
} cursor;

typedef struct vstate {
    kp_store *st;
    kp_log_problem_fn fn;
    void *ud;
    kp_log_report rep;
    int first_code;
    kp_error *err;
    cursor cur[LEVELS];
    uint8_t front[LEVELS][LOG_HASH];
    int front_taint[LEVELS];
} vstate;

static void problem(vstate *v, int code, kp_log_place place, uint64_t index, uint32_t level,
                    uint64_t size, const char *fmt, ...) KP_PRINTF(7, 8);

static void problem(vstate *v, int code, kp_log_place place, uint64_t index, uint32_t level,
                    uint64_t size, const char *fmt, ...)
{
    char msg[KP_ERROR_MSG_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    v->rep.problems++;
    if (place == KP_LOG_AT_ENTRY &&
        (v->rep.first_bad_entry < 0 || (uint64_t)v->rep.first_bad_entry > index))
        v->rep.first_bad_entry = (int64_t)index;
    if (place == KP_LOG_AT_CHECKPOINT &&
        (v->rep.first_bad_checkpoint < 0 || (uint64_t)v->rep.first_bad_checkpoint > size))
        v->rep.first_bad_checkpoint = (int64_t)size;
    if (!v->first_code) {
        v->first_code = code;
        err_set(v->err, code, "%s", msg);
    }
    if (v->fn) {
        kp_log_problem p = {code, place, index, level, size, msg};
        v->fn(v->ud, &p);
    }
}

/* Moves level l's cursor to its next row. */
static int cursor_next(vstate *v, unsigned l)
{
    cursor *c = &v->cur[l];
    if (!c->s) {
        int src = sqlite3_prepare_v2(v->st->db,
                                     "SELECT idx, hash FROM log_nodes WHERE level = ?1 "
                                     "ORDER BY idx",
                                     -1, &c->s, NULL);
        if (src != SQLITE_OK) return store_fail(v->st, src, "reading log nodes", v->err);
        sqlite3_bind_int(c->s, 1, (int)l);
    }
    int src = sqlite3_step(c->s);
    if (src == SQLITE_DONE) {
        c->has_row = 0;
        return KP_OK;
    }
    if (src != SQLITE_ROW) return store_fail(v->st, src, "reading log nodes", v->err);
    c->has_row = 1;
    c->idx = (uint64_t)sqlite3_column_int64(c->s, 0);
    c->hash_ok = sqlite3_column_bytes(c->s, 1) == LOG_HASH;
    if (c->hash_ok) memcpy(c->hash, sqlite3_column_blob(c->s, 1), LOG_HASH);
    return KP_OK;
}

/*
 * The stored node (l, k): skips (and reports) rows that should not exist
 * before it. *found is 0 when it is missing; stored gets its hash.
 */
static int stored_node(vstate *v, unsigned l, uint64_t k, uint8_t stored[LOG_HASH], int *found)
{
    cursor *c = &v->cur[l];
    int rc;
    if (!c->s && (rc = cursor_next(v, l)) != KP_OK) return rc;
    while (c->has_row && c->idx < k) {
        problem(v, KP_E_LOG_TAMPERED, KP_LOG_AT_NODE, c->idx, l, 0,
                "log node (level %u, index %llu) should not exist", l,
                (unsigned long long)c->idx);
        if ((rc = cursor_next(v, l)) != KP_OK) return rc;
    }
    *found = c->has_row && c->idx == k && c->hash_ok;
    if (c->has_row && c->idx == k) {
        if (*found) memcpy(stored, c->hash, LOG_HASH);
        v->rep.nodes++;
        if ((rc = cursor_next(v, l)) != KP_OK) return rc;
    }
    return KP_OK;
}

/* Adds leaf c (hash computed, taint when it already differs from what is
   stored) to the frontier, checking every node it completes. */
static int push_leaf(vstate *v, uint64_t c, const uint8_t leaf[LOG_HASH], int taint)
{
    uint8_t h[LOG_HASH], stored[LOG_HASH];
    int found, rc;
    unsigned l = 0;
    memcpy(h, leaf, LOG_HASH);
    while ((c >> l) & 1) {
        int below = v->front_taint[l] || taint;
        log_node_hash(v->front[l], h, h);
        l++;
        uint64_t k = c >> l;
        if ((rc = stored_node(v, l, k, stored, &found)) != KP_OK) return rc;
        taint = !found || !cry_equal(stored, h, LOG_HASH);
        if (taint && !below)
            problem(v, KP_E_LOG_TAMPERED, KP_LOG_AT_NODE, k, l, 0,
                    "log node (level %u, index %llu) is %s", l, (unsigned long long)k,
                    found ? "not the hash of its children" : "missing or malformed");
    }
    memcpy(v->front[l], h, LOG_HASH);
    v->front_taint[l] = taint;
    return KP_OK;
}

/* The root of the first size entries, from the frontier. */
static void frontier_root(const vstate *v, uint64_t size, uint8_t out[LOG_HASH])
{
    int have = 0;
    for (unsigned l = 0; l < LEVELS; l++) {
        if (!((size >> l) & 1)) continue;
        if (!have)
            memcpy(out, v->front[l], LOG_HASH);
        else
            log_node_hash(v->front[l], out, out);
        have = 1;
    }
    if (!have) log_empty_root(out);
}

static void check_roots(vstate *v, const ckpt *ck, size_t nck, size_t *next, uint64_t size)
{
    uint8_t root[LOG_HASH];
    for (; *next < nck && ck[*next].size == size; (*next)++) {
        frontier_root(v, size, root);
        if (!cry_equal(root, ck[*next].root, LOG_HASH))
            problem(v, KP_E_LOG_CHECKPOINT, KP_LOG_AT_CHECKPOINT, ck[*next].seq, 0, size,
                    "checkpoint %llu (size %llu): its root is not the root of the log's "
                    "first %llu entries",
                    (unsigned long long)ck[*next].seq, (unsigned long long)size,
                    (unsigned long long)size);
    }
}

static int by_size(const void *a, const void *b)
{
    const ckpt *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads and checks every stored checkpoint note; those that verify go
   into *out (sorted by size) for the root check. */
static int read_checkpoints(vstate *v, const log_vkey *vk, const char *origin, ckpt **out,
                            size_t *nout, size_t *cap_out)
{
    sqlite3_stmt *s = NULL;
    int64_t count = 0;
    ckpt *ck = NULL;
    size_t n = 0, cap = 0, bytes;
    uint64_t expect_seq = 0, last_size = 0;
    int rc = KP_OK, src;

    src = sqlite3_prepare_v2(v->st->db, "SELECT count(*) FROM log_checkpoints", -1, &s, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        count = sqlite3_column_int64(s, 0);
        src = SQLITE_OK;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (src != SQLITE_OK) return store_fail(v->st, src, "counting checkpoints", v->err);
    cap = count > 0 ? (size_t)count : 1;
    if (!size_mul(cap, sizeof *ck, &bytes) || !(ck = mem_alloc(bytes)))
        return err_set(v->err, KP_E_NOMEM, "out of memory for %zu checkpoints", cap);

    src = sqlite3_prepare_v2(v->st->db,
                             "SELECT seq, size, root, note FROM log_checkpoints ORDER BY seq",
                             -1, &s, NULL);
    if (src != SQLITE_OK) {
        rc = store_fail(v->st, src, "reading checkpoints", v->err);
        goto fail;
    }
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
        uint64_t size = (uint64_t)sqlite3_column_int64(s, 1);
        const uint8_t *root = sqlite3_column_blob(s, 2);
        int rootlen = sqlite3_column_bytes(s, 2);
        const char *note = (const char *)sqlite3_column_blob(s, 3);
        size_t nlen = (size_t)sqlite3_column_bytes(s, 3);
        kp_checkpoint cp;
        kp_error e;
        size_t tlen;
        v->rep.checkpoints++;
        if (seq != expect_seq)
            problem(v, KP_E_LOG_CHECKPOINT, KP_LOG_AT_CHECKPOINT, expect_seq, 0, size,
                    "checkpoint %llu is missing (the next one is %llu)",
                    (unsigned long long)expect_seq, (unsigned long long)seq);
        expect_seq = seq + 1;
        kp_error_clear(&e);
        int nrc = note ? log_note_open(note, nlen, vk, &tlen, &e)
                       : err_set(&e, KP_E_NOTE_MALFORMED, "empty note");
        if (nrc == KP_OK) nrc = log_checkpoint_parse(note, tlen, &cp, &e);
        if (nrc != KP_OK) {
            if (nrc == KP_E_NOMEM) {
                rc = err_set(v->err, nrc, "%s", e.msg);
                goto fail;
            }
            problem(v, nrc, KP_LOG_AT_CHECKPOINT, seq, 0, size, "checkpoint %llu (size %llu): %s",
                    (unsigned long long)seq, (unsigned long long)size, e.msg);
            continue;
        }
        if (strcmp(cp.origin, origin) != 0)
            problem(v, KP_E_LOG_CHECKPOINT, KP_LOG_AT_CHECKPOINT, seq, 0, cp.tree_size,
                    "checkpoint %llu (size %llu): origin %s is not the log's %s",
                    (unsigned long long)seq, (unsigned long long)cp.tree_size, cp.origin, origin);
        if (cp.tree_size != size || rootlen != LOG_HASH || memcmp(root, cp.root, LOG_HASH) != 0)
            problem(v, KP_E_LOG_CHECKPOINT, KP_LOG_AT_CHECKPOINT, seq, 0, cp.tree_size,
                    "checkpoint %llu (size %llu): the stored size or root differs from the "
                    "signed note",
                    (unsigned long long)seq, (unsigned long long)cp.tree_size);
        if (cp.tree_size < last_size)
            problem(v, KP_E_LOG_CHECKPOINT, KP_LOG_AT_CHECKPOINT, seq, 0, cp.tree_size,
                    "checkpoint %llu (size %llu) is smaller than the one before it (%llu)",
                    (unsigned long long)seq, (unsigned long long)cp.tree_size,
                    (unsigned long long)last_size);
        last_size = cp.tree_size;
        if (n == cap) {
            /* more rows than counted cannot happen within one snapshot */
            rc = err_set(v->err, KP_E_INTERNAL, "checkpoint count changed while reading");
            goto fail;
        }
        ck[n].seq = seq;
        ck[n].size = cp.tree_size;
        memcpy(ck[n].root, cp.root, LOG_HASH);
        n++;
    }
    if (src != SQLITE_DONE) {
        rc = store_fail(v->st, src, "reading checkpoints", v->err);
        goto fail;
    }
    sqlite3_finalize(s);
    qsort(ck, n, sizeof *ck, by_size);
    *out = ck;
    *nout = n;
    *cap_out = cap;
    return KP_OK;
fail:
    sqlite3_finalize(s);
    mem_free(ck, cap * sizeof *ck);
    return rc;
}

/* The key and origin to check against: the caller's key, or the log's. */
static int get_key(vstate *v, const char *vkey, log_vkey *vk, char origin[KP_LOG_ORIGIN_MAX + 1])
{
    char stored_vkey[KP_LOG_VKEY_MAX];
    kp_error e;
    int rc = kp_log_identity(v->st, origin, stored_vkey, &e);
    if (rc == KP_E_NOT_FOUND) {
        origin[0] = 0;
        stored_vkey[0] = 0;
    } else if (rc != KP_OK) {
        if (v->err) *v->err = e;
        return rc;
    }
    if (vkey) return log_vkey_parse(vkey, vk, v->err);
    if (!stored_vkey[0]) return KP_E_NOT_FOUND; /* no key at all: only an empty list is fine */
    if (log_vkey_parse(stored_vkey, vk, &e) != KP_OK) {
        problem(v, KP_E_NOTE_VKEY, KP_LOG_AT_TABLE, 0, 0, 0, "log_identity: %s", e.msg);
        return KP_E_NOT_FOUND;
    }
    return KP_OK;
}

int kp_log_verify(kp_store *st, const char *vkey, kp_log_problem_fn fn, void *ud,
                  kp_log_report *rep, kp_error *err)
{
    vstate *v = NULL;
    ckpt *ck = NULL;
    size_t nck = 0, capck = 0, next = 0;
    sqlite3_stmt *s = NULL;
    log_vkey vk;
    char origin[KP_LOG_ORIGIN_MAX + 1];
    int owned = 0, rc, src;

    if ((rc = cry_init(err)) != KP_OK) return rc;
    v = mem_calloc(1, sizeof *v);
    if (!v) return err_set(err, KP_E_NOMEM, "out of memory verifying the log");
    v->st = st;
    v->fn = fn;
    v->ud = ud;
    v->err = err;
    v->rep.first_bad_entry = v->rep.first_bad_checkpoint = -1;
    if ((rc = store_read_begin(st, &owned, err)) != KP_OK) goto done;

    rc = get_key(v, vkey, &vk, origin);
    if (rc == KP_OK) {
        if (!origin[0]) snprintf(origin, sizeof origin, "%s", vk.name);
        if ((rc = read_checkpoints(v, &vk, origin, &ck, &nck, &capck)) != KP_OK) goto done;
    } else if (rc == KP_E_NOT_FOUND) {
        /* no key to check notes with: every checkpoint is unverifiable */
        rc = read_checkpoints(v, NULL, "", &ck, &nck, &capck);
        if (rc != KP_OK) goto done;
    } else {
        goto done;
    }

    check_roots(v, ck, nck, &next, 0);
    src = sqlite3_prepare_v2(st->db, "SELECT idx, data FROM log_entries ORDER BY idx", -1, &s,
                             NULL);
    if (src != SQLITE_OK) {
        rc = store_fail(st, src, "reading log entries", err);
        goto done;
    }
    uint64_t e = 0; /* the next index expected */
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t idx = sqlite3_column_int64(s, 0);
        uint8_t leaf[LOG_HASH], stored[LOG_HASH];
        int found;
        v->rep.entries++;
        if (idx < 0 || (uint64_t)idx < e) {
            problem(v, KP_E_LOG_TAMPERED, KP_LOG_AT_ENTRY, (uint64_t)(idx < 0 ? 0 : idx), 0, 0,
                    "log entry %lld should not exist", (long long)idx);
            continue;
        }
        /* a gap: the missing leaves are taken from the stored nodes so
           that the rest of the walk still means something */
        while (e < (uint64_t)idx) {
            if ((rc = stored_node(v, 0, e, stored, &found)) != KP_OK) goto done;
            problem(v, KP_E_LOG_TAMPERED, KP_LOG_AT_ENTRY, e, 0, 0, "log entry %llu is missing",
                    (unsigned long long)e);
            if (!found) memset(stored, 0, sizeof stored);
            if ((rc = push_leaf(v, e, stored, 1)) != KP_OK) goto done;
            e++;
            check_roots(v, ck, nck, &next, e);
        }
        const void *data = sqlite3_column_blob(s, 1);
        kp_log_leaf_hash(data, (size_t)sqlite3_column_bytes(s, 1), leaf);
        if ((rc = stored_node(v, 0, e, stored, &found)) != KP_OK) goto done;
        int taint = !found || !cry_equal(stored, leaf, LOG_HASH);
        if (taint)
            problem(v, KP_E_LOG_TAMPERED, KP_LOG_AT_ENTRY, e, 0, 0,
                    "log entry %llu does not hash to its stored leaf%s", (unsigned long long)e,
                    found ? "" : " (the leaf is missing)");
        if ((rc = push_leaf(v, e, leaf, taint)) != KP_OK) goto done;
        e++;
        check_roots(v, ck, nck, &next, e);
    }
    if (src != SQLITE_DONE) {
        rc = store_fail(st, src, "reading log entries", err);
        goto done;
    }
    for (; next < nck; next++)
        problem(v, KP_E_LOG_CHECKPOINT, KP_LOG_AT_CHECKPOINT, ck[next].seq, 0, ck[next].size,
                "checkpoint %llu covers %llu entries, but the log has %llu",
                (unsigned long long)ck[next].seq, (unsigned long long)ck[next].size,
                (unsigned long long)e);
    /* whatever is left on any level is a node of no entry */
    for (unsigned l = 0; l < LEVELS; l++) {
        cursor *c = &v->cur[l];
        if (!c->s && (rc = cursor_next(v, l)) != KP_OK) goto done;
        while (c->has_row) {
            problem(v, KP_E_LOG_TAMPERED, KP_LOG_AT_NODE, c->idx, l, 0,
                    "log node (level %u, index %llu) should not exist in a log of %llu "
                    "entries",
                    l, (unsigned long long)c->idx, (unsigned long long)e);
            if ((rc = cursor_next(v, l)) != KP_OK) goto done;
        }
    }
    rc = v->first_code;
done:
    sqlite3_finalize(s);
    for (unsigned l = 0; l < LEVELS; l++) sqlite3_finalize(v->cur[l].s);
    store_read_end(st, owned);
    if (rep) *rep = v->rep;
    mem_free(ck, capck * sizeof *ck);
    mem_free(v, sizeof *v);
    return rc;
}
