/*
 * keyfile.c: the text forms of an identity. JSON through jansson (never by
 * hand), keys as lowercase hex (cry_hex):
 *
 *   secret (NAME.key, `kapsule key export --secret`)
 *     {"kapsule_key": 1, "alg": "ed25519", "sign_secret": HEX32,
 *      "sign_public": HEX, "x25519_secret": HEX32, "age_recipient": "age1..."}
 *   public (NAME.pub, `kapsule key export --public`)
 *     {"kapsule_pub": 1, "alg": "ed25519", "sign_public": HEX,
 *      "age_recipient": "age1..."}
 *
 * A receive-only identity has "alg": "none" and no sign_* members. The
 * publics in a secret file are redundant on purpose: they let a reader see
 * what the key is, and parsing checks them against the secrets.
 *
 * jansson keeps its own copies of strings; the secret ones are wiped in
 * place before the tree is released (its parser's scratch buffer is not
 * ours to wipe).
 */
#include <jansson.h>
#include <string.h>

#include "crypto/age.h"
#include "crypto/key.h"
#include "util/alloc.h"
#include "util/error.h"

#define HEX32 65 /* 64 digits and a NUL */

static void wipe_string(json_t *s)
{
    if (json_is_string(s)) cry_wipe((char *)json_string_value(s), json_string_length(s));
}

static void wipe_all_strings(json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) wipe_string(v);
}

static int set_hex(json_t *obj, const char *key, const uint8_t *data, size_t n)
{
    char hex[2 * CRY_PK_MAX_BYTES + 1];
    cry_hex(hex, data, n);
    int bad = json_object_set_new(obj, key, json_string(hex)) != 0;
    cry_wipe(hex, sizeof hex);
    return bad;
}

int cry_keyfile_write(const kp_key *k, int secret, char **out, size_t *len, kp_error *err)
{
    char rcpt[KP_AGE_RECIPIENT_BYTES];
    char *text = NULL;
    size_t n = 0;
    int rc = KP_E_NOMEM;
    json_t *o = json_object();
    if (!o) goto fail;
    cry_age_recipient_format(rcpt, k->x_pk);
    int bad = json_object_set_new(o, secret ? "kapsule_key" : "kapsule_pub", json_integer(1));
    bad |= json_object_set_new(o, "alg", json_string(kp_key_alg_name(k->alg)));
    if (k->alg != KP_ALG_NONE) {
        if (secret) bad |= set_hex(o, "sign_secret", cry_key_sign_secret(k), 32);
        bad |= set_hex(o, "sign_public", k->sign_pk, k->sign_pk_len);
    }
    if (secret) bad |= set_hex(o, "x25519_secret", k->x_sk, CRY_X25519_BYTES);
    bad |= json_object_set_new(o, "age_recipient", json_string(rcpt));
    if (bad) goto fail;
    /* json_dumpb writes into our buffer, so the only copy of the text is
       one we wipe and free. */
    size_t need = json_dumpb(o, NULL, 0, JSON_INDENT(2));
    if (need == 0) goto fail;
    n = need + 1; /* and a newline */
    text = mem_alloc(n + 1);
    if (!text) goto fail;
    if (json_dumpb(o, text, need, JSON_INDENT(2)) != need) goto fail;
    text[need] = '\n';
    text[n] = 0;
    *out = text;
    *len = n;
    text = NULL;
    rc = KP_OK;
fail:
    if (o) wipe_all_strings(o);
    json_decref(o);
    if (text) kp_key_text_free(text, n);
    if (rc) return err_set(err, rc, "out of memory writing a key");
    return KP_OK;
}

/* A member that must be a string of exactly the hex of n bytes. */
static int get_hex(json_t *o, const char *key, uint8_t *out, size_t n, kp_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || json_string_length(v) != 2 * n ||
        cry_hex_decode(out, n, json_string_value(v), 2 * n, CRY_HEX_ANY_CASE) != (long)n)
        return err_set_field(err, KP_E_KEY_FILE, key, "key file member '%s' must be %zu bytes of hex",
                             key, n);
    return KP_OK;
}

int cry_keyfile_parse(const uint8_t *data, size_t len, kp_key **out, kp_error *err)
{
    static const char *const members[] = {"kapsule_key", "alg", "sign_secret", "sign_public",
                                          "x25519_secret", "age_recipient"};
    json_error_t jerr;
    uint8_t sign[32], x[CRY_X25519_BYTES], pub[CRY_ECDSA_PK_BYTES];
    char rcpt[KP_AGE_RECIPIENT_BYTES];
    kp_key *k = NULL;
    kp_key_alg alg = KP_ALG_NONE;
    int rc = KP_E_KEY_FILE;
    json_t *o = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        rc = err_set_at(err, KP_E_KEY_FILE, jerr.position, "key file is not JSON: %s", jerr.text);
        goto fail;
    }
    if (!json_is_object(o)) {
        err_set(err, rc, "key file is not a JSON object");
        goto fail;
    }
    json_t *ver = json_object_get(o, "kapsule_key");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
        err_set_field(err, rc, "kapsule_key", "not a kapsule secret key file (kapsule_key: 1)");
        goto fail;
    }
    json_t *a = json_object_get(o, "alg");
    if (!json_is_string(a)) {
        err_set_field(err, rc, "alg", "key file has no algorithm");
        goto fail;
    }
    if (strcmp(json_string_value(a), "none") != 0 &&
        kp_key_alg_parse(json_string_value(a), &alg, NULL) != KP_OK) {
        err_set_field(err, rc, "alg", "unknown algorithm '%s'", json_string_value(a));
        goto fail;
    }
    /* exactly the members the algorithm has: nothing unknown, nothing
       missing (the checks below find what is missing) */
    size_t want = alg == KP_ALG_NONE ? 4 : 6;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t i = 0;
        while (i < 6 && strcmp(key, members[i]) != 0) i++;
        if (i == 6 || (alg == KP_ALG_NONE && (i == 2 || i == 3))) {
            err_set_field(err, rc, key, "unknown key file member '%s'", key);
            goto fail;
        }
    }
    if (json_object_size(o) != want) {
        err_set(err, rc, "key file lacks members for a %s key", kp_key_alg_name(alg));
        goto fail;
    }
    if (alg != KP_ALG_NONE && (rc = get_hex(o, "sign_secret", sign, 32, err))) goto fail;
    if ((rc = get_hex(o, "x25519_secret", x, sizeof x, err))) goto fail;
    if ((rc = cry_key_from_secrets(alg, alg == KP_ALG_NONE ? NULL : sign, x, &k, err))) {
        if (rc == KP_E_KEY_INVALID)
            rc = err_set_field(err, KP_E_KEY_FILE, "sign_secret", "sign_secret is not a valid %s scalar",
                               kp_key_alg_name(alg));
        goto fail;
    }
    rc = KP_E_KEY_FILE;
    if (alg != KP_ALG_NONE) {
        if (get_hex(o, "sign_public", pub, k->sign_pk_len, err)) goto fail;
        if (memcmp(pub, k->sign_pk, k->sign_pk_len) != 0) {
            err_set_field(err, rc, "sign_public", "sign_public does not match sign_secret");
            goto fail;
        }
    }
    json_t *r = json_object_get(o, "age_recipient");
    kp_key_age_recipient(k, rcpt);
    if (!json_is_string(r) || strcmp(json_string_value(r), rcpt) != 0) {
        err_set_field(err, rc, "age_recipient", "age_recipient does not match x25519_secret");
        goto fail;
    }
    *out = k;
    k = NULL;
    rc = KP_OK;
fail:
    if (o) wipe_all_strings(o);
    json_decref(o);
    kp_key_free(k);
    cry_wipe(sign, sizeof sign);
    cry_wipe(x, sizeof x);
    return rc;
}

int cry_keyfile_parse_age(const uint8_t *data, size_t len, kp_key **out, kp_error *err)
{
    uint8_t x[CRY_X25519_BYTES];
    size_t found = 0, pos = 0;
    int rc = KP_OK;
    while (pos < len) {
        size_t end = pos;
        while (end < len && data[end] != '\n') end++;
        size_t next = end < len ? end + 1 : end, e = end;
        while (e > pos && (data[e - 1] == '\r' || data[e - 1] == ' ' || data[e - 1] == '\t')) e--;
        if (e > pos && data[pos] != '#') {
            if (found++) {
                rc = err_set_at(err, KP_E_AGE_KEY, (int64_t)pos, "more than one age identity");
                break;
            }
            if ((rc = cry_age_identity_parse((const char *)data + pos, e - pos, x, err))) {
                if (err) err->offset = (int64_t)pos;
                break;
            }
        }
        pos = next;
    }
    if (rc == KP_OK && !found) rc = err_set(err, KP_E_AGE_KEY, "no AGE-SECRET-KEY-1 line");
    if (rc == KP_OK) rc = cry_key_from_secrets(KP_ALG_NONE, NULL, x, out, err);
    cry_wipe(x, sizeof x);
    return rc;
}

int kp_key_parse_secret(const uint8_t *data, size_t len, kp_key **out, kp_error *err)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (len > CRY_KEYFILE_MAX) return err_set(err, KP_E_LIMIT, "key text over %d bytes", CRY_KEYFILE_MAX);
    if (i < len && (data[i] == '{' || data[i] == '[')) return cry_keyfile_parse(data, len, out, err);
    return cry_keyfile_parse_age(data, len, out, err);
}
