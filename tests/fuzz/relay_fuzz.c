/*
 * relay_fuzz.c: a relay's rules parser and its decision on capsule bytes
 * (runtime/relay.c), both untrusted here: the input is relay rules (JSON),
 * a NUL byte, then a capsule file. Every call returns a status, never
 * crashes; an accepted capsule has a subject that starts with the prefix
 * and holds no space, and a refusal has a code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kapsule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t rlen = nul ? (size_t)(nul - data) : size;
    const uint8_t *cap = nul ? nul + 1 : data + size;
    size_t clen = nul ? size - rlen - 1 : 0;
    kp_relay_rules *r = NULL;
    kp_error e;
    if (kp_relay_rules_parse(data, rlen, &r, &e) != KP_OK) {
        if (r) abort(); /* nothing handed out on failure */
        return 0;
    }
    kp_relay_verdict v;
    int rc = kp_relay_check(r, cap, clen, &v, &e);
    if ((rc == KP_OK) != (v.accept == 1)) abort();
    if (rc != v.code) abort();
    if (v.accept) {
        if (!v.has_id || strlen(v.msg_id) != 64) abort();
        if (memchr(v.subject, ' ', strlen(v.subject)) || strchr(v.subject, '\n')) abort();
    }
    kp_relay_rules_free(r);
    return 0;
}
