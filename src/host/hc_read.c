/*
 * hc_read.c: reading what others wrote: "trust.read" (trust scores kept
 * by the configured trust module), "dag.read" (other capsules) and
 * "module.read" (own module id, module owners). Every value comes from the
 * world and is an oracle value of the transcript (world.c).
 */
#include <string.h>

#include "host/hc.h"

/*
 * Trust scores are what the trust module keeps in its child storage under
 * "score/" || public key: 8 bytes, little-endian, a fixed-point score in
 * millionths (1.0 = 1000000). Unknown keys score 0; with no trust module
 * configured, the call returns -E_NOT_FOUND.
 */
#define TRUST_PREFIX "score/"

int hc_get_trust_score(host_call *c, const kw_val *a, kw_val *res)
{
    uint32_t len = HOST_U32(a, 1);
    const uint8_t *pk;
    if (len == 0 || len > HOST_PK_MAX)
        return host_trap(c, KP_E_HOST_BAD_ARG, "get_trust_score: a key is 1..%d bytes", HOST_PK_MAX);
    int rc = host_in(c, HOST_U32(a, 0), len, &pk);
    if (rc) return rc;
    if (!c->run->cfg.has_trust_module) {
        res[0].i64 = host_neg64(KP_E_NOT_FOUND);
        return KP_OK;
    }
    uint8_t key[sizeof TRUST_PREFIX - 1 + HOST_PK_MAX];
    memcpy(key, TRUST_PREFIX, sizeof TRUST_PREFIX - 1);
    memcpy(key + sizeof TRUST_PREFIX - 1, pk, len);
    int found;
    const uint8_t *v;
    size_t vlen;
    rc = host_j_storage_get(c, c->run->cfg.trust_module, key, sizeof TRUST_PREFIX - 1 + len,
                            &found, &v, &vlen);
    if (rc) return rc;
    uint64_t score = 0;
    if (found && vlen == 8)
        for (int i = 7; i >= 0; i--) score = score << 8 | v[i];
    /* a negative or corrupt score reads as 0: trust never goes below none */
    res[0].i64 = (int64_t)score < 0 ? 0 : score;
    return KP_OK;
}

static int read_id(host_call *c, uint32_t ptr, uint8_t id[32])
{
    const uint8_t *p;
    int rc = host_in(c, ptr, 32, &p);
    if (rc == KP_OK) memcpy(id, p, 32);
    return rc;
}

typedef int (*dag_read_fn)(host_call *c, const uint8_t id[32], int *found, const uint8_t **p,
                           size_t *len);

static int dag_read(host_call *c, const kw_val *a, kw_val *res, dag_read_fn fn)
{
    uint8_t id[32];
    int found;
    const uint8_t *p;
    size_t len;
    int rc = read_id(c, HOST_U32(a, 0), id);
    if (!rc) rc = fn(c, id, &found, &p, &len);
    if (rc) return rc;
    if (!found) {
        res[0].i32 = host_neg32(KP_E_NOT_FOUND);
        return KP_OK;
    }
    int32_t n;
    rc = host_out_fit(c, HOST_U32(a, 1), HOST_U32(a, 2), p, len, &n);
    res[0].i32 = (uint32_t)n;
    return rc;
}

int hc_dag_metadata(host_call *c, const kw_val *a, kw_val *res)
{
    return dag_read(c, a, res, host_w_dag_meta);
}

int hc_dag_parents(host_call *c, const kw_val *a, kw_val *res)
{
    return dag_read(c, a, res, host_w_dag_parents);
}

static int children(host_call *c, const uint8_t id[32], int *found, const uint8_t **p,
                    size_t *len)
{
    *found = 1; /* a capsule nobody answered has no children, not an error */
    return host_w_dag_children(c, id, p, len);
}

int hc_dag_children(host_call *c, const kw_val *a, kw_val *res)
{
    return dag_read(c, a, res, children);
}

int hc_module_self(host_call *c, const kw_val *a, kw_val *res)
{
    res[0].i32 = 32;
    return host_out(c, HOST_U32(a, 0), c->hi->module_id, 32);
}

int hc_module_owner(host_call *c, const kw_val *a, kw_val *res)
{
    uint8_t id[32];
    int found;
    host_module_info info;
    int rc = read_id(c, HOST_U32(a, 0), id);
    if (!rc) rc = host_w_module_info(c, id, &found, &info);
    if (rc) return rc;
    if (!found || info.owner_alg == KP_ALG_NONE || info.owner_len == 0) {
        res[0].i32 = host_neg32(KP_E_NOT_FOUND);
        return KP_OK;
    }
    int32_t n;
    rc = host_out_fit(c, HOST_U32(a, 1), HOST_U32(a, 2), info.owner, info.owner_len, &n);
    res[0].i32 = (uint32_t)n;
    return rc;
}
