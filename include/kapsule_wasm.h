/*
 * kapsule_wasm.h: the kapsule WebAssembly engine (kw_*).
 *
 * A standalone WebAssembly 2.0 engine that depends on libc alone: this header
 * and src/wasm/ can be lifted out and embedded elsewhere. The pipeline is
 * decode (strict, bounded) -> validate -> compile to an internal code ->
 * instantiate -> call. Traps and errors are values returned to the caller;
 * the engine installs no signal handler and never longjmps across this API.
 *
 * Objects and ownership
 *   kw_module    decoded, validated and compiled code. Immutable; reference
 *                counted, so instances keep it alive after kw_module_free.
 *   kw_store     owns every runtime object made in it (instances, functions,
 *                memories, tables, globals) and the execution stack, fuel and
 *                limits. kw_store_free frees them all at once. Objects of one
 *                store must never be used with another. A store is used by
 *                one thread at a time.
 *   kw_instance, kw_func, kw_memory, kw_table, kw_global
 *                owned by their store; never freed one by one.
 *
 * Status codes
 *   Every fallible function returns KW_OK (0) or one of the codes below, and
 *   fills the caller's kw_error with the code, a message and, for module
 *   bytes, the byte offset where the problem was found. Codes are stable:
 *   never renumbered, never reused. Host functions may return any positive
 *   code of their own (>= KW_HOST_CODE_BASE); the engine passes it through
 *   unchanged as the result of the call.
 */
#ifndef KAPSULE_WASM_H
#define KAPSULE_WASM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KW_API __attribute__((visibility("default")))
#define KW_NODISCARD __attribute__((warn_unused_result))
#else
#define KW_API
#define KW_NODISCARD
#endif

/*
 * The engine's part of the project-wide error table: X(name, number,
 * "E_NAME", "what it means"). Numbers 1..99 are shared generic codes,
 * 100..199 module decoding, validation and linking, 200..299 traps.
 */
#define KW_STATUS_LIST(X)                                                     \
    X(KW_OK, 0, "OK", "success")                                              \
    X(KW_E_NOMEM, 1, "E_NOMEM", "out of memory")                              \
    X(KW_E_ARG, 10, "E_ARG", "invalid argument to an API call")               \
    X(KW_E_NOT_FOUND, 5, "E_NOT_FOUND", "no such item")                       \
    /* decoding: the bytes are not a well-formed module */                     \
    X(KW_E_MALFORMED, 100, "E_WASM_MALFORMED", "malformed module")            \
    X(KW_E_MAGIC, 101, "E_WASM_MAGIC", "bad magic number")                    \
    X(KW_E_VERSION, 102, "E_WASM_VERSION", "unknown binary version")          \
    X(KW_E_EOF, 103, "E_WASM_TRUNCATED", "unexpected end of module")          \
    X(KW_E_LEB, 104, "E_WASM_LEB128", "integer representation too long or too large") \
    X(KW_E_SECTION, 105, "E_WASM_SECTION", "bad section id, order or size")   \
    X(KW_E_UTF8, 106, "E_WASM_UTF8", "malformed UTF-8 name")                  \
    X(KW_E_OPCODE, 107, "E_WASM_OPCODE", "illegal opcode")                    \
    X(KW_E_DATACOUNT, 108, "E_WASM_DATACOUNT", "data count and data section disagree") \
    /* implementation limits (set in kw_config) */                             \
    X(KW_E_LIMIT_MODULE_SIZE, 120, "E_WASM_LIMIT_MODULE_SIZE", "module larger than the limit") \
    X(KW_E_LIMIT_COUNT, 121, "E_WASM_LIMIT_COUNT", "too many items in a section") \
    X(KW_E_LIMIT_FUNCS, 122, "E_WASM_LIMIT_FUNCS", "too many functions")      \
    X(KW_E_LIMIT_LOCALS, 123, "E_WASM_LIMIT_LOCALS", "too many locals")       \
    X(KW_E_LIMIT_NESTING, 124, "E_WASM_LIMIT_NESTING", "blocks nested too deeply") \
    X(KW_E_LIMIT_BR_TABLE, 125, "E_WASM_LIMIT_BR_TABLE", "br_table too large")\
    X(KW_E_LIMIT_MEMORY, 126, "E_WASM_LIMIT_MEMORY", "memory larger than the limit") \
    X(KW_E_LIMIT_TABLE, 127, "E_WASM_LIMIT_TABLE", "table larger than the limit") \
    X(KW_E_LIMIT_CODE, 128, "E_WASM_LIMIT_CODE", "function body too large")   \
    /* validation: well-formed but not valid */                                \
    X(KW_E_INVALID, 140, "E_WASM_INVALID", "invalid module")                  \
    X(KW_E_TYPE_MISMATCH, 141, "E_WASM_TYPE_MISMATCH", "type mismatch")       \
    X(KW_E_UNKNOWN_INDEX, 142, "E_WASM_UNKNOWN_INDEX", "index out of range")  \
    /* linking */                                                              \
    X(KW_E_UNKNOWN_IMPORT, 160, "E_WASM_UNKNOWN_IMPORT", "unknown import")    \
    X(KW_E_INCOMPATIBLE_IMPORT, 161, "E_WASM_INCOMPATIBLE_IMPORT", "incompatible import type") \
    /* traps */                                                                \
    X(KW_TRAP_UNREACHABLE, 200, "E_TRAP_UNREACHABLE", "unreachable executed") \
    X(KW_TRAP_MEMORY_OOB, 201, "E_TRAP_MEMORY_OOB", "out of bounds memory access") \
    X(KW_TRAP_TABLE_OOB, 202, "E_TRAP_TABLE_OOB", "out of bounds table access") \
    X(KW_TRAP_UNINITIALIZED, 203, "E_TRAP_UNINITIALIZED_ELEMENT", "uninitialized element") \
    X(KW_TRAP_UNDEFINED, 204, "E_TRAP_UNDEFINED_ELEMENT", "undefined element") \
    X(KW_TRAP_INDIRECT_TYPE, 205, "E_TRAP_INDIRECT_CALL_TYPE", "indirect call type mismatch") \
    X(KW_TRAP_DIV_ZERO, 206, "E_TRAP_DIV_ZERO", "integer divide by zero")     \
    X(KW_TRAP_INT_OVERFLOW, 207, "E_TRAP_INT_OVERFLOW", "integer overflow")   \
    X(KW_TRAP_CONVERSION, 208, "E_TRAP_CONVERSION", "invalid conversion to integer") \
    X(KW_TRAP_CALL_DEPTH, 209, "E_TRAP_CALL_DEPTH", "call stack exhausted")   \
    X(KW_TRAP_STACK, 210, "E_TRAP_STACK_OVERFLOW", "value stack exhausted")   \
    X(KW_TRAP_FUEL, 211, "E_TRAP_OUT_OF_FUEL", "out of fuel")                 \
    X(KW_TRAP_HOST, 212, "E_TRAP_HOST", "host function failed")

typedef enum kw_status {
#define KW_ENUM_(name, num, str, msg) name = num,
    KW_STATUS_LIST(KW_ENUM_)
#undef KW_ENUM_
    KW_HOST_CODE_BASE = 300
} kw_status;

/* "E_TRAP_UNREACHABLE" for KW_TRAP_UNREACHABLE; NULL for unknown codes. */
KW_API const char *kw_status_name(int code);
/* A short description of the code; "unknown status" for unknown codes. */
KW_API const char *kw_status_message(int code);
/* Non-zero when code is one of the engine's traps (200..299). */
KW_API int kw_status_is_trap(int code);

#define KW_ERROR_MSG_BYTES 256
#define KW_NO_OFFSET UINT64_MAX

/* Filled by every fallible call. Owned by the caller; plain data. */
typedef struct kw_error {
    int code;                      /* kw_status or a host code */
    uint64_t offset;               /* byte offset in the module, or KW_NO_OFFSET */
    char msg[KW_ERROR_MSG_BYTES];  /* NUL-terminated, never empty on error */
} kw_error;

/* ---- values ------------------------------------------------------------ */

/* Value types use their binary encodings. */
enum {
    KW_I32 = 0x7f,
    KW_I64 = 0x7e,
    KW_F32 = 0x7d,
    KW_F64 = 0x7c,
    KW_V128 = 0x7b,
    KW_FUNCREF = 0x70,
    KW_EXTERNREF = 0x6f
};

/* The text name of a value type ("i32", "funcref", ...); "?" for a byte
   that is not one. */
KW_API const char *kw_valtype_name(uint8_t t);

typedef struct kw_func kw_func;

/*
 * An untyped value: its type comes from the function or global it belongs
 * to. Floats are carried as their IEEE-754 bit patterns so that NaN payloads
 * survive. A funcref is a kw_func pointer; an externref is an opaque host
 * pointer. Null references are NULL.
 */
typedef union kw_val {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32;
    uint64_t f64;
    kw_func *func;
    void *ref;
    uint64_t raw;
} kw_val;

/* ---- configuration and limits ----------------------------------------- */

/*
 * Zero in any field means "the default" (in brackets). Decoder limits apply
 * to kw_module_new, runtime limits to kw_store_new.
 */
typedef struct kw_config {
    /* decoder */
    uint64_t max_module_bytes;  /* [64 MiB] */
    uint32_t max_funcs;         /* functions, imported + defined [1,000,000] */
    uint32_t max_locals;        /* locals of one function, params included [50,000] */
    uint32_t max_nesting;       /* block nesting depth [1,024] */
    uint32_t max_br_table;      /* br_table targets [100,000] */
    uint32_t max_section_items; /* items in any one section [1,000,000] */
    uint32_t max_body_bytes;    /* one function body [16 MiB] */
    /* runtime */
    uint32_t max_memory_pages;  /* pages of one memory [65,536 = 4 GiB] */
    uint32_t max_table_elems;   /* elements of one table [10,000,000] */
    uint32_t max_call_depth;    /* nested calls [10,000] */
    uint32_t max_stack_bytes;   /* value stack [8 MiB] */
    /* compilation */
    int no_metering;            /* 1: compile without fuel accounting */
} kw_config;

/* ---- modules ------------------------------------------------------------ */

typedef struct kw_module kw_module;

/*
 * Decodes, validates and compiles a module. bytes are borrowed for the call.
 * cfg may be NULL (defaults). On success *out owns one reference that the
 * caller releases with kw_module_free. On failure *out is untouched and err
 * names the code and the byte offset.
 */
KW_API KW_NODISCARD int kw_module_new(const kw_config *cfg, const uint8_t *bytes,
                                      size_t len, kw_module **out, kw_error *err);
/* Releases the caller's reference. NULL does nothing. */
KW_API void kw_module_free(kw_module *m);
/* Takes one more reference (released with kw_module_free) and returns m,
   so that one compiled module serves many stores: it is immutable. */
KW_API kw_module *kw_module_ref(kw_module *m);

/* External kinds, as in the binary format. */
enum { KW_EXTERN_FUNC = 0, KW_EXTERN_TABLE = 1, KW_EXTERN_MEMORY = 2, KW_EXTERN_GLOBAL = 3 };

typedef struct kw_limits {
    uint32_t min;
    uint32_t max;
    int has_max;
} kw_limits;

/*
 * Describes an import or export of a module. Names point into the module
 * and live as long as it does; they are not NUL-terminated and may hold any
 * bytes (valid UTF-8), NUL included.
 */
typedef struct kw_extern_desc {
    const char *module;       /* imports only */
    size_t module_len;
    const char *name;
    size_t name_len;
    int kind;                 /* KW_EXTERN_* */
    /* KW_EXTERN_FUNC */
    const uint8_t *params;
    uint32_t nparams;
    const uint8_t *results;
    uint32_t nresults;
    /* KW_EXTERN_TABLE: elem type; KW_EXTERN_GLOBAL: value type */
    uint8_t valtype;
    int mut;                  /* KW_EXTERN_GLOBAL */
    kw_limits limits;         /* KW_EXTERN_TABLE, KW_EXTERN_MEMORY */
} kw_extern_desc;

KW_API uint32_t kw_module_import_count(const kw_module *m);
KW_API uint32_t kw_module_export_count(const kw_module *m);
/* Fill *d for import/export i; KW_E_NOT_FOUND when i is out of range. */
KW_API int kw_module_import(const kw_module *m, uint32_t i, kw_extern_desc *d);
KW_API int kw_module_export(const kw_module *m, uint32_t i, kw_extern_desc *d);

/* ---- stores ------------------------------------------------------------- */

typedef struct kw_store kw_store;

/* A new empty store. cfg may be NULL. Returns NULL when out of memory. */
KW_API kw_store *kw_store_new(const kw_config *cfg);
/* Frees the store and every object in it. NULL does nothing. */
KW_API void kw_store_free(kw_store *s);

/*
 * Fuel. Metered code (the default) charges fuel for every instruction it
 * executes, folded per basic block, and for bulk operations by size, from
 * the cost table in src/wasm/fuel.h. Calls trap with KW_TRAP_FUEL when the
 * budget would go below zero; the count at which that happens is the same on
 * every machine and build. A new store has an unlimited budget (UINT64_MAX).
 */
KW_API void kw_store_set_fuel(kw_store *s, uint64_t fuel);
KW_API uint64_t kw_store_fuel_left(const kw_store *s);
/* Fuel consumed since the last kw_store_set_fuel (or the store's creation). */
KW_API uint64_t kw_store_fuel_used(const kw_store *s);
/* Largest total of linear-memory bytes held by the store at any time. */
KW_API uint64_t kw_store_peak_memory(const kw_store *s);

/* ---- runtime objects --------------------------------------------------- */

typedef struct kw_instance kw_instance;
typedef struct kw_memory kw_memory;
typedef struct kw_table kw_table;
typedef struct kw_global kw_global;

typedef struct kw_extern {
    int kind;  /* KW_EXTERN_* */
    union {
        kw_func *func;
        kw_table *table;
        kw_memory *memory;
        kw_global *global;
    } u;
} kw_extern;

/* The context a host function runs in. Valid only during that call. */
typedef struct kw_call_ctx kw_call_ctx;

/*
 * A host function. args holds nparams values and results receives nresults
 * values, typed by the function's signature; results may share memory with
 * args, so read every argument before writing a result. Return KW_OK, or a
 * trap code (an engine trap or a host code >= KW_HOST_CODE_BASE) after
 * optionally describing it with kw_call_ctx_trap.
 */
typedef int (*kw_host_fn)(kw_call_ctx *ctx, void *user, const kw_val *args,
                          kw_val *results);

/* The store and the instance whose code made the call (NULL at top level). */
KW_API kw_store *kw_call_ctx_store(kw_call_ctx *ctx);
KW_API kw_instance *kw_call_ctx_instance(kw_call_ctx *ctx);
/* Memory 0 of the calling instance, or NULL. */
KW_API kw_memory *kw_call_ctx_memory(kw_call_ctx *ctx);
/* Records a message for the trap the host function is about to return. */
KW_API int kw_call_ctx_trap(kw_call_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * A host function of type params -> results. The type arrays are copied.
 * Returns NULL when out of memory or when a type byte is not a value type.
 */
KW_API kw_func *kw_func_new_host(kw_store *s, const uint8_t *params, uint32_t nparams,
                                 const uint8_t *results, uint32_t nresults,
                                 kw_host_fn fn, void *user);
/* The function's signature; arrays live as long as the store. */
KW_API void kw_func_type(const kw_func *f, const uint8_t **params, uint32_t *nparams,
                         const uint8_t **results, uint32_t *nresults);

/*
 * Calls f. nargs and nresults must match its type (KW_E_ARG otherwise).
 * Returns KW_OK with results filled, or a trap / host code with err filled
 * (results then undefined). Fuel used is charged to the store. A call may
 * be made from inside a host function (re-entrance counts toward the call
 * depth limit).
 */
KW_API KW_NODISCARD int kw_call(kw_store *s, kw_func *f, const kw_val *args,
                                uint32_t nargs, kw_val *results, uint32_t nresults,
                                kw_error *err);

/* Memories. Sizes in bytes are 64-bit; pages are 64 KiB. */
#define KW_PAGE_SIZE 65536u
KW_API KW_NODISCARD int kw_memory_new(kw_store *s, kw_limits lim, kw_memory **out,
                                      kw_error *err);
KW_API uint64_t kw_memory_size(const kw_memory *m);
/* Base of the memory's bytes; valid until the memory grows. */
KW_API uint8_t *kw_memory_data(kw_memory *m);
/*
 * A pointer to len bytes at offset, or NULL when [offset, offset+len) is not
 * inside the memory. The only way host code should reach guest memory.
 * Valid until the memory grows.
 */
KW_API uint8_t *kw_memory_slice(kw_memory *m, uint64_t offset, uint64_t len);
/* Grows by delta pages; *old_pages gets the previous size. Fails (no trap)
   with KW_E_LIMIT_MEMORY past the max or the store's limit. */
KW_API int kw_memory_grow(kw_memory *m, uint32_t delta, uint32_t *old_pages);

/* Tables of references. */
KW_API KW_NODISCARD int kw_table_new(kw_store *s, uint8_t elemtype, kw_limits lim,
                                     void *init, kw_table **out, kw_error *err);
KW_API uint32_t kw_table_size(const kw_table *t);
/* KW_TRAP_TABLE_OOB when i is out of range. */
KW_API int kw_table_get(const kw_table *t, uint32_t i, void **ref);
KW_API int kw_table_set(kw_table *t, uint32_t i, void *ref);

/* Globals. */
KW_API KW_NODISCARD int kw_global_new(kw_store *s, uint8_t valtype, int mut, kw_val v,
                                      kw_global **out, kw_error *err);
KW_API kw_val kw_global_get(const kw_global *g);
KW_API void kw_global_set(kw_global *g, kw_val v);
KW_API void kw_global_type(const kw_global *g, uint8_t *valtype, int *mut);

/* ---- instances ---------------------------------------------------------- */

/*
 * Called once per import, in order. Fill *out with an object of this store
 * and return KW_OK; any other return makes instantiation fail with
 * KW_E_UNKNOWN_IMPORT. The engine then checks the object's type against the
 * import (KW_E_INCOMPATIBLE_IMPORT).
 */
typedef int (*kw_resolve_fn)(void *user, const kw_module *m, uint32_t import_index,
                             const kw_extern_desc *d, kw_extern *out);

/*
 * Instantiates m in s: resolves imports, allocates memories, tables and
 * globals, applies active segments in order (an out-of-bounds segment traps
 * after earlier segments were written, as the spec says) and runs the start
 * function. On success *out is owned by the store. On failure (link error,
 * trap) *out is untouched; writes already made to imported objects remain.
 */
KW_API KW_NODISCARD int kw_instantiate(kw_store *s, const kw_module *m, kw_resolve_fn resolve,
                                       void *user, kw_instance **out, kw_error *err);

/* Looks up an export by name (bytes, length). KW_E_NOT_FOUND if absent. */
KW_API int kw_instance_export(kw_instance *inst, const char *name, size_t len,
                              kw_extern *out);
/* Memory 0 of the instance, or NULL when it has none. */
KW_API kw_memory *kw_instance_memory(kw_instance *inst);
KW_API const kw_module *kw_instance_module(const kw_instance *inst);

/* ---- the spectest module ------------------------------------------------- */

/*
 * The "spectest" host module of the WebAssembly core test suite: print
 * functions, the globals global_i32/i64/f32/f64 (666, 666, 666.6, 666.6), a
 * funcref table of 10..20 elements and a memory of 1..2 pages. Made in s
 * and owned by it; verbose print functions write their arguments to stdout.
 * Returns NULL when out of memory.
 */
typedef struct kw_spectest kw_spectest;
KW_API kw_spectest *kw_spectest_new(kw_store *s, int verbose);
/* The export called name (bytes, length), or KW_E_NOT_FOUND. */
KW_API int kw_spectest_lookup(kw_spectest *st, const char *name, size_t len, kw_extern *out);

#ifdef __cplusplus
}
#endif
#endif /* KAPSULE_WASM_H */
