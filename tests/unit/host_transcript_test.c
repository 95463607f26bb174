/* host_transcript_test.c: transcript entries, encoding, strict parsing,
   and the RFC 9162 Merkle root checked against an independent reference. */
#include <sodium.h>

#include "host/transcript.h"
#include "test.h"

static void sha(uint8_t out[32], const uint8_t *a, size_t n)
{
    crypto_hash_sha256(out, a, n);
}

/* Reference MTH, written the other way round from transcript.c: leaves
   hashed first, then the tree built bottom-up with RFC 9162's rule that an
   odd node at the right edge is carried up unchanged. For this tree shape
   that equals the recursive definition. */
static void ref_root(const kp_transcript *t, uint8_t out[32])
{
    size_t n = kp_transcript_count(t);
    if (n == 0) {
        sha(out, (const uint8_t *)"", 0);
        return;
    }
    uint8_t(*level)[32] = calloc(n, 32);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e;
        size_t len;
        kp_transcript_entry(t, i, &e, &len);
        uint8_t *m = malloc(len + 1);
        m[0] = 0;
        memcpy(m + 1, e, len);
        sha(level[i], m, len + 1);
        free(m);
    }
    while (n > 1) {
        size_t k = 0;
        for (size_t i = 0; i + 1 < n; i += 2) {
            uint8_t node[65];
            node[0] = 1;
            memcpy(node + 1, level[i], 32);
            memcpy(node + 33, level[i + 1], 32);
            sha(level[k++], node, 65);
        }
        if (n % 2) memcpy(level[k++], level[n - 1], 32);
        n = k;
    }
    memcpy(out, level[0], 32);
    free(level);
}

static void make_entry(host_entry *e, uint64_t seq, int with_mint)
{
    host_entry_reset(e);
    e->seq = seq;
    e->inst = (uint32_t)(seq % 3);
    e->cap = "storage";
    e->fn = "storage_get";
    e->fuel = 1000 + seq;
    e->nargs = 4;
    e->args[0] = 16;
    e->args[1] = 3;
    e->args[2] = 64;
    e->args[3] = 0xffffffffu;
    host_entry_seg(e, 0, 16, (const uint8_t *)"key", 3);
    host_entry_seg(e, 1, 64, (const uint8_t *)"value", 5);
    host_entry_orc_bytes(e, (const uint8_t *)"value", 5);
    host_entry_orc_int(e, HOST_ORC_INT, (uint64_t)-5);
    host_entry_orc_bytes(e, NULL, 0);
    e->nres = 1;
    e->res[0] = 5;
    e->status = 0;
    static const host_mint_info mi = {"ledger.spend", (const uint8_t *)"acct", 4, 0, 100,
                                      "policy:x"};
    if (with_mint) e->mint = &mi;
}

static kp_transcript *build(size_t n)
{
    kp_transcript *t;
    host_entry e;
    memset(&e, 0, sizeof e);
    if (host_tr_new(&t, NULL)) return NULL;
    for (size_t i = 0; i < n; i++) {
        buf b = {0};
        make_entry(&e, i, i % 4 == 1);
        if (host_entry_encode(&e, &b, NULL) || host_tr_append(t, b.p, b.len, NULL)) {
            buf_free(&b);
            host_tr_free(t);
            return NULL;
        }
        buf_free(&b);
    }
    host_entry_free(&e);
    return t;
}

TEST(entry_encoding_is_the_documented_map)
{
    host_entry e;
    memset(&e, 0, sizeof e);
    make_entry(&e, 7, 1);
    buf b = {0};
    CHECK_EQ(host_entry_encode(&e, &b, NULL), KP_OK);
    cbor_item m, v, x;
    CHECK_EQ(cbor_parse(b.p, b.len, &m, NULL), KP_OK);
    CHECK_EQ(m.type, CBOR_MAP);
    CHECK_EQ(m.val, 12);
    CHECK(cbor_map_find_text(&m, "seq", &v) && v.val == 7);
    CHECK(cbor_map_find_text(&m, "inst", &v) && v.val == 1);
    CHECK(cbor_map_find_text(&m, "cap", &v) && cbor_text_eq(&v, "storage"));
    CHECK(cbor_map_find_text(&m, "fn", &v) && cbor_text_eq(&v, "storage_get"));
    CHECK(cbor_map_find_text(&m, "fuel", &v) && v.val == 1007);
    CHECK(cbor_map_find_text(&m, "args", &v) && v.type == CBOR_ARRAY && v.val == 4);
    cbor_iter it;
    cbor_iter_init(&it, &v);
    for (int i = 0; i < 4; i++) CHECK(cbor_iter_next(&it, &x));
    CHECK_EQ(x.val, 0xffffffffu);
    CHECK(cbor_map_find_text(&m, "in", &v) && v.val == 1);
    CHECK(cbor_map_find_text(&m, "out", &v) && v.val == 1);
    cbor_iter_init(&it, &v);
    CHECK(cbor_iter_next(&it, &x) && x.type == CBOR_ARRAY);
    cbor_item addr, bytes;
    cbor_iter jt;
    cbor_iter_init(&jt, &x);
    CHECK(cbor_iter_next(&jt, &addr) && addr.val == 64);
    CHECK(cbor_iter_next(&jt, &bytes) && bytes.len == 5 && memcmp(bytes.ptr, "value", 5) == 0);
    CHECK(cbor_map_find_text(&m, "oracle", &v) && v.val == 3);
    cbor_iter_init(&it, &v);
    CHECK(cbor_iter_next(&it, &x) && x.type == CBOR_BYTES);
    CHECK(cbor_iter_next(&it, &x) && x.type == CBOR_NEGINT && x.val == 4);
    CHECK(cbor_iter_next(&it, &x) && x.type == CBOR_NULL);
    CHECK(cbor_map_find_text(&m, "res", &v) && v.val == 1);
    CHECK(cbor_map_find_text(&m, "status", &v) && v.val == 0);
    CHECK(cbor_map_find_text(&m, "mint", &v) && v.type == CBOR_MAP);
    CHECK(cbor_map_find_text(&v, "amount", &x) && x.val == 100);
    /* deterministic: the same entry encodes to the same bytes */
    buf b2 = {0};
    CHECK_EQ(host_entry_encode(&e, &b2, NULL), KP_OK);
    CHECK_EQ(b.len, b2.len);
    CHECK_MEM(b.p, b2.p, b.len);
    buf_free(&b);
    buf_free(&b2);
    host_entry_free(&e);
}

TEST(root_matches_reference_for_sizes_0_to_40)
{
    for (size_t n = 0; n <= 40; n++) {
        kp_transcript *t = build(n);
        CHECK(t != NULL);
        uint8_t a[32], b[32];
        kp_transcript_root(t, a);
        ref_root(t, b);
        CHECK_MSG(memcmp(a, b, 32) == 0, "size %zu", n);
        host_tr_free(t);
    }
    uint8_t e[32], want[32];
    kp_transcript_root(NULL, e);
    sha(want, (const uint8_t *)"", 0);
    CHECK_MEM(e, want, 32);
}

TEST(root_of_one_entry_is_its_leaf_hash)
{
    kp_transcript *t = build(1);
    const uint8_t *p;
    size_t len;
    CHECK_EQ(kp_transcript_entry(t, 0, &p, &len), KP_OK);
    CHECK_EQ(kp_transcript_entry(t, 1, &p, &len), KP_E_NOT_FOUND);
    uint8_t leaf[32], root[32];
    kp_log_leaf_hash(p, len, leaf); /* the audit log's own leaf hash */
    kp_transcript_root(t, root);
    CHECK_MEM(leaf, root, 32);
    host_tr_free(t);
}

TEST(encode_parse_round_trip)
{
    kp_transcript *t = build(9), *u = NULL;
    uint8_t *bytes;
    size_t len;
    kp_error err;
    CHECK_EQ(kp_transcript_encode(t, &bytes, &len, &err), KP_OK);
    CHECK_EQ(kp_transcript_parse(bytes, len, &u, &err), KP_OK);
    CHECK_EQ(kp_transcript_count(u), 9);
    uint8_t a[32], b[32];
    kp_transcript_root(t, a);
    kp_transcript_root(u, b);
    CHECK_MEM(a, b, 32);
    /* every truncation is refused, never a crash */
    for (size_t cut = 0; cut < len; cut++) {
        kp_transcript *v = NULL;
        CHECK_EQ(kp_transcript_parse(bytes, cut, &v, &err), KP_E_HOST_TRANSCRIPT);
    }
    kp_transcript_bytes_free(bytes, len);
    host_tr_free(t);
    kp_transcript_free(u);
}

static int parse_one(const uint8_t *p, size_t n)
{
    kp_transcript *v = NULL;
    kp_error err;
    int rc = kp_transcript_parse(p, n, &v, &err);
    kp_transcript_free(v);
    return rc;
}

TEST(parse_rejects_bad_entries)
{
    /* an entry with the wrong seq, an unknown key, a wrong type */
    host_entry e;
    memset(&e, 0, sizeof e);
    make_entry(&e, 1, 0); /* seq 1 at index 0 */
    buf b = {0};
    cbor_enc c;
    cbor_enc_init(&c, &b);
    cbor_begin_array(&c);
    cbor_end(&c);
    CHECK_EQ(cbor_enc_finish(&c, NULL), KP_OK);
    CHECK_EQ(parse_one(b.p, b.len), KP_OK); /* the empty transcript */
    b.len = 0;
    buf_putc(&b, 0x81);
    CHECK_EQ(host_entry_encode(&e, &b, NULL), KP_OK);
    CHECK_EQ(parse_one(b.p, b.len), KP_E_HOST_TRANSCRIPT);
    b.len = 0;
    cbor_enc_init(&c, &b);
    cbor_begin_array(&c);
    cbor_begin_map(&c);
    cbor_put_str(&c, "seq");
    cbor_put_uint(&c, 0);
    cbor_end(&c);
    cbor_end(&c);
    CHECK_EQ(cbor_enc_finish(&c, NULL), KP_OK);
    CHECK_EQ(parse_one(b.p, b.len), KP_E_HOST_TRANSCRIPT); /* keys missing */
    CHECK_EQ(parse_one((const uint8_t *)"\xa0", 1), KP_E_HOST_TRANSCRIPT); /* not an array */
    CHECK_EQ(parse_one((const uint8_t *)"\x9f\xff", 2), KP_E_HOST_TRANSCRIPT); /* indefinite */
    buf_free(&b);
    host_entry_free(&e);
}

TEST(size_limit)
{
    kp_transcript *t;
    kp_error err;
    CHECK_EQ(host_tr_new(&t, &err), KP_OK);
    static uint8_t big[1024 * 1024];
    int rc = KP_OK;
    for (int i = 0; i < 80 && rc == KP_OK; i++) rc = host_tr_append(t, big, sizeof big, &err);
    CHECK_EQ(rc, KP_E_HOST_LIMIT);
    CHECK(kp_transcript_count(t) <= 64);
    host_tr_free(t);
}
