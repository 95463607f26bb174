/*
 * ledger.c: kapsule ledger credit|balance, the operator's view of the
 * ledger logic modules spend from. A credit is an audit log decision and
 * is covered by a new signed checkpoint at once, like a module
 * registration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/error.h"

static const char usage_text[] =
    "usage: kapsule ledger credit ACCOUNT AMOUNT [--force] [--store DIR]\n"
    "       kapsule ledger balance ACCOUNT... [--store DIR]\n"
    "\n"
    "  credit    add AMOUNT to ACCOUNT (the genesis of what logic modules may\n"
    "            spend), recorded in the audit log; prints the new balance\n"
    "            (--force: even though the store is quarantined)\n"
    "  balance   the balance of each ACCOUNT, one per line\n"
    "\n"
    "ACCOUNT is a key name of the store, a key id (ed25519:<hex>, ...) or a\n"
    "public key in hex. The store is --store DIR, else $KAPSULE_HOME, else\n"
    "~/.kapsule.\n"
    "Exit status: 0 ok, 1 invalid (an unknown key, a balance past 2^63 - 1),\n"
    "2 usage, 3 environment.\n";


static int sub_credit(const char *store, const char *acct, const char *amount, int force)
{
    kp_error e;
    uint64_t n, bal, idx;
    if (!cli_parse_u64(amount, &n) || n == 0)
        return cli_usage("ledger", "AMOUNT is a whole number from 1 to 2^64 - 1");
    uint8_t pk[KP_PK_MAX_BYTES];
    size_t len;
    kp_key_alg alg;
    if (cli_key_public(store, acct, &alg, pk, &len, &e)) return cli_fail(&e);
    kp_store *st = NULL;
    kp_ingest *in = NULL;
    int rc = kp_store_open(store, KP_STORE_CREATE | (force ? KP_STORE_FORCE : 0), &st, &e);
    if (rc == KP_OK) rc = kp_ledger_credit(st, pk, len, n, &bal, &idx, &e);
    if (rc == KP_OK) rc = kp_ingest_new(st, NULL, &in, &e);
    if (rc == KP_OK) rc = kp_ingest_checkpoint(in, NULL, &e);
    kp_ingest_free(in);
    kp_store_close(st);
    if (rc) return cli_fail(&e);
    printf("%llu\n", (unsigned long long)bal);
    fprintf(stderr, "credited %llu (log entry %llu)\n", (unsigned long long)n,
            (unsigned long long)idx);
    return 0;
}

static int sub_balance(const char *store, const char **accts, int n)
{
    kp_error e;
    kp_store *st = NULL;
    if (kp_store_open(store, KP_STORE_READONLY, &st, &e)) return cli_fail(&e);
    int status = 0;
    for (int i = 0; i < n && !status; i++) {
        uint8_t pk[KP_PK_MAX_BYTES];
        size_t len;
        kp_key_alg alg;
        uint64_t bal;
        if (cli_key_public(store, accts[i], &alg, pk, &len, &e) ||
            kp_ledger_balance(st, pk, len, &bal, &e))
            status = cli_fail(&e);
        else
            printf("%llu\n", (unsigned long long)bal);
    }
    kp_store_close(st);
    return status;
}

int cli_ledger(int argc, char **argv)
{
    const char *store = NULL, *val, *pos[64];
    int npos = 0, force = 0;
    if (argc < 2) return cli_usage("ledger", "which one: credit, balance");
    if (cli_is_help(argv[1])) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "credit") != 0 && strcmp(sub, "balance") != 0)
        return cli_usage("ledger", "unknown subverb '%s'", sub);
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (cli_opt("--store", argc, argv, &i, &val)) {
            if (!(store = val)) return cli_usage("ledger", "--store needs a value");
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("ledger", "unknown option '%s'", argv[i]);
        } else {
            if (npos == (int)(sizeof pos / sizeof pos[0]))
                return cli_usage("ledger", "too many arguments");
            pos[npos++] = argv[i];
        }
    }
    if (strcmp(sub, "credit") == 0) {
        if (npos != 2) return cli_usage("ledger", "ledger credit takes ACCOUNT AMOUNT");
        return sub_credit(cli_store_dir(store), pos[0], pos[1], force);
    }
    if (npos == 0) return cli_usage("ledger", "ledger balance takes at least one ACCOUNT");
    return sub_balance(cli_store_dir(store), pos, npos);
}
