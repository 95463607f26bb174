/*
 * validate.c: the spec's validation of a decoded module (WebAssembly 2.0):
 * the module-level rules (indexes, limits, one memory, constant
 * expressions, export names, the start function, segment types) and every
 * function body with the operand/control stack algorithm of the spec's
 * validation appendix. Each rule is checked here and nowhere else; the
 * compiler and instantiation trust what passes.
 *
 * The decoder already checked the encoding of every instruction, so the
 * reads below cannot fail on a module that came from dec_module; their
 * errors are still passed on rather than assumed away.
 *
 * Errors: KW_E_TYPE_MISMATCH for operand and result types,
 * KW_E_UNKNOWN_INDEX for an index out of its space, KW_E_INVALID for the
 * other rules, and KW_E_LIMIT_NESTING / KW_E_LIMIT_BR_TABLE / KW_E_LIMIT_CODE
 * for the implementation limits of m->cfg.
 */
#include <stdarg.h>
#include <stdio.h>

#include "wasm/module.h"
#include "wasm/opcodes.h"
#include "wasm/read.h"
#include "wasm/wutil.h"

#define T_UNKNOWN 0 /* the bottom type of unreachable code */

typedef struct vctl {
    uint32_t op;       /* OP_BLOCK, OP_LOOP, OP_IF, OP_ELSE; OP_END for the function */
    uint32_t height;   /* operand stack height at entry (below the params) */
    uint32_t nin, nout;
    const uint8_t *in, *out;
    uint8_t unreachable;
} vctl;

typedef struct val {
    const kw_module *m;
    kw_error *err;
    uint8_t *vals;        /* operand stack of types */
    uint32_t nvals, vals_cap, vals_max;
    vctl *ctls;
    uint32_t nctls, ctls_cap;
    uint8_t *locals;      /* the function's params then locals */
    uint32_t nlocals;
    uint32_t at;          /* offset of the instruction being checked */
} val;

static const uint8_t one_type[256] = {
    [KW_I32] = KW_I32, [KW_I64] = KW_I64, [KW_F32] = KW_F32, [KW_F64] = KW_F64,
    [KW_FUNCREF] = KW_FUNCREF, [KW_EXTERNREF] = KW_EXTERNREF};

/* A stable one-element type sequence for t. */
static const uint8_t *single(uint8_t t)
{
    return &one_type[t];
}

static const char *type_name(uint8_t t)
{
    return t == T_UNKNOWN ? "nothing" : kw_valtype_name(t);
}

static int is_num(uint8_t t)
{
    return t == KW_I32 || t == KW_I64 || t == KW_F32 || t == KW_F64 || t == T_UNKNOWN;
}

static int is_ref(uint8_t t)
{
    return t == KW_FUNCREF || t == KW_EXTERNREF || t == T_UNKNOWN;
}

static int nomem(val *v)
{
    return wu_err(v->err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
}

static int mismatch(val *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int mismatch(val *v, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wu_err(v->err, KW_E_TYPE_MISMATCH, v->at, "type mismatch: %s", msg);
}

/* ---- the operand and control stacks (the spec's appendix) --------------------- */

static int push(val *v, uint8_t t)
{
    if (v->nvals == v->vals_cap) {
        if (v->nvals >= v->vals_max)
            return wu_err(v->err, KW_E_LIMIT_CODE, v->at,
                          "operand stack deeper than %u values", v->vals_max);
        uint32_t n = v->vals_cap ? v->vals_cap * 2 : 64;
        if (n > v->vals_max) n = v->vals_max;
        uint8_t *q = wu_realloc(v->vals, n, 1);
        if (!q) return nomem(v);
        v->vals = q;
        v->vals_cap = n;
    }
    v->vals[v->nvals++] = t;
    return KW_OK;
}

static int push_n(val *v, const uint8_t *ts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        int rc = push(v, ts[i]);
        if (rc != KW_OK) return rc;
    }
    return KW_OK;
}

/* Pops a value that must be of type want (T_UNKNOWN: any); *got gets it. */
static int pop(val *v, uint8_t want, uint8_t *got)
{
    const vctl *c = &v->ctls[v->nctls - 1];
    uint8_t t;
    if (v->nvals == c->height) {
        if (!c->unreachable)
            return mismatch(v, "expected %s but the stack is empty",
                            want ? type_name(want) : "a value");
        t = T_UNKNOWN;
    } else {
        t = v->vals[--v->nvals];
    }
    if (t != want && t != T_UNKNOWN && want != T_UNKNOWN)
        return mismatch(v, "expected %s, found %s", type_name(want), type_name(t));
    if (got) *got = t;
    return KW_OK;
}

static int pop_n(val *v, const uint8_t *ts, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;) {
        int rc = pop(v, ts[i], NULL);
        if (rc != KW_OK) return rc;
    }
    return KW_OK;
}

static int push_ctl(val *v, uint32_t op, const uint8_t *in, uint32_t nin, const uint8_t *out,
                    uint32_t nout)
{
    /* the function's own frame does not count as nesting */
    if (v->nctls > v->m->cfg.max_nesting)
        return wu_err(v->err, KW_E_LIMIT_NESTING, v->at, "blocks nested deeper than %u",
                      v->m->cfg.max_nesting);
    if (v->nctls == v->ctls_cap) {
        uint32_t n = v->ctls_cap ? v->ctls_cap * 2 : 16;
        vctl *q = wu_realloc(v->ctls, n, sizeof *q);
        if (!q) return nomem(v);
        v->ctls = q;
        v->ctls_cap = n;
    }
    vctl *c = &v->ctls[v->nctls++];
    c->op = op;
    c->height = v->nvals;
    c->in = in;
    c->nin = nin;
    c->out = out;
    c->nout = nout;
    c->unreachable = 0;
    return push_n(v, in, nin);
}

static int pop_ctl(val *v, vctl *out)
{
    const vctl *c = &v->ctls[v->nctls - 1];
    int rc = pop_n(v, c->out, c->nout);
    if (rc != KW_OK) return rc;
    if (v->nvals != c->height)
        return mismatch(v, "%u values left on the stack at the end of the block",
                        v->nvals - c->height);
    *out = *c;
    v->nctls--;
    return KW_OK;
}

static void set_unreachable(val *v)
{
    vctl *c = &v->ctls[v->nctls - 1];
    v->nvals = c->height;
    c->unreachable = 1;
}

/* The types a branch to label l carries: a loop's params, else its results. */
static void label_types(const vctl *c, const uint8_t **ts, uint32_t *n)
{
    if (c->op == OP_LOOP) {
        *ts = c->in;
        *n = c->nin;
    } else {
        *ts = c->out;
        *n = c->nout;
    }
}

static int label(val *v, uint32_t l, const vctl **out)
{
    if (l >= v->nctls) {
        wu_err(v->err, KW_E_UNKNOWN_INDEX, v->at, "unknown label %u", l);
        return KW_E_UNKNOWN_INDEX;
    }
    *out = &v->ctls[v->nctls - 1 - l];
    return KW_OK;
}

/* ---- module context lookups ------------------------------------------------- */

static int unknown(val *v, const char *what, uint32_t i)
{
    wu_err(v->err, KW_E_UNKNOWN_INDEX, v->at, "unknown %s %u", what, i);
    return KW_E_UNKNOWN_INDEX; /* a constant: callers' out-parameters are then seen as set */
}

static int need_memory(val *v)
{
    return v->m->nmems ? KW_OK : unknown(v, "memory", 0);
}

static int get_table(val *v, uint32_t i, uint8_t *elemtype)
{
    if (i >= v->m->ntables) return unknown(v, "table", i);
    *elemtype = v->m->tables[i].elemtype;
    return KW_OK;
}

static int get_type(val *v, uint32_t i, const wm_functype **ft)
{
    if (i >= v->m->ntypes) return unknown(v, "type", i);
    *ft = &v->m->types[i];
    return KW_OK;
}

/* The parameter and result types of block type in. */
static int block_sig(val *v, const rb_instr *in, const uint8_t **p, uint32_t *np,
                     const uint8_t **r, uint32_t *nr)
{
    *np = *nr = 0;
    *p = *r = NULL;
    if (in->bt == RB_BT_VAL) {
        *r = single((uint8_t)in->x);
        *nr = 1;
    } else if (in->bt == RB_BT_TYPE) {
        const wm_functype *ft;
        int rc = get_type(v, in->x, &ft);
        if (rc != KW_OK) return rc;
        *p = ft->params;
        *np = ft->nparams;
        *r = ft->results;
        *nr = ft->nresults;
    }
    return KW_OK;
}

/* ---- instructions ------------------------------------------------------------- */

/* Pops a then b (b is the top) and pushes r: a plain numeric instruction. */
static int op1(val *v, uint8_t a, uint8_t r)
{
    int rc = pop(v, a, NULL);
    return rc == KW_OK ? push(v, r) : rc;
}

static int op2(val *v, uint8_t a, uint8_t r)
{
    int rc = pop(v, a, NULL);
    if (rc == KW_OK) rc = pop(v, a, NULL);
    return rc == KW_OK ? push(v, r) : rc;
}

/* Signature of the numeric instructions 0x45..0xc4 and 0xfc00..0xfc07:
   *arity operands of type *a, one result of type *r. 0 if op is none. */
static int numeric(uint32_t op, int *arity, uint8_t *a, uint8_t *r)
{
    if (op >= 0xfc00 && op <= 0xfc07) {
        static const uint8_t src[8] = {KW_F32, KW_F32, KW_F64, KW_F64,
                                       KW_F32, KW_F32, KW_F64, KW_F64};
        *arity = 1;
        *a = src[op & 7];
        *r = (op & 7) < 4 ? KW_I32 : KW_I64;
        return 1;
    }
    struct range {
        uint16_t lo, hi;
        uint8_t arity, a, r;
    };
    static const struct range ranges[] = {
        {0x45, 0x45, 1, KW_I32, KW_I32}, {0x46, 0x4f, 2, KW_I32, KW_I32},
        {0x50, 0x50, 1, KW_I64, KW_I32}, {0x51, 0x5a, 2, KW_I64, KW_I32},
        {0x5b, 0x60, 2, KW_F32, KW_I32}, {0x61, 0x66, 2, KW_F64, KW_I32},
        {0x67, 0x69, 1, KW_I32, KW_I32}, {0x6a, 0x78, 2, KW_I32, KW_I32},
        {0x79, 0x7b, 1, KW_I64, KW_I64}, {0x7c, 0x8a, 2, KW_I64, KW_I64},
        {0x8b, 0x91, 1, KW_F32, KW_F32}, {0x92, 0x98, 2, KW_F32, KW_F32},
        {0x99, 0x9f, 1, KW_F64, KW_F64}, {0xa0, 0xa6, 2, KW_F64, KW_F64},
        {0xc0, 0xc1, 1, KW_I32, KW_I32}, {0xc2, 0xc4, 1, KW_I64, KW_I64},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (op >= ranges[i].lo && op <= ranges[i].hi) {
            *arity = ranges[i].arity;
            *a = ranges[i].a;
            *r = ranges[i].r;
            return 1;
        }
    if (op >= 0xa7 && op <= 0xbf) {
        /* conversions, in opcode order: operand and result */
#define I KW_I32
#define L KW_I64
#define F KW_F32
#define D KW_F64
        static const uint8_t cv[25][2] = {
            {L, I}, {F, I}, {F, I}, {D, I}, {D, I},         /* a7 wrap, a8-ab trunc */
            {I, L}, {I, L}, {F, L}, {F, L}, {D, L}, {D, L}, /* ac-ad extend, ae-b1 trunc */
            {I, F}, {I, F}, {L, F}, {L, F}, {D, F},         /* b2-b5 convert, b6 demote */
            {I, D}, {I, D}, {L, D}, {L, D}, {F, D},         /* b7-ba convert, bb promote */
            {F, I}, {D, L}, {I, F}, {L, D},                 /* bc-bf reinterpret */
        };
#undef I
#undef L
#undef F
#undef D
        *arity = 1;
        *a = cv[op - 0xa7][0];
        *r = cv[op - 0xa7][1];
        return 1;
    }
    return 0;
}

/* Loads and stores: value type and log2 of the natural alignment. */
static void memop(uint32_t op, uint8_t *t, uint32_t *natural)
{
    static const struct {
        uint8_t t, n;
    } tab[] = {
        [0x28 - 0x28] = {KW_I32, 2}, [0x29 - 0x28] = {KW_I64, 3}, [0x2a - 0x28] = {KW_F32, 2},
        [0x2b - 0x28] = {KW_F64, 3}, [0x2c - 0x28] = {KW_I32, 0}, [0x2d - 0x28] = {KW_I32, 0},
        [0x2e - 0x28] = {KW_I32, 1}, [0x2f - 0x28] = {KW_I32, 1}, [0x30 - 0x28] = {KW_I64, 0},
        [0x31 - 0x28] = {KW_I64, 0}, [0x32 - 0x28] = {KW_I64, 1}, [0x33 - 0x28] = {KW_I64, 1},
        [0x34 - 0x28] = {KW_I64, 2}, [0x35 - 0x28] = {KW_I64, 2}, [0x36 - 0x28] = {KW_I32, 2},
        [0x37 - 0x28] = {KW_I64, 3}, [0x38 - 0x28] = {KW_F32, 2}, [0x39 - 0x28] = {KW_F64, 3},
        [0x3a - 0x28] = {KW_I32, 0}, [0x3b - 0x28] = {KW_I32, 1}, [0x3c - 0x28] = {KW_I64, 0},
        [0x3d - 0x28] = {KW_I64, 1}, [0x3e - 0x28] = {KW_I64, 2},
    };
    *t = tab[op - 0x28].t;
    *natural = tab[op - 0x28].n;
}

static int v_br_table(val *v, const rb_instr *in)
{
    if ((uint64_t)in->n + 1 > v->m->cfg.max_br_table)
        return wu_err(v->err, KW_E_LIMIT_BR_TABLE, v->at,
                      "br_table with %u targets: over the limit of %u", in->n + 1,
                      v->m->cfg.max_br_table);
    int rc = pop(v, KW_I32, NULL);
    if (rc != KW_OK) return rc;
    const vctl *def;
    if ((rc = label(v, in->x, &def)) != KW_OK) return rc;
    const uint8_t *dts;
    uint32_t arity;
    label_types(def, &dts, &arity);
    rb_reader r = rb_make(v->m->bytes, in->vec, v->m->len - in->vec, v->err);
    const vctl *cur = &v->ctls[v->nctls - 1];
    for (uint32_t i = 0; i < in->n; i++) {
        uint32_t l;
        const vctl *c;
        const uint8_t *ts;
        uint32_t n;
        if ((rc = rb_u32(&r, &l)) != KW_OK) return rc;
        if ((rc = label(v, l, &c)) != KW_OK) return rc;
        label_types(c, &ts, &n);
        if (n != arity)
            return mismatch(v, "br_table targets carry %u and %u values", n, arity);
        /* the spec pops and re-pushes; checking in place is the same */
        for (uint32_t k = 0; k < n; k++) {
            uint32_t depth = n - 1 - k; /* from the top */
            uint8_t t;
            if (v->nvals - cur->height > depth)
                t = v->vals[v->nvals - 1 - depth];
            else if (cur->unreachable)
                t = T_UNKNOWN;
            else
                return mismatch(v, "br_table operand missing");
            if (t != ts[k] && t != T_UNKNOWN)
                return mismatch(v, "br_table target expects %s, found %s", type_name(ts[k]),
                                type_name(t));
        }
    }
    if ((rc = pop_n(v, dts, arity)) != KW_OK) return rc;
    set_unreachable(v);
    return KW_OK;
}

static int v_call(val *v, const wm_functype *ft)
{
    int rc = pop_n(v, ft->params, ft->nparams);
    return rc == KW_OK ? push_n(v, ft->results, ft->nresults) : rc;
}

static int v_select(val *v, const rb_instr *in)
{
    if (in->op == OP_SELECT_T && in->n != 1)
        return wu_err(v->err, KW_E_INVALID, v->at, "invalid result arity: select with %u types",
                      in->n);
    int rc = pop(v, KW_I32, NULL);
    if (rc != KW_OK) return rc;
    if (in->op == OP_SELECT_T) {
        uint8_t t = v->m->bytes[in->vec];
        if ((rc = pop(v, t, NULL)) == KW_OK) rc = pop(v, t, NULL);
        return rc == KW_OK ? push(v, t) : rc;
    }
    uint8_t t1, t2;
    if ((rc = pop(v, T_UNKNOWN, &t1)) != KW_OK) return rc;
    if ((rc = pop(v, T_UNKNOWN, &t2)) != KW_OK) return rc;
    if (!is_num(t1) || !is_num(t2))
        return mismatch(v, "select without a type needs numeric operands");
    if (t1 != t2 && t1 != T_UNKNOWN && t2 != T_UNKNOWN)
        return mismatch(v, "select operands %s and %s", type_name(t2), type_name(t1));
    return push(v, t1 == T_UNKNOWN ? t2 : t1);
}

static int v_local(val *v, const rb_instr *in)
{
    if (in->x >= v->nlocals) return unknown(v, "local", in->x);
    uint8_t t = v->locals[in->x];
    int rc;
    switch (in->op) {
    case OP_LOCAL_GET: return push(v, t);
    case OP_LOCAL_SET: return pop(v, t, NULL);
    default: /* local.tee */
        rc = pop(v, t, NULL);
        return rc == KW_OK ? push(v, t) : rc;
    }
}

static int v_global(val *v, const rb_instr *in)
{
    if (in->x >= v->m->nglobals) return unknown(v, "global", in->x);
    const wm_global *g = &v->m->globals[in->x];
    if (in->op == OP_GLOBAL_GET) return push(v, g->type);
    if (!g->mut) return wu_err(v->err, KW_E_INVALID, v->at, "global is immutable: %u", in->x);
    return pop(v, g->type, NULL);
}

static int v_memory(val *v, const rb_instr *in)
{
    int rc = need_memory(v);
    if (rc != KW_OK) return rc;
    if (in->op >= OP_I32_LOAD && in->op <= OP_I64_STORE32) {
        uint8_t t;
        uint32_t natural;
        memop(in->op, &t, &natural);
        if (in->x > natural)
            return wu_err(v->err, KW_E_INVALID, v->at,
                          "alignment must not be larger than natural (2^%u > %u bytes)", in->x,
                          1u << natural);
        if (in->op <= OP_I64_LOAD32_U) return op1(v, KW_I32, t);
        if ((rc = pop(v, t, NULL)) != KW_OK) return rc;
        return pop(v, KW_I32, NULL);
    }
    switch (in->op) {
    case OP_MEMORY_SIZE: return push(v, KW_I32);
    case OP_MEMORY_GROW: return op1(v, KW_I32, KW_I32);
    default: /* memory.copy, memory.fill, memory.init: three i32 */
        if (in->op == OP_MEMORY_INIT && in->x >= v->m->datacount)
            return unknown(v, "data segment", in->x);
        for (int i = 0; i < 3 && rc == KW_OK; i++) rc = pop(v, KW_I32, NULL);
        return rc;
    }
}

static int v_table(val *v, const rb_instr *in)
{
    const kw_module *m = v->m;
    uint8_t et, et2;
    int rc;
    switch (in->op) {
    case OP_TABLE_GET:
        if ((rc = get_table(v, in->x, &et)) != KW_OK) return rc;
        return op1(v, KW_I32, et);
    case OP_TABLE_SET:
        if ((rc = get_table(v, in->x, &et)) != KW_OK) return rc;
        if ((rc = pop(v, et, NULL)) != KW_OK) return rc;
        return pop(v, KW_I32, NULL);
    case OP_TABLE_SIZE:
        if ((rc = get_table(v, in->x, &et)) != KW_OK) return rc;
        return push(v, KW_I32);
    case OP_TABLE_GROW:
        if ((rc = get_table(v, in->x, &et)) != KW_OK) return rc;
        if ((rc = pop(v, KW_I32, NULL)) != KW_OK) return rc;
        if ((rc = pop(v, et, NULL)) != KW_OK) return rc;
        return push(v, KW_I32);
    case OP_TABLE_FILL:
        if ((rc = get_table(v, in->x, &et)) != KW_OK) return rc;
        if ((rc = pop(v, KW_I32, NULL)) != KW_OK) return rc;
        if ((rc = pop(v, et, NULL)) != KW_OK) return rc;
        return pop(v, KW_I32, NULL);
    case OP_TABLE_COPY:
        if ((rc = get_table(v, in->x, &et)) != KW_OK) return rc;
        if ((rc = get_table(v, in->y, &et2)) != KW_OK) return rc;
        if (et != et2)
            return mismatch(v, "table.copy from a %s table to a %s table", type_name(et2),
                            type_name(et));
        break;
    case OP_TABLE_INIT:
        if ((rc = get_table(v, in->y, &et)) != KW_OK) return rc;
        if (in->x >= m->nelems) return unknown(v, "elem segment", in->x);
        if (m->elems[in->x].reftype != et)
            return mismatch(v, "table.init of a %s segment into a %s table",
                            type_name(m->elems[in->x].reftype), type_name(et));
        break;
    default: /* elem.drop */
        if (in->x >= m->nelems) return unknown(v, "elem segment", in->x);
        return KW_OK;
    }
    rc = KW_OK;
    for (int i = 0; i < 3 && rc == KW_OK; i++) rc = pop(v, KW_I32, NULL);
    return rc;
}

static int v_block(val *v, const rb_instr *in)
{
    const uint8_t *p, *r;
    uint32_t np, nr;
    int rc;
    if (in->op == OP_IF && (rc = pop(v, KW_I32, NULL)) != KW_OK) return rc;
    if ((rc = block_sig(v, in, &p, &np, &r, &nr)) != KW_OK) return rc;
    if ((rc = pop_n(v, p, np)) != KW_OK) return rc;
    return push_ctl(v, in->op, p, np, r, nr);
}

/* Checks one instruction; *done is set by the function's final end. */
static int v_instr(val *v, const rb_instr *in, int *done)
{
    const kw_module *m = v->m;
    vctl c;
    const vctl *lc;
    const uint8_t *ts;
    uint32_t n;
    uint8_t t;
    int rc, arity;
    switch (in->op) {
    case OP_UNREACHABLE: set_unreachable(v); return KW_OK;
    case OP_NOP: return KW_OK;
    case OP_BLOCK:
    case OP_LOOP:
    case OP_IF: return v_block(v, in);
    case OP_ELSE:
        if (v->ctls[v->nctls - 1].op != OP_IF)
            return wu_err(v->err, KW_E_MALFORMED, v->at, "else without a matching if");
        if ((rc = pop_ctl(v, &c)) != KW_OK) return rc;
        return push_ctl(v, OP_ELSE, c.in, c.nin, c.out, c.nout);
    case OP_END:
        if ((rc = pop_ctl(v, &c)) != KW_OK) return rc;
        /* an if without else passes its params through as its results */
        if (c.op == OP_IF && (c.nin != c.nout || (c.nin && memcmp(c.in, c.out, c.nin) != 0)))
            return mismatch(v, "if without else must leave its parameters as its results");
        if (v->nctls == 0) {
            *done = 1;
            return KW_OK;
        }
        return push_n(v, c.out, c.nout);
    case OP_BR:
        if ((rc = label(v, in->x, &lc)) != KW_OK) return rc;
        label_types(lc, &ts, &n);
        if ((rc = pop_n(v, ts, n)) != KW_OK) return rc;
        set_unreachable(v);
        return KW_OK;
    case OP_BR_IF:
        if ((rc = pop(v, KW_I32, NULL)) != KW_OK) return rc;
        if ((rc = label(v, in->x, &lc)) != KW_OK) return rc;
        label_types(lc, &ts, &n);
        if ((rc = pop_n(v, ts, n)) != KW_OK) return rc;
        return push_n(v, ts, n);
    case OP_BR_TABLE: return v_br_table(v, in);
    case OP_RETURN:
        if ((rc = pop_n(v, v->ctls[0].out, v->ctls[0].nout)) != KW_OK) return rc;
        set_unreachable(v);
        return KW_OK;
    case OP_CALL:
        if (in->x >= m->nfuncs) return unknown(v, "function", in->x);
        return v_call(v, wm_func_type(m, in->x));
    case OP_CALL_INDIRECT: {
        const wm_functype *ft;
        if ((rc = get_table(v, in->y, &t)) != KW_OK) return rc;
        if (t != KW_FUNCREF) return mismatch(v, "call_indirect through a %s table", type_name(t));
        if ((rc = get_type(v, in->x, &ft)) != KW_OK) return rc;
        if ((rc = pop(v, KW_I32, NULL)) != KW_OK) return rc;
        return v_call(v, ft);
    }
    case OP_DROP: return pop(v, T_UNKNOWN, NULL);
    case OP_SELECT:
    case OP_SELECT_T: return v_select(v, in);
    case OP_LOCAL_GET:
    case OP_LOCAL_SET:
    case OP_LOCAL_TEE: return v_local(v, in);
    case OP_GLOBAL_GET:
    case OP_GLOBAL_SET: return v_global(v, in);
    case OP_TABLE_GET:
    case OP_TABLE_SET:
    case OP_TABLE_SIZE:
    case OP_TABLE_GROW:
    case OP_TABLE_FILL:
    case OP_TABLE_COPY:
    case OP_TABLE_INIT:
    case OP_ELEM_DROP: return v_table(v, in);
    case OP_MEMORY_SIZE:
    case OP_MEMORY_GROW:
    case OP_MEMORY_COPY:
    case OP_MEMORY_FILL:
    case OP_MEMORY_INIT: return v_memory(v, in);
    case OP_DATA_DROP:
        if (in->x >= m->datacount) return unknown(v, "data segment", in->x);
        return KW_OK;
    case OP_I32_CONST: return push(v, KW_I32);
    case OP_I64_CONST: return push(v, KW_I64);
    case OP_F32_CONST: return push(v, KW_F32);
    case OP_F64_CONST: return push(v, KW_F64);
    case OP_REF_NULL: return push(v, (uint8_t)in->x);
    case OP_REF_IS_NULL:
        if ((rc = pop(v, T_UNKNOWN, &t)) != KW_OK) return rc;
        if (!is_ref(t)) return mismatch(v, "ref.is_null of %s", type_name(t));
        return push(v, KW_I32);
    case OP_REF_FUNC:
        if (in->x >= m->nfuncs) return unknown(v, "function", in->x);
        if (!wm_func_declared(m, in->x))
            return wu_err(v->err, KW_E_INVALID, v->at,
                          "undeclared function reference %u (not in an element segment, "
                          "export or global)",
                          in->x);
        return push(v, KW_FUNCREF);
    default:
        if (in->op >= OP_I32_LOAD && in->op <= OP_I64_STORE32) return v_memory(v, in);
        uint8_t a, r;
        if (numeric(in->op, &arity, &a, &r)) return arity == 1 ? op1(v, a, r) : op2(v, a, r);
        return wu_err(v->err, KW_E_OPCODE, v->at, "illegal opcode 0x%x", in->op);
    }
}

static int v_body(val *v, uint32_t def)
{
    const kw_module *m = v->m;
    const wm_body *b = &m->bodies[def];
    const wm_functype *ft = wm_func_type(m, m->nfunc_imports + def);
    /* locals: params then declared (the decoder bounded the total) */
    uint32_t nl = ft->nparams + b->nlocals;
    uint8_t *q = wu_realloc(v->locals, (size_t)nl + 1, 1);
    if (!q) return nomem(v);
    v->locals = q;
    v->nlocals = nl;
    memcpy(v->locals, ft->params, ft->nparams);
    uint32_t k = ft->nparams;
    for (uint32_t g = 0; g < b->ngroups; g++) {
        const wm_locals *l = &m->localgroups[b->first_group + g];
        memset(v->locals + k, l->type, l->count);
        k += l->count;
    }
    v->nvals = v->nctls = 0;
    v->at = b->code_off;
    int rc = push_ctl(v, OP_END, NULL, 0, ft->results, ft->nresults);
    if (rc != KW_OK) return rc;
    rb_reader r = rb_make(m->bytes, b->code_off, b->code_len, v->err);
    int done = 0;
    while (!done) {
        if (r.p >= r.end) return rb_eof(&r);
        rb_instr in;
        if ((rc = rb_instr_read(&r, &in)) != KW_OK) return rc;
        v->at = in.off;
        if ((rc = v_instr(v, &in, &done)) != KW_OK) return rc;
    }
    if (r.p != r.end)
        return wu_err(v->err, KW_E_SECTION, rb_off(&r), "bytes after the function's final end");
    return KW_OK;
}

/* ---- module level --------------------------------------------------------------- */

/*
 * A constant expression of type want. In 2.0 its instructions are t.const,
 * ref.null, ref.func and global.get of an imported immutable global (the
 * context C' of the spec holds only the imported globals), and it must
 * leave exactly one value.
 */
static int v_const(val *v, const wm_const *c, uint8_t want)
{
    const kw_module *m = v->m;
    rb_reader r = rb_make(m->bytes, c->offset, m->len - c->offset, v->err);
    uint32_t n = 0;
    uint8_t t = 0;
    v->at = c->offset;
    for (;;) {
        rb_instr in;
        int rc = rb_instr_read(&r, &in);
        if (rc != KW_OK) return rc;
        v->at = in.off;
        switch (in.op) {
        case OP_END:
            if (n != 1 || t != want) {
                v->at = c->offset;
                if (n == 1)
                    return mismatch(v, "constant expression of type %s where %s is expected",
                                    type_name(t), type_name(want));
                return mismatch(v, "constant expression leaves %u values, not 1", n);
            }
            return KW_OK;
        case OP_I32_CONST: t = KW_I32; break;
        case OP_I64_CONST: t = KW_I64; break;
        case OP_F32_CONST: t = KW_F32; break;
        case OP_F64_CONST: t = KW_F64; break;
        case OP_REF_NULL: t = (uint8_t)in.x; break;
        case OP_REF_FUNC:
            if (in.x >= m->nfuncs) return unknown(v, "function", in.x);
            t = KW_FUNCREF;
            break;
        case OP_GLOBAL_GET:
            if (in.x >= m->nglobal_imports) return unknown(v, "global", in.x);
            if (m->globals[in.x].mut)
                return wu_err(v->err, KW_E_INVALID, v->at,
                              "constant expression required: global %u is mutable", in.x);
            t = m->globals[in.x].type;
            break;
        default:
            return wu_err(v->err, KW_E_INVALID, v->at,
                          "constant expression required: opcode 0x%x is not constant", in.op);
        }
        n++;
    }
}

static int v_limits(val *v, const kw_limits *l, uint64_t max, const char *what)
{
    if (l->min > max || (l->has_max && l->max > max))
        return wu_err(v->err, KW_E_INVALID, KW_NO_OFFSET,
                      "%s size must be at most %llu%s", what, (unsigned long long)max,
                      max == 65536 ? " pages (4GiB)" : "");
    if (l->has_max && l->min > l->max)
        return wu_err(v->err, KW_E_INVALID, KW_NO_OFFSET,
                      "%s size minimum must not be greater than maximum (%u > %u)", what, l->min,
                      l->max);
    return KW_OK;
}

static int name_cmp(const kw_module *m, const wm_export *a, const wm_export *b)
{
    if (a->name_len != b->name_len) return a->name_len < b->name_len ? -1 : 1;
    return memcmp(m->bytes + a->name_off, m->bytes + b->name_off, a->name_len);
}

/* Sorts export indexes by name: a bottom-up merge sort, since qsort has no
   context pointer in C11 and this must not use global state. */
static void sort_exports(const kw_module *m, uint32_t *ix, uint32_t *tmp, uint32_t n)
{
    for (uint32_t w = 1; w < n; w *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * w) {
            uint32_t mid = lo + w < n ? lo + w : n;
            uint32_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = name_cmp(m, &m->exports[ix[j]], &m->exports[ix[i]]) < 0 ? ix[j++]
                                                                                  : ix[i++];
            while (i < mid) tmp[k++] = ix[i++];
            while (j < hi) tmp[k++] = ix[j++];
        }
        memcpy(ix, tmp, (size_t)n * sizeof *ix);
    }
}

static int v_exports(val *v)
{
    const kw_module *m = v->m;
    static const char *const kinds[] = {"function", "table", "memory", "global"};
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wm_export *ex = &m->exports[i];
        uint32_t space = ex->kind == KW_EXTERN_FUNC    ? m->nfuncs
                         : ex->kind == KW_EXTERN_TABLE ? m->ntables
                         : ex->kind == KW_EXTERN_MEMORY ? m->nmems
                                                         : m->nglobals;
        if (ex->index >= space)
            return wu_err(v->err, KW_E_UNKNOWN_INDEX, ex->name_off, "unknown %s %u",
                          kinds[ex->kind], ex->index);
    }
    if (m->nexports < 2) return KW_OK;
    uint32_t *ix = wu_calloc(m->nexports, sizeof *ix);
    uint32_t *tmp = wu_calloc(m->nexports, sizeof *tmp);
    int rc = KW_OK;
    if (!ix || !tmp) {
        rc = nomem(v);
        goto done;
    }
    for (uint32_t i = 0; i < m->nexports; i++) ix[i] = i;
    sort_exports(m, ix, tmp, m->nexports);
    for (uint32_t i = 1; i < m->nexports; i++)
        if (name_cmp(m, &m->exports[ix[i - 1]], &m->exports[ix[i]]) == 0) {
            const wm_export *ex = &m->exports[ix[i] > ix[i - 1] ? ix[i] : ix[i - 1]];
            rc = wu_err(v->err, KW_E_INVALID, ex->name_off, "duplicate export name \"%.*s\"",
                        (int)(ex->name_len > 64 ? 64 : ex->name_len),
                        (const char *)m->bytes + ex->name_off);
            break;
        }
done:
    wu_free(ix);
    wu_free(tmp);
    return rc;
}

static int v_module(val *v)
{
    const kw_module *m = v->m;
    int rc;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->func_types[i] >= m->ntypes)
            return wu_err(v->err, KW_E_UNKNOWN_INDEX, KW_NO_OFFSET,
                          "unknown type %u (of function %u)", m->func_types[i], i);
    for (uint32_t i = 0; i < m->ntables; i++)
        if ((rc = v_limits(v, &m->tables[i].limits, UINT32_MAX, "table")) != KW_OK) return rc;
    if (m->nmems > 1)
        return wu_err(v->err, KW_E_INVALID, KW_NO_OFFSET, "multiple memories (%u)", m->nmems);
    for (uint32_t i = 0; i < m->nmems; i++)
        if ((rc = v_limits(v, &m->mems[i], 65536, "memory")) != KW_OK) return rc;
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
        if ((rc = v_const(v, &m->globals[i].init, m->globals[i].type)) != KW_OK) return rc;
    if ((rc = v_exports(v)) != KW_OK) return rc;
    if (m->has_start) {
        if (m->start >= m->nfuncs)
            return wu_err(v->err, KW_E_UNKNOWN_INDEX, KW_NO_OFFSET, "unknown function %u",
                          m->start);
        const wm_functype *ft = wm_func_type(m, m->start);
        if (ft->nparams || ft->nresults)
            return wu_err(v->err, KW_E_INVALID, KW_NO_OFFSET,
                          "start function %u must take and return nothing", m->start);
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *e = &m->elems[i];
        if (e->mode == WM_SEG_ACTIVE) {
            v->at = e->offset.offset;
            uint8_t et;
            if ((rc = get_table(v, e->table, &et)) != KW_OK) return rc;
            if ((rc = v_const(v, &e->offset, KW_I32)) != KW_OK) return rc;
            if (et != e->reftype)
                return wu_err(v->err, KW_E_TYPE_MISMATCH, e->offset.offset,
                              "type mismatch: %s segment for a %s table",
                              type_name(e->reftype), type_name(et));
        }
        for (uint32_t k = 0; k < e->count; k++) {
            const wm_const *c = &e->items[k];
            if (!e->exprs) {
                if (c->value >= m->nfuncs)
                    return wu_err(v->err, KW_E_UNKNOWN_INDEX, c->offset, "unknown function %u",
                                  (uint32_t)c->value);
                continue;
            }
            if ((rc = v_const(v, c, e->reftype)) != KW_OK) return rc;
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wm_data *d = &m->datas[i];
        if (d->mode != WM_SEG_ACTIVE) continue;
        v->at = d->offset.offset;
        if (d->memory >= m->nmems) return unknown(v, "memory", d->memory);
        if ((rc = v_const(v, &d->offset, KW_I32)) != KW_OK) return rc;
    }
    for (uint32_t i = 0; i + m->nfunc_imports < m->nfuncs; i++)
        if ((rc = v_body(v, i)) != KW_OK) return rc;
    return KW_OK;
}

int val_module(const kw_module *m, kw_error *err)
{
    val v;
    memset(&v, 0, sizeof v);
    v.m = m;
    v.err = err;
    v.vals_max = m->cfg.max_stack_bytes / 8 ? m->cfg.max_stack_bytes / 8 : 1;
    int rc = v_module(&v);
    wu_free(v.vals);
    wu_free(v.ctls);
    wu_free(v.locals);
    return rc;
}
