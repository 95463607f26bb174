/*
 * cbor_fuzz.c: the strict CBOR decoder on arbitrary bytes. It must never
 * crash, must reject with a code of the table and an offset inside the
 * input, and whatever it accepts must be canonical: re-encoding the decoded
 * structure (map entries fed in reverse, so the encoder re-sorts them)
 * gives back the very same bytes. Map lookups must find every key the
 * iterator shows.
 */
#include <stdlib.h>
#include <string.h>

#include "../unit/cbor_walk.h"
#include "util/buf.h"

#define CHECK(c)                                                                     \
    do {                                                                             \
        if (!(c)) abort();                                                           \
    } while (0)

static void check_item(const cbor_item *it, const uint8_t *base, size_t size)
{
    CHECK(it->raw >= base && it->raw_len <= size && it->raw - base <= (ptrdiff_t)(size - it->raw_len));
    CHECK(it->off == (size_t)(it->raw - base));
    CHECK(it->ptr >= it->raw && it->ptr + it->len == it->raw + it->raw_len);
    if (it->type != CBOR_ARRAY && it->type != CBOR_MAP && it->type != CBOR_TAG) return;
    cbor_iter i;
    cbor_item k, v;
    uint64_t n = 0;
    const uint8_t *at = it->ptr;
    cbor_iter_init(&i, it);
    if (it->type != CBOR_MAP) {
        while (cbor_iter_next(&i, &v)) {
            CHECK(v.raw == at);
            at += v.raw_len;
            check_item(&v, base, size);
            n++;
        }
        CHECK(n == (it->type == CBOR_TAG ? 1 : it->val));
        CHECK(at == it->raw + it->raw_len);
        return;
    }
    while (cbor_iter_pair(&i, &k, &v)) {
        CHECK(k.raw == at && v.raw == k.raw + k.raw_len);
        at = v.raw + v.raw_len;
        check_item(&k, base, size);
        check_item(&v, base, size);
        cbor_item found;
        if (k.type == CBOR_TEXT && !memchr(k.ptr, 0, k.len)) {
            char *s = malloc(k.len + 1);
            CHECK(s);
            memcpy(s, k.ptr, k.len);
            s[k.len] = 0;
            CHECK(cbor_map_find_text(it, s, &found) && found.raw == v.raw);
            free(s);
        }
        int64_t x;
        if ((k.type == CBOR_UINT || k.type == CBOR_NEGINT) && cbor_get_i64(&k, &x, NULL, NULL) == KP_OK)
            CHECK(cbor_map_find_int(it, x, &found) && found.raw == v.raw);
        n++;
    }
    CHECK(n == it->val);
    CHECK(at == it->raw + it->raw_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cbor_item root;
    kp_error err;
    kp_error_clear(&err);
    int rc = cbor_parse(data, size, &root, &err);
    CHECK(rc == cbor_check(data, size, NULL));
    if (rc) {
        CHECK(kp_status_name(rc) != NULL && rc != KP_E_INTERNAL);
        CHECK(err.code == rc && err.offset >= 0 && (uint64_t)err.offset <= size);
        return 0;
    }
    CHECK(root.raw == data && root.raw_len == size && root.off == 0);
    check_item(&root, data, size);
    for (int reverse = 0; reverse < 2; reverse++) {
        buf b = {0};
        cbor_enc e;
        cbor_enc_init(&e, &b);
        cbor_walk_encode(&e, &root, reverse);
        CHECK(cbor_enc_finish(&e, NULL) == KP_OK);
        CHECK(b.len == size && memcmp(b.p, data, size) == 0);
        buf_free(&b);
    }
    return 0;
}
