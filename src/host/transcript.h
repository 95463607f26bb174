/*
 * transcript.h: the record of every host call of a run.
 *
 * Every host call (and every handle the host mints) is one entry: a
 * deterministic CBOR map
 *
 *   {"seq": n,              position in the run, from 0
 *    "inst": i,             0 the run's module, 1.. instances made by invoke
 *    "cap": "storage",      the capability the function belongs to
 *    "fn": "storage_get",   the function ("mint" for a minted handle)
 *    "fuel": f,             fuel used by the run when the call began
 *    "args": [u, ...],      scalar arguments as unsigned integers (i32 zero-
 *                           extended, i64 as its 64-bit pattern)
 *    "in":  [[addr, bstr], ...],  guest bytes the host read, in order
 *    "out": [[addr, bstr], ...],  bytes the host wrote into the guest
 *    "oracle": [v, ...],    values that came from outside the run (clock,
 *                           random, storage, ledger, DAG, trust, modules):
 *                           unsigned or negative integers, bstr, or null
 *    "res": [u, ...],       results, as args
 *    "status": s,           0, or the trap / host code the call ended with
 *    "mint": {"kind": text, "resource": bstr, "amount": uint | null,
 *             "source": text}       only in "mint" entries
 *   }
 *
 * The transcript as a whole encodes as the CBOR array of its entries. Its
 * Merkle root is RFC 9162's over the entries' encodings (leaf
 * SHA-256(0x00 || entry), node SHA-256(0x01 || left || right), the empty
 * transcript SHA-256("")); receipts commit to it.
 *
 * Replay: a run given a transcript checks each call against the next
 * entry (inst, cap, fn, args) before running it, takes the entry's oracle
 * values instead of asking the world, and compares the entry it would
 * record with the recorded one byte for byte. Any difference, or a
 * different number of calls, is E_HOST_REPLAY_DIVERGED.
 */
#ifndef KP_HOST_TRANSCRIPT_H
#define KP_HOST_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "cbor/cbor.h"
#include "kapsule.h"
#include "util/buf.h"

/* Most bytes one transcript holds; a run past it traps with E_HOST_LIMIT. */
#define HOST_TRANSCRIPT_MAX (64u * 1024u * 1024u)

typedef struct host_tr_ent {
    uint8_t *p;
    size_t len;
} host_tr_ent;

/* Entries live in chunks that are never moved, so that a long run's
   transcript grows without copying what it holds (a host call appends
   about a hundred bytes; doubling one buffer copied them again and
   again). An entry is contiguous, in one chunk. */
typedef struct host_tr_chunk {
    uint8_t *p;
    size_t size, used;
} host_tr_chunk;

struct kp_transcript {
    host_tr_ent *ents;
    size_t n, cap;
    host_tr_chunk *chunks;
    size_t nchunks, chunkcap;
    size_t bytes; /* of all entries */
};

int host_tr_new(kp_transcript **out, kp_error *err);
/* Appends one entry (copied). E_HOST_LIMIT past HOST_TRANSCRIPT_MAX. */
int host_tr_append(kp_transcript *t, const uint8_t *entry, size_t len, kp_error *err);
/* Entry i (i < n): its bytes and length. */
const uint8_t *host_tr_entry(const kp_transcript *t, size_t i, size_t *len);
/* Bytes of all entries. */
size_t host_tr_bytes(const kp_transcript *t);
/* The RFC 9162 root over the entries. */
void host_tr_root(const kp_transcript *t, uint8_t out[32]);
/* The CBOR array of the entries, appended to out. */
int host_tr_encode(const kp_transcript *t, buf *out, kp_error *err);
/*
 * Reads an encoded transcript: a canonical CBOR array whose items are
 * entry maps of the shape above (E_HOST_TRANSCRIPT otherwise, with the
 * entry's index and byte offset).
 */
int host_tr_parse(const uint8_t *p, size_t len, kp_transcript **out, kp_error *err);
void host_tr_free(kp_transcript *t);

/* ---- building one entry ------------------------------------------------------ */

#define HOST_MAX_ARGS 12
#define HOST_MAX_RESULTS 2

enum { HOST_ORC_UINT, HOST_ORC_INT, HOST_ORC_BYTES, HOST_ORC_NULL };

typedef struct host_seg {
    int out;      /* 0: read from the guest, 1: written into it */
    uint64_t addr;
    size_t off;   /* in the entry's bytes buffer */
    size_t len;
} host_seg;

typedef struct host_orc {
    int type;
    uint64_t u;   /* UINT; INT as int64 bits */
    size_t off, len; /* BYTES, in the entry's bytes buffer */
} host_orc;

typedef struct host_mint_info {
    const char *kind;
    const uint8_t *resource;
    size_t resource_len;
    int unlimited;
    uint64_t amount;
    const char *source;
} host_mint_info;

typedef struct host_entry {
    uint64_t seq;
    uint32_t inst;
    const char *cap, *fn;
    uint64_t fuel;
    uint32_t nargs, nres;
    uint64_t args[HOST_MAX_ARGS];
    uint64_t res[HOST_MAX_RESULTS];
    int status;
    buf bytes; /* segment and oracle contents */
    host_seg *segs;
    size_t nsegs, segcap;
    host_orc *orcs;
    size_t norcs, orccap;
    const host_mint_info *mint;
} host_entry;

void host_entry_reset(host_entry *e);
void host_entry_free(host_entry *e);
int host_entry_seg(host_entry *e, int out, uint64_t addr, const uint8_t *p, size_t len);
int host_entry_orc_int(host_entry *e, int type, uint64_t v);
int host_entry_orc_bytes(host_entry *e, const uint8_t *p, size_t len); /* p NULL: null */
/* Encodes the entry (a new item appended to out). */
int host_entry_encode(const host_entry *e, buf *out, kp_error *err);

#endif
