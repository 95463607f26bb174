/*
 * ingest_bench.c: capsules ingested per second through the public API
 * (kp_ingest_*), on a store on disk (WAL, synchronous=FULL: one fsync per
 * commit). Build and run (after make):
 *
 *   cc -O2 -Iinclude -o build/ingest_bench bench/ingest_bench.c build/libkapsule.a \
 *      -lsodium -lcrypto -lsqlite3 -ljansson -lm && build/ingest_bench [N] [TRUST_WASM] [DIR]
 *
 * Three kinds of capsule, each into its own fresh store:
 *   none     a post without logic: parse, verify, store, log (the floor)
 *   trivial  a post whose logic is a module with no imports whose
 *            kapsule_run returns 0 (embedded bytes below)
 *   trust    a trust edge run by guest/trust.wasm (personalized PageRank
 *            over a graph of KEYS keys, warmed up with a ring of edges
 *            before timing), under a policy granting what it imports
 * each with one commit per capsule and in batches of 100 and 1000. N
 * (default 1000) scales the counts: N/10, N/2 and N capsules a run (trust:
 * N/20, N/5 and N); each figure is the best of REPS runs (trust in batches
 * of 1000: one run, as each capsule costs milliseconds).
 * Beside each rate: the time per capsule, the share of it that is parse +
 * verify alone (kp_capsule_parse + kp_capsule_verify on the same capsules,
 * same run), the logic's share (the difference to "none" at the same
 * commit mode) and the mean fuel per run. DIR (default a fresh folder
 * under /tmp) is removed at the end.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kapsule.h"

#define KEYS 300
#define REPS 3
#define CREATED 1700000000u

/* kapsule_run: () -> i32 { return 0 }, no imports, no memory. */
static const uint8_t TRIVIAL[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f,
                                  3, 2, 1, 0, 7, 15, 1, 11, 'k', 'a', 'p', 's', 'u', 'l',
                                  'e', '_', 'r', 'u', 'n', 0, 0, 10, 6, 1, 4, 0, 0x41, 0,
                                  0x0b};

enum { K_NONE, K_TRIVIAL, K_TRUST, K_COUNT };
static const char *KIND_NAME[K_COUNT] = {"none", "trivial", "trust"};

typedef struct tally {
    uint64_t accepted, other, fuel, runs;
} tally;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what, const kp_error *e)
{
    fprintf(stderr, "ingest_bench: %s: %s: %s\n", what, kp_status_name(e->code), e->msg);
    exit(1);
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static void on_result(void *ud, const kp_ingest_result *r)
{
    tally *t = ud;
    if (r->status == KP_INGEST_ACCEPTED) t->accepted++;
    else t->other++;
    if (r->has_run) {
        t->runs++;
        t->fuel += r->fuel;
    }
}

/* {"target": h'<pk>', "weight": w} in deterministic CBOR. */
static size_t trust_body(const uint8_t *pk, size_t pklen, unsigned w, uint8_t *out)
{
    size_t n = 0;
    out[n++] = 0xa2;
    out[n++] = 0x66;
    memcpy(out + n, "target", 6), n += 6;
    out[n++] = 0x58;
    out[n++] = (uint8_t)pklen;
    memcpy(out + n, pk, pklen), n += pklen;
    out[n++] = 0x66;
    memcpy(out + n, "weight", 6), n += 6;
    if (w < 24) {
        out[n++] = (uint8_t)w;
    } else if (w < 256) {
        out[n++] = 0x18;
        out[n++] = (uint8_t)w;
    } else {
        out[n++] = 0x19;
        out[n++] = (uint8_t)(w >> 8);
        out[n++] = (uint8_t)w;
    }
    return n;
}

/* Capsule number i of a kind (distinct ids: created differs). */
static kp_capsule *make(int kind, uint64_t i, kp_key **keys, const uint8_t *logic,
                        uint64_t *seed)
{
    kp_capsule_pack_opts o;
    uint8_t body[160];
    kp_capsule *c;
    kp_error e;
    memset(&o, 0, sizeof o);
    o.created = CREATED + i;
    o.body = body;
    o.logic = kind == K_NONE ? NULL : logic;
    if (kind == K_TRUST) {
        /* the warm-up ring first (i < KEYS), then random edges */
        size_t from = i % KEYS, to = i < KEYS ? (i + 1) % KEYS : rnd(seed) % KEYS, len;
        if (to == from) to = (to + 1) % KEYS;
        const uint8_t *pk = kp_key_public(keys[to], &len);
        o.type = "trust";
        o.author = keys[from];
        o.body_len = trust_body(pk, len, 1 + (unsigned)(rnd(seed) % 1000), body);
    } else {
        o.type = "post";
        o.author = keys[i % KEYS];
        o.body_len = (size_t)snprintf((char *)body, sizeof body,
                                      "post %" PRIu64 ": a hundred bytes or so of plain text, "
                                      "the size of a short message on a feed.", i);
    }
    if (kp_capsule_pack(&o, NULL, &c, &e)) die("pack", &e);
    return c;
}

static void ingest_one(kp_ingest *in, kp_capsule *c, tally *t)
{
    size_t len;
    kp_error e;
    const uint8_t *b = kp_capsule_bytes(c, &len);
    if (kp_ingest_capsule(in, b, len, on_result, t, &e)) die("ingest", &e);
}

/* Ingests cs[0..n) with batches of batch (0: one commit each); seconds. */
static double run(kp_ingest *in, kp_capsule **cs, size_t n, size_t batch, tally *t)
{
    kp_error e;
    double t0 = now();
    for (size_t i = 0; i < n;) {
        if (batch && kp_ingest_begin(in, &e)) die("begin", &e);
        size_t end = batch ? (i + batch < n ? i + batch : n) : i + 1;
        for (; i < end; i++) ingest_one(in, cs[i], t);
        if (batch && kp_ingest_commit(in, &e)) die("commit", &e);
    }
    return now() - t0;
}

/* Best per-capsule seconds of parse + verify (+ free) over cs[0..n). */
static double parse_verify(kp_capsule **cs, size_t n)
{
    double best = 1e9;
    kp_error e;
    for (int r = 0; r < 2 * REPS; r++) {
        double t0 = now();
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const uint8_t *b = kp_capsule_bytes(cs[i], &len);
            kp_capsule *c;
            if (kp_capsule_parse(b, len, NULL, &c, &e)) die("parse", &e);
            if (kp_capsule_verify(c, &e)) die("verify", &e);
            kp_capsule_free(c);
        }
        double s = (now() - t0) / (double)n;
        if (s < best) best = s;
    }
    return best;
}

/* fsyncs per second of a one-block write in dir: the ceiling of one commit each. */
static double fsync_rate(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fsync.probe", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) return 0;
    char block[4096] = {0};
    int n = 100;
    /* the first sync also writes the new size: leave it out, as a WAL is reused */
    if (pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block || fdatasync(fd)) n = 0;
    double t0 = now();
    for (int i = 0; i < n; i++)
        if (pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block || fdatasync(fd)) break;
    double s = now() - t0;
    close(fd);
    unlink(path);
    return n && s > 0 ? n / s : 0;
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "ingest_bench: cannot remove %s\n", dir);
}

int main(int argc, char **argv)
{
    size_t N = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
    const char *trust_path = argc > 2 ? argv[2] : "build/guest/trust.wasm";
    char root[512];
    kp_error e;
    if (N < 100) N = 100;
    if (argc > 3) snprintf(root, sizeof root, "%s/kp_ingest_bench.XXXXXX", argv[3]);
    else snprintf(root, sizeof root, "/tmp/kp_ingest_bench.XXXXXX");
    if (!mkdtemp(root)) {
        perror("ingest_bench: mkdtemp");
        return 1;
    }

    /* the trust module */
    FILE *f = fopen(trust_path, "rb");
    if (!f) {
        perror(trust_path);
        return 1;
    }
    static uint8_t trust_wasm[1 << 20];
    size_t trust_len = fread(trust_wasm, 1, sizeof trust_wasm, f);
    fclose(f);
    uint8_t ids[K_COUNT][KP_ID_BYTES] = {{0}};
    kp_module_id(TRIVIAL, sizeof TRIVIAL, ids[K_TRIVIAL]);
    kp_module_id(trust_wasm, trust_len, ids[K_TRUST]);
    char policy[512], hex[KP_ID_HEX_BYTES];
    kp_id_format(ids[K_TRUST], hex);
    int plen = snprintf(policy, sizeof policy,
                        "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"trust\", \"module\": "
                        "\"%s\", \"type\": \"trust\", \"capabilities\": [\"capsule.read\", "
                        "\"storage\", \"module.read\", \"result.submit\"]}]}",
                        hex);
    kp_policy *pol;
    if (kp_policy_parse((const uint8_t *)policy, (size_t)plen, &pol, &e)) die("policy", &e);

    kp_key *keys[KEYS];
    for (int i = 0; i < KEYS; i++)
        if (kp_key_generate(KP_ALG_ED25519, &keys[i], &e)) die("key", &e);

    /* counts per rep: one commit each, batches of 100, batches of 1000;
       trust runs PageRank over the whole graph per capsule, so fewer */
    static const size_t BATCH[3] = {0, 100, 1000};
    size_t count[K_COUNT][3], reps[K_COUNT][3];
    for (int k = 0; k < K_COUNT; k++) {
        count[k][0] = k == K_TRUST ? N / 20 : N / 10;
        count[k][1] = k == K_TRUST ? N / 5 : N / 2;
        count[k][2] = N;
        for (int m = 0; m < 3; m++) reps[k][m] = k == K_TRUST && m == 2 ? 1 : REPS;
    }

    double fs = fsync_rate(root);
    printf("ed25519 capsules of ~100-byte bodies into a store on disk (%s):\n", root);
    printf("WAL, synchronous=FULL; this disk does %.0f fsyncs/s, which bounds one commit\n", fs);
    printf("per capsule. Trust: guest/trust.wasm over a graph of %d keys (warmed up with\n",
           KEYS);
    printf("a ring of %d edges; each capsule adds an edge). Best of %d runs (trust in\n", KEYS,
           REPS);
    printf("batches of 1000: one); background load makes these figures noisy.\n");
    printf("  logic    commit    capsules/s  us/capsule  parse+verify  logic  store+log  fuel/run\n");
    printf("                                             us            us     us\n");
    fflush(stdout);

    double us_none[3] = {0};
    for (int k = 0; k < K_COUNT; k++) {
        char dir[600];
        kp_store *st;
        kp_ingest *in;
        tally t = {0};
        uint64_t seed = 0x9e3779b97f4a7c15ull + (uint64_t)k;
        snprintf(dir, sizeof dir, "%s/%s", root, KIND_NAME[k]);
        if (kp_store_open(dir, KP_STORE_CREATE, &st, &e)) die("open", &e);
        kp_ingest_opts o;
        memset(&o, 0, sizeof o);
        o.policy = pol;
        o.now = CREATED;
        o.origin = "bench.example/ingest";
        o.no_keys = 1;
        if (kp_ingest_new(st, &o, &in, &e)) die("ingest_new", &e);
        if (k == K_TRIVIAL &&
            kp_ingest_module_add(in, TRIVIAL, sizeof TRIVIAL, KP_ALG_NONE, NULL, 0, ids[k], NULL,
                                 NULL, NULL, &e))
            die("module add", &e);
        if (k == K_TRUST) {
            size_t olen;
            const uint8_t *owner = kp_key_public(keys[0], &olen);
            if (kp_ingest_module_add(in, trust_wasm, trust_len, KP_ALG_ED25519, owner, olen,
                                     ids[k], NULL, NULL, NULL, &e))
                die("module add", &e);
        }

        size_t warm = k == K_TRUST ? KEYS : 0, total = warm;
        for (int m = 0; m < 3; m++) total += reps[k][m] * count[k][m];
        kp_capsule **cs = malloc(total * sizeof *cs);
        if (!cs) return 1;
        for (size_t i = 0; i < total; i++) cs[i] = make(k, i, keys, ids[k], &seed);

        size_t at = 0;
        if (warm) run(in, cs, warm, 1000, &t), at = warm;
        for (int m = 0; m < 3; m++) {
            double best = 1e9;
            tally tm = {0};
            for (size_t r = 0; r < reps[k][m]; r++) {
                double s = run(in, cs + at, count[k][m], BATCH[m], &tm) / (double)count[k][m];
                if (s < best) best = s;
                at += count[k][m];
            }
            /* parse + verify alone, right after: the same moment's machine load */
            double pv = parse_verify(cs + at - count[k][m],
                                     count[k][m] < 200 ? count[k][m] : 200);
            if (k == K_NONE) us_none[m] = best * 1e6;
            double us = best * 1e6, store_us = (k == K_NONE ? us : us_none[m]) - pv * 1e6;
            char mode[16], logic[16] = "-", fuel[24] = "-";
            if (BATCH[m]) snprintf(mode, sizeof mode, "batch %zu", BATCH[m]);
            else snprintf(mode, sizeof mode, "each");
            if (k != K_NONE) {
                snprintf(logic, sizeof logic, "%.0f", us - us_none[m]);
                snprintf(fuel, sizeof fuel, "%.0f",
                         tm.runs ? (double)tm.fuel / (double)tm.runs : 0);
            }
            t.accepted += tm.accepted;
            t.other += tm.other;
            printf("  %-7s  %-10s %10.0f  %10.1f  %12.1f  %5s  %9.0f  %8s\n", KIND_NAME[k],
                   mode, 1.0 / best, us, pv * 1e6, logic, store_us, fuel);
            fflush(stdout);
        }
        if (t.other || t.accepted != total) {
            fprintf(stderr, "ingest_bench: %s: %" PRIu64 " accepted, %" PRIu64 " not, of %zu\n",
                    KIND_NAME[k], t.accepted, t.other, total);
            return 1;
        }
        if (k == K_TRUST) {
            /* the first checkpoint creates the node key; time the second */
            char note[KP_LOG_NOTE_MAX];
            if (kp_ingest_checkpoint(in, note, &e)) die("checkpoint", &e);
            double t0 = now();
            if (kp_ingest_checkpoint(in, note, &e)) die("checkpoint", &e);
            printf("signed checkpoint (kp_ingest_checkpoint) after %zu capsules: %.2f ms\n",
                   total, (now() - t0) * 1e3);
        }
        for (size_t i = 0; i < total; i++) kp_capsule_free(cs[i]);
        free(cs);
        kp_ingest_free(in);
        kp_store_close(st);
    }
    printf("parse+verify: kp_capsule_parse + kp_capsule_verify alone on the same capsules\n"
           "(mostly the Ed25519 check). logic: us/capsule minus that of \"none\" at the same\n"
           "commit mode (the wasm run, its host calls and transcript, and the rows it adds).\n"
           "store+log: \"none\" minus parse+verify: SQLite rows, DAG, log nodes, the commit.\n"
           "Differences of noisy figures: read them as rough shares, not exact costs.\n");

    for (int i = 0; i < KEYS; i++) kp_key_free(keys[i]);
    kp_policy_free(pol);
    rm_rf(root);
    return 0;
}
