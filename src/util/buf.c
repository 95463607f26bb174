/* buf.c: growable byte buffer (see buf.h). */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kapsule.h"
#include "util/alloc.h"

int buf_reserve(buf *b, size_t extra)
{
    size_t need;
    if (!size_add(b->len, extra, &need)) return KP_E_LIMIT;
    if (b->max && need > b->max) return KP_E_LIMIT;
    if (need <= b->cap) return KP_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    if (b->max && cap > b->max) cap = b->max;
    uint8_t *p = mem_realloc(b->p, b->cap, cap);
    if (!p) return KP_E_NOMEM;
    b->p = p;
    b->cap = cap;
    return KP_OK;
}

int buf_append(buf *b, const void *data, size_t n)
{
    if (n == 0) return KP_OK;
    int rc = buf_reserve(b, n);
    if (rc) return rc;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return KP_OK;
}

int buf_putc(buf *b, uint8_t c)
{
    return buf_append(b, &c, 1);
}

int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return KP_E_INTERNAL;
    int rc = buf_reserve(b, (size_t)n + 1);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return KP_OK;
}

void buf_free(buf *b)
{
    mem_free(b->p, b->cap);
    b->p = NULL;
    b->len = b->cap = 0;
}

uint8_t *buf_detach(buf *b, size_t *len, size_t *cap)
{
    uint8_t *p = b->p;
    if (len) *len = b->len;
    if (cap) *cap = b->cap;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}
