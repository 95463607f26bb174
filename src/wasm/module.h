/*
 * module.h: the decoded form of a module, the contract between the
 * decoder (decode.c fills it), the validator (validate.c checks it and the
 * code bodies), the compiler (compile.c turns bodies into internal code) and
 * instantiation (instance.c). kw_module_new (module.c) runs the three
 * passes in that order; a module that leaves kw_module_new is valid and
 * compiled, and is never changed again.
 *
 * Index spaces follow the spec: imported functions, tables, memories and
 * globals come first in their space, then the module's own. Every index
 * stored here was checked by the validator, so later passes trust it.
 * Names and code bodies are (offset, length) pairs into m->bytes, the
 * module's own copy of its binary.
 */
#ifndef KW_MODULE_H
#define KW_MODULE_H

#include <stdint.h>

#include "kapsule_wasm.h"

typedef struct wm_functype {
    uint32_t nparams, nresults;
    const uint8_t *params;  /* into m->typebytes */
    const uint8_t *results; /* into m->typebytes */
} wm_functype;

/*
 * A constant expression. WebAssembly 2.0 allows exactly one instruction
 * before `end`: t.const, ref.null t, ref.func x or global.get x (of an
 * imported global).
 */
typedef struct wm_const {
    uint16_t op;      /* OP_I32_CONST, OP_I64_CONST, OP_F32_CONST, OP_F64_CONST,
                         OP_REF_NULL, OP_REF_FUNC or OP_GLOBAL_GET */
    uint8_t type;     /* the value type it produces */
    uint64_t value;   /* constant bits, or the function / global index */
    uint32_t offset;  /* where it starts in the binary, for messages */
} wm_const;

typedef struct wm_import {
    uint32_t module_off, module_len; /* into m->bytes */
    uint32_t name_off, name_len;     /* into m->bytes */
    uint8_t kind;                    /* KW_EXTERN_* */
    uint32_t index;                  /* index in its own space (func, table, ...) */
} wm_import;

typedef struct wm_export {
    uint32_t name_off, name_len;
    uint8_t kind;
    uint32_t index;
} wm_export;

typedef struct wm_table {
    uint8_t elemtype; /* KW_FUNCREF or KW_EXTERNREF */
    kw_limits limits;
} wm_table;

typedef struct wm_global {
    uint8_t type;
    uint8_t mut;
    wm_const init; /* defined globals only */
} wm_global;

enum { WM_SEG_ACTIVE = 0, WM_SEG_PASSIVE = 1, WM_SEG_DECLARATIVE = 2 };

typedef struct wm_elem {
    uint8_t mode;     /* WM_SEG_* */
    uint8_t reftype;  /* KW_FUNCREF or KW_EXTERNREF */
    uint8_t exprs;    /* items were expressions (flags bit 2), not bare
                         function indexes; the validator re-reads them */
    uint32_t table;   /* active only */
    wm_const offset;  /* active only: an i32 expression */
    uint32_t count;
    wm_const *items;  /* count expressions (ref.func, ref.null, global.get) */
} wm_elem;

typedef struct wm_data {
    uint8_t mode;     /* WM_SEG_ACTIVE or WM_SEG_PASSIVE */
    uint32_t memory;  /* active only */
    wm_const offset;  /* active only */
    uint32_t off, len; /* the bytes, into m->bytes */
} wm_data;

/* A run of locals of one type, as the binary declares them. */
typedef struct wm_locals {
    uint32_t count;
    uint8_t type;
} wm_locals;

typedef struct wm_body {
    uint32_t entry_off;   /* where the body's size field starts (for messages) */
    uint32_t code_off;    /* the instructions, after the local declarations */
    uint32_t code_len;    /* ending with the final `end` */
    uint32_t nlocals;     /* declared locals, parameters excluded */
    uint32_t first_group; /* into m->localgroups */
    uint32_t ngroups;
} wm_body;

struct wc_func; /* compiled code of one function, see compile.h */

struct kw_module {
    int refs;                    /* see kw_module_free */
    kw_config cfg;               /* the limits it was decoded with, defaults filled */
    uint8_t *bytes;              /* own copy of the binary */
    size_t len;

    uint32_t ntypes;
    wm_functype *types;
    uint8_t *typebytes;          /* all param and result types, back to back */

    uint32_t nimports;
    wm_import *imports;

    uint32_t nfuncs;             /* imported + defined */
    uint32_t nfunc_imports;
    uint32_t *func_types;        /* nfuncs type indexes */

    uint32_t ntables, ntable_imports;
    wm_table *tables;            /* ntables, imported first */

    uint32_t nmems, nmem_imports;
    kw_limits *mems;             /* nmems (0 or 1 in 2.0), imported first */

    uint32_t nglobals, nglobal_imports;
    wm_global *globals;          /* nglobals, imported first (no init) */

    uint32_t nexports;
    wm_export *exports;

    int has_start;
    uint32_t start;

    uint32_t nelems;
    wm_elem *elems;

    int has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    wm_data *datas;

    wm_body *bodies;             /* nfuncs - nfunc_imports */
    uint32_t nlocalgroups;
    wm_locals *localgroups;

    /*
     * C.refs of the spec: functions named outside function bodies (exports,
     * global initialisers, element segments). ref.func in a body is valid
     * only for these. Bitmap of nfuncs bits; set by the decoder.
     */
    uint8_t *declared_funcs;

    /* Filled by the compiler: one per defined function. */
    struct wc_func *code;
};

/* Implemented in decode.c. Decodes m->bytes[0..m->len) into m (whose cfg is
   already filled). On failure err has the code and offset and m holds only
   what dec_module_free releases. */
int dec_module(kw_module *m, kw_error *err);
/* Frees everything dec_module allocated (not m->bytes, not m itself). */
void dec_module_free(kw_module *m);

/* Implemented in validate.c: the spec's validation of the whole module,
   function bodies included. */
int val_module(const kw_module *m, kw_error *err);

/* Helpers shared by the passes (module.c). */
static inline const wm_functype *wm_func_type(const kw_module *m, uint32_t func)
{
    return &m->types[m->func_types[func]];
}
static inline int wm_func_declared(const kw_module *m, uint32_t func)
{
    return (m->declared_funcs[func >> 3] >> (func & 7)) & 1;
}
/* The i-th local's type (parameters first) of defined function `def`;
   linear in the number of local groups. */
uint8_t wm_local_type(const kw_module *m, uint32_t def, uint32_t i);

/* Fills defaults for zero fields of a user config (cfg may be NULL). */
void wm_config_defaults(kw_config *out, const kw_config *cfg);

#endif
