/*
 * alloc.h: every allocation of libkapsule (outside the engine, which has its
 * own hook) goes through one function, told the old size as Lua's lua_Alloc
 * is, so that limits, accounting and fault injection need no other change.
 * Sizes that come from input are computed with size_mul/size_add first.
 */
#ifndef KP_UTIL_ALLOC_H
#define KP_UTIL_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* NULL when out of memory or n == 0 (mem_alloc(0) is never needed). */
void *mem_alloc(size_t n);
/* Zeroed n * size bytes; NULL on overflow or when out of memory. */
void *mem_calloc(size_t n, size_t size);
/* Resizes p (old bytes) to n bytes; on failure p is untouched, NULL returned. */
void *mem_realloc(void *p, size_t old, size_t n);
/* Frees p of n bytes. NULL does nothing. */
void mem_free(void *p, size_t n);
/* A NUL-terminated copy of s[0..n); NULL when out of memory. Free with
   mem_free(p, n + 1). */
char *mem_strndup(const char *s, size_t n);

/* 1 and *out = a * b (a + b) when it fits in size_t, else 0. */
static inline int size_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline int size_add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

#endif
