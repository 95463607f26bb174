/*
 * wasm_validate_test.c: the validator (validate.c) on hand-built modules:
 * each rule of WebAssembly 2.0 validation and each validator limit gives
 * its status code, and for function bodies the offset of the instruction
 * at fault.
 */
#include "wasm_build.h"

/*
 * The context most body tests run in:
 *   types    0 [] -> []   1 [i32] -> [i32]   2 [] -> [i32 i64]
 *            3 [i32 i64] -> [i64 i32]   4 the signature under test
 *   funcs    0 imported (type 1), 1 the function under test (type 4),
 *            2 [] -> [] (declared nowhere)
 *   globals  0 imported immutable i32, 1 imported mutable i32,
 *            2 mutable i64, 3 immutable funcref
 *   tables   0 funcref, 1 externref; memory 0 of 1 page
 *   elems    0 passive funcref (func 0), 1 passive externref
 *   data     one passive segment, with a data count section
 *   export   "f1" = func 1
 * Returns the offset of the body's first byte (its local declarations).
 */
static size_t ctx_module(mb *m, const uint8_t *sig, size_t nsig, const uint8_t *body,
                         size_t nbody)
{
    mb t;
    mb_init(m);
    t.n = 0;
    static const uint8_t types[] = {5,    0x60, 0, 0, 0x60, 1,    0x7f, 1,    0x7f,
                                    0x60, 0,    2, 0x7f, 0x7e, 0x60, 2,    0x7f, 0x7e,
                                    2,    0x7e, 0x7f, 0x60};
    mb_bytes(&t, types, sizeof types);
    mb_bytes(&t, sig, nsig);
    mb_sec(m, 1, t.b, t.n);
    SEC(m, 2, 3, 1, 'm', 1, 'f', 0, 1, 1, 'm', 1, 'g', 3, 0x7f, 0, 1, 'm', 1, 'h', 3, 0x7f, 1);
    SEC(m, 3, 2, 4, 0);
    SEC(m, 4, 2, 0x70, 0, 1, 0x6f, 0, 1);
    SEC(m, 5, 1, 0, 1);
    SEC(m, 6, 2, 0x7e, 1, 0x42, 0, 0x0b, 0x70, 0, 0xd0, 0x70, 0x0b);
    SEC(m, 7, 1, 2, 'f', '1', 0, 1);
    SEC(m, 9, 2, 0x01, 0x00, 1, 0, 0x05, 0x6f, 1, 0xd0, 0x6f, 0x0b);
    SEC(m, 12, 1);
    t.n = 0;
    mb_byte(&t, 2);
    mb_leb(&t, nbody);
    size_t k = t.n;
    mb_bytes(&t, body, nbody);
    static const uint8_t empty[] = {2, 0, 0x0b};
    mb_bytes(&t, empty, sizeof empty);
    size_t at = mb_sec(m, 10, t.b, t.n) + k;
    SEC(m, 11, 1, 0x01, 1, 'x');
    return at;
}

#define BODY(m, sig, ...)                                     \
    __extension__({                                           \
        static const uint8_t b_[] = {__VA_ARGS__};            \
        ctx_module((m), (sig), sizeof(sig), b_, sizeof b_);   \
    })

/* signatures: params vector, results vector */
static const uint8_t V[] = {0, 0};              /* [] -> [] */
static const uint8_t R_I[] = {0, 1, 0x7f};      /* [] -> [i32] */
static const uint8_t I_I[] = {1, 0x7f, 1, 0x7f}; /* [i32] -> [i32] */
static const uint8_t R_LI[] = {0, 2, 0x7e, 0x7f}; /* [] -> [i64 i32] */

TEST(context_is_valid)
{
    mb m;
    BODY(&m, V, 0, 0x0b);
    EXPECT_OK(&m, NULL);
}

TEST(valid_bodies)
{
    mb m;
    BODY(&m, R_I, 0, 0x41, 1, 0x0b);
    EXPECT_OK(&m, NULL);
    /* a multi-value block by type index, then drop the i64 */
    BODY(&m, R_I, 0, 0x02, 0x02, 0x41, 1, 0x42, 2, 0x0b, 0x1a, 0x0b);
    EXPECT_OK(&m, NULL);
    /* a block with parameters */
    BODY(&m, R_LI, 0, 0x41, 1, 0x42, 2, 0x02, 0x03, 0x1a, 0x1a, 0x42, 5, 0x41, 6, 0x0b, 0x0b);
    EXPECT_OK(&m, NULL);
    /* a loop whose label takes its parameter */
    BODY(&m, I_I, 0, 0x20, 0, 0x03, 0x01, 0x41, 0, 0x0d, 0, 0x0b, 0x0b);
    EXPECT_OK(&m, NULL);
    /* unreachable code is polymorphic */
    BODY(&m, R_I, 0, 0x00, 0x6a, 0x0b);
    EXPECT_OK(&m, NULL);
    BODY(&m, R_I, 0, 0x00, 0x1b, 0x0b);
    EXPECT_OK(&m, NULL);
    BODY(&m, R_I, 0, 0x02, 0x7f, 0x00, 0x0c, 0, 0x0b, 0x0b);
    EXPECT_OK(&m, NULL);
    BODY(&m, V, 0, 0x00, 0xd1, 0x1a, 0x0b);
    EXPECT_OK(&m, NULL);
    /* br_table over labels of the same arity */
    BODY(&m, R_I, 0, 0x02, 0x7f, 0x41, 1, 0x41, 0, 0x0e, 1, 0, 0, 0x0b, 0x0b);
    EXPECT_OK(&m, NULL);
    /* typed select of references */
    BODY(&m, V, 0, 0xd0, 0x70, 0xd0, 0x70, 0x41, 0, 0x1c, 1, 0x70, 0x1a, 0x0b);
    EXPECT_OK(&m, NULL);
    /* ref.func of functions named in an element segment and an export */
    BODY(&m, V, 0, 0xd2, 0, 0x1a, 0xd2, 1, 0x1a, 0x0b);
    EXPECT_OK(&m, NULL);
    /* a mutable global, tables of both kinds, bulk memory and tables */
    BODY(&m, V, 0, 0x41, 0, 0x24, 1, 0x42, 0, 0x24, 2, 0x41, 0, 0x25, 1, 0x1a, 0x41, 0, 0x23, 3,
         0x26, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x08, 0, 0, 0xfc, 0x09, 0, 0x41, 0, 0x41,
         0, 0x41, 0, 0xfc, 0x0c, 0, 0, 0xfc, 0x0d, 1, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0e,
         1, 1, 0xd0, 0x6f, 0x41, 1, 0xfc, 0x0f, 1, 0xfc, 0x10, 0, 0x6a, 0x1a, 0x0b);
    EXPECT_OK(&m, NULL);
    /* an if without else whose parameters are its results */
    BODY(&m, V, 0, 0x41, 1, 0x41, 1, 0x04, 0x01, 0x0b, 0x1a, 0x0b);
    EXPECT_OK(&m, NULL);
    /* loads and stores at their natural alignment */
    BODY(&m, V, 0, 0x41, 0, 0x29, 3, 0, 0x1a, 0x41, 0, 0x41, 0, 0x3b, 1, 0, 0x0b);
    EXPECT_OK(&m, NULL);
    /* the numeric table: a conversion chain through every type */
    BODY(&m, R_I, 0, 0x41, 7, 0xac, 0xb9, 0xb6, 0xbb, 0xfc, 0x06, 0xb5, 0xbc, 0x0b);
    EXPECT_OK(&m, NULL);
}

TEST(type_mismatches)
{
    mb m;
    size_t b;
    b = BODY(&m, V, 0, 0x41, 1, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 3); /* a value left over */
    b = BODY(&m, R_I, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 1); /* no result */
    b = BODY(&m, R_I, 0, 0x42, 1, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 3);
    b = BODY(&m, V, 0, 0x41, 0, 0x42, 0, 0x6a, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 5);
    b = BODY(&m, V, 0, 0xd0, 0x70, 0xd0, 0x70, 0x41, 0, 0x1b, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 7); /* untyped select of references */
    b = BODY(&m, V, 0, 0x41, 0, 0x42, 0, 0x41, 0, 0x1b, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 7);
    b = BODY(&m, R_I, 0, 0x41, 1, 0x04, 0x7f, 0x41, 2, 0x0b, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 7); /* if without else: [] -> [i32] */
    b = BODY(&m, V, 0, 0x02, 0x40, 0x02, 0x7f, 0x41, 0, 0x41, 0, 0x0e, 1, 0, 1, 0x0b, 0x0b,
             0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 9); /* br_table arities 1 and 0 */
    b = BODY(&m, V, 0, 0x41, 0, 0x11, 0, 1, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 3); /* call_indirect via externref */
    b = BODY(&m, V, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0e, 0, 1, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 7);
    b = BODY(&m, V, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0c, 1, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 7); /* externref segment, funcref table */
    b = BODY(&m, V, 0, 0x41, 0, 0xd1, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 3);
    b = BODY(&m, R_I, 0, 0x42, 0, 0x0f, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 3);
    b = BODY(&m, V, 0, 0x02, 0x01, 0x0b, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 1); /* block parameter missing */
    b = BODY(&m, I_I, 0, 0x42, 0, 0x21, 0, 0x20, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 3);
    b = BODY(&m, R_I, 0, 0x23, 2, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 3);
    b = BODY(&m, V, 0, 0x02, 0x7f, 0x42, 0, 0x0c, 0, 0x0b, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 5); /* br carries an i64 to an i32 label */
    BODY(&m, V, 0, 0x02, 0x40, 0x41, 0, 0x0c, 0, 0x0b, 0x0b);
    EXPECT_OK(&m, NULL); /* extra values under a branch are dropped */
    b = BODY(&m, V, 0, 0x42, 0, 0x10, 0, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, b + 3); /* call with an i64 */
}

TEST(unknown_indexes)
{
    mb m;
    size_t b;
    b = BODY(&m, I_I, 0, 0x20, 1, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1);
    b = BODY(&m, I_I, 1, 1, 0x7e, 0x20, 2, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 3); /* param 0, local 1 */
    b = BODY(&m, V, 0, 0x23, 9, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1);
    b = BODY(&m, V, 0, 0x10, 3, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1);
    b = BODY(&m, V, 0, 0x41, 0, 0x25, 5, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 3);
    b = BODY(&m, V, 0, 0x41, 0, 0x11, 9, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 3);
    b = BODY(&m, V, 0, 0x02, 0x09, 0x0b, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1);
    b = BODY(&m, V, 0, 0x0c, 1, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1);
    b = BODY(&m, V, 0, 0x41, 0, 0x0e, 1, 0, 2, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 3); /* br_table default */
    b = BODY(&m, V, 0, 0xfc, 0x0d, 5, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1);
    b = BODY(&m, V, 0, 0xfc, 0x09, 1, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1); /* the data count says 1 */
    b = BODY(&m, V, 0, 0xd2, 9, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1);

    /* memory instructions without a memory */
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 1, 0);
    b = CODE1(&m, 0, 0x3f, 0, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 1);
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 1, 0);
    b = CODE1(&m, 0, 0x41, 0, 0x2c, 0, 0, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, b + 3);
}

TEST(other_body_rules)
{
    mb m;
    size_t b;
    b = BODY(&m, V, 0, 0x41, 0, 0x24, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, b + 3); /* global is immutable */
    b = BODY(&m, V, 0, 0x41, 0, 0x28, 3, 0, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, b + 3); /* alignment 8 > 4 */
    b = BODY(&m, V, 0, 0x41, 0, 0x30, 1, 0, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, b + 3); /* i64.load8_s align 2 > 1 */
    b = BODY(&m, V, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x1c, 2, 0x7f, 0x7f, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, b + 7); /* select with 2 types */
    b = BODY(&m, V, 0, 0xd2, 2, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, b + 1); /* undeclared function reference */
    /* else outside an if is a structure error */
    b = BODY(&m, V, 0, 0x05, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, b + 1);
    b = BODY(&m, V, 0, 0x02, 0x40, 0x05, 0x0b, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, b + 3);
}

TEST(limit_nesting)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_nesting = 2;
    mb m;
    size_t b = BODY(&m, V, 0, 0x02, 0x40, 0x03, 0x40, 0x02, 0x40, 0x0b, 0x0b, 0x0b, 0x0b);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_NESTING, b + 5);
    BODY(&m, V, 0, 0x02, 0x40, 0x03, 0x40, 0x0b, 0x0b, 0x02, 0x40, 0x0b, 0x0b);
    EXPECT_OK(&m, &cfg);
}

TEST(limit_br_table)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_br_table = 2;
    mb m;
    size_t b = BODY(&m, V, 0, 0x41, 0, 0x0e, 2, 0, 0, 0, 0x0b);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_BR_TABLE, b + 3);
    BODY(&m, V, 0, 0x41, 0, 0x0e, 1, 0, 0, 0x0b);
    EXPECT_OK(&m, &cfg);
}

TEST(limit_operand_stack)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_stack_bytes = 64; /* 8 values */
    mb m;
    size_t b = BODY(&m, V, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0,
                    0x41, 0, 0x41, 0, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x0b);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_CODE, b + 17);
    BODY(&m, V, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0,
         0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x0b);
    EXPECT_OK(&m, &cfg);
}

/* ---- module level ----------------------------------------------------------------- */

TEST(limits_of_tables_and_memories)
{
    mb m;
    mb_init(&m);
    SEC(&m, 4, 1, 0x70, 1, 5, 4);
    EXPECT_CODE(&m, NULL, KW_E_INVALID); /* min > max */
    mb_init(&m);
    SEC(&m, 5, 1, 1, 2, 1);
    EXPECT_CODE(&m, NULL, KW_E_INVALID);
    mb_init(&m);
    SEC(&m, 5, 1, 0, 0x81, 0x80, 0x04); /* 65537 pages */
    EXPECT_CODE(&m, NULL, KW_E_INVALID);
    mb_init(&m);
    SEC(&m, 5, 1, 1, 0, 0x81, 0x80, 0x04);
    EXPECT_CODE(&m, NULL, KW_E_INVALID);
    mb_init(&m);
    SEC(&m, 5, 1, 1, 0, 0x80, 0x80, 0x04); /* exactly 65536 */
    EXPECT_OK(&m, NULL);
    mb_init(&m);
    SEC(&m, 2, 1, 0, 0, 2, 0, 0);
    SEC(&m, 5, 1, 0, 0);
    EXPECT_CODE(&m, NULL, KW_E_INVALID); /* multiple memories */
    mb_init(&m);
    SEC(&m, 2, 1, 0, 0, 1, 0x70, 1, 3, 2); /* imported table limits too */
    EXPECT_CODE(&m, NULL, KW_E_INVALID);
    mb_init(&m);
    SEC(&m, 4, 1, 0x70, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f);
    EXPECT_OK(&m, NULL);
}

TEST(constant_expressions)
{
    mb m;
    size_t at;
    /* global 0: imported immutable i32, global 1: imported mutable i32 */
#define GLOBALS_(...)                                                               \
    (mb_init(&m), SEC(&m, 2, 2, 0, 1, 'g', 3, 0x7f, 0, 0, 1, 'h', 3, 0x7f, 1),      \
     SEC(&m, 6, __VA_ARGS__))
    GLOBALS_(1, 0x7f, 0, 0x23, 0, 0x0b);
    EXPECT_OK(&m, NULL);
    at = GLOBALS_(1, 0x7f, 0, 0x42, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, at + 3);
    at = GLOBALS_(1, 0x7f, 0, 0x41, 0, 0x41, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, at + 3); /* two values */
    at = GLOBALS_(1, 0x7f, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, at + 3); /* none */
    at = GLOBALS_(1, 0x7f, 0, 0x41, 0, 0x41, 0, 0x6a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, at + 7); /* i32.add is not constant */
    at = GLOBALS_(1, 0x7f, 0, 0x01, 0x41, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, at + 3);
    at = GLOBALS_(1, 0x7f, 0, 0x23, 1, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, at + 3); /* a mutable global */
    at = GLOBALS_(2, 0x7f, 0, 0x41, 0, 0x0b, 0x7f, 0, 0x23, 2, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, at + 8); /* a defined global (2.0) */
    at = GLOBALS_(1, 0x70, 0, 0xd2, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, at + 3); /* no function 0 */
    at = GLOBALS_(1, 0x6f, 0, 0xd0, 0x70, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, at + 3);
    GLOBALS_(2, 0x6f, 1, 0xd0, 0x6f, 0x0b, 0x7d, 0, 0x43, 0, 0, 0x80, 0x3f, 0x0b);
    EXPECT_OK(&m, NULL);
#undef GLOBALS_

    /* segment offsets */
    mb_init(&m);
    SEC(&m, 4, 1, 0x70, 0, 1);
    at = SEC(&m, 9, 1, 0x00, 0x42, 0, 0x0b, 0);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, at + 2);
    mb_init(&m);
    SEC(&m, 2, 1, 0, 1, 'g', 3, 0x7f, 0);
    SEC(&m, 5, 1, 0, 1);
    SEC(&m, 11, 1, 0x00, 0x23, 0, 0x0b, 0);
    EXPECT_OK(&m, NULL);
    mb_init(&m);
    SEC(&m, 5, 1, 0, 1);
    SEC(&m, 6, 1, 0x7f, 0, 0x41, 0, 0x0b);
    at = SEC(&m, 11, 1, 0x00, 0x23, 0, 0x0b, 0);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, at + 2); /* only imported globals */
}

TEST(segments)
{
    mb m;
    size_t at;
    mb_init(&m);
    SEC(&m, 4, 1, 0x6f, 0, 1);
    at = SEC(&m, 9, 1, 0x00, 0x41, 0, 0x0b, 0);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, at + 2); /* funcref segment, externref table */
    mb_init(&m);
    at = SEC(&m, 9, 1, 0x00, 0x41, 0, 0x0b, 0);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, at + 2); /* no table */
    mb_init(&m);
    SEC(&m, 4, 1, 0x70, 0, 1);
    at = SEC(&m, 9, 1, 0x00, 0x41, 0, 0x0b, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, at + 6); /* no function 0 */
    mb_init(&m);
    at = SEC(&m, 9, 1, 0x05, 0x6f, 1, 0xd0, 0x70, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_TYPE_MISMATCH, at + 4); /* a funcref item, externref segment */
    mb_init(&m);
    at = SEC(&m, 11, 1, 0x00, 0x41, 0, 0x0b, 0);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, at + 2); /* no memory */
    mb_init(&m);
    SEC(&m, 5, 1, 0, 1);
    at = SEC(&m, 11, 1, 0x02, 1, 0x41, 0, 0x0b, 0);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, at + 3); /* memory 1 */
}

TEST(start_function)
{
    mb m;
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 1, 0x7f, 0);
    SEC(&m, 3, 1, 0);
    SEC(&m, 8, 0);
    CODE1(&m, 0, 0x0b);
    EXPECT_CODE(&m, NULL, KW_E_INVALID);
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 1, 0);
    SEC(&m, 8, 1);
    CODE1(&m, 0, 0x0b);
    EXPECT_CODE(&m, NULL, KW_E_UNKNOWN_INDEX);
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 1, 0);
    SEC(&m, 8, 0);
    CODE1(&m, 0, 0x0b);
    EXPECT_OK(&m, NULL);
}

TEST(types_of_functions)
{
    mb m;
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 1, 1);
    CODE1(&m, 0, 0x0b);
    EXPECT_CODE(&m, NULL, KW_E_UNKNOWN_INDEX);
    mb_init(&m);
    SEC(&m, 2, 1, 0, 0, 0, 0);
    EXPECT_CODE(&m, NULL, KW_E_UNKNOWN_INDEX);
}

TEST(exports)
{
    mb m;
    size_t at;
    mb_init(&m);
    SEC(&m, 5, 1, 0, 1);
    at = SEC(&m, 7, 2, 1, 'a', 2, 0, 1, 'a', 2, 0);
    EXPECT_ERR(&m, NULL, KW_E_INVALID, at + 6); /* the second "a" (its name) */
    mb_init(&m);
    at = SEC(&m, 7, 1, 1, 'a', 2, 0);
    EXPECT_ERR(&m, NULL, KW_E_UNKNOWN_INDEX, at + 2);
    mb_init(&m);
    SEC(&m, 5, 1, 0, 1);
    SEC(&m, 7, 3, 1, 'a', 2, 0, 2, 'a', 0, 2, 0, 1, 0, 2, 0); /* "a", "a\0", "\0" */
    EXPECT_OK(&m, NULL);

    /* many names: the duplicate is found wherever it is */
    for (int dup = 0; dup < 2; dup++) {
        mb c;
        c.n = 0;
        mb_leb(&c, 1000 + (uint64_t)dup);
        for (int i = 0; i < 1000 + dup; i++) {
            int v = i == 1000 ? 517 : (i * 7919) % 1000;
            mb_byte(&c, 3);
            mb_byte(&c, (uint8_t)('0' + v / 100));
            mb_byte(&c, (uint8_t)('0' + v / 10 % 10));
            mb_byte(&c, (uint8_t)('0' + v % 10));
            mb_byte(&c, 2);
            mb_byte(&c, 0);
        }
        mb_init(&m);
        SEC(&m, 5, 1, 0, 1);
        mb_sec(&m, 7, c.b, c.n);
        if (dup)
            EXPECT_CODE(&m, NULL, KW_E_INVALID);
        else
            EXPECT_OK(&m, NULL);
    }
}
