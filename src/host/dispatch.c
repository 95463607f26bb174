/*
 * dispatch.c: the one choke point. Every host function of every instance
 * is a kw_func whose user pointer is a host_binding (function descriptor +
 * instance) and whose code is host_trampoline: it opens the transcript
 * entry, checks it against the recorded one when replaying, runs the
 * handler, charges fuel for the host's work, and records the entry. Guest
 * memory is reached only through host_in/host_out below.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/internal.h"
#include "util/alloc.h"
#include "util/debug.h"
#include "util/error.h"

uint64_t host_fuel_used(const host_run *r)
{
    if (!r->store) return 0;
    uint64_t left = kw_store_fuel_left(r->store);
    return left > r->fuel_budget ? 0 : r->fuel_budget - left;
}

/* ---- traps -------------------------------------------------------------------- */

static int vtrap(host_call *c, int code, const char *fmt, va_list ap)
{
    char msg[KW_ERROR_MSG_BYTES];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (c->ctx) {
        kw_call_ctx_trap(c->ctx, code, "%s", msg);
    } else if (c->err) {
        err_set(c->err, code, "%s", msg);
    }
    return code;
}

int host_trap(host_call *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vtrap(c, code, fmt, ap);
    va_end(ap);
    return code;
}

int host_cap_trap(host_call *c, int code, int32_t h)
{
    const char *what;
    switch (code) {
    case KP_E_CAP_FORGED: what = "was never issued to this instance"; break;
    case KP_E_CAP_STALE: what = "was already consumed, moved or dropped"; break;
    case KP_E_CAP_DOUBLE_DROP: what = "was already dropped"; break;
    case KP_E_CAP_EXHAUSTED: what = "carries less than the amount asked for"; break;
    case KP_E_CAP_WRONG_KIND: what = "is of the wrong kind for this call"; break;
    case KP_E_CAP_TABLE_FULL: what = "could not be issued: the handle table is full"; break;
    case KP_E_ARG: return host_trap(c, KP_E_HOST_BAD_ARG, "%s: amount must be positive", c->fn ? c->fn->name : "mint");
    default: what = "cannot be used"; break;
    }
    return host_trap(c, code, "%s: handle %ld %s", c->fn ? c->fn->name : "mint", (long)h, what);
}

/* ---- guest memory --------------------------------------------------------------- */

static int bad_pointer(host_call *c, uint32_t ptr, uint64_t len)
{
    return host_trap(c, KP_E_HOST_BAD_POINTER,
                     "%s: %llu bytes at %lu are outside the guest's linear memory",
                     c->fn ? c->fn->name : "?", (unsigned long long)len, (unsigned long)ptr);
}

static uint8_t *slice(host_call *c, uint32_t ptr, uint64_t len)
{
    kw_memory *m = c->ctx ? kw_call_ctx_memory(c->ctx) : NULL;
    if (!m) return NULL;
    /* 64-bit offset and length: ptr + len cannot wrap */
    return kw_memory_slice(m, ptr, len);
}

int host_check(host_call *c, uint32_t ptr, uint64_t len)
{
    if (len == 0) return KP_OK;
    return slice(c, ptr, len) ? KP_OK : bad_pointer(c, ptr, len);
}

int host_in(host_call *c, uint32_t ptr, uint32_t len, const uint8_t **out)
{
    static const uint8_t empty[1];
    if (len == 0) {
        *out = empty;
        return KP_OK;
    }
    const uint8_t *p = slice(c, ptr, len);
    if (!p) return bad_pointer(c, ptr, len);
    if (host_entry_seg(c->e, 0, ptr, p, len)) return host_trap(c, KP_E_NOMEM, "out of memory");
    c->moved += len;
    *out = p;
    return KP_OK;
}

int host_out(host_call *c, uint32_t ptr, const void *data, size_t len)
{
    if (len == 0) return KP_OK;
    uint8_t *p = slice(c, ptr, len);
    if (!p) return bad_pointer(c, ptr, len);
    memcpy(p, data, len);
    if (host_entry_seg(c->e, 1, ptr, p, len)) return host_trap(c, KP_E_NOMEM, "out of memory");
    c->moved += len;
    return KP_OK;
}

int host_out_fit(host_call *c, uint32_t ptr, uint32_t cap, const void *data, size_t len,
                 int32_t *ret)
{
    if (len > INT32_MAX) return host_trap(c, KP_E_HOST_LIMIT, "value too large for the guest");
    /* the buffer is checked even when the value does not fit, so that a
       bad pointer is caught however large the value */
    int rc = host_check(c, ptr, cap);
    if (rc) return rc;
    if (len <= cap && (rc = host_out(c, ptr, data, len))) return rc;
    *ret = (int32_t)len;
    return KP_OK;
}

/* ---- entries -------------------------------------------------------------------- */

/*
 * Entries done inside an invoke wait in r->pending as records
 * (seq: 8 bytes, length: sizeof(size_t), the entry's bytes). A record is
 * appended whole or not at all (pend_add), so the buffer is always a
 * sequence of whole records; flush_pending relies on that.
 */
#define PEND_HEAD (8 + sizeof(size_t))

typedef struct pend_ref {
    uint64_t seq;
    size_t off, len;
} pend_ref;

static int cmp_pend(const void *a, const void *b)
{
    const pend_ref *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Room left for the transcript: what it holds and what waits to join it
   count against HOST_TRANSCRIPT_MAX together. */
static size_t tr_room(const host_run *r)
{
    size_t used = host_tr_bytes(r->tr);
    KP_DEBUG_ASSERT(used <= HOST_TRANSCRIPT_MAX && r->pending.len <= HOST_TRANSCRIPT_MAX - used);
    return HOST_TRANSCRIPT_MAX - used - r->pending.len;
}

static int pend_add(host_run *r, uint64_t seq, const uint8_t *p, size_t len, kp_error *err)
{
    size_t need;
    if (!size_add(PEND_HEAD, len, &need) || need > tr_room(r))
        return err_set(err, KP_E_HOST_LIMIT, "transcript larger than %u bytes",
                       HOST_TRANSCRIPT_MAX);
    r->pending.max = 0; /* bounded by tr_room above */
    if (buf_reserve(&r->pending, need)) return err_set(err, KP_E_NOMEM, "out of memory");
    /* reserved: the three appends below cannot fail */
    uint8_t *w = r->pending.p + r->pending.len;
    memcpy(w, &seq, 8);
    memcpy(w + 8, &len, sizeof len);
    memcpy(w + PEND_HEAD, p, len);
    r->pending.len += need;
    return KP_OK;
}

static int flush_pending(host_run *r, kp_error *err)
{
    size_t n = 0, cap = 16, off = 0;
    pend_ref *refs = NULL;
    int rc = KP_OK;
    if (r->pending.len == 0) return KP_OK;
    if (!(refs = mem_calloc(cap, sizeof *refs))) {
        rc = err_set(err, KP_E_NOMEM, "out of memory");
        goto done;
    }
    while (off < r->pending.len) {
        pend_ref x;
        /* whole records only (pend_add) */
        KP_DEBUG_ASSERT(r->pending.len - off >= PEND_HEAD);
        memcpy(&x.seq, r->pending.p + off, 8);
        memcpy(&x.len, r->pending.p + off + 8, sizeof x.len);
        x.off = off + PEND_HEAD;
        KP_DEBUG_ASSERT(x.len <= r->pending.len - x.off);
        off = x.off + x.len;
        if (n == cap) {
            pend_ref *nr = mem_realloc(refs, cap * sizeof *refs, 2 * cap * sizeof *refs);
            if (!nr) {
                rc = err_set(err, KP_E_NOMEM, "out of memory");
                goto done;
            }
            refs = nr;
            cap *= 2;
        }
        refs[n++] = x;
    }
    qsort(refs, n, sizeof *refs, cmp_pend);
    for (size_t i = 0; i < n && !rc; i++)
        rc = host_tr_append(r->tr, r->pending.p + refs[i].off, refs[i].len, err);
done:
    mem_free(refs, cap * sizeof *refs);
    r->pending.len = 0;
    return rc;
}

/* A call that could not be recorded ends the run (see record_failed). */
static int record_failure(host_call *c, int code, const char *msg)
{
    host_run *r = c->run;
    if (!r->record_failed) r->record_failed = code;
    return host_trap(c, code, "cannot record host call %s: %s", c->e->fn, msg);
}

static int divergence(host_call *c, const char *what)
{
    return host_trap(c, KP_E_HOST_REPLAY_DIVERGED, "replay diverged at call %llu (%s): %s",
                     (unsigned long long)c->e->seq, c->e->fn, what);
}

/* Replay: the recorded entry for this call must be the same call. */
static int replay_begin(host_call *c)
{
    host_run *r = c->run;
    const kp_transcript *t = r->cfg.replay;
    host_entry *e = c->e;
    cbor_item v, x;
    kp_error perr;
    if (e->seq >= t->n) return divergence(c, "the transcript has no more calls");
    size_t len;
    const uint8_t *p = host_tr_entry(t, (size_t)e->seq, &len);
    if (cbor_parse(p, len, &c->rec, &perr) || c->rec.type != CBOR_MAP)
        return divergence(c, "the recorded entry is not a CBOR map");
    if (!cbor_map_find_text(&c->rec, "inst", &v) || v.type != CBOR_UINT || v.val != e->inst)
        return divergence(c, "the recorded call is from another instance");
    if (!cbor_map_find_text(&c->rec, "fn", &v) || !cbor_text_eq(&v, e->fn))
        return divergence(c, "the recorded call is to another function");
    if (!cbor_map_find_text(&c->rec, "cap", &v) || !cbor_text_eq(&v, e->cap))
        return divergence(c, "the recorded call is under another capability");
    if (!cbor_map_find_text(&c->rec, "fuel", &v) || v.type != CBOR_UINT || v.val != e->fuel)
        return divergence(c, "fuel used before the call differs");
    if (!cbor_map_find_text(&c->rec, "args", &v) || v.type != CBOR_ARRAY || v.val != e->nargs)
        return divergence(c, "the arguments differ");
    cbor_iter it;
    cbor_iter_init(&it, &v);
    for (uint32_t i = 0; i < e->nargs; i++)
        if (!cbor_iter_next(&it, &x) || x.type != CBOR_UINT || x.val != e->args[i])
            return divergence(c, "the arguments differ");
    if (!cbor_map_find_text(&c->rec, "oracle", &v) || v.type != CBOR_ARRAY)
        return divergence(c, "the recorded entry has no oracle values");
    cbor_iter_init(&c->orc, &v);
    return KP_OK;
}

static host_call *call_open(host_run *r, host_inst *hi, kw_call_ctx *ctx, const host_fn *f,
                            const char *cap, const char *fn, kp_error *err)
{
    if (r->nest >= HOST_MAX_NEST) return NULL;
    host_call *c = &r->calls[r->nest];
    host_entry *e = &r->entries[r->nest];
    r->nest++;
    host_entry_reset(e);
    memset(c, 0, sizeof *c);
    c->err = err;
    c->run = r;
    c->hi = hi;
    c->ctx = ctx;
    c->fn = f;
    c->e = e;
    c->replay = r->cfg.replay != NULL;
    e->seq = r->next_seq++;
    e->inst = hi->index;
    e->cap = cap;
    e->fn = fn;
    e->fuel = host_fuel_used(r);
    e->bytes.max = HOST_TRANSCRIPT_MAX;
    return c;
}

/* Charges the call's fuel, records the entry (comparing it in replay) and
   closes the call. Returns the call's final status. */
static int call_close(host_call *c, int status)
{
    host_run *r = c->run;
    host_entry *e = c->e;
    kp_error err;
    /* one encoding buffer per nesting level, kept across calls */
    buf *encp = &r->enc[r->nest - 1];
    encp->len = 0;
    encp->max = HOST_TRANSCRIPT_MAX;
#define enc (*encp)
    if (status == KP_OK && r->store && c->ctx) {
        uint64_t cost = HOST_FUEL_CALL + (c->moved + HOST_FUEL_BYTES - 1) / HOST_FUEL_BYTES +
                        c->extra_fuel;
        uint64_t left = kw_store_fuel_left(r->store);
        if (left < cost) {
            kw_store_set_fuel(r->store, 0);
            status = host_trap(c, KW_TRAP_FUEL, "out of fuel in host call %s", e->fn);
        } else {
            kw_store_set_fuel(r->store, left - cost);
        }
    }
    if (r->record_failed) {
        /* a call nested in this one could not be recorded: this one ends
           the same way, and nothing more is recorded */
        status = host_trap(c, r->record_failed, "%s: the run's transcript could not record a "
                           "call made inside it", e->fn);
        goto out;
    }
    if (status != KP_OK) e->nres = 0;
    e->status = status;
    kp_error_clear(&err);
    int rc = host_entry_encode(e, &enc, &err);
    if (rc) {
        status = record_failure(c, rc, err.msg);
        goto out;
    }
    if (c->replay && status != KP_E_HOST_REPLAY_DIVERGED) {
        size_t len;
        const uint8_t *p = host_tr_entry(r->cfg.replay, (size_t)e->seq, &len);
        if (len != enc.len || memcmp(p, enc.p, len) != 0) {
            status = divergence(c, "its bytes, results or oracle use differ from the transcript");
            goto out;
        }
    }
    if (r->nest > 1) {
        /* inside an invoke: wait for the outer call, which has a lower seq */
        rc = pend_add(r, e->seq, enc.p, enc.len, &err);
    } else if (enc.len > tr_room(r)) {
        rc = err_set(&err, KP_E_HOST_LIMIT, "transcript larger than %u bytes",
                     HOST_TRANSCRIPT_MAX);
    } else if (!(rc = host_tr_append(r->tr, enc.p, enc.len, &err))) {
        rc = flush_pending(r, &err);
    }
    if (rc) status = record_failure(c, rc, err.msg);
out:
#undef enc
    r->nest--;
    return status;
}

/* ---- the trampoline --------------------------------------------------------------- */

int host_trampoline(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *results)
{
    host_binding *b = user;
    host_inst *hi = b->hi;
    host_run *r = hi->run;
    const host_fn *f = b->fn;
    if (r->record_failed)
        return kw_call_ctx_trap(ctx, r->record_failed,
                                "%s: the run's transcript could not record an earlier call",
                                f->name);
    host_call *c = call_open(r, hi, ctx, f, pol_cap_name(f->cap), f->name, NULL);
    if (!c)
        return kw_call_ctx_trap(ctx, KP_E_HOST_INVOKE_DEPTH, "host calls nested too deeply");
    host_entry *e = c->e;
    /* read every argument before anything else: results share their memory */
    uint32_t np = (uint32_t)strlen(f->params), nr = (uint32_t)strlen(f->results);
    kw_val a[HOST_MAX_ARGS], res[HOST_MAX_RESULTS];
    for (uint32_t i = 0; i < np; i++) {
        a[i] = args[i];
        if (f->params[i] == 'i') a[i].raw &= 0xffffffffu;
        e->args[i] = a[i].raw;
    }
    e->nargs = np;
    memset(res, 0, sizeof res);
    int rc = c->replay ? replay_begin(c) : KP_OK;
    if (rc == KP_OK) rc = f->fn(c, a, res);
    if (rc == KP_OK) {
        for (uint32_t i = 0; i < nr; i++) {
            if (f->results[i] == 'i') res[i].raw &= 0xffffffffu;
            e->res[i] = res[i].raw;
        }
        e->nres = nr;
    }
    rc = call_close(c, rc);
    if (rc == KP_OK)
        for (uint32_t i = 0; i < nr; i++) results[i] = res[i];
    return rc;
}

/* ---- pseudo calls ------------------------------------------------------------------- */

host_call *host_pseudo_begin(host_run *r, host_inst *hi, int cap, const char *fn, kp_error *err)
{
    if (r->record_failed) {
        err_set(err, r->record_failed, "%s: the run's transcript could not record an earlier call",
                fn);
        return NULL;
    }
    host_call *c = call_open(r, hi, NULL, NULL, pol_cap_name(cap), fn, err);
    if (!c) {
        err_set(err, KP_E_INTERNAL, "host work nested too deeply");
        return NULL;
    }
    if (c->replay && replay_begin(c) != KP_OK) {
        r->nest--; /* the run fails here; nothing to record */
        return NULL;
    }
    return c;
}

int host_pseudo_end(host_call *c, int status)
{
    /* a failure found by call_close itself (replay, memory) goes to c->err */
    return call_close(c, status);
}

int host_transcript_end(host_run *r, kp_error *err)
{
    if (r->record_failed)
        return err_set(err, r->record_failed,
                       "the run's transcript could not record every host call");
    int rc = flush_pending(r, err);
    if (rc) return rc;
    if (r->cfg.replay && r->next_seq != r->cfg.replay->n)
        return err_set(err, KP_E_HOST_REPLAY_DIVERGED,
                       "replay diverged: the run made %llu host calls, the transcript has %zu",
                       (unsigned long long)r->next_seq, r->cfg.replay->n);
    return KP_OK;
}
