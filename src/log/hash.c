/*
 * hash.c: the log's names for RFC 9162 §2.1.1 hashing, which crypto/merkle.c
 * owns (the transcripts hash their trees with it too), and the base64 the
 * notes and proofs write (crypto/'s; its decoder is the strict one).
 */
#include <string.h>

#include "crypto/crypto.h"
#include "log/log.h"

void kp_log_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[LOG_HASH])
{
    cry_merkle_leaf(entry, len, out);
}

void log_node_hash(const uint8_t l[LOG_HASH], const uint8_t r[LOG_HASH], uint8_t out[LOG_HASH])
{
    cry_merkle_node(l, r, out);
}

void log_empty_root(uint8_t out[LOG_HASH])
{
    cry_merkle_empty(out);
}

uint64_t log_split(uint64_t n)
{
    return cry_merkle_split(n);
}

int log_b64_append(buf *b, const uint8_t *p, size_t n)
{
    int rc = buf_reserve(b, CRY_BASE64_LEN(n));
    if (rc) return rc;
    b->len += cry_base64((char *)b->p + b->len, p, n, 1); /* the NUL stays past len */
    return KP_OK;
}
