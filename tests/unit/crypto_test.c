/*
 * crypto_test.c: the primitives of src/crypto against published vectors
 * (FIPS 180 SHA, RFC 4231 HMAC, RFC 5869 HKDF, RFC 8439 ChaCha20-Poly1305,
 * RFC 7748 X25519, RFC 8032 Ed25519, RFC 6979 ECDSA P-256), then edge
 * cases in the spirit of Wycheproof: non-canonical and malleable
 * signatures, small-order and off-curve keys, high-S ECDSA, strict DER,
 * wrong lengths. Every rejection is checked for its exact code.
 */
#include <sodium.h>

#include "crypto/crypto.h"
#include "test.h"

/* Hex to bytes; the test fails on bad hex. Returns the length. */
static size_t unhex(uint8_t *out, size_t max, const char *hex)
{
    size_t n = 0;
    if (sodium_hex2bin(out, max, hex, strlen(hex), NULL, &n, NULL) != 0) {
        fprintf(stderr, "bad test hex: %s\n", hex);
        abort();
    }
    return n;
}

#define CHECK_HEX(bytes, n, hex)                                                     \
    do {                                                                             \
        uint8_t want_[512];                                                          \
        size_t wn_ = unhex(want_, sizeof want_, hex);                                \
        CHECK_EQ(wn_, (n));                                                          \
        CHECK_MEM((bytes), want_, wn_);                                              \
    } while (0)

/* ---- hashes ---- */

TEST(sha256_fips180_and_incremental)
{
    uint8_t d[32], e[32];
    cry_sha256(d, "abc", 3);
    CHECK_HEX(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cry_sha256(d, "", 0);
    CHECK_HEX(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* incremental over uneven pieces equals one-shot */
    uint8_t msg[1000];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7);
    cry_sha256(d, msg, sizeof msg);
    cry_sha256_ctx c;
    cry_sha256_init(&c);
    cry_sha256_update(&c, msg, 1);
    cry_sha256_update(&c, msg + 1, 63);
    cry_sha256_update(&c, msg + 64, 0);
    cry_sha256_update(&c, msg + 64, sizeof msg - 64);
    cry_sha256_final(&c, e);
    CHECK_MEM(d, e, 32);
    uint8_t z[64];
    cry_sha512(z, "abc", 3);
    CHECK_HEX(z, 64,
              "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

/* RFC 4231 section 4: the HMAC-SHA-256 results of test cases 1..7. */
TEST(hmac_sha256_rfc4231)
{
    uint8_t key[131], data[160], mac[32];
    size_t kn, dn;

    memset(key, 0x0b, 20);
    cry_hmac_sha256(mac, key, 20, "Hi There", 8);
    CHECK_HEX(mac, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    cry_hmac_sha256(mac, "Jefe", 4, "what do ya want for nothing?", 28);
    CHECK_HEX(mac, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    cry_hmac_sha256(mac, key, 20, data, 50);
    CHECK_HEX(mac, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

    kn = unhex(key, sizeof key, "0102030405060708090a0b0c0d0e0f10111213141516171819");
    memset(data, 0xcd, 50);
    cry_hmac_sha256(mac, key, kn, data, 50);
    CHECK_HEX(mac, 32, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

    memset(key, 0x0c, 20);
    cry_hmac_sha256(mac, key, 20, "Test With Truncation", 20);
    CHECK_HEX(mac, 16, "a3b6167473100ee06e0c796c2955552b"); /* truncated to 128 bits */

    memset(key, 0xaa, 131); /* larger than a block: hashed first */
    const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    cry_hmac_sha256(mac, key, 131, t6, strlen(t6));
    CHECK_HEX(mac, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    const char *t7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the "
                     "HMAC algorithm.";
    dn = strlen(t7);
    cry_hmac_sha256(mac, key, 131, t7, dn);
    CHECK_HEX(mac, 32, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    /* the same, incrementally */
    cry_hmac_ctx c;
    cry_hmac_sha256_init(&c, key, 131);
    cry_hmac_sha256_update(&c, t7, 10);
    cry_hmac_sha256_update(&c, t7 + 10, dn - 10);
    cry_hmac_sha256_final(&c, mac);
    CHECK_HEX(mac, 32, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/* RFC 5869 appendix A, test cases 1..3 (SHA-256). */
TEST(hkdf_sha256_rfc5869)
{
    uint8_t ikm[80], salt[80], info[80], prk[32], okm[82];
    size_t in, sn, fn;

    in = unhex(ikm, sizeof ikm, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    sn = unhex(salt, sizeof salt, "000102030405060708090a0b0c");
    fn = unhex(info, sizeof info, "f0f1f2f3f4f5f6f7f8f9");
    CHECK_EQ(cry_hkdf_sha256_extract(prk, salt, sn, ikm, in, NULL), KP_OK);
    CHECK_HEX(prk, 32, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    CHECK_EQ(cry_hkdf_sha256_expand(okm, 42, prk, 32, info, fn, NULL), KP_OK);
    CHECK_HEX(okm, 42,
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    memset(okm, 0, sizeof okm);
    CHECK_EQ(cry_hkdf_sha256(okm, 42, ikm, in, salt, sn, info, fn, NULL), KP_OK);
    CHECK_HEX(okm, 42,
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");

    for (int i = 0; i < 80; i++) {
        ikm[i] = (uint8_t)i;
        salt[i] = (uint8_t)(0x60 + i);
        info[i] = (uint8_t)(0xb0 + i);
    }
    CHECK_EQ(cry_hkdf_sha256_extract(prk, salt, 80, ikm, 80, NULL), KP_OK);
    CHECK_HEX(prk, 32, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244");
    CHECK_EQ(cry_hkdf_sha256(okm, 82, ikm, 80, salt, 80, info, 80, NULL), KP_OK);
    CHECK_HEX(okm, 82,
              "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
              "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
              "cc30c58179ec3e87c14c01d5c1f3434f1d87");

    /* test case 3: empty salt and info */
    in = unhex(ikm, sizeof ikm, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    CHECK_EQ(cry_hkdf_sha256_extract(prk, NULL, 0, ikm, in, NULL), KP_OK);
    CHECK_HEX(prk, 32, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
    CHECK_EQ(cry_hkdf_sha256(okm, 42, ikm, in, NULL, 0, NULL, 0, NULL), KP_OK);
    CHECK_HEX(okm, 42,
              "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");

    /* lengths the RFC forbids */
    kp_error e;
    CHECK_EQ(cry_hkdf_sha256(okm, 0, ikm, in, NULL, 0, NULL, 0, &e), KP_E_ARG);
    static uint8_t big[255 * 32 + 1];
    CHECK_EQ(cry_hkdf_sha256_expand(big, sizeof big, prk, 32, NULL, 0, &e), KP_E_ARG);
    CHECK_EQ(cry_hkdf_sha256_expand(big, sizeof big - 1, prk, 32, NULL, 0, &e), KP_OK);
    CHECK_EQ(cry_hkdf_sha256_expand(okm, 32, prk, 31, NULL, 0, &e), KP_E_ARG);
}

/* ---- ChaCha20-Poly1305 ---- */

TEST(aead_rfc8439_2_8_2)
{
    uint8_t key[32], nonce[12], ad[12], ct[200], pt[200];
    unhex(key, 32, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    unhex(nonce, 12, "070000004041424344454647");
    size_t an = unhex(ad, sizeof ad, "50515253c0c1c2c3c4c5c6c7");
    const char *msg = "Ladies and Gentlemen of the class of '99: If I could offer you only one "
                      "tip for the future, sunscreen would be it.";
    size_t n = strlen(msg);
    CHECK_EQ(n, 114);
    CHECK_EQ(cry_aead_encrypt(ct, (const uint8_t *)msg, n, ad, an, nonce, key, NULL), KP_OK);
    CHECK_HEX(ct, n + 16,
              "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
              "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
              "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
              "3ff4def08e4b7a9de576d26586cec64b6116"
              "1ae10b594f09e26a7e902ecbd0600691");
    CHECK_EQ(cry_aead_decrypt(pt, ct, n + 16, ad, an, nonce, key, NULL), KP_OK);
    CHECK_MEM(pt, msg, n);
    /* any change to ciphertext, tag, AD or nonce is refused, and the
       output holds no plaintext */
    kp_error e;
    for (size_t i = 0; i < n + 16; i += 7) {
        ct[i] ^= 0x01;
        memset(pt, 0xee, sizeof pt);
        CHECK_EQ(cry_aead_decrypt(pt, ct, n + 16, ad, an, nonce, key, &e), KP_E_DECRYPT);
        CHECK(sodium_is_zero(pt, n));
        ct[i] ^= 0x01;
    }
    ad[0] ^= 1;
    CHECK_EQ(cry_aead_decrypt(pt, ct, n + 16, ad, an, nonce, key, &e), KP_E_DECRYPT);
    ad[0] ^= 1;
    CHECK_EQ(cry_aead_decrypt(pt, ct, n + 16, ad, an - 1, nonce, key, &e), KP_E_DECRYPT);
    nonce[11] ^= 1;
    CHECK_EQ(cry_aead_decrypt(pt, ct, n + 16, ad, an, nonce, key, &e), KP_E_DECRYPT);
    nonce[11] ^= 1;
    CHECK_EQ(cry_aead_decrypt(pt, ct, 15, ad, an, nonce, key, &e), KP_E_DECRYPT);
    CHECK_EQ(cry_aead_decrypt(pt, ct, n + 15, ad, an, nonce, key, &e), KP_E_DECRYPT);
}

TEST(aead_rfc8439_a5_decrypt)
{
    uint8_t key[32], nonce[12], ad[12], ct[300], pt[300];
    unhex(key, 32, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    unhex(nonce, 12, "000000000102030405060708");
    unhex(ad, 12, "f33388860000000000004e91");
    size_t n = unhex(ct, sizeof ct,
                     "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
                     "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
                     "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
                     "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
                     "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
                     "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
                     "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
                     "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
                     "a6ad5cb4022b02709b"
                     "eead9d67890cbb22392336fea1851f38");
    CHECK_EQ(n, 265 + 16);
    CHECK_EQ(cry_aead_decrypt(pt, ct, n, ad, 12, nonce, key, NULL), KP_OK);
    const char *want = "Internet-Drafts are draft documents valid for a maximum of six months "
                       "and may be updated, replaced, or obsoleted by other documents at any "
                       "time. It is inappropriate to use Internet-Drafts as reference material "
                       "or to cite them other than as /\xe2\x80\x9cwork in progress./\xe2\x80\x9d";
    CHECK_EQ(strlen(want), 265);
    CHECK_MEM(pt, want, 265);
    /* decrypting in place works too */
    CHECK_EQ(cry_aead_decrypt(ct, ct, n, ad, 12, nonce, key, NULL), KP_OK);
    CHECK_MEM(ct, want, 265);
}

/* ---- X25519 ---- */

TEST(x25519_rfc7748_and_small_order)
{
    uint8_t ask[32], bsk[32], apk[32], bpk[32], s1[32], s2[32];
    unhex(ask, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    unhex(bsk, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    cry_x25519_public(apk, ask);
    cry_x25519_public(bpk, bsk);
    CHECK_HEX(apk, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    CHECK_HEX(bpk, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    CHECK_EQ(cry_x25519(s1, ask, bpk, NULL), KP_OK);
    CHECK_EQ(cry_x25519(s2, bsk, apk, NULL), KP_OK);
    CHECK_HEX(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    CHECK_MEM(s1, s2, 32);
    /* small-order peer keys give the all-zero secret: refused, out zeroed */
    static const char *small[] = {
        "0000000000000000000000000000000000000000000000000000000000000000", /* 0 */
        "0100000000000000000000000000000000000000000000000000000000000000", /* 1 */
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", /* order 8 */
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", /* order 8 */
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p - 1 */
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p (= 0) */
    };
    kp_error e;
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        uint8_t peer[32], out[32];
        unhex(peer, 32, small[i]);
        memset(out, 0xaa, 32);
        CHECK_EQ(cry_x25519(out, ask, peer, &e), KP_E_KEY_WEAK);
        CHECK(sodium_is_zero(out, 32));
    }
    /* keygen gives working pairs */
    cry_x25519_keygen(apk, ask);
    cry_x25519_keygen(bpk, bsk);
    CHECK_EQ(cry_x25519(s1, ask, bpk, NULL), KP_OK);
    CHECK_EQ(cry_x25519(s2, bsk, apk, NULL), KP_OK);
    CHECK_MEM(s1, s2, 32);
}

/* ---- Ed25519 ---- */

/* RFC 8032 section 7.1: TEST 1, 2, 3 and TEST SHA(abc). */
static const struct {
    const char *seed, *pk, *msg, *sig;
} rfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

TEST(ed25519_rfc8032_vectors)
{
    for (size_t i = 0; i < sizeof rfc8032 / sizeof rfc8032[0]; i++) {
        uint8_t seed[32], pk[32], sk[64], msg[64], sig[64];
        unhex(seed, 32, rfc8032[i].seed);
        size_t mn = unhex(msg, sizeof msg, rfc8032[i].msg);
        cry_ed25519_from_seed(pk, sk, seed);
        CHECK_HEX(pk, 32, rfc8032[i].pk);
        cry_ed25519_sign(sig, msg, mn, sk);
        CHECK_HEX(sig, 64, rfc8032[i].sig);
        CHECK_EQ(cry_ed25519_verify(pk, msg, mn, sig, NULL), KP_OK);
        CHECK_EQ(cry_sig_verify(KP_ALG_ED25519, pk, 32, msg, mn, sig, 64, NULL), KP_OK);
        CHECK_EQ(cry_ed25519_pk_check(pk, NULL), KP_OK);
        CHECK_EQ(cry_sig_pk_check(KP_ALG_ED25519, pk, 32, NULL), KP_OK);
        sodium_memzero(sk, sizeof sk);
    }
}

/* Adds L to the little-endian S of a signature: the same scalar mod L, so
   a verifier that skips the S < L test accepts it (malleability). */
static void add_order(uint8_t s[32])
{
    static const uint8_t l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                  0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    unsigned c = 0;
    for (int i = 0; i < 32; i++) {
        c += s[i] + l[i];
        s[i] = (uint8_t)c;
        c >>= 8;
    }
}

TEST(ed25519_noncanonical_s_is_refused)
{
    uint8_t seed[32], pk[32], sk[64], sig[64], bad[64];
    kp_error e;
    unhex(seed, 32, rfc8032[1].seed);
    cry_ed25519_from_seed(pk, sk, seed);
    cry_ed25519_sign(sig, (const uint8_t *)"r", 1, sk);
    memcpy(bad, sig, 64);
    add_order(bad + 32);
    CHECK_EQ(cry_ed25519_verify(pk, (const uint8_t *)"r", 1, bad, &e), KP_E_SIG_NONCANONICAL);
    CHECK_EQ(kp_sig_verify(KP_ALG_ED25519, pk, 32, (const uint8_t *)"r", 1, bad, 64, &e),
             KP_E_SIG_NONCANONICAL);
    CHECK_EQ(e.code, KP_E_SIG_NONCANONICAL);
    /* S = L exactly, and S with the top bits set */
    memcpy(bad, sig, 64);
    memset(bad + 32, 0, 32);
    add_order(bad + 32);
    CHECK_EQ(cry_ed25519_verify(pk, (const uint8_t *)"r", 1, bad, &e), KP_E_SIG_NONCANONICAL);
    memcpy(bad, sig, 64);
    bad[63] |= 0xe0;
    CHECK_EQ(cry_ed25519_verify(pk, (const uint8_t *)"r", 1, bad, &e), KP_E_SIG_NONCANONICAL);
    /* S = L - 1 is canonical: it fails only as a wrong signature */
    memset(bad + 32, 0, 32);
    add_order(bad + 32);
    bad[32] -= 1;
    CHECK_EQ(cry_ed25519_verify(pk, (const uint8_t *)"r", 1, bad, &e), KP_E_SIG_INVALID);
    sodium_memzero(sk, sizeof sk);
}

/* The eight points of small order, as encoded on the wire (including the
   non-canonical encodings of two of them, and "negative zero"). */
static const char *small_order_pk[] = {
    "0100000000000000000000000000000000000000000000000000000000000000", /* identity */
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* order 2 */
    "0000000000000000000000000000000000000000000000000000000000000080", /* order 4 */
    "0000000000000000000000000000000000000000000000000000000000000000", /* order 4 */
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", /* order 8 */
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", /* order 8 */
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", /* order 8 */
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", /* order 8 */
    "0100000000000000000000000000000000000000000000000000000000000080", /* -0 identity */
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p+1: identity */
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", /* p, sign set */
};

TEST(ed25519_small_order_keys_are_refused)
{
    kp_error e;
    for (size_t i = 0; i < sizeof small_order_pk / sizeof small_order_pk[0]; i++) {
        uint8_t pk[32], sig[64];
        unhex(pk, 32, small_order_pk[i]);
        CHECK_EQ(cry_ed25519_pk_check(pk, &e), KP_E_KEY_INVALID);
        CHECK_EQ(cry_sig_pk_check(KP_ALG_ED25519, pk, 32, &e), KP_E_KEY_INVALID);
        /* With A of small order, R = A's own encoding and S = 0 satisfy a
           lax verifier's equation for many messages ([S]B = R + [k]A
           collapses); strict verification refuses every one. */
        memcpy(sig, pk, 32);
        memset(sig + 32, 0, 32);
        for (int m = 0; m < 8; m++) {
            uint8_t msg = (uint8_t)m;
            CHECK_EQ(cry_ed25519_verify(pk, &msg, 1, sig, &e), KP_E_SIG_INVALID);
        }
        /* the identity as R with S = 0 */
        unhex(sig, 32, small_order_pk[0]);
        CHECK_EQ(cry_ed25519_verify(pk, (const uint8_t *)"x", 1, sig, &e), KP_E_SIG_INVALID);
    }
}

TEST(ed25519_mixed_order_and_offcurve_keys)
{
    uint8_t seed[32], pk[32], sk[64], t8[32], mixed[32];
    kp_error e;
    unhex(seed, 32, rfc8032[2].seed);
    cry_ed25519_from_seed(pk, sk, seed);
    unhex(t8, 32, small_order_pk[4]);
    /* A + T (T of order 8): on the curve, canonical, not small order, but
       outside the prime-order subgroup. */
    CHECK_EQ(crypto_core_ed25519_add(mixed, pk, t8), 0);
    CHECK_EQ(cry_ed25519_pk_check(mixed, &e), KP_E_KEY_INVALID);
    /* a y with no x on the curve (y = 2 has none: (y^2-1)/(dy^2+1) is not a
       square mod p) */
    uint8_t off[32] = {2};
    CHECK_EQ(cry_ed25519_pk_check(off, &e), KP_E_KEY_INVALID);
    uint8_t sig[64];
    cry_ed25519_sign(sig, (const uint8_t *)"m", 1, sk);
    CHECK_EQ(cry_ed25519_verify(off, (const uint8_t *)"m", 1, sig, &e), KP_E_SIG_INVALID);
    /* non-canonical y (y + p) for a real key is refused by both */
    uint8_t nc[32] = {0};
    nc[0] = 0xee; /* identity + p */
    memset(nc + 1, 0xff, 30);
    nc[31] = 0x7f;
    CHECK_EQ(cry_ed25519_pk_check(nc, &e), KP_E_KEY_INVALID);
    sodium_memzero(sk, sizeof sk);
}

TEST(ed25519_every_bit_flip_is_refused)
{
    uint8_t seed[32], pk[32], sk[64], sig[64], msg[40];
    kp_error e;
    cry_random(seed, 32);
    cry_random(msg, sizeof msg);
    cry_ed25519_from_seed(pk, sk, seed);
    cry_ed25519_sign(sig, msg, sizeof msg, sk);
    CHECK_EQ(cry_ed25519_verify(pk, msg, sizeof msg, sig, NULL), KP_OK);
    for (int b = 0; b < 64 * 8; b++) {
        sig[b / 8] ^= (uint8_t)(1 << (b % 8));
        int rc = cry_ed25519_verify(pk, msg, sizeof msg, sig, &e);
        CHECK_MSG(rc == KP_E_SIG_INVALID || rc == KP_E_SIG_NONCANONICAL, "sig bit %d: %d", b, rc);
        sig[b / 8] ^= (uint8_t)(1 << (b % 8));
    }
    for (int b = 0; b < (int)sizeof msg * 8; b++) {
        msg[b / 8] ^= (uint8_t)(1 << (b % 8));
        CHECK_EQ(cry_ed25519_verify(pk, msg, sizeof msg, sig, &e), KP_E_SIG_INVALID);
        msg[b / 8] ^= (uint8_t)(1 << (b % 8));
    }
    for (int b = 0; b < 32 * 8; b++) {
        pk[b / 8] ^= (uint8_t)(1 << (b % 8));
        CHECK(cry_ed25519_verify(pk, msg, sizeof msg, sig, &e) != KP_OK);
        pk[b / 8] ^= (uint8_t)(1 << (b % 8));
    }
    /* wrong lengths through the by-algorithm entry */
    CHECK_EQ(cry_sig_verify(KP_ALG_ED25519, pk, 32, msg, sizeof msg, sig, 63, &e),
             KP_E_SIG_MALFORMED);
    CHECK_EQ(cry_sig_verify(KP_ALG_ED25519, pk, 32, msg, sizeof msg, sig, 65, &e),
             KP_E_SIG_MALFORMED);
    CHECK_EQ(cry_sig_verify(KP_ALG_ED25519, pk, 31, msg, sizeof msg, sig, 64, &e),
             KP_E_KEY_INVALID);
    CHECK_EQ(cry_sig_verify(KP_ALG_NONE, pk, 32, msg, sizeof msg, sig, 64, &e), KP_E_SIG_ALG);
    CHECK_EQ(cry_sig_pk_check(KP_ALG_ED25519, pk, 33, &e), KP_E_KEY_INVALID);
    sodium_memzero(sk, sizeof sk);
}

/* ---- ECDSA ---- */

static const kp_key_alg curves[] = {KP_ALG_P256, KP_ALG_SECP256K1};

/* The group orders n, big-endian. */
static const char *order_hex(kp_key_alg alg)
{
    return alg == KP_ALG_P256
               ? "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
               : "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
}

/* out = n - s, big-endian 32 bytes. */
static void negate_s(kp_key_alg alg, uint8_t s[32])
{
    uint8_t n[32];
    unhex(n, 32, order_hex(alg));
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = n[i] - s[i] - borrow;
        borrow = d < 0;
        s[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

/* 1 when big-endian s <= (n - 1) / 2, i.e. low-S. */
static int is_low_s(kp_key_alg alg, const uint8_t s[32])
{
    uint8_t n[32], half[32];
    unhex(n, 32, order_hex(alg));
    int carry = 0;
    for (int i = 0; i < 32; i++) {
        half[i] = (uint8_t)((n[i] >> 1) | (carry << 7));
        carry = n[i] & 1;
    }
    return memcmp(s, half, 32) <= 0;
}

/* RFC 6979 A.2.5: P-256, SHA-256, messages "sample" and "test". */
TEST(ecdsa_p256_rfc6979_known_answers)
{
    uint8_t sk[32], pk[33], pku[65], sig[64];
    kp_error e;
    unhex(sk, 32, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    CHECK_EQ(cry_ecdsa_public(KP_ALG_P256, pk, sk, NULL), KP_OK);
    CHECK_HEX(pk, 33, "0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6");
    CHECK_EQ(cry_ecdsa_pk_uncompress(KP_ALG_P256, pku, pk, 33, NULL), KP_OK);
    CHECK_HEX(pku, 65,
              "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
              "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
    /* "test": low S as published */
    unhex(sig, 64,
          "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
          "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083");
    CHECK_EQ(cry_ecdsa_verify(KP_ALG_P256, pk, 33, (const uint8_t *)"test", 4, sig, 64, NULL),
             KP_OK);
    CHECK_EQ(cry_ecdsa_verify(KP_ALG_P256, pku, 65, (const uint8_t *)"test", 4, sig, 64, NULL),
             KP_OK);
    /* "sample": the published S is high, so it is refused with its own
       code; n - S is the same signature in low-S form and verifies */
    unhex(sig, 64,
          "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
          "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    CHECK_EQ(cry_ecdsa_verify(KP_ALG_P256, pk, 33, (const uint8_t *)"sample", 6, sig, 64, &e),
             KP_E_SIG_HIGH_S);
    negate_s(KP_ALG_P256, sig + 32);
    CHECK(is_low_s(KP_ALG_P256, sig + 32));
    CHECK_EQ(cry_ecdsa_verify(KP_ALG_P256, pk, 33, (const uint8_t *)"sample", 6, sig, 64, NULL),
             KP_OK);
    CHECK_EQ(cry_ecdsa_verify(KP_ALG_P256, pk, 33, (const uint8_t *)"samplf", 6, sig, 64, &e),
             KP_E_SIG_INVALID);
    sodium_memzero(sk, sizeof sk);
}

TEST(ecdsa_sign_is_low_s_and_verifies)
{
    for (size_t c = 0; c < 2; c++) {
        kp_key_alg alg = curves[c];
        uint8_t sk[32], pk[33], pku[65], sig[64], msg[100];
        kp_error e;
        CHECK_EQ(cry_ecdsa_keygen(alg, sk, pk, NULL), KP_OK);
        CHECK(pk[0] == 2 || pk[0] == 3);
        CHECK_EQ(cry_sig_pk_check(alg, pk, 33, NULL), KP_OK);
        CHECK_EQ(cry_ecdsa_pk_uncompress(alg, pku, pk, 33, NULL), KP_OK);
        for (int i = 0; i < 64; i++) {
            cry_random(msg, sizeof msg);
            CHECK_EQ(cry_ecdsa_sign(alg, sig, msg, sizeof msg, sk, NULL), KP_OK);
            CHECK(is_low_s(alg, sig + 32));
            CHECK_EQ(cry_sig_verify(alg, pk, 33, msg, sizeof msg, sig, 64, NULL), KP_OK);
            CHECK_EQ(cry_sig_verify(alg, pku, 65, msg, sizeof msg, sig, 64, NULL), KP_OK);
            /* the high-S twin is the same signature to the math, refused
               here */
            negate_s(alg, sig + 32);
            CHECK_EQ(cry_sig_verify(alg, pk, 33, msg, sizeof msg, sig, 64, &e), KP_E_SIG_HIGH_S);
        }
        /* a different curve's verifier never accepts */
        kp_key_alg other = alg == KP_ALG_P256 ? KP_ALG_SECP256K1 : KP_ALG_P256;
        CHECK_EQ(cry_ecdsa_sign(alg, sig, msg, sizeof msg, sk, NULL), KP_OK);
        CHECK(cry_sig_verify(other, pk, 33, msg, sizeof msg, sig, 64, &e) != KP_OK);
        sodium_memzero(sk, sizeof sk);
    }
}

TEST(ecdsa_out_of_range_signatures)
{
    for (size_t c = 0; c < 2; c++) {
        kp_key_alg alg = curves[c];
        uint8_t sk[32], pk[33], sig[64], bad[64];
        kp_error e;
        const uint8_t *m = (const uint8_t *)"message";
        CHECK_EQ(cry_ecdsa_keygen(alg, sk, pk, NULL), KP_OK);
        CHECK_EQ(cry_ecdsa_sign(alg, sig, m, 7, sk, NULL), KP_OK);
        /* r = 0, s = 0 */
        memcpy(bad, sig, 64);
        memset(bad, 0, 32);
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, bad, 64, &e), KP_E_SIG_MALFORMED);
        memcpy(bad, sig, 64);
        memset(bad + 32, 0, 32);
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, bad, 64, &e), KP_E_SIG_MALFORMED);
        /* r = n, r = 2^256 - 1, s = n */
        memcpy(bad, sig, 64);
        unhex(bad, 32, order_hex(alg));
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, bad, 64, &e), KP_E_SIG_MALFORMED);
        memset(bad, 0xff, 32);
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, bad, 64, &e), KP_E_SIG_MALFORMED);
        memcpy(bad, sig, 64);
        unhex(bad + 32, 32, order_hex(alg));
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, bad, 64, &e), KP_E_SIG_MALFORMED);
        /* r + n would be the same r mod n for a lax verifier: out of range */
        /* wrong lengths, and a DER signature where raw r||s is expected */
        uint8_t der[72];
        size_t dl;
        CHECK_EQ(cry_ecdsa_sig_to_der(der, &dl, sig, NULL), KP_OK);
        CHECK(dl >= 8 && dl <= 72 && dl != 64);
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, der, dl, &e), KP_E_SIG_MALFORMED);
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, sig, 63, &e), KP_E_SIG_MALFORMED);
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, sig, 0, &e), KP_E_SIG_MALFORMED);
        /* every bit flip of the signature is refused */
        for (int b = 0; b < 512; b++) {
            sig[b / 8] ^= (uint8_t)(1 << (b % 8));
            int rc = cry_ecdsa_verify(alg, pk, 33, m, 7, sig, 64, &e);
            CHECK_MSG(rc == KP_E_SIG_INVALID || rc == KP_E_SIG_HIGH_S || rc == KP_E_SIG_MALFORMED,
                      "bit %d gave %d", b, rc);
            sig[b / 8] ^= (uint8_t)(1 << (b % 8));
        }
        CHECK_EQ(cry_ecdsa_verify(alg, pk, 33, m, 7, sig, 64, NULL), KP_OK);
        sodium_memzero(sk, sizeof sk);
    }
}

TEST(ecdsa_public_keys_are_strict)
{
    for (size_t c = 0; c < 2; c++) {
        kp_key_alg alg = curves[c];
        uint8_t sk[32], pk[33], pku[65], bad[65], out[33], sig[64];
        kp_error e;
        CHECK_EQ(cry_ecdsa_keygen(alg, sk, pk, NULL), KP_OK);
        CHECK_EQ(cry_ecdsa_pk_uncompress(alg, pku, pk, 33, NULL), KP_OK);
        CHECK_EQ(cry_ecdsa_pk_compress(alg, out, pku, 65, NULL), KP_OK);
        CHECK_MEM(out, pk, 33);
        CHECK_EQ(cry_ecdsa_sign(alg, sig, (const uint8_t *)"k", 1, sk, NULL), KP_OK);
        /* hybrid form (06/07 || x || y): OpenSSL would take it, we do not */
        memcpy(bad, pku, 65);
        bad[0] = (uint8_t)(0x06 | (pku[64] & 1));
        CHECK_EQ(cry_ecdsa_pk_compress(alg, out, bad, 65, &e), KP_E_KEY_INVALID);
        CHECK_EQ(cry_ecdsa_verify(alg, bad, 65, (const uint8_t *)"k", 1, sig, 64, &e),
                 KP_E_KEY_INVALID);
        /* wrong prefix for the length, wrong lengths, infinity */
        memcpy(bad, pk, 33);
        bad[0] = 0x04;
        CHECK_EQ(cry_ecdsa_pk_compress(alg, out, bad, 33, &e), KP_E_KEY_INVALID);
        CHECK_EQ(cry_ecdsa_pk_compress(alg, out, pku, 64, &e), KP_E_KEY_INVALID);
        CHECK_EQ(cry_ecdsa_pk_compress(alg, out, pk, 32, &e), KP_E_KEY_INVALID);
        uint8_t inf = 0;
        CHECK_EQ(cry_ecdsa_pk_compress(alg, out, &inf, 1, &e), KP_E_KEY_INVALID);
        /* y + 1 is off the curve */
        memcpy(bad, pku, 65);
        bad[64] ^= 1;
        CHECK_EQ(cry_ecdsa_pk_compress(alg, out, bad, 65, &e), KP_E_KEY_INVALID);
        CHECK_EQ(cry_ecdsa_verify(alg, bad, 65, (const uint8_t *)"k", 1, sig, 64, &e),
                 KP_E_KEY_INVALID);
        /* x >= p */
        memset(bad, 0xff, 33);
        bad[0] = 0x02;
        CHECK_EQ(cry_ecdsa_pk_compress(alg, out, bad, 33, &e), KP_E_KEY_INVALID);
        /* the canonical form is the compressed one */
        CHECK_EQ(cry_sig_pk_check(alg, pku, 65, &e), KP_E_KEY_INVALID);
        CHECK_EQ(cry_sig_pk_check(alg, pk, 33, &e), KP_OK);
        /* secret scalars outside [1, n-1] */
        uint8_t s[32] = {0};
        CHECK_EQ(cry_ecdsa_public(alg, out, s, &e), KP_E_KEY_INVALID);
        unhex(s, 32, order_hex(alg));
        CHECK_EQ(cry_ecdsa_public(alg, out, s, &e), KP_E_KEY_INVALID);
        CHECK_EQ(cry_ecdsa_sign(alg, sig, (const uint8_t *)"k", 1, s, &e), KP_E_KEY_INVALID);
        s[31] -= 1; /* n - 1 is fine */
        CHECK_EQ(cry_ecdsa_public(alg, out, s, &e), KP_OK);
        sodium_memzero(sk, sizeof sk);
    }
    kp_error e;
    uint8_t sk[32], pk[33];
    CHECK_EQ(cry_ecdsa_keygen(KP_ALG_ED25519, sk, pk, &e), KP_E_SIG_ALG);
}

TEST(ecdsa_der_is_strict)
{
    uint8_t sig[64], back[64], der[80];
    size_t dl;
    kp_error e;
    /* r with its top bit set needs a 00 byte; s small needs none */
    memset(sig, 0, 64);
    sig[0] = 0x80;
    sig[31] = 1;
    sig[63] = 5;
    CHECK_EQ(cry_ecdsa_sig_to_der(der, &dl, sig, NULL), KP_OK);
    CHECK_EQ(dl, 2 + 2 + 33 + 2 + 1);
    CHECK_HEX(der, 6, "302602210080");
    CHECK_EQ(cry_ecdsa_sig_from_der(back, der, dl, NULL), KP_OK);
    CHECK_MEM(back, sig, 64);
    /* a needless leading zero in s (BER, not DER) */
    uint8_t ber[80];
    size_t bl = unhex(ber, sizeof ber,
                      "3027022100800000000000000000000000000000000000000000000000000000000000000102020005");
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, bl, &e), KP_E_SIG_MALFORMED);
    /* the same, minimal: accepted */
    bl = unhex(ber, sizeof ber,
               "30260221008000000000000000000000000000000000000000000000000000000000000001020105");
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, bl, &e), KP_OK);
    CHECK_MEM(back, sig, 64);
    /* trailing byte, long-form length, truncation */
    ber[bl] = 0;
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, bl + 1, &e), KP_E_SIG_MALFORMED);
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, bl - 1, &e), KP_E_SIG_MALFORMED);
    bl = unhex(ber, sizeof ber,
               "3081260221008000000000000000000000000000000000000000000000000000000000000001020105");
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, bl, &e), KP_E_SIG_MALFORMED);
    /* negative r, and an r of 33 significant bytes */
    bl = unhex(ber, sizeof ber, "3006020181020105");
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, bl, &e), KP_E_SIG_MALFORMED);
    bl = unhex(ber, sizeof ber,
               "30260221018000000000000000000000000000000000000000000000000000000000000001020105");
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, bl, &e), KP_E_SIG_MALFORMED);
    /* not a SEQUENCE, empty */
    bl = unhex(ber, sizeof ber, "3106020101020105");
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, bl, &e), KP_E_SIG_MALFORMED);
    CHECK_EQ(cry_ecdsa_sig_from_der(back, ber, 0, &e), KP_E_SIG_MALFORMED);
}

/* ---- by algorithm ---- */

TEST(cose_algorithm_numbers)
{
    kp_key_alg a = KP_ALG_NONE;
    kp_error e;
    CHECK_EQ(cry_alg_from_cose(-8, &a, NULL), KP_OK);
    CHECK_EQ(a, KP_ALG_ED25519);
    CHECK_EQ(cry_alg_from_cose(-19, &a, NULL), KP_OK);
    CHECK_EQ(a, KP_ALG_ED25519);
    CHECK_EQ(cry_alg_from_cose(-7, &a, NULL), KP_OK);
    CHECK_EQ(a, KP_ALG_P256);
    CHECK_EQ(cry_alg_from_cose(-47, &a, NULL), KP_OK);
    CHECK_EQ(a, KP_ALG_SECP256K1);
    CHECK_EQ(cry_alg_from_cose(-35, &a, &e), KP_E_SIG_ALG); /* ES384 */
    CHECK_EQ(cry_alg_from_cose(0, &a, &e), KP_E_SIG_ALG);
    CHECK_EQ(cry_alg_cose(KP_ALG_ED25519), -19);
    CHECK_EQ(cry_alg_cose(KP_ALG_P256), -7);
    CHECK_EQ(cry_alg_cose(KP_ALG_SECP256K1), -47);
    CHECK_EQ(cry_alg_cose(KP_ALG_NONE), 0);
    CHECK_EQ(cry_alg_pk_bytes(KP_ALG_ED25519), 32);
    CHECK_EQ(cry_alg_pk_bytes(KP_ALG_P256), 33);
    CHECK_STR(kp_key_alg_name(KP_ALG_SECP256K1), "secp256k1");
    CHECK_EQ(kp_key_alg_parse("p256", &a, NULL), KP_OK);
    CHECK_EQ(a, KP_ALG_P256);
    CHECK_EQ(kp_key_alg_parse("none", &a, &e), KP_E_SIG_ALG);
    CHECK_EQ(kp_key_alg_parse("ED25519", &a, &e), KP_E_SIG_ALG);
}

TEST(base64_is_strict)
{
    uint8_t out[8];
    CHECK_EQ(cry_base64_decode(out, sizeof out, "QUJD", 4, 0, NULL), 3);
    CHECK_MEM(out, "ABC", 3);
    CHECK_EQ(cry_base64_decode(out, sizeof out, "QUI", 3, 0, NULL), 2);
    CHECK_EQ(cry_base64_decode(out, sizeof out, "QUJ", 3, 0, NULL), -1);  /* trailing bits */
    CHECK_EQ(cry_base64_decode(out, sizeof out, "QUI=", 4, 0, NULL), -1); /* no padding here */
    CHECK_EQ(cry_base64_decode(out, sizeof out, "QUI=", 4, 1, NULL), 2);
    CHECK_EQ(cry_base64_decode(out, sizeof out, "QUI", 3, 1, NULL), -1);  /* padding needed */
    CHECK_EQ(cry_base64_decode(out, sizeof out, "Q", 1, 0, NULL), -1);
    CHECK_EQ(cry_base64_decode(out, sizeof out, "QU\nJD", 5, 0, "\n"), 3);
    CHECK_EQ(cry_base64_decode(out, sizeof out, "QU\nJD", 5, 0, NULL), -1);
    CHECK_EQ(cry_base64_decode(out, 2, "QUJD", 4, 0, NULL), -1); /* does not fit */
    CHECK_EQ(cry_base64_decode(out, sizeof out, "", 0, 0, NULL), 0);
    /* padded, as notes and checkpoints use it (the log's own decoder was
       these checks before it went) */
    CHECK_EQ(cry_base64_decode(out, sizeof out, "AAEC", 4, 1, NULL), 3);
    CHECK_EQ(cry_base64_decode(out, sizeof out, "AAE=", 4, 1, NULL), 2);
    CHECK_EQ(cry_base64_decode(out, sizeof out, "AAF=", 4, 1, NULL), -1);  /* stray bits */
    CHECK_EQ(cry_base64_decode(out, sizeof out, "AA E=", 5, 1, NULL), -1); /* whitespace */
    CHECK_EQ(cry_base64_decode(out, sizeof out, "AA-_", 4, 1, NULL), -1);  /* URL alphabet */
    CHECK_EQ(cry_base64_decode(out, sizeof out, "AAE=AAEC", 8, 1, NULL), -1);
    CHECK_EQ(cry_base64_decode(out, sizeof out, "AAE==", 5, 1, NULL), -1);
    /* libsodium 1.0.18 alone reads any byte >= 0x80 as '/': "////" and
       "///\xaf" would decode alike. Every byte outside the alphabet is
       refused, in every position. */
    for (int c = 0; c < 256; c++) {
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
        for (int pos = 0; pos < 4; pos++) {
            char s[5] = "////";
            s[pos] = (char)c;
            long got = cry_base64_decode(out, sizeof out, s, 4, 0, NULL);
            CHECK_MSG(alpha ? got == 3 : got == -1, "byte 0x%02x at %d gave %ld", c, pos, got);
            if (!alpha && c != '=') CHECK_EQ(cry_base64_decode(out, sizeof out, s, 4, 1, NULL), -1);
        }
    }
}

TEST(base64_encodes_what_it_decodes)
{
    char s[CRY_BASE64_LEN(34)];
    uint8_t in[34], back[34];
    CHECK_EQ(cry_base64(s, (const uint8_t *)"ABC", 3, 1), 4);
    CHECK_STR(s, "QUJD");
    CHECK_EQ(cry_base64(s, (const uint8_t *)"AB", 2, 1), 4);
    CHECK_STR(s, "QUI=");
    CHECK_EQ(cry_base64(s, (const uint8_t *)"AB", 2, 0), 3);
    CHECK_STR(s, "QUI");
    CHECK_EQ(cry_base64(s, in, 0, 1), 0);
    CHECK_STR(s, "");
    for (size_t n = 0; n <= sizeof in; n++) {
        for (size_t i = 0; i < n; i++) in[i] = (uint8_t)(0xa5 ^ (i * 37));
        for (int padded = 0; padded < 2; padded++) {
            size_t len = cry_base64(s, in, n, padded);
            CHECK_EQ(len, strlen(s));
            CHECK(len + 1 <= CRY_BASE64_LEN(n));
            CHECK_EQ(cry_base64_decode(back, sizeof back, s, len, padded, NULL), (long)n);
            CHECK(n == 0 || memcmp(back, in, n) == 0);
        }
    }
}

TEST(hex_is_strict)
{
    static const uint8_t bytes[] = {0x00, 0x9f, 0xa0, 0xff};
    char h[CRY_HEX_LEN(4)];
    uint8_t out[4] = {1, 2, 3, 4};
    CHECK(cry_hex(h, bytes, 4) == h);
    CHECK_STR(h, "009fa0ff");
    CHECK_EQ(cry_hex_decode(out, sizeof out, "009fa0ff", 8, CRY_HEX_LOWER), 4);
    CHECK_MEM(out, bytes, 4);
    CHECK_EQ(cry_hex_decode(out, sizeof out, "009FA0FF", 8, CRY_HEX_ANY_CASE), 4);
    CHECK_MEM(out, bytes, 4);
    CHECK_EQ(cry_hex_decode(out, sizeof out, "", 0, CRY_HEX_LOWER), 0);
    memset(out, 7, sizeof out);
    static const char *const bad[] = {"009FA0FF", "009fa0f", "009fa0fg", "0x9fa0ff",
                                      "009fa0f ", "009fa0ff00", " 09fa0ff", "009f\xa0" "ff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(cry_hex_decode(out, sizeof out, bad[i], strlen(bad[i]), CRY_HEX_LOWER) == -1,
                  "'%s' decoded", bad[i]);
    /* a byte with the top bit set is no digit, whatever its low bits */
    for (int c = 0x80; c < 0x100; c++) {
        char s[3] = {'0', (char)c, 0};
        CHECK_EQ(cry_hex_decode(out, sizeof out, s, 2, CRY_HEX_ANY_CASE), -1);
    }
    CHECK_EQ(cry_hex_decode(out, 1, "0000", 4, CRY_HEX_LOWER), -1); /* does not fit */
    static const uint8_t sevens[4] = {7, 7, 7, 7};
    CHECK_MEM(out, sevens, 4); /* untouched by every failure */
}

TEST(shorthash_siphash24_vector)
{
    /* SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e */
    uint8_t key[CRY_SHORTHASH_KEY_BYTES], msg[15], out[CRY_SHORTHASH_BYTES];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++) msg[i] = (uint8_t)i;
    cry_shorthash(out, msg, sizeof msg, key);
    CHECK_MEM(out, "\xe5\x45\xbe\x49\x61\xca\x29\xa1", 8);
}

TEST(random_is_not_constant)
{
    uint8_t a[32], b[32];
    cry_random(a, 32);
    cry_random(b, 32);
    CHECK(memcmp(a, b, 32) != 0);
    CHECK(!sodium_is_zero(a, 32));
    cry_wipe(a, 32);
    CHECK(sodium_is_zero(a, 32));
    CHECK(cry_equal(b, b, 32));
    CHECK(!cry_equal(a, b, 32));
}
