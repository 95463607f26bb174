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

/* Library version, e.g. "0.1.0". */
KP_API const char *kp_version(void);

/* ---- cbor ---------------------------------------------------------------- */

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
 * Writes key into the store as name (creating <store>/keys 0700 as needed).
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

/* ---- host interface and policy -------------------------------------------------- */

/* ---- store -------------------------------------------------------------------------- */

/* ---- audit log --------------------------------------------------------------------------- */

/* ---- runtime ---------------------------------------------------------------------------------- */

#ifdef __cplusplus
}
#endif
#endif /* KAPSULE_H */
