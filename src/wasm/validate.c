/* validate.c: placeholder until the validator lands (engine issue). */
#include "wasm/module.h"
#include "wasm/wutil.h"

int val_module(const kw_module *m, kw_error *err)
{
    (void)m;
    return wu_err(err, KW_E_INVALID, 0, "validator not built yet");
}
