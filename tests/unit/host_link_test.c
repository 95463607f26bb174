/*
 * host_link_test.c: for every host function, a module importing it
 * cannot even be linked without its capability (E_CAP_NOT_GRANTED, naming
 * the capability), and with it the call works. Each module is made for its
 * case: one import, an entry point that calls it with fixed arguments.
 */
#include "hosttest.h"
#include "host/internal.h"
#include "test.h"
#include "wasmgen.h"

typedef struct ctx {
    ht_world w;
    ht_key a, b;
    uint8_t mod[32], callee[32], x[32], y[32], trust[32];
    char modhex[65];
    host_capsule cap;
    uint8_t parents[2][32];
    host_flag flags[1];
    ht_request rq;
    host_request reqs[1];
} ctx;

typedef struct seg {
    uint32_t off;
    const char *bytes;
    size_t len;
} seg;

typedef struct lcase {
    const char *fn;
    int nargs;
    int64_t args[9];
    seg data[4];
    const char *caps;         /* the "with" grant (default: the function's capability);
                                 @A stands for the author's key in hex */
    const char *extra_import; /* a second import, to make a handle kind effective */
    void (*prep)(ctx *c);
    void (*check)(ctx *c, host_run *r, int32_t ret);
} lcase;

#define RET_AT 2048 /* i64 results are stored here */

static uint8_t *make_callee(size_t *len)
{
    wg m;
    wg_init(&m);
    wg_code a = {0}, e = {0};
    wg_i32(&a, 4096);
    wg_func(&m, "kapsule_alloc", "i", "i", &a);
    wg_local_get(&e, 1);
    wg_op(&e, 0xad); /* i64.extend_i32_u */
    wg_i64(&e, 32);
    wg_op(&e, 0x86); /* i64.shl */
    wg_local_get(&e, 0);
    wg_op(&e, 0xad);
    wg_op(&e, 0x84); /* i64.or */
    wg_func(&m, "echo", "ii", "I", &e);
    uint8_t *p;
    wg_finish(&m, &p, len);
    return p;
}

/* The module for a case: one import (two for handle cases), data, entry. */
static uint8_t *make_module(const lcase *lc, const host_fn *f, size_t *len)
{
    wg m;
    wg_init(&m);
    int fi = wg_import(&m, f->module, f->name, f->params, f->results);
    if (lc->extra_import) {
        for (size_t i = 0; i < host_nfns; i++)
            if (strcmp(host_fns[i].name, lc->extra_import) == 0)
                wg_import(&m, host_fns[i].module, host_fns[i].name, host_fns[i].params,
                          host_fns[i].results);
    }
    for (int i = 0; i < 4 && lc->data[i].bytes; i++)
        wg_data(&m, lc->data[i].off, lc->data[i].bytes, lc->data[i].len);
    wg_code c = {0};
    int i64 = f->results[0] == 'I';
    if (i64) wg_i32(&c, RET_AT);
    for (int i = 0; i < lc->nargs; i++) {
        if (f->params[i] == 'i')
            wg_i32(&c, (int32_t)lc->args[i]);
        else
            wg_i64(&c, lc->args[i]);
    }
    wg_call(&c, fi);
    if (i64) {
        wg_mem(&c, OP_I64_STORE, 3, 0);
        wg_i32(&c, 0);
    } else if (!f->results[0]) {
        wg_i32(&c, 0);
    }
    wg_func(&m, "kapsule_run", "", "i", &c);
    uint8_t *p;
    wg_finish(&m, &p, len);
    return p;
}

static int64_t ret64(host_run *r)
{
    const uint8_t *p = ht_mem(r, RET_AT, 8);
    int64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* ---- checks ---------------------------------------------------------------- */

static int failed;
#define EXPECT(cond)                                                                    \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            printf("#   %s:%d: %s\n", __FILE__, __LINE__, #cond);                      \
            failed = 1;                                                                 \
        }                                                                               \
    } while (0)

static void ck_meta(ctx *c, host_run *r, int32_t ret)
{
    buf b = {0};
    host_meta_encode(&c->cap, &b);
    EXPECT(ret == (int32_t)b.len);
    EXPECT(memcmp(ht_mem(r, 1024, (uint32_t)b.len), b.p, b.len) == 0);
    buf_free(&b);
}
static void ck_id(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret == 32 && memcmp(ht_mem(r, 1024, 32), c->cap.id, 32) == 0);
}
static void ck_type(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    EXPECT(ret == 4 && memcmp(ht_mem(r, 1024, 4), "post", 4) == 0);
}
static void ck_author(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret == 32 && memcmp(ht_mem(r, 1024, 32), c->a.pk, 32) == 0);
}
static void ck_body(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    EXPECT(ret == 10 && memcmp(ht_mem(r, 1024, 10), "hello body", 10) == 0);
}
static void ck_two(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)r;
    EXPECT(ret == 2);
}
static void ck_parent(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret == 32 && memcmp(ht_mem(r, 1024, 32), c->parents[1], 32) == 0);
}
static void ck_flag(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    EXPECT(ret == 2 && memcmp(ht_mem(r, 1024, 2), "en", 2) == 0);
}
static void ck_created(ctx *c, host_run *r, int32_t ret)
{
    (void)ret;
    EXPECT(ret64(r) == c->cap.created);
}
static void ck_result(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    size_t len;
    int sub;
    const uint8_t *p = host_run_result(r, &len, &sub);
    EXPECT(ret == 0 && sub && len == 5 && memcmp(p, "hello", 5) == 0);
}
static void ck_verdict(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    const char *why;
    EXPECT(ret == 0 && host_run_verdict(r, &why) == HOST_VERDICT_REJECT && strcmp(why, "hello") == 0);
}
static void ck_trust(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)ret;
    EXPECT(ret64(r) == 123456);
}
static void ck_dag_meta(ctx *c, host_run *r, int32_t ret)
{
    buf b = {0};
    const host_capsule *p;
    c->w.dag.get(c->w.dag.user, c->parents[0], &p, NULL);
    host_meta_encode(p, &b);
    EXPECT(ret == (int32_t)b.len && memcmp(ht_mem(r, 1024, (uint32_t)b.len), b.p, b.len) == 0);
    buf_free(&b);
}
static void ck_dag_parents(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)r;
    EXPECT(ret == 0); /* parents[0] has no parents */
}
static void ck_dag_children(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret == 32 && memcmp(ht_mem(r, 1024, 32), c->parents[1], 32) == 0);
}
static void ck_self(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret == 32 && memcmp(ht_mem(r, 1024, 32), c->mod, 32) == 0);
}
static void ck_owner(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret == 32 && memcmp(ht_mem(r, 1024, 32), c->a.pk, 32) == 0);
}
static void ck_sget(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    EXPECT(ret == 3 && memcmp(ht_mem(r, 1024, 3), "xyz", 3) == 0);
}
static void ck_sput(ctx *c, host_run *r, int32_t ret)
{
    size_t n;
    EXPECT(ret == 0);
    EXPECT(host_run_commit(r, NULL) == KP_OK);
    const uint8_t *v = ht_stored(&c->w, c->mod, "abc", 3, &n);
    EXPECT(v && n == 5 && memcmp(v, "hello", 5) == 0);
}
static void ck_sdel(ctx *c, host_run *r, int32_t ret)
{
    size_t n;
    EXPECT(ret == 0);
    EXPECT(ht_stored(&c->w, c->mod, "abc", 3, &n) != NULL); /* not before commit */
    EXPECT(host_run_commit(r, NULL) == KP_OK);
    EXPECT(ht_stored(&c->w, c->mod, "abc", 3, &n) == NULL);
}
static void ck_log(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)ret;
    size_t n;
    const uint8_t *l = host_run_logs(r, &n);
    EXPECT(n == 10 && memcmp(l, "0 1 hello\n", 10) == 0);
}
static void ck_clock(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)ret;
    EXPECT(ret64(r) > 1600000000LL * 1000000000LL);
}
static void ck_random(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    static const uint8_t zero[16];
    EXPECT(ret == 0 && memcmp(ht_mem(r, 1024, 16), zero, 16) != 0);
}
static void ck_balance(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)ret;
    EXPECT(ret64(r) == 77);
}
static void ck_transfer(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret > 0); /* the residual handle: 60 left of 100 */
    EXPECT(host_run_commit(r, NULL) == KP_OK);
    EXPECT(ht_balance(&c->w, c->a.pk, 32) == 37);
    EXPECT(ht_balance(&c->w, c->b.pk, 32) == 40);
}
static void ck_emit(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    EXPECT(ret == 0); /* the one emit was the whole budget */
    EXPECT(host_run_emitted_count(r) == 1);
    const host_emitted *e = host_run_emitted(r, 0);
    EXPECT(e && strcmp(e->type, "note") == 0 && e->body_len == 3);
}
static void ck_upgrade(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret > 0);
    EXPECT(host_run_commit(r, NULL) == KP_OK);
    host_module_info info;
    EXPECT(c->w.mods.info(c->w.mods.user, c->x, &info, NULL) == KP_OK);
    EXPECT(info.state == HOST_MODULE_UPGRADED && memcmp(info.successor, c->y, 32) == 0);
}
static void ck_destroy(ctx *c, host_run *r, int32_t ret)
{
    EXPECT(ret == 0);
    EXPECT(host_run_commit(r, NULL) == KP_OK);
    host_module_info info;
    EXPECT(c->w.mods.info(c->w.mods.user, c->x, &info, NULL) == KP_OK);
    EXPECT(info.state == HOST_MODULE_DESTROYED);
}
static void ck_invoke(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    EXPECT(ret == 5 && memcmp(ht_mem(r, 1024, 5), "hello", 5) == 0);
}
static void ck_hlist(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    const uint8_t *p = ht_mem(r, 1024, 4);
    EXPECT(ret == 1 && p[0] == 1 && p[1] == 1 && p[2] == 0 && p[3] == 0); /* 257 */
}
static void ck_257(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)r;
    EXPECT(ret == 257);
}
static void ck_amount(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)ret;
    EXPECT(ret64(r) == 3);
}
static void ck_kind(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    EXPECT(ret == 4 && memcmp(ht_mem(r, 1024, 4), "emit", 4) == 0);
}
static void ck_zero(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)r;
    EXPECT(ret == 0);
}
static void ck_split(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)r;
    EXPECT(ret > 0 && ret != 257);
}
static void ck_fd_write(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    size_t n;
    const uint8_t *l = host_run_logs(r, &n);
    const uint8_t *nw = ht_mem(r, 600, 4);
    EXPECT(ret == 0 && nw[0] == 5 && n == 10 && memcmp(l, "0 1 hello\n", 10) == 0);
}
static void ck_fdstat(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    const uint8_t *p = ht_mem(r, 1024, 24);
    EXPECT(ret == 0 && p[0] == 2 && p[8] == 64); /* a character device, writable */
}
static void ck_espipe(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)r;
    EXPECT(ret == 70);
}
static void ck_exit(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    (void)ret;
    const char *why;
    EXPECT(host_run_exit_code(r) == 3 && host_run_verdict(r, &why) == HOST_VERDICT_REJECT);
}
static void ck_sizes(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    static const uint8_t zero[8];
    EXPECT(ret == 0 && memcmp(ht_mem(r, 512, 8), zero, 8) == 0);
}
static void ck_time(ctx *c, host_run *r, int32_t ret)
{
    (void)c;
    const uint8_t *p = ht_mem(r, 1024, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    EXPECT(ret == 0 && v > 1600000000ull * 1000000000ull);
}

/* ---- preparations -------------------------------------------------------------- */

static void pr_storage(ctx *c)
{
    c->w.st.put(c->w.st.user, c->mod, (const uint8_t *)"abc", 3, (const uint8_t *)"xyz", 3, NULL);
}
static void pr_balance(ctx *c)
{
    host_mem_credit(c->w.mem, c->a.pk, 32, 77, NULL);
}
static void pr_lifecycle(ctx *c)
{
    ht_request_make(&c->rq, &c->a, c->mod, CAP_KIND_LIFECYCLE, CAP_UNLIMITED, c->x, 32, 9);
    c->reqs[0] = c->rq.req;
    c->cap.requests = c->reqs;
    c->cap.nrequests = 1;
}
static void pr_invoke(ctx *c)
{
    size_t n;
    uint8_t *w = make_callee(&n);
    host_mem_add_module(c->w.mem, w, n, KP_ALG_NONE, NULL, 0, c->callee, NULL);
    free(w);
}

/* Data of length 0 names a key or id known only at run time (see patch):
   A, B the two keys, P a stored post, X a module owned by A, Y another
   module, C the callee module. */
#define HC "\"handle\", {\"name\": \"emit\", \"count\": 3}"

static const lcase cases[] = {
    {"get_capsule_metadata", 2, {1024, 512}, {{0}}, NULL, NULL, NULL, ck_meta},
    {"capsule_id", 1, {1024}, {{0}}, NULL, NULL, NULL, ck_id},
    {"capsule_type", 2, {1024, 64}, {{0}}, NULL, NULL, NULL, ck_type},
    {"capsule_author", 2, {1024, 64}, {{0}}, NULL, NULL, NULL, ck_author},
    {"capsule_body", 2, {1024, 64}, {{0}}, NULL, NULL, NULL, ck_body},
    {"capsule_parent_count", 0, {0}, {{0}}, NULL, NULL, NULL, ck_two},
    {"capsule_parent", 2, {1, 1024}, {{0}}, NULL, NULL, NULL, ck_parent},
    {"capsule_flag", 4, {512, 4, 1024, 64}, {{512, "lang", 4}}, NULL, NULL, NULL, ck_flag},
    {"capsule_created", 0, {0}, {{0}}, NULL, NULL, NULL, ck_created},
    {"submit_capsule_result", 2, {512, 5}, {{512, "hello", 5}}, NULL, NULL, NULL, ck_result},
    {"submit_verdict", 3, {2, 512, 5}, {{512, "hello", 5}}, NULL, NULL, NULL, ck_verdict},
    {"get_trust_score", 2, {512, 32}, {{512, "A", 0}}, NULL, NULL, NULL, ck_trust},
    {"dag_metadata", 3, {512, 1024, 512}, {{512, "P", 0}}, NULL, NULL, NULL, ck_dag_meta},
    {"dag_parents", 3, {512, 1024, 512}, {{512, "P", 0}}, NULL, NULL, NULL, ck_dag_parents},
    {"dag_children", 3, {512, 1024, 512}, {{512, "P", 0}}, NULL, NULL, NULL, ck_dag_children},
    {"module_self", 1, {1024}, {{0}}, NULL, NULL, NULL, ck_self},
    {"module_owner", 3, {512, 1024, 64}, {{512, "X", 0}}, NULL, NULL, NULL, ck_owner},
    {"storage_get", 4, {512, 3, 1024, 64}, {{512, "abc", 3}}, NULL, NULL, pr_storage, ck_sget},
    {"storage_put", 4, {512, 3, 600, 5}, {{512, "abc", 3}, {600, "hello", 5}}, NULL, NULL, NULL, ck_sput},
    {"storage_delete", 2, {512, 3}, {{512, "abc", 3}}, NULL, NULL, pr_storage, ck_sdel},
    {"log", 3, {1, 512, 5}, {{512, "hello", 5}}, NULL, NULL, NULL, ck_log},
    {"clock_now", 0, {0}, {{0}}, NULL, NULL, NULL, ck_clock},
    {"random_bytes", 2, {1024, 16}, {{0}}, NULL, NULL, NULL, ck_random},
    {"ledger_balance", 2, {512, 32}, {{512, "A", 0}}, NULL, NULL, pr_balance, ck_balance},
    {"ledger_transfer", 4, {257, 512, 32, 40}, {{512, "B", 0}},
     "{\"name\": \"ledger\", \"budget\": 100, \"account\": \"@A\"}", NULL, pr_balance, ck_transfer},
    {"emit_capsule", 5, {257, 512, 4, 600, 3}, {{512, "note", 4}, {600, "abc", 3}}, NULL, NULL, NULL, ck_emit},
    {"module_upgrade", 2, {257, 512}, {{512, "Y", 0}}, NULL, NULL, pr_lifecycle, ck_upgrade},
    {"module_destroy", 1, {257}, {{0}}, NULL, NULL, pr_lifecycle, ck_destroy},
    {"invoke", 9, {512, 600, 4, 700, 5, 800, 0, 1024, 64},
     {{512, "C", 0}, {600, "echo", 4}, {700, "hello", 5}}, NULL, NULL, pr_invoke, ck_invoke},
    {"handle_list", 2, {1024, 8}, {{0}}, HC, "emit_capsule", NULL, ck_hlist},
    {"handle_find", 4, {512, 4, 0, 0}, {{512, "emit", 4}}, HC, "emit_capsule", NULL, ck_257},
    {"handle_amount", 1, {257}, {{0}}, HC, "emit_capsule", NULL, ck_amount},
    {"handle_kind", 3, {257, 1024, 64}, {{0}}, HC, "emit_capsule", NULL, ck_kind},
    {"handle_resource", 3, {257, 1024, 64}, {{0}}, HC, "emit_capsule", NULL, ck_zero},
    {"handle_split", 2, {257, 1}, {{0}}, HC, "emit_capsule", NULL, ck_split},
    {"handle_drop", 1, {257}, {{0}}, HC, "emit_capsule", NULL, ck_zero},
    {"fd_write", 4, {1, 512, 1, 600}, {{512, "\xbc\x02\0\0\5\0\0\0", 8}, {700, "hello\n", 6}}, NULL, NULL, NULL, ck_fd_write},
    {"fd_fdstat_get", 2, {1, 1024}, {{0}}, NULL, NULL, NULL, ck_fdstat},
    {"fd_seek", 4, {1, 0, 0, 1024}, {{0}}, NULL, NULL, NULL, ck_espipe},
    {"fd_close", 1, {2}, {{0}}, NULL, NULL, NULL, ck_zero},
    {"proc_exit", 1, {3}, {{0}}, NULL, NULL, NULL, ck_exit},
    {"args_sizes_get", 2, {512, 516}, {{512, "\xff\xff\xff\xff\xff\xff\xff\xff", 8}}, NULL, NULL, NULL, ck_sizes},
    {"args_get", 2, {512, 600}, {{0}}, NULL, NULL, NULL, ck_zero},
    {"environ_sizes_get", 2, {512, 516}, {{512, "\xff\xff\xff\xff\xff\xff\xff\xff", 8}}, NULL, NULL, NULL, ck_sizes},
    {"environ_get", 2, {512, 600}, {{0}}, NULL, NULL, NULL, ck_zero},
    {"clock_time_get", 3, {0, 1, 1024}, {{0}}, NULL, NULL, NULL, ck_time},
    {"random_get", 2, {1024, 16}, {{0}}, NULL, NULL, NULL, ck_random},
};

static void ctx_init(ctx *c)
{
    memset(c, 0, sizeof *c);
    ht_world_init(&c->w);
    c->a = ht_key_make(1);
    c->b = ht_key_make(2);
    c->cap = ht_capsule("post", &c->a, "hello body", 10);
    memset(c->parents[0], 0xa0, 32);
    memset(c->parents[1], 0xa1, 32);
    c->cap.parents = (const uint8_t(*)[32])c->parents;
    c->cap.nparents = 2;
    c->flags[0].key = "lang";
    c->flags[0].value = "en";
    c->cap.flags = c->flags;
    c->cap.nflags = 1;
    /* the DAG: parents[0] is a post, parents[1] a reply to it */
    host_capsule p0 = ht_capsule("post", &c->b, "first", 5);
    memcpy(p0.id, c->parents[0], 32);
    host_mem_add_capsule(c->w.mem, &p0, NULL);
    host_capsule p1 = ht_capsule("comment", &c->a, "reply", 5);
    memcpy(p1.id, c->parents[1], 32);
    p1.parents = (const uint8_t(*)[32])c->parents[0];
    p1.nparents = 1;
    host_mem_add_capsule(c->w.mem, &p1, NULL);
    /* trust scores kept by a trust module */
    memset(c->trust, 0x77, 32);
    memcpy(c->w.cfg.trust_module, c->trust, 32);
    c->w.cfg.has_trust_module = 1;
    uint8_t key[6 + 32], val[8] = {0x40, 0xe2, 0x01, 0, 0, 0, 0, 0}; /* 123456 */
    memcpy(key, "score/", 6);
    memcpy(key + 6, c->a.pk, 32);
    c->w.st.put(c->w.st.user, c->trust, key, sizeof key, val, 8, NULL);
    /* module x (owned by A) and module y, for lifecycle and module_owner */
    host_mem_add_module(c->w.mem, (const uint8_t *)"module x", 8, KP_ALG_ED25519, c->a.pk, 32,
                        c->x, NULL);
    host_mem_add_module(c->w.mem, (const uint8_t *)"module y", 8, KP_ALG_NONE, NULL, 0, c->y, NULL);
}

/* Patches data segments whose bytes name something known only now. */
static void patch(ctx *c, lcase *lc, uint8_t scratch[4][32])
{
    for (int i = 0; i < 4 && lc->data[i].bytes; i++) {
        if (lc->data[i].len) continue;
        const uint8_t *src = NULL;
        switch (lc->data[i].bytes[0]) {
        case 'A': src = c->a.pk; break;
        case 'B': src = c->b.pk; break;
        case 'P': src = c->parents[0]; break;
        case 'X': src = c->x; break;
        case 'Y': src = c->y; break;
        case 'C': src = c->callee; break;
        }
        memcpy(scratch[i], src, 32);
        lc->data[i].bytes = (const char *)scratch[i];
        lc->data[i].len = 32;
    }
}

static const host_fn *find_fn(const char *name)
{
    for (size_t i = 0; i < host_nfns; i++)
        if (strcmp(host_fns[i].name, name) == 0) return &host_fns[i];
    return NULL;
}

/* Replaces each @A in caps by the author's key in hex. */
static void expand(char *out, size_t cap, const char *caps, const char *ahex)
{
    size_t n = 0;
    for (const char *p = caps; *p && n + 65 < cap; p++) {
        if (p[0] == '@' && p[1] == 'A') {
            memcpy(out + n, ahex, 64);
            n += 64;
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
}

/* Makes the case's module and world, links it under a policy that grants
   the function's capability (with = 1) or every other one (with = 0), and
   runs it. Returns the first failing code, or -2 when a check failed. */
static int run_case(const lcase *orig, int with, kp_error *err, ctx *c)
{
    lcase lc = *orig;
    const host_fn *f = find_fn(lc.fn);
    uint8_t scratch[4][32];
    size_t len;
    ctx_init(c);
    if (lc.prep == pr_invoke) pr_invoke(c); /* the callee's id goes into the data */
    patch(c, &lc, scratch);
    uint8_t *wasm = make_module(&lc, f, &len);
    ht_module_id(wasm, len, c->mod, c->modhex);
    if (lc.prep && lc.prep != pr_invoke) lc.prep(c);
    int rc;
    if (with) {
        char caps[1024], quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", pol_cap_name(f->cap));
        expand(caps, sizeof caps, lc.caps ? lc.caps : quoted, c->a.hex);
        rc = ht_policy(&c->w,
                       "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"case\", \"module\": \"%s\", "
                       "\"capabilities\": [%s]}]}",
                       c->modhex, caps);
    } else {
        buf all = {0};
        for (int k = 0; k < POL_NCAPS; k++)
            if (k != f->cap) buf_printf(&all, "%s\"%s\"", all.len ? ", " : "", pol_cap_name(k));
        buf_putc(&all, 0);
        rc = ht_policy(&c->w,
                       "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"all-but\", \"module\": \"*\", "
                       "\"capabilities\": [%s]}]}",
                       (const char *)all.p);
        buf_free(&all);
    }
    if (rc) {
        free(wasm);
        return -1;
    }
    host_run *r = NULL;
    rc = host_run_new(&c->w.cfg, wasm, len, &c->cap, &r, err);
    free(wasm);
    if (rc) return rc;
    rc = host_run_call(r, err);
    if (rc) {
        host_run_free(r);
        return rc;
    }
    failed = 0;
    /* the entry returns the call's i32 result (i64 results are in memory) */
    lc.check(c, r, host_run_exit_code(r));
    host_run_free(r);
    return failed ? -2 : 0;
}

static void ctx_free(ctx *c)
{
    ht_request_free(&c->rq);
    ht_world_free(&c->w);
}

TEST(every_function_has_a_case)
{
    for (size_t i = 0; i < host_nfns; i++) {
        int found = 0;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
            if (strcmp(cases[k].fn, host_fns[i].name) == 0) found = 1;
        CHECK_MSG(found, "no case for %s", host_fns[i].name);
    }
    CHECK_EQ(sizeof cases / sizeof cases[0], host_nfns);
}

TEST(without_its_capability_nothing_links)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ctx c;
        kp_error err;
        kp_error_clear(&err);
        int rc = run_case(&cases[k], 0, &err, &c);
        const host_fn *f = find_fn(cases[k].fn);
        ctx_free(&c);
        CHECK_MSG(rc == KP_E_CAP_NOT_GRANTED, "%s: %d %s", cases[k].fn, rc, err.msg);
        CHECK_MSG(strcmp(err.field, pol_cap_name(f->cap)) == 0, "%s: field %s", cases[k].fn, err.field);
        CHECK_MSG(strstr(err.msg, f->name) && strstr(err.msg, pol_cap_name(f->cap)), "%s: %s",
                  cases[k].fn, err.msg);
    }
}

TEST(with_its_capability_the_call_works)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ctx c;
        kp_error err;
        kp_error_clear(&err);
        int rc = run_case(&cases[k], 1, &err, &c);
        ctx_free(&c);
        CHECK_MSG(rc == 0, "%s: %d (%s) %s", cases[k].fn, rc, kp_status_name(rc) ? kp_status_name(rc) : "", err.msg);
    }
}

TEST(no_policy_no_link)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    ctx c;
    ctx_init(&c);
    size_t len;
    uint8_t *wasm = make_module(&cases[0], find_fn(cases[0].fn), &len);
    host_run *r = NULL;
    kp_error err;
    int rc = host_run_new(&c.w.cfg, wasm, len, &c.cap, &r, &err);
    CHECK_EQ(rc, KP_E_CAP_NOT_GRANTED);
    CHECK(strstr(err.msg, "no policy rule grants") != NULL);
    /* a grant for another type names the rule that would grant it */
    char hex[65];
    uint8_t id[32];
    ht_module_id(wasm, len, id, hex);
    CHECK_EQ(ht_policy(&c.w, "{\"kapsule_policy\": 1, \"grants\": [{\"name\": \"trust-only\", "
                             "\"module\": \"%s\", \"type\": \"trust\", \"capabilities\": [\"capsule.read\"]}]}",
                       hex), 0);
    CHECK_EQ(host_run_new(&c.w.cfg, wasm, len, &c.cap, &r, &err), KP_E_CAP_NOT_GRANTED);
    CHECK_MSG(strstr(err.msg, "trust-only") && strstr(err.msg, "'trust'"), "%s", err.msg);
    free(wasm);
    ctx_free(&c);
}

TEST(unknown_imports_and_wrong_types)
{
    if (!ht_engine_ready()) SKIP("the wasm decoder has not landed");
    ctx c;
    ctx_init(&c);
    ht_policy(&c.w, "{\"kapsule_policy\": 1, \"grants\": [{\"module\": \"*\", \"capabilities\": [\"log\"]}]}");
    struct {
        const char *mod, *name, *p, *r;
        int code;
    } bad[] = {
        {"env", "memcpy", "iii", "i", KP_E_HOST_UNKNOWN_IMPORT},
        {"kapsule", "format_disk", "", "", KP_E_HOST_UNKNOWN_IMPORT},
        {"wasi_snapshot_preview1", "path_open", "iiiiiIIii", "i", KP_E_HOST_UNKNOWN_IMPORT},
        {"kapsule", "log", "ii", "", KP_E_HOST_IMPORT_TYPE},
        {"kapsule", "log", "iii", "i", KP_E_HOST_IMPORT_TYPE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wg m;
        wg_init(&m);
        wg_import(&m, bad[i].mod, bad[i].name, bad[i].p, bad[i].r);
        wg_code code = {0};
        wg_i32(&code, 0);
        wg_func(&m, "kapsule_run", "", "i", &code);
        uint8_t *wasm;
        size_t len;
        wg_finish(&m, &wasm, &len);
        host_run *r = NULL;
        kp_error err;
        int rc = host_run_new(&c.w.cfg, wasm, len, &c.cap, &r, &err);
        free(wasm);
        CHECK_MSG(rc == bad[i].code, "%s.%s: %d %s", bad[i].mod, bad[i].name, rc, err.msg);
    }
    ctx_free(&c);
}
