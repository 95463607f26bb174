/*
 * bech32.c: Bech32 (BIP 173), which age uses for its key strings. Small
 * and in no Debian library we link, hence ours. Differences from BIP 173,
 * as age specifies: no 90-character limit (we impose CRY_BECH32_MAX), and
 * the data are 8-bit bytes regrouped into 5-bit symbols with zero padding.
 */
#include <string.h>

#include "crypto/age.h"
#include "util/alloc.h"
#include "util/error.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* The BCH checksum of BIP 173 over 5-bit values. */
static uint32_t polymod_step(uint32_t chk, uint8_t v)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint8_t top = (uint8_t)(chk >> 25);
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1) chk ^= gen[i];
    return chk;
}

/* The checksum state after the expanded hrp: high bits, a zero, low bits. */
static uint32_t polymod_hrp(const char *hrp, size_t n)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < n; i++) chk = polymod_step(chk, (uint8_t)hrp[i] >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < n; i++) chk = polymod_step(chk, (uint8_t)hrp[i] & 31);
    return chk;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

int cry_bech32_encode(char *out, size_t outsize, const char *hrp, const uint8_t *data,
                      size_t len, int up, kp_error *err)
{
    size_t hn = strlen(hrp);
    if (hn < 1 || hn > 83) return err_set(err, KP_E_ARG, "Bech32 prefix of %zu characters", hn);
    for (size_t i = 0; i < hn; i++)
        if (hrp[i] < 33 || hrp[i] > 126 || (hrp[i] >= 'A' && hrp[i] <= 'Z'))
            return err_set(err, KP_E_ARG, "Bech32 prefix must be lowercase printable ASCII");
    /* hrp, '1', ceil(8 len / 5) symbols, 6 checksum symbols, NUL */
    size_t syms = len / 5 * 8 + (len % 5 * 8 + 4) / 5, need;
    if (len > CRY_BECH32_MAX || !size_add(hn + 8, syms, &need) || need > outsize)
        return err_set(err, KP_E_LIMIT, "Bech32 output does not fit");
    size_t o = 0;
    for (size_t i = 0; i < hn; i++) out[o++] = up ? upper(hrp[i]) : hrp[i];
    out[o++] = '1';
    uint32_t chk = polymod_hrp(hrp, hn), acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            uint8_t v = (acc >> bits) & 31;
            chk = polymod_step(chk, v);
            out[o++] = up ? upper(charset[v]) : charset[v];
        }
    }
    if (bits > 0) {
        uint8_t v = (acc << (5 - bits)) & 31;
        chk = polymod_step(chk, v);
        out[o++] = up ? upper(charset[v]) : charset[v];
    }
    for (int i = 0; i < 6; i++) chk = polymod_step(chk, 0);
    chk ^= 1;
    for (int i = 0; i < 6; i++) {
        char c = charset[(chk >> (5 * (5 - i))) & 31];
        out[o++] = up ? upper(c) : c;
    }
    out[o] = 0;
    return KP_OK;
}

int cry_bech32_decode(const char *s, size_t slen, char *hrp, size_t hrpsize, uint8_t *data,
                      size_t datamax, size_t *datalen, kp_error *err)
{
    if (slen > CRY_BECH32_MAX) return err_set(err, KP_E_AGE_KEY, "Bech32 string too long");
    int has_low = 0, has_up = 0;
    size_t sep = SIZE_MAX;
    for (size_t i = 0; i < slen; i++) {
        char c = s[i];
        if (c < 33 || c > 126)
            return err_set_at(err, KP_E_AGE_KEY, (int64_t)i, "Bech32 string has a bad character");
        has_low |= c >= 'a' && c <= 'z';
        has_up |= c >= 'A' && c <= 'Z';
        if (c == '1') sep = i;
    }
    if (has_low && has_up) return err_set(err, KP_E_AGE_KEY, "Bech32 string mixes upper and lower case");
    if (sep == SIZE_MAX || sep == 0 || slen - sep - 1 < 6)
        return err_set(err, KP_E_AGE_KEY, "Bech32 string lacks a prefix, separator or checksum");
    if (sep + 1 > hrpsize) return err_set(err, KP_E_AGE_KEY, "Bech32 prefix too long");
    for (size_t i = 0; i < sep; i++) hrp[i] = lower(s[i]);
    hrp[sep] = 0;
    uint32_t chk = polymod_hrp(hrp, sep), acc = 0;
    int bits = 0;
    size_t n = 0, nsym = slen - sep - 1;
    for (size_t i = 0; i < nsym; i++) {
        const char *f = strchr(charset, lower(s[sep + 1 + i]));
        if (!f || !*f)
            return err_set_at(err, KP_E_AGE_KEY, (int64_t)(sep + 1 + i),
                              "character is not in the Bech32 alphabet");
        uint8_t v = (uint8_t)(f - charset);
        chk = polymod_step(chk, v);
        if (i >= nsym - 6) continue; /* checksum symbols carry no data */
        acc = ((acc << 5) | v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (n == datamax) return err_set(err, KP_E_AGE_KEY, "Bech32 data too long");
            data[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (chk != 1) return err_set(err, KP_E_AGE_KEY, "Bech32 checksum does not match");
    /* Padding: fewer than 5 bits, all zero (one encoding per byte string). */
    if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
        return err_set(err, KP_E_AGE_KEY, "Bech32 data has non-zero padding");
    *datalen = n;
    return KP_OK;
}
