/* host_policy_test.c: policy files (strict parsing, hash) and the
   effective grant (union of matching rules ∩ imports, tightest limits). */
#include <sodium.h>
#include <unistd.h>

#include "host/policy.h"
#include "test.h"

#define MOD_A "aa00000000000000000000000000000000000000000000000000000000000000"
#define MOD_B "bb00000000000000000000000000000000000000000000000000000000000000"
/* real Ed25519 keys (seeds 32 x 0x01 and 0x02): a policy refuses keys that are no valid point */
#define KEY_X "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
#define KEY_Y "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"

static kp_policy *parse_ok(const char *text)
{
    kp_policy *p = NULL;
    kp_error err;
    kp_error_clear(&err);
    int rc = kp_policy_parse((const uint8_t *)text, strlen(text), &p, &err);
    if (rc) printf("# %s: %s (%s)\n", kp_status_name(rc), err.msg, err.field);
    return p;
}

static int parse_fail(const char *text, kp_error *err)
{
    kp_policy *p = NULL;
    kp_error_clear(err);
    int rc = kp_policy_parse((const uint8_t *)text, strlen(text), &p, err);
    kp_policy_free(p);
    return rc;
}

static void hexbin(const char *hex, uint8_t *out, size_t n)
{
    sodium_hex2bin(out, n, hex, strlen(hex), NULL, NULL, NULL);
}

static pol_subject subject(const char *mod, const char *type, const uint8_t *author, size_t alen,
                           int64_t now)
{
    pol_subject s;
    memset(&s, 0, sizeof s);
    hexbin(mod, s.module, 32);
    s.type = type;
    s.author = author;
    s.author_len = alen;
    s.now = now;
    return s;
}

#define BIT(c) (1u << (c))

TEST(capability_names_round_trip)
{
    for (int c = 0; c < POL_NCAPS; c++) {
        const char *n = pol_cap_name(c);
        CHECK(n != NULL);
        CHECK_EQ(pol_cap_parse(n, strlen(n)), c);
        CHECK(strlen(pol_cap_what(c)) > 0);
    }
    CHECK_EQ(pol_cap_parse("storag", 6), -1);
    CHECK(pol_cap_name(POL_NCAPS) == NULL);
}

TEST(parses_a_full_policy)
{
    kp_policy *p = parse_ok("{\"kapsule_policy\": 1, \"comment\": \"test\", \"grants\": [\n"
                            " {\"name\": \"agents\", \"module\": \"" MOD_A "\", \"type\": \"agent.goal\",\n"
                            "  \"author\": \"" KEY_X "\",\n"
                            "  \"capabilities\": [\"capsule.read\", {\"name\": \"emit\", \"count\": 5},\n"
                            "     {\"name\": \"ledger\", \"budget\": 100, \"account\": \"" KEY_Y "\"}],\n"
                            "  \"limits\": {\"fuel\": 5000, \"memory_pages\": 4, \"not_before\": 10,"
                            " \"not_after\": 20}},\n"
                            " {\"module\": \"*\", \"capabilities\": []}]}");
    CHECK(p != NULL);
    CHECK_EQ(p->nrules, 2);
    const pol_rule *r = &p->rules[0];
    CHECK_STR(r->name, "agents");
    CHECK_EQ(r->module_any, 0);
    CHECK_EQ(r->module[0], 0xaa);
    CHECK_STR(r->type, "agent.goal");
    CHECK_EQ(r->author_len, 32);
    CHECK_EQ(r->caps, BIT(POL_CAP_CAPSULE_READ) | BIT(POL_CAP_EMIT) | BIT(POL_CAP_LEDGER));
    CHECK_EQ(r->emit_count, 5);
    CHECK_EQ(r->has_budget, 1);
    CHECK_EQ(r->budget, 100);
    CHECK_EQ(r->account_len, 32);
    CHECK_EQ(r->account[0], 0x81);
    CHECK_EQ(r->limits.fuel, 5000);
    CHECK_EQ(r->limits.memory_pages, 4);
    CHECK_EQ(r->limits.not_before, 10);
    CHECK_EQ(r->limits.not_after, 20);
    CHECK_STR(p->rules[1].name, "grants[1]");
    CHECK_EQ(p->rules[1].module_any, 1);
    CHECK(p->rules[1].type == NULL);
    kp_policy_free(p);
}

TEST(hash_is_sha256_of_canonical_text)
{
    /* the canonical text of this policy, as JSON_SORT_KEYS | JSON_COMPACT
       writes it, worked out by hand */
    const char *canon = "{\"grants\":[{\"capabilities\":[\"log\"],\"module\":\"*\"}],\"kapsule_policy\":1}";
    uint8_t want[32], got[32], got2[32];
    crypto_hash_sha256(want, (const uint8_t *)canon, strlen(canon));
    kp_policy *p = parse_ok("{ \"kapsule_policy\" : 1,\n  \"grants\": [ { \"module\": \"*\",\n"
                            "     \"capabilities\": [ \"log\" ] } ] }\n");
    kp_policy *q = parse_ok("{\"grants\":[{\"capabilities\":[\"log\"],\"module\":\"*\"}],\"kapsule_policy\":1}");
    CHECK(p && q);
    kp_policy_hash(p, got);
    kp_policy_hash(q, got2);
    CHECK_MEM(got, want, 32);
    CHECK_MEM(got2, want, 32);
    kp_policy_free(q);
    q = parse_ok("{\"grants\":[{\"capabilities\":[\"clock\"],\"module\":\"*\"}],\"kapsule_policy\":1}");
    kp_policy_hash(q, got2);
    CHECK(memcmp(got, got2, 32) != 0);
    /* no policy at all hashes as the empty one */
    const char *empty = "{\"grants\":[],\"kapsule_policy\":1}";
    crypto_hash_sha256(want, (const uint8_t *)empty, strlen(empty));
    kp_policy_hash(NULL, got);
    CHECK_MEM(got, want, 32);
    kp_policy_free(p);
    kp_policy_free(q);
}

TEST(syntax_errors_name_the_line)
{
    kp_error err;
    CHECK_EQ(parse_fail("{\"kapsule_policy\": 1,\n \"grants\": [\n  {\"module\": }\n]}", &err),
             KP_E_POLICY_SYNTAX);
    CHECK_MSG(strstr(err.msg, "line 3") != NULL, "%s", err.msg);
    CHECK_EQ(parse_fail("{\"kapsule_policy\": 1, \"kapsule_policy\": 1, \"grants\": []}", &err),
             KP_E_POLICY_SYNTAX); /* duplicate member */
    CHECK_EQ(parse_fail("", &err), KP_E_POLICY_SYNTAX);
}

TEST(field_errors_name_the_field)
{
    kp_error err;
    struct {
        const char *text;
        int code;
        const char *field;
    } cases[] = {
        {"[]", KP_E_POLICY_FIELD, "(top)"},
        {"{\"grants\": []}", KP_E_POLICY_FIELD, "kapsule_policy"},
        {"{\"kapsule_policy\": 2, \"grants\": []}", KP_E_POLICY_VERSION, "kapsule_policy"},
        {"{\"kapsule_policy\": 1}", KP_E_POLICY_FIELD, "grants"},
        {"{\"kapsule_policy\": 1, \"grants\": [], \"extra\": 1}", KP_E_POLICY_FIELD, "extra"},
        {"{\"kapsule_policy\": 1, \"grants\": [1]}", KP_E_POLICY_FIELD, "grants[0]"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"capabilities\": []}]}", KP_E_POLICY_FIELD,
         "grants[0]"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\"}]}", KP_E_POLICY_FIELD,
         "grants[0]"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"abc\", \"capabilities\": []}]}",
         KP_E_POLICY_FIELD, "grants[0].module"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [], \"bogus\": 1}]}",
         KP_E_POLICY_FIELD, "grants[0].bogus"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [\"log\", \"fly\"]}]}",
         KP_E_POLICY_UNKNOWN_CAP, "grants[0].capabilities[1]"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [{\"name\": \"teleport\"}]}]}",
         KP_E_POLICY_UNKNOWN_CAP, "grants[0].capabilities[0].name"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [{\"name\": \"log\", \"count\": 1}]}]}",
         KP_E_POLICY_FIELD, "grants[0].capabilities[0].count"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [{\"name\": \"emit\", \"count\": 0}]}]}",
         KP_E_POLICY_FIELD, "grants[0].capabilities[0].count"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [{\"name\": \"ledger\", \"budget\": 5}]}]}",
         KP_E_POLICY_FIELD, "grants[0].capabilities[0]"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [], \"limits\": {\"fuel\": 1.5}}]}",
         KP_E_POLICY_FIELD, "grants[0].limits.fuel"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [], \"limits\": {\"memory_pages\": 70000}}]}",
         KP_E_POLICY_FIELD, "grants[0].limits.memory_pages"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [], \"limits\": {\"not_before\": 5, \"not_after\": 4}}]}",
         KP_E_POLICY_FIELD, "grants[0].limits"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"author\": \"12\", \"capabilities\": []}]}",
         KP_E_POLICY_FIELD, "grants[0].author"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"type\": \"\", \"capabilities\": []}]}",
         KP_E_POLICY_FIELD, "grants[0].type"},
        {"{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [\"log\", {\"name\": \"log\"}]}]}",
         KP_E_POLICY_FIELD, "grants[0].capabilities[1]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = parse_fail(cases[i].text, &err);
        CHECK_MSG(rc == cases[i].code, "case %zu: got %d (%s)", i, rc, err.msg);
        CHECK_MSG(strcmp(err.field, cases[i].field) == 0, "case %zu: field '%s', wanted '%s'", i,
                  err.field, cases[i].field);
        CHECK(strlen(err.msg) > 0);
    }
}

TEST(no_policy_grants_nothing)
{
    pol_effective e;
    pol_subject s = subject(MOD_A, "post", NULL, 0, 0);
    pol_evaluate(NULL, &s, BIT(POL_CAP_LOG) | BIT(POL_CAP_STORAGE), &e);
    CHECK_EQ(e.caps, 0);
    CHECK_EQ(e.offered, 0);
    CHECK_EQ(e.limits.fuel, POL_DEFAULT_FUEL);
    CHECK_EQ(e.limits.memory_pages, POL_DEFAULT_MEMORY_PAGES);
    kp_policy *p = parse_ok("{\"kapsule_policy\": 1, \"grants\": []}");
    pol_evaluate(p, &s, BIT(POL_CAP_LOG), &e);
    CHECK_EQ(e.caps, 0);
    kp_policy_free(p);
}

TEST(grant_is_union_of_matches_intersected_with_imports)
{
    uint8_t x[32], y[32];
    hexbin(KEY_X, x, 32);
    hexbin(KEY_Y, y, 32);
    kp_policy *p = parse_ok(
        "{\"kapsule_policy\": 1, \"grants\": ["
        "{\"name\": \"all\", \"module\": \"*\", \"capabilities\": [\"log\"], \"limits\": {\"fuel\": 900}},"
        "{\"name\": \"a-posts\", \"module\": \"" MOD_A "\", \"type\": \"post\", \"capabilities\": "
        "[\"storage\", \"capsule.read\"], \"limits\": {\"fuel\": 500, \"memory_pages\": 8}},"
        "{\"name\": \"a-by-x\", \"module\": \"" MOD_A "\", \"author\": \"" KEY_X "\", \"capabilities\": "
        "[\"clock\", {\"name\": \"emit\", \"count\": 3}]},"
        "{\"name\": \"b\", \"module\": \"" MOD_B "\", \"capabilities\": [\"random\"]}]}");
    CHECK(p != NULL);
    pol_effective e;
    pol_caps imports = BIT(POL_CAP_LOG) | BIT(POL_CAP_STORAGE) | BIT(POL_CAP_CLOCK) |
                       BIT(POL_CAP_RANDOM) | BIT(POL_CAP_EMIT);
    pol_subject s = subject(MOD_A, "post", x, 32, 0);
    pol_evaluate(p, &s, imports, &e);
    CHECK_EQ(e.nmatched, 3);
    CHECK_EQ(e.offered, BIT(POL_CAP_LOG) | BIT(POL_CAP_STORAGE) | BIT(POL_CAP_CAPSULE_READ) |
                            BIT(POL_CAP_CLOCK) | BIT(POL_CAP_EMIT));
    /* capsule.read is offered but not imported; random is imported but
       only rule "b" (another module) grants it */
    CHECK_EQ(e.caps, BIT(POL_CAP_LOG) | BIT(POL_CAP_STORAGE) | BIT(POL_CAP_CLOCK) | BIT(POL_CAP_EMIT));
    CHECK_EQ(e.rule_of[POL_CAP_LOG], 0);
    CHECK_EQ(e.rule_of[POL_CAP_STORAGE], 1);
    CHECK_EQ(e.rule_of[POL_CAP_CLOCK], 2);
    CHECK_EQ(e.rule_of[POL_CAP_RANDOM], -1);
    CHECK_EQ(e.limits.fuel, 500); /* the tightest */
    CHECK_EQ(e.fuel_rule, 1);
    CHECK_EQ(e.limits.memory_pages, 8);
    CHECK_EQ(e.emit_count, 3);
    CHECK_EQ(e.emit_rule, 2);
    /* another author and type: only "all" matches */
    s = subject(MOD_A, "comment", y, 32, 0);
    pol_evaluate(p, &s, imports, &e);
    CHECK_EQ(e.caps, BIT(POL_CAP_LOG));
    CHECK_EQ(e.limits.fuel, 900);
    CHECK_EQ(e.limits.memory_pages, POL_DEFAULT_MEMORY_PAGES);
    CHECK_EQ(e.memory_rule, -1);
    CHECK_EQ(e.emit_count, 0);
    char why[160];
    CHECK_EQ(pol_rule_would_grant(p, &s, POL_CAP_STORAGE, why, sizeof why), 1);
    CHECK_MSG(strstr(why, "'post'") != NULL, "%s", why);
    CHECK_EQ(pol_rule_would_grant(p, &s, POL_CAP_CLOCK, why, sizeof why), 2);
    CHECK_MSG(strstr(why, "author") != NULL, "%s", why);
    CHECK_EQ(pol_rule_would_grant(p, &s, POL_CAP_RANDOM, why, sizeof why), -1);
    kp_policy_free(p);
}

TEST(validity_window_and_budgets)
{
    uint8_t x[32];
    hexbin(KEY_X, x, 32);
    kp_policy *p = parse_ok(
        "{\"kapsule_policy\": 1, \"grants\": ["
        "{\"module\": \"*\", \"capabilities\": [\"ledger\", \"emit\"], \"limits\": {\"not_before\": 100, \"not_after\": 200}},"
        "{\"module\": \"*\", \"capabilities\": [{\"name\": \"ledger\", \"budget\": 70, \"account\": \"" KEY_X "\"}]},"
        "{\"module\": \"*\", \"capabilities\": [{\"name\": \"ledger\", \"budget\": 50, \"account\": \"" KEY_X "\"}]},"
        "{\"module\": \"*\", \"capabilities\": [{\"name\": \"ledger\", \"budget\": 9, \"account\": \"" KEY_Y "\"}]}]}");
    CHECK(p != NULL);
    pol_effective e;
    pol_subject s = subject(MOD_A, NULL, NULL, 0, 150);
    pol_evaluate(p, &s, BIT(POL_CAP_LEDGER) | BIT(POL_CAP_EMIT), &e);
    CHECK_EQ(e.caps, BIT(POL_CAP_LEDGER) | BIT(POL_CAP_EMIT));
    CHECK_EQ(e.emit_count, POL_DEFAULT_EMIT_COUNT);
    CHECK(e.limits.has_not_after && e.limits.not_after == 200);
    /* the same account twice: the smaller budget holds */
    CHECK_EQ(e.nbudgets, 2);
    CHECK_EQ(e.budgets[0].account[0], 0x8a);
    CHECK_EQ(e.budgets[0].amount, 50);
    CHECK_EQ(e.budgets[0].rule, 2);
    CHECK_EQ(e.budgets[1].account[0], 0x81);
    CHECK_EQ(e.budgets[1].amount, 9);
    /* outside the window the first rule does not match */
    s.now = 250;
    pol_evaluate(p, &s, BIT(POL_CAP_LEDGER) | BIT(POL_CAP_EMIT), &e);
    CHECK_EQ(e.caps, BIT(POL_CAP_LEDGER));
    char why[160];
    CHECK_EQ(pol_rule_would_grant(p, &s, POL_CAP_EMIT, why, sizeof why), 0);
    CHECK_MSG(strstr(why, "expired") != NULL, "%s", why);
    s.now = 50;
    CHECK_EQ(pol_rule_would_grant(p, &s, POL_CAP_EMIT, why, sizeof why), 0);
    CHECK_MSG(strstr(why, "from 100") != NULL, "%s", why);
    /* budgets are not minted for a module that does not import the ledger */
    s.now = 150;
    pol_evaluate(p, &s, BIT(POL_CAP_EMIT), &e);
    CHECK_EQ(e.nbudgets, 0);
    kp_policy_free(p);
}

TEST(load_names_the_file)
{
    kp_policy *p = NULL;
    kp_error err;
    char path[] = "/tmp/kapsule_policy_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "{\"kapsule_policy\": 1,\n\"grants\": [{\"module\": \"*\", \"capabilities\": [\"nope\"]}]}";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    CHECK_EQ(kp_policy_load(path, &p, &err), KP_E_POLICY_UNKNOWN_CAP);
    CHECK(strstr(err.msg, path) != NULL);
    unlink(path);
    CHECK_EQ(kp_policy_load(path, &p, &err), KP_E_NO_FILE);
}
