/*
 * hc_storage.c: capability "storage", the module's own child storage. The
 * key space is (module id, key) and the host supplies the module id of
 * the calling instance: a guest names keys only, so no module can ever
 * reach another module's keys. Writes go to the run's journal.
 */
#include "host/hc.h"

static int read_key(host_call *c, const kw_val *a, const uint8_t **key, uint32_t *klen)
{
    *klen = HOST_U32(a, 1);
    if (*klen > HOST_KEY_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "%s: key of %u bytes, at most %d", c->fn->name, *klen,
                         HOST_KEY_MAX);
    return host_in(c, HOST_U32(a, 0), *klen, key);
}

int hc_storage_get(host_call *c, const kw_val *a, kw_val *res)
{
    const uint8_t *key, *val;
    uint32_t klen;
    size_t vlen;
    int found;
    int rc = read_key(c, a, &key, &klen);
    if (!rc) rc = host_j_storage_get(c, c->hi->module_id, key, klen, &found, &val, &vlen);
    if (rc) return rc;
    if (!found) {
        res[0].i32 = host_neg32(KP_E_NOT_FOUND);
        return KP_OK;
    }
    int32_t n;
    rc = host_out_fit(c, HOST_U32(a, 2), HOST_U32(a, 3), val, vlen, &n);
    res[0].i32 = (uint32_t)n;
    return rc;
}

int hc_storage_put(host_call *c, const kw_val *a, kw_val *res)
{
    const uint8_t *key, *val;
    uint32_t klen, vlen = HOST_U32(a, 3);
    int rc = read_key(c, a, &key, &klen);
    if (rc) return rc;
    if (vlen > HOST_VALUE_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "storage_put: value of %u bytes, at most %u", vlen,
                         HOST_VALUE_MAX);
    if ((rc = host_in(c, HOST_U32(a, 2), vlen, &val))) return rc;
    if (host_j_storage_put(&c->run->j, c->hi->module_id, key, klen, val, vlen))
        return host_trap(c, KP_E_NOMEM, "out of memory");
    res[0].i32 = 0;
    return KP_OK;
}

int hc_storage_delete(host_call *c, const kw_val *a, kw_val *res)
{
    const uint8_t *key;
    uint32_t klen;
    int existed;
    int rc = read_key(c, a, &key, &klen);
    if (!rc) rc = host_j_storage_del(c, c->hi->module_id, key, klen, &existed);
    if (rc) return rc;
    res[0].i32 = existed ? 0 : host_neg32(KP_E_NOT_FOUND);
    return KP_OK;
}
