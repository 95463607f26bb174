/*
 * kv.c: the modules' child storage, one key space per module. Guests name
 * keys only; the host supplies the module id, so a module never reaches
 * another's keys.
 */
#include "store/store.h"
#include "util/error.h"

int store_kv_get(kp_store *st, const uint8_t module[STORE_ID], const uint8_t *key, size_t klen,
                 buf *val, int *found, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT value FROM kv WHERE module = ?1 AND key = ?2", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, module, STORE_ID);
    store_bind_blob(s, 2, key, klen);
    rc = sqlite3_step(s);
    int status = KP_OK;
    if (rc == SQLITE_ROW) {
        *found = 1;
        if (store_column_append(s, 0, val)) status = err_set(err, KP_E_NOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        *found = 0;
    } else {
        status = store_fail(st, rc, "reading child storage", err);
    }
    store_done(s);
    return status;
}

int store_kv_put(kp_store *st, const uint8_t module[STORE_ID], const uint8_t *key, size_t klen,
                 const uint8_t *val, size_t vlen, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st,
                        "INSERT INTO kv(module, key, value) VALUES (?1, ?2, ?3)"
                        " ON CONFLICT(module, key) DO UPDATE SET value = excluded.value",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, module, STORE_ID);
    store_bind_blob(s, 2, key, klen);
    store_bind_blob(s, 3, val, vlen);
    return store_step_done(st, s, "writing child storage", err);
}

int store_kv_del(kp_store *st, const uint8_t module[STORE_ID], const uint8_t *key, size_t klen,
                 kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "DELETE FROM kv WHERE module = ?1 AND key = ?2", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, module, STORE_ID);
    store_bind_blob(s, 2, key, klen);
    return store_step_done(st, s, "deleting from child storage", err);
}
