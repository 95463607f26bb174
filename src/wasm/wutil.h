/*
 * wutil.h: what every file of the engine shares: allocation (one place, so
 * that a hook or accounting can be added without touching callers),
 * overflow-checked sizes, error filling and little-endian access. The
 * engine depends on libc alone, so it does not use src/util.
 */
#ifndef KW_WUTIL_H
#define KW_WUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kapsule_wasm.h"

void *wu_alloc(size_t n);
/* Zeroed n * size bytes; NULL on overflow, zero size or out of memory. */
void *wu_calloc(size_t n, size_t size);
/* Resizes to n * size bytes (overflow-checked); p untouched on failure. */
void *wu_realloc(void *p, size_t n, size_t size);
void wu_free(void *p);

/* Fills err (may be NULL) and returns code. offset: KW_NO_OFFSET if none. */
int wu_err(kw_error *err, int code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int wu_verr(kw_error *err, int code, uint64_t offset, const char *fmt, va_list ap);

static inline int wu_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline int wu_add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

static inline uint32_t wu_rd32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t wu_rd64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

#endif
