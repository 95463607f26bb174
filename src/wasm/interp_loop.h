/*
 * interp_loop.h: the body of the interpreter, included twice by interp.c:
 * once with WR_METERED 1 (fuel charged on function entry, taken branches
 * and bulk work) and once with WR_METERED 0 (no fuel code at all). Each
 * copy has its own handler table; a module's code is compiled against one
 * of them (wc_func.metered).
 *
 * Dispatch is direct threading with computed goto: the first word of an
 * instruction is its handler's offset from the first handler, so going to
 * the next instruction is one load, one add and one indirect jump. The
 * state the hot loop needs lives in locals the compiler keeps in
 * registers: pc, fp, the memory base and size, and the fuel left.
 *
 * Calls between wasm functions never recurse in C: frames go on the
 * store's frame stack. Only host functions, and calls into code compiled
 * for the other interpreter, nest a C call (bounded by WR_MAX_NEST).
 */

static int WR_RUN_NAME(kw_store *s, kw_instance *inst, const wc_func *f, uint64_t *fp,
                       const void *const **table_out)
{
    static const void *const labels[WC_NOPS] = {
#define WR_LABEL_(name, n) &&L_##name,
        WC_OPS(WR_LABEL_)
#undef WR_LABEL_
    };
    if (table_out) {
        *table_out = labels;
        return KW_OK;
    }
    (void)f;

    const char *const hbase = (const char *)labels[0];
    wr_frame *const frames = s->frames;
    const uint32_t base_depth = s->depth;
    const uint32_t maxdepth = s->cfg.max_call_depth;
    uint64_t *const stack_end = s->stack + s->stack_slots;
    uint64_t *const saved_top = s->stack_top;
    uint32_t depth = base_depth;
#if WR_METERED
    int64_t fuel = s->fuel;
#endif
    const uint32_t *pc = NULL;
    uint8_t *mem = NULL;
    uint64_t msize = 0;
    const wc_func *mcode = inst->module->code;
    kw_val **gv = inst->gvals;
    int rc = KW_OK, msg_set = 0;
    /* the return address of the outermost frame: one EXIT instruction */
    uint32_t exit_code[1];
    exit_code[0] = (uint32_t)((const char *)labels[WC_EXIT] - hbase);

    /* used by the shared call path */
    kw_func *callee;
    uint32_t argoff;
    const uint32_t *retpc;

#define DISPATCH() goto *(const void *)(hbase + (int32_t)pc[0])
#define NEXT(n)                                                                        \
    do {                                                                               \
        pc += (n);                                                                     \
        DISPATCH();                                                                    \
    } while (0)
#define TRAP(code)                                                                     \
    do {                                                                               \
        rc = (code);                                                                   \
        goto trap;                                                                     \
    } while (0)
#if WR_METERED
#define CHARGE(c)                                                                      \
    do {                                                                               \
        int64_t c_ = (int64_t)(c);                                                     \
        if (fuel < c_) TRAP(KW_TRAP_FUEL);                                             \
        fuel -= c_;                                                                    \
    } while (0)
#define SYNC_FUEL_OUT() (s->fuel = fuel)
#define SYNC_FUEL_IN() (fuel = s->fuel)
#else
#define CHARGE(c) ((void)0)
#define SYNC_FUEL_OUT() ((void)0)
#define SYNC_FUEL_IN() ((void)0)
#endif
#define SLOTP(off) ((uint8_t *)fp + (off))
#define RD32(off) ld32(SLOTP(off))
#define RD64(off) ld64(SLOTP(off))
#define RDF32(off) f32_from(RD32(off))
#define RDF64(off) f64_from(RD64(off))
#define WR32(off, v) st64(SLOTP(off), (uint64_t)(uint32_t)(v))
#define WR64(off, v) st64(SLOTP(off), (uint64_t)(v))
#define LOAD_MEM()                                                                     \
    do {                                                                               \
        kw_memory *m0_ = inst->mem0;                                                   \
        mem = m0_ ? m0_->data : NULL;                                                  \
        msize = m0_ ? m0_->size : 0;                                                   \
    } while (0)
#define SWITCH_INST(i)                                                                 \
    do {                                                                               \
        inst = (i);                                                                    \
        mcode = inst->module->code;                                                    \
        gv = inst->gvals;                                                              \
    } while (0)

    if (depth >= maxdepth || s->nest >= WR_MAX_NEST) TRAP(KW_TRAP_CALL_DEPTH);
    if ((uint64_t)(stack_end - fp) < f->frame_slots) TRAP(KW_TRAP_STACK);
    CHARGE(f->entry_fuel);
    s->nest++;
    frames[depth].ret_pc = exit_code;
    frames[depth].fp = fp;
    frames[depth].inst = inst;
    depth++;
    if (f->nlocals > f->nparams) memset(fp + f->nparams, 0, (size_t)(f->nlocals - f->nparams) * 8);
    LOAD_MEM();
    pc = f->code;
    DISPATCH();

    /* ---- control ---------------------------------------------------------- */
L_EXIT:
    s->nest--;
    s->depth = base_depth;
    SYNC_FUEL_OUT();
    return KW_OK;

L_UNREACHABLE:
    TRAP(KW_TRAP_UNREACHABLE);

    /* Branch targets are word offsets from the target field itself. */
L_BR:
    CHARGE(pc[2]);
    pc += 1 + (int32_t)pc[1];
    DISPATCH();

L_BR_IF:
    if (RD32(pc[1])) {
        CHARGE(pc[3]);
        pc += 2 + (int32_t)pc[2];
        DISPATCH();
    }
    NEXT(4);

L_BR_UNLESS:
    if (!RD32(pc[1])) {
        CHARGE(pc[3]);
        pc += 2 + (int32_t)pc[2];
        DISPATCH();
    }
    NEXT(4);

L_BR_TABLE: {
    uint32_t i = RD32(pc[1]), n = pc[2];
    const uint32_t *e = pc + 3 + 2 * (size_t)(i < n ? i : n);
    CHARGE(e[1]);
    pc = e + (int32_t)e[0];
    DISPATCH();
}

L_RETURN: {
    depth--;
    const wr_frame *fr = &frames[depth];
    pc = fr->ret_pc;
    fp = fr->fp;
    if (fr->inst != inst) SWITCH_INST(fr->inst);
    LOAD_MEM(); /* the callee may have grown the memory */
    DISPATCH();
}

L_CALL: {
    const wc_func *cf = &mcode[pc[1]];
    uint64_t *nfp = (uint64_t *)SLOTP(pc[2]);
    if (depth >= maxdepth) TRAP(KW_TRAP_CALL_DEPTH);
    if ((uint64_t)(stack_end - nfp) < cf->frame_slots) TRAP(KW_TRAP_STACK);
    CHARGE(cf->entry_fuel);
    frames[depth].ret_pc = pc + 3;
    frames[depth].fp = fp;
    frames[depth].inst = inst;
    depth++;
    if (cf->nlocals > cf->nparams)
        memset(nfp + cf->nparams, 0, (size_t)(cf->nlocals - cf->nparams) * 8);
    fp = nfp;
    pc = cf->code;
    DISPATCH();
}

L_CALL_IMPORT:
    callee = inst->funcs[pc[1]];
    argoff = pc[2];
    retpc = pc + 3;
    goto call_func;

L_CALL_INDIRECT: {
    const kw_table *t = inst->tables[pc[1]];
    uint32_t i = RD32(pc[4]);
    if (i >= t->size) TRAP(KW_TRAP_UNDEFINED);
    callee = (kw_func *)t->elems[i];
    if (!callee) TRAP(KW_TRAP_UNINITIALIZED);
    if (callee->type != inst->types[pc[2]]) TRAP(KW_TRAP_INDIRECT_TYPE);
    argoff = pc[3];
    retpc = pc + 5;
    goto call_func;
}

call_func: {
    uint64_t *nfp = (uint64_t *)SLOTP(argoff);
    if (callee->host) {
        const wr_type *ty = callee->type;
        uint32_t nmax = ty->nparams > ty->nresults ? ty->nparams : ty->nresults;
        if ((uint64_t)(stack_end - nfp) < nmax) TRAP(KW_TRAP_STACK);
        kw_call_ctx ctx = {s, inst};
        SYNC_FUEL_OUT();
        s->depth = depth;
        s->stack_top = nfp + nmax;
        s->trap.code = KW_OK;
        int r = callee->host(&ctx, callee->user, (const kw_val *)nfp, (kw_val *)nfp);
        s->stack_top = saved_top;
        SYNC_FUEL_IN();
        if (r != KW_OK) {
            rc = r;
            msg_set = s->trap.code == r;
            goto trap;
        }
        /* keep the slot invariant: 32-bit results have a zero high half */
        for (uint32_t k = 0; k < ty->nresults; k++)
            if (ty->results[k] == KW_I32 || ty->results[k] == KW_F32) nfp[k] &= 0xffffffffu;
        LOAD_MEM();
        pc = retpc;
        DISPATCH();
    }
    const wc_func *cf = callee->code;
    if (cf->metered != WR_METERED) {
        /* code compiled for the other interpreter: a nested run */
        SYNC_FUEL_OUT();
        s->depth = depth;
        s->stack_top = nfp;
        int r = wr_run(s, callee->inst, cf, nfp);
        s->stack_top = saved_top;
        SYNC_FUEL_IN();
        if (r != KW_OK) {
            rc = r;
            msg_set = 1;
            goto trap;
        }
        LOAD_MEM();
        pc = retpc;
        DISPATCH();
    }
    if (depth >= maxdepth) TRAP(KW_TRAP_CALL_DEPTH);
    if ((uint64_t)(stack_end - nfp) < cf->frame_slots) TRAP(KW_TRAP_STACK);
    CHARGE(cf->entry_fuel);
    frames[depth].ret_pc = retpc;
    frames[depth].fp = fp;
    frames[depth].inst = inst;
    depth++;
    if (cf->nlocals > cf->nparams)
        memset(nfp + cf->nparams, 0, (size_t)(cf->nlocals - cf->nparams) * 8);
    fp = nfp;
    if (callee->inst != inst) {
        SWITCH_INST(callee->inst);
        LOAD_MEM();
    }
    pc = cf->code;
    DISPATCH();
}

    /* ---- values and variables ---------------------------------------------- */
L_COPY:
    WR64(pc[1], RD64(pc[2]));
    NEXT(3);
L_CONST32:
    WR32(pc[1], pc[2]);
    NEXT(3);
L_CONST64:
    WR64(pc[1], (uint64_t)pc[2] | ((uint64_t)pc[3] << 32));
    NEXT(4);
L_GLOBAL_GET:
    WR64(pc[1], gv[pc[2]]->raw);
    NEXT(3);
L_GLOBAL_SET:
    gv[pc[1]]->raw = RD64(pc[2]);
    NEXT(3);
L_SELECT: {
    uint64_t a = RD64(pc[2]), b = RD64(pc[3]);
    WR64(pc[1], RD32(pc[4]) ? a : b);
    NEXT(5);
}
L_REF_FUNC:
    WR64(pc[1], (uint64_t)(uintptr_t)inst->funcs[pc[2]]);
    NEXT(3);
L_REF_IS_NULL:
    WR32(pc[1], RD64(pc[2]) == 0);
    NEXT(3);

    /* ---- memory ------------------------------------------------------------ */
#define EA_(addr, n)                                                                   \
    uint64_t ea = (uint64_t)RD32(addr) + pc[3];                                        \
    if (ea + (n) > msize) TRAP(KW_TRAP_MEMORY_OOB)
#define LOAD_(name, n, expr)                                                           \
    L_##name : {                                                                       \
        EA_(pc[2], n);                                                                 \
        const uint8_t *p = mem + ea;                                                   \
        WR64(pc[1], (expr));                                                           \
        NEXT(4);                                                                       \
    }
    LOAD_(LOAD32, 4, ld32(p))
    LOAD_(LOAD64, 8, ld64(p))
    LOAD_(I32_LOAD8_S, 1, (uint32_t)(int32_t)(int8_t)p[0])
    LOAD_(I32_LOAD8_U, 1, p[0])
    LOAD_(I32_LOAD16_S, 2, (uint32_t)(int32_t)(int16_t)ld16(p))
    LOAD_(I32_LOAD16_U, 2, ld16(p))
    LOAD_(I64_LOAD8_S, 1, (uint64_t)(int64_t)(int8_t)p[0])
    LOAD_(I64_LOAD8_U, 1, p[0])
    LOAD_(I64_LOAD16_S, 2, (uint64_t)(int64_t)(int16_t)ld16(p))
    LOAD_(I64_LOAD16_U, 2, ld16(p))
    LOAD_(I64_LOAD32_S, 4, (uint64_t)(int64_t)(int32_t)ld32(p))
    LOAD_(I64_LOAD32_U, 4, ld32(p))
#undef LOAD_
#define STORE_(name, n, stmt)                                                          \
    L_##name : {                                                                       \
        EA_(pc[1], n);                                                                 \
        uint8_t *p = mem + ea;                                                         \
        stmt;                                                                          \
        NEXT(4);                                                                       \
    }
    STORE_(STORE8, 1, p[0] = (uint8_t)RD32(pc[2]))
    STORE_(STORE16, 2, st16(p, (uint16_t)RD32(pc[2])))
    STORE_(STORE32, 4, st32(p, RD32(pc[2])))
    STORE_(STORE64, 8, st64(p, RD64(pc[2])))
#undef STORE_
#undef EA_

L_MEMORY_SIZE:
    WR32(pc[1], (uint32_t)(msize / KW_PAGE_SIZE));
    NEXT(2);

L_MEMORY_GROW: {
    uint32_t n = RD32(pc[2]);
    CHARGE((uint64_t)n * FUEL_GROW_PAGE);
    int64_t r = wr_memory_grow(inst->mem0, n);
    WR32(pc[1], (uint32_t)r);
    LOAD_MEM();
    NEXT(3);
}

L_MEMORY_FILL: {
    uint32_t d = RD32(pc[1]), v = RD32(pc[2]), n = RD32(pc[3]);
    CHARGE(((uint64_t)n + FUEL_BULK_BYTES - 1) / FUEL_BULK_BYTES);
    if ((uint64_t)d + n > msize) TRAP(KW_TRAP_MEMORY_OOB);
    if (n) memset(mem + d, (int)(v & 0xff), n);
    NEXT(4);
}

L_MEMORY_COPY: {
    uint32_t d = RD32(pc[1]), sr = RD32(pc[2]), n = RD32(pc[3]);
    CHARGE(((uint64_t)n + FUEL_BULK_BYTES - 1) / FUEL_BULK_BYTES);
    if ((uint64_t)d + n > msize || (uint64_t)sr + n > msize) TRAP(KW_TRAP_MEMORY_OOB);
    if (n) memmove(mem + d, mem + sr, n);
    NEXT(4);
}

L_MEMORY_INIT: {
    const wm_data *seg = &inst->module->datas[pc[1]];
    uint32_t d = RD32(pc[2]), sr = RD32(pc[3]), n = RD32(pc[4]);
    uint64_t len = inst->data_dropped[pc[1]] ? 0 : seg->len;
    CHARGE(((uint64_t)n + FUEL_BULK_BYTES - 1) / FUEL_BULK_BYTES);
    if ((uint64_t)sr + n > len || (uint64_t)d + n > msize) TRAP(KW_TRAP_MEMORY_OOB);
    if (n) memcpy(mem + d, inst->module->bytes + seg->off + sr, n);
    NEXT(5);
}

L_DATA_DROP:
    inst->data_dropped[pc[1]] = 1;
    NEXT(2);

    /* ---- tables ------------------------------------------------------------ */
L_TABLE_GET: {
    const kw_table *t = inst->tables[pc[2]];
    uint32_t i = RD32(pc[3]);
    if (i >= t->size) TRAP(KW_TRAP_TABLE_OOB);
    WR64(pc[1], (uint64_t)(uintptr_t)t->elems[i]);
    NEXT(4);
}

L_TABLE_SET: {
    kw_table *t = inst->tables[pc[1]];
    uint32_t i = RD32(pc[2]);
    if (i >= t->size) TRAP(KW_TRAP_TABLE_OOB);
    t->elems[i] = (void *)(uintptr_t)RD64(pc[3]);
    NEXT(4);
}

L_TABLE_SIZE:
    WR32(pc[1], inst->tables[pc[2]]->size);
    NEXT(3);

L_TABLE_GROW: {
    void *init = (void *)(uintptr_t)RD64(pc[3]);
    uint32_t n = RD32(pc[4]);
    CHARGE(((uint64_t)n + FUEL_TABLE_ELEMS - 1) / FUEL_TABLE_ELEMS);
    WR32(pc[1], (uint32_t)wr_table_grow(inst->tables[pc[2]], n, init));
    NEXT(5);
}

L_TABLE_FILL: {
    kw_table *t = inst->tables[pc[1]];
    uint32_t i = RD32(pc[2]), n = RD32(pc[4]);
    void *v = (void *)(uintptr_t)RD64(pc[3]);
    CHARGE(((uint64_t)n + FUEL_TABLE_ELEMS - 1) / FUEL_TABLE_ELEMS);
    if ((uint64_t)i + n > t->size) TRAP(KW_TRAP_TABLE_OOB);
    for (uint32_t k = 0; k < n; k++) t->elems[i + k] = v;
    NEXT(5);
}

L_TABLE_COPY: {
    kw_table *td = inst->tables[pc[1]];
    const kw_table *ts = inst->tables[pc[2]];
    uint32_t d = RD32(pc[3]), sr = RD32(pc[4]), n = RD32(pc[5]);
    CHARGE(((uint64_t)n + FUEL_TABLE_ELEMS - 1) / FUEL_TABLE_ELEMS);
    if ((uint64_t)d + n > td->size || (uint64_t)sr + n > ts->size) TRAP(KW_TRAP_TABLE_OOB);
    if (n) memmove(td->elems + d, ts->elems + sr, (size_t)n * sizeof(void *));
    NEXT(6);
}

L_TABLE_INIT: {
    kw_table *t = inst->tables[pc[1]];
    uint32_t seg = pc[2];
    uint32_t d = RD32(pc[3]), sr = RD32(pc[4]), n = RD32(pc[5]);
    CHARGE(((uint64_t)n + FUEL_TABLE_ELEMS - 1) / FUEL_TABLE_ELEMS);
    if ((uint64_t)sr + n > inst->elem_len[seg] || (uint64_t)d + n > t->size)
        TRAP(KW_TRAP_TABLE_OOB);
    if (n) memcpy(t->elems + d, inst->elem_items[seg] + sr, (size_t)n * sizeof(void *));
    NEXT(6);
}

L_ELEM_DROP:
    inst->elem_len[pc[1]] = 0;
    NEXT(2);

    /* ---- numeric ------------------------------------------------------------ */
    /* R: result width (32 or 64); A: operand reader; T: operand C type */
#define UN_(name, R, T, RD, expr)                                                      \
    L_##name : {                                                                       \
        T a = RD(pc[2]);                                                               \
        WR##R(pc[1], (expr));                                                          \
        NEXT(3);                                                                       \
    }
    UN_(I32_EQZ, 32, uint32_t, RD32, a == 0)
    UN_(I64_EQZ, 32, uint64_t, RD64, a == 0)
    UN_(I32_CLZ, 32, uint32_t, RD32, clz32(a))
    UN_(I32_CTZ, 32, uint32_t, RD32, ctz32(a))
    UN_(I32_POPCNT, 32, uint32_t, RD32, (uint32_t)__builtin_popcount(a))
    UN_(I64_CLZ, 64, uint64_t, RD64, clz64(a))
    UN_(I64_CTZ, 64, uint64_t, RD64, ctz64(a))
    UN_(I64_POPCNT, 64, uint64_t, RD64, (uint64_t)__builtin_popcountll(a))
    UN_(F32_ABS, 32, uint32_t, RD32, a & 0x7fffffffu)
    UN_(F32_NEG, 32, uint32_t, RD32, a ^ 0x80000000u)
    UN_(F32_CEIL, 32, float, RDF32, f32_arith(ceilf(a)))
    UN_(F32_FLOOR, 32, float, RDF32, f32_arith(floorf(a)))
    UN_(F32_TRUNC, 32, float, RDF32, f32_arith(truncf(a)))
    UN_(F32_NEAREST, 32, float, RDF32, f32_nearest(a))
    UN_(F32_SQRT, 32, float, RDF32, f32_arith(sqrtf(a)))
    UN_(F64_ABS, 64, uint64_t, RD64, a & 0x7fffffffffffffffull)
    UN_(F64_NEG, 64, uint64_t, RD64, a ^ 0x8000000000000000ull)
    UN_(F64_CEIL, 64, double, RDF64, f64_arith(ceil(a)))
    UN_(F64_FLOOR, 64, double, RDF64, f64_arith(floor(a)))
    UN_(F64_TRUNC, 64, double, RDF64, f64_arith(trunc(a)))
    UN_(F64_NEAREST, 64, double, RDF64, f64_nearest(a))
    UN_(F64_SQRT, 64, double, RDF64, f64_arith(sqrt(a)))
    UN_(I32_WRAP_I64, 32, uint64_t, RD64, (uint32_t)a)
    UN_(I64_EXTEND_I32_S, 64, uint32_t, RD32, (uint64_t)(int64_t)(int32_t)a)
    UN_(I64_EXTEND_I32_U, 64, uint32_t, RD32, (uint64_t)a)
    UN_(F32_CONVERT_I32_S, 32, uint32_t, RD32, f32_bits((float)(int32_t)a))
    UN_(F32_CONVERT_I32_U, 32, uint32_t, RD32, f32_bits((float)a))
    UN_(F32_CONVERT_I64_S, 32, uint64_t, RD64, f32_bits((float)(int64_t)a))
    UN_(F32_CONVERT_I64_U, 32, uint64_t, RD64, f32_bits((float)a))
    UN_(F64_CONVERT_I32_S, 64, uint32_t, RD32, f64_bits((double)(int32_t)a))
    UN_(F64_CONVERT_I32_U, 64, uint32_t, RD32, f64_bits((double)a))
    UN_(F64_CONVERT_I64_S, 64, uint64_t, RD64, f64_bits((double)(int64_t)a))
    UN_(F64_CONVERT_I64_U, 64, uint64_t, RD64, f64_bits((double)a))
    UN_(F32_DEMOTE_F64, 32, double, RDF64, f32_arith((float)a))
    UN_(F64_PROMOTE_F32, 64, float, RDF32, f64_arith((double)a))
    UN_(I32_EXTEND8_S, 32, uint32_t, RD32, (uint32_t)(int32_t)(int8_t)a)
    UN_(I32_EXTEND16_S, 32, uint32_t, RD32, (uint32_t)(int32_t)(int16_t)a)
    UN_(I64_EXTEND8_S, 64, uint64_t, RD64, (uint64_t)(int64_t)(int8_t)a)
    UN_(I64_EXTEND16_S, 64, uint64_t, RD64, (uint64_t)(int64_t)(int16_t)a)
    UN_(I64_EXTEND32_S, 64, uint64_t, RD64, (uint64_t)(int64_t)(int32_t)a)
    UN_(I32_TRUNC_SAT_F32_S, 32, float, RDF32, sat_f32_i32(a))
    UN_(I32_TRUNC_SAT_F32_U, 32, float, RDF32, sat_f32_u32(a))
    UN_(I32_TRUNC_SAT_F64_S, 32, double, RDF64, sat_f64_i32(a))
    UN_(I32_TRUNC_SAT_F64_U, 32, double, RDF64, sat_f64_u32(a))
    UN_(I64_TRUNC_SAT_F32_S, 64, float, RDF32, sat_f32_i64(a))
    UN_(I64_TRUNC_SAT_F32_U, 64, float, RDF32, sat_f32_u64(a))
    UN_(I64_TRUNC_SAT_F64_S, 64, double, RDF64, sat_f64_i64(a))
    UN_(I64_TRUNC_SAT_F64_U, 64, double, RDF64, sat_f64_u64(a))
#undef UN_

    /* Trapping float-to-int: NaN is an invalid conversion, out of range an
       overflow. */
#define TRUNC_(name, R, T, RD, fits, CT)                                               \
    L_##name : {                                                                       \
        T a = RD(pc[2]);                                                               \
        if (a != a) TRAP(KW_TRAP_CONVERSION);                                          \
        if (!fits(a)) TRAP(KW_TRAP_INT_OVERFLOW);                                      \
        WR##R(pc[1], (CT)a);                                                           \
        NEXT(3);                                                                       \
    }
    TRUNC_(I32_TRUNC_F32_S, 32, float, RDF32, f32_fits_i32, int32_t)
    TRUNC_(I32_TRUNC_F32_U, 32, float, RDF32, f32_fits_u32, uint32_t)
    TRUNC_(I32_TRUNC_F64_S, 32, double, RDF64, f64_fits_i32, int32_t)
    TRUNC_(I32_TRUNC_F64_U, 32, double, RDF64, f64_fits_u32, uint32_t)
    TRUNC_(I64_TRUNC_F32_S, 64, float, RDF32, f32_fits_i64, int64_t)
    TRUNC_(I64_TRUNC_F32_U, 64, float, RDF32, f32_fits_u64, uint64_t)
    TRUNC_(I64_TRUNC_F64_S, 64, double, RDF64, f64_fits_i64, int64_t)
    TRUNC_(I64_TRUNC_F64_U, 64, double, RDF64, f64_fits_u64, uint64_t)
#undef TRUNC_

#define BIN_(name, R, T, RD, expr)                                                     \
    L_##name : {                                                                       \
        T a = RD(pc[2]), b = RD(pc[3]);                                                \
        WR##R(pc[1], (expr));                                                          \
        NEXT(4);                                                                       \
    }
#define S32_(x) ((int32_t)(x))
#define S64_(x) ((int64_t)(x))
    BIN_(I32_EQ, 32, uint32_t, RD32, a == b)
    BIN_(I32_NE, 32, uint32_t, RD32, a != b)
    BIN_(I32_LT_S, 32, uint32_t, RD32, S32_(a) < S32_(b))
    BIN_(I32_LT_U, 32, uint32_t, RD32, a < b)
    BIN_(I32_GT_S, 32, uint32_t, RD32, S32_(a) > S32_(b))
    BIN_(I32_GT_U, 32, uint32_t, RD32, a > b)
    BIN_(I32_LE_S, 32, uint32_t, RD32, S32_(a) <= S32_(b))
    BIN_(I32_LE_U, 32, uint32_t, RD32, a <= b)
    BIN_(I32_GE_S, 32, uint32_t, RD32, S32_(a) >= S32_(b))
    BIN_(I32_GE_U, 32, uint32_t, RD32, a >= b)
    BIN_(I64_EQ, 32, uint64_t, RD64, a == b)
    BIN_(I64_NE, 32, uint64_t, RD64, a != b)
    BIN_(I64_LT_S, 32, uint64_t, RD64, S64_(a) < S64_(b))
    BIN_(I64_LT_U, 32, uint64_t, RD64, a < b)
    BIN_(I64_GT_S, 32, uint64_t, RD64, S64_(a) > S64_(b))
    BIN_(I64_GT_U, 32, uint64_t, RD64, a > b)
    BIN_(I64_LE_S, 32, uint64_t, RD64, S64_(a) <= S64_(b))
    BIN_(I64_LE_U, 32, uint64_t, RD64, a <= b)
    BIN_(I64_GE_S, 32, uint64_t, RD64, S64_(a) >= S64_(b))
    BIN_(I64_GE_U, 32, uint64_t, RD64, a >= b)
    BIN_(F32_EQ, 32, float, RDF32, a == b)
    BIN_(F32_NE, 32, float, RDF32, a != b)
    BIN_(F32_LT, 32, float, RDF32, a < b)
    BIN_(F32_GT, 32, float, RDF32, a > b)
    BIN_(F32_LE, 32, float, RDF32, a <= b)
    BIN_(F32_GE, 32, float, RDF32, a >= b)
    BIN_(F64_EQ, 32, double, RDF64, a == b)
    BIN_(F64_NE, 32, double, RDF64, a != b)
    BIN_(F64_LT, 32, double, RDF64, a < b)
    BIN_(F64_GT, 32, double, RDF64, a > b)
    BIN_(F64_LE, 32, double, RDF64, a <= b)
    BIN_(F64_GE, 32, double, RDF64, a >= b)
    BIN_(I32_ADD, 32, uint32_t, RD32, a + b)
    BIN_(I32_SUB, 32, uint32_t, RD32, a - b)
    BIN_(I32_MUL, 32, uint32_t, RD32, a * b)
    BIN_(I32_AND, 32, uint32_t, RD32, a & b)
    BIN_(I32_OR, 32, uint32_t, RD32, a | b)
    BIN_(I32_XOR, 32, uint32_t, RD32, a ^ b)
    BIN_(I32_SHL, 32, uint32_t, RD32, a << (b & 31))
    BIN_(I32_SHR_S, 32, uint32_t, RD32, sar32(a, b))
    BIN_(I32_SHR_U, 32, uint32_t, RD32, a >> (b & 31))
    BIN_(I32_ROTL, 32, uint32_t, RD32, rotl32(a, b))
    BIN_(I32_ROTR, 32, uint32_t, RD32, rotr32(a, b))
    BIN_(I64_ADD, 64, uint64_t, RD64, a + b)
    BIN_(I64_SUB, 64, uint64_t, RD64, a - b)
    BIN_(I64_MUL, 64, uint64_t, RD64, a * b)
    BIN_(I64_AND, 64, uint64_t, RD64, a & b)
    BIN_(I64_OR, 64, uint64_t, RD64, a | b)
    BIN_(I64_XOR, 64, uint64_t, RD64, a ^ b)
    BIN_(I64_SHL, 64, uint64_t, RD64, a << (b & 63))
    BIN_(I64_SHR_S, 64, uint64_t, RD64, sar64(a, b))
    BIN_(I64_SHR_U, 64, uint64_t, RD64, a >> (b & 63))
    BIN_(I64_ROTL, 64, uint64_t, RD64, rotl64(a, b))
    BIN_(I64_ROTR, 64, uint64_t, RD64, rotr64(a, b))
    BIN_(F32_ADD, 32, float, RDF32, f32_arith(a + b))
    BIN_(F32_SUB, 32, float, RDF32, f32_arith(a - b))
    BIN_(F32_MUL, 32, float, RDF32, f32_arith(a * b))
    BIN_(F32_DIV, 32, float, RDF32, f32_arith(a / b))
    BIN_(F32_MIN, 32, float, RDF32, f32_min(a, b))
    BIN_(F32_MAX, 32, float, RDF32, f32_max(a, b))
    BIN_(F32_COPYSIGN, 32, uint32_t, RD32, (a & 0x7fffffffu) | (b & 0x80000000u))
    BIN_(F64_ADD, 64, double, RDF64, f64_arith(a + b))
    BIN_(F64_SUB, 64, double, RDF64, f64_arith(a - b))
    BIN_(F64_MUL, 64, double, RDF64, f64_arith(a * b))
    BIN_(F64_DIV, 64, double, RDF64, f64_arith(a / b))
    BIN_(F64_MIN, 64, double, RDF64, f64_min(a, b))
    BIN_(F64_MAX, 64, double, RDF64, f64_max(a, b))
    BIN_(F64_COPYSIGN, 64, uint64_t, RD64,
         (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull))
#undef BIN_

    /* Division: zero divisors trap; INT_MIN / -1 overflows, INT_MIN % -1 is 0. */
L_I32_DIV_S: {
    uint32_t a = RD32(pc[2]), b = RD32(pc[3]);
    if (b == 0) TRAP(KW_TRAP_DIV_ZERO);
    if (a == 0x80000000u && b == 0xffffffffu) TRAP(KW_TRAP_INT_OVERFLOW);
    WR32(pc[1], (uint32_t)(S32_(a) / S32_(b)));
    NEXT(4);
}
L_I32_DIV_U: {
    uint32_t a = RD32(pc[2]), b = RD32(pc[3]);
    if (b == 0) TRAP(KW_TRAP_DIV_ZERO);
    WR32(pc[1], a / b);
    NEXT(4);
}
L_I32_REM_S: {
    uint32_t a = RD32(pc[2]), b = RD32(pc[3]);
    if (b == 0) TRAP(KW_TRAP_DIV_ZERO);
    WR32(pc[1], b == 0xffffffffu ? 0 : (uint32_t)(S32_(a) % S32_(b)));
    NEXT(4);
}
L_I32_REM_U: {
    uint32_t a = RD32(pc[2]), b = RD32(pc[3]);
    if (b == 0) TRAP(KW_TRAP_DIV_ZERO);
    WR32(pc[1], a % b);
    NEXT(4);
}
L_I64_DIV_S: {
    uint64_t a = RD64(pc[2]), b = RD64(pc[3]);
    if (b == 0) TRAP(KW_TRAP_DIV_ZERO);
    if (a == 0x8000000000000000ull && b == ~0ull) TRAP(KW_TRAP_INT_OVERFLOW);
    WR64(pc[1], (uint64_t)(S64_(a) / S64_(b)));
    NEXT(4);
}
L_I64_DIV_U: {
    uint64_t a = RD64(pc[2]), b = RD64(pc[3]);
    if (b == 0) TRAP(KW_TRAP_DIV_ZERO);
    WR64(pc[1], a / b);
    NEXT(4);
}
L_I64_REM_S: {
    uint64_t a = RD64(pc[2]), b = RD64(pc[3]);
    if (b == 0) TRAP(KW_TRAP_DIV_ZERO);
    WR64(pc[1], b == ~0ull ? 0 : (uint64_t)(S64_(a) % S64_(b)));
    NEXT(4);
}
L_I64_REM_U: {
    uint64_t a = RD64(pc[2]), b = RD64(pc[3]);
    if (b == 0) TRAP(KW_TRAP_DIV_ZERO);
    WR64(pc[1], a % b);
    NEXT(4);
}

    /* Fused with a 32-bit constant operand (sign-extended for i64). */
#define IMM_(name, R, T, RD, expr)                                                     \
    L_##name : {                                                                       \
        T a = RD(pc[2]);                                                               \
        uint32_t k = pc[3];                                                            \
        WR##R(pc[1], (expr));                                                          \
        NEXT(4);                                                                       \
    }
#define K64_ ((uint64_t)(int64_t)(int32_t)k)
    IMM_(I32_ADD_I, 32, uint32_t, RD32, a + k)
    IMM_(I32_SUB_I, 32, uint32_t, RD32, a - k)
    IMM_(I32_MUL_I, 32, uint32_t, RD32, a * k)
    IMM_(I32_AND_I, 32, uint32_t, RD32, a & k)
    IMM_(I32_OR_I, 32, uint32_t, RD32, a | k)
    IMM_(I32_XOR_I, 32, uint32_t, RD32, a ^ k)
    IMM_(I32_SHL_I, 32, uint32_t, RD32, a << (k & 31))
    IMM_(I32_SHR_S_I, 32, uint32_t, RD32, sar32(a, k))
    IMM_(I32_SHR_U_I, 32, uint32_t, RD32, a >> (k & 31))
    IMM_(I32_EQ_I, 32, uint32_t, RD32, a == k)
    IMM_(I32_NE_I, 32, uint32_t, RD32, a != k)
    IMM_(I32_LT_S_I, 32, uint32_t, RD32, S32_(a) < S32_(k))
    IMM_(I32_LT_U_I, 32, uint32_t, RD32, a < k)
    IMM_(I32_GT_S_I, 32, uint32_t, RD32, S32_(a) > S32_(k))
    IMM_(I32_GT_U_I, 32, uint32_t, RD32, a > k)
    IMM_(I32_LE_S_I, 32, uint32_t, RD32, S32_(a) <= S32_(k))
    IMM_(I32_LE_U_I, 32, uint32_t, RD32, a <= k)
    IMM_(I32_GE_S_I, 32, uint32_t, RD32, S32_(a) >= S32_(k))
    IMM_(I32_GE_U_I, 32, uint32_t, RD32, a >= k)
    IMM_(I64_ADD_I, 64, uint64_t, RD64, a + K64_)
    IMM_(I64_SUB_I, 64, uint64_t, RD64, a - K64_)
    IMM_(I64_AND_I, 64, uint64_t, RD64, a & K64_)
    IMM_(I64_SHL_I, 64, uint64_t, RD64, a << (k & 63))
    IMM_(I64_SHR_S_I, 64, uint64_t, RD64, sar64(a, k))
    IMM_(I64_SHR_U_I, 64, uint64_t, RD64, a >> (k & 63))
#undef IMM_
#undef K64_

    /* Fused compare and branch: a, b, target, fuel. */
#define BRC_(name, T, RD, expr)                                                        \
    L_##name : {                                                                       \
        T a = RD(pc[1]), b = RD(pc[2]);                                                \
        if (expr) {                                                                    \
            CHARGE(pc[4]);                                                             \
            pc += 3 + (int32_t)pc[3];                                                  \
            DISPATCH();                                                                \
        }                                                                              \
        NEXT(5);                                                                       \
    }
    BRC_(BR_I32_EQ, uint32_t, RD32, a == b)
    BRC_(BR_I32_NE, uint32_t, RD32, a != b)
    BRC_(BR_I32_LT_S, uint32_t, RD32, S32_(a) < S32_(b))
    BRC_(BR_I32_LT_U, uint32_t, RD32, a < b)
    BRC_(BR_I32_GT_S, uint32_t, RD32, S32_(a) > S32_(b))
    BRC_(BR_I32_GT_U, uint32_t, RD32, a > b)
    BRC_(BR_I32_LE_S, uint32_t, RD32, S32_(a) <= S32_(b))
    BRC_(BR_I32_LE_U, uint32_t, RD32, a <= b)
    BRC_(BR_I32_GE_S, uint32_t, RD32, S32_(a) >= S32_(b))
    BRC_(BR_I32_GE_U, uint32_t, RD32, a >= b)
    BRC_(BR_I64_EQ, uint64_t, RD64, a == b)
    BRC_(BR_I64_NE, uint64_t, RD64, a != b)
    BRC_(BR_I64_LT_S, uint64_t, RD64, S64_(a) < S64_(b))
    BRC_(BR_I64_LT_U, uint64_t, RD64, a < b)
    BRC_(BR_I64_GT_S, uint64_t, RD64, S64_(a) > S64_(b))
    BRC_(BR_I64_GT_U, uint64_t, RD64, a > b)
    BRC_(BR_I64_LE_S, uint64_t, RD64, S64_(a) <= S64_(b))
    BRC_(BR_I64_LE_U, uint64_t, RD64, a <= b)
    BRC_(BR_I64_GE_S, uint64_t, RD64, S64_(a) >= S64_(b))
    BRC_(BR_I64_GE_U, uint64_t, RD64, a >= b)
    /* Fused compare with a constant and branch: a, imm, target, fuel. */
#define BRCI_(name, expr)                                                              \
    L_##name : {                                                                       \
        uint32_t a = RD32(pc[1]), b = pc[2];                                           \
        if (expr) {                                                                    \
            CHARGE(pc[4]);                                                             \
            pc += 3 + (int32_t)pc[3];                                                  \
            DISPATCH();                                                                \
        }                                                                              \
        NEXT(5);                                                                       \
    }
    BRCI_(BR_I32_EQ_I, a == b)
    BRCI_(BR_I32_NE_I, a != b)
    BRCI_(BR_I32_LT_S_I, S32_(a) < S32_(b))
    BRCI_(BR_I32_LT_U_I, a < b)
    BRCI_(BR_I32_GT_S_I, S32_(a) > S32_(b))
    BRCI_(BR_I32_GT_U_I, a > b)
    BRCI_(BR_I32_LE_S_I, S32_(a) <= S32_(b))
    BRCI_(BR_I32_LE_U_I, a <= b)
    BRCI_(BR_I32_GE_S_I, S32_(a) >= S32_(b))
    BRCI_(BR_I32_GE_U_I, a >= b)
#undef BRCI_

L_I32_ADD_I_BRNZ: {
    uint32_t v = RD32(pc[2]) + pc[3];
    WR32(pc[1], v);
    if (v) {
        CHARGE(pc[5]);
        pc += 4 + (int32_t)pc[4];
        DISPATCH();
    }
    NEXT(6);
}

    /* Fused addressing (see ops.h). Effective addresses are computed in 64
       bits: the 32-bit address wraps as wasm's i32.add does, then the
       offset is added without wrapping. */
#define MEM_OK_(ea, n) if ((ea) + (n) > msize) TRAP(KW_TRAP_MEMORY_OOB)
L_LOAD32_K:
    MEM_OK_((uint64_t)pc[2], 4);
    WR64(pc[1], ld32(mem + pc[2]));
    NEXT(3);
L_LOAD64_K:
    MEM_OK_((uint64_t)pc[2], 8);
    WR64(pc[1], ld64(mem + pc[2]));
    NEXT(3);
L_STORE32_K:
    MEM_OK_((uint64_t)pc[2], 4);
    st32(mem + pc[2], RD32(pc[1]));
    NEXT(3);
L_STORE64_K:
    MEM_OK_((uint64_t)pc[2], 8);
    st64(mem + pc[2], RD64(pc[1]));
    NEXT(3);
#define AK_EA_(a) ((uint64_t)(uint32_t)(RD32(a) + pc[3]) + pc[4])
L_LOAD32_AK: {
    uint64_t ea = AK_EA_(pc[2]);
    MEM_OK_(ea, 4);
    WR64(pc[1], ld32(mem + ea));
    NEXT(5);
}
L_LOAD64_AK: {
    uint64_t ea = AK_EA_(pc[2]);
    MEM_OK_(ea, 8);
    WR64(pc[1], ld64(mem + ea));
    NEXT(5);
}
L_STORE32_AK: {
    uint64_t ea = AK_EA_(pc[1]);
    MEM_OK_(ea, 4);
    st32(mem + ea, RD32(pc[2]));
    NEXT(5);
}
L_STORE64_AK: {
    uint64_t ea = AK_EA_(pc[1]);
    MEM_OK_(ea, 8);
    st64(mem + ea, RD64(pc[2]));
    NEXT(5);
}
#undef AK_EA_
#define IX_EA_(b, i, sh, off) ((uint64_t)(uint32_t)(RD32(b) + (RD32(i) << (pc[sh] & 31))) + pc[off])
L_LOAD32_IX: {
    uint64_t ea = IX_EA_(pc[2], pc[3], 4, 5);
    MEM_OK_(ea, 4);
    WR64(pc[1], ld32(mem + ea));
    NEXT(6);
}
L_LOAD64_IX: {
    uint64_t ea = IX_EA_(pc[2], pc[3], 4, 5);
    MEM_OK_(ea, 8);
    WR64(pc[1], ld64(mem + ea));
    NEXT(6);
}
L_I32_LOAD8_U_IX: {
    uint64_t ea = IX_EA_(pc[2], pc[3], 4, 5);
    MEM_OK_(ea, 1);
    WR64(pc[1], mem[ea]);
    NEXT(6);
}
L_STORE32_IX: {
    uint64_t ea = IX_EA_(pc[1], pc[2], 3, 5);
    MEM_OK_(ea, 4);
    st32(mem + ea, RD32(pc[4]));
    NEXT(6);
}
L_STORE64_IX: {
    uint64_t ea = IX_EA_(pc[1], pc[2], 3, 5);
    MEM_OK_(ea, 8);
    st64(mem + ea, RD64(pc[4]));
    NEXT(6);
}
L_STORE8_IX: {
    uint64_t ea = IX_EA_(pc[1], pc[2], 3, 5);
    MEM_OK_(ea, 1);
    mem[ea] = (uint8_t)RD32(pc[4]);
    NEXT(6);
}
#undef IX_EA_
#undef MEM_OK_

#undef BRC_
#undef S32_
#undef S64_

trap:
    /* Unwind every frame this run pushed; the store is ready for the next
       call. Fuel keeps what was charged. */
    if (depth > base_depth) s->nest--;
    s->depth = base_depth;
    s->stack_top = saved_top;
    SYNC_FUEL_OUT();
    if (!msg_set) wr_trap_message(s, rc, inst, depth > base_depth ? pc : NULL);
    return rc;

#undef DISPATCH
#undef NEXT
#undef TRAP
#undef CHARGE
#undef SYNC_FUEL_OUT
#undef SYNC_FUEL_IN
#undef SLOTP
#undef RD32
#undef RD64
#undef RDF32
#undef RDF64
#undef WR32
#undef WR64
#undef LOAD_MEM
#undef SWITCH_INST
}
