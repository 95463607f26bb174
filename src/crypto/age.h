/*
 * age.h: the age v1 file format (age-encryption.org/v1, c2sp.org/age) for
 * X25519 recipients, and the Bech32 strings of its keys (BIP 173, without
 * its 90-character limit, as age specifies).
 *
 * An age file is a text header (version line, one "-> " stanza per
 * recipient, "--- " and the header's HMAC) followed by a binary payload: a
 * 16-byte nonce and the plaintext in 64 KiB chunks, each sealed with
 * ChaCha20-Poly1305 under a counter nonce whose last byte marks the final
 * chunk. kapsule writes the binary form; it reads the binary form and the
 * PEM armor ("-----BEGIN AGE ENCRYPTED FILE-----").
 *
 * Everything works on whole buffers: capsule bodies are read whole, and a
 * file decrypts completely or not at all (no partial plaintext escapes).
 * Codes: KP_E_AGE_HEADER (syntax, non-canonical base64, a bad X25519
 * stanza), KP_E_AGE_VERSION, KP_E_LIMIT (header or stanza count over the
 * limits below, output over max_out), KP_E_NOT_RECIPIENT, KP_E_KEY_WEAK (a
 * stanza whose share gives the all-zero secret), KP_E_AGE_MAC,
 * KP_E_AGE_PAYLOAD, KP_E_AGE_ARMOR, KP_E_AGE_KEY. Offsets in err point
 * into the (binary) input.
 */
#ifndef KP_CRYPTO_AGE_H
#define KP_CRYPTO_AGE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "util/buf.h"

#define CRY_AGE_FILE_KEY_BYTES 16
#define CRY_AGE_NONCE_BYTES 16
#define CRY_AGE_CHUNK_BYTES 65536
#define CRY_AGE_ENC_CHUNK_BYTES (CRY_AGE_CHUNK_BYTES + CRY_CHACHA_TAG_BYTES)
#define CRY_AGE_LINE_COLUMNS 64
/* Limits on untrusted headers: bytes through the MAC line, and stanzas. */
#define CRY_AGE_HEADER_MAX (256 * 1024)
#define CRY_AGE_STANZAS_MAX 1024
/* Bech32 strings longer than this are refused before any work. */
#define CRY_BECH32_MAX 1024

/* ---- Bech32 (bech32.c) ---- */

/*
 * Encodes hrp (lowercase, 1..83 printable characters) and data as Bech32,
 * all upper case when upper is set (the checksum is always over the
 * lowercase form). KP_E_LIMIT if out (outsize bytes, NUL included) is
 * too small, KP_E_ARG for a bad hrp.
 */
int cry_bech32_encode(char *out, size_t outsize, const char *hrp, const uint8_t *data,
                      size_t len, int upper, kp_error *err);
/*
 * Decodes s (slen characters): refuses mixed case, characters outside
 * 33..126, a bad checksum, and padding that is not zero bits (all
 * KP_E_AGE_KEY). hrp receives the lowercase human-readable part (NUL
 * terminated, hrpsize bytes at most), data at most datamax bytes.
 */
int cry_bech32_decode(const char *s, size_t slen, char *hrp, size_t hrpsize, uint8_t *data,
                      size_t datamax, size_t *datalen, kp_error *err);

/* ---- age key strings (age.c) ---- */

/* "age1..." for an X25519 public key, and back (KP_E_AGE_KEY unless the
   string is Bech32 with HRP "age" and 32 bytes of data). */
void cry_age_recipient_format(char out[KP_AGE_RECIPIENT_BYTES],
                              const uint8_t pk[CRY_X25519_BYTES]);
int cry_age_recipient_parse(const char *s, size_t slen, uint8_t pk[CRY_X25519_BYTES],
                            kp_error *err);
/* "AGE-SECRET-KEY-1..." for an X25519 secret key, and back. */
void cry_age_identity_format(char out[KP_AGE_SECRET_BYTES], const uint8_t sk[CRY_X25519_BYTES]);
int cry_age_identity_parse(const char *s, size_t slen, uint8_t sk[CRY_X25519_BYTES],
                           kp_error *err);

/* ---- the header (age_header.c) ---- */

/* A stanza, as offsets into the parsed input. */
typedef struct cry_age_stanza {
    size_t off;                /* the "-> " line */
    size_t argc;               /* arguments, the type included */
    size_t type_off, type_len; /* first argument */
    size_t arg1_off, arg1_len; /* second argument when argc >= 2 */
    size_t body_off, body_len; /* the body lines, line feeds included */
    size_t body_bytes;         /* decoded body size */
} cry_age_stanza;

typedef struct cry_age_header {
    size_t len;     /* header bytes, through the MAC line's LF: the payload starts here */
    size_t mac_len; /* bytes covered by the MAC: through "---" */
    uint8_t mac[CRY_HMAC_SHA256_BYTES];
    size_t n; /* stanzas */
    cry_age_stanza *st;
    size_t cap;
} cry_age_header;

/*
 * Parses the header at the start of in: syntax (the ABNF of the spec, with
 * canonical unpadded base64 in every body and in the MAC) and limits. It
 * does not interpret stanzas. On success *h owns an array freed by
 * cry_age_header_free (which accepts a zeroed header).
 */
int cry_age_header_parse(const uint8_t *in, size_t len, cry_age_header *h, kp_error *err);
void cry_age_header_free(cry_age_header *h);
/* Decodes a stanza's body into out (outmax bytes); KP_E_AGE_HEADER if it
   does not fit. */
int cry_age_stanza_body(const uint8_t *in, const cry_age_stanza *s, uint8_t *out, size_t outmax,
                        size_t *outlen, kp_error *err);
/* 1 when the stanza's type (first argument) is the string t. */
int cry_age_stanza_is(const uint8_t *in, const cry_age_stanza *s, const char *t);

/* ---- armor (age_armor.c) ---- */

/* 1 when in starts, after optional white space, with the PEM begin line. */
int cry_age_is_armored(const uint8_t *in, size_t len);
/* Strict RFC 7468 decoding of an armored age file (LF or CRLF; white space
   only around the block; 64-column lines; canonical padded base64): the
   binary file is appended to out. KP_E_AGE_ARMOR otherwise. */
int cry_age_dearmor(const uint8_t *in, size_t len, buf *out, kp_error *err);

/* ---- files (age.c) ---- */

/* What the header of an age file says, without any key. */
typedef struct cry_age_info {
    size_t header_len;     /* bytes of the header */
    size_t stanzas;        /* recipient stanzas of any type */
    size_t x25519_stanzas; /* of type X25519 */
    size_t payload_len;    /* bytes after the header (nonce and chunks) */
} cry_age_info;
int cry_age_inspect(const uint8_t *in, size_t len, cry_age_info *info, kp_error *err);

/*
 * Encrypts pt to n (1..CRY_AGE_STANZAS_MAX) X25519 recipients, appending
 * the binary age file to out. A fresh file key, payload nonce and
 * ephemeral key per stanza come from cry_random. KP_E_KEY_WEAK if a
 * recipient is a small-order point; out is unchanged on failure.
 */
int cry_age_encrypt(const uint8_t (*recipients)[CRY_X25519_BYTES], size_t n, const uint8_t *pt,
                    size_t len, buf *out, kp_error *err);
/*
 * Decrypts an age file (binary or armored) with the X25519 identity sk,
 * appending at most max_out plaintext bytes to out (KP_E_LIMIT beyond).
 * The header MAC is checked before any payload is opened, and every chunk
 * must authenticate; on any failure the appended bytes are wiped and out
 * is as it was.
 */
int cry_age_decrypt(const uint8_t sk[CRY_X25519_BYTES], const uint8_t *in, size_t len,
                    size_t max_out, buf *out, kp_error *err);

#endif
