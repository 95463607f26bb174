/*
 * wasm_build.h: hand-built WebAssembly binaries for the decoder and
 * validator tests. A builder appends sections whose sizes it fills in and
 * returns where each section's contents start, so that tests can name the
 * exact byte offset an error must report.
 *
 *     mb m; mb_init(&m);
 *     SEC(&m, 1, 0x01, 0x60, 0x00, 0x00);      // type section, one [] -> []
 *     size_t at = CODE1(&m, 0x00, 0x0b);       // code section, body at `at`
 *     expect_err(&m, NULL, KW_E_..., at + 1);
 */
#ifndef KP_WASM_BUILD_H
#define KP_WASM_BUILD_H

#include "kapsule_wasm.h"
#include "test.h"

typedef struct mb {
    uint8_t b[1 << 16];
    size_t n;
} mb;

static inline void mb_bytes(mb *m, const uint8_t *p, size_t n)
{
    if (m->n + n > sizeof m->b) abort(); /* a test bug, not a finding */
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static inline void mb_byte(mb *m, uint8_t v)
{
    mb_bytes(m, &v, 1);
}

static inline void mb_leb(mb *m, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        mb_byte(m, (uint8_t)(b | (v ? 0x80 : 0)));
    } while (v);
}

/* The magic number and version only. */
static inline void mb_init(mb *m)
{
    static const uint8_t h[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    m->n = 0;
    mb_bytes(m, h, 8);
}

/* Appends section id with contents p; returns the contents' offset. */
static inline size_t mb_sec(mb *m, uint8_t id, const uint8_t *p, size_t n)
{
    mb_byte(m, id);
    mb_leb(m, n);
    size_t at = m->n;
    mb_bytes(m, p, n);
    return at;
}

#define SEC(m, id, ...)                                   \
    __extension__({                                       \
        static const uint8_t s_[] = {__VA_ARGS__};        \
        mb_sec((m), (id), s_, sizeof s_);                 \
    })

/* A code section holding one body (bytes after the size field); returns the
   offset of the body's first byte (its local declaration count). */
static inline size_t mb_code1(mb *m, const uint8_t *body, size_t n)
{
    static mb c; /* static: 64 KiB is a lot of stack */
    c.n = 0;
    mb_byte(&c, 1);
    mb_leb(&c, n);
    size_t k = c.n;
    mb_bytes(&c, body, n);
    return mb_sec(m, 10, c.b, c.n) + k;
}

#define CODE1(m, ...)                                     \
    __extension__({                                       \
        static const uint8_t c_[] = {__VA_ARGS__};        \
        mb_code1((m), c_, sizeof c_);                     \
    })

/* Decodes (validates, compiles) m and expects code at offset off. */
#define EXPECT_ERR(m, cfg, wc, off)                                                  \
    do {                                                                               \
        kw_error e_;                                                                   \
        memset(&e_, 0, sizeof e_);                                                     \
        kw_module *km_ = NULL;                                                         \
        int rc_ = kw_module_new((cfg), (m)->b, (m)->n, &km_, &e_);                     \
        if (rc_ == KW_OK) kw_module_free(km_);                                         \
        CHECK_MSG(rc_ == (int)(wc), "expected %s, got %s: %s", kw_status_name(wc),     \
                  kw_status_name(rc_), e_.msg);                                        \
        CHECK_MSG(e_.code == rc_ && e_.msg[0], "error not filled");                    \
        CHECK_MSG(e_.offset == (uint64_t)(off), "offset %llu, expected %llu (%s)",     \
                  (unsigned long long)e_.offset, (unsigned long long)(off), e_.msg);   \
        CHECK(rc_ == KW_OK || km_ == NULL);                                            \
    } while (0)

/* Expects code without looking at the offset. */
#define EXPECT_CODE(m, cfg, wc)                                                      \
    do {                                                                               \
        kw_error e_;                                                                   \
        memset(&e_, 0, sizeof e_);                                                     \
        kw_module *km_ = NULL;                                                         \
        int rc_ = kw_module_new((cfg), (m)->b, (m)->n, &km_, &e_);                     \
        if (rc_ == KW_OK) kw_module_free(km_);                                         \
        CHECK_MSG(rc_ == (int)(wc), "expected %s, got %s: %s", kw_status_name(wc),     \
                  kw_status_name(rc_), e_.msg);                                        \
    } while (0)

#define EXPECT_OK(m, cfg)                                                              \
    do {                                                                               \
        kw_error e_;                                                                   \
        memset(&e_, 0, sizeof e_);                                                     \
        kw_module *km_ = NULL;                                                         \
        int rc_ = kw_module_new((cfg), (m)->b, (m)->n, &km_, &e_);                     \
        CHECK_MSG(rc_ == KW_OK, "rejected: %s at %llu: %s", kw_status_name(rc_),       \
                  (unsigned long long)e_.offset, e_.msg);                              \
        kw_module_free(km_);                                                           \
    } while (0)

#endif
