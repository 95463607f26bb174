/*
 * merkle.c: RFC 9162 §2.1.1 tree hashing, the one owner of it: the audit
 * log (log/) and run transcripts (host/) hash their trees with these, so
 * that a receipt's transcript root and a log's root are computed the same
 * way. Leaf SHA-256(0x00 || entry), node SHA-256(0x01 || left || right),
 * the empty tree SHA-256 of nothing.
 */
#include <string.h>

#include "crypto/crypto.h"

void cry_merkle_leaf(const void *entry, size_t len, uint8_t out[CRY_SHA256_BYTES])
{
    cry_sha256_ctx h;
    static const uint8_t leaf = 0x00;
    cry_sha256_init(&h);
    cry_sha256_update(&h, &leaf, 1);
    cry_sha256_update(&h, entry, len);
    cry_sha256_final(&h, out);
}

void cry_merkle_node(const uint8_t l[CRY_SHA256_BYTES], const uint8_t r[CRY_SHA256_BYTES],
                     uint8_t out[CRY_SHA256_BYTES])
{
    uint8_t in[1 + 2 * CRY_SHA256_BYTES];
    in[0] = 0x01;
    memcpy(in + 1, l, CRY_SHA256_BYTES);
    memcpy(in + 1 + CRY_SHA256_BYTES, r, CRY_SHA256_BYTES);
    cry_sha256(out, in, sizeof in);
}

void cry_merkle_empty(uint8_t out[CRY_SHA256_BYTES])
{
    cry_sha256(out, "", 0);
}

uint64_t cry_merkle_split(uint64_t n)
{
    /* n >= 2, so n - 1 >= 1 and its top bit is the largest power of two
       strictly below n */
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH of leaves [lo, lo + n), n >= 1; depth log2(n). */
static void mth(cry_merkle_leaf_fn leaf, void *ud, uint64_t lo, uint64_t n,
                uint8_t out[CRY_SHA256_BYTES])
{
    if (n == 1) {
        leaf(ud, lo, out);
        return;
    }
    uint64_t k = cry_merkle_split(n);
    uint8_t l[CRY_SHA256_BYTES], r[CRY_SHA256_BYTES];
    mth(leaf, ud, lo, k, l);
    mth(leaf, ud, lo + k, n - k, r);
    cry_merkle_node(l, r, out);
}

void cry_merkle_root(uint64_t n, cry_merkle_leaf_fn leaf, void *ud, uint8_t out[CRY_SHA256_BYTES])
{
    if (n == 0)
        cry_merkle_empty(out);
    else
        mth(leaf, ud, 0, n, out);
}
