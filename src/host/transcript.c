/*
 * transcript.c: the transcript container, its Merkle root, its encoding
 * and strict parsing, and the builder of one entry (format in
 * transcript.h).
 */
#include "host/transcript.h"

#include <string.h>

#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/error.h"

#define CHUNK_MIN (64u * 1024u)
#define CHUNK_MAX (1024u * 1024u)

int host_tr_new(kp_transcript **out, kp_error *err)
{
    kp_transcript *t = mem_calloc(1, sizeof *t);
    if (!t) return err_set(err, KP_E_NOMEM, "out of memory");
    *out = t;
    return KP_OK;
}

void host_tr_free(kp_transcript *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nchunks; i++) mem_free(t->chunks[i].p, t->chunks[i].size);
    mem_free(t->chunks, t->chunkcap * sizeof *t->chunks);
    mem_free(t->ents, t->cap * sizeof *t->ents);
    mem_free(t, sizeof *t);
}

/* Room for len contiguous bytes: the last chunk's tail, or a new chunk
   (twice the last one, up to CHUNK_MAX, or len if larger). */
static uint8_t *room(kp_transcript *t, size_t len)
{
    host_tr_chunk *last = t->nchunks ? &t->chunks[t->nchunks - 1] : NULL;
    if (last && last->size - last->used >= len) return last->p + last->used;
    size_t size = last ? last->size * 2 : CHUNK_MIN; /* read before chunks moves */
    if (t->nchunks == t->chunkcap) {
        size_t nc = t->chunkcap ? t->chunkcap * 2 : 8;
        host_tr_chunk *n = mem_realloc(t->chunks, t->chunkcap * sizeof *n, nc * sizeof *n);
        if (!n) return NULL;
        t->chunks = n;
        t->chunkcap = nc;
    }
    if (size > CHUNK_MAX) size = CHUNK_MAX;
    if (size < len) size = len;
    uint8_t *p = mem_alloc(size);
    if (!p) return NULL;
    t->chunks[t->nchunks++] = (host_tr_chunk){p, size, 0};
    return p;
}

int host_tr_append(kp_transcript *t, const uint8_t *entry, size_t len, kp_error *err)
{
    if (len == 0 || len > HOST_TRANSCRIPT_MAX - t->bytes)
        return err_set(err, KP_E_HOST_LIMIT, "transcript larger than %u bytes",
                       HOST_TRANSCRIPT_MAX);
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64, bytes;
        if (!size_mul(nc, sizeof *t->ents, &bytes))
            return err_set(err, KP_E_HOST_LIMIT, "transcript too long");
        host_tr_ent *ne = mem_realloc(t->ents, t->cap * sizeof *t->ents, bytes);
        if (!ne) return err_set(err, KP_E_NOMEM, "out of memory");
        t->ents = ne;
        t->cap = nc;
    }
    uint8_t *p = room(t, len);
    if (!p) return err_set(err, KP_E_NOMEM, "out of memory");
    memcpy(p, entry, len);
    t->chunks[t->nchunks - 1].used += len;
    t->ents[t->n++] = (host_tr_ent){p, len};
    t->bytes += len;
    return KP_OK;
}

const uint8_t *host_tr_entry(const kp_transcript *t, size_t i, size_t *len)
{
    *len = t->ents[i].len;
    return t->ents[i].p;
}

size_t host_tr_bytes(const kp_transcript *t)
{
    return t->bytes;
}

static void leaf_hash(void *ud, uint64_t i, uint8_t out[32])
{
    size_t len;
    const uint8_t *e = host_tr_entry(ud, (size_t)i, &len);
    cry_merkle_leaf(e, len, out);
}

void host_tr_root(const kp_transcript *t, uint8_t out[32])
{
    cry_merkle_root(t->n, leaf_hash, (void *)t, out);
}

int host_tr_encode(const kp_transcript *t, buf *out, kp_error *err)
{
    cbor_enc e;
    cbor_enc_init(&e, out);
    cbor_begin_array(&e);
    for (size_t i = 0; i < t->n; i++) {
        cbor_item it;
        memset(&it, 0, sizeof it);
        it.type = CBOR_MAP;
        it.raw = host_tr_entry(t, i, &it.raw_len);
        cbor_put_item(&e, &it);
    }
    cbor_end(&e);
    return cbor_enc_finish(&e, err);
}

/* ---- strict parsing ------------------------------------------------------------ */

static int bad(kp_error *err, size_t i, const cbor_item *at, const char *what)
{
    return err_set_at(err, KP_E_HOST_TRANSCRIPT, (int64_t)at->off, "transcript entry %zu: %s", i,
                      what);
}

static int uint_array(const cbor_item *a)
{
    if (a->type != CBOR_ARRAY) return 0;
    cbor_iter it;
    cbor_item x;
    cbor_iter_init(&it, a);
    while (cbor_iter_next(&it, &x))
        if (x.type != CBOR_UINT) return 0;
    return 1;
}

static int seg_array(const cbor_item *a)
{
    if (a->type != CBOR_ARRAY) return 0;
    cbor_iter it, jt;
    cbor_item x, addr, bytes, extra;
    cbor_iter_init(&it, a);
    while (cbor_iter_next(&it, &x)) {
        if (x.type != CBOR_ARRAY || x.val != 2) return 0;
        cbor_iter_init(&jt, &x);
        if (!cbor_iter_next(&jt, &addr) || !cbor_iter_next(&jt, &bytes) ||
            cbor_iter_next(&jt, &extra))
            return 0;
        if (addr.type != CBOR_UINT || bytes.type != CBOR_BYTES) return 0;
    }
    return 1;
}

static int check_entry(const cbor_item *m, size_t i, kp_error *err)
{
    static const char *const need[] = {"seq", "inst", "cap", "fn", "fuel", "args",
                                       "in",  "out",  "oracle", "res", "status"};
    cbor_item v, k;
    if (m->type != CBOR_MAP) return bad(err, i, m, "not a map");
    for (size_t j = 0; j < sizeof need / sizeof need[0]; j++)
        if (!cbor_map_find_text(m, need[j], NULL)) return bad(err, i, m, "a required key is missing");
    cbor_iter it;
    cbor_iter_init(&it, m);
    while (cbor_iter_pair(&it, &k, &v)) {
        int ok;
        if (cbor_text_eq(&k, "seq"))
            ok = v.type == CBOR_UINT && v.val == i;
        else if (cbor_text_eq(&k, "inst") || cbor_text_eq(&k, "fuel") ||
                 cbor_text_eq(&k, "status"))
            ok = v.type == CBOR_UINT;
        else if (cbor_text_eq(&k, "cap") || cbor_text_eq(&k, "fn"))
            ok = v.type == CBOR_TEXT && v.len > 0 && v.len <= 64;
        else if (cbor_text_eq(&k, "args"))
            ok = uint_array(&v) && v.val <= HOST_MAX_ARGS;
        else if (cbor_text_eq(&k, "res"))
            ok = uint_array(&v) && v.val <= HOST_MAX_RESULTS;
        else if (cbor_text_eq(&k, "in") || cbor_text_eq(&k, "out"))
            ok = seg_array(&v);
        else if (cbor_text_eq(&k, "oracle")) {
            ok = v.type == CBOR_ARRAY;
            cbor_iter ot;
            cbor_item o;
            cbor_iter_init(&ot, &v);
            while (ok && cbor_iter_next(&ot, &o))
                ok = o.type == CBOR_UINT || o.type == CBOR_NEGINT || o.type == CBOR_BYTES ||
                     o.type == CBOR_NULL;
        } else if (cbor_text_eq(&k, "mint"))
            ok = v.type == CBOR_MAP;
        else
            return bad(err, i, &k, "unknown key");
        if (!ok) return bad(err, i, &v, "a value has the wrong type");
    }
    return KP_OK;
}

int host_tr_parse(const uint8_t *p, size_t len, kp_transcript **out, kp_error *err)
{
    cbor_item root, e;
    kp_transcript *t = NULL;
    int rc;
    if (len > HOST_TRANSCRIPT_MAX)
        return err_set(err, KP_E_HOST_TRANSCRIPT, "transcript larger than %u bytes",
                       HOST_TRANSCRIPT_MAX);
    kp_error cerr;
    kp_error_clear(&cerr);
    if (cbor_parse_ex(p, len, 0, 8, &root, &cerr) != KP_OK)
        return err_set_at(err, KP_E_HOST_TRANSCRIPT, cerr.offset, "transcript: %s", cerr.msg);
    if (root.type != CBOR_ARRAY)
        return err_set(err, KP_E_HOST_TRANSCRIPT, "transcript is not a CBOR array");
    if ((rc = host_tr_new(&t, err))) return rc;
    cbor_iter it;
    cbor_iter_init(&it, &root);
    for (size_t i = 0; cbor_iter_next(&it, &e); i++) {
        if ((rc = check_entry(&e, i, err))) goto fail;
        if ((rc = host_tr_append(t, e.raw, e.raw_len, err))) goto fail;
    }
    *out = t;
    return KP_OK;
fail:
    host_tr_free(t);
    return rc;
}

/* ---- public accessors ------------------------------------------------------------ */

size_t kp_transcript_count(const kp_transcript *t)
{
    return t ? t->n : 0;
}

int kp_transcript_entry(const kp_transcript *t, size_t i, const uint8_t **entry, size_t *len)
{
    if (!t || i >= t->n) return KP_E_NOT_FOUND;
    *entry = host_tr_entry(t, i, len);
    return KP_OK;
}

void kp_transcript_root(const kp_transcript *t, uint8_t root[KP_TRANSCRIPT_ROOT_BYTES])
{
    if (!t) {
        cry_merkle_empty(root);
        return;
    }
    host_tr_root(t, root);
}

int kp_transcript_encode(const kp_transcript *t, uint8_t **out, size_t *len, kp_error *err)
{
    buf b = {0};
    size_t cap;
    if (!t) return err_set(err, KP_E_ARG, "no transcript");
    int rc = host_tr_encode(t, &b, err);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    uint8_t *p = buf_detach(&b, len, &cap);
    /* hand out an exact-size block so that kp_transcript_bytes_free needs
       only the length */
    uint8_t *q = mem_alloc(*len ? *len : 1);
    if (!q) {
        mem_free(p, cap);
        return err_set(err, KP_E_NOMEM, "out of memory");
    }
    memcpy(q, p, *len);
    mem_free(p, cap);
    *out = q;
    return KP_OK;
}

void kp_transcript_bytes_free(uint8_t *p, size_t len)
{
    mem_free(p, len ? len : 1);
}

int kp_transcript_parse(const uint8_t *p, size_t len, kp_transcript **out, kp_error *err)
{
    return host_tr_parse(p, len, out, err);
}

void kp_transcript_free(kp_transcript *t)
{
    host_tr_free(t);
}

/* ---- one entry ------------------------------------------------------------------ */

void host_entry_reset(host_entry *e)
{
    e->seq = 0;
    e->inst = 0;
    e->cap = e->fn = NULL;
    e->fuel = 0;
    e->nargs = e->nres = 0;
    e->status = 0;
    e->bytes.len = 0;
    e->nsegs = 0;
    e->norcs = 0;
    e->mint = NULL;
}

void host_entry_free(host_entry *e)
{
    buf_free(&e->bytes);
    mem_free(e->segs, e->segcap * sizeof *e->segs);
    mem_free(e->orcs, e->orccap * sizeof *e->orcs);
    memset(e, 0, sizeof *e);
}

int host_entry_seg(host_entry *e, int out, uint64_t addr, const uint8_t *p, size_t len)
{
    if (e->nsegs == e->segcap) {
        size_t nc = e->segcap ? e->segcap * 2 : 8;
        host_seg *ns = mem_realloc(e->segs, e->segcap * sizeof *ns, nc * sizeof *ns);
        if (!ns) return KP_E_NOMEM;
        e->segs = ns;
        e->segcap = nc;
    }
    size_t off = e->bytes.len;
    int rc = buf_append(&e->bytes, p, len);
    if (rc) return rc;
    e->segs[e->nsegs++] = (host_seg){out, addr, off, len};
    return KP_OK;
}

static host_orc *orc_new(host_entry *e)
{
    if (e->norcs == e->orccap) {
        size_t nc = e->orccap ? e->orccap * 2 : 4;
        host_orc *no = mem_realloc(e->orcs, e->orccap * sizeof *no, nc * sizeof *no);
        if (!no) return NULL;
        e->orcs = no;
        e->orccap = nc;
    }
    host_orc *o = &e->orcs[e->norcs++];
    memset(o, 0, sizeof *o);
    return o;
}

int host_entry_orc_int(host_entry *e, int type, uint64_t v)
{
    host_orc *o = orc_new(e);
    if (!o) return KP_E_NOMEM;
    o->type = type;
    o->u = v;
    return KP_OK;
}

int host_entry_orc_bytes(host_entry *e, const uint8_t *p, size_t len)
{
    size_t off = e->bytes.len;
    if (p && len) {
        int rc = buf_append(&e->bytes, p, len);
        if (rc) return rc;
    }
    host_orc *o = orc_new(e);
    if (!o) return KP_E_NOMEM;
    o->type = p ? HOST_ORC_BYTES : HOST_ORC_NULL;
    o->off = off;
    o->len = p ? len : 0;
    return KP_OK;
}

/*
 * The entry is written directly, keys in their canonical order (RFC 8949
 * §4.2.1: shorter encodings first, then bytewise), because it is encoded
 * once per host call and a general map encoder would sort every time:
 *   fn, in, cap, out, res, seq, args, fuel, inst, mint, oracle, status
 * and in "mint": kind, amount, source, resource. The unit tests parse the
 * result with the strict decoder, which refuses any other order. Room for
 * the whole entry is reserved once (bound() is an upper limit), then the
 * bytes are written with a cursor.
 */
static uint8_t *head(uint8_t *w, int major, uint64_t v)
{
    return w + cbor_head(w, major, v);
}

static uint8_t *bytes(uint8_t *w, int major, const void *p, size_t n)
{
    w = head(w, major, n);
    if (n) memcpy(w, p, n);
    return w + n;
}

#define KEY(w, lit) bytes(w, 3, lit, sizeof lit - 1)

static uint8_t *text(uint8_t *w, const char *s)
{
    return bytes(w, 3, s, strlen(s));
}

static uint8_t *segs(uint8_t *w, const host_entry *e, int out)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nsegs; i++) n += e->segs[i].out == out;
    w = head(w, 4, n);
    for (size_t i = 0; i < e->nsegs; i++) {
        const host_seg *s = &e->segs[i];
        if (s->out != out) continue;
        w = head(w, 4, 2);
        w = head(w, 0, s->addr);
        w = bytes(w, 2, e->bytes.p + s->off, s->len);
    }
    return w;
}

static uint8_t *uints(uint8_t *w, const uint64_t *v, uint32_t n)
{
    w = head(w, 4, n);
    for (uint32_t i = 0; i < n; i++) w = head(w, 0, v[i]);
    return w;
}

/* An upper bound of the encoding's size (9 bytes per head, at most). */
static int bound(const host_entry *e, size_t *out)
{
    size_t n = 256 + strlen(e->fn) + strlen(e->cap) + 9 * ((size_t)e->nargs + e->nres);
    size_t more = 27 * (e->nsegs + e->norcs) + e->bytes.len;
    if (e->mint)
        more += 96 + strlen(e->mint->kind) + strlen(e->mint->source) + e->mint->resource_len;
    return size_add(n, more, out);
}

int host_entry_encode(const host_entry *e, buf *out, kp_error *err)
{
    size_t need;
    if (!bound(e, &need) || buf_reserve(out, need))
        return err_set(err, KP_E_NOMEM, "out of memory encoding a transcript entry");
    uint8_t *w = out->p + out->len;
    /* text strings must be valid UTF-8: cap and fn names are ASCII, mint
       kinds too, and mint sources are ASCII or a policy rule's name (JSON
       text, valid UTF-8) */
    w = head(w, 5, e->mint ? 12 : 11);
    w = KEY(w, "fn");
    w = text(w, e->fn);
    w = KEY(w, "in");
    w = segs(w, e, 0);
    w = KEY(w, "cap");
    w = text(w, e->cap);
    w = KEY(w, "out");
    w = segs(w, e, 1);
    w = KEY(w, "res");
    w = uints(w, e->res, e->nres);
    w = KEY(w, "seq");
    w = head(w, 0, e->seq);
    w = KEY(w, "args");
    w = uints(w, e->args, e->nargs);
    w = KEY(w, "fuel");
    w = head(w, 0, e->fuel);
    w = KEY(w, "inst");
    w = head(w, 0, e->inst);
    if (e->mint) {
        const host_mint_info *m = e->mint;
        w = KEY(w, "mint");
        w = head(w, 5, 4);
        w = KEY(w, "kind");
        w = text(w, m->kind);
        w = KEY(w, "amount");
        w = m->unlimited ? head(w, 7, 22) : head(w, 0, m->amount);
        w = KEY(w, "source");
        w = text(w, m->source);
        w = KEY(w, "resource");
        w = bytes(w, 2, m->resource, m->resource_len);
    }
    w = KEY(w, "oracle");
    w = head(w, 4, e->norcs);
    for (size_t i = 0; i < e->norcs; i++) {
        const host_orc *o = &e->orcs[i];
        switch (o->type) {
        case HOST_ORC_UINT: w = head(w, 0, o->u); break;
        case HOST_ORC_INT: w = (int64_t)o->u < 0 ? head(w, 1, ~o->u) : head(w, 0, o->u); break;
        case HOST_ORC_BYTES: w = bytes(w, 2, e->bytes.p + o->off, o->len); break;
        default: w = head(w, 7, 22); break; /* null */
        }
    }
    w = KEY(w, "status");
    w = head(w, 0, (uint64_t)(e->status < 0 ? 0 : e->status));
    out->len = (size_t)(w - out->p);
    return KP_OK;
}
