/*
 * main.c: the kapsule command. "kapsule VERB [options]", git-style; each
 * verb lives in its own file and parses its own options.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/error.h"

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
    fprintf(f, "usage: kapsule VERB [options]   (kapsule help VERB, or VERB --help, for more;\n"
               "       kapsule -V for the version)\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(f, "\nexit status: 0 ok, 1 invalid or rejected, 2 usage, 3 environment\n");
}

/*
 * A standard stream closed at start would be the next file opened: a
 * temporary output file or a key file as descriptor 1, and printf writing
 * into it (SQLite keeps off 0..2 by itself; our own opens do not). Each
 * closed one is held open on /dev/null the wrong way round (standard
 * output read-only), so that using it fails with EBADF as it would have.
 */
static void hold_closed_streams(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        int n = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (n >= 0 && n != fd) {
            dup2(n, fd);
            close(n);
        }
    }
}

/*
 * What a verb printed must reach standard output: a full disk or a closed
 * standard output is an environment failure (3) even for a verb that
 * succeeded, for every verb at once. A verb that already failed on usage
 * or its environment (2, 3) keeps its own status and message.
 */
static int finish(int status)
{
    int bad = cli_flush() != 0 || ferror(stdout);
    if (!bad || status == 2 || status == 3) return status;
    kp_error err;
    kp_error_clear(&err);
    /* a buffer that failed to go out while printf filled it leaves no
       errno behind (only flushes keep theirs) */
    int e = cli_stdout_errno();
    if (e) err_errno(&err, e, "cannot write", "standard output");
    else err_set(&err, KP_E_IO, "cannot write standard output");
    cli_fail(&err);
    return 3;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return cli_version(argc - 1, argv + 1);
    /* "kapsule help [VERB]" is "kapsule [VERB] --help" */
    if (strcmp(argv[1], "help") == 0) {
        if (argc == 2) {
            usage(stdout);
            return 0;
        }
        if (argc > 3) return cli_usage("help", "help takes one VERB");
        for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
            if (strcmp(argv[2], verbs[i].name) == 0) {
                char *a[] = {argv[2], "--help", NULL};
                return verbs[i].run(2, a);
            }
        fprintf(stderr, "kapsule: unknown verb '%s'\n", argv[2]);
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].name) == 0) return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "kapsule: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    hold_closed_streams();
    return finish(run(argc, argv));
}
