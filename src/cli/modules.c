/*
 * modules.c: kapsule modules add FILE.wasm [--owner KEY] | list [--json]
 *
 * Registering a module is a logged decision like an ingest (an entry
 * with the module id and the SHA-256 of its code) and releases the
 * capsules that were pending on it; a checkpoint is signed afterwards.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

#define MODULE_FILE_MAX (64u * 1024 * 1024)

static const char usage_text[] =
    "usage: kapsule modules SUBVERB [--store DIR] [options]\n"
    "\n"
    "  add FILE.wasm [--owner KEY] [--force]\n"
    "                               register a logic module by its id (SHA-256 of\n"
    "                               \"kapsule-module-v1\" 0x00 and the bytes); KEY, a\n"
    "                               key name or a public key in hex, owns it (what\n"
    "                               module_owner returns). Capsules pending on it\n"
    "                               are processed. Prints the module id. The file\n"
    "                               must be a valid WebAssembly module. --force:\n"
    "                               even though the store is quarantined.\n"
    "  list [--json]                every module: id, state, owner, size\n"
    "\n"
    "The store is --store DIR, else $KAPSULE_HOME, else ~/.kapsule.\n"
    "Exit status: 0 ok, 1 invalid, 2 usage, 3 environment.\n";

static void on_result(void *ud, const kp_ingest_result *r)
{
    char id[KP_ID_HEX_BYTES] = "-";
    (void)ud;
    if (r->has_id) kp_id_format(r->id, id);
    fprintf(stderr, "released %s: %s%s%s\n", id, kp_ingest_status_name(r->status),
            r->reason ? " " : "", r->reason ? kp_status_name(r->reason) : "");
}

static int sub_add(const char *store, const char *file, const char *owner, int force)
{
    kp_error e;
    uint8_t pk[KP_PK_MAX_BYTES];
    size_t pklen = 0;
    kp_key_alg alg = KP_ALG_NONE;
    if (owner) {
        if (cli_key_public(store, owner, &alg, pk, &pklen, &e)) return cli_fail(&e);
    }
    uint8_t *wasm;
    size_t len;
    if (file_read_all(file, MODULE_FILE_MAX, &wasm, &len, &e)) return cli_fail(&e);
    kp_store *st = NULL;
    kp_ingest *in = NULL;
    uint8_t id[KP_ID_BYTES];
    int added = 0;
    int rc = kp_store_open(store, KP_STORE_CREATE | (force ? KP_STORE_FORCE : 0), &st, &e);
    if (rc == KP_OK) rc = kp_ingest_new(st, NULL, &in, &e);
    if (rc == KP_OK)
        rc = kp_ingest_module_add(in, wasm, len, alg, pklen ? pk : NULL, pklen, id, &added,
                                  on_result, NULL, &e);
    if (rc == KP_OK) rc = kp_ingest_checkpoint(in, NULL, &e);
    int status = 0;
    if (rc) {
        status = cli_fail(&e);
    } else {
        char hex[KP_ID_HEX_BYTES];
        kp_id_format(id, hex);
        puts(hex);
        if (!added) fprintf(stderr, "module %s was registered already\n", hex);
    }
    kp_ingest_free(in);
    kp_store_close(st);
    mem_free(wasm, len + 1);
    return status;
}

static int sub_list(const char *store, int json)
{
    kp_error e;
    kp_store *st = NULL;
    if (kp_store_open(store, KP_STORE_READONLY, &st, &e)) return cli_fail(&e);
    kp_module_info *rows = NULL;
    size_t n = 0;
    int rc = kp_modules_list(st, &rows, &n, &e);
    kp_store_close(st);
    if (rc) return cli_fail(&e);
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        char id[KP_ID_HEX_BYTES], succ[KP_ID_HEX_BYTES], own[KP_KEY_ID_MAX] = "";
        kp_id_format(rows[i].id, id);
        kp_id_format(rows[i].successor, succ);
        kp_error ke;
        if (rows[i].has_owner &&
            kp_key_id_format(rows[i].owner_alg, rows[i].owner, rows[i].owner_len, own, &ke))
            snprintf(own, sizeof own, "?");
        if (json) {
            json_t *o = json_pack("{s:s,s:s,s:I,s:I}", "id", id, "state", kp_module_state_name(rows[i].state),
                                  "size", (json_int_t)rows[i].code_len, "added",
                                  (json_int_t)rows[i].added);
            json_object_set_new(o, "owner", *own ? json_string(own) : json_null());
            json_object_set_new(o, "successor", rows[i].state == KP_MODULE_UPGRADED
                                                    ? json_string(succ) : json_null());
            json_array_append_new(arr, o);
        } else {
            printf("%s %-9s %8zu bytes  owner %s%s%s\n", id, kp_module_state_name(rows[i].state),
                   rows[i].code_len, *own ? own : "-",
                   rows[i].state == KP_MODULE_UPGRADED ? "  successor " : "",
                   rows[i].state == KP_MODULE_UPGRADED ? succ : "");
        }
    }
    kp_modules_free(rows, n);
    if (json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        if (s) puts(s);
        free(s);
        json_decref(arr);
    }
    return 0;
}

int cli_modules(int argc, char **argv)
{
    const char *store = NULL, *owner = NULL, *val, *pos[2] = {0};
    int json = 0, npos = 0, force = 0;
    if (argc < 2) return cli_usage("modules", "which one: add, list");
    if (cli_is_help(argv[1])) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0)
        return cli_usage("modules", "unknown subverb '%s'", sub);
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (cli_opt("--store", argc, argv, &i, &val)) {
            if (!(store = val)) return cli_usage("modules", "--store needs a value");
        } else if (cli_opt("--owner", argc, argv, &i, &val)) {
            if (!(owner = val)) return cli_usage("modules", "--owner needs a value");
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("modules", "unknown option '%s'", argv[i]);
        } else {
            if (npos == 2) return cli_usage("modules", "too many arguments");
            pos[npos++] = argv[i];
        }
    }
    if (strcmp(sub, "add") == 0) {
        if (npos != 1) return cli_usage("modules", "modules add takes one FILE.wasm");
        if (json) return cli_usage("modules", "modules add has no --json");
        return sub_add(cli_store_dir(store), pos[0], owner, force);
    }
    if (npos) return cli_usage("modules", "modules list takes no argument");
    if (force) return cli_usage("modules", "--force is for modules add");
    if (owner) return cli_usage("modules", "--owner is for modules add");
    return sub_list(cli_store_dir(store), json);
}
