/*
 * log_bench.c: audit log speed up to 10^6 entries. Build and run (after make):
 *
 *   cc -O2 -Iinclude -Isrc -o build/log_bench bench/log_bench.c build/libkapsule.a -lsodium -lcrypto -lsqlite3 -ljansson -lm && build/log_bench [N] [DIR]
 *
 * Appends N entries (default 10^6) of ~100 bytes in transactions of 10^4
 * (the batched-ingest shape), and at each power of ten reports the append
 * rate since the previous one and the mean time and stored rows read of
 * inclusion proofs, consistency proofs, roots and proof verification over
 * random positions: flat growth across powers of ten is the O(log n)
 * claim. Then appends with one commit (one fsync) each, a signed
 * checkpoint, and a full kp_log_verify. DIR (default a fresh folder under
 * /tmp) is removed at the end unless given; given a DIR that already holds
 * N entries, only the proofs at size N are measured.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "kapsule.h"
#include "store/db.h"

#define BATCH 10000
#define SAMPLES 2000

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what, const kp_error *e)
{
    fprintf(stderr, "log_bench: %s: %s: %s\n", what, kp_status_name(e->code), e->msg);
    exit(1);
}

static size_t make_entry(uint64_t i, uint8_t *out)
{
    /* the rough shape of a decision record: ids, a verdict, fuel */
    return (size_t)snprintf((char *)out, 160,
                            "{\"capsule\":\"%016" PRIx64 "%016" PRIx64 "\",\"verdict\":\"accepted\","
                            "\"fuel\":%" PRIu64 "}",
                            (uint64_t)(i * 0x9e3779b97f4a7c15ull), ~i, i % 100000);
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static void measure(kp_store *st, uint64_t n, double append_rate)
{
    static kp_log_inclusion in;
    static kp_log_consistency co;
    uint8_t root[KP_LOG_HASH_BYTES];
    kp_error e;
    sqlite3_stmt *node;
    uint64_t seed = 0x1234567 + n;
    long rows_in = 0, rows_co = 0;
    if (store_stmt(st, "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2", &node, &e))
        die("statement", &e);

    sqlite3_stmt_status(node, SQLITE_STMTSTATUS_RUN, 1);
    double t0 = now();
    for (int k = 0; k < SAMPLES; k++)
        if (kp_log_prove_inclusion(st, rnd(&seed) % n, n, &in, &e)) die("inclusion", &e);
    double t_in = (now() - t0) / SAMPLES;
    rows_in = sqlite3_stmt_status(node, SQLITE_STMTSTATUS_RUN, 1);

    t0 = now();
    for (int k = 0; k < SAMPLES; k++)
        if (kp_log_prove_consistency(st, 1 + rnd(&seed) % (n - 1), n, &co, &e))
            die("consistency", &e);
    double t_co = (now() - t0) / SAMPLES;
    rows_co = sqlite3_stmt_status(node, SQLITE_STMTSTATUS_RUN, 1);

    t0 = now();
    for (int k = 0; k < SAMPLES; k++)
        if (kp_log_root(st, 1 + rnd(&seed) % n, root, &e)) die("root", &e);
    double t_root = (now() - t0) / SAMPLES;
    sqlite3_stmt_status(node, SQLITE_STMTSTATUS_RUN, 1);

    t0 = now();
    for (int k = 0; k < SAMPLES; k++)
        if (kp_log_verify_inclusion(in.index, in.tree_size, in.leaf_hash, in.proof, in.count,
                                    in.root, &e) ||
            kp_log_verify_consistency(co.old_size, co.new_size, co.old_root, co.new_root,
                                      co.proof, co.count, &e))
            die("verify", &e);
    double t_ver = (now() - t0) / SAMPLES;

    printf("%9" PRIu64 "  %10.0f  %9.1f %5.1f  %9.1f %5.1f  %9.1f  %11.1f\n", n, append_rate,
           t_in * 1e6, (double)rows_in / SAMPLES, t_co * 1e6, (double)rows_co / SAMPLES,
           t_root * 1e6, t_ver * 1e6);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    char dir[256];
    int own_dir = argc <= 2;
    kp_store *st;
    kp_error e;
    uint8_t entry[160];
    uint64_t idx;
    if (own_dir) {
        snprintf(dir, sizeof dir, "/tmp/kp_log_bench.XXXXXX");
        if (!mkdtemp(dir)) return 1;
    } else {
        snprintf(dir, sizeof dir, "%s", argv[2]);
    }
    if (sodium_init() < 0 || n < 1000) return 1;
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e)) die("open", &e);
    uint64_t have = 0;
    if (kp_log_size(st, &have, &e)) die("size", &e);
    if (have >= n) {
        /* a store from an earlier run: only the proofs at size n */
        printf("     size  appends/s  inclusion rows  consistency rows    root us  verify in+co us\n");
        measure(st, n, 0);
        kp_store_close(st);
        return 0;
    }

    printf("audit log, %" PRIu64 " entries of ~100 bytes, appended %d per commit\n", n, BATCH);
    printf("     size  appends/s  inclusion rows  consistency rows    root us  verify in+co us\n");
    printf("                           us                 us\n");
    uint64_t next_mark = 1000, last_mark = 0;
    double t_mark = now();
    for (uint64_t i = 0; i < n; i += BATCH) {
        if (store_begin(st, &e)) die("begin", &e);
        for (uint64_t j = i; j < i + BATCH && j < n; j++) {
            if (kp_log_append(st, entry, make_entry(j, entry), &idx, &e)) die("append", &e);
            if (idx + 1 == next_mark || idx + 1 == n) {
                /* commit, measure, reopen the batch: proofs read committed data */
                if (store_commit(st, &e)) die("commit", &e);
                double rate = (double)(idx + 1 - last_mark) / (now() - t_mark);
                measure(st, idx + 1, rate);
                last_mark = idx + 1;
                next_mark *= 10;
                if (store_begin(st, &e)) die("begin", &e);
                t_mark = now();
            }
        }
        if (store_commit(st, &e)) die("commit", &e);
    }

    /* durable one by one: each append its own transaction, one fsync each */
    const int singles = 300;
    double t0 = now();
    for (int k = 0; k < singles; k++)
        if (kp_log_append(st, entry, make_entry(n + (uint64_t)k, entry), &idx, &e))
            die("append", &e);
    printf("appends with one commit (fsync) each: %.0f/s\n", singles / (now() - t0));

    uint8_t pk[32], sk[64];
    char note[KP_LOG_NOTE_MAX];
    crypto_sign_keypair(pk, sk);
    t0 = now();
    if (kp_log_checkpoint(st, "bench.example/log", sk, note, &e)) die("checkpoint", &e);
    printf("signed checkpoint at %" PRIu64 " entries: %.2f ms\n", idx + 1, (now() - t0) * 1e3);

    kp_log_report r;
    t0 = now();
    if (kp_log_verify(st, NULL, NULL, NULL, &r, &e)) die("log verify", &e);
    printf("log verify (%" PRIu64 " entries, %" PRIu64 " nodes recomputed): %.1f s\n", r.entries,
           r.nodes, now() - t0);

    char path[300];
    struct stat sb;
    snprintf(path, sizeof path, "%s/store.db", dir);
    kp_store_close(st);
    if (stat(path, &sb) == 0)
        printf("store.db: %.1f MB (%.0f bytes per entry)\n", (double)sb.st_size / 1e6,
               (double)sb.st_size / (double)(idx + 1));
    if (own_dir) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) return 1;
    }
    return 0;
}
