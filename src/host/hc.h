/*
 * hc.h: every host function, in one list: (import module, name,
 * capability, parameter types, result types) with 'i' for i32 and 'I' for
 * i64. funcs.c turns the list into the descriptor table the linker and
 * the dispatcher use; each handler hc_<name> lives in the hc_*.c file of
 * its family. A function belongs to exactly one capability.
 */
#ifndef KP_HOST_HC_H
#define KP_HOST_HC_H

#include "host/internal.h"

#define HOST_K "kapsule"
#define HOST_W "wasi_snapshot_preview1"

#define HOST_FN_LIST(X)                                                              \
    /* capsule.read (hc_capsule.c) */                                                 \
    X(HOST_K, get_capsule_metadata, POL_CAP_CAPSULE_READ, "ii", "i")                  \
    X(HOST_K, capsule_id, POL_CAP_CAPSULE_READ, "i", "i")                             \
    X(HOST_K, capsule_type, POL_CAP_CAPSULE_READ, "ii", "i")                          \
    X(HOST_K, capsule_author, POL_CAP_CAPSULE_READ, "ii", "i")                        \
    X(HOST_K, capsule_body, POL_CAP_CAPSULE_READ, "ii", "i")                          \
    X(HOST_K, capsule_parent_count, POL_CAP_CAPSULE_READ, "", "i")                    \
    X(HOST_K, capsule_parent, POL_CAP_CAPSULE_READ, "ii", "i")                        \
    X(HOST_K, capsule_flag, POL_CAP_CAPSULE_READ, "iiii", "i")                        \
    X(HOST_K, capsule_created, POL_CAP_CAPSULE_READ, "", "I")                         \
    /* result.submit (hc_capsule.c) */                                                \
    X(HOST_K, submit_capsule_result, POL_CAP_RESULT_SUBMIT, "ii", "i")                \
    X(HOST_K, submit_verdict, POL_CAP_RESULT_SUBMIT, "iii", "i")                      \
    /* trust.read, dag.read, module.read (hc_read.c) */                               \
    X(HOST_K, get_trust_score, POL_CAP_TRUST_READ, "ii", "I")                         \
    X(HOST_K, dag_metadata, POL_CAP_DAG_READ, "iii", "i")                             \
    X(HOST_K, dag_parents, POL_CAP_DAG_READ, "iii", "i")                              \
    X(HOST_K, dag_children, POL_CAP_DAG_READ, "iii", "i")                             \
    X(HOST_K, module_self, POL_CAP_MODULE_READ, "i", "i")                             \
    X(HOST_K, module_owner, POL_CAP_MODULE_READ, "iii", "i")                          \
    /* storage (hc_storage.c) */                                                      \
    X(HOST_K, storage_get, POL_CAP_STORAGE, "iiii", "i")                              \
    X(HOST_K, storage_put, POL_CAP_STORAGE, "iiii", "i")                              \
    X(HOST_K, storage_delete, POL_CAP_STORAGE, "ii", "i")                             \
    /* log, clock, random (hc_io.c) */                                                \
    X(HOST_K, log, POL_CAP_LOG, "iii", "")                                            \
    X(HOST_K, clock_now, POL_CAP_CLOCK, "", "I")                                      \
    X(HOST_K, random_bytes, POL_CAP_RANDOM, "ii", "i")                                \
    /* ledger, emit, lifecycle (hc_ledger.c) */                                       \
    X(HOST_K, ledger_balance, POL_CAP_LEDGER, "ii", "I")                              \
    X(HOST_K, ledger_transfer, POL_CAP_LEDGER, "iiiI", "i")                           \
    X(HOST_K, emit_capsule, POL_CAP_EMIT, "iiiii", "i")                               \
    X(HOST_K, module_upgrade, POL_CAP_LIFECYCLE, "ii", "i")                           \
    X(HOST_K, module_destroy, POL_CAP_LIFECYCLE, "i", "i")                            \
    /* invoke (hc_invoke.c) */                                                        \
    X(HOST_K, invoke, POL_CAP_INVOKE, "iiiiiiiii", "i")                               \
    /* handle (hc_handle.c) */                                                        \
    X(HOST_K, handle_list, POL_CAP_HANDLE, "ii", "i")                                 \
    X(HOST_K, handle_find, POL_CAP_HANDLE, "iiii", "i")                               \
    X(HOST_K, handle_amount, POL_CAP_HANDLE, "i", "I")                                \
    X(HOST_K, handle_kind, POL_CAP_HANDLE, "iii", "i")                                \
    X(HOST_K, handle_resource, POL_CAP_HANDLE, "iii", "i")                            \
    X(HOST_K, handle_split, POL_CAP_HANDLE, "iI", "i")                                \
    X(HOST_K, handle_drop, POL_CAP_HANDLE, "i", "i")                                  \
    /* WASI preview1 subset (hc_io.c), each under a capability */                     \
    X(HOST_W, fd_write, POL_CAP_LOG, "iiii", "i")                                     \
    X(HOST_W, fd_fdstat_get, POL_CAP_LOG, "ii", "i")                                  \
    X(HOST_W, fd_seek, POL_CAP_LOG, "iIii", "i")                                      \
    X(HOST_W, fd_close, POL_CAP_LOG, "i", "i")                                        \
    X(HOST_W, proc_exit, POL_CAP_PROC_EXIT, "i", "")                                  \
    X(HOST_W, args_sizes_get, POL_CAP_ARGS, "ii", "i")                                \
    X(HOST_W, args_get, POL_CAP_ARGS, "ii", "i")                                      \
    X(HOST_W, environ_sizes_get, POL_CAP_ENVIRON, "ii", "i")                          \
    X(HOST_W, environ_get, POL_CAP_ENVIRON, "ii", "i")                                \
    X(HOST_W, clock_time_get, POL_CAP_CLOCK, "iIi", "i")                              \
    X(HOST_W, random_get, POL_CAP_RANDOM, "ii", "i")

#define HOST_DECL_(mod, name, cap, p, r) int hc_##name(host_call *c, const kw_val *a, kw_val *res);
HOST_FN_LIST(HOST_DECL_)
#undef HOST_DECL_

#endif
