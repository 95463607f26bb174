/*
 * capsule_tool.c: writes the seed corpus of the capsule fuzz harness.
 *
 *   capsule_tool seeds DIR
 *
 * Capsules of each kind (each algorithm, -8, encrypted, with every optional
 * field) signed by fixed keys, the Ed25519 one being the harness's own key
 * (seed 32 x 0x05, X25519 32 x 0x06), and the payloads of the Ed25519 ones
 * alone, which the harness wraps and signs itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsule/capsule.h"
#include "crypto/key.h"

static kp_key *key(kp_key_alg alg, uint8_t b)
{
    uint8_t s[32], x[32];
    memset(s, b, sizeof s);
    memset(x, b + 1, sizeof x);
    kp_key *k = NULL;
    if (cry_key_from_secrets(alg, s, x, &k, NULL) != KP_OK) exit(3);
    return k;
}

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        perror(path);
        exit(3);
    }
}

static void make(const char *dir, const char *name, kp_key *k, int everything, int cose,
                 int payload_too)
{
    static uint8_t parents[2][32], logic[32], mod[32];
    memset(parents[0], 0x10, 32);
    memset(parents[1], 0x20, 32);
    memset(logic, 0x30, 32);
    memset(mod, 0x40, 32);
    kp_key *reader = key(KP_ALG_ED25519, 5);
    char r[KP_AGE_RECIPIENT_BYTES];
    kp_key_age_recipient(reader, r);
    const char *to[] = {r};
    kp_capsule_flag flags[] = {{"lang", 4, "en", 2}, {"topic", 5, "seeds", 5}};
    kp_capsule_cap caps[] = {{mod, "ledger.spend", 12, 100, NULL, 0},
                             {mod, "ledger.spend", 12, 1, (const uint8_t *)"acct", 4}};
    kp_capsule_pack_opts o = {.type = "post", .author = k, .body = (const uint8_t *)"hello",
                              .body_len = 5, .created = 1700000000, .cose_alg = cose};
    if (everything) {
        o.to = to;
        o.to_count = 1;
        o.parents = (const uint8_t(*)[32])parents;
        o.parent_count = 2;
        o.logic = logic;
        o.flags = flags;
        o.flag_count = 2;
        o.caps = caps;
        o.cap_count = 2;
        o.type = "ledger";
    }
    kp_capsule *c = NULL;
    kp_error e;
    if (kp_capsule_pack(&o, NULL, &c, &e) != KP_OK) {
        fprintf(stderr, "%s: %s\n", name, e.msg);
        exit(1);
    }
    size_t n;
    const uint8_t *b = kp_capsule_bytes(c, &n);
    char fname[256];
    snprintf(fname, sizeof fname, "%s.kapsule", name);
    put(dir, fname, b, n);
    if (payload_too) {
        b = kp_capsule_payload(c, &n);
        snprintf(fname, sizeof fname, "%s.payload", name);
        put(dir, fname, b, n);
    }
    kp_capsule_free(c);
    kp_key_free(reader);
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "seeds") != 0) {
        fprintf(stderr, "usage: capsule_tool seeds DIR\n");
        return 2;
    }
    kp_key *ed = key(KP_ALG_ED25519, 5), *p256 = key(KP_ALG_P256, 7),
           *k1 = key(KP_ALG_SECP256K1, 9);
    make(argv[2], "ed25519-min", ed, 0, 0, 1);
    make(argv[2], "ed25519-all", ed, 1, 0, 1);
    make(argv[2], "ed25519-eddsa", ed, 0, -8, 0);
    make(argv[2], "p256-min", p256, 0, 0, 0);
    make(argv[2], "p256-all", p256, 1, 0, 0);
    make(argv[2], "secp256k1-min", k1, 0, 0, 0);
    make(argv[2], "secp256k1-all", k1, 1, 0, 0);
    kp_key_free(ed);
    kp_key_free(p256);
    kp_key_free(k1);
    return 0;
}
