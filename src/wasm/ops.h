/*
 * ops.h: the internal instruction set the compiler emits and the
 * interpreter runs. An instruction is a sequence of 32-bit words: the
 * handler (its offset from the first handler, see wr_handlers) followed by
 * a fixed number of operand words, listed here as X(NAME, operand words).
 *
 * Operand conventions:
 *   slot operands are byte offsets from the frame pointer (slot * 8), so a
 *     handler reaches a value with one add;
 *   branch targets are word offsets from the start of the branch
 *     instruction; each is followed by the fuel that the taken edge charges
 *     (see compile.c, "fuel");
 *   64-bit immediates take two words, low word first.
 *
 * The numeric instructions mirror the wasm ones of the same name; every
 * one reads all its operands before it writes its result, so a result may
 * overwrite an operand's slot.
 */
#ifndef KW_OPS_H
#define KW_OPS_H

/* dst, a */
#define WC_UNOPS(X) \
    X(I32_EQZ, 2) X(I64_EQZ, 2) X(I32_CLZ, 2) X(I32_CTZ, 2) X(I32_POPCNT, 2) \
    X(I64_CLZ, 2) X(I64_CTZ, 2) X(I64_POPCNT, 2) X(F32_ABS, 2) X(F32_NEG, 2) \
    X(F32_CEIL, 2) X(F32_FLOOR, 2) X(F32_TRUNC, 2) X(F32_NEAREST, 2) X(F32_SQRT, 2) \
    X(F64_ABS, 2) X(F64_NEG, 2) X(F64_CEIL, 2) X(F64_FLOOR, 2) X(F64_TRUNC, 2) \
    X(F64_NEAREST, 2) X(F64_SQRT, 2) X(I32_WRAP_I64, 2) X(I32_TRUNC_F32_S, 2) \
    X(I32_TRUNC_F32_U, 2) X(I32_TRUNC_F64_S, 2) X(I32_TRUNC_F64_U, 2) \
    X(I64_EXTEND_I32_S, 2) X(I64_EXTEND_I32_U, 2) X(I64_TRUNC_F32_S, 2) \
    X(I64_TRUNC_F32_U, 2) X(I64_TRUNC_F64_S, 2) X(I64_TRUNC_F64_U, 2) \
    X(F32_CONVERT_I32_S, 2) X(F32_CONVERT_I32_U, 2) X(F32_CONVERT_I64_S, 2) \
    X(F32_CONVERT_I64_U, 2) X(F32_DEMOTE_F64, 2) X(F64_CONVERT_I32_S, 2) \
    X(F64_CONVERT_I32_U, 2) X(F64_CONVERT_I64_S, 2) X(F64_CONVERT_I64_U, 2) \
    X(F64_PROMOTE_F32, 2) X(I32_EXTEND8_S, 2) X(I32_EXTEND16_S, 2) \
    X(I64_EXTEND8_S, 2) X(I64_EXTEND16_S, 2) X(I64_EXTEND32_S, 2) \
    X(I32_TRUNC_SAT_F32_S, 2) X(I32_TRUNC_SAT_F32_U, 2) X(I32_TRUNC_SAT_F64_S, 2) \
    X(I32_TRUNC_SAT_F64_U, 2) X(I64_TRUNC_SAT_F32_S, 2) X(I64_TRUNC_SAT_F32_U, 2) \
    X(I64_TRUNC_SAT_F64_S, 2) X(I64_TRUNC_SAT_F64_U, 2) X(REF_IS_NULL, 2)

/* dst, a, b */
#define WC_BINOPS(X) \
    X(I32_EQ, 3) X(I32_NE, 3) X(I32_LT_S, 3) X(I32_LT_U, 3) X(I32_GT_S, 3) \
    X(I32_GT_U, 3) X(I32_LE_S, 3) X(I32_LE_U, 3) X(I32_GE_S, 3) X(I32_GE_U, 3) \
    X(I64_EQ, 3) X(I64_NE, 3) X(I64_LT_S, 3) X(I64_LT_U, 3) X(I64_GT_S, 3) \
    X(I64_GT_U, 3) X(I64_LE_S, 3) X(I64_LE_U, 3) X(I64_GE_S, 3) X(I64_GE_U, 3) \
    X(F32_EQ, 3) X(F32_NE, 3) X(F32_LT, 3) X(F32_GT, 3) X(F32_LE, 3) X(F32_GE, 3) \
    X(F64_EQ, 3) X(F64_NE, 3) X(F64_LT, 3) X(F64_GT, 3) X(F64_LE, 3) X(F64_GE, 3) \
    X(I32_ADD, 3) X(I32_SUB, 3) X(I32_MUL, 3) X(I32_DIV_S, 3) X(I32_DIV_U, 3) \
    X(I32_REM_S, 3) X(I32_REM_U, 3) X(I32_AND, 3) X(I32_OR, 3) X(I32_XOR, 3) \
    X(I32_SHL, 3) X(I32_SHR_S, 3) X(I32_SHR_U, 3) X(I32_ROTL, 3) X(I32_ROTR, 3) \
    X(I64_ADD, 3) X(I64_SUB, 3) X(I64_MUL, 3) X(I64_DIV_S, 3) X(I64_DIV_U, 3) \
    X(I64_REM_S, 3) X(I64_REM_U, 3) X(I64_AND, 3) X(I64_OR, 3) X(I64_XOR, 3) \
    X(I64_SHL, 3) X(I64_SHR_S, 3) X(I64_SHR_U, 3) X(I64_ROTL, 3) X(I64_ROTR, 3) \
    X(F32_ADD, 3) X(F32_SUB, 3) X(F32_MUL, 3) X(F32_DIV, 3) X(F32_MIN, 3) \
    X(F32_MAX, 3) X(F32_COPYSIGN, 3) X(F64_ADD, 3) X(F64_SUB, 3) X(F64_MUL, 3) \
    X(F64_DIV, 3) X(F64_MIN, 3) X(F64_MAX, 3) X(F64_COPYSIGN, 3)

/* dst, addr, offset */
#define WC_LOADS(X) \
    X(LOAD32, 3) X(LOAD64, 3) X(I32_LOAD8_S, 3) X(I32_LOAD8_U, 3) X(I32_LOAD16_S, 3) \
    X(I32_LOAD16_U, 3) X(I64_LOAD8_S, 3) X(I64_LOAD8_U, 3) X(I64_LOAD16_S, 3) \
    X(I64_LOAD16_U, 3) X(I64_LOAD32_S, 3) X(I64_LOAD32_U, 3)

/* addr, value, offset */
#define WC_STORES(X) X(STORE8, 3) X(STORE16, 3) X(STORE32, 3) X(STORE64, 3)

/* Fused forms (dst, a, imm): the second operand is a 32-bit constant. */
#define WC_IMMOPS(X) \
    X(I32_ADD_I, 3) X(I32_SUB_I, 3) X(I32_MUL_I, 3) X(I32_AND_I, 3) X(I32_OR_I, 3) \
    X(I32_XOR_I, 3) X(I32_SHL_I, 3) X(I32_SHR_S_I, 3) X(I32_SHR_U_I, 3) \
    X(I32_EQ_I, 3) X(I32_NE_I, 3) X(I32_LT_S_I, 3) X(I32_LT_U_I, 3) X(I32_GT_S_I, 3) \
    X(I32_GT_U_I, 3) X(I32_LE_S_I, 3) X(I32_LE_U_I, 3) X(I32_GE_S_I, 3) \
    X(I32_GE_U_I, 3) X(I64_ADD_I, 3) X(I64_SUB_I, 3) X(I64_AND_I, 3) X(I64_SHL_I, 3) \
    X(I64_SHR_S_I, 3) X(I64_SHR_U_I, 3)

/* Fused compare-and-branch (a, b, target, fuel): branch when the compare
   holds. */
#define WC_BRCMPS(X) \
    X(BR_I32_EQ, 4) X(BR_I32_NE, 4) X(BR_I32_LT_S, 4) X(BR_I32_LT_U, 4) \
    X(BR_I32_GT_S, 4) X(BR_I32_GT_U, 4) X(BR_I32_LE_S, 4) X(BR_I32_LE_U, 4) \
    X(BR_I32_GE_S, 4) X(BR_I32_GE_U, 4) X(BR_I64_EQ, 4) X(BR_I64_NE, 4) \
    X(BR_I64_LT_S, 4) X(BR_I64_LT_U, 4) X(BR_I64_GT_S, 4) X(BR_I64_GT_U, 4) \
    X(BR_I64_LE_S, 4) X(BR_I64_LE_U, 4) X(BR_I64_GE_S, 4) X(BR_I64_GE_U, 4)

/* Fused compare-with-constant and branch (a, imm, target, fuel). */
#define WC_BRCMPIS(X) \
    X(BR_I32_EQ_I, 4) X(BR_I32_NE_I, 4) X(BR_I32_LT_S_I, 4) X(BR_I32_LT_U_I, 4) \
    X(BR_I32_GT_S_I, 4) X(BR_I32_GT_U_I, 4) X(BR_I32_LE_S_I, 4) X(BR_I32_LE_U_I, 4) \
    X(BR_I32_GE_S_I, 4) X(BR_I32_GE_U_I, 4)

/* Fused addressing. _K: a constant effective address (dst, ea) / (value,
   ea); _AK: address (a + k) mod 2^32 (dst, a, k, offset) / (a, value, k,
   offset); _IX: address (base + (idx << shift)) mod 2^32 (dst, base, idx,
   shift, offset) / (base, idx, shift, value, offset). */
#define WC_ADDRS(X) \
    X(LOAD32_K, 2) X(LOAD64_K, 2) X(STORE32_K, 2) X(STORE64_K, 2) \
    X(LOAD32_AK, 4) X(LOAD64_AK, 4) X(STORE32_AK, 4) X(STORE64_AK, 4) \
    X(LOAD32_IX, 5) X(LOAD64_IX, 5) X(I32_LOAD8_U_IX, 5) \
    X(STORE32_IX, 5) X(STORE64_IX, 5) X(STORE8_IX, 5)

/* The whole set, with operand word counts (-1: variable, see BR_TABLE). */
#define WC_OPS(X)                                                                       \
    X(EXIT, 0)            /* leave wr_run: the end of a top-level call */              \
    X(UNREACHABLE, 0)                                                                   \
    X(BR, 2)              /* target, fuel */                                            \
    X(BR_IF, 3)           /* cond, target, fuel */                                      \
    X(BR_UNLESS, 3)       /* cond, target, fuel */                                      \
    X(BR_TABLE, -1)       /* index, n, then n + 1 (target, fuel) pairs */               \
    X(RETURN, 0)          /* results are already in fp[0..) */                          \
    X(CALL, 2)            /* defined function index, args */                            \
    X(CALL_IMPORT, 2)     /* function index, args */                                    \
    X(CALL_INDIRECT, 4)   /* table, type index, args, element index slot */             \
    X(COPY, 2)            /* dst, src */                                                \
    X(CONST32, 2)         /* dst, value */                                              \
    X(CONST64, 3)         /* dst, low, high */                                          \
    X(GLOBAL_GET, 2)      /* dst, global */                                             \
    X(GLOBAL_SET, 2)      /* global, src */                                             \
    X(MEMORY_SIZE, 1)     /* dst */                                                     \
    X(MEMORY_GROW, 2)     /* dst, pages */                                              \
    X(MEMORY_FILL, 3)     /* d, value, n */                                             \
    X(MEMORY_COPY, 3)     /* d, s, n */                                                 \
    X(MEMORY_INIT, 4)     /* segment, d, s, n */                                        \
    X(DATA_DROP, 1)       /* segment */                                                 \
    X(TABLE_GET, 3)       /* dst, table, index */                                       \
    X(TABLE_SET, 3)       /* table, index, value */                                     \
    X(TABLE_SIZE, 2)      /* dst, table */                                              \
    X(TABLE_GROW, 4)      /* dst, table, init, n */                                     \
    X(TABLE_FILL, 4)      /* table, i, value, n */                                      \
    X(TABLE_COPY, 5)      /* dst table, src table, d, s, n */                           \
    X(TABLE_INIT, 5)      /* table, segment, d, s, n */                                 \
    X(ELEM_DROP, 1)       /* segment */                                                 \
    X(REF_FUNC, 2)        /* dst, function index */                                     \
    X(SELECT, 4)          /* dst, a, b, cond */                                         \
    X(I32_ADD_I_BRNZ, 5)  /* dst, a, k, target, fuel: dst = a + k; branch if nonzero */ \
    WC_UNOPS(X) WC_BINOPS(X) WC_LOADS(X) WC_STORES(X) WC_IMMOPS(X) WC_BRCMPS(X) \
    WC_BRCMPIS(X) WC_ADDRS(X)

enum wc_op {
#define WC_ENUM_(name, n) WC_##name,
    WC_OPS(WC_ENUM_)
#undef WC_ENUM_
    WC_NOPS
};

#endif
