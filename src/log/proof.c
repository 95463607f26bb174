/*
 * proof.c: the offline proof verifiers, RFC 9162 §2.1.3.2 (inclusion) and
 * §2.1.4.2 (consistency), step by step as the RFC writes them. They touch
 * no store: receipts use them to check a proof against a checkpoint.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "log/log.h"
#include "util/error.h"

static int same(const uint8_t a[LOG_HASH], const uint8_t b[LOG_HASH])
{
    return cry_equal(a, b, LOG_HASH);
}

int kp_log_verify_inclusion(uint64_t index, uint64_t tree_size, const uint8_t leaf[LOG_HASH],
                            const uint8_t (*proof)[LOG_HASH], size_t count,
                            const uint8_t root[LOG_HASH], kp_error *err)
{
    uint8_t r[LOG_HASH];
    if (index >= tree_size)
        return err_set(err, KP_E_LOG_RANGE, "entry %llu is not in a tree of size %llu",
                       (unsigned long long)index, (unsigned long long)tree_size);
    uint64_t fn = index, sn = tree_size - 1;
    memcpy(r, leaf, LOG_HASH);
    for (size_t i = 0; i < count; i++) {
        if (sn == 0)
            return err_set(err, KP_E_LOG_PROOF_LENGTH,
                           "inclusion proof has %zu hashes, more than a tree of size %llu "
                           "needs",
                           count, (unsigned long long)tree_size);
        if ((fn & 1) || fn == sn) {
            log_node_hash(proof[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            log_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return err_set(err, KP_E_LOG_PROOF_LENGTH,
                       "inclusion proof has %zu hashes, fewer than a tree of size %llu needs",
                       count, (unsigned long long)tree_size);
    if (!same(r, root))
        return err_set(err, KP_E_LOG_PROOF,
                       "inclusion proof for entry %llu does not lead to the root of size %llu",
                       (unsigned long long)index, (unsigned long long)tree_size);
    return KP_OK;
}

int kp_log_verify_consistency(uint64_t old_size, uint64_t new_size,
                              const uint8_t old_root[LOG_HASH], const uint8_t new_root[LOG_HASH],
                              const uint8_t (*proof)[LOG_HASH], size_t count, kp_error *err)
{
    uint8_t fr[LOG_HASH], sr[LOG_HASH], empty[LOG_HASH];
    if (old_size > new_size)
        return err_set(err, KP_E_LOG_RANGE, "old size %llu is larger than new size %llu",
                       (unsigned long long)old_size, (unsigned long long)new_size);
    if (old_size == new_size || old_size == 0) {
        /* nothing to prove but the roots: a tree is consistent with itself,
           and every tree with the empty one */
        if (count != 0)
            return err_set(err, KP_E_LOG_PROOF_LENGTH,
                           "consistency proof from size %llu to %llu must be empty",
                           (unsigned long long)old_size, (unsigned long long)new_size);
        log_empty_root(empty);
        if (old_size == 0 ? !same(old_root, empty) : !same(old_root, new_root))
            return err_set(err, KP_E_LOG_PROOF, "roots of sizes %llu and %llu disagree",
                           (unsigned long long)old_size, (unsigned long long)new_size);
        return KP_OK;
    }
    if (count == 0)
        return err_set(err, KP_E_LOG_PROOF_LENGTH, "empty consistency proof");
    /* step 2: a complete old tree is its own first hash */
    int prepend = (old_size & (old_size - 1)) == 0;
    size_t total = count + (size_t)prepend;
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, prepend ? old_root : proof[0], LOG_HASH);
    memcpy(sr, fr, LOG_HASH);
    for (size_t i = 1; i < total; i++) {
        const uint8_t *c = proof[i - (size_t)prepend];
        if (sn == 0)
            return err_set(err, KP_E_LOG_PROOF_LENGTH,
                           "consistency proof has %zu hashes, more than sizes %llu to %llu "
                           "need",
                           count, (unsigned long long)old_size, (unsigned long long)new_size);
        if ((fn & 1) || fn == sn) {
            log_node_hash(c, fr, fr);
            log_node_hash(c, sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            log_node_hash(sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return err_set(err, KP_E_LOG_PROOF_LENGTH,
                       "consistency proof has %zu hashes, fewer than sizes %llu to %llu need",
                       count, (unsigned long long)old_size, (unsigned long long)new_size);
    if (!same(fr, old_root) || !same(sr, new_root))
        return err_set(err, KP_E_LOG_PROOF,
                       "consistency proof does not lead from the root of size %llu to the "
                       "root of size %llu",
                       (unsigned long long)old_size, (unsigned long long)new_size);
    return KP_OK;
}
