/*
 * wasm_fuzz.c: the engine on arbitrary bytes. kw_module_new (small limits)
 * must accept or reject without crashing, with a code of the table, a
 * message and an offset inside the input. An accepted module is then
 * instantiated in a small store whose imports are all satisfied by dummy
 * objects of the asked type (host functions that return zeros), and every
 * exported function is called with zero arguments under a small fuel
 * budget and call depth: each call returns normally or traps with a trap
 * code, never anything else.
 *
 * KW_FUZZ_DECODE_ONLY=1 in the environment stops after kw_module_new (to
 * fuzz the decoder and validator alone).
 *
 * Seeds: tests/corpus/wasm/ holds a few small spec modules and every
 * finding (make test replays them). For a long run, seed from the suite:
 *   mkdir -p /tmp/wasm-seeds
 *   find ../shared/wasm-spec/core -name '*.wasm' -exec cp {} /tmp/wasm-seeds/ \;
 *   build/fuzz/wasm_fuzz -max_len=65536 /tmp/wasm-corpus /tmp/wasm-seeds tests/corpus/wasm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kapsule_wasm.h"

#define CHECK(c)                                                                     \
    do {                                                                             \
        if (!(c)) abort();                                                           \
    } while (0)

#define FUEL 200000
#define MAX_ARGS 1000

static int decode_only = -1;

static kw_config config(void)
{
    kw_config c;
    memset(&c, 0, sizeof c);
    c.max_module_bytes = 1 << 20;
    c.max_funcs = 2000;
    c.max_locals = 2000;
    c.max_nesting = 256;
    c.max_br_table = 2000;
    c.max_section_items = 20000;
    c.max_body_bytes = 1 << 17;
    c.max_memory_pages = 16;
    c.max_table_elems = 10000;
    c.max_call_depth = 100;
    c.max_stack_bytes = 1 << 16;
    return c;
}

static int zeros(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *results)
{
    (void)ctx;
    (void)args;
    uint32_t n = (uint32_t)(uintptr_t)user;
    for (uint32_t i = 0; i < n; i++) results[i].raw = 0;
    return KW_OK;
}

static int resolve(void *user, const kw_module *m, uint32_t i, const kw_extern_desc *d,
                   kw_extern *out)
{
    (void)m;
    (void)i;
    kw_store *s = user;
    kw_error err;
    out->kind = d->kind;
    switch (d->kind) {
    case KW_EXTERN_FUNC:
        out->u.func = kw_func_new_host(s, d->params, d->nparams, d->results, d->nresults, zeros,
                                       (void *)(uintptr_t)d->nresults);
        return out->u.func ? KW_OK : KW_E_NOMEM;
    case KW_EXTERN_TABLE:
        return kw_table_new(s, d->valtype, d->limits, NULL, &out->u.table, &err);
    case KW_EXTERN_MEMORY: return kw_memory_new(s, d->limits, &out->u.memory, &err);
    case KW_EXTERN_GLOBAL: {
        kw_val v;
        v.raw = 0;
        return kw_global_new(s, d->valtype, d->mut, v, &out->u.global, &err);
    }
    }
    return KW_E_NOT_FOUND;
}

static void run(const kw_module *m, const kw_config *cfg)
{
    kw_store *s = kw_store_new(cfg);
    if (!s) return;
    kw_instance *inst = NULL;
    kw_error err;
    memset(&err, 0, sizeof err);
    int rc = kw_instantiate(s, m, resolve, s, &inst, &err);
    if (rc != KW_OK) {
        CHECK(inst == NULL);
        CHECK(rc == KW_E_UNKNOWN_IMPORT || rc == KW_E_INCOMPATIBLE_IMPORT || rc == KW_E_NOMEM ||
              rc == KW_E_LIMIT_MEMORY || rc == KW_E_LIMIT_TABLE || kw_status_is_trap(rc));
        kw_store_free(s);
        return;
    }
    kw_val *args = calloc(MAX_ARGS, sizeof *args);
    kw_val *res = calloc(MAX_ARGS, sizeof *res);
    for (uint32_t i = 0; args && res && i < kw_module_export_count(m); i++) {
        kw_extern_desc d;
        CHECK(kw_module_export(m, i, &d) == KW_OK);
        if (d.kind != KW_EXTERN_FUNC || d.nparams > MAX_ARGS || d.nresults > MAX_ARGS) continue;
        kw_extern ext;
        CHECK(kw_instance_export(inst, d.name, d.name_len, &ext) == KW_OK);
        CHECK(ext.kind == KW_EXTERN_FUNC && ext.u.func);
        memset(args, 0, MAX_ARGS * sizeof *args);
        kw_store_set_fuel(s, FUEL);
        memset(&err, 0, sizeof err);
        rc = kw_call(s, ext.u.func, args, d.nparams, res, d.nresults, &err);
        CHECK(rc == KW_OK || kw_status_is_trap(rc) || rc == KW_E_NOMEM);
        if (rc != KW_OK) CHECK(err.code == rc && err.msg[0]);
        CHECK(kw_store_fuel_used(s) <= FUEL);
    }
    free(args);
    free(res);
    kw_store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (decode_only < 0) {
        const char *e = getenv("KW_FUZZ_DECODE_ONLY");
        decode_only = e && *e && *e != '0';
    }
    kw_config cfg = config();
    kw_module *m = NULL;
    kw_error err;
    memset(&err, 0, sizeof err);
    int rc = kw_module_new(&cfg, data, size, &m, &err);
    if (rc != KW_OK) {
        CHECK(m == NULL);
        CHECK(err.code == rc && err.msg[0]);
        CHECK((rc >= 100 && rc < 160) || rc == KW_E_NOMEM);
        CHECK(err.offset == KW_NO_OFFSET || err.offset <= size);
        return 0;
    }
    /* introspection stays inside the module */
    for (uint32_t i = 0; i < kw_module_import_count(m); i++) {
        kw_extern_desc d;
        CHECK(kw_module_import(m, i, &d) == KW_OK);
        CHECK(d.kind >= KW_EXTERN_FUNC && d.kind <= KW_EXTERN_GLOBAL);
        CHECK(d.name_len <= size && d.module_len <= size);
    }
    if (!decode_only) run(m, &cfg);
    kw_module_free(m);
    return 0;
}
