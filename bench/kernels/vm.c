/* vm.c: a bytecode interpreter loop: a small stack machine running a
   program that sums i * (i ^ 3) % 7 over a counted loop. */
#include "kernel.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, MOD, JNZ, HALT };

static const i32 prog[] = {
    PUSH, 0, STORE, 0,            /* acc = 0 */
    LOAD, 1, STORE, 2,            /* i = n */
    /* loop: 8 */
    LOAD, 0, LOAD, 2, LOAD, 2, PUSH, 3, XOR, MUL, PUSH, 7, MOD, ADD, STORE, 0,
    LOAD, 2, PUSH, 1, SUB, STORE, 2, /* i = i - 1 */
    LOAD, 2, JNZ, 8, HALT,
};

static i64 run(i64 n)
{
    i64 stack[64], vars[4] = {0, n, 0, 0};
    int sp = 0, pc = 0;
    for (;;) {
        switch (prog[pc++]) {
        case PUSH: stack[sp++] = prog[pc++]; break;
        case LOAD: stack[sp++] = vars[prog[pc++]]; break;
        case STORE: vars[prog[pc++]] = stack[--sp]; break;
        case ADD: sp--, stack[sp - 1] += stack[sp]; break;
        case SUB: sp--, stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--, stack[sp - 1] *= stack[sp]; break;
        case XOR: sp--, stack[sp - 1] ^= stack[sp]; break;
        case MOD: sp--, stack[sp - 1] %= stack[sp]; break;
        case JNZ: {
            i32 t = prog[pc++];
            if (stack[--sp]) pc = t;
            break;
        }
        case HALT: return vars[0];
        }
    }
}

EXPORT u64 BENCH_FN(u32 n)
{
    return (u64)run((i64)n);
}
