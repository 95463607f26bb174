/*
 * key.h: the inside of a kp_key (an identity: a signing key and an X25519
 * key for receiving), for the key store files and for the capsule layer,
 * which signs with kp_key_sign and decrypts with cry_key_age_decrypt.
 */
#ifndef KP_CRYPTO_KEY_H
#define KP_CRYPTO_KEY_H

#include "crypto/crypto.h"
#include "util/buf.h"

struct kp_key {
    char name[KP_KEY_NAME_MAX + 1]; /* "" until saved or loaded */
    kp_key_alg alg;                 /* KP_ALG_NONE: receive-only */
    /* Ed25519: libsodium's 64-byte secret (seed || public); ECDSA: the
       32-byte scalar. Wiped by kp_key_free. */
    uint8_t sign_sk[CRY_ED25519_SK_BYTES];
    uint8_t sign_pk[CRY_ECDSA_PK_BYTES]; /* canonical: 32 or 33 bytes */
    size_t sign_pk_len;
    uint8_t x_sk[CRY_X25519_BYTES];
    uint8_t x_pk[CRY_X25519_BYTES];
};

/*
 * A key from its secrets: sign_secret is the 32-byte Ed25519 seed or ECDSA
 * scalar (NULL for KP_ALG_NONE), x_sk the X25519 secret. Publics are
 * derived. KP_E_KEY_INVALID for an ECDSA scalar outside [1, n-1].
 */
int cry_key_from_secrets(kp_key_alg alg, const uint8_t *sign_secret,
                         const uint8_t x_sk[CRY_X25519_BYTES], kp_key **out, kp_error *err);
/* The 32-byte signing secret as stored (seed or scalar); NULL for none. */
const uint8_t *cry_key_sign_secret(const kp_key *k);
/* Sets the name (already validated). */
void cry_key_set_name(kp_key *k, const char *name);
/* cry_age_decrypt with the key's X25519 identity. */
int cry_key_age_decrypt(const kp_key *k, const uint8_t *in, size_t len, size_t max_out, buf *out,
                        kp_error *err);

/* ---- the key file formats (keyfile.c) ---- */

/* Limit on a key file or an imported secret. */
#define CRY_KEYFILE_MAX (64 * 1024)
/* The JSON text of NAME.key (secret) or NAME.pub, ending in a newline;
   *out from mem_alloc, *len bytes plus a NUL: free with kp_key_text_free. */
int cry_keyfile_write(const kp_key *k, int secret, char **out, size_t *len, kp_error *err);
/* Parses the secret JSON form (see kapsule.h); KP_E_KEY_FILE when it is
   malformed, has unknown or missing members, or its publics do not match. */
int cry_keyfile_parse(const uint8_t *data, size_t len, kp_key **out, kp_error *err);
/*
 * Reads and parses the secret key file at path, checked as every secret
 * key file is (the store's NAME.key and the node's node.key alike, so that
 * one fault gets one code whichever way it is reached): a missing or
 * unreadable file is an environment error (E_NO_FILE, E_PERMISSION, E_IO:
 * exit 3); one readable by group or others is E_KEY_PERMISSIONS; anything
 * that is not a well-formed key file (not a regular file, too large,
 * malformed) is E_KEY_FILE. *out is freed with kp_key_free.
 */
int cry_keyfile_load(const char *path, kp_key **out, kp_error *err);
/* Parses age's identity file format: one AGE-SECRET-KEY-1 line, with '#'
   comments and blank lines; a receive-only key. KP_E_AGE_KEY otherwise. */
int cry_keyfile_parse_age(const uint8_t *data, size_t len, kp_key **out, kp_error *err);

#endif
