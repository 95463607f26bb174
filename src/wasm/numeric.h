/*
 * numeric.h: WebAssembly's numeric semantics where C's differ or leave
 * room: float min/max/nearest on bit patterns, NaN results canonicalized,
 * float-to-int range checks, shifts and rotates by counts modulo the width,
 * division corner cases.
 *
 * Determinism rule (DESIGN.md): every NaN that ARITHMETIC produces (add,
 * sub, mul, div, sqrt, min, max, ceil, floor, trunc, nearest, promote,
 * demote, conversions) is the canonical quiet NaN with sign 0, so results
 * do not depend on the host CPU. Bit-level operations (abs, neg, copysign,
 * reinterpret, loads, stores, select, constants) never touch NaN bits.
 */
#ifndef KW_NUMERIC_H
#define KW_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define F32_CANON_NAN 0x7fc00000u
#define F64_CANON_NAN 0x7ff8000000000000ull

static inline uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float f32_from(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static inline double f64_from(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* The bits of an arithmetic result, NaNs canonicalized. */
static inline uint32_t f32_arith(float r)
{
    return r != r ? F32_CANON_NAN : f32_bits(r);
}
static inline uint64_t f64_arith(double r)
{
    return r != r ? F64_CANON_NAN : f64_bits(r);
}

/* min/max: a NaN operand gives NaN; -0 is less than +0. */
static inline uint32_t f32_min(float a, float b)
{
    if (a != a || b != b) return F32_CANON_NAN;
    if (a == b) return f32_bits(a) | f32_bits(b); /* -0 wins for min */
    return f32_bits(a < b ? a : b);
}
static inline uint32_t f32_max(float a, float b)
{
    if (a != a || b != b) return F32_CANON_NAN;
    if (a == b) return f32_bits(a) & f32_bits(b); /* +0 wins for max */
    return f32_bits(a > b ? a : b);
}
static inline uint64_t f64_min(double a, double b)
{
    if (a != a || b != b) return F64_CANON_NAN;
    if (a == b) return f64_bits(a) | f64_bits(b);
    return f64_bits(a < b ? a : b);
}
static inline uint64_t f64_max(double a, double b)
{
    if (a != a || b != b) return F64_CANON_NAN;
    if (a == b) return f64_bits(a) & f64_bits(b);
    return f64_bits(a > b ? a : b);
}

/* nearest: round half to even, which rint does in the default rounding
   mode (the engine never changes it). */
static inline uint32_t f32_nearest(float a)
{
    return f32_arith(rintf(a));
}
static inline uint64_t f64_nearest(double a)
{
    return f64_arith(rint(a));
}

static inline uint32_t rotl32(uint32_t x, uint32_t n)
{
    n &= 31;
    return n ? (x << n) | (x >> (32 - n)) : x;
}
static inline uint32_t rotr32(uint32_t x, uint32_t n)
{
    n &= 31;
    return n ? (x >> n) | (x << (32 - n)) : x;
}
static inline uint64_t rotl64(uint64_t x, uint64_t n)
{
    n &= 63;
    return n ? (x << n) | (x >> (64 - n)) : x;
}
static inline uint64_t rotr64(uint64_t x, uint64_t n)
{
    n &= 63;
    return n ? (x >> n) | (x << (64 - n)) : x;
}
static inline uint32_t clz32(uint32_t x)
{
    return x ? (uint32_t)__builtin_clz(x) : 32;
}
static inline uint32_t ctz32(uint32_t x)
{
    return x ? (uint32_t)__builtin_ctz(x) : 32;
}
static inline uint64_t clz64(uint64_t x)
{
    return x ? (uint64_t)__builtin_clzll(x) : 64;
}
static inline uint64_t ctz64(uint64_t x)
{
    return x ? (uint64_t)__builtin_ctzll(x) : 64;
}
/* Arithmetic shift right without relying on implementation-defined
   behaviour of >> on negative values. */
static inline uint32_t sar32(uint32_t x, uint32_t n)
{
    n &= 31;
    return (x >> n) | ((x & 0x80000000u) && n ? ~(0xffffffffu >> n) : 0);
}
static inline uint64_t sar64(uint64_t x, uint64_t n)
{
    n &= 63;
    return (x >> n) | ((x & 0x8000000000000000ull) && n ? ~(~0ull >> n) : 0);
}

/*
 * Float to int range checks: 1 when trunc(x) fits the target. NaN is
 * reported separately by the callers (it is a different trap).
 */
static inline int f32_fits_i32(float x)
{
    return x >= -2147483648.0f && x < 2147483648.0f;
}
static inline int f32_fits_u32(float x)
{
    return x > -1.0f && x < 4294967296.0f;
}
static inline int f64_fits_i32(double x)
{
    return x > -2147483649.0 && x < 2147483648.0;
}
static inline int f64_fits_u32(double x)
{
    return x > -1.0 && x < 4294967296.0;
}
static inline int f32_fits_i64(float x)
{
    return x >= -9223372036854775808.0f && x < 9223372036854775808.0f;
}
static inline int f32_fits_u64(float x)
{
    return x > -1.0f && x < 18446744073709551616.0f;
}
static inline int f64_fits_i64(double x)
{
    return x >= -9223372036854775808.0 && x < 9223372036854775808.0;
}
static inline int f64_fits_u64(double x)
{
    return x > -1.0 && x < 18446744073709551616.0;
}

/* Saturating conversions: NaN gives 0, out of range the nearest bound. */
static inline uint32_t sat_f32_i32(float x)
{
    if (x != x) return 0;
    if (x < -2147483648.0f) return 0x80000000u;
    if (x >= 2147483648.0f) return 0x7fffffffu;
    return (uint32_t)(int32_t)x;
}
static inline uint32_t sat_f32_u32(float x)
{
    if (x != x || x <= -1.0f) return 0;
    if (x >= 4294967296.0f) return 0xffffffffu;
    return (uint32_t)x;
}
static inline uint32_t sat_f64_i32(double x)
{
    if (x != x) return 0;
    if (x <= -2147483649.0) return 0x80000000u;
    if (x >= 2147483648.0) return 0x7fffffffu;
    return (uint32_t)(int32_t)x;
}
static inline uint32_t sat_f64_u32(double x)
{
    if (x != x || x <= -1.0) return 0;
    if (x >= 4294967296.0) return 0xffffffffu;
    return (uint32_t)x;
}
static inline uint64_t sat_f32_i64(float x)
{
    if (x != x) return 0;
    if (x < -9223372036854775808.0f) return 0x8000000000000000ull;
    if (x >= 9223372036854775808.0f) return 0x7fffffffffffffffull;
    return (uint64_t)(int64_t)x;
}
static inline uint64_t sat_f32_u64(float x)
{
    if (x != x || x <= -1.0f) return 0;
    if (x >= 18446744073709551616.0f) return ~0ull;
    return (uint64_t)x;
}
static inline uint64_t sat_f64_i64(double x)
{
    if (x != x) return 0;
    if (x < -9223372036854775808.0) return 0x8000000000000000ull;
    if (x >= 9223372036854775808.0) return 0x7fffffffffffffffull;
    return (uint64_t)(int64_t)x;
}
static inline uint64_t sat_f64_u64(double x)
{
    if (x != x || x <= -1.0) return 0;
    if (x >= 18446744073709551616.0) return ~0ull;
    return (uint64_t)x;
}

#endif
