/*
 * key_test.c: identities (kp_key) in memory and in the key store: signing
 * for each algorithm, the JSON and age text forms and their strictness,
 * names, file modes, and every allocation failure on the way.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/age.h"
#include "crypto/key.h"
#include "test.h"
#include "testdir.h"
#include "util/alloc.h"

static const kp_key_alg algs[] = {KP_ALG_ED25519, KP_ALG_P256, KP_ALG_SECP256K1};

static char store[256];

/* A store folder that does not exist yet, in a fresh test folder that
   does (a store's parent must: E_NO_FILE otherwise); testdir.h removes
   them all when the program ends. */
static void fresh_store(void)
{
    static int n;
    char name[32];
    snprintf(name, sizeof name, "keys%d", n++);
    const char *dir = test_dir(name, 1);
    if (mkdir(dir, 0700) != 0) abort();
    snprintf(store, sizeof store, "%s/s", dir);
}

/* The store folder is made, its parent is not: a mistyped path is an
   error rather than a new tree of folders (issue 11). */
TEST(store_folder_needs_its_parent)
{
    char deep[400];
    snprintf(deep, sizeof deep, "%s/a/b", test_dir("noparent", 1));
    kp_key *k = NULL;
    kp_error e;
    CHECK_EQ(kp_key_new(deep, "x", KP_ALG_ED25519, &k, &e), KP_E_NO_FILE);
    CHECK(k == NULL);
    struct stat sb;
    CHECK(stat(test_dir("noparent", 0), &sb) != 0 && errno == ENOENT);
    kp_store *st = NULL;
    CHECK_EQ(kp_store_open(deep, KP_STORE_CREATE, &st, &e), KP_E_NO_FILE);
    CHECK(st == NULL);
    CHECK(stat(test_dir("noparent", 0), &sb) != 0 && errno == ENOENT);
    /* one level, under a folder that exists, is made */
    fresh_store();
    CHECK_EQ(kp_key_new(store, "x", KP_ALG_ED25519, &k, &e), KP_OK);
    kp_key_free(k);
    CHECK(stat(store, &sb) == 0 && S_ISDIR(sb.st_mode));
}

TEST(generate_sign_verify_each_algorithm)
{
    for (size_t i = 0; i < 3; i++) {
        kp_key *k = NULL;
        kp_error e;
        CHECK_EQ(kp_key_generate(algs[i], &k, &e), KP_OK);
        CHECK_EQ(kp_key_get_alg(k), algs[i]);
        CHECK_STR(kp_key_name(k), "");
        size_t pl;
        const uint8_t *pk = kp_key_public(k, &pl);
        CHECK(pk != NULL);
        CHECK_EQ(pl, algs[i] == KP_ALG_ED25519 ? 32 : 33);
        CHECK_EQ(cry_sig_pk_check(algs[i], pk, pl, NULL), KP_OK);
        uint8_t sig[KP_SIG_BYTES];
        const uint8_t msg[] = "signed by a kapsule key";
        CHECK_EQ(kp_key_sign(k, msg, sizeof msg, sig, &e), KP_OK);
        CHECK_EQ(kp_sig_verify(algs[i], pk, pl, msg, sizeof msg, sig, sizeof sig, &e), KP_OK);
        CHECK_EQ(kp_sig_verify(algs[i], pk, pl, msg, sizeof msg - 1, sig, sizeof sig, &e),
                 KP_E_SIG_INVALID);
        CHECK_EQ(kp_key_alg_cose(algs[i]), cry_alg_cose(algs[i]));
        /* the age side: the recipient string parses back to the key */
        char r[KP_AGE_RECIPIENT_BYTES], s[KP_AGE_SECRET_BYTES];
        uint8_t x[32];
        kp_key_age_recipient(k, r);
        CHECK_EQ(cry_age_recipient_parse(r, strlen(r), x, NULL), KP_OK);
        CHECK_MEM(x, kp_key_x25519_public(k), 32);
        kp_key_age_secret(k, s);
        CHECK_EQ(strncmp(s, "AGE-SECRET-KEY-1", 16), 0);
        buf f = {0}, out = {0};
        CHECK_EQ(cry_age_encrypt((const uint8_t(*)[32])kp_key_x25519_public(k), 1, msg,
                                 sizeof msg, &f, NULL),
                 KP_OK);
        CHECK_EQ(cry_key_age_decrypt(k, f.p, f.len, 1000, &out, &e), KP_OK);
        CHECK_EQ(out.len, sizeof msg);
        buf_free(&f);
        buf_free(&out);
        kp_key_free(k);
    }
    kp_key *k = NULL;
    kp_error e;
    CHECK_EQ(kp_key_generate(KP_ALG_NONE, &k, &e), KP_E_SIG_ALG);
    CHECK(k == NULL);
    kp_key_free(NULL);
}

TEST(secret_export_parses_back)
{
    for (size_t i = 0; i < 3; i++) {
        kp_key *k = NULL, *k2 = NULL;
        char *text = NULL, *pub = NULL;
        size_t len = 0, plen = 0;
        CHECK_EQ(kp_key_generate(algs[i], &k, NULL), KP_OK);
        CHECK_EQ(kp_key_export(k, 1, &text, &len, NULL), KP_OK);
        CHECK_EQ(strlen(text), len);
        CHECK(text[len - 1] == '\n');
        CHECK_EQ(kp_key_parse_secret((const uint8_t *)text, len, &k2, NULL), KP_OK);
        size_t a, b;
        CHECK_EQ(kp_key_get_alg(k2), algs[i]);
        CHECK_MEM(kp_key_public(k, &a), kp_key_public(k2, &b), 32);
        CHECK_EQ(a, b);
        CHECK_MEM(kp_key_x25519_public(k), kp_key_x25519_public(k2), 32);
        /* the same secret signs the same way (Ed25519 is deterministic) */
        uint8_t s1[64], s2[64];
        CHECK_EQ(kp_key_sign(k, (const uint8_t *)"m", 1, s1, NULL), KP_OK);
        CHECK_EQ(kp_key_sign(k2, (const uint8_t *)"m", 1, s2, NULL), KP_OK);
        if (algs[i] == KP_ALG_ED25519) CHECK_MEM(s1, s2, 64);
        CHECK_EQ(kp_sig_verify(algs[i], kp_key_public(k, &a), a, (const uint8_t *)"m", 1, s2, 64,
                               NULL),
                 KP_OK);
        /* the public form has no secret in it */
        CHECK_EQ(kp_key_export(k, 0, &pub, &plen, NULL), KP_OK);
        CHECK(strstr(pub, "secret") == NULL);
        CHECK(strstr(pub, "\"kapsule_pub\": 1") != NULL);
        CHECK(strstr(text, "\"sign_secret\"") != NULL);
        kp_key_text_free(text, len);
        kp_key_text_free(pub, plen);
        kp_key_free(k);
        kp_key_free(k2);
    }
}

/* A valid secret file with one member's value replaced (or a member added,
   or removed when value is NULL). */
static int parse_edited(const char *member, const char *value, kp_error *e)
{
    kp_key *k = NULL, *k2 = NULL;
    char *text = NULL;
    size_t len = 0;
    if (kp_key_generate(KP_ALG_P256, &k, NULL) || kp_key_export(k, 1, &text, &len, NULL)) abort();
    json_error_t je;
    json_t *o = json_loadb(text, len, 0, &je);
    if (!o) abort();
    if (value)
        json_object_set_new(o, member, json_loadb(value, strlen(value), JSON_DECODE_ANY, &je));
    else
        json_object_del(o, member);
    char *edited = json_dumps(o, 0);
    int rc = kp_key_parse_secret((const uint8_t *)edited, strlen(edited), &k2, e);
    free(edited);
    json_decref(o);
    kp_key_text_free(text, len);
    kp_key_free(k);
    kp_key_free(k2);
    return rc;
}

TEST(secret_json_is_strict)
{
    kp_error e;
    CHECK_EQ(parse_edited("alg", "\"p256\"", &e), KP_OK); /* unchanged */
    CHECK_EQ(parse_edited("extra", "1", &e), KP_E_KEY_FILE);
    CHECK_STR(e.field, "extra");
    CHECK_EQ(parse_edited("kapsule_key", "2", &e), KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("kapsule_key", "\"1\"", &e), KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("kapsule_key", NULL, &e), KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("alg", "\"ed25519\"", &e), KP_E_KEY_FILE); /* publics mismatch */
    CHECK_EQ(parse_edited("alg", "\"rsa\"", &e), KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("alg", "\"none\"", &e), KP_E_KEY_FILE); /* has sign_* members */
    CHECK_EQ(parse_edited("sign_public", NULL, &e), KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("age_recipient", NULL, &e), KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("age_recipient",
                          "\"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\"", &e),
             KP_E_KEY_FILE);
    CHECK_STR(e.field, "age_recipient");
    CHECK_EQ(parse_edited("sign_secret", "\"00\"", &e), KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("sign_secret",
                          "\"0000000000000000000000000000000000000000000000000000000000000000\"",
                          &e),
             KP_E_KEY_FILE); /* scalar 0 */
    CHECK_EQ(parse_edited("sign_secret",
                          "\"zz00000000000000000000000000000000000000000000000000000000000000\"",
                          &e),
             KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("x25519_secret", "5", &e), KP_E_KEY_FILE);
    CHECK_EQ(parse_edited("sign_public",
                          "\"0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6\"",
                          &e),
             KP_E_KEY_FILE);
    CHECK_STR(e.field, "sign_public");
    /* not JSON, not an object, duplicate members */
    kp_key *k = NULL;
    const char *bad[] = {"{", "[1]", "{\"kapsule_key\":1,\"kapsule_key\":1}", "{} x"};
    for (size_t i = 0; i < 4; i++)
        CHECK_EQ(kp_key_parse_secret((const uint8_t *)bad[i], strlen(bad[i]), &k, &e),
                 KP_E_KEY_FILE);
    CHECK(k == NULL);
}

TEST(age_identity_import_is_receive_only)
{
    const char *file = "# created: 2024-01-01T00:00:00Z\n"
                       "# public key: age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n"
                       "\n"
                       "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\r\n";
    kp_key *k = NULL;
    kp_error e;
    CHECK_EQ(kp_key_parse_secret((const uint8_t *)file, strlen(file), &k, &e), KP_OK);
    CHECK_EQ(kp_key_get_alg(k), KP_ALG_NONE);
    size_t pl = 99;
    CHECK(kp_key_public(k, &pl) == NULL);
    CHECK_EQ(pl, 0);
    char r[KP_AGE_RECIPIENT_BYTES], s[KP_AGE_SECRET_BYTES];
    kp_key_age_recipient(k, r);
    CHECK_STR(r, "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
    kp_key_age_secret(k, s);
    CHECK_STR(s, "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
    uint8_t sig[64];
    CHECK_EQ(kp_key_sign(k, (const uint8_t *)"m", 1, sig, &e), KP_E_KEY_NO_SIGN);
    /* its JSON form round-trips with alg none */
    char *text = NULL;
    size_t len = 0;
    kp_key *k2 = NULL;
    CHECK_EQ(kp_key_export(k, 1, &text, &len, NULL), KP_OK);
    CHECK(strstr(text, "\"none\"") != NULL);
    CHECK(strstr(text, "sign_") == NULL);
    CHECK_EQ(kp_key_parse_secret((const uint8_t *)text, len, &k2, &e), KP_OK);
    CHECK_MEM(kp_key_x25519_public(k2), kp_key_x25519_public(k), 32);
    kp_key_text_free(text, len);
    kp_key_free(k2);
    kp_key_free(k);
    /* two identities, none, junk, a recipient instead of an identity */
    const char *bad[] = {
        ("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n"
         "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n"),
        "# only a comment\n\n",
        "",
        "hello",
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        k = NULL;
        CHECK_MSG(kp_key_parse_secret((const uint8_t *)bad[i], strlen(bad[i]), &k, &e) ==
                      KP_E_AGE_KEY,
                  "accepted #%zu", i);
        CHECK(k == NULL);
    }
}

TEST(names)
{
    static const char *good[] = {"a", "alice", "Bob-2", "k.1", "x_y", "0",
                                 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234"};
    static const char *bad[] = {"", ".", "..", "../x", "a/b", ".hidden", "-x", "_x", "x y",
                                "x\n", "é", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij12345"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK_MSG(kp_key_name_valid(good[i]), "refused '%s'", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!kp_key_name_valid(bad[i]), "accepted '%s'", bad[i]);
    CHECK(!kp_key_name_valid(NULL));
}

TEST(store_new_load_list)
{
    fresh_store();
    kp_key *k = NULL, *l = NULL;
    kp_error e;
    CHECK_EQ(kp_key_new(store, "zed", KP_ALG_ED25519, &k, &e), KP_OK);
    CHECK_STR(kp_key_name(k), "zed");
    kp_key_free(k);
    CHECK_EQ(kp_key_new(store, "alice", KP_ALG_P256, &k, &e), KP_OK);
    kp_key_free(k);
    CHECK_EQ(kp_key_new(store, "mid", KP_ALG_SECP256K1, &k, &e), KP_OK);
    /* modes: folder 0700, secret 0600, public 0644 */
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/keys", store);
    CHECK_EQ(stat(p, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0700);
    CHECK_EQ(stat(store, &st), 0);
    CHECK_EQ(st.st_mode & 077, 0);
    snprintf(p, sizeof p, "%s/keys/mid.key", store);
    CHECK_EQ(stat(p, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    snprintf(p, sizeof p, "%s/keys/mid.pub", store);
    CHECK_EQ(stat(p, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0644);
    /* load gives the same key */
    CHECK_EQ(kp_key_load(store, "mid", &l, &e), KP_OK);
    CHECK_STR(kp_key_name(l), "mid");
    size_t a, b;
    CHECK_MEM(kp_key_public(k, &a), kp_key_public(l, &b), 33);
    CHECK_MEM(kp_key_x25519_public(k), kp_key_x25519_public(l), 32);
    kp_key_free(l);
    /* the name is taken: nothing is replaced */
    l = NULL;
    CHECK_EQ(kp_key_new(store, "mid", KP_ALG_ED25519, &l, &e), KP_E_EXISTS);
    CHECK(l == NULL);
    CHECK_EQ(kp_key_load(store, "mid", &l, &e), KP_OK);
    CHECK_EQ(kp_key_get_alg(l), KP_ALG_SECP256K1);
    kp_key_free(l);
    kp_key_free(k);
    /* junk in the folder is not listed */
    snprintf(p, sizeof p, "%s/keys/.hidden.key", store);
    FILE *f = fopen(p, "w");
    fclose(f);
    snprintf(p, sizeof p, "%s/keys/notes.txt", store);
    f = fopen(p, "w");
    fclose(f);
    char **names = NULL;
    size_t n = 0;
    CHECK_EQ(kp_key_list(store, &names, &n, &e), KP_OK);
    CHECK_EQ(n, 3);
    CHECK_STR(names[0], "alice");
    CHECK_STR(names[1], "mid");
    CHECK_STR(names[2], "zed");
    kp_key_list_free(names, n);
    /* errors: missing key, bad names, no store */
    CHECK_EQ(kp_key_load(store, "nobody", &l, &e), KP_E_NOT_FOUND);
    CHECK_EQ(kp_key_load(store, "../keys/mid", &l, &e), KP_E_KEY_NAME);
    CHECK_EQ(kp_key_new(store, "a/b", KP_ALG_ED25519, &l, &e), KP_E_KEY_NAME);
    CHECK_EQ(kp_key_new(store, "x", KP_ALG_NONE, &l, &e), KP_E_SIG_ALG);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none", store);
    CHECK_EQ(kp_key_list(missing, &names, &n, &e), KP_OK);
    CHECK_EQ(n, 0);
    CHECK(names == NULL);
}

TEST(store_refuses_loose_or_damaged_files)
{
    fresh_store();
    kp_key *k = NULL;
    kp_error e;
    char p[512];
    CHECK_EQ(kp_key_new(store, "k", KP_ALG_ED25519, &k, &e), KP_OK);
    kp_key_free(k);
    snprintf(p, sizeof p, "%s/keys/k.key", store);
    CHECK_EQ(chmod(p, 0640), 0);
    CHECK_EQ(kp_key_load(store, "k", &k, &e), KP_E_KEY_PERMISSIONS);
    CHECK(strstr(e.msg, "chmod 600") != NULL);
    CHECK_EQ(chmod(p, 0604), 0);
    CHECK_EQ(kp_key_load(store, "k", &k, &e), KP_E_KEY_PERMISSIONS);
    CHECK_EQ(chmod(p, 0400), 0);
    CHECK_EQ(kp_key_load(store, "k", &k, &e), KP_OK);
    kp_key_free(k);
    CHECK_EQ(chmod(p, 0600), 0);
    /* a flipped hex digit in the secret: the publics no longer match */
    FILE *f = fopen(p, "r+");
    char text[2000];
    size_t n = fread(text, 1, sizeof text, f);
    char *s = strstr(text, "\"sign_secret\": \"") + 16;
    *s = *s == '0' ? '1' : '0';
    rewind(f);
    fwrite(text, 1, n, f);
    fclose(f);
    CHECK_EQ(kp_key_load(store, "k", &k, &e), KP_E_KEY_FILE);
    CHECK_STR(e.field, "sign_public");
    /* a symlink is not a key file */
    char q[512];
    snprintf(q, sizeof q, "%s/keys/l.key", store);
    CHECK_EQ(symlink(p, q), 0);
    CHECK_EQ(kp_key_load(store, "l", &k, &e), KP_E_KEY_FILE);
    /* import: age identity, then our own JSON under another name */
    const char *id = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n";
    CHECK_EQ(kp_key_import(store, "rx", (const uint8_t *)id, strlen(id), &k, &e), KP_OK);
    CHECK_EQ(kp_key_get_alg(k), KP_ALG_NONE);
    kp_key_free(k);
    CHECK_EQ(kp_key_import(store, "rx", (const uint8_t *)id, strlen(id), &k, &e), KP_E_EXISTS);
    CHECK_EQ(kp_key_import(store, "bad", (const uint8_t *)"x", 1, &k, &e), KP_E_AGE_KEY);
    snprintf(p, sizeof p, "%s/keys/bad.key", store);
    CHECK(access(p, F_OK) != 0); /* nothing left behind */
}

/* ---- allocation failures ---- */

static long fail_at, alloc_count;

static void *failing_alloc(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (++alloc_count == fail_at) return NULL;
    return realloc(p, n);
}

TEST(every_allocation_failure_is_clean)
{
    /* For each N, fail the N-th allocation of a whole scenario and check
       it fails cleanly with E_NOMEM (ASan reports any leak); stop when a
       run no longer reaches N. */
    fresh_store();
    uint8_t pk[32], sk[32];
    cry_x25519_keygen(pk, sk);
    int completed = 0;
    for (fail_at = 1; fail_at < 200 && !completed; fail_at++) {
        alloc_count = 0;
        kp_set_allocator(failing_alloc, NULL);
        char name[32];
        snprintf(name, sizeof name, "k%ld", fail_at);
        kp_key *k = NULL, *l = NULL;
        char **names = NULL;
        size_t n = 0;
        buf f = {0}, out = {0};
        kp_error e;
        int rc = kp_key_new(store, name, KP_ALG_ED25519, &k, &e);
        if (rc == KP_OK) rc = kp_key_load(store, name, &l, &e);
        if (rc == KP_OK) rc = kp_key_list(store, &names, &n, &e);
        if (rc == KP_OK)
            rc = cry_age_encrypt((const uint8_t(*)[32])pk, 1, (const uint8_t *)"abc", 3, &f, &e);
        if (rc == KP_OK) rc = cry_age_decrypt(sk, f.p, f.len, 100, &out, &e);
        kp_set_allocator(NULL, NULL);
        if (rc == KP_OK) {
            CHECK_EQ(out.len, 3);
            completed = alloc_count < fail_at;
        } else {
            CHECK_MSG(rc == KP_E_NOMEM, "failing allocation %ld gave %d (%s)", fail_at, rc, e.msg);
        }
        kp_key_list_free(names, n);
        kp_key_free(k);
        kp_key_free(l);
        buf_free(&f);
        buf_free(&out);
        /* keep the store at one key so that each run does the same work */
        char p[512];
        snprintf(p, sizeof p, "%s/keys/%s.key", store, name);
        unlink(p);
        snprintf(p, sizeof p, "%s/keys/%s.pub", store, name);
        unlink(p);
    }
    CHECK_MSG(completed, "last run: %ld allocations", alloc_count);
}
