/*
 * instance.c: instantiation (imports resolved and matched, objects made,
 * segments applied in order, start function run) and export lookup.
 *
 * A failed instantiation leaves its instance in the store, unreachable
 * except through what it already wrote: in WebAssembly 2.0 an active
 * segment that traps stops instantiation, but the writes of the segments
 * before it remain, and they may point at this instance's functions. The
 * store frees it with everything else.
 */
#include <string.h>

#include "wasm/compile.h"
#include "wasm/opcodes.h"
#include "wasm/runtime.h"
#include "wasm/wutil.h"

static void instance_destroy(wr_obj *o)
{
    kw_instance *inst = (kw_instance *)o;
    const kw_module *m = inst->module;
    if (inst->elem_items)
        for (uint32_t i = 0; i < m->nelems; i++) wu_free(inst->elem_items[i]);
    wu_free(inst->elem_items);
    wu_free(inst->elem_len);
    wu_free(inst->data_dropped);
    wu_free(inst->types);
    wu_free(inst->funcs);
    wu_free(inst->own_funcs);
    wu_free(inst->tables);
    wu_free(inst->globals);
    wu_free(inst->gvals);
    kw_module_free(inst->module);
    wu_free(inst);
}

/* The value of a constant expression (validated: its indexes exist). */
static kw_val eval_const(const kw_instance *inst, const wm_const *c)
{
    kw_val v;
    v.raw = 0;
    switch (c->op) {
    case OP_I32_CONST:
    case OP_F32_CONST: v.raw = (uint32_t)c->value; break;
    case OP_I64_CONST:
    case OP_F64_CONST: v.raw = c->value; break;
    case OP_REF_NULL: v.raw = 0; break;
    case OP_REF_FUNC: v.func = inst->funcs[c->value]; break;
    case OP_GLOBAL_GET: v = inst->globals[c->value]->val; break;
    }
    return v;
}

static int limits_match(uint32_t size, const kw_limits *have, const kw_limits *want)
{
    if (size < want->min) return 0;
    if (want->has_max && (!have->has_max || have->max > want->max)) return 0;
    return 1;
}

static const char *kind_name(int kind)
{
    static const char *const names[] = {"function", "table", "memory", "global"};
    return kind >= 0 && kind <= 3 ? names[kind] : "?";
}

/* Resolves and checks import i, storing the object in its index space. */
static int link_import(kw_instance *inst, uint32_t i, kw_resolve_fn resolve, void *user,
                       kw_error *err)
{
    const kw_module *m = inst->module;
    const wm_import *im = &m->imports[i];
    kw_extern_desc d;
    kw_module_import(m, i, &d);
    kw_extern ext;
    memset(&ext, 0, sizeof ext);
    int r = resolve ? resolve(user, m, i, &d, &ext) : KW_E_UNKNOWN_IMPORT;
    if (r != KW_OK || !ext.u.func)
        return wu_err(err, KW_E_UNKNOWN_IMPORT, KW_NO_OFFSET, "unknown import %.*s.%.*s",
                      (int)d.module_len, d.module, (int)d.name_len, d.name);
    int ok = ext.kind == im->kind;
    if (ok) switch (im->kind) {
        case KW_EXTERN_FUNC:
            ok = ext.u.func->type == inst->types[m->func_types[im->index]];
            if (ok) inst->funcs[im->index] = ext.u.func;
            break;
        case KW_EXTERN_TABLE: {
            const kw_table *t = ext.u.table;
            ok = t->store == inst->store && t->elemtype == m->tables[im->index].elemtype &&
                 limits_match(t->size, &t->limits, &m->tables[im->index].limits);
            if (ok) inst->tables[im->index] = ext.u.table;
            break;
        }
        case KW_EXTERN_MEMORY: {
            const kw_memory *mem = ext.u.memory;
            ok = mem->store == inst->store && limits_match(mem->pages, &mem->limits, &m->mems[im->index]);
            if (ok) inst->mem0 = ext.u.memory;
            break;
        }
        case KW_EXTERN_GLOBAL: {
            const kw_global *g = ext.u.global;
            ok = g->type == m->globals[im->index].type && g->mut == m->globals[im->index].mut;
            if (ok) inst->globals[im->index] = ext.u.global;
            break;
        }
        }
    if (!ok)
        return wu_err(err, KW_E_INCOMPATIBLE_IMPORT, KW_NO_OFFSET,
                      "incompatible import type for %.*s.%.*s (a %s is expected)",
                      (int)d.module_len, d.module, (int)d.name_len, d.name, kind_name(im->kind));
    return KW_OK;
}

static int alloc_arrays(kw_instance *inst)
{
    const kw_module *m = inst->module;
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    inst->types = wu_calloc(m->ntypes ? m->ntypes : 1, sizeof *inst->types);
    inst->funcs = wu_calloc(m->nfuncs ? m->nfuncs : 1, sizeof *inst->funcs);
    inst->own_funcs = wu_calloc(ndef ? ndef : 1, sizeof *inst->own_funcs);
    inst->tables = wu_calloc(m->ntables ? m->ntables : 1, sizeof *inst->tables);
    inst->globals = wu_calloc(m->nglobals ? m->nglobals : 1, sizeof *inst->globals);
    inst->gvals = wu_calloc(m->nglobals ? m->nglobals : 1, sizeof *inst->gvals);
    inst->elem_items = wu_calloc(m->nelems ? m->nelems : 1, sizeof *inst->elem_items);
    inst->elem_len = wu_calloc(m->nelems ? m->nelems : 1, sizeof *inst->elem_len);
    inst->data_dropped = wu_calloc(m->ndatas ? m->ndatas : 1, 1);
    return inst->types && inst->funcs && inst->own_funcs && inst->tables && inst->globals &&
           inst->gvals && inst->elem_items && inst->elem_len && inst->data_dropped;
}

/* Applies active segments in order, then runs the start function. */
static int initialise(kw_instance *inst, kw_error *err)
{
    const kw_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *e = &m->elems[i];
        if (e->mode == WM_SEG_ACTIVE) {
            kw_table *t = inst->tables[e->table];
            uint32_t off = eval_const(inst, &e->offset).i32;
            if ((uint64_t)off + e->count > t->size)
                return wu_err(err, KW_TRAP_TABLE_OOB, KW_NO_OFFSET,
                              "out of bounds table access (element segment %u)", i);
            if (e->count)
                memcpy(t->elems + off, inst->elem_items[i], (size_t)e->count * sizeof(void *));
        }
        if (e->mode != WM_SEG_PASSIVE) inst->elem_len[i] = 0; /* elem.drop */
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wm_data *d = &m->datas[i];
        if (d->mode != WM_SEG_ACTIVE) continue;
        kw_memory *mem = inst->mem0;
        uint32_t off = eval_const(inst, &d->offset).i32;
        if (!mem || (uint64_t)off + d->len > mem->size)
            return wu_err(err, KW_TRAP_MEMORY_OOB, KW_NO_OFFSET,
                          "out of bounds memory access (data segment %u)", i);
        if (d->len) memcpy(mem->data + off, m->bytes + d->off, d->len);
        inst->data_dropped[i] = 1;
    }
    if (m->has_start) return kw_call(inst->store, inst->funcs[m->start], NULL, 0, NULL, 0, err);
    return KW_OK;
}

int kw_instantiate(kw_store *s, const kw_module *cm, kw_resolve_fn resolve, void *user,
                   kw_instance **out, kw_error *err)
{
    if (!s || !cm || !out) return wu_err(err, KW_E_ARG, KW_NO_OFFSET, "missing argument");
    kw_module *m = (kw_module *)cm; /* only its reference count changes */
    kw_instance *inst = wu_calloc(1, sizeof *inst);
    if (!inst) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
    __atomic_add_fetch(&m->refs, 1, __ATOMIC_ACQ_REL);
    inst->module = m;
    inst->store = s;
    wr_obj_add(s, &inst->obj, instance_destroy);
    if (!alloc_arrays(inst)) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");

    for (uint32_t i = 0; i < m->ntypes; i++) {
        const wm_functype *ft = &m->types[i];
        inst->types[i] = wr_type_intern(s, ft->params, ft->nparams, ft->results, ft->nresults);
        if (!inst->types[i]) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
    }
    int rc;
    for (uint32_t i = 0; i < m->nimports; i++)
        if ((rc = link_import(inst, i, resolve, user, err)) != KW_OK) return rc;

    for (uint32_t j = 0; j < m->nfuncs - m->nfunc_imports; j++) {
        kw_func *f = &inst->own_funcs[j];
        f->type = inst->types[m->func_types[m->nfunc_imports + j]];
        f->inst = inst;
        f->code = &m->code[j];
        inst->funcs[m->nfunc_imports + j] = f;
    }
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        rc = kw_table_new(s, m->tables[i].elemtype, m->tables[i].limits, NULL, &inst->tables[i], err);
        if (rc) return rc;
    }
    for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
        rc = kw_memory_new(s, m->mems[i], &inst->mem0, err);
        if (rc) return rc;
    }
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        const wm_global *g = &m->globals[i];
        rc = kw_global_new(s, g->type, g->mut, eval_const(inst, &g->init), &inst->globals[i], err);
        if (rc) return rc;
    }
    for (uint32_t i = 0; i < m->nglobals; i++) inst->gvals[i] = &inst->globals[i]->val;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *e = &m->elems[i];
        if (!e->count) continue;
        inst->elem_items[i] = wu_calloc(e->count, sizeof(void *));
        if (!inst->elem_items[i]) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
        for (uint32_t k = 0; k < e->count; k++) inst->elem_items[i][k] = eval_const(inst, &e->items[k]).ref;
        inst->elem_len[i] = e->count;
    }
    if ((rc = initialise(inst, err)) != KW_OK) return rc;
    *out = inst;
    return KW_OK;
}

int kw_instance_export(kw_instance *inst, const char *name, size_t len, kw_extern *out)
{
    const kw_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wm_export *ex = &m->exports[i];
        if (ex->name_len != len || memcmp(m->bytes + ex->name_off, name, len) != 0) continue;
        out->kind = ex->kind;
        switch (ex->kind) {
        case KW_EXTERN_FUNC: out->u.func = inst->funcs[ex->index]; break;
        case KW_EXTERN_TABLE: out->u.table = inst->tables[ex->index]; break;
        case KW_EXTERN_MEMORY: out->u.memory = inst->mem0; break;
        case KW_EXTERN_GLOBAL: out->u.global = inst->globals[ex->index]; break;
        }
        return KW_OK;
    }
    return KW_E_NOT_FOUND;
}

kw_memory *kw_instance_memory(kw_instance *inst)
{
    return inst->mem0;
}

const kw_module *kw_instance_module(const kw_instance *inst)
{
    return inst->module;
}
