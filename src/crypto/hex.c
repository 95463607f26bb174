/*
 * hex.c: the one hex encoder and decoder of libkapsule. Encoding is
 * libsodium's (constant time: secret keys are written as hex); decoding
 * checks every digit itself, so that the accepted text is exactly what
 * the caller asked for (libsodium's decoder stops early on a bad digit
 * and always takes upper case).
 */
#include <sodium.h>

#include "crypto/crypto.h"

char *cry_hex(char *out, const uint8_t *p, size_t n)
{
    sodium_bin2hex(out, CRY_HEX_LEN(n), p, n);
    return out;
}

static int digit(char c, int any_case)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (any_case && c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long cry_hex_decode(uint8_t *out, size_t outmax, const char *s, size_t n, int any_case)
{
    if (n % 2 || n / 2 > outmax) return -1;
    for (size_t i = 0; i < n; i++)
        if (digit(s[i], any_case) < 0) return -1;
    /* every digit checked first: out is written only on success */
    for (size_t i = 0; i < n; i += 2)
        out[i / 2] = (uint8_t)(digit(s[i], any_case) << 4 | digit(s[i + 1], any_case));
    return (long)(n / 2);
}
