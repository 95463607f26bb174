/*
 * age_armor.c: the ASCII armor of age files, strict PEM (RFC 7468 section
 * 3) with the label "AGE ENCRYPTED FILE". An armored file is malleable
 * unless the parser is strict, so: white space only before the begin line
 * and after the end line, LF or CRLF line ends, body lines of exactly 64
 * columns but the last (1..64), and canonical padded base64.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/age.h"
#include "util/error.h"

static const char begin_line[] = "-----BEGIN AGE ENCRYPTED FILE-----";
static const char end_line[] = "-----END AGE ENCRYPTED FILE-----";

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_space(const uint8_t *in, size_t len, size_t pos)
{
    while (pos < len && is_space(in[pos])) pos++;
    return pos;
}

int cry_age_is_armored(const uint8_t *in, size_t len)
{
    size_t p = skip_space(in, len, 0), n = sizeof begin_line - 1;
    return len - p >= n && memcmp(in + p, begin_line, n) == 0;
}

/* The line at pos: [pos, *end) without its LF or CRLF; *next after it. */
static void line_at(const uint8_t *in, size_t len, size_t pos, size_t *end, size_t *next)
{
    size_t e = pos;
    while (e < len && in[e] != '\n') e++;
    *next = e < len ? e + 1 : e;
    if (e > pos && e < len && in[e - 1] == '\r') e--;
    *end = e;
}

static int line_is(const uint8_t *in, size_t pos, size_t end, const char *s)
{
    size_t n = strlen(s);
    return end - pos == n && memcmp(in + pos, s, n) == 0;
}

int cry_age_dearmor(const uint8_t *in, size_t len, buf *out, kp_error *err)
{
    buf b64 = {0};
    size_t pos = skip_space(in, len, 0), end, next;
    int rc = KP_E_AGE_ARMOR, short_seen = 0;
    line_at(in, len, pos, &end, &next);
    if (!line_is(in, pos, end, begin_line)) {
        err_set_at(err, rc, (int64_t)pos, "no \"%s\" line", begin_line);
        goto fail;
    }
    for (;;) {
        pos = next;
        if (pos >= len) {
            err_set_at(err, rc, (int64_t)pos, "armor ends without its end line");
            goto fail;
        }
        line_at(in, len, pos, &end, &next);
        if (line_is(in, pos, end, end_line)) break;
        size_t n = end - pos;
        if (short_seen || n == 0 || n > CRY_AGE_LINE_COLUMNS) {
            err_set_at(err, rc, (int64_t)pos, "armor lines must be 64 columns but the last");
            goto fail;
        }
        short_seen = n < CRY_AGE_LINE_COLUMNS;
        if ((rc = buf_append(&b64, in + pos, n))) {
            err_set(err, rc, "out of memory reading armor");
            goto fail;
        }
        rc = KP_E_AGE_ARMOR;
    }
    if (skip_space(in, len, next) != len) {
        err_set_at(err, rc, (int64_t)next, "data after the armor's end line");
        goto fail;
    }
    if (b64.len == 0 || b64.len % 4 != 0) {
        err_set(err, rc, "armor body is empty or not padded base64");
        goto fail;
    }
    size_t room = b64.len / 4 * 3;
    if ((rc = buf_reserve(out, room))) {
        err_set(err, rc, "out of memory reading armor");
        goto fail;
    }
    rc = KP_E_AGE_ARMOR;
    long got = cry_base64_decode(out->p + out->len, room, (const char *)b64.p, b64.len, 1, NULL);
    if (got < 0) {
        err_set(err, rc, "armor body is not canonical base64");
        goto fail;
    }
    out->len += (size_t)got;
    rc = KP_OK;
fail:
    buf_free(&b64);
    return rc;
}
