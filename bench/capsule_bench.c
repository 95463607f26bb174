/*
 * capsule_bench.c: capsule pack and verify throughput per body size, and
 * what parsing and checks add to a bare signature verification.
 *
 * Build and run (after `make`), from the top of the tree:
 *   cc -O2 -std=c11 -D_DEFAULT_SOURCE -Iinclude -Isrc bench/capsule_bench.c build/libkapsule.a -lsodium -lcrypto -lsqlite3 -ljansson -lm -o build/capsule_bench && build/capsule_bench
 *
 * For each body size (1 KiB, 64 KiB, 1 MiB) and algorithm:
 *   pack     kp_capsule_pack of a plaintext body (encode, sign, parse back)
 *   verify   kp_capsule_parse + kp_capsule_verify + kp_capsule_free of the
 *            file's bytes: what a receiver does
 *   bare     the library's signature check alone over the payload's bytes
 *            (Ed25519: libsodium crypto_sign_verify_detached; ECDSA:
 *            cry_sig_verify), with a signature made over those bytes
 *   parse    kp_capsule_parse alone (copy, CBOR, schema, the id's SHA-256)
 *   overhead verify / bare - 1: what envelope, schema, id and the
 *            Sig_structure add (target: under 25% at 1 KiB). For large
 *            bodies it is mostly the id: a second pass over the payload
 *            with SHA-256 (libsodium's, about 380 MB/s here)
 * Each figure is the best of 5 rounds (the machine is shared). The last
 * lines give the cost of the separate author-key check that verify does not
 * make (cry_sig_pk_check), relative to bare.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capsule/capsule.h"
#include "crypto/crypto.h"
#include "crypto/key.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef int (*op_fn)(void *ctx);

/* Seconds per call: the best of 5 rounds of about 0.1 s each. */
static double measure(op_fn f, void *ctx)
{
    long n = 1;
    double t;
    for (;;) {
        double t0 = now();
        for (long i = 0; i < n; i++)
            if (f(ctx)) abort();
        t = now() - t0;
        if (t > 0.02) break;
        n *= 2;
    }
    long per_round = (long)(n * 0.1 / t) + 1;
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (long i = 0; i < per_round; i++)
            if (f(ctx)) abort();
        double per = (now() - t0) / (double)per_round;
        if (per < best) best = per;
    }
    return best;
}

typedef struct bench {
    kp_key *key;
    kp_capsule_pack_opts opts;
    const uint8_t *file;
    size_t file_len;
    const uint8_t *payload, *pk;
    size_t payload_len, pk_len;
    uint8_t sig[64];
} bench;

static int do_pack(void *p)
{
    bench *b = p;
    kp_capsule *c = NULL;
    int rc = kp_capsule_pack(&b->opts, NULL, &c, NULL);
    kp_capsule_free(c);
    return rc;
}

static int do_verify(void *p)
{
    bench *b = p;
    kp_capsule *c = NULL;
    int rc = kp_capsule_parse(b->file, b->file_len, NULL, &c, NULL);
    if (rc == KP_OK) rc = kp_capsule_verify(c, NULL);
    kp_capsule_free(c);
    return rc;
}

static int do_parse(void *p)
{
    bench *b = p;
    kp_capsule *c = NULL;
    int rc = kp_capsule_parse(b->file, b->file_len, NULL, &c, NULL);
    kp_capsule_free(c);
    return rc;
}

static int do_bare(void *p)
{
    bench *b = p;
    if (kp_key_get_alg(b->key) == KP_ALG_ED25519)
        return crypto_sign_verify_detached(b->sig, b->payload, b->payload_len, b->pk);
    return cry_sig_verify(kp_key_get_alg(b->key), b->pk, b->pk_len, b->payload, b->payload_len,
                          b->sig, 64, NULL);
}

static int do_pk_check(void *p)
{
    bench *b = p;
    return cry_sig_pk_check(kp_key_get_alg(b->key), b->pk, b->pk_len, NULL);
}

int main(void)
{
    static const size_t sizes[] = {1024, 65536, 1048576};
    static const kp_key_alg algs[] = {KP_ALG_ED25519, KP_ALG_P256, KP_ALG_SECP256K1};
    if (sodium_init() < 0) return 3;
    printf("%-9s %-7s %9s %9s %9s %11s %9s %9s %9s %9s\n", "alg", "body", "pack/s", "pack MB/s",
           "verify/s", "verify MB/s", "bare us", "verify us", "parse us", "overhead");
    double pk_cost[3] = {0}, bare_1k[3] = {0};
    for (size_t a = 0; a < 3; a++) {
        for (size_t s = 0; s < 3; s++) {
            bench b;
            memset(&b, 0, sizeof b);
            kp_error e;
            if (kp_key_generate(algs[a], &b.key, &e)) return 3;
            uint8_t *body = malloc(sizes[s]);
            randombytes_buf(body, sizes[s]);
            uint8_t parent[32];
            randombytes_buf(parent, 32);
            kp_capsule_flag fl = {"lang", 4, "en", 2};
            b.opts = (kp_capsule_pack_opts){.type = "post", .author = b.key, .body = body,
                                            .body_len = sizes[s], .parents = (const uint8_t(*)[32])&parent,
                                            .parent_count = 1, .flags = &fl, .flag_count = 1,
                                            .created = 1700000000};
            kp_capsule *c = NULL;
            if (kp_capsule_pack(&b.opts, NULL, &c, &e)) {
                fprintf(stderr, "pack: %s\n", e.msg);
                return 1;
            }
            b.file = kp_capsule_bytes(c, &b.file_len);
            b.payload = kp_capsule_payload(c, &b.payload_len);
            b.pk = kp_key_public(b.key, &b.pk_len);
            if (kp_key_sign(b.key, b.payload, b.payload_len, b.sig, &e)) return 3;
            double tp = measure(do_pack, &b), tv = measure(do_verify, &b),
                   tb = measure(do_bare, &b), tparse = measure(do_parse, &b);
            double mb = (double)b.file_len / 1e6;
            printf("%-9s %-7s %9.0f %9.1f %9.0f %11.1f %9.1f %9.1f %9.1f %8.1f%%\n",
                   kp_key_alg_name(algs[a]), s == 0 ? "1 KiB" : s == 1 ? "64 KiB" : "1 MiB",
                   1 / tp, mb / tp, 1 / tv, mb / tv, tb * 1e6, tv * 1e6, tparse * 1e6,
                   (tv / tb - 1) * 100);
            if (s == 0) {
                bare_1k[a] = tb;
                pk_cost[a] = measure(do_pk_check, &b);
            }
            kp_capsule_free(c);
            free(body);
            kp_key_free(b.key);
        }
    }
    printf("\nauthor-key check (cry_sig_pk_check), not part of verify:\n");
    for (size_t a = 0; a < 3; a++)
        printf("  %-9s %.1f us = %.0f%% of a bare 1 KiB verify\n", kp_key_alg_name(algs[a]),
               pk_cost[a] * 1e6, pk_cost[a] / bare_1k[a] * 100);
    return 0;
}
