/*
 * log_tool.c: drives the audit log for tests/cli/log_ref.sh, which
 * compares it with the independent reference tests/tools/merkle_ref.py.
 *
 *   log_tool build DIR N            a store whose log holds entries 0..N-1
 *                                   (entry i as merkle_ref.py's entry(i))
 *   log_tool answer DIR             answers merkle_ref.py's queries (stdin);
 *                                   "inclall S" and "consall B" ask for every
 *                                   proof in tree S (every old size up to B),
 *                                   each verified here by the C verifier, and
 *                                   are answered by one digest of them all
 *   log_tool check                  runs the C verifiers on answer lines
 *                                   (stdin): each proof must verify, and
 *                                   each mutated proof must not
 *   log_tool checkpoint DIR ORIGIN SEEDHEX   signs the head, prints the note
 *   log_tool vkey ORIGIN SEEDHEX    prints the verifier key
 *   log_tool verify DIR [VKEY]      kp_log_verify; prints each problem
 *
 * Exit status 0 on success, 1 when a check fails, 2 on usage errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kapsule.h"
#include "store/db.h"

#define H KP_LOG_HASH_BYTES

static int fail(const kp_error *e)
{
    fprintf(stderr, "log_tool: %s: %s\n", kp_status_name(e->code), e->msg);
    return kp_status_exit(e->code) == 1 ? 1 : 3;
}

static void entry(uint64_t i, char *out, size_t cap, size_t *len)
{
    size_t n = 0;
    for (uint64_t r = 0; r < i % 5; r++)
        n += (size_t)snprintf(out + n, cap - n, "entry %" PRIu64 "\n", i);
    *len = n;
}

static void hex(const uint8_t *h, char out[2 * H + 1])
{
    sodium_bin2hex(out, 2 * H + 1, h, H);
}

static void print_list(const uint8_t (*p)[H], size_t n)
{
    char x[2 * H + 1];
    if (n == 0) fputs("-", stdout);
    for (size_t i = 0; i < n; i++) {
        hex(p[i], x);
        printf("%s%s", i ? "," : "", x);
    }
    putchar('\n');
}

static int build(const char *dir, uint64_t n)
{
    kp_store *st;
    kp_error e;
    char buf[256];
    size_t len;
    uint64_t idx;
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e)) return fail(&e);
    /* one transaction for the whole build: a test does not need 1024 fsyncs */
    int rc = store_begin(st, &e);
    for (uint64_t i = 0; rc == KP_OK && i < n; i++) {
        entry(i, buf, sizeof buf, &len);
        rc = kp_log_append(st, (uint8_t *)buf, len, &idx, &e);
        if (rc == KP_OK && idx != i) {
            fprintf(stderr, "log_tool: entry %" PRIu64 " got index %" PRIu64 "\n", i, idx);
            rc = KP_E_INTERNAL;
        }
    }
    if (rc == KP_OK) rc = store_commit(st, &e);
    kp_store_close(st);
    return rc ? fail(&e) : 0;
}

/* The digest "inclall" and "consall" answer with: SHA-256 over every
   proof's 8-byte big-endian position, its two hashes and its proof hashes
   (merkle_ref.py computes the same). */
static void digest_one(crypto_hash_sha256_state *h, uint64_t pos, const uint8_t *x,
                       const uint8_t *y, const uint8_t (*p)[H], size_t n)
{
    uint8_t be[8];
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)(pos >> (56 - 8 * i));
    crypto_hash_sha256_update(h, be, sizeof be);
    crypto_hash_sha256_update(h, x, H);
    crypto_hash_sha256_update(h, y, H);
    for (size_t i = 0; i < n; i++) crypto_hash_sha256_update(h, p[i], H);
}

static void print_digest(const char *kind, uint64_t size, crypto_hash_sha256_state *h)
{
    uint8_t d[H];
    char x[2 * H + 1];
    crypto_hash_sha256_final(h, d);
    hex(d, x);
    printf("%s %" PRIu64 " %s\n", kind, size, x);
}

/* Every inclusion proof in the tree of size s (kind "inclall") or every
   consistency proof from 0..s to s ("consall"), each checked by the C
   verifier before it is digested. */
static int answer_all(kp_store *st, int incl, uint64_t s, kp_error *e)
{
    static kp_log_inclusion in;
    static kp_log_consistency co;
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    for (uint64_t a = 0; a < s + !incl; a++) {
        int rc;
        if (incl) {
            if ((rc = kp_log_prove_inclusion(st, a, s, &in, e)) != KP_OK) return rc;
            rc = kp_log_verify_inclusion(a, s, in.leaf_hash, (const uint8_t(*)[H])in.proof,
                                         in.count, in.root, e);
            if (rc != KP_OK) return rc;
            digest_one(&h, a, in.leaf_hash, in.root, (const uint8_t(*)[H])in.proof, in.count);
        } else {
            if ((rc = kp_log_prove_consistency(st, a, s, &co, e)) != KP_OK) return rc;
            rc = kp_log_verify_consistency(a, s, co.old_root, co.new_root,
                                           (const uint8_t(*)[H])co.proof, co.count, e);
            if (rc != KP_OK) return rc;
            digest_one(&h, a, co.old_root, co.new_root, (const uint8_t(*)[H])co.proof, co.count);
        }
    }
    print_digest(incl ? "inclall" : "consall", s, &h);
    return KP_OK;
}

static int answer(const char *dir)
{
    kp_store *st;
    kp_error e;
    char line[256], x[2 * H + 1], y[2 * H + 1];
    static kp_log_inclusion in;
    static kp_log_consistency co;
    if (kp_store_open(dir, KP_STORE_READONLY, &st, &e)) return fail(&e);
    /* one read snapshot for every query: a million proofs would otherwise
       spend most of their time taking and dropping the file lock */
    int owned;
    int rc = store_read_begin(st, &owned, &e);
    while (rc == KP_OK && fgets(line, sizeof line, stdin)) {
        uint64_t a, b;
        uint8_t root[H];
        if (sscanf(line, "inclall %" SCNu64, &a) == 1) {
            if ((rc = answer_all(st, 1, a, &e)) != KP_OK) break;
        } else if (sscanf(line, "consall %" SCNu64, &a) == 1) {
            if ((rc = answer_all(st, 0, a, &e)) != KP_OK) break;
        } else if (sscanf(line, "root %" SCNu64, &a) == 1) {
            if ((rc = kp_log_root(st, a, root, &e)) != KP_OK) break;
            hex(root, x);
            printf("root %" PRIu64 " %s\n", a, x);
        } else if (sscanf(line, "incl %" SCNu64 " %" SCNu64, &a, &b) == 2) {
            if ((rc = kp_log_prove_inclusion(st, a, b, &in, &e)) != KP_OK) break;
            hex(in.leaf_hash, x);
            hex(in.root, y);
            printf("incl %" PRIu64 " %" PRIu64 " %s %s ", a, b, x, y);
            print_list(in.proof, in.count);
        } else if (sscanf(line, "cons %" SCNu64 " %" SCNu64, &a, &b) == 2) {
            if ((rc = kp_log_prove_consistency(st, a, b, &co, &e)) != KP_OK) break;
            hex(co.old_root, x);
            hex(co.new_root, y);
            printf("cons %" PRIu64 " %" PRIu64 " %s %s ", a, b, x, y);
            print_list(co.proof, co.count);
        } else {
            fprintf(stderr, "log_tool: bad query %s", line);
            rc = KP_E_USAGE;
            e.code = rc;
            snprintf(e.msg, sizeof e.msg, "bad query");
        }
    }
    store_read_end(st, owned);
    kp_store_close(st);
    return rc ? fail(&e) : 0;
}

static int unhex(const char *s, size_t n, uint8_t out[H])
{
    size_t got = 0;
    return n == 2 * H && sodium_hex2bin(out, H, s, n, NULL, &got, NULL) == 0 && got == H;
}

/* "h1,h2,..." or "-" into p; the number of hashes, or -1. */
static long parse_list(const char *s, uint8_t (*p)[H])
{
    if (strcmp(s, "-") == 0) return 0;
    long n = 0;
    while (*s) {
        const char *c = strchr(s, ',');
        size_t len = c ? (size_t)(c - s) : strlen(s);
        if (n == KP_LOG_PROOF_MAX || !unhex(s, len, p[n])) return -1;
        n++;
        s += len + (c ? 1 : 0);
    }
    return n;
}

/* Each accepted proof must fail once mutated: a flipped bit in each hash,
   one hash fewer, one more, the sibling index. */
static int check(void)
{
    static char line[64 * 1024];
    static uint8_t p[KP_LOG_PROOF_MAX + 1][H];
    char proof[sizeof line];
    unsigned long checked = 0, bad = 0, lineno = 0;
    while (fgets(line, sizeof line, stdin)) {
        char kind[8], h1[2 * H + 8], h2[2 * H + 8];
        uint64_t a, b;
        uint8_t x[H], y[H];
        lineno++;
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "root ", 5) == 0 || strncmp(line, "inclall ", 8) == 0 ||
            strncmp(line, "consall ", 8) == 0)
            continue;
        if (sscanf(line, "%7s %" SCNu64 " %" SCNu64 " %70s %70s %s", kind, &a, &b, h1, h2,
                   proof) != 6 ||
            !unhex(h1, strlen(h1), x) || !unhex(h2, strlen(h2), y)) {
            fprintf(stderr, "line %lu: cannot parse\n", lineno);
            return 2;
        }
        long n = parse_list(proof, p);
        if (n < 0) {
            fprintf(stderr, "line %lu: bad proof\n", lineno);
            return 2;
        }
        int incl = strcmp(kind, "incl") == 0;
#define VERIFY(A, B, PP, N)                                                  \
    (incl ? kp_log_verify_inclusion((A), (B), x, (PP), (N), y, NULL)         \
          : kp_log_verify_consistency((A), (B), x, y, (PP), (N), NULL))
        checked++;
        if (VERIFY(a, b, p, (size_t)n) != KP_OK) {
            fprintf(stderr, "line %lu: proof refused: %s\n", lineno, line);
            bad++;
            continue;
        }
        for (long i = 0; i < n; i++) {
            p[i][i % H] ^= 0x01;
            if (VERIFY(a, b, p, (size_t)n) == KP_OK) {
                fprintf(stderr, "line %lu: hash %ld flipped, still accepted\n", lineno, i);
                bad++;
            }
            p[i][i % H] ^= 0x01;
        }
        if (n > 0 && VERIFY(a, b, p, (size_t)n - 1) == KP_OK) {
            fprintf(stderr, "line %lu: a hash short, still accepted\n", lineno);
            bad++;
        }
        memset(p[n], 0xab, H);
        if (VERIFY(a, b, p, (size_t)n + 1) == KP_OK) {
            fprintf(stderr, "line %lu: a hash more, still accepted\n", lineno);
            bad++;
        }
        /* the sibling position: the hashes would combine in the other
           order. (No such test for consistency sizes: RFC 9162's verifier
           takes the roots on trust, and a proof for sizes (A, B) also
           passes as (A, B + 1) against the same root when the last
           subtree hash can stand for a larger subtree.) */
        if (incl && b > 1 && (a ^ 1) < b && VERIFY(a ^ 1, b, p, (size_t)n) == KP_OK) {
            fprintf(stderr, "line %lu: index %" PRIu64 " also accepted\n", lineno, a ^ 1);
            bad++;
        }
#undef VERIFY
    }
    printf("#checked %lu bad %lu\n", checked, bad);
    return bad || checked == 0 ? 1 : 0;
}

static int key_from_seed(const char *seedhex, uint8_t pk[32], uint8_t sk[64])
{
    uint8_t seed[32];
    size_t got = 0;
    if (sodium_hex2bin(seed, sizeof seed, seedhex, strlen(seedhex), NULL, &got, NULL) != 0 ||
        got != 32) {
        fprintf(stderr, "log_tool: the seed is 64 hex digits\n");
        return 2;
    }
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
    return 0;
}

static int checkpoint(const char *dir, const char *origin, const char *seedhex)
{
    kp_store *st;
    kp_error e;
    uint8_t pk[32], sk[64];
    char note[KP_LOG_NOTE_MAX];
    if (key_from_seed(seedhex, pk, sk)) return 2;
    if (kp_store_open(dir, 0, &st, &e)) return fail(&e);
    int rc = kp_log_checkpoint(st, origin, sk, note, &e);
    sodium_memzero(sk, sizeof sk);
    kp_store_close(st);
    if (rc) return fail(&e);
    fputs(note, stdout);
    return 0;
}

static int vkey(const char *origin, const char *seedhex)
{
    kp_error e;
    uint8_t pk[32], sk[64];
    char v[KP_LOG_VKEY_MAX];
    if (key_from_seed(seedhex, pk, sk)) return 2;
    sodium_memzero(sk, sizeof sk);
    if (kp_log_vkey(origin, pk, v, &e)) return fail(&e);
    puts(v);
    return 0;
}

static void print_problem(void *ud, const kp_log_problem *p)
{
    (void)ud;
    printf("%s: %s\n", kp_status_name(p->code), p->msg);
}

static int verify(const char *dir, const char *vk)
{
    kp_store *st;
    kp_error e;
    kp_log_report r;
    if (kp_store_open(dir, KP_STORE_READONLY, &st, &e)) return fail(&e);
    int rc = kp_log_verify(st, vk, print_problem, NULL, &r, &e);
    kp_store_close(st);
    printf("entries %" PRIu64 " nodes %" PRIu64 " checkpoints %" PRIu64 " problems %" PRIu64
           " first_bad_entry %" PRId64 " first_bad_checkpoint %" PRId64 "\n",
           r.entries, r.nodes, r.checkpoints, r.problems, r.first_bad_entry,
           r.first_bad_checkpoint);
    return rc ? fail(&e) : 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) return 3;
    if (argc == 4 && strcmp(argv[1], "build") == 0)
        return build(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "answer") == 0) return answer(argv[2]);
    if (argc == 2 && strcmp(argv[1], "check") == 0) return check();
    if (argc == 5 && strcmp(argv[1], "checkpoint") == 0)
        return checkpoint(argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "vkey") == 0) return vkey(argv[2], argv[3]);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "verify") == 0)
        return verify(argv[2], argc == 4 ? argv[3] : NULL);
    fprintf(stderr, "usage: see the top of tests/tools/log_tool.c\n");
    return 2;
}
