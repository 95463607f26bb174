/*
 * runtime_standalone_test.c: kp_run_standalone through kapsule.h alone,
 * as an embedder (or `kapsule run`) uses it: a module without imports
 * accepts; one importing what is not granted does not link; a real guest
 * under a policy reports its grant, verdict, fuel and transcript; replay
 * of that transcript reproduces the run and a changed input diverges.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kapsule.h"
#include "test.h"

/* kapsule_run returns 0 (accept), no imports. */
static const uint8_t MOD_ACCEPT[] = {0,  'a', 's', 'm', 1,   0,   0,   0,   1,   5,   1,   0x60,
                                     0,  1,   0x7f, 3, 2,   1,   0,   7,   15,  1,   11,  'k',
                                     'a', 'p', 's', 'u', 'l', 'e', '_', 'r', 'u', 'n', 0,   0,
                                     10, 6,   1,   4,   0,   0x41, 0,  0x0b};

static uint8_t *guest(const char *name, size_t *len)
{
    const char *b = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/guest/%s.wasm", b && *b ? b : "build", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *p = malloc(1 << 20);
    *len = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

TEST(a_module_without_imports_runs_and_accepts)
{
    kp_run *r = NULL;
    kp_error e;
    kp_run_opts o;
    memset(&o, 0, sizeof o);
    o.now = 1700000000;
    CHECK_EQ(kp_run_standalone(MOD_ACCEPT, sizeof MOD_ACCEPT, &o, &r, &e), KP_OK);
    CHECK(r != NULL);
    const char *why;
    CHECK_EQ(kp_run_verdict(r, &why), 1);
    CHECK_EQ(kp_run_status(r), KP_OK);
    CHECK_EQ(kp_run_exit_code(r), 0);
    CHECK(kp_run_fuel_used(r) > 0);
    CHECK_EQ(kp_transcript_count(kp_run_transcript(r)), 0);
    CHECK_EQ(kp_run_grant_count(r), 0);
    uint8_t mid[KP_ID_BYTES];
    kp_module_id(MOD_ACCEPT, sizeof MOD_ACCEPT, mid);
    CHECK(memcmp(kp_run_module_id(r), mid, KP_ID_BYTES) == 0);
    int sub = 1;
    CHECK(kp_run_result(r, NULL, &sub) == NULL && sub == 0);
    kp_run_free(r);
    /* NULL options are the defaults */
    r = NULL;
    CHECK_EQ(kp_run_standalone(MOD_ACCEPT, sizeof MOD_ACCEPT, NULL, &r, &e), KP_OK);
    kp_run_free(r);
}

TEST(an_ungranted_import_does_not_link)
{
    size_t len;
    uint8_t *w = guest("blocklist", &len);
    if (!w) SKIP("build/guest/blocklist.wasm missing");
    kp_run *r = NULL;
    kp_error e;
    CHECK_EQ(kp_run_standalone(w, len, NULL, &r, &e), KP_E_CAP_NOT_GRANTED);
    CHECK(r == NULL);
    free(w);
}

TEST(a_guest_under_a_policy_and_its_replay)
{
    size_t len;
    uint8_t *w = guest("blocklist", &len);
    if (!w) SKIP("build/guest/blocklist.wasm missing");
    static const char pol_text[] =
        "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"moderation\", \"module\": \"*\", "
        "\"capabilities\": [\"capsule.read\", \"storage\", \"module.read\", \"result.submit\"]}]}";
    kp_policy *pol;
    kp_error e;
    CHECK_EQ(kp_policy_parse((const uint8_t *)pol_text, sizeof pol_text - 1, &pol, &e), KP_OK);
    uint8_t author[32];
    memset(author, 7, sizeof author);
    kp_capsule_flag flag = {"lang", 4, "en", 2};
    kp_run_opts o;
    memset(&o, 0, sizeof o);
    o.policy = pol;
    o.type = "comment";
    o.author_alg = KP_ALG_ED25519;
    o.author = author;
    o.author_len = 32;
    o.body = (const uint8_t *)"a friendly comment";
    o.body_len = 18;
    o.flags = &flag;
    o.flag_count = 1;
    o.now = 1700000000;
    kp_run *r = NULL;
    CHECK_EQ(kp_run_standalone(w, len, &o, &r, &e), KP_OK);
    CHECK_EQ(kp_run_verdict(r, NULL), 1);
    CHECK(kp_transcript_count(kp_run_transcript(r)) > 0);
    CHECK(kp_run_grant_count(r) >= 3);
    const char *cap, *rule;
    CHECK_EQ(kp_run_grant_at(r, 0, &cap, &rule), KP_OK);
    CHECK_EQ(strcmp(rule, "moderation"), 0);
    CHECK_EQ(kp_run_grant_at(r, kp_run_grant_count(r), &cap, &rule), KP_E_NOT_FOUND);
    /* the grant outlives the policy it came from */
    uint8_t *tb;
    size_t tl;
    CHECK_EQ(kp_transcript_encode(kp_run_transcript(r), &tb, &tl, &e), KP_OK);
    uint64_t fuel = kp_run_fuel_used(r);
    kp_run_free(r);
    kp_transcript *t = NULL;
    CHECK_EQ(kp_transcript_parse(tb, tl, &t, &e), KP_OK);
    kp_transcript_bytes_free(tb, tl);
    /* replayed with the same options: the same run, entry for entry */
    o.replay = t;
    r = NULL;
    CHECK_EQ(kp_run_standalone(w, len, &o, &r, &e), KP_OK);
    CHECK_EQ(kp_run_fuel_used(r), fuel);
    kp_policy_free(pol); /* borrowed for the call only */
    CHECK_EQ(kp_run_grant_at(r, 0, &cap, &rule), KP_OK);
    CHECK_EQ(strcmp(rule, "moderation"), 0);
    kp_run_free(r);
    /* a different body does not replay */
    CHECK_EQ(kp_policy_parse((const uint8_t *)pol_text, sizeof pol_text - 1, &pol, &e), KP_OK);
    o.policy = pol;
    o.body = (const uint8_t *)"a different comment";
    o.body_len = 19;
    r = NULL;
    CHECK_EQ(kp_run_standalone(w, len, &o, &r, &e), KP_E_HOST_REPLAY_DIVERGED);
    CHECK(r != NULL);
    CHECK_EQ(kp_run_status(r), KP_E_HOST_REPLAY_DIVERGED);
    CHECK_EQ(kp_run_verdict(r, NULL), 2);
    kp_run_free(r);
    /* bad options are refused before anything runs */
    o.replay = NULL;
    o.parent_count = 1;
    o.parents = NULL;
    r = NULL;
    CHECK_EQ(kp_run_standalone(w, len, &o, &r, &e), KP_E_ARG);
    CHECK(r == NULL);
    kp_transcript_free(t);
    kp_policy_free(pol);
    free(w);
}

TEST(the_capability_table)
{
    const char *name, *what, *mod, *fn;
    size_t cap, storage = (size_t)-1;
    CHECK(kp_cap_count() > 10);
    for (size_t i = 0; i < kp_cap_count(); i++) {
        CHECK_EQ(kp_cap_at(i, &name, &what), KP_OK);
        CHECK(*name && *what);
        if (strcmp(name, "storage") == 0) storage = i;
    }
    CHECK_EQ(kp_cap_at(kp_cap_count(), &name, &what), KP_E_NOT_FOUND);
    CHECK(storage != (size_t)-1);
    int found = 0;
    for (size_t i = 0; kp_host_fn_at(i, &mod, &fn, &cap) == KP_OK; i++) {
        CHECK(cap < kp_cap_count());
        if (strcmp(fn, "storage_get") == 0) found = cap == storage && strcmp(mod, "kapsule") == 0;
    }
    CHECK(found);
    CHECK_EQ(kp_host_fn_at(kp_host_fn_count(), &mod, &fn, &cap), KP_E_NOT_FOUND);
}
