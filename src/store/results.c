/*
 * results.c: what a capsule's logic said (verdict, reason, result bytes,
 * fuel, transcript root, policy hash) and the log entry that records it.
 * One row per accepted capsule that ran logic; immutable.
 */
#include <string.h>

#include "store/store.h"
#include "util/error.h"

int store_result_put(kp_store *st, const store_result *r, kp_error *err)
{
    sqlite3_stmt *s;
    if (r->fuel > INT64_MAX) return err_set(err, KP_E_LIMIT, "fuel out of range");
    int rc = store_stmt(st,
                        "INSERT INTO results(capsule, module, verdict, reason, result, fuel,"
                        " transcript_root, policy_hash, log_idx)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, r->capsule, STORE_ID);
    store_bind_blob(s, 2, r->module, STORE_ID);
    sqlite3_bind_int(s, 3, r->verdict);
    sqlite3_bind_text(s, 4, r->reason ? r->reason : "", -1, SQLITE_STATIC);
    if (r->has_result) store_bind_blob(s, 5, r->result, r->result_len);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)r->fuel);
    store_bind_blob(s, 7, r->transcript_root, 32);
    store_bind_blob(s, 8, r->policy_hash, 32);
    sqlite3_bind_int64(s, 9, (sqlite3_int64)r->log_idx);
    return store_step_done(st, s, "storing a result", err);
}

#define RESULT_COLS                                                                         \
    "capsule, module, verdict, reason, result, fuel, transcript_root, policy_hash, log_idx"

static void copy32(uint8_t out[32], sqlite3_stmt *s, int i)
{
    const void *p = sqlite3_column_blob(s, i);
    if (p && sqlite3_column_bytes(s, i) == 32)
        memcpy(out, p, 32);
    else
        memset(out, 0, 32);
}

/* Fills r from the row; reason and result point into the statement's
   memory, valid until the next step. */
static void read_row(sqlite3_stmt *s, store_result *r)
{
    memset(r, 0, sizeof *r);
    copy32(r->capsule, s, 0);
    copy32(r->module, s, 1);
    r->verdict = sqlite3_column_int(s, 2);
    const unsigned char *t = sqlite3_column_text(s, 3);
    r->reason = t ? (const char *)t : "";
    r->has_result = sqlite3_column_type(s, 4) != SQLITE_NULL;
    r->result = sqlite3_column_blob(s, 4);
    r->result_len = (size_t)sqlite3_column_bytes(s, 4);
    if (!r->result) r->result = (const uint8_t *)"";
    int64_t f = sqlite3_column_int64(s, 5);
    r->fuel = f < 0 ? 0 : (uint64_t)f;
    copy32(r->transcript_root, s, 6);
    copy32(r->policy_hash, s, 7);
    r->log_idx = (uint64_t)sqlite3_column_int64(s, 8);
}

int store_result_get(kp_store *st, const uint8_t capsule[STORE_ID], store_result *out, buf *mem,
                     kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT " RESULT_COLS " FROM results WHERE capsule = ?1", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, capsule, STORE_ID);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        store_done(s);
        if (rc == SQLITE_DONE) return err_set(err, KP_E_NOT_FOUND, "no result for this capsule");
        return store_fail(st, rc, "reading a result", err);
    }
    store_result r;
    read_row(s, &r);
    /* copy reason (with its NUL) and result into mem, then point at them */
    size_t rl = strlen(r.reason), base = mem->len;
    if (buf_append(mem, r.reason, rl + 1) || buf_append(mem, r.result, r.result_len)) {
        store_done(s);
        return err_set(err, KP_E_NOMEM, "out of memory");
    }
    store_done(s);
    r.reason = (const char *)mem->p + base;
    r.result = mem->p + base + rl + 1;
    *out = r;
    return KP_OK;
}

int store_result_each(kp_store *st, store_result_fn fn, void *ud, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT " RESULT_COLS " FROM results ORDER BY log_idx", &s, err);
    if (rc) return rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        store_result r;
        read_row(s, &r);
        int frc = fn(ud, &r, err);
        if (frc) {
            store_done(s);
            return frc;
        }
    }
    store_done(s);
    return rc == SQLITE_DONE ? KP_OK : store_fail(st, rc, "reading results", err);
}
