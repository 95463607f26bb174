/*
 * kapsule.h: the public API of libkapsule (kp_*).
 *
 * kapsule receives capsules (signed, optionally encrypted, content-addressed
 * records that name a WebAssembly logic module by hash), verifies and
 * decrypts them, runs their logic in a capability-gated sandbox, stores the
 * capsule DAG in SQLite and appends every decision to a Merkle audit log.
 *
 * Conventions, everywhere in this header:
 *   - Functions that can fail return a status: KP_OK (0) or a code from
 *     kapsule_errors.h. Details go into a kp_error the caller owns.
 *   - Objects are opaque, made by kp_<noun>_new/open/parse and released by
 *     kp_<noun>_free; kp_<noun>_free(NULL) does nothing.
 *   - Inputs are borrowed for the duration of the call; what is kept is
 *     copied. Out-pointers are written only on success.
 *   - Each allocating function says who frees what it returns.
 *   - Verify functions must have their result checked.
 */
#ifndef KAPSULE_H
#define KAPSULE_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KP_API __attribute__((visibility("default")))
#define KP_NODISCARD __attribute__((warn_unused_result))
#define KP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KP_API
#define KP_NODISCARD
#define KP_PRINTF(f, a)
#endif

/* ---- status codes and errors -------------------------------------------- */

typedef enum kp_status {
#define KP_ENUM_(name, num, str, exitc, msg) name = num,
    KP_STATUS_LIST(KP_ENUM_)
#undef KP_ENUM_
    KP_STATUS_END_
} kp_status;

#define KP_ERROR_MSG_BYTES 320
#define KP_NO_OFFSET (-1)

/*
 * Filled by every fallible call. Plain data owned by the caller (usually on
 * its stack). offset is a byte offset in the input being parsed, or
 * KP_NO_OFFSET; field names the field at fault, or is empty.
 */
typedef struct kp_error {
    int code;
    int64_t offset;
    char field[64];
    char msg[KP_ERROR_MSG_BYTES];
} kp_error;

/* "E_TRUNCATED" for KP_E_TRUNCATED; engine codes included; NULL if unknown. */
KP_API const char *kp_status_name(int code);
/* What the code means in a few words; "unknown status" if unknown. */
KP_API const char *kp_status_message(int code);
/* The process exit status for a code: 0, 1, 2 or 3 (3 for unknown codes). */
KP_API int kp_status_exit(int code);
/*
 * Iterates over the whole table, engine codes included, in number order:
 * returns the i-th code in *code, or 0 past the end.
 */
KP_API int kp_status_at(size_t i, int *code);
/* Clears an error to KP_OK. */
KP_API void kp_error_clear(kp_error *err);

/*
 * The allocation hook (Lua's lua_Alloc): realloc-like, told the old size;
 * n == 0 frees. Every allocation libkapsule makes outside the engine goes
 * through it (the engine has kw_config). Set it before any other call;
 * NULL restores the C library's allocator.
 */
typedef void *(*kp_alloc_fn)(void *ud, void *p, size_t old_size, size_t n);
KP_API void kp_set_allocator(kp_alloc_fn fn, void *ud);

/* The version this header belongs to; the shared library's SONAME is
   libkapsule.so.KP_VERSION_MAJOR. The Makefile reads KP_VERSION here. */
#define KP_VERSION "0.1.0"
#define KP_VERSION_MAJOR 0
/* The library's version (KP_VERSION of the header it was built with). */
KP_API const char *kp_version(void);

/* ---- cbor ---------------------------------------------------------------- */

/*
 * A deterministic CBOR item (p, borrowed) as JSON text for people and
 * tools (log entries, results): parsed strictly first (the CBOR codes
 * with the offset otherwise); maps with text keys become objects, byte
 * strings lowercase hex, integers numbers (strings beyond +-2^53), a tag
 * {"tag": n, "value": item}. pretty: indented, else one line. Keys are
 * sorted. *json is freed with kp_text_free.
 */
KP_API int kp_cbor_to_json(const uint8_t *p, size_t len, int pretty, char **json, kp_error *err);
/* The length of the complete CBOR item that p[0..len) starts with, or 0
   when it holds none (too short, or malformed): how a stream of capsule
   files written one after the other is split, with no other framing. */
KP_API size_t kp_cbor_item_len(const uint8_t *p, size_t len);

/* ---- crypto and keys ------------------------------------------------------ */

/*
 * Signature algorithms of kapsule identities. An identity is a signing key
 * (one of these) plus an X25519 key for receiving age-encrypted bodies;
 * KP_ALG_NONE marks a receive-only identity (imported from an age
 * AGE-SECRET-KEY-1 string), which can decrypt but not sign.
 *
 * Public keys travel in one canonical form: Ed25519 as its 32 bytes (RFC
 * 8032), P-256 and secp256k1 as SEC1 *compressed* points (33 bytes,
 * 02/03 || x). Verification also accepts uncompressed ECDSA points (65
 * bytes, 04 || x || y). Signatures are 64 bytes: Ed25519's R || S, and
 * ECDSA's raw r || s over SHA-256 (as COSE ES256/ES256K use), always low-S.
 */
typedef enum kp_key_alg {
    KP_ALG_NONE = 0,      /* receive-only */
    KP_ALG_ED25519 = 1,   /* COSE -19 (-8, "EdDSA", accepted on input) */
    KP_ALG_P256 = 2,      /* ECDSA P-256 with SHA-256, COSE ES256 (-7) */
    KP_ALG_SECP256K1 = 3, /* ECDSA secp256k1 with SHA-256, COSE ES256K (-47) */
} kp_key_alg;

#define KP_SIG_BYTES 64
#define KP_PK_MAX_BYTES 65
#define KP_X25519_BYTES 32
/* "age1" + 58 characters, and its NUL. */
#define KP_AGE_RECIPIENT_BYTES 63
/* "AGE-SECRET-KEY-1" + 58 characters, and its NUL. */
#define KP_AGE_SECRET_BYTES 75
/* Key names: 1..64 of [A-Za-z0-9._-], starting with a letter or digit. */
#define KP_KEY_NAME_MAX 64

/* "ed25519", "p256", "secp256k1", or "none". */
KP_API const char *kp_key_alg_name(kp_key_alg alg);
/* The algorithm of a name above ("none" excluded); KP_E_SIG_ALG if unknown. */
KP_API int kp_key_alg_parse(const char *name, kp_key_alg *alg, kp_error *err);
/* The COSE algorithm number kapsule writes for alg: -19, -7, -47; 0 for none. */
KP_API int kp_key_alg_cose(kp_key_alg alg);

/*
 * Verifies a signature over msg with a public key of alg. Strict: Ed25519
 * refuses S >= L (E_SIG_NONCANONICAL) and small-order or non-canonical keys
 * and R points; ECDSA refuses high S (E_SIG_HIGH_S), r or s out of range and
 * any length but 64 (E_SIG_MALFORMED), and keys off the curve
 * (E_KEY_INVALID). Returns KP_OK only for a valid signature.
 */
KP_API KP_NODISCARD int kp_sig_verify(kp_key_alg alg, const uint8_t *pk, size_t pklen,
                                      const uint8_t *msg, size_t len, const uint8_t *sig,
                                      size_t siglen, kp_error *err);

/*
 * An identity, in memory. Made by kp_key_generate, kp_key_parse_secret,
 * kp_key_new, kp_key_load or kp_key_import; freed (secrets wiped) by
 * kp_key_free.
 *
 * The key store is the folder <store>/keys (mode 0700) with, per identity,
 * NAME.key (the secret, mode 0600) and NAME.pub (the public half), both
 * JSON documents:
 *   NAME.key  {"kapsule_key": 1, "alg": "ed25519", "sign_secret": HEX,
 *              "sign_public": HEX, "x25519_secret": HEX,
 *              "age_recipient": "age1..."}
 *   NAME.pub  {"kapsule_pub": 1, "alg": ..., "sign_public": HEX,
 *              "age_recipient": "age1..."}
 * sign_secret is the Ed25519 seed or the ECDSA scalar (32 bytes each);
 * receive-only identities have alg "none" and no sign_* members.
 */
typedef struct kp_key kp_key;

/* A fresh identity with alg's signing key and an X25519 key, not stored.
   alg may not be KP_ALG_NONE (E_SIG_ALG). */
KP_API int kp_key_generate(kp_key_alg alg, kp_key **out, kp_error *err);
/*
 * Parses an exported secret: either kapsule's JSON (a NAME.key file, as
 * `kapsule key export --secret` writes it; every public member must match
 * the secrets: E_KEY_FILE otherwise), or age's identity format (an
 * AGE-SECRET-KEY-1... line, with '#' comment and blank lines allowed, as
 * age-keygen writes it), which gives a receive-only identity. Text whose
 * first non-blank character is '{' or '[' is taken as JSON. E_KEY_FILE or
 * E_AGE_KEY on anything else; E_LIMIT over 64 KiB.
 */
KP_API int kp_key_parse_secret(const uint8_t *data, size_t len, kp_key **out, kp_error *err);
/* 1 when name is a valid key name (see KP_KEY_NAME_MAX). */
KP_API int kp_key_name_valid(const char *name);
/*
 * Writes key into the store as name (creating the store folder, whose
 * parent must exist (E_NO_FILE otherwise), and <store>/keys, 0700, as needed).
 * The secret file is written to a temporary file and linked into place, so
 * it appears whole or not at all; E_EXISTS if name is taken, E_KEY_NAME for
 * a bad name. The key takes that name.
 */
KP_API int kp_key_save(const char *store, const char *name, kp_key *key, kp_error *err);
/* kp_key_generate then kp_key_save. *out is the new key (caller frees). */
KP_API int kp_key_new(const char *store, const char *name, kp_key_alg alg, kp_key **out,
                      kp_error *err);
/* kp_key_parse_secret then kp_key_save. *out is the key (caller frees). */
KP_API int kp_key_import(const char *store, const char *name, const uint8_t *data, size_t len,
                         kp_key **out, kp_error *err);
/*
 * Loads name from the store: E_NOT_FOUND if absent, E_KEY_PERMISSIONS when
 * the secret file is readable or writable by group or others (fix: chmod
 * 600), E_KEY_FILE when it is malformed or inconsistent.
 */
KP_API int kp_key_load(const char *store, const char *name, kp_key **out, kp_error *err);
/*
 * The names in the store, sorted: *names is an array of *count strings,
 * freed with kp_key_list_free. An absent store is an empty list. Files that
 * are not NAME.key with a valid name are ignored.
 */
KP_API int kp_key_list(const char *store, char ***names, size_t *count, kp_error *err);
KP_API void kp_key_list_free(char **names, size_t count);
/* Wipes and frees. NULL does nothing. */
KP_API void kp_key_free(kp_key *key);

/* The name the key was loaded or saved under; "" for an unsaved key. */
KP_API const char *kp_key_name(const kp_key *key);
KP_API kp_key_alg kp_key_get_alg(const kp_key *key);
/* The signing public key in canonical form, *len bytes (32 or 33), owned by
   the key; NULL and *len = 0 for a receive-only key. */
KP_API const uint8_t *kp_key_public(const kp_key *key, size_t *len);
/* The X25519 public key (the age recipient's bytes), owned by the key. */
KP_API const uint8_t *kp_key_x25519_public(const kp_key *key);
/* Signs msg (see kp_key_alg for the form). E_KEY_NO_SIGN for receive-only. */
KP_API int kp_key_sign(const kp_key *key, const uint8_t *msg, size_t len,
                       uint8_t sig[KP_SIG_BYTES], kp_error *err);
/* The age recipient string "age1..." of the key. */
KP_API void kp_key_age_recipient(const kp_key *key, char out[KP_AGE_RECIPIENT_BYTES]);
/* The age identity string "AGE-SECRET-KEY-1..." (a secret: wipe out after). */
KP_API void kp_key_age_secret(const kp_key *key, char out[KP_AGE_SECRET_BYTES]);
/*
 * The key as a JSON document: the secret form (NAME.key) when secret is 1,
 * else the public form (NAME.pub); *out is NUL-terminated, *len bytes
 * without the NUL, freed with kp_key_text_free (which wipes it).
 */
KP_API int kp_key_export(const kp_key *key, int secret, char **out, size_t *len,
                         kp_error *err);
KP_API void kp_key_text_free(char *text, size_t len);

/* ---- capsules ---------------------------------------------------------------- */

/*
 * A capsule is one COSE_Sign1 (RFC 9052, tag 18) whose payload is a
 * deterministic CBOR map: format version, type, author key, parent capsule
 * ids (the DAG), optional logic module id, relay-visible flags, created
 * time, body (plaintext, or an age v1 file), optional capability requests.
 * docs/FORMATS.md is the byte-level reference.
 *
 * Ids are SHA-256 with a domain prefix, 32 bytes, shown as 64 lowercase hex:
 *   capsule id = SHA-256("kapsule-capsule-v1" || 0x00 || payload)
 *   module id  = SHA-256("kapsule-module-v1" || 0x00 || wasm bytes)
 * where payload is the signed CBOR map (the content of the COSE payload
 * byte string). The id depends on nothing outside the signed bytes, so a
 * relay or a store names, links and checks a capsule without its key.
 *
 * Life of a capsule: kp_capsule_parse (structure and schema, no crypto) ->
 * kp_capsule_verify (signature) -> accessors / kp_capsule_open (decrypt) ->
 * kp_capsule_free. A kp_capsule is not safe to use from two threads at
 * once (kp_capsule_verify records its result in it).
 */
#define KP_ID_BYTES 32
/* 64 hex digits and a NUL. */
#define KP_ID_HEX_BYTES 65
/* The text form of an author key, "secp256k1:" + 66 hex digits, and a NUL. */
#define KP_KEY_ID_MAX 77

/* The format's ceilings, and the defaults of kp_capsule_limits. */
#define KP_CAPSULE_MAX_BYTES (16u * 1024 * 1024)
#define KP_CAPSULE_MAX_PARENTS 64
#define KP_CAPSULE_MAX_FLAGS 32
#define KP_CAPSULE_MAX_CAPS 16
#define KP_CAPSULE_MAX_DEPTH 8
/* Per-field sizes fixed by the format. */
#define KP_CAPSULE_TYPE_MAX 64     /* [a-z][a-z0-9._-]{0,63} */
#define KP_CAPSULE_FLAG_KEY_MAX 32 /* [a-z0-9._-]{1,32} */
#define KP_CAPSULE_FLAG_VALUE_MAX 256
#define KP_CAPSULE_CAP_KIND_MAX 64 /* as a type */
#define KP_CAPSULE_CAP_RESOURCE_MAX 256
/* 1 when the len bytes at type are a capsule type the format allows
   ([a-z][a-z0-9._-]{0,63}): what a capsule can carry, and so what a policy
   grant may name. */
KP_API int kp_capsule_type_valid(const char *type, size_t len);

/*
 * Limits applied by kp_capsule_parse and kp_capsule_pack. A zero member
 * means the default, which is also the format's ceiling: a caller may
 * tighten a limit, never loosen it (E_ARG above the ceiling), so that what
 * one kapsule accepts every other accepts too.
 */
typedef struct kp_capsule_limits {
    size_t max_bytes;   /* the whole file: KP_CAPSULE_MAX_BYTES */
    size_t max_body;    /* the body as stored (ciphertext when encrypted) */
    size_t max_parents; /* KP_CAPSULE_MAX_PARENTS */
    size_t max_flags;   /* KP_CAPSULE_MAX_FLAGS */
    size_t max_caps;    /* KP_CAPSULE_MAX_CAPS */
    int max_depth;      /* CBOR nesting, envelope and payload: KP_CAPSULE_MAX_DEPTH */
} kp_capsule_limits;

/* A relay-visible flag: key ([a-z0-9._-]{1,32}) and value (UTF-8, at most
   256 bytes). Neither is NUL-terminated in a parsed capsule. */
typedef struct kp_capsule_flag {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} kp_capsule_flag;

/*
 * A capability request signed by the author: module `module` may use
 * `kind` (e.g. "ledger.spend") up to `amount` of the author's resource,
 * optionally narrowed to `resource` (NULL and 0 when absent; never empty
 * when present).
 */
typedef struct kp_capsule_cap {
    const uint8_t *module; /* KP_ID_BYTES */
    const char *kind;      /* [a-z][a-z0-9._-]{0,63}, not NUL-terminated */
    size_t kind_len;
    uint64_t amount;
    const uint8_t *resource;
    size_t resource_len;
} kp_capsule_cap;

typedef struct kp_capsule kp_capsule;

/*
 * Parses a capsule file: the COSE_Sign1 envelope and the payload schema,
 * strictly (canonical CBOR only, every rule of docs/FORMATS.md), with lim
 * (NULL: defaults). No signature is checked: see kp_capsule_verify. The
 * bytes are copied; *out is freed with kp_capsule_free.
 *
 * Fails with: the CBOR codes (E_CBOR_*, E_TRUNCATED) and the offset;
 * E_CAPSULE_FORMAT (not tag 18, not [protected, {}, payload, signature],
 * a protected header other than {1: alg}); E_CAPSULE_ALG (an unsupported
 * COSE alg, or an author key of another alg); E_SIG_MALFORMED (signature
 * not 64 bytes); E_CAPSULE_VERSION ("v" not 1); E_CAPSULE_FIELD (a missing,
 * unknown, mistyped or invalid payload field: err->field names it, e.g.
 * "parents[3]" or "caps[0].kind"); E_CAPSULE_LIMIT (size or a count over
 * lim); E_CBOR_DEPTH; the age header codes (E_AGE_*) for an "enc": "age"
 * body that is not a binary age v1 file, with field "body". Every error
 * carries the byte offset in the file.
 */
KP_API int kp_capsule_parse(const uint8_t *data, size_t len, const kp_capsule_limits *lim,
                            kp_capsule **out, kp_error *err);
/*
 * Verifies the signature over the COSE Sig_structure ["Signature1",
 * protected, h'', payload], built from the bytes that were signed (never
 * re-encoded), with the author key of the payload. Strict: Ed25519 refuses
 * non-canonical S (E_SIG_NONCANONICAL), small-order or non-canonical keys
 * and R; ECDSA refuses high S (E_SIG_HIGH_S) and keys off the curve
 * (E_KEY_INVALID). E_SIG_INVALID for a signature that does not verify.
 * The result is remembered (kp_capsule_verified), and a second call
 * returns it without new work. No separate full check of the author key is
 * made (it would cost about one more verification): the checks above are
 * the ones that keep anyone but the key's owner from signing; an Ed25519
 * key with a torsion component passes when its owner's signature verifies.
 * kp_key_id_parse makes the full check where keys enter as text.
 */
KP_API KP_NODISCARD int kp_capsule_verify(kp_capsule *c, kp_error *err);
/* 1 after a kp_capsule_verify that succeeded, else 0. */
KP_API int kp_capsule_verified(const kp_capsule *c);
/*
 * The body's plaintext for key: a copy of the body when it is not
 * encrypted, else the age file decrypted with key's X25519 identity
 * (E_NOT_RECIPIENT if it was not encrypted to key, E_AGE_* and E_DECRYPT
 * when damaged). Verifies the capsule first if that has not been done
 * (and fails as kp_capsule_verify does): no plaintext leaves an unverified
 * capsule. *body (may be NULL when *len is 0) is freed with
 * kp_capsule_body_free, which wipes it.
 */
KP_API int kp_capsule_open(kp_capsule *c, const kp_key *key, uint8_t **body, size_t *len,
                           kp_error *err);
KP_API void kp_capsule_body_free(uint8_t *body, size_t len);
/* Frees the capsule and everything its accessors returned. NULL does nothing. */
KP_API void kp_capsule_free(kp_capsule *c);

/* Accessors. Returned pointers are owned by the capsule and live until
   kp_capsule_free. None fails on a parsed capsule. */

/* The capsule id (KP_ID_BYTES). */
KP_API const uint8_t *kp_capsule_id(const kp_capsule *c);
/* The whole file, *len bytes. */
KP_API const uint8_t *kp_capsule_bytes(const kp_capsule *c, size_t *len);
/* The signed payload (the CBOR map the id is computed over), *len bytes. */
KP_API const uint8_t *kp_capsule_payload(const kp_capsule *c, size_t *len);
/* The signature, *len (64) bytes. */
KP_API const uint8_t *kp_capsule_signature(const kp_capsule *c, size_t *len);
/* The payload's format version (1). */
KP_API int kp_capsule_version(const kp_capsule *c);
/* The type, NUL-terminated ("post", ...). */
KP_API const char *kp_capsule_type(const kp_capsule *c);
/* The signature algorithm, and the COSE number as written (-19 or -8 for
   Ed25519, -7, -47). */
KP_API kp_key_alg kp_capsule_alg(const kp_capsule *c);
KP_API int kp_capsule_cose_alg(const kp_capsule *c);
/* The author's public key in canonical form (32 or 33 bytes). */
KP_API const uint8_t *kp_capsule_author(const kp_capsule *c, size_t *len);
/* The parent ids, sorted, each KP_ID_BYTES; i < count, else NULL. */
KP_API size_t kp_capsule_parent_count(const kp_capsule *c);
KP_API const uint8_t *kp_capsule_parent_at(const kp_capsule *c, size_t i);
/* The logic module id (KP_ID_BYTES), or NULL when the capsule names none. */
KP_API const uint8_t *kp_capsule_logic(const kp_capsule *c);
/* The flags, in canonical order; i < count, else NULL. */
KP_API size_t kp_capsule_flag_count(const kp_capsule *c);
KP_API const kp_capsule_flag *kp_capsule_flag_at(const kp_capsule *c, size_t i);
/* The flag whose key is key (NUL-terminated), or NULL when absent. */
KP_API const kp_capsule_flag *kp_capsule_flag_find(const kp_capsule *c, const char *key);
/* The author-claimed creation time, unix seconds. */
KP_API uint64_t kp_capsule_created(const kp_capsule *c);
/* The body as stored: the plaintext, or the binary age file when encrypted. */
KP_API const uint8_t *kp_capsule_body(const kp_capsule *c, size_t *len);
/* 1 when the body is an age v1 file ("enc": "age"). */
KP_API int kp_capsule_encrypted(const kp_capsule *c);
/* The age file's recipient stanzas (0 for a plaintext body), read from its
   header without any key. */
KP_API size_t kp_capsule_recipients(const kp_capsule *c);
/* The capability requests, in their canonical order; i < count, else NULL. */
KP_API size_t kp_capsule_cap_count(const kp_capsule *c);
KP_API const kp_capsule_cap *kp_capsule_cap_at(const kp_capsule *c, size_t i);

/*
 * What kp_capsule_pack builds. Every pointer is borrowed for the call.
 * parents and caps may come in any order (they are sorted); a repeated
 * parent, flag key or cap is refused (E_CAPSULE_FIELD).
 */
typedef struct kp_capsule_pack_opts {
    const char *type;     /* required, NUL-terminated */
    const kp_key *author; /* required, a signing key (E_KEY_NO_SIGN otherwise) */
    const uint8_t *body;  /* may be NULL when body_len is 0 */
    size_t body_len;
    /* Encrypt the body to these age recipients ("age1...", NUL-terminated);
       none: the body is stored as it is. */
    const char *const *to;
    size_t to_count;
    /* The body is already a binary age v1 file (made elsewhere, e.g. by
       `age -r`): stored as it is and marked "enc": "age". Not with to. */
    int body_is_age;
    const uint8_t (*parents)[KP_ID_BYTES];
    size_t parent_count;
    const uint8_t *logic; /* KP_ID_BYTES, or NULL */
    const kp_capsule_flag *flags;
    size_t flag_count;
    uint64_t created; /* unix seconds; the caller chooses (no clock here) */
    const kp_capsule_cap *caps;
    size_t cap_count;
    /* The COSE alg to write: 0 for the key's usual one (-19, -7, -47);
       -8 is accepted for an Ed25519 key. */
    int cose_alg;
} kp_capsule_pack_opts;

/*
 * Builds, signs (and encrypts, with to) a capsule, then parses the result
 * with lim (NULL: defaults), so that pack never writes what parse would
 * refuse. *out is the new capsule (not yet verified; kp_capsule_bytes gives
 * the file), freed with kp_capsule_free. Fails with E_ARG (missing type or
 * author, to together with body_is_age), E_KEY_NO_SIGN, E_CAPSULE_FIELD and
 * E_CAPSULE_LIMIT (naming the field), E_CAPSULE_ALG (cose_alg not the
 * key's), E_AGE_KEY (a bad recipient), E_KEY_WEAK, E_NOMEM.
 */
KP_API int kp_capsule_pack(const kp_capsule_pack_opts *opts, const kp_capsule_limits *lim,
                           kp_capsule **out, kp_error *err);

/* The module id of a WebAssembly module's bytes. */
KP_API void kp_module_id(const uint8_t *wasm, size_t len, uint8_t id[KP_ID_BYTES]);
/* An id as 64 lowercase hex digits, and back (E_CAPSULE_ID unless s is
   exactly 64 lowercase hex digits). */
KP_API void kp_id_format(const uint8_t id[KP_ID_BYTES], char out[KP_ID_HEX_BYTES]);
KP_API int kp_id_parse(const char *s, uint8_t id[KP_ID_BYTES], kp_error *err);
/*
 * The canonical text form of an author key, used in policies, --json output
 * and DAG queries: "<alg name>:<hex public key>", e.g. "ed25519:8207...",
 * "p256:02ab..." (kp_key_alg_name, lowercase hex of the canonical key).
 * format: E_SIG_ALG for KP_ALG_NONE, E_KEY_INVALID when pklen is not the
 * alg's canonical length. parse: E_SIG_ALG (unknown name), E_KEY_INVALID
 * (not lowercase hex, wrong length, or not a valid key: the full check,
 * small-order and off-curve keys refused); writes *pklen bytes to pk.
 */
KP_API int kp_key_id_format(kp_key_alg alg, const uint8_t *pk, size_t pklen,
                            char out[KP_KEY_ID_MAX], kp_error *err);
KP_API int kp_key_id_parse(const char *s, kp_key_alg *alg, uint8_t pk[KP_PK_MAX_BYTES],
                           size_t *pklen, kp_error *err);


/* ---- host interface and policy -------------------------------------------------- */

/*
 * Logic modules are WebAssembly modules named by their module id
 * (kp_module_id: SHA-256 of "kapsule-module-v1" || 0x00 || bytes). They run with no authority but what a
 * policy grants: each host function they may import belongs to one named
 * capability ("capsule.read", "storage", "ledger", ...; `kapsule policy
 * caps` lists them), and importing a function whose capability is not
 * granted fails at link time with KP_E_CAP_NOT_GRANTED.
 */
#define KP_MODULE_ID_BYTES KP_ID_BYTES

/*
 * The capability table: every capability a policy can grant (i <
 * kp_cap_count(), in a fixed order) with one line on what it allows, and
 * every host function a guest can import with the capability it belongs
 * to. KP_E_NOT_FOUND past the end. The strings are static.
 */
KP_API size_t kp_cap_count(void);
KP_API int kp_cap_at(size_t i, const char **name, const char **what);
KP_API size_t kp_host_fn_count(void);
/* Host function i: its import module and name, and its capability's index. */
KP_API int kp_host_fn_at(size_t i, const char **module, const char **name, size_t *cap);

/*
 * A policy: JSON that grants capabilities and limits by module id, capsule
 * type and author key (the schema is in docs and `kapsule policy --help`).
 * Made by kp_policy_parse or kp_policy_load, freed by kp_policy_free.
 */
typedef struct kp_policy kp_policy;

/*
 * Parses a policy document (borrowed). Fails with KP_E_POLICY_SYNTAX (the
 * message names line and column), KP_E_POLICY_FIELD or
 * KP_E_POLICY_UNKNOWN_CAP (err->field names the field, e.g.
 * "grants[1].capabilities[0]"), KP_E_POLICY_VERSION or KP_E_NOMEM.
 */
KP_API int kp_policy_parse(const uint8_t *text, size_t len, kp_policy **out, kp_error *err);
/* Reads and parses the file at path (errors as kp_policy_parse, plus the
   file errors KP_E_NO_FILE, KP_E_IO, KP_E_LIMIT over 1 MiB). */
KP_API int kp_policy_load(const char *path, kp_policy **out, kp_error *err);
KP_API void kp_policy_free(kp_policy *p);
/*
 * The policy hash that runs record: SHA-256 of the canonical text, which
 * is jansson's json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT) of the parsed
 * document. Layout and member order do not change it.
 */
#define KP_POLICY_HASH_BYTES 32
KP_API void kp_policy_hash(const kp_policy *p, uint8_t out[KP_POLICY_HASH_BYTES]);
/*
 * Explains what a module would be granted when it runs for a capsule of
 * the given type and author key (either may be NULL) at time now (Unix
 * seconds): a JSON object with the module id, the policy hash, every
 * imported host function with its capability and the rule that grants it
 * (or why none does), the limits with the rules that set them, the handles
 * that would be minted, and "links": whether instantiation would succeed.
 * p may be NULL (nothing is granted). *json is NUL-terminated and freed
 * with kp_text_free. Fails on a module that does not decode (engine codes)
 * or that imports what the host does not provide (E_HOST_UNKNOWN_IMPORT,
 * E_HOST_IMPORT_TYPE); an ungranted import is reported in the JSON, not
 * as a failure.
 */
KP_API int kp_policy_explain(const kp_policy *p, const uint8_t *wasm, size_t len,
                             const char *type, const uint8_t *author, size_t author_len,
                             int64_t now, char **json, kp_error *err);
/* Frees text returned by this section's functions. NULL does nothing. */
KP_API void kp_text_free(char *text);

/*
 * A transcript: the record of every host call a run made, in order, each
 * entry a deterministic CBOR map (capability, function, scalar arguments,
 * guest bytes read and written, oracle values, results, status, fuel).
 * Its Merkle root (RFC 9162 hashing over the entries' encodings) is what
 * receipts commit to; replaying a run with its transcript feeds the
 * recorded oracle values back and must reproduce every entry exactly.
 * Transcripts come from runs (runtime) or kp_transcript_parse.
 */
typedef struct kp_transcript kp_transcript;
#define KP_TRANSCRIPT_ROOT_BYTES 32

/* Entries in the transcript (0 for NULL). */
KP_API size_t kp_transcript_count(const kp_transcript *t);
/* Entry i's encoding, borrowed from t; KP_E_NOT_FOUND past the end. */
KP_API int kp_transcript_entry(const kp_transcript *t, size_t i, const uint8_t **entry,
                               size_t *len);
/* The RFC 9162 root over the entries (SHA-256 of nothing when empty). */
KP_API void kp_transcript_root(const kp_transcript *t, uint8_t root[KP_TRANSCRIPT_ROOT_BYTES]);
/* The whole transcript as one CBOR array of its entries. *out is freed with
   kp_transcript_bytes_free(*out, *len). */
KP_API int kp_transcript_encode(const kp_transcript *t, uint8_t **out, size_t *len,
                                kp_error *err);
KP_API void kp_transcript_bytes_free(uint8_t *p, size_t len);
/* Parses an encoded transcript strictly (KP_E_HOST_TRANSCRIPT with the
   entry and offset). *out is freed with kp_transcript_free. */
KP_API int kp_transcript_parse(const uint8_t *p, size_t len, kp_transcript **out,
                               kp_error *err);
KP_API void kp_transcript_free(kp_transcript *t);

/*
 * Standalone runs: a logic module run outside any store, for a capsule
 * made up from kp_run_opts, against the library's in-memory world (child
 * storage, ledger, DAG and module registry that live and die with the
 * run). What `kapsule run` does; receipts and replay build on it. Every
 * pointer in kp_run_opts is borrowed for the call.
 */
typedef struct kp_run kp_run;

/* An account credited before the run (the in-memory ledger starts empty). */
typedef struct kp_run_credit {
    const uint8_t *account; /* a public key */
    size_t account_len;
    uint64_t amount;
} kp_run_credit;

typedef struct kp_run_opts {
    const kp_policy *policy;    /* NULL: nothing is granted */
    const char *type;           /* the capsule's type; NULL: "post" */
    kp_key_alg author_alg;      /* KP_ALG_NONE (0) with author NULL: no author */
    const uint8_t *author;
    size_t author_len;
    const uint8_t *body;        /* may be NULL when body_len is 0 */
    size_t body_len;
    const uint8_t (*parents)[KP_ID_BYTES];
    size_t parent_count;
    const kp_capsule_flag *flags; /* relay-visible flags (text keys and values) */
    size_t flag_count;
    int64_t created;            /* the capsule's created time; 0: now */
    int64_t now;                /* grant validity and the clock; 0: the system clock */
    uint64_t fuel;              /* 0: the policy's limit; else the smaller of both */
    const uint8_t *trust_module; /* KP_ID_BYTES: get_trust_score reads it; NULL: none */
    kp_key_alg owner_alg;       /* the module's registered owner (module_owner) */
    const uint8_t *owner;
    size_t owner_len;
    const kp_run_credit *credits;
    size_t credit_count;
    const kp_transcript *replay; /* non-NULL: feed this transcript's oracle values back
                                    and fail with KP_E_HOST_REPLAY_DIVERGED on any
                                    difference */
} kp_run_opts;

/*
 * Runs wasm's entry point (kapsule_run, or WASI _start). The made-up
 * capsule's id is SHA-256("kapsule run\n" || type || 0x00 || author ||
 * body), so the same options give the same run. Returns KP_OK when the
 * module ran to its end (its verdict may still be reject), or the trap's
 * code (fuel, memory, a host call refused...): in both cases *out is the
 * finished run, freed with kp_run_free. A module that cannot run at all
 * (engine codes for a bad module, KP_E_CAP_NOT_GRANTED and the other link
 * failures, KP_E_ARG for bad options) leaves *out NULL.
 */
KP_API int kp_run_standalone(const uint8_t *wasm, size_t len, const kp_run_opts *opts,
                             kp_run **out, kp_error *err);
KP_API void kp_run_free(kp_run *r);
KP_API const uint8_t *kp_run_module_id(const kp_run *r);
/* 1 accept, 2 reject; reason is the module's, or why the host decided
   ("the module trapped", "entry point returned nonzero"). */
KP_API int kp_run_verdict(const kp_run *r, const char **reason);
/* KP_OK, or the code the run trapped with (as kp_run_standalone returned). */
KP_API int kp_run_status(const kp_run *r);
/* What kapsule_run returned or the WASI exit status (when the run ended). */
KP_API int32_t kp_run_exit_code(const kp_run *r);
/* The submitted result (NULL, 0 and *submitted 0 when none). */
KP_API const uint8_t *kp_run_result(const kp_run *r, size_t *len, int *submitted);
KP_API uint64_t kp_run_fuel_used(const kp_run *r);
/* The transcript, borrowed from the run. */
KP_API const kp_transcript *kp_run_transcript(const kp_run *r);
/* The log lines, each "<instance> <level> <text>\n", in order. */
KP_API const uint8_t *kp_run_logs(const kp_run *r, size_t *len);
/* The capsules the run emitted: type and body, borrowed from the run. */
KP_API size_t kp_run_emitted_count(const kp_run *r);
KP_API int kp_run_emitted(const kp_run *r, size_t i, const char **type, const uint8_t **body,
                          size_t *len);
/* The run's effective grant: each capability granted (in the order
   `kapsule policy caps` lists them) with the name of the policy rule that
   granted it. KP_E_NOT_FOUND past the end. */
KP_API size_t kp_run_grant_count(const kp_run *r);
KP_API int kp_run_grant_at(const kp_run *r, size_t i, const char **capability,
                           const char **rule);

/* ---- store -------------------------------------------------------------------------- */

/*
 * A store is a folder holding the SQLite database "store.db" (WAL mode, so
 * "store.db-wal" and "store.db-shm" live beside it while it is open). It
 * keeps the capsule DAG, modules, results and the audit log. One kp_store
 * is one connection: use it from one thread at a time. Several processes
 * may open the same store; writers wait for each other (busy timeout) and
 * fail with KP_E_STORE_BUSY past it.
 */
typedef struct kp_store kp_store;

/* kp_store_open flags. */
#define KP_STORE_CREATE 0x1u   /* create the folder and the database if missing
                                  (not the folder's parent: E_NO_FILE) */
#define KP_STORE_READONLY 0x2u /* never write; refuses a store that needs an upgrade */
#define KP_STORE_FORCE 0x4u    /* write even to a quarantined store (see below) */

/*
 * Opens (with KP_STORE_CREATE, creates) the store in folder dir and brings
 * its schema up to date: each pending forward migration runs in its own
 * transaction, so an interrupted upgrade leaves a store at the last
 * completed version. On success *out is a new store, freed with
 * kp_store_close. A store is created only where there is none (store.db
 * absent, empty or holding no schema) and the folder has no node key
 * (<dir>/node.key): a node key without its database means that the log
 * it signed is gone, and a new log under the same key would fork it, so
 * that is KP_E_STORE_MISSING whatever the flags, with a message saying
 * how to recover (restore the database, or move the key away and import
 * a snapshot). Fails with KP_E_STORE_MISSING (no store and no
 * KP_STORE_CREATE, or the node key case), KP_E_STORE_TOO_NEW (written by a newer kapsule; left
 * untouched), KP_E_STORE_OLD (read-only open of a store that needs an
 * upgrade), KP_E_STORE_FOREIGN (some other SQLite file), KP_E_STORE_CORRUPT,
 * KP_E_STORE_BUSY, KP_E_STORE_MIGRATION, KP_E_DISK_FULL, KP_E_IO,
 * KP_E_PERMISSION or KP_E_NOMEM.
 */
KP_API int kp_store_open(const char *dir, unsigned flags, kp_store **out, kp_error *err);
/* Closes the store, finishing its prepared statements. NULL does nothing. */
KP_API void kp_store_close(kp_store *st);

/*
 * Quarantine. A store that failed its integrity check carries a mark (a
 * row of its database), and while it does every write is refused with
 * KP_E_STORE_CORRUPT naming the mark's code and reason: ingest, import,
 * module registration, ledger credits and checkpoints alike, so that
 * nothing new is appended to, or signed over, a store found tampered.
 * kapsule log verify sets the mark when kp_log_verify or kp_runtime_verify
 * reports a fault (these two only read) and lifts it when both pass
 * again; every open for writing also sets it when the log is shorter than
 * a checkpoint already signed (a fork). A store opened with
 * KP_STORE_FORCE writes anyway and keeps the mark.
 *
 * kp_store_quarantine sets (or replaces) the mark with code and reason
 * (a store open for writing, outside a transaction: KP_E_STORE_TX);
 * kp_store_quarantine_clear lifts it (*cleared, may be NULL: 1 when there
 * was one and none is left), then runs the open check again, which marks
 * the store anew while its log is still shorter than what was signed;
 * kp_store_quarantined reads it: *code 0 when there is none,
 * else its code, and reason (may be NULL) its text. Store codes on
 * failure.
 */
KP_API int kp_store_quarantine(kp_store *st, int code, const char *reason, kp_error *err);
/*
 * The cheap check an open for writing runs (read-only stores too): the
 * log must hold every entry a checkpoint covers, both the checkpoints in
 * the database and the newest one this node signed (<dir>/node.head,
 * written by kp_ingest_checkpoint), and a stored checkpoint of that size
 * must have its root. KP_E_LOG_CHECKPOINT with the reason when not (the
 * database was cut, or an older or other copy put back), else KP_OK.
 */
KP_API KP_NODISCARD int kp_store_check_signed(kp_store *st, kp_error *err);
KP_API int kp_store_quarantine_clear(kp_store *st, int *cleared, kp_error *err);
KP_API int kp_store_quarantined(kp_store *st, int *code, char reason[KP_ERROR_MSG_BYTES],
                                kp_error *err);
/* The store's schema version (the database's user_version). */
KP_API int kp_store_schema_version(const kp_store *st);

/* ---- queries: the stored DAG, modules and results ----------------------------------------- */

/*
 * Read-only questions an embedder (or the kapsule command) asks a store.
 * Each runs in a read transaction of its own unless the store is inside
 * one, and fails with KP_E_NOT_FOUND where it says so, else with the
 * store's codes (KP_E_IO, KP_E_STORE_BUSY, KP_E_NOMEM...). What they return
 * is the caller's and freed with the function named.
 */

/* A list of ids (capsules or modules), in the order the query defines. */
typedef struct kp_ids kp_ids;
KP_API size_t kp_ids_count(const kp_ids *l);
/* Id i (i < count), else NULL. */
KP_API const uint8_t *kp_ids_at(const kp_ids *l, size_t i);
/* NULL does nothing. */
KP_API void kp_ids_free(kp_ids *l);

/* Where a stored capsule sits: its ingest sequence number (1, 2, ... in
   the order capsules were accepted) and the log entry that accepted it. */
typedef struct kp_dag_place {
    int64_t seq;
    uint64_t log_index;
} kp_dag_place;

/*
 * The stored capsule id, parsed from the bytes exactly as received (they
 * were verified at ingest; kp_capsule_verify checks again): *c is freed
 * with kp_capsule_free; *place
 * (may be NULL) gets its place. KP_E_NOT_FOUND when it is not stored
 * (pending and rejected capsules are not).
 */
KP_API int kp_dag_get(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_capsule **c,
                      kp_dag_place *place, kp_error *err);
/* id's parents (bytewise order) or children (ingest order); KP_E_NOT_FOUND
   when id is not stored. */
KP_API int kp_dag_parents(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_ids **out,
                          kp_error *err);
KP_API int kp_dag_children(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_ids **out,
                           kp_error *err);
/* Every ancestor of id, each once, in ingest order; KP_E_NOT_FOUND when id
   is not stored. */
KP_API int kp_dag_ancestors(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_ids **out,
                            kp_error *err);
/* The stored capsules that no stored capsule names as a parent (only those
   of type when type is not NULL), in ingest order. */
KP_API int kp_dag_heads(kp_store *st, const char *type, kp_ids **out, kp_error *err);

/* A registered module's lifecycle state. */
typedef enum kp_module_state {
    KP_MODULE_ACTIVE = 0,
    KP_MODULE_DESTROYED = 1,
    KP_MODULE_UPGRADED = 2 /* successor names the module that replaced it */
} kp_module_state;

/* "active", "destroyed", "upgraded". */
KP_API const char *kp_module_state_name(kp_module_state s);

/* A registered logic module, as plain data. */
typedef struct kp_module_info {
    uint8_t id[KP_ID_BYTES];
    int has_owner;
    kp_key_alg owner_alg;
    uint8_t owner[KP_PK_MAX_BYTES];
    size_t owner_len;
    kp_module_state state;
    uint8_t successor[KP_ID_BYTES]; /* KP_MODULE_UPGRADED only, else zeros */
    int64_t added;                  /* unix seconds */
    size_t code_len;
} kp_module_info;

/* Every registered module, in id order: *rows (*n of them; NULL when 0) is
   freed with kp_modules_free. */
KP_API int kp_modules_list(kp_store *st, kp_module_info **rows, size_t *n, kp_error *err);
KP_API void kp_modules_free(kp_module_info *rows, size_t n);
/* One module; KP_E_NOT_FOUND when it is not registered. */
KP_API int kp_module_get(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_module_info *out,
                         kp_error *err);

/* What a stored capsule's logic module said (capsules without logic have
   no result). Read with the accessors; freed with kp_result_free. */
typedef struct kp_result kp_result;

/* KP_E_NOT_FOUND when the capsule is not stored or has no result
   (err's message says which). */
KP_API int kp_result_get(kp_store *st, const uint8_t capsule[KP_ID_BYTES], kp_result **out,
                         kp_error *err);
KP_API const uint8_t *kp_result_module(const kp_result *r);
/* 1 accept, 2 reject; the reason the module gave ("" when none). */
KP_API int kp_result_verdict(const kp_result *r, const char **reason);
/* The bytes the module submitted, and 1, or NULL and 0 when it submitted
   none. */
KP_API const uint8_t *kp_result_data(const kp_result *r, size_t *len, int *submitted);
KP_API uint64_t kp_result_fuel(const kp_result *r);
KP_API const uint8_t *kp_result_transcript_root(const kp_result *r);
KP_API const uint8_t *kp_result_policy_hash(const kp_result *r);
KP_API uint64_t kp_result_log_index(const kp_result *r);
/* NULL does nothing. */
KP_API void kp_result_free(kp_result *r);

/* ---- audit log --------------------------------------------------------------------------- */

/*
 * The audit log is an RFC 9162 Merkle tree kept in the store: entry i is an
 * opaque byte string; leaf hash SHA-256(0x00 || entry), interior node
 * SHA-256(0x01 || left || right). Entries are append-only (the database
 * refuses UPDATE and DELETE). Tree heads are published as C2SP
 * tlog-checkpoint signed notes with Ed25519 note signatures:
 *
 *     <origin>\n<tree size>\n<base64 root>\n\n— <origin> <base64(key id || sig)>\n
 *
 * and every checkpoint handed out is stored, so that kp_log_verify can show
 * that each one is still consistent with the tree.
 *
 * Appends, roots at any size, inclusion and consistency proofs read or
 * write O(log n) rows. Sizes are counts of entries; indexes count from 0.
 */
#define KP_LOG_HASH_BYTES 32
/* Longest proof for a tree of up to 2^63 entries (SQLite's row limit). */
#define KP_LOG_PROOF_MAX 64
/* Largest entry accepted by kp_log_append. */
#define KP_LOG_ENTRY_MAX (16u * 1024u * 1024u)
/* Origins (and note key names): 1..255 bytes of UTF-8, no spaces, no '+'. */
#define KP_LOG_ORIGIN_MAX 255
/* A checkpoint note this library signs, with its NUL. */
#define KP_LOG_NOTE_MAX 1024
/* A verifier key "<name>+<8 hex>+<base64(0x01 || public key)>", with its NUL. */
#define KP_LOG_VKEY_MAX 320
/* Ed25519 keys as libsodium holds them: secret = seed || public key. */
#define KP_LOG_SK_BYTES 64
#define KP_LOG_PK_BYTES 32

/* An inclusion proof, as `kapsule log prove` prints it (RFC 9162 order). */
typedef struct kp_log_inclusion {
    uint64_t index;
    uint64_t tree_size;
    uint8_t leaf_hash[KP_LOG_HASH_BYTES];
    uint8_t root[KP_LOG_HASH_BYTES];
    size_t count; /* hashes in proof[] */
    uint8_t proof[KP_LOG_PROOF_MAX][KP_LOG_HASH_BYTES];
} kp_log_inclusion;

/* A consistency proof, as `kapsule log consistency` prints it (RFC 9162 order). */
typedef struct kp_log_consistency {
    uint64_t old_size;
    uint64_t new_size;
    uint8_t old_root[KP_LOG_HASH_BYTES];
    uint8_t new_root[KP_LOG_HASH_BYTES];
    size_t count; /* hashes in proof[] */
    uint8_t proof[KP_LOG_PROOF_MAX][KP_LOG_HASH_BYTES];
} kp_log_consistency;

/* The RFC 9162 leaf hash of an entry: SHA-256(0x00 || entry). */
KP_API void kp_log_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[KP_LOG_HASH_BYTES]);

/*
 * Appends one entry and sets *index to its position. Runs inside the
 * caller's open transaction when there is one (so that an ingested capsule
 * and its log entry commit or roll back together), else in a transaction
 * of its own. Either way the append is all or nothing. Fails with KP_E_LIMIT
 * beyond KP_LOG_ENTRY_MAX, KP_E_STORE_READONLY, KP_E_DISK_FULL, KP_E_IO,
 * KP_E_STORE_BUSY.
 */
KP_API int kp_log_append(kp_store *st, const uint8_t *entry, size_t len, uint64_t *index,
                         kp_error *err);
/* The number of entries (KP_E_IO, KP_E_STORE_BUSY, ... from the store). */
KP_API int kp_log_size(kp_store *st, uint64_t *size, kp_error *err);
/*
 * Copies entry index into out (cap bytes) and sets *len to its length.
 * Fails with KP_E_LOG_RANGE for a missing index, KP_E_LIMIT when cap is too
 * small (then *len is the length needed and out is untouched).
 */
KP_API int kp_log_entry(kp_store *st, uint64_t index, uint8_t *out, size_t cap, size_t *len,
                        kp_error *err);
/*
 * The root of the tree made of the first size entries (size 0: SHA-256 of
 * the empty string). KP_E_LOG_RANGE when size exceeds the log.
 */
KP_API int kp_log_root(kp_store *st, uint64_t size, uint8_t root[KP_LOG_HASH_BYTES],
                       kp_error *err);
/*
 * Fills *p with the inclusion proof of entry index in the tree of the
 * first size entries, with that tree's root and the entry's leaf hash.
 * KP_E_LOG_RANGE unless index < size <= kp_log_size.
 */
KP_API int kp_log_prove_inclusion(kp_store *st, uint64_t index, uint64_t size,
                                  kp_log_inclusion *p, kp_error *err);
/*
 * Fills *p with the consistency proof between the trees of the first
 * old_size and new_size entries, and both roots. The proof is empty when
 * old_size is 0 or equals new_size. KP_E_LOG_RANGE unless
 * old_size <= new_size <= kp_log_size.
 */
KP_API int kp_log_prove_consistency(kp_store *st, uint64_t old_size, uint64_t new_size,
                                    kp_log_consistency *p, kp_error *err);

/*
 * Offline verifiers (RFC 9162 §2.1.3.2 and §2.1.4.2); they need no store.
 * proof points to count hashes. KP_OK when the proof shows that leaf_hash
 * is entry index of the tree of size tree_size with the given root (resp.
 * that the tree of old_size entries with old_root is a prefix of the tree
 * with new_root); KP_E_LOG_RANGE for impossible sizes, else KP_E_LOG_PROOF.
 * Consistency from old_size 0 holds with an empty proof when old_root is
 * the empty tree's root; equal sizes need an empty proof and equal roots.
 */
KP_API KP_NODISCARD int kp_log_verify_inclusion(uint64_t index, uint64_t tree_size,
                                                const uint8_t leaf_hash[KP_LOG_HASH_BYTES],
                                                const uint8_t (*proof)[KP_LOG_HASH_BYTES],
                                                size_t count,
                                                const uint8_t root[KP_LOG_HASH_BYTES],
                                                kp_error *err);
KP_API KP_NODISCARD int kp_log_verify_consistency(uint64_t old_size, uint64_t new_size,
                                                  const uint8_t old_root[KP_LOG_HASH_BYTES],
                                                  const uint8_t new_root[KP_LOG_HASH_BYTES],
                                                  const uint8_t (*proof)[KP_LOG_HASH_BYTES],
                                                  size_t count, kp_error *err);

/*
 * The note verifier key of an Ed25519 public key under a key name, in the
 * C2SP signed-note / Go sumdb form "<name>+<hex key id>+<base64(0x01 ||
 * pk)>", key id = SHA-256(name || 0x0A || 0x01 || pk)[:4]. KP_E_ARG for an
 * invalid name.
 */
KP_API int kp_log_vkey(const char *name, const uint8_t pk[KP_LOG_PK_BYTES],
                       char vkey[KP_LOG_VKEY_MAX], kp_error *err);

/*
 * Signs the current tree head as a checkpoint of origin (which is also the
 * note's key name), stores it and copies the note, NUL-terminated, to
 * note. The first checkpoint binds the log to origin and to the key; later
 * calls with another origin or key fail with KP_E_LOG_IDENTITY. When the
 * latest checkpoint already covers the current size, that one is returned
 * and nothing is written. sk is a libsodium Ed25519 secret key (seed ||
 * public key); KP_E_ARG when its halves disagree or origin is invalid.
 */
KP_API int kp_log_checkpoint(kp_store *st, const char *origin,
                             const uint8_t sk[KP_LOG_SK_BYTES], char note[KP_LOG_NOTE_MAX],
                             kp_error *err);
/* The latest stored checkpoint note (KP_E_NOT_FOUND when there is none). */
KP_API int kp_log_head(kp_store *st, char note[KP_LOG_NOTE_MAX], kp_error *err);
/*
 * The origin and verifier key the log is bound to (either may be NULL).
 * KP_E_NOT_FOUND before the first checkpoint.
 */
KP_API int kp_log_identity(kp_store *st, char origin[KP_LOG_ORIGIN_MAX + 1],
                           char vkey[KP_LOG_VKEY_MAX], kp_error *err);

/* A checkpoint's body, as kp_checkpoint_verify reads it. */
typedef struct kp_checkpoint {
    char origin[KP_LOG_ORIGIN_MAX + 1];
    uint64_t tree_size;
    uint8_t root[KP_LOG_HASH_BYTES];
} kp_checkpoint;

/*
 * Checks a checkpoint note (len bytes, no NUL needed) against a verifier
 * key: the note must parse strictly (signed-note syntax, valid UTF-8, no
 * control characters but newlines, at most 100 signatures, 64 KiB), carry
 * a signature by that key that verifies, and no signature by that key that
 * fails; signatures by other keys are ignored. Then the body is parsed
 * (origin, size without leading zeros, 32-byte base64 root; extension
 * lines allowed) into *out. The origin is not compared with anything: the
 * caller checks it. Fails with KP_E_NOTE_VKEY, KP_E_NOTE_MALFORMED,
 * KP_E_NOTE_UNVERIFIED, KP_E_NOTE_BAD_SIG, KP_E_CHECKPOINT_MALFORMED (also
 * for an origin longer than KP_LOG_ORIGIN_MAX), KP_E_LIMIT (over 64 KiB).
 */
KP_API KP_NODISCARD int kp_checkpoint_verify(const char *note, size_t len, const char *vkey,
                                             kp_checkpoint *out, kp_error *err);

/* What kp_log_verify found wrong, one call per fault. */
typedef enum kp_log_place {
    KP_LOG_AT_ENTRY = 1,      /* index is the entry's */
    KP_LOG_AT_NODE = 2,       /* level and index name the node */
    KP_LOG_AT_CHECKPOINT = 3, /* index is its sequence number, tree_size its size */
    KP_LOG_AT_TABLE = 4,      /* a table as a whole (e.g. rows that should not exist) */
    KP_LOG_AT_CAPSULE = 5,    /* kp_runtime_verify: index is the capsule's log entry */
    KP_LOG_AT_RESULT = 6,     /* kp_runtime_verify: index is the result's log entry */
    KP_LOG_AT_MODULE = 7      /* kp_runtime_verify: a module (named in the message), index 0 */
} kp_log_place;

typedef struct kp_log_problem {
    int code;          /* KP_E_LOG_TAMPERED, KP_E_LOG_CHECKPOINT, KP_E_NOTE_... */
    kp_log_place place;
    uint64_t index;
    uint32_t level;
    uint64_t tree_size;
    const char *msg; /* valid during the call only */
} kp_log_problem;

typedef void (*kp_log_problem_fn)(void *ud, const kp_log_problem *p);

typedef struct kp_log_report {
    uint64_t entries;             /* entries read */
    uint64_t nodes;               /* stored nodes compared */
    uint64_t checkpoints;         /* checkpoints checked */
    uint64_t problems;            /* faults found: 0 when the log is intact */
    int64_t first_bad_entry;      /* smallest entry index at fault, or -1 */
    int64_t first_bad_checkpoint; /* smallest tree size of a bad checkpoint, or -1 */
} kp_log_report;

/*
 * Recomputes every leaf hash and interior node from the stored entries,
 * compares them with the stored nodes, and checks every stored checkpoint:
 * its note against vkey (NULL: the key the log is bound to), its origin,
 * and its root against the root recomputed from the entries at its size.
 * Each fault is passed to fn (may be NULL) and counted in *rep (may be
 * NULL). Reads in one snapshot; O(n) time, O(log n) memory plus 48 bytes
 * per checkpoint. Returns KP_OK when nothing is wrong, else the first
 * fault's code with its message in err (KP_E_LOG_TAMPERED,
 * KP_E_LOG_CHECKPOINT, KP_E_NOTE_...); environment errors (KP_E_IO, ...)
 * stop the walk.
 */
KP_API KP_NODISCARD int kp_log_verify(kp_store *st, const char *vkey, kp_log_problem_fn fn,
                                      void *ud, kp_log_report *rep, kp_error *err);

/* ---- runtime ---------------------------------------------------------------------------------- */

/*
 * Ingest: the main job. Each capsule file goes through
 *
 *   size limit -> kp_capsule_parse -> kp_capsule_verify -> already stored?
 *   (duplicate: nothing changes, no log entry) -> parents stored and logic
 *   module registered? (else kept as pending, with a log entry, and
 *   processed again when what it waits for arrives) -> decrypt for a local
 *   key that is a recipient (else the logic sees the ciphertext) -> run the
 *   logic under the policy -> accept: the capsule, its DAG edges, its
 *   result, the run's effects and one log entry, all in one unit; reject:
 *   only a log entry with the stable reason code.
 *
 * Then every pending capsule that the new one (or a new module) completes
 * is processed, iteratively. Log entries are deterministic CBOR maps
 * (docs/FORMATS.md, "Audit log entries"). A kp_ingest is one connection's
 * pipeline: one thread at a time.
 */
typedef struct kp_ingest kp_ingest;

/*
 * age has no recipient hints: finding whether a body is for one of the
 * node's keys takes one X25519 per recipient stanza and local key. A body
 * whose stanzas x local keys exceed this is rejected unread with
 * E_AGE_WORK (a 1,024-stanza body on a node of 100 keys cost ~4 CPU-s).
 */
#define KP_INGEST_UNWRAP_MAX 2048u

typedef enum kp_ingest_status {
    KP_INGEST_ACCEPTED = 1,
    KP_INGEST_REJECTED = 2,
    KP_INGEST_PENDING = 3,   /* kept: waits for a parent or its logic module */
    KP_INGEST_DUPLICATE = 4  /* already stored (or already pending): nothing changed */
} kp_ingest_status;

/* What the logic saw of the body. */
typedef enum kp_ingest_body {
    KP_INGEST_BODY_PLAIN = 0,     /* not encrypted */
    KP_INGEST_BODY_DECRYPTED = 1, /* encrypted to a local key: the logic saw the plaintext */
    KP_INGEST_BODY_SEALED = 2     /* encrypted, not to us: the logic saw the age file */
} kp_ingest_body;

/* One capsule's outcome. Plain data; valid during the callback only. */
typedef struct kp_ingest_result {
    kp_ingest_status status;
    int has_id;                 /* 0 when the input did not parse */
    uint8_t id[KP_ID_BYTES];
    int reason;                 /* KP_OK, or the code a rejection is logged with */
    const char *message;        /* details ("" when none): error text, guest's reason */
    int released;               /* 1: a pending capsule processed because this call
                                   brought what it waited for */
    kp_ingest_body body;
    int has_run;                /* the logic ran (accepted, or rejected by it) */
    uint8_t module[KP_ID_BYTES];
    int verdict;                /* 1 accept, 2 reject (has_run) */
    uint64_t fuel;              /* fuel used (has_run) */
    int has_log_index;          /* 0 for a duplicate */
    uint64_t log_index;
    size_t waiting;             /* pending: how many things it waits for */
} kp_ingest_result;

/*
 * Called once per capsule processed (the input first, then any released),
 * and only once what it reports is durable: the unit that decided it has
 * committed (fsync'd). Without a batch that is before kp_ingest_capsule
 * returns; inside a batch the outcomes are kept in order and heard during
 * kp_ingest_commit, after its commit succeeded, and never when it failed
 * (nothing of that batch is stored then). So "accepted" with a log index
 * always means stored under that index.
 */
typedef void (*kp_ingest_fn)(void *ud, const kp_ingest_result *r);

typedef struct kp_ingest_opts {
    /* The policy: policy if set (borrowed for the pipeline's life), else the
       file policy_path, else <store>/policy.json when it exists, else a
       policy that grants nothing. */
    const kp_policy *policy;
    const char *policy_path;
    int64_t now;                  /* Unix seconds for grant validity; 0: the clock */
    uint64_t fuel;                /* 0: the policy's limit */
    const uint8_t *trust_module;  /* KP_ID_BYTES: get_trust_score reads it; NULL: none */
    /* The checkpoint origin, on the first checkpoint only (later ones keep
       the origin the log is bound to). NULL: "kapsule/<hostname>/<8 hex
       digits of SHA-256 of the node's public key>", unique to the store. */
    const char *origin;
    int no_keys;                  /* 1: decrypt with no local key */
} kp_ingest_opts;

/*
 * A pipeline over st (borrowed for its life; opened for writing), with
 * opts (NULL: defaults; copied). Loads the policy and the key store's
 * identities (<store>/keys) for decryption. *out is freed with
 * kp_ingest_free. Fails with the policy's codes, the key store's
 * (E_KEY_PERMISSIONS, E_KEY_FILE), E_STORE_READONLY, E_NOMEM.
 */
KP_API int kp_ingest_new(kp_store *st, const kp_ingest_opts *opts, kp_ingest **out,
                         kp_error *err);
/* Frees the pipeline (rolls back an uncommitted batch). NULL does nothing. */
KP_API void kp_ingest_free(kp_ingest *in);
/*
 * Processes one capsule file (borrowed), then whatever it releases; fn
 * (may be NULL) hears each outcome once it is durable (kp_ingest_fn; ud
 * must then live until the batch's kp_ingest_commit). A rejection is an outcome, not a
 * failure: KP_OK is returned and the rejection is logged. A failure (the
 * store's codes: E_DISK_FULL, E_IO, E_STORE_BUSY, E_NOMEM...) leaves the
 * store as it was before that capsule's unit; capsules finished earlier in
 * the call (or the batch) are kept. Ingesting a stored capsule again
 * (a duplicate) also releases whatever still waits for it, so that
 * retrying a call that failed half-way through its releases finishes them.
 */
KP_API int kp_ingest_capsule(kp_ingest *in, const uint8_t *data, size_t len, kp_ingest_fn fn,
                             void *ud, kp_error *err);
/*
 * An input too big to be handed over whole: size bytes (over
 * KP_CAPSULE_MAX_BYTES, else E_ARG) whose SHA-256 the caller computed as
 * they streamed past. It is refused with E_CAPSULE_LIMIT and logged with
 * exactly the entry kp_ingest_capsule logs for the same bytes, so every
 * refused input is in the audit log whatever its size; fn (may be NULL)
 * hears the rejection. Store codes on failure, as kp_ingest_capsule.
 */
KP_API int kp_ingest_oversize(kp_ingest *in, const uint8_t sha256[KP_LOG_HASH_BYTES],
                              uint64_t size, kp_ingest_fn fn, void *ud, kp_error *err);
/*
 * Batches: between kp_ingest_begin and kp_ingest_commit every capsule is
 * still its own all-or-nothing unit, but they share one commit (one
 * fsync); nothing is acknowledged before that commit: kp_ingest_commit
 * hands the batch's outcomes to their callbacks once it has committed, and
 * drops them when it fails (the store's codes; the whole batch is then
 * undone, and ingesting its inputs again is safe). kp_ingest_free of a
 * pipeline with an open batch undoes it the same way. Without a batch
 * each capsule commits on its own. E_STORE_TX for a begin inside a batch
 * or a commit outside one.
 */
KP_API int kp_ingest_begin(kp_ingest *in, kp_error *err);
KP_API int kp_ingest_commit(kp_ingest *in, kp_error *err);
/*
 * Signs and stores a checkpoint of the current log with the node key
 * (<store>/node.key, an Ed25519 identity in the key file format, created
 * mode 0600 on first use) and copies the note into note (may be NULL).
 * Outside a batch only (E_STORE_TX).
 */
KP_API int kp_ingest_checkpoint(kp_ingest *in, char note[KP_LOG_NOTE_MAX], kp_error *err);
/*
 * Registers a logic module (wasm borrowed) owned by the given key (owner
 * NULL / owner_len 0: nobody), with a log entry, then processes the pending
 * capsules that waited for it (fn hears them). *id gets the module id;
 * *added (may be NULL) is 0 when it was registered already (then nothing
 * is logged). The bytes must decode and validate as a WebAssembly module
 * (the engine's kw_module_new, default limits): otherwise the engine's
 * code (E_WASM_..., with the byte offset) is returned and nothing is
 * stored or logged. E_ARG for an owner key over KP_PK_MAX_BYTES.
 */
KP_API int kp_ingest_module_add(kp_ingest *in, const uint8_t *wasm, size_t len,
                                kp_key_alg owner_alg, const uint8_t *owner, size_t owner_len,
                                uint8_t id[KP_ID_BYTES], int *added, kp_ingest_fn fn, void *ud,
                                kp_error *err);
/* "accepted", "rejected", "pending", "duplicate". */
KP_API const char *kp_ingest_status_name(kp_ingest_status s);
/* "plain", "decrypted", "sealed". */
KP_API const char *kp_ingest_body_name(kp_ingest_body b);

/*
 * Relays route capsules between nodes without reading them: a relay holds
 * no decryption key and decides on what anyone can see (size, strict
 * parse, signature, type, author, flags, parent count, whether the body is
 * encrypted) with rules read from JSON (docs/FORMATS.md, "Relay rules"),
 * first matching rule first. An accepted capsule is published on a stream
 * subject made of the prefix, one token per route flag and the type's
 * dot-separated parts, with its id as the message id.
 */
typedef struct kp_relay_rules kp_relay_rules;
#define KP_RELAY_SUBJECT_MAX 768

/* Reads rules (JSON, borrowed). KP_E_RELAY_RULES with err->field for a
   malformed, unknown or mistyped field, or one that would need the body. */
KP_API int kp_relay_rules_parse(const uint8_t *json, size_t len, kp_relay_rules **out,
                                kp_error *err);
/* The same from a file (plus the file codes; at most 1 MiB). */
KP_API int kp_relay_rules_load(const char *path, kp_relay_rules **out, kp_error *err);
KP_API void kp_relay_rules_free(kp_relay_rules *r);

/* A relay's decision on one capsule file. */
typedef struct kp_relay_verdict {
    int accept;
    int code;        /* KP_OK, or why it was refused (as returned) */
    const char *rule; /* the matching rule's name ("" for the default); borrowed from the rules */
    int has_id;      /* the capsule parsed and verified: msg_id holds its id */
    char msg_id[KP_ID_HEX_BYTES];
    char subject[KP_RELAY_SUBJECT_MAX]; /* accept only */
} kp_relay_verdict;

/*
 * Decides on one capsule file (borrowed): KP_OK with v->accept set and its
 * subject, or the refusal's code: E_CAPSULE_LIMIT over the rules'
 * max_bytes, the parse and signature codes, E_RELAY_REFUSED by a rule (or
 * the default). Never decrypts.
 */
KP_API int kp_relay_check(const kp_relay_rules *r, const uint8_t *data, size_t len,
                          kp_relay_verdict *v, kp_error *err);

/*
 * Snapshots (docs/FORMATS.md, "Snapshots"): the accepted capsules of a
 * store, with the logic modules they need, in one file that another store
 * ingests. A snapshot is a CBOR sequence: a header, the modules (in id
 * order), the capsule files exactly as stored (in ingest order, so every
 * parent before its children), and a trailer holding the SHA-256 of
 * everything before it. Pending capsules are not exported: they are not
 * part of the DAG the store vouches for. The file is never trusted:
 * kp_snapshot_import sends every module and capsule through the pipeline,
 * which verifies and runs each under the importing store's policy.
 */
#define KP_SNAPSHOT_VERSION 1
/* The largest snapshot kp_snapshot_parse reads. */
#define KP_SNAPSHOT_MAX_BYTES (1024u * 1024u * 1024u)
/* The longest checkpoint note a header may carry. */
#define KP_SNAPSHOT_NOTE_MAX 65536u

typedef struct kp_snapshot kp_snapshot;

/* A snapshot's header. Pointers are borrowed from the kp_snapshot. */
typedef struct kp_snapshot_info {
    uint64_t version;
    uint64_t since;          /* 0: every capsule; else capsules accepted at log index >= since */
    uint64_t log_size;       /* the exporting log's size when the snapshot was cut */
    size_t modules;          /* module records */
    size_t capsules;         /* capsule records */
    const char *origin;      /* the exporting log's origin, NUL-terminated; NULL: none yet */
    const char *checkpoint;  /* its latest checkpoint note (checkpoint_len bytes); NULL: none */
    size_t checkpoint_len;
} kp_snapshot_info;

/* One module record. Pointers are borrowed from the kp_snapshot. */
typedef struct kp_snapshot_module {
    const uint8_t *id;       /* KP_ID_BYTES: kp_module_id of the code (checked) */
    kp_key_alg owner_alg;    /* KP_ALG_NONE: no owner */
    const uint8_t *owner;    /* owner_len bytes, NULL when none */
    size_t owner_len;
    const uint8_t *code;
    size_t len;
} kp_snapshot_module;

/*
 * Writes a snapshot of st (opened read-only or not; read in one
 * transaction) into *out (*len bytes), freed with
 * kp_snapshot_bytes_free(*out, *len). since 0: every accepted capsule and
 * every registered module; since S: the capsules whose accept entry has
 * log index >= S (those a checkpoint of tree size S does not cover), and
 * the modules they name. The export checks that every parent comes before
 * its child in the file (else KP_E_STORE_CORRUPT). Fails with
 * KP_E_LOG_RANGE when since exceeds the log, KP_E_LIMIT past
 * KP_SNAPSHOT_MAX_BYTES, and the store's codes.
 */
KP_API int kp_snapshot_export(kp_store *st, uint64_t since, uint8_t **out, size_t *len,
                              kp_error *err);
/*
 * A module row the export leaves out: its id, the engine's code for why
 * its code is not a module, and the engine's message (valid during the
 * call).
 */
typedef void (*kp_snapshot_skip_fn)(void *ud, const uint8_t id[KP_ID_BYTES], int code,
                                    const char *msg);
/*
 * kp_snapshot_export, telling fn (may be NULL) about each registered
 * module it skips. A module row whose code the engine cannot decode or
 * validate (registered by a kapsule that did not check, e.g. an empty
 * file) can never run, so no accepted capsule depends on it: it is left
 * out rather than fail every export of the store for good (modules are
 * never deleted). It fails with KP_E_STORE_CORRUPT instead when an
 * exported capsule names such a module, or when a module's code does not
 * hash to its id (tampering: kapsule log verify reports it).
 */
KP_API int kp_snapshot_export_with(kp_store *st, uint64_t since, kp_snapshot_skip_fn fn,
                                   void *ud, uint8_t **out, size_t *len, kp_error *err);
KP_API void kp_snapshot_bytes_free(uint8_t *p, size_t len);
/*
 * The tree size of a checkpoint note (len bytes) of st's own log, for
 * kp_snapshot_export's since: the note must verify with the key the log is
 * bound to, name its origin, and its root must be the log's root at that
 * size. Fails with kp_checkpoint_verify's codes, KP_E_NOT_FOUND (the log
 * has no checkpoint yet), KP_E_LOG_RANGE (larger than the log),
 * KP_E_LOG_CHECKPOINT (another origin or root).
 */
KP_API KP_NODISCARD int kp_snapshot_since(kp_store *st, const char *note, size_t len,
                                          uint64_t *since, kp_error *err);
/*
 * Reads a snapshot (p borrowed; what is kept is copied) strictly, whole,
 * before anything is used: deterministic CBOR, the header's version and
 * fields, every count bounded by the bytes left, every record's shape,
 * each module's code against its id, the trailer's digest, nothing after
 * it. *out is freed with kp_snapshot_free. Fails with
 * KP_E_SNAPSHOT_TRUNCATED, _FORMAT (also for CBOR faults, named in the
 * message, with the offset), _VERSION, _MODULE, _DIGEST, _TRAILING,
 * KP_E_LIMIT over KP_SNAPSHOT_MAX_BYTES, KP_E_NOMEM.
 */
KP_API KP_NODISCARD int kp_snapshot_parse(const uint8_t *p, size_t len, kp_snapshot **out,
                                          kp_error *err);
KP_API void kp_snapshot_free(kp_snapshot *s);
/* The header (valid for the snapshot's life). */
KP_API const kp_snapshot_info *kp_snapshot_header(const kp_snapshot *s);
/* Module record i: 1 and *out (borrowing from s), or 0 when i is past the end. */
KP_API int kp_snapshot_module_at(const kp_snapshot *s, size_t i, kp_snapshot_module *out);
/* Capsule record i (a capsule file, *len bytes, borrowed from s), or NULL past the end. */
KP_API const uint8_t *kp_snapshot_capsule_at(const kp_snapshot *s, size_t i, size_t *len);

/* What kp_snapshot_import did. */
typedef struct kp_snapshot_report {
    size_t modules_added;  /* modules new to the store */
    size_t capsules_fed;   /* capsule records sent through the pipeline */
} kp_snapshot_report;

/*
 * Ingests a parsed snapshot through in's pipeline: each module with
 * kp_ingest_module_add, then the capsules in file order with
 * kp_ingest_capsule, in batches of batch inputs (0: 100; the modules count
 * in the first) sharing one commit each, then one checkpoint. Every capsule is verified and run again under in's policy;
 * fn (may be NULL) hears each outcome as kp_ingest_capsule reports them.
 * On failure (the store's codes), the failing capsule's unit is undone, the
 * capsules processed before it are committed and checkpointed, and the
 * code is returned: the store holds whole capsules only. *rep (may be
 * NULL) is filled in either case. in must not be inside a batch
 * (KP_E_STORE_TX).
 */
KP_API int kp_snapshot_import(kp_ingest *in, const kp_snapshot *s, size_t batch,
                              kp_ingest_fn fn, void *ud, kp_snapshot_report *rep,
                              kp_error *err);

/*
 * The store checked against its audit log (what kp_log_verify cannot see):
 * every stored capsule's bytes must hash to the SHA-256 its accept entry
 * records, parse, and have the id the entry and the row name, and the
 * columns and DAG edges stored beside them (type, author, creation time,
 * logic module, encrypted flag, parents) must be what the bytes say; every stored
 * result must match its entry's run (module, verdict, fuel, result hash,
 * transcript root, policy hash, and from entry version 2 on the SHA-256
 * of its reason text); every module's code must hash to its id; every
 * accept entry must have its capsule stored and every module entry its
 * module. What needs the runs replayed (balances, child storage) is not
 * checked here. Faults go to fn (places KP_LOG_AT_CAPSULE / _RESULT / _MODULE / _ENTRY,
 * index = the log entry) and are counted in rep->problems (rep may be
 * NULL; only problems is touched). KP_OK when all holds, else the first
 * fault's code (KP_E_INGEST_TAMPERED, KP_E_INGEST_ENTRY) with its message
 * in err; environment errors stop the walk.
 */
KP_API KP_NODISCARD int kp_runtime_verify(kp_store *st, kp_log_problem_fn fn, void *ud,
                                          kp_log_report *rep, kp_error *err);

/*
 * The ledger logic modules spend from (through ledger.spend handles).
 * Accounts are public keys' bytes (1..KP_PK_MAX_BYTES); an account never
 * credited holds 0. kp_ledger_credit is the operator's genesis: it adds
 * amount to an account and appends a "credit" entry to the audit log
 * ({"v": 1, "decision": "credit", "account": bstr, "amount": uint,
 * "balance": uint}, the balance after), both in one unit. *balance and
 * *log_index (either may be NULL) get the new balance and the entry's
 * index. Fails with KP_E_ARG (an empty or too long account, amount 0),
 * KP_E_LIMIT (the balance would pass 2^63 - 1), KP_E_STORE_READONLY and
 * the store's codes; on failure nothing changes.
 */
/* (kp_ledger_credit also fails with KP_E_LEDGER_ACCOUNT when the account
   is not a valid public key: 32 bytes an Ed25519 key of prime order, 33 or
   65 a P-256 or secp256k1 point; money is made only where it can be spent.) */
KP_API int kp_ledger_credit(kp_store *st, const uint8_t *account, size_t len, uint64_t amount,
                            uint64_t *balance, uint64_t *log_index, kp_error *err);
KP_API int kp_ledger_balance(kp_store *st, const uint8_t *account, size_t len, uint64_t *balance,
                             kp_error *err);

#ifdef __cplusplus
}
#endif
#endif /* KAPSULE_H */
