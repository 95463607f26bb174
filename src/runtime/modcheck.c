/*
 * modcheck.c: whether bytes are a logic module at all. A module is
 * registered forever (modules are never deleted, snapshots carry every
 * one), so what cannot be decoded and validated by the engine must be
 * refused before it is stored, not discovered when a capsule names it.
 */
#include "kapsule_wasm.h"
#include "runtime/runtime.h"
#include "util/error.h"

int rt_module_check(const uint8_t *code, size_t len, kp_error *err)
{
    kw_module *m = NULL;
    kw_error kerr;
    /* The engine's own decoder and validator with its default limits:
       the same checks a run makes first, each in one place (wasm/). A run
       may set tighter limits (memory, fuel), never looser decoder ones. */
    int rc = kw_module_new(NULL, code ? code : (const uint8_t *)"", len, &m, &kerr);
    if (rc) return err_from_kw(err, &kerr);
    kw_module_free(m);
    return KP_OK;
}
