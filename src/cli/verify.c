/*
 * verify.c: kapsule verify FILE... [--json]: for each file, the structure,
 * the canonical encoding and the signature; one line per file. The exit
 * status is 0 only when every file verifies.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: kapsule verify FILE... [--json]\n"
    "\n"
    "Checks each capsule FILE (- for standard input): its COSE_Sign1\n"
    "envelope and payload schema, canonical CBOR throughout, and the author's\n"
    "signature. Prints one line per file:\n"
    "  OK <id> <file>\n"
    "  FAIL <file> E_CODE: message (at byte N)\n"
    "\n"
    "  --json   one JSON object per line and file instead: {\"file\", \"ok\",\n"
    "           \"id\", \"type\", \"author\"} or {\"file\", \"ok\": false, \"error\"}\n"
    "\n"
    "exit status: 0 every file verifies, 1 one is invalid, 2 usage,\n"
    "3 environment (a file cannot be read)\n";

static void print_line(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (s) puts(s);
    free(s);
    json_decref(j);
}

int cli_verify(int argc, char **argv)
{
    int json = 0, nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("verify", "unknown option '%s'", argv[i]);
        else
            nfiles++;
    }
    if (!nfiles) return cli_usage("verify", "give at least one FILE");
    int status = 0;
    for (int i = 1; i < argc; i++) {
        const char *path = argv[i];
        if (strcmp(path, "--json") == 0) continue;
        kp_capsule *c = NULL;
        kp_error e;
        int rc = cli_capsule_load(path, &c, &e);
        if (rc == KP_OK) rc = kp_capsule_verify(c, &e);
        if (rc == KP_OK) {
            char id[KP_ID_HEX_BYTES], author[KP_KEY_ID_MAX];
            kp_id_format(kp_capsule_id(c), id);
            cli_author_id(c, author);
            if (json)
                print_line(json_pack("{s:s,s:b,s:s,s:s,s:s}", "file", path, "ok", 1, "id", id,
                                     "type", kp_capsule_type(c), "author", author));
            else
                printf("OK %s %s\n", id, path);
        } else {
            int x = kp_status_exit(e.code);
            if (x > status) status = x;
            if (json) {
                print_line(json_pack("{s:s,s:b,s:o}", "file", path, "ok", 0, "error",
                                     cli_error_json(&e)));
            } else {
                const char *name = kp_status_name(e.code);
                printf("FAIL %s %s: %s", path, name ? name : "E_UNKNOWN", e.msg);
                if (e.offset >= 0) printf(" (at byte %lld)", (long long)e.offset);
                putchar('\n');
            }
        }
        kp_capsule_free(c);
    }
    cli_flush();
    return status;
}
