/*
 * cap.h: capability handles and signed capability requests.
 *
 * HANDLES. Dynamic capabilities live in a per-instance table, like file
 * descriptors: the guest holds small positive integers that only mean
 * something in its own instance, so it can name what it holds and nothing
 * else. Each entry has a kind, a resource (the account or module it is
 * about), an amount (or CAP_UNLIMITED) and a generation per slot:
 *
 *     handle value = generation << CAP_SLOT_BITS | (slot + 1)
 *
 * so that a number kept after its handle was consumed, moved or dropped is
 * recognised as stale even when the slot has been reused. 0 is never a
 * handle ("none"). Fresh slots are used before freed ones, so a stale
 * number stays recognisable for as long as possible; a slot whose
 * generation would overflow is retired, never reused.
 *
 * Misuse is a trap with its own code: a number never issued in this table
 * (E_CAP_FORGED), one consumed/moved/dropped (E_CAP_STALE), a second drop
 * of the same handle (E_CAP_DOUBLE_DROP), an amount above the handle's
 * (E_CAP_EXHAUSTED), a handle of another kind (E_CAP_WRONG_KIND).
 *
 * Amounts: consuming part of a handle consumes it and mints a residual
 * with the rest under a new number (100 - 90 -> a new handle of 10); a
 * handle whose amount reaches 0 leaves no residual. Splitting moves part
 * of an amount into a new handle and leaves the rest in the original.
 * Unlimited handles stay unlimited when consumed (the residual is a new
 * number, unlimited) and can be split into limited ones (attenuation).
 *
 * REQUESTS. A capsule may carry capability requests signed by its author:
 * a deterministic CBOR map
 *     {"v": 1, "module": bstr(32), "kind": "ledger.spend" | "lifecycle",
 *      "amount": uint (ledger.spend; absent: unlimited, lifecycle only),
 *      "resource": bstr (lifecycle: the module id it governs),
 *      "nonce": bstr(8..64)}
 * signed with the author's key over CAP_REQUEST_CONTEXT || payload. The
 * nonce makes each request usable once per author (the ledger backend
 * remembers used nonces): presenting it again is E_CAP_REQUEST_REPLAYED,
 * which is what stops a transfer from being spent twice across capsules.
 * A ledger.spend request always spends the author's own account.
 */
#ifndef KP_HOST_CAP_H
#define KP_HOST_CAP_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"
#include "util/buf.h"

#define CAP_SLOT_BITS 8
#define CAP_MAX_SLOTS 255 /* slot + 1 fits in CAP_SLOT_BITS */
#define CAP_MAX_GEN ((1u << (31 - CAP_SLOT_BITS)) - 1)
#define CAP_UNLIMITED UINT64_MAX
/* Largest amount a handle carries (guests pass amounts as i64). */
#define CAP_AMOUNT_MAX ((uint64_t)INT64_MAX)
#define CAP_RESOURCE_MAX 65

typedef enum cap_kind {
    CAP_KIND_NONE = 0,
    CAP_KIND_LEDGER_SPEND = 1, /* resource: account public key; amount: units */
    CAP_KIND_EMIT = 2,         /* resource: empty; amount: capsules */
    CAP_KIND_LIFECYCLE = 3,    /* resource: module id; unlimited */
    CAP_NKINDS
} cap_kind;

/* "ledger.spend", "emit", "lifecycle"; NULL for others. */
const char *cap_kind_name(int kind);
/* The kind called name[0..n), or CAP_KIND_NONE. */
int cap_kind_parse(const char *name, size_t n);

typedef struct cap_handle {
    int kind;
    uint64_t amount;
    size_t resource_len;
    uint8_t resource[CAP_RESOURCE_MAX];
} cap_handle;

enum { CAP_FATE_LIVE = 0, CAP_FATE_CONSUMED, CAP_FATE_MOVED, CAP_FATE_DROPPED };

typedef struct cap_slot {
    cap_handle h;
    uint32_t gen;  /* generation of the handle issued last (0: never) */
    uint8_t fate;  /* CAP_FATE_*: what became of that handle */
} cap_slot;

typedef struct cap_table {
    uint32_t nused; /* slots issued at least once: 0..nused-1 */
    cap_slot slots[CAP_MAX_SLOTS];
} cap_table;

void cap_table_init(cap_table *t);
/* Issues a handle; *out is its number. E_CAP_TABLE_FULL when no slot is
   left. amount is at most CAP_AMOUNT_MAX, or CAP_UNLIMITED. */
int cap_mint(cap_table *t, const cap_handle *h, int32_t *out);
/*
 * The live handle numbered h of the given kind (CAP_KIND_NONE: any):
 * KP_OK and *out, or E_CAP_FORGED / E_CAP_STALE / E_CAP_WRONG_KIND.
 */
int cap_get(cap_table *t, int32_t h, int kind, const cap_handle **out);
/*
 * Consumes amount from h (kind checked): E_CAP_EXHAUSTED above its amount;
 * otherwise h is consumed and *residual is a new handle with the rest, or
 * 0 when nothing is left. amount 0 is E_ARG (a no-op spend is a bug).
 */
int cap_consume(cap_table *t, int32_t h, int kind, uint64_t amount, int32_t *residual);
/* Moves amount (1..its amount) out of h into a new handle *out; h keeps
   the rest and is consumed when that is 0. Unlimited h stays unlimited. */
int cap_split(cap_table *t, int32_t h, uint64_t amount, int32_t *out);
/* Drops h: E_CAP_DOUBLE_DROP when it was dropped already. */
int cap_drop(cap_table *t, int32_t h);
/* Consumes h (of kind) and issues nh in its place (*out; 0 when nh is
   NULL): a lifecycle handle that follows its module to a successor. */
int cap_exchange(cap_table *t, int32_t h, int kind, const cap_handle *nh, int32_t *out);
/* Takes h out of the table to hand it to someone else (marked moved). */
int cap_take(cap_table *t, int32_t h, cap_handle *out);
/* Live handles, in slot order: up to max numbers into out; returns the
   number of live handles. */
uint32_t cap_list(const cap_table *t, int32_t *out, uint32_t max);
/* The first live handle of kind whose resource equals res[0..n) (n 0:
   any resource); 0 if none. */
int32_t cap_find(const cap_table *t, int kind, const uint8_t *res, size_t n);

/* ---- signed requests (request.c) ---- */

#define CAP_REQUEST_CONTEXT "kapsule capability request v1\n"
#define CAP_REQUEST_MAX 1024 /* bytes of one request payload */
#define CAP_NONCE_MAX 64

typedef struct cap_request {
    uint8_t module[32];
    int kind;
    uint64_t amount; /* CAP_UNLIMITED when absent */
    size_t resource_len;
    uint8_t resource[CAP_RESOURCE_MAX];
    size_t nonce_len;
    uint8_t nonce[CAP_NONCE_MAX];
} cap_request;

/*
 * Parses a request payload strictly (E_CAP_REQUEST_MALFORMED with the
 * field named) and checks the signature with the author's key
 * (E_CAP_REQUEST_SIG, the crypto layer's reason in the message). Nothing
 * else: the caller checks module, kind and nonce.
 */
KP_NODISCARD int cap_request_open(const uint8_t *payload, size_t len, const uint8_t *sig,
                                  size_t siglen, kp_key_alg alg, const uint8_t *author,
                                  size_t author_len, cap_request *out, kp_error *err);
/* Builds a request payload (tests, tools): the canonical CBOR appended to
   out. amount CAP_UNLIMITED leaves it out. */
int cap_request_encode(const cap_request *r, buf *out, kp_error *err);

#endif
