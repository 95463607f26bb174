/*
 * store_crash_test.c: SIGKILL at 20 seeded random points of a long run of
 * log appends (batched units, single appends, periodic checkpoints) loses
 * no acknowledged entry, breaks nothing, and every checkpoint handed out
 * stays consistent with the next one (crashloop.h). KP_CRASH_SEED=N
 * replays a seed; the seed in use is printed either way.
 */
#include <sodium.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "testdir.h"
#include "crashloop.h"
#include "store/db.h"

#define ORIGIN "crash.test/log"
#define ROUNDS 20
/* The child's most commits per round: it is normally killed long before. */
#define CHILD_COMMITS 400

static uint8_t log_sk[KP_LOG_SK_BYTES];

/* Entry i: its own index in a few lines, so any mix-up shows. */
static size_t entry(uint64_t i, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (uint64_t r = 0; r <= i % 3; r++)
        n += (size_t)snprintf((char *)out + n, cap - n, "crash entry %llu\n",
                              (unsigned long long)i);
    return n;
}

/*
 * The child: from the log's size on, commits of 1..6 appends (batched as
 * units in one transaction, or a lone append in its own), acknowledging
 * "LO HI" (entries [LO, HI)) once each commit returns, and a checkpoint
 * after every third commit.
 */
static int log_child(const char *dir, int out, uint64_t seed, void *ud)
{
    kp_store *st;
    kp_error e;
    uint64_t n, idx, rng = seed;
    uint8_t data[128];
    char note[KP_LOG_NOTE_MAX];
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e) != KP_OK) return 10;
    if (kp_log_size(st, &n, &e) != KP_OK) return 11;
    for (int c = 0; c < CHILD_COMMITS; c++) {
        uint64_t b = 1 + crashloop_rand(&rng) % 6;
        if (b == 1) {
            if (kp_log_append(st, data, entry(n, data, sizeof data), &idx, &e) != KP_OK ||
                idx != n)
                return 12;
        } else {
            if (store_begin(st, &e) != KP_OK) return 13;
            for (uint64_t j = 0; j < b; j++) {
                store_unit u;
                if (store_unit_begin(st, "crash_unit", &u, &e) != KP_OK) return 14;
                int rc = kp_log_append(st, data, entry(n + j, data, sizeof data), &idx, &e);
                if (store_unit_end(st, &u, rc, &e) != KP_OK) return 15;
            }
            if (store_commit(st, &e) != KP_OK) return 16;
        }
        if (crashloop_ack(out, "%llu %llu", (unsigned long long)n,
                          (unsigned long long)(n + b)) != 0)
            return 17;
        n += b;
        if (c % 3 == 2) {
            if (kp_log_checkpoint(st, ORIGIN, log_sk, note, &e) != KP_OK) return 18;
            if (crashloop_note(out, note) != 0) return 19;
        }
    }
    kp_store_close(st);
    return 0;
}

/* "LO HI": entries LO..HI-1 are there, byte for byte. */
static int log_check(kp_store *st, const char *token, void *ud, char *why, size_t cap)
{
    unsigned long long lo, hi;
    uint8_t want[128], got[128];
    size_t len;
    kp_error e;
    if (sscanf(token, "%llu %llu", &lo, &hi) != 2 || lo >= hi) {
        snprintf(why, cap, "bad token");
        return -1;
    }
    for (uint64_t i = lo; i < hi; i++) {
        size_t n = entry(i, want, sizeof want);
        if (kp_log_entry(st, i, got, sizeof got, &len, &e) != KP_OK) {
            snprintf(why, cap, "entry %llu: %s", (unsigned long long)i, e.msg);
            return -1;
        }
        if (len != n || memcmp(got, want, n) != 0) {
            snprintf(why, cap, "entry %llu changed", (unsigned long long)i);
            return -1;
        }
    }
    return 0;
}

/* One more entry after the kill, as the next run would append it. */
static int log_resume(kp_store *st, void *ud, kp_error *err)
{
    uint64_t n, idx;
    uint8_t data[128];
    int rc = kp_log_size(st, &n, err);
    return rc ? rc : kp_log_append(st, data, entry(n, data, sizeof data), &idx, err);
}

TEST(sigkill_anywhere_loses_no_acknowledged_entry)
{
    uint8_t seed32[32], pk[KP_LOG_PK_BYTES];
    uint64_t seed;
    const char *env = getenv("KP_CRASH_SEED");
    if (env && *env)
        seed = strtoull(env, NULL, 10);
    else
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    printf("# crash seed %llu (KP_CRASH_SEED=%llu replays it)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    fflush(stdout);
    memset(seed32, 3, sizeof seed32);
    crypto_sign_seed_keypair(pk, log_sk, seed32);

    crashloop_op op = {"log appends", log_child, log_check, log_resume, ORIGIN, log_sk, NULL, 0, 0};
    crashloop_report rep;
    char why[512];
    int rc = crashloop_run(test_dir("store", 0), &op, ROUNDS, seed, &rep, why, sizeof why);
    CHECK_MSG(rc == 0, "%.360s", why);
    printf("# %u rounds, %u killed mid-run, %llu commits acknowledged, %llu checkpoints\n",
           rep.rounds, rep.kills, (unsigned long long)rep.acks, (unsigned long long)rep.notes);
    /* the harness must really have killed children that had promised something */
    CHECK_EQ(rep.rounds, ROUNDS);
    CHECK(rep.kills >= ROUNDS / 2);
    CHECK(rep.acks > 0);
    CHECK(rep.notes > 0);
}

/* A child that acknowledges one entry more than it commits: the driver
   must report the loss (else its checks prove nothing). */
static int lying_child(const char *dir, int out, uint64_t seed, void *ud)
{
    kp_store *st;
    kp_error e;
    uint64_t n, idx;
    uint8_t data[128];
    if (kp_store_open(dir, KP_STORE_CREATE, &st, &e) != KP_OK) return 10;
    if (kp_log_size(st, &n, &e) != KP_OK) return 11;
    if (kp_log_append(st, data, entry(n, data, sizeof data), &idx, &e) != KP_OK) return 12;
    if (crashloop_ack(out, "%llu %llu", (unsigned long long)n, (unsigned long long)n + 2))
        return 13;
    kp_store_close(st);
    return 0;
}

TEST(the_driver_finds_an_acknowledged_entry_that_is_missing)
{
    uint8_t seed32[32], pk[KP_LOG_PK_BYTES];
    memset(seed32, 3, sizeof seed32);
    crypto_sign_seed_keypair(pk, log_sk, seed32);
    crashloop_op op = {"liar", lying_child, log_check, NULL, ORIGIN, log_sk, NULL, 0, 0};
    char why[512];
    CHECK(crashloop_run(test_dir("liar", 0), &op, 1, 1, NULL, why, sizeof why) != 0);
    CHECK_MSG(strstr(why, "lost") != NULL, "%.300s", why);
}
