/*
 * check.c: kp_runtime_verify, the store checked against its audit log.
 * kp_log_verify shows that the log's entries are what its checkpoints
 * signed; this shows that the rows the log vouches for are still what the
 * entries say: each capsule's bytes hash to the entry's sha256 and carry
 * the id it names, each result matches its entry's run (and, for version
 * 2 entries, its reason text), each module's code hashes to its id, and
 * each accept or module entry still has its capsule or module. Balances
 * and child storage are not checked: they are what the runs made, and
 * only replaying the runs can say whether they still are. Entries that are not the runtime's own
 * format (a log written by other tools) are vouched for by the tree alone
 * and skipped here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "runtime/runtime.h"
#include "store/db.h"
#include "util/error.h"

typedef struct vctx {
    kp_store *st;
    kp_log_problem_fn fn;
    void *ud;
    uint64_t problems;
    int first;
    kp_error *err;
    buf entry;
} vctx;

static void problem(vctx *v, int code, kp_log_place place, uint64_t index, const char *fmt, ...)
    KP_PRINTF(5, 6);
static void problem(vctx *v, int code, kp_log_place place, uint64_t index, const char *fmt, ...)
{
    char msg[KP_ERROR_MSG_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    v->problems++;
    if (!v->first) {
        v->first = code;
        err_set(v->err, code, "%s", msg);
    }
    if (v->fn) {
        kp_log_problem p;
        memset(&p, 0, sizeof p);
        p.code = code;
        p.place = place;
        p.index = index;
        p.msg = msg;
        v->fn(v->ud, &p);
    }
}

/* Reads entry idx into v->entry; KP_E_LOG_RANGE when there is none. */
static int read_entry(vctx *v, uint64_t idx, kp_error *err)
{
    size_t len = 0;
    int rc = kp_log_entry(v->st, idx, v->entry.p, v->entry.cap, &len, err);
    if (rc == KP_E_LIMIT) {
        v->entry.len = 0;
        if (buf_reserve(&v->entry, len)) return err_set(err, KP_E_NOMEM, "out of memory");
        rc = kp_log_entry(v->st, idx, v->entry.p, v->entry.cap, &len, err);
    }
    if (rc == KP_OK) v->entry.len = len;
    return rc;
}

/*
 * The columns and edges stored beside a capsule are read from its bytes at
 * ingest (dag heads --type, dag ancestors and the logic's host calls use
 * them), so the bytes vouch for them: *what names the first that differs.
 */
static int check_derived(vctx *v, const kp_capsule *c, const uint8_t id[32], const char **what,
                         kp_error *err)
{
    sqlite3_stmt *s;
    size_t alen;
    const uint8_t *author = kp_capsule_author(c, &alen), *logic = kp_capsule_logic(c);
    uint64_t created = kp_capsule_created(c);
    int rc = store_stmt(v->st,
                        "SELECT type, author_alg, author, created, logic, encrypted"
                        " FROM capsules WHERE id = ?1",
                        &s, err);
    if (rc) return rc;
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        store_done(s);
        return err_set(err, KP_E_IO, "reading capsule columns: %s", sqlite3_errmsg(v->st->db));
    }
    const char *type = (const char *)sqlite3_column_text(s, 0);
    if (!type || strcmp(type, kp_capsule_type(c)) != 0 ||
        sqlite3_column_type(s, 0) != SQLITE_TEXT)
        *what = "type";
    else if (sqlite3_column_int64(s, 1) != (int64_t)kp_capsule_alg(c) ||
             (size_t)sqlite3_column_bytes(s, 2) != alen ||
             memcmp(sqlite3_column_blob(s, 2), author, alen) != 0)
        *what = "author";
    else if (sqlite3_column_int64(s, 3) != (created > INT64_MAX ? INT64_MAX : (int64_t)created))
        *what = "creation time";
    else if (logic ? sqlite3_column_bytes(s, 4) != 32 ||
                         memcmp(sqlite3_column_blob(s, 4), logic, 32) != 0
                   : sqlite3_column_type(s, 4) != SQLITE_NULL)
        *what = "logic module";
    else if (sqlite3_column_int64(s, 5) != (kp_capsule_encrypted(c) ? 1 : 0))
        *what = "encrypted flag";
    store_done(s);
    if (*what) return KP_OK;
    /* its edges: exactly one per parent the bytes name */
    size_t np = kp_capsule_parent_count(c), n = 0;
    rc = store_stmt(v->st, "SELECT parent FROM edges WHERE child = ?1", &s, err);
    if (rc) return rc;
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && !*what) {
        const uint8_t *p = sqlite3_column_blob(s, 0);
        int found = 0;
        for (size_t i = 0; p && sqlite3_column_bytes(s, 0) == 32 && i < np && !found; i++)
            found = memcmp(kp_capsule_parent_at(c, i), p, 32) == 0;
        if (!found) *what = "edges";
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = err_set(err, KP_E_IO, "reading edges: %s", sqlite3_errmsg(v->st->db));
        store_done(s);
        return rc;
    }
    store_done(s);
    /* parents are distinct (the parser refuses duplicates), so the count
       and the membership above make the sets equal */
    if (!*what && n != np) *what = "edges";
    return KP_OK;
}

static int check_capsule(void *ud, const uint8_t *id, const uint8_t *bytes, size_t len,
                         uint64_t log_idx, kp_error *err)
{
    vctx *v = ud;
    char hex[KP_ID_HEX_BYTES];
    kp_id_format(id, hex);
    kp_error e;
    int rc = read_entry(v, log_idx, &e);
    if (rc == KP_E_LOG_RANGE) {
        problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_CAPSULE, log_idx,
                "capsule %s: its log entry %llu does not exist", hex, (unsigned long long)log_idx);
        return KP_OK;
    }
    if (rc) return err_set(err, rc, "%s", e.msg);
    rt_entry ent;
    if (rt_entry_decode(v->entry.p, v->entry.len, &ent, &e) ||
        strcmp(ent.decision, "accepted") != 0 || !ent.has_capsule ||
        memcmp(ent.capsule, id, 32) != 0) {
        problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_CAPSULE, log_idx,
                "capsule %s: log entry %llu is not the entry that accepted it", hex,
                (unsigned long long)log_idx);
        return KP_OK;
    }
    uint8_t h[32];
    cry_sha256(h, bytes, len);
    if (memcmp(h, ent.sha256, 32) != 0) {
        problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_CAPSULE, log_idx,
                "capsule %s: its stored bytes do not hash to what log entry %llu records", hex,
                (unsigned long long)log_idx);
        return KP_OK;
    }
    kp_capsule *c = NULL;
    rc = kp_capsule_parse(bytes, len, NULL, &c, &e);
    if (rc == KP_E_NOMEM) return err_set(err, rc, "out of memory");
    if (rc || memcmp(kp_capsule_id(c), id, 32) != 0) {
        problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_CAPSULE, log_idx,
                "capsule %s: its stored bytes are not a capsule with that id", hex);
        kp_capsule_free(c);
        return KP_OK;
    }
    const char *what = NULL;
    rc = check_derived(v, c, id, &what, err);
    if (rc == KP_OK && what)
        problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_CAPSULE, log_idx,
                "capsule %s: its stored %s disagrees with its bytes", hex, what);
    kp_capsule_free(c);
    return rc;
}

static int check_result(void *ud, const store_result *r, kp_error *err)
{
    vctx *v = ud;
    char hex[KP_ID_HEX_BYTES];
    kp_id_format(r->capsule, hex);
    kp_error e;
    int rc = read_entry(v, r->log_idx, &e);
    if (rc == KP_E_LOG_RANGE) {
        problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_RESULT, r->log_idx,
                "result of %s: its log entry %llu does not exist", hex,
                (unsigned long long)r->log_idx);
        return KP_OK;
    }
    if (rc) return err_set(err, rc, "%s", e.msg);
    rt_entry ent;
    uint8_t h[32];
    if (r->has_result) cry_sha256(h, r->result, r->result_len);
    const char *what = NULL;
    if (rt_entry_decode(v->entry.p, v->entry.len, &ent, &e) || !ent.has_run ||
        !ent.has_capsule || memcmp(ent.capsule, r->capsule, 32) != 0)
        what = "is not the entry of its run";
    else if (memcmp(ent.module, r->module, 32) != 0) what = "names another module";
    else if (ent.verdict != r->verdict) what = "records another verdict";
    else if (ent.fuel != r->fuel) what = "records another fuel";
    else if (ent.has_result != r->has_result || (r->has_result && memcmp(h, ent.result, 32) != 0))
        what = "records another result";
    else if (memcmp(ent.transcript, r->transcript_root, 32) != 0)
        what = "records another transcript root";
    else if (memcmp(ent.policy, r->policy_hash, 32) != 0) what = "records another policy hash";
    else if (ent.has_reason_hash) {
        /* version 2 runs commit to the guest's reason (version 1 ones do
           not: their reason text is vouched for by nothing) */
        uint8_t rh[32];
        rt_reason_hash(r->reason, rh);
        if (memcmp(rh, ent.reason_hash, 32) != 0) what = "records another reason";
    }
    if (what)
        problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_RESULT, r->log_idx,
                "result of capsule %s: log entry %llu %s", hex, (unsigned long long)r->log_idx,
                what);
    return KP_OK;
}

/* Every stored module's code must hash to its id: the id is what
   capsules, policies, entries and receipts name, so code that no longer
   hashes to it would run as something nobody chose. */
static int check_module(void *ud, const uint8_t id[32], const uint8_t *code, size_t len,
                        kp_error *err)
{
    vctx *v = ud;
    uint8_t want[32];
    (void)err;
    kp_module_id(code, len, want);
    if (memcmp(want, id, 32) != 0) {
        char hex[KP_ID_HEX_BYTES];
        kp_id_format(id, hex);
        problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_MODULE, 0,
                "module %s: its stored code does not hash to its id", hex);
    }
    return KP_OK;
}

/* Every accept entry must still have its capsule, stored under it, and
   every module entry its module. */
static int check_entries(vctx *v, kp_error *err)
{
    uint64_t n;
    int rc = kp_log_size(v->st, &n, err);
    for (uint64_t i = 0; rc == KP_OK && i < n; i++) {
        kp_error e;
        if ((rc = read_entry(v, i, err))) break;
        rt_entry ent;
        if (rt_entry_decode(v->entry.p, v->entry.len, &ent, &e) || !ent.has_capsule) continue;
        if (strcmp(ent.decision, "module") == 0) {
            store_module m;
            rc = store_module_info(v->st, ent.capsule, &m, &e);
            if (rc == KP_E_NOT_FOUND) {
                char hex[KP_ID_HEX_BYTES];
                kp_id_format(ent.capsule, hex);
                problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_ENTRY, i,
                        "log entry %llu registered module %s, which is not in the store",
                        (unsigned long long)i, hex);
                rc = KP_OK;
            } else if (rc) {
                rc = err_set(err, rc, "%s", e.msg);
            }
            continue;
        }
        if (strcmp(ent.decision, "accepted") != 0) continue;
        uint64_t li = 0;
        rc = store_capsule_get(v->st, ent.capsule, NULL, NULL, &li, &e);
        char hex[KP_ID_HEX_BYTES];
        kp_id_format(ent.capsule, hex);
        if (rc == KP_E_NOT_FOUND) {
            problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_ENTRY, i,
                    "log entry %llu accepted capsule %s, which is not in the store",
                    (unsigned long long)i, hex);
            rc = KP_OK;
        } else if (rc) {
            rc = err_set(err, rc, "%s", e.msg);
        } else if (li != i) {
            problem(v, KP_E_INGEST_TAMPERED, KP_LOG_AT_ENTRY, i,
                    "log entry %llu accepted capsule %s, which the store says entry %llu accepted",
                    (unsigned long long)i, hex, (unsigned long long)li);
        }
    }
    return rc;
}

int kp_runtime_verify(kp_store *st, kp_log_problem_fn fn, void *ud, kp_log_report *rep,
                      kp_error *err)
{
    vctx v;
    memset(&v, 0, sizeof v);
    v.st = st;
    v.fn = fn;
    v.ud = ud;
    kp_error first;
    kp_error_clear(&first);
    v.err = &first;
    int owned = 0;
    int rc = store_read_begin(st, &owned, err);
    if (rc) return rc;
    rc = store_capsule_each(st, check_capsule, &v, err);
    if (rc == KP_OK) rc = store_result_each(st, check_result, &v, err);
    if (rc == KP_OK) rc = store_module_each(st, check_module, &v, err);
    if (rc == KP_OK) rc = check_entries(&v, err);
    store_read_end(st, owned);
    buf_free(&v.entry);
    if (rep) rep->problems += v.problems;
    if (rc) return rc;
    if (v.first) {
        if (err) *err = first;
        return v.first;
    }
    return KP_OK;
}
