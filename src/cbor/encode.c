/*
 * encode.c: the deterministic CBOR encoder (see cbor.h). Every head is
 * written in its shortest form; a container's head is written when it is
 * closed, once its children are counted (they move up by the head's 1..9
 * bytes), and a map's entries are put in canonical order then. Errors are
 * sticky, so callers check once, at cbor_enc_finish.
 */
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor.h"
#include "util/alloc.h"
#include "util/error.h"

size_t cbor_head(uint8_t out[9], int m, uint64_t v)
{
    uint8_t ib = (uint8_t)(m << 5);
    if (v < 24) {
        out[0] = (uint8_t)(ib | v);
        return 1;
    }
    int ai, k;
    if (v <= 0xff)
        ai = 24, k = 1;
    else if (v <= 0xffff)
        ai = 25, k = 2;
    else if (v <= 0xffffffff)
        ai = 26, k = 4;
    else
        ai = 27, k = 8;
    out[0] = (uint8_t)(ib | ai);
    for (int i = 0; i < k; i++) out[1 + i] = (uint8_t)(v >> (8 * (k - 1 - i)));
    return (size_t)(1 + k);
}

/* tag_pending: 0 none, 1 any tag, BIGNUM tag 2 or 3 */
#define BIGNUM 2

static void fail(cbor_enc *e, int code, const char *why)
{
    if (e->status) return;
    e->status = code;
    e->why = why;
}

static void fail_buf(cbor_enc *e, int rc)
{
    fail(e, rc, rc == KP_E_LIMIT ? "output exceeds its size limit" : "out of memory");
}

void cbor_enc_init(cbor_enc *e, buf *out)
{
    memset(e, 0, sizeof *e);
    e->out = out;
    e->start = out->len;
}

/* Counts a new item where it goes: the content of a pending tag, a child
   of the open container, or the one top-level item. 0 if e has failed. */
static int begin_item(cbor_enc *e)
{
    if (e->status) return 0;
    if (e->tag_pending == BIGNUM) {
        fail(e, KP_E_CBOR_TYPE, "bignum tag (2 or 3) around something other than bytes");
        return 0;
    }
    if (e->tag_pending) {
        e->tag_pending = 0;
        return 1;
    }
    if (e->depth) {
        e->stack[e->depth - 1].count++;
        return 1;
    }
    if (e->top) {
        fail(e, KP_E_ARG, "a second top-level item");
        return 0;
    }
    e->top = 1;
    return 1;
}

/* A head and n bytes of content, appended together. */
static void put(cbor_enc *e, int m, uint64_t v, const void *p, size_t n)
{
    uint8_t h[9];
    size_t hn = cbor_head(h, m, v);
    int rc = n > SIZE_MAX - hn ? KP_E_LIMIT : buf_reserve(e->out, hn + n);
    if (rc) {
        fail_buf(e, rc);
        return;
    }
    memcpy(e->out->p + e->out->len, h, hn);
    if (n) memcpy(e->out->p + e->out->len + hn, p, n);
    e->out->len += hn + n;
}

void cbor_put_uint(cbor_enc *e, uint64_t v)
{
    if (begin_item(e)) put(e, 0, v, NULL, 0);
}

void cbor_put_neg(cbor_enc *e, uint64_t n)
{
    if (begin_item(e)) put(e, 1, n, NULL, 0);
}

void cbor_put_int(cbor_enc *e, int64_t v)
{
    if (!begin_item(e)) return;
    /* -1 - v for negative v is at most INT64_MAX: no overflow. */
    if (v >= 0)
        put(e, 0, (uint64_t)v, NULL, 0);
    else
        put(e, 1, (uint64_t)(-1 - v), NULL, 0);
}

/* Tags 2 and 3 hold a bignum in preferred serialization: longer than 64
   bits (else it is a plain integer) with no leading zero byte. */
static void check_bignum(cbor_enc *e, const uint8_t *p, size_t n)
{
    if (e->status || e->tag_pending != BIGNUM) return;
    if (n <= 8 || p[0] == 0)
        fail(e, KP_E_CBOR_NONCANONICAL,
             "bignum that fits 64 bits or has a leading zero byte: not preferred form");
    else
        e->tag_pending = 1;
}

void cbor_put_bytes(cbor_enc *e, const void *p, size_t n)
{
    check_bignum(e, p, n);
    if (begin_item(e)) put(e, 2, n, p, n);
}

void cbor_put_text(cbor_enc *e, const char *s, size_t n)
{
    size_t bad;
    if (!begin_item(e)) return;
    if (!cbor_utf8_valid((const uint8_t *)s, n, &bad)) {
        fail(e, KP_E_CBOR_UTF8, "text string is not valid UTF-8");
        return;
    }
    put(e, 3, n, s, n);
}

void cbor_put_str(cbor_enc *e, const char *s)
{
    cbor_put_text(e, s, strlen(s));
}

void cbor_put_bool(cbor_enc *e, int v)
{
    if (begin_item(e)) put(e, 7, v ? 21 : 20, NULL, 0);
}

void cbor_put_null(cbor_enc *e)
{
    if (begin_item(e)) put(e, 7, 22, NULL, 0);
}

void cbor_put_tag(cbor_enc *e, uint64_t tag)
{
    if (!begin_item(e)) return;
    put(e, 6, tag, NULL, 0);
    e->tag_pending = tag == 2 || tag == 3 ? BIGNUM : 1;
}

void cbor_put_item(cbor_enc *e, const cbor_item *it)
{
    if (!it->raw || it->raw_len == 0) {
        fail(e, KP_E_ARG, "cbor_put_item with an empty item");
        return;
    }
    if (it->type == CBOR_BYTES) check_bignum(e, it->ptr, it->len);
    if (!begin_item(e)) return;
    int rc = buf_append(e->out, it->raw, it->raw_len);
    if (rc) fail_buf(e, rc);
}

static void begin(cbor_enc *e, int is_map)
{
    if (!begin_item(e)) return;
    if (e->depth == CBOR_MAX_DEPTH) {
        fail(e, KP_E_CBOR_DEPTH, "containers nested too deeply");
        return;
    }
    e->stack[e->depth++] = (cbor_enc_frame){.start = e->out->len, .is_map = is_map};
}

void cbor_begin_array(cbor_enc *e)
{
    begin(e, 0);
}

void cbor_begin_map(cbor_enc *e)
{
    begin(e, 1);
}

/* One map entry in the buffer being sorted. */
typedef struct entry {
    const uint8_t *key;
    size_t key_len;
    size_t len; /* key and value */
} entry;

static int entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return cbor_key_cmp(x->key, x->key_len, y->key, y->key_len);
}

/*
 * Puts the pairs entries written from start to the end of the buffer in
 * canonical order. Most maps are written in order already: one pass checks
 * that, and only an unsorted map pays for an index and a copy.
 */
static void sort_map(cbor_enc *e, size_t start, size_t pairs)
{
    uint8_t *base = e->out->p + start, *end = e->out->p + e->out->len;
    size_t span = (size_t)(end - base);
    entry *ix = NULL;
    uint8_t *tmp = NULL;
    const uint8_t *q = base, *prev = NULL;
    size_t prev_len = 0;
    int sorted = 1, code = KP_OK;
    const char *why = NULL;
    for (size_t i = 0; i < pairs; i++) {
        const uint8_t *kend = cbor_skip(q, end), *vend = kend ? cbor_skip(kend, end) : NULL;
        if (!vend) {
            code = KP_E_INTERNAL, why = "map entries do not parse";
            goto done;
        }
        if (prev) {
            int c = cbor_key_cmp(prev, prev_len, q, (size_t)(kend - q));
            if (c == 0) {
                code = KP_E_CBOR_DUPLICATE_KEY, why = "map key repeated";
                goto done;
            }
            if (c > 0) sorted = 0;
        }
        prev = q;
        prev_len = (size_t)(kend - q);
        q = vend;
    }
    if (sorted) goto done;
    ix = mem_calloc(pairs, sizeof *ix);
    tmp = mem_alloc(span);
    if (!ix || !tmp) {
        code = KP_E_NOMEM, why = "out of memory";
        goto done;
    }
    /* The first pass proved every entry parses. */
    q = base;
    for (size_t i = 0; i < pairs; i++) {
        const uint8_t *kend = cbor_skip(q, end), *vend = cbor_skip(kend, end);
        ix[i] = (entry){q, (size_t)(kend - q), (size_t)(vend - q)};
        q = vend;
    }
    qsort(ix, pairs, sizeof *ix, entry_cmp);
    uint8_t *o = tmp;
    for (size_t i = 0; i < pairs; i++) {
        if (i && entry_cmp(&ix[i - 1], &ix[i]) == 0) {
            code = KP_E_CBOR_DUPLICATE_KEY, why = "map key repeated";
            goto done;
        }
        memcpy(o, ix[i].key, ix[i].len);
        o += ix[i].len;
    }
    memcpy(base, tmp, span);
done:
    if (code) fail(e, code, why);
    mem_free(ix, pairs * sizeof *ix);
    mem_free(tmp, span);
}

void cbor_end(cbor_enc *e)
{
    if (e->status) return;
    if (e->depth == 0) {
        fail(e, KP_E_ARG, "cbor_end with no open container");
        return;
    }
    if (e->tag_pending) {
        fail(e, KP_E_ARG, "tag without content");
        return;
    }
    cbor_enc_frame *f = &e->stack[--e->depth];
    uint64_t n = f->count;
    if (f->is_map) {
        if (n & 1) {
            fail(e, KP_E_ARG, "map key without a value");
            return;
        }
        n /= 2;
        if (n > 1) sort_map(e, f->start, (size_t)n);
        if (e->status) return;
    }
    /* The head goes in front of the children, now that they are counted. */
    uint8_t h[9];
    size_t hn = cbor_head(h, f->is_map ? 5 : 4, n);
    int rc = buf_reserve(e->out, hn);
    if (rc) {
        fail_buf(e, rc);
        return;
    }
    uint8_t *at = e->out->p + f->start;
    memmove(at + hn, at, e->out->len - f->start);
    memcpy(at, h, hn);
    e->out->len += hn;
}

int cbor_enc_finish(cbor_enc *e, kp_error *err)
{
    if (!e->status) {
        if (e->depth)
            fail(e, KP_E_ARG, "a container was not closed");
        else if (e->tag_pending)
            fail(e, KP_E_ARG, "tag without content");
        else if (!e->top)
            fail(e, KP_E_ARG, "nothing was written");
    }
    if (e->status) return err_set(err, e->status, "CBOR encoding: %s", e->why);
    return KP_OK;
}
