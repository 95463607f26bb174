/*
 * log.h: what the files of the audit log share. hash.c: RFC 9162 hashing;
 * tree.c: the stored tree (append, roots, proofs); proof.c: the offline
 * verifiers; note.c: C2SP signed notes and verifier keys; checkpoint.c:
 * tlog-checkpoint bodies and the stored checkpoints; verify.c: the full
 * recomputation behind kp_log_verify.
 */
#ifndef KP_LOG_LOG_H
#define KP_LOG_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"
#include "store/db.h"
#include "util/buf.h"

#define LOG_HASH KP_LOG_HASH_BYTES
/* Longest note kp_checkpoint_verify reads. */
#define LOG_NOTE_READ_MAX (64u * 1024u)
/* Most signature lines a note may carry (the Go sumdb limit). */
#define LOG_NOTE_SIGS_MAX 100
/* The em dash and space that open a signature line. */
#define LOG_NOTE_DASH "\xe2\x80\x94 "

/* ---- hash.c ---- */
/* SHA-256(0x01 || l || r); out may alias l or r. */
void log_node_hash(const uint8_t l[LOG_HASH], const uint8_t r[LOG_HASH], uint8_t out[LOG_HASH]);
/* The root of the empty tree: SHA-256 of nothing. */
void log_empty_root(uint8_t out[LOG_HASH]);
/* The largest power of two strictly below n (n >= 2): RFC 9162's k. */
uint64_t log_split(uint64_t n);
/* Standard padded base64 of n bytes, NUL-terminated, appended to b. Notes
   and checkpoints decode theirs with cry_base64_decode (padded). */
int log_b64_append(buf *b, const uint8_t *p, size_t n);

/* ---- tree.c (callers hold a snapshot or a write transaction) ---- */
int log_size_get(kp_store *st, uint64_t *size, kp_error *err);
int log_root_at(kp_store *st, uint64_t size, uint8_t root[LOG_HASH], kp_error *err);

/* ---- note.c ---- */
typedef struct log_vkey {
    char name[KP_LOG_ORIGIN_MAX + 1];
    size_t name_len;
    uint32_t id;
    uint8_t pk[KP_LOG_PK_BYTES];
} log_vkey;

/* 1 when s[0..n) is valid UTF-8 with no control character but '\n'. */
int log_text_valid(const char *s, size_t n);
/* 1 when s[0..n) is a note key name: 1..255 bytes of valid UTF-8, no
   Unicode space, no '+', no control character. */
int log_name_valid(const char *s, size_t n);
/* SHA-256(name || 0x0A || 0x01 || pk)[:4], big-endian. */
uint32_t log_key_id(const char *name, size_t n, const uint8_t pk[KP_LOG_PK_BYTES]);
int log_vkey_parse(const char *s, log_vkey *out, kp_error *err);
/*
 * Appends to out the signed note: text, a blank line and one signature
 * line by (name, sk). text must be non-empty, end in '\n' and pass
 * log_text_valid.
 */
int log_note_sign(const char *text, size_t len, const char *name,
                  const uint8_t sk[KP_LOG_SK_BYTES], buf *out, kp_error *err);
/*
 * Parses a signed note strictly and checks it against vk (see
 * kp_checkpoint_verify). On success *text_len is the length of the signed
 * text, which starts at msg.
 */
int log_note_open(const char *msg, size_t len, const log_vkey *vk, size_t *text_len,
                  kp_error *err);

/* ---- checkpoint.c ---- */
/* Appends "<origin>\n<size>\n<base64 root>\n". */
int log_checkpoint_body(const char *origin, uint64_t size, const uint8_t root[LOG_HASH],
                        buf *out);
/* Parses a checkpoint body (the note's signed text). */
int log_checkpoint_parse(const char *text, size_t len, kp_checkpoint *out, kp_error *err);

#endif
