/*
 * pack.c: building a capsule. The caller's fields are checked with the
 * rules parse.c applies (rules.c), parents and caps are sorted, the body is
 * encrypted to age recipients when asked, the payload is encoded
 * (capsule_encode_payload, the one encoder of the payload), signed over the
 * COSE Sig_structure, wrapped in the COSE_Sign1 envelope, and finally
 * parsed back, so that pack cannot write what parse would refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsule/capsule.h"
#include "cbor/cbor.h"
#include "crypto/age.h"
#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/error.h"

/* The keys are written in their canonical order (shorter first, then
   bytewise), so that closing the maps finds them sorted and moves no bytes:
   the body may be megabytes. */
int capsule_encode_payload(const capsule_fields *f, buf *out, kp_error *err)
{
    cbor_enc e;
    cbor_enc_init(&e, out);
    cbor_begin_map(&e);
    cbor_put_str(&e, "v");
    cbor_put_uint(&e, CAPSULE_VERSION);
    if (f->encrypted) {
        cbor_put_str(&e, "enc");
        cbor_put_str(&e, "age");
    }
    cbor_put_str(&e, "body");
    cbor_put_bytes(&e, f->body, f->body_len);
    if (f->cap_count) {
        cbor_put_str(&e, "caps");
        cbor_begin_array(&e);
        for (size_t i = 0; i < f->cap_count; i++) {
            const kp_capsule_cap *c = &f->caps[i];
            cbor_begin_map(&e);
            cbor_put_str(&e, "kind");
            cbor_put_text(&e, c->kind, c->kind_len);
            cbor_put_str(&e, "amount");
            cbor_put_uint(&e, c->amount);
            cbor_put_str(&e, "module");
            cbor_put_bytes(&e, c->module, KP_ID_BYTES);
            if (c->resource) {
                cbor_put_str(&e, "resource");
                cbor_put_bytes(&e, c->resource, c->resource_len);
            }
            cbor_end(&e);
        }
        cbor_end(&e);
    }
    cbor_put_str(&e, "type");
    cbor_put_text(&e, f->type, f->type_len);
    cbor_put_str(&e, "flags");
    cbor_begin_map(&e);
    for (size_t i = 0; i < f->flag_count; i++) {
        cbor_put_text(&e, f->flags[i].key, f->flags[i].key_len);
        cbor_put_text(&e, f->flags[i].value, f->flags[i].value_len);
    }
    cbor_end(&e);
    if (f->logic) {
        cbor_put_str(&e, "logic");
        cbor_put_bytes(&e, f->logic, KP_ID_BYTES);
    }
    cbor_put_str(&e, "author");
    cbor_begin_array(&e);
    cbor_put_int(&e, f->author_alg);
    cbor_put_bytes(&e, f->author, f->author_len);
    cbor_end(&e);
    cbor_put_str(&e, "created");
    cbor_put_uint(&e, f->created);
    cbor_put_str(&e, "parents");
    cbor_begin_array(&e);
    for (size_t i = 0; i < f->parent_count; i++)
        cbor_put_bytes(&e, f->parents + i * f->parent_stride, KP_ID_BYTES);
    cbor_end(&e);
    cbor_end(&e);
    return cbor_enc_finish(&e, err);
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, KP_ID_BYTES);
}

static int cmp_cap(const void *a, const void *b)
{
    return capsule_cap_cmp(a, b);
}

/* Checks and sorts the caller's parents into *out (count ids). */
static int take_parents(const kp_capsule_pack_opts *o, const kp_capsule_limits *lim,
                        uint8_t (**out)[KP_ID_BYTES], kp_error *err)
{
    char hex[KP_ID_HEX_BYTES];
    if (o->parent_count > lim->max_parents)
        return err_set_field(err, KP_E_CAPSULE_LIMIT, "parents", "parents: %zu ids, at most %zu",
                             o->parent_count, lim->max_parents);
    if (!o->parent_count) return KP_OK;
    if (!o->parents) return err_set_field(err, KP_E_ARG, "parents", "parents: NULL array");
    uint8_t(*p)[KP_ID_BYTES] = mem_calloc(o->parent_count, KP_ID_BYTES);
    if (!p) return err_set(err, KP_E_NOMEM, "out of memory for parents");
    memcpy(p, o->parents, o->parent_count * KP_ID_BYTES);
    qsort(p, o->parent_count, KP_ID_BYTES, cmp_id);
    for (size_t i = 1; i < o->parent_count; i++)
        if (memcmp(p[i - 1], p[i], KP_ID_BYTES) == 0) {
            kp_id_format(p[i], hex);
            mem_free(p, o->parent_count * KP_ID_BYTES);
            return err_set_field(err, KP_E_CAPSULE_FIELD, "parents",
                                 "parents: %s is given twice", hex);
        }
    *out = p;
    return KP_OK;
}

static int check_flags(const kp_capsule_pack_opts *o, const kp_capsule_limits *lim,
                       kp_error *err)
{
    if (o->flag_count > lim->max_flags)
        return err_set_field(err, KP_E_CAPSULE_LIMIT, "flags", "flags: %zu entries, at most %zu",
                             o->flag_count, lim->max_flags);
    if (o->flag_count && !o->flags) return err_set_field(err, KP_E_ARG, "flags", "flags: NULL array");
    for (size_t i = 0; i < o->flag_count; i++) {
        const kp_capsule_flag *fl = &o->flags[i];
        size_t bad;
        if (!fl->key || !capsule_flag_key_ok(fl->key, fl->key_len))
            return err_set_field(err, KP_E_CAPSULE_FIELD, "flags",
                                 "flags: key '%.*s' is not [a-z0-9._-]{1,32}",
                                 fl->key ? (int)(fl->key_len > 40 ? 40 : fl->key_len) : 0,
                                 fl->key ? fl->key : "");
        if ((!fl->value && fl->value_len) || fl->value_len > KP_CAPSULE_FLAG_VALUE_MAX ||
            !cbor_utf8_valid((const uint8_t *)fl->value, fl->value_len, &bad))
            return err_set_field(err, KP_E_CAPSULE_FIELD, "flags",
                                 "flags.%.*s: the value must be UTF-8 of at most %d bytes",
                                 (int)fl->key_len, fl->key, KP_CAPSULE_FLAG_VALUE_MAX);
        for (size_t j = 0; j < i; j++)
            if (o->flags[j].key_len == fl->key_len && memcmp(o->flags[j].key, fl->key, fl->key_len) == 0)
                return err_set_field(err, KP_E_CAPSULE_FIELD, "flags",
                                     "flags: key '%.*s' is given twice", (int)fl->key_len, fl->key);
    }
    return KP_OK;
}

/* Checks and sorts the caller's caps into *out. */
static int take_caps(const kp_capsule_pack_opts *o, const kp_capsule_limits *lim,
                     kp_capsule_cap **out, kp_error *err)
{
    if (o->cap_count > lim->max_caps)
        return err_set_field(err, KP_E_CAPSULE_LIMIT, "caps", "caps: %zu requests, at most %zu",
                             o->cap_count, lim->max_caps);
    if (!o->cap_count) return KP_OK;
    if (!o->caps) return err_set_field(err, KP_E_ARG, "caps", "caps: NULL array");
    for (size_t i = 0; i < o->cap_count; i++) {
        const kp_capsule_cap *c = &o->caps[i];
        if (!c->module)
            return err_set_field(err, KP_E_CAPSULE_FIELD, "caps", "caps[%zu]: no module id", i);
        if (!c->kind || !capsule_name_ok(c->kind, c->kind_len))
            return err_set_field(err, KP_E_CAPSULE_FIELD, "caps",
                                 "caps[%zu]: kind '%.*s' is not [a-z][a-z0-9._-]{0,63}", i,
                                 c->kind ? (int)(c->kind_len > 70 ? 70 : c->kind_len) : 0,
                                 c->kind ? c->kind : "");
        if (c->resource ? c->resource_len == 0 || c->resource_len > KP_CAPSULE_CAP_RESOURCE_MAX
                        : c->resource_len != 0)
            return err_set_field(err, KP_E_CAPSULE_FIELD, "caps",
                                 "caps[%zu]: a resource is 1..%d bytes, or NULL", i,
                                 KP_CAPSULE_CAP_RESOURCE_MAX);
    }
    kp_capsule_cap *c = mem_calloc(o->cap_count, sizeof *c);
    if (!c) return err_set(err, KP_E_NOMEM, "out of memory for caps");
    memcpy(c, o->caps, o->cap_count * sizeof *c);
    qsort(c, o->cap_count, sizeof *c, cmp_cap);
    for (size_t i = 1; i < o->cap_count; i++)
        if (capsule_cap_cmp(&c[i - 1], &c[i]) == 0) {
            mem_free(c, o->cap_count * sizeof *c);
            return err_set_field(err, KP_E_CAPSULE_FIELD, "caps",
                                 "caps: two requests for the same module, kind and resource");
        }
    *out = c;
    return KP_OK;
}

/* Encrypts the body to the age recipients of o into *enc. */
static int encrypt_body(const kp_capsule_pack_opts *o, buf *enc, kp_error *err)
{
    uint8_t(*r)[CRY_X25519_BYTES] = mem_calloc(o->to_count, CRY_X25519_BYTES);
    int rc = KP_OK;
    if (!r) return err_set(err, KP_E_NOMEM, "out of memory for recipients");
    if (o->to_count > CRY_AGE_STANZAS_MAX) {
        rc = err_set_field(err, KP_E_LIMIT, "to", "%zu recipients, at most %d", o->to_count,
                           CRY_AGE_STANZAS_MAX);
        goto fail;
    }
    for (size_t i = 0; i < o->to_count; i++) {
        const char *s = o->to[i];
        if (!s || (rc = cry_age_recipient_parse(s, strlen(s), r[i], err))) {
            rc = s ? rc : err_set(err, KP_E_AGE_KEY, "recipient %zu is NULL", i);
            err_prefix(err, "recipient %zu", i + 1);
            if (err) snprintf(err->field, sizeof err->field, "to");
            goto fail;
        }
    }
    rc = cry_age_encrypt((const uint8_t(*)[CRY_X25519_BYTES])r, o->to_count, o->body,
                         o->body_len, enc, err);
fail:
    mem_free(r, o->to_count * CRY_X25519_BYTES);
    return rc;
}

int kp_capsule_pack(const kp_capsule_pack_opts *o, const kp_capsule_limits *lim,
                    kp_capsule **out, kp_error *err)
{
    kp_capsule_limits l;
    capsule_fields f;
    uint8_t(*parents)[KP_ID_BYTES] = NULL;
    kp_capsule_cap *caps = NULL;
    buf enc = {0}, payload = {0}, litem = {0}, tbs = {0}, file = {0};
    uint8_t sig[KP_SIG_BYTES];
    kp_key_alg alg;
    int rc;

    if (!o || !out || !o->type || !o->author)
        return err_set(err, KP_E_ARG, "kp_capsule_pack: type and author are required");
    if ((!o->body && o->body_len) || (o->to_count && !o->to))
        return err_set(err, KP_E_ARG, "kp_capsule_pack: NULL body or recipients with a length");
    if (o->to_count && o->body_is_age)
        return err_set(err, KP_E_ARG, "a body already encrypted with age cannot be encrypted again");
    if ((rc = cry_init(err)) || (rc = capsule_limits(lim, &l, err))) return rc;
    memset(&f, 0, sizeof f);
    f.type = o->type;
    f.type_len = strlen(o->type);
    if (!capsule_name_ok(f.type, f.type_len))
        return err_set_field(err, KP_E_CAPSULE_FIELD, "type",
                             "type: '%.70s' is not a type name ([a-z][a-z0-9._-]{0,63})", o->type);
    alg = kp_key_get_alg(o->author);
    if (alg == KP_ALG_NONE)
        return err_set(err, KP_E_KEY_NO_SIGN, "key '%s' is receive-only and cannot sign",
                       kp_key_name(o->author));
    f.author_alg = o->cose_alg ? o->cose_alg : cry_alg_cose(alg);
    kp_key_alg want;
    if (!capsule_alg_ok(f.author_alg, &want) || want != alg)
        return err_set_field(err, KP_E_CAPSULE_ALG, "alg", "COSE alg %lld is not for a %s key",
                             (long long)f.author_alg, kp_key_alg_name(alg));
    f.author = kp_key_public(o->author, &f.author_len);
    if ((rc = check_flags(o, &l, err))) return rc;
    f.flags = o->flags;
    f.flag_count = o->flag_count;
    if ((rc = take_parents(o, &l, &parents, err))) goto done;
    f.parents = parents ? parents[0] : NULL;
    f.parent_count = o->parent_count;
    f.parent_stride = KP_ID_BYTES;
    if ((rc = take_caps(o, &l, &caps, err))) goto done;
    f.caps = caps;
    f.cap_count = o->cap_count;
    f.logic = o->logic;
    f.created = o->created;
    f.body = o->body;
    f.body_len = o->body_len;
    f.encrypted = o->body_is_age;
    if (o->to_count) {
        if ((rc = encrypt_body(o, &enc, err))) goto done;
        f.body = enc.p;
        f.body_len = enc.len;
        f.encrypted = 1;
    }
    if (f.body_len > l.max_body) {
        rc = err_set_field(err, KP_E_CAPSULE_LIMIT, "body", "body: %zu bytes, at most %zu",
                           f.body_len, l.max_body);
        goto done;
    }
    /* Room for the payload at once: the body may be megabytes, and growing
       by doubling would copy it again and again. */
    size_t room = f.body_len;
    if (!size_add(room, 1024 + f.parent_count * CAPSULE_ID_ITEM_BYTES +
                            f.flag_count * (KP_CAPSULE_FLAG_KEY_MAX + KP_CAPSULE_FLAG_VALUE_MAX + 8) +
                            f.cap_count * (2 * KP_ID_BYTES + KP_CAPSULE_CAP_RESOURCE_MAX + 64),
                  &room) ||
        buf_reserve(&payload, room)) {
        rc = err_set(err, KP_E_NOMEM, "out of memory for a payload of %zu bytes", f.body_len);
        goto done;
    }
    if ((rc = capsule_encode_payload(&f, &payload, err))) goto done;

    /* protected = bstr .cbor {1: alg}. It and the payload are signed as the
       byte-string items (head and content) that go into the envelope; both
       are written here from heads made by cbor_head, canonical as the
       encoder's. */
    uint8_t alg_item[9], prot_item[16], ph[9];
    size_t an = cbor_head(alg_item, f.author_alg < 0 ? 1 : 0,
                          f.author_alg < 0 ? (uint64_t)(-1 - f.author_alg) : (uint64_t)f.author_alg);
    size_t pn = 0;
    prot_item[pn++] = (uint8_t)(0x40 + 2 + an); /* bstr of the map's bytes */
    prot_item[pn++] = 0xa1;                     /* map(1) */
    prot_item[pn++] = CAPSULE_HDR_ALG;          /* key 1 */
    memcpy(prot_item + pn, alg_item, an);
    pn += an;
    size_t hn = cbor_head(ph, 2, payload.len);
    static const uint8_t sig_head[] = {0x58, 0x40};
    size_t file_len;
    if (!size_add(payload.len, 2 + pn + 1 + hn + sizeof sig_head + KP_SIG_BYTES, &file_len)) {
        rc = err_set(err, KP_E_LIMIT, "capsule too large");
        goto done;
    }
    if (file_len > l.max_bytes) {
        rc = err_set(err, KP_E_CAPSULE_LIMIT, "the capsule would be %zu bytes, at most %zu",
                     file_len, l.max_bytes);
        goto done;
    }
    if ((rc = buf_reserve(&litem, hn + payload.len)) || (rc = buf_append(&litem, ph, hn)) ||
        (rc = buf_append(&litem, payload.p, payload.len)) ||
        (rc = capsule_sig_structure(prot_item, pn, litem.p, litem.len, &tbs))) {
        rc = err_set(err, rc, "out of memory building a capsule");
        goto done;
    }
    buf_free(&payload);
    if ((rc = kp_key_sign(o->author, tbs.p, tbs.len, sig, err))) goto done;
    buf_free(&tbs);

    /* tag 18, array(4): protected, {}, payload, signature */
    static const uint8_t env_head[] = {0xd2, 0x84};
    static const uint8_t empty_map = 0xa0;
    if ((rc = buf_reserve(&file, file_len)) || (rc = buf_append(&file, env_head, 2)) ||
        (rc = buf_append(&file, prot_item, pn)) || (rc = buf_append(&file, &empty_map, 1)) ||
        (rc = buf_append(&file, litem.p, litem.len)) ||
        (rc = buf_append(&file, sig_head, sizeof sig_head)) ||
        (rc = buf_append(&file, sig, sizeof sig))) {
        rc = err_set(err, rc, "out of memory building a capsule");
        goto done;
    }
    buf_free(&litem);
    size_t len, cap;
    uint8_t *bytes = buf_detach(&file, &len, &cap);
    rc = capsule_parse_take(bytes, len, cap, &l, out, err);
done:
    mem_free(parents, o->parent_count * KP_ID_BYTES);
    if (caps) mem_free(caps, o->cap_count * sizeof *caps);
    buf_free(&enc);
    buf_free(&payload);
    buf_free(&litem);
    buf_free(&tbs);
    buf_free(&file);
    return rc;
}
