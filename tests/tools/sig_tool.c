/*
 * sig_tool.c: signing and verifying with the library from the command
 * line, so that tests can check our signatures with python3-cryptography
 * and the other way round.
 *
 *   sig_tool sign --store DIR NAME MSGFILE      hex signature (64 bytes)
 *   sig_tool verify ALG PKHEX MSGFILE SIGHEX    exit 0, or E_CODE and 1
 *   sig_tool der2raw DERHEX                     raw r||s in hex (strict DER)
 *   sig_tool uncompress ALG PKHEX               SEC1 uncompressed in hex
 *
 * ALG is ed25519, p256 or secp256k1.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/file.h"

static int fail(const kp_error *e)
{
    printf("%s\n", kp_status_name(e->code));
    fprintf(stderr, "sig_tool: %s: %s\n", kp_status_name(e->code), e->msg);
    return kp_status_exit(e->code);
}

static int unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
    return sodium_hex2bin(out, max, hex, strlen(hex), NULL, len, NULL) == 0 &&
           *len * 2 == strlen(hex);
}

static void put_hex(const uint8_t *p, size_t n)
{
    char s[2 * 128 + 1];
    sodium_bin2hex(s, sizeof s, p, n);
    printf("%s\n", s);
}

int main(int argc, char **argv)
{
    kp_error e;
    kp_error_clear(&e);
    if (argc == 6 && strcmp(argv[1], "sign") == 0 && strcmp(argv[2], "--store") == 0) {
        kp_key *k = NULL;
        uint8_t *msg = NULL, sig[KP_SIG_BYTES];
        size_t len = 0;
        if (kp_key_load(argv[3], argv[4], &k, &e) || file_read_all(argv[5], 1 << 26, &msg, &len, &e) ||
            kp_key_sign(k, msg, len, sig, &e))
            return fail(&e);
        put_hex(sig, sizeof sig);
        mem_free(msg, len + 1);
        kp_key_free(k);
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "verify") == 0) {
        kp_key_alg alg;
        uint8_t pk[100], sig[100], *msg = NULL;
        size_t pl, sl, len = 0;
        if (kp_key_alg_parse(argv[2], &alg, &e)) return fail(&e);
        if (!unhex(argv[3], pk, sizeof pk, &pl) || !unhex(argv[5], sig, sizeof sig, &sl)) return 2;
        if (file_read_all(argv[4], 1 << 26, &msg, &len, &e)) return fail(&e);
        int rc = kp_sig_verify(alg, pk, pl, msg, len, sig, sl, &e);
        mem_free(msg, len + 1);
        if (rc) return fail(&e);
        printf("OK\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "der2raw") == 0) {
        uint8_t der[200], sig[64];
        size_t dl;
        if (!unhex(argv[2], der, sizeof der, &dl)) return 2;
        if (cry_ecdsa_sig_from_der(sig, der, dl, &e)) return fail(&e);
        put_hex(sig, 64);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "uncompress") == 0) {
        kp_key_alg alg;
        uint8_t pk[100], out[65];
        size_t pl;
        if (kp_key_alg_parse(argv[2], &alg, &e)) return fail(&e);
        if (!unhex(argv[3], pk, sizeof pk, &pl)) return 2;
        if (cry_ecdsa_pk_uncompress(alg, out, pk, pl, &e)) return fail(&e);
        put_hex(out, 65);
        return 0;
    }
    fprintf(stderr, "usage: sig_tool sign --store DIR NAME MSGFILE\n"
                    "       sig_tool verify ALG PKHEX MSGFILE SIGHEX\n"
                    "       sig_tool der2raw DERHEX\n"
                    "       sig_tool uncompress ALG PKHEX\n");
    return 2;
}
