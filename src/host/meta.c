/*
 * meta.c: a capsule's metadata as the deterministic CBOR map guests read
 * (layout in internal.h). The encoder sorts the map keys, so the field
 * order below is only for reading.
 */
#include <string.h>

#include "host/internal.h"

int host_meta_encode(const host_capsule *c, buf *out)
{
    cbor_enc e;
    cbor_enc_init(&e, out);
    cbor_begin_map(&e);
    cbor_put_str(&e, "id");
    cbor_put_bytes(&e, c->id, 32);
    cbor_put_str(&e, "type");
    cbor_put_str(&e, c->type ? c->type : "");
    cbor_put_str(&e, "author");
    cbor_put_bytes(&e, c->author ? c->author : (const uint8_t *)"", c->author_len);
    cbor_put_str(&e, "alg");
    cbor_put_str(&e, kp_key_alg_name(c->author_alg));
    cbor_put_str(&e, "parents");
    cbor_begin_array(&e);
    for (size_t i = 0; i < c->nparents; i++) cbor_put_bytes(&e, c->parents[i], 32);
    cbor_end(&e);
    if (c->has_logic) {
        cbor_put_str(&e, "logic");
        cbor_put_bytes(&e, c->logic, 32);
    }
    cbor_put_str(&e, "flags");
    cbor_begin_map(&e);
    for (size_t i = 0; i < c->nflags; i++) {
        cbor_put_str(&e, c->flags[i].key);
        cbor_put_str(&e, c->flags[i].value);
    }
    cbor_end(&e);
    cbor_put_str(&e, "created");
    cbor_put_int(&e, c->created);
    cbor_put_str(&e, "body_len");
    cbor_put_uint(&e, c->body_len);
    cbor_end(&e);
    return cbor_enc_finish(&e, NULL);
}
