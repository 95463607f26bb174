/*
 * captable.c: the capability table as public API (kapsule.h, "host
 * interface and policy"): the capabilities of policy.h's one list and the
 * host functions of hc.h's one list, so that `kapsule policy caps`, an
 * embedder's documentation and a policy editor read the same table.
 */
#include "host/host.h"
#include "host/policy.h"

size_t kp_cap_count(void)
{
    return POL_NCAPS;
}

int kp_cap_at(size_t i, const char **name, const char **what)
{
    if (i >= POL_NCAPS) return KP_E_NOT_FOUND;
    if (name) *name = pol_cap_name((int)i);
    if (what) *what = pol_cap_what((int)i);
    return KP_OK;
}

size_t kp_host_fn_count(void)
{
    return host_fn_count();
}

int kp_host_fn_at(size_t i, const char **module, const char **name, size_t *cap)
{
    if (i >= host_fn_count()) return KP_E_NOT_FOUND;
    if (module) *module = host_fn_module(i);
    if (name) *name = host_fn_name(i);
    if (cap) *cap = (size_t)host_fn_cap(i);
    return KP_OK;
}
