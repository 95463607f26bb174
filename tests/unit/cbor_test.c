/*
 * cbor_test.c: the deterministic encoder and the strict decoder. RFC 8949
 * Appendix A vectors (those in the profile encode and decode; floats,
 * indefinite lengths and other simple values are rejected with their code
 * and offset), every rejection rule with its offset, canonical key order,
 * depth, lengths near 2^64, UTF-8 edges, schema helpers, encoder misuse,
 * allocation failure, and round trips through both directions.
 */
#include "cbor_walk.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"

/* ---- helpers ------------------------------------------------------------------- */

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        if (n == cap || sscanf(h, "%2x", &v) != 1) abort();
        out[n++] = (uint8_t)v;
    }
    return n;
}

static const char *hex(const uint8_t *p, size_t n)
{
    static char s[201]; /* long outputs are cut: this is for messages */
    size_t i;
    for (i = 0; i < n && 2 * i + 2 < sizeof s; i++) snprintf(s + 2 * i, 3, "%02x", p[i]);
    s[2 * i] = 0;
    return s;
}

/* Parses hex; returns the status, fills *e. */
static int parse_hex(const char *h, cbor_item *root, kp_error *e)
{
    static uint8_t in[4096];
    size_t n = unhex(h, in, sizeof in);
    kp_error_clear(e);
    return cbor_parse(in, n, root, e);
}

#define REJECT(h, code, off)                                                           \
    do {                                                                               \
        kp_error e_;                                                                   \
        int rc_ = parse_hex((h), NULL, &e_);                                           \
        if (rc_ != (code) || e_.offset != (off))                                       \
            TEST_FAIL_("%s:%d: %s: got %s at %lld (%s), wanted %s at %d", __FILE__,      \
                       __LINE__, (h), kp_status_name(rc_), (long long)e_.offset, e_.msg, \
                       kp_status_name(code), (off));                                    \
    } while (0)

/* Decodes, re-encodes from the structure (maps reversed, so re-sorted) and
   checks the bytes are the same. */
#define ROUNDTRIP(h)                                                                   \
    do {                                                                               \
        uint8_t in_[4096];                                                             \
        size_t n_ = unhex((h), in_, sizeof in_);                                       \
        cbor_item r_;                                                                  \
        kp_error e_;                                                                   \
        int rc_ = cbor_parse(in_, n_, &r_, &e_);                                       \
        if (rc_) TEST_FAIL_("%s:%d: %s rejected: %s", __FILE__, __LINE__, (h), e_.msg); \
        CHECK(r_.raw == in_ && r_.raw_len == n_ && r_.off == 0);                       \
        for (int rev_ = 0; rev_ < 2; rev_++) {                                         \
            buf ob_ = {0};                                                              \
            cbor_enc c_;                                                               \
            cbor_enc_init(&c_, &ob_);                                                   \
            cbor_walk_encode(&c_, &r_, rev_);                                          \
            CHECK_EQ(cbor_enc_finish(&c_, &e_), KP_OK);                                \
            if (ob_.len != n_ || memcmp(ob_.p, in_, n_) != 0)                            \
                TEST_FAIL_("%s:%d: %s re-encodes as %s", __FILE__, __LINE__, (h),        \
                           hex(ob_.p, ob_.len));                                         \
            buf_free(&ob_);                                                             \
        }                                                                              \
    } while (0)

/* Finishes an encoder and compares its bytes with hex. */
#define ENCODED(b, enc, h)                                                             \
    do {                                                                               \
        kp_error e_;                                                                   \
        int rc_ = cbor_enc_finish((enc), &e_);                                         \
        if (rc_) TEST_FAIL_("%s:%d: encode failed: %s", __FILE__, __LINE__, e_.msg);    \
        const char *got_ = hex((b)->p, (b)->len);                                      \
        if (strcmp(got_, (h)) != 0)                                                    \
            TEST_FAIL_("%s:%d: encoded %s, wanted %s", __FILE__, __LINE__, got_, (h));  \
        buf_free(b);                                                                   \
    } while (0)

/* ---- RFC 8949 Appendix A ----------------------------------------------------------- */

/* The vectors in kapsule's profile: accepted, and re-encoded identically. */
static const char *const appendix_a_ok[] = {
    "00", "01", "0a", "17", "1818", "1819", "1864", "1903e8", "1a000f4240",
    "1b000000e8d4a51000", "1bffffffffffffffff", "c249010000000000000000",
    "3bffffffffffffffff", "c349010000000000000000", "20", "29", "3863", "3903e7",
    "f4", "f5", "f6",
    "c074323031332d30332d32315432303a30343a30305a", "c11a514b67b0", "d74401020304",
    "d818456449455446", "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
    "40", "4401020304", "60", "6161", "6449455446", "62225c", "62c3bc", "63e6b0b4",
    "64f0908591", "80", "83010203", "8301820203820405",
    "98190102030405060708090a0b0c0d0e0f101112131415161718181819", "a0", "a201020304",
    "a26161016162820203", "826161a161626163",
    "a56161614161626142616361436164614461656145",
};

TEST(appendix_a_in_profile_roundtrips)
{
    for (size_t i = 0; i < sizeof appendix_a_ok / sizeof *appendix_a_ok; i++)
        ROUNDTRIP(appendix_a_ok[i]);
}

TEST(appendix_a_values_decode)
{
    cbor_item r, c;
    kp_error e;
    CHECK_EQ(parse_hex("1bffffffffffffffff", &r, &e), KP_OK);
    CHECK_EQ(r.type, CBOR_UINT);
    CHECK_EQ_U64(r.val, UINT64_MAX);
    CHECK_EQ(parse_hex("3bffffffffffffffff", &r, &e), KP_OK);
    CHECK_EQ(r.type, CBOR_NEGINT); /* -18446744073709551616 = -1 - val */
    CHECK_EQ_U64(r.val, UINT64_MAX);
    CHECK_EQ(parse_hex("3903e7", &r, &e), KP_OK);
    int64_t v;
    CHECK_EQ(cbor_get_i64(&r, &v, NULL, &e), KP_OK);
    CHECK_EQ(v, -1000);
    CHECK_EQ(parse_hex("1a000f4240", &r, &e), KP_OK);
    CHECK_EQ(r.val, 1000000);
    CHECK_EQ(parse_hex("c249010000000000000000", &r, &e), KP_OK);
    CHECK_EQ(r.type, CBOR_TAG);
    CHECK_EQ(r.val, 2);
    CHECK_EQ(cbor_untag(&r, 2, &c, NULL, &e), KP_OK);
    CHECK_EQ(c.type, CBOR_BYTES);
    CHECK_EQ(c.len, 9);
    CHECK_EQ(c.off, 1);
    CHECK_EQ(parse_hex("64f0908591", &r, &e), KP_OK);
    CHECK_EQ(r.type, CBOR_TEXT);
    CHECK_EQ(r.len, 4);
    CHECK_MEM(r.ptr, "\xf0\x90\x85\x91", 4);
    CHECK_EQ(parse_hex("62225c", &r, &e), KP_OK);
    CHECK(cbor_text_eq(&r, "\"\\"));
    CHECK_EQ(parse_hex("f5", &r, &e), KP_OK);
    CHECK_EQ(r.type, CBOR_TRUE);
    CHECK_EQ(parse_hex("f6", &r, &e), KP_OK);
    CHECK_EQ(r.type, CBOR_NULL);
    CHECK_EQ(parse_hex("98190102030405060708090a0b0c0d0e0f101112131415161718181819", &r, &e),
             KP_OK);
    CHECK_EQ(r.type, CBOR_ARRAY);
    CHECK_EQ(r.val, 25);
    cbor_iter it;
    cbor_iter_init(&it, &r);
    uint64_t want = 1;
    while (cbor_iter_next(&it, &c)) CHECK_EQ(c.val, want++);
    CHECK_EQ(want, 26);
    CHECK_EQ(parse_hex("a56161614161626142616361436164614461656145", &r, &e), KP_OK);
    CHECK(cbor_map_find_text(&r, "d", &c));
    CHECK(cbor_text_eq(&c, "D"));
    CHECK_EQ(c.off, 15);
}

TEST(appendix_a_encodes)
{
    static const struct {
        uint64_t v;
        int neg;
        const char *h;
    } ints[] = {
        {0, 0, "00"},
        {1, 0, "01"},
        {10, 0, "0a"},
        {23, 0, "17"},
        {24, 0, "1818"},
        {25, 0, "1819"},
        {100, 0, "1864"},
        {1000, 0, "1903e8"},
        {1000000, 0, "1a000f4240"},
        {1000000000000ULL, 0, "1b000000e8d4a51000"},
        {UINT64_MAX, 0, "1bffffffffffffffff"},
        {UINT64_MAX, 1, "3bffffffffffffffff"},
        {0, 1, "20"},
        {9, 1, "29"},
        {99, 1, "3863"},
        {999, 1, "3903e7"},
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        buf b = {0};
        cbor_enc e;
        cbor_enc_init(&e, &b);
        if (ints[i].neg)
            cbor_put_neg(&e, ints[i].v);
        else
            cbor_put_uint(&e, ints[i].v);
        ENCODED(&b, &e, ints[i].h);
    }
    buf b = {0};
    cbor_enc e;
    static const uint8_t big[9] = {1, 0, 0, 0, 0, 0, 0, 0, 0};

    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 2);
    cbor_put_bytes(&e, big, 9);
    ENCODED(&b, &e, "c249010000000000000000");
    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 3);
    cbor_put_bytes(&e, big, 9);
    ENCODED(&b, &e, "c349010000000000000000");

    cbor_enc_init(&e, &b);
    cbor_put_int(&e, -1000);
    ENCODED(&b, &e, "3903e7");
    cbor_enc_init(&e, &b);
    cbor_put_bool(&e, 0);
    ENCODED(&b, &e, "f4");
    cbor_enc_init(&e, &b);
    cbor_put_bool(&e, 1);
    ENCODED(&b, &e, "f5");
    cbor_enc_init(&e, &b);
    cbor_put_null(&e);
    ENCODED(&b, &e, "f6");

    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 0);
    cbor_put_str(&e, "2013-03-21T20:04:00Z");
    ENCODED(&b, &e, "c074323031332d30332d32315432303a30343a30305a");
    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 1);
    cbor_put_uint(&e, 1363896240);
    ENCODED(&b, &e, "c11a514b67b0");
    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 23);
    cbor_put_bytes(&e, "\x01\x02\x03\x04", 4);
    ENCODED(&b, &e, "d74401020304");
    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 24);
    cbor_put_bytes(&e, "dIETF", 5);
    ENCODED(&b, &e, "d818456449455446");
    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 32);
    cbor_put_str(&e, "http://www.example.com");
    ENCODED(&b, &e, "d82076687474703a2f2f7777772e6578616d706c652e636f6d");

    cbor_enc_init(&e, &b);
    cbor_put_bytes(&e, "", 0);
    ENCODED(&b, &e, "40");
    cbor_enc_init(&e, &b);
    cbor_put_str(&e, "");
    ENCODED(&b, &e, "60");
    cbor_enc_init(&e, &b);
    cbor_put_str(&e, "IETF");
    ENCODED(&b, &e, "6449455446");
    cbor_enc_init(&e, &b);
    cbor_put_str(&e, "\xc3\xbc");
    ENCODED(&b, &e, "62c3bc");
    cbor_enc_init(&e, &b);
    cbor_put_str(&e, "\xe6\xb0\xb4");
    ENCODED(&b, &e, "63e6b0b4");
    cbor_enc_init(&e, &b);
    cbor_put_str(&e, "\xf0\x90\x85\x91");
    ENCODED(&b, &e, "64f0908591");

    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    cbor_end(&e);
    ENCODED(&b, &e, "80");
    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    cbor_put_uint(&e, 1);
    cbor_begin_array(&e);
    cbor_put_uint(&e, 2);
    cbor_put_uint(&e, 3);
    cbor_end(&e);
    cbor_begin_array(&e);
    cbor_put_uint(&e, 4);
    cbor_put_uint(&e, 5);
    cbor_end(&e);
    cbor_end(&e);
    ENCODED(&b, &e, "8301820203820405");
    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    for (int i = 1; i <= 25; i++) cbor_put_uint(&e, (uint64_t)i);
    cbor_end(&e);
    ENCODED(&b, &e, "98190102030405060708090a0b0c0d0e0f101112131415161718181819");
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_end(&e);
    ENCODED(&b, &e, "a0");
    /* Written out of order: the encoder sorts. */
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_put_uint(&e, 3);
    cbor_put_uint(&e, 4);
    cbor_put_uint(&e, 1);
    cbor_put_uint(&e, 2);
    cbor_end(&e);
    ENCODED(&b, &e, "a201020304");
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_put_str(&e, "b");
    cbor_begin_array(&e);
    cbor_put_uint(&e, 2);
    cbor_put_uint(&e, 3);
    cbor_end(&e);
    cbor_put_str(&e, "a");
    cbor_put_uint(&e, 1);
    cbor_end(&e);
    ENCODED(&b, &e, "a26161016162820203");
    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    cbor_put_str(&e, "a");
    cbor_begin_map(&e);
    cbor_put_str(&e, "b");
    cbor_put_str(&e, "c");
    cbor_end(&e);
    cbor_end(&e);
    ENCODED(&b, &e, "826161a161626163");
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    static const char *const keys = "edcba", *const vals = "EDCBA";
    for (int i = 0; i < 5; i++) {
        cbor_put_text(&e, keys + i, 1);
        cbor_put_text(&e, vals + i, 1);
    }
    cbor_end(&e);
    ENCODED(&b, &e, "a56161614161626142616361436164614461656145");
}

TEST(appendix_a_out_of_profile_rejected)
{
    static const char *const floats[] = {
        "f90000", "f98000", "f93c00", "fb3ff199999999999a", "f93e00", "f97bff",
        "fa47c35000", "fa7f7fffff", "fb7e37e43c8800759c", "f90001", "f90400", "f9c400",
        "fbc010666666666666", "f97c00", "f97e00", "f9fc00", "fa7f800000", "fa7fc00000",
        "faff800000", "fb7ff0000000000000", "fb7ff8000000000000", "fbfff0000000000000",
    };
    for (size_t i = 0; i < sizeof floats / sizeof *floats; i++)
        REJECT(floats[i], KP_E_CBOR_FLOAT, 0);
    REJECT("c1fb41d452d9ec200000", KP_E_CBOR_FLOAT, 1); /* 1(1363896240.5) */
    REJECT("f7", KP_E_CBOR_SIMPLE, 0);                   /* undefined */
    REJECT("f0", KP_E_CBOR_SIMPLE, 0);                   /* simple(16) */
    REJECT("f8ff", KP_E_CBOR_SIMPLE, 0);                 /* simple(255) */
    REJECT("5f42010243030405ff", KP_E_CBOR_INDEFINITE, 0);
    REJECT("7f657374726561646d696e67ff", KP_E_CBOR_INDEFINITE, 0);
    REJECT("9fff", KP_E_CBOR_INDEFINITE, 0);
    REJECT("9f018202039f0405ffff", KP_E_CBOR_INDEFINITE, 0);
    REJECT("9f01820203820405ff", KP_E_CBOR_INDEFINITE, 0);
    REJECT("83018202039f0405ff", KP_E_CBOR_INDEFINITE, 5);
    REJECT("83019f0203ff820405", KP_E_CBOR_INDEFINITE, 2);
    REJECT("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
           KP_E_CBOR_INDEFINITE, 0);
    REJECT("bf61610161629f0203ffff", KP_E_CBOR_INDEFINITE, 0);
    REJECT("826161bf61626163ff", KP_E_CBOR_INDEFINITE, 3);
    REJECT("bf6346756ef563416d7421ff", KP_E_CBOR_INDEFINITE, 0);
}

/* Messages print an integer's value: -257, not the -1-256 of its encoding
   (issue 11), over all of CBOR's range. */
TEST(integer_text_is_the_value)
{
    static const struct {
        const char *h, *text;
    } v[] = {
        {"00", "0"},
        {"17", "23"},
        {"20", "-1"},
        {"38ff", "-256"},
        {"390100", "-257"},
        {"3b7fffffffffffffff", "-9223372036854775808"},
        {"3b8000000000000000", "-9223372036854775809"},
        {"3bffffffffffffffff", "-18446744073709551616"},
        {"1bffffffffffffffff", "18446744073709551615"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        cbor_item it;
        kp_error e;
        CHECK_EQ(parse_hex(v[i].h, &it, &e), KP_OK);
        char t[CBOR_INT_TEXT_BYTES];
        cbor_int_text(&it, t);
        CHECK_STR(t, v[i].text);
    }
}

/* ---- shortest form ------------------------------------------------------------------ */

TEST(integer_boundaries_encode_shortest)
{
    static const struct {
        uint64_t v;
        const char *h;
    } u[] = {
        {23, "17"},
        {24, "1818"},
        {255, "18ff"},
        {256, "190100"},
        {65535, "19ffff"},
        {65536, "1a00010000"},
        {0xffffffffULL, "1affffffff"},
        {0x100000000ULL, "1b0000000100000000"},
    };
    for (size_t i = 0; i < sizeof u / sizeof *u; i++) {
        buf b = {0};
        cbor_enc e;
        cbor_enc_init(&e, &b);
        cbor_put_uint(&e, u[i].v);
        ENCODED(&b, &e, u[i].h);
        ROUNDTRIP(u[i].h);
    }
    buf b = {0};
    cbor_enc e;
    cbor_enc_init(&e, &b);
    cbor_put_int(&e, INT64_MIN);
    ENCODED(&b, &e, "3b7fffffffffffffff");
    cbor_enc_init(&e, &b);
    cbor_put_int(&e, INT64_MAX);
    ENCODED(&b, &e, "1b7fffffffffffffff");
    cbor_enc_init(&e, &b);
    cbor_put_int(&e, -24);
    ENCODED(&b, &e, "37");
    cbor_enc_init(&e, &b);
    cbor_put_int(&e, -25);
    ENCODED(&b, &e, "3818");
    cbor_enc_init(&e, &b);
    cbor_put_int(&e, -257);
    ENCODED(&b, &e, "390100");
    /* lengths take the same shortest heads */
    uint8_t z[300] = {0};
    cbor_enc_init(&e, &b);
    cbor_put_bytes(&e, z, 24);
    CHECK_EQ(cbor_enc_finish(&e, NULL), KP_OK);
    CHECK_EQ(b.len, 26);
    CHECK_EQ(b.p[0], 0x58);
    CHECK_EQ(b.p[1], 24);
    buf_free(&b);
    cbor_enc_init(&e, &b);
    cbor_put_bytes(&e, z, 256);
    CHECK_EQ(cbor_enc_finish(&e, NULL), KP_OK);
    CHECK_EQ(b.len, 259);
    CHECK_MEM(b.p, "\x59\x01\x00", 3);
    buf_free(&b);
}

TEST(non_shortest_heads_rejected)
{
    REJECT("1800", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("1817", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("190000", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("1900ff", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("1a0000ffff", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("1b00000000ffffffff", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("3817", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("3b00000000ffffffff", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("5800", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("780161", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("9800", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("b90000", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("d81700", KP_E_CBOR_NONCANONICAL, 0);
    REJECT("d9001200", KP_E_CBOR_NONCANONICAL, 0); /* tag 18 (COSE_Sign1) in 2 bytes */
    REJECT("830118ff1801", KP_E_CBOR_NONCANONICAL, 4);
    REJECT("a16161780162", KP_E_CBOR_NONCANONICAL, 3);
    REJECT("a16161781862", KP_E_TRUNCATED, 3); /* 24 in one byte is shortest */
}

/* ---- malformed, simple values, trailing, truncated --------------------------------- */

TEST(reserved_and_break_rejected)
{
    static const char *const reserved[] = {"1c", "1d", "1e", "3c", "5d", "7e",
                                           "9c", "bd", "de", "fc", "fd", "fe"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        REJECT(reserved[i], KP_E_CBOR_MALFORMED, 0);
    REJECT("1f", KP_E_CBOR_MALFORMED, 0); /* indefinite unsigned integer: not CBOR */
    REJECT("3f", KP_E_CBOR_MALFORMED, 0);
    REJECT("df00", KP_E_CBOR_MALFORMED, 0);
    REJECT("ff", KP_E_CBOR_MALFORMED, 0); /* break with nothing to end */
    REJECT("81ff", KP_E_CBOR_MALFORMED, 1);
    REJECT("a1ff00", KP_E_CBOR_MALFORMED, 1);
    REJECT("8201bc", KP_E_CBOR_MALFORMED, 2);
}

TEST(simple_values_outside_profile_rejected)
{
    REJECT("f800", KP_E_CBOR_MALFORMED, 0); /* two-byte simple below 32: not well-formed */
    REJECT("f813", KP_E_CBOR_MALFORMED, 0);
    REJECT("f814", KP_E_CBOR_MALFORMED, 0); /* false, badly encoded */
    REJECT("f81f", KP_E_CBOR_MALFORMED, 0);
    REJECT("f820", KP_E_CBOR_SIMPLE, 0);
    REJECT("e0", KP_E_CBOR_SIMPLE, 0);
    REJECT("f3", KP_E_CBOR_SIMPLE, 0);
    REJECT("8201f7", KP_E_CBOR_SIMPLE, 2);
    REJECT("f8", KP_E_TRUNCATED, 0);
    REJECT("fb", KP_E_CBOR_FLOAT, 0); /* a float is a float, however short */
    REJECT("a1f900006161", KP_E_CBOR_FLOAT, 1);
}

TEST(trailing_bytes_rejected)
{
    REJECT("0000", KP_E_CBOR_TRAILING, 1);
    REJECT("8000", KP_E_CBOR_TRAILING, 1);
    REJECT("a0a0", KP_E_CBOR_TRAILING, 1);
    REJECT("c0600000", KP_E_CBOR_TRAILING, 2);
    REJECT("6161ff", KP_E_CBOR_TRAILING, 2);
    REJECT("83010203ff", KP_E_CBOR_TRAILING, 4);
}

TEST(truncated_input_rejected)
{
    REJECT("", KP_E_TRUNCATED, 0);
    REJECT("18", KP_E_TRUNCATED, 0);
    REJECT("19ff", KP_E_TRUNCATED, 0);
    REJECT("1b00000000000000", KP_E_TRUNCATED, 0);
    REJECT("41", KP_E_TRUNCATED, 0);
    REJECT("6261", KP_E_TRUNCATED, 0);
    /* a count is checked against the bytes left at its head... */
    REJECT("8201", KP_E_TRUNCATED, 0);
    REJECT("a101", KP_E_TRUNCATED, 0);
    REJECT("a2010203", KP_E_TRUNCATED, 0);
    /* ...and a missing item where it should start */
    REJECT("8201c2", KP_E_TRUNCATED, 3);
    REJECT("a101c1", KP_E_TRUNCATED, 3);
    REJECT("c2", KP_E_TRUNCATED, 1);
    REJECT("82015818", KP_E_TRUNCATED, 2);
    REJECT("82015803", KP_E_CBOR_NONCANONICAL, 2);
}

TEST(lengths_near_2_64_rejected_without_overflow)
{
    REJECT("5bffffffffffffffff", KP_E_TRUNCATED, 0);
    REJECT("5b7fffffffffffffff00", KP_E_TRUNCATED, 0);
    REJECT("7bffffffffffffffff", KP_E_TRUNCATED, 0);
    REJECT("7bfffffffffffffff0616161", KP_E_TRUNCATED, 0);
    REJECT("9bffffffffffffffff", KP_E_TRUNCATED, 0);
    REJECT("9b000000010000000000", KP_E_TRUNCATED, 0);
    REJECT("bbffffffffffffffff", KP_E_TRUNCATED, 0);
    /* 2 * 2^63 wraps to 0 and 2 * (2^63 + 1) to 2: the count must be bounded
       before it is doubled */
    REJECT("bb8000000000000000", KP_E_TRUNCATED, 0);
    REJECT("bb80000000000000010102", KP_E_TRUNCATED, 0);
    REJECT("baffffffff01020304", KP_E_TRUNCATED, 0);
    REJECT("82015bffffffffffffffff", KP_E_TRUNCATED, 2);
    REJECT("d9ffff5bfffffffffffffff0", KP_E_TRUNCATED, 3);
    /* a tag number may use all 64 bits */
    ROUNDTRIP("dbffffffffffffffff00");
}

/* ---- nesting --------------------------------------------------------------------- */

static int parse_nested(const char *open, int levels, const char *leaf, int max_depth,
                        kp_error *e)
{
    static uint8_t in[1 << 16];
    uint8_t o[1] = {0}, l[16];
    unhex(open, o, 1);
    size_t ln = unhex(leaf, l, sizeof l);
    memset(in, o[0], (size_t)levels);
    memcpy(in + levels, l, ln);
    kp_error_clear(e);
    return cbor_parse_ex(in, (size_t)levels + ln, 0, max_depth, NULL, e);
}

TEST(depth_limit)
{
    kp_error e;
    CHECK_EQ(parse_nested("81", 15, "00", CBOR_DEFAULT_DEPTH, &e), KP_OK);
    CHECK_EQ(parse_nested("81", 15, "80", CBOR_DEFAULT_DEPTH, &e), KP_OK);
    CHECK_EQ(parse_nested("81", 16, "00", CBOR_DEFAULT_DEPTH, &e), KP_E_CBOR_DEPTH);
    CHECK_EQ(e.offset, 16);
    CHECK_EQ(parse_nested("a1", 15, "00", CBOR_DEFAULT_DEPTH, &e), KP_E_TRUNCATED);
    CHECK_EQ(parse_nested("c1", 15, "00", CBOR_DEFAULT_DEPTH, &e), KP_OK);
    CHECK_EQ(parse_nested("c1", 16, "00", CBOR_DEFAULT_DEPTH, &e), KP_E_CBOR_DEPTH);
    CHECK_EQ(e.offset, 16);
    CHECK_EQ(parse_nested("81", 0, "00", 1, &e), KP_OK);
    CHECK_EQ(parse_nested("81", 0, "80", 1, &e), KP_OK);
    CHECK_EQ(parse_nested("81", 1, "00", 1, &e), KP_E_CBOR_DEPTH);
    CHECK_EQ(e.offset, 1);
    CHECK_EQ(parse_nested("81", 63, "00", CBOR_MAX_DEPTH, &e), KP_OK);
    CHECK_EQ(parse_nested("81", 64, "00", CBOR_MAX_DEPTH, &e), KP_E_CBOR_DEPTH);
    CHECK_EQ(e.offset, 64);
    CHECK_EQ(parse_nested("81", 1, "00", 0, &e), KP_E_ARG);
    CHECK_EQ(parse_nested("81", 1, "00", CBOR_MAX_DEPTH + 1, &e), KP_E_ARG);
    /* a long run of openers stops at the limit, whatever the input length */
    CHECK_EQ(parse_nested("81", 60000, "00", CBOR_DEFAULT_DEPTH, &e), KP_E_CBOR_DEPTH);
    CHECK_EQ(e.offset, 16);
    /* deep but legal nesting inside a map, checked with its key order */
    ROUNDTRIP("a201818181810002a1038181818100");
}

/* ---- map keys -------------------------------------------------------------------- */

TEST(map_key_order_is_bytewise)
{
    ROUNDTRIP("a2186400200"
              "0"); /* {100: 0, -1: 0}: 0x18 < 0x20, though 100 is longer */
    REJECT("a22000186400", KP_E_CBOR_UNSORTED_KEYS, 3);
    ROUNDTRIP("a2616200626161" "00"); /* "b" before "aa": 0x61 < 0x62 */
    REJECT("a262616100616200", KP_E_CBOR_UNSORTED_KEYS, 5);
    REJECT("a202000100", KP_E_CBOR_UNSORTED_KEYS, 3);
    REJECT("a201000100", KP_E_CBOR_DUPLICATE_KEY, 3);
    REJECT("a2010001", KP_E_TRUNCATED, 0);
    REJECT("a2820102008201020" "0", KP_E_CBOR_DUPLICATE_KEY, 5);
    ROUNDTRIP("a28201020082010300");
    REJECT("a28201030082010200", KP_E_CBOR_UNSORTED_KEYS, 5);
    REJECT("a3010002000100", KP_E_CBOR_UNSORTED_KEYS, 5);
    REJECT("a3010002000200", KP_E_CBOR_DUPLICATE_KEY, 5);
    /* one key of every major type, in order of their first byte */
    ROUNDTRIP("a800f620f640f660f680f6a0f6c000f6f4f6");
    /* a nested map is checked on its own, offsets from the outer input */
    REJECT("a101a202000100", KP_E_CBOR_UNSORTED_KEYS, 5);
    REJECT("82a0a2616100616100", KP_E_CBOR_DUPLICATE_KEY, 6);
    /* keys that are maps: compared by their whole encoding */
    ROUNDTRIP("a2a1010200a1010300");
    REJECT("a2a1010300a1010200", KP_E_CBOR_UNSORTED_KEYS, 5);
}

TEST(encoder_sorts_and_rejects_duplicate_keys)
{
    buf b = {0};
    cbor_enc e;
    kp_error err;
    /* every major type, written last to first */
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_put_bool(&e, 0);
    cbor_put_null(&e);
    cbor_put_tag(&e, 0);
    cbor_put_uint(&e, 0);
    cbor_put_null(&e);
    cbor_begin_map(&e);
    cbor_end(&e);
    cbor_put_null(&e);
    cbor_begin_array(&e);
    cbor_end(&e);
    cbor_put_null(&e);
    cbor_put_str(&e, "");
    cbor_put_null(&e);
    cbor_put_bytes(&e, "", 0);
    cbor_put_null(&e);
    cbor_put_int(&e, -1);
    cbor_put_null(&e);
    cbor_put_uint(&e, 0);
    cbor_put_null(&e);
    cbor_end(&e);
    ENCODED(&b, &e, "a800f620f640f660f680f6a0f6c000f6f4f6");
    /* {100, -1} sort bytewise, not length first */
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_put_int(&e, -1);
    cbor_put_uint(&e, 1);
    cbor_put_int(&e, 100);
    cbor_put_uint(&e, 2);
    cbor_end(&e);
    ENCODED(&b, &e, "a218640220" "01");
    /* duplicates, adjacent after sorting or in the order written */
    for (int adjacent = 0; adjacent < 2; adjacent++) {
        cbor_enc_init(&e, &b);
        cbor_begin_map(&e);
        cbor_put_str(&e, "a");
        cbor_put_uint(&e, 1);
        if (!adjacent) {
            cbor_put_str(&e, "b");
            cbor_put_uint(&e, 2);
        }
        cbor_put_str(&e, "a");
        cbor_put_uint(&e, 3);
        cbor_end(&e);
        CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_CBOR_DUPLICATE_KEY);
        buf_free(&b);
    }
    /* nested maps are sorted when each closes; the outer moves them whole */
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_put_uint(&e, 2);
    cbor_begin_map(&e);
    cbor_put_str(&e, "z");
    cbor_put_uint(&e, 1);
    cbor_put_str(&e, "y");
    cbor_put_uint(&e, 2);
    cbor_end(&e);
    cbor_put_uint(&e, 1);
    cbor_put_bytes(&e, "\xff", 1);
    cbor_end(&e);
    ENCODED(&b, &e, "a20141ff02a2617902617a01");
    /* a map appended after bytes already in the buffer */
    b.len = 0;
    CHECK_EQ(buf_append(&b, "xy", 2), KP_OK);
    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_put_uint(&e, 5);
    cbor_put_uint(&e, 5);
    cbor_put_uint(&e, 4);
    cbor_put_uint(&e, 4);
    cbor_end(&e);
    ENCODED(&b, &e, "7879a204040505");
}

/* ---- UTF-8 ------------------------------------------------------------------------- */

/* A second, independent rule: decode the code point, then check its range. */
static int ref_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t c = s[i], min;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1, c &= 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, c &= 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, c &= 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i - 1 < k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (s[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

TEST(utf8_agrees_with_reference_on_every_short_sequence)
{
    uint8_t s[4];
    size_t bad;
    long accepted = 0;
    for (uint32_t v = 0; v < (1u << 24); v++) {
        s[0] = (uint8_t)(v >> 16), s[1] = (uint8_t)(v >> 8), s[2] = (uint8_t)v;
        int a = cbor_utf8_valid(s, 3, &bad), r = ref_utf8(s, 3);
        if (a != r) TEST_FAIL_("%02x%02x%02x: ours %d, reference %d", s[0], s[1], s[2], a, r);
        accepted += a;
    }
    CHECK(accepted > 1000000);
    /* four-byte sequences: every lead byte from F0, every second byte, and
       a spread of third and fourth bytes */
    for (uint32_t l = 0xF0; l <= 0xFF; l++)
        for (uint32_t b1 = 0; b1 < 256; b1++)
            for (uint32_t b2 = 0; b2 < 256; b2 += 7)
                for (uint32_t b3 = 0x70; b3 < 0xD0; b3 += 13) {
                    s[0] = (uint8_t)l, s[1] = (uint8_t)b1, s[2] = (uint8_t)b2, s[3] = (uint8_t)b3;
                    CHECK_EQ(cbor_utf8_valid(s, 4, &bad), ref_utf8(s, 4));
                }
}

TEST(utf8_edges_in_text_strings)
{
    static const char *const ok[] = {"617f",       "62c280",     "62dfbf",     "63e0a080",
                                     "63ed9fbf",   "63ee8080",   "63efbfbf",   "64f0908080",
                                     "64f48fbfbf", "63efbbbf",   "6100"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) ROUNDTRIP(ok[i]);
    static const char *const bad[] = {
        "62c080",     /* overlong NUL */
        "62c1bf",     /* overlong */
        "63e08080",   /* overlong three-byte */
        "63e09fbf",   /* overlong U+07FF */
        "63eda080",   /* surrogate U+D800 */
        "63edbfbf",   /* surrogate U+DFFF */
        "64f0808080", /* overlong four-byte */
        "64f08fbfbf", /* overlong U+FFFF */
        "64f4908080", /* U+110000 */
        "64f5808080", /* lead byte past U+10FFFF */
        "61ff", "61fe", "6180", "62e282", "63e228a1", "62c3c3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) REJECT(bad[i], KP_E_CBOR_UTF8, 1);
    REJECT("6261c3", KP_E_CBOR_UTF8, 2);
    /* past the eight-byte ASCII fast path */
    REJECT("6c616161616161616161c08061", KP_E_CBOR_UTF8, 10);
    REJECT("a16161" "63eda080", KP_E_CBOR_UTF8, 4);
    /* the encoder refuses the same strings */
    buf b = {0};
    cbor_enc e;
    kp_error err;
    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    cbor_put_str(&e, "ok");
    cbor_put_text(&e, "\xed\xa0\x80", 3);
    cbor_end(&e);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_CBOR_UTF8);
    buf_free(&b);
    cbor_enc_init(&e, &b);
    cbor_put_text(&e, "a\0b", 3); /* NUL is valid UTF-8; length is explicit */
    ENCODED(&b, &e, "63610062");
}

/* ---- bignums --------------------------------------------------------------------- */

TEST(bignums_use_preferred_serialization)
{
    ROUNDTRIP("c249010000000000000000");
    ROUNDTRIP("c349ffffffffffffffffff");
    REJECT("c2480100000000000000", KP_E_CBOR_NONCANONICAL, 1); /* fits 64 bits */
    REJECT("c2490001000000000000" "00", KP_E_CBOR_NONCANONICAL, 1);
    REJECT("c240", KP_E_CBOR_NONCANONICAL, 1);
    REJECT("c201", KP_E_CBOR_TYPE, 1);
    REJECT("c360", KP_E_CBOR_TYPE, 1);
    REJECT("c3c249010000000000000000", KP_E_CBOR_TYPE, 1);
    REJECT("8201c24a01", KP_E_TRUNCATED, 3);
    ROUNDTRIP("c401"); /* other tags carry anything */
    /* the encoder holds itself to the same rule */
    static const uint8_t nine[9] = {1}, lead0[9] = {0, 1};
    static const struct {
        int tag;
        const uint8_t *p;
        size_t n;
        int want;
    } cases[] = {{2, nine, 9, KP_OK},          {3, nine, 9, KP_OK},
                 {2, nine, 8, KP_E_CBOR_NONCANONICAL}, {3, lead0, 9, KP_E_CBOR_NONCANONICAL},
                 {2, nine, 0, KP_E_CBOR_NONCANONICAL}, {2, NULL, 0, KP_E_CBOR_TYPE},
                 {4, NULL, 0, KP_OK}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        buf b = {0};
        cbor_enc e;
        kp_error err;
        cbor_enc_init(&e, &b);
        cbor_put_tag(&e, (uint64_t)cases[i].tag);
        if (cases[i].p)
            cbor_put_bytes(&e, cases[i].p, cases[i].n);
        else
            cbor_put_uint(&e, 1);
        CHECK_EQ(cbor_enc_finish(&e, &err), cases[i].want);
        if (cases[i].want == KP_OK) CHECK_EQ(cbor_check(b.p, b.len, &err), KP_OK);
        buf_free(&b);
    }
    ROUNDTRIP("d24401020304");
}

/* ---- encoder misuse and failure ------------------------------------------------------ */

TEST(encoder_misuse_is_an_error)
{
    buf b = {0};
    cbor_enc e;
    kp_error err;

    cbor_enc_init(&e, &b);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_ARG); /* nothing written */

    cbor_enc_init(&e, &b);
    cbor_put_uint(&e, 1);
    cbor_end(&e);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_ARG);

    cbor_enc_init(&e, &b);
    cbor_begin_map(&e);
    cbor_put_uint(&e, 1);
    cbor_end(&e);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_ARG);
    CHECK(strstr(err.msg, "without a value") != NULL);

    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    cbor_put_tag(&e, 1);
    cbor_end(&e);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_ARG);

    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 1);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_ARG);

    cbor_enc_init(&e, &b);
    cbor_put_uint(&e, 1);
    cbor_put_uint(&e, 2);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_ARG);

    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_ARG);

    cbor_item none = {0}; /* not from cbor_parse: nothing to copy */
    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    cbor_put_item(&e, &none);
    cbor_end(&e);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_ARG);

    /* errors are sticky: the first one is reported */
    cbor_enc_init(&e, &b);
    cbor_begin_array(&e);
    cbor_put_text(&e, "\xff", 1);
    cbor_end(&e);
    cbor_end(&e);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_CBOR_UTF8);
    buf_free(&b);

    /* nesting up to CBOR_MAX_DEPTH containers, no further */
    for (int extra = 0; extra < 2; extra++) {
        cbor_enc_init(&e, &b);
        for (int i = 0; i < CBOR_MAX_DEPTH + extra; i++) cbor_begin_array(&e);
        for (int i = 0; i < CBOR_MAX_DEPTH + extra; i++) cbor_end(&e);
        CHECK_EQ(cbor_enc_finish(&e, &err), extra ? KP_E_CBOR_DEPTH : KP_OK);
        if (!extra) {
            CHECK_EQ(b.len, CBOR_MAX_DEPTH);
            CHECK_EQ(cbor_parse_ex(b.p, b.len, 0, CBOR_MAX_DEPTH, NULL, &err), KP_OK);
        }
        buf_free(&b);
    }

    /* a buffer limit stops the encoder */
    buf small = {0};
    small.max = 4;
    cbor_enc_init(&e, &small);
    cbor_put_bytes(&e, "0123456789", 10);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_LIMIT);
    buf_free(&small);
    small.max = 4;
    cbor_enc_init(&e, &small);
    cbor_begin_array(&e);
    cbor_put_uint(&e, 1);
    cbor_put_uint(&e, 2);
    cbor_put_uint(&e, 3);
    cbor_put_uint(&e, 4);
    cbor_end(&e); /* the head no longer fits */
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_E_LIMIT);
    buf_free(&small);
}

static long fail_at, alloc_count;

static void *failing_alloc(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (alloc_count++ == fail_at) return NULL;
    return realloc(p, n);
}

TEST(encoder_survives_every_allocation_failure)
{
    /* an unsorted map needs an index and a copy besides the buffer itself */
    int ok = 0;
    for (fail_at = 0; fail_at < 50 && !ok; fail_at++) {
        alloc_count = 0;
        kp_set_allocator(failing_alloc, NULL);
        buf b = {0};
        cbor_enc e;
        kp_error err;
        cbor_enc_init(&e, &b);
        cbor_begin_map(&e);
        for (int i = 40; i > 0; i--) {
            cbor_put_int(&e, i);
            cbor_put_str(&e, "a value long enough to make the buffer grow");
        }
        cbor_end(&e);
        int rc = cbor_enc_finish(&e, &err);
        kp_set_allocator(NULL, NULL);
        if (rc == KP_OK) {
            ok = 1;
            CHECK_EQ(cbor_check(b.p, b.len, &err), KP_OK);
        } else {
            CHECK_EQ(rc, KP_E_NOMEM);
        }
        buf_free(&b);
    }
    CHECK(ok);
    CHECK(fail_at > 3); /* some failures were really injected */
}

/* ---- reading: iterators, lookups, schema helpers ---------------------------------------- */

/* {"n": 5, "big": 2^63, "flag": true, "type": "post", 1: -8, -1: h'00'}
   encoded by us, keys in canonical order. */
static void sample_map(buf *b)
{
    cbor_enc e;
    cbor_enc_init(&e, b);
    cbor_begin_map(&e);
    cbor_put_str(&e, "type");
    cbor_put_str(&e, "post");
    cbor_put_str(&e, "n");
    cbor_put_uint(&e, 5);
    cbor_put_str(&e, "big");
    cbor_put_uint(&e, (uint64_t)1 << 63);
    cbor_put_str(&e, "flag");
    cbor_put_bool(&e, 1);
    cbor_put_int(&e, 1);
    cbor_put_int(&e, -8);
    cbor_put_int(&e, -1);
    cbor_put_bytes(&e, "", 1);
    cbor_end(&e);
    if (cbor_enc_finish(&e, NULL)) abort();
}

TEST(schema_helpers_name_field_and_offset)
{
    buf b = {0};
    sample_map(&b);
    CHECK_STR(hex(b.p, b.len), "a60127204100616e05636269671b800000000000000064666c6167f5"
                               "647479706564706f7374");
    cbor_item m, v, k;
    kp_error e;
    CHECK_EQ(cbor_parse(b.p, b.len, &m, &e), KP_OK);
    CHECK_EQ(m.type, CBOR_MAP);
    CHECK_EQ(m.val, 6);

    CHECK_EQ(cbor_field_text(&m, "type", CBOR_TEXT, &v, &e), KP_OK);
    CHECK(cbor_text_eq(&v, "post"));
    CHECK(!cbor_text_eq(&v, "pos"));
    CHECK_EQ(v.off, 33);
    CHECK_EQ(v.raw_len, 5);
    CHECK_MEM(v.raw, "\x64post", 5);

    CHECK_EQ(cbor_field_text(&m, "nope", CBOR_TEXT, &v, &e), KP_E_CBOR_MISSING);
    CHECK_STR(e.field, "nope");
    CHECK_EQ(e.offset, 0);
    CHECK_EQ(cbor_field_text(&m, "n", CBOR_TEXT, &v, &e), KP_E_CBOR_TYPE);
    CHECK_STR(e.field, "n");
    CHECK_EQ(e.offset, 8);
    CHECK(strstr(e.msg, "expected text string, found unsigned integer") != NULL);

    uint64_t u;
    int64_t i;
    int flag;
    CHECK_EQ(cbor_field_text(&m, "big", CBOR_ANY, &v, &e), KP_OK);
    CHECK_EQ(cbor_get_u64(&v, &u, "big", &e), KP_OK);
    CHECK_EQ_U64(u, (uint64_t)1 << 63);
    CHECK_EQ(cbor_get_i64(&v, &i, "big", &e), KP_E_CBOR_RANGE);
    CHECK_STR(e.field, "big");
    CHECK_EQ(cbor_field_text(&m, "flag", CBOR_TRUE, &v, &e), KP_OK);
    CHECK_EQ(cbor_get_bool(&v, &flag, "flag", &e), KP_OK);
    CHECK_EQ(flag, 1);
    CHECK_EQ(cbor_get_u64(&v, &u, "flag", &e), KP_E_CBOR_TYPE);

    CHECK_EQ(cbor_field_int(&m, 1, "alg", CBOR_NEGINT, &v, &e), KP_OK);
    CHECK_EQ(cbor_get_i64(&v, &i, "alg", &e), KP_OK);
    CHECK_EQ(i, -8);
    CHECK_EQ(cbor_field_int(&m, -1, NULL, CBOR_BYTES, &v, &e), KP_OK);
    CHECK_EQ(v.len, 1);
    CHECK_EQ(cbor_field_int(&m, 2, NULL, CBOR_ANY, &v, &e), KP_E_CBOR_MISSING);
    CHECK_STR(e.field, "2");
    CHECK_EQ(cbor_field_int(&m, 1, "alg", CBOR_TEXT, &v, &e), KP_E_CBOR_TYPE);
    CHECK_STR(e.field, "alg");
    CHECK_EQ(e.offset, 2);
    CHECK(!cbor_map_find_int(&m, 5, NULL));
    CHECK(!cbor_map_find_text(&m, "", NULL));
    CHECK(cbor_map_find_text(&m, "n", NULL));

    /* lookups on something that is not a map */
    CHECK_EQ(cbor_field_text(&v, "x", CBOR_ANY, &k, &e), KP_E_CBOR_TYPE);
    CHECK_EQ(cbor_field_int(&v, 1, NULL, CBOR_ANY, &k, &e), KP_E_CBOR_TYPE);
    CHECK(!cbor_map_find_text(&v, "x", NULL));
    CHECK_EQ(cbor_want(&v, CBOR_MAP, "body", &e), KP_E_CBOR_TYPE);
    CHECK_STR(e.field, "body");
    CHECK_EQ(cbor_untag(&m, 18, &v, "envelope", &e), KP_E_CBOR_TYPE);
    CHECK_STR(e.field, "envelope");

    /* pairs come in canonical order, each with its own span */
    cbor_iter it;
    cbor_iter_init(&it, &m);
    static const uint8_t first[] = {0x01, 0x20, 0x61, 0x63, 0x64, 0x64};
    int n = 0;
    size_t end = 1;
    while (cbor_iter_pair(&it, &k, &v)) {
        CHECK_EQ(k.raw[0], first[n]);
        CHECK_EQ(k.off, end);
        CHECK_EQ(v.off, k.off + k.raw_len);
        CHECK(v.raw == b.p + v.off);
        end = v.off + v.raw_len;
        n++;
    }
    CHECK_EQ(n, 6);
    CHECK_EQ(end, b.len);
    buf_free(&b);
}

TEST(integers_at_int64_edges)
{
    cbor_item r;
    kp_error e;
    int64_t i;
    CHECK_EQ(parse_hex("3b7fffffffffffffff", &r, &e), KP_OK);
    CHECK_EQ(cbor_get_i64(&r, &i, NULL, &e), KP_OK);
    CHECK(i == INT64_MIN);
    CHECK_EQ(parse_hex("3b8000000000000000", &r, &e), KP_OK);
    CHECK_EQ(cbor_get_i64(&r, &i, NULL, &e), KP_E_CBOR_RANGE);
    CHECK_EQ(parse_hex("1b7fffffffffffffff", &r, &e), KP_OK);
    CHECK_EQ(cbor_get_i64(&r, &i, NULL, &e), KP_OK);
    CHECK(i == INT64_MAX);
    CHECK_EQ(parse_hex("a13b7fffffffffffffff00", &r, &e), KP_OK);
    CHECK(cbor_map_find_int(&r, INT64_MIN, NULL));
    CHECK(!cbor_map_find_int(&r, INT64_MAX, NULL));
}

TEST(nested_cbor_keeps_outer_offsets)
{
    cbor_item r, inner, root, v;
    kp_error e;
    uint8_t in[64];
    /* [0, h'a10102'] */
    size_t n = unhex("820043a10102", in, sizeof in);
    CHECK_EQ(cbor_parse(in, n, &r, &e), KP_OK);
    cbor_iter it;
    cbor_iter_init(&it, &r);
    CHECK(cbor_iter_next(&it, &v) && cbor_iter_next(&it, &inner));
    CHECK(!cbor_iter_next(&it, &v));
    CHECK_EQ(inner.off, 2);
    CHECK_EQ(cbor_parse_bstr(&inner, &root, &e), KP_OK);
    CHECK_EQ(root.off, 3);
    CHECK_EQ(cbor_field_int(&root, 1, NULL, CBOR_UINT, &v, &e), KP_OK);
    CHECK_EQ(v.off, 5);
    CHECK_EQ(v.val, 2);
    CHECK_EQ(cbor_parse_bstr(&r, &root, &e), KP_E_CBOR_TYPE);
    /* [0, h'a2020001 00'] : the fault is reported at its place in the outer input */
    n = unhex("820045a202000100", in, sizeof in);
    CHECK_EQ(cbor_parse(in, n, &r, &e), KP_OK);
    cbor_iter_init(&it, &r);
    CHECK(cbor_iter_next(&it, &v) && cbor_iter_next(&it, &inner));
    CHECK_EQ(cbor_parse_bstr(&inner, &root, &e), KP_E_CBOR_UNSORTED_KEYS);
    CHECK_EQ(e.offset, 6);
    /* cbor_put_item copies an accepted item's bytes as they are */
    buf b = {0};
    cbor_enc enc;
    cbor_enc_init(&enc, &b);
    cbor_begin_array(&enc);
    cbor_put_item(&enc, &inner);
    cbor_put_item(&enc, &r);
    cbor_end(&enc);
    ENCODED(&b, &enc, "8245a202000100820045a202000100");
}

TEST(iterators_stay_inside_hand_made_items)
{
    /* Items come from cbor_parse; one made by hand with counts that lie must
       still not lead a reader outside its bytes. */
    static const uint8_t bytes[] = {0x01, 0x02};
    cbor_item lie = {.type = CBOR_ARRAY, .val = 1000, .ptr = bytes, .len = 2,
                     .raw = bytes, .raw_len = 2};
    cbor_iter it;
    cbor_item c;
    int n = 0;
    cbor_iter_init(&it, &lie);
    while (cbor_iter_next(&it, &c)) n++;
    CHECK_EQ(n, 2);
    lie.type = CBOR_MAP;
    lie.val = UINT64_MAX;
    cbor_iter_init(&it, &lie);
    CHECK(!cbor_iter_next(&it, &c));
    CHECK(!cbor_map_find_int(&lie, 1, NULL));
    static const uint8_t cut[] = {0x82, 0x01, 0x5b};
    lie = (cbor_item){.type = CBOR_ARRAY, .val = 2, .ptr = cut + 1, .len = 2,
                      .raw = cut, .raw_len = 3};
    n = 0;
    cbor_iter_init(&it, &lie);
    while (cbor_iter_next(&it, &c)) n++;
    CHECK_EQ(n, 1);
    CHECK(cbor_skip(cut, cut + 3) == NULL);
    CHECK(cbor_skip(cut, cut) == NULL);
}

/* ---- systematic corruption and random round trips ----------------------------------------- */

/* A deterministic generator (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void gen(cbor_enc *e, int depth)
{
    static const char *const words[] = {"", "a", "type", "\xc3\xbc", "\xf0\x9f\x98\x80", "zz"};
    uint64_t r = rnd();
    int kind = depth >= 5 ? (int)(r % 7) : (int)(r % 10);
    uint64_t v = rnd() >> (rnd() % 64);
    switch (kind) {
    case 0: cbor_put_uint(e, v); break;
    case 1: cbor_put_neg(e, v); break;
    case 2: cbor_put_bytes(e, words[r % 6], strlen(words[r % 6])); break;
    case 3: cbor_put_str(e, words[(r >> 8) % 6]); break;
    case 4: cbor_put_bool(e, (int)(r & 1)); break;
    case 5: cbor_put_null(e); break;
    case 6: cbor_put_int(e, (int64_t)rnd()); break;
    case 7:
        cbor_put_tag(e, v);
        if (v == 2 || v == 3)
            cbor_put_bytes(e, "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x07", 9 + (r & 1));
        else
            gen(e, depth + 1);
        break;
    case 8: {
        cbor_begin_array(e);
        int n = (int)(rnd() % 30);
        for (int i = 0; i < n; i++) gen(e, depth + 1);
        cbor_end(e);
        break;
    }
    default: {
        /* distinct keys by construction, written in a random order */
        cbor_begin_map(e);
        int n = (int)(rnd() % 30);
        uint64_t salt = rnd() % 3;
        int step = n == 17 ? 1 : 17; /* coprime with n: a permutation */
        for (int i = 0; i < n; i++) {
            int k = ((i * step + (int)salt) % n) * 37;
            switch ((k + (int)salt) % 3) {
            case 0: cbor_put_int(e, k % 2 ? k : -k - 1); break;
            case 1: {
                char t[16];
                snprintf(t, sizeof t, "k%d", k);
                cbor_put_str(e, t);
                break;
            }
            default: cbor_put_bytes(e, &k, sizeof k); break;
            }
            gen(e, depth + 1);
        }
        cbor_end(e);
        break;
    }
    }
}

TEST(random_structures_roundtrip)
{
    for (int round = 0; round < 400; round++) {
        buf b = {0};
        cbor_enc e;
        kp_error err;
        cbor_item r;
        cbor_enc_init(&e, &b);
        gen(&e, 0);
        CHECK_EQ(cbor_enc_finish(&e, &err), KP_OK);
        CHECK_EQ(cbor_parse(b.p, b.len, &r, &err), KP_OK);
        for (int rev = 0; rev < 2; rev++) {
            buf b2 = {0};
            cbor_enc_init(&e, &b2);
            cbor_walk_encode(&e, &r, rev);
            CHECK_EQ(cbor_enc_finish(&e, &err), KP_OK);
            CHECK_EQ(b2.len, b.len);
            CHECK_MEM(b2.p, b.p, b.len);
            buf_free(&b2);
        }
        buf_free(&b);
    }
}

TEST(every_truncation_and_bit_flip_is_caught)
{
    buf b = {0};
    cbor_enc e;
    kp_error err;
    cbor_enc_init(&e, &b);
    cbor_put_tag(&e, 18);
    cbor_begin_array(&e);
    cbor_put_bytes(&e, "\xa1\x01\x27", 3);
    cbor_begin_map(&e);
    cbor_end(&e);
    cbor_begin_map(&e);
    cbor_put_str(&e, "type");
    cbor_put_str(&e, "post \xe6\xb0\xb4");
    cbor_put_int(&e, -70000);
    cbor_put_uint(&e, 1ULL << 40);
    cbor_put_str(&e, "parents");
    cbor_begin_array(&e);
    cbor_put_bytes(&e, "0123456789abcdef0123456789abcdef", 32);
    cbor_end(&e);
    cbor_end(&e);
    cbor_put_bytes(&e, "signature bytes", 15);
    cbor_end(&e);
    CHECK_EQ(cbor_enc_finish(&e, &err), KP_OK);
    CHECK_EQ(cbor_check(b.p, b.len, &err), KP_OK);
    for (size_t n = 0; n < b.len; n++) {
        CHECK_EQ(cbor_check(b.p, n, &err), KP_E_TRUNCATED);
        CHECK(err.offset >= 0 && (size_t)err.offset <= n);
    }
    int accepted = 0, rejected = 0;
    for (size_t bit = 0; bit < b.len * 8; bit++) {
        b.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cbor_item r;
        int rc = cbor_parse(b.p, b.len, &r, &err);
        if (rc == KP_OK) {
            /* whatever it accepts is canonical: it re-encodes to itself */
            buf b2 = {0};
            cbor_enc_init(&e, &b2);
            cbor_walk_encode(&e, &r, 1);
            CHECK_EQ(cbor_enc_finish(&e, &err), KP_OK);
            CHECK(b2.len == b.len && memcmp(b2.p, b.p, b.len) == 0);
            buf_free(&b2);
            accepted++;
        } else {
            CHECK(rc >= 300 || rc == KP_E_TRUNCATED);
            CHECK(err.offset >= 0 && (size_t)err.offset <= b.len);
            rejected++;
        }
        b.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK(rejected > 100);
    CHECK(accepted > 100); /* flips inside byte strings stay valid */
    buf_free(&b);
}
