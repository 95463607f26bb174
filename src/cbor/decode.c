/*
 * decode.c: the strict CBOR decoder (see cbor.h). cbor_parse walks the
 * input once, iteratively with an explicit stack, and rejects the first
 * byte that breaks the profile. Everything else here (iterators, lookups,
 * schema helpers) reads bytes that cbor_parse has accepted; it still stays
 * within each item's bounds, so a hand-made cbor_item cannot make it read
 * outside them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cbor/cbor.h"
#include "util/error.h"

/* One head: major type, additional information, argument, head length. */
typedef struct head {
    int major;
    int ai;
    uint64_t val;
    size_t n;
} head;

/* Reads a head without judging its form; 0 if it runs past end or uses
   additional information 28..31. */
static int read_head(const uint8_t *p, const uint8_t *end, head *h)
{
    if (p >= end) return 0;
    h->major = p[0] >> 5;
    h->ai = p[0] & 31;
    if (h->ai < 24) {
        h->val = (uint64_t)h->ai;
        h->n = 1;
        return 1;
    }
    if (h->ai > 27) return 0;
    size_t k = (size_t)1 << (h->ai - 24);
    if ((size_t)(end - p) - 1 < k) return 0;
    uint64_t v = 0;
    for (size_t i = 1; i <= k; i++) v = (v << 8) | p[i];
    h->val = v;
    h->n = 1 + k;
    return 1;
}

/* ---- strict parsing --------------------------------------------------------- */

/* One open container (or tag) of cbor_parse. */
typedef struct frame {
    uint64_t left;       /* children still to come */
    int is_map;          /* children alternate key, value */
    int bignum;          /* a tag 2 or 3, whose child must be a minimal bignum */
    const uint8_t *key;  /* start of the current key */
    const uint8_t *prev; /* the previous key's encoding; NULL before the first */
    size_t prev_len;
} frame;

/* Strict head at p (p < end): the profile's rules that the first byte and
   the argument alone decide. off is p's offset for errors. */
static int strict_head(const uint8_t *p, const uint8_t *end, size_t off, head *h,
                       kp_error *err)
{
    int m = p[0] >> 5, ai = p[0] & 31;
    if (ai >= 28 && ai <= 30)
        return err_set_at(err, KP_E_CBOR_MALFORMED, (int64_t)off,
                          "reserved additional information %d in initial byte 0x%02x", ai,
                          p[0]);
    if (ai == 31) {
        if (m == 7)
            return err_set_at(err, KP_E_CBOR_MALFORMED, (int64_t)off,
                              "\"break\" outside an indefinite-length item");
        if (m >= 2 && m <= 5)
            return err_set_at(err, KP_E_CBOR_INDEFINITE, (int64_t)off,
                              "indefinite-length %s", cbor_type_name((cbor_type)m));
        return err_set_at(err, KP_E_CBOR_MALFORMED, (int64_t)off,
                          "additional information 31 with major type %d", m);
    }
    if (m == 7 && ai >= 25)
        return err_set_at(err, KP_E_CBOR_FLOAT, (int64_t)off,
                          "floating-point value (%d bytes)", 1 << (ai - 24));
    if (!read_head(p, end, h))
        return err_set_at(err, KP_E_TRUNCATED, (int64_t)off,
                          "input ends inside an item's head (needs %d bytes)",
                          1 + (1 << (ai - 24)));
    if (m == 7) {
        if (ai == 24 && h->val < 32)
            return err_set_at(err, KP_E_CBOR_MALFORMED, (int64_t)off,
                              "simple value %u encoded in two bytes", (unsigned)h->val);
        if (ai >= 24 || ai < 20 || ai > 22)
            return err_set_at(err, KP_E_CBOR_SIMPLE, (int64_t)off,
                              ai == 23 ? "simple value %u (undefined)" : "simple value %u",
                              (unsigned)h->val);
        return KP_OK;
    }
    /* Shortest form: each argument size only for values the smaller one
       cannot hold. */
    static const uint64_t floor_of[4] = {24, 0x100, 0x10000, 0x100000000};
    if (ai >= 24 && h->val < floor_of[ai - 24])
        return err_set_at(err, KP_E_CBOR_NONCANONICAL, (int64_t)off,
                          "%s argument %llu in %zu bytes, not the shortest form",
                          cbor_type_name((cbor_type)m), (unsigned long long)h->val, h->n);
    return KP_OK;
}

int cbor_key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static int read_item(const uint8_t *p, const uint8_t *end, size_t off, cbor_item *out);

int cbor_parse_ex(const uint8_t *p, size_t len, size_t base, int max_depth, cbor_item *root,
                  kp_error *err)
{
    if ((!p && len) || max_depth < 1 || max_depth > CBOR_MAX_DEPTH)
        return err_set(err, KP_E_ARG, "cbor_parse: bad input or depth limit %d", max_depth);
    if (len == 0) return err_set_at(err, KP_E_TRUNCATED, (int64_t)base, "empty CBOR input");
    const uint8_t *q = p, *end = p + len;
    frame st[CBOR_MAX_DEPTH];
    int depth = 0, rc;
    for (;;) {
        size_t off = base + (size_t)(q - p);
        frame *f = depth ? &st[depth - 1] : NULL;
        if (f && f->is_map) {
            if ((f->left & 1) == 0) {
                f->key = q;
            } else {
                /* The key just ended where its value starts. */
                size_t kn = (size_t)(q - f->key);
                if (f->prev) {
                    int c = cbor_key_cmp(f->prev, f->prev_len, f->key, kn);
                    size_t koff = base + (size_t)(f->key - p);
                    if (c == 0)
                        return err_set_at(err, KP_E_CBOR_DUPLICATE_KEY, (int64_t)koff,
                                          "map key repeated");
                    if (c > 0)
                        return err_set_at(err, KP_E_CBOR_UNSORTED_KEYS, (int64_t)koff,
                                          "map key sorts before the previous key");
                }
                f->prev = f->key;
                f->prev_len = kn;
            }
        }
        if (q >= end)
            return err_set_at(err, KP_E_TRUNCATED, (int64_t)off,
                              "input ends where an item was expected");
        if (depth + 1 > max_depth)
            return err_set_at(err, KP_E_CBOR_DEPTH, (int64_t)off,
                              "item nested deeper than %d", max_depth);
        head h;
        if ((rc = strict_head(q, end, off, &h, err))) return rc;
        if (f && f->bignum && h.major != 2)
            return err_set_at(err, KP_E_CBOR_TYPE, (int64_t)off,
                              "bignum tag holds a %s, not a byte string",
                              cbor_type_name((cbor_type)h.major));
        q += h.n;
        /* Every count is bounded by the bytes left before it is used. */
        size_t left = (size_t)(end - q);
        int pushed = 0;
        switch (h.major) {
        case 2:
        case 3:
            if (h.val > left)
                return err_set_at(err, KP_E_TRUNCATED, (int64_t)off,
                                  "%s of %llu bytes, only %zu left",
                                  cbor_type_name((cbor_type)h.major),
                                  (unsigned long long)h.val, left);
            if (h.major == 3) {
                size_t bad;
                if (!cbor_utf8_valid(q, (size_t)h.val, &bad))
                    return err_set_at(err, KP_E_CBOR_UTF8, (int64_t)(off + h.n + bad),
                                      "text string is not valid UTF-8");
            }
            if (f && f->bignum && (h.val <= 8 || q[0] == 0))
                return err_set_at(err, KP_E_CBOR_NONCANONICAL, (int64_t)off,
                                  h.val <= 8 ? "bignum fits a 64-bit integer"
                                             : "bignum with a leading zero byte");
            q += h.val;
            break;
        case 4:
        case 5:
            /* Each child takes at least one byte. */
            if (h.val > (h.major == 5 ? left / 2 : left))
                return err_set_at(err, KP_E_TRUNCATED, (int64_t)off,
                                  "%s of %llu %s, only %zu bytes left",
                                  cbor_type_name((cbor_type)h.major),
                                  (unsigned long long)h.val,
                                  h.major == 5 ? "pairs" : "items", left);
            if (h.val) {
                st[depth] = (frame){.left = h.major == 5 ? 2 * h.val : h.val,
                                    .is_map = h.major == 5};
                depth++;
                pushed = 1;
            }
            break;
        case 6:
            st[depth] = (frame){.left = 1, .bignum = h.val == 2 || h.val == 3};
            depth++;
            pushed = 1;
            break;
        default:
            break;
        }
        if (pushed) continue;
        /* An item ended: close every container it completes. */
        while (depth > 0 && --st[depth - 1].left == 0) depth--;
        if (depth == 0) break;
    }
    if (q != end)
        return err_set_at(err, KP_E_CBOR_TRAILING, (int64_t)(base + (size_t)(q - p)),
                          "%zu bytes after the item", (size_t)(end - q));
    if (root && !read_item(p, end, base, root))
        return err_set_at(err, KP_E_INTERNAL, (int64_t)base, "accepted item does not read");
    return KP_OK;
}

int cbor_parse(const uint8_t *p, size_t len, cbor_item *root, kp_error *err)
{
    return cbor_parse_ex(p, len, 0, CBOR_DEFAULT_DEPTH, root, err);
}

int cbor_parse_bstr(const cbor_item *bstr, cbor_item *root, kp_error *err)
{
    if (bstr->type != CBOR_BYTES)
        return err_set_at(err, KP_E_CBOR_TYPE, (int64_t)bstr->off,
                          "expected a byte string holding CBOR, found %s",
                          cbor_type_name(bstr->type));
    return cbor_parse_ex(bstr->ptr, bstr->len, bstr->off + (size_t)(bstr->ptr - bstr->raw),
                         CBOR_DEFAULT_DEPTH, root, err);
}

int cbor_check(const uint8_t *p, size_t len, kp_error *err)
{
    return cbor_parse(p, len, NULL, err);
}

/* ---- walking accepted bytes ---------------------------------------------------- */

const uint8_t *cbor_skip(const uint8_t *p, const uint8_t *end)
{
    uint64_t items = 1;
    while (items) {
        head h;
        if (!read_head(p, end, &h)) return NULL;
        p += h.n;
        items--;
        size_t left = (size_t)(end - p);
        switch (h.major) {
        case 2:
        case 3:
            if (h.val > left) return NULL;
            p += h.val;
            break;
        case 4:
            if (h.val > left) return NULL;
            items += h.val;
            break;
        case 5:
            if (h.val > left / 2) return NULL;
            items += 2 * h.val;
            break;
        case 6: items++; break;
        default: break;
        }
        /* Each pending item takes at least one byte: this also keeps the
           count far from overflow. */
        if (items > (uint64_t)(end - p)) return NULL;
    }
    return p;
}

size_t kp_cbor_item_len(const uint8_t *p, size_t len)
{
    if (!p || len == 0) return 0;
    const uint8_t *next = cbor_skip(p, p + len);
    return next ? (size_t)(next - p) : 0;
}

static int read_item(const uint8_t *p, const uint8_t *end, size_t off, cbor_item *out)
{
    head h;
    const uint8_t *next = cbor_skip(p, end);
    if (!next || !read_head(p, end, &h)) return 0;
    static const cbor_type by_major[7] = {CBOR_UINT,  CBOR_NEGINT, CBOR_BYTES, CBOR_TEXT,
                                          CBOR_ARRAY, CBOR_MAP,    CBOR_TAG};
    cbor_type t;
    if (h.major < 7)
        t = by_major[h.major];
    else if (h.ai == 20)
        t = CBOR_FALSE;
    else if (h.ai == 21)
        t = CBOR_TRUE;
    else if (h.ai == 22)
        t = CBOR_NULL;
    else
        return 0; /* not in the profile: cbor_parse never accepts it */
    *out = (cbor_item){.type = t,
                       .val = h.val,
                       .ptr = p + h.n,
                       .len = (size_t)(next - p) - h.n,
                       .raw = p,
                       .raw_len = (size_t)(next - p),
                       .off = off};
    return 1;
}

void cbor_iter_init(cbor_iter *it, const cbor_item *c)
{
    uint64_t n = 0;
    if (c->type == CBOR_ARRAY) n = c->val;
    if (c->type == CBOR_MAP) n = c->val <= c->len / 2 ? 2 * c->val : 0;
    if (c->type == CBOR_TAG) n = 1;
    *it = (cbor_iter){.p = c->ptr,
                      .end = c->ptr + (n ? c->len : 0),
                      .left = n,
                      .off = c->off + (size_t)(c->ptr - c->raw)};
}

int cbor_iter_next(cbor_iter *it, cbor_item *out)
{
    if (it->left == 0 || !read_item(it->p, it->end, it->off, out)) {
        it->left = 0;
        return 0;
    }
    it->p += out->raw_len;
    it->off += out->raw_len;
    it->left--;
    return 1;
}

int cbor_iter_pair(cbor_iter *it, cbor_item *key, cbor_item *val)
{
    return cbor_iter_next(it, key) && cbor_iter_next(it, val);
}

/* Finds the value whose key satisfies match(key, arg). */
static int map_find(const cbor_item *map, int (*match)(const cbor_item *, const void *),
                    const void *arg, cbor_item *val)
{
    if (map->type != CBOR_MAP) return 0;
    cbor_iter it;
    cbor_item k, v;
    cbor_iter_init(&it, map);
    while (cbor_iter_pair(&it, &k, &v)) {
        if (match(&k, arg)) {
            if (val) *val = v;
            return 1;
        }
    }
    return 0;
}

static int match_text(const cbor_item *k, const void *arg)
{
    return cbor_text_eq(k, arg);
}

static int match_int(const cbor_item *k, const void *arg)
{
    int64_t want = *(const int64_t *)arg;
    if (want >= 0) return k->type == CBOR_UINT && k->val == (uint64_t)want;
    return k->type == CBOR_NEGINT && k->val == (uint64_t)(-1 - want);
}

int cbor_map_find_text(const cbor_item *map, const char *key, cbor_item *val)
{
    return map_find(map, match_text, key, val);
}

int cbor_map_find_int(const cbor_item *map, int64_t key, cbor_item *val)
{
    return map_find(map, match_int, &key, val);
}

int cbor_text_eq(const cbor_item *it, const char *s)
{
    size_t n = strlen(s);
    return it->type == CBOR_TEXT && it->len == n && memcmp(it->ptr, s, n) == 0;
}

const char *cbor_type_name(cbor_type t)
{
    switch (t) {
    case CBOR_UINT: return "unsigned integer";
    case CBOR_NEGINT: return "negative integer";
    case CBOR_BYTES: return "byte string";
    case CBOR_TEXT: return "text string";
    case CBOR_ARRAY: return "array";
    case CBOR_MAP: return "map";
    case CBOR_TAG: return "tag";
    case CBOR_FALSE: return "false";
    case CBOR_TRUE: return "true";
    case CBOR_NULL: return "null";
    case CBOR_ANY: return "any item";
    }
    return "unknown";
}

/* ---- schema helpers -------------------------------------------------------------- */

static int fail_field(kp_error *err, int code, size_t off, const char *field,
                      const char *fmt, ...) KP_PRINTF(5, 6);
static int fail_field(kp_error *err, int code, size_t off, const char *field,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, (int64_t)off, field, fmt, ap);
    va_end(ap);
    return code;
}

int cbor_want(const cbor_item *it, cbor_type t, const char *field, kp_error *err)
{
    if (t == CBOR_ANY || it->type == t) return KP_OK;
    return fail_field(err, KP_E_CBOR_TYPE, it->off, field, "%s%sexpected %s, found %s",
                      field ? field : "", field ? ": " : "", cbor_type_name(t),
                      cbor_type_name(it->type));
}

int cbor_field_text(const cbor_item *map, const char *key, cbor_type t, cbor_item *val,
                    kp_error *err)
{
    cbor_item v;
    if (map->type != CBOR_MAP)
        return fail_field(err, KP_E_CBOR_TYPE, map->off, key,
                          "expected a map holding \"%s\", found %s", key,
                          cbor_type_name(map->type));
    if (!cbor_map_find_text(map, key, &v))
        return fail_field(err, KP_E_CBOR_MISSING, map->off, key, "map has no \"%s\"", key);
    int rc = cbor_want(&v, t, key, err);
    if (rc) return rc;
    *val = v;
    return KP_OK;
}

int cbor_field_int(const cbor_item *map, int64_t key, const char *name, cbor_type t,
                   cbor_item *val, kp_error *err)
{
    char num[24];
    cbor_item v;
    if (!name) {
        snprintf(num, sizeof num, "%lld", (long long)key);
        name = num;
    }
    if (map->type != CBOR_MAP)
        return fail_field(err, KP_E_CBOR_TYPE, map->off, name,
                          "expected a map holding key %lld (%s), found %s", (long long)key,
                          name, cbor_type_name(map->type));
    if (!cbor_map_find_int(map, key, &v))
        return fail_field(err, KP_E_CBOR_MISSING, map->off, name,
                          "map has no key %lld (%s)", (long long)key, name);
    int rc = cbor_want(&v, t, name, err);
    if (rc) return rc;
    *val = v;
    return KP_OK;
}

int cbor_get_u64(const cbor_item *it, uint64_t *v, const char *field, kp_error *err)
{
    int rc = cbor_want(it, CBOR_UINT, field, err);
    if (rc) return rc;
    *v = it->val;
    return KP_OK;
}

int cbor_get_i64(const cbor_item *it, int64_t *v, const char *field, kp_error *err)
{
    if (it->type != CBOR_UINT && it->type != CBOR_NEGINT)
        return fail_field(err, KP_E_CBOR_TYPE, it->off, field, "%s%sexpected an integer, found %s",
                          field ? field : "", field ? ": " : "", cbor_type_name(it->type));
    if (it->val > (uint64_t)INT64_MAX)
        return fail_field(err, KP_E_CBOR_RANGE, it->off, field,
                          "%s%sinteger does not fit 64 signed bits", field ? field : "",
                          field ? ": " : "");
    /* -1 - n for n <= INT64_MAX stays within int64_t. */
    *v = it->type == CBOR_UINT ? (int64_t)it->val : -1 - (int64_t)it->val;
    return KP_OK;
}

void cbor_int_text(const cbor_item *it, char out[CBOR_INT_TEXT_BYTES])
{
    if (it->type != CBOR_NEGINT)
        snprintf(out, CBOR_INT_TEXT_BYTES, "%llu", (unsigned long long)it->val);
    else if (it->val < UINT64_MAX)
        snprintf(out, CBOR_INT_TEXT_BYTES, "-%llu", (unsigned long long)it->val + 1);
    else /* -1 - (2^64 - 1): its magnitude does not fit 64 bits */
        snprintf(out, CBOR_INT_TEXT_BYTES, "-18446744073709551616");
}

int cbor_get_bool(const cbor_item *it, int *v, const char *field, kp_error *err)
{
    if (it->type != CBOR_FALSE && it->type != CBOR_TRUE)
        return fail_field(err, KP_E_CBOR_TYPE, it->off, field, "%s%sexpected a boolean, found %s",
                          field ? field : "", field ? ": " : "", cbor_type_name(it->type));
    *v = it->type == CBOR_TRUE;
    return KP_OK;
}

int cbor_untag(const cbor_item *it, uint64_t tag, cbor_item *content, const char *field,
               kp_error *err)
{
    cbor_iter i;
    cbor_item c;
    if (it->type != CBOR_TAG || it->val != tag)
        return fail_field(err, KP_E_CBOR_TYPE, it->off, field, "%s%sexpected tag %llu, found %s",
                          field ? field : "", field ? ": " : "", (unsigned long long)tag,
                          cbor_type_name(it->type));
    cbor_iter_init(&i, it);
    if (!cbor_iter_next(&i, &c))
        return fail_field(err, KP_E_CBOR_MALFORMED, it->off, field, "tag without content");
    *content = c;
    return KP_OK;
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

int cbor_utf8_valid(const uint8_t *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        /* RFC 3629 §4: the second byte's range excludes overlongs (E0, F0),
           surrogates (ED) and code points past U+10FFFF (F4). */
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c == 0xE0)
            need = 2, lo = 0xA0;
        else if (c == 0xED)
            need = 2, hi = 0x9F;
        else if (c >= 0xE1 && c <= 0xEF)
            need = 2;
        else if (c == 0xF0)
            need = 3, lo = 0x90;
        else if (c == 0xF4)
            need = 3, hi = 0x8F;
        else if (c >= 0xF1 && c <= 0xF3)
            need = 3;
        else
            goto fail;
        if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi) goto fail;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80) goto fail;
        i += need + 1;
    }
    return 1;
fail:
    *bad = i;
    return 0;
}
