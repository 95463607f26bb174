/*
 * wasm_exec_test.c: the engine's back end: calls, traps, fuel, limits,
 * host functions and re-entry, objects shared between instances.
 * Modules come from tests/wat/ (built into $BUILD/wat/).
 */
#include "test.h"

#include <stdarg.h>

#include "kapsule_wasm.h"

static uint8_t *load(const char *name, size_t *len)
{
    const char *build = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/wat/%s.wasm", build ? build : "build", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    *len = (size_t)n;
    return p;
}

typedef struct fixture {
    kw_module *m;
    kw_store *s;
    kw_instance *inst;
} fixture;

static int open_module(fixture *fx, const char *name, const kw_config *cfg,
                       kw_resolve_fn resolve, void *user)
{
    size_t len;
    uint8_t *bytes = load(name, &len);
    if (!bytes) return -1;
    kw_error err;
    int rc = kw_module_new(cfg, bytes, len, &fx->m, &err);
    free(bytes);
    if (rc) return rc;
    fx->s = kw_store_new(cfg);
    return kw_instantiate(fx->s, fx->m, resolve, user, &fx->inst, &err);
}

static void close_module(fixture *fx)
{
    kw_store_free(fx->s);
    kw_module_free(fx->m);
}

static kw_func *export_func(kw_instance *inst, const char *name)
{
    kw_extern ex;
    if (kw_instance_export(inst, name, strlen(name), &ex) || ex.kind != KW_EXTERN_FUNC) return NULL;
    return ex.u.func;
}

/* Calls name with 32/64-bit integer arguments; returns the status. */
static int call(fixture *fx, const char *name, kw_val *res, uint32_t nres, uint32_t nargs, ...)
{
    kw_val args[8];
    va_list ap;
    va_start(ap, nargs);
    for (uint32_t i = 0; i < nargs; i++) args[i].raw = va_arg(ap, uint64_t);
    va_end(ap);
    kw_func *f = export_func(fx->inst, name);
    if (!f) return -1;
    kw_error err;
    return kw_call(fx->s, f, args, nargs, res, nres, &err);
}

TEST(calls_and_results)
{
    fixture fx;
    CHECK_EQ(open_module(&fx, "exec_basic", NULL, NULL, NULL), KW_OK);
    kw_val r[2];
    CHECK_EQ(call(&fx, "add", r, 1, 2, (uint64_t)40, (uint64_t)2), KW_OK);
    CHECK_EQ(r[0].i32, 42);
    CHECK_EQ(call(&fx, "add", r, 1, 2, (uint64_t)0xffffffffu, (uint64_t)1), KW_OK);
    CHECK_EQ(r[0].i32, 0); /* wraps */
    CHECK_EQ(call(&fx, "fac", r, 1, 1, (uint64_t)20), KW_OK);
    CHECK_EQ_U64(r[0].i64, 2432902008176640000ull);
    CHECK_EQ(call(&fx, "sum", r, 1, 1, (uint64_t)100), KW_OK);
    CHECK_EQ(r[0].i32, 5050);
    CHECK_EQ(call(&fx, "swap", r, 2, 2, (uint64_t)7, (uint64_t)0x123456789ull), KW_OK);
    CHECK_EQ_U64(r[0].i64, 0x123456789ull);
    CHECK_EQ(r[1].i32, 7);
    kw_func *f = export_func(fx.inst, "add");
    kw_error err;
    CHECK_EQ(kw_call(fx.s, f, r, 1, r, 1, &err), KW_E_ARG); /* wrong arity */
    close_module(&fx);
}

TEST(traps_have_their_own_codes)
{
    fixture fx;
    CHECK_EQ(open_module(&fx, "exec_basic", NULL, NULL, NULL), KW_OK);
    kw_val r[1];
    CHECK_EQ(call(&fx, "div", r, 1, 2, (uint64_t)1, (uint64_t)0), KW_TRAP_DIV_ZERO);
    CHECK_EQ(call(&fx, "div", r, 1, 2, (uint64_t)0x80000000u, (uint64_t)0xffffffffu),
             KW_TRAP_INT_OVERFLOW);
    CHECK_EQ(call(&fx, "div", r, 1, 2, (uint64_t)7, (uint64_t)0xfffffffeu), KW_OK);
    CHECK_EQ((int32_t)r[0].i32, -3);
    CHECK_EQ(call(&fx, "load", r, 1, 1, (uint64_t)65532), KW_OK);
    CHECK_EQ(call(&fx, "load", r, 1, 1, (uint64_t)65533), KW_TRAP_MEMORY_OOB);
    CHECK_EQ(call(&fx, "load", r, 1, 1, (uint64_t)0xffffffffu), KW_TRAP_MEMORY_OOB);
    CHECK_EQ(call(&fx, "unreachable", r, 0, 0), KW_TRAP_UNREACHABLE);
    /* table: [add, fac, null, null] */
    CHECK_EQ(call(&fx, "call_ind", r, 1, 3, (uint64_t)0, (uint64_t)2, (uint64_t)3), KW_OK);
    CHECK_EQ(r[0].i32, 5);
    CHECK_EQ(call(&fx, "call_ind", r, 1, 3, (uint64_t)1, (uint64_t)2, (uint64_t)3),
             KW_TRAP_INDIRECT_TYPE);
    CHECK_EQ(call(&fx, "call_ind", r, 1, 3, (uint64_t)2, (uint64_t)2, (uint64_t)3),
             KW_TRAP_UNINITIALIZED);
    CHECK_EQ(call(&fx, "call_ind", r, 1, 3, (uint64_t)4, (uint64_t)2, (uint64_t)3),
             KW_TRAP_UNDEFINED);
    CHECK_EQ(call(&fx, "fill", r, 0, 3, (uint64_t)65000, (uint64_t)1, (uint64_t)537), KW_TRAP_MEMORY_OOB);
    /* the store is usable after a trap */
    CHECK_EQ(call(&fx, "add", r, 1, 2, (uint64_t)1, (uint64_t)2), KW_OK);
    CHECK_EQ(r[0].i32, 3);
    close_module(&fx);
}

TEST(trap_message_names_the_function)
{
    fixture fx;
    CHECK_EQ(open_module(&fx, "exec_basic", NULL, NULL, NULL), KW_OK);
    kw_func *f = export_func(fx.inst, "div");
    kw_val a[2] = {{.i32 = 1}, {.i32 = 0}}, r[1];
    kw_error err;
    CHECK_EQ(kw_call(fx.s, f, a, 2, r, 1, &err), KW_TRAP_DIV_ZERO);
    CHECK_STR(err.msg, "integer divide by zero (in function 5)");
    close_module(&fx);
}

TEST(memory_grows_to_its_max_and_no_further)
{
    fixture fx;
    CHECK_EQ(open_module(&fx, "exec_basic", NULL, NULL, NULL), KW_OK);
    kw_val r[1];
    CHECK_EQ(call(&fx, "grow", r, 1, 1, (uint64_t)1), KW_OK);
    CHECK_EQ(r[0].i32, 1);
    CHECK_EQ(call(&fx, "grow", r, 1, 1, (uint64_t)3), KW_OK);
    CHECK_EQ(r[0].i32, 0xffffffffu); /* max is 4 pages */
    CHECK_EQ(call(&fx, "store", r, 0, 2, (uint64_t)(2 * 65536 - 4), (uint64_t)99), KW_OK);
    CHECK_EQ(call(&fx, "load", r, 1, 1, (uint64_t)(2 * 65536 - 4)), KW_OK);
    CHECK_EQ(r[0].i32, 99);
    CHECK_EQ(kw_memory_size(kw_instance_memory(fx.inst)), 2 * 65536);
    close_module(&fx);
    /* the store's page limit caps growth too */
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_memory_pages = 2;
    CHECK_EQ(open_module(&fx, "exec_basic", &cfg, NULL, NULL), KW_OK);
    CHECK_EQ(call(&fx, "grow", r, 1, 1, (uint64_t)1), KW_OK);
    CHECK_EQ(r[0].i32, 1);
    CHECK_EQ(call(&fx, "grow", r, 1, 1, (uint64_t)1), KW_OK);
    CHECK_EQ(r[0].i32, 0xffffffffu);
    close_module(&fx);
}

TEST(globals_and_nan_bits)
{
    fixture fx;
    CHECK_EQ(open_module(&fx, "exec_basic", NULL, NULL, NULL), KW_OK);
    kw_val r[1];
    CHECK_EQ(call(&fx, "gget", r, 1, 0), KW_OK);
    CHECK_EQ(r[0].i32, 7);
    CHECK_EQ(call(&fx, "gset", r, 0, 1, (uint64_t)0xffffffff00000009ull), KW_OK);
    CHECK_EQ(call(&fx, "gget", r, 1, 0), KW_OK);
    CHECK_EQ_U64(r[0].raw, 9); /* i32 arguments keep no high bits */
    kw_extern ex;
    CHECK_EQ(kw_instance_export(fx.inst, "g64", 3, &ex), KW_OK);
    CHECK_EQ_U64(kw_global_get(ex.u.global).i64, ~0ull);
    /* arithmetic NaNs are canonical, bit operations keep payloads */
    CHECK_EQ(call(&fx, "f32div", r, 1, 2, (uint64_t)0, (uint64_t)0), KW_OK);
    CHECK_EQ(r[0].f32, 0x7fc00000u);
    CHECK_EQ(call(&fx, "f32div", r, 1, 2, (uint64_t)0x7fa00001u, (uint64_t)0x3f800000u), KW_OK);
    CHECK_EQ(r[0].f32, 0x7fc00000u);
    CHECK_EQ(call(&fx, "f64neg", r, 1, 1, (uint64_t)0x7ff4000000000001ull), KW_OK);
    CHECK_EQ_U64(r[0].f64, 0xfff4000000000001ull);
    close_module(&fx);
}

/*
 * Fuel counted by hand from fuel.h (every wasm instruction costs 1, plus 1
 * per started 16 declared locals on entry):
 *   add: local.get, local.get, i32.add, end                 = 4
 *   sum: entry chain block, loop, [local.get, i32.eqz, br_if],
 *        [local.get, local.get, i32.add, local.set],
 *        [local.get, i32.const, i32.sub, local.set], br    = 14 + 1 (one local)
 *        each back edge charges the loop head's chain      = 12
 *        the br_if taken charges the chain after the block: local.get, end = 2
 *   so sum(n) = 15 + 12 n + 2 = 17 + 12 n.
 */
TEST(fuel_is_exact_and_documented)
{
    fixture fx;
    CHECK_EQ(open_module(&fx, "exec_basic", NULL, NULL, NULL), KW_OK);
    kw_val r[1];
    kw_store_set_fuel(fx.s, 1000);
    CHECK_EQ(call(&fx, "add", r, 1, 2, (uint64_t)1, (uint64_t)2), KW_OK);
    CHECK_EQ(kw_store_fuel_used(fx.s), 4);
    CHECK_EQ(kw_store_fuel_left(fx.s), 996);
    for (uint64_t n = 0; n < 20; n++) {
        kw_store_set_fuel(fx.s, 100000);
        CHECK_EQ(call(&fx, "sum", r, 1, 1, n), KW_OK);
        CHECK_EQ(kw_store_fuel_used(fx.s), 17 + 12 * n);
    }
    /* exactly enough succeeds with nothing left; one less traps */
    kw_store_set_fuel(fx.s, 17 + 12 * 10);
    CHECK_EQ(call(&fx, "sum", r, 1, 1, (uint64_t)10), KW_OK);
    CHECK_EQ(kw_store_fuel_left(fx.s), 0);
    kw_store_set_fuel(fx.s, 17 + 12 * 10 - 1);
    CHECK_EQ(call(&fx, "sum", r, 1, 1, (uint64_t)10), KW_TRAP_FUEL);
    /* a runaway loop ends in the fuel trap */
    kw_store_set_fuel(fx.s, 100000);
    CHECK_EQ(call(&fx, "forever", r, 0, 0), KW_TRAP_FUEL);
    CHECK(kw_store_fuel_left(fx.s) < 100);
    /* bulk work is charged by size */
    kw_store_set_fuel(fx.s, 1000000);
    CHECK_EQ(call(&fx, "fill", r, 0, 3, (uint64_t)0, (uint64_t)1, (uint64_t)1), KW_OK);
    uint64_t small = kw_store_fuel_used(fx.s);
    kw_store_set_fuel(fx.s, 1000000);
    CHECK_EQ(call(&fx, "fill", r, 0, 3, (uint64_t)0, (uint64_t)1, (uint64_t)65536), KW_OK);
    CHECK_EQ(kw_store_fuel_used(fx.s), small + 65536 / 64 - 1);
    close_module(&fx);
}

TEST(unmetered_code_uses_no_fuel)
{
    fixture fx;
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.no_metering = 1;
    CHECK_EQ(open_module(&fx, "exec_basic", &cfg, NULL, NULL), KW_OK);
    kw_val r[1];
    kw_store_set_fuel(fx.s, 10);
    CHECK_EQ(call(&fx, "sum", r, 1, 1, (uint64_t)1000), KW_OK);
    CHECK_EQ(r[0].i32, 500500);
    CHECK_EQ(kw_store_fuel_used(fx.s), 0);
    close_module(&fx);
}

TEST(call_depth_and_stack_limits_trap_cleanly)
{
    fixture fx;
    CHECK_EQ(open_module(&fx, "exec_basic", NULL, NULL, NULL), KW_OK);
    kw_val r[1];
    CHECK_EQ(call(&fx, "deep", r, 1, 1, (uint64_t)5000), KW_OK);
    CHECK_EQ(r[0].i32, 5000);
    CHECK_EQ(call(&fx, "deep", r, 1, 1, (uint64_t)1000000), KW_TRAP_CALL_DEPTH);
    CHECK_EQ(call(&fx, "deep", r, 1, 1, (uint64_t)10), KW_OK); /* and recovers */
    close_module(&fx);
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_call_depth = 100;
    CHECK_EQ(open_module(&fx, "exec_basic", &cfg, NULL, NULL), KW_OK);
    CHECK_EQ(call(&fx, "deep", r, 1, 1, (uint64_t)90), KW_OK);
    CHECK_EQ(call(&fx, "deep", r, 1, 1, (uint64_t)200), KW_TRAP_CALL_DEPTH);
    close_module(&fx);
    memset(&cfg, 0, sizeof cfg);
    cfg.max_stack_bytes = 4096;
    CHECK_EQ(open_module(&fx, "exec_basic", &cfg, NULL, NULL), KW_OK);
    CHECK_EQ(call(&fx, "deep", r, 1, 1, (uint64_t)1000), KW_TRAP_STACK);
    close_module(&fx);
}

/* ---- host functions --------------------------------------------------------- */

typedef struct host_env {
    kw_store *s;
    kw_func *down; /* the wasm function the host calls back */
    kw_func *twice, *fail, *reenter;
} host_env;

static int h_twice(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *results)
{
    (void)user;
    CHECK(kw_call_ctx_memory(ctx) != NULL);
    uint32_t x = args[0].i32;
    results[0].i32 = 2 * x;
    return KW_OK;
}

static int h_fail(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *results)
{
    (void)user;
    (void)results;
    return kw_call_ctx_trap(ctx, KW_HOST_CODE_BASE + 1, "refused %u", args[0].i32);
}

static int h_reenter(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *results)
{
    host_env *env = user;
    kw_val a = args[0], r;
    kw_error err;
    int rc = kw_call(kw_call_ctx_store(ctx), env->down, &a, 1, &r, 1, &err);
    if (rc) return rc;
    results[0] = r;
    return KW_OK;
}

static int resolve_env(void *user, const kw_module *m, uint32_t i, const kw_extern_desc *d,
                       kw_extern *out)
{
    (void)m;
    (void)i;
    host_env *env = user;
    out->kind = KW_EXTERN_FUNC;
    if (d->name_len == 5 && memcmp(d->name, "twice", 5) == 0) out->u.func = env->twice;
    else if (d->name_len == 4 && memcmp(d->name, "fail", 4) == 0) out->u.func = env->fail;
    else if (d->name_len == 7 && memcmp(d->name, "reenter", 7) == 0) out->u.func = env->reenter;
    else return KW_E_UNKNOWN_IMPORT;
    return KW_OK;
}

TEST(host_functions_and_reentry)
{
    size_t len;
    uint8_t *bytes = load("exec_host", &len);
    CHECK(bytes);
    kw_module *m;
    kw_error err;
    CHECK_EQ(kw_module_new(NULL, bytes, len, &m, &err), KW_OK);
    free(bytes);
    host_env env;
    env.s = kw_store_new(NULL);
    static const uint8_t i32[] = {KW_I32};
    env.twice = kw_func_new_host(env.s, i32, 1, i32, 1, h_twice, &env);
    env.fail = kw_func_new_host(env.s, i32, 1, NULL, 0, h_fail, &env);
    env.reenter = kw_func_new_host(env.s, i32, 1, i32, 1, h_reenter, &env);
    kw_instance *inst;
    CHECK_EQ(kw_instantiate(env.s, m, resolve_env, &env, &inst, &err), KW_OK);
    env.down = export_func(inst, "down");
    fixture fx = {m, env.s, inst};
    kw_val r[1];
    CHECK_EQ(call(&fx, "use_twice", r, 1, 1, (uint64_t)20), KW_OK);
    CHECK_EQ(r[0].i32, 42);
    kw_func *f = export_func(inst, "use_fail");
    kw_val a[1] = {{.i32 = 5}};
    CHECK_EQ(kw_call(env.s, f, a, 1, NULL, 0, &err), KW_HOST_CODE_BASE + 1);
    CHECK_STR(err.msg, "refused 5");
    CHECK_EQ(call(&fx, "down", r, 1, 1, (uint64_t)20), KW_OK);
    CHECK_EQ(r[0].i32, 20);
    /* wasm -> host -> wasm nesting is bounded */
    CHECK_EQ(call(&fx, "down", r, 1, 1, (uint64_t)10000), KW_TRAP_CALL_DEPTH);
    CHECK_EQ(call(&fx, "down", r, 1, 1, (uint64_t)3), KW_OK);
    kw_store_free(env.s);
    kw_module_free(m);
}

TEST(imports_are_checked)
{
    size_t len;
    uint8_t *bytes = load("exec_host", &len);
    CHECK(bytes);
    kw_module *m;
    kw_error err;
    CHECK_EQ(kw_module_new(NULL, bytes, len, &m, &err), KW_OK);
    free(bytes);
    host_env env;
    env.s = kw_store_new(NULL);
    static const uint8_t i32[] = {KW_I32}, i64[] = {KW_I64};
    env.twice = kw_func_new_host(env.s, i64, 1, i32, 1, h_twice, &env); /* wrong type */
    env.fail = kw_func_new_host(env.s, i32, 1, NULL, 0, h_fail, &env);
    env.reenter = kw_func_new_host(env.s, i32, 1, i32, 1, h_reenter, &env);
    kw_instance *inst;
    CHECK_EQ(kw_instantiate(env.s, m, resolve_env, &env, &inst, &err), KW_E_INCOMPATIBLE_IMPORT);
    CHECK_EQ(kw_instantiate(env.s, m, NULL, NULL, &inst, &err), KW_E_UNKNOWN_IMPORT);
    kw_store_free(env.s);
    kw_module_free(m);
}

/* ---- sharing between instances -------------------------------------------- */

typedef struct share_env {
    kw_instance *a;
} share_env;

static int resolve_a(void *user, const kw_module *m, uint32_t i, const kw_extern_desc *d,
                     kw_extern *out)
{
    (void)m;
    (void)i;
    share_env *env = user;
    return kw_instance_export(env->a, d->name, d->name_len, out);
}

TEST(memories_tables_globals_are_shared)
{
    fixture fa;
    CHECK_EQ(open_module(&fa, "exec_basic", NULL, NULL, NULL), KW_OK);
    size_t len;
    uint8_t *bytes = load("exec_shared", &len);
    CHECK(bytes);
    kw_module *mb;
    kw_error err;
    CHECK_EQ(kw_module_new(NULL, bytes, len, &mb, &err), KW_OK);
    free(bytes);
    share_env env = {fa.inst};
    kw_instance *ib;
    CHECK_EQ(kw_instantiate(fa.s, mb, resolve_a, &env, &ib, &err), KW_OK);
    fixture fb = {mb, fa.s, ib};
    kw_val r[1];
    CHECK_EQ(call(&fa, "store", r, 0, 2, (uint64_t)8, (uint64_t)1234), KW_OK);
    CHECK_EQ(call(&fb, "peek", r, 1, 1, (uint64_t)8), KW_OK);
    CHECK_EQ(r[0].i32, 1234);
    CHECK_EQ(call(&fb, "grow", r, 1, 0), KW_OK);
    CHECK_EQ(r[0].i32, 1);
    CHECK_EQ(call(&fa, "grow", r, 1, 1, (uint64_t)0), KW_OK);
    CHECK_EQ(r[0].i32, 2); /* A sees B's growth */
    CHECK_EQ(call(&fa, "store", r, 0, 2, (uint64_t)70000, (uint64_t)5), KW_OK);
    CHECK_EQ(call(&fb, "peek", r, 1, 1, (uint64_t)70000), KW_OK);
    CHECK_EQ(r[0].i32, 5);
    CHECK_EQ(call(&fb, "bump", r, 0, 0), KW_OK);
    kw_extern ex;
    CHECK_EQ(kw_instance_export(fa.inst, "g64", 3, &ex), KW_OK);
    CHECK_EQ_U64(kw_global_get(ex.u.global).i64, 0); /* -1 + 1 */
    CHECK_EQ(call(&fb, "tsize", r, 1, 0), KW_OK);
    CHECK_EQ(r[0].i32, 4);
    kw_module_free(mb);
    close_module(&fa);
}
