/* quicksort.c: sorts 100,000 pseudo-random integers, n times. */
#include "kernel.h"

#define N 100000
static u32 v[N];

static void sort(u32 *a, i32 lo, i32 hi)
{
    while (lo < hi) {
        u32 p = a[lo + (hi - lo) / 2];
        i32 i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) {
                u32 t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* recurse into the smaller half, loop on the larger */
        if (j - lo < hi - i) {
            sort(a, lo, j);
            lo = i;
        } else {
            sort(a, i, hi);
            hi = j;
        }
    }
}

EXPORT u64 BENCH_FN(u32 n)
{
    u32 s = 42;
    u64 check = 0;
    for (u32 r = 0; r < n; r++) {
        for (u32 i = 0; i < N; i++) v[i] = lcg(&s);
        sort(v, 0, N - 1);
        check += v[r % N] ^ v[N / 2];
    }
    return check;
}
