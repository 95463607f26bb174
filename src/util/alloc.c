/*
 * alloc.c: the allocation hook. The default is the C library; tests install
 * a hook that fails the N-th allocation to prove every failure path cleans
 * up. The hook is process-wide, like jansson's json_set_alloc_funcs, and is
 * set before any other call.
 */
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "kapsule.h"

static void *default_alloc(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}

static kp_alloc_fn alloc_fn = default_alloc;
static void *alloc_ud;

void kp_set_allocator(kp_alloc_fn fn, void *ud)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_ud = fn ? ud : NULL;
}

void *mem_alloc(size_t n)
{
    if (n == 0) return NULL;
    return alloc_fn(alloc_ud, NULL, 0, n);
}

void *mem_calloc(size_t n, size_t size)
{
    size_t total;
    if (!size_mul(n, size, &total) || total == 0) return NULL;
    void *p = alloc_fn(alloc_ud, NULL, 0, total);
    if (p) memset(p, 0, total);
    return p;
}

void *mem_realloc(void *p, size_t old, size_t n)
{
    if (n == 0) return NULL;
    return alloc_fn(alloc_ud, p, old, n);
}

void mem_free(void *p, size_t n)
{
    if (p) alloc_fn(alloc_ud, p, n, 0);
}

char *mem_strndup(const char *s, size_t n)
{
    size_t total;
    if (!size_add(n, 1, &total)) return NULL;
    char *p = mem_alloc(total);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}
