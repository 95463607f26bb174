/*
 * host_bench.c: the cost of a host call round trip (guest -> host ->
 * guest) through kapsule's dispatcher, next to a plain guest-to-guest call
 * and a bare engine host function (no dispatcher, no transcript).
 *
 * Build (after make), from the top of the tree:
 *   cc -O2 -std=c11 -D_DEFAULT_SOURCE -Iinclude -Isrc -o build/bench/host_bench bench/host_bench.c build/libkapsule.a -lsodium -lcrypto -lsqlite3 -ljansson -lm
 * Run: build/bench/host_bench [iterations per run, default 100000]
 *
 * One module, four loops with the same body (call, add to an accumulator,
 * count down): calling nothing (the loop alone), a wasm function, a bare
 * host function, and kapsule.capsule_parent_count through the dispatcher
 * (which checks, charges fuel and records every call in the transcript).
 * Each figure is the best of 5 runs, in ns per iteration; the call cost is
 * that minus the loop alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/unit/wasmgen.h"
#include "host/host.h"
#include "host/transcript.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* loop(n): acc += call(); n-- until 0; returns acc */
static void loop_fn(wg *m, const char *name, int callee)
{
    wg_code c = {0};
    wg_op(&c, OP_LOOP);
    buf_putc(&c.b, 0x40);
    if (callee >= 0) {
        wg_call(&c, callee);
    } else {
        wg_i32(&c, 1);
    }
    wg_local_get(&c, 1);
    wg_op(&c, OP_I32_ADD);
    buf_putc(&c.b, OP_LOCAL_SET);
    buf_putc(&c.b, 1);
    wg_local_get(&c, 0);
    wg_i32(&c, 1);
    wg_op(&c, OP_I32_SUB);
    buf_putc(&c.b, 0x22); /* local.tee */
    buf_putc(&c.b, 0);
    buf_putc(&c.b, OP_BR_IF);
    buf_putc(&c.b, 0);
    wg_op(&c, OP_END);
    wg_local_get(&c, 1);
    wg_func_locals(m, name, "i", "i", "i", &c);
}

static uint8_t *make(size_t *len)
{
    wg m;
    wg_init(&m);
    int host = wg_import(&m, "kapsule", "capsule_parent_count", "", "i");
    wg_code one = {0};
    wg_i32(&one, 1);
    int guest = wg_func(&m, NULL, "", "i", &one);
    loop_fn(&m, "loop_empty", -1);
    loop_fn(&m, "loop_guest", guest);
    loop_fn(&m, "loop_host", host);
    wg_code run = {0};
    wg_i32(&run, 0);
    wg_func(&m, "kapsule_run", "", "i", &run);
    uint8_t *p;
    wg_finish(&m, &p, len);
    return p;
}

static int bare(kw_call_ctx *ctx, void *user, const kw_val *args, kw_val *res)
{
    (void)ctx;
    (void)user;
    (void)args;
    res[0].i32 = 1;
    return KW_OK;
}

static int bare_resolve(void *user, const kw_module *m, uint32_t i, const kw_extern_desc *d,
                        kw_extern *out)
{
    (void)m;
    (void)i;
    (void)d;
    static const uint8_t r[1] = {KW_I32};
    out->kind = KW_EXTERN_FUNC;
    out->u.func = kw_func_new_host(user, NULL, 0, r, 1, bare, NULL);
    return out->u.func ? KW_OK : KW_E_NOMEM;
}

/* Best ns per iteration of export name over 5 runs of iters. */
static double time_loop(kw_store *s, kw_instance *inst, const char *name, uint32_t iters)
{
    kw_extern e;
    if (kw_instance_export(inst, name, strlen(name), &e)) return -1;
    double best = 1e300;
    for (int k = 0; k < 5; k++) {
        kw_val a = {.i32 = iters}, r;
        kw_error err;
        double t0 = now_ns();
        int rc = kw_call(s, e.u.func, &a, 1, &r, 1, &err);
        double t = now_ns() - t0;
        if (rc || r.i32 != iters) {
            fprintf(stderr, "host_bench: %s: %s\n", name, err.msg);
            return -1;
        }
        if (t < best) best = t;
    }
    return best / iters;
}

int main(int argc, char **argv)
{
    uint32_t iters = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    size_t len;
    uint8_t *wasm = make(&len);
    kw_error kerr;
    kw_module *m;
    if (kw_module_new(NULL, wasm, len, &m, &kerr)) {
        fprintf(stderr, "host_bench: %s\n", kerr.msg);
        return 1;
    }
    /* the engine alone, with a bare host function */
    kw_store *s = kw_store_new(NULL);
    kw_instance *inst;
    if (kw_instantiate(s, m, bare_resolve, s, &inst, &kerr)) {
        fprintf(stderr, "host_bench: %s\n", kerr.msg);
        return 1;
    }
    double empty = time_loop(s, inst, "loop_empty", iters);
    double guest = time_loop(s, inst, "loop_guest", iters);
    double bare_host = time_loop(s, inst, "loop_host", iters);
    kw_store_free(s);
    kw_module_free(m);
    /* through kapsule's dispatcher: a fresh run per measurement, since
       every call is kept in the run's transcript */
    kp_policy *pol;
    static const char text[] = "{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", "
                               "\"capabilities\": [\"capsule.read\"], \"limits\": {\"fuel\": "
                               "9000000000000000000}}]}";
    kp_error err;
    if (kp_policy_parse((const uint8_t *)text, sizeof text - 1, &pol, &err)) return 1;
    host_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.policy = pol;
    host_capsule cap;
    memset(&cap, 0, sizeof cap);
    cap.type = "post";
    double kap = 1e300;
    size_t tbytes = 0;
    for (int k = 0; k < 5; k++) {
        host_run *r;
        if (host_run_new(&cfg, wasm, len, &cap, &r, &err)) {
            fprintf(stderr, "host_bench: %s\n", err.msg);
            return 1;
        }
        kw_extern e;
        kw_instance_export(host_run_instance(r), "loop_host", 9, &e);
        kw_val a = {.i32 = iters}, res;
        double t0 = now_ns();
        int rc = kw_call(host_run_store(r), e.u.func, &a, 1, &res, 1, &kerr);
        double t = now_ns() - t0;
        if (rc) {
            fprintf(stderr, "host_bench: %s\n", kerr.msg);
            return 1;
        }
        if (t / iters < kap) kap = t / iters;
        tbytes = host_tr_bytes(host_run_transcript(r));
        host_run_free(r);
    }
    kp_policy_free(pol);
    free(wasm);
    printf("== host calls: ns per call, best of 5 runs of %u ==\n", iters);
    printf("%-40s %8s %8s\n", "", "loop", "call");
    printf("%-40s %8.1f %8s\n", "loop alone", empty, "-");
    printf("%-40s %8.1f %8.1f\n", "guest -> guest (wasm function)", guest, guest - empty);
    printf("%-40s %8.1f %8.1f\n", "guest -> bare engine host function", bare_host, bare_host - empty);
    printf("%-40s %8.1f %8.1f\n", "guest -> kapsule host (dispatcher)", kap, kap - empty);
    printf("transcript: %.1f bytes per call\n", (double)tbytes / iters);
    return 0;
}
