/* decode.c: placeholder until the strict decoder lands (engine issue); it
   rejects every module so that nothing unvalidated can be run. */
#include "wasm/module.h"
#include "wasm/wutil.h"

int dec_module(kw_module *m, kw_error *err)
{
    (void)m;
    return wu_err(err, KW_E_MALFORMED, 0, "decoder not built yet");
}

void dec_module_free(kw_module *m)
{
    (void)m;
}
