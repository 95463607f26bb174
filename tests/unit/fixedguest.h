/*
 * fixedguest.h: one guest that imports every host function and exports
 * call_<name> for each, with the same parameters and an i64 result (i32
 * results sign-extended, none as 0), so that a test or a fuzzer can drive
 * any host call with any arguments. It also exports kapsule_run (returns
 * 0), kapsule_alloc (always 4096) and the method "count" (the number of
 * handles the instance holds, as a 4-byte result), so that it can be
 * invoked too. Memory: 2 pages; bytes 512.. hold FG_DATA.
 */
#ifndef KP_TEST_FIXEDGUEST_H
#define KP_TEST_FIXEDGUEST_H

#include <stdio.h>

#include "host/internal.h"
#include "wasmgen.h"

#define FG_DATA "hello world, this is guest data"

static inline uint8_t *fg_build(size_t *len)
{
    wg m;
    wg_init(&m);
    m.pages = 2;
    for (size_t i = 0; i < host_nfns; i++)
        wg_import(&m, host_fns[i].module, host_fns[i].name, host_fns[i].params, host_fns[i].results);
    wg_data(&m, 512, FG_DATA, sizeof FG_DATA - 1);
    char *names[WG_MAX];
    for (size_t i = 0; i < host_nfns; i++) {
        const host_fn *f = &host_fns[i];
        wg_code c = {0};
        for (size_t k = 0; f->params[k]; k++) wg_local_get(&c, (int)k);
        wg_call(&c, (int)i);
        if (f->results[0] == 'i')
            wg_op(&c, 0xac); /* i64.extend_i32_s */
        else if (!f->results[0])
            wg_i64(&c, 0);
        names[i] = malloc(64);
        snprintf(names[i], 64, "call_%s", f->name);
        wg_func(&m, names[i], f->params, "I", &c);
    }
    wg_code run = {0}, alloc = {0}, count = {0};
    wg_i32(&run, 0);
    wg_func(&m, "kapsule_run", "", "i", &run);
    wg_i32(&alloc, 4096);
    wg_func(&m, "kapsule_alloc", "i", "i", &alloc);
    /* count: mem[0..4) = handle_list(8, 0); return 4 << 32 | 0 */
    int hl = -1;
    for (size_t i = 0; i < host_nfns; i++)
        if (strcmp(host_fns[i].name, "handle_list") == 0) hl = (int)i;
    wg_i32(&count, 0);
    wg_i32(&count, 8);
    wg_i32(&count, 0);
    wg_call(&count, hl);
    wg_mem(&count, OP_I32_STORE, 2, 0);
    wg_i64(&count, (int64_t)4 << 32);
    wg_func(&m, "count", "ii", "I", &count);
    uint8_t *p;
    wg_finish(&m, &p, len);
    for (size_t i = 0; i < host_nfns; i++) free(names[i]);
    return p;
}

/* Calls call_<name> of the run's instance; the i64 result in *ret. */
static inline int fg_call(host_run *r, const char *name, const kw_val *args, uint32_t n,
                          int64_t *ret, kw_error *kerr)
{
    char ex[64];
    kw_extern e;
    snprintf(ex, sizeof ex, "call_%s", name);
    if (kw_instance_export(host_run_instance(r), ex, strlen(ex), &e)) return KP_E_NOT_FOUND;
    kw_val out = {.raw = 0};
    int rc = kw_call(host_run_store(r), e.u.func, args, n, &out, 1, kerr);
    *ret = (int64_t)out.i64;
    return rc;
}

#endif
