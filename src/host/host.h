/*
 * host.h: running a logic module under the policy. What the runtime (and
 * `kapsule run`) uses: the capsule a run is about, the interfaces of the
 * outside world (child storage, ledger, DAG, module registry), and the run
 * itself.
 *
 * A run: host_run_new compiles the module, computes its effective grant
 * (policy ∩ imports), refuses to link an import whose capability is not
 * granted (E_CAP_NOT_GRANTED, naming the capability and the rule that
 * would grant it), mints the handles the grant and the capsule's signed
 * requests carry, and instantiates. host_run_call runs the entry point
 * (`kapsule_run: () -> i32`, or WASI `_start: () -> ()`). Every host call
 * goes through one dispatcher (dispatch.c) that checks, charges fuel,
 * and records the call into the run's transcript.
 *
 * Effects (child storage writes, ledger transfers, used request nonces,
 * lifecycle changes) are kept in the run's journal and reach the backends
 * only through host_run_commit, which the embedder calls inside its own
 * transaction when it accepts the run; a run that is freed uncommitted
 * leaves the world as it was. Reads see the run's own writes first.
 *
 * Fuel for host work (documented here because receipts bind fuel): each
 * call costs HOST_FUEL_CALL, plus 1 per HOST_FUEL_BYTES bytes (rounded
 * up) moved between guest and host in either direction, plus
 * HOST_FUEL_INVOKE for an invoke (the callee's own instructions are
 * charged by the engine to the same budget). Charged when the call ends;
 * a call that would take fuel below zero traps with E_TRAP_OUT_OF_FUEL.
 */
#ifndef KP_HOST_HOST_H
#define KP_HOST_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "host/policy.h"
#include "kapsule.h"
#include "kapsule_wasm.h"

#define HOST_FUEL_CALL 20u
#define HOST_FUEL_BYTES 8u
#define HOST_FUEL_INVOKE 1000u

#define HOST_ID_BYTES 32
#define HOST_PK_MAX 65

/* ---- the capsule a run is about ---------------------------------------------- */

typedef struct host_flag {
    const char *key;   /* NUL-terminated UTF-8 */
    const char *value;
} host_flag;

/* A capability request as the capsule carries it: the signed CBOR payload
   (format in cap.h) and the author's signature over it. */
typedef struct host_request {
    const uint8_t *payload;
    size_t len;
    const uint8_t *sig;
    size_t sig_len;
} host_request;

/*
 * Everything a run may learn about its capsule, filled by the runtime from
 * a parsed and verified capsule (or synthesized by `kapsule run`). All
 * pointers are borrowed for the run's lifetime.
 */
typedef struct host_capsule {
    uint8_t id[HOST_ID_BYTES];
    const char *type;
    kp_key_alg author_alg;
    const uint8_t *author;
    size_t author_len;
    const uint8_t (*parents)[HOST_ID_BYTES];
    size_t nparents;
    int has_logic;
    uint8_t logic[HOST_ID_BYTES];
    const host_flag *flags; /* relay-visible flags, key/value text */
    size_t nflags;
    int64_t created;        /* Unix seconds, as the author claims */
    const uint8_t *body;
    size_t body_len;
    const host_request *requests;
    size_t nrequests;
    /* Capability requests written in the capsule's own signed payload
       (its "caps" field). They carry no signature of their own: the
       capsule's signature covers them, so the embedder fills them only
       from a capsule that verified. Each one's nonce is the capsule id and
       its position, so a request is good for this capsule's run only. */
    const kp_capsule_cap *caps;
    size_t ncaps;
} host_capsule;

/* ---- the outside world: interfaces the store implements ------------------------ */

/*
 * Child storage: one key space per module, (module id, key) -> value. A
 * guest only ever names keys; the host supplies its own module id.
 * get: *found 0 when absent; *val is borrowed until the next call on the
 * interface.
 */
typedef struct host_storage {
    void *user;
    int (*get)(void *user, const uint8_t module[HOST_ID_BYTES], const uint8_t *key, size_t klen,
               const uint8_t **val, size_t *vlen, int *found, kp_error *err);
    int (*put)(void *user, const uint8_t module[HOST_ID_BYTES], const uint8_t *key, size_t klen,
               const uint8_t *val, size_t vlen, kp_error *err);
    int (*del)(void *user, const uint8_t module[HOST_ID_BYTES], const uint8_t *key, size_t klen,
               kp_error *err);
} host_storage;

/*
 * The ledger: balances by account (a public key's bytes; unknown accounts
 * have 0) and an append-only list of transfers. transfer fails with
 * KP_E_LEDGER_OVERDRAFT, changing nothing, when from holds less than
 * amount. Used request nonces are remembered per author: nonce_claim
 * fails with KP_E_CAP_REQUEST_REPLAYED for a nonce already claimed.
 */
typedef struct host_ledger {
    void *user;
    int (*balance)(void *user, const uint8_t *acct, size_t len, uint64_t *bal, kp_error *err);
    int (*transfer)(void *user, const uint8_t *from, size_t flen, const uint8_t *to, size_t tlen,
                    uint64_t amount, kp_error *err);
    int (*nonce_used)(void *user, const uint8_t *author, size_t alen, const uint8_t *nonce,
                      size_t nlen, int *used, kp_error *err);
    int (*nonce_claim)(void *user, const uint8_t *author, size_t alen, const uint8_t *nonce,
                       size_t nlen, kp_error *err);
} host_ledger;

/*
 * The capsule DAG. get: KP_E_NOT_FOUND for an unknown id; *out is borrowed
 * until the next call. children: the ids of the capsules that name id as
 * a parent, in the order they were stored, borrowed likewise.
 */
typedef struct host_dag {
    void *user;
    int (*get)(void *user, const uint8_t id[HOST_ID_BYTES], const host_capsule **out,
               kp_error *err);
    int (*children)(void *user, const uint8_t id[HOST_ID_BYTES],
                    const uint8_t (**ids)[HOST_ID_BYTES], size_t *n, kp_error *err);
} host_dag;

enum { HOST_MODULE_ACTIVE = 0, HOST_MODULE_DESTROYED = 1, HOST_MODULE_UPGRADED = 2 };

typedef struct host_module_info {
    kp_key_alg owner_alg;     /* who registered it (KP_ALG_NONE: nobody) */
    size_t owner_len;
    uint8_t owner[HOST_PK_MAX];
    int state;                /* HOST_MODULE_* */
    uint8_t successor[HOST_ID_BYTES]; /* HOST_MODULE_UPGRADED */
} host_module_info;

/*
 * The module registry. info and code: KP_E_NOT_FOUND for an unregistered
 * id; code's bytes are borrowed until the next call. set_state records a
 * lifecycle change: HOST_MODULE_DESTROYED, or HOST_MODULE_UPGRADED to
 * successor (which must be registered; it takes the owner of the old
 * module when it has none).
 */
typedef struct host_modules {
    void *user;
    int (*info)(void *user, const uint8_t id[HOST_ID_BYTES], host_module_info *out, kp_error *err);
    int (*code)(void *user, const uint8_t id[HOST_ID_BYTES], const uint8_t **wasm, size_t *len,
                kp_error *err);
    int (*set_state)(void *user, const uint8_t id[HOST_ID_BYTES], int state,
                     const uint8_t successor[HOST_ID_BYTES], kp_error *err);
} host_modules;

/* ---- in-memory backends (mem.c): tests and `kapsule run` ------------------------ */

typedef struct host_mem host_mem;

int host_mem_new(host_mem **out, kp_error *err);
void host_mem_free(host_mem *m);
host_storage host_mem_storage(host_mem *m);
host_ledger host_mem_ledger(host_mem *m);
host_dag host_mem_dag(host_mem *m);
host_modules host_mem_modules(host_mem *m);
/* Adds amount to an account's balance (genesis, tests). */
int host_mem_credit(host_mem *m, const uint8_t *acct, size_t len, uint64_t amount, kp_error *err);
/* Stores a deep copy of a capsule (requests are not kept). */
int host_mem_add_capsule(host_mem *m, const host_capsule *c, kp_error *err);
/* Registers a module (copied) with its owner; *id gets its module id. */
int host_mem_add_module(host_mem *m, const uint8_t *wasm, size_t len, kp_key_alg owner_alg,
                        const uint8_t *owner, size_t owner_len, uint8_t id[HOST_ID_BYTES],
                        kp_error *err);
/* Transfers appended so far. */
size_t host_mem_ledger_count(const host_mem *m);

/* ---- a run ------------------------------------------------------------------------ */

typedef void (*host_log_fn)(void *user, uint32_t inst, int level, const uint8_t *msg, size_t len);

/*
 * Compiled modules by id, kept across the runs of one pipeline (one thread
 * at a time): decoding, validating and compiling a module costs more than
 * most runs of it. A module id is the hash of its bytes (checked by every
 * caller of host_inst_new), so an entry stands for exactly those bytes;
 * the engine configuration it was compiled under is part of the key.
 */
typedef struct host_code_cache host_code_cache;
/* A cache of slots entries (least recently used ones go first). */
int host_code_cache_new(size_t slots, host_code_cache **out, kp_error *err);
void host_code_cache_free(host_code_cache *c);
/* Compiled modules it handed out that it did not have to compile. */
uint64_t host_code_cache_hits(const host_code_cache *c);

typedef struct host_config {
    const kp_policy *policy;   /* NULL: nothing is granted */
    host_code_cache *code_cache; /* NULL: every run compiles its modules */
    const host_storage *storage; /* any may be NULL: calls that need it fail */
    const host_ledger *ledger;   /* (E_HOST_NO_BACKEND), except that reads */
    const host_dag *dag;         /* of a missing DAG find nothing */
    const host_modules *modules;
    int has_trust_module;      /* get_trust_score reads this module's storage */
    uint8_t trust_module[HOST_ID_BYTES];
    int64_t now;               /* Unix seconds: grant validity */
    uint64_t fuel;             /* 0: the grant's limit; else min(this, limit) */
    const kp_transcript *replay; /* non-NULL: replay this transcript */
    host_log_fn on_log;        /* each log line as it is written (may be NULL) */
    void *log_user;
} host_config;

typedef struct host_run host_run;

/* An emitted capsule: what the runtime signs and ingests later. */
typedef struct host_emitted {
    uint32_t inst;
    uint8_t module[HOST_ID_BYTES];
    const char *type;
    const uint8_t *body;
    size_t body_len;
} host_emitted;

enum { HOST_VERDICT_NONE = 0, HOST_VERDICT_ACCEPT = 1, HOST_VERDICT_REJECT = 2 };

/*
 * Prepares a run of wasm (borrowed for the call) for capsule (borrowed for
 * the run's life) under cfg (copied; what it points to is borrowed). On
 * failure *out is untouched and err says why: engine codes for a bad
 * module, E_HOST_UNKNOWN_IMPORT, E_HOST_IMPORT_TYPE, E_CAP_NOT_GRANTED,
 * E_CAP_REQUEST_* for the capsule's requests, a trap from the start
 * function. Free the run with host_run_free.
 */
int host_run_new(const host_config *cfg, const uint8_t *wasm, size_t len,
                 const host_capsule *capsule, host_run **out, kp_error *err);
/*
 * Calls the entry point. KP_OK when it returned or called proc_exit
 * (then see host_run_verdict); a trap code (engine or host) when it
 * trapped, with err filled; E_HOST_REPLAY_DIVERGED when replaying and the
 * run did not match its transcript. Call once.
 */
int host_run_call(host_run *r, kp_error *err);
/* Applies the journal to the backends, in order: storage, ledger, nonces,
   lifecycle. Only after a successful host_run_call, once. */
int host_run_commit(host_run *r, kp_error *err);
void host_run_free(host_run *r);

/* Results. Pointers are owned by the run. */
const uint8_t *host_run_module_id(const host_run *r);
const pol_effective *host_run_grant(const host_run *r);
/* The run's verdict: explicit (submit_verdict), else accept when the entry
   returned 0 (or exited 0), else reject. *reason may be "". */
int host_run_verdict(const host_run *r, const char **reason);
int32_t host_run_exit_code(const host_run *r);
const uint8_t *host_run_result(const host_run *r, size_t *len, int *submitted);
uint64_t host_run_fuel_used(const host_run *r);
const kp_transcript *host_run_transcript(const host_run *r);
size_t host_run_emitted_count(const host_run *r);
const host_emitted *host_run_emitted(const host_run *r, size_t i);
/* The log lines, each "<inst> <level> <text>\n", in order. */
const uint8_t *host_run_logs(const host_run *r, size_t *len);
/* The engine objects (benchmarks, tests). */
kw_store *host_run_store(host_run *r);
kw_instance *host_run_instance(host_run *r);

/*
 * The capability of every imported host function of m (checked: unknown
 * imports and wrong types fail), as a mask. fns, when not NULL, receives
 * for import i the index of its host function (-1 for non-host imports).
 */
int host_imports(const kw_module *m, pol_caps *caps, int *fns, kp_error *err);
/* Number of host functions, and function i's module, name and capability. */
size_t host_fn_count(void);
const char *host_fn_module(size_t i);
const char *host_fn_name(size_t i);
int host_fn_cap(size_t i);

#endif
