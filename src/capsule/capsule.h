/*
 * capsule.h: the inside of a kp_capsule, shared by the files of the capsule
 * layer: parse.c (envelope and schema), verify.c (Sig_structure and
 * signature), open.c (decryption), pack.c (building), rules.c (the format's
 * rules, each in one place), id.c (ids and key text). docs/FORMATS.md is the
 * reference for every byte.
 */
#ifndef KP_CAPSULE_CAPSULE_H
#define KP_CAPSULE_CAPSULE_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"
#include "util/buf.h"

#define CAPSULE_VERSION 1
/* CBOR tag of COSE_Sign1 (RFC 9052 §4.2). */
#define CAPSULE_COSE_TAG 18
/* Label of the alg header parameter (RFC 9052 §3.1). */
#define CAPSULE_HDR_ALG 1
#define CAPSULE_SIG_BYTES 64
/* An id in CBOR: head 0x58 0x20, then 32 bytes. parse.c checks every parent
   is exactly that, so parent i lies at a fixed stride from the first. */
#define CAPSULE_ID_ITEM_BYTES (2 + KP_ID_BYTES)

/*
 * The payload's fields, as borrowed pointers: into the capsule's copy of
 * the file after parsing, into the caller's data while packing. The one
 * encoder (capsule_encode_payload) writes exactly these, and parse.c reads
 * exactly these, which is what the fuzz harness checks (parse, encode,
 * compare).
 */
typedef struct capsule_fields {
    const char *type;
    size_t type_len;
    int64_t author_alg; /* COSE number, equal to the protected alg */
    const uint8_t *author;
    size_t author_len;
    /* parent i: parents + i * parent_stride, KP_ID_BYTES each, sorted */
    const uint8_t *parents;
    size_t parent_count, parent_stride;
    const uint8_t *logic; /* NULL: absent */
    const kp_capsule_flag *flags;
    size_t flag_count;
    uint64_t created;
    const uint8_t *body;
    size_t body_len;
    int encrypted; /* "enc": "age" */
    const kp_capsule_cap *caps;
    size_t cap_count;
} capsule_fields;

struct kp_capsule {
    uint8_t *data; /* the file, owned: data_cap bytes allocated */
    size_t len, data_cap;
    /* raw items of the envelope, as offsets into data */
    size_t prot_off, prot_len;       /* protected: the whole bstr item */
    size_t payload_off, payload_len; /* payload: the whole bstr item */
    size_t map_off, map_len;         /* payload: its content, the signed map */
    const uint8_t *sig;              /* CAPSULE_SIG_BYTES, into data */
    int64_t cose_alg;
    kp_key_alg alg;
    char type[KP_CAPSULE_TYPE_MAX + 1];
    capsule_fields f;       /* pointers into data, flags and caps below */
    kp_capsule_flag *flags; /* flag_alloc entries, owned */
    kp_capsule_cap *caps;   /* cap_alloc entries, owned */
    size_t flag_alloc, cap_alloc;
    size_t recipients;      /* age stanzas when encrypted */
    uint8_t id[KP_ID_BYTES];
    int verified;
};

/* ---- rules.c: the format's rules, used by parse and pack alike ---- */

/* The limits to apply: lim's tightenings over the format's ceilings; E_ARG
   if lim loosens one. */
int capsule_limits(const kp_capsule_limits *lim, kp_capsule_limits *out, kp_error *err);
/* 1 when s[0..n) is a type or a cap kind: [a-z][a-z0-9._-]{0,63}. */
int capsule_name_ok(const char *s, size_t n);
/* 1 when s[0..n) is a flag key: [a-z0-9._-]{1,32}. */
int capsule_flag_key_ok(const char *s, size_t n);
/* The order of caps: by module, then kind, then resource (absent first),
   strings shorter first then bytewise (CBOR's order for same-type keys).
   Entries must be strictly increasing, so (module, kind, resource) is
   never repeated. */
int capsule_cap_cmp(const kp_capsule_cap *a, const kp_capsule_cap *b);
/* The COSE alg numbers a capsule may carry: -19, -8, -7, -47. */
int capsule_alg_ok(int64_t cose, kp_key_alg *alg);

/* Fills err with a code, the byte offset and the field (any may be
   empty); returns code. */
int capsule_fail(kp_error *err, int code, int64_t off, const char *field, const char *fmt, ...)
    KP_PRINTF(5, 6);

/* ---- parse.c ---- */

/* kp_capsule_parse of data[0..len), which it takes over (an allocation of
   cap bytes, freed with mem_free on failure too), so that pack hands over
   the file it built without a copy. */
int capsule_parse_take(uint8_t *data, size_t len, size_t cap, const kp_capsule_limits *lim,
                       kp_capsule **out, kp_error *err);

/* ---- id.c ---- */

/* SHA-256("kapsule-capsule-v1" || 0x00 || map). */
void capsule_id(const uint8_t *map, size_t len, uint8_t id[KP_ID_BYTES]);

/* ---- pack.c ---- */

/* Appends the canonical payload map of f to out. */
int capsule_encode_payload(const capsule_fields *f, buf *out, kp_error *err);

/* ---- verify.c ---- */

/* Appends the COSE Sig_structure ["Signature1", protected, h'', payload]
   for the raw protected and payload bstr items to out. */
int capsule_sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                          size_t payload_len, buf *out);

#endif
