/* matmul.c: 96x96 double matrix multiply, n times. */
#include "kernel.h"

#define M 96
static double a[M][M], b[M][M], c[M][M];

EXPORT u64 BENCH_FN(u32 n)
{
    u32 s = 7;
    for (u32 i = 0; i < M; i++)
        for (u32 j = 0; j < M; j++) {
            a[i][j] = (double)(lcg(&s) % 1000) / 100.0;
            b[i][j] = (double)(lcg(&s) % 1000) / 100.0;
        }
    double sum = 0;
    for (u32 r = 0; r < n; r++) {
        for (u32 i = 0; i < M; i++)
            for (u32 j = 0; j < M; j++) {
                double t = 0;
                for (u32 k = 0; k < M; k++) t += a[i][k] * b[k][j];
                c[i][j] = t;
            }
        sum += c[r % M][(r * 7) % M];
        a[r % M][r % M] += 1.0;
    }
    return (u64)(sum * 1000.0);
}
