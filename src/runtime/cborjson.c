/*
 * cborjson.c: kp_cbor_to_json (kapsule.h, "cbor"): a deterministic CBOR
 * item (a log entry, a result a module submitted) as JSON for people and
 * for jq. The input is parsed by the strict decoder first, so only
 * canonical CBOR is shown; the mapping is fixed: maps with text keys are
 * objects (other keys become their JSON text), byte strings are lowercase
 * hex, integers are numbers (those outside JSON's safe 2^53 range are
 * decimal strings, so no reader rounds them), a tag is {"tag": n,
 * "value": item}.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cbor/cbor.h"
#include "crypto/crypto.h"
#include "runtime/runtime.h"
#include "util/alloc.h"
#include "util/error.h"

#define SAFE_INT ((uint64_t)1 << 53)

static json_t *item_json(const cbor_item *it);

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char *h = mem_alloc(CRY_HEX_LEN(n));
    if (!h) return NULL;
    cry_hex(h, p, n);
    json_t *s = json_stringn(h, 2 * n);
    mem_free(h, CRY_HEX_LEN(n));
    return s;
}

static json_t *int_json(int neg, uint64_t v)
{
    char t[24];
    /* a negative integer is -1 - v */
    if (!neg && v <= SAFE_INT) return json_integer((json_int_t)v);
    if (neg && v < SAFE_INT) return json_integer(-1 - (json_int_t)v);
    if (!neg)
        snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    else if (v == UINT64_MAX)
        snprintf(t, sizeof t, "-18446744073709551616");
    else
        snprintf(t, sizeof t, "-%llu", (unsigned long long)v + 1);
    return json_string(t);
}

/* A map key as object key text: text as it is, anything else its JSON. */
static char *key_text(const cbor_item *k)
{
    if (k->type == CBOR_TEXT) {
        char *s = mem_alloc(k->len + 1);
        if (!s) return NULL;
        memcpy(s, k->ptr, k->len);
        s[k->len] = 0;
        return s;
    }
    json_t *j = item_json(k);
    char *d = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!d) return NULL;
    size_t n = strlen(d);
    char *s = mem_alloc(n + 1);
    if (s) memcpy(s, d, n + 1);
    free(d);
    return s;
}

static json_t *item_json(const cbor_item *it)
{
    cbor_iter c;
    cbor_item a, b;
    json_t *out = NULL;
    switch (it->type) {
    case CBOR_UINT: return int_json(0, it->val);
    case CBOR_NEGINT: return int_json(1, it->val);
    case CBOR_BYTES: return hex_json(it->ptr, it->len);
    case CBOR_TEXT: return json_stringn((const char *)it->ptr, it->len);
    case CBOR_FALSE: return json_false();
    case CBOR_TRUE: return json_true();
    case CBOR_NULL: return json_null();
    case CBOR_ARRAY:
        out = json_array();
        cbor_iter_init(&c, it);
        while (out && cbor_iter_next(&c, &a)) {
            json_t *v = item_json(&a);
            if (!v || json_array_append_new(out, v)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    case CBOR_MAP:
        out = json_object();
        cbor_iter_init(&c, it);
        while (out && cbor_iter_pair(&c, &a, &b)) {
            char *k = key_text(&a);
            json_t *v = k ? item_json(&b) : NULL;
            if (!v || json_object_set_new(out, k, v)) {
                mem_free(k, k ? strlen(k) + 1 : 0);
                json_decref(out);
                return NULL;
            }
            mem_free(k, strlen(k) + 1);
        }
        return out;
    case CBOR_TAG:
        cbor_iter_init(&c, it);
        if (!cbor_iter_next(&c, &a)) return NULL;
        out = json_pack("{s:o,s:o}", "tag", int_json(0, it->val), "value", item_json(&a));
        return out;
    default: return NULL;
    }
}

int kp_cbor_to_json(const uint8_t *p, size_t len, int pretty, char **json, kp_error *err)
{
    cbor_item root;
    int rc = cbor_parse(p ? p : (const uint8_t *)"", len, &root, err);
    if (rc) return rc;
    json_t *j = item_json(&root);
    char *d = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_SORT_KEYS | (pretty ? JSON_INDENT(2) : JSON_COMPACT))
                : NULL;
    json_decref(j);
    if (!d) return err_set(err, KP_E_NOMEM, "out of memory");
    /* handed out through kp_text_free, whose allocator is the library's */
    size_t n = strlen(d);
    char *t = mem_alloc(n + 1);
    if (t) memcpy(t, d, n + 1);
    free(d);
    if (!t) return err_set(err, KP_E_NOMEM, "out of memory");
    *json = t;
    return KP_OK;
}
