/*
 * export.c: kapsule export [--since CHECKPOINT] -o FILE
 *
 * Writes a snapshot of the store (kp_snapshot_export): its accepted
 * capsules in ingest order and the logic modules they need. --since takes
 * a checkpoint of this store's log, as a note file or as a tree size, and
 * keeps only the capsules accepted after what it covers; the file is
 * written atomically (a temporary file renamed), so FILE is never half a
 * snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

static void help(void)
{
    printf("usage: kapsule export [--since CHECKPOINT] -o FILE [--store DIR]\n\n"
           "Writes the store's accepted capsules (their files, byte for byte, in\n"
           "ingest order: every parent before its children) and the logic modules\n"
           "they name into one snapshot file for `kapsule import`. Pending capsules\n"
           "are not exported, nor registered modules whose code is not a valid\n"
           "WebAssembly module (none can run; each is named on standard error).\n"
           "The format is in docs/FORMATS.md, \"Snapshots\".\n\n"
           "options:\n"
           "  -o FILE             where to write it (- for standard output)\n"
           "  --since CHECKPOINT  only the capsules accepted after the log entries a\n"
           "                      checkpoint covers: a checkpoint note file of this\n"
           "                      store's log (as `kapsule log head` prints it), or a\n"
           "                      tree size; only the modules those capsules name\n"
           "  --store DIR         the store (default $KAPSULE_HOME, else ~/.kapsule)\n\n"
           "exit status: 0 written; 1 the checkpoint is not this log's; 2 usage;\n"
           "3 environment\n");
}

/* Says which registered module is left out and why (kp_snapshot_export_with). */
static void on_skip(void *ud, const uint8_t id[KP_ID_BYTES], int code, const char *msg)
{
    char hex[KP_ID_HEX_BYTES];
    (void)ud;
    kp_id_format(id, hex);
    fprintf(stderr, "kapsule: skipped module %s: %s: %s (not a valid module, so no capsule"
            " can need it)\n", hex, kp_status_name(code), msg);
}

/* A tree size: digits only, no sign, fits in 63 bits. */
static int parse_size(const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18) return 0;
    *out = strtoull(s, NULL, 10);
    return 1;
}

int cli_export(int argc, char **argv)
{
    const char *store = NULL, *since_arg = NULL, *outp = NULL, *val = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            help();
            return 0;
        }
        if (cli_opt("--store", argc, argv, &i, &val)) {
            if (!(store = val)) return cli_usage("export", "--store needs a folder");
        } else if (cli_opt("--since", argc, argv, &i, &val)) {
            if (!(since_arg = val)) return cli_usage("export", "--since needs a checkpoint");
        } else if (cli_opt("-o", argc, argv, &i, &val) || cli_opt("--output", argc, argv, &i, &val)) {
            if (!(outp = val)) return cli_usage("export", "-o needs a file");
        } else if (argv[i][0] == '-') {
            return cli_usage("export", "unknown option '%s'", argv[i]);
        } else {
            return cli_usage("export", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!outp) return cli_usage("export", "where to write: -o FILE");

    kp_error e;
    kp_error_clear(&e);
    kp_store *st = NULL;
    uint8_t *snap = NULL;
    size_t len = 0;
    uint64_t since = 0;
    int status;
    int rc = kp_store_open(cli_store_dir(store), KP_STORE_READONLY, &st, &e);
    if (rc == KP_OK && since_arg && !parse_size(since_arg, &since)) {
        uint8_t *note;
        size_t nlen;
        rc = file_read_all(since_arg, KP_SNAPSHOT_NOTE_MAX, &note, &nlen, &e);
        if (rc == KP_OK) {
            rc = kp_snapshot_since(st, (const char *)note, nlen, &since, &e);
            mem_free(note, nlen + 1);
        }
    }
    if (rc == KP_OK) rc = kp_snapshot_export_with(st, since, on_skip, NULL, &snap, &len, &e);
    if (rc == KP_OK) {
        rc = cli_write_output(outp, snap, len, 0644, &e);
    }
    if (rc) {
        status = cli_fail(&e);
    } else {
        /* the counts, read back from what was written */
        kp_snapshot *s = NULL;
        if (kp_snapshot_parse(snap, len, &s, &e) == KP_OK) {
            const kp_snapshot_info *h = kp_snapshot_header(s);
            fprintf(stderr, "%zu modules, %zu capsules (log size %llu, since %llu), %zu bytes\n",
                    h->modules, h->capsules, (unsigned long long)h->log_size,
                    (unsigned long long)h->since, len);
            kp_snapshot_free(s);
            status = 0;
        } else {
            status = cli_fail(&e); /* our own output does not read back: a bug */
        }
    }
    kp_snapshot_bytes_free(snap, len);
    kp_store_close(st);
    return status;
}
