/*
 * parse.c: kp_capsule_parse, the strict reading of a capsule file: the
 * COSE_Sign1 envelope, then the payload's schema, field by field. No
 * cryptography but hashing (the id) and the age header's syntax. Every
 * error names the byte offset in the file and, in the payload, the field.
 */
#include <stdio.h>
#include <string.h>

#include "capsule/capsule.h"
#include "cbor/cbor.h"
#include "crypto/age.h"
#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/error.h"

/* A key or text from input, made safe to print in a message or a field
   name: at most dstsz - 1 bytes, anything but printable ASCII as '?'. */
static const char *printable(char *dst, size_t dstsz, const uint8_t *s, size_t n)
{
    size_t k = n < dstsz - 1 ? n : dstsz - 1;
    for (size_t i = 0; i < k; i++) dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    dst[k] = 0;
    return dst;
}

static int64_t at(const cbor_item *it)
{
    return (int64_t)it->off;
}

/* The field wanted as type t; E_CAPSULE_FIELD naming it otherwise. */
static int want(const cbor_item *it, cbor_type t, const char *field, kp_error *err)
{
    if (it->type == t) return KP_OK;
    return capsule_fail(err, KP_E_CAPSULE_FIELD, at(it), field, "%s: expected %s, found %s", field,
                        cbor_type_name(t), cbor_type_name(it->type));
}

/* A byte string of exactly n bytes (an id). */
static int want_id(const cbor_item *it, const char *field, kp_error *err)
{
    int rc = want(it, CBOR_BYTES, field, err);
    if (rc) return rc;
    if (it->len != KP_ID_BYTES)
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(it), field,
                            "%s: an id is %d bytes, found %zu", field, KP_ID_BYTES, it->len);
    return KP_OK;
}

/* Parses the content of a byte string item as CBOR, offsets kept counted
   from the start of the file. */
static int parse_inner(const cbor_item *bstr, int depth, cbor_item *root, kp_error *err)
{
    size_t base = bstr->off + (size_t)(bstr->ptr - bstr->raw);
    return cbor_parse_ex(bstr->ptr, bstr->len, base, depth, root, err);
}

/* ---- the envelope ---------------------------------------------------------- */

typedef struct envelope {
    cbor_item prot, unprot, payload, sig;
} envelope;

static int parse_envelope(kp_capsule *c, const kp_capsule_limits *lim, envelope *env,
                          kp_error *err)
{
    cbor_item root, arr, hdr, key, val;
    int rc = cbor_parse_ex(c->data, c->len, 0, lim->max_depth, &root, err);
    if (rc) return rc;
    if (root.type != CBOR_TAG || root.val != CAPSULE_COSE_TAG)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, 0, NULL,
                            "not a COSE_Sign1: expected tag 18, found %s%s",
                            root.type == CBOR_TAG ? "another tag" : "an untagged ",
                            root.type == CBOR_TAG ? "" : cbor_type_name(root.type));
    cbor_iter it;
    cbor_iter_init(&it, &root);
    cbor_iter_next(&it, &arr);
    if (arr.type != CBOR_ARRAY || arr.val != 4)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, at(&arr), NULL,
                            "COSE_Sign1 must be an array of 4 items "
                            "[protected, unprotected, payload, signature]");
    cbor_iter_init(&it, &arr);
    cbor_iter_next(&it, &env->prot);
    cbor_iter_next(&it, &env->unprot);
    cbor_iter_next(&it, &env->payload);
    cbor_iter_next(&it, &env->sig);

    /* protected: bstr .cbor {1: alg}, nothing else */
    if (env->prot.type != CBOR_BYTES)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, at(&env->prot), "protected",
                            "protected header must be a byte string, found %s",
                            cbor_type_name(env->prot.type));
    if (env->prot.len == 0)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, at(&env->prot), "protected",
                            "protected header is empty: it must hold the algorithm {1: alg}");
    if ((rc = parse_inner(&env->prot, lim->max_depth, &hdr, err))) return rc;
    if (hdr.type != CBOR_MAP || hdr.val != 1)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, at(&hdr), "protected",
                            "protected header must be the map {1: alg} alone");
    cbor_iter_init(&it, &hdr);
    cbor_iter_pair(&it, &key, &val);
    if (key.type != CBOR_UINT || key.val != CAPSULE_HDR_ALG)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, at(&key), "protected",
                            "protected header may hold only the algorithm (label 1)");
    if (val.type != CBOR_NEGINT && val.type != CBOR_UINT)
        return capsule_fail(err, KP_E_CAPSULE_ALG, at(&val), "alg",
                            "alg: expected an integer, found %s", cbor_type_name(val.type));
    int64_t cose;
    if (cbor_get_i64(&val, &cose, "alg", NULL) || !capsule_alg_ok(cose, &c->alg)) {
        char num[CBOR_INT_TEXT_BYTES];
        cbor_int_text(&val, num);
        return capsule_fail(err, KP_E_CAPSULE_ALG, at(&val), "alg",
                            "COSE algorithm %s is not supported (-19 or -8 Ed25519, "
                            "-7 ES256, -47 ES256K)",
                            num);
    }
    c->cose_alg = cose;

    /* unprotected: {} */
    if (env->unprot.type != CBOR_MAP || env->unprot.val != 0)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, at(&env->unprot), "unprotected",
                            "unprotected header must be the empty map");
    if (env->payload.type != CBOR_BYTES)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, at(&env->payload), "payload",
                            "payload must be a byte string, found %s",
                            cbor_type_name(env->payload.type));
    if (env->sig.type != CBOR_BYTES)
        return capsule_fail(err, KP_E_CAPSULE_FORMAT, at(&env->sig), "signature",
                            "signature must be a byte string, found %s",
                            cbor_type_name(env->sig.type));
    if (env->sig.len != CAPSULE_SIG_BYTES)
        return capsule_fail(err, KP_E_SIG_MALFORMED, at(&env->sig), "signature",
                            "signature is %zu bytes, not %d", env->sig.len, CAPSULE_SIG_BYTES);
    c->prot_off = env->prot.off;
    c->prot_len = env->prot.raw_len;
    c->payload_off = env->payload.off;
    c->payload_len = env->payload.raw_len;
    c->map_off = (size_t)(env->payload.ptr - c->data);
    c->map_len = env->payload.len;
    c->sig = env->sig.ptr;
    return KP_OK;
}

/* ---- payload fields ----------------------------------------------------------- */

static int field_type(kp_capsule *c, const cbor_item *v, kp_error *err)
{
    char show[80];
    int rc = want(v, CBOR_TEXT, "type", err);
    if (rc) return rc;
    if (!capsule_name_ok((const char *)v->ptr, v->len))
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(v), "type",
                            "type: '%s' is not a type name ([a-z][a-z0-9._-]{0,63})",
                            printable(show, sizeof show, v->ptr, v->len));
    memcpy(c->type, v->ptr, v->len);
    c->type[v->len] = 0;
    c->f.type = c->type;
    c->f.type_len = v->len;
    return KP_OK;
}

static int field_author(kp_capsule *c, const cbor_item *v, kp_error *err)
{
    cbor_item a, pk;
    int64_t cose;
    kp_key_alg alg;
    if (v->type != CBOR_ARRAY || v->val != 2)
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(v), "author",
                            "author: expected [alg, public key], found %s%s",
                            v->type == CBOR_ARRAY ? "an array of another length" : "a ",
                            v->type == CBOR_ARRAY ? "" : cbor_type_name(v->type));
    cbor_iter it;
    cbor_iter_init(&it, v);
    cbor_iter_next(&it, &a);
    cbor_iter_next(&it, &pk);
    if (a.type != CBOR_NEGINT && a.type != CBOR_UINT)
        return capsule_fail(err, KP_E_CAPSULE_ALG, at(&a), "author",
                            "author: key algorithm must be a COSE alg number, found %s",
                            cbor_type_name(a.type));
    if (cbor_get_i64(&a, &cose, NULL, NULL) || !capsule_alg_ok(cose, &alg)) {
        char num[CBOR_INT_TEXT_BYTES];
        cbor_int_text(&a, num);
        return capsule_fail(err, KP_E_CAPSULE_ALG, at(&a), "author",
                            "author: key algorithm %s is not a supported COSE alg", num);
    }
    if (cose != c->cose_alg)
        return capsule_fail(err, KP_E_CAPSULE_ALG, at(&a), "author",
                            "author: key algorithm %lld is not the envelope's %lld",
                            (long long)cose, (long long)c->cose_alg);
    int rc = want(&pk, CBOR_BYTES, "author", err);
    if (rc) return rc;
    size_t n = cry_alg_pk_bytes(alg);
    if (pk.len != n)
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&pk), "author",
                            "author: a %s key is %zu bytes%s, found %zu", kp_key_alg_name(alg), n,
                            alg == KP_ALG_ED25519 ? "" : " (compressed SEC1)", pk.len);
    /* Curve membership is checked by the signature check (kp_capsule_verify);
       the form is checked here. */
    if (alg != KP_ALG_ED25519 && pk.ptr[0] != 0x02 && pk.ptr[0] != 0x03)
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&pk), "author",
                            "author: a compressed SEC1 key starts with 02 or 03, not %02x",
                            pk.ptr[0]);
    c->f.author_alg = cose;
    c->f.author = pk.ptr;
    c->f.author_len = pk.len;
    return KP_OK;
}

static int field_parents(kp_capsule *c, const cbor_item *v, const kp_capsule_limits *lim,
                         kp_error *err)
{
    char name[32];
    int rc = want(v, CBOR_ARRAY, "parents", err);
    if (rc) return rc;
    if (v->val > lim->max_parents)
        return capsule_fail(err, KP_E_CAPSULE_LIMIT, at(v), "parents",
                            "parents: %llu ids, at most %zu", (unsigned long long)v->val,
                            lim->max_parents);
    cbor_iter it;
    cbor_item p, prev = {0};
    cbor_iter_init(&it, v);
    for (size_t i = 0; cbor_iter_next(&it, &p); i++) {
        snprintf(name, sizeof name, "parents[%zu]", i);
        if ((rc = want_id(&p, name, err))) return rc;
        if (i == 0) c->f.parents = p.ptr;
        if (i > 0 && memcmp(prev.ptr, p.ptr, KP_ID_BYTES) >= 0)
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&p), name,
                                "%s: parents must be sorted bytewise with no repeats", name);
        prev = p;
    }
    c->f.parent_count = (size_t)v->val;
    c->f.parent_stride = CAPSULE_ID_ITEM_BYTES;
    return KP_OK;
}

static int field_flags(kp_capsule *c, const cbor_item *v, const kp_capsule_limits *lim,
                       kp_error *err)
{
    char name[64], show[40];
    int rc = want(v, CBOR_MAP, "flags", err);
    if (rc) return rc;
    if (v->val > lim->max_flags)
        return capsule_fail(err, KP_E_CAPSULE_LIMIT, at(v), "flags", "flags: %llu entries, at most %zu",
                            (unsigned long long)v->val, lim->max_flags);
    if (v->val && !(c->flags = mem_calloc((size_t)v->val, sizeof *c->flags)))
        return err_set(err, KP_E_NOMEM, "out of memory for flags");
    c->flag_alloc = (size_t)v->val;
    cbor_iter it;
    cbor_item k, val;
    cbor_iter_init(&it, v);
    for (size_t i = 0; cbor_iter_pair(&it, &k, &val); i++) {
        snprintf(name, sizeof name, "flags[%zu]", i);
        if ((rc = want(&k, CBOR_TEXT, name, err))) return rc;
        if (!capsule_flag_key_ok((const char *)k.ptr, k.len))
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&k), name,
                                "%s: key '%s' is not [a-z0-9._-]{1,32}", name,
                                printable(show, sizeof show, k.ptr, k.len));
        snprintf(name, sizeof name, "flags.%.*s", (int)k.len, (const char *)k.ptr);
        if ((rc = want(&val, CBOR_TEXT, name, err))) return rc;
        if (val.len > KP_CAPSULE_FLAG_VALUE_MAX)
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&val), name,
                                "%s: value of %zu bytes, at most %d", name, val.len,
                                KP_CAPSULE_FLAG_VALUE_MAX);
        c->flags[i] = (kp_capsule_flag){(const char *)k.ptr, k.len, (const char *)val.ptr, val.len};
    }
    c->f.flags = c->flags;
    c->f.flag_count = (size_t)v->val;
    return KP_OK;
}

static int cap_entry(const cbor_item *m, size_t i, kp_capsule_cap *cap, kp_error *err)
{
    char name[48], show[40];
    int rc, have_module = 0, have_kind = 0, have_amount = 0;
    snprintf(name, sizeof name, "caps[%zu]", i);
    if ((rc = want(m, CBOR_MAP, name, err))) return rc;
    memset(cap, 0, sizeof *cap);
    cbor_iter it;
    cbor_item k, v;
    cbor_iter_init(&it, m);
    while (cbor_iter_pair(&it, &k, &v)) {
        if (k.type != CBOR_TEXT)
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&k), name,
                                "%s: keys are text, found %s", name, cbor_type_name(k.type));
        snprintf(name, sizeof name, "caps[%zu].%s", i, printable(show, 24, k.ptr, k.len));
        if (cbor_text_eq(&k, "module")) {
            if ((rc = want_id(&v, name, err))) return rc;
            cap->module = v.ptr;
            have_module = 1;
        } else if (cbor_text_eq(&k, "kind")) {
            if ((rc = want(&v, CBOR_TEXT, name, err))) return rc;
            if (!capsule_name_ok((const char *)v.ptr, v.len))
                return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&v), name,
                                    "%s: '%s' is not a kind ([a-z][a-z0-9._-]{0,63})", name,
                                    printable(show, sizeof show, v.ptr, v.len));
            cap->kind = (const char *)v.ptr;
            cap->kind_len = v.len;
            have_kind = 1;
        } else if (cbor_text_eq(&k, "amount")) {
            if ((rc = want(&v, CBOR_UINT, name, err))) return rc;
            cap->amount = v.val;
            have_amount = 1;
        } else if (cbor_text_eq(&k, "resource")) {
            if ((rc = want(&v, CBOR_BYTES, name, err))) return rc;
            if (v.len == 0 || v.len > KP_CAPSULE_CAP_RESOURCE_MAX)
                return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&v), name,
                                    "%s: 1..%d bytes (omit it when there is none), found %zu",
                                    name, KP_CAPSULE_CAP_RESOURCE_MAX, v.len);
            cap->resource = v.ptr;
            cap->resource_len = v.len;
        } else {
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&k), name, "%s: unknown key", name);
        }
        snprintf(name, sizeof name, "caps[%zu]", i);
    }
    const char *missing = !have_module ? "module" : !have_kind ? "kind" : !have_amount ? "amount" : NULL;
    if (missing) {
        snprintf(name, sizeof name, "caps[%zu].%s", i, missing);
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(m), name, "%s: missing", name);
    }
    return KP_OK;
}

static int field_caps(kp_capsule *c, const cbor_item *v, const kp_capsule_limits *lim,
                      kp_error *err)
{
    int rc = want(v, CBOR_ARRAY, "caps", err);
    if (rc) return rc;
    /* One encoding per meaning: no caps is no "caps" key, not []. */
    if (v->val == 0)
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(v), "caps",
                            "caps: empty array (omit the key instead)");
    if (v->val > lim->max_caps)
        return capsule_fail(err, KP_E_CAPSULE_LIMIT, at(v), "caps", "caps: %llu requests, at most %zu",
                            (unsigned long long)v->val, lim->max_caps);
    if (!(c->caps = mem_calloc((size_t)v->val, sizeof *c->caps)))
        return err_set(err, KP_E_NOMEM, "out of memory for caps");
    c->cap_alloc = (size_t)v->val;
    cbor_iter it;
    cbor_item m;
    cbor_iter_init(&it, v);
    for (size_t i = 0; cbor_iter_next(&it, &m); i++) {
        if ((rc = cap_entry(&m, i, &c->caps[i], err))) return rc;
        if (i > 0 && capsule_cap_cmp(&c->caps[i - 1], &c->caps[i]) >= 0) {
            char name[32];
            snprintf(name, sizeof name, "caps[%zu]", i);
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&m), name,
                                "%s: caps must be sorted by module, kind, resource, with no "
                                "repeats",
                                name);
        }
    }
    c->f.caps = c->caps;
    c->f.cap_count = (size_t)v->val;
    return KP_OK;
}

/* The body of an "enc": "age" capsule must be a binary age v1 file whose
   header parses; its stanzas are counted for relays and inspect. */
static int check_age_body(kp_capsule *c, const cbor_item *body, kp_error *err)
{
    cry_age_info info;
    if (cry_age_is_armored(body->ptr, body->len))
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(body), "body",
                            "body: an armored age file; a capsule holds the binary form");
    int rc = cry_age_inspect(body->ptr, body->len, &info, err);
    if (rc) {
        int64_t off = err && err->offset >= 0
                          ? err->offset + (int64_t)(body->ptr - c->data)
                          : (int64_t)body->off;
        if (err) {
            err->offset = off;
            snprintf(err->field, sizeof err->field, "body");
            err_prefix(err, "body (age file)");
        }
        return rc;
    }
    c->recipients = info.stanzas;
    return KP_OK;
}

/* The payload keys, in the canonical order they appear in. */
enum { F_V, F_ENC, F_BODY, F_CAPS, F_TYPE, F_FLAGS, F_LOGIC, F_AUTHOR, F_CREATED, F_PARENTS, F_N };
static const char *const field_names[F_N] = {"v",     "enc",   "body",   "caps",    "type",
                                             "flags", "logic", "author", "created", "parents"};

static int parse_payload(kp_capsule *c, const envelope *env, const kp_capsule_limits *lim,
                         kp_error *err)
{
    cbor_item map, k, v, body = {0};
    char show[40];
    int rc = parse_inner(&env->payload, lim->max_depth, &map, err);
    if (rc) return rc;
    if (map.type != CBOR_MAP)
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&map), "payload",
                            "payload: expected a map, found %s", cbor_type_name(map.type));
    /* The version first: a later version may have other fields. */
    if (!cbor_map_find_text(&map, "v", &v))
        return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&map), "v", "v: missing (format version)");
    if (v.type != CBOR_UINT)
        return capsule_fail(err, KP_E_CAPSULE_VERSION, at(&v), "v",
                            "v: expected the format version 1, found %s", cbor_type_name(v.type));
    if (v.val != CAPSULE_VERSION)
        return capsule_fail(err, KP_E_CAPSULE_VERSION, at(&v), "v",
                            "v: format version %llu is not supported (1)", (unsigned long long)v.val);
    unsigned seen = 0;
    cbor_iter it;
    cbor_iter_init(&it, &map);
    while (cbor_iter_pair(&it, &k, &v)) {
        int f = F_N;
        if (k.type == CBOR_TEXT)
            for (f = 0; f < F_N && !cbor_text_eq(&k, field_names[f]); f++) {}
        if (f == F_N && k.type != CBOR_TEXT)
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&k), "payload",
                                "payload: keys are text, found %s", cbor_type_name(k.type));
        if (f == F_N)
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&k),
                                printable(show, sizeof show, k.ptr, k.len),
                                "%s: unknown payload key", show);
        seen |= 1u << f;
        switch (f) {
        case F_V: break;
        case F_ENC:
            if (!cbor_text_eq(&v, "age"))
                return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&v), "enc",
                                    "enc: only \"age\" is defined");
            c->f.encrypted = 1;
            break;
        case F_BODY:
            if ((rc = want(&v, CBOR_BYTES, "body", err))) return rc;
            if (v.len > lim->max_body)
                return capsule_fail(err, KP_E_CAPSULE_LIMIT, at(&v), "body",
                                    "body: %zu bytes, at most %zu", v.len, lim->max_body);
            c->f.body = v.ptr;
            c->f.body_len = v.len;
            body = v;
            break;
        case F_CAPS: rc = field_caps(c, &v, lim, err); break;
        case F_TYPE: rc = field_type(c, &v, err); break;
        case F_FLAGS: rc = field_flags(c, &v, lim, err); break;
        case F_LOGIC:
            if ((rc = want_id(&v, "logic", err))) return rc;
            c->f.logic = v.ptr;
            break;
        case F_AUTHOR: rc = field_author(c, &v, err); break;
        case F_CREATED:
            rc = want(&v, CBOR_UINT, "created", err);
            c->f.created = v.val;
            break;
        case F_PARENTS: rc = field_parents(c, &v, lim, err); break;
        }
        if (rc) return rc;
    }
    static const int required[] = {F_TYPE, F_AUTHOR, F_PARENTS, F_FLAGS, F_CREATED, F_BODY};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!(seen & (1u << required[i])))
            return capsule_fail(err, KP_E_CAPSULE_FIELD, at(&map), field_names[required[i]],
                                "%s: missing", field_names[required[i]]);
    if (c->f.encrypted && (rc = check_age_body(c, &body, err))) return rc;
    return KP_OK;
}

int capsule_parse_take(uint8_t *data, size_t len, size_t cap, const kp_capsule_limits *lim,
                       kp_capsule **out, kp_error *err)
{
    kp_capsule_limits l;
    envelope env;
    kp_capsule *c = NULL;
    int rc;
    if ((rc = capsule_limits(lim, &l, err))) goto fail;
    if (len > l.max_bytes) {
        rc = capsule_fail(err, KP_E_CAPSULE_LIMIT, (int64_t)l.max_bytes, NULL,
                          "capsule of %zu bytes, at most %zu", len, l.max_bytes);
        goto fail;
    }
    if (len == 0) {
        rc = err_set_at(err, KP_E_TRUNCATED, 0, "empty capsule file");
        goto fail;
    }
    if (!(c = mem_calloc(1, sizeof *c))) {
        rc = err_set(err, KP_E_NOMEM, "out of memory for a capsule");
        goto fail;
    }
    c->data = data;
    c->len = len;
    c->data_cap = cap;
    data = NULL;
    if ((rc = parse_envelope(c, &l, &env, err))) goto fail;
    if ((rc = parse_payload(c, &env, &l, err))) goto fail;
    capsule_id(c->data + c->map_off, c->map_len, c->id);
    *out = c;
    return KP_OK;
fail:
    mem_free(data, cap);
    kp_capsule_free(c);
    return rc;
}

int kp_capsule_parse(const uint8_t *data, size_t len, const kp_capsule_limits *lim,
                     kp_capsule **out, kp_error *err)
{
    kp_capsule_limits l;
    int rc;
    if ((!data && len) || !out) return err_set(err, KP_E_ARG, "kp_capsule_parse: no input");
    /* The size limit before the copy. */
    if ((rc = capsule_limits(lim, &l, err))) return rc;
    if (len > l.max_bytes)
        return capsule_fail(err, KP_E_CAPSULE_LIMIT, (int64_t)l.max_bytes, NULL,
                            "capsule of %zu bytes, at most %zu", len, l.max_bytes);
    uint8_t *copy = len ? mem_alloc(len) : NULL;
    if (len && !copy)
        return err_set(err, KP_E_NOMEM, "out of memory for a capsule of %zu bytes", len);
    if (len) memcpy(copy, data, len);
    return capsule_parse_take(copy, len, len, &l, out, err);
}

void kp_capsule_free(kp_capsule *c)
{
    if (!c) return;
    mem_free(c->data, c->data_cap);
    mem_free(c->flags, c->flag_alloc * sizeof *c->flags);
    mem_free(c->caps, c->cap_alloc * sizeof *c->caps);
    mem_free(c, sizeof *c);
}
