/*
 * age.c: age v1 files for X25519 recipients (see age.h): the key strings,
 * encryption, and decryption with one identity. The header parser lives in
 * age_header.c and the armor in age_armor.c.
 *
 *   wrap key    = HKDF(ikm = X25519 secret, salt = share || recipient,
 *                      info = "age-encryption.org/v1/X25519")
 *   stanza body = ChaCha20-Poly1305(wrap key, nonce 0, file key)
 *   MAC         = HMAC(HKDF(file key, "", "header"), header through "---")
 *   payload key = HKDF(file key, salt = 16-byte nonce, info = "payload")
 *   chunk i     = ChaCha20-Poly1305(payload key, i as 11 bytes BE || last)
 */
#include <string.h>

#include "crypto/age.h"
#include "util/alloc.h"
#include "util/error.h"

static const char x25519_label[] = "age-encryption.org/v1/X25519";
static const char recipient_hrp[] = "age";
static const char identity_hrp[] = "age-secret-key-";

/* ---- key strings ---- */

void cry_age_recipient_format(char out[KP_AGE_RECIPIENT_BYTES], const uint8_t pk[CRY_X25519_BYTES])
{
    /* Cannot fail: the sizes are fixed and fit. */
    (void)cry_bech32_encode(out, KP_AGE_RECIPIENT_BYTES, recipient_hrp, pk, CRY_X25519_BYTES, 0,
                            NULL);
}

void cry_age_identity_format(char out[KP_AGE_SECRET_BYTES], const uint8_t sk[CRY_X25519_BYTES])
{
    (void)cry_bech32_encode(out, KP_AGE_SECRET_BYTES, identity_hrp, sk, CRY_X25519_BYTES, 1, NULL);
}

/* Decodes a key string whose prefix must be exactly want (age spells
   recipients in lower case and identities in upper case). */
static int key_parse(const char *s, size_t slen, const char *want, const char *hrp,
                     uint8_t key[CRY_X25519_BYTES], const char *what, kp_error *err)
{
    char got[32];
    uint8_t data[CRY_X25519_BYTES + 8];
    size_t n = 0, wl = strlen(want);
    int rc;
    if (slen < wl || memcmp(s, want, wl) != 0)
        return err_set(err, KP_E_AGE_KEY, "%s must start with %s", what, want);
    if ((rc = cry_bech32_decode(s, slen, got, sizeof got, data, sizeof data, &n, err))) goto fail;
    if (strcmp(got, hrp) != 0 || n != CRY_X25519_BYTES) {
        rc = err_set(err, KP_E_AGE_KEY, "%s is not an X25519 key of age (%zu bytes)", what, n);
        goto fail;
    }
    memcpy(key, data, CRY_X25519_BYTES);
fail:
    cry_wipe(data, sizeof data);
    return rc;
}

int cry_age_recipient_parse(const char *s, size_t slen, uint8_t pk[CRY_X25519_BYTES], kp_error *err)
{
    return key_parse(s, slen, "age1", recipient_hrp, pk, "age recipient", err);
}

int cry_age_identity_parse(const char *s, size_t slen, uint8_t sk[CRY_X25519_BYTES], kp_error *err)
{
    return key_parse(s, slen, "AGE-SECRET-KEY-1", identity_hrp, sk, "age identity", err);
}

/* ---- shared steps ---- */

static int wrap_key(uint8_t key[CRY_CHACHA_KEY_BYTES], const uint8_t shared[CRY_X25519_BYTES],
                    const uint8_t share[CRY_X25519_BYTES], const uint8_t rcpt[CRY_X25519_BYTES],
                    kp_error *err)
{
    uint8_t salt[2 * CRY_X25519_BYTES];
    memcpy(salt, share, CRY_X25519_BYTES);
    memcpy(salt + CRY_X25519_BYTES, rcpt, CRY_X25519_BYTES);
    return cry_hkdf_sha256(key, CRY_CHACHA_KEY_BYTES, shared, CRY_X25519_BYTES, salt, sizeof salt,
                           x25519_label, sizeof x25519_label - 1, err);
}

static int header_mac(uint8_t mac[CRY_HMAC_SHA256_BYTES],
                      const uint8_t file_key[CRY_AGE_FILE_KEY_BYTES], const uint8_t *hdr,
                      size_t len, kp_error *err)
{
    uint8_t key[CRY_SHA256_BYTES];
    int rc = cry_hkdf_sha256(key, sizeof key, file_key, CRY_AGE_FILE_KEY_BYTES, NULL, 0, "header",
                             6, err);
    if (rc == KP_OK) cry_hmac_sha256(mac, key, sizeof key, hdr, len);
    cry_wipe(key, sizeof key);
    return rc;
}

static void chunk_nonce(uint8_t nonce[CRY_CHACHA_NONCE_BYTES], uint64_t i, int last)
{
    /* 11-byte big-endian counter: the top three bytes stay zero because a
       buffer in memory never holds 2^64 chunks. */
    memset(nonce, 0, CRY_CHACHA_NONCE_BYTES);
    for (int b = 0; b < 8; b++) nonce[10 - b] = (uint8_t)(i >> (8 * b));
    nonce[11] = last ? 1 : 0;
}

static int b64_append(buf *out, const uint8_t *data, size_t len)
{
    char tmp[CRY_BASE64_LEN(32)];
    if (len > 32) return KP_E_INTERNAL;
    return buf_append(out, tmp, cry_base64(tmp, data, len, 0));
}

/* ---- encryption ---- */

static int add_stanza(buf *out, const uint8_t file_key[CRY_AGE_FILE_KEY_BYTES],
                      const uint8_t rcpt[CRY_X25519_BYTES], kp_error *err)
{
    static const uint8_t zero_nonce[CRY_CHACHA_NONCE_BYTES];
    uint8_t esk[CRY_X25519_BYTES], share[CRY_X25519_BYTES], shared[CRY_X25519_BYTES];
    uint8_t key[CRY_CHACHA_KEY_BYTES], body[CRY_AGE_FILE_KEY_BYTES + CRY_CHACHA_TAG_BYTES];
    int rc;
    cry_x25519_keygen(share, esk);
    if ((rc = cry_x25519(shared, esk, rcpt, err))) {
        err_prefix(err, "age recipient");
        goto fail;
    }
    if ((rc = wrap_key(key, shared, share, rcpt, err)) ||
        (rc = cry_aead_encrypt(body, file_key, CRY_AGE_FILE_KEY_BYTES, NULL, 0, zero_nonce, key,
                               err)))
        goto fail;
    if ((rc = buf_append(out, "-> X25519 ", 10)) || (rc = b64_append(out, share, sizeof share)) ||
        (rc = buf_putc(out, '\n')) || (rc = b64_append(out, body, sizeof body)) ||
        (rc = buf_putc(out, '\n')))
        err_set(err, rc, "out of memory writing an age header");
fail:
    cry_wipe(esk, sizeof esk);
    cry_wipe(shared, sizeof shared);
    cry_wipe(key, sizeof key);
    return rc;
}

static int seal_payload(buf *out, const uint8_t file_key[CRY_AGE_FILE_KEY_BYTES],
                        const uint8_t *pt, size_t len, kp_error *err)
{
    uint8_t nonce[CRY_AGE_NONCE_BYTES], key[CRY_CHACHA_KEY_BYTES], cn[CRY_CHACHA_NONCE_BYTES];
    /* One chunk at least: an empty plaintext is one empty final chunk. */
    size_t chunks = len == 0 ? 1 : len / CRY_AGE_CHUNK_BYTES + (len % CRY_AGE_CHUNK_BYTES != 0);
    size_t total, tags;
    int rc;
    if (!size_mul(chunks, CRY_CHACHA_TAG_BYTES, &tags) || !size_add(len, tags, &total) ||
        !size_add(total, sizeof nonce, &total))
        return err_set(err, KP_E_LIMIT, "plaintext too large");
    if ((rc = buf_reserve(out, total))) return err_set(err, rc, "out of memory encrypting");
    cry_random(nonce, sizeof nonce);
    if ((rc = cry_hkdf_sha256(key, sizeof key, file_key, CRY_AGE_FILE_KEY_BYTES, nonce,
                              sizeof nonce, "payload", 7, err)))
        goto fail;
    memcpy(out->p + out->len, nonce, sizeof nonce);
    out->len += sizeof nonce;
    for (size_t i = 0; i < chunks; i++) {
        size_t off = i * CRY_AGE_CHUNK_BYTES;
        size_t n = len - off < CRY_AGE_CHUNK_BYTES ? len - off : CRY_AGE_CHUNK_BYTES;
        chunk_nonce(cn, i, i + 1 == chunks);
        if ((rc = cry_aead_encrypt(out->p + out->len, pt + off, n, NULL, 0, cn, key, err)))
            goto fail;
        out->len += n + CRY_CHACHA_TAG_BYTES;
    }
fail:
    cry_wipe(key, sizeof key);
    return rc;
}

int cry_age_encrypt(const uint8_t (*recipients)[CRY_X25519_BYTES], size_t n, const uint8_t *pt,
                    size_t len, buf *out, kp_error *err)
{
    uint8_t file_key[CRY_AGE_FILE_KEY_BYTES], mac[CRY_HMAC_SHA256_BYTES];
    size_t start = out->len;
    int rc;
    if (n == 0 || n > CRY_AGE_STANZAS_MAX)
        return err_set(err, KP_E_ARG, "age needs 1..%d recipients, not %zu", CRY_AGE_STANZAS_MAX, n);
    if ((rc = cry_init(err))) return rc;
    cry_random(file_key, sizeof file_key);
    if ((rc = buf_append(out, "age-encryption.org/v1\n", 22))) {
        err_set(err, rc, "out of memory writing an age header");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = add_stanza(out, file_key, recipients[i], err))) goto fail;
    if ((rc = buf_append(out, "---", 3))) {
        err_set(err, rc, "out of memory writing an age header");
        goto fail;
    }
    if ((rc = header_mac(mac, file_key, out->p + start, out->len - start, err))) goto fail;
    if ((rc = buf_putc(out, ' ')) || (rc = b64_append(out, mac, sizeof mac)) ||
        (rc = buf_putc(out, '\n'))) {
        err_set(err, rc, "out of memory writing an age header");
        goto fail;
    }
    rc = seal_payload(out, file_key, pt, len, err);
fail:
    cry_wipe(file_key, sizeof file_key);
    if (rc) out->len = start;
    return rc;
}

/* ---- decryption ---- */

/* An X25519 stanza must have exactly one argument, the canonical base64 of
   32 bytes, and a body of exactly 32 bytes (checked before any attempt to
   decrypt it, against partitioning oracles). */
static int x25519_stanza(const uint8_t *in, const cry_age_stanza *s,
                         uint8_t share[CRY_X25519_BYTES], kp_error *err)
{
    if (s->argc != 2)
        return err_set_at(err, KP_E_AGE_HEADER, (int64_t)s->off,
                          "X25519 stanza has %zu arguments, not 1", s->argc - 1);
    if (s->arg1_len != 43 ||
        cry_base64_decode(share, CRY_X25519_BYTES, (const char *)in + s->arg1_off, s->arg1_len,
                          0, NULL) != CRY_X25519_BYTES)
        return err_set_at(err, KP_E_AGE_HEADER, (int64_t)s->arg1_off,
                          "X25519 share is not canonical base64 of 32 bytes");
    if (s->body_bytes != CRY_AGE_FILE_KEY_BYTES + CRY_CHACHA_TAG_BYTES)
        return err_set_at(err, KP_E_AGE_HEADER, (int64_t)s->body_off,
                          "X25519 stanza body is %zu bytes, not 32", s->body_bytes);
    return KP_OK;
}

/* Finds the file key in the stanza addressed to sk. */
static int unwrap(const uint8_t sk[CRY_X25519_BYTES], const uint8_t *in, const cry_age_header *h,
                  uint8_t file_key[CRY_AGE_FILE_KEY_BYTES], kp_error *err)
{
    static const uint8_t zero_nonce[CRY_CHACHA_NONCE_BYTES];
    uint8_t pk[CRY_X25519_BYTES], share[CRY_X25519_BYTES], shared[CRY_X25519_BYTES];
    uint8_t key[CRY_CHACHA_KEY_BYTES], body[CRY_AGE_FILE_KEY_BYTES + CRY_CHACHA_TAG_BYTES];
    size_t blen;
    int rc = KP_OK;
    /* Syntax first, for every X25519 stanza, so that a malformed stanza is
       refused whether or not an earlier one is ours. */
    for (size_t i = 0; i < h->n; i++)
        if (cry_age_stanza_is(in, &h->st[i], "X25519") &&
            (rc = x25519_stanza(in, &h->st[i], share, err)))
            return rc;
    cry_x25519_public(pk, sk);
    rc = err_set(err, KP_E_NOT_RECIPIENT, "no stanza of this age file is for this key");
    for (size_t i = 0; i < h->n; i++) {
        const cry_age_stanza *s = &h->st[i];
        if (!cry_age_stanza_is(in, s, "X25519")) continue; /* other types: not ours */
        int r;
        if ((r = x25519_stanza(in, s, share, err)) ||
            (r = cry_age_stanza_body(in, s, body, sizeof body, &blen, err))) {
            rc = r;
            break;
        }
        if ((r = cry_x25519(shared, sk, share, err))) {
            /* The spec: abort on an all-zero shared secret. */
            err_prefix(err, "age stanza %zu", i + 1);
            rc = r;
            break;
        }
        if ((r = wrap_key(key, shared, share, pk, err))) {
            rc = r;
            break;
        }
        if (cry_aead_decrypt(file_key, body, blen, NULL, 0, zero_nonce, key, NULL) == KP_OK) {
            kp_error_clear(err);
            rc = KP_OK;
            break;
        }
    }
    cry_wipe(shared, sizeof shared);
    cry_wipe(key, sizeof key);
    return rc;
}

/*
 * The payload: a nonce, then ceil(L / 65552) chunks. Whole-buffer
 * decryption knows where the file ends, so the final chunk is the one that
 * reaches the end: it may be full, it must carry the final flag, and it is
 * empty only when it is the only chunk (an empty plaintext).
 */
static int open_payload(const uint8_t file_key[CRY_AGE_FILE_KEY_BYTES], const uint8_t *in,
                        size_t len, size_t at, size_t max_out, buf *out, kp_error *err)
{
    uint8_t key[CRY_CHACHA_KEY_BYTES], cn[CRY_CHACHA_NONCE_BYTES];
    size_t start = out->len;
    int rc;
    if (len - at < CRY_AGE_NONCE_BYTES + CRY_CHACHA_TAG_BYTES)
        return err_set_at(err, KP_E_AGE_PAYLOAD, (int64_t)len, "age payload ends early");
    const uint8_t *nonce = in + at, *ct = in + at + CRY_AGE_NONCE_BYTES;
    size_t clen = len - at - CRY_AGE_NONCE_BYTES;
    size_t chunks = clen / CRY_AGE_ENC_CHUNK_BYTES, rest = clen % CRY_AGE_ENC_CHUNK_BYTES;
    if (rest) chunks++;
    if (rest && rest < CRY_CHACHA_TAG_BYTES)
        return err_set_at(err, KP_E_AGE_PAYLOAD, (int64_t)(len - rest),
                          "age payload ends inside a chunk's tag");
    if (rest == CRY_CHACHA_TAG_BYTES && chunks > 1)
        return err_set_at(err, KP_E_AGE_PAYLOAD, (int64_t)(len - rest),
                          "age payload has an empty final chunk after full ones");
    size_t ptlen = clen - chunks * CRY_CHACHA_TAG_BYTES;
    if (ptlen > max_out)
        return err_set(err, KP_E_LIMIT, "age plaintext of %zu bytes exceeds the limit of %zu",
                       ptlen, max_out);
    if ((rc = buf_reserve(out, ptlen ? ptlen : 1)))
        return err_set(err, rc, "cannot hold %zu bytes of plaintext", ptlen);
    if ((rc = cry_hkdf_sha256(key, sizeof key, file_key, CRY_AGE_FILE_KEY_BYTES, nonce,
                              CRY_AGE_NONCE_BYTES, "payload", 7, err)))
        return rc;
    for (size_t i = 0; i < chunks; i++) {
        size_t off = i * CRY_AGE_ENC_CHUNK_BYTES;
        size_t n = clen - off < CRY_AGE_ENC_CHUNK_BYTES ? clen - off : CRY_AGE_ENC_CHUNK_BYTES;
        chunk_nonce(cn, i, i + 1 == chunks);
        if (cry_aead_decrypt(out->p + out->len, ct + off, n, NULL, 0, cn, key, NULL) != KP_OK) {
            rc = err_set_at(err, KP_E_AGE_PAYLOAD, (int64_t)(at + CRY_AGE_NONCE_BYTES + off),
                            "age payload chunk %zu does not authenticate%s", i,
                            i + 1 == chunks ? " as the final chunk" : "");
            goto fail;
        }
        out->len += n - CRY_CHACHA_TAG_BYTES;
    }
fail:
    cry_wipe(key, sizeof key);
    if (rc) {
        cry_wipe(out->p + start, out->len - start);
        out->len = start;
    }
    return rc;
}

static int decrypt_binary(const uint8_t sk[CRY_X25519_BYTES], const uint8_t *in, size_t len,
                          size_t max_out, buf *out, kp_error *err)
{
    cry_age_header h;
    uint8_t file_key[CRY_AGE_FILE_KEY_BYTES], mac[CRY_HMAC_SHA256_BYTES];
    int rc = cry_age_header_parse(in, len, &h, err);
    if (rc) return rc;
    if ((rc = unwrap(sk, in, &h, file_key, err))) goto fail;
    /* The MAC binds every stanza and the version: checked before the
       payload is touched. */
    if ((rc = header_mac(mac, file_key, in, h.mac_len, err))) goto fail;
    if (!cry_equal(mac, h.mac, sizeof mac)) {
        rc = err_set_at(err, KP_E_AGE_MAC, (int64_t)h.mac_len, "age header MAC does not verify");
        goto fail;
    }
    rc = open_payload(file_key, in, len, h.len, max_out, out, err);
fail:
    cry_wipe(file_key, sizeof file_key);
    cry_age_header_free(&h);
    return rc;
}

int cry_age_decrypt(const uint8_t sk[CRY_X25519_BYTES], const uint8_t *in, size_t len,
                    size_t max_out, buf *out, kp_error *err)
{
    int rc = cry_init(err);
    if (rc) return rc;
    if (!cry_age_is_armored(in, len)) return decrypt_binary(sk, in, len, max_out, out, err);
    buf bin = {0};
    if ((rc = cry_age_dearmor(in, len, &bin, err)) == KP_OK)
        rc = decrypt_binary(sk, bin.p, bin.len, max_out, out, err);
    buf_free(&bin);
    return rc;
}

int cry_age_inspect(const uint8_t *in, size_t len, cry_age_info *info, kp_error *err)
{
    buf bin = {0};
    cry_age_header h;
    int rc = KP_OK;
    if (cry_age_is_armored(in, len)) {
        if ((rc = cry_age_dearmor(in, len, &bin, err))) goto fail;
        in = bin.p;
        len = bin.len;
    }
    if ((rc = cry_age_header_parse(in, len, &h, err))) goto fail;
    info->header_len = h.len;
    info->stanzas = h.n;
    info->x25519_stanzas = 0;
    for (size_t i = 0; i < h.n; i++)
        info->x25519_stanzas += (size_t)cry_age_stanza_is(in, &h.st[i], "X25519");
    info->payload_len = len - h.len;
    cry_age_header_free(&h);
fail:
    buf_free(&bin);
    return rc;
}
