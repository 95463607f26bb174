/*
 * age_test.c: Bech32 (BIP 173 vectors), age key strings (the spec's own
 * example), and age v1 files: round trips at the chunk boundaries, several
 * recipients, and strictness. Files with chosen defects are built here by
 * an independent little writer (build_file) that follows the spec with a
 * known file key, so that each rule of the reader is tested on its own.
 * Every truncation and every bit flip of a sample file is refused.
 */
#include <sodium.h>

#include "crypto/age.h"
#include "test.h"
#include "util/buf.h"

/* ---- Bech32 ---- */

TEST(bech32_bip173_valid)
{
    static const char *valid[] = {
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char hrp[100], again[200];
        uint8_t data[100];
        size_t n = 99;
        kp_error e;
        int rc = cry_bech32_decode(valid[i], strlen(valid[i]), hrp, sizeof hrp, data, sizeof data,
                                   &n, &e);
        CHECK_MSG(rc == KP_OK, "%s: %s", valid[i], e.msg);
        /* re-encoding gives the string back, in its case */
        int up = valid[i][0] == 'A';
        CHECK_EQ(cry_bech32_encode(again, sizeof again, hrp, data, n, up, NULL), KP_OK);
        CHECK_STR(again, valid[i]);
    }
}

TEST(bech32_bip173_invalid)
{
    static const char *invalid[] = {
        "\x20" "1nwldj5",   /* HRP character out of range */
        "\x7f" "1axkwrx",   /* HRP character out of range */
        "pzry9x0s0muk",     /* no separator */
        "1pzry9x0s0muk",    /* empty HRP */
        "x1b4n0q5v",        /* invalid data character */
        "li1dgmt3",         /* too short checksum */
        "de1lg7wt\xff",     /* invalid character in checksum */
        "A1G7SGD8",         /* checksum calculated with uppercase HRP */
        "10a06t8",          /* empty HRP */
        "1qzzfhee",         /* empty HRP */
        "a12UEL5L",         /* mixed case */
        "a12uel5m",         /* bad checksum */
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        char hrp[100];
        uint8_t data[100];
        size_t n;
        kp_error e;
        CHECK_MSG(cry_bech32_decode(invalid[i], strlen(invalid[i]), hrp, sizeof hrp, data,
                                    sizeof data, &n, &e) == KP_E_AGE_KEY,
                  "accepted invalid #%zu", i);
    }
    /* one byte is two symbols with 2 bits of padding: zero is the only
       encoding; padding of 5 bits or more is an extra symbol (checksums
       computed with BIP 173's reference algorithm) */
    char hrp[8];
    uint8_t d[8];
    size_t n;
    kp_error e;
    char s[64];
    CHECK_EQ(cry_bech32_encode(s, sizeof s, "x", (const uint8_t *)"\x00", 1, 0, NULL), KP_OK);
    CHECK_STR(s, "x1qqmkfy3s");
    CHECK_EQ(cry_bech32_decode(s, strlen(s), hrp, sizeof hrp, d, sizeof d, &n, &e), KP_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(d[0], 0);
    CHECK_EQ(cry_bech32_decode("x1qpxqa3vz", 10, hrp, sizeof hrp, d, sizeof d, &n, &e),
             KP_E_AGE_KEY);
    CHECK_EQ(cry_bech32_decode("x1qqqn0an5s", 11, hrp, sizeof hrp, d, sizeof d, &n, &e),
             KP_E_AGE_KEY);
}

TEST(bech32_round_trips)
{
    for (size_t len = 0; len <= 64; len++) {
        uint8_t data[64], back[64];
        char s[200], hrp[16];
        size_t n;
        cry_random(data, len);
        CHECK_EQ(cry_bech32_encode(s, sizeof s, "test", data, len, len & 1, NULL), KP_OK);
        CHECK_EQ(cry_bech32_decode(s, strlen(s), hrp, sizeof hrp, back, sizeof back, &n, NULL),
                 KP_OK);
        CHECK_EQ(n, len);
        CHECK_MEM(back, data, len);
        CHECK_STR(hrp, "test");
        /* any single changed character breaks the checksum */
        for (size_t i = 5; i < strlen(s); i++) {
            char c = s[i];
            s[i] = c == 'q' || c == 'Q' ? (len & 1 ? 'P' : 'p') : (len & 1 ? 'Q' : 'q');
            CHECK_EQ(cry_bech32_decode(s, strlen(s), hrp, sizeof hrp, back, sizeof back, &n, NULL),
                     KP_E_AGE_KEY);
            s[i] = c;
        }
    }
    char tiny[10];
    kp_error e;
    CHECK_EQ(cry_bech32_encode(tiny, sizeof tiny, "age", (const uint8_t *)"abc", 3, 0, &e),
             KP_E_LIMIT);
    CHECK_EQ(cry_bech32_encode(tiny, sizeof tiny, "AGE", (const uint8_t *)"", 0, 0, &e), KP_E_ARG);
}

/* ---- age key strings ---- */

TEST(age_keys_spec_example)
{
    /* The X25519 identity and recipient given in the age spec. */
    const char *id = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
    const char *rc = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
    uint8_t sk[32], pk[32], pk2[32];
    char s[KP_AGE_SECRET_BYTES], r[KP_AGE_RECIPIENT_BYTES];
    CHECK_EQ(cry_age_identity_parse(id, strlen(id), sk, NULL), KP_OK);
    cry_x25519_public(pk, sk);
    cry_age_recipient_format(r, pk);
    CHECK_STR(r, rc);
    CHECK_EQ(strlen(r), KP_AGE_RECIPIENT_BYTES - 1);
    cry_age_identity_format(s, sk);
    CHECK_STR(s, id);
    CHECK_EQ(strlen(s), KP_AGE_SECRET_BYTES - 1);
    CHECK_EQ(cry_age_recipient_parse(rc, strlen(rc), pk2, NULL), KP_OK);
    CHECK_MEM(pk, pk2, 32);
}

TEST(age_key_strings_are_strict)
{
    kp_error e;
    uint8_t k[32];
    const char *bad_recipients[] = {
        "AGE1ZVKYG2LQZRAA2LNJVQEJ32NKUU0UES2S82HZRYE869XEEXVN73EQUNUJWJ", /* age uses lower */
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk", /* checksum */
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73eqqqqqq",  /* length */
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",  /* checksum */
        "agf1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", /* prefix */
        "age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5zr", /* pq type */
        " age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
        "",
    };
    for (size_t i = 0; i < sizeof bad_recipients / sizeof bad_recipients[0]; i++)
        CHECK_MSG(cry_age_recipient_parse(bad_recipients[i], strlen(bad_recipients[i]), k, &e) ==
                      KP_E_AGE_KEY,
                  "accepted recipient #%zu", i);
    /* a 31- and a 33-byte key under the right prefix */
    char s[100];
    uint8_t d[33] = {1};
    CHECK_EQ(cry_bech32_encode(s, sizeof s, "age", d, 31, 0, NULL), KP_OK);
    CHECK_EQ(cry_age_recipient_parse(s, strlen(s), k, &e), KP_E_AGE_KEY);
    CHECK_EQ(cry_bech32_encode(s, sizeof s, "age", d, 33, 0, NULL), KP_OK);
    CHECK_EQ(cry_age_recipient_parse(s, strlen(s), k, &e), KP_E_AGE_KEY);
    const char *id = "age-secret-key-1gfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpq4egaex";
    CHECK_EQ(cry_age_identity_parse(id, strlen(id), k, &e), KP_E_AGE_KEY); /* age uses upper */
    const char *id2 = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEY";
    CHECK_EQ(cry_age_identity_parse(id2, strlen(id2), k, &e), KP_E_AGE_KEY);
    const char *id3 = "AGE-PLUGIN-YUBIKEY-1QQQQQQQQ";
    CHECK_EQ(cry_age_identity_parse(id3, strlen(id3), k, &e), KP_E_AGE_KEY);
}

/* ---- round trips ---- */

static int decrypt(const uint8_t sk[32], const buf *f, buf *out, kp_error *e)
{
    return cry_age_decrypt(sk, f->p, f->len, SIZE_MAX, out, e);
}

TEST(age_round_trips_at_chunk_boundaries)
{
    static const size_t sizes[] = {0,     1,     15,    16,     17,         65535,
                                   65536, 65537, 65552, 131072, 131073,     1 << 20};
    uint8_t pk[32], sk[32];
    cry_x25519_keygen(pk, sk);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *pt = malloc(n ? n : 1);
        cry_random(pt, n);
        buf f = {0}, out = {0};
        kp_error e;
        CHECK_EQ(cry_age_encrypt((const uint8_t(*)[32])pk, 1, pt, n, &f, &e), KP_OK);
        cry_age_info info;
        CHECK_EQ(cry_age_inspect(f.p, f.len, &info, NULL), KP_OK);
        size_t chunks = n == 0 ? 1 : (n + 65535) / 65536;
        CHECK_EQ(info.payload_len, 16 + n + 16 * chunks);
        CHECK_EQ(info.stanzas, 1);
        CHECK_EQ(info.x25519_stanzas, 1);
        CHECK_EQ(info.header_len + info.payload_len, f.len);
        int rc = decrypt(sk, &f, &out, &e);
        CHECK_MSG(rc == KP_OK, "size %zu: %s", n, e.msg);
        CHECK_EQ(out.len, n);
        CHECK(n == 0 || memcmp(out.p, pt, n) == 0);
        /* the limit on output is exact */
        buf lim = {0};
        if (n > 0) {
            CHECK_EQ(cry_age_decrypt(sk, f.p, f.len, n - 1, &lim, &e), KP_E_LIMIT);
            CHECK_EQ(lim.len, 0);
        }
        CHECK_EQ(cry_age_decrypt(sk, f.p, f.len, n, &lim, &e), KP_OK);
        buf_free(&lim);
        free(pt);
        buf_free(&f);
        buf_free(&out);
    }
}

TEST(age_several_recipients)
{
    uint8_t pk[5][32], sk[5][32], opk[32], osk[32];
    for (int i = 0; i < 5; i++) cry_x25519_keygen(pk[i], sk[i]);
    cry_x25519_keygen(opk, osk);
    buf f = {0}, out = {0};
    kp_error e;
    const char *msg = "to five of them";
    CHECK_EQ(cry_age_encrypt((const uint8_t(*)[32])pk, 5, (const uint8_t *)msg, strlen(msg), &f,
                             NULL),
             KP_OK);
    for (int i = 0; i < 5; i++) {
        out.len = 0;
        CHECK_EQ(decrypt(sk[i], &f, &out, &e), KP_OK);
        CHECK_EQ(out.len, strlen(msg));
        CHECK_MEM(out.p, msg, out.len);
    }
    out.len = 0;
    CHECK_EQ(decrypt(osk, &f, &out, &e), KP_E_NOT_RECIPIENT);
    CHECK_EQ(out.len, 0);
    cry_age_info info;
    CHECK_EQ(cry_age_inspect(f.p, f.len, &info, NULL), KP_OK);
    CHECK_EQ(info.stanzas, 5);
    /* appending to a buffer keeps what was there */
    buf pre = {0};
    CHECK_EQ(buf_append(&pre, "xy", 2), KP_OK);
    CHECK_EQ(decrypt(sk[2], &f, &pre, &e), KP_OK);
    CHECK_EQ(pre.len, 2 + strlen(msg));
    CHECK_MEM(pre.p, "xy", 2);
    buf_free(&pre);
    /* encrypting to nobody, or to a small-order key, is refused */
    buf g = {0};
    CHECK_EQ(cry_age_encrypt((const uint8_t(*)[32])pk, 0, (const uint8_t *)"x", 1, &g, &e),
             KP_E_ARG);
    uint8_t weak[2][32] = {{0}};
    memcpy(weak[0], pk[0], 32);
    weak[1][0] = 1; /* the point 1: small order */
    CHECK_EQ(cry_age_encrypt((const uint8_t(*)[32])weak, 2, (const uint8_t *)"x", 1, &g, &e),
             KP_E_KEY_WEAK);
    CHECK_EQ(g.len, 0);
    buf_free(&g);
    buf_free(&f);
    buf_free(&out);
}

/* ---- every truncation and bit flip ---- */

static int allowed_failure(int rc)
{
    return rc == KP_E_AGE_HEADER || rc == KP_E_AGE_VERSION || rc == KP_E_AGE_MAC ||
           rc == KP_E_AGE_PAYLOAD || rc == KP_E_NOT_RECIPIENT || rc == KP_E_KEY_WEAK ||
           rc == KP_E_LIMIT;
}

TEST(age_every_truncation_and_bit_flip_is_refused)
{
    uint8_t pk[2][32], sk[2][32], pt[300];
    for (int i = 0; i < 2; i++) cry_x25519_keygen(pk[i], sk[i]);
    cry_random(pt, sizeof pt);
    buf f = {0}, out = {0};
    CHECK_EQ(cry_age_encrypt((const uint8_t(*)[32])pk, 2, pt, sizeof pt, &f, NULL), KP_OK);
    kp_error e;
    for (size_t n = 0; n < f.len; n++) {
        int rc = cry_age_decrypt(sk[1], f.p, n, SIZE_MAX, &out, &e);
        CHECK_MSG(allowed_failure(rc), "truncation to %zu gave %d", n, rc);
        CHECK_EQ(out.len, 0);
    }
    size_t flips = 0;
    for (size_t bit = 0; bit < f.len * 8; bit++) {
        f.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int rc = cry_age_decrypt(sk[1], f.p, f.len, SIZE_MAX, &out, &e);
        CHECK_MSG(allowed_failure(rc), "flip of bit %zu gave %d", bit, rc);
        CHECK_EQ(out.len, 0);
        f.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        flips++;
    }
    CHECK_EQ(flips, f.len * 8);
    CHECK_EQ(cry_age_decrypt(sk[1], f.p, f.len, SIZE_MAX, &out, NULL), KP_OK);
    /* one extra byte, anywhere at the end, is refused as well */
    CHECK_EQ(buf_putc(&f, 0), KP_OK);
    out.len = 0;
    CHECK_EQ(cry_age_decrypt(sk[1], f.p, f.len, SIZE_MAX, &out, &e), KP_E_AGE_PAYLOAD);
    buf_free(&f);
    buf_free(&out);
}

TEST(age_multichunk_damage_is_refused)
{
    /* Three chunks (the last one short): truncations around every chunk
       boundary and bit flips across each chunk's data and tag. */
    uint8_t pk[32], sk[32];
    size_t n = 2 * 65536 + 100;
    uint8_t *pt = malloc(n);
    cry_random(pt, n);
    cry_x25519_keygen(pk, sk);
    buf f = {0}, out = {0};
    CHECK_EQ(cry_age_encrypt((const uint8_t(*)[32])pk, 1, pt, n, &f, NULL), KP_OK);
    cry_age_info info;
    CHECK_EQ(cry_age_inspect(f.p, f.len, &info, NULL), KP_OK);
    size_t p0 = info.header_len + 16; /* first chunk */
    kp_error e;
    for (size_t c = 0; c <= 3; c++) {
        size_t b = p0 + c * 65552;
        for (size_t d = 0; d < 40; d++) {
            size_t cut[2] = {b - 20 + d, b + d};
            for (int k = 0; k < 2; k++) {
                if (cut[k] >= f.len) continue;
                int rc = cry_age_decrypt(sk, f.p, cut[k], SIZE_MAX, &out, &e);
                int want = cut[k] < info.header_len ? KP_E_AGE_HEADER : KP_E_AGE_PAYLOAD;
                CHECK_MSG(rc == want, "cut at %zu gave %d", cut[k], rc);
                CHECK_EQ(out.len, 0);
            }
        }
    }
    for (size_t pos = info.header_len; pos < f.len; pos += 331) {
        f.p[pos] ^= 0x40;
        CHECK_EQ(cry_age_decrypt(sk, f.p, f.len, SIZE_MAX, &out, &e), KP_E_AGE_PAYLOAD);
        CHECK_EQ(out.len, 0);
        f.p[pos] ^= 0x40;
    }
    /* swapping the first two chunks is refused (counter nonces) */
    uint8_t *tmp = malloc(65552);
    memcpy(tmp, f.p + p0, 65552);
    memmove(f.p + p0, f.p + p0 + 65552, 65552);
    memcpy(f.p + p0 + 65552, tmp, 65552);
    CHECK_EQ(cry_age_decrypt(sk, f.p, f.len, SIZE_MAX, &out, &e), KP_E_AGE_PAYLOAD);
    free(tmp);
    /* dropping the final chunk leaves a full chunk not marked final */
    CHECK_EQ(cry_age_decrypt(sk, f.p, p0 + 2 * 65552, SIZE_MAX, &out, &e), KP_E_AGE_PAYLOAD);
    free(pt);
    buf_free(&f);
    buf_free(&out);
}

/* ---- an independent writer, for files with chosen defects ---- */

static void b64(buf *b, const uint8_t *d, size_t n)
{
    char tmp[200];
    sodium_bin2base64(tmp, sizeof tmp, d, n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    buf_append(b, tmp, strlen(tmp));
}

/* An X25519 stanza for rcpt carrying file_key, with the share encoded as
   given (NULL: a fresh one). */
static void x25519_stanza(buf *b, const uint8_t fk[16], const uint8_t rcpt[32],
                          const char *extra_args)
{
    static const uint8_t zero[12];
    uint8_t esk[32], share[32], shared[32], salt[64], key[32], body[32];
    cry_x25519_keygen(share, esk);
    if (cry_x25519(shared, esk, rcpt, NULL)) abort();
    memcpy(salt, share, 32);
    memcpy(salt + 32, rcpt, 32);
    if (cry_hkdf_sha256(key, 32, shared, 32, salt, 64, "age-encryption.org/v1/X25519", 28, NULL))
        abort();
    if (cry_aead_encrypt(body, fk, 16, NULL, 0, zero, key, NULL)) abort();
    buf_append(b, "-> X25519 ", 10);
    b64(b, share, 32);
    if (extra_args) buf_append(b, extra_args, strlen(extra_args));
    buf_putc(b, '\n');
    b64(b, body, 32);
    buf_putc(b, '\n');
}

/* Closes a header with its MAC (mac_flip: damage it). */
static void finish_header(buf *b, const uint8_t fk[16])
{
    uint8_t hk[32], mac[32];
    buf_append(b, "---", 3);
    if (cry_hkdf_sha256(hk, 32, fk, 16, NULL, 0, "header", 6, NULL)) abort();
    cry_hmac_sha256(mac, hk, 32, b->p, b->len);
    buf_putc(b, ' ');
    b64(b, mac, 32);
    buf_putc(b, '\n');
}

/* A payload of chunks with the given plaintext sizes and final flags. */
static void payload(buf *b, const uint8_t fk[16], const size_t *sizes, const int *last, size_t n)
{
    uint8_t nonce[16], key[32], cn[12];
    cry_random(nonce, 16);
    if (cry_hkdf_sha256(key, 32, fk, 16, nonce, 16, "payload", 7, NULL)) abort();
    buf_append(b, nonce, 16);
    for (size_t i = 0; i < n; i++) {
        uint8_t *pt = calloc(1, sizes[i] + 1), *ct = malloc(sizes[i] + 16);
        memset(cn, 0, 12);
        cn[10] = (uint8_t)i;
        cn[11] = (uint8_t)last[i];
        if (cry_aead_encrypt(ct, pt, sizes[i], NULL, 0, cn, key, NULL)) abort();
        buf_append(b, ct, sizes[i] + 16);
        free(pt);
        free(ct);
    }
}

typedef struct fixture {
    uint8_t pk[32], sk[32], fk[16];
} fixture;

static void fixture_init(fixture *x)
{
    cry_x25519_keygen(x->pk, x->sk);
    cry_random(x->fk, 16);
}

/* A complete file: version line, before (raw text), our stanza, after, MAC,
   one final chunk of 10 bytes. */
static void simple_file(buf *b, fixture *x, const char *before, const char *after,
                        const char *extra_args)
{
    static const size_t sz[] = {10};
    static const int last[] = {1};
    buf_append(b, "age-encryption.org/v1\n", 22);
    if (before) buf_append(b, before, strlen(before));
    x25519_stanza(b, x->fk, x->pk, extra_args);
    if (after) buf_append(b, after, strlen(after));
    finish_header(b, x->fk);
    payload(b, x->fk, sz, last, 1);
}

static int try_file(fixture *x, const buf *f, kp_error *e)
{
    buf out = {0};
    int rc = cry_age_decrypt(x->sk, f->p, f->len, SIZE_MAX, &out, e);
    if (rc == KP_OK && out.len != 10) rc = -1;
    buf_free(&out);
    return rc;
}

TEST(age_independent_writer_is_read)
{
    fixture x;
    fixture_init(&x);
    buf f = {0};
    kp_error e;
    simple_file(&f, &x, NULL, NULL, NULL);
    CHECK_EQ(try_file(&x, &f, &e), KP_OK);
    buf_free(&f);
    /* stanzas of other types are ignored, whatever their bodies */
    simple_file(&f, &x, "-> scrypt c2FsdHNhbHRzYWx0c2FsdA 18\nAAAA\n",
                "-> example.com/enigma a b c\n"
                "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n"
                "QUFB\n"
                "-> empty\n\n",
                NULL);
    CHECK_EQ(try_file(&x, &f, &e), KP_OK);
    cry_age_info info;
    CHECK_EQ(cry_age_inspect(f.p, f.len, &info, NULL), KP_OK);
    CHECK_EQ(info.stanzas, 4);
    CHECK_EQ(info.x25519_stanzas, 1);
    buf_free(&f);
    /* a body of exactly 64 columns needs an empty final line */
    simple_file(&f, &x, NULL,
                "-> other\n"
                "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n\n",
                NULL);
    CHECK_EQ(try_file(&x, &f, &e), KP_OK);
    buf_free(&f);
}

TEST(age_header_rules)
{
    static const struct {
        const char *before, *after, *extra;
        int want;
    } cases[] = {
        /* a 64-column body with no final short line: the next stanza line
           is read as body and is not base64 */
        {NULL,
         "-> other\nQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n", NULL,
         KP_E_AGE_HEADER},
        /* a 65-column body line */
        {"-> other\nQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQ\n", NULL, NULL,
         KP_E_AGE_HEADER},
        /* non-canonical base64 in another stanza's body (trailing bits) */
        {"-> other\nQR\n", NULL, NULL, KP_E_AGE_HEADER},
        /* padding is not allowed */
        {"-> other\nQQ==\n", NULL, NULL, KP_E_AGE_HEADER},
        /* 4n+1 characters */
        {"-> other\nQUFBQ\n", NULL, NULL, KP_E_AGE_HEADER},
        /* empty argument list, empty argument, trailing space */
        {"-> \n\n", NULL, NULL, KP_E_AGE_HEADER},
        {"-> a  b\n\n", NULL, NULL, KP_E_AGE_HEADER},
        {"-> a \n\n", NULL, NULL, KP_E_AGE_HEADER},
        /* CR, a tab, a byte above 0x7e in an argument */
        {"-> a\r\n\n", NULL, NULL, KP_E_AGE_HEADER},
        {"-> a\tb\n\n", NULL, NULL, KP_E_AGE_HEADER},
        {"-> a\xc3\xa9\n\n", NULL, NULL, KP_E_AGE_HEADER},
        /* a stray line between stanzas */
        {"hello\n", NULL, NULL, KP_E_AGE_HEADER},
        {"->x\n\n", NULL, NULL, KP_E_AGE_HEADER},
        /* our X25519 stanza with an extra argument */
        {NULL, NULL, " extra", KP_E_AGE_HEADER},
        /* a malformed X25519 stanza elsewhere refuses the file even though
           ours is fine: one argument too few, a short share, a long body */
        {"-> X25519\nAAAA\n", NULL, NULL, KP_E_AGE_HEADER},
        {"-> X25519 AAAA\nAAAA\n", NULL, NULL, KP_E_AGE_HEADER},
        {NULL,
         "-> X25519 CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk\n"
         "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ\n",
         NULL, KP_E_AGE_HEADER},
        /* a share that is not canonical base64 (last character's low bits) */
        {"-> X25519 CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQl\n"
         "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk\n",
         NULL, NULL, KP_E_AGE_HEADER},
        /* a stanza before ours whose share is the zero point: abort */
        {"-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
         NULL, NULL, KP_E_KEY_WEAK},
        /* the same after ours: ours is found first, the MAC still binds it */
        {NULL,
         "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
         NULL, KP_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture x;
        fixture_init(&x);
        buf f = {0};
        kp_error e;
        simple_file(&f, &x, cases[i].before, cases[i].after, cases[i].extra);
        int rc = try_file(&x, &f, &e);
        CHECK_MSG(rc == cases[i].want, "case %zu: got %d (%s), want %d", i, rc, e.msg,
                  cases[i].want);
        buf_free(&f);
    }
}

TEST(age_version_mac_and_limits)
{
    fixture x;
    kp_error e;
    buf f = {0};
    fixture_init(&x);
    simple_file(&f, &x, NULL, NULL, NULL);
    /* version */
    memcpy(f.p + 20, "2", 1);
    CHECK_EQ(try_file(&x, &f, &e), KP_E_AGE_VERSION);
    memcpy(f.p + 20, "1", 1);
    CHECK_EQ(try_file(&x, &f, &e), KP_OK);
    /* a MAC line that is not 43 characters, a wrong MAC */
    uint8_t *dash = (uint8_t *)memmem(f.p, f.len, "\n---", 4) + 1;
    dash[3] = '\t';
    CHECK_EQ(try_file(&x, &f, &e), KP_E_AGE_HEADER);
    dash[3] = ' ';
    dash[10] = dash[10] == 'A' ? 'B' : 'A';
    CHECK_EQ(try_file(&x, &f, &e), KP_E_AGE_MAC);
    CHECK_EQ(e.offset, (int64_t)(dash + 3 - f.p));
    buf_free(&f);
    /* no stanza at all */
    buf_append(&f, "age-encryption.org/v1\n", 22);
    finish_header(&f, x.fk);
    CHECK_EQ(try_file(&x, &f, &e), KP_E_AGE_HEADER);
    buf_free(&f);
    /* not an age file */
    CHECK_EQ(cry_age_decrypt(x.sk, (const uint8_t *)"hello\n", 6, 100, &f, &e), KP_E_AGE_HEADER);
    CHECK_EQ(cry_age_decrypt(x.sk, (const uint8_t *)"", 0, 100, &f, &e), KP_E_AGE_HEADER);
    /* too many stanzas, too long a header */
    buf many = {0};
    for (int i = 0; i < CRY_AGE_STANZAS_MAX; i++) buf_append(&many, "-> a\n\n", 6);
    buf g = {0};
    buf_append(&g, "age-encryption.org/v1\n", 22);
    buf_append(&g, many.p, many.len);
    x25519_stanza(&g, x.fk, x.pk, NULL);
    finish_header(&g, x.fk);
    CHECK_EQ(try_file(&x, &g, &e), KP_E_LIMIT);
    buf_free(&g);
    buf_free(&many);
    buf_free(&f);
    buf_append(&g, "age-encryption.org/v1\n-> a\n", 27);
    while (g.len < CRY_AGE_HEADER_MAX + 100) buf_putc(&g, 'A');
    CHECK_EQ(try_file(&x, &g, &e), KP_E_LIMIT);
    buf_free(&g);
}

TEST(age_payload_rules)
{
    /* chunk plaintext sizes and final flags; the expected code, and the
       plaintext size when it decrypts */
    static const struct {
        size_t n;
        size_t sizes[3];
        int last[3];
        int want;
        size_t out;
    } cases[] = {
        {1, {10}, {1}, KP_OK, 10},
        {1, {0}, {1}, KP_OK, 0},                       /* empty file */
        {2, {65536, 10}, {0, 1}, KP_OK, 65546},
        {1, {65536}, {1}, KP_OK, 65536},               /* full final chunk */
        {1, {10}, {0}, KP_E_AGE_PAYLOAD, 0},           /* final chunk not marked */
        {2, {65536, 0}, {0, 1}, KP_E_AGE_PAYLOAD, 0},  /* empty final after full */
        {2, {10, 10}, {0, 1}, KP_E_AGE_PAYLOAD, 0},    /* short non-final chunk */
        {2, {65536, 10}, {1, 1}, KP_E_AGE_PAYLOAD, 0}, /* final flag too early */
        {1, {65536}, {0}, KP_E_AGE_PAYLOAD, 0},        /* no final chunk at all */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture x;
        fixture_init(&x);
        buf f = {0}, out = {0};
        kp_error e;
        buf_append(&f, "age-encryption.org/v1\n", 22);
        x25519_stanza(&f, x.fk, x.pk, NULL);
        finish_header(&f, x.fk);
        payload(&f, x.fk, cases[i].sizes, cases[i].last, cases[i].n);
        int rc = cry_age_decrypt(x.sk, f.p, f.len, SIZE_MAX, &out, &e);
        CHECK_MSG(rc == cases[i].want, "case %zu: %d (%s)", i, rc, e.msg);
        CHECK_EQ(out.len, cases[i].out);
        buf_free(&f);
        buf_free(&out);
    }
    /* truncated payloads: none at all, a nonce only, a partial tag */
    fixture x;
    fixture_init(&x);
    static const size_t full[] = {65536};
    static const int yes[] = {1};
    buf f = {0}, out = {0};
    buf_append(&f, "age-encryption.org/v1\n", 22);
    x25519_stanza(&f, x.fk, x.pk, NULL);
    finish_header(&f, x.fk);
    size_t hdr = f.len;
    payload(&f, x.fk, full, yes, 1); /* one full final chunk */
    CHECK_EQ(cry_age_decrypt(x.sk, f.p, f.len, SIZE_MAX, &out, NULL), KP_OK);
    CHECK_EQ(out.len, 65536);
    /* no payload at all, a nonce only, a nonce and a partial tag */
    kp_error e;
    out.len = 0;
    CHECK_EQ(cry_age_decrypt(x.sk, f.p, hdr, SIZE_MAX, &out, &e), KP_E_AGE_PAYLOAD);
    CHECK_EQ(cry_age_decrypt(x.sk, f.p, hdr + 16, SIZE_MAX, &out, &e), KP_E_AGE_PAYLOAD);
    CHECK_EQ(cry_age_decrypt(x.sk, f.p, hdr + 31, SIZE_MAX, &out, &e), KP_E_AGE_PAYLOAD);
    CHECK_EQ(out.len, 0);
    buf_free(&f);
    buf_free(&out);
}

/* ---- armor ---- */

/* PEM-armors a binary file with the given line end. */
static void armor(buf *out, const buf *bin, const char *eol)
{
    size_t n = sodium_base64_ENCODED_LEN(bin->len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(n);
    sodium_bin2base64(s, n, bin->p, bin->len, sodium_base64_VARIANT_ORIGINAL);
    buf_printf(out, "-----BEGIN AGE ENCRYPTED FILE-----%s", eol);
    for (size_t i = 0, len = strlen(s); i < len; i += 64) {
        buf_append(out, s + i, len - i < 64 ? len - i : 64);
        buf_printf(out, "%s", eol);
    }
    buf_printf(out, "-----END AGE ENCRYPTED FILE-----%s", eol);
    free(s);
}

TEST(age_armor_is_read_strictly)
{
    uint8_t pk[32], sk[32];
    cry_x25519_keygen(pk, sk);
    buf f = {0}, a = {0}, out = {0};
    kp_error e;
    CHECK_EQ(cry_age_encrypt((const uint8_t(*)[32])pk, 1, (const uint8_t *)"armored", 7, &f, NULL),
             KP_OK);
    armor(&a, &f, "\n");
    CHECK(cry_age_is_armored(a.p, a.len));
    CHECK(!cry_age_is_armored(f.p, f.len));
    CHECK_EQ(cry_age_decrypt(sk, a.p, a.len, SIZE_MAX, &out, &e), KP_OK);
    CHECK_EQ(out.len, 7);
    buf_free(&a);
    /* CRLF, and white space around the block */
    buf_append(&a, " \n\t", 3);
    armor(&a, &f, "\r\n");
    buf_append(&a, "\n\n  ", 4);
    out.len = 0;
    CHECK_EQ(cry_age_decrypt(sk, a.p, a.len, SIZE_MAX, &out, &e), KP_OK);
    CHECK_EQ(out.len, 7);
    cry_age_info info;
    CHECK_EQ(cry_age_inspect(a.p, a.len, &info, NULL), KP_OK);
    CHECK_EQ(info.stanzas, 1);
    buf_free(&a);
    /* text after the end, no end line, a short line in the middle */
    armor(&a, &f, "\n");
    buf_append(&a, "x", 1);
    CHECK_EQ(cry_age_decrypt(sk, a.p, a.len, SIZE_MAX, &out, &e), KP_E_AGE_ARMOR);
    a.len -= 1 + 33;
    CHECK_EQ(cry_age_decrypt(sk, a.p, a.len, SIZE_MAX, &out, &e), KP_E_AGE_ARMOR);
    buf_free(&a);
    armor(&a, &f, "\n");
    uint8_t *nl = (uint8_t *)memchr(a.p + 36, '\n', a.len - 36); /* end of line 1 */
    CHECK(nl != NULL && nl - (a.p + 35) == 64);
    memmove(nl - 1, nl, a.len - (size_t)(nl - a.p)); /* line 1 now 63 columns */
    a.len--;
    CHECK_EQ(cry_age_decrypt(sk, a.p, a.len, SIZE_MAX, &out, &e), KP_E_AGE_ARMOR);
    buf_free(&a);
    /* a top bit set on a '/' of the body: libsodium alone would read it
       as '/' again, and the file would pass unchanged */
    {
        buf one = {0}, bin = {0};
        buf_printf(&one, "-----BEGIN AGE ENCRYPTED FILE-----\n////\n-----END AGE ENCRYPTED FILE-----\n");
        CHECK_EQ(cry_age_dearmor(one.p, one.len, &bin, &e), KP_OK);
        CHECK_EQ(bin.len, 3);
        CHECK_MEM(bin.p, "\xff\xff\xff", 3);
        one.p[35 + 2] |= 0x80;
        bin.len = 0;
        CHECK_EQ(cry_age_dearmor(one.p, one.len, &bin, &e), KP_E_AGE_ARMOR);
        buf_free(&one);
        buf_free(&bin);
    }
    /* the same for every byte of a real armored file: any top bit set is
       refused */
    armor(&a, &f, "\n");
    for (size_t i = 0; i < a.len; i++) {
        a.p[i] ^= 0x80;
        out.len = 0;
        int rc = cry_age_decrypt(sk, a.p, a.len, SIZE_MAX, &out, &e);
        CHECK_MSG(rc == KP_E_AGE_ARMOR || rc == KP_E_AGE_HEADER, "top bit of byte %zu: %d", i, rc);
        a.p[i] ^= 0x80;
    }
    buf_free(&a);
    /* a bad label and padding in the wrong place */
    armor(&a, &f, "\n");
    a.p[15] = 'X';
    CHECK_EQ(cry_age_decrypt(sk, a.p, a.len, SIZE_MAX, &out, &e), KP_E_AGE_HEADER);
    buf_free(&a);
    armor(&a, &f, "\n");
    a.p[36] = '=';
    CHECK_EQ(cry_age_decrypt(sk, a.p, a.len, SIZE_MAX, &out, &e), KP_E_AGE_ARMOR);
    buf_free(&a);
    buf_free(&f);
    buf_free(&out);
}
