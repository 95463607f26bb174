/*
 * log_test.c: the audit log. RFC 6962/9162 known answers; appends,
 * entries and ranges; every proof of small trees checked against a naive
 * in-test MTH and the verifiers (the independent Python reference is in
 * tests/cli/log_ref.sh); rows read per proof stay O(log n); the verifiers'
 * edge cases; append-only triggers; C2SP notes and verifier keys against
 * golang.org/x/mod/sumdb/note's test vectors; checkpoint bodies against
 * the C2SP spec; kp_log_verify finding a change to any byte of an entry or
 * a checkpoint; allocation failures.
 */
#include <sqlite3.h>
#include <sodium.h>
#include <unistd.h>

#include "test.h"
#include "testdir.h"
#include "crypto/crypto.h"
#include "log/log.h"
#include "store/db.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

#define HB KP_LOG_HASH_BYTES

static void unhex(const char *h, uint8_t *out, size_t n)
{
    size_t got = 0;
    if (sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL) != 0 || got != n) abort();
}

/* Entry i of the test logs: as tests/tools/merkle_ref.py's entry(i). */
static size_t entry(uint64_t i, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (uint64_t r = 0; r < i % 5; r++)
        n += (size_t)snprintf((char *)out + n, cap - n, "entry %llu\n", (unsigned long long)i);
    return n;
}

/* A store whose log holds entries 0..n-1, appended in one transaction. */
static kp_store *make_log(const char *name, uint64_t n)
{
    kp_store *st;
    kp_error e;
    uint8_t data[256];
    uint64_t idx;
    if (kp_store_open(test_dir(name, 1), KP_STORE_CREATE, &st, &e) != KP_OK) abort();
    if (store_begin(st, &e) != KP_OK) abort();
    for (uint64_t i = 0; i < n; i++)
        if (kp_log_append(st, data, entry(i, data, sizeof data), &idx, &e) != KP_OK || idx != i)
            abort();
    if (store_commit(st, &e) != KP_OK) abort();
    return st;
}

/* ---- known answers -------------------------------------------------------- */

/* The RFC 6962 test vectors (as in Certificate Transparency's own tests):
   eight entries, the roots of sizes 0..8, and a few proofs. */
static const char *const ct_entries[] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f"};
static const char *const ct_roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
static const struct {
    int kind; /* 0 inclusion (a = index, b = size), 1 consistency (a -> b) */
    uint64_t a, b;
    const char *proof[3];
} ct_proofs[] = {
    {0, 0, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {0, 5, 8, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
               "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {1, 2, 8, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", NULL}},
    {1, 6, 8, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
               "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

TEST(rfc6962_known_answers)
{
    kp_store *st;
    kp_error e;
    uint8_t data[16], root[HB], want[HB], h[HB];
    uint64_t idx;
    CHECK_EQ(kp_store_open(test_dir("kat", 1), KP_STORE_CREATE, &st, &e), KP_OK);
    for (int i = 0; i < 8; i++) {
        size_t n = strlen(ct_entries[i]) / 2;
        unhex(ct_entries[i], data, n);
        CHECK_EQ(kp_log_append(st, data, n, &idx, &e), KP_OK);
        CHECK_EQ(idx, i);
    }
    for (int s = 0; s <= 8; s++) {
        CHECK_EQ(kp_log_root(st, (uint64_t)s, root, &e), KP_OK);
        unhex(ct_roots[s], want, HB);
        CHECK_MSG(memcmp(root, want, HB) == 0, "root of size %d", s);
    }
    kp_log_leaf_hash(NULL, 0, h); /* leaf of the empty entry */
    unhex(ct_roots[1], want, HB);
    CHECK_MEM(h, want, HB);
    for (size_t t = 0; t < sizeof ct_proofs / sizeof ct_proofs[0]; t++) {
        static kp_log_inclusion in;
        static kp_log_consistency co;
        size_t count;
        const uint8_t(*proof)[HB];
        if (ct_proofs[t].kind == 0) {
            CHECK_EQ(kp_log_prove_inclusion(st, ct_proofs[t].a, ct_proofs[t].b, &in, &e), KP_OK);
            count = in.count;
            proof = in.proof;
        } else {
            CHECK_EQ(kp_log_prove_consistency(st, ct_proofs[t].a, ct_proofs[t].b, &co, &e),
                     KP_OK);
            count = co.count;
            proof = co.proof;
        }
        size_t want_n = ct_proofs[t].proof[2] ? 3 : 2;
        CHECK_EQ(count, want_n);
        for (size_t i = 0; i < count; i++) {
            unhex(ct_proofs[t].proof[i], want, HB);
            CHECK_MSG(memcmp(proof[i], want, HB) == 0, "vector %zu hash %zu", t, i);
        }
        if (ct_proofs[t].kind == 0)
            CHECK_EQ(kp_log_verify_inclusion(in.index, in.tree_size, in.leaf_hash, in.proof,
                                             in.count, in.root, &e),
                     KP_OK);
        else
            CHECK_EQ(kp_log_verify_consistency(co.old_size, co.new_size, co.old_root,
                                               co.new_root, co.proof, co.count, &e),
                     KP_OK);
    }
    kp_store_close(st);
}

/* ---- appends and entries ---------------------------------------------------- */

TEST(append_entries_and_ranges)
{
    kp_store *st;
    kp_error e;
    uint8_t out[64], root[HB];
    size_t len = 0;
    uint64_t n, idx;
    static kp_log_inclusion in;
    static kp_log_consistency co;
    CHECK_EQ(kp_store_open(test_dir("append", 1), KP_STORE_CREATE, &st, &e), KP_OK);
    CHECK_EQ(kp_log_size(st, &n, &e), KP_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(kp_log_root(st, 0, root, &e), KP_OK);
    uint8_t empty[HB];
    log_empty_root(empty);
    CHECK_MEM(root, empty, HB);
    CHECK_EQ(kp_log_append(st, NULL, 0, &idx, &e), KP_OK); /* an empty entry */
    CHECK_EQ(idx, 0);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"hello", 5, &idx, &e), KP_OK);
    CHECK_EQ(idx, 1);
    CHECK_EQ(kp_log_size(st, &n, &e), KP_OK);
    CHECK_EQ(n, 2);
    CHECK_EQ(kp_log_entry(st, 0, out, sizeof out, &len, &e), KP_OK);
    CHECK_EQ(len, 0);
    CHECK_EQ(kp_log_entry(st, 1, out, sizeof out, &len, &e), KP_OK);
    CHECK_EQ(len, 5);
    CHECK_MEM(out, "hello", 5);
    memset(out, 0x55, sizeof out);
    CHECK_EQ(kp_log_entry(st, 1, out, 3, &len, &e), KP_E_LIMIT);
    CHECK_EQ(len, 5); /* the size needed */
    CHECK_EQ(out[0], 0x55);
    CHECK_EQ(kp_log_entry(st, 2, out, sizeof out, &len, &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_entry(st, UINT64_MAX, out, sizeof out, &len, &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_root(st, 3, root, &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_prove_inclusion(st, 2, 2, &in, &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_prove_inclusion(st, 0, 3, &in, &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_prove_inclusion(st, 0, 0, &in, &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_prove_consistency(st, 2, 1, &co, &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_prove_consistency(st, 1, 3, &co, &e), KP_E_LOG_RANGE);
    /* degenerate consistency proofs are empty and verify */
    CHECK_EQ(kp_log_prove_consistency(st, 0, 2, &co, &e), KP_OK);
    CHECK_EQ(co.count, 0);
    CHECK_EQ(kp_log_verify_consistency(0, 2, co.old_root, co.new_root, co.proof, 0, &e), KP_OK);
    CHECK_EQ(kp_log_prove_consistency(st, 2, 2, &co, &e), KP_OK);
    CHECK_EQ(co.count, 0);
    CHECK_MEM(co.old_root, co.new_root, HB);
    /* too large */
    uint8_t *big = mem_alloc(KP_LOG_ENTRY_MAX + 1);
    CHECK(big != NULL);
    memset(big, 1, KP_LOG_ENTRY_MAX + 1);
    int rc = kp_log_append(st, big, KP_LOG_ENTRY_MAX + 1, &idx, &e);
    mem_free(big, KP_LOG_ENTRY_MAX + 1);
    CHECK_EQ(rc, KP_E_LIMIT);
    CHECK_EQ(kp_log_size(st, &n, &e), KP_OK);
    CHECK_EQ(n, 2);
    kp_store_close(st);
}

TEST(append_follows_the_callers_transaction)
{
    kp_store *st;
    kp_error e;
    uint64_t n, idx;
    store_unit u;
    CHECK_EQ(kp_store_open(test_dir("txappend", 1), KP_STORE_CREATE, &st, &e), KP_OK);
    CHECK_EQ(store_begin(st, &e), KP_OK);
    for (int i = 0; i < 3; i++) CHECK_EQ(kp_log_append(st, (const uint8_t *)"a", 1, &idx, &e), KP_OK);
    store_rollback(st);
    CHECK_EQ(kp_log_size(st, &n, &e), KP_OK);
    CHECK_EQ(n, 0);
    /* a capsule unit that fails after its log entry leaves no entry */
    CHECK_EQ(store_begin(st, &e), KP_OK);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"kept", 4, &idx, &e), KP_OK);
    CHECK_EQ(store_unit_begin(st, "capsule", &u, &e), KP_OK);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"undone", 6, &idx, &e), KP_OK);
    CHECK_EQ(idx, 1);
    CHECK_EQ(store_unit_end(st, &u, KP_E_IO, &e), KP_E_IO);
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"next", 4, &idx, &e), KP_OK);
    CHECK_EQ(idx, 1); /* the undone entry's index is taken again */
    CHECK_EQ(store_commit(st, &e), KP_OK);
    CHECK_EQ(kp_log_size(st, &n, &e), KP_OK);
    CHECK_EQ(n, 2);
    kp_log_report r;
    CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &r, &e), KP_OK);
    CHECK_EQ(r.entries, 2);
    CHECK_EQ(r.nodes, 3);
    kp_store_close(st);
}

/* ---- every proof of small trees ---------------------------------------------- */

#define SMALL 160
static uint8_t small_leaf[SMALL][HB];

/* MTH(D[lo:hi]) recursively, as RFC 9162 §2.1.1 defines it. */
static void naive_mth(uint64_t lo, uint64_t hi, uint8_t out[HB])
{
    uint64_t n = hi - lo;
    if (n == 0) {
        log_empty_root(out);
    } else if (n == 1) {
        memcpy(out, small_leaf[lo], HB);
    } else {
        uint64_t k = 1;
        while (k * 2 < n) k *= 2;
        uint8_t l[HB], r[HB];
        naive_mth(lo, lo + k, l);
        naive_mth(lo + k, hi, r);
        log_node_hash(l, r, out);
    }
}

TEST(every_proof_of_small_trees_verifies)
{
    kp_store *st = make_log("small", SMALL);
    kp_error e;
    static uint8_t roots[SMALL + 1][HB];
    static kp_log_inclusion in;
    static kp_log_consistency co;
    uint8_t data[256];
    for (uint64_t i = 0; i < SMALL; i++) kp_log_leaf_hash(data, entry(i, data, sizeof data), small_leaf[i]);
    for (uint64_t s = 0; s <= SMALL; s++) {
        uint8_t want[HB];
        CHECK_EQ(kp_log_root(st, s, roots[s], &e), KP_OK);
        naive_mth(0, s, want);
        CHECK_MSG(memcmp(roots[s], want, HB) == 0, "root of size %llu", (unsigned long long)s);
    }
    unsigned long proofs = 0;
    for (uint64_t s = 1; s <= SMALL; s++) {
        size_t bound = 0;
        while (((uint64_t)1 << bound) < s) bound++; /* ceil(log2 s) */
        for (uint64_t i = 0; i < s; i++) {
            CHECK_EQ(kp_log_prove_inclusion(st, i, s, &in, &e), KP_OK);
            CHECK_MEM(in.root, roots[s], HB);
            CHECK_MEM(in.leaf_hash, small_leaf[i], HB);
            CHECK(in.count <= bound);
            CHECK_MSG(kp_log_verify_inclusion(i, s, small_leaf[i], in.proof, in.count, roots[s],
                                              &e) == KP_OK,
                      "inclusion %llu/%llu: %.100s", (unsigned long long)i, (unsigned long long)s,
                      e.msg);
            /* another leaf, or the right leaf in another tree, fails */
            CHECK(kp_log_verify_inclusion(i, s, small_leaf[(i + 1) % SMALL], in.proof, in.count,
                                          roots[s], NULL) != KP_OK);
            if (s < SMALL)
                CHECK(kp_log_verify_inclusion(i, s, small_leaf[i], in.proof, in.count,
                                              roots[s + 1], NULL) != KP_OK);
            proofs++;
        }
        for (uint64_t a = 0; a <= s; a++) {
            CHECK_EQ(kp_log_prove_consistency(st, a, s, &co, &e), KP_OK);
            CHECK_MEM(co.old_root, roots[a], HB);
            CHECK_MEM(co.new_root, roots[s], HB);
            CHECK(co.count <= bound + 1);
            CHECK_MSG(kp_log_verify_consistency(a, s, roots[a], roots[s], co.proof, co.count,
                                                &e) == KP_OK,
                      "consistency %llu->%llu: %.100s", (unsigned long long)a,
                      (unsigned long long)s, e.msg);
            if (a > 0 && a < s) {
                /* a wrong old root or new root fails */
                CHECK(kp_log_verify_consistency(a, s, roots[a - 1], roots[s], co.proof, co.count,
                                                NULL) != KP_OK);
                CHECK(kp_log_verify_consistency(a, s, roots[a], roots[s - 1], co.proof, co.count,
                                                NULL) != KP_OK);
            }
            proofs++;
        }
    }
    CHECK(proofs > 25000);
    kp_store_close(st);
}

TEST(verifier_edge_cases)
{
    uint8_t r[4][HB], p[3][HB];
    kp_error e;
    log_empty_root(r[0]);
    memset(r[1], 1, HB);
    memset(r[2], 2, HB);
    memset(p, 7, sizeof p);
    CHECK_EQ(kp_log_verify_inclusion(3, 3, r[1], p, 2, r[2], &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_verify_inclusion(0, 0, r[1], p, 0, r[2], &e), KP_E_LOG_RANGE);
    /* a one-entry tree: the root is the leaf, the proof is empty */
    CHECK_EQ(kp_log_verify_inclusion(0, 1, r[1], p, 0, r[1], &e), KP_OK);
    CHECK_EQ(kp_log_verify_inclusion(0, 1, r[1], p, 1, r[1], &e), KP_E_LOG_PROOF_LENGTH);
    CHECK_EQ(kp_log_verify_inclusion(0, 1, r[1], p, 0, r[2], &e), KP_E_LOG_PROOF);
    CHECK_EQ(kp_log_verify_inclusion(0, 2, r[1], p, 0, r[2], &e), KP_E_LOG_PROOF_LENGTH);
    /* sizes */
    CHECK_EQ(kp_log_verify_consistency(3, 2, r[1], r[2], p, 1, &e), KP_E_LOG_RANGE);
    CHECK_EQ(kp_log_verify_consistency(2, 2, r[1], r[1], p, 0, &e), KP_OK);
    CHECK_EQ(kp_log_verify_consistency(2, 2, r[1], r[2], p, 0, &e), KP_E_LOG_PROOF);
    CHECK_EQ(kp_log_verify_consistency(2, 2, r[1], r[1], p, 1, &e), KP_E_LOG_PROOF_LENGTH);
    CHECK_EQ(kp_log_verify_consistency(0, 5, r[0], r[2], p, 0, &e), KP_OK);
    CHECK_EQ(kp_log_verify_consistency(0, 5, r[1], r[2], p, 0, &e), KP_E_LOG_PROOF);
    CHECK_EQ(kp_log_verify_consistency(0, 5, r[0], r[2], p, 1, &e), KP_E_LOG_PROOF_LENGTH);
    CHECK_EQ(kp_log_verify_consistency(0, 0, r[0], r[0], p, 0, &e), KP_OK);
    CHECK_EQ(kp_log_verify_consistency(3, 5, r[1], r[2], p, 0, &e), KP_E_LOG_PROOF_LENGTH);
    /* huge sizes do not overflow anything */
    CHECK(kp_log_verify_inclusion(UINT64_MAX - 1, UINT64_MAX, r[1], p, 3, r[2], NULL) != KP_OK);
    CHECK(kp_log_verify_consistency(UINT64_MAX - 1, UINT64_MAX, r[1], r[2], p, 3, NULL) != KP_OK);
}

TEST(proofs_read_O_log_n_rows)
{
    /* node lookups go through one cached statement; SQLite counts its runs */
    const uint64_t n = 3000;
    kp_store *st = make_log("olog", n);
    kp_error e;
    sqlite3_stmt *node;
    static kp_log_inclusion in;
    static kp_log_consistency co;
    CHECK_EQ(store_stmt(st, "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2", &node, &e),
             KP_OK);
    int worst_in = 0, worst_co = 0;
    for (uint64_t s = n - 200; s <= n; s += 7) {
        for (uint64_t i = 0; i < s; i += 13) {
            sqlite3_stmt_status(node, SQLITE_STMTSTATUS_RUN, 1);
            CHECK_EQ(kp_log_prove_inclusion(st, i, s, &in, &e), KP_OK);
            int runs = sqlite3_stmt_status(node, SQLITE_STMTSTATUS_RUN, 1);
            if (runs > worst_in) worst_in = runs;
            CHECK_EQ(kp_log_prove_consistency(st, i + 1, s, &co, &e), KP_OK);
            runs = sqlite3_stmt_status(node, SQLITE_STMTSTATUS_RUN, 1);
            if (runs > worst_co) worst_co = runs;
        }
    }
    /* log2(3000) < 12: a proof needs at most ~12 siblings, one range of at
       most 12 subtrees and a root of at most 12; consistency two roots */
    CHECK_MSG(worst_in <= 3 * 12 + 1, "inclusion read %d nodes", worst_in);
    CHECK_MSG(worst_co <= 5 * 12 + 2, "consistency read %d nodes", worst_co);
    CHECK(worst_in >= 12); /* the counter does count */
    kp_store_close(st);
}

/* ---- append-only ---------------------------------------------------------------- */

TEST(log_rows_cannot_be_changed)
{
    kp_store *st = make_log("triggers", 10);
    kp_error e;
    uint8_t sk[64], pk[32], root[HB], root2[HB];
    char note[KP_LOG_NOTE_MAX];
    crypto_sign_keypair(pk, sk);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/t", sk, note, &e), KP_OK);
    CHECK_EQ(kp_log_root(st, 10, root, &e), KP_OK);
    static const char *const refused[] = {
        "UPDATE log_entries SET data = x'00' WHERE idx = 3",
        "UPDATE log_entries SET idx = 99 WHERE idx = 9",
        "DELETE FROM log_entries WHERE idx = 9",
        "DELETE FROM log_entries",
        "INSERT OR REPLACE INTO log_entries(idx, data) VALUES (0, x'01')",
        "REPLACE INTO log_entries(idx, data) VALUES (9, x'01')",
        "INSERT INTO log_entries(idx, data) VALUES (11, x'01')", /* skips 10 */
        "INSERT INTO log_entries(idx, data) VALUES (NULL, x'01')",
        "UPDATE log_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 0",
        "DELETE FROM log_nodes WHERE level = 3",
        "INSERT OR REPLACE INTO log_nodes VALUES (0, 0, zeroblob(32))",
        "UPDATE log_checkpoints SET size = 9",
        "DELETE FROM log_checkpoints",
        "INSERT INTO log_checkpoints VALUES (1, 11, zeroblob(32), 'x')", /* beyond the log */
        "INSERT INTO log_checkpoints VALUES (1, 9, zeroblob(32), 'x')",  /* smaller */
        "INSERT INTO log_checkpoints VALUES (5, 10, zeroblob(32), 'x')", /* skips seq */
        "UPDATE log_identity SET origin = 'evil.example'",
        "DELETE FROM log_identity",
        "INSERT OR REPLACE INTO log_identity VALUES (1, 'evil.example', 'k')",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int rc = store_exec(st, refused[i], &e);
        CHECK_MSG(rc == KP_E_STORE_IMMUTABLE, "%.100s: %s (%.100s)", refused[i],
                  kp_status_name(rc), e.msg);
    }
    /* what constraints refuse rather than triggers */
    CHECK_EQ(store_exec(st, "INSERT INTO log_nodes VALUES (0, 0, zeroblob(32))", &e),
             KP_E_STORE_CONSTRAINT);
    CHECK_EQ(store_exec(st, "INSERT INTO log_nodes VALUES (0, 10, zeroblob(31))", &e),
             KP_E_STORE_CONSTRAINT);
    CHECK_EQ(store_exec(st, "INSERT INTO log_entries VALUES (10, 'text, not a blob')", &e),
             KP_E_STORE_CONSTRAINT);
    CHECK_EQ(kp_log_root(st, 10, root2, &e), KP_OK);
    CHECK_MEM(root, root2, HB);
    kp_log_report r;
    CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &r, &e), KP_OK);
    CHECK_EQ(r.problems, 0);
    CHECK_EQ(r.checkpoints, 1);
    kp_store_close(st);
}

/* ---- notes: golang.org/x/mod/sumdb/note's test vectors ---------------------------- */

static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char peter_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";
static const char peter_sig[] =
    LOG_NOTE_DASH "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] =
    LOG_NOTE_DASH "EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static int open_note(const char *msg, size_t len, const char *vkey)
{
    log_vkey vk;
    size_t tlen;
    if (vkey && log_vkey_parse(vkey, &vk, NULL) != KP_OK) return -1;
    return log_note_open(msg, len, vkey ? &vk : NULL, &tlen, NULL);
}

TEST(note_vectors_from_go_sumdb)
{
    log_vkey vk;
    kp_error e;
    uint8_t seed[33], pk[32], sk[64];
    char vkey[KP_LOG_VKEY_MAX];
    buf msg = {0}, out = {0};

    CHECK_EQ(log_vkey_parse(peter_vkey, &vk, &e), KP_OK);
    CHECK_STR(vk.name, "PeterNeumann");
    CHECK_EQ_U64(vk.id, 0xc74f20a3);
    CHECK_EQ(log_vkey_parse(enoch_vkey, &vk, &e), KP_OK);
    CHECK_EQ_U64(vk.id, 0xaf0cfe78);

    /* the private key is base64(0x01 || Ed25519 seed); signing the text
       must give Go's note byte for byte (Ed25519 is deterministic), and the
       public key Go's verifier key */
    CHECK_EQ(cry_base64_decode(seed, sizeof seed, peter_skey_b64, strlen(peter_skey_b64), 1, NULL),
             33);
    CHECK_EQ(seed[0], 1);
    crypto_sign_seed_keypair(pk, sk, seed + 1);
    CHECK_EQ(kp_log_vkey("PeterNeumann", pk, vkey, &e), KP_OK);
    CHECK(strcmp(vkey, peter_vkey) == 0);
    CHECK_EQ(log_note_sign(go_text, strlen(go_text), "PeterNeumann", sk, &out, &e), KP_OK);
    CHECK_EQ(buf_printf(&msg, "%s\n%s", go_text, peter_sig), KP_OK);
    CHECK_EQ(out.len, msg.len);
    CHECK_MEM(out.p, msg.p, msg.len);

    /* opening: by either key, with the other signature ignored */
    msg.len = 0;
    CHECK_EQ(buf_printf(&msg, "%s\n%s%s", go_text, peter_sig, enoch_sig), KP_OK);
    size_t tlen = 0;
    CHECK_EQ(log_vkey_parse(peter_vkey, &vk, &e), KP_OK);
    CHECK_EQ(log_note_open((char *)msg.p, msg.len, &vk, &tlen, &e), KP_OK);
    CHECK_EQ(tlen, strlen(go_text));
    CHECK_EQ(open_note((char *)msg.p, msg.len, enoch_vkey), KP_OK);
    /* a key that signed nothing here */
    uint8_t pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    CHECK_EQ(kp_log_vkey("PeterNeumann", pk2, vkey, &e), KP_OK);
    CHECK_EQ(open_note((char *)msg.p, msg.len, vkey), KP_E_NOTE_UNVERIFIED);
    CHECK_EQ(open_note((char *)msg.p, msg.len, NULL), KP_E_NOTE_UNVERIFIED);

    /* 100 signatures are fine, 101 are not */
    for (int count = 100; count <= 101; count++) {
        msg.len = 0;
        CHECK_EQ(buf_printf(&msg, "%s\n", go_text), KP_OK);
        for (int i = 0; i < count; i++) CHECK_EQ(buf_printf(&msg, "%s", peter_sig), KP_OK);
        CHECK_EQ(open_note((char *)msg.p, msg.len, peter_vkey),
                 count == 100 ? KP_OK : KP_E_NOTE_MALFORMED);
    }
    /* a signature by the known key that does not verify fails the note */
    msg.len = 0;
    CHECK_EQ(buf_printf(&msg, "%s\n%.60sABCD%s", go_text, peter_sig, peter_sig + 60), KP_OK);
    CHECK_EQ(open_note((char *)msg.p, msg.len, peter_vkey), KP_E_NOTE_BAD_SIG);
    msg.len = 0;
    CHECK_EQ(buf_printf(&msg, "%s\n%s%.60sABCD%s", go_text, enoch_sig, peter_sig, peter_sig + 60),
             KP_OK);
    CHECK_EQ(open_note((char *)msg.p, msg.len, enoch_vkey), KP_OK); /* peter's is not enoch's */
    CHECK_EQ(open_note((char *)msg.p, msg.len, peter_vkey), KP_E_NOTE_BAD_SIG);
    /* a changed key id makes the signature someone else's */
    msg.len = 0;
    CHECK_EQ(buf_printf(&msg, "%s\n%s", go_text, peter_sig), KP_OK);
    char *x = strstr((char *)msg.p, "x08g");
    memcpy(x, "xxxx", 4);
    CHECK_EQ(open_note((char *)msg.p, msg.len, peter_vkey), KP_E_NOTE_UNVERIFIED);
    /* a changed text */
    msg.len = 0;
    CHECK_EQ(buf_printf(&msg, "%s\n%s", go_text, peter_sig), KP_OK);
    msg.p[3] ^= 0x20;
    CHECK_EQ(open_note((char *)msg.p, msg.len, peter_vkey), KP_E_NOTE_BAD_SIG);

    /* Go's malformed messages */
    char sig_no_nl[sizeof peter_sig];
    memcpy(sig_no_nl, peter_sig, sizeof peter_sig);
    sig_no_nl[strlen(sig_no_nl) - 1] = 0;
    const char *bad[7][3] = {
        {go_text, "", ""},
        {go_text, "\n", ""},
        {go_text, "\n", sig_no_nl},
        {"\x01", go_text, "\n"},
        {"\xff", go_text, "\n"},
        {go_text, "\n", LOG_NOTE_DASH "Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="},
        {go_text, "\n", "Unexpected line.\n"},
    };
    for (int i = 0; i < 7; i++) {
        msg.len = 0;
        CHECK_EQ(buf_printf(&msg, "%s%s%s", bad[i][0], bad[i][1], bad[i][2]), KP_OK);
        if (i == 3 || i == 4) CHECK_EQ(buf_printf(&msg, "%s", peter_sig), KP_OK);
        if (i == 6) {
            /* the unexpected line comes after a good signature */
            msg.len = 0;
            CHECK_EQ(buf_printf(&msg, "%s\n%sUnexpected line.\n", go_text, peter_sig), KP_OK);
        }
        CHECK_MSG(open_note((char *)msg.p, msg.len, peter_vkey) == KP_E_NOTE_MALFORMED,
                  "bad message %d", i);
    }
    buf_free(&msg);
    buf_free(&out);
}

TEST(vkey_manglings_are_refused)
{
    /* as Go's TestNewVerifier: every proper substring, every byte + 1 */
    char b[sizeof peter_vkey];
    size_t n = strlen(peter_vkey);
    log_vkey vk;
    int refused = 0;
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i + 1; j <= n; j++) {
            if (i == 0 && j == n) continue;
            memcpy(b, peter_vkey + i, j - i);
            b[j - i] = 0;
            CHECK_MSG(log_vkey_parse(b, &vk, NULL) == KP_E_NOTE_VKEY, "accepted %s", b);
            refused++;
        }
    memcpy(b, peter_vkey, sizeof b);
    for (size_t i = 0; i < n; i++) {
        b[i]++;
        CHECK_MSG(log_vkey_parse(b, &vk, NULL) == KP_E_NOTE_VKEY, "accepted %s", b);
        b[i]--;
    }
    CHECK(refused > 2000);
    /* wrong key length and unknown algorithm, each with a matching key id */
    CHECK_EQ(log_vkey_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
                            &vk, NULL),
             KP_E_NOTE_VKEY);
    CHECK_EQ(log_vkey_parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &vk,
                            NULL),
             KP_E_NOTE_VKEY);
    /* uppercase key id: refused (writers print lowercase) */
    CHECK_EQ(log_vkey_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &vk,
                            NULL),
             KP_E_NOTE_VKEY);
    CHECK_EQ(log_vkey_parse(NULL, &vk, NULL), KP_E_NOTE_VKEY);
    uint8_t pk[32] = {0};
    char v[KP_LOG_VKEY_MAX];
    CHECK_EQ(kp_log_vkey("a b", pk, v, NULL), KP_E_ARG);
    CHECK_EQ(kp_log_vkey("a+b", pk, v, NULL), KP_E_ARG);
    CHECK_EQ(kp_log_vkey("", pk, v, NULL), KP_E_ARG);
    CHECK_EQ(kp_log_vkey("a\xc2\xa0" "b", pk, v, NULL), KP_E_ARG); /* NO-BREAK SPACE */
    CHECK_EQ(kp_log_vkey("caf\xc3\xa9.example", pk, v, NULL), KP_OK);
}

/* kp_checkpoint_verify on a file of tests/corpus/note/, split as
   note_fuzz.c splits it: a verifier key line, then the note. */
static int corpus_verify(const char *name, kp_error *e)
{
    char path[256];
    uint8_t *data;
    size_t len;
    kp_checkpoint cp;
    snprintf(path, sizeof path, "tests/corpus/note/%s", name);
    if (file_read_all(path, LOG_NOTE_READ_MAX, &data, &len, NULL) != KP_OK) abort();
    char *nl = memchr(data, '\n', len);
    if (!nl) abort();
    *nl = 0;
    const char *note = nl + 1;
    int rc = kp_checkpoint_verify(note, len - (size_t)(note - (char *)data), (char *)data, &cp, e);
    mem_free(data, len + 1);
    return rc;
}

TEST(corpus_keys_and_signatures_are_refused)
{
    kp_error e;
    /* the unchanged file verifies: each case below differs from it only by
       its defect */
    CHECK_EQ(corpus_verify("valid_checkpoint", &e), KP_OK);
    /* the key's '/' as 0xAF: libsodium 1.0.18's decoder alone reads it as
       '/', so the log's own decoder took this key for the real one */
    CHECK_EQ(corpus_verify("vkey_b64_high_bit", &e), KP_E_NOTE_VKEY);
    /* S + L for S: the same equation mod L, refused by the S < L check */
    CHECK_EQ(corpus_verify("sig_s_not_below_l", &e), KP_E_NOTE_BAD_SIG);
    CHECK_MSG(strstr(e.msg, "E_SIG_NONCANONICAL") != NULL, "refused for another reason: %s", e.msg);
    /* any key character with its top bit set */
    char b[sizeof peter_vkey];
    log_vkey vk;
    memcpy(b, peter_vkey, sizeof b);
    for (size_t i = strrchr(peter_vkey, '+') - peter_vkey + 1; b[i]; i++) {
        b[i] = (char)(b[i] | 0x80);
        CHECK_MSG(log_vkey_parse(b, &vk, NULL) == KP_E_NOTE_VKEY, "accepted 0x80 | key[%zu]", i);
        b[i] = peter_vkey[i];
    }
}

/* ---- checkpoint bodies (c2sp.org/tlog-checkpoint) -------------------------------- */

static int parse_body(const char *text, kp_checkpoint *cp)
{
    return log_checkpoint_parse(text, strlen(text), cp, NULL);
}

TEST(checkpoint_bodies)
{
    kp_checkpoint cp;
    uint8_t want[HB];
    /* the spec's example */
    CHECK_EQ(parse_body("example.com/behind-the-sofa\n20852163\n"
                        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
                        &cp),
             KP_OK);
    CHECK_STR(cp.origin, "example.com/behind-the-sofa");
    CHECK_EQ_U64(cp.tree_size, 20852163);
    CHECK_EQ(cry_base64_decode(want, sizeof want, "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", 44, 1,
                               NULL),
             HB);
    CHECK_MEM(cp.root, want, HB);
    const char *root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    char t[512];
    snprintf(t, sizeof t, "o\n0\n%s\n", root);
    CHECK_EQ(parse_body(t, &cp), KP_OK); /* the empty tree's size is "0" */
    CHECK_EQ(cp.tree_size, 0);
    snprintf(t, sizeof t, "o\n18446744073709551615\n%s\nextension line\n", root);
    CHECK_EQ(parse_body(t, &cp), KP_OK); /* extension lines are allowed */
    CHECK_EQ_U64(cp.tree_size, UINT64_MAX);
    static const char *const bad_size[] = {"", "01", "-1", "+1", "1 ", " 1", "1e3", "0x10",
                                           "18446744073709551616", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad_size / sizeof bad_size[0]; i++) {
        snprintf(t, sizeof t, "o\n%s\n%s\n", bad_size[i], root);
        CHECK_MSG(parse_body(t, &cp) == KP_E_CHECKPOINT_MALFORMED, "size '%s'", bad_size[i]);
    }
    static const char *const bad[] = {
        "",
        "o\n1\n",
        "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",               /* no origin */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",                /* no newline */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",            /* empty line */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2\n",                /* 31 bytes */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",              /* stray bits */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IA\n",              /* 33 bytes */
        "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",              /* URL alphabet */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(parse_body(bad[i], &cp) == KP_E_CHECKPOINT_MALFORMED, "body %zu", i);
    /* the signed-note spec's example note parses (its key is not known) */
    static const char quasimodo[] =
        "Ognuno sta solo sul cuor della terra\n"
        "trafitto da un raggio di sole:\n"
        "\n"
        "ed \xc3\xa8 subito sera.\n"
        "\n" LOG_NOTE_DASH "quasimodo.example/salvatore "
        "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    CHECK_EQ(open_note(quasimodo, strlen(quasimodo), NULL), KP_E_NOTE_UNVERIFIED);
}

/* ---- checkpoints in the store ------------------------------------------------------- */

TEST(checkpoints_are_signed_stored_and_bound)
{
    kp_store *st;
    kp_error e;
    uint8_t pk[32], sk[64], pk2[32], sk2[64], root[HB];
    char note[KP_LOG_NOTE_MAX], note2[KP_LOG_NOTE_MAX], vkey[KP_LOG_VKEY_MAX];
    char origin[KP_LOG_ORIGIN_MAX + 1], vkey2[KP_LOG_VKEY_MAX];
    kp_checkpoint cp;
    uint64_t idx;
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(pk2, sk2);
    CHECK_EQ(kp_store_open(test_dir("ckpt", 1), KP_STORE_CREATE, &st, &e), KP_OK);
    CHECK_EQ(kp_log_head(st, note, &e), KP_E_NOT_FOUND);
    CHECK_EQ(kp_log_identity(st, origin, vkey, &e), KP_E_NOT_FOUND);
    CHECK_EQ(kp_log_vkey("example.org/log", pk, vkey, &e), KP_OK);
    /* the empty log has a checkpoint too */
    CHECK_EQ(kp_log_checkpoint(st, "example.org/log", sk, note, &e), KP_OK);
    CHECK_EQ(kp_checkpoint_verify(note, strlen(note), vkey, &cp, &e), KP_OK);
    CHECK_EQ(cp.tree_size, 0);
    log_empty_root(root);
    CHECK_MEM(cp.root, root, HB);
    static const char head0[] = "example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
                                LOG_NOTE_DASH "example.org/log ";
    CHECK(strncmp(note, head0, strlen(head0)) == 0);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(kp_log_append(st, (const uint8_t *)"e", 1, &idx, &e), KP_OK);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/log", sk, note, &e), KP_OK);
    CHECK_EQ(kp_checkpoint_verify(note, strlen(note), vkey, &cp, &e), KP_OK);
    CHECK_STR(cp.origin, "example.org/log");
    CHECK_EQ(cp.tree_size, 5);
    CHECK_EQ(kp_log_root(st, 5, root, &e), KP_OK);
    CHECK_MEM(cp.root, root, HB);
    /* nothing new: the same checkpoint, no new row */
    CHECK_EQ(kp_log_checkpoint(st, "example.org/log", sk, note2, &e), KP_OK);
    CHECK(strcmp(note2, note) == 0);
    CHECK_EQ(kp_log_head(st, note2, &e), KP_OK);
    CHECK(strcmp(note2, note) == 0);
    CHECK_EQ(kp_log_identity(st, origin, vkey2, &e), KP_OK);
    CHECK_STR(origin, "example.org/log");
    CHECK(strcmp(vkey2, vkey) == 0);
    /* the log is bound to its origin and key */
    CHECK_EQ(kp_log_checkpoint(st, "example.org/other", sk, note2, &e), KP_E_LOG_IDENTITY);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/log", sk2, note2, &e), KP_E_LOG_IDENTITY);
    /* bad arguments */
    uint8_t mixed[64];
    memcpy(mixed, sk, 32);
    memcpy(mixed + 32, pk2, 32);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/log", mixed, note2, &e), KP_E_ARG);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/a b", sk, note2, &e), KP_E_ARG);
    CHECK_EQ(kp_log_checkpoint(st, "a+b", sk, note2, &e), KP_E_ARG);
    CHECK_EQ(kp_log_checkpoint(st, "", sk, note2, &e), KP_E_ARG);
    /* another key's vkey does not verify the note */
    CHECK_EQ(kp_log_vkey("example.org/log", pk2, vkey2, &e), KP_OK);
    CHECK_EQ(kp_checkpoint_verify(note, strlen(note), vkey2, &cp, &e), KP_E_NOTE_UNVERIFIED);
    CHECK_EQ(kp_checkpoint_verify(note, strlen(note), "nonsense", &cp, &e), KP_E_NOTE_VKEY);
    /* every checkpoint handed out is consistent with the latest */
    CHECK_EQ(kp_log_append(st, (const uint8_t *)"f", 1, &idx, &e), KP_OK);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/log", sk, note2, &e), KP_OK);
    kp_checkpoint cp2;
    static kp_log_consistency co;
    CHECK_EQ(kp_checkpoint_verify(note2, strlen(note2), vkey, &cp2, &e), KP_OK);
    CHECK_EQ(kp_log_prove_consistency(st, cp.tree_size, cp2.tree_size, &co, &e), KP_OK);
    CHECK_EQ(kp_log_verify_consistency(cp.tree_size, cp2.tree_size, cp.root, cp2.root, co.proof,
                                       co.count, &e),
             KP_OK);
    kp_log_report r;
    CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &r, &e), KP_OK);
    CHECK_EQ(r.checkpoints, 3);
    CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_OK);
    CHECK_EQ(kp_log_verify(st, vkey2, NULL, NULL, &r, &e), KP_E_NOTE_UNVERIFIED);
    CHECK_EQ(r.problems, 3);
    CHECK_EQ(r.first_bad_checkpoint, 0);
    CHECK_EQ(kp_log_verify(st, "bad vkey", NULL, NULL, &r, &e), KP_E_NOTE_VKEY);
    kp_store_close(st);
}

/* ---- tamper evidence -------------------------------------------------------------------- */

typedef struct seen {
    int n;
    kp_log_problem first;
    char msg[KP_ERROR_MSG_BYTES];
} seen;

static void note_problem(void *ud, const kp_log_problem *p)
{
    seen *s = ud;
    if (s->n++ == 0) {
        s->first = *p;
        snprintf(s->msg, sizeof s->msg, "%s", p->msg);
    }
}

/* A connection of someone with the file: the triggers dropped. */
static sqlite3 *attacker(kp_store *st)
{
    char path[600];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/store.db", st->dir);
    if (sqlite3_open(path, &db) != SQLITE_OK) abort();
    if (sqlite3_exec(db,
                     "DROP TRIGGER log_entries_no_update; DROP TRIGGER log_entries_no_delete;"
                     "DROP TRIGGER log_entries_next; DROP TRIGGER log_nodes_no_update;"
                     "DROP TRIGGER log_nodes_no_delete; DROP TRIGGER log_checkpoints_no_update;"
                     "DROP TRIGGER log_checkpoints_no_delete; DROP TRIGGER log_checkpoints_order;"
                     "DROP TRIGGER log_identity_no_update; DROP TRIGGER log_identity_no_delete;",
                     NULL, NULL, NULL) != SQLITE_OK)
        abort();
    return db;
}

static void set_blob(sqlite3 *db, const char *sql, const void *p, int n, int as_text)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) abort();
    if (as_text)
        sqlite3_bind_text(s, 1, p, n, SQLITE_TRANSIENT);
    else
        sqlite3_bind_blob(s, 1, p, n, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) abort();
    sqlite3_finalize(s);
}

TEST(any_changed_byte_of_an_entry_is_found)
{
    kp_store *st = make_log("tamper_entry", 20);
    kp_error e;
    uint8_t pk[32], sk[64], data[256];
    char note[KP_LOG_NOTE_MAX], vkey[KP_LOG_VKEY_MAX];
    uint64_t idx;
    kp_log_report r;
    crypto_sign_keypair(pk, sk);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/t", sk, note, &e), KP_OK);
    for (uint64_t i = 20; i < 40; i++)
        CHECK_EQ(kp_log_append(st, data, entry(i, data, sizeof data), &idx, &e), KP_OK);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/t", sk, note, &e), KP_OK);
    CHECK_EQ(kp_log_vkey("example.org/t", pk, vkey, &e), KP_OK);
    CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_OK);
    CHECK_EQ(r.entries, 40);
    CHECK_EQ(r.nodes, 78); /* 40 + 20 + 10 + 5 + 2 + 1 */
    CHECK_EQ(r.checkpoints, 2);
    sqlite3 *db = attacker(st);
    static const uint64_t which[] = {1, 2, 19, 23, 39};
    unsigned long changes = 0;
    for (size_t w = 0; w < sizeof which / sizeof which[0]; w++) {
        uint64_t i = which[w];
        size_t n = entry(i, data, sizeof data);
        char sql[80];
        snprintf(sql, sizeof sql, "UPDATE log_entries SET data = ?1 WHERE idx = %llu",
                 (unsigned long long)i);
        for (size_t j = 0; j < n; j++) {
            seen s = {0};
            data[j] ^= 0x01;
            set_blob(db, sql, data, (int)n, 0);
            int rc = kp_log_verify(st, vkey, note_problem, &s, &r, &e);
            data[j] ^= 0x01;
            CHECK_EQ(rc, KP_E_LOG_TAMPERED);
            CHECK_EQ(r.first_bad_entry, (int64_t)i);
            CHECK_EQ(r.first_bad_checkpoint, i < 20 ? 20 : 40);
            CHECK_EQ(r.problems, i < 20 ? 3 : 2); /* the entry, and each checkpoint over it */
            CHECK_EQ(s.first.place, KP_LOG_AT_ENTRY);
            CHECK_EQ(s.first.index, i);
            changes++;
        }
        /* one byte more, one byte less */
        data[n] = 'x';
        set_blob(db, sql, data, (int)n + 1, 0);
        CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_E_LOG_TAMPERED);
        CHECK_EQ(r.first_bad_entry, (int64_t)i);
        set_blob(db, sql, data, (int)n - 1, 0);
        CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_E_LOG_TAMPERED);
        CHECK_EQ(r.first_bad_entry, (int64_t)i);
        set_blob(db, sql, data, (int)n, 0);
        CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_OK);
    }
    CHECK(changes > 100);

    /* a node: reported once, as that node */
    uint8_t zero[HB] = {0};
    set_blob(db, "UPDATE log_nodes SET hash = ?1 WHERE level = 2 AND idx = 3", zero, HB, 0);
    seen s = {0};
    CHECK_EQ(kp_log_verify(st, vkey, note_problem, &s, &r, &e), KP_E_LOG_TAMPERED);
    CHECK_EQ(r.problems, 1);
    CHECK_EQ(s.first.place, KP_LOG_AT_NODE);
    CHECK_EQ(s.first.level, 2);
    CHECK_EQ(s.first.index, 3);
    CHECK_EQ(r.first_bad_entry, -1);
    CHECK(strstr(e.msg, "level 2, index 3") != NULL);
    CHECK(sqlite3_exec(db, "DELETE FROM log_nodes WHERE level = 2 AND idx = 3", NULL, NULL, NULL) ==
          SQLITE_OK);
    CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_E_LOG_TAMPERED);
    CHECK(strstr(e.msg, "missing") != NULL);
    kp_store_close(st);
    sqlite3_close(db);
}

TEST(removed_and_added_rows_are_found)
{
    kp_store *st = make_log("tamper_rows", 40);
    kp_error e;
    uint8_t pk[32], sk[64];
    char note[KP_LOG_NOTE_MAX];
    kp_log_report r;
    seen s;
    crypto_sign_keypair(pk, sk);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/t", sk, note, &e), KP_OK);
    sqlite3 *db = attacker(st);
    /* an entry in the middle removed */
    CHECK(sqlite3_exec(db, "BEGIN; CREATE TABLE keep AS SELECT * FROM log_entries WHERE idx = 10;"
                           "DELETE FROM log_entries WHERE idx = 10; COMMIT;",
                       NULL, NULL, NULL) == SQLITE_OK);
    memset(&s, 0, sizeof s);
    CHECK_EQ(kp_log_verify(st, NULL, note_problem, &s, &r, &e), KP_E_LOG_TAMPERED);
    CHECK_EQ(r.first_bad_entry, 10);
    CHECK_EQ(r.problems, 1); /* its leaf is still stored: the tree is otherwise whole */
    CHECK(strstr(s.msg, "log entry 10 is missing") != NULL);
    CHECK(sqlite3_exec(db, "INSERT INTO log_entries SELECT * FROM keep; DROP TABLE keep;", NULL,
                       NULL, NULL) == SQLITE_OK);
    CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &r, &e), KP_OK);
    /* the last entry removed (rolling the log back) */
    CHECK(sqlite3_exec(db, "BEGIN; CREATE TABLE keep AS SELECT * FROM log_entries WHERE idx = 39;"
                           "DELETE FROM log_entries WHERE idx = 39; COMMIT;",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &r, &e), KP_E_LOG_CHECKPOINT);
    CHECK_EQ(r.first_bad_checkpoint, 40);
    CHECK(r.problems >= 2); /* the checkpoint, and nodes of no entry */
    CHECK(sqlite3_exec(db, "INSERT INTO log_entries SELECT * FROM keep; DROP TABLE keep;", NULL,
                       NULL, NULL) == SQLITE_OK);
    /* a node that should not exist */
    CHECK(sqlite3_exec(db, "INSERT INTO log_nodes VALUES (4, 2, zeroblob(32))", NULL, NULL, NULL) ==
          SQLITE_OK);
    memset(&s, 0, sizeof s);
    CHECK_EQ(kp_log_verify(st, NULL, note_problem, &s, &r, &e), KP_E_LOG_TAMPERED);
    CHECK_EQ(r.problems, 1);
    CHECK_EQ(s.first.place, KP_LOG_AT_NODE);
    CHECK_EQ(s.first.level, 4);
    CHECK_EQ(s.first.index, 2);
    CHECK(sqlite3_exec(db, "DELETE FROM log_nodes WHERE level = 4 AND idx = 2", NULL, NULL, NULL) ==
          SQLITE_OK);
    CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &r, &e), KP_OK);
    /* the checkpoint removed: the log still verifies. A checkpoint that is
       gone can only be missed by whoever holds a copy of it, which is what
       consistency proofs are for. */
    CHECK(sqlite3_exec(db, "DELETE FROM log_checkpoints", NULL, NULL, NULL) == SQLITE_OK);
    CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &r, &e), KP_OK);
    CHECK_EQ(r.checkpoints, 0);
    kp_store_close(st);
    sqlite3_close(db);
}

TEST(any_changed_byte_of_a_checkpoint_is_found)
{
    kp_store *st = make_log("tamper_ckpt", 12);
    kp_error e;
    uint8_t pk[32], sk[64], root[HB];
    char note[KP_LOG_NOTE_MAX], vkey[KP_LOG_VKEY_MAX];
    kp_log_report r;
    crypto_sign_keypair(pk, sk);
    CHECK_EQ(kp_log_checkpoint(st, "example.org/t", sk, note, &e), KP_OK);
    CHECK_EQ(kp_log_vkey("example.org/t", pk, vkey, &e), KP_OK);
    sqlite3 *db = attacker(st);
    size_t n = strlen(note);
    for (size_t j = 0; j < n; j++) {
        for (int bit = 0; bit < 8; bit += 3) { /* bits 0, 3, 6 of every byte */
            note[j] ^= (char)(1 << bit);
            set_blob(db, "UPDATE log_checkpoints SET note = ?1", note, (int)n, 1);
            note[j] ^= (char)(1 << bit);
            int rc = kp_log_verify(st, vkey, NULL, NULL, &r, &e);
            CHECK_MSG(rc != KP_OK, "byte %zu bit %d: %.100s", j, bit, e.msg);
            CHECK_EQ(r.first_bad_checkpoint, 12);
            CHECK_EQ(r.first_bad_entry, -1);
        }
    }
    set_blob(db, "UPDATE log_checkpoints SET note = ?1", note, (int)n, 1);
    CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_OK);
    /* the note grown or cut */
    set_blob(db, "UPDATE log_checkpoints SET note = ?1", note, (int)n - 1, 1);
    CHECK(kp_log_verify(st, vkey, NULL, NULL, &r, &e) != KP_OK);
    char longer[KP_LOG_NOTE_MAX + 8];
    snprintf(longer, sizeof longer, "%s%s", note, note + n - 5);
    set_blob(db, "UPDATE log_checkpoints SET note = ?1", longer, (int)strlen(longer), 1);
    CHECK(kp_log_verify(st, vkey, NULL, NULL, &r, &e) != KP_OK);
    set_blob(db, "UPDATE log_checkpoints SET note = ?1", note, (int)n, 1);
    /* the stored size and root columns */
    CHECK_EQ(kp_log_root(st, 12, root, &e), KP_OK);
    for (int j = 0; j < HB; j++) {
        root[j] ^= 0x80;
        set_blob(db, "UPDATE log_checkpoints SET root = ?1", root, HB, 0);
        root[j] ^= 0x80;
        CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_E_LOG_CHECKPOINT);
        CHECK_EQ(r.first_bad_checkpoint, 12);
    }
    set_blob(db, "UPDATE log_checkpoints SET root = ?1", root, HB, 0);
    CHECK(sqlite3_exec(db, "UPDATE log_checkpoints SET size = 11", NULL, NULL, NULL) == SQLITE_OK);
    CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_E_LOG_CHECKPOINT);
    CHECK(sqlite3_exec(db, "UPDATE log_checkpoints SET size = 12", NULL, NULL, NULL) == SQLITE_OK);
    /* the stored verifier key damaged */
    CHECK(sqlite3_exec(db, "UPDATE log_identity SET vkey = 'x+00000000+AA=='", NULL, NULL, NULL) ==
          SQLITE_OK);
    CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, &r, &e), KP_E_NOTE_VKEY);
    CHECK_EQ(kp_log_verify(st, vkey, NULL, NULL, &r, &e), KP_OK); /* the caller's key decides */
    kp_store_close(st);
    sqlite3_close(db);
}

/* ---- allocation failures -------------------------------------------------------------- */

static long fail_at = -1;
static void *failing_alloc(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (fail_at == 0) return NULL;
    if (fail_at > 0) fail_at--;
    return realloc(p, n);
}

TEST(log_calls_survive_allocation_failures)
{
    kp_store *st = make_log("nomem", 30);
    kp_error e;
    uint8_t pk[32], sk[64];
    char note[KP_LOG_NOTE_MAX];
    kp_log_report r;
    uint64_t idx;
    int rc, i, failed = 0;
    crypto_sign_keypair(pk, sk);
    kp_set_allocator(failing_alloc, NULL);
    for (i = 0, rc = KP_E_NOMEM; i < 200 && rc == KP_E_NOMEM; i++) {
        fail_at = i;
        rc = kp_log_checkpoint(st, "example.org/n", sk, note, &e);
        failed += rc == KP_E_NOMEM;
    }
    CHECK_EQ(rc, KP_OK);
    for (i = 0, rc = KP_E_NOMEM; i < 200 && rc == KP_E_NOMEM; i++) {
        fail_at = i;
        rc = kp_log_append(st, (const uint8_t *)"z", 1, &idx, &e);
        failed += rc == KP_E_NOMEM;
    }
    CHECK_EQ(rc, KP_OK);
    for (i = 0, rc = KP_E_NOMEM; i < 200 && rc == KP_E_NOMEM; i++) {
        fail_at = i;
        rc = kp_log_verify(st, NULL, NULL, NULL, &r, &e);
        failed += rc == KP_E_NOMEM;
    }
    kp_set_allocator(NULL, NULL);
    CHECK_EQ(rc, KP_OK);
    CHECK(failed >= 3);
    /* nothing half-written: one entry more, one checkpoint, all consistent */
    CHECK_EQ(r.entries, 31);
    CHECK_EQ(r.checkpoints, 1);
    kp_store_close(st);
}
