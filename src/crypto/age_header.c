/*
 * age_header.c: the strict parser of an age v1 header. It follows the ABNF
 * of the spec line by line, and decodes every stanza body and the MAC to
 * prove their base64 canonical (unpadded, zero trailing bits), as the spec
 * requires of decoders. Stanzas are recorded as offsets; interpreting them
 * is age.c's job.
 *
 * Every count is bounded by the input left: the header may not exceed
 * CRY_AGE_HEADER_MAX bytes nor CRY_AGE_STANZAS_MAX stanzas.
 */
#include <string.h>

#include "crypto/age.h"
#include "util/alloc.h"
#include "util/error.h"

static const char version_line[] = "age-encryption.org/v1";
static const char version_prefix[] = "age-encryption.org/";

static int is_b64(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* Canonical unpadded base64 of n characters into out (outmax bytes);
   -1 when not canonical or too long. */
static long b64_decode(const uint8_t *s, size_t n, uint8_t *out, size_t outmax)
{
    return cry_base64_decode(out, outmax, (const char *)s, n, 0, NULL);
}

/*
 * The line at *pos: sets *end to its LF. Lines may hold no byte outside
 * printable ASCII (VCHAR and space), so CR, NUL or UTF-8 never pass.
 */
static int next_line(const uint8_t *in, size_t limit, size_t pos, size_t *end, size_t inlen,
                     kp_error *err)
{
    for (size_t i = pos; i < limit; i++) {
        if (in[i] == '\n') {
            *end = i;
            return KP_OK;
        }
        if (in[i] < 0x20 || in[i] > 0x7e)
            return err_set_at(err, KP_E_AGE_HEADER, (int64_t)i, "age header has a byte 0x%02x",
                              in[i]);
    }
    if (limit < inlen)
        return err_set_at(err, KP_E_LIMIT, (int64_t)limit, "age header longer than %d bytes",
                          CRY_AGE_HEADER_MAX);
    return err_set_at(err, KP_E_AGE_HEADER, (int64_t)inlen, "age header ends early");
}

static int add_stanza(cry_age_header *h, cry_age_stanza **out, size_t off, kp_error *err)
{
    if (h->n == CRY_AGE_STANZAS_MAX)
        return err_set_at(err, KP_E_LIMIT, (int64_t)off, "age header has over %d stanzas",
                          CRY_AGE_STANZAS_MAX);
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8, bytes, old = h->cap * sizeof *h->st;
        if (!size_mul(cap, sizeof *h->st, &bytes)) return err_set(err, KP_E_NOMEM, "out of memory");
        cry_age_stanza *st = mem_realloc(h->st, old, bytes);
        if (!st) return err_set(err, KP_E_NOMEM, "out of memory parsing an age header");
        h->st = st;
        h->cap = cap;
    }
    *out = &h->st[h->n++];
    memset(*out, 0, sizeof **out);
    (*out)->off = off;
    return KP_OK;
}

/* "-> " arg *(SP arg): arguments are 1*VCHAR, so no empty argument, no
   leading, trailing or double space. */
static int parse_args(const uint8_t *in, size_t pos, size_t end, cry_age_stanza *s,
                      kp_error *err)
{
    size_t i = pos + 3;
    for (;;) {
        size_t a = i;
        while (i < end && in[i] != ' ') i++;
        if (i == a)
            return err_set_at(err, KP_E_AGE_HEADER, (int64_t)a, "empty stanza argument");
        if (s->argc == 0) {
            s->type_off = a;
            s->type_len = i - a;
        } else if (s->argc == 1) {
            s->arg1_off = a;
            s->arg1_len = i - a;
        }
        s->argc++;
        if (i == end) return KP_OK;
        i++; /* the single space */
    }
}

/* Body lines: full lines of exactly 64 base64 columns, then one shorter
   (maybe empty) final line. Each full line is 48 bytes on its own, so
   lines decode independently and the final one carries any partial
   group: decoding line by line checks the whole body is canonical. */
static int parse_body(const uint8_t *in, size_t limit, size_t inlen, size_t *pos,
                      cry_age_stanza *s, kp_error *err)
{
    uint8_t tmp[48];
    s->body_off = *pos;
    for (;;) {
        size_t end;
        int rc = next_line(in, limit, *pos, &end, inlen, err);
        if (rc) return rc;
        size_t n = end - *pos;
        if (n > CRY_AGE_LINE_COLUMNS)
            return err_set_at(err, KP_E_AGE_HEADER, (int64_t)*pos,
                              "stanza body line longer than 64 columns");
        for (size_t i = *pos; i < end; i++)
            if (!is_b64(in[i]))
                return err_set_at(err, KP_E_AGE_HEADER, (int64_t)i,
                                  "stanza body is not base64");
        long got = b64_decode(in + *pos, n, tmp, sizeof tmp);
        if (got < 0)
            return err_set_at(err, KP_E_AGE_HEADER, (int64_t)*pos,
                              "stanza body is not canonical base64");
        s->body_bytes += (size_t)got;
        *pos = end + 1;
        if (n < CRY_AGE_LINE_COLUMNS) break;
    }
    s->body_len = *pos - s->body_off;
    cry_wipe(tmp, sizeof tmp);
    return KP_OK;
}

int cry_age_header_parse(const uint8_t *in, size_t len, cry_age_header *h, kp_error *err)
{
    cry_age_header hd;
    memset(&hd, 0, sizeof hd);
    size_t limit = len < CRY_AGE_HEADER_MAX ? len : CRY_AGE_HEADER_MAX, pos = 0, end;
    int rc;
    /* The version line decides what the rest is, so look at it first. */
    size_t pl = sizeof version_prefix - 1, vl = sizeof version_line - 1;
    if (len < pl || memcmp(in, version_prefix, pl) != 0) {
        rc = err_set_at(err, KP_E_AGE_HEADER, 0, "not an age file (no age-encryption.org/ line)");
        goto fail;
    }
    if ((rc = next_line(in, limit, 0, &end, len, err))) goto fail;
    if (end != vl || memcmp(in, version_line, vl) != 0) {
        rc = err_set_at(err, KP_E_AGE_VERSION, (int64_t)pl, "age version '%.*s' is not v1",
                        (int)(end - pl > 32 ? 32 : end - pl), (const char *)in + pl);
        goto fail;
    }
    pos = end + 1;
    for (;;) {
        if ((rc = next_line(in, limit, pos, &end, len, err))) goto fail;
        size_t n = end - pos;
        if (n >= 3 && memcmp(in + pos, "-> ", 3) == 0) {
            cry_age_stanza *s = NULL;
            if ((rc = add_stanza(&hd, &s, pos, err)) || (rc = parse_args(in, pos, end, s, err)))
                goto fail;
            pos = end + 1;
            if ((rc = parse_body(in, limit, len, &pos, s, err))) goto fail;
            continue;
        }
        if (n >= 3 && memcmp(in + pos, "---", 3) == 0) {
            /* end = "--- " 43base64char LF */
            if (hd.n == 0) {
                rc = err_set_at(err, KP_E_AGE_HEADER, (int64_t)pos, "age header has no stanza");
                goto fail;
            }
            if (n != 4 + 43 || in[pos + 3] != ' ' ||
                b64_decode(in + pos + 4, 43, hd.mac, sizeof hd.mac) != (long)sizeof hd.mac) {
                rc = err_set_at(err, KP_E_AGE_HEADER, (int64_t)pos,
                                "age MAC line is not \"--- \" and 43 base64 characters");
                goto fail;
            }
            hd.mac_len = pos + 3;
            hd.len = end + 1;
            break;
        }
        rc = err_set_at(err, KP_E_AGE_HEADER, (int64_t)pos,
                        "age header line is neither a stanza nor the MAC");
        goto fail;
    }
    *h = hd;
    return KP_OK;
fail:
    cry_age_header_free(&hd);
    return rc;
}

void cry_age_header_free(cry_age_header *h)
{
    mem_free(h->st, h->cap * sizeof *h->st);
    memset(h, 0, sizeof *h);
}

int cry_age_stanza_is(const uint8_t *in, const cry_age_stanza *s, const char *t)
{
    size_t n = strlen(t);
    return s->type_len == n && memcmp(in + s->type_off, t, n) == 0;
}

int cry_age_stanza_body(const uint8_t *in, const cry_age_stanza *s, uint8_t *out, size_t outmax,
                        size_t *outlen, kp_error *err)
{
    if (s->body_bytes > outmax)
        return err_set_at(err, KP_E_AGE_HEADER, (int64_t)s->body_off,
                          "stanza body of %zu bytes (at most %zu expected)", s->body_bytes, outmax);
    /* The parser proved the lines canonical; skipping the line feeds turns
       them back into one base64 string. */
    long got = s->body_len > 1 ? cry_base64_decode(out, outmax, (const char *)in + s->body_off,
                                                   s->body_len - 1, 0, "\n")
                               : 0;
    if (got < 0)
        return err_set_at(err, KP_E_AGE_HEADER, (int64_t)s->body_off, "stanza body is not base64");
    *outlen = (size_t)got;
    return KP_OK;
}
