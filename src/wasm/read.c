/*
 * read.c: the out-of-line parts of the byte reader (read.h): multi-byte
 * LEB128, counts, UTF-8 names, value types and whole instructions.
 */
#include "wasm/read.h"

#include <stdarg.h>

#include "wasm/opcodes.h"
#include "wasm/wutil.h"

int rb_fail(rb_reader *r, int code, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wu_verr(r->err, code, off, fmt, ap);
    va_end(ap);
    return code;
}

int rb_eof(rb_reader *r)
{
    return rb_fail(r, KW_E_EOF, (uint64_t)(r->end - r->base), "unexpected end");
}

int rb_leb(rb_reader *r, unsigned bits, int is_signed, uint64_t *out)
{
    const uint8_t *start = r->p;
    const unsigned maxbytes = (bits + 6) / 7;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    for (unsigned i = 0;; i++, shift += 7) {
        if (r->p >= r->end) {
            int rc = rb_eof(r);
            r->p = start;
            return rc;
        }
        b = *r->p++;
        if (i == maxbytes - 1) {
            /* The last byte allowed: no continuation, and the bits past
               the integer's width are zero or copies of its sign bit. */
            unsigned used = bits - shift; /* 1..7 payload bits here */
            if (b & 0x80) {
                r->p = start;
                return rb_fail(r, KW_E_LEB, (uint64_t)(start - r->base),
                               "integer representation too long (more than %u bytes)",
                               maxbytes);
            }
            unsigned hi = b >> (is_signed ? used - 1 : used);
            unsigned all = (1u << (is_signed ? 8 - used : 7 - used)) - 1;
            if (!(hi == 0 || (is_signed && hi == all))) {
                r->p = start;
                return rb_fail(r, KW_E_LEB, (uint64_t)(start - r->base),
                               "integer too large for %s%u", is_signed ? "s" : "u", bits);
            }
            v |= (uint64_t)(b & 0x7f) << shift;
            break;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
    }
    shift += 7;
    if (is_signed && shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    *out = v;
    return KW_OK;
}

int rb_count(rb_reader *r, size_t min_bytes, uint32_t *out)
{
    uint64_t at = rb_off(r);
    uint32_t n;
    int rc = rb_u32(r, &n);
    if (rc != KW_OK) return rc;
    if (min_bytes && n > rb_left(r) / min_bytes) {
        r->p = r->base + at;
        return rb_fail(r, KW_E_EOF, at, "count %u does not fit in the %zu bytes left", n,
                       rb_left(r));
    }
    *out = n;
    return KW_OK;
}

size_t rb_utf8_check(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;      /* overlong */
            else if (c == 0xed) hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;      /* overlong */
            else if (c == 0xf4) hi = 0x8f; /* past U+10FFFF */
        } else {
            return i;
        }
        if (n - i < len) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80) return i;
        i += len;
    }
    return n;
}

int rb_name(rb_reader *r, uint32_t *off, uint32_t *len)
{
    uint64_t at = rb_off(r);
    uint32_t n;
    int rc = rb_u32(r, &n);
    if (rc != KW_OK) return rc;
    if (n > rb_left(r)) {
        r->p = r->base + at;
        return rb_fail(r, KW_E_EOF, at, "name of %u bytes runs past the end (%zu left)", n,
                       rb_left(r));
    }
    size_t bad = rb_utf8_check(r->p, n);
    if (bad != n) {
        uint64_t where = rb_off(r) + bad;
        r->p = r->base + at;
        return rb_fail(r, KW_E_UTF8, where, "malformed UTF-8 encoding in a name");
    }
    *off = (uint32_t)rb_off(r);
    *len = n;
    r->p += n;
    return KW_OK;
}

int rb_valtype(rb_reader *r, uint8_t *out)
{
    if (r->p >= r->end) return rb_eof(r);
    uint8_t t = *r->p;
    if (t == KW_V128)
        return rb_fail(r, KW_E_MALFORMED, rb_off(r), "v128 is not supported (no SIMD)");
    if (!rb_is_valtype(t))
        return rb_fail(r, KW_E_MALFORMED, rb_off(r), "malformed value type 0x%02x", t);
    r->p++;
    *out = t;
    return KW_OK;
}

int rb_reftype(rb_reader *r, uint8_t *out)
{
    if (r->p >= r->end) return rb_eof(r);
    uint8_t t = *r->p;
    if (!rb_is_reftype(t))
        return rb_fail(r, KW_E_MALFORMED, rb_off(r), "malformed reference type 0x%02x", t);
    r->p++;
    *out = t;
    return KW_OK;
}

/* ---- instructions ------------------------------------------------------------ */

enum imm_kind {
    IMM_NONE, IMM_BLOCK, IMM_LABEL, IMM_BR_TABLE, IMM_FUNC, IMM_CALL_IND, IMM_LOCAL,
    IMM_GLOBAL, IMM_TABLE, IMM_MEMARG, IMM_I32, IMM_I64, IMM_F32, IMM_F64, IMM_MEM0,
    IMM_SELECT_T, IMM_REFTYPE, IMM_TABLE2, IMM_ELEM, IMM_ELEM_TAB, IMM_DATA, IMM_DATA_MEM,
    IMM_MEM00
};

/* The immediate kind of op, or -1 when op is no 2.0 instruction. */
static int imm_kind(uint32_t op)
{
    switch (op) {
#define IMM_CASE_(name, code, imm) \
    case code: return IMM_##imm;
        WASM_OPCODES(IMM_CASE_)
#undef IMM_CASE_
    default: return -1;
    }
}

static int zero_byte(rb_reader *r)
{
    uint8_t b;
    int rc = rb_u8(r, &b);
    if (rc != KW_OK) return rc;
    if (b != 0) {
        r->p--;
        return rb_fail(r, KW_E_MALFORMED, rb_off(r), "zero byte expected");
    }
    return KW_OK;
}

static int block_type(rb_reader *r, rb_instr *in)
{
    if (r->p >= r->end) return rb_eof(r);
    uint8_t b = *r->p;
    if (b == 0x40) {
        r->p++;
        in->bt = RB_BT_EMPTY;
        return KW_OK;
    }
    if (rb_is_valtype(b) || b == KW_V128) {
        uint8_t t;
        int rc = rb_valtype(r, &t);
        if (rc != KW_OK) return rc;
        in->bt = RB_BT_VAL;
        in->x = t;
        return KW_OK;
    }
    uint64_t at = rb_off(r);
    int64_t v;
    int rc = rb_s33(r, &v);
    if (rc != KW_OK) return rc;
    if (v < 0) {
        r->p = r->base + at;
        return rb_fail(r, KW_E_MALFORMED, at, "malformed block type");
    }
    in->bt = RB_BT_TYPE;
    in->x = (uint32_t)v;
    return KW_OK;
}

static int read_imm(rb_reader *r, rb_instr *in, int kind)
{
    int rc = KW_OK;
    switch (kind) {
    case IMM_NONE: break;
    case IMM_BLOCK: rc = block_type(r, in); break;
    case IMM_LABEL:
    case IMM_FUNC:
    case IMM_LOCAL:
    case IMM_GLOBAL:
    case IMM_TABLE:
    case IMM_ELEM:
    case IMM_DATA: rc = rb_u32(r, &in->x); break;
    case IMM_CALL_IND:
    case IMM_TABLE2:
    case IMM_ELEM_TAB:
        if ((rc = rb_u32(r, &in->x)) == KW_OK) rc = rb_u32(r, &in->y);
        break;
    case IMM_BR_TABLE:
        if ((rc = rb_count(r, 1, &in->n)) != KW_OK) break;
        in->vec = (uint32_t)rb_off(r);
        for (uint32_t i = 0; i < in->n && rc == KW_OK; i++) {
            uint32_t l;
            rc = rb_u32(r, &l);
        }
        if (rc == KW_OK) rc = rb_u32(r, &in->x);
        break;
    case IMM_SELECT_T:
        if ((rc = rb_count(r, 1, &in->n)) != KW_OK) break;
        in->vec = (uint32_t)rb_off(r);
        for (uint32_t i = 0; i < in->n && rc == KW_OK; i++) {
            uint8_t t;
            rc = rb_valtype(r, &t);
        }
        break;
    case IMM_MEMARG: {
        uint64_t at = rb_off(r);
        if ((rc = rb_u32(r, &in->x)) != KW_OK) break;
        /* 2^32 or more can never be a natural alignment; the spec's
           decoder already refuses it (align.wast) */
        if (in->x >= 32) {
            r->p = r->base + at;
            rc = rb_fail(r, KW_E_MALFORMED, at, "malformed memop flags (alignment 2^%u)", in->x);
            break;
        }
        rc = rb_u32(r, &in->y);
        break;
    }
    case IMM_I32: {
        int32_t v;
        if ((rc = rb_s32(r, &v)) == KW_OK) in->imm = (uint32_t)v;
        break;
    }
    case IMM_I64: {
        int64_t v;
        if ((rc = rb_s64(r, &v)) == KW_OK) in->imm = (uint64_t)v;
        break;
    }
    case IMM_F32: {
        const uint8_t *b;
        if ((rc = rb_bytes(r, 4, &b)) == KW_OK) in->imm = wu_rd32(b);
        break;
    }
    case IMM_F64: {
        const uint8_t *b;
        if ((rc = rb_bytes(r, 8, &b)) == KW_OK) in->imm = wu_rd64(b);
        break;
    }
    case IMM_MEM0: rc = zero_byte(r); break;
    case IMM_MEM00:
        if ((rc = zero_byte(r)) == KW_OK) rc = zero_byte(r);
        break;
    case IMM_DATA_MEM:
        if ((rc = rb_u32(r, &in->x)) == KW_OK) rc = zero_byte(r);
        break;
    case IMM_REFTYPE: {
        uint8_t t;
        if ((rc = rb_reftype(r, &t)) == KW_OK) in->x = t;
        break;
    }
    }
    return rc;
}

int rb_instr_read(rb_reader *r, rb_instr *in)
{
    const uint8_t *start = r->p;
    rb_instr t;
    memset(&t, 0, sizeof t);
    t.off = (uint32_t)rb_off(r);
    uint8_t b;
    int rc = rb_u8(r, &b);
    if (rc != KW_OK) return rc;
    t.op = b;
    uint32_t sub = 0;
    if (b == OP_PREFIX_FC) {
        if ((rc = rb_u32(r, &sub)) != KW_OK) {
            r->p = start;
            return rc;
        }
        t.op = sub <= 0xff ? 0xfc00u | sub : 0xffffffffu;
    }
    int kind = imm_kind(t.op);
    if (kind < 0) {
        r->p = start;
        if (b == OP_PREFIX_FC)
            return rb_fail(r, KW_E_OPCODE, t.off, "illegal opcode 0xfc %u", sub);
        return rb_fail(r, KW_E_OPCODE, t.off, "illegal opcode 0x%02x", b);
    }
    if ((rc = read_imm(r, &t, kind)) != KW_OK) {
        r->p = start;
        return rc;
    }
    *in = t;
    return KW_OK;
}
