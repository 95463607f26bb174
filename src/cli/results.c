/*
 * results.c: kapsule results ID [--json], what a stored capsule's logic
 * said: module, verdict and reason, the result it submitted, fuel, the
 * transcript root and policy hash its log entry binds.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "util/error.h"

static const char usage_text[] =
    "usage: kapsule results ID [--json] [--store DIR]\n"
    "\n"
    "What the logic module of stored capsule ID said: module, verdict, reason,\n"
    "the result it submitted (text when printable, else hex), fuel used, the\n"
    "transcript root and policy hash, and the log entry that records them.\n"
    "Exit status: 0 ok, 1 no such capsule or no result (a capsule without logic\n"
    "has none), 2 usage, 3 environment.\n";

static int printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] >= 0x7f) return 0;
    return 1;
}

int cli_results(int argc, char **argv)
{
    const char *store = NULL, *val, *pos = NULL;
    int json = 0, npos = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (cli_opt("--store", argc, argv, &i, &val)) {
            if (!(store = val)) return cli_usage("results", "--store needs a value");
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("results", "unknown option '%s'", argv[i]);
        } else {
            pos = argv[i];
            npos++;
        }
    }
    if (npos != 1) return cli_usage("results", "results takes one capsule ID");
    uint8_t id[32];
    kp_error e;
    if (kp_id_parse(pos, id, &e)) return cli_usage("results", "%s", e.msg);
    kp_store *st = NULL;
    if (kp_store_open(cli_store_dir(store), KP_STORE_READONLY, &st, &e)) return cli_fail(&e);
    store_result r;
    buf mem = {0};
    int found = 0, status = 0;
    int rc = store_capsule_exists(st, id, &found, &e);
    if (rc == KP_OK && !found) rc = err_set(&e, KP_E_NOT_FOUND, "no capsule %s in the store", pos);
    if (rc == KP_OK) {
        rc = store_result_get(st, id, &r, &mem, &e);
        if (rc == KP_E_NOT_FOUND)
            err_set(&e, rc, "capsule %s has no result (it names no logic module)", pos);
    }
    if (rc) {
        status = cli_fail(&e);
        goto out;
    }
    char mod[65], tr[65], pol[65];
    cry_hex(mod, r.module, 32);
    cry_hex(tr, r.transcript_root, 32);
    cry_hex(pol, r.policy_hash, 32);
    char *res_hex = malloc(2 * r.result_len + 1);
    if (!res_hex) {
        status = cli_failf(KP_E_NOMEM, "out of memory");
        goto out;
    }
    cry_hex(res_hex, r.result, r.result_len);
    int text = r.has_result && printable(r.result, r.result_len);
    const char *verdict = r.verdict == STORE_VERDICT_ACCEPT ? "accept" : "reject";
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:I}", "id", pos, "module", mod,
                              "verdict", verdict, "reason", r.reason, "fuel", (json_int_t)r.fuel,
                              "transcript_root", tr, "policy_hash", pol, "log_index",
                              (json_int_t)r.log_idx);
        json_object_set_new(o, "result_hex", r.has_result ? json_string(res_hex) : json_null());
        if (text)
            json_object_set_new(o, "result", json_stringn((const char *)r.result, r.result_len));
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s) puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("module      %s\nverdict     %s%s%s%s\n", mod, verdict, *r.reason ? " (" : "",
               r.reason, *r.reason ? ")" : "");
        if (!r.has_result)
            printf("result      none\n");
        else if (text)
            printf("result      %.*s\n", (int)r.result_len, (const char *)r.result);
        else
            printf("result      %s\n", res_hex);
        printf("fuel        %llu\ntranscript  %s\npolicy      %s\nlog         entry %llu\n",
               (unsigned long long)r.fuel, tr, pol, (unsigned long long)r.log_idx);
    }
    free(res_hex);
out:
    buf_free(&mem);
    kp_store_close(st);
    return status;
}
