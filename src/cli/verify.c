/*
 * verify.c: kapsule verify FILE... [--json]: for each file, the structure,
 * the canonical encoding and the signature; one line per file. The exit
 * status is 0 only when every file verifies.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "cli/cli.h"

/* The most standard input may bring (as ingest takes). */
#define VERIFY_STREAM_MAX (1024u * 1024 * 1024)

static const char usage_text[] =
    "usage: kapsule verify FILE... | DIR | - [--json]\n"
    "\n"
    "Checks each capsule FILE (DIR: every *.kapsule in it, sorted; -: capsule\n"
    "files concatenated on standard input, as ingest reads them): its COSE_Sign1\n"
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

/* One input's verdict, printed; returns its exit status (0, 1 or 3). c may
   be NULL when loading failed (rc, e). */
static int report(const char *label, kp_capsule *c, int rc, kp_error *e, int json)
{
    if (rc == KP_OK) rc = kp_capsule_verify(c, e);
    if (rc == KP_OK) {
        char id[KP_ID_HEX_BYTES], author[KP_KEY_ID_MAX];
        kp_id_format(kp_capsule_id(c), id);
        cli_author_id(c, author);
        if (json)
            print_line(json_pack("{s:s,s:b,s:s,s:s,s:s}", "file", label, "ok", 1, "id", id, "type",
                                 kp_capsule_type(c), "author", author));
        else
            printf("OK %s %s\n", id, label);
        return 0;
    }
    if (json) {
        print_line(json_pack("{s:s,s:b,s:o}", "file", label, "ok", 0, "error", cli_error_json(e)));
    } else {
        const char *name = kp_status_name(e->code);
        printf("FAIL %s %s: %s", label, name ? name : "E_UNKNOWN", e->msg);
        if (e->offset >= 0) printf(" (at byte %lld)", (long long)e->offset);
        putchar('\n');
    }
    return kp_status_exit(e->code);
}

static int verify_file(const char *path, int json)
{
    kp_capsule *c = NULL;
    kp_error e;
    kp_error_clear(&e);
    int rc = cli_capsule_load(path, &c, &e);
    int x = report(path, c, rc, &e, json);
    kp_capsule_free(c);
    return x;
}

/* Standard input as capsule files one after the other, as ingest reads
   it: each item is one input ("stdin #k"); bytes that do not end an item
   are the last one. */
static int verify_stream(int json)
{
    uint8_t *data;
    size_t n;
    kp_error e;
    int rc = cli_read_input("-", VERIFY_STREAM_MAX, &data, &n, &e), status = 0;
    if (rc) return report("stdin", NULL, rc, &e, json);
    size_t off = 0, k = 0;
    char label[48];
    do {
        size_t item = kp_cbor_item_len(data + off, n - off);
        if (!item) item = n - off;
        snprintf(label, sizeof label, "stdin #%zu", ++k);
        kp_capsule *c = NULL;
        kp_error_clear(&e);
        rc = kp_capsule_parse(data + off, item, NULL, &c, &e);
        int x = report(label, c, rc, &e, json);
        if (x > status) status = x;
        kp_capsule_free(c);
        off += item;
    } while (off < n);
    cli_input_free(data, n);
    return status;
}

int cli_verify(int argc, char **argv)
{
    int json = 0, nfiles = 0, rest = 0, stdin_used = 0;
    for (int i = 1; i < argc; i++) {
        if (rest) {
            nfiles++;
            continue;
        }
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--") == 0)
            rest = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("verify", "unknown option '%s'", argv[i]);
        else if (strcmp(argv[i], "-") == 0 && stdin_used++)
            return cli_usage("verify", "standard input can be read once");
        else
            nfiles++;
    }
    if (!nfiles) return cli_usage("verify", "give at least one FILE, DIR or -");
    int status = 0;
    rest = 0;
    for (int i = 1; i < argc; i++) {
        const char *path = argv[i];
        int x = 0;
        struct stat sb;
        if (!rest && (strcmp(path, "--json") == 0 || strcmp(path, "--") == 0)) {
            rest = strcmp(path, "--") == 0;
            continue;
        }
        if (strcmp(path, "-") == 0) {
            x = verify_stream(json);
        } else if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            char **paths = NULL;
            size_t n = 0;
            kp_error e;
            if (cli_list_dir(path, &paths, &n, &e)) x = report(path, NULL, e.code, &e, json);
            for (size_t k = 0; k < n; k++) {
                int y = verify_file(paths[k], json);
                if (y > x) x = y;
                free(paths[k]);
            }
            free(paths);
        } else {
            x = verify_file(path, json);
        }
        if (x > status) status = x;
    }
    cli_flush();
    return status;
}
