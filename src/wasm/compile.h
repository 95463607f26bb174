/*
 * compile.h: turns each validated function body into the internal code the
 * interpreter runs (see interp.c for its layout). Trusts the validator: a
 * check made there is never repeated here.
 */
#ifndef KW_COMPILE_H
#define KW_COMPILE_H

#include "wasm/module.h"

/* Compiles every defined function of a validated module into m->code. */
int cmp_module(kw_module *m, kw_error *err);
/* Frees m->code. */
void cmp_module_free(kw_module *m);

#endif
