/*
 * age_tool.c: the library's age code on the command line, so that tests
 * can pit it against the real age CLI.
 *
 *   age_tool encrypt -r RECIPIENT [-r RECIPIENT...] [IN]
 *   age_tool decrypt -i IDENTITY_FILE [IN]      (age-keygen or kapsule JSON)
 *   age_tool decrypt --store DIR --key NAME [IN]
 *   age_tool inspect [IN]
 *   age_tool torture -i IDENTITY_FILE [IN]
 *
 * torture decrypts IN, then every truncation and every single-bit flip of
 * it, in process; it prints the counts and exits 0 only if the original
 * decrypts and every damaged copy is refused with an age code (cutting
 * only the white space that may follow armor is no damage).
 * IN defaults to standard input; output goes to standard output. Errors
 * print "age_tool: E_CODE: message" and exit with the code's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/age.h"
#include "crypto/key.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

#define IN_MAX ((size_t)256 << 20)

static int fail(const kp_error *e)
{
    fprintf(stderr, "age_tool: %s: %s", kp_status_name(e->code), e->msg);
    if (e->offset >= 0) fprintf(stderr, " (at byte %lld)", (long long)e->offset);
    fputc('\n', stderr);
    return kp_status_exit(e->code);
}

static int refused(int rc)
{
    return rc == KP_E_AGE_HEADER || rc == KP_E_AGE_VERSION || rc == KP_E_AGE_MAC ||
           rc == KP_E_AGE_PAYLOAD || rc == KP_E_NOT_RECIPIENT || rc == KP_E_KEY_WEAK ||
           rc == KP_E_AGE_ARMOR || rc == KP_E_LIMIT;
}

static int torture(const kp_key *k, uint8_t *data, size_t len, kp_error *e)
{
    buf out = {0};
    size_t cuts = 0, flips = 0, bad = 0;
    int rc = cry_key_age_decrypt(k, data, len, IN_MAX, &out, e);
    if (rc) return rc;
    size_t plen = out.len, tail = len;
    /* Armor may end in white space, which carries nothing: cutting it off
       leaves the same file. Binary files have no such tail. */
    if (cry_age_is_armored(data, len))
        while (tail > 0 && (data[tail - 1] == '\n' || data[tail - 1] == '\r' ||
                            data[tail - 1] == ' ' || data[tail - 1] == '\t'))
            tail--;
    for (size_t n = 0; n < len; n++, cuts++) {
        out.len = 0;
        int r = cry_key_age_decrypt(k, data, n, IN_MAX, &out, NULL);
        if (n >= tail && r == KP_OK && out.len == plen) continue;
        if (!refused(r) || out.len) {
            fprintf(stderr, "truncation to %zu bytes: %d\n", n, r);
            bad++;
        }
    }
    for (size_t b = 0; b < len * 8; b++, flips++) {
        out.len = 0;
        data[b / 8] ^= (uint8_t)(1u << (b % 8));
        int r = cry_key_age_decrypt(k, data, len, IN_MAX, &out, NULL);
        data[b / 8] ^= (uint8_t)(1u << (b % 8));
        if (!refused(r) || out.len) {
            fprintf(stderr, "flip of bit %zu: %d\n", b, r);
            bad++;
        }
    }
    buf_free(&out);
    printf("truncations %zu flips %zu accepted %zu\n", cuts, flips, bad);
    return bad ? err_set(e, KP_E_INTERNAL, "%zu damaged copies were not refused", bad) : KP_OK;
}

static int usage(void)
{
    fprintf(stderr, "usage: age_tool encrypt -r RECIPIENT... [IN]\n"
                    "       age_tool decrypt (-i FILE | --store DIR --key NAME) [IN]\n"
                    "       age_tool inspect [IN]\n"
                    "       age_tool torture -i FILE [IN]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    const char *cmd = argv[1], *in = "-", *idfile = NULL, *store = NULL, *name = NULL;
    uint8_t (*rcpts)[32] = calloc((size_t)argc, 32);
    size_t nr = 0;
    kp_error e;
    kp_error_clear(&e);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            const char *r = argv[++i];
            if (cry_age_recipient_parse(r, strlen(r), rcpts[nr], &e)) return fail(&e);
            nr++;
        } else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc) {
            idfile = argv[++i];
        } else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            store = argv[++i];
        } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage();
        } else {
            in = argv[i];
        }
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if (file_read_all(in, IN_MAX, &data, &len, &e)) return fail(&e);
    buf out = {0};
    int rc;
    if (strcmp(cmd, "encrypt") == 0) {
        if (nr == 0) return usage();
        rc = cry_age_encrypt((const uint8_t(*)[32])rcpts, nr, data, len, &out, &e);
    } else if (strcmp(cmd, "decrypt") == 0) {
        kp_key *k = NULL;
        if (idfile) {
            uint8_t *id = NULL;
            size_t idlen = 0;
            if (file_read_all(idfile, 65536, &id, &idlen, &e)) return fail(&e);
            rc = kp_key_parse_secret(id, idlen, &k, &e);
            mem_free(id, idlen + 1);
        } else if (store && name) {
            rc = kp_key_load(store, name, &k, &e);
        } else {
            return usage();
        }
        if (rc == KP_OK) rc = cry_key_age_decrypt(k, data, len, IN_MAX, &out, &e);
        kp_key_free(k);
    } else if (strcmp(cmd, "torture") == 0) {
        kp_key *k = NULL;
        uint8_t *id = NULL;
        size_t idlen = 0;
        if (!idfile) return usage();
        if (file_read_all(idfile, 65536, &id, &idlen, &e)) return fail(&e);
        rc = kp_key_parse_secret(id, idlen, &k, &e);
        mem_free(id, idlen + 1);
        if (rc == KP_OK) rc = torture(k, data, len, &e);
        kp_key_free(k);
    } else if (strcmp(cmd, "inspect") == 0) {
        cry_age_info info;
        rc = cry_age_inspect(data, len, &info, &e);
        if (rc == KP_OK)
            printf("stanzas %zu x25519 %zu header %zu payload %zu\n", info.stanzas,
                   info.x25519_stanzas, info.header_len, info.payload_len);
    } else {
        return usage();
    }
    mem_free(data, len + 1);
    free(rcpts);
    if (rc) return fail(&e);
    if (out.len && fwrite(out.p, 1, out.len, stdout) != out.len) return 3;
    buf_free(&out);
    return fflush(stdout) == 0 ? 0 : 3;
}
