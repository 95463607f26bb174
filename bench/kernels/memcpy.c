/* memcpy.c: memory copies: 64 KiB blocks copied around a 1 MiB buffer in
   8-byte words, n times, then checksummed. */
#include "kernel.h"

#define SIZE (1 << 20)
#define BLOCK (64 * 1024)
static u64 buf[SIZE / 8];

static void copy(u64 *d, const u64 *s, u32 words)
{
    for (u32 i = 0; i < words; i++) d[i] = s[i];
}

EXPORT u64 BENCH_FN(u32 n)
{
    u32 seed = 3;
    for (u32 i = 0; i < SIZE / 8; i++) buf[i] = lcg(&seed);
    u32 blocks = SIZE / BLOCK;
    for (u32 r = 0; r < n; r++) {
        u32 from = lcg(&seed) % blocks, to = lcg(&seed) % blocks;
        if (from == to) to = (to + 1) % blocks;
        copy(buf + to * (BLOCK / 8), buf + from * (BLOCK / 8), BLOCK / 8);
        buf[to * (BLOCK / 8)] ^= r;
    }
    u64 h = 0;
    for (u32 i = 0; i < SIZE / 8; i++) h = h * 31 + buf[i];
    return h;
}
