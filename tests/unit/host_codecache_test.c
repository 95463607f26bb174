/*
 * host_codecache_test.c: compiled modules kept across runs (host.h,
 * host_code_cache): a module is compiled once for many runs, entries are
 * evicted least recently used first and a run keeps its module alive past
 * an eviction, and a run with a cache gives what a run without one gives.
 */
#include "hosttest.h"
#include "test.h"

/* kapsule_run returns the constant K (no imports). */
#define MOD(K)                                                                             \
    {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 15, 1, 11, 'k',    \
     'a', 'p', 's', 'u', 'l', 'e', '_', 'r', 'u', 'n', 0, 0, 10, 6, 1, 4, 0, 0x41, K, 0x0b}
static const uint8_t M0[] = MOD(0), M1[] = MOD(1), M2[] = MOD(2);

static int run_once(ht_world *w, const uint8_t *wasm, size_t len, int32_t *ret, host_run **keep)
{
    host_capsule c = ht_capsule("post", NULL, "x", 1);
    host_run *r = NULL;
    kp_error err;
    int rc = host_run_new(&w->cfg, wasm, len, &c, &r, &err);
    if (rc == KP_OK) rc = host_run_call(r, &err);
    if (rc == KP_OK) *ret = host_run_exit_code(r);
    if (keep)
        *keep = r;
    else
        host_run_free(r);
    return rc;
}

TEST(a_module_is_compiled_once_for_many_runs)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    ht_world w;
    ht_world_init(&w);
    host_code_cache *cc;
    kp_error err;
    CHECK_EQ(host_code_cache_new(2, &cc, &err), KP_OK);
    w.cfg.code_cache = cc;
    int32_t v = -1;
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(run_once(&w, M1, sizeof M1, &v, NULL), KP_OK);
        CHECK_EQ(v, 1);
    }
    CHECK_EQ(host_code_cache_hits(cc), 4);
    /* a third module evicts the least recently used of two */
    CHECK_EQ(run_once(&w, M0, sizeof M0, &v, NULL), KP_OK); /* M1, M0 */
    CHECK_EQ(v, 0);
    host_run *held = NULL;
    CHECK_EQ(run_once(&w, M1, sizeof M1, &v, &held), KP_OK); /* hit: M0 is now the oldest */
    CHECK_EQ(host_code_cache_hits(cc), 5);
    CHECK_EQ(run_once(&w, M2, sizeof M2, &v, NULL), KP_OK); /* evicts M0 */
    CHECK_EQ(v, 2);
    CHECK_EQ(run_once(&w, M1, sizeof M1, &v, NULL), KP_OK); /* still cached */
    CHECK_EQ(host_code_cache_hits(cc), 6);
    CHECK_EQ(run_once(&w, M0, sizeof M0, &v, NULL), KP_OK); /* compiled again */
    CHECK_EQ(host_code_cache_hits(cc), 6);
    CHECK_EQ(v, 0);
    /* M1 has been evicted by now (M2, M0 are in); the held run keeps its
       module: freeing it releases the last reference, once (valgrind and
       ASan see a double free or a leak) */
    CHECK_EQ(host_run_exit_code(held), 1);
    host_run_free(held);
    /* a bad module is refused with the engine's code and not kept */
    static const uint8_t bad[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
    CHECK_EQ(run_once(&w, bad, sizeof bad, &v, NULL), KW_E_VERSION);
    host_code_cache_free(cc);
    ht_world_free(&w);
}

/* A value read twice in one run (the SDK's "how long, then the bytes"
   habit) is fetched from the world once; both reads are in the transcript. */
static int gets;
static int counting_get(void *user, const uint8_t module[32], const uint8_t *key, size_t klen,
                        const uint8_t **val, size_t *vlen, int *found, kp_error *err)
{
    host_storage *inner = user;
    if (klen == 5 && memcmp(key, "terms", 5) == 0) gets++;
    return inner->get(inner->user, module, key, klen, val, vlen, found, err);
}

TEST(a_run_reads_a_stored_value_from_the_world_once)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    size_t len;
    uint8_t *wasm = ht_guest("blocklist", &len);
    if (!wasm) SKIP("build/guest/blocklist.wasm missing");
    ht_world w;
    ht_world_init(&w);
    uint8_t mid[32];
    ht_module_id(wasm, len, mid, NULL);
    ht_key a = ht_key_make(3);
    CHECK_EQ(host_mem_add_module(w.mem, wasm, len, KP_ALG_ED25519, a.pk, 32, NULL, NULL), KP_OK);
    CHECK_EQ(ht_policy(&w, "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"m\", \"module\": \"*\", "
                           "\"capabilities\": [\"capsule.read\", \"storage\", \"module.read\", "
                           "\"result.submit\"]}]}"),
             KP_OK);
    /* the blocklist reads "terms" twice (its length, then its bytes) */
    CHECK_EQ(w.st.put(w.st.user, mid, (const uint8_t *)"terms", 5, (const uint8_t *)"\x04spam", 5,
                      NULL),
             KP_OK);
    host_storage inner = w.st, counting = w.st;
    counting.user = &inner;
    counting.get = counting_get;
    w.cfg.storage = &counting;
    host_capsule c = ht_capsule("comment", &a, "hello there", 11);
    host_run *r = NULL;
    kp_error err;
    CHECK_EQ(ht_run(&w, wasm, len, &c, 0, &r, &err), KP_OK);
    const char *why;
    CHECK_EQ(host_run_verdict(r, &why), HOST_VERDICT_ACCEPT);
    size_t terms_reads = 0;
    const kp_transcript *t = host_run_transcript(r);
    for (size_t i = 0; i < kp_transcript_count(t); i++) {
        const uint8_t *e;
        size_t elen;
        CHECK_EQ(kp_transcript_entry(t, i, &e, &elen), KP_OK);
        if (memmem(e, elen, "storage_get", 11) && memmem(e, elen, "terms", 5)) terms_reads++;
    }
    CHECK(terms_reads >= 2);            /* both reads recorded */
    CHECK_EQ(gets, 1); /* ... and fetched from the world once */
    host_run_free(r);
    ht_world_free(&w);
    free(wasm);
}
