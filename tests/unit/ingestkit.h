/*
 * ingestkit.h: what the ingest safety tests share (test-only): a scratch
 * root on tmpfs, a pipeline with a fixed policy (the blocklist guest may
 * read capsules, keep storage and submit results), capsules packed in
 * memory, and a digest of every table ingest writes.
 */
#ifndef KP_TEST_INGESTKIT_H
#define KP_TEST_INGESTKIT_H

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "faultloop.h"
#include "kapsule.h"

#define IK_NOW 1700000000
#define IK_ORIGIN "kapsule/ingest-safety"

static const char ik_policy[] =
    "{\"kapsule_policy\": 1, \"grants\": ["
    "{\"name\": \"moderation\", \"module\": \"*\", \"type\": \"comment\","
    " \"capabilities\": [\"capsule.read\", \"storage\", \"module.read\", \"result.submit\"]},"
    "{\"name\": \"updates\", \"module\": \"*\", \"type\": \"blocklist.update\","
    " \"capabilities\": [\"capsule.read\", \"storage\", \"module.read\", \"result.submit\"]},"
    "{\"name\": \"trust\", \"module\": \"*\", \"type\": \"trust\","
    " \"capabilities\": [\"capsule.read\", \"storage\", \"module.read\", \"result.submit\"]}]}";

/* {"terms": [term]} for a blocklist.update. */
static inline size_t ik_update_body(const char *term, uint8_t *out)
{
    size_t n = strlen(term), k = 0;
    memcpy(out, "\xa1\x65terms\x81", 8);
    k = 8;
    out[k++] = (uint8_t)(0x60 + n); /* terms here are under 24 bytes */
    memcpy(out + k, term, n);
    return k + n;
}

/* {"target": target (32 bytes), "weight": w} for the trust guest (w < 24). */
static inline size_t ik_trust_body(const uint8_t target[32], unsigned w, uint8_t out[64])
{
    memcpy(out, "\xa2\x66target\x58\x20", 10);
    memcpy(out + 10, target, 32);
    memcpy(out + 42, "\x66weight", 7);
    out[49] = (uint8_t)w;
    return 50;
}

static inline kp_ingest *ik_pipeline(kp_store *st, kp_policy **pol, kp_error *err)
{
    kp_ingest *in = NULL;
    kp_ingest_opts o;
    if (!*pol && kp_policy_parse((const uint8_t *)ik_policy, sizeof ik_policy - 1, pol, err))
        return NULL;
    memset(&o, 0, sizeof o);
    o.policy = *pol;
    o.now = IK_NOW;
    o.origin = IK_ORIGIN;
    o.no_keys = 1;
    if (kp_ingest_new(st, &o, &in, err)) return NULL;
    return in;
}

/* A capsule packed once and kept as bytes. */
typedef struct ik_caps {
    uint8_t id[32];
    uint8_t *bytes;
    size_t len;
} ik_caps;

static inline int ik_pack(kp_key *k, const char *type, const uint8_t *body, size_t blen,
                          const uint8_t (*parents)[32], size_t np, const uint8_t *logic,
                          int64_t created, ik_caps *out)
{
    kp_capsule_pack_opts o;
    kp_capsule *c = NULL;
    kp_error e;
    size_t len;
    memset(&o, 0, sizeof o);
    o.type = type;
    o.author = k;
    o.body = body;
    o.body_len = blen;
    o.parents = parents;
    o.parent_count = np;
    o.logic = logic;
    o.created = created;
    if (kp_capsule_pack(&o, NULL, &c, &e)) return -1;
    const uint8_t *b = kp_capsule_bytes(c, &len);
    out->bytes = malloc(len);
    memcpy(out->bytes, b, len);
    out->len = len;
    memcpy(out->id, kp_capsule_id(c), 32);
    kp_capsule_free(c);
    return 0;
}

static inline int ik_pack_text(kp_key *k, const char *type, const char *body,
                               const uint8_t (*parents)[32], size_t np, const uint8_t *logic,
                               int64_t created, ik_caps *out)
{
    return ik_pack(k, type, (const uint8_t *)body, strlen(body), parents, np, logic, created, out);
}

/* Every table ingest, modules and the ledger write, then the log. */
static inline int ik_digest(kp_store *st, crypto_hash_sha256_state *h, kp_error *err)
{
    static const char *const q[] = {
        "SELECT * FROM capsules ORDER BY seq",
        "SELECT * FROM edges ORDER BY child, parent",
        "SELECT * FROM results ORDER BY capsule",
        "SELECT * FROM pending ORDER BY seq",
        "SELECT * FROM pending_waits ORDER BY want, pending",
        "SELECT * FROM kv ORDER BY module, key",
        "SELECT * FROM modules ORDER BY id",
        "SELECT * FROM ledger_balances ORDER BY account",
        "SELECT * FROM ledger_transfers ORDER BY seq",
        "SELECT * FROM ledger_nonces ORDER BY author, nonce",
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        int rc = faultloop_sql_digest(st, q[i], h, err);
        if (rc) return rc;
    }
    return faultloop_log_digest(st, h, err);
}

#endif
