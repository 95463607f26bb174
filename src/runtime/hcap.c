/*
 * hcap.c: a parsed capsule seen as the host_capsule a run is about. The
 * capsule's flags are not NUL-terminated and the host wants C strings, so
 * they are copied; everything else is borrowed from the capsule.
 *
 * The capsule's own capability requests (its "caps") are passed on as
 * host_capsule.caps: the capsule's signature covers them, and a run is
 * only ever made for a capsule that verified.
 */
#include <string.h>

#include "runtime/runtime.h"
#include "util/error.h"

int rt_hcap_fill(rt_hcap *h, const kp_capsule *c, const uint8_t *body, size_t body_len,
                 kp_error *err)
{
    memset(&h->c, 0, sizeof h->c);
    h->strs.len = 0;
    memcpy(h->c.id, kp_capsule_id(c), HOST_ID_BYTES);
    h->c.type = kp_capsule_type(c);
    h->c.author_alg = kp_capsule_alg(c);
    h->c.author = kp_capsule_author(c, &h->c.author_len);
    size_t np = kp_capsule_parent_count(c), nf = kp_capsule_flag_count(c);
    /* parse bounds these; checked again because the arrays are fixed */
    if (np > KP_CAPSULE_MAX_PARENTS || nf > KP_CAPSULE_MAX_FLAGS)
        return err_set(err, KP_E_CAPSULE_LIMIT, "too many parents or flags");
    for (size_t i = 0; i < np; i++) memcpy(h->parents[i], kp_capsule_parent_at(c, i), HOST_ID_BYTES);
    h->c.parents = (const uint8_t(*)[HOST_ID_BYTES])h->parents;
    h->c.nparents = np;
    const uint8_t *logic = kp_capsule_logic(c);
    if (logic) {
        h->c.has_logic = 1;
        memcpy(h->c.logic, logic, HOST_ID_BYTES);
    }
    size_t nc = kp_capsule_cap_count(c);
    if (nc > KP_CAPSULE_MAX_CAPS) return err_set(err, KP_E_CAPSULE_LIMIT, "too many caps");
    for (size_t i = 0; i < nc; i++) h->caps[i] = *kp_capsule_cap_at(c, i);
    h->c.caps = h->caps;
    h->c.ncaps = nc;
    size_t off[2 * KP_CAPSULE_MAX_FLAGS];
    for (size_t i = 0; i < nf; i++) {
        const kp_capsule_flag *f = kp_capsule_flag_at(c, i);
        off[2 * i] = h->strs.len;
        if (buf_append(&h->strs, f->key, f->key_len) || buf_putc(&h->strs, 0))
            return err_set(err, KP_E_NOMEM, "out of memory");
        off[2 * i + 1] = h->strs.len;
        if (buf_append(&h->strs, f->value, f->value_len) || buf_putc(&h->strs, 0))
            return err_set(err, KP_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nf; i++) {
        h->flags[i].key = (const char *)h->strs.p + off[2 * i];
        h->flags[i].value = (const char *)h->strs.p + off[2 * i + 1];
    }
    h->c.flags = h->flags;
    h->c.nflags = nf;
    uint64_t created = kp_capsule_created(c);
    h->c.created = created > INT64_MAX ? INT64_MAX : (int64_t)created;
    if (body) {
        h->c.body = body;
        h->c.body_len = body_len;
    } else {
        h->c.body = kp_capsule_body(c, &h->c.body_len);
    }
    if (!h->c.body) h->c.body = (const uint8_t *)"";
    return KP_OK;
}

void rt_hcap_clear(rt_hcap *h)
{
    buf_free(&h->strs);
}
