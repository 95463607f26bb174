/*
 * base64.c: the one base64 encoder and strict decoder of libkapsule, over
 * libsodium's.
 * libsodium 1.0.18 reads every byte >= 0x80 as '/' (its constant-time
 * table looks at seven bits), so a flipped top bit would decode to the
 * same bytes; the alphabet is checked here before libsodium decodes.
 */
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"

size_t cry_base64(char *out, const uint8_t *p, size_t n, int padded)
{
    int variant = padded ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    size_t len = sodium_base64_ENCODED_LEN(n, variant);
    sodium_bin2base64(out, len, p, n, variant);
    return len - 1;
}

static int in_alphabet(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

long cry_base64_decode(uint8_t *out, size_t outmax, const char *s, size_t n, int padded,
                       const char *ignore)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (!in_alphabet(c) && !(padded && c == '=') && !(ignore && c && strchr(ignore, c)))
            return -1;
    }
    size_t got = 0;
    if (n == 0) return 0;
    if (sodium_base642bin(out, outmax, s, n, ignore, &got, NULL,
                          padded ? sodium_base64_VARIANT_ORIGINAL
                                 : sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
        return -1;
    return (long)got;
}
