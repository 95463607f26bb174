/*
 * compile.c: validated function bodies -> internal code (ops.h).
 *
 * One pass per body. The compiler keeps an abstract operand stack whose
 * entries say where each value is: in its canonical temporary slot
 * (nlocals + height), still in a local (local.get emits nothing), or a
 * constant not yet written anywhere. Instructions then name their
 * operands' slots directly, so `local.get a; local.get b; i32.add;
 * local.set c` becomes one instruction. Values are written to their
 * canonical slots only where control flow joins (block boundaries,
 * branches, calls), and a local that is about to change is first copied
 * out of any stack entry that still refers to it.
 *
 * Fuel. Charging is folded into control transfers so that metered code
 * runs no instruction of its own for it. A "chain" is straight-line code
 * from an entry point (function entry, or a label some branch targets)
 * along fall-through until the next unconditional transfer (br, br_table,
 * return, unreachable, the jump at `else`). Entering a chain charges, at
 * once, the cost of every wasm instruction from there to the chain's end:
 * the function's entry charge is in wc_func.entry_fuel; each branch carries
 * the charge of the chain at its target. Chains pass through labels that
 * are reached by falling through, so falling into a block's end costs
 * nothing extra. A "site" is the start of a chain; its charge is known
 * when the chain ends, and branch fuel fields are patched then. The count
 * is the number of wasm instructions (fuel.h), not of internal ones, so
 * fusing instructions never changes it.
 *
 * Dead code (after an unconditional transfer, until a label that is
 * targeted) is parsed to follow the block structure and emits nothing.
 *
 * Instructions and their immediates come from rb_instr_read (read.c), the
 * one place that knows the encoding; what the validator checked (indexes,
 * types) is trusted here.
 */
#include <string.h>

#include "wasm/compile.h"
#include "wasm/fuel.h"
#include "wasm/opcodes.h"
#include "wasm/ops.h"
#include "wasm/read.h"
#include "wasm/runtime.h"
#include "wasm/wutil.h"

enum { K_TEMP, K_LOCAL, K_CONST };

typedef struct opnd {
    uint8_t kind;
    uint8_t type;
    uint32_t local;
    uint64_t value;
} opnd;

/* A branch target. Pending branch fields form chains through the code
   words themselves (word index + 1; 0 ends a chain). */
typedef struct label {
    int64_t pos;     /* code position once known, else -1 */
    uint32_t tchain; /* target fields waiting for pos */
    uint32_t fchain; /* fuel fields waiting for a site */
    int32_t site;    /* the site opened at pos, or -1 */
    uint8_t used;    /* some branch targets it */
} label;

typedef struct site {
    uint64_t acc;    /* cost counter when the site opened */
    uint32_t chain;  /* fuel fields waiting for the charge */
    uint8_t closed;
    uint32_t value;
} site;

enum { C_FUNC, C_BLOCK, C_LOOP, C_IF, C_ELSE };

typedef struct ctl {
    uint8_t kind;
    uint8_t whole_dead;   /* began in dead code: nothing of it is emitted */
    uint32_t nparams, nresults;
    const uint8_t *ptypes, *rtypes;
    uint32_t height;      /* operand height below the block's parameters */
    label end;            /* blocks and ifs: after `end`; loops: the head */
    label els;            /* ifs: the false branch */
} ctl;

typedef struct comp {
    const kw_module *m;
    const void *const *handlers;
    const char *hbase;
    int metered;
    kw_error *err;
    int oom, bad;

    rb_reader rd; /* the body; read.c knows the encoding */

    uint32_t nparams, nresults, nlocals;
    const uint8_t *results;
    uint8_t *ltypes;
    uint32_t *local_refs; /* stack entries still referring to each local */

    uint32_t *code;
    uint32_t ncode, cap;

    opnd *stk;
    uint32_t sp, stk_cap, max_height;
    ctl *ctls;
    uint32_t nctl, ctl_cap;
    site *sites;
    uint32_t nsites, sites_cap;
    uint32_t *open;
    uint32_t nopen, open_cap;
    label *tramp;         /* br_table trampolines, one per depth */
    uint32_t tramp_cap;

    uint64_t acc;
    int dead;
    /* The last two instructions emitted, with nothing (no label) between
       them and the code still to come: retargeting and fusion look back at
       them. A producer writes one value, to the slot in its first operand
       word, for the stack entry at `height`. at is -1 when there is none. */
    struct emitted {
        int64_t at;
        int op;
        int producer;
        uint32_t height;
    } last, prev;
} comp;

/* ---- growable arrays -------------------------------------------------------- */

static int grow(comp *c, void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return 1;
    uint64_t n = *cap ? (uint64_t)*cap * 2 : 16;
    while (n < need) n *= 2;
    if (n > UINT32_MAX / 2) {
        c->oom = 1;
        return 0;
    }
    void *q = wu_realloc(*p, (size_t)n, elem);
    if (!q) {
        c->oom = 1;
        return 0;
    }
    *p = q;
    *cap = (uint32_t)n;
    return 1;
}

/* ---- reading the (validated) body ------------------------------------------ */

/* The block type of a block, loop or if just read. A single value type is
   the byte after the opcode (in.off + 1): blocks keep pointers to their
   types, and the module's bytes outlive the compilation. */
static void block_type(comp *c, const rb_instr *in, ctl *b)
{
    b->nparams = b->nresults = 0;
    b->ptypes = b->rtypes = NULL;
    if (in->bt == RB_BT_EMPTY) return;
    if (in->bt == RB_BT_VAL) {
        b->rtypes = c->rd.base + in->off + 1;
        b->nresults = 1;
        return;
    }
    if (in->x >= c->m->ntypes) {
        c->bad = 1;
        return;
    }
    const wm_functype *ft = &c->m->types[in->x];
    b->nparams = ft->nparams;
    b->ptypes = ft->params;
    b->nresults = ft->nresults;
    b->rtypes = ft->results;
}

/* ---- emitting ---------------------------------------------------------------- */

static void emit_w(comp *c, uint32_t w)
{
    if (!grow(c, (void **)&c->code, &c->cap, c->ncode + 1, sizeof *c->code)) return;
    c->code[c->ncode++] = w;
}

static void emit_op(comp *c, int op)
{
    c->prev = c->last;
    c->last.at = c->ncode;
    c->last.op = op;
    c->last.producer = 0;
    emit_w(c, (uint32_t)((const char *)c->handlers[op] - c->hbase));
}

/* The instruction just emitted produced the stack entry at height h. */
static void note_producer(comp *c, uint32_t h)
{
    c->last.producer = 1;
    c->last.height = h;
}

/* A label (or a change of the stack not made by code) separates what was
   emitted from what comes next: nothing may be fused across it. */
static void forget(comp *c)
{
    c->last.at = c->prev.at = -1;
}

/* Removes the last instruction (it is being fused into the next one). */
static void drop_last(comp *c)
{
    c->ncode = (uint32_t)c->last.at;
    c->last = c->prev;
    c->prev.at = -1;
}

static uint32_t slot_off(uint32_t slot)
{
    return slot * 8;
}

static uint32_t temp_off(const comp *c, uint32_t h)
{
    return slot_off(c->nlocals + h);
}

static int is32(uint8_t t)
{
    return t == KW_I32 || t == KW_F32;
}

/* Writes constant o to the slot at byte offset dst. */
static void emit_const_to(comp *c, const opnd *o, uint32_t dst)
{
    if (is32(o->type)) {
        emit_op(c, WC_CONST32);
        emit_w(c, dst);
        emit_w(c, (uint32_t)o->value);
    } else {
        emit_op(c, WC_CONST64);
        emit_w(c, dst);
        emit_w(c, (uint32_t)o->value);
        emit_w(c, (uint32_t)(o->value >> 32));
    }
}

static void emit_copy(comp *c, uint32_t dst, uint32_t src)
{
    if (dst == src) return;
    emit_op(c, WC_COPY);
    emit_w(c, dst);
    emit_w(c, src);
}

/* ---- the abstract operand stack ------------------------------------------- */

static opnd *push(comp *c, uint8_t kind, uint8_t type)
{
    if (!grow(c, (void **)&c->stk, &c->stk_cap, c->sp + 1, sizeof *c->stk)) return NULL;
    opnd *o = &c->stk[c->sp++];
    o->kind = kind;
    o->type = type;
    o->local = 0;
    o->value = 0;
    if (c->sp > c->max_height) c->max_height = c->sp;
    return o;
}

/* Pushes a value that an instruction about to be emitted writes to its
   canonical slot; returns that slot. */
static uint32_t push_temp(comp *c, uint8_t type)
{
    push(c, K_TEMP, type);
    return temp_off(c, c->sp - 1);
}

static void push_local(comp *c, uint32_t idx)
{
    opnd *o = push(c, K_LOCAL, c->ltypes[idx]);
    if (!o) return;
    o->local = idx;
    c->local_refs[idx]++;
}

static void push_const(comp *c, uint8_t type, uint64_t v)
{
    opnd *o = push(c, K_CONST, type);
    if (o) o->value = v;
}

static void drop_entry(comp *c, const opnd *o)
{
    if (o->kind == K_LOCAL) c->local_refs[o->local]--;
}

static opnd pop(comp *c)
{
    opnd o = {K_TEMP, 0, 0, 0};
    if (c->sp == 0) {
        c->bad = 1;
        return o;
    }
    o = c->stk[--c->sp];
    drop_entry(c, &o);
    return o;
}

static void truncate_stack(comp *c, uint32_t h)
{
    while (c->sp > h) pop(c);
}

/* Moves entry i to its canonical slot. */
static void materialize(comp *c, uint32_t i)
{
    opnd *o = &c->stk[i];
    if (o->kind == K_LOCAL) {
        emit_copy(c, temp_off(c, i), slot_off(o->local));
        c->local_refs[o->local]--;
    } else if (o->kind == K_CONST) {
        emit_const_to(c, o, temp_off(c, i));
    }
    o->kind = K_TEMP;
}

static void flush_all(comp *c)
{
    for (uint32_t i = 0; i < c->sp; i++)
        if (c->stk[i].kind != K_TEMP) materialize(c, i);
}

/* The slot of entry i, writing a constant to its canonical slot first. */
static uint32_t loc(comp *c, uint32_t i)
{
    opnd *o = &c->stk[i];
    if (o->kind == K_LOCAL) return slot_off(o->local);
    if (o->kind == K_CONST) materialize(c, i);
    return temp_off(c, i);
}

/* Before local idx changes: stack entries still reading it take a copy. */
static void detach_local(comp *c, uint32_t idx)
{
    if (!c->local_refs[idx]) return;
    for (uint32_t i = 0; i < c->sp; i++)
        if (c->stk[i].kind == K_LOCAL && c->stk[i].local == idx) materialize(c, i);
}

/* ---- labels, sites and fuel ---------------------------------------------- */

static void label_init(label *l)
{
    l->pos = -1;
    l->tchain = l->fchain = 0;
    l->site = -1;
    l->used = 0;
}

static int32_t open_site(comp *c, uint32_t fchain)
{
    if (!grow(c, (void **)&c->sites, &c->sites_cap, c->nsites + 1, sizeof *c->sites)) return -1;
    if (!grow(c, (void **)&c->open, &c->open_cap, c->nopen + 1, sizeof *c->open)) return -1;
    site *s = &c->sites[c->nsites];
    s->acc = c->acc;
    s->chain = fchain;
    s->closed = 0;
    s->value = 0;
    c->open[c->nopen++] = c->nsites;
    return (int32_t)c->nsites++;
}

/* An unconditional transfer ends every open chain: their charges are now
   known and their waiting fuel fields are filled in. */
static void close_sites(comp *c)
{
    for (uint32_t k = 0; k < c->nopen; k++) {
        site *s = &c->sites[c->open[k]];
        uint64_t v = c->acc - s->acc;
        s->value = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
        s->closed = 1;
        for (uint32_t f = s->chain; f && !c->oom;) {
            uint32_t fi = f - 1;
            f = c->code[fi];
            c->code[fi] = s->value;
        }
        s->chain = 0;
    }
    c->nopen = 0;
}

/* Appends the target and fuel fields of a branch to l. Targets are word
   offsets from the field itself. */
static void emit_target(comp *c, label *l)
{
    uint32_t tf = c->ncode;
    emit_w(c, 0);
    uint32_t ff = c->ncode;
    emit_w(c, 0);
    if (c->oom) return;
    l->used = 1;
    if (l->pos >= 0) {
        c->code[tf] = (uint32_t)(int32_t)(l->pos - (int64_t)tf);
    } else {
        c->code[tf] = l->tchain;
        l->tchain = tf + 1;
    }
    if (l->site >= 0) {
        site *s = &c->sites[l->site];
        if (s->closed) {
            c->code[ff] = s->value;
        } else {
            c->code[ff] = s->chain;
            s->chain = ff + 1;
        }
    } else {
        c->code[ff] = l->fchain;
        l->fchain = ff + 1;
    }
}

/* The label is here: patch waiting targets; if branches reach it, a chain
   starts here. Returns whether any branch targets it. */
static int resolve_label(comp *c, label *l)
{
    l->pos = c->ncode;
    for (uint32_t f = l->tchain; f && !c->oom;) {
        uint32_t fi = f - 1;
        f = c->code[fi];
        c->code[fi] = (uint32_t)(int32_t)(l->pos - (int64_t)fi);
    }
    l->tchain = 0;
    forget(c);
    if (l->used) {
        l->site = open_site(c, l->fchain);
        l->fchain = 0;
    }
    return l->used;
}

/* ---- control ------------------------------------------------------------------ */

static ctl *push_ctl(comp *c, uint8_t kind)
{
    if (!grow(c, (void **)&c->ctls, &c->ctl_cap, c->nctl + 1, sizeof *c->ctls)) return NULL;
    ctl *b = &c->ctls[c->nctl++];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    label_init(&b->end);
    label_init(&b->els);
    return b;
}

/* Branch arity and label of a target block. */
static uint32_t br_arity(const ctl *t)
{
    return t->kind == C_LOOP ? t->nparams : t->nresults;
}

/* Do the top n values already sit in the canonical slots from height base? */
static int values_in_place(const comp *c, uint32_t n, uint32_t base)
{
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = c->sp - n + k;
        if (c->stk[i].kind != K_TEMP || i != base + k) return 0;
    }
    return 1;
}

/* Writes the top n values to the canonical slots from height base (base is
   at or below them, so ascending order never overwrites a later source). */
static void move_values(comp *c, uint32_t n, uint32_t base)
{
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = c->sp - n + k;
        const opnd *o = &c->stk[i];
        uint32_t dst = temp_off(c, base + k);
        if (o->kind == K_CONST)
            emit_const_to(c, o, dst);
        else
            emit_copy(c, dst, o->kind == K_LOCAL ? slot_off(o->local) : temp_off(c, i));
    }
}

/* Return: results to fp[0..nresults), then RETURN. */
static void emit_return(comp *c)
{
    uint32_t n = c->nresults;
    if (n == 1 && c->last.at >= 0 && c->last.producer && c->last.height == c->sp - 1 &&
        c->stk[c->sp - 1].kind == K_TEMP) {
        c->code[c->last.at + 1] = 0; /* the producer writes straight to slot 0 */
    } else {
        /* locals about to be overwritten by earlier results are copied out */
        for (uint32_t k = 0; k < n; k++) {
            const opnd *o = &c->stk[c->sp - n + k];
            if (o->kind == K_LOCAL && o->local < n) materialize(c, c->sp - n + k);
        }
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = c->sp - n + k;
            const opnd *o = &c->stk[i];
            if (o->kind == K_CONST)
                emit_const_to(c, o, slot_off(k));
            else
                emit_copy(c, slot_off(k), o->kind == K_LOCAL ? slot_off(o->local) : temp_off(c, i));
        }
    }
    emit_op(c, WC_RETURN);
}

/* Unconditional branch to block depth d (values already on the stack). */
static void emit_br(comp *c, uint32_t d)
{
    ctl *t = &c->ctls[c->nctl - 1 - d];
    if (t->kind == C_FUNC) {
        emit_return(c);
        return;
    }
    uint32_t n = br_arity(t);
    move_values(c, n, t->height);
    emit_op(c, WC_BR);
    emit_target(c, &t->end);
}

static void end_chain(comp *c)
{
    close_sites(c);
    c->dead = 1;
    forget(c);
}

/* ---- fused conditions ---------------------------------------------------- */

/* Is the top entry the value the last instruction just produced? */
static int cond_produced(const comp *c)
{
    return c->last.at >= 0 && c->last.producer && c->last.height == c->sp - 1 &&
           c->stk[c->sp - 1].kind == K_TEMP;
}

/* Compare ops (register or immediate form) and i32.eqz can become part of
   the branch that tests them. */
static int fusable_cond(int op)
{
    return (op >= WC_I32_EQ && op <= WC_I32_GE_U) || (op >= WC_I64_EQ && op <= WC_I64_GE_U) ||
           (op >= WC_I32_EQ_I && op <= WC_I32_GE_U_I) || op == WC_I32_EQZ;
}

/* The compare of index i in eq, ne, lt_s, lt_u, gt_s, gt_u, le_s, le_u,
   ge_s, ge_u that holds exactly when compare i does not. */
static const uint8_t negated[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};

/* Emits the branch for condition op(a, b), negated if neg (for `if`,
   which branches when its condition is false); the target follows. */
static void emit_cond_branch(comp *c, int op, uint32_t a, uint32_t b, int neg)
{
    if (op == WC_I32_EQZ) {
        emit_op(c, neg ? WC_BR_IF : WC_BR_UNLESS);
        emit_w(c, a);
        return;
    }
    int base, form;
    if (op >= WC_I32_EQ && op <= WC_I32_GE_U) {
        base = WC_I32_EQ;
        form = WC_BR_I32_EQ;
    } else if (op >= WC_I64_EQ && op <= WC_I64_GE_U) {
        base = WC_I64_EQ;
        form = WC_BR_I64_EQ;
    } else {
        base = WC_I32_EQ_I;
        form = WC_BR_I32_EQ_I;
    }
    int i = op - base;
    emit_op(c, form + (neg ? negated[i] : i));
    emit_w(c, a);
    emit_w(c, b);
}

/* br_if: when the last instruction computed the condition, branch on the
   comparison itself. Returns 1 when done. */
static int fuse_branch(comp *c, label *l, int neg)
{
    int op = c->last.op;
    if (!fusable_cond(op)) return 0;
    /* eqz has one operand: its word after a may lie past the code */
    uint32_t a = c->code[c->last.at + 2];
    uint32_t b = op == WC_I32_EQZ ? 0 : c->code[c->last.at + 3];
    drop_last(c);
    emit_cond_branch(c, op, a, b, neg);
    emit_target(c, l);
    return 1;
}

/* br_if whose condition is in slot cond (already popped). */
static void emit_br_if(comp *c, uint32_t d, uint32_t cond)
{
    ctl *t = &c->ctls[c->nctl - 1 - d];
    if (t->kind != C_FUNC && values_in_place(c, br_arity(t), t->height)) {
        emit_op(c, WC_BR_IF);
        emit_w(c, cond);
        emit_target(c, &t->end);
        return;
    }
    /* values must move first: branch around the moves when not taken */
    label skip;
    label_init(&skip);
    emit_op(c, WC_BR_UNLESS);
    emit_w(c, cond);
    emit_target(c, &skip);
    emit_br(c, d);
    close_sites(c);
    resolve_label(c, &skip);
}

/* ---- instruction selection ------------------------------------------------ */

/* wasm numeric opcode -> (internal op, result type), for 1:1 instructions. */
typedef struct numop {
    uint16_t wc;
    uint8_t result;
    uint8_t arity;
} numop;

#define I32_ KW_I32
#define I64_ KW_I64
#define F32_ KW_F32
#define F64_ KW_F64
static const numop numops[256] = {
#define R_(w, r, a) [OP_##w] = {WC_##w, r, a},
    /* unary */
    R_(I32_EQZ, I32_, 1) R_(I64_EQZ, I32_, 1) R_(I32_CLZ, I32_, 1) R_(I32_CTZ, I32_, 1)
    R_(I32_POPCNT, I32_, 1) R_(I64_CLZ, I64_, 1) R_(I64_CTZ, I64_, 1) R_(I64_POPCNT, I64_, 1)
    R_(F32_ABS, F32_, 1) R_(F32_NEG, F32_, 1) R_(F32_CEIL, F32_, 1) R_(F32_FLOOR, F32_, 1)
    R_(F32_TRUNC, F32_, 1) R_(F32_NEAREST, F32_, 1) R_(F32_SQRT, F32_, 1)
    R_(F64_ABS, F64_, 1) R_(F64_NEG, F64_, 1) R_(F64_CEIL, F64_, 1) R_(F64_FLOOR, F64_, 1)
    R_(F64_TRUNC, F64_, 1) R_(F64_NEAREST, F64_, 1) R_(F64_SQRT, F64_, 1)
    R_(I32_WRAP_I64, I32_, 1) R_(I32_TRUNC_F32_S, I32_, 1) R_(I32_TRUNC_F32_U, I32_, 1)
    R_(I32_TRUNC_F64_S, I32_, 1) R_(I32_TRUNC_F64_U, I32_, 1) R_(I64_EXTEND_I32_S, I64_, 1)
    R_(I64_TRUNC_F32_S, I64_, 1) R_(I64_TRUNC_F32_U, I64_, 1)
    R_(I64_TRUNC_F64_S, I64_, 1) R_(I64_TRUNC_F64_U, I64_, 1) R_(F32_CONVERT_I32_S, F32_, 1)
    R_(F32_CONVERT_I32_U, F32_, 1) R_(F32_CONVERT_I64_S, F32_, 1) R_(F32_CONVERT_I64_U, F32_, 1)
    R_(F32_DEMOTE_F64, F32_, 1) R_(F64_CONVERT_I32_S, F64_, 1) R_(F64_CONVERT_I32_U, F64_, 1)
    R_(F64_CONVERT_I64_S, F64_, 1) R_(F64_CONVERT_I64_U, F64_, 1) R_(F64_PROMOTE_F32, F64_, 1)
    R_(I32_EXTEND8_S, I32_, 1) R_(I32_EXTEND16_S, I32_, 1) R_(I64_EXTEND8_S, I64_, 1)
    R_(I64_EXTEND16_S, I64_, 1) R_(I64_EXTEND32_S, I64_, 1) R_(REF_IS_NULL, I32_, 1)
    /* binary */
    R_(I32_EQ, I32_, 2) R_(I32_NE, I32_, 2) R_(I32_LT_S, I32_, 2) R_(I32_LT_U, I32_, 2)
    R_(I32_GT_S, I32_, 2) R_(I32_GT_U, I32_, 2) R_(I32_LE_S, I32_, 2) R_(I32_LE_U, I32_, 2)
    R_(I32_GE_S, I32_, 2) R_(I32_GE_U, I32_, 2) R_(I64_EQ, I32_, 2) R_(I64_NE, I32_, 2)
    R_(I64_LT_S, I32_, 2) R_(I64_LT_U, I32_, 2) R_(I64_GT_S, I32_, 2) R_(I64_GT_U, I32_, 2)
    R_(I64_LE_S, I32_, 2) R_(I64_LE_U, I32_, 2) R_(I64_GE_S, I32_, 2) R_(I64_GE_U, I32_, 2)
    R_(F32_EQ, I32_, 2) R_(F32_NE, I32_, 2) R_(F32_LT, I32_, 2) R_(F32_GT, I32_, 2)
    R_(F32_LE, I32_, 2) R_(F32_GE, I32_, 2) R_(F64_EQ, I32_, 2) R_(F64_NE, I32_, 2)
    R_(F64_LT, I32_, 2) R_(F64_GT, I32_, 2) R_(F64_LE, I32_, 2) R_(F64_GE, I32_, 2)
    R_(I32_ADD, I32_, 2) R_(I32_SUB, I32_, 2) R_(I32_MUL, I32_, 2) R_(I32_DIV_S, I32_, 2)
    R_(I32_DIV_U, I32_, 2) R_(I32_REM_S, I32_, 2) R_(I32_REM_U, I32_, 2) R_(I32_AND, I32_, 2)
    R_(I32_OR, I32_, 2) R_(I32_XOR, I32_, 2) R_(I32_SHL, I32_, 2) R_(I32_SHR_S, I32_, 2)
    R_(I32_SHR_U, I32_, 2) R_(I32_ROTL, I32_, 2) R_(I32_ROTR, I32_, 2)
    R_(I64_ADD, I64_, 2) R_(I64_SUB, I64_, 2) R_(I64_MUL, I64_, 2) R_(I64_DIV_S, I64_, 2)
    R_(I64_DIV_U, I64_, 2) R_(I64_REM_S, I64_, 2) R_(I64_REM_U, I64_, 2) R_(I64_AND, I64_, 2)
    R_(I64_OR, I64_, 2) R_(I64_XOR, I64_, 2) R_(I64_SHL, I64_, 2) R_(I64_SHR_S, I64_, 2)
    R_(I64_SHR_U, I64_, 2) R_(I64_ROTL, I64_, 2) R_(I64_ROTR, I64_, 2)
    R_(F32_ADD, F32_, 2) R_(F32_SUB, F32_, 2) R_(F32_MUL, F32_, 2) R_(F32_DIV, F32_, 2)
    R_(F32_MIN, F32_, 2) R_(F32_MAX, F32_, 2) R_(F32_COPYSIGN, F32_, 2)
    R_(F64_ADD, F64_, 2) R_(F64_SUB, F64_, 2) R_(F64_MUL, F64_, 2) R_(F64_DIV, F64_, 2)
    R_(F64_MIN, F64_, 2) R_(F64_MAX, F64_, 2) R_(F64_COPYSIGN, F64_, 2)
};
#undef R_
static const numop numops_fc[8] = {
#define RF_(w, r) [OP_##w & 0xff] = {WC_##w, r, 1},
    RF_(I32_TRUNC_SAT_F32_S, I32_) RF_(I32_TRUNC_SAT_F32_U, I32_)
    RF_(I32_TRUNC_SAT_F64_S, I32_) RF_(I32_TRUNC_SAT_F64_U, I32_)
    RF_(I64_TRUNC_SAT_F32_S, I64_) RF_(I64_TRUNC_SAT_F32_U, I64_)
    RF_(I64_TRUNC_SAT_F64_S, I64_) RF_(I64_TRUNC_SAT_F64_U, I64_)
};
#undef RF_
#undef I32_
#undef I64_
#undef F32_
#undef F64_

/* Immediate forms: wasm binary op -> fused op taking a 32-bit constant as
   its second operand (-1: none). */
static int imm_form(unsigned wop)
{
    switch (wop) {
    case OP_I32_ADD: return WC_I32_ADD_I;
    case OP_I32_SUB: return WC_I32_SUB_I;
    case OP_I32_MUL: return WC_I32_MUL_I;
    case OP_I32_AND: return WC_I32_AND_I;
    case OP_I32_OR: return WC_I32_OR_I;
    case OP_I32_XOR: return WC_I32_XOR_I;
    case OP_I32_SHL: return WC_I32_SHL_I;
    case OP_I32_SHR_S: return WC_I32_SHR_S_I;
    case OP_I32_SHR_U: return WC_I32_SHR_U_I;
    case OP_I32_EQ: return WC_I32_EQ_I;
    case OP_I32_NE: return WC_I32_NE_I;
    case OP_I32_LT_S: return WC_I32_LT_S_I;
    case OP_I32_LT_U: return WC_I32_LT_U_I;
    case OP_I32_GT_S: return WC_I32_GT_S_I;
    case OP_I32_GT_U: return WC_I32_GT_U_I;
    case OP_I32_LE_S: return WC_I32_LE_S_I;
    case OP_I32_LE_U: return WC_I32_LE_U_I;
    case OP_I32_GE_S: return WC_I32_GE_S_I;
    case OP_I32_GE_U: return WC_I32_GE_U_I;
    case OP_I64_ADD: return WC_I64_ADD_I;
    case OP_I64_SUB: return WC_I64_SUB_I;
    case OP_I64_AND: return WC_I64_AND_I;
    case OP_I64_SHL: return WC_I64_SHL_I;
    case OP_I64_SHR_S: return WC_I64_SHR_S_I;
    case OP_I64_SHR_U: return WC_I64_SHR_U_I;
    default: return -1;
    }
}

static int commutative(unsigned wop)
{
    switch (wop) {
    case OP_I32_ADD:
    case OP_I32_MUL:
    case OP_I32_AND:
    case OP_I32_OR:
    case OP_I32_XOR:
    case OP_I32_EQ:
    case OP_I32_NE:
    case OP_I64_ADD:
    case OP_I64_AND: return 1;
    default: return 0;
    }
}

/* A 32-bit immediate stands for this constant operand of the given type. */
static int fits_imm(const opnd *o)
{
    if (o->kind != K_CONST) return 0;
    if (o->type == KW_I32) return 1;
    if (o->type == KW_I64) return (int64_t)o->value == (int64_t)(int32_t)(uint32_t)o->value;
    return 0;
}

static void compile_numeric(comp *c, const numop *n, unsigned wop)
{
    if (n->arity == 1) {
        uint32_t a = loc(c, c->sp - 1);
        pop(c);
        uint32_t dst = push_temp(c, n->result);
        emit_op(c, n->wc);
        emit_w(c, dst);
        emit_w(c, a);
        note_producer(c, c->sp - 1);
        return;
    }
    const opnd *A = &c->stk[c->sp - 2], *B = &c->stk[c->sp - 1];
    int imm = imm_form(wop);
    /* which operand becomes the immediate: b, or a when the op commutes
       (entries are never moved: a temporary's slot is its stack index) */
    int kb = imm >= 0 && fits_imm(B);
    int ka = imm >= 0 && !kb && fits_imm(A) && commutative(wop);
    if (kb || ka) {
        uint32_t k = (uint32_t)(kb ? B : A)->value;
        uint32_t a = loc(c, kb ? c->sp - 2 : c->sp - 1);
        pop(c);
        pop(c);
        uint32_t dst = push_temp(c, n->result);
        emit_op(c, imm);
        emit_w(c, dst);
        emit_w(c, a);
        emit_w(c, k);
        note_producer(c, c->sp - 1);
        return;
    }
    uint32_t b = loc(c, c->sp - 1);
    uint32_t a = loc(c, c->sp - 2);
    pop(c);
    pop(c);
    uint32_t dst = push_temp(c, n->result);
    emit_op(c, n->wc);
    emit_w(c, dst);
    emit_w(c, a);
    emit_w(c, b);
    note_producer(c, c->sp - 1);
}

static int load_op(unsigned wop)
{
    switch (wop) {
    case OP_I32_LOAD:
    case OP_F32_LOAD: return WC_LOAD32;
    case OP_I64_LOAD:
    case OP_F64_LOAD: return WC_LOAD64;
    case OP_I32_LOAD8_S: return WC_I32_LOAD8_S;
    case OP_I32_LOAD8_U: return WC_I32_LOAD8_U;
    case OP_I32_LOAD16_S: return WC_I32_LOAD16_S;
    case OP_I32_LOAD16_U: return WC_I32_LOAD16_U;
    case OP_I64_LOAD8_S: return WC_I64_LOAD8_S;
    case OP_I64_LOAD8_U: return WC_I64_LOAD8_U;
    case OP_I64_LOAD16_S: return WC_I64_LOAD16_S;
    case OP_I64_LOAD16_U: return WC_I64_LOAD16_U;
    case OP_I64_LOAD32_S: return WC_I64_LOAD32_S;
    case OP_I64_LOAD32_U: return WC_I64_LOAD32_U;
    default: return -1;
    }
}

static uint8_t load_type(unsigned wop)
{
    switch (wop) {
    case OP_I32_LOAD:
    case OP_I32_LOAD8_S:
    case OP_I32_LOAD8_U:
    case OP_I32_LOAD16_S:
    case OP_I32_LOAD16_U: return KW_I32;
    case OP_F32_LOAD: return KW_F32;
    case OP_F64_LOAD: return KW_F64;
    default: return KW_I64;
    }
}

static int store_op(unsigned wop)
{
    switch (wop) {
    case OP_I32_STORE8:
    case OP_I64_STORE8: return WC_STORE8;
    case OP_I32_STORE16:
    case OP_I64_STORE16: return WC_STORE16;
    case OP_I32_STORE:
    case OP_F32_STORE:
    case OP_I64_STORE32: return WC_STORE32;
    default: return WC_STORE64;
    }
}

/* ---- memory access with fused addressing ---------------------------------- */

/*
 * An address computed by the instruction(s) just emitted for the stack
 * entry at height h can move into the access itself: a + k (i32.add with a
 * constant, which clang emits for negative offsets), base + idx and
 * base + (idx << s) (array indexing). Fills the parts and removes the
 * instructions; returns 0 (nothing changed) when the pattern is absent.
 * dead is the one slot the address computation may have used as scratch
 * that no stack entry holds any more.
 */
enum { ADDR_AK = 1, ADDR_IX = 2 };

static int fuse_address(comp *c, uint32_t h, uint32_t dead, uint32_t part[3])
{
    const struct emitted L = c->last, P = c->prev;
    if (L.at < 0 || !L.producer || L.height != h || c->stk[h].kind != K_TEMP) return 0;
    const uint32_t *w = c->code + L.at;
    if (L.op == WC_I32_ADD_I) {
        part[0] = w[2];
        part[1] = w[3];
        drop_last(c);
        return ADDR_AK;
    }
    if (L.op != WC_I32_ADD) return 0;
    uint32_t x = w[2], y = w[3];
    part[0] = x;
    part[1] = y;
    part[2] = 0;
    if (P.at >= 0 && P.producer && P.op == WC_I32_SHL_I && P.at + 4 == L.at &&
        c->code[P.at + 1] == dead && (x == dead) != (y == dead)) {
        /* (idx << s) was computed into the scratch slot just for this add */
        part[0] = x == dead ? y : x;
        part[1] = c->code[P.at + 2];
        part[2] = c->code[P.at + 3] & 31;
        drop_last(c);
        drop_last(c);
        return ADDR_IX;
    }
    drop_last(c);
    return ADDR_IX;
}

static void compile_load(comp *c, int lo, uint8_t type, uint32_t off)
{
    const opnd *A = &c->stk[c->sp - 1];
    int wide = lo == WC_LOAD64;
    if (A->kind == K_CONST && (lo == WC_LOAD32 || wide) && (uint64_t)(uint32_t)A->value + off <= UINT32_MAX) {
        uint32_t ea = (uint32_t)A->value + off;
        pop(c);
        uint32_t dst = push_temp(c, type);
        emit_op(c, wide ? WC_LOAD64_K : WC_LOAD32_K);
        emit_w(c, dst);
        emit_w(c, ea);
        note_producer(c, c->sp - 1);
        return;
    }
    uint32_t part[3];
    int form = 0;
    /* byte loads have no a + k form: then the add stays */
    int ak = c->last.at >= 0 && c->last.op == WC_I32_ADD_I;
    if (lo == WC_LOAD32 || wide || (lo == WC_I32_LOAD8_U && !ak))
        form = fuse_address(c, c->sp - 1, temp_off(c, c->sp), part);
    if (form == ADDR_AK) {
        pop(c);
        uint32_t dst = push_temp(c, type);
        emit_op(c, wide ? WC_LOAD64_AK : WC_LOAD32_AK);
        emit_w(c, dst);
        emit_w(c, part[0]);
        emit_w(c, part[1]);
        emit_w(c, off);
        note_producer(c, c->sp - 1);
        return;
    }
    if (form == ADDR_IX) {
        pop(c);
        uint32_t dst = push_temp(c, type);
        emit_op(c, wide ? WC_LOAD64_IX : lo == WC_LOAD32 ? WC_LOAD32_IX : WC_I32_LOAD8_U_IX);
        emit_w(c, dst);
        emit_w(c, part[0]);
        emit_w(c, part[1]);
        emit_w(c, part[2]);
        emit_w(c, off);
        note_producer(c, c->sp - 1);
        return;
    }
    uint32_t a = loc(c, c->sp - 1);
    pop(c);
    uint32_t dst = push_temp(c, type);
    emit_op(c, lo);
    emit_w(c, dst);
    emit_w(c, a);
    emit_w(c, off);
    note_producer(c, c->sp - 1);
}

static void compile_store(comp *c, int so, uint32_t off)
{
    const opnd *V = &c->stk[c->sp - 1], *A = &c->stk[c->sp - 2];
    int wide = so == WC_STORE64;
    if (A->kind == K_CONST && (so == WC_STORE32 || wide) && (uint64_t)(uint32_t)A->value + off <= UINT32_MAX) {
        uint32_t ea = (uint32_t)A->value + off;
        uint32_t v = loc(c, c->sp - 1);
        pop(c);
        pop(c);
        emit_op(c, wide ? WC_STORE64_K : WC_STORE32_K);
        emit_w(c, v);
        emit_w(c, ea);
        return;
    }
    /* the value must cost no code, or the address's producer is not last */
    uint32_t part[3];
    int form = 0;
    if (V->kind == K_LOCAL && (so == WC_STORE32 || wide || so == WC_STORE8)) {
        int ak = c->last.at >= 0 && c->last.op == WC_I32_ADD_I;
        if (!(ak && so == WC_STORE8)) form = fuse_address(c, c->sp - 2, temp_off(c, c->sp - 1), part);
    }
    uint32_t v = loc(c, c->sp - 1);
    if (form == ADDR_AK) {
        pop(c);
        pop(c);
        emit_op(c, wide ? WC_STORE64_AK : WC_STORE32_AK);
        emit_w(c, part[0]);
        emit_w(c, v);
        emit_w(c, part[1]);
        emit_w(c, off);
        return;
    }
    if (form == ADDR_IX) {
        pop(c);
        pop(c);
        emit_op(c, wide ? WC_STORE64_IX : so == WC_STORE32 ? WC_STORE32_IX : WC_STORE8_IX);
        emit_w(c, part[0]);
        emit_w(c, part[1]);
        emit_w(c, part[2]);
        emit_w(c, v);
        emit_w(c, off);
        return;
    }
    uint32_t a = loc(c, c->sp - 2);
    pop(c);
    pop(c);
    emit_op(c, so);
    emit_w(c, a);
    emit_w(c, v);
    emit_w(c, off);
}

/* Emits op with n operand slots taken from the top n entries (deepest
   first), popping them; a leading immediate may come before them. */
static void emit_with_operands(comp *c, int op, uint32_t n, int has_imm, uint32_t imm)
{
    uint32_t offs[5];
    for (uint32_t k = 0; k < n; k++) offs[k] = loc(c, c->sp - n + k);
    for (uint32_t k = 0; k < n; k++) pop(c);
    emit_op(c, op);
    if (has_imm) emit_w(c, imm);
    for (uint32_t k = 0; k < n; k++) emit_w(c, offs[k]);
}

static void compile_call(comp *c, uint32_t fidx)
{
    const wm_functype *ft = wm_func_type(c->m, fidx);
    uint32_t np = ft->nparams;
    for (uint32_t k = 0; k < np; k++) {
        uint32_t i = c->sp - np + k;
        if (c->stk[i].kind != K_TEMP) materialize(c, i);
    }
    uint32_t args = temp_off(c, c->sp - np);
    if (fidx < c->m->nfunc_imports) {
        emit_op(c, WC_CALL_IMPORT);
        emit_w(c, fidx);
    } else {
        emit_op(c, WC_CALL);
        emit_w(c, fidx - c->m->nfunc_imports);
    }
    emit_w(c, args);
    for (uint32_t k = 0; k < np; k++) pop(c);
    for (uint32_t k = 0; k < ft->nresults; k++) push(c, K_TEMP, ft->results[k]);
}

static void compile_call_indirect(comp *c, uint32_t typeidx, uint32_t table)
{
    const wm_functype *ft = &c->m->types[typeidx];
    uint32_t np = ft->nparams;
    uint32_t idx = loc(c, c->sp - 1);
    for (uint32_t k = 0; k < np; k++) {
        uint32_t i = c->sp - 1 - np + k;
        if (c->stk[i].kind != K_TEMP) materialize(c, i);
    }
    uint32_t args = temp_off(c, c->sp - 1 - np);
    emit_op(c, WC_CALL_INDIRECT);
    emit_w(c, table);
    emit_w(c, typeidx);
    emit_w(c, args);
    emit_w(c, idx);
    for (uint32_t k = 0; k <= np; k++) pop(c);
    for (uint32_t k = 0; k < ft->nresults; k++) push(c, K_TEMP, ft->results[k]);
}

static void compile_local_set(comp *c, uint32_t x, int tee)
{
    opnd *top = &c->stk[c->sp - 1];
    if (top->kind == K_LOCAL && top->local == x) {
        if (!tee) pop(c);
        return;
    }
    int retarget = top->kind == K_TEMP && c->last.at >= 0 && c->last.producer &&
                   c->last.height == c->sp - 1 && c->local_refs[x] == 0;
    if (retarget) {
        c->code[c->last.at + 1] = slot_off(x);
        c->last.producer = 0; /* it now writes a local, not the stack */
    } else {
        detach_local(c, x);
        top = &c->stk[c->sp - 1];
        if (top->kind == K_CONST)
            emit_const_to(c, top, slot_off(x));
        else
            emit_copy(c, slot_off(x), top->kind == K_LOCAL ? slot_off(top->local) : temp_off(c, c->sp - 1));
    }
    pop(c);
    if (tee) push_local(c, x);
}

/* br_table: the common case jumps straight to its labels; targets that
   need values moved (or are the function itself) go through trampolines
   emitted after it. */
static void compile_br_table(comp *c, const rb_instr *in)
{
    uint32_t n = in->n;
    /* the n labels (rb_instr_read checked their encoding), then the default */
    rb_reader targets = c->rd;
    targets.p = c->rd.base + in->vec;
    uint32_t idx = loc(c, c->sp - 1);
    pop(c);
    if (!grow(c, (void **)&c->tramp, &c->tramp_cap, c->nctl, sizeof *c->tramp)) return;
    for (uint32_t d = 0; d < c->nctl; d++) label_init(&c->tramp[d]);
    emit_op(c, WC_BR_TABLE);
    emit_w(c, idx);
    emit_w(c, n);
    for (uint64_t i = 0; i <= n && !c->bad && !c->oom; i++) {
        uint32_t d = in->x;
        if (i < n && rb_u32(&targets, &d) != KW_OK) {
            c->bad = 1;
            return;
        }
        ctl *t = &c->ctls[c->nctl - 1 - d];
        if (t->kind != C_FUNC && values_in_place(c, br_arity(t), t->height))
            emit_target(c, &t->end);
        else
            emit_target(c, &c->tramp[d]);
    }
    close_sites(c);
    for (uint32_t d = 0; d < c->nctl && !c->oom; d++) {
        if (!c->tramp[d].used) continue;
        label l = c->tramp[d];
        resolve_label(c, &l);
        emit_br(c, d);
        close_sites(c);
    }
}

/* ---- the body loop -------------------------------------------------------------- */

static void compile_end(comp *c)
{
    ctl *b = &c->ctls[c->nctl - 1];
    if (b->whole_dead) {
        c->nctl--;
        return;
    }
    if (b->kind == C_FUNC) {
        if (!c->dead) emit_return(c);
        close_sites(c);
        c->nctl--;
        c->dead = 1;
        return;
    }
    if (!c->dead) flush_all(c);
    int reachable = !c->dead;
    if (b->kind != C_LOOP) {
        if (b->kind == C_IF && resolve_label(c, &b->els)) reachable = 1;
        if (resolve_label(c, &b->end)) reachable = 1;
    }
    truncate_stack(c, b->height);
    for (uint32_t k = 0; k < b->nresults; k++) push(c, K_TEMP, b->rtypes[k]);
    c->dead = !reachable;
    forget(c);
    c->nctl--;
}

static void compile_body(comp *c)
{
    while (c->rd.p < c->rd.end && c->nctl > 0 && !c->bad && !c->oom) {
        rb_instr in;
        if (rb_instr_read(&c->rd, &in) != KW_OK) {
            c->bad = 1;
            return;
        }
        unsigned op = in.op;

        if (c->dead) {
            switch (op) {
            case OP_BLOCK:
            case OP_LOOP:
            case OP_IF: {
                ctl *b = push_ctl(c, op == OP_LOOP ? C_LOOP : op == OP_IF ? C_IF : C_BLOCK);
                if (!b) return;
                block_type(c, &in, b);
                b->whole_dead = 1;
                continue;
            }
            case OP_ELSE:
            case OP_END: break;
            default: continue;
            }
        }
        if (!c->dead) c->acc += FUEL_INSTR;

        switch (op) {
        case OP_UNREACHABLE:
            emit_op(c, WC_UNREACHABLE);
            end_chain(c);
            break;
        case OP_NOP: break;
        case OP_BLOCK:
        case OP_LOOP: {
            ctl tmp;
            block_type(c, &in, &tmp);
            flush_all(c);
            ctl *b = push_ctl(c, op == OP_LOOP ? C_LOOP : C_BLOCK);
            if (!b) return;
            b->nparams = tmp.nparams;
            b->ptypes = tmp.ptypes;
            b->nresults = tmp.nresults;
            b->rtypes = tmp.rtypes;
            b->height = c->sp - b->nparams;
            if (op == OP_LOOP) {
                b->end.used = 1;
                resolve_label(c, &b->end);
            }
            break;
        }
        case OP_IF: {
            ctl tmp;
            block_type(c, &in, &tmp);
            struct emitted L = c->last;
            int produced = cond_produced(c);
            uint32_t cond = loc(c, c->sp - 1);
            pop(c);
            /* the comparison moves into the branch: drop it before the
               flush, which writes only slots it does not read */
            int fused = produced && L.at >= 0 && c->last.at == L.at && fusable_cond(c->last.op);
            uint32_t fop = 0, fa = 0, fb = 0;
            if (fused) {
                fop = (uint32_t)c->last.op;
                fa = c->code[L.at + 2];
                fb = fop == WC_I32_EQZ ? 0 : c->code[L.at + 3];
                drop_last(c);
            }
            flush_all(c);
            ctl *b = push_ctl(c, C_IF);
            if (!b) return;
            b->nparams = tmp.nparams;
            b->ptypes = tmp.ptypes;
            b->nresults = tmp.nresults;
            b->rtypes = tmp.rtypes;
            b->height = c->sp - b->nparams;
            if (fused) {
                emit_cond_branch(c, (int)fop, fa, fb, 1);
            } else {
                emit_op(c, WC_BR_UNLESS);
                emit_w(c, cond);
            }
            emit_target(c, &b->els);
            break;
        }
        case OP_ELSE: {
            ctl *b = &c->ctls[c->nctl - 1];
            if (b->whole_dead) break;
            if (!c->dead) {
                flush_all(c);
                emit_op(c, WC_BR);
                emit_target(c, &b->end);
                end_chain(c);
            }
            resolve_label(c, &b->els);
            b->kind = C_ELSE;
            truncate_stack(c, b->height);
            for (uint32_t k = 0; k < b->nparams; k++) push(c, K_TEMP, b->ptypes[k]);
            c->dead = 0;
            break;
        }
        case OP_END: compile_end(c); break;
        case OP_BR:
            emit_br(c, in.x);
            end_chain(c);
            break;
        case OP_BR_IF: {
            uint32_t d = in.x;
            ctl *t = &c->ctls[c->nctl - 1 - d];
            struct emitted L = c->last;
            int produced = cond_produced(c);
            uint32_t cond = loc(c, c->sp - 1);
            pop(c);
            int direct = t->kind != C_FUNC && values_in_place(c, br_arity(t), t->height);
            if (direct && L.at >= 0 && c->last.at == L.at) {
                if (produced && fuse_branch(c, &t->end, 0)) break;
                if (L.op == WC_I32_ADD_I && c->code[L.at + 1] == cond) {
                    /* count down and branch while not zero */
                    uint32_t dst = c->code[L.at + 1], a = c->code[L.at + 2], k = c->code[L.at + 3];
                    drop_last(c);
                    emit_op(c, WC_I32_ADD_I_BRNZ);
                    emit_w(c, dst);
                    emit_w(c, a);
                    emit_w(c, k);
                    emit_target(c, &t->end);
                    break;
                }
            }
            emit_br_if(c, d, cond);
            break;
        }
        case OP_BR_TABLE:
            compile_br_table(c, &in);
            end_chain(c);
            break;
        case OP_RETURN:
            emit_return(c);
            end_chain(c);
            break;
        case OP_CALL: compile_call(c, in.x); break;
        case OP_CALL_INDIRECT: compile_call_indirect(c, in.x, in.y); break;
        case OP_DROP: pop(c); break;
        case OP_SELECT:
        case OP_SELECT_T: {
            uint8_t type = c->stk[c->sp - 3].type;
            uint32_t cnd = loc(c, c->sp - 1), b = loc(c, c->sp - 2), a = loc(c, c->sp - 3);
            pop(c);
            pop(c);
            pop(c);
            uint32_t dst = push_temp(c, type);
            emit_op(c, WC_SELECT);
            emit_w(c, dst);
            emit_w(c, a);
            emit_w(c, b);
            emit_w(c, cnd);
            note_producer(c, c->sp - 1);
            break;
        }
        case OP_LOCAL_GET: push_local(c, in.x); break;
        case OP_LOCAL_SET: compile_local_set(c, in.x, 0); break;
        case OP_LOCAL_TEE: compile_local_set(c, in.x, 1); break;
        case OP_GLOBAL_GET: {
            uint32_t g = in.x;
            uint32_t dst = push_temp(c, c->m->globals[g].type);
            emit_op(c, WC_GLOBAL_GET);
            emit_w(c, dst);
            emit_w(c, g);
            note_producer(c, c->sp - 1);
            break;
        }
        case OP_GLOBAL_SET: {
            uint32_t g = in.x;
            uint32_t src = loc(c, c->sp - 1);
            pop(c);
            emit_op(c, WC_GLOBAL_SET);
            emit_w(c, g);
            emit_w(c, src);
            break;
        }
        case OP_TABLE_GET: {
            uint32_t t = in.x;
            uint32_t i = loc(c, c->sp - 1);
            pop(c);
            uint32_t dst = push_temp(c, c->m->tables[t].elemtype);
            emit_op(c, WC_TABLE_GET);
            emit_w(c, dst);
            emit_w(c, t);
            emit_w(c, i);
            break;
        }
        case OP_TABLE_SET: emit_with_operands(c, WC_TABLE_SET, 2, 1, in.x); break;
        case OP_MEMORY_SIZE: {
            uint32_t dst = push_temp(c, KW_I32);
            emit_op(c, WC_MEMORY_SIZE);
            emit_w(c, dst);
            break;
        }
        case OP_MEMORY_GROW: {
            uint32_t n = loc(c, c->sp - 1);
            pop(c);
            uint32_t dst = push_temp(c, KW_I32);
            emit_op(c, WC_MEMORY_GROW);
            emit_w(c, dst);
            emit_w(c, n);
            break;
        }
        /* imm holds the bits: i32 zero-extended, floats as stored */
        case OP_I32_CONST: push_const(c, KW_I32, in.imm); break;
        case OP_I64_CONST: push_const(c, KW_I64, in.imm); break;
        case OP_F32_CONST: push_const(c, KW_F32, in.imm); break;
        case OP_F64_CONST: push_const(c, KW_F64, in.imm); break;
        case OP_REF_NULL: push_const(c, (uint8_t)in.x, 0); break;
        case OP_REF_FUNC: {
            uint32_t f = in.x;
            uint32_t dst = push_temp(c, KW_FUNCREF);
            emit_op(c, WC_REF_FUNC);
            emit_w(c, dst);
            emit_w(c, f);
            break;
        }
        /* value-preserving conversions: the slot already holds the result */
        case OP_I64_EXTEND_I32_U: c->stk[c->sp - 1].type = KW_I64; break;
        case OP_I32_REINTERPRET_F32: c->stk[c->sp - 1].type = KW_I32; break;
        case OP_F32_REINTERPRET_I32: c->stk[c->sp - 1].type = KW_F32; break;
        case OP_I64_REINTERPRET_F64: c->stk[c->sp - 1].type = KW_I64; break;
        case OP_F64_REINTERPRET_I64: c->stk[c->sp - 1].type = KW_F64; break;
        case OP_MEMORY_INIT: {
            emit_with_operands(c, WC_MEMORY_INIT, 3, 1, in.x);
            break;
        }
        case OP_DATA_DROP:
            emit_op(c, WC_DATA_DROP);
            emit_w(c, in.x);
            break;
        case OP_MEMORY_COPY:
            emit_with_operands(c, WC_MEMORY_COPY, 3, 0, 0);
            break;
        case OP_MEMORY_FILL:
            emit_with_operands(c, WC_MEMORY_FILL, 3, 0, 0);
            break;
        case OP_TABLE_INIT: {
            uint32_t seg = in.x, t = in.y;
            uint32_t offs[3];
            for (uint32_t k = 0; k < 3; k++) offs[k] = loc(c, c->sp - 3 + k);
            for (uint32_t k = 0; k < 3; k++) pop(c);
            emit_op(c, WC_TABLE_INIT);
            emit_w(c, t);
            emit_w(c, seg);
            for (uint32_t k = 0; k < 3; k++) emit_w(c, offs[k]);
            break;
        }
        case OP_ELEM_DROP:
            emit_op(c, WC_ELEM_DROP);
            emit_w(c, in.x);
            break;
        case OP_TABLE_COPY: {
            uint32_t td = in.x, ts = in.y;
            uint32_t offs[3];
            for (uint32_t k = 0; k < 3; k++) offs[k] = loc(c, c->sp - 3 + k);
            for (uint32_t k = 0; k < 3; k++) pop(c);
            emit_op(c, WC_TABLE_COPY);
            emit_w(c, td);
            emit_w(c, ts);
            for (uint32_t k = 0; k < 3; k++) emit_w(c, offs[k]);
            break;
        }
        case OP_TABLE_GROW: {
            uint32_t t = in.x;
            uint32_t n = loc(c, c->sp - 1), init = loc(c, c->sp - 2);
            pop(c);
            pop(c);
            uint32_t dst = push_temp(c, KW_I32);
            emit_op(c, WC_TABLE_GROW);
            emit_w(c, dst);
            emit_w(c, t);
            emit_w(c, init);
            emit_w(c, n);
            break;
        }
        case OP_TABLE_SIZE: {
            uint32_t t = in.x;
            uint32_t dst = push_temp(c, KW_I32);
            emit_op(c, WC_TABLE_SIZE);
            emit_w(c, dst);
            emit_w(c, t);
            break;
        }
        case OP_TABLE_FILL: emit_with_operands(c, WC_TABLE_FILL, 3, 1, in.x); break;
        default: {
            int lo = load_op(op);
            if (lo >= 0) { /* memarg: y is the offset; the alignment is only a hint */
                compile_load(c, lo, load_type(op), in.y);
                break;
            }
            if (op >= OP_I32_STORE && op <= OP_I64_STORE32) {
                compile_store(c, store_op(op), in.y);
                break;
            }
            const numop *n = op < 256 ? &numops[op] : (op & 0xff00) == 0xfc00 && (op & 0xff) < 8
                                                          ? &numops_fc[op & 0xff]
                                                          : NULL;
            if (!n || n->arity == 0) {
                c->bad = 1;
                return;
            }
            compile_numeric(c, n, op);
            break;
        }
        }
    }
}

static int compile_func(comp *c, uint32_t def, wc_func *out)
{
    const kw_module *m = c->m;
    uint32_t fidx = m->nfunc_imports + def;
    const wm_functype *ft = wm_func_type(m, fidx);
    const wm_body *body = &m->bodies[def];
    c->nparams = ft->nparams;
    c->nresults = ft->nresults;
    c->results = ft->results;
    c->nlocals = ft->nparams + body->nlocals;
    c->ltypes = wu_alloc((size_t)c->nlocals + 1);
    c->local_refs = wu_calloc((size_t)c->nlocals + 1, sizeof *c->local_refs);
    if (!c->ltypes || !c->local_refs) c->oom = 1;
    if (!c->oom) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < ft->nparams; i++) c->ltypes[k++] = ft->params[i];
        for (uint32_t g = 0; g < body->ngroups; g++) {
            const wm_locals *l = &m->localgroups[body->first_group + g];
            memset(c->ltypes + k, l->type, l->count);
            k += l->count;
        }
    }
    c->rd = rb_make(m->bytes, body->code_off, body->code_len, NULL);
    c->ncode = 0;
    c->sp = c->max_height = 0;
    c->nctl = c->nsites = c->nopen = 0;
    c->acc = 0;
    c->dead = 0;
    forget(c);
    int32_t entry_site = -1;
    if (!c->oom) {
        ctl *f = push_ctl(c, C_FUNC);
        if (f) {
            f->nresults = ft->nresults;
            f->rtypes = ft->results;
        }
        entry_site = open_site(c, 0);
        compile_body(c);
    }
    int rc = KW_OK;
    if (c->oom)
        rc = wu_err(c->err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory compiling function %u", fidx);
    else if (c->bad || c->nctl != 0 || c->rd.p != c->rd.end)
        rc = wu_err(c->err, KW_E_MALFORMED, body->entry_off,
                    "function %u could not be compiled", fidx);
    if (rc == KW_OK) {
        out->code = wu_realloc(c->code, c->ncode ? c->ncode : 1, sizeof *c->code);
        if (!out->code) out->code = c->code;
        c->code = NULL;
        c->cap = 0;
        out->ncode = c->ncode;
        out->index = fidx;
        out->nparams = ft->nparams;
        out->nresults = ft->nresults;
        out->nlocals = c->nlocals;
        uint64_t frame = (uint64_t)c->nlocals + c->max_height;
        if (frame < ft->nresults) frame = ft->nresults;
        out->frame_slots = (uint32_t)frame;
        uint64_t fuel = entry_site >= 0 ? c->sites[entry_site].value : 0;
        fuel += (body->nlocals + FUEL_LOCALS_PER - 1) / FUEL_LOCALS_PER;
        out->entry_fuel = fuel > UINT32_MAX ? UINT32_MAX : (uint32_t)fuel;
        out->metered = (uint8_t)c->metered;
    }
    wu_free(c->ltypes);
    wu_free(c->local_refs);
    c->ltypes = NULL;
    c->local_refs = NULL;
    return rc;
}

int cmp_module(kw_module *m, kw_error *err)
{
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    m->code = wu_calloc(ndef ? ndef : 1, sizeof *m->code);
    if (!m->code) return wu_err(err, KW_E_NOMEM, KW_NO_OFFSET, "out of memory");
    comp c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.metered = !m->cfg.no_metering;
    c.handlers = wr_handlers(c.metered);
    c.hbase = (const char *)c.handlers[0];
    c.err = err;
    int rc = KW_OK;
    for (uint32_t i = 0; i < ndef && rc == KW_OK; i++) rc = compile_func(&c, i, &m->code[i]);
    wu_free(c.code);
    wu_free(c.stk);
    wu_free(c.ctls);
    wu_free(c.sites);
    wu_free(c.open);
    wu_free(c.tramp);
    return rc;
}

void cmp_module_free(kw_module *m)
{
    if (!m->code) return;
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    for (uint32_t i = 0; i < ndef; i++) wu_free(m->code[i].code);
    wu_free(m->code);
    m->code = NULL;
}
