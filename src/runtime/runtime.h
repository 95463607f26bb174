/*
 * runtime.h: what the files of the runtime share. world.c: the store as
 * the world a run sees (SQLite implementations of host_storage,
 * host_ledger, host_dag and host_modules); hcap.c: a parsed capsule as the
 * host_capsule a run is about; entry.c: the audit log's entry format;
 * node.c: the node's checkpoint key; ingest.c: the pipeline;
 * check.c: the store checked against its log.
 *
 * The runtime sits above both host/ and store/ (DESIGN.md's layers), which
 * is why the SQLite backends live here and not in store/: store/ knows
 * nothing of the host's interfaces.
 */
#ifndef KP_RUNTIME_RUNTIME_H
#define KP_RUNTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "host/host.h"
#include "kapsule.h"
#include "store/store.h"
#include "util/buf.h"

/* ---- hcap.c ---- */

/* A host_capsule filled from a parsed capsule; strings and arrays are its
   own, the body and author are borrowed from the capsule (or the body the
   caller gives). */
typedef struct rt_hcap {
    host_capsule c;
    host_flag flags[KP_CAPSULE_MAX_FLAGS];
    uint8_t parents[KP_CAPSULE_MAX_PARENTS][HOST_ID_BYTES];
    kp_capsule_cap caps[KP_CAPSULE_MAX_CAPS]; /* pointers borrowed from the capsule */
    buf strs; /* flag keys and values, NUL-terminated */
} rt_hcap;

/* Fills h for capsule c with body (NULL: the body as stored). Free h's
   strings with rt_hcap_clear. */
int rt_hcap_fill(rt_hcap *h, const kp_capsule *c, const uint8_t *body, size_t body_len,
                 kp_error *err);
void rt_hcap_clear(rt_hcap *h);

/* ---- world.c ---- */

typedef struct rt_world rt_world;

/* The store (borrowed for the world's life) as a run's world. Values the
   interfaces hand out are borrowed until the next call on the same
   interface, as host.h says. Free with rt_world_free. */
int rt_world_new(kp_store *st, rt_world **out, kp_error *err);
void rt_world_free(rt_world *w);
host_storage rt_world_storage(rt_world *w);
host_ledger rt_world_ledger(rt_world *w);
host_dag rt_world_dag(rt_world *w);
host_modules rt_world_modules(rt_world *w);

/* ---- entry.c: audit log entries (docs/FORMATS.md) ---- */

/* Entries are written as version 1, but those with a "run", which are
   version 2: their run also commits to the guest's reason text (its
   SHA-256, "reason"), which the results table keeps beside the run. A
   version 1 run (a store written before) does not, and is checked without
   it. Entries without a run did not change and keep version 1, so the
   same decisions give the same bytes as before. */
#define RT_ENTRY_VERSION 1
#define RT_ENTRY_VERSION_RUN 2

/* What one entry says. Pointers are borrowed (encode) or point into the
   decoded entry's bytes (decode). */
typedef struct rt_entry {
    const char *decision; /* "accepted", "rejected", "pending", "module" */
    int has_capsule;
    uint8_t capsule[32];
    uint8_t sha256[32];   /* of the capsule file (or module code) */
    const char *reason;   /* "E_..." for rejected, else NULL */
    size_t reason_len;
    int has_body;
    const char *body;     /* kp_ingest_body_name */
    int has_run;
    uint8_t module[32];
    int verdict;          /* 1 accept, 2 reject */
    uint64_t fuel;
    int has_result;
    uint8_t result[32];   /* SHA-256 of the result bytes */
    uint8_t transcript[32];
    uint8_t policy[32];
    int has_reason_hash;  /* decode: 1 for a version 2 run (encode always writes it) */
    uint8_t reason_hash[32]; /* SHA-256 of the guest's reason text (rt_reason_hash) */
    uint64_t version;     /* decode: the entry's "v" */
    const uint8_t (*waiting)[32]; /* pending: what it waits for */
    size_t nwaiting;
} rt_entry;

/* The SHA-256 of a guest's reason text (NUL-terminated; NULL is ""). */
void rt_reason_hash(const char *reason, uint8_t out[32]);
/* Appends the entry's deterministic CBOR to out. */
int rt_entry_encode(const rt_entry *e, buf *out, kp_error *err);
/* Decodes an entry strictly enough to check stored rows against it
   (KP_E_INGEST_ENTRY otherwise); waiting is not read back. */
int rt_entry_decode(const uint8_t *p, size_t len, rt_entry *e, kp_error *err);

/* ---- modcheck.c ---- */

/* KP_OK when code decodes and validates as a WebAssembly module, else the
   engine's code (E_WASM_..., with the byte offset) in err. */
int rt_module_check(const uint8_t *code, size_t len, kp_error *err);

/* ---- node.c: the node's checkpoint key ---- */

#define RT_NODE_KEY_FILE STORE_NODE_KEY_NAME
/* The node's Ed25519 secret (seed || public) from <dir>/node.key, made
   (mode 0600) on first use. */
int rt_node_key(const char *dir, uint8_t sk[KP_LOG_SK_BYTES], kp_error *err);
/* The node key as a signing kp_key (emitted capsules are signed with it);
   *out is freed with kp_key_free. */
int rt_node_signer(const char *dir, kp_key **out, kp_error *err);
/* The default origin: "kapsule/<hostname>/<8 hex of SHA-256(node_pk)>"
   ([A-Za-z0-9._-] of the host name kept), unique to the store's node key. */
void rt_default_origin(const uint8_t node_pk[32], char out[KP_LOG_ORIGIN_MAX + 1]);

#endif
