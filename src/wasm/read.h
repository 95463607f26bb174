/*
 * read.h: the bounds-checked reader of WebAssembly binary bytes, shared by
 * the decoder, the validator and the compiler.
 *
 * A reader walks [p, end) of a buffer whose first byte is base; error
 * offsets are p - base, so a reader over one section or one function body
 * still reports offsets in the whole module. Every function returns KW_OK
 * or a status code after filling r->err (which may be NULL) with the code,
 * the offset and a message; out-parameters are written only on success. A
 * failed read leaves p where the faulty item starts.
 *
 * LEB128 follows the spec exactly: an N-bit integer takes at most
 * ceil(N / 7) bytes ("integer representation too long" past that), and the
 * bits of the last byte that do not fit in N bits must be zero (unsigned)
 * or copies of the sign bit (signed) ("integer too large"). Both are
 * KW_E_LEB. Running past end is KW_E_EOF.
 *
 * rb_instr reads one instruction and its immediates (read.c): the one
 * place where the instruction encoding is known.
 */
#ifndef KW_READ_H
#define KW_READ_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule_wasm.h"

typedef struct rb_reader {
    const uint8_t *base; /* offset 0 for messages */
    const uint8_t *p;    /* next byte */
    const uint8_t *end;  /* one past the last byte this reader may read */
    kw_error *err;       /* filled on failure; may be NULL */
} rb_reader;

static inline rb_reader rb_make(const uint8_t *base, size_t off, size_t len, kw_error *err)
{
    rb_reader r;
    r.base = base;
    r.p = base + off;
    r.end = base + off + len;
    r.err = err;
    return r;
}

static inline uint64_t rb_off(const rb_reader *r)
{
    return (uint64_t)(r->p - r->base);
}

static inline size_t rb_left(const rb_reader *r)
{
    return (size_t)(r->end - r->p);
}

/* Fills r->err with code at offset off and returns code. */
int rb_fail(rb_reader *r, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* KW_E_EOF at the current position. */
int rb_eof(rb_reader *r);

/* The general LEB128 reader: bits is 32, 33 or 64. Signed values come
   back sign-extended to 64 bits. */
int rb_leb(rb_reader *r, unsigned bits, int is_signed, uint64_t *out);

static inline int rb_u8(rb_reader *r, uint8_t *out)
{
    if (r->p >= r->end) {
        rb_eof(r);
        return KW_E_EOF; /* a constant, so compilers see *out is set on KW_OK */
    }
    *out = *r->p++;
    return KW_OK;
}

/* n raw bytes: *out points into the buffer. */
static inline int rb_bytes(rb_reader *r, size_t n, const uint8_t **out)
{
    if (rb_left(r) < n) {
        rb_eof(r);
        return KW_E_EOF;
    }
    *out = r->p;
    r->p += n;
    return KW_OK;
}

static inline int rb_u32(rb_reader *r, uint32_t *out)
{
    if (r->p < r->end && *r->p < 0x80) {
        *out = *r->p++;
        return KW_OK;
    }
    uint64_t v;
    int rc = rb_leb(r, 32, 0, &v);
    if (rc == KW_OK) *out = (uint32_t)v;
    return rc;
}

/* One byte holds 7 bits; bit 6 is the sign. */
static inline int64_t rb_sext7(uint8_t b)
{
    return (int64_t)(b & 0x3f) - (int64_t)(b & 0x40);
}

static inline int rb_s32(rb_reader *r, int32_t *out)
{
    if (r->p < r->end && *r->p < 0x80) {
        *out = (int32_t)rb_sext7(*r->p++);
        return KW_OK;
    }
    uint64_t v;
    int rc = rb_leb(r, 32, 1, &v);
    if (rc == KW_OK) *out = (int32_t)(uint32_t)v;
    return rc;
}

static inline int rb_s33(rb_reader *r, int64_t *out)
{
    uint64_t v;
    int rc = rb_leb(r, 33, 1, &v);
    if (rc == KW_OK) *out = (int64_t)v;
    return rc;
}

static inline int rb_s64(rb_reader *r, int64_t *out)
{
    if (r->p < r->end && *r->p < 0x80) {
        *out = rb_sext7(*r->p++);
        return KW_OK;
    }
    uint64_t v;
    int rc = rb_leb(r, 64, 1, &v);
    if (rc == KW_OK) *out = (int64_t)v;
    return rc;
}

static inline int rb_u64(rb_reader *r, uint64_t *out)
{
    return rb_leb(r, 64, 0, out);
}

/*
 * A u32 count of items that each take at least min_bytes, so a count that
 * cannot fit in the bytes left is KW_E_EOF before anything is allocated.
 */
int rb_count(rb_reader *r, size_t min_bytes, uint32_t *out);

/* Index of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no
   surrogates, nothing past U+10FFFF), or n when all n bytes are valid. */
size_t rb_utf8_check(const uint8_t *s, size_t n);

/* A name: u32 length, then that many bytes of valid UTF-8 (KW_E_UTF8).
   *off is the offset of the first byte from base. */
int rb_name(rb_reader *r, uint32_t *off, uint32_t *len);

/* Value and reference types. v128 is refused: the engine has no SIMD. */
static inline int rb_is_valtype(uint8_t t)
{
    return t == KW_I32 || t == KW_I64 || t == KW_F32 || t == KW_F64 || t == KW_FUNCREF ||
           t == KW_EXTERNREF;
}
static inline int rb_is_reftype(uint8_t t)
{
    return t == KW_FUNCREF || t == KW_EXTERNREF;
}
int rb_valtype(rb_reader *r, uint8_t *out);
int rb_reftype(rb_reader *r, uint8_t *out);

/* ---- instructions --------------------------------------------------------- */

enum { RB_BT_EMPTY = 0, RB_BT_VAL = 1, RB_BT_TYPE = 2 };

/*
 * One decoded instruction. Which fields are set depends on the immediate
 * kind of op (opcodes.h):
 *   BLOCK     bt (RB_BT_*), x = the value type or type index
 *   LABEL FUNC LOCAL GLOBAL TABLE ELEM DATA DATA_MEM   x
 *   BR_TABLE  n labels at offset vec (read them with rb_u32), x = default
 *   CALL_IND  x = type index, y = table index
 *   TABLE2    x = destination table, y = source table
 *   ELEM_TAB  x = element segment, y = table
 *   MEMARG    x = alignment exponent (< 32), y = offset
 *   I32       imm = the value's 32 bits (zero-extended)
 *   I64       imm = the value's 64 bits
 *   F32 F64   imm = the bits
 *   SELECT_T  n types at offset vec, each a value type
 *   REFTYPE   x = the reference type
 */
typedef struct rb_instr {
    uint32_t op;  /* OP_*; 0xFC-prefixed ones are 0xFC00 | sub-opcode */
    uint32_t off; /* offset of the opcode */
    uint32_t x, y;
    uint32_t n;
    uint32_t vec;
    uint8_t bt;
    uint64_t imm;
} rb_instr;

/*
 * Reads one instruction. Malformed encodings (unknown opcode, bad LEB128,
 * non-zero reserved byte, bad block type or value type, alignment exponent
 * of 32 or more) are errors; nothing here knows about types or indexes.
 */
int rb_instr_read(rb_reader *r, rb_instr *in);

#endif
