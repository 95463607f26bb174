/*
 * interp.c: the interpreter. Its loop (interp_loop.h) is compiled twice,
 * with and without fuel metering, so that unmetered code pays nothing for
 * metering and metered code pays only at function entry and taken
 * branches. wr_run picks the copy the function was compiled for.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wasm/compile.h"
#include "wasm/fuel.h"
#include "wasm/numeric.h"
#include "wasm/ops.h"
#include "wasm/runtime.h"

/* Memory and slot access: memcpy keeps type punning defined and compiles
   to single loads and stores. */
static inline uint16_t ld16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static inline uint32_t ld32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t ld64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void st16(void *p, uint16_t v)
{
    memcpy(p, &v, 2);
}
static inline void st32(void *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static inline void st64(void *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

#define WR_METERED 1
#define WR_RUN_NAME run_metered
#include "wasm/interp_loop.h"
#undef WR_METERED
#undef WR_RUN_NAME

#define WR_METERED 0
#define WR_RUN_NAME run_plain
#include "wasm/interp_loop.h"
#undef WR_METERED
#undef WR_RUN_NAME

int wr_run(kw_store *s, kw_instance *inst, const wc_func *f, uint64_t *fp)
{
    return f->metered ? run_metered(s, inst, f, fp, NULL) : run_plain(s, inst, f, fp, NULL);
}

const void *const *wr_handlers(int metered)
{
    const void *const *t = NULL;
    if (metered)
        run_metered(NULL, NULL, NULL, NULL, &t);
    else
        run_plain(NULL, NULL, NULL, NULL, &t);
    return t;
}

void wr_trap_message(kw_store *s, int code, const kw_instance *inst, const uint32_t *pc)
{
    const char *what = kw_status_message(code);
    if (code >= KW_HOST_CODE_BASE) what = "host function failed";
    if (pc && inst) {
        const kw_module *m = inst->module;
        uint32_t ndef = m->nfuncs - m->nfunc_imports;
        for (uint32_t i = 0; i < ndef; i++) {
            const wc_func *cf = &m->code[i];
            if (pc >= cf->code && pc < cf->code + cf->ncode) {
                snprintf(s->trap.msg, sizeof s->trap.msg, "%s (in function %u)", what,
                         cf->index);
                s->trap.code = code;
                s->trap.offset = KW_NO_OFFSET;
                return;
            }
        }
    }
    snprintf(s->trap.msg, sizeof s->trap.msg, "%s", what);
    s->trap.code = code;
    s->trap.offset = KW_NO_OFFSET;
}
