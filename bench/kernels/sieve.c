/* sieve.c: the sieve of Eratosthenes over 1,000,000 numbers, n times. */
#include "kernel.h"

#define N 1000000
static u8 composite[N + 1];

EXPORT u64 BENCH_FN(u32 n)
{
    u64 total = 0;
    for (u32 r = 0; r < n; r++) {
        for (u32 i = 0; i <= N; i++) composite[i] = 0;
        u32 count = 0;
        for (u32 i = 2; i <= N; i++) {
            if (composite[i]) continue;
            count++;
            for (u32 j = i + i; j <= N; j += i) composite[j] = 1;
        }
        total += count;
    }
    return total;
}
