/*
 * hash.c: RFC 9162 §2.1.1 hashing (leaf SHA-256(0x00 || entry), node
 * SHA-256(0x01 || left || right)), and the base64 the notes and proofs
 * write. SHA-256 and base64 are crypto/'s (its decoder is the strict one).
 */
#include <string.h>

#include "crypto/crypto.h"
#include "log/log.h"

void kp_log_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[LOG_HASH])
{
    cry_sha256_ctx h;
    static const uint8_t leaf = 0x00;
    cry_sha256_init(&h);
    cry_sha256_update(&h, &leaf, 1);
    cry_sha256_update(&h, entry, len);
    cry_sha256_final(&h, out);
}

void log_node_hash(const uint8_t l[LOG_HASH], const uint8_t r[LOG_HASH], uint8_t out[LOG_HASH])
{
    uint8_t in[1 + 2 * LOG_HASH];
    in[0] = 0x01;
    memcpy(in + 1, l, LOG_HASH);
    memcpy(in + 1 + LOG_HASH, r, LOG_HASH);
    cry_sha256(out, in, sizeof in);
}

void log_empty_root(uint8_t out[LOG_HASH])
{
    cry_sha256(out, "", 0);
}

uint64_t log_split(uint64_t n)
{
    /* n >= 2, so n - 1 >= 1 and its top bit is the largest power of two
       strictly below n */
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

int log_b64_append(buf *b, const uint8_t *p, size_t n)
{
    int rc = buf_reserve(b, CRY_BASE64_LEN(n));
    if (rc) return rc;
    b->len += cry_base64((char *)b->p + b->len, p, n, 1); /* the NUL stays past len */
    return KP_OK;
}
