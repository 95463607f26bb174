/*
 * checkpoint.c: C2SP tlog-checkpoint notes (c2sp.org/tlog-checkpoint):
 * the body "<origin>\n<tree size>\n<base64 root>\n" signed as a note by
 * the log's Ed25519 key, whose key name is the origin. Every checkpoint
 * handed out is stored (log_checkpoints) so that kp_log_verify can show
 * each is still a root of the tree; the first one binds the log to its
 * origin and key (log_identity).
 */
#include <string.h>

#include "crypto/crypto.h"
#include "log/log.h"
#include "util/error.h"

static const char SQL_IDENTITY[] = "SELECT origin, vkey FROM log_identity WHERE id = 1";
static const char SQL_SET_IDENTITY[] = "INSERT INTO log_identity(id, origin, vkey) VALUES (1, ?1, ?2)";
static const char SQL_LATEST[] =
    "SELECT seq, size, note FROM log_checkpoints ORDER BY seq DESC LIMIT 1";
static const char SQL_ADD[] =
    "INSERT INTO log_checkpoints(seq, size, root, note) VALUES (?1, ?2, ?3, ?4)";

int log_checkpoint_body(const char *origin, uint64_t size, const uint8_t root[LOG_HASH],
                        buf *out)
{
    int rc = buf_printf(out, "%s\n%llu\n", origin, (unsigned long long)size);
    if (rc == KP_OK) rc = log_b64_append(out, root, LOG_HASH);
    if (rc == KP_OK) rc = buf_putc(out, '\n');
    return rc;
}

int log_checkpoint_parse(const char *text, size_t len, kp_checkpoint *out, kp_error *err)
{
    const char *line[3];
    size_t ll[3];
    size_t pos = 0;
    int nl = 0;
    uint8_t root[LOG_HASH + 1];

    if (len == 0 || text[len - 1] != '\n')
        return err_set(err, KP_E_CHECKPOINT_MALFORMED, "checkpoint does not end in a newline");
    while (pos < len) {
        const char *eol = memchr(text + pos, '\n', len - pos);
        size_t n = (size_t)(eol - (text + pos));
        /* the three lines, and any extension line, must be non-empty */
        if (n == 0)
            return err_set_at(err, KP_E_CHECKPOINT_MALFORMED, (int64_t)pos,
                              "checkpoint has an empty line");
        if (nl < 3) {
            line[nl] = text + pos;
            ll[nl] = n;
        }
        nl++;
        pos += n + 1;
    }
    if (nl < 3)
        return err_set(err, KP_E_CHECKPOINT_MALFORMED,
                       "checkpoint has %d lines; origin, size and root are needed", nl);
    if (ll[0] > KP_LOG_ORIGIN_MAX)
        return err_set_field(err, KP_E_CHECKPOINT_MALFORMED, "origin",
                             "origin longer than %d bytes", KP_LOG_ORIGIN_MAX);
    /* decimal, no sign, no leading zero but for "0", within 64 bits */
    uint64_t size = 0;
    if (ll[1] > 20 || (ll[1] > 1 && line[1][0] == '0'))
        return err_set_field(err, KP_E_CHECKPOINT_MALFORMED, "size", "malformed tree size");
    for (size_t i = 0; i < ll[1]; i++) {
        char c = line[1][i];
        if (c < '0' || c > '9' || size > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
            return err_set_field(err, KP_E_CHECKPOINT_MALFORMED, "size", "malformed tree size");
        size = size * 10 + (uint64_t)(c - '0');
    }
    if (cry_base64_decode(root, sizeof root, line[2], ll[2], 1, NULL) != LOG_HASH)
        return err_set_field(err, KP_E_CHECKPOINT_MALFORMED, "root",
                             "root is not the base64 of 32 bytes");
    memcpy(out->origin, line[0], ll[0]);
    out->origin[ll[0]] = 0;
    out->tree_size = size;
    memcpy(out->root, root, LOG_HASH);
    return KP_OK;
}

int kp_checkpoint_verify(const char *note, size_t len, const char *vkey, kp_checkpoint *out,
                         kp_error *err)
{
    log_vkey vk;
    size_t tlen;
    int rc;
    if ((rc = cry_init(err)) != KP_OK) return rc;
    if ((rc = log_vkey_parse(vkey, &vk, err)) != KP_OK) return rc;
    if ((rc = log_note_open(note, len, &vk, &tlen, err)) != KP_OK) return rc;
    return log_checkpoint_parse(note, tlen, out, err);
}

/* Copies a stored text column to out (cap bytes with the NUL). */
static int copy_text(sqlite3_stmt *s, int col, char *out, size_t cap, const char *what,
                     kp_error *err)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);
    if (!t || n >= cap)
        return err_set(err, KP_E_LOG_CHECKPOINT, "stored %s is missing or too long", what);
    memcpy(out, t, n);
    out[n] = 0;
    return KP_OK;
}

int kp_log_identity(kp_store *st, char origin[KP_LOG_ORIGIN_MAX + 1], char vkey[KP_LOG_VKEY_MAX],
                    kp_error *err)
{
    char o[KP_LOG_ORIGIN_MAX + 1], v[KP_LOG_VKEY_MAX];
    sqlite3_stmt *s;
    int rc = store_stmt(st, SQL_IDENTITY, &s, err);
    if (rc) return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_DONE)
        rc = err_set(err, KP_E_NOT_FOUND, "the log has no checkpoint yet, so no key");
    else if (src != SQLITE_ROW)
        rc = store_fail(st, src, "reading the log identity", err);
    if (rc == KP_OK) rc = copy_text(s, 0, o, sizeof o, "origin", err);
    if (rc == KP_OK) rc = copy_text(s, 1, v, sizeof v, "verifier key", err);
    store_done(s);
    if (rc) return rc;
    if (origin) memcpy(origin, o, strlen(o) + 1);
    if (vkey) memcpy(vkey, v, strlen(v) + 1);
    return KP_OK;
}

int kp_log_head(kp_store *st, char note[KP_LOG_NOTE_MAX], kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, SQL_LATEST, &s, err);
    if (rc) return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_DONE)
        rc = err_set(err, KP_E_NOT_FOUND, "the log has no checkpoint yet");
    else if (src != SQLITE_ROW)
        rc = store_fail(st, src, "reading the latest checkpoint", err);
    else
        rc = copy_text(s, 2, note, KP_LOG_NOTE_MAX, "checkpoint note", err);
    store_done(s);
    return rc;
}

/* Binds the log to (origin, vkey) on its first checkpoint; afterwards
   refuses any other pair. */
static int bind_identity(kp_store *st, const char *origin, const char *vkey, kp_error *err)
{
    char o[KP_LOG_ORIGIN_MAX + 1], v[KP_LOG_VKEY_MAX];
    kp_error e2;
    int rc = kp_log_identity(st, o, v, &e2);
    if (rc == KP_OK) {
        if (strcmp(o, origin) != 0 || strcmp(v, vkey) != 0)
            return err_set(err, KP_E_LOG_IDENTITY,
                           "the log is bound to origin %s and key %s, not %s and %s", o, v,
                           origin, vkey);
        return KP_OK;
    }
    if (rc != KP_E_NOT_FOUND) {
        if (err) *err = e2;
        return rc;
    }
    sqlite3_stmt *s;
    if ((rc = store_stmt(st, SQL_SET_IDENTITY, &s, err)) != KP_OK) return rc;
    sqlite3_bind_text(s, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, vkey, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    store_done(s);
    if (src != SQLITE_DONE) return store_fail(st, src, "binding the log identity", err);
    return KP_OK;
}

int kp_log_checkpoint(kp_store *st, const char *origin, const uint8_t sk[KP_LOG_SK_BYTES],
                      char note[KP_LOG_NOTE_MAX], kp_error *err)
{
    uint8_t pk[KP_LOG_PK_BYTES], sk2[KP_LOG_SK_BYTES], root[LOG_HASH];
    char vkey[KP_LOG_VKEY_MAX], out[KP_LOG_NOTE_MAX];
    buf body = {0}, signed_note = {0};
    store_unit u;
    sqlite3_stmt *s;
    uint64_t n = 0;
    int rc, src;

    if ((rc = cry_init(err)) != KP_OK) return rc;
    if (!origin || !log_name_valid(origin, strlen(origin)))
        return err_set(err, KP_E_ARG, "invalid log origin (1..255 bytes, no spaces, no '+')");
    /* a secret key whose public half is not its seed's would sign notes
       that its own verifier key refuses */
    cry_ed25519_from_seed(pk, sk2, sk);
    cry_wipe(sk2, sizeof sk2);
    if (!cry_equal(pk, sk + 32, KP_LOG_PK_BYTES))
        return err_set(err, KP_E_ARG, "Ed25519 secret key: public half does not match the seed");
    if ((rc = kp_log_vkey(origin, pk, vkey, err)) != KP_OK) return rc;
    if ((rc = store_writable(st, err)) != KP_OK) return rc;
    if ((rc = store_unit_begin(st, "log_checkpoint", &u, err)) != KP_OK) return rc;
    if ((rc = bind_identity(st, origin, vkey, err)) != KP_OK) goto done;
    if ((rc = log_size_get(st, &n, err)) != KP_OK) goto done;

    /* the latest checkpoint, when it already covers the log, is the head */
    int64_t next_seq = 0;
    if ((rc = store_stmt(st, SQL_LATEST, &s, err)) != KP_OK) goto done;
    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        next_seq = sqlite3_column_int64(s, 0) + 1;
        if ((uint64_t)sqlite3_column_int64(s, 1) == n) {
            rc = copy_text(s, 2, out, sizeof out, "checkpoint note", err);
            store_done(s);
            goto done;
        }
    } else if (src != SQLITE_DONE) {
        rc = store_fail(st, src, "reading the latest checkpoint", err);
    }
    store_done(s);
    if (rc) goto done;

    if ((rc = log_root_at(st, n, root, err)) != KP_OK) goto done;
    if ((rc = log_checkpoint_body(origin, n, root, &body)) != KP_OK) {
        err_set(err, rc, "out of memory building a checkpoint");
        goto done;
    }
    if ((rc = log_note_sign((char *)body.p, body.len, origin, sk, &signed_note, err)) != KP_OK)
        goto done;
    if (signed_note.len >= KP_LOG_NOTE_MAX) {
        rc = err_set(err, KP_E_INTERNAL, "checkpoint note longer than %d bytes", KP_LOG_NOTE_MAX);
        goto done;
    }
    if ((rc = store_stmt(st, SQL_ADD, &s, err)) != KP_OK) goto done;
    sqlite3_bind_int64(s, 1, next_seq);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)n);
    sqlite3_bind_blob(s, 3, root, LOG_HASH, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, (char *)signed_note.p, (int)signed_note.len, SQLITE_STATIC);
    src = sqlite3_step(s);
    store_done(s);
    if (src != SQLITE_DONE) {
        rc = store_fail(st, src, "storing a checkpoint", err);
        goto done;
    }
    memcpy(out, signed_note.p, signed_note.len);
    out[signed_note.len] = 0;
done:
    buf_free(&body);
    buf_free(&signed_note);
    rc = store_unit_end(st, &u, rc, err);
    /* handed out only once it is durable */
    if (rc == KP_OK) memcpy(note, out, strlen(out) + 1);
    return rc;
}
