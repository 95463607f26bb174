/*
 * crashloop.h: "an acknowledged write survives SIGKILL at any point" as a
 * reusable driver (test-only).
 *
 * Each round forks a child that opens the store and works on it, writing
 * one line to a pipe after every commit it acknowledges ("ack TOKEN") and
 * after every checkpoint note it hands out ("cp HEX-OF-NOTE"). The parent
 * reads the lines, kills the child with SIGKILL after a seeded random
 * number of them (plus a seeded random pause, so the kill lands anywhere
 * in a commit, not only between two), reads what the child wrote before it
 * died, then reopens the store and checks:
 *
 *   - PRAGMA integrity_check is ok and kp_log_verify passes with the
 *     expected verifier key;
 *   - every token acknowledged in any round so far is present and
 *     unchanged (the op's check_ack);
 *   - after the op's resume (a few new writes) a new checkpoint is signed,
 *     and it is consistent with every checkpoint handed out before
 *     (kp_log_prove_consistency, then kp_log_verify_consistency against
 *     the roots of the notes themselves, checked with kp_checkpoint_verify).
 *
 * The rounds share one store, so each round resumes where the last kill
 * left it. Print the seed; the same seed gives the same kill points (the
 * exact instant still depends on the machine's timing).
 *
 * To plug in another operation (the ingest pipeline):
 *
 *     static int child(const char *dir, int out, uint64_t seed, void *ud)
 *     {   // open dir (KP_STORE_CREATE), then loop: ingest a batch, commit,
 *         crashloop_ack(out, "%s", capsule_id_hex);   // only after commit returns
 *         ... every few batches: kp_log_checkpoint(...); crashloop_note(out, note);
 *         return 0;   // the exit status when it runs out of work
 *     }
 *     static int check_ack(kp_store *st, const char *token, void *ud, char *why, size_t cap)
 *     {   // is capsule token stored with its exact bytes, results and log entry?
 *     }
 *     crashloop_op op = {"ingest", child, check_ack, resume_or_NULL, ORIGIN, sk, &ctx};
 *     CHECK_MSG(crashloop_run(dir, &op, 20, seed, &rep, why, sizeof why) == 0, "%s", why);
 *
 * The child runs in a forked copy of the test process: it must open its
 * own store (the parent holds none open across the fork) and must return
 * rather than exit; the driver ends it with _exit, so no destructor of the
 * test runs twice.
 */
#ifndef KP_TEST_CRASHLOOP_H
#define KP_TEST_CRASHLOOP_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"

typedef struct crashloop_op {
    const char *name;
    /* The child's work on the store in dir; its lines go to out. The
       return value is its exit status (0: ran out of work). */
    int (*child)(const char *dir, int out, uint64_t seed, void *ud);
    /* 0 when the acknowledged token is present and unchanged, else -1
       with the reason in why. */
    int (*check_ack)(kp_store *st, const char *token, void *ud, char *why, size_t cap);
    /* Optional: new writes after a kill, so the new checkpoint grows. */
    int (*resume)(kp_store *st, void *ud, kp_error *err);
    /* The log's origin and Ed25519 secret key (seed || public key): the
       driver signs the checkpoint after resuming and checks notes with it. */
    const char *origin;
    const uint8_t *sk;
    void *ud;
    /* Many cheap rounds instead of a few thorough ones: kill after 1..
       max_lines lines (0: 48), and check only integrity and the tokens
       acknowledged (those of the round; all of them every 100th round and
       on the last): no resume, no checkpoint, no log verify. */
    unsigned max_lines;
    int acks_only;
} crashloop_op;

typedef struct crashloop_report {
    unsigned rounds;  /* rounds run */
    unsigned kills;   /* children that died by our SIGKILL (not by finishing) */
    uint64_t acks;    /* acknowledgements checked after the last round */
    uint64_t notes;   /* checkpoints handed out, all checked for consistency */
} crashloop_report;

/*
 * Runs rounds rounds on the store in dir (created by the first child) with
 * kills drawn from seed. 0 when every check held, else -1 with the round,
 * seed and broken check in why. rep may be NULL.
 */
int crashloop_run(const char *dir, const crashloop_op *op, unsigned rounds, uint64_t seed,
                  crashloop_report *rep, char *why, size_t cap);

/* For the child: writes "ack <token>\n" in one write(2) (atomic on a
   pipe, so a kill never leaves half a line). 0 or -1. */
int crashloop_ack(int out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For the child: writes "cp <hex of note>\n". 0 or -1. */
int crashloop_note(int out, const char *note);

/* A small seeded generator (splitmix64) for children and drivers. */
uint64_t crashloop_rand(uint64_t *state);

#endif
