/*
 * cbor_tool.c: the CBOR encoder and decoder on the command line, for the
 * interop test with python3-cbor2 (tests/cli/cbor_interop.sh). Values are
 * written as "typed JSON", one document per line:
 *
 *   null, true, false, integers (int64), strings     as themselves
 *   {"uint": "decimal"}, {"nint": "n"}               0..2^64-1, and -1-n
 *   {"bytes": "hex"}                                 a byte string
 *   {"tag": N, "value": v}                           a tag (N may be a string)
 *   {"map": [[k, v], ...]}                           a map, entries in any order
 *   [ ... ]                                          an array
 *
 *   cbor_tool encode    typed JSON lines in, hex lines out ("ERR E_CODE" if
 *                       the encoder refuses)
 *   cbor_tool decode    hex lines in, typed JSON lines out, map entries in
 *                       their encoded order ("ERR E_CODE OFFSET" if rejected)
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor.h"
#include "util/buf.h"

static int put_json(cbor_enc *e, json_t *j);

static int parse_u64(json_t *j, uint64_t *v)
{
    if (json_is_integer(j) && json_integer_value(j) >= 0) {
        *v = (uint64_t)json_integer_value(j);
        return 0;
    }
    if (!json_is_string(j)) return -1;
    char *end;
    *v = strtoull(json_string_value(j), &end, 10);
    return *end ? -1 : 0;
}

static int put_hex(cbor_enc *e, const char *h)
{
    size_t n = strlen(h) / 2;
    uint8_t *p = malloc(n ? n : 1);
    if (!p) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(p);
            return -1;
        }
        p[i] = (uint8_t)v;
    }
    cbor_put_bytes(e, p, n);
    free(p);
    return 0;
}

static int put_object(cbor_enc *e, json_t *j)
{
    json_t *v;
    uint64_t u;
    if ((v = json_object_get(j, "bytes"))) return json_is_string(v) ? put_hex(e, json_string_value(v)) : -1;
    if ((v = json_object_get(j, "uint"))) {
        if (parse_u64(v, &u)) return -1;
        cbor_put_uint(e, u);
        return 0;
    }
    if ((v = json_object_get(j, "nint"))) {
        if (parse_u64(v, &u)) return -1;
        cbor_put_neg(e, u);
        return 0;
    }
    if ((v = json_object_get(j, "tag"))) {
        if (parse_u64(v, &u)) return -1;
        cbor_put_tag(e, u);
        return put_json(e, json_object_get(j, "value"));
    }
    if ((v = json_object_get(j, "map")) && json_is_array(v)) {
        size_t i;
        json_t *pair;
        cbor_begin_map(e);
        json_array_foreach(v, i, pair)
        {
            if (!json_is_array(pair) || json_array_size(pair) != 2) return -1;
            if (put_json(e, json_array_get(pair, 0)) || put_json(e, json_array_get(pair, 1)))
                return -1;
        }
        cbor_end(e);
        return 0;
    }
    return -1;
}

static int put_json(cbor_enc *e, json_t *j)
{
    size_t i;
    json_t *x;
    if (!j) return -1;
    switch (json_typeof(j)) {
    case JSON_NULL: cbor_put_null(e); return 0;
    case JSON_TRUE: cbor_put_bool(e, 1); return 0;
    case JSON_FALSE: cbor_put_bool(e, 0); return 0;
    case JSON_INTEGER: cbor_put_int(e, (int64_t)json_integer_value(j)); return 0;
    case JSON_STRING: cbor_put_text(e, json_string_value(j), json_string_length(j)); return 0;
    case JSON_ARRAY:
        cbor_begin_array(e);
        json_array_foreach(j, i, x) if (put_json(e, x)) return -1;
        cbor_end(e);
        return 0;
    case JSON_OBJECT: return put_object(e, j);
    default: return -1; /* no floats */
    }
}

static json_t *u64_json(const char *kind, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRIu64, v);
    return json_pack("{ss}", kind, s);
}

static json_t *item_json(const cbor_item *it)
{
    cbor_iter i;
    cbor_item a, b;
    json_t *out;
    switch (it->type) {
    case CBOR_UINT:
        return it->val <= INT64_MAX ? json_integer((json_int_t)it->val) : u64_json("uint", it->val);
    case CBOR_NEGINT:
        return it->val <= INT64_MAX ? json_integer(-1 - (json_int_t)it->val)
                                    : u64_json("nint", it->val);
    case CBOR_BYTES: {
        char *h = malloc(2 * it->len + 1);
        for (size_t k = 0; k < it->len; k++) snprintf(h + 2 * k, 3, "%02x", it->ptr[k]);
        h[2 * it->len] = 0;
        out = json_pack("{ss}", "bytes", h);
        free(h);
        return out;
    }
    case CBOR_TEXT: return json_stringn((const char *)it->ptr, it->len);
    case CBOR_FALSE: return json_false();
    case CBOR_TRUE: return json_true();
    case CBOR_NULL: return json_null();
    case CBOR_TAG:
        cbor_iter_init(&i, it);
        if (!cbor_iter_next(&i, &a)) return NULL;
        out = json_object();
        if (it->val <= INT64_MAX)
            json_object_set_new(out, "tag", json_integer((json_int_t)it->val));
        else {
            char num[24];
            snprintf(num, sizeof num, "%" PRIu64, it->val);
            json_object_set_new(out, "tag", json_string(num));
        }
        json_object_set_new(out, "value", item_json(&a));
        return out;
    case CBOR_ARRAY:
        out = json_array();
        cbor_iter_init(&i, it);
        while (cbor_iter_next(&i, &a)) json_array_append_new(out, item_json(&a));
        return out;
    case CBOR_MAP:
        out = json_array();
        cbor_iter_init(&i, it);
        while (cbor_iter_pair(&i, &a, &b))
            json_array_append_new(out, json_pack("[oo]", item_json(&a), item_json(&b)));
        return json_pack("{so}", "map", out);
    default: return NULL;
    }
}

static int encode_line(const char *line, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j) {
        printf("ERR E_JSON\n");
        return 1;
    }
    buf b = {0};
    cbor_enc e;
    kp_error err;
    cbor_enc_init(&e, &b);
    int bad = put_json(&e, j);
    int rc = cbor_enc_finish(&e, &err);
    if (bad)
        printf("ERR E_USAGE\n");
    else if (rc)
        printf("ERR %s\n", kp_status_name(rc));
    else {
        for (size_t i = 0; i < b.len; i++) printf("%02x", b.p[i]);
        printf("\n");
    }
    buf_free(&b);
    json_decref(j);
    return bad || rc;
}

static int decode_line(const char *line, size_t len)
{
    uint8_t *p = malloc(len / 2 + 1);
    size_t n = 0;
    for (; n < len / 2; n++) {
        unsigned v;
        if (sscanf(line + 2 * n, "%2x", &v) != 1) break;
        p[n] = (uint8_t)v;
    }
    cbor_item root;
    kp_error err;
    int rc = cbor_parse(p, n, &root, &err);
    if (rc) {
        printf("ERR %s %lld\n", kp_status_name(rc), (long long)err.offset);
    } else {
        json_t *j = item_json(&root);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        printf("%s\n", s ? s : "ERR E_INTERNAL");
        free(s);
        json_decref(j);
    }
    free(p);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "encode") && strcmp(argv[1], "decode"))) {
        fprintf(stderr, "usage: cbor_tool encode|decode < lines\n");
        return 2;
    }
    int enc = strcmp(argv[1], "encode") == 0, fails = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        fails += enc ? encode_line(line, (size_t)len) : decode_line(line, (size_t)len);
        fflush(stdout);
    }
    free(line);
    return fails ? 1 : 0;
}
