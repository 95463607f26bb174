/*
 * runtime.h: the engine's runtime objects (store, instances, functions,
 * memories, tables, globals) as the interpreter and instantiation see
 * them. Every object is allocated in a store and freed with it; objects
 * point at each other freely because they die together.
 *
 * Invariant (little-endian hosts only, checked below): a value slot is 64
 * bits; i32 and f32 values sit in its low half with the high half zero,
 * references are pointers. kw_val has the same layout, so host arguments
 * and results are read and written in place.
 */
#ifndef KW_RUNTIME_H
#define KW_RUNTIME_H

#include <stdint.h>

#include "kapsule_wasm.h"
#include "wasm/module.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the kapsule engine assumes a little-endian host"
#endif
_Static_assert(sizeof(kw_val) == 8, "kw_val is one 64-bit slot");
_Static_assert(sizeof(void *) == 8, "the kapsule engine assumes 64-bit pointers");

/* A function type interned in its store: equal types are the same pointer,
   so call_indirect's check and import matching are pointer comparisons. */
typedef struct wr_type {
    struct wr_type *next;
    uint32_t nparams, nresults;
    uint8_t *params, *results; /* in one allocation after the struct */
} wr_type;

/* Every store object starts with this header; the store frees the list. */
typedef struct wr_obj {
    struct wr_obj *next;
    void (*destroy)(struct wr_obj *o);
} wr_obj;

struct wc_func;

struct kw_func {
    wr_obj obj;
    const wr_type *type;
    kw_instance *inst;          /* wasm functions: the owning instance */
    const struct wc_func *code; /* wasm functions: compiled code */
    kw_host_fn host;            /* host functions */
    void *user;
};

struct kw_memory {
    wr_obj obj;
    kw_store *store;
    uint8_t *data;       /* size bytes; NULL when size is 0 */
    uint64_t size;       /* bytes = pages * 64 KiB */
    uint32_t pages;
    kw_limits limits;
};

struct kw_table {
    wr_obj obj;
    kw_store *store;
    void **elems;
    uint32_t size;
    uint32_t cap;
    uint8_t elemtype;
    kw_limits limits;
};

struct kw_global {
    wr_obj obj;
    kw_val val;
    uint8_t type;
    uint8_t mut;
};

struct kw_instance {
    wr_obj obj;
    kw_store *store;
    kw_module *module;          /* holds a reference */
    const wr_type **types;      /* module type index -> interned type */
    kw_func **funcs;            /* nfuncs */
    kw_func *own_funcs;         /* the defined ones, in one allocation */
    kw_table **tables;
    kw_memory *mem0;            /* memory 0 or NULL */
    kw_global **globals;
    kw_val **gvals;             /* &globals[i]->val, for the interpreter */
    void ***elem_items;         /* per element segment: evaluated refs; NULL once dropped */
    uint32_t *elem_len;         /* per element segment: 0 once dropped */
    uint8_t *data_dropped;      /* per data segment */
};

/* One activation record on the call stack. */
typedef struct wr_frame {
    const uint32_t *ret_pc;
    uint64_t *fp;
    kw_instance *inst;
} wr_frame;

struct kw_store {
    kw_config cfg;
    wr_obj *objects;
    wr_type *types;

    /* execution state */
    uint64_t *stack;       /* value stack, stack_slots slots, made on first call */
    uint64_t stack_slots;
    uint64_t *stack_top;   /* first free slot (advanced while a host runs) */
    wr_frame *frames;      /* max_call_depth + 1 */
    uint32_t depth;        /* frames in use */
    uint32_t nest;         /* interpreter runs nested in C (host re-entry) */
    int64_t fuel;          /* left; charges never take it below zero */
    uint64_t fuel_budget;  /* as set */
    uint64_t mem_bytes;    /* linear memory held now */
    uint64_t mem_peak;
    kw_error trap;         /* message of the trap being returned */
};

struct kw_call_ctx {
    kw_store *store;
    kw_instance *inst;
};

/* store.c */
const wr_type *wr_type_intern(kw_store *s, const uint8_t *params, uint32_t np,
                              const uint8_t *results, uint32_t nr);
void wr_obj_add(kw_store *s, wr_obj *o, void (*destroy)(wr_obj *));
int wr_stack_ensure(kw_store *s, kw_error *err);
/* Grows a memory by delta pages, or returns -1 (no trap) past its max or
   the store's limit; otherwise the old page count. */
int64_t wr_memory_grow(kw_memory *m, uint32_t delta);
/* Grows a table by delta elements set to init; -1 on failure. */
int64_t wr_table_grow(kw_table *t, uint32_t delta, void *init);

/* C-level nesting of interpreter runs (a host function calling back into
   wasm, or code compiled for the other interpreter): each level costs some
   C stack, so it has a small bound of its own, well under any thread's. */
#define WR_MAX_NEST 64

/* interp.c: runs compiled function f of inst with its frame at fp (the
   arguments already in fp[0..nparams)). Results are left in fp[0..). */
int wr_run(kw_store *s, kw_instance *inst, const struct wc_func *f, uint64_t *fp);
/* The interpreter's handler table (metered or not) for the compiler. */
const void *const *wr_handlers(int metered);
/* Sets s->trap for code, naming the function that trapped when pc is in
   one of inst's functions. */
void wr_trap_message(kw_store *s, int code, const kw_instance *inst, const uint32_t *pc);

#endif
