/* wutil.c: the engine's allocation and error helpers (see wutil.h). */
#include "wasm/wutil.h"

#include <stdio.h>
#include <stdlib.h>

void *wu_alloc(size_t n)
{
    return n ? malloc(n) : NULL;
}

void *wu_calloc(size_t n, size_t size)
{
    size_t t;
    if (!wu_mul(n, size, &t) || t == 0) return NULL;
    return calloc(1, t);
}

void *wu_realloc(void *p, size_t n, size_t size)
{
    size_t t;
    if (!wu_mul(n, size, &t) || t == 0) return NULL;
    return realloc(p, t);
}

void wu_free(void *p)
{
    free(p);
}

int wu_verr(kw_error *err, int code, uint64_t offset, const char *fmt, va_list ap)
{
    if (!err) return code;
    err->code = code;
    err->offset = offset;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (!err->msg[0]) snprintf(err->msg, sizeof err->msg, "%s", kw_status_message(code));
    return code;
}

int wu_err(kw_error *err, int code, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wu_verr(err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}
