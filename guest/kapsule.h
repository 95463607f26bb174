/*
 * kapsule.h: the guest SDK. A logic module is one C file that includes
 * this header, is compiled with clang --target=wasm32 -nostdlib (see
 * WASM_CFLAGS in the Makefile) and exports its entry point:
 *
 *     #include "kapsule.h"
 *     KAPSULE_ENTRY int kapsule_run(void) { ...; return 0; }
 *
 * Returning 0 accepts the capsule unless the module submitted a verdict;
 * anything else rejects it. A trap rejects it too.
 *
 * The host functions are declared below, grouped by the capability that
 * grants them (a module that imports a function whose capability the
 * policy does not grant fails to link). Conventions:
 *   - functions returning variable-length data take (buf, cap), copy the
 *     data when it fits and always return its full length: call again
 *     with a bigger buffer when the result is larger than cap;
 *   - negative results are error values: minus a kapsule status code
 *     (K_E_NOT_FOUND, K_E_LEDGER_OVERDRAFT, ...);
 *   - misuse (bad pointers, forged or stale handles, amounts above a
 *     handle's) traps: the run ends and the capsule is rejected;
 *   - handles are small positive integers naming capabilities this
 *     instance holds; 0 means none.
 *
 * The helpers (memory, a bump allocator, fixed point, a CBOR reader and
 * writer) need no C library. Only one C file includes this header, so it
 * may define functions; the ones clang may call on its own (memcpy,
 * memset, memmove, memcmp) are defined here with hidden visibility.
 */
#ifndef KAPSULE_GUEST_H
#define KAPSULE_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define KAPSULE_IMPORT(name) __attribute__((import_module("kapsule"), import_name(#name)))
#define KAPSULE_EXPORT(name) __attribute__((export_name(#name)))
#define KAPSULE_ENTRY KAPSULE_EXPORT(kapsule_run)
#define KAPSULE_METHOD(name) KAPSULE_EXPORT(name)

/* Error values (minus kapsule status codes). */
#define K_E_NOT_FOUND (-5)
#define K_E_HOST_RESULT_SET (-608)
#define K_E_HOST_CALLEE_TRAP (-610)
#define K_E_HOST_MODULE_STATE (-614)
#define K_E_LEDGER_OVERDRAFT (-660)

/* Verdicts. */
#define K_ACCEPT 1
#define K_REJECT 2

/* Log levels. */
#define K_DEBUG 0
#define K_INFO 1
#define K_WARN 2
#define K_ERROR 3

/* ---- capsule.read: the capsule this run is about --------------------------- */

/* The metadata map (deterministic CBOR): {"id", "type", "author", "alg",
   "parents", "logic" (if any), "flags", "created", "body_len"}. */
KAPSULE_IMPORT(get_capsule_metadata) int32_t get_capsule_metadata(void *buf, uint32_t cap);
KAPSULE_IMPORT(capsule_id) int32_t capsule_id(uint8_t id[32]);
KAPSULE_IMPORT(capsule_type) int32_t capsule_type(char *buf, uint32_t cap);
KAPSULE_IMPORT(capsule_author) int32_t capsule_author(uint8_t *buf, uint32_t cap);
KAPSULE_IMPORT(capsule_body) int32_t capsule_body(void *buf, uint32_t cap);
KAPSULE_IMPORT(capsule_parent_count) int32_t capsule_parent_count(void);
KAPSULE_IMPORT(capsule_parent) int32_t capsule_parent(uint32_t i, uint8_t id[32]);
KAPSULE_IMPORT(capsule_flag)
int32_t capsule_flag(const char *key, uint32_t klen, char *buf, uint32_t cap);
/* Unix seconds, as the author claims. */
KAPSULE_IMPORT(capsule_created) int64_t capsule_created(void);

/* ---- result.submit ---------------------------------------------------------------- */

/* Once per run; a second call returns K_E_HOST_RESULT_SET. */
KAPSULE_IMPORT(submit_capsule_result) int32_t submit_capsule_result(const void *p, uint32_t len);
KAPSULE_IMPORT(submit_verdict)
int32_t submit_verdict(uint32_t verdict, const char *reason, uint32_t len);

/* ---- trust.read, dag.read, module.read ---------------------------------------------- */

/* A key's trust score in millionths (K_FX_ONE = 1.0); 0 when unknown. */
KAPSULE_IMPORT(get_trust_score) int64_t get_trust_score(const uint8_t *pk, uint32_t len);
KAPSULE_IMPORT(dag_metadata) int32_t dag_metadata(const uint8_t id[32], void *buf, uint32_t cap);
/* Parent / child ids, 32 bytes each, back to back (length = 32 * count). */
KAPSULE_IMPORT(dag_parents) int32_t dag_parents(const uint8_t id[32], void *buf, uint32_t cap);
KAPSULE_IMPORT(dag_children) int32_t dag_children(const uint8_t id[32], void *buf, uint32_t cap);
KAPSULE_IMPORT(module_self) int32_t module_self(uint8_t id[32]);
KAPSULE_IMPORT(module_owner)
int32_t module_owner(const uint8_t id[32], uint8_t *buf, uint32_t cap);

/* ---- storage: this module's own child storage ------------------------------------- */

KAPSULE_IMPORT(storage_get)
int32_t storage_get(const void *key, uint32_t klen, void *buf, uint32_t cap);
KAPSULE_IMPORT(storage_put)
int32_t storage_put(const void *key, uint32_t klen, const void *val, uint32_t vlen);
KAPSULE_IMPORT(storage_delete) int32_t storage_delete(const void *key, uint32_t klen);

/* ---- log, clock, random (clock and random are recorded oracles) -------------------- */

/* The import "log", named log_line in C (log is the C library's). */
__attribute__((import_module("kapsule"), import_name("log"))) void log_line(uint32_t level,
                                                                            const char *p,
                                                                            uint32_t len);
/* Nanoseconds since the Unix epoch. */
KAPSULE_IMPORT(clock_now) int64_t clock_now(void);
KAPSULE_IMPORT(random_bytes) int32_t random_bytes(void *buf, uint32_t len);

/* ---- ledger, emit, lifecycle: spending handles ---------------------------------------- */

KAPSULE_IMPORT(ledger_balance) int64_t ledger_balance(const uint8_t *acct, uint32_t len);
/* Moves amount from the account the ledger.spend handle names: returns the
   residual handle (0 when nothing is left) or K_E_LEDGER_OVERDRAFT (the
   handle then stays as it was). */
KAPSULE_IMPORT(ledger_transfer)
int32_t ledger_transfer(int32_t h, const uint8_t *to, uint32_t tolen, int64_t amount);
/* Emits a follow-up capsule, spending 1 from an emit handle: returns the
   residual handle (0 when the budget is used up). */
KAPSULE_IMPORT(emit_capsule)
int32_t emit_capsule(int32_t h, const char *type, uint32_t tlen, const void *body, uint32_t blen);
KAPSULE_IMPORT(module_upgrade) int32_t module_upgrade(int32_t h, const uint8_t new_id[32]);
KAPSULE_IMPORT(module_destroy) int32_t module_destroy(int32_t h);

/* ---- invoke: call another module's method, moving handles to it ----------------------- */

KAPSULE_IMPORT(invoke)
int32_t invoke(const uint8_t module[32], const char *method, uint32_t mlen, const void *args,
               uint32_t alen, const int32_t *handles, uint32_t nhandles, void *out, uint32_t cap);

/* ---- handle ------------------------------------------------------------------------------- */

KAPSULE_IMPORT(handle_list) int32_t handle_list(int32_t *out, uint32_t max);
/* The first handle of kind ("ledger.spend", "emit", "lifecycle") whose
   resource is res (rlen 0: any); 0 if none. */
KAPSULE_IMPORT(handle_find)
int32_t handle_find(const char *kind, uint32_t klen, const void *res, uint32_t rlen);
/* -1 for unlimited. */
KAPSULE_IMPORT(handle_amount) int64_t handle_amount(int32_t h);
KAPSULE_IMPORT(handle_kind) int32_t handle_kind(int32_t h, char *buf, uint32_t cap);
KAPSULE_IMPORT(handle_resource) int32_t handle_resource(int32_t h, void *buf, uint32_t cap);
/* Moves amount out of h into a new handle (returned); h keeps the rest. */
KAPSULE_IMPORT(handle_split) int32_t handle_split(int32_t h, int64_t amount);
KAPSULE_IMPORT(handle_drop) int32_t handle_drop(int32_t h);

/* ---- memory helpers ------------------------------------------------------------------------ */

#define K_HIDDEN __attribute__((visibility("hidden")))

K_HIDDEN void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

K_HIDDEN void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp < sp)
        while (n--) *dp++ = *sp++;
    else
        while (n--) dp[n] = sp[n];
    return d;
}

K_HIDDEN void *memset(void *d, int c, size_t n)
{
    uint8_t *dp = d;
    while (n--) *dp++ = (uint8_t)c;
    return d;
}

K_HIDDEN int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

static inline size_t kstrlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static inline int kmemeq(const void *a, const void *b, size_t n)
{
    return memcmp(a, b, n) == 0;
}

/* ---- a bump allocator ------------------------------------------------------------------------ */

/* Memory above the data and stack, grown on demand. Nothing is freed
   until kreset(): a run is short. */
extern unsigned char __heap_base;
static uintptr_t k_heap_top;

static inline void *kalloc(size_t n)
{
    if (!k_heap_top) k_heap_top = (uintptr_t)&__heap_base;
    uintptr_t p = (k_heap_top + 7) & ~(uintptr_t)7;
    if (n > SIZE_MAX - p) return 0;
    uintptr_t end = p + n;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        size_t pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
    }
    k_heap_top = end;
    return (void *)p;
}

static inline void kreset(void)
{
    k_heap_top = 0;
}

/* Exported for invoke: the host asks a callee for room for its arguments. */
KAPSULE_EXPORT(kapsule_alloc) void *kapsule_alloc(uint32_t n)
{
    return kalloc(n);
}

/* ---- small conveniences --------------------------------------------------------------------- */

static inline void klog(uint32_t level, const char *s)
{
    log_line(level, s, (uint32_t)kstrlen(s));
}

static inline int32_t kapsule_accept(void)
{
    return submit_verdict(K_ACCEPT, "", 0);
}

static inline int32_t kapsule_reject(const char *reason)
{
    return submit_verdict(K_REJECT, reason, (uint32_t)kstrlen(reason));
}

/* Calls f(buf, cap) twice if needed; returns a fresh buffer of *len bytes,
   or 0 on an error value (in *len as a negative number). */
#define K_FETCH(call_with, lenp)                                                       \
    ({                                                                                 \
        int32_t k_n_ = call_with(0, 0);                                                \
        uint8_t *k_b_ = 0;                                                             \
        if (k_n_ >= 0 && (k_b_ = kalloc((size_t)k_n_ + 1)) != 0) {                     \
            call_with(k_b_, (uint32_t)k_n_);                                           \
            k_b_[k_n_] = 0;                                                            \
        }                                                                              \
        *(lenp) = k_n_;                                                                \
        k_b_;                                                                          \
    })

/* The body and the author key, in fresh buffers. */
static inline uint8_t *kapsule_body_get(int32_t *len)
{
    return K_FETCH(capsule_body, len);
}

static inline int32_t k_author_(void *b, uint32_t c)
{
    return capsule_author(b, c);
}

static inline uint8_t *kapsule_author_get(int32_t *len)
{
    return K_FETCH(k_author_, len);
}

/* Decimal text of v (no sign for unsigned); returns the length. */
static inline size_t kfmt_u64(char *out, uint64_t v)
{
    char t[20];
    size_t n = 0, i = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) out[i++] = t[--n];
    out[i] = 0;
    return i;
}

static inline size_t kfmt_i64(char *out, int64_t v)
{
    if (v < 0) {
        out[0] = '-';
        return 1 + kfmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
    }
    return kfmt_u64(out, (uint64_t)v);
}

/* ---- fixed point: millionths ---------------------------------------------------------------- */

#define K_FX_ONE 1000000LL

/* a * b / ONE and a * ONE / b, truncated toward zero; the caller keeps the
   operands small enough (|a * b| < 2^63). */
static inline int64_t kfx_mul(int64_t a, int64_t b)
{
    return a * b / K_FX_ONE;
}

static inline int64_t kfx_div(int64_t a, int64_t b)
{
    return b ? a * K_FX_ONE / b : 0;
}

/* ---- a minimal CBOR reader (definite lengths, what kapsule writes) ---------------------------- */

typedef struct kcbor {
    const uint8_t *p, *end;
} kcbor;

enum { KCBOR_UINT = 0, KCBOR_NEG = 1, KCBOR_BYTES = 2, KCBOR_TEXT = 3, KCBOR_ARRAY = 4,
       KCBOR_MAP = 5, KCBOR_TAG = 6, KCBOR_SIMPLE = 7 };

static inline kcbor kcbor_init(const void *p, size_t n)
{
    kcbor r = {(const uint8_t *)p, (const uint8_t *)p + n};
    return r;
}

/* Reads one head: major type and argument. 0 on success, -1 on bad input. */
static inline int kcbor_head(kcbor *r, int *major, uint64_t *arg)
{
    if (r->p >= r->end) return -1;
    uint8_t b = *r->p++;
    int ai = b & 31, n;
    *major = b >> 5;
    if (ai < 24) {
        *arg = (uint64_t)ai;
        return 0;
    }
    if (ai > 27) return -1;
    n = 1 << (ai - 24);
    if (r->end - r->p < n) return -1;
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | *r->p++;
    *arg = v;
    return 0;
}

/* Skips one whole item. */
static inline int kcbor_skip(kcbor *r)
{
    int m;
    uint64_t a;
    if (kcbor_head(r, &m, &a)) return -1;
    switch (m) {
    case KCBOR_BYTES:
    case KCBOR_TEXT:
        if (a > (uint64_t)(r->end - r->p)) return -1;
        r->p += a;
        return 0;
    case KCBOR_ARRAY:
        for (uint64_t i = 0; i < a; i++)
            if (kcbor_skip(r)) return -1;
        return 0;
    case KCBOR_MAP:
        for (uint64_t i = 0; i < 2 * a; i++)
            if (kcbor_skip(r)) return -1;
        return 0;
    case KCBOR_TAG: return kcbor_skip(r);
    default: return 0;
    }
}

/* A string item (bytes or text per want): its content. */
static inline int kcbor_str(kcbor *r, int want, const uint8_t **p, uint32_t *n)
{
    int m;
    uint64_t a;
    if (kcbor_head(r, &m, &a) || m != want || a > (uint64_t)(r->end - r->p)) return -1;
    *p = r->p;
    *n = (uint32_t)a;
    r->p += a;
    return 0;
}

static inline int kcbor_uint(kcbor *r, uint64_t *v)
{
    int m;
    return kcbor_head(r, &m, v) || m != KCBOR_UINT ? -1 : 0;
}

static inline int kcbor_int(kcbor *r, int64_t *v)
{
    int m;
    uint64_t a;
    if (kcbor_head(r, &m, &a) || (m != KCBOR_UINT && m != KCBOR_NEG) || a > INT64_MAX) return -1;
    *v = m == KCBOR_UINT ? (int64_t)a : -1 - (int64_t)a;
    return 0;
}

/* A container head of the given major type; *n is its count of items
   (pairs for a map). */
static inline int kcbor_enter(kcbor *r, int want, uint64_t *n)
{
    int m;
    return kcbor_head(r, &m, n) || m != want ? -1 : 0;
}

/* In the map starting at r, finds the value of text key; *val reads it. */
static inline int kcbor_find(kcbor r, const char *key, kcbor *val)
{
    uint64_t n;
    size_t kl = kstrlen(key);
    if (kcbor_enter(&r, KCBOR_MAP, &n)) return -1;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *k;
        uint32_t klen;
        kcbor save = r;
        if (kcbor_str(&r, KCBOR_TEXT, &k, &klen)) {
            r = save;
            if (kcbor_skip(&r)) return -1;
        } else if (klen == kl && kmemeq(k, key, kl)) {
            *val = r;
            return 0;
        }
        if (kcbor_skip(&r)) return -1;
    }
    return -1;
}

/* ---- a minimal CBOR writer (the caller writes map keys in canonical
   order: shorter keys first, then bytewise) ------------------------------------------------------ */

typedef struct kcbor_w {
    uint8_t *p;
    size_t len, cap;
    int bad;
} kcbor_w;

static inline void kcbor_put_head(kcbor_w *w, int major, uint64_t v)
{
    uint8_t h[9];
    int n;
    if (v < 24) {
        h[0] = (uint8_t)(major << 5 | v);
        n = 1;
    } else {
        int k = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
        h[0] = (uint8_t)(major << 5 | (k == 1 ? 24 : k == 2 ? 25 : k == 4 ? 26 : 27));
        for (int i = 0; i < k; i++) h[1 + i] = (uint8_t)(v >> (8 * (k - 1 - i)));
        n = 1 + k;
    }
    if (w->len + (size_t)n > w->cap) {
        w->bad = 1;
        return;
    }
    memcpy(w->p + w->len, h, (size_t)n);
    w->len += (size_t)n;
}

static inline void kcbor_put_raw(kcbor_w *w, const void *p, size_t n)
{
    if (w->len + n > w->cap) {
        w->bad = 1;
        return;
    }
    memcpy(w->p + w->len, p, n);
    w->len += n;
}

static inline void kcbor_put_uint(kcbor_w *w, uint64_t v)
{
    kcbor_put_head(w, KCBOR_UINT, v);
}

static inline void kcbor_put_int(kcbor_w *w, int64_t v)
{
    if (v >= 0)
        kcbor_put_head(w, KCBOR_UINT, (uint64_t)v);
    else
        kcbor_put_head(w, KCBOR_NEG, (uint64_t)(-1 - v));
}

static inline void kcbor_put_bytes(kcbor_w *w, const void *p, size_t n)
{
    kcbor_put_head(w, KCBOR_BYTES, n);
    kcbor_put_raw(w, p, n);
}

static inline void kcbor_put_text(kcbor_w *w, const char *s)
{
    size_t n = kstrlen(s);
    kcbor_put_head(w, KCBOR_TEXT, n);
    kcbor_put_raw(w, s, n);
}

#endif
