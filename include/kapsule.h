/*
 * kapsule.h: the public API of libkapsule (kp_*).
 *
 * kapsule receives capsules (signed, optionally encrypted, content-addressed
 * records that name a WebAssembly logic module by hash), verifies and
 * decrypts them, runs their logic in a capability-gated sandbox, stores the
 * capsule DAG in SQLite and appends every decision to a Merkle audit log.
 *
 * Conventions, everywhere in this header:
 *   - Functions that can fail return a status: KP_OK (0) or a code from
 *     kapsule_errors.h. Details go into a kp_error the caller owns.
 *   - Objects are opaque, made by kp_<noun>_new/open/parse and released by
 *     kp_<noun>_free; kp_<noun>_free(NULL) does nothing.
 *   - Inputs are borrowed for the duration of the call; what is kept is
 *     copied. Out-pointers are written only on success.
 *   - Each allocating function says who frees what it returns.
 *   - Verify functions must have their result checked.
 */
#ifndef KAPSULE_H
#define KAPSULE_H

#include <stddef.h>
#include <stdint.h>

#include "kapsule_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KP_API __attribute__((visibility("default")))
#define KP_NODISCARD __attribute__((warn_unused_result))
#define KP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KP_API
#define KP_NODISCARD
#define KP_PRINTF(f, a)
#endif

/* ---- status codes and errors -------------------------------------------- */

typedef enum kp_status {
#define KP_ENUM_(name, num, str, exitc, msg) name = num,
    KP_STATUS_LIST(KP_ENUM_)
#undef KP_ENUM_
    KP_STATUS_END_
} kp_status;

#define KP_ERROR_MSG_BYTES 320
#define KP_NO_OFFSET (-1)

/*
 * Filled by every fallible call. Plain data owned by the caller (usually on
 * its stack). offset is a byte offset in the input being parsed, or
 * KP_NO_OFFSET; field names the field at fault, or is empty.
 */
typedef struct kp_error {
    int code;
    int64_t offset;
    char field[64];
    char msg[KP_ERROR_MSG_BYTES];
} kp_error;

/* "E_TRUNCATED" for KP_E_TRUNCATED; engine codes included; NULL if unknown. */
KP_API const char *kp_status_name(int code);
/* What the code means in a few words; "unknown status" if unknown. */
KP_API const char *kp_status_message(int code);
/* The process exit status for a code: 0, 1, 2 or 3 (3 for unknown codes). */
KP_API int kp_status_exit(int code);
/*
 * Iterates over the whole table, engine codes included, in number order:
 * returns the i-th code in *code, or 0 past the end.
 */
KP_API int kp_status_at(size_t i, int *code);
/* Clears an error to KP_OK. */
KP_API void kp_error_clear(kp_error *err);

/*
 * The allocation hook (Lua's lua_Alloc): realloc-like, told the old size;
 * n == 0 frees. Every allocation libkapsule makes outside the engine goes
 * through it (the engine has kw_config). Set it before any other call;
 * NULL restores the C library's allocator.
 */
typedef void *(*kp_alloc_fn)(void *ud, void *p, size_t old_size, size_t n);
KP_API void kp_set_allocator(kp_alloc_fn fn, void *ud);

/* Library version, e.g. "0.1.0". */
KP_API const char *kp_version(void);

/* ---- cbor ---------------------------------------------------------------- */

/* ---- crypto and keys ------------------------------------------------------ */

/* ---- capsules ---------------------------------------------------------------- */

/* ---- host interface and policy -------------------------------------------------- */

/* ---- store -------------------------------------------------------------------------- */

/* ---- audit log --------------------------------------------------------------------------- */

/* ---- runtime ---------------------------------------------------------------------------------- */

#ifdef __cplusplus
}
#endif
#endif /* KAPSULE_H */
