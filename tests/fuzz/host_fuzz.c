/*
 * host_fuzz.c: drives host calls with fuzzed arguments and handles through
 * a fixed guest (tests/unit/fixedguest.h: one exported wrapper per host
 * function). The input is a program:
 *
 *   byte op:  op % (functions + 1) picks a host function; the last value
 *             writes bytes into guest memory instead (offset, length, bytes)
 *   then per parameter one selector byte s:
 *     s < 0x80: a chosen value: small integers, handle numbers (live or
 *               not), interesting pointers (memory edges, the fixed guest's
 *               own module id at 2048, data at 512), huge lengths
 *     else:     the next 4 (i32) or 8 (i64) input bytes, little-endian
 *
 * Every program runs twice: once recording its transcript, once replaying
 * it. Both must give the same status and value for every call (the host
 * is deterministic given its oracles), and nothing may crash or leak:
 * traps are values. Seeds are in tests/corpus/host/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fixedguest.h"
#include "../unit/hosttest.h"

#define MAX_CALLS 48

static ht_world w;
static uint8_t *wasm;
static size_t wlen;
static uint8_t mid[32];
static host_capsule cap;
static ht_key A, B;
static ht_request rq;
static host_request reqs[1];
static uint8_t parent[32];

static void init_once(void)
{
    if (wasm) return;
    ht_world_init(&w);
    A = ht_key_make(1);
    B = ht_key_make(2);
    wasm = fg_build(&wlen);
    ht_module_id(wasm, wlen, mid, NULL);
    host_mem_add_module(w.mem, wasm, wlen, KP_ALG_ED25519, A.pk, 32, NULL, NULL);
    buf all = {0};
    for (int k = 0; k < POL_NCAPS; k++)
        if (k != POL_CAP_EMIT && k != POL_CAP_LEDGER) buf_printf(&all, "\"%s\", ", pol_cap_name(k));
    buf_putc(&all, 0);
    if (ht_policy(&w,
                  "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"all\", \"module\": \"*\", "
                  "\"capabilities\": [%s{\"name\": \"emit\", \"count\": 3}, {\"name\": \"ledger\", "
                  "\"budget\": 100, \"account\": \"%s\"}], \"limits\": {\"fuel\": 2000000, "
                  "\"memory_pages\": 4}}]}",
                  (const char *)all.p, A.hex))
        abort();
    buf_free(&all);
    host_mem_credit(w.mem, A.pk, 32, 60, NULL);
    memset(parent, 0x42, 32);
    host_capsule p = ht_capsule("post", &B, "parent", 6);
    memcpy(p.id, parent, 32);
    host_mem_add_capsule(w.mem, &p, NULL);
    memset(w.cfg.trust_module, 0x77, 32);
    w.cfg.has_trust_module = 1;
    cap = ht_capsule("post", &A, "fuzz body", 9);
    cap.parents = (const uint8_t(*)[32])parent;
    cap.nparents = 1;
    /* the lifecycle of the fixed guest itself, requested by its owner */
    ht_request_make(&rq, &A, mid, CAP_KIND_LIFECYCLE, CAP_UNLIMITED, mid, 32, 9);
    reqs[0] = rq.req;
    cap.requests = reqs;
    cap.nrequests = 1;
}

typedef struct reader {
    const uint8_t *p, *end;
} reader;

static int next(reader *r, uint8_t *b)
{
    if (r->p >= r->end) return 0;
    *b = *r->p++;
    return 1;
}

static uint64_t raw(reader *r, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        uint8_t b = 0;
        next(r, &b);
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static const int64_t chosen[] = {
    0, 1, 2, 3, 4, 5, 8, 16, 32, 64, 100, 255, -1, -2, INT32_MAX, INT32_MIN,
    257, 258, 259, 513, 514, 0x101 + 0x100, 1 << 8, 0x7fffff01,            /* handles */
    512, 1024, 2048, 2080, 4096, 65536 - 32, 65536, 131072 - 1, 131072, 262144 - 8, 262144,
    0xffffffff, 0xfffffff0, 0x80000000, 4095, 4097, 65535, 1 << 20,         /* sizes */
    INT64_MAX, INT64_MIN, 101, 90, 10, 1000000,
};

static int64_t arg(reader *r, char type)
{
    uint8_t s = 0;
    next(r, &s);
    if (s < 0x80) return chosen[s % (sizeof chosen / sizeof chosen[0])];
    return (int64_t)raw(r, type == 'i' ? 4 : 8);
}

typedef struct trace {
    int rc[MAX_CALLS];
    int64_t v[MAX_CALLS];
    int n;
} trace;

static void poke(host_run *run, reader *r)
{
    kw_memory *m = kw_instance_memory(host_run_instance(run));
    uint32_t off = (uint32_t)arg(r, 'i');
    uint8_t n = 0;
    next(r, &n);
    n %= 65;
    uint8_t bytes[64];
    for (uint8_t i = 0; i < n; i++) next(r, &bytes[i]);
    uint8_t *dst = kw_memory_slice(m, off, n);
    if (dst) memcpy(dst, bytes, n);
}

static void drive(const uint8_t *data, size_t size, const kp_transcript *replay, trace *t,
                  kp_transcript **keep)
{
    host_run *run = NULL;
    kp_error err;
    w.cfg.replay = replay;
    int rc = host_run_new(&w.cfg, wasm, wlen, &cap, &run, &err);
    w.cfg.replay = NULL;
    t->n = 0;
    if (rc) {
        t->rc[t->n++] = rc;
        return;
    }
    kw_memory *m = kw_instance_memory(host_run_instance(run));
    memcpy(kw_memory_slice(m, 2048, 32), mid, 32);
    memcpy(kw_memory_slice(m, 2080, 5), "count", 5);
    reader r = {data, data + size};
    uint8_t op;
    while (t->n < MAX_CALLS && next(&r, &op)) {
        size_t k = op % (host_nfns + 1);
        if (k == host_nfns) {
            poke(run, &r);
            continue;
        }
        const host_fn *f = &host_fns[k];
        if (strcmp(f->name, "proc_exit") == 0) continue; /* ends nothing but noise */
        kw_val a[HOST_MAX_ARGS];
        uint32_t np = (uint32_t)strlen(f->params);
        for (uint32_t i = 0; i < np; i++) {
            a[i].i64 = (uint64_t)arg(&r, f->params[i]);
            if (f->params[i] == 'i') a[i].raw &= 0xffffffffu;
        }
        kw_error kerr;
        int64_t v = 0;
        t->rc[t->n] = fg_call(run, f->name, a, np, &v, &kerr);
        t->v[t->n] = t->rc[t->n] ? 0 : v;
        t->n++;
        if (t->rc[t->n - 1] == KW_TRAP_FUEL || t->rc[t->n - 1] == KP_E_HOST_REPLAY_DIVERGED) break;
    }
    if (keep) {
        /* keep the transcript for the replay */
        uint8_t *tb;
        size_t tl;
        *keep = NULL;
        if (kp_transcript_encode(host_run_transcript(run), &tb, &tl, NULL) == KP_OK) {
            if (kp_transcript_parse(tb, tl, keep, NULL)) abort(); /* our own encoding parses */
            kp_transcript_bytes_free(tb, tl);
        }
    }
    host_run_free(run);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ht_engine_ready()) return 0;
    init_once();
    if (size > 4096) return 0;
    static trace first, again;
    kp_transcript *t = NULL;
    drive(data, size, NULL, &first, &t);
    if (!t) return 0;
    drive(data, size, t, &again, NULL);
    kp_transcript_free(t);
    /* the replay may stop earlier only where the record stopped */
    if (first.n != again.n) abort();
    for (int i = 0; i < first.n; i++)
        if (first.rc[i] != again.rc[i] || first.v[i] != again.v[i]) abort();
    return 0;
}
