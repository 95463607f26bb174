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
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "host/host.h"
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
    size_t n = strlen(arg), got = 0;
    if ((n == 64 || n == 66 || n == 130) &&
        sodium_hex2bin(pk, KP_PK_MAX_BYTES, arg, n, NULL, &got, NULL) == 0 && got == n / 2) {
        *len = got;
        *alg = got == 32 ? KP_ALG_ED25519 : KP_ALG_P256;
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
    if (h) sodium_bin2hex(h, 2 * n + 1, p, n);
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

static void print_text(host_run *r, const run_opts *o, const kp_policy *pol, int rc,
                       const kp_error *err)
{
    const pol_effective *g = host_run_grant(r);
    const char *reason;
    int v = host_run_verdict(r, &reason);
    size_t len;
    int submitted;
    const uint8_t *res = host_run_result(r, &len, &submitted);
    printf("module      ");
    print_hex(stdout, host_run_module_id(r), 32);
    printf("\nverdict     %s%s%s%s\n", v == HOST_VERDICT_ACCEPT ? "accept" : "reject",
           *reason ? " (" : "", reason, *reason ? ")" : "");
    if (rc) printf("trap        %s: %s\n", kp_status_name(rc) ? kp_status_name(rc) : "?", err->msg);
    else printf("returned    %ld\n", (long)host_run_exit_code(r));
    if (submitted) {
        printf("result      %zu bytes: ", len);
        if (len && printable(res, len))
            printf("%.*s\n", (int)len, (const char *)res);
        else {
            print_hex(stdout, res, len);
            printf("\n");
        }
    }
    printf("fuel        %" PRIu64 " used\n", host_run_fuel_used(r));
    printf("grant      ");
    int any = 0;
    for (int c = 0; c < POL_NCAPS; c++)
        if (g->caps >> c & 1) {
            printf("%s %s (%s)", any ? "," : "", pol_cap_name(c), pol->rules[g->rule_of[c]].name);
            any = 1;
        }
    printf("%s\n", any ? "" : " nothing");
    size_t ne = host_run_emitted_count(r);
    for (size_t i = 0; i < ne; i++) {
        const host_emitted *e = host_run_emitted(r, i);
        printf("emitted     %s, %zu bytes: ", e->type, e->body_len);
        print_hex(stdout, e->body, e->body_len);
        printf("\n");
    }
    const uint8_t *logs = host_run_logs(r, &len);
    if (len) printf("log:\n%.*s", (int)len, (const char *)logs);
    uint8_t root[32];
    kp_transcript_root(host_run_transcript(r), root);
    printf("transcript  %zu calls, root ", kp_transcript_count(host_run_transcript(r)));
    print_hex(stdout, root, 32);
    printf("\n");
    (void)o;
}

static void print_json(host_run *r, const kp_policy *pol, int rc, const kp_error *err)
{
    const pol_effective *g = host_run_grant(r);
    const char *reason;
    int v = host_run_verdict(r, &reason);
    size_t len;
    int submitted;
    const uint8_t *res = host_run_result(r, &len, &submitted);
    json_t *o = json_object(), *grant = json_array(), *em = json_array();
    char *h = hex_dup(host_run_module_id(r), 32);
    json_object_set_new(o, "module", json_string(h));
    free(h);
    json_object_set_new(o, "verdict", json_string(v == HOST_VERDICT_ACCEPT ? "accept" : "reject"));
    json_object_set_new(o, "reason", json_string(reason));
    if (rc) {
        json_object_set_new(o, "trap", json_string(kp_status_name(rc) ? kp_status_name(rc) : "?"));
        json_object_set_new(o, "message", json_string(err->msg));
    } else {
        json_object_set_new(o, "returned", json_integer(host_run_exit_code(r)));
    }
    if (submitted) {
        h = hex_dup(res, len);
        json_object_set_new(o, "result_hex", json_string(h ? h : ""));
        free(h);
        if (printable(res, len)) json_object_set_new(o, "result", json_stringn((const char *)res, len));
    }
    json_object_set_new(o, "fuel_used", json_integer((json_int_t)host_run_fuel_used(r)));
    for (int c = 0; c < POL_NCAPS; c++)
        if (g->caps >> c & 1)
            json_array_append_new(grant, json_pack("{s:s,s:s}", "capability", pol_cap_name(c),
                                                   "rule", pol->rules[g->rule_of[c]].name));
    json_object_set_new(o, "grant", grant);
    for (size_t i = 0; i < host_run_emitted_count(r); i++) {
        const host_emitted *e = host_run_emitted(r, i);
        h = hex_dup(e->body, e->body_len);
        json_array_append_new(em, json_pack("{s:s,s:s}", "type", e->type, "body_hex", h ? h : ""));
        free(h);
    }
    json_object_set_new(o, "emitted", em);
    const uint8_t *logs = host_run_logs(r, &len);
    json_object_set_new(o, "log", json_stringn((const char *)logs, len));
    uint8_t root[32];
    kp_transcript_root(host_run_transcript(r), root);
    h = hex_dup(root, 32);
    json_object_set_new(o, "transcript_root", json_string(h));
    free(h);
    json_object_set_new(o, "transcript_calls",
                        json_integer((json_int_t)kp_transcript_count(host_run_transcript(r))));
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
    host_mem *mem = NULL;
    host_run *r = NULL;
    kp_transcript *replay = NULL;
    int status = 0, rc;
    uint8_t author[KP_PK_MAX_BYTES], owner[KP_PK_MAX_BYTES];
    size_t author_len = 0, owner_len = 0;
    kp_key_alg author_alg = KP_ALG_NONE, owner_alg = KP_ALG_NONE;
    host_flag flags[MAX_FLAGS];
    char *flagbuf[MAX_FLAGS] = {0};
    uint8_t parents[MAX_PARENTS][32];
    int64_t now = o.have_now ? o.now : (int64_t)time(NULL);

    if ((rc = file_read_all(o.module, 64u * 1024 * 1024, &wasm, &wlen, &err))) goto fail;
    if (o.input && (rc = file_read_all(o.input, 16u * 1024 * 1024, &body, &blen, &err))) goto fail;
    if (o.policy) {
        if ((rc = kp_policy_load(o.policy, &pol, &err))) goto fail;
    } else {
        static const char none[] = "{\"kapsule_policy\":1,\"grants\":[]}";
        if ((rc = kp_policy_parse((const uint8_t *)none, sizeof none - 1, &pol, &err))) goto fail;
    }
    if (o.author && (rc = cli_parse_key_arg(o.author, &author_alg, author, &author_len, &err)))
        goto fail;
    if (o.owner && (rc = cli_parse_key_arg(o.owner, &owner_alg, owner, &owner_len, &err)))
        goto fail;
    for (size_t i = 0; i < o.nparents; i++) {
        size_t got = 0;
        if (strlen(o.parents[i]) != 64 ||
            sodium_hex2bin(parents[i], 32, o.parents[i], 64, NULL, &got, NULL) || got != 32) {
            status = cli_usage("run", "bad --parent '%s' (64 hex digits)", o.parents[i]);
            goto done;
        }
    }
    for (size_t i = 0; i < o.nflags; i++) {
        flagbuf[i] = strdup(o.flags[i]);
        if (!flagbuf[i]) {
            rc = err_set(&err, KP_E_NOMEM, "out of memory");
            goto fail;
        }
        char *eq = strchr(flagbuf[i], '=');
        *eq = 0;
        flags[i].key = flagbuf[i];
        flags[i].value = eq + 1;
    }
    if ((rc = host_mem_new(&mem, &err))) goto fail;
    uint8_t mid[32];
    if ((rc = host_mem_add_module(mem, wasm, wlen, owner_alg, owner, owner_len, mid, &err)))
        goto fail;
    for (size_t i = 0; i < o.ncredits; i++) {
        char key[160];
        const char *eq = strchr(o.credits[i], '=');
        uint64_t amount;
        uint8_t acct[KP_PK_MAX_BYTES];
        size_t alen;
        kp_key_alg aalg;
        snprintf(key, sizeof key, "%.*s", (int)(eq - o.credits[i]), o.credits[i]);
        if (!parse_u64(eq + 1, &amount)) {
            status = cli_usage("run", "bad --credit amount '%s'", eq + 1);
            goto done;
        }
        if ((rc = cli_parse_key_arg(key, &aalg, acct, &alen, &err)) ||
            (rc = host_mem_credit(mem, acct, alen, amount, &err)))
            goto fail;
    }
    if (o.replay) {
        if ((rc = file_read_all(o.replay, 64u * 1024 * 1024, &replay_bytes, &rlen, &err)) ||
            (rc = kp_transcript_parse(replay_bytes, rlen, &replay, &err)))
            goto fail;
    }
    host_storage st = host_mem_storage(mem);
    host_ledger lg = host_mem_ledger(mem);
    host_dag dg = host_mem_dag(mem);
    host_modules md = host_mem_modules(mem);
    host_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.policy = pol;
    cfg.storage = &st;
    cfg.ledger = &lg;
    cfg.dag = &dg;
    cfg.modules = &md;
    cfg.now = now;
    cfg.fuel = o.fuel;
    cfg.replay = replay;
    if (o.trust_module) {
        size_t got = 0;
        if (strlen(o.trust_module) != 64 ||
            sodium_hex2bin(cfg.trust_module, 32, o.trust_module, 64, NULL, &got, NULL) ||
            got != 32) {
            status = cli_usage("run", "bad --trust-module (64 hex digits)");
            goto done;
        }
        cfg.has_trust_module = 1;
    }
    host_capsule cap;
    memset(&cap, 0, sizeof cap);
    cap.type = o.type ? o.type : "post";
    cap.author_alg = author_alg;
    cap.author = author;
    cap.author_len = author_len;
    cap.parents = (const uint8_t(*)[32])parents;
    cap.nparents = o.nparents;
    cap.has_logic = 1;
    memcpy(cap.logic, mid, 32);
    cap.flags = flags;
    cap.nflags = o.nflags;
    cap.created = o.have_created ? o.created : now;
    cap.body = body ? body : (const uint8_t *)"";
    cap.body_len = blen;
    /* a made-up capsule still needs a stable id: the hash of what it says */
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    crypto_hash_sha256_update(&hs, (const uint8_t *)"kapsule run\n", 12);
    crypto_hash_sha256_update(&hs, (const uint8_t *)cap.type, strlen(cap.type) + 1);
    crypto_hash_sha256_update(&hs, author, author_len);
    crypto_hash_sha256_update(&hs, cap.body, blen);
    crypto_hash_sha256_final(&hs, cap.id);

    if ((rc = host_run_new(&cfg, wasm, wlen, &cap, &r, &err))) goto fail;
    rc = host_run_call(r, &err);
    if (o.json)
        print_json(r, pol, rc, &err);
    else
        print_text(r, &o, pol, rc, &err);
    if (o.transcript) {
        uint8_t *tb = NULL;
        size_t tl = 0;
        kp_error terr;
        int trc = kp_transcript_encode(host_run_transcript(r), &tb, &tl, &terr);
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
    const char *reason;
    status = host_run_verdict(r, &reason) == HOST_VERDICT_ACCEPT ? 0 : 1;
    goto done;
fail:
    status = cli_fail(&err);
done:
    host_run_free(r);
    host_mem_free(mem);
    kp_policy_free(pol);
    kp_transcript_free(replay);
    for (size_t i = 0; i < o.nflags; i++) free(flagbuf[i]);
    if (wasm) mem_free(wasm, wlen + 1);
    if (body) mem_free(body, blen + 1);
    if (replay_bytes) mem_free(replay_bytes, rlen + 1);
    return status;
}
