/*
 * snapshot_fuzz.c: the snapshot reader (kp_snapshot_parse) on untrusted
 * bytes: `kapsule import` reads files from anywhere. It must return a
 * status, never crash, and whatever it accepts must hold what the header
 * promises: every record reachable, every module's code hashing to its id,
 * every capsule within the capsule size limit. Each input is read twice:
 * as it is, and with a correct trailer appended (its SHA-256), so that
 * mutations get past the digest and reach the record checks behind it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kapsule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    /* data || {"sha256": SHA-256(data)} */
    uint8_t *fixed = malloc(size + 42);
    if (!fixed) return 0;
    if (size) memcpy(fixed, data, size);
    static const uint8_t head[10] = {0xa1, 0x66, 's', 'h', 'a', '2', '5', '6', 0x58, 0x20};
    memcpy(fixed + size, head, sizeof head);
    crypto_hash_sha256(fixed + size + sizeof head, data, size);
    one(fixed, size + 42);
    free(fixed);
    return 0;
}

static void one(const uint8_t *data, size_t size)
{
    kp_snapshot *s = NULL;
    kp_error err;
    int rc = kp_snapshot_parse(data, size, &s, &err);
    if (rc != KP_OK) {
        /* a refusal carries one of the reader's codes */
        if (rc != KP_E_NOMEM && rc != KP_E_LIMIT &&
            (rc < KP_E_SNAPSHOT_FORMAT || rc > KP_E_SNAPSHOT_DIGEST))
            abort();
        return;
    }
    const kp_snapshot_info *h = kp_snapshot_header(s);
    if (h->version != KP_SNAPSHOT_VERSION || h->since > h->log_size) abort();
    if (h->origin && strlen(h->origin) > KP_LOG_ORIGIN_MAX) abort();
    kp_snapshot_module m;
    for (size_t i = 0; i < h->modules; i++) {
        if (!kp_snapshot_module_at(s, i, &m)) abort();
        uint8_t id[KP_ID_BYTES];
        kp_module_id(m.code, m.len, id);
        if (memcmp(id, m.id, KP_ID_BYTES) != 0) abort();
        if ((m.owner_alg == KP_ALG_NONE) != (m.owner == NULL)) abort();
    }
    if (kp_snapshot_module_at(s, h->modules, &m)) abort();
    size_t len;
    for (size_t i = 0; i < h->capsules; i++) {
        const uint8_t *c = kp_snapshot_capsule_at(s, i, &len);
        if (!c || len == 0 || len > KP_CAPSULE_MAX_BYTES) abort();
    }
    if (kp_snapshot_capsule_at(s, h->capsules, &len)) abort();
    kp_snapshot_free(s);
}
