/*
 * main.c: the kapsule command. "kapsule VERB [options]", git-style; each
 * verb lives in its own file and parses its own options.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    cli_verb_fn run;
    const char *summary;
} verbs[] = {
    {"dag", cli_dag, "the capsule DAG: show, ancestors, heads"},
    {"errors", cli_errors, "list every status code, its exit status and meaning"},
    {"exec", cli_exec, "run an exported function of a WebAssembly module"},
    {"export", cli_export, "write a store's capsules and their modules to a snapshot file"},
    {"import", cli_import, "ingest a snapshot file: every capsule verified and run again"},
    {"ingest", cli_ingest, "receive capsules: verify, decrypt, run their logic, store, log"},
    {"inspect", cli_inspect, "show every field of a capsule and check its signature"},
    {"key", cli_key, "identities: new, list, show, export, import"},
    {"ledger", cli_ledger, "balances: credit an account, read a balance"},
    {"log", cli_log, "the audit log: head, show, prove, consistency, verify, vkey"},
    {"modules", cli_modules, "logic modules: add, list"},
    {"open", cli_open, "verify a capsule and write its body, decrypted for a key"},
    {"pack", cli_pack, "build, sign (and encrypt) a capsule"},
    {"policy", cli_policy, "policies: check, hash, explain what a module is granted, caps"},
    {"results", cli_results, "what a capsule's logic said"},
    {"run", cli_run, "run a logic module's entry point under a policy"},
    {"verify", cli_verify, "check capsules: structure, canonical encoding, signature"},
    {"version", cli_version, "print the version"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kapsule VERB [options]   (kapsule VERB --help for more)\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(f, "\nexit status: 0 ok, 1 invalid or rejected, 2 usage, 3 environment\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) return cli_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].name) == 0) return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "kapsule: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
