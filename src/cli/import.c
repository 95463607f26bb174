/*
 * import.c: kapsule import FILE
 *
 * Reads a snapshot strictly and whole (kp_snapshot_parse) before the store
 * is opened, so that a damaged file changes nothing; then ingests it
 * through the ordinary pipeline under this store's policy
 * (kp_snapshot_import): every module registered by its code, every capsule
 * verified and run again. Nothing in the file is trusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

#define IMPORT_BATCH_DEFAULT 100

static void help(void)
{
    printf("usage: kapsule import FILE [options]\n\n"
           "Ingests a snapshot written by `kapsule export` (FILE, or - for standard\n"
           "input). The whole file is checked first (format, counts, module code\n"
           "against module ids, its digest): a damaged file is refused and the store\n"
           "is not touched. Then its modules are registered and its capsules ingested\n"
           "as `kapsule ingest` does: verified, run under this store's policy and\n"
           "logged; capsules whose parents are missing wait pending. A checkpoint is\n"
           "signed at the end.\n\n"
           "options:\n"
           "  --json          one JSON object per capsule, as `kapsule ingest --json`\n"
           "  --batch N       inputs per commit (default %d)\n"
           "  --policy P      the policy file (default <store>/policy.json if present)\n"
           "  --trust-module ID  get_trust_score reads this module's scores\n"
           "  --force         write even though the store is quarantined\n"
           "  --store DIR     the store (default $KAPSULE_HOME, else ~/.kapsule)\n\n"
           "exit status: 0 every capsule accepted, duplicate or pending; 1 the snapshot\n"
           "is damaged (nothing imported) or a capsule was rejected; 2 usage;\n"
           "3 environment (the store keeps the whole capsules processed before it)\n",
           IMPORT_BATCH_DEFAULT);
}

int cli_import(int argc, char **argv)
{
    const char *file = NULL;
    cli_pipeline pl;
    memset(&pl, 0, sizeof pl);
    pl.batch = IMPORT_BATCH_DEFAULT;
    int json = 0, status = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            help();
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (cli_pipeline_opt("import", argc, argv, &i, &pl, &status)) {
            if (status) return status;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("import", "unknown option '%s'", argv[i]);
        } else if (file) {
            return cli_usage("import", "one snapshot file at a time");
        } else {
            file = argv[i];
        }
    }
    if (!file) return cli_usage("import", "which snapshot: FILE or -");

    kp_error e;
    kp_error_clear(&e);
    uint8_t *data = NULL;
    size_t len = 0;
    kp_snapshot *snap = NULL;
    kp_store *st = NULL;
    kp_ingest *in = NULL;
    int rc = file_read_all(file, KP_SNAPSHOT_MAX_BYTES, &data, &len, &e);
    if (rc == KP_OK) rc = kp_snapshot_parse(data, len, &snap, &e);
    if (data) mem_free(data, len + 1);
    if (rc) return cli_fail(&e);

    cli_outcomes x;
    memset(&x, 0, sizeof x);
    x.json = json;
    x.file = file;
    kp_snapshot_report rep = {0, 0};
    const kp_snapshot_info *h = kp_snapshot_header(snap);
    x.total = h->capsules;
    rc = cli_pipeline_open(&pl, &st, &in, &e);
    if (rc == KP_OK) rc = kp_snapshot_import(in, snap, pl.batch, cli_ingest_print, &x, &rep, &e);
    if (rc) {
        status = cli_fail(&e);
    } else {
        if (!json)
            fprintf(stderr,
                    "snapshot of %s (log size %llu, since %llu): %zu modules (%zu new), "
                    "%zu capsules: %llu accepted, %llu rejected, %llu pending, %llu duplicate\n",
                    h->origin ? h->origin : "(no origin)", (unsigned long long)h->log_size,
                    (unsigned long long)h->since, h->modules, rep.modules_added, h->capsules,
                    (unsigned long long)x.accepted, (unsigned long long)x.rejected,
                    (unsigned long long)x.pending, (unsigned long long)x.duplicate);
        status = x.rejected ? 1 : 0;
    }
    kp_ingest_free(in);
    kp_store_close(st);
    kp_snapshot_free(snap);
    return status;
}
