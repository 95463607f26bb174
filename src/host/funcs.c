/* funcs.c: the table of host functions, made from the list in hc.h. */
#include "host/hc.h"

const host_fn host_fns[] = {
#define HOST_ROW_(mod, name, cap, p, r) {mod, #name, cap, p, r, hc_##name},
    HOST_FN_LIST(HOST_ROW_)
#undef HOST_ROW_
};

const size_t host_nfns = sizeof host_fns / sizeof host_fns[0];

size_t host_fn_count(void)
{
    return host_nfns;
}

const char *host_fn_module(size_t i)
{
    return i < host_nfns ? host_fns[i].module : NULL;
}

const char *host_fn_name(size_t i)
{
    return i < host_nfns ? host_fns[i].name : NULL;
}

int host_fn_cap(size_t i)
{
    return i < host_nfns ? host_fns[i].cap : -1;
}
