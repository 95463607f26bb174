/*
 * module.c: kw_module_new runs the pipeline (copy, decode, validate,
 * compile) and the module's public introspection. A module is immutable
 * once made and reference counted, so instances keep it alive.
 */
#include <string.h>

#include "wasm/compile.h"
#include "wasm/module.h"
#include "wasm/wutil.h"

void wm_config_defaults(kw_config *out, const kw_config *cfg)
{
    kw_config c;
    if (cfg)
        c = *cfg;
    else
        memset(&c, 0, sizeof c);
    if (!c.max_module_bytes) c.max_module_bytes = 64u << 20;
    if (!c.max_funcs) c.max_funcs = 1000000;
    if (!c.max_locals) c.max_locals = 50000;
    if (!c.max_nesting) c.max_nesting = 1024;
    if (!c.max_br_table) c.max_br_table = 100000;
    if (!c.max_section_items) c.max_section_items = 1000000;
    if (!c.max_body_bytes) c.max_body_bytes = 16u << 20;
    if (!c.max_memory_pages || c.max_memory_pages > 65536) c.max_memory_pages = 65536;
    if (!c.max_table_elems) c.max_table_elems = 10000000;
    if (!c.max_call_depth) c.max_call_depth = 10000;
    if (!c.max_stack_bytes) c.max_stack_bytes = 8u << 20;
    *out = c;
}

uint8_t wm_local_type(const kw_module *m, uint32_t def, uint32_t i)
{
    const wm_functype *ft = wm_func_type(m, m->nfunc_imports + def);
    if (i < ft->nparams) return ft->params[i];
    i -= ft->nparams;
    const wm_body *b = &m->bodies[def];
    for (uint32_t g = 0; g < b->ngroups; g++) {
        const wm_locals *l = &m->localgroups[b->first_group + g];
        if (i < l->count) return l->type;
        i -= l->count;
    }
    return 0;
}

static void module_destroy(kw_module *m)
{
    cmp_module_free(m);
    dec_module_free(m);
    wu_free(m->bytes);
    wu_free(m);
}

int kw_module_new(const kw_config *cfg, const uint8_t *bytes, size_t len, kw_module **out,
                  kw_error *err)
{
    if (!out || (!bytes && len)) return wu_err(err, KW_E_ARG, KW_NO_OFFSET, "no module bytes");
    kw_module *m = wu_calloc(1, sizeof *m);
    if (!m) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
    m->refs = 1;
    wm_config_defaults(&m->cfg, cfg);
    if (len > m->cfg.max_module_bytes) {
        wu_err(err, KW_E_LIMIT_MODULE_SIZE, KW_NO_OFFSET,
               "module of %zu bytes is over the limit of %llu", len,
               (unsigned long long)m->cfg.max_module_bytes);
        wu_free(m);
        return KW_E_LIMIT_MODULE_SIZE;
    }
    m->bytes = wu_alloc(len ? len : 1);
    if (!m->bytes) {
        wu_free(m);
        return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
    }
    if (len) memcpy(m->bytes, bytes, len);
    m->len = len;
    int rc = dec_module(m, err);
    if (rc == KW_OK) rc = val_module(m, err);
    if (rc == KW_OK) rc = cmp_module(m, err);
    if (rc != KW_OK) {
        module_destroy(m);
        return rc;
    }
    *out = m;
    return KW_OK;
}

kw_module *kw_module_ref(kw_module *m)
{
    if (m) __atomic_add_fetch(&m->refs, 1, __ATOMIC_ACQ_REL);
    return m;
}

void kw_module_free(kw_module *m)
{
    if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0) module_destroy(m);
}

uint32_t kw_module_import_count(const kw_module *m)
{
    return m->nimports;
}

uint32_t kw_module_export_count(const kw_module *m)
{
    return m->nexports;
}

/* Fills the type part of a description for an item of a kind and index. */
static void describe(const kw_module *m, int kind, uint32_t index, kw_extern_desc *d)
{
    d->kind = kind;
    switch (kind) {
    case KW_EXTERN_FUNC: {
        const wm_functype *ft = wm_func_type(m, index);
        d->params = ft->params;
        d->nparams = ft->nparams;
        d->results = ft->results;
        d->nresults = ft->nresults;
        break;
    }
    case KW_EXTERN_TABLE:
        d->valtype = m->tables[index].elemtype;
        d->limits = m->tables[index].limits;
        break;
    case KW_EXTERN_MEMORY: d->limits = m->mems[index]; break;
    case KW_EXTERN_GLOBAL:
        d->valtype = m->globals[index].type;
        d->mut = m->globals[index].mut;
        break;
    }
}

int kw_module_import(const kw_module *m, uint32_t i, kw_extern_desc *d)
{
    if (i >= m->nimports) return KW_E_NOT_FOUND;
    const wm_import *im = &m->imports[i];
    memset(d, 0, sizeof *d);
    d->module = (const char *)m->bytes + im->module_off;
    d->module_len = im->module_len;
    d->name = (const char *)m->bytes + im->name_off;
    d->name_len = im->name_len;
    describe(m, im->kind, im->index, d);
    return KW_OK;
}

int kw_module_export(const kw_module *m, uint32_t i, kw_extern_desc *d)
{
    if (i >= m->nexports) return KW_E_NOT_FOUND;
    const wm_export *ex = &m->exports[i];
    memset(d, 0, sizeof *d);
    d->name = (const char *)m->bytes + ex->name_off;
    d->name_len = ex->name_len;
    describe(m, ex->kind, ex->index, d);
    return KW_OK;
}
