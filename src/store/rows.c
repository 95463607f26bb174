/*
 * rows.c: the small helpers every table file of the capsule store shares:
 * binding blobs (SQLite binds a NULL pointer as SQL NULL, and an empty
 * key or value must stay an empty blob), stepping a write to its end, and
 * reading a blob column into a buf.
 */
#include "store/store.h"

#include "util/error.h"

int store_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
    if (n == 0) return sqlite3_bind_zeroblob(s, i, 0);
    if (n > (size_t)INT32_MAX) return SQLITE_TOOBIG;
    return sqlite3_bind_blob(s, i, p, (int)n, SQLITE_STATIC);
}

int store_step_done(kp_store *st, sqlite3_stmt *s, const char *what, kp_error *err)
{
    int rc = sqlite3_step(s);
    int status = rc == SQLITE_DONE || rc == SQLITE_ROW ? KP_OK : store_fail(st, rc, what, err);
    store_done(s);
    return status;
}

int store_column_append(sqlite3_stmt *s, int i, buf *out)
{
    const void *p = sqlite3_column_blob(s, i);
    int n = sqlite3_column_bytes(s, i);
    if (n <= 0 || !p) return KP_OK;
    return buf_append(out, p, (size_t)n);
}
