/*
 * modules.c: logic modules by id, their owner and lifecycle. The code of a
 * module never changes (its id is its hash; a trigger refuses the update)
 * and a module is never deleted: destroying or upgrading one is a state
 * the runtime checks before running it.
 */
#include <string.h>

#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"

int store_module_add(kp_store *st, const uint8_t *code, size_t len, int owner_alg,
                     const uint8_t *owner, size_t owner_len, int64_t now, uint8_t id[STORE_ID],
                     int *added, kp_error *err)
{
    uint8_t mid[STORE_ID];
    if (owner_len > STORE_KEY_MAX) return err_set(err, KP_E_ARG, "owner key too long");
    kp_module_id(code, len, mid);
    sqlite3_stmt *s;
    int rc = store_stmt(st,
                        "INSERT INTO modules(id, code, owner_alg, owner, added)"
                        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO NOTHING",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, mid, STORE_ID);
    store_bind_blob(s, 2, code, len);
    sqlite3_bind_int(s, 3, owner_len ? owner_alg : 0);
    if (owner_len) store_bind_blob(s, 4, owner, owner_len);
    sqlite3_bind_int64(s, 5, now);
    if ((rc = store_step_done(st, s, "registering a module", err))) return rc;
    if (added) *added = sqlite3_changes(st->db) > 0;
    if (id) memcpy(id, mid, STORE_ID);
    return KP_OK;
}

static void read_row(sqlite3_stmt *s, store_module *m)
{
    memset(m, 0, sizeof *m);
    const void *p = sqlite3_column_blob(s, 0);
    if (p && sqlite3_column_bytes(s, 0) == STORE_ID) memcpy(m->id, p, STORE_ID);
    m->owner_alg = sqlite3_column_int(s, 1);
    p = sqlite3_column_blob(s, 2);
    int n = sqlite3_column_bytes(s, 2);
    if (p && n > 0 && n <= STORE_KEY_MAX) {
        memcpy(m->owner, p, (size_t)n);
        m->owner_len = (size_t)n;
    } else {
        m->owner_alg = 0;
    }
    m->state = sqlite3_column_int(s, 3);
    p = sqlite3_column_blob(s, 4);
    if (p && sqlite3_column_bytes(s, 4) == STORE_ID) memcpy(m->successor, p, STORE_ID);
    m->added = sqlite3_column_int64(s, 5);
    m->code_len = (size_t)sqlite3_column_int64(s, 6);
}

#define MODULE_COLS "id, owner_alg, owner, state, successor, added, length(code)"

int store_module_info(kp_store *st, const uint8_t id[STORE_ID], store_module *out,
                      kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT " MODULE_COLS " FROM modules WHERE id = ?1", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_row(s, out);
    store_done(s);
    if (rc == SQLITE_DONE) return err_set(err, KP_E_NOT_FOUND, "no such module");
    return rc == SQLITE_ROW ? KP_OK : store_fail(st, rc, "reading a module", err);
}

int store_module_code(kp_store *st, const uint8_t id[STORE_ID], buf *out, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT code FROM modules WHERE id = ?1", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    rc = sqlite3_step(s);
    int status = KP_OK;
    if (rc == SQLITE_ROW) {
        if (store_column_append(s, 0, out)) status = err_set(err, KP_E_NOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        status = err_set(err, KP_E_NOT_FOUND, "no such module");
    } else {
        status = store_fail(st, rc, "reading a module", err);
    }
    store_done(s);
    return status;
}

int store_module_set_state(kp_store *st, const uint8_t id[STORE_ID], int state,
                           const uint8_t successor[STORE_ID], kp_error *err)
{
    store_module cur, next;
    int rc = store_module_info(st, id, &cur, err);
    if (rc) return rc;
    if (state != STORE_MODULE_DESTROYED && state != STORE_MODULE_UPGRADED)
        return err_set(err, KP_E_ARG, "unknown module state %d", state);
    sqlite3_stmt *s;
    if (state == STORE_MODULE_UPGRADED) {
        rc = store_module_info(st, successor, &next, err);
        if (rc == KP_E_NOT_FOUND)
            return err_set(err, KP_E_NOT_FOUND, "successor module is not registered");
        if (rc) return rc;
        if (next.owner_alg == 0 && cur.owner_len) {
            /* the successor takes the old module's owner when it has none */
            if ((rc = store_stmt(st, "UPDATE modules SET owner_alg = ?2, owner = ?3 WHERE id = ?1",
                                 &s, err)))
                return rc;
            store_bind_blob(s, 1, successor, STORE_ID);
            sqlite3_bind_int(s, 2, cur.owner_alg);
            store_bind_blob(s, 3, cur.owner, cur.owner_len);
            if ((rc = store_step_done(st, s, "updating a module", err))) return rc;
        }
    }
    if ((rc = store_stmt(st, "UPDATE modules SET state = ?2, successor = ?3 WHERE id = ?1", &s,
                         err)))
        return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    sqlite3_bind_int(s, 2, state);
    if (state == STORE_MODULE_UPGRADED) store_bind_blob(s, 3, successor, STORE_ID);
    return store_step_done(st, s, "updating a module", err);
}

int store_module_named(kp_store *st, const uint8_t id[STORE_ID], uint64_t since, uint64_t *n,
                       kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT count(*) FROM capsules WHERE logic = ?1 AND log_idx >= ?2",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, id, STORE_ID);
    sqlite3_bind_int64(s, 2, since > INT64_MAX ? INT64_MAX : (sqlite3_int64)since);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *n = (uint64_t)sqlite3_column_int64(s, 0);
    store_done(s);
    return rc == SQLITE_ROW ? KP_OK : store_fail(st, rc, "counting a module's capsules", err);
}

int store_module_each(kp_store *st, store_module_fn fn, void *ud, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT id, code FROM modules ORDER BY id", &s, err), src = SQLITE_DONE;
    if (rc) return rc;
    while (rc == KP_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        uint8_t id[STORE_ID];
        const void *p = sqlite3_column_blob(s, 0), *code = sqlite3_column_blob(s, 1);
        memset(id, 0, sizeof id);
        if (p && sqlite3_column_bytes(s, 0) == STORE_ID) memcpy(id, p, STORE_ID);
        rc = fn(ud, id, code ? code : (const void *)"", (size_t)sqlite3_column_bytes(s, 1), err);
    }
    if (rc == KP_OK && src != SQLITE_DONE) rc = store_fail(st, src, "reading modules", err);
    store_done(s);
    return rc;
}

int store_module_list(kp_store *st, store_module **out, size_t *n, kp_error *err)
{
    sqlite3_stmt *s;
    store_module *rows = NULL;
    size_t count = 0, cap = 0;
    int rc = store_stmt(st, "SELECT " MODULE_COLS " FROM modules ORDER BY id", &s, err);
    if (rc) return rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 8, bytes;
            store_module *p = NULL;
            if (size_mul(nc, sizeof *rows, &bytes))
                p = mem_realloc(rows, cap * sizeof *rows, bytes);
            if (!p) {
                store_done(s);
                mem_free(rows, cap * sizeof *rows);
                return err_set(err, KP_E_NOMEM, "out of memory");
            }
            rows = p;
            cap = nc;
        }
        read_row(s, &rows[count++]);
    }
    store_done(s);
    if (rc != SQLITE_DONE) {
        mem_free(rows, cap * sizeof *rows);
        return store_fail(st, rc, "listing modules", err);
    }
    /* hand back exactly count rows, so the caller frees what it was told */
    if (count < cap) {
        store_module *p = count ? mem_realloc(rows, cap * sizeof *rows, count * sizeof *rows) : NULL;
        if (count && !p) {
            mem_free(rows, cap * sizeof *rows);
            return err_set(err, KP_E_NOMEM, "out of memory");
        }
        if (!count) mem_free(rows, cap * sizeof *rows);
        rows = p;
    }
    *out = rows;
    *n = count;
    return KP_OK;
}
