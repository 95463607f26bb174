/*
 * cbor_walk.h: re-encodes a decoded item from its structure (never from its
 * raw bytes), for the round-trip checks of the CBOR tests, fuzz harness and
 * interop tool: a strict decoder that accepted an input must get the same
 * bytes back from the canonical encoder. With reverse set, map entries are
 * written last to first (up to 4096 of them), so that the encoder has to
 * sort them back.
 */
#ifndef KP_TESTS_CBOR_WALK_H
#define KP_TESTS_CBOR_WALK_H

#include "cbor/cbor.h"

static inline void cbor_walk_encode(cbor_enc *e, const cbor_item *it, int reverse);

static inline void cbor_walk_pairs_reversed_(cbor_enc *e, cbor_iter *i, int reverse)
{
    cbor_item k, v;
    if (!cbor_iter_pair(i, &k, &v)) return;
    cbor_walk_pairs_reversed_(e, i, reverse);
    cbor_walk_encode(e, &k, reverse);
    cbor_walk_encode(e, &v, reverse);
}

static inline void cbor_walk_encode(cbor_enc *e, const cbor_item *it, int reverse)
{
    cbor_iter i;
    cbor_item c;
    switch (it->type) {
    case CBOR_UINT: cbor_put_uint(e, it->val); break;
    case CBOR_NEGINT: cbor_put_neg(e, it->val); break;
    case CBOR_BYTES: cbor_put_bytes(e, it->ptr, it->len); break;
    case CBOR_TEXT: cbor_put_text(e, (const char *)it->ptr, it->len); break;
    case CBOR_FALSE: cbor_put_bool(e, 0); break;
    case CBOR_TRUE: cbor_put_bool(e, 1); break;
    case CBOR_NULL: cbor_put_null(e); break;
    case CBOR_TAG:
        cbor_put_tag(e, it->val);
        cbor_iter_init(&i, it);
        while (cbor_iter_next(&i, &c)) cbor_walk_encode(e, &c, reverse);
        break;
    case CBOR_ARRAY:
        cbor_begin_array(e);
        cbor_iter_init(&i, it);
        while (cbor_iter_next(&i, &c)) cbor_walk_encode(e, &c, reverse);
        cbor_end(e);
        break;
    case CBOR_MAP:
        cbor_begin_map(e);
        cbor_iter_init(&i, it);
        if (reverse && it->val <= 4096)
            cbor_walk_pairs_reversed_(e, &i, reverse);
        else
            while (cbor_iter_next(&i, &c)) cbor_walk_encode(e, &c, reverse);
        cbor_end(e);
        break;
    case CBOR_ANY: break;
    }
}

#endif
