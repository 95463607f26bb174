/*
 * compile.h: turns each validated function body into the internal code the
 * interpreter runs (ops.h). Trusts the validator: a check made there is
 * never repeated here.
 *
 * Frame layout of a compiled function, in 64-bit slots from fp:
 *   [0, nparams)            parameters (the caller's argument slots)
 *   [nparams, nlocals)      declared locals, zeroed on entry
 *   [nlocals, frame_slots)  the operand stack: the value at height h lives
 *                           in slot nlocals + h
 * Results are returned in [0, nresults). A call places its arguments at
 * the top of the caller's operand stack, and the callee's frame starts
 * there, so arguments and results are never copied.
 */
#ifndef KW_COMPILE_H
#define KW_COMPILE_H

#include <stdio.h>

#include "wasm/module.h"

typedef struct wc_func {
    uint32_t *code;        /* instruction words */
    uint32_t ncode;
    uint32_t index;        /* function index in the module */
    uint32_t nparams, nresults;
    uint32_t nlocals;      /* parameters included */
    uint32_t frame_slots;  /* slots the frame needs, >= nlocals and >= nresults */
    uint32_t entry_fuel;   /* charged when the function is entered */
    uint8_t metered;       /* compiled for the metered interpreter */
} wc_func;

/* Compiles every defined function of a validated module into m->code. */
int cmp_module(kw_module *m, kw_error *err);
/* Frees m->code. */
void cmp_module_free(kw_module *m);
/* Prints defined function def's code (dump.c; for engine developers). */
void cmp_dump(const kw_module *m, uint32_t def, FILE *f);

#endif
