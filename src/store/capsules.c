/*
 * capsules.c: accepted capsules (their exact file bytes and the fields
 * queries need) and the DAG edges between them. Rows are immutable (the
 * schema's triggers refuse UPDATE and DELETE); seq is the ingest order.
 */
#include <string.h>

#include "store/store.h"
#include "util/error.h"

static int nomem(kp_error *err)
{
    return err_set(err, KP_E_NOMEM, "out of memory");
}

int store_capsule_put(kp_store *st, const store_capsule *c, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st,
                        "INSERT INTO capsules(id, bytes, type, author_alg, author, created, logic,"
                        " encrypted, log_idx) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, c->id, STORE_ID);
    store_bind_blob(s, 2, c->bytes, c->len);
    sqlite3_bind_text(s, 3, c->type, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, c->author_alg);
    store_bind_blob(s, 5, c->author, c->author_len);
    sqlite3_bind_int64(s, 6, c->created);
    if (c->logic) store_bind_blob(s, 7, c->logic, STORE_ID);
    sqlite3_bind_int(s, 8, c->encrypted ? 1 : 0);
    sqlite3_bind_int64(s, 9, (sqlite3_int64)c->log_idx);
    if ((rc = store_step_done(st, s, "storing a capsule", err))) return rc;
    for (size_t i = 0; i < c->nparents; i++) {
        if ((rc = store_stmt(st, "INSERT INTO edges(child, parent) VALUES (?1, ?2)", &s, err)))
            return rc;
        store_bind_blob(s, 1, c->id, STORE_ID);
        store_bind_blob(s, 2, c->parents[i], STORE_ID);
        if ((rc = store_step_done(st, s, "storing a DAG edge", err))) return rc;
    }
    return KP_OK;
}

int store_capsule_exists(kp_store *st, const uint8_t id[STORE_ID], int *found, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT 1 FROM capsules WHERE id = ?1", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    rc = sqlite3_step(s);
    store_done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(st, rc, "reading capsules", err);
    *found = rc == SQLITE_ROW;
    return KP_OK;
}

int store_capsule_get(kp_store *st, const uint8_t id[STORE_ID], buf *bytes, int64_t *seq,
                      uint64_t *log_idx, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT bytes, seq, log_idx FROM capsules WHERE id = ?1", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        store_done(s);
        return err_set(err, KP_E_NOT_FOUND, "no such capsule");
    }
    if (rc != SQLITE_ROW) {
        store_done(s);
        return store_fail(st, rc, "reading a capsule", err);
    }
    if (seq) *seq = sqlite3_column_int64(s, 1);
    if (log_idx) *log_idx = (uint64_t)sqlite3_column_int64(s, 2);
    rc = bytes ? store_column_append(s, 0, bytes) : KP_OK;
    store_done(s);
    return rc ? nomem(err) : KP_OK;
}

/* Every row's first column (an id) appended to ids. */
static int collect_ids(kp_store *st, sqlite3_stmt *s, buf *ids, const char *what, kp_error *err)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 0) != STORE_ID) {
            store_done(s);
            return err_set(err, KP_E_STORE_CORRUPT, "%s: an id is not 32 bytes", what);
        }
        if (store_column_append(s, 0, ids)) {
            store_done(s);
            return nomem(err);
        }
    }
    store_done(s);
    if (rc != SQLITE_DONE) return store_fail(st, rc, what, err);
    return KP_OK;
}

int store_capsule_children(kp_store *st, const uint8_t id[STORE_ID], buf *ids, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st,
                        "SELECT e.child FROM edges e JOIN capsules c ON c.id = e.child"
                        " WHERE e.parent = ?1 ORDER BY c.seq",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    return collect_ids(st, s, ids, "reading DAG children", err);
}

int store_capsule_parents(kp_store *st, const uint8_t id[STORE_ID], buf *ids, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT parent FROM edges WHERE child = ?1 ORDER BY parent", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    return collect_ids(st, s, ids, "reading DAG parents", err);
}

int store_capsule_heads(kp_store *st, const char *type, buf *ids, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st,
                        "SELECT c.id FROM capsules c WHERE (?1 IS NULL OR c.type = ?1)"
                        " AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.parent = c.id)"
                        " ORDER BY c.seq",
                        &s, err);
    if (rc) return rc;
    if (type) sqlite3_bind_text(s, 1, type, -1, SQLITE_STATIC);
    return collect_ids(st, s, ids, "reading DAG heads", err);
}

int store_capsule_ancestors(kp_store *st, const uint8_t id[STORE_ID], buf *ids, kp_error *err)
{
    sqlite3_stmt *s;
    /* UNION (not UNION ALL) visits a capsule reached by two paths once */
    int rc = store_stmt(st,
                        "WITH RECURSIVE anc(id) AS (SELECT parent FROM edges WHERE child = ?1"
                        " UNION SELECT e.parent FROM edges e JOIN anc a ON e.child = a.id)"
                        " SELECT c.id FROM anc JOIN capsules c ON c.id = anc.id ORDER BY c.seq",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    return collect_ids(st, s, ids, "reading DAG ancestors", err);
}

int store_capsule_count(kp_store *st, uint64_t *n, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT count(*) FROM capsules", &s, err);
    if (rc) return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *n = (uint64_t)sqlite3_column_int64(s, 0);
    store_done(s);
    return rc == SQLITE_ROW ? KP_OK : store_fail(st, rc, "counting capsules", err);
}

int store_capsule_each(kp_store *st, store_capsule_fn fn, void *ud, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT id, bytes, log_idx FROM capsules ORDER BY seq", &s, err);
    if (rc) return rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const uint8_t *id = sqlite3_column_blob(s, 0);
        int idn = sqlite3_column_bytes(s, 0);
        const uint8_t *b = sqlite3_column_blob(s, 1);
        int bn = sqlite3_column_bytes(s, 1);
        static const uint8_t zero[STORE_ID];
        int frc = fn(ud, idn == STORE_ID && id ? id : zero, b ? b : zero, bn > 0 ? (size_t)bn : 0,
                     (uint64_t)sqlite3_column_int64(s, 2), err);
        if (frc) {
            store_done(s);
            return frc;
        }
    }
    store_done(s);
    return rc == SQLITE_DONE ? KP_OK : store_fail(st, rc, "reading capsules", err);
}
