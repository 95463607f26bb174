/*
 * snapshot.c: a store's accepted capsules and their modules as one file
 * (docs/FORMATS.md, "Snapshots"), and that file ingested into another
 * store. The writer reads the store in one transaction; the reader checks
 * the whole file before a caller can use any of it, so that a damaged file
 * is refused before the importing store is touched; the import sends every
 * record through the ordinary pipeline, which trusts nothing in the file.
 */
#include <stdio.h>
#include <string.h>

#include "cbor/cbor.h"
#include "crypto/crypto.h"
#include "runtime/runtime.h"
#include "util/alloc.h"
#include "util/error.h"

/* The header has exactly these keys; a new one is a new version. */
#define SNAP_HEADER_KEYS 7
/* Records are shallow: a module map holds the owner array, which holds scalars. */
#define SNAP_DEPTH 3
/* The least bytes a module record takes (map head, "code" key and bstr
   head, "id" key and 32-byte bstr, "owner" key and null): counts are
   bounded by what the bytes left could hold before anything is allocated. */
#define SNAP_MODULE_MIN 52

typedef struct snap_span {
    size_t off, len;
} snap_span;

struct kp_snapshot {
    uint8_t *data; /* our copy of the file */
    size_t len;
    kp_snapshot_info info;
    char *origin; /* NUL-terminated copy, origin_len + 1 bytes */
    size_t origin_len;
    kp_snapshot_module *mods;
    snap_span *caps;
};

/* ---- export ------------------------------------------------------------------------ */

void kp_snapshot_bytes_free(uint8_t *p, size_t len)
{
    if (p) mem_free(p, len);
}

/* Each parent's ingest sequence number must be below its child's: that is
   what makes ingest order a dependency order. The pipeline only stores a
   capsule whose parents are stored, but the file's order rests on it, so
   it is checked here rather than assumed. */
static int check_order(kp_store *st, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st,
                        "SELECT count(*) FROM edges e JOIN capsules c ON c.id = e.child"
                        " JOIN capsules p ON p.id = e.parent WHERE p.seq >= c.seq",
                        &s, err);
    if (rc) return rc;
    int src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        rc = store_fail(st, src, "checking the DAG order", err);
    } else if (sqlite3_column_int64(s, 0) != 0) {
        rc = err_set(err, KP_E_STORE_CORRUPT,
                     "%lld capsule(s) were stored before a parent: ingest order is not a"
                     " dependency order",
                     (long long)sqlite3_column_int64(s, 0));
    }
    store_done(s);
    return rc;
}

/*
 * Whether a stored module row can go into a snapshot. Its code must hash
 * to its id: a mismatch is tampering (kapsule log verify names it) and the
 * export fails with KP_E_STORE_CORRUPT rather than write a file every
 * reader refuses. A row whose code the engine refuses (an empty or
 * malformed module registered before registration checked it) is
 * skipped and reported: it can never run, so no accepted capsule needs
 * it, and modules are never deleted, so failing here would wedge every
 * later export of the store for good. If an exported capsule did name it,
 * leaving it out would silently strand that capsule as pending in the
 * importing store: that is refused as corruption too.
 */
static int module_exportable(kp_store *st, uint64_t since, const uint8_t *id, int idlen,
                             const uint8_t *code, size_t len, kp_snapshot_skip_fn fn, void *ud,
                             int *skip, kp_error *err)
{
    char hex[KP_ID_HEX_BYTES];
    uint8_t want[KP_ID_BYTES];
    *skip = 0;
    if (idlen != KP_ID_BYTES)
        return err_set(err, KP_E_STORE_CORRUPT, "a module row has an id of %d bytes", idlen);
    kp_id_format(id, hex);
    kp_module_id(code, len, want);
    if (memcmp(want, id, KP_ID_BYTES) != 0)
        return err_set(err, KP_E_STORE_CORRUPT,
                       "module %s: its stored code does not hash to its id (the store was"
                       " changed outside kapsule; run kapsule log verify)",
                       hex);
    kp_error merr;
    int mrc = rt_module_check(code, len, &merr);
    if (mrc == KP_OK) return KP_OK;
    if (kp_status_exit(mrc) == 3) return err_set(err, mrc, "%s", merr.msg);
    uint64_t named = 0;
    int rc = store_module_named(st, id, since, &named, err);
    if (rc) return rc;
    if (named)
        return err_set(err, KP_E_STORE_CORRUPT,
                       "module %s is not a valid module (%s: %s) yet %llu exported capsule(s)"
                       " name it",
                       hex, kp_status_name(mrc), merr.msg, (unsigned long long)named);
    if (fn) fn(ud, id, mrc, merr.msg);
    *skip = 1;
    return KP_OK;
}

/* The module records, in id order: every module (since 0), else the
   modules named by the capsules exported; rows that are not modules are
   skipped (module_exportable). */
static int put_modules(kp_store *st, uint64_t since, buf *out, uint64_t *n,
                       kp_snapshot_skip_fn fn, void *ud, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st,
                        "SELECT id, code, owner_alg, owner FROM modules WHERE ?1 = 0 OR id IN"
                        " (SELECT logic FROM capsules WHERE log_idx >= ?1 AND logic IS NOT NULL)"
                        " ORDER BY id",
                        &s, err);
    if (rc) return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
    int src;
    while (rc == KP_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        int olen = sqlite3_column_bytes(s, 3), skip = 0;
        const uint8_t *code = sqlite3_column_blob(s, 1);
        size_t clen = (size_t)sqlite3_column_bytes(s, 1);
        rc = module_exportable(st, since, sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0),
                               code ? code : (const uint8_t *)"", clen, fn, ud, &skip, err);
        if (rc || skip) continue;
        cbor_enc e;
        cbor_enc_init(&e, out);
        cbor_begin_map(&e);
        cbor_put_str(&e, "id");
        cbor_put_bytes(&e, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
        cbor_put_str(&e, "code");
        cbor_put_bytes(&e, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
        cbor_put_str(&e, "owner");
        if (sqlite3_column_int(s, 2) == 0 || olen <= 0) {
            cbor_put_null(&e);
        } else {
            cbor_begin_array(&e);
            cbor_put_uint(&e, (uint64_t)sqlite3_column_int(s, 2));
            cbor_put_bytes(&e, sqlite3_column_blob(s, 3), (size_t)olen);
            cbor_end(&e);
        }
        cbor_end(&e);
        rc = cbor_enc_finish(&e, err);
        (*n)++;
    }
    if (rc == KP_OK && src != SQLITE_DONE) rc = store_fail(st, src, "reading modules", err);
    store_done(s);
    return rc;
}

/* The capsule records: their files as stored, in ingest order. */
static int put_capsules(kp_store *st, uint64_t since, buf *out, uint64_t *n, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT bytes FROM capsules WHERE log_idx >= ?1 ORDER BY seq", &s,
                        err);
    if (rc) return rc;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)since);
    int src;
    while (rc == KP_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        cbor_enc e;
        cbor_enc_init(&e, out);
        cbor_put_bytes(&e, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
        rc = cbor_enc_finish(&e, err);
        (*n)++;
    }
    if (rc == KP_OK && src != SQLITE_DONE) rc = store_fail(st, src, "reading capsules", err);
    store_done(s);
    return rc;
}

int kp_snapshot_export(kp_store *st, uint64_t since, uint8_t **out, size_t *len, kp_error *err)
{
    return kp_snapshot_export_with(st, since, NULL, NULL, out, len, err);
}

int kp_snapshot_export_with(kp_store *st, uint64_t since, kp_snapshot_skip_fn fn, void *ud,
                            uint8_t **out, size_t *len, kp_error *err)
{
    buf body = {0}, file = {0};
    body.max = file.max = KP_SNAPSHOT_MAX_BYTES;
    char origin[KP_LOG_ORIGIN_MAX + 1], note[KP_LOG_NOTE_MAX];
    int has_origin = 0, has_note = 0, owned = 0;
    uint64_t size = 0, nmods = 0, ncaps = 0;
    kp_error e2;
    int rc = store_read_begin(st, &owned, err);
    if (rc) return rc;
    if ((rc = kp_log_size(st, &size, err))) goto fail;
    if (since > size) {
        rc = err_set(err, KP_E_LOG_RANGE, "--since %llu is past the log's %llu entries",
                     (unsigned long long)since, (unsigned long long)size);
        goto fail;
    }
    rc = kp_log_identity(st, origin, NULL, &e2);
    if (rc == KP_OK) has_origin = 1;
    else if (rc != KP_E_NOT_FOUND) goto fail_e2;
    rc = kp_log_head(st, note, &e2);
    if (rc == KP_OK) has_note = 1;
    else if (rc != KP_E_NOT_FOUND) goto fail_e2;
    if ((rc = check_order(st, err))) goto fail;
    if ((rc = put_modules(st, since, &body, &nmods, fn, ud, err))) goto fail;
    if ((rc = put_capsules(st, since, &body, &ncaps, err))) goto fail;

    cbor_enc e;
    cbor_enc_init(&e, &file);
    cbor_begin_map(&e);
    cbor_put_str(&e, "kapsule_snapshot");
    cbor_put_uint(&e, KP_SNAPSHOT_VERSION);
    cbor_put_str(&e, "origin");
    if (has_origin) cbor_put_str(&e, origin);
    else cbor_put_null(&e);
    cbor_put_str(&e, "checkpoint");
    if (has_note) cbor_put_str(&e, note);
    else cbor_put_null(&e);
    cbor_put_str(&e, "log_size");
    cbor_put_uint(&e, size);
    cbor_put_str(&e, "since");
    cbor_put_uint(&e, since);
    cbor_put_str(&e, "modules");
    cbor_put_uint(&e, nmods);
    cbor_put_str(&e, "capsules");
    cbor_put_uint(&e, ncaps);
    cbor_end(&e);
    if ((rc = cbor_enc_finish(&e, err))) goto fail;
    if ((rc = buf_append(&file, body.p, body.len))) {
        rc = err_set(err, rc, "the snapshot exceeds %u bytes", KP_SNAPSHOT_MAX_BYTES);
        goto fail;
    }
    uint8_t digest[CRY_SHA256_BYTES];
    cry_sha256(digest, file.p, file.len);
    cbor_enc_init(&e, &file);
    cbor_begin_map(&e);
    cbor_put_str(&e, "sha256");
    cbor_put_bytes(&e, digest, sizeof digest);
    cbor_end(&e);
    if ((rc = cbor_enc_finish(&e, err))) goto fail;
    store_read_end(st, owned);
    buf_free(&body);
    /* hand over exactly len bytes, so that the caller frees what it was told */
    uint8_t *p = mem_alloc(file.len);
    if (!p) {
        buf_free(&file);
        return err_set(err, KP_E_NOMEM, "out of memory");
    }
    memcpy(p, file.p, file.len);
    *out = p;
    *len = file.len;
    buf_free(&file);
    return KP_OK;
fail_e2:
    if (err) *err = e2;
fail:
    store_read_end(st, owned);
    buf_free(&body);
    buf_free(&file);
    return rc;
}

int kp_snapshot_since(kp_store *st, const char *note, size_t len, uint64_t *since,
                      kp_error *err)
{
    char origin[KP_LOG_ORIGIN_MAX + 1], vkey[KP_LOG_VKEY_MAX];
    kp_checkpoint cp;
    uint8_t root[KP_LOG_HASH_BYTES];
    uint64_t size;
    int rc = kp_log_identity(st, origin, vkey, err);
    if (rc == KP_E_NOT_FOUND)
        return err_set(err, rc, "the log has no checkpoint yet, so no note can be its own");
    if (rc) return rc;
    if ((rc = kp_checkpoint_verify(note, len, vkey, &cp, err))) return rc;
    if (strcmp(cp.origin, origin) != 0)
        return err_set(err, KP_E_LOG_CHECKPOINT, "the checkpoint is of '%s', this log is '%s'",
                       cp.origin, origin);
    if ((rc = kp_log_size(st, &size, err))) return rc;
    if (cp.tree_size > size)
        return err_set(err, KP_E_LOG_RANGE, "the checkpoint's size %llu is past the log's %llu",
                       (unsigned long long)cp.tree_size, (unsigned long long)size);
    if ((rc = kp_log_root(st, cp.tree_size, root, err))) return rc;
    if (memcmp(root, cp.root, sizeof root) != 0)
        return err_set(err, KP_E_LOG_CHECKPOINT,
                       "the checkpoint's root is not this log's root at size %llu",
                       (unsigned long long)cp.tree_size);
    *since = cp.tree_size;
    return KP_OK;
}

/* ---- the reader -------------------------------------------------------------------- */

/* A CBOR fault becomes the snapshot's own code (input that ends early is a
   truncated snapshot; anything else a malformed one), keeping the CBOR
   code's name and the offset in the message. */
static int snap_cbor_fail(kp_error *err, const kp_error *ce, const char *what)
{
    if (ce->code == KP_E_NOMEM) return err_set(err, KP_E_NOMEM, "out of memory");
    int code = ce->code == KP_E_TRUNCATED ? KP_E_SNAPSHOT_TRUNCATED : KP_E_SNAPSHOT_FORMAT;
    const char *name = kp_status_name(ce->code);
    int rc = err_set_at(err, code, ce->offset, "%s: %s: %s", what, name ? name : "?", ce->msg);
    if (err && ce->field[0]) snprintf(err->field, sizeof err->field, "%s", ce->field);
    return rc;
}

/* The next item of the sequence, from *pos, parsed strictly; *pos moves past it. */
static int next_item(const uint8_t *data, size_t len, size_t *pos, cbor_item *it,
                     const char *what, kp_error *err)
{
    if (*pos >= len)
        return err_set_at(err, KP_E_SNAPSHOT_TRUNCATED, (int64_t)*pos,
                          "the snapshot ends before the %s", what);
    const uint8_t *p = data + *pos, *end = data + len;
    const uint8_t *q = cbor_skip(p, end);
    /* not one item within the file: parse the rest to learn what is wrong */
    size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
    kp_error ce;
    kp_error_clear(&ce);
    if (cbor_parse_ex(p, n, *pos, SNAP_DEPTH, it, &ce)) return snap_cbor_fail(err, &ce, what);
    *pos += n;
    return KP_OK;
}

/* A map field of type t; a CBOR fault reported as a malformed snapshot. */
static int field(const cbor_item *map, const char *key, cbor_type t, cbor_item *val,
                 const char *what, kp_error *err)
{
    kp_error ce;
    kp_error_clear(&ce);
    if (cbor_field_text(map, key, t, val, &ce)) return snap_cbor_fail(err, &ce, what);
    return KP_OK;
}

static int read_header(kp_snapshot *s, size_t *pos, kp_error *err)
{
    cbor_item h, v;
    int rc = next_item(s->data, s->len, pos, &h, "header", err);
    if (rc) return rc;
    if (h.type != CBOR_MAP || !cbor_map_find_text(&h, "kapsule_snapshot", &v))
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)h.off,
                          "not a kapsule snapshot (no header map with \"kapsule_snapshot\")");
    if (v.type != CBOR_UINT || v.val != KP_SNAPSHOT_VERSION)
        return err_set_at(err, KP_E_SNAPSHOT_VERSION, (int64_t)v.off,
                          "snapshot version %s%llu; this kapsule reads version %d",
                          v.type == CBOR_UINT ? "" : "(not an integer) ",
                          (unsigned long long)(v.type == CBOR_UINT ? v.val : 0),
                          KP_SNAPSHOT_VERSION);
    s->info.version = v.val;
    if (h.val != SNAP_HEADER_KEYS)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)h.off,
                          "the header has %llu fields, version 1 has %d",
                          (unsigned long long)h.val, SNAP_HEADER_KEYS);
    uint64_t nmods, ncaps;
    cbor_item it;
    if ((rc = field(&h, "log_size", CBOR_UINT, &it, "header", err))) return rc;
    s->info.log_size = it.val;
    if ((rc = field(&h, "since", CBOR_UINT, &it, "header", err))) return rc;
    s->info.since = it.val;
    if (s->info.since > s->info.log_size)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)it.off,
                          "since (%llu) is past the log size (%llu)",
                          (unsigned long long)s->info.since,
                          (unsigned long long)s->info.log_size);
    if ((rc = field(&h, "modules", CBOR_UINT, &it, "header", err))) return rc;
    nmods = it.val;
    if ((rc = field(&h, "capsules", CBOR_UINT, &it, "header", err))) return rc;
    ncaps = it.val;
    if ((rc = field(&h, "origin", CBOR_ANY, &it, "header", err))) return rc;
    if (it.type == CBOR_TEXT) {
        if (it.len == 0 || it.len > KP_LOG_ORIGIN_MAX || memchr(it.ptr, 0, it.len))
            return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)it.off,
                              "the origin must be 1..%d bytes without NUL", KP_LOG_ORIGIN_MAX);
        if (!(s->origin = mem_strndup((const char *)it.ptr, it.len)))
            return err_set(err, KP_E_NOMEM, "out of memory");
        s->origin_len = it.len;
        s->info.origin = s->origin;
    } else if (it.type != CBOR_NULL) {
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)it.off,
                          "the origin must be text or null");
    }
    if ((rc = field(&h, "checkpoint", CBOR_ANY, &it, "header", err))) return rc;
    if (it.type == CBOR_TEXT) {
        if (it.len == 0 || it.len > KP_SNAPSHOT_NOTE_MAX)
            return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)it.off,
                              "the checkpoint must be 1..%u bytes", KP_SNAPSHOT_NOTE_MAX);
        s->info.checkpoint = (const char *)it.ptr;
        s->info.checkpoint_len = it.len;
    } else if (it.type != CBOR_NULL) {
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)it.off,
                          "the checkpoint must be text or null");
    }
    /* Bound the counts by the bytes that follow before allocating for them:
       a record takes at least SNAP_MODULE_MIN bytes (a module) or 1 (a
       capsule), and the trailer at least 1. */
    size_t left = s->len - *pos;
    if (nmods > left / SNAP_MODULE_MIN || ncaps > left ||
        nmods * SNAP_MODULE_MIN + ncaps > left)
        return err_set_at(err, KP_E_SNAPSHOT_TRUNCATED, (int64_t)*pos,
                          "the header announces %llu modules and %llu capsules; %zu bytes"
                          " cannot hold them",
                          (unsigned long long)nmods, (unsigned long long)ncaps, left);
    s->info.modules = (size_t)nmods;
    s->info.capsules = (size_t)ncaps;
    return KP_OK;
}

static int read_module(kp_snapshot *s, size_t i, size_t *pos, kp_error *err)
{
    cbor_item m, id, code, owner;
    int rc = next_item(s->data, s->len, pos, &m, "module record", err);
    if (rc) return rc;
    if (m.type != CBOR_MAP || m.val != 3)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)m.off,
                          "module record %zu must be a map of id, code and owner", i);
    if ((rc = field(&m, "id", CBOR_BYTES, &id, "module record", err))) return rc;
    if ((rc = field(&m, "code", CBOR_BYTES, &code, "module record", err))) return rc;
    if ((rc = field(&m, "owner", CBOR_ANY, &owner, "module record", err))) return rc;
    if (id.len != KP_ID_BYTES)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)id.off,
                          "module record %zu: the id must be %d bytes", i, KP_ID_BYTES);
    if (code.len == 0)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)code.off,
                          "module record %zu: empty code", i);
    kp_snapshot_module *r = &s->mods[i];
    memset(r, 0, sizeof *r);
    if (owner.type == CBOR_ARRAY) {
        cbor_iter itr;
        cbor_item alg, key;
        cbor_iter_init(&itr, &owner);
        if (owner.val != 2 || !cbor_iter_next(&itr, &alg) || !cbor_iter_next(&itr, &key) ||
            alg.type != CBOR_UINT || alg.val < KP_ALG_ED25519 || alg.val > KP_ALG_SECP256K1 ||
            key.type != CBOR_BYTES || key.len == 0 || key.len > KP_PK_MAX_BYTES)
            return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)owner.off,
                              "module record %zu: the owner must be [alg 1..3, key of 1..%d"
                              " bytes] or null",
                              i, KP_PK_MAX_BYTES);
        r->owner_alg = (kp_key_alg)alg.val;
        r->owner = key.ptr;
        r->owner_len = key.len;
    } else if (owner.type != CBOR_NULL) {
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)owner.off,
                          "module record %zu: the owner must be an array or null", i);
    }
    /* strictly increasing ids: one record per module, and one order per set */
    if (i > 0 && memcmp(s->mods[i - 1].id, id.ptr, KP_ID_BYTES) >= 0)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)id.off,
                          "module record %zu: modules must be in increasing id order, once each",
                          i);
    uint8_t want[KP_ID_BYTES];
    kp_module_id(code.ptr, code.len, want);
    if (memcmp(want, id.ptr, KP_ID_BYTES) != 0)
        return err_set_at(err, KP_E_SNAPSHOT_MODULE, (int64_t)code.off,
                          "module record %zu: its code does not hash to its id", i);
    r->id = id.ptr;
    r->code = code.ptr;
    r->len = code.len;
    return KP_OK;
}

static int read_capsule(kp_snapshot *s, size_t i, size_t *pos, kp_error *err)
{
    cbor_item c;
    int rc = next_item(s->data, s->len, pos, &c, "capsule record", err);
    if (rc) return rc;
    if (c.type != CBOR_BYTES || c.len == 0 || c.len > KP_CAPSULE_MAX_BYTES)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)c.off,
                          "capsule record %zu must be a byte string of 1..%u bytes", i,
                          KP_CAPSULE_MAX_BYTES);
    s->caps[i].off = (size_t)(c.ptr - s->data);
    s->caps[i].len = c.len;
    return KP_OK;
}

static int read_trailer(kp_snapshot *s, size_t *pos, kp_error *err)
{
    size_t start = *pos;
    cbor_item t, d;
    int rc = next_item(s->data, s->len, pos, &t, "trailer", err);
    if (rc) return rc;
    if (t.type != CBOR_MAP || t.val != 1)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)t.off,
                          "expected the trailer {\"sha256\": digest} after the last record");
    if ((rc = field(&t, "sha256", CBOR_BYTES, &d, "trailer", err))) return rc;
    if (d.len != CRY_SHA256_BYTES)
        return err_set_at(err, KP_E_SNAPSHOT_FORMAT, (int64_t)d.off,
                          "the trailer's sha256 must be %d bytes", CRY_SHA256_BYTES);
    uint8_t digest[CRY_SHA256_BYTES];
    cry_sha256(digest, s->data, start);
    if (memcmp(digest, d.ptr, sizeof digest) != 0)
        return err_set_at(err, KP_E_SNAPSHOT_DIGEST, (int64_t)d.off,
                          "the SHA-256 of bytes 0..%zu is not the trailer's", start);
    if (*pos != s->len)
        return err_set_at(err, KP_E_SNAPSHOT_TRAILING, (int64_t)*pos,
                          "%zu bytes after the trailer", s->len - *pos);
    return KP_OK;
}

void kp_snapshot_free(kp_snapshot *s)
{
    if (!s) return;
    if (s->data) mem_free(s->data, s->len);
    if (s->origin) mem_free(s->origin, s->origin_len + 1);
    if (s->mods) mem_free(s->mods, s->info.modules * sizeof *s->mods);
    if (s->caps) mem_free(s->caps, s->info.capsules * sizeof *s->caps);
    mem_free(s, sizeof *s);
}

int kp_snapshot_parse(const uint8_t *p, size_t len, kp_snapshot **out, kp_error *err)
{
    if (len > KP_SNAPSHOT_MAX_BYTES)
        return err_set(err, KP_E_LIMIT, "the snapshot is larger than %u bytes",
                       KP_SNAPSHOT_MAX_BYTES);
    if (len == 0)
        return err_set_at(err, KP_E_SNAPSHOT_TRUNCATED, 0, "the snapshot is empty");
    kp_snapshot *s = mem_calloc(1, sizeof *s);
    if (!s) return err_set(err, KP_E_NOMEM, "out of memory");
    int rc = KP_E_NOMEM;
    size_t pos = 0;
    if (!(s->data = mem_alloc(len))) goto nomem;
    memcpy(s->data, p, len);
    s->len = len;
    /* the header's counts stay 0 until they are bounded, so that a failed
       parse frees arrays of the size it allocated */
    if ((rc = read_header(s, &pos, err))) goto fail;
    size_t nm = s->info.modules, nc = s->info.capsules;
    s->info.modules = s->info.capsules = 0;
    if (nm && !(s->mods = mem_calloc(nm, sizeof *s->mods))) goto nomem;
    s->info.modules = nm;
    if (nc && !(s->caps = mem_calloc(nc, sizeof *s->caps))) goto nomem;
    s->info.capsules = nc;
    for (size_t i = 0; i < nm; i++)
        if ((rc = read_module(s, i, &pos, err))) goto fail;
    for (size_t i = 0; i < nc; i++)
        if ((rc = read_capsule(s, i, &pos, err))) goto fail;
    if ((rc = read_trailer(s, &pos, err))) goto fail;
    *out = s;
    return KP_OK;
nomem:
    rc = err_set(err, KP_E_NOMEM, "out of memory");
fail:
    kp_snapshot_free(s);
    return rc;
}

const kp_snapshot_info *kp_snapshot_header(const kp_snapshot *s)
{
    return &s->info;
}

int kp_snapshot_module_at(const kp_snapshot *s, size_t i, kp_snapshot_module *out)
{
    if (i >= s->info.modules) return 0;
    *out = s->mods[i];
    return 1;
}

const uint8_t *kp_snapshot_capsule_at(const kp_snapshot *s, size_t i, size_t *len)
{
    if (i >= s->info.capsules) return NULL;
    *len = s->caps[i].len;
    return s->data + s->caps[i].off;
}

/* ---- import ------------------------------------------------------------------------ */

int kp_snapshot_import(kp_ingest *in, const kp_snapshot *s, size_t batch, kp_ingest_fn fn,
                       void *ud, kp_snapshot_report *rep, kp_error *err)
{
    kp_snapshot_report r = {0, 0};
    if (batch == 0) batch = 100;
    /* a batch open already is the caller's to commit: refuse rather than
       commit it for them */
    int rc = kp_ingest_begin(in, err);
    if (rc) goto out;
    size_t in_batch = 0;
    for (size_t i = 0; rc == KP_OK && i < s->info.modules; i++) {
        const kp_snapshot_module *m = &s->mods[i];
        uint8_t id[KP_ID_BYTES];
        int added = 0;
        rc = kp_ingest_module_add(in, m->code, m->len, m->owner_alg, m->owner, m->owner_len, id,
                                  &added, fn, ud, err);
        if (rc == KP_OK && memcmp(id, m->id, KP_ID_BYTES) != 0)
            rc = err_set(err, KP_E_INTERNAL, "module record %zu registered under another id", i);
        if (rc == KP_OK && added) r.modules_added++;
        in_batch++;
    }
    for (size_t i = 0; rc == KP_OK && i < s->info.capsules; i++) {
        if (in_batch >= batch) {
            if ((rc = kp_ingest_commit(in, err))) break;
            if ((rc = kp_ingest_begin(in, err))) break;
            in_batch = 0;
        }
        rc = kp_ingest_capsule(in, s->data + s->caps[i].off, s->caps[i].len, fn, ud, err);
        if (rc == KP_OK) {
            r.capsules_fed++;
            in_batch++;
        }
    }
    if (rc == KP_OK) {
        if ((rc = kp_ingest_commit(in, err)) == KP_OK) rc = kp_ingest_checkpoint(in, NULL, err);
    } else {
        /* the failing unit is undone already; keep the whole capsules
           processed before it rather than roll them back with it */
        kp_error ce;
        (void)kp_ingest_commit(in, &ce); /* E_STORE_TX when no batch is open: fine */
        (void)kp_ingest_checkpoint(in, NULL, &ce);
    }
out:
    if (rep) *rep = r;
    return rc;
}
