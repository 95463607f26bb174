/*
 * store.c: the store and the runtime objects it owns (functions, memories,
 * tables, globals), interned function types, fuel, and kw_call, the one
 * entry from the embedder into wasm code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/compile.h"
#include "wasm/runtime.h"
#include "wasm/wutil.h"

/* ---- store -------------------------------------------------------------- */

kw_store *kw_store_new(const kw_config *cfg)
{
    kw_store *s = wu_calloc(1, sizeof *s);
    if (!s) return NULL;
    wm_config_defaults(&s->cfg, cfg);
    s->fuel = INT64_MAX;
    s->fuel_budget = UINT64_MAX;
    return s;
}

void kw_store_free(kw_store *s)
{
    if (!s) return;
    wr_obj *o = s->objects;
    while (o) {
        wr_obj *next = o->next;
        o->destroy(o);
        o = next;
    }
    wr_type *t = s->types;
    while (t) {
        wr_type *next = t->next;
        wu_free(t);
        t = next;
    }
    wu_free(s->stack);
    wu_free(s->frames);
    wu_free(s);
}

void wr_obj_add(kw_store *s, wr_obj *o, void (*destroy)(wr_obj *))
{
    o->destroy = destroy;
    o->next = s->objects;
    s->objects = o;
}

/* The value and frame stacks are made on the first call, so that an idle
   store costs nothing. The value stack is one allocation of the configured
   size; pages the code never touches are never made resident. */
int wr_stack_ensure(kw_store *s, kw_error *err)
{
    if (s->stack) return KW_OK;
    uint64_t slots = s->cfg.max_stack_bytes / 8;
    if (slots < 64) slots = 64;
    s->stack = wu_alloc((size_t)slots * 8);
    s->frames = wu_calloc((size_t)s->cfg.max_call_depth + 1, sizeof(wr_frame));
    if (!s->stack || !s->frames) {
        wu_free(s->stack);
        wu_free(s->frames);
        s->stack = NULL;
        s->frames = NULL;
        return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory for the call stack");
    }
    s->stack_slots = slots;
    s->stack_top = s->stack;
    return KW_OK;
}

void kw_store_set_fuel(kw_store *s, uint64_t fuel)
{
    s->fuel_budget = fuel;
    s->fuel = fuel > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)fuel;
}

uint64_t kw_store_fuel_left(const kw_store *s)
{
    if (s->fuel_budget == UINT64_MAX) return UINT64_MAX;
    return (uint64_t)s->fuel;
}

uint64_t kw_store_fuel_used(const kw_store *s)
{
    uint64_t start = s->fuel_budget > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : s->fuel_budget;
    return start - (uint64_t)s->fuel;
}

uint64_t kw_store_peak_memory(const kw_store *s)
{
    return s->mem_peak;
}

/* ---- types -------------------------------------------------------------- */

const wr_type *wr_type_intern(kw_store *s, const uint8_t *params, uint32_t np,
                              const uint8_t *results, uint32_t nr)
{
    for (wr_type *t = s->types; t; t = t->next) {
        if (t->nparams == np && t->nresults == nr && (np == 0 || memcmp(t->params, params, np) == 0) &&
            (nr == 0 || memcmp(t->results, results, nr) == 0))
            return t;
    }
    size_t size;
    if (!wu_add(sizeof(wr_type), (size_t)np + nr, &size)) return NULL;
    wr_type *t = wu_alloc(size);
    if (!t) return NULL;
    t->nparams = np;
    t->nresults = nr;
    t->params = (uint8_t *)(t + 1);
    t->results = t->params + np;
    if (np) memcpy(t->params, params, np);
    if (nr) memcpy(t->results, results, nr);
    t->next = s->types;
    s->types = t;
    return t;
}

static int is_valtype(uint8_t t)
{
    return t == KW_I32 || t == KW_I64 || t == KW_F32 || t == KW_F64 || t == KW_FUNCREF ||
           t == KW_EXTERNREF;
}

/* Keeps the slot invariant (runtime.h) for values that come from outside. */
static uint64_t normalize(uint8_t type, kw_val v)
{
    return type == KW_I32 || type == KW_F32 ? (uint64_t)v.i32 : v.raw;
}

/* ---- functions ------------------------------------------------------------ */

static void plain_destroy(wr_obj *o)
{
    wu_free(o);
}

kw_func *kw_func_new_host(kw_store *s, const uint8_t *params, uint32_t nparams,
                          const uint8_t *results, uint32_t nresults, kw_host_fn fn, void *user)
{
    if (!s || !fn) return NULL;
    for (uint32_t i = 0; i < nparams; i++)
        if (!is_valtype(params[i])) return NULL;
    for (uint32_t i = 0; i < nresults; i++)
        if (!is_valtype(results[i])) return NULL;
    const wr_type *t = wr_type_intern(s, params, nparams, results, nresults);
    if (!t) return NULL;
    kw_func *f = wu_calloc(1, sizeof *f);
    if (!f) return NULL;
    f->type = t;
    f->host = fn;
    f->user = user;
    wr_obj_add(s, &f->obj, plain_destroy);
    return f;
}

void kw_func_type(const kw_func *f, const uint8_t **params, uint32_t *nparams,
                  const uint8_t **results, uint32_t *nresults)
{
    if (params) *params = f->type->params;
    if (nparams) *nparams = f->type->nparams;
    if (results) *results = f->type->results;
    if (nresults) *nresults = f->type->nresults;
}

kw_store *kw_call_ctx_store(kw_call_ctx *ctx)
{
    return ctx->store;
}

kw_instance *kw_call_ctx_instance(kw_call_ctx *ctx)
{
    return ctx->inst;
}

kw_memory *kw_call_ctx_memory(kw_call_ctx *ctx)
{
    return ctx->inst ? ctx->inst->mem0 : NULL;
}

int kw_call_ctx_trap(kw_call_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wu_verr(&ctx->store->trap, code, KW_NO_OFFSET, fmt, ap);
    va_end(ap);
    return code;
}

int kw_call(kw_store *s, kw_func *f, const kw_val *args, uint32_t nargs, kw_val *results,
            uint32_t nresults, kw_error *err)
{
    if (!s || !f || (nargs && !args) || (nresults && !results))
        return wu_err(err, KW_E_ARG, KW_NO_OFFSET, "missing argument to kw_call");
    const wr_type *t = f->type;
    if (nargs != t->nparams || nresults != t->nresults)
        return wu_err(err, KW_E_ARG, KW_NO_OFFSET,
                      "function takes %u arguments and returns %u results, called with %u and %u",
                      t->nparams, t->nresults, nargs, nresults);
    int rc = wr_stack_ensure(s, err);
    if (rc) return rc;
    uint32_t nmax = t->nparams > t->nresults ? t->nparams : t->nresults;
    uint64_t *fp = s->stack_top;
    uint64_t need = f->code ? f->code->frame_slots : nmax;
    if ((uint64_t)(s->stack + s->stack_slots - fp) < need)
        return wu_err(err, KW_TRAP_STACK, KW_NO_OFFSET, "%s", kw_status_message(KW_TRAP_STACK));
    for (uint32_t i = 0; i < nargs; i++) fp[i] = normalize(t->params[i], args[i]);
    if (f->host) {
        if (s->nest >= WR_MAX_NEST)
            return wu_err(err, KW_TRAP_CALL_DEPTH, KW_NO_OFFSET, "%s",
                          kw_status_message(KW_TRAP_CALL_DEPTH));
        kw_call_ctx ctx = {s, NULL};
        uint64_t *saved = s->stack_top;
        s->stack_top = fp + nmax;
        s->trap.code = KW_OK;
        s->nest++;
        rc = f->host(&ctx, f->user, (const kw_val *)fp, (kw_val *)fp);
        s->nest--;
        s->stack_top = saved;
        if (rc != KW_OK && s->trap.code != rc) wr_trap_message(s, rc, NULL, NULL);
    } else {
        rc = wr_run(s, f->inst, f->code, fp);
    }
    if (rc != KW_OK) {
        if (err) *err = s->trap;
        return rc;
    }
    for (uint32_t i = 0; i < nresults; i++) results[i].raw = normalize(t->results[i], (kw_val){.raw = fp[i]});
    return KW_OK;
}

/* ---- memories ------------------------------------------------------------- */

static void memory_destroy(wr_obj *o)
{
    kw_memory *m = (kw_memory *)o;
    m->store->mem_bytes -= m->size;
    wu_free(m->data);
    wu_free(m);
}

/* The effective maximum pages: the declared max, capped by the store. */
static uint32_t memory_max(const kw_memory *m)
{
    uint32_t cap = m->store->cfg.max_memory_pages;
    return m->limits.has_max && m->limits.max < cap ? m->limits.max : cap;
}

int64_t wr_memory_grow(kw_memory *m, uint32_t delta)
{
    if (!m) return -1;
    uint32_t old = m->pages;
    if (delta == 0) return old;
    if ((uint64_t)old + delta > memory_max(m)) return -1;
    uint64_t nsize = ((uint64_t)old + delta) * KW_PAGE_SIZE;
    if (nsize > SIZE_MAX) return -1;
    /* A first allocation comes zeroed from calloc, which for large blocks
       maps fresh pages and touches none of them: a module that declares
       pages it never uses (most do) costs no page faults. Growth must zero
       the new part itself. */
    uint8_t *p = m->data ? realloc(m->data, (size_t)nsize) : calloc(1, (size_t)nsize);
    if (!p) return -1;
    if (m->data) memset(p + m->size, 0, (size_t)(nsize - m->size));
    m->data = p;
    m->store->mem_bytes += nsize - m->size;
    if (m->store->mem_bytes > m->store->mem_peak) m->store->mem_peak = m->store->mem_bytes;
    m->size = nsize;
    m->pages = old + delta;
    return old;
}

int kw_memory_new(kw_store *s, kw_limits lim, kw_memory **out, kw_error *err)
{
    if (!s || !out) return wu_err(err, KW_E_ARG, KW_NO_OFFSET, "missing argument");
    if (lim.min > 65536 || (lim.has_max && (lim.max > 65536 || lim.max < lim.min)))
        return wu_err(err, KW_E_ARG, KW_NO_OFFSET, "memory limits out of range");
    if (lim.min > s->cfg.max_memory_pages)
        return wu_err(err, KW_E_LIMIT_MEMORY, KW_NO_OFFSET,
                      "memory of %u pages is over the limit of %u pages", lim.min,
                      s->cfg.max_memory_pages);
    kw_memory *m = wu_calloc(1, sizeof *m);
    if (!m) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
    m->store = s;
    m->limits = lim;
    if (lim.min && wr_memory_grow(m, lim.min) < 0) {
        wu_free(m);
        return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory for %u pages", lim.min);
    }
    wr_obj_add(s, &m->obj, memory_destroy);
    *out = m;
    return KW_OK;
}

uint64_t kw_memory_size(const kw_memory *m)
{
    return m->size;
}

uint8_t *kw_memory_data(kw_memory *m)
{
    return m->data;
}

uint8_t *kw_memory_slice(kw_memory *m, uint64_t offset, uint64_t len)
{
    if (!m || offset > m->size || len > m->size - offset) return NULL;
    if (!m->data) return len == 0 ? (uint8_t *)"" : NULL;
    return m->data + offset;
}

int kw_memory_grow(kw_memory *m, uint32_t delta, uint32_t *old_pages)
{
    int64_t r = wr_memory_grow(m, delta);
    if (r < 0) return KW_E_LIMIT_MEMORY;
    if (old_pages) *old_pages = (uint32_t)r;
    return KW_OK;
}

/* ---- tables ---------------------------------------------------------------- */

static void table_destroy(wr_obj *o)
{
    kw_table *t = (kw_table *)o;
    wu_free(t->elems);
    wu_free(t);
}

int64_t wr_table_grow(kw_table *t, uint32_t delta, void *init)
{
    uint32_t old = t->size;
    uint32_t cap = t->store->cfg.max_table_elems;
    uint32_t max = t->limits.has_max && t->limits.max < cap ? t->limits.max : cap;
    if ((uint64_t)old + delta > max) return -1;
    uint32_t n = old + delta;
    if (n > t->cap) {
        uint64_t ncap = t->cap ? (uint64_t)t->cap * 2 : 8;
        if (ncap < n) ncap = n;
        if (ncap > max) ncap = max;
        void **p = wu_realloc(t->elems, (size_t)ncap, sizeof(void *));
        if (!p) return -1;
        t->elems = p;
        t->cap = (uint32_t)ncap;
    }
    for (uint32_t i = old; i < n; i++) t->elems[i] = init;
    t->size = n;
    return old;
}

int kw_table_new(kw_store *s, uint8_t elemtype, kw_limits lim, void *init, kw_table **out,
                 kw_error *err)
{
    if (!s || !out || (elemtype != KW_FUNCREF && elemtype != KW_EXTERNREF))
        return wu_err(err, KW_E_ARG, KW_NO_OFFSET, "bad table type");
    if (lim.has_max && lim.max < lim.min)
        return wu_err(err, KW_E_ARG, KW_NO_OFFSET, "table limits out of order");
    if (lim.min > s->cfg.max_table_elems)
        return wu_err(err, KW_E_LIMIT_TABLE, KW_NO_OFFSET,
                      "table of %u elements is over the limit of %u", lim.min,
                      s->cfg.max_table_elems);
    kw_table *t = wu_calloc(1, sizeof *t);
    if (!t) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
    t->store = s;
    t->elemtype = elemtype;
    t->limits = lim;
    if (lim.min && wr_table_grow(t, lim.min, init) < 0) {
        wu_free(t);
        return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory for a table");
    }
    wr_obj_add(s, &t->obj, table_destroy);
    *out = t;
    return KW_OK;
}

uint32_t kw_table_size(const kw_table *t)
{
    return t->size;
}

int kw_table_get(const kw_table *t, uint32_t i, void **ref)
{
    if (i >= t->size) return KW_TRAP_TABLE_OOB;
    *ref = t->elems[i];
    return KW_OK;
}

int kw_table_set(kw_table *t, uint32_t i, void *ref)
{
    if (i >= t->size) return KW_TRAP_TABLE_OOB;
    t->elems[i] = ref;
    return KW_OK;
}

/* ---- globals --------------------------------------------------------------- */

int kw_global_new(kw_store *s, uint8_t valtype, int mut, kw_val v, kw_global **out,
                  kw_error *err)
{
    if (!s || !out || !is_valtype(valtype))
        return wu_err(err, KW_E_ARG, KW_NO_OFFSET, "bad global type");
    kw_global *g = wu_calloc(1, sizeof *g);
    if (!g) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
    g->type = valtype;
    g->mut = mut ? 1 : 0;
    g->val.raw = normalize(valtype, v);
    wr_obj_add(s, &g->obj, plain_destroy);
    *out = g;
    return KW_OK;
}

kw_val kw_global_get(const kw_global *g)
{
    return g->val;
}

void kw_global_set(kw_global *g, kw_val v)
{
    g->val.raw = normalize(g->type, v);
}

void kw_global_type(const kw_global *g, uint8_t *valtype, int *mut)
{
    if (valtype) *valtype = g->type;
    if (mut) *mut = g->mut;
}
