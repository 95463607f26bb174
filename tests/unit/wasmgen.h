/*
 * wasmgen.h: builds small WebAssembly modules in tests, so that each host
 * function can be called from a module made for it (one import, one entry
 * point) without a file per case.
 *
 *   wg m; wg_init(&m);
 *   int f = wg_import(&m, "kapsule", "clock_now", "", "I");
 *   wg_code c = {0};
 *   wg_call(&c, f); wg_op(&c, OP_I32_WRAP_I64);
 *   wg_func(&m, "kapsule_run", "", "i", &c);
 *   wg_data(&m, 1024, "abc", 3);
 *   wg_finish(&m, &bytes, &len);
 *
 * Types are strings of 'i' (i32) and 'I' (i64). Every module gets one
 * memory of m.pages pages (default 1), exported as "memory". Imports come
 * first in the function index space, in the order they were added.
 */
#ifndef KP_TEST_WASMGEN_H
#define KP_TEST_WASMGEN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

enum {
    OP_UNREACHABLE = 0x00, OP_DROP = 0x1a, OP_END = 0x0b, OP_CALL = 0x10,
    OP_LOCAL_GET = 0x20, OP_LOCAL_SET = 0x21, OP_I32_CONST = 0x41, OP_I64_CONST = 0x42,
    OP_I32_WRAP_I64 = 0xa7, OP_I32_ADD = 0x6a, OP_I32_LOAD = 0x28, OP_I32_STORE = 0x36,
    OP_I64_STORE = 0x37, OP_RETURN = 0x0f, OP_BR_IF = 0x0d, OP_LOOP = 0x03, OP_BLOCK = 0x02,
    OP_I32_SUB = 0x6b, OP_I32_EQZ = 0x45
};

typedef struct wg_code {
    buf b;
} wg_code;

#define WG_MAX 128

typedef struct wg {
    int nimports, nfuncs, ndata;
    const char *imod[WG_MAX], *iname[WG_MAX], *ip[WG_MAX], *ir[WG_MAX];
    const char *fexport[WG_MAX], *fp[WG_MAX], *fr[WG_MAX];
    const char *flocals[WG_MAX];
    buf fbody[WG_MAX];
    uint32_t doff[WG_MAX];
    buf dbytes[WG_MAX];
    uint32_t pages;
    int no_memory;
} wg;

static inline void wg_uleb(buf *b, uint64_t v)
{
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        if (v) x |= 0x80;
        buf_putc(b, x);
    } while (v);
}

static inline void wg_sleb(buf *b, int64_t v)
{
    for (;;) {
        uint8_t x = v & 0x7f;
        v >>= 7;
        if ((v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40))) {
            buf_putc(b, x);
            return;
        }
        buf_putc(b, x | 0x80);
    }
}

static inline void wg_init(wg *m)
{
    memset(m, 0, sizeof *m);
    m->pages = 1;
}

static inline int wg_import(wg *m, const char *mod, const char *name, const char *p, const char *r)
{
    if (m->nimports == WG_MAX) abort();
    int i = m->nimports++;
    m->imod[i] = mod;
    m->iname[i] = name;
    m->ip[i] = p;
    m->ir[i] = r;
    return i;
}

/* Function index of the k-th defined function. */
static inline int wg_func_index(const wg *m, int k)
{
    return m->nimports + k;
}

static inline int wg_func_locals(wg *m, const char *export_name, const char *p, const char *r,
                                 const char *locals, wg_code *c)
{
    if (m->nfuncs == WG_MAX) abort();
    int k = m->nfuncs++;
    m->fexport[k] = export_name;
    m->fp[k] = p;
    m->fr[k] = r;
    m->flocals[k] = locals;
    m->fbody[k] = c->b;
    memset(c, 0, sizeof *c);
    return m->nimports + k;
}

static inline int wg_func(wg *m, const char *export_name, const char *p, const char *r, wg_code *c)
{
    return wg_func_locals(m, export_name, p, r, "", c);
}

static inline void wg_data(wg *m, uint32_t off, const void *p, size_t n)
{
    if (m->ndata == WG_MAX) abort();
    int k = m->ndata++;
    m->doff[k] = off;
    memset(&m->dbytes[k], 0, sizeof(buf));
    buf_append(&m->dbytes[k], p, n);
}

static inline void wg_op(wg_code *c, uint8_t op)
{
    buf_putc(&c->b, op);
}

static inline void wg_i32(wg_code *c, int32_t v)
{
    buf_putc(&c->b, OP_I32_CONST);
    wg_sleb(&c->b, v);
}

static inline void wg_i64(wg_code *c, int64_t v)
{
    buf_putc(&c->b, OP_I64_CONST);
    wg_sleb(&c->b, v);
}

static inline void wg_call(wg_code *c, int f)
{
    buf_putc(&c->b, OP_CALL);
    wg_uleb(&c->b, (uint64_t)f);
}

static inline void wg_local_get(wg_code *c, int i)
{
    buf_putc(&c->b, OP_LOCAL_GET);
    wg_uleb(&c->b, (uint64_t)i);
}

static inline void wg_mem(wg_code *c, uint8_t op, uint32_t align, uint32_t off)
{
    buf_putc(&c->b, op);
    wg_uleb(&c->b, align);
    wg_uleb(&c->b, off);
}

static inline void wg_valtypes(buf *b, const char *t)
{
    wg_uleb(b, strlen(t));
    for (; *t; t++) buf_putc(b, *t == 'i' ? 0x7f : 0x7e);
}

static inline void wg_name(buf *b, const char *s)
{
    wg_uleb(b, strlen(s));
    buf_append(b, s, strlen(s));
}

static inline void wg_section(buf *out, uint8_t id, buf *s)
{
    buf_putc(out, id);
    wg_uleb(out, s->len);
    buf_append(out, s->p, s->len);
    buf_free(s);
}

/* The module's bytes in *out (free with free()). Frees what m held. */
static inline void wg_finish(wg *m, uint8_t **out, size_t *len)
{
    buf o = {0}, s = {0};
    buf_append(&o, "\0asm\1\0\0\0", 8);
    /* one type per import and per function, in that order */
    int nt = m->nimports + m->nfuncs;
    wg_uleb(&s, (uint64_t)nt);
    for (int i = 0; i < m->nimports; i++) {
        buf_putc(&s, 0x60);
        wg_valtypes(&s, m->ip[i]);
        wg_valtypes(&s, m->ir[i]);
    }
    for (int k = 0; k < m->nfuncs; k++) {
        buf_putc(&s, 0x60);
        wg_valtypes(&s, m->fp[k]);
        wg_valtypes(&s, m->fr[k]);
    }
    wg_section(&o, 1, &s);
    if (m->nimports) {
        wg_uleb(&s, (uint64_t)m->nimports);
        for (int i = 0; i < m->nimports; i++) {
            wg_name(&s, m->imod[i]);
            wg_name(&s, m->iname[i]);
            buf_putc(&s, 0x00);
            wg_uleb(&s, (uint64_t)i);
        }
        wg_section(&o, 2, &s);
    }
    wg_uleb(&s, (uint64_t)m->nfuncs);
    for (int k = 0; k < m->nfuncs; k++) wg_uleb(&s, (uint64_t)(m->nimports + k));
    wg_section(&o, 3, &s);
    if (!m->no_memory) {
        wg_uleb(&s, 1);
        buf_putc(&s, 0x00);
        wg_uleb(&s, m->pages);
        wg_section(&o, 5, &s);
    }
    int ne = m->no_memory ? 0 : 1;
    for (int k = 0; k < m->nfuncs; k++) ne += m->fexport[k] != NULL;
    wg_uleb(&s, (uint64_t)ne);
    if (!m->no_memory) {
        wg_name(&s, "memory");
        buf_putc(&s, 0x02);
        wg_uleb(&s, 0);
    }
    for (int k = 0; k < m->nfuncs; k++) {
        if (!m->fexport[k]) continue;
        wg_name(&s, m->fexport[k]);
        buf_putc(&s, 0x00);
        wg_uleb(&s, (uint64_t)(m->nimports + k));
    }
    wg_section(&o, 7, &s);
    wg_uleb(&s, (uint64_t)m->nfuncs);
    for (int k = 0; k < m->nfuncs; k++) {
        buf f = {0};
        const char *loc = m->flocals[k];
        wg_uleb(&f, strlen(loc));
        for (; *loc; loc++) {
            wg_uleb(&f, 1);
            buf_putc(&f, *loc == 'i' ? 0x7f : 0x7e);
        }
        buf_append(&f, m->fbody[k].p, m->fbody[k].len);
        buf_putc(&f, OP_END);
        wg_uleb(&s, f.len);
        buf_append(&s, f.p, f.len);
        buf_free(&f);
        buf_free(&m->fbody[k]);
    }
    wg_section(&o, 10, &s);
    if (m->ndata) {
        wg_uleb(&s, (uint64_t)m->ndata);
        for (int k = 0; k < m->ndata; k++) {
            buf_putc(&s, 0x00);
            buf_putc(&s, OP_I32_CONST);
            wg_sleb(&s, (int32_t)m->doff[k]);
            buf_putc(&s, OP_END);
            wg_uleb(&s, m->dbytes[k].len);
            buf_append(&s, m->dbytes[k].p, m->dbytes[k].len);
            buf_free(&m->dbytes[k]);
        }
        wg_section(&o, 11, &s);
    }
    *out = malloc(o.len);
    memcpy(*out, o.p, o.len);
    *len = o.len;
    buf_free(&o);
}

#endif
