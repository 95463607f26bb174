/*
 * decode.c: the strict binary decoder. It checks everything the binary
 * format itself says (magic and version, section ids, order and sizes,
 * LEB128 forms, UTF-8 names, the encoding of every instruction and the
 * block structure of every body, function/code and data count agreement)
 * and fills the kw_module of module.h. Types and indexes are left to the
 * validator, which runs after a module decoded completely, as in the spec.
 *
 * Every count read from the input is bounded by the bytes left in its
 * section (so a lying count fails before anything is allocated) and by the
 * limits of m->cfg. On failure m keeps what it allocated so far, with
 * counts that cover it, for dec_module_free.
 */
#include "wasm/module.h"
#include "wasm/opcodes.h"
#include "wasm/read.h"
#include "wasm/wutil.h"

/* Section ids, and the order in which the non-custom ones must appear. */
enum {
    SEC_CUSTOM, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY, SEC_GLOBAL,
    SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA, SEC_DATACOUNT, SEC_COUNT_
};
static const uint8_t sec_order[SEC_COUNT_] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
static const char *const sec_name[SEC_COUNT_] = {
    "custom", "type", "import", "function", "table", "memory", "global",
    "export", "start", "element", "code", "data", "data count"};

typedef struct dec {
    kw_module *m;
    kw_error *err;
    uint32_t nfunc_defs; /* entries of the function section */
    int have_code, have_data;
    uint32_t func_cap, table_cap, mem_cap, global_cap, group_cap;
} dec;

static int nomem(dec *d)
{
    return wu_err(d->err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
}

/* Grows *p (of *cap elements) to hold need elements. */
static int grow(dec *d, void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return KW_OK;
    uint64_t n = *cap ? (uint64_t)*cap * 2 : 8;
    if (n < need) n = need;
    void *q = wu_realloc(*p, (size_t)n, elem);
    if (!q) return nomem(d);
    *p = q;
    *cap = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
    return KW_OK;
}

/* A count of items of at least min_bytes each, within cfg's item limit. */
static int count(dec *d, rb_reader *s, size_t min_bytes, const char *what, uint32_t *n)
{
    uint64_t at = rb_off(s);
    int rc = rb_count(s, min_bytes, n);
    if (rc != KW_OK) return rc;
    if (*n > d->m->cfg.max_section_items)
        return wu_err(d->err, KW_E_LIMIT_COUNT, at, "%u %s: over the limit of %u", *n, what,
                      d->m->cfg.max_section_items);
    return KW_OK;
}

static int declare_func(dec *d, uint32_t f)
{
    kw_module *m = d->m;
    if (!m->declared_funcs) {
        m->declared_funcs = wu_calloc((size_t)m->nfuncs / 8 + 1, 1);
        if (!m->declared_funcs) return nomem(d);
    }
    /* out-of-range indexes are the validator's to report */
    if (f < m->nfuncs) m->declared_funcs[f >> 3] |= (uint8_t)(1u << (f & 7));
    return KW_OK;
}

static int limits(dec *d, rb_reader *s, kw_limits *l)
{
    uint8_t flag = 0;
    int rc = rb_u8(s, &flag);
    if (rc != KW_OK) return rc;
    /* a flags byte with the LEB128 continuation bit is how a longer
       encoding of 0 or 1 would start (binary.wast) */
    if (flag & 0x80)
        return wu_err(d->err, KW_E_LEB, rb_off(s) - 1,
                      "integer representation too long: limits flags 0x%02x", flag);
    if (flag > 1)
        return wu_err(d->err, KW_E_MALFORMED, rb_off(s) - 1, "malformed limits flags 0x%02x",
                      flag);
    l->has_max = flag;
    l->max = 0;
    if ((rc = rb_u32(s, &l->min)) != KW_OK) return rc;
    if (flag) rc = rb_u32(s, &l->max);
    return rc;
}

static int table_type(dec *d, rb_reader *s, wm_table *t)
{
    int rc = rb_reftype(s, &t->elemtype);
    return rc == KW_OK ? limits(d, s, &t->limits) : rc;
}

static int global_type(dec *d, rb_reader *s, wm_global *g)
{
    int rc = rb_valtype(s, &g->type);
    if (rc != KW_OK) return rc;
    if ((rc = rb_u8(s, &g->mut)) != KW_OK) return rc;
    if (g->mut > 1)
        return wu_err(d->err, KW_E_MALFORMED, rb_off(s) - 1, "malformed mutability 0x%02x",
                      g->mut);
    return KW_OK;
}

/*
 * Reads an expression up to and including its final `end`, checking the
 * encoding of each instruction and that blocks nest. *first gets the first
 * instruction and *n the number before the final end. In a constant
 * expression (const_expr) every ref.func names a declared function (C.refs).
 */
static int expr(dec *d, rb_reader *s, int const_expr, rb_instr *first, uint32_t *n)
{
    uint32_t depth = 1, k = 0;
    for (;;) {
        if (s->p >= s->end)
            return wu_err(d->err, KW_E_EOF, rb_off(s),
                          "unexpected end: %s ends before its final end",
                          const_expr ? "constant expression" : "function body");
        rb_instr in;
        int rc = rb_instr_read(s, &in);
        if (rc != KW_OK) return rc;
        switch (in.op) {
        case OP_BLOCK:
        case OP_LOOP:
        case OP_IF: depth++; break;
        case OP_END:
            if (--depth == 0) {
                *n = k;
                return KW_OK;
            }
            break;
        case OP_MEMORY_INIT:
        case OP_DATA_DROP:
            if (!d->m->has_datacount)
                return wu_err(d->err, KW_E_MALFORMED, in.off,
                              "data count section required (for %s)",
                              in.op == OP_DATA_DROP ? "data.drop" : "memory.init");
            break;
        case OP_REF_FUNC:
            if (const_expr && (rc = declare_func(d, in.x)) != KW_OK) return rc;
            break;
        }
        if (k++ == 0) *first = in;
    }
}

/* A constant expression. The validator re-reads it from c->offset; c holds
   its value when it is the single instruction 2.0 allows. */
static int const_expr(dec *d, rb_reader *s, wm_const *c)
{
    const kw_module *m = d->m;
    rb_instr in;
    uint32_t n = 0;
    memset(c, 0, sizeof *c);
    c->offset = (uint32_t)rb_off(s);
    int rc = expr(d, s, 1, &in, &n);
    if (rc != KW_OK) return rc;
    c->op = n ? (uint16_t)in.op : OP_END;
    if (n != 1) return KW_OK;
    switch (in.op) {
    case OP_I32_CONST: c->type = KW_I32; c->value = in.imm; break;
    case OP_I64_CONST: c->type = KW_I64; c->value = in.imm; break;
    case OP_F32_CONST: c->type = KW_F32; c->value = in.imm; break;
    case OP_F64_CONST: c->type = KW_F64; c->value = in.imm; break;
    case OP_REF_NULL: c->type = (uint8_t)in.x; break;
    case OP_REF_FUNC: c->type = KW_FUNCREF; c->value = in.x; break;
    case OP_GLOBAL_GET:
        c->value = in.x;
        if (in.x < m->nglobals) c->type = m->globals[in.x].type;
        break;
    }
    return KW_OK;
}

/* ---- sections ------------------------------------------------------------------ */

static int sec_type(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint32_t n;
    int rc = count(d, s, 3, "types", &n);
    if (rc != KW_OK) return rc;
    /* every param and result is one byte of this section */
    m->typebytes = wu_alloc(rb_left(s) + 1);
    m->types = wu_calloc(n ? n : 1, sizeof *m->types);
    if (!m->typebytes || !m->types) return nomem(d);
    uint8_t *tb = m->typebytes;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t form = 0;
        if ((rc = rb_u8(s, &form)) != KW_OK) return rc;
        if (form != 0x60)
            return wu_err(d->err, KW_E_MALFORMED, rb_off(s) - 1,
                          "malformed function type: form 0x%02x, not 0x60", form);
        wm_functype *ft = &m->types[i];
        if ((rc = count(d, s, 1, "parameters", &ft->nparams)) != KW_OK) return rc;
        ft->params = tb;
        for (uint32_t k = 0; k < ft->nparams; k++)
            if ((rc = rb_valtype(s, tb++)) != KW_OK) return rc;
        if ((rc = count(d, s, 1, "results", &ft->nresults)) != KW_OK) return rc;
        ft->results = tb;
        for (uint32_t k = 0; k < ft->nresults; k++)
            if ((rc = rb_valtype(s, tb++)) != KW_OK) return rc;
    }
    m->ntypes = n;
    return KW_OK;
}

static int sec_import(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint32_t n;
    int rc = count(d, s, 4, "imports", &n);
    if (rc != KW_OK) return rc;
    m->imports = wu_calloc(n ? n : 1, sizeof *m->imports);
    if (!m->imports) return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wm_import *im = &m->imports[i];
        if ((rc = rb_name(s, &im->module_off, &im->module_len)) != KW_OK) return rc;
        if ((rc = rb_name(s, &im->name_off, &im->name_len)) != KW_OK) return rc;
        if ((rc = rb_u8(s, &im->kind)) != KW_OK) return rc;
        switch (im->kind) {
        case KW_EXTERN_FUNC: {
            if (m->nfuncs >= m->cfg.max_funcs)
                return wu_err(d->err, KW_E_LIMIT_FUNCS, rb_off(s) - 1,
                              "more than %u functions", m->cfg.max_funcs);
            if ((rc = grow(d, (void **)&m->func_types, &d->func_cap, m->nfuncs + 1,
                           sizeof *m->func_types)) != KW_OK)
                return rc;
            if ((rc = rb_u32(s, &m->func_types[m->nfuncs])) != KW_OK) return rc;
            im->index = m->nfuncs++;
            m->nfunc_imports++;
            break;
        }
        case KW_EXTERN_TABLE:
            if ((rc = grow(d, (void **)&m->tables, &d->table_cap, m->ntables + 1,
                           sizeof *m->tables)) != KW_OK)
                return rc;
            if ((rc = table_type(d, s, &m->tables[m->ntables])) != KW_OK) return rc;
            im->index = m->ntables++;
            m->ntable_imports++;
            break;
        case KW_EXTERN_MEMORY:
            if ((rc = grow(d, (void **)&m->mems, &d->mem_cap, m->nmems + 1, sizeof *m->mems)) !=
                KW_OK)
                return rc;
            if ((rc = limits(d, s, &m->mems[m->nmems])) != KW_OK) return rc;
            im->index = m->nmems++;
            m->nmem_imports++;
            break;
        case KW_EXTERN_GLOBAL:
            if ((rc = grow(d, (void **)&m->globals, &d->global_cap, m->nglobals + 1,
                           sizeof *m->globals)) != KW_OK)
                return rc;
            memset(&m->globals[m->nglobals], 0, sizeof *m->globals);
            if ((rc = global_type(d, s, &m->globals[m->nglobals])) != KW_OK) return rc;
            im->index = m->nglobals++;
            m->nglobal_imports++;
            break;
        default:
            return wu_err(d->err, KW_E_MALFORMED, rb_off(s) - 1, "malformed import kind %u",
                          im->kind);
        }
        m->nimports = i + 1;
    }
    return KW_OK;
}

static int sec_function(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint64_t at = rb_off(s);
    uint32_t n;
    int rc = count(d, s, 1, "functions", &n);
    if (rc != KW_OK) return rc;
    if ((uint64_t)m->nfuncs + n > m->cfg.max_funcs)
        return wu_err(d->err, KW_E_LIMIT_FUNCS, at, "%u functions: over the limit of %u",
                      m->nfuncs + n, m->cfg.max_funcs);
    if ((rc = grow(d, (void **)&m->func_types, &d->func_cap, m->nfuncs + n + 1,
                   sizeof *m->func_types)) != KW_OK)
        return rc;
    for (uint32_t i = 0; i < n; i++)
        if ((rc = rb_u32(s, &m->func_types[m->nfuncs + i])) != KW_OK) return rc;
    m->nfuncs += n;
    d->nfunc_defs = n;
    return KW_OK;
}

static int sec_table(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint32_t n;
    int rc = count(d, s, 3, "tables", &n);
    if (rc != KW_OK) return rc;
    if ((rc = grow(d, (void **)&m->tables, &d->table_cap, m->ntables + n + 1,
                   sizeof *m->tables)) != KW_OK)
        return rc;
    for (uint32_t i = 0; i < n; i++, m->ntables++)
        if ((rc = table_type(d, s, &m->tables[m->ntables])) != KW_OK) return rc;
    return KW_OK;
}

static int sec_memory(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint32_t n;
    int rc = count(d, s, 2, "memories", &n);
    if (rc != KW_OK) return rc;
    if ((rc = grow(d, (void **)&m->mems, &d->mem_cap, m->nmems + n + 1, sizeof *m->mems)) !=
        KW_OK)
        return rc;
    for (uint32_t i = 0; i < n; i++, m->nmems++)
        if ((rc = limits(d, s, &m->mems[m->nmems])) != KW_OK) return rc;
    return KW_OK;
}

static int sec_global(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint32_t n;
    int rc = count(d, s, 3, "globals", &n); /* type, mutability, end */
    if (rc != KW_OK) return rc;
    if ((rc = grow(d, (void **)&m->globals, &d->global_cap, m->nglobals + n + 1,
                   sizeof *m->globals)) != KW_OK)
        return rc;
    for (uint32_t i = 0; i < n; i++, m->nglobals++) {
        wm_global *g = &m->globals[m->nglobals];
        memset(g, 0, sizeof *g);
        if ((rc = global_type(d, s, g)) != KW_OK) return rc;
        if ((rc = const_expr(d, s, &g->init)) != KW_OK) return rc;
    }
    return KW_OK;
}

static int sec_export(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint32_t n;
    int rc = count(d, s, 3, "exports", &n);
    if (rc != KW_OK) return rc;
    m->exports = wu_calloc(n ? n : 1, sizeof *m->exports);
    if (!m->exports) return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wm_export *ex = &m->exports[i];
        if ((rc = rb_name(s, &ex->name_off, &ex->name_len)) != KW_OK) return rc;
        if ((rc = rb_u8(s, &ex->kind)) != KW_OK) return rc;
        if (ex->kind > KW_EXTERN_GLOBAL)
            return wu_err(d->err, KW_E_MALFORMED, rb_off(s) - 1, "malformed export kind %u",
                          ex->kind);
        if ((rc = rb_u32(s, &ex->index)) != KW_OK) return rc;
        if (ex->kind == KW_EXTERN_FUNC && (rc = declare_func(d, ex->index)) != KW_OK) return rc;
        m->nexports = i + 1;
    }
    return KW_OK;
}

static int sec_start(dec *d, rb_reader *s)
{
    int rc = rb_u32(s, &d->m->start);
    if (rc == KW_OK) d->m->has_start = 1;
    return rc;
}

/* One element segment; the 8 forms are the 3 bits of its flags. */
static int elem_segment(dec *d, rb_reader *s, wm_elem *e)
{
    uint64_t at = rb_off(s);
    uint32_t flags;
    int rc = rb_u32(s, &flags);
    if (rc != KW_OK) return rc;
    if (flags > 7)
        return wu_err(d->err, KW_E_MALFORMED, at, "malformed elements segment kind %u", flags);
    int exprs = flags & 4;
    e->exprs = exprs ? 1 : 0;
    e->reftype = KW_FUNCREF;
    if (!(flags & 1)) {
        e->mode = WM_SEG_ACTIVE;
        if ((flags & 2) && (rc = rb_u32(s, &e->table)) != KW_OK) return rc;
        if ((rc = const_expr(d, s, &e->offset)) != KW_OK) return rc;
    } else {
        e->mode = (flags & 2) ? WM_SEG_DECLARATIVE : WM_SEG_PASSIVE;
    }
    if (flags & 3) {
        if (exprs) {
            if ((rc = rb_reftype(s, &e->reftype)) != KW_OK) return rc;
        } else {
            uint8_t kind = 0;
            if ((rc = rb_u8(s, &kind)) != KW_OK) return rc;
            if (kind != 0)
                return wu_err(d->err, KW_E_MALFORMED, rb_off(s) - 1,
                              "malformed element kind 0x%02x", kind);
        }
    }
    uint32_t n;
    if ((rc = count(d, s, 1, "segment elements", &n)) != KW_OK) return rc;
    e->items = wu_calloc(n ? n : 1, sizeof *e->items);
    if (!e->items) return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wm_const *c = &e->items[i];
        if (exprs) {
            rc = const_expr(d, s, c);
        } else {
            c->offset = (uint32_t)rb_off(s);
            c->op = OP_REF_FUNC;
            c->type = KW_FUNCREF;
            uint32_t f;
            if ((rc = rb_u32(s, &f)) == KW_OK) {
                c->value = f;
                rc = declare_func(d, f);
            }
        }
        if (rc != KW_OK) return rc;
    }
    e->count = n;
    return KW_OK;
}

static int sec_element(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint32_t n;
    int rc = count(d, s, 3, "element segments", &n);
    if (rc != KW_OK) return rc;
    m->elems = wu_calloc(n ? n : 1, sizeof *m->elems);
    if (!m->elems) return nomem(d);
    m->nelems = n; /* every entry is zeroed, so freeing covers all */
    for (uint32_t i = 0; i < n; i++)
        if ((rc = elem_segment(d, s, &m->elems[i])) != KW_OK) return rc;
    return KW_OK;
}

static int sec_datacount(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint64_t at = rb_off(s);
    int rc = rb_u32(s, &m->datacount);
    if (rc != KW_OK) return rc;
    if (m->datacount > m->cfg.max_section_items)
        return wu_err(d->err, KW_E_LIMIT_COUNT, at, "%u data segments: over the limit of %u",
                      m->datacount, m->cfg.max_section_items);
    m->has_datacount = 1;
    return KW_OK;
}

/* One function body: local declarations, then the instructions. */
static int code_entry(dec *d, rb_reader *s, uint32_t def)
{
    kw_module *m = d->m;
    wm_body *b = &m->bodies[def];
    b->entry_off = (uint32_t)rb_off(s);
    uint32_t size;
    int rc = rb_u32(s, &size);
    if (rc != KW_OK) return rc;
    if (size > rb_left(s))
        return wu_err(d->err, KW_E_EOF, b->entry_off,
                      "unexpected end: body of %u bytes, %zu left in the section", size,
                      rb_left(s));
    if (size > m->cfg.max_body_bytes)
        return wu_err(d->err, KW_E_LIMIT_CODE, b->entry_off,
                      "function body of %u bytes: over the limit of %u", size,
                      m->cfg.max_body_bytes);
    rb_reader r = rb_make(s->base, (size_t)rb_off(s), size, d->err);
    s->p += size;

    /* parameters count toward the locals limit when the type is known
       (an unknown type index is the validator's to report) */
    uint32_t tidx = m->func_types[m->nfunc_imports + def];
    uint64_t total = tidx < m->ntypes ? m->types[tidx].nparams : 0;
    uint32_t ngroups;
    if ((rc = count(d, &r, 2, "local declarations", &ngroups)) != KW_OK) return rc;
    b->first_group = m->nlocalgroups;
    for (uint32_t g = 0; g < ngroups; g++) {
        uint64_t at = rb_off(&r);
        wm_locals l;
        if ((rc = rb_u32(&r, &l.count)) != KW_OK) return rc;
        total += l.count;
        if (total > m->cfg.max_locals)
            return wu_err(d->err, KW_E_LIMIT_LOCALS, at,
                          "too many locals: function %u has more than %u",
                          m->nfunc_imports + def, m->cfg.max_locals);
        if ((rc = rb_valtype(&r, &l.type)) != KW_OK) return rc;
        if ((rc = grow(d, (void **)&m->localgroups, &d->group_cap, m->nlocalgroups + 1,
                       sizeof *m->localgroups)) != KW_OK)
            return rc;
        m->localgroups[m->nlocalgroups++] = l;
        b->nlocals += l.count;
        b->ngroups++;
    }
    b->code_off = (uint32_t)rb_off(&r);
    b->code_len = (uint32_t)rb_left(&r);
    rb_instr first;
    uint32_t n;
    if ((rc = expr(d, &r, 0, &first, &n)) != KW_OK) return rc;
    if (r.p != r.end)
        return wu_err(d->err, KW_E_SECTION, rb_off(&r),
                      "section size mismatch: %zu bytes after the final end of function %u",
                      rb_left(&r), m->nfunc_imports + def);
    return KW_OK;
}

static int sec_code(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint64_t at = rb_off(s);
    uint32_t n;
    int rc = count(d, s, 3, "function bodies", &n);
    if (rc != KW_OK) return rc;
    d->have_code = 1;
    if (n != d->nfunc_defs)
        return wu_err(d->err, KW_E_MALFORMED, at,
                      "function and code section have inconsistent lengths (%u and %u)",
                      d->nfunc_defs, n);
    m->bodies = wu_calloc(n ? n : 1, sizeof *m->bodies);
    if (!m->bodies) return nomem(d);
    for (uint32_t i = 0; i < n; i++)
        if ((rc = code_entry(d, s, i)) != KW_OK) return rc;
    return KW_OK;
}

static int sec_data(dec *d, rb_reader *s)
{
    kw_module *m = d->m;
    uint64_t at = rb_off(s);
    uint32_t n;
    int rc = count(d, s, 2, "data segments", &n);
    if (rc != KW_OK) return rc;
    d->have_data = 1;
    if (m->has_datacount && n != m->datacount)
        return wu_err(d->err, KW_E_DATACOUNT, at,
                      "data count and data section have inconsistent lengths (%u and %u)",
                      m->datacount, n);
    m->datas = wu_calloc(n ? n : 1, sizeof *m->datas);
    if (!m->datas) return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        wm_data *ds = &m->datas[i];
        uint64_t fat = rb_off(s);
        uint32_t flags;
        if ((rc = rb_u32(s, &flags)) != KW_OK) return rc;
        if (flags > 2)
            return wu_err(d->err, KW_E_MALFORMED, fat, "malformed data segment kind %u",
                          flags);
        ds->mode = flags == 1 ? WM_SEG_PASSIVE : WM_SEG_ACTIVE;
        if (flags == 2 && (rc = rb_u32(s, &ds->memory)) != KW_OK) return rc;
        if (flags != 1 && (rc = const_expr(d, s, &ds->offset)) != KW_OK) return rc;
        uint64_t lat = rb_off(s);
        if ((rc = rb_u32(s, &ds->len)) != KW_OK) return rc;
        if (ds->len > rb_left(s))
            return wu_err(d->err, KW_E_EOF, lat,
                          "unexpected end: data segment of %u bytes, %zu left", ds->len,
                          rb_left(s));
        ds->off = (uint32_t)rb_off(s);
        s->p += ds->len;
        m->ndatas = i + 1;
    }
    return KW_OK;
}

static int sec_custom(dec *d, rb_reader *s)
{
    (void)d;
    uint32_t off, len;
    int rc = rb_name(s, &off, &len);
    if (rc == KW_OK) s->p = s->end; /* the contents are not ours to judge */
    return rc;
}

typedef int (*sec_fn)(dec *d, rb_reader *s);
static const sec_fn sec_fns[SEC_COUNT_] = {
    sec_custom, sec_type,   sec_import, sec_function, sec_table, sec_memory, sec_global,
    sec_export, sec_start,  sec_element, sec_code,    sec_data,  sec_datacount};

int dec_module(kw_module *m, kw_error *err)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    dec d;
    memset(&d, 0, sizeof d);
    d.m = m;
    d.err = err;
    if (m->len < 4) return wu_err(err, KW_E_EOF, m->len, "unexpected end: no magic number");
    if (memcmp(m->bytes, magic, 4) != 0)
        return wu_err(err, KW_E_MAGIC, 0, "magic header not detected");
    if (m->len < 8) return wu_err(err, KW_E_EOF, m->len, "unexpected end: no version");
    if (memcmp(m->bytes + 4, version, 4) != 0)
        return wu_err(err, KW_E_VERSION, 4, "unknown binary version 0x%08x",
                      wu_rd32(m->bytes + 4));

    rb_reader r = rb_make(m->bytes, 8, m->len - 8, err);
    unsigned last = 0;
    int rc;
    while (r.p < r.end) {
        uint64_t at = rb_off(&r);
        uint8_t id;
        uint32_t size;
        if ((rc = rb_u8(&r, &id)) != KW_OK) return rc;
        if (id >= SEC_COUNT_) return wu_err(err, KW_E_SECTION, at, "malformed section id %u", id);
        if ((rc = rb_u32(&r, &size)) != KW_OK) return rc;
        if (size > rb_left(&r))
            return wu_err(err, KW_E_EOF, at,
                          "unexpected end: %s section of %u bytes, %zu left", sec_name[id], size,
                          rb_left(&r));
        if (id != SEC_CUSTOM) {
            if (sec_order[id] <= last)
                return wu_err(err, KW_E_SECTION, at,
                              "unexpected content after last section: %s section %s",
                              sec_name[id], sec_order[id] == last ? "repeated" : "out of order");
            last = sec_order[id];
        }
        rb_reader s = rb_make(m->bytes, (size_t)rb_off(&r), size, err);
        r.p += size;
        if ((rc = sec_fns[id](&d, &s)) != KW_OK) return rc;
        if (s.p != s.end)
            return wu_err(err, KW_E_SECTION, rb_off(&s),
                          "section size mismatch: %zu bytes left at the end of the %s section",
                          rb_left(&s), sec_name[id]);
    }
    if (d.nfunc_defs && !d.have_code)
        return wu_err(err, KW_E_MALFORMED, m->len,
                      "function and code section have inconsistent lengths (%u and none)",
                      d.nfunc_defs);
    if (m->has_datacount && m->datacount && !d.have_data)
        return wu_err(err, KW_E_DATACOUNT, m->len,
                      "data count and data section have inconsistent lengths (%u and none)",
                      m->datacount);
    /* the bitmap exists even when nothing names a function (no index is
       UINT32_MAX, so this only allocates) */
    if (!m->declared_funcs) return declare_func(&d, UINT32_MAX);
    return KW_OK;
}

void dec_module_free(kw_module *m)
{
    if (m->elems)
        for (uint32_t i = 0; i < m->nelems; i++) wu_free(m->elems[i].items);
    wu_free(m->types);
    wu_free(m->typebytes);
    wu_free(m->imports);
    wu_free(m->func_types);
    wu_free(m->tables);
    wu_free(m->mems);
    wu_free(m->globals);
    wu_free(m->exports);
    wu_free(m->elems);
    wu_free(m->datas);
    wu_free(m->bodies);
    wu_free(m->localgroups);
    wu_free(m->declared_funcs);
    m->types = NULL;
    m->typebytes = NULL;
    m->imports = NULL;
    m->func_types = NULL;
    m->tables = NULL;
    m->mems = NULL;
    m->globals = NULL;
    m->exports = NULL;
    m->elems = NULL;
    m->datas = NULL;
    m->bodies = NULL;
    m->localgroups = NULL;
    m->declared_funcs = NULL;
}
