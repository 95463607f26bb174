/*
 * hash.c: RFC 9162 §2.1.1 hashing (leaf SHA-256(0x00 || entry), node
 * SHA-256(0x01 || left || right)) over libsodium, and the strict base64
 * the notes and proofs use.
 */
#include <string.h>

#include <sodium.h>

#include "log/log.h"

void kp_log_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[LOG_HASH])
{
    crypto_hash_sha256_state h;
    static const uint8_t leaf = 0x00;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, &leaf, 1);
    if (len) crypto_hash_sha256_update(&h, entry, len);
    crypto_hash_sha256_final(&h, out);
}

void log_node_hash(const uint8_t l[LOG_HASH], const uint8_t r[LOG_HASH], uint8_t out[LOG_HASH])
{
    uint8_t in[1 + 2 * LOG_HASH];
    in[0] = 0x01;
    memcpy(in + 1, l, LOG_HASH);
    memcpy(in + 1 + LOG_HASH, r, LOG_HASH);
    crypto_hash_sha256(out, in, sizeof in);
}

void log_empty_root(uint8_t out[LOG_HASH])
{
    crypto_hash_sha256(out, (const uint8_t *)"", 0);
}

uint64_t log_split(uint64_t n)
{
    /* n >= 2, so n - 1 >= 1 and its top bit is the largest power of two
       strictly below n */
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

int log_b64_append(buf *b, const uint8_t *p, size_t n)
{
    size_t enc = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    int rc = buf_reserve(b, enc);
    if (rc) return rc;
    sodium_bin2base64((char *)b->p + b->len, enc, p, n, sodium_base64_VARIANT_ORIGINAL);
    b->len += enc - 1; /* the NUL stays past len */
    return KP_OK;
}

int log_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
    const char *end = NULL;
    if (n == 0) return -1;
    /* With b64_end given, libsodium stops at the first character outside
       the alphabet; requiring it to be the end refuses everything else.
       It already refuses missing padding and non-zero leftover bits. */
    if (sodium_base642bin(out, cap, s, n, NULL, outlen, &end, sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    if (end != s + n) return -1;
    return 0;
}
