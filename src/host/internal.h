/*
 * internal.h: what the files of the host share. dispatch.c is the one
 * choke point every host call passes through; the hc_*.c files are the
 * families of host functions; world.c is every read of the outside world
 * (each one an oracle value in the transcript); journal.c keeps a run's
 * effects until commit; run.c makes, links and runs instances.
 */
#ifndef KP_HOST_INTERNAL_H
#define KP_HOST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cbor/cbor.h"
#include "host/cap.h"
#include "host/host.h"
#include "host/map.h"
#include "host/policy.h"
#include "host/transcript.h"
#include "util/buf.h"

/* Limits on what one host call may move (bytes), checked before copying. */
#define HOST_KEY_MAX 256             /* storage key */
#define HOST_VALUE_MAX (256u * 1024u) /* storage value */
#define HOST_RESULT_MAX (1024u * 1024u)
#define HOST_REASON_MAX 1024u
#define HOST_LOG_LINE_MAX 4096u
#define HOST_LOG_TOTAL_MAX (1024u * 1024u)
#define HOST_TYPE_MAX 64u             /* capsule type of an emitted capsule */
#define HOST_EMIT_BODY_MAX (256u * 1024u)
#define HOST_METHOD_MAX 64u
#define HOST_INVOKE_ARGS_MAX (64u * 1024u)
#define HOST_INVOKE_HANDLES_MAX 16u
#define HOST_RANDOM_MAX 4096u
#define HOST_IOVS_MAX 64u
#define HOST_MAX_INVOKE_DEPTH 4
/* Child-storage reads a run keeps (world.c): values up to this size, up to
   this many bytes in all. */
#define HOST_READ_CACHE_VALUE_MAX 4096u
#define HOST_READ_CACHE_BYTES (8u * 1024u * 1024u)
/* Instances in one run (the module and those invoke makes). Each keeps its
   memory until the run ends, so this also bounds a run's memory at this
   many times the grant's memory limit. */
#define HOST_MAX_INSTANCES 16
/* Nesting of calls that are in progress at once: one per instance level. */
#define HOST_MAX_NEST (HOST_MAX_INVOKE_DEPTH + 2)

/* Entry points. */
#define HOST_ENTRY "kapsule_run"     /* () -> i32 */
#define HOST_WASI_ENTRY "_start"     /* () -> () */
#define HOST_ALLOC_EXPORT "kapsule_alloc" /* (i32) -> i32, for invoke */

typedef struct host_inst host_inst;
typedef struct host_call host_call;
typedef int (*host_handler)(host_call *c, const kw_val *args, kw_val *res);

/* A host function: module, name, capability, type ('i' i32, 'I' i64). */
typedef struct host_fn {
    const char *module;
    const char *name;
    int cap;
    const char *params;
    const char *results;
    host_handler fn;
} host_fn;

extern const host_fn host_fns[];
extern const size_t host_nfns;

/* The user pointer of every host function made for an instance. */
typedef struct host_binding {
    const host_fn *fn;
    host_inst *hi;
} host_binding;

struct host_inst {
    host_run *run;
    uint32_t index; /* 0: the run's module; then in order of creation */
    int depth;      /* invoke nesting: 0 for the run's module */
    uint8_t module_id[32];
    kw_module *module; /* holds a reference */
    kw_instance *inst;
    cap_table handles;
    pol_effective grant;
    host_binding *bindings;
    size_t nbindings;
};

/* One emitted capsule, owned by the journal. */
typedef struct host_emit_rec {
    host_emitted pub;
    char *type;
    uint8_t *body;
} host_emit_rec;

typedef struct host_xfer {
    size_t flen, tlen;
    uint8_t from[HOST_PK_MAX], to[HOST_PK_MAX];
    uint64_t amount;
} host_xfer;

typedef struct host_lifecycle_rec {
    uint8_t module[32];
    int state;
    uint8_t successor[32];
} host_lifecycle_rec;

/* A run's effects until commit, and what it says about its capsule. */
typedef struct host_journal {
    host_map storage; /* module id || key -> value; a dead entry is a delete */
    host_xfer *xfers;
    size_t nxfers, xcap;
    host_map nonces;  /* alen || author || nonce */
    host_lifecycle_rec *life;
    size_t nlife, lcap;
    host_emit_rec *emits;
    size_t nemits, ecap;
    buf logs;
    buf result;
    int result_set;
    int verdict;
    char *reason;
    size_t reason_len;
} host_journal;

/* A call in progress (one per nesting level). */
struct host_call {
    kp_error *err;    /* pseudo calls: where failures go */
    host_run *run;
    host_inst *hi;
    kw_call_ctx *ctx; /* NULL for mints */
    const host_fn *fn;
    host_entry *e;
    /* replay: the recorded entry and a cursor over its oracle values */
    int replay;
    cbor_item rec;
    cbor_iter orc;
    uint64_t moved; /* bytes between guest and host, for fuel */
    uint64_t extra_fuel;
};

struct host_run {
    host_config cfg;
    const host_capsule *capsule;
    kw_config kcfg;
    kw_store *store;
    host_inst *insts[HOST_MAX_INSTANCES];
    uint32_t ninsts;
    kp_transcript *tr;
    uint64_t fuel_budget;
    uint64_t next_seq;
    /* entries finished inside an invoke wait here until the outermost call
       ends, so that the transcript stays in seq order */
    buf pending;
    /* set when a call could not be recorded (transcript full, no memory):
       the record is no longer whole, so every later call traps with this
       code and the run ends with it, whatever the guest does with the
       trap (an invoke caller would otherwise swallow it) */
    int record_failed;
    buf scratch; /* world.c: a value built for the current call */
    /* world.c: child-storage values this run read from the world, by
       module || key (tag: found), so that a key read again costs no trip
       to the store: nothing else writes the world while a run runs, and
       the run's own writes are in the journal, looked up first. Bounded by
       HOST_READ_CACHE_BYTES; each read is still its own oracle entry. */
    host_map reads;
    size_t reads_bytes;
    buf meta;    /* the capsule's metadata map, encoded once */
    int nest; /* calls in progress */
    host_entry entries[HOST_MAX_NEST];
    buf enc[HOST_MAX_NEST]; /* dispatch.c: each level's entry encoding */
    host_call calls[HOST_MAX_NEST];
    host_journal j;
    int called, committed;
    int exited;
    int32_t exit_code;
    int32_t entry_ret;
    int ran_ok;
    uint32_t trust_depth;
};

/* ---- dispatch.c ------------------------------------------------------------------ */

/* The one trampoline behind every host function (user: a host_binding). */
int host_trampoline(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *results);
/*
 * Work the host does on its own (minting handles at instantiation) is
 * recorded like a call: begin a pseudo call (fn names it, e.g. "mint"),
 * do the work with the returned call (world reads are oracles as usual),
 * and end it with the status. Failures go to err instead of a trap.
 */
host_call *host_pseudo_begin(host_run *r, host_inst *hi, int cap, const char *fn,
                             kp_error *err);
int host_pseudo_end(host_call *c, int status);
/* Ends the transcript: flushes, and in replay checks that every entry was
   used. */
int host_transcript_end(host_run *r, kp_error *err);
/* Fuel used by the run so far. */
uint64_t host_fuel_used(const host_run *r);

/* Guest memory, always through kw_memory_slice in 64-bit arithmetic; a bad
   pointer or length traps with E_HOST_BAD_POINTER. in() records the bytes
   read, out() the bytes written. */
int host_in(host_call *c, uint32_t ptr, uint32_t len, const uint8_t **out);
/* Traps unless [ptr, ptr + len) is inside the guest's memory. */
int host_check(host_call *c, uint32_t ptr, uint64_t len);
int host_out(host_call *c, uint32_t ptr, const void *data, size_t len);
/* The "copy if it fits, return the full length" convention: writes
   data[0..len) at ptr when len <= cap, and always sets *ret = len. */
int host_out_fit(host_call *c, uint32_t ptr, uint32_t cap, const void *data, size_t len,
                 int32_t *ret);
/* A trap with its own code and message (returns code). */
int host_trap(host_call *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A handle misuse code from cap.c as a trap naming the handle. */
int host_cap_trap(host_call *c, int code, int32_t h);
/* The guest's scalar arguments: pointers and lengths are unsigned 32-bit. */
#define HOST_U32(a, i) ((uint32_t)(a)[i].i32)
#define HOST_I32(a, i) ((int32_t)(a)[i].i32)
#define HOST_I64(a, i) ((int64_t)(a)[i].i64)

/* Error values returned to the guest (not traps): minus the status code. */
static inline uint32_t host_neg32(int code)
{
    return (uint32_t)-code;
}
static inline uint64_t host_neg64(int code)
{
    return (uint64_t)-(int64_t)code;
}

/* ---- world.c: reads of the outside world, recorded as oracle values ----------- */

int host_w_clock(host_call *c, uint64_t *ns);
int host_w_random(host_call *c, uint8_t *out, size_t n);
int host_w_storage_get(host_call *c, const uint8_t module[32], const uint8_t *key, size_t klen,
                       int *found, const uint8_t **val, size_t *vlen);
int host_w_balance(host_call *c, const uint8_t *acct, size_t len, uint64_t *bal);
int host_w_nonce_used(host_call *c, const uint8_t *author, size_t alen, const uint8_t *nonce,
                      size_t nlen, int *used);
/* The metadata map of a stored capsule (meta.c's encoding), or found 0. */
int host_w_dag_meta(host_call *c, const uint8_t id[32], int *found, const uint8_t **p,
                    size_t *len);
int host_w_dag_parents(host_call *c, const uint8_t id[32], int *found, const uint8_t **p,
                       size_t *len);
int host_w_dag_children(host_call *c, const uint8_t id[32], const uint8_t **p, size_t *len);
int host_w_module_info(host_call *c, const uint8_t id[32], int *found, host_module_info *info);
/* A world failure (backend error) as a trap. */
int host_w_fail(host_call *c, const kp_error *err);

/* ---- journal.c ---------------------------------------------------------------------- */

void host_journal_free(host_journal *j);
/* Storage as this run sees it: its own writes first, then the world. */
int host_j_storage_get(host_call *c, const uint8_t module[32], const uint8_t *key, size_t klen,
                       int *found, const uint8_t **val, size_t *vlen);
int host_j_storage_put(host_journal *j, const uint8_t module[32], const uint8_t *key, size_t klen,
                       const uint8_t *val, size_t vlen);
/* 1 in *existed when the key was there (journal or world). */
int host_j_storage_del(host_call *c, const uint8_t module[32], const uint8_t *key, size_t klen,
                       int *existed);
/* Balance as this run sees it (world balance + pending transfers). */
int host_j_balance(host_call *c, const uint8_t *acct, size_t len, uint64_t *bal);
int host_j_transfer(host_journal *j, const uint8_t *from, size_t flen, const uint8_t *to,
                    size_t tlen, uint64_t amount);
int host_j_nonce_pending(host_journal *j, const uint8_t *author, size_t alen,
                         const uint8_t *nonce, size_t nlen);
int host_j_nonce_add(host_journal *j, const uint8_t *author, size_t alen, const uint8_t *nonce,
                     size_t nlen);
int host_j_lifecycle(host_journal *j, const uint8_t module[32], int state,
                     const uint8_t successor[32]);
/* The latest pending lifecycle state of module, or -1. */
int host_j_lifecycle_state(const host_journal *j, const uint8_t module[32]);
int host_j_emit(host_journal *j, uint32_t inst, const uint8_t module[32], const uint8_t *type,
                size_t tlen, const uint8_t *body, size_t blen);
int host_j_log(host_run *r, uint32_t inst, int level, const uint8_t *msg, size_t len);
int host_j_commit(host_run *r, kp_error *err);

/* ---- meta.c --------------------------------------------------------------------------- */

/*
 * The metadata map guests read (get_capsule_metadata, dag_metadata):
 *   {"id": bstr32, "type": text, "author": bstr, "alg": text,
 *    "parents": [bstr32, ...], "logic": bstr32 (absent when none),
 *    "flags": {text: text, ...}, "created": int, "body_len": uint}
 * in deterministic CBOR. The body itself is read with capsule_body.
 */
int host_meta_encode(const host_capsule *c, buf *out);

/* ---- run.c ------------------------------------------------------------------------------ */

/* codecache.c: the compiled module for (id, cfg), from the cache c (may
   be NULL) or compiled from wasm (and kept). *out is the caller's
   reference (kw_module_free); engine codes for a bad module. */
int host_code_get(host_code_cache *c, const uint8_t id[32], const kw_config *cfg,
                  const uint8_t *wasm, size_t len, kw_module **out, kp_error *err);

/*
 * Compiles module wasm (id given) for this run as instance number
 * run->ninsts at invoke depth depth, computes its grant and checks that
 * every import links (E_CAP_NOT_GRANTED...). The caller then mints or
 * moves handles into hi->handles and calls host_inst_start, which
 * instantiates (running the start function).
 */
int host_inst_new(host_run *r, const uint8_t *wasm, size_t len, const uint8_t id[32], int depth,
                  host_inst **out, kp_error *err);
int host_inst_start(host_run *r, host_inst *hi, kp_error *err);
/* The handles a fresh instance gets from its grant (policy budgets). */
int host_mint_grant(host_run *r, host_inst *hi, kp_error *err);
/* The handles the capsule's signed requests ask for (run's module only). */
int host_mint_requests(host_run *r, host_inst *hi, kp_error *err);
/* Policy subject for this run and a module. */
void host_subject(const host_run *r, const uint8_t module[32], pol_subject *s);

#endif
