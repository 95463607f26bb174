/*
 * spectest.c: the "spectest" host module that the WebAssembly core test
 * suite imports from (its contents follow the reference interpreter's
 * interpreter/host/spectest.ml at wg-2.0). Used by the spec runner and by
 * `kapsule exec`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wasm/runtime.h"
#include "wasm/wutil.h"

struct kw_spectest {
    wr_obj obj;
    int verbose;
    kw_extern items[13];
    const char *names[13];
};

static int print_typed(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *results,
                       const char *types)
{
    (void)ctx;
    (void)results;
    const kw_spectest *st = user;
    if (!st->verbose) return KW_OK;
    for (size_t i = 0; types[i]; i++) {
        if (i) fputc(' ', stdout);
        switch (types[i]) {
        case 'i': printf("%" PRIu32 " : i32", args[i].i32); break;
        case 'I': printf("%" PRIu64 " : i64", args[i].i64); break;
        case 'f': {
            float f;
            memcpy(&f, &args[i].f32, 4);
            printf("%g : f32", (double)f);
            break;
        }
        case 'F': {
            double d;
            memcpy(&d, &args[i].f64, 8);
            printf("%g : f64", d);
            break;
        }
        }
    }
    if (types[0]) fputc('\n', stdout);
    return KW_OK;
}

#define PRINTER_(name, types)                                                          \
    static int name(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *results) \
    {                                                                                  \
        return print_typed(ctx, user, args, results, types);                           \
    }
PRINTER_(print_fn, "")
PRINTER_(print_i32, "i")
PRINTER_(print_i64, "I")
PRINTER_(print_f32, "f")
PRINTER_(print_f64, "F")
PRINTER_(print_i32_f32, "if")
PRINTER_(print_f64_f64, "FF")
#undef PRINTER_

static void spectest_destroy(wr_obj *o)
{
    wu_free(o);
}

kw_spectest *kw_spectest_new(kw_store *s, int verbose)
{
    kw_spectest *st = wu_calloc(1, sizeof *st);
    if (!st) return NULL;
    st->verbose = verbose;
    wr_obj_add(s, &st->obj, spectest_destroy);
    static const uint8_t i32[] = {KW_I32}, i64[] = {KW_I64}, f32[] = {KW_F32}, f64[] = {KW_F64},
                         i32f32[] = {KW_I32, KW_F32}, f64f64[] = {KW_F64, KW_F64};
    struct {
        const char *name;
        const uint8_t *params;
        uint32_t n;
        kw_host_fn fn;
    } fns[] = {
        {"print", NULL, 0, print_fn},
        {"print_i32", i32, 1, print_i32},
        {"print_i64", i64, 1, print_i64},
        {"print_f32", f32, 1, print_f32},
        {"print_f64", f64, 1, print_f64},
        {"print_i32_f32", i32f32, 2, print_i32_f32},
        {"print_f64_f64", f64f64, 2, print_f64_f64},
    };
    size_t k = 0;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++, k++) {
        kw_func *f = kw_func_new_host(s, fns[i].params, fns[i].n, NULL, 0, fns[i].fn, st);
        if (!f) return NULL;
        st->names[k] = fns[i].name;
        st->items[k].kind = KW_EXTERN_FUNC;
        st->items[k].u.func = f;
    }
    struct {
        const char *name;
        uint8_t type;
        uint64_t bits;
    } globals[] = {
        {"global_i32", KW_I32, 666},
        {"global_i64", KW_I64, 666},
        {"global_f32", KW_F32, 0x4426a666u},
        {"global_f64", KW_F64, 0x4084d4cccccccccdull},
    };
    for (size_t i = 0; i < 4; i++, k++) {
        kw_val v;
        v.raw = globals[i].bits;
        if (kw_global_new(s, globals[i].type, 0, v, &st->items[k].u.global, NULL)) return NULL;
        st->names[k] = globals[i].name;
        st->items[k].kind = KW_EXTERN_GLOBAL;
    }
    kw_limits tl = {10, 20, 1}, ml = {1, 2, 1};
    if (kw_table_new(s, KW_FUNCREF, tl, NULL, &st->items[k].u.table, NULL)) return NULL;
    st->names[k] = "table";
    st->items[k++].kind = KW_EXTERN_TABLE;
    if (kw_memory_new(s, ml, &st->items[k].u.memory, NULL)) return NULL;
    st->names[k] = "memory";
    st->items[k++].kind = KW_EXTERN_MEMORY;
    return st;
}

int kw_spectest_lookup(kw_spectest *st, const char *name, size_t len, kw_extern *out)
{
    for (size_t i = 0; i < sizeof st->items / sizeof st->items[0]; i++) {
        if (st->names[i] && strlen(st->names[i]) == len && memcmp(st->names[i], name, len) == 0) {
            *out = st->items[i];
            return KW_OK;
        }
    }
    return KW_E_NOT_FOUND;
}
