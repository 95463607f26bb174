/*
 * node.c: the node's own Ed25519 key, which signs the audit log's
 * checkpoints. It lives beside the database as <store>/node.key, in the
 * key store's secret file format (kapsule.h), mode 0600; it is made on
 * first use by writing a temporary file and linking it into place, so two
 * processes starting at once end up with one key (the loser reads the
 * winner's). It is loaded and refused exactly as the key store's secret
 * files are (cry_keyfile_load).
 *
 * The checkpoint origin defaults to "kapsule/<hostname>/<8 hex digits of
 * SHA-256 of the node's public key>": the host alone is not unique (every
 * store on one host signed under one origin with a different key, so two
 * stores' notes collided). A log is bound to its origin at its first
 * checkpoint (log_identity), so renaming the host later changes nothing,
 * and a store that was bound to "kapsule/<hostname>" before keeps it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/key.h"
#include "runtime/runtime.h"
#include "util/error.h"
#include "util/file.h"

/* The node key file at path, checked as the key store's secret files are
   (cry_keyfile_load: one code per fault whichever verb reached it), and
   Ed25519. *out is freed with kp_key_free. */
static int load(const char *path, kp_key **out, kp_error *err)
{
    kp_key *k = NULL;
    int rc = cry_keyfile_load(path, &k, err);
    if (rc) return rc;
    if (k->alg != KP_ALG_ED25519) {
        kp_key_free(k);
        return err_set(err, KP_E_KEY_FILE, "%s: the node key must be Ed25519", path);
    }
    *out = k;
    return KP_OK;
}

/* Loads <dir>/node.key, making it first when there is none. */
static int node_load(const char *dir, kp_key **out, kp_error *err)
{
    char path[4096], tmp[4200];
    if (snprintf(path, sizeof path, "%s/%s", dir, RT_NODE_KEY_FILE) >= (int)sizeof path)
        return err_set(err, KP_E_ARG, "store path too long");
    if (access(path, F_OK) == 0) return load(path, out, err);
    kp_key *k = NULL;
    char *text = NULL;
    size_t tlen = 0;
    int rc = kp_key_generate(KP_ALG_ED25519, &k, err);
    if (rc == KP_OK) rc = cry_keyfile_write(k, 1, &text, &tlen, err);
    kp_key_free(k);
    if (rc) return rc;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    rc = file_write_atomic(tmp, text, tlen, 0600, err);
    kp_key_text_free(text, tlen);
    if (rc) return rc;
    if (link(tmp, path) != 0 && errno != EEXIST) {
        rc = err_errno(err, errno, "installing the node key", path);
        unlink(tmp);
        return rc;
    }
    unlink(tmp);
    return load(path, out, err);
}

int rt_node_key(const char *dir, uint8_t sk[KP_LOG_SK_BYTES], kp_error *err)
{
    kp_key *k = NULL;
    int rc = node_load(dir, &k, err);
    if (rc) return rc;
    memcpy(sk, k->sign_sk, KP_LOG_SK_BYTES);
    kp_key_free(k);
    return KP_OK;
}

int rt_node_signer(const char *dir, kp_key **out, kp_error *err)
{
    return node_load(dir, out, err);
}

void rt_default_origin(const uint8_t node_pk[32], char out[KP_LOG_ORIGIN_MAX + 1])
{
    char host[256];
    size_t n = 0;
    uint8_t h[CRY_SHA256_BYTES];
    if (gethostname(host, sizeof host) != 0) host[0] = 0;
    host[sizeof host - 1] = 0;
    int len = snprintf(out, KP_LOG_ORIGIN_MAX + 1, "kapsule/");
    for (const char *p = host; *p && len + 1 < KP_LOG_ORIGIN_MAX - 9 && n < 200; p++, n++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '_')
            out[len++] = c;
    }
    if (len == 8) len += snprintf(out + len, (size_t)(KP_LOG_ORIGIN_MAX + 1 - len), "localhost");
    cry_sha256(h, node_pk, 32);
    snprintf(out + len, (size_t)(KP_LOG_ORIGIN_MAX + 1 - len), "/%02x%02x%02x%02x", h[0], h[1],
             h[2], h[3]);
}
