/*
 * run.c: kapsule run MODULE.wasm [options]
 *
 * Runs a logic module's entry point outside the ingest pipeline, under a
 * policy, against in-memory backends: the capsule is synthesized from the
 * options (--input is its body), and the run's result, verdict, fuel and
 * effective grant are printed. --transcript saves the host-call
 * transcript; --replay runs again from a saved one, feeding the recorded
 * oracle values back, and fails with E_HOST_REPLAY_DIVERGED if the run
 * differs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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

#define MAX_FLAGS 32
#define MAX_PARENTS 64

static void help(void)
{
    printf("usage: kapsule run MODULE.wasm [options]\n\n"
           "Runs a logic module's entry point (kapsule_run, or WASI _start) for a\n"
           "capsule made up from the options, under a policy, with in-memory storage,\n"
           "ledger and DAG. Prints the result, the verdict, the fuel used and the\n"
           "capabilities the module was granted. Without --policy nothing is granted:\n"
           "a module that imports any host function fails to link (E_CAP_NOT_GRANTED).\n\n"
           "options:\n"
           "  --policy P          the policy file (JSON; see kapsule policy --help)\n"
           "  --input FILE        the capsule's body (\"-\": standard input)\n"
           "  --type T            the capsule's type (default \"post\")\n"
           "  --author K          the author: a public key in hex, or a key name\n"
           "  --owner K           register the module as owned by K (module_owner)\n"
           "  --parent ID         a parent capsule id in hex (repeatable)\n"
           "  --flag KEY=VALUE    a relay-visible flag (repeatable)\n"
           "  --created N         the capsule's created time, Unix seconds (default now)\n"
           "  --now N             the time grants are checked at (default now)\n"
           "  --fuel N            at most N fuel (the policy's limit still applies)\n"
           "  --trust-module ID   get_trust_score reads this module's scores\n"
           "  --credit K=N        give account K (hex or key name) N units first\n"
           "  --transcript FILE   write the transcript (CBOR) to FILE\n"
           "  --replay FILE       replay the transcript in FILE instead of asking the\n"
           "                      clock, randomness and backends\n"
           "  --json              print one JSON object\n\n"
           "exit status: 0 accepted, 1 rejected, trapped or refused, 2 usage, 3 environment\n");
}

int cli_parse_key_arg(const char *arg, kp_key_alg *alg, uint8_t *pk, size_t *len, kp_error *err)
{
    size_t n = strlen(arg);
    if ((n == 64 || n == 66 || n == 130) &&
        cry_hex_decode(pk, KP_PK_MAX_BYTES, arg, n, CRY_HEX_ANY_CASE) == (long)(n / 2)) {
        *len = n / 2;
        *alg = n == 64 ? KP_ALG_ED25519 : KP_ALG_P256;
        return KP_OK;
    }
    kp_key *k = NULL;
    int rc = kp_key_load(cli_store_dir(NULL), arg, &k, err);
    if (rc) {
        err_prefix(err, "'%s' is neither a public key in hex nor a key name", arg);
        return rc;
    }
    const uint8_t *p = kp_key_public(k, len);
    *alg = kp_key_get_alg(k);
    if (!p) {
        kp_key_free(k);
        return err_set(err, KP_E_KEY_NO_SIGN, "key '%s' is receive-only", arg);
    }
    memcpy(pk, p, *len);
    kp_key_free(k);
    return KP_OK;
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-') return 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end) return 0;
    *v = x;
    return 1;
}

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x", p[i]);
}

static char *hex_dup(const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (h) cry_hex(h, p, n);
    return h;
}

static int printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f) return 0;
    return 1;
}

typedef struct run_opts {
    const char *module, *policy, *input, *type, *author, *owner, *transcript, *replay;
    const char *trust_module;
    int json;
    uint64_t fuel;
    int have_created, have_now;
    int64_t created, now;
    const char *flags[MAX_FLAGS];
    size_t nflags;
    const char *parents[MAX_PARENTS];
    size_t nparents;
    const char *credits[MAX_FLAGS];
    size_t ncredits;
} run_opts;

static int parse_opts(int argc, char **argv, run_opts *o)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'},   {"input", required_argument, NULL, 'i'},
        {"type", required_argument, NULL, 't'},     {"author", required_argument, NULL, 'a'},
        {"owner", required_argument, NULL, 'o'},    {"parent", required_argument, NULL, 'P'},
        {"flag", required_argument, NULL, 'F'},     {"created", required_argument, NULL, 'c'},
        {"now", required_argument, NULL, 'n'},      {"fuel", required_argument, NULL, 'f'},
        {"trust-module", required_argument, NULL, 'T'}, {"credit", required_argument, NULL, 'C'},
        {"transcript", required_argument, NULL, 'x'}, {"replay", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    uint64_t v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': o->policy = optarg; break;
        case 'i': o->input = optarg; break;
        case 't': o->type = optarg; break;
        case 'a': o->author = optarg; break;
        case 'o': o->owner = optarg; break;
        case 'T': o->trust_module = optarg; break;
        case 'x': o->transcript = optarg; break;
        case 'r': o->replay = optarg; break;
        case 'j': o->json = 1; break;
        case 'P':
            if (o->nparents == MAX_PARENTS) return cli_usage("run", "too many --parent");
            o->parents[o->nparents++] = optarg;
            break;
        case 'F':
            if (o->nflags == MAX_FLAGS || !strchr(optarg, '='))
                return cli_usage("run", "bad --flag '%s' (KEY=VALUE)", optarg);
            o->flags[o->nflags++] = optarg;
            break;
        case 'C':
            if (o->ncredits == MAX_FLAGS || !strchr(optarg, '='))
                return cli_usage("run", "bad --credit '%s' (KEY=AMOUNT)", optarg);
            o->credits[o->ncredits++] = optarg;
            break;
        case 'c':
            if (!parse_u64(optarg, &v) || v > INT64_MAX) return cli_usage("run", "bad --created");
            o->have_created = 1;
            o->created = (int64_t)v;
            break;
        case 'n':
            if (!parse_u64(optarg, &v) || v > INT64_MAX) return cli_usage("run", "bad --now");
            o->have_now = 1;
            o->now = (int64_t)v;
            break;
        case 'f':
            if (!parse_u64(optarg, &o->fuel) || o->fuel == 0) return cli_usage("run", "bad --fuel");
            break;
        case 'h': help(); return -1;
        default: return cli_usage("run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc) return cli_usage("run", "expected one MODULE.wasm");
    o->module = argv[optind];
    return 0;
}

static void print_text(const kp_run *r, int rc, const kp_error *err)
{
    const char *reason, *cap, *rule;
    int v = kp_run_verdict(r, &reason);
    size_t len;
    int submitted;
    const uint8_t *res = kp_run_result(r, &len, &submitted);
    printf("module      ");
    print_hex(stdout, kp_run_module_id(r), 32);
    printf("\nverdict     %s%s%s%s\n", v == 1 ? "accept" : "reject", *reason ? " (" : "", reason,
           *reason ? ")" : "");
    if (rc) printf("trap        %s: %s\n", kp_status_name(rc) ? kp_status_name(rc) : "?", err->msg);
    else printf("returned    %ld\n", (long)kp_run_exit_code(r));
    if (submitted) {
        printf("result      %zu bytes: ", len);
        if (len && printable(res, len))
            printf("%.*s\n", (int)len, (const char *)res);
        else {
            print_hex(stdout, res, len);
            printf("\n");
        }
    }
    printf("fuel        %" PRIu64 " used\n", kp_run_fuel_used(r));
    printf("grant      ");
    for (size_t i = 0; kp_run_grant_at(r, i, &cap, &rule) == KP_OK; i++)
        printf("%s %s (%s)", i ? "," : "", cap, rule);
    printf("%s\n", kp_run_grant_count(r) ? "" : " nothing");
    const char *type;
    const uint8_t *body;
    for (size_t i = 0; kp_run_emitted(r, i, &type, &body, &len) == KP_OK; i++) {
        printf("emitted     %s, %zu bytes: ", type, len);
        print_hex(stdout, body, len);
        printf("\n");
    }
    const uint8_t *logs = kp_run_logs(r, &len);
    if (len) printf("log:\n%.*s", (int)len, (const char *)logs);
    uint8_t root[32];
    kp_transcript_root(kp_run_transcript(r), root);
    printf("transcript  %zu calls, root ", kp_transcript_count(kp_run_transcript(r)));
    print_hex(stdout, root, 32);
    printf("\n");
}

static void print_json(const kp_run *r, int rc, const kp_error *err)
{
    const char *reason, *cap, *rule;
    int v = kp_run_verdict(r, &reason);
    size_t len;
    int submitted;
    const uint8_t *res = kp_run_result(r, &len, &submitted);
    json_t *o = json_object(), *grant = json_array(), *em = json_array();
    char *h = hex_dup(kp_run_module_id(r), 32);
    json_object_set_new(o, "module", json_string(h));
    free(h);
    json_object_set_new(o, "verdict", json_string(v == 1 ? "accept" : "reject"));
    json_object_set_new(o, "reason", json_string(reason));
    if (rc) {
        json_object_set_new(o, "trap", json_string(kp_status_name(rc) ? kp_status_name(rc) : "?"));
        json_object_set_new(o, "message", json_string(err->msg));
    } else {
        json_object_set_new(o, "returned", json_integer(kp_run_exit_code(r)));
    }
    if (submitted) {
        h = hex_dup(res, len);
        json_object_set_new(o, "result_hex", json_string(h ? h : ""));
        free(h);
        if (printable(res, len)) json_object_set_new(o, "result", json_stringn((const char *)res, len));
    }
    json_object_set_new(o, "fuel_used", json_integer((json_int_t)kp_run_fuel_used(r)));
    for (size_t i = 0; kp_run_grant_at(r, i, &cap, &rule) == KP_OK; i++)
        json_array_append_new(grant, json_pack("{s:s,s:s}", "capability", cap, "rule", rule));
    json_object_set_new(o, "grant", grant);
    const char *type;
    const uint8_t *body;
    for (size_t i = 0; kp_run_emitted(r, i, &type, &body, &len) == KP_OK; i++) {
        h = hex_dup(body, len);
        json_array_append_new(em, json_pack("{s:s,s:s}", "type", type, "body_hex", h ? h : ""));
        free(h);
    }
    json_object_set_new(o, "emitted", em);
    const uint8_t *logs = kp_run_logs(r, &len);
    json_object_set_new(o, "log", json_stringn((const char *)logs, len));
    uint8_t root[32];
    kp_transcript_root(kp_run_transcript(r), root);
    h = hex_dup(root, 32);
    json_object_set_new(o, "transcript_root", json_string(h));
    free(h);
    json_object_set_new(o, "transcript_calls",
                        json_integer((json_int_t)kp_transcript_count(kp_run_transcript(r))));
    char *text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
    if (text) printf("%s\n", text);
    free(text);
    json_decref(o);
}

int cli_run(int argc, char **argv)
{
    run_opts o;
    memset(&o, 0, sizeof o);
    int prc = parse_opts(argc, argv, &o);
    if (prc) return prc < 0 ? 0 : prc;
    kp_error err;
    kp_error_clear(&err);
    uint8_t *wasm = NULL, *body = NULL, *replay_bytes = NULL;
    size_t wlen = 0, blen = 0, rlen = 0;
    kp_policy *pol = NULL;
    kp_run *r = NULL;
    kp_transcript *replay = NULL;
    int status = 0, rc;
    uint8_t author[KP_PK_MAX_BYTES], owner[KP_PK_MAX_BYTES], trust[KP_ID_BYTES];
    uint8_t accts[MAX_FLAGS][KP_PK_MAX_BYTES];
    kp_run_credit credits[MAX_FLAGS];
    size_t author_len = 0, owner_len = 0;
    kp_key_alg author_alg = KP_ALG_NONE, owner_alg = KP_ALG_NONE;
    kp_capsule_flag flags[MAX_FLAGS];
    uint8_t parents[MAX_PARENTS][32];
    kp_run_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.now = o.have_now ? o.now : (int64_t)time(NULL);

    if ((rc = file_read_all(o.module, 64u * 1024 * 1024, &wasm, &wlen, &err))) goto fail;
    if (o.input && (rc = file_read_all(o.input, 16u * 1024 * 1024, &body, &blen, &err))) goto fail;
    if (o.policy && (rc = kp_policy_load(o.policy, &pol, &err))) goto fail;
    if (o.author && (rc = cli_parse_key_arg(o.author, &author_alg, author, &author_len, &err)))
        goto fail;
    if (o.owner && (rc = cli_parse_key_arg(o.owner, &owner_alg, owner, &owner_len, &err)))
        goto fail;
    for (size_t i = 0; i < o.nparents; i++) {
        if (kp_id_parse(o.parents[i], parents[i], &err)) {
            status = cli_usage("run", "bad --parent '%s' (64 hex digits)", o.parents[i]);
            goto done;
        }
    }
    for (size_t i = 0; i < o.nflags; i++) {
        const char *eq = strchr(o.flags[i], '=');
        flags[i] = (kp_capsule_flag){o.flags[i], (size_t)(eq - o.flags[i]), eq + 1, strlen(eq + 1)};
    }
    for (size_t i = 0; i < o.ncredits; i++) {
        char key[160];
        const char *eq = strchr(o.credits[i], '=');
        kp_key_alg aalg;
        snprintf(key, sizeof key, "%.*s", (int)(eq - o.credits[i]), o.credits[i]);
        if (!parse_u64(eq + 1, &credits[i].amount)) {
            status = cli_usage("run", "bad --credit amount '%s'", eq + 1);
            goto done;
        }
        if ((rc = cli_parse_key_arg(key, &aalg, accts[i], &credits[i].account_len, &err))) goto fail;
        credits[i].account = accts[i];
    }
    if (o.replay) {
        if ((rc = file_read_all(o.replay, 64u * 1024 * 1024, &replay_bytes, &rlen, &err)) ||
            (rc = kp_transcript_parse(replay_bytes, rlen, &replay, &err)))
            goto fail;
    }
    if (o.trust_module) {
        if (kp_id_parse(o.trust_module, trust, &err)) {
            status = cli_usage("run", "bad --trust-module (64 hex digits)");
            goto done;
        }
        ro.trust_module = trust;
    }
    ro.policy = pol;
    ro.type = o.type;
    ro.author_alg = author_alg;
    ro.author = author_len ? author : NULL;
    ro.author_len = author_len;
    ro.body = body;
    ro.body_len = blen;
    ro.parents = (const uint8_t(*)[KP_ID_BYTES])parents;
    ro.parent_count = o.nparents;
    ro.flags = flags;
    ro.flag_count = o.nflags;
    ro.created = o.have_created ? o.created : ro.now;
    ro.fuel = o.fuel;
    ro.owner_alg = owner_alg;
    ro.owner = owner_len ? owner : NULL;
    ro.owner_len = owner_len;
    ro.credits = credits;
    ro.credit_count = o.ncredits;
    ro.replay = replay;

    rc = kp_run_standalone(wasm, wlen, &ro, &r, &err);
    if (!r) goto fail;
    if (o.json)
        print_json(r, rc, &err);
    else
        print_text(r, rc, &err);
    if (o.transcript) {
        uint8_t *tb = NULL;
        size_t tl = 0;
        kp_error terr;
        int trc = kp_transcript_encode(kp_run_transcript(r), &tb, &tl, &terr);
        if (trc == KP_OK) trc = file_write_output(o.transcript, tb, tl, 0644, &terr);
        kp_transcript_bytes_free(tb, tl);
        if (trc) {
            status = cli_fail(&terr);
            goto done;
        }
    }
    if (rc) {
        status = cli_fail(&err);
        goto done;
    }
    status = kp_run_verdict(r, NULL) == 1 ? 0 : 1;
    goto done;
fail:
    status = cli_fail(&err);
done:
    kp_run_free(r);
    kp_policy_free(pol);
    kp_transcript_free(replay);
    if (wasm) mem_free(wasm, wlen + 1);
    if (body) mem_free(body, blen + 1);
    if (replay_bytes) mem_free(replay_bytes, rlen + 1);
    return status;
}
