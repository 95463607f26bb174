/*
 * host_regress_test.c: what a hostile tester broke in the host (issue
 * 11), each test named after its defect, so that it stays broken for
 * nobody. Modules come from tests/wat/ (built into $BUILD/wat/).
 */
#include "host/transcript.h"
#include "hosttest.h"
#include "test.h"

static uint8_t *wat_module(const char *name, size_t *len)
{
    const char *b = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/wat/%s.wasm", b && *b ? b : "build", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *p = malloc(1 << 16);
    *len = fread(p, 1, 1 << 16, f);
    fclose(f);
    return p;
}

/*
 * Defect 1: invoke in a loop filled the nested-call buffer to the
 * transcript's cap; the append stopped half-way through a record, the
 * failure was swallowed as a callee trap, and the half record was later
 * copied out past the buffer's end (ASan: heap over-read). Now the record
 * is whole or absent, and a call that cannot be recorded ends the run.
 */
static void flood_run(uint8_t *wasm, size_t len, uint32_t n)
{
    static const char mark[] = "FLOODLEN";
    uint8_t *at = memmem(wasm, len, mark, sizeof mark - 1);
    CHECK(at != NULL);
    at += sizeof mark - 1;
    at[0] = (uint8_t)n, at[1] = (uint8_t)(n >> 8), at[2] = (uint8_t)(n >> 16), at[3] = (uint8_t)(n >> 24);
    ht_world w;
    ht_world_init(&w);
    ht_key a = ht_key_make(1);
    CHECK_EQ(host_mem_add_module(w.mem, wasm, len, KP_ALG_ED25519, a.pk, 32, NULL, NULL), KP_OK);
    CHECK_EQ(ht_policy(&w, "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"all\", "
                           "\"module\": \"*\", \"capabilities\": [\"invoke\", \"module.read\"]}]}"),
             KP_OK);
    host_capsule c = ht_capsule("post", &a, "x", 1);
    host_run *r = NULL;
    kp_error err;
    int rc = ht_run(&w, wasm, len, &c, 0, &r, &err);
    const char *why;
    int verdict = r ? host_run_verdict(r, &why) : 0;
    /* what was recorded is whole: it encodes, parses back strictly and
       stays within the cap */
    const kp_transcript *t = r ? host_run_transcript(r) : NULL;
    size_t count = kp_transcript_count(t), bytes = t ? host_tr_bytes(t) : 0, back_count = 0;
    uint8_t *enc = NULL;
    size_t elen = 0;
    int erc = t ? kp_transcript_encode(t, &enc, &elen, &err) : -1, prc = -1;
    if (erc == KP_OK) {
        kp_transcript *back = NULL;
        prc = kp_transcript_parse(enc, elen, &back, &err);
        back_count = kp_transcript_count(back);
        kp_transcript_free(back);
        kp_transcript_bytes_free(enc, elen);
    }
    host_run_free(r);
    ht_world_free(&w);
    CHECK_EQ(rc, KP_E_HOST_LIMIT);
    CHECK_EQ(verdict, HOST_VERDICT_REJECT);
    CHECK(bytes <= HOST_TRANSCRIPT_MAX);
    CHECK_EQ(erc, KP_OK);
    CHECK_EQ(prc, KP_OK);
    CHECK_EQ(back_count, count);
    /* only the run's module_self call: the outer invoke, whose nested
       calls could not all be recorded, is not recorded either (before the
       fix, a thousand entries, and under ASan a heap over-read) */
    CHECK_EQ(count, 1);
}

TEST(defect1_invoke_flood_ends_the_run_with_the_transcript_limit)
{
    size_t len;
    uint8_t *wasm = wat_module("regress_invoke_flood", &len);
    if (!wasm) SKIP("build/wat/regress_invoke_flood.wasm missing (wabt not installed?)");
    /* argument sizes that put the cap before, inside and after a record's
       head, and inside its bytes */
    static const uint32_t sizes[] = {65536, 65000, 40000, 33333, 20000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        printf("# %u-byte arguments\n", (unsigned)sizes[i]);
        flood_run(wasm, len, sizes[i]);
    }
    free(wasm);
}
