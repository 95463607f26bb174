/*
 * engine_bench.c: the engine against native code built from the same C
 * source in the same run (the files of bench/kernels). For each kernel: native time,
 * engine time with fuel metering and without, their ratios to native, the
 * metering overhead, and that all three agree on the checksum. Then compile
 * throughput, instantiate + call latency of a trivial module, the memory of
 * an idle instance, and peak RSS. Ratios, not seconds, are the figures to
 * compare across machines.
 *
 *   engine_bench WASM_DIR [KERNEL ...]
 */
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kapsule_wasm.h"

typedef uint64_t (*native_fn)(uint32_t);

#define K_(name) uint64_t bench_##name(uint32_t n);
K_(fib) K_(sieve) K_(matmul) K_(sha256) K_(nbody) K_(quicksort) K_(vm) K_(memcpy)
#undef K_

static const struct kernel {
    const char *name;
    native_fn native;
    uint32_t n;
    const char *what;
} kernels[] = {
    {"fib", bench_fib, 30, "recursive calls"},
    {"sieve", bench_sieve, 6, "sieve of Eratosthenes"},
    {"matmul", bench_matmul, 24, "96x96 double matrix multiply"},
    {"sha256", bench_sha256, 600, "SHA-256 of 4 KiB blocks"},
    {"nbody", bench_nbody, 250000, "n-body floats"},
    {"quicksort", bench_quicksort, 6, "quicksort of 100k ints"},
    {"vm", bench_vm, 1000000, "bytecode interpreter loop"},
    {"memcpy", bench_memcpy, 3000, "64 KiB memory copies"},
};
#define NKERNELS (sizeof kernels / sizeof kernels[0])

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Best of `reps` runs: the least disturbed by the rest of the machine. */
#define REPS 3

static double time_native(native_fn fn, uint32_t n, uint64_t *check)
{
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        *check = fn(n);
        double t = now() - t0;
        if (t < best) best = t;
    }
    return best;
}

/* Times bench_run(n) in the engine; fuel_used is 0 when unmetered. */
static double time_engine(const uint8_t *wasm, size_t len, int metered, uint32_t n,
                          uint64_t *check, uint64_t *fuel_used)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.no_metering = !metered;
    kw_module *m;
    kw_error err;
    if (kw_module_new(&cfg, wasm, len, &m, &err)) {
        fprintf(stderr, "module: %s\n", err.msg);
        exit(1);
    }
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
        kw_store *s = kw_store_new(&cfg);
        kw_instance *inst;
        if (kw_instantiate(s, m, NULL, NULL, &inst, &err)) {
            fprintf(stderr, "instantiate: %s\n", err.msg);
            exit(1);
        }
        kw_extern ex;
        if (kw_instance_export(inst, "bench_run", 9, &ex)) {
            fprintf(stderr, "no bench_run export\n");
            exit(1);
        }
        kw_val arg, res;
        arg.raw = n;
        double t0 = now();
        int rc = kw_call(s, ex.u.func, &arg, 1, &res, 1, &err);
        double t = now() - t0;
        if (rc) {
            fprintf(stderr, "call: %s\n", err.msg);
            exit(1);
        }
        *check = res.i64;
        *fuel_used = metered ? kw_store_fuel_used(s) : 0;
        if (t < best) best = t;
        kw_store_free(s);
    }
    kw_module_free(m);
    return best;
}

/* Bytes the C library's allocator has handed out (small blocks and
   mmapped ones). RSS would undercount: calloc'd pages that are never
   touched are not resident. */
static double heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}

/* (module (memory 1) (func (export "f"))) */
static const uint8_t trivial[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04,
                                  0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03,
                                  0x01, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
                                  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};

static void bench_instantiate(void)
{
    kw_module *m;
    kw_error err;
    if (kw_module_new(NULL, trivial, sizeof trivial, &m, &err)) {
        fprintf(stderr, "trivial module: %s\n", err.msg);
        exit(1);
    }
    /* full cycle: new store, instantiate, call, free */
    int iters = 20000;
    double t0 = now();
    for (int i = 0; i < iters; i++) {
        kw_store *s = kw_store_new(NULL);
        kw_instance *inst;
        kw_extern ex;
        if (kw_instantiate(s, m, NULL, NULL, &inst, &err) || kw_instance_export(inst, "f", 1, &ex) ||
            kw_call(s, ex.u.func, NULL, 0, NULL, 0, &err)) {
            fprintf(stderr, "trivial: %s\n", err.msg);
            exit(1);
        }
        kw_store_free(s);
    }
    double per = (now() - t0) / iters;
    /* idle instances: many stores, each with one instance of a 1-page module */
    enum { N = 1000 };
    static kw_store *stores[N];
    double before = heap_bytes();
    for (int i = 0; i < N; i++) {
        stores[i] = kw_store_new(NULL);
        kw_instance *inst;
        if (kw_instantiate(stores[i], m, NULL, NULL, &inst, &err)) exit(1);
    }
    double after = heap_bytes();
    for (int i = 0; i < N; i++) kw_store_free(stores[i]);
    kw_module_free(m);
    double idle_kib = (after - before) / N / 1024.0 - 64.0;
    printf("instantiate + call of an empty function: %.2f us (new store, instantiate, call, free)\n",
           per * 1e6);
    printf("idle instance with one page: %.2f KiB allocated beyond the page (store + instance)\n",
           idle_kib);
}

static void bench_compile(const char *dir)
{
    /* every kernel, decoded + validated + compiled many times */
    size_t total = 0;
    double t = 0;
    for (size_t k = 0; k < NKERNELS; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.wasm", dir, kernels[k].name);
        size_t len;
        uint8_t *w = read_file(path, &len);
        if (!w) continue;
        double t0 = now();
        for (int i = 0; i < 2000; i++) {
            kw_module *m;
            kw_error err;
            if (kw_module_new(NULL, w, len, &m, &err)) exit(1);
            kw_module_free(m);
        }
        t += now() - t0;
        total += len * 2000;
        free(w);
    }
    printf("compile (decode + validate + compile): %.1f MB/s over %zu bytes\n",
           (double)total / t / 1e6, total);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: engine_bench WASM_DIR [KERNEL ...]\n");
        return 2;
    }
    const char *dir = argv[1];
    printf("%-10s %-30s %10s %10s %9s %10s %9s %9s\n", "kernel", "what", "native ms", "fuel ms",
           "x native", "nofuel ms", "x native", "metering");
    double lg_fuel = 0, lg_plain = 0, lg_over = 0;
    int counted = 0, bad = 0;
    for (size_t k = 0; k < NKERNELS; k++) {
        const struct kernel *kn = &kernels[k];
        if (argc > 2) {
            int want = 0;
            for (int i = 2; i < argc; i++) want |= strcmp(argv[i], kn->name) == 0;
            if (!want) continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.wasm", dir, kn->name);
        size_t len;
        uint8_t *w = read_file(path, &len);
        if (!w) {
            fprintf(stderr, "missing %s\n", path);
            return 1;
        }
        uint64_t cn, cf, cp, fuel, unused;
        double tn = time_native(kn->native, kn->n, &cn);
        double tf = time_engine(w, len, 1, kn->n, &cf, &fuel);
        double tp = time_engine(w, len, 0, kn->n, &cp, &unused);
        free(w);
        if (cf != cn || cp != cn) {
            printf("%-10s checksum mismatch: native %" PRIu64 ", fuel %" PRIu64 ", plain %" PRIu64
                   "\n", kn->name, cn, cf, cp);
            bad = 1;
            continue;
        }
        double over = tf / tp - 1.0;
        printf("%-10s %-30s %10.1f %10.1f %9.1f %10.1f %9.1f %8.1f%%\n", kn->name, kn->what,
               tn * 1e3, tf * 1e3, tf / tn, tp * 1e3, tp / tn, over * 100);
        lg_fuel += log(tf / tn);
        lg_plain += log(tp / tn);
        lg_over += log(tf / tp);
        counted++;
    }
    if (counted) {
        printf("%-10s %-30s %10s %10s %9.1f %10s %9.1f %8.1f%%\n", "geomean", "", "", "",
               exp(lg_fuel / counted), "", exp(lg_plain / counted),
               (exp(lg_over / counted) - 1) * 100);
    }
    printf("\n");
    bench_compile(dir);
    bench_instantiate();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %ld KiB\n", ru.ru_maxrss);
    return bad;
}
