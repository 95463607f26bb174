/*
 * note.c: C2SP signed notes (c2sp.org/signed-note) with Ed25519
 * signatures, and their verifier keys in the Go sumdb form
 * "<name>+<hex key id>+<base64(0x01 || public key)>".
 *
 * A note is text ending in '\n', a blank line, then one or more lines
 * "— <key name> <base64(4-byte big-endian key id || signature)>\n". The
 * text ends at the last blank line. Parsing is strict: valid UTF-8, no
 * control characters but '\n', every signature line well formed (even for
 * unknown keys), canonical base64.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "log/log.h"
#include "util/alloc.h"
#include "util/error.h"

/* Decodes one UTF-8 sequence at s[0..n); 0 when it is not valid (overlong
   forms, surrogates and code points past U+10FFFF are not). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

/* Unicode White_Space, as Go's unicode.IsSpace sees it. */
static int is_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

int log_text_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_next(p + i, n - i, &cp);
        if (k == 0 || (cp < 0x20 && cp != '\n')) return 0;
        i += k;
    }
    return 1;
}

int log_name_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0 || n > KP_LOG_ORIGIN_MAX) return 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_next(p + i, n - i, &cp);
        if (k == 0 || cp < 0x20 || cp == 0x7f || cp == '+' || is_space(cp)) return 0;
        i += k;
    }
    return 1;
}

uint32_t log_key_id(const char *name, size_t n, const uint8_t pk[KP_LOG_PK_BYTES])
{
    cry_sha256_ctx h;
    uint8_t d[CRY_SHA256_BYTES];
    static const uint8_t sep[2] = {0x0a, 0x01}; /* newline, then the Ed25519 type */
    cry_sha256_init(&h);
    cry_sha256_update(&h, name, n);
    cry_sha256_update(&h, sep, sizeof sep);
    cry_sha256_update(&h, pk, KP_LOG_PK_BYTES);
    cry_sha256_final(&h, d);
    return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

int kp_log_vkey(const char *name, const uint8_t pk[KP_LOG_PK_BYTES], char vkey[KP_LOG_VKEY_MAX],
                kp_error *err)
{
    uint8_t key[1 + KP_LOG_PK_BYTES];
    char b64[CRY_BASE64_LEN(sizeof key)];
    size_t n = name ? strlen(name) : 0;
    if (!log_name_valid(name ? name : "", n))
        return err_set(err, KP_E_ARG, "invalid key name (1..255 bytes, no spaces, no '+')");
    key[0] = 0x01;
    memcpy(key + 1, pk, KP_LOG_PK_BYTES);
    cry_base64(b64, key, sizeof key, 1);
    snprintf(vkey, KP_LOG_VKEY_MAX, "%s+%08x+%s", name, (unsigned)log_key_id(name, n, pk), b64);
    return KP_OK;
}

int log_vkey_parse(const char *s, log_vkey *out, kp_error *err)
{
    const char *p1, *p2;
    uint8_t key[1 + KP_LOG_PK_BYTES + 1];
    if (!s) return err_set(err, KP_E_NOTE_VKEY, "no verifier key");
    p1 = strchr(s, '+');
    p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    if (!p2) return err_set(err, KP_E_NOTE_VKEY, "a verifier key is name+keyid+key");
    size_t n = (size_t)(p1 - s);
    if (!log_name_valid(s, n)) return err_set(err, KP_E_NOTE_VKEY, "invalid key name");
    /* the key id: exactly eight lowercase hex digits, as the key's own
       writers print it */
    if (p2 - p1 - 1 != 8) return err_set(err, KP_E_NOTE_VKEY, "key id is not 8 hex digits");
    uint32_t id = 0;
    for (const char *c = p1 + 1; c < p2; c++) {
        int d = (*c >= '0' && *c <= '9') ? *c - '0' : (*c >= 'a' && *c <= 'f') ? *c - 'a' + 10 : -1;
        if (d < 0) return err_set(err, KP_E_NOTE_VKEY, "key id is not lowercase hex");
        id = id << 4 | (uint32_t)d;
    }
    long klen = cry_base64_decode(key, sizeof key, p2 + 1, strlen(p2 + 1), 1, NULL);
    if (klen < 0) return err_set(err, KP_E_NOTE_VKEY, "key is not canonical base64");
    if (klen != 1 + KP_LOG_PK_BYTES || key[0] != 0x01)
        return err_set(err, KP_E_NOTE_VKEY, "key is not an Ed25519 note key (0x01 || 32 bytes)");
    if (log_key_id(s, n, key + 1) != id)
        return err_set(err, KP_E_NOTE_VKEY, "key id does not match the name and key");
    memcpy(out->name, s, n);
    out->name[n] = 0;
    out->name_len = n;
    out->id = id;
    memcpy(out->pk, key + 1, KP_LOG_PK_BYTES);
    return KP_OK;
}

int log_note_sign(const char *text, size_t len, const char *name,
                  const uint8_t sk[KP_LOG_SK_BYTES], buf *out, kp_error *err)
{
    uint8_t blob[4 + CRY_ED25519_SIG_BYTES];
    size_t n = strlen(name);
    int rc;
    if (len == 0 || text[len - 1] != '\n' || !log_text_valid(text, len))
        return err_set(err, KP_E_ARG, "note text must be UTF-8 lines ending in a newline");
    if (!log_name_valid(name, n)) return err_set(err, KP_E_ARG, "invalid key name");
    uint32_t id = log_key_id(name, n, sk + 32);
    blob[0] = (uint8_t)(id >> 24), blob[1] = (uint8_t)(id >> 16);
    blob[2] = (uint8_t)(id >> 8), blob[3] = (uint8_t)id;
    cry_ed25519_sign(blob + 4, (const uint8_t *)text, len, sk);
    size_t mark = out->len;
    if ((rc = buf_append(out, text, len)) != KP_OK || (rc = buf_append(out, "\n", 1)) != KP_OK ||
        (rc = buf_append(out, LOG_NOTE_DASH, strlen(LOG_NOTE_DASH))) != KP_OK ||
        (rc = buf_append(out, name, n)) != KP_OK || (rc = buf_putc(out, ' ')) != KP_OK ||
        (rc = log_b64_append(out, blob, sizeof blob)) != KP_OK ||
        (rc = buf_putc(out, '\n')) != KP_OK) {
        out->len = mark;
        return err_set(err, rc, "out of memory signing a note");
    }
    return KP_OK;
}

int log_note_open(const char *msg, size_t len, const log_vkey *vk, size_t *text_len,
                  kp_error *err)
{
    const size_t dash = strlen(LOG_NOTE_DASH);
    uint8_t *sig = NULL;
    size_t sig_cap = len; /* base64 never decodes to more bytes than it has */
    int rc = KP_OK, good = 0, bad = 0, nsigs = 0;
    kp_error why = {0}; /* why the last bad signature failed */

    if (len > LOG_NOTE_READ_MAX)
        return err_set(err, KP_E_LIMIT, "note of %zu bytes exceeds %u", len, LOG_NOTE_READ_MAX);
    if (!log_text_valid(msg, len))
        return err_set(err, KP_E_NOTE_MALFORMED,
                       "note is not UTF-8 text without control characters");
    if (len < 2 || msg[len - 1] != '\n')
        return err_set(err, KP_E_NOTE_MALFORMED, "note does not end in a newline");
    /* the text ends at the last blank line */
    size_t split = len;
    for (size_t i = len - 1; i-- > 0;)
        if (msg[i] == '\n' && msg[i + 1] == '\n') {
            split = i;
            break;
        }
    if (split == len)
        return err_set_at(err, KP_E_NOTE_MALFORMED, (int64_t)len,
                          "note has no blank line before its signatures");
    size_t pos = split + 2;
    if (pos == len)
        return err_set_at(err, KP_E_NOTE_MALFORMED, (int64_t)pos, "note has no signature");
    sig = mem_alloc(sig_cap);
    if (!sig) return err_set(err, KP_E_NOMEM, "out of memory reading a note");
    while (pos < len) {
        const char *line = msg + pos;
        const char *eol = memchr(line, '\n', len - pos); /* found: msg ends in '\n' */
        size_t ll = (size_t)(eol - line);
        if (++nsigs > LOG_NOTE_SIGS_MAX) {
            rc = err_set_at(err, KP_E_NOTE_MALFORMED, (int64_t)pos,
                            "note has more than %d signatures", LOG_NOTE_SIGS_MAX);
            goto done;
        }
        if (ll < dash || memcmp(line, LOG_NOTE_DASH, dash) != 0) {
            rc = err_set_at(err, KP_E_NOTE_MALFORMED, (int64_t)pos,
                            "signature line does not start with an em dash and a space");
            goto done;
        }
        const char *name = line + dash;
        const char *sp = memchr(name, ' ', (size_t)(eol - name));
        if (!sp || !log_name_valid(name, (size_t)(sp - name))) {
            rc = err_set_at(err, KP_E_NOTE_MALFORMED, (int64_t)(name - msg),
                            "signature line has no valid key name");
            goto done;
        }
        long slen = cry_base64_decode(sig, sig_cap, sp + 1, (size_t)(eol - sp - 1), 1, NULL);
        if (slen < 5) {
            rc = err_set_at(err, KP_E_NOTE_MALFORMED, (int64_t)(sp + 1 - msg),
                            "signature is not base64 of a key id and a signature");
            goto done;
        }
        uint32_t id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 | sig[3];
        size_t nlen = (size_t)(sp - name);
        /* only a signature that names the key by name and id is its; others
           are ignored, as the spec requires */
        if (vk && id == vk->id && nlen == vk->name_len && memcmp(name, vk->name, nlen) == 0) {
            /* strict verification (S < L among its checks); which check
               failed is in why, the code stays the note's */
            int vr = slen == 4 + CRY_ED25519_SIG_BYTES
                         ? cry_ed25519_verify(vk->pk, (const uint8_t *)msg, split + 1, sig + 4, &why)
                         : err_set(&why, KP_E_SIG_MALFORMED, "a signature of %ld bytes, not 64",
                                   slen - 4);
            if (vr == KP_OK)
                good++;
            else
                bad++;
        }
        pos += ll + 1;
    }
    if (bad) {
        rc = err_set(err, KP_E_NOTE_BAD_SIG, "note signature by %s+%08x does not verify (%s: %s)",
                     vk->name, (unsigned)vk->id, kp_status_name(why.code), why.msg);
    } else if (!good) {
        rc = err_set(err, KP_E_NOTE_UNVERIFIED, "note has no signature by %s+%08x",
                     vk ? vk->name : "(no key)", vk ? (unsigned)vk->id : 0u);
    } else {
        *text_len = split + 1;
    }
done:
    mem_free(sig, sig_cap);
    return rc;
}
