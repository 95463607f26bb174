/*
 * ingest.c: the pipeline (kapsule.h, "runtime"). One capsule is one store
 * unit that covers everything it changes: its row and edges, its result,
 * the run's effects (child storage, ledger, nonces, lifecycle) and its
 * log entry; a rejection's unit holds the log entry alone. An environment
 * failure (any code whose exit status is 3: disk full, I/O, busy, out of
 * memory) undoes the unit and is returned, so the store is left as it was
 * before that capsule; everything else about a capsule is a decision,
 * logged with its stable code.
 *
 * Acknowledgement means durable: an outcome is handed to the caller's
 * callback only once the unit that decided it has committed. Without a
 * batch that is at the end of the unit; inside a batch the outcomes wait
 * in order (struct acks) and are heard after kp_ingest_commit's commit
 * returned, or never if it failed. A log index handed out is never reused.
 *
 * Pending capsules are released by a queue, not by recursion: each capsule
 * accepted (or module registered) puts its id on the queue, and the loop in
 * drain() takes the capsules waiting on the front id, each in a unit of
 * its own that also removes it from pending. A chain of any length runs in
 * constant stack.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "runtime/runtime.h"
#include "store/db.h"
#include "util/alloc.h"
#include "util/debug.h"
#include "util/error.h"

struct kp_ingest {
    kp_store *st;
    kp_policy *own_policy;
    const kp_policy *policy;
    uint8_t policy_hash[KP_POLICY_HASH_BYTES];
    kp_key **keys;
    size_t nkeys;
    int64_t now;
    uint64_t fuel;
    int has_trust;
    uint8_t trust[KP_ID_BYTES];
    char origin[KP_LOG_ORIGIN_MAX + 1];
    int in_batch;
    rt_world *world;
    host_storage hs;
    host_ledger hl;
    host_dag hd;
    host_modules hm;
    kp_key *node; /* signs emitted capsules; loaded on first use */
    buf queue; /* ids whose arrival may release pending capsules */
    buf code;  /* the module being run */
    host_code_cache *code_cache; /* modules compiled once for every capsule they run */
    buf bytes; /* a pending capsule's file */
    /* outcomes decided inside the open batch, heard at its commit */
    struct ack *acks;
    size_t nacks, ackcap;
    buf ackmsg; /* their messages, NUL-terminated, at ack.msg_off */
};

typedef struct ack {
    kp_ingest_fn fn;
    void *ud;
    kp_ingest_result res; /* res.message is set when it is heard */
    size_t msg_off;
} ack;

/* Compiled modules kept by a pipeline: a community runs a handful. */
#define INGEST_CODE_CACHE 16

static const char NO_POLICY[] = "{\"kapsule_policy\": 1, \"grants\": []}";

const char *kp_ingest_status_name(kp_ingest_status s)
{
    switch (s) {
    case KP_INGEST_ACCEPTED: return "accepted";
    case KP_INGEST_REJECTED: return "rejected";
    case KP_INGEST_PENDING: return "pending";
    case KP_INGEST_DUPLICATE: return "duplicate";
    }
    return "unknown";
}

const char *kp_ingest_body_name(kp_ingest_body b)
{
    switch (b) {
    case KP_INGEST_BODY_PLAIN: return "plain";
    case KP_INGEST_BODY_DECRYPTED: return "decrypted";
    case KP_INGEST_BODY_SEALED: return "sealed";
    }
    return "unknown";
}

static int load_keys(kp_ingest *in, kp_error *err)
{
    char **names = NULL;
    size_t n = 0;
    int rc = kp_key_list(in->st->dir, &names, &n, err);
    if (rc) return rc;
    if (n) {
        in->keys = mem_calloc(n, sizeof *in->keys);
        if (!in->keys) {
            kp_key_list_free(names, n);
            return err_set(err, KP_E_NOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < n && rc == KP_OK; i++) {
        rc = kp_key_load(in->st->dir, names[i], &in->keys[i], err);
        if (rc == KP_OK) in->nkeys = i + 1;
    }
    kp_key_list_free(names, n);
    return rc;
}

int kp_ingest_new(kp_store *st, const kp_ingest_opts *opts, kp_ingest **out, kp_error *err)
{
    kp_ingest_opts none;
    memset(&none, 0, sizeof none);
    if (!opts) opts = &none;
    int rc = store_writable(st, err);
    if (rc) return rc;
    kp_ingest *in = mem_calloc(1, sizeof *in);
    if (!in) return err_set(err, KP_E_NOMEM, "out of memory");
    in->st = st;
    if (opts->policy) {
        in->policy = opts->policy;
    } else {
        char path[4200];
        const char *p = opts->policy_path;
        if (!p) {
            snprintf(path, sizeof path, "%s/policy.json", st->dir);
            if (access(path, F_OK) == 0) p = path;
        }
        rc = p ? kp_policy_load(p, &in->own_policy, err)
               : kp_policy_parse((const uint8_t *)NO_POLICY, sizeof NO_POLICY - 1,
                                 &in->own_policy, err);
        if (rc) goto fail;
        in->policy = in->own_policy;
    }
    kp_policy_hash(in->policy, in->policy_hash);
    in->now = opts->now;
    in->fuel = opts->fuel;
    if (opts->trust_module) {
        in->has_trust = 1;
        memcpy(in->trust, opts->trust_module, KP_ID_BYTES);
    }
    if (opts->origin) {
        if (strlen(opts->origin) > KP_LOG_ORIGIN_MAX) {
            rc = err_set(err, KP_E_ARG, "origin longer than %d bytes", KP_LOG_ORIGIN_MAX);
            goto fail;
        }
        snprintf(in->origin, sizeof in->origin, "%s", opts->origin);
    } else {
        in->origin[0] = 0; /* the default, made from the node key at the first checkpoint */
    }
    if (!opts->no_keys && (rc = load_keys(in, err))) goto fail;
    if ((rc = rt_world_new(st, &in->world, err))) goto fail;
    if ((rc = host_code_cache_new(INGEST_CODE_CACHE, &in->code_cache, err))) goto fail;
    in->hs = rt_world_storage(in->world);
    in->hl = rt_world_ledger(in->world);
    in->hd = rt_world_dag(in->world);
    in->hm = rt_world_modules(in->world);
    *out = in;
    return KP_OK;
fail:
    kp_ingest_free(in);
    return rc;
}

void kp_ingest_free(kp_ingest *in)
{
    if (!in) return;
    if (in->in_batch) store_rollback(in->st);
    kp_policy_free(in->own_policy);
    for (size_t i = 0; i < in->nkeys; i++) kp_key_free(in->keys[i]);
    if (in->keys) mem_free(in->keys, in->nkeys ? in->nkeys * sizeof *in->keys : sizeof *in->keys);
    rt_world_free(in->world);
    kp_key_free(in->node);
    buf_free(&in->queue);
    buf_free(&in->code);
    host_code_cache_free(in->code_cache);
    buf_free(&in->bytes);
    mem_free(in->acks, in->ackcap * sizeof *in->acks);
    buf_free(&in->ackmsg);
    mem_free(in, sizeof *in);
}

/* ---- one capsule ---------------------------------------------------------------- */

/* Environment failures stop the pipeline; everything else is a decision. */
static int is_env(int code)
{
    return code != KP_OK && kp_status_exit(code) == 3;
}

typedef struct job {
    kp_ingest_result res;
    char msg[KP_ERROR_MSG_BYTES];
    rt_entry ent;
} job;

static int log_entry(kp_ingest *in, job *j, kp_error *err)
{
    buf b = {0};
    int rc = rt_entry_encode(&j->ent, &b, err);
    uint64_t idx = 0;
    if (rc == KP_OK) rc = kp_log_append(in->st, b.p, b.len, &idx, err);
    buf_free(&b);
    if (rc) return rc;
    j->res.has_log_index = 1;
    j->res.log_index = idx;
    return KP_OK;
}

/* A rejection: one log entry with the code; nothing else is stored. */
static int reject(kp_ingest *in, job *j, int code, const char *msg, kp_error *err)
{
    j->res.status = KP_INGEST_REJECTED;
    j->res.reason = code;
    snprintf(j->msg, sizeof j->msg, "%s", msg ? msg : "");
    j->ent.decision = "rejected";
    j->ent.reason = kp_status_name(code) ? kp_status_name(code) : "E_UNKNOWN";
    j->ent.reason_len = 0;
    return log_entry(in, j, err);
}

/* What the logic sees of the body: the plaintext for a local recipient
   key, else the body as stored. *plain is kp_capsule_body_free'd. */
static int open_body(kp_ingest *in, kp_capsule *c, job *j, uint8_t **plain, size_t *plen,
                     int *why, kp_error *err)
{
    *why = KP_OK;
    if (!kp_capsule_encrypted(c)) {
        j->res.body = KP_INGEST_BODY_PLAIN;
        return KP_OK;
    }
    size_t stanzas = kp_capsule_recipients(c);
    if (in->nkeys && stanzas > KP_INGEST_UNWRAP_MAX / in->nkeys) {
        *why = KP_E_AGE_WORK;
        snprintf(j->msg, sizeof j->msg,
                 "the body has %zu recipient stanzas and this node %zu keys: more than %u "
                 "key agreements to find out whether it is for us",
                 stanzas, in->nkeys, KP_INGEST_UNWRAP_MAX);
        return KP_OK;
    }
    for (size_t i = 0; i < in->nkeys; i++) {
        kp_error derr;
        int rc = kp_capsule_open(c, in->keys[i], plain, plen, &derr);
        if (rc == KP_E_NOT_RECIPIENT) continue;
        if (rc == KP_OK) {
            j->res.body = KP_INGEST_BODY_DECRYPTED;
            return KP_OK;
        }
        if (is_env(rc)) return err_set(err, rc, "%s", derr.msg);
        /* addressed to us but damaged: a decision, not an environment fault */
        *why = rc;
        snprintf(j->msg, sizeof j->msg, "decrypting for key '%s': %.200s", kp_key_name(in->keys[i]),
                 derr.msg);
        return KP_OK;
    }
    j->res.body = KP_INGEST_BODY_SEALED;
    return KP_OK;
}

/* Records the run's outcome in the result and the entry. */
static void note_run(job *j, host_run *r, const kp_ingest *in)
{
    const char *reason;
    j->res.has_run = 1;
    memcpy(j->res.module, host_run_module_id(r), KP_ID_BYTES);
    j->res.verdict = host_run_verdict(r, &reason);
    j->res.fuel = host_run_fuel_used(r);
    /* the reason text is stored with the result: the entry commits to it */
    rt_reason_hash(reason, j->ent.reason_hash);
    j->ent.has_run = 1;
    memcpy(j->ent.module, j->res.module, 32);
    j->ent.verdict = j->res.verdict;
    j->ent.fuel = j->res.fuel;
    size_t rlen;
    int submitted;
    const uint8_t *res = host_run_result(r, &rlen, &submitted);
    j->ent.has_result = submitted;
    if (submitted) cry_sha256(j->ent.result, res ? res : (const uint8_t *)"", rlen);
    kp_transcript_root(host_run_transcript(r), j->ent.transcript);
    memcpy(j->ent.policy, in->policy_hash, 32);
}

/*
 * Processes one capsule file inside the caller's open unit. Fills j;
 * returns an environment failure only (then the caller undoes the unit).
 */
/*
 * What a run emitted becomes capsules of their own, signed by the node
 * (which vouches only that the module asked for them), each naming the
 * capsule whose run made it as its parent and created at the run's time.
 * They are stored pending on that capsule inside its unit: the queue then
 * releases them through the whole pipeline right after it, and a crash
 * keeps them. A capsule that cannot be packed (a type the capsule format
 * refuses) is the module's fault: *why gets its code and nothing is added.
 */
static int emit(kp_ingest *in, host_run *r, const uint8_t parent[KP_ID_BYTES], int64_t now,
                int *why, kp_error *cerr, kp_error *err)
{
    size_t n = host_run_emitted_count(r);
    int rc = KP_OK;
    *why = KP_OK;
    if (n && !in->node && (rc = rt_node_signer(in->st->dir, &in->node, err))) return rc;
    for (size_t i = 0; i < n; i++) {
        const host_emitted *e = host_run_emitted(r, i);
        kp_capsule_pack_opts o;
        memset(&o, 0, sizeof o);
        o.type = e->type;
        o.author = in->node;
        o.body = e->body;
        o.body_len = e->body_len;
        o.parents = (const uint8_t(*)[KP_ID_BYTES])parent;
        o.parent_count = 1;
        o.created = now < 0 ? 0 : (uint64_t)now;
        kp_capsule *ec = NULL;
        if ((rc = kp_capsule_pack(&o, NULL, &ec, cerr))) {
            if (is_env(rc)) return err_set(err, rc, "%s", cerr->msg);
            err_prefix(cerr, "emitted capsule %zu", i);
            *why = rc;
            return KP_OK;
        }
        size_t blen;
        const uint8_t *bytes = kp_capsule_bytes(ec, &blen);
        int found = 0;
        rc = store_pending_exists(in->st, kp_capsule_id(ec), &found, err);
        if (rc == KP_OK && !found) {
            store_wait w;
            w.kind = STORE_WAIT_PARENT;
            memcpy(w.want, parent, 32);
            rc = store_pending_add(in->st, kp_capsule_id(ec), bytes, blen, &w, 1, now, err);
        }
        kp_capsule_free(ec);
        if (rc) return rc;
    }
    return KP_OK;
}

/*
 * The size limit, the first check: an input over KP_CAPSULE_MAX_BYTES is
 * refused with E_CAPSULE_LIMIT and logged like every other refusal (its
 * entry names the SHA-256 of all its bytes, j->ent.sha256). Whether the
 * bytes came whole (kp_ingest_capsule) or were too big to be read and
 * were hashed as they streamed past (kp_ingest_oversize), the entry is
 * the same, so every refused input is in the log, whatever its size.
 */
static int reject_oversize(kp_ingest *in, job *j, uint64_t len, kp_error *err)
{
    char m[96];
    snprintf(m, sizeof m, "%llu bytes: a capsule may have at most %u", (unsigned long long)len,
             KP_CAPSULE_MAX_BYTES);
    return reject(in, j, KP_E_CAPSULE_LIMIT, m, err);
}

static int process(kp_ingest *in, const uint8_t *data, size_t len, int released, job *j,
                   kp_error *err)
{
    kp_capsule *c = NULL;
    host_run *r = NULL;
    uint8_t *plain = NULL;
    size_t plen = 0;
    rt_hcap hc;
    kp_error cerr;
    int rc, why, found;
    memset(&hc, 0, sizeof hc);
    kp_error_clear(&cerr);
    j->res.message = j->msg;
    j->res.released = released;
    cry_sha256(j->ent.sha256, data, len);

    if (len > KP_CAPSULE_MAX_BYTES) return reject_oversize(in, j, len, err);
    if ((rc = kp_capsule_parse(data, len, NULL, &c, &cerr))) {
        if (is_env(rc)) return err_set(err, rc, "%s", cerr.msg);
        return reject(in, j, rc, cerr.msg, err);
    }
    j->res.has_id = 1;
    memcpy(j->res.id, kp_capsule_id(c), KP_ID_BYTES);
    j->ent.has_capsule = 1;
    memcpy(j->ent.capsule, j->res.id, 32);
    if ((rc = kp_capsule_verify(c, &cerr))) {
        if (is_env(rc)) rc = err_set(err, rc, "%s", cerr.msg);
        else rc = reject(in, j, rc, cerr.msg, err);
        goto done;
    }
    if ((rc = store_capsule_exists(in->st, j->res.id, &found, err))) goto done;
    if (found) {
        j->res.status = KP_INGEST_DUPLICATE;
        goto done;
    }
    if (!released) {
        if ((rc = store_pending_exists(in->st, j->res.id, &found, err))) goto done;
        if (found) {
            /* acknowledged before: still waiting, nothing new to log */
            j->res.status = KP_INGEST_PENDING;
            goto done;
        }
    }

    /* what it needs and does not have */
    store_wait waits[KP_CAPSULE_MAX_PARENTS + 1];
    uint8_t wids[KP_CAPSULE_MAX_PARENTS + 1][32];
    size_t nw = 0, np = kp_capsule_parent_count(c);
    for (size_t i = 0; i < np && i < KP_CAPSULE_MAX_PARENTS; i++) {
        const uint8_t *p = kp_capsule_parent_at(c, i);
        if ((rc = store_capsule_exists(in->st, p, &found, err))) goto done;
        if (found) continue;
        waits[nw].kind = STORE_WAIT_PARENT;
        memcpy(waits[nw].want, p, 32);
        memcpy(wids[nw++], p, 32);
    }
    const uint8_t *logic = kp_capsule_logic(c);
    if (logic) {
        store_module m;
        rc = store_module_info(in->st, logic, &m, err);
        if (rc == KP_E_NOT_FOUND) {
            waits[nw].kind = STORE_WAIT_MODULE;
            memcpy(waits[nw].want, logic, 32);
            memcpy(wids[nw++], logic, 32);
            kp_error_clear(err);
        } else if (rc) {
            goto done;
        } else if (m.state != STORE_MODULE_ACTIVE) {
            rc = reject(in, j, KP_E_HOST_MODULE_STATE,
                        m.state == STORE_MODULE_DESTROYED ? "the logic module is destroyed"
                                                          : "the logic module was upgraded",
                        err);
            goto done;
        }
    }
    if (nw) {
        if ((rc = store_pending_add(in->st, j->res.id, data, len, waits, nw,
                                    in->now ? in->now : (int64_t)time(NULL), err)))
            goto done;
        j->res.status = KP_INGEST_PENDING;
        j->res.waiting = nw;
        j->ent.decision = "pending";
        j->ent.waiting = (const uint8_t(*)[32])wids;
        j->ent.nwaiting = nw;
        rc = log_entry(in, j, err);
        goto done;
    }

    if ((rc = open_body(in, c, j, &plain, &plen, &why, err))) goto done;
    if (why) {
        char m[KP_ERROR_MSG_BYTES];
        snprintf(m, sizeof m, "%s", j->msg);
        rc = reject(in, j, why, m, err);
        goto done;
    }
    j->ent.has_body = 1;
    j->ent.body = kp_ingest_body_name(j->res.body);

    if (logic) {
        in->code.len = 0;
        if ((rc = store_module_code(in->st, logic, &in->code, err))) goto done;
        if ((rc = rt_hcap_fill(&hc, c, plain, plen, err))) goto done;
        host_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.policy = in->policy;
        cfg.code_cache = in->code_cache;
        cfg.storage = &in->hs;
        cfg.ledger = &in->hl;
        cfg.dag = &in->hd;
        cfg.modules = &in->hm;
        cfg.has_trust_module = in->has_trust;
        memcpy(cfg.trust_module, in->trust, KP_ID_BYTES);
        cfg.now = in->now ? in->now : (int64_t)time(NULL);
        cfg.fuel = in->fuel;
        rc = host_run_new(&cfg, in->code.p ? in->code.p : (const uint8_t *)"", in->code.len,
                          &hc.c, &r, &cerr);
        if (rc) {
            if (is_env(rc)) rc = err_set(err, rc, "%s", cerr.msg);
            else rc = reject(in, j, rc, cerr.msg, err);
            goto done;
        }
        rc = host_run_call(r, &cerr);
        note_run(j, r, in);
        if (rc) {
            if (is_env(rc)) rc = err_set(err, rc, "%s", cerr.msg);
            else {
                j->res.verdict = j->ent.verdict = HOST_VERDICT_REJECT;
                rc = reject(in, j, rc, cerr.msg, err);
            }
            goto done;
        }
        const char *reason;
        if (host_run_verdict(r, &reason) != HOST_VERDICT_ACCEPT) {
            rc = reject(in, j, KP_E_INGEST_REJECTED, *reason ? reason : "the logic rejected it",
                        err);
            goto done;
        }
        /* the effects may still be refused as they land (an overdraft
           raced by an earlier capsule of the batch): undo them alone */
        if ((rc = store_savepoint(in->st, "run", err))) goto done;
        rc = host_run_commit(r, &cerr);
        if (rc) {
            store_rollback_to(in->st, "run");
            if (is_env(rc)) rc = err_set(err, rc, "%s", cerr.msg);
            else rc = reject(in, j, rc, cerr.msg, err);
            goto done;
        }
        int bad;
        if ((rc = emit(in, r, j->res.id, cfg.now, &bad, &cerr, err))) {
            store_rollback_to(in->st, "run");
            goto done;
        }
        if (bad) {
            store_rollback_to(in->st, "run");
            rc = reject(in, j, bad, cerr.msg, err);
            goto done;
        }
        if ((rc = store_release(in->st, "run", err))) goto done;
    }

    j->ent.decision = "accepted";
    if ((rc = log_entry(in, j, err))) goto done;
    store_capsule row;
    memset(&row, 0, sizeof row);
    row.id = j->res.id;
    row.bytes = data;
    row.len = len;
    row.type = kp_capsule_type(c);
    row.author_alg = kp_capsule_alg(c);
    row.author = kp_capsule_author(c, &row.author_len);
    uint64_t created = kp_capsule_created(c);
    row.created = created > INT64_MAX ? INT64_MAX : (int64_t)created;
    row.logic = logic;
    row.encrypted = kp_capsule_encrypted(c);
    row.log_idx = j->res.log_index;
    /* the parents, copied: the accessor promises no layout */
    uint8_t ps[KP_CAPSULE_MAX_PARENTS][32];
    for (size_t i = 0; i < np && i < KP_CAPSULE_MAX_PARENTS; i++)
        memcpy(ps[i], kp_capsule_parent_at(c, i), 32);
    row.parents = (const uint8_t(*)[32])ps;
    row.nparents = np < KP_CAPSULE_MAX_PARENTS ? np : KP_CAPSULE_MAX_PARENTS;
    if ((rc = store_capsule_put(in->st, &row, err))) goto done;
    if (r) {
        store_result sr;
        memset(&sr, 0, sizeof sr);
        memcpy(sr.capsule, j->res.id, 32);
        memcpy(sr.module, j->res.module, 32);
        const char *reason;
        sr.verdict = host_run_verdict(r, &reason);
        sr.reason = reason;
        sr.result = host_run_result(r, &sr.result_len, &sr.has_result);
        sr.fuel = j->res.fuel;
        memcpy(sr.transcript_root, j->ent.transcript, 32);
        memcpy(sr.policy_hash, in->policy_hash, 32);
        sr.log_idx = j->res.log_index;
        if ((rc = store_result_put(in->st, &sr, err))) goto done;
    }
    j->res.status = KP_INGEST_ACCEPTED;
    rc = KP_OK;
done:
    host_run_free(r);
    rt_hcap_clear(&hc);
    if (plain || plen) kp_capsule_body_free(plain, plen);
    kp_capsule_free(c);
    return rc;
}

/* ---- units, the release queue, batches ------------------------------------------- */

static int queue_push(kp_ingest *in, const uint8_t id[32], kp_error *err)
{
    if (buf_append(&in->queue, id, 32)) return err_set(err, KP_E_NOMEM, "out of memory");
    return KP_OK;
}

/* Room for one more outcome of the batch, taken before its unit runs, so
   that a unit that committed (into the batch) can always be heard. */
static int ack_reserve(kp_ingest *in, kp_error *err)
{
    if (in->nacks == in->ackcap) {
        size_t nc = in->ackcap ? in->ackcap * 2 : 64, bytes;
        if (!size_mul(nc, sizeof *in->acks, &bytes)) return err_set(err, KP_E_NOMEM, "out of memory");
        ack *na = mem_realloc(in->acks, in->ackcap * sizeof *in->acks, bytes);
        if (!na) return err_set(err, KP_E_NOMEM, "out of memory");
        in->acks = na;
        in->ackcap = nc;
    }
    if (buf_reserve(&in->ackmsg, KP_ERROR_MSG_BYTES)) return err_set(err, KP_E_NOMEM, "out of memory");
    return KP_OK;
}

/* Hands a committed unit's outcome to fn, or keeps it for the batch's
   commit (room was reserved by ack_reserve: this cannot fail). */
static void hear(kp_ingest *in, kp_ingest_fn fn, void *ud, const kp_ingest_result *res)
{
    if (!in->in_batch) {
        fn(ud, res);
        return;
    }
    KP_DEBUG_ASSERT(in->nacks < in->ackcap);
    ack *a = &in->acks[in->nacks++];
    a->fn = fn;
    a->ud = ud;
    a->res = *res;
    a->res.message = NULL;
    a->msg_off = in->ackmsg.len;
    size_t n = strnlen(res->message ? res->message : "", KP_ERROR_MSG_BYTES - 1);
    KP_DEBUG_ASSERT(in->ackmsg.cap - in->ackmsg.len >= n + 1);
    memcpy(in->ackmsg.p + in->ackmsg.len, res->message ? res->message : "", n);
    in->ackmsg.p[in->ackmsg.len + n] = 0;
    in->ackmsg.len += n + 1;
}

/* The batch committed: every outcome it decided is heard, in order. */
static void acks_deliver(kp_ingest *in)
{
    for (size_t i = 0; i < in->nacks; i++) {
        ack *a = &in->acks[i];
        a->res.message = (const char *)in->ackmsg.p + a->msg_off;
        a->fn(a->ud, &a->res);
    }
    in->nacks = 0;
    in->ackmsg.len = 0;
}

/*
 * One unit: a capsule from data, or (data NULL) the pending capsule id,
 * taken out of pending in the same unit. fn hears the outcome once the
 * unit has committed (hear).
 */
static int unit(kp_ingest *in, const uint8_t *data, size_t len, const uint8_t *pending_id,
                kp_ingest_fn fn, void *ud, kp_error *err)
{
    store_unit u;
    int rc;
    if (fn && in->in_batch && (rc = ack_reserve(in, err))) return rc;
    job *j = mem_calloc(1, sizeof *j);
    if (!j) return err_set(err, KP_E_NOMEM, "out of memory");
    rc = store_unit_begin(in->st, "capsule", &u, err);
    if (rc) goto out;
    if (pending_id) {
        in->bytes.len = 0;
        rc = store_pending_take(in->st, pending_id, &in->bytes, err);
        if (rc == KP_E_NOT_FOUND) {
            /* released already by another path of the queue */
            kp_error_clear(err);
            rc = store_unit_end(in->st, &u, KP_OK, err);
            goto out;
        }
        if (rc == KP_OK) {
            /* in->bytes stays put while process runs: nothing it calls uses it */
            rc = process(in, in->bytes.p ? in->bytes.p : (const uint8_t *)"", in->bytes.len, 1, j,
                         err);
        }
    } else {
        rc = process(in, data, len, 0, j, err);
    }
    rc = store_unit_end(in->st, &u, rc, err);
    if (rc) goto out;
    /* A stored duplicate drains too: without a batch a parent and the
       children it releases commit one by one, so a failure in a child's
       unit leaves the parent stored and the child pending; ingesting the
       parent again is how that is retried, and it must release the child
       (else the child would wait for ever for a parent that is there). */
    if (j->res.status == KP_INGEST_ACCEPTED ||
        (j->res.status == KP_INGEST_DUPLICATE && !pending_id))
        rc = queue_push(in, j->res.id, err);
    if (fn) hear(in, fn, ud, &j->res);
out:
    mem_free(j, sizeof *j);
    return rc;
}

/* Processes every pending capsule that the queued ids complete. */
static int drain(kp_ingest *in, kp_ingest_fn fn, void *ud, kp_error *err)
{
    buf waiting = {0};
    size_t head = 0;
    int rc = KP_OK;
    while (rc == KP_OK && head < in->queue.len) {
        uint8_t id[32];
        memcpy(id, in->queue.p + head, 32);
        head += 32;
        waiting.len = 0;
        if ((rc = store_pending_waiting_on(in->st, id, &waiting, err))) break;
        for (size_t i = 0; rc == KP_OK && i + 32 <= waiting.len; i += 32) {
            uint8_t pid[32];
            memcpy(pid, waiting.p + i, 32);
            rc = unit(in, NULL, 0, pid, fn, ud, err);
        }
    }
    in->queue.len = 0;
    buf_free(&waiting);
    return rc;
}

int kp_ingest_capsule(kp_ingest *in, const uint8_t *data, size_t len, kp_ingest_fn fn, void *ud,
                      kp_error *err)
{
    in->queue.len = 0;
    int rc = unit(in, data ? data : (const uint8_t *)"", len, NULL, fn, ud, err);
    if (rc == KP_OK) rc = drain(in, fn, ud, err);
    in->queue.len = 0;
    return rc;
}

int kp_ingest_oversize(kp_ingest *in, const uint8_t sha256[KP_LOG_HASH_BYTES], uint64_t size,
                       kp_ingest_fn fn, void *ud, kp_error *err)
{
    if (size <= KP_CAPSULE_MAX_BYTES)
        return err_set(err, KP_E_ARG, "%llu bytes is within the capsule limit: ingest it",
                       (unsigned long long)size);
    store_unit u;
    int rc;
    if (fn && in->in_batch && (rc = ack_reserve(in, err))) return rc;
    job *j = mem_calloc(1, sizeof *j);
    if (!j) return err_set(err, KP_E_NOMEM, "out of memory");
    j->res.message = j->msg;
    memcpy(j->ent.sha256, sha256, 32);
    rc = store_unit_begin(in->st, "capsule", &u, err);
    if (rc == KP_OK) {
        rc = reject_oversize(in, j, size, err);
        rc = store_unit_end(in->st, &u, rc, err);
    }
    if (rc == KP_OK && fn) hear(in, fn, ud, &j->res);
    mem_free(j, sizeof *j);
    return rc;
}

int kp_ingest_begin(kp_ingest *in, kp_error *err)
{
    if (in->in_batch) return err_set(err, KP_E_STORE_TX, "a batch is already open");
    int rc = store_begin(in->st, err);
    if (rc == KP_OK) in->in_batch = 1;
    return rc;
}

int kp_ingest_commit(kp_ingest *in, kp_error *err)
{
    if (!in->in_batch) return err_set(err, KP_E_STORE_TX, "no batch is open");
    int rc = store_commit(in->st, err);
    if (rc) store_rollback(in->st);
    in->in_batch = 0;
    if (rc == KP_OK) {
        acks_deliver(in);
    } else {
        /* nothing of the batch is stored: none of it is acknowledged */
        in->nacks = 0;
        in->ackmsg.len = 0;
    }
    return rc;
}

int kp_ingest_checkpoint(kp_ingest *in, char note[KP_LOG_NOTE_MAX], kp_error *err)
{
    if (in->in_batch) return err_set(err, KP_E_STORE_TX, "commit the batch first");
    uint8_t sk[KP_LOG_SK_BYTES];
    char origin[KP_LOG_ORIGIN_MAX + 1], buf_note[KP_LOG_NOTE_MAX];
    int rc = rt_node_key(in->st->dir, sk, err);
    if (rc) return rc;
    /* a log keeps the origin it was first bound to */
    kp_error ierr;
    if (kp_log_identity(in->st, origin, NULL, &ierr) != KP_OK) {
        if (in->origin[0])
            snprintf(origin, sizeof origin, "%s", in->origin);
        else
            rt_default_origin(sk + 32, origin);
    }
    char *out = note ? note : buf_note;
    rc = kp_log_checkpoint(in->st, origin, sk, out, err);
    cry_wipe(sk, sizeof sk);
    if (rc) return rc;
    /* the node remembers what it signed, beside its key: an older or other
       copy of the database later put in this folder is then seen on open
       (store_quarantine_open_check) instead of being signed over */
    char vkey[KP_LOG_VKEY_MAX];
    kp_checkpoint cp;
    if ((rc = kp_log_identity(in->st, NULL, vkey, err)) != KP_OK) return rc;
    if ((rc = kp_checkpoint_verify(out, strlen(out), vkey, &cp, err)) != KP_OK) return rc;
    return store_node_head_put(in->st, cp.tree_size, cp.root, vkey, err);
}

int kp_ingest_module_add(kp_ingest *in, const uint8_t *wasm, size_t len, kp_key_alg owner_alg,
                         const uint8_t *owner, size_t owner_len, uint8_t id[KP_ID_BYTES],
                         int *added, kp_ingest_fn fn, void *ud, kp_error *err)
{
    if (owner_len > KP_PK_MAX_BYTES) return err_set(err, KP_E_ARG, "owner key too long");
    store_unit u;
    uint8_t mid[32];
    int add = 0;
    /* Checked before the unit: a module that is not WebAssembly is stored
       nowhere and logged nowhere (it was never registered), and it gets
       the engine's own code. */
    int rc = rt_module_check(wasm, len, err);
    if (rc) {
        err_prefix(err, "not a logic module");
        return rc;
    }
    rc = store_unit_begin(in->st, "module", &u, err);
    if (rc) return rc;
    rc = store_module_add(in->st, wasm ? wasm : (const uint8_t *)"", len, owner_alg, owner,
                          owner_len, in->now ? in->now : (int64_t)time(NULL), mid, &add, err);
    if (rc == KP_OK && add) {
        job *j = mem_calloc(1, sizeof *j);
        if (!j) {
            rc = err_set(err, KP_E_NOMEM, "out of memory");
        } else {
            j->ent.decision = "module";
            j->ent.has_capsule = 1;
            memcpy(j->ent.capsule, mid, 32);
            cry_sha256(j->ent.sha256, wasm ? wasm : (const uint8_t *)"", len);
            rc = log_entry(in, j, err);
            mem_free(j, sizeof *j);
        }
    }
    rc = store_unit_end(in->st, &u, rc, err);
    if (rc) return rc;
    if (id) memcpy(id, mid, 32);
    if (added) *added = add;
    in->queue.len = 0;
    if ((rc = queue_push(in, mid, err))) return rc;
    return drain(in, fn, ud, err);
}
