/*
 * wasm_decode_test.c: the byte reader (read.h) and the strict decoder
 * (decode.c), with hand-built modules: each rule of the binary format and
 * each decoder limit gives its status code at the exact byte offset, and
 * well-formed modules fill module.h as the later passes expect.
 */
#include "wasm_build.h"

#include "wasm/module.h"
#include "wasm/opcodes.h"
#include "wasm/read.h"

/* ---- the reader ------------------------------------------------------------------ */

static int leb(const uint8_t *b, size_t n, unsigned bits, int sgn, uint64_t *v, kw_error *e)
{
    memset(e, 0, sizeof *e);
    rb_reader r = rb_make(b, 0, n, e);
    int rc = rb_leb(&r, bits, sgn, v);
    if (rc == KW_OK && r.p != b + n) return -1; /* must consume exactly */
    if (rc != KW_OK && r.p != b) return -2;     /* must not move on failure */
    return rc;
}

#define LEB_OK(bits, sgn, want, ...)                                          \
    do {                                                                      \
        static const uint8_t lb_[] = {__VA_ARGS__};                            \
        uint64_t v_ = 0;                                                      \
        kw_error e_;                                                          \
        CHECK_EQ(leb(lb_, sizeof lb_, bits, sgn, &v_, &e_), KW_OK);             \
        CHECK_EQ_U64(v_, (uint64_t)(want));                                   \
    } while (0)

#define LEB_BAD(bits, sgn, wc, off, ...)                                    \
    do {                                                                      \
        static const uint8_t lb_[] = {__VA_ARGS__};                            \
        uint64_t v_ = 0;                                                      \
        kw_error e_;                                                          \
        CHECK_EQ(leb(lb_, sizeof lb_, bits, sgn, &v_, &e_), wc);              \
        CHECK_EQ(e_.code, wc);                                              \
        CHECK_EQ_U64(e_.offset, off);                                         \
    } while (0)

TEST(leb_u32)
{
    LEB_OK(32, 0, 0, 0x00);
    LEB_OK(32, 0, 127, 0x7f);
    LEB_OK(32, 0, 128, 0x80, 0x01);
    LEB_OK(32, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x00); /* long zero is allowed */
    LEB_OK(32, 0, UINT32_MAX, 0xff, 0xff, 0xff, 0xff, 0x0f);
    LEB_BAD(32, 0, KW_E_LEB, 0, 0xff, 0xff, 0xff, 0xff, 0x1f);       /* unused bit set */
    LEB_BAD(32, 0, KW_E_LEB, 0, 0x80, 0x80, 0x80, 0x80, 0x10);       /* 2^32 */
    LEB_BAD(32, 0, KW_E_LEB, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00); /* 6 bytes */
    LEB_BAD(32, 0, KW_E_EOF, 2, 0x80, 0x80);                         /* offset: where it ran out */
    LEB_BAD(32, 0, KW_E_EOF, 0);
}

TEST(leb_s32_s33_s64_u64)
{
    LEB_OK(32, 1, (uint64_t)-1, 0x7f);
    LEB_OK(32, 1, 63, 0x3f);
    LEB_OK(32, 1, (uint64_t)-64, 0x40);
    LEB_OK(32, 1, INT32_MAX, 0xff, 0xff, 0xff, 0xff, 0x07);
    LEB_OK(32, 1, (uint64_t)(int64_t)INT32_MIN, 0x80, 0x80, 0x80, 0x80, 0x78);
    LEB_BAD(32, 1, KW_E_LEB, 0, 0xff, 0xff, 0xff, 0xff, 0x0f); /* 2^31 */
    LEB_BAD(32, 1, KW_E_LEB, 0, 0x80, 0x80, 0x80, 0x80, 0x70); /* below INT32_MIN */
    LEB_BAD(32, 1, KW_E_LEB, 0, 0xff, 0xff, 0xff, 0xff, 0x4f);
    /* s33: a type index up to 2^32 - 1, or a negative value */
    LEB_OK(33, 1, UINT32_MAX, 0xff, 0xff, 0xff, 0xff, 0x0f);
    LEB_OK(33, 1, (uint64_t)-1, 0xff, 0xff, 0xff, 0xff, 0x7f);
    LEB_BAD(33, 1, KW_E_LEB, 0, 0xff, 0xff, 0xff, 0xff, 0x1f);
    LEB_BAD(33, 1, KW_E_LEB, 0, 0x80, 0x80, 0x80, 0x80, 0x60);
    /* s64 / u64: ten bytes, one payload bit in the last */
    LEB_OK(64, 1, (uint64_t)INT64_MIN, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
           0x7f);
    LEB_OK(64, 1, INT64_MAX, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00);
    LEB_BAD(64, 1, KW_E_LEB, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    LEB_BAD(64, 1, KW_E_LEB, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
            0x00);
    LEB_OK(64, 0, UINT64_MAX, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    LEB_BAD(64, 0, KW_E_LEB, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
}

TEST(leb_typed_readers)
{
    static const uint8_t b[] = {0x40, 0x3f, 0x7f, 0x80, 0x7f, 0xff, 0x00, 0x40};
    kw_error e;
    rb_reader r = rb_make(b, 0, sizeof b, &e);
    int32_t s = 0;
    int64_t l = 0;
    uint32_t u = 0;
    CHECK_EQ(rb_s32(&r, &s), KW_OK);
    CHECK_EQ(s, -64);
    CHECK_EQ(rb_s32(&r, &s), KW_OK);
    CHECK_EQ(s, 63);
    CHECK_EQ(rb_s64(&r, &l), KW_OK);
    CHECK_EQ(l, -1);
    CHECK_EQ(rb_s64(&r, &l), KW_OK); /* 0x80 0x7f: two bytes */
    CHECK_EQ(l, -128);
    CHECK_EQ(rb_u32(&r, &u), KW_OK); /* 0xff 0x00 */
    CHECK_EQ(u, 127);
    CHECK_EQ(rb_s33(&r, &l), KW_OK);
    CHECK_EQ(l, -64);
    CHECK_EQ(rb_s32(&r, &s), KW_E_EOF);
}

TEST(counts_bounded_by_bytes_left)
{
    static const uint8_t b[] = {0x04, 1, 2, 3, 4};
    kw_error e;
    rb_reader r = rb_make(b, 0, sizeof b, &e);
    uint32_t n = 0;
    CHECK_EQ(rb_count(&r, 1, &n), KW_OK);
    CHECK_EQ(n, 4);
    r = rb_make(b, 0, sizeof b, &e);
    CHECK_EQ(rb_count(&r, 2, &n), KW_E_EOF); /* 4 items of 2 bytes: 8 > 4 */
    CHECK_EQ_U64(e.offset, 0);
    CHECK(r.p == b);
}

static size_t utf8(const char *s)
{
    return rb_utf8_check((const uint8_t *)s, strlen(s));
}

TEST(utf8_names)
{
    CHECK_EQ(utf8("plain"), 5);
    CHECK_EQ(utf8("\xc2\x80\xdf\xbf"), 4);                   /* U+0080, U+07FF */
    CHECK_EQ(utf8("\xe2\x82\xac"), 3);                       /* euro */
    CHECK_EQ(utf8("\xed\x9f\xbf\xee\x80\x80"), 6);           /* around the surrogates */
    CHECK_EQ(utf8("\xf0\x9d\x84\x9e\xf4\x8f\xbf\xbf"), 8);   /* U+1D11E, U+10FFFF */
    CHECK_EQ(utf8("a\x80"), 1);                              /* lone continuation */
    CHECK_EQ(utf8("ab\xc0\x80"), 2);                         /* overlong NUL */
    CHECK_EQ(utf8("\xc1\xbf"), 0);                           /* overlong */
    CHECK_EQ(utf8("\xe0\x9f\xbf"), 0);                       /* overlong 3-byte */
    CHECK_EQ(utf8("\xed\xa0\x80"), 0);                       /* surrogate U+D800 */
    CHECK_EQ(utf8("\xf0\x8f\xbf\xbf"), 0);                   /* overlong 4-byte */
    CHECK_EQ(utf8("\xf4\x90\x80\x80"), 0);                   /* past U+10FFFF */
    CHECK_EQ(utf8("\xf5\x80\x80\x80"), 0);
    CHECK_EQ(utf8("x\xe2\x82"), 1);                          /* truncated */
    CHECK_EQ(utf8("\xe2\x28\xa1"), 0);                       /* bad continuation */
    CHECK_EQ(utf8("\xff"), 0);
    CHECK_EQ(rb_utf8_check((const uint8_t *)"a\0b", 3), 3);  /* NUL is a character */
}

TEST(instructions)
{
    kw_error e;
    rb_instr in;
    /* br_table: labels stay in place, the default is in x */
    static const uint8_t bt[] = {0x0e, 0x02, 0x00, 0x81, 0x01, 0x03};
    rb_reader r = rb_make(bt, 0, sizeof bt, &e);
    CHECK_EQ(rb_instr_read(&r, &in), KW_OK);
    CHECK_EQ(in.op, OP_BR_TABLE);
    CHECK_EQ(in.n, 2);
    CHECK_EQ(in.vec, 2);
    CHECK_EQ(in.x, 3);
    CHECK(r.p == bt + sizeof bt);
    /* a 0xfc sub-opcode is a u32, so a long encoding is fine */
    static const uint8_t fc[] = {0xfc, 0x80, 0x00};
    r = rb_make(fc, 0, sizeof fc, &e);
    CHECK_EQ(rb_instr_read(&r, &in), KW_OK);
    CHECK_EQ(in.op, OP_I32_TRUNC_SAT_F32_S);
    static const uint8_t fc_bad[] = {0xfc, 0x12};
    r = rb_make(fc_bad, 0, sizeof fc_bad, &e);
    CHECK_EQ(rb_instr_read(&r, &in), KW_E_OPCODE);
    CHECK_EQ_U64(e.offset, 0);
    /* i32.const is signed and kept as its 32 bits */
    static const uint8_t c[] = {0x41, 0x7f};
    r = rb_make(c, 0, sizeof c, &e);
    CHECK_EQ(rb_instr_read(&r, &in), KW_OK);
    CHECK_EQ_U64(in.imm, 0xffffffffu);
    /* block types: empty, a value type, a type index; a negative index is malformed */
    static const uint8_t blk[] = {0x02, 0x40, 0x03, 0x7e, 0x04, 0x80, 0x01, 0x02, 0x7a};
    r = rb_make(blk, 0, sizeof blk, &e);
    CHECK_EQ(rb_instr_read(&r, &in), KW_OK);
    CHECK_EQ(in.bt, RB_BT_EMPTY);
    CHECK_EQ(rb_instr_read(&r, &in), KW_OK);
    CHECK_EQ(in.bt, RB_BT_VAL);
    CHECK_EQ(in.x, KW_I64);
    CHECK_EQ(rb_instr_read(&r, &in), KW_OK);
    CHECK_EQ(in.bt, RB_BT_TYPE);
    CHECK_EQ(in.x, 128);
    CHECK_EQ(rb_instr_read(&r, &in), KW_E_MALFORMED);
    CHECK_EQ_U64(e.offset, 8);
    CHECK(r.p == blk + 7); /* at the failed instruction */
}

/* ---- the header and sections -------------------------------------------------- */

static int load_raw(const char *b, size_t n, kw_error *e)
{
    kw_module *m = NULL;
    memset(e, 0, sizeof *e);
    int rc = kw_module_new(NULL, (const uint8_t *)b, n, &m, e);
    kw_module_free(m);
    return rc;
}

TEST(header)
{
    kw_error e;
    CHECK_EQ(load_raw("", 0, &e), KW_E_EOF);
    CHECK_EQ_U64(e.offset, 0);
    CHECK_EQ(load_raw("\0as", 3, &e), KW_E_EOF);
    CHECK_EQ_U64(e.offset, 3);
    CHECK_EQ(load_raw("asm\0", 4, &e), KW_E_MAGIC);
    CHECK_EQ_U64(e.offset, 0);
    CHECK_EQ(load_raw("\0asm", 4, &e), KW_E_EOF);
    CHECK_EQ_U64(e.offset, 4);
    CHECK_EQ(load_raw("\0asm\1\0\0", 7, &e), KW_E_EOF);
    CHECK_EQ(load_raw("\0asm\2\0\0\0", 8, &e), KW_E_VERSION);
    CHECK_EQ_U64(e.offset, 4);
    CHECK_EQ(load_raw("\0asm\1\0\0\0", 8, &e), KW_OK);
}

TEST(section_ids_sizes_and_order)
{
    mb m;
    mb_init(&m);
    mb_byte(&m, 13);
    mb_byte(&m, 0);
    EXPECT_ERR(&m, NULL, KW_E_SECTION, 8); /* no section 13 */

    mb_init(&m);
    mb_byte(&m, 1);
    mb_byte(&m, 5);
    mb_byte(&m, 0);
    EXPECT_ERR(&m, NULL, KW_E_EOF, 8); /* 5 bytes announced, 1 there */

    mb_init(&m);
    SEC(&m, 1, 0);
    SEC(&m, 3, 0);
    size_t at = m.n;
    SEC(&m, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_SECTION, at); /* type after function */

    mb_init(&m);
    SEC(&m, 1, 0);
    at = m.n;
    SEC(&m, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_SECTION, at); /* repeated */

    mb_init(&m);
    SEC(&m, 10, 0);
    at = m.n;
    SEC(&m, 12, 0);
    EXPECT_ERR(&m, NULL, KW_E_SECTION, at); /* data count goes before code */

    mb_init(&m);
    SEC(&m, 12, 0); /* ... and after element */
    SEC(&m, 10, 0);
    SEC(&m, 11, 0);
    EXPECT_OK(&m, NULL);

    mb_init(&m);
    at = SEC(&m, 1, 0, 0);
    EXPECT_ERR(&m, NULL, KW_E_SECTION, at + 1); /* a byte past the contents */

    mb_init(&m);
    at = SEC(&m, 1, 0xff, 0xff, 0xff, 0xff, 0x0f);
    EXPECT_ERR(&m, NULL, KW_E_EOF, at); /* a count cannot claim more than the bytes */

    mb_init(&m);
    at = SEC(&m, 1, 0x80, 0x80, 0x80, 0x80, 0x10);
    EXPECT_ERR(&m, NULL, KW_E_LEB, at);
    mb_init(&m);
    at = SEC(&m, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    EXPECT_ERR(&m, NULL, KW_E_LEB, at);
}

TEST(custom_sections)
{
    mb m;
    mb_init(&m);
    SEC(&m, 0, 1, 'a', 0xff, 0xfe); /* contents are not checked */
    SEC(&m, 1, 0);
    SEC(&m, 0, 0);                  /* an empty name is a name */
    SEC(&m, 3, 0);
    SEC(&m, 0, 3, 0xe2, 0x82, 0xac);
    EXPECT_OK(&m, NULL);

    mb_init(&m);
    size_t at = SEC(&m, 0, 2, 'a', 0xff);
    EXPECT_ERR(&m, NULL, KW_E_UTF8, at + 2);

    mb_init(&m);
    at = SEC(&m, 0, 5, 'a');
    EXPECT_ERR(&m, NULL, KW_E_EOF, at); /* the name runs past the section */

    mb_init(&m);
    mb_byte(&m, 0);
    mb_byte(&m, 0);
    EXPECT_ERR(&m, NULL, KW_E_EOF, m.n); /* no name at all */
}

TEST(types)
{
    mb m;
    mb_init(&m);
    size_t at = SEC(&m, 1, 1, 0x61, 0, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 1);

    mb_init(&m);
    at = SEC(&m, 1, 1, 0x60, 1, 0x7b, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 3); /* v128: no SIMD */

    mb_init(&m);
    at = SEC(&m, 1, 1, 0x60, 0, 1, 0x40);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 4);

    mb_init(&m);
    at = SEC(&m, 1, 2, 0x60, 0, 0);
    EXPECT_ERR(&m, NULL, KW_E_EOF, at); /* 2 types of 3 bytes in 4 bytes */

    mb_init(&m);
    SEC(&m, 1, 2, 0x60, 2, 0x7f, 0x6f, 1, 0x70, 0x60, 0, 0);
    kw_module *km = NULL;
    kw_error e;
    CHECK_EQ(kw_module_new(NULL, m.b, m.n, &km, &e), KW_OK);
    CHECK_EQ(km->ntypes, 2);
    CHECK_EQ(km->types[0].nparams, 2);
    CHECK_EQ(km->types[0].params[1], KW_EXTERNREF);
    CHECK_EQ(km->types[0].nresults, 1);
    CHECK_EQ(km->types[0].results[0], KW_FUNCREF);
    CHECK_EQ(km->types[1].nparams + km->types[1].nresults, 0);
    kw_module_free(km);
}

TEST(imports)
{
    mb m;
    mb_init(&m);
    size_t at = SEC(&m, 2, 1, 0, 0, 4, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 3); /* kind 4 */
    mb_init(&m);
    at = SEC(&m, 2, 1, 0, 0, 4);
    EXPECT_ERR(&m, NULL, KW_E_EOF, at); /* no import fits in 3 bytes */

    mb_init(&m);
    at = SEC(&m, 2, 1, 0, 0, 3, 0x7f, 2);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 5); /* mutability 2 */

    mb_init(&m);
    at = SEC(&m, 2, 1, 1, 0xc0, 0, 3, 0x7f, 0);
    EXPECT_ERR(&m, NULL, KW_E_UTF8, at + 2);

    mb_init(&m);
    at = SEC(&m, 2, 1, 0, 2, 'a', 0xed, 0xa0, 0x80);
    EXPECT_ERR(&m, NULL, KW_E_UTF8, at + 4);

    mb_init(&m);
    at = SEC(&m, 2, 1, 0, 0, 1, 0x7f, 0, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 4); /* a table of i32 */

    /* one of each kind, in their index spaces */
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 2, 5, 1, 'm', 1, 'f', 0, 0,                    /* func */
        1, 'm', 1, 't', 1, 0x6f, 1, 1, 2,                  /* table externref 1..2 */
        1, 'm', 1, 'g', 3, 0x7e, 1,                        /* global mut i64 */
        1, 'm', 1, 'M', 2, 0, 3,                           /* memory 3 */
        1, 'm', 1, 'h', 0, 0);                             /* func */
    SEC(&m, 3, 1, 0);
    SEC(&m, 10, 1, 2, 0, 0x0b);
    kw_module *km = NULL;
    kw_error e;
    CHECK_EQ(kw_module_new(NULL, m.b, m.n, &km, &e), KW_OK);
    CHECK_EQ(km->nimports, 5);
    CHECK_EQ(km->nfunc_imports, 2);
    CHECK_EQ(km->nfuncs, 3);
    CHECK_EQ(km->ntable_imports, 1);
    CHECK_EQ(km->tables[0].elemtype, KW_EXTERNREF);
    CHECK(km->tables[0].limits.has_max && km->tables[0].limits.max == 2);
    CHECK_EQ(km->nglobal_imports, 1);
    CHECK(km->globals[0].mut && km->globals[0].type == KW_I64);
    CHECK_EQ(km->nmem_imports, 1);
    CHECK_EQ(km->mems[0].min, 3);
    CHECK_EQ(km->imports[4].index, 1);
    CHECK_EQ(km->imports[3].kind, KW_EXTERN_MEMORY);
    kw_extern_desc d;
    CHECK_EQ(kw_module_import(km, 4, &d), KW_OK);
    CHECK(d.name_len == 1 && d.name[0] == 'h' && d.module[0] == 'm');
    CHECK_EQ(kw_module_import(km, 5, &d), KW_E_NOT_FOUND);
    kw_module_free(km);
}

TEST(limits_encoding)
{
    mb m;
    mb_init(&m);
    size_t at = SEC(&m, 5, 1, 2, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 1);
    mb_init(&m);
    at = SEC(&m, 5, 1, 0x81, 0, 0);
    EXPECT_ERR(&m, NULL, KW_E_LEB, at + 1); /* flags as a long LEB128 */
    mb_init(&m);
    at = SEC(&m, 4, 1, 0x70, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_EOF, at + 4);
}

/* type [] -> [], one function, a memory; the code is given */
static size_t one_func(mb *m, int datacount)
{
    mb_init(m);
    SEC(m, 1, 1, 0x60, 0, 0);
    SEC(m, 3, 1, 0);
    SEC(m, 5, 1, 0, 1);
    if (datacount) SEC(m, 12, 1);
    return m->n;
}

TEST(function_and_code_counts)
{
    mb m;
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 2, 0, 0);
    size_t at = SEC(&m, 10, 1, 2, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at);

    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, m.n); /* functions and no code */

    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    at = SEC(&m, 10, 1, 2, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at); /* code and no functions */

    mb_init(&m);
    SEC(&m, 3, 0);
    SEC(&m, 10, 0);
    EXPECT_OK(&m, NULL);
}

TEST(data_count)
{
    mb m;
    mb_init(&m);
    SEC(&m, 12, 1);
    EXPECT_ERR(&m, NULL, KW_E_DATACOUNT, m.n); /* one announced, no data section */

    mb_init(&m);
    SEC(&m, 12, 0);
    EXPECT_OK(&m, NULL);

    mb_init(&m);
    SEC(&m, 5, 1, 0, 1);
    SEC(&m, 12, 2);
    size_t at = SEC(&m, 11, 1, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_DATACOUNT, at);

    /* memory.init and data.drop need the data count section */
    one_func(&m, 0);
    size_t body = CODE1(&m, 0, 0xfc, 0x09, 0, 0x0b);
    SEC(&m, 11, 1, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 1);
    one_func(&m, 0);
    body = CODE1(&m, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x08, 0, 0, 0x0b);
    SEC(&m, 11, 1, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 7);
    one_func(&m, 1);
    CODE1(&m, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x08, 0, 0, 0xfc, 0x09, 0, 0x0b);
    SEC(&m, 11, 1, 1, 0);
    EXPECT_OK(&m, NULL);
}

TEST(bodies)
{
    mb m;
    one_func(&m, 0);
    size_t body = CODE1(&m, 0, 0x01);
    EXPECT_ERR(&m, NULL, KW_E_EOF, body + 2); /* no final end */

    one_func(&m, 0);
    body = CODE1(&m, 0, 0x02, 0x40, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_EOF, body + 4); /* the block's end is not the body's */

    one_func(&m, 0);
    body = CODE1(&m, 0, 0x0b, 0x01);
    EXPECT_ERR(&m, NULL, KW_E_SECTION, body + 2); /* a byte after the final end */

    one_func(&m, 0);
    body = CODE1(&m, 0, 0xff, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_OPCODE, body + 1);
    one_func(&m, 0);
    body = CODE1(&m, 0, 0x01, 0xfc, 0x12, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_OPCODE, body + 2);
    one_func(&m, 0);
    body = CODE1(&m, 0, 0xfd, 0x00, 0x0b); /* SIMD prefix */
    EXPECT_ERR(&m, NULL, KW_E_OPCODE, body + 1);

    /* reserved bytes, alignment flags, block and reference types */
    one_func(&m, 0);
    body = CODE1(&m, 0, 0x41, 0, 0x40, 0x01, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 4);
    one_func(&m, 0);
    body = CODE1(&m, 0, 0x3f, 0x80, 0x00, 0x1a, 0x0b); /* not a LEB128 */
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 2);
    one_func(&m, 0);
    body = CODE1(&m, 0, 0x41, 0, 0x28, 0x20, 0, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 4);
    one_func(&m, 0);
    body = CODE1(&m, 0, 0x02, 0x7a, 0x0b, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 2);
    one_func(&m, 0);
    body = CODE1(&m, 0, 0xd0, 0x7f, 0x1a, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 2);
    one_func(&m, 0);
    body = CODE1(&m, 0, 0x1c, 0x01, 0x7b, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 3);
    one_func(&m, 0);
    body = CODE1(&m, 1, 1, 0x40, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, body + 2); /* a local of no type */

    /* where the pieces of a body are */
    one_func(&m, 0);
    body = CODE1(&m, 2, 2, 0x7f, 1, 0x7c, 0x01, 0x0b);
    kw_module *km = NULL;
    kw_error e;
    CHECK_EQ(kw_module_new(NULL, m.b, m.n, &km, &e), KW_OK);
    CHECK_EQ(km->bodies[0].entry_off, body - 1);
    CHECK_EQ(km->bodies[0].code_off, body + 5);
    CHECK_EQ(km->bodies[0].code_len, 2);
    CHECK_EQ(km->bodies[0].nlocals, 3);
    CHECK_EQ(km->bodies[0].ngroups, 2);
    CHECK_EQ(km->localgroups[km->bodies[0].first_group + 1].type, KW_F64);
    CHECK_EQ(wm_local_type(km, 0, 1), KW_I32);
    CHECK_EQ(wm_local_type(km, 0, 2), KW_F64);
    kw_module_free(km);
}

TEST(element_segments_all_forms)
{
    mb m;
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 2, 0, 0);
    SEC(&m, 4, 2, 0x70, 0, 10, 0x6f, 0, 10);
    SEC(&m, 9, 8,
        0x00, 0x41, 0, 0x0b, 1, 0,                          /* active table 0, indexes */
        0x01, 0x00, 1, 0,                                   /* passive, indexes */
        0x02, 0, 0x41, 1, 0x0b, 0x00, 1, 0,                 /* active table x, indexes */
        0x03, 0x00, 1, 1,                                   /* declarative, indexes */
        0x04, 0x41, 2, 0x0b, 1, 0xd2, 0, 0x0b,              /* active table 0, exprs */
        0x05, 0x6f, 2, 0xd0, 0x6f, 0x0b, 0xd0, 0x6f, 0x0b,  /* passive, exprs */
        0x06, 1, 0x41, 3, 0x0b, 0x6f, 1, 0xd0, 0x6f, 0x0b,  /* active table x, exprs */
        0x07, 0x70, 1, 0xd2, 1, 0x0b);                      /* declarative, exprs */
    SEC(&m, 10, 2, 2, 0, 0x0b, 2, 0, 0x0b);
    kw_module *km = NULL;
    kw_error e;
    CHECK_MSG(kw_module_new(NULL, m.b, m.n, &km, &e) == KW_OK, "%s", e.msg);
    CHECK_EQ(km->nelems, 8);
    static const uint8_t modes[8] = {WM_SEG_ACTIVE, WM_SEG_PASSIVE,     WM_SEG_ACTIVE,
                                     WM_SEG_DECLARATIVE, WM_SEG_ACTIVE, WM_SEG_PASSIVE,
                                     WM_SEG_ACTIVE, WM_SEG_DECLARATIVE};
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(km->elems[i].mode, modes[i]);
        CHECK_EQ(km->elems[i].exprs, i >= 4);
    }
    CHECK_EQ(km->elems[5].reftype, KW_EXTERNREF);
    CHECK_EQ(km->elems[5].count, 2);
    CHECK_EQ(km->elems[5].items[1].op, OP_REF_NULL);
    CHECK_EQ(km->elems[5].items[1].type, KW_EXTERNREF);
    CHECK_EQ(km->elems[6].table, 1);
    CHECK_EQ(km->elems[6].offset.op, OP_I32_CONST);
    CHECK_EQ(km->elems[6].offset.value, 3);
    CHECK_EQ(km->elems[3].items[0].op, OP_REF_FUNC);
    CHECK_EQ(km->elems[3].items[0].value, 1);
    CHECK(wm_func_declared(km, 0) && wm_func_declared(km, 1));
    kw_module_free(km);

    mb_init(&m);
    size_t at = SEC(&m, 9, 1, 0x08, 0, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 1); /* flags 8 */
    mb_init(&m);
    at = SEC(&m, 9, 1, 0x01, 0x01, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 2); /* element kind 1 */
    mb_init(&m);
    at = SEC(&m, 9, 1, 0x05, 0x7f, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 2); /* not a reference type */
    mb_init(&m);
    at = SEC(&m, 9, 1, 0x05, 0x70, 1, 0xf3, 0, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_OPCODE, at + 4);
    mb_init(&m);
    at = SEC(&m, 9, 1, 0x04, 0x41, 0, 1, 0);
    EXPECT_ERR(&m, NULL, KW_E_EOF, at + 6); /* the offset has no end: nop, unreachable, ... */
}

TEST(data_segments_all_forms)
{
    mb m;
    mb_init(&m);
    SEC(&m, 5, 1, 0, 1);
    SEC(&m, 12, 3);
    SEC(&m, 11, 3, 0x00, 0x41, 0, 0x0b, 2, 'h', 'i', 0x01, 1, 'x', 0x02, 0, 0x41, 4, 0x0b, 0);
    kw_module *km = NULL;
    kw_error e;
    CHECK_MSG(kw_module_new(NULL, m.b, m.n, &km, &e) == KW_OK, "%s", e.msg);
    CHECK_EQ(km->ndatas, 3);
    CHECK_EQ(km->datas[0].mode, WM_SEG_ACTIVE);
    CHECK_EQ(km->datas[0].len, 2);
    CHECK(memcmp(km->bytes + km->datas[0].off, "hi", 2) == 0);
    CHECK_EQ(km->datas[1].mode, WM_SEG_PASSIVE);
    CHECK_EQ(km->bytes[km->datas[1].off], 'x');
    CHECK_EQ(km->datas[2].offset.value, 4);
    CHECK_EQ(km->datas[2].len, 0);
    kw_module_free(km);

    mb_init(&m);
    SEC(&m, 5, 1, 0, 1);
    size_t at = SEC(&m, 11, 1, 0x03, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 1);
    mb_init(&m);
    SEC(&m, 5, 1, 0, 1);
    at = SEC(&m, 11, 1, 0x01, 5, 'a', 'b');
    EXPECT_ERR(&m, NULL, KW_E_EOF, at + 2);
}

TEST(exports_and_declared_functions)
{
    mb m;
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 4, 0, 0, 0, 0);
    SEC(&m, 4, 1, 0x70, 0, 1);
    SEC(&m, 6, 1, 0x70, 0, 0xd2, 2, 0x0b);         /* global init names 2 */
    SEC(&m, 7, 1, 1, 'f', 0, 0);                   /* export names 0 */
    SEC(&m, 9, 1, 0x00, 0x41, 0, 0x0b, 1, 1);      /* segment names 1 */
    SEC(&m, 10, 4, 2, 0, 0x0b, 2, 0, 0x0b, 2, 0, 0x0b, 2, 0, 0x0b);
    kw_module *km = NULL;
    kw_error e;
    CHECK_MSG(kw_module_new(NULL, m.b, m.n, &km, &e) == KW_OK, "%s", e.msg);
    CHECK(wm_func_declared(km, 0));
    CHECK(wm_func_declared(km, 1));
    CHECK(wm_func_declared(km, 2));
    CHECK(!wm_func_declared(km, 3));
    CHECK_EQ(km->globals[0].init.op, OP_REF_FUNC);
    CHECK_EQ(km->globals[0].init.value, 2);
    kw_extern_desc d;
    CHECK_EQ(kw_module_export(km, 0, &d), KW_OK);
    CHECK(d.kind == KW_EXTERN_FUNC && d.name_len == 1 && d.name[0] == 'f');
    kw_module_free(km);

    mb_init(&m);
    size_t at = SEC(&m, 7, 1, 1, 'f', 4, 0);
    EXPECT_ERR(&m, NULL, KW_E_MALFORMED, at + 3);
    mb_init(&m);
    at = SEC(&m, 7, 1, 2, 'f', 0x80, 0, 0);
    EXPECT_ERR(&m, NULL, KW_E_UTF8, at + 3);
}

/* ---- limits ------------------------------------------------------------------------- */

TEST(limit_section_items)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_section_items = 2;
    mb m;
    mb_init(&m);
    size_t at = SEC(&m, 1, 3, 0x60, 0, 0, 0x60, 0, 0, 0x60, 0, 0);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_COUNT, at);
    mb_init(&m);
    SEC(&m, 1, 2, 0x60, 0, 0, 0x60, 0, 0);
    EXPECT_OK(&m, &cfg);
    mb_init(&m);
    at = SEC(&m, 1, 1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0); /* parameters are items too */
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_COUNT, at + 2);
    mb_init(&m);
    at = SEC(&m, 12, 3);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_COUNT, at);
}

TEST(limit_functions)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_funcs = 2;
    mb m;
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    size_t at = SEC(&m, 3, 3, 0, 0, 0);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_FUNCS, at);

    mb_init(&m); /* imported functions count */
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 2, 2, 0, 1, 'a', 0, 0, 0, 1, 'b', 0, 0);
    at = SEC(&m, 3, 1, 0);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_FUNCS, at);

    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    at = SEC(&m, 2, 3, 0, 1, 'a', 0, 0, 0, 1, 'b', 0, 0, 0, 1, 'c', 0, 0);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_FUNCS, at + 14); /* the third import's kind */
}

TEST(limit_locals)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_locals = 5;
    mb m;
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 2, 0x7f, 0x7f, 0);
    SEC(&m, 3, 1, 0);
    size_t body = CODE1(&m, 2, 1, 0x7e, 3, 0x7f, 0x0b);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_LOCALS, body + 3); /* 2 params + 1 + 3 > 5 */

    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 2, 0x7f, 0x7f, 0);
    SEC(&m, 3, 1, 0);
    CODE1(&m, 2, 1, 0x7e, 2, 0x7f, 0x0b);
    EXPECT_OK(&m, &cfg); /* exactly 5 */

    /* the spec's "too many locals" (a total past 2^32) at the default limit */
    mb_init(&m);
    SEC(&m, 1, 1, 0x60, 0, 0);
    SEC(&m, 3, 1, 0);
    body = CODE1(&m, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 2, 0x7e, 0x0b);
    EXPECT_ERR(&m, NULL, KW_E_LIMIT_LOCALS, body + 1);
}

TEST(limit_body_and_module_size)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_body_bytes = 3;
    mb m;
    one_func(&m, 0);
    size_t body = CODE1(&m, 0, 0x01, 0x01, 0x0b);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_CODE, body - 1);
    one_func(&m, 0);
    CODE1(&m, 0, 0x01, 0x0b);
    EXPECT_OK(&m, &cfg);

    memset(&cfg, 0, sizeof cfg);
    cfg.max_module_bytes = 8;
    mb_init(&m);
    EXPECT_OK(&m, &cfg);
    SEC(&m, 1, 0);
    EXPECT_ERR(&m, &cfg, KW_E_LIMIT_MODULE_SIZE, KW_NO_OFFSET);
}

/* Every prefix of a valid module that cuts into a section is rejected
   cleanly (and leaks nothing under LeakSanitizer), with a decoding code and
   an offset inside the bytes. Prefixes that end between sections may be
   valid modules in their own right. */
TEST(every_truncation_rejected)
{
    mb m;
    size_t ends[16], nends = 0;
    mb_init(&m);
    ends[nends++] = m.n;
#define S_(...) (SEC(&m, __VA_ARGS__), ends[nends++] = m.n)
    S_(1, 2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0);
    S_(2, 1, 1, 'm', 1, 'g', 3, 0x7f, 0);
    S_(3, 2, 0, 1);
    S_(4, 1, 0x70, 1, 1, 4);
    S_(5, 1, 1, 1, 2);
    S_(6, 1, 0x7f, 1, 0x23, 0, 0x0b);
    S_(7, 1, 1, 'f', 0, 0);
    S_(8, 1);
    S_(9, 1, 0x00, 0x41, 0, 0x0b, 1, 0);
    S_(12, 1);
    S_(10, 2, 6, 1, 1, 0x7e, 0x20, 0, 0x0b, 2, 0, 0x0b);
    S_(11, 1, 0x01, 2, 'a', 'b');
    S_(0, 1, 'n', 1, 2, 3);
#undef S_
    EXPECT_OK(&m, NULL);
    size_t k = 0;
    for (size_t n = 0; n < m.n; n++) {
        while (k < nends && ends[k] < n) k++;
        if (k < nends && ends[k] == n) continue;
        kw_module *km = NULL;
        kw_error e;
        memset(&e, 0, sizeof e);
        int rc = kw_module_new(NULL, m.b, n, &km, &e);
        CHECK_MSG(rc != KW_OK, "prefix of %zu bytes accepted", n);
        CHECK(km == NULL);
        CHECK_MSG(rc >= 100 && rc < 140, "prefix of %zu: %s", n, kw_status_name(rc));
        CHECK(e.offset <= n);
    }
}
