/*
 * policy.c: kapsule policy check|hash|explain|caps
 *
 *   check P        validate a policy file (exit 1 with line or field if bad)
 *   hash P         print its hash (what runs and receipts record)
 *   explain MODULE.wasm [--policy P] [--type T] [--author K] [--now N] [--json]
 *                  what the module would be granted, and by which rule
 *   caps           the capabilities and the host functions of each
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

static void help(void)
{
    printf("usage: kapsule policy check P\n"
           "       kapsule policy hash P\n"
           "       kapsule policy explain MODULE.wasm [--policy P] [--type T] [--author K]\n"
           "                              [--now N] [--json]\n"
           "       kapsule policy caps\n\n"
           "A policy is a JSON file that grants capabilities to logic modules:\n\n"
           "  {\"kapsule_policy\": 1,\n"
           "   \"grants\": [{\"name\": \"agents\",\n"
           "               \"module\": \"<module id in hex>\" or \"*\",\n"
           "               \"type\": \"agent.goal\",          (optional: capsule type)\n"
           "               \"author\": \"<public key hex>\",  (optional: author key)\n"
           "               \"capabilities\": [\"capsule.read\", \"log\",\n"
           "                                {\"name\": \"emit\", \"count\": 5},\n"
           "                                {\"name\": \"ledger\", \"budget\": 100,\n"
           "                                 \"account\": \"<public key hex>\"}],\n"
           "               \"limits\": {\"fuel\": 1000000, \"memory_pages\": 16,\n"
           "                          \"not_before\": 1700000000, \"not_after\": 1800000000}}]}\n\n"
           "A run gets the union of the capabilities of every matching grant, kept to\n"
           "what the module imports, and the tightest of their limits. The hash is\n"
           "SHA-256 of the canonical text (sorted keys, no whitespace).\n\n"
           "exit status: 0 ok, 1 invalid policy (or explain: the module would not link),\n"
           "2 usage, 3 environment\n");
}

static int check(int argc, char **argv, int print_hash)
{
    if (argc != 2) return cli_usage("policy", "expected one policy file");
    kp_policy *p;
    kp_error err;
    kp_error_clear(&err);
    if (kp_policy_load(argv[1], &p, &err)) return cli_fail(&err);
    uint8_t h[32];
    char hex[65];
    kp_policy_hash(p, h);
    cry_hex(hex, h, 32);
    if (print_hash)
        printf("%s\n", hex);
    else
        printf("ok %s\n", hex);
    kp_policy_free(p);
    return 0;
}

static int caps(void)
{
    for (size_t c = 0; c < kp_cap_count(); c++) {
        const char *name, *what, *mod, *fn;
        size_t fc;
        kp_cap_at(c, &name, &what);
        printf("%-14s %s\n", name, what);
        for (size_t i = 0; kp_host_fn_at(i, &mod, &fn, &fc) == KP_OK; i++)
            if (fc == c) printf("%16s%s.%s\n", "", mod, fn);
    }
    return 0;
}

static void print_explain(json_t *o)
{
    printf("module   %s\n", json_string_value(json_object_get(o, "module")));
    printf("policy   %s\n", json_string_value(json_object_get(o, "policy")));
    json_t *t = json_object_get(o, "type"), *a = json_object_get(o, "author");
    printf("for      type %s, author %s, at %lld\n", json_is_string(t) ? json_string_value(t) : "(any)",
           json_is_string(a) ? json_string_value(a) : "(none)",
           (long long)json_integer_value(json_object_get(o, "now")));
    printf("\ncapability     imported  granted  rule\n");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(o, "capabilities"), i, c) {
        json_t *rule = json_object_get(c, "rule");
        printf("%-14s %-9s %-8s %s\n", json_string_value(json_object_get(c, "name")),
               json_is_true(json_object_get(c, "imported")) ? "yes" : "no",
               json_is_true(json_object_get(c, "granted")) ? "yes" : "no",
               rule ? json_string_value(rule) : "-");
    }
    json_t *lim = json_object_get(o, "limits");
    json_t *fuel = json_object_get(lim, "fuel"), *mem = json_object_get(lim, "memory_pages");
    printf("\nlimits   fuel %lld (%s), memory %lld pages (%s)\n",
           (long long)json_integer_value(json_object_get(fuel, "value")),
           json_string_value(json_object_get(fuel, "rule")),
           (long long)json_integer_value(json_object_get(mem, "value")),
           json_string_value(json_object_get(mem, "rule")));
    json_array_foreach(json_object_get(o, "handles"), i, c) {
        json_t *acct = json_object_get(c, "account");
        printf("handle   %s %lld%s%s (%s)\n", json_string_value(json_object_get(c, "kind")),
               (long long)json_integer_value(json_object_get(c, "amount")), acct ? " from " : "",
               acct ? json_string_value(acct) : "", json_string_value(json_object_get(c, "rule")));
    }
    json_array_foreach(json_object_get(o, "missing"), i, c) {
        json_t *rule = json_object_get(c, "rule");
        printf("missing  %s (imported by %s)", json_string_value(json_object_get(c, "capability")),
               json_string_value(json_object_get(c, "function")));
        if (rule)
            printf(": rule \"%s\" grants it, but %s", json_string_value(rule),
                   json_string_value(json_object_get(c, "why")));
        printf("\n");
    }
    printf("\n%s\n", json_is_true(json_object_get(o, "links")) ? "links: yes"
                                                                : "links: no (E_CAP_NOT_GRANTED)");
}

static int explain(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'}, {"type", required_argument, NULL, 't'},
        {"author", required_argument, NULL, 'a'}, {"now", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *policy = NULL, *type = NULL, *author = NULL;
    int json = 0, c, status = 0;
    int64_t now = (int64_t)time(NULL);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': policy = optarg; break;
        case 't': type = optarg; break;
        case 'a': author = optarg; break;
        case 'j': json = 1; break;
        case 'n': {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || *end || v < 0) return cli_usage("policy", "bad --now");
            now = v;
            break;
        }
        case 'h': help(); return 0;
        default: return cli_usage("policy", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) return cli_usage("policy", "explain takes one MODULE.wasm");
    kp_error err;
    kp_error_clear(&err);
    kp_policy *p = NULL;
    uint8_t *wasm = NULL, pk[KP_PK_MAX_BYTES];
    size_t wlen = 0, pklen = 0;
    kp_key_alg alg;
    char *text = NULL;
    json_t *o = NULL;
    if ((policy && kp_policy_load(policy, &p, &err)) ||
        file_read_all(argv[optind], 64u * 1024 * 1024, &wasm, &wlen, &err) ||
        (author && cli_parse_key_arg(author, &alg, pk, &pklen, &err)) ||
        kp_policy_explain(p, wasm, wlen, type, pklen ? pk : NULL, pklen, now, &text, &err)) {
        status = cli_fail(&err);
        goto done;
    }
    if (json) {
        printf("%s\n", text);
    } else {
        json_error_t je;
        o = json_loads(text, 0, &je);
        if (!o) {
            status = cli_failf(KP_E_INTERNAL, "cannot read the explanation");
            goto done;
        }
        print_explain(o);
    }
    o = o ? o : json_loads(text, 0, NULL);
    status = json_is_true(json_object_get(o, "links")) ? 0 : 1;
done:
    json_decref(o);
    kp_text_free(text);
    if (wasm) mem_free(wasm, wlen + 1);
    kp_policy_free(p);
    return status;
}

int cli_policy(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        if (argc < 2) return cli_usage("policy", "expected check, hash, explain or caps");
        help();
        return 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "check") == 0) return check(argc - 1, argv + 1, 0);
    if (strcmp(sub, "hash") == 0) return check(argc - 1, argv + 1, 1);
    if (strcmp(sub, "explain") == 0) return explain(argc - 1, argv + 1);
    if (strcmp(sub, "caps") == 0) return caps();
    return cli_usage("policy", "unknown subcommand '%s'", sub);
}
