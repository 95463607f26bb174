/*
 * kernel.h: what every benchmark kernel shares. A kernel is one
 * freestanding C file (no libc) exporting `uint64_t bench_run(uint32_t n)`
 * that does n units of work and returns a checksum, so that the native and
 * the wasm32 build of the same source can be timed and checked against
 * each other. Natively, BENCH_NAME renames bench_run to bench_<kernel>.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;
typedef long long i64;

#ifdef __wasm__
#define EXPORT __attribute__((export_name("bench_run")))
#define BENCH_FN bench_run
#else
#define EXPORT
#define BENCH_FN BENCH_NAME
#endif

/* A small deterministic generator, the same on every target. */
static inline u32 lcg(u32 *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

#endif
