/*
 * open.c: kapsule open FILE [--key NAME] [-o OUT]: verify the capsule, then
 * write its body: decrypted for the identity NAME when it is encrypted, as
 * it is when it is plaintext.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: kapsule open FILE [--key NAME] [-o OUT] [--store DIR]\n"
    "\n"
    "Verifies the capsule FILE (- for standard input), then writes its body\n"
    "to OUT (mode 0600; default standard output): decrypted with the identity\n"
    "NAME of the key store when the body is encrypted (E_NOT_RECIPIENT when it\n"
    "was not encrypted to NAME), as it is when it is plaintext. Nothing is\n"
    "written unless the signature verifies and the body decrypts whole.\n"
    "\n"
    "exit status: 0 ok, 1 invalid or not for this key, 2 usage, 3 environment\n";

int cli_open(int argc, char **argv)
{
    const char *path = NULL, *key = NULL, *out = NULL, *store = NULL, *v;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (cli_opt("--key", argc, argv, &i, &v)) {
            if (!v) return cli_usage("open", "--key needs a NAME");
            key = v;
        } else if (cli_opt("--store", argc, argv, &i, &v)) {
            if (!v) return cli_usage("open", "--store needs a folder");
            store = v;
        } else if (cli_opt("-o", argc, argv, &i, &v) || cli_opt("--output", argc, argv, &i, &v)) {
            if (!v) return cli_usage("open", "-o needs a file");
            out = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("open", "unknown option '%s'", argv[i]);
        } else if (path) {
            return cli_usage("open", "one FILE at a time");
        } else {
            path = argv[i];
        }
    }
    if (!path) return cli_usage("open", "FILE is required");
    kp_capsule *c = NULL;
    kp_key *k = NULL;
    uint8_t *body = NULL;
    size_t n = 0;
    kp_error e;
    int rc = 0;
    if (cli_capsule_load(path, &c, &e) != KP_OK) return cli_fail(&e);
    if (kp_capsule_encrypted(c) && !key) {
        rc = cli_usage("open", "the body is encrypted: give --key NAME");
        goto done;
    }
    if (key && kp_key_load(cli_store_dir(store), key, &k, &e) != KP_OK) {
        rc = cli_fail(&e);
        goto done;
    }
    if (kp_capsule_open(c, k, &body, &n, &e) != KP_OK) {
        rc = cli_fail(&e);
        goto done;
    }
    if (cli_write_output(out ? out : "-", body ? body : (const uint8_t *)"", n, 0600, &e) != KP_OK)
        rc = cli_fail(&e);
done:
    kp_capsule_body_free(body, n);
    kp_key_free(k);
    kp_capsule_free(c);
    return rc;
}
