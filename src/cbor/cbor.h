/*
 * cbor.h: deterministic CBOR (RFC 8949 §4.2.1), the encoding under every
 * signed or hashed object of kapsule. One encoder, one strict decoder; one
 * object has one encoding, so one hash.
 *
 * The profile: integers up to 64 bits, byte and text strings, arrays, maps,
 * tags, false, true, null. Definite lengths only, every head in its shortest
 * form, map keys sorted bytewise by their encoded form and never repeated,
 * text strings valid UTF-8, no floats and no other simple values. Bignums
 * (tags 2 and 3) use preferred serialization: a byte string with no leading
 * zero, too long to fit a 64-bit integer.
 *
 * ENCODING. A cbor_enc appends to a buf the caller owns. Errors are sticky:
 * write everything, then call cbor_enc_finish once. Containers count their
 * own items, and a map sorts its entries when it is closed, so the output is
 * canonical whatever order the entries were written in:
 *
 *     buf b = {0};
 *     cbor_enc e;
 *     cbor_enc_init(&e, &b);
 *     cbor_begin_map(&e);
 *     cbor_put_str(&e, "type");  cbor_put_str(&e, "post");
 *     cbor_put_uint(&e, 1);      cbor_put_bytes(&e, id, 32);
 *     cbor_end(&e);
 *     if (cbor_enc_finish(&e, err)) goto fail;   // b.p[0..b.len) is the item
 *
 * DECODING. cbor_parse checks a whole buffer once, strictly, and gives the
 * root item. Every other item is reached from it (iterators, map lookups),
 * borrows the input bytes and knows its exact encoding (raw, raw_len), which
 * is what signatures are checked over: never re-encode a parsed item to
 * verify it. Decoding never allocates.
 *
 * Errors carry a stable code (kapsule_errors.h, 300..399, and E_TRUNCATED
 * for input that ends early) and the byte offset of the fault; the schema
 * helpers (cbor_want, cbor_field_*, cbor_get_*) also name the field.
 */
#ifndef KP_CBOR_CBOR_H
#define KP_CBOR_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"
#include "util/buf.h"

/* Nesting: the default limit of cbor_parse and the hard limit of both the
 * encoder and cbor_parse_ex. The top item is at depth 1; a container or a
 * tag puts its content one deeper. */
#define CBOR_DEFAULT_DEPTH 16
#define CBOR_MAX_DEPTH 64

typedef enum cbor_type {
    CBOR_UINT,   /* val: the value */
    CBOR_NEGINT, /* val: n, for the value -1 - n */
    CBOR_BYTES,  /* ptr, len: the content */
    CBOR_TEXT,   /* ptr, len: valid UTF-8, not NUL-terminated */
    CBOR_ARRAY,  /* val: number of items */
    CBOR_MAP,    /* val: number of key/value pairs */
    CBOR_TAG,    /* val: the tag number; the tagged item is its one child */
    CBOR_FALSE,
    CBOR_TRUE,
    CBOR_NULL,
    CBOR_ANY /* only as the wanted type of cbor_want and cbor_field_*: any */
} cbor_type;

/*
 * A decoded item: plain data that borrows the input buffer. For strings,
 * ptr/len is the content; for arrays, maps and tags, it is the encoding of
 * their children. raw/raw_len is the item's whole encoding (head, content,
 * children). off is raw's offset from the start of the parsed input (plus
 * the base given to cbor_parse_ex), for error messages.
 */
typedef struct cbor_item {
    cbor_type type;
    uint64_t val;
    const uint8_t *ptr;
    size_t len;
    const uint8_t *raw;
    size_t raw_len;
    size_t off;
} cbor_item;

/* ---- decoding ------------------------------------------------------------ */

/*
 * Checks that p[0..len) is exactly one canonical item, nested at most
 * CBOR_DEFAULT_DEPTH deep, and gives it in *root (root may be NULL). Fails
 * with the offset of the first fault and one of: E_TRUNCATED (input or a
 * declared length runs past the end), E_CBOR_NONCANONICAL,
 * E_CBOR_INDEFINITE, E_CBOR_UNSORTED_KEYS, E_CBOR_DUPLICATE_KEY,
 * E_CBOR_FLOAT, E_CBOR_SIMPLE, E_CBOR_UTF8, E_CBOR_DEPTH, E_CBOR_TRAILING,
 * E_CBOR_MALFORMED (reserved values, break, bad simple encoding) or
 * E_CBOR_TYPE (a bignum tag around something other than a byte string).
 */
KP_NODISCARD int cbor_parse(const uint8_t *p, size_t len, cbor_item *root, kp_error *err);
/*
 * As cbor_parse, nesting at most max_depth (1..CBOR_MAX_DEPTH, else
 * E_ARG) deep, with every offset (in items and errors) counted from base.
 */
KP_NODISCARD int cbor_parse_ex(const uint8_t *p, size_t len, size_t base, int max_depth,
                               cbor_item *root, kp_error *err);
/*
 * Parses the content of a byte string item as CBOR in its own right (a
 * COSE payload or protected header), with offsets that stay counted from
 * the start of the outer input. E_CBOR_TYPE if bstr is not a byte string.
 */
KP_NODISCARD int cbor_parse_bstr(const cbor_item *bstr, cbor_item *root, kp_error *err);
/* cbor_parse without the root: is p[0..len) one canonical item? */
KP_NODISCARD int cbor_check(const uint8_t *p, size_t len, kp_error *err);

/*
 * A cursor over the children of an array (its items), a map (key, value,
 * key, value, ...) or a tag (its one item); empty for anything else.
 */
typedef struct cbor_iter {
    const uint8_t *p, *end;
    uint64_t left;
    size_t off;
} cbor_iter;

void cbor_iter_init(cbor_iter *it, const cbor_item *container);
/* The next child in *out: 1, or 0 when there is none left. */
int cbor_iter_next(cbor_iter *it, cbor_item *out);
/* The next key and value of a map cursor: 1, or 0 when there is none left. */
int cbor_iter_pair(cbor_iter *it, cbor_item *key, cbor_item *val);

/* Map lookup by a text or integer key: 1 and *val if present, else 0 (also
 * when map is not a map). val may be NULL. */
int cbor_map_find_text(const cbor_item *map, const char *key, cbor_item *val);
int cbor_map_find_int(const cbor_item *map, int64_t key, cbor_item *val);

/* 1 if it is a text string equal to s (NUL-terminated), else 0. */
int cbor_text_eq(const cbor_item *it, const char *s);
/* "unsigned integer", "map", ... for messages. */
const char *cbor_type_name(cbor_type t);

/* ---- schema helpers: errors name the field and the item's offset --------- */

/* KP_OK if it has type t (CBOR_ANY: any), else E_CBOR_TYPE. An integer
   wanted as CBOR_UINT or CBOR_NEGINT must be exactly that. */
int cbor_want(const cbor_item *it, cbor_type t, const char *field, kp_error *err);
/*
 * The value under a text key of a map, which must have type t: KP_OK and
 * *val, E_CBOR_MISSING if the key is absent, E_CBOR_TYPE if map is not a
 * map or the value has another type. The field is named key.
 */
int cbor_field_text(const cbor_item *map, const char *key, cbor_type t, cbor_item *val,
                    kp_error *err);
/* As cbor_field_text for an integer key; name is the field's name in
   messages (NULL: the number). */
int cbor_field_int(const cbor_item *map, int64_t key, const char *name, cbor_type t,
                   cbor_item *val, kp_error *err);
/* An unsigned integer; E_CBOR_TYPE if it is anything else. */
int cbor_get_u64(const cbor_item *it, uint64_t *v, const char *field, kp_error *err);
/* Any integer that fits int64_t; E_CBOR_TYPE, or E_CBOR_RANGE when out of
   range. */
int cbor_get_i64(const cbor_item *it, int64_t *v, const char *field, kp_error *err);
/* Room for any CBOR integer as decimal text: -18446744073709551616. */
#define CBOR_INT_TEXT_BYTES 22
/* An integer item (CBOR_UINT or CBOR_NEGINT, any of CBOR's range) as
   decimal text, for messages: the value, not the encoded -1 - n. */
void cbor_int_text(const cbor_item *it, char out[CBOR_INT_TEXT_BYTES]);
/* false or true as 0 or 1; E_CBOR_TYPE if it is anything else. */
int cbor_get_bool(const cbor_item *it, int *v, const char *field, kp_error *err);
/* The content of a tag with number tag: E_CBOR_TYPE if it is not that tag. */
int cbor_untag(const cbor_item *it, uint64_t tag, cbor_item *content, const char *field,
               kp_error *err);

/* ---- encoding ------------------------------------------------------------ */

typedef struct cbor_enc_frame {
    size_t start;   /* offset in the buf where the container's children begin */
    uint64_t count; /* children written so far (keys and values for a map) */
    int is_map;
} cbor_enc_frame;

/* Plain data, on the caller's stack; nothing to free but the buf. */
typedef struct cbor_enc {
    buf *out;
    size_t start;      /* where this item begins in out */
    int status;        /* the first error, sticky */
    const char *why;   /* what went wrong, for cbor_enc_finish's message */
    int depth;         /* open containers */
    int tag_pending;   /* a tag was written and waits for its content */
    uint64_t top;      /* items written at the top level (1 when done) */
    cbor_enc_frame stack[CBOR_MAX_DEPTH];
} cbor_enc;

/* Starts one item at the end of out (which may already hold bytes). */
void cbor_enc_init(cbor_enc *e, buf *out);
void cbor_put_uint(cbor_enc *e, uint64_t v);
void cbor_put_int(cbor_enc *e, int64_t v);
/* The negative integer -1 - n (all of CBOR's range, down to -2^64). */
void cbor_put_neg(cbor_enc *e, uint64_t n);
void cbor_put_bytes(cbor_enc *e, const void *p, size_t n);
/* Text must be valid UTF-8 (else E_CBOR_UTF8); s needs no NUL. */
void cbor_put_text(cbor_enc *e, const char *s, size_t n);
/* A NUL-terminated text string. */
void cbor_put_str(cbor_enc *e, const char *s);
void cbor_put_bool(cbor_enc *e, int v);
void cbor_put_null(cbor_enc *e);
/* A tag; the next item written is its content. For tags 2 and 3 (bignums)
   that must be a byte string longer than 8 bytes with no leading zero, else
   E_CBOR_TYPE or E_CBOR_NONCANONICAL: smaller values are plain integers. */
void cbor_put_tag(cbor_enc *e, uint64_t tag);
/* Copies a decoded item's encoding as it is (it is canonical already). */
void cbor_put_item(cbor_enc *e, const cbor_item *it);
/* Containers: begin, write the children, end. A map takes key, value, key,
   value... in any order; at cbor_end it is sorted, and a repeated key fails
   with E_CBOR_DUPLICATE_KEY. */
void cbor_begin_array(cbor_enc *e);
void cbor_begin_map(cbor_enc *e);
void cbor_end(cbor_enc *e);
/*
 * KP_OK if exactly one complete item was written, else the first error:
 * E_NOMEM or E_LIMIT (the buf's max), E_CBOR_UTF8, E_CBOR_DUPLICATE_KEY,
 * E_CBOR_TYPE or E_CBOR_NONCANONICAL (a bignum tag's content),
 * E_CBOR_DEPTH (past CBOR_MAX_DEPTH), E_ARG for misuse (cbor_end with
 * nothing open, a map with a key and no value, a tag with no content, a
 * second top-level item, an unclosed container). On failure out->len is
 * left where it got to; the caller discards the bytes.
 */
KP_NODISCARD int cbor_enc_finish(cbor_enc *e, kp_error *err);

/* ---- shared by encode.c and decode.c ------------------------------------- */

/* Writes the shortest head for major type m (0..7) and argument v into
   out[0..9); returns its length. */
size_t cbor_head(uint8_t out[9], int m, uint64_t v);
/* The canonical order of map keys (RFC 8949 §4.2.1): bytewise lexicographic
   on the encoded keys; <0, 0 or >0 as memcmp. */
int cbor_key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
/* The end of the item that starts at p, or NULL if it is not one
   well-formed definite-length item within [p, end). It does not check
   canonical form: it walks bytes that cbor_parse or the encoder made. */
const uint8_t *cbor_skip(const uint8_t *p, const uint8_t *end);
/* 1 if s[0..n) is valid UTF-8 (RFC 3629: no overlongs, surrogates or code
   points past U+10FFFF); else 0 and *bad = offset of the first bad byte. */
int cbor_utf8_valid(const uint8_t *s, size_t n, size_t *bad);

#endif
