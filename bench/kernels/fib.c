/* fib.c: recursive calls (fib(n) by the naive recursion). */
#include "kernel.h"

static u32 fib(u32 n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

EXPORT u64 BENCH_FN(u32 n)
{
    return fib(n);
}
