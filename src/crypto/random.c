/*
 * random.c: libsodium's start-up, the one source of randomness, and the
 * wipe and constant-time compare every other file uses.
 */
#include <sodium.h>
#include <stdatomic.h>

#include "crypto/crypto.h"
#include "util/error.h"

static atomic_int started;

int cry_init(kp_error *err)
{
    if (atomic_load_explicit(&started, memory_order_acquire)) return KP_OK;
    /* sodium_init is itself thread-safe and idempotent; the flag only
       spares its lock on every call. */
    if (sodium_init() < 0) return err_set(err, KP_E_CRYPTO, "libsodium failed to start");
    atomic_store_explicit(&started, 1, memory_order_release);
    return KP_OK;
}

void cry_random(void *out, size_t n)
{
    /* randombytes_buf is safe before sodium_init on Linux (it opens the
       system source lazily), but start-up also picks the fastest code. */
    (void)cry_init(NULL);
    randombytes_buf(out, n);
}

void cry_wipe(void *p, size_t n)
{
    if (p && n) sodium_memzero(p, n);
}

int cry_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}
