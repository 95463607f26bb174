/*
 * policy.h: capabilities by name, and the policy file that grants them.
 *
 * A capability is a named family of host functions (see host/funcs.c for
 * which function belongs to which). A module starts with none: the policy
 * grants capabilities by module id, capsule type and author key, and a
 * run's effective grant is the union of the matching grants intersected
 * with what the module imports. Limits (fuel, memory, validity) are the
 * most restrictive of the matching grants.
 *
 * The policy file is JSON (jansson), checked strictly: unknown members,
 * wrong types and unknown capability names are errors that name the field
 * ("grants[2].capabilities[1]"); JSON syntax errors name line and column.
 *
 *   {
 *     "kapsule_policy": 1,
 *     "grants": [
 *       { "name": "agents",                          optional, for messages
 *         "module": "<64 hex>" | "*",                required
 *         "type": "agent.goal" | "*",                optional, default any
 *         "author": "<hex public key>" | "*",        optional, default any
 *         "capabilities": [ "capsule.read", "log",
 *                           {"name": "emit", "count": 5},
 *                           {"name": "ledger", "budget": 100,
 *                            "account": "<hex public key>"} ],
 *         "limits": { "fuel": 1000000, "memory_pages": 16,
 *                     "not_before": 1700000000, "not_after": 1800000000 } }
 *     ]
 *   }
 *
 * not_before/not_after are Unix seconds; a grant outside its window does
 * not match. The policy hash is SHA-256 of the canonical text: jansson's
 * json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT) of the parsed document
 * (no whitespace, object keys in byte order, jansson's string escaping,
 * integers in decimal; the policy has no reals). Two files that differ
 * only in layout or member order have the same hash.
 */
#ifndef KP_HOST_POLICY_H
#define KP_HOST_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule.h"

/* The capabilities, in a fixed order (their bit in a pol_caps mask). */
#define POL_CAP_LIST(X)                                                             \
    X(POL_CAP_CAPSULE_READ, "capsule.read", "read the current capsule's metadata and body") \
    X(POL_CAP_RESULT_SUBMIT, "result.submit", "submit the run's result and verdict")  \
    X(POL_CAP_TRUST_READ, "trust.read", "read trust scores of public keys")          \
    X(POL_CAP_DAG_READ, "dag.read", "read other capsules' metadata, parents, children") \
    X(POL_CAP_MODULE_READ, "module.read", "read own module id and module owners")    \
    X(POL_CAP_STORAGE, "storage", "get/put/delete in the module's own child storage") \
    X(POL_CAP_LOG, "log", "write log lines (and WASI fd_write to stdout/stderr)")    \
    X(POL_CAP_CLOCK, "clock", "read the clock (recorded oracle)")                     \
    X(POL_CAP_RANDOM, "random", "read random bytes (recorded oracle)")                \
    X(POL_CAP_LEDGER, "ledger", "read balances, transfer with ledger.spend handles") \
    X(POL_CAP_EMIT, "emit", "emit follow-up capsules with an emit handle")           \
    X(POL_CAP_INVOKE, "invoke", "call another module's method, passing handles")     \
    X(POL_CAP_LIFECYCLE, "lifecycle", "upgrade or destroy a module with a lifecycle handle") \
    X(POL_CAP_HANDLE, "handle", "list, inspect, split and drop capability handles")  \
    X(POL_CAP_PROC_EXIT, "proc_exit", "WASI proc_exit: end the run with a status")    \
    X(POL_CAP_ARGS, "args", "WASI args_sizes_get/args_get (always empty)")           \
    X(POL_CAP_ENVIRON, "environ", "WASI environ_sizes_get/environ_get (always empty)")

typedef enum pol_cap {
#define POL_ENUM_(id, name, what) id,
    POL_CAP_LIST(POL_ENUM_)
#undef POL_ENUM_
    POL_NCAPS
} pol_cap;

typedef uint32_t pol_caps; /* bit (1u << pol_cap) per capability */
_Static_assert(POL_NCAPS <= 32, "capability mask is 32 bits");

/* "capsule.read" for POL_CAP_CAPSULE_READ; NULL out of range. */
const char *pol_cap_name(int cap);
/* One line on what the capability allows. */
const char *pol_cap_what(int cap);
/* The capability called name[0..n), or -1. */
int pol_cap_parse(const char *name, size_t n);

/* Limits: 0 in fuel or memory_pages means "not set"; the times are set
   when has_not_before / has_not_after. */
typedef struct pol_limits {
    uint64_t fuel;
    uint32_t memory_pages;
    int has_not_before, has_not_after;
    int64_t not_before, not_after;
} pol_limits;

#define POL_PK_MAX 65
#define POL_NAME_MAX 128
/* Most ledger budgets one effective grant carries (one per account). */
#define POL_MAX_BUDGETS 8

/* One grant of the policy, parsed. */
typedef struct pol_rule {
    char name[POL_NAME_MAX]; /* its "name", else "grants[i]" */
    int module_any;
    uint8_t module[32];
    char *type; /* NULL: any type */
    size_t author_len; /* 0: any author */
    uint8_t author[POL_PK_MAX];
    pol_caps caps;
    uint64_t emit_count; /* 0: not given */
    int has_budget;
    uint64_t budget;
    size_t account_len;
    uint8_t account[POL_PK_MAX];
    pol_limits limits;
} pol_rule;

struct kp_policy {
    pol_rule *rules;
    size_t nrules;
    uint8_t hash[32];
};

/* Defaults when no matching grant sets a limit. */
#define POL_DEFAULT_FUEL 1000000000ull /* 10^9 */
#define POL_DEFAULT_MEMORY_PAGES 256u  /* 16 MiB */
/* emit handles minted from a grant that gives "emit" without a count. */
#define POL_DEFAULT_EMIT_COUNT 1u

/* A ledger budget an effective grant mints as a ledger.spend handle. */
typedef struct pol_budget {
    size_t account_len;
    uint8_t account[POL_PK_MAX];
    uint64_t amount;
    int rule; /* index of the rule that set it */
} pol_budget;

/*
 * What a run gets. offered = union of the matching rules' capabilities;
 * caps = offered & imported. rule_of[c] is the first matching rule that
 * grants c (-1 if none); limit rules likewise (-1: the default).
 */
typedef struct pol_effective {
    pol_caps imported, offered, caps;
    int rule_of[POL_NCAPS];
    pol_limits limits; /* fuel and memory_pages always set (defaults) */
    int fuel_rule, memory_rule;
    uint64_t emit_count;
    int emit_rule;
    size_t nbudgets;
    pol_budget budgets[POL_MAX_BUDGETS];
    size_t nmatched; /* rules that matched */
} pol_effective;

/* What a run is about, as far as the policy is concerned. */
typedef struct pol_subject {
    uint8_t module[32];
    const char *type;      /* NULL: no capsule type (matches only "any") */
    const uint8_t *author; /* NULL or author_len 0: no author */
    size_t author_len;
    int64_t now; /* Unix seconds, for not_before / not_after */
} pol_subject;

/*
 * Parses a policy document. E_POLICY_SYNTAX (with line and column),
 * E_POLICY_FIELD or E_POLICY_UNKNOWN_CAP (with the field named),
 * E_POLICY_VERSION, E_NOMEM. *out is freed with kp_policy_free.
 */
int pol_parse(const uint8_t *text, size_t len, kp_policy **out, kp_error *err);
/* The empty policy (grants nothing); same as no policy at all. */
int pol_empty(kp_policy **out, kp_error *err);
/* Computes the effective grant of subject for a module importing the
   capabilities in imported. policy may be NULL (nothing granted). */
void pol_evaluate(const kp_policy *p, const pol_subject *s, pol_caps imported,
                  pol_effective *out);
/* 1 when rule r matches subject s (module, type, author, time). */
int pol_rule_matches(const pol_rule *r, const pol_subject *s);
/*
 * For an ungranted capability: the index of a rule that grants cap to
 * this module but does not match the subject (wrong type, author or time),
 * or -1. why receives a short reason ("type is 'post', the rule wants
 * 'trust'").
 */
int pol_rule_would_grant(const kp_policy *p, const pol_subject *s, int cap, char *why,
                         size_t whylen);

#endif
