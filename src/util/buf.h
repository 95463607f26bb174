/*
 * buf.h: a growable byte buffer, the one way libkapsule builds output of
 * unknown length (encoders, file contents, messages). Zero-initialise to
 * get an empty buffer; buf_free releases it. A failed append leaves the
 * contents as they were and returns KP_E_NOMEM (or KP_E_LIMIT past max).
 */
#ifndef KP_UTIL_BUF_H
#define KP_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *p;
    size_t len;
    size_t cap;
    size_t max; /* 0: no limit other than memory */
} buf;

int buf_reserve(buf *b, size_t extra);
int buf_append(buf *b, const void *data, size_t n);
int buf_putc(buf *b, uint8_t c);
/* Appends a formatted string (without its NUL). */
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Releases the bytes and empties the buffer. */
void buf_free(buf *b);
/*
 * Hands the bytes to the caller, who frees them with mem_free(p, *cap)
 * (or buf_free on a buffer rebuilt around them). The buffer is emptied.
 */
uint8_t *buf_detach(buf *b, size_t *len, size_t *cap);

#endif
