/*
 * crashloop.c: the SIGKILL driver of crashloop.h: fork, read the child's
 * acknowledgements, kill it at a seeded point, reopen and check.
 */
#include "crashloop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "faultloop.h"
#include "store/db.h"

/* How long the parent waits for the child's next line before killing it. */
#define CRASHLOOP_SILENCE_MS 5000

/* What the child said, over every round: acknowledged tokens and notes.
   Each string is malloc'd and owned by the list; list_free frees them. */
typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static int list_add(strlist *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c) return -1;
    memcpy(c, s, len);
    c[len] = 0;
    l->v[l->n++] = c;
    return 0;
}

static void list_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

uint64_t crashloop_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* One write(2) of the whole line: a pipe write of at most PIPE_BUF bytes
   is atomic, so the parent reads whole lines or nothing. */
static int write_line(int out, const char *s, size_t n)
{
    if (n > 4096) return -1;
    while (n) {
        ssize_t w = write(out, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int crashloop_ack(int out, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    memcpy(line, "ack ", 4);
    va_start(ap, fmt);
    int n = vsnprintf(line + 4, sizeof line - 5, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 5) return -1;
    line[4 + n] = '\n';
    return write_line(out, line, (size_t)n + 5);
}

int crashloop_note(int out, const char *note)
{
    char line[4 + 2 * KP_LOG_NOTE_MAX + 2];
    size_t len = strlen(note);
    if (len >= KP_LOG_NOTE_MAX) return -1;
    memcpy(line, "cp ", 3);
    sodium_bin2hex(line + 3, sizeof line - 3, (const unsigned char *)note, len);
    line[3 + 2 * len] = '\n';
    return write_line(out, line, 3 + 2 * len + 1);
}

typedef struct driver {
    const crashloop_op *op;
    unsigned round, rounds;
    uint64_t seed;
    char *why;
    size_t cap;
    char vkey[KP_LOG_VKEY_MAX];
    strlist acks, notes;
    size_t checked; /* acks checked by the last round */
} driver;

static int fail_at(driver *d, const char *fmt, ...)
{
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    snprintf(d->why, d->cap, "%s, seed %llu, round %u: %s", d->op->name,
             (unsigned long long)d->seed, d->round, m);
    return -1;
}

/* One line from the child (without its newline). */
static int take_line(driver *d, const char *s, size_t n)
{
    if (n > 4 && memcmp(s, "ack ", 4) == 0) {
        if (list_add(&d->acks, s + 4, n - 4) != 0) return fail_at(d, "out of memory");
        return 0;
    }
    if (n > 3 && memcmp(s, "cp ", 3) == 0) {
        char note[KP_LOG_NOTE_MAX];
        size_t len = 0;
        if (sodium_hex2bin((unsigned char *)note, sizeof note - 1, s + 3, n - 3, NULL, &len,
                           NULL) != 0)
            return fail_at(d, "a note line that is not hex");
        if (list_add(&d->notes, note, len) != 0) return fail_at(d, "out of memory");
        return 0;
    }
    return fail_at(d, "the child wrote an unknown line '%.*s'", (int)(n > 60 ? 60 : n), s);
}

/* Forks the child, kills it after kill_after lines and a pause of
   pause_us, and takes every line it wrote. *killed: it died by our kill. */
static int run_child(driver *d, const char *dir, uint64_t child_seed, uint64_t kill_after,
                     unsigned pause_us, int *killed)
{
    int fds[2];
    char buf[8192];
    size_t have = 0;
    uint64_t lines = 0;
    int sent = 0, status = 0, rc = 0;

    *killed = 0;
    if (pipe(fds) != 0) return fail_at(d, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return fail_at(d, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        int st = d->op->child(dir, fds[1], child_seed, d->op->ud);
        _exit(st & 0xff);
    }
    close(fds[1]);
    for (;;) {
        /* a child silent for this long is stuck: the kill lands there */
        struct pollfd pf = {fds[0], POLLIN, 0};
        if (!sent && poll(&pf, 1, CRASHLOOP_SILENCE_MS) == 0) {
            kill(pid, SIGKILL);
            sent = 1;
        }
        ssize_t r = read(fds[0], buf + have, sizeof buf - have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        have += (size_t)r;
        char *nl;
        size_t off = 0;
        while ((nl = memchr(buf + off, '\n', have - off)) != NULL) {
            size_t n = (size_t)(nl - (buf + off));
            if (rc == 0) rc = take_line(d, buf + off, n);
            off += n + 1;
            if (++lines >= kill_after && !sent) {
                if (pause_us) usleep(pause_us);
                kill(pid, SIGKILL);
                sent = 1;
            }
        }
        memmove(buf, buf + off, have - off);
        have -= off;
        if (have == sizeof buf) {
            rc = rc ? rc : fail_at(d, "a line longer than %zu bytes", sizeof buf);
            have = 0;
        }
    }
    close(fds[0]);
    if (!sent) kill(pid, SIGKILL); /* e.g. a failed check above: never leave it running */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (rc) return rc;
    /* an unfinished line is a write the kill interrupted: not acknowledged */
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && sent) {
        *killed = 1;
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    return fail_at(d, "the child failed by itself (status 0x%x)", status);
}

/* Everything the round must find after the kill. */
static int check_round(driver *d, const char *dir)
{
    kp_store *st = NULL;
    kp_error e = {0};
    kp_log_report rep;
    kp_checkpoint now, old;
    kp_log_consistency p;
    char m[256], note[KP_LOG_NOTE_MAX];
    int rc;

    rc = kp_store_open(dir, 0, &st, &e);
    /* killed before it made the store: nothing can have been promised */
    if (rc == KP_E_STORE_MISSING && d->acks.n == 0 && d->notes.n == 0) return 0;
    if (rc != KP_OK) return fail_at(d, "reopening after the kill: %s", e.msg);
    if (faultloop_integrity(st, m, sizeof m) != 0) {
        fail_at(d, "%s", m);
        goto fail;
    }
    if (d->notes.n && (rc = kp_log_verify(st, d->vkey, NULL, NULL, &rep, &e)) != KP_OK) {
        fail_at(d, "kp_log_verify: %s", e.msg);
        goto fail;
    }
    /* cheap rounds check what this round acknowledged, and everything
       every 100th round and on the last one */
    size_t from = d->op->acks_only && d->round % 100 != 0 && d->round != d->rounds ? d->checked : 0;
    for (size_t i = from; i < d->acks.n; i++) {
        if (d->op->check_ack(st, d->acks.v[i], d->op->ud, m, sizeof m) != 0) {
            fail_at(d, "acknowledged '%s' lost: %s", d->acks.v[i], m);
            goto fail;
        }
    }
    d->checked = d->acks.n;
    if (d->op->acks_only) {
        kp_store_close(st);
        return 0;
    }
    if (d->op->resume && (rc = d->op->resume(st, d->op->ud, &e)) != KP_OK) {
        fail_at(d, "resuming: %s", e.msg);
        goto fail;
    }
    if ((rc = kp_log_checkpoint(st, d->op->origin, d->op->sk, note, &e)) != KP_OK) {
        fail_at(d, "the checkpoint after resuming: %s", e.msg);
        goto fail;
    }
    if (kp_checkpoint_verify(note, strlen(note), d->vkey, &now, &e) != KP_OK) {
        fail_at(d, "the new checkpoint does not verify: %s", e.msg);
        goto fail;
    }
    /* the log as a whole after resuming, its new checkpoint included */
    if ((rc = kp_log_verify(st, d->vkey, NULL, NULL, &rep, &e)) != KP_OK) {
        fail_at(d, "kp_log_verify after resuming: %s", e.msg);
        goto fail;
    }
    for (size_t i = 0; i < d->notes.n; i++) {
        const char *n = d->notes.v[i];
        if (kp_checkpoint_verify(n, strlen(n), d->vkey, &old, &e) != KP_OK) {
            fail_at(d, "handed-out checkpoint %zu does not verify: %s", i, e.msg);
            goto fail;
        }
        if (old.tree_size > now.tree_size) {
            fail_at(d, "checkpoint %zu has %llu entries, the log now %llu", i,
                    (unsigned long long)old.tree_size, (unsigned long long)now.tree_size);
            goto fail;
        }
        if ((rc = kp_log_prove_consistency(st, old.tree_size, now.tree_size, &p, &e)) !=
            KP_OK) {
            fail_at(d, "proving checkpoint %zu: %s", i, e.msg);
            goto fail;
        }
        /* against the roots the notes signed, not the ones the store says */
        if (kp_log_verify_consistency(old.tree_size, now.tree_size, old.root, now.root,
                                      (const uint8_t(*)[KP_LOG_HASH_BYTES])p.proof, p.count,
                                      &e) != KP_OK) {
            fail_at(d, "checkpoint %zu (size %llu) is not consistent with the new one "
                       "(size %llu): %s",
                    i, (unsigned long long)old.tree_size, (unsigned long long)now.tree_size,
                    e.msg);
            goto fail;
        }
    }
    if (list_add(&d->notes, note, strlen(note)) != 0) {
        fail_at(d, "out of memory");
        goto fail;
    }
    kp_store_close(st);
    return 0;
fail:
    kp_store_close(st);
    return -1;
}

int crashloop_run(const char *dir, const crashloop_op *op, unsigned rounds, uint64_t seed,
                  crashloop_report *rep, char *why, size_t cap)
{
    driver d = {.op = op, .seed = seed, .why = why, .cap = cap, .rounds = rounds};
    uint64_t rng = seed;
    crashloop_report r = {0};
    kp_error e = {0};
    int rc = -1, killed;

    why[0] = 0;
    if (sodium_init() < 0) return fail_at(&d, "libsodium failed to start");
    if (kp_log_vkey(op->origin, op->sk + 32, d.vkey, &e) != KP_OK)
        return fail_at(&d, "verifier key: %s", e.msg);
    for (d.round = 1; d.round <= rounds; d.round++) {
        uint64_t child_seed = crashloop_rand(&rng);
        /* mostly early kills, sometimes late ones: 1..48 lines */
        uint64_t kill_after = 1 + crashloop_rand(&rng) % (op->max_lines ? op->max_lines : 48);
        unsigned pause_us = (unsigned)(crashloop_rand(&rng) % 2000);
        if (run_child(&d, dir, child_seed, kill_after, pause_us, &killed) != 0) goto done;
        r.rounds++;
        if (killed) r.kills++;
        if (check_round(&d, dir) != 0) goto done;
    }
    rc = 0;
done:
    r.acks = d.acks.n;
    r.notes = d.notes.n;
    if (rep) *rep = r;
    list_free(&d.acks);
    list_free(&d.notes);
    return rc;
}
