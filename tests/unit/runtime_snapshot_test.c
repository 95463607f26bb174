/*
 * runtime_snapshot_test.c: snapshots (runtime/snapshot.c). A store with two
 * modules, a post, an accepted reply, a reply its logic rejects and a
 * capsule left pending is exported; the file holds exactly the accepted
 * capsules in dependency order and the modules; importing it into a fresh
 * store reproduces the capsules, edges and results. --since cuts at a
 * checkpoint. The reader refuses every truncation and every bit flip of a
 * snapshot with an E_SNAPSHOT_ code, and survives allocation failures.
 */
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "faultvfs.h"
#include "test.h"
#include "testdir.h"
#include "util/error.h"

/* Modules with no imports: kapsule_run returns 0 (accept) or 1 (reject). */
#define MOD(body...)                                                                     \
    {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 15, 1, 11, 'k', \
     'a', 'p', 's', 'u', 'l', 'e', '_', 'r', 'u', 'n', 0, 0, 10, body}
static const uint8_t MOD_ACCEPT[] = MOD(6, 1, 4, 0, 0x41, 0, 0x0b);
static const uint8_t MOD_REJECT[] = MOD(6, 1, 4, 0, 0x41, 1, 0x0b);

typedef struct counts {
    int accepted, rejected, pending, duplicate;
} counts;

static void on_result(void *ud, const kp_ingest_result *r)
{
    counts *c = ud;
    if (r->status == KP_INGEST_ACCEPTED) c->accepted++;
    if (r->status == KP_INGEST_REJECTED) c->rejected++;
    if (r->status == KP_INGEST_PENDING) c->pending++;
    if (r->status == KP_INGEST_DUPLICATE) c->duplicate++;
}

typedef struct env {
    kp_store *st;
    kp_ingest *in;
} env;

static void env_open(env *e, const char *name)
{
    kp_error err;
    if (kp_store_open(test_dir(name, 1), KP_STORE_CREATE, &e->st, &err)) abort();
    kp_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.now = 1700000000;
    o.origin = "kapsule/snaptest";
    if (kp_ingest_new(e->st, &o, &e->in, &err)) abort();
}

static void env_close(env *e)
{
    kp_ingest_free(e->in);
    kp_store_close(e->st);
}

static kp_capsule *pack(kp_key *k, const char *body, const uint8_t *parent, const uint8_t *logic)
{
    kp_capsule_pack_opts o;
    memset(&o, 0, sizeof o);
    o.type = "post";
    o.author = k;
    o.body = (const uint8_t *)body;
    o.body_len = strlen(body);
    const uint8_t(*parents)[32] = (const uint8_t(*)[32])parent;
    o.parents = parents;
    o.parent_count = parent ? 1 : 0;
    o.logic = logic;
    o.created = 1700000000;
    kp_capsule *c = NULL;
    kp_error e;
    if (kp_capsule_pack(&o, NULL, &c, &e)) abort();
    return c;
}

static void feed(env *e, const kp_capsule *c, counts *n)
{
    size_t len;
    const uint8_t *b = kp_capsule_bytes(c, &len);
    kp_error err;
    if (kp_ingest_capsule(e->in, b, len, on_result, n, &err)) abort();
}

/* The fixture: store A holds modules ACCEPT and REJECT, post P, reply R1
   (accepted by its logic), reply R2 (rejected) and W (pending on a parent
   it never gets); a checkpoint after P and the modules; then R3, a reply
   to R1. */
typedef struct fixture {
    env a;
    kp_key *k;
    kp_capsule *p, *r1, *r2, *w, *ghost, *r3;
    uint8_t acc[KP_ID_BYTES], rej[KP_ID_BYTES];
    char note[KP_LOG_NOTE_MAX];
    uint64_t cut; /* the tree size of that checkpoint */
} fixture;

static void fixture_open(fixture *f)
{
    kp_error err;
    counts n = {0};
    memset(f, 0, sizeof *f);
    env_open(&f->a, "a");
    if (kp_key_generate(KP_ALG_ED25519, &f->k, &err)) abort();
    size_t pklen;
    const uint8_t *pk = kp_key_public(f->k, &pklen);
    if (kp_ingest_module_add(f->a.in, MOD_ACCEPT, sizeof MOD_ACCEPT, KP_ALG_ED25519, pk, pklen,
                             f->acc, NULL, NULL, NULL, &err))
        abort();
    if (kp_ingest_module_add(f->a.in, MOD_REJECT, sizeof MOD_REJECT, KP_ALG_NONE, NULL, 0,
                             f->rej, NULL, NULL, NULL, &err))
        abort();
    f->p = pack(f->k, "post", NULL, NULL);
    f->ghost = pack(f->k, "never sent", NULL, NULL);
    feed(&f->a, f->p, &n);
    if (kp_ingest_checkpoint(f->a.in, f->note, &err)) abort();
    if (kp_log_size(f->a.st, &f->cut, &err)) abort();
    f->r1 = pack(f->k, "reply", kp_capsule_id(f->p), f->acc);
    f->r2 = pack(f->k, "bad reply", kp_capsule_id(f->p), f->rej);
    f->w = pack(f->k, "waiting", kp_capsule_id(f->ghost), NULL);
    f->r3 = pack(f->k, "reply to the reply", kp_capsule_id(f->r1), f->acc);
    feed(&f->a, f->r1, &n);
    feed(&f->a, f->r2, &n);
    feed(&f->a, f->w, &n);
    feed(&f->a, f->r3, &n);
    if (n.accepted != 3 || n.rejected != 1 || n.pending != 1) abort();
}

static void fixture_close(fixture *f)
{
    env_close(&f->a);
    kp_capsule *all[] = {f->p, f->r1, f->r2, f->w, f->ghost, f->r3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) kp_capsule_free(all[i]);
    kp_key_free(f->k);
}

static int same_bytes(const kp_snapshot *s, size_t i, const kp_capsule *c)
{
    size_t a, b;
    const uint8_t *pa = kp_snapshot_capsule_at(s, i, &a);
    const uint8_t *pb = kp_capsule_bytes(c, &b);
    return pa && a == b && memcmp(pa, pb, a) == 0;
}

static int has_capsule(kp_store *st, const kp_capsule *c)
{
    int found = 0;
    kp_error err;
    if (store_capsule_exists(st, kp_capsule_id(c), &found, &err)) abort();
    return found;
}

TEST(export_holds_the_accepted_capsules_in_order_and_the_modules)
{
    fixture f;
    fixture_open(&f);
    kp_error err;
    uint8_t *snap;
    size_t len;
    CHECK_EQ(kp_snapshot_export(f.a.st, 0, &snap, &len, &err), KP_OK);
    kp_snapshot *s;
    CHECK_EQ(kp_snapshot_parse(snap, len, &s, &err), KP_OK);
    const kp_snapshot_info *h = kp_snapshot_header(s);
    CHECK_EQ(h->version, 1);
    CHECK_EQ(h->since, 0);
    CHECK_EQ(h->modules, 2);
    CHECK_EQ(h->capsules, 3); /* not the rejected one, not the pending one */
    CHECK_STR(h->origin, "kapsule/snaptest");
    CHECK(h->checkpoint && h->checkpoint_len > 0);
    CHECK(same_bytes(s, 0, f.p));
    CHECK(same_bytes(s, 1, f.r1));
    CHECK(same_bytes(s, 2, f.r3));
    size_t n;
    CHECK(kp_snapshot_capsule_at(s, 3, &n) == NULL);
    kp_snapshot_module m0, m1, m2;
    CHECK(kp_snapshot_module_at(s, 0, &m0) && kp_snapshot_module_at(s, 1, &m1));
    CHECK(!kp_snapshot_module_at(s, 2, &m2));
    CHECK(memcmp(m0.id, m1.id, KP_ID_BYTES) < 0);
    const kp_snapshot_module *macc = memcmp(m0.id, f.acc, KP_ID_BYTES) == 0 ? &m0 : &m1;
    CHECK_MEM(macc->id, f.acc, KP_ID_BYTES);
    CHECK_EQ(macc->owner_alg, KP_ALG_ED25519);
    CHECK_EQ(macc->len, sizeof MOD_ACCEPT);
    const kp_snapshot_module *mrej = macc == &m0 ? &m1 : &m0;
    CHECK_EQ(mrej->owner_alg, KP_ALG_NONE);
    CHECK(mrej->owner == NULL);
    kp_snapshot_free(s);
    kp_snapshot_bytes_free(snap, len);
    CHECK_EQ(kp_snapshot_export(f.a.st, 1000, &snap, &len, &err), KP_E_LOG_RANGE);
    fixture_close(&f);
}

TEST(import_reaches_the_same_dag_and_results)
{
    fixture f;
    fixture_open(&f);
    kp_error err;
    uint8_t *snap;
    size_t len;
    CHECK_EQ(kp_snapshot_export(f.a.st, 0, &snap, &len, &err), KP_OK);
    kp_snapshot *s;
    CHECK_EQ(kp_snapshot_parse(snap, len, &s, &err), KP_OK);
    env b;
    env_open(&b, "b");
    counts n = {0};
    kp_snapshot_report rep;
    CHECK_EQ(kp_snapshot_import(b.in, s, 2, on_result, &n, &rep, &err), KP_OK);
    CHECK_EQ(n.accepted, 3);
    CHECK_EQ(n.rejected + n.pending + n.duplicate, 0);
    CHECK_EQ(rep.modules_added, 2);
    CHECK_EQ(rep.capsules_fed, 3);
    CHECK(has_capsule(b.st, f.p) && has_capsule(b.st, f.r1) && has_capsule(b.st, f.r3));
    CHECK(!has_capsule(b.st, f.r2) && !has_capsule(b.st, f.w));
    buf ma = {0}, mb = {0}, pa = {0}, pb = {0};
    store_result ra, rb;
    CHECK_EQ(store_result_get(f.a.st, kp_capsule_id(f.r3), &ra, &ma, &err), KP_OK);
    CHECK_EQ(store_result_get(b.st, kp_capsule_id(f.r3), &rb, &mb, &err), KP_OK);
    CHECK_MEM(ra.module, rb.module, 32);
    CHECK_EQ(ra.verdict, rb.verdict);
    CHECK_EQ_U64(ra.fuel, rb.fuel);
    CHECK_MEM(ra.transcript_root, rb.transcript_root, 32);
    CHECK_MEM(ra.policy_hash, rb.policy_hash, 32);
    CHECK_EQ(store_capsule_parents(f.a.st, kp_capsule_id(f.r3), &pa, &err), KP_OK);
    CHECK_EQ(store_capsule_parents(b.st, kp_capsule_id(f.r3), &pb, &err), KP_OK);
    CHECK(pa.len == 32 && pa.len == pb.len && memcmp(pa.p, pb.p, pa.len) == 0);
    buf_free(&ma);
    buf_free(&mb);
    buf_free(&pa);
    buf_free(&pb);
    char note[KP_LOG_NOTE_MAX];
    CHECK_EQ(kp_log_head(b.st, note, &err), KP_OK); /* the import ends with a checkpoint */
    CHECK_EQ(kp_runtime_verify(b.st, NULL, NULL, NULL, &err), KP_OK);
    CHECK_EQ(kp_log_verify(b.st, NULL, NULL, NULL, NULL, &err), KP_OK);
    /* again: every record a duplicate, nothing added */
    uint64_t before, after;
    CHECK_EQ(kp_log_size(b.st, &before, &err), KP_OK);
    memset(&n, 0, sizeof n);
    CHECK_EQ(kp_snapshot_import(b.in, s, 0, on_result, &n, &rep, &err), KP_OK);
    CHECK_EQ(n.duplicate, 3);
    CHECK_EQ(rep.modules_added, 0);
    CHECK_EQ(kp_log_size(b.st, &after, &err), KP_OK);
    CHECK_EQ_U64(before, after);
    /* inside a caller's batch: refused, not committed for them */
    CHECK_EQ(kp_ingest_begin(b.in, &err), KP_OK);
    CHECK_EQ(kp_snapshot_import(b.in, s, 0, NULL, NULL, &rep, &err), KP_E_STORE_TX);
    CHECK_EQ(kp_ingest_commit(b.in, &err), KP_OK);
    env_close(&b);
    kp_snapshot_free(s);
    kp_snapshot_bytes_free(snap, len);
    fixture_close(&f);
}

TEST(since_a_checkpoint_exports_the_later_capsules_and_parts_add_up)
{
    fixture f;
    fixture_open(&f);
    kp_error err;
    uint64_t since = 0;
    CHECK_EQ(kp_snapshot_since(f.a.st, f.note, strlen(f.note), &since, &err), KP_OK);
    CHECK_EQ_U64(since, f.cut);
    char bad[KP_LOG_NOTE_MAX];
    snprintf(bad, sizeof bad, "%s", f.note);
    char *nl = strchr(bad, '\n');
    nl[1] = nl[1] == '9' ? '8' : '9'; /* the tree size's first digit */
    CHECK(kp_snapshot_since(f.a.st, bad, strlen(bad), &since, &err) != KP_OK);

    uint8_t *p2;
    size_t l2;
    CHECK_EQ(kp_snapshot_export(f.a.st, f.cut, &p2, &l2, &err), KP_OK);
    kp_snapshot *s2;
    CHECK_EQ(kp_snapshot_parse(p2, l2, &s2, &err), KP_OK);
    CHECK_EQ(kp_snapshot_header(s2)->capsules, 2); /* R1 and R3: P is before the cut */
    CHECK_EQ(kp_snapshot_header(s2)->modules, 1);  /* only ACCEPT is named by them */
    CHECK(same_bytes(s2, 0, f.r1) && same_bytes(s2, 1, f.r3));

    /* the later part alone waits for its ancestor; the rest releases it */
    env c;
    env_open(&c, "c");
    counts n = {0};
    CHECK_EQ(kp_snapshot_import(c.in, s2, 0, on_result, &n, NULL, &err), KP_OK);
    CHECK_EQ(n.pending, 2);
    CHECK_EQ(n.accepted, 0);
    uint8_t *p1;
    size_t l1;
    CHECK_EQ(kp_snapshot_export(f.a.st, 0, &p1, &l1, &err), KP_OK);
    kp_snapshot *s1;
    CHECK_EQ(kp_snapshot_parse(p1, l1, &s1, &err), KP_OK);
    memset(&n, 0, sizeof n);
    CHECK_EQ(kp_snapshot_import(c.in, s1, 0, on_result, &n, NULL, &err), KP_OK);
    CHECK_EQ(n.accepted, 3); /* P, then R1 and R3 released */
    CHECK(has_capsule(c.st, f.r3));
    env_close(&c);
    kp_snapshot_free(s1);
    kp_snapshot_free(s2);
    kp_snapshot_bytes_free(p1, l1);
    kp_snapshot_bytes_free(p2, l2);
    fixture_close(&f);
}

static int is_snapshot_code(int rc)
{
    return rc >= KP_E_SNAPSHOT_FORMAT && rc <= KP_E_SNAPSHOT_DIGEST;
}

TEST(every_truncation_and_every_bit_flip_is_refused)
{
    fixture f;
    fixture_open(&f);
    kp_error err;
    uint8_t *snap;
    size_t len;
    CHECK_EQ(kp_snapshot_export(f.a.st, 0, &snap, &len, &err), KP_OK);
    kp_snapshot *s = NULL;
    for (size_t cut = 0; cut < len; cut++) {
        int rc = kp_snapshot_parse(snap, cut, &s, &err);
        CHECK_MSG(rc == KP_E_SNAPSHOT_TRUNCATED, "cut at %zu: %s (%s)", cut,
                  kp_status_name(rc), err.msg);
    }
    uint8_t *copy = malloc(len + 1);
    CHECK(copy);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, snap, len);
            copy[i] ^= (uint8_t)(1u << bit);
            int rc = kp_snapshot_parse(copy, len, &s, &err);
            CHECK_MSG(is_snapshot_code(rc), "flip %zu.%d: %s (%s)", i, bit, kp_status_name(rc),
                      err.msg);
        }
    }
    memcpy(copy, snap, len);
    copy[len] = 0;
    CHECK_EQ(kp_snapshot_parse(copy, len + 1, &s, &err), KP_E_SNAPSHOT_TRAILING);
    free(copy);
    kp_snapshot_bytes_free(snap, len);
    fixture_close(&f);
}

/* An allocator that fails the n-th allocation. */
static long fail_at, allocs;
static void *failing(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (++allocs == fail_at) return NULL;
    return realloc(p, n);
}

TEST(parse_survives_every_allocation_failure)
{
    fixture f;
    fixture_open(&f);
    kp_error err;
    uint8_t *snap;
    size_t len;
    CHECK_EQ(kp_snapshot_export(f.a.st, 0, &snap, &len, &err), KP_OK);
    int ok = 0;
    for (fail_at = 1; fail_at < 50 && !ok; fail_at++) {
        allocs = 0;
        kp_set_allocator(failing, NULL);
        kp_snapshot *s = NULL;
        int rc = kp_snapshot_parse(snap, len, &s, &err);
        kp_set_allocator(NULL, NULL);
        CHECK(rc == KP_OK || rc == KP_E_NOMEM);
        if (rc == KP_OK) {
            ok = 1;
            kp_snapshot_free(s);
        }
    }
    CHECK(ok);
    kp_snapshot_bytes_free(snap, len);
    fixture_close(&f);
}

static uint64_t count_rows(kp_store *st, const char *sql)
{
    sqlite3_stmt *s;
    kp_error err;
    if (store_stmt(st, sql, &s, &err)) abort();
    uint64_t n = sqlite3_step(s) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : ~0ull;
    store_done(s);
    return n;
}

TEST(a_disk_full_at_every_write_of_an_import_leaves_whole_capsules_only)
{
    fixture f;
    fixture_open(&f);
    kp_error err;
    uint8_t *snap;
    size_t len;
    CHECK_EQ(kp_snapshot_export(f.a.st, 0, &snap, &len, &err), KP_OK);
    kp_snapshot *s;
    CHECK_EQ(kp_snapshot_parse(snap, len, &s, &err), KP_OK);
    if (faultvfs_register()) abort();
    int failures = 0, done = 0;
    for (long n = 0; n < 400 && !done; n++) {
        char name[32];
        snprintf(name, sizeof name, "fault%ld", n);
        const char *dir = test_dir(name, 1);
        kp_store *st = NULL;
        kp_ingest *in = NULL;
        faultvfs_arm(0, FAULTVFS_OFF);
        CHECK_EQ(store_open_with(dir, KP_STORE_CREATE, store_migrations, store_migration_count,
                                 FAULTVFS_NAME, &st, &err),
                 KP_OK);
        kp_ingest_opts o;
        memset(&o, 0, sizeof o);
        o.now = 1700000000;
        o.origin = "kapsule/snaptest";
        CHECK_EQ(kp_ingest_new(st, &o, &in, &err), KP_OK);
        faultvfs_arm((uint64_t)n + 1, FAULTVFS_FULL_PERSIST);
        int rc = kp_snapshot_import(in, s, 1, NULL, NULL, NULL, &err);
        faultvfs_arm(0, FAULTVFS_OFF);
        if (rc == KP_OK) {
            done = 1;
        } else {
            CHECK_MSG(rc == KP_E_DISK_FULL || rc == KP_E_IO, "write %ld: %s (%s)", n,
                      kp_status_name(rc), err.msg);
            failures++;
        }
        /* whole capsules only: each stored capsule has its edges and its
           result, and the log vouches for every row */
        CHECK_EQ_U64(count_rows(st, "SELECT count(*) FROM capsules c WHERE c.logic IS NOT NULL"
                                    " AND NOT EXISTS (SELECT 1 FROM results r WHERE r.capsule = c.id)"),
                     0);
        CHECK_EQ_U64(count_rows(st, "SELECT count(*) FROM capsules c WHERE"
                                    " (SELECT count(*) FROM edges e WHERE e.child = c.id) !="
                                    " (CASE WHEN c.logic IS NULL THEN 0 ELSE 1 END)"),
                     0);
        CHECK_EQ(kp_runtime_verify(st, NULL, NULL, NULL, &err), KP_OK);
        CHECK_EQ(kp_log_verify(st, NULL, NULL, NULL, NULL, &err), KP_OK);
        /* importing again completes it */
        CHECK_EQ(kp_snapshot_import(in, s, 1, NULL, NULL, NULL, &err), KP_OK);
        CHECK_EQ_U64(count_rows(st, "SELECT count(*) FROM capsules"), 3);
        CHECK_EQ_U64(count_rows(st, "SELECT count(*) FROM results"), 2);
        CHECK_EQ_U64(count_rows(st, "SELECT count(*) FROM modules"), 2);
        kp_ingest_free(in);
        kp_store_close(st);
    }
    CHECK(done);
    printf("# %d imports failed by a full disk before one got through\n", failures);
    CHECK(failures > 5); /* the faults did hit the import */
    kp_snapshot_free(s);
    kp_snapshot_bytes_free(snap, len);
    fixture_close(&f);
}
