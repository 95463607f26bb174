/*
 * map.c: the host's byte-string map (see map.h). Open addressing with
 * linear probing over an index of entry numbers; the index is at most
 * half full. Guests choose keys, so the hash is SipHash (cry_shorthash)
 * under a random key per map: a guest cannot make its
 * keys collide on purpose to slow the host down.
 */
#include "host/map.h"

#include <string.h>

#include "crypto/crypto.h"
#include "kapsule.h"
#include "util/alloc.h"

static uint64_t hash(const host_map *m, const void *p, size_t n)
{
    uint8_t out[CRY_SHORTHASH_BYTES];
    cry_shorthash(out, p, n, m->hkey);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h;
}

static size_t find_slot(const host_map *m, const void *key, size_t klen, int *hit)
{
    size_t mask = m->icap - 1;
    size_t i = (size_t)hash(m, key, klen) & mask;
    for (;;) {
        uint32_t e = m->index[i];
        if (e == 0) {
            *hit = 0;
            return i;
        }
        const host_map_ent *x = &m->ents[e - 1];
        if (x->klen == klen && (klen == 0 || memcmp(x->key, key, klen) == 0)) {
            *hit = 1;
            return i;
        }
        i = (i + 1) & mask;
    }
}

host_map_ent *host_map_get(const host_map *m, const void *key, size_t klen)
{
    int hit;
    if (!m->icap) return NULL;
    size_t i = find_slot(m, key, klen, &hit);
    return hit ? &m->ents[m->index[i] - 1] : NULL;
}

static int grow_index(host_map *m)
{
    size_t ncap = m->icap ? m->icap * 2 : 16;
    if (!m->icap) cry_random(m->hkey, sizeof m->hkey);
    uint32_t *ni = mem_calloc(ncap, sizeof *ni);
    if (!ni) return KP_E_NOMEM;
    uint32_t *old = m->index;
    size_t ocap = m->icap;
    m->index = ni;
    m->icap = ncap;
    for (size_t e = 0; e < m->n; e++) {
        int hit;
        size_t i = find_slot(m, m->ents[e].key, m->ents[e].klen, &hit);
        m->index[i] = (uint32_t)(e + 1);
    }
    mem_free(old, ocap * sizeof *old);
    return KP_OK;
}

static int set_val(host_map_ent *x, const void *val, size_t vlen)
{
    if (vlen && vlen == x->vlen) {
        /* same size: in place, so that overwriting never fails */
        memcpy(x->val, val, vlen);
        return KP_OK;
    }
    uint8_t *nv = NULL;
    if (vlen) {
        nv = mem_alloc(vlen);
        if (!nv) return KP_E_NOMEM;
        memcpy(nv, val, vlen);
    }
    mem_free(x->val, x->vlen);
    x->val = nv;
    x->vlen = vlen;
    return KP_OK;
}

int host_map_put(host_map *m, const void *key, size_t klen, const void *val, size_t vlen)
{
    host_map_ent *x = host_map_get(m, key, klen);
    if (x) {
        int rc = set_val(x, val, vlen);
        if (rc) return rc;
        x->live = 1;
        return KP_OK;
    }
    if (m->n >= UINT32_MAX - 1) return KP_E_NOMEM;
    if ((m->n + 1) * 2 > m->icap && grow_index(m)) return KP_E_NOMEM;
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16, bytes;
        if (!size_mul(nc, sizeof *m->ents, &bytes)) return KP_E_NOMEM;
        host_map_ent *ne = mem_realloc(m->ents, m->cap * sizeof *m->ents, bytes);
        if (!ne) return KP_E_NOMEM;
        m->ents = ne;
        m->cap = nc;
    }
    x = &m->ents[m->n];
    memset(x, 0, sizeof *x);
    x->key = mem_alloc(klen ? klen : 1);
    if (!x->key) return KP_E_NOMEM;
    if (klen) memcpy(x->key, key, klen);
    x->klen = klen;
    if (set_val(x, val, vlen)) {
        mem_free(x->key, klen ? klen : 1);
        return KP_E_NOMEM;
    }
    x->live = 1;
    int hit;
    size_t i = find_slot(m, key, klen, &hit);
    m->index[i] = (uint32_t)(m->n + 1);
    m->n++;
    return KP_OK;
}

int host_map_del(host_map *m, const void *key, size_t klen)
{
    host_map_ent *x = host_map_get(m, key, klen);
    if (!x || !x->live) return 0;
    x->live = 0;
    mem_free(x->val, x->vlen);
    x->val = NULL;
    x->vlen = 0;
    return 1;
}

void host_map_free(host_map *m)
{
    for (size_t e = 0; e < m->n; e++) {
        mem_free(m->ents[e].key, m->ents[e].klen ? m->ents[e].klen : 1);
        mem_free(m->ents[e].val, m->ents[e].vlen);
    }
    mem_free(m->ents, m->cap * sizeof *m->ents);
    mem_free(m->index, m->icap * sizeof *m->index);
    memset(m, 0, sizeof *m);
}
