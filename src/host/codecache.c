/*
 * codecache.c: compiled modules kept across runs (host.h,
 * host_code_cache): a few slots of (module id, engine configuration,
 * compiled module), least recently used first out. The cache holds one
 * reference to each module; a run that takes one holds its own
 * (kw_module_ref), so an entry evicted mid-run stays alive for it.
 */
#include <string.h>

#include "host/internal.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct slot {
    uint8_t id[32];
    kw_config cfg;
    kw_module *m; /* NULL: empty */
    uint64_t used;
} slot;

struct host_code_cache {
    slot *slots;
    size_t n;
    uint64_t clock, hits;
};

int host_code_cache_new(size_t slots, host_code_cache **out, kp_error *err)
{
    host_code_cache *c = mem_calloc(1, sizeof *c);
    if (!c || !slots || !(c->slots = mem_calloc(slots, sizeof *c->slots))) {
        mem_free(c, sizeof *c);
        return err_set(err, KP_E_NOMEM, "out of memory");
    }
    c->n = slots;
    *out = c;
    return KP_OK;
}

void host_code_cache_free(host_code_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) kw_module_free(c->slots[i].m);
    mem_free(c->slots, c->n * sizeof *c->slots);
    mem_free(c, sizeof *c);
}

uint64_t host_code_cache_hits(const host_code_cache *c)
{
    return c ? c->hits : 0;
}

int host_code_get(host_code_cache *c, const uint8_t id[32], const kw_config *cfg,
                  const uint8_t *wasm, size_t len, kw_module **out, kp_error *err)
{
    kw_error kerr;
    if (c) {
        for (size_t i = 0; i < c->n; i++) {
            slot *s = &c->slots[i];
            if (s->m && memcmp(s->id, id, 32) == 0 && memcmp(&s->cfg, cfg, sizeof *cfg) == 0) {
                s->used = ++c->clock;
                c->hits++;
                *out = kw_module_ref(s->m);
                return KP_OK;
            }
        }
    }
    kw_module *m = NULL;
    if (kw_module_new(cfg, wasm, len, &m, &kerr)) return err_from_kw(err, &kerr);
    if (c) {
        slot *s = &c->slots[0];
        for (size_t i = 1; i < c->n; i++)
            if (!c->slots[i].m || (s->m && c->slots[i].used < s->used)) s = &c->slots[i];
        kw_module_free(s->m);
        memcpy(s->id, id, 32);
        s->cfg = *cfg;
        s->m = kw_module_ref(m);
        s->used = ++c->clock;
    }
    *out = m;
    return KP_OK;
}
