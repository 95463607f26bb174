/*
 * pending.c: capsules received and acknowledged but not yet processed,
 * because a parent or their logic module is missing. Each is kept with its
 * exact bytes (so that it survives a crash like any stored row) and one
 * wait row per thing it waits for; when one arrives the runtime takes the
 * capsules waiting on it and processes them again.
 */
#include "store/store.h"
#include "util/error.h"

int store_pending_add(kp_store *st, const uint8_t id[STORE_ID], const uint8_t *bytes, size_t len,
                      const store_wait *waits, size_t nwaits, int64_t now, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "INSERT INTO pending(id, bytes, received) VALUES (?1, ?2, ?3)", &s,
                        err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    store_bind_blob(s, 2, bytes, len);
    sqlite3_bind_int64(s, 3, now);
    if ((rc = store_step_done(st, s, "keeping a pending capsule", err))) return rc;
    for (size_t i = 0; i < nwaits; i++) {
        if ((rc = store_stmt(st,
                             "INSERT INTO pending_waits(want, pending, kind) VALUES (?1, ?2, ?3)"
                             " ON CONFLICT DO NOTHING",
                             &s, err)))
            return rc;
        store_bind_blob(s, 1, waits[i].want, STORE_ID);
        store_bind_blob(s, 2, id, STORE_ID);
        sqlite3_bind_int(s, 3, waits[i].kind);
        if ((rc = store_step_done(st, s, "keeping a pending capsule", err))) return rc;
    }
    return KP_OK;
}

int store_pending_exists(kp_store *st, const uint8_t id[STORE_ID], int *found, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT 1 FROM pending WHERE id = ?1", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    rc = sqlite3_step(s);
    store_done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(st, rc, "reading pending", err);
    *found = rc == SQLITE_ROW;
    return KP_OK;
}

int store_pending_waiting_on(kp_store *st, const uint8_t want[STORE_ID], buf *ids,
                             kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st,
                        "SELECT p.id FROM pending_waits w JOIN pending p ON p.id = w.pending"
                        " WHERE w.want = ?1 ORDER BY p.seq",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, want, STORE_ID);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != STORE_ID || store_column_append(s, 0, ids)) {
            store_done(s);
            return err_set(err, KP_E_NOMEM, "out of memory reading pending capsules");
        }
    }
    store_done(s);
    return rc == SQLITE_DONE ? KP_OK : store_fail(st, rc, "reading pending", err);
}

int store_pending_take(kp_store *st, const uint8_t id[STORE_ID], buf *bytes, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT bytes FROM pending WHERE id = ?1", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        store_done(s);
        if (rc == SQLITE_DONE) return err_set(err, KP_E_NOT_FOUND, "capsule is not pending");
        return store_fail(st, rc, "reading pending", err);
    }
    rc = store_column_append(s, 0, bytes);
    store_done(s);
    if (rc) return err_set(err, KP_E_NOMEM, "out of memory");
    if ((rc = store_stmt(st, "DELETE FROM pending WHERE id = ?1", &s, err))) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    return store_step_done(st, s, "releasing a pending capsule", err);
}

int store_pending_count(kp_store *st, uint64_t *n, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT count(*) FROM pending", &s, err);
    if (rc) return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *n = (uint64_t)sqlite3_column_int64(s, 0);
    store_done(s);
    return rc == SQLITE_ROW ? KP_OK : store_fail(st, rc, "counting pending", err);
}
