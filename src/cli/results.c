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

static const char usage_text[] =
    "usage: kapsule results ID [--json] [--store DIR]\n"
    "\n"
    "What the logic module of stored capsule ID said: module, verdict, reason,\n"
    "the result it submitted (text when printable, CBOR decoded as JSON, else\n"
    "hex; --json: \"result\", \"result_cbor\", \"result_hex\"), fuel used, the\n"
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
    kp_result *r = NULL;
    int status = 0;
    if (kp_result_get(st, id, &r, &e)) {
        status = cli_fail(&e);
        goto out;
    }
    const char *reason;
    int verdict_code = kp_result_verdict(r, &reason);
    size_t rlen;
    int submitted;
    const uint8_t *data = kp_result_data(r, &rlen, &submitted);
    char mod[65], tr[65], pol[65];
    cry_hex(mod, kp_result_module(r), 32);
    cry_hex(tr, kp_result_transcript_root(r), 32);
    cry_hex(pol, kp_result_policy_hash(r), 32);
    char *res_hex = malloc(2 * rlen + 1);
    if (!res_hex) {
        status = cli_failf(KP_E_NOMEM, "out of memory");
        goto out;
    }
    cry_hex(res_hex, data ? data : (const uint8_t *)"", rlen);
    int text = submitted && printable(data, rlen);
    /* a result in CBOR (what the SDK's helpers write) is shown decoded */
    char *dec = NULL;
    kp_error de;
    if (submitted && !text && kp_cbor_to_json(data, rlen, 0, &dec, &de) != KP_OK) dec = NULL;
    const char *verdict = verdict_code == 1 ? "accept" : "reject";
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:I}", "id", pos, "module", mod,
                              "verdict", verdict, "reason", reason, "fuel",
                              (json_int_t)kp_result_fuel(r), "transcript_root", tr, "policy_hash",
                              pol, "log_index", (json_int_t)kp_result_log_index(r));
        json_object_set_new(o, "result_hex", submitted ? json_string(res_hex) : json_null());
        if (text) json_object_set_new(o, "result", json_stringn((const char *)data, rlen));
        json_t *dj = dec ? json_loads(dec, 0, NULL) : NULL;
        if (dj) json_object_set_new(o, "result_cbor", dj);
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s) puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("module      %s\nverdict     %s%s%s%s\n", mod, verdict, *reason ? " (" : "",
               reason, *reason ? ")" : "");
        if (!submitted)
            printf("result      none\n");
        else if (text)
            printf("result      %.*s\n", (int)rlen, (const char *)data);
        else if (dec)
            printf("result      %s\n", dec);
        else
            printf("result      %s\n", res_hex);
        printf("fuel        %llu\ntranscript  %s\npolicy      %s\nlog         entry %llu\n",
               (unsigned long long)kp_result_fuel(r), tr, pol,
               (unsigned long long)kp_result_log_index(r));
    }
    free(res_hex);
    kp_text_free(dec);
out:
    kp_result_free(r);
    kp_store_close(st);
    return status;
}
