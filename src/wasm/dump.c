/*
 * dump.c: prints a compiled function's internal code, one instruction per
 * line, for engine developers (tests/tools/wasm_dump) who want to see what
 * the compiler made of a hot loop. Slot operands print as s<slot>.
 */
#include <stdio.h>

#include "wasm/compile.h"
#include "wasm/ops.h"
#include "wasm/runtime.h"

static const struct {
    const char *name;
    int nops;
} info[] = {
#define INFO_(name, n) {#name, n},
    WC_OPS(INFO_)
#undef INFO_
};

/* The op whose handler sits at offset h of the table. */
static int op_of(const void *const *t, uint32_t h)
{
    for (int op = 0; op < WC_NOPS; op++)
        if ((uint32_t)((const char *)t[op] - (const char *)t[0]) == h) return op;
    return -1;
}

void cmp_dump(const kw_module *m, uint32_t def, FILE *f)
{
    const wc_func *cf = &m->code[def];
    const void *const *t = wr_handlers(cf->metered);
    fprintf(f, "function %u: %u params, %u locals, %u results, frame %u slots, entry fuel %u\n",
            cf->index, cf->nparams, cf->nlocals, cf->nresults, cf->frame_slots, cf->entry_fuel);
    for (uint32_t pc = 0; pc < cf->ncode;) {
        int op = op_of(t, cf->code[pc]);
        if (op < 0) {
            fprintf(f, "%5u  ??? %08x\n", pc, cf->code[pc]);
            return;
        }
        int n = info[op].nops;
        if (op == WC_BR_TABLE) n = 2 + 2 * ((int)cf->code[pc + 2] + 1);
        fprintf(f, "%5u  %-16s", pc, info[op].name);
        for (int k = 1; k <= n && pc + k < cf->ncode; k++) fprintf(f, " %d", (int32_t)cf->code[pc + k]);
        fputc('\n', f);
        pc += 1 + (uint32_t)n;
    }
}
